// SPDX-License-Identifier: MIT
/*
 * s2mt map FILE -o map.svg: the guest physical address space after the
 * story, each memslot a band whose sub-ranges are coloured by the type the
 * guest gets (with a Normal-WB stage 1), hazards outlined in red, gaps
 * between slots compressed, and a legend.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "runner.h"

#define W 1100
#define BAR_X 190
#define BAR_W 260
#define TEXT_X (BAR_X + BAR_W + 16)
#define GAP_H 26
#define TOP 96

static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static const struct {
	const char *label;
	const char *fill;
} legend[] = {
	{ "Normal-WB", "#2e7d32" },	  { "Normal-WT", "#81c784" },
	{ "Normal, mixed", "#c0ca33" },	  { "Normal-NC", "#f9a825" },
	{ "Device-GRE/nGRE", "#ab47bc" }, { "Device-nGnRE", "#7b1fa2" },
	{ "Device-nGnRnE", "#4a148c" },	  { "not mapped", "#e0e0e0" },
};

static const char *fill_for(const struct s2mt_query_entry *q)
{
	const struct s2mt_memtype *mt = &q->eff.mt;

	if (!q->mapped)
		return legend[7].fill;
	if (q->eff.status)
		return "#000000";
	if (mt->device)
		return mt->dev == S2MT_DEV_nGnRnE   ? legend[6].fill
			: mt->dev == S2MT_DEV_nGnRE ? legend[5].fill
						    : legend[4].fill;
	if (mt->inner.policy != mt->outer.policy)
		return legend[2].fill;
	return mt->inner.policy == S2MT_CACHE_WB    ? legend[0].fill
		: mt->inner.policy == S2MT_CACHE_WT ? legend[1].fill
						    : legend[3].fill;
}

/* A slot's band height: grows with the log of its size. */
static double band_height(uint64_t size)
{
	double h = 14.0 * (log2((double)size) - 11.0);

	return h < 48 ? 48 : h;
}

static void text(FILE *f, double x, double y, int size, const char *weight,
		 const char *fill, const char *s)
{
	fprintf(f,
		"<text x=\"%.1f\" y=\"%.1f\" font-family=\"DejaVu Sans, "
		"sans-serif\" font-size=\"%d\" font-weight=\"%s\" "
		"fill=\"%s\">",
		x, y, size, weight, fill);
	esc(f, s);
	fputs("</text>\n", f);
}

static int write_svg(FILE *f, const struct run *r)
{
	const struct scenario *sc = r->sc;
	double y = TOP, height;
	char buf[512], caps[64];
	size_t i;

	/* Height: bands, gaps, legend. */
	height = TOP + 40 + 26.0 * (sizeof(legend) / sizeof(legend[0]) + 3);
	for (i = 0; r->vm && i < r->vm->nr_slots; i++)
		height += band_height(r->vm->slots[i].size) + GAP_H;
	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%.0f\" viewBox=\"0 0 %d %.0f\">\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n",
		W, height, W, height);
	snprintf(buf, sizeof(buf), "Guest physical address space: %.60s",
		 sc->name[0] ? sc->name : sc->file);
	text(f, 20, 34, 20, "bold", "#212121", buf);
	snprintf(caps, sizeof(caps), "%s%s%s", r->host.caps.fwb ? " FWB" : "",
		 r->host.caps.dic ? " DIC" : "",
		 r->host.caps.mte ? " MTE" : "");
	snprintf(buf, sizeof(buf),
		 "host %s (%s), kernel era %s; colour = what a guest Normal-WB "
		 "stage 1 really gets",
		 r->host.preset, caps[0] ? caps + 1 : "no FWB/DIC",
		 s2mt_era_name(r->era));
	text(f, 20, 58, 13, "normal", "#424242", buf);

	if (!r->vm || !r->vm->nr_slots) {
		text(f, 20, y + 20, 14, "normal", "#424242",
		     "no memslots registered");
		y += 40;
	}
	for (i = 0; r->vm && i < r->vm->nr_slots; i++) {
		const struct s2mt_memslot *s = &r->vm->slots[i];
		double h = band_height(s->size), cur = y;
		char size[24];

		if (i &&
		    s->gpa > r->vm->slots[i - 1].gpa +
				    r->vm->slots[i - 1].size) {
			uint64_t gap = s->gpa -
				(r->vm->slots[i - 1].gpa +
				 r->vm->slots[i - 1].size);

			sc_format_size(gap, size, sizeof(size));
			snprintf(buf, sizeof(buf),
				 "... %s without a memslot "
				 "(MMIO exits) ...",
				 size);
			text(f, BAR_X, y - GAP_H / 2.0 + 4, 11, "normal",
			     "#757575", buf);
		}
		sc_format_size(s->size, size, sizeof(size));
		snprintf(buf, sizeof(buf), "%#llx", (unsigned long long)s->gpa);
		text(f, 20, y + 12, 12, "normal", "#212121", buf);
		snprintf(buf, sizeof(buf), "slot %u, %s", s->slot, size);
		text(f, 20, y + 28, 12, "bold", "#212121", buf);
		snprintf(buf, sizeof(buf), "%#llx",
			 (unsigned long long)(s->gpa + s->size));
		text(f, 20, y + h - 2, 12, "normal", "#757575", buf);
		for (size_t k = 0; k < r->nr_layout; k++) {
			const struct s2mt_query_entry *q = &r->layout[k];
			double qh;
			char what[96] = "no VMA", leaf[24], s2[40], eff[40];

			if (q->ipa < s->gpa || q->ipa >= s->gpa + s->size)
				continue;
			qh = h * (double)q->size / (double)s->size;
			if (qh < 1)
				qh = 1;
			fprintf(f,
				"<rect x=\"%d\" y=\"%.1f\" width=\"%d\" "
				"height=\"%.1f\" fill=\"%s\" stroke=\"%s\" "
				"stroke-width=\"%s\"/>\n",
				BAR_X, cur, BAR_W, qh, fill_for(q),
				q->hazards ? "#d50000" : "#ffffff",
				q->hazards ? "3" : "0.5");
			if (q->has_vma)
				s2mt_vma_describe(&r->host, &q->vma, what,
						  sizeof(what));
			if (q->mapped) {
				sc_format_size(q->leaf.size, leaf,
					       sizeof(leaf));
				s2mt_s2_name(q->leaf.memattr, r->host.caps.fwb,
					     s2, sizeof(s2));
				if (q->eff.status)
					snprintf(eff, sizeof(eff), "reserved");
				else
					s2mt_memtype_name(&q->eff.mt, eff,
							  sizeof(eff));
				snprintf(buf, sizeof(buf),
					 "%s: %llu x %s stage-2 %s -> %s", what,
					 (unsigned long long)q->nr_leaves, leaf,
					 s2, eff);
			} else {
				snprintf(buf, sizeof(buf), "%s: not mapped",
					 what);
			}
			if (q->hazards) {
				char hz[48] = "";

				for (unsigned z = S2MT_Z1; z <= S2MT_Z8; z++)
					if (q->hazards & S2MT_HAZARD_BIT(z))
						snprintf(hz + strlen(hz),
							 sizeof(hz) -
								 strlen(hz),
							 "%s ",
							 s2mt_hazard_name(z));
				snprintf(hz + strlen(hz),
					 sizeof(hz) - strlen(hz), "| ");
				text(f, TEXT_X, cur + (qh < 14 ? qh : 14), 12,
				     "bold", "#d50000", hz);
				text(f, TEXT_X + 8.0 * (double)strlen(hz),
				     cur + (qh < 14 ? qh : 14), 12, "normal",
				     "#212121", buf);
			} else if (qh >= 11) {
				text(f, TEXT_X, cur + (qh < 14 ? qh : 14), 12,
				     "normal", "#212121", buf);
			}
			cur += qh;
		}
		y += h + GAP_H;
	}

	/* Legend */
	y += 10;
	text(f, 20, y, 14, "bold", "#212121", "Legend");
	y += 10;
	for (i = 0; i < sizeof(legend) / sizeof(legend[0]); i++) {
		fprintf(f,
			"<rect x=\"20\" y=\"%.1f\" width=\"28\" height=\"16\" "
			"fill=\"%s\" stroke=\"#9e9e9e\" "
			"stroke-width=\"0.5\"/>\n",
			y, legend[i].fill);
		text(f, 56, y + 13, 12, "normal", "#212121", legend[i].label);
		y += 24;
	}
	fprintf(f,
		"<rect x=\"20\" y=\"%.1f\" width=\"28\" height=\"16\" "
		"fill=\"#ffffff\" stroke=\"#d50000\" stroke-width=\"3\"/>\n",
		y);
	text(f, 56, y + 13, 12, "normal", "#212121",
	     "hazard (Z1..Z8, SPEC section 9), named on the range");
	y += 24;
	snprintf(buf, sizeof(buf), "%zu hazard finding(s) in all",
		 r->nr_hazards);
	text(f, 20, y + 13, 12, "normal", "#424242", buf);
	fputs("</svg>\n", f);
	return ferror(f) ? -1 : 0;
}

int cmd_map(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, 0, 'o' }, { 0, 0, 0, 0 }
	};
	struct scenario *sc = calloc(1, sizeof(*sc));
	struct run *r = calloc(1, sizeof(*r));
	const char *out = NULL;
	char err[512];
	int c, status = 0;
	FILE *f;

	if (!sc || !r)
		return S2MT_EXIT_USAGE;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		if (c == 'o') {
			out = optarg;
		} else {
			status = cli_usage_error("map",
						 "unknown or incomplete option "
						 "'%s'",
						 argv[optind - 1]);
			goto done;
		}
	}
	if (optind + 1 != argc || !out) {
		status = cli_usage_error("map",
					 "usage: s2mt map FILE -o "
					 "map.svg");
		goto done;
	}
	if (scenario_load_file(argv[optind], sc, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		status = S2MT_EXIT_USAGE;
		goto done;
	}
	status = cli_run(sc, r);
	if (status)
		goto done;
	f = strcmp(out, "-") ? fopen(out, "w") : stdout;
	if (!f) {
		perror(out);
		status = S2MT_EXIT_USAGE;
	} else {
		if (write_svg(f, r))
			status = S2MT_EXIT_USAGE;
		if (f != stdout && fclose(f))
			status = S2MT_EXIT_USAGE;
	}
	run_free(r);
done:
	free(r);
	free(sc);
	return status;
}
