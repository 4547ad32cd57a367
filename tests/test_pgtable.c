// SPDX-License-Identifier: MIT
/*
 * Unit tests of the stage-2 page table (src/core/pgtable.c), derived from
 * SPEC.md (A1..A4, K3, K5) and the contract in include/s2mt/core.h, not
 * from the implementation. Descriptor and register bits are written here
 * as SPEC.md states them, not through the header's macros.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "support/a1.h"

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

/* A1, as SPEC.md states it. */
#define A1_S2AP_R (1ull << 6)
#define A1_S2AP_W (1ull << 7)

#define R S2MT_PROT_R
#define W S2MT_PROT_W
#define X S2MT_PROT_X
#define RW (S2MT_PROT_R | S2MT_PROT_W)

#include "support/expect.h"

/* ------------------------------------------------------------------ */
/* Expected values, from SPEC.md                                       */
/* ------------------------------------------------------------------ */

/* A3/A4 values of the named types; RAW is written as given. */
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

static struct s2mt_prot prot_make(unsigned perm, unsigned type)
{
	struct s2mt_prot p = { .perm = (uint8_t)perm, .type = (uint8_t)type };

	return p;
}

static struct s2mt_prot prot_raw(unsigned perm, uint8_t memattr)
{
	struct s2mt_prot p = {
		.perm = (uint8_t)perm,
		.type = S2MT_MT_RAW,
		.memattr = memattr,
	};

	return p;
}

static uint64_t exp_leaf_prot(uint64_t pa, struct s2mt_prot prot, bool fwb,
			      unsigned level)
{
	return exp_leaf(pa, prot.perm,
			exp_memattr(prot.type, fwb, prot.memattr), level);
}

static bool is_table(uint64_t d, unsigned level)
{
	return level < 3 && (d & 3) == 3;
}

static bool is_leaf(uint64_t d, unsigned level)
{
	return level == 3 ? (d & 3) == 3 : (level > 0 && (d & 3) == 1);
}

static unsigned level_of_size(uint64_t size)
{
	return size == SZ_1G ? 1 : size == SZ_2M ? 2 : 3;
}

/* The leaves s2mt_pgt_map must create: the largest of 1G/2M/4K that the
 * alignment of IPA and PA allows, capped by max_leaf (header contract). */
struct xleaf {
	uint64_t ipa, pa, size;
	unsigned level;
};

static size_t greedy(uint64_t ipa, uint64_t size, uint64_t pa,
		     uint64_t max_leaf, struct xleaf *out, size_t max)
{
	static const uint64_t sizes[] = { SZ_1G, SZ_2M, SZ_4K };
	size_t n = 0, i;

	while (size) {
		uint64_t s = SZ_4K;

		for (i = 0; i < 3; i++) {
			s = sizes[i];
			if (max_leaf && s > max_leaf)
				continue;
			if (((ipa | pa) & (s - 1)) || s > size)
				continue;
			break;
		}
		if (n < max) {
			out[n].ipa = ipa;
			out[n].pa = pa;
			out[n].size = s;
			out[n].level = level_of_size(s);
		}
		n++;
		ipa += s;
		pa += s;
		size -= s;
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* Fixture                                                             */
/* ------------------------------------------------------------------ */

struct fx {
	struct rec_env env;
	struct s2mt_pgt pgt;
	struct s2mt_pgt_cfg cfg;
	uint64_t nr_start;
};

static struct s2mt_pgt_cfg cfg_make(unsigned ipa_bits, bool fwb, bool dic)
{
	struct s2mt_pgt_cfg c = {
		.ipa_bits = ipa_bits,
		.pa_bits = 48,
		.start_level = S2MT_START_AUTO,
		.fwb = fwb,
		.dic = dic,
		.vmid16 = false,
		.vmid = 7,
	};

	return c;
}

/* Fixtures not yet finished: a failed expect leaves them behind; the group
 * teardown frees their pages so that LeakSanitizer reports real leaks only.
 * (Fixtures are static, so they outlive the failed test's frame.) */
#define MAX_LIVE_FX 8
static struct fx *live_fx[MAX_LIVE_FX];

static void fx_track(struct fx *f, bool live)
{
	size_t i;

	for (i = 0; i < MAX_LIVE_FX; i++)
		if (live_fx[i] == (live ? NULL : f)) {
			live_fx[i] = live ? f : NULL;
			return;
		}
}

static int free_live_fixtures(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < MAX_LIVE_FX; i++)
		if (live_fx[i]) {
			rec_env_fini(&live_fx[i]->env);
			live_fx[i] = NULL;
		}
	return 0;
}

/* ops: rec_ops, rec_ops_linear or rec_ops_nostore; pa_offset 0 (identity)
 * or REC_PA_OFFSET (required by rec_ops_linear). */
static void fx_init_ops(struct fx *f, struct s2mt_pgt_cfg cfg,
			const struct s2mt_mm_ops *ops, uint64_t pa_offset)
{
	fx_track(f, false);
	memset(f, 0, sizeof(*f));
	f->cfg = cfg;
	rec_env_init(&f->env);
	fx_track(f, true);
	rec_env_set_pa_offset(&f->env, pa_offset);
	expect_rc(s2mt_pgt_init(&f->pgt, &f->cfg, ops, &f->env), 0);
	f->nr_start = f->env.live_pages;
	expect(f->pgt.pgd_pa == (uint64_t)(uintptr_t)f->pgt.pgd + pa_offset,
	       "pgd_pa %#" PRIx64 " is not virt_to_phys(pgd %p)", f->pgt.pgd_pa,
	       (void *)f->pgt.pgd);
	rec_log_reset(&f->env);
}

static void fx_init_cfg(struct fx *f, struct s2mt_pgt_cfg cfg)
{
	fx_init_ops(f, cfg, &rec_ops, 0);
}

static void fx_init(struct fx *f, unsigned ipa_bits, bool fwb, bool dic)
{
	fx_init_cfg(f, cfg_make(ipa_bits, fwb, dic));
}

static void fx_fini(struct fx *f)
{
	uint64_t leaked;

	expect(!f->pgt.stats.prepare_misses && !f->pgt.stats.prepare_leftovers,
	       "prepare/commit miscounted: %" PRIu64 " misses, %" PRIu64
	       " leftovers",
	       f->pgt.stats.prepare_misses, f->pgt.stats.prepare_leftovers);
	s2mt_pgt_destroy(&f->pgt);
	expect(f->env.bad_calls == 0, "mm_ops misuse: %s", f->env.bad_msg);
	expect(f->env.alloc_pages == f->env.free_pages,
	       "after destroy: %" PRIu64 " pages allocated, %" PRIu64 " freed",
	       f->env.alloc_pages, f->env.free_pages);
	leaked = rec_env_fini(&f->env);
	fx_track(f, false);
	expect(leaked == 0, "%" PRIu64 " pages leaked", leaked);
}

static void show_log(const struct fx *f, size_t from)
{
	size_t to = f->env.log_len;

	if (to - from > 60)
		to = from + 60;
	print_message("log (%zu events):\n", f->env.log_len);
	rec_log_print(&f->env, stdout, from, to);
}

/* The BBM/TLBI discipline of the log since from (one operation). */
static void check_bbm(const struct fx *f, size_t from)
{
	char msg[512];
	size_t n = rec_check_bbm(&f->env, from, f->cfg.vmid, msg, sizeof(msg));

	if (n)
		show_log(f, from);
	expect(n == 0, "%zu BBM/TLBI violation(s), first: %s", n, msg);
	expect(f->env.bad_calls == 0, "mm_ops misuse: %s", f->env.bad_msg);
}

static void map_ok(struct fx *f, uint64_t ipa, uint64_t size, uint64_t pa,
		   struct s2mt_prot prot, uint64_t max_leaf)
{
	size_t from = f->env.log_len;
	int rc = s2mt_pgt_map(&f->pgt, ipa, size, pa, prot, max_leaf);

	expect(rc == 0,
	       "map ipa=%#" PRIx64 " size=%#" PRIx64 " pa=%#" PRIx64
	       " perm=%u type=%u: %d (%s) why=%s",
	       ipa, size, pa, prot.perm, prot.type, rc, s2mt_errno_name(-rc),
	       f->pgt.why ? f->pgt.why : "-");
	check_bbm(f, from);
}

static void unmap_ok(struct fx *f, uint64_t ipa, uint64_t size)
{
	size_t from = f->env.log_len;
	int rc = s2mt_pgt_unmap(&f->pgt, ipa, size);

	expect(rc == 0, "unmap ipa=%#" PRIx64 " size=%#" PRIx64 ": %d (%s)",
	       ipa, size, rc, s2mt_errno_name(-rc));
	check_bbm(f, from);
}

/* The leaf at ipa is exactly (level, base pa, prot). */
static void expect_leaf_at(const struct fx *f, uint64_t ipa, unsigned level,
			   uint64_t leaf_pa, struct s2mt_prot prot)
{
	struct s2mt_leaf l;
	uint64_t size = s2mt_level_size(level);
	uint64_t want = exp_leaf_prot(leaf_pa, prot, f->cfg.fwb, level);
	int rc = s2mt_pgt_lookup(&f->pgt, ipa, &l);

	expect(rc == 0, "lookup %#" PRIx64 ": %d (%s)", ipa, rc,
	       s2mt_errno_name(-rc));
	expect(l.level == level && l.size == size,
	       "lookup %#" PRIx64 ": level %u size %#" PRIx64 ", want level %u",
	       ipa, l.level, l.size, level);
	expect(l.ipa == (ipa & ~(size - 1)),
	       "lookup %#" PRIx64 ": leaf ipa %#" PRIx64, ipa, l.ipa);
	expect(l.pa == leaf_pa,
	       "lookup %#" PRIx64 ": pa %#" PRIx64 ", want %#" PRIx64, ipa,
	       l.pa, leaf_pa);
	expect(l.desc == want,
	       "lookup %#" PRIx64 ": desc %#018" PRIx64 ", want %#018" PRIx64,
	       ipa, l.desc, want);
	{
		uint64_t d = 0;
		unsigned lv = 0;

		expect_rc(s2mt_pgt_get_leaf(&f->pgt, ipa, &d, &lv), 0);
		expect(d == want && lv == level,
		       "get_leaf %#" PRIx64 ": %#018" PRIx64 " L%u", ipa, d,
		       lv);
	}
}

static void expect_unmapped(const struct fx *f, uint64_t ipa)
{
	struct s2mt_leaf l;
	int rc = s2mt_pgt_lookup(&f->pgt, ipa, &l);

	expect(rc == -S2MT_ENOENT,
	       "lookup %#" PRIx64 ": %d, want -ENOENT (leaf L%u pa %#" PRIx64
	       ")",
	       ipa, rc, rc ? 0 : l.level, rc ? 0 : l.pa);
	{
		uint64_t d = 0;
		unsigned lv = 0;

		expect_rc(s2mt_pgt_get_leaf(&f->pgt, ipa, &d, &lv),
			  -S2MT_ENOENT);
	}
}

/* ---- full walk dumps ---- */

struct dump {
	struct s2mt_walk_entry *e;
	size_t n, cap;
};

static int dump_visit(const struct s2mt_walk_entry *e, void *arg)
{
	struct dump *d = arg;

	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 256;
		d->e = realloc(d->e, d->cap * sizeof(*d->e));
		if (!d->e)
			abort();
	}
	d->e[d->n++] = *e;
	return 0;
}

static void dump_range(const struct fx *f, uint64_t ipa, uint64_t size,
		       unsigned flags, struct dump *d)
{
	d->n = 0;
	expect_rc(s2mt_pgt_walk(&f->pgt, ipa, size, flags, dump_visit, d), 0);
}

static void dump_take(const struct fx *f, struct dump *d)
{
	dump_range(f, 0, 1ull << f->cfg.ipa_bits,
		   S2MT_WALK_LEAF | S2MT_WALK_TABLE_PRE, d);
}

static void dump_free(struct dump *d)
{
	free(d->e);
	memset(d, 0, sizeof(*d));
}

/* exact: descriptors compared too (table addresses included); else
 * tables compared by position only. */
static void expect_dump_equal(const struct dump *a, const struct dump *b,
			      bool exact, const char *what)
{
	size_t i;

	expect(a->n == b->n, "%s: %zu entries, then %zu", what, a->n, b->n);
	for (i = 0; i < a->n; i++) {
		const struct s2mt_walk_entry *x = &a->e[i], *y = &b->e[i];
		bool same = x->ipa == y->ipa && x->size == y->size &&
			x->level == y->level && x->table == y->table &&
			((!exact && x->table) || x->desc == y->desc);

		expect(same,
		       "%s: entry %zu: ipa %#" PRIx64 " L%u %s %#" PRIx64
		       " vs ipa %#" PRIx64 " L%u %s %#" PRIx64,
		       what, i, x->ipa, x->level, x->table ? "table" : "leaf",
		       x->desc, y->ipa, y->level, y->table ? "table" : "leaf",
		       y->desc);
	}
}

static size_t dump_count_tables(const struct dump *d)
{
	size_t i, n = 0;

	for (i = 0; i < d->n; i++)
		n += d->e[i].table;
	return n;
}

/* A1: every table descriptor is 0b11 plus the address of a live page of
 * the environment, nothing else; their number is what is allocated. */
static void expect_tables_sane(const struct fx *f)
{
	struct dump d = { 0 };
	size_t i;

	dump_take(f, &d);
	for (i = 0; i < d.n; i++) {
		uint64_t t = d.e[i].desc;

		if (!d.e[i].table)
			continue;
		expect((t & ~A1_OA_MASK) == 3 &&
			       rec_is_live(&f->env, t & A1_OA_MASK),
		       "table entry at %#" PRIx64 " L%u: %#018" PRIx64
		       " (attribute bits, or not an allocated page)",
		       d.e[i].ipa, d.e[i].level, t);
	}
	expect(f->env.live_pages == f->nr_start + dump_count_tables(&d),
	       "%" PRIu64 " pages live, %zu tables reachable (+%" PRIu64
	       " start)",
	       f->env.live_pages, dump_count_tables(&d), f->nr_start);
	dump_free(&d);
}

/* The leaves of [ipa, ipa+size) are exactly the greedy ones for a map of
 * that range to pa with prot. */
static void expect_map_leaves(const struct fx *f, uint64_t ipa, uint64_t size,
			      uint64_t pa, struct s2mt_prot prot,
			      uint64_t max_leaf)
{
	struct dump d = { 0 };
	size_t n = greedy(ipa, size, pa, max_leaf, NULL, 0), i;
	struct xleaf *xl = calloc(n, sizeof(*xl));

	greedy(ipa, size, pa, max_leaf, xl, n);
	dump_range(f, ipa, size, S2MT_WALK_LEAF, &d);
	expect(d.n == n,
	       "map ipa=%#" PRIx64 " size=%#" PRIx64 " pa=%#" PRIx64
	       " max_leaf=%#" PRIx64 ": %zu leaves, want %zu",
	       ipa, size, pa, max_leaf, d.n, n);
	for (i = 0; i < n; i++) {
		const struct s2mt_walk_entry *e = &d.e[i];
		uint64_t want =
			exp_leaf_prot(xl[i].pa, prot, f->cfg.fwb, xl[i].level);

		expect(!e->table && e->ipa == xl[i].ipa &&
			       e->level == xl[i].level && e->size == xl[i].size,
		       "leaf %zu: ipa %#" PRIx64 " L%u size %#" PRIx64
		       ", want ipa %#" PRIx64 " L%u",
		       i, e->ipa, e->level, e->size, xl[i].ipa, xl[i].level);
		expect(e->desc == want,
		       "leaf %zu at %#" PRIx64 ": desc %#018" PRIx64
		       ", want %#018" PRIx64,
		       i, e->ipa, e->desc, want);
	}
	free(xl);
	dump_free(&d);
}

/* ---- log searching ---- */

static bool tlbi_covers(const struct fx *f, const struct rec_event *ev,
			uint64_t ipa, uint64_t size, unsigned level)
{
	if (ev->type == REC_EV_TLBI_VMID)
		return ev->vmid == f->cfg.vmid;
	if (ev->type != REC_EV_TLBI_IPA || ev->vmid != f->cfg.vmid)
		return false;
	if (ev->level != S2MT_LEVEL_ANY && ev->level != level)
		return false;
	return ev->addr < ipa + size && ipa < ev->addr + ev->size;
}

static size_t find_store(const struct fx *f, size_t from, uint64_t ipa,
			 unsigned level, bool old_valid, bool new_valid)
{
	size_t i;

	for (i = from; i < f->env.log_len; i++) {
		const struct rec_event *ev = &f->env.log[i];

		if (ev->type == REC_EV_PTE_STORE && ev->addr == ipa &&
		    ev->level == level &&
		    !!(ev->old_desc & A1_VALID) == old_valid &&
		    !!(ev->new_desc & A1_VALID) == new_valid)
			return i;
	}
	return REC_NONE;
}

static size_t find_tlbi(const struct fx *f, size_t from, uint64_t ipa,
			uint64_t size, unsigned level)
{
	size_t i;

	for (i = from; i < f->env.log_len; i++)
		if (tlbi_covers(f, &f->env.log[i], ipa, size, level))
			return i;
	return REC_NONE;
}

#define ANY_OLD (~0ull)

/*
 * Break-before-make of the entry (ipa, level), which held old: a store of
 * old -> 0, then a TLBI covering it, then the store of the new entry
 * (checked by new_is_table). Returns the index of the final store.
 */
static size_t expect_bbm_seq(const struct fx *f, uint64_t ipa, unsigned level,
			     uint64_t old, bool new_is_table)
{
	size_t b, t, s;
	uint64_t size = s2mt_level_size(level);

	b = find_store(f, 0, ipa, level, true, false);
	if (b == REC_NONE)
		show_log(f, 0);
	expect(b != REC_NONE,
	       "no store breaking the L%u entry at %#" PRIx64 " (A1 BBM)",
	       level, ipa);
	expect(old == ANY_OLD || f->env.log[b].old_desc == old,
	       "the break at log[%zu] removed %#018" PRIx64
	       ", want %#018" PRIx64,
	       b, f->env.log[b].old_desc, old);
	expect(find_store(f, 0, ipa, level, true, true) == REC_NONE,
	       "the L%u entry at %#" PRIx64 " changed valid->valid", level,
	       ipa);
	t = find_tlbi(f, b + 1, ipa, size, level);
	s = find_store(f, b + 1, ipa, level, false, true);
	if (t == REC_NONE || s == REC_NONE || s < t)
		show_log(f, 0);
	expect(t != REC_NONE,
	       "no TLBI covering the broken L%u entry at %#" PRIx64, level,
	       ipa);
	expect(s != REC_NONE, "the L%u entry at %#" PRIx64 " never remade",
	       level, ipa);
	expect(t < s,
	       "new L%u entry at %#" PRIx64 " stored (log[%zu]) before "
	       "the TLBI (log[%zu])",
	       level, ipa, s, t);
	expect(is_table(f->env.log[s].new_desc, level) == new_is_table,
	       "log[%zu] stores %#018" PRIx64 ", want a %s", s,
	       f->env.log[s].new_desc, new_is_table ? "table" : "leaf");
	return s;
}

static size_t count_tlbi(const struct fx *f)
{
	return rec_count(&f->env, REC_EV_TLBI_IPA) +
		rec_count(&f->env, REC_EV_TLBI_VMID);
}

/* ------------------------------------------------------------------ */
/* A2: geometry, VTCR_EL2, VTTBR_EL2                                   */
/* ------------------------------------------------------------------ */

static unsigned exp_ps(unsigned pa_bits)
{
	switch (pa_bits) {
	case 32:
		return 0;
	case 36:
		return 1;
	case 40:
		return 2;
	case 42:
		return 3;
	case 44:
		return 4;
	default:
		return 5;
	}
}

/* Bits the start level resolves (A2); valid when 1..13. */
static int start_bits(unsigned ipa_bits, unsigned level)
{
	return (int)ipa_bits - (int)(12 + 9 * (3 - level));
}

static unsigned exp_nr_tables(unsigned ipa_bits, unsigned level)
{
	int bits = start_bits(ipa_bits, level);

	return bits > 9 ? 1u << (bits - 9) : 1u;
}

static void expect_vtcr(uint64_t vtcr, unsigned ipa_bits, unsigned level,
			unsigned pa_bits, bool vmid16)
{
	const uint64_t known = 0x3full | 3ull << 6 | 3ull << 8 | 3ull << 10 |
		3ull << 12 | 3ull << 14 | 7ull << 16 | 1ull << 19 | 1ull << 31;
	unsigned sl0 = level == 2 ? 0 : level == 1 ? 1 : 2;

	expect((vtcr & 0x3f) == 64 - ipa_bits, "ipa %u: T0SZ %u", ipa_bits,
	       (unsigned)(vtcr & 0x3f));
	expect(((vtcr >> 6) & 3) == sl0, "ipa %u L%u: SL0 %u, want %u",
	       ipa_bits, level, (unsigned)((vtcr >> 6) & 3), sl0);
	expect(((vtcr >> 8) & 3) == 1, "IRGN0 %u, want 01 (WBWA)",
	       (unsigned)((vtcr >> 8) & 3));
	expect(((vtcr >> 10) & 3) == 1, "ORGN0 %u, want 01 (WBWA)",
	       (unsigned)((vtcr >> 10) & 3));
	expect(((vtcr >> 12) & 3) == 3, "SH0 %u, want 11 (ISH)",
	       (unsigned)((vtcr >> 12) & 3));
	expect(((vtcr >> 14) & 3) == 0, "TG0 %u, want 00 (4K)",
	       (unsigned)((vtcr >> 14) & 3));
	expect(((vtcr >> 16) & 7) == exp_ps(pa_bits), "pa %u: PS %u, want %u",
	       pa_bits, (unsigned)((vtcr >> 16) & 7), exp_ps(pa_bits));
	expect(!!(vtcr & (1ull << 19)) == vmid16, "VS %u, vmid16 %d",
	       (unsigned)((vtcr >> 19) & 1), vmid16);
	expect(vtcr & (1ull << 31), "bit 31 (RES1) clear: %#" PRIx64, vtcr);
	expect(!(vtcr & ~known), "unexpected bits set: %#" PRIx64,
	       vtcr & ~known);
}

static void test_A2_auto_geometry_every_ipa_size(void **state)
{
	unsigned ipa;

	(void)state;
	for (ipa = 32; ipa <= 48; ipa++) {
		struct s2mt_pgt_cfg cfg = cfg_make(ipa, false, false);
		struct s2mt_geometry geo;
		const char *why = NULL;
		/* Linux: levels = (ipa - 8) / 9, counting up from L3 */
		unsigned linux_level = 4 - (ipa - 8) / 9;
		unsigned level = ipa <= 34 ? 2 : ipa <= 43 ? 1 : 0;
		unsigned nr = level == 2 ? 1u << (ipa - 30)
			: level == 1	 ? (ipa > 39 ? 1u << (ipa - 39) : 1u)
					 : 1u;
		static struct fx f;
		size_t a;

		assert_int_equal(linux_level, level);
		assert_int_equal(nr, exp_nr_tables(ipa, level));
		expect_rc(s2mt_geometry(&cfg, &geo, &why), 0);
		expect(geo.start_level == level, "ipa %u: start L%u, want L%u",
		       ipa, geo.start_level, level);
		expect(geo.nr_start_tables == nr,
		       "ipa %u: %u start tables, "
		       "want %u",
		       ipa, geo.nr_start_tables, nr);
		expect_vtcr(geo.vtcr, ipa, level, 48, false);

		rec_env_init(&f.env);
		f.cfg = cfg;
		expect_rc(s2mt_pgt_init(&f.pgt, &f.cfg, &rec_ops, &f.env), 0);
		expect(f.pgt.geo.start_level == level &&
			       f.pgt.geo.nr_start_tables == nr &&
			       f.pgt.geo.vtcr == geo.vtcr,
		       "ipa %u: pgt.geo differs from s2mt_geometry", ipa);
		expect(s2mt_pgt_vtcr(&f.pgt) == geo.vtcr, "ipa %u: vtcr", ipa);
		expect(f.pgt.ipa_limit == 1ull << ipa, "ipa_limit %#" PRIx64,
		       f.pgt.ipa_limit);
		expect(f.env.live_pages == nr,
		       "ipa %u: %" PRIu64
		       " pages allocated, want %u start tables",
		       ipa, f.env.live_pages, nr);
		a = rec_find(&f.env, REC_EV_ALLOC, 0);
		expect(a != REC_NONE && f.env.log[a].nr == nr &&
			       f.env.log[a].addr == f.pgt.pgd_pa,
		       "ipa %u: the start tables are not one allocation of %u "
		       "pages at pgd_pa",
		       ipa, nr);
		expect(f.pgt.pgd_pa % (nr * SZ_4K) == 0,
		       "pgd_pa %#" PRIx64 " not aligned to %u pages",
		       f.pgt.pgd_pa, nr);
		expect(f.pgt.pgd_pa == (uint64_t)(uintptr_t)f.pgt.pgd,
		       "pgd_pa is not virt_to_phys(pgd)");
		expect(s2mt_pgt_vttbr(&f.pgt) == (f.pgt.pgd_pa | 7ull << 48),
		       "vttbr %#" PRIx64, s2mt_pgt_vttbr(&f.pgt));
		fx_fini(&f);
	}
}

static void test_A2_explicit_start_levels(void **state)
{
	unsigned ipa, level;

	(void)state;
	for (ipa = 32; ipa <= 48; ipa++) {
		for (level = 0; level <= 4; level++) {
			struct s2mt_pgt_cfg cfg = cfg_make(ipa, true, true);
			int bits = level <= 3 ? start_bits(ipa, level) : 99;
			bool valid = level <= 2 && bits >= 1 && bits <= 13;
			struct s2mt_geometry geo;
			const char *why = NULL;
			struct rec_env env;
			struct s2mt_pgt pgt;
			int rc;

			memset(&pgt, 0, sizeof(pgt));
			cfg.start_level = level;
			rc = s2mt_geometry(&cfg, &geo, &why);
			rec_env_init(&env);
			if (!valid) {
				expect(rc == -S2MT_EINVAL,
				       "ipa %u start L%u (%d bits): %d, want "
				       "-EINVAL (A2)",
				       ipa, level, bits, rc);
				expect(why && strstr(why, "A2"),
				       "ipa %u L%u: reason '%s' does not name "
				       "A2",
				       ipa, level, why ? why : "(null)");
				rc = s2mt_pgt_init(&pgt, &cfg, &rec_ops, &env);
				expect(rc == -S2MT_EINVAL,
				       "init ipa %u L%u: %d", ipa, level, rc);
				expect(env.live_pages == 0,
				       "refused init left %" PRIu64 " pages",
				       env.live_pages);
				expect(pgt.why && strstr(pgt.why, "A2"),
				       "init ipa %u L%u: pgt.why '%s'", ipa,
				       level, pgt.why ? pgt.why : "(null)");
				rec_env_fini(&env);
				continue;
			}
			expect(rc == 0, "ipa %u start L%u: %d (%s)", ipa, level,
			       rc, why ? why : "");
			expect(geo.start_level == level &&
				       geo.nr_start_tables ==
					       exp_nr_tables(ipa, level),
			       "ipa %u L%u: L%u x%u, want x%u", ipa, level,
			       geo.start_level, geo.nr_start_tables,
			       exp_nr_tables(ipa, level));
			expect_vtcr(geo.vtcr, ipa, level, 48, false);
			expect_rc(s2mt_pgt_init(&pgt, &cfg, &rec_ops, &env), 0);
			expect(env.live_pages == exp_nr_tables(ipa, level),
			       "ipa %u L%u: %" PRIu64 " pages", ipa, level,
			       env.live_pages);
			expect(pgt.pgd_pa %
					       (exp_nr_tables(ipa, level) *
						SZ_4K) ==
				       0,
			       "pgd_pa %#" PRIx64 " misaligned", pgt.pgd_pa);
			s2mt_pgt_destroy(&pgt);
			expect(env.bad_calls == 0, "%s", env.bad_msg);
			expect(rec_env_fini(&env) == 0, "ipa %u L%u: leak", ipa,
			       level);
		}
	}
}

static void test_A2_vtcr_ps_from_pa_bits(void **state)
{
	static const unsigned good[] = { 32, 36, 40, 42, 44, 48 };
	static const unsigned bad[] = { 0, 31, 33, 39, 41, 47, 49, 64 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct s2mt_pgt_cfg cfg = cfg_make(32, false, false);
		struct s2mt_geometry geo;

		cfg.pa_bits = good[i];
		expect_rc(s2mt_geometry(&cfg, &geo, NULL), 0);
		expect_vtcr(geo.vtcr, 32, 2, good[i], false);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct s2mt_pgt_cfg cfg = cfg_make(32, false, false);
		struct s2mt_geometry geo;

		cfg.pa_bits = bad[i];
		expect(s2mt_geometry(&cfg, &geo, NULL) == -S2MT_EINVAL,
		       "pa_bits %u accepted", bad[i]);
	}
}

static void test_A2_vs_bit_follows_vmid16(void **state)
{
	struct s2mt_pgt_cfg cfg = cfg_make(40, false, false);
	struct s2mt_geometry geo;

	(void)state;
	cfg.vmid16 = true;
	expect_rc(s2mt_geometry(&cfg, &geo, NULL), 0);
	expect_vtcr(geo.vtcr, 40, 1, 48, true);
}

static void test_A2_ipa_bits_out_of_range_refused(void **state)
{
	static const unsigned bad[] = { 0, 24, 25, 31, 49, 52, 64 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct s2mt_pgt_cfg cfg = cfg_make(bad[i], false, false);
		struct s2mt_geometry geo;
		struct rec_env env;
		struct s2mt_pgt pgt;
		const char *why = NULL;

		expect(s2mt_geometry(&cfg, &geo, &why) == -S2MT_EINVAL,
		       "ipa_bits %u accepted", bad[i]);
		expect(why && strstr(why, "A2"), "ipa_bits %u: reason '%s'",
		       bad[i], why ? why : "(null)");
		rec_env_init(&env);
		expect(s2mt_pgt_init(&pgt, &cfg, &rec_ops, &env) ==
			       -S2MT_EINVAL,
		       "init with ipa_bits %u accepted", bad[i]);
		expect(env.live_pages == 0, "refused init allocated");
		rec_env_fini(&env);
	}
}

static void test_A2_vttbr_baddr_and_vmid(void **state)
{
	struct s2mt_pgt_cfg cfg = cfg_make(40, false, false);
	static struct fx f;
	uint64_t vttbr;

	(void)state;
	cfg.vmid16 = true;
	cfg.vmid = 0xbeef;
	fx_init_cfg(&f, cfg);
	vttbr = s2mt_pgt_vttbr(&f.pgt);
	expect(vttbr >> 48 == 0xbeef, "VMID field %#" PRIx64, vttbr >> 48);
	expect((vttbr & 0x0000ffffffffffffull) == f.pgt.pgd_pa,
	       "BADDR %#" PRIx64 ", pgd_pa %#" PRIx64,
	       (uint64_t)(vttbr & 0x0000ffffffffffffull), f.pgt.pgd_pa);
	expect(f.pgt.pgd_pa % (2 * SZ_4K) == 0,
	       "2 concatenated tables at %#" PRIx64 ": not 8K aligned",
	       f.pgt.pgd_pa);
	expect(rec_is_live(&f.env, f.pgt.pgd_pa) &&
		       rec_is_live(&f.env, f.pgt.pgd_pa + SZ_4K),
	       "pgd_pa is not the allocated start tables");
	fx_fini(&f);

	cfg = cfg_make(43, false, false);
	cfg.vmid = 0x5a;
	fx_init_cfg(&f, cfg);
	vttbr = s2mt_pgt_vttbr(&f.pgt);
	expect(vttbr == (f.pgt.pgd_pa | 0x5aull << 48), "vttbr %#" PRIx64,
	       vttbr);
	expect(f.pgt.pgd_pa % (16 * SZ_4K) == 0,
	       "16 concatenated tables not 64K aligned");
	fx_fini(&f);
}

static void test_A2_init_oom_refused_without_leak(void **state)
{
	struct s2mt_pgt_cfg cfg = cfg_make(40, false, false);
	struct rec_env env;
	struct s2mt_pgt pgt;

	(void)state;
	rec_env_init(&env);
	rec_fail_after(&env, 0);
	expect_rc(s2mt_pgt_init(&pgt, &cfg, &rec_ops, &env), -S2MT_ENOMEM);
	expect(env.live_pages == 0, "%" PRIu64 " pages live", env.live_pages);
	expect(env.bad_calls == 0, "%s", env.bad_msg);
	rec_env_fini(&env);
}

/* ------------------------------------------------------------------ */
/* A1/A3/A4: descriptors                                               */
/* ------------------------------------------------------------------ */

static void test_A1_header_constants_match_spec(void **state)
{
	(void)state;
	assert_int_equal(S2MT_PTE_VALID, 1ull << 0);
	assert_int_equal(S2MT_PTE_TABLE, 1ull << 1);
	assert_int_equal(S2MT_PTE_MEMATTR_SHIFT, 2);
	assert_int_equal(S2MT_PTE_MEMATTR_MASK, 0xfull << 2);
	assert_int_equal(S2MT_PTE_S2AP_R, 1ull << 6);
	assert_int_equal(S2MT_PTE_S2AP_W, 1ull << 7);
	assert_int_equal(S2MT_PTE_SH_SHIFT, 8);
	assert_int_equal(S2MT_PTE_SH_MASK, 3ull << 8);
	assert_int_equal(S2MT_PTE_AF, 1ull << 10);
	assert_int_equal(S2MT_PTE_DBM, 1ull << 51);
	assert_int_equal(S2MT_PTE_CONT, 1ull << 52);
	assert_int_equal(S2MT_PTE_XN_SHIFT, 53);
	assert_int_equal(S2MT_PTE_XN_MASK, 3ull << 53);
	assert_int_equal(S2MT_PTE_XN_NONE, 2ull << 53);
	assert_int_equal(S2MT_PTE_SW_MASK, 0xfull << 55);
	assert_int_equal(S2MT_PTE_ADDR_MASK, A1_OA_MASK);
	assert_int_equal(s2mt_level_size(0), 1ull << 39);
	assert_int_equal(s2mt_level_size(1), SZ_1G);
	assert_int_equal(s2mt_level_size(2), SZ_2M);
	assert_int_equal(s2mt_level_size(3), SZ_4K);
}

static const unsigned named_types[] = {
	S2MT_MT_NORMAL,
	S2MT_MT_NORMAL_NC,
	S2MT_MT_DEVICE,
	S2MT_MT_AS_S1,
};

static bool k3_refused_type(unsigned type)
{
	return type == S2MT_MT_DEVICE || type == S2MT_MT_NORMAL_NC;
}

/* A PA with many bits set, aligned to the level's size. */
static uint64_t busy_pa(unsigned level)
{
	return 0x0000a5a5a5a5a000ull & ~(s2mt_level_size(level) - 1);
}

static void test_A3_A4_prot_memattr_values(void **state)
{
	int fwb;
	size_t t;

	(void)state;
	for (fwb = 0; fwb <= 1; fwb++)
		for (t = 0; t < 4; t++) {
			struct s2mt_prot p = prot_make(R, named_types[t]);
			uint8_t got = s2mt_prot_memattr(p, fwb);

			expect(got == exp_memattr(named_types[t], fwb, 0),
			       "type %s fwb %d: memattr %#x, want %#x",
			       s2mt_mtype_name(named_types[t]), fwb, got,
			       exp_memattr(named_types[t], fwb, 0));
		}
	assert_int_equal(s2mt_prot_memattr(prot_raw(R, 0xa), false), 0xa);
	assert_int_equal(s2mt_prot_memattr(prot_raw(R, 0x3), true), 0x3);
}

static void test_A1_A3_A4_pte_leaf_encoding(void **state)
{
	int fwb;
	size_t t;
	unsigned perm, level;

	(void)state;
	for (fwb = 0; fwb <= 1; fwb++)
		for (t = 0; t < 4; t++)
			for (perm = 0; perm <= 7; perm++)
				for (level = 1; level <= 3; level++) {
					unsigned type = named_types[t];
					struct s2mt_prot p =
						prot_make(perm, type);
					uint64_t pa = busy_pa(level);
					uint64_t d, want;
					uint8_t ma = exp_memattr(type, fwb, 0);

					if ((perm & X) && k3_refused_type(type))
						continue;
					d = s2mt_pte_leaf(pa, p, level, fwb);
					want = exp_leaf(pa, perm, ma, level);
					expect((d & 3) ==
						       (level == 3 ? 3u : 1u),
					       "%s perm %u L%u: bits[1:0] %u",
					       s2mt_mtype_name(type), perm,
					       level, (unsigned)(d & 3));
					expect(A1_MEMATTR(d) == ma,
					       "%s fwb %d: MemAttr %#x, want "
					       "%#x",
					       s2mt_mtype_name(type), fwb,
					       (unsigned)A1_MEMATTR(d), ma);
					expect(((d >> 6) & 3) ==
						       ((perm & R ? 1u : 0u) |
							(perm & W ? 2u : 0u)),
					       "perm %u: S2AP %u", perm,
					       (unsigned)((d >> 6) & 3));
					expect(A1_SH(d) == 3, "SH %u, want ISH",
					       (unsigned)A1_SH(d));
					expect(d & A1_AF, "AF clear");
					expect(A1_XN(d) == (perm & X ? 0u : 2u),
					       "perm %u: XN %u", perm,
					       (unsigned)A1_XN(d));
					expect((d & A1_OA_MASK) == pa,
					       "L%u: OA %#" PRIx64
					       ", want %#" PRIx64,
					       level,
					       (uint64_t)(d & A1_OA_MASK), pa);
					expect(d == want,
					       "%s perm %u L%u fwb %d: "
					       "%#018" PRIx64
					       ", want %#018" PRIx64,
					       s2mt_mtype_name(type), perm,
					       level, fwb, d, want);
				}
	/* A raw MemAttr is written as given. */
	assert_int_equal(s2mt_pte_leaf(busy_pa(3), prot_raw(R, 0xa), 3, false),
			 exp_leaf(busy_pa(3), R, 0xa, 3));
	assert_int_equal(s2mt_pte_leaf(busy_pa(2), prot_raw(RW, 0x0), 2, true),
			 exp_leaf(busy_pa(2), RW, 0x0, 2));
}

static void test_A1_leaf_decode_round_trip(void **state)
{
	int fwb;
	size_t t;
	unsigned perm, level;

	(void)state;
	for (fwb = 0; fwb <= 1; fwb++)
		for (t = 0; t < 4; t++)
			for (perm = 0; perm <= 7; perm++)
				for (level = 1; level <= 3; level++) {
					unsigned type = named_types[t];
					uint64_t size = s2mt_level_size(level);
					uint64_t pa = busy_pa(level);
					uint64_t ipa = 0x0000001234567000ull;
					uint64_t d;
					struct s2mt_leaf l;
					struct s2mt_prot back;
					bool type_ok;

					if ((perm & X) && k3_refused_type(type))
						continue;
					d = s2mt_pte_leaf(pa,
							  prot_make(perm, type),
							  level, fwb);
					memset(&l, 0xee, sizeof(l));
					s2mt_leaf_decode(d, level, ipa, &l);
					expect(l.level == level &&
						       l.size == size,
					       "L%u: decoded level %u size "
					       "%#" PRIx64,
					       level, l.level, l.size);
					expect(l.ipa == (ipa & ~(size - 1)),
					       "L%u: leaf ipa %#" PRIx64, level,
					       l.ipa);
					expect(l.pa == pa,
					       "L%u: pa %#" PRIx64
					       ", want %#" PRIx64,
					       level, l.pa, pa);
					expect(l.desc == d, "desc");
					expect(l.memattr ==
						       exp_memattr(type, fwb,
								   0),
					       "memattr %#x", l.memattr);
					expect(l.s2ap ==
						       ((perm & R ? 1u : 0u) |
							(perm & W ? 2u : 0u)),
					       "perm %u: s2ap %u", perm,
					       l.s2ap);
					expect(l.xn == (perm & X ? 0u : 2u),
					       "perm %u: xn %u", perm, l.xn);
					expect(l.sh == 3 && l.af, "sh %u af %d",
					       l.sh, l.af);
					back = s2mt_leaf_prot(&l, fwb);
					expect(back.perm == perm,
					       "%s perm %u: back %u",
					       s2mt_mtype_name(type), perm,
					       back.perm);
					/* Without FWB, NORMAL and AS_S1 are one
					 * encoding (0xF): either name is fine. */
					type_ok = back.type == type ||
						(!fwb &&
						 (type == S2MT_MT_NORMAL ||
						  type == S2MT_MT_AS_S1) &&
						 (back.type == S2MT_MT_NORMAL ||
						  back.type == S2MT_MT_AS_S1));
					expect(type_ok,
					       "%s fwb %d: decodes as type %u",
					       s2mt_mtype_name(type), fwb,
					       back.type);
				}
}

static void test_A1_leaf_prot_raw_round_trip(void **state)
{
	struct s2mt_leaf l;
	struct s2mt_prot back;
	uint64_t d;

	(void)state;
	/* 0xA (Normal-WT) is none of the named types without FWB. */
	d = s2mt_pte_leaf(0x80000000ull, prot_raw(RW, 0xa), 2, false);
	s2mt_leaf_decode(d, 2, 0x40000000ull, &l);
	back = s2mt_leaf_prot(&l, false);
	expect(back.type == S2MT_MT_RAW && back.memattr == 0xa &&
		       back.perm == RW,
	       "type %u memattr %#x perm %u", back.type, back.memattr,
	       back.perm);
	/* A raw value equal to a named type decodes as that type. */
	d = s2mt_pte_leaf(0x80000000ull, prot_raw(R, 0x6), 3, true);
	s2mt_leaf_decode(d, 3, 0x40000000ull, &l);
	back = s2mt_leaf_prot(&l, true);
	expect(back.type == S2MT_MT_NORMAL, "FWB 0x6: type %u", back.type);
	d = s2mt_pte_leaf(0x80000000ull, prot_raw(R, 0x1), 3, false);
	s2mt_leaf_decode(d, 3, 0x40000000ull, &l);
	back = s2mt_leaf_prot(&l, false);
	expect(back.type == S2MT_MT_DEVICE, "0x1: type %u", back.type);
}

static void test_K5_prot_cacheable(void **state)
{
	int fwb;

	(void)state;
	for (fwb = 0; fwb <= 1; fwb++) {
		expect(s2mt_prot_cacheable(prot_make(RW, S2MT_MT_NORMAL), fwb),
		       "NORMAL fwb %d not cacheable", fwb);
		expect(!s2mt_prot_cacheable(prot_make(RW, S2MT_MT_NORMAL_NC),
					    fwb),
		       "NORMAL_NC fwb %d cacheable", fwb);
		expect(!s2mt_prot_cacheable(prot_make(RW, S2MT_MT_DEVICE), fwb),
		       "DEVICE fwb %d cacheable", fwb);
		expect(!s2mt_prot_cacheable(prot_raw(RW, 0x0), fwb),
		       "raw 0x0 fwb %d cacheable", fwb);
	}
	expect(s2mt_prot_cacheable(prot_make(RW, S2MT_MT_AS_S1), false),
	       "AS_S1 without FWB is 0xF, cacheable");
	expect(s2mt_prot_cacheable(prot_raw(RW, 0xa), false),
	       "raw 0xA (WT) is cacheable");
	expect(!s2mt_prot_cacheable(prot_raw(RW, 0x5), false),
	       "raw 0x5 (NC) is not cacheable");
}

/* ------------------------------------------------------------------ */
/* Map and lookup                                                      */
/* ------------------------------------------------------------------ */

static void test_A1_map_lookup_each_level(void **state)
{
	struct s2mt_prot p = prot_make(RW, S2MT_MT_NORMAL);
	static struct fx f;

	(void)state;
	fx_init(&f, 40, false, false);
	map_ok(&f, 3 * SZ_1G, SZ_1G, 7 * SZ_1G, p, 0);
	map_ok(&f, 4 * SZ_1G + SZ_2M, SZ_2M, 8 * SZ_1G + 2 * SZ_2M, p, 0);
	map_ok(&f, 5 * SZ_1G + 3 * SZ_4K, SZ_4K, 12 * SZ_1G + 5 * SZ_4K, p, 0);
	expect(count_tlbi(&f) == 0,
	       "first maps into invalid entries issued "
	       "%zu TLBIs",
	       count_tlbi(&f));

	expect_leaf_at(&f, 3 * SZ_1G, 1, 7 * SZ_1G, p);
	expect_leaf_at(&f, 3 * SZ_1G + 0x12345000, 1, 7 * SZ_1G, p);
	expect_leaf_at(&f, 4 * SZ_1G - SZ_4K, 1, 7 * SZ_1G, p);
	expect_unmapped(&f, 3 * SZ_1G - SZ_4K);
	expect_unmapped(&f, 4 * SZ_1G);

	expect_leaf_at(&f, 4 * SZ_1G + SZ_2M, 2, 8 * SZ_1G + 2 * SZ_2M, p);
	expect_leaf_at(&f, 4 * SZ_1G + 2 * SZ_2M - SZ_4K, 2,
		       8 * SZ_1G + 2 * SZ_2M, p);
	expect_unmapped(&f, 4 * SZ_1G + SZ_2M - SZ_4K);
	expect_unmapped(&f, 4 * SZ_1G + 2 * SZ_2M);

	expect_leaf_at(&f, 5 * SZ_1G + 3 * SZ_4K, 3, 12 * SZ_1G + 5 * SZ_4K, p);
	expect_unmapped(&f, 5 * SZ_1G + 2 * SZ_4K);
	expect_unmapped(&f, 5 * SZ_1G + 4 * SZ_4K);
	/* 1 L2 table for the 2M, 1 L2 + 1 L3 for the 4K page */
	expect(f.env.live_pages == f.nr_start + 3, "%" PRIu64 " pages live",
	       f.env.live_pages);
	fx_fini(&f);
}

static void test_A1_lookup_unmapped_enoent(void **state)
{
	static struct fx f;

	(void)state;
	fx_init(&f, 40, false, false);
	expect_unmapped(&f, 0);
	expect_unmapped(&f, SZ_1G);
	expect_unmapped(&f, (1ull << 39) + SZ_4K);
	expect_unmapped(&f, (1ull << 40) - SZ_4K);
	map_ok(&f, SZ_1G + SZ_2M + SZ_4K, SZ_4K, 0x100000000ull,
	       prot_make(R, S2MT_MT_NORMAL), 0);
	expect_unmapped(&f, SZ_1G + SZ_2M);
	expect_unmapped(&f, SZ_1G + SZ_2M + 2 * SZ_4K);
	expect_unmapped(&f, SZ_1G);
	fx_fini(&f);
}

struct choice_case {
	const char *name;
	uint64_t ipa, size, pa, max_leaf;
	size_t nr_leaves; /* independent of greedy() */
};

static void test_A1_map_block_vs_page_choice(void **state)
{
	static const struct choice_case cases[] = {
		{ "IPA 2M aligned, PA only 4K aligned", 2 * SZ_1G + 4 * SZ_2M,
		  SZ_2M, 0x234567000ull, 0, 512 },
		{ "2M+4K from a 2M boundary", 2 * SZ_1G + 4 * SZ_2M,
		  SZ_2M + SZ_4K, 0x240000000ull + 4 * SZ_2M, 0, 2 },
		{ "4K, 2M, 1G, 2M, 4K", SZ_1G - SZ_2M - SZ_4K,
		  SZ_1G + 2 * SZ_2M + 2 * SZ_4K,
		  16 * SZ_1G + SZ_1G - SZ_2M - SZ_4K, 0, 5 },
		{ "IPA 1G aligned, PA 2M aligned", 5 * SZ_1G, SZ_1G,
		  9 * SZ_1G + 6 * SZ_2M, 0, 512 },
		{ "IPA/PA congruent mod 2M only", 6 * SZ_1G + SZ_4K, 3 * SZ_2M,
		  7 * SZ_1G + 8 * SZ_2M + SZ_4K, 0, 511 + 2 + 1 },
		{ "1G capped at 2M", 3 * SZ_1G, SZ_1G, 11 * SZ_1G, SZ_2M, 512 },
		{ "2M capped at 4K", 3 * SZ_1G, SZ_2M, 11 * SZ_1G, SZ_4K, 512 },
		{ "1G capped at 1G", 3 * SZ_1G, SZ_1G, 11 * SZ_1G, SZ_1G, 1 },
		{ "2G + 4K", 2 * SZ_1G, 2 * SZ_1G + SZ_4K, 4 * SZ_1G, 0, 3 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct choice_case *c = &cases[i];
		struct s2mt_prot p = prot_make(RW, S2MT_MT_NORMAL);
		static struct fx f;

		print_message("  case: %s\n", c->name);
		expect(greedy(c->ipa, c->size, c->pa, c->max_leaf, NULL, 0) ==
			       c->nr_leaves,
		       "test bug: %s", c->name);
		fx_init(&f, 40, true, true);
		map_ok(&f, c->ipa, c->size, c->pa, p, c->max_leaf);
		expect_map_leaves(&f, c->ipa, c->size, c->pa, p, c->max_leaf);
		expect_unmapped(&f, c->ipa - SZ_4K);
		expect_unmapped(&f, c->ipa + c->size);
		fx_fini(&f);
	}
}

static void test_A1_map_across_concatenated_start_tables(void **state)
{
	struct s2mt_prot p = prot_make(RW, S2MT_MT_DEVICE);
	uint64_t mid = 1ull << 39; /* second of the 2 start tables */
	static struct fx f;

	(void)state;
	fx_init(&f, 40, false, false);
	map_ok(&f, mid - 2 * SZ_2M - SZ_4K, 4 * SZ_2M + 2 * SZ_4K,
	       0x10000000000ull - 2 * SZ_2M - SZ_4K, p, 0);
	expect_map_leaves(&f, mid - 2 * SZ_2M - SZ_4K, 4 * SZ_2M + 2 * SZ_4K,
			  0x10000000000ull - 2 * SZ_2M - SZ_4K, p, 0);
	expect_leaf_at(&f, mid - SZ_4K, 2, 0x10000000000ull - SZ_2M, p);
	expect_leaf_at(&f, mid, 2, 0x10000000000ull, p);
	/* the very first and very last pages of the IPA space */
	map_ok(&f, 0, SZ_4K, 0x5000, p, 0);
	map_ok(&f, (1ull << 40) - SZ_4K, SZ_4K, 0x7000, p, 0);
	expect_leaf_at(&f, 0, 3, 0x5000, p);
	expect_leaf_at(&f, (1ull << 40) - SZ_4K, 3, 0x7000, p);
	fx_fini(&f);

	/* L0 start (48 bits): the top page and one at the 512G boundary */
	fx_init(&f, 48, false, false);
	map_ok(&f, (1ull << 48) - SZ_4K, SZ_4K, 0x9000, p, 0);
	map_ok(&f, (1ull << 39), SZ_1G, 0x40000000ull, p, 0);
	expect_leaf_at(&f, (1ull << 48) - SZ_4K, 3, 0x9000, p);
	expect_leaf_at(&f, (1ull << 39) + SZ_2M, 1, 0x40000000ull, p);
	fx_fini(&f);

	/* L2 start (32 bits, 4 tables): the last GiB */
	fx_init(&f, 32, false, false);
	map_ok(&f, 3 * SZ_1G, SZ_2M, 0x80000000ull, p, 0);
	map_ok(&f, 4 * SZ_1G - SZ_4K, SZ_4K, 0x3000, p, 0);
	expect_leaf_at(&f, 3 * SZ_1G, 2, 0x80000000ull, p);
	expect_leaf_at(&f, 4 * SZ_1G - SZ_4K, 3, 0x3000, p);
	fx_fini(&f);
}

static void test_A1_map_bad_arguments_refused_unchanged(void **state)
{
	struct s2mt_prot p = prot_make(RW, S2MT_MT_NORMAL);
	uint64_t limit = 1ull << 40;
	struct {
		const char *what;
		uint64_t ipa, size, pa;
	} bad[] = {
		{ "misaligned ipa", SZ_1G + 0x800, SZ_4K, 0x100000000ull },
		{ "misaligned pa", SZ_1G, SZ_4K, 0x100000010ull },
		{ "misaligned size", SZ_1G, SZ_4K + 0x800, 0x100000000ull },
		{ "zero size", SZ_1G, 0, 0x100000000ull },
		{ "past the IPA limit", limit - SZ_4K, 2 * SZ_4K, 0x1000 },
		{ "at the IPA limit", limit, SZ_4K, 0x1000 },
		{ "wrapping range", 2 * SZ_4K, 0ull - SZ_4K, 0x1000 },
		{ "PA beyond 48 bits", SZ_1G, SZ_4K, 1ull << 48 },
		{ "PA range beyond 48 bits", SZ_1G, 2 * SZ_4K,
		  (1ull << 48) - SZ_4K },
	};
	struct dump before = { 0 }, after = { 0 };
	static struct fx f;
	size_t i;

	(void)state;
	fx_init(&f, 40, false, false);
	map_ok(&f, SZ_1G, SZ_2M + SZ_4K, 0x200000000ull, p, 0);
	map_ok(&f, limit - SZ_2M, SZ_2M, 0x300000000ull, p, 0);
	dump_take(&f, &before);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t live = f.env.live_pages;
		int rc;

		rec_log_reset(&f.env);
		rc = s2mt_pgt_map(&f.pgt, bad[i].ipa, bad[i].size, bad[i].pa, p,
				  0);
		expect(rc == -S2MT_EINVAL, "%s: %d (%s), want -EINVAL",
		       bad[i].what, rc, s2mt_errno_name(-rc));
		dump_take(&f, &after);
		expect_dump_equal(&before, &after, true, bad[i].what);
		expect(rec_count(&f.env, REC_EV_PTE_STORE) == 0 &&
			       f.env.live_pages == live,
		       "%s: refused map stored PTEs or allocated", bad[i].what);
	}
	dump_free(&before);
	dump_free(&after);
	fx_fini(&f);
}

/* ------------------------------------------------------------------ */
/* Splits and break-before-make                                        */
/* ------------------------------------------------------------------ */

static void test_A1_unmap_part_of_block_splits_with_bbm(void **state)
{
	struct s2mt_prot p = prot_make(RW, S2MT_MT_NORMAL);
	uint64_t ipa = 2 * SZ_1G, pa = 9 * SZ_1G;
	uint64_t hole = ipa + 5 * SZ_2M + 7 * SZ_4K;
	uint64_t blk = exp_leaf_prot(pa, p, false, 1);
	struct dump d = { 0 };
	uint64_t off;
	size_t s;
	static struct fx f;

	(void)state;
	fx_init(&f, 40, false, false);
	map_ok(&f, ipa, SZ_1G, pa, p, 0);
	expect_leaf_at(&f, ipa, 1, pa, p);
	rec_log_reset(&f.env);
	unmap_ok(&f, hole, SZ_4K);
	s = expect_bbm_seq(&f, ipa, 1, blk, true);
	(void)s;
	expect_unmapped(&f, hole);
	for (off = 0; off < SZ_1G; off += SZ_2M) {
		if (off == 5 * SZ_2M)
			continue;
		expect_leaf_at(&f, ipa + off, 2, pa + off, p);
	}
	for (off = 5 * SZ_2M; off < 6 * SZ_2M; off += SZ_4K)
		if (ipa + off != hole)
			expect_leaf_at(&f, ipa + off, 3, pa + off, p);
	dump_range(&f, ipa, SZ_1G, S2MT_WALK_LEAF, &d);
	expect(d.n == 511 + 511, "%zu leaves after the split, want 1022", d.n);
	expect(f.env.live_pages == f.nr_start + 2, "%" PRIu64 " pages live",
	       f.env.live_pages);
	dump_free(&d);
	fx_fini(&f);
}

static void test_A1_restrict_perms_on_part_of_block_splits_with_bbm(
	void **state)
{
	struct s2mt_prot p = prot_make(RW, S2MT_MT_NORMAL);
	struct s2mt_prot ro = prot_make(R, S2MT_MT_NORMAL);
	uint64_t ipa = 4 * SZ_1G + SZ_2M, pa = 6 * SZ_1G + SZ_2M, off;
	size_t from;
	static struct fx f;

	(void)state;
	/* 2M block, W removed from one page: 512 pages */
	fx_init(&f, 40, true, true);
	map_ok(&f, ipa, SZ_2M, pa, p, 0);
	rec_log_reset(&f.env);
	expect_rc(s2mt_pgt_restrict_perms(&f.pgt, ipa + 2 * SZ_4K, SZ_4K, W),
		  0);
	check_bbm(&f, 0);
	expect_bbm_seq(&f, ipa, 2, exp_leaf_prot(pa, p, true, 2), true);
	for (off = 0; off < SZ_2M; off += SZ_4K)
		expect_leaf_at(&f, ipa + off, 3, pa + off,
			       off == 2 * SZ_4K ? ro : p);
	fx_fini(&f);

	/* 1G block, W removed from one 2M: 512 2M blocks */
	fx_init(&f, 40, true, true);
	map_ok(&f, SZ_1G, SZ_1G, 5 * SZ_1G, p, 0);
	rec_log_reset(&f.env);
	from = f.env.log_len;
	expect_rc(s2mt_pgt_restrict_perms(&f.pgt, SZ_1G + 7 * SZ_2M, SZ_2M, W),
		  0);
	check_bbm(&f, from);
	expect_bbm_seq(&f, SZ_1G, 1, exp_leaf_prot(5 * SZ_1G, p, true, 1),
		       true);
	for (off = 0; off < SZ_1G; off += SZ_2M)
		expect_leaf_at(&f, SZ_1G + off, 2, 5 * SZ_1G + off,
			       off == 7 * SZ_2M ? ro : p);
	expect(f.env.live_pages == f.nr_start + 1, "%" PRIu64 " pages live",
	       f.env.live_pages);
	fx_fini(&f);
}

static void test_A1_relax_perms_on_part_of_block_splits_with_bbm(void **state)
{
	struct s2mt_prot p = prot_make(R, S2MT_MT_NORMAL);
	struct s2mt_prot rx = prot_make(R | X, S2MT_MT_NORMAL);
	uint64_t ipa = 4 * SZ_1G + SZ_2M, pa = 6 * SZ_1G + SZ_2M, off;
	static struct fx f;

	(void)state;
	fx_init(&f, 40, true, true);
	map_ok(&f, ipa, SZ_2M, pa, p, 0);
	rec_log_reset(&f.env);
	expect_rc(s2mt_pgt_relax_perms(&f.pgt, ipa + SZ_2M - SZ_4K, SZ_4K, X),
		  0);
	check_bbm(&f, 0);
	expect_bbm_seq(&f, ipa, 2, exp_leaf_prot(pa, p, true, 2), true);
	for (off = 0; off < SZ_2M; off += SZ_4K)
		expect_leaf_at(&f, ipa + off, 3, pa + off,
			       off == SZ_2M - SZ_4K ? rx : p);
	fx_fini(&f);
}

static void test_A1_relax_perms_whole_leaf_in_place(void **state)
{
	struct s2mt_prot p = prot_make(R, S2MT_MT_NORMAL);
	struct s2mt_prot rw = prot_make(RW, S2MT_MT_NORMAL);
	uint64_t ipa = 4 * SZ_1G + SZ_2M, pa = 6 * SZ_1G + SZ_2M;
	size_t s;
	static struct fx f;

	(void)state;
	fx_init(&f, 40, true, true);
	map_ok(&f, ipa, SZ_2M, pa, p, 0);
	rec_log_reset(&f.env);
	expect_rc(s2mt_pgt_relax_perms(&f.pgt, ipa, SZ_2M, W), 0);
	check_bbm(&f, 0);
	expect(find_store(&f, 0, ipa, 2, true, false) == REC_NONE,
	       "relax on a whole leaf broke it (header: in place, no BBM)");
	s = find_store(&f, 0, ipa, 2, true, true);
	expect(s != REC_NONE &&
		       f.env.log[s].new_desc == exp_leaf_prot(pa, rw, true, 2),
	       "no in-place store of the RW leaf");
	expect(f.env.live_pages == f.nr_start + 1, "relax allocated");
	expect_leaf_at(&f, ipa, 2, pa, rw);
	fx_fini(&f);
}

static void test_A1_restrict_perms_whole_leaf_invalidates_tlb(void **state)
{
	struct s2mt_prot p = prot_make(RW | X, S2MT_MT_NORMAL);
	struct s2mt_prot r = prot_make(R, S2MT_MT_NORMAL);
	uint64_t ipa = 4 * SZ_1G, pa = 6 * SZ_1G;
	static struct fx f;

	(void)state;
	fx_init(&f, 40, true, true);
	map_ok(&f, ipa, SZ_1G, pa, p, 0);
	rec_log_reset(&f.env);
	expect_rc(s2mt_pgt_restrict_perms(&f.pgt, ipa, SZ_1G, W | X), 0);
	check_bbm(&f, 0); /* requires a TLBI after the permission loss */
	expect(count_tlbi(&f) > 0, "no TLBI after removing permissions");
	expect_leaf_at(&f, ipa + SZ_2M, 1, pa, r);
	fx_fini(&f);
}

static void test_A1_remap_new_pa_type_size_uses_bbm(void **state)
{
	struct s2mt_prot n = prot_make(RW, S2MT_MT_NORMAL);
	struct s2mt_prot dev = prot_make(RW, S2MT_MT_DEVICE);
	uint64_t ipa = 4 * SZ_1G + 6 * SZ_2M, pa = 20 * SZ_1G;
	uint64_t off;
	static struct fx f;

	(void)state;
	/* a different PA */
	fx_init(&f, 40, true, true);
	map_ok(&f, ipa, SZ_2M, pa, n, 0);
	rec_log_reset(&f.env);
	map_ok(&f, ipa, SZ_2M, pa + SZ_1G, n, 0);
	expect_bbm_seq(&f, ipa, 2, exp_leaf_prot(pa, n, true, 2), false);
	expect_leaf_at(&f, ipa, 2, pa + SZ_1G, n);
	fx_fini(&f);

	/* a different type */
	fx_init(&f, 40, true, true);
	map_ok(&f, ipa, SZ_2M, pa, n, 0);
	rec_log_reset(&f.env);
	map_ok(&f, ipa, SZ_2M, pa, dev, 0);
	expect_bbm_seq(&f, ipa, 2, exp_leaf_prot(pa, n, true, 2), false);
	expect_leaf_at(&f, ipa, 2, pa, dev);
	fx_fini(&f);

	/* a smaller size: block -> table of pages */
	fx_init(&f, 40, true, true);
	map_ok(&f, ipa, SZ_2M, pa, n, 0);
	rec_log_reset(&f.env);
	map_ok(&f, ipa, SZ_2M, pa, n, SZ_4K);
	expect_bbm_seq(&f, ipa, 2, exp_leaf_prot(pa, n, true, 2), true);
	for (off = 0; off < SZ_2M; off += 64 * SZ_4K)
		expect_leaf_at(&f, ipa + off, 3, pa + off, n);
	expect(f.env.live_pages == f.nr_start + 2, "%" PRIu64 " pages live",
	       f.env.live_pages);

	/* a larger size: table of pages -> block, the L3 table freed */
	rec_log_reset(&f.env);
	map_ok(&f, ipa, SZ_2M, pa + SZ_2M, n, 0);
	expect_bbm_seq(&f, ipa, 2, ANY_OLD, false);
	fx_fini(&f);
}

static void test_A1_block_replacing_table_frees_it(void **state)
{
	struct s2mt_prot n = prot_make(RW, S2MT_MT_NORMAL);
	uint64_t ipa = 4 * SZ_1G + 6 * SZ_2M, pa = 20 * SZ_1G;
	struct dump d = { 0 };
	static struct fx f;
	size_t b;

	(void)state;
	fx_init(&f, 40, true, true);
	map_ok(&f, ipa, SZ_2M, pa, n, SZ_4K);
	expect(f.env.live_pages == f.nr_start + 2, "%" PRIu64 " pages live",
	       f.env.live_pages);
	rec_log_reset(&f.env);
	map_ok(&f, ipa, SZ_2M, pa + SZ_2M, n, 0);
	b = find_store(&f, 0, ipa, 2, true, false);
	expect(b != REC_NONE && is_table(f.env.log[b].old_desc, 2),
	       "the table entry was not broken");
	expect(find_tlbi(&f, b + 1, ipa, SZ_2M, 2) != REC_NONE,
	       "no TLBI after removing the table");
	expect_leaf_at(&f, ipa + SZ_4K, 2, pa + SZ_2M, n);
	expect(f.env.live_pages == f.nr_start + 1,
	       "the replaced L3 table was not freed: %" PRIu64 " pages live",
	       f.env.live_pages);
	expect(rec_count(&f.env, REC_EV_FREE) == 1, "%zu frees",
	       rec_count(&f.env, REC_EV_FREE));
	dump_take(&f, &d);
	expect(dump_count_tables(&d) == 1, "%zu tables", dump_count_tables(&d));
	dump_free(&d);

	/* and a 1G block over a tree of L2 and L3 tables */
	map_ok(&f, 4 * SZ_1G + SZ_4K, SZ_4K, 0x5000, n, 0);
	map_ok(&f, 4 * SZ_1G + 100 * SZ_2M, SZ_2M, 0x200000, n, SZ_4K);
	expect(f.env.live_pages == f.nr_start + 3, "%" PRIu64 " pages live",
	       f.env.live_pages);
	map_ok(&f, 4 * SZ_1G, SZ_1G, 40 * SZ_1G, n, 0);
	expect(f.env.live_pages == f.nr_start,
	       "tables under the new 1G block not freed: %" PRIu64 " live",
	       f.env.live_pages);
	expect_leaf_at(&f, 4 * SZ_1G + 100 * SZ_2M, 1, 40 * SZ_1G, n);
	fx_fini(&f);
}

static void test_A1_first_map_needs_no_tlbi(void **state)
{
	struct s2mt_prot n = prot_make(RW, S2MT_MT_NORMAL);
	static struct fx f;

	(void)state;
	fx_init(&f, 40, false, false);
	map_ok(&f, SZ_1G - SZ_2M - SZ_4K, SZ_1G + 2 * SZ_2M + 2 * SZ_4K,
	       SZ_1G - SZ_2M - SZ_4K, n, 0);
	map_ok(&f, (1ull << 39) + SZ_4K, 3 * SZ_4K, 0x3000, n, 0);
	map_ok(&f, 5 * SZ_1G, SZ_2M, 0x200000, n, SZ_4K);
	expect(count_tlbi(&f) == 0, "%zu TLBIs for maps into invalid entries",
	       count_tlbi(&f));
	expect(rec_count(&f.env, REC_EV_PTE_STORE) > 0,
	       "PTE stores are not reported to pte_store");
	fx_fini(&f);
}

/* ------------------------------------------------------------------ */
/* Tables freed                                                        */
/* ------------------------------------------------------------------ */

static void map_variety(struct fx *f)
{
	struct s2mt_prot n = prot_make(RW, S2MT_MT_NORMAL);
	struct s2mt_prot d = prot_make(R, S2MT_MT_DEVICE);

	map_ok(f, SZ_1G - SZ_2M - SZ_4K, SZ_1G + 2 * SZ_2M + 2 * SZ_4K,
	       3 * SZ_1G - SZ_2M - SZ_4K, n, 0);
	map_ok(f, 8 * SZ_1G, 3 * SZ_2M, 0x1234000, d, 0);
	map_ok(f, 9 * SZ_1G, SZ_2M, 0x200000, n, SZ_4K);
	map_ok(f, (1ull << 39) - SZ_4K, 2 * SZ_4K, 0x3000, d, 0);
	map_ok(f, (1ull << 40) - SZ_1G, SZ_1G, 0, n, SZ_2M);
}

static void expect_only_start_tables(struct fx *f)
{
	struct dump d = { 0 };

	dump_take(f, &d);
	expect(d.n == 0, "%zu entries left after unmapping everything", d.n);
	expect(f->env.live_pages == f->nr_start,
	       "%" PRIu64 " pages live, want the %" PRIu64 " start tables",
	       f->env.live_pages, f->nr_start);
	expect(f->pgt.stats.tables_allocated == f->pgt.stats.tables_freed,
	       "stats: %" PRIu64 " tables allocated, %" PRIu64 " freed",
	       f->pgt.stats.tables_allocated, f->pgt.stats.tables_freed);
	dump_free(&d);
}

static void test_tables_freed_when_everything_unmapped(void **state)
{
	uint64_t off;
	static struct fx f;

	(void)state;
	/* piecewise, in another order and granularity than the maps */
	fx_init(&f, 40, false, false);
	map_variety(&f);
	expect(f.env.live_pages > f.nr_start + 5, "the maps made no tables");
	expect_tables_sane(&f);
	unmap_ok(&f, (1ull << 40) - SZ_1G, SZ_1G);
	for (off = 0; off < SZ_2M; off += SZ_4K)
		unmap_ok(&f, 9 * SZ_1G + off, SZ_4K);
	unmap_ok(&f, (1ull << 39) - SZ_4K, SZ_4K);
	unmap_ok(&f, (1ull << 39), SZ_4K);
	unmap_ok(&f, 8 * SZ_1G + SZ_2M, SZ_4K);
	unmap_ok(&f, 8 * SZ_1G, 3 * SZ_2M);
	unmap_ok(&f, 0, 4 * SZ_1G);
	expect_only_start_tables(&f);
	fx_fini(&f);

	/* the whole IPA space at once */
	fx_init(&f, 40, false, false);
	map_variety(&f);
	unmap_ok(&f, 0, 1ull << 40);
	expect_only_start_tables(&f);
	fx_fini(&f);

	/* 48 bits, L0 start */
	fx_init(&f, 48, true, true);
	map_variety(&f);
	map_ok(&f, (1ull << 48) - SZ_4K, SZ_4K, 0x1000,
	       prot_make(R, S2MT_MT_NORMAL), 0);
	unmap_ok(&f, 0, 1ull << 48);
	expect_only_start_tables(&f);
	fx_fini(&f);
}

static void test_destroy_frees_everything_without_cmo(void **state)
{
	static struct fx f;

	(void)state;
	fx_init(&f, 40, false, false);
	map_variety(&f);
	rec_log_reset(&f.env);
	s2mt_pgt_destroy(&f.pgt);
	expect(rec_count(&f.env, REC_EV_DCACHE) == 0 &&
		       rec_count(&f.env, REC_EV_ICACHE) == 0,
	       "destroy did cache maintenance");
	expect(rec_find(&f.env, REC_EV_TLBI_VMID, 0) != REC_NONE &&
		       f.env.log[rec_find(&f.env, REC_EV_TLBI_VMID, 0)].vmid ==
			       7,
	       "destroy did not invalidate the VMID");
	expect(f.env.alloc_pages == f.env.free_pages &&
		       f.env.alloc_calls == f.env.free_calls,
	       "allocated %" PRIu64 "/%" PRIu64 " calls, freed %" PRIu64
	       "/%" PRIu64,
	       f.env.alloc_pages, f.env.alloc_calls, f.env.free_pages,
	       f.env.free_calls);
	expect(f.env.bad_calls == 0, "%s", f.env.bad_msg);
	fx_track(&f, false);
	expect(rec_env_fini(&f.env) == 0, "leak");
}

/* ------------------------------------------------------------------ */
/* Out of memory: all-or-nothing                                       */
/* ------------------------------------------------------------------ */

struct oom_case {
	const char *name;
	unsigned ipa_bits;
	bool fwb;
	void (*setup)(struct fx *f);
	int (*op)(struct fx *f);
	uint64_t min_allocs;
};

/* Whether the slot (ipa, level) is in a table reachable in dump d. */
static bool slot_reachable(const struct fx *f, const struct dump *d,
			   uint64_t ipa, unsigned level)
{
	size_t i;

	if (level == f->pgt.geo.start_level)
		return true;
	for (i = 0; i < d->n; i++)
		if (d->e[i].table && d->e[i].level + 1 == level &&
		    d->e[i].ipa <= ipa && ipa < d->e[i].ipa + d->e[i].size)
			return true;
	return false;
}

static void oom_run(const struct oom_case *c)
{
	struct dump before = { 0 }, after = { 0 }, good = { 0 };
	uint64_t n_allocs, k;
	static struct fx f;
	int mode;

	print_message("  case: %s\n", c->name);
	/* The operation without injection: how many allocations, and what
	 * it makes. */
	fx_init(&f, c->ipa_bits, c->fwb, c->fwb);
	c->setup(&f);
	n_allocs = f.env.alloc_calls;
	rec_log_reset(&f.env);
	expect_rc(c->op(&f), 0);
	check_bbm(&f, 0);
	n_allocs = f.env.alloc_calls - n_allocs;
	expect(n_allocs >= c->min_allocs,
	       "%s: %" PRIu64 " allocations, want at least %" PRIu64, c->name,
	       n_allocs, c->min_allocs);
	dump_take(&f, &good);
	fx_fini(&f);

	for (mode = 0; mode < 2; mode++)
		for (k = 0; k < n_allocs; k++) {
			size_t i;
			uint64_t live;
			int rc;

			fx_init(&f, c->ipa_bits, c->fwb, c->fwb);
			c->setup(&f);
			dump_take(&f, &before);
			live = f.env.live_pages;
			rec_log_reset(&f.env);
			if (mode)
				rec_fail_after(&f.env, k);
			else
				rec_fail_nth(&f.env, k);
			rc = c->op(&f);
			expect(rc == -S2MT_ENOMEM,
			       "%s: allocation %" PRIu64 " %s: %d (%s), want "
			       "-ENOMEM",
			       c->name, k, mode ? "and later fail" : "fails",
			       rc, s2mt_errno_name(-rc));
			expect(f.env.alloc_failures == 1 || mode,
			       "%s: the injected failure was not hit", c->name);
			dump_take(&f, &after);
			expect_dump_equal(&before, &after, true, c->name);
			expect(f.env.live_pages == live,
			       "%s: failed op (alloc %" PRIu64
			       ") leaked %" PRId64 " pages",
			       c->name, k, (int64_t)(f.env.live_pages - live));
			/* A refused op never touched the live table: no
			 * store into a table reachable before it. */
			for (i = 0; i < f.env.log_len; i++) {
				const struct rec_event *ev = &f.env.log[i];

				if (ev->type != REC_EV_PTE_STORE)
					continue;
				if (ev->old_desc ||
				    slot_reachable(&f, &before, ev->addr,
						   ev->level))
					show_log(&f, 0);
				expect(!ev->old_desc &&
					       !slot_reachable(&f, &before,
							       ev->addr,
							       ev->level),
				       "%s: failed op (alloc %" PRIu64
				       ") stored into the live table at "
				       "log[%zu]",
				       c->name, k, i);
			}
			check_bbm(&f, 0);
			rec_fail_clear(&f.env);
			rec_log_reset(&f.env);
			expect_rc(c->op(&f), 0);
			check_bbm(&f, 0);
			dump_take(&f, &after);
			expect_dump_equal(&good, &after, false, c->name);
			fx_fini(&f);
		}
	dump_free(&before);
	dump_free(&after);
	dump_free(&good);
}

static void setup_none(struct fx *f)
{
	(void)f;
}

static void setup_1g(struct fx *f)
{
	map_ok(f, 4 * SZ_1G, SZ_1G, 12 * SZ_1G, prot_make(RW, S2MT_MT_NORMAL),
	       0);
}

static void setup_2x1g(struct fx *f)
{
	map_ok(f, 4 * SZ_1G, 2 * SZ_1G, 12 * SZ_1G,
	       prot_make(RW, S2MT_MT_NORMAL), 0);
	map_ok(f, 8 * SZ_1G + SZ_4K, SZ_4K, 0x1000,
	       prot_make(R, S2MT_MT_NORMAL), 0);
}

static void setup_2m_r(struct fx *f)
{
	map_ok(f, 4 * SZ_1G + SZ_2M, SZ_2M, 12 * SZ_1G,
	       prot_make(R, S2MT_MT_NORMAL), 0);
}

static int op_map_4_tables(struct fx *f)
{
	return s2mt_pgt_map(&f->pgt, SZ_1G - 2 * SZ_4K, 4 * SZ_4K, 0x10000,
			    prot_make(RW, S2MT_MT_NORMAL), 0);
}

static int op_map_3_levels(struct fx *f)
{
	return s2mt_pgt_map(&f->pgt, (1ull << 47) - SZ_4K, SZ_4K, 0x10000,
			    prot_make(RW, S2MT_MT_NORMAL), 0);
}

static int op_unmap_page_in_1g(struct fx *f)
{
	return s2mt_pgt_unmap(&f->pgt, 4 * SZ_1G + 3 * SZ_2M + 5 * SZ_4K,
			      SZ_4K);
}

static int op_unmap_across_2x1g(struct fx *f)
{
	return s2mt_pgt_unmap(&f->pgt, 5 * SZ_1G - SZ_4K, 2 * SZ_4K);
}

static int op_restrict_page_in_1g(struct fx *f)
{
	return s2mt_pgt_restrict_perms(&f->pgt, 4 * SZ_1G + 9 * SZ_4K, SZ_4K,
				       W);
}

static int op_relax_page_in_2m(struct fx *f)
{
	return s2mt_pgt_relax_perms(&f->pgt, 4 * SZ_1G + SZ_2M + SZ_4K, SZ_4K,
				    X | W);
}

static int op_map_page_in_1g(struct fx *f)
{
	return s2mt_pgt_map(&f->pgt, 4 * SZ_1G + SZ_1G / 2, SZ_4K, 0x7000,
			    prot_make(R, S2MT_MT_DEVICE), 0);
}

static const struct oom_case oom_cases[] = {
	{ "map needing 2 L2 + 2 L3 tables", 40, false, setup_none,
	  op_map_4_tables, 4 },
	{ "map needing L1, L2, L3 tables", 48, false, setup_none,
	  op_map_3_levels, 3 },
	{ "unmap splitting 1G -> 2M -> 4K", 40, false, setup_1g,
	  op_unmap_page_in_1g, 2 },
	{ "unmap splitting two 1G blocks", 40, false, setup_2x1g,
	  op_unmap_across_2x1g, 4 },
	{ "restrict_perms splitting 1G -> 4K", 40, true, setup_1g,
	  op_restrict_page_in_1g, 2 },
	{ "relax_perms splitting 2M -> 4K", 40, true, setup_2m_r,
	  op_relax_page_in_2m, 1 },
	{ "map splitting 1G -> 4K", 40, false, setup_1g, op_map_page_in_1g, 2 },
};

static void test_oom_map_needing_tables(void **state)
{
	(void)state;
	oom_run(&oom_cases[0]);
	oom_run(&oom_cases[1]);
}

static void test_oom_unmap_splitting_blocks(void **state)
{
	(void)state;
	oom_run(&oom_cases[2]);
	oom_run(&oom_cases[3]);
}

static void test_oom_perm_change_splitting_blocks(void **state)
{
	(void)state;
	oom_run(&oom_cases[4]);
	oom_run(&oom_cases[5]);
}

static void test_oom_map_splitting_block(void **state)
{
	(void)state;
	oom_run(&oom_cases[6]);
}

/* ------------------------------------------------------------------ */
/* K3: no execution from Device or Normal-NC                           */
/* ------------------------------------------------------------------ */

static void expect_map_refused(struct fx *f, struct s2mt_prot p,
			       const char *rule, const char *what)
{
	struct dump before = { 0 }, after = { 0 };
	uint64_t live = f->env.live_pages;
	int rc;

	dump_take(f, &before);
	rec_log_reset(&f->env);
	f->pgt.why = NULL;
	rc = s2mt_pgt_map(&f->pgt, 4 * SZ_1G + SZ_2M, SZ_2M + SZ_4K,
			  8 * SZ_1G + SZ_2M, p, 0);
	expect(rc == -S2MT_EINVAL, "%s: map returned %d, want -EINVAL", what,
	       rc);
	expect(f->pgt.why && strstr(f->pgt.why, rule),
	       "%s: pgt->why '%s' does not name %s", what,
	       f->pgt.why ? f->pgt.why : "(null)", rule);
	dump_take(f, &after);
	expect_dump_equal(&before, &after, true, what);
	expect(rec_count(&f->env, REC_EV_PTE_STORE) == 0 &&
		       f->env.live_pages == live,
	       "%s: refused map changed something", what);
	dump_free(&before);
	dump_free(&after);
}

static void test_K3_refuses_exec_device(void **state)
{
	static const unsigned perms[] = { X, R | X, RW | X };
	const char *why = NULL;
	size_t i;
	int fwb;

	(void)state;
	for (fwb = 0; fwb <= 1; fwb++) {
		static struct fx f;

		fx_init(&f, 40, fwb, false);
		map_ok(&f, 4 * SZ_1G, SZ_2M, 8 * SZ_1G,
		       prot_make(RW, S2MT_MT_NORMAL), 0);
		for (i = 0; i < 3; i++) {
			struct s2mt_prot p =
				prot_make(perms[i], S2MT_MT_DEVICE);

			expect(s2mt_prot_check(p, fwb, &why) == -S2MT_EINVAL &&
				       why && strstr(why, "K3"),
			       "prot_check(DEVICE, perm %u, fwb %d)", perms[i],
			       fwb);
			expect_map_refused(&f, p, "K3", "X + DEVICE");
		}
		/* the same without X is fine */
		expect_rc(s2mt_prot_check(prot_make(RW, S2MT_MT_DEVICE), fwb,
					  NULL),
			  0);
		map_ok(&f, 4 * SZ_1G + SZ_2M, SZ_2M, 8 * SZ_1G,
		       prot_make(RW, S2MT_MT_DEVICE), 0);
		fx_fini(&f);
	}
}

static void test_K3_refuses_exec_normal_nc(void **state)
{
	const char *why = NULL;
	int fwb;

	(void)state;
	for (fwb = 0; fwb <= 1; fwb++) {
		static struct fx f;
		struct s2mt_prot p = prot_make(R | X, S2MT_MT_NORMAL_NC);

		fx_init(&f, 40, fwb, true);
		expect(s2mt_prot_check(p, fwb, &why) == -S2MT_EINVAL && why &&
			       strstr(why, "K3"),
		       "prot_check(NORMAL_NC|X, fwb %d)", fwb);
		expect_map_refused(&f, p, "K3", "X + NORMAL_NC");
		map_ok(&f, 4 * SZ_1G + SZ_2M, SZ_2M, 8 * SZ_1G,
		       prot_make(RW, S2MT_MT_NORMAL_NC), 0);
		map_ok(&f, 5 * SZ_1G, SZ_2M, 8 * SZ_1G,
		       prot_make(RW | X, S2MT_MT_NORMAL), 0);
		fx_fini(&f);
	}
}

static void test_K3_refuses_exec_raw_device_and_nc(void **state)
{
	/* MemAttr values decoding to Device (0b00xx / FWB 0b0xx) or
	 * Normal-NC (0x5 / FWB 0b101) in both modes. */
	static const uint8_t raw[] = { 0x0, 0x1, 0x2, 0x3, 0x5 };
	size_t i;
	int fwb;

	(void)state;
	for (fwb = 0; fwb <= 1; fwb++) {
		static struct fx f;

		fx_init(&f, 40, fwb, true);
		for (i = 0; i < sizeof(raw); i++) {
			char what[64];

			snprintf(what, sizeof(what), "raw %#x + X, fwb %d",
				 raw[i], fwb);
			expect(s2mt_prot_check(prot_raw(R | X, raw[i]), fwb,
					       NULL) == -S2MT_EINVAL,
			       "prot_check: %s", what);
			expect_map_refused(&f, prot_raw(R | X, raw[i]), "K3",
					   what);
			map_ok(&f, 6 * SZ_1G, SZ_4K, 0x1000,
			       prot_raw(RW, raw[i]), 0);
		}
		/* Cacheable raw values may be executable */
		map_ok(&f, 6 * SZ_1G, SZ_4K, 0x1000,
		       prot_raw(R | X, fwb ? 0x6 : 0xf), 0);
		if (!fwb)
			map_ok(&f, 6 * SZ_1G, SZ_4K, 0x1000,
			       prot_raw(R | X, 0xa), 0);
		fx_fini(&f);
	}
}

static void test_A3_A4_reserved_raw_memattr_refused(void **state)
{
	static struct fx f;

	(void)state;
	fx_init(&f, 40, false, true);
	/* FWB=0: inner 00 with a Normal outer is reserved (A3) */
	expect(s2mt_prot_check(prot_raw(R, 0x4), false, NULL) == -S2MT_EINVAL,
	       "0x4 accepted");
	expect(s2mt_prot_check(prot_raw(R, 0x8), false, NULL) == -S2MT_EINVAL,
	       "0x8 accepted");
	expect(s2mt_prot_check(prot_raw(R, 0xc), false, NULL) == -S2MT_EINVAL,
	       "0xc accepted");
	expect(s2mt_pgt_map(&f.pgt, SZ_1G, SZ_4K, 0, prot_raw(R, 0x4), 0) ==
		       -S2MT_EINVAL,
	       "map with reserved MemAttr 0x4 accepted");
	fx_fini(&f);
	/* FWB=1: 0b100 is reserved (A4) */
	fx_init(&f, 40, true, true);
	expect(s2mt_prot_check(prot_raw(R, 0x4), true, NULL) == -S2MT_EINVAL,
	       "FWB 0b100 accepted");
	expect(s2mt_pgt_map(&f.pgt, SZ_1G, SZ_4K, 0, prot_raw(R, 0x4), 0) ==
		       -S2MT_EINVAL,
	       "map with reserved FWB MemAttr 0b100 accepted");
	expect(f.env.live_pages == f.nr_start, "refused map allocated");
	fx_fini(&f);
}

static void test_K3_relax_exec_on_device_refused(void **state)
{
	static const unsigned types[] = { S2MT_MT_DEVICE, S2MT_MT_NORMAL_NC };
	size_t t;
	int part;

	(void)state;
	for (t = 0; t < 2; t++)
		for (part = 0; part <= 1; part++) {
			struct dump before = { 0 }, after = { 0 };
			static struct fx f;
			uint64_t ipa = 4 * SZ_1G + SZ_2M;
			int rc;

			fx_init(&f, 40, false, false);
			map_ok(&f, ipa, SZ_2M, 8 * SZ_1G,
			       prot_make(R, types[t]), 0);
			dump_take(&f, &before);
			rec_log_reset(&f.env);
			f.pgt.why = NULL;
			rc = s2mt_pgt_relax_perms(&f.pgt,
						  part ? ipa + SZ_4K : ipa,
						  part ? SZ_4K : SZ_2M, X);
			expect(rc == -S2MT_EINVAL,
			       "relax X on %s (%s): %d, want -EINVAL",
			       s2mt_mtype_name(types[t]),
			       part ? "part of a block" : "whole leaf", rc);
			expect(f.pgt.why && strstr(f.pgt.why, "K3"), "why '%s'",
			       f.pgt.why ? f.pgt.why : "(null)");
			dump_take(&f, &after);
			expect_dump_equal(&before, &after, true, "relax X");
			expect(rec_count(&f.env, REC_EV_PTE_STORE) == 0 &&
				       rec_count(&f.env, REC_EV_ICACHE) == 0 &&
				       f.env.live_pages == f.nr_start + 1,
			       "refused relax changed something");
			/* W may still be added */
			expect_rc(s2mt_pgt_relax_perms(&f.pgt, ipa, SZ_2M, W),
				  0);
			expect_leaf_at(&f, ipa, 2, 8 * SZ_1G,
				       prot_make(RW, types[t]));
			dump_free(&before);
			dump_free(&after);
			fx_fini(&f);
		}
}

/* ------------------------------------------------------------------ */
/* K5: cache maintenance                                               */
/* ------------------------------------------------------------------ */

/* The store installing the leaf (ipa, level) in this log. */
static size_t leaf_store(const struct fx *f, uint64_t ipa, unsigned level)
{
	size_t i;

	for (i = 0; i < f->env.log_len; i++) {
		const struct rec_event *ev = &f->env.log[i];

		if (ev->type == REC_EV_PTE_STORE && ev->addr == ipa &&
		    ev->level == level && is_leaf(ev->new_desc, level))
			return i;
	}
	return REC_NONE;
}

static void test_K5_map_cacheable_cleans_leaf_without_fwb(void **state)
{
	static const uint64_t sizes[] = { SZ_4K, SZ_2M, SZ_1G };
	size_t i, s;

	(void)state;
	for (i = 0; i < 3; i++) {
		uint64_t ipa = 2 * SZ_1G, pa = 13 * SZ_1G;
		static struct fx f;

		fx_init(&f, 40, false, true);
		map_ok(&f, ipa, sizes[i], pa, prot_make(RW, S2MT_MT_NORMAL), 0);
		s = leaf_store(&f, ipa, level_of_size(sizes[i]));
		expect(s != REC_NONE, "no leaf store");
		expect(rec_cmo_covers(&f.env, REC_EV_DCACHE, 0, s, pa,
				      sizes[i]),
		       "size %#" PRIx64 ": the D-cache of [%#" PRIx64
		       ", +size) not cleaned before the leaf store (K5)",
		       sizes[i], pa);
		expect(rec_cmo_bytes(&f.env, REC_EV_DCACHE) == sizes[i],
		       "size %#" PRIx64 ": %" PRIu64 " bytes cleaned", sizes[i],
		       rec_cmo_bytes(&f.env, REC_EV_DCACHE));
		expect(rec_count(&f.env, REC_EV_ICACHE) == 0,
		       "I-cache invalidated for a non-executable leaf");
		fx_fini(&f);
	}
	/* several leaves: each cleaned before its own store */
	{
		uint64_t ipa = 2 * SZ_1G - SZ_4K, pa = 13 * SZ_1G - SZ_4K;
		static struct fx f;

		fx_init(&f, 40, false, true);
		map_ok(&f, ipa, SZ_2M + 2 * SZ_4K, pa,
		       prot_make(R, S2MT_MT_NORMAL), 0);
		s = leaf_store(&f, ipa, 3);
		expect(s != REC_NONE &&
			       rec_cmo_covers(&f.env, REC_EV_DCACHE, 0, s, pa,
					      SZ_4K),
		       "first 4K leaf not cleaned before its store");
		s = leaf_store(&f, 2 * SZ_1G, 2);
		expect(s != REC_NONE &&
			       rec_cmo_covers(&f.env, REC_EV_DCACHE, 0, s,
					      13 * SZ_1G, SZ_2M),
		       "2M leaf not cleaned before its store");
		s = leaf_store(&f, 2 * SZ_1G + SZ_2M, 3);
		expect(s != REC_NONE &&
			       rec_cmo_covers(&f.env, REC_EV_DCACHE, 0, s,
					      13 * SZ_1G + SZ_2M, SZ_4K),
		       "last 4K leaf not cleaned before its store");
		expect(rec_cmo_bytes(&f.env, REC_EV_DCACHE) ==
			       SZ_2M + 2 * SZ_4K,
		       "%" PRIu64 " bytes cleaned",
		       rec_cmo_bytes(&f.env, REC_EV_DCACHE));
		fx_fini(&f);
	}
}

static void test_K5_map_with_fwb_no_dcache_clean(void **state)
{
	static const uint64_t sizes[] = { SZ_4K, SZ_2M, SZ_1G };
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		static struct fx f;

		fx_init(&f, 40, true, true);
		map_ok(&f, 2 * SZ_1G, sizes[i], 13 * SZ_1G,
		       prot_make(RW, S2MT_MT_NORMAL), 0);
		map_ok(&f, 5 * SZ_1G, sizes[i], 14 * SZ_1G,
		       prot_make(RW, S2MT_MT_AS_S1), 0);
		unmap_ok(&f, 2 * SZ_1G, sizes[i]);
		expect(rec_count(&f.env, REC_EV_DCACHE) == 0,
		       "FWB host: %zu D-cache cleans",
		       rec_count(&f.env, REC_EV_DCACHE));
		fx_fini(&f);
	}
}

static void test_K5_device_and_nc_never_cleaned(void **state)
{
	static const uint64_t sizes[] = { SZ_4K, SZ_2M, SZ_1G };
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		static struct fx f;

		fx_init(&f, 40, false, false);
		map_ok(&f, 2 * SZ_1G, sizes[i], 13 * SZ_1G,
		       prot_make(RW, S2MT_MT_DEVICE), 0);
		map_ok(&f, 4 * SZ_1G, sizes[i], 14 * SZ_1G,
		       prot_make(RW, S2MT_MT_NORMAL_NC), 0);
		map_ok(&f, 6 * SZ_1G, sizes[i], 15 * SZ_1G, prot_raw(R, 0x0),
		       0);
		expect(rec_count(&f.env, REC_EV_DCACHE) == 0,
		       "Device/NC map cleaned the D-cache");
		unmap_ok(&f, 2 * SZ_1G, sizes[i]);
		unmap_ok(&f, 4 * SZ_1G, sizes[i]);
		unmap_ok(&f, 6 * SZ_1G, sizes[i]);
		expect(rec_count(&f.env, REC_EV_DCACHE) == 0,
		       "Device/NC unmap cleaned the D-cache");
		expect(rec_count(&f.env, REC_EV_ICACHE) == 0,
		       "I-cache invalidated for non-executable leaves");
		fx_fini(&f);
	}
}

static void test_K5_exec_leaf_invalidates_icache_unless_dic(void **state)
{
	static const uint64_t sizes[] = { SZ_4K, SZ_2M, SZ_1G };
	size_t i, s;
	int fwb, dic;

	(void)state;
	for (i = 0; i < 3; i++)
		for (fwb = 0; fwb <= 1; fwb++)
			for (dic = 0; dic <= 1; dic++) {
				uint64_t ipa = 3 * SZ_1G, pa = 17 * SZ_1G;
				unsigned level = level_of_size(sizes[i]);
				static struct fx f;

				fx_init(&f, 40, fwb, dic);
				map_ok(&f, ipa, sizes[i], pa,
				       prot_make(R | X, S2MT_MT_NORMAL), 0);
				s = leaf_store(&f, ipa, level);
				expect(s != REC_NONE, "no leaf store");
				if (dic) {
					expect(rec_count(&f.env,
							 REC_EV_ICACHE) == 0,
					       "DIC host invalidated the "
					       "I-cache");
				} else {
					expect(rec_cmo_covers(&f.env,
							      REC_EV_ICACHE, 0,
							      s, pa, sizes[i]),
					       "size %#" PRIx64
					       " fwb %d: I-cache "
					       "not invalidated before the "
					       "store (K5)",
					       sizes[i], fwb);
					expect(rec_cmo_bytes(&f.env,
							     REC_EV_ICACHE) ==
						       sizes[i],
					       "%" PRIu64 " bytes invalidated",
					       rec_cmo_bytes(&f.env,
							     REC_EV_ICACHE));
				}
				if (fwb)
					expect(rec_count(&f.env,
							 REC_EV_DCACHE) == 0,
					       "FWB host cleaned the D-cache");
				else
					expect(rec_cmo_covers(&f.env,
							      REC_EV_DCACHE, 0,
							      s, pa, sizes[i]),
					       "D-cache not cleaned");
				/* non-executable: never */
				rec_log_reset(&f.env);
				map_ok(&f, 5 * SZ_1G, sizes[i], pa,
				       prot_make(RW, S2MT_MT_NORMAL), 0);
				expect(rec_count(&f.env, REC_EV_ICACHE) == 0,
				       "I-cache invalidated for RW leaf");
				fx_fini(&f);
			}
}

static void test_K5_relax_adding_exec_invalidates_icache(void **state)
{
	uint64_t ipa = 3 * SZ_1G + SZ_2M, pa = 17 * SZ_1G + SZ_2M;
	size_t s;
	int dic;

	(void)state;
	for (dic = 0; dic <= 1; dic++) {
		static struct fx f;

		fx_init(&f, 40, true, dic);
		map_ok(&f, ipa, SZ_2M, pa, prot_make(R, S2MT_MT_NORMAL), 0);
		expect(rec_count(&f.env, REC_EV_ICACHE) == 0,
		       "I-cache invalidated for an R leaf");
		rec_log_reset(&f.env);
		expect_rc(s2mt_pgt_relax_perms(&f.pgt, ipa, SZ_2M, X), 0);
		check_bbm(&f, 0);
		expect_leaf_at(&f, ipa, 2, pa,
			       prot_make(R | X, S2MT_MT_NORMAL));
		if (dic) {
			expect(rec_count(&f.env, REC_EV_ICACHE) == 0,
			       "DIC host invalidated the I-cache");
		} else {
			s = find_store(&f, 0, ipa, 2, true, true);
			expect(s != REC_NONE, "no in-place store adding X");
			if (!rec_cmo_covers(&f.env, REC_EV_ICACHE, 0, s, pa,
					    SZ_2M))
				show_log(&f, 0);
			expect(rec_cmo_covers(&f.env, REC_EV_ICACHE, 0, s, pa,
					      SZ_2M),
			       "adding X did not invalidate the I-cache of the "
			       "leaf before the store (K5)");
			expect(rec_cmo_bytes(&f.env, REC_EV_ICACHE) == SZ_2M,
			       "%" PRIu64 " bytes",
			       rec_cmo_bytes(&f.env, REC_EV_ICACHE));
		}
		/* part of a block: at least the page that gained X */
		rec_log_reset(&f.env);
		map_ok(&f, 5 * SZ_1G, SZ_1G, 20 * SZ_1G,
		       prot_make(R, S2MT_MT_NORMAL), 0);
		expect_rc(s2mt_pgt_relax_perms(&f.pgt, 5 * SZ_1G + 3 * SZ_4K,
					       SZ_4K, X),
			  0);
		if (dic)
			expect(rec_count(&f.env, REC_EV_ICACHE) == 0,
			       "DIC host invalidated the I-cache");
		else
			expect(rec_cmo_covers(&f.env, REC_EV_ICACHE, 0,
					      f.env.log_len,
					      20 * SZ_1G + 3 * SZ_4K, SZ_4K),
			       "split + X: the page not invalidated");
		fx_fini(&f);
	}
}

static void test_K5_unmap_cleans_cacheable_without_fwb(void **state)
{
	static const uint64_t sizes[] = { SZ_4K, SZ_2M, SZ_1G };
	size_t i, b, c;
	int fwb;

	(void)state;
	for (i = 0; i < 3; i++)
		for (fwb = 0; fwb <= 1; fwb++) {
			uint64_t ipa = 3 * SZ_1G, pa = 17 * SZ_1G;
			static struct fx f;

			fx_init(&f, 40, fwb, true);
			map_ok(&f, ipa, sizes[i], pa,
			       prot_make(RW, S2MT_MT_NORMAL), 0);
			rec_log_reset(&f.env);
			unmap_ok(&f, ipa, sizes[i]);
			if (fwb) {
				expect(rec_count(&f.env, REC_EV_DCACHE) == 0,
				       "FWB host cleaned on unmap");
				fx_fini(&f);
				continue;
			}
			b = find_store(&f, 0, ipa, level_of_size(sizes[i]),
				       true, false);
			expect(b != REC_NONE, "leaf not invalidated");
			expect(rec_cmo_covers(&f.env, REC_EV_DCACHE, 0,
					      f.env.log_len, pa, sizes[i]),
			       "size %#" PRIx64 ": unmapped cacheable leaf "
			       "not cleaned (K5)",
			       sizes[i]);
			/* cleaning before the entry is invalid would let the
			 * guest dirty the cache again */
			c = rec_find(&f.env, REC_EV_DCACHE, 0);
			expect(c > b,
			       "clean (log[%zu]) before the leaf was "
			       "invalidated (log[%zu])",
			       c, b);
			expect(rec_cmo_bytes(&f.env, REC_EV_DCACHE) == sizes[i],
			       "%" PRIu64 " bytes cleaned",
			       rec_cmo_bytes(&f.env, REC_EV_DCACHE));
			fx_fini(&f);
		}
	/* part of a block: at least the unmapped part */
	{
		static struct fx f;

		fx_init(&f, 40, false, true);
		map_ok(&f, SZ_1G, SZ_1G, 30 * SZ_1G,
		       prot_make(RW, S2MT_MT_NORMAL), 0);
		rec_log_reset(&f.env);
		unmap_ok(&f, SZ_1G + 5 * SZ_2M + SZ_4K, SZ_2M);
		expect(rec_cmo_covers(&f.env, REC_EV_DCACHE, 0, f.env.log_len,
				      30 * SZ_1G + 5 * SZ_2M + SZ_4K, SZ_2M),
		       "the unmapped part of a block not cleaned");
		fx_fini(&f);
	}
}

/*
 * A map replacing a cacheable leaf removes that leaf's mapping of the old
 * PA: on a host without FWB the old PA is cleaned as on unmap (K5). This
 * reads "unmapping" in K5 as covering replacement; the header only says
 * K5 is done for the new leaves.
 */
static void test_K5_replacing_cacheable_leaf_cleans_old_pa(void **state)
{
	struct s2mt_prot n = prot_make(RW, S2MT_MT_NORMAL);
	struct s2mt_prot dev = prot_make(RW, S2MT_MT_DEVICE);
	uint64_t ipa = 3 * SZ_1G + SZ_2M, pa = 17 * SZ_1G + SZ_2M;
	static struct fx f;

	(void)state;
	/* to another PA */
	fx_init(&f, 40, false, true);
	map_ok(&f, ipa, SZ_2M, pa, n, 0);
	rec_log_reset(&f.env);
	map_ok(&f, ipa, SZ_2M, pa + SZ_1G, n, 0);
	expect(rec_cmo_covers(&f.env, REC_EV_DCACHE, 0, f.env.log_len, pa,
			      SZ_2M),
	       "the replaced cacheable leaf's PA was not cleaned");
	fx_fini(&f);
	/* same PA, now Device: the cacheable alias goes away */
	fx_init(&f, 40, false, true);
	map_ok(&f, ipa, SZ_2M, pa, n, 0);
	rec_log_reset(&f.env);
	map_ok(&f, ipa, SZ_2M, pa, dev, 0);
	expect(rec_cmo_covers(&f.env, REC_EV_DCACHE, 0, f.env.log_len, pa,
			      SZ_2M),
	       "NORMAL -> DEVICE on the same PA: old cacheable leaf not "
	       "cleaned");
	fx_fini(&f);
	/* with FWB: never */
	fx_init(&f, 40, true, true);
	map_ok(&f, ipa, SZ_2M, pa, n, 0);
	map_ok(&f, ipa, SZ_2M, pa + SZ_1G, n, 0);
	map_ok(&f, ipa, SZ_2M, pa, dev, 0);
	expect(rec_count(&f.env, REC_EV_DCACHE) == 0, "FWB host cleaned");
	fx_fini(&f);
}

static void test_K5_map_adding_exec_in_place_invalidates_icache_first(
	void **state)
{
	struct s2mt_prot r = prot_make(R, S2MT_MT_NORMAL);
	struct s2mt_prot rx = prot_make(R | X, S2MT_MT_NORMAL);
	uint64_t ipa = 3 * SZ_1G + SZ_2M, pa = 17 * SZ_1G + SZ_2M;
	uint64_t want = exp_leaf_prot(pa, rx, true, 2);
	size_t s, i;
	static struct fx f;

	(void)state;
	fx_init(&f, 40, true, false);
	map_ok(&f, ipa, SZ_2M, pa, r, 0);
	rec_log_reset(&f.env);
	/* the same PA and type again, now executable */
	map_ok(&f, ipa, SZ_2M, pa, rx, 0);
	expect_leaf_at(&f, ipa, 2, pa, rx);
	s = REC_NONE;
	for (i = 0; i < f.env.log_len; i++)
		if (f.env.log[i].type == REC_EV_PTE_STORE &&
		    f.env.log[i].new_desc == want) {
			s = i;
			break;
		}
	expect(s != REC_NONE, "the executable leaf was never stored");
	if (!rec_cmo_covers(&f.env, REC_EV_ICACHE, 0, s, pa, SZ_2M))
		show_log(&f, 0);
	expect(rec_cmo_covers(&f.env, REC_EV_ICACHE, 0, s, pa, SZ_2M),
	       "executable leaf installed (log[%zu]) before the I-cache of "
	       "[%#" PRIx64 ", +2M) was invalidated (K5)",
	       s, pa);
	fx_fini(&f);
}

/* ------------------------------------------------------------------ */
/* Other environments: PA != VA, linear p2v, no pte_store hook          */
/* ------------------------------------------------------------------ */

static void test_A1_non_identity_pa_linear_p2v_and_no_store_hook(void **state)
{
	static const struct {
		const char *name;
		const struct s2mt_mm_ops *ops;
	} envs[] = {
		{ "rec_ops, pa = va + 2^47", &rec_ops },
		{ "rec_ops_linear, pa = va + 2^47", &rec_ops_linear },
		{ "rec_ops_nostore, pa = va + 2^47", &rec_ops_nostore },
	};
	struct s2mt_prot n = prot_make(RW, S2MT_MT_NORMAL);
	struct s2mt_prot nr = prot_make(R, S2MT_MT_NORMAL);
	struct s2mt_prot d = prot_make(R, S2MT_MT_DEVICE);
	uint64_t top = (1ull << 40) - SZ_1G, off;
	size_t e;
	int fwb;

	(void)state;
	for (e = 0; e < 3; e++)
		for (fwb = 0; fwb <= 1; fwb++) {
			static struct fx f;

			print_message("  env: %s, fwb %d\n", envs[e].name, fwb);
			fx_init_ops(&f, cfg_make(40, fwb, fwb), envs[e].ops,
				    REC_PA_OFFSET);
			map_variety(&f);
			expect_tables_sane(&f);
			expect_leaf_at(&f, SZ_1G - SZ_2M - SZ_4K, 3,
				       3 * SZ_1G - SZ_2M - SZ_4K, n);
			expect_leaf_at(&f, SZ_1G - SZ_2M, 2, 3 * SZ_1G - SZ_2M,
				       n);
			expect_leaf_at(&f, SZ_1G + 77 * SZ_4K, 1, 3 * SZ_1G, n);
			expect_leaf_at(&f, 8 * SZ_1G + 600 * SZ_4K, 3,
				       0x1234000 + 600 * SZ_4K, d);
			for (off = 0; off < SZ_2M; off += SZ_4K)
				expect_leaf_at(&f, 9 * SZ_1G + off, 3,
					       0x200000 + off, n);
			expect_leaf_at(&f, top + 5 * SZ_2M, 2, 5 * SZ_2M, n);
			/* split a 1G block, a 2M block, change perms */
			unmap_ok(&f, SZ_1G + 5 * SZ_2M + SZ_4K, SZ_4K);
			expect_unmapped(&f, SZ_1G + 5 * SZ_2M + SZ_4K);
			expect_leaf_at(&f, SZ_1G + 5 * SZ_2M, 3,
				       3 * SZ_1G + 5 * SZ_2M, n);
			expect_leaf_at(&f, SZ_1G + 6 * SZ_2M, 2,
				       3 * SZ_1G + 6 * SZ_2M, n);
			expect_rc(s2mt_pgt_restrict_perms(&f.pgt,
							  top + SZ_2M + SZ_4K,
							  SZ_4K, W),
				  0);
			expect_leaf_at(&f, top + SZ_2M + SZ_4K, 3,
				       SZ_2M + SZ_4K, nr);
			expect_leaf_at(&f, top + SZ_2M, 3, SZ_2M, n);
			expect_tables_sane(&f);
			unmap_ok(&f, 0, 1ull << 40);
			expect_only_start_tables(&f);
			fx_fini(&f);
		}
}

/*
 * A map over an L3 table whose first entries are empty and a later one is
 * valid: the valid page must be replaced by the page of its own IPA (and
 * its old translation invalidated at its own IPA), whatever hooks exist.
 */
static void test_A1_map_over_partly_filled_l3_table(void **state)
{
	static const struct s2mt_mm_ops *const ops[] = { &rec_ops,
							 &rec_ops_nostore };
	struct s2mt_prot n = prot_make(RW, S2MT_MT_NORMAL);
	uint64_t a = 6 * SZ_1G + 4 * SZ_2M, q = 0x345678000ull, i;
	size_t o;
	int fwb;

	(void)state;
	for (o = 0; o < 2; o++)
		for (fwb = 0; fwb <= 1; fwb++) {
			static struct fx f;

			print_message("  env: %s, fwb %d\n",
				      o ? "rec_ops_nostore" : "rec_ops", fwb);
			fx_init_ops(&f, cfg_make(40, fwb, true), ops[o], 0);
			map_ok(&f, a + 4 * SZ_4K, SZ_4K, 0x1000, n, 0);
			map_ok(&f, a + 6 * SZ_4K, SZ_4K, 0x2000, n, 0);
			rec_log_reset(&f.env);
			map_ok(&f, a, 8 * SZ_4K, q, n, 0);
			for (i = 0; i < 8; i++)
				expect_leaf_at(&f, a + i * SZ_4K, 3,
					       q + i * SZ_4K, n);
			expect(find_tlbi(&f, 0, a + 4 * SZ_4K, SZ_4K, 3) !=
					       REC_NONE &&
				       find_tlbi(&f, 0, a + 6 * SZ_4K, SZ_4K,
						 3) != REC_NONE,
			       "%s fwb %d: replaced pages not invalidated at "
			       "their IPA",
			       o ? "rec_ops_nostore" : "rec_ops", fwb);
			fx_fini(&f);
		}
}

/* ------------------------------------------------------------------ */
/* Walk                                                                */
/* ------------------------------------------------------------------ */

/*
 * The fault API: the lookup leaves a cursor on an empty level-3 entry only,
 * and the map uses it only while the table is the one walked. A cursor
 * kept across an unmap that freed its table is walked for anew (ASan
 * would see a store into the freed table). A prot prepared for the other
 * FWB setting is refused.
 */
static void test_fault_cursor_and_prepared_prot(void **state)
{
	struct s2mt_prot p = prot_make(RW, S2MT_MT_NORMAL);
	struct s2mt_pgt_prepared prep, nofwb;
	struct s2mt_pgt_cursor cur, c2;
	struct s2mt_leaf l;
	static struct fx f, g;
	uint64_t desc, tables;
	unsigned level;
	size_t from;

	(void)state;
	fx_init_ops(&f, cfg_make(40, true, true), &rec_ops_linear,
		    REC_PA_OFFSET);
	fx_init_ops(&g, cfg_make(40, false, true), &rec_ops_linear,
		    REC_PA_OFFSET);
	expect_rc(s2mt_pgt_prepare(&f.pgt, p, &prep), 0);
	expect_rc(s2mt_pgt_prepare(&g.pgt, p, &nofwb), 0);
	expect(prep.leaf_bits != nofwb.leaf_bits, "A3/A4: same MemAttr");
	map_ok(&f, SZ_2M, SZ_4K, 0x10000, p, 0);

	expect_rc(s2mt_pgt_get_leaf_cursor(&f.pgt, SZ_2M, &desc, &level, &c2),
		  0);
	expect(level == 3 && !c2.ptep, "a leaf: L%u, cursor %p", level,
	       (void *)c2.ptep);
	expect_rc(
		s2mt_pgt_get_leaf_cursor(&f.pgt, 8 * SZ_1G, &desc, &level, &c2),
		-S2MT_ENOENT);
	expect(!c2.ptep, "no table there, yet a cursor");
	expect_rc(s2mt_pgt_get_leaf_cursor(&f.pgt, SZ_2M + SZ_4K, &desc, &level,
					   &cur),
		  -S2MT_ENOENT);
	expect(cur.ptep && cur.ipa == SZ_2M + SZ_4K,
	       "no cursor on an empty "
	       "entry");
	expect_rc(s2mt_pgt_map_page_at(&f.pgt, &cur, 0x20000, &nofwb),
		  -S2MT_EINVAL);
	expect_rc(s2mt_pgt_map_prepared(&f.pgt, SZ_2M + SZ_4K, SZ_4K, 0x20000,
					&nofwb, 0),
		  -S2MT_EINVAL);

	/* The page at the cursor goes away, and its table with it. */
	tables = f.env.live_pages;
	expect_rc(s2mt_pgt_unmap(&f.pgt, SZ_2M, SZ_4K), 0);
	expect(f.env.live_pages < tables, "the level-3 table stayed");
	from = f.env.log_len;
	expect_rc(s2mt_pgt_map_page_at(&f.pgt, &cur, 0x20000, &prep), 0);
	check_bbm(&f, from);
	expect_rc(s2mt_pgt_lookup(&f.pgt, SZ_2M + SZ_4K, &l), 0);
	expect(l.size == SZ_4K && l.pa == 0x20000 && l.s2ap == 3,
	       "leaf size %#" PRIx64 " pa %#" PRIx64 " s2ap %u", l.size, l.pa,
	       l.s2ap);

	/* A fresh cursor, and a store elsewhere in the table before the
	 * map: the map is right either way. */
	expect_rc(s2mt_pgt_get_leaf_cursor(&f.pgt, SZ_2M + 2 * SZ_4K, &desc,
					   &level, &cur),
		  -S2MT_ENOENT);
	map_ok(&f, SZ_2M + 3 * SZ_4K, SZ_4K, 0x40000, p, 0);
	expect_rc(s2mt_pgt_map_page_at(&f.pgt, &cur, 0x30000, &prep), 0);
	expect_rc(s2mt_pgt_lookup(&f.pgt, SZ_2M + 2 * SZ_4K, &l), 0);
	expect(l.pa == 0x30000, "pa %#" PRIx64, l.pa);
	expect(l.desc == s2mt_pte_leaf_prepared(&prep, 0x30000, 3) &&
		       l.desc == s2mt_pte_leaf(0x30000, p, 3, true),
	       "desc %#" PRIx64, l.desc);
	fx_fini(&f);
	fx_fini(&g);
}

static void test_walk_visits_leaves_in_ipa_order(void **state)
{
	struct s2mt_prot p = prot_make(RW, S2MT_MT_NORMAL);
	static const struct {
		uint64_t ipa, size;
	} want[] = {
		{ 2 * SZ_4K, SZ_4K },	      { SZ_1G, SZ_1G },
		{ 4 * SZ_1G + SZ_2M, SZ_2M }, { 5 * SZ_1G + 3 * SZ_4K, SZ_4K },
		{ 600 * SZ_1G, SZ_2M },
	};
	struct dump d = { 0 };
	static struct fx f;
	size_t i;

	(void)state;
	fx_init(&f, 40, true, true);
	map_ok(&f, 5 * SZ_1G + 3 * SZ_4K, SZ_4K, 0x1000, p, 0);
	map_ok(&f, 600 * SZ_1G, SZ_2M, 0x200000, p, 0);
	map_ok(&f, SZ_1G, SZ_1G, 3 * SZ_1G, p, 0);
	map_ok(&f, 2 * SZ_4K, SZ_4K, 0x2000, p, 0);
	map_ok(&f, 4 * SZ_1G + SZ_2M, SZ_2M, 0x400000, p, 0);
	dump_range(&f, 0, 1ull << 40, S2MT_WALK_LEAF, &d);
	expect(d.n == 5, "%zu leaves", d.n);
	for (i = 0; i < 5; i++) {
		struct s2mt_leaf l;

		expect(d.e[i].ipa == want[i].ipa &&
			       d.e[i].size == want[i].size &&
			       d.e[i].level == level_of_size(want[i].size) &&
			       !d.e[i].table,
		       "leaf %zu: ipa %#" PRIx64 " size %#" PRIx64 " L%u", i,
		       d.e[i].ipa, d.e[i].size, d.e[i].level);
		expect_rc(s2mt_pgt_lookup(&f.pgt, want[i].ipa, &l), 0);
		expect(l.desc == d.e[i].desc,
		       "leaf %zu: walk desc %#" PRIx64 ", lookup %#" PRIx64, i,
		       d.e[i].desc, l.desc);
	}
	/* a sub-range */
	dump_range(&f, SZ_1G, 4 * SZ_1G, S2MT_WALK_LEAF, &d);
	expect(d.n == 2 && d.e[0].ipa == SZ_1G &&
		       d.e[1].ipa == 4 * SZ_1G + SZ_2M,
	       "sub-range walk: %zu leaves", d.n);
	dump_free(&d);
	fx_fini(&f);
}

struct stop_arg {
	unsigned calls, stop_at;
};

static int stop_visit(const struct s2mt_walk_entry *e, void *arg)
{
	struct stop_arg *a = arg;

	(void)e;
	return ++a->calls == a->stop_at ? 42 : 0;
}

static void test_walk_visitor_nonzero_stops(void **state)
{
	struct s2mt_prot p = prot_make(RW, S2MT_MT_NORMAL);
	struct stop_arg a = { 0, 2 };
	static struct fx f;

	(void)state;
	fx_init(&f, 40, true, true);
	map_ok(&f, SZ_1G, 8 * SZ_4K, 0x1000, p, SZ_4K);
	expect_rc(s2mt_pgt_walk(&f.pgt, 0, 1ull << 40, S2MT_WALK_LEAF,
				stop_visit, &a),
		  42);
	expect(a.calls == 2, "visitor called %u times after stopping", a.calls);
	a.calls = 0;
	a.stop_at = 100;
	expect_rc(s2mt_pgt_walk(&f.pgt, 0, 1ull << 40, S2MT_WALK_LEAF,
				stop_visit, &a),
		  0);
	expect(a.calls == 8, "%u leaves", a.calls);
	fx_fini(&f);
}

static void test_walk_table_pre_and_post_order(void **state)
{
	uint64_t ipa = SZ_1G + SZ_2M + 3 * SZ_4K;
	struct dump d = { 0 };
	static struct fx f;
	unsigned lv_both[] = { 1, 2, 3, 2, 1 }, lv_pre[] = { 1, 2, 3 },
		 lv_post[] = { 3, 2, 1 };
	size_t i;

	(void)state;
	fx_init(&f, 40, true, true);
	map_ok(&f, ipa, SZ_4K, 0x1000, prot_make(R, S2MT_MT_NORMAL), 0);
	dump_range(&f, 0, 1ull << 40,
		   S2MT_WALK_LEAF | S2MT_WALK_TABLE_PRE | S2MT_WALK_TABLE_POST,
		   &d);
	expect(d.n == 5,
	       "%zu visits, want pre L1, pre L2, leaf, post L2, "
	       "post L1",
	       d.n);
	for (i = 0; i < 5; i++) {
		uint64_t size = s2mt_level_size(lv_both[i]);

		expect(d.e[i].level == lv_both[i] &&
			       d.e[i].table == (lv_both[i] != 3) &&
			       d.e[i].ipa == (ipa & ~(size - 1)) &&
			       d.e[i].size == size,
		       "visit %zu: L%u table %d ipa %#" PRIx64, i, d.e[i].level,
		       d.e[i].table, d.e[i].ipa);
		if (d.e[i].table)
			expect(is_table(d.e[i].desc, d.e[i].level),
			       "visit %zu: desc %#" PRIx64, i, d.e[i].desc);
	}
	dump_range(&f, 0, 1ull << 40, S2MT_WALK_LEAF | S2MT_WALK_TABLE_PRE, &d);
	expect(d.n == 3, "pre: %zu visits", d.n);
	for (i = 0; i < 3; i++)
		expect(d.e[i].level == lv_pre[i], "pre visit %zu: L%u", i,
		       d.e[i].level);
	dump_range(&f, 0, 1ull << 40, S2MT_WALK_LEAF | S2MT_WALK_TABLE_POST,
		   &d);
	expect(d.n == 3, "post: %zu visits", d.n);
	for (i = 0; i < 3; i++)
		expect(d.e[i].level == lv_post[i], "post visit %zu: L%u", i,
		       d.e[i].level);
	dump_range(&f, 0, 1ull << 40, S2MT_WALK_TABLE_PRE, &d);
	expect(d.n == 2 && d.e[0].table && d.e[1].table,
	       "tables only: %zu visits", d.n);
	dump_free(&d);
	fx_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_A2_auto_geometry_every_ipa_size),
		cmocka_unit_test(test_A2_explicit_start_levels),
		cmocka_unit_test(test_A2_vtcr_ps_from_pa_bits),
		cmocka_unit_test(test_A2_vs_bit_follows_vmid16),
		cmocka_unit_test(test_A2_ipa_bits_out_of_range_refused),
		cmocka_unit_test(test_A2_vttbr_baddr_and_vmid),
		cmocka_unit_test(test_A2_init_oom_refused_without_leak),
		cmocka_unit_test(test_A1_header_constants_match_spec),
		cmocka_unit_test(test_A3_A4_prot_memattr_values),
		cmocka_unit_test(test_A1_A3_A4_pte_leaf_encoding),
		cmocka_unit_test(test_A1_leaf_decode_round_trip),
		cmocka_unit_test(test_A1_leaf_prot_raw_round_trip),
		cmocka_unit_test(test_K5_prot_cacheable),
		cmocka_unit_test(test_A1_map_lookup_each_level),
		cmocka_unit_test(test_A1_lookup_unmapped_enoent),
		cmocka_unit_test(test_A1_map_block_vs_page_choice),
		cmocka_unit_test(test_A1_map_across_concatenated_start_tables),
		cmocka_unit_test(test_A1_map_bad_arguments_refused_unchanged),
		cmocka_unit_test(test_A1_unmap_part_of_block_splits_with_bbm),
		cmocka_unit_test(
			test_A1_restrict_perms_on_part_of_block_splits_with_bbm),
		cmocka_unit_test(
			test_A1_relax_perms_on_part_of_block_splits_with_bbm),
		cmocka_unit_test(test_A1_relax_perms_whole_leaf_in_place),
		cmocka_unit_test(
			test_A1_restrict_perms_whole_leaf_invalidates_tlb),
		cmocka_unit_test(test_A1_remap_new_pa_type_size_uses_bbm),
		cmocka_unit_test(test_A1_block_replacing_table_frees_it),
		cmocka_unit_test(test_A1_first_map_needs_no_tlbi),
		cmocka_unit_test(test_A1_map_over_partly_filled_l3_table),
		cmocka_unit_test(test_tables_freed_when_everything_unmapped),
		cmocka_unit_test(test_destroy_frees_everything_without_cmo),
		cmocka_unit_test(test_oom_map_needing_tables),
		cmocka_unit_test(test_oom_unmap_splitting_blocks),
		cmocka_unit_test(test_oom_perm_change_splitting_blocks),
		cmocka_unit_test(test_oom_map_splitting_block),
		cmocka_unit_test(test_K3_refuses_exec_device),
		cmocka_unit_test(test_K3_refuses_exec_normal_nc),
		cmocka_unit_test(test_K3_refuses_exec_raw_device_and_nc),
		cmocka_unit_test(test_A3_A4_reserved_raw_memattr_refused),
		cmocka_unit_test(test_K3_relax_exec_on_device_refused),
		cmocka_unit_test(test_K5_map_cacheable_cleans_leaf_without_fwb),
		cmocka_unit_test(test_K5_map_with_fwb_no_dcache_clean),
		cmocka_unit_test(test_K5_device_and_nc_never_cleaned),
		cmocka_unit_test(
			test_K5_exec_leaf_invalidates_icache_unless_dic),
		cmocka_unit_test(test_K5_relax_adding_exec_invalidates_icache),
		cmocka_unit_test(test_K5_unmap_cleans_cacheable_without_fwb),
		cmocka_unit_test(
			test_K5_replacing_cacheable_leaf_cleans_old_pa),
		cmocka_unit_test(
			test_K5_map_adding_exec_in_place_invalidates_icache_first),
		cmocka_unit_test(
			test_A1_non_identity_pa_linear_p2v_and_no_store_hook),
		cmocka_unit_test(test_fault_cursor_and_prepared_prot),
		cmocka_unit_test(test_walk_visits_leaves_in_ipa_order),
		cmocka_unit_test(test_walk_visitor_nonzero_stops),
		cmocka_unit_test(test_walk_table_pre_and_post_order),
	};

	return cmocka_run_group_tests(tests, NULL, free_live_fixtures);
}
