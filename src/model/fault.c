// SPDX-License-Identifier: MIT
/*
 * KVM/arm64's stage-2 fault path (K1-K8), user_mem_abort() as the model
 * has it: the slot, the VMA, the policy (the core's s2mt_policy()), the
 * host's fault (H5, H6), the leaf size (K4) and the map; the fault memo
 * and its straight-line path (docs/model.md); and a vCPU touching a range
 * (s2mt_vm_touch()), which batches what page-by-page faults would do.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <s2mt/model.h>

#include "kvm_internal.h"

/* ------------------------------------------------------------------ */
/* The fault path                                                      */
/* ------------------------------------------------------------------ */

static const char *const outcome_names[] = {
	[S2MT_FAULT_MAPPED] = "mapped",
	[S2MT_FAULT_PERM_RELAXED] = "permission relaxed",
	[S2MT_FAULT_SPURIOUS] = "spurious",
	[S2MT_FAULT_MMIO_EXIT] = "MMIO exit",
	[S2MT_FAULT_EFAULT] = "-EFAULT",
	[S2MT_FAULT_INJECT_IABT] = "instruction abort injected",
	[S2MT_FAULT_INJECT_DABT] = "data abort injected",
	[S2MT_FAULT_RETRY] = "retry",
};

const char *const s2mt_fault_outcome_tokens[] = {
	[S2MT_FAULT_MAPPED] = "mapped",
	[S2MT_FAULT_PERM_RELAXED] = "perm-relaxed",
	[S2MT_FAULT_SPURIOUS] = "spurious",
	[S2MT_FAULT_MMIO_EXIT] = "mmio-exit",
	[S2MT_FAULT_EFAULT] = "efault",
	[S2MT_FAULT_INJECT_IABT] = "inject-iabt",
	[S2MT_FAULT_INJECT_DABT] = "inject-dabt",
	[S2MT_FAULT_RETRY] = "retry",
	NULL,
};

const char *s2mt_fault_outcome_token(unsigned outcome)
{
	return outcome <= S2MT_FAULT_RETRY ? s2mt_fault_outcome_tokens[outcome]
					   : "?";
}

const char *s2mt_fault_outcome_name(unsigned outcome)
{
	return outcome < sizeof(outcome_names) / sizeof(outcome_names[0])
		? outcome_names[outcome]
		: "?";
}

/* fault_supports_stage2_huge_mapping(): the block must fit the slot, with
 * GPA and HVA at the same offset inside it (K4). */
static bool slot_fits_block(const struct s2mt_memslot *s, uint64_t hva,
			    uint64_t size)
{
	uint64_t start = hva & ~(size - 1);

	if ((s->gpa & (size - 1)) != (s->hva & (size - 1)))
		return false;
	return start >= s->hva && start + size <= s->hva + s->size;
}

/* get_vma_page_shift(). The VMA-end test is the kernel's own:
 * ALIGN(hva, size) <= vm_end, which holds trivially when hva is itself
 * block-aligned (SPEC K4 states the stricter "block inside the VMA"). */
static uint64_t vma_page_size(const struct s2mt_vma *vma, uint64_t hva)
{
	static const uint64_t sizes[] = { S2MT_SIZE_1G, S2MT_SIZE_2M };

	if ((vma->flags & S2MT_VM_HUGETLB) && !(vma->flags & S2MT_VM_PFNMAP))
		return vma->backing == S2MT_BACK_HUGETLB_1G ? S2MT_SIZE_1G
							    : S2MT_SIZE_2M;
	if (!(vma->flags & S2MT_VM_PFNMAP))
		return PAGE_SIZE;
	for (size_t i = 0; i < 2; i++) {
		uint64_t size = sizes[i];
		uint64_t pa = vma->pa + (hva - vma->start);
		uint64_t down = hva & ~(size - 1);
		uint64_t up = (hva + size - 1) & ~(size - 1);

		if ((hva & (size - 1)) == (pa & (size - 1)) &&
		    down >= vma->start && up <= vma->end)
			return size;
	}
	return PAGE_SIZE;
}

/*
 * H5: private anonymous or hugetlb memory that nobody has written is the
 * shared zero page (or a hugetlb page not yet copied on write) to the
 * host: a read or exec fault gets it read-only, and KVM maps it read-only
 * at stage 2; the first write takes a permission fault that copies it.
 * Real kernels show it on 6.1, 6.12 and 7.2 alike. The unit is the host
 * page: 4 KiB, or the hugetlb page.
 */
static bool private_ram(const struct s2mt_vma *vma)
{
	return !(vma->flags & (S2MT_VM_SHARED | S2MT_VM_PFNMAP)) &&
		vma->backing != S2MT_BACK_PFN;
}

static void host_page(const struct s2mt_vma *vma, uint64_t hva, uint64_t *pa,
		      uint64_t *size)
{
	*size = vma_page_size(vma, hva);
	*pa = vma->pa + ((hva & ~(*size - 1)) - vma->start);
}

/* transparent_hugepage_adjust() needs the host to map hva with a PMD
 * (get_user_mapping_size() >= PMD_SIZE): the huge zero page or a THP (H6). */
static bool thp_backs_block(const struct s2mt_mm *mm,
			    const struct s2mt_vma *vma, bool thp_eligible,
			    uint64_t hva)
{
	unsigned state;

	if (!thp_eligible)
		return false;
	state = s2mt_mm_thp_state(mm, vma, hva);
	return state == S2MT_THP_ZERO || state == S2MT_THP_HUGE;
}

/* K4: the leaf size for this fault. */
static uint64_t fault_map_size(const struct s2mt_mm *mm,
			       const struct s2mt_memslot *slot,
			       const struct s2mt_vma *vma, uint64_t hva,
			       const struct s2mt_policy_out *pol,
			       bool thp_eligible, bool fault_is_perm,
			       uint64_t fault_granule)
{
	bool force_pte = slot->flags & KVM_MEM_LOG_DIRTY_PAGES;
	uint64_t size = force_pte ? PAGE_SIZE : vma_page_size(vma, hva);

	if (size == S2MT_SIZE_1G && !slot_fits_block(slot, hva, size))
		size = S2MT_SIZE_2M;
	if (size == S2MT_SIZE_2M && !slot_fits_block(slot, hva, size)) {
		size = PAGE_SIZE;
		force_pte = true;
	}
	if (size == PAGE_SIZE && !(force_pte || pol->no_block_upgrade)) {
		if (fault_is_perm && fault_granule > PAGE_SIZE)
			size = fault_granule;
		else if (thp_backs_block(mm, vma, thp_eligible, hva) &&
			 slot_fits_block(slot, hva, S2MT_SIZE_2M))
			size = S2MT_SIZE_2M; /* transparent_hugepage_adjust */
	}
	return size;
}

static void mark_dirty(const struct s2mt_memslot *s, uint64_t ipa)
{
	uint64_t page;

	if (!s->dirty_bitmap)
		return;
	page = (ipa - s->gpa) / PAGE_SIZE;
	s->dirty_bitmap[page / 64] |= 1ULL << (page % 64);
}

/* A fault's result as nothing happened yet: every field zero, the two
 * sentences empty (not their whole buffers: this runs for every fault). */
static void fault_reset(struct s2mt_fault *out)
{
	out->outcome = 0;
	out->err = 0;
	out->rule = NULL;
	out->reason[0] = '\0';
	out->slot = -1;
	out->hva = 0;
	out->policy.err = 0;
	out->policy.rule = NULL;
	out->policy.reason[0] = '\0';
	out->policy.prot = (struct s2mt_prot){ 0 };
	out->policy.device = false;
	out->policy.force_noncacheable = false;
	out->policy.cacheable_pfnmap = false;
	out->policy.no_block_upgrade = false;
	out->has_leaf = false;
	out->leaf = (struct s2mt_leaf){ 0 };
	out->dclean_bytes = 0;
	out->iinval_bytes = 0;
}

/* strlcpy: as much of src as fits, always terminated. */
static void copy_text(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int finish(struct s2mt_vm *vm, struct s2mt_fault *out, unsigned outcome,
		  int err, const char *rule)
{
	out->outcome = (uint8_t)outcome;
	out->err = err;
	out->rule = rule;
	switch (outcome) {
	case S2MT_FAULT_MAPPED:
		vm->stats.mapped++;
		break;
	case S2MT_FAULT_PERM_RELAXED:
		vm->stats.perm_relaxed++;
		break;
	case S2MT_FAULT_SPURIOUS:
		vm->stats.spurious++;
		break;
	case S2MT_FAULT_MMIO_EXIT:
		vm->stats.mmio_exits++;
		break;
	case S2MT_FAULT_EFAULT:
		vm->stats.efaults++;
		break;
	case S2MT_FAULT_INJECT_IABT:
	case S2MT_FAULT_INJECT_DABT:
		vm->stats.injected_aborts++;
		break;
	case S2MT_FAULT_RETRY:
		vm->stats.retries++;
		break;
	}
	/* Terse faults leave both empty: nothing to copy. */
	if (out->reason[0] || vm->why[0])
		copy_text(vm->why, sizeof(vm->why), out->reason);
	vm->rule = rule;
	return err;
}

/* The fault's sentence, unless the VM is terse (then only the rule). */
#define OUT_WHY(out, ...)                                                      \
	do {                                                                   \
		if (!vm->terse)                                                \
			snprintf((out)->reason, sizeof((out)->reason),         \
				 __VA_ARGS__);                                 \
	} while (0)
/* The same even when terse: retries and failures are rare and told. */
#define OUT_WHY_ALWAYS(out, ...)                                               \
	snprintf((out)->reason, sizeof((out)->reason), __VA_ARGS__)

static bool access_allowed(const struct s2mt_leaf *leaf, unsigned access)
{
	switch (access) {
	case S2MT_ACCESS_WRITE:
		return leaf->s2ap & 2;
	case S2MT_ACCESS_EXEC:
		return (leaf->s2ap & 1) && leaf->xn == 0;
	default:
		return leaf->s2ap & 1;
	}
}

void s2mt_vm_fault_policy_in(const struct s2mt_vm *vm,
			     const struct s2mt_memslot *slot,
			     const struct s2mt_vma *vma, unsigned access,
			     struct s2mt_policy_in *in)
{
	const struct s2mt_host *host = vm->kvm->host;

	*in = (struct s2mt_policy_in){
		.op = S2MT_POLICY_FAULT,
		.era = (uint8_t)host->era,
		.host = host->caps,
		.vm_mte = vm->mte,
		.memclass = (uint8_t)s2mt_vma_memclass(host, vma),
		.vm_flags = vma->flags,
		.attrindx = vma->attrindx,
		.access = (uint8_t)access,
		.slot_flags = slot->flags,
		.vma_start = vma->start,
		.vma_end = vma->end,
		.design = (uint8_t)host->design,
		/* S2MT_ARCH_X86_INTEL/AMD are the x86 vendor + 1. */
		.x86 = (uint8_t)host->arch,
		.x86_ignore_guest_pat = host->x86_ignore_guest_pat,
		.x86_noncoherent_dma = host->x86_noncoherent_dma,
	};
}

/*
 * K4 gives every fault of this VMA and slot a 4 KiB leaf wherever it lands:
 * dirty logging forces pages; anonymous 4 KiB memory has neither a huge
 * page size nor a THP to upgrade to; a PFNMAP whose HVA and PA differ
 * modulo 2 MiB can have no block (and so no 1 GiB one either).
 */
static bool always_page_sized(const struct s2mt_mm *kvm_mm,
			      const struct s2mt_memslot *slot,
			      const struct s2mt_vma *vma)
{
	if (slot->flags & KVM_MEM_LOG_DIRTY_PAGES)
		return true;
	if (vma->flags & S2MT_VM_PFNMAP)
		return ((vma->pa - vma->start) & (S2MT_SIZE_2M - 1)) != 0;
	if (vma->flags & S2MT_VM_HUGETLB)
		return false;
	return vma->backing == S2MT_BACK_ANON &&
		!s2mt_mm_thp_eligible(kvm_mm, vma);
}

/* The host as the memo's answers read it (struct s2mt_fault_host). */
static void host_snapshot(const struct s2mt_host *h, struct s2mt_fault_host *k)
{
	*k = (struct s2mt_fault_host){
		.era = h->era,
		.design = h->design,
		.arch = h->arch,
		.thp = h->thp,
		.caps = h->caps,
		.x86_ignore_guest_pat = h->x86_ignore_guest_pat,
		.x86_noncoherent_dma = h->x86_noncoherent_dma,
		.nr_regions = h->nr_regions,
	};
}

static inline bool host_same(const struct s2mt_host *h,
			     const struct s2mt_fault_host *k)
{
	return h->era == k->era && h->design == k->design &&
		h->arch == k->arch && h->thp == k->thp &&
		!memcmp(&h->caps, &k->caps, sizeof(k->caps)) &&
		h->x86_ignore_guest_pat == k->x86_ignore_guest_pat &&
		h->x86_noncoherent_dma == k->x86_noncoherent_dma &&
		h->nr_regions == k->nr_regions;
}

/* Whether the memo was made under what holds now. */
static inline bool memo_current(const struct s2mt_vm *vm)
{
	const struct s2mt_fault_memo *m = &vm->memo;

	return m->valid && m->vm_gen == vm->gen &&
		m->mm_gen == vm->kvm->mm->vma_gen &&
		host_same(vm->kvm->host, &m->host);
}

/* The memo's policy answer, as the fault's own (the sentence unless
 * terse). */
static void policy_from_memo(const struct s2mt_vm *vm, struct s2mt_fault *out)
{
	const struct s2mt_fault_memo *m = &vm->memo;

	out->policy.err = m->err;
	out->policy.rule = m->policy.rule;
	if (!vm->terse)
		copy_text(out->policy.reason, sizeof(out->policy.reason),
			  m->policy.reason);
	out->policy.prot = m->policy.prot;
	out->policy.device = m->policy.device;
	out->policy.force_noncacheable = m->policy.force_noncacheable;
	out->policy.cacheable_pfnmap = m->policy.cacheable_pfnmap;
	out->policy.no_block_upgrade = m->policy.no_block_upgrade;
}

/* The policy's answer for this slot, VMA and access (K1-K3, C*, D*): the
 * memo's when it was made for them, else asked and remembered with the
 * rest of the memo. Returns the policy's error. */
static int fault_policy(struct s2mt_vm *vm, bool current,
			const struct s2mt_memslot *slot,
			const struct s2mt_vma *vma, unsigned access,
			struct s2mt_fault *out)
{
	struct s2mt_fault_memo *m = &vm->memo;
	struct s2mt_policy_in in;

	if (current && m->slot == slot && m->vma == vma &&
	    m->access == access && (vm->terse || !m->terse)) {
		policy_from_memo(vm, out);
		return m->err;
	}
	s2mt_vm_fault_policy_in(vm, slot, vma, access, &in);
	in.no_reason = vm->terse;
	m->err = s2mt_policy(&in, &out->policy);
	m->policy = out->policy;
	/* Without the memo it still serves this fault, and no other. */
	m->valid = !vm->no_fault_memo;
	m->terse = vm->terse;
	m->access = (uint8_t)access;
	m->vm_gen = vm->gen;
	m->mm_gen = vm->kvm->mm->vma_gen;
	host_snapshot(vm->kvm->host, &m->host);
	m->slot = slot;
	m->vma = vma;
	m->private_ram = private_ram(vma);
	m->thp_eligible = s2mt_mm_thp_eligible(vm->kvm->mm, vma);
	m->page_sized = always_page_sized(vm->kvm->mm, slot, vma);
	m->host_pages = m->private_ram && !m->thp_eligible &&
		!(vma->flags & S2MT_VM_HUGETLB);
	m->fast =
		!m->err && m->page_sized && (m->host_pages || !m->private_ram);
	m->prep_ok[0] = m->prep_ok[1] = false;
	m->leaf_level[0] = m->leaf_level[1] = 0;
	return m->err;
}

/* H5: the host's fault replaced the zero page, and the notifier took it
 * back from stage 2: KVM retries (K8). */
static int retry_zero_page(struct s2mt_vm *vm, struct s2mt_fault *out)
{
	OUT_WHY_ALWAYS(out,
		       "H5: the write copied the zero page at HVA %#llx into "
		       "a new page, and the MMU notifier invalidated it: KVM "
		       "retries the fault (K8)",
		       (unsigned long long)(out->hva & ~(PAGE_SIZE - 1)));
	return finish(vm, out, S2MT_FAULT_RETRY, -S2MT_EAGAIN, "H5");
}

/* H5: a read of a private page nobody wrote maps it read-only. */
static void zero_page_read_only(const struct s2mt_vm *vm,
				struct s2mt_fault *out)
{
	size_t n = strlen(out->reason);

	out->policy.prot.perm &= (uint8_t)~S2MT_PROT_W;
	if (!vm->terse)
		copy_text(out->reason + n, sizeof(out->reason) - n,
			  "; read-only: nothing wrote this private page yet "
			  "(H5)");
}

/* The prot's encoding for the table, once per memo and kind ([1]: H5's
 * read-only). */
static int memo_prepare(struct s2mt_vm *vm, bool zero,
			const struct s2mt_fault *out)
{
	struct s2mt_fault_memo *m = &vm->memo;
	int err;

	if (m->prep_ok[zero])
		return 0;
	err = s2mt_pgt_prepare(&vm->pgt, out->policy.prot, &m->prep[zero]);
	m->prep_ok[zero] = !err;
	return err;
}

static int map_failed(struct s2mt_vm *vm, struct s2mt_fault *out, int err)
{
	OUT_WHY_ALWAYS(out, "model: stage-2 map failed: %s", vm->pgt.why);
	return finish(vm, out, S2MT_FAULT_EFAULT, err, "model");
}

/* The leaf just stored: a size-aligned block or page at map_ipa, in the
 * encoding the map used; decoded once per memo, kind and level. */
static inline void leaf_out(struct s2mt_vm *vm, bool zero, uint64_t size,
			    uint64_t map_ipa, uint64_t pa,
			    struct s2mt_fault *out)
{
	struct s2mt_fault_memo *m = &vm->memo;
	unsigned level = size == PAGE_SIZE ? 3 : size == S2MT_SIZE_2M ? 2 : 1;

	if (m->leaf_level[zero] != level) {
		s2mt_leaf_decode(
			s2mt_pte_leaf_prepared(&m->prep[zero], 0, level), level,
			0, &m->leaf[zero]);
		m->leaf_level[zero] = (uint8_t)level;
	}
	out->leaf = m->leaf[zero];
	out->leaf.ipa = map_ipa;
	out->leaf.pa = pa & S2MT_PTE_ADDR_MASK & ~(size - 1);
	out->leaf.desc |= out->leaf.pa;
	out->has_leaf = true;
}

/*
 * The common fault in a straight line: the next page of the memo's slot
 * and VMA with the same access, not mapped yet, where K4 gives a page and
 * the host faults page by page or not at all (memo->fast). It does what
 * s2mt_vm_guest_abort() does for such a fault, in the same order, and
 * asks nothing the memo answered. Returns false, having changed nothing,
 * for any other fault. Its results are held to the general path's by
 * tests/test_touch.c (vm->no_fault_memo turns both memo and this off).
 */
static bool fault_fast(struct s2mt_vm *vm, uint64_t ipa, unsigned access,
		       struct s2mt_fault *out, int *ret)
{
	struct s2mt_fault_memo *m = &vm->memo;
	const struct s2mt_memslot *slot = m->slot;
	const struct s2mt_vma *vma = m->vma;
	struct s2mt_pgt_cursor cur;
	uint64_t hva, pa, desc, seq, dclean0, iinval0;
	unsigned level;
	bool zero;
	int err;

	if (!m->fast || access != m->access || (m->terse && !vm->terse) ||
	    vm->race || !memo_current(vm))
		return false;
	ipa &= ~(PAGE_SIZE - 1);
	/* Inside the slot is inside the IPA space (M3): no A2 to check. */
	if (ipa - slot->gpa >= slot->size)
		return false;
	hva = slot->hva + (ipa - slot->gpa);
	if (hva - vma->start >= vma->end - vma->start ||
	    !s2mt_pgt_get_leaf_cursor(&vm->pgt, ipa, &desc, &level, &cur) ||
	    !cur.ptep)
		return false;

	fault_reset(out);
	vm->stats.faults++;
	vm->fast_faults++;
	out->slot = (int)slot->slot;
	out->hva = hva;
	policy_from_memo(vm, out);
	if (!vm->terse)
		copy_text(out->reason, sizeof(out->reason), out->policy.reason);
	pa = vma->pa + (hva - vma->start);
	seq = vm->mmu_invalidate_seq;
	if (m->host_pages) {
		s2mt_mm_fault_page(vm->kvm->mm, hva, pa,
				   access == S2MT_ACCESS_WRITE);
		if (vm->mmu_invalidate_seq != seq) {
			*ret = retry_zero_page(vm, out);
			return true;
		}
	}
	zero = m->private_ram && access != S2MT_ACCESS_WRITE &&
		(out->policy.prot.perm & S2MT_PROT_W) &&
		!s2mt_mm_written(vm->kvm->mm, pa, PAGE_SIZE);
	if (zero)
		zero_page_read_only(vm, out);
	dclean0 = vm->stats.dclean_bytes;
	iinval0 = vm->stats.iinval_bytes;
	err = memo_prepare(vm, zero, out);
	if (!err)
		err = s2mt_pgt_map_page_at(&vm->pgt, &cur, pa, &m->prep[zero]);
	if (err) {
		*ret = map_failed(vm, out, err);
		return true;
	}
	out->dclean_bytes = vm->stats.dclean_bytes - dclean0;
	out->iinval_bytes = vm->stats.iinval_bytes - iinval0;
	if (out->policy.prot.perm & S2MT_PROT_W)
		mark_dirty(slot, ipa);
	leaf_out(vm, zero, PAGE_SIZE, ipa, pa, out);
	*ret = finish(vm, out, S2MT_FAULT_MAPPED, 0, out->policy.rule);
	return true;
}

int s2mt_vm_guest_abort(struct s2mt_vm *vm, uint64_t ipa, unsigned access,
			struct s2mt_fault *out)
{
	const struct s2mt_memslot *slot;
	const struct s2mt_vma *vma;
	struct s2mt_fault_memo *m = &vm->memo;
	uint64_t seq, thp_seq, size, map_ipa, map_hva, pa, dclean0, iinval0;
	unsigned thp_before, level;
	uint64_t page_pa, page_size, desc;
	struct s2mt_pgt_cursor cur;
	bool zero, current;
	bool fault_is_perm = false;
	uint64_t fault_granule = 0;
	int err;

	if (fault_fast(vm, ipa, access, out, &err))
		return err;
	fault_reset(out);
	if (access != S2MT_ACCESS_READ && access != S2MT_ACCESS_WRITE &&
	    access != S2MT_ACCESS_EXEC) {
		VM_WHY(vm, "model",
		       "model: access must be read, write or exec");
		return -S2MT_EINVAL;
	}
	vm->stats.faults++;
	ipa &= ~(PAGE_SIZE - 1);
	if (ipa >= (1ULL << vm->ipa_bits)) {
		OUT_WHY(out,
			"A2: IPA %#llx is beyond the VM's %u-bit IPA "
			"space; KVM injects an address size fault",
			(unsigned long long)ipa, vm->ipa_bits);
		return finish(vm, out, S2MT_FAULT_INJECT_DABT, 0, "A2");
	}
	current = memo_current(vm);
	slot = current && ipa - m->slot->gpa < m->slot->size
		? m->slot
		: s2mt_vm_find_slot(vm, ipa);
	if (!slot) {
		if (access == S2MT_ACCESS_EXEC) {
			OUT_WHY(out,
				"K3: instruction fetch from IPA %#llx, "
				"which no memslot covers; KVM injects an "
				"instruction abort",
				(unsigned long long)ipa);
			return finish(vm, out, S2MT_FAULT_INJECT_IABT,
				      -S2MT_ENOEXEC, "K3");
		}
		OUT_WHY(out,
			"M2: no memslot covers IPA %#llx: KVM_EXIT_MMIO "
			"to the VMM",
			(unsigned long long)ipa);
		return finish(vm, out, S2MT_FAULT_MMIO_EXIT, 0, "M2");
	}
	out->slot = (int)slot->slot;
	out->hva = slot->hva + (ipa - slot->gpa);
	if (access == S2MT_ACCESS_WRITE && (slot->flags & KVM_MEM_READONLY)) {
		OUT_WHY(out, "M1: write to READONLY slot %u: KVM_EXIT_MMIO",
			slot->slot);
		return finish(vm, out, S2MT_FAULT_MMIO_EXIT, 0, "M1");
	}
	if (!s2mt_pgt_get_leaf_cursor(&vm->pgt, ipa, &desc, &level, &cur)) {
		struct s2mt_leaf leaf;

		s2mt_leaf_decode(desc, level, ipa, &leaf);
		if (access_allowed(&leaf, access)) {
			out->has_leaf = true;
			out->leaf = leaf;
			OUT_WHY(out, "already mapped with that permission");
			return finish(vm, out, S2MT_FAULT_SPURIOUS, 0, "K8");
		}
		fault_is_perm = true;
		fault_granule = leaf.size;
	}

	/* K8: sample the invalidation sequence before looking at the VMA. */
	seq = vm->mmu_invalidate_seq;
	vma = current && slot == m->slot &&
			out->hva - m->vma->start < m->vma->end - m->vma->start
		? m->vma
		: s2mt_mm_find_vma(vm->kvm->mm, out->hva);
	if (!vma) {
		OUT_WHY(out,
			"K8: no VMA at HVA %#llx any more: the host "
			"mapping is gone, KVM_RUN returns -EFAULT",
			(unsigned long long)out->hva);
		return finish(vm, out, S2MT_FAULT_EFAULT, -S2MT_EFAULT, "K8");
	}
	/* From here on the memo is this fault's: its slot, VMA and access. */
	err = fault_policy(vm, current, slot, vma, access, out);
	if (!vm->terse)
		copy_text(out->reason, sizeof(out->reason), out->policy.reason);
	if (err == -S2MT_ENOEXEC)
		return finish(vm, out, S2MT_FAULT_INJECT_IABT, err,
			      out->policy.rule);
	if (err)
		return finish(vm, out, S2MT_FAULT_EFAULT, -S2MT_EFAULT,
			      out->policy.rule);

	/* H5, H6: KVM's get_user_pages runs the host's fault handler, which
	 * may replace the (huge) zero page and so invalidate (K8, below). */
	thp_seq = vm->mmu_invalidate_seq;
	thp_before = m->thp_eligible
		? s2mt_mm_thp_state(vm->kvm->mm, vma, out->hva)
		: S2MT_THP_SPLIT;
	if (m->host_pages)
		s2mt_mm_fault_page(
			vm->kvm->mm, out->hva,
			vma->pa + ((out->hva & ~(PAGE_SIZE - 1)) - vma->start),
			access == S2MT_ACCESS_WRITE);
	else if (m->private_ram)
		s2mt_mm_fault(vm->kvm->mm, vma, out->hva,
			      access == S2MT_ACCESS_WRITE);
	if (vm->mmu_invalidate_seq != thp_seq && thp_before == S2MT_THP_ZERO) {
		OUT_WHY_ALWAYS(
			out,
			"H6: the write replaced the huge zero page at HVA "
			"%#llx (%s), and the MMU notifier invalidated the "
			"block: KVM retries the fault (K8)",
			(unsigned long long)(out->hva & ~(S2MT_SIZE_2M - 1)),
			s2mt_kernel_has(&vm->kvm->host->kernel,
					S2MT_KF_THP_ZERO_WP_ALLOC)
				? "with a THP"
				: "split into 4 KiB pages");
		return finish(vm, out, S2MT_FAULT_RETRY, -S2MT_EAGAIN, "H6");
	}
	if (vm->mmu_invalidate_seq != thp_seq)
		return retry_zero_page(vm, out);
	host_page(vma, out->hva, &page_pa, &page_size);
	zero = m->private_ram && access != S2MT_ACCESS_WRITE &&
		(out->policy.prot.perm & S2MT_PROT_W) &&
		!s2mt_mm_written(vm->kvm->mm, page_pa, page_size);
	if (zero)
		zero_page_read_only(vm, out);
	/* A translation fault where K4 gives pages anyway: nothing to size. */
	size = m->page_sized && !fault_is_perm
		? PAGE_SIZE
		: fault_map_size(vm->kvm->mm, slot, vma, out->hva, &out->policy,
				 m->thp_eligible, fault_is_perm, fault_granule);
	map_ipa = ipa & ~(size - 1);
	map_hva = out->hva & ~(size - 1);
	pa = vma->pa + (map_hva - vma->start);

	if (vm->race)
		vm->race(vm, ipa, vm->race_arg);
	if (vm->mmu_invalidate_seq != seq) {
		OUT_WHY_ALWAYS(
			out,
			"K8: the host mapping changed while the fault was "
			"resolved (mmu_invalidate_seq); retry");
		return finish(vm, out, S2MT_FAULT_RETRY, -S2MT_EAGAIN, "K8");
	}

	dclean0 = vm->stats.dclean_bytes;
	iinval0 = vm->stats.iinval_bytes;
	if (fault_is_perm && size == fault_granule) {
		err = s2mt_pgt_relax_perms(&vm->pgt, map_ipa, size,
					   out->policy.prot.perm);
		if (err)
			abort();
		out->dclean_bytes = vm->stats.dclean_bytes - dclean0;
		out->iinval_bytes = vm->stats.iinval_bytes - iinval0;
		/* user_mem_abort(): a writable mapping marks the page dirty. */
		if (out->policy.prot.perm & S2MT_PROT_W)
			mark_dirty(slot, ipa);
		/* H5: s2mt_mm_fault() marked anonymous pages; a private
		 * hugetlb page becomes the process's own here. */
		if (access == S2MT_ACCESS_WRITE && m->private_ram &&
		    (vma->flags & S2MT_VM_HUGETLB))
			s2mt_mm_mark_written(vm->kvm->mm, page_pa, page_size);
		out->has_leaf = !s2mt_pgt_lookup(&vm->pgt, ipa, &out->leaf);
		return finish(vm, out, S2MT_FAULT_PERM_RELAXED, 0,
			      out->policy.rule);
	}
	err = memo_prepare(vm, zero, out);
	/* A page where the lookup found none: into the entry it saw. */
	if (!err && size == PAGE_SIZE && !fault_is_perm)
		err = s2mt_pgt_map_page_at(&vm->pgt, &cur, pa, &m->prep[zero]);
	else if (!err)
		err = s2mt_pgt_map_prepared(&vm->pgt, map_ipa, size, pa,
					    &m->prep[zero], size);
	if (err)
		return map_failed(vm, out, err);
	out->dclean_bytes = vm->stats.dclean_bytes - dclean0;
	out->iinval_bytes = vm->stats.iinval_bytes - iinval0;
	if (out->policy.prot.perm & S2MT_PROT_W)
		mark_dirty(slot, ipa);
	if (access == S2MT_ACCESS_WRITE && m->private_ram &&
	    (vma->flags & S2MT_VM_HUGETLB))
		s2mt_mm_mark_written(vm->kvm->mm, page_pa, page_size);
	leaf_out(vm, zero, size, map_ipa, pa, out);
	return finish(vm, out, S2MT_FAULT_MAPPED, 0, out->policy.rule);
}

/* ------------------------------------------------------------------ */
/* A vCPU touching a range                                             */
/* ------------------------------------------------------------------ */

static void mark_dirty_range(const struct s2mt_memslot *s, uint64_t ipa,
			     uint64_t size)
{
	uint64_t first, last;

	if (!s->dirty_bitmap)
		return;
	first = (ipa - s->gpa) / PAGE_SIZE;
	last = first + size / PAGE_SIZE; /* exclusive */
	while (first < last && first % 64) {
		s->dirty_bitmap[first / 64] |= 1ULL << (first % 64);
		first++;
	}
	while (first + 64 <= last) {
		s->dirty_bitmap[first / 64] = ~0ULL;
		first += 64;
	}
	while (first < last) {
		s->dirty_bitmap[first / 64] |= 1ULL << (first % 64);
		first++;
	}
}

enum run_kind {
	RUN_GAP, /* nothing mapped: map faults */
	RUN_HIT, /* mapped with the permission: no fault */
	RUN_RELAX, /* 4 KiB leaves without the permission: permission faults */
	RUN_OTHER, /* a block without the permission: one fault decides */
};

struct scan {
	uint64_t start; /* the page being touched */
	unsigned access;
	bool seen;
	unsigned kind; /* enum run_kind */
	uint64_t next; /* where the run ends */
};

static int scan_visit(const struct s2mt_walk_entry *e, void *arg)
{
	struct scan *sc = arg;
	struct s2mt_leaf leaf;
	unsigned kind;

	s2mt_leaf_decode(e->desc, e->level, e->ipa, &leaf);
	if (access_allowed(&leaf, sc->access))
		kind = RUN_HIT;
	else
		kind = e->level == 3 ? RUN_RELAX : RUN_OTHER;
	if (!sc->seen) {
		sc->seen = true;
		if (e->ipa > sc->start) {
			sc->kind = RUN_GAP;
			sc->next = e->ipa;
			return 1;
		}
		sc->kind = kind;
		sc->next = e->ipa + e->size;
		return kind == RUN_OTHER;
	}
	if (e->ipa != sc->next || kind != sc->kind)
		return 1;
	sc->next = e->ipa + e->size;
	return 0;
}

/* What the pages from ipa on are, up to end: one run of a kind. */
static void scan_run(const struct s2mt_vm *vm, uint64_t ipa, uint64_t end,
		     unsigned access, struct scan *sc)
{
	*sc = (struct scan){ .start = ipa, .access = access };
	s2mt_pgt_walk(&vm->pgt, ipa, end - ipa, S2MT_WALK_LEAF, scan_visit, sc);
	if (!sc->seen) {
		sc->kind = RUN_GAP;
		sc->next = end;
	}
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/*
 * After the fault at ipa came out f (mapped or relaxed, a 4 KiB leaf),
 * resolves the faults of the pages after it up to end that the kernel
 * would resolve alike, all at once. Returns the pages done (0: none).
 */
static uint64_t batch_after(struct s2mt_vm *vm, uint64_t ipa, uint64_t end,
			    const struct s2mt_fault *f, unsigned kind,
			    unsigned access)
{
	const struct s2mt_memslot *slot;
	const struct s2mt_vma *vma;
	uint64_t from = ipa + PAGE_SIZE, hva, len;
	int err;

	if (vm->race || !f->has_leaf || f->leaf.size != PAGE_SIZE ||
	    from >= end ||
	    f->outcome !=
		    (kind == RUN_GAP ? S2MT_FAULT_MAPPED
				     : S2MT_FAULT_PERM_RELAXED))
		return 0;
	slot = s2mt_vm_find_slot(vm, ipa);
	vma = s2mt_mm_find_vma(vm->kvm->mm, f->hva);
	if (!slot || !vma || !always_page_sized(vm->kvm->mm, slot, vma))
		return 0;
	/* The same slot and VMA, so the same policy answer. */
	end = min64(end, slot->gpa + slot->size);
	end = min64(end, ipa + (vma->end - f->hva));
	if (from >= end)
		return 0;
	/* H6: the host fault of each 2 MiB block of THP memory may change
	 * how the host maps it (and invalidate): only the block the fault
	 * itself settled is alike. */
	if (s2mt_mm_thp_eligible(vm->kvm->mm, vma))
		end = min64(
			end,
			ipa + (S2MT_SIZE_2M - (f->hva & (S2MT_SIZE_2M - 1))));
	if (from >= end)
		return 0;
	hva = f->hva + PAGE_SIZE;
	/* H5: the same written state, so the same permission. */
	if (private_ram(vma) && access != S2MT_ACCESS_WRITE)
		end = min64(end,
			    from +
				    s2mt_mm_written_run(
					    vm->kvm->mm,
					    vma->pa + (hva - vma->start),
					    end - from));
	/* H5/H6: the host's faults for these pages, up to one that would
	 * replace a mapped page (its fault is retried: page by page). */
	if (private_ram(vma))
		end = from +
			s2mt_mm_fault_run(vm->kvm->mm, vma, hva, end - from,
					  access == S2MT_ACCESS_WRITE);
	if (from >= end)
		return 0;
	len = end - from;
	if (kind == RUN_GAP)
		err = s2mt_pgt_map(&vm->pgt, from, len,
				   vma->pa + (hva - vma->start), f->policy.prot,
				   PAGE_SIZE);
	else
		err = s2mt_pgt_relax_perms(&vm->pgt, from, len,
					   f->policy.prot.perm);
	if (err)
		return 0; /* page by page finds the one that fails */
	if (f->policy.prot.perm & S2MT_PROT_W)
		mark_dirty_range(slot, from, len);
	/* H5: each private hugetlb page a write lands in becomes the
	 * process's own, as the fault path marks it page by page. */
	if (access == S2MT_ACCESS_WRITE && private_ram(vma) &&
	    (vma->flags & S2MT_VM_HUGETLB)) {
		uint64_t first, last, size;

		host_page(vma, hva, &first, &size);
		host_page(vma, hva + len - PAGE_SIZE, &last, &size);
		s2mt_mm_mark_written(vm->kvm->mm, first, last + size - first);
	}
	vm->stats.faults += len / PAGE_SIZE;
	if (kind == RUN_GAP)
		vm->stats.mapped += len / PAGE_SIZE;
	else
		vm->stats.perm_relaxed += len / PAGE_SIZE;
	return len / PAGE_SIZE;
}

/*
 * A terse fault that stopped the vCPU, taken again with its sentence. A
 * stop changes nothing (an MMIO exit, an injected abort, -EFAULT, a map
 * the table refused whole), so the second fault finds the same; only its
 * counts are taken back.
 */
static void explain_stop(struct s2mt_vm *vm, uint64_t ipa, unsigned access,
			 struct s2mt_fault *f)
{
	struct s2mt_vm_stats stats = vm->stats;

	vm->terse = false;
	s2mt_vm_guest_abort(vm, ipa, access, f);
	vm->stats = stats;
}

int s2mt_vm_touch(struct s2mt_vm *vm, uint64_t ipa, uint64_t size,
		  unsigned access, struct s2mt_touch *t)
{
	uint64_t p = ipa & ~(PAGE_SIZE - 1), end = ipa + size;
	unsigned retries = 0;
	bool terse = vm->terse;

	if (end < ipa ||
	    (access != S2MT_ACCESS_READ && access != S2MT_ACCESS_WRITE &&
	     access != S2MT_ACCESS_EXEC)) {
		VM_WHY(vm, "model",
		       "model: a touch needs a range that does not wrap and "
		       "a read, write or exec access");
		return -S2MT_EINVAL;
	}
	if (t->stopped)
		return t->stop.err;
	while (p < end) {
		struct s2mt_fault f;
		struct scan sc;
		uint64_t n;

		/* The IPA space ends where the table does; a page beyond it
		 * takes the fault path (an address size fault). */
		if (p < vm->pgt.ipa_limit)
			scan_run(vm, p, min64(end, vm->pgt.ipa_limit), access,
				 &sc);
		else
			sc = (struct scan){ .kind = RUN_GAP, .next = end };
		if (sc.kind == RUN_HIT) {
			n = (min64(sc.next, end) - p) / PAGE_SIZE;
			t->pages += n;
			t->hits += n;
			p = sc.next;
			continue;
		}
		/* Only the first fault and a stop are shown: the others need
		 * no sentence. */
		vm->terse = terse || t->has_first;
		s2mt_vm_guest_abort(vm, p, access, &f);
		if (vm->terse && !terse && f.outcome != S2MT_FAULT_RETRY &&
		    f.outcome != S2MT_FAULT_MAPPED &&
		    f.outcome != S2MT_FAULT_PERM_RELAXED)
			explain_stop(vm, p, access, &f);
		vm->terse = terse;
		t->faults++;
		if (f.outcome == S2MT_FAULT_RETRY && !t->retries++)
			snprintf(t->retry_why, sizeof(t->retry_why), "%s",
				 f.reason);
		if (f.outcome == S2MT_FAULT_RETRY && ++retries < 16)
			continue; /* the vCPU faults again on the same access */
		retries = 0;
		if (!t->has_first) {
			t->has_first = true;
			t->first = f;
		}
		if (f.outcome != S2MT_FAULT_MAPPED &&
		    f.outcome != S2MT_FAULT_PERM_RELAXED) {
			t->stopped = true;
			t->stop = f;
			t->stop_ipa = p;
			t->pages++;
			return f.err;
		}
		if (f.outcome == S2MT_FAULT_MAPPED)
			t->mapped++;
		else
			t->relaxed++;
		n = f.has_leaf
			? (min64(f.leaf.ipa + f.leaf.size, end) - p) / PAGE_SIZE
			: 1;
		t->pages += n;
		t->hits += n - 1;
		if (sc.kind == RUN_GAP || sc.kind == RUN_RELAX) {
			uint64_t done = batch_after(vm, p, min64(sc.next, end),
						    &f, sc.kind, access);

			t->pages += done;
			t->faults += done;
			if (sc.kind == RUN_GAP)
				t->mapped += done;
			else
				t->relaxed += done;
			p += (done + 1) * PAGE_SIZE;
			if (!done && f.has_leaf)
				p = f.leaf.ipa + f.leaf.size;
			continue;
		}
		p = f.has_leaf ? f.leaf.ipa + f.leaf.size : p + PAGE_SIZE;
	}
	return 0;
}
