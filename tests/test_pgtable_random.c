// SPDX-License-Identifier: MIT
/*
 * Randomized differential test of the stage-2 page table: thousands of
 * random map / unmap / relax_perms / restrict_perms operations (some with
 * injected out-of-memory) in a 40-bit IPA space, clustered in three
 * windows, against a flat reference (IPA page -> PA, perm, MemAttr).
 *
 * The seed is printed; S2MT_TEST_SEED=<number> replays or changes it and
 * S2MT_TEST_OPS=<n> changes the number of operations per configuration.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "support/a1.h"

#include "support/rng.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <s2mt/core.h>

#include "support/recording_ops.h"

#define SZ_4K 0x1000ull
#define SZ_2M 0x200000ull
#define SZ_1G 0x40000000ull
#define IPA_BITS 40

/* A1, as SPEC.md states it. */
#define A1_S2AP_R (1ull << 6)
#define A1_S2AP_W (1ull << 7)

#define R S2MT_PROT_R
#define W S2MT_PROT_W
#define X S2MT_PROT_X

static uint64_t g_seed;
static unsigned long g_op;
static const char *g_cfg;

#define expect(cond, ...)                                                      \
	do {                                                                   \
		if (!(cond)) {                                                 \
			char m_[768];                                          \
			snprintf(m_, sizeof(m_), __VA_ARGS__);                 \
			fail_msg("%s:%d: [%s seed=%#" PRIx64 " op=%lu] "       \
				 "expected %s: %s",                            \
				 __FILE__, __LINE__, g_cfg, g_seed, g_op,      \
				 #cond, m_);                                   \
		}                                                              \
	} while (0)

/* ---- PRNG (splitmix64) ---- */

/* ---- expected values (SPEC A1, A3, A4) ---- */

static uint8_t exp_memattr(unsigned type, bool fwb, uint8_t raw)
{
	switch (type) {
	case S2MT_MT_NORMAL:
		return fwb ? 0x6 : 0xf;
	case S2MT_MT_NORMAL_NC:
		return 0x5;
	case S2MT_MT_DEVICE:
		return 0x1;
	case S2MT_MT_AS_S1:
		return fwb ? 0x7 : 0xf;
	default:
		return raw;
	}
}

/* K3: Device (0b00xx, FWB 0b0xx) or Normal-NC (0x5, FWB 0b101) */
static bool memattr_noexec(uint8_t ma, bool fwb)
{
	if (fwb)
		return !(ma & 4) || ma == 0x5;
	return !(ma & 0xc) || ma == 0x5;
}

/* ---- the reference ---- */

struct ref_page {
	uint64_t pa;
	uint8_t valid, perm, memattr;
};

struct window {
	uint64_t base, size;
	struct ref_page *pg;
};

#define NR_WIN 3

struct world {
	struct rec_env env;
	struct s2mt_pgt pgt;
	struct s2mt_pgt_cfg cfg;
	struct window win[NR_WIN];
	uint64_t nr_start;
	uint64_t valid_pages;
	/* A vCPU's run of faults: the next page to map, how many are left,
	 * and what with (gen_op()). */
	uint64_t run_ipa, run_pa, run_left;
	struct s2mt_prot run_prot;
	unsigned long ops, maps, unmaps, relaxes, restricts, ooms, refusals;
	unsigned long cursor_maps; /* maps into an empty entry at a cursor */
};

static struct ref_page *ref_at(struct world *w, uint64_t ipa)
{
	int i;

	for (i = 0; i < NR_WIN; i++)
		if (ipa >= w->win[i].base &&
		    ipa - w->win[i].base < w->win[i].size)
			return &w->win[i].pg[(ipa - w->win[i].base) >> 12];
	return NULL;
}

/* ---- operations ---- */

enum op_kind { OP_MAP, OP_UNMAP, OP_RELAX, OP_RESTRICT };

struct op {
	enum op_kind kind;
	uint64_t ipa, size, pa, max_leaf;
	struct s2mt_prot prot;
	unsigned perm; /* relax / restrict */
};

static void gen_range(struct world *w, struct op *op)
{
	unsigned r = (unsigned)rnd_below(100);
	const struct window *win;
	uint64_t pages, start;

	if (r < 90) {
		unsigned wr = (unsigned)rnd_below(10);

		win = &w->win[wr < 2 ? 0 : wr < 8 ? 1 : 2];
	} else {
		win = &w->win[rnd_below(2) ? 1 : 2];
	}
	r = (unsigned)rnd_below(100);
	if (r < 10) {
		/* one aligned leaf, a stage-2 fault's map (the single-entry
		 * path of s2mt_pgt_map) */
		uint64_t size = r < 6		     ? SZ_4K
			: r < 9 || win->size < SZ_1G ? SZ_2M
						     : SZ_1G;

		pages = size >> 12;
		start = win->base + rnd_below(win->size / size) * size;
	} else if (r < 50) {
		/* small, random 4K alignment */
		pages = rnd_below(4) ? 1 + rnd_below(16) : 1 + rnd_below(1024);
		start = win->base + (rnd_below(win->size >> 12) << 12);
	} else if (r < 82) {
		/* around 2M blocks */
		pages = (1 + rnd_below(6)) * 512;
		start = win->base + (rnd_below(win->size / SZ_2M) * SZ_2M);
		if (rnd_below(3) == 0) {
			uint64_t d = 1 + rnd_below(8);

			if (start - win->base >= d * SZ_4K) {
				start -= d * SZ_4K;
				pages += d;
			}
		}
		if (rnd_below(3) == 0)
			pages += 1 + rnd_below(8);
	} else if (r < 94 && win->size >= SZ_1G) {
		/* around 1G blocks */
		pages = SZ_1G >> 12;
		start = win->base + rnd_below(win->size / SZ_1G) * SZ_1G;
		if (rnd_below(4) == 0) {
			pages -= 512 * (1 + rnd_below(4));
			start += SZ_2M * rnd_below(2);
		}
	} else {
		/* large, random alignment */
		pages = 1 + rnd_below(65536);
		start = win->base + (rnd_below(win->size >> 12) << 12);
	}
	if (start + pages * SZ_4K > win->base + win->size)
		pages = (win->base + win->size - start) >> 12;
	op->ipa = start;
	op->size = pages * SZ_4K;
}

static void gen_op(struct world *w, struct op *op)
{
	unsigned r = (unsigned)rnd_below(100);
	static const unsigned types[] = { S2MT_MT_NORMAL,    S2MT_MT_NORMAL,
					  S2MT_MT_NORMAL_NC, S2MT_MT_DEVICE,
					  S2MT_MT_AS_S1,     S2MT_MT_RAW };
	uint64_t m;

	memset(op, 0, sizeof(*op));
	if (!w->run_left && rnd_below(1000) < 15) {
		/* A run of single-page maps from a random page on, as a
		 * vCPU's faults come: after the first, each page goes into a
		 * level-3 table that exists (the cursor path). */
		const struct window *win = &w->win[rnd_below(NR_WIN)];

		w->run_left = 1 + rnd_below(32);
		w->run_ipa = win->base +
			rnd_below(win->size / SZ_4K - w->run_left) * SZ_4K;
		w->run_pa = (1 + rnd_below(1 << 24)) * SZ_2M +
			(w->run_ipa & (SZ_2M - 1));
		w->run_prot = (struct s2mt_prot){ .type = S2MT_MT_NORMAL,
						  .perm = R | W };
	}
	if (w->run_left) {
		op->kind = OP_MAP;
		op->ipa = w->run_ipa;
		op->size = SZ_4K;
		op->pa = w->run_pa;
		op->prot = w->run_prot;
		op->max_leaf = SZ_4K;
		w->run_ipa += SZ_4K;
		w->run_pa += SZ_4K;
		w->run_left--;
		return;
	}
	gen_range(w, op);
	if (r < 50) {
		op->kind = OP_MAP;
		m = rnd_below(100);
		if (m < 60)
			op->pa = (1 + rnd_below(60000)) * SZ_1G +
				(op->ipa & (SZ_1G - 1));
		else if (m < 80)
			op->pa = (1 + rnd_below(1 << 24)) * SZ_2M +
				(op->ipa & (SZ_2M - 1));
		else
			op->pa = rnd_below(1ull << 34) << 12;
		op->prot.type = (uint8_t)types[rnd_below(6)];
		if (op->prot.type == S2MT_MT_RAW) {
			/* cacheable WT/WB mixes, or Device/NC */
			static const uint8_t raw_nofwb[] = { 0xa, 0xb, 0xe,
							     0xf, 0x0, 0x3 };
			static const uint8_t raw_fwb[] = { 0x6, 0x7, 0x0, 0x2 };

			op->prot.memattr = w->cfg.fwb ? raw_fwb[rnd_below(4)]
						      : raw_nofwb[rnd_below(6)];
		}
		op->prot.perm = (uint8_t)(1 + rnd_below(7));
		if ((op->prot.perm & X) &&
		    memattr_noexec(exp_memattr(op->prot.type, w->cfg.fwb,
					       op->prot.memattr),
				   w->cfg.fwb) &&
		    rnd_below(10))
			op->prot.perm &= (uint8_t)~X;
		if (!op->prot.perm)
			op->prot.perm = R;
		m = rnd_below(100);
		op->max_leaf = m < 50 ? 0
			: m < 65      ? SZ_1G
			: m < 85      ? SZ_2M
				      : SZ_4K;
		if (op->max_leaf == SZ_4K && op->size > 64 * SZ_2M)
			op->max_leaf = SZ_2M;
	} else if (r < 75) {
		op->kind = OP_UNMAP;
	} else if (r < 88) {
		op->kind = OP_RELAX;
		op->perm = (unsigned)(1 + rnd_below(7));
	} else {
		op->kind = OP_RESTRICT;
		op->perm = (unsigned)(1 + rnd_below(7));
	}
}

static bool range_has_noexec(struct world *w, uint64_t ipa, uint64_t size)
{
	uint64_t a;

	for (a = ipa; a < ipa + size; a += SZ_4K) {
		struct ref_page *p = ref_at(w, a);

		if (p->valid && memattr_noexec(p->memattr, w->cfg.fwb))
			return true;
	}
	return false;
}

/* The expected result, and the reference updated when it is 0. */
static int ref_apply(struct world *w, const struct op *op, bool commit)
{
	uint64_t a;
	uint8_t ma;

	switch (op->kind) {
	case OP_MAP:
		ma = exp_memattr(op->prot.type, w->cfg.fwb, op->prot.memattr);
		if ((op->prot.perm & X) && memattr_noexec(ma, w->cfg.fwb))
			return -S2MT_EINVAL;
		if (!commit)
			return 0;
		for (a = 0; a < op->size; a += SZ_4K) {
			struct ref_page *p = ref_at(w, op->ipa + a);

			w->valid_pages += !p->valid;
			p->valid = 1;
			p->pa = op->pa + a;
			p->perm = op->prot.perm;
			p->memattr = ma;
		}
		return 0;
	case OP_UNMAP:
		if (!commit)
			return 0;
		for (a = 0; a < op->size; a += SZ_4K) {
			struct ref_page *p = ref_at(w, op->ipa + a);

			w->valid_pages -= p->valid;
			p->valid = 0;
		}
		return 0;
	case OP_RELAX:
	case OP_RESTRICT:
		if (!commit)
			return 0;
		for (a = 0; a < op->size; a += SZ_4K) {
			struct ref_page *p = ref_at(w, op->ipa + a);

			if (!p->valid)
				continue;
			if (op->kind == OP_RELAX)
				p->perm |= (uint8_t)op->perm;
			else
				p->perm &= (uint8_t)~op->perm;
		}
		return 0;
	}
	return 0;
}

static int pgt_apply(struct world *w, const struct op *op)
{
	switch (op->kind) {
	case OP_MAP:
		/* Half of them prepared first: the same results (the ranges
		 * here are valid, so the prot is all there is to refuse). A
		 * page, three times in four, the way a fault handler maps it:
		 * the lookup's cursor, then the map at it. */
		if (op->size == SZ_4K && rnd_below(4)) {
			struct s2mt_pgt_prepared prep;
			struct s2mt_pgt_cursor cur;
			uint64_t desc;
			unsigned level;
			int err = s2mt_pgt_prepare(&w->pgt, op->prot, &prep);

			if (err)
				return err;
			s2mt_pgt_get_leaf_cursor(&w->pgt, op->ipa, &desc,
						 &level, &cur);
			w->cursor_maps += cur.ptep != NULL;
			return s2mt_pgt_map_page_at(&w->pgt, &cur, op->pa,
						    &prep);
		}
		if (rnd_below(2)) {
			struct s2mt_pgt_prepared prep;
			int err = s2mt_pgt_prepare(&w->pgt, op->prot, &prep);

			return err ? err
				   : s2mt_pgt_map_prepared(&w->pgt, op->ipa,
							   op->size, op->pa,
							   &prep, op->max_leaf);
		}
		return s2mt_pgt_map(&w->pgt, op->ipa, op->size, op->pa,
				    op->prot, op->max_leaf);
	case OP_UNMAP:
		return s2mt_pgt_unmap(&w->pgt, op->ipa, op->size);
	case OP_RELAX:
		return s2mt_pgt_relax_perms(&w->pgt, op->ipa, op->size,
					    op->perm);
	case OP_RESTRICT:
		return s2mt_pgt_restrict_perms(&w->pgt, op->ipa, op->size,
					       op->perm);
	}
	return -1;
}

static const char *op_name(enum op_kind k)
{
	static const char *const n[] = { "map", "unmap", "relax", "restrict" };

	return n[k];
}

static void op_describe(const struct op *op, char *buf, size_t len)
{
	snprintf(buf, len,
		 "%s ipa=%#" PRIx64 " size=%#" PRIx64 " pa=%#" PRIx64
		 " type=%u memattr=%#x perm=%u max_leaf=%#" PRIx64
		 " perm_arg=%u",
		 op_name(op->kind), op->ipa, op->size, op->pa, op->prot.type,
		 op->prot.memattr, op->prot.perm, op->max_leaf, op->perm);
}

/* ---- checks ---- */

static void check_page(struct world *w, uint64_t ipa, const char *what)
{
	struct ref_page *p = ref_at(w, ipa);
	struct s2mt_leaf l;
	int rc = s2mt_pgt_lookup(&w->pgt, ipa, &l);
	uint64_t want;

	if (!p->valid) {
		expect(rc == -S2MT_ENOENT,
		       "%s: ipa %#" PRIx64 " should be unmapped: rc %d, "
		       "leaf L%u pa %#" PRIx64,
		       what, ipa, rc, rc ? 0u : l.level, rc ? 0 : l.pa);
		return;
	}
	expect(rc == 0, "%s: ipa %#" PRIx64 " not mapped: %d", what, ipa, rc);
	expect(l.level >= 1 && l.level <= 3 &&
		       l.size == s2mt_level_size(l.level) && l.ipa <= ipa &&
		       ipa - l.ipa < l.size,
	       "%s: ipa %#" PRIx64 ": leaf L%u ipa %#" PRIx64, what, ipa,
	       l.level, l.ipa);
	expect(l.pa + (ipa - l.ipa) == p->pa,
	       "%s: ipa %#" PRIx64 " -> pa %#" PRIx64 ", reference %#" PRIx64,
	       what, ipa, l.pa + (ipa - l.ipa), p->pa);
	want = exp_leaf(l.pa, p->perm, p->memattr, l.level);
	expect(l.desc == want,
	       "%s: ipa %#" PRIx64 ": desc %#018" PRIx64 ", want %#018" PRIx64
	       " (perm %u memattr %#x)",
	       what, ipa, l.desc, want, p->perm, p->memattr);
	expect(s2mt_leaf_prot(&l, w->cfg.fwb).perm == p->perm,
	       "%s: ipa %#" PRIx64 ": s2mt_leaf_prot perm %u, want %u", what,
	       ipa, s2mt_leaf_prot(&l, w->cfg.fwb).perm, p->perm);
}

/* The pages of the op's range and its neighbours. */
static void check_range(struct world *w, const struct op *op, const char *what)
{
	uint64_t pages = op->size >> 12, i;
	uint64_t lo = op->ipa, hi = op->ipa + op->size;

	if (ref_at(w, lo - SZ_4K))
		check_page(w, lo - SZ_4K, what);
	if (ref_at(w, hi))
		check_page(w, hi, what);
	if (pages <= 4096) {
		for (i = 0; i < pages; i++)
			check_page(w, lo + i * SZ_4K, what);
		return;
	}
	for (i = 0; i < 16; i++) {
		check_page(w, lo + i * SZ_4K, what);
		check_page(w, hi - (i + 1) * SZ_4K, what);
	}
	for (i = 0; i < 512; i++)
		check_page(w, lo + rnd_below(pages) * SZ_4K, what);
}

/* After a map: its leaves are the largest the alignment allows. */
struct leaf_list {
	struct s2mt_walk_entry *e;
	size_t n, cap;
};

static int collect(const struct s2mt_walk_entry *e, void *arg)
{
	struct leaf_list *l = arg;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 1024;
		l->e = realloc(l->e, l->cap * sizeof(*l->e));
		if (!l->e)
			abort();
	}
	l->e[l->n++] = *e;
	return 0;
}

static void check_map_leaves(struct world *w, const struct op *op,
			     struct leaf_list *ll)
{
	static const uint64_t sizes[] = { SZ_1G, SZ_2M, SZ_4K };
	uint64_t ipa = op->ipa, pa = op->pa, left = op->size;
	size_t n = 0;
	int rc;

	ll->n = 0;
	rc = s2mt_pgt_walk(&w->pgt, op->ipa, op->size, S2MT_WALK_LEAF, collect,
			   ll);
	expect(rc == 0, "walk: %d", rc);
	while (left) {
		uint64_t s = SZ_4K;
		size_t i;

		for (i = 0; i < 3; i++) {
			s = sizes[i];
			if (op->max_leaf && s > op->max_leaf)
				continue;
			if (((ipa | pa) & (s - 1)) || s > left)
				continue;
			break;
		}
		expect(n < ll->n, "map: fewer leaves than expected");
		expect(ll->e[n].ipa == ipa && ll->e[n].size == s &&
			       !ll->e[n].table,
		       "map leaf %zu: ipa %#" PRIx64 " size %#" PRIx64
		       ", want ipa %#" PRIx64 " size %#" PRIx64,
		       n, ll->e[n].ipa, ll->e[n].size, ipa, s);
		n++;
		ipa += s;
		pa += s;
		left -= s;
	}
	expect(n == ll->n, "map: %zu leaves, want %zu", ll->n, n);
}

struct full_state {
	struct world *w;
	uint64_t mapped, tables;
	/* table stack for the pre/post pairing: entry and child count */
	struct {
		uint64_t ipa;
		unsigned level, children;
	} stack[4];
	int depth;
	char err[512];
};

static int full_visit(const struct s2mt_walk_entry *e, void *arg)
{
	struct full_state *st = arg;
	struct world *w = st->w;
	struct ref_page *p;
	uint64_t off, leaf_pa, want;

	if (e->table) {
		if (st->depth > 0 && st->stack[st->depth - 1].ipa == e->ipa &&
		    st->stack[st->depth - 1].level == e->level) {
			/* post */
			if (!st->stack[st->depth - 1].children) {
				snprintf(st->err, sizeof(st->err),
					 "empty L%u table left at %#" PRIx64,
					 e->level + 1, e->ipa);
				return 1;
			}
			st->depth--;
			return 0;
		}
		if (st->depth > 0)
			st->stack[st->depth - 1].children++;
		if (st->depth >= 4) {
			snprintf(st->err, sizeof(st->err), "walk nesting");
			return 1;
		}
		if ((e->desc & ~A1_OA_MASK) != 3 ||
		    !rec_is_live(&w->env, e->desc & A1_OA_MASK)) {
			snprintf(st->err, sizeof(st->err),
				 "table entry at %#" PRIx64 " L%u: %#018" PRIx64
				 " (attribute bits, or not a live page)",
				 e->ipa, e->level, e->desc);
			return 1;
		}
		st->stack[st->depth].ipa = e->ipa;
		st->stack[st->depth].level = e->level;
		st->stack[st->depth].children = 0;
		st->depth++;
		st->tables++;
		return 0;
	}
	if (st->depth > 0)
		st->stack[st->depth - 1].children++;
	p = ref_at(w, e->ipa);
	if (!p || !ref_at(w, e->ipa + e->size - SZ_4K)) {
		snprintf(st->err, sizeof(st->err),
			 "leaf at %#" PRIx64 " size %#" PRIx64
			 " outside the windows",
			 e->ipa, e->size);
		return 1;
	}
	leaf_pa = e->desc & A1_OA_MASK & ~(e->size - 1);
	want = exp_leaf(leaf_pa, p->perm, p->memattr, e->level);
	if (e->desc != want) {
		snprintf(st->err, sizeof(st->err),
			 "leaf at %#" PRIx64 " L%u: desc %#018" PRIx64
			 ", reference wants %#018" PRIx64,
			 e->ipa, e->level, e->desc, want);
		return 1;
	}
	for (off = 0; off < e->size; off += SZ_4K) {
		p = ref_at(w, e->ipa + off);
		if (!p->valid || p->pa != leaf_pa + off ||
		    exp_leaf(leaf_pa, p->perm, p->memattr, e->level) != want) {
			snprintf(st->err, sizeof(st->err),
				 "leaf at %#" PRIx64 " L%u: page %#" PRIx64
				 " maps %#" PRIx64 " with %#018" PRIx64
				 "; reference valid %u pa %#" PRIx64
				 " perm %u memattr %#x",
				 e->ipa, e->level, e->ipa + off, leaf_pa + off,
				 want, p->valid, p->pa, p->perm, p->memattr);
			return 1;
		}
	}
	st->mapped += e->size >> 12;
	return 0;
}

static void check_full(struct world *w)
{
	struct full_state st = { .w = w };
	int rc;

	rc = s2mt_pgt_walk(&w->pgt, 0, 1ull << IPA_BITS,
			   S2MT_WALK_LEAF | S2MT_WALK_TABLE_PRE |
				   S2MT_WALK_TABLE_POST,
			   full_visit, &st);
	expect(rc == 0, "full walk: %s", st.err);
	expect(st.depth == 0, "walk: table pre/post unbalanced");
	expect(st.mapped == w->valid_pages,
	       "%" PRIu64 " pages mapped, reference %" PRIu64, st.mapped,
	       w->valid_pages);
	expect(w->env.live_pages == w->nr_start + st.tables,
	       "%" PRIu64 " pages live, but %" PRIu64 " start + %" PRIu64
	       " reachable tables: leak or use of freed table",
	       w->env.live_pages, w->nr_start, st.tables);
	expect(w->env.bad_calls == 0, "mm_ops misuse: %s", w->env.bad_msg);
	expect(!w->pgt.stats.prepare_misses && !w->pgt.stats.prepare_leftovers,
	       "prepare/commit miscounted: %" PRIu64 " misses, %" PRIu64
	       " leftovers",
	       w->pgt.stats.prepare_misses, w->pgt.stats.prepare_leftovers);
	expect(w->pgt.stats.tables_allocated - w->pgt.stats.tables_freed ==
		       st.tables,
	       "stats: %" PRIu64 " - %" PRIu64 " tables, %" PRIu64 " reachable",
	       w->pgt.stats.tables_allocated, w->pgt.stats.tables_freed,
	       st.tables);
}

/* The op's CMO events by (type, pa, size), each with the index of its
 * first occurrence: the core cleans exactly the leaf it installs. */
struct cmo_seen {
	uint64_t key_pa, key_size;
	size_t first;
	uint8_t type, used;
};
static struct cmo_seen *g_cmo;
static size_t g_cmo_cap, g_cmo_mask; /* the op's table: mask + 1 entries */

static size_t cmo_slot(uint8_t t, uint64_t pa, uint64_t size)
{
	uint64_t h = (pa ^ (size * 0x9e3779b97f4a7c15ull) ^ t) *
		0xbf58476d1ce4e5b9ull;

	return (size_t)(h >> 20) & g_cmo_mask;
}

static void cmo_index(const struct world *w)
{
	size_t want = 64;

	while (want < 2 * w->env.log_len)
		want *= 2;
	if (want > g_cmo_cap) {
		free(g_cmo);
		g_cmo = malloc(want * sizeof(*g_cmo));
		assert_non_null(g_cmo);
		g_cmo_cap = want;
	}
	g_cmo_mask = want - 1;
	memset(g_cmo, 0, want * sizeof(*g_cmo));
	for (size_t i = 0; i < w->env.log_len; i++) {
		const struct rec_event *e = &w->env.log[i];
		size_t j;

		if (e->type != REC_EV_DCACHE && e->type != REC_EV_ICACHE)
			continue;
		for (j = cmo_slot(e->type, e->addr, e->size); g_cmo[j].used;
		     j = (j + 1) & g_cmo_mask)
			if (g_cmo[j].type == e->type &&
			    g_cmo[j].key_pa == e->addr &&
			    g_cmo[j].key_size == e->size)
				break;
		if (!g_cmo[j].used)
			g_cmo[j] = (struct cmo_seen){ .key_pa = e->addr,
						      .key_size = e->size,
						      .first = i,
						      .type = e->type,
						      .used = 1 };
	}
}

/* Whether an earlier event of the op's log, of type t, covers [pa, +size):
 * one of exactly that range, else any that covers it. */
static bool log_covers(const struct world *w, size_t before, uint8_t t,
		       uint64_t pa, uint64_t size)
{
	for (size_t j = cmo_slot(t, pa, size); g_cmo[j].used;
	     j = (j + 1) & g_cmo_mask)
		if (g_cmo[j].type == t && g_cmo[j].key_pa == pa &&
		    g_cmo[j].key_size == size && g_cmo[j].first < before)
			return true;
	for (size_t i = 0; i < before; i++) {
		const struct rec_event *e = &w->env.log[i];

		if (e->type == t && e->addr <= pa &&
		    e->addr + e->size >= pa + size)
			return true;
	}
	return false;
}

/* A1: a valid leaf at the level (a page at 3: 0b11; a block: 0b01). */
static bool a1_leaf(uint64_t d, unsigned level)
{
	return (d & A1_VALID) && (level == 3) == !!(d & A1_TABLE);
}

/*
 * K5, from the log: a leaf that appears with a new output (not a
 * permission change in place) is cleaned first when cacheable without FWB,
 * and a leaf that becomes executable without DIC has its I-cache
 * invalidated first. Only the configurations that log PTE stores.
 */
static size_t check_k5(const struct world *w, char *msg, size_t len)
{
	static const uint64_t xn_mask = 3ull << 53;
	static const uint64_t perm_bits = A1_S2AP_R | A1_S2AP_W | xn_mask;
	size_t bad = 0;

	cmo_index(w);
	for (size_t i = 0; i < w->env.log_len; i++) {
		const struct rec_event *e = &w->env.log[i];
		uint64_t d = e->new_desc, old = e->old_desc, size, pa;
		bool in_place;
		uint8_t ma;

		if (e->type != REC_EV_PTE_STORE)
			continue;
		if (!a1_leaf(d, e->level))
			continue;
		in_place = a1_leaf(old, e->level) && !((old ^ d) & ~perm_bits);
		size = e->level == 3 ? SZ_4K : e->level == 2 ? SZ_2M : SZ_1G;
		pa = d & A1_OA_MASK & ~(size - 1);
		ma = (uint8_t)A1_MEMATTR(d);
		if (!w->cfg.fwb && !in_place && !memattr_noexec(ma, false) &&
		    !log_covers(w, i, REC_EV_DCACHE, pa, size) && !bad++)
			snprintf(msg, len,
				 "cacheable leaf %#018" PRIx64
				 " at IPA %#" PRIx64
				 " installed without a D-cache clean",
				 d, e->addr);
		if (!w->cfg.dic && !(d & xn_mask) &&
		    (!in_place || (old & xn_mask)) &&
		    !log_covers(w, i, REC_EV_ICACHE, pa, size) && !bad++)
			snprintf(msg, len,
				 "executable leaf %#018" PRIx64
				 " at IPA %#" PRIx64
				 " without an I-cache invalidation",
				 d, e->addr);
	}
	return bad;
}

static void check_log(struct world *w, const struct op *op)
{
	char msg[512], desc[256];
	size_t n = rec_check_bbm(&w->env, 0, w->cfg.vmid, msg, sizeof(msg));

	if (!n)
		n = check_k5(w, msg, sizeof(msg));

	if (n) {
		size_t to = w->env.log_len < 40 ? w->env.log_len : 40;

		op_describe(op, desc, sizeof(desc));
		print_message("%s\n", desc);
		rec_log_print(&w->env, stdout, 0, to);
	}
	expect(n == 0, "%zu BBM/TLBI/K5 violations, first: %s", n, msg);
}

/* ---- the run ---- */

/* The run's state, freed by the teardown also when an expect fails. */
static struct world *g_world;
static struct leaf_list g_ll;

static int teardown(void **state)
{
	struct world *w = g_world;
	int i;

	(void)state;
	if (w) {
		rec_env_fini(&w->env);
		for (i = 0; i < NR_WIN; i++)
			free(w->win[i].pg);
		free(w);
	}
	free(g_ll.e);
	free(g_cmo);
	g_cmo = NULL;
	g_cmo_cap = 0;
	g_world = NULL;
	memset(&g_ll, 0, sizeof(g_ll));
	return 0;
}

static void run(const char *name, bool fwb, bool dic,
		const struct s2mt_mm_ops *ops, uint64_t pa_offset,
		unsigned long nr_ops)
{
	struct world *w;
	struct leaf_list *ll = &g_ll;
	char desc[256];
	int i;

	teardown(NULL);
	w = g_world = calloc(1, sizeof(*w));
	assert_non_null(w);
	g_cfg = name;
	g_op = 0;
	rng_state = g_seed ^ (fwb ? 0x1234 : 0) ^ (dic ? 0x5678 : 0) ^
		(ops == &rec_ops_nostore ? 0x9abc : 0);
	w->win[0].base = 0;
	w->win[0].size = 256ull << 20;
	w->win[1].base = (1ull << 39) - 2 * SZ_1G;
	w->win[1].size = 4 * SZ_1G;
	w->win[2].base = (1ull << IPA_BITS) - SZ_1G;
	w->win[2].size = SZ_1G;
	for (i = 0; i < NR_WIN; i++) {
		w->win[i].pg =
			calloc(w->win[i].size >> 12, sizeof(struct ref_page));
		assert_non_null(w->win[i].pg);
	}
	w->cfg.ipa_bits = IPA_BITS;
	w->cfg.pa_bits = 48;
	w->cfg.start_level = S2MT_START_AUTO;
	w->cfg.fwb = fwb;
	w->cfg.dic = dic;
	w->cfg.vmid = 3;
	rec_env_init(&w->env);
	rec_env_set_pa_offset(&w->env, pa_offset);
	expect(s2mt_pgt_init(&w->pgt, &w->cfg, ops, &w->env) == 0, "init");
	w->nr_start = w->env.live_pages;

	for (g_op = 0; g_op < nr_ops; g_op++) {
		struct op op;
		int want, rc;
		uint64_t live = w->env.live_pages;
		bool inject = rnd_below(100) < 5;

		gen_op(w, &op);
		if (op.kind == OP_RELAX && (op.perm & X) &&
		    range_has_noexec(w, op.ipa, op.size)) {
			op.perm &= ~X;
			if (!op.perm)
				op.perm = W;
		}
		want = ref_apply(w, &op, false);
		op_describe(&op, desc, sizeof(desc));
		rec_log_reset(&w->env);
		if (inject)
			rec_fail_nth(&w->env, rnd_below(3));
		rc = pgt_apply(w, &op);
		rec_fail_clear(&w->env);
		if (inject && rc == -S2MT_ENOMEM) {
			w->ooms++;
			check_log(w, &op);
			expect(w->env.live_pages == live,
			       "%s: -ENOMEM but %" PRId64 " pages leaked", desc,
			       (int64_t)(w->env.live_pages - live));
			check_range(w, &op,
				    "after -ENOMEM (must be unchanged)");
			rec_log_reset(&w->env);
			rc = pgt_apply(w, &op);
		}
		expect(rc == want, "%s: returned %d (%s), want %d; why=%s",
		       desc, rc, s2mt_errno_name(rc < 0 ? -rc : rc), want,
		       w->pgt.why ? w->pgt.why : "-");
		check_log(w, &op);
		if (rc == 0) {
			ref_apply(w, &op, true);
		} else {
			w->refusals++;
			expect(rec_count(&w->env, REC_EV_PTE_STORE) == 0 &&
				       w->env.live_pages == live,
			       "%s: refused but changed the table", desc);
		}
		switch (op.kind) {
		case OP_MAP:
			w->maps++;
			if (rc == 0)
				check_map_leaves(w, &op, ll);
			break;
		case OP_UNMAP:
			w->unmaps++;
			break;
		case OP_RELAX:
			w->relaxes++;
			break;
		case OP_RESTRICT:
			w->restricts++;
			break;
		}
		check_range(w, &op, desc);
		if (g_op % 250 == 249)
			check_full(w);
	}
	check_full(w);
	print_message(
		"  %s: %lu maps (%lu at a cursor), %lu unmaps, %lu relax, "
		"%lu restrict, %lu -ENOMEM retried, %lu K3 refusals; "
		"%" PRIu64 " pages mapped, %" PRIu64 " tables live\n",
		name, w->maps, w->cursor_maps, w->unmaps, w->relaxes,
		w->restricts, w->ooms, w->refusals, w->valid_pages,
		w->env.live_pages - w->nr_start);
	/* The fault API must have been held to the reference. */
	if (ops->p2v_linear && nr_ops >= 1000)
		expect(w->cursor_maps >= 20, "only %lu maps at a cursor",
		       w->cursor_maps);

	/* unmap everything: only the start tables remain */
	for (i = 0; i < NR_WIN; i++) {
		struct op op = { .kind = OP_UNMAP,
				 .ipa = w->win[i].base,
				 .size = w->win[i].size };

		rec_log_reset(&w->env);
		expect(pgt_apply(w, &op) == 0, "final unmap");
		check_log(w, &op);
		ref_apply(w, &op, true);
	}
	check_full(w);
	expect(w->env.live_pages == w->nr_start,
	       "%" PRIu64 " pages live after unmapping everything",
	       w->env.live_pages);
	s2mt_pgt_destroy(&w->pgt);
	expect(w->env.alloc_pages == w->env.free_pages,
	       "destroy: %" PRIu64 " allocated, %" PRIu64 " freed",
	       w->env.alloc_pages, w->env.free_pages);
	expect(w->env.live_pages == 0, "leak");
	teardown(NULL);
}

static unsigned long nr_ops(void)
{
	return (unsigned long)env_u64("S2MT_TEST_OPS", 2000);
}

static void test_random_differential_no_fwb(void **state)
{
	(void)state;
	run("fwb=0 dic=0 rec_ops identity", false, false, &rec_ops, 0,
	    nr_ops());
}

/* The linear map (the single-entry path of a fault's map) with every K5
 * hook due. */
static void test_random_differential_no_fwb_linear(void **state)
{
	(void)state;
	run("fwb=0 dic=0 rec_ops_linear pa=va+2^47", false, false,
	    &rec_ops_linear, REC_PA_OFFSET, nr_ops());
}

static void test_random_differential_fwb_dic(void **state)
{
	(void)state;
	run("fwb=1 dic=1 rec_ops_linear pa=va+2^47", true, true,
	    &rec_ops_linear, REC_PA_OFFSET, nr_ops());
}

/* Without the optional pte_store hook (the implementation may take
 * faster paths then): results only, no BBM log. */
static void test_random_differential_no_store_hook(void **state)
{
	(void)state;
	run("fwb=1 dic=1 rec_ops_nostore pa=va+2^47", true, true,
	    &rec_ops_nostore, REC_PA_OFFSET, nr_ops());
	run("fwb=0 dic=1 rec_ops_nostore identity", false, true,
	    &rec_ops_nostore, 0, nr_ops() / 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_random_differential_no_fwb,
					  teardown),
		cmocka_unit_test_teardown(
			test_random_differential_no_fwb_linear, teardown),
		cmocka_unit_test_teardown(test_random_differential_fwb_dic,
					  teardown),
		cmocka_unit_test_teardown(
			test_random_differential_no_store_hook, teardown),
	};

	g_seed = env_u64("S2MT_TEST_SEED", 0x5eed2025);
	print_message("test_pgtable_random: seed %#" PRIx64
		      " (S2MT_TEST_SEED to change, S2MT_TEST_OPS=%lu)\n",
		      g_seed, nr_ops());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
