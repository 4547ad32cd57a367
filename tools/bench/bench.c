// SPDX-License-Identifier: MIT
/*
 * s2mt-bench: how fast the stage-2 page table maps, looks up and unmaps.
 *
 * Without arguments it runs the wall-clock benchmark (CLOCK_MONOTONIC):
 *
 *   [1] a bulk map of 64 GiB at 4 KiB pages, next to its physical floor:
 *       the same number of 8-byte descriptors written sequentially into
 *       fresh mmap'd memory (page faults included, as they are for the
 *       table pages), measured in the same run, pair by pair; [1b] without
 *       FWB; [1c] both with the memory pre-touched (the CPU cost, as a
 *       hypervisor at EL2 has it); [1d] single-page maps into existing
 *       tables (a stage-2 fault's map);
 *   [2] 1 TiB mapped with 1 GiB blocks, and with a 2 MiB cap next to its
 *       floor (the same descriptors, table descriptors included, written
 *       into pre-touched pages), memory pre-touched;
 *   [3] random lookups on the 64 GiB 4 KiB table and on the 1 GiB table;
 *   [4] unmapping the 64 GiB range, next to a plain walk clearing the same
 *       leaves of the same table in the same run.
 *
 * The machine is noisy: each figure is the median of several repetitions
 * (min shown too), and the map is judged by its ratio to the floor
 * measured in the same repetition. Every result is checked; a library
 * misbehaving exits with 1, a missed target does not.
 *
 * With --callgrind-* it runs one small workload in a noinline function
 * (bench_*_loop) for scripts/bench-callgrind.sh, which counts the
 * instructions of that function with valgrind --toggle-collect.
 *
 * The environment: table pages are bump-allocated from a big mmap'd
 * arena (MAP_NORESERVE; fresh pages are already zero), freed pages go to
 * a free list and are cleared when reused; PA == VA; the TLBI and cache
 * hooks only count; pte_store is NULL.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <s2mt/core.h>
#include <s2mt/model.h>

/* The measured functions keep their names (no inlining, no clones), so
 * valgrind --toggle-collect can find them. */
#if defined(__clang__)
#define BENCH_FN __attribute__((noinline))
#else
#define BENCH_FN __attribute__((noipa))
#endif

#define MIB ((uint64_t)1 << 20)
#define GIB ((uint64_t)1 << 30)
#define TIB ((uint64_t)1 << 40)

#define IPA_BITS 40
#define PA_BITS 48

/* [1] [3] [4]: 64 GiB at 4 KiB, IPA 4 GiB -> PA 512 GiB. */
#define BIG_IPA (4 * GIB)
#define BIG_PA (512 * GIB)
#define BIG_SIZE (64 * GIB)
#define BIG_PAGES (BIG_SIZE / (uint64_t)S2MT_SIZE_4K)

/* [2]: the whole 40-bit IPA space, IPA 0 -> PA 1 TiB. */
#define BLK_IPA ((uint64_t)0)
#define BLK_PA TIB
#define BLK_SIZE TIB

/* Callgrind workloads: 1 GiB at 4 KiB, 1M lookups. */
#define CG_IPA (1 * GIB)
#define CG_PA (3 * GIB)
#define CG_SIZE (1 * GIB)
#define CG_LOOKUPS ((uint64_t)1000000)

#define ARENA_SIZE (4 * GIB) /* virtual only (MAP_NORESERVE) */
#define MAX_REPS 64

static const struct s2mt_prot bench_prot = { .perm = S2MT_PROT_RW,
					     .type = S2MT_MT_NORMAL };

static void fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "s2mt-bench: FAIL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* ------------------------------------------------------------------ */
/* The environment: an mmap'd arena                                    */
/* ------------------------------------------------------------------ */

struct arena {
	uint8_t *base;
	size_t size, used;
	void *free_list[17]; /* by nr, linked through the first word */
	uint64_t live_pages, fresh_pages, reused_pages;
	uint64_t tlbi_ipa, tlbi_vmid, dcache, icache;
};

static void *map_fresh(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		fail("mmap of %zu bytes: %s", size, strerror(errno));
	return p;
}

static void arena_init(struct arena *a, size_t size)
{
	memset(a, 0, sizeof(*a));
	a->base = map_fresh(size);
	a->size = size;
}

static void arena_fini(struct arena *a)
{
	munmap(a->base, a->size);
	a->base = NULL;
}

static void arena_reset_counts(struct arena *a)
{
	a->tlbi_ipa = a->tlbi_vmid = a->dcache = a->icache = 0;
}

static void *bench_zalloc(void *ctx, unsigned nr)
{
	struct arena *a = ctx;
	size_t bytes = (size_t)nr * S2MT_PAGE_SIZE;
	uintptr_t start, p;
	void *page;

	if (nr < 1 || nr > 16)
		return NULL;
	page = a->free_list[nr];
	if (page) {
		a->free_list[nr] = *(void **)page;
		memset(page, 0, bytes);
		a->reused_pages += nr;
	} else {
		/* Fresh anonymous memory is zero: no memset. */
		start = (uintptr_t)a->base + a->used;
		p = (start + bytes - 1) / bytes * bytes;
		if (p + bytes > (uintptr_t)a->base + a->size)
			return NULL;
		a->used = p + bytes - (uintptr_t)a->base;
		page = (void *)p;
		a->fresh_pages += nr;
	}
	a->live_pages += nr;
	return page;
}

static void bench_free(void *ctx, void *va, unsigned nr)
{
	struct arena *a = ctx;

	if (nr < 1 || nr > 16)
		fail("free_pages with nr=%u", nr);
	*(void **)va = a->free_list[nr];
	a->free_list[nr] = va;
	a->live_pages -= nr;
}

static uint64_t bench_v2p(void *ctx, void *va)
{
	(void)ctx;
	return (uint64_t)(uintptr_t)va;
}

static void *bench_p2v(void *ctx, uint64_t pa)
{
	(void)ctx;
	return (void *)(uintptr_t)pa;
}

static void bench_tlbi_ipa(void *ctx, uint16_t vmid, uint64_t ipa,
			   uint64_t size, unsigned level)
{
	(void)vmid;
	(void)ipa;
	(void)size;
	(void)level;
	((struct arena *)ctx)->tlbi_ipa++;
}

static void bench_tlbi_vmid(void *ctx, uint16_t vmid)
{
	(void)vmid;
	((struct arena *)ctx)->tlbi_vmid++;
}

static void bench_dcache(void *ctx, uint64_t pa, uint64_t size)
{
	(void)pa;
	(void)size;
	((struct arena *)ctx)->dcache++;
}

static void bench_icache(void *ctx, uint64_t pa, uint64_t size)
{
	(void)pa;
	(void)size;
	((struct arena *)ctx)->icache++;
}

static const struct s2mt_mm_ops bench_ops = {
	.zalloc_pages = bench_zalloc,
	.free_pages = bench_free,
	.virt_to_phys = bench_v2p,
	.phys_to_virt = bench_p2v,
	.tlbi_ipa = bench_tlbi_ipa,
	.tlbi_vmid = bench_tlbi_vmid,
	.dcache_clean_inval_poc = bench_dcache,
	.icache_inval_pou = bench_icache,
	.pte_store = NULL,
	/* The arena is identity-mapped, like a hypervisor's linear map. */
	.p2v_linear = true,
	.p2v_offset = 0,
};

/* A table with its own fresh arena. */
struct table {
	struct arena a;
	struct s2mt_pgt pgt;
	bool fwb;
};

static struct s2mt_pgt_cfg bench_cfg(bool fwb)
{
	struct s2mt_pgt_cfg cfg = {
		.ipa_bits = IPA_BITS,
		.pa_bits = PA_BITS,
		.start_level = S2MT_START_AUTO,
		.fwb = fwb,
		.dic = false,
		.vmid16 = false,
		.vmid = 1,
	};

	return cfg;
}

static void table_init(struct table *t, bool fwb, size_t arena_size)
{
	struct s2mt_pgt_cfg cfg = bench_cfg(fwb);
	int err;

	arena_init(&t->a, arena_size);
	t->fwb = fwb;
	err = s2mt_pgt_init(&t->pgt, &cfg, &bench_ops, &t->a);
	if (err)
		fail("s2mt_pgt_init: %s (%s)", s2mt_errno_name(-err),
		     t->pgt.why ? t->pgt.why : "?");
	arena_reset_counts(&t->a);
}

static void table_fini(struct table *t)
{
	s2mt_pgt_destroy(&t->pgt);
	if (t->a.live_pages)
		fail("destroy left %" PRIu64 " table pages allocated",
		     t->a.live_pages);
	arena_fini(&t->a);
}

/* ------------------------------------------------------------------ */
/* The measured functions                                              */
/* ------------------------------------------------------------------ */

static BENCH_FN int bench_map_loop(struct s2mt_pgt *pgt, uint64_t ipa,
				   uint64_t size, uint64_t pa,
				   uint64_t max_leaf)
{
	return s2mt_pgt_map(pgt, ipa, size, pa, bench_prot, max_leaf);
}

static BENCH_FN int bench_unmap_loop(struct s2mt_pgt *pgt, uint64_t ipa,
				     uint64_t size)
{
	return s2mt_pgt_unmap(pgt, ipa, size);
}

/* XOR of the PAs found; *hits counts the successful lookups. The hot-path
 * lookup: descriptor and level, as a fault handler uses it. */
static BENCH_FN uint64_t bench_lookup_loop(const struct s2mt_pgt *pgt,
					   const uint64_t *ipas, size_t n,
					   size_t *hits)
{
	uint64_t acc = 0, desc;
	unsigned level;
	size_t ok = 0;

	for (size_t i = 0; i < n; i++) {
		/* A block descriptor holds its aligned base: the address
		 * field is the leaf's PA at every level. */
		if (s2mt_pgt_get_leaf(pgt, ipas[i], &desc, &level) == 0) {
			acc ^= desc & S2MT_PTE_ADDR_MASK;
			ok += level != 0;
		}
	}
	*hits = ok;
	return acc;
}

/* The same with every field of the leaf decoded (s2mt_pgt_lookup). */
static BENCH_FN uint64_t bench_lookup_full_loop(const struct s2mt_pgt *pgt,
						const uint64_t *ipas, size_t n,
						size_t *hits)
{
	struct s2mt_leaf leaf;
	uint64_t acc = 0;
	size_t ok = 0;

	for (size_t i = 0; i < n; i++) {
		if (s2mt_pgt_lookup(pgt, ipas[i], &leaf) == 0) {
			acc ^= leaf.pa;
			ok++;
		}
	}
	*hits = ok;
	return acc;
}

/* The same loop without the lookup: load, test, XOR, count. The empty asm
 * keeps the compiler from vectorizing it or folding the count. */
static BENCH_FN uint64_t bench_empty_loop(const uint64_t *ipas, size_t n,
					  size_t *hits)
{
	uint64_t acc = 0;
	size_t ok = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t x = ipas[i];

		__asm__ volatile("" : "+r"(x));
		if (x != ~0ull) {
			acc ^= x;
			ok++;
		}
	}
	*hits = ok;
	return acc;
}

/* The floor: n descriptors (pa | attrs) written one after the other, pa
 * advancing by step. The store is volatile, as the table's own stores are:
 * one real 8-byte store per descriptor, never vectorised or merged away
 * (FLOOR_STORE says so in the output). */
#define FLOOR_STORE "volatile 8-byte store per descriptor, not vectorised"

static BENCH_FN void bench_floor_loop(uint64_t *dst, uint64_t n, uint64_t desc,
				      uint64_t step)
{
	volatile uint64_t *p = dst;

	for (uint64_t i = 0; i < n; i++, desc += step)
		p[i] = desc;
}

/* A stage-2 fault's map: one 4 KiB page per call, each into a level-3
 * table that already exists. *failed counts the calls that failed. */
static BENCH_FN unsigned bench_map1_loop(struct s2mt_pgt *pgt,
					 const uint64_t *ipas, size_t n,
					 uint64_t ipa_base, uint64_t pa_base)
{
	unsigned failed = 0;

	for (size_t i = 0; i < n; i++)
		failed += s2mt_pgt_map(pgt, ipas[i], S2MT_SIZE_4K,
				       ipas[i] - ipa_base + pa_base, bench_prot,
				       S2MT_SIZE_4K) != 0;
	return failed;
}

/* A fault handler's lookup and map with the core's fault API: the lookup
 * leaves a cursor on the empty entry, the page goes into it with a prot
 * prepared once (s2mt_pgt_prepare(), as a handler keeps one per VMA). */
static BENCH_FN unsigned bench_fault1_loop(struct s2mt_pgt *pgt,
					   const uint64_t *ipas, size_t n,
					   uint64_t ipa_base, uint64_t pa_base,
					   const struct s2mt_pgt_prepared *prep)
{
	unsigned failed = 0;

	for (size_t i = 0; i < n; i++) {
		struct s2mt_pgt_cursor cur;
		uint64_t desc;
		unsigned level;

		failed += !s2mt_pgt_get_leaf_cursor(pgt, ipas[i], &desc, &level,
						    &cur) ||
			s2mt_pgt_map_page_at(pgt, &cur,
					     ipas[i] - ipa_base + pa_base,
					     prep) != 0;
	}
	return failed;
}

/* The same loop without the map: load, compute the PA, count. The empty
 * asm keeps both values alive and the loop from being folded. */
static BENCH_FN unsigned bench_map1_empty_loop(const uint64_t *ipas, size_t n,
					       uint64_t ipa_base,
					       uint64_t pa_base)
{
	unsigned failed = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t ipa = ipas[i], pa = ipa - ipa_base + pa_base;

		__asm__ volatile("" : "+r"(ipa), "+r"(pa));
		failed += ipa == pa;
	}
	return failed;
}

/*
 * What unmap is held to: a plain walk of the same table (level 1, 2, 3
 * through the linear map, PA == VA here) that zeroes every level-3
 * descriptor of [ipa, ipa+size), both 1 GiB aligned. It reads the table
 * descriptors and clears the leaves; it frees nothing and invalidates
 * nothing, so the table's tables stay in place for a re-map.
 */
static BENCH_FN void bench_clear_loop(const struct s2mt_pgt *pgt, uint64_t ipa,
				      uint64_t size)
{
	const uint64_t *l1 = pgt->pgd;

	if (pgt->geo.start_level != 1)
		fail("the clear walk expects start level 1");
	for (uint64_t i = ipa >> 30; i < (ipa + size) >> 30; i++) {
		const uint64_t *l2;

		if ((l1[i] & 3) != 3)
			continue;
		l2 = (const uint64_t *)(uintptr_t)(l1[i] & S2MT_PTE_ADDR_MASK);
		for (unsigned j = 0; j < S2MT_PTRS_PER_TABLE; j++) {
			uint64_t pa3 = l2[j] & S2MT_PTE_ADDR_MASK;
			volatile uint64_t *l3;

			if ((l2[j] & 3) != 3)
				continue;
			l3 = (volatile uint64_t *)(uintptr_t)pa3;
			for (unsigned k = 0; k < S2MT_PTRS_PER_TABLE; k++)
				l3[k] = 0;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Checks                                                              */
/* ------------------------------------------------------------------ */

static unsigned leaf_level(uint64_t leaf_size)
{
	if (leaf_size == S2MT_SIZE_1G)
		return 1;
	return leaf_size == S2MT_SIZE_2M ? 2 : 3;
}

static void check_lookup(const struct table *t, uint64_t ipa, uint64_t base,
			 uint64_t pa, uint64_t leaf_size)
{
	unsigned level = leaf_level(leaf_size);
	uint64_t want_pa = pa + ((ipa - base) & ~(leaf_size - 1));
	uint64_t want = s2mt_pte_leaf(want_pa, bench_prot, level, t->fwb);
	struct s2mt_leaf leaf;
	int err = s2mt_pgt_lookup(&t->pgt, ipa, &leaf);

	if (err)
		fail("lookup(0x%" PRIx64 "): %s", ipa, s2mt_errno_name(-err));
	if (leaf.level != level || leaf.size != leaf_size ||
	    leaf.pa != want_pa || leaf.ipa != (ipa & ~(leaf_size - 1)) ||
	    leaf.desc != want)
		fail("lookup(0x%" PRIx64 "): level %u pa 0x%" PRIx64
		     " desc 0x%016" PRIx64 ", expected level %u pa 0x%" PRIx64
		     " desc 0x%016" PRIx64,
		     ipa, leaf.level, leaf.pa, leaf.desc, level, want_pa, want);
}

static void check_absent(const struct table *t, uint64_t ipa)
{
	struct s2mt_leaf leaf;
	int err = s2mt_pgt_lookup(&t->pgt, ipa, &leaf);

	if (err != -S2MT_ENOENT)
		fail("lookup(0x%" PRIx64 ") after unmap/outside: %d, expected "
		     "ENOENT",
		     ipa, err);
}

/* After a map of [ipa, ipa+size) -> pa with leaves of leaf_size into an
 * empty table: statistics, the edges and random addresses. */
static void check_map(const struct table *t, uint64_t ipa, uint64_t size,
		      uint64_t pa, uint64_t leaf_size)
{
	const struct s2mt_pgt_stats *st = &t->pgt.stats;
	uint64_t tables = 0, seed = 42;

	if (leaf_size < S2MT_SIZE_1G)
		tables += size / S2MT_SIZE_1G; /* level-2 tables */
	if (leaf_size < S2MT_SIZE_2M)
		tables += size / S2MT_SIZE_2M; /* level-3 tables */
	if (st->leaves_installed != size / leaf_size ||
	    st->tables_allocated != tables || st->prepare_misses ||
	    st->prepare_leftovers || st->tables_freed)
		fail("map stats: leaves %" PRIu64 " (expected %" PRIu64
		     "), tables %" PRIu64 " (expected %" PRIu64
		     "), misses %" PRIu64 ", leftovers %" PRIu64,
		     st->leaves_installed, size / leaf_size,
		     st->tables_allocated, tables, st->prepare_misses,
		     st->prepare_leftovers);
	check_lookup(t, ipa, ipa, pa, leaf_size);
	check_lookup(t, ipa + size - 1, ipa, pa, leaf_size);
	check_lookup(t, ipa + size / 2 + 123, ipa, pa, leaf_size);
	for (int i = 0; i < 1000; i++)
		check_lookup(t, ipa + (splitmix64(&seed) & (size - 1)), ipa, pa,
			     leaf_size);
	if (ipa)
		check_absent(t, ipa - 1);
	if (ipa + size < (1ull << IPA_BITS))
		check_absent(t, ipa + size);
}

static void check_unmapped(const struct table *t, uint64_t ipa, uint64_t size)
{
	const struct s2mt_pgt_stats *st = &t->pgt.stats;
	uint64_t seed = 7;

	if (st->tables_freed != st->tables_allocated)
		fail("unmap: tables_freed %" PRIu64
		     " != tables_allocated %" PRIu64,
		     st->tables_freed, st->tables_allocated);
	if (t->a.live_pages != t->pgt.geo.nr_start_tables)
		fail("unmap: %" PRIu64
		     " pages still allocated, expected the %u "
		     "start tables",
		     t->a.live_pages, t->pgt.geo.nr_start_tables);
	check_absent(t, ipa);
	check_absent(t, ipa + size - 1);
	for (int i = 0; i < 1000; i++)
		check_absent(t, ipa + (splitmix64(&seed) & (size - 1)));
}

static void do_map(struct table *t, uint64_t ipa, uint64_t size, uint64_t pa,
		   uint64_t max_leaf)
{
	int err = bench_map_loop(&t->pgt, ipa, size, pa, max_leaf);

	if (err)
		fail("map 0x%" PRIx64 "+0x%" PRIx64 ": %s (%s)", ipa, size,
		     s2mt_errno_name(-err), t->pgt.why ? t->pgt.why : "?");
}

static void do_unmap(struct table *t, uint64_t ipa, uint64_t size)
{
	int err = bench_unmap_loop(&t->pgt, ipa, size);

	if (err)
		fail("unmap 0x%" PRIx64 "+0x%" PRIx64 ": %s (%s)", ipa, size,
		     s2mt_errno_name(-err), t->pgt.why ? t->pgt.why : "?");
}

/* n random IPAs in [base, base+size), size a power of two. */
static uint64_t *random_ipas(size_t n, uint64_t base, uint64_t size,
			     uint64_t seed)
{
	uint64_t *ipas = malloc(n * sizeof(*ipas));

	if (!ipas)
		fail("out of memory for %zu IPAs", n);
	for (size_t i = 0; i < n; i++)
		ipas[i] = base + (splitmix64(&seed) & (size - 1));
	return ipas;
}

/* What bench_lookup_loop must return for IPAs all mapped linearly. */
static uint64_t expected_acc(const uint64_t *ipas, size_t n, uint64_t base,
			     uint64_t pa, uint64_t leaf_size)
{
	uint64_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc ^= pa + ((ipas[i] - base) & ~(leaf_size - 1));
	return acc;
}

static void run_lookups(const struct table *t, const uint64_t *ipas, size_t n,
			uint64_t want)
{
	size_t hits;
	uint64_t acc = bench_lookup_loop(&t->pgt, ipas, n, &hits);

	if (hits != n || acc != want)
		fail("lookups: %zu of %zu found, PA checksum 0x%" PRIx64
		     " expected 0x%" PRIx64,
		     hits, n, acc, want);
}

/* ------------------------------------------------------------------ */
/* Statistics                                                          */
/* ------------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double s[MAX_REPS] = { 0 };

	memcpy(s, v, (size_t)n * sizeof(*v));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static double minimum(const double *v, int n)
{
	double m = v[0];

	for (int i = 1; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

/* ------------------------------------------------------------------ */
/* The wall-clock benchmark                                            */
/* ------------------------------------------------------------------ */

#define MAP_RATIO_TARGET 3.0
#define CPU_RATIO_TARGET 1.5 /* [1c]: 4 KiB map / floor, pre-touched */
#define BLOCK_US_TARGET 10.0 /* [2]: 1 TiB of 1 GiB blocks, pre-touched */
#define MAP2M_RATIO_TARGET 2.0 /* [2]: 2 MiB leaves / their floor */
#define NR_LOOKUPS ((size_t)10000000)

/* Figures measured in one section and printed in a later one. */
struct results {
	double floor_med;
	double look4k[MAX_REPS], look1g[MAX_REPS];
	int look4k_n, look1g_n;
	double unmap_ns[MAX_REPS], clear_ns[MAX_REPS];
	int unmap_n;
	uint64_t unmap_tlbi, unmap_dcache, tables_alloc, tables_freed;
};

static void print_header(int reps)
{
	struct s2mt_pgt_cfg cfg = bench_cfg(true);
	struct s2mt_geometry geo;
	char thp[64] = "?";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	if (f) {
		if (!fgets(thp, sizeof(thp), f))
			strcpy(thp, "?");
		thp[strcspn(thp, "\n")] = 0;
		fclose(f);
	}
	if (s2mt_geometry(&cfg, &geo, NULL))
		fail("geometry of the bench configuration refused");
	printf("s2mt-bench: stage-2 page table, wall clock "
	       "(CLOCK_MONOTONIC)\n");
	printf("  core: IPA %u bits, PA %u bits, 4 KiB granule, start level %u "
	       "(%u concatenated tables), VTCR 0x%" PRIx64 "\n",
	       cfg.ipa_bits, cfg.pa_bits, geo.start_level, geo.nr_start_tables,
	       geo.vtcr);
	printf("  core: fwb=1 unless noted, dic=0, prot RW Normal-WB (no X), "
	       "pte_store hook NULL\n");
	printf("  env: bump-allocated fresh mmap pages (MAP_NORESERVE), PA == "
	       "VA, TLBI/CMO hooks count only\n");
	printf("  host: %ld CPUs online, THP %s; %d repetitions, figures are "
	       "median (min)\n",
	       sysconf(_SC_NPROCESSORS_ONLN), thp, reps);
}

static const char *verdict(bool pass)
{
	return pass ? "PASS" : "FAIL";
}

/* Touch (write) memory the process has not used yet, as a hypervisor's
 * memory is: the page faults stay out of what is timed. */
static void pretouch(void *p, size_t bytes)
{
	memset(p, 0, bytes);
}

/* The floor once: ns per descriptor; prefault touches the memory first. */
static double floor_once(bool prefault)
{
	uint64_t *buf = map_fresh(ARENA_SIZE);
	uint64_t t0, t1, first = BIG_PA | 0x4ff;

	if (prefault)
		memset(buf, 0, BIG_PAGES * sizeof(*buf));
	t0 = now_ns();
	bench_floor_loop(buf, BIG_PAGES, first, S2MT_PAGE_SIZE);
	t1 = now_ns();
	if (buf[0] != first ||
	    buf[BIG_PAGES - 1] != first + (BIG_PAGES - 1) * S2MT_PAGE_SIZE)
		fail("floor loop wrote the wrong values");
	munmap(buf, ARENA_SIZE);
	return (double)(t1 - t0) / (double)BIG_PAGES;
}

/* The 64 GiB 4 KiB map once into a fresh table: ns per page. The table
 * is left mapped for the caller. prefault touches the table memory. */
static double map4k_once(struct table *t, bool fwb, bool prefault)
{
	uint64_t t0, t1;

	table_init(t, fwb, ARENA_SIZE);
	if (prefault) /* zero, as fresh pages are: the tables and slack */
		memset(t->a.base + t->a.used, 0, 132 * MIB);
	t0 = now_ns();
	do_map(t, BIG_IPA, BIG_SIZE, BIG_PA, S2MT_SIZE_4K);
	t1 = now_ns();
	check_map(t, BIG_IPA, BIG_SIZE, BIG_PA, S2MT_SIZE_4K);
	if (t->a.reused_pages)
		fail("a fresh table reused pages");
	return (double)(t1 - t0) / (double)BIG_PAGES;
}

static void bench_4k(int reps, struct results *res)
{
	double floor_ns[MAX_REPS] = { 0 }, map_ns[MAX_REPS] = { 0 };
	double ratio[MAX_REPS] = { 0 };
	uint64_t *ipas = random_ipas(NR_LOOKUPS, BIG_IPA, BIG_SIZE, 1);
	uint64_t want =
		expected_acc(ipas, NR_LOOKUPS, BIG_IPA, BIG_PA, S2MT_SIZE_4K);
	uint64_t tables = 0, tlbi = 0, dcache = 0, icache = 0;
	struct table t;
	double f, m;

	printf("\n[1] bulk map of 64 GiB at 4 KiB pages (%" PRIu64
	       " pages), IPA 0x%" PRIx64 " -> PA 0x%" PRIx64 ", fwb=1\n",
	       BIG_PAGES, BIG_IPA, BIG_PA);
	printf("    floor: the same number of 8-byte descriptors written "
	       "sequentially into fresh mmap'd memory\n");
	/* Warm-up: the first touch of memory the process never had is
	 * slower on this host (the hypervisor backs it); not counted. */
	f = floor_once(false);
	m = map4k_once(&t, true, false);
	table_fini(&t);
	printf("  warm-up (not counted): floor %.3f ns/desc, map %.3f "
	       "ns/page\n",
	       f, m);

	res->look4k_n = reps < 3 ? reps : 3;
	res->unmap_n = reps;
	for (int r = 0; r < reps; r++) {
		uint64_t t0, t1;

		floor_ns[r] = floor_once(false);
		map_ns[r] = map4k_once(&t, true, false);
		ratio[r] = map_ns[r] / floor_ns[r];
		tables = t.pgt.stats.tables_allocated;
		tlbi = t.a.tlbi_ipa;
		dcache = t.a.dcache;
		icache = t.a.icache;
		printf("  rep %d: floor %.3f ns/desc, map %.3f ns/page, ratio "
		       "%.2f\n",
		       r + 1, floor_ns[r], map_ns[r], ratio[r]);

		/* [3] lookups on this table (the first few repetitions). */
		if (r < res->look4k_n) {
			t0 = now_ns();
			run_lookups(&t, ipas, NR_LOOKUPS, want);
			t1 = now_ns();
			res->look4k[r] = (double)(t1 - t0) / (double)NR_LOOKUPS;
		}

		/* [4] the plain walk clearing every leaf, timed on this
		 * (touched) table; then the same leaves mapped again into
		 * the tables left in place, untimed; then the unmap. */
		t0 = now_ns();
		bench_clear_loop(&t.pgt, BIG_IPA, BIG_SIZE);
		t1 = now_ns();
		res->clear_ns[r] = (double)(t1 - t0) / (double)BIG_PAGES;
		check_absent(&t, BIG_IPA);
		check_absent(&t, BIG_IPA + BIG_SIZE - 1);
		do_map(&t, BIG_IPA, BIG_SIZE, BIG_PA, S2MT_SIZE_4K);
		if (t.pgt.stats.tables_allocated != tables)
			fail("re-map after the clear walk allocated tables");
		check_lookup(&t, BIG_IPA, BIG_IPA, BIG_PA, S2MT_SIZE_4K);
		check_lookup(&t, BIG_IPA + BIG_SIZE - 1, BIG_IPA, BIG_PA,
			     S2MT_SIZE_4K);
		arena_reset_counts(&t.a);
		t0 = now_ns();
		do_unmap(&t, BIG_IPA, BIG_SIZE);
		t1 = now_ns();
		res->unmap_ns[r] = (double)(t1 - t0) / (double)BIG_PAGES;
		res->unmap_tlbi = t.a.tlbi_ipa;
		res->unmap_dcache = t.a.dcache;
		res->tables_alloc = t.pgt.stats.tables_allocated;
		res->tables_freed = t.pgt.stats.tables_freed;
		check_unmapped(&t, BIG_IPA, BIG_SIZE);
		table_fini(&t);
	}
	free(ipas);
	res->floor_med = median(floor_ns, reps);
	printf("  floor: %.3f ns/desc (min %.3f)\n", median(floor_ns, reps),
	       minimum(floor_ns, reps));
	printf("  map:   %.3f ns/page (min %.3f), %.1f ms per 64 GiB\n",
	       median(map_ns, reps), minimum(map_ns, reps),
	       median(map_ns, reps) * (double)BIG_PAGES / 1e6);
	printf("  ratio map/floor: %.2f (median of the per-rep ratios; "
	       "min/min %.2f), target <= %.1f: %s\n",
	       median(ratio, reps),
	       minimum(map_ns, reps) / minimum(floor_ns, reps),
	       MAP_RATIO_TARGET,
	       median(ratio, reps) <= MAP_RATIO_TARGET ? "PASS" : "MISS");
	printf("  map: %" PRIu64 " table pages (%.1f MiB); hooks: tlbi_ipa "
	       "%" PRIu64 ", dcache %" PRIu64 ", icache %" PRIu64 "\n",
	       tables, (double)tables * S2MT_PAGE_SIZE / (double)MIB, tlbi,
	       dcache, icache);
}

/* [1b] fwb=0, [1c] without page faults: for context, no target. */
static void bench_4k_variants(int reps, const struct results *res)
{
	double nofwb[MAX_REPS] = { 0 }, pf_floor[MAX_REPS] = { 0 };
	double pf_map[MAX_REPS] = { 0 }, pf_ratio[MAX_REPS] = { 0 };
	uint64_t dcache = 0;
	struct table t;

	for (int r = 0; r < reps; r++) {
		nofwb[r] = map4k_once(&t, false, false);
		dcache = t.a.dcache;
		table_fini(&t);
	}
	printf("\n[1b] the same map with fwb=0 (K5: a D-cache clean per "
	       "cacheable leaf, %d reps)\n",
	       reps);
	printf("  map: %.3f ns/page (min %.3f), %.2fx the floor; dcache hook "
	       "calls %" PRIu64 "\n",
	       median(nofwb, reps), minimum(nofwb, reps),
	       median(nofwb, reps) / res->floor_med, dcache);

	for (int r = 0; r < reps; r++) {
		pf_floor[r] = floor_once(true);
		pf_map[r] = map4k_once(&t, true, true);
		pf_ratio[r] = pf_map[r] / pf_floor[r];
		table_fini(&t);
	}
	printf("\n[1c] the fwb=1 map and the floor without page faults "
	       "(memory pre-touched; CPU cost only, %d reps)\n",
	       reps);
	printf("  floor (%s): %.3f ns/desc (min %.3f)\n", FLOOR_STORE,
	       median(pf_floor, reps), minimum(pf_floor, reps));
	printf("  map (tables from the mm_ops allocator): %.3f ns/page (min "
	       "%.3f)\n",
	       median(pf_map, reps), minimum(pf_map, reps));
	printf("  ratio map/floor: %.2f (median of the per-rep ratios), "
	       "target <= %.1f: %s\n",
	       median(pf_ratio, reps), CPU_RATIO_TARGET,
	       verdict(median(pf_ratio, reps) <= CPU_RATIO_TARGET));
	printf("  (instructions: the callgrind section, map vs floor)\n");
}

/* IPAs of 1 GiB at ipa, 4 KiB apart, without the last page of each 2 MiB:
 * that page is mapped first, so every level-3 table exists. *n: count. */
static uint64_t *map1_setup(struct table *t, uint64_t ipa, uint64_t pa,
			    size_t *n)
{
	uint64_t per = S2MT_SIZE_2M / S2MT_SIZE_4K;
	uint64_t *ipas = malloc(CG_SIZE / S2MT_SIZE_4K * sizeof(*ipas));
	size_t k = 0;

	if (!ipas)
		fail("out of memory for the IPAs");
	for (uint64_t off = 0; off < CG_SIZE; off += S2MT_SIZE_2M) {
		uint64_t last = off + S2MT_SIZE_2M - S2MT_SIZE_4K;

		do_map(t, ipa + last, S2MT_SIZE_4K, pa + last, S2MT_SIZE_4K);
		for (uint64_t p = 0; p + 1 < per; p++)
			ipas[k++] = ipa + off + p * S2MT_SIZE_4K;
	}
	*n = k;
	return ipas;
}

/* [1d] a stage-2 fault's map, one 4 KiB page per call into existing
 * tables: informational. */
static void bench_map1(int reps)
{
	double ns[MAX_REPS] = { 0 };
	size_t n = 0;

	for (int r = 0; r < reps; r++) {
		struct table t;
		uint64_t *ipas, t0, t1;

		table_init(&t, true, 256 * MIB);
		ipas = map1_setup(&t, CG_IPA, CG_PA, &n);
		t0 = now_ns();
		if (bench_map1_loop(&t.pgt, ipas, n, CG_IPA, CG_PA))
			fail("a single-page map failed");
		t1 = now_ns();
		ns[r] = (double)(t1 - t0) / (double)n;
		check_map(&t, CG_IPA, CG_SIZE, CG_PA, S2MT_SIZE_4K);
		free(ipas);
		table_fini(&t);
	}
	printf("\n[1d] single-page maps into existing tables (a stage-2 "
	       "fault's map: %zu calls of 4 KiB, fwb=1, %d reps)\n",
	       n, reps);
	printf("  %.1f ns per call (min %.1f); informational (instructions: "
	       "the callgrind section)\n",
	       median(ns, reps), minimum(ns, reps));
}

/* The 2 MiB floor once: the 1024 table descriptors and the 524288 leaf
 * descriptors of 1 TiB at 2 MiB, written into pre-touched pages (a root
 * and one page per level-2 table): ns per 2 MiB leaf. */
static double floor2m_once(void)
{
	uint64_t n1g = BLK_SIZE / S2MT_SIZE_1G;
	size_t bytes = (size_t)(n1g + 2) * S2MT_PAGE_SIZE;
	uint64_t *buf = map_fresh(bytes), *root = buf;
	uint64_t desc = BLK_PA | 0x4fd, t0, t1;

	pretouch(buf, bytes);
	t0 = now_ns();
	for (uint64_t i = 0; i < n1g; i++) {
		uint64_t *l2 = buf + (2 + i) * S2MT_PTRS_PER_TABLE;

		((volatile uint64_t *)root)[i] = (uint64_t)(uintptr_t)l2 | 3;
		bench_floor_loop(l2, S2MT_PTRS_PER_TABLE, desc, S2MT_SIZE_2M);
		desc += S2MT_PTRS_PER_TABLE * S2MT_SIZE_2M;
	}
	t1 = now_ns();
	if (buf[2 * S2MT_PTRS_PER_TABLE] != (BLK_PA | 0x4fd) ||
	    (root[n1g - 1] & 3) != 3)
		fail("2 MiB floor wrote the wrong values");
	munmap(buf, bytes);
	return (double)(t1 - t0) / (double)(BLK_SIZE / S2MT_SIZE_2M);
}

static void bench_blocks(int reps, struct results *res)
{
	double ns_1g[MAX_REPS] = { 0 }, ns_2m[MAX_REPS] = { 0 };
	double fl_2m[MAX_REPS] = { 0 }, ratio_2m[MAX_REPS] = { 0 };
	uint64_t n1g = BLK_SIZE / S2MT_SIZE_1G, n2m = BLK_SIZE / S2MT_SIZE_2M;
	uint64_t *ipas = random_ipas(NR_LOOKUPS, BLK_IPA, BLK_SIZE, 2);
	uint64_t want =
		expected_acc(ipas, NR_LOOKUPS, BLK_IPA, BLK_PA, S2MT_SIZE_1G);
	int inner = 51;
	double us_1g;

	printf("\n[2] bulk map of 1 TiB (the whole 40-bit IPA space), IPA "
	       "0x%" PRIx64 " -> PA 0x%" PRIx64 ", fwb=1\n",
	       BLK_IPA, BLK_PA);
	printf("    memory pre-touched (the start tables, the arena the "
	       "tables come from): the map only is timed\n");
	/* 1 GiB blocks take microseconds: each sample is the median of
	 * `inner` maps, each into a fresh table. */
	res->look1g_n = reps < 3 ? reps : 3;
	for (int r = 0; r < reps; r++) {
		double s[MAX_REPS] = { 0 };

		for (int k = 0; k < inner; k++) {
			struct table t;
			uint64_t t0, t1;

			table_init(&t, true, 64 * MIB);
			pretouch(t.pgt.pgd,
				 (size_t)t.pgt.geo.nr_start_tables *
					 S2MT_PAGE_SIZE);
			t0 = now_ns();
			do_map(&t, BLK_IPA, BLK_SIZE, BLK_PA, 0);
			t1 = now_ns();
			s[k] = (double)(t1 - t0) / (double)n1g;
			check_map(&t, BLK_IPA, BLK_SIZE, BLK_PA, S2MT_SIZE_1G);
			if (k == 0 && r < res->look1g_n) {
				t0 = now_ns();
				run_lookups(&t, ipas, NR_LOOKUPS, want);
				t1 = now_ns();
				res->look1g[r] =
					(double)(t1 - t0) / (double)NR_LOOKUPS;
			}
			table_fini(&t);
		}
		ns_1g[r] = median(s, inner);
	}
	free(ipas);
	us_1g = median(ns_1g, reps) * (double)n1g / 1000;
	printf("  1 GiB blocks (max_leaf 0, %" PRIu64 " leaves): %.1f ns per "
	       "GiB (min %.1f), %.2f us per 1 TiB map, target <= %.1f us: "
	       "%s\n",
	       n1g, median(ns_1g, reps), minimum(ns_1g, reps), us_1g,
	       BLOCK_US_TARGET, verdict(us_1g <= BLOCK_US_TARGET));

	for (int r = 0; r < reps; r++) {
		struct table t;
		uint64_t t0, t1;

		fl_2m[r] = floor2m_once();
		table_init(&t, true, 64 * MIB);
		/* The start tables and the 1024 level-2 tables, with slack. */
		pretouch(t.a.base, 8 * MIB);
		t0 = now_ns();
		do_map(&t, BLK_IPA, BLK_SIZE, BLK_PA, S2MT_SIZE_2M);
		t1 = now_ns();
		ns_2m[r] = (double)(t1 - t0) / (double)n2m;
		ratio_2m[r] = ns_2m[r] / fl_2m[r];
		check_map(&t, BLK_IPA, BLK_SIZE, BLK_PA, S2MT_SIZE_2M);
		table_fini(&t);
	}
	printf("  2 MiB cap (%" PRIu64 " leaves, %" PRIu64 " fresh level-2 "
	       "tables): %.2f ns per 2 MiB leaf (min %.2f), %.2f ms per 1 "
	       "TiB\n",
	       n2m, n2m / S2MT_PTRS_PER_TABLE, median(ns_2m, reps),
	       minimum(ns_2m, reps), median(ns_2m, reps) * (double)n2m / 1e6);
	printf("  2 MiB floor (the %" PRIu64 " table descriptors and %" PRIu64
	       " leaf descriptors written into pre-touched pages, %s): %.2f "
	       "ns per leaf (min %.2f)\n",
	       n2m / S2MT_PTRS_PER_TABLE, n2m, FLOOR_STORE, median(fl_2m, reps),
	       minimum(fl_2m, reps));
	printf("  ratio 2 MiB map/floor: %.2f (median of the per-rep ratios), "
	       "target <= %.1f: %s\n",
	       median(ratio_2m, reps), MAP2M_RATIO_TARGET,
	       verdict(median(ratio_2m, reps) <= MAP2M_RATIO_TARGET));
}

static void print_lookups_unmap(const struct results *res)
{
	printf("\n[3] random lookups (%zu precomputed IPAs in the mapped "
	       "range, PA checksum verified)\n",
	       NR_LOOKUPS);
	printf("  64 GiB 4 KiB table (3 levels, 128 MiB of tables): %.2f "
	       "ns/lookup (min %.2f, %d reps)\n",
	       median(res->look4k, res->look4k_n),
	       minimum(res->look4k, res->look4k_n), res->look4k_n);
	printf("  1 TiB 1 GiB block table (1 level): %.2f ns/lookup (min %.2f, "
	       "%d reps)\n",
	       median(res->look1g, res->look1g_n),
	       minimum(res->look1g, res->look1g_n), res->look1g_n);

	printf("\n[4] unmap of the 64 GiB range\n");
	printf("  unmap: %.3f ns/page (min %.3f, %d reps); hooks: tlbi_ipa "
	       "%" PRIu64 ", dcache %" PRIu64 "\n",
	       median(res->unmap_ns, res->unmap_n),
	       minimum(res->unmap_ns, res->unmap_n), res->unmap_n,
	       res->unmap_tlbi, res->unmap_dcache);
	printf("  plain walk clearing every level-3 descriptor of the same "
	       "table (same run, before it): %.3f ns/page (min %.3f)\n",
	       median(res->clear_ns, res->unmap_n),
	       minimum(res->clear_ns, res->unmap_n));
	printf("  unmap/plain walk: %.2f, target <= 1.0: %s\n",
	       median(res->unmap_ns, res->unmap_n) /
		       median(res->clear_ns, res->unmap_n),
	       verdict(median(res->unmap_ns, res->unmap_n) <=
		       median(res->clear_ns, res->unmap_n)));
	printf("  tables_freed %" PRIu64 " == tables_allocated %" PRIu64
	       ": ok (checked after every unmap)\n",
	       res->tables_freed, res->tables_alloc);
}

/* ------------------------------------------------------------------ */
/* Callgrind workloads                                                 */
/* ------------------------------------------------------------------ */

/*
 * The model's fault path (s2mt_vm_guest_abort(): the slot, the VMA, the
 * policy, the table), one fault per iteration, each on a page stage 2 does
 * not map yet: a 4 KiB anonymous page, a 2 MiB hugetlb page, and a 1 GiB
 * block of a PFNMAP BAR congruent to 1 GiB.
 */
struct fault_env {
	struct s2mt_host host;
	struct s2mt_mm mm;
	struct s2mt_kvm kvm;
	struct s2mt_vm *vm;
};

static BENCH_FN unsigned bench_fault_loop(struct s2mt_vm *vm, uint64_t ipa,
					  uint64_t step, unsigned n)
{
	struct s2mt_fault f;
	unsigned mapped = 0;

	for (unsigned i = 0; i < n; i++)
		mapped += !s2mt_vm_guest_abort(vm, ipa + i * step,
					       S2MT_ACCESS_WRITE, &f) &&
			f.outcome == S2MT_FAULT_MAPPED;
	return mapped;
}

static int callgrind_fault(const char *kind)
{
	static const struct s2mt_bar_spec bars[S2MT_MAX_BARS] = {
		[0] = { .size = 64 * GIB, .prefetchable = true },
	};
	struct fault_env *e = calloc(1, sizeof(*e));
	struct s2mt_mmap_req req = { .prot = S2MT_PROT_READ | S2MT_PROT_WRITE,
				     .flags = S2MT_MAP_PRIVATE };
	struct s2mt_userspace_memory_region2 slot = { .guest_phys_addr =
							      16 * GIB };
	uint64_t hva, step;
	unsigned n;
	int err, dev = -1;
	/* "-terse": the faults write no sentence (s2mt_vm.terse), as
	 * s2mt_vm_touch() takes all but its first. "-nofwb": a host without
	 * FWB (and DIC), where each cacheable leaf is cleaned (K5). */
	size_t kl = strlen(kind);
	bool terse = kl > 6 && !strcmp(kind + kl - 6, "-terse");
	bool nofwb;
	char base[24];

	snprintf(base, sizeof(base), "%.*s", (int)(terse ? kl - 6 : kl), kind);
	kl = strlen(base);
	nofwb = kl > 6 && !strcmp(base + kl - 6, "-nofwb");
	if (nofwb)
		base[kl - 6] = '\0';
	kind = base;
	if (!e ||
	    s2mt_host_init(&e->host, nofwb ? "no-fwb" : "grace-hopper",
			   S2MT_ERA_6_17, 16 * GIB))
		fail("fault: host");
	if (!strcmp(kind, "pfnmap"))
		dev = s2mt_host_add_vfio_pci(&e->host, "nic0", bars);
	if (s2mt_mm_init(&e->mm, &e->host) ||
	    s2mt_kvm_open(&e->kvm, &e->host, &e->mm) ||
	    s2mt_kvm_create_vm(&e->kvm, KVM_VM_TYPE_ARM_IPA_SIZE(40), &e->vm))
		fail("fault: VM");
	if (!strcmp(kind, "anon")) {
		n = 65536;
		step = 4096;
		req.len = n * step;
		err = s2mt_mm_mmap_anon(&e->mm, &req, S2MT_BACK_ANON, &hva);
	} else if (!strcmp(kind, "hugetlb")) {
		n = 4096;
		step = 2 * MIB;
		req.len = n * step;
		err = s2mt_mm_mmap_anon(&e->mm, &req, S2MT_BACK_HUGETLB_2M,
					&hva);
	} else {
		n = 64;
		step = GIB;
		req.len = n * step;
		req.flags = S2MT_MAP_SHARED;
		err = dev < 0
			? dev
			: s2mt_mm_mmap_vfio_bar(&e->mm, &req, dev, 0, 0, &hva);
	}
	if (err)
		fail("fault: mmap %s: %s", kind, e->mm.why);
	slot.memory_size = req.len;
	slot.userspace_addr = hva;
	if (s2mt_vm_set_user_memory_region2(e->vm, &slot))
		fail("fault: memslot: %s", e->vm->why);
	e->vm->terse = terse;
	if (bench_fault_loop(e->vm, slot.guest_phys_addr, step, n) != n)
		fail("fault: not every %s fault mapped", kind);
	printf("function bench_fault_loop\niterations %u\nunit %s%s%s fault\n",
	       n, kind, nofwb ? " no-FWB" : "", terse ? " terse" : "");
	s2mt_kvm_close(&e->kvm);
	s2mt_mm_fini(&e->mm);
	free(e);
	return 0;
}

static int callgrind_mode(const char *mode)
{
	struct table t;
	uint64_t *ipas;
	size_t hits;
	uint64_t acc, want;

	if (!strncmp(mode, "fault-", 6))
		return callgrind_fault(mode + 6);
	if (!strcmp(mode, "floor")) {
		uint64_t n = CG_SIZE / S2MT_SIZE_4K;
		uint64_t *buf = map_fresh(n * sizeof(*buf));

		pretouch(buf, n * sizeof(*buf));
		bench_floor_loop(buf, n, CG_PA | 0x4ff, S2MT_PAGE_SIZE);
		if (buf[n - 1] != (CG_PA | 0x4ff) + (n - 1) * S2MT_PAGE_SIZE)
			fail("floor loop wrote the wrong values");
		munmap(buf, n * sizeof(*buf));
		printf("function bench_floor_loop\niterations %" PRIu64
		       "\nunit descriptor (%s)\n",
		       n, FLOOR_STORE);
		return 0;
	}
	table_init(&t, true, 256 * MIB);
	if (!strcmp(mode, "map1") || !strcmp(mode, "map1-empty") ||
	    !strcmp(mode, "fault1")) {
		struct s2mt_pgt_prepared prep;
		size_t n;

		ipas = map1_setup(&t, CG_IPA, CG_PA, &n);
		if (!strcmp(mode, "fault1")) {
			if (s2mt_pgt_prepare(&t.pgt, bench_prot, &prep) ||
			    bench_fault1_loop(&t.pgt, ipas, n, CG_IPA, CG_PA,
					      &prep))
				fail("a fault's lookup and map failed");
			check_map(&t, CG_IPA, CG_SIZE, CG_PA, S2MT_SIZE_4K);
			printf("function bench_fault1_loop\n");
		} else if (!strcmp(mode, "map1")) {
			if (bench_map1_loop(&t.pgt, ipas, n, CG_IPA, CG_PA))
				fail("a single-page map failed");
			check_map(&t, CG_IPA, CG_SIZE, CG_PA, S2MT_SIZE_4K);
			printf("function bench_map1_loop\n");
		} else {
			if (bench_map1_empty_loop(ipas, n, CG_IPA, CG_PA))
				fail("empty map1 loop");
			printf("function bench_map1_empty_loop\n");
		}
		printf("iterations %zu\nunit single-page map (existing "
		       "tables)\n",
		       n);
		free(ipas);
	} else if (!strcmp(mode, "clear")) {
		do_map(&t, CG_IPA, CG_SIZE, CG_PA, S2MT_SIZE_4K);
		check_map(&t, CG_IPA, CG_SIZE, CG_PA, S2MT_SIZE_4K);
		bench_clear_loop(&t.pgt, CG_IPA, CG_SIZE);
		check_absent(&t, CG_IPA);
		check_absent(&t, CG_IPA + CG_SIZE - 1);
		printf("function bench_clear_loop\niterations %" PRIu64
		       "\nunit cleared 4K page\n",
		       CG_SIZE / (uint64_t)S2MT_SIZE_4K);
	} else if (!strcmp(mode, "map")) {
		do_map(&t, CG_IPA, CG_SIZE, CG_PA, S2MT_SIZE_4K);
		check_map(&t, CG_IPA, CG_SIZE, CG_PA, S2MT_SIZE_4K);
		printf("function bench_map_loop\niterations %" PRIu64
		       "\nunit mapped 4K page\n",
		       CG_SIZE / (uint64_t)S2MT_SIZE_4K);
	} else if (!strcmp(mode, "unmap")) {
		do_map(&t, CG_IPA, CG_SIZE, CG_PA, S2MT_SIZE_4K);
		check_map(&t, CG_IPA, CG_SIZE, CG_PA, S2MT_SIZE_4K);
		do_unmap(&t, CG_IPA, CG_SIZE);
		check_unmapped(&t, CG_IPA, CG_SIZE);
		printf("function bench_unmap_loop\niterations %" PRIu64
		       "\nunit unmapped 4K page\n",
		       CG_SIZE / (uint64_t)S2MT_SIZE_4K);
	} else if (!strcmp(mode, "lookup") || !strcmp(mode, "lookup-empty") ||
		   !strcmp(mode, "lookup-block") ||
		   !strcmp(mode, "lookup-full")) {
		bool block = !strcmp(mode, "lookup-block");
		uint64_t ipa = block ? BLK_IPA : CG_IPA;
		uint64_t size = block ? BLK_SIZE : CG_SIZE;
		uint64_t pa = block ? BLK_PA : CG_PA;
		uint64_t leaf = block ? S2MT_SIZE_1G : S2MT_SIZE_4K;

		do_map(&t, ipa, size, pa, block ? 0 : S2MT_SIZE_4K);
		check_map(&t, ipa, size, pa, leaf);
		ipas = random_ipas(CG_LOOKUPS, ipa, size, 3);
		if (!strcmp(mode, "lookup-empty")) {
			want = 0;
			for (size_t i = 0; i < CG_LOOKUPS; i++)
				want ^= ipas[i];
			acc = bench_empty_loop(ipas, CG_LOOKUPS, &hits);
			if (acc != want || hits != CG_LOOKUPS)
				fail("empty loop checksum");
			printf("function bench_empty_loop\n");
		} else if (!strcmp(mode, "lookup-full")) {
			want = expected_acc(ipas, CG_LOOKUPS, ipa, pa, leaf);
			acc = bench_lookup_full_loop(&t.pgt, ipas, CG_LOOKUPS,
						     &hits);
			if (acc != want || hits != CG_LOOKUPS)
				fail("full lookup checksum");
			printf("function bench_lookup_full_loop\n");
		} else {
			/* Instruction counts do not depend on the caches. */
			want = expected_acc(ipas, CG_LOOKUPS, ipa, pa, leaf);
			run_lookups(&t, ipas, CG_LOOKUPS, want);
			printf("function bench_lookup_loop\n");
		}
		printf("iterations %" PRIu64 "\nunit %s\n", CG_LOOKUPS,
		       block ? "lookup (1G block table)" : "lookup (4K table)");
		free(ipas);
	} else {
		fprintf(stderr, "s2mt-bench: unknown mode --callgrind-%s\n",
			mode);
		return 2;
	}
	table_fini(&t);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: s2mt-bench [--reps N]\n"
		"       s2mt-bench "
		"--callgrind-{map,floor,map1,map1-empty,fault1,"
		"unmap,clear,lookup,lookup-empty,lookup-block,lookup-full,"
		"fault-anon,fault-hugetlb,fault-pfnmap}[-nofwb][-terse]\n"
		"(the --callgrind modes run one small workload, for "
		"scripts/bench-callgrind.sh)\n");
}

int main(int argc, char **argv)
{
	int reps = 7;
	struct results res = { 0 };
	uint64_t t0 = now_ns();

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "--callgrind-", 12))
			return callgrind_mode(argv[i] + 12);
		if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
			reps = atoi(argv[++i]);
			if (reps < 1 || reps > MAX_REPS) {
				usage(stderr);
				return 2;
			}
		} else if (!strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	print_header(reps);
	bench_4k(reps, &res);
	bench_4k_variants(reps < 3 ? reps : 3, &res);
	bench_map1(reps < 3 ? reps : 3);
	bench_blocks(reps, &res);
	print_lookups_unmap(&res);
	printf("\ns2mt-bench: all results checked, %.1f s\n",
	       (double)(now_ns() - t0) / 1e9);
	return 0;
}
