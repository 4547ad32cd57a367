// SPDX-License-Identifier: MIT
/*
 * The environment the core's stage-2 page table runs on at EL2
 * (struct s2mt_mm_ops): table pages from a static pool, an identity
 * virt/phys map, TLB invalidation by IPA and by VMID, D-cache
 * clean+invalidate to PoC and I-cache invalidation to PoU (K5).
 */
#include "rt.h"

struct el2_mm_stats el2_mm_stats;

/* ---- table pages ---- */

#define POOL_PAGES 1024u /* 4 MiB */
#define POOL_TAIL 0xffu

static uint8_t pool[POOL_PAGES][S2MT_PAGE_SIZE]
	__attribute__((aligned(16 * S2MT_PAGE_SIZE)));
/* 0: free; n: the first of n pages allocated together; POOL_TAIL: the
 * others. */
static uint8_t pool_map[POOL_PAGES];

static void *pool_zalloc(void *ctx, unsigned nr)
{
	struct el2_mm_stats *st = ctx;
	unsigned align = 1;

	if (nr < 1 || nr > 16) {
		st->alloc_failures++;
		return NULL;
	}
	/* Contiguous and naturally aligned (A2: concatenated start tables
	 * are aligned to their total size). */
	while (align < nr)
		align <<= 1;
	for (unsigned i = 0; i + nr <= POOL_PAGES; i += align) {
		unsigned j;

		for (j = 0; j < nr && !pool_map[i + j]; j++)
			;
		if (j < nr)
			continue;
		pool_map[i] = (uint8_t)nr;
		for (j = 1; j < nr; j++)
			pool_map[i + j] = POOL_TAIL;
		memset(pool[i], 0, (size_t)nr * S2MT_PAGE_SIZE);
		st->allocs++;
		st->pages_in_use += nr;
		if (st->pages_in_use > st->pages_peak)
			st->pages_peak = st->pages_in_use;
		return pool[i];
	}
	st->alloc_failures++;
	return NULL;
}

static void pool_free(void *ctx, void *va, unsigned nr)
{
	struct el2_mm_stats *st = ctx;
	uintptr_t off = (uintptr_t)va - (uintptr_t)pool;
	unsigned i = (unsigned)(off / S2MT_PAGE_SIZE);

	if ((uintptr_t)va < (uintptr_t)pool || off % S2MT_PAGE_SIZE ||
	    i >= POOL_PAGES || pool_map[i] != nr) {
		st->bad_frees++;
		el2_fail("mm: bad free of %u page(s) at %p", nr, va);
		return;
	}
	for (unsigned j = 0; j < nr; j++)
		pool_map[i + j] = 0;
	st->frees++;
	st->pages_in_use -= nr;
}

static uint64_t id_virt_to_phys(void *ctx, void *va)
{
	(void)ctx;
	return (uint64_t)(uintptr_t)va;
}

static void *id_phys_to_virt(void *ctx, uint64_t pa)
{
	(void)ctx;
	return (void *)(uintptr_t)pa;
}

/* ---- TLB maintenance ---- */

#define VTTBR_VMID_SHIFT 48
#define VTTBR_VMID_MASK (0xffffull << VTTBR_VMID_SHIFT)

/* TLBI by IPA acts on the VMID in VTTBR_EL2: load the one asked for. */
static uint64_t vmid_enter(uint16_t vmid)
{
	uint64_t vttbr = read_sysreg(vttbr_el2);

	if (((vttbr & VTTBR_VMID_MASK) >> VTTBR_VMID_SHIFT) != vmid) {
		write_sysreg((vttbr & ~VTTBR_VMID_MASK) |
				     (uint64_t)vmid << VTTBR_VMID_SHIFT,
			     vttbr_el2);
		isb();
	}
	return vttbr;
}

static void vmid_exit(uint64_t vttbr)
{
	if (read_sysreg(vttbr_el2) != vttbr) {
		write_sysreg(vttbr, vttbr_el2);
		isb();
	}
}

/* Above this many pages a range costs one VMALLS12E1IS instead. */
#define TLBI_MAX_PAGES 64u

static void tlbi_ipa(void *ctx, uint16_t vmid, uint64_t ipa, uint64_t size,
		     unsigned level)
{
	struct el2_mm_stats *st = ctx;
	uint64_t vttbr = vmid_enter(vmid);
	uint64_t pages = size >> S2MT_PAGE_SHIFT;

	st->tlbi_ipa++;
	dsb(ishst);
	if (level != S2MT_LEVEL_ANY) {
		/* One leaf: TLBI by IPA removes every entry that translates
		 * the address, whatever its size (a block included). */
		__asm__ volatile("tlbi ipas2e1is, %0"
				 :
				 : "r"(ipa >> S2MT_PAGE_SHIFT)
				 : "memory");
		st->tlbi_ipa_pages++;
	} else if (pages <= TLBI_MAX_PAGES) {
		/* A table entry: the leaves below it, page by page. */
		for (uint64_t i = 0; i < pages; i++)
			__asm__ volatile("tlbi ipas2e1is, %0"
					 :
					 : "r"((ipa >> S2MT_PAGE_SHIFT) + i)
					 : "memory");
		st->tlbi_ipa_pages += pages;
	} else {
		__asm__ volatile("tlbi vmalls12e1is" : : : "memory");
		st->tlbi_vmalls12++;
	}
	dsb(ish);
	/* Combined stage-1+2 entries are tagged by VA, not IPA: drop them
	 * all for this VMID. */
	__asm__ volatile("tlbi vmalle1is" : : : "memory");
	dsb(ish);
	isb();
	vmid_exit(vttbr);
}

static void tlbi_vmid(void *ctx, uint16_t vmid)
{
	struct el2_mm_stats *st = ctx;
	uint64_t vttbr = vmid_enter(vmid);

	st->tlbi_vmid++;
	dsb(ishst);
	__asm__ volatile("tlbi vmalls12e1is" : : : "memory");
	dsb(ish);
	isb();
	vmid_exit(vttbr);
}

void el2_tlbi_el1(void)
{
	dsb(ishst);
	__asm__ volatile("tlbi vmalle1is" : : : "memory");
	dsb(ish);
	isb();
}

void el2_s2_activate(const struct s2mt_pgt *pgt)
{
	write_sysreg(s2mt_pgt_vtcr(pgt), vtcr_el2);
	write_sysreg(s2mt_pgt_vttbr(pgt), vttbr_el2);
	isb();
	dsb(ishst);
	__asm__ volatile("tlbi vmalls12e1is" : : : "memory");
	dsb(ish);
	isb();
}

/* ---- cache maintenance (K5) ---- */

static bool pa_in_ram(uint64_t pa, uint64_t size)
{
	return pa >= VIRT_RAM_BASE && size <= VIRT_RAM_SIZE &&
		pa - VIRT_RAM_BASE <= VIRT_RAM_SIZE - size;
}

void el2_dcache_clean_inval(uint64_t pa, uint64_t size)
{
	uint64_t line = el2_cpu.dline;

	for (uint64_t a = pa & ~(line - 1); a < pa + size; a += line)
		__asm__ volatile("dc civac, %0" : : "r"(a) : "memory");
	dsb(ish);
}

static void dcache_clean_inval_poc(void *ctx, uint64_t pa, uint64_t size)
{
	struct el2_mm_stats *st = ctx;

	st->dclean++;
	st->dclean_bytes += size;
	/* Only RAM has a (linear, here identity) mapping to clean through;
	 * the core must never ask for anything else (K5, Z2). */
	if (!pa_in_ram(pa, size)) {
		st->dclean_outside_ram++;
		el2_fail("mm: D-cache clean of PA 0x%lx+0x%lx outside RAM", pa,
			 size);
		return;
	}
	el2_dcache_clean_inval(pa, size);
}

static void icache_inval_pou(void *ctx, uint64_t pa, uint64_t size)
{
	struct el2_mm_stats *st = ctx;
	uint64_t dline = el2_cpu.dline, iline = el2_cpu.iline;

	st->iinval++;
	if (!pa_in_ram(pa, size)) {
		el2_fail("mm: I-cache invalidation of PA 0x%lx+0x%lx outside "
			 "RAM",
			 pa, size);
		return;
	}
	if (!el2_cpu.idc) {
		for (uint64_t a = pa & ~(dline - 1); a < pa + size; a += dline)
			__asm__ volatile("dc cvau, %0" : : "r"(a) : "memory");
		dsb(ish);
	}
	if (size > 64 * 1024) {
		__asm__ volatile("ic ialluis" : : : "memory");
	} else {
		for (uint64_t a = pa & ~(iline - 1); a < pa + size; a += iline)
			__asm__ volatile("ic ivau, %0" : : "r"(a) : "memory");
	}
	dsb(ish);
	isb();
}

const struct s2mt_mm_ops el2_mm_ops = {
	.zalloc_pages = pool_zalloc,
	.free_pages = pool_free,
	.virt_to_phys = id_virt_to_phys,
	.phys_to_virt = id_phys_to_virt,
	.tlbi_ipa = tlbi_ipa,
	.tlbi_vmid = tlbi_vmid,
	.dcache_clean_inval_poc = dcache_clean_inval_poc,
	.icache_inval_pou = icache_inval_pou,
	.p2v_linear = true,
	.p2v_offset = 0,
};
