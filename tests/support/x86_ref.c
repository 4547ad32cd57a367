// SPDX-License-Identifier: MIT
/*
 * The x86 memory-type reference for tests: every table as data, entry by
 * entry, typed in from the manuals and never derived from src/core/x86.c.
 * Names, not numbers, so that a wrong encoding in the model shows too.
 *
 * Intel: SDM Vol. 3A, "Selecting Memory Types for Pentium III and More
 *   Recent Processor Families", the PAT x MTRR table (Table 11-7 in the
 *   2016 edition) with its notes; SDM Vol. 3C, "Memory Type Used for
 *   Translated Guest-Physical Addresses" (28.2.6.2 in 2016); SDM Vol. 3A,
 *   "Memory Types That Can Be Encoded With PAT" (Table 11-10 in 2016).
 * AMD: APM Vol. 2, 15.25.8 "Combining Memory Types, MTRRs", Tables 15-19
 *   and 15-20; its rows for UC..WB match Table 7-11 of 7.8.5.
 * KVM: Linux 6.15+ arch/x86/kvm/vmx/vmx.c vmx_get_mt_mask() and
 *   vmx_ignore_guest_pat(); arch/x86/kvm/mmu/spte.c make_spte() (no
 *   memory-type bits without a get_mt_mask hook, which SVM lacks);
 *   arch/x86/mm/pat/memtype.c pat_bp_init() (host PAT entry 0 is WB).
 */
#include <stddef.h>
#include <string.h>

#include "x86_ref.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

const char *x86_ref_encoding_name(unsigned enc)
{
	static const char *const names[] = {
		[0] = "UC", [1] = "WC",	 [4] = "WT", [5] = "WP",
		[6] = "WB", [7] = "UC-", [8] = "CD", [9] = "WC+",
	};

	return enc < ARRAY_SIZE(names) ? names[enc] : NULL;
}

/* Intel: MTRR type, PAT type, effective type, notes. */
static const struct {
	const char *mtrr, *pat, *eff, *notes;
} intel[] = {
	{ "UC", "UC", "UC", "1" }, { "UC", "UC-", "UC", "1" },
	{ "UC", "WC", "WC", "" },  { "UC", "WT", "UC", "1" },
	{ "UC", "WB", "UC", "1" }, { "UC", "WP", "UC", "1" },

	{ "WC", "UC", "UC", "2" }, { "WC", "UC-", "WC", "" },
	{ "WC", "WC", "WC", "" },  { "WC", "WT", "UC", "2,3" },
	{ "WC", "WB", "WC", "" },  { "WC", "WP", "UC", "2,3" },

	{ "WT", "UC", "UC", "2" }, { "WT", "UC-", "UC", "2" },
	{ "WT", "WC", "WC", "" },  { "WT", "WT", "WT", "" },
	{ "WT", "WB", "WT", "" },  { "WT", "WP", "WP", "3" },

	{ "WB", "UC", "UC", "2" }, { "WB", "UC-", "UC", "2" },
	{ "WB", "WC", "WC", "" },  { "WB", "WT", "WT", "" },
	{ "WB", "WB", "WB", "" },  { "WB", "WP", "WP", "" },

	{ "WP", "UC", "UC", "2" }, { "WP", "UC-", "WC", "3" },
	{ "WP", "WC", "WC", "" },  { "WP", "WT", "WT", "3" },
	{ "WP", "WB", "WP", "" },  { "WP", "WP", "WP", "" },
};

/* AMD Table 15-19: guest PAT type, host PAT type, combined PAT type. */
static const struct {
	const char *guest, *host, *eff;
} amd_pat[] = {
	{ "UC", "UC", "UC" },  { "UC", "UC-", "UC" },	{ "UC", "WC", "UC" },
	{ "UC", "WP", "UC" },  { "UC", "WT", "UC" },	{ "UC", "WB", "UC" },

	{ "UC-", "UC", "UC" }, { "UC-", "UC-", "UC-" }, { "UC-", "WC", "WC" },
	{ "UC-", "WP", "UC" }, { "UC-", "WT", "UC" },	{ "UC-", "WB", "UC" },

	{ "WC", "UC", "WC" },  { "WC", "UC-", "WC" },	{ "WC", "WC", "WC" },
	{ "WC", "WP", "WC+" }, { "WC", "WT", "WC+" },	{ "WC", "WB", "WC+" },

	{ "WP", "UC", "UC" },  { "WP", "UC-", "UC" },	{ "WP", "WC", "UC" },
	{ "WP", "WP", "WP" },  { "WP", "WT", "UC" },	{ "WP", "WB", "WP" },

	{ "WT", "UC", "UC" },  { "WT", "UC-", "UC" },	{ "WT", "WC", "UC" },
	{ "WT", "WP", "UC" },  { "WT", "WT", "WT" },	{ "WT", "WB", "WT" },

	{ "WB", "UC", "UC" },  { "WB", "UC-", "UC" },	{ "WB", "WC", "WC" },
	{ "WB", "WP", "WP" },  { "WB", "WT", "WT" },	{ "WB", "WB", "WB" },
};

/* AMD Table 15-20: combined PAT type, MTRR type, effective type. */
static const struct {
	const char *pat, *mtrr, *eff;
} amd_mtrr[] = {
	{ "UC", "UC", "UC" },	{ "UC", "WC", "CD" },	{ "UC", "WP", "CD" },
	{ "UC", "WT", "CD" },	{ "UC", "WB", "CD" },

	{ "UC-", "UC", "UC" },	{ "UC-", "WC", "WC" },	{ "UC-", "WP", "CD" },
	{ "UC-", "WT", "CD" },	{ "UC-", "WB", "CD" },

	{ "WC", "UC", "WC" },	{ "WC", "WC", "WC" },	{ "WC", "WP", "WC" },
	{ "WC", "WT", "WC" },	{ "WC", "WB", "WC" },

	{ "WC+", "UC", "WC" },	{ "WC+", "WC", "WC" },	{ "WC+", "WP", "WC+" },
	{ "WC+", "WT", "WC+" }, { "WC+", "WB", "WC+" },

	{ "WP", "UC", "UC" },	{ "WP", "WC", "CD" },	{ "WP", "WP", "WP" },
	{ "WP", "WT", "CD" },	{ "WP", "WB", "WP" },

	{ "WT", "UC", "UC" },	{ "WT", "WC", "CD" },	{ "WT", "WP", "CD" },
	{ "WT", "WT", "WT" },	{ "WT", "WB", "WT" },

	{ "WB", "UC", "UC" },	{ "WB", "WC", "WC" },	{ "WB", "WP", "WP" },
	{ "WB", "WT", "WT" },	{ "WB", "WB", "WB" },
};

static bool eq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

const char *x86_ref_intel(const char *mtrr, const char *pat, const char **notes)
{
	for (size_t i = 0; i < ARRAY_SIZE(intel); i++)
		if (eq(intel[i].mtrr, mtrr) && eq(intel[i].pat, pat)) {
			if (notes)
				*notes = intel[i].notes;
			return intel[i].eff;
		}
	if (notes)
		*notes = "";
	return NULL;
}

const char *x86_ref_amd_pat(const char *guest, const char *host)
{
	for (size_t i = 0; i < ARRAY_SIZE(amd_pat); i++)
		if (eq(amd_pat[i].guest, guest) && eq(amd_pat[i].host, host))
			return amd_pat[i].eff;
	return NULL;
}

const char *x86_ref_amd_mtrr(const char *pat, const char *mtrr)
{
	for (size_t i = 0; i < ARRAY_SIZE(amd_mtrr); i++)
		if (eq(amd_mtrr[i].pat, pat) && eq(amd_mtrr[i].mtrr, mtrr))
			return amd_mtrr[i].eff;
	return NULL;
}

/*
 * KVM's leaf for every input: (amd, mmio, non-coherent DMA, quirk) ->
 * EPT type and IPAT (Intel), or host PAT type and the usual host MTRR
 * (AMD: firmware leaves MMIO UC and RAM WB).
 */
static const struct {
	bool amd, mmio, ncdma, quirk;
	const char *ept_mt;
	bool ipat;
	const char *host_pat, *host_mtrr;
} kvm[] = {
	/* vmx_get_mt_mask(): is_mmio first, whatever else holds. */
	{ false, true, false, false, "UC", false, NULL, NULL },
	{ false, true, false, true, "UC", false, NULL, NULL },
	{ false, true, true, false, "UC", false, NULL, NULL },
	{ false, true, true, true, "UC", false, NULL, NULL },
	/* vmx_ignore_guest_pat(): no non-coherent DMA and the quirk. */
	{ false, false, false, true, "WB", true, NULL, NULL },
	{ false, false, false, false, "WB", false, NULL, NULL },
	{ false, false, true, true, "WB", false, NULL, NULL },
	{ false, false, true, false, "WB", false, NULL, NULL },
	/* NPT: PAT/PCD/PWT 0 -> host PAT entry 0 = WB; the quirk is
	 * inapplicable on AMD and non-coherent DMA changes nothing. */
	{ true, true, false, false, NULL, false, "WB", "UC" },
	{ true, true, false, true, NULL, false, "WB", "UC" },
	{ true, true, true, false, NULL, false, "WB", "UC" },
	{ true, true, true, true, NULL, false, "WB", "UC" },
	{ true, false, false, false, NULL, false, "WB", "WB" },
	{ true, false, false, true, NULL, false, "WB", "WB" },
	{ true, false, true, false, NULL, false, "WB", "WB" },
	{ true, false, true, true, NULL, false, "WB", "WB" },
};

void x86_ref_kvm_leaf(bool amd, bool mmio, bool noncoherent_dma, bool quirk,
		      const char *host_mtrr, struct x86_ref_leaf *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < ARRAY_SIZE(kvm); i++) {
		if (kvm[i].amd != amd || kvm[i].mmio != mmio ||
		    kvm[i].ncdma != noncoherent_dma || kvm[i].quirk != quirk)
			continue;
		out->amd = amd;
		out->ept_mt = kvm[i].ept_mt;
		out->ipat = kvm[i].ipat;
		out->host_pat = kvm[i].host_pat;
		out->host_mtrr = kvm[i].host_mtrr;
		/* The host MTRR is the platform's; EPT does not use it. */
		if (amd && host_mtrr)
			out->host_mtrr = host_mtrr;
		return;
	}
}

static bool is_pat_name(const char *t)
{
	static const char *const pat[] = {
		"UC", "UC-", "WC", "WT", "WP", "WB"
	};

	for (size_t i = 0; i < ARRAY_SIZE(pat); i++)
		if (eq(pat[i], t))
			return true;
	return false;
}

/*
 * Intel: IPAT = 1 takes the EPT type; IPAT = 0 uses the EPT type in place
 * of the MTRR type in the PAT x MTRR table. AMD: guest and host PAT types
 * by Table 15-19, the result with the MTRR type by Table 15-20.
 */
const char *x86_ref_effective(const struct x86_ref_leaf *leaf,
			      const char *guest_pat)
{
	if (!is_pat_name(guest_pat))
		return NULL;
	if (!leaf->amd) {
		if (!x86_ref_intel(leaf->ept_mt, "WB", NULL))
			return NULL; /* not an EPT memory type */
		if (leaf->ipat)
			return leaf->ept_mt;
		return x86_ref_intel(leaf->ept_mt, guest_pat, NULL);
	}
	return x86_ref_amd_mtrr(x86_ref_amd_pat(guest_pat, leaf->host_pat),
				leaf->host_mtrr);
}
