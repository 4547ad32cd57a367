// SPDX-License-Identifier: MIT
/*
 * Tests of the hazard checker (src/model/hazard.c, SPEC section 9) and the
 * memory-type query (src/model/query.c, SPEC D5): for each hazard Z1..Z8 one
 * test that makes it and one that makes the nearest state without it. Where
 * the faithful fault path can produce the state (Z1, Z5, Z6, Z7, Z8) the
 * tests use it; Z2, Z3 and Z4 cannot arise through it, so those tests build
 * the leaf with s2mt_pgt_map() on the VM's own table (and, for Z4, by
 * clearing XN in the descriptor, since the table code refuses X with
 * Device, K3). Expected values come from SPEC.md, not from the code.
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
#define SZ_1M 0x100000ull
#define SZ_2M 0x200000ull
#define SZ_1G 0x40000000ull

#define RD S2MT_PROT_READ
#define WR S2MT_PROT_WRITE

#define READ S2MT_ACCESS_READ
#define WRITE S2MT_ACCESS_WRITE
#define EXEC S2MT_ACCESS_EXEC

#define G0 0x40000000ull /* 1 GiB: the first slot */
#define G1 0x80000000ull /* 2 GiB */
#define G2 0xc0000000ull /* 3 GiB */

#define BIT(z) S2MT_HAZARD_BIT(z)

#include "support/expect.h"

/* ------------------------------------------------------------------ */
/* Fixture                                                             */
/* ------------------------------------------------------------------ */

#define MAX_HZ 256

struct fx {
	struct s2mt_host host;
	struct s2mt_mm mm;
	struct s2mt_kvm kvm;
	struct s2mt_vm *vm;
	int nic, gpu;
	struct s2mt_hazard hz[MAX_HZ];
	size_t nr;
};

static const struct s2mt_bar_spec nic_bars[S2MT_MAX_BARS] = {
	/* BAR0: registers, reads have side effects (Z6). */
	[0] = { .size = SZ_64K, .read_side_effects = true },
	/* BAR2: prefetchable memory. */
	[2] = { .size = 16 * SZ_1M, .prefetchable = true },
};

/* The fixtures alive in the running test, freed by the teardown even when
 * a check fails (cmocka leaves the test by longjmp), so that LeakSanitizer
 * reports only the model's own leaks. */
static struct fx *g_live[4];

/* A kernel release for the next fixture instead of the era's
 * representative (a test that needs a finer boundary sets it). */
static const char *g_kernel;

static struct fx *fx_new(unsigned era, const char *preset)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	for (size_t i = 0; i < 4; i++)
		if (!g_live[i]) {
			g_live[i] = f;
			break;
		}
	expect_rc(s2mt_host_init(&f->host, preset, era, 64 * SZ_1G), 0);
	if (g_kernel) {
		struct s2mt_kernel kv;
		char kerr[160];

		expect_rc(s2mt_kernel_parse(g_kernel, &kv, kerr, sizeof(kerr)),
			  0);
		expect_rc(s2mt_host_set_kernel(&f->host, &kv), 0);
	}
	expect_rc(host_with_nvgrace_driver(&f->host), 0);
	f->nic = s2mt_host_add_vfio_pci(&f->host, "nic0", nic_bars);
	f->gpu = s2mt_host_add_nvgrace(&f->host, "gpu0", 2 * SZ_1G, 64 * SZ_1M);
	expect(f->nic >= 0 && f->gpu >= 0, "devices %d %d", f->nic, f->gpu);
	expect_rc(s2mt_mm_init(&f->mm, &f->host), 0);
	expect_rc(s2mt_kvm_open(&f->kvm, &f->host, &f->mm), 0);
	expect_rc(s2mt_kvm_create_vm(&f->kvm, 0, &f->vm), 0);
	return f;
}

static void fx_free(struct fx *f)
{
	for (size_t i = 0; i < 4; i++)
		if (g_live[i] == f)
			g_live[i] = NULL;
	s2mt_kvm_close(&f->kvm);
	s2mt_mm_fini(&f->mm);
	free(f);
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < 4; i++)
		if (g_live[i])
			fx_free(g_live[i]);
	return 0;
}

static uint64_t usemem_pa(struct fx *f)
{
	return f->host.devices[f->gpu].usemem_pa;
}

static uint64_t bar_pa(struct fx *f, unsigned bar)
{
	return f->host.devices[f->nic].bars[bar].pa;
}

static struct s2mt_mmap_req req_of(uint64_t len, unsigned flags)
{
	struct s2mt_mmap_req r = { .len = len,
				   .prot = RD | WR,
				   .flags = flags };

	return r;
}

static uint64_t map_anon(struct fx *f, uint64_t len, unsigned backing)
{
	struct s2mt_mmap_req r = req_of(len, S2MT_MAP_PRIVATE);
	uint64_t hva = 0;

	expect_rc(s2mt_mm_mmap_anon(&f->mm, &r, backing, &hva), 0);
	return hva;
}

static uint64_t map_usemem(struct fx *f, uint64_t off, uint64_t len)
{
	struct s2mt_mmap_req r = req_of(len, S2MT_MAP_SHARED);
	uint64_t hva = 0;

	expect_rc(s2mt_mm_mmap_nvgrace(&f->mm, &r, f->gpu, S2MT_NVGRACE_USEMEM,
				       off, &hva),
		  0);
	return hva;
}

static uint64_t map_bar(struct fx *f, unsigned bar, uint64_t off, uint64_t len)
{
	struct s2mt_mmap_req r = req_of(len, S2MT_MAP_SHARED);
	uint64_t hva = 0;

	expect_rc(s2mt_mm_mmap_vfio_bar(&f->mm, &r, f->nic, bar, off, &hva), 0);
	return hva;
}

static uint64_t map_devmem(struct fx *f, uint64_t pa, uint64_t len)
{
	struct s2mt_mmap_req r = req_of(len, S2MT_MAP_SHARED);
	uint64_t hva = 0;

	expect_rc(s2mt_mm_mmap_devmem(&f->mm, &r, pa, &hva), 0);
	return hva;
}

static void add_slot(struct s2mt_vm *vm, uint32_t id, uint64_t gpa,
		     uint64_t size, uint64_t hva)
{
	struct s2mt_userspace_memory_region r = {
		.slot = id,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = hva,
	};

	expect(s2mt_vm_set_user_memory_region(vm, &r) == 0,
	       "slot %u at %#" PRIx64 " +%#" PRIx64 ": %s", id, gpa, size,
	       vm->why);
}

static struct s2mt_fault fault(struct s2mt_vm *vm, uint64_t ipa,
			       unsigned access)
{
	struct s2mt_fault f;
	int rc = s2mt_vm_guest_abort(vm, ipa, access, &f);

	expect(rc == 0 && f.outcome == S2MT_FAULT_MAPPED && f.has_leaf,
	       "fault at %#" PRIx64 ": rc %d outcome %s: %s", ipa, rc,
	       s2mt_fault_outcome_name(f.outcome), f.reason);
	return f;
}

static void hazards(struct fx *f, const struct s2mt_migration_target *t)
{
	expect_rc(s2mt_check_hazards(&f->kvm, t, f->hz, MAX_HZ, &f->nr), 0);
	expect(f->nr <= MAX_HZ, "%zu hazards", f->nr);
}

static size_t count(const struct fx *f, unsigned id)
{
	size_t n = 0;

	for (size_t i = 0; i < f->nr; i++)
		n += f->hz[i].id == id;
	return n;
}

static const struct s2mt_hazard *find(const struct fx *f, unsigned id)
{
	for (size_t i = 0; i < f->nr; i++)
		if (f->hz[i].id == id)
			return &f->hz[i];
	return NULL;
}

/* All the hazard ids found, as S2MT_HAZARD_BIT()s. */
static uint32_t ids(const struct fx *f)
{
	uint32_t b = 0;

	for (size_t i = 0; i < f->nr; i++)
		b |= BIT(f->hz[i].id);
	return b;
}

static void dump(const struct fx *f, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < f->nr && n + 1 < len; i++) {
		int k = snprintf(buf + n, len - n,
				 "[%s IPA %#" PRIx64 " +%#" PRIx64 ": %s] ",
				 s2mt_hazard_name(f->hz[i].id), f->hz[i].ipa,
				 f->hz[i].size, f->hz[i].detail);

		if (k < 0)
			break;
		n += (size_t)k;
	}
}

#define expect_ids(f, want)                                                    \
	do {                                                                   \
		char d_[2048];                                                 \
		dump((f), d_, sizeof(d_));                                     \
		expect(ids(f) == (want), "hazards %#x, want %#x: %s", ids(f),  \
		       (unsigned)(want), d_);                                  \
	} while (0)

/* The detail text names the PA as "%#llx". */
static void expect_names_pa(const struct s2mt_hazard *h, uint64_t pa)
{
	char s[32];

	snprintf(s, sizeof(s), "%#" PRIx64, pa);
	expect(strstr(h->detail, s) != NULL,
	       "%s detail does not name PA %s: %s", s2mt_hazard_name(h->id), s,
	       h->detail);
}

static void expect_hazard(const struct s2mt_hazard *h, unsigned id,
			  const struct s2mt_vm *vm, uint64_t ipa, uint64_t size,
			  uint64_t pa)
{
	expect(h != NULL, "no %s", s2mt_hazard_name(id));
	expect(h->id == id && h->vm == vm && h->ipa == ipa && h->size == size &&
		       h->pa == pa,
	       "%s at IPA %#" PRIx64 " +%#" PRIx64 " PA %#" PRIx64
	       ", want %s at %#" PRIx64 " +%#" PRIx64 " PA %#" PRIx64,
	       s2mt_hazard_name(h->id), h->ipa, h->size, h->pa,
	       s2mt_hazard_name(id), ipa, size, pa);
	expect(h->detail[0], "%s has no detail", s2mt_hazard_name(id));
}

/*
 * The descriptor of the leaf mapping ipa, found by walking the VM's table
 * as A1 lays it out (for building a state the table code refuses).
 */
static uint64_t *leaf_ptep(struct s2mt_pgt *pgt, uint64_t ipa)
{
	unsigned level = pgt->geo.start_level;
	uint64_t *table = pgt->pgd;
	uint64_t idx = ipa >> (12 + 9 * (3 - level));

	for (;;) {
		uint64_t *p = &table[idx], d = *p, pa;

		if (!(d & S2MT_PTE_VALID))
			return NULL;
		if (level == 3 || !(d & S2MT_PTE_TABLE))
			return p;
		pa = d & S2MT_PTE_ADDR_MASK;
		table = pgt->ops->p2v_linear
			? (uint64_t *)(uintptr_t)(pa + pgt->ops->p2v_offset)
			: pgt->ops->phys_to_virt(pgt->ctx, pa);
		level++;
		idx = (ipa >> (12 + 9 * (3 - level))) & 511;
	}
}

/* ------------------------------------------------------------------ */
/* Z1: host cacheable alias, guest non-cacheable                       */
/* ------------------------------------------------------------------ */

/* 6.9 on Grace-Hopper: usemem is a cacheable VMA outside the linear map;
 * K2 6.9 gives it Device at stage 2: the seed case of the 6.17 series. */
static void test_Z1_usemem_6_9_grace_hopper(void **state)
{
	struct fx *f = fx_new(S2MT_ERA_6_9, "grace-hopper");
	uint64_t hva = map_usemem(f, 0, SZ_2M);
	struct s2mt_fault fl;
	const struct s2mt_hazard *h;

	(void)state;
	add_slot(f->vm, 0, G0, SZ_2M, hva);
	fl = fault(f->vm, G0 + 3 * SZ_4K, READ);
	expect(fl.leaf.memattr == 0x1 && fl.leaf.size == SZ_2M,
	       "usemem leaf MemAttr %#x size %#" PRIx64, fl.leaf.memattr,
	       fl.leaf.size);
	hazards(f, NULL);
	expect_ids(f, BIT(S2MT_Z1));
	expect(count(f, S2MT_Z1) == 1, "%zu Z1", count(f, S2MT_Z1));
	h = find(f, S2MT_Z1);
	expect_hazard(h, S2MT_Z1, f->vm, G0, SZ_2M, usemem_pa(f));
	expect_names_pa(h, usemem_pa(f));
	expect(strstr(h->detail, "usemem") != NULL,
	       "Z1 detail does not name the cacheable alias: %s", h->detail);
	fx_free(f);
}

static void test_Z1_negative(void **state)
{
	struct fx *f;
	uint64_t hva;

	(void)state;
	/* 6.17 on Grace-Hopper: the same slot is Normal-WB (K2). */
	f = fx_new(S2MT_ERA_6_17, "grace-hopper");
	hva = map_usemem(f, 0, SZ_2M);
	add_slot(f->vm, 0, G0, SZ_2M, hva);
	expect(fault(f->vm, G0, READ).leaf.memattr == 0x6, "not Normal-WB");
	hazards(f, NULL);
	expect_ids(f, 0);
	fx_free(f);

	/* 6.9: a vfio BAR and resmem are Normal-NC, with no cacheable host
	 * alias (the host maps them Device / Normal-NC). */
	f = fx_new(S2MT_ERA_6_9, "grace-hopper");
	add_slot(f->vm, 0, G0, SZ_2M, map_bar(f, 2, 0, SZ_2M));
	expect(fault(f->vm, G0, READ).leaf.memattr == 0x5, "BAR not NC");
	{
		struct s2mt_mmap_req r = req_of(SZ_2M, S2MT_MAP_SHARED);
		uint64_t res = 0;

		expect_rc(s2mt_mm_mmap_nvgrace(&f->mm, &r, f->gpu,
					       S2MT_NVGRACE_RESMEM, 0, &res),
			  0);
		add_slot(f->vm, 1, G1, SZ_2M, res);
	}
	expect(fault(f->vm, G1, READ).leaf.memattr == 0x5, "resmem not NC");
	hazards(f, NULL);
	expect_ids(f, 0);
	fx_free(f);
}

/* ------------------------------------------------------------------ */
/* Z2: cacheable stage 2 over memory that cannot be cleaned            */
/* ------------------------------------------------------------------ */

static void test_Z2_cacheable_outside_linear_map(void **state)
{
	struct s2mt_prot rw_wb = { .perm = S2MT_PROT_RW,
				   .type = S2MT_MT_NORMAL };
	struct s2mt_prot rwx_wb = { .perm = S2MT_PROT_RWX,
				    .type = S2MT_MT_NORMAL };
	struct fx *f;
	const struct s2mt_hazard *h;

	(void)state;
	/* No FWB: a Normal-WB leaf over usemem (which has no kernel VA)
	 * inside a live usemem slot. */
	f = fx_new(S2MT_ERA_6_9, "no-fwb");
	add_slot(f->vm, 0, G0, SZ_2M, map_usemem(f, 0, SZ_2M));
	expect_rc(s2mt_pgt_map(&f->vm->pgt, G0, SZ_2M, usemem_pa(f), rw_wb, 0),
		  0);
	hazards(f, NULL);
	h = find(f, S2MT_Z2);
	expect_hazard(h, S2MT_Z2, f->vm, G0, SZ_2M, usemem_pa(f));
	expect_names_pa(h, usemem_pa(f));
	expect(count(f, S2MT_Z2) == 1, "%zu Z2", count(f, S2MT_Z2));
	fx_free(f);

	/* FWB without DIC: an executable Normal-WB leaf there; the I-cache
	 * cannot be invalidated. */
	f = fx_new(S2MT_ERA_6_9, "fwb-no-dic");
	add_slot(f->vm, 0, G0, SZ_2M, map_usemem(f, 0, SZ_2M));
	expect_rc(s2mt_pgt_map(&f->vm->pgt, G0, SZ_2M, usemem_pa(f), rwx_wb, 0),
		  0);
	hazards(f, NULL);
	expect_ids(f, BIT(S2MT_Z2));
	h = find(f, S2MT_Z2);
	expect_hazard(h, S2MT_Z2, f->vm, G0, SZ_2M, usemem_pa(f));
	expect_names_pa(h, usemem_pa(f));
	fx_free(f);
}

static void test_Z2_negative(void **state)
{
	struct s2mt_prot rw_wb = { .perm = S2MT_PROT_RW,
				   .type = S2MT_MT_NORMAL };
	struct fx *f;

	(void)state;
	/* No FWB, but RAM: it is cleaned through the linear map (K5). */
	f = fx_new(S2MT_ERA_6_9, "no-fwb");
	add_slot(f->vm, 0, G0, SZ_2M, map_anon(f, SZ_2M, S2MT_BACK_ANON));
	fault(f->vm, G0, WRITE);
	/* ... and usemem mapped Device by the 6.9 fault path: not
	 * cacheable at stage 2, so nothing to clean (it is Z1). */
	add_slot(f->vm, 1, G1, SZ_2M, map_usemem(f, 0, SZ_2M));
	fault(f->vm, G1, READ);
	hazards(f, NULL);
	expect(!count(f, S2MT_Z2), "%zu Z2", count(f, S2MT_Z2));
	expect_ids(f, BIT(S2MT_Z1));
	fx_free(f);

	/* FWB without DIC: a non-executable Normal-WB leaf over usemem is
	 * fine (FWB: no D-cache clean needed). */
	f = fx_new(S2MT_ERA_6_9, "fwb-no-dic");
	add_slot(f->vm, 0, G0, SZ_2M, map_usemem(f, 0, SZ_2M));
	expect_rc(s2mt_pgt_map(&f->vm->pgt, G0, SZ_2M, usemem_pa(f), rw_wb, 0),
		  0);
	hazards(f, NULL);
	expect_ids(f, 0);
	fx_free(f);

	/* 6.17 on Grace-Hopper (FWB and DIC): executable Normal-WB
	 * usemem through the fault path. */
	f = fx_new(S2MT_ERA_6_17, "grace-hopper");
	add_slot(f->vm, 0, G0, SZ_2M, map_usemem(f, 0, SZ_2M));
	expect(fault(f->vm, G0, EXEC).leaf.xn == 0, "usemem not executable");
	hazards(f, NULL);
	expect_ids(f, 0);
	fx_free(f);
}

/* ------------------------------------------------------------------ */
/* Z3: a cacheable leaf on a non-FWB host without the K5 clean          */
/* ------------------------------------------------------------------ */

static void test_Z3_clean_impossible(void **state)
{
	struct s2mt_prot rw_wb = { .perm = S2MT_PROT_RW,
				   .type = S2MT_MT_NORMAL };
	struct fx *f = fx_new(S2MT_ERA_6_9, "no-fwb");
	const struct s2mt_hazard *h;
	bool impossible = false;

	(void)state;
	add_slot(f->vm, 0, G0, 2 * SZ_2M, map_usemem(f, 0, 2 * SZ_2M));
	/* The table code asks for the clean; there is no kernel VA. */
	expect_rc(s2mt_pgt_map(&f->vm->pgt, G0 + SZ_2M, SZ_2M,
			       usemem_pa(f) + SZ_2M, rw_wb, 0),
		  0);
	for (size_t i = 0; i < f->vm->nr_cmos; i++)
		impossible |= f->vm->cmos[i].kind == S2MT_CMO_DCLEAN &&
			f->vm->cmos[i].impossible &&
			f->vm->cmos[i].pa == usemem_pa(f) + SZ_2M;
	expect(impossible, "no impossible D-cache clean recorded");
	hazards(f, NULL);
	expect_ids(f, BIT(S2MT_Z2) | BIT(S2MT_Z3));
	h = find(f, S2MT_Z3);
	expect_hazard(h, S2MT_Z3, f->vm, G0 + SZ_2M, SZ_2M,
		      usemem_pa(f) + SZ_2M);
	{
		char s[32];

		snprintf(s, sizeof(s), "%#" PRIx64, (uint64_t)(G0 + SZ_2M));
		expect(strstr(h->detail, s) != NULL,
		       "Z3 detail does not name IPA %s: %s", s, h->detail);
	}
	fx_free(f);
}

static void test_Z3_negative(void **state)
{
	struct fx *f;
	struct s2mt_fault fl;

	(void)state;
	/* No FWB, RAM: the fault path cleans the whole leaf first. */
	f = fx_new(S2MT_ERA_6_9, "no-fwb");
	add_slot(f->vm, 0, G0, SZ_2M, map_anon(f, SZ_2M, S2MT_BACK_HUGETLB_2M));
	fl = fault(f->vm, G0, WRITE);
	expect(fl.leaf.size == SZ_2M && fl.dclean_bytes == SZ_2M,
	       "hugetlb leaf %#" PRIx64 " cleaned %#" PRIx64, fl.leaf.size,
	       fl.dclean_bytes);
	hazards(f, NULL);
	expect_ids(f, 0);
	fx_free(f);

	/* FWB: cacheable usemem needs no clean (6.17, Grace-Hopper). */
	f = fx_new(S2MT_ERA_6_17, "grace-hopper");
	add_slot(f->vm, 0, G0, SZ_2M, map_usemem(f, 0, SZ_2M));
	fl = fault(f->vm, G0, WRITE);
	expect(fl.dclean_bytes == 0, "cleaned %#" PRIx64, fl.dclean_bytes);
	hazards(f, NULL);
	expect_ids(f, 0);
	fx_free(f);
}

/* ------------------------------------------------------------------ */
/* Z4: executable Device/NC stage 2                                    */
/* ------------------------------------------------------------------ */

static void test_Z4_executable_device(void **state)
{
	struct s2mt_prot rwx_dev = { .perm = S2MT_PROT_RWX,
				     .type = S2MT_MT_DEVICE };
	struct s2mt_prot rwx_nc = { .perm = S2MT_PROT_RWX,
				    .type = S2MT_MT_NORMAL_NC };
	struct fx *f = fx_new(S2MT_ERA_6_8, "grace-hopper");
	const struct s2mt_hazard *h;
	struct s2mt_leaf lf;
	uint64_t *ptep;

	(void)state;
	add_slot(f->vm, 0, G0, SZ_2M, map_bar(f, 2, 0, SZ_2M));
	/* K3: the table code refuses X with Device or Normal-NC. */
	expect_rc(
		s2mt_pgt_map(&f->vm->pgt, G0, SZ_2M, bar_pa(f, 2), rwx_dev, 0),
		-S2MT_EINVAL);
	expect_rc(s2mt_pgt_map(&f->vm->pgt, G0, SZ_2M, bar_pa(f, 2), rwx_nc, 0),
		  -S2MT_EINVAL);
	/* The 6.8 fault path: Device-nGnRE, not executable. */
	expect(fault(f->vm, G0, READ).leaf.memattr == 0x1, "not Device");
	expect_rc(s2mt_pgt_relax_perms(&f->vm->pgt, G0, SZ_2M, S2MT_PROT_X),
		  -S2MT_EINVAL);
	hazards(f, NULL);
	expect_ids(f, 0);

	/* Clear XN in the descriptor itself. */
	ptep = leaf_ptep(&f->vm->pgt, G0);
	expect(ptep != NULL, "no descriptor for IPA %#llx", G0);
	*ptep &= ~S2MT_PTE_XN_MASK;
	expect_rc(s2mt_pgt_lookup(&f->vm->pgt, G0, &lf), 0);
	expect(lf.xn == 0 && lf.memattr == 0x1, "leaf xn %u MemAttr %#x", lf.xn,
	       lf.memattr);
	hazards(f, NULL);
	expect_ids(f, BIT(S2MT_Z4));
	h = find(f, S2MT_Z4);
	expect_hazard(h, S2MT_Z4, f->vm, G0, SZ_2M, bar_pa(f, 2));
	{
		char s[32];

		snprintf(s, sizeof(s), "%#" PRIx64, (uint64_t)G0);
		expect(strstr(h->detail, s) != NULL,
		       "Z4 detail does not name IPA %s: %s", s, h->detail);
	}
	fx_free(f);
}

static void test_Z4_negative(void **state)
{
	struct fx *f = fx_new(S2MT_ERA_6_9, "no-fwb");
	struct s2mt_fault fl;

	(void)state;
	/* Normal-NC BAR leaf, not executable; an instruction fetch there is
	 * an injected abort (K3) and leaves it so. */
	add_slot(f->vm, 0, G0, SZ_2M, map_bar(f, 2, 0, SZ_2M));
	fl = fault(f->vm, G0, READ);
	expect(fl.leaf.memattr == 0x5 && fl.leaf.xn != 0, "NC leaf xn %u",
	       fl.leaf.xn);
	expect_rc(s2mt_vm_guest_abort(f->vm, G0, EXEC, &fl), -S2MT_ENOEXEC);
	expect(fl.outcome == S2MT_FAULT_INJECT_IABT, "outcome %s",
	       s2mt_fault_outcome_name(fl.outcome));
	/* An executable RAM leaf is fine. */
	add_slot(f->vm, 1, G1, SZ_2M, map_anon(f, SZ_2M, S2MT_BACK_ANON));
	expect(fault(f->vm, G1, EXEC).leaf.xn == 0, "RAM not executable");
	hazards(f, NULL);
	expect_ids(f, 0);
	fx_free(f);
}

/* ------------------------------------------------------------------ */
/* Z5: one PA, two guest mappings, different types                     */
/* ------------------------------------------------------------------ */

/* 6.9: the vfio BAR VMA gives Normal-NC (VM_ALLOW_ANY_UNCACHED), /dev/mem
 * of the same BAR gives Device-nGnRE. */
static void test_Z5_devmem_and_vfio_bar(void **state)
{
	struct fx *f = fx_new(S2MT_ERA_6_9, "grace-hopper");
	struct s2mt_vm *vm2;
	const struct s2mt_hazard *h;

	(void)state;
	/* Two slots of one VM. */
	add_slot(f->vm, 0, G0, SZ_2M, map_bar(f, 2, 0, SZ_2M));
	add_slot(f->vm, 1, G1, SZ_2M, map_devmem(f, bar_pa(f, 2), SZ_2M));
	expect(fault(f->vm, G0, READ).leaf.memattr == 0x5, "vfio not NC");
	expect(fault(f->vm, G1, READ).leaf.memattr == 0x1, "devmem not Dev");
	hazards(f, NULL);
	expect_ids(f, BIT(S2MT_Z5));
	/* Both mappings are named: one finding each. */
	expect(count(f, S2MT_Z5) == 2, "%zu Z5", count(f, S2MT_Z5));
	h = find(f, S2MT_Z5);
	expect(h->vm == f->vm && h->pa == bar_pa(f, 2) && h->size == SZ_2M &&
		       (h->ipa == G0 || h->ipa == G1),
	       "Z5 at IPA %#" PRIx64 " +%#" PRIx64 " PA %#" PRIx64, h->ipa,
	       h->size, h->pa);
	expect_names_pa(h, bar_pa(f, 2));

	/* And across two VMs: a second VM maps the BAR through /dev/mem
	 * at 4 KiB, the first VM's vfio slot is deleted. */
	expect_rc(s2mt_kvm_create_vm(&f->kvm, 0, &vm2), 0);
	{
		uint64_t hva = map_devmem(f, bar_pa(f, 2) + SZ_4K, SZ_4K);
		struct s2mt_userspace_memory_region del = { .slot = 1 };

		expect_rc(s2mt_vm_set_user_memory_region(f->vm, &del), 0);
		add_slot(vm2, 0, G2 + SZ_4K, SZ_4K, hva);
	}
	expect(fault(vm2, G2 + SZ_4K, WRITE).leaf.memattr == 0x1,
	       "devmem not Device");
	hazards(f, NULL);
	expect_ids(f, BIT(S2MT_Z5));
	h = find(f, S2MT_Z5);
	expect(h->pa == bar_pa(f, 2) + SZ_4K && h->size == SZ_4K &&
		       (h->vm == vm2 ? h->ipa == G2 + SZ_4K : h->vm == f->vm),
	       "Z5 VM %p at IPA %#" PRIx64 " +%#" PRIx64 " PA %#" PRIx64,
	       (void *)h->vm, h->ipa, h->size, h->pa);
	fx_free(f);
}

static void test_Z5_negative(void **state)
{
	struct fx *f = fx_new(S2MT_ERA_6_8, "grace-hopper");
	struct s2mt_vm *vm2;
	uint64_t hva;

	(void)state;
	/* 6.8: both are Device-nGnRE (no Normal-NC yet). */
	add_slot(f->vm, 0, G0, SZ_2M, map_bar(f, 2, 0, SZ_2M));
	add_slot(f->vm, 1, G1, SZ_2M, map_devmem(f, bar_pa(f, 2), SZ_2M));
	fault(f->vm, G0, READ);
	fault(f->vm, G1, READ);
	hazards(f, NULL);
	expect_ids(f, 0);
	fx_free(f);

	/* 6.9: one vfio VMA in two VMs: the same type twice. */
	f = fx_new(S2MT_ERA_6_9, "grace-hopper");
	expect_rc(s2mt_kvm_create_vm(&f->kvm, 0, &vm2), 0);
	hva = map_bar(f, 2, 0, SZ_2M);
	add_slot(f->vm, 0, G0, SZ_2M, hva);
	add_slot(vm2, 0, G1, SZ_2M, hva);
	fault(f->vm, G0, READ);
	fault(vm2, G1 + SZ_64K, WRITE);
	hazards(f, NULL);
	expect_ids(f, 0);
	fx_free(f);
}

/* ------------------------------------------------------------------ */
/* Z6: Normal stage 2 over memory with read side effects               */
/* ------------------------------------------------------------------ */

static void test_Z6_normal_nc_over_registers(void **state)
{
	static const unsigned eras[] = { S2MT_ERA_6_9, S2MT_ERA_6_17 };

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct fx *f = fx_new(eras[i], "grace-hopper");
		const struct s2mt_hazard *h;

		add_slot(f->vm, 0, G0, SZ_64K, map_bar(f, 0, 0, SZ_64K));
		expect(fault(f->vm, G0 + SZ_4K, READ).leaf.memattr == 0x5,
		       "%s: BAR0 not Normal-NC", s2mt_era_name(eras[i]));
		hazards(f, NULL);
		expect_ids(f, BIT(S2MT_Z6));
		h = find(f, S2MT_Z6);
		expect_hazard(h, S2MT_Z6, f->vm, G0 + SZ_4K, SZ_4K,
			      bar_pa(f, 0) + SZ_4K);
		expect(strstr(h->detail, "nic0 BAR0") != NULL,
		       "Z6 detail does not name the region: %s", h->detail);
		fx_free(f);
	}
}

static void test_Z6_negative(void **state)
{
	struct fx *f;

	(void)state;
	/* 6.8: the same BAR is Device-nGnRE, never read speculatively. */
	f = fx_new(S2MT_ERA_6_8, "grace-hopper");
	add_slot(f->vm, 0, G0, SZ_64K, map_bar(f, 0, 0, SZ_64K));
	expect(fault(f->vm, G0, READ).leaf.memattr == 0x1, "not Device");
	hazards(f, NULL);
	expect_ids(f, 0);
	fx_free(f);

	/* 6.9: Normal-NC over a BAR without read side effects. */
	f = fx_new(S2MT_ERA_6_9, "grace-hopper");
	add_slot(f->vm, 0, G0, SZ_2M, map_bar(f, 2, 0, SZ_2M));
	expect(fault(f->vm, G0, READ).leaf.memattr == 0x5, "not NC");
	hazards(f, NULL);
	expect_ids(f, 0);
	fx_free(f);
}

/* ------------------------------------------------------------------ */
/* Z7: a stage-2 mapping that outlives its memslot or VMA              */
/* ------------------------------------------------------------------ */

static void test_Z7_leaf_outlives(void **state)
{
	struct s2mt_prot rw_wb = { .perm = S2MT_PROT_RW,
				   .type = S2MT_MT_NORMAL };
	struct fx *f = fx_new(S2MT_ERA_6_17, "grace-hopper");
	const struct s2mt_hazard *h;
	uint64_t hva, ram, leaf_pa;
	char s[48];

	(void)state;
	/* A leaf where no memslot is. */
	ram = f->host.regions[0].base + 16 * SZ_1G;
	expect_rc(s2mt_pgt_map(&f->vm->pgt, G2, SZ_4K, ram, rw_wb, 0), 0);
	hazards(f, NULL);
	expect_ids(f, BIT(S2MT_Z7));
	h = find(f, S2MT_Z7);
	expect_hazard(h, S2MT_Z7, f->vm, G2, SZ_4K, ram);
	snprintf(s, sizeof(s), "%#" PRIx64, (uint64_t)G2);
	expect(strstr(h->detail, s), "Z7 detail does not name IPA %s: %s", s,
	       h->detail);
	expect_rc(s2mt_pgt_unmap(&f->vm->pgt, G2, SZ_4K), 0);

	/* A leaf whose VMA goes while KVM is not told (its MMU notifier
	 * unregistered): K8 broken on purpose. */
	hva = map_anon(f, SZ_2M, S2MT_BACK_HUGETLB_2M);
	add_slot(f->vm, 7, G0, SZ_2M, hva);
	leaf_pa = fault(f->vm, G0, WRITE).leaf.pa;
	hazards(f, NULL);
	expect_ids(f, 0);
	s2mt_mm_unregister_notifier(&f->mm, f->vm);
	expect_rc(s2mt_mm_munmap(&f->mm, hva, SZ_2M), 0);
	hazards(f, NULL);
	expect_ids(f, BIT(S2MT_Z7));
	h = find(f, S2MT_Z7);
	expect(h->ipa == G0 && h->size == SZ_2M,
	       "Z7 at %#" PRIx64 " +%#" PRIx64, h->ipa, h->size);
	expect(strstr(h->detail, "slot 7"),
	       "Z7 detail does not name slot 7: %s", h->detail);

	/* The HVA mapped again by something else: the leaf's PA is not what
	 * the new VMA gives; the detail names both. */
	{
		struct s2mt_mmap_req r = req_of(SZ_2M, S2MT_MAP_PRIVATE);
		uint64_t again = 0, new_pa = 0;

		r.addr = hva;
		r.flags |= S2MT_MAP_FIXED;
		expect_rc(s2mt_mm_mmap_anon(&f->mm, &r, S2MT_BACK_HUGETLB_2M,
					    &again),
			  0);
		expect(s2mt_mm_hva_to_pa(&f->mm, hva, &new_pa) &&
			       new_pa != leaf_pa,
		       "new PA %#" PRIx64 ", leaf PA %#" PRIx64, new_pa,
		       leaf_pa);
		hazards(f, NULL);
		expect_ids(f, BIT(S2MT_Z7));
		h = find(f, S2MT_Z7);
		expect_hazard(h, S2MT_Z7, f->vm, G0, SZ_2M, leaf_pa);
		expect_names_pa(h, leaf_pa);
		expect_names_pa(h, new_pa);
	}
	fx_free(f);
}

static void test_Z7_negative(void **state)
{
	struct fx *f = fx_new(S2MT_ERA_6_17, "grace-hopper");
	uint64_t hva = map_anon(f, SZ_2M, S2MT_BACK_HUGETLB_2M);
	struct s2mt_leaf lf;

	(void)state;
	add_slot(f->vm, 0, G0, SZ_2M, hva);
	fault(f->vm, G0, WRITE);
	hazards(f, NULL);
	expect_ids(f, 0);
	/* With the notifier (K8), munmap takes the leaf away. */
	expect_rc(s2mt_mm_munmap(&f->mm, hva, SZ_2M), 0);
	expect_rc(s2mt_pgt_lookup(&f->vm->pgt, G0, &lf), -S2MT_ENOENT);
	hazards(f, NULL);
	expect_ids(f, 0);
	fx_free(f);
}

/* ------------------------------------------------------------------ */
/* Z8: cacheable PFNMAP VM migrating to a host without capability 243   */
/* ------------------------------------------------------------------ */

static struct s2mt_migration_target target(const char *preset, unsigned era)
{
	struct s2mt_migration_target t = { .era = era };

	expect_rc(s2mt_host_preset_caps(preset, &t.caps), 0);
	snprintf(t.name, sizeof(t.name), "%s", preset);
	return t;
}

static void test_Z8_usemem_slot_migration(void **state)
{
	static const struct {
		const char *preset;
		unsigned era;
	} bad[] = {
		{ "no-fwb", S2MT_ERA_6_17 },
		{ "fwb-no-dic", S2MT_ERA_6_17 },
		{ "grace-hopper", S2MT_ERA_6_9 },
	};
	struct fx *f = fx_new(S2MT_ERA_6_17, "grace-hopper");

	(void)state;
	/* A usemem slot (Normal-WB under 6.17 on this host), not even
	 * faulted yet: Z8 is about the slot. */
	add_slot(f->vm, 3, G0, SZ_2M, map_usemem(f, 0, SZ_2M));
	for (size_t i = 0; i < 3; i++) {
		struct s2mt_migration_target t =
			target(bad[i].preset, bad[i].era);
		const struct s2mt_hazard *h;

		hazards(f, &t);
		expect_ids(f, BIT(S2MT_Z8));
		expect(count(f, S2MT_Z8) == 1, "%zu Z8", count(f, S2MT_Z8));
		h = find(f, S2MT_Z8);
		expect(h->vm == f->vm && h->ipa == G0,
		       "Z8 for VM %p at %#" PRIx64, (void *)h->vm, h->ipa);
		expect(strstr(h->detail, "slot 3") &&
			       strstr(h->detail, bad[i].preset),
		       "Z8 detail does not name slot 3 and target %s: %s",
		       bad[i].preset, h->detail);
	}
	fault(f->vm, G0, READ);
	{
		struct s2mt_migration_target t =
			target("no-fwb", S2MT_ERA_6_17);

		hazards(f, &t);
		expect_ids(f, BIT(S2MT_Z8));
	}
	fx_free(f);
}

static void test_Z8_negative(void **state)
{
	struct fx *f = fx_new(S2MT_ERA_6_17, "grace-hopper");
	struct s2mt_migration_target gh = target("grace-hopper", S2MT_ERA_6_17);
	struct s2mt_migration_target nofwb = target("no-fwb", S2MT_ERA_6_17);

	(void)state;
	add_slot(f->vm, 3, G0, SZ_2M, map_usemem(f, 0, SZ_2M));
	fault(f->vm, G0, READ);
	/* A target with FWB and DIC on 6.17; no target at all. */
	hazards(f, &gh);
	expect_ids(f, 0);
	hazards(f, NULL);
	expect_ids(f, 0);
	fx_free(f);

	/* No cacheable PFNMAP: a vfio BAR (non-cacheable VMA) and RAM. */
	f = fx_new(S2MT_ERA_6_17, "grace-hopper");
	add_slot(f->vm, 0, G0, SZ_2M, map_bar(f, 2, 0, SZ_2M));
	add_slot(f->vm, 1, G1, SZ_2M, map_anon(f, SZ_2M, S2MT_BACK_THP));
	fault(f->vm, G0, READ);
	fault(f->vm, G1, WRITE);
	hazards(f, &nofwb);
	expect_ids(f, 0);
	fx_free(f);
}

/* ------------------------------------------------------------------ */
/* Merging and the query (D5)                                          */
/* ------------------------------------------------------------------ */

/* Adjacent 4 KiB findings read as one range; a gap starts another. */
/* usemem at an HVA 4 KiB off the PA's 2 MiB alignment (K4 maps pages
 * only), with pages 0-2 and 8-9 faulted: two runs of Z1 leaves. */
static void merge_setup(struct fx *f)
{
	struct s2mt_mmap_req r = req_of(SZ_2M, S2MT_MAP_SHARED);
	uint64_t hva = 0;

	r.align_hint = SZ_2M;
	r.align_offset = SZ_4K;
	expect_rc(s2mt_mm_mmap_nvgrace(&f->mm, &r, f->gpu, S2MT_NVGRACE_USEMEM,
				       0, &hva),
		  0);
	add_slot(f->vm, 0, G0 + SZ_4K, SZ_2M, hva);
	for (unsigned i = 0; i < 3; i++)
		expect(fault(f->vm, G0 + SZ_4K + i * SZ_4K, READ).leaf.size ==
			       SZ_4K,
		       "page %u not 4 KiB", i);
	fault(f->vm, G0 + SZ_4K + 8 * SZ_4K, READ);
	fault(f->vm, G0 + SZ_4K + 9 * SZ_4K, WRITE);
}

/* Adjacent 4 KiB findings read as one range; a gap starts another. */
static void test_hazard_ranges_merge(void **state)
{
	struct fx *f = fx_new(S2MT_ERA_6_9, "grace-hopper");
	const struct s2mt_hazard *h;
	uint64_t upa = usemem_pa(f);

	(void)state;
	merge_setup(f);
	hazards(f, NULL);
	expect_ids(f, BIT(S2MT_Z1));
	expect(count(f, S2MT_Z1) == 2, "%zu Z1 ranges, want 2",
	       count(f, S2MT_Z1));
	h = &f->hz[0];
	expect_hazard(h, S2MT_Z1, f->vm, G0 + SZ_4K, 3 * SZ_4K, upa);
	expect_names_pa(h, upa);
	h = &f->hz[1];
	expect_hazard(h, S2MT_Z1, f->vm, G0 + 9 * SZ_4K, 2 * SZ_4K,
		      upa + 8 * SZ_4K);
	fx_free(f);
}

/* "*nr receives how many were found in all": the same two merged ranges
 * whatever the size of the buffer (0 asks for the count only). */
static void test_hazard_count_ignores_max(void **state)
{
	struct fx *f = fx_new(S2MT_ERA_6_9, "grace-hopper");

	(void)state;
	merge_setup(f);
	for (size_t max = 0; max <= 2; max++) {
		expect_rc(s2mt_check_hazards(&f->kvm, NULL, f->hz, max, &f->nr),
			  0);
		expect(f->nr == 2,
		       "%zu hazards with max %zu, 2 with room (adjacent "
		       "findings past the buffer are not merged)",
		       f->nr, max);
	}
	fx_free(f);
}

static const struct s2mt_s1attr S1_WB = { .enabled = true,
					  .mair = 0xff,
					  .sh = S2MT_SH_ISH };
static const struct s2mt_s1attr S1_NC = { .enabled = true,
					  .mair = 0x44,
					  .sh = S2MT_SH_ISH };

static bool mt_wb(const struct s2mt_memtype *mt)
{
	return !mt->device && mt->inner.policy == S2MT_CACHE_WB &&
		mt->outer.policy == S2MT_CACHE_WB;
}

static bool mt_nc(const struct s2mt_memtype *mt)
{
	return !mt->device && mt->inner.policy == S2MT_CACHE_NC &&
		mt->outer.policy == S2MT_CACHE_NC;
}

/* One slot at G0 over two adjacent 64 KiB anonymous VMAs (a, b), pages
 * 0-3 read-faulted, page 8 write-faulted. */
static void query_setup(struct fx *f, uint64_t *a, uint64_t *b)
{
	struct s2mt_mmap_req r = req_of(SZ_64K, S2MT_MAP_PRIVATE);

	*a = map_anon(f, SZ_64K, S2MT_BACK_ANON);
	r.addr = *a + SZ_64K;
	r.flags |= S2MT_MAP_FIXED;
	expect_rc(s2mt_mm_mmap_anon(&f->mm, &r, S2MT_BACK_ANON, b), 0);
	add_slot(f->vm, 0, G0, 2 * SZ_64K, *a);
	for (unsigned i = 0; i < 4; i++)
		fault(f->vm, G0 + i * SZ_4K, READ);
	fault(f->vm, G0 + 8 * SZ_4K, WRITE);
}

/*
 * One slot over two anonymous VMAs with a gap around it: entries split at
 * the slot and VMA boundaries, alike leaves merge (nr_leaves), unmapped
 * pieces predict the policy, no-slot pieces say -1.
 */
static void test_query_subranges(void **state)
{
	struct fx *f = fx_new(S2MT_ERA_6_17, "grace-hopper");
	struct s2mt_query_entry e[16];
	uint64_t a, b;
	size_t nr = 0;
	struct {
		uint64_t ipa, size;
		int slot;
		bool mapped;
		uint64_t nr_leaves;
	} want[] = {
		{ G0 - SZ_4K, SZ_4K, -1, false, 0 },
		{ G0, 4 * SZ_4K, 0, true, 4 },
		{ G0 + 4 * SZ_4K, 4 * SZ_4K, 0, false, 0 },
		{ G0 + 8 * SZ_4K, SZ_4K, 0, true, 1 },
		{ G0 + 9 * SZ_4K, 7 * SZ_4K, 0, false, 0 },
		{ G0 + SZ_64K, SZ_64K, 0, false, 0 },
		{ G0 + 2 * SZ_64K, SZ_4K, -1, false, 0 },
	};

	(void)state;
	query_setup(f, &a, &b);

	expect_rc(s2mt_vm_query(f->vm, G0 - SZ_4K, 2 * SZ_64K + 2 * SZ_4K,
				S1_NC, e, 16, &nr),
		  0);
	expect(nr == sizeof(want) / sizeof(want[0]), "%zu entries", nr);
	for (size_t i = 0; i < nr && i < sizeof(want) / sizeof(want[0]); i++) {
		expect(e[i].ipa == want[i].ipa && e[i].size == want[i].size &&
			       e[i].slot == want[i].slot &&
			       e[i].mapped == want[i].mapped,
		       "entry %zu: %#" PRIx64 " +%#" PRIx64
		       " slot %d mapped %d; want %#" PRIx64 " +%#" PRIx64
		       " slot %d mapped %d",
		       i, e[i].ipa, e[i].size, e[i].slot, e[i].mapped,
		       want[i].ipa, want[i].size, want[i].slot, want[i].mapped);
		expect(!e[i].hazards, "entry %zu hazards %#x", i, e[i].hazards);
		if (want[i].slot < 0) {
			expect(!e[i].has_vma && !e[i].has_policy,
			       "no-slot entry %zu has a VMA or policy", i);
			continue;
		}
		expect(e[i].has_vma &&
			       e[i].vma.start ==
				       (e[i].ipa < G0 + SZ_64K ? a : b),
		       "entry %zu VMA %#" PRIx64, i, e[i].vma.start);
		if (want[i].mapped) {
			expect(e[i].nr_leaves == want[i].nr_leaves,
			       "entry %zu: %" PRIu64 " leaves, want %" PRIu64,
			       i, e[i].nr_leaves, want[i].nr_leaves);
			expect(e[i].leaf.ipa == e[i].ipa &&
				       e[i].leaf.pa ==
					       e[i].vma.pa + (e[i].ipa - G0) -
						       (e[i].vma.start - a),
			       "entry %zu leaf IPA %#" PRIx64 " PA %#" PRIx64,
			       i, e[i].leaf.ipa, e[i].leaf.pa);
			/* A4: FWB Normal-WB (0b110) forces WB over a guest
			 * Normal-NC stage 1. */
			expect(e[i].leaf.memattr == 0x6 &&
				       e[i].eff.status == S2MT_ATTR_OK &&
				       mt_wb(&e[i].eff.mt),
			       "entry %zu MemAttr %#x not forced WB", i,
			       e[i].leaf.memattr);
		} else {
			expect(e[i].has_policy && !e[i].policy.err &&
				       e[i].policy.prot.type == S2MT_MT_NORMAL,
			       "entry %zu: no Normal-WB prediction", i);
		}
	}
	/* D5: page-aligned, non-empty ranges only. */
	expect_rc(s2mt_vm_query(f->vm, G0 + 1, SZ_4K, S1_NC, e, 16, &nr),
		  -S2MT_EINVAL);
	expect_rc(s2mt_vm_query(f->vm, G0, 0, S1_NC, e, 16, &nr), -S2MT_EINVAL);
	fx_free(f);
}

/* D5: *nr is the count of all the entries whatever the size of the
 * buffer (7 for the range of test_query_subranges). */
static void test_query_count_ignores_max(void **state)
{
	struct fx *f = fx_new(S2MT_ERA_6_17, "grace-hopper");
	struct s2mt_query_entry e[16];
	uint64_t a, b;
	size_t nr = 0;

	(void)state;
	query_setup(f, &a, &b);
	for (size_t max = 0; max <= 8; max++) {
		expect_rc(s2mt_vm_query(f->vm, G0 - SZ_4K,
					2 * SZ_64K + 2 * SZ_4K, S1_NC, e, max,
					&nr),
			  0);
		expect(nr == 7,
		       "%zu entries with max %zu, 7 with room (alike pieces "
		       "past the buffer are not merged)",
		       nr, max);
	}
	fx_free(f);
}

/* The effective type combines the leaf with the guest's stage 1 (A5), and
 * hazard bits mark exactly the entries a hazard touches. */
static void test_query_effective_type_and_hazard_bits(void **state)
{
	struct fx *f = fx_new(S2MT_ERA_6_9, "no-fwb");
	struct s2mt_query_entry e[8];
	size_t nr = 0;

	(void)state;
	/* slot 0: RAM; slot 1: vfio BAR0 (registers, Normal-NC in 6.9:
	 * Z6); slot 2: usemem (Device in 6.9: Z1), half faulted. */
	add_slot(f->vm, 0, G0, SZ_2M, map_anon(f, SZ_2M, S2MT_BACK_HUGETLB_2M));
	add_slot(f->vm, 1, G1, SZ_64K, map_bar(f, 0, 0, SZ_64K));
	add_slot(f->vm, 2, G2, 2 * SZ_2M, map_usemem(f, 0, 2 * SZ_2M));
	fault(f->vm, G0, READ);
	fault(f->vm, G1, READ);
	fault(f->vm, G2, READ);

	/* A3 without FWB: Normal-WB (0xF) with a guest NC is NC. */
	expect_rc(s2mt_vm_query(f->vm, G0, SZ_2M, S1_NC, e, 8, &nr), 0);
	expect(nr == 1 && e[0].mapped && e[0].leaf.memattr == 0xf &&
		       mt_nc(&e[0].eff.mt) && !e[0].hazards,
	       "RAM: %zu entries MemAttr %#x hazards %#x", nr,
	       e[0].leaf.memattr, e[0].hazards);
	expect(e[0].dclean_bytes == SZ_2M, "RAM cleaned %#" PRIx64,
	       e[0].dclean_bytes);
	/* ... and with a guest WB it stays WB. */
	expect_rc(s2mt_vm_query(f->vm, G0, SZ_2M, S1_WB, e, 8, &nr), 0);
	expect(nr == 1 && mt_wb(&e[0].eff.mt), "RAM with guest WB not WB");

	/* BAR0: Normal-NC stays NC under a guest WB; Z6 on the faulted
	 * page only. */
	expect_rc(s2mt_vm_query(f->vm, G1, SZ_64K, S1_WB, e, 8, &nr), 0);
	expect(nr == 2, "BAR0: %zu entries", nr);
	expect(e[0].ipa == G1 && e[0].size == SZ_4K && e[0].mapped &&
		       e[0].leaf.memattr == 0x5 && mt_nc(&e[0].eff.mt) &&
		       e[0].hazards == BIT(S2MT_Z6),
	       "BAR0 page: +%#" PRIx64 " MemAttr %#x hazards %#x", e[0].size,
	       e[0].leaf.memattr, e[0].hazards);
	expect(!e[1].mapped && e[1].has_policy &&
		       e[1].policy.prot.type == S2MT_MT_NORMAL_NC &&
		       !e[1].hazards,
	       "BAR0 rest: mapped %d policy %d type %u hazards %#x",
	       e[1].mapped, e[1].has_policy, e[1].policy.prot.type,
	       e[1].hazards);

	/* usemem: Device wins over a guest WB (A3); Z1 on the mapped
	 * block, none on the unmapped one, which predicts Device. */
	expect_rc(s2mt_vm_query(f->vm, G2, 2 * SZ_2M, S1_WB, e, 8, &nr), 0);
	expect(nr == 2, "usemem: %zu entries", nr);
	expect(e[0].size == SZ_2M && e[0].mapped && e[0].leaf.memattr == 0x1 &&
		       e[0].eff.mt.device &&
		       e[0].eff.mt.dev == S2MT_DEV_nGnRE &&
		       e[0].hazards == BIT(S2MT_Z1),
	       "usemem block: MemAttr %#x device %d hazards %#x",
	       e[0].leaf.memattr, e[0].eff.mt.device, e[0].hazards);
	expect(!e[1].mapped && e[1].has_policy && !e[1].policy.err &&
		       e[1].policy.prot.type == S2MT_MT_DEVICE &&
		       e[1].memclass == S2MT_MEM_PFN_OUTSIDE &&
		       e[1].host_attrindx == S2MT_MT_IDX_NORMAL &&
		       !e[1].hazards,
	       "usemem rest: policy type %u memclass %u attrindx %u hazards "
	       "%#x",
	       e[1].policy.prot.type, e[1].memclass, e[1].host_attrindx,
	       e[1].hazards);
	fx_free(f);
}

/* An unmapped range whose fault would fail: the prediction carries the
 * error (K6 on an MTE VM over 6.12.17 hugetlbfs, which lacks
 * VM_MTE_ALLOWED);
 * a slot hole without a VMA has no prediction. */
static void test_query_predicts_refusal(void **state)
{
	struct fx *f;
	struct s2mt_mmap_req r = req_of(SZ_2M, S2MT_MAP_PRIVATE);
	struct s2mt_query_entry e[8];
	uint64_t hole, hva = 0;
	size_t nr = 0;

	(void)state;
	g_kernel = "6.12.17"; /* hugetlb without VM_MTE_ALLOWED */
	f = fx_new(S2MT_ERA_6_9, "qemu-max");
	g_kernel = NULL;
	expect_rc(s2mt_vm_enable_cap(f->vm, KVM_CAP_ARM_MTE), 0);
	/* Reserve 4 MiB of address space, then free it: a hole. */
	hole = map_anon(f, 4 * SZ_1M, S2MT_BACK_HUGETLB_2M);
	expect_rc(s2mt_mm_munmap(&f->mm, hole, 4 * SZ_1M), 0);
	/* M3 skips holes: the slot is accepted over nothing. */
	add_slot(f->vm, 0, G0, 4 * SZ_1M, hole);
	r.addr = hole;
	r.flags |= S2MT_MAP_FIXED;
	expect_rc(s2mt_mm_mmap_anon(&f->mm, &r, S2MT_BACK_HUGETLB_2M, &hva), 0);
	expect_rc(s2mt_vm_query(f->vm, G0, 4 * SZ_1M, S1_WB, e, 8, &nr), 0);
	expect(nr == 2, "%zu entries", nr);
	expect(e[0].size == SZ_2M && e[0].has_vma && e[0].has_policy &&
		       e[0].policy.err == -S2MT_EFAULT && e[0].policy.rule &&
		       !strcmp(e[0].policy.rule, "K6"),
	       "hugetlb under MTE: policy err %d rule %s", e[0].policy.err,
	       e[0].policy.rule ? e[0].policy.rule : "(null)");
	expect(e[1].ipa == G0 + SZ_2M && e[1].size == SZ_2M && e[1].slot == 0 &&
		       !e[1].has_vma && !e[1].has_policy,
	       "hole: %#" PRIx64 " +%#" PRIx64 " VMA %d policy %d", e[1].ipa,
	       e[1].size, e[1].has_vma, e[1].has_policy);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_Z1_usemem_6_9_grace_hopper,
					  teardown),
		cmocka_unit_test_teardown(test_Z1_negative, teardown),
		cmocka_unit_test_teardown(test_Z2_cacheable_outside_linear_map,
					  teardown),
		cmocka_unit_test_teardown(test_Z2_negative, teardown),
		cmocka_unit_test_teardown(test_Z3_clean_impossible, teardown),
		cmocka_unit_test_teardown(test_Z3_negative, teardown),
		cmocka_unit_test_teardown(test_Z4_executable_device, teardown),
		cmocka_unit_test_teardown(test_Z4_negative, teardown),
		cmocka_unit_test_teardown(test_Z5_devmem_and_vfio_bar,
					  teardown),
		cmocka_unit_test_teardown(test_Z5_negative, teardown),
		cmocka_unit_test_teardown(test_Z6_normal_nc_over_registers,
					  teardown),
		cmocka_unit_test_teardown(test_Z6_negative, teardown),
		cmocka_unit_test_teardown(test_Z7_leaf_outlives, teardown),
		cmocka_unit_test_teardown(test_Z7_negative, teardown),
		cmocka_unit_test_teardown(test_Z8_usemem_slot_migration,
					  teardown),
		cmocka_unit_test_teardown(test_Z8_negative, teardown),
		cmocka_unit_test_teardown(test_hazard_ranges_merge, teardown),
		cmocka_unit_test_teardown(test_hazard_count_ignores_max,
					  teardown),
		cmocka_unit_test_teardown(test_query_subranges, teardown),
		cmocka_unit_test_teardown(test_query_count_ignores_max,
					  teardown),
		cmocka_unit_test_teardown(
			test_query_effective_type_and_hazard_bits, teardown),
		cmocka_unit_test_teardown(test_query_predicts_refusal,
					  teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
