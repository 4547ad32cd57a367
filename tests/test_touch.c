// SPDX-License-Identifier: MIT
/*
 * s2mt_vm_touch() against the vCPU it stands for: two identical worlds
 * (host, VMM address space, VM) run the same random story; in one every
 * guest access is s2mt_vm_touch(), in the other it is a page-by-page loop
 * written here from the rule (a page stage 2 maps with the permission does
 * not fault; every other page takes s2mt_vm_guest_abort(); the vCPU stops
 * at the first fault that maps nothing). After every step the two must
 * agree on every stage-2 descriptor, every counter, the cache-maintenance
 * and unclean records (K5/Z3), the dirty bitmaps (K7), the last reason
 * and the touch summaries. Batching 25 million faults into one table call
 * is only allowed because this holds.
 *
 * The reference VM also runs without the fault memo (vm->no_fault_memo):
 * every one of its faults asks the slot, the VMA and the policy afresh
 * and takes the general path, while the touched VM takes the memo's
 * answers and the straight-line path wherever it can. The stories change
 * VMAs (mprotect), slots (logging) and the host's THP mode under both, so
 * a memo kept past a change would show as a difference.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <s2mt/model.h>

#include "support/rng.h"

#define SZ_4K 0x1000ull
#define SZ_2M 0x200000ull
#define SZ_1G 0x40000000ull

struct world {
	struct s2mt_host host;
	struct s2mt_mm mm;
	struct s2mt_kvm kvm;
	struct s2mt_vm *vm;
	int nic, gpu;
	uint64_t hva[6];
};

/* Faults the straight-line path took, over every story. */
static uint64_t g_fast_faults;

/* The reference: the vCPU page by page. */
static int ref_touch(struct s2mt_vm *vm, uint64_t ipa, uint64_t size,
		     unsigned access, struct s2mt_touch *t)
{
	unsigned retries = 0;

	for (uint64_t p = ipa; p < ipa + size;) {
		struct s2mt_leaf leaf;
		struct s2mt_fault f;
		bool ok;

		if (p < vm->pgt.ipa_limit &&
		    !s2mt_pgt_lookup(&vm->pgt, p, &leaf)) {
			ok = access == S2MT_ACCESS_WRITE ? (leaf.s2ap & 2)
				: access == S2MT_ACCESS_EXEC
				? (leaf.s2ap & 1) && leaf.xn == 0
				: (leaf.s2ap & 1);
			if (ok) {
				uint64_t e = leaf.ipa + leaf.size;

				e = e < ipa + size ? e : ipa + size;
				t->pages += (e - p) / SZ_4K;
				t->hits += (e - p) / SZ_4K;
				p = e;
				continue;
			}
		}
		s2mt_vm_guest_abort(vm, p, access, &f);
		t->faults++;
		/* K8/H6: an invalidated fault is taken again by the vCPU
		 * (bounded, as a livelock would be a model bug). */
		if (f.outcome == S2MT_FAULT_RETRY && !t->retries++)
			snprintf(t->retry_why, sizeof(t->retry_why), "%s",
				 f.reason);
		if (f.outcome == S2MT_FAULT_RETRY && ++retries < 16)
			continue;
		retries = 0;
		if (!t->has_first) {
			t->has_first = true;
			t->first = f;
		}
		if (f.outcome != S2MT_FAULT_MAPPED &&
		    f.outcome != S2MT_FAULT_PERM_RELAXED) {
			t->stopped = true;
			t->stop = f;
			t->stop_ipa = p;
			t->pages++;
			return f.err;
		}
		if (f.outcome == S2MT_FAULT_MAPPED)
			t->mapped++;
		else
			t->relaxed++;
		/* The rest of the new leaf is mapped when the vCPU gets there. */
		{
			uint64_t e = f.leaf.ipa + f.leaf.size;

			e = e < ipa + size ? e : ipa + size;
			t->pages += (e - p) / SZ_4K;
			t->hits += (e - p) / SZ_4K - 1;
			p = e;
		}
	}
	return 0;
}

struct dump {
	uint64_t *v;
	size_t nr, cap;
};

static int dump_leaf(const struct s2mt_walk_entry *e, void *arg)
{
	struct dump *d = arg;

	if (d->nr + 3 > d->cap) {
		d->cap = d->cap ? d->cap * 2 : 1024;
		d->v = realloc(d->v, d->cap * sizeof(*d->v));
		assert_non_null(d->v);
	}
	d->v[d->nr++] = e->ipa;
	d->v[d->nr++] = e->level;
	d->v[d->nr++] = e->desc;
	return 0;
}

static void dump_table(struct s2mt_vm *vm, struct dump *d)
{
	d->nr = 0;
	s2mt_pgt_walk(&vm->pgt, 0, vm->pgt.ipa_limit, S2MT_WALK_LEAF, dump_leaf,
		      d);
}

static void assert_same_fault(const struct s2mt_fault *a,
			      const struct s2mt_fault *b)
{
	assert_int_equal(a->outcome, b->outcome);
	assert_int_equal(a->err, b->err);
	assert_string_equal(a->rule ? a->rule : "", b->rule ? b->rule : "");
	assert_string_equal(a->reason, b->reason);
	assert_int_equal(a->slot, b->slot);
	assert_int_equal(a->has_leaf, b->has_leaf);
	if (a->has_leaf)
		assert_memory_equal(&a->leaf, &b->leaf, sizeof(a->leaf));
	assert_int_equal(a->dclean_bytes, b->dclean_bytes);
	assert_int_equal(a->iinval_bytes, b->iinval_bytes);
}

static void assert_same_touch(const struct s2mt_touch *a,
			      const struct s2mt_touch *b)
{
	assert_int_equal(a->pages, b->pages);
	assert_int_equal(a->hits, b->hits);
	assert_int_equal(a->faults, b->faults);
	assert_int_equal(a->mapped, b->mapped);
	assert_int_equal(a->relaxed, b->relaxed);
	assert_int_equal(a->retries, b->retries);
	assert_string_equal(a->retry_why, b->retry_why);
	assert_int_equal(a->has_first, b->has_first);
	if (a->has_first)
		assert_same_fault(&a->first, &b->first);
	assert_int_equal(a->stopped, b->stopped);
	if (a->stopped) {
		assert_same_fault(&a->stop, &b->stop);
		assert_int_equal(a->stop_ipa, b->stop_ipa);
	}
}

static void assert_same_world(struct world *a, struct world *b)
{
	static struct dump da, db;
	const struct s2mt_vm *x = a->vm, *y = b->vm;

	dump_table(a->vm, &da);
	dump_table(b->vm, &db);
	assert_int_equal(da.nr, db.nr);
	assert_memory_equal(da.v, db.v, da.nr * sizeof(*da.v));
	assert_memory_equal(&x->stats, &y->stats, sizeof(x->stats));
	assert_int_equal(x->nr_cmos, y->nr_cmos);
	for (size_t i = 0; i < x->nr_cmos; i++) {
		assert_int_equal(x->cmos[i].kind, y->cmos[i].kind);
		assert_int_equal(x->cmos[i].impossible, y->cmos[i].impossible);
		assert_int_equal(x->cmos[i].pa, y->cmos[i].pa);
		assert_int_equal(x->cmos[i].size, y->cmos[i].size);
	}
	assert_int_equal(x->nr_unclean, y->nr_unclean);
	if (x->nr_unclean)
		assert_memory_equal(x->unclean, y->unclean,
				    x->nr_unclean * sizeof(*x->unclean));
	assert_int_equal(x->nr_slots, y->nr_slots);
	for (size_t i = 0; i < x->nr_slots; i++) {
		const struct s2mt_memslot *s = &x->slots[i], *t = &y->slots[i];

		assert_int_equal(s->slot, t->slot);
		assert_int_equal(s->flags, t->flags);
		assert_int_equal(!s->dirty_bitmap, !t->dirty_bitmap);
		if (s->dirty_bitmap)
			assert_memory_equal(s->dirty_bitmap, t->dirty_bitmap,
					    (s->size / SZ_4K + 63) / 64 * 8);
	}
	/* vm->why is not compared: a touch writes the sentences of its
	 * first fault and of a stop only (the rule is the same). */
	assert_string_equal(x->rule ? x->rule : "", y->rule ? y->rule : "");
	assert_int_equal(x->pgt.stats.leaves_installed,
			 y->pgt.stats.leaves_installed);
}

/* The VMM's mappings: anonymous 4 KiB, THP, hugetlb, a BAR mapped at a
 * 2 MiB-misaligned HVA (4 KiB leaves), the same BAR aligned (blocks), GPU
 * memory, and a hole. */
#define NR_MAPS 6
struct layout {
	uint64_t gpa[NR_MAPS], size[NR_MAPS];
	uint32_t flags[NR_MAPS];
	uint64_t off[NR_MAPS]; /* the slot starts this far into the mmap */
};

static void build(struct world *w, const char *preset, unsigned era,
		  const struct layout *l, bool mte)
{
	struct s2mt_bar_spec bars[S2MT_MAX_BARS] = {
		[0] = { .size = 128 * SZ_2M, .prefetchable = true },
	};
	uint64_t *hva = w->hva;

	memset(w, 0, sizeof(*w));
	assert_int_equal(s2mt_host_init(&w->host, preset, era, 64 * SZ_1G), 0);
	w->nic = s2mt_host_add_vfio_pci(&w->host, "nic", bars);
	assert_true(w->nic >= 0);
	if (era >= S2MT_ERA_6_9) {
		w->gpu = s2mt_host_add_nvgrace(&w->host, "gpu", 4 * SZ_1G, 0);
		assert_true(w->gpu >= 0);
	}
	assert_int_equal(s2mt_mm_init(&w->mm, &w->host), 0);
	s2mt_kvm_open(&w->kvm, &w->host, &w->mm);
	assert_int_equal(s2mt_kvm_create_vm(&w->kvm, 40, &w->vm), 0);
	if (mte && w->host.caps.mte)
		assert_int_equal(s2mt_vm_enable_cap(w->vm, KVM_CAP_ARM_MTE), 0);

	struct s2mt_mmap_req rw = { .len = l->size[0],
				    .prot = S2MT_PROT_READ | S2MT_PROT_WRITE |
					    S2MT_PROT_EXEC,
				    .flags = S2MT_MAP_PRIVATE };
	assert_int_equal(
		s2mt_mm_mmap_anon(&w->mm, &rw, S2MT_BACK_ANON, &hva[0]), 0);
	rw.len = l->size[1];
	assert_int_equal(s2mt_mm_mmap_anon(&w->mm, &rw, S2MT_BACK_THP, &hva[1]),
			 0);
	rw.len = l->size[2];
	assert_int_equal(
		s2mt_mm_mmap_anon(&w->mm, &rw, S2MT_BACK_HUGETLB_2M, &hva[2]),
		0);
	struct s2mt_mmap_req bar = { .len = l->size[3],
				     .prot = S2MT_PROT_READ | S2MT_PROT_WRITE,
				     .flags = S2MT_MAP_SHARED,
				     .align_hint = SZ_2M,
				     .align_offset = 0x3000 };
	assert_int_equal(
		s2mt_mm_mmap_vfio_bar(&w->mm, &bar, w->nic, 0, 0, &hva[3]), 0);
	bar.align_hint = 0;
	bar.align_offset = 0;
	bar.len = l->size[4];
	assert_int_equal(s2mt_mm_mmap_vfio_bar(&w->mm, &bar, w->nic, 0,
					       l->size[3], &hva[4]),
			 0);
	if (era >= S2MT_ERA_6_9) {
		bar.len = l->size[5];
		bar.align_hint = SZ_2M;
		bar.align_offset = 0x5000;
		assert_int_equal(s2mt_mm_mmap_nvgrace(&w->mm, &bar, w->gpu,
						      S2MT_NVGRACE_USEMEM, 0,
						      &hva[5]),
				 0);
	}
	for (unsigned i = 0; i < NR_MAPS; i++) {
		struct s2mt_userspace_memory_region2 r = {
			.slot = i,
			.flags = l->flags[i],
			.guest_phys_addr = l->gpa[i] + l->off[i],
			.memory_size = l->size[i] - l->off[i],
			.userspace_addr = hva[i] + l->off[i],
		};

		if (i == 5 && era < S2MT_ERA_6_9)
			continue;
		/* Some are refused (K7 on PFNMAP, K6, M3): the same in both. */
		s2mt_vm_set_user_memory_region2(w->vm, &r);
	}
}

static void teardown(struct world *w)
{
	s2mt_kvm_close(&w->kvm);
	s2mt_mm_fini(&w->mm);
}

static void one_story(const char *preset, unsigned era, unsigned steps)
{
	static struct world a, b;
	struct layout l;
	bool mte = rnd_below(4) == 0;

	for (unsigned i = 0; i < NR_MAPS; i++) {
		l.gpa[i] = (1 + 2 * (uint64_t)i) * SZ_1G;
		l.size[i] = (1 + rnd_below(64)) * SZ_2M;
		l.flags[i] = rnd_below(3) == 0 ? KVM_MEM_LOG_DIRTY_PAGES : 0;
		if (rnd_below(8) == 0)
			l.flags[i] |= KVM_MEM_READONLY;
		/* K4 at a slot edge: a block that does not fit gives pages
		 * first, blocks further in. */
		l.off[i] = rnd_below(2) ? rnd_below(4) * SZ_4K : 0;
	}
	build(&a, preset, era, &l, mte);
	build(&b, preset, era, &l, mte);
	b.vm->no_fault_memo = true;
	assert_same_world(&a, &b);
	for (unsigned s = 0; s < steps; s++) {
		unsigned m = (unsigned)rnd_below(NR_MAPS),
			 op = (unsigned)rnd_below(10);
		uint64_t start = l.gpa[m] - SZ_2M +
			rnd_below(l.size[m] / SZ_4K + 1024) * SZ_4K;
		uint64_t size =
			(1 + rnd_below(rnd_below(2) ? 16 : 4096)) * SZ_4K;
		unsigned access = op < 5 ? S2MT_ACCESS_WRITE
			: op < 8	 ? S2MT_ACCESS_READ
					 : S2MT_ACCESS_EXEC;

		if (op == 8 && rnd_below(4) == 0) {
			/* Change the VMAs (split, flags) in both: K8 unmaps
			 * what the mprotect covers. */
			static const unsigned prots[] = {
				S2MT_PROT_READ,
				S2MT_PROT_READ | S2MT_PROT_WRITE,
				S2MT_PROT_READ | S2MT_PROT_WRITE |
					S2MT_PROT_EXEC,
			};
			unsigned pr = prots[rnd_below(3)];
			uint64_t at =
				a.hva[m] + rnd_below(l.size[m] / SZ_4K) * SZ_4K;
			uint64_t len = (1 + rnd_below(512)) * SZ_4K;

			if (m == 2) /* hugetlb splits at 2 MiB only (H2) */
				at &= ~(SZ_2M - 1), len = SZ_2M;
			assert_int_equal(s2mt_mm_mprotect(&a.mm, at, len, pr),
					 s2mt_mm_mprotect(&b.mm, at, len, pr));
		} else if (op == 8 && rnd_below(3) == 0) {
			/* The THP mode, a runtime knob (H6), in both. */
			unsigned t = (unsigned)rnd_below(3);

			a.host.thp = t;
			b.host.thp = t;
		} else if (op == 9 && rnd_below(2)) {
			/* Harvest the dirty log (K7) in both. */
			static uint64_t bm[(64 * SZ_2M / SZ_4K) / 64];

			assert_int_equal(s2mt_vm_get_dirty_log(a.vm, m, bm),
					 s2mt_vm_get_dirty_log(b.vm, m, bm));
		} else if (op == 9) {
			/* Toggle logging (FLAGS_ONLY) in both. */
			const struct s2mt_memslot *sl =
				s2mt_vm_slot_by_id(a.vm, m);
			struct s2mt_userspace_memory_region2 r;

			if (sl) {
				r = (struct s2mt_userspace_memory_region2){
					.slot = m,
					.flags = sl->flags ^
						KVM_MEM_LOG_DIRTY_PAGES,
					.guest_phys_addr = sl->gpa,
					.memory_size = sl->size,
					.userspace_addr = sl->hva,
				};
				assert_int_equal(
					s2mt_vm_set_user_memory_region2(a.vm,
									&r),
					s2mt_vm_set_user_memory_region2(b.vm,
									&r));
			}
		} else {
			struct s2mt_touch ta = { 0 }, tb = { 0 };
			int ea, eb;

			/* Sometimes in two pieces: t accumulates. */
			if (rnd_below(4) == 0 && size > SZ_4K) {
				uint64_t half = size / 2 & ~(SZ_4K - 1);

				ea = s2mt_vm_touch(a.vm, start, half, access,
						   &ta);
				if (!ea)
					ea = s2mt_vm_touch(a.vm, start + half,
							   size - half, access,
							   &ta);
			} else {
				ea = s2mt_vm_touch(a.vm, start, size, access,
						   &ta);
			}
			eb = ref_touch(b.vm, start, size, access, &tb);
			assert_int_equal(ea, eb);
			assert_same_touch(&ta, &tb);
		}
		assert_same_world(&a, &b);
	}
	g_fast_faults += a.vm->fast_faults;
	assert_int_equal(b.vm->fast_faults, 0);
	teardown(&a);
	teardown(&b);
}

static void test_touch_equals_page_by_page(void **state)
{
	static const char *const presets[] = { "grace-hopper", "no-fwb",
					       "fwb-no-dic", "qemu-max" };
	unsigned stories = (unsigned)env_u64("S2MT_TOUCH_STORIES", 6);
	unsigned steps = (unsigned)env_u64("S2MT_TOUCH_STEPS", 60);

	(void)state;
	rng_state = env_u64("S2MT_TEST_SEED", 0x70c4);
	for (unsigned era = 0; era < S2MT_ERA_COUNT_; era++)
		for (unsigned p = 0; p < 4; p++)
			for (unsigned i = 0; i < stories; i++)
				one_story(presets[p], era, steps);
	/* The straight-line path must have been held to the general one. */
	print_message("  faults on the straight-line path: %llu\n",
		      (unsigned long long)g_fast_faults);
	assert_true(g_fast_faults > 1000);
}

/* The counts a 96 GiB-style touch relies on, at a size a test can hold:
 * 64 MiB of anonymous memory written once is 16,384 faults, mapped; a
 * second write faults nothing; after the dirty log is turned on and
 * harvested the write faults every page again, as permission faults. */
static void test_touch_counts_K7(void **state)
{
	static struct world w;
	struct layout l;
	struct s2mt_touch t = { 0 };
	uint64_t bm[64 * SZ_2M / SZ_4K / 64];

	(void)state;
	memset(&l, 0, sizeof(l));
	for (unsigned i = 0; i < NR_MAPS; i++) {
		l.gpa[i] = (1 + 2 * (uint64_t)i) * SZ_1G;
		l.size[i] = 32 * SZ_2M;
	}
	build(&w, "no-fwb", S2MT_ERA_6_17, &l, false);
	assert_int_equal(
		s2mt_vm_touch(w.vm, SZ_1G, 32 * SZ_2M, S2MT_ACCESS_WRITE, &t),
		0);
	assert_int_equal(t.faults, 16384);
	assert_int_equal(t.mapped, 16384);
	assert_int_equal(t.hits, 0);
	assert_int_equal(w.vm->stats.dclean_bytes, 32 * SZ_2M);
	assert_int_equal(w.vm->nr_cmos, 1); /* one coalesced record */
	memset(&t, 0, sizeof(t));
	assert_int_equal(
		s2mt_vm_touch(w.vm, SZ_1G, 32 * SZ_2M, S2MT_ACCESS_WRITE, &t),
		0);
	assert_int_equal(t.faults, 0);
	assert_int_equal(t.hits, 16384);

	struct s2mt_userspace_memory_region2 r = {
		.slot = 0,
		.flags = KVM_MEM_LOG_DIRTY_PAGES,
		.guest_phys_addr = SZ_1G,
		.memory_size = 32 * SZ_2M,
		.userspace_addr = w.vm->slots[0].hva,
	};
	uint64_t before = w.vm->stats.tlbi_ipa;

	assert_int_equal(s2mt_vm_set_user_memory_region2(w.vm, &r), 0);
	/* K7: one flush of the slot, not one per page. */
	assert_int_equal(w.vm->stats.tlbi_ipa, before);
	assert_int_equal(w.vm->stats.tlbi_range, 1);
	memset(&t, 0, sizeof(t));
	assert_int_equal(
		s2mt_vm_touch(w.vm, SZ_1G, 32 * SZ_2M, S2MT_ACCESS_WRITE, &t),
		0);
	assert_int_equal(t.faults, 16384);
	assert_int_equal(t.relaxed, 16384);
	/* Relaxing is a local invalidation per page, as KVM's
	 * kvm_pgtable_stage2_relax_perms(); the harvest flushes once. */
	assert_int_equal(w.vm->stats.tlbi_ipa, before + 16384);
	before = w.vm->stats.tlbi_ipa;
	assert_int_equal(s2mt_vm_get_dirty_log(w.vm, 0, bm), 0);
	assert_int_equal(w.vm->stats.tlbi_ipa, before);
	assert_int_equal(w.vm->stats.tlbi_range, 2);
	for (unsigned i = 0; i < 256; i++)
		assert_int_equal(bm[i], ~0ull);
	teardown(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_touch_equals_page_by_page),
		cmocka_unit_test(test_touch_counts_K7),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
