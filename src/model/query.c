// SPDX-License-Identifier: MIT
/*
 * The memory-type query (SPEC D5, which upstream never built): for a guest
 * range, what backs each piece, what stage 2 says, what the guest really
 * gets with its own stage-1 attribute, what maintenance it cost, and which
 * hazards touch it.
 *
 * It streams: the table is walked once, alike leaves are taken as runs
 * (one compare per leaf), and each run is cut only where the memslot, the
 * VMA or the hazards change. The cache-maintenance record and the hazards
 * are indexed once per query, so the cost is linear in the leaves plus
 * n log n in the records, and no per-leaf memory is held (a 96 GiB guest
 * at 4 KiB is 25 million leaves). tests/test_query_ref.c holds it to the
 * first, leaf-collecting form entry by entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <s2mt/model.h>

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* ---- the cache-maintenance record, sorted by PA ---- */

struct cmo_index {
	struct s2mt_cmo *v; /* possible CMOs only, sorted by pa */
	uint64_t *reach; /* reach[i]: the highest end among v[0..i] */
	size_t nr;
};

static int cmo_by_pa(const void *a, const void *b)
{
	const struct s2mt_cmo *x = a, *y = b;

	return x->pa < y->pa ? -1 : x->pa > y->pa;
}

static int cmo_index_build(const struct s2mt_vm *vm, struct cmo_index *ix)
{
	memset(ix, 0, sizeof(*ix));
	if (!vm->nr_cmos)
		return 0;
	ix->v = malloc(vm->nr_cmos * sizeof(*ix->v));
	ix->reach = malloc(vm->nr_cmos * sizeof(*ix->reach));
	if (!ix->v || !ix->reach) {
		free(ix->v);
		free(ix->reach);
		return -S2MT_ENOMEM;
	}
	for (size_t i = 0; i < vm->nr_cmos; i++)
		if (!vm->cmos[i].impossible)
			ix->v[ix->nr++] = vm->cmos[i];
	qsort(ix->v, ix->nr, sizeof(*ix->v), cmo_by_pa);
	for (size_t i = 0; i < ix->nr; i++) {
		uint64_t end = ix->v[i].pa + ix->v[i].size;

		ix->reach[i] =
			i && ix->reach[i - 1] > end ? ix->reach[i - 1] : end;
	}
	return 0;
}

/* Bytes of each kind of CMO done over [pa, pa+size), counting a byte once
 * per CMO that covered it. */
static void cmo_bytes(const struct cmo_index *ix, uint64_t pa, uint64_t size,
		      uint64_t *dclean, uint64_t *iinval)
{
	size_t lo = 0, hi = ix->nr;

	/* The first record whose reach passes pa: none before it can. */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (ix->reach[mid] > pa)
			hi = mid;
		else
			lo = mid + 1;
	}
	for (size_t i = lo; i < ix->nr && ix->v[i].pa < pa + size; i++) {
		const struct s2mt_cmo *c = &ix->v[i];
		uint64_t a = c->pa > pa ? c->pa : pa;
		uint64_t b = min_u64(c->pa + c->size, pa + size);

		if (a >= b)
			continue;
		if (c->kind == S2MT_CMO_DCLEAN)
			*dclean += b - a;
		else
			*iinval += b - a;
	}
}

/* ---- the hazards of this VM, as pieces with constant bits ---- */

struct hz_index {
	uint64_t *cut; /* sorted boundaries; piece k is [cut[k], cut[k+1]) */
	uint32_t *bits; /* bits[k] for piece k */
	size_t nr_cuts;
	size_t cursor; /* the query moves forward: so does this */
};

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static size_t cut_at(const struct hz_index *ix, uint64_t x)
{
	size_t lo = 0, hi = ix->nr_cuts;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (ix->cut[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int hz_index_build(const struct s2mt_vm *vm,
			  const struct s2mt_hazard *hz, size_t nr_hz,
			  struct hz_index *ix)
{
	size_t n = 0, m = 0;

	memset(ix, 0, sizeof(*ix));
	for (size_t i = 0; i < nr_hz; i++)
		n += hz[i].vm == vm;
	if (!n)
		return 0;
	ix->cut = malloc(2 * n * sizeof(*ix->cut));
	ix->bits = calloc(2 * n, sizeof(*ix->bits));
	if (!ix->cut || !ix->bits) {
		free(ix->cut);
		free(ix->bits);
		return -S2MT_ENOMEM;
	}
	for (size_t i = 0; i < nr_hz; i++) {
		if (hz[i].vm != vm)
			continue;
		ix->cut[m++] = hz[i].ipa;
		ix->cut[m++] = hz[i].ipa + (hz[i].size ? hz[i].size : 1);
	}
	qsort(ix->cut, m, sizeof(*ix->cut), u64_cmp);
	n = 0;
	for (size_t i = 0; i < m; i++)
		if (!n || ix->cut[n - 1] != ix->cut[i])
			ix->cut[n++] = ix->cut[i];
	ix->nr_cuts = n;
	for (size_t i = 0; i < nr_hz; i++) {
		uint64_t end = hz[i].ipa + (hz[i].size ? hz[i].size : 1);

		if (hz[i].vm != vm)
			continue;
		for (size_t k = cut_at(ix, hz[i].ipa);
		     k + 1 < ix->nr_cuts && ix->cut[k] < end; k++)
			ix->bits[k] |= S2MT_HAZARD_BIT(hz[i].id);
	}
	return 0;
}

/* The bits at x, and where they may next change (after x). */
static uint32_t hz_at(struct hz_index *ix, uint64_t x, uint64_t *change)
{
	size_t k = ix->cursor;

	if (!ix->nr_cuts) {
		*change = UINT64_MAX;
		return 0;
	}
	if (k > ix->nr_cuts || (k && ix->cut[k - 1] > x))
		k = cut_at(ix, x);
	while (k < ix->nr_cuts && ix->cut[k] <= x)
		k++;
	ix->cursor = k;
	/* cut[k-1] <= x < cut[k] */
	*change = k < ix->nr_cuts ? ix->cut[k] : UINT64_MAX;
	return k && k < ix->nr_cuts ? ix->bits[k - 1] : 0;
}

/* ---- the walk ---- */

/* Leaves alike and contiguous: one level, and each descriptor the one
 * before plus its size (the same attributes, the next PA). */
struct run {
	uint64_t ipa, size, desc, leaf_size;
	unsigned level;
};

struct q {
	struct s2mt_vm *vm;
	const struct s2mt_host *host;
	uint64_t end; /* of the query */
	uint64_t p; /* everything before p has been emitted */
	struct s2mt_s1attr guest_s1;
	struct cmo_index cmo;
	struct hz_index hz;
	/* what the last piece found, kept for the next */
	const struct s2mt_memslot *slot;
	const struct s2mt_vma *vma;
	/* the effective type of the last (memattr, sh) */
	bool eff_valid;
	uint8_t eff_memattr, eff_sh;
	struct s2mt_effective eff;
	/* the output */
	struct s2mt_query_entry *out, last;
	size_t max, n;
	bool have_run;
	struct run run;
};

/* The first slot at or after ipa (slots are sorted by gpa), or NULL. */
static const struct s2mt_memslot *next_slot(const struct s2mt_vm *vm,
					    uint64_t ipa)
{
	size_t lo = 0, hi = vm->nr_slots;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (vm->slots[mid].gpa < ipa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < vm->nr_slots ? &vm->slots[lo] : NULL;
}

static const struct s2mt_memslot *slot_at(struct q *q, uint64_t x)
{
	const struct s2mt_memslot *s = q->slot;

	if (s && x >= s->gpa && x - s->gpa < s->size)
		return s;
	s = s2mt_vm_find_slot(q->vm, x);
	if (s)
		q->slot = s;
	return s;
}

static const struct s2mt_vma *vma_at(struct q *q, uint64_t hva)
{
	const struct s2mt_vma *v = q->vma;

	if (v && hva >= v->start && hva < v->end)
		return v;
	v = s2mt_mm_find_vma(q->vm->kvm->mm, hva);
	if (v)
		q->vma = v;
	return v;
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

static void put(struct q *q, const struct s2mt_query_entry *e)
{
	/* Merge against the latest entry whether or not it was stored:
	 * the count does not depend on max. */
	if (q->n && mergeable(&q->last, e)) {
		q->last.size += e->size;
		q->last.nr_leaves += e->nr_leaves;
		q->last.dclean_bytes += e->dclean_bytes;
		q->last.iinval_bytes += e->iinval_bytes;
		if (q->n <= q->max)
			q->out[q->n - 1] = q->last;
		return;
	}
	q->last = *e;
	if (q->n < q->max)
		q->out[q->n] = *e;
	q->n++;
}

/* Emits [x, to): unmapped when r is NULL, else the part of run r. */
static void emit(struct q *q, uint64_t x, uint64_t to, const struct run *r)
{
	while (x < to) {
		struct s2mt_query_entry e = { .ipa = x, .slot = -1 };
		const struct s2mt_memslot *s = slot_at(q, x);
		uint64_t seg_end = to, change;

		if (s) {
			uint64_t hva = s->hva + (x - s->gpa);
			const struct s2mt_vma *v = vma_at(q, hva);

			e.slot = (int)s->slot;
			seg_end = min_u64(seg_end, s->gpa + s->size);
			if (v) {
				e.has_vma = true;
				e.vma = *v;
				e.memclass =
					(uint8_t)s2mt_vma_memclass(q->host, v);
				e.host_attrindx = v->attrindx;
				seg_end = min_u64(seg_end, x + (v->end - hva));
			} else {
				v = s2mt_mm_find_vma_intersection(
					q->vm->kvm->mm, hva, s->hva + s->size);
				if (v)
					seg_end = min_u64(seg_end,
							  x + (v->start - hva));
			}
		} else {
			const struct s2mt_memslot *ns = next_slot(q->vm, x);

			if (ns)
				seg_end = min_u64(seg_end, ns->gpa);
		}
		e.hazards = hz_at(&q->hz, x, &change);
		seg_end = min_u64(seg_end, change);
		e.size = seg_end - x;
		if (r) {
			uint64_t ls = r->leaf_size;
			uint64_t off = x - r->ipa;
			uint64_t first = off & ~(ls - 1);
			uint64_t desc = r->desc + first;
			struct s2mt_s2attr s2;

			e.mapped = true;
			/* Each leaf the piece overlaps counts once. */
			e.nr_leaves = (seg_end - r->ipa - first + ls - 1) / ls;
			s2mt_leaf_decode(desc, r->level, r->ipa + first,
					 &e.leaf);
			if (!q->eff_valid || q->eff_memattr != e.leaf.memattr ||
			    q->eff_sh != e.leaf.sh) {
				s2 = (struct s2mt_s2attr){
					.memattr = e.leaf.memattr,
					.sh = e.leaf.sh
				};
				s2mt_combine(q->guest_s1, s2,
					     q->vm->pgt.cfg.fwb, &q->eff);
				q->eff_valid = true;
				q->eff_memattr = e.leaf.memattr;
				q->eff_sh = e.leaf.sh;
			}
			e.eff = q->eff;
			/* The entry's own part of the leaf. */
			e.leaf.pa += x - (r->ipa + first);
			e.leaf.ipa = x;
			cmo_bytes(&q->cmo, e.leaf.pa, e.size, &e.dclean_bytes,
				  &e.iinval_bytes);
		} else if (e.has_vma && s) {
			struct s2mt_policy_in in;

			s2mt_vm_fault_policy_in(q->vm, s, &e.vma,
						S2MT_ACCESS_READ, &in);
			e.has_policy = true;
			s2mt_policy(&in, &e.policy);
		}
		put(q, &e);
		x = seg_end;
	}
}

static void flush_run(struct q *q)
{
	const struct run *r = &q->run;
	uint64_t from, to;

	if (!q->have_run)
		return;
	from = r->ipa > q->p ? r->ipa : q->p;
	to = min_u64(r->ipa + r->size, q->end);
	if (from > q->p)
		emit(q, q->p, from, NULL);
	if (to > from)
		emit(q, from, to, r);
	q->p = to > q->p ? to : q->p;
	q->have_run = false;
}

static int visit(const struct s2mt_walk_entry *w, void *arg)
{
	struct q *q = arg;
	struct run *r = &q->run;

	if (q->have_run && w->level == r->level && w->ipa == r->ipa + r->size &&
	    w->desc == r->desc + r->size) {
		r->size += w->size;
		return 0;
	}
	flush_run(q);
	*r = (struct run){
		.ipa = w->ipa,
		.size = w->size,
		.desc = w->desc,
		.leaf_size = w->size,
		.level = w->level,
	};
	q->have_run = true;
	return 0;
}

int s2mt_vm_query_hazards(struct s2mt_vm *vm, uint64_t ipa, uint64_t size,
			  struct s2mt_s1attr guest_s1,
			  const struct s2mt_hazard *hz, size_t nr_hz,
			  struct s2mt_query_entry *out, size_t max, size_t *nr)
{
	uint64_t end = ipa + size, limit = 1ULL << vm->ipa_bits;
	struct q *q;

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
	q = calloc(1, sizeof(*q));
	if (!q)
		return -S2MT_ENOMEM;
	*q = (struct q){
		.vm = vm,
		.host = vm->kvm->host,
		.end = end,
		.p = ipa,
		.guest_s1 = guest_s1,
		.out = out,
		.max = max,
	};
	if (cmo_index_build(vm, &q->cmo) ||
	    hz_index_build(vm, hz, nr_hz, &q->hz)) {
		free(q->cmo.v);
		free(q->cmo.reach);
		free(q);
		return -S2MT_ENOMEM;
	}
	if (ipa < end)
		s2mt_pgt_walk(&vm->pgt, ipa, end - ipa, S2MT_WALK_LEAF, visit,
			      q);
	flush_run(q);
	if (q->p < end)
		emit(q, q->p, end, NULL);
	*nr = q->n;
	free(q->cmo.v);
	free(q->cmo.reach);
	free(q->hz.cut);
	free(q->hz.bits);
	free(q);
	return 0;
}

int s2mt_vm_query(struct s2mt_vm *vm, uint64_t ipa, uint64_t size,
		  struct s2mt_s1attr guest_s1, struct s2mt_query_entry *out,
		  size_t max, size_t *nr)
{
	size_t hz_cap = 4096, nr_hz = 0;
	struct s2mt_hazard *hz = calloc(hz_cap, sizeof(*hz));
	int err;

	if (!hz)
		return -S2MT_ENOMEM;
	s2mt_check_hazards(vm->kvm, NULL, hz, hz_cap, &nr_hz);
	if (nr_hz > hz_cap)
		nr_hz = hz_cap;
	err = s2mt_vm_query_hazards(vm, ipa, size, guest_s1, hz, nr_hz, out,
				    max, nr);
	free(hz);
	return err;
}
