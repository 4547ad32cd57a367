/* SPDX-License-Identifier: MIT */
/*
 * The x86 memory-type reference (x86_ref.c): the manuals' tables and KVM's
 * choices as plain data, by name, for tests/test_x86.c.
 */
#ifndef S2MT_TEST_X86_REF_H
#define S2MT_TEST_X86_REF_H

#include <stdbool.h>

/*
 * The name of an encoding as the PAT, MTRRs and EPT use it (0 UC, 1 WC,
 * 4 WT, 5 WP, 6 WB, 7 UC-), or s2mt's numbers for AMD's CD (8) and WC+
 * (9), which have no encoding; NULL for anything else.
 */
const char *x86_ref_encoding_name(unsigned enc);

/* Intel SDM, PAT x MTRR table: the effective type, NULL if the pair is
 * not in the table; *notes (may be NULL) gets "", "1", "2", "3" or "2,3". */
const char *x86_ref_intel(const char *mtrr, const char *pat,
			  const char **notes);
/* AMD APM Vol. 2, Table 15-19: guest x host PAT type, or NULL. */
const char *x86_ref_amd_pat(const char *guest, const char *host);
/* AMD APM Vol. 2, Table 15-20: combined PAT type x MTRR type, or NULL. */
const char *x86_ref_amd_mtrr(const char *pat, const char *mtrr);

/* The memory-type part of the leaf KVM writes. */
struct x86_ref_leaf {
	bool amd;
	const char *ept_mt; /* Intel: EPT memory type; NULL on AMD */
	bool ipat;
	const char *host_pat; /* AMD: host PAT type; NULL on Intel */
	const char *host_mtrr; /* AMD: host MTRR type; NULL on Intel */
};

/* KVM's leaf, looked up in a table written from vmx_get_mt_mask() (6.15+)
 * and make_spte(). host_mtrr: NULL for the usual firmware setup. */
void x86_ref_kvm_leaf(bool amd, bool mmio, bool noncoherent_dma, bool quirk,
		      const char *host_mtrr, struct x86_ref_leaf *out);
/* The guest-visible type through a leaf, or NULL (not a PAT type, or a
 * leaf type that is not in the tables). */
const char *x86_ref_effective(const struct x86_ref_leaf *leaf,
			      const char *guest_pat);

#endif
