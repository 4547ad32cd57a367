// SPDX-License-Identifier: MIT
/*
 * KVM/arm64 as a VMM sees it: capabilities (C1), VMs, memslots (M1-M4),
 * the MMU notifier (K8) and the guest's cache toggle (K5), per kernel era.
 * The stage-2 table is the core's s2mt_pgt, driven through recording ops
 * so that TLBIs and cache maintenance (K5) are counted in bytes. The
 * fault path is fault.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <s2mt/model.h>

#include "kvm_internal.h"

#define KVM_WHY(kvm, id, ...) set_why((kvm)->why, &(kvm)->rule, id, __VA_ARGS__)

static void default_oom(const char *what, size_t bytes)
{
	fprintf(stderr, "s2mt model: out of memory: %s needed %zu more bytes\n",
		what, bytes);
	abort();
}

static s2mt_oom_fn oom_handler = default_oom;

void s2mt_set_oom_handler(s2mt_oom_fn fn)
{
	oom_handler = fn ? fn : default_oom;
}

void s2mt_oom(const char *what, size_t bytes)
{
	oom_handler(what, bytes);
	abort(); /* a handler must not return */
}

/* Room for need elements, or NULL (arr untouched) when the host has none. */
static void *try_grow(void *arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 8;
	void *p;

	if (need <= *cap)
		return arr;
	while (ncap < need)
		ncap *= 2;
	p = realloc(arr, ncap * elem);
	if (!p)
		return NULL;
	*cap = ncap;
	return p;
}

/* For records the model cannot do without once the change is under way. */
static void *grow(void *arr, size_t *cap, size_t need, size_t elem,
		  const char *what)
{
	void *p = try_grow(arr, cap, need, elem);

	if (!p)
		s2mt_oom(what, need * elem);
	return p;
}

/* ------------------------------------------------------------------ */
/* The environment of the VM's stage-2 table                           */
/* ------------------------------------------------------------------ */

/*
 * Table pages come from 2 MiB chunks with a free list: one malloc'd,
 * 4 KiB-aligned page per table costs about twice its size in the host's
 * allocator, and a 96 GiB guest mapped at 4 KiB needs 49,000 of them.
 */
#define POOL_CHUNK_PAGES 512u

struct table_pool {
	void **chunks;
	size_t nr_chunks, cap_chunks;
	size_t chunk_used; /* pages handed out of the newest chunk */
	void *free_list; /* freed pages, linked through their first word */
};

static void *pool_alloc(struct table_pool *pool)
{
	void *page;

	if (pool->free_list) {
		page = pool->free_list;
		pool->free_list = *(void **)page;
		memset(page, 0, PAGE_SIZE);
		return page;
	}
	if (!pool->nr_chunks || pool->chunk_used == POOL_CHUNK_PAGES) {
		void **chunks =
			try_grow(pool->chunks, &pool->cap_chunks,
				 pool->nr_chunks + 1, sizeof(*pool->chunks));
		void *chunk;

		if (!chunks)
			return NULL;
		pool->chunks = chunks;
		/* Straight from the kernel: zeroed, page aligned, and given
		 * back whole when the VM goes (malloc would keep it in its
		 * heap, and a second VM - s2mt compare - would not reuse it
		 * all). */
		chunk = mmap(NULL, (size_t)POOL_CHUNK_PAGES * PAGE_SIZE,
			     PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (chunk == MAP_FAILED)
			return NULL;
		pool->chunks[pool->nr_chunks++] = chunk;
		pool->chunk_used = 0;
	}
	page = (char *)pool->chunks[pool->nr_chunks - 1] +
		pool->chunk_used++ * PAGE_SIZE;
	return page;
}

static void pool_destroy(struct table_pool *pool)
{
	for (size_t i = 0; i < pool->nr_chunks; i++)
		munmap(pool->chunks[i], (size_t)POOL_CHUNK_PAGES * PAGE_SIZE);
	free(pool->chunks);
	free(pool);
}

static void *env_zalloc(void *ctx, unsigned nr)
{
	struct s2mt_vm *vm = ctx;
	size_t bytes = (size_t)nr * PAGE_SIZE;
	void *p;

	if (nr == 1 && vm->table_pool) {
		p = pool_alloc(vm->table_pool);
	} else {
		/* Concatenated start tables: once per VM. */
		p = aligned_alloc(bytes, bytes);
		if (p)
			memset(p, 0, bytes);
	}
	if (p) {
		vm->table_pages += nr;
		if (vm->table_pages > vm->table_pages_peak)
			vm->table_pages_peak = vm->table_pages;
	}
	return p;
}

static void env_free(void *ctx, void *va, unsigned nr)
{
	struct s2mt_vm *vm = ctx;

	vm->table_pages -= nr;
	if (nr == 1 && vm->table_pool) {
		struct table_pool *pool = vm->table_pool;

		*(void **)va = pool->free_list;
		pool->free_list = va;
		return;
	}
	free(va);
}

uint64_t s2mt_vm_table_bytes(const struct s2mt_vm *vm)
{
	return vm->table_pages * PAGE_SIZE;
}

/* Table pages are identity-mapped: their "PA" is their host address. */
static uint64_t env_v2p(void *ctx, void *va)
{
	(void)ctx;
	return (uint64_t)(uintptr_t)va;
}

static void *env_p2v(void *ctx, uint64_t pa)
{
	(void)ctx;
	return (void *)(uintptr_t)pa;
}

static void env_tlbi_ipa(void *ctx, uint16_t vmid, uint64_t ipa, uint64_t size,
			 unsigned level)
{
	struct s2mt_vm *vm = ctx;

	(void)vmid;
	(void)ipa;
	(void)size;
	(void)level;
	vm->stats.tlbi_ipa++;
}

static void env_tlbi_vmid(void *ctx, uint16_t vmid)
{
	struct s2mt_vm *vm = ctx;

	(void)vmid;
	vm->stats.tlbi_vmid++;
}

/* K5: CMOs work on kernel VAs; only the linear map has them. */
static bool has_kernel_va(const struct s2mt_host *host, uint64_t pa,
			  uint64_t size)
{
	const struct s2mt_phys_region *r = s2mt_host_region(host, pa);

	return r && r->kind == S2MT_PHYS_RAM && pa + size <= r->base + r->size;
}

/* One record per run: a fault-by-fault touch of 96 GiB on a host without
 * FWB cleans 25 million pages, each right after the one before. */
static void record_cmo(struct s2mt_vm *vm, unsigned kind, uint64_t pa,
		       uint64_t size, bool impossible)
{
	size_t last = vm->last_cmo[kind];

	if (last) {
		struct s2mt_cmo *c = &vm->cmos[last - 1];

		if (c->impossible == impossible && c->pa + c->size == pa) {
			c->size += size;
			return;
		}
	}
	vm->cmos = grow(vm->cmos, &vm->cap_cmos, vm->nr_cmos + 1,
			sizeof(*vm->cmos), "the cache-maintenance record");
	vm->cmos[vm->nr_cmos++] = (struct s2mt_cmo){
		.kind = (uint8_t)kind,
		.impossible = impossible,
		.pa = pa,
		.size = size,
	};
	vm->last_cmo[kind] = vm->nr_cmos;
}

static void env_dclean(void *ctx, uint64_t pa, uint64_t size)
{
	struct s2mt_vm *vm = ctx;
	bool ok = has_kernel_va(vm->kvm->host, pa, size);

	record_cmo(vm, S2MT_CMO_DCLEAN, pa, size, !ok);
	if (ok)
		vm->stats.dclean_bytes += size;
	else
		vm->stats.cmo_impossible_bytes += size;
	vm->last_dclean_pa = pa;
	vm->last_dclean_size = size;
	vm->last_dclean_done = ok;
}

static void env_iinval(void *ctx, uint64_t pa, uint64_t size)
{
	struct s2mt_vm *vm = ctx;
	bool ok = has_kernel_va(vm->kvm->host, pa, size);

	record_cmo(vm, S2MT_CMO_IINVAL, pa, size, !ok);
	if (ok)
		vm->stats.iinval_bytes += size;
	else
		vm->stats.cmo_impossible_bytes += size;
}

static bool desc_leaf(uint64_t d, unsigned level)
{
	if (!(d & S2MT_PTE_VALID))
		return false;
	return level == 3 ? (d & S2MT_PTE_TABLE) != 0 : !(d & S2MT_PTE_TABLE);
}

/* Z3: a cacheable leaf on a host without FWB must follow a successful
 * clean of its whole range (K5). */
static void env_pte_store(void *ctx, uint64_t ipa, unsigned level, uint64_t old,
			  uint64_t new)
{
	struct s2mt_vm *vm = ctx;
	/* The stored MemAttr as it is (RAW): what K5 asks of it. */
	struct s2mt_prot prot = {
		.type = S2MT_MT_RAW,
		.memattr = (uint8_t)((new &S2MT_PTE_MEMATTR_MASK) >>
				     S2MT_PTE_MEMATTR_SHIFT),
	};
	uint64_t size, pa;

	if (vm->pgt.cfg.fwb || !desc_leaf(new, level) ||
	    !s2mt_prot_cacheable(prot, false))
		return;
	if (desc_leaf(old, level) &&
	    ((old ^ new) &
	     ~(S2MT_PTE_S2AP_R | S2MT_PTE_S2AP_W | S2MT_PTE_XN_MASK)) == 0)
		return; /* a permission change, not an install */
	size = s2mt_level_size(level);
	pa = new &S2MT_PTE_ADDR_MASK & ~(size - 1);
	ipa &= ~(size - 1);
	if (!(vm->last_dclean_done && vm->last_dclean_pa <= pa &&
	      vm->last_dclean_pa + vm->last_dclean_size >= pa + size)) {
		struct s2mt_unclean_leaf *u = vm->nr_unclean
			? &vm->unclean[vm->nr_unclean - 1]
			: NULL;

		vm->last_dclean_done = false;
		if (u && u->ipa + u->size == ipa && u->pa + u->size == pa) {
			u->size += size;
			return;
		}
		vm->unclean = grow(vm->unclean, &vm->cap_unclean,
				   vm->nr_unclean + 1, sizeof(*vm->unclean),
				   "the record of uncleaned leaves");
		vm->unclean[vm->nr_unclean++] = (struct s2mt_unclean_leaf){
			.ipa = ipa,
			.size = size,
			.pa = pa,
		};
	}
	vm->last_dclean_done = false;
}

static const struct s2mt_mm_ops vm_env_ops = {
	.zalloc_pages = env_zalloc,
	.free_pages = env_free,
	.virt_to_phys = env_v2p,
	.phys_to_virt = env_p2v,
	.tlbi_ipa = env_tlbi_ipa,
	.tlbi_vmid = env_tlbi_vmid,
	.dcache_clean_inval_poc = env_dclean,
	.icache_inval_pou = env_iinval,
	.pte_store = env_pte_store,
	.p2v_linear = true,
	.p2v_offset = 0,
};

/* ------------------------------------------------------------------ */
/* /dev/kvm and capabilities                                           */
/* ------------------------------------------------------------------ */

static void mmu_notifier_invalidate(void *arg, uint64_t start, uint64_t end);

int s2mt_kvm_open(struct s2mt_kvm *kvm, struct s2mt_host *host,
		  struct s2mt_mm *mm)
{
	memset(kvm, 0, sizeof(*kvm));
	kvm->host = host;
	kvm->mm = mm;
	kvm->next_vmid = 1;
	return 0;
}

void s2mt_kvm_close(struct s2mt_kvm *kvm)
{
	while (kvm->nr_vms)
		s2mt_vm_destroy(kvm->vms[kvm->nr_vms - 1]);
}

static long check_extension(struct s2mt_kvm *kvm, struct s2mt_vm *vm, long cap)
{
	const struct s2mt_host *host = kvm->host;

	/* x86 (SPEC section 7): none of the arm64 capabilities; 243 is
	 * unknown there, so 0 on either handle. */
	if (host->arch != S2MT_ARCH_ARM64 &&
	    (cap == KVM_CAP_ARM_VM_IPA_SIZE || cap == KVM_CAP_ARM_MTE ||
	     cap == KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED))
		return 0;
	switch (cap) {
	case KVM_CAP_USER_MEMORY:
	case KVM_CAP_READONLY_MEM:
		return 1;
	case KVM_CAP_USER_MEMORY2:
		return s2mt_kernel_has(&host->kernel, S2MT_KF_USER_MEMORY2);
	case KVM_CAP_NR_MEMSLOTS:
		return S2MT_KVM_USER_MEM_SLOTS;
	case KVM_CAP_ARM_VM_IPA_SIZE:
		return host->ipa_limit;
	case KVM_CAP_ARM_MTE:
		return host->caps.mte;
	case KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED:
		/* C1: unknown (0) before 6.17; a VM-only question after. */
		if (host->era < S2MT_ERA_6_17)
			return 0;
		if (!vm) {
			KVM_WHY(kvm, "C1",
				"C1: capability 243 is answered on a VM handle "
				"only");
			return -S2MT_EINVAL;
		}
		return s2mt_host_cacheable_pfnmap(&host->caps);
	}
	return 0;
}

long s2mt_kvm_check_extension(struct s2mt_kvm *kvm, long cap)
{
	return check_extension(kvm, NULL, cap);
}

long s2mt_vm_check_extension(struct s2mt_vm *vm, long cap)
{
	return check_extension(vm->kvm, vm, cap);
}

int s2mt_kvm_create_vm(struct s2mt_kvm *kvm, unsigned long type,
		       struct s2mt_vm **out)
{
	unsigned ipa = (unsigned)KVM_VM_TYPE_ARM_IPA_SIZE(type);
	struct s2mt_pgt_cfg cfg;
	struct s2mt_vm *vm;
	int err;

	if (kvm->host->arch != S2MT_ARCH_ARM64 && type) {
		KVM_WHY(kvm, "A2",
			"A2: x86 knows no VM type %#lx here (an IPA size in "
			"the type is arm64's KVM_VM_TYPE_ARM_IPA_SIZE)",
			type);
		return -S2MT_EINVAL;
	}
	if (type & ~KVM_VM_TYPE_ARM_IPA_SIZE_MASK) {
		KVM_WHY(kvm, "A2", "A2: unknown VM type bits %#lx", type);
		return -S2MT_EINVAL;
	}
	if (!ipa)
		ipa = S2MT_KVM_DEFAULT_IPA_BITS;
	if (ipa < 32 || ipa > kvm->host->ipa_limit) {
		KVM_WHY(kvm, "A2",
			"A2: IPA size %u outside 32..%u "
			"(KVM_CAP_ARM_VM_IPA_SIZE)",
			ipa, kvm->host->ipa_limit);
		return -S2MT_EINVAL;
	}
	if (ipa > 48) {
		KVM_WHY(kvm, "A2",
			"model: a %u-bit IPA space needs FEAT_LPA2 stage-2 "
			"tables, which s2mt does not build (KVM on an LPA2 "
			"host accepts it)",
			ipa);
		return -S2MT_EINVAL;
	}
	if (kvm->nr_vms == S2MT_MAX_VMS) {
		KVM_WHY(kvm, "model", "model: at most %d VMs", S2MT_MAX_VMS);
		return -S2MT_ENOMEM;
	}
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -S2MT_ENOMEM;
	vm->table_pool = calloc(1, sizeof(struct table_pool));
	if (!vm->table_pool) {
		free(vm);
		return -S2MT_ENOMEM;
	}
	vm->kvm = kvm;
	vm->ipa_bits = ipa;
	/* K5: a vCPU starts with its MMU and caches off; without FWB
	 * kvm_reset_vcpu() sets HCR_EL2.TVM to see them turned on. */
	vm->guest_caches_trapped =
		kvm->host->arch == S2MT_ARCH_ARM64 && !kvm->host->caps.fwb;
	cfg = (struct s2mt_pgt_cfg){
		.ipa_bits = ipa,
		.pa_bits = kvm->host->pa_bits,
		.start_level = S2MT_START_AUTO,
		/* x86 caches snoop: no maintenance for any leaf, which is
		 * what FWB and DIC tell the table code. */
		.fwb = kvm->host->caps.fwb ||
			kvm->host->arch != S2MT_ARCH_ARM64,
		.dic = kvm->host->caps.dic ||
			kvm->host->arch != S2MT_ARCH_ARM64,
		.vmid = kvm->next_vmid,
	};
	/* With FWB nothing is cleaned, so Z3 has nothing to watch: no store
	 * hook, and the table code may write leaves in its tight loop. */
	vm->env_ops = vm_env_ops;
	if (cfg.fwb)
		vm->env_ops.pte_store = NULL;
	err = s2mt_pgt_init(&vm->pgt, &cfg, &vm->env_ops, vm);
	if (err) {
		KVM_WHY(kvm, "A2", "%s", vm->pgt.why);
		pool_destroy(vm->table_pool);
		free(vm);
		return err;
	}
	err = s2mt_mm_register_notifier(
		kvm->mm,
		&(struct s2mt_mm_notifier){ mmu_notifier_invalidate, vm });
	if (err) {
		s2mt_pgt_destroy(&vm->pgt);
		pool_destroy(vm->table_pool);
		free(vm);
		KVM_WHY(kvm, "model", "model: too many MMU notifiers");
		return err;
	}
	kvm->next_vmid++;
	kvm->vms[kvm->nr_vms++] = vm;
	*out = vm;
	return 0;
}

void s2mt_vm_destroy(struct s2mt_vm *vm)
{
	struct s2mt_kvm *kvm = vm->kvm;

	s2mt_mm_unregister_notifier(kvm->mm, vm);
	s2mt_pgt_destroy(&vm->pgt);
	pool_destroy(vm->table_pool);
	for (size_t i = 0; i < vm->nr_slots; i++)
		free(vm->slots[i].dirty_bitmap);
	free(vm->slots);
	free(vm->cmos);
	free(vm->unclean);
	for (size_t i = 0; i < kvm->nr_vms; i++)
		if (kvm->vms[i] == vm) {
			kvm->vms[i] = kvm->vms[--kvm->nr_vms];
			break;
		}
	free(vm);
}

int s2mt_vm_enable_cap(struct s2mt_vm *vm, long cap)
{
	if (cap != KVM_CAP_ARM_MTE) {
		VM_WHY(vm, "C1", "KVM_ENABLE_CAP: capability %ld not supported",
		       cap);
		return -S2MT_EINVAL;
	}
	if (!vm->kvm->host->caps.mte) {
		VM_WHY(vm, "K6", "K6: the host has no MTE");
		return -S2MT_EINVAL;
	}
	if (vm->nr_vcpus) {
		VM_WHY(vm, "K6", "K6: MTE must be enabled before any vCPU");
		return -S2MT_EINVAL;
	}
	vm->mte = true;
	vm->gen++;
	return 0;
}

int s2mt_vm_create_vcpu(struct s2mt_vm *vm)
{
	return (int)vm->nr_vcpus++;
}

/* ------------------------------------------------------------------ */
/* Memslots (M1-M4)                                                    */
/* ------------------------------------------------------------------ */

static struct s2mt_memslot *slot_by_id(struct s2mt_vm *vm, uint32_t slot)
{
	for (size_t i = 0; i < vm->nr_slots; i++)
		if (vm->slots[i].slot == slot)
			return &vm->slots[i];
	return NULL;
}

const struct s2mt_memslot *s2mt_vm_slot_by_id(const struct s2mt_vm *vm,
					      uint32_t slot)
{
	return slot_by_id((struct s2mt_vm *)vm, slot);
}

const struct s2mt_memslot *s2mt_vm_find_slot(const struct s2mt_vm *vm,
					     uint64_t ipa)
{
	size_t lo = 0, hi = vm->nr_slots;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct s2mt_memslot *s = &vm->slots[mid];

		if (ipa < s->gpa)
			hi = mid;
		else if (ipa >= s->gpa + s->size)
			lo = mid + 1;
		else
			return s;
	}
	return NULL;
}

static void sort_slots(struct s2mt_vm *vm)
{
	/* Insertion sort: few slots, nearly sorted. */
	for (size_t i = 1; i < vm->nr_slots; i++) {
		struct s2mt_memslot s = vm->slots[i];
		size_t j = i;

		while (j && vm->slots[j - 1].gpa > s.gpa) {
			vm->slots[j] = vm->slots[j - 1];
			j--;
		}
		vm->slots[j] = s;
	}
}

static bool overlaps_other(const struct s2mt_vm *vm, uint32_t id, uint64_t gpa,
			   uint64_t size, const struct s2mt_memslot **other)
{
	for (size_t i = 0; i < vm->nr_slots; i++) {
		const struct s2mt_memslot *s = &vm->slots[i];

		if (s->slot == id)
			continue;
		if (gpa < s->gpa + s->size && s->gpa < gpa + size) {
			*other = s;
			return true;
		}
	}
	return false;
}

/* An unmap only needs a page when it splits a block it partly covers. */
static void unmap_ipa(struct s2mt_vm *vm, uint64_t ipa, uint64_t size)
{
	if (s2mt_pgt_unmap(&vm->pgt, ipa, size))
		s2mt_oom("a stage-2 table page to split a block on unmap",
			 PAGE_SIZE);
}

/* K7: write-protect a range, then invalidate it once, as KVM's
 * stage2_wp_range() callers flush the memslot after the walk. */
static void wrprotect_range(struct s2mt_vm *vm, uint64_t ipa, uint64_t size)
{
	if (s2mt_pgt_wrprotect(&vm->pgt, ipa, size))
		s2mt_oom("a stage-2 table page to split a block when "
			 "write-protecting",
			 PAGE_SIZE);
}

enum change { CREATE, DELETE, MOVE, FLAGS_ONLY };

/* kvm_arch_prepare_memory_region(): A2/M3 over the slot's VMAs. */
static int arch_prepare(struct s2mt_vm *vm, enum change change, uint64_t gpa,
			uint64_t size, uint64_t hva, uint32_t flags)
{
	const struct s2mt_host *host = vm->kvm->host;
	uint64_t end = hva + size;

	if (change == DELETE)
		return 0;
	/* KVM x86 asks nothing of the VMAs behind a slot (SPEC section 7):
	 * every PFNMAP is mapped at fault time, as the host maps it. */
	if (host->arch != S2MT_ARCH_ARM64)
		return 0;
	if (gpa + size > (1ULL << vm->ipa_bits)) {
		VM_WHY(vm, "M3",
		       "M3: slot end %#llx is beyond the VM's %u-bit IPA space",
		       (unsigned long long)(gpa + size), vm->ipa_bits);
		return -S2MT_EFAULT;
	}
	/* Holes between VMAs are skipped here; they fault later (M3). */
	while (hva < end) {
		const struct s2mt_vma *vma =
			s2mt_mm_find_vma_intersection(vm->kvm->mm, hva, end);
		struct s2mt_policy_in in;
		struct s2mt_policy_out out;

		if (!vma)
			break;
		/* K6 before 6.2: an MTE VM refused shared memory, and asked
		 * nothing else of the VMA (seen on real 6.1). */
		if (vm->mte &&
		    !s2mt_kernel_has(&host->kernel, S2MT_KF_MTE_SHARED) &&
		    (vma->flags & S2MT_VM_SHARED)) {
			VM_WHY(vm, "K6",
			       "K6: the VM has MTE and VMA %#llx-%#llx is "
			       "VM_SHARED, which kernels before 6.2 refuse",
			       (unsigned long long)vma->start,
			       (unsigned long long)vma->end);
			return -S2MT_EINVAL;
		}
		in = (struct s2mt_policy_in){
			.op = S2MT_POLICY_REGISTER,
			.era = (uint8_t)host->era,
			.host = host->caps,
			.vm_mte = vm->mte &&
				s2mt_kernel_has(&host->kernel,
						S2MT_KF_MTE_SHARED),
			.memclass = (uint8_t)s2mt_vma_memclass(host, vma),
			.vm_flags = vma->flags,
			.attrindx = vma->attrindx,
			.slot_flags = flags,
			.vma_start = vma->start,
			.vma_end = vma->end,
			.design = (uint8_t)host->design,
		};
		if (s2mt_policy(&in, &out)) {
			VM_WHY(vm, out.rule, "%s", out.reason);
			return out.err;
		}
		hva = vma->end < end ? vma->end : end;
	}
	return 0;
}

/* Starts or stops the dirty bitmap for new flags; true if logging starts. */
static bool set_logging(struct s2mt_memslot *s, uint32_t flags, uint64_t npages)
{
	bool on = flags & KVM_MEM_LOG_DIRTY_PAGES;

	if (on && !s->dirty_bitmap) {
		s->dirty_bitmap = calloc((npages + 63) / 64, 8);
		if (!s->dirty_bitmap)
			s2mt_oom("a dirty bitmap", (npages + 63) / 64 * 8);
		return true;
	}
	if (!on) {
		free(s->dirty_bitmap);
		s->dirty_bitmap = NULL;
	}
	return false;
}

static int set_memory_region(struct s2mt_vm *vm,
			     const struct s2mt_userspace_memory_region2 *mem,
			     bool v2)
{
	uint32_t valid = KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY;
	uint16_t as_id = (uint16_t)(mem->slot >> 16), id = (uint16_t)mem->slot;
	uint64_t npages = mem->memory_size / PAGE_SIZE;
	struct s2mt_memslot *old;
	enum change change;
	int err;

	/* KVM_SET_USER_MEMORY_REGION2 arrived in 6.8: before, it is an
	 * unknown VM ioctl, which KVM answers with -EINVAL. */
	if (v2 &&
	    !s2mt_kernel_has(&vm->kvm->host->kernel, S2MT_KF_USER_MEMORY2)) {
		VM_WHY(vm, "M1",
		       "M1: KVM_SET_USER_MEMORY_REGION2 arrived in Linux 6.8; "
		       "kernel %s answers the unknown ioctl with -EINVAL (use "
		       "KVM_SET_USER_MEMORY_REGION)",
		       vm->kvm->host->kernel.release);
		return -S2MT_EINVAL;
	}
	/* D1-D3: bit 3 exists only where the host can keep its promise,
	 * which is what capability 243 reports (C1). */
	if (s2mt_design_has_slot_flag(vm->kvm->host->design) &&
	    s2mt_host_cacheable_pfnmap(&vm->kvm->host->caps))
		valid |= S2MT_MEM_CACHEABLE_PFNMAP;
	/* M1: arm64 has no private memory for these VMs, so GUEST_MEMFD is
	 * refused like any unknown bit (and the old ioctl never had it). */
	if (mem->flags & ~valid) {
		unsigned design = vm->kvm->host->design;

		if (mem->flags & ~valid & S2MT_MEM_CACHEABLE_PFNMAP &&
		    s2mt_design_has_slot_flag(design)) {
			if (vm->kvm->host->arch != S2MT_ARCH_ARM64)
				VM_WHY(vm, s2mt_design_name(design),
				       "%s: %s (bit 3) is arm64 only: KVM x86 "
				       "cannot promise Write-Back against the "
				       "guest PAT (docs/x86.md)",
				       s2mt_design_name(design),
				       s2mt_design_slot_flag_name(design));
			else
				VM_WHY(vm, s2mt_design_name(design),
				       "%s: %s (bit 3) is valid only on a host "
				       "with FEAT_S2FWB and CTR_EL0.DIC "
				       "(capability 243 = 0 here)",
				       s2mt_design_name(design),
				       s2mt_design_slot_flag_name(design));
			return -S2MT_EINVAL;
		}
		VM_WHY(vm, "M1", "M1: unknown or unsupported memslot flags %#x",
		       mem->flags & ~valid);
		return -S2MT_EINVAL;
	}
	/* M2, in the kernel's order. */
	if (mem->memory_size & (PAGE_SIZE - 1)) {
		VM_WHY(vm, "M2", "M2: memory_size %#llx is not page aligned",
		       (unsigned long long)mem->memory_size);
		return -S2MT_EINVAL;
	}
	if (mem->guest_phys_addr & (PAGE_SIZE - 1)) {
		VM_WHY(vm, "M2",
		       "M2: guest_phys_addr %#llx is not page aligned",
		       (unsigned long long)mem->guest_phys_addr);
		return -S2MT_EINVAL;
	}
	if ((mem->userspace_addr & (PAGE_SIZE - 1)) ||
	    mem->userspace_addr + mem->memory_size < mem->userspace_addr ||
	    mem->userspace_addr + mem->memory_size > S2MT_TASK_SIZE) {
		VM_WHY(vm, "M2",
		       "M2: userspace_addr %#llx is not page aligned or the "
		       "range leaves the user address space",
		       (unsigned long long)mem->userspace_addr);
		return -S2MT_EINVAL;
	}
	if (as_id >= 1 || id >= S2MT_KVM_USER_MEM_SLOTS) {
		VM_WHY(vm, "M2",
		       "M2: slot %#x: address space %u (arm64 has 1) or id %u "
		       "(limit %d)",
		       mem->slot, as_id, id, S2MT_KVM_USER_MEM_SLOTS);
		return -S2MT_EINVAL;
	}
	if (mem->guest_phys_addr + mem->memory_size < mem->guest_phys_addr) {
		VM_WHY(vm, "M2", "M2: guest_phys_addr + memory_size wraps");
		return -S2MT_EINVAL;
	}
	if (npages > S2MT_KVM_MEM_MAX_NR_PAGES) {
		VM_WHY(vm, "M2", "M2: %llu pages exceed KVM_MEM_MAX_NR_PAGES",
		       (unsigned long long)npages);
		return -S2MT_EINVAL;
	}

	old = slot_by_id(vm, mem->slot);
	if (!mem->memory_size) {
		if (!old) {
			VM_WHY(vm, "M2",
			       "M2: delete of slot %u, which does "
			       "not exist",
			       mem->slot);
			return -S2MT_EINVAL;
		}
		change = DELETE;
	} else if (!old) {
		change = CREATE;
	} else {
		if (mem->userspace_addr != old->hva ||
		    mem->memory_size != old->size ||
		    ((mem->flags ^ old->flags) & KVM_MEM_READONLY)) {
			VM_WHY(vm, "M2",
			       "M2: slot %u exists: its userspace_addr, size "
			       "and READONLY flag cannot change",
			       mem->slot);
			return -S2MT_EINVAL;
		}
		if (mem->guest_phys_addr != old->gpa)
			change = MOVE;
		else if (mem->flags != old->flags)
			change = FLAGS_ONLY;
		else
			return 0;
	}
	if (change == CREATE || change == MOVE) {
		const struct s2mt_memslot *other;

		if (overlaps_other(vm, mem->slot, mem->guest_phys_addr,
				   mem->memory_size, &other)) {
			VM_WHY(vm, "M2",
			       "M2: [%#llx, %#llx) overlaps slot %u at "
			       "[%#llx, %#llx)",
			       (unsigned long long)mem->guest_phys_addr,
			       (unsigned long long)(mem->guest_phys_addr +
						    mem->memory_size),
			       other->slot, (unsigned long long)other->gpa,
			       (unsigned long long)(other->gpa + other->size));
			return -S2MT_EEXIST;
		}
	}
	err = arch_prepare(vm, change, mem->guest_phys_addr, mem->memory_size,
			   mem->userspace_addr, mem->flags);
	if (err)
		return err;
	if (change == CREATE) {
		struct s2mt_memslot *slots =
			try_grow(vm->slots, &vm->cap_slots, vm->nr_slots + 1,
				 sizeof(*vm->slots));

		if (!slots) {
			VM_WHY(vm, "M4",
			       "M4: no memory for another memslot; nothing "
			       "changed");
			return -S2MT_ENOMEM;
		}
		vm->slots = slots;
	}

	/* Commit: nothing below can fail (M4). */
	vm->gen++;
	switch (change) {
	case DELETE:
		unmap_ipa(vm, old->gpa, old->size);
		free(old->dirty_bitmap);
		*old = vm->slots[--vm->nr_slots];
		sort_slots(vm);
		VM_WHY(vm, "M2", "M2: slot %u deleted, its stage-2 unmapped",
		       mem->slot);
		break;
	case CREATE: {
		struct s2mt_memslot s = {
			.slot = mem->slot,
			.flags = mem->flags,
			.gpa = mem->guest_phys_addr,
			.size = mem->memory_size,
			.hva = mem->userspace_addr,
		};

		if (s.flags & KVM_MEM_LOG_DIRTY_PAGES)
			s.dirty_bitmap = calloc((npages + 63) / 64, 8);
		if (s.flags & KVM_MEM_LOG_DIRTY_PAGES && !s.dirty_bitmap)
			s2mt_oom("a dirty bitmap", (npages + 63) / 64 * 8);
		/* Room was made before the commit. */
		vm->slots[vm->nr_slots++] = s;
		sort_slots(vm);
		VM_WHY(vm, "M3", "M3: slot %u created", mem->slot);
		break;
	}
	case MOVE:
		/* The old IPA range goes; the flags may change with it. */
		unmap_ipa(vm, old->gpa, old->size);
		set_logging(old, mem->flags, npages);
		old->gpa = mem->guest_phys_addr;
		old->flags = mem->flags;
		sort_slots(vm);
		VM_WHY(vm, "M2", "M2: slot %u moved, its old stage-2 unmapped",
		       mem->slot);
		break;
	case FLAGS_ONLY:
		/* K7: logging starts by write-protecting the slot. */
		if (set_logging(old, mem->flags, npages)) {
			wrprotect_range(vm, old->gpa, old->size);
			vm->stats.tlbi_range++;
		}
		old->flags = mem->flags;
		VM_WHY(vm, "K7", "K7: slot %u flags now %#x", mem->slot,
		       mem->flags);
		break;
	}
	return 0;
}

int s2mt_vm_set_user_memory_region(struct s2mt_vm *vm,
				   const struct s2mt_userspace_memory_region *r)
{
	struct s2mt_userspace_memory_region2 r2 = {
		.slot = r->slot,
		.flags = r->flags,
		.guest_phys_addr = r->guest_phys_addr,
		.memory_size = r->memory_size,
		.userspace_addr = r->userspace_addr,
	};

	return set_memory_region(vm, &r2, false);
}

int s2mt_vm_set_user_memory_region2(
	struct s2mt_vm *vm, const struct s2mt_userspace_memory_region2 *r)
{
	return set_memory_region(vm, r, true);
}

int s2mt_vm_get_dirty_log(struct s2mt_vm *vm, uint32_t slot, uint64_t *bitmap)
{
	struct s2mt_memslot *s = slot_by_id(vm, slot);
	uint64_t npages, words;
	bool flush = false;

	/* kvm_get_dirty_log_protect(): no slot, or not logging: -ENOENT. */
	if ((slot >> 16) >= 1 || (uint16_t)slot >= S2MT_KVM_USER_MEM_SLOTS) {
		VM_WHY(vm, "K7", "K7: slot %#x out of range", slot);
		return -S2MT_EINVAL;
	}
	if (!s) {
		VM_WHY(vm, "K7", "K7: no slot %u", slot);
		return -S2MT_ENOENT;
	}
	if (!s->dirty_bitmap) {
		VM_WHY(vm, "K7", "K7: slot %u is not dirty-logging", slot);
		return -S2MT_ENOENT;
	}
	npages = s->size / PAGE_SIZE;
	words = (npages + 63) / 64;
	memcpy(bitmap, s->dirty_bitmap, words * 8);
	/* K7: write-protect the dirty pages again to catch the next write,
	 * run by run, then flush the memslot's range once
	 * (kvm_get_dirty_log_protect()). */
	for (uint64_t i = 0; i < npages;) {
		uint64_t j = i;

		if (!s->dirty_bitmap[i / 64]) {
			i = (i / 64 + 1) * 64;
			continue;
		}
		while (j < npages && (s->dirty_bitmap[j / 64] >> (j % 64) & 1))
			j++;
		if (j > i) {
			wrprotect_range(vm, s->gpa + i * PAGE_SIZE,
					(j - i) * PAGE_SIZE);
			flush = true;
			i = j;
		} else {
			i++;
		}
	}
	if (flush)
		vm->stats.tlbi_range++;
	memset(s->dirty_bitmap, 0, words * 8);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The MMU notifier (K8)                                               */
/* ------------------------------------------------------------------ */

static void mmu_notifier_invalidate(void *arg, uint64_t start, uint64_t end)
{
	struct s2mt_vm *vm = arg;
	bool hit = false;

	for (size_t i = 0; i < vm->nr_slots; i++) {
		const struct s2mt_memslot *s = &vm->slots[i];
		uint64_t lo = start > s->hva ? start : s->hva;
		uint64_t hi = end < s->hva + s->size ? end : s->hva + s->size;

		if (lo >= hi)
			continue;
		hit = true;
		lo &= ~(PAGE_SIZE - 1);
		hi = (hi + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
		unmap_ipa(vm, s->gpa + (lo - s->hva), hi - lo);
	}
	if (hit) {
		vm->stats.invalidations++;
		vm->mmu_invalidate_seq++;
	}
}

/* ------------------------------------------------------------------ */
/* K5: the guest toggles its caches                                    */
/* ------------------------------------------------------------------ */

static int flush_leaf(const struct s2mt_walk_entry *e, void *arg)
{
	struct s2mt_vm *vm = arg;
	struct s2mt_leaf leaf;

	s2mt_leaf_decode(e->desc, e->level, e->ipa, &leaf);
	/* stage2_pte_cacheable(): MemAttr Normal write-back (0b1111 without
	 * FWB, the only hosts that get here). */
	if (leaf.memattr == 0xf)
		env_dclean(vm, leaf.pa, leaf.size);
	return 0;
}

uint64_t s2mt_vm_guest_set_caches(struct s2mt_vm *vm, bool on)
{
	uint64_t before = vm->stats.dclean_bytes;

	/* With FWB (or once the caches were on) KVM does not trap it. */
	if (!vm->guest_caches_trapped) {
		vm->guest_caches_on = on;
		return 0;
	}
	if (on != vm->guest_caches_on)
		s2mt_pgt_walk(&vm->pgt, 0, vm->pgt.ipa_limit, S2MT_WALK_LEAF,
			      flush_leaf, vm);
	vm->guest_caches_on = on;
	if (on)
		vm->guest_caches_trapped = false;
	return vm->stats.dclean_bytes - before;
}
