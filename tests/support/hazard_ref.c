// SPDX-License-Identifier: MIT
/*
 * The reference hazard checker for tests: the first, leaf-by-leaf form of
 * src/model/hazard.c (SPEC section 9), kept as it was when the model's
 * checker moved to runs of alike leaves. Slow (it decodes and checks every
 * leaf, and sorts them all for Z5) but simple; tests/test_hazard_ref.c
 * holds the model's checker to it page by page.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <s2mt/model.h>

#include "hazard_ref.h"

struct found {
	struct s2mt_hazard *out;
	size_t max, nr;
	struct s2mt_hazard last; /* the latest finding, stored or not */
};

static void add(struct found *f, unsigned id, struct s2mt_vm *vm, uint64_t ipa,
		uint64_t size, uint64_t pa, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

/* Adds a hazard, merging it into the previous one when it continues it
 * (same id and VM, contiguous IPA and PA) so 4 KiB leaves read as ranges.
 * The count does not depend on how many entries the caller can take. */
static void add(struct found *f, unsigned id, struct s2mt_vm *vm, uint64_t ipa,
		uint64_t size, uint64_t pa, const char *fmt, ...)
{
	struct s2mt_hazard *last = &f->last;
	va_list ap;

	if (f->nr && last->id == id && last->vm == vm && size &&
	    last->ipa + last->size == ipa && last->pa + last->size == pa) {
		last->size += size;
		if (f->nr <= f->max)
			f->out[f->nr - 1].size = last->size;
		return;
	}
	last->id = (uint8_t)id;
	last->vm = vm;
	last->ipa = ipa;
	last->size = size;
	last->pa = pa;
	va_start(ap, fmt);
	vsnprintf(last->detail, sizeof(last->detail), fmt, ap);
	va_end(ap);
	if (f->nr < f->max)
		f->out[f->nr] = *last;
	f->nr++;
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

struct leaf_rec {
	struct s2mt_vm *vm;
	struct s2mt_leaf leaf;
};

struct leaves {
	struct leaf_rec *v;
	size_t nr, cap;
	struct s2mt_vm *vm;
};

static int collect(const struct s2mt_walk_entry *e, void *arg)
{
	struct leaves *l = arg;

	if (l->nr == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			abort();
	}
	l->v[l->nr].vm = l->vm;
	s2mt_leaf_decode(e->desc, e->level, e->ipa, &l->v[l->nr].leaf);
	l->nr++;
	return 0;
}

/* Z1: a cacheable host alias of a PA the guest sees non-cacheable. The
 * kernel's linear map is one for RAM; any cacheable VMA is another. */
static bool cacheable_alias(const struct s2mt_kvm *kvm, uint64_t pa,
			    uint64_t size, char *what, size_t len)
{
	const struct s2mt_mm *mm = kvm->mm;

	if (in_linear_map(kvm->host, pa, size)) {
		snprintf(what, len, "the kernel's linear map");
		return true;
	}
	for (size_t i = 0; i < mm->nr_vmas; i++) {
		const struct s2mt_vma *v = &mm->vmas[i];
		uint64_t vsize = v->end - v->start;

		if (!s2mt_attrindx_cacheable(v->attrindx))
			continue;
		if (pa < v->pa + vsize && v->pa < pa + size) {
			char d[96];

			s2mt_vma_describe(kvm->host, v, d, sizeof(d));
			snprintf(what, len, "VMA %#llx-%#llx (%s, %s)",
				 (unsigned long long)v->start,
				 (unsigned long long)v->end, d,
				 s2mt_attrindx_name(v->attrindx));
			return true;
		}
	}
	return false;
}

/* Z3: the PA ranges the VM recorded as installed without their clean. */
static bool unclean(const struct s2mt_vm *vm, uint64_t pa, uint64_t size)
{
	for (size_t i = 0; i < vm->nr_unclean; i++) {
		const struct s2mt_unclean_leaf *u = &vm->unclean[i];

		if (pa < u->pa + u->size && u->pa < pa + size)
			return true;
	}
	return false;
}

/* Z7: the leaf must lie in one live memslot, and the VMA behind it must
 * still give the same PA for all of it. */
static void check_z7(const struct s2mt_kvm *kvm, struct s2mt_vm *vm,
		     const struct s2mt_leaf *lf, struct found *f)
{
	const struct s2mt_memslot *s = s2mt_vm_find_slot(vm, lf->ipa);
	const struct s2mt_vma *vma;
	uint64_t hva;

	if (!s || lf->ipa + lf->size > s->gpa + s->size) {
		add(f, S2MT_Z7, vm, lf->ipa, lf->size, lf->pa,
		    "stage-2 leaf at IPA %#llx is not inside a live memslot",
		    (unsigned long long)lf->ipa);
		return;
	}
	hva = s->hva + (lf->ipa - s->gpa);
	vma = s2mt_mm_find_vma(kvm->mm, hva);
	if (!vma || hva + lf->size > vma->end) {
		add(f, S2MT_Z7, vm, lf->ipa, lf->size, lf->pa,
		    "HVA %#llx-%#llx behind slot %u is no longer (wholly) "
		    "mapped by one VMA",
		    (unsigned long long)hva,
		    (unsigned long long)(hva + lf->size), s->slot);
		return;
	}
	if (vma->pa + (hva - vma->start) != lf->pa)
		add(f, S2MT_Z7, vm, lf->ipa, lf->size, lf->pa,
		    "leaf maps PA %#llx but the VMA at HVA %#llx now gives "
		    "PA %#llx",
		    (unsigned long long)lf->pa, (unsigned long long)hva,
		    (unsigned long long)(vma->pa + (hva - vma->start)));
}

static void check_leaf(const struct s2mt_kvm *kvm, struct s2mt_vm *vm,
		       const struct s2mt_leaf *lf, struct found *f)
{
	const struct s2mt_host *host = kvm->host;
	bool fwb = vm->pgt.cfg.fwb;
	bool uncached = s2_uncached(lf->memattr, fwb);
	bool exec = lf->xn == 0;
	bool cleanable = in_linear_map(host, lf->pa, lf->size);
	char name[48], what[192];

	s2mt_s2_name(lf->memattr, fwb, name, sizeof(name));
	if (uncached &&
	    cacheable_alias(kvm, lf->pa, lf->size, what, sizeof(what)))
		add(f, S2MT_Z1, vm, lf->ipa, lf->size, lf->pa,
		    "stage-2 %s but %s maps PA %#llx cacheable: guest reads "
		    "can miss dirty host cache lines",
		    name, what, (unsigned long long)lf->pa);
	if (!uncached && !fwb && !cleanable)
		add(f, S2MT_Z2, vm, lf->ipa, lf->size, lf->pa,
		    "stage-2 %s over PA %#llx, outside the linear map, on a "
		    "host without FEAT_S2FWB: it can never be cleaned (K5)",
		    name, (unsigned long long)lf->pa);
	else if (!uncached && exec && !host->caps.dic && !cleanable)
		add(f, S2MT_Z2, vm, lf->ipa, lf->size, lf->pa,
		    "executable stage-2 %s over PA %#llx, outside the linear "
		    "map, on a host without CTR_EL0.DIC: the I-cache cannot "
		    "be invalidated (K5)",
		    name, (unsigned long long)lf->pa);
	if (!uncached && !fwb && unclean(vm, lf->pa, lf->size))
		add(f, S2MT_Z3, vm, lf->ipa, lf->size, lf->pa,
		    "cacheable leaf at IPA %#llx was installed without a "
		    "D-cache clean to PoC of its range (K5)",
		    (unsigned long long)lf->ipa);
	if (uncached && exec)
		add(f, S2MT_Z4, vm, lf->ipa, lf->size, lf->pa,
		    "stage-2 %s leaf at IPA %#llx is executable (K3)", name,
		    (unsigned long long)lf->ipa);
	if (!s2_device(lf->memattr, fwb)) {
		for (size_t i = 0; i < host->nr_regions; i++) {
			const struct s2mt_phys_region *r = &host->regions[i];

			if (r->read_side_effects &&
			    lf->pa < r->base + r->size &&
			    r->base < lf->pa + lf->size) {
				add(f, S2MT_Z6, vm, lf->ipa, lf->size, lf->pa,
				    "stage-2 %s (speculatively readable) over "
				    "%s, which has read side effects",
				    name, r->name);
				break;
			}
		}
	}
	check_z7(kvm, vm, lf, f);
}

static int by_pa(const void *a, const void *b)
{
	const struct leaf_rec *x = a, *y = b;

	return x->leaf.pa < y->leaf.pa ? -1 : x->leaf.pa > y->leaf.pa;
}

/* Z5: sort every leaf of every VM by PA; overlapping leaves must agree. */
static void check_z5(struct leaves *all, struct found *f)
{
	if (!all->nr)
		return;
	qsort(all->v, all->nr, sizeof(*all->v), by_pa);
	for (size_t i = 0; i < all->nr; i++) {
		const struct leaf_rec *a = &all->v[i];

		for (size_t j = i + 1; j < all->nr; j++) {
			const struct leaf_rec *b = &all->v[j];
			char an[48], bn[48];

			if (b->leaf.pa >= a->leaf.pa + a->leaf.size)
				break;
			if (a->leaf.memattr == b->leaf.memattr)
				continue;
			s2mt_s2_name(a->leaf.memattr, a->vm->pgt.cfg.fwb, an,
				     sizeof(an));
			s2mt_s2_name(b->leaf.memattr, b->vm->pgt.cfg.fwb, bn,
				     sizeof(bn));
			add(f, S2MT_Z5, b->vm, b->leaf.ipa, b->leaf.size,
			    b->leaf.pa,
			    "PA %#llx is mapped at IPA %#llx as %s and at IPA "
			    "%#llx as %s",
			    (unsigned long long)b->leaf.pa,
			    (unsigned long long)a->leaf.ipa, an,
			    (unsigned long long)b->leaf.ipa, bn);
			/* Both mappings are in conflict. */
			add(f, S2MT_Z5, a->vm, a->leaf.ipa, a->leaf.size,
			    a->leaf.pa, "PA %#llx is mapped twice",
			    (unsigned long long)a->leaf.pa);
		}
	}
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

int ref_check_hazards(const struct s2mt_kvm *kvm,
		      const struct s2mt_migration_target *target,
		      struct s2mt_hazard *out, size_t max, size_t *nr)
{
	struct found f = { .out = out, .max = max };
	struct leaves all = { 0 };

	for (size_t v = 0; v < kvm->nr_vms; v++) {
		struct s2mt_vm *vm = kvm->vms[v];
		size_t first = all.nr;

		all.vm = vm;
		s2mt_pgt_walk(&vm->pgt, 0, 1ULL << vm->ipa_bits, S2MT_WALK_LEAF,
			      collect, &all);
		for (size_t i = first; i < all.nr; i++)
			check_leaf(kvm, vm, &all.v[i].leaf, &f);
		if (target)
			check_z8(kvm, vm, target, &f);
	}
	check_z5(&all, &f);
	free(all.v);
	*nr = f.nr;
	return 0;
}
