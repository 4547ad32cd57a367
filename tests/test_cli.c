// SPDX-License-Identifier: MIT
/*
 * The s2mt command as a user runs it: exit statuses, error messages, and
 * JSON whose cells are checked against SPEC A5 facts (not against the code).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <s2mt/core.h>
#include <s2mt/model.h>

#include "cli.h"
#include <sys/wait.h>
#include <unistd.h>

struct run {
	int status;
	char out[1 << 16];
	char err[4096];
};

/* Runs "$S2MT_BIN args" capturing stdout and stderr. */
static void run_s2mt(struct run *r, const char *args)
{
	const char *bin = getenv("S2MT_BIN");
	char cmd[1024], errfile[] = "/tmp/s2mt-cli-XXXXXX";
	int fd = mkstemp(errfile);
	FILE *p, *e;
	size_t n;

	assert_non_null(bin);
	assert_true(fd >= 0);
	snprintf(cmd, sizeof(cmd), "%s %s 2>%s", bin, args, errfile);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(r->out, 1, sizeof(r->out) - 1, p);
	r->out[n] = '\0';
	r->status = WEXITSTATUS(pclose(p));
	e = fdopen(fd, "r");
	n = fread(r->err, 1, sizeof(r->err) - 1, e);
	r->err[n] = '\0';
	fclose(e);
	unlink(errfile);
}

static struct run r;

static void test_no_command_is_usage_error(void **state)
{
	(void)state;
	run_s2mt(&r, "");
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "usage"));
	run_s2mt(&r, "frobnicate");
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "unknown command 'frobnicate'"));
}

/* Help per command, from `help CMD` and `CMD --help` alike; the version;
 * standard input as "-". */
static void test_help_version_stdin(void **state)
{
	static const char *const cmds[] = { "run",     "compare", "designs",
					    "advise",  "map",	  "table",
					    "combine", "explain" };
	char args[128], want[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		snprintf(want, sizeof(want), "usage: s2mt %s ", cmds[i]);
		snprintf(args, sizeof(args), "help %s", cmds[i]);
		run_s2mt(&r, args);
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out, want));
		snprintf(args, sizeof(args), "%s --help", cmds[i]);
		run_s2mt(&r, args);
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out, want));
	}
	run_s2mt(&r, "help frobnicate");
	assert_int_equal(r.status, 2);
	run_s2mt(&r, "--version");
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "s2mt " S2MT_VERSION "\n");
	{
		/* The numeric macros and the string say the same version. */
		char v[32];

		snprintf(v, sizeof(v), "%d.%d.%d", S2MT_VERSION_MAJOR,
			 S2MT_VERSION_MINOR, S2MT_VERSION_PATCH);
		assert_string_equal(v, S2MT_VERSION);
	}
	run_s2mt(&r, "run - < examples/vfio-nic-wc.yaml");
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "s2mt run <stdin>"));
	run_s2mt(&r, "run - < /dev/null");
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "<stdin>:"));
}

/* Colour only on a terminal (through script's pty), never with NO_COLOR
 * set, never in a pipe. */
static void on_a_pty(const char *env, char *out, size_t len)
{
	char cmd[1024];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "env %s script -qec '%s run "
		 "examples/nvgrace-6.9-mismatch.yaml' /dev/null",
		 env, getenv("S2MT_BIN"));
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	pclose(p);
}

static void test_colour_on_a_terminal_only(void **state)
{
	(void)state;
	on_a_pty("-u NO_COLOR", r.out, sizeof(r.out));
	assert_non_null(strstr(r.out, "\033[32mResult: ok\033[0m"));
	on_a_pty("NO_COLOR=1", r.out, sizeof(r.out));
	assert_null(strchr(r.out, '\033'));
	assert_non_null(strstr(r.out, "Result: ok"));
	run_s2mt(&r, "run examples/nvgrace-6.9-mismatch.yaml");
	assert_null(strchr(r.out, '\033'));
}

/* s2mt probe over a fake /sys and /proc (tests/data/probe): the facts it
 * reads, and a --scenario fragment that s2mt run accepts as it is. */
#define PROBE_ARGS                                                             \
	"probe --root tests/data/probe --machine aarch64 --release "           \
	"7.2.13+deb14-cloud-arm64"

static void test_probe(void **state)
{
	char path[] = "/tmp/s2mt-probe-XXXXXX", args[256];
	int fd;
	FILE *f;

	(void)state;
	run_s2mt(&r, PROBE_ARGS);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out,
			       "PASS  kernel                 "
			       "7.2.13+deb14-cloud-arm64: the 6.17"));
	assert_non_null(strstr(r.out,
			       "1 on a VM (cacheable PFNMAP allowed); "
			       "-EINVAL on /dev/kvm"));
	assert_non_null(strstr(r.out, "DIC 1, IDC 1"));
	assert_non_null(strstr(r.out, "FEAT_S2FWB             yes"));
	assert_non_null(strstr(r.out,
			       "0000:00:02.0: BAR0 1M, BAR2 2M "
			       "prefetch"));
	assert_non_null(strstr(r.out, "2M pages: 12 free of 16"));
	assert_non_null(strstr(r.out,
			       "THP                    madvise, "
			       "huge zero page on"));
	assert_non_null(strstr(r.out, "KVM mode               VHE"));
	/* On 6.12 capability 243 does not exist: FWB from the boot log. */
	run_s2mt(&r,
		 "probe --root tests/data/probe --machine aarch64 "
		 "--release 6.12.117+deb13-cloud-arm64");
	assert_non_null(strstr(r.out,
			       "yes (the boot log has \"Stage-2 Force "
			       "Write-Back\")"));
	/* The fragment, completed with a memslot over the BAR, runs. */
	run_s2mt(&r, PROBE_ARGS " --scenario");
	assert_int_equal(r.status, 0);
	assert_non_null(
		strstr(r.out, "  thp: madvise\n  thp_zero_page: true\n"));
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fprintf(f, "%s", r.out);
	fprintf(f,
		"vmm:\n  mmaps:\n    - {name: bar2, kind: vfio-bar, "
		"device: pci-0000-00-02.0, bar: 2}\n  memslots:\n    - "
		"{slot: 0, guest_phys_addr: 0x10000000, mmap: bar2}\n"
		"guest:\n  accesses:\n    - {name: wc, ipa: 0x10000000, "
		"access: write, s1: normal-nc}\n");
	fclose(f);
	snprintf(args, sizeof(args), "run %s", path);
	run_s2mt(&r, args);
	unlink(path);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out,
			       "2M leaf Normal-NC (0b101) -> guest "
			       "sees Normal-NC"));
	/* Not arm64: said, and exit 1. */
	run_s2mt(&r, "probe --machine x86_64");
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "x86_64: not arm64"));
	run_s2mt(&r, "probe --machine x86_64 --scenario");
	assert_int_equal(r.status, 1);
}

/* Every preset is listed, with what it stands for. */
static void test_presets(void **state)
{
	(void)state;
	run_s2mt(&r, "presets");
	assert_int_equal(r.status, 0);
	for (size_t i = 0; s2mt_host_presets[i]; i++) {
		char line[64];

		if (!cli_preset_stands_for(s2mt_host_presets[i]))
			fail_msg("preset %s: say what it stands for in "
				 "tools/s2mt/cmd_presets.c",
				 s2mt_host_presets[i]);
		snprintf(line, sizeof(line), "\n%-13s ", s2mt_host_presets[i]);
		assert_non_null(strstr(r.out, line));
	}
	assert_non_null(strstr(r.out,
			       "grace-hopper  arm64 48   no   yes  yes "
			       " yes  no   1"));
	assert_null(strstr(r.out, " ?\n"));
	run_s2mt(&r, "presets extra");
	assert_int_equal(r.status, 2);
}

static void test_combine_bad_input_exit2(void **state)
{
	static const char *const bad[] = {
		"combine --s1 normal-wb",
		"combine --s2 5",
		"combine --s1 bogus --s2 5",
		"combine --s1 0x100 --s2 5",
		"combine --s1 normal-wb --s2 16",
		"combine --s1 normal-wb --s2 force-wb", /* FWB-only name */
		"combine --s1 normal-wb --s2 5 --s1-sh xsh",
		"combine --s1 normal-wb --s2 5 --bogus",
		"combine --s1 normal-wb --s2 5 extra",
		"table --nope",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		run_s2mt(&r, bad[i]);
		if (r.status != 2 || !strstr(r.err, "s2mt "))
			fail_msg("'%s': status %d, stderr '%s'", bad[i],
				 r.status, r.err);
		assert_string_equal(r.out, "");
	}
}

/* The issue's own example sentence (A4). */
static void test_A4_combine_explains_force_wb(void **state)
{
	(void)state;
	run_s2mt(&r, "combine --s1 device-ngnre --s2 force-wb --fwb");
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "effective: Normal-WB"));
	assert_non_null(strstr(r.out,
			       "FWB 0b110 forces Normal-WB; stage-1 "
			       "Device-nGnRE is overridden (A4)"));
}

static json_t *run_json(const char *args)
{
	json_error_t jerr;
	json_t *root;

	run_s2mt(&r, args);
	assert_int_equal(r.status, 0);
	root = json_loads(r.out, 0, &jerr);
	if (!root)
		fail_msg("'%s' printed invalid JSON: %s", args, jerr.text);
	return root;
}

static const char *cell_type(json_t *root, size_t row, size_t col)
{
	json_t *cell = json_array_get(
		json_object_get(
			json_array_get(json_object_get(root, "rows"), row),
			"cells"),
		col);
	json_t *type = json_object_get(cell, "type");

	return type ? json_string_value(type)
		    : json_string_value(json_object_get(cell, "status"));
}

/* A5, FWB=1: rows 0..7, column order nGnRnE nGnRE nGRE GRE NC WT WB
 * tagged off. Spot facts of the SPEC table. */
static void test_A5_table_json_fwb(void **state)
{
	json_t *root = run_json("table --fwb --json");

	(void)state;
	assert_true(json_is_true(json_object_get(root, "fwb")));
	assert_int_equal(json_array_size(json_object_get(root, "rows")), 8);
	assert_int_equal(json_array_size(json_object_get(root, "columns")), 9);
	for (size_t col = 0; col < 9; col++) {
		/* 0b110: WB whatever stage 1 (tagged stays tagged) */
		const char *t = cell_type(root, 6, col);

		assert_true(!strcmp(t, "Normal-WB") ||
			    !strcmp(t, "Normal-WB-tagged"));
		/* 0b000: nGnRnE everywhere */
		assert_string_equal(cell_type(root, 0, col), "Device-nGnRnE");
		/* 0b100: reserved */
		assert_string_equal(cell_type(root, 4, col), "reserved");
	}
	assert_string_equal(cell_type(root, 5, 4), "Normal-NC"); /* NC */
	assert_string_equal(cell_type(root, 5, 6), "Normal-NC"); /* WB */
	assert_string_equal(cell_type(root, 5, 1), "Device-nGnRE");
	assert_string_equal(cell_type(root, 7, 5), "Normal-WT"); /* as S1 */
	assert_string_equal(cell_type(root, 7, 8), "Device-nGnRnE"); /* off */
	assert_string_equal(cell_type(root, 1, 8), "Device-nGnRnE");
	assert_string_equal(cell_type(root, 3, 2), "Device-nGRE");
	json_decref(root);
}

static void test_A5_table_json_nofwb(void **state)
{
	json_t *root = run_json("table --json");

	(void)state;
	assert_true(json_is_false(json_object_get(root, "fwb")));
	assert_int_equal(json_array_size(json_object_get(root, "rows")), 16);
	assert_string_equal(cell_type(root, 0xf, 6), "Normal-WB");
	assert_string_equal(cell_type(root, 0xa, 6), "Normal-WT");
	assert_string_equal(cell_type(root, 0xa, 4), "Normal-NC");
	assert_string_equal(cell_type(root, 0x5, 5), "Normal-NC");
	assert_string_equal(cell_type(root, 0x1, 3), "Device-nGnRE");
	assert_string_equal(cell_type(root, 0x3, 1), "Device-nGnRE");
	assert_string_equal(cell_type(root, 0xf, 8), "Device-nGnRnE");
	assert_string_equal(cell_type(root, 0x8, 0), "reserved");
	json_decref(root);
}

static void test_combine_json_fields(void **state)
{
	json_t *root = run_json("combine --s1 0x44 --s2 normal-wb --json"), *e;

	(void)state;
	e = json_object_get(root, "effective");
	assert_string_equal(json_string_value(json_object_get(e, "type")),
			    "Normal-NC");
	assert_string_equal(json_string_value(json_object_get(e, "mair")),
			    "0x44");
	/* A3: an NC result is Outer Shareable */
	assert_string_equal(
		json_string_value(json_object_get(e, "shareability")), "OSH");
	assert_true(json_is_false(json_object_get(e, "cacheable")));
	assert_non_null(strstr(
		json_string_value(json_object_get(e, "explanation")), "(A3)"));
	json_decref(root);
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		(uint32_t)p[2] << 8 | p[3];
}

/* s2mt map: an SVG with the slots, the hazard and a legend, which a real
 * renderer (librsvg) turns into a PNG that is not empty. */
static void test_map_renders_to_png(void **state)
{
	char svgpath[] = "/tmp/s2mt-map-XXXXXX", cmd[512], *svg;
	unsigned char png[64];
	FILE *f;
	long svglen, pnglen;
	int fd = mkstemp(svgpath);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "map examples/grace-hopper-vm.yaml -o %s",
		 svgpath);
	run_s2mt(&r, cmd);
	assert_int_equal(r.status, 0);
	f = fopen(svgpath, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	svglen = ftell(f);
	rewind(f);
	svg = calloc(1, (size_t)svglen + 1);
	assert_int_equal(fread(svg, 1, (size_t)svglen, f), (size_t)svglen);
	fclose(f);
	/* Every slot, the Z6 finding on the NIC registers, the legend. */
	assert_non_null(strstr(svg, "<svg"));
	for (int i = 0; i <= 4; i++) {
		char slot[16];

		snprintf(slot, sizeof(slot), "slot %d,", i);
		assert_non_null(strstr(svg, slot));
	}
	assert_non_null(strstr(svg, "Z6"));
	assert_non_null(strstr(svg, "Legend"));
	assert_non_null(strstr(svg, "Force-WB -&gt; Normal-WB"));
	free(svg);

	snprintf(cmd, sizeof(cmd), "rsvg-convert -o %s.png %s", svgpath,
		 svgpath);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s.png", svgpath);
	f = fopen(cmd, "rb");
	assert_non_null(f);
	assert_int_equal(fread(png, 1, sizeof(png), f), sizeof(png));
	fseek(f, 0, SEEK_END);
	pnglen = ftell(f);
	fclose(f);
	assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
	assert_memory_equal(png + 12, "IHDR", 4);
	assert_int_equal(be32(png + 16), 1100); /* the SVG's width */
	assert_true(be32(png + 20) > 800);
	/* A blank page of that size compresses to a few KiB; bands, text
	 * and the legend make it far larger. */
	assert_true(pnglen > 40000);
	unlink(cmd);
	unlink(svgpath);
}

static void test_map_usage(void **state)
{
	(void)state;
	run_s2mt(&r, "map examples/grace-hopper-vm.yaml");
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "s2mt map"));
	run_s2mt(&r, "map /nonexistent.yaml -o /tmp/x.svg");
	assert_int_equal(r.status, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_command_is_usage_error),
		cmocka_unit_test(test_combine_bad_input_exit2),
		cmocka_unit_test(test_A4_combine_explains_force_wb),
		cmocka_unit_test(test_A5_table_json_fwb),
		cmocka_unit_test(test_A5_table_json_nofwb),
		cmocka_unit_test(test_combine_json_fields),
		cmocka_unit_test(test_map_renders_to_png),
		cmocka_unit_test(test_map_usage),
		cmocka_unit_test(test_help_version_stdin),
		cmocka_unit_test(test_colour_on_a_terminal_only),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_presets),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
