// SPDX-License-Identifier: MIT
/*
 * Randomized test of the KVM/arm64 model (src/model/): for every kernel era
 * (6.8, 6.9, 6.17) and host preset (grace-hopper, no-fwb, fwb-no-dic,
 * qemu-max), thousands of random steps mixing mmap (anonymous 4K, THP,
 * hugetlb 2M/1G, vfio-pci BARs, nvgrace-gpu usemem/resmem, /dev/mem of a BAR;
 * fixed or not; sometimes misaligned with align_hint), munmap, mprotect,
 * memslot create/move/delete/flags changes (valid and invalid), guest faults
 * and KVM_GET_DIRTY_LOG, in two VMs. After every step the whole state is
 * checked against oracles taken from SPEC.md, computed here from the public
 * structs and independently of the model's own checker:
 *
 *   M1-M4  every memslot call returns what M1-M3 say; a refused call
 *          changes nothing (slots, dirty bitmaps, stage 2); a refused
 *          mmap/munmap/mprotect changes no VMA and no stage-2 leaf.
 *   Z7/K8  every stage-2 leaf lies in a live memslot and, through the
 *          slot's HVA, in one live VMA that gives exactly the leaf's PA.
 *   K1/K2  every leaf has the MemAttr the SPEC K2 table gives for the VMA
 *          now behind it, and the one s2mt_policy() gives.
 *   K1-K8  every fault ends as docs/model.md orders the checks (MMIO exit,
 *          spurious, -EFAULT, injected aborts, mapped/relaxed, and -EAGAIN
 *          when an mprotect races it); a fault that maps nothing changes
 *          no leaf; a translation fault maps the K4 size, with X exactly
 *          as K3 says and the K5 D-cache clean / I-cache invalidation of
 *          the whole leaf where the host needs them.
 *   K3/K7  no executable Device/NC leaf; no writable leaf in a READONLY
 *          slot or over a VMA without VM_WRITE; while logging, no block
 *          but the write-protected remains of blocks that existed when
 *          logging started, no writable RAM page that is not in the dirty
 *          bitmap, and KVM_GET_DIRTY_LOG returns exactly the pages written
 *          since the last call and write-protects them.
 *   Z1-Z7  the hazard checker never reports Z2, Z3, Z4 or Z7 (the faithful
 *          fault path cannot make them) and, from 6.17, no Z1; it reports
 *          Z1 over every non-cacheable leaf with a cacheable host alias
 *          (the 6.9 nvgrace usemem case), Z6 over every non-Device leaf of
 *          a BAR with read side effects, and Z5 exactly when two leaves
 *          map one PA with different MemAttr.
 *
 * One exception to the Z7 invariant is documented in docs/model.md (K4 as
 * the kernel has it): get_vma_page_shift()'s ALIGN(hva, size) <= vm_end
 * test is vacuous for a block-aligned HVA, so a PFNMAP block can run past
 * the VMA's end when the memslot continues. The generator never faults
 * where that would happen (k4_quirk()), and test_k4_quirk_is_z7 builds the
 * situation on purpose and checks that the hazard checker calls it Z7.
 *
 * test_thp_*: the THP upgrade of K4 needs a VMA covering the aligned
 * 2 MiB with a congruent PA (the deterministic form of what the random
 * steps found).
 *
 * After s2mt_kvm_close() and s2mt_mm_fini() nothing may be left allocated
 * (LeakSanitizer, in the asan build).
 *
 * The seed is printed; S2MT_TEST_SEED=<n> replays or changes it and
 * S2MT_TEST_OPS=<n> changes the number of steps per configuration.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "support/rng.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <s2mt/model.h>

#include "support/driver.h"

#define SZ_4K 0x1000ull
#define SZ_64K 0x10000ull
#define SZ_1M 0x100000ull
#define SZ_2M 0x200000ull
#define SZ_1G 0x40000000ull

#define RD S2MT_PROT_READ
#define WR S2MT_PROT_WRITE
#define EX S2MT_PROT_EXEC

#define LOG KVM_MEM_LOG_DIRTY_PAGES
#define RO KVM_MEM_READONLY

#define NR_VMS 2
#define NR_IDS 10 /* slot ids 0..9 */
#define GPA_WINDOW (48 * SZ_1G) /* where most slots go */
#define RAM_SIZE (512 * SZ_1G)
#define DEFAULT_OPS 2000

static uint64_t g_seed;
static unsigned long g_op;
static char g_cfg[48];
static char g_last[320]; /* the step being checked */

#define expect(cond, ...)                                                      \
	do {                                                                   \
		if (!(cond)) {                                                 \
			char m_[768];                                          \
			snprintf(m_, sizeof(m_), __VA_ARGS__);                 \
			fail_msg("%s:%d: [%s seed=%#" PRIx64 " step=%lu: %s] " \
				 "expected %s: %s",                            \
				 __FILE__, __LINE__, g_cfg, g_seed, g_op,      \
				 g_last, #cond, m_);                           \
		}                                                              \
	} while (0)

#define expect_rc(call, want)                                                  \
	do {                                                                   \
		int rc_ = (call);                                              \
		int want_ = (want);                                            \
		expect(rc_ == want_, "%s returned %d (%s), want %d (%s)",      \
		       #call, rc_, s2mt_errno_name(rc_ < 0 ? -rc_ : rc_),      \
		       want_, s2mt_errno_name(want_ < 0 ? -want_ : want_));    \
	} while (0)

__attribute__((format(printf, 1, 2))) static void step(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g_last, sizeof(g_last), fmt, ap);
	va_end(ap);
}

/* ---- PRNG (splitmix64) ---- */

static bool chance(unsigned percent)
{
	return rnd_below(100) < percent;
}

static unsigned long nr_ops(void)
{
	return (unsigned long)env_u64("S2MT_TEST_OPS", DEFAULT_OPS);
}

/* ------------------------------------------------------------------ */
/* SPEC oracles on public data                                         */
/* ------------------------------------------------------------------ */

/* A3/A4: Device (MemAttr[3:2] = 00, or FWB MemAttr[2] = 0). */
static bool ma_device(uint8_t ma, bool fwb)
{
	return fwb ? !(ma & 4) : !(ma >> 2);
}

/* Device or Normal-NC (inner and outer NC): what K3 keeps non-executable
 * and what Z1 calls non-cacheable. */
static bool ma_uncached(uint8_t ma, bool fwb)
{
	if (ma_device(ma, fwb))
		return true;
	return fwb ? (ma & 7) == 5 : ma == 0x5;
}

/* H3: kvm_vma_is_cacheable(). */
static bool attrindx_cacheable(unsigned idx)
{
	return idx != S2MT_MT_IDX_NORMAL_NC &&
		idx != S2MT_MT_IDX_DEVICE_nGnRnE &&
		idx != S2MT_MT_IDX_DEVICE_nGnRE;
}

struct world;

struct lv {
	struct s2mt_leaf *v;
	size_t nr, cap;
};

struct snap {
	struct s2mt_memslot slots[NR_VMS][NR_IDS + 1];
	uint64_t bm_hash[NR_VMS][NR_IDS + 1];
	size_t nr_slots[NR_VMS];
	struct lv leaves[NR_VMS];
	struct s2mt_vma *vmas;
	size_t nr_vmas;
};

static bool pa_is_ram(const struct world *w, uint64_t pa);

struct world {
	unsigned era;
	const char *preset;
	struct s2mt_host host;
	struct s2mt_mm mm;
	struct s2mt_kvm kvm;
	struct s2mt_vm *vm[NR_VMS];
	struct sslot {
		bool live;
		uint32_t flags;
		uint64_t gpa, size, hva;
		uint64_t *dirty; /* pages written since the last get (K7) */
		struct blk {
			uint64_t ipa, size, pa;
		} * wp; /* blocks present when logging started */
		size_t nr_wp;
	} slot[NR_VMS][NR_IDS];
	int nic, gpu0, gpu1;
	/* H6 reference: the host's mapping of each 2 MiB of host RAM under
	 * THP memory (enum thp_ref), kept here from the rule's words. */
	uint8_t thp[RAM_SIZE / (2ull << 20)];
	uint64_t zero_block[NR_VMS]; /* IPA of a read-only 2 MiB block seen */
	/* The page after the last fault and its access: a vCPU's next
	 * fault, which the fault memo and its straight-line path take. */
	uint64_t next_ipa[NR_VMS];
	unsigned next_access[NR_VMS];
	/* H5 reference: 4 KiB pages of host RAM the process has written (its
	 * own pages) and pages the host maps the zero page at. */
	uint64_t *ref_written, *ref_zero;
	struct s2mt_hazard *hz;
	size_t nr_hz, hz_cap;
	struct lv leaves[NR_VMS];
	struct snap sn; /* the state before the step (M4) */
	struct lv scratch;
	uint64_t *bm;
	size_t bm_words;
	struct s2mt_query_entry *qbuf;
	struct {
		unsigned long mmap_ok, mmap_err, munmap_ok, munmap_err,
			mprot_ok, mprot_err;
		unsigned long slot_ok, slot_einval, slot_eexist, slot_efault,
			slot_noop;
		unsigned long fault[8], quirk_skips, logging_steps, wp_blocks;
		unsigned long leaves_l[4], z1_seen, z5_seen, z6_seen;
		unsigned long dirty_gets, queries, thp_retries, fast_faults;
		size_t max_leaves;
	} st;
};

/* The world of the running test, freed by the teardown even when a check
 * fails (cmocka leaves the test by longjmp), so that LeakSanitizer reports
 * only the model's own leaks. */
static struct world *g_world;

static bool pa_is_ram(const struct world *w, uint64_t pa)
{
	for (size_t i = 0; i < w->host.nr_regions; i++) {
		const struct s2mt_phys_region *r = &w->host.regions[i];

		if (r->kind == S2MT_PHYS_RAM && pa >= r->base &&
		    pa - r->base < r->size)
			return true;
	}
	return false;
}

/* The VMA containing hva, by a plain scan of mm->vmas. */
static const struct s2mt_vma *vma_at(const struct world *w, uint64_t hva)
{
	for (size_t i = 0; i < w->mm.nr_vmas; i++)
		if (hva >= w->mm.vmas[i].start && hva < w->mm.vmas[i].end)
			return &w->mm.vmas[i];
	return NULL;
}

/* K1: the memory class of the PFN behind a VMA at pa. */
static unsigned memclass_of(const struct world *w, const struct s2mt_vma *v,
			    uint64_t pa)
{
	if (v->backing == S2MT_BACK_PFN && !pa_is_ram(w, pa))
		return S2MT_MEM_PFN_OUTSIDE;
	if (v->flags & S2MT_VM_HUGETLB)
		return S2MT_MEM_HUGETLB;
	return S2MT_MEM_RAM;
}

/*
 * SPEC K1/K2: the stage-2 MemAttr a fault on this VMA at pa gets, or
 * -EFAULT when 6.17 refuses cacheable PFNMAP on a host without FWB+DIC.
 * Normal-WB is 0xF without FWB and 6 with it (A3/A4); Normal-NC 5;
 * Device-nGnRE 1.
 */
static int k2_memattr(const struct world *w, const struct s2mt_vma *v,
		      uint64_t pa, uint8_t *ma)
{
	const struct s2mt_host_caps *c = &w->host.caps;
	bool outside = !pa_is_ram(w, pa);
	bool aau = v->flags & S2MT_VM_ALLOW_ANY_UNCACHED;
	uint8_t wb = c->fwb ? 0x6 : 0xf;
	uint8_t nc_or_dev = (w->era >= S2MT_ERA_6_9 && aau) ? 0x5 : 0x1;

	if (w->era < S2MT_ERA_6_17) {
		*ma = outside ? nc_or_dev : wb;
		return 0;
	}
	if (!(outside && (v->flags & (S2MT_VM_PFNMAP | S2MT_VM_MIXEDMAP)))) {
		*ma = wb;
		return 0;
	}
	if (attrindx_cacheable(v->attrindx)) {
		if (!(c->fwb && c->dic))
			return -S2MT_EFAULT;
		*ma = wb;
		return 0;
	}
	*ma = nc_or_dev;
	return 0;
}

/* Whether the host also maps pa cacheable: RAM's linear map, or a
 * cacheable VMA (Z1). */
static bool cacheable_alias(const struct world *w, uint64_t pa, uint64_t size)
{
	if (pa_is_ram(w, pa))
		return true;
	for (size_t i = 0; i < w->mm.nr_vmas; i++) {
		const struct s2mt_vma *v = &w->mm.vmas[i];

		if (attrindx_cacheable(v->attrindx) &&
		    pa < v->pa + (v->end - v->start) && v->pa < pa + size)
			return true;
	}
	return false;
}

static bool rse_overlap(const struct world *w, uint64_t pa, uint64_t size)
{
	for (size_t i = 0; i < w->host.nr_regions; i++) {
		const struct s2mt_phys_region *r = &w->host.regions[i];

		if (r->read_side_effects && pa < r->base + r->size &&
		    r->base < pa + size)
			return true;
	}
	return false;
}

/* The live shadow slot of a VM covering ipa, or -1. */
static int sslot_at(const struct world *w, unsigned vi, uint64_t ipa)
{
	for (int id = 0; id < NR_IDS; id++) {
		const struct sslot *s = &w->slot[vi][id];

		if (s->live && ipa >= s->gpa && ipa - s->gpa < s->size)
			return id;
	}
	return -1;
}

static bool slot_fits(const struct sslot *s, uint64_t hva, uint64_t size)
{
	uint64_t start = hva & ~(size - 1);

	if ((s->gpa & (size - 1)) != (s->hva & (size - 1)))
		return false;
	return start >= s->hva && start + size <= s->hva + s->size;
}

/*
 * docs/model.md "K4 as the kernel has it": a fault at a block-aligned HVA
 * of a PFNMAP VMA whose block runs past the VMA's end, with the memslot
 * continuing, gets the block anyway. The generator avoids these faults.
 */
static bool k4_quirk(const struct world *w, const struct sslot *s, uint64_t hva)
{
	static const uint64_t sizes[] = { SZ_1G, SZ_2M };
	const struct s2mt_vma *v = vma_at(w, hva);

	if (!v || !(v->flags & S2MT_VM_PFNMAP) || (s->flags & LOG))
		return false;
	for (size_t i = 0; i < 2; i++) {
		uint64_t sz = sizes[i], pa = v->pa + (hva - v->start);

		if ((hva | pa) & (sz - 1))
			continue;
		if (hva + sz <= v->end)
			continue;
		if (slot_fits(s, hva, sz))
			return true;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* H6: transparent huge pages (reference)                              */
/* ------------------------------------------------------------------ */

enum thp_ref { THP_NONE, THP_ZERO_PAGE, THP_FOLIO, THP_PTES };

/* Whether the host can map the 2 MiB at hva with a PMD: THP memory (the
 * host's mode is the default madvise, so only the VMM's MADV_HUGEPAGE
 * memory; private), the whole block in the VMA, at a 2 MiB-aligned PA. */
static uint8_t *thp_ref_block(struct world *w, const struct s2mt_vma *v,
			      uint64_t hva)
{
	uint64_t down = hva & ~(SZ_2M - 1), pa;

	if (v->backing != S2MT_BACK_THP || (v->flags & S2MT_VM_SHARED) ||
	    down < v->start || down + SZ_2M > v->end)
		return NULL;
	pa = v->pa + (down - v->start);
	if (pa % SZ_2M || !pa_is_ram(w, pa))
		return NULL;
	return &w->thp[(pa - S2MT_HOST_RAM_BASE) / SZ_2M];
}

static bool ref_bit(const uint64_t *map, uint64_t pa)
{
	uint64_t n = (pa - S2MT_HOST_RAM_BASE) / SZ_4K;

	return map[n / 64] >> (n % 64) & 1;
}

static void ref_set(uint64_t *map, uint64_t pa, uint64_t size, bool on)
{
	for (uint64_t p = pa; p < pa + size; p += SZ_4K) {
		uint64_t n = (p - S2MT_HOST_RAM_BASE) / SZ_4K;

		if (on)
			map[n / 64] |= 1ull << (n % 64);
		else
			map[n / 64] &= ~(1ull << (n % 64));
	}
}

/*
 * The host's fault for KVM's get_user_pages, in private anonymous memory
 * (H5, H6). THP: a read of an untouched block maps the huge zero page, a
 * write a new THP; a write to the huge zero page replaces it (a THP from
 * 6.13; before, 4 KiB zero-page PTEs and the written page copied). 4 KiB
 * pages: a read of a page the process never wrote maps the zero page, a
 * write gives it its own page, copying the zero page if that was mapped.
 * Replacing a mapped page notifies, so KVM retries: returns whether it did.
 */
static bool host_ref_fault(struct world *w, const struct s2mt_vma *v,
			   uint64_t hva, bool write)
{
	uint8_t *b = thp_ref_block(w, v, hva);
	uint64_t pa = v->pa + ((hva & ~(SZ_4K - 1)) - v->start);

	if (b && *b == THP_NONE) {
		*b = write ? THP_FOLIO : THP_ZERO_PAGE;
		return false;
	}
	if (b && *b == THP_ZERO_PAGE && write) {
		if (w->era == S2MT_ERA_6_17) {
			*b = THP_FOLIO;
		} else {
			*b = THP_PTES;
			ref_set(w->ref_zero, pa & ~(SZ_2M - 1), SZ_2M, true);
			ref_set(w->ref_zero, pa, SZ_4K, false);
			ref_set(w->ref_written, pa, SZ_4K, true);
		}
		return true;
	}
	if (b && *b != THP_PTES)
		return false;
	if ((v->flags & (S2MT_VM_HUGETLB | S2MT_VM_SHARED | S2MT_VM_PFNMAP)) ||
	    v->backing == S2MT_BACK_PFN || !pa_is_ram(w, pa) ||
	    ref_bit(w->ref_written, pa))
		return false;
	if (!write) {
		ref_set(w->ref_zero, pa, SZ_4K, true);
		return false;
	}
	ref_set(w->ref_written, pa, SZ_4K, true);
	if (!ref_bit(w->ref_zero, pa))
		return false;
	ref_set(w->ref_zero, pa, SZ_4K, false);
	return true;
}

/*
 * H6: a VMA change whose boundary falls inside a 2 MiB block the host maps
 * with a PMD splits the PMD: the huge zero page becomes zero-page PTEs, a
 * THP the PTEs of its folio, pages the process owns. Found before the
 * change (the VMAs as they were), applied once it succeeded.
 */
struct pmd_split {
	uint8_t *b;
	uint64_t pa;
};

static void ref_pmds_at(struct world *w, uint64_t start, uint64_t len,
			struct pmd_split sp[2], bool mprotect,
			uint64_t new_access)
{
	uint64_t at[2] = { start, start + ((len + SZ_4K - 1) & ~(SZ_4K - 1)) };

	for (int k = 0; k < 2; k++) {
		const struct s2mt_vma *v = vma_at(w, at[k]);
		uint8_t *b;

		sp[k].b = NULL;
		if (!len || !(at[k] % SZ_2M) || !v || v->start == at[k])
			continue;
		/* mprotect_fixup() leaves a VMA whose flags stay alone. */
		if (mprotect &&
		    (v->flags &
		     (S2MT_VM_READ | S2MT_VM_WRITE | S2MT_VM_EXEC)) ==
			    new_access)
			continue;
		b = thp_ref_block(w, v, at[k]);
		if (b && (*b == THP_ZERO_PAGE || *b == THP_FOLIO)) {
			sp[k].b = b;
			sp[k].pa = v->pa + ((at[k] & ~(SZ_2M - 1)) - v->start);
		}
	}
}

static void ref_split_pmds(struct world *w, const struct pmd_split sp[2])
{
	for (int k = 0; k < 2; k++) {
		uint8_t *b = sp[k].b;

		if (!b || *b == THP_PTES)
			continue;
		ref_set(*b == THP_ZERO_PAGE ? w->ref_zero : w->ref_written,
			sp[k].pa, SZ_2M, true);
		*b = THP_PTES;
	}
}

/* SPEC K4: the leaf size of a translation fault at hva. */
static uint64_t k4_size(const struct world *w, const struct sslot *s,
			const struct s2mt_vma *v, uint64_t hva, bool noncached)
{
	uint64_t size = SZ_4K, pa = v->pa + (hva - v->start);

	if (s->flags & LOG)
		return SZ_4K;
	if (v->flags & S2MT_VM_HUGETLB) {
		size = v->backing == S2MT_BACK_HUGETLB_1G ? SZ_1G : SZ_2M;
	} else if (v->flags & S2MT_VM_PFNMAP) {
		static const uint64_t sizes[] = { SZ_1G, SZ_2M };

		for (size_t i = 0; i < 2; i++) {
			uint64_t sz = sizes[i], down = hva & ~(sz - 1);

			if ((hva & (sz - 1)) == (pa & (sz - 1)) &&
			    down >= v->start && down + sz <= v->end) {
				size = sz;
				break;
			}
		}
	}
	if (size == SZ_1G && !slot_fits(s, hva, SZ_1G))
		size = SZ_2M;
	if (size == SZ_2M && !slot_fits(s, hva, SZ_2M))
		return SZ_4K; /* force_pte: no THP upgrade either */
	if (size == SZ_4K && !noncached && v->backing == S2MT_BACK_THP) {
		/* THP can back the page only if the VMA covers the aligned
		 * 2 MiB with a congruent PA and the host maps it with a PMD
		 * (the huge zero page or a THP; H6). */
		uint8_t *b = thp_ref_block((struct world *)w, v, hva);

		if (b && (*b == THP_ZERO_PAGE || *b == THP_FOLIO) &&
		    slot_fits(s, hva, SZ_2M))
			size = SZ_2M;
	}
	return size;
}

/* ------------------------------------------------------------------ */
/* Snapshots (M4)                                                      */
/* ------------------------------------------------------------------ */

static int collect_cb(const struct s2mt_walk_entry *e, void *arg)
{
	struct lv *l = arg;

	if (l->nr == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		assert_non_null(l->v);
	}
	s2mt_leaf_decode(e->desc, e->level, e->ipa, &l->v[l->nr++]);
	return 0;
}

static void collect(struct s2mt_vm *vm, struct lv *l)
{
	l->nr = 0;
	s2mt_pgt_walk(&vm->pgt, 0, 1ull << vm->ipa_bits, S2MT_WALK_LEAF,
		      collect_cb, l);
}

static uint64_t bitmap_hash(const struct s2mt_memslot *s)
{
	uint64_t h = 0xcbf29ce484222325ull, words = (s->size / SZ_4K + 63) / 64;

	if (!s->dirty_bitmap)
		return 0;
	for (uint64_t i = 0; i < words; i++)
		h = (h ^ s->dirty_bitmap[i]) * 0x100000001b3ull;
	return h | 1;
}

static void snap_free(struct snap *s);

static void snap_take(struct world *w, struct snap *s)
{
	snap_free(s);
	memset(s, 0, sizeof(*s));
	for (unsigned vi = 0; vi < NR_VMS; vi++) {
		struct s2mt_vm *vm = w->vm[vi];

		assert_true(vm->nr_slots <= NR_IDS + 1);
		s->nr_slots[vi] = vm->nr_slots;
		for (size_t i = 0; i < vm->nr_slots; i++) {
			s->slots[vi][i] = vm->slots[i];
			s->bm_hash[vi][i] = bitmap_hash(&vm->slots[i]);
		}
		/* check_world() collected the leaves of this very state at
		 * the end of the previous step. */
		s->leaves[vi].nr = s->leaves[vi].cap = w->leaves[vi].nr;
		s->leaves[vi].v = malloc((w->leaves[vi].nr + 1) *
					 sizeof(*s->leaves[vi].v));
		assert_non_null(s->leaves[vi].v);
		if (w->leaves[vi].nr)
			memcpy(s->leaves[vi].v, w->leaves[vi].v,
			       w->leaves[vi].nr * sizeof(*s->leaves[vi].v));
	}
	s->nr_vmas = w->mm.nr_vmas;
	s->vmas = malloc((s->nr_vmas + 1) * sizeof(*s->vmas));
	assert_non_null(s->vmas);
	if (s->nr_vmas)
		memcpy(s->vmas, w->mm.vmas, s->nr_vmas * sizeof(*s->vmas));
}

static void snap_free(struct snap *s)
{
	for (unsigned vi = 0; vi < NR_VMS; vi++) {
		free(s->leaves[vi].v);
		s->leaves[vi].v = NULL;
	}
	free(s->vmas);
	s->vmas = NULL;
}

static bool vma_eq(const struct s2mt_vma *a, const struct s2mt_vma *b)
{
	return a->start == b->start && a->end == b->end &&
		a->flags == b->flags && a->attrindx == b->attrindx &&
		a->backing == b->backing && a->origin == b->origin &&
		a->device == b->device && a->region == b->region &&
		a->pa == b->pa;
}

/* The stage 2 of every VM is what the snapshot holds. */
static void snap_check_s2(struct world *w, const struct snap *s,
			  const char *what)
{
	struct lv *now = &w->scratch;

	for (unsigned vi = 0; vi < NR_VMS; vi++) {
		collect(w->vm[vi], now);
		expect(now->nr == s->leaves[vi].nr,
		       "%s: VM%u has %zu stage-2 leaves, had %zu", what, vi,
		       now->nr, s->leaves[vi].nr);
		for (size_t i = 0; i < now->nr; i++) {
			const struct s2mt_leaf *a = &now->v[i],
					       *b = &s->leaves[vi].v[i];

			expect(a->ipa == b->ipa && a->level == b->level &&
				       a->desc == b->desc,
			       "%s: VM%u leaf %zu is IPA %#" PRIx64
			       " L%u %#" PRIx64 ", was IPA %#" PRIx64
			       " L%u %#" PRIx64,
			       what, vi, i, a->ipa, a->level, a->desc, b->ipa,
			       b->level, b->desc);
		}
	}
}

static void snap_check_slots(struct world *w, const struct snap *s,
			     const char *what)
{
	for (unsigned vi = 0; vi < NR_VMS; vi++) {
		struct s2mt_vm *vm = w->vm[vi];

		expect(vm->nr_slots == s->nr_slots[vi],
		       "%s: VM%u has %zu slots, had %zu", what, vi,
		       vm->nr_slots, s->nr_slots[vi]);
		for (size_t i = 0; i < vm->nr_slots; i++) {
			const struct s2mt_memslot *a = &vm->slots[i],
						  *b = &s->slots[vi][i];

			expect(a->slot == b->slot && a->flags == b->flags &&
				       a->gpa == b->gpa && a->size == b->size &&
				       a->hva == b->hva,
			       "%s: VM%u slot[%zu] is %u flags %#x gpa "
			       "%#" PRIx64 " size %#" PRIx64 " hva %#" PRIx64
			       ", was %u flags %#x gpa %#" PRIx64
			       " size %#" PRIx64 " hva %#" PRIx64,
			       what, vi, i, a->slot, a->flags, a->gpa, a->size,
			       a->hva, b->slot, b->flags, b->gpa, b->size,
			       b->hva);
			expect(bitmap_hash(a) == s->bm_hash[vi][i],
			       "%s: VM%u slot %u: dirty bitmap changed", what,
			       vi, a->slot);
		}
	}
}

/* Whether the snapshot had exactly this VMA. */
static bool snap_has_vma(const struct snap *s, const struct s2mt_vma *v)
{
	for (size_t i = 0; i < s->nr_vmas; i++)
		if (vma_eq(&s->vmas[i], v))
			return true;
	return false;
}

static void snap_check_vmas(struct world *w, const struct snap *s,
			    const char *what)
{
	expect(w->mm.nr_vmas == s->nr_vmas, "%s: %zu VMAs, had %zu", what,
	       w->mm.nr_vmas, s->nr_vmas);
	for (size_t i = 0; i < w->mm.nr_vmas && i < s->nr_vmas; i++)
		expect(vma_eq(&w->mm.vmas[i], &s->vmas[i]),
		       "%s: VMA %zu [%#" PRIx64 ", %#" PRIx64
		       ") changed (was [%#" PRIx64 ", %#" PRIx64 "))",
		       what, i, w->mm.vmas[i].start, w->mm.vmas[i].end,
		       s->vmas[i].start, s->vmas[i].end);
}

/* ------------------------------------------------------------------ */
/* The world                                                           */
/* ------------------------------------------------------------------ */

static const struct s2mt_bar_spec nic_bars[S2MT_MAX_BARS] = {
	/* Registers: reads have side effects (Z6). */
	[0] = { .size = SZ_64K, .read_side_effects = true },
	[1] = { .size = SZ_4K, .no_mmap = true },
	/* Prefetchable BARs, large enough for 2 MiB and 1 GiB blocks. */
	[2] = { .size = 16 * SZ_1M, .prefetchable = true },
	[4] = { .size = 2 * SZ_1G, .prefetchable = true },
};

static struct world *world_new(unsigned era, const char *preset)
{
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	w->ref_written = calloc(RAM_SIZE / SZ_4K / 64, sizeof(uint64_t));
	w->ref_zero = calloc(RAM_SIZE / SZ_4K / 64, sizeof(uint64_t));
	assert_non_null(w->ref_written);
	assert_non_null(w->ref_zero);
	w->era = era;
	w->preset = preset;
	expect_rc(s2mt_host_init(&w->host, preset, era, RAM_SIZE), 0);
	expect_rc(host_with_nvgrace_driver(&w->host), 0);
	w->nic = s2mt_host_add_vfio_pci(&w->host, "nic0", nic_bars);
	w->gpu0 =
		s2mt_host_add_nvgrace(&w->host, "gpu0", 4 * SZ_1G, 64 * SZ_1M);
	w->gpu1 = s2mt_host_add_nvgrace(&w->host, "gpu1", SZ_1G, 0);
	expect(w->nic >= 0 && w->gpu0 >= 0 && w->gpu1 >= 0, "devices %d %d %d",
	       w->nic, w->gpu0, w->gpu1);
	expect_rc(s2mt_mm_init(&w->mm, &w->host), 0);
	expect_rc(s2mt_kvm_open(&w->kvm, &w->host, &w->mm), 0);
	/* VM0: the default 40-bit IPA. VM1: 36 bits, with MTE where the host
	 * has it (K6). */
	expect_rc(s2mt_kvm_create_vm(&w->kvm, 0, &w->vm[0]), 0);
	expect_rc(s2mt_kvm_create_vm(&w->kvm, 36, &w->vm[1]), 0);
	if (w->host.caps.mte)
		expect_rc(s2mt_vm_enable_cap(w->vm[1], KVM_CAP_ARM_MTE), 0);
	w->hz_cap = 1u << 15;
	w->hz = calloc(w->hz_cap, sizeof(*w->hz));
	assert_non_null(w->hz);
	g_world = w;
	return w;
}

static void sslot_clear(struct sslot *s)
{
	free(s->dirty);
	free(s->wp);
	memset(s, 0, sizeof(*s));
}

static void world_free(struct world *w)
{
	s2mt_kvm_close(&w->kvm);
	s2mt_mm_fini(&w->mm);
	for (unsigned vi = 0; vi < NR_VMS; vi++) {
		for (unsigned id = 0; id < NR_IDS; id++)
			sslot_clear(&w->slot[vi][id]);
		free(w->leaves[vi].v);
	}
	snap_free(&w->sn);
	free(w->scratch.v);
	free(w->bm);
	free(w->qbuf);
	free(w->hz);
	free(w->ref_written);
	free(w->ref_zero);
	free(w);
	if (g_world == w)
		g_world = NULL;
}

static int teardown(void **state)
{
	(void)state;
	if (g_world)
		world_free(g_world);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The invariants, after every step                                    */
/* ------------------------------------------------------------------ */

/* The model's slots are the shadow's, sorted by GPA, with a dirty bitmap
 * exactly while logging (K7). */
static void check_slots(struct world *w)
{
	for (unsigned vi = 0; vi < NR_VMS; vi++) {
		struct s2mt_vm *vm = w->vm[vi];
		size_t live = 0;

		for (unsigned id = 0; id < NR_IDS; id++)
			live += w->slot[vi][id].live;
		expect(vm->nr_slots == live, "VM%u has %zu slots, want %zu", vi,
		       vm->nr_slots, live);
		for (size_t i = 0; i < vm->nr_slots; i++) {
			const struct s2mt_memslot *m = &vm->slots[i];
			const struct sslot *s;

			expect(m->slot < NR_IDS, "VM%u slot id %u", vi,
			       m->slot);
			s = &w->slot[vi][m->slot];
			expect(s->live && s->flags == m->flags &&
				       s->gpa == m->gpa && s->size == m->size &&
				       s->hva == m->hva,
			       "VM%u slot %u: flags %#x gpa %#" PRIx64
			       " size %#" PRIx64 " hva %#" PRIx64
			       ", want live=%d flags %#x gpa %#" PRIx64
			       " size %#" PRIx64 " hva %#" PRIx64,
			       vi, m->slot, m->flags, m->gpa, m->size, m->hva,
			       s->live, s->flags, s->gpa, s->size, s->hva);
			expect(!i || vm->slots[i - 1].gpa < m->gpa,
			       "VM%u slots not sorted by GPA at %zu", vi, i);
			expect(!!m->dirty_bitmap == !!(m->flags & LOG),
			       "VM%u slot %u flags %#x but dirty bitmap %s "
			       "(K7: "
			       "a bitmap exactly while logging)",
			       vi, m->slot, m->flags,
			       m->dirty_bitmap ? "present" : "absent");
		}
	}
}

static bool page_dirty(const struct sslot *s, uint64_t ipa)
{
	uint64_t pg = (ipa - s->gpa) / SZ_4K;

	return s->dirty && (s->dirty[pg / 64] >> (pg % 64) & 1);
}

/* (b), (c), (d) for one leaf of VM vi. */
static void check_leaf(struct world *w, unsigned vi, const struct s2mt_leaf *lf)
{
	struct s2mt_vm *vm = w->vm[vi];
	bool fwb = w->host.caps.fwb;
	const struct s2mt_vma *v;
	const struct sslot *s;
	struct s2mt_policy_in in;
	struct s2mt_policy_out out;
	uint64_t hva, vpa;
	uint8_t want;
	int id, rc;

	w->st.leaves_l[lf->level]++;
	/* Z7/K8: inside one live memslot ... */
	id = sslot_at(w, vi, lf->ipa);
	expect(id >= 0,
	       "VM%u leaf IPA %#" PRIx64 " +%#" PRIx64 " (PA %#" PRIx64
	       ") is in no memslot (Z7)",
	       vi, lf->ipa, lf->size, lf->pa);
	if (id < 0)
		return;
	s = &w->slot[vi][id];
	expect(lf->ipa + lf->size <= s->gpa + s->size,
	       "VM%u leaf IPA %#" PRIx64 " +%#" PRIx64
	       " runs past the end of slot %d (Z7)",
	       vi, lf->ipa, lf->size, id);
	/* ... and one live VMA giving exactly its PA. */
	hva = s->hva + (lf->ipa - s->gpa);
	v = vma_at(w, hva);
	expect(v != NULL,
	       "VM%u leaf IPA %#" PRIx64 ": HVA %#" PRIx64
	       " has no VMA (Z7/K8)",
	       vi, lf->ipa, hva);
	if (!v)
		return;
	vpa = v->pa + (hva - v->start);
	expect(hva + lf->size <= v->end,
	       "VM%u leaf IPA %#" PRIx64 " +%#" PRIx64 " (HVA %#" PRIx64
	       ") runs past its VMA [%#" PRIx64 ", %#" PRIx64 ") (Z7/K4)",
	       vi, lf->ipa, lf->size, hva, v->start, v->end);
	expect(vpa == lf->pa,
	       "VM%u leaf IPA %#" PRIx64 " maps PA %#" PRIx64
	       " but the VMA [%#" PRIx64 ", %#" PRIx64 ") gives PA %#" PRIx64
	       " (Z7/K8)",
	       vi, lf->ipa, lf->pa, v->start, v->end, vpa);

	/* K1/K2: the SPEC table ... */
	rc = k2_memattr(w, v, lf->pa, &want);
	expect(rc == 0,
	       "VM%u leaf IPA %#" PRIx64 " exists over cacheable PFNMAP "
	       "that 6.17 refuses on this host (K2)",
	       vi, lf->ipa);
	expect(rc || lf->memattr == want,
	       "VM%u leaf IPA %#" PRIx64 " PA %#" PRIx64
	       " MemAttr %#x, K2 (%s, %s) gives %#x",
	       vi, lf->ipa, lf->pa, lf->memattr, s2mt_era_name(w->era),
	       w->preset, want);
	/* ... and the policy, asked now. */
	in = (struct s2mt_policy_in){
		.op = S2MT_POLICY_FAULT,
		.era = (uint8_t)w->era,
		.host = w->host.caps,
		.vm_mte = vm->mte,
		.memclass = (uint8_t)memclass_of(w, v, lf->pa),
		.vm_flags = v->flags,
		.attrindx = v->attrindx,
		/* A write-only VMA (PROT_WRITE) admits only writes. */
		.access =
			(uint8_t)(v->flags & S2MT_VM_READ ? S2MT_ACCESS_READ
							  : S2MT_ACCESS_WRITE),
		.slot_flags = s->flags & ~(uint32_t)RO,
		.vma_start = v->start,
		.vma_end = v->end,
	};
	rc = s2mt_policy(&in, &out);
	expect(rc == 0,
	       "VM%u leaf IPA %#" PRIx64 ": policy refuses a read "
	       "now: %s",
	       vi, lf->ipa, out.reason);
	expect(rc || s2mt_prot_memattr(out.prot, fwb) == lf->memattr,
	       "VM%u leaf IPA %#" PRIx64 " MemAttr %#x, policy gives %#x "
	       "(%s)",
	       vi, lf->ipa, lf->memattr, s2mt_prot_memattr(out.prot, fwb),
	       out.reason);

	/* K3 / Z4 */
	expect(!(ma_uncached(lf->memattr, fwb) && lf->xn == 0),
	       "VM%u leaf IPA %#" PRIx64 " MemAttr %#x is executable (K3)", vi,
	       lf->ipa, lf->memattr);
	/* K3: with DIC, cacheable leaves get X pre-emptively. */
	expect(!(w->host.caps.dic && !ma_uncached(lf->memattr, fwb) &&
		 lf->xn != 0),
	       "VM%u cacheable leaf IPA %#" PRIx64 " not executable on a DIC "
	       "host (K3)",
	       vi, lf->ipa);
	/* Write permission only where the host and the slot give it. */
	if (lf->s2ap & 2) {
		expect(!(s->flags & RO),
		       "VM%u leaf IPA %#" PRIx64
		       " writable in READONLY slot %d",
		       vi, lf->ipa, id);
		expect(v->flags & S2MT_VM_WRITE,
		       "VM%u leaf IPA %#" PRIx64 " writable over a VMA "
		       "without VM_WRITE",
		       vi, lf->ipa);
	}
	expect(lf->s2ap & 1, "VM%u leaf IPA %#" PRIx64 " not readable", vi,
	       lf->ipa);

	/* K7 while logging. */
	if (s->flags & LOG) {
		if (lf->size > SZ_4K) {
			bool old = false;

			for (size_t i = 0; i < s->nr_wp; i++)
				if (lf->ipa >= s->wp[i].ipa &&
				    lf->ipa + lf->size <=
					    s->wp[i].ipa + s->wp[i].size &&
				    lf->pa - lf->ipa ==
					    s->wp[i].pa - s->wp[i].ipa)
					old = true;
			expect(old,
			       "VM%u slot %d is logging but block IPA %#" PRIx64
			       " +%#" PRIx64 " was not there when logging "
			       "started (K4/K7)",
			       vi, id, lf->ipa, lf->size);
			expect(!(lf->s2ap & 2),
			       "VM%u slot %d is logging but block IPA %#" PRIx64
			       " is writable (K7)",
			       vi, id, lf->ipa);
		} else if ((lf->s2ap & 2) && pa_is_ram(w, lf->pa)) {
			expect(page_dirty(s, lf->ipa),
			       "VM%u slot %d is logging; RAM page IPA %#" PRIx64
			       " is writable but not dirty (K7)",
			       vi, id, lf->ipa);
		}
	}
}

static bool hz_covers(const struct world *w, unsigned id,
		      const struct s2mt_vm *vm, uint64_t ipa, uint64_t size)
{
	for (size_t i = 0; i < w->nr_hz; i++) {
		const struct s2mt_hazard *h = &w->hz[i];

		if (h->id == id && h->vm == vm && h->ipa <= ipa &&
		    ipa + size <= h->ipa + h->size)
			return true;
	}
	return false;
}

struct pleaf {
	uint64_t pa, size;
	uint8_t memattr;
};

static int by_pa(const void *a, const void *b)
{
	const struct pleaf *x = a, *y = b;

	return x->pa < y->pa ? -1 : x->pa > y->pa;
}

static void check_hazards(struct world *w)
{
	bool fwb = w->host.caps.fwb, want_z1 = false, want_z6 = false;
	bool want_z5 = false;
	struct pleaf *all;
	size_t nr_all = 0, total = 0;

	expect_rc(
		s2mt_check_hazards(&w->kvm, NULL, w->hz, w->hz_cap, &w->nr_hz),
		0);
	expect(w->nr_hz <= w->hz_cap, "%zu hazards", w->nr_hz);
	for (size_t i = 0; i < w->nr_hz; i++) {
		const struct s2mt_hazard *h = &w->hz[i];

		/* The faithful fault path cannot make these. */
		expect(h->id != S2MT_Z2 && h->id != S2MT_Z3 &&
			       h->id != S2MT_Z4 && h->id != S2MT_Z7,
		       "hazard %s at IPA %#" PRIx64 " +%#" PRIx64 ": %s",
		       s2mt_hazard_name(h->id), h->ipa, h->size, h->detail);
		/* 6.17 never degrades a cacheable host mapping. */
		expect(!(w->era == S2MT_ERA_6_17 && h->id == S2MT_Z1),
		       "Z1 in 6.17 at IPA %#" PRIx64 ": %s", h->ipa, h->detail);
		expect(h->id != S2MT_Z8, "Z8 without a migration target");
	}

	for (unsigned vi = 0; vi < NR_VMS; vi++)
		total += w->leaves[vi].nr;
	all = malloc((total + 1) * sizeof(*all));
	assert_non_null(all);
	for (unsigned vi = 0; vi < NR_VMS; vi++) {
		struct s2mt_vm *vm = w->vm[vi];

		for (size_t i = 0; i < w->leaves[vi].nr; i++) {
			const struct s2mt_leaf *lf = &w->leaves[vi].v[i];

			all[nr_all++] =
				(struct pleaf){ lf->pa, lf->size, lf->memattr };
			if (ma_uncached(lf->memattr, fwb) &&
			    cacheable_alias(w, lf->pa, lf->size)) {
				want_z1 = true;
				expect(hz_covers(w, S2MT_Z1, vm, lf->ipa,
						 lf->size),
				       "VM%u leaf IPA %#" PRIx64 " PA %#" PRIx64
				       " MemAttr %#x has a cacheable host "
				       "alias but no Z1",
				       vi, lf->ipa, lf->pa, lf->memattr);
			}
			if (!ma_device(lf->memattr, fwb) &&
			    rse_overlap(w, lf->pa, lf->size)) {
				want_z6 = true;
				expect(hz_covers(w, S2MT_Z6, vm, lf->ipa,
						 lf->size),
				       "VM%u leaf IPA %#" PRIx64 " PA %#" PRIx64
				       " MemAttr %#x over a region with read "
				       "side effects but no Z6",
				       vi, lf->ipa, lf->pa, lf->memattr);
			}
		}
	}
	qsort(all, nr_all, sizeof(*all), by_pa);
	for (size_t i = 0; i < nr_all && !want_z5; i++)
		for (size_t j = i + 1;
		     j < nr_all && all[j].pa < all[i].pa + all[i].size; j++)
			if (all[j].memattr != all[i].memattr)
				want_z5 = true;
	free(all);

	{
		bool z1 = false, z5 = false, z6 = false;

		for (size_t i = 0; i < w->nr_hz; i++) {
			z1 |= w->hz[i].id == S2MT_Z1;
			z5 |= w->hz[i].id == S2MT_Z5;
			z6 |= w->hz[i].id == S2MT_Z6;
		}
		expect(z1 == want_z1, "Z1 reported %d, expected %d", z1,
		       want_z1);
		expect(z5 == want_z5, "Z5 reported %d, expected %d", z5,
		       want_z5);
		expect(z6 == want_z6, "Z6 reported %d, expected %d", z6,
		       want_z6);
		w->st.z1_seen += z1;
		w->st.z5_seen += z5;
		w->st.z6_seen += z6;
	}
}

/* D5 over a slot and its surroundings: contiguous entries that agree with
 * the slots, the leaves and the policy. */
static void check_query(struct world *w, unsigned vi)
{
	struct s2mt_vm *vm = w->vm[vi];
	struct s2mt_s1attr s1 = { .enabled = true, .mair = 0xff, .sh = 3 };
	struct s2mt_query_entry *e;
	uint64_t lo, hi, p;
	size_t nr = 0, max = 4096;
	int id = (int)rnd_below(NR_IDS);

	if (!w->slot[vi][id].live)
		return;
	lo = w->slot[vi][id].gpa;
	hi = lo + w->slot[vi][id].size;
	if (lo >= SZ_4K)
		lo -= SZ_4K;
	if (hi + SZ_4K <= 1ull << vm->ipa_bits)
		hi += SZ_4K;
	if (!w->qbuf)
		w->qbuf = calloc(max, sizeof(*w->qbuf));
	assert_non_null(w->qbuf);
	e = w->qbuf;
	expect_rc(s2mt_vm_query(vm, lo, hi - lo, s1, e, max, &nr), 0);
	w->st.queries++;
	if (nr > max)
		nr = max; /* only the first max are written */
	p = lo;
	for (size_t i = 0; i < nr; i++) {
		const struct s2mt_query_entry *q = &e[i];
		int sid = sslot_at(w, vi, q->ipa);
		struct s2mt_leaf lf;

		expect(q->ipa == p && q->size && !(q->size % SZ_4K),
		       "query entry %zu at %#" PRIx64 " +%#" PRIx64
		       ", expected at %#" PRIx64,
		       i, q->ipa, q->size, p);
		expect(q->slot == sid &&
			       sid == sslot_at(w, vi, q->ipa + q->size - 1),
		       "query entry %zu [%#" PRIx64 ", +%#" PRIx64
		       ") slot %d, shadow %d",
		       i, q->ipa, q->size, q->slot, sid);
		if (q->mapped) {
			expect(!s2mt_pgt_lookup(&vm->pgt, q->ipa, &lf) &&
				       lf.memattr == q->leaf.memattr &&
				       lf.pa + (q->ipa - lf.ipa) == q->leaf.pa,
			       "query entry %zu at %#" PRIx64
			       " disagrees with the leaf",
			       i, q->ipa);
			expect(q->nr_leaves >= 1, "mapped entry, no leaves");
			expect(q->eff.status == S2MT_ATTR_OK,
			       "effective type of MemAttr %#x not OK",
			       q->leaf.memattr);
		} else {
			expect(s2mt_pgt_lookup(&vm->pgt, q->ipa, &lf) != 0,
			       "query entry %zu at %#" PRIx64
			       " unmapped, but a leaf is there",
			       i, q->ipa);
			if (q->has_vma && sid >= 0) {
				uint8_t want;
				uint64_t hva = w->slot[vi][sid].hva +
					(q->ipa - w->slot[vi][sid].gpa);
				const struct s2mt_vma *v = vma_at(w, hva);

				expect(v && q->has_policy,
				       "unmapped entry with a VMA has no "
				       "policy prediction");
				if (v && q->has_policy && !q->policy.err &&
				    !k2_memattr(w, v, v->pa + hva - v->start,
						&want))
					expect(s2mt_prot_memattr(
						       q->policy.prot,
						       w->host.caps.fwb) ==
						       want,
					       "query predicts MemAttr %#x, "
					       "K2 gives %#x",
					       s2mt_prot_memattr(
						       q->policy.prot,
						       w->host.caps.fwb),
					       want);
			}
		}
		p += q->size;
	}
	if (nr < max)
		expect(p == hi,
		       "query entries end at %#" PRIx64
		       ", range ends at %#" PRIx64,
		       p, hi);
}

static void check_world(struct world *w)
{
	size_t total = 0;

	check_slots(w);
	for (unsigned vi = 0; vi < NR_VMS; vi++) {
		collect(w->vm[vi], &w->leaves[vi]);
		total += w->leaves[vi].nr;
		for (size_t i = 0; i < w->leaves[vi].nr; i++)
			check_leaf(w, vi, &w->leaves[vi].v[i]);
		for (unsigned id = 0; id < NR_IDS; id++)
			w->st.logging_steps += w->slot[vi][id].live &&
				(w->slot[vi][id].flags & LOG);
	}
	if (total > w->st.max_leaves)
		w->st.max_leaves = total;
	check_hazards(w);
	if (!(g_op % 32))
		check_query(w, (unsigned)rnd_below(NR_VMS));
}

/* ------------------------------------------------------------------ */
/* Steps: the host's address space                                     */
/* ------------------------------------------------------------------ */

static const struct s2mt_vma *random_vma(struct world *w)
{
	if (!w->mm.nr_vmas)
		return NULL;
	return &w->mm.vmas[rnd_below(w->mm.nr_vmas)];
}

static uint64_t rnd_pages(uint64_t max_pages)
{
	return (1 + rnd_below(max_pages)) * SZ_4K;
}

/* H1/H2/H4: what the new VMA must look like. */
static void check_new_vma(struct world *w, uint64_t hva, uint64_t len,
			  const struct s2mt_mmap_req *req, unsigned kind,
			  uint64_t pa)
{
	const struct s2mt_vma *v = vma_at(w, hva);
	uint64_t f, want_acc = 0;

	expect(v && v->start == hva && v->end == hva + len,
	       "mmap at %#" PRIx64 " +%#" PRIx64 " made VMA [%#" PRIx64
	       ", %#" PRIx64 ")",
	       hva, len, v ? v->start : 0, v ? v->end : 0);
	if (!v)
		return;
	if (req->flags & S2MT_MAP_FIXED)
		expect(hva == req->addr,
		       "MAP_FIXED at %#" PRIx64 " gave %#" PRIx64, req->addr,
		       hva);
	if (req->prot & RD)
		want_acc |= S2MT_VM_READ;
	if (req->prot & WR)
		want_acc |= S2MT_VM_WRITE;
	if (req->prot & EX)
		want_acc |= S2MT_VM_EXEC;
	f = v->flags;
	expect((f & (S2MT_VM_READ | S2MT_VM_WRITE | S2MT_VM_EXEC)) == want_acc,
	       "VMA flags %#" PRIx64 " for prot %#x", f, req->prot);
	switch (kind) {
	case 0: /* anonymous */
	case 1:
		expect(v->attrindx == S2MT_MT_IDX_NORMAL &&
			       !(f & S2MT_VM_PFNMAP) && pa_is_ram(w, v->pa),
		       "anonymous VMA %#" PRIx64 " attrindx %u PA %#" PRIx64, f,
		       v->attrindx, v->pa);
		break;
	case 2: /* hugetlbfs */
	case 3: {
		uint64_t huge = kind == 3 ? SZ_1G : SZ_2M;

		expect((f & S2MT_VM_HUGETLB) && !((hva | v->pa) & (huge - 1)) &&
			       pa_is_ram(w, v->pa),
		       "hugetlb VMA %#" PRIx64 " at %#" PRIx64 " PA %#" PRIx64,
		       f, hva, v->pa);
		break;
	}
	case 4: /* vfio-pci BAR: pgprot_noncached, VM_ALLOW_ANY_UNCACHED 6.9+ */
	case 7: /* /dev/mem of a BAR: uncached */
		expect(v->attrindx == S2MT_MT_IDX_DEVICE_nGnRnE &&
			       (f & S2MT_VM_PFNMAP) && (f & S2MT_VM_IO) &&
			       v->pa == pa,
		       "BAR VMA flags %#" PRIx64 " attrindx %u PA %#" PRIx64
		       ", want PA %#" PRIx64,
		       f, v->attrindx, v->pa, pa);
		expect(!!(f & S2MT_VM_ALLOW_ANY_UNCACHED) ==
			       (kind == 4 && w->era >= S2MT_ERA_6_9),
		       "BAR VMA flags %#" PRIx64 " (H2: VM_ALLOW_ANY_UNCACHED "
		       "only from vfio, from 6.9)",
		       f);
		break;
	case 5: /* usemem: default prot, cacheable */
		expect(v->attrindx == S2MT_MT_IDX_NORMAL &&
			       (f & S2MT_VM_PFNMAP) &&
			       !(f & S2MT_VM_ALLOW_ANY_UNCACHED) && v->pa == pa,
		       "usemem VMA flags %#" PRIx64 " attrindx %u", f,
		       v->attrindx);
		break;
	case 6: /* resmem: writecombine + VM_ALLOW_ANY_UNCACHED */
		expect(v->attrindx == S2MT_MT_IDX_NORMAL_NC &&
			       (f & S2MT_VM_PFNMAP) && v->pa == pa,
		       "resmem VMA flags %#" PRIx64 " attrindx %u", f,
		       v->attrindx);
		break;
	}
}

static void op_mmap(struct world *w)
{
	struct s2mt_mmap_req req = { 0 };
	const struct s2mt_device *nic = &w->host.devices[w->nic];
	const struct s2mt_vma *near;
	unsigned kind, r = (unsigned)rnd_below(100);
	uint64_t hva = 0, len = 0, pa = 0, off = 0, huge = SZ_4K;
	int rc, dev = w->gpu0;
	unsigned bar = 0;
	struct snap *sn = &w->sn;
	struct pmd_split sp[2];

	kind = r < 22	 ? 0
		: r < 36 ? 1
		: r < 46 ? 2
		: r < 49 ? 3
		: r < 66 ? 4
		: r < 80 ? 5
		: r < 88 ? 6
			 : 7;
	req.prot = chance(85) ? RD | WR : (unsigned)rnd_below(8);
	req.flags = kind >= 4 ? S2MT_MAP_SHARED : S2MT_MAP_PRIVATE;
	if (chance(3))
		req.flags ^= S2MT_MAP_SHARED | S2MT_MAP_PRIVATE;
	switch (kind) {
	case 0:
		len = rnd_pages(chance(50) ? 16 : 1024);
		break;
	case 1:
		len = (1 + rnd_below(4)) * SZ_2M;
		if (chance(30))
			len += rnd_pages(511);
		break;
	case 2:
	case 3:
		huge = kind == 3 ? SZ_1G : SZ_2M;
		len = (1 + rnd_below(kind == 3 ? 1 : 4)) * huge;
		if (chance(8))
			len += SZ_4K * (1 + rnd_below(4));
		break;
	case 4: {
		static const unsigned bars[] = { 0, 2, 2, 4, 4, 4, 1, 3 };
		uint64_t bsize;

		bar = bars[rnd_below(8)];
		bsize = nic->bars[bar].size ? nic->bars[bar].size : SZ_64K;
		pa = nic->bars[bar].pa;
		if (chance(35)) {
			off = 0;
			len = bsize;
		} else if (bar == 4 && chance(50)) {
			off = rnd_below(2) * SZ_1G + rnd_below(512) * SZ_2M;
			len = rnd_below(2) ? SZ_1G : (1 + rnd_below(8)) * SZ_2M;
		} else {
			off = rnd_below(bsize / SZ_4K) * SZ_4K;
			len = rnd_pages(bsize / SZ_4K);
		}
		if (chance(5))
			len += SZ_4K; /* may leave the BAR */
		pa += off;
		dev = w->nic;
		break;
	}
	case 5:
	case 6: {
		const struct s2mt_device *g;
		uint64_t size;

		dev = chance(70) ? w->gpu0 : w->gpu1;
		g = &w->host.devices[dev];
		size = kind == 5 ? g->usemem_size : g->resmem_size;
		pa = kind == 5 ? g->usemem_pa : g->resmem_pa;
		if (!size) {
			len = SZ_2M; /* gpu1 has no resmem: refused */
		} else if (chance(30)) {
			off = rnd_below(size / SZ_1G + 1) * SZ_1G;
			len = chance(50) ? SZ_1G : SZ_2M * (1 + rnd_below(8));
		} else {
			off = rnd_below(size / SZ_2M) * SZ_2M;
			if (chance(30))
				off += rnd_below(512) * SZ_4K;
			len = chance(50) ? SZ_2M * (1 + rnd_below(4))
					 : rnd_pages(1024);
		}
		pa += off;
		break;
	}
	case 7: {
		static const unsigned bars[] = { 0, 2, 4, 4 };

		bar = bars[rnd_below(4)];
		if (chance(5)) {
			pa = w->host.regions[0].base; /* RAM: -EPERM */
			len = SZ_2M;
		} else {
			off = chance(50)
				? 0
				: rnd_below(nic->bars[bar].size / SZ_2M) *
					SZ_2M;
			pa = nic->bars[bar].pa + off;
			len = chance(40) ? nic->bars[bar].size - off
					 : rnd_pages(512);
			if (len > nic->bars[bar].size - off)
				len = nic->bars[bar].size - off;
		}
		break;
	}
	}

	/* Placement: a fixed address over or next to a VMA, a hint, or the
	 * natural choice; sometimes misaligned on purpose. */
	near = random_vma(w);
	if (near && chance(25)) {
		req.flags |= S2MT_MAP_FIXED;
		if (chance(50))
			req.addr = near->end;
		else
			req.addr = near->start +
				rnd_below((near->end - near->start) / SZ_4K) *
					SZ_4K;
		if (huge > SZ_4K && chance(80))
			req.addr &= ~(huge - 1);
		if (chance(5))
			req.addr += 0x800; /* not page aligned */
	} else if (near && chance(10)) {
		req.addr = near->end;
	}
	if (chance(15)) {
		static const uint64_t hints[] = { SZ_64K, SZ_2M, SZ_2M, SZ_1G };

		req.align_hint = hints[rnd_below(4)];
		req.align_offset = chance(50)
			? SZ_4K
			: rnd_below(req.align_hint / SZ_4K) * SZ_4K;
		if (huge > SZ_4K && chance(70))
			req.align_offset &= ~(huge - 1);
	}

	step("mmap kind %u dev %d bar %u off %#" PRIx64 " len %#" PRIx64
	     " prot %#x flags %#x addr %#" PRIx64 " hint %#" PRIx64
	     "+%#" PRIx64,
	     kind, dev, bar, off, len, req.prot, req.flags, req.addr,
	     req.align_hint, req.align_offset);
	req.len = len;
	snap_take(w, sn);
	{
		/* MAP_FIXED replaces what was there: its ends split as a
		 * munmap's do (hugetlb lengths round up to huge pages). */
		uint64_t unit = kind == 2 ? SZ_2M : kind == 3 ? SZ_1G : SZ_4K;

		sp[0].b = sp[1].b = NULL;
		if (req.flags & S2MT_MAP_FIXED)
			ref_pmds_at(w, req.addr, (len + unit - 1) & ~(unit - 1),
				    sp, false, 0);
	}
	switch (kind) {
	case 0:
	case 1:
		rc = s2mt_mm_mmap_anon(&w->mm, &req,
				       kind ? S2MT_BACK_THP : S2MT_BACK_ANON,
				       &hva);
		break;
	case 2:
	case 3:
		rc = s2mt_mm_mmap_anon(&w->mm, &req,
				       kind == 3 ? S2MT_BACK_HUGETLB_1G
						 : S2MT_BACK_HUGETLB_2M,
				       &hva);
		break;
	case 4:
		rc = s2mt_mm_mmap_vfio_bar(&w->mm, &req, w->nic, bar, off,
					   &hva);
		break;
	case 5:
	case 6:
		/* Through the nvgrace call or the vfio region index. */
		if (chance(50))
			rc = s2mt_mm_mmap_nvgrace(&w->mm, &req, dev,
						  kind == 5
							  ? S2MT_NVGRACE_USEMEM
							  : S2MT_NVGRACE_RESMEM,
						  off, &hva);
		else
			rc = s2mt_mm_mmap_vfio_bar(&w->mm, &req, dev,
						   kind == 5 ? 4 : 2, off,
						   &hva);
		break;
	default:
		rc = s2mt_mm_mmap_devmem(&w->mm, &req, pa, &hva);
		break;
	}
	if (!rc)
		ref_split_pmds(w, sp);
	if (rc) {
		w->st.mmap_err++;
		snap_check_vmas(w, sn, "refused mmap");
		snap_check_s2(w, sn, "refused mmap");
	} else {
		w->st.mmap_ok++;
		/* Lengths round up to pages, and hugetlb lengths to whole
		 * huge pages (ksys_mmap_pgoff, seen on real kernels). */
		uint64_t unit = kind == 2 ? SZ_2M : kind == 3 ? SZ_1G : SZ_4K;

		check_new_vma(w, hva, (len + unit - 1) & ~(unit - 1), &req,
			      kind, pa);
	}
}

/* A range around a random VMA: inside it, across its end, or in a gap. */
static void random_range(struct world *w, uint64_t *addr, uint64_t *len)
{
	const struct s2mt_vma *v = random_vma(w);
	uint64_t vlen;

	if (!v || chance(5)) {
		*addr = 0x10000000000ull + rnd_below(1 << 20) * SZ_4K;
		*len = rnd_pages(64);
		return;
	}
	vlen = v->end - v->start;
	if (chance(30)) {
		*addr = v->start;
		*len = vlen;
	} else {
		*addr = v->start + rnd_below(vlen / SZ_4K) * SZ_4K;
		*len = rnd_pages(vlen / SZ_4K);
	}
	if (chance(25) && (v->flags & S2MT_VM_HUGETLB)) {
		uint64_t huge =
			v->backing == S2MT_BACK_HUGETLB_1G ? SZ_1G : SZ_2M;

		*addr &= ~(huge - 1);
		*len = (*len + huge - 1) & ~(huge - 1);
	}
	if (chance(15))
		*len += rnd_pages(1024); /* past the VMA */
}

static void op_munmap(struct world *w)
{
	struct pmd_split sp[2];
	uint64_t addr, len;
	struct snap *sn = &w->sn;
	int rc;

	random_range(w, &addr, &len);
	if (chance(4))
		addr += 0x10; /* not page aligned */
	if (chance(3))
		len = 0;
	step("munmap %#" PRIx64 " +%#" PRIx64, addr, len);
	snap_take(w, sn);
	ref_pmds_at(w, addr, len, sp, false, 0);
	rc = s2mt_mm_munmap(&w->mm, addr, len);
	if (!rc)
		ref_split_pmds(w, sp);
	if (rc) {
		w->st.munmap_err++;
		snap_check_vmas(w, sn, "refused munmap");
		snap_check_s2(w, sn, "refused munmap");
	} else {
		w->st.munmap_ok++;
		for (size_t i = 0; i < w->mm.nr_vmas; i++)
			expect(w->mm.vmas[i].end <= addr ||
				       w->mm.vmas[i].start >= addr + len,
			       "VMA [%#" PRIx64 ", %#" PRIx64
			       ") survives munmap",
			       w->mm.vmas[i].start, w->mm.vmas[i].end);
	}
}

static void op_mprotect(struct world *w)
{
	static const unsigned prots[] = { RD,	   RD | WR, RD | WR | EX,
					  RD | EX, 0,	    RD | WR };
	unsigned prot = prots[rnd_below(6)];
	struct pmd_split sp[2];
	uint64_t addr, len;
	struct snap *sn = &w->sn;
	int rc;

	random_range(w, &addr, &len);
	step("mprotect %#" PRIx64 " +%#" PRIx64 " prot %#x", addr, len, prot);
	snap_take(w, sn);
	ref_pmds_at(w, addr, len, sp, true,
		    (prot & RD ? S2MT_VM_READ : 0) |
			    (prot & WR ? S2MT_VM_WRITE : 0) |
			    (prot & EX ? S2MT_VM_EXEC : 0));
	rc = s2mt_mm_mprotect(&w->mm, addr, len, prot);
	if (!rc)
		ref_split_pmds(w, sp);
	if (rc) {
		w->st.mprot_err++;
		snap_check_vmas(w, sn, "refused mprotect");
		snap_check_s2(w, sn, "refused mprotect");
	} else {
		uint64_t want = (prot & RD ? S2MT_VM_READ : 0) |
			(prot & WR ? S2MT_VM_WRITE : 0) |
			(prot & EX ? S2MT_VM_EXEC : 0);

		w->st.mprot_ok++;
		for (size_t i = 0; i < w->mm.nr_vmas; i++) {
			const struct s2mt_vma *v = &w->mm.vmas[i];

			if (v->end <= addr || v->start >= addr + len)
				continue;
			/* One that had the flags already is not split
			 * (mprotect_fixup()): it is as it was. */
			expect((v->flags &
				(S2MT_VM_READ | S2MT_VM_WRITE |
				 S2MT_VM_EXEC)) == want &&
				       ((v->start >= addr &&
					 v->end <= addr +
							 ((len + SZ_4K - 1) &
							  ~(SZ_4K - 1))) ||
					snap_has_vma(sn, v)),
			       "VMA [%#" PRIx64 ", %#" PRIx64
			       ") flags %#" PRIx64 " after mprotect",
			       v->start, v->end, v->flags);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Steps: memslots                                                     */
/* ------------------------------------------------------------------ */

enum change { NOOP, CREATE, DELETE, MOVE, FLAGS_ONLY };

/* M1-M3: what a KVM_SET_USER_MEMORY_REGION must return. */
static int m_expect(struct world *w, unsigned vi,
		    const struct s2mt_userspace_memory_region2 *r,
		    enum change *change)
{
	struct s2mt_vm *vm = w->vm[vi];
	uint32_t as_id = r->slot >> 16, id = r->slot & 0xffff;
	uint64_t end = r->userspace_addr + r->memory_size;
	const struct sslot *old = NULL;

	*change = NOOP;
	/* M1: arm64 has no private memory, so GUEST_MEMFD is refused as
	 * well (kvm_arch_has_private_mem() is false). */
	if (r->flags & ~(uint32_t)(LOG | RO))
		return -S2MT_EINVAL;
	/* M2 */
	if ((r->memory_size | r->guest_phys_addr | r->userspace_addr) &
	    (SZ_4K - 1))
		return -S2MT_EINVAL;
	if (end < r->userspace_addr || end > S2MT_TASK_SIZE)
		return -S2MT_EINVAL;
	if (as_id >= 1 || id >= S2MT_KVM_USER_MEM_SLOTS)
		return -S2MT_EINVAL;
	if (r->guest_phys_addr + r->memory_size < r->guest_phys_addr)
		return -S2MT_EINVAL;
	if (r->memory_size / SZ_4K > S2MT_KVM_MEM_MAX_NR_PAGES)
		return -S2MT_EINVAL;
	if (id < NR_IDS && w->slot[vi][id].live)
		old = &w->slot[vi][id];
	if (!r->memory_size) {
		if (!old)
			return -S2MT_EINVAL;
		*change = DELETE;
		return 0;
	}
	if (!old) {
		*change = CREATE;
	} else {
		if (r->userspace_addr != old->hva ||
		    r->memory_size != old->size ||
		    ((r->flags ^ old->flags) & RO))
			return -S2MT_EINVAL;
		if (r->guest_phys_addr != old->gpa)
			*change = MOVE;
		else if (r->flags != old->flags)
			*change = FLAGS_ONLY;
		else
			return 0;
	}
	if (*change == CREATE || *change == MOVE) {
		for (unsigned o = 0; o < NR_IDS; o++) {
			const struct sslot *s = &w->slot[vi][o];

			if (!s->live || o == id)
				continue;
			if (r->guest_phys_addr < s->gpa + s->size &&
			    s->gpa < r->guest_phys_addr + r->memory_size)
				return -S2MT_EEXIST;
		}
	}
	/* M3 */
	if (r->guest_phys_addr + r->memory_size > 1ull << vm->ipa_bits)
		return -S2MT_EFAULT;
	for (size_t i = 0; i < w->mm.nr_vmas; i++) {
		const struct s2mt_vma *v = &w->mm.vmas[i];

		if (v->end <= r->userspace_addr || v->start >= end)
			continue;
		if (vm->mte && !(v->flags & S2MT_VM_MTE_ALLOWED))
			return -S2MT_EINVAL;
		if ((v->flags & S2MT_VM_PFNMAP) && (r->flags & LOG))
			return -S2MT_EINVAL;
		if (w->era >= S2MT_ERA_6_17 && (v->flags & S2MT_VM_PFNMAP) &&
		    attrindx_cacheable(v->attrindx) &&
		    !(w->host.caps.fwb && w->host.caps.dic))
			return -S2MT_EINVAL;
	}
	return 0;
}

static uint64_t *bitmap_new(uint64_t size)
{
	uint64_t *b = calloc((size / SZ_4K + 63) / 64 + 1, 8);

	assert_non_null(b);
	return b;
}

/* The shadow follows a successful call. */
static void shadow_apply(struct world *w, unsigned vi,
			 const struct s2mt_userspace_memory_region2 *r,
			 enum change change, const struct snap *before)
{
	struct sslot *s = &w->slot[vi][r->slot & 0xffff];
	bool was_log = s->flags & LOG, log = r->flags & LOG;

	switch (change) {
	case NOOP:
		return;
	case DELETE:
		sslot_clear(s);
		return;
	case CREATE:
		sslot_clear(s);
		s->live = true;
		s->flags = r->flags;
		s->gpa = r->guest_phys_addr;
		s->size = r->memory_size;
		s->hva = r->userspace_addr;
		if (log)
			s->dirty = bitmap_new(s->size);
		break;
	case MOVE:
		/* kvm_prepare_memory_region(): the bitmap goes with the
		 * LOG flag, kept from the old slot when it had one. */
		s->gpa = r->guest_phys_addr;
		s->flags = r->flags;
		if (log && !was_log)
			s->dirty = bitmap_new(s->size);
		if (!log) {
			free(s->dirty);
			s->dirty = NULL;
		}
		free(s->wp);
		s->wp = NULL;
		s->nr_wp = 0;
		break;
	case FLAGS_ONLY:
		s->flags = r->flags;
		free(s->wp);
		s->wp = NULL;
		s->nr_wp = 0;
		if (log && !was_log) {
			const struct lv *l = &before->leaves[vi];

			s->dirty = bitmap_new(s->size);
			s->wp = calloc(l->nr + 1, sizeof(*s->wp));
			assert_non_null(s->wp);
			for (size_t i = 0; i < l->nr; i++)
				if (l->v[i].size > SZ_4K &&
				    l->v[i].ipa >= s->gpa &&
				    l->v[i].ipa < s->gpa + s->size)
					s->wp[s->nr_wp++] =
						(struct blk){ l->v[i].ipa,
							      l->v[i].size,
							      l->v[i].pa };
			w->st.wp_blocks += s->nr_wp;
		} else if (!log) {
			free(s->dirty);
			s->dirty = NULL;
		}
		break;
	}
}

/* A request for a new slot over some VMAs. */
static void gen_create(struct world *w, unsigned vi,
		       struct s2mt_userspace_memory_region2 *r)
{
	struct s2mt_vm *vm = w->vm[vi];
	const struct s2mt_vma *v = random_vma(w);
	uint64_t hva, size, gpa, limit = 1ull << vm->ipa_bits;
	unsigned g = (unsigned)rnd_below(100), f = (unsigned)rnd_below(100);

	if (!v) {
		hva = 0x10000000000ull;
		size = SZ_2M;
	} else {
		uint64_t vlen = v->end - v->start;

		if (chance(40)) {
			hva = v->start;
		} else if (chance(30) && vlen > SZ_2M) {
			hva = v->start + rnd_below(vlen / SZ_2M) * SZ_2M;
		} else {
			hva = v->start + rnd_below(vlen / SZ_4K) * SZ_4K;
		}
		if (chance(45))
			size = v->end - hva;
		else if (chance(70))
			size = rnd_pages((v->end - hva) / SZ_4K);
		else
			size = v->end - hva + rnd_pages(2048);
		if (size > 2 * SZ_1G)
			size = 2 * SZ_1G;
	}
	if (g < 40)
		gpa = (rnd_below(GPA_WINDOW / SZ_1G) << 30) |
			(hva & (SZ_1G - 1));
	else if (g < 65)
		gpa = (rnd_below(GPA_WINDOW / SZ_2M) << 21) |
			(hva & (SZ_2M - 1));
	else if (g < 85)
		gpa = rnd_below(GPA_WINDOW / SZ_4K) * SZ_4K;
	else if (g < 92) {
		const struct sslot *o = &w->slot[vi][rnd_below(NR_IDS)];

		gpa = !o->live ? 0
			: chance(50)
			? o->gpa + o->size
			: o->gpa + rnd_below(o->size / SZ_4K) * SZ_4K;
	} else {
		/* Around the end of the IPA space (M3: -EFAULT past it). */
		gpa = limit - (size & ~(SZ_4K - 1)) +
			(chance(50) ? 0 : rnd_pages(16));
	}
	r->userspace_addr = hva;
	r->memory_size = size;
	r->guest_phys_addr = gpa;
	r->flags = f < 62 ? 0
		: f < 82  ? LOG
		: f < 92  ? RO
		: f < 95  ? LOG | RO
		: f < 97  ? KVM_MEM_GUEST_MEMFD
		: f < 99  ? 1u << 3
			  : 1u << 31;
}

static int live_id(struct world *w, unsigned vi)
{
	int ids[NR_IDS], n = 0;

	for (int id = 0; id < NR_IDS; id++)
		if (w->slot[vi][id].live)
			ids[n++] = id;
	return n ? ids[rnd_below((uint64_t)n)] : -1;
}

static int free_id(struct world *w, unsigned vi)
{
	int ids[NR_IDS], n = 0;

	for (int id = 0; id < NR_IDS; id++)
		if (!w->slot[vi][id].live)
			ids[n++] = id;
	return n ? ids[rnd_below((uint64_t)n)] : -1;
}

static void op_slot(struct world *w, unsigned vi)
{
	struct s2mt_userspace_memory_region2 r = { 0 };
	struct s2mt_vm *vm = w->vm[vi];
	unsigned k = (unsigned)rnd_below(100);
	int id = live_id(w, vi), rc, want;
	enum change change;
	struct snap *sn = &w->sn;
	const char *what;

	if (k < 35 || id < 0) {
		what = "create";
		id = free_id(w, vi);
		if (id < 0 || chance(8))
			id = (int)rnd_below(NR_IDS);
		gen_create(w, vi, &r);
		r.slot = (uint32_t)id;
	} else if (k < 47) {
		what = "delete";
		r.slot = (uint32_t)(chance(85) ? id : (int)rnd_below(NR_IDS));
	} else if (k < 62) {
		const struct sslot *s = &w->slot[vi][id];
		struct s2mt_userspace_memory_region2 c;

		what = "move";
		gen_create(w, vi, &c);
		r.slot = (uint32_t)id;
		r.userspace_addr = s->hva;
		r.memory_size = s->size;
		r.flags = s->flags;
		if (chance(25))
			r.flags ^= LOG;
		r.guest_phys_addr = chance(60)
			? (c.guest_phys_addr & ~(SZ_2M - 1)) |
				(s->hva & (SZ_2M - 1))
			: c.guest_phys_addr;
	} else if (k < 85) {
		const struct sslot *s = &w->slot[vi][id];

		what = "flags";
		r.slot = (uint32_t)id;
		r.userspace_addr = s->hva;
		r.memory_size = s->size;
		r.guest_phys_addr = s->gpa;
		r.flags = s->flags ^ (chance(85) ? LOG : chance(50) ? RO : 0);
	} else {
		/* Invalid requests (and an identical one, which is 0). */
		const struct sslot *s = &w->slot[vi][id];
		unsigned m = (unsigned)rnd_below(10);

		what = "invalid";
		gen_create(w, vi, &r);
		r.slot = (uint32_t)free_id(w, vi);
		if ((int)r.slot < 0)
			r.slot = (uint32_t)id;
		switch (m) {
		case 0:
			r.memory_size += 0x200;
			break;
		case 1:
			r.guest_phys_addr += 0x10;
			break;
		case 2:
			r.userspace_addr += 0x800;
			break;
		case 3:
			r.slot |= 1u << 16; /* address space 1 */
			break;
		case 4:
			r.slot = S2MT_KVM_USER_MEM_SLOTS;
			break;
		case 5:
			r.guest_phys_addr = ~0ull & ~(SZ_4K - 1);
			break;
		case 6:
			r.userspace_addr = S2MT_TASK_SIZE - SZ_4K;
			break;
		case 8: /* M3: past the end of the VM's IPA space */
			r.guest_phys_addr = (1ull << vm->ipa_bits) -
				(r.memory_size & ~(SZ_4K - 1)) + rnd_pages(512);
			break;
		case 7: /* an existing slot, new HVA or size */
			r.slot = (uint32_t)id;
			r.userspace_addr = s->hva;
			r.memory_size = s->size;
			r.guest_phys_addr = s->gpa;
			r.flags = s->flags;
			if (chance(50))
				r.userspace_addr += SZ_4K;
			else
				r.memory_size += SZ_4K;
			break;
		default: /* identical: nothing to do */
			r.slot = (uint32_t)id;
			r.userspace_addr = s->hva;
			r.memory_size = s->size;
			r.guest_phys_addr = s->gpa;
			r.flags = s->flags;
			break;
		}
	}
	if (!strcmp(what, "delete"))
		r.memory_size = 0;

	want = m_expect(w, vi, &r, &change);
	step("VM%u slot %s: slot %#x flags %#x gpa %#" PRIx64 " size %#" PRIx64
	     " hva %#" PRIx64 " (want %d)",
	     vi, what, r.slot, r.flags, r.guest_phys_addr, r.memory_size,
	     r.userspace_addr, want);
	snap_take(w, sn);
	if (chance(50)) {
		struct s2mt_userspace_memory_region r1 = {
			.slot = r.slot,
			.flags = r.flags,
			.guest_phys_addr = r.guest_phys_addr,
			.memory_size = r.memory_size,
			.userspace_addr = r.userspace_addr,
		};

		rc = s2mt_vm_set_user_memory_region(vm, &r1);
	} else {
		rc = s2mt_vm_set_user_memory_region2(vm, &r);
	}
	expect(rc == want, "returned %d (%s), M1-M3 say %d (%s); why: %s", rc,
	       s2mt_errno_name(-rc), want, s2mt_errno_name(-want), vm->why);
	if (rc < 0) {
		/* M4: a refused request changes nothing. */
		snap_check_slots(w, sn, "refused memslot call");
		snap_check_s2(w, sn, "refused memslot call");
		snap_check_vmas(w, sn, "refused memslot call");
		w->st.slot_einval += rc == -S2MT_EINVAL;
		w->st.slot_eexist += rc == -S2MT_EEXIST;
		w->st.slot_efault += rc == -S2MT_EFAULT;
	} else if (rc == 0 && rc == want) {
		shadow_apply(w, vi, &r, change, sn);
		if (change == NOOP) {
			w->st.slot_noop++;
			snap_check_s2(w, sn, "identical memslot call");
		} else {
			w->st.slot_ok++;
		}
		if (change == CREATE || change == MOVE) {
			/* Nothing is mapped in a new or moved slot yet. */
			struct lv *l = &w->scratch;

			collect(vm, l);
			for (size_t i = 0; i < l->nr; i++)
				expect(l->v[i].ipa + l->v[i].size <=
						       r.guest_phys_addr ||
					       l->v[i].ipa >=
						       r.guest_phys_addr +
							       r.memory_size,
				       "leaf IPA %#" PRIx64
				       " inside the new slot range",
				       l->v[i].ipa);
		}
	}
}

static void op_dirty_log(struct world *w, unsigned vi)
{
	struct s2mt_vm *vm = w->vm[vi];
	int id = chance(85) ? live_id(w, vi) : (int)rnd_below(NR_IDS);
	uint32_t slot;
	struct sslot *s;
	uint64_t *bm, words;
	struct snap *sn = &w->sn;
	int rc, want;

	if (id < 0)
		id = 0;
	s = &w->slot[vi][id];
	slot = (uint32_t)id;
	/* kvm_get_dirty_log_protect(): no such slot or not logging is
	 * -ENOENT; an id out of range -EINVAL. */
	want = !s->live ? -S2MT_ENOENT : !(s->flags & LOG) ? -S2MT_ENOENT : 0;
	if (chance(3)) {
		slot = chance(50) ? slot | 1u << 16 : S2MT_KVM_USER_MEM_SLOTS;
		want = -S2MT_EINVAL;
	}
	words = s->live ? (s->size / SZ_4K + 63) / 64 : 1;
	if (w->bm_words < words + 1) {
		free(w->bm);
		w->bm_words = words + 1;
		w->bm = malloc(w->bm_words * 8);
		assert_non_null(w->bm);
	}
	bm = w->bm;
	memset(bm, 0, (words + 1) * 8);
	step("VM%u get_dirty_log slot %#x (want %d)", vi, slot, want);
	snap_take(w, sn);
	rc = s2mt_vm_get_dirty_log(vm, slot, bm);
	expect(rc == want, "returned %d (%s), want %d (%s); why: %s", rc,
	       s2mt_errno_name(-rc), want, s2mt_errno_name(-want), vm->why);
	if (rc) {
		snap_check_slots(w, sn, "refused get_dirty_log");
		snap_check_s2(w, sn, "refused get_dirty_log");
	} else if (s->dirty) {
		w->st.dirty_gets++;
		for (uint64_t i = 0; i < words; i++)
			expect(bm[i] == s->dirty[i],
			       "dirty word %" PRIu64 " is %#" PRIx64
			       ", written pages %#" PRIx64 " (K7)",
			       i, bm[i], s->dirty[i]);
		/* K7: pages reported dirty are write-protected again. */
		for (uint64_t pg = 0; pg < s->size / SZ_4K; pg++) {
			struct s2mt_leaf lf;
			uint64_t ipa = s->gpa + pg * SZ_4K;

			if (!(s->dirty[pg / 64] >> (pg % 64) & 1))
				continue;
			if (!s2mt_pgt_lookup(&vm->pgt, ipa, &lf))
				expect(!(lf.s2ap & 2),
				       "IPA %#" PRIx64 " still writable after "
				       "KVM_GET_DIRTY_LOG (K7)",
				       ipa);
		}
		memset(s->dirty, 0, words * 8);
	}
}

/* ------------------------------------------------------------------ */
/* Steps: guest faults                                                 */
/* ------------------------------------------------------------------ */

static bool leaf_allows(const struct s2mt_leaf *lf, unsigned access)
{
	if (access == S2MT_ACCESS_WRITE)
		return lf->s2ap & 2;
	if (access == S2MT_ACCESS_EXEC)
		return (lf->s2ap & 1) && lf->xn == 0;
	return lf->s2ap & 1;
}

#define OK_MASK(o) (1u << (o))

/* K8: the host mapping changes between the sequence sample and the MMU
 * lock: an mprotect of the whole VMA to its own protection notifies. */
struct race_ctx {
	struct world *w;
	uint64_t hva;
	int rc;
	bool ran;
};

static void race_mprotect(struct s2mt_vm *vm, uint64_t ipa, void *arg)
{
	struct race_ctx *c = arg;
	const struct s2mt_vma *v = vma_at(c->w, c->hva);
	unsigned prot = 0;

	(void)vm;
	(void)ipa;
	c->ran = true;
	if (!v) {
		c->rc = -1;
		return;
	}
	prot |= v->flags & S2MT_VM_READ ? RD : 0;
	prot |= v->flags & S2MT_VM_WRITE ? WR : 0;
	prot |= v->flags & S2MT_VM_EXEC ? EX : 0;
	/* Away and back: the VMA ends as it was, but each change ran the
	 * notifier (an mprotect to the same flags runs none). */
	c->rc = s2mt_mm_mprotect(&c->w->mm, v->start, v->end - v->start,
				 prot ^ EX);
	if (!c->rc)
		c->rc = s2mt_mm_mprotect(&c->w->mm, v->start, v->end - v->start,
					 prot);
}

static void op_fault(struct world *w, unsigned vi)
{
	static const char *const acc_name[] = { "?", "read", "write", "?",
						"exec" };
	struct s2mt_vm *vm = w->vm[vi];
	uint64_t limit = 1ull << vm->ipa_bits, ipa, hva = 0;
	unsigned r = (unsigned)rnd_below(100), ok = 0;
	unsigned access = r < 50 ? S2MT_ACCESS_READ
		: r < 85	 ? S2MT_ACCESS_WRITE
				 : S2MT_ACCESS_EXEC;
	int id = live_id(w, vi), want_rc = 0, rc;
	const struct sslot *s = NULL;
	const struct s2mt_vma *v = NULL;
	struct s2mt_leaf before, after;
	bool had_leaf, uncached = false;
	struct s2mt_fault f;
	struct snap *sn = &w->sn;
	struct race_ctx race = { 0 };
	uint64_t fast;
	uint8_t ma = 0;

	r = (unsigned)rnd_below(100);
	if (w->zero_block[vi] && chance(60)) {
		/* H6: write into a block the huge zero page may still map. */
		ipa = w->zero_block[vi] + rnd_below(SZ_2M / SZ_4K) * SZ_4K;
		access = S2MT_ACCESS_WRITE;
		w->zero_block[vi] = 0;
	} else if (w->next_ipa[vi] && chance(30)) {
		ipa = w->next_ipa[vi];
		access = w->next_access[vi];
	} else if (id >= 0 && r < 80) {
		s = &w->slot[vi][id];
		if (chance(30)) /* block-aligned places */
			ipa = s->gpa +
				((rnd_below(s->size / SZ_4K) * SZ_4K) &
				 ~(SZ_2M - 1));
		else
			ipa = s->gpa + rnd_below(s->size / SZ_4K) * SZ_4K;
		if (ipa < s->gpa)
			ipa = s->gpa;
	} else if (id >= 0 && r < 88) {
		s = &w->slot[vi][id];
		ipa = chance(50) ? s->gpa + s->size : s->gpa - SZ_4K;
	} else if (r < 97) {
		ipa = rnd_below(GPA_WINDOW / SZ_4K) * SZ_4K;
	} else {
		ipa = limit + rnd_below(1024) * SZ_4K;
	}
	ipa += chance(10) ? rnd_below(SZ_4K) : 0; /* not page aligned */
	w->next_ipa[vi] = (ipa & ~(SZ_4K - 1)) + SZ_4K;
	w->next_access[vi] = access;
	id = sslot_at(w, vi, ipa & ~(SZ_4K - 1));
	s = id >= 0 ? &w->slot[vi][id] : NULL;
	if (s) {
		hva = s->hva + ((ipa & ~(SZ_4K - 1)) - s->gpa);
		if (k4_quirk(w, s, hva)) {
			w->st.quirk_skips++;
			return;
		}
		v = vma_at(w, hva);
	}

	/* What the fault must end in (docs/model.md order, SPEC K1-K8). */
	had_leaf = !s2mt_pgt_lookup(&vm->pgt, ipa & ~(SZ_4K - 1), &before);
	if ((ipa & ~(SZ_4K - 1)) >= limit) {
		ok = OK_MASK(S2MT_FAULT_INJECT_DABT);
	} else if (!s) {
		ok = access == S2MT_ACCESS_EXEC
			? OK_MASK(S2MT_FAULT_INJECT_IABT)
			: OK_MASK(S2MT_FAULT_MMIO_EXIT);
		want_rc = access == S2MT_ACCESS_EXEC ? -S2MT_ENOEXEC : 0;
	} else if (access == S2MT_ACCESS_WRITE && (s->flags & RO)) {
		ok = OK_MASK(S2MT_FAULT_MMIO_EXIT);
	} else if (had_leaf && leaf_allows(&before, access)) {
		ok = OK_MASK(S2MT_FAULT_SPURIOUS);
	} else if (!v) {
		ok = OK_MASK(S2MT_FAULT_EFAULT);
		want_rc = -S2MT_EFAULT;
	} else if (access != S2MT_ACCESS_WRITE && !(v->flags & S2MT_VM_READ)) {
		/* Linux's GUP (fixup_user_fault for PFNMAP) refuses a
		 * PROT_NONE VMA before anything looks at the PFN. */
		ok = OK_MASK(S2MT_FAULT_EFAULT);
		want_rc = -S2MT_EFAULT;
	} else if (access == S2MT_ACCESS_WRITE && !(v->flags & S2MT_VM_WRITE)) {
		ok = OK_MASK(S2MT_FAULT_EFAULT);
		want_rc = -S2MT_EFAULT;
	} else if (k2_memattr(w, v, v->pa + (hva - v->start), &ma)) {
		ok = OK_MASK(S2MT_FAULT_EFAULT);
		want_rc = -S2MT_EFAULT;
	} else if ((uncached = ma_uncached(ma, w->host.caps.fwb)) &&
		   access == S2MT_ACCESS_EXEC) {
		ok = OK_MASK(S2MT_FAULT_INJECT_IABT);
		want_rc = -S2MT_ENOEXEC;
	} else if (vm->mte && !uncached && !(v->flags & S2MT_VM_MTE_ALLOWED)) {
		ok = OK_MASK(S2MT_FAULT_EFAULT);
		want_rc = -S2MT_EFAULT;
	} else if (host_ref_fault(w, v, hva, access == S2MT_ACCESS_WRITE)) {
		/* H5/H6: the (huge) zero page replaced under KVM (K8). */
		ok = OK_MASK(S2MT_FAULT_RETRY);
		want_rc = -S2MT_EAGAIN;
		w->st.thp_retries++;
	} else {
		ok = had_leaf ? OK_MASK(S2MT_FAULT_MAPPED) |
				OK_MASK(S2MT_FAULT_PERM_RELAXED)
			      : OK_MASK(S2MT_FAULT_MAPPED);
	}

	if ((ok & OK_MASK(S2MT_FAULT_MAPPED)) && chance(4)) {
		race.w = w;
		race.hva = hva;
		vm->race = race_mprotect;
		vm->race_arg = &race;
		ok = OK_MASK(S2MT_FAULT_RETRY);
		want_rc = -S2MT_EAGAIN;
	}

	step("VM%u %s fault at IPA %#" PRIx64 " (slot %d, HVA %#" PRIx64 ")%s",
	     vi, acc_name[access], ipa, id, hva,
	     vm->race ? " racing an mprotect" : "");
	snap_take(w, sn);
	fast = vm->fast_faults;
	rc = s2mt_vm_guest_abort(vm, ipa, access, &f);
	w->st.fast_faults += vm->fast_faults - fast;
	if (vm->race) {
		vm->race = NULL;
		vm->race_arg = NULL;
		expect(race.ran && race.rc == 0, "race hook ran %d rc %d",
		       race.ran, race.rc);
	}
	expect(f.outcome < 8 && (ok & OK_MASK(f.outcome)),
	       "outcome %s (rc %d), expected mask %#x; reason: %s",
	       s2mt_fault_outcome_name(f.outcome), rc, ok, f.reason);
	if (f.outcome < 8)
		w->st.fault[f.outcome]++;
	if (f.outcome == S2MT_FAULT_EFAULT)
		expect(rc == -S2MT_EFAULT, "rc %d for -EFAULT", rc);
	else
		expect(rc == want_rc, "rc %d, want %d (%s)", rc, want_rc,
		       f.reason);
	expect(f.slot == (s ? id : -1), "fault slot %d, want %d", f.slot,
	       s ? id : -1);
	if (f.outcome == S2MT_FAULT_RETRY) {
		/* The notifier took what the mprotect covered; the fault
		 * itself installed nothing (checked by the invariants). */
	} else if (f.outcome != S2MT_FAULT_MAPPED &&
		   f.outcome != S2MT_FAULT_PERM_RELAXED) {
		snap_check_s2(w, sn, "fault that mapped nothing");
	} else {
		expect(!s2mt_pgt_lookup(&vm->pgt, ipa & ~(SZ_4K - 1), &after) &&
			       leaf_allows(&after, access),
		       "after a %s fault the leaf at %#" PRIx64
		       " does not allow it",
		       acc_name[access], ipa);
		expect(after.memattr == ma,
		       "new leaf MemAttr %#x, K2 gives %#x", after.memattr, ma);
		/* The fault's own account of the leaf is the table's. */
		expect(f.has_leaf && f.leaf.desc == after.desc &&
			       f.leaf.ipa == after.ipa &&
			       f.leaf.size == after.size &&
			       f.leaf.level == after.level,
		       "fault says leaf %#" PRIx64 " at %#" PRIx64
		       " (+%#" PRIx64 "), the table has %#" PRIx64
		       " at %#" PRIx64 " (+%#" PRIx64 ")",
		       f.leaf.desc, f.leaf.ipa, f.leaf.size, after.desc,
		       after.ipa, after.size);
		if (after.size == SZ_2M && !(after.s2ap & 2))
			w->zero_block[vi] = after.ipa;
		if (!had_leaf) {
			uint64_t want_size = k4_size(w, s, v, hva, uncached);

			expect(after.size == want_size,
			       "translation fault mapped %#" PRIx64
			       " bytes, K4 gives %#" PRIx64 " (VMA [%#" PRIx64
			       ", %#" PRIx64 ") PA %#" PRIx64 " backing %s)",
			       after.size, want_size, v->start, v->end,
			       v->pa + (hva - v->start),
			       s2mt_backing_name(v->backing));
		}
		if (!had_leaf && f.outcome == S2MT_FAULT_MAPPED) {
			const struct s2mt_host_caps *c = &w->host.caps;
			bool x = after.xn == 0;
			uint64_t want_d = !c->fwb && !uncached ? after.size : 0;
			uint64_t want_i = !c->dic && x ? after.size : 0;

			/* K3: X on an exec fault, or with DIC; never for
			 * Device or Normal-NC. */
			expect(x ==
				       (!uncached &&
					(access == S2MT_ACCESS_EXEC || c->dic)),
			       "new leaf MemAttr %#x executable %d after a %s "
			       "fault (DIC %d)",
			       after.memattr, x, acc_name[access], c->dic);
			/* K5: the D-cache clean of a cacheable leaf without
			 * FWB, the I-cache invalidation of an executable one
			 * without DIC, each over the whole leaf. */
			expect(f.dclean_bytes == want_d &&
				       f.iinval_bytes == want_i,
			       "K5: cleaned %#" PRIx64 " invalidated %#" PRIx64
			       ", want %#" PRIx64 " and %#" PRIx64,
			       f.dclean_bytes, f.iinval_bytes, want_d, want_i);
		}
		/* user_mem_abort(): a writable mapping marks the faulting
		 * page dirty, whatever the access (a device page in a
		 * logging slot is mapped writable on a read). */
		if (f.has_leaf && (f.leaf.s2ap & 2) && s->dirty) {
			uint64_t pg = ((ipa & ~(SZ_4K - 1)) - s->gpa) / SZ_4K;

			w->slot[vi][id].dirty[pg / 64] |= 1ull << (pg % 64);
		}
	}
}

/* ------------------------------------------------------------------ */
/* The driver                                                          */
/* ------------------------------------------------------------------ */

/* H6 coverage per era, over its configurations run with the full count
 * of operations. */
static unsigned long g_era_thp_retries[S2MT_ERA_COUNT_];
static unsigned g_era_full_runs[S2MT_ERA_COUNT_];

static void run_config(unsigned era, const char *preset)
{
	unsigned long ops = nr_ops();
	struct world *w;

	snprintf(g_cfg, sizeof(g_cfg), "%s/%s", s2mt_era_name(era), preset);
	rng_state = g_seed ^ ((uint64_t)era << 40) ^
		((uint64_t)(unsigned char)preset[0] << 32) ^
		((uint64_t)(unsigned char)preset[3] << 48);
	g_op = 0;
	step("setup");
	w = world_new(era, preset);
	check_world(w);
	for (g_op = 1; g_op <= ops; g_op++) {
		unsigned r = (unsigned)rnd_below(100);
		unsigned vi = chance(25) ? 1 : 0;

		if (r < 16)
			op_mmap(w);
		else if (r < 22)
			op_munmap(w);
		else if (r < 26)
			op_mprotect(w);
		else if (r < 50)
			op_slot(w, vi);
		else if (r < 95)
			op_fault(w, vi);
		else
			op_dirty_log(w, vi);
		check_world(w);
	}
	print_message(
		"  %-22s mmap %lu/%lu munmap %lu/%lu mprotect %lu/%lu "
		"slots ok %lu noop %lu EINVAL %lu EEXIST %lu EFAULT %lu\n",
		g_cfg, w->st.mmap_ok, w->st.mmap_err, w->st.munmap_ok,
		w->st.munmap_err, w->st.mprot_ok, w->st.mprot_err,
		w->st.slot_ok, w->st.slot_noop, w->st.slot_einval,
		w->st.slot_eexist, w->st.slot_efault);
	print_message("  %-22s faults: mapped %lu relaxed %lu spurious %lu "
		      "mmio %lu efault %lu iabt %lu dabt %lu retry %lu; "
		      "quirk skips %lu; straight-line %lu\n",
		      "", w->st.fault[S2MT_FAULT_MAPPED],
		      w->st.fault[S2MT_FAULT_PERM_RELAXED],
		      w->st.fault[S2MT_FAULT_SPURIOUS],
		      w->st.fault[S2MT_FAULT_MMIO_EXIT],
		      w->st.fault[S2MT_FAULT_EFAULT],
		      w->st.fault[S2MT_FAULT_INJECT_IABT],
		      w->st.fault[S2MT_FAULT_INJECT_DABT],
		      w->st.fault[S2MT_FAULT_RETRY], w->st.quirk_skips,
		      w->st.fast_faults);
	print_message("  %-22s leaf-steps L1 %lu L2 %lu L3 %lu (max %zu "
		      "leaves); logging slot-steps %lu, blocks kept when "
		      "logging started %lu, dirty gets %lu; steps with Z1 %lu "
		      "Z5 %lu Z6 %lu; queries %lu; huge zero pages replaced "
		      "%lu\n",
		      "", w->st.leaves_l[1], w->st.leaves_l[2],
		      w->st.leaves_l[3], w->st.max_leaves, w->st.logging_steps,
		      w->st.wp_blocks, w->st.dirty_gets, w->st.z1_seen,
		      w->st.z5_seen, w->st.z6_seen, w->st.queries,
		      w->st.thp_retries);

	/* The configurations must reach what the test is about. */
	if (ops >= DEFAULT_OPS) {
		expect(w->st.leaves_l[2] && w->st.leaves_l[3],
		       "coverage: no 2 MiB blocks or no pages");
		expect(w->st.slot_einval && w->st.slot_eexist &&
			       w->st.slot_efault,
		       "coverage: memslot refusals EINVAL %lu EEXIST %lu "
		       "EFAULT %lu",
		       w->st.slot_einval, w->st.slot_eexist, w->st.slot_efault);
		expect(w->st.mmap_err && w->st.munmap_err && w->st.mprot_err,
		       "coverage: no refused mmap/munmap/mprotect");
		expect(w->st.logging_steps && w->st.dirty_gets,
		       "coverage: no dirty logging");
		/* H6 needs a read-only 2 MiB block and then a write into
		 * it, rare enough that one configuration may miss it: each
		 * era's four must reach it (what differs by era). */
		g_era_thp_retries[era] += w->st.thp_retries;
		if (++g_era_full_runs[era] == 4)
			expect(g_era_thp_retries[era],
			       "coverage: no write to a huge zero page (H6) "
			       "on %s",
			       s2mt_era_name(era));
		expect(w->st.fast_faults,
		       "coverage: no fault on the straight-line path");
		expect(w->st.fault[S2MT_FAULT_MAPPED] &&
			       w->st.fault[S2MT_FAULT_RETRY],
		       "coverage: no mapped or no retried fault");
		/* Era 6.9 on grace-hopper: a faulted usemem page is Z1. */
		if (era == S2MT_ERA_6_9 && !strcmp(preset, "grace-hopper"))
			expect(w->st.z1_seen, "no Z1 in 6.9 on grace-hopper");
	}
	step("teardown");
	world_free(w);
}

#define CONFIG_TEST(name, era, preset)                                         \
	static void name(void **state)                                         \
	{                                                                      \
		(void)state;                                                   \
		run_config(era, preset);                                       \
	}

CONFIG_TEST(test_random_6_8_grace_hopper, S2MT_ERA_6_8, "grace-hopper")
CONFIG_TEST(test_random_6_8_no_fwb, S2MT_ERA_6_8, "no-fwb")
CONFIG_TEST(test_random_6_8_fwb_no_dic, S2MT_ERA_6_8, "fwb-no-dic")
CONFIG_TEST(test_random_6_8_qemu_max, S2MT_ERA_6_8, "qemu-max")
CONFIG_TEST(test_random_6_9_grace_hopper, S2MT_ERA_6_9, "grace-hopper")
CONFIG_TEST(test_random_6_9_no_fwb, S2MT_ERA_6_9, "no-fwb")
CONFIG_TEST(test_random_6_9_fwb_no_dic, S2MT_ERA_6_9, "fwb-no-dic")
CONFIG_TEST(test_random_6_9_qemu_max, S2MT_ERA_6_9, "qemu-max")
CONFIG_TEST(test_random_6_17_grace_hopper, S2MT_ERA_6_17, "grace-hopper")
CONFIG_TEST(test_random_6_17_no_fwb, S2MT_ERA_6_17, "no-fwb")
CONFIG_TEST(test_random_6_17_fwb_no_dic, S2MT_ERA_6_17, "fwb-no-dic")
CONFIG_TEST(test_random_6_17_qemu_max, S2MT_ERA_6_17, "qemu-max")

/* ------------------------------------------------------------------ */
/* Deterministic: the K4 quirk, which the generator avoids             */
/* ------------------------------------------------------------------ */

static void test_k4_quirk_is_z7(void **state)
{
	struct s2mt_mmap_req req = { .prot = RD | WR,
				     .flags = S2MT_MAP_SHARED };
	struct s2mt_userspace_memory_region r = { 0 };
	struct world *w;
	struct s2mt_vm *vm;
	struct s2mt_fault f;
	uint64_t hva, gpa = 4 * SZ_1G, bar_pa;
	size_t nr = 0;
	bool z7 = false;

	(void)state;
	snprintf(g_cfg, sizeof(g_cfg), "6.9/grace-hopper K4 quirk");
	g_op = 0;
	step("setup");
	w = world_new(S2MT_ERA_6_9, "grace-hopper");
	vm = w->vm[0];
	bar_pa = w->host.devices[w->nic].bars[2].pa; /* 16 MiB, aligned */

	/* A 4 MiB vfio BAR mapping, HVA congruent with the PA modulo 4 MiB;
	 * then its last MiB is unmapped, leaving a 3 MiB VMA. */
	req.len = 4 * SZ_1M;
	expect_rc(s2mt_mm_mmap_vfio_bar(&w->mm, &req, w->nic, 2, 0, &hva), 0);
	expect(!(hva & (4 * SZ_1M - 1)), "HVA %#" PRIx64, hva);
	expect_rc(s2mt_mm_munmap(&w->mm, hva + 3 * SZ_1M, SZ_1M), 0);
	/* One memslot over the whole 4 MiB, GPA congruent. */
	r.slot = 0;
	r.guest_phys_addr = gpa;
	r.memory_size = 4 * SZ_1M;
	r.userspace_addr = hva;
	expect_rc(s2mt_vm_set_user_memory_region(vm, &r), 0);

	/* An unaligned HVA in the last 2 MiB: the kernel's test works and a
	 * page is mapped. */
	expect_rc(s2mt_vm_guest_abort(vm, gpa + 2 * SZ_1M + SZ_4K,
				      S2MT_ACCESS_READ, &f),
		  0);
	expect(f.outcome == S2MT_FAULT_MAPPED && f.leaf.size == SZ_4K,
	       "unaligned fault: %s, leaf %#" PRIx64,
	       s2mt_fault_outcome_name(f.outcome), f.leaf.size);
	expect_rc(s2mt_check_hazards(&w->kvm, NULL, w->hz, w->hz_cap, &nr), 0);
	for (size_t i = 0; i < nr; i++)
		expect(w->hz[i].id != S2MT_Z7, "Z7 before the quirk: %s",
		       w->hz[i].detail);

	/* The block-aligned HVA: ALIGN(hva, 2M) == hva <= vm_end, so the
	 * 2 MiB block covers the unmapped last MiB (docs/model.md). */
	expect_rc(
		s2mt_vm_guest_abort(vm, gpa + 2 * SZ_1M, S2MT_ACCESS_READ, &f),
		0);
	expect(f.outcome == S2MT_FAULT_MAPPED && f.leaf.size == SZ_2M &&
		       f.leaf.ipa == gpa + 2 * SZ_1M &&
		       f.leaf.pa == bar_pa + 2 * SZ_1M,
	       "aligned fault: %s, leaf IPA %#" PRIx64 " +%#" PRIx64
	       " PA %#" PRIx64,
	       s2mt_fault_outcome_name(f.outcome), f.leaf.ipa, f.leaf.size,
	       f.leaf.pa);
	expect(k4_quirk(w,
			&(struct sslot){ .live = true,
					 .gpa = gpa,
					 .size = 4 * SZ_1M,
					 .hva = hva },
			hva + 2 * SZ_1M),
	       "the generator's predicate misses the quirk");
	expect_rc(s2mt_check_hazards(&w->kvm, NULL, w->hz, w->hz_cap, &nr), 0);
	for (size_t i = 0; i < nr; i++) {
		const struct s2mt_hazard *h = &w->hz[i];
		char pa[32];

		if (h->id != S2MT_Z7)
			continue;
		z7 = true;
		snprintf(pa, sizeof(pa), "%#" PRIx64,
			 (uint64_t)(hva + 2 * SZ_1M));
		expect(h->vm == vm && h->ipa == gpa + 2 * SZ_1M &&
			       h->size == SZ_2M && h->pa == bar_pa + 2 * SZ_1M,
		       "Z7 at IPA %#" PRIx64 " +%#" PRIx64 " PA %#" PRIx64,
		       h->ipa, h->size, h->pa);
		expect(strstr(h->detail, pa) != NULL,
		       "Z7 detail does not name HVA %s: %s", pa, h->detail);
	}
	expect(z7, "the K4 quirk block is not reported as Z7 (%zu hazards)",
	       nr);
	step("teardown");
	world_free(w);
}

/*
 * K4: "plain anonymous -> page size, possibly upgraded to 2 MiB when THP
 * backs it". THP can back a 2 MiB guest block only where the VMA covers
 * the aligned 2 MiB with a congruent PA (transparent_hugepage_adjust()
 * asks the host page table for a huge PMD). Where it does not, the fault
 * maps a page, and nothing outside the VMA (Z7).
 */
static void thp_case(bool misaligned)
{
	struct s2mt_mmap_req req = { .prot = RD | WR,
				     .flags = S2MT_MAP_PRIVATE };
	struct s2mt_userspace_memory_region r = { 0 };
	const struct s2mt_vma *v;
	struct s2mt_vm *vm;
	struct s2mt_fault f;
	struct world *w;
	uint64_t hva, hva2, ipa, gpa;
	size_t nr = 0;

	w = world_new(S2MT_ERA_6_17, "grace-hopper");
	vm = w->vm[0];
	if (misaligned) {
		/* 4 MiB of THP memory at an HVA 4 KiB past a 2 MiB boundary
		 * (the PA stays 2 MiB aligned). */
		req.len = 4 * SZ_1M;
		req.align_hint = SZ_2M;
		req.align_offset = SZ_4K;
		expect_rc(s2mt_mm_mmap_anon(&w->mm, &req, S2MT_BACK_THP, &hva),
			  0);
		expect((hva & (SZ_2M - 1)) == SZ_4K, "HVA %#" PRIx64, hva);
		/* The slot starts at the 2 MiB boundary, one page of hole
		 * before the VMA, GPA congruent; the fault is on the VMA's
		 * first page. */
		hva -= SZ_4K;
		gpa = SZ_1G;
		r.memory_size = 4 * SZ_1M + SZ_4K;
		ipa = gpa + SZ_4K;
	} else {
		/* 1 MiB of THP memory, 2 MiB aligned, and another anonymous
		 * MiB right after it: no 2 MiB THP fits the first VMA. */
		req.len = SZ_1M;
		expect_rc(s2mt_mm_mmap_anon(&w->mm, &req, S2MT_BACK_THP, &hva),
			  0);
		expect(!(hva & (SZ_2M - 1)), "HVA %#" PRIx64, hva);
		req.addr = hva + SZ_1M;
		req.flags |= S2MT_MAP_FIXED;
		expect_rc(
			s2mt_mm_mmap_anon(&w->mm, &req, S2MT_BACK_ANON, &hva2),
			0);
		gpa = SZ_1G;
		r.memory_size = SZ_2M;
		ipa = gpa;
	}
	r.guest_phys_addr = gpa;
	r.userspace_addr = hva;
	expect_rc(s2mt_vm_set_user_memory_region(vm, &r), 0);
	expect_rc(s2mt_vm_guest_abort(vm, ipa, S2MT_ACCESS_READ, &f), 0);
	v = vma_at(w, misaligned ? hva + SZ_4K : hva);
	expect(f.outcome == S2MT_FAULT_MAPPED && f.has_leaf &&
		       f.leaf.size == SZ_4K,
	       "THP VMA [%#" PRIx64 ", %#" PRIx64 ") PA %#" PRIx64
	       ": fault at IPA %#" PRIx64 " mapped IPA %#" PRIx64 " +%#" PRIx64
	       " PA %#" PRIx64 ", K4 gives a 4 KiB page",
	       v->start, v->end, v->pa, ipa, f.leaf.ipa, f.leaf.size,
	       f.leaf.pa);
	expect_rc(s2mt_check_hazards(&w->kvm, NULL, w->hz, w->hz_cap, &nr), 0);
	for (size_t i = 0; i < nr; i++)
		expect(w->hz[i].id != S2MT_Z7, "%s at IPA %#" PRIx64 ": %s",
		       s2mt_hazard_name(w->hz[i].id), w->hz[i].ipa,
		       w->hz[i].detail);
	/* One page, nothing else. */
	collect(vm, &w->leaves[0]);
	expect(w->leaves[0].nr == 1,
	       "the fault left %zu leaves, first IPA "
	       "%#" PRIx64 " PA %#" PRIx64,
	       w->leaves[0].nr, w->leaves[0].v[0].ipa, w->leaves[0].v[0].pa);
	world_free(w);
}

static void test_thp_short_vma_gets_a_page(void **state)
{
	(void)state;
	snprintf(g_cfg, sizeof(g_cfg), "6.17/grace-hopper THP");
	g_op = 0;
	step("THP VMA shorter than 2 MiB");
	thp_case(false);
}

static void test_thp_misaligned_vma_gets_a_page(void **state)
{
	(void)state;
	snprintf(g_cfg, sizeof(g_cfg), "6.17/grace-hopper THP");
	g_op = 0;
	step("THP VMA at a misaligned HVA");
	thp_case(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_k4_quirk_is_z7, teardown),
		cmocka_unit_test_teardown(test_thp_short_vma_gets_a_page,
					  teardown),
		cmocka_unit_test_teardown(test_thp_misaligned_vma_gets_a_page,
					  teardown),
		cmocka_unit_test_teardown(test_random_6_8_grace_hopper,
					  teardown),
		cmocka_unit_test_teardown(test_random_6_8_no_fwb, teardown),
		cmocka_unit_test_teardown(test_random_6_8_fwb_no_dic, teardown),
		cmocka_unit_test_teardown(test_random_6_8_qemu_max, teardown),
		cmocka_unit_test_teardown(test_random_6_9_grace_hopper,
					  teardown),
		cmocka_unit_test_teardown(test_random_6_9_no_fwb, teardown),
		cmocka_unit_test_teardown(test_random_6_9_fwb_no_dic, teardown),
		cmocka_unit_test_teardown(test_random_6_9_qemu_max, teardown),
		cmocka_unit_test_teardown(test_random_6_17_grace_hopper,
					  teardown),
		cmocka_unit_test_teardown(test_random_6_17_no_fwb, teardown),
		cmocka_unit_test_teardown(test_random_6_17_fwb_no_dic,
					  teardown),
		cmocka_unit_test_teardown(test_random_6_17_qemu_max, teardown),
	};

	g_seed = env_u64("S2MT_TEST_SEED", 0x5eed0517);
	print_message("test_model_random: seed %#" PRIx64 ", %lu steps per "
		      "configuration (S2MT_TEST_SEED, S2MT_TEST_OPS)\n",
		      g_seed, nr_ops());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
