// SPDX-License-Identifier: MIT
/*
 * The stage-2 page table: VMSAv8-64, 4 KB granule (SPEC A1, A2).
 *
 * Every changing operation runs twice over the same walker: a dry pass that
 * validates the request and counts the table pages it will need, then (once
 * those pages are reserved) the pass that changes the table. The second pass
 * cannot fail, so an out-of-memory error leaves the table exactly as it was.
 *
 * A map or unmap whose range sits inside one existing table, where every
 * entry it touches is a whole leaf (always so at level 3), can need no table
 * page and cannot fail: it skips the dry pass and starts at that table (a
 * stage-2 fault's single page). Leaves going into empty entries with no
 * hook to run are written in a tight loop; into a table the walk has just
 * allocated (known zero) without even reading the old entries.
 */
#include <s2mt/core.h>

/* ------------------------------------------------------------------ */
/* Prot and descriptors                                                */
/* ------------------------------------------------------------------ */

static const char *const mtype_names[] = { "normal", "normal-nc", "device",
					   "as-s1", "raw" };

const char *s2mt_mtype_name(unsigned type)
{
	return type < S2MT_MT_COUNT_ ? mtype_names[type] : "?";
}

uint8_t s2mt_prot_memattr(struct s2mt_prot prot, bool fwb)
{
	/* A3/A4: Linux's values, FWB NORMAL=6 NORMAL_NC=5 DEVICE=1 AS_S1=7;
	 * without FWB NORMAL=0xF (which also leaves stage 1 in charge). */
	static const uint8_t nofwb[] = { 0xf, 0x5, 0x1, 0xf };
	static const uint8_t withfwb[] = { 0x6, 0x5, 0x1, 0x7 };

	if (prot.type >= S2MT_MT_RAW)
		return prot.memattr & 0xf;
	return fwb ? withfwb[prot.type] : nofwb[prot.type];
}

/* Device or Normal inner+outer NC: the types K3 keeps non-executable. */
static bool s2type_uncached(const struct s2mt_s2type *t)
{
	return t->kind == S2MT_S2_DEVICE ||
		(t->kind == S2MT_S2_NORMAL && t->inner == S2MT_CACHE_NC &&
		 t->outer == S2MT_CACHE_NC);
}

/* s2mt_prot_check(), also telling whether the leaf is cacheable (K5): one
 * decode for both, as map needs both on every call. */
static int prot_check_cacheable(struct s2mt_prot prot, bool fwb,
				const char **why, bool *cacheable)
{
	/* The named types' MemAttr (s2mt_prot_memattr()) decode, with FWB
	 * (A4) and without (A3) alike, to: Normal-WB, Normal-NC, Device,
	 * Normal-WB or stage 1's. None is reserved; NC and Device are the
	 * uncached ones. Known here, a fault's map needs no decode. */
	static const bool named_uncached[S2MT_MT_RAW] = {
		[S2MT_MT_NORMAL_NC] = true,
		[S2MT_MT_DEVICE] = true,
	};
	struct s2mt_s2type t;
	const char *reason = NULL;

	if (prot.type < S2MT_MT_RAW && !(prot.perm & ~S2MT_PROT_RWX) &&
	    !((prot.perm & S2MT_PROT_X) && named_uncached[prot.type])) {
		*cacheable = !named_uncached[prot.type];
		return 0;
	}
	/* Device together with Normal-NC (K3) cannot be expressed: the type
	 * is one enum value. */
	if (prot.perm & ~S2MT_PROT_RWX)
		reason = "prot: unknown permission bits";
	else if (prot.type >= S2MT_MT_COUNT_)
		reason = "prot: unknown memory type";
	else if (s2mt_s2_decode(s2mt_prot_memattr(prot, fwb), fwb, &t))
		reason = fwb ? "A4: reserved stage-2 MemAttr with FWB"
			     : "A3: reserved stage-2 MemAttr without FWB";
	else if ((prot.perm & S2MT_PROT_X) && t.kind == S2MT_S2_DEVICE)
		reason = "K3: execute permission refused for Device memory";
	else if ((prot.perm & S2MT_PROT_X) && s2type_uncached(&t))
		reason = "K3: execute permission refused for Normal-NC memory";
	if (!reason) {
		/* AS_S1 may be cacheable, depending on the guest: count it. */
		*cacheable = !s2type_uncached(&t);
		return 0;
	}
	if (why)
		*why = reason;
	return -S2MT_EINVAL;
}

int s2mt_prot_check(struct s2mt_prot prot, bool fwb, const char **why)
{
	bool cacheable;

	return prot_check_cacheable(prot, fwb, why, &cacheable);
}

static bool memattr_cacheable(uint8_t memattr, bool fwb)
{
	struct s2mt_s2type t;

	if (s2mt_s2_decode(memattr, fwb, &t))
		return false;
	/* AS_S1 may be cacheable, depending on the guest: count it. */
	return !s2type_uncached(&t);
}

bool s2mt_prot_cacheable(struct s2mt_prot prot, bool fwb)
{
	return memattr_cacheable(s2mt_prot_memattr(prot, fwb), fwb);
}

/* The one place a prot becomes descriptor bits (less address and type). */
static uint64_t prot_bits(struct s2mt_prot prot, bool fwb)
{
	uint64_t d = S2MT_PTE_VALID | S2MT_PTE_AF |
		(uint64_t)S2MT_SH_ISH << S2MT_PTE_SH_SHIFT |
		(uint64_t)s2mt_prot_memattr(prot, fwb)
			<< S2MT_PTE_MEMATTR_SHIFT;

	if (prot.perm & S2MT_PROT_R)
		d |= S2MT_PTE_S2AP_R;
	if (prot.perm & S2MT_PROT_W)
		d |= S2MT_PTE_S2AP_W;
	if (!(prot.perm & S2MT_PROT_X))
		d |= S2MT_PTE_XN_NONE;
	return d;
}

static uint64_t leaf_type_bits(unsigned level)
{
	return level == 3 ? S2MT_PTE_TABLE : 0; /* page 0b11, block 0b01 */
}

uint64_t s2mt_pte_leaf(uint64_t pa, struct s2mt_prot prot, unsigned level,
		       bool fwb)
{
	return (pa & S2MT_PTE_ADDR_MASK & ~(s2mt_level_size(level) - 1)) |
		prot_bits(prot, fwb) | leaf_type_bits(level);
}

uint64_t s2mt_pte_leaf_prepared(const struct s2mt_pgt_prepared *prep,
				uint64_t pa, unsigned level)
{
	return (pa & S2MT_PTE_ADDR_MASK & ~(s2mt_level_size(level) - 1)) |
		prep->leaf_bits | leaf_type_bits(level);
}

void s2mt_leaf_decode(uint64_t desc, unsigned level, uint64_t ipa,
		      struct s2mt_leaf *out)
{
	uint64_t size = s2mt_level_size(level);

	out->level = level;
	out->size = size;
	out->ipa = ipa & ~(size - 1);
	out->pa = desc & S2MT_PTE_ADDR_MASK & ~(size - 1);
	out->desc = desc;
	out->memattr = (uint8_t)((desc & S2MT_PTE_MEMATTR_MASK) >>
				 S2MT_PTE_MEMATTR_SHIFT);
	out->s2ap = (uint8_t)((desc >> 6) & 3);
	out->xn = (uint8_t)((desc & S2MT_PTE_XN_MASK) >> S2MT_PTE_XN_SHIFT);
	out->sh = (uint8_t)((desc & S2MT_PTE_SH_MASK) >> S2MT_PTE_SH_SHIFT);
	out->af = desc & S2MT_PTE_AF;
}

struct s2mt_prot s2mt_leaf_prot(const struct s2mt_leaf *leaf, bool fwb)
{
	struct s2mt_prot p = { .memattr = leaf->memattr, .type = S2MT_MT_RAW };

	if (leaf->s2ap & 1)
		p.perm |= S2MT_PROT_R;
	if (leaf->s2ap & 2)
		p.perm |= S2MT_PROT_W;
	if (leaf->xn == 0)
		p.perm |= S2MT_PROT_X;
	for (unsigned t = 0; t < S2MT_MT_RAW; t++) {
		struct s2mt_prot named = { .type = (uint8_t)t };

		if (s2mt_prot_memattr(named, fwb) == leaf->memattr) {
			p.type = (uint8_t)t;
			p.memattr = 0;
			break;
		}
	}
	return p;
}

static unsigned desc_perm(uint64_t d)
{
	unsigned p = 0;

	if (d & S2MT_PTE_S2AP_R)
		p |= S2MT_PROT_R;
	if (d & S2MT_PTE_S2AP_W)
		p |= S2MT_PROT_W;
	if (!(d & S2MT_PTE_XN_MASK))
		p |= S2MT_PROT_X;
	return p;
}

static uint64_t desc_with_perm(uint64_t d, unsigned perm)
{
	d &= ~(S2MT_PTE_S2AP_R | S2MT_PTE_S2AP_W | S2MT_PTE_XN_MASK);
	if (perm & S2MT_PROT_R)
		d |= S2MT_PTE_S2AP_R;
	if (perm & S2MT_PROT_W)
		d |= S2MT_PTE_S2AP_W;
	if (!(perm & S2MT_PROT_X))
		d |= S2MT_PTE_XN_NONE;
	return d;
}

static uint8_t desc_memattr(uint64_t d)
{
	return (uint8_t)((d & S2MT_PTE_MEMATTR_MASK) >> S2MT_PTE_MEMATTR_SHIFT);
}

static bool desc_valid(uint64_t d)
{
	return d & S2MT_PTE_VALID;
}

static bool desc_is_table(uint64_t d, unsigned level)
{
	return level < 3 &&
		(d & (S2MT_PTE_VALID | S2MT_PTE_TABLE)) ==
		(S2MT_PTE_VALID | S2MT_PTE_TABLE);
}

/* A valid leaf: a block at L1/L2 or a page at L3 (0b01 at L3 is invalid). */
static bool desc_is_leaf(uint64_t d, unsigned level)
{
	if (!desc_valid(d))
		return false;
	if (level == 3)
		return d & S2MT_PTE_TABLE;
	return !(d & S2MT_PTE_TABLE) && level > 0;
}

/* ------------------------------------------------------------------ */
/* Geometry (A2)                                                       */
/* ------------------------------------------------------------------ */

int s2mt_geometry(const struct s2mt_pgt_cfg *cfg, struct s2mt_geometry *out,
		  const char **why)
{
	static const unsigned ps_bits[] = { 32, 36, 40, 42, 44, 48 };
	unsigned ps = 0xff, sl, resolved;
	const char *reason = NULL;

	for (unsigned i = 0; i < sizeof(ps_bits) / sizeof(ps_bits[0]); i++)
		if (cfg->pa_bits == ps_bits[i])
			ps = i;
	if (cfg->ipa_bits < 32 || cfg->ipa_bits > 48)
		reason = "A2: IPA size must be 32..48 bits with 4 KB pages";
	else if (ps == 0xff)
		reason = "A2: PA size must be 32, 36, 40, 42, 44 or 48 bits";
	else if (cfg->ipa_bits > cfg->pa_bits)
		reason = "A2: IPA size larger than the PA size (VTCR.PS)";
	else if (!cfg->vmid16 && cfg->vmid > 0xff)
		reason = "A2: VMID above 255 needs 16-bit VMIDs (VTCR.VS)";
	if (reason)
		goto refuse;

	if (cfg->start_level == S2MT_START_AUTO)
		/* Linux: the fewest levels with at most 16 start tables. */
		sl = cfg->ipa_bits <= 34 ? 2 : cfg->ipa_bits <= 43 ? 1 : 0;
	else
		sl = cfg->start_level;
	if (sl > 2) {
		reason = "A2: start level must be 0, 1 or 2";
		goto refuse;
	}
	/* The start level resolves ipa - (12 + 9 * (3 - sl)) bits: 1..13,
	 * i.e. up to 16 concatenated tables (none at level 0). */
	resolved = cfg->ipa_bits - (12 + 9 * (3 - sl));
	if ((int)resolved < 1 || resolved > (sl == 0 ? 9u : 13u)) {
		reason = "A2: this start level cannot resolve this IPA size "
			 "with at most 16 concatenated tables";
		goto refuse;
	}
	out->start_level = sl;
	out->nr_start_tables = resolved > 9 ? 1u << (resolved - 9) : 1u;
	out->vtcr = (uint64_t)(64 - cfg->ipa_bits) | /* T0SZ */
		(uint64_t)(2 - sl) << 6 | /* SL0: L2=0 L1=1 L0=2 */
		1ull << 8 | 1ull << 10 | /* IRGN0, ORGN0: WBWA walks */
		3ull << 12 | /* SH0: Inner Shareable */
		(uint64_t)ps << 16 | (cfg->vmid16 ? 1ull << 19 : 0) |
		1ull << 31; /* RES1 */
	return 0;
refuse:
	if (why)
		*why = reason;
	return -S2MT_EINVAL;
}

/* ------------------------------------------------------------------ */
/* The walker                                                          */
/* ------------------------------------------------------------------ */

enum walk_op { OP_MAP, OP_UNMAP, OP_RELAX, OP_RESTRICT };

struct walk {
	struct s2mt_pgt *pgt;
	enum walk_op op;
	bool dry; /* validate and count; change nothing */
	uint64_t start, end;
	uint64_t pa; /* OP_MAP: output address of start */
	struct s2mt_prot prot;
	uint64_t leaf_bits; /* OP_MAP: prot_bits() */
	bool new_cacheable;
	unsigned min_leaf_level; /* OP_MAP: the largest leaf allowed */
	unsigned perm; /* OP_RELAX/OP_RESTRICT */
	bool defer_tlbi; /* OP_RESTRICT: the caller invalidates the range */
	size_t need; /* dry: table pages needed */
	struct s2mt_memcache mc;
	int err;
};

/* The index of ipa's entry in its table at a level. */
#define IDX(ipa, level) (((ipa) >> (S2MT_PAGE_SHIFT + 9 * (3 - (level)))) & 511)

static inline void *p2v(const struct s2mt_pgt *pgt, uint64_t pa)
{
	if (pgt->ops->p2v_linear)
		return (void *)(uintptr_t)(pa + pgt->ops->p2v_offset);
	return pgt->ops->phys_to_virt(pgt->ctx, pa);
}

static uint64_t *child_table(const struct s2mt_pgt *pgt, uint64_t desc)
{
	return p2v(pgt, desc & S2MT_PTE_ADDR_MASK);
}

static void store(struct s2mt_pgt *pgt, uint64_t *ptep, uint64_t ipa,
		  unsigned level, uint64_t desc)
{
	uint64_t old = *ptep;

	*(volatile uint64_t *)ptep = desc;
	if (pgt->ops->pte_store)
		pgt->ops->pte_store(pgt->ctx, ipa, level, old, desc);
}

static void tlbi(struct s2mt_pgt *pgt, uint64_t ipa, uint64_t size,
		 unsigned level)
{
	pgt->ops->tlbi_ipa(pgt->ctx, pgt->cfg.vmid, ipa, size, level);
}

/* Break: make a valid entry invalid and drop it from the TLBs. */
static void brk(struct s2mt_pgt *pgt, uint64_t *ptep, uint64_t ipa,
		unsigned level)
{
	bool table = desc_is_table(*ptep, level);

	store(pgt, ptep, ipa, level, 0);
	tlbi(pgt, ipa, s2mt_level_size(level), table ? S2MT_LEVEL_ANY : level);
	pgt->stats.bbm++;
}

static void dclean(struct s2mt_pgt *pgt, uint64_t pa, uint64_t size)
{
	pgt->ops->dcache_clean_inval_poc(pgt->ctx, pa, size);
}

static void iinval(struct s2mt_pgt *pgt, uint64_t pa, uint64_t size)
{
	pgt->ops->icache_inval_pou(pgt->ctx, pa, size);
}

static bool leaf_cacheable(const struct s2mt_pgt *pgt, uint64_t d)
{
	return memattr_cacheable(desc_memattr(d), pgt->cfg.fwb);
}

/* K5: a cacheable leaf leaving the table on a host without FWB is cleaned,
 * unless the replacement maps the same PA cacheably. */
static void retire_leaf(struct s2mt_pgt *pgt, uint64_t old, unsigned level,
			uint64_t repl)
{
	uint64_t size = s2mt_level_size(level);
	uint64_t pa = old & S2MT_PTE_ADDR_MASK & ~(size - 1);

	if (pgt->cfg.fwb || !leaf_cacheable(pgt, old))
		return;
	if (desc_valid(repl) && leaf_cacheable(pgt, repl) &&
	    (repl & S2MT_PTE_ADDR_MASK) == pa)
		return;
	dclean(pgt, pa, size);
}

static void *mc_take(struct s2mt_pgt *pgt, struct s2mt_memcache *mc)
{
	uint64_t *page = mc->head;

	if (!page) {
		/* The dry pass counted wrong: never expected, counted. */
		pgt->stats.prepare_misses++;
		return pgt->ops->zalloc_pages(pgt->ctx, 1);
	}
	mc->head = *(void **)page;
	mc->nr--;
	page[0] = 0;
	pgt->stats.tables_allocated++;
	return page;
}

static void mc_put(struct s2mt_memcache *mc, void *page)
{
	*(void **)page = mc->head;
	mc->head = page;
	mc->nr++;
}

static void mc_drain(struct s2mt_pgt *pgt, struct s2mt_memcache *mc)
{
	while (mc->head) {
		void *page = mc->head;

		mc->head = *(void **)page;
		mc->nr--;
		pgt->ops->free_pages(pgt->ctx, page, 1);
	}
}

static void free_table(struct s2mt_pgt *pgt, uint64_t *table)
{
	pgt->ops->free_pages(pgt->ctx, table, 1);
	pgt->stats.tables_freed++;
}

/* A detached subtree: retire its leaves (K5), then free its tables. The
 * parent entry has already been broken and invalidated. */
static void drop_subtree(struct s2mt_pgt *pgt, uint64_t *table, unsigned level,
			 uint64_t ipa, uint64_t repl)
{
	uint64_t size = s2mt_level_size(level);

	/* A level-3 table holds nothing but leaves, and with FWB retiring a
	 * leaf never cleans (K5): nothing in it needs reading. */
	if (level == 3 && pgt->cfg.fwb) {
		free_table(pgt, table);
		return;
	}
	for (unsigned i = 0; i < S2MT_PTRS_PER_TABLE; i++) {
		uint64_t d = table[i];
		uint64_t r = 0;

		if (desc_is_table(d, level)) {
			if (desc_valid(repl))
				r = repl + i * size;
			drop_subtree(pgt, child_table(pgt, d), level + 1,
				     ipa + i * size, r);
		} else if (desc_is_leaf(d, level)) {
			if (desc_valid(repl))
				r = (repl & ~S2MT_PTE_ADDR_MASK) |
					((repl & S2MT_PTE_ADDR_MASK) +
					 i * size);
			retire_leaf(pgt, d, level, r);
		}
	}
	free_table(pgt, table);
}

/* The entry a block splits into at index i of the next level. */
static uint64_t split_child(uint64_t block, unsigned child_level, unsigned i)
{
	uint64_t size = s2mt_level_size(child_level);
	uint64_t pa = (block & S2MT_PTE_ADDR_MASK) + i * size;
	uint64_t attrs = block & ~S2MT_PTE_ADDR_MASK & ~S2MT_PTE_TABLE;

	return pa | attrs | leaf_type_bits(child_level);
}

static bool table_empty(const uint64_t *table)
{
	for (unsigned i = 0; i < S2MT_PTRS_PER_TABLE; i++)
		if (table[i] & S2MT_PTE_VALID)
			return false;
	return true;
}

static void walk_table(struct walk *w, uint64_t *table, uint64_t fill,
		       unsigned level, uint64_t base, uint64_t nr, bool fresh);

/*
 * Descend below the entry at ptep (a table, or a block/hole that needs
 * one). In the dry pass, tables that do not exist yet are virtual: NULL
 * with the block they would be split from (or 0 for a hole).
 */
static void descend(struct walk *w, uint64_t *ptep, uint64_t old,
		    unsigned level, uint64_t ipa)
{
	struct s2mt_pgt *pgt = w->pgt;
	uint64_t *child;
	bool fresh; /* the new table is all zero: nothing to check below */

	if (desc_is_table(old, level)) {
		child = w->dry && !ptep ? NULL : child_table(pgt, old);
		if (!child) {
			/* Unreachable: a virtual parent never has tables. */
			return;
		}
		walk_table(w, child, 0, level + 1, ipa, S2MT_PTRS_PER_TABLE,
			   false);
		if (!w->dry && w->op == OP_UNMAP && table_empty(child)) {
			brk(pgt, ptep, ipa, level);
			free_table(pgt, child);
		}
		return;
	}
	if (w->dry) {
		w->need++;
		walk_table(w, NULL, desc_valid(old) ? old : 0, level + 1, ipa,
			   S2MT_PTRS_PER_TABLE, false);
		return;
	}
	child = mc_take(pgt, &w->mc);
	fresh = !desc_valid(old);
	if (!fresh) {
		/* Split: the new table maps the block's range exactly as the
		 * block did; the change below it then happens page by page. */
		for (unsigned i = 0; i < S2MT_PTRS_PER_TABLE; i++)
			child[i] = split_child(old, level + 1, i);
		brk(pgt, ptep, ipa, level);
		pgt->stats.splits++;
	}
	store(pgt, ptep, ipa, level,
	      pgt->ops->virt_to_phys(pgt->ctx, child) | S2MT_PTE_VALID |
		      S2MT_PTE_TABLE);
	walk_table(w, child, 0, level + 1, ipa, S2MT_PTRS_PER_TABLE, fresh);
}

/* A new leaf into an entry that is now empty. K5: the D-cache is cleaned
 * before the guest can see a cacheable leaf (without FWB), the I-cache
 * invalidated before it can execute from it (without DIC). */
static inline __attribute__((always_inline)) void install_leaf(
	struct s2mt_pgt *pgt, uint64_t *ptep, uint64_t ipa, unsigned level,
	uint64_t pa, uint64_t desc, bool cacheable, bool exec)
{
	uint64_t size = s2mt_level_size(level);

	if (cacheable && !pgt->cfg.fwb)
		dclean(pgt, pa, size);
	if (exec && !pgt->cfg.dic)
		iinval(pgt, pa, size);
	store(pgt, ptep, ipa, level, desc);
	pgt->stats.leaves_installed++;
}

/* Inlined at both of its callers: called out of line from the walk, it
 * costs every leaf of a map without FWB a third more instructions. */
static inline __attribute__((always_inline)) void map_leaf(struct walk *w,
							   uint64_t *ptep,
							   uint64_t old,
							   unsigned level,
							   uint64_t ipa)
{
	struct s2mt_pgt *pgt = w->pgt;
	uint64_t size = s2mt_level_size(level);
	uint64_t pa = w->pa + (ipa - w->start);
	uint64_t new = pa | w->leaf_bits | leaf_type_bits(level);

	if (w->dry)
		return;
	if (desc_is_leaf(old, level) &&
	    (old & ~(S2MT_PTE_S2AP_R | S2MT_PTE_S2AP_W | S2MT_PTE_XN_MASK)) ==
		    (new &
		     ~(S2MT_PTE_S2AP_R | S2MT_PTE_S2AP_W | S2MT_PTE_XN_MASK))) {
		/* Same output, type and size: a permission change in place.
		 * K5: the I-cache is invalidated before X becomes visible. */
		if (old == new)
			return;
		if ((desc_perm(new) & ~desc_perm(old) & S2MT_PROT_X) &&
		    !pgt->cfg.dic)
			iinval(pgt, pa, size);
		store(pgt, ptep, ipa, level, new);
		tlbi(pgt, ipa, size, level);
		return;
	}
	if (desc_is_table(old, level)) {
		uint64_t *sub = child_table(pgt, old);

		brk(pgt, ptep, ipa, level);
		drop_subtree(pgt, sub, level + 1, ipa, new);
	} else if (desc_valid(old)) {
		brk(pgt, ptep, ipa, level);
		retire_leaf(pgt, old, level, new);
	}
	install_leaf(pgt, ptep, ipa, level, pa, new, w->new_cacheable,
		     w->prot.perm & S2MT_PROT_X);
}

static void visit_map(struct walk *w, uint64_t *ptep, uint64_t old,
		      unsigned level, uint64_t ipa)
{
	uint64_t size = s2mt_level_size(level);
	uint64_t pa = w->pa + (ipa - w->start);
	bool covered = ipa >= w->start && ipa + size <= w->end;

	if (covered && level >= w->min_leaf_level && (pa & (size - 1)) == 0)
		map_leaf(w, ptep, old, level, ipa);
	else
		descend(w, ptep, old, level, ipa);
}

static void visit_unmap(struct walk *w, uint64_t *ptep, uint64_t old,
			unsigned level, uint64_t ipa)
{
	struct s2mt_pgt *pgt = w->pgt;
	uint64_t size = s2mt_level_size(level);
	bool covered = ipa >= w->start && ipa + size <= w->end;

	if (!desc_valid(old))
		return;
	if (covered) {
		if (w->dry)
			return;
		brk(pgt, ptep, ipa, level);
		if (desc_is_table(old, level))
			drop_subtree(pgt, child_table(pgt, old), level + 1, ipa,
				     0);
		else
			retire_leaf(pgt, old, level, 0);
		return;
	}
	descend(w, ptep, old, level, ipa);
}

static void visit_perms(struct walk *w, uint64_t *ptep, uint64_t old,
			unsigned level, uint64_t ipa)
{
	struct s2mt_pgt *pgt = w->pgt;
	uint64_t size = s2mt_level_size(level);
	bool covered = ipa >= w->start && ipa + size <= w->end;
	unsigned perm, new_perm;

	if (!desc_valid(old))
		return;
	if (desc_is_table(old, level)) {
		descend(w, ptep, old, level, ipa);
		return;
	}
	perm = desc_perm(old);
	new_perm = w->op == OP_RELAX ? perm | w->perm : perm & ~w->perm;
	if (new_perm == perm)
		return;
	if ((new_perm & ~perm & S2MT_PROT_X)) {
		struct s2mt_s2type t;

		if (s2mt_s2_decode(desc_memattr(old), pgt->cfg.fwb, &t) ||
		    s2type_uncached(&t)) {
			w->err = -S2MT_EINVAL;
			pgt->why = "K3: execute permission refused for a "
				   "Device or Normal-NC leaf";
			return;
		}
	}
	if (!covered) {
		descend(w, ptep, old, level, ipa);
		return;
	}
	if (w->dry)
		return;
	/* K5: invalidate the I-cache before X becomes visible. */
	if ((new_perm & ~perm & S2MT_PROT_X) && !pgt->cfg.dic)
		iinval(pgt, old & S2MT_PTE_ADDR_MASK & ~(size - 1), size);
	store(pgt, ptep, ipa, level, desc_with_perm(old, new_perm));
	if (!w->defer_tlbi)
		tlbi(pgt, ipa, size, level);
}

/* OP_MAP: whether a new leaf needs no hook at all (K5 clean or I-cache
 * invalidation, pte_store), so that into an empty entry it is one store. */
static bool map_hookless(const struct walk *w)
{
	const struct s2mt_pgt *pgt = w->pgt;

	return !pgt->ops->pte_store && (pgt->cfg.fwb || !w->new_cacheable) &&
		(pgt->cfg.dic || !(w->prot.perm & S2MT_PROT_X));
}

/*
 * OP_MAP, entries [i, end) of a table, each wholly inside the range and a
 * leaf at this level, with no hook to run: the bulk case, a store per leaf.
 * Stops at the first entry in use (it needs the full treatment: BBM, K5);
 * a fresh table has none, so its entries are not even read. Returns the
 * index it stopped at.
 */
static uint64_t map_run(struct walk *w, uint64_t *table, uint64_t i,
			uint64_t end, uint64_t base, unsigned level, bool fresh)
{
	uint64_t size = s2mt_level_size(level);
	uint64_t desc = (w->pa + (base + i * size - w->start)) | w->leaf_bits |
		leaf_type_bits(level);
	volatile uint64_t *p = &table[i], *stop = &table[end];

	/* Single-copy atomic stores, as store() does: the table may be live. */
	if (fresh) {
		for (; p < stop; p++, desc += size)
			*p = desc;
	} else {
		for (; p < stop && !*p; p++, desc += size)
			*p = desc;
	}
	w->pgt->stats.leaves_installed += (uint64_t)(p - &table[i]);
	return (uint64_t)(p - table);
}

static void walk_table(struct walk *w, uint64_t *table, uint64_t fill,
		       unsigned level, uint64_t base, uint64_t nr, bool fresh)
{
	unsigned shift = S2MT_PAGE_SHIFT + 9 * (3 - level);
	uint64_t size = 1ull << shift;
	uint64_t lo = w->start > base ? w->start : base;
	uint64_t hi = w->end < base + nr * size ? w->end : base + nr * size;
	uint64_t first = (lo - base) >> shift, last = (hi - 1 - base) >> shift;
	/* Entries [whole, whole_end) lie wholly inside the range. */
	uint64_t whole = (lo - base + size - 1) >> shift;
	uint64_t whole_end = (hi - base) >> shift;
	bool leaves, fast, skip;

	/* Nothing at level 3 ever needs a table page. */
	if (w->dry && level == 3 && w->op != OP_RELAX)
		return;
	/* OP_MAP: the whole entries here become leaves (visit_map()). */
	leaves = w->op == OP_MAP && level >= w->min_leaf_level &&
		!((w->pa - w->start) & (size - 1));
	/* ... with no hook to run for them (K5 and pte_store). */
	fast = leaves && !w->dry && map_hookless(w);
	/* The dry pass has nothing to count or check in a whole leaf or a
	 * whole entry unmapped; only the partial ends can need tables. */
	skip = w->dry && (leaves || w->op == OP_UNMAP);
	for (uint64_t i = first; i <= last && !w->err; i++) {
		uint64_t ipa, old;

		if ((fast || skip) && i >= whole && i < whole_end) {
			i = skip ? whole_end
				 : map_run(w, table, i, whole_end, base, level,
					   fresh);
			if (i > last)
				break;
		}
		ipa = base + (i << shift);
		old = table    ? table[i]
			: fill ? split_child(fill, level, (unsigned)i)
			       : 0;
		switch (w->op) {
		case OP_MAP:
			visit_map(w, table ? &table[i] : NULL, old, level, ipa);
			break;
		case OP_UNMAP:
			visit_unmap(w, table ? &table[i] : NULL, old, level,
				    ipa);
			break;
		default:
			visit_perms(w, table ? &table[i] : NULL, old, level,
				    ipa);
			break;
		}
	}
}

static void walk_root(struct walk *w)
{
	struct s2mt_pgt *pgt = w->pgt;

	walk_table(w, pgt->pgd, 0, pgt->geo.start_level, 0,
		   (uint64_t)pgt->geo.nr_start_tables * S2MT_PTRS_PER_TABLE,
		   false);
}

/* Where commit_direct() found the range: the table holding it, its level,
 * the first entry and its descriptor, the way down from the start level. */
struct spot {
	uint64_t *table;
	unsigned level, top;
	uint64_t mask; /* an entry's size at this level, less one */
	uint64_t i, d;
	/* path[l]: the entry at level l pointing to tables[l + 1]; set for
	 * top <= l < level only. */
	uint64_t *path[4], *tables[4];
};

/* commit_direct(), all but a fault's store into an empty entry: out of
 * line, so that this one stays short. */
static __attribute__((noinline)) void commit_at(struct walk *w, struct spot *s)
{
	struct s2mt_pgt *pgt = w->pgt;
	uint64_t *table = s->table, mask = s->mask;
	unsigned level = s->level;

	if (w->end - w->start == mask + 1) {
		/* One entry, wholly covered and, for a map, a leaf here: its
		 * visit, without the loop. */
		if (w->op == OP_MAP)
			map_leaf(w, &table[s->i], s->d, level, w->start);
		else
			visit_unmap(w, &table[s->i], s->d, level, w->start);
	} else if (level == s->top) {
		walk_table(w, table, 0, level, 0,
			   (uint64_t)pgt->geo.nr_start_tables *
				   S2MT_PTRS_PER_TABLE,
			   false);
	} else {
		walk_table(w, table, 0, level, w->start & ~((mask << 9) | 511),
			   S2MT_PTRS_PER_TABLE, false);
	}
	/* Unmap: tables left empty go, bottom up, as descend() does it. */
	if (w->op == OP_UNMAP)
		for (; level > s->top && table_empty(s->tables[level]);
		     level--) {
			/* The entry at level - 1 that maps this table. */
			uint64_t ipa = w->start & ~((mask << 9) | 511);

			brk(pgt, s->path[level - 1], ipa, level - 1);
			free_table(pgt, s->tables[level]);
			mask = (mask << 9) | 511;
		}
}

/*
 * A map or unmap that provably needs no table page, committed without the
 * dry pass: the range lies inside one existing table and each entry of it
 * that the range touches is covered whole and, for a map, becomes a leaf
 * there (always so at level 3). Such a walk neither descends nor allocates
 * and cannot fail, so the all-or-nothing guarantee holds without counting.
 * Returns false (nothing done) when it cannot tell.
 */
static bool commit_direct(struct walk *w)
{
	struct s2mt_pgt *pgt = w->pgt;
	const struct s2mt_mm_ops *ops = pgt->ops;
	bool linear = ops->p2v_linear;
	unsigned level = pgt->geo.start_level;
	unsigned shift = S2MT_PAGE_SHIFT + 9 * (3 - level);
	/* Bits that differ between the first and the last byte: the range
	 * lies inside one entry of a level when none is at or above its
	 * shift. */
	uint64_t span = w->start ^ (w->end - 1), len = w->end - w->start;
	uint64_t *table = pgt->pgd;
	uint64_t mask = (1ull << shift) - 1, i = w->start >> shift, d;
	struct spot s;

	if (w->op != OP_MAP && w->op != OP_UNMAP)
		return false;
	s.top = level;
	for (;;) {
		d = table[i];
		if (level == 3 || (span >> shift) || !desc_is_table(d, level))
			break;
		/* The range is this whole entry: the walk replaces the table
		 * with a leaf (or unmaps it whole), it does not go below. */
		if (len == mask + 1 &&
		    (w->op == OP_UNMAP ||
		     (level >= w->min_leaf_level && !(w->pa & mask))))
			break;
		s.path[level] = &table[i];
		table = linear
			? (uint64_t *)(uintptr_t)((d & S2MT_PTE_ADDR_MASK) +
						  ops->p2v_offset)
			: child_table(pgt, d);
		s.tables[++level] = table;
		shift -= 9;
		mask >>= 9;
		i = (w->start >> shift) & (S2MT_PTRS_PER_TABLE - 1);
	}
	if (level < 3 &&
	    (((w->start | w->end) & mask) ||
	     (w->op == OP_MAP &&
	      (level < w->min_leaf_level || (w->pa & mask)))))
		return false;
	if (len == mask + 1 && w->op == OP_MAP && !d && map_hookless(w)) {
		/* One empty entry (a fault's page), a leaf here, with nothing
		 * to break or maintain: one store. */
		*(volatile uint64_t *)&table[i] =
			w->pa | w->leaf_bits | leaf_type_bits(level);
		pgt->stats.leaves_installed++;
		return true;
	}
	s.table = table;
	s.level = level;
	s.mask = mask;
	s.i = i;
	s.d = d;
	commit_at(w, &s);
	return true;
}

/* Dry pass, reserve, commit. */
static int run(struct walk *w)
{
	struct s2mt_pgt *pgt = w->pgt;

	pgt->gen++;
	w->err = 0;
	w->mc.head = NULL;
	w->mc.nr = 0;
	w->dry = false;
	if (commit_direct(w))
		return 0;
	w->dry = true;
	w->need = 0;
	walk_root(w);
	if (w->err)
		return w->err;
	for (size_t i = 0; i < w->need; i++) {
		void *page = pgt->ops->zalloc_pages(pgt->ctx, 1);

		if (!page) {
			mc_drain(pgt, &w->mc);
			pgt->why = "out of memory for stage-2 table pages";
			return -S2MT_ENOMEM;
		}
		mc_put(&w->mc, page);
	}
	w->dry = false;
	walk_root(w);
	if (w->mc.nr) {
		pgt->stats.prepare_leftovers += w->mc.nr;
		mc_drain(pgt, &w->mc);
	}
	return 0;
}

static int check_range(struct s2mt_pgt *pgt, uint64_t ipa, uint64_t size)
{
	if (!size || (ipa | size) & (S2MT_PAGE_SIZE - 1)) {
		pgt->why = "range: IPA and size must be non-zero multiples of "
			   "4 KiB";
		return -S2MT_EINVAL;
	}
	if (ipa + size < ipa || ipa + size > pgt->ipa_limit) {
		pgt->why = "A2: range beyond the IPA space";
		return -S2MT_EINVAL;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Public operations                                                   */
/* ------------------------------------------------------------------ */

int s2mt_pgt_init(struct s2mt_pgt *pgt, const struct s2mt_pgt_cfg *cfg,
		  const struct s2mt_mm_ops *ops, void *ctx)
{
	struct s2mt_pgt p = { .cfg = *cfg, .ops = ops, .ctx = ctx };
	int err = s2mt_geometry(cfg, &p.geo, &p.why);
	unsigned nr;

	if (err) {
		pgt->why = p.why;
		return err;
	}
	nr = p.geo.nr_start_tables;
	p.pgd = ops->zalloc_pages(ctx, nr);
	if (!p.pgd) {
		pgt->why = "out of memory for the start tables";
		return -S2MT_ENOMEM;
	}
	p.pgd_pa = ops->virt_to_phys(ctx, p.pgd);
	if (p.pgd_pa & (nr * S2MT_PAGE_SIZE - 1)) {
		ops->free_pages(ctx, p.pgd, nr);
		pgt->why = "A2: concatenated start tables must be aligned to "
			   "their total size";
		return -S2MT_EINVAL;
	}
	p.ipa_limit = 1ull << cfg->ipa_bits;
	*pgt = p;
	return 0;
}

static void free_tree(struct s2mt_pgt *pgt, uint64_t *table, unsigned level,
		      uint64_t nr)
{
	for (uint64_t i = 0; i < nr; i++)
		if (desc_is_table(table[i], level)) {
			uint64_t *child = child_table(pgt, table[i]);

			free_tree(pgt, child, level + 1, S2MT_PTRS_PER_TABLE);
			free_table(pgt, child);
		}
}

void s2mt_pgt_destroy(struct s2mt_pgt *pgt)
{
	if (!pgt->pgd)
		return;
	free_tree(pgt, pgt->pgd, pgt->geo.start_level,
		  (uint64_t)pgt->geo.nr_start_tables * S2MT_PTRS_PER_TABLE);
	pgt->ops->free_pages(pgt->ctx, pgt->pgd, pgt->geo.nr_start_tables);
	pgt->ops->tlbi_vmid(pgt->ctx, pgt->cfg.vmid);
	pgt->pgd = NULL;
}

uint64_t s2mt_pgt_vtcr(const struct s2mt_pgt *pgt)
{
	return pgt->geo.vtcr;
}

uint64_t s2mt_pgt_vttbr(const struct s2mt_pgt *pgt)
{
	return pgt->pgd_pa | (uint64_t)pgt->cfg.vmid << 48;
}

int s2mt_pgt_prepare(struct s2mt_pgt *pgt, struct s2mt_prot prot,
		     struct s2mt_pgt_prepared *out)
{
	int err = prot_check_cacheable(prot, pgt->cfg.fwb, &pgt->why,
				       &out->cacheable);

	if (err)
		return err;
	out->prot = prot;
	out->leaf_bits = prot_bits(prot, pgt->cfg.fwb);
	out->fwb = pgt->cfg.fwb;
	return 0;
}

/* The entry at level for ipa when tables lead down to it (a linear map),
 * or NULL when the walk meets anything else on the way. Unrolled: the
 * shifts are constants, as in s2mt_pgt_get_leaf(). */
static inline uint64_t *entry_linear(const struct s2mt_pgt *pgt, uint64_t ipa,
				     unsigned level)
{
	unsigned l = pgt->geo.start_level;
	uint64_t off = pgt->ops->p2v_offset;
	uint64_t *ptep = &pgt->pgd[ipa >> (S2MT_PAGE_SHIFT + 9 * (3 - l))];
	uint64_t d;

	switch (l) {
	case 0:
		d = *ptep;
		if ((d & 3) != 3)
			return NULL; /* no blocks at level 0 */
		ptep = (uint64_t *)(uintptr_t)((d & S2MT_PTE_ADDR_MASK) + off) +
			IDX(ipa, 1);
		/* fallthrough */
	case 1:
		if (level == 1)
			return ptep;
		d = *ptep;
		if ((d & 3) != 3)
			return NULL;
		ptep = (uint64_t *)(uintptr_t)((d & S2MT_PTE_ADDR_MASK) + off) +
			IDX(ipa, 2);
		/* fallthrough */
	case 2:
		if (level == 2)
			return ptep;
		d = *ptep;
		if ((d & 3) != 3)
			return NULL;
		ptep = (uint64_t *)(uintptr_t)((d & S2MT_PTE_ADDR_MASK) + off) +
			IDX(ipa, 3);
		/* fallthrough */
	default:
		return ptep;
	}
}

/*
 * A fault's map, once map_common() has checked the request: one leaf of a
 * leaf size, aligned, into an empty entry of an existing table. Nothing to
 * break, split or allocate, so it is a walk and the store. Returns false,
 * having changed nothing, for anything else.
 */
static inline bool map_one_empty(struct s2mt_pgt *pgt, uint64_t ipa,
				 uint64_t size, uint64_t pa,
				 const struct s2mt_pgt_prepared *prep,
				 unsigned min_leaf_level)
{
	unsigned level = size == S2MT_SIZE_4K ? 3
		: size == S2MT_SIZE_2M	      ? 2
		: size == S2MT_SIZE_1G	      ? 1
					      : 0;
	uint64_t *ptep;

	if (!level || level < min_leaf_level || level < pgt->geo.start_level ||
	    ((ipa | pa) & (size - 1)) || !pgt->ops->p2v_linear)
		return false;
	ptep = entry_linear(pgt, ipa, level);
	if (!ptep || *ptep)
		return false;
	pgt->gen++;
	install_leaf(pgt, ptep, ipa, level, pa,
		     pa | prep->leaf_bits | leaf_type_bits(level),
		     prep->cacheable, prep->prot.perm & S2MT_PROT_X);
	return true;
}

/* s2mt_pgt_map(); prep is NULL when prot is still to be checked. The
 * checks come in the same order either way, so a call refused for two
 * reasons names the same one. */
static int map_common(struct s2mt_pgt *pgt, uint64_t ipa, uint64_t size,
		      uint64_t pa, struct s2mt_prot prot,
		      const struct s2mt_pgt_prepared *prep, uint64_t max_leaf)
{
	/* Set field by field: a fault maps one page, and zeroing the whole
	 * walk would cost it more than the map. run() sets the rest; map
	 * reads no other. */
	struct walk w;
	struct s2mt_pgt_prepared mine;
	int err = check_range(pgt, ipa, size);

	if (err)
		return err;
	if (pa & (S2MT_PAGE_SIZE - 1) || pa + size < pa ||
	    pa + size > 1ull << pgt->cfg.pa_bits) {
		pgt->why =
			"A1: PA must be 4 KiB aligned and inside the PA size";
		return -S2MT_EINVAL;
	}
	if (!prep) {
		err = s2mt_pgt_prepare(pgt, prot, &mine);
		if (err)
			return err;
		prep = &mine;
	} else if (prep->fwb != pgt->cfg.fwb) {
		pgt->why = "A3/A4: prot prepared for a table with the other "
			   "FWB setting";
		return -S2MT_EINVAL;
	}
	switch (max_leaf) {
	case 0:
	case S2MT_SIZE_1G:
		w.min_leaf_level = 1;
		break;
	case S2MT_SIZE_2M:
		w.min_leaf_level = 2;
		break;
	case S2MT_SIZE_4K:
		w.min_leaf_level = 3;
		break;
	default:
		pgt->why = "A1: a leaf is 4 KiB, 2 MiB or 1 GiB";
		return -S2MT_EINVAL;
	}
	if (map_one_empty(pgt, ipa, size, pa, prep, w.min_leaf_level))
		return 0;
	w.pgt = pgt;
	w.op = OP_MAP;
	w.start = ipa;
	w.end = ipa + size;
	w.pa = pa;
	w.prot = prep->prot;
	w.new_cacheable = prep->cacheable;
	w.leaf_bits = prep->leaf_bits;
	return run(&w);
}

int s2mt_pgt_map(struct s2mt_pgt *pgt, uint64_t ipa, uint64_t size, uint64_t pa,
		 struct s2mt_prot prot, uint64_t max_leaf)
{
	return map_common(pgt, ipa, size, pa, prot, NULL, max_leaf);
}

int s2mt_pgt_map_prepared(struct s2mt_pgt *pgt, uint64_t ipa, uint64_t size,
			  uint64_t pa, const struct s2mt_pgt_prepared *prep,
			  uint64_t max_leaf)
{
	return map_common(pgt, ipa, size, pa, prep->prot, prep, max_leaf);
}

int s2mt_pgt_unmap(struct s2mt_pgt *pgt, uint64_t ipa, uint64_t size)
{
	struct walk w = {
		.pgt = pgt, .op = OP_UNMAP, .start = ipa, .end = ipa + size
	};
	int err = check_range(pgt, ipa, size);

	return err ? err : run(&w);
}

static int change_perms(struct s2mt_pgt *pgt, enum walk_op op, uint64_t ipa,
			uint64_t size, unsigned perm, bool defer_tlbi)
{
	struct walk w = { .pgt = pgt,
			  .op = op,
			  .start = ipa,
			  .end = ipa + size,
			  .perm = perm,
			  .defer_tlbi = defer_tlbi };
	int err = check_range(pgt, ipa, size);

	if (err)
		return err;
	if (perm & ~S2MT_PROT_RWX) {
		pgt->why = "prot: unknown permission bits";
		return -S2MT_EINVAL;
	}
	return run(&w);
}

int s2mt_pgt_relax_perms(struct s2mt_pgt *pgt, uint64_t ipa, uint64_t size,
			 unsigned perm)
{
	return change_perms(pgt, OP_RELAX, ipa, size, perm, false);
}

int s2mt_pgt_restrict_perms(struct s2mt_pgt *pgt, uint64_t ipa, uint64_t size,
			    unsigned perm)
{
	return change_perms(pgt, OP_RESTRICT, ipa, size, perm, false);
}

int s2mt_pgt_wrprotect(struct s2mt_pgt *pgt, uint64_t ipa, uint64_t size)
{
	return change_perms(pgt, OP_RESTRICT, ipa, size, S2MT_PROT_W, true);
}

/* Any environment: one call to phys_to_virt per level. */
static __attribute__((noinline)) int get_leaf_ops(const struct s2mt_pgt *pgt,
						  uint64_t ipa, uint64_t *descp,
						  unsigned *levelp)
{
	unsigned level = pgt->geo.start_level;
	unsigned shift = S2MT_PAGE_SHIFT + 9 * (3 - level);
	const uint64_t *table = pgt->pgd;
	uint64_t d = table[ipa >> shift];

	/* 0b11 below level 3 is a table: descend. */
	while ((d & 3) == 3 && level < 3) {
		table = child_table(pgt, d);
		level++;
		shift -= 9;
		d = table[(ipa >> shift) & (S2MT_PTRS_PER_TABLE - 1)];
	}
	if (!desc_is_leaf(d, level))
		return -S2MT_ENOENT;
	*descp = d;
	*levelp = level;
	return 0;
}

/* s2mt_pgt_get_leaf(); with cur (a constant at each caller), the cursor
 * too. */
static inline __attribute__((always_inline)) int get_leaf(
	const struct s2mt_pgt *pgt, uint64_t ipa, uint64_t *descp,
	unsigned *levelp, struct s2mt_pgt_cursor *cur)
{
	const uint64_t *t = pgt->pgd;
	uint64_t off, d;
	unsigned level;

	if (cur) {
		cur->ptep = NULL;
		cur->ipa = ipa;
		cur->gen = pgt->gen;
	}
	if (ipa >= pgt->ipa_limit)
		return -S2MT_ENOENT;
	if (!pgt->ops->p2v_linear)
		return get_leaf_ops(pgt, ipa, descp, levelp);
	/* The hot path: a linear map, no calls, one level after another. */
	off = pgt->ops->p2v_offset;
	switch (pgt->geo.start_level) {
	case 0:
		d = t[ipa >> 39];
		if ((d & 3) != 3)
			return -S2MT_ENOENT; /* no blocks at level 0 */
		t = (const uint64_t *)(uintptr_t)((d & S2MT_PTE_ADDR_MASK) +
						  off);
		d = t[IDX(ipa, 1)];
		goto level1;
	case 1:
		d = t[ipa >> 30];
	level1:
		level = 1;
		if ((d & 3) != 3)
			goto block;
		t = (const uint64_t *)(uintptr_t)((d & S2MT_PTE_ADDR_MASK) +
						  off);
		d = t[IDX(ipa, 2)];
		goto level2;
	default:
		d = t[ipa >> 21];
	level2:
		level = 2;
		if ((d & 3) != 3)
			goto block;
		t = (const uint64_t *)(uintptr_t)((d & S2MT_PTE_ADDR_MASK) +
						  off);
		d = t[IDX(ipa, 3)];
		if ((d & 3) != 3) {
			if (cur && !d)
				cur->ptep = (uint64_t *)&t[IDX(ipa, 3)];
			return -S2MT_ENOENT;
		}
		*descp = d;
		*levelp = 3;
		return 0;
	}
block:
	if (!(d & S2MT_PTE_VALID))
		return -S2MT_ENOENT;
	*descp = d;
	*levelp = level;
	return 0;
}

int s2mt_pgt_get_leaf(const struct s2mt_pgt *pgt, uint64_t ipa, uint64_t *descp,
		      unsigned *levelp)
{
	return get_leaf(pgt, ipa, descp, levelp, NULL);
}

int s2mt_pgt_get_leaf_cursor(const struct s2mt_pgt *pgt, uint64_t ipa,
			     uint64_t *descp, unsigned *levelp,
			     struct s2mt_pgt_cursor *cur)
{
	return get_leaf(pgt, ipa, descp, levelp, cur);
}

/* Out of line: the hot caller then saves no registers for them. */
static __attribute__((noinline)) int map_page_walk(
	struct s2mt_pgt *pgt, const struct s2mt_pgt_cursor *cur, uint64_t pa,
	const struct s2mt_pgt_prepared *prep)
{
	return s2mt_pgt_map_prepared(pgt, cur->ipa, S2MT_SIZE_4K, pa, prep,
				     S2MT_SIZE_4K);
}

static __attribute__((noinline)) void install_page(
	struct s2mt_pgt *pgt, const struct s2mt_pgt_cursor *cur, uint64_t pa,
	uint64_t desc, const struct s2mt_pgt_prepared *prep)
{
	install_leaf(pgt, cur->ptep, cur->ipa, 3, pa, desc, prep->cacheable,
		     prep->prot.perm & S2MT_PROT_X);
}

int s2mt_pgt_map_page_at(struct s2mt_pgt *pgt,
			 const struct s2mt_pgt_cursor *cur, uint64_t pa,
			 const struct s2mt_pgt_prepared *prep)
{
	uint64_t desc;

	/* The entry is the one walked, in a table nothing changed since:
	 * still empty, and an aligned page of a valid PA is all map_common()
	 * would check (the cursor's IPA was inside the table). */
	if (!cur->ptep || cur->gen != pgt->gen || (pa & (S2MT_SIZE_4K - 1)) ||
	    pa >= 1ull << pgt->cfg.pa_bits || prep->fwb != pgt->cfg.fwb)
		return map_page_walk(pgt, cur, pa, prep);
	desc = pa | prep->leaf_bits | leaf_type_bits(3);
	pgt->gen++;
	/* No hook due (as map_hookless()): the store alone. */
	if (!pgt->ops->pte_store && (pgt->cfg.fwb || !prep->cacheable) &&
	    (pgt->cfg.dic || !(prep->prot.perm & S2MT_PROT_X))) {
		*(volatile uint64_t *)cur->ptep = desc;
		pgt->stats.leaves_installed++;
		return 0;
	}
	install_page(pgt, cur, pa, desc, prep);
	return 0;
}

int s2mt_pgt_lookup(const struct s2mt_pgt *pgt, uint64_t ipa,
		    struct s2mt_leaf *out)
{
	uint64_t d;
	unsigned level;
	int err = s2mt_pgt_get_leaf(pgt, ipa, &d, &level);

	if (!err)
		s2mt_leaf_decode(d, level, ipa, out);
	return err;
}

static int walk_ro(const struct s2mt_pgt *pgt, const uint64_t *table,
		   unsigned level, uint64_t base, uint64_t nr, uint64_t start,
		   uint64_t end, unsigned flags, s2mt_visit_fn visit, void *arg)
{
	uint64_t size = s2mt_level_size(level);
	uint64_t lo = start > base ? start : base;
	uint64_t hi = end < base + nr * size ? end : base + nr * size;

	for (uint64_t i = (lo - base) / size; i <= (hi - 1 - base) / size;
	     i++) {
		struct s2mt_walk_entry e = { .ipa = base + i * size,
					     .size = size,
					     .level = level,
					     .desc = table[i] };
		int ret = 0;

		if (desc_is_table(e.desc, level)) {
			e.table = true;
			if (flags & S2MT_WALK_TABLE_PRE)
				ret = visit(&e, arg);
			if (!ret)
				ret = walk_ro(pgt, child_table(pgt, e.desc),
					      level + 1, e.ipa,
					      S2MT_PTRS_PER_TABLE, start, end,
					      flags, visit, arg);
			if (!ret && (flags & S2MT_WALK_TABLE_POST))
				ret = visit(&e, arg);
		} else if (desc_is_leaf(e.desc, level) &&
			   (flags & S2MT_WALK_LEAF)) {
			ret = visit(&e, arg);
		}
		if (ret)
			return ret;
	}
	return 0;
}

int s2mt_pgt_walk(const struct s2mt_pgt *pgt, uint64_t ipa, uint64_t size,
		  unsigned flags, s2mt_visit_fn visit, void *arg)
{
	if (!size || ipa >= pgt->ipa_limit)
		return 0;
	if (ipa + size > pgt->ipa_limit || ipa + size < ipa)
		size = pgt->ipa_limit - ipa;
	return walk_ro(pgt, pgt->pgd, pgt->geo.start_level, 0,
		       (uint64_t)pgt->geo.nr_start_tables * S2MT_PTRS_PER_TABLE,
		       ipa, ipa + size, flags, visit, arg);
}
