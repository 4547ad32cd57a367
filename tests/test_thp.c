// SPDX-License-Identifier: MIT
/*
 * H6: transparent huge pages under KVM, through the public API. The
 * expected leaves are what real kernels showed (tools/conformance: 6.1,
 * 6.12 and 7.2 with THP "always" and the huge zero page on) and what the
 * three mm changes say (docs/kernels.md: thp-anon-align 6.7,
 * thp-align-pmd-len 6.12 / 6.11.7, thp-zero-wp-alloc 6.13), not what the
 * implementation does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <s2mt/model.h>

#include "support/expect.h"

#define SZ_4K 0x1000ull
#define SZ_1M 0x100000ull
#define SZ_2M 0x200000ull
#define GPA 0x40000000ull

#define READ S2MT_ACCESS_READ
#define WRITE S2MT_ACCESS_WRITE
#define EXEC S2MT_ACCESS_EXEC

struct tw {
	struct s2mt_host host;
	struct s2mt_mm mm;
	struct s2mt_kvm kvm;
	struct s2mt_vm *a, *b;
};

/* A qemu-max host (FWB, no DIC) with the kernel release given, THP mode
 * and huge zero page, and two VMs. */
static void tw_init(struct tw *w, const char *release, unsigned thp,
		    bool zero_page)
{
	struct s2mt_kernel k;
	char err[256];

	memset(w, 0, sizeof(*w));
	expect_rc(s2mt_kernel_parse(release, &k, err, sizeof(err)), 0);
	expect_rc(s2mt_host_init(&w->host, "qemu-max", s2mt_kernel_era(&k),
				 4ull << 30),
		  0);
	expect_rc(s2mt_host_set_kernel(&w->host, &k), 0);
	w->host.thp = thp;
	w->host.thp_zero_page = zero_page;
	expect_rc(s2mt_mm_init(&w->mm, &w->host), 0);
	expect_rc(s2mt_kvm_open(&w->kvm, &w->host, &w->mm), 0);
	expect_rc(s2mt_kvm_create_vm(&w->kvm, 40, &w->a), 0);
	expect_rc(s2mt_kvm_create_vm(&w->kvm, 40, &w->b), 0);
}

static void tw_fini(struct tw *w)
{
	s2mt_kvm_close(&w->kvm);
	s2mt_mm_fini(&w->mm);
}

static uint64_t map(struct tw *w, uint64_t len, unsigned backing, uint64_t hint)
{
	struct s2mt_mmap_req r = {
		.addr = hint,
		.len = len,
		.prot = S2MT_PROT_READ | S2MT_PROT_WRITE | S2MT_PROT_EXEC,
		.flags = S2MT_MAP_PRIVATE,
	};
	uint64_t hva = 0;

	expect_rc(s2mt_mm_mmap_anon(&w->mm, &r, backing, &hva), 0);
	return hva;
}

static void slot(struct s2mt_vm *vm, uint64_t gpa, uint64_t size, uint64_t hva)
{
	struct s2mt_userspace_memory_region r = {
		.slot = 0,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = hva,
	};

	expect_rc(s2mt_vm_set_user_memory_region(vm, &r), 0);
}

/* One guest access as the vCPU makes it: faults until the access is
 * resolved; *retries counts the invalidated attempts (K8). */
static struct s2mt_leaf access_(struct s2mt_vm *vm, uint64_t ipa,
				unsigned access, unsigned *retries)
{
	struct s2mt_fault f;
	struct s2mt_leaf leaf;
	unsigned n = 0;

	for (;;) {
		s2mt_vm_guest_abort(vm, ipa, access, &f);
		if (f.outcome != S2MT_FAULT_RETRY)
			break;
		expect(strstr(f.reason, "H6") != NULL, "retry: %s", f.reason);
		expect(++n < 4, "retried %u times", n);
	}
	expect(f.outcome == S2MT_FAULT_MAPPED ||
		       f.outcome == S2MT_FAULT_PERM_RELAXED ||
		       f.outcome == S2MT_FAULT_SPURIOUS,
	       "access at %#llx: %s (%s)", (unsigned long long)ipa,
	       s2mt_fault_outcome_name(f.outcome), f.reason);
	expect_rc(s2mt_pgt_lookup(&vm->pgt, ipa, &leaf), 0);
	if (retries)
		*retries = n;
	return leaf;
}

#define expect_leaf(l, size_, s2ap_, x_)                                       \
	expect((l).size == (size_) && (l).s2ap == (s2ap_) &&                   \
		       ((l).xn == 0) == (x_),                                  \
	       "leaf %#llx size %#llx s2ap %u xn %u, want size %#llx s2ap %u " \
	       "x %d",                                                         \
	       (unsigned long long)(l).ipa, (unsigned long long)(l).size,      \
	       (l).s2ap, (l).xn, (unsigned long long)(size_), (s2ap_), (x_))

/*
 * The conformance story (tools/conformance/kvm.ops acc-ram-*, acc-b-read):
 * 2 MiB of anonymous memory, no hint, a slot in VM a and one in VM b over
 * it; read, write, exec in a, then a read in b.
 */
static void story(const char *release, bool aligned, uint64_t read_size,
		  uint64_t write_size, unsigned write_retries, uint64_t b_size,
		  unsigned b_s2ap)
{
	struct tw w;
	struct s2mt_leaf l;
	unsigned retries;
	uint64_t hva;

	tw_init(&w, release, S2MT_THP_ALWAYS, true);
	hva = map(&w, SZ_2M, S2MT_BACK_ANON, 0);
	expect((hva % SZ_2M == 0) == aligned, "%s: mmap at %#llx", release,
	       (unsigned long long)hva);
	slot(w.a, GPA, SZ_2M, hva);
	slot(w.b, GPA, SZ_2M, hva);

	/* Nobody wrote it: read-only (H5), a block with the huge zero page. */
	l = access_(w.a, GPA, READ, NULL);
	expect_leaf(l, read_size, 1, false);
	l = access_(w.a, GPA + SZ_4K, WRITE, &retries);
	expect_leaf(l, write_size, 3, false);
	expect(retries == write_retries, "%s: %u retries", release, retries);
	/* 4 KiB pages: the exec page is still the zero page (read-only);
	 * in a THP it is writable. */
	l = access_(w.a, GPA + 2 * SZ_4K, EXEC, NULL);
	expect_leaf(l, write_size, write_size == SZ_2M ? 3u : 1u, true);
	l = access_(w.b, GPA, READ, NULL);
	expect_leaf(l, b_size, b_s2ap, false);
	tw_fini(&w);
}

/* 6.1: no alignment, so no block can be PMD-mapped: 4 KiB throughout. */
static void test_H6_story_6_1(void **state)
{
	(void)state;
	story("6.1.0-57-cloud-arm64", false, SZ_4K, SZ_4K, 0, SZ_4K, 1);
}

/* 6.12: aligned; the huge zero page as a read-only block; the write
 * splits it (one retry) and the other pages stay the zero page. */
static void test_H6_story_6_12(void **state)
{
	(void)state;
	story("6.12.118+deb12-cloud-arm64", true, SZ_2M, SZ_4K, 1, SZ_4K, 1);
}

/* 7.2: the write puts a THP in place of the huge zero page. */
static void test_H6_story_7_2(void **state)
{
	(void)state;
	story("7.2.13+deb14-cloud-arm64", true, SZ_2M, SZ_2M, 1, SZ_2M, 3);
}

/* The THP mode decides which memory is eligible; madvise needs the VMM's
 * MADV_HUGEPAGE (S2MT_BACK_THP). */
static void test_H6_mode_and_backing(void **state)
{
	static const unsigned modes[] = { S2MT_THP_NEVER, S2MT_THP_MADVISE,
					  S2MT_THP_ALWAYS };
	static const unsigned backings[] = { S2MT_BACK_ANON, S2MT_BACK_THP };

	(void)state;
	for (unsigned m = 0; m < 3; m++)
		for (unsigned b = 0; b < 2; b++) {
			bool eligible = modes[m] == S2MT_THP_ALWAYS ||
				(modes[m] == S2MT_THP_MADVISE && b == 1);
			struct tw w;
			struct s2mt_leaf l;
			uint64_t hva;

			tw_init(&w, "6.17", modes[m], true);
			hva = map(&w, 4 * SZ_2M, backings[b], 0);
			expect(hva % SZ_2M == 0, "mmap at %#llx",
			       (unsigned long long)hva);
			slot(w.a, GPA, 4 * SZ_2M, hva);
			l = access_(w.a, GPA + SZ_2M, READ, NULL);
			expect_leaf(l, eligible ? SZ_2M : SZ_4K, 1, false);
			l = access_(w.a, GPA + 2 * SZ_2M, WRITE, NULL);
			expect_leaf(l, eligible ? SZ_2M : SZ_4K, 3, false);
			expect(s2mt_mm_thp_state(&w.mm,
						 s2mt_mm_find_vma(&w.mm, hva),
						 hva + SZ_2M) ==
				       (eligible ? S2MT_THP_ZERO
						 : S2MT_THP_SPLIT),
			       "mode %s backing %s",
			       s2mt_thp_mode_name(modes[m]),
			       s2mt_backing_name(backings[b]));
			tw_fini(&w);
		}
}

/* Without the huge zero page a read allocates a THP: writable at once. */
static void test_H6_no_zero_page(void **state)
{
	struct tw w;
	struct s2mt_leaf l;
	uint64_t hva;

	(void)state;
	tw_init(&w, "6.12", S2MT_THP_ALWAYS, false);
	hva = map(&w, SZ_2M, S2MT_BACK_ANON, 0);
	slot(w.a, GPA, SZ_2M, hva);
	l = access_(w.a, GPA, READ, NULL);
	expect_leaf(l, SZ_2M, 3, false);
	tw_fini(&w);
}

/* A first write allocates a THP on every kernel: no zero page, no retry. */
static void test_H6_write_first(void **state)
{
	static const char *const releases[] = { "6.8", "6.12", "6.17" };

	(void)state;
	for (unsigned i = 0; i < 3; i++) {
		struct tw w;
		struct s2mt_leaf l;
		unsigned retries;
		uint64_t hva;

		tw_init(&w, releases[i], S2MT_THP_ALWAYS, true);
		hva = map(&w, SZ_2M, S2MT_BACK_ANON, 0);
		slot(w.a, GPA, SZ_2M, hva);
		l = access_(w.a, GPA + 5 * SZ_4K, WRITE, &retries);
		expect_leaf(l, SZ_2M, 3, false);
		expect(retries == 0, "%s: %u retries", releases[i], retries);
		l = access_(w.a, GPA, READ, NULL);
		expect_leaf(l, SZ_2M, 3, false);
		tw_fini(&w);
	}
}

/* Splitting (before 6.13) or replacing the huge zero page invalidates the
 * block in every VM that mapped it (the MMU notifier, K8). */
static void test_H6_invalidates_every_vm(void **state)
{
	static const char *const releases[] = { "6.12", "6.13" };

	(void)state;
	for (unsigned i = 0; i < 2; i++) {
		struct tw w;
		struct s2mt_leaf l;
		uint64_t hva;

		tw_init(&w, releases[i], S2MT_THP_ALWAYS, true);
		hva = map(&w, SZ_2M, S2MT_BACK_ANON, 0);
		slot(w.a, GPA, SZ_2M, hva);
		slot(w.b, 2 * GPA, SZ_2M, hva);
		expect_leaf(access_(w.a, GPA, READ, NULL), SZ_2M, 1, false);
		expect_leaf(access_(w.b, 2 * GPA, READ, NULL), SZ_2M, 1, false);
		access_(w.a, GPA, WRITE, NULL);
		expect(s2mt_pgt_lookup(&w.b->pgt, 2 * GPA, &l) != 0,
		       "%s: VM b still maps the huge zero page", releases[i]);
		l = access_(w.b, 2 * GPA + SZ_1M, READ, NULL);
		if (i == 0)
			expect_leaf(l, SZ_4K, 1, false); /* the zero page */
		else
			expect_leaf(l, SZ_2M, 3, false); /* the THP */
		tw_fini(&w);
	}
}

/* Where an anonymous mmap lands, by kernel and length (thp-anon-align,
 * thp-align-pmd-len); the THP mode does not matter, a free hint wins. */
static void test_H6_alignment_by_version(void **state)
{
	static const struct {
		const char *release;
		uint64_t len;
		bool aligned;
	} cases[] = {
		{ "6.1", SZ_2M, false },       { "6.6", 4 * SZ_2M, false },
		{ "6.7", SZ_2M, true },	       { "6.7", 3 * SZ_1M, true },
		{ "6.7", SZ_1M, false },       { "6.11", 3 * SZ_1M, true },
		{ "6.11.6", 3 * SZ_1M, true }, { "6.11.7", 3 * SZ_1M, false },
		{ "6.11.7", 4 * SZ_1M, true }, { "6.12", 3 * SZ_1M, false },
		{ "6.12", SZ_2M, true },       { "6.17", 5 * SZ_2M, true },
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (unsigned mode = 0; mode < 3; mode++) {
			struct tw w;
			uint64_t hva;

			tw_init(&w, cases[i].release, mode, true);
			/* Something small first, so that 2 MiB alignment
			 * is not the first fit by accident. */
			map(&w, 3 * SZ_4K, S2MT_BACK_ANON, 0);
			hva = map(&w, cases[i].len, S2MT_BACK_ANON, 0);
			if (cases[i].len >= SZ_2M)
				expect((hva % SZ_2M == 0) == cases[i].aligned,
				       "%s len %#llx mode %s: %#llx",
				       cases[i].release,
				       (unsigned long long)cases[i].len,
				       s2mt_thp_mode_name(mode),
				       (unsigned long long)hva);
			else
				expect(hva % SZ_2M != 0,
				       "%s len %#llx: %#llx on a 2 MiB "
				       "boundary",
				       cases[i].release,
				       (unsigned long long)cases[i].len,
				       (unsigned long long)hva);
			tw_fini(&w);
		}
	{
		struct tw w;
		uint64_t free_at, hva;

		tw_init(&w, "6.17", S2MT_THP_ALWAYS, true);
		free_at = map(&w, 4 * SZ_2M, S2MT_BACK_ANON, 0);
		expect_rc(s2mt_mm_munmap(&w.mm, free_at, 4 * SZ_2M), 0);
		hva = map(&w, SZ_2M, S2MT_BACK_ANON, free_at + 3 * SZ_4K);
		expect(hva == free_at + 3 * SZ_4K, "hint not taken: %#llx",
		       (unsigned long long)hva);
		tw_fini(&w);
	}
}

/* A block the VMA does not cover whole is never PMD-mapped; the rest of
 * an unaligned 6.1 mapping is. */
static void test_H6_partial_blocks(void **state)
{
	struct tw w;
	uint64_t hva, first;

	(void)state;
	tw_init(&w, "6.1", S2MT_THP_ALWAYS, true);
	hva = map(&w, 3 * SZ_2M, S2MT_BACK_ANON, 0);
	expect(hva % SZ_2M == SZ_4K, "6.1 mmap at %#llx",
	       (unsigned long long)hva);
	first = (hva + SZ_2M - 1) & ~(SZ_2M - 1);
	/* The slot keeps the HVA congruent to the GPA modulo 2 MiB. */
	slot(w.a, GPA + SZ_4K, 3 * SZ_2M, hva);
	expect_leaf(access_(w.a, GPA + SZ_4K, READ, NULL), SZ_4K, 1, false);
	expect_leaf(access_(w.a, GPA + (first - hva) + SZ_4K, READ, NULL),
		    SZ_2M, 1, false);
	tw_fini(&w);
}

/* H5's page bitmaps against a byte a page: random ranges marked written,
 * then s2mt_mm_written() and s2mt_mm_written_run() asked over random
 * ranges that cross word boundaries. */
/* One fault, not retried: its outcome, and the leaf after it. */
static struct s2mt_fault fault1(struct s2mt_vm *vm, uint64_t ipa,
				unsigned access, struct s2mt_leaf *leaf)
{
	struct s2mt_fault f;

	s2mt_vm_guest_abort(vm, ipa, access, &f);
	if (leaf && s2mt_pgt_lookup(&vm->pgt, ipa, leaf))
		memset(leaf, 0, sizeof(*leaf));
	return f;
}

/*
 * H6: an mprotect of one page inside a block the host maps with a PMD
 * splits the PMD (vma_adjust_trans_huge()), and the notifier takes the
 * whole block from stage 2. The huge zero page becomes zero-page PTEs: a
 * write then copies one page, retried (H5), and maps 4 KiB; a read maps
 * the zero page read-only. A THP becomes the PTEs of its own pages: a
 * write maps 4 KiB at once.
 */
static void test_H6_vma_split_splits_the_pmd(void **state)
{
	const unsigned rw = S2MT_PROT_READ | S2MT_PROT_WRITE;
	struct s2mt_leaf l;
	struct s2mt_fault f;
	struct tw w;
	uint64_t hva;

	(void)state;
	tw_init(&w, "6.17.0", S2MT_THP_MADVISE, true);
	hva = map(&w, 4 * SZ_2M, S2MT_BACK_THP, 0);
	expect(hva % SZ_2M == 0, "THP mmap at %#llx", (unsigned long long)hva);
	slot(w.a, GPA, 4 * SZ_2M, hva);
	l = access_(w.a, GPA, READ, NULL);
	expect_leaf(l, SZ_2M, 1u, false); /* the huge zero page */
	l = access_(w.a, GPA + SZ_2M, WRITE, NULL);
	expect_leaf(l, SZ_2M, 3u, false); /* a THP */

	/* RWX to RW: a new VMA for one page in each block. */
	expect_rc(s2mt_mm_mprotect(&w.mm, hva + SZ_4K, SZ_4K, rw), 0);
	expect_rc(s2mt_mm_mprotect(&w.mm, hva + SZ_2M + SZ_4K, SZ_4K, rw), 0);
	expect(s2mt_pgt_lookup(&w.a->pgt, GPA, &l) &&
		       s2mt_pgt_lookup(&w.a->pgt, GPA + SZ_2M + 8 * SZ_4K, &l),
	       "stage 2 still maps a split block");

	f = fault1(w.a, GPA + 2 * SZ_4K, WRITE, &l);
	expect(f.outcome == S2MT_FAULT_RETRY && !strcmp(f.rule, "H5"),
	       "write to a split huge zero page: %s (%s)",
	       s2mt_fault_outcome_name(f.outcome), f.reason);
	f = fault1(w.a, GPA + 2 * SZ_4K, WRITE, &l);
	expect(f.outcome == S2MT_FAULT_MAPPED, "then: %s (%s)",
	       s2mt_fault_outcome_name(f.outcome), f.reason);
	expect_leaf(l, SZ_4K, 3u, false);
	f = fault1(w.a, GPA + 3 * SZ_4K, READ, &l);
	expect(f.outcome == S2MT_FAULT_MAPPED, "read: %s",
	       s2mt_fault_outcome_name(f.outcome));
	expect_leaf(l, SZ_4K, 1u, false); /* the zero page */

	f = fault1(w.a, GPA + SZ_2M + 2 * SZ_4K, WRITE, &l);
	expect(f.outcome == S2MT_FAULT_MAPPED, "write to a split THP: %s (%s)",
	       s2mt_fault_outcome_name(f.outcome), f.reason);
	expect_leaf(l, SZ_4K, 3u, false);
	f = fault1(w.a, GPA + SZ_2M + 3 * SZ_4K, READ, &l);
	expect_leaf(l, SZ_4K, 3u, false); /* its own page: writable */
	tw_fini(&w);
}

static void test_H5_page_bitmaps(void **state)
{
	enum { PAGES = 4096 };
	static unsigned char ref[PAGES];
	uint64_t rng = 0x5eed;
	struct tw w;

	(void)state;
	memset(ref, 0, sizeof(ref));
	tw_init(&w, "6.17", S2MT_THP_MADVISE, true);
	for (unsigned round = 0; round < 400; round++) {
		uint64_t first, n, want_run;
		bool all = true;

		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		first = (rng >> 20) % PAGES;
		n = 1 + (rng >> 40) % 200;
		if (first + n > PAGES)
			n = PAGES - first;
		if (round % 3 == 0) {
			s2mt_mm_mark_written(&w.mm,
					     S2MT_HOST_RAM_BASE + first * SZ_4K,
					     n * SZ_4K);
			memset(ref + first, 1, n);
			continue;
		}
		for (uint64_t i = 0; i < n; i++)
			all &= ref[first + i];
		expect(s2mt_mm_written(&w.mm,
				       S2MT_HOST_RAM_BASE + first * SZ_4K,
				       n * SZ_4K) == all,
		       "round %u: written(%llu, %llu)", round,
		       (unsigned long long)first, (unsigned long long)n);
		for (want_run = 1;
		     want_run < n && ref[first + want_run] == ref[first];
		     want_run++)
			;
		expect(s2mt_mm_written_run(&w.mm,
					   S2MT_HOST_RAM_BASE + first * SZ_4K,
					   n * SZ_4K) == want_run * SZ_4K,
		       "round %u: written_run(%llu, %llu) = %llu pages, want "
		       "%llu",
		       round, (unsigned long long)first, (unsigned long long)n,
		       (unsigned long long)(s2mt_mm_written_run(
						    &w.mm,
						    S2MT_HOST_RAM_BASE +
							    first * SZ_4K,
						    n * SZ_4K) /
					    SZ_4K),
		       (unsigned long long)want_run);
	}
	tw_fini(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_H6_story_6_1),
		cmocka_unit_test(test_H6_story_6_12),
		cmocka_unit_test(test_H6_story_7_2),
		cmocka_unit_test(test_H6_mode_and_backing),
		cmocka_unit_test(test_H6_no_zero_page),
		cmocka_unit_test(test_H6_write_first),
		cmocka_unit_test(test_H6_invalidates_every_vm),
		cmocka_unit_test(test_H6_alignment_by_version),
		cmocka_unit_test(test_H6_partial_blocks),
		cmocka_unit_test(test_H6_vma_split_splits_the_pmd),
		cmocka_unit_test(test_H5_page_bitmaps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
