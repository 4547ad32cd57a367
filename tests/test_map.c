// SPDX-License-Identifier: MIT
/*
 * s2mt map (tools/s2mt/map.c) as a reader sees the picture: each slot says
 * how much of it is mapped; each range is coloured by the type the
 * accesses of the story really got there (their own stage 1 combined with
 * the leaf), split where they differ, and marked as assumed where no
 * access touched it; the legend's classes stay apart for colour-blind
 * readers; the scale is stated and every address has one width; no text
 * runs off the page or into other text. Runs "$S2MT_BIN map" from the top
 * of the tree, as `make test` does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glob.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PAGE_W 1100

/* A no-FWB host, so the stage-2 Normal-WB of RAM leaves the guest's
 * stage 1 in charge (A3): one 2 MiB leaf per access, each with another
 * stage 1, two of them in the same leaf. */
static const char mixed_yaml[] =
	"name: one RAM slot, a guest stage 1 of every kind\n"
	"host: {preset: no-fwb, ram: 4G}\n"
	"kernel: \"6.17\"\n"
	"vmm:\n"
	"  mmaps:\n"
	"    - {name: ram, kind: hugetlb-2m, size: 16M}\n"
	"  memslots:\n"
	"    - {slot: 0, guest_phys_addr: 0x80000000, mmap: ram}\n"
	"guest:\n"
	"  accesses:\n"
	"    - {name: wb-read, ipa: 0x80000000}\n"
	"    - {name: nc-write, ipa: 0x80001000, access: write, s1: "
	"normal-nc}\n"
	"    - {name: dev-read, ipa: 0x80200000, s1: device-ngnre}\n"
	"    - {name: wt-read, ipa: 0x80400000, s1: normal-wt}\n"
	"    - {name: mixed-read, ipa: 0x80600000, s1: 0x4f}\n"
	"    - {name: gre-read, ipa: 0x80800000, s1: device-gre}\n"
	"    - {name: ngnrne-read, ipa: 0x80a00000, s1: device-ngnrne}\n";

/* Renders a scenario file with "$S2MT_BIN map"; returns the SVG text
 * (free it). */
static char *map_file(const char *scenario)
{
	const char *bin = getenv("S2MT_BIN");
	char out[] = "/tmp/s2mt-map-XXXXXX", cmd[1024], *svg;
	int fd = mkstemp(out), status;
	FILE *f;
	long len;

	if (!bin)
		fail_msg("S2MT_BIN is not set (make test sets it)");
	assert_true(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "%s map %s -o %s", bin, scenario, out);
	status = system(cmd);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("'%s' failed: status %#x", cmd, status);
	f = fopen(out, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	svg = calloc(1, (size_t)len + 1);
	assert_non_null(svg);
	assert_int_equal(fread(svg, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	unlink(out);
	return svg;
}

static char *map_text(const char *yaml)
{
	char path[] = "/tmp/s2mt-map-XXXXXX.yaml", *svg;
	int fd = mkstemps(path, 5);
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(yaml, f);
	fclose(f);
	svg = map_file(path);
	unlink(path);
	return svg;
}

/* XML text as shown: the five entities the map writes. */
static void unescape(const char *s, size_t n, char *out, size_t len)
{
	static const struct {
		const char *e;
		char c;
	} ent[] = { { "&amp;", '&' },
		    { "&lt;", '<' },
		    { "&gt;", '>' },
		    { "&quot;", '"' },
		    { "&apos;", '\'' } };
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < len;) {
		size_t k;

		for (k = 0; k < ARRAY_SIZE(ent); k++)
			if (!strncmp(s + i, ent[k].e, strlen(ent[k].e)))
				break;
		if (k < ARRAY_SIZE(ent)) {
			out[o++] = ent[k].c;
			i += strlen(ent[k].e);
		} else {
			out[o++] = s[i++];
		}
	}
	out[o] = '\0';
}

struct text {
	double x, y, size;
	bool bold;
	char s[512];
};

static double attr_num(const char *tag, const char *end, const char *name)
{
	char key[32];
	const char *p;

	snprintf(key, sizeof(key), " %s=\"", name);
	p = strstr(tag, key);
	if (!p || p > end)
		return NAN;
	return strtod(p + strlen(key), NULL);
}

/* Every <text> element of the SVG. */
static size_t texts(const char *svg, struct text *t, size_t max)
{
	size_t n = 0;

	for (const char *p = strstr(svg, "<text "); p && n < max;
	     p = strstr(p + 1, "<text ")) {
		const char *gt = strchr(p, '>'), *end = strstr(p, "</text>");

		assert_non_null(gt);
		assert_non_null(end);
		t[n].x = attr_num(p, gt, "x");
		t[n].y = attr_num(p, gt, "y");
		t[n].size = attr_num(p, gt, "font-size");
		t[n].bold = strstr(p, "font-weight=\"bold\"") &&
			strstr(p, "font-weight=\"bold\"") < gt;
		unescape(gt + 1, (size_t)(end - gt - 1), t[n].s,
			 sizeof(t[n].s));
		n++;
	}
	return n;
}

/* Whether the visible text says needle, lines joined by a space (the
 * map wraps long sentences). */
static bool any_text(const char *svg, const char *needle)
{
	static struct text t[4096];
	size_t n = texts(svg, t, ARRAY_SIZE(t)), len = 1;
	char *all;
	bool found;

	for (size_t i = 0; i < n; i++)
		len += strlen(t[i].s) + 1;
	all = calloc(1, len);
	assert_non_null(all);
	for (size_t i = 0; i < n; i++) {
		strcat(all, t[i].s);
		strcat(all, " ");
	}
	found = strstr(all, needle) != NULL;
	free(all);
	return found;
}

/* The swatch of a legend entry: the fills of the <rect>s between the
 * previous text and the entry's label. hex gets "#rrggbb", pattern the
 * url(#...) laid over it, or "". */
static void legend(const char *svg, const char *label, char *hex, char *pattern)
{
	char key[96];
	const char *at, *from;

	snprintf(key, sizeof(key), ">%s</text>", label);
	at = strstr(svg, key);
	if (!at)
		fail_msg("no legend entry '%s'", label);
	from = svg;
	for (const char *p = strstr(svg, "</text>"); p && p < at;
	     p = strstr(p + 1, "</text>"))
		from = p;
	hex[0] = pattern[0] = '\0';
	for (const char *p = strstr(from, "<rect "); p && p < at;
	     p = strstr(p + 1, "<rect ")) {
		const char *f = strstr(p, " fill=\"");

		if (!f || f > strchr(p, '>'))
			continue;
		f += 7;
		if (*f == '#')
			snprintf(hex, 8, "%.7s", f);
		else if (!strncmp(f, "url(", 4))
			snprintf(pattern, 32, "%.*s", (int)(strchr(f, '"') - f),
				 f);
	}
	if (!hex[0])
		fail_msg("legend entry '%s' has no colour", label);
}

/* The drawn sub-range whose tooltip (<title>) mentions needle: returns
 * the text of its <g> group, or fails. */
static char *range_group(const char *svg, const char *needle)
{
	for (const char *p = strstr(svg, "<g><title>"); p;
	     p = strstr(p + 1, "<g><title>")) {
		const char *te = strstr(p, "</title>"), *ge = strstr(p, "</g>");
		char title[1024];

		assert_non_null(te);
		assert_non_null(ge);
		unescape(p + 10, (size_t)(te - p - 10), title, sizeof(title));
		if (strstr(title, needle))
			return strndup(p, (size_t)(ge - p));
	}
	fail_msg("no drawn range mentions '%s'", needle);
	return NULL;
}

static bool has_fill(const char *group, const char *fill)
{
	char key[64];

	snprintf(key, sizeof(key), "fill=\"%s\"", fill);
	return strstr(group, key) != NULL;
}

/* 1: a slot says how much of it is mapped; mapped and unmapped parts of
 * a slot are labelled and drawn apart, even a 1 GiB leaf in 96 GiB. */
static void test_partly_mapped_slot_says_how_much(void **state)
{
	char *svg = map_file("examples/grace-hopper-vm.yaml");
	char unmapped[8], wb[8], pat[32];
	char *g;

	(void)state;
	assert_true(any_text(svg, "5 of 96 GiB mapped"));
	assert_true(any_text(svg, "1 of 16 GiB mapped"));
	assert_true(any_text(svg, "4 of 64 KiB mapped"));
	assert_true(any_text(svg, "2 of 2 MiB mapped"));
	legend(svg, "not mapped", unmapped, pat);
	legend(svg, "Normal-WB", wb, pat);
	assert_string_not_equal(unmapped, wb);
	/* The single leaf gpu-write mapped at 0x5000000000, 1/96 of its
	 * slot, is drawn and labelled as mapped. */
	assert_true(any_text(svg, "gpu-write"));
	g = range_group(svg, "for gpu-write");
	assert_true(has_fill(g, wb));
	assert_false(has_fill(g, unmapped));
	free(g);
	g = range_group(svg, "usemem: not mapped");
	assert_true(has_fill(g, unmapped));
	free(g);
	/* Every range labelled mapped is drawn in a mapped colour. */
	for (const char *p = strstr(svg, "<g><title>"); p;
	     p = strstr(p + 1, "<g><title>")) {
		const char *te = strstr(p, "</title>");
		char *grp = strndup(p, (size_t)(strstr(p, "</g>") - p));

		if (strstr(p, ": mapped, ") && strstr(p, ": mapped, ") < te)
			assert_false(has_fill(grp, unmapped));
		free(grp);
	}
	free(svg);
}

/* 2: the colour is what each access got: its own stage 1 with the leaf's
 * stage 2, not a Normal-WB stage 1 for all. */
static void test_colour_is_each_access_effective_type(void **state)
{
	static const struct {
		const char *access, *label;
	} want[] = {
		{ "for dev-read", "Device-nGnRE" },
		{ "for wt-read", "Normal-WT" },
		{ "for mixed-read", "Normal, mixed" },
		{ "for gre-read", "Device-GRE/nGRE" },
		{ "for ngnrne-read", "Device-nGnRnE" },
	};
	char *svg = map_text(mixed_yaml);
	char wb[8], hex[8], pat[32], nopat[32];

	(void)state;
	legend(svg, "Normal-WB", wb, nopat);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		char *g = range_group(svg, want[i].access);

		legend(svg, want[i].label, hex, pat);
		if (!has_fill(g, hex) || (pat[0] && !has_fill(g, pat)))
			fail_msg("'%s' is not drawn as %s", want[i].access,
				 want[i].label);
		assert_false(has_fill(g, wb));
		free(g);
	}
	assert_true(any_text(svg,
			     "-> Device-nGnRE for dev-read (stage 1 "
			     "Device-nGnRE)"));
	free(svg);
}

/* 2: one leaf, two accesses, two types: both drawn, both named. */
static void test_different_types_in_one_range_split_it(void **state)
{
	char *svg = map_text(mixed_yaml);
	char wb[8], nc[8], pat[32];
	char *g = range_group(svg, "wb-read");

	(void)state;
	legend(svg, "Normal-WB", wb, pat);
	legend(svg, "Normal-NC", nc, pat);
	assert_true(has_fill(g, wb));
	assert_true(has_fill(g, nc));
	assert_non_null(strstr(g, "-&gt; Normal-WB for wb-read"));
	assert_non_null(strstr(g, "-&gt; Normal-NC for nc-write"));
	assert_true(any_text(svg, "Normal-NC for nc-write"));
	free(g);
	free(svg);
}

/* 2: a mapped range no access touched (the 2 MiB THP leaf that dirty
 * logging split into pages, of which the guest wrote two) says that its
 * colour assumes a Normal-WB stage 1, and looks it (dotted). */
static void test_untouched_mapped_range_says_assumed(void **state)
{
	char *svg = map_file("examples/dirty-log.yaml");
	char hex[8], dots[32];
	char *g = range_group(svg, "no access touched");

	(void)state;
	legend(svg, "dotted", hex, dots);
	assert_true(dots[0]);
	assert_true(has_fill(g, dots));
	assert_non_null(strstr(g, "assuming a guest Normal-WB stage 1"));
	assert_true(any_text(svg, "assuming a guest Normal-WB stage 1"));
	free(g);
	g = range_group(svg, "for write-before");
	assert_false(has_fill(g, dots));
	free(g);
	free(svg);
}

/* sRGB to CIELAB (D65), after simulating a colour vision deficiency with
 * Machado, Oliveira and Fernandes (2009) at full severity. */
static const double cvd[4][3][3] = {
	{ { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } },
	{ { 0.152286, 1.052583, -0.204868 },
	  { 0.114503, 0.786281, 0.099216 },
	  { -0.003882, -0.048116, 1.051998 } }, /* protanopia */
	{ { 0.367322, 0.860646, -0.227968 },
	  { 0.280085, 0.672501, 0.047413 },
	  { -0.011820, 0.042940, 0.968881 } }, /* deuteranopia */
	{ { 1.255528, -0.076749, -0.178779 },
	  { -0.078411, 0.930809, 0.147602 },
	  { 0.004733, 0.691367, 0.303900 } }, /* tritanopia */
};

static double lab_f(double t)
{
	return t > 0.008856 ? cbrt(t) : 7.787 * t + 16.0 / 116;
}

static void to_lab(const char *hex, int vision, double lab[3])
{
	unsigned v = (unsigned)strtoul(hex + 1, NULL, 16);
	double c[3], s[3], X, Y, Z;

	for (int i = 0; i < 3; i++) {
		double u = ((v >> (16 - 8 * i)) & 0xff) / 255.0;

		c[i] = u <= 0.04045 ? u / 12.92 : pow((u + 0.055) / 1.055, 2.4);
	}
	for (int i = 0; i < 3; i++) {
		s[i] = 0;
		for (int j = 0; j < 3; j++)
			s[i] += cvd[vision][i][j] * c[j];
		s[i] = s[i] < 0 ? 0 : s[i] > 1 ? 1 : s[i];
	}
	X = 0.4124 * s[0] + 0.3576 * s[1] + 0.1805 * s[2];
	Y = 0.2126 * s[0] + 0.7152 * s[1] + 0.0722 * s[2];
	Z = 0.0193 * s[0] + 0.1192 * s[1] + 0.9505 * s[2];
	lab[0] = 116 * lab_f(Y) - 16;
	lab[1] = 500 * (lab_f(X / 0.95047) - lab_f(Y));
	lab[2] = 200 * (lab_f(Y) - lab_f(Z / 1.08883));
}

/* 3: any two classes of the legend differ in pattern, or in colour by a
 * CIELAB distance of at least 25 for normal vision and each of the three
 * dichromacies. */
static void test_palette_is_colour_blind_safe(void **state)
{
	static const char *const label[] = {
		"Normal-WB",	 "Normal-WT",	    "Normal, mixed",
		"Normal-NC",	 "Device-GRE/nGRE", "Device-nGnRE",
		"Device-nGnRnE", "not mapped",
	};
	char *svg = map_file("examples/grace-hopper-vm.yaml");
	char hex[ARRAY_SIZE(label)][8], pat[ARRAY_SIZE(label)][32];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(label); i++)
		legend(svg, label[i], hex[i], pat[i]);
	for (size_t i = 0; i < ARRAY_SIZE(label); i++) {
		for (size_t j = i + 1; j < ARRAY_SIZE(label); j++) {
			if (strcmp(pat[i], pat[j]))
				continue;
			for (int v = 0; v < 4; v++) {
				double a[3], b[3], d;

				to_lab(hex[i], v, a);
				to_lab(hex[j], v, b);
				d = sqrt((a[0] - b[0]) * (a[0] - b[0]) +
					 (a[1] - b[1]) * (a[1] - b[1]) +
					 (a[2] - b[2]) * (a[2] - b[2]));
				if (d < 25)
					fail_msg(
						"'%s' %s and '%s' %s: distance "
						"%.1f for vision %d",
						label[i], hex[i], label[j],
						hex[j], d, v);
			}
		}
	}
	/* The Device kinds carry their name in the band too. */
	free(svg);
	svg = map_file("examples/nvgrace-6.9-mismatch.yaml");
	assert_true(any_text(svg, "nGnRE"));
	{
		static struct text t[4096];
		size_t n = texts(svg, t, ARRAY_SIZE(t));
		bool tag = false;

		for (size_t i = 0; i < n; i++)
			tag |= !strcmp(t[i].s, "nGnRE");
		assert_true(tag);
	}
	free(svg);
}

/* Every "0x..." on the picture, as written. */
static size_t addresses(const char *svg, char (*out)[40], size_t max)
{
	static struct text t[4096];
	size_t n = texts(svg, t, ARRAY_SIZE(t)), k = 0;

	for (size_t i = 0; i < n; i++) {
		for (const char *p = strstr(t[i].s, "0x"); p && k < max;
		     p = strstr(p + 2, "0x")) {
			size_t l = 2 + strspn(p + 2, "0123456789abcdefABCDEF_");

			snprintf(out[k++], 40, "%.*s", (int)l, p);
		}
	}
	return k;
}

/* 4: the picture says how sizes are drawn, and every address has the
 * same width; each band is labelled with its size and both ends. */
static void test_scale_stated_and_one_address_width(void **state)
{
	static char addr[1024][40];
	static const char *const file[] = {
		"examples/grace-hopper-vm.yaml",
		"examples/dirty-log.yaml",
	};

	(void)state;
	for (size_t f = 0; f < ARRAY_SIZE(file); f++) {
		char *svg = map_file(file[f]);
		size_t n = addresses(svg, addr, ARRAY_SIZE(addr));

		assert_true(any_text(svg, "log scale"));
		assert_true(any_text(svg,
				     "gaps between slots are not to "
				     "scale"));
		assert_true(n > 4);
		for (size_t i = 1; i < n; i++)
			if (strlen(addr[i]) != strlen(addr[0]))
				fail_msg("%s: '%s' and '%s' differ in width",
					 file[f], addr[0], addr[i]);
		free(svg);
	}
	{
		char *svg = map_file("examples/grace-hopper-vm.yaml");

		/* Slot 1 at 0x4000000000, 96 GiB, IPA space 48 bits. */
		assert_true(any_text(svg, "slot 1, 96 GiB"));
		assert_true(any_text(svg, "0x0040_0000_0000"));
		assert_true(any_text(svg, "0x0058_0000_0000"));
		assert_true(any_text(svg, "slot 3, 64 KiB"));
		assert_true(any_text(svg, "0x0000_1000_0000"));
		free(svg);
	}
}

/* The map's own text measure (map.c): this checks the layout it builds
 * with it, whether labels run off the page or into each other. */
static double width_of(const struct text *t)
{
	return map_text_width(t->s, t->size, t->bold);
}

/* No text leaves the page or touches another text (boxes from the
 * advance widths, ascent 0.76 em, descent 0.24 em); librsvg renders it
 * at the SVG's width. */
static void check_layout(const char *name, const char *svg)
{
	static struct text t[4096];
	size_t n = texts(svg, t, ARRAY_SIZE(t));
	char path[] = "/tmp/s2mt-map-XXXXXX", cmd[600];
	unsigned char png[24];
	FILE *f;
	int fd;

	assert_true(n > 10);
	for (size_t i = 0; i < n; i++) {
		double w = width_of(&t[i]);

		if (t[i].x < 0 || t[i].x + w > PAGE_W - 4)
			fail_msg("%s: '%s' runs off the page (%.0f..%.0f px)",
				 name, t[i].s, t[i].x, t[i].x + w);
		for (size_t j = 0; j < i; j++) {
			double wj = width_of(&t[j]);

			if (t[i].x < t[j].x + wj && t[j].x < t[i].x + w &&
			    t[i].y - 0.76 * t[i].size <
				    t[j].y + 0.24 * t[j].size &&
			    t[j].y - 0.76 * t[j].size <
				    t[i].y + 0.24 * t[i].size)
				fail_msg("%s: '%s' overlaps '%s'", name, t[i].s,
					 t[j].s);
		}
	}
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, svg, strlen(svg)), (ssize_t)strlen(svg));
	close(fd);
	snprintf(cmd, sizeof(cmd), "rsvg-convert -o %s.png %s", path, path);
	if (system(cmd))
		fail_msg("%s: librsvg refused the SVG", name);
	snprintf(cmd, sizeof(cmd), "%s.png", path);
	f = fopen(cmd, "rb");
	assert_non_null(f);
	assert_int_equal(fread(png, 1, sizeof(png), f), sizeof(png));
	fclose(f);
	assert_int_equal(
		(png[16] << 24 | png[17] << 16 | png[18] << 8 | png[19]),
		PAGE_W);
	unlink(cmd);
	unlink(path);
}

/* Text overlapping or cut off, on every example and the mixed story. */
static void test_text_fits_and_does_not_overlap(void **state)
{
	static char file[64][256];
	size_t n = 0;
	glob_t g;
	char *svg;

	(void)state;
	assert_int_equal(glob("examples/*.yaml", 0, NULL, &g), 0);
	for (size_t i = 0; i < g.gl_pathc && n < ARRAY_SIZE(file); i++)
		snprintf(file[n++], sizeof(file[0]), "%s", g.gl_pathv[i]);
	globfree(&g);
	assert_true(n >= 5);
	for (size_t i = 0; i < n; i++) {
		svg = map_file(file[i]);
		check_layout(file[i], svg);
		free(svg);
	}
	svg = map_text(mixed_yaml);
	check_layout("mixed", svg);
	free(svg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_partly_mapped_slot_says_how_much),
		cmocka_unit_test(test_colour_is_each_access_effective_type),
		cmocka_unit_test(test_different_types_in_one_range_split_it),
		cmocka_unit_test(test_untouched_mapped_range_says_assumed),
		cmocka_unit_test(test_palette_is_colour_blind_safe),
		cmocka_unit_test(test_scale_stated_and_one_address_width),
		cmocka_unit_test(test_text_fits_and_does_not_overlap),
	};

	return cmocka_run_group_tests_name("map", tests, NULL, NULL);
}
