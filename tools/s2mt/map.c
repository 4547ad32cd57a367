// SPDX-License-Identifier: MIT
/*
 * s2mt map FILE -o map.svg: the guest physical address space after the
 * story. Each memslot is a band; its sub-ranges are coloured by the type
 * the guest effectively got there: each access's own stage-1 attribute
 * combined with the stage-2 leaf (A3/A4). Ranges no access touched assume
 * a Normal-WB stage 1 and say so; ranges where accesses got different
 * types are split into one column per type. Hazards are outlined, gaps
 * between slots compressed, and the picture states its scale.
 */
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "runner.h"

#define W 1100
#define MARGIN 20
#define BAR_X 200
#define BAR_W 210
#define TEXT_X (BAR_X + BAR_W + 26)
#define TEXT_W (W - MARGIN - TEXT_X)
#define LEFT_W (BAR_X - MARGIN - 12)
#define GAP_H 34
#define LINE_H 15
#define BAND_MIN_H 64
#define SEG_MIN_H 8.0
#define MAX_TYPES 8
#define MAX_NAMED 3 /* accesses named per type on a label */
#define ACC_WORDS ((SC_MAX_ACCESSES + 63) / 64)
#define FONT "DejaVu Sans, sans-serif"

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

static void text(FILE *f, double x, double y, int size, bool bold,
		 const char *fill, const char *s)
{
	fprintf(f,
		"<text x=\"%.1f\" y=\"%.1f\" font-family=\"" FONT
		"\" font-size=\"%d\" font-weight=\"%s\" fill=\"%s\">",
		x, y, size, bold ? "bold" : "normal", fill);
	esc(f, s);
	fputs("</text>\n", f);
}

/*
 * Writes s as lines no wider than width (continuation lines indented by
 * 10 px), the first baseline at y; returns the last baseline. Breaks at
 * spaces; a word wider than a line is broken where it must be.
 */
static double para(FILE *f, double x, double y, double width, int size,
		   bool bold, const char *fill, const char *s)
{
	char line[512];
	size_t n = 0;
	double indent = 0;
	bool first = true;

	while (*s == ' ')
		s++;
	while (*s) {
		const char *end = strchr(s, ' ');
		size_t wl = end ? (size_t)(end - s) : strlen(s);
		char cand[512];

		snprintf(cand, sizeof(cand), "%.*s%s%.*s", (int)n, line,
			 n ? " " : "", (int)wl, s);
		if (map_text_width(cand, size, bold) <= width - indent) {
			snprintf(line, sizeof(line), "%s", cand);
			n = strlen(line);
			s += wl;
			while (*s == ' ')
				s++;
			continue;
		}
		if (!n) {
			/* One word too wide for a line: as much as fits. */
			size_t k = wl;

			while (k > 1) {
				snprintf(cand, sizeof(cand), "%.*s", (int)k, s);
				if (map_text_width(cand, size, bold) <=
				    width - indent)
					break;
				k--;
			}
			snprintf(line, sizeof(line), "%.*s", (int)k, s);
			n = strlen(line);
			s += k;
		}
		if (!first)
			y += LINE_H * size / 12.0;
		text(f, x + indent, y, size, bold, fill, line);
		first = false;
		indent = 10;
		n = 0;
	}
	if (n) {
		if (!first)
			y += LINE_H * size / 12.0;
		text(f, x + indent, y, size, bold, fill, line);
	}
	return y;
}

/* Sizes in binary units, exact where a unit divides them ("96 GiB",
 * "1984 KiB"), else approximate with a "~". */
static void fmt_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "B",   "KiB", "MiB",
					    "GiB", "TiB", "PiB" };
	int u = 0;

	while (u < 5 && bytes >= (1ULL << (10 * (u + 1))))
		u++;
	for (int v = u; v >= 0; v--) {
		uint64_t m = 1ULL << (10 * v);

		if (bytes % m == 0 && bytes / m <= 9999) {
			snprintf(buf, len, "%llu %s",
				 (unsigned long long)(bytes / m), unit[v]);
			return;
		}
	}
	/* Rounded down, so that 1 GiB less a page does not read 1024 MiB. */
	snprintf(buf, len, "~%.1f %s",
		 floor(10.0 * (double)bytes / (double)(1ULL << (10 * u))) / 10,
		 unit[u]);
}

/* "5 of 96 GiB mapped", or with two units "4 KiB of 64 KiB mapped". */
static void fmt_part(uint64_t part, uint64_t whole, char *buf, size_t len)
{
	char p[32], w[32];
	const char *pu, *wu;

	fmt_size(part, p, sizeof(p));
	fmt_size(whole, w, sizeof(w));
	pu = strchr(p, ' ');
	wu = strchr(w, ' ');
	if (part && pu && wu && !strcmp(pu, wu) && p[0] != '~' && w[0] != '~')
		snprintf(buf, len, "%.*s of %s mapped", (int)(pu - p), p, w);
	else
		snprintf(buf, len, "%s of %s mapped", part ? p : "0", w);
}

/* Every address on the picture has the same number of hex digits (those
 * of the VM's IPA space), grouped by 4 as scenario files allow. */
static void fmt_addr(uint64_t a, unsigned digits, char *buf, size_t len)
{
	char hex[17];
	size_t n = 0;

	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)a);
	if (len < 4)
		return;
	buf[n++] = '0';
	buf[n++] = 'x';
	for (unsigned i = 16 - digits; i < 16 && n + 2 < len; i++) {
		buf[n++] = hex[i];
		if ((16 - i - 1) % 4 == 0 && i != 15)
			buf[n++] = '_';
	}
	buf[n] = '\0';
}

/* The colour classes, each one legend entry. */
enum cat {
	CAT_WB,
	CAT_WT,
	CAT_MIXED,
	CAT_NC,
	CAT_GRE,
	CAT_NGNRE,
	CAT_NGNRNE,
	CAT_UNMAPPED,
	CAT_RESERVED,
	CAT_NR,
};

/*
 * Chosen so that every pair stays apart (CIELAB distance of 25 or more)
 * for normal vision and under simulated protanopia, deuteranopia and
 * tritanopia, or else differs in pattern: the Device kinds carry a hatch
 * each (/, x, +) and a text tag in the band, since colour alone cannot
 * keep nine classes apart for every reader.
 */
static const struct {
	const char *label, *fill, *pattern, *about;
} swatch[CAT_NR] = {
	[CAT_WB] = { "Normal-WB", "#332288", NULL, "cacheable, write-back" },
	[CAT_WT] = { "Normal-WT", "#56b4e9", NULL, "cacheable, write-through" },
	[CAT_MIXED] = { "Normal, mixed", "#882255", NULL,
			"inner and outer cacheability differ" },
	[CAT_NC] = { "Normal-NC", "#e69f00", NULL, "non-cacheable" },
	[CAT_GRE] = { "Device-GRE/nGRE", "#ddcc77", "pat-gre",
		      "hatched /, tagged GRE or nGRE" },
	[CAT_NGNRE] = { "Device-nGnRE", "#ee3377", "pat-ngnre",
			"cross-hatched x, tagged nGnRE" },
	[CAT_NGNRNE] = { "Device-nGnRnE", "#117733", "pat-ngnrne",
			 "grid +, tagged nGnRnE" },
	[CAT_UNMAPPED] = { "not mapped", "#e0e0e0", NULL,
			   "no stage-2 leaf: the next access faults" },
	[CAT_RESERVED] = { "reserved", "#000000", NULL,
			   "a reserved combination (UNPREDICTABLE)" },
};

#define PAT_ASSUMED "pat-assumed"
#define HAZARD_RED "#d50000"

static void defs(FILE *f)
{
	fputs("<defs>\n"
	      "<pattern id=\"pat-gre\" width=\"8\" height=\"8\" "
	      "patternUnits=\"userSpaceOnUse\"><path d=\"M-2,2 L2,-2 M0,8 "
	      "L8,0 M6,10 L10,6\" stroke=\"#000000\" stroke-width=\"1.2\"/>"
	      "</pattern>\n"
	      "<pattern id=\"pat-ngnre\" width=\"8\" height=\"8\" "
	      "patternUnits=\"userSpaceOnUse\"><path d=\"M0,0 L8,8 M8,0 "
	      "L0,8\" stroke=\"#000000\" stroke-width=\"1\"/></pattern>\n"
	      "<pattern id=\"pat-ngnrne\" width=\"6\" height=\"6\" "
	      "patternUnits=\"userSpaceOnUse\"><path d=\"M0,3 L6,3 M3,0 "
	      "L3,6\" stroke=\"#ffffff\" stroke-width=\"1\"/></pattern>\n"
	      "<pattern id=\"" PAT_ASSUMED "\" width=\"9\" height=\"9\" "
	      "patternUnits=\"userSpaceOnUse\"><circle cx=\"4.5\" "
	      "cy=\"4.5\" r=\"1.7\" fill=\"#ffffff\" stroke=\"#000000\" "
	      "stroke-width=\"0.6\"/></pattern>\n"
	      "</defs>\n",
	      f);
}

static unsigned cat_of(const struct s2mt_effective *e)
{
	const struct s2mt_memtype *mt = &e->mt;

	if (e->status)
		return CAT_RESERVED;
	if (mt->device)
		return mt->dev == S2MT_DEV_nGnRnE   ? CAT_NGNRNE
			: mt->dev == S2MT_DEV_nGnRE ? CAT_NGNRE
						    : CAT_GRE;
	if (mt->inner.policy != mt->outer.policy)
		return CAT_MIXED;
	return mt->inner.policy == S2MT_CACHE_WB    ? CAT_WB
		: mt->inner.policy == S2MT_CACHE_WT ? CAT_WT
						    : CAT_NC;
}

/* A short tag written in the band, where colour and hatch need help. */
static const char *tag_of(const struct s2mt_effective *e)
{
	static const char *const dev[] = { "nGnRnE", "nGnRE", "nGRE", "GRE" };

	if (e->status)
		return "reserved";
	if (e->mt.device)
		return dev[e->mt.dev & 3];
	return e->mt.tagged ? "tagged" : NULL;
}

/* An effective type on a range and the accesses that got it. */
struct seg_type {
	char name[40];
	struct s2mt_effective eff;
	uint64_t acc[ACC_WORDS];
};

/* One drawn sub-range of a slot. */
struct seg {
	uint64_t ipa, size;
	const struct s2mt_query_entry *q; /* NULL: the layout has no entry */
	bool assumed; /* mapped, but no access touched it */
	bool more_types; /* types beyond MAX_TYPES were left out */
	unsigned nr_types;
	struct seg_type types[MAX_TYPES];
	double y, h;
};

/* Where an access of the story really reached memory. */
struct extent {
	bool used;
	uint64_t start, end;
};

static const struct s2mt_query_entry *layout_at(const struct run *r,
						uint64_t ipa)
{
	for (size_t k = 0; k < r->nr_layout; k++)
		if (ipa >= r->layout[k].ipa &&
		    ipa - r->layout[k].ipa < r->layout[k].size)
			return &r->layout[k];
	return NULL;
}

/*
 * The accesses the story made and that got through stage 2: an access
 * whose first page ended in an MMIO exit, -EFAULT or an injected abort
 * never touched memory, so it tells nothing about a type. One that
 * stopped part-way reached memory up to the first page not mapped now.
 */
static void real_accesses(const struct run *r, struct extent *ext)
{
	const struct scenario *sc = r->sc;

	memset(ext, 0, sizeof(*ext) * SC_MAX_ACCESSES);
	for (size_t i = 0; i < sc->nr_steps && i < SC_MAX_STEPS; i++) {
		const struct step_result *s = &r->steps[i];
		const struct sc_access *a;
		uint64_t end, cur;
		int ref = sc->steps[i].ref;
		bool ok;

		if (sc->steps[i].kind != SC_STEP_ACCESS || ref < 0 ||
		    (size_t)ref >= sc->nr_accesses || !s->ran_fault)
			continue;
		ok = s->first.outcome == S2MT_FAULT_MAPPED ||
			s->first.outcome == S2MT_FAULT_PERM_RELAXED ||
			s->first.outcome == S2MT_FAULT_SPURIOUS;
		if (!ok && !s->stopped)
			continue;
		a = &sc->accesses[ref];
		end = a->ipa + a->size < a->ipa ? UINT64_MAX : a->ipa + a->size;
		if (s->stopped) {
			const struct s2mt_query_entry *q;

			for (cur = a->ipa; cur < end; cur = q->ipa + q->size) {
				q = layout_at(r, cur);
				if (!q || !q->mapped)
					break;
			}
			end = cur < end ? cur : end;
		}
		if (ext[ref].used) {
			/* The same access run again: the farther reach. */
			if (a->ipa < ext[ref].start)
				ext[ref].start = a->ipa;
			if (end > ext[ref].end)
				ext[ref].end = end;
		} else {
			ext[ref] = (struct extent){ true, a->ipa, end };
		}
	}
}

static void type_name(const struct s2mt_effective *e, char *buf, size_t len)
{
	if (e->status)
		snprintf(buf, len, "reserved");
	else
		s2mt_memtype_name(&e->mt, buf, len);
}

static void add_named_type(struct seg *g, const char *name,
			   const struct s2mt_effective *e, int acc)
{
	unsigned t;

	for (t = 0; t < g->nr_types; t++)
		if (!strcmp(g->types[t].name, name))
			break;
	if (t == g->nr_types) {
		if (t == MAX_TYPES) {
			g->more_types = true;
			return;
		}
		memset(&g->types[t], 0, sizeof(g->types[t]));
		snprintf(g->types[t].name, sizeof(g->types[t].name), "%s",
			 name);
		g->types[t].eff = *e;
		g->nr_types++;
	}
	if (acc >= 0)
		g->types[t].acc[acc / 64] |= 1ULL << (acc % 64);
}

static void add_type(struct seg *g, const struct s2mt_effective *e, int acc)
{
	char name[40];

	type_name(e, name, sizeof(name));
	add_named_type(g, name, e, acc);
}

/*
 * x86 (docs/x86.md): the guest's x86 type through KVM x86's leaf, by its
 * x86 name; drawn as the Arm type of the same kind (cacheable as Normal-WB,
 * write-combining as Normal-NC, uncached as Device).
 */
static void add_x86_type(const struct run *r, struct seg *g,
			 const struct s2mt_leaf *leaf,
			 const struct s2mt_s1attr *s1, int acc)
{
	struct s2mt_x86_leaf x;
	struct s2mt_effective eff;
	struct s2mt_s2attr s2 = { .sh = S2MT_SH_ISH };
	struct s2mt_s1attr wb = { .enabled = true, .mair = 0xff };
	unsigned mt;

	run_x86_leaf(r, leaf->pa, &x);
	mt = s2mt_x86_effective(&x, run_x86_guest_pat(s1));
	s2.memattr = s2mt_x86_mt_cacheable(mt)			? 0xF
		: (mt == S2MT_X86_WC || mt == S2MT_X86_WC_PLUS) ? 0x5
								: 0x0;
	s2mt_combine(wb, s2, false, &eff);
	add_named_type(g, s2mt_x86_mt_name(mt), &eff, acc);
}

/* Same drawing: same entry, same "assumed", the same set of types. */
static bool same_look(const struct seg *a, const struct seg *b)
{
	if (a->q != b->q || a->assumed != b->assumed ||
	    a->nr_types != b->nr_types || a->ipa + a->size != b->ipa)
		return false;
	for (unsigned i = 0; i < a->nr_types; i++) {
		unsigned j;

		for (j = 0; j < b->nr_types; j++)
			if (!strcmp(a->types[i].name, b->types[j].name))
				break;
		if (j == b->nr_types)
			return false;
	}
	return true;
}

struct seglist {
	struct seg *v;
	size_t n, cap;
};

static struct seg *seg_push(struct seglist *l, uint64_t ipa, uint64_t size,
			    const struct s2mt_query_entry *q)
{
	struct seg *g;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct seg *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			abort();
		l->v = v;
		l->cap = cap;
	}
	g = &l->v[l->n++];
	memset(g, 0, sizeof(*g));
	g->ipa = ipa;
	g->size = size;
	g->q = q;
	return g;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Adds g's range and accesses to p, which looks the same. */
static void merge_into(struct seg *p, const struct seg *g)
{
	for (unsigned t = 0; t < g->nr_types; t++)
		for (unsigned u = 0; u < p->nr_types; u++)
			if (!strcmp(p->types[u].name, g->types[t].name))
				for (int w = 0; w < ACC_WORDS; w++)
					p->types[u].acc[w] |=
						g->types[t].acc[w];
	p->size += g->size;
}

/*
 * A mapped entry cut where the accesses that reached it differ, at its
 * leaves' boundaries: an access types the whole leaf it touched (the
 * guest maps a leaf's worth of memory one way), the rest of the entry
 * is "assumed".
 */
static void mapped_segments(const struct run *r, const struct extent *ext,
			    const struct s2mt_query_entry *q, uint64_t lo,
			    uint64_t hi, struct seglist *out)
{
	static const struct s2mt_s1attr wb = { .enabled = true,
					       .mair = 0xff,
					       .sh = S2MT_SH_ISH };
	struct s2mt_s2attr s2 = { .memattr = q->leaf.memattr,
				  .sh = q->leaf.sh };
	uint64_t unit = q->leaf.size, *cut;
	struct extent *lf = calloc(SC_MAX_ACCESSES, sizeof(*lf));
	size_t nr_cut = 0;

	cut = malloc(sizeof(*cut) * (2 * SC_MAX_ACCESSES + 2));
	if (!cut || !lf)
		abort();
	if (!unit || (hi - lo) % unit || (lo - q->ipa) % unit)
		unit = hi - lo;
	cut[nr_cut++] = lo;
	cut[nr_cut++] = hi;
	/* Each access's reach, rounded out to whole leaves. */
	for (size_t a = 0; a < SC_MAX_ACCESSES; a++) {
		uint64_t s, e;

		if (!ext[a].used || ext[a].end <= lo || ext[a].start >= hi)
			continue;
		s = ext[a].start > lo ? ext[a].start : lo;
		e = ext[a].end < hi ? ext[a].end : hi;
		lf[a].used = true;
		lf[a].start = lo + (s - lo) / unit * unit;
		lf[a].end = lo + (e - lo + unit - 1) / unit * unit;
		cut[nr_cut++] = lf[a].start;
		cut[nr_cut++] = lf[a].end;
	}
	qsort(cut, nr_cut, sizeof(*cut), cmp_u64);
	for (size_t i = 0; i + 1 < nr_cut; i++) {
		uint64_t s = cut[i], e = cut[i + 1];
		struct seg *g;

		if (s == e)
			continue;
		g = seg_push(out, s, e - s, q);
		/* The cuts hold every reach's ends: a reach covers [s, e)
		 * or misses it. */
		for (size_t a = 0; a < SC_MAX_ACCESSES; a++) {
			struct s2mt_effective eff;

			if (!lf[a].used || lf[a].start > s || lf[a].end < e)
				continue;
			if (run_is_x86(r)) {
				add_x86_type(r, g, &q->leaf,
					     &r->sc->accesses[a].s1, (int)a);
				continue;
			}
			run_access_effective(r, &r->sc->accesses[a], &q->leaf,
					     &eff);
			add_type(g, &eff, (int)a);
		}
		if (!g->nr_types && run_is_x86(r)) {
			add_x86_type(r, g, &q->leaf, &wb, -1);
			g->assumed = true;
		} else if (!g->nr_types) {
			struct s2mt_effective eff;

			s2mt_combine(wb, s2, r->host.caps.fwb, &eff);
			add_type(g, &eff, -1);
			g->assumed = true;
		}
		if (out->n > 1 && same_look(&out->v[out->n - 2], g)) {
			merge_into(&out->v[out->n - 2], g);
			out->n--;
		}
	}
	free(lf);
	free(cut);
}

static int cmp_entry(const void *a, const void *b)
{
	const struct s2mt_query_entry *x = *(const void *const *)a,
				      *y = *(const void *const *)b;

	return x->ipa < y->ipa ? -1 : x->ipa > y->ipa;
}

/* A slot's sub-ranges in address order, covering it exactly. */
static void slot_segments(const struct run *r, const struct extent *ext,
			  const struct s2mt_memslot *s, struct seglist *out)
{
	const struct s2mt_query_entry **e =
		calloc(r->nr_layout + 1, sizeof(*e));
	uint64_t end = s->gpa + s->size, cur = s->gpa;
	size_t n = 0;

	if (!e)
		abort();
	out->n = 0;
	for (size_t k = 0; k < r->nr_layout; k++)
		if (r->layout[k].ipa >= s->gpa && r->layout[k].ipa < end &&
		    r->layout[k].size)
			e[n++] = &r->layout[k];
	qsort(e, n, sizeof(*e), cmp_entry);
	for (size_t k = 0; k < n; k++) {
		uint64_t lo = e[k]->ipa, hi = e[k]->ipa + e[k]->size;

		if (hi > end || hi < lo)
			hi = end;
		if (lo < cur)
			lo = cur;
		if (lo >= hi)
			continue;
		if (lo > cur)
			seg_push(out, cur, lo - cur, NULL);
		if (e[k]->mapped)
			mapped_segments(r, ext, e[k], lo, hi, out);
		else
			seg_push(out, lo, hi - lo, e[k]);
		cur = hi;
	}
	if (cur < end)
		seg_push(out, cur, end - cur, NULL);
	free(e);
}

/*
 * A slot's band height: 14 px per doubling of its size (a 4 KiB slot
 * would be 14 px), at least BAND_MIN_H so its labels fit. Stated on the
 * picture.
 */
static double band_height(uint64_t size)
{
	double h = 14.0 * (log2((double)size) - 11.0);

	return h < BAND_MIN_H ? BAND_MIN_H : h;
}

/*
 * Inside a band, heights are linear in bytes, except that every
 * sub-range gets at least SEG_MIN_H (draw_slot() makes the band tall
 * enough) so a 4 KiB page in a 16 GiB slot is still seen; the rest share
 * what is left in proportion.
 */
static void seg_heights(struct seg *g, size_t n, double h)
{
	double min = n * SEG_MIN_H > h ? h / (double)n : SEG_MIN_H;
	bool *fixed = calloc(n ? n : 1, sizeof(*fixed));
	bool again = true;

	if (!fixed)
		abort();
	while (again) {
		double room = h, bytes = 0;

		again = false;
		for (size_t i = 0; i < n; i++) {
			if (fixed[i])
				room -= min;
			else
				bytes += (double)g[i].size;
		}
		for (size_t i = 0; i < n; i++) {
			if (fixed[i]) {
				g[i].h = min;
				continue;
			}
			g[i].h = bytes > 0 ? room * (double)g[i].size / bytes
					   : min;
			if (g[i].h < min) {
				fixed[i] = true;
				again = true;
			}
		}
	}
	free(fixed);
}

static void s1_name(const struct s2mt_s1attr *s1, char *buf, size_t len)
{
	struct s2mt_memtype mt;

	if (!s1->enabled)
		snprintf(buf, len, "off");
	else if (s2mt_mair_decode(s1->mair, &mt))
		snprintf(buf, len, "MAIR 0x%02x", s1->mair);
	else
		s2mt_memtype_name(&mt, buf, len);
}

static void append(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

/* The first line of a sub-range's label: where, how big, what is there. */
static void seg_head(const struct run *r, const struct seg *g, unsigned digits,
		     char *buf, size_t len)
{
	char a[32], b[32], size[32], what[96] = "no VMA behind it", leaf[24];
	const struct s2mt_query_entry *q = g->q;

	fmt_addr(g->ipa, digits, a, sizeof(a));
	fmt_addr(g->ipa + g->size, digits, b, sizeof(b));
	fmt_size(g->size, size, sizeof(size));
	snprintf(buf, len, "%s-%s (%s) ", a, b, size);
	if (!q) {
		append(buf, len,
		       "not in the runner's layout (it keeps %d "
		       "sub-ranges)",
		       RUN_MAX_LAYOUT);
		return;
	}
	if (q->has_vma)
		s2mt_vma_describe(&r->host, &q->vma, what, sizeof(what));
	if (!q->mapped) {
		append(buf, len, "%s: not mapped", what);
		return;
	}
	sc_format_size(q->leaf.size, leaf, sizeof(leaf));
	if (q->leaf.size && g->size % q->leaf.size == 0) {
		uint64_t n = g->size / q->leaf.size;

		append(buf, len, "%s: mapped, %llu x %s %s", what,
		       (unsigned long long)n, leaf, n == 1 ? "leaf" : "leaves");
	} else {
		append(buf, len, "%s: mapped, %llu x %s leaves", what,
		       (unsigned long long)q->nr_leaves, leaf);
	}
}

/* The second: what the guest gets there, and from which accesses. */
static void seg_types(const struct run *r, const struct seg *g, char *buf,
		      size_t len)
{
	const struct s2mt_query_entry *q = g->q;
	char s2[40];

	buf[0] = '\0';
	if (!q)
		return;
	if (!q->mapped) {
		append(buf, len, "no stage-2 leaf");
		if (q->has_policy && !q->policy.err && run_is_x86(r)) {
			append(buf, len, "; a read fault would map it (%s)",
			       q->policy.rule ? q->policy.rule : "?");
		} else if (q->has_policy && !q->policy.err) {
			s2mt_s2_name(s2mt_prot_memattr(q->policy.prot,
						       r->host.caps.fwb),
				     r->host.caps.fwb, s2, sizeof(s2));
			append(buf, len, "; a read fault would map %s (%s)", s2,
			       q->policy.rule ? q->policy.rule : "?");
		} else if (q->has_policy) {
			append(buf, len, "; a read fault gets %s (%s)",
			       s2mt_errno_name(-q->policy.err),
			       q->policy.rule ? q->policy.rule : "?");
		}
		return;
	}
	run_leaf_name(r, &q->leaf, s2, sizeof(s2));
	append(buf, len, "stage 2 %s", s2);
	if (g->assumed) {
		append(buf, len,
		       " -> %s, assuming a guest Normal-WB stage 1: no access "
		       "touched this range",
		       g->types[0].name);
		return;
	}
	for (unsigned t = 0; t < g->nr_types; t++) {
		unsigned named = 0, more = 0;

		append(buf, len, "%s -> %s for", t ? ";" : "",
		       g->types[t].name);
		for (size_t a = 0; a < SC_MAX_ACCESSES; a++) {
			const struct sc_access *ac = &r->sc->accesses[a];
			char s1[40];

			if (!(g->types[t].acc[a / 64] & (1ULL << (a % 64))))
				continue;
			if (named == MAX_NAMED) {
				more++;
				continue;
			}
			s1_name(&ac->s1, s1, sizeof(s1));
			append(buf, len, "%s %s (stage 1 %s)", named ? "," : "",
			       ac->name, s1);
			named++;
		}
		if (more)
			append(buf, len, " and %u more", more);
	}
	if (g->more_types)
		append(buf, len, "; and further types");
}

static void rect(FILE *f, double x, double y, double w, double h,
		 const char *fill)
{
	fprintf(f,
		"<rect x=\"%.1f\" y=\"%.2f\" width=\"%.1f\" height=\"%.2f\" "
		"fill=\"%s\"/>\n",
		x, y, w, h, fill);
}

/* A sub-range in the band: one column per type, hatch, dots, tags. */
static void draw_seg(FILE *f, const struct seg *g, const char *title)
{
	unsigned n = g->q && g->q->mapped ? g->nr_types : 0;
	double cw = BAR_W / (double)(n ? n : 1);

	fputs("<g><title>", f);
	esc(f, title);
	fputs("</title>\n", f);
	if (!n)
		rect(f, BAR_X, g->y, BAR_W, g->h, swatch[CAT_UNMAPPED].fill);
	for (unsigned t = 0; t < n; t++) {
		const struct s2mt_effective *e = &g->types[t].eff;
		unsigned c = cat_of(e);
		const char *tag = tag_of(e);
		double x = BAR_X + t * cw;
		char url[32];

		rect(f, x, g->y, cw, g->h, swatch[c].fill);
		if (swatch[c].pattern) {
			snprintf(url, sizeof(url), "url(#%s)",
				 swatch[c].pattern);
			rect(f, x, g->y, cw, g->h, url);
		}
		if (g->assumed)
			rect(f, x, g->y, cw, g->h, "url(#" PAT_ASSUMED ")");
		if (t)
			fprintf(f,
				"<line x1=\"%.1f\" y1=\"%.2f\" x2=\"%.1f\" "
				"y2=\"%.2f\" stroke=\"#ffffff\" "
				"stroke-width=\"2\"/>\n",
				x, g->y, x, g->y + g->h);
		if (tag && g->h >= 15) {
			double tw = map_text_width(tag, 10, true);

			if (tw + 8 <= cw) {
				double tx = x + (cw - tw) / 2,
				       ty = g->y + g->h / 2 + 3.5;

				fprintf(f,
					"<rect x=\"%.1f\" y=\"%.2f\" "
					"width=\"%.1f\" height=\"13\" "
					"rx=\"3\" fill=\"#ffffff\" "
					"stroke=\"#000000\" "
					"stroke-width=\"0.5\"/>\n",
					tx - 3, ty - 10, tw + 6);
				text(f, tx, ty, 10, true, "#000000", tag);
			}
		}
	}
	/* A thin white rule keeps neighbouring sub-ranges apart. */
	fprintf(f,
		"<line x1=\"%d\" y1=\"%.2f\" x2=\"%d\" y2=\"%.2f\" "
		"stroke=\"#ffffff\" stroke-width=\"0.6\"/>\n",
		BAR_X, g->y, BAR_X + BAR_W, g->y);
	fputs("</g>\n", f);
}

/* Hazards go on top of the band, so a neighbour does not hide them, and
 * just outside the range, so they do not hide its colour. */
static void draw_hazard_outline(FILE *f, const struct seg *g)
{
	fprintf(f,
		"<rect x=\"%.1f\" y=\"%.2f\" width=\"%.1f\" height=\"%.2f\" "
		"fill=\"none\" stroke=\"" HAZARD_RED
		"\" stroke-width=\"3\" stroke-dasharray=\"7 3\"/>\n",
		BAR_X - 4.5, g->y - 4.5, BAR_W + 9.0, g->h + 9.0);
}

/* Draws one slot at y; returns the bottom of all it drew. */
static double draw_slot(FILE *f, const struct run *r,
			const struct s2mt_memslot *s, struct seglist *segs,
			unsigned digits, double y)
{
	double h = band_height(s->size), next = y, left, bottom;
	uint64_t mapped = 0;
	char buf[1024], b2[1024], size[32];
	bool stretched = false;

	/* Too many sub-ranges for the band's scale: rather than squash them
	 * below SEG_MIN_H (or the big ones to the size of the small), the
	 * band grows, and says so. */
	if (segs->n * SEG_MIN_H > 0.75 * h) {
		h = ceil(segs->n * SEG_MIN_H / 0.75);
		stretched = true;
	}
	seg_heights(segs->v, segs->n, h);
	for (size_t i = 0; i < segs->n; i++) {
		segs->v[i].y = (i ? segs->v[i - 1].y + segs->v[i - 1].h : y);
		if (segs->v[i].q && segs->v[i].q->mapped)
			mapped += segs->v[i].size;
	}

	/* The left column: start, slot, how much is mapped, flags, end. */
	fmt_addr(s->gpa, digits, buf, sizeof(buf));
	text(f, MARGIN, y + 12, 12, false, "#212121", buf);
	fmt_size(s->size, size, sizeof(size));
	snprintf(buf, sizeof(buf), "slot %u, %s", s->slot, size);
	left = para(f, MARGIN, y + 12 + LINE_H, LEFT_W, 12, true, "#212121",
		    buf);
	fmt_part(mapped, s->size, buf, sizeof(buf));
	left = para(f, MARGIN, left + LINE_H, LEFT_W, 12, false, "#212121",
		    buf);
	if (s->flags &
	    (KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY |
	     KVM_MEM_GUEST_MEMFD)) {
		snprintf(buf, sizeof(buf), "%s%s%s",
			 s->flags & KVM_MEM_LOG_DIRTY_PAGES ? "dirty logging "
							    : "",
			 s->flags & KVM_MEM_READONLY ? "read-only " : "",
			 s->flags & KVM_MEM_GUEST_MEMFD ? "guest_memfd " : "");
		left = para(f, MARGIN, left + LINE_H, LEFT_W, 12, false,
			    "#616161", buf);
	}
	if (stretched) {
		snprintf(buf, sizeof(buf),
			 "band taller than its scale: %zu sub-ranges", segs->n);
		left = para(f, MARGIN, left + LINE_H, LEFT_W, 12, false,
			    "#616161", buf);
	}
	left += LINE_H;
	if (left < y + h - 3)
		left = y + h - 3;
	fmt_addr(s->gpa + s->size, digits, buf, sizeof(buf));
	text(f, MARGIN, left, 12, false, "#757575", buf);
	bottom = left + 4;

	/* The band, then its frame and hazards on top. */
	for (size_t i = 0; i < segs->n; i++) {
		seg_head(r, &segs->v[i], digits, buf, sizeof(buf));
		seg_types(r, &segs->v[i], b2, sizeof(b2));
		append(buf, sizeof(buf), "%s%s", b2[0] ? ". " : "", b2);
		draw_seg(f, &segs->v[i], buf);
	}
	fprintf(f,
		"<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" "
		"fill=\"none\" stroke=\"#424242\" stroke-width=\"1\"/>\n",
		BAR_X, y, BAR_W, h);
	for (size_t i = 0; i < segs->n; i++)
		if (segs->v[i].q && segs->v[i].q->hazards)
			draw_hazard_outline(f, &segs->v[i]);

	/* Labels, stacked down the right; a leader line finds the range. */
	for (size_t i = 0; i < segs->n; i++) {
		const struct seg *g = &segs->v[i];
		double want = g->y + 11, at = want > next ? want : next;
		double end;
		uint32_t hz = g->q ? g->q->hazards : 0;

		/* Level with the label where the range reaches it, else
		 * from the range's nearest point. */
		end = at - 4 < g->y	       ? g->y + g->h / 2
			: at - 4 > g->y + g->h ? g->y + g->h / 2
					       : at - 4;
		fprintf(f,
			"<polyline points=\"%d,%.2f %d,%.2f %d,%.2f\" "
			"fill=\"none\" stroke=\"#9e9e9e\" "
			"stroke-width=\"1\"/>\n",
			BAR_X + BAR_W + 3, end, BAR_X + BAR_W + 10, end,
			TEXT_X - 4, at - 4);
		seg_head(r, g, digits, buf, sizeof(buf));
		at = para(f, TEXT_X, at, TEXT_W, 12, false, "#212121", buf);
		seg_types(r, g, buf, sizeof(buf));
		if (buf[0])
			at = para(f, TEXT_X, at + LINE_H, TEXT_W, 12, false,
				  "#424242", buf);
		for (unsigned z = S2MT_Z1; z <= S2MT_Z8; z++) {
			if (!(hz & S2MT_HAZARD_BIT(z)))
				continue;
			snprintf(buf, sizeof(buf), "%s: %s",
				 s2mt_hazard_name(z), s2mt_hazard_title(z));
			at = para(f, TEXT_X, at + LINE_H, TEXT_W, 12, true,
				  HAZARD_RED, buf);
		}
		next = at + LINE_H + 5;
		if (at + 4 > bottom)
			bottom = at + 4;
	}
	return bottom > y + h ? bottom : y + h;
}

static double draw_legend(FILE *f, const struct run *r, double y)
{
	char buf[128];

	text(f, MARGIN, y, 14, true, "#212121", "Legend");
	y += 12;
	for (unsigned c = 0; c < CAT_NR; c++) {
		fprintf(f,
			"<rect x=\"%d\" y=\"%.1f\" width=\"32\" height=\"18\" "
			"fill=\"%s\" stroke=\"#757575\" "
			"stroke-width=\"0.5\"/>\n",
			MARGIN, y, swatch[c].fill);
		if (swatch[c].pattern)
			fprintf(f,
				"<rect x=\"%d\" y=\"%.1f\" width=\"32\" "
				"height=\"18\" fill=\"url(#%s)\"/>\n",
				MARGIN, y, swatch[c].pattern);
		text(f, MARGIN + 42, y + 14, 12, false, "#212121",
		     swatch[c].label);
		text(f, MARGIN + 190, y + 14, 12, false, "#616161",
		     swatch[c].about);
		y += 25;
	}
	/* The marks that go over a colour. */
	fprintf(f,
		"<rect x=\"%d\" y=\"%.1f\" width=\"32\" height=\"18\" "
		"fill=\"%s\"/>\n"
		"<rect x=\"%d\" y=\"%.1f\" width=\"32\" height=\"18\" "
		"fill=\"url(#" PAT_ASSUMED ")\" stroke=\"#757575\" "
		"stroke-width=\"0.5\"/>\n",
		MARGIN, y, swatch[CAT_WB].fill, MARGIN, y);
	text(f, MARGIN + 42, y + 14, 12, false, "#212121", "dotted");
	text(f, MARGIN + 190, y + 14, 12, false, "#616161",
	     "mapped, but no access touched it: the colour assumes a guest "
	     "Normal-WB stage 1");
	y += 25;
	fprintf(f,
		"<rect x=\"%d\" y=\"%.1f\" width=\"16\" height=\"18\" "
		"fill=\"%s\"/>\n"
		"<rect x=\"%d\" y=\"%.1f\" width=\"16\" height=\"18\" "
		"fill=\"%s\"/>\n"
		"<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
		"stroke=\"#ffffff\" stroke-width=\"2\"/>\n",
		MARGIN, y, swatch[CAT_WB].fill, MARGIN + 16, y,
		swatch[CAT_NC].fill, MARGIN + 16, y, MARGIN + 16, y + 18);
	text(f, MARGIN + 42, y + 14, 12, false, "#212121", "split");
	text(f, MARGIN + 190, y + 14, 12, false, "#616161",
	     "accesses with different stage-1 attributes got different "
	     "types: one column each");
	y += 25;
	fprintf(f,
		"<rect x=\"%d\" y=\"%.1f\" width=\"32\" height=\"18\" "
		"fill=\"#ffffff\" stroke=\"" HAZARD_RED
		"\" stroke-width=\"3\" stroke-dasharray=\"7 3\"/>\n",
		MARGIN + 1, y + 1);
	text(f, MARGIN + 42, y + 14, 12, false, "#212121", "hazard");
	text(f, MARGIN + 190, y + 14, 12, false, "#616161",
	     "dashed red outline; Z1..Z8 (s2mt explain Z1) named on the "
	     "range");
	y += 25;
	snprintf(buf, sizeof(buf), "%zu hazard finding(s) in all",
		 r->nr_hazards);
	text(f, MARGIN, y + 14, 12, false, "#424242", buf);
	return y + 20;
}

/* Hex digits of every address: the VM's IPA space, or more if a slot
 * ends beyond it. */
static unsigned addr_digits(const struct run *r)
{
	unsigned bits = r->vm && r->vm->ipa_bits ? r->vm->ipa_bits : 40;
	unsigned digits = (bits + 3) / 4;

	for (size_t i = 0; r->vm && i < r->vm->nr_slots; i++) {
		uint64_t end = r->vm->slots[i].gpa + r->vm->slots[i].size;

		while (digits < 16 && (end >> (4 * digits)))
			digits++;
	}
	return digits < 8 ? 8 : digits;
}

static void write_body(FILE *f, const struct run *r, double *height)
{
	const struct scenario *sc = r->sc;
	struct extent *ext = calloc(SC_MAX_ACCESSES, sizeof(*ext));
	struct seglist segs = { 0 };
	unsigned digits = addr_digits(r);
	char buf[1024], caps[64], size[32];
	double y;
	size_t i;

	if (!ext)
		abort();
	real_accesses(r, ext);
	y = para(f, MARGIN, 32, W - 2 * MARGIN, 20, true, "#212121",
		 "Guest physical address space");
	y = para(f, MARGIN, y + 24, W - 2 * MARGIN, 15, true, "#212121",
		 sc->name[0] ? sc->name : sc->file);
	snprintf(caps, sizeof(caps), "%s%s%s", r->host.caps.fwb ? " FWB" : "",
		 r->host.caps.dic ? " DIC" : "",
		 r->host.caps.mte ? " MTE" : "");
	snprintf(buf, sizeof(buf), "host %s (%s), kernel era %s",
		 r->host.preset, caps[0] ? caps + 1 : "no FWB, DIC or MTE",
		 s2mt_era_name(r->era));
	if (r->vm)
		append(buf, sizeof(buf), ", %u-bit IPA space, %zu memslot%s",
		       r->vm->ipa_bits, r->vm->nr_slots,
		       r->vm->nr_slots == 1 ? "" : "s");
	else
		append(buf, sizeof(buf), ", no VM created");
	y = para(f, MARGIN, y + 22, W - 2 * MARGIN, 12, false, "#424242", buf);
	y = para(f, MARGIN, y + LINE_H, W - 2 * MARGIN, 12, false, "#424242",
		 "Colour: the type the guest effectively got, from each "
		 "access's own stage-1 attribute combined with the stage-2 "
		 "leaf (A3/A4). Mapped ranges no access touched (dotted) "
		 "assume a guest Normal-WB stage 1.");
	snprintf(buf, sizeof(buf),
		 "Sizes: each memslot is a band whose height is a log scale "
		 "of its size (14 px per doubling, at least %d px, taller "
		 "where it says so); inside a band, sub-ranges are linear in "
		 "bytes (each at least %.0f px); gaps between slots are not "
		 "to scale. Addresses are guest physical, start-end with the "
		 "end exclusive.",
		 BAND_MIN_H, SEG_MIN_H);
	y = para(f, MARGIN, y + LINE_H, W - 2 * MARGIN, 12, false, "#424242",
		 buf);
	y += 28;

	if (!r->vm || !r->vm->nr_slots) {
		text(f, MARGIN, y + 14, 14, false, "#424242",
		     "no memslots registered");
		y += 40;
	}
	for (i = 0; r->vm && i < r->vm->nr_slots; i++) {
		const struct s2mt_memslot *s = &r->vm->slots[i];

		if (i) {
			const struct s2mt_memslot *p = &r->vm->slots[i - 1];
			uint64_t pend = p->gpa + p->size;

			if (s->gpa > pend) {
				fmt_size(s->gpa - pend, size, sizeof(size));
				snprintf(buf, sizeof(buf),
					 "gap of %s without a memslot (guest "
					 "accesses exit to the VMM as MMIO); "
					 "not to scale",
					 size);
				text(f, BAR_X + 16, y + GAP_H / 2.0 + 4, 11,
				     false, "#757575", buf);
				/* The address axis goes on, compressed. */
				fprintf(f,
					"<line x1=\"%d\" y1=\"%.1f\" "
					"x2=\"%d\" y2=\"%.1f\" "
					"stroke=\"#616161\" "
					"stroke-dasharray=\"3 3\"/>\n",
					BAR_X + 6, y + 2, BAR_X + 6,
					y + GAP_H - 2);
			}
			y += GAP_H;
		}
		slot_segments(r, ext, s, &segs);
		y = draw_slot(f, r, s, &segs, digits, y);
	}
	y = draw_legend(f, r, y + 40);
	*height = y + MARGIN;
	free(segs.v);
	free(ext);
}

static int write_svg(FILE *f, const struct run *r)
{
	char *body = NULL;
	size_t len = 0;
	double height = 0;
	FILE *m = open_memstream(&body, &len);

	/* The height is known once everything is placed: the body is
	 * written first, then the header with it. */
	if (!m)
		return -1;
	write_body(m, r, &height);
	if (fclose(m)) {
		free(body);
		return -1;
	}
	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%.0f\" viewBox=\"0 0 %d %.0f\">\n",
		W, ceil(height), W, ceil(height));
	defs(f);
	fputs("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n", f);
	fwrite(body, 1, len, f);
	fputs("</svg>\n", f);
	free(body);
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
