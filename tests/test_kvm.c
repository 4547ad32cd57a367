// SPDX-License-Identifier: MIT
/*
 * Tests of the KVM/arm64 model (src/model/kvm.c and fault.c, with host.c, query.c and
 * hazard.c behind it) through the public API only: capabilities (C1),
 * memslots (M1-M4), the stage-2 fault path (K1-K8) and dirty logging, per
 * kernel era and host preset. Expected values come from SPEC.md (and the
 * kernel code it restates: __kvm_set_memory_region(),
 * kvm_arch_prepare_memory_region(), user_mem_abort(),
 * get_vma_page_shift()), not from the implementation. Each test is named
 * after the rule it checks; the seed scenarios of SPEC section 0 / the
 * issue come first.
 *
 * In the 6.17 era every test ends by asking s2mt_check_hazards() and
 * expects none of Z1, Z2, Z3, Z4, Z7 (unless the test is about one).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <s2mt/model.h>

#include "support/driver.h"

#define SZ_4K 0x1000ull
#define SZ_64K 0x10000ull
#define SZ_2M 0x200000ull
#define SZ_1G 0x40000000ull
#define GPA_BASE 0x100000000ull /* 4 GiB: 1 GiB aligned */

#define RD S2MT_PROT_READ
#define WR S2MT_PROT_WRITE
#define EX S2MT_PROT_EXEC

#define READ S2MT_ACCESS_READ
#define WRITE S2MT_ACCESS_WRITE
#define EXEC S2MT_ACCESS_EXEC

#define LOG KVM_MEM_LOG_DIRTY_PAGES
#define RO KVM_MEM_READONLY

/* A1/A3/A4: the MemAttr Linux writes for each stage-2 type. */
#define MA_WB(fwb) ((fwb) ? 0x6 : 0xf)
#define MA_NC 0x5 /* 0x5 without FWB, 0b101 with */
#define MA_DEV 0x1 /* Device-nGnRE, 0x1 / 0b001 */

/* The Z ids a 6.17 host must never show after an ordinary scenario. */
#define BAD_HAZARDS                                                            \
	(S2MT_HAZARD_BIT(S2MT_Z1) | S2MT_HAZARD_BIT(S2MT_Z2) |                 \
	 S2MT_HAZARD_BIT(S2MT_Z3) | S2MT_HAZARD_BIT(S2MT_Z4) |                 \
	 S2MT_HAZARD_BIT(S2MT_Z7))

static const char *const presets[] = { "grace-hopper", "no-fwb", "fwb-no-dic",
				       "qemu-max" };
#define NR_PRESETS (sizeof(presets) / sizeof(presets[0]))

#include "support/expect.h"

/* ------------------------------------------------------------------ */
/* Fixture                                                             */
/* ------------------------------------------------------------------ */

struct kx {
	struct s2mt_host host;
	struct s2mt_mm mm;
	struct s2mt_kvm kvm;
	struct s2mt_vm *vm;
	const char *preset;
	unsigned era;
	int nic, gpu;
	uint32_t allowed_hazards; /* Z bits this test expects at the end */
};

/* H4: a NIC-like vfio-pci device: BAR0 registers with read side
 * effects, BAR2 a 1 GiB prefetchable window. */
static const struct s2mt_bar_spec nic_bars[S2MT_MAX_BARS] = {
	[0] = { .size = 16 * SZ_4K, .read_side_effects = true },
	[2] = { .size = SZ_1G, .prefetchable = true },
};

/* Live fixtures, so that a failed test (cmocka longjmps out of it) does
 * not leak: the teardown frees what is left. */
#define MAX_LIVE 8
static struct kx *live[MAX_LIVE];

static void live_add(struct kx *k)
{
	for (size_t i = 0; i < MAX_LIVE; i++)
		if (!live[i]) {
			live[i] = k;
			return;
		}
	fail_msg("more than %d live fixtures", MAX_LIVE);
}

static void live_del(struct kx *k)
{
	for (size_t i = 0; i < MAX_LIVE; i++)
		if (live[i] == k)
			live[i] = NULL;
}

static void kx_destroy(struct kx *k)
{
	live_del(k);
	s2mt_kvm_close(&k->kvm);
	s2mt_mm_fini(&k->mm);
	free(k);
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < MAX_LIVE; i++)
		if (live[i])
			kx_destroy(live[i]);
	return 0;
}

/* A kernel release for the next fixture instead of the era's
 * representative (a test that needs a finer boundary sets it). */
static const char *g_kernel;
/* The design the next fixture's kernel has (docs/designs.md). */
static unsigned g_design;

static struct kx *kx_new_ipa(const char *preset, unsigned era,
			     unsigned long vm_type)
{
	struct kx *k = calloc(1, sizeof(*k));

	assert_non_null(k);
	live_add(k);
	k->preset = preset;
	k->era = era;
	expect_rc(s2mt_host_init(&k->host, preset, era, 8 * SZ_1G), 0);
	if (g_kernel) {
		struct s2mt_kernel kv;
		char kerr[160];

		expect_rc(s2mt_kernel_parse(g_kernel, &kv, kerr, sizeof(kerr)),
			  0);
		expect_rc(s2mt_host_set_kernel(&k->host, &kv), 0);
	}
	if (g_design)
		expect_rc(s2mt_host_set_design(&k->host, g_design), 0);
	k->nic = -1;
	k->gpu = -1;
	if (k->host.arch == S2MT_ARCH_ARM64) {
		expect_rc(host_with_nvgrace_driver(&k->host), 0);
		k->gpu = s2mt_host_add_nvgrace(&k->host, "gpu0", 4 * SZ_1G,
					       64 * SZ_2M);
		assert_true(k->gpu >= 0);
	} else {
		/* nvgrace-gpu-vfio-pci is an arm64 driver. */
		expect_rc(s2mt_host_add_nvgrace(&k->host, "gpu0", 4 * SZ_1G, 0),
			  -S2MT_ENODEV);
	}
	k->nic = s2mt_host_add_vfio_pci(&k->host, "nic0", nic_bars);
	assert_true(k->nic >= 0);
	expect_rc(s2mt_mm_init(&k->mm, &k->host), 0);
	expect_rc(s2mt_kvm_open(&k->kvm, &k->host, &k->mm), 0);
	expect_rc(s2mt_kvm_create_vm(&k->kvm, vm_type, &k->vm), 0);
	assert_non_null(k->vm);
	return k;
}

static struct kx *kx_new(const char *preset, unsigned era)
{
	return kx_new_ipa(preset, era, 0);
}

static uint32_t hazard_bits(struct kx *k, char *text, size_t len)
{
	struct s2mt_hazard hz[64];
	size_t nr = 0, off = 0;
	uint32_t bits = 0;

	expect_rc(s2mt_check_hazards(&k->kvm, NULL, hz, 64, &nr), 0);
	if (text && len)
		text[0] = 0;
	for (size_t i = 0; i < nr && i < 64; i++) {
		bits |= S2MT_HAZARD_BIT(hz[i].id);
		if (text && off < len)
			off += (size_t)snprintf(text + off, len - off,
						"[%s ipa %#" PRIx64 ": %s] ",
						s2mt_hazard_name(hz[i].id),
						hz[i].ipa, hz[i].detail);
	}
	return bits;
}

static bool has_hazard(struct kx *k, unsigned id)
{
	return hazard_bits(k, NULL, 0) & S2MT_HAZARD_BIT(id);
}

/* KVM_GET_DIRTY_LOG on a slot that is not logging: Linux's
 * kvm_get_dirty_log_protect() returns -ENOENT (K7). */
static bool not_logging_err(int rc)
{
	return rc == -S2MT_ENOENT;
}

/* In the 6.17 era: no Z1, Z2, Z3, Z4, Z7 after any scenario. */
static void expect_clean_6_17(struct kx *k)
{
	char text[600];
	uint32_t bits;

	if (k->era != S2MT_ERA_6_17)
		return;
	bits = hazard_bits(k, text, sizeof(text));
	expect(!(bits & BAD_HAZARDS & ~k->allowed_hazards),
	       "%s 6.17: hazards %#x: %s", k->preset, bits, text);
}

static void kx_free(struct kx *k)
{
	expect_clean_6_17(k);
	kx_destroy(k);
}

static struct s2mt_mmap_req mreq(uint64_t len, unsigned flags, uint64_t hint,
				 uint64_t off)
{
	struct s2mt_mmap_req r = {
		.len = len,
		.prot = RD | WR,
		.flags = flags,
		.align_hint = hint,
		.align_offset = off,
	};

	return r;
}

static uint64_t mmap_anon(struct kx *k, uint64_t len, unsigned backing,
			  uint64_t hint, uint64_t off)
{
	struct s2mt_mmap_req r = mreq(len, S2MT_MAP_PRIVATE, hint, off);
	uint64_t hva = 0;

	expect_rc(s2mt_mm_mmap_anon(&k->mm, &r, backing, &hva), 0);
	return hva;
}

static uint64_t mmap_nvgrace(struct kx *k, unsigned region, uint64_t len,
			     uint64_t offset, uint64_t hint, uint64_t off)
{
	struct s2mt_mmap_req r = mreq(len, S2MT_MAP_SHARED, hint, off);
	uint64_t hva = 0;

	expect_rc(
		s2mt_mm_mmap_nvgrace(&k->mm, &r, k->gpu, region, offset, &hva),
		0);
	return hva;
}

static uint64_t mmap_usemem(struct kx *k, uint64_t len, uint64_t hint,
			    uint64_t off)
{
	return mmap_nvgrace(k, S2MT_NVGRACE_USEMEM, len, 0, hint, off);
}

static uint64_t mmap_bar(struct kx *k, unsigned bar, uint64_t len,
			 uint64_t offset)
{
	struct s2mt_mmap_req r = mreq(len, S2MT_MAP_SHARED, 0, 0);
	uint64_t hva = 0;

	expect_rc(s2mt_mm_mmap_vfio_bar(&k->mm, &r, k->nic, bar, offset, &hva),
		  0);
	return hva;
}

static int slot1(struct kx *k, uint32_t slot, uint32_t flags, uint64_t gpa,
		 uint64_t size, uint64_t hva)
{
	struct s2mt_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = hva,
	};

	return s2mt_vm_set_user_memory_region(k->vm, &r);
}

static int slot2(struct kx *k, uint32_t slot, uint32_t flags, uint64_t gpa,
		 uint64_t size, uint64_t hva)
{
	struct s2mt_userspace_memory_region2 r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = hva,
	};

	return s2mt_vm_set_user_memory_region2(k->vm, &r);
}

static int fault(struct kx *k, uint64_t ipa, unsigned access,
		 struct s2mt_fault *f)
{
	memset(f, 0x5a, sizeof(*f));
	return s2mt_vm_guest_abort(k->vm, ipa, access, f);
}

/* A fault that must install a leaf; returns it. */
static struct s2mt_leaf fault_map(struct kx *k, uint64_t ipa, unsigned access)
{
	struct s2mt_fault f;
	int rc = fault(k, ipa, access, &f);

	expect(rc == 0 && f.outcome == S2MT_FAULT_MAPPED && f.has_leaf,
	       "%s %s: fault at %#" PRIx64 " access %u: rc %d outcome %s "
	       "(%s) rule %s",
	       k->preset, s2mt_era_name(k->era), ipa, access, rc,
	       s2mt_fault_outcome_name(f.outcome), f.reason, f.rule);
	return f.leaf;
}

static bool lookup(struct kx *k, uint64_t ipa, struct s2mt_leaf *leaf)
{
	struct s2mt_leaf tmp;

	return s2mt_pgt_lookup(&k->vm->pgt, ipa, leaf ? leaf : &tmp) == 0;
}

static struct s2mt_s1attr s1(uint8_t mair)
{
	struct s2mt_s1attr a = { .enabled = true,
				 .mair = mair,
				 .sh = S2MT_SH_ISH };

	return a;
}

/* D5: the effective type the guest gets at ipa with a stage-1 MAIR byte. */
static struct s2mt_query_entry query1(struct kx *k, uint64_t ipa, uint8_t mair)
{
	struct s2mt_query_entry e[4];
	size_t nr = 0;

	memset(e, 0, sizeof(e));
	expect_rc(s2mt_vm_query(k->vm, ipa, SZ_4K, s1(mair), e, 4, &nr), 0);
	expect(nr == 1, "query at %#" PRIx64 ": %zu entries", ipa, nr);
	return e[0];
}

static bool eff_is_device(const struct s2mt_query_entry *e, unsigned dev)
{
	return e->mapped && e->eff.status == S2MT_ATTR_OK && e->eff.mt.device &&
		e->eff.mt.dev == dev;
}

static bool eff_is_normal(const struct s2mt_query_entry *e, unsigned cache)
{
	return e->mapped && e->eff.status == S2MT_ATTR_OK &&
		!e->eff.mt.device && e->eff.mt.inner.policy == cache &&
		e->eff.mt.outer.policy == cache;
}

/* M4: everything a refused call must leave alone. */
struct snap {
	size_t nr_slots;
	struct s2mt_memslot slots[32];
	size_t nr_leaves;
	struct s2mt_walk_entry leaves[512];
	uint64_t seq;
};

static int snap_leaf(const struct s2mt_walk_entry *e, void *arg)
{
	struct snap *s = arg;

	if (s->nr_leaves < 512)
		s->leaves[s->nr_leaves] = *e;
	s->nr_leaves++;
	return 0;
}

static void take_snap(struct kx *k, struct snap *s)
{
	memset(s, 0, sizeof(*s));
	s->nr_slots = k->vm->nr_slots;
	assert_true(s->nr_slots <= 32);
	if (s->nr_slots)
		memcpy(s->slots, k->vm->slots,
		       s->nr_slots * sizeof(s->slots[0]));
	expect_rc(s2mt_pgt_walk(&k->vm->pgt, 0, 1ull << k->vm->ipa_bits,
				S2MT_WALK_LEAF, snap_leaf, s),
		  0);
	assert_true(s->nr_leaves <= 512);
	s->seq = k->vm->mmu_invalidate_seq;
}

static void expect_same(struct kx *k, const struct snap *a, const char *what)
{
	struct snap *b = calloc(1, sizeof(*b));

	assert_non_null(b);
	take_snap(k, b);
	expect(a->nr_slots == b->nr_slots, "%s: %zu slots, was %zu", what,
	       b->nr_slots, a->nr_slots);
	for (size_t i = 0; i < a->nr_slots && i < b->nr_slots; i++) {
		const struct s2mt_memslot *x = &a->slots[i], *y = &b->slots[i];

		expect(x->slot == y->slot && x->flags == y->flags &&
			       x->gpa == y->gpa && x->size == y->size &&
			       x->hva == y->hva &&
			       !x->dirty_bitmap == !y->dirty_bitmap,
		       "%s: slot %u changed: flags %#x gpa %#" PRIx64
		       " size %#" PRIx64 " hva %#" PRIx64,
		       what, x->slot, y->flags, y->gpa, y->size, y->hva);
	}
	expect(a->nr_leaves == b->nr_leaves, "%s: %zu leaves, was %zu", what,
	       b->nr_leaves, a->nr_leaves);
	for (size_t i = 0; i < a->nr_leaves && i < b->nr_leaves; i++)
		expect(a->leaves[i].ipa == b->leaves[i].ipa &&
			       a->leaves[i].level == b->leaves[i].level &&
			       a->leaves[i].desc == b->leaves[i].desc,
		       "%s: leaf %zu at %#" PRIx64 " changed", what, i,
		       a->leaves[i].ipa);
	free(b);
}

/* A call that must be refused with err and change nothing (M4); the
 * reason must name rule (when given). */
static void check_rule(struct kx *k, const char *call, const char *rule)
{
	if (!rule)
		return;
	expect(k->vm->rule && !strcmp(k->vm->rule, rule),
	       "%s: rule %s, want %s (%s)", call,
	       k->vm->rule ? k->vm->rule : "(null)", rule, k->vm->why);
	expect(strstr(k->vm->why, rule) != NULL,
	       "%s: why \"%s\" does not name %s", call, k->vm->why, rule);
}

/* A call that must be refused with err and change nothing (M4); the
 * reason must name rule (when not NULL). */
#define expect_refused(k, call, err, rule)                                     \
	do {                                                                   \
		struct snap *s_ = calloc(1, sizeof(*s_));                      \
		assert_non_null(s_);                                           \
		take_snap((k), s_);                                            \
		expect_rc((call), (err));                                      \
		expect_same((k), s_, #call);                                   \
		expect((k)->vm->mmu_invalidate_seq == s_->seq,                 \
		       "%s: invalidation sequence moved", #call);              \
		check_rule((k), #call, (rule));                                \
		free(s_);                                                      \
	} while (0)

/* ------------------------------------------------------------------ */
/* The designs (docs/designs.md) and x86 (docs/x86.md)                 */
/* ------------------------------------------------------------------ */

static struct kx *kx_design(const char *preset, unsigned design)
{
	struct kx *k;

	g_design = design;
	k = kx_new(preset, S2MT_ERA_6_17);
	g_design = 0;
	return k;
}

/* Bit 3 exists where a design defines it and the host can keep it
 * (capability 243 = 1); a refusal changes nothing (M4). */
static void test_designs_bit3_validity(void **state)
{
	static const unsigned flagged[] = { S2MT_DESIGN_D1, S2MT_DESIGN_D2,
					    S2MT_DESIGN_D3 };
	struct kx *k;
	uint64_t hva;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		const char *name = s2mt_design_name(flagged[i]);

		k = kx_design("grace-hopper", flagged[i]);
		hva = mmap_usemem(k, SZ_1G, 0, 0);
		expect_rc(slot2(k, 0, S2MT_MEM_CACHEABLE_PFNMAP, GPA_BASE,
				SZ_1G, hva),
			  0);
		kx_free(k);
		k = kx_design("no-fwb", flagged[i]);
		hva = mmap_bar(k, 2, SZ_2M, 0);
		expect_refused(k,
			       slot2(k, 0, S2MT_MEM_CACHEABLE_PFNMAP, GPA_BASE,
				     SZ_2M, hva),
			       -S2MT_EINVAL, name);
		kx_free(k);
	}
	/* Every other design: an unknown bit (M1). */
	for (unsigned d = 0; d < S2MT_DESIGN_COUNT_; d++) {
		if (s2mt_design_has_slot_flag(d))
			continue;
		k = kx_design("grace-hopper", d);
		hva = mmap_usemem(k, SZ_1G, 0, 0);
		expect_refused(k,
			       slot2(k, 0, S2MT_MEM_CACHEABLE_PFNMAP, GPA_BASE,
				     SZ_1G, hva),
			       -S2MT_EINVAL, "M1");
		kx_free(k);
	}
}

/* D1 and D3 refuse a VMM that does not know the device; D2 lets it
 * through; D4 needs nothing from it (the driver's VM_FORCE_CACHEABLE). */
static void test_designs_usemem_unmodified_vmm(void **state)
{
	struct s2mt_fault f;
	struct kx *k;
	uint64_t hva;

	(void)state;
	k = kx_design("grace-hopper", S2MT_DESIGN_D1);
	hva = mmap_usemem(k, SZ_1G, 0, 0);
	expect_refused(k, slot2(k, 0, 0, GPA_BASE, SZ_1G, hva), -S2MT_EINVAL,
		       "D1");
	kx_free(k);
	k = kx_design("grace-hopper", S2MT_DESIGN_D3);
	hva = mmap_usemem(k, SZ_1G, 0, 0);
	expect_refused(k, slot2(k, 0, 0, GPA_BASE, SZ_1G, hva), -S2MT_EINVAL,
		       "D3");
	/* D3 also refuses the flag over a non-cacheable BAR. */
	hva = mmap_bar(k, 2, SZ_2M, 0);
	expect_refused(
		k, slot2(k, 1, S2MT_MEM_CACHEABLE_PFNMAP, GPA_BASE, SZ_2M, hva),
		-S2MT_EINVAL, "D3");
	kx_free(k);
	for (unsigned d = S2MT_DESIGN_D2; d <= S2MT_DESIGN_D4; d += 2) {
		k = kx_design("grace-hopper", d);
		hva = mmap_usemem(k, SZ_1G, 0, 0);
		expect_rc(slot2(k, 0, 0, GPA_BASE, SZ_1G, hva), 0);
		expect_rc(fault(k, GPA_BASE, READ, &f), 0);
		assert_int_equal(f.outcome, S2MT_FAULT_MAPPED);
		assert_int_equal(f.leaf.memattr, 0x6); /* Force-WB */
		kx_free(k);
	}
	/* D4: the driver's flag is on the usemem VMA, and a no-FWB host
	 * refuses the slot for it (M3). */
	k = kx_design("no-fwb", S2MT_DESIGN_D4);
	hva = mmap_usemem(k, SZ_1G, 0, 0);
	assert_true(s2mt_mm_find_vma(&k->mm, hva)->flags &
		    S2MT_VM_FORCE_CACHEABLE);
	expect_refused(k, slot2(k, 0, 0, GPA_BASE, SZ_1G, hva), -S2MT_EINVAL,
		       "M3");
	kx_free(k);
}

/* The test module's device: RAM hidden from the kernel, mapped cacheable
 * VM_PFNMAP by a driver that vouches for nothing. 6.9 rules: Device under
 * a cacheable alias (Z1); 6.17: WB with FWB+DIC, refused without; D4:
 * refused (no VM_FORCE_CACHEABLE); O_SYNC: the non-cacheable control. */
static void test_cmem_device(void **state)
{
	static const struct {
		const char *preset;
		unsigned era, design;
		int slot_err;
		uint8_t memattr;
		bool z1;
	} cases[] = {
		{ "grace-hopper", S2MT_ERA_6_9, 0, 0, 0x1, true },
		{ "grace-hopper", S2MT_ERA_6_17, 0, 0, 0x6, false },
		{ "no-fwb", S2MT_ERA_6_17, 0, -S2MT_EINVAL, 0, false },
		{ "fwb-no-dic", S2MT_ERA_6_17, 0, -S2MT_EINVAL, 0, false },
		{ "grace-hopper", S2MT_ERA_6_17, S2MT_DESIGN_D4, -S2MT_EINVAL,
		  0, false },
	};
	struct s2mt_mmap_req req = mreq(SZ_2M, S2MT_MAP_SHARED, 0, 0);
	struct s2mt_fault f;
	uint64_t hva;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kx *k;
		int dev;

		g_design = cases[i].design;
		k = kx_new(cases[i].preset, cases[i].era);
		g_design = 0;
		/* Devices go in before the mm exists in real use; the
		 * model's host takes one more here as long as it has room. */
		dev = s2mt_host_add_cmem(&k->host, "cmem0", 64 * SZ_2M);
		assert_true(dev >= 0);
		assert_false(s2mt_host_pfn_is_map_memory(
			&k->host, k->host.devices[dev].cmem_pa));
		expect_rc(s2mt_mm_mmap_cmem(&k->mm, &req, dev, 0, false, &hva),
			  0);
		assert_int_equal(s2mt_mm_find_vma(&k->mm, hva)->attrindx,
				 S2MT_MT_IDX_NORMAL);
		expect_rc(slot2(k, 0, 0, GPA_BASE, SZ_2M, hva),
			  cases[i].slot_err);
		if (!cases[i].slot_err) {
			expect_rc(fault(k, GPA_BASE, READ, &f), 0);
			assert_int_equal(f.leaf.memattr, cases[i].memattr);
			expect(has_hazard(k, S2MT_Z1) == cases[i].z1,
			       "case %zu: Z1", i);
		}
		/* O_SYNC: Device-nGnRnE at stage 1, never refused. */
		expect_rc(
			s2mt_mm_mmap_cmem(&k->mm, &req, dev, SZ_2M, true, &hva),
			0);
		assert_int_equal(s2mt_mm_find_vma(&k->mm, hva)->attrindx,
				 S2MT_MT_IDX_DEVICE_nGnRnE);
		expect_rc(slot2(k, 1, 0, GPA_BASE + SZ_1G, SZ_2M, hva), 0);
		expect_rc(fault(k, GPA_BASE + SZ_1G, READ, &f), 0);
		assert_int_equal(f.leaf.memattr, 0x1);
		kx_free(k);
	}
}

/* A design's code exists from its base era: an older kernel is raised. */
static void test_designs_raise_the_kernel(void **state)
{
	struct s2mt_host *h = calloc(1, sizeof(*h));

	(void)state;
	assert_non_null(h);
	expect_rc(s2mt_host_init(h, "grace-hopper", S2MT_ERA_6_8, SZ_1G), 0);
	expect_rc(s2mt_host_set_design(h, S2MT_DESIGN_NC_BLANKET), 0);
	assert_int_equal(h->era, S2MT_ERA_6_9);
	expect_rc(s2mt_host_set_design(h, S2MT_DESIGN_D3), 0);
	assert_int_equal(h->era, S2MT_ERA_6_17);
	assert_int_equal(h->kernel.major * 100 + h->kernel.minor, 617);
	expect_rc(s2mt_host_set_design(h, S2MT_DESIGN_COUNT_), -S2MT_EINVAL);
	assert_int_equal(h->design, S2MT_DESIGN_D3);
	free(h);
}

/* x86 (SPEC section 7): no arm64 capability, no per-VMA memslot checks,
 * every PFNMAP mapped RWX with no maintenance, bit 3 refused. */
static void test_x86_host(void **state)
{
	static const char *const x86[] = { "x86-intel", "x86-amd" };
	struct s2mt_vm *vm2;
	struct s2mt_fault f;
	struct kx *k;
	uint64_t hva;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		k = kx_new(x86[i], S2MT_ERA_6_17);
		assert_int_equal(k->gpu, -1);
		expect_rc(
			s2mt_vm_check_extension(
				k->vm, KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED),
			0);
		expect_rc(s2mt_kvm_check_extension(
				  &k->kvm,
				  KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED),
			  0);
		expect_rc(s2mt_kvm_check_extension(&k->kvm,
						   KVM_CAP_ARM_VM_IPA_SIZE),
			  0);
		expect_rc(s2mt_kvm_create_vm(
				  &k->kvm, KVM_VM_TYPE_ARM_IPA_SIZE(40), &vm2),
			  -S2MT_EINVAL);
		hva = mmap_bar(k, 2, SZ_2M, 0);
		/* arm64 refuses dirty logging over PFNMAP (K7); x86 not. */
		expect_rc(slot2(k, 0, KVM_MEM_LOG_DIRTY_PAGES, GPA_BASE, SZ_2M,
				hva),
			  0);
		expect_rc(fault(k, GPA_BASE, EXEC, &f), 0);
		assert_int_equal(f.outcome, S2MT_FAULT_MAPPED);
		assert_string_equal(f.rule, i ? "X2" : "X1");
		assert_int_equal(f.leaf.xn, 0);
		assert_int_equal(f.dclean_bytes + f.iinval_bytes, 0);
		expect(!hazard_bits(k, NULL, 0), "%s: hazards", x86[i]);
		kx_free(k);
	}
	g_design = S2MT_DESIGN_D2;
	k = kx_new("x86-amd", S2MT_ERA_6_17);
	g_design = 0;
	hva = mmap_bar(k, 2, SZ_2M, 0);
	expect_refused(
		k, slot2(k, 0, S2MT_MEM_CACHEABLE_PFNMAP, GPA_BASE, SZ_2M, hva),
		-S2MT_EINVAL, "D2");
	kx_free(k);
}

/* ------------------------------------------------------------------ */
/* The seed scenarios                                                  */
/* ------------------------------------------------------------------ */

/* nvgrace usemem on Grace-Hopper, 6.17: cacheable PFNMAP, FWB 0b110. */
static void test_seed_usemem_grace_hopper_6_17_normal_wb(void **state)
{
	struct kx *k = kx_new("grace-hopper", S2MT_ERA_6_17);
	struct s2mt_query_entry e;
	struct s2mt_leaf leaf;
	struct s2mt_fault f;
	uint64_t hva;

	(void)state;
	/* C1: capability 243 on the VM = 1, on /dev/kvm -EINVAL. */
	expect_rc(s2mt_vm_check_extension(
			  k->vm, KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED),
		  1);
	expect_rc(s2mt_kvm_check_extension(
			  &k->kvm, KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED),
		  -S2MT_EINVAL);

	hva = mmap_usemem(k, SZ_1G, 0, 0);
	expect_rc(slot1(k, 0, 0, GPA_BASE, SZ_1G, hva), 0);
	expect_rc(fault(k, GPA_BASE + 0x1234000, READ, &f), 0);
	assert_int_equal(f.outcome, S2MT_FAULT_MAPPED);
	assert_true(f.has_leaf);
	leaf = f.leaf;
	/* A4: FWB MemAttr 0b110 forces Normal-WB. */
	assert_int_equal(leaf.memattr, 0x6);
	assert_int_equal(leaf.s2ap, 3); /* RW */
	assert_int_equal(leaf.xn, 0); /* DIC: X pre-emptively (K3) */
	assert_true(f.policy.cacheable_pfnmap);
	assert_int_equal(f.dclean_bytes, 0); /* FWB: no CMO (K5) */
	assert_int_equal(f.iinval_bytes, 0);
	assert_int_equal(leaf.pa, k->host.devices[k->gpu].usemem_pa);

	/* Guest WB (MAIR 0xff) -> Normal-WB; guest NC and Device are
	 * overridden by FWB 0b110 (A5). */
	e = query1(k, GPA_BASE + 0x1234000, 0xff);
	expect(eff_is_normal(&e, S2MT_CACHE_WB), "guest WB: mapped %d",
	       e.mapped);
	assert_true(e.has_vma);
	assert_int_equal(e.vma.origin, S2MT_ORIGIN_NVGRACE_USEMEM);
	assert_int_equal(e.host_attrindx, S2MT_MT_IDX_NORMAL);
	e = query1(k, GPA_BASE, 0x44);
	expect(eff_is_normal(&e, S2MT_CACHE_WB), "guest NC");
	e = query1(k, GPA_BASE, 0x04);
	expect(eff_is_normal(&e, S2MT_CACHE_WB), "guest Device-nGnRE");

	/* Writes and exec hit the same leaf. */
	expect_rc(fault(k, GPA_BASE + 0x1234000, WRITE, &f), 0);
	assert_int_equal(f.outcome, S2MT_FAULT_SPURIOUS);
	expect_rc(fault(k, GPA_BASE + 0x1234000, EXEC, &f), 0);
	assert_int_equal(f.outcome, S2MT_FAULT_SPURIOUS);
	kx_free(k);
}

/* The same memory on hosts that lack FWB or DIC (6.17): the memslot is
 * refused (M3), capability 243 is 0, and a fault reaching such a VMA is
 * -EFAULT (K2). */
static void test_seed_usemem_6_17_without_fwb_or_dic(void **state)
{
	static const char *const hosts[] = { "no-fwb", "fwb-no-dic",
					     "qemu-max" };

	(void)state;
	for (size_t h = 0; h < 3; h++) {
		struct kx *k = kx_new(hosts[h], S2MT_ERA_6_17);
		struct s2mt_mmap_req r;
		struct s2mt_fault f;
		uint64_t hva, anon;

		expect_rc(
			s2mt_vm_check_extension(
				k->vm, KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED),
			0);
		expect_rc(s2mt_kvm_check_extension(
				  &k->kvm,
				  KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED),
			  -S2MT_EINVAL);

		hva = mmap_usemem(k, SZ_1G, 0, 0);
		expect_refused(k, slot1(k, 0, 0, GPA_BASE, SZ_1G, hva),
			       -S2MT_EINVAL, "M3");
		expect_refused(k, slot2(k, 0, 0, GPA_BASE, SZ_1G, hva),
			       -S2MT_EINVAL, "M3");
		assert_int_equal(k->vm->nr_slots, 0);

		/* A slot registered over anonymous memory, which the VMM then
		 * replaces with usemem (MAP_FIXED): the notifier unmaps the
		 * old leaf and the next fault finds the cacheable PFNMAP. */
		anon = mmap_anon(k, 4 * SZ_2M, S2MT_BACK_ANON, SZ_2M, 0);
		expect_rc(slot1(k, 1, 0, GPA_BASE, 4 * SZ_2M, anon), 0);
		fault_map(k, GPA_BASE, WRITE);
		r = mreq(4 * SZ_2M, S2MT_MAP_SHARED | S2MT_MAP_FIXED, 0, 0);
		r.addr = anon;
		expect_rc(s2mt_mm_mmap_nvgrace(&k->mm, &r, k->gpu,
					       S2MT_NVGRACE_USEMEM, SZ_1G,
					       &hva),
			  0);
		assert_int_equal(hva, anon);
		assert_false(lookup(k, GPA_BASE, NULL));
		for (unsigned a = 0; a < 3; a++) {
			unsigned acc = a == 0 ? READ : a == 1 ? WRITE : EXEC;

			expect_rc(fault(k, GPA_BASE + SZ_2M, acc, &f),
				  -S2MT_EFAULT);
			assert_int_equal(f.outcome, S2MT_FAULT_EFAULT);
			expect(f.rule && !strcmp(f.rule, "K2"),
			       "%s: rule %s (%s)", hosts[h], f.rule, f.reason);
			expect(strstr(f.reason, "K2") != NULL, "%s", f.reason);
		}
		assert_false(lookup(k, GPA_BASE + SZ_2M, NULL));
		assert_false(lookup(k, GPA_BASE, NULL));
		kx_free(k);
	}
}

/* 6.9 (and 6.8): the same usemem gets Device-nGnRE at stage 2 while the
 * host maps it cacheable: Z1, the data leak the 6.17 series fixed. */
static void test_seed_usemem_6_9_device_and_z1(void **state)
{
	(void)state;
	for (unsigned era = S2MT_ERA_6_8; era <= S2MT_ERA_6_9; era++)
		for (size_t p = 0; p < NR_PRESETS; p++) {
			struct kx *k = kx_new(presets[p], era);
			struct s2mt_query_entry e;
			struct s2mt_leaf leaf;
			uint64_t hva;

			/* C1: unknown capability before 6.17. */
			expect_rc(
				s2mt_vm_check_extension(
					k->vm,
					KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED),
				0);
			expect_rc(
				s2mt_kvm_check_extension(
					&k->kvm,
					KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED),
				0);
			hva = mmap_usemem(k, SZ_1G, 0, 0);
			/* No M3 check before 6.17. */
			expect_rc(slot1(k, 0, 0, GPA_BASE, SZ_1G, hva), 0);
			leaf = fault_map(k, GPA_BASE + SZ_2M, READ);
			assert_int_equal(leaf.memattr, MA_DEV);
			assert_int_not_equal(leaf.xn, 0);
			/* Whatever the guest asks for, Device-nGnRE. */
			e = query1(k, GPA_BASE + SZ_2M, 0xff);
			expect(eff_is_device(&e, S2MT_DEV_nGnRE), "%s %u",
			       presets[p], era);
			expect(has_hazard(k, S2MT_Z1), "%s era %u: no Z1",
			       presets[p], era);
			assert_true(e.hazards & S2MT_HAZARD_BIT(S2MT_Z1));
			kx_free(k);
		}
}

/* vfio-pci BAR: 6.8 Device-nGnRE; 6.9 and 6.17 Normal-NC (guest NC stays
 * NC, guest Device stays Device); exec -> instruction abort. */
static void test_seed_vfio_bar_per_era(void **state)
{
	(void)state;
	for (unsigned era = 0; era < S2MT_ERA_COUNT_; era++)
		for (size_t p = 0; p < NR_PRESETS; p++) {
			struct kx *k = kx_new(presets[p], era);
			uint64_t ipa = GPA_BASE + 0x5000;
			struct s2mt_query_entry e;
			struct s2mt_leaf leaf;
			struct s2mt_fault f;
			uint64_t hva;

			hva = mmap_bar(k, 2, 64 * SZ_2M, 0);
			expect_rc(slot1(k, 0, 0, GPA_BASE, 64 * SZ_2M, hva), 0);
			leaf = fault_map(k, ipa, WRITE);
			assert_int_equal(leaf.s2ap, 3);
			assert_int_not_equal(leaf.xn, 0); /* K3 */
			assert_int_equal(leaf.pa & ~(SZ_2M - 1),
					 k->host.devices[k->nic].bars[2].pa);
			if (era == S2MT_ERA_6_8) {
				assert_int_equal(leaf.memattr, MA_DEV);
				/* A guest write-combine (NC) mapping ends up
				 * Device-nGnRE. */
				e = query1(k, ipa, 0x44);
				expect(eff_is_device(&e, S2MT_DEV_nGnRE),
				       "6.8 %s guest NC", presets[p]);
			} else {
				assert_int_equal(leaf.memattr, MA_NC);
				e = query1(k, ipa, 0x44);
				expect(eff_is_normal(&e, S2MT_CACHE_NC),
				       "%s %s guest NC", s2mt_era_name(era),
				       presets[p]);
				e = query1(k, ipa, 0x04);
				expect(eff_is_device(&e, S2MT_DEV_nGnRE),
				       "guest Device-nGnRE");
				e = query1(k, ipa, 0x00);
				expect(eff_is_device(&e, S2MT_DEV_nGnRnE),
				       "guest Device-nGnRnE");
				/* Guest WB is limited to NC. */
				e = query1(k, ipa, 0xff);
				expect(eff_is_normal(&e, S2MT_CACHE_NC),
				       "guest WB");
			}
			/* K3: exec on a BAR, mapped or not. */
			expect_rc(fault(k, ipa, EXEC, &f), -S2MT_ENOEXEC);
			assert_int_equal(f.outcome, S2MT_FAULT_INJECT_IABT);
			expect_rc(fault(k, ipa + SZ_1G / 2, EXEC, &f),
				  -S2MT_ENOEXEC);
			assert_int_equal(f.outcome, S2MT_FAULT_INJECT_IABT);
			assert_false(lookup(k, ipa + SZ_1G / 2, NULL));
			assert_true(lookup(k, ipa, &leaf));
			assert_int_not_equal(leaf.xn, 0);
			expect(!has_hazard(k, S2MT_Z1) &&
				       !has_hazard(k, S2MT_Z4),
			       "%s %s", presets[p], s2mt_era_name(era));
			kx_free(k);
		}
}

/* nvgrace resmem (write-combine + VM_ALLOW_ANY_UNCACHED): Normal-NC from
 * 6.9 on, on every host; Device in 6.8. */
static void test_seed_resmem_normal_nc(void **state)
{
	(void)state;
	for (unsigned era = 0; era < S2MT_ERA_COUNT_; era++)
		for (size_t p = 0; p < NR_PRESETS; p++) {
			struct kx *k = kx_new(presets[p], era);
			struct s2mt_query_entry e;
			struct s2mt_leaf leaf;
			uint64_t hva;

			hva = mmap_nvgrace(k, S2MT_NVGRACE_RESMEM, 32 * SZ_2M,
					   0, 0, 0);
			expect_rc(slot1(k, 3, 0, GPA_BASE, 32 * SZ_2M, hva), 0);
			leaf = fault_map(k, GPA_BASE + SZ_4K, READ);
			assert_int_equal(leaf.memattr,
					 era == S2MT_ERA_6_8 ? MA_DEV : MA_NC);
			assert_int_not_equal(leaf.xn, 0);
			e = query1(k, GPA_BASE + SZ_4K, 0x44);
			assert_int_equal(e.host_attrindx,
					 S2MT_MT_IDX_NORMAL_NC);
			if (era != S2MT_ERA_6_8)
				expect(eff_is_normal(&e, S2MT_CACHE_NC), "%s",
				       presets[p]);
			kx_free(k);
		}
}

/* ------------------------------------------------------------------ */
/* K4: mapping size                                                    */
/* ------------------------------------------------------------------ */

static void expect_leaf_size(struct kx *k, uint64_t ipa, unsigned access,
			     uint64_t size, const char *what)
{
	struct s2mt_leaf leaf = fault_map(k, ipa, access);
	unsigned level = size == SZ_1G ? 1 : size == SZ_2M ? 2 : 3;

	expect(leaf.size == size && leaf.level == level &&
		       leaf.ipa == (ipa & ~(size - 1)),
	       "%s: leaf at %#" PRIx64 " level %u size %#" PRIx64
	       ", want %#" PRIx64,
	       what, leaf.ipa, leaf.level, leaf.size, size);
}

static void test_K4_pfnmap_pud_when_congruent(void **state)
{
	struct kx *k = kx_new("grace-hopper", S2MT_ERA_6_17);
	uint64_t upa = k->host.devices[k->gpu].usemem_pa;
	struct s2mt_leaf leaf;
	uint64_t hva;

	(void)state;
	/* usemem mmapped 1 GiB-congruent (the natural placement). */
	hva = mmap_usemem(k, 2 * SZ_1G, 0, 0);
	assert_int_equal(hva & (SZ_1G - 1), upa & (SZ_1G - 1));
	expect_rc(slot1(k, 0, 0, GPA_BASE, 2 * SZ_1G, hva), 0);
	expect_leaf_size(k, GPA_BASE + 5 * SZ_2M + 0x3000, READ, SZ_1G,
			 "usemem 1st GiB");
	leaf = fault_map(k, GPA_BASE + SZ_1G + 0x7000, WRITE);
	assert_int_equal(leaf.size, SZ_1G);
	assert_int_equal(leaf.pa, upa + SZ_1G);

	/* A 1 GiB prefetchable BAR in 6.9: Normal-NC in one 1 GiB block. */
	for (unsigned era = S2MT_ERA_6_8; era <= S2MT_ERA_6_9; era++) {
		struct kx *b = kx_new("no-fwb", era);

		hva = mmap_bar(b, 2, SZ_1G, 0);
		expect_rc(slot1(b, 0, 0, 2 * GPA_BASE, SZ_1G, hva), 0);
		leaf = fault_map(b, 2 * GPA_BASE + 0x10000, READ);
		assert_int_equal(leaf.size, SZ_1G);
		assert_int_equal(leaf.memattr,
				 era == S2MT_ERA_6_9 ? MA_NC : MA_DEV);
		kx_free(b);
	}
	kx_free(k);
}

static void test_K4_pfnmap_pmd_when_2m_congruent(void **state)
{
	struct kx *k = kx_new("grace-hopper", S2MT_ERA_6_17);
	uint64_t upa = k->host.devices[k->gpu].usemem_pa;
	struct s2mt_leaf leaf;
	uint64_t hva;

	(void)state;
	/* HVA = 2 MiB mod 1 GiB, PA = 0 mod 1 GiB: congruent mod 2 MiB
	 * only. The slot has the HVA's offset mod 1 GiB, so only the VMA
	 * test rules the 1 GiB block out. */
	hva = mmap_usemem(k, SZ_1G, SZ_1G, SZ_2M);
	assert_int_equal(hva & (SZ_1G - 1), SZ_2M);
	expect_rc(slot1(k, 0, 0, GPA_BASE + SZ_2M, SZ_1G, hva), 0);
	leaf = fault_map(k, GPA_BASE + SZ_2M + 3 * SZ_2M + 0x5000, READ);
	assert_int_equal(leaf.level, 2);
	assert_int_equal(leaf.size, SZ_2M);
	assert_int_equal(leaf.ipa, GPA_BASE + 4 * SZ_2M);
	assert_int_equal(leaf.pa, upa + 3 * SZ_2M);
	kx_free(k);
}

static void test_K4_pfnmap_pages_when_misaligned(void **state)
{
	struct kx *k = kx_new("grace-hopper", S2MT_ERA_6_17);
	uint64_t upa = k->host.devices[k->gpu].usemem_pa;
	struct s2mt_leaf leaf;
	uint64_t hva;

	(void)state;
	/* HVA = 4 KiB mod 2 MiB while the PA is 2 MiB aligned. The slot's
	 * GPA has the HVA's offset, so only the congruence test fails. */
	hva = mmap_usemem(k, 8 * SZ_2M, SZ_2M, SZ_4K);
	assert_int_equal(hva & (SZ_2M - 1), SZ_4K);
	expect_rc(slot1(k, 0, 0, GPA_BASE + SZ_4K, 8 * SZ_2M, hva), 0);
	leaf = fault_map(k, GPA_BASE + SZ_4K + SZ_2M, READ);
	assert_int_equal(leaf.level, 3);
	assert_int_equal(leaf.pa, upa + SZ_2M);
	expect_leaf_size(k, GPA_BASE + SZ_4K, WRITE, SZ_4K, "first page");

	/* The same for a BAR mapped at a misaligned HVA (6.9). */
	{
		struct kx *b = kx_new("grace-hopper", S2MT_ERA_6_9);
		struct s2mt_mmap_req r =
			mreq(4 * SZ_2M, S2MT_MAP_SHARED, SZ_2M, 0x10000);

		expect_rc(s2mt_mm_mmap_vfio_bar(&b->mm, &r, b->nic, 2, 0, &hva),
			  0);
		expect_rc(slot1(b, 0, 0, GPA_BASE + 0x10000, 4 * SZ_2M, hva),
			  0);
		expect_leaf_size(b, GPA_BASE + 0x10000 + SZ_2M, READ, SZ_4K,
				 "misaligned BAR");
		kx_free(b);
	}
	kx_free(k);
}

static void test_K4_block_must_fit_memslot(void **state)
{
	struct kx *k = kx_new("grace-hopper", S2MT_ERA_6_17);
	uint64_t hva;

	(void)state;
	hva = mmap_usemem(k, 4 * SZ_1G, 0, 0); /* congruent mod 1 GiB */

	/* GPA offset in 1 GiB differs from the HVA's: 2 MiB blocks. */
	expect_rc(slot1(k, 0, 0, GPA_BASE + SZ_2M, SZ_1G, hva), 0);
	expect_leaf_size(k, GPA_BASE + SZ_2M + 0x3000, READ, SZ_2M,
			 "gpa off by 2M");
	/* GPA offset in 2 MiB differs: pages. */
	expect_rc(slot1(k, 1, 0, 4 * GPA_BASE + SZ_4K, SZ_1G, hva + SZ_1G), 0);
	expect_leaf_size(k, 4 * GPA_BASE + SZ_4K + SZ_2M, READ, SZ_4K,
			 "gpa off by 4K");
	/* The slot is smaller than the block: 2 MiB blocks. */
	expect_rc(slot1(k, 2, 0, 8 * GPA_BASE, SZ_1G - SZ_2M, hva + 2 * SZ_1G),
		  0);
	expect_leaf_size(k, 8 * GPA_BASE, READ, SZ_2M, "slot < 1G");
	expect_leaf_size(k, 8 * GPA_BASE + SZ_1G - 2 * SZ_2M, READ, SZ_2M,
			 "slot < 1G, last block");
	/* The slot starts inside the 1 GiB block (same offsets): the
	 * aligned block is not inside the slot. */
	expect_rc(slot1(k, 3, 0, 12 * GPA_BASE + SZ_2M, SZ_1G - SZ_2M,
			hva + 3 * SZ_1G + SZ_2M),
		  0);
	expect_leaf_size(k, 12 * GPA_BASE + SZ_2M, READ, SZ_2M,
			 "slot starts inside the block");
	kx_free(k);
}

static void test_K4_pfnmap_block_inside_vma(void **state)
{
	struct kx *k = kx_new("grace-hopper", S2MT_ERA_6_17);
	uint64_t hva;

	(void)state;
	/* A 512 MiB usemem VMA at a 1 GiB-aligned HVA, PA congruent, inside
	 * a 1 GiB slot whose second half is a hole. A fault in the middle of
	 * the VMA cannot take the 1 GiB block (it would end past the VMA):
	 * 2 MiB. */
	hva = mmap_usemem(k, SZ_1G / 2, SZ_1G, 0);
	expect_rc(slot1(k, 0, 0, GPA_BASE, SZ_1G, hva), 0);
	expect_leaf_size(k, GPA_BASE + 3 * SZ_2M + SZ_4K, READ, SZ_2M,
			 "block past the VMA");
	kx_free(k);
}

/* The kernel's get_vma_page_shift() checks ALIGN(hva, size) <= vm_end,
 * which holds for a block-aligned HVA: the model follows it (docs/model.md)
 * and the hazard checker reports the part past the VMA as Z7. */
static void test_K4_corner_aligned_hva_follows_kernel(void **state)
{
	struct kx *k = kx_new("grace-hopper", S2MT_ERA_6_17);
	uint64_t hva;

	(void)state;
	hva = mmap_usemem(k, SZ_1G / 2, SZ_1G, 0);
	expect_rc(slot1(k, 0, 0, GPA_BASE, SZ_1G, hva), 0);
	expect_leaf_size(k, GPA_BASE, READ, SZ_1G, "aligned HVA");
	expect(has_hazard(k, S2MT_Z7), "no Z7 for the block past the VMA");
	k->allowed_hazards = S2MT_HAZARD_BIT(S2MT_Z7);
	kx_free(k);
}

static void test_K4_dirty_logging_forces_pages(void **state)
{
	struct kx *k = kx_new("grace-hopper", S2MT_ERA_6_17);
	uint64_t h1g, thp;

	(void)state;
	h1g = mmap_anon(k, SZ_1G, S2MT_BACK_HUGETLB_1G, 0, 0);
	thp = mmap_anon(k, 4 * SZ_2M, S2MT_BACK_THP, 0, 0);
	expect_rc(slot1(k, 0, LOG, GPA_BASE, SZ_1G, h1g), 0);
	expect_rc(slot1(k, 1, LOG, 2 * GPA_BASE, 4 * SZ_2M, thp), 0);
	expect_leaf_size(k, GPA_BASE + 0x123000, READ, SZ_4K, "hugetlb read");
	expect_leaf_size(k, GPA_BASE + SZ_2M, WRITE, SZ_4K, "hugetlb write");
	expect_leaf_size(k, 2 * GPA_BASE, READ, SZ_4K, "thp read");
	expect_leaf_size(k, 2 * GPA_BASE + SZ_2M, WRITE, SZ_4K, "thp write");
	/* Logging off (FLAGS_ONLY): blocks again. */
	expect_rc(slot1(k, 0, 0, GPA_BASE, SZ_1G, h1g), 0);
	expect_rc(slot1(k, 1, 0, 2 * GPA_BASE, 4 * SZ_2M, thp), 0);
	assert_int_equal(k->vm->nr_slots, 2);
	expect_leaf_size(k, GPA_BASE + SZ_1G - SZ_4K, READ, SZ_1G,
			 "hugetlb, logging off");
	expect_leaf_size(k, 2 * GPA_BASE + 3 * SZ_2M, READ, SZ_2M,
			 "thp, logging off");
	kx_free(k);
}

static void test_K4_hugetlb_1g(void **state)
{
	(void)state;
	for (unsigned era = 0; era < S2MT_ERA_COUNT_; era++) {
		struct kx *k = kx_new("grace-hopper", era);
		uint64_t hva =
			mmap_anon(k, 2 * SZ_1G, S2MT_BACK_HUGETLB_1G, 0, 0);
		struct s2mt_leaf leaf;

		expect_rc(slot1(k, 0, 0, GPA_BASE, 2 * SZ_1G, hva), 0);
		leaf = fault_map(k, GPA_BASE + SZ_1G + 0x42000, WRITE);
		assert_int_equal(leaf.size, SZ_1G);
		assert_int_equal(leaf.level, 1);
		assert_int_equal(leaf.memattr, MA_WB(true));
		assert_true(s2mt_host_pfn_is_map_memory(&k->host, leaf.pa));
		/* A slot with a different GPA offset gets pages. */
		expect_rc(slot1(k, 1, 0, 8 * GPA_BASE + SZ_4K, SZ_1G, hva), 0);
		expect_leaf_size(k, 8 * GPA_BASE + SZ_4K, READ, SZ_4K,
				 "hugetlb 1G misplaced slot");
		/* Congruent mod 2 MiB only: the PUD falls back to a PMD. */
		expect_rc(slot1(k, 2, 0, 16 * GPA_BASE + SZ_2M, SZ_1G, hva), 0);
		expect_leaf_size(k, 16 * GPA_BASE + 5 * SZ_2M, READ, SZ_2M,
				 "hugetlb 1G, slot off by 2M");
		kx_free(k);
	}
}

static void test_K4_hugetlb_2m(void **state)
{
	struct kx *k = kx_new("no-fwb", S2MT_ERA_6_17);
	uint64_t hva = mmap_anon(k, 8 * SZ_2M, S2MT_BACK_HUGETLB_2M, 0, 0);
	struct s2mt_leaf leaf;

	(void)state;
	expect_rc(slot1(k, 0, 0, GPA_BASE, 8 * SZ_2M, hva), 0);
	leaf = fault_map(k, GPA_BASE + 5 * SZ_2M + 0x1000, READ);
	assert_int_equal(leaf.size, SZ_2M);
	assert_int_equal(leaf.level, 2);
	assert_int_equal(leaf.memattr, MA_WB(false));
	/* Never larger than the huge page, even at a 1 GiB-aligned GPA. */
	expect_leaf_size(k, GPA_BASE, READ, SZ_2M, "hugetlb 2M at 0");
	kx_free(k);
}

static void test_K4_thp_upgrades_to_2m(void **state)
{
	struct kx *k = kx_new("grace-hopper", S2MT_ERA_6_17);
	uint64_t thp = mmap_anon(k, 4 * SZ_2M, S2MT_BACK_THP, 0, 0);
	uint64_t anon = mmap_anon(k, 4 * SZ_2M, S2MT_BACK_ANON, SZ_2M, 0);

	(void)state;
	assert_int_equal(thp & (SZ_2M - 1), 0);
	expect_rc(slot1(k, 0, 0, GPA_BASE, 4 * SZ_2M, thp), 0);
	expect_leaf_size(k, GPA_BASE + SZ_2M + 0x9000, READ, SZ_2M, "thp");
	/* Plain anonymous memory: pages, even 2 MiB aligned. */
	expect_rc(slot1(k, 1, 0, 2 * GPA_BASE, 4 * SZ_2M, anon), 0);
	expect_leaf_size(k, 2 * GPA_BASE + SZ_2M, READ, SZ_4K, "anon");
	/* THP behind a slot whose GPA is not congruent: pages. */
	expect_rc(slot1(k, 2, 0, 3 * GPA_BASE + SZ_4K, 2 * SZ_2M, thp), 0);
	expect_leaf_size(k, 3 * GPA_BASE + SZ_4K + SZ_2M, READ, SZ_4K,
			 "thp, misplaced slot");
	kx_free(k);
}

/* ------------------------------------------------------------------ */
/* K5: cache maintenance                                               */
/* ------------------------------------------------------------------ */

struct k5_case {
	uint64_t gpa;
	unsigned backing;
	uint64_t leaf;
};

static void k5_on(const char *preset)
{
	static const struct k5_case cases[] = {
		{ GPA_BASE, S2MT_BACK_ANON, SZ_4K },
		{ 2 * GPA_BASE, S2MT_BACK_THP, SZ_2M },
		{ 3 * GPA_BASE, S2MT_BACK_HUGETLB_2M, SZ_2M },
		{ 4 * GPA_BASE, S2MT_BACK_HUGETLB_1G, SZ_1G },
	};
	struct kx *k = kx_new(preset, S2MT_ERA_6_17);
	bool fwb = k->host.caps.fwb, dic = k->host.caps.dic;
	uint64_t total_d = 0, total_i = 0, hvas[4], lens[4];

	for (size_t i = 0; i < 4; i++) {
		const struct k5_case *c = &cases[i];
		uint64_t len = 2 * (c->leaf > SZ_2M ? c->leaf : SZ_2M);
		uint64_t hva = mmap_anon(k, len, c->backing, 0, 0);
		uint64_t want_d = fwb ? 0 : c->leaf;
		struct s2mt_fault f;

		hvas[i] = hva;
		lens[i] = len;
		expect_rc(slot1(k, (uint32_t)i, 0, c->gpa, len, hva), 0);
		/* A read fault: the D-cache clean of the whole leaf (no FWB);
		 * no I-cache work (X only with DIC, which needs none). */
		expect_rc(fault(k, c->gpa, READ, &f), 0);
		assert_int_equal(f.outcome, S2MT_FAULT_MAPPED);
		assert_int_equal(f.leaf.size, c->leaf);
		expect(f.dclean_bytes == want_d,
		       "%s backing %u: dclean %#" PRIx64 " want %#" PRIx64,
		       preset, c->backing, f.dclean_bytes, want_d);
		assert_int_equal(f.iinval_bytes, 0);
		assert_int_equal(f.leaf.xn == 0, dic);
		total_d += f.dclean_bytes;
		/* An exec fault on the same leaf adds X: I-cache invalidation
		 * for the leaf unless DIC; no D-cache clean again. */
		expect_rc(fault(k, c->gpa, EXEC, &f), 0);
		assert_int_equal(f.outcome,
				 dic ? S2MT_FAULT_SPURIOUS
				     : S2MT_FAULT_PERM_RELAXED);
		if (!dic) {
			expect(f.iinval_bytes == c->leaf,
			       "%s backing %u: iinval %#" PRIx64, preset,
			       c->backing, f.iinval_bytes);
			assert_int_equal(f.dclean_bytes, 0);
			assert_int_equal(f.leaf.xn, 0);
			total_i += f.iinval_bytes;
		}
		/* A first fault that is an exec fault: both at once. */
		expect_rc(fault(k, c->gpa + len - SZ_4K, EXEC, &f), 0);
		assert_int_equal(f.outcome, S2MT_FAULT_MAPPED);
		assert_int_equal(f.leaf.size, c->leaf);
		assert_int_equal(f.dclean_bytes, want_d);
		assert_int_equal(f.iinval_bytes, dic ? 0 : c->leaf);
		total_d += f.dclean_bytes;
		total_i += f.iinval_bytes;
	}
	assert_int_equal(k->vm->stats.dclean_bytes, total_d);
	assert_int_equal(k->vm->stats.iinval_bytes, total_i);
	assert_int_equal(k->vm->stats.cmo_impossible_bytes, 0);
	/* D5 reports the maintenance done for a PA range. */
	{
		struct s2mt_query_entry e = query1(k, GPA_BASE, 0xff);

		assert_int_equal(e.dclean_bytes, fwb ? 0 : SZ_4K);
	}

	/* Device and Normal-NC leaves are never cleaned. */
	{
		uint64_t bar = mmap_bar(k, 2, 4 * SZ_2M, 0);
		struct s2mt_fault f;

		expect_rc(slot1(k, 10, 0, 16 * GPA_BASE, 4 * SZ_2M, bar), 0);
		expect_rc(fault(k, 16 * GPA_BASE, WRITE, &f), 0);
		assert_int_equal(f.outcome, S2MT_FAULT_MAPPED);
		assert_int_equal(f.dclean_bytes, 0);
		assert_int_equal(f.iinval_bytes, 0);
	}
	assert_int_equal(k->vm->stats.dclean_bytes, total_d);

	/* Unmapping cacheable leaves cleans them on a host without FWB: the
	 * THP VMA had two 2 MiB leaves. */
	expect_rc(s2mt_mm_munmap(&k->mm, hvas[1], lens[1]), 0);
	assert_false(lookup(k, 2 * GPA_BASE, NULL));
	assert_false(lookup(k, 2 * GPA_BASE + lens[1] - SZ_4K, NULL));
	assert_true(lookup(k, 3 * GPA_BASE, NULL));
	expect(k->vm->stats.dclean_bytes == total_d + (fwb ? 0 : 2 * SZ_2M),
	       "%s: after munmap dclean %#" PRIx64 " (was %#" PRIx64 ")",
	       preset, k->vm->stats.dclean_bytes, total_d);
	/* Deleting a slot unmaps and cleans too: the anonymous slot had two
	 * 4 KiB leaves. */
	total_d = k->vm->stats.dclean_bytes;
	expect_rc(slot1(k, 0, 0, GPA_BASE, 0, 0), 0);
	expect(k->vm->stats.dclean_bytes == total_d + (fwb ? 0 : 2 * SZ_4K),
	       "%s: after delete dclean %#" PRIx64 " (was %#" PRIx64 ")",
	       preset, k->vm->stats.dclean_bytes, total_d);
	expect(!has_hazard(k, S2MT_Z3), "%s: Z3", preset);
	kx_free(k);
}

static void test_K5_cmo_bytes_no_fwb_4k_2m_1g(void **state)
{
	(void)state;
	k5_on("no-fwb");
}

static void test_K5_no_dclean_on_fwb_hosts(void **state)
{
	(void)state;
	k5_on("grace-hopper");
	k5_on("fwb-no-dic");
	k5_on("qemu-max");
}

/* 6.9 on a host without FWB: the Device leaf over usemem is not cleaned
 * (and could not be: no kernel VA). */
static void test_K5_device_leaf_not_cleaned(void **state)
{
	struct kx *k = kx_new("no-fwb", S2MT_ERA_6_9);
	uint64_t hva = mmap_usemem(k, SZ_1G, 0, 0);
	struct s2mt_fault f;

	(void)state;
	expect_rc(slot1(k, 0, 0, GPA_BASE, SZ_1G, hva), 0);
	expect_rc(fault(k, GPA_BASE, READ, &f), 0);
	assert_int_equal(f.leaf.memattr, MA_DEV);
	assert_int_equal(f.dclean_bytes, 0);
	assert_int_equal(k->vm->stats.dclean_bytes, 0);
	kx_free(k);
}

/* ------------------------------------------------------------------ */
/* K6: MTE                                                             */
/* ------------------------------------------------------------------ */

static void test_K6_mte_vm_pfnmap_slot_einval(void **state)
{
	struct kx *k = kx_new("qemu-max", S2MT_ERA_6_17);
	struct s2mt_vm *vm2;
	uint64_t bar, use, res, anon;

	(void)state;
	expect_rc(s2mt_vm_check_extension(k->vm, KVM_CAP_ARM_MTE), 1);
	expect_rc(s2mt_vm_enable_cap(k->vm, KVM_CAP_ARM_MTE), 0);
	assert_true(k->vm->mte);
	bar = mmap_bar(k, 2, 4 * SZ_2M, 0);
	use = mmap_usemem(k, SZ_1G, 0, 0);
	res = mmap_nvgrace(k, S2MT_NVGRACE_RESMEM, 4 * SZ_2M, 0, 0, 0);
	anon = mmap_anon(k, 4 * SZ_2M, S2MT_BACK_ANON, 0, 0);
	expect_refused(k, slot1(k, 0, 0, GPA_BASE, 4 * SZ_2M, bar),
		       -S2MT_EINVAL, "K6");
	/* K6 is checked before M3 (qemu-max has no DIC). */
	expect_refused(k, slot1(k, 0, 0, GPA_BASE, SZ_1G, use), -S2MT_EINVAL,
		       "K6");
	expect_refused(k, slot2(k, 0, 0, GPA_BASE, 4 * SZ_2M, res),
		       -S2MT_EINVAL, "K6");
	/* ... and before K7. */
	expect_refused(k, slot1(k, 0, LOG, GPA_BASE, 4 * SZ_2M, bar),
		       -S2MT_EINVAL, "K6");
	/* Anonymous memory has VM_MTE_ALLOWED. */
	expect_rc(slot1(k, 1, 0, GPA_BASE, 4 * SZ_2M, anon), 0);
	fault_map(k, GPA_BASE, WRITE);
	/* A slot over anonymous memory followed by a BAR: the second VMA is
	 * checked too. */
	{
		struct s2mt_mmap_req r =
			mreq(4 * SZ_2M, S2MT_MAP_PRIVATE, SZ_1G, 0);
		uint64_t a2, b2;

		expect_rc(s2mt_mm_mmap_anon(&k->mm, &r, S2MT_BACK_ANON, &a2),
			  0);
		r = mreq(4 * SZ_2M, S2MT_MAP_SHARED | S2MT_MAP_FIXED, 0, 0);
		r.addr = a2 + 2 * SZ_2M;
		expect_rc(s2mt_mm_mmap_vfio_bar(&k->mm, &r, k->nic, 2, 0, &b2),
			  0);
		expect_refused(k, slot1(k, 2, 0, 2 * GPA_BASE, 4 * SZ_2M, a2),
			       -S2MT_EINVAL, "K6");
	}

	/* KVM_ENABLE_CAP(MTE): -EINVAL once a vCPU exists, as Linux's
	 * kvm_vm_ioctl_enable_cap(), and on a host without MTE (K6). */
	expect_rc(s2mt_kvm_create_vm(&k->kvm, 0, &vm2), 0);
	expect(s2mt_vm_create_vcpu(vm2) >= 0, "vcpu");
	expect_rc(s2mt_vm_enable_cap(vm2, KVM_CAP_ARM_MTE), -S2MT_EINVAL);
	assert_false(vm2->mte);
	kx_free(k);

	k = kx_new("grace-hopper", S2MT_ERA_6_17);
	expect_rc(s2mt_vm_check_extension(k->vm, KVM_CAP_ARM_MTE), 0);
	expect_rc(s2mt_vm_enable_cap(k->vm, KVM_CAP_ARM_MTE), -S2MT_EINVAL);
	assert_false(k->vm->mte);
	kx_free(k);
}

/* K6 at fault time: a VMA without VM_MTE_ALLOWED that appeared behind an
 * accepted slot. hugetlbfs VMAs lack the flag before 6.13 on kernels with
 * the stable fix that stopped giving it to every MAP_ANONYMOUS mapping
 * (6.12.17, docs/kernels.md). */
static void test_K6_mte_fault_efault(void **state)
{
	struct kx *k;

	g_kernel = "6.12.17";
	k = kx_new("qemu-max", S2MT_ERA_6_9);
	g_kernel = NULL;
	struct s2mt_mmap_req r;
	struct s2mt_fault f;
	uint64_t anon, h, h2;

	(void)state;
	expect_rc(s2mt_vm_enable_cap(k->vm, KVM_CAP_ARM_MTE), 0);
	h2 = mmap_anon(k, 2 * SZ_2M, S2MT_BACK_HUGETLB_2M, 0, 0);
	expect_refused(k, slot1(k, 0, 0, GPA_BASE, 2 * SZ_2M, h2), -S2MT_EINVAL,
		       "K6");
	anon = mmap_anon(k, 4 * SZ_2M, S2MT_BACK_ANON, SZ_2M, 0);
	expect_rc(slot1(k, 0, 0, GPA_BASE, 4 * SZ_2M, anon), 0);
	fault_map(k, GPA_BASE + SZ_2M, READ);
	r = mreq(2 * SZ_2M, S2MT_MAP_SHARED | S2MT_MAP_FIXED, 0, 0);
	r.addr = anon;
	expect_rc(s2mt_mm_mmap_anon(&k->mm, &r, S2MT_BACK_HUGETLB_2M, &h), 0);
	assert_false(lookup(k, GPA_BASE + SZ_2M, NULL));
	expect_rc(fault(k, GPA_BASE + SZ_2M, READ, &f), -S2MT_EFAULT);
	assert_int_equal(f.outcome, S2MT_FAULT_EFAULT);
	expect(f.rule && !strcmp(f.rule, "K6"), "rule %s (%s)", f.rule,
	       f.reason);
	assert_false(lookup(k, GPA_BASE + SZ_2M, NULL));
	/* The anonymous rest of the slot still maps. */
	fault_map(k, GPA_BASE + 2 * SZ_2M, WRITE);
	/* A BAR behind the slot is force-non-cacheable: no MTE check. */
	r = mreq(SZ_2M, S2MT_MAP_SHARED | S2MT_MAP_FIXED, 0, 0);
	r.addr = anon + 3 * SZ_2M;
	expect_rc(s2mt_mm_mmap_vfio_bar(&k->mm, &r, k->nic, 2, 0, &h), 0);
	fault_map(k, GPA_BASE + 3 * SZ_2M, READ);
	kx_free(k);
}

/* ------------------------------------------------------------------ */
/* K7: dirty logging                                                   */
/* ------------------------------------------------------------------ */

static void test_K7_pfnmap_log_dirty_einval(void **state)
{
	(void)state;
	for (unsigned era = 0; era < S2MT_ERA_COUNT_; era++) {
		struct kx *k = kx_new("grace-hopper", era);
		uint64_t bar = mmap_bar(k, 2, 4 * SZ_2M, 0);
		uint64_t use = mmap_usemem(k, SZ_1G, 0, 0);

		expect_refused(k, slot1(k, 0, LOG, GPA_BASE, 4 * SZ_2M, bar),
			       -S2MT_EINVAL, "K7");
		expect_refused(k, slot2(k, 0, LOG, GPA_BASE, 4 * SZ_2M, bar),
			       -S2MT_EINVAL, "K7");
		expect_refused(k, slot1(k, 1, LOG, 2 * GPA_BASE, SZ_1G, use),
			       -S2MT_EINVAL, "K7");
		/* As a FLAGS_ONLY change of an existing slot. */
		expect_rc(slot1(k, 0, 0, GPA_BASE, 4 * SZ_2M, bar), 0);
		expect_rc(slot1(k, 1, 0, 2 * GPA_BASE, SZ_1G, use), 0);
		fault_map(k, GPA_BASE, WRITE);
		fault_map(k, 2 * GPA_BASE, WRITE);
		expect_refused(k, slot1(k, 0, LOG, GPA_BASE, 4 * SZ_2M, bar),
			       -S2MT_EINVAL, "K7");
		expect_refused(k, slot2(k, 1, LOG, 2 * GPA_BASE, SZ_1G, use),
			       -S2MT_EINVAL, "K7");
		/* ... and as part of a MOVE. */
		expect_refused(k,
			       slot1(k, 0, LOG, 3 * GPA_BASE, 4 * SZ_2M, bar),
			       -S2MT_EINVAL, "K7");
		assert_int_equal(s2mt_vm_slot_by_id(k->vm, 0)->flags, 0);
		assert_null(s2mt_vm_slot_by_id(k->vm, 0)->dirty_bitmap);
		kx_free(k);
	}
}

static void test_K7_dirty_bitmap_and_write_protect(void **state)
{
	struct kx *k = kx_new("no-fwb", S2MT_ERA_6_17);
	uint64_t hva = mmap_anon(k, 128 * SZ_4K, S2MT_BACK_ANON, 0, 0);
	uint64_t bm[2];
	struct s2mt_leaf leaf;
	struct s2mt_fault f;

	(void)state;
	expect_rc(slot1(k, 0, LOG, GPA_BASE, 128 * SZ_4K, hva), 0);
	expect_rc(slot1(k, 1, 0, 2 * GPA_BASE, 16 * SZ_4K, hva + 64 * SZ_4K),
		  0);
	/* A read fault maps read-only while logging. */
	leaf = fault_map(k, GPA_BASE, READ);
	assert_int_equal(leaf.s2ap, 1);
	/* H5: that page is the zero page; the write copies it, and the
	 * MMU notifier takes the read-only leaf (K8): the fault is retried,
	 * then maps the new page writable and marks it. */
	expect_rc(fault(k, GPA_BASE, WRITE, &f), -S2MT_EAGAIN);
	assert_int_equal(f.outcome, S2MT_FAULT_RETRY);
	expect(!strncmp(f.reason, "H5:", 3), "%s", f.reason);
	expect(s2mt_pgt_lookup(&k->vm->pgt, GPA_BASE, &leaf) != 0,
	       "the zero page is still mapped");
	expect_rc(fault(k, GPA_BASE, WRITE, &f), 0);
	assert_int_equal(f.outcome, S2MT_FAULT_MAPPED);
	assert_int_equal(f.leaf.s2ap, 3);
	/* A first write maps RW and marks. */
	leaf = fault_map(k, GPA_BASE + 3 * SZ_4K, WRITE);
	assert_int_equal(leaf.s2ap, 3);
	leaf = fault_map(k, GPA_BASE + 100 * SZ_4K, WRITE);
	fault_map(k, GPA_BASE + 5 * SZ_4K, READ);
	memset(bm, 0xff, sizeof(bm));
	expect_rc(s2mt_vm_get_dirty_log(k->vm, 0, bm), 0);
	expect(bm[0] == ((1ull << 0) | (1ull << 3)) && bm[1] == 1ull << 36,
	       "bitmap %#" PRIx64 " %#" PRIx64, bm[0], bm[1]);
	/* Returned and cleared; the dirty pages are write-protected again
	 * (still mapped). */
	for (unsigned pg = 0; pg < 128; pg += pg == 0 ? 3 : 97) {
		assert_true(lookup(k, GPA_BASE + pg * SZ_4K, &leaf));
		expect(leaf.s2ap == 1, "page %u s2ap %u", pg, leaf.s2ap);
	}
	memset(bm, 0xff, sizeof(bm));
	expect_rc(s2mt_vm_get_dirty_log(k->vm, 0, bm), 0);
	assert_true(bm[0] == 0 && bm[1] == 0);
	/* The next write is caught again. */
	expect_rc(fault(k, GPA_BASE + 3 * SZ_4K, WRITE, &f), 0);
	assert_int_equal(f.outcome, S2MT_FAULT_PERM_RELAXED);
	expect_rc(fault(k, GPA_BASE + 3 * SZ_4K, WRITE, &f), 0);
	assert_int_equal(f.outcome, S2MT_FAULT_SPURIOUS);
	expect_rc(s2mt_vm_get_dirty_log(k->vm, 0, bm), 0);
	assert_true(bm[0] == 1ull << 3 && bm[1] == 0);
	/* Errors: no such slot; a slot that is not logging. SPEC is silent
	 * on the latter: model.h says -EINVAL, the kernel's
	 * kvm_get_dirty_log_protect() returns -ENOENT (see the report). */
	expect_rc(s2mt_vm_get_dirty_log(k->vm, 7, bm), -S2MT_ENOENT);
	expect(not_logging_err(s2mt_vm_get_dirty_log(k->vm, 1, bm)),
	       "non-logging slot");
	kx_free(k);
}

/* FLAGS_ONLY turning logging on write-protects what is mapped; the next
 * write splits the block into pages (K4) and marks one page. */
static void test_K7_flags_only_enable_logging_write_protects(void **state)
{
	struct kx *k = kx_new("grace-hopper", S2MT_ERA_6_17);
	uint64_t thp = mmap_anon(k, 4 * SZ_2M, S2MT_BACK_THP, 0, 0);
	struct s2mt_leaf leaf;
	struct s2mt_fault f;
	uint64_t bm[32]; /* 8 MiB: 2048 pages */

	(void)state;
	expect_rc(slot1(k, 0, 0, GPA_BASE, 4 * SZ_2M, thp), 0);
	leaf = fault_map(k, GPA_BASE, WRITE);
	assert_int_equal(leaf.size, SZ_2M);
	assert_int_equal(leaf.s2ap, 3);
	expect(not_logging_err(s2mt_vm_get_dirty_log(k->vm, 0, bm)),
	       "not logging yet");
	expect_rc(slot1(k, 0, LOG, GPA_BASE, 4 * SZ_2M, thp), 0);
	assert_true(lookup(k, GPA_BASE + 0x5000, &leaf));
	assert_int_equal(leaf.s2ap, 1);
	expect_rc(fault(k, GPA_BASE + 0x5000, WRITE, &f), 0);
	expect(f.outcome == S2MT_FAULT_MAPPED ||
		       f.outcome == S2MT_FAULT_PERM_RELAXED,
	       "outcome %s", s2mt_fault_outcome_name(f.outcome));
	assert_int_equal(f.leaf.size, SZ_4K);
	assert_int_equal(f.leaf.s2ap, 3);
	memset(bm, 0xff, sizeof(bm));
	expect_rc(s2mt_vm_get_dirty_log(k->vm, 0, bm), 0);
	assert_int_equal(bm[0], 1ull << 5);
	for (unsigned i = 1; i < 32; i++)
		assert_int_equal(bm[i], 0);
	/* Reads elsewhere in the old block still work. */
	expect_rc(fault(k, GPA_BASE + 0x100000, READ, &f), 0);
	kx_free(k);
}

/* M2 + K7: a MOVE may change the flags as well; logging then follows the
 * new flags (kvm_prepare_memory_region(): no LOG -> no bitmap; LOG and
 * none before -> a new bitmap). */
/* K5: without FWB the guest turning its caches on cleans every cacheable
 * leaf of the VM once (kvm_toggle_cache()); after that, and with FWB
 * from the start, KVM does not see SCTLR_EL1 writes. */
static void test_K5_guest_cache_toggle_cleans_the_vm(void **state)
{
	static const char *const hosts[] = { "no-fwb", "grace-hopper" };

	(void)state;
	for (unsigned i = 0; i < 2; i++) {
		struct kx *k = kx_new(hosts[i], S2MT_ERA_6_17);
		uint64_t hva = mmap_anon(k, 64 * SZ_4K, S2MT_BACK_ANON, 0, 0);
		uint64_t huge = mmap_anon(k, SZ_2M, S2MT_BACK_HUGETLB_2M, 0, 0);
		uint64_t want = i ? 0 : 3 * SZ_4K + SZ_2M, before;

		expect_rc(slot1(k, 0, 0, GPA_BASE, 64 * SZ_4K, hva), 0);
		expect_rc(slot1(k, 1, 0, 2 * GPA_BASE, SZ_2M, huge), 0);
		fault_map(k, GPA_BASE, WRITE);
		fault_map(k, GPA_BASE + 5 * SZ_4K, READ);
		fault_map(k, GPA_BASE + 9 * SZ_4K, EXEC);
		fault_map(k, 2 * GPA_BASE, READ);
		before = k->vm->stats.dclean_bytes;
		expect(s2mt_vm_guest_set_caches(k->vm, true) == want,
		       "%s: cleaned %#" PRIx64, hosts[i],
		       k->vm->stats.dclean_bytes - before);
		expect(k->vm->stats.dclean_bytes - before == want, "%s",
		       hosts[i]);
		/* No longer trapped: turning them off is not seen. */
		expect(s2mt_vm_guest_set_caches(k->vm, false) == 0, "%s",
		       hosts[i]);
		kx_free(k);
	}
}

static void test_K7_move_with_flags_change_updates_logging(void **state)
{
	struct kx *k = kx_new("grace-hopper", S2MT_ERA_6_17);
	uint64_t hva = mmap_anon(k, 64 * SZ_4K, S2MT_BACK_ANON, 0, 0);
	const struct s2mt_memslot *s;
	struct s2mt_leaf leaf;
	uint64_t bm[1];

	(void)state;
	/* Not logging -> MOVE with LOG. */
	expect_rc(slot1(k, 0, 0, GPA_BASE, 64 * SZ_4K, hva), 0);
	expect_rc(slot1(k, 0, LOG, 2 * GPA_BASE, 64 * SZ_4K, hva), 0);
	s = s2mt_vm_slot_by_id(k->vm, 0);
	assert_int_equal(s->flags, LOG);
	leaf = fault_map(k, 2 * GPA_BASE + 2 * SZ_4K, WRITE);
	assert_int_equal(leaf.s2ap, 3);
	expect_rc(s2mt_vm_get_dirty_log(k->vm, 0, bm), 0);
	assert_int_equal(bm[0], 1ull << 2);
	/* Logging -> MOVE without LOG: no longer logging. */
	expect_rc(slot1(k, 0, 0, 3 * GPA_BASE, 64 * SZ_4K, hva), 0);
	s = s2mt_vm_slot_by_id(k->vm, 0);
	assert_int_equal(s->flags, 0);
	assert_null(s->dirty_bitmap);
	expect(not_logging_err(s2mt_vm_get_dirty_log(k->vm, 0, bm)),
	       "logging stopped by the MOVE");
	/* The page written above: not write-protected any more. */
	leaf = fault_map(k, 3 * GPA_BASE + 2 * SZ_4K, READ);
	assert_int_equal(leaf.s2ap, 3);
	/* H5: one nothing ever wrote is the zero page: read-only; the
	 * first write copies it (the notifier takes the leaf: a retry) and
	 * maps the new page writable. */
	leaf = fault_map(k, 3 * GPA_BASE, READ);
	assert_int_equal(leaf.s2ap, 1);
	{
		struct s2mt_fault f;

		expect_rc(fault(k, 3 * GPA_BASE, WRITE, &f), -S2MT_EAGAIN);
		assert_int_equal(f.outcome, S2MT_FAULT_RETRY);
		leaf = fault_map(k, 3 * GPA_BASE, WRITE);
		assert_int_equal(leaf.s2ap, 3);
	}
	kx_free(k);
}

/* ------------------------------------------------------------------ */
/* K8: races with invalidation                                         */
/* ------------------------------------------------------------------ */

enum race_kind { RACE_NONE, RACE_MUNMAP, RACE_MPROTECT, RACE_REMAP };

struct race {
	struct kx *k;
	enum race_kind kind;
	uint64_t addr, len;
	unsigned calls;
	int rc;
};

static void race_hook(struct s2mt_vm *vm, uint64_t ipa, void *arg)
{
	struct race *r = arg;

	(void)ipa;
	assert_ptr_equal(vm, r->k->vm);
	r->calls++;
	switch (r->kind) {
	case RACE_NONE:
		break;
	case RACE_MUNMAP:
		r->rc = s2mt_mm_munmap(&r->k->mm, r->addr, r->len);
		break;
	case RACE_MPROTECT:
		r->rc = s2mt_mm_mprotect(&r->k->mm, r->addr, r->len, RD);
		break;
	case RACE_REMAP: {
		struct s2mt_mmap_req q =
			mreq(r->len, S2MT_MAP_PRIVATE | S2MT_MAP_FIXED, 0, 0);
		uint64_t hva;

		q.addr = r->addr;
		r->rc = s2mt_mm_mmap_anon(&r->k->mm, &q, S2MT_BACK_ANON, &hva);
		break;
	}
	}
}

static void test_K8_retry_when_invalidated(void **state)
{
	static const enum race_kind kinds[] = { RACE_MUNMAP, RACE_MPROTECT,
						RACE_REMAP };

	(void)state;
	for (size_t i = 0; i < 3; i++)
		for (size_t p = 0; p < NR_PRESETS; p++) {
			struct kx *k = kx_new(presets[p], S2MT_ERA_6_17);
			uint64_t hva =
				mmap_anon(k, 4 * SZ_2M, S2MT_BACK_THP, 0, 0);
			struct race r = { .k = k, .kind = RACE_NONE };
			struct s2mt_fault f;
			uint64_t retries;

			expect_rc(slot1(k, 0, 0, GPA_BASE, 4 * SZ_2M, hva), 0);
			k->vm->race = race_hook;
			k->vm->race_arg = &r;
			/* Control: nothing happens in between. */
			fault_map(k, GPA_BASE + 2 * SZ_2M, READ);
			assert_int_equal(r.calls, 1);

			r.kind = kinds[i];
			r.addr = hva;
			r.len = 2 * SZ_2M;
			retries = k->vm->stats.retries;
			expect_rc(fault(k, GPA_BASE + 0x3000, WRITE, &f),
				  -S2MT_EAGAIN);
			assert_int_equal(r.rc, 0);
			assert_int_equal(f.outcome, S2MT_FAULT_RETRY);
			expect(f.rule && !strcmp(f.rule, "K8"), "rule %s",
			       f.rule);
			assert_int_equal(k->vm->stats.retries, retries + 1);
			assert_false(lookup(k, GPA_BASE + 0x3000, NULL));
			assert_false(lookup(k, GPA_BASE, NULL));
			/* The untouched half stays mapped. */
			assert_true(lookup(k, GPA_BASE + 2 * SZ_2M, NULL));

			/* The retry sees the new host mapping. */
			k->vm->race = NULL;
			if (kinds[i] == RACE_MUNMAP) {
				/* K8: no VMA any more -> -EFAULT. */
				expect_rc(
					fault(k, GPA_BASE + 0x3000, WRITE, &f),
					-S2MT_EFAULT);
				assert_int_equal(f.outcome, S2MT_FAULT_EFAULT);
			} else if (kinds[i] == RACE_MPROTECT) {
				/* Read-only VMA: a write is -EFAULT, a read
				 * maps without W. */
				expect_rc(
					fault(k, GPA_BASE + 0x3000, WRITE, &f),
					-S2MT_EFAULT);
				struct s2mt_leaf l =
					fault_map(k, GPA_BASE + 0x3000, READ);
				assert_int_equal(l.s2ap, 1);
			} else {
				/* Plain anonymous memory now: pages. */
				struct s2mt_leaf l =
					fault_map(k, GPA_BASE + 0x3000, WRITE);
				assert_int_equal(l.size, SZ_4K);
			}
			kx_free(k);
		}
}

static void test_K8_munmap_unmaps_stage2(void **state)
{
	(void)state;
	for (size_t p = 0; p < NR_PRESETS; p++) {
		struct kx *k = kx_new(presets[p], S2MT_ERA_6_17);
		uint64_t a = mmap_anon(k, 16 * SZ_4K, S2MT_BACK_ANON, 0, 0);
		uint64_t h =
			mmap_anon(k, 2 * SZ_1G, S2MT_BACK_HUGETLB_1G, 0, 0);
		uint64_t b = mmap_bar(k, 2, 4 * SZ_2M, 0);
		uint64_t inval;

		expect_rc(slot1(k, 0, 0, GPA_BASE, 16 * SZ_4K, a), 0);
		expect_rc(slot1(k, 1, 0, 2 * GPA_BASE, 2 * SZ_1G, h), 0);
		expect_rc(slot1(k, 2, 0, 4 * GPA_BASE, 4 * SZ_2M, b), 0);
		for (unsigned pg = 0; pg < 16; pg++)
			fault_map(k, GPA_BASE + pg * SZ_4K, WRITE);
		fault_map(k, 2 * GPA_BASE, READ);
		fault_map(k, 2 * GPA_BASE + SZ_1G, READ);
		fault_map(k, 4 * GPA_BASE, READ);
		fault_map(k, 4 * GPA_BASE + 3 * SZ_2M, READ);

		inval = k->vm->stats.invalidations;
		/* munmap of part of the anonymous VMA. */
		expect_rc(s2mt_mm_munmap(&k->mm, a + 4 * SZ_4K, 4 * SZ_4K), 0);
		for (unsigned pg = 0; pg < 16; pg++)
			expect(lookup(k, GPA_BASE + pg * SZ_4K, NULL) ==
				       (pg < 4 || pg >= 8),
			       "%s page %u", presets[p], pg);
		assert_true(k->vm->stats.invalidations > inval);
		/* munmap of a whole hugetlb page: its 1 GiB leaf goes. */
		expect_rc(s2mt_mm_munmap(&k->mm, h + SZ_1G, SZ_1G), 0);
		assert_false(lookup(k, 2 * GPA_BASE + SZ_1G, NULL));
		assert_true(lookup(k, 2 * GPA_BASE, NULL));
		/* mprotect too (the leaf is rebuilt on the next fault). */
		expect_rc(s2mt_mm_mprotect(&k->mm, b, SZ_2M, RD), 0);
		assert_false(lookup(k, 4 * GPA_BASE, NULL));
		assert_true(lookup(k, 4 * GPA_BASE + 3 * SZ_2M, NULL));
		/* A fault in the unmapped part: -EFAULT, nothing mapped. */
		{
			struct s2mt_fault f;

			expect_rc(fault(k, GPA_BASE + 5 * SZ_4K, READ, &f),
				  -S2MT_EFAULT);
			assert_false(lookup(k, GPA_BASE + 5 * SZ_4K, NULL));
		}
		/* Part of a 1 GiB cacheable-PFNMAP leaf (6.17, FWB+DIC only):
		 * the unmapped part must not stay mapped (Z7). */
		if (k->host.caps.fwb && k->host.caps.dic) {
			uint64_t u = mmap_usemem(k, SZ_1G, 0, 0);

			expect_rc(slot1(k, 3, 0, 8 * GPA_BASE, SZ_1G, u), 0);
			assert_int_equal(fault_map(k, 8 * GPA_BASE, READ).size,
					 SZ_1G);
			expect_rc(s2mt_mm_munmap(&k->mm, u + SZ_1G / 2,
						 SZ_1G / 2),
				  0);
			assert_false(lookup(k, 8 * GPA_BASE + SZ_1G / 2, NULL));
			assert_false(
				lookup(k, 8 * GPA_BASE + SZ_1G - SZ_4K, NULL));
		}
		/* Deleting a slot unmaps its stage 2 (M2/Z7). */
		expect_rc(slot1(k, 2, 0, 4 * GPA_BASE, 0, b), 0);
		assert_false(lookup(k, 4 * GPA_BASE + 3 * SZ_2M, NULL));
		assert_null(s2mt_vm_find_slot(k->vm, 4 * GPA_BASE));
		kx_free(k);
	}
}

/* ------------------------------------------------------------------ */
/* K3: exec                                                            */
/* ------------------------------------------------------------------ */

static void test_K3_exec_on_bar_injects_abort(void **state)
{
	(void)state;
	for (unsigned era = 0; era < S2MT_ERA_COUNT_; era++)
		for (size_t p = 0; p < NR_PRESETS; p++) {
			struct kx *k = kx_new(presets[p], era);
			uint64_t b0 = mmap_bar(k, 0, 16 * SZ_4K, 0);
			uint64_t b2 = mmap_bar(k, 2, 4 * SZ_2M, 0);
			uint64_t an =
				mmap_anon(k, 16 * SZ_4K, S2MT_BACK_ANON, 0, 0);
			uint64_t aborts = k->vm->stats.injected_aborts;
			struct s2mt_leaf leaf;
			struct s2mt_fault f;

			expect_rc(slot1(k, 0, 0, GPA_BASE, 16 * SZ_4K, b0), 0);
			expect_rc(slot1(k, 1, 0, 2 * GPA_BASE, 4 * SZ_2M, b2),
				  0);
			expect_rc(slot1(k, 2, 0, 3 * GPA_BASE, 16 * SZ_4K, an),
				  0);
			expect_rc(fault(k, GPA_BASE, EXEC, &f), -S2MT_ENOEXEC);
			assert_int_equal(f.outcome, S2MT_FAULT_INJECT_IABT);
			expect(f.rule && !strcmp(f.rule, "K3") &&
				       strstr(f.reason, "K3"),
			       "rule %s: %s", f.rule, f.reason);
			expect_rc(fault(k, 2 * GPA_BASE + SZ_2M, EXEC, &f),
				  -S2MT_ENOEXEC);
			assert_int_equal(f.outcome, S2MT_FAULT_INJECT_IABT);
			assert_false(lookup(k, 2 * GPA_BASE + SZ_2M, NULL));
			/* Mapped by a read, still not executable. */
			leaf = fault_map(k, GPA_BASE, READ);
			assert_int_not_equal(leaf.xn, 0);
			expect_rc(fault(k, GPA_BASE, EXEC, &f), -S2MT_ENOEXEC);
			assert_int_equal(f.outcome, S2MT_FAULT_INJECT_IABT);
			assert_true(lookup(k, GPA_BASE, &leaf));
			assert_int_not_equal(leaf.xn, 0);
			assert_int_equal(k->vm->stats.injected_aborts,
					 aborts + 3);
			/* RAM: exec faults get X; reads get it with DIC. */
			leaf = fault_map(k, 3 * GPA_BASE, READ);
			assert_int_equal(leaf.xn == 0, k->host.caps.dic);
			leaf = fault_map(k, 3 * GPA_BASE + SZ_4K, EXEC);
			assert_int_equal(leaf.xn, 0);
			/* No memslot: an instruction abort too. */
			expect_rc(fault(k, 64 * GPA_BASE, EXEC, &f),
				  -S2MT_ENOEXEC);
			assert_int_equal(f.outcome, S2MT_FAULT_INJECT_IABT);
			/* ... while a data access is an MMIO exit. */
			expect_rc(fault(k, 64 * GPA_BASE, READ, &f), 0);
			assert_int_equal(f.outcome, S2MT_FAULT_MMIO_EXIT);
			expect(!has_hazard(k, S2MT_Z4), "%s %s: Z4", presets[p],
			       s2mt_era_name(era));
			kx_free(k);
		}
}

/* ------------------------------------------------------------------ */
/* C1: capability 243                                                  */
/* ------------------------------------------------------------------ */

static void test_C1_cap243_per_era_and_handle(void **state)
{
	(void)state;
	for (unsigned era = 0; era < S2MT_ERA_COUNT_; era++)
		for (size_t p = 0; p < NR_PRESETS; p++) {
			struct kx *k = kx_new(presets[p], era);
			long want_vm = 0, want_sys = 0;

			if (era == S2MT_ERA_6_17) {
				want_vm = k->host.caps.fwb && k->host.caps.dic;
				want_sys = -S2MT_EINVAL;
			}
			expect(s2mt_vm_check_extension(k->vm, 243) == want_vm,
			       "%s %s: VM %ld", presets[p], s2mt_era_name(era),
			       s2mt_vm_check_extension(k->vm, 243));
			expect(s2mt_kvm_check_extension(&k->kvm, 243) ==
				       want_sys,
			       "%s %s: system %ld", presets[p],
			       s2mt_era_name(era),
			       s2mt_kvm_check_extension(&k->kvm, 243));
			if (era == S2MT_ERA_6_17) {
				s2mt_kvm_check_extension(&k->kvm, 243);
				expect(k->kvm.rule &&
					       !strcmp(k->kvm.rule, "C1") &&
					       strstr(k->kvm.why, "C1"),
				       "rule %s why %s", k->kvm.rule,
				       k->kvm.why);
			}
			/* Presets (A8). */
			assert_int_equal(k->host.caps.fwb,
					 strcmp(presets[p], "no-fwb") != 0);
			assert_int_equal(k->host.caps.dic,
					 !strcmp(presets[p], "grace-hopper"));
			assert_int_equal(k->host.caps.mte,
					 !strcmp(presets[p], "qemu-max"));
			/* The capabilities a VMM relies on. */
			expect_rc(s2mt_kvm_check_extension(&k->kvm,
							   KVM_CAP_NR_MEMSLOTS),
				  32767);
			expect_rc(s2mt_vm_check_extension(k->vm,
							  KVM_CAP_READONLY_MEM),
				  1);
			expect_rc(s2mt_vm_check_extension(k->vm,
							  KVM_CAP_USER_MEMORY2),
				  1);
			expect_rc(s2mt_kvm_check_extension(&k->kvm, 100000), 0);
			kx_free(k);
		}
	assert_int_equal(KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED, 243);
}

/* ------------------------------------------------------------------ */
/* M1-M4: memslot registration                                         */
/* ------------------------------------------------------------------ */

/* A VM with two slots and some leaves, to see refusals change nothing. */
struct mfx {
	struct kx *k;
	uint64_t a, b, bar; /* anonymous VMAs (64 pages each), a BAR */
};

static struct mfx mfx_new(const char *preset, unsigned era)
{
	struct mfx m = { .k = kx_new(preset, era) };

	m.a = mmap_anon(m.k, 64 * SZ_4K, S2MT_BACK_ANON, 0, 0);
	m.b = mmap_anon(m.k, 64 * SZ_4K, S2MT_BACK_ANON, 0, 0);
	m.bar = mmap_bar(m.k, 2, 4 * SZ_2M, 0);
	expect_rc(slot1(m.k, 0, 0, GPA_BASE, 64 * SZ_4K, m.a), 0);
	expect_rc(slot1(m.k, 5, LOG, 2 * GPA_BASE, 64 * SZ_4K, m.b), 0);
	fault_map(m.k, GPA_BASE, WRITE);
	fault_map(m.k, GPA_BASE + 63 * SZ_4K, READ);
	fault_map(m.k, 2 * GPA_BASE + 7 * SZ_4K, WRITE);
	return m;
}

static void test_M1_flags_einval(void **state)
{
	struct mfx m = mfx_new("grace-hopper", S2MT_ERA_6_17);
	struct kx *k = m.k;
	static const uint32_t bad[] = { 1u << 3,
					1u << 4,
					1u << 31,
					0xf8,
					KVM_MEM_GUEST_MEMFD,
					KVM_MEM_GUEST_MEMFD | LOG };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* CREATE, and on an existing slot. */
		expect_refused(k, slot1(k, 1, bad[i], 3 * GPA_BASE, SZ_4K, m.a),
			       -S2MT_EINVAL, "M1");
		expect_refused(k, slot2(k, 1, bad[i], 3 * GPA_BASE, SZ_4K, m.a),
			       -S2MT_EINVAL, "M1");
		expect_refused(k,
			       slot1(k, 0, bad[i], GPA_BASE, 64 * SZ_4K, m.a),
			       -S2MT_EINVAL, "M1");
		expect_refused(k,
			       slot2(k, 0, bad[i], GPA_BASE, 64 * SZ_4K, m.a),
			       -S2MT_EINVAL, "M1");
		/* Even a delete with bad flags. */
		expect_refused(k, slot1(k, 0, bad[i], GPA_BASE, 0, m.a),
			       -S2MT_EINVAL, "M1");
	}
	/* LOG_DIRTY_PAGES and READONLY are valid, together too. */
	expect_rc(slot1(k, 1, LOG | RO, 3 * GPA_BASE, SZ_4K, m.a), 0);
	expect_rc(slot2(k, 2, RO, 4 * GPA_BASE, SZ_4K, m.a), 0);
	/* READONLY: writes exit to the VMM; reads map read-only. */
	{
		struct s2mt_fault f;
		struct s2mt_leaf leaf;

		expect_rc(fault(k, 4 * GPA_BASE, WRITE, &f), 0);
		assert_int_equal(f.outcome, S2MT_FAULT_MMIO_EXIT);
		assert_false(lookup(k, 4 * GPA_BASE, NULL));
		leaf = fault_map(k, 4 * GPA_BASE, READ);
		assert_int_equal(leaf.s2ap, 1);
		expect_rc(fault(k, 4 * GPA_BASE, WRITE, &f), 0);
		assert_int_equal(f.outcome, S2MT_FAULT_MMIO_EXIT);
		assert_true(lookup(k, 4 * GPA_BASE, &leaf));
		assert_int_equal(leaf.s2ap, 1);
	}
	kx_free(k);
}

static void test_M2_alignment_einval(void **state)
{
	struct mfx m = mfx_new("no-fwb", S2MT_ERA_6_9);
	struct kx *k = m.k;

	(void)state;
	/* Size, GPA and HVA must be page aligned. */
	expect_refused(k, slot1(k, 1, 0, 3 * GPA_BASE, SZ_4K + 0x800, m.a),
		       -S2MT_EINVAL, "M2");
	expect_refused(k, slot1(k, 1, 0, 3 * GPA_BASE + 0x800, SZ_4K, m.a),
		       -S2MT_EINVAL, "M2");
	expect_refused(k, slot1(k, 1, 0, 3 * GPA_BASE, SZ_4K, m.a + 0x10),
		       -S2MT_EINVAL, "M2");
	expect_refused(k, slot2(k, 1, 0, 3 * GPA_BASE, 0x800, m.a),
		       -S2MT_EINVAL, "M2");
	/* On an existing slot too. */
	expect_refused(k, slot1(k, 0, 0, GPA_BASE + 1, 64 * SZ_4K, m.a),
		       -S2MT_EINVAL, "M2");
	/* The HVA range must stay in the user address space. */
	expect_refused(
		k,
		slot1(k, 1, 0, 3 * GPA_BASE, 2 * SZ_4K, S2MT_TASK_SIZE - SZ_4K),
		-S2MT_EINVAL, "M2");
	kx_free(k);
}

static void test_M2_slot_ids_einval(void **state)
{
	struct mfx m = mfx_new("grace-hopper", S2MT_ERA_6_17);
	struct kx *k = m.k;

	(void)state;
	/* Address space id (slot >> 16) must be 0 on arm64. */
	expect_refused(k, slot1(k, 1u << 16, 0, 3 * GPA_BASE, SZ_4K, m.a),
		       -S2MT_EINVAL, "M2");
	expect_refused(k, slot2(k, (1u << 16) | 1, 0, 3 * GPA_BASE, SZ_4K, m.a),
		       -S2MT_EINVAL, "M2");
	expect_refused(k, slot1(k, 0xffff0000u, 0, 3 * GPA_BASE, SZ_4K, m.a),
		       -S2MT_EINVAL, "M2");
	/* Slot id below 32767. */
	expect_refused(k, slot1(k, 32767, 0, 3 * GPA_BASE, SZ_4K, m.a),
		       -S2MT_EINVAL, "M2");
	expect_refused(k, slot1(k, 0xffff, 0, 3 * GPA_BASE, SZ_4K, m.a),
		       -S2MT_EINVAL, "M2");
	expect_rc(slot1(k, 32766, 0, 3 * GPA_BASE, SZ_4K, m.a), 0);
	assert_non_null(s2mt_vm_slot_by_id(k->vm, 32766));
	kx_free(k);
}

static void test_M2_wrap_and_size_einval(void **state)
{
	struct mfx m = mfx_new("grace-hopper", S2MT_ERA_6_17);
	struct kx *k = m.k;
	struct s2mt_vm *big;
	uint64_t max = S2MT_KVM_MEM_MAX_NR_PAGES;

	(void)state;
	/* GPA + size wraps: -EINVAL (not the M3 -EFAULT). */
	expect_refused(k, slot1(k, 1, 0, 0xfffffffffffff000ull, 2 * SZ_4K, m.a),
		       -S2MT_EINVAL, "M2");
	expect_refused(k, slot1(k, 1, 0, 1ull << 63, 1ull << 63, 0),
		       -S2MT_EINVAL, "M2");
	/* Too many pages. */
	expect_refused(k,
		       slot1(k, 1, 0, 1ull << 44, (max + 1) * SZ_4K,
			     0x100000000000ull),
		       -S2MT_EINVAL, "M2");
	/* Exactly KVM_MEM_MAX_NR_PAGES passes M2: in a 40-bit VM it then
	 * fails M3 (-EFAULT); in a 48-bit VM over unmapped HVA (holes are
	 * skipped) it is accepted. */
	expect_refused(
		k, slot1(k, 1, 0, 1ull << 44, max * SZ_4K, 0x100000000000ull),
		-S2MT_EFAULT, "M3");
	expect_rc(
		s2mt_kvm_create_vm(&k->kvm, KVM_VM_TYPE_ARM_IPA_SIZE(48), &big),
		0);
	{
		struct s2mt_userspace_memory_region r = {
			.slot = 1,
			.guest_phys_addr = 0,
			.memory_size = max * SZ_4K,
			.userspace_addr = 0x100000000000ull,
		};

		expect_rc(s2mt_vm_set_user_memory_region(big, &r), 0);
		r.memory_size += SZ_4K;
		r.slot = 2;
		r.guest_phys_addr = 1ull << 46;
		expect_rc(s2mt_vm_set_user_memory_region(big, &r),
			  -S2MT_EINVAL);
		assert_int_equal(big->nr_slots, 1);
	}
	kx_free(k);
}

static void test_M2_delete(void **state)
{
	struct mfx m = mfx_new("grace-hopper", S2MT_ERA_6_17);
	struct kx *k = m.k;

	(void)state;
	/* Delete of a slot that does not exist. */
	expect_refused(k, slot1(k, 1, 0, GPA_BASE, 0, m.a), -S2MT_EINVAL, "M2");
	expect_refused(k, slot2(k, 77, 0, 0, 0, 0), -S2MT_EINVAL, "M2");
	/* Delete of slot 0: its leaves go, slot 5's stay. */
	assert_true(lookup(k, GPA_BASE, NULL));
	expect_rc(slot1(k, 0, 0, 0, 0, 0), 0);
	assert_null(s2mt_vm_slot_by_id(k->vm, 0));
	assert_false(lookup(k, GPA_BASE, NULL));
	assert_false(lookup(k, GPA_BASE + 63 * SZ_4K, NULL));
	assert_true(lookup(k, 2 * GPA_BASE + 7 * SZ_4K, NULL));
	/* Now it is gone: deleting again is -EINVAL. */
	expect_refused(k, slot1(k, 0, 0, GPA_BASE, 0, m.a), -S2MT_EINVAL, "M2");
	/* The IPA is now an MMIO exit. */
	{
		struct s2mt_fault f;

		expect_rc(fault(k, GPA_BASE, READ, &f), 0);
		assert_int_equal(f.outcome, S2MT_FAULT_MMIO_EXIT);
	}
	kx_free(k);
}

static void test_M2_existing_slot_changes(void **state)
{
	struct mfx m = mfx_new("no-fwb", S2MT_ERA_6_17);
	struct kx *k = m.k;
	const struct s2mt_memslot *s;
	struct snap *before = calloc(1, sizeof(*before));

	(void)state;
	assert_non_null(before);
	/* HVA, size or READONLY may not change. */
	expect_refused(k, slot1(k, 0, 0, GPA_BASE, 64 * SZ_4K, m.b),
		       -S2MT_EINVAL, "M2");
	expect_refused(k, slot1(k, 0, 0, GPA_BASE, 32 * SZ_4K, m.a),
		       -S2MT_EINVAL, "M2");
	expect_refused(k, slot1(k, 0, RO, GPA_BASE, 64 * SZ_4K, m.a),
		       -S2MT_EINVAL, "M2");
	expect_refused(k, slot2(k, 0, RO | LOG, GPA_BASE, 64 * SZ_4K, m.a),
		       -S2MT_EINVAL, "M2");
	/* Even together with a move. */
	expect_refused(k, slot1(k, 0, 0, 3 * GPA_BASE, 32 * SZ_4K, m.a),
		       -S2MT_EINVAL, "M2");

	/* Identical: 0, and nothing changes (leaves stay mapped). */
	take_snap(k, before);
	expect_rc(slot1(k, 0, 0, GPA_BASE, 64 * SZ_4K, m.a), 0);
	expect_rc(slot2(k, 5, LOG, 2 * GPA_BASE, 64 * SZ_4K, m.b), 0);
	expect_same(k, before, "identical re-registration");

	/* FLAGS_ONLY: start logging slot 0; stop logging slot 5. */
	expect_rc(slot1(k, 0, LOG, GPA_BASE, 64 * SZ_4K, m.a), 0);
	s = s2mt_vm_slot_by_id(k->vm, 0);
	assert_int_equal(s->flags, LOG);
	assert_int_equal(s->gpa, GPA_BASE);
	assert_non_null(s->dirty_bitmap);
	expect_rc(slot1(k, 5, 0, 2 * GPA_BASE, 64 * SZ_4K, m.b), 0);
	s = s2mt_vm_slot_by_id(k->vm, 5);
	assert_int_equal(s->flags, 0);
	{
		uint64_t bm[1];

		expect(not_logging_err(s2mt_vm_get_dirty_log(k->vm, 5, bm)),
		       "logging stopped");
		expect_rc(s2mt_vm_get_dirty_log(k->vm, 0, bm), 0);
	}

	/* MOVE: a new GPA; the old IPA range is unmapped. */
	assert_true(lookup(k, GPA_BASE, NULL));
	expect_rc(slot1(k, 0, LOG, 3 * GPA_BASE, 64 * SZ_4K, m.a), 0);
	s = s2mt_vm_slot_by_id(k->vm, 0);
	assert_int_equal(s->gpa, 3 * GPA_BASE);
	assert_int_equal(s->hva, m.a);
	assert_false(lookup(k, GPA_BASE, NULL));
	assert_false(lookup(k, GPA_BASE + 63 * SZ_4K, NULL));
	assert_null(s2mt_vm_find_slot(k->vm, GPA_BASE));
	assert_ptr_equal(s2mt_vm_find_slot(k->vm, 3 * GPA_BASE + SZ_4K), s);
	fault_map(k, 3 * GPA_BASE, READ);
	/* MOVE with a flags change at once. */
	expect_rc(slot2(k, 0, 0, 5 * GPA_BASE, 64 * SZ_4K, m.a), 0);
	s = s2mt_vm_slot_by_id(k->vm, 0);
	assert_int_equal(s->gpa, 5 * GPA_BASE);
	assert_int_equal(s->flags, 0);
	assert_false(lookup(k, 3 * GPA_BASE, NULL));
	free(before);
	kx_free(k);
}

static void test_M2_overlap_eexist(void **state)
{
	struct mfx m = mfx_new("grace-hopper", S2MT_ERA_6_17);
	struct kx *k = m.k;

	(void)state;
	/* CREATE overlapping slot 0 [4G, 4G + 256K): start, end, inside,
	 * around. */
	expect_refused(k, slot1(k, 1, 0, GPA_BASE - SZ_4K, 2 * SZ_4K, m.b),
		       -S2MT_EEXIST, "M2");
	expect_refused(k, slot1(k, 1, 0, GPA_BASE + 63 * SZ_4K, 2 * SZ_4K, m.b),
		       -S2MT_EEXIST, "M2");
	expect_refused(k, slot2(k, 1, 0, GPA_BASE + SZ_64K, SZ_4K, m.b),
		       -S2MT_EEXIST, "M2");
	expect_refused(k, slot1(k, 1, 0, 0, 2 * GPA_BASE, 0x100000000000ull),
		       -S2MT_EEXIST, "M2");
	/* MOVE of slot 5 onto slot 0. */
	expect_refused(k, slot1(k, 5, LOG, GPA_BASE + SZ_64K, 64 * SZ_4K, m.b),
		       -S2MT_EEXIST, "M2");
	/* Overlap is checked before the arch checks: an overlapping BAR slot
	 * with logging is -EEXIST, not -EINVAL. */
	expect_refused(k, slot1(k, 1, LOG, GPA_BASE, 4 * SZ_2M, m.bar),
		       -S2MT_EEXIST, "M2");
	/* Adjacent slots are fine. */
	expect_rc(slot1(k, 1, 0, GPA_BASE + 64 * SZ_4K, SZ_4K, m.b), 0);
	expect_rc(slot1(k, 2, 0, GPA_BASE - SZ_4K, SZ_4K, m.b), 0);
	/* A slot may move over (part of) its own old range. */
	expect_rc(slot1(k, 5, LOG, 2 * GPA_BASE + SZ_4K, 64 * SZ_4K, m.b), 0);
	assert_int_equal(s2mt_vm_slot_by_id(k->vm, 5)->gpa,
			 2 * GPA_BASE + SZ_4K);
	kx_free(k);
}

static void test_M3_slot_beyond_ipa_space_efault(void **state)
{
	struct mfx m = mfx_new("grace-hopper", S2MT_ERA_6_17);
	struct kx *k = m.k;
	uint64_t top = 1ull << 40; /* the default 40-bit IPA space */
	struct s2mt_vm *small;

	(void)state;
	assert_int_equal(k->vm->ipa_bits, 40);
	expect_refused(k, slot1(k, 1, 0, top - SZ_4K, 2 * SZ_4K, m.b),
		       -S2MT_EFAULT, "M3");
	expect_refused(k, slot2(k, 1, 0, top, SZ_4K, m.b), -S2MT_EFAULT, "M3");
	/* -EFAULT comes before the per-VMA checks. */
	expect_refused(k, slot1(k, 1, LOG, top, 4 * SZ_2M, m.bar), -S2MT_EFAULT,
		       "M3");
	/* A MOVE beyond the IPA space. */
	expect_refused(k, slot1(k, 0, 0, top - SZ_64K, 64 * SZ_4K, m.a),
		       -S2MT_EFAULT, "M3");
	/* ... and a FLAGS_ONLY change is accepted (the slot is inside). */
	expect_rc(slot1(k, 0, LOG, GPA_BASE, 64 * SZ_4K, m.a), 0);
	/* Ending exactly at the top is fine. */
	expect_rc(slot1(k, 1, 0, top - 64 * SZ_4K, 64 * SZ_4K, m.b), 0);
	fault_map(k, top - SZ_4K, WRITE);

	/* A VM with a 36-bit IPA space. */
	expect_rc(s2mt_kvm_create_vm(&k->kvm, 36, &small), 0);
	assert_int_equal(small->ipa_bits, 36);
	{
		struct s2mt_userspace_memory_region r = {
			.slot = 0,
			.guest_phys_addr = (1ull << 36) - SZ_4K,
			.memory_size = 2 * SZ_4K,
			.userspace_addr = m.a,
		};

		expect_rc(s2mt_vm_set_user_memory_region(small, &r),
			  -S2MT_EFAULT);
		assert_int_equal(small->nr_slots, 0);
		r.memory_size = SZ_4K;
		expect_rc(s2mt_vm_set_user_memory_region(small, &r), 0);
	}
	kx_free(k);
}

/* M3 looks at every VMA in the range; holes are skipped (they fault). */
static void test_M3_every_vma_checked_holes_skipped(void **state)
{
	(void)state;
	for (unsigned era = 0; era < S2MT_ERA_COUNT_; era++) {
		struct kx *k = kx_new("no-fwb", era);
		uint64_t a = mmap_anon(k, 6 * SZ_2M, S2MT_BACK_ANON, SZ_1G, 0);
		struct s2mt_mmap_req r;
		struct s2mt_fault f;
		uint64_t hva;

		/* [anon 2M][hole 2M][usemem 2M] */
		expect_rc(s2mt_mm_munmap(&k->mm, a + 2 * SZ_2M, 4 * SZ_2M), 0);
		r = mreq(2 * SZ_2M, S2MT_MAP_SHARED | S2MT_MAP_FIXED, 0, 0);
		r.addr = a + 4 * SZ_2M;
		expect_rc(s2mt_mm_mmap_nvgrace(&k->mm, &r, k->gpu,
					       S2MT_NVGRACE_USEMEM, 0, &hva),
			  0);
		/* The usemem VMA after the hole is checked: logging -> K7;
		 * 6.17 without FWB/DIC -> M3. */
		expect_refused(k, slot1(k, 0, LOG, GPA_BASE, 6 * SZ_2M, a),
			       -S2MT_EINVAL, "K7");
		if (era == S2MT_ERA_6_17) {
			expect_refused(k,
				       slot1(k, 0, 0, GPA_BASE, 6 * SZ_2M, a),
				       -S2MT_EINVAL, "M3");
			/* The slot without the usemem part is fine. */
			expect_rc(slot1(k, 0, 0, GPA_BASE, 4 * SZ_2M, a), 0);
		} else {
			expect_rc(slot1(k, 0, 0, GPA_BASE, 6 * SZ_2M, a), 0);
			fault_map(k, GPA_BASE + 4 * SZ_2M, READ);
		}
		fault_map(k, GPA_BASE, WRITE);
		/* The hole faults with -EFAULT. */
		expect_rc(fault(k, GPA_BASE + 3 * SZ_2M, READ, &f),
			  -S2MT_EFAULT);
		assert_int_equal(f.outcome, S2MT_FAULT_EFAULT);
		assert_false(lookup(k, GPA_BASE + 3 * SZ_2M, NULL));
		kx_free(k);
	}
}

/* M4: a refused request changes nothing: slots, stage 2, dirty bitmaps,
 * the invalidation sequence. One VM, every kind of refusal in a row. */
static void test_M4_refused_calls_change_nothing(void **state)
{
	struct mfx m = mfx_new("no-fwb", S2MT_ERA_6_17);
	struct kx *k = m.k;
	uint64_t use = mmap_usemem(k, SZ_1G, 0, 0);
	uint64_t top = 1ull << 40;
	const struct s2mt_memslot *s5 = s2mt_vm_slot_by_id(k->vm, 5);
	uint64_t bits_before, bm[1];

	(void)state;
	bits_before = s5->dirty_bitmap[0];
	assert_int_equal(bits_before, 1ull << 7);
	expect_refused(k, slot1(k, 1, 1u << 3, 3 * GPA_BASE, SZ_4K, m.a),
		       -S2MT_EINVAL, "M1");
	expect_refused(k, slot1(k, 1, 0, 3 * GPA_BASE, 0x800, m.a),
		       -S2MT_EINVAL, "M2");
	expect_refused(k, slot1(k, 1u << 16, 0, 3 * GPA_BASE, SZ_4K, m.a),
		       -S2MT_EINVAL, "M2");
	expect_refused(k, slot1(k, 9, 0, 0, 0, 0), -S2MT_EINVAL, "M2");
	expect_refused(k, slot1(k, 5, 0, 2 * GPA_BASE, 32 * SZ_4K, m.b),
		       -S2MT_EINVAL, "M2");
	expect_refused(k, slot1(k, 5, LOG, GPA_BASE, 64 * SZ_4K, m.b),
		       -S2MT_EEXIST, "M2");
	expect_refused(k, slot1(k, 5, LOG, top, 64 * SZ_4K, m.b), -S2MT_EFAULT,
		       "M3");
	expect_refused(k, slot1(k, 1, 0, 3 * GPA_BASE, SZ_1G, use),
		       -S2MT_EINVAL, "M3");
	expect_refused(k, slot1(k, 1, LOG, 3 * GPA_BASE, 4 * SZ_2M, m.bar),
		       -S2MT_EINVAL, "K7");
	/* A MOVE refused by M3 leaves the slot and its leaves in place. */
	expect_refused(k, slot1(k, 0, 0, top - SZ_4K, 64 * SZ_4K, m.a),
		       -S2MT_EFAULT, "M3");
	assert_true(lookup(k, GPA_BASE, NULL));
	/* The dirty bitmap was not touched either. */
	assert_ptr_equal(s2mt_vm_slot_by_id(k->vm, 5), s5);
	assert_int_equal(s5->dirty_bitmap[0], bits_before);
	expect_rc(s2mt_vm_get_dirty_log(k->vm, 5, bm), 0);
	assert_int_equal(bm[0], 1ull << 7);
	kx_free(k);
}

/* ------------------------------------------------------------------ */
/* 6.17 on every preset: a full scenario leaves no Z1-Z4/Z7             */
/* ------------------------------------------------------------------ */

static void test_6_17_every_preset_scenario_no_hazards(void **state)
{
	(void)state;
	for (size_t p = 0; p < NR_PRESETS; p++) {
		struct kx *k = kx_new(presets[p], S2MT_ERA_6_17);
		bool cpfn = k->host.caps.fwb && k->host.caps.dic;
		uint64_t anon = mmap_anon(k, 64 * SZ_4K, S2MT_BACK_ANON, 0, 0);
		uint64_t thp = mmap_anon(k, 4 * SZ_2M, S2MT_BACK_THP, 0, 0);
		uint64_t h2 =
			mmap_anon(k, 4 * SZ_2M, S2MT_BACK_HUGETLB_2M, 0, 0);
		uint64_t h1 = mmap_anon(k, SZ_1G, S2MT_BACK_HUGETLB_1G, 0, 0);
		uint64_t bar = mmap_bar(k, 2, 4 * SZ_2M, 0);
		uint64_t res = mmap_nvgrace(k, S2MT_NVGRACE_RESMEM, 4 * SZ_2M,
					    0, 0, 0);
		uint64_t use = mmap_usemem(k, SZ_1G, 0, 0);
		uint64_t bm[1];
		struct s2mt_fault f;
		unsigned acc[] = { READ, WRITE, EXEC };

		expect_rc(slot1(k, 0, LOG, GPA_BASE, 64 * SZ_4K, anon), 0);
		expect_rc(slot1(k, 1, 0, 2 * GPA_BASE, 4 * SZ_2M, thp), 0);
		expect_rc(slot2(k, 2, 0, 3 * GPA_BASE, 4 * SZ_2M, h2), 0);
		expect_rc(slot1(k, 3, 0, 4 * GPA_BASE, SZ_1G, h1), 0);
		expect_rc(slot1(k, 4, 0, 5 * GPA_BASE, 4 * SZ_2M, bar), 0);
		expect_rc(slot1(k, 5, RO, 6 * GPA_BASE, 4 * SZ_2M, res), 0);
		expect_rc(slot1(k, 6, 0, 7 * GPA_BASE, SZ_1G, use),
			  cpfn ? 0 : -S2MT_EINVAL);
		for (unsigned s = 0; s < 7; s++)
			for (unsigned a = 0; a < 3; a++)
				for (unsigned i = 0; i < 3; i++)
					fault(k,
					      (s + 1) * GPA_BASE +
						      i * (SZ_2M + SZ_4K),
					      acc[a], &f);
		expect_rc(s2mt_vm_get_dirty_log(k->vm, 0, bm), 0);
		expect_rc(s2mt_mm_munmap(&k->mm, thp + SZ_2M, SZ_2M), 0);
		expect_rc(s2mt_mm_mprotect(&k->mm, h2, SZ_2M, RD), 0);
		expect_rc(slot1(k, 4, 0, 9 * GPA_BASE, 4 * SZ_2M, bar), 0);
		expect_rc(slot1(k, 3, 0, 4 * GPA_BASE, 0, h1), 0);
		for (unsigned s = 0; s < 10; s++)
			fault(k, (s + 1) * GPA_BASE + SZ_4K, READ, &f);
		expect_clean_6_17(k);
		/* Destroying the VM first: nothing outlives it. */
		s2mt_vm_destroy(k->vm);
		k->vm = NULL;
		assert_int_equal(k->kvm.nr_vms, 0);
		kx_destroy(k);
	}
}

/* A2/C1: KVM_CREATE_VM's type is the IPA size; bad types are refused. */
static void test_A2_create_vm_ipa_size(void **state)
{
	struct s2mt_host host;
	struct s2mt_mm mm;
	struct s2mt_kvm kvm;
	struct s2mt_vm *vm, *vms[S2MT_MAX_VMS];
	size_t n = 0;

	(void)state;
	assert_int_equal(s2mt_host_init(&host, "grace-hopper", S2MT_ERA_6_17,
					1ULL << 30),
			 0);
	assert_int_equal(s2mt_mm_init(&mm, &host), 0);
	s2mt_kvm_open(&kvm, &host, &mm);
	assert_int_equal(
		s2mt_kvm_check_extension(&kvm, KVM_CAP_ARM_VM_IPA_SIZE), 48);
	/* bits above the IPA size field */
	assert_int_equal(s2mt_kvm_create_vm(&kvm, 0x100 | 40, &vm),
			 -S2MT_EINVAL);
	assert_non_null(strstr(kvm.why, "A2"));
	/* beyond the host's limit, below 32 */
	assert_int_equal(s2mt_kvm_create_vm(&kvm, 49, &vm), -S2MT_EINVAL);
	assert_int_equal(s2mt_kvm_create_vm(&kvm, 31, &vm), -S2MT_EINVAL);
	assert_int_equal(kvm.nr_vms, 0);
	/* 0 means 40 bits; 48 and 32 are the ends of the range */
	assert_int_equal(s2mt_kvm_create_vm(&kvm, 0, &vm), 0);
	assert_int_equal(vm->ipa_bits, 40);
	assert_int_equal(s2mt_pgt_vtcr(&vm->pgt) & 0x3f, 64 - 40);
	vms[n++] = vm;
	assert_int_equal(s2mt_kvm_create_vm(&kvm, 48, &vm), 0);
	assert_int_equal(vm->pgt.geo.start_level, 0);
	vms[n++] = vm;
	assert_int_equal(s2mt_kvm_create_vm(&kvm, 32, &vm), 0);
	assert_int_equal(vm->pgt.geo.start_level, 2);
	vms[n++] = vm;
	/* VMIDs differ */
	assert_int_not_equal(vms[0]->pgt.cfg.vmid, vms[1]->pgt.cfg.vmid);
	while (n < S2MT_MAX_VMS) {
		assert_int_equal(s2mt_kvm_create_vm(&kvm, 0, &vm), 0);
		vms[n++] = vm;
	}
	assert_int_equal(s2mt_kvm_create_vm(&kvm, 0, &vm), -S2MT_ENOMEM);
	/* only KVM_CAP_ARM_MTE can be enabled */
	assert_int_equal(s2mt_vm_enable_cap(vms[0], KVM_CAP_READONLY_MEM),
			 -S2MT_EINVAL);
	/* grace-hopper has no MTE */
	assert_int_equal(s2mt_vm_enable_cap(vms[0], KVM_CAP_ARM_MTE),
			 -S2MT_EINVAL);
	assert_int_equal(s2mt_vm_check_extension(vms[0], KVM_CAP_ARM_MTE), 0);
	assert_int_equal(s2mt_vm_check_extension(vms[0], 9999), 0);
	assert_string_equal(s2mt_fault_outcome_name(S2MT_FAULT_MMIO_EXIT),
			    "MMIO exit");
	assert_string_equal(s2mt_fault_outcome_token(S2MT_FAULT_INJECT_IABT),
			    "inject-iabt");
	assert_string_equal(s2mt_fault_outcome_name(99), "?");
	s2mt_kvm_close(&kvm);
	assert_int_equal(kvm.nr_vms, 0);
	s2mt_mm_fini(&mm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_A2_create_vm_ipa_size),
		cmocka_unit_test_teardown(test_designs_bit3_validity, teardown),
		cmocka_unit_test_teardown(test_designs_usemem_unmodified_vmm,
					  teardown),
		cmocka_unit_test_teardown(test_designs_raise_the_kernel,
					  teardown),
		cmocka_unit_test_teardown(test_cmem_device, teardown),
		cmocka_unit_test_teardown(test_x86_host, teardown),
		cmocka_unit_test_teardown(
			test_seed_usemem_grace_hopper_6_17_normal_wb, teardown),
		cmocka_unit_test_teardown(
			test_seed_usemem_6_17_without_fwb_or_dic, teardown),
		cmocka_unit_test_teardown(test_seed_usemem_6_9_device_and_z1,
					  teardown),
		cmocka_unit_test_teardown(test_seed_vfio_bar_per_era, teardown),
		cmocka_unit_test_teardown(test_seed_resmem_normal_nc, teardown),
		cmocka_unit_test_teardown(test_K3_exec_on_bar_injects_abort,
					  teardown),
		cmocka_unit_test_teardown(test_K4_pfnmap_pud_when_congruent,
					  teardown),
		cmocka_unit_test_teardown(test_K4_pfnmap_pmd_when_2m_congruent,
					  teardown),
		cmocka_unit_test_teardown(test_K4_pfnmap_pages_when_misaligned,
					  teardown),
		cmocka_unit_test_teardown(test_K4_block_must_fit_memslot,
					  teardown),
		cmocka_unit_test_teardown(test_K4_pfnmap_block_inside_vma,
					  teardown),
		cmocka_unit_test_teardown(
			test_K4_corner_aligned_hva_follows_kernel, teardown),
		cmocka_unit_test_teardown(test_K4_dirty_logging_forces_pages,
					  teardown),
		cmocka_unit_test_teardown(test_K4_hugetlb_1g, teardown),
		cmocka_unit_test_teardown(test_K4_hugetlb_2m, teardown),
		cmocka_unit_test_teardown(test_K4_thp_upgrades_to_2m, teardown),
		cmocka_unit_test_teardown(test_K5_cmo_bytes_no_fwb_4k_2m_1g,
					  teardown),
		cmocka_unit_test_teardown(test_K5_no_dclean_on_fwb_hosts,
					  teardown),
		cmocka_unit_test_teardown(test_K5_device_leaf_not_cleaned,
					  teardown),
		cmocka_unit_test_teardown(test_K6_mte_vm_pfnmap_slot_einval,
					  teardown),
		cmocka_unit_test_teardown(test_K6_mte_fault_efault, teardown),
		cmocka_unit_test_teardown(test_K7_pfnmap_log_dirty_einval,
					  teardown),
		cmocka_unit_test_teardown(
			test_K7_dirty_bitmap_and_write_protect, teardown),
		cmocka_unit_test_teardown(
			test_K7_flags_only_enable_logging_write_protects,
			teardown),
		cmocka_unit_test_teardown(
			test_K7_move_with_flags_change_updates_logging,
			teardown),
		cmocka_unit_test_teardown(
			test_K5_guest_cache_toggle_cleans_the_vm, teardown),
		cmocka_unit_test_teardown(test_K8_retry_when_invalidated,
					  teardown),
		cmocka_unit_test_teardown(test_K8_munmap_unmaps_stage2,
					  teardown),
		cmocka_unit_test_teardown(test_C1_cap243_per_era_and_handle,
					  teardown),
		cmocka_unit_test_teardown(test_M1_flags_einval, teardown),
		cmocka_unit_test_teardown(test_M2_alignment_einval, teardown),
		cmocka_unit_test_teardown(test_M2_slot_ids_einval, teardown),
		cmocka_unit_test_teardown(test_M2_wrap_and_size_einval,
					  teardown),
		cmocka_unit_test_teardown(test_M2_delete, teardown),
		cmocka_unit_test_teardown(test_M2_existing_slot_changes,
					  teardown),
		cmocka_unit_test_teardown(test_M2_overlap_eexist, teardown),
		cmocka_unit_test_teardown(test_M3_slot_beyond_ipa_space_efault,
					  teardown),
		cmocka_unit_test_teardown(
			test_M3_every_vma_checked_holes_skipped, teardown),
		cmocka_unit_test_teardown(test_M4_refused_calls_change_nothing,
					  teardown),
		cmocka_unit_test_teardown(
			test_6_17_every_preset_scenario_no_hazards, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
