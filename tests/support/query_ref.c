// SPDX-License-Identifier: MIT
/*
 * The reference memory-type query for tests: the first form of
 * src/model/query.c (SPEC D5), which collects every leaf and scans every
 * cache-maintenance record for each piece. Simple and slow; the model's
 * query streams runs of leaves and is held to this one entry by entry
 * (tests/test_query_ref.c). It takes the hazards as input, like the
 * model's s2mt_vm_query_hazards().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <s2mt/model.h>

#include "query_ref.h"

struct leaf_list {
	struct s2mt_walk_entry *v;
	size_t nr, cap;
};

static int collect(const struct s2mt_walk_entry *e, void *arg)
{
	struct leaf_list *l = arg;

	if (l->nr == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			abort();
	}
	l->v[l->nr++] = *e;
	return 0;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* The first slot starting at or after ipa, or NULL. */
static const struct s2mt_memslot *next_slot(const struct s2mt_vm *vm,
					    uint64_t ipa)
{
	const struct s2mt_memslot *best = NULL;

	for (size_t i = 0; i < vm->nr_slots; i++)
		if (vm->slots[i].gpa >= ipa &&
		    (!best || vm->slots[i].gpa < best->gpa))
			best = &vm->slots[i];
	return best;
}

static void cmo_bytes(const struct s2mt_vm *vm, uint64_t pa, uint64_t size,
		      uint64_t *dclean, uint64_t *iinval)
{
	for (size_t i = 0; i < vm->nr_cmos; i++) {
		const struct s2mt_cmo *c = &vm->cmos[i];
		uint64_t lo, hi;

		if (c->impossible)
			continue;
		lo = c->pa > pa ? c->pa : pa;
		hi = min_u64(c->pa + c->size, pa + size);
		if (lo >= hi)
			continue;
		if (c->kind == S2MT_CMO_DCLEAN)
			*dclean += hi - lo;
		else
			*iinval += hi - lo;
	}
}

/* Whether e continues prev: same backing, same leaf kind, contiguous. */
static bool mergeable(const struct s2mt_query_entry *prev,
		      const struct s2mt_query_entry *e)
{
	if (prev->ipa + prev->size != e->ipa || prev->slot != e->slot ||
	    prev->has_vma != e->has_vma || prev->mapped != e->mapped ||
	    prev->hazards != e->hazards)
		return false;
	if (prev->has_vma && prev->vma.start != e->vma.start)
		return false;
	if (!prev->mapped)
		return prev->has_policy == e->has_policy &&
			(!prev->has_policy ||
			 (prev->policy.err == e->policy.err &&
			  prev->policy.prot.type == e->policy.prot.type));
	return prev->leaf.level == e->leaf.level &&
		prev->leaf.memattr == e->leaf.memattr &&
		prev->leaf.s2ap == e->leaf.s2ap &&
		prev->leaf.xn == e->leaf.xn &&
		prev->leaf.pa + prev->size == e->leaf.pa;
}

static uint32_t hazard_bits(const struct s2mt_hazard *hz, size_t nr,
			    const struct s2mt_vm *vm, uint64_t ipa,
			    uint64_t size)
{
	uint32_t bits = 0;

	for (size_t i = 0; i < nr; i++) {
		uint64_t hsize = hz[i].size ? hz[i].size : 1;

		if (hz[i].vm == vm && ipa < hz[i].ipa + hsize &&
		    hz[i].ipa < ipa + size)
			bits |= S2MT_HAZARD_BIT(hz[i].id);
	}
	return bits;
}

int ref_vm_query(struct s2mt_vm *vm, uint64_t ipa, uint64_t size,
		 struct s2mt_s1attr guest_s1, const struct s2mt_hazard *hz,
		 size_t nr_hz, struct s2mt_query_entry *out, size_t max,
		 size_t *nr)
{
	const struct s2mt_host *host = vm->kvm->host;
	uint64_t end = ipa + size, limit = 1ULL << vm->ipa_bits;
	struct leaf_list leaves = { 0 };
	struct s2mt_query_entry last;
	size_t li = 0, n = 0;

	*nr = 0;
	if (!size || end < ipa || (ipa & (S2MT_PAGE_SIZE - 1)) ||
	    (size & (S2MT_PAGE_SIZE - 1))) {
		snprintf(vm->why, sizeof(vm->why),
			 "D5: the query range must be page aligned and "
			 "non-empty");
		vm->rule = "D5";
		return -S2MT_EINVAL;
	}
	if (end > limit)
		end = limit;
	s2mt_pgt_walk(&vm->pgt, ipa, end - ipa, S2MT_WALK_LEAF, collect,
		      &leaves);

	for (uint64_t p = ipa; p < end;) {
		struct s2mt_query_entry e = { .ipa = p, .slot = -1 };
		const struct s2mt_memslot *s = s2mt_vm_find_slot(vm, p);
		uint64_t seg_end = end;

		while (li < leaves.nr &&
		       leaves.v[li].ipa + leaves.v[li].size <= p)
			li++;
		if (li < leaves.nr && leaves.v[li].ipa <= p) {
			const struct s2mt_walk_entry *w = &leaves.v[li];

			e.mapped = true;
			e.nr_leaves = 1;
			s2mt_leaf_decode(w->desc, w->level, w->ipa, &e.leaf);
			seg_end = min_u64(seg_end, w->ipa + w->size);
		} else if (li < leaves.nr) {
			seg_end = min_u64(seg_end, leaves.v[li].ipa);
		}
		if (s) {
			uint64_t hva = s->hva + (p - s->gpa);
			const struct s2mt_vma *v;

			e.slot = (int)s->slot;
			seg_end = min_u64(seg_end, s->gpa + s->size);
			v = s2mt_mm_find_vma(vm->kvm->mm, hva);
			if (v) {
				e.has_vma = true;
				e.vma = *v;
				e.memclass =
					(uint8_t)s2mt_vma_memclass(host, v);
				e.host_attrindx = v->attrindx;
				seg_end = min_u64(seg_end, p + (v->end - hva));
			} else {
				uint64_t slot_end_hva = s->hva + s->size;

				v = s2mt_mm_find_vma_intersection(
					vm->kvm->mm, hva, slot_end_hva);
				if (v)
					seg_end = min_u64(seg_end,
							  p + (v->start - hva));
			}
		} else {
			const struct s2mt_memslot *ns = next_slot(vm, p);

			if (ns)
				seg_end = min_u64(seg_end, ns->gpa);
		}
		e.size = seg_end - p;
		if (e.mapped) {
			struct s2mt_s2attr s2 = { .memattr = e.leaf.memattr,
						  .sh = e.leaf.sh };
			uint64_t pa = e.leaf.pa + (p - e.leaf.ipa);

			s2mt_combine(guest_s1, s2, vm->pgt.cfg.fwb, &e.eff);
			cmo_bytes(vm, pa, e.size, &e.dclean_bytes,
				  &e.iinval_bytes);
			/* The entry's own part of the leaf. */
			e.leaf.pa = pa;
			e.leaf.ipa = p;
		} else if (e.has_vma && s) {
			struct s2mt_policy_in in = {
				.op = S2MT_POLICY_FAULT,
				.era = (uint8_t)host->era,
				.host = host->caps,
				.vm_mte = vm->mte,
				.memclass = e.memclass,
				.vm_flags = e.vma.flags,
				.attrindx = e.vma.attrindx,
				.access = S2MT_ACCESS_READ,
				.slot_flags = s->flags,
				.vma_start = e.vma.start,
				.vma_end = e.vma.end,
			};

			e.has_policy = true;
			s2mt_policy(&in, &e.policy);
		}
		e.hazards = hazard_bits(hz, nr_hz, vm, p, e.size);
		/* Merge against the latest entry whether or not it was
		 * stored: the count does not depend on max. */
		if (n && mergeable(&last, &e)) {
			last.size += e.size;
			last.nr_leaves += e.nr_leaves;
			last.dclean_bytes += e.dclean_bytes;
			last.iinval_bytes += e.iinval_bytes;
			if (n <= max)
				out[n - 1] = last;
		} else {
			last = e;
			if (n < max)
				out[n] = e;
			n++;
		}
		p = seg_end;
	}
	free(leaves.v);
	*nr = n;
	return 0;
}
