// SPDX-License-Identifier: MIT
/*
 * The attribute referee: for every stage-2 MemAttr and every stage-1 class,
 * the library builds the stage-2 leaf, the MMU translates with AT S12E1R
 * and AT S12E1W, and PAR_EL1 is compared with s2mt_combine() (A3-A7).
 */
#include "referee.h"

/* ---- the EL1&0 stage 1 ---- */

static uint64_t s1_l1[512] __attribute__((aligned(4096)));

#define S1_BLOCK 1ull
#define S1_AF (1ull << 10)
#define S1_SH_SHIFT 8

/* SCTLR_EL1: RES1 | C | I, M added when stage 1 is on. */
#define SCTLR_EL1_BASE (0x30d00800ull | 1ull << 2 | 1ull << 12)

static unsigned tcr_ips(unsigned pa_bits)
{
	static const unsigned bits[] = { 32, 36, 40, 42, 44, 48 };
	unsigned ips = 0;

	for (unsigned i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (pa_bits >= bits[i])
			ips = i;
	return ips;
}

uint64_t ref_s1_table_pa(void)
{
	return (uint64_t)(uintptr_t)s1_l1;
}

void ref_s1_slot(unsigned k, uint64_t ipa, uint8_t sh)
{
	/* AP = 00 (EL1 read/write), AttrIndx 0. */
	s1_l1[k] = (ipa & ~(S2MT_SIZE_1G - 1)) | (uint64_t)sh << S1_SH_SHIFT |
		S1_AF | S1_BLOCK;
	dsb(ishst);
	el2_tlbi_el1();
}

static void s1_init(void)
{
	/* T0SZ 25: 39-bit VA, level-1 start; EPD1; TG0 4K; WBWA ISH walks;
	 * IPS covers every IPA the geometry tests use. */
	uint64_t tcr = 25 | 1ull << 8 | 1ull << 10 | 3ull << 12 | 1ull << 23 |
		(uint64_t)tcr_ips(el2_cpu.pa_bits) << 32;

	memset(s1_l1, 0, sizeof(s1_l1));
	write_sysreg(tcr, tcr_el1);
	write_sysreg(ref_s1_table_pa(), ttbr0_el1);
	write_sysreg(0, mair_el1);
	write_sysreg(SCTLR_EL1_BASE, sctlr_el1);
	isb();
	el2_tlbi_el1();
}

void ref_s1_set(bool on, uint8_t mair)
{
	write_sysreg(mair, mair_el1); /* Attr0 */
	write_sysreg(SCTLR_EL1_BASE | (on ? 1 : 0), sctlr_el1);
	isb();
	/* MAIR and SCTLR may be cached in (combined) TLB entries. */
	el2_tlbi_el1();
}

uint64_t ref_at(uint64_t va, bool write)
{
	if (write)
		__asm__ volatile("at s12e1w, %0" : : "r"(va) : "memory");
	else
		__asm__ volatile("at s12e1r, %0" : : "r"(va) : "memory");
	isb();
	return read_sysreg(par_el1);
}

/* ---- judging one cell ---- */

static void print_cell(const struct ref_cell *c)
{
	el2_printf("FWB=%u S2 MemAttr 0x%x SH%u, ", c->fwb, c->memattr,
		   c->s2_sh);
	if (c->s1_on)
		el2_printf("S1 MAIR 0x%02x SH%u", c->mair, c->s1_sh);
	else
		el2_printf("S1 off");
	el2_printf(", AT S12E1%c", c->write ? 'W' : 'R');
}

char ref_judge(const struct ref_cell *c, uint64_t par, uint64_t pa,
	       struct ref_counts *n, bool verbose)
{
	struct s2mt_s1attr s1 = { .enabled = c->s1_on,
				  .mair = c->mair,
				  .sh = c->s1_on ? c->s1_sh : S2MT_SH_OSH };
	struct s2mt_s2attr s2 = { .memattr = c->memattr, .sh = c->s2_sh };
	struct s2mt_effective e;
	struct par_view arch = { 0 }, expect, obs;
	bool ok = s2mt_combine(s1, s2, c->fwb, &e) == 0;
	unsigned covered = 0;
	char mark = '.';
	char buf[160];

	n->compared++;
	if (ok) {
		arch.attr = s2mt_mair_encode(&e.mt);
		arch.sh = e.sh;
	}
	expect = arch;
	obs.attr = PAR_ATTR(par);
	obs.sh = (uint8_t)PAR_SH(par);

	if ((par & PAR_F) || PAR_PA(par) != pa) {
		n->disagreed++;
		print_cell(c);
		el2_printf(": PAR_EL1=0x%lx, expected PA 0x%lx\n", par, pa);
		el2_fail("referee: translation failed or wrong PA");
		return '!';
	}
	for (unsigned i = 0; i < el2_nr_deviations; i++) {
		struct el2_deviation *d = &el2_deviations[i];

		if (el2_deviation_active(d) && d->apply(c, &e, &expect)) {
			d->covered++;
			covered |= 1u << i;
		}
	}
	if (ok && !covered && obs.attr == arch.attr && obs.sh == arch.sh) {
		n->agreed++;
		return '.';
	}
	if (covered && obs.attr == expect.attr && obs.sh == expect.sh &&
	    (!ok || expect.attr != arch.attr || expect.sh != arch.sh)) {
		n->explained++;
		for (unsigned i = 0; i < el2_nr_deviations; i++) {
			if (!(covered & 1u << i))
				continue;
			el2_deviations[i].matched++;
			mark = mark == '.' ? el2_deviations[i].mark : '*';
		}
		return mark;
	}
	n->disagreed++;
	if (verbose) {
		print_cell(c);
		el2_printf(": QEMU ATTR 0x%02x SH%u", obs.attr, obs.sh);
		if (ok)
			el2_printf(", model ATTR 0x%02x SH%u", arch.attr,
				   arch.sh);
		else
			el2_printf(", model: reserved");
		if (covered)
			el2_printf(", deviation table 0x%02x SH%u", expect.attr,
				   expect.sh);
		s2mt_explain(&e, buf, sizeof(buf));
		el2_printf("\n    model: %s\n", buf);
	}
	return '!';
}

/* ---- the full referee ---- */

/* The test IPA sits in the second of the two concatenated level-1 start
 * tables of a 40-bit IPA space, the PA in the harness's RAM. */
#define REF_IPA_BITS 40
#define REF_IPA 0x8040005000ul
#define REF_VMID 1

static uint8_t ref_data[S2MT_PAGE_SIZE] __attribute__((aligned(4096)));

/* The stage-1 classes: every Device kind, NC, WT (two hint sets), WB (RWA,
 * RA, transient), mixed inner/outer, tagged when the CPU has MTE. */
static const uint8_t s1_mairs[] = { 0x00, 0x04, 0x08, 0x0c, 0x44, 0xbb, 0xaa,
				    0xff, 0xee, 0x77, 0x4f, 0xf4, 0xf0 };
#define NR_S1_MAIRS (sizeof(s1_mairs) / sizeof(s1_mairs[0]))
static const uint8_t s1_shs[] = { S2MT_SH_ISH, S2MT_SH_OSH, S2MT_SH_NSH };
#define NR_S1_SHS (sizeof(s1_shs) / sizeof(s1_shs[0]))

/* The stage-2 level-3 entry that maps ipa, found by walking the table
 * independently of the library. */
static uint64_t *find_l3_entry(const struct s2mt_pgt *pgt, uint64_t ipa)
{
	unsigned level = pgt->geo.start_level;
	uint64_t *table = pgt->pgd;
	uint64_t idx = ipa >> (S2MT_PAGE_SHIFT + 9 * (3 - level));

	for (;;) {
		uint64_t *ptep = &table[idx];

		if (level == 3)
			return ptep;
		if ((*ptep & 3) != 3)
			return NULL;
		table = (uint64_t *)(uintptr_t)(*ptep & S2MT_PTE_ADDR_MASK);
		level++;
		idx = (ipa >> (S2MT_PAGE_SHIFT + 9 * (3 - level))) & 511;
	}
}

/*
 * Install the test leaf with a MemAttr. The library maps every value it
 * accepts; a reserved value (which s2mt_prot_check refuses) is written by
 * hand: a valid leaf is mapped first, its level-3 entry found by an
 * independent walk, and replaced - break, TLBI, make - by the descriptor
 * s2mt_pte_leaf() builds for the raw MemAttr.
 */
static bool install_leaf(struct s2mt_pgt *pgt, uint8_t memattr, bool fwb,
			 unsigned *hand)
{
	struct s2mt_prot prot = { .perm = S2MT_PROT_RW,
				  .type = S2MT_MT_RAW,
				  .memattr = memattr };
	uint64_t pa = (uint64_t)(uintptr_t)ref_data;
	struct s2mt_leaf leaf;
	const char *why = NULL;
	uint64_t *ptep;
	int err;

	if (s2mt_prot_check(prot, fwb, &why) == 0) {
		err = s2mt_pgt_map(pgt, REF_IPA, S2MT_PAGE_SIZE, pa, prot,
				   S2MT_SIZE_4K);
		if (err) {
			el2_fail("referee: s2mt_pgt_map MemAttr 0x%x: %s (%s)",
				 memattr, s2mt_errno_name(err), pgt->why);
			return false;
		}
	} else {
		/* The library must refuse it through map as well. */
		err = s2mt_pgt_map(pgt, REF_IPA, S2MT_PAGE_SIZE, pa, prot,
				   S2MT_SIZE_4K);
		EL2_CHECK(err == -S2MT_EINVAL,
			  "referee: s2mt_pgt_map took reserved MemAttr 0x%x",
			  memattr);
		prot.memattr = 0; /* Device-nGnRnE: valid in both modes */
		err = s2mt_pgt_map(pgt, REF_IPA, S2MT_PAGE_SIZE, pa, prot,
				   S2MT_SIZE_4K);
		ptep = find_l3_entry(pgt, REF_IPA);
		if (err || !ptep || !(*ptep & S2MT_PTE_VALID)) {
			el2_fail("referee: no leaf to overwrite for 0x%x",
				 memattr);
			return false;
		}
		prot.memattr = memattr;
		*(volatile uint64_t *)ptep = 0;
		el2_mm_ops.tlbi_ipa(pgt->ctx, pgt->cfg.vmid, REF_IPA,
				    S2MT_PAGE_SIZE, 3);
		*(volatile uint64_t *)ptep = s2mt_pte_leaf(pa, prot, 3, fwb);
		dsb(ishst);
		isb();
		(*hand)++;
	}
	/* The library's own walk must see what the MMU will see. */
	err = s2mt_pgt_lookup(pgt, REF_IPA, &leaf);
	if (err || leaf.memattr != memattr || leaf.pa != pa ||
	    leaf.level != 3 || leaf.sh != S2MT_SH_ISH) {
		el2_fail("referee: lookup after installing MemAttr 0x%x",
			 memattr);
		return false;
	}
	return true;
}

static void print_matrix_header(void)
{
	el2_printf("  S2 MemAttr          | off   ");
	for (unsigned m = 0; m < NR_S1_MAIRS; m++)
		el2_printf(" %02x    ", s1_mairs[m]);
	el2_printf("\n");
}

static char worse(char a, char b)
{
	if (a == '!' || b == '!')
		return '!';
	if (a == '.')
		return b;
	if (b == '.' || a == b)
		return a;
	return '*';
}

void el2_referee_run(bool fwb)
{
	struct s2mt_pgt_cfg cfg = { .ipa_bits = REF_IPA_BITS,
				    .pa_bits = el2_cpu.pa_bits > 48
					    ? 48
					    : el2_cpu.pa_bits,
				    .start_level = S2MT_START_AUTO,
				    .fwb = fwb,
				    .dic = el2_cpu.dic,
				    .vmid = REF_VMID };
	struct s2mt_prot tbl = { .perm = S2MT_PROT_R, .type = S2MT_MT_NORMAL };
	unsigned nr_memattr = fwb ? 8 : 16, hand = 0, printed = 0;
	uint64_t pa = (uint64_t)(uintptr_t)ref_data;
	struct ref_counts n = { 0 };
	struct s2mt_pgt pgt;
	char name[32];
	int err;

	for (unsigned i = 0; i < el2_nr_deviations; i++)
		el2_deviations[i].covered = el2_deviations[i].matched = 0;
	err = s2mt_pgt_init(&pgt, &cfg, &el2_mm_ops, &el2_mm_stats);
	if (err) {
		el2_fail("referee: s2mt_pgt_init: %s (%s)",
			 s2mt_errno_name(err), pgt.why);
		return;
	}
	write_sysreg(HCR_RW | HCR_VM | (fwb ? HCR_FWB : 0), hcr_el2);
	isb();
	EL2_CHECK(!!(read_sysreg(hcr_el2) & HCR_FWB) == fwb,
		  "referee: HCR_EL2.FWB did not take %u", fwb);
	el2_s2_activate(&pgt);

	/* Stage 1: VA slot k = 1..3 maps the test IPA's 1 GiB block with
	 * one SH each; its table is mapped identity, Normal, read-only. */
	s1_init();
	for (unsigned k = 0; k < NR_S1_SHS; k++)
		ref_s1_slot(k + 1, REF_IPA, s1_shs[k]);
	err = s2mt_pgt_map(&pgt, ref_s1_table_pa(), S2MT_PAGE_SIZE,
			   ref_s1_table_pa(), tbl, S2MT_SIZE_4K);
	EL2_CHECK(!err, "referee: mapping the stage-1 table: %s",
		  s2mt_errno_name(err));

	el2_printf("\nreferee FWB=%u: VTCR_EL2=0x%lx VTTBR_EL2=0x%lx, test IPA "
		   "0x%lx -> PA 0x%lx\n",
		   fwb, s2mt_pgt_vtcr(&pgt), s2mt_pgt_vttbr(&pgt), REF_IPA, pa);
	el2_printf("  cell: PAR_EL1 ATTR/SH from AT S12E1R with an ISH stage-1 "
		   "descriptor; ':x' marks the cells (SH NSH/OSH/ISH, R and "
		   "W)\n  that differ from s2mt_combine(): x = the deviation "
		   "(r R 1 2 3 o 4; * several), '!' = disagreement\n");
	print_matrix_header();
	for (uint8_t m = 0; m < nr_memattr; m++) {
		if (!install_leaf(&pgt, m, fwb, &hand))
			continue;
		s2mt_s2_name(m, fwb, name, sizeof(name));
		el2_printf("  0x%x %-16s|", m, name);
		for (unsigned col = 0; col <= NR_S1_MAIRS; col++) {
			bool on = col > 0;
			uint8_t mair = on ? s1_mairs[col - 1] : 0;
			unsigned nsh = on ? NR_S1_SHS : 1;
			uint64_t shown = 0;
			char mark = '.';

			if (on && mair == 0xf0 && !el2_cpu.mte2) {
				el2_printf("  -    ");
				continue;
			}
			ref_s1_set(on, mair);
			for (unsigned k = 0; k < nsh; k++) {
				uint64_t va = on ? ((uint64_t)(k + 1) << 30) |
						(REF_IPA & (S2MT_SIZE_1G - 1))
						 : REF_IPA;

				for (unsigned w = 0; w < 2; w++) {
					struct ref_cell c = {
						.fwb = fwb,
						.memattr = m,
						.s2_sh = S2MT_SH_ISH,
						.s1_on = on,
						.mair = mair,
						.s1_sh = s1_shs[k],
						.write = w,
					};
					uint64_t par = ref_at(va, w);

					if (k == 0 && !w)
						shown = par;
					mark = worse(mark,
						     ref_judge(&c, par, pa, &n,
							       printed < 24));
					if (mark == '!' && printed < 24)
						printed++;
				}
			}
			el2_printf(" %02x/%u%c%c", PAR_ATTR(shown),
				   (unsigned)PAR_SH(shown),
				   mark == '.' ? ' ' : ':',
				   mark == '.' ? ' ' : mark);
		}
		el2_printf("\n");
	}
	ref_s1_set(false, 0);

	el2_printf(EL2_TAG "referee fwb=%u: %u cells compared, %u agreed, %u "
			   "explained by a known deviation, %u disagreed "
			   "(%u reserved leaves written by hand)\n",
		   fwb, n.compared, n.agreed, n.explained, n.disagreed, hand);
	for (unsigned i = 0; i < el2_nr_deviations; i++) {
		struct el2_deviation *d = &el2_deviations[i];
		bool active = el2_deviation_active(d);
		bool applies = d->fwb == fwb && active;

		if (d->fwb != fwb && !d->covered)
			continue;
		if (!active) {
			/* Not applied: its cells were held to the model. */
			el2_printf(EL2_TAG "  deviation %s (breaks %s; %s): "
					   "not in QEMU %s (",
				   d->id, d->rule, d->what, el2_run.qemu_str);
			if (d->since)
				el2_printf("since %u.%u%s", d->since / 100,
					   d->since % 100,
					   d->until ? ", " : "");
			if (d->until)
				el2_printf("before %u.%u", d->until / 100,
					   d->until % 100);
			el2_printf(" only) - its cells held to the model\n");
			continue;
		}
		el2_printf(EL2_TAG "  deviation %s (breaks %s; %s): %u cells "
				   "matched of %u covered - %s\n",
			   d->id, d->rule, d->what, d->matched, d->covered,
			   d->matched ? "observed" : "NOT OBSERVED");
		EL2_CHECK(!applies || d->matched,
			  "referee: deviation %s is not shown by QEMU %s; "
			  "fix or remove the table entry (or give it an "
			  "until version)",
			  d->id, el2_run.qemu_str);
	}
	EL2_CHECK(n.disagreed == 0, "referee fwb=%u: %u disagreements", fwb,
		  n.disagreed);
	EL2_CHECK(pgt.stats.prepare_misses == 0 &&
			  pgt.stats.prepare_leftovers == 0,
		  "referee: prepare/commit miscounted");
	s2mt_pgt_destroy(&pgt);
	write_sysreg(HCR_RW, hcr_el2);
	isb();
}
