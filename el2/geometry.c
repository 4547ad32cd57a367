// SPDX-License-Identifier: MIT
/*
 * Geometry (A2) against the MMU: for several IPA sizes the library picks
 * the start level and the number of concatenated start tables and computes
 * VTCR_EL2/VTTBR_EL2; mappings in every start table, at the top of the IPA
 * space and of every leaf size must translate as the library says, holes
 * and the first IPA beyond the space must fault at stage 2, and a reduced
 * referee checks attributes at the top of the space.
 */
#include "referee.h"

#define GEO_VMID 3
#define GEO_MAX_TABLES 16

static uint8_t geo_data[GEO_MAX_TABLES + 1][S2MT_PAGE_SIZE]
	__attribute__((aligned(4096)));
extern uint8_t __guest_ram_start[];

struct geo_counts {
	unsigned checked, wrong;
};

static void expect_pa(struct geo_counts *g, unsigned ipa_bits, const char *what,
		      uint64_t va, bool write, uint64_t pa)
{
	uint64_t par = ref_at(va, write);

	g->checked++;
	if ((par & PAR_F) || PAR_PA(par) != (pa & ~(S2MT_PAGE_SIZE - 1))) {
		g->wrong++;
		el2_fail("geometry ipa=%u: %s: VA 0x%lx PAR_EL1=0x%lx, "
			 "expected PA 0x%lx",
			 ipa_bits, what, va, par, pa);
	}
}

/* A stage-2 translation fault, at a level when level >= 0. */
static void expect_s2_fault(struct geo_counts *g, unsigned ipa_bits,
			    const char *what, uint64_t va, int level,
			    unsigned *seen_level)
{
	uint64_t par = ref_at(va, false);
	unsigned fst = (unsigned)PAR_FST(par);

	g->checked++;
	*seen_level = FSC_LEVEL(fst);
	if (!(par & PAR_F) || !(par & PAR_S) || FSC_TYPE(fst) != FSC_TRANS ||
	    (level >= 0 && FSC_LEVEL(fst) != (unsigned)level)) {
		g->wrong++;
		el2_fail("geometry ipa=%u: %s: VA 0x%lx PAR_EL1=0x%lx, "
			 "expected a stage-2 translation fault at level %d",
			 ipa_bits, what, va, par, level);
	}
}

static int map(struct s2mt_pgt *pgt, uint64_t ipa, uint64_t size, uint64_t pa,
	       uint8_t memattr, uint64_t max_leaf)
{
	struct s2mt_prot prot = { .perm = S2MT_PROT_RW,
				  .type = S2MT_MT_RAW,
				  .memattr = memattr };
	int err = s2mt_pgt_map(pgt, ipa, size, pa, prot, max_leaf);

	if (err)
		el2_fail("geometry: map IPA 0x%lx+0x%lx -> 0x%lx: %s (%s)", ipa,
			 size, pa, s2mt_errno_name(err), pgt->why);
	return err;
}

static void check_leaf(unsigned ipa_bits, const struct s2mt_pgt *pgt,
		       uint64_t ipa, unsigned level)
{
	struct s2mt_leaf leaf;

	if (s2mt_pgt_lookup(pgt, ipa, &leaf) || leaf.level != level)
		el2_fail("geometry ipa=%u: IPA 0x%lx is not a level-%u leaf",
			 ipa_bits, ipa, level);
}

static void geometry_one(unsigned ipa_bits, unsigned pa_bits)
{
	struct s2mt_pgt_cfg cfg = { .ipa_bits = ipa_bits,
				    .pa_bits = pa_bits,
				    .start_level = S2MT_START_AUTO,
				    .fwb = el2_cpu.fwb,
				    .dic = el2_cpu.dic,
				    .vmid = GEO_VMID };
	struct s2mt_prot tbl = { .perm = S2MT_PROT_R, .type = S2MT_MT_NORMAL };
	uint8_t wb = el2_cpu.fwb ? 6 : 0xf;
	uint64_t limit = 1ull << ipa_bits, span, vtcr, top, blk2m, blk1g = 0;
	uint64_t base_pages = el2_mm_stats.pages_in_use;
	struct geo_counts g = { 0 };
	struct ref_counts n = { 0 };
	unsigned sl, nr, hole_level = 0, oor_level = 0;
	bool have_1g;
	struct s2mt_pgt pgt;
	int err;

	err = s2mt_pgt_init(&pgt, &cfg, &el2_mm_ops, &el2_mm_stats);
	if (err) {
		el2_fail("geometry ipa=%u: s2mt_pgt_init: %s (%s)", ipa_bits,
			 s2mt_errno_name(err), pgt.why);
		return;
	}
	sl = pgt.geo.start_level;
	nr = pgt.geo.nr_start_tables;
	/* What one start table covers (the last level-0/1 table may be
	 * partly used: 36 bits resolve 64 level-1 entries). */
	span = limit / nr;
	vtcr = s2mt_pgt_vtcr(&pgt);

	/* A2 fields, and the two cases the issue names. */
	EL2_CHECK((vtcr & 0x3f) == 64 - ipa_bits &&
			  ((vtcr >> 6) & 3) == 2 - sl &&
			  ((vtcr >> 14) & 3) == 0 && (vtcr >> 31 & 1),
		  "geometry ipa=%u: VTCR_EL2 0x%lx", ipa_bits, vtcr);
	EL2_CHECK((s2mt_pgt_vttbr(&pgt) & 0x0000fffffffffffeull &
		   (nr * S2MT_PAGE_SIZE - 1)) == 0,
		  "geometry ipa=%u: VTTBR not aligned to %u tables", ipa_bits,
		  nr);
	EL2_CHECK(nr <= GEO_MAX_TABLES &&
			  span <= s2mt_level_size(sl) * S2MT_PTRS_PER_TABLE &&
			  (nr == 1 ||
			   span == s2mt_level_size(sl) * S2MT_PTRS_PER_TABLE),
		  "geometry ipa=%u: %u tables of 0x%lx do not cover the space",
		  ipa_bits, nr, span);
	if (ipa_bits == 40)
		EL2_CHECK(sl == 1 && nr == 2,
			  "geometry ipa=40: start L%u x%u, expected L1 x2", sl,
			  nr);
	if (ipa_bits == 34)
		EL2_CHECK(sl == 2 && nr == 16,
			  "geometry ipa=34: start L%u x%u, expected L2 x16", sl,
			  nr);

	write_sysreg(HCR_RW | HCR_VM | (cfg.fwb ? HCR_FWB : 0), hcr_el2);
	isb();
	el2_s2_activate(&pgt);
	err = s2mt_pgt_map(&pgt, ref_s1_table_pa(), S2MT_PAGE_SIZE,
			   ref_s1_table_pa(), tbl, S2MT_SIZE_4K);
	EL2_CHECK(!err, "geometry: mapping the stage-1 table");

	/* One page in the middle of every concatenated start table, each to
	 * its own PA. */
	for (unsigned k = 0; k < nr; k++)
		map(&pgt, k * span + span / 2, S2MT_PAGE_SIZE,
		    (uint64_t)(uintptr_t)geo_data[k], 0x1, S2MT_SIZE_4K);
	/* The top of the space: a page, a 2 MiB block below it, and a 1 GiB
	 * block where level 1 exists and no other test point lies in it. */
	top = limit - S2MT_PAGE_SIZE;
	blk2m = limit - 2 * S2MT_SIZE_2M;
	map(&pgt, top, S2MT_PAGE_SIZE,
	    (uint64_t)(uintptr_t)geo_data[GEO_MAX_TABLES], wb, S2MT_SIZE_4K);
	map(&pgt, blk2m, S2MT_SIZE_2M, (uint64_t)(uintptr_t)__guest_ram_start,
	    0x1, 0);
	have_1g = sl <= 1 && limit >= 4 * S2MT_SIZE_1G;
	if (have_1g) {
		blk1g = limit - 2 * S2MT_SIZE_1G;
		for (unsigned k = 0; k < nr; k++)
			if (k * span + span / 2 >= blk1g &&
			    k * span + span / 2 < blk1g + S2MT_SIZE_1G)
				have_1g = false;
	}
	if (have_1g)
		map(&pgt, blk1g, S2MT_SIZE_1G, VIRT_RAM_BASE, 0x1, 0);

	check_leaf(ipa_bits, &pgt, top, 3);
	check_leaf(ipa_bits, &pgt, blk2m, 2);
	if (have_1g)
		check_leaf(ipa_bits, &pgt, blk1g, 1);

	/* Stage 1 off: VA = IPA. */
	ref_s1_set(false, 0);
	for (unsigned k = 0; k < nr; k++) {
		uint64_t ipa = k * span + span / 2;

		expect_pa(&g, ipa_bits, "start table page", ipa, k & 1,
			  (uint64_t)(uintptr_t)geo_data[k]);
		/* A quarter in: a start-level entry that holds nothing. */
		expect_s2_fault(&g, ipa_bits, "hole", k * span + span / 4,
				(int)sl, &hole_level);
	}
	expect_pa(&g, ipa_bits, "top page", top + 0x7f8, false,
		  (uint64_t)(uintptr_t)geo_data[GEO_MAX_TABLES]);
	expect_pa(&g, ipa_bits, "2M block", blk2m + 0x12345, true,
		  (uint64_t)(uintptr_t)__guest_ram_start + 0x12345);
	if (have_1g)
		expect_pa(&g, ipa_bits, "1G block", blk1g + 0x2345678, false,
			  VIRT_RAM_BASE + 0x2345678);
	/* Beyond the IPA space (while still a valid stage-1-off address). */
	if (ipa_bits < el2_cpu.pa_bits)
		expect_s2_fault(&g, ipa_bits, "beyond the IPA space", limit, -1,
				&oor_level);

	/* Stage 1 on: VA slot 4 -> the top 1 GiB of the IPA space. */
	ref_s1_slot(4, top, S2MT_SH_ISH);
	ref_s1_set(true, 0xff);
	expect_pa(&g, ipa_bits, "stage 1 + top page",
		  4 * S2MT_SIZE_1G + (top & (S2MT_SIZE_1G - 1)), false,
		  (uint64_t)(uintptr_t)geo_data[GEO_MAX_TABLES]);

	/* Reduced referee at the top of the space. */
	{
		static const uint8_t s1s[] = { 0x04, 0x44, 0xff };
		const uint8_t s2s[] = { 0x1, 0x5, wb };
		uint64_t va = 4 * S2MT_SIZE_1G + (top & (S2MT_SIZE_1G - 1));
		uint64_t pa = (uint64_t)(uintptr_t)geo_data[GEO_MAX_TABLES];

		for (unsigned i = 0; i < sizeof(s2s); i++) {
			map(&pgt, top, S2MT_PAGE_SIZE, pa, s2s[i],
			    S2MT_SIZE_4K);
			for (unsigned j = 0; j <= sizeof(s1s); j++) {
				struct ref_cell c = { .fwb = cfg.fwb,
						      .memattr = s2s[i],
						      .s2_sh = S2MT_SH_ISH,
						      .s1_on = j > 0,
						      .mair = j ? s1s[j - 1]
								: 0,
						      .s1_sh = S2MT_SH_ISH };

				ref_s1_set(c.s1_on, c.mair);
				ref_judge(&c, ref_at(c.s1_on ? va : top, false),
					  pa, &n, true);
			}
		}
	}
	ref_s1_set(false, 0);

	/* Unmap the top of the space; the MMU must stop translating it. */
	err = s2mt_pgt_unmap(&pgt, limit - S2MT_SIZE_1G, S2MT_SIZE_1G);
	EL2_CHECK(!err, "geometry ipa=%u: unmap: %s", ipa_bits,
		  s2mt_errno_name(err));
	{
		unsigned lvl;

		expect_s2_fault(&g, ipa_bits, "unmapped top page", top, -1,
				&lvl);
	}
	EL2_CHECK(pgt.stats.prepare_misses == 0 &&
			  pgt.stats.prepare_leftovers == 0,
		  "geometry ipa=%u: prepare/commit miscounted", ipa_bits);

	el2_printf(EL2_TAG "geometry ipa=%u: start L%u, %u concatenated "
			   "table(s), VTCR_EL2=0x%lx: %u translations checked, "
			   "%u wrong (holes fault at L%u",
		   ipa_bits, sl, nr, vtcr, g.checked, g.wrong, hole_level);
	if (ipa_bits < el2_cpu.pa_bits)
		el2_printf(", beyond the space at L%u", oor_level);
	el2_printf("%s); attribute cells %u compared, %u agreed, %u "
		   "explained, %u disagreed\n",
		   have_1g ? ", 1G block ok" : "", n.compared, n.agreed,
		   n.explained, n.disagreed);
	EL2_CHECK(n.disagreed == 0, "geometry ipa=%u: attribute disagreements",
		  ipa_bits);
	s2mt_pgt_destroy(&pgt);
	EL2_CHECK(el2_mm_stats.pages_in_use == base_pages,
		  "geometry ipa=%u: %lu table pages leaked", ipa_bits,
		  el2_mm_stats.pages_in_use - base_pages);
	write_sysreg(HCR_RW, hcr_el2);
	isb();
}

void el2_geometry_run(void)
{
	static const unsigned sizes[] = { 32, 34, 36, 40, 42, 44, 48 };
	unsigned pa_bits = el2_cpu.pa_bits > 48 ? 48 : el2_cpu.pa_bits;

	el2_printf("\ngeometry (FWB=%u, PA size %u bits):\n", el2_cpu.fwb,
		   pa_bits);
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (sizes[i] > pa_bits) {
			el2_printf(EL2_TAG "geometry ipa=%u: skipped (PA size "
					   "%u bits)\n",
				   sizes[i], pa_bits);
			continue;
		}
		geometry_one(sizes[i], pa_bits);
	}
}
