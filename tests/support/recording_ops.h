/* SPDX-License-Identifier: MIT */
/*
 * A recording struct s2mt_mm_ops for host tests (hosted C, libc allowed).
 *
 * Usage:
 *
 *	struct rec_env env;
 *	struct s2mt_pgt pgt;
 *
 *	rec_env_init(&env);
 *	s2mt_pgt_init(&pgt, &cfg, &rec_ops, &env);
 *	rec_log_reset(&env);
 *	s2mt_pgt_map(&pgt, ...);
 *	... inspect env.log[0 .. env.log_len) ...
 *	s2mt_pgt_destroy(&pgt);
 *	leaked = rec_env_fini(&env);
 *
 * Pages come from aligned_alloc() (nr * 4 KiB, aligned to nr * 4 KiB) and
 * are zeroed; physical addresses are the virtual ones (identity mapping,
 * pa = (uint64_t)va, fine for x86-64 and arm64 user space where addresses
 * are below 2^47), or, after rec_env_set_pa_offset(env, REC_PA_OFFSET),
 * pa = va + 2^47, so that code confusing VA and PA fails. Three hook sets:
 *  - rec_ops: every hook, phys_to_virt called (p2v_linear false);
 *  - rec_ops_linear: the same with p2v_linear and a p2v_offset of
 *    -REC_PA_OFFSET: use it with rec_env_set_pa_offset(REC_PA_OFFSET);
 *  - rec_ops_nostore: no pte_store hook (the optional hook absent, as in
 *    production; PTE stores are then neither logged nor counted).
 * Every live allocation is tracked, so the environment
 * also checks the caller's side of the contract: nr in 1..16 and a power
 * of two, frees of exactly what was allocated, virt_to_phys and
 * phys_to_virt on table memory only. Violations are counted in bad_calls
 * and the first one is described in bad_msg; the call still does the
 * most harmless thing (an unknown free is not passed to free()).
 *
 * Every hook appends an event to a growable, ordered log unless logging is
 * off (rec_log_enable) or, for PTE stores only, rec_log_pte_stores(false);
 * the per-type totals in events[] and the CMO byte totals always count.
 * Out-of-memory can be injected: rec_fail_nth (one allocation fails) or
 * rec_fail_after (every allocation after n more fails, until cleared).
 */
#ifndef S2MT_TESTS_RECORDING_OPS_H
#define S2MT_TESTS_RECORDING_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <s2mt/core.h>

enum rec_ev_type {
	REC_EV_PTE_STORE, /* addr = ipa, level, old_desc, new_desc */
	REC_EV_TLBI_IPA, /* vmid, addr = ipa, size, level (or LEVEL_ANY) */
	REC_EV_TLBI_VMID, /* vmid */
	REC_EV_DCACHE, /* dcache_clean_inval_poc: addr = pa, size */
	REC_EV_ICACHE, /* icache_inval_pou: addr = pa, size */
	REC_EV_ALLOC, /* addr = pa of the pages, nr, size = nr * 4K */
	REC_EV_ALLOC_FAIL, /* an injected failure: nr */
	REC_EV_FREE, /* addr = pa (as passed, translated), nr, size */
	REC_EV_COUNT_,
};

struct rec_event {
	uint64_t seq; /* position in the whole history (never reset) */
	uint8_t type; /* enum rec_ev_type */
	uint8_t level; /* PTE_STORE, TLBI_IPA */
	uint16_t vmid; /* TLBI_IPA, TLBI_VMID */
	uint32_t nr; /* ALLOC, ALLOC_FAIL, FREE: pages */
	uint64_t addr; /* ipa (PTE_STORE, TLBI_IPA) or pa (the others) */
	uint64_t size; /* bytes */
	uint64_t old_desc, new_desc; /* PTE_STORE */
};

/* One tracked page of a live allocation (internal). */
struct rec_page {
	uint64_t va; /* 0: empty slot */
	uint64_t base; /* first page of its allocation */
	uint32_t nr; /* pages in that allocation */
};

struct rec_env {
	/* Totals since rec_env_init; rec_log_reset does not touch them. */
	uint64_t alloc_calls, alloc_pages; /* successful allocations */
	uint64_t free_calls, free_pages;
	uint64_t alloc_failures; /* injected */
	uint64_t live_pages;
	uint64_t pa_offset; /* pa = va + pa_offset (0 or REC_PA_OFFSET) */
	uint64_t events[REC_EV_COUNT_]; /* every event, logged or not */
	uint64_t dcache_bytes, icache_bytes;

	/* Contract violations by the code under test. */
	uint64_t bad_calls;
	char bad_msg[200];

	/* Out-of-memory injection (see rec_fail_nth / rec_fail_after). */
	int64_t fail_nth;
	int64_t fail_after;

	/* The log: log[0 .. log_len). */
	bool log_on;
	bool log_pte_stores;
	struct rec_event *log;
	size_t log_len, log_cap;
	uint64_t seq;

	/* Optional observer, called for every event (logged or not). */
	void (*observe)(void *arg, const struct rec_event *ev);
	void *observe_arg;

	/* Live pages, open addressing (internal). */
	struct rec_page *pages;
	size_t pages_cap, pages_used;
};

/* The hooks; ctx must be a struct rec_env *. See the top of the file. */
extern const struct s2mt_mm_ops rec_ops;
extern const struct s2mt_mm_ops rec_ops_linear;
extern const struct s2mt_mm_ops rec_ops_nostore;

/* The non-identity offset: PAs get bit 47 (user VAs are below 2^47). */
#define REC_PA_OFFSET (1ull << 47)

/* Logging on, PTE stores logged, no injection. */
void rec_env_init(struct rec_env *env);
/* Frees the log and every page still live; returns how many pages were
 * still live (leaked by the code under test, or not yet destroyed). */
uint64_t rec_env_fini(struct rec_env *env);

/* Set before the first allocation: pa = va + off. */
void rec_env_set_pa_offset(struct rec_env *env, uint64_t off);
/* The virtual address of a PA of the environment's pages (NULL if not). */
void *rec_va(const struct rec_env *env, uint64_t pa);

/* Empty the log (totals are kept). */
void rec_log_reset(struct rec_env *env);
void rec_log_enable(struct rec_env *env, bool on);
void rec_log_pte_stores(struct rec_env *env, bool on);

/* The next n allocations succeed, the one after fails once (n = 0: the
 * next one fails). */
void rec_fail_nth(struct rec_env *env, uint64_t n);
/* The next n allocations succeed, every later one fails until cleared. */
void rec_fail_after(struct rec_env *env, uint64_t n);
void rec_fail_clear(struct rec_env *env);

/* Events of a type in log[from, to) (to is clamped to log_len). */
size_t rec_count_range(const struct rec_env *env, enum rec_ev_type type,
		       size_t from, size_t to);
/* Events of a type in the whole log. */
size_t rec_count(const struct rec_env *env, enum rec_ev_type type);
/* Bytes of the DCACHE or ICACHE events in the log. */
uint64_t rec_cmo_bytes(const struct rec_env *env, enum rec_ev_type type);
/* Index of the first event of a type at or after from, or REC_NONE. */
#define REC_NONE ((size_t)-1)
size_t rec_find(const struct rec_env *env, enum rec_ev_type type, size_t from);
/* Whether the events of a type (DCACHE, ICACHE) in log[from, to) cover
 * [pa, pa + size) completely. */
bool rec_cmo_covers(const struct rec_env *env, enum rec_ev_type type,
		    size_t from, size_t to, uint64_t pa, uint64_t size);

/* Whether pa lies in a live allocation of the environment. */
bool rec_is_live(const struct rec_env *env, uint64_t pa);

const char *rec_ev_name(unsigned type);
/* One line describing an event. Returns the length (snprintf's). */
int rec_ev_format(const struct rec_event *ev, char *buf, size_t len);
/* Print log[from, to) to f, one event per line. */
void rec_log_print(const struct rec_env *env, FILE *f, size_t from, size_t to);

/*
 * Check the break-before-make and TLB maintenance discipline of the PTE
 * stores and TLBIs in log[from, log_len), one operation's worth of log
 * (PTE stores must be logged). Rules:
 *  - a store never changes a valid entry into another valid one, except a
 *    leaf into a leaf of the same level that differs only in S2AP/XN
 *    (a permission change, done in place);
 *  - an entry made invalid (leaf or table) is not made valid again at the
 *    same (ipa, level) before a TLBI covers it;
 *  - every entry made invalid, and every leaf that lost a permission, is
 *    covered by a TLBI before the end of the log: tlbi_vmid of vmid, or
 *    tlbi_ipa of vmid whose range overlaps the entry's range and whose
 *    level is the entry's level or S2MT_LEVEL_ANY (one TLBI by IPA drops
 *    the whole TLB entry, so overlapping is enough);
 *  - TLBIs name vmid, have a non-zero size; stores name a level 0..3 and
 *    an ipa aligned to that level; no reserved descriptor (a block at
 *    level 0, 0b01 at level 3) is stored.
 * Returns the number of violations; the first is described in msg.
 */
size_t rec_check_bbm(const struct rec_env *env, size_t from, uint16_t vmid,
		     char *msg, size_t len);

#endif /* S2MT_TESTS_RECORDING_OPS_H */
