// SPDX-License-Identifier: MIT
/*
 * The policy: which stage-2 memory type KVM/arm64 gives a fault, and which
 * VMAs a memslot may cover, per kernel era (SPEC K1-K3, K6, K7, M3).
 * Every such rule lives here once; the KVM model and an embedding
 * hypervisor both call s2mt_policy().
 */
#include <s2mt/core.h>

#include "fmt.h"

static const char *const era_names[] = { "6.8", "6.9", "6.17" };

const char *s2mt_era_name(unsigned era)
{
	return era < S2MT_ERA_COUNT_ ? era_names[era] : "?";
}

int s2mt_era_parse(const char *text, unsigned *era)
{
	for (unsigned i = 0; i < S2MT_ERA_COUNT_; i++)
		if (text && s2mt_str_ieq(text, era_names[i])) {
			*era = i;
			return 0;
		}
	return -S2MT_EINVAL;
}

static const struct {
	const char *name;
	uint8_t base_era;
	const char *slot_flag; /* memslot bit 3, or NULL */
	bool vma_flag; /* drivers set VM_FORCE_CACHEABLE */
	const char *summary;
} designs[] = {
	[S2MT_DESIGN_MERGED] = { "merged", S2MT_ERA_6_8, NULL, false,
				 "mainline: the rules of the kernel's era" },
	[S2MT_DESIGN_NC_BLANKET] = { "nc-blanket", S2MT_ERA_6_9, NULL, false,
				     "6.9 series v1: Normal-NC for every PFN "
				     "outside the linear map, no VMA flag" },
	[S2MT_DESIGN_D1] = { "D1", S2MT_ERA_6_17,
			     "KVM_MEM_ENABLE_CACHEABLE_PFNMAP", false,
			     "6.17 series v4-v6: memslot flag bit 3 enables "
			     "cacheable PFNMAP" },
	[S2MT_DESIGN_D2] = { "D2", S2MT_ERA_6_17,
			     "KVM_MEM_FORCE_CACHEABLE_PFNMAP", false,
			     "Oliver Upton: capability + memslot flag "
			     "\"userspace expects Write-Back\"" },
	[S2MT_DESIGN_D3] = { "D3", S2MT_ERA_6_17,
			     "KVM_MEM_FORCE_CACHEABLE_PFNMAP", false,
			     "Sean Christopherson: the flag must match the "
			     "VMA's cacheability, both ways" },
	[S2MT_DESIGN_D4] = { "D4", S2MT_ERA_6_17, NULL, true,
			     "Catalin Marinas: the driver sets "
			     "VM_FORCE_CACHEABLE on the VMA" },
	[S2MT_DESIGN_D5] = { "D5", S2MT_ERA_6_17, NULL, false,
			     "Sean Christopherson: merged rules, userspace "
			     "queries the memory type" },
};

const char *s2mt_design_name(unsigned design)
{
	return design < S2MT_DESIGN_COUNT_ ? designs[design].name : "?";
}

int s2mt_design_parse(const char *text, unsigned *design)
{
	for (unsigned i = 0; i < S2MT_DESIGN_COUNT_; i++)
		if (text && s2mt_str_ieq(text, designs[i].name)) {
			*design = i;
			return 0;
		}
	return -S2MT_EINVAL;
}

unsigned s2mt_design_base_era(unsigned design)
{
	return design < S2MT_DESIGN_COUNT_ ? designs[design].base_era : 0;
}

bool s2mt_design_has_slot_flag(unsigned design)
{
	return design < S2MT_DESIGN_COUNT_ && designs[design].slot_flag;
}

const char *s2mt_design_slot_flag_name(unsigned design)
{
	return design < S2MT_DESIGN_COUNT_ ? designs[design].slot_flag : NULL;
}

bool s2mt_design_has_vma_flag(unsigned design)
{
	return design < S2MT_DESIGN_COUNT_ && designs[design].vma_flag;
}

const char *s2mt_design_summary(unsigned design)
{
	return design < S2MT_DESIGN_COUNT_ ? designs[design].summary : "?";
}

static const struct {
	const char *name;
	uint8_t mair;
} attrindx[] = {
	/* H1: the MAIR_EL1 bytes Linux programs for each index. */
	[S2MT_MT_IDX_NORMAL] = { "NORMAL", 0xff },
	[S2MT_MT_IDX_NORMAL_TAGGED] = { "NORMAL_TAGGED", 0xf0 },
	[S2MT_MT_IDX_NORMAL_NC] = { "NORMAL_NC", 0x44 },
	[S2MT_MT_IDX_DEVICE_nGnRnE] = { "DEVICE_nGnRnE", 0x00 },
	[S2MT_MT_IDX_DEVICE_nGnRE] = { "DEVICE_nGnRE", 0x04 },
};

const char *s2mt_attrindx_name(unsigned idx)
{
	return idx < S2MT_MT_IDX_COUNT_ ? attrindx[idx].name : "?";
}

uint8_t s2mt_attrindx_mair(unsigned idx)
{
	return idx < S2MT_MT_IDX_COUNT_ ? attrindx[idx].mair : 0;
}

bool s2mt_attrindx_cacheable(unsigned idx)
{
	/* H3: only these three are non-cacheable; any other index, even
	 * one Linux does not define, counts as cacheable. */
	return idx != S2MT_MT_IDX_NORMAL_NC &&
		idx != S2MT_MT_IDX_DEVICE_nGnRnE &&
		idx != S2MT_MT_IDX_DEVICE_nGnRE;
}

const char *s2mt_memclass_name(unsigned mc)
{
	switch (mc) {
	case S2MT_MEM_RAM:
		return "linear-map RAM";
	case S2MT_MEM_HUGETLB:
		return "hugetlb RAM";
	case S2MT_MEM_PFN_OUTSIDE:
		return "PFN outside the linear map";
	}
	return "?";
}

bool s2mt_host_cacheable_pfnmap(const struct s2mt_host_caps *caps)
{
	return caps->fwb && caps->dic;
}

static void fmt_vma(struct s2mt_fmt *f, const struct s2mt_policy_in *in)
{
	s2mt_fmt_str(f, "VMA ");
	s2mt_fmt_hex(f, in->vma_start, 1);
	s2mt_fmt_str(f, "-");
	s2mt_fmt_hex(f, in->vma_end, 1);
}

static void fmt_missing_caps(struct s2mt_fmt *f, const struct s2mt_host_caps *c)
{
	if (!c->fwb && !c->dic)
		s2mt_fmt_str(f, "FEAT_S2FWB+DIC");
	else if (!c->fwb)
		s2mt_fmt_str(f, "FEAT_S2FWB");
	else
		s2mt_fmt_str(f, "CTR_EL0.DIC");
}

static int refuse(struct s2mt_policy_out *out, struct s2mt_fmt *f, int err,
		  const char *rule)
{
	out->err = err;
	out->rule = rule;
	s2mt_fmt_done(f);
	return err;
}

static void fmt_slot_flag(struct s2mt_fmt *f, const struct s2mt_policy_in *in)
{
	s2mt_fmt_str(f, s2mt_design_slot_flag_name(in->design));
}

/*
 * The memslot checks a design adds for a VM_PFNMAP VMA (docs/designs.md,
 * docs/designs-sources.md). D1 (v4-v6) requires its flag over cacheable
 * PFNMAP; D2 refuses the flag over a non-cacheable VMA; D3 refuses any
 * disagreement; D4 wants the driver's VM_FORCE_CACHEABLE exactly where
 * the VMA is cacheable. True if refused.
 */
static bool register_design_refuses(const struct s2mt_policy_in *in,
				    struct s2mt_policy_out *out,
				    struct s2mt_fmt *f)
{
	bool cacheable = s2mt_attrindx_cacheable(in->attrindx);
	bool flag = in->slot_flags & S2MT_MEM_CACHEABLE_PFNMAP;
	bool vouched = in->vm_flags & S2MT_VM_FORCE_CACHEABLE;
	const char *rule = s2mt_design_name(in->design);
	bool missing = false, unwanted = false;

	if (in->design == S2MT_DESIGN_D4) {
		if (cacheable == vouched)
			return false;
		s2mt_fmt_str(f, "D4: ");
		fmt_vma(f, in);
		s2mt_fmt_str(f,
			     cacheable ? " is cacheable VM_PFNMAP but its "
					 "driver did not set "
					 "VM_FORCE_CACHEABLE"
				       : " is non-cacheable VM_PFNMAP "
					 "with VM_FORCE_CACHEABLE");
		refuse(out, f, -S2MT_EINVAL, "D4");
		return true;
	}
	switch (in->design) {
	case S2MT_DESIGN_D1:
		missing = cacheable && !flag;
		break;
	case S2MT_DESIGN_D2:
		unwanted = !cacheable && flag;
		break;
	case S2MT_DESIGN_D3:
		missing = cacheable && !flag;
		unwanted = !cacheable && flag;
		break;
	default:
		return false;
	}
	if (!missing && !unwanted)
		return false;
	s2mt_fmt_str(f, rule);
	s2mt_fmt_str(f, ": ");
	fmt_vma(f, in);
	if (missing) {
		s2mt_fmt_str(f, " is cacheable VM_PFNMAP but the slot lacks ");
		fmt_slot_flag(f, in);
	} else {
		s2mt_fmt_str(f,
			     " is non-cacheable VM_PFNMAP but the slot "
			     "sets ");
		fmt_slot_flag(f, in);
	}
	refuse(out, f, -S2MT_EINVAL, rule);
	return true;
}

/* Where the reason goes: nowhere when the caller does not want it (the
 * formatter writes nothing into a zero-length buffer). */
static size_t reason_len(const struct s2mt_policy_in *in,
			 const struct s2mt_policy_out *out)
{
	return in->no_reason ? 0 : sizeof(out->reason);
}

/* kvm_arch_prepare_memory_region(), one VMA of the slot's HVA range. */
static int policy_register(const struct s2mt_policy_in *in,
			   struct s2mt_policy_out *out)
{
	struct s2mt_fmt f;

	s2mt_fmt_init(&f, out->reason, reason_len(in, out));
	if (in->vm_mte && !(in->vm_flags & S2MT_VM_MTE_ALLOWED)) {
		s2mt_fmt_str(&f, "K6: the VM has MTE but ");
		fmt_vma(&f, in);
		s2mt_fmt_str(&f, " lacks VM_MTE_ALLOWED");
		return refuse(out, &f, -S2MT_EINVAL, "K6");
	}
	if (in->vm_flags & S2MT_VM_PFNMAP) {
		if (in->slot_flags & S2MT_MEM_LOG_DIRTY_PAGES) {
			s2mt_fmt_str(&f, "K7: ");
			fmt_vma(&f, in);
			s2mt_fmt_str(&f,
				     " is VM_PFNMAP and cannot be "
				     "dirty-logged (M3)");
			return refuse(out, &f, -S2MT_EINVAL, "K7");
		}
		if (register_design_refuses(in, out, &f))
			return out->err;
		if (in->era >= S2MT_ERA_6_17 &&
		    s2mt_attrindx_cacheable(in->attrindx) &&
		    !s2mt_host_cacheable_pfnmap(&in->host)) {
			s2mt_fmt_str(&f, "M3: ");
			fmt_vma(&f, in);
			s2mt_fmt_str(&f,
				     " is VM_PFNMAP and cacheable but the "
				     "host lacks ");
			fmt_missing_caps(&f, &in->host);
			return refuse(out, &f, -S2MT_EINVAL, "M3");
		}
	}
	out->rule = "M3";
	s2mt_fmt_str(&f, "M3: ");
	fmt_vma(&f, in);
	s2mt_fmt_str(&f, " accepted");
	s2mt_fmt_done(&f);
	return 0;
}

/*
 * KVM x86 (SPEC section 7, docs/x86.md): every PFN is mapped, executable,
 * and the memory type is chosen per leaf from the PFN alone: X1 on Intel
 * (EPT memory type and IPAT), X2 on AMD (NPT leaves no type of their own).
 * The leaf is recorded as Normal: the x86 type follows from its PA and
 * the host (s2mt_x86_kvm_leaf() from the PA).
 */
static int policy_fault_x86(const struct s2mt_policy_in *in,
			    struct s2mt_policy_out *out, struct s2mt_fmt *f)
{
	struct s2mt_x86_leaf_in lin = {
		.vendor = (uint8_t)(in->x86 - 1),
		.mmio = in->memclass == S2MT_MEM_PFN_OUTSIDE,
		.noncoherent_dma = in->x86_noncoherent_dma,
		.ignore_guest_pat = in->x86_ignore_guest_pat,
	};
	bool logging = in->slot_flags & S2MT_MEM_LOG_DIRTY_PAGES;
	unsigned perm = S2MT_PROT_R | S2MT_PROT_X;
	struct s2mt_x86_leaf leaf;

	if (s2mt_x86_kvm_leaf(&lin, &leaf)) {
		s2mt_fmt_str(f, "policy: unknown x86 vendor");
		return refuse(out, f, -S2MT_EINVAL, "X1");
	}
	if ((in->vm_flags & S2MT_VM_WRITE) &&
	    !(in->slot_flags & S2MT_MEM_READONLY) &&
	    (!logging || in->access == S2MT_ACCESS_WRITE))
		perm |= S2MT_PROT_W;
	out->prot.type = S2MT_MT_NORMAL;
	out->prot.perm = (uint8_t)perm;
	out->device = lin.mmio;
	out->rule = leaf.rule;
	s2mt_fmt_str(f, leaf.rule);
	s2mt_fmt_str(f,
		     lin.vendor == S2MT_X86_INTEL ? " (x86 EPT): "
						  : " (x86 NPT): ");
	s2mt_fmt_str(f, leaf.why);
	s2mt_fmt_done(f);
	return 0;
}

/* user_mem_abort(): the decision part. */
static int policy_fault(const struct s2mt_policy_in *in,
			struct s2mt_policy_out *out)
{
	bool outside = in->memclass == S2MT_MEM_PFN_OUTSIDE;
	bool vma_cacheable = s2mt_attrindx_cacheable(in->attrindx);
	bool writable, logging = in->slot_flags & S2MT_MEM_LOG_DIRTY_PAGES;
	struct s2mt_fmt f;
	unsigned perm = S2MT_PROT_R;

	s2mt_fmt_init(&f, out->reason, reason_len(in, out));
	if (in->access == S2MT_ACCESS_WRITE &&
	    (in->slot_flags & S2MT_MEM_READONLY)) {
		/* The KVM model turns these into MMIO exits first. */
		s2mt_fmt_str(&f,
			     "M1: a write to a READONLY memslot is an "
			     "MMIO exit, not a stage-2 fault");
		return refuse(out, &f, -S2MT_EINVAL, "M1");
	}
	if (in->access != S2MT_ACCESS_WRITE && !(in->vm_flags & S2MT_VM_READ)) {
		/* GUP (or fixup_user_fault for PFNMAP) refuses a PROT_NONE
		 * mapping; KVM only ever asks for read or write access. */
		s2mt_fmt_str(&f, "H2: fault on ");
		fmt_vma(&f, in);
		s2mt_fmt_str(&f, " without VM_READ: the host gives no PFN");
		return refuse(out, &f, -S2MT_EFAULT, "H2");
	}
	if (in->access == S2MT_ACCESS_WRITE &&
	    !(in->vm_flags & S2MT_VM_WRITE)) {
		s2mt_fmt_str(&f, "H2: write fault on ");
		fmt_vma(&f, in);
		s2mt_fmt_str(&f,
			     " without VM_WRITE: the host gives no "
			     "writable PFN");
		return refuse(out, &f, -S2MT_EFAULT, "H2");
	}

	if (in->x86)
		return policy_fault_x86(in, out, &f);

	/* K1: which PFNs are device (6.8/6.9) or device-like (6.17). */
	if (in->era < S2MT_ERA_6_17) {
		out->device = outside;
		out->force_noncacheable = outside;
	} else {
		out->device = outside &&
			(in->vm_flags & (S2MT_VM_PFNMAP | S2MT_VM_MIXEDMAP));
		/* D4: only memory its driver vouches for is cacheable. */
		if (out->device && vma_cacheable &&
		    in->design == S2MT_DESIGN_D4 &&
		    !(in->vm_flags & S2MT_VM_FORCE_CACHEABLE)) {
			s2mt_fmt_str(&f, "D4: ");
			fmt_vma(&f, in);
			s2mt_fmt_str(&f,
				     " is cacheable PFNMAP memory its "
				     "driver did not mark "
				     "VM_FORCE_CACHEABLE");
			return refuse(out, &f, -S2MT_EFAULT, "D4");
		}
		if (out->device && vma_cacheable) {
			if (!s2mt_host_cacheable_pfnmap(&in->host)) {
				s2mt_fmt_str(&f, "K2: ");
				fmt_vma(&f, in);
				s2mt_fmt_str(&f,
					     " is cacheable PFNMAP memory "
					     "outside the linear map, which "
					     "cannot be cleaned; the host "
					     "lacks ");
				fmt_missing_caps(&f, &in->host);
				return refuse(out, &f, -S2MT_EFAULT, "K2");
			}
			/* Never degrade a cacheable host mapping (Z1). */
			out->cacheable_pfnmap = true;
		} else {
			out->force_noncacheable = out->device;
		}
		/* D2, D3: a slot that promises Write-Back never gets a
		 * non-cacheable stage 2, e.g. after a VMA moved under it. */
		if (out->force_noncacheable &&
		    (in->slot_flags & S2MT_MEM_CACHEABLE_PFNMAP) &&
		    (in->design == S2MT_DESIGN_D2 ||
		     in->design == S2MT_DESIGN_D3)) {
			const char *rule = s2mt_design_name(in->design);

			s2mt_fmt_str(&f, rule);
			s2mt_fmt_str(&f, ": ");
			fmt_vma(&f, in);
			s2mt_fmt_str(&f,
				     " is non-cacheable but the slot sets ");
			fmt_slot_flag(&f, in);
			return refuse(out, &f, -S2MT_EFAULT, rule);
		}
	}

	writable = (in->vm_flags & S2MT_VM_WRITE) &&
		!(in->slot_flags & S2MT_MEM_READONLY);
	/* K7: while logging, only a write fault maps writable. */
	if (!out->device && logging && in->access != S2MT_ACCESS_WRITE)
		writable = false;

	if (in->access == S2MT_ACCESS_EXEC && out->force_noncacheable) {
		s2mt_fmt_str(&f, "K3: instruction fetch from ");
		fmt_vma(&f, in);
		s2mt_fmt_str(&f,
			     ", mapped non-cacheable at stage 2; KVM "
			     "injects an instruction abort");
		return refuse(out, &f, -S2MT_ENOEXEC, "K3");
	}
	if (in->vm_mte && !out->force_noncacheable &&
	    !(in->vm_flags & S2MT_VM_MTE_ALLOWED)) {
		s2mt_fmt_str(&f, "K6: the VM has MTE but ");
		fmt_vma(&f, in);
		s2mt_fmt_str(&f, " lacks VM_MTE_ALLOWED");
		return refuse(out, &f, -S2MT_EFAULT, "K6");
	}

	if (writable)
		perm |= S2MT_PROT_W;
	/* K3: X on an exec fault, and pre-emptively with DIC, but never
	 * for Device or Normal-NC. */
	if (!out->force_noncacheable &&
	    (in->access == S2MT_ACCESS_EXEC || in->host.dic))
		perm |= S2MT_PROT_X;
	out->prot.perm = (uint8_t)perm;
	out->no_block_upgrade = out->force_noncacheable;
	out->rule = "K2";

	s2mt_fmt_str(&f, "K2 (");
	s2mt_fmt_str(&f, s2mt_era_name(in->era));
	s2mt_fmt_str(&f, "): ");
	if (out->force_noncacheable && in->design == S2MT_DESIGN_NC_BLANKET) {
		out->prot.type = S2MT_MT_NORMAL_NC;
		s2mt_fmt_str(&f,
			     "PFN outside the linear map: stage-2 "
			     "Normal-NC for all device memory "
			     "(nc-blanket)");
		if (vma_cacheable)
			s2mt_fmt_str(&f,
				     " although the host maps it "
				     "cacheable (Z1)");
	} else if (out->force_noncacheable &&
		   (in->vm_flags & S2MT_VM_ALLOW_ANY_UNCACHED) &&
		   in->era >= S2MT_ERA_6_9) {
		out->prot.type = S2MT_MT_NORMAL_NC;
		s2mt_fmt_str(&f,
			     "PFN outside the linear map with "
			     "VM_ALLOW_ANY_UNCACHED: stage-2 Normal-NC");
	} else if (out->force_noncacheable) {
		out->prot.type = S2MT_MT_DEVICE;
		s2mt_fmt_str(&f, "PFN outside the linear map");
		if (in->era >= S2MT_ERA_6_9)
			s2mt_fmt_str(&f, " without VM_ALLOW_ANY_UNCACHED");
		s2mt_fmt_str(&f, ": stage-2 Device-nGnRE");
		if (vma_cacheable && in->era < S2MT_ERA_6_17)
			s2mt_fmt_str(&f,
				     " although the host maps it "
				     "cacheable (Z1)");
	} else if (out->cacheable_pfnmap) {
		out->prot.type = S2MT_MT_NORMAL;
		s2mt_fmt_str(&f,
			     "cacheable VM_PFNMAP outside the linear map "
			     "on a host with FEAT_S2FWB+DIC: stage-2 "
			     "Normal-WB");
	} else {
		out->prot.type = S2MT_MT_NORMAL;
		s2mt_fmt_str(&f, s2mt_memclass_name(in->memclass));
		s2mt_fmt_str(&f, ": stage-2 Normal-WB");
	}
	s2mt_fmt_done(&f);
	return 0;
}

int s2mt_policy(const struct s2mt_policy_in *in, struct s2mt_policy_out *out)
{
	/* Every field but the sentence's unused tail (a fault path asks
	 * this for every fault). */
	out->err = 0;
	out->rule = NULL;
	out->reason[0] = '\0';
	out->prot = (struct s2mt_prot){ 0 };
	out->device = false;
	out->force_noncacheable = false;
	out->cacheable_pfnmap = false;
	out->no_block_upgrade = false;
	if (in->era >= S2MT_ERA_COUNT_ || in->design >= S2MT_DESIGN_COUNT_) {
		struct s2mt_fmt f;

		s2mt_fmt_init(&f, out->reason, reason_len(in, out));
		s2mt_fmt_str(&f, "policy: unknown kernel era or design");
		return refuse(out, &f, -S2MT_EINVAL, "K");
	}
	if (in->op == S2MT_POLICY_REGISTER)
		return policy_register(in, out);
	return policy_fault(in, out);
}
