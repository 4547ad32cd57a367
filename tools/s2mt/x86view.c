// SPDX-License-Identifier: MIT
/*
 * The report's view of an x86 host (docs/x86.md): the model keeps its
 * leaves in the one table format, and KVM x86 chooses the EPT/NPT entry
 * from the PFN alone (X1, X2), so the entry is recomputed here from the
 * leaf's PA; the guest's stage-1 attribute stands for its PAT type.
 */
#include <stdio.h>
#include <string.h>

#include "runner.h"

bool run_is_x86(const struct run *r)
{
	return r->host.arch != S2MT_ARCH_ARM64;
}

void run_x86_leaf(const struct run *r, uint64_t pa, struct s2mt_x86_leaf *out)
{
	struct s2mt_x86_leaf_in in = {
		.vendor = (uint8_t)(r->host.arch - 1),
		.mmio = !s2mt_host_pfn_is_map_memory(&r->host, pa),
		.noncoherent_dma = r->host.x86_noncoherent_dma,
		.ignore_guest_pat = r->host.x86_ignore_guest_pat,
	};

	s2mt_x86_kvm_leaf(&in, out);
}

/*
 * The PAT type a guest's mapping would use where an arm64 guest uses s1:
 * Device -> UC, Normal-NC -> WC (what Linux x86 gives a write-combining
 * mapping), Normal-WT -> WT, Normal-WB (tagged or not) -> WB; stage 1 off
 * -> WB (with paging off the PAT does not apply, and WB yields to the
 * other type in every table).
 */
unsigned run_x86_guest_pat(const struct s2mt_s1attr *s1)
{
	struct s2mt_memtype mt;

	if (!s1->enabled || s2mt_mair_decode(s1->mair, &mt))
		return S2MT_X86_WB;
	if (mt.device)
		return S2MT_X86_UC;
	switch (mt.inner.policy) {
	case S2MT_CACHE_NC:
		return S2MT_X86_WC;
	case S2MT_CACHE_WT:
		return S2MT_X86_WT;
	default:
		return S2MT_X86_WB;
	}
}

void run_x86_leaf_text(const struct s2mt_x86_leaf *l, char *buf, size_t len)
{
	if (l->vendor == S2MT_X86_INTEL)
		snprintf(buf, len, "EPT %s%s", s2mt_x86_mt_name(l->ept_mt),
			 l->ipat ? "+IPAT" : "");
	else
		snprintf(buf, len, "NPT host %s",
			 s2mt_x86_mt_name(l->host_mtrr));
}

void run_leaf_name(const struct run *r, const struct s2mt_leaf *leaf, char *buf,
		   size_t len)
{
	struct s2mt_x86_leaf x;

	if (!run_is_x86(r)) {
		s2mt_s2_name(leaf->memattr, r->host.caps.fwb, buf, len);
		return;
	}
	run_x86_leaf(r, leaf->pa, &x);
	run_x86_leaf_text(&x, buf, len);
}

void run_eff_name(const struct run *r, const struct step_result *s, char *buf,
		  size_t len)
{
	if (s->has_x86) {
		snprintf(buf, len, "%s", s2mt_x86_mt_name(s->x86_eff));
		return;
	}
	if (s->has_eff && !s->eff.status)
		s2mt_memtype_name(&s->eff.mt, buf, len);
	else
		snprintf(buf, len, "reserved");
	(void)r;
}
