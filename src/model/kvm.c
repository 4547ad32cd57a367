// SPDX-License-Identifier: MIT
/*
 * KVM/arm64 as a VMM sees it: capabilities (C1), VMs, memslots (M1-M4) and
 * the stage-2 fault path (K1-K8), per kernel era. The memory-type decision
 * itself is the core's s2mt_policy(); the stage-2 table is the core's
 * s2mt_pgt, driven through recording ops so that TLBIs and cache
 * maintenance (K5) are counted in bytes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <s2mt/model.h>

#define PAGE_SIZE S2MT_PAGE_SIZE

static void set_why(char *why, const char **rulep, const char *rule,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void set_why(char *why, const char **rulep, const char *rule,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, S2MT_WHY_LEN, fmt, ap);
	va_end(ap);
	*rulep = rule;
}

#define VM_WHY(vm, id, ...) set_why((vm)->why, &(vm)->rule, id, __VA_ARGS__)
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
