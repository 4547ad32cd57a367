// SPDX-License-Identifier: MIT
/*
 * The hazard checker (SPEC section 9): reads the state of every VM of a
 * /dev/kvm handle - stage-2 leaves, memslots, the VMM's VMAs, the host's
 * physical map, the cache-maintenance record - and reports Z1-Z8.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <s2mt/model.h>

static const char *const titles[] = {
	[S2MT_Z1] = "host cacheable alias, guest non-cacheable: stale data "
		    "can leak",
	[S2MT_Z2] = "cacheable stage 2 over memory that cannot be cleaned",
	[S2MT_Z3] = "cacheable leaf installed without the K5 clean",
	[S2MT_Z4] = "executable Device/Normal-NC stage-2 mapping",
	[S2MT_Z5] = "one PA mapped twice with different stage-2 types",
	[S2MT_Z6] = "Normal stage 2 over memory with read side effects",
	[S2MT_Z7] = "stage-2 mapping outlives its host mapping or memslot",
	[S2MT_Z8] = "cacheable PFNMAP VM migrating to a host without "
		    "capability 243",
};

const char *s2mt_hazard_name(unsigned id)
{
	static const char *const names[] = { "Z?", "Z1", "Z2", "Z3", "Z4",
					     "Z5", "Z6", "Z7", "Z8" };

	return id <= S2MT_Z8 ? names[id] : "Z?";
}

const char *s2mt_hazard_title(unsigned id)
{
	return id >= S2MT_Z1 && id <= S2MT_Z8 ? titles[id] : "?";
}

/*
 * Findings are merged per id: a finding that continues the latest one of
 * its id (same VM, contiguous IPA and PA) extends it, so a run of 4 KiB
 * leaves reads as one range even when other ids interleave. The count does
 * not depend on how many entries the caller can take.
 */
struct found {
	struct s2mt_hazard *out;
	size_t max, nr;
	struct s2mt_hazard last[S2MT_Z8 + 1]; /* the latest per id */
	size_t last_pos[S2MT_Z8 + 1]; /* its index + 1, 0: none yet */
	bool cacheable_alias; /* for the next finding (Z5) */
};

static void add(struct found *f, unsigned id, struct s2mt_vm *vm, uint64_t ipa,
		uint64_t size, uint64_t pa, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

static void add(struct found *f, unsigned id, struct s2mt_vm *vm, uint64_t ipa,
		uint64_t size, uint64_t pa, const char *fmt, ...)
{
	struct s2mt_hazard *last = &f->last[id];
	size_t pos = f->last_pos[id];
	va_list ap;

	if (pos && last->vm == vm && size && last->ipa + last->size == ipa &&
	    last->pa + last->size == pa) {
		last->size += size;
		last->cacheable_alias |= f->cacheable_alias;
		if (pos <= f->max)
			f->out[pos - 1] = *last;
		return;
	}
	last->id = (uint8_t)id;
	last->vm = vm;
	last->ipa = ipa;
	last->size = size;
	last->pa = pa;
	last->cacheable_alias = f->cacheable_alias;
	va_start(ap, fmt);
	vsnprintf(last->detail, sizeof(last->detail), fmt, ap);
	va_end(ap);
	if (f->nr < f->max)
		f->out[f->nr] = *last;
	f->nr++;
	f->last_pos[id] = f->nr;
}

static bool s2_uncached(uint8_t memattr, bool fwb)
{
	struct s2mt_s2type t;

	if (s2mt_s2_decode(memattr, fwb, &t))
		return true; /* reserved: never count it as cacheable */
	return t.kind == S2MT_S2_DEVICE ||
		(t.kind == S2MT_S2_NORMAL && t.inner == S2MT_CACHE_NC &&
		 t.outer == S2MT_CACHE_NC);
}

static bool s2_device(uint8_t memattr, bool fwb)
{
	struct s2mt_s2type t;

	return !s2mt_s2_decode(memattr, fwb, &t) && t.kind == S2MT_S2_DEVICE;
}

static bool in_linear_map(const struct s2mt_host *host, uint64_t pa,
			  uint64_t size)
{
	const struct s2mt_phys_region *r = s2mt_host_region(host, pa);

	return r && r->kind == S2MT_PHYS_RAM && pa + size <= r->base + r->size;
}

/*
 * The checker reads runs of alike leaves ("extents") rather than leaves: a
 * 96 GiB guest mapped at 4 KiB is 25 million leaves but a handful of
 * extents. An extent's leaves are contiguous in IPA and PA, have one size
 * and one set of attributes, and lie wholly inside one memslot, one VMA
 * that still gives their PA, and one physical region; so every check but
 * Z1's VMA aliases and Z3's record is the same for all of them, and those
 * two are computed leaf-exactly below. A leaf that is not regular (outside
 * a slot, straddling a VMA or region, a PA the VMA no longer gives: Z7
 * material) is an extent of its own. tests/test_hazard_ref.c holds this to
 * the leaf-by-leaf checker page by page.
 */
struct extent {
	struct s2mt_vm *vm;
	uint64_t ipa, pa, size, leaf_size;
	uint64_t desc; /* the first leaf's descriptor */
	uint64_t next_desc; /* what the next leaf's must be to continue */
	unsigned level;
	bool regular;
	const struct s2mt_memslot *slot;
	const struct s2mt_vma *vma;
	const struct s2mt_phys_region *region;
};

struct extents {
	struct extent *v;
	size_t nr, cap;
	bool oom;
};

struct walk_ctx {
	const struct s2mt_kvm *kvm;
	struct s2mt_vm *vm;
	struct extents *all;
	struct extent cur;
	bool have;
};

static void push(struct walk_ctx *w)
{
	struct extents *x = w->all;

	if (!w->have)
		return;
	if (x->nr == x->cap) {
		size_t ncap = x->cap ? x->cap * 2 : 64;
		struct extent *v = realloc(x->v, ncap * sizeof(*v));

		if (!v)
			s2mt_oom("the hazard checker's list of leaf runs",
				 ncap * sizeof(*v));
		x->v = v;
		x->cap = ncap;
	}
	x->v[x->nr++] = w->cur;
	w->have = false;
}

/* Whether a leaf lies wholly in the slot, VMA and region the checks use,
 * with the PA the VMA gives (else Z7 looks at it alone). */
static bool leaf_regular(const struct s2mt_kvm *kvm, struct s2mt_vm *vm,
			 uint64_t ipa, uint64_t size, uint64_t pa,
			 struct extent *e)
{
	const struct s2mt_memslot *s = e->slot;
	const struct s2mt_vma *v = e->vma;
	const struct s2mt_phys_region *r = e->region;
	uint64_t hva;

	if (!s || ipa < s->gpa || ipa + size > s->gpa + s->size) {
		s = s2mt_vm_find_slot(vm, ipa);
		if (!s || ipa + size > s->gpa + s->size)
			return false;
	}
	hva = s->hva + (ipa - s->gpa);
	if (!v || hva < v->start || hva + size > v->end) {
		v = s2mt_mm_find_vma(kvm->mm, hva);
		if (!v || hva + size > v->end)
			return false;
	}
	if (v->pa + (hva - v->start) != pa)
		return false;
	if (!r || pa < r->base || pa + size > r->base + r->size) {
		r = s2mt_host_region(kvm->host, pa);
		if (!r || pa + size > r->base + r->size)
			return false;
	}
	e->slot = s;
	e->vma = v;
	e->region = r;
	return true;
}

static int visit_leaf(const struct s2mt_walk_entry *e, void *arg)
{
	struct walk_ctx *w = arg;
	struct extent *c = &w->cur;
	uint64_t pa = e->desc & S2MT_PTE_ADDR_MASK & ~(e->size - 1);

	/* The common case: the next leaf of the run, inside its slot, VMA
	 * and region (one compare covers PA and every attribute). */
	if (w->have && c->regular && e->level == c->level &&
	    e->ipa == c->ipa + c->size && e->desc == c->next_desc &&
	    e->ipa + e->size <= c->slot->gpa + c->slot->size &&
	    c->slot->hva + (e->ipa - c->slot->gpa) + e->size <= c->vma->end &&
	    pa + e->size <= c->region->base + c->region->size) {
		c->size += e->size;
		c->next_desc += e->size;
		return 0;
	}
	push(w);
	*c = (struct extent){
		.vm = w->vm,
		.ipa = e->ipa,
		.pa = pa,
		.size = e->size,
		.leaf_size = e->size,
		.desc = e->desc,
		.next_desc = e->desc + e->size,
		.level = e->level,
	};
	c->regular = leaf_regular(w->kvm, w->vm, e->ipa, e->size, pa, c);
	w->have = true;
	return 0;
}

/* Z1: a cacheable host alias of a PA the guest sees non-cacheable. The
 * kernel's linear map is one for RAM; any cacheable VMA is another. */
static const struct s2mt_vma *cacheable_vma(const struct s2mt_kvm *kvm,
					    uint64_t pa, uint64_t size)
{
	const struct s2mt_mm *mm = kvm->mm;

	for (size_t i = 0; i < mm->nr_vmas; i++) {
		const struct s2mt_vma *v = &mm->vmas[i];
		uint64_t vsize = v->end - v->start;

		if (s2mt_attrindx_cacheable(v->attrindx) &&
		    pa < v->pa + vsize && v->pa < pa + size)
			return v;
	}
	return NULL;
}

static void alias_text(const struct s2mt_kvm *kvm, const struct s2mt_vma *v,
		       char *what, size_t len)
{
	char d[96];

	s2mt_vma_describe(kvm->host, v, d, sizeof(d));
	snprintf(what, len, "VMA %#llx-%#llx (%s, %s)",
		 (unsigned long long)v->start, (unsigned long long)v->end, d,
		 s2mt_attrindx_name(v->attrindx));
}

/* Leaf indexes [*lo, *hi) of extent e that overlap [pa, pa+size). */
static bool leaves_over(const struct extent *e, uint64_t pa, uint64_t size,
			uint64_t *lo, uint64_t *hi)
{
	uint64_t a = pa > e->pa ? pa : e->pa;
	uint64_t b = pa + size < e->pa + e->size ? pa + size : e->pa + e->size;

	if (a >= b)
		return false;
	*lo = (a - e->pa) / e->leaf_size;
	*hi = (b - e->pa + e->leaf_size - 1) / e->leaf_size;
	return true;
}

/* A cleared bitmap of one bit per leaf of an extent. */
static uint64_t *mark_leaves(uint64_t *bits, size_t *cap, uint64_t nleaves)
{
	size_t words = (nleaves + 63) / 64;

	if (words > *cap) {
		uint64_t *nb = realloc(bits, words * sizeof(*bits));

		if (!nb)
			s2mt_oom("the hazard checker's leaf marks",
				 words * sizeof(*bits));
		bits = nb;
		*cap = words;
	}
	memset(bits, 0, words * sizeof(*bits));
	return bits;
}

static void set_range(uint64_t *bits, uint64_t lo, uint64_t hi)
{
	for (uint64_t i = lo; i < hi; i++)
		bits[i / 64] |= 1ULL << (i % 64);
}

static bool test_bit(const uint64_t *bits, uint64_t i)
{
	return bits[i / 64] >> (i % 64) & 1;
}

struct marks {
	uint64_t *bits;
	size_t cap;
};

static void check_z1_aliases(const struct s2mt_kvm *kvm, const struct extent *e,
			     const char *name, struct marks *m, struct found *f)
{
	const struct s2mt_mm *mm = kvm->mm;
	uint64_t n = e->size / e->leaf_size, lo, hi;
	bool any = false;

	for (size_t i = 0; i < mm->nr_vmas; i++) {
		const struct s2mt_vma *v = &mm->vmas[i];

		if (!s2mt_attrindx_cacheable(v->attrindx))
			continue;
		if (!leaves_over(e, v->pa, v->end - v->start, &lo, &hi))
			continue;
		if (!any)
			m->bits = mark_leaves(m->bits, &m->cap, n);
		any = true;
		set_range(m->bits, lo, hi);
	}
	if (!any)
		return;
	for (uint64_t i = 0; i < n;) {
		uint64_t j = i, pa = e->pa + i * e->leaf_size;
		const struct s2mt_vma *v;
		char what[192];

		if (!test_bit(m->bits, i)) {
			i++;
			continue;
		}
		while (j < n && test_bit(m->bits, j))
			j++;
		/* The run's text names the alias of its first leaf, as the
		 * leaf-by-leaf checker would. */
		v = cacheable_vma(kvm, pa, e->leaf_size);
		alias_text(kvm, v, what, sizeof(what));
		add(f, S2MT_Z1, e->vm, e->ipa + i * e->leaf_size,
		    (j - i) * e->leaf_size, pa,
		    "stage-2 %s but %s maps PA %#llx cacheable: guest reads "
		    "can miss dirty host cache lines",
		    name, what, (unsigned long long)pa);
		i = j;
	}
}

/* Z3: the leaves of e that overlap the record of leaves installed without
 * their clean. */
static void check_z3(const struct extent *e, struct marks *m, struct found *f)
{
	const struct s2mt_vm *vm = e->vm;
	uint64_t n = e->size / e->leaf_size, lo, hi;
	bool any = false;

	for (size_t i = 0; i < vm->nr_unclean; i++) {
		const struct s2mt_unclean_leaf *u = &vm->unclean[i];

		if (!leaves_over(e, u->pa, u->size, &lo, &hi))
			continue;
		if (!any)
			m->bits = mark_leaves(m->bits, &m->cap, n);
		any = true;
		set_range(m->bits, lo, hi);
	}
	for (uint64_t i = 0; any && i < n; i++) {
		uint64_t ipa = e->ipa + i * e->leaf_size;

		if (!test_bit(m->bits, i))
			continue;
		add(f, S2MT_Z3, e->vm, ipa, e->leaf_size,
		    e->pa + i * e->leaf_size,
		    "cacheable leaf at IPA %#llx was installed without a "
		    "D-cache clean to PoC of its range (K5)",
		    (unsigned long long)ipa);
	}
}

/* Z7 for a leaf that is not regular: it must lie in one live memslot, and
 * the VMA behind it must still give the same PA for all of it. */
static void check_z7(const struct s2mt_kvm *kvm, struct s2mt_vm *vm,
		     const struct extent *e, struct found *f)
{
	const struct s2mt_memslot *s = s2mt_vm_find_slot(vm, e->ipa);
	const struct s2mt_vma *vma;
	uint64_t hva;

	if (!s || e->ipa + e->size > s->gpa + s->size) {
		add(f, S2MT_Z7, vm, e->ipa, e->size, e->pa,
		    "stage-2 leaf at IPA %#llx is not inside a live memslot",
		    (unsigned long long)e->ipa);
		return;
	}
	hva = s->hva + (e->ipa - s->gpa);
	vma = s2mt_mm_find_vma(kvm->mm, hva);
	if (!vma || hva + e->size > vma->end) {
		add(f, S2MT_Z7, vm, e->ipa, e->size, e->pa,
		    "HVA %#llx-%#llx behind slot %u is no longer (wholly) "
		    "mapped by one VMA",
		    (unsigned long long)hva,
		    (unsigned long long)(hva + e->size), s->slot);
		return;
	}
	if (vma->pa + (hva - vma->start) != e->pa)
		add(f, S2MT_Z7, vm, e->ipa, e->size, e->pa,
		    "leaf maps PA %#llx but the VMA at HVA %#llx now gives "
		    "PA %#llx",
		    (unsigned long long)e->pa, (unsigned long long)hva,
		    (unsigned long long)(vma->pa + (hva - vma->start)));
}

static void check_extent(const struct s2mt_kvm *kvm, const struct extent *e,
			 struct marks *m, struct found *f)
{
	const struct s2mt_host *host = kvm->host;
	struct s2mt_vm *vm = e->vm;
	struct s2mt_leaf lf;
	bool fwb = vm->pgt.cfg.fwb, uncached, exec, cleanable;
	char name[48];

	/* x86: the caches snoop every memory type and KVM needs no
	 * maintenance, so Z1-Z6 are Arm's; a stale mapping is not (Z7). */
	if (host->arch != S2MT_ARCH_ARM64) {
		if (!e->regular)
			check_z7(kvm, vm, e, f);
		return;
	}
	s2mt_leaf_decode(e->desc, e->level, e->ipa, &lf);
	uncached = s2_uncached(lf.memattr, fwb);
	exec = lf.xn == 0;
	cleanable = in_linear_map(host, e->pa, e->size);
	s2mt_s2_name(lf.memattr, fwb, name, sizeof(name));
	if (uncached) {
		if (in_linear_map(host, e->pa, e->leaf_size) &&
		    (!e->regular || cleanable))
			add(f, S2MT_Z1, vm, e->ipa, e->size, e->pa,
			    "stage-2 %s but the kernel's linear map maps PA "
			    "%#llx cacheable: guest reads can miss dirty host "
			    "cache lines",
			    name, (unsigned long long)e->pa);
		else
			check_z1_aliases(kvm, e, name, m, f);
	}
	if (!uncached && !fwb && !cleanable)
		add(f, S2MT_Z2, vm, e->ipa, e->size, e->pa,
		    "stage-2 %s over PA %#llx, outside the linear map, on a "
		    "host without FEAT_S2FWB: it can never be cleaned (K5)",
		    name, (unsigned long long)e->pa);
	else if (!uncached && exec && !host->caps.dic && !cleanable)
		add(f, S2MT_Z2, vm, e->ipa, e->size, e->pa,
		    "executable stage-2 %s over PA %#llx, outside the linear "
		    "map, on a host without CTR_EL0.DIC: the I-cache cannot "
		    "be invalidated (K5)",
		    name, (unsigned long long)e->pa);
	if (!uncached && !fwb)
		check_z3(e, m, f);
	if (uncached && exec)
		add(f, S2MT_Z4, vm, e->ipa, e->size, e->pa,
		    "stage-2 %s leaf at IPA %#llx is executable (K3)", name,
		    (unsigned long long)e->ipa);
	if (!s2_device(lf.memattr, fwb)) {
		for (size_t i = 0; i < host->nr_regions; i++) {
			const struct s2mt_phys_region *r = &host->regions[i];

			if (r->read_side_effects && e->pa < r->base + r->size &&
			    r->base < e->pa + e->size) {
				add(f, S2MT_Z6, vm, e->ipa, e->size, e->pa,
				    "stage-2 %s (speculatively readable) over "
				    "%s, which has read side effects",
				    name, r->name);
				break;
			}
		}
	}
	if (!e->regular)
		check_z7(kvm, vm, e, f);
}

static int by_pa(const void *a, const void *b)
{
	const struct extent *x = a, *y = b;

	return x->pa < y->pa ? -1 : x->pa > y->pa;
}

struct leaf_rec {
	struct s2mt_vm *vm;
	uint64_t ipa, pa, size;
	uint8_t memattr;
};

static int rec_by_pa(const void *a, const void *b)
{
	const struct leaf_rec *x = a, *y = b;

	return x->pa < y->pa ? -1 : x->pa > y->pa;
}

static uint8_t extent_memattr(const struct extent *e)
{
	return (uint8_t)((e->desc >> 2) & 0xf);
}

/*
 * Z5: leaves of any VM that overlap in PA must agree on the stage-2 type.
 * Extents are sorted by PA; only those that overlap another are broken up
 * into their leaves, which are then checked pairwise in PA order.
 */
static void check_z5(struct extents *all, struct found *f)
{
	struct leaf_rec *recs = NULL;
	size_t nr = 0, cap = 0;
	bool *overlaps;

	if (all->nr < 2)
		return;
	qsort(all->v, all->nr, sizeof(*all->v), by_pa);
	overlaps = calloc(all->nr, sizeof(*overlaps));
	if (!overlaps)
		s2mt_oom("the hazard checker's Z5 marks", all->nr);
	for (size_t i = 0; i < all->nr; i++)
		for (size_t j = i + 1; j < all->nr &&
		     all->v[j].pa < all->v[i].pa + all->v[i].size;
		     j++)
			overlaps[i] = overlaps[j] = true;
	for (size_t i = 0; i < all->nr; i++) {
		const struct extent *e = &all->v[i];

		if (!overlaps[i])
			continue;
		for (uint64_t o = 0; o < e->size; o += e->leaf_size) {
			if (nr == cap) {
				size_t ncap = cap ? cap * 2 : 256;
				struct leaf_rec *v =
					realloc(recs, ncap * sizeof(*v));

				if (!v)
					s2mt_oom("the hazard checker's Z5 "
						 "leaves",
						 ncap * sizeof(*v));
				recs = v;
				cap = ncap;
			}
			recs[nr++] = (struct leaf_rec){
				.vm = e->vm,
				.ipa = e->ipa + o,
				.pa = e->pa + o,
				.size = e->leaf_size,
				.memattr = extent_memattr(e),
			};
		}
	}
	free(overlaps);
	if (!nr)
		return; /* no two extents share a PA */
	qsort(recs, nr, sizeof(*recs), rec_by_pa);
	for (size_t i = 0; i < nr; i++) {
		const struct leaf_rec *a = &recs[i];

		for (size_t j = i + 1; j < nr; j++) {
			const struct leaf_rec *b = &recs[j];
			char an[48], bn[48];

			if (b->pa >= a->pa + a->size)
				break;
			if (a->memattr == b->memattr)
				continue;
			s2mt_s2_name(a->memattr, a->vm->pgt.cfg.fwb, an,
				     sizeof(an));
			s2mt_s2_name(b->memattr, b->vm->pgt.cfg.fwb, bn,
				     sizeof(bn));
			f->cacheable_alias =
				!s2_uncached(a->memattr, a->vm->pgt.cfg.fwb) ||
				!s2_uncached(b->memattr, b->vm->pgt.cfg.fwb);
			add(f, S2MT_Z5, b->vm, b->ipa, b->size, b->pa,
			    "PA %#llx is mapped at IPA %#llx as %s and at IPA "
			    "%#llx as %s",
			    (unsigned long long)b->pa,
			    (unsigned long long)a->ipa, an,
			    (unsigned long long)b->ipa, bn);
			/* Both mappings are in conflict: name each. */
			add(f, S2MT_Z5, a->vm, a->ipa, a->size, a->pa,
			    "PA %#llx is mapped at IPA %#llx as %s and at IPA "
			    "%#llx as %s",
			    (unsigned long long)b->pa,
			    (unsigned long long)a->ipa, an,
			    (unsigned long long)b->ipa, bn);
			f->cacheable_alias = false;
		}
	}
	free(recs);
}

/* Z8: a slot over cacheable PFNMAP memory needs capability 243 (C1) on the
 * destination. */
static void check_z8(const struct s2mt_kvm *kvm, struct s2mt_vm *vm,
		     const struct s2mt_migration_target *t, struct found *f)
{
	bool ok =
		t->era >= S2MT_ERA_6_17 && s2mt_host_cacheable_pfnmap(&t->caps);

	if (ok)
		return;
	for (size_t i = 0; i < vm->nr_slots; i++) {
		const struct s2mt_memslot *s = &vm->slots[i];
		uint64_t hva = s->hva, end = s->hva + s->size;

		while (hva < end) {
			const struct s2mt_vma *v =
				s2mt_mm_find_vma_intersection(kvm->mm, hva,
							      end);
			char d[96];

			if (!v)
				break;
			if ((v->flags & S2MT_VM_PFNMAP) &&
			    s2mt_attrindx_cacheable(v->attrindx) &&
			    s2mt_vma_memclass(kvm->host, v) ==
				    S2MT_MEM_PFN_OUTSIDE) {
				s2mt_vma_describe(kvm->host, v, d, sizeof(d));
				add(f, S2MT_Z8, vm, s->gpa, 0, 0,
				    "slot %u uses cacheable PFNMAP memory "
				    "(%s); "
				    "target %s (%s) %s",
				    s->slot, d, t->name, s2mt_era_name(t->era),
				    t->era < S2MT_ERA_6_17
					    ? "has no capability 243"
					    : "reports capability 243 = 0 (no "
					      "FEAT_S2FWB+DIC)");
				break;
			}
			hva = v->end;
		}
	}
}

int s2mt_check_hazards(const struct s2mt_kvm *kvm,
		       const struct s2mt_migration_target *target,
		       struct s2mt_hazard *out, size_t max, size_t *nr)
{
	struct found *f = calloc(1, sizeof(*f));
	struct extents all = { 0 };
	struct marks m = { 0 };

	if (!f)
		s2mt_oom("the hazard checker", sizeof(*f));
	f->out = out;
	f->max = max;
	for (size_t v = 0; v < kvm->nr_vms; v++) {
		struct walk_ctx w = { .kvm = kvm,
				      .vm = kvm->vms[v],
				      .all = &all };
		size_t first = all.nr;

		s2mt_pgt_walk(&w.vm->pgt, 0, 1ULL << w.vm->ipa_bits,
			      S2MT_WALK_LEAF, visit_leaf, &w);
		push(&w);
		for (size_t i = first; i < all.nr; i++)
			check_extent(kvm, &all.v[i], &m, f);
		if (target && kvm->host->arch == S2MT_ARCH_ARM64)
			check_z8(kvm, w.vm, target, f);
	}
	if (kvm->host->arch == S2MT_ARCH_ARM64)
		check_z5(&all, f);
	free(all.v);
	free(m.bits);
	*nr = f->nr;
	free(f);
	return 0;
}
