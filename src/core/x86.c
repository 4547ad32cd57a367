// SPDX-License-Identifier: MIT
/*
 * x86 for contrast (SPEC section 7, docs/x86.md): which memory type KVM x86
 * gives a guest access. Freestanding, like the rest of the core.
 *
 * The combining rules are written here as rules, one branch per group of
 * table entries, each citing its source; tests/support/x86_ref.c holds the
 * same tables as plain data and tests/test_x86.c compares the two over every
 * input.
 *
 *   Intel SDM Vol. 3A, "Selecting Memory Types for Pentium III and More
 *     Recent Processor Families", the PAT x MTRR table and its notes 1-3
 *     (11.5.2.2 and Table 11-7 in the 2016 edition, renumbered in later
 *     editions).
 *   Intel SDM Vol. 3C, "Memory Type Used for Translated Guest-Physical
 *     Addresses" (28.2.6.2 in the 2016 edition).
 *   AMD APM Vol. 2, 15.25.8 "Combining Memory Types, MTRRs", Tables 15-19
 *     and 15-20; 7.8.5 "Combined Effect of MTRRs and PAT", Table 7-11.
 *   Linux: arch/x86/kvm/vmx/vmx.c vmx_get_mt_mask() (6.15+, commit
 *     c9c1e20b4c7d "KVM: x86: Introduce Intel specific quirk
 *     KVM_X86_QUIRK_IGNORE_GUEST_PAT"), arch/x86/kvm/mmu/spte.c make_spte()
 *     and kvm_is_mmio_pfn(); SVM has no get_mt_mask hook.
 */
#include <s2mt/core.h>

#include "fmt.h"

const uint8_t s2mt_x86_pat_types[S2MT_X86_NR_PAT] = {
	S2MT_X86_UC, S2MT_X86_UC_MINUS, S2MT_X86_WC,
	S2MT_X86_WT, S2MT_X86_WP,	S2MT_X86_WB,
};

const char *s2mt_x86_vendor_name(unsigned vendor)
{
	switch (vendor) {
	case S2MT_X86_INTEL:
		return "intel";
	case S2MT_X86_AMD:
		return "amd";
	}
	return "?";
}

const char *s2mt_x86_mt_name(unsigned mt)
{
	switch (mt) {
	case S2MT_X86_UC:
		return "UC";
	case S2MT_X86_WC:
		return "WC";
	case 2:
	case 3:
		return "reserved";
	case S2MT_X86_WT:
		return "WT";
	case S2MT_X86_WP:
		return "WP";
	case S2MT_X86_WB:
		return "WB";
	case S2MT_X86_UC_MINUS:
		return "UC-";
	case S2MT_X86_CD:
		return "CD";
	case S2MT_X86_WC_PLUS:
		return "WC+";
	}
	return "invalid";
}

int s2mt_x86_mt_parse(const char *text, unsigned *mt)
{
	for (unsigned i = 0; i < S2MT_X86_MT_COUNT_; i++) {
		if (i == 2 || i == 3)
			continue;
		if (s2mt_str_ieq(text, s2mt_x86_mt_name(i))) {
			*mt = i;
			return 0;
		}
	}
	return -S2MT_EINVAL;
}

bool s2mt_x86_mt_is_mtrr(unsigned mt)
{
	return mt == S2MT_X86_UC || mt == S2MT_X86_WC || mt == S2MT_X86_WT ||
		mt == S2MT_X86_WP || mt == S2MT_X86_WB;
}

bool s2mt_x86_mt_is_pat(unsigned mt)
{
	return s2mt_x86_mt_is_mtrr(mt) || mt == S2MT_X86_UC_MINUS;
}

bool s2mt_x86_mt_cacheable(unsigned mt)
{
	return mt == S2MT_X86_WT || mt == S2MT_X86_WP || mt == S2MT_X86_WB;
}

static unsigned with_notes(unsigned mt, unsigned n, unsigned *notes)
{
	if (notes)
		*notes = n;
	return mt;
}

/*
 * Intel SDM, the PAT x MTRR table (Table 11-7 in 2016), read by rows of
 * the PAT type. The SDM marks three kinds of entries: UC decided by the
 * MTRR (note 1), UC decided by the PAT (note 2), and five entries that
 * earlier editions called "undefined" and that the SDM now defines as what
 * every processor with PAT and MTRRs does (note 3): MTRR WC x PAT WT/WP,
 * MTRR WT x PAT WP, MTRR WP x PAT UC-/WT. No entry is undefined today.
 */
unsigned s2mt_x86_intel_combine(unsigned mtrr, unsigned pat, unsigned *notes)
{
	if (!s2mt_x86_mt_is_mtrr(mtrr) || !s2mt_x86_mt_is_pat(pat))
		return with_notes(S2MT_X86_MT_INVALID, 0, notes);
	/* PAT WC wins over every MTRR type, UC included. */
	if (pat == S2MT_X86_WC)
		return with_notes(S2MT_X86_WC, 0, notes);
	/* An MTRR UC makes every other PAT type UC (note 1). */
	if (mtrr == S2MT_X86_UC)
		return with_notes(S2MT_X86_UC, S2MT_X86_NOTE_UC_MTRR, notes);
	if (pat == S2MT_X86_UC)
		return with_notes(S2MT_X86_UC, S2MT_X86_NOTE_UC_PAT, notes);
	/* UC- gives way to an MTRR WC; over WP too (note 3). */
	if (pat == S2MT_X86_UC_MINUS) {
		if (mtrr == S2MT_X86_WC)
			return with_notes(S2MT_X86_WC, 0, notes);
		if (mtrr == S2MT_X86_WP)
			return with_notes(S2MT_X86_WC,
					  S2MT_X86_NOTE_WAS_UNDEFINED, notes);
		return with_notes(S2MT_X86_UC, S2MT_X86_NOTE_UC_PAT, notes);
	}
	/* Over an MTRR WC: PAT WB keeps WC; WT and WP become UC (2, 3). */
	if (mtrr == S2MT_X86_WC) {
		if (pat == S2MT_X86_WB)
			return with_notes(S2MT_X86_WC, 0, notes);
		return with_notes(S2MT_X86_UC,
				  S2MT_X86_NOTE_UC_PAT |
					  S2MT_X86_NOTE_WAS_UNDEFINED,
				  notes);
	}
	/* Among WT, WP and WB: WB yields to the other side. */
	if (pat == S2MT_X86_WB)
		return with_notes(mtrr, 0, notes);
	if (mtrr == S2MT_X86_WB || mtrr == pat)
		return with_notes(pat, 0, notes);
	/* WT x WP either way: the PAT type (note 3). */
	return with_notes(pat, S2MT_X86_NOTE_WAS_UNDEFINED, notes);
}

/*
 * AMD APM Vol. 2, Table 15-19. The host type limits the guest's: an
 * uncacheable host type makes a cacheable guest type UC, and a guest WC
 * over a cacheable host type becomes WC+ so that it still probes the caches
 * the host may have filled.
 */
unsigned s2mt_x86_amd_combine_pat(unsigned guest, unsigned host)
{
	if (!s2mt_x86_mt_is_pat(guest) || !s2mt_x86_mt_is_pat(host))
		return S2MT_X86_MT_INVALID;
	switch (guest) {
	case S2MT_X86_UC:
		return S2MT_X86_UC;
	case S2MT_X86_WC:
		return s2mt_x86_mt_cacheable(host) ? S2MT_X86_WC_PLUS
						   : S2MT_X86_WC;
	case S2MT_X86_UC_MINUS:
		if (host == S2MT_X86_UC_MINUS || host == S2MT_X86_WC)
			return host;
		return S2MT_X86_UC;
	case S2MT_X86_WB:
		/* The host type, but a host UC- stays strong UC. */
		return host == S2MT_X86_UC_MINUS ? S2MT_X86_UC : host;
	}
	/* WT, WP: kept over the same type or WB, else UC. */
	return host == guest || host == S2MT_X86_WB ? guest : S2MT_X86_UC;
}

/*
 * AMD APM Vol. 2, Table 15-20: Table 7-11 (PAT x MTRR) for the combined
 * PAT types, plus the WC+ row. Where a PAT type and an MTRR type disagree
 * about caching, the result is CD (uncacheable, caches probed), not UC.
 */
unsigned s2mt_x86_amd_combine_mtrr(unsigned pat, unsigned mtrr)
{
	if (!s2mt_x86_mt_is_mtrr(mtrr) ||
	    !(s2mt_x86_mt_is_pat(pat) || pat == S2MT_X86_WC_PLUS))
		return S2MT_X86_MT_INVALID;
	if (pat == S2MT_X86_WC)
		return S2MT_X86_WC;
	if (pat == S2MT_X86_WC_PLUS)
		return s2mt_x86_mt_cacheable(mtrr) ? S2MT_X86_WC_PLUS
						   : S2MT_X86_WC;
	if (mtrr == S2MT_X86_UC)
		return S2MT_X86_UC;
	switch (pat) {
	case S2MT_X86_UC:
		return S2MT_X86_CD;
	case S2MT_X86_UC_MINUS:
		return mtrr == S2MT_X86_WC ? S2MT_X86_WC : S2MT_X86_CD;
	case S2MT_X86_WB:
		return mtrr;
	}
	/* WT, WP: kept over the same type or WB, else CD. */
	return mtrr == pat || mtrr == S2MT_X86_WB ? pat : S2MT_X86_CD;
}

/*
 * X1 (Intel), vmx_get_mt_mask() since 6.15:
 *   host MMIO                               -> UC, IPAT 0
 *   quirk on and no non-coherent DMA        -> WB, IPAT 1
 *   otherwise                               -> WB, IPAT 0
 * X2 (AMD): make_spte() adds no memory-type bits (SVM has no get_mt_mask),
 * so the NPT leaf selects host PAT entry 0, which Linux's pat_bp_init()
 * sets to WB; the host MTRRs of the address still apply.
 */
int s2mt_x86_kvm_leaf(const struct s2mt_x86_leaf_in *in,
		      struct s2mt_x86_leaf *out)
{
	struct s2mt_x86_leaf leaf = {
		.vendor = in->vendor,
		.mmio = in->mmio,
		.ept_mt = S2MT_X86_MT_INVALID,
		.host_pat = S2MT_X86_MT_INVALID,
		.host_mtrr = S2MT_X86_MT_INVALID,
	};

	if (in->vendor >= S2MT_X86_VENDOR_COUNT_ ||
	    (in->host_mtrr_given && !s2mt_x86_mt_is_mtrr(in->host_mtrr)))
		return -S2MT_EINVAL;
	if (in->vendor == S2MT_X86_INTEL) {
		leaf.rule = "X1";
		leaf.ept_mt = S2MT_X86_WB;
		if (in->mmio) {
			leaf.ept_mt = S2MT_X86_UC;
			leaf.why = "host MMIO: EPT UC without IPAT, so the "
				   "guest PAT still combines";
		} else if (in->ignore_guest_pat && !in->noncoherent_dma) {
			leaf.ipat = true;
			leaf.why = "host RAM: EPT WB with IPAT, the guest PAT "
				   "is ignored";
		} else if (in->noncoherent_dma) {
			leaf.why = "host RAM with non-coherent DMA: EPT WB "
				   "without IPAT, the guest PAT decides";
		} else {
			leaf.why = "host RAM, KVM_X86_QUIRK_IGNORE_GUEST_PAT "
				   "off: EPT WB without IPAT, the guest PAT "
				   "decides";
		}
	} else {
		leaf.rule = "X2";
		leaf.host_pat = S2MT_X86_WB;
		if (in->host_mtrr_given)
			leaf.host_mtrr = in->host_mtrr;
		else
			leaf.host_mtrr = in->mmio ? S2MT_X86_UC : S2MT_X86_WB;
		leaf.why = in->mmio ? "host MMIO: NPT selects host PAT WB, the "
				      "host MTRR decides with the guest PAT"
				    : "host RAM: NPT selects host PAT WB, the "
				      "guest PAT cannot be overridden";
	}
	*out = leaf;
	return 0;
}

unsigned s2mt_x86_effective(const struct s2mt_x86_leaf *leaf,
			    unsigned guest_pat)
{
	if (!s2mt_x86_mt_is_pat(guest_pat))
		return S2MT_X86_MT_INVALID;
	if (leaf->vendor == S2MT_X86_INTEL) {
		/* SDM: a reserved EPT memory type is a misconfiguration. */
		if (!s2mt_x86_mt_is_mtrr(leaf->ept_mt))
			return S2MT_X86_MT_INVALID;
		/* SDM: IPAT = 1 takes the EPT type, the PAT is ignored;
		 * IPAT = 0 combines it in place of the MTRR type. */
		if (leaf->ipat)
			return leaf->ept_mt;
		return s2mt_x86_intel_combine(leaf->ept_mt, guest_pat, NULL);
	}
	if (leaf->vendor == S2MT_X86_AMD)
		return s2mt_x86_amd_combine_mtrr(
			s2mt_x86_amd_combine_pat(guest_pat, leaf->host_pat),
			leaf->host_mtrr);
	return S2MT_X86_MT_INVALID;
}

bool s2mt_x86_leaf_guarantees_wb(const struct s2mt_x86_leaf *leaf)
{
	for (unsigned i = 0; i < S2MT_X86_NR_PAT; i++)
		if (s2mt_x86_effective(leaf, s2mt_x86_pat_types[i]) !=
		    S2MT_X86_WB)
			return false;
	return true;
}
