// SPDX-License-Identifier: MIT
/*
 * The hazard checker (src/model/hazard.c) reads runs of alike leaves; the
 * reference in tests/support/hazard_ref.c reads every leaf. Random states
 * - real faults through the model, and leaves written straight into the
 * tables to reach what the fault path never builds (Z1 over RAM, Z2, Z3,
 * Z5, Z6, Z7) - must give the same hazards page by page: for every VM and
 * id, the same set of IPA pages, and for Z8 the same slots.
 *
 * The memory-type query (src/model/query.c) streams runs of leaves; the
 * reference in tests/support/query_ref.c collects every leaf. On the same
 * states and hazards, random ranges and guest stage-1 attributes must give
 * the same entries, field by field.
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

#include "support/hazard_ref.h"
#include "support/query_ref.h"
#include "support/rng.h"

#define SZ_4K 0x1000ull
#define SZ_2M 0x200000ull
#define SZ_1G 0x40000000ull
#define MAX_HZ 100000

struct world {
	struct s2mt_host host;
	struct s2mt_mm mm;
	struct s2mt_kvm kvm;
	struct s2mt_vm *vm[2];
	uint64_t bar_pa, gpu_pa;
};

struct ival {
	const void *vm;
	unsigned id;
	uint64_t lo, hi;
};

static int ival_cmp(const void *a, const void *b)
{
	const struct ival *x = a, *y = b;

	if (x->vm != y->vm)
		return (uintptr_t)x->vm < (uintptr_t)y->vm ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sorted, merged coverage of a hazard list. */
static size_t coverage(const struct s2mt_hazard *hz, size_t nr,
		       struct ival *out)
{
	size_t n = 0, m = 0;

	for (size_t i = 0; i < nr; i++) {
		assert_true(hz[i].detail[0] != '\0');
		out[n++] =
			(struct ival){ hz[i].vm, hz[i].id, hz[i].ipa,
				       hz[i].ipa +
					       (hz[i].size ? hz[i].size : 1) };
	}
	qsort(out, n, sizeof(*out), ival_cmp);
	for (size_t i = 0; i < n; i++) {
		if (m && out[m - 1].vm == out[i].vm &&
		    out[m - 1].id == out[i].id && out[i].lo <= out[m - 1].hi) {
			if (out[i].hi > out[m - 1].hi)
				out[m - 1].hi = out[i].hi;
			continue;
		}
		out[m++] = out[i];
	}
	return m;
}

static void compare(struct world *w, bool target)
{
	static struct s2mt_hazard a[MAX_HZ], b[MAX_HZ];
	static struct ival ca[MAX_HZ], cb[MAX_HZ];
	struct s2mt_migration_target t = { .era = S2MT_ERA_6_9 };
	size_t na = 0, nb = 0, ma, mb;

	snprintf(t.name, sizeof(t.name), "old");
	s2mt_check_hazards(&w->kvm, target ? &t : NULL, a, MAX_HZ, &na);
	ref_check_hazards(&w->kvm, target ? &t : NULL, b, MAX_HZ, &nb);
	assert_true(na <= MAX_HZ && nb <= MAX_HZ);
	ma = coverage(a, na, ca);
	mb = coverage(b, nb, cb);
	if (ma != mb || memcmp(ca, cb, ma * sizeof(*ca))) {
		for (size_t i = 0; i < ma; i++)
			fprintf(stderr, "model Z%u %p [%#llx, %#llx)\n",
				ca[i].id, ca[i].vm,
				(unsigned long long)ca[i].lo,
				(unsigned long long)ca[i].hi);
		for (size_t i = 0; i < mb; i++)
			fprintf(stderr, "ref   Z%u %p [%#llx, %#llx)\n",
				cb[i].id, cb[i].vm,
				(unsigned long long)cb[i].lo,
				(unsigned long long)cb[i].hi);
		for (size_t i = 0; i < nb; i++)
			if (b[i].id == S2MT_Z5)
				fprintf(stderr, "ref Z5: %s\n", b[i].detail);
		fail_msg("hazard coverage differs from the reference");
	}
}

static void same_entry(const struct s2mt_query_entry *a,
		       const struct s2mt_query_entry *b)
{
	assert_int_equal(a->ipa, b->ipa);
	assert_int_equal(a->size, b->size);
	assert_int_equal(a->slot, b->slot);
	assert_int_equal(a->has_vma, b->has_vma);
	if (a->has_vma) {
		assert_int_equal(a->vma.start, b->vma.start);
		assert_int_equal(a->vma.end, b->vma.end);
		assert_int_equal(a->memclass, b->memclass);
		assert_int_equal(a->host_attrindx, b->host_attrindx);
	}
	assert_int_equal(a->mapped, b->mapped);
	if (a->mapped) {
		assert_int_equal(a->leaf.ipa, b->leaf.ipa);
		assert_int_equal(a->leaf.pa, b->leaf.pa);
		assert_int_equal(a->leaf.size, b->leaf.size);
		assert_int_equal(a->leaf.level, b->leaf.level);
		assert_int_equal(a->leaf.memattr, b->leaf.memattr);
		assert_int_equal(a->leaf.s2ap, b->leaf.s2ap);
		assert_int_equal(a->leaf.xn, b->leaf.xn);
		assert_int_equal(a->leaf.sh, b->leaf.sh);
		assert_int_equal(a->nr_leaves, b->nr_leaves);
		assert_int_equal(a->eff.status, b->eff.status);
		assert_int_equal(a->eff.sh, b->eff.sh);
		assert_memory_equal(&a->eff.mt, &b->eff.mt, sizeof(a->eff.mt));
	}
	assert_int_equal(a->has_policy, b->has_policy);
	if (a->has_policy) {
		assert_int_equal(a->policy.err, b->policy.err);
		assert_string_equal(a->policy.rule, b->policy.rule);
		assert_string_equal(a->policy.reason, b->policy.reason);
	}
	assert_int_equal(a->dclean_bytes, b->dclean_bytes);
	assert_int_equal(a->iinval_bytes, b->iinval_bytes);
	assert_int_equal(a->hazards, b->hazards);
}

static void compare_queries(struct world *w)
{
	static struct s2mt_hazard hz[MAX_HZ];
	static struct s2mt_query_entry a[512], b[512];
	static const uint8_t mairs[] = { 0xff, 0x44, 0x04, 0x00, 0xbb };
	size_t nr_hz = 0;

	s2mt_check_hazards(&w->kvm, NULL, hz, MAX_HZ, &nr_hz);
	for (unsigned i = 0; i < 4; i++) {
		struct s2mt_vm *vm = w->vm[rnd_below(2)];
		uint64_t ipa =
			rnd_below(6 * 512) * SZ_2M / 2 + rnd_below(4) * SZ_4K;
		uint64_t size = (1 + rnd_below(3 * 512)) * SZ_2M / 2;
		struct s2mt_s1attr s1 = { .enabled = rnd_below(5) != 0,
					  .mair = mairs[rnd_below(5)],
					  .sh = S2MT_SH_ISH };
		size_t max = rnd_below(4) ? 512 : rnd_below(4);
		size_t na = 99, nb = 99;

		assert_int_equal(s2mt_vm_query_hazards(vm, ipa, size, s1, hz,
						       nr_hz, a, max, &na),
				 ref_vm_query(vm, ipa, size, s1, hz, nr_hz, b,
					      max, &nb));
		assert_int_equal(na, nb);
		for (size_t k = 0; k < na && k < max; k++)
			same_entry(&a[k], &b[k]);
	}
}

static const uint8_t memattrs_fwb[] = { 0x1, 0x5, 0x6, 0x7 };
static const uint8_t memattrs[] = { 0x1, 0x5, 0xf, 0xa };

/* A leaf written into the table as a hypervisor would, whatever the
 * policy says: how the states the fault path never builds arise. */
static void inject(struct world *w, struct s2mt_vm *vm)
{
	bool fwb = w->host.caps.fwb;
	uint64_t size = rnd_below(4) ? SZ_4K : SZ_2M;
	uint64_t n = 1 + rnd_below(size == SZ_4K ? 64 : 4);
	uint64_t ipa = (1 + rnd_below(6)) * SZ_1G + rnd_below(256) * SZ_2M;
	uint64_t pa;
	struct s2mt_prot prot = { .type = S2MT_MT_RAW,
				  .perm = S2MT_PROT_R | S2MT_PROT_W };

	switch (rnd_below(4)) {
	case 0:
		pa = S2MT_HOST_RAM_BASE + rnd_below(512) * SZ_2M;
		break;
	case 1:
		pa = w->bar_pa + rnd_below(32) * SZ_2M;
		break;
	case 2:
		pa = w->gpu_pa + rnd_below(256) * SZ_2M;
		break;
	default:
		/* Where another leaf already points: Z5 material. */
		pa = S2MT_HOST_RAM_BASE;
		break;
	}
	prot.memattr =
		fwb ? memattrs_fwb[rnd_below(4)] : memattrs[rnd_below(4)];
	if (rnd_below(3) == 0 &&
	    (prot.memattr == 0x6 || prot.memattr == 0x7 ||
	     prot.memattr == 0xf || prot.memattr == 0xa))
		prot.perm |= S2MT_PROT_X;
	/* Refusals (K3, ranges) are fine: nothing changes. */
	s2mt_pgt_map(&vm->pgt, ipa, n * size, pa, prot, size);
}

static void build(struct world *w, const char *preset, unsigned era)
{
	struct s2mt_bar_spec bars[S2MT_MAX_BARS] = {
		[0] = { .size = 64 * SZ_2M, .read_side_effects = true },
		[2] = { .size = 64 * SZ_2M, .prefetchable = true },
	};
	int nic, gpu = -1;

	memset(w, 0, sizeof(*w));
	assert_int_equal(s2mt_host_init(&w->host, preset, era, 64 * SZ_1G), 0);
	nic = s2mt_host_add_vfio_pci(&w->host, "nic", bars);
	assert_true(nic >= 0);
	w->bar_pa = w->host.devices[nic].bars[0].pa;
	if (era >= S2MT_ERA_6_9) {
		gpu = s2mt_host_add_nvgrace(&w->host, "gpu", 2 * SZ_1G, 0);
		assert_true(gpu >= 0);
		w->gpu_pa = w->host.devices[gpu].usemem_pa;
	} else {
		w->gpu_pa = w->host.devices[nic].bars[2].pa;
	}
	assert_int_equal(s2mt_mm_init(&w->mm, &w->host), 0);
	s2mt_kvm_open(&w->kvm, &w->host, &w->mm);
	for (unsigned v = 0; v < 2; v++) {
		uint64_t hva[4];
		struct s2mt_mmap_req rq = { .len = 256 * SZ_2M,
					    .prot = S2MT_PROT_READ |
						    S2MT_PROT_WRITE,
					    .flags = S2MT_MAP_PRIVATE };

		assert_int_equal(s2mt_kvm_create_vm(&w->kvm, 40, &w->vm[v]), 0);
		assert_int_equal(
			s2mt_mm_mmap_anon(&w->mm, &rq, S2MT_BACK_THP, &hva[0]),
			0);
		rq.flags = S2MT_MAP_SHARED;
		rq.len = 64 * SZ_2M;
		assert_int_equal(
			s2mt_mm_mmap_vfio_bar(&w->mm, &rq, nic, 0, 0, &hva[1]),
			0);
		hva[2] = 0;
		if (gpu >= 0) {
			rq.len = SZ_1G;
			assert_int_equal(
				s2mt_mm_mmap_nvgrace(&w->mm, &rq, gpu,
						     S2MT_NVGRACE_USEMEM, 0,
						     &hva[2]),
				0);
		}
		rq.len = 64 * SZ_2M;
		assert_int_equal(
			s2mt_mm_mmap_devmem(&w->mm, &rq, w->bar_pa, &hva[3]),
			0);
		for (unsigned i = 0; i < 4; i++) {
			struct s2mt_userspace_memory_region2 r = {
				.slot = i,
				.guest_phys_addr = (1 + i) * SZ_1G,
				.memory_size = i == 0 ? 256 * SZ_2M
					: i == 2      ? SZ_1G
						      : 64 * SZ_2M,
				.userspace_addr = hva[i],
			};

			if (hva[i])
				s2mt_vm_set_user_memory_region2(w->vm[v], &r);
		}
	}
}

static void story(const char *preset, unsigned era, unsigned steps)
{
	static struct world w;

	build(&w, preset, era);
	for (unsigned s = 0; s < steps; s++) {
		struct s2mt_vm *vm = w.vm[rnd_below(2)];
		unsigned op = (unsigned)rnd_below(8);

		if (op < 4) {
			struct s2mt_touch t = { 0 };
			uint64_t ipa = (1 + rnd_below(4)) * SZ_1G +
				rnd_below(128) * SZ_2M;

			s2mt_vm_touch(vm, ipa, (1 + rnd_below(600)) * SZ_4K,
				      1u << rnd_below(2), &t);
		} else if (op < 7) {
			inject(&w, vm);
		} else {
			/* Part of a slot's mapping goes (K8 unmaps it). */
			const struct s2mt_memslot *sl =
				&vm->slots[rnd_below(vm->nr_slots)];

			s2mt_mm_munmap(&w.mm, sl->hva + rnd_below(32) * SZ_2M,
				       SZ_2M);
		}
		compare(&w, s + 1 == steps);
		compare_queries(&w);
	}
	s2mt_kvm_close(&w.kvm);
	s2mt_mm_fini(&w.mm);
}

static void test_hazards_equal_leaf_by_leaf(void **state)
{
	static const char *const presets[] = { "grace-hopper", "no-fwb",
					       "fwb-no-dic", "qemu-max" };
	unsigned stories = (unsigned)env_u64("S2MT_HAZARD_STORIES", 4);
	unsigned steps = (unsigned)env_u64("S2MT_HAZARD_STEPS", 40);

	(void)state;
	rng_state = env_u64("S2MT_TEST_SEED", 0x4a2a);
	for (unsigned era = 0; era < S2MT_ERA_COUNT_; era++)
		for (unsigned p = 0; p < 4; p++)
			for (unsigned i = 0; i < stories; i++)
				story(presets[p], era, steps);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hazards_equal_leaf_by_leaf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
