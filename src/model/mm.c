// SPDX-License-Identifier: MIT
/*
 * s2mt model: a VMM's address space on the Linux/arm64 host (H2, H5, H6):
 * its VMAs, built the way the kernel's mmap paths build them, mmap, munmap
 * and mprotect, the MMU notifiers, and what the host maps in private
 * anonymous memory (the zero page, the huge zero page, THPs), which KVM's
 * fault path asks it for.
 *
 * Every refusal leaves a reason naming the rule in `why` (and the rule id in
 * `rule`) and changes nothing else. Where the model is stricter or simpler
 * than Linux, the comment says so.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <s2mt/model.h>

#include "host_internal.h"

__attribute__((format(printf, 4, 5))) static int mm_fail(struct s2mt_mm *mm,
							 int err,
							 const char *rule,
							 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_why(mm->why, &mm->rule, rule, fmt, ap);
	va_end(ap);
	return err;
}

/* ------------------------------------------------------------------ */
/* The VMM's address space                                             */
/* ------------------------------------------------------------------ */

int s2mt_mm_init(struct s2mt_mm *mm, struct s2mt_host *host)
{
	if (!mm)
		return -S2MT_EINVAL;
	if (!host)
		return mm_fail(mm, -S2MT_EINVAL, "H2", "no host given");
	memset(mm, 0, sizeof(*mm));
	mm->host = host;
	mm->mmap_next = S2MT_MMAP_BASE;
	return 0;
}

/* Host RAM is the host's first region (s2mt_host_init), from
 * S2MT_HOST_RAM_BASE. */
static bool ram_page(const struct s2mt_mm *mm, uint64_t pa, uint64_t *page)
{
	const struct s2mt_phys_region *r = &mm->host->regions[0];

	if (pa < S2MT_HOST_RAM_BASE || pa - S2MT_HOST_RAM_BASE >= r->size)
		return false;
	*page = (pa - S2MT_HOST_RAM_BASE) / SZ_4K;
	return true;
}

/*
 * Page bitmaps of host RAM (written, zero_mapped: one bit a 4 KiB page
 * from S2MT_HOST_RAM_BASE, allocated on first use, written_words long).
 * Ranges go a word at a time: a 2 MiB or 1 GiB page is 8 or 4096 words.
 */
static uint64_t range_mask(uint64_t page, uint64_t last)
{
	uint64_t lo = page % 64, n = last - page + 1;

	if (n > 64 - lo)
		n = 64 - lo;
	return (n == 64 ? ~0ull : (1ull << n) - 1) << lo;
}

/* Whether every bit of [page, last] is set (all = true) or whether any
 * is (all = false). */
static bool bits_test(const struct s2mt_mm *mm, const uint64_t *map,
		      uint64_t page, uint64_t last, bool all)
{
	if (!map || last / 64 >= mm->written_words)
		return false;
	while (page <= last) {
		uint64_t m = range_mask(page, last), w = map[page / 64] & m;

		if (all ? w != m : w != 0)
			return !all;
		page = (page | 63) + 1;
	}
	return all;
}

bool s2mt_mm_written(const struct s2mt_mm *mm, uint64_t pa, uint64_t size)
{
	uint64_t page;

	if (!mm || !size || !ram_page(mm, pa, &page))
		return false;
	return bits_test(mm, mm->written, page, page + size / SZ_4K - 1, true);
}

uint64_t s2mt_mm_written_run(const struct s2mt_mm *mm, uint64_t pa,
			     uint64_t size)
{
	uint64_t page, n = 1, pages = size / SZ_4K;
	bool first;

	if (!mm || !ram_page(mm, pa, &page))
		return size;
	first = bits_test(mm, mm->written, page, page, true);
	while (n < pages) {
		uint64_t last = page + pages - 1, p = page + n;
		uint64_t m = range_mask(p, last);
		uint64_t w = mm->written && p / 64 < mm->written_words
			? mm->written[p / 64]
			: 0;
		uint64_t differ = (first ? ~w : w) & m;

		if (differ) {
			n += (uint64_t)__builtin_ctzll(differ) - p % 64;
			break;
		}
		n = (p | 63) + 1 - page;
	}
	return (n < pages ? n : pages) * SZ_4K;
}

/* Sets (or clears) the bits of the 4 KiB pages [pa, pa+size) of host RAM
 * in *map. Outside host RAM: nothing. */
static void mark_bits(struct s2mt_mm *mm, uint64_t **map, uint64_t pa,
		      uint64_t size, bool set)
{
	uint64_t page, last;

	if (!size || !ram_page(mm, pa, &page) ||
	    !ram_page(mm, pa + size - 1, &last))
		return;
	if (!*map) {
		size_t words =
			(size_t)((mm->host->regions[0].size / SZ_4K + 63) / 64);

		if (!set)
			return;
		*map = calloc(words, sizeof(uint64_t));
		if (!*map)
			s2mt_oom("a page bitmap of host RAM",
				 words * sizeof(uint64_t));
		mm->written_words = words;
	}
	while (page <= last) {
		uint64_t m = range_mask(page, last);

		if (set)
			(*map)[page / 64] |= m;
		else
			(*map)[page / 64] &= ~m;
		page = (page | 63) + 1;
		/* Whole words in between (a 2 MiB page is 8 of them). */
		for (; page + 63 <= last; page += 64)
			(*map)[page / 64] = set ? ~0ull : 0;
	}
}

void s2mt_mm_mark_written(struct s2mt_mm *mm, uint64_t pa, uint64_t size)
{
	if (mm)
		mark_bits(mm, &mm->written, pa, size, true);
}

bool s2mt_mm_zero_mapped(const struct s2mt_mm *mm, uint64_t pa, uint64_t size)
{
	uint64_t page;

	if (!mm || !size || !ram_page(mm, pa, &page))
		return false;
	return bits_test(mm, mm->zero_mapped, page, page + size / SZ_4K - 1,
			 true);
}

/* ------------------------------------------------------------------ */
/* H6: transparent huge pages                                          */
/* ------------------------------------------------------------------ */

static void mm_notify(struct s2mt_mm *mm, uint64_t start, uint64_t end);
static uint64_t hugetlb_size(unsigned backing);

bool s2mt_mm_thp_eligible(const struct s2mt_mm *mm, const struct s2mt_vma *vma)
{
	unsigned mode = mm->host->thp;

	/* Private only: shared anonymous memory is shmem, whose huge pages
	 * have their own knob (shmem_enabled, never by default). */
	if (vma->flags & (S2MT_VM_SHARED | S2MT_VM_PFNMAP | S2MT_VM_HUGETLB))
		return false;
	if (vma->backing == S2MT_BACK_THP)
		return mode != S2MT_THP_NEVER;
	return vma->backing == S2MT_BACK_ANON && mode == S2MT_THP_ALWAYS;
}

/* The block at hva can be PMD-mapped: an eligible VMA covers all of it,
 * and its PA is 2 MiB-aligned there (a THP is a naturally aligned 2 MiB
 * folio). *index: the block's slot in thp_state. */
static bool thp_block(const struct s2mt_mm *mm, const struct s2mt_vma *vma,
		      uint64_t hva, size_t *index)
{
	uint64_t start = hva & ~(uint64_t)(SZ_2M - 1), pa, page;

	if (!s2mt_mm_thp_eligible(mm, vma) || start < vma->start ||
	    vma->end - start < SZ_2M)
		return false;
	pa = vma->pa + (start - vma->start);
	if (pa % SZ_2M || !ram_page(mm, pa, &page))
		return false;
	*index = (size_t)(page / (SZ_2M / SZ_4K));
	return true;
}

unsigned s2mt_mm_thp_state(const struct s2mt_mm *mm, const struct s2mt_vma *vma,
			   uint64_t hva)
{
	size_t i;

	if (!mm || !vma || !thp_block(mm, vma, hva, &i))
		return S2MT_THP_SPLIT;
	return i < mm->thp_regions ? mm->thp_state[i] : S2MT_THP_UNTOUCHED;
}

/* H6: a THP block's host fault. Returns the host mapping size, or 0 when
 * the block is (now) 4 KiB pages and the page's own fault follows. */
static uint64_t thp_fault(struct s2mt_mm *mm, const struct s2mt_vma *vma,
			  uint64_t hva, bool write, size_t i)
{
	uint64_t start = hva & ~(uint64_t)(SZ_2M - 1);
	uint64_t pa = vma->pa + (start - vma->start);
	unsigned state;

	if (!mm->thp_state) {
		const struct s2mt_phys_region *r =
			s2mt_host_region(mm->host, S2MT_HOST_RAM_BASE);
		size_t n = (size_t)(r->size / SZ_2M);

		mm->thp_state = calloc(n, 1);
		if (!mm->thp_state)
			s2mt_oom("the THP state map", n);
		mm->thp_regions = n;
	}
	state = mm->thp_state[i];
	switch (state) {
	case S2MT_THP_UNTOUCHED:
		/* do_huge_pmd_anonymous_page(): a read maps the huge zero
		 * page when use_zero_page allows; anything else gets a THP,
		 * mapped writable and dirty, so all of it counts as written
		 * (H5). */
		if (!write && mm->host->thp_zero_page) {
			state = S2MT_THP_ZERO;
		} else {
			state = S2MT_THP_HUGE;
			s2mt_mm_mark_written(mm, pa, SZ_2M);
		}
		break;
	case S2MT_THP_ZERO:
		if (!write)
			break;
		/* do_huge_pmd_wp_page() on the huge zero page: 6.13 puts a
		 * THP in its place; older kernels split the PMD into zero
		 * page PTEs and copy the written page (do_wp_page), in the
		 * same fault. Either way the PMD changes under the secondary
		 * MMUs, which are told (K8). */
		if (s2mt_kernel_has(&mm->host->kernel,
				    S2MT_KF_THP_ZERO_WP_ALLOC)) {
			state = S2MT_THP_HUGE;
			s2mt_mm_mark_written(mm, pa, SZ_2M);
		} else {
			uint64_t page = vma->pa +
				((hva & ~(uint64_t)(SZ_4K - 1)) - vma->start);

			state = S2MT_THP_SPLIT;
			mark_bits(mm, &mm->zero_mapped, pa, SZ_2M, true);
			mark_bits(mm, &mm->zero_mapped, page, SZ_4K, false);
			s2mt_mm_mark_written(mm, page, SZ_4K);
		}
		mm->thp_state[i] = (uint8_t)state;
		mm_notify(mm, start, start + SZ_2M);
		break;
	default:
		break;
	}
	mm->thp_state[i] = (uint8_t)state;
	return state == S2MT_THP_SPLIT ? 0 : SZ_2M;
}

/* One page's bit, for the fault path. */
static bool page_bit(const struct s2mt_mm *mm, const uint64_t *map, uint64_t n)
{
	return map && n / 64 < mm->written_words &&
		(map[n / 64] >> (n % 64) & 1);
}

uint64_t s2mt_mm_fault(struct s2mt_mm *mm, const struct s2mt_vma *vma,
		       uint64_t hva, bool write)
{
	uint64_t page, pa, size;
	size_t i;

	if (!mm || !vma || hva < vma->start || hva >= vma->end)
		return SZ_4K;
	/* Neither hugetlb nor shared nor PFN-mapped memory is THP-eligible:
	 * those go first, as they are cheaper to tell. */
	if (vma->flags & S2MT_VM_HUGETLB)
		return hugetlb_size(vma->backing);
	if (vma->flags & (S2MT_VM_SHARED | S2MT_VM_PFNMAP) ||
	    vma->backing == S2MT_BACK_PFN)
		return SZ_4K;
	if (thp_block(mm, vma, hva, &i)) {
		size = thp_fault(mm, vma, hva, write, i);
		if (size)
			return size;
	}
	page = hva & ~(uint64_t)(SZ_4K - 1);
	pa = vma->pa + (page - vma->start);
	s2mt_mm_fault_page(mm, page, pa, write);
	return SZ_4K;
}

void s2mt_mm_fault_page(struct s2mt_mm *mm, uint64_t hva, uint64_t pa,
			bool write)
{
	uint64_t n;

	if (!ram_page(mm, pa, &n) || page_bit(mm, mm->written, n))
		return;
	if (!write) {
		/* do_anonymous_page(): the zero page, read-only. */
		if (!page_bit(mm, mm->zero_mapped, n))
			mark_bits(mm, &mm->zero_mapped, pa, SZ_4K, true);
		return;
	}
	/* A new page (do_anonymous_page()), or do_wp_page() copying the
	 * zero page and replacing the PTE: the secondary MMUs are told
	 * (K8). Either way the page is the process's own from now on, even
	 * if KVM then retries. */
	if (mm->written)
		mm->written[n / 64] |= 1ull << (n % 64);
	else
		mark_bits(mm, &mm->written, pa, SZ_4K, true);
	if (page_bit(mm, mm->zero_mapped, n)) {
		mm->zero_mapped[n / 64] &= ~(1ull << (n % 64));
		hva &= ~(uint64_t)(SZ_4K - 1);
		mm_notify(mm, hva, hva + SZ_4K);
	}
}

/* Whether the fault at hva would replace a page the host has mapped. */
static bool fault_notifies(const struct s2mt_mm *mm, const struct s2mt_vma *vma,
			   uint64_t hva, bool write)
{
	uint64_t pa = vma->pa + ((hva & ~(uint64_t)(SZ_4K - 1)) - vma->start);
	size_t i;

	if (!write)
		return false;
	if (thp_block(mm, vma, hva, &i) && i < mm->thp_regions &&
	    mm->thp_state[i] == S2MT_THP_ZERO)
		return true;
	return !(vma->flags & S2MT_VM_HUGETLB) &&
		!s2mt_mm_written(mm, pa, SZ_4K) &&
		s2mt_mm_zero_mapped(mm, pa, SZ_4K);
}

uint64_t s2mt_mm_fault_run(struct s2mt_mm *mm, const struct s2mt_vma *vma,
			   uint64_t hva, uint64_t len, bool write)
{
	uint64_t done = 0;

	if (!mm || !vma)
		return 0;
	for (; done < len && hva + done < vma->end; done += SZ_4K) {
		if (fault_notifies(mm, vma, hva + done, write))
			break;
		s2mt_mm_fault(mm, vma, hva + done, write);
	}
	return done;
}

void s2mt_mm_fini(struct s2mt_mm *mm)
{
	if (!mm)
		return;
	free(mm->thp_state);
	mm->thp_state = NULL;
	mm->thp_regions = 0;
	free(mm->written);
	mm->written = NULL;
	free(mm->zero_mapped);
	mm->zero_mapped = NULL;
	mm->written_words = 0;
	free(mm->vmas);
	mm->vmas = NULL;
	mm->nr_vmas = 0;
	mm->vma_gen++;
	mm->cap_vmas = 0;
	mm->nr_notifiers = 0;
}

int s2mt_mm_register_notifier(struct s2mt_mm *mm,
			      const struct s2mt_mm_notifier *n)
{
	if (!mm)
		return -S2MT_EINVAL;
	if (!n || !n->invalidate)
		return mm_fail(mm, -S2MT_EINVAL, "K8",
			       "a notifier needs an invalidate callback");
	if (mm->nr_notifiers >= S2MT_MAX_NOTIFIERS)
		return mm_fail(mm, -S2MT_ENOSPC, "K8",
			       "%d MMU notifiers registered already",
			       S2MT_MAX_NOTIFIERS);
	mm->notifiers[mm->nr_notifiers++] = *n;
	return 0;
}

/* Removes every notifier registered with arg. */
void s2mt_mm_unregister_notifier(struct s2mt_mm *mm, void *arg)
{
	size_t i, j = 0;

	if (!mm)
		return;
	for (i = 0; i < mm->nr_notifiers; i++)
		if (mm->notifiers[i].arg != arg)
			mm->notifiers[j++] = mm->notifiers[i];
	mm->nr_notifiers = j;
}

/*
 * K8: the MMU notifier. Linux calls invalidate_range_start() once the VMAs
 * are detached (munmap) or their flags updated (mprotect); here it runs once
 * the VMA array is consistent again, so a callback may look at it (but must
 * not change the address space). A snapshot lets a callback unregister.
 */
static void mm_notify(struct s2mt_mm *mm, uint64_t start, uint64_t end)
{
	struct s2mt_mm_notifier snap[S2MT_MAX_NOTIFIERS];
	size_t i, nr = mm->nr_notifiers;

	memcpy(snap, mm->notifiers, nr * sizeof(snap[0]));
	for (i = 0; i < nr; i++)
		snap[i].invalidate(snap[i].arg, start, end);
}

/* Index of the first VMA ending above addr (nr_vmas if none). */
static size_t vma_first_above(const struct s2mt_mm *mm, uint64_t addr)
{
	size_t lo = 0, hi = mm->nr_vmas;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (mm->vmas[mid].end > addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

const struct s2mt_vma *s2mt_mm_find_vma(const struct s2mt_mm *mm, uint64_t hva)
{
	size_t i;

	if (!mm)
		return NULL;
	i = vma_first_above(mm, hva);
	if (i < mm->nr_vmas && mm->vmas[i].start <= hva)
		return &mm->vmas[i];
	return NULL;
}

const struct s2mt_vma *s2mt_mm_find_vma_intersection(const struct s2mt_mm *mm,
						     uint64_t start,
						     uint64_t end)
{
	size_t i;

	if (!mm || start >= end)
		return NULL;
	i = vma_first_above(mm, start);
	if (i < mm->nr_vmas && mm->vmas[i].start < end)
		return &mm->vmas[i];
	return NULL;
}

bool s2mt_mm_hva_to_pa(const struct s2mt_mm *mm, uint64_t hva, uint64_t *pa)
{
	const struct s2mt_vma *vma = s2mt_mm_find_vma(mm, hva);

	if (!vma)
		return false;
	if (pa)
		*pa = vma->pa + (hva - vma->start);
	return true;
}

static uint64_t hugetlb_size(unsigned backing)
{
	return backing == S2MT_BACK_HUGETLB_1G ? SZ_1G : SZ_2M;
}

static bool backing_is_hugetlb(unsigned backing)
{
	return backing == S2MT_BACK_HUGETLB_2M ||
		backing == S2MT_BACK_HUGETLB_1G;
}

/* Room for `extra` more VMAs, so that a change cannot fail half-way. */
static int mm_reserve(struct s2mt_mm *mm, size_t extra)
{
	size_t want = mm->nr_vmas + extra, cap;
	struct s2mt_vma *v;

	if (want <= mm->cap_vmas)
		return 0;
	cap = mm->cap_vmas ? mm->cap_vmas * 2 : 16;
	while (cap < want)
		cap *= 2;
	v = realloc(mm->vmas, cap * sizeof(*v));
	if (!v)
		return mm_fail(mm, -S2MT_ENOMEM, "H2",
			       "out of memory for %zu VMAs", cap);
	mm->vmas = v;
	mm->cap_vmas = cap;
	mm->vma_gen++; /* the VMAs moved */
	return 0;
}

/*
 * H2: a hugetlb VMA can only be split at a huge-page boundary
 * (hugetlb_vm_op_split() refuses with -EINVAL), so munmap, mprotect and a
 * MAP_FIXED replacement that would cut one elsewhere fail.
 */
static int mm_check_split(struct s2mt_mm *mm, uint64_t addr)
{
	const struct s2mt_vma *v = s2mt_mm_find_vma(mm, addr);

	if (v && v->start < addr && (v->flags & S2MT_VM_HUGETLB) &&
	    addr % hugetlb_size(v->backing))
		return mm_fail(mm, -S2MT_EINVAL, "H2",
			       "0x%" PRIx64 " would split the hugetlb VMA "
			       "[0x%" PRIx64 ", 0x%" PRIx64
			       ") off a huge-page boundary",
			       addr, v->start, v->end);
	return 0;
}

/* H2: the VMAs can be split at start and at end where asked, and there is
 * room for the pieces (munmap, mprotect). */
static int mm_check_ends(struct s2mt_mm *mm, uint64_t start, bool at_start,
			 uint64_t end, bool at_end)
{
	int err = at_start ? mm_check_split(mm, start) : 0;

	if (!err && at_end)
		err = mm_check_split(mm, end);
	if (!err && (at_start || at_end))
		err = mm_reserve(mm, 2);
	return err;
}

/*
 * H6: a VMA boundary inside a 2 MiB block the host maps with a PMD splits
 * the PMD (vma_adjust_trans_huge()): the huge zero page becomes 512
 * zero-page PTEs, a THP the PTEs of its folio's pages, which are the
 * process's own already (written). Neither piece of the VMA covers the
 * block any more, so it stays 4 KiB pages; the secondary MMUs are told
 * (K8), as __split_huge_pmd() tells them.
 */
static void thp_split_pmd(struct s2mt_mm *mm, const struct s2mt_vma *v,
			  uint64_t addr)
{
	uint64_t start = addr & ~(uint64_t)(SZ_2M - 1);
	size_t i;

	if (addr == start || !thp_block(mm, v, addr, &i) ||
	    i >= mm->thp_regions)
		return;
	switch (mm->thp_state[i]) {
	case S2MT_THP_ZERO:
		mark_bits(mm, &mm->zero_mapped, v->pa + (start - v->start),
			  SZ_2M, true);
		break;
	case S2MT_THP_HUGE:
		break;
	default:
		return;
	}
	mm->thp_state[i] = S2MT_THP_SPLIT;
	mm_notify(mm, start, start + SZ_2M);
}

/* Split the VMA strictly containing addr in two; needs one free slot.
 * The right-hand piece keeps the PA contiguous: pa + (addr - start). */
static void mm_split_at(struct s2mt_mm *mm, uint64_t addr)
{
	size_t i = vma_first_above(mm, addr);
	struct s2mt_vma *v;

	if (i >= mm->nr_vmas || mm->vmas[i].start >= addr)
		return;
	thp_split_pmd(mm, &mm->vmas[i], addr);
	memmove(&mm->vmas[i + 1], &mm->vmas[i],
		(mm->nr_vmas - i) * sizeof(mm->vmas[0]));
	mm->nr_vmas++;
	v = &mm->vmas[i];
	v[1].start = addr;
	v[1].pa = v->pa + (addr - v->start);
	v->end = addr;
	mm->vma_gen++;
}

/* Remove [start, end) (needs two free slots); whether anything was mapped. */
static bool mm_remove_range(struct s2mt_mm *mm, uint64_t start, uint64_t end)
{
	size_t i, j;

	mm_split_at(mm, start);
	mm_split_at(mm, end);
	i = vma_first_above(mm, start);
	for (j = i; j < mm->nr_vmas && mm->vmas[j].start < end; j++)
		;
	if (j == i)
		return false;
	memmove(&mm->vmas[i], &mm->vmas[j],
		(mm->nr_vmas - j) * sizeof(mm->vmas[0]));
	mm->nr_vmas -= j - i;
	mm->vma_gen++;
	return true;
}

/* Insert a VMA into a free range (needs one free slot). */
static void mm_insert(struct s2mt_mm *mm, const struct s2mt_vma *vma)
{
	size_t i = vma_first_above(mm, vma->start);

	memmove(&mm->vmas[i + 1], &mm->vmas[i],
		(mm->nr_vmas - i) * sizeof(mm->vmas[0]));
	mm->vmas[i] = *vma;
	mm->nr_vmas++;
	mm->vma_gen++;
}

static bool mm_range_free(const struct s2mt_mm *mm, uint64_t start,
			  uint64_t len)
{
	return start < S2MT_TASK_SIZE && S2MT_TASK_SIZE - start >= len &&
		!s2mt_mm_find_vma_intersection(mm, start, start + len);
}

/*
 * The lowest free [addr, addr + len) at or above mmap_next with
 * addr % align == off. First fit, bottom-up: Linux searches top-down from
 * mmap_base, which changes the numbers, not the alignment rules.
 */
static bool mm_find_gap(const struct s2mt_mm *mm, uint64_t len, uint64_t align,
			uint64_t off, uint64_t *out)
{
	uint64_t lo = mm->mmap_next;
	size_t i = vma_first_above(mm, lo);

	for (;;) {
		uint64_t gap_end =
			i < mm->nr_vmas ? mm->vmas[i].start : S2MT_TASK_SIZE;
		uint64_t cand;

		if (!align_up_off(lo, align, off, &cand) ||
		    cand >= S2MT_TASK_SIZE)
			return false;
		if (cand <= gap_end && gap_end - cand >= len) {
			*out = cand;
			return true;
		}
		if (i >= mm->nr_vmas)
			return false;
		if (mm->vmas[i].end > lo)
			lo = mm->vmas[i].end;
		i++;
	}
}

/* What a driver's mmap handler decided, before the address is chosen. */
struct mmap_plan {
	struct s2mt_vma vma; /* start/end/pa filled in later (pa for RAM) */
	uint64_t len; /* page-aligned */
	uint64_t align, off; /* preferred placement (natural or align_hint) */
	uint64_t hard_align, hard_off; /* what a hint must satisfy too */
	uint64_t ram_align; /* 0: not backed by host RAM */
	/* H6: the PA is congruent to the address modulo ram_align (THP
	 * folios are naturally aligned, wherever the VMA starts). */
	bool ram_congruent;
};

static unsigned prot_to_vm(unsigned prot)
{
	unsigned f = 0;

	if (prot & S2MT_PROT_READ)
		f |= S2MT_VM_READ;
	if (prot & S2MT_PROT_WRITE)
		f |= S2MT_VM_WRITE;
	if (prot & S2MT_PROT_EXEC)
		f |= S2MT_VM_EXEC;
	return f;
}

/*
 * What do_mmap() checks for every mapping, and the VMA flags every mapping
 * gets: VM_READ/WRITE/EXEC from prot (calc_vm_prot_bits) and VM_SHARED with
 * MAP_SHARED (H2). The page-aligned length goes to plan->len.
 */
static int mm_check_req(struct s2mt_mm *mm, const struct s2mt_mmap_req *req,
			uint64_t *hva, struct mmap_plan *plan)
{
	unsigned type;

	if (!req || !hva)
		return mm_fail(mm, -S2MT_EINVAL, "H2",
			       "mmap needs a request and a result pointer");
	if (req->prot & ~S2MT_PROT_ALL)
		return mm_fail(mm, -S2MT_EINVAL, "H2",
			       "prot 0x%x has bits other than "
			       "PROT_READ|PROT_WRITE|PROT_EXEC",
			       req->prot);
	/* The model knows no other flags; Linux ignores unknown ones without
	 * MAP_SHARED_VALIDATE (= SHARED|PRIVATE), which the model refuses. */
	if (req->flags & ~S2MT_MAP_KNOWN)
		return mm_fail(mm, -S2MT_EINVAL, "H2",
			       "mmap flags 0x%x are not modelled", req->flags);
	type = req->flags & (S2MT_MAP_SHARED | S2MT_MAP_PRIVATE);
	if (type != S2MT_MAP_SHARED && type != S2MT_MAP_PRIVATE)
		return mm_fail(mm, -S2MT_EINVAL, "H2",
			       "mmap needs exactly one of MAP_SHARED and "
			       "MAP_PRIVATE (flags 0x%x)",
			       req->flags);
	if (!req->len)
		return mm_fail(mm, -S2MT_EINVAL, "H2", "mmap of length 0");
	if (!align_up(req->len, SZ_4K, &plan->len) ||
	    plan->len > S2MT_TASK_SIZE)
		return mm_fail(mm, -S2MT_ENOMEM, "H2",
			       "length 0x%" PRIx64
			       " does not fit in the address space",
			       req->len);
	if (req->align_hint &&
	    (!is_pow2(req->align_hint) || req->align_hint < SZ_4K ||
	     req->align_hint > S2MT_TASK_SIZE ||
	     req->align_offset >= req->align_hint || req->align_offset % SZ_4K))
		return mm_fail(mm, -S2MT_EINVAL, "H2",
			       "align_hint 0x%" PRIx64 " / offset 0x%" PRIx64
			       " is not a power of two >= 4 KiB with a "
			       "page-aligned offset below it",
			       req->align_hint, req->align_offset);

	memset(&plan->vma, 0, sizeof(plan->vma));
	plan->vma.flags = prot_to_vm(req->prot);
	if (type == S2MT_MAP_SHARED)
		plan->vma.flags |= S2MT_VM_SHARED;
	plan->vma.device = -1;
	plan->align = SZ_4K;
	plan->off = 0;
	plan->hard_align = SZ_4K;
	plan->hard_off = 0;
	plan->ram_align = 0;
	plan->ram_congruent = false;
	return 0;
}

/* align_hint overrides the natural placement (to reproduce misaligned
 * mmaps) and binds hints as well. */
static void plan_apply_align_hint(struct mmap_plan *plan,
				  const struct s2mt_mmap_req *req)
{
	if (!req->align_hint)
		return;
	plan->align = plan->hard_align = req->align_hint;
	plan->off = plan->hard_off = req->align_offset;
}

/* Choose the address, take the RAM, and insert the VMA: the only part of an
 * mmap that changes anything, and only once nothing can fail. */
static int mm_mmap_commit(struct s2mt_mm *mm, const struct s2mt_mmap_req *req,
			  struct mmap_plan *plan, uint64_t *hva)
{
	struct s2mt_host *host = mm->host;
	uint64_t len = plan->len, addr = 0, pa = 0;
	bool replaced = false;
	int err;

	if (req->flags & S2MT_MAP_FIXED) {
		if (req->addr % SZ_4K)
			return mm_fail(mm, -S2MT_EINVAL, "H2",
				       "MAP_FIXED address 0x%" PRIx64
				       " is not page aligned",
				       req->addr);
		if (backing_is_hugetlb(plan->vma.backing) &&
		    req->addr % hugetlb_size(plan->vma.backing))
			return mm_fail(mm, -S2MT_EINVAL, "H2",
				       "MAP_FIXED address 0x%" PRIx64
				       " is not aligned to the huge page size "
				       "0x%" PRIx64,
				       req->addr,
				       hugetlb_size(plan->vma.backing));
		if (req->addr >= S2MT_TASK_SIZE ||
		    S2MT_TASK_SIZE - req->addr < len)
			return mm_fail(mm, -S2MT_ENOMEM, "H2",
				       "[0x%" PRIx64 ", +0x%" PRIx64
				       ") is beyond TASK_SIZE",
				       req->addr, len);
		addr = req->addr;
		err = mm_check_split(mm, addr);
		if (!err)
			err = mm_check_split(mm, addr + len);
		if (err)
			return err;
	} else {
		uint64_t h;
		bool found = false;

		/* A hint is taken (page-aligned up, and up to the alignment a
		 * hugetlb mapping or align_hint requires) when that range is
		 * free, as generic_get_unmapped_area() does; the natural
		 * THP/device alignment is only a preference. */
		if (req->addr && align_up(req->addr, SZ_4K, &h) &&
		    align_up_off(h, plan->hard_align, plan->hard_off, &h) &&
		    mm_range_free(mm, h, len)) {
			addr = h;
			found = true;
		}
		if (!found &&
		    !mm_find_gap(mm, len, plan->align, plan->off, &addr))
			return mm_fail(mm, -S2MT_ENOMEM, "H2",
				       "no free 0x%" PRIx64
				       "-byte range aligned to 0x%" PRIx64
				       " (+0x%" PRIx64 ")",
				       len, plan->align, plan->off);
	}

	if (plan->ram_align) {
		const struct s2mt_phys_region *ram = &host->regions[0];
		uint64_t ram_end = ram->base + ram->size;

		bool ok = align_up(host->ram_next, plan->ram_align, &pa);

		if (ok && plan->ram_congruent)
			pa += addr & (plan->ram_align - 1);
		if (!ok || pa > ram_end || ram_end - pa < len)
			return mm_fail(mm, -S2MT_ENOMEM, "H4",
				       "host RAM exhausted: 0x%" PRIx64
				       " bytes (aligned 0x%" PRIx64
				       ") wanted, 0x%" PRIx64 " left",
				       len, plan->ram_align,
				       ram_end > host->ram_next
					       ? ram_end - host->ram_next
					       : 0);
		plan->vma.pa = pa;
	}

	err = mm_reserve(mm, 3);
	if (err)
		return err;

	if (req->flags & S2MT_MAP_FIXED)
		replaced = mm_remove_range(mm, addr, addr + len);
	if (plan->ram_align)
		host->ram_next = pa + len;
	plan->vma.start = addr;
	plan->vma.end = addr + len;
	mm_insert(mm, &plan->vma);
	/* Linux never merges VM_SPECIAL (device, hugetlbfs) VMAs; it would
	 * merge compatible anonymous neighbours, which the model does not. */
	if (replaced)
		mm_notify(mm, addr, addr + len);
	*hva = addr;
	return 0;
}

/*
 * H6: where mmap puts plain anonymous memory. From 6.7 a private mapping
 * without a hint starts on a 2 MiB boundary when it is 2 MiB or longer
 * (from 6.12: a multiple of 2 MiB), whatever the THP mode. Otherwise its
 * address is only page-aligned, and with ASLR lands on a 2 MiB boundary
 * by a 1-in-512 chance: the model takes the usual case and puts a
 * mapping of 2 MiB or more one page past a boundary, so no THP can back
 * its first block. RAM under a THP-eligible mapping is congruent to its
 * address modulo 2 MiB, as THP folios are.
 */
static void anon_placement(const struct s2mt_host *host,
			   const struct s2mt_mmap_req *req,
			   struct mmap_plan *plan)
{
	const struct s2mt_kernel *k = &host->kernel;
	bool private = !(req->flags & S2MT_MAP_SHARED);
	bool aligned;

	plan->ram_align = SZ_4K;
	if (!private || plan->len < SZ_2M)
		return;
	if (s2mt_kernel_has(k, S2MT_KF_THP_ALIGN_PMD_LEN))
		aligned = plan->len % SZ_2M == 0;
	else
		aligned = s2mt_kernel_has(k, S2MT_KF_THP_ANON_ALIGN);
	plan->align = SZ_2M;
	plan->off = aligned ? 0 : SZ_4K;
	if (host->thp == S2MT_THP_ALWAYS) {
		plan->ram_align = SZ_2M;
		plan->ram_congruent = true;
	}
}

int s2mt_mm_mmap_anon(struct s2mt_mm *mm, const struct s2mt_mmap_req *req,
		      unsigned backing, uint64_t *hva)
{
	struct s2mt_host *host;
	struct mmap_plan plan;
	uint64_t huge;
	int err;

	if (!mm)
		return -S2MT_EINVAL;
	err = mm_check_req(mm, req, hva, &plan);
	if (err)
		return err;
	host = mm->host;

	plan.vma.attrindx = S2MT_MT_IDX_NORMAL; /* H1: default mmap prot */
	plan.vma.backing = (uint8_t)backing;
	switch (backing) {
	case S2MT_BACK_ANON:
	case S2MT_BACK_THP:
		plan.vma.origin = S2MT_ORIGIN_ANON;
		/* H2: arch_calc_vm_flag_bits() allows MTE on MAP_ANONYMOUS
		 * mappings, which are always tag-capable RAM, shared ones
		 * (shmem) included, in every kernel from 6.1 on. Whether KVM
		 * then takes a VM_SHARED one in an MTE VM is K6's business
		 * (S2MT_KF_MTE_SHARED, in kvm.c). */
		if (host->caps.mte)
			plan.vma.flags |= S2MT_VM_MTE_ALLOWED;
		if (backing == S2MT_BACK_THP) {
			/* K4: THP can only back 2 MiB-aligned HVA ranges with
			 * 2 MiB-aligned PAs; the VMM aligns (H6). */
			plan.align = SZ_2M;
			plan.ram_align = SZ_2M;
		} else {
			anon_placement(host, req, &plan);
		}
		plan_apply_align_hint(&plan, req);
		break;
	case S2MT_BACK_HUGETLB_2M:
	case S2MT_BACK_HUGETLB_1G:
		huge = hugetlb_size(backing);
		plan.vma.origin = S2MT_ORIGIN_HUGETLBFS;
		/* H2: hugetlbfs_file_mmap() sets VM_HUGETLB | VM_DONTEXPAND. */
		plan.vma.flags |= S2MT_VM_HUGETLB | S2MT_VM_DONTEXPAND;
		/*
		 * H2/K6: the model's hugetlb is MAP_ANONYMOUS|MAP_HUGETLB.
		 * arch_calc_vm_flag_bits() gave every MAP_ANONYMOUS mapping
		 * VM_MTE_ALLOWED, hugetlb included, by accident. A stable-only
		 * fix took it away from hugetlb (S2MT_KF_ANON_MTE_FIX: 6.1.130,
		 * 6.6.80, 6.12.17) and mainline 6.13 gave it back on purpose
		 * with real hugetlb MTE support (S2MT_KF_HUGETLB_MTE), which
		 * wins where a vendor kernel has both. Seen on real kernels
		 * in an MTE VM: a Debian 6.12.y refuses the slot (-EINVAL),
		 * 7.2 accepts it (6.1 accepts it whatever the flag: its KVM
		 * checks only VM_SHARED at registration).
		 */
		if (host->caps.mte &&
		    (s2mt_kernel_has(&host->kernel, S2MT_KF_HUGETLB_MTE) ||
		     !s2mt_kernel_has(&host->kernel, S2MT_KF_ANON_MTE_FIX)))
			plan.vma.flags |= S2MT_VM_MTE_ALLOWED;
		/* ksys_mmap_pgoff() rounds a MAP_HUGETLB length up to
		 * whole huge pages (seen on real 6.1-7.2 kernels). */
		if (plan.len > UINT64_MAX - huge)
			return mm_fail(mm, -S2MT_EINVAL, "H2",
				       "hugetlb length 0x%" PRIx64 " overflows",
				       req->len);
		plan.len = (plan.len + huge - 1) & ~(huge - 1);
		plan.align = plan.hard_align = huge;
		plan.ram_align = huge;
		if (req->align_hint) {
			/* The address stays huge-aligned whatever align_hint
			 * asks: Linux maps hugetlb only at huge boundaries. */
			if (req->align_offset % huge)
				return mm_fail(
					mm, -S2MT_EINVAL, "H2",
					"hugetlb mappings are huge-page "
					"aligned; align_offset 0x%" PRIx64
					" is not",
					req->align_offset);
			if (req->align_hint > huge) {
				plan.align = plan.hard_align = req->align_hint;
				plan.off = plan.hard_off = req->align_offset;
			}
		}
		break;
	default:
		return mm_fail(mm, -S2MT_EINVAL, "H4",
			       "backing %u (%s) is not anonymous or hugetlbfs "
			       "memory",
			       backing, s2mt_backing_name(backing));
	}
	return mm_mmap_commit(mm, req, &plan, hva);
}

static int mm_check_device(struct s2mt_mm *mm, int device)
{
	if (device < 0 || (size_t)device >= mm->host->nr_devices)
		return mm_fail(mm, -S2MT_ENODEV, "H4", "no device %d", device);
	return 0;
}

/* Natural placement of a device mapping: the HVA congruent to the PA modulo
 * min(len rounded up to a power of two, 1 GiB), so that K4 blocks are
 * possible wherever the PA allows them. */
static void plan_device_placement(struct mmap_plan *plan,
				  const struct s2mt_mmap_req *req)
{
	uint64_t a = pow2_roundup(plan->len);

	if (a > SZ_1G)
		a = SZ_1G;
	plan->align = a;
	plan->off = plan->vma.pa & (a - 1);
	plan_apply_align_hint(plan, req);
}

/* What remap_pfn_range() (and vfio-pci's mmap, which defers the PFNs to
 * fault time but sets the same flags) adds (H2). */
#define S2MT_VM_REMAP_PFN                                                      \
	(S2MT_VM_IO | S2MT_VM_PFNMAP | S2MT_VM_DONTEXPAND | S2MT_VM_DONTDUMP)

static int mm_mmap_nvgrace_region(struct s2mt_mm *mm,
				  const struct s2mt_mmap_req *req,
				  struct mmap_plan *plan, int device,
				  unsigned region, uint64_t offset,
				  uint64_t *hva);

int s2mt_mm_mmap_vfio_bar(struct s2mt_mm *mm, const struct s2mt_mmap_req *req,
			  int device, unsigned bar, uint64_t offset,
			  uint64_t *hva)
{
	const struct s2mt_device *dev;
	const struct s2mt_bar *b;
	struct mmap_plan plan;
	int err;

	if (!mm)
		return -S2MT_EINVAL;
	err = mm_check_req(mm, req, hva, &plan);
	if (!err)
		err = mm_check_device(mm, device);
	if (err)
		return err;
	if (offset % SZ_4K)
		return mm_fail(mm, -S2MT_EINVAL, "H2",
			       "mmap offset 0x%" PRIx64 " is not page aligned",
			       offset);
	dev = &mm->host->devices[device];

	/* nvgrace_gpu_mmap() takes BAR4 (usemem) and, when it exists, BAR2
	 * (resmem); the GPU's other BARs are not modelled. */
	if (dev->kind == S2MT_DEVICE_NVGRACE) {
		if (bar == 4)
			return mm_mmap_nvgrace_region(mm, req, &plan, device,
						      S2MT_NVGRACE_USEMEM,
						      offset, hva);
		if (bar == 2 && dev->resmem_size)
			return mm_mmap_nvgrace_region(mm, req, &plan, device,
						      S2MT_NVGRACE_RESMEM,
						      offset, hva);
		return mm_fail(mm, -S2MT_EINVAL, "H4",
			       "%s: BAR%u of an nvgrace-gpu device is not "
			       "modelled",
			       dev->name, bar);
	}

	/* H4: vfio_pci_core_mmap() */
	if (!(plan.vma.flags & S2MT_VM_SHARED))
		return mm_fail(mm, -S2MT_EINVAL, "H4",
			       "vfio-pci maps BARs only MAP_SHARED "
			       "(vfio_pci_core_mmap)");
	if (bar >= S2MT_MAX_BARS)
		return mm_fail(mm, -S2MT_EINVAL, "H4",
			       "%s: region %u is not a BAR", dev->name, bar);
	b = &dev->bars[bar];
	if (!b->size)
		return mm_fail(mm, -S2MT_EINVAL, "H4",
			       "%s: BAR%u is not implemented", dev->name, bar);
	if (!b->mmap_ok)
		return mm_fail(mm, -S2MT_EINVAL, "H4",
			       "%s: BAR%u cannot be mmapped "
			       "(bar_mmap_supported is false)",
			       dev->name, bar);
	if (offset > b->size || b->size - offset < plan.len)
		return mm_fail(mm, -S2MT_EINVAL, "H4",
			       "%s: [0x%" PRIx64 ", +0x%" PRIx64
			       ") is outside BAR%u (0x%" PRIx64 " bytes)",
			       dev->name, offset, plan.len, bar, b->size);

	/*
	 * H1: pgprot_noncached() -> DEVICE_nGnRnE. H2/H4: the flags
	 * io_remap_pfn_range() would set, plus VM_ALLOW_ANY_UNCACHED where
	 * the kernel has the Normal-NC series (S2MT_KF_NORMAL_NC, 6.9: its
	 * vfio-pci patch sets the flag that K2 reads).
	 */
	plan.vma.flags |= S2MT_VM_REMAP_PFN;
	if (s2mt_kernel_has(&mm->host->kernel, S2MT_KF_NORMAL_NC))
		plan.vma.flags |= S2MT_VM_ALLOW_ANY_UNCACHED;
	plan.vma.attrindx = S2MT_MT_IDX_DEVICE_nGnRnE;
	plan.vma.backing = S2MT_BACK_PFN;
	plan.vma.origin = S2MT_ORIGIN_VFIO_BAR;
	plan.vma.device = device;
	plan.vma.region = (uint8_t)bar;
	plan.vma.pa = b->pa + offset;
	plan_device_placement(&plan, req);
	return mm_mmap_commit(mm, req, &plan, hva);
}

static int mm_mmap_nvgrace_region(struct s2mt_mm *mm,
				  const struct s2mt_mmap_req *req,
				  struct mmap_plan *plan, int device,
				  unsigned region, uint64_t offset,
				  uint64_t *hva)
{
	const struct s2mt_device *dev = &mm->host->devices[device];
	uint64_t base, size;

	if (region > S2MT_NVGRACE_RESMEM)
		return mm_fail(mm, -S2MT_EINVAL, "H4",
			       "%s: nvgrace-gpu region %u does not exist",
			       dev->name, region);
	if (region == S2MT_NVGRACE_RESMEM && !dev->resmem_size)
		return mm_fail(mm, -S2MT_EINVAL, "H4",
			       "%s has no resmem (a part without the MIG "
			       "carve-out: all its memory is cacheable)",
			       dev->name);
	/*
	 * nvgrace_gpu_mmap() itself does not test VM_SHARED (remap_pfn_range()
	 * would accept a private mapping covering the whole VMA); the model
	 * requires MAP_SHARED, as for any vfio region, since a copy-on-write
	 * PFNMAP is nothing a VMM hands to KVM.
	 */
	if (!(plan->vma.flags & S2MT_VM_SHARED))
		return mm_fail(mm, -S2MT_EINVAL, "H4",
			       "%s: nvgrace-gpu regions are mapped MAP_SHARED",
			       dev->name);
	base = region == S2MT_NVGRACE_USEMEM ? dev->usemem_pa : dev->resmem_pa;
	size = region == S2MT_NVGRACE_USEMEM ? dev->usemem_size
					     : dev->resmem_size;
	if (offset > size || size - offset < plan->len)
		return mm_fail(
			mm, -S2MT_EINVAL, "H4",
			"%s: [0x%" PRIx64 ", +0x%" PRIx64
			") is beyond the %s memory (0x%" PRIx64 " bytes)",
			dev->name, offset, plan->len,
			region == S2MT_NVGRACE_USEMEM ? "usemem" : "resmem",
			size);

	/*
	 * H4: remap_pfn_range() flags. usemem keeps the default prot, so the
	 * host maps it cacheable (H1 NORMAL, H3) although it is outside the
	 * linear map (K1). resmem is pgprot_writecombine() (NORMAL_NC) with
	 * VM_ALLOW_ANY_UNCACHED: the driver has set it from its first release
	 * (6.9), and it only exists with the flag (S2MT_KF_NVGRACE_GPU needs
	 * S2MT_KF_NORMAL_NC; s2mt_host_add_nvgrace() refuses otherwise).
	 */
	plan->vma.flags |= S2MT_VM_REMAP_PFN;
	if (region == S2MT_NVGRACE_USEMEM) {
		plan->vma.attrindx = S2MT_MT_IDX_NORMAL;
		plan->vma.origin = S2MT_ORIGIN_NVGRACE_USEMEM;
		/* D4: the driver, which knows the memory is coherent,
		 * vouches for a cacheable stage 2 (Catalin Marinas's
		 * VM_FORCE_CACHEABLE; docs/designs-sources.md). */
		if (s2mt_design_has_vma_flag(mm->host->design))
			plan->vma.flags |= S2MT_VM_FORCE_CACHEABLE;
	} else {
		plan->vma.attrindx = S2MT_MT_IDX_NORMAL_NC;
		plan->vma.origin = S2MT_ORIGIN_NVGRACE_RESMEM;
		plan->vma.flags |= S2MT_VM_ALLOW_ANY_UNCACHED;
	}
	plan->vma.backing = S2MT_BACK_PFN;
	plan->vma.device = device;
	plan->vma.region = (uint8_t)region;
	plan->vma.pa = base + offset;
	plan_device_placement(plan, req);
	return mm_mmap_commit(mm, req, plan, hva);
}

int s2mt_mm_mmap_nvgrace(struct s2mt_mm *mm, const struct s2mt_mmap_req *req,
			 int device, unsigned region, uint64_t offset,
			 uint64_t *hva)
{
	struct mmap_plan plan;
	int err;

	if (!mm)
		return -S2MT_EINVAL;
	err = mm_check_req(mm, req, hva, &plan);
	if (!err)
		err = mm_check_device(mm, device);
	if (err)
		return err;
	if (mm->host->devices[device].kind != S2MT_DEVICE_NVGRACE)
		return mm_fail(mm, -S2MT_ENODEV, "H4",
			       "%s is not an nvgrace-gpu device",
			       mm->host->devices[device].name);
	if (offset % SZ_4K)
		return mm_fail(mm, -S2MT_EINVAL, "H2",
			       "mmap offset 0x%" PRIx64 " is not page aligned",
			       offset);
	return mm_mmap_nvgrace_region(mm, req, &plan, device, region, offset,
				      hva);
}

int s2mt_mm_mmap_cmem(struct s2mt_mm *mm, const struct s2mt_mmap_req *req,
		      int device, uint64_t offset, bool sync, uint64_t *hva)
{
	const struct s2mt_device *dev;
	struct mmap_plan plan;
	int err;

	if (!mm)
		return -S2MT_EINVAL;
	err = mm_check_req(mm, req, hva, &plan);
	if (!err)
		err = mm_check_device(mm, device);
	if (err)
		return err;
	dev = &mm->host->devices[device];
	if (dev->kind != S2MT_DEVICE_CMEM)
		return mm_fail(mm, -S2MT_ENODEV, "H4",
			       "%s is not a cacheable-pfnmap device",
			       dev->name);
	if (offset % SZ_4K)
		return mm_fail(mm, -S2MT_EINVAL, "H2",
			       "mmap offset 0x%" PRIx64 " is not page aligned",
			       offset);
	if (offset > dev->cmem_size || dev->cmem_size - offset < plan.len)
		return mm_fail(mm, -S2MT_EINVAL, "H4",
			       "%s: [0x%" PRIx64 ", +0x%" PRIx64
			       ") is beyond its 0x%" PRIx64 " bytes",
			       dev->name, offset, plan.len, dev->cmem_size);
	/* H4: remap_pfn_range() with the prot mmap computed (Normal), or
	 * pgprot_noncached() for O_SYNC. No VM_ALLOW_ANY_UNCACHED, and no
	 * VM_FORCE_CACHEABLE: this driver vouches for nothing (D4). */
	plan.vma.flags |= S2MT_VM_REMAP_PFN;
	plan.vma.attrindx =
		sync ? S2MT_MT_IDX_DEVICE_nGnRnE : S2MT_MT_IDX_NORMAL;
	plan.vma.origin = S2MT_ORIGIN_CMEM;
	plan.vma.backing = S2MT_BACK_PFN;
	plan.vma.device = device;
	plan.vma.pa = dev->cmem_pa + offset;
	plan_device_placement(&plan, req);
	return mm_mmap_commit(mm, req, &plan, hva);
}

/* Whether [pa, pa + len) touches system RAM. */
static bool range_has_ram(const struct s2mt_host *host, uint64_t pa,
			  uint64_t len)
{
	size_t i;

	for (i = 0; i < host->nr_regions; i++) {
		const struct s2mt_phys_region *r = &host->regions[i];

		if (r->kind == S2MT_PHYS_RAM && pa < r->base + r->size &&
		    r->base < pa + len)
			return true;
	}
	return false;
}

int s2mt_mm_mmap_devmem(struct s2mt_mm *mm, const struct s2mt_mmap_req *req,
			uint64_t pa, uint64_t *hva)
{
	const struct s2mt_phys_region *r;
	struct mmap_plan plan;
	uint64_t limit;
	int err;

	if (!mm)
		return -S2MT_EINVAL;
	err = mm_check_req(mm, req, hva, &plan);
	if (err)
		return err;
	limit = 1ULL << mm->host->pa_bits;
	/* mmap_mem(): the offset is a page number; the range must not wrap
	 * nor leave the PA space (valid_mmap_phys_addr_range). */
	if (pa % SZ_4K)
		return mm_fail(mm, -S2MT_EINVAL, "H4",
			       "/dev/mem offset 0x%" PRIx64
			       " is not page aligned",
			       pa);
	if (pa >= limit || limit - pa < plan.len)
		return mm_fail(mm, -S2MT_EINVAL, "H4",
			       "/dev/mem [0x%" PRIx64 ", +0x%" PRIx64
			       ") is beyond the %u-bit PA space",
			       pa, plan.len, mm->host->pa_bits);
	/* STRICT_DEVMEM: devmem_is_allowed() refuses every RAM page. */
	if (range_has_ram(mm->host, pa, plan.len))
		return mm_fail(mm, -S2MT_EPERM, "H4",
			       "/dev/mem [0x%" PRIx64 ", +0x%" PRIx64
			       ") includes system RAM (STRICT_DEVMEM)",
			       pa, plan.len);
	/* Linux maps holes too; the model wants one known region. */
	r = s2mt_host_region(mm->host, pa);
	if (!r || r->base + r->size - pa < plan.len)
		return mm_fail(mm, -S2MT_EINVAL, "H4",
			       "/dev/mem [0x%" PRIx64 ", +0x%" PRIx64
			       ") is not inside one known physical region",
			       pa, plan.len);

	/*
	 * H4: remap_pfn_range() flags; phys_mem_access_prot() gives
	 * pgprot_noncached() (H1 DEVICE_nGnRnE) outside the linear map, even
	 * over nvgrace-gpu's cacheable memory. MAP_PRIVATE is allowed
	 * (private_mapping_ok() with an MMU).
	 */
	plan.vma.flags |= S2MT_VM_REMAP_PFN;
	plan.vma.attrindx = s2mt_host_pfn_is_map_memory(mm->host, pa)
		? S2MT_MT_IDX_NORMAL
		: S2MT_MT_IDX_DEVICE_nGnRnE;
	plan.vma.backing = S2MT_BACK_PFN;
	plan.vma.origin = S2MT_ORIGIN_DEVMEM;
	plan.vma.pa = pa;
	plan_device_placement(&plan, req);
	return mm_mmap_commit(mm, req, &plan, hva);
}

int s2mt_mm_munmap(struct s2mt_mm *mm, uint64_t addr, uint64_t len)
{
	uint64_t end;
	int err;

	if (!mm)
		return -S2MT_EINVAL;
	/* do_vmi_munmap(): page-aligned start, non-empty, inside TASK_SIZE;
	 * the length is rounded up to pages. */
	if (addr % SZ_4K)
		return mm_fail(mm, -S2MT_EINVAL, "H2",
			       "munmap address 0x%" PRIx64
			       " is not page aligned",
			       addr);
	if (!len)
		return mm_fail(mm, -S2MT_EINVAL, "H2", "munmap of length 0");
	if (addr > S2MT_TASK_SIZE || !align_up(len, SZ_4K, &len) ||
	    len > S2MT_TASK_SIZE - addr)
		return mm_fail(mm, -S2MT_EINVAL, "H2",
			       "munmap [0x%" PRIx64 ", +0x%" PRIx64
			       ") is beyond TASK_SIZE",
			       addr, len);
	end = addr + len;
	if (!s2mt_mm_find_vma_intersection(mm, addr, end))
		return 0;
	err = mm_check_ends(mm, addr, true, end, true);
	if (err)
		return err;
	mm_remove_range(mm, addr, end);
	mm_notify(mm, addr, end);
	return 0;
}

int s2mt_mm_mprotect(struct s2mt_mm *mm, uint64_t addr, uint64_t len,
		     unsigned prot)
{
	uint64_t end, cur, want, run_start = 0, run_end = 0;
	const struct s2mt_vma *v;
	bool split_lo, split_hi;
	size_t i;
	int err;

	if (!mm)
		return -S2MT_EINVAL;
	/* do_mprotect_pkey() */
	if (addr % SZ_4K)
		return mm_fail(mm, -S2MT_EINVAL, "H2",
			       "mprotect address 0x%" PRIx64
			       " is not page aligned",
			       addr);
	if (prot & ~S2MT_PROT_ALL)
		return mm_fail(mm, -S2MT_EINVAL, "H2",
			       "prot 0x%x has bits other than "
			       "PROT_READ|PROT_WRITE|PROT_EXEC",
			       prot);
	if (!len)
		return 0;
	if (!align_up(len, SZ_4K, &len) || len > UINT64_MAX - addr)
		return mm_fail(mm, -S2MT_ENOMEM, "H2",
			       "mprotect range wraps around");
	end = addr + len;

	/* Linux changes the VMAs one by one and stops at the first hole with
	 * -ENOMEM; the model checks first, so a refusal changes nothing. */
	cur = addr;
	for (i = vma_first_above(mm, addr); cur < end; i++) {
		if (i >= mm->nr_vmas || mm->vmas[i].start > cur)
			return mm_fail(mm, -S2MT_ENOMEM, "H2",
				       "mprotect: 0x%" PRIx64 " is not mapped",
				       cur);
		cur = mm->vmas[i].end;
	}
	/* mprotect_fixup(): a VMA whose flags would not change is skipped,
	 * neither split nor walked (no notifier); the others are split at
	 * the ends of the range and change_protection() invalidates the
	 * secondary MMUs over them (K8). */
	want = prot_to_vm(prot);
	v = s2mt_mm_find_vma(mm, addr);
	split_lo = v->start < addr && (v->flags & S2MT_VM_ACCESS) != want;
	v = s2mt_mm_find_vma(mm, end);
	split_hi = v && v->start < end && (v->flags & S2MT_VM_ACCESS) != want;
	err = mm_check_ends(mm, addr, split_lo, end, split_hi);
	if (err)
		return err;

	if (split_lo)
		mm_split_at(mm, addr);
	if (split_hi)
		mm_split_at(mm, end);
	for (i = vma_first_above(mm, addr);
	     i < mm->nr_vmas && mm->vmas[i].start < end; i++) {
		struct s2mt_vma *c = &mm->vmas[i];

		if ((c->flags & S2MT_VM_ACCESS) == want)
			continue;
		c->flags = (c->flags & ~(uint64_t)S2MT_VM_ACCESS) | want;
		mm->vma_gen++;
		if (run_end != c->start) {
			if (run_end > run_start)
				mm_notify(mm, run_start, run_end);
			run_start = c->start;
		}
		run_end = c->end;
	}
	if (run_end > run_start)
		mm_notify(mm, run_start, run_end);
	return 0;
}

/* K1: PFN-mapped memory outside the linear map is "outside"; hugetlbfs and
 * other RAM are in the linear map. */
unsigned s2mt_vma_memclass(const struct s2mt_host *host,
			   const struct s2mt_vma *vma)
{
	if (vma->backing == S2MT_BACK_PFN &&
	    !s2mt_host_pfn_is_map_memory(host, vma->pa))
		return S2MT_MEM_PFN_OUTSIDE;
	if (backing_is_hugetlb(vma->backing) || (vma->flags & S2MT_VM_HUGETLB))
		return S2MT_MEM_HUGETLB;
	return S2MT_MEM_RAM;
}

size_t s2mt_vma_describe(const struct s2mt_host *host,
			 const struct s2mt_vma *vma, char *buf, size_t len)
{
	const char *dev = "?";
	int n;

	if (!buf || !len)
		return 0;
	if (!vma) {
		buf[0] = '\0';
		return 0;
	}
	if (host && vma->device >= 0 && (size_t)vma->device < host->nr_devices)
		dev = host->devices[vma->device].name;
	switch (vma->origin) {
	case S2MT_ORIGIN_ANON:
		n = snprintf(buf, len, "%s",
			     vma->backing == S2MT_BACK_THP ? "anonymous (THP)"
							   : "anonymous");
		break;
	case S2MT_ORIGIN_HUGETLBFS:
		n = snprintf(buf, len, "hugetlbfs %s",
			     vma->backing == S2MT_BACK_HUGETLB_1G ? "1G"
								  : "2M");
		break;
	case S2MT_ORIGIN_VFIO_BAR:
		n = snprintf(buf, len, "vfio-pci %s BAR%u", dev,
			     (unsigned)vma->region);
		break;
	case S2MT_ORIGIN_NVGRACE_USEMEM:
		n = snprintf(buf, len, "nvgrace-gpu %s usemem", dev);
		break;
	case S2MT_ORIGIN_NVGRACE_RESMEM:
		n = snprintf(buf, len, "nvgrace-gpu %s resmem", dev);
		break;
	case S2MT_ORIGIN_DEVMEM:
		n = snprintf(buf, len, "/dev/mem");
		break;
	case S2MT_ORIGIN_CMEM:
		n = snprintf(buf, len, "cacheable-pfnmap %s%s", dev,
			     vma->attrindx == S2MT_MT_IDX_NORMAL ? ""
								 : " O_SYNC");
		break;
	default:
		n = snprintf(buf, len, "?");
		break;
	}
	if (n < 0)
		n = 0;
	return (size_t)n < len ? (size_t)n : len - 1;
}
