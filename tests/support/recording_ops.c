// SPDX-License-Identifier: MIT
/* A recording struct s2mt_mm_ops for host tests; see recording_ops.h. */
#include "recording_ops.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define REC_PAGE 4096ull

static void bad(struct rec_env *env, const char *fmt, ...)
{
	va_list ap;

	if (!env->bad_calls++) {
		va_start(ap, fmt);
		vsnprintf(env->bad_msg, sizeof(env->bad_msg), fmt, ap);
		va_end(ap);
	}
}

/* ---- live page tracking: linear probing keyed by page address ---- */

static size_t page_home(const struct rec_env *env, uint64_t va)
{
	uint64_t h = (va >> 12) * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 20) & (env->pages_cap - 1);
}

static struct rec_page *page_find(const struct rec_env *env, uint64_t va)
{
	size_t i;

	if (!env->pages_cap)
		return NULL;
	va &= ~(REC_PAGE - 1);
	for (i = page_home(env, va); env->pages[i].va;
	     i = (i + 1) & (env->pages_cap - 1))
		if (env->pages[i].va == va)
			return &env->pages[i];
	return NULL;
}

static void page_insert_nogrow(struct rec_env *env, struct rec_page p)
{
	size_t i = page_home(env, p.va);

	while (env->pages[i].va)
		i = (i + 1) & (env->pages_cap - 1);
	env->pages[i] = p;
	env->pages_used++;
}

static void page_insert(struct rec_env *env, struct rec_page p)
{
	if ((env->pages_used + 1) * 2 > env->pages_cap) {
		struct rec_page *old = env->pages;
		size_t old_cap = env->pages_cap, i;

		env->pages_cap = old_cap ? old_cap * 2 : 1024;
		env->pages = calloc(env->pages_cap, sizeof(*env->pages));
		if (!env->pages)
			abort();
		env->pages_used = 0;
		for (i = 0; i < old_cap; i++)
			if (old[i].va)
				page_insert_nogrow(env, old[i]);
		free(old);
	}
	page_insert_nogrow(env, p);
}

/* Knuth's algorithm R: delete without tombstones. */
static void page_delete(struct rec_env *env, struct rec_page *slot)
{
	size_t mask = env->pages_cap - 1;
	size_t i = (size_t)(slot - env->pages), j = i, k;

	env->pages[i].va = 0;
	env->pages_used--;
	for (;;) {
		j = (j + 1) & mask;
		if (!env->pages[j].va)
			return;
		k = page_home(env, env->pages[j].va);
		if ((j > i && (k <= i || k > j)) ||
		    (j < i && (k <= i && k > j))) {
			env->pages[i] = env->pages[j];
			env->pages[j].va = 0;
			i = j;
		}
	}
}

/* ---- the log ---- */

static void record(struct rec_env *env, struct rec_event ev)
{
	ev.seq = env->seq++;
	env->events[ev.type]++;
	if (env->observe)
		env->observe(env->observe_arg, &ev);
	if (!env->log_on)
		return;
	if (ev.type == REC_EV_PTE_STORE && !env->log_pte_stores)
		return;
	if (env->log_len == env->log_cap) {
		size_t cap = env->log_cap ? env->log_cap * 2 : 4096;
		struct rec_event *log = realloc(env->log, cap * sizeof(*log));

		if (!log)
			abort();
		env->log = log;
		env->log_cap = cap;
	}
	env->log[env->log_len++] = ev;
}

/* ---- the hooks ---- */

static bool alloc_should_fail(struct rec_env *env)
{
	bool fail = false;

	if (env->fail_nth >= 0) {
		if (env->fail_nth == 0)
			fail = true;
		env->fail_nth--;
	}
	if (env->fail_after >= 0) {
		if (env->fail_after == 0)
			fail = true;
		else
			env->fail_after--;
	}
	return fail;
}

static void *rec_zalloc_pages(void *ctx, unsigned nr)
{
	struct rec_env *env = ctx;
	struct rec_event ev = { .type = REC_EV_ALLOC, .nr = nr };
	unsigned alloc_nr = nr, i;
	uint8_t *p;

	if (nr < 1 || nr > 16 || (nr & (nr - 1)))
		bad(env, "zalloc_pages(nr=%u): nr must be 1..16, a power of 2",
		    nr);
	if (alloc_should_fail(env)) {
		ev.type = REC_EV_ALLOC_FAIL;
		env->alloc_failures++;
		record(env, ev);
		return NULL;
	}
	if (!alloc_nr)
		alloc_nr = 1;
	while (alloc_nr & (alloc_nr - 1))
		alloc_nr++;
	p = aligned_alloc(alloc_nr * REC_PAGE, alloc_nr * REC_PAGE);
	if (!p)
		abort();
	memset(p, 0, alloc_nr * REC_PAGE);
	for (i = 0; i < alloc_nr; i++) {
		struct rec_page pg = {
			.va = (uint64_t)(uintptr_t)p + i * REC_PAGE,
			.base = (uint64_t)(uintptr_t)p,
			.nr = alloc_nr,
		};
		page_insert(env, pg);
	}
	env->alloc_calls++;
	env->alloc_pages += alloc_nr;
	env->live_pages += alloc_nr;
	ev.addr = (uint64_t)(uintptr_t)p + env->pa_offset;
	ev.size = alloc_nr * REC_PAGE;
	record(env, ev);
	return p;
}

static void rec_free_pages(void *ctx, void *va, unsigned nr)
{
	struct rec_env *env = ctx;
	struct rec_event ev = { .type = REC_EV_FREE, .nr = nr };
	uint64_t base = (uint64_t)(uintptr_t)va;
	struct rec_page *pg = page_find(env, base);
	unsigned i, pnr;

	ev.addr = base + env->pa_offset;
	ev.size = nr * REC_PAGE;
	record(env, ev);
	if (!pg || pg->base != base) {
		bad(env, "free_pages(%#" PRIx64 ", %u): not an allocation",
		    base, nr);
		return;
	}
	pnr = pg->nr;
	if (pnr != nr)
		bad(env, "free_pages(%#" PRIx64 ", %u): allocated with nr=%u",
		    base, nr, pnr);
	for (i = 0; i < pnr; i++)
		page_delete(env, page_find(env, base + i * REC_PAGE));
	/* Make a use after free visible without ASan too. */
	memset(va, 0x5a, pnr * REC_PAGE);
	free(va);
	env->free_calls++;
	env->free_pages += pnr;
	env->live_pages -= pnr;
}

static uint64_t rec_virt_to_phys(void *ctx, void *va)
{
	struct rec_env *env = ctx;
	uint64_t pa = (uint64_t)(uintptr_t)va;

	if (!page_find(env, pa))
		bad(env, "virt_to_phys(%p): not table memory", va);
	return pa + env->pa_offset;
}

static void *rec_phys_to_virt(void *ctx, uint64_t pa)
{
	struct rec_env *env = ctx;
	uint64_t va = pa - env->pa_offset;

	if (!page_find(env, va))
		bad(env, "phys_to_virt(%#" PRIx64 "): not table memory", pa);
	return (void *)(uintptr_t)va;
}

static void rec_tlbi_ipa(void *ctx, uint16_t vmid, uint64_t ipa, uint64_t size,
			 unsigned level)
{
	struct rec_event ev = {
		.type = REC_EV_TLBI_IPA,
		.vmid = vmid,
		.addr = ipa,
		.size = size,
		.level = (uint8_t)level,
	};

	record(ctx, ev);
}

static void rec_tlbi_vmid(void *ctx, uint16_t vmid)
{
	struct rec_event ev = { .type = REC_EV_TLBI_VMID, .vmid = vmid };

	record(ctx, ev);
}

static void rec_dcache(void *ctx, uint64_t pa, uint64_t size)
{
	struct rec_env *env = ctx;
	struct rec_event ev = { .type = REC_EV_DCACHE,
				.addr = pa,
				.size = size };

	env->dcache_bytes += size;
	record(env, ev);
}

static void rec_icache(void *ctx, uint64_t pa, uint64_t size)
{
	struct rec_env *env = ctx;
	struct rec_event ev = { .type = REC_EV_ICACHE,
				.addr = pa,
				.size = size };

	env->icache_bytes += size;
	record(env, ev);
}

static void rec_pte_store(void *ctx, uint64_t ipa, unsigned level,
			  uint64_t old_desc, uint64_t new_desc)
{
	struct rec_event ev = {
		.type = REC_EV_PTE_STORE,
		.addr = ipa,
		.level = (uint8_t)level,
		.old_desc = old_desc,
		.new_desc = new_desc,
	};

	record(ctx, ev);
}

const struct s2mt_mm_ops rec_ops = {
	.zalloc_pages = rec_zalloc_pages,
	.free_pages = rec_free_pages,
	.virt_to_phys = rec_virt_to_phys,
	.phys_to_virt = rec_phys_to_virt,
	.tlbi_ipa = rec_tlbi_ipa,
	.tlbi_vmid = rec_tlbi_vmid,
	.dcache_clean_inval_poc = rec_dcache,
	.icache_inval_pou = rec_icache,
	.pte_store = rec_pte_store,
};

const struct s2mt_mm_ops rec_ops_linear = {
	.zalloc_pages = rec_zalloc_pages,
	.free_pages = rec_free_pages,
	.virt_to_phys = rec_virt_to_phys,
	.phys_to_virt = rec_phys_to_virt,
	.tlbi_ipa = rec_tlbi_ipa,
	.tlbi_vmid = rec_tlbi_vmid,
	.dcache_clean_inval_poc = rec_dcache,
	.icache_inval_pou = rec_icache,
	.pte_store = rec_pte_store,
	.p2v_linear = true,
	.p2v_offset = 0ull - REC_PA_OFFSET,
};

const struct s2mt_mm_ops rec_ops_nostore = {
	.zalloc_pages = rec_zalloc_pages,
	.free_pages = rec_free_pages,
	.virt_to_phys = rec_virt_to_phys,
	.phys_to_virt = rec_phys_to_virt,
	.tlbi_ipa = rec_tlbi_ipa,
	.tlbi_vmid = rec_tlbi_vmid,
	.dcache_clean_inval_poc = rec_dcache,
	.icache_inval_pou = rec_icache,
};

/* ---- environment ---- */

void rec_env_init(struct rec_env *env)
{
	memset(env, 0, sizeof(*env));
	env->fail_nth = -1;
	env->fail_after = -1;
	env->log_on = true;
	env->log_pte_stores = true;
}

uint64_t rec_env_fini(struct rec_env *env)
{
	uint64_t leaked = env->live_pages;
	size_t i;

	for (i = 0; i < env->pages_cap; i++) {
		struct rec_page *pg = &env->pages[i];

		if (pg->va && pg->va == pg->base)
			free((void *)(uintptr_t)pg->base);
	}
	free(env->pages);
	free(env->log);
	env->pages = NULL;
	env->log = NULL;
	env->pages_cap = env->pages_used = 0;
	env->log_len = env->log_cap = 0;
	return leaked;
}

void rec_env_set_pa_offset(struct rec_env *env, uint64_t off)
{
	if (env->alloc_calls)
		bad(env, "rec_env_set_pa_offset after an allocation");
	env->pa_offset = off;
}

void *rec_va(const struct rec_env *env, uint64_t pa)
{
	uint64_t va = pa - env->pa_offset;

	return page_find(env, va) ? (void *)(uintptr_t)va : NULL;
}

void rec_log_reset(struct rec_env *env)
{
	env->log_len = 0;
}

void rec_log_enable(struct rec_env *env, bool on)
{
	env->log_on = on;
}

void rec_log_pte_stores(struct rec_env *env, bool on)
{
	env->log_pte_stores = on;
}

void rec_fail_nth(struct rec_env *env, uint64_t n)
{
	env->fail_nth = (int64_t)n;
}

void rec_fail_after(struct rec_env *env, uint64_t n)
{
	env->fail_after = (int64_t)n;
}

void rec_fail_clear(struct rec_env *env)
{
	env->fail_nth = -1;
	env->fail_after = -1;
}

size_t rec_count_range(const struct rec_env *env, enum rec_ev_type type,
		       size_t from, size_t to)
{
	size_t i, n = 0;

	if (to > env->log_len)
		to = env->log_len;
	for (i = from; i < to; i++)
		n += env->log[i].type == type;
	return n;
}

size_t rec_count(const struct rec_env *env, enum rec_ev_type type)
{
	return rec_count_range(env, type, 0, env->log_len);
}

uint64_t rec_cmo_bytes(const struct rec_env *env, enum rec_ev_type type)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < env->log_len; i++)
		if (env->log[i].type == type)
			sum += env->log[i].size;
	return sum;
}

size_t rec_find(const struct rec_env *env, enum rec_ev_type type, size_t from)
{
	size_t i;

	for (i = from; i < env->log_len; i++)
		if (env->log[i].type == type)
			return i;
	return REC_NONE;
}

bool rec_cmo_covers(const struct rec_env *env, enum rec_ev_type type,
		    size_t from, size_t to, uint64_t pa, uint64_t size)
{
	uint64_t cur = pa, end = pa + size;
	bool progress = true;
	size_t i;

	if (to > env->log_len)
		to = env->log_len;
	/* Extend [pa, cur) while some event starts inside it. */
	while (cur < end && progress) {
		progress = false;
		for (i = from; i < to; i++) {
			const struct rec_event *ev = &env->log[i];

			if (ev->type != type)
				continue;
			if (ev->addr <= cur && ev->addr + ev->size > cur) {
				cur = ev->addr + ev->size;
				progress = true;
			}
		}
	}
	return cur >= end;
}

bool rec_is_live(const struct rec_env *env, uint64_t pa)
{
	return rec_va(env, pa) != NULL;
}

const char *rec_ev_name(unsigned type)
{
	static const char *const names[REC_EV_COUNT_] = {
		[REC_EV_PTE_STORE] = "pte_store",
		[REC_EV_TLBI_IPA] = "tlbi_ipa",
		[REC_EV_TLBI_VMID] = "tlbi_vmid",
		[REC_EV_DCACHE] = "dcache_clean_inval_poc",
		[REC_EV_ICACHE] = "icache_inval_pou",
		[REC_EV_ALLOC] = "alloc",
		[REC_EV_ALLOC_FAIL] = "alloc_fail",
		[REC_EV_FREE] = "free",
	};

	return type < REC_EV_COUNT_ ? names[type] : "?";
}

int rec_ev_format(const struct rec_event *ev, char *buf, size_t len)
{
	switch (ev->type) {
	case REC_EV_PTE_STORE:
		return snprintf(buf, len,
				"#%" PRIu64 " pte_store ipa=%#" PRIx64
				" L%u %#018" PRIx64 " -> %#018" PRIx64,
				ev->seq, ev->addr, ev->level, ev->old_desc,
				ev->new_desc);
	case REC_EV_TLBI_IPA:
		return snprintf(buf, len,
				"#%" PRIu64 " tlbi_ipa vmid=%u ipa=%#" PRIx64
				" size=%#" PRIx64 " level=%s%u",
				ev->seq, ev->vmid, ev->addr, ev->size,
				ev->level == S2MT_LEVEL_ANY ? "ANY/" : "",
				ev->level);
	case REC_EV_TLBI_VMID:
		return snprintf(buf, len, "#%" PRIu64 " tlbi_vmid vmid=%u",
				ev->seq, ev->vmid);
	case REC_EV_DCACHE:
	case REC_EV_ICACHE:
		return snprintf(
			buf, len,
			"#%" PRIu64 " %s pa=%#" PRIx64 " size=%#" PRIx64,
			ev->seq, rec_ev_name(ev->type), ev->addr, ev->size);
	default:
		return snprintf(
			buf, len, "#%" PRIu64 " %s pa=%#" PRIx64 " nr=%u",
			ev->seq, rec_ev_name(ev->type), ev->addr, ev->nr);
	}
}

void rec_log_print(const struct rec_env *env, FILE *f, size_t from, size_t to)
{
	char buf[200];
	size_t i;

	if (to > env->log_len)
		to = env->log_len;
	for (i = from; i < to; i++) {
		rec_ev_format(&env->log[i], buf, sizeof(buf));
		fprintf(f, "  [%zu] %s\n", i, buf);
	}
}

/* ---- break-before-make checker ---- */

#define D_PERM_MASK ((3ull << 6) | (3ull << 53)) /* S2AP, XN */

enum dkind { D_INVALID, D_TABLE, D_LEAF, D_RESERVED };

static enum dkind dkind(uint64_t desc, unsigned level)
{
	if (!(desc & 1))
		return D_INVALID;
	if (level == 3)
		return (desc & 2) ? D_LEAF : D_RESERVED;
	if (desc & 2)
		return D_TABLE;
	return level == 0 ? D_RESERVED : D_LEAF;
}

/* Whether new lacks a permission old had: R, W, or execution. */
static bool loses_perm(uint64_t old, uint64_t new)
{
	uint64_t oxn = (old >> 53) & 3, nxn = (new >> 53) & 3;

	if ((old & ~new) & (3ull << 6))
		return true;
	return oxn != nxn && !(oxn == 2 && nxn == 0);
}

struct pending {
	uint64_t ipa, size;
	unsigned level;
	size_t at; /* log index of the store */
	bool broken; /* made invalid (else: lost a permission) */
};

struct bbm_state {
	const struct rec_env *env;
	char *msg;
	size_t len, errors;
	struct pending *p;
	size_t n, cap;
};

static void bbm_err(struct bbm_state *st, size_t at, const char *fmt, ...)
{
	char ev[200];
	int off;
	va_list ap;

	if (st->errors++ || !st->len)
		return;
	rec_ev_format(&st->env->log[at], ev, sizeof(ev));
	off = snprintf(st->msg, st->len, "log[%zu] %s: ", at, ev);
	if (off < 0 || (size_t)off >= st->len)
		return;
	va_start(ap, fmt);
	vsnprintf(st->msg + off, st->len - (size_t)off, fmt, ap);
	va_end(ap);
}

static void bbm_push(struct bbm_state *st, struct pending p)
{
	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 64;
		struct pending *np = realloc(st->p, cap * sizeof(*np));

		if (!np)
			abort();
		st->p = np;
		st->cap = cap;
	}
	st->p[st->n++] = p;
}

size_t rec_check_bbm(const struct rec_env *env, size_t from, uint16_t vmid,
		     char *msg, size_t len)
{
	struct bbm_state st = { .env = env, .msg = msg, .len = len };
	size_t i, j;

	if (len)
		msg[0] = '\0';
	for (i = from; i < env->log_len; i++) {
		const struct rec_event *ev = &env->log[i];

		if (ev->type == REC_EV_PTE_STORE) {
			unsigned lvl = ev->level;
			enum dkind ok, nk;

			if (lvl > 3) {
				bbm_err(&st, i, "level out of range");
				continue;
			}
			if (ev->addr & (s2mt_level_size(lvl) - 1))
				bbm_err(&st, i, "ipa not aligned to the level");
			ok = dkind(ev->old_desc, lvl);
			nk = dkind(ev->new_desc, lvl);
			if (nk == D_RESERVED)
				bbm_err(&st, i, "stores a reserved descriptor");
			if (ev->old_desc == ev->new_desc)
				continue;
			if (ok != D_INVALID && nk != D_INVALID) {
				if (ok != D_LEAF || nk != D_LEAF ||
				    ((ev->old_desc ^ ev->new_desc) &
				     ~D_PERM_MASK)) {
					bbm_err(&st, i,
						"valid entry changed into "
						"another "
						"valid one without "
						"break-before-"
						"make");
					continue;
				}
				if (loses_perm(ev->old_desc, ev->new_desc)) {
					struct pending p = {
						.ipa = ev->addr,
						.size = s2mt_level_size(lvl),
						.level = lvl,
						.at = i,
						.broken = false,
					};
					bbm_push(&st, p);
				}
				continue;
			}
			if (ok != D_INVALID) {
				struct pending p = {
					.ipa = ev->addr,
					.size = s2mt_level_size(lvl),
					.level = lvl,
					.at = i,
					.broken = true,
				};
				bbm_push(&st, p);
				continue;
			}
			/* invalid -> valid: not while a break is pending */
			for (j = 0; j < st.n; j++)
				if (st.p[j].broken && st.p[j].ipa == ev->addr &&
				    st.p[j].level == lvl) {
					bbm_err(&st, i,
						"entry made valid again before "
						"a TLBI covered its break at "
						"log[%zu]",
						st.p[j].at);
					break;
				}
		} else if (ev->type == REC_EV_TLBI_IPA) {
			if (ev->vmid != vmid)
				bbm_err(&st, i, "wrong VMID (want %u)", vmid);
			if (!ev->size)
				bbm_err(&st, i, "empty range");
			for (j = 0; j < st.n;) {
				struct pending *p = &st.p[j];
				bool lvl_ok = ev->level == S2MT_LEVEL_ANY ||
					ev->level == p->level;
				bool overlap = ev->addr < p->ipa + p->size &&
					p->ipa < ev->addr + ev->size;

				if (ev->vmid == vmid && lvl_ok && overlap)
					st.p[j] = st.p[--st.n];
				else
					j++;
			}
		} else if (ev->type == REC_EV_TLBI_VMID) {
			if (ev->vmid != vmid)
				bbm_err(&st, i, "wrong VMID (want %u)", vmid);
			else
				st.n = 0;
		}
	}
	for (j = 0; j < st.n; j++)
		bbm_err(&st, st.p[j].at,
			"%s never covered by a TLBI (of its level or ANY)",
			st.p[j].broken ? "entry invalidated but"
				       : "permission removed but");
	free(st.p);
	return st.errors;
}
