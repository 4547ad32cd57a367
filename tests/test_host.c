// SPDX-License-Identifier: MIT
/*
 * Unit tests of the host model (src/model/host.c and mm.c): presets and physical
 * layout, vfio-pci and nvgrace-gpu devices, and the VMM's address space
 * (mmap per driver, munmap, mprotect, MMU notifiers), derived from SPEC.md
 * H1-H4 and K1 and from what the Linux code paths named in the comments do.
 * The last test is a randomized differential test against a page-granular
 * reference; its seed is printed (S2MT_TEST_SEED=<n> replays or changes it,
 * S2MT_TEST_OPS=<n> changes the number of operations).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "support/rng.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <s2mt/model.h>

#define SZ_4K 0x1000ull
#define SZ_64K 0x10000ull
#define SZ_1M 0x100000ull
#define SZ_2M 0x200000ull
#define SZ_1G 0x40000000ull
#define TIB (1ull << 40)

#define RD S2MT_PROT_READ
#define WR S2MT_PROT_WRITE
#define EX S2MT_PROT_EXEC
#define SHARED S2MT_MAP_SHARED
#define PRIVATE S2MT_MAP_PRIVATE
#define FIXED S2MT_MAP_FIXED

/* H2: the flags remap_pfn_range() / vfio-pci set. */
#define PFN_FLAGS                                                              \
	(S2MT_VM_IO | S2MT_VM_PFNMAP | S2MT_VM_DONTEXPAND | S2MT_VM_DONTDUMP)
#define RWX_FLAGS (S2MT_VM_READ | S2MT_VM_WRITE | S2MT_VM_EXEC)

static uint64_t g_seed;
static unsigned long g_op;

#define expect(cond, ...)                                                      \
	do {                                                                   \
		if (!(cond)) {                                                 \
			char m_[768];                                          \
			snprintf(m_, sizeof(m_), __VA_ARGS__);                 \
			fail_msg("%s:%d: [seed=%#" PRIx64 " op=%lu] "          \
				 "expected %s: %s",                            \
				 __FILE__, __LINE__, g_seed, g_op, #cond, m_); \
		}                                                              \
	} while (0)

#define expect_rc(call, want)                                                  \
	do {                                                                   \
		int rc_ = (call);                                              \
		int want_ = (want);                                            \
		expect(rc_ == want_, "%s returned %d (%s), want %d (%s)",      \
		       #call, rc_, s2mt_errno_name(rc_ < 0 ? -rc_ : rc_),      \
		       want_, s2mt_errno_name(want_ < 0 ? -want_ : want_));    \
	} while (0)

/* ------------------------------------------------------------------ */
/* Fixture                                                             */
/* ------------------------------------------------------------------ */

struct rec {
	size_t n;
	uint64_t start[256], end[256];
};

static void rec_cb(void *arg, uint64_t start, uint64_t end)
{
	struct rec *r = arg;

	if (r->n < 256) {
		r->start[r->n] = start;
		r->end[r->n] = end;
	}
	r->n++;
}

struct fx {
	struct s2mt_host host;
	struct s2mt_mm mm;
	struct rec rec;
	int nic, gpu, bw; /* vfio-pci nic0, nvgrace gpu0, Blackwell gpu1 */
};

static const struct s2mt_bar_spec nic_bars[S2MT_MAX_BARS] = {
	[0] = { .size = 16 * SZ_4K, .read_side_effects = true },
	[2] = { .size = SZ_1G, .prefetchable = true },
	[4] = { .size = SZ_64K, .no_mmap = true },
};

static struct fx *fx_new(const char *preset, unsigned era, uint64_t ram)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	expect_rc(s2mt_host_init(&f->host, preset, era, ram), 0);
	f->nic = s2mt_host_add_vfio_pci(&f->host, "nic0", nic_bars);
	f->gpu = s2mt_host_add_nvgrace(&f->host, "gpu0", 4 * SZ_1G, SZ_1G);
	f->bw = s2mt_host_add_nvgrace(&f->host, "gpu1", 2 * SZ_1G, 0);
	/* H4: the 6.8 era's kernel (6.8.0) has no nvgrace-gpu driver. */
	if (s2mt_kernel_has(&f->host.kernel, S2MT_KF_NVGRACE_GPU))
		expect(f->nic == 0 && f->gpu == 1 && f->bw == 2, "%d %d %d",
		       f->nic, f->gpu, f->bw);
	else
		expect(f->nic == 0 && f->gpu == -S2MT_ENODEV &&
			       f->bw == -S2MT_ENODEV,
		       "%d %d %d", f->nic, f->gpu, f->bw);
	expect_rc(s2mt_mm_init(&f->mm, &f->host), 0);
	expect_rc(
		s2mt_mm_register_notifier(
			&f->mm, &(struct s2mt_mm_notifier){ rec_cb, &f->rec }),
		0);
	return f;
}

static void fx_free(struct fx *f)
{
	s2mt_mm_fini(&f->mm);
	free(f);
}

static struct s2mt_mmap_req rq(uint64_t addr, uint64_t len, unsigned prot,
			       unsigned flags)
{
	struct s2mt_mmap_req r = {
		.addr = addr, .len = len, .prot = prot, .flags = flags
	};
	return r;
}

/* The VMA at hva, which must exist. */
static const struct s2mt_vma *vma_at(struct fx *f, uint64_t hva)
{
	const struct s2mt_vma *v = s2mt_mm_find_vma(&f->mm, hva);

	expect(v != NULL, "no VMA at 0x%" PRIx64, hva);
	return v;
}

static uint64_t anon(struct fx *f, uint64_t len, unsigned backing)
{
	struct s2mt_mmap_req r = rq(0, len, RD | WR, PRIVATE);
	uint64_t hva = 0;

	expect_rc(s2mt_mm_mmap_anon(&f->mm, &r, backing, &hva), 0);
	return hva;
}

/* Everything a refusal must leave alone. */
struct snap {
	struct s2mt_vma *v;
	size_t n;
	uint64_t ram_next;
	size_t calls;
	struct s2mt_host host;
};

static void snap_take(struct fx *f, struct snap *s)
{
	s->n = f->mm.nr_vmas;
	s->v = malloc((s->n ? s->n : 1) * sizeof(*s->v));
	assert_non_null(s->v);
	if (s->n)
		memcpy(s->v, f->mm.vmas, s->n * sizeof(*s->v));
	s->ram_next = f->host.ram_next;
	s->calls = f->rec.n;
	memcpy(&s->host, &f->host, sizeof(s->host));
}

/* Compares and frees the snapshot; why/rule are allowed to change. */
static void snap_check(struct fx *f, struct snap *s, const char *what)
{
	expect(f->mm.nr_vmas == s->n, "%s: %zu VMAs, had %zu", what,
	       f->mm.nr_vmas, s->n);
	expect(!s->n || !memcmp(f->mm.vmas, s->v, s->n * sizeof(*s->v)),
	       "%s: the VMAs changed", what);
	expect(f->host.ram_next == s->ram_next, "%s: ram_next moved", what);
	expect(f->rec.n == s->calls, "%s: notifier called", what);
	memcpy(s->host.why, f->host.why, sizeof(s->host.why));
	s->host.rule = f->host.rule;
	expect(!memcmp(&s->host, &f->host, sizeof(s->host)),
	       "%s: the host changed", what);
	free(s->v);
}

/* A refused call: its errno, a reason starting with the rule id, and no
 * change at all. */
#define expect_refused(f, call, want, rule_id)                                 \
	do {                                                                   \
		struct snap s_;                                                \
		snap_take((f), &s_);                                           \
		expect_rc((call), (want));                                     \
		expect((f)->mm.rule && !strcmp((f)->mm.rule, (rule_id)),       \
		       "%s: rule %s, want %s", #call,                          \
		       (f)->mm.rule ? (f)->mm.rule : "(null)", (rule_id));     \
		expect(!strncmp((f)->mm.why, rule_id ": ",                     \
				strlen(rule_id ": ")),                         \
		       "%s: why \"%s\"", #call, (f)->mm.why);                  \
		snap_check((f), &s_, #call);                                   \
		(f)->mm.rule = NULL;                                           \
	} while (0)

#define expect_host_refused(h, call, want, rule_id)                            \
	do {                                                                   \
		struct s2mt_host *c_ = malloc(sizeof(*c_));                    \
		assert_non_null(c_);                                           \
		memcpy(c_, (h), sizeof(*c_));                                  \
		expect_rc((call), (want));                                     \
		expect((h)->rule && !strcmp((h)->rule, (rule_id)),             \
		       "%s: rule %s", #call,                                   \
		       (h)->rule ? (h)->rule : "(null)");                      \
		expect(!strncmp((h)->why, rule_id ": ", strlen(rule_id ": ")), \
		       "%s: why \"%s\"", #call, (h)->why);                     \
		memcpy(c_->why, (h)->why, sizeof(c_->why));                    \
		c_->rule = (h)->rule;                                          \
		expect(!memcmp(c_, (h), sizeof(*c_)), "%s: host changed",      \
		       #call);                                                 \
		free(c_);                                                      \
	} while (0)

/* Sorted, non-overlapping, non-empty, page-aligned, below TASK_SIZE. */
static void check_invariants(const struct s2mt_mm *mm)
{
	size_t i;

	for (i = 0; i < mm->nr_vmas; i++) {
		const struct s2mt_vma *v = &mm->vmas[i];

		expect(v->start < v->end && !(v->start % SZ_4K) &&
			       !(v->end % SZ_4K) && v->end <= S2MT_TASK_SIZE,
		       "VMA %zu [0x%" PRIx64 ", 0x%" PRIx64 ")", i, v->start,
		       v->end);
		expect(!i || mm->vmas[i - 1].end <= v->start,
		       "VMA %zu overlaps or is out of order", i);
	}
}

/* ------------------------------------------------------------------ */
/* The host                                                            */
/* ------------------------------------------------------------------ */

static void test_A8_presets_caps(void **state)
{
	static const struct {
		const char *name;
		bool fwb, dic, idc, mte;
		unsigned arch;
	} want[] = {
		{ "grace-hopper", true, true, true, false, S2MT_ARCH_ARM64 },
		{ "no-fwb", false, false, false, false, S2MT_ARCH_ARM64 },
		{ "fwb-no-dic", true, false, true, false, S2MT_ARCH_ARM64 },
		{ "qemu-max", true, false, false, true, S2MT_ARCH_ARM64 },
		/* QEMU 10.0's CPU models, as real kernels report them (the
		 * conformance runs: tools/conformance/kvm.ops cpu-*). */
		{ "qemu10-max", true, true, true, true, S2MT_ARCH_ARM64 },
		{ "neoverse-v1", true, true, true, false, S2MT_ARCH_ARM64 },
		{ "cortex-a710", true, false, true, false, S2MT_ARCH_ARM64 },
		/* SPEC section 7: none of the Arm features. */
		{ "x86-intel", false, false, false, false,
		  S2MT_ARCH_X86_INTEL },
		{ "x86-amd", false, false, false, false, S2MT_ARCH_X86_AMD },
	};
	struct s2mt_host_caps c;
	struct s2mt_host *h = calloc(1, sizeof(*h));
	size_t i;

	(void)state;
	assert_non_null(h);
	for (i = 0; s2mt_host_presets[i]; i++)
		;
	expect(i == sizeof(want) / sizeof(want[0]), "%zu presets", i);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		expect(!strcmp(s2mt_host_presets[i], want[i].name), "%s",
		       s2mt_host_presets[i]);
		expect_rc(s2mt_host_preset_caps(want[i].name, &c), 0);
		expect(c.fwb == want[i].fwb && c.dic == want[i].dic &&
			       c.idc == want[i].idc && c.mte == want[i].mte,
		       "%s caps", want[i].name);
		expect_rc(s2mt_host_init(h, want[i].name, S2MT_ERA_6_17,
					 4 * SZ_1G),
			  0);
		expect(!memcmp(&h->caps, &c, sizeof(c)), "%s", want[i].name);
		expect(!strcmp(h->preset, want[i].name), "%s", h->preset);
		expect(h->arch == want[i].arch, "%s arch %u", want[i].name,
		       h->arch);
		expect(!strcmp(s2mt_arch_name(h->arch),
			       want[i].arch ? want[i].name : "arm64"),
		       "%s", s2mt_arch_name(h->arch));
	}
	expect_rc(s2mt_host_preset_caps("Grace-Hopper", &c), 0);
	expect(c.fwb && c.dic, "case-insensitive");
	expect_rc(s2mt_host_preset_caps("cortex-a72", &c), -S2MT_EINVAL);
	expect_rc(s2mt_host_preset_caps(NULL, &c), -S2MT_EINVAL);
	expect_rc(s2mt_host_preset_caps("no-fwb", NULL), -S2MT_EINVAL);
	free(h);
}

/* ksys_mmap_pgoff() rounds a MAP_HUGETLB length up to whole huge pages
 * (real 6.1, 6.12 and 7.2 kernels map 1M of hugetlb-2M). */
static void test_H2_hugetlb_length_rounded_up(void **state)
{
	struct s2mt_host *h = calloc(1, sizeof(*h));
	struct s2mt_mm mm;
	struct s2mt_mmap_req r = { .len = SZ_2M + SZ_4K,
				   .prot = S2MT_PROT_READ,
				   .flags = S2MT_MAP_PRIVATE };
	const struct s2mt_vma *v;
	uint64_t hva;

	(void)state;
	assert_int_equal(
		s2mt_host_init(h, "grace-hopper", S2MT_ERA_6_17, 8 * SZ_1G), 0);
	assert_int_equal(s2mt_mm_init(&mm, h), 0);
	assert_int_equal(s2mt_mm_mmap_anon(&mm, &r, S2MT_BACK_HUGETLB_2M, &hva),
			 0);
	v = s2mt_mm_find_vma(&mm, hva);
	assert_non_null(v);
	assert_int_equal(v->end - v->start, 2 * SZ_2M);
	r.len = SZ_2M;
	assert_int_equal(s2mt_mm_mmap_anon(&mm, &r, S2MT_BACK_HUGETLB_1G, &hva),
			 0);
	v = s2mt_mm_find_vma(&mm, hva);
	assert_non_null(v);
	assert_int_equal(v->end - v->start, SZ_1G);
	assert_int_equal(v->start % SZ_1G, 0);
	s2mt_mm_fini(&mm);
	free(h);
}

/* kvm_ipa_limit: PARange capped at 48, or 52 with FEAT_LPA2 from 6.8
 * (the LPA2 series of the kvmarm 6.8 pull; 6.1 reports 48). */
static void test_A2_ipa_limit_per_preset_and_era(void **state)
{
	static const struct {
		const char *preset;
		unsigned era, limit;
	} cases[] = {
		{ "qemu-max", S2MT_ERA_6_8, 52 },
		{ "qemu-max", S2MT_ERA_6_9, 52 },
		{ "qemu-max", S2MT_ERA_6_17, 52 },
		{ "no-fwb", S2MT_ERA_6_17, 44 },
		{ "grace-hopper", S2MT_ERA_6_17, 48 },
		{ "fwb-no-dic", S2MT_ERA_6_9, 48 },
		/* QEMU 10.0: max has FEAT_LPA2; Cortex-A710 a 40-bit PA. */
		{ "qemu10-max", S2MT_ERA_6_9, 52 },
		{ "neoverse-v1", S2MT_ERA_6_17, 48 },
		{ "cortex-a710", S2MT_ERA_6_17, 40 },
	};
	struct s2mt_host *h = calloc(1, sizeof(*h));

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(
			s2mt_host_init(h, cases[i].preset, cases[i].era, SZ_1G),
			0);
		if (h->ipa_limit != cases[i].limit)
			fail_msg("%s era %s: IPA limit %u, want %u",
				 cases[i].preset, s2mt_era_name(cases[i].era),
				 h->ipa_limit, cases[i].limit);
	}
	free(h);
}

static void test_H4_host_layout(void **state)
{
	struct s2mt_host *h = calloc(1, sizeof(*h));
	const struct s2mt_phys_region *r;

	(void)state;
	assert_non_null(h);
	expect_rc(s2mt_host_init(h, "no-fwb", S2MT_ERA_6_9, 8 * SZ_1G), 0);
	expect(h->era == S2MT_ERA_6_9, "era");
	/* A Cortex-A72-class host: a 44-bit PA range (seen on a real 7.2
	 * kernel under QEMU -cpu cortex-a57: KVM_CAP_ARM_VM_IPA_SIZE 44). */
	expect(h->pa_bits == 48 && h->ipa_limit == 44, "%u %u", h->pa_bits,
	       h->ipa_limit);
	expect(h->nr_regions == 1 && h->nr_devices == 0, "%zu %zu",
	       h->nr_regions, h->nr_devices);
	r = &h->regions[0];
	expect(r->base == S2MT_HOST_RAM_BASE && r->size == 8 * SZ_1G &&
		       r->kind == S2MT_PHYS_RAM && !r->read_side_effects &&
		       !strcmp(r->name, "ram"),
	       "ram region %s", r->name);
	expect(h->ram_next == S2MT_HOST_RAM_BASE, "ram_next");
	expect(h->devmem_next == S2MT_HOST_DEVMEM_BASE, "devmem_next");
	expect(h->mmio_next == S2MT_HOST_MMIO_BASE, "mmio_next");

	struct s2mt_host_caps caps = { .fwb = true, .mte = true };
	expect_rc(s2mt_host_init_caps(h, &caps, S2MT_ERA_6_8, SZ_1G), 0);
	expect(!strcmp(h->preset, "custom") && h->caps.fwb && h->caps.mte &&
		       !h->caps.dic && h->era == S2MT_ERA_6_8,
	       "custom host");
	free(h);
}

static void test_H4_host_init_errors(void **state)
{
	struct s2mt_host *h = calloc(1, sizeof(*h));
	struct s2mt_host_caps caps = { 0 };

	(void)state;
	assert_non_null(h);
	expect_rc(s2mt_host_init(h, "grace-hopper", S2MT_ERA_6_17, SZ_1G), 0);
	expect_host_refused(h, s2mt_host_init(h, "bogus", 0, SZ_1G),
			    -S2MT_EINVAL, "A8");
	expect_host_refused(h, s2mt_host_init(h, NULL, 0, SZ_1G), -S2MT_EINVAL,
			    "A8");
	expect_host_refused(h,
			    s2mt_host_init(h, "no-fwb", S2MT_ERA_COUNT_, SZ_1G),
			    -S2MT_EINVAL, "K1");
	expect_host_refused(h, s2mt_host_init(h, "no-fwb", 0, 0), -S2MT_EINVAL,
			    "H4");
	expect_host_refused(h, s2mt_host_init(h, "no-fwb", 0, SZ_1G + SZ_2M),
			    -S2MT_EINVAL, "H4");
	expect_host_refused(
		h, s2mt_host_init(h, "no-fwb", 0, S2MT_HOST_DEVMEM_BASE),
		-S2MT_EINVAL, "H4");
	expect_host_refused(h, s2mt_host_init_caps(h, NULL, 0, SZ_1G),
			    -S2MT_EINVAL, "A8");
	expect_host_refused(h, s2mt_host_init_caps(h, &caps, 7, SZ_1G),
			    -S2MT_EINVAL, "K1");
	expect_rc(s2mt_host_init(NULL, "no-fwb", 0, SZ_1G), -S2MT_EINVAL);
	expect_rc(s2mt_host_init_caps(NULL, &caps, 0, SZ_1G), -S2MT_EINVAL);
	/* The largest RAM that fits below the device-memory window. */
	expect_rc(s2mt_host_init(h, "no-fwb", 0,
				 S2MT_HOST_DEVMEM_BASE - 2 * SZ_1G),
		  0);
	free(h);
}

static void test_K1_pfn_is_map_memory(void **state)
{
	struct fx *f = fx_new("grace-hopper", S2MT_ERA_6_17, 4 * SZ_1G);
	const struct s2mt_host *h = &f->host;
	const struct s2mt_device *nic = &h->devices[f->nic];
	const struct s2mt_device *gpu = &h->devices[f->gpu];
	uint64_t ram_end = S2MT_HOST_RAM_BASE + 4 * SZ_1G;

	(void)state;
	expect(s2mt_host_pfn_is_map_memory(h, S2MT_HOST_RAM_BASE), "ram base");
	expect(s2mt_host_pfn_is_map_memory(h, ram_end - 1), "ram end");
	expect(!s2mt_host_pfn_is_map_memory(h, ram_end), "past ram");
	expect(!s2mt_host_pfn_is_map_memory(h, 0), "pa 0");
	expect(!s2mt_host_pfn_is_map_memory(h, nic->bars[2].pa), "BAR");
	expect(!s2mt_host_pfn_is_map_memory(h, gpu->usemem_pa), "usemem");
	expect(!s2mt_host_pfn_is_map_memory(h, gpu->resmem_pa), "resmem");
	expect(s2mt_host_region(h, ram_end - 1) == &h->regions[0], "ram");
	expect(s2mt_host_region(h, ram_end) == NULL, "hole");
	expect(s2mt_host_region(h, gpu->usemem_pa + 4 * SZ_1G - 1)->kind ==
		       S2MT_PHYS_DEVMEM,
	       "usemem end");
	expect(s2mt_host_region(NULL, 0) == NULL, "NULL host");
	fx_free(f);
}

static void test_H4_vfio_pci_bar_placement(void **state)
{
	struct fx *f = fx_new("grace-hopper", S2MT_ERA_6_17, 4 * SZ_1G);
	struct s2mt_host *h = &f->host;
	const struct s2mt_device *d = &h->devices[f->nic];
	const struct s2mt_phys_region *r;
	struct s2mt_bar_spec two[S2MT_MAX_BARS] = {
		[1] = { .size = SZ_4K },
		[3] = { .size = SZ_2M },
	};
	unsigned i;
	int idx;

	(void)state;
	expect(!strcmp(d->name, "nic0") && d->kind == S2MT_DEVICE_VFIO_PCI,
	       "device");
	for (i = 0; i < S2MT_MAX_BARS; i++) {
		const struct s2mt_bar *b = &d->bars[i];

		expect(b->size == nic_bars[i].size, "BAR%u size", i);
		if (!b->size)
			continue;
		expect(b->pa % b->size == 0, "BAR%u naturally aligned", i);
		expect(b->pa >= S2MT_HOST_MMIO_BASE &&
			       b->pa + b->size <= (1ull << 48),
		       "BAR%u in the MMIO window", i);
		expect(b->mmap_ok == !nic_bars[i].no_mmap &&
			       b->prefetchable == nic_bars[i].prefetchable &&
			       b->read_side_effects ==
				       nic_bars[i].read_side_effects,
		       "BAR%u flags", i);
		r = s2mt_host_region(h, b->pa);
		expect(r && r->base == b->pa && r->size == b->size &&
			       r->kind == S2MT_PHYS_MMIO &&
			       r->read_side_effects == b->read_side_effects,
		       "BAR%u region", i);
		char name[48];
		snprintf(name, sizeof(name), "nic0 BAR%u", i);
		expect(!strcmp(r->name, name), "%s", r->name);
	}
	expect(d->bars[0].pa + d->bars[0].size <= d->bars[2].pa &&
		       d->bars[2].pa + d->bars[2].size <= d->bars[4].pa,
	       "BARs do not overlap");
	/* 1 RAM + 3 BARs + gpu0 (2) + gpu1 (1) */
	expect(h->nr_regions == 7, "%zu regions", h->nr_regions);

	idx = s2mt_host_add_vfio_pci(h, "nvme1", two);
	expect(idx == 3, "index %d", idx);
	d = &h->devices[idx];
	expect(d->bars[1].pa >= h->devices[f->nic].bars[4].pa + SZ_64K &&
		       d->bars[3].pa % SZ_2M == 0 &&
		       d->bars[3].pa >= d->bars[1].pa + SZ_4K,
	       "second device after the first");
	expect(s2mt_host_find_device(h, "nvme1") == 3, "find");
	expect(s2mt_host_find_device(h, "gpu0") == f->gpu, "find");
	expect_rc(s2mt_host_find_device(h, "nope"), -S2MT_ENODEV);
	expect_rc(s2mt_host_find_device(h, NULL), -S2MT_EINVAL);
	fx_free(f);
}

static void test_H4_vfio_pci_add_errors(void **state)
{
	struct fx *f = fx_new("grace-hopper", S2MT_ERA_6_17, 4 * SZ_1G);
	struct s2mt_host *h = &f->host;
	struct s2mt_bar_spec b[S2MT_MAX_BARS] = { { 0 } };
	char name[40];
	int i, idx;

	(void)state;
	b[0].size = 3 * SZ_4K;
	expect_host_refused(h, s2mt_host_add_vfio_pci(h, "x", b), -S2MT_EINVAL,
			    "H4");
	b[0].size = 2048;
	expect_host_refused(h, s2mt_host_add_vfio_pci(h, "x", b), -S2MT_EINVAL,
			    "H4");
	b[0].size = SZ_4K;
	b[5].size = SZ_64K + 1;
	expect_host_refused(h, s2mt_host_add_vfio_pci(h, "x", b), -S2MT_EINVAL,
			    "H4");
	b[5].size = 0;
	expect_host_refused(h, s2mt_host_add_vfio_pci(h, "nic0", b),
			    -S2MT_EINVAL, "H4");
	expect_host_refused(h, s2mt_host_add_vfio_pci(h, "", b), -S2MT_EINVAL,
			    "H4");
	expect_host_refused(h, s2mt_host_add_vfio_pci(h, NULL, b), -S2MT_EINVAL,
			    "H4");
	expect_host_refused(h, s2mt_host_add_vfio_pci(h, "x", NULL),
			    -S2MT_EINVAL, "H4");
	memset(name, 'n', 32);
	name[32] = '\0';
	expect_host_refused(h, s2mt_host_add_vfio_pci(h, name, b), -S2MT_EINVAL,
			    "H4");
	name[31] = '\0'; /* 31 characters fit */
	expect(s2mt_host_add_vfio_pci(h, name, b) == 3, "31-char name");
	expect_rc(s2mt_host_add_vfio_pci(NULL, "x", b), -S2MT_EINVAL);

	/* Region table: 1 RAM + 3 + 2 + 1 + 1 = 8 used; 9 devices of 6 BARs
	 * and one of 1 make 63; the next one with 2 BARs does not fit. */
	for (i = 0; i < S2MT_MAX_BARS; i++)
		b[i].size = SZ_4K;
	for (i = 0; i < 9; i++) {
		snprintf(name, sizeof(name), "d%d", i);
		expect(s2mt_host_add_vfio_pci(h, name, b) >= 0, "%s", name);
	}
	memset(b, 0, sizeof(b));
	b[3].size = SZ_64K;
	expect(s2mt_host_add_vfio_pci(h, "d9", b) >= 0, "d9");
	expect(h->nr_regions == 63, "%zu", h->nr_regions);
	b[0].size = b[1].size = SZ_4K;
	b[3].size = 0;
	expect_host_refused(h, s2mt_host_add_vfio_pci(h, "full", b),
			    -S2MT_ENOSPC, "H4");
	expect_host_refused(h,
			    s2mt_host_add_nvgrace(h, "fullgpu", SZ_1G, SZ_1G),
			    -S2MT_ENOSPC, "H4");
	b[1].size = 0;
	expect(s2mt_host_add_vfio_pci(h, "last", b) >= 0, "one BAR fits");
	memset(b, 0, sizeof(b));
	/* Devices without BARs, up to the device limit. */
	while (h->nr_devices < S2MT_MAX_DEVICES) {
		snprintf(name, sizeof(name), "e%zu", h->nr_devices);
		expect(s2mt_host_add_vfio_pci(h, name, b) >= 0, "%s", name);
	}
	expect_host_refused(h, s2mt_host_add_vfio_pci(h, "one-more", b),
			    -S2MT_ENOSPC, "H4");
	expect(h->nr_regions == 64, "%zu", h->nr_regions);
	fx_free(f);

	/* A BAR larger than what is left of the MMIO window (96-256 TiB). */
	f = fx_new("grace-hopper", S2MT_ERA_6_17, 4 * SZ_1G);
	h = &f->host;
	memset(b, 0, sizeof(b));
	b[0].size = 1ull << 47;
	idx = s2mt_host_add_vfio_pci(h, "huge0", b);
	expect(idx == 3, "128 TiB BAR fits once: %d", idx);
	expect(h->devices[idx].bars[0].pa == 1ull << 47, "at 128 TiB");
	expect_host_refused(h, s2mt_host_add_vfio_pci(h, "huge1", b),
			    -S2MT_ENOSPC, "H4");
	b[0].size = SZ_4K;
	expect_host_refused(h, s2mt_host_add_vfio_pci(h, "tiny", b),
			    -S2MT_ENOSPC, "H4");
	fx_free(f);
}

static void test_H4_nvgrace_layout(void **state)
{
	struct fx *f = fx_new("grace-hopper", S2MT_ERA_6_17, 4 * SZ_1G);
	struct s2mt_host *h = &f->host;
	const struct s2mt_device *g = &h->devices[f->gpu];
	const struct s2mt_device *bw = &h->devices[f->bw];
	const struct s2mt_phys_region *r;
	int idx;

	(void)state;
	expect(g->kind == S2MT_DEVICE_NVGRACE, "kind");
	expect(g->usemem_pa % SZ_1G == 0 &&
		       g->usemem_pa >= S2MT_HOST_DEVMEM_BASE &&
		       g->usemem_size == 4 * SZ_1G,
	       "usemem 0x%" PRIx64, g->usemem_pa);
	/* resmem is carved out of the end of the device memory */
	expect(g->resmem_pa == g->usemem_pa + g->usemem_size &&
		       g->resmem_size == SZ_1G,
	       "resmem 0x%" PRIx64, g->resmem_pa);
	r = s2mt_host_region(h, g->usemem_pa);
	expect(r && r->kind == S2MT_PHYS_DEVMEM && r->size == 4 * SZ_1G &&
		       !strcmp(r->name, "gpu0 usemem") && !r->read_side_effects,
	       "usemem region");
	r = s2mt_host_region(h, g->resmem_pa);
	expect(r && r->kind == S2MT_PHYS_DEVMEM && r->size == SZ_1G &&
		       !strcmp(r->name, "gpu0 resmem"),
	       "resmem region");
	expect(bw->resmem_size == 0 && bw->resmem_pa == 0 &&
		       bw->usemem_pa % SZ_1G == 0 &&
		       bw->usemem_pa >= g->resmem_pa + SZ_1G,
	       "Blackwell part");
	expect(s2mt_host_region(h, bw->usemem_pa + 2 * SZ_1G) == NULL,
	       "nothing after gpu1 usemem");

	/* A 2 MiB-granular usemem is followed by a 2 MiB-aligned resmem. */
	idx = s2mt_host_add_nvgrace(h, "gpu2", SZ_1G + SZ_2M, 2 * SZ_4K);
	expect(idx == 3, "%d", idx);
	g = &h->devices[idx];
	expect(g->usemem_pa % SZ_1G == 0 &&
		       g->resmem_pa == g->usemem_pa + SZ_1G + SZ_2M,
	       "gpu2");

	expect_host_refused(h, s2mt_host_add_nvgrace(h, "g", 0, 0),
			    -S2MT_EINVAL, "H4");
	expect_host_refused(h, s2mt_host_add_nvgrace(h, "g", SZ_1M, 0),
			    -S2MT_EINVAL, "H4");
	expect_host_refused(h, s2mt_host_add_nvgrace(h, "g", SZ_2M, 100),
			    -S2MT_EINVAL, "H4");
	expect_host_refused(h, s2mt_host_add_nvgrace(h, "gpu0", SZ_2M, 0),
			    -S2MT_EINVAL, "H4");
	expect_host_refused(h, s2mt_host_add_nvgrace(h, NULL, SZ_2M, 0),
			    -S2MT_EINVAL, "H4");
	/* The device-memory window is 32 TiB. */
	expect_host_refused(h, s2mt_host_add_nvgrace(h, "g", 32 * TIB, 0),
			    -S2MT_ENOSPC, "H4");
	expect_host_refused(h,
			    s2mt_host_add_nvgrace(h, "g", 16 * TIB, 16 * TIB),
			    -S2MT_ENOSPC, "H4");
	expect(s2mt_host_add_nvgrace(h, "g", 16 * TIB, 0) == 4, "fits");
	expect_rc(s2mt_host_add_nvgrace(NULL, "g", SZ_2M, 0), -S2MT_EINVAL);
	fx_free(f);
}

/* ------------------------------------------------------------------ */
/* mmap: what each driver builds                                       */
/* ------------------------------------------------------------------ */

static void test_H2_anon_vma_flags(void **state)
{
	struct fx *f = fx_new("grace-hopper", S2MT_ERA_6_17, 4 * SZ_1G);
	struct s2mt_mmap_req r;
	const struct s2mt_vma *v;
	uint64_t hva, pa;
	char d[64];
	unsigned prot;

	(void)state;
	for (prot = 0; prot <= 7; prot++) {
		r = rq(0, 3 * SZ_4K, prot, prot & 1 ? SHARED : PRIVATE);
		expect_rc(s2mt_mm_mmap_anon(&f->mm, &r, S2MT_BACK_ANON, &hva),
			  0);
		v = vma_at(f, hva);
		expect(v->start == hva && v->end == hva + 3 * SZ_4K, "range");
		expect(v->flags ==
			       ((prot & RD ? S2MT_VM_READ : 0) |
				(prot & WR ? S2MT_VM_WRITE : 0) |
				(prot & EX ? S2MT_VM_EXEC : 0) |
				(prot & 1 ? S2MT_VM_SHARED : 0)),
		       "prot %u flags 0x%" PRIx64, prot, v->flags);
		expect(v->attrindx == S2MT_MT_IDX_NORMAL &&
			       v->backing == S2MT_BACK_ANON &&
			       v->origin == S2MT_ORIGIN_ANON && v->device == -1,
		       "anon VMA");
		expect(s2mt_mm_hva_to_pa(&f->mm, hva + SZ_4K + 5, &pa) &&
			       pa == v->pa + SZ_4K + 5,
		       "hva_to_pa");
		expect(s2mt_host_pfn_is_map_memory(&f->host, v->pa) &&
			       s2mt_host_pfn_is_map_memory(
				       &f->host, v->pa + 3 * SZ_4K - 1),
		       "backed by RAM");
		expect(s2mt_vma_memclass(&f->host, v) == S2MT_MEM_RAM, "RAM");
		s2mt_vma_describe(&f->host, v, d, sizeof(d));
		expect(!strcmp(d, "anonymous"), "%s", d);
		expect(s2mt_attrindx_cacheable(v->attrindx), "H3 cacheable");
	}
	hva = anon(f, SZ_2M, S2MT_BACK_THP);
	v = vma_at(f, hva);
	expect(v->backing == S2MT_BACK_THP && v->origin == S2MT_ORIGIN_ANON,
	       "THP");
	s2mt_vma_describe(&f->host, v, d, sizeof(d));
	expect(!strcmp(d, "anonymous (THP)"), "%s", d);
	expect(s2mt_vma_memclass(&f->host, v) == S2MT_MEM_RAM, "THP is RAM");
	/* Physical backing is bumped, never reused. */
	expect(f->host.ram_next == v->pa + SZ_2M, "ram_next");
	check_invariants(&f->mm);
	fx_free(f);
}

static void test_H2_mte_allowed_anon(void **state)
{
	static const char *const presets[] = { "qemu-max", "grace-hopper" };
	unsigned p, era, b;

	(void)state;
	for (p = 0; p < 2; p++)
		for (era = 0; era < S2MT_ERA_COUNT_; era++)
			for (b = S2MT_BACK_ANON; b <= S2MT_BACK_THP; b++) {
				struct fx *f =
					fx_new(presets[p], era, 4 * SZ_1G);
				uint64_t hva = anon(f, SZ_2M, b);
				const struct s2mt_vma *v = vma_at(f, hva);
				bool want = f->host.caps.mte;

				expect(!!(v->flags & S2MT_VM_MTE_ALLOWED) ==
					       want,
				       "%s era %u backing %u", presets[p], era,
				       b);
				expect(!(v->flags & S2MT_VM_MTE),
				       "no PROT_MTE");
				expect(v->attrindx == S2MT_MT_IDX_NORMAL,
				       "untagged");
				fx_free(f);
			}
}

static void test_H2_hugetlb_flags_per_era(void **state)
{
	static const char *const presets[] = { "qemu-max", "grace-hopper" };
	unsigned p, era;

	(void)state;
	for (p = 0; p < 2; p++)
		for (era = 0; era < S2MT_ERA_COUNT_; era++) {
			struct fx *f = fx_new(presets[p], era, 8 * SZ_1G);
			uint64_t h2 = anon(f, 2 * SZ_2M, S2MT_BACK_HUGETLB_2M);
			uint64_t h1 = anon(f, SZ_1G, S2MT_BACK_HUGETLB_1G);
			const struct s2mt_vma *v2 = vma_at(f, h2);
			const struct s2mt_vma *v1 = vma_at(f, h1);
			/* MAP_ANONYMOUS|MAP_HUGETLB has VM_MTE_ALLOWED in
			 * every mainline release: by accident before 6.13, on
			 * purpose from 6.13. Only stable kernels with the fix
			 * (6.1.130, 6.6.80, 6.12.17 on) lack it, and no era's
			 * representative (6.8.0, 6.9.0, 6.17.0) is one:
			 * test_kernel.c covers those. */
			uint64_t mte =
				f->host.caps.mte ? S2MT_VM_MTE_ALLOWED : 0;
			uint64_t want = S2MT_VM_READ | S2MT_VM_WRITE |
				S2MT_VM_HUGETLB | S2MT_VM_DONTEXPAND | mte;
			char d[32];

			expect(v2->flags == want && v1->flags == want,
			       "%s era %u: 0x%" PRIx64 " 0x%" PRIx64
			       ", want 0x%" PRIx64,
			       presets[p], era, v2->flags, v1->flags, want);
			expect(v2->attrindx == S2MT_MT_IDX_NORMAL &&
				       v2->origin == S2MT_ORIGIN_HUGETLBFS &&
				       v1->backing == S2MT_BACK_HUGETLB_1G,
			       "hugetlb VMA");
			expect(h2 % SZ_2M == 0 && v2->pa % SZ_2M == 0 &&
				       h1 % SZ_1G == 0 && v1->pa % SZ_1G == 0,
			       "huge alignment");
			expect(s2mt_vma_memclass(&f->host, v1) ==
				       S2MT_MEM_HUGETLB,
			       "memclass");
			s2mt_vma_describe(&f->host, v2, d, sizeof(d));
			expect(!strcmp(d, "hugetlbfs 2M"), "%s", d);
			s2mt_vma_describe(&f->host, v1, d, sizeof(d));
			expect(!strcmp(d, "hugetlbfs 1G"), "%s", d);
			fx_free(f);
		}
}

static void test_H4_vfio_bar_flags_per_era(void **state)
{
	unsigned era;

	(void)state;
	expect(S2MT_VM_ALLOW_ANY_UNCACHED == 1ull << 39, "H2 bit 39");
	for (era = 0; era < S2MT_ERA_COUNT_; era++) {
		struct fx *f = fx_new("grace-hopper", era, 4 * SZ_1G);
		const struct s2mt_bar *bar = &f->host.devices[f->nic].bars[2];
		struct s2mt_mmap_req r = rq(0, 8 * SZ_2M, RD | WR, SHARED);
		const struct s2mt_vma *v;
		uint64_t hva, pa, want;
		char d[64];

		expect_rc(s2mt_mm_mmap_vfio_bar(&f->mm, &r, f->nic, 2, SZ_2M,
						&hva),
			  0);
		v = vma_at(f, hva);
		want = S2MT_VM_READ | S2MT_VM_WRITE | S2MT_VM_SHARED |
			PFN_FLAGS |
			(era >= S2MT_ERA_6_9 ? S2MT_VM_ALLOW_ANY_UNCACHED : 0);
		expect(v->flags == want,
		       "era %u: 0x%" PRIx64 ", want 0x%" PRIx64, era, v->flags,
		       want);
		expect(v->attrindx == S2MT_MT_IDX_DEVICE_nGnRnE,
		       "H1 pgprot_noncached");
		expect(!s2mt_attrindx_cacheable(v->attrindx), "H3");
		expect(v->backing == S2MT_BACK_PFN &&
			       v->origin == S2MT_ORIGIN_VFIO_BAR &&
			       v->device == f->nic && v->region == 2,
		       "VMA origin");
		expect(v->pa == bar->pa + SZ_2M, "pa");
		expect(s2mt_mm_hva_to_pa(&f->mm, hva + SZ_4K, &pa) &&
			       pa == bar->pa + SZ_2M + SZ_4K,
		       "hva_to_pa");
		expect(s2mt_vma_memclass(&f->host, v) == S2MT_MEM_PFN_OUTSIDE,
		       "K1");
		s2mt_vma_describe(&f->host, v, d, sizeof(d));
		expect(!strcmp(d, "vfio-pci nic0 BAR2"), "%s", d);

		/* BAR0 (read side effects), whole, with PROT_EXEC */
		r = rq(0, 16 * SZ_4K, RD | EX, SHARED);
		expect_rc(s2mt_mm_mmap_vfio_bar(&f->mm, &r, f->nic, 0, 0, &hva),
			  0);
		v = vma_at(f, hva);
		expect((v->flags & RWX_FLAGS) ==
				       (S2MT_VM_READ | S2MT_VM_EXEC) &&
			       v->region == 0 &&
			       v->pa == f->host.devices[f->nic].bars[0].pa,
		       "BAR0");
		fx_free(f);
	}
}

static void test_H4_vfio_bar_errors(void **state)
{
	struct fx *f = fx_new("grace-hopper", S2MT_ERA_6_17, 4 * SZ_1G);
	struct s2mt_mmap_req r = rq(0, SZ_64K, RD | WR, SHARED);
	struct s2mt_mmap_req p = rq(0, SZ_64K, RD | WR, PRIVATE);
	struct s2mt_mmap_req big = rq(0, SZ_1G + SZ_4K, RD | WR, SHARED);
	uint64_t hva = 0;
	struct s2mt_mm *mm = &f->mm;

	(void)state;
	anon(f, SZ_1M, S2MT_BACK_ANON); /* something to keep intact */
	expect_refused(f, s2mt_mm_mmap_vfio_bar(mm, &p, f->nic, 2, 0, &hva),
		       -S2MT_EINVAL, "H4");
	expect_refused(f, s2mt_mm_mmap_vfio_bar(mm, &r, f->nic, 1, 0, &hva),
		       -S2MT_EINVAL, "H4");
	expect_refused(f, s2mt_mm_mmap_vfio_bar(mm, &r, f->nic, 4, 0, &hva),
		       -S2MT_EINVAL, "H4");
	expect_refused(f, s2mt_mm_mmap_vfio_bar(mm, &r, f->nic, 6, 0, &hva),
		       -S2MT_EINVAL, "H4");
	expect_refused(
		f, s2mt_mm_mmap_vfio_bar(mm, &r, f->nic, 2, SZ_4K + 1, &hva),
		-S2MT_EINVAL, "H2");
	expect_refused(f, s2mt_mm_mmap_vfio_bar(mm, &r, f->nic, 0, SZ_4K, &hva),
		       -S2MT_EINVAL, "H4");
	expect_refused(f, s2mt_mm_mmap_vfio_bar(mm, &big, f->nic, 2, 0, &hva),
		       -S2MT_EINVAL, "H4");
	expect_refused(f,
		       s2mt_mm_mmap_vfio_bar(mm, &r, f->nic, 2,
					     UINT64_MAX - 4095, &hva),
		       -S2MT_EINVAL, "H4");
	expect_refused(f, s2mt_mm_mmap_vfio_bar(mm, &r, 17, 2, 0, &hva),
		       -S2MT_ENODEV, "H4");
	expect_refused(f, s2mt_mm_mmap_vfio_bar(mm, &r, -1, 2, 0, &hva),
		       -S2MT_ENODEV, "H4");
	/* An nvgrace-gpu device: only its BAR2 (resmem) and BAR4 (usemem). */
	expect_refused(f, s2mt_mm_mmap_vfio_bar(mm, &r, f->gpu, 0, 0, &hva),
		       -S2MT_EINVAL, "H4");
	expect_refused(f, s2mt_mm_mmap_vfio_bar(mm, &r, f->bw, 2, 0, &hva),
		       -S2MT_EINVAL, "H4");
	/* The last page of the BAR is fine, one more is not. */
	r.len = SZ_4K;
	expect_rc(s2mt_mm_mmap_vfio_bar(mm, &r, f->nic, 2, SZ_1G - SZ_4K, &hva),
		  0);
	expect(vma_at(f, hva)->pa ==
		       f->host.devices[f->nic].bars[2].pa + SZ_1G - SZ_4K,
	       "last page");
	expect_refused(f, s2mt_mm_mmap_vfio_bar(mm, &r, f->nic, 2, SZ_1G, &hva),
		       -S2MT_EINVAL, "H4");
	check_invariants(mm);
	fx_free(f);
}

static void test_H4_nvgrace_usemem_cacheable(void **state)
{
	unsigned era;

	(void)state;
	for (era = 0; era < S2MT_ERA_COUNT_; era++) {
		struct fx *f = fx_new("grace-hopper", era, 4 * SZ_1G);
		const struct s2mt_device *g;
		struct s2mt_mmap_req r = rq(0, 2 * SZ_1G, RD | WR, SHARED);
		const struct s2mt_vma *v;
		uint64_t hva, hva2;
		char d[64];

		if (f->gpu < 0) { /* 6.8.0: no driver (fx_new checked) */
			fx_free(f);
			continue;
		}
		g = &f->host.devices[f->gpu];
		expect_rc(s2mt_mm_mmap_nvgrace(&f->mm, &r, f->gpu,
					       S2MT_NVGRACE_USEMEM, SZ_1G,
					       &hva),
			  0);
		v = vma_at(f, hva);
		expect(v->flags ==
			       (S2MT_VM_READ | S2MT_VM_WRITE | S2MT_VM_SHARED |
				PFN_FLAGS),
		       "era %u flags 0x%" PRIx64, era, v->flags);
		expect(v->attrindx == S2MT_MT_IDX_NORMAL &&
			       s2mt_attrindx_cacheable(v->attrindx),
		       "H4: usemem keeps the default (cacheable) prot");
		expect(v->pa == g->usemem_pa + SZ_1G && v->device == f->gpu &&
			       v->region == S2MT_NVGRACE_USEMEM &&
			       v->origin == S2MT_ORIGIN_NVGRACE_USEMEM &&
			       v->backing == S2MT_BACK_PFN,
		       "usemem VMA");
		expect(s2mt_vma_memclass(&f->host, v) == S2MT_MEM_PFN_OUTSIDE,
		       "K1: not in the linear map");
		expect(hva % SZ_1G == v->pa % SZ_1G, "1 GiB congruent");
		s2mt_vma_describe(&f->host, v, d, sizeof(d));
		expect(!strcmp(d, "nvgrace-gpu gpu0 usemem"), "%s", d);

		/* The same through the vfio-pci BAR4 index. */
		r.len = SZ_2M;
		expect_rc(
			s2mt_mm_mmap_vfio_bar(&f->mm, &r, f->gpu, 4, 0, &hva2),
			0);
		v = vma_at(f, hva2);
		expect(v->origin == S2MT_ORIGIN_NVGRACE_USEMEM &&
			       v->pa == g->usemem_pa &&
			       v->attrindx == S2MT_MT_IDX_NORMAL,
		       "BAR4 is usemem");
		/* Blackwell: usemem only */
		expect_rc(s2mt_mm_mmap_nvgrace(&f->mm, &r, f->bw,
					       S2MT_NVGRACE_USEMEM, 0, &hva2),
			  0);
		fx_free(f);
	}
}

static void test_H4_nvgrace_resmem_nc_per_era(void **state)
{
	unsigned era;

	(void)state;
	for (era = 0; era < S2MT_ERA_COUNT_; era++) {
		struct fx *f = fx_new("grace-hopper", era, 4 * SZ_1G);
		const struct s2mt_device *g;
		struct s2mt_mmap_req r = rq(0, SZ_1G, RD | WR, SHARED);
		const struct s2mt_vma *v;
		uint64_t hva, want;
		char d[64];

		if (f->gpu < 0) { /* 6.8.0: no driver (fx_new checked) */
			fx_free(f);
			continue;
		}
		g = &f->host.devices[f->gpu];
		expect_rc(s2mt_mm_mmap_nvgrace(&f->mm, &r, f->gpu,
					       S2MT_NVGRACE_RESMEM, 0, &hva),
			  0);
		v = vma_at(f, hva);
		/* The driver sets VM_ALLOW_ANY_UNCACHED from its first
		 * release (6.9) on. */
		want = S2MT_VM_READ | S2MT_VM_WRITE | S2MT_VM_SHARED |
			PFN_FLAGS | S2MT_VM_ALLOW_ANY_UNCACHED;
		expect(v->flags == want, "era %u flags 0x%" PRIx64, era,
		       v->flags);
		expect(v->attrindx == S2MT_MT_IDX_NORMAL_NC,
		       "H1 pgprot_writecombine");
		expect(v->pa == g->resmem_pa &&
			       v->region == S2MT_NVGRACE_RESMEM &&
			       v->origin == S2MT_ORIGIN_NVGRACE_RESMEM,
		       "resmem VMA");
		s2mt_vma_describe(&f->host, v, d, sizeof(d));
		expect(!strcmp(d, "nvgrace-gpu gpu0 resmem"), "%s", d);
		r.len = SZ_4K;
		expect_rc(s2mt_mm_mmap_vfio_bar(&f->mm, &r, f->gpu, 2, SZ_4K,
						&hva),
			  0);
		v = vma_at(f, hva);
		expect(v->origin == S2MT_ORIGIN_NVGRACE_RESMEM &&
			       v->pa == g->resmem_pa + SZ_4K,
		       "BAR2 is resmem");
		fx_free(f);
	}
}

static void test_H4_nvgrace_errors(void **state)
{
	struct fx *f = fx_new("grace-hopper", S2MT_ERA_6_17, 4 * SZ_1G);
	struct s2mt_mmap_req r = rq(0, SZ_2M, RD | WR, SHARED);
	struct s2mt_mmap_req p = rq(0, SZ_2M, RD | WR, PRIVATE);
	struct s2mt_mm *mm = &f->mm;
	uint64_t hva = 0;

	(void)state;
	anon(f, SZ_1M, S2MT_BACK_ANON);
	/* Blackwell: no resmem */
	expect_refused(f,
		       s2mt_mm_mmap_nvgrace(mm, &r, f->bw, S2MT_NVGRACE_RESMEM,
					    0, &hva),
		       -S2MT_EINVAL, "H4");
	expect_refused(f, s2mt_mm_mmap_nvgrace(mm, &r, f->gpu, 2, 0, &hva),
		       -S2MT_EINVAL, "H4");
	expect_refused(f,
		       s2mt_mm_mmap_nvgrace(mm, &p, f->gpu, S2MT_NVGRACE_USEMEM,
					    0, &hva),
		       -S2MT_EINVAL, "H4");
	expect_refused(f,
		       s2mt_mm_mmap_nvgrace(mm, &r, f->gpu, S2MT_NVGRACE_USEMEM,
					    4 * SZ_1G - SZ_1M, &hva),
		       -S2MT_EINVAL, "H4");
	expect_refused(f,
		       s2mt_mm_mmap_nvgrace(mm, &r, f->gpu, S2MT_NVGRACE_RESMEM,
					    SZ_1G, &hva),
		       -S2MT_EINVAL, "H4");
	expect_refused(f,
		       s2mt_mm_mmap_nvgrace(mm, &r, f->gpu, S2MT_NVGRACE_USEMEM,
					    100, &hva),
		       -S2MT_EINVAL, "H2");
	expect_refused(f,
		       s2mt_mm_mmap_nvgrace(mm, &r, f->nic, S2MT_NVGRACE_USEMEM,
					    0, &hva),
		       -S2MT_ENODEV, "H4");
	expect_refused(
		f,
		s2mt_mm_mmap_nvgrace(mm, &r, 9, S2MT_NVGRACE_USEMEM, 0, &hva),
		-S2MT_ENODEV, "H4");
	expect_refused(f, s2mt_mm_mmap_vfio_bar(mm, &p, f->gpu, 4, 0, &hva),
		       -S2MT_EINVAL, "H4");
	fx_free(f);
}

static void test_H4_devmem_ram_eperm(void **state)
{
	struct fx *f = fx_new("grace-hopper", S2MT_ERA_6_17, 4 * SZ_1G);
	struct s2mt_mmap_req r = rq(0, SZ_2M, RD | WR, SHARED);
	struct s2mt_mm *mm = &f->mm;
	uint64_t hva = 0;
	uint64_t ram_end = S2MT_HOST_RAM_BASE + 4 * SZ_1G;

	(void)state;
	expect_refused(f, s2mt_mm_mmap_devmem(mm, &r, S2MT_HOST_RAM_BASE, &hva),
		       -S2MT_EPERM, "H4");
	expect_refused(f, s2mt_mm_mmap_devmem(mm, &r, ram_end - SZ_4K, &hva),
		       -S2MT_EPERM, "H4");
	/* A range ending in RAM is refused too (every page is checked). */
	expect_refused(
		f,
		s2mt_mm_mmap_devmem(mm, &r, S2MT_HOST_RAM_BASE - SZ_1M, &hva),
		-S2MT_EPERM, "H4");
	r.flags = PRIVATE;
	expect_refused(f, s2mt_mm_mmap_devmem(mm, &r, S2MT_HOST_RAM_BASE, &hva),
		       -S2MT_EPERM, "H4");
	fx_free(f);
}

static void test_H4_devmem_uncached_outside_linear_map(void **state)
{
	struct fx *f = fx_new("grace-hopper", S2MT_ERA_6_17, 4 * SZ_1G);
	const struct s2mt_device *nic = &f->host.devices[f->nic];
	const struct s2mt_device *g = &f->host.devices[f->gpu];
	struct s2mt_mmap_req r = rq(0, SZ_2M, RD | WR, SHARED);
	struct s2mt_mm *mm = &f->mm;
	const struct s2mt_vma *v;
	uint64_t hva = 0;
	char d[32];

	(void)state;
	/* Over nvgrace usemem: uncached, whatever the driver would do. */
	expect_rc(s2mt_mm_mmap_devmem(mm, &r, g->usemem_pa + SZ_2M, &hva), 0);
	v = vma_at(f, hva);
	expect(v->flags ==
		       (S2MT_VM_READ | S2MT_VM_WRITE | S2MT_VM_SHARED |
			PFN_FLAGS),
	       "flags 0x%" PRIx64, v->flags);
	expect(v->attrindx == S2MT_MT_IDX_DEVICE_nGnRnE,
	       "phys_mem_access_prot: noncached outside the linear map");
	expect(v->pa == g->usemem_pa + SZ_2M &&
		       v->origin == S2MT_ORIGIN_DEVMEM &&
		       v->backing == S2MT_BACK_PFN && v->device == -1,
	       "devmem VMA");
	expect(s2mt_vma_memclass(&f->host, v) == S2MT_MEM_PFN_OUTSIDE, "K1");
	s2mt_vma_describe(&f->host, v, d, sizeof(d));
	expect(!strcmp(d, "/dev/mem"), "%s", d);
	/* Over a BAR, MAP_PRIVATE (private_mapping_ok with an MMU) */
	r = rq(0, SZ_4K, RD, PRIVATE);
	expect_rc(s2mt_mm_mmap_devmem(mm, &r, nic->bars[0].pa, &hva), 0);
	v = vma_at(f, hva);
	expect(!(v->flags & S2MT_VM_SHARED) &&
		       !(v->flags & S2MT_VM_ALLOW_ANY_UNCACHED) &&
		       v->attrindx == S2MT_MT_IDX_DEVICE_nGnRnE,
	       "private /dev/mem of a BAR");

	r = rq(0, SZ_2M, RD | WR, SHARED);
	expect_refused(f,
		       s2mt_mm_mmap_devmem(mm, &r, nic->bars[0].pa + 1, &hva),
		       -S2MT_EINVAL, "H4");
	/* A hole, and a range running past the end of a region */
	expect_refused(f, s2mt_mm_mmap_devmem(mm, &r, 0x10000000, &hva),
		       -S2MT_EINVAL, "H4");
	expect_refused(
		f,
		s2mt_mm_mmap_devmem(mm, &r, g->resmem_pa + SZ_1G - SZ_1M, &hva),
		-S2MT_EINVAL, "H4");
	expect_refused(f,
		       s2mt_mm_mmap_devmem(mm, &r, (1ull << 48) - SZ_1M, &hva),
		       -S2MT_EINVAL, "H4");
	expect_refused(f, s2mt_mm_mmap_devmem(mm, &r, 1ull << 48, &hva),
		       -S2MT_EINVAL, "H4");
	check_invariants(mm);
	fx_free(f);
}

/* ------------------------------------------------------------------ */
/* mmap: generic checks and placement                                  */
/* ------------------------------------------------------------------ */

static void test_H2_mmap_generic_errors(void **state)
{
	struct fx *f = fx_new("grace-hopper", S2MT_ERA_6_17, 4 * SZ_1G);
	struct s2mt_mm *mm = &f->mm;
	struct s2mt_mmap_req r;
	uint64_t hva = 0;

	(void)state;
	anon(f, SZ_1M, S2MT_BACK_ANON);
	r = rq(0, 0, RD, PRIVATE);
	expect_refused(f, s2mt_mm_mmap_anon(mm, &r, S2MT_BACK_ANON, &hva),
		       -S2MT_EINVAL, "H2");
	r = rq(0, SZ_4K, 8, PRIVATE);
	expect_refused(f, s2mt_mm_mmap_anon(mm, &r, S2MT_BACK_ANON, &hva),
		       -S2MT_EINVAL, "H2");
	r = rq(0, SZ_4K, RD, SHARED | PRIVATE);
	expect_refused(f, s2mt_mm_mmap_anon(mm, &r, S2MT_BACK_ANON, &hva),
		       -S2MT_EINVAL, "H2");
	r = rq(0, SZ_4K, RD, 0);
	expect_refused(f, s2mt_mm_mmap_anon(mm, &r, S2MT_BACK_ANON, &hva),
		       -S2MT_EINVAL, "H2");
	r = rq(0, SZ_4K, RD, FIXED);
	expect_refused(f, s2mt_mm_mmap_anon(mm, &r, S2MT_BACK_ANON, &hva),
		       -S2MT_EINVAL, "H2");
	r = rq(0, SZ_4K, RD, PRIVATE | 0x20);
	expect_refused(f, s2mt_mm_mmap_anon(mm, &r, S2MT_BACK_ANON, &hva),
		       -S2MT_EINVAL, "H2");
	r = rq(0, UINT64_MAX - 10, RD, PRIVATE);
	expect_refused(f, s2mt_mm_mmap_anon(mm, &r, S2MT_BACK_ANON, &hva),
		       -S2MT_ENOMEM, "H2");
	r = rq(0, S2MT_TASK_SIZE + SZ_4K, RD, PRIVATE);
	expect_refused(f, s2mt_mm_mmap_anon(mm, &r, S2MT_BACK_ANON, &hva),
		       -S2MT_ENOMEM, "H2");
	r = rq(0, SZ_4K, RD, PRIVATE);
	expect_refused(f, s2mt_mm_mmap_anon(mm, &r, S2MT_BACK_PFN, &hva),
		       -S2MT_EINVAL, "H4");
	expect_refused(f, s2mt_mm_mmap_anon(mm, &r, 99, &hva), -S2MT_EINVAL,
		       "H4");
	expect_refused(f, s2mt_mm_mmap_anon(mm, NULL, S2MT_BACK_ANON, &hva),
		       -S2MT_EINVAL, "H2");
	expect_refused(f, s2mt_mm_mmap_anon(mm, &r, S2MT_BACK_ANON, NULL),
		       -S2MT_EINVAL, "H2");
	expect_rc(s2mt_mm_mmap_anon(NULL, &r, S2MT_BACK_ANON, &hva),
		  -S2MT_EINVAL);
	/* align_hint: a power of two >= 4K, offset page aligned and below */
	r.align_hint = 3 * SZ_4K;
	expect_refused(f, s2mt_mm_mmap_anon(mm, &r, S2MT_BACK_ANON, &hva),
		       -S2MT_EINVAL, "H2");
	r.align_hint = 2048;
	expect_refused(f, s2mt_mm_mmap_anon(mm, &r, S2MT_BACK_ANON, &hva),
		       -S2MT_EINVAL, "H2");
	r.align_hint = SZ_2M;
	r.align_offset = SZ_2M;
	expect_refused(f, s2mt_mm_mmap_anon(mm, &r, S2MT_BACK_ANON, &hva),
		       -S2MT_EINVAL, "H2");
	r.align_offset = 100;
	expect_refused(f, s2mt_mm_mmap_anon(mm, &r, S2MT_BACK_ANON, &hva),
		       -S2MT_EINVAL, "H2");
	r.align_hint = 1ull << 60;
	r.align_offset = 0;
	expect_refused(f, s2mt_mm_mmap_anon(mm, &r, S2MT_BACK_ANON, &hva),
		       -S2MT_EINVAL, "H2");
	/* hugetlb: huge-aligned offsets (lengths are rounded up, see
	 * test_H2_hugetlb_length_rounded_up) */
	r = rq(0, SZ_2M, RD, PRIVATE);
	r.align_hint = SZ_1G;
	r.align_offset = SZ_4K;
	expect_refused(f, s2mt_mm_mmap_anon(mm, &r, S2MT_BACK_HUGETLB_2M, &hva),
		       -S2MT_EINVAL, "H2");
	r.align_hint = SZ_64K;
	r.align_offset = SZ_4K;
	expect_refused(f, s2mt_mm_mmap_anon(mm, &r, S2MT_BACK_HUGETLB_2M, &hva),
		       -S2MT_EINVAL, "H2");
	/* MAP_FIXED checks */
	r = rq(TIB + 100, SZ_4K, RD, PRIVATE | FIXED);
	expect_refused(f, s2mt_mm_mmap_anon(mm, &r, S2MT_BACK_ANON, &hva),
		       -S2MT_EINVAL, "H2");
	r = rq(S2MT_TASK_SIZE - SZ_4K, SZ_2M, RD, PRIVATE | FIXED);
	expect_refused(f, s2mt_mm_mmap_anon(mm, &r, S2MT_BACK_ANON, &hva),
		       -S2MT_ENOMEM, "H2");
	r = rq(S2MT_TASK_SIZE, SZ_4K, RD, PRIVATE | FIXED);
	expect_refused(f, s2mt_mm_mmap_anon(mm, &r, S2MT_BACK_ANON, &hva),
		       -S2MT_ENOMEM, "H2");
	r = rq(TIB + SZ_4K, SZ_2M, RD, PRIVATE | FIXED);
	expect_refused(f, s2mt_mm_mmap_anon(mm, &r, S2MT_BACK_HUGETLB_2M, &hva),
		       -S2MT_EINVAL, "H2");
	/* no room: larger than the address space left above 1 TiB */
	r = rq(0, S2MT_TASK_SIZE - TIB + SZ_4K, RD, PRIVATE);
	expect_refused(f, s2mt_mm_mmap_anon(mm, &r, S2MT_BACK_ANON, &hva),
		       -S2MT_ENOMEM, "H2");
	check_invariants(mm);
	fx_free(f);
}

static void test_H4_ram_exhausted_enomem(void **state)
{
	struct fx *f = fx_new("grace-hopper", S2MT_ERA_6_17, 2 * SZ_1G);
	struct s2mt_mm *mm = &f->mm;
	struct s2mt_mmap_req r = rq(0, SZ_1G, RD | WR, PRIVATE);
	uint64_t hva = 0;

	(void)state;
	expect_rc(s2mt_mm_mmap_anon(mm, &r, S2MT_BACK_ANON, &hva), 0);
	anon(f, SZ_4K, S2MT_BACK_ANON);
	/* 1 GiB - 4 KiB left, but a 1 GiB page needs 1 GiB alignment */
	expect_refused(f, s2mt_mm_mmap_anon(mm, &r, S2MT_BACK_HUGETLB_1G, &hva),
		       -S2MT_ENOMEM, "H4");
	r.len = SZ_1G - SZ_4K;
	expect_refused(f, s2mt_mm_mmap_anon(mm, &r, S2MT_BACK_THP, &hva),
		       -S2MT_ENOMEM, "H4");
	expect_rc(s2mt_mm_mmap_anon(mm, &r, S2MT_BACK_ANON, &hva), 0);
	expect(f->host.ram_next == S2MT_HOST_RAM_BASE + 2 * SZ_1G, "all used");
	r.len = SZ_4K;
	expect_refused(f, s2mt_mm_mmap_anon(mm, &r, S2MT_BACK_ANON, &hva),
		       -S2MT_ENOMEM, "H4");
	/* RAM is not given back by munmap (bump allocation) */
	expect_rc(s2mt_mm_munmap(mm, hva, SZ_1G - SZ_4K), 0);
	expect_refused(f, s2mt_mm_mmap_anon(mm, &r, S2MT_BACK_ANON, &hva),
		       -S2MT_ENOMEM, "H4");
	/* Device mappings need no RAM. */
	r = rq(0, SZ_4K, RD, SHARED);
	expect_rc(s2mt_mm_mmap_vfio_bar(mm, &r, f->nic, 2, 0, &hva), 0);
	fx_free(f);
}

static void test_H2_len_rounded_up(void **state)
{
	struct fx *f = fx_new("grace-hopper", S2MT_ERA_6_17, 4 * SZ_1G);
	uint64_t hva = anon(f, 1, S2MT_BACK_ANON);
	const struct s2mt_vma *v = vma_at(f, hva);

	(void)state;
	expect(v->end - v->start == SZ_4K, "one page");
	hva = anon(f, SZ_4K + 1, S2MT_BACK_ANON);
	v = vma_at(f, hva);
	expect(v->end - v->start == 2 * SZ_4K, "two pages");
	fx_free(f);
}

static void test_K4_natural_placement(void **state)
{
	struct fx *f = fx_new("grace-hopper", S2MT_ERA_6_17, 8 * SZ_1G);
	const struct s2mt_device *nic = &f->host.devices[f->nic];
	const struct s2mt_device *g = &f->host.devices[f->gpu];
	struct s2mt_mmap_req r;
	const struct s2mt_vma *v;
	uint64_t hva, a;

	(void)state;
	a = anon(f, SZ_4K, S2MT_BACK_ANON);
	expect(a == TIB, "first mmap at 1 TiB: 0x%" PRIx64, a);
	hva = anon(f, SZ_4K, S2MT_BACK_ANON);
	expect(hva == TIB + SZ_4K, "first fit: 0x%" PRIx64, hva);
	hva = anon(f, 3 * SZ_1M, S2MT_BACK_THP);
	v = vma_at(f, hva);
	expect(hva % SZ_2M == 0 && v->pa % SZ_2M == 0 && hva == TIB + SZ_2M,
	       "THP 2 MiB: 0x%" PRIx64 " pa 0x%" PRIx64, hva, v->pa);
	hva = anon(f, SZ_1G, S2MT_BACK_HUGETLB_1G);
	v = vma_at(f, hva);
	expect(hva == TIB + SZ_1G && v->pa % SZ_1G == 0,
	       "hugetlb 1G: 0x%" PRIx64, hva);
	hva = anon(f, SZ_2M, S2MT_BACK_HUGETLB_2M);
	/* [TIB + 2M, TIB + 5M) is THP: the next 2 MiB slot is TIB + 6M */
	expect(hva == TIB + 3 * SZ_2M, "hugetlb 2M in the gap: 0x%" PRIx64,
	       hva);

	/* Device: HVA congruent to PA modulo min(len rounded up, 1 GiB) */
	r = rq(0, 3 * SZ_1G / 4, RD | WR, SHARED);
	expect_rc(s2mt_mm_mmap_vfio_bar(&f->mm, &r, f->nic, 2, 0, &hva), 0);
	expect(hva % SZ_1G == nic->bars[2].pa % SZ_1G, "1G congruent");
	r = rq(0, 5 * SZ_2M, RD | WR, SHARED);
	expect_rc(s2mt_mm_mmap_nvgrace(&f->mm, &r, f->gpu, S2MT_NVGRACE_USEMEM,
				       SZ_2M, &hva),
		  0);
	expect((hva - (g->usemem_pa + SZ_2M)) % (16 * SZ_1M) == 0,
	       "16 MiB congruent: 0x%" PRIx64, hva);
	expect(hva % SZ_2M == 0, "2 MiB aligned");
	r = rq(0, SZ_4K, RD, SHARED);
	expect_rc(s2mt_mm_mmap_vfio_bar(&f->mm, &r, f->nic, 0, 3 * SZ_4K, &hva),
		  0);
	expect(hva == TIB + 2 * SZ_4K,
	       "a page fills the first hole: 0x%" PRIx64, hva);
	check_invariants(&f->mm);
	fx_free(f);
}

static void test_K4_align_hint_misaligns(void **state)
{
	struct fx *f = fx_new("grace-hopper", S2MT_ERA_6_17, 8 * SZ_1G);
	const struct s2mt_device *g = &f->host.devices[f->gpu];
	struct s2mt_mmap_req r;
	const struct s2mt_vma *v;
	uint64_t hva;

	(void)state;
	r = rq(0, SZ_2M, RD | WR, PRIVATE);
	r.align_hint = SZ_2M;
	r.align_offset = SZ_4K;
	expect_rc(s2mt_mm_mmap_anon(&f->mm, &r, S2MT_BACK_THP, &hva), 0);
	v = vma_at(f, hva);
	expect(hva % SZ_2M == SZ_4K && v->pa % SZ_2M == 0,
	       "THP at 2M+4K: 0x%" PRIx64, hva);

	r = rq(0, 2 * SZ_1G, RD | WR, SHARED);
	r.align_hint = SZ_1G;
	r.align_offset = SZ_2M;
	expect_rc(s2mt_mm_mmap_nvgrace(&f->mm, &r, f->gpu, S2MT_NVGRACE_USEMEM,
				       0, &hva),
		  0);
	expect(hva % SZ_1G == SZ_2M && g->usemem_pa % SZ_1G == 0,
	       "usemem 2 MiB off a 1 GiB boundary: 0x%" PRIx64, hva);

	/* hugetlb stays huge-aligned: a larger hint with a huge offset */
	r = rq(0, SZ_2M, RD | WR, PRIVATE);
	r.align_hint = SZ_1G;
	r.align_offset = 3 * SZ_2M;
	expect_rc(s2mt_mm_mmap_anon(&f->mm, &r, S2MT_BACK_HUGETLB_2M, &hva), 0);
	expect(hva % SZ_1G == 3 * SZ_2M, "0x%" PRIx64, hva);
	/* a smaller hint with offset 0 changes nothing */
	r.align_hint = SZ_64K;
	r.align_offset = 0;
	expect_rc(s2mt_mm_mmap_anon(&f->mm, &r, S2MT_BACK_HUGETLB_2M, &hva), 0);
	expect(hva % SZ_2M == 0, "0x%" PRIx64, hva);
	check_invariants(&f->mm);
	fx_free(f);
}

static void test_H2_hint_address(void **state)
{
	struct fx *f = fx_new("grace-hopper", S2MT_ERA_6_17, 8 * SZ_1G);
	struct s2mt_mmap_req r;
	uint64_t hva, first;

	(void)state;
	first = anon(f, SZ_1M, S2MT_BACK_ANON);
	/* free: taken as is */
	r = rq(0x200000000000ull, SZ_64K, RD, PRIVATE);
	expect_rc(s2mt_mm_mmap_anon(&f->mm, &r, S2MT_BACK_ANON, &hva), 0);
	expect(hva == 0x200000000000ull, "0x%" PRIx64, hva);
	/* rounded up to a page */
	r.addr = 0x300000000001ull;
	expect_rc(s2mt_mm_mmap_anon(&f->mm, &r, S2MT_BACK_ANON, &hva), 0);
	expect(hva == 0x300000001000ull, "0x%" PRIx64, hva);
	/* occupied: ignored, the old mapping is untouched, no notifier */
	r.addr = first + SZ_4K;
	expect_rc(s2mt_mm_mmap_anon(&f->mm, &r, S2MT_BACK_ANON, &hva), 0);
	expect(hva == first + SZ_1M, "0x%" PRIx64, hva);
	expect(vma_at(f, first)->end == first + SZ_1M && f->rec.n == 0,
	       "not replaced");
	/* hugetlb: rounded up to the huge page size */
	r.addr = 0x400000001000ull;
	r.len = SZ_2M;
	expect_rc(s2mt_mm_mmap_anon(&f->mm, &r, S2MT_BACK_HUGETLB_2M, &hva), 0);
	expect(hva == 0x400000200000ull, "0x%" PRIx64, hva);
	/* beyond TASK_SIZE: ignored */
	r.addr = S2MT_TASK_SIZE - SZ_4K;
	expect_rc(s2mt_mm_mmap_anon(&f->mm, &r, S2MT_BACK_ANON, &hva), 0);
	expect(hva < 0x200000000000ull, "0x%" PRIx64, hva);
	/* THP: natural alignment is only a preference */
	r.addr = 0x500000001000ull;
	expect_rc(s2mt_mm_mmap_anon(&f->mm, &r, S2MT_BACK_THP, &hva), 0);
	expect(hva == 0x500000001000ull, "0x%" PRIx64, hva);
	/* with align_hint the hint is moved to satisfy it */
	r.addr = 0x600000001000ull;
	r.align_hint = SZ_1M;
	r.align_offset = SZ_64K;
	expect_rc(s2mt_mm_mmap_anon(&f->mm, &r, S2MT_BACK_ANON, &hva), 0);
	expect(hva == 0x600000010000ull, "0x%" PRIx64, hva);
	check_invariants(&f->mm);
	fx_free(f);
}

static void test_H2_first_fit_reuses_hole(void **state)
{
	struct fx *f = fx_new("grace-hopper", S2MT_ERA_6_17, 8 * SZ_1G);
	uint64_t a, b, c, hva;

	(void)state;
	a = anon(f, SZ_1M, S2MT_BACK_ANON);
	b = anon(f, SZ_1M, S2MT_BACK_ANON);
	c = anon(f, SZ_1M, S2MT_BACK_ANON);
	expect(b == a + SZ_1M && c == b + SZ_1M, "packed");
	expect_rc(s2mt_mm_munmap(&f->mm, b, SZ_1M), 0);
	hva = anon(f, SZ_1M + SZ_4K, S2MT_BACK_ANON);
	expect(hva == c + SZ_1M, "too big for the hole: 0x%" PRIx64, hva);
	hva = anon(f, SZ_64K, S2MT_BACK_ANON);
	expect(hva == b, "fits the hole");
	fx_free(f);
}

/* ------------------------------------------------------------------ */
/* MAP_FIXED, munmap, mprotect                                         */
/* ------------------------------------------------------------------ */

static void test_K8_fixed_replaces_and_notifies(void **state)
{
	struct fx *f = fx_new("grace-hopper", S2MT_ERA_6_17, 8 * SZ_1G);
	const struct s2mt_device *nic = &f->host.devices[f->nic];
	struct s2mt_mmap_req r;
	const struct s2mt_vma *v;
	uint64_t a, pa0, hva;

	(void)state;
	a = anon(f, 16 * SZ_4K, S2MT_BACK_ANON);
	pa0 = vma_at(f, a)->pa;

	/* A BAR page over pages 4..5 of the anonymous VMA. */
	r = rq(a + 4 * SZ_4K, 2 * SZ_4K, RD | WR, SHARED | FIXED);
	expect_rc(s2mt_mm_mmap_vfio_bar(&f->mm, &r, f->nic, 0, 0, &hva), 0);
	expect(hva == a + 4 * SZ_4K, "fixed address");
	expect(f->rec.n == 1 && f->rec.start[0] == a + 4 * SZ_4K &&
		       f->rec.end[0] == a + 6 * SZ_4K,
	       "one notifier call for the replaced range (%zu)", f->rec.n);
	expect(f->mm.nr_vmas == 3, "%zu VMAs", f->mm.nr_vmas);
	v = &f->mm.vmas[0];
	expect(v->start == a && v->end == a + 4 * SZ_4K && v->pa == pa0 &&
		       v->origin == S2MT_ORIGIN_ANON,
	       "left piece");
	v = &f->mm.vmas[1];
	expect(v->start == a + 4 * SZ_4K && v->pa == nic->bars[0].pa &&
		       v->origin == S2MT_ORIGIN_VFIO_BAR,
	       "new VMA");
	v = &f->mm.vmas[2];
	expect(v->start == a + 6 * SZ_4K && v->end == a + 16 * SZ_4K &&
		       v->pa == pa0 + 6 * SZ_4K &&
		       v->origin == S2MT_ORIGIN_ANON,
	       "right piece keeps its PA: 0x%" PRIx64, v->pa);

	/* Over several VMAs and a hole: one call. */
	r = rq(a + 2 * SZ_4K, 32 * SZ_4K, RD, PRIVATE | FIXED);
	expect_rc(s2mt_mm_mmap_anon(&f->mm, &r, S2MT_BACK_ANON, &hva), 0);
	expect(f->rec.n == 2 && f->rec.start[1] == a + 2 * SZ_4K &&
		       f->rec.end[1] == a + 34 * SZ_4K,
	       "second call");
	expect(f->mm.nr_vmas == 2 && f->mm.vmas[0].end == a + 2 * SZ_4K &&
		       f->mm.vmas[1].start == a + 2 * SZ_4K &&
		       f->mm.vmas[1].end == a + 34 * SZ_4K,
	       "replaced");

	/* Onto a free range: no call. */
	r = rq(0x300000000000ull, SZ_4K, RD, PRIVATE | FIXED);
	expect_rc(s2mt_mm_mmap_anon(&f->mm, &r, S2MT_BACK_ANON, &hva), 0);
	expect(f->rec.n == 2 && hva == 0x300000000000ull, "no call");

	/* A fixed mapping that would split a hugetlb VMA off a boundary. */
	r = rq(0, 2 * SZ_2M, RD, PRIVATE);
	expect_rc(s2mt_mm_mmap_anon(&f->mm, &r, S2MT_BACK_HUGETLB_2M, &hva), 0);
	r = rq(hva + SZ_4K, SZ_4K, RD, PRIVATE | FIXED);
	expect_refused(f, s2mt_mm_mmap_anon(&f->mm, &r, S2MT_BACK_ANON, &a),
		       -S2MT_EINVAL, "H2");
	r = rq(hva + SZ_2M - SZ_4K, SZ_4K, RD, PRIVATE | FIXED);
	expect_refused(f, s2mt_mm_mmap_anon(&f->mm, &r, S2MT_BACK_ANON, &a),
		       -S2MT_EINVAL, "H2");
	/* ... on a huge boundary it is fine */
	r = rq(hva + SZ_2M, SZ_2M, RD, PRIVATE | FIXED);
	expect_rc(s2mt_mm_mmap_anon(&f->mm, &r, S2MT_BACK_ANON, &a), 0);
	expect(vma_at(f, hva)->end == hva + SZ_2M &&
		       vma_at(f, hva + SZ_2M)->origin == S2MT_ORIGIN_ANON,
	       "hugetlb VMA cut at 2 MiB");
	/* A refused fixed mmap (driver check) leaves the old mapping. */
	r = rq(hva, SZ_4K, RD, PRIVATE | FIXED);
	expect_refused(f, s2mt_mm_mmap_vfio_bar(&f->mm, &r, f->nic, 2, 0, &a),
		       -S2MT_EINVAL, "H4");
	check_invariants(&f->mm);
	fx_free(f);
}

static void test_K8_munmap_splits_keep_pa(void **state)
{
	struct fx *f = fx_new("grace-hopper", S2MT_ERA_6_17, 8 * SZ_1G);
	const struct s2mt_device *g = &f->host.devices[f->gpu];
	struct s2mt_mmap_req r = rq(0, 64 * SZ_2M, RD | WR, SHARED);
	struct s2mt_mm *mm = &f->mm;
	const struct s2mt_vma *v;
	uint64_t u, a, b, pa;

	(void)state;
	expect_rc(s2mt_mm_mmap_nvgrace(mm, &r, f->gpu, S2MT_NVGRACE_USEMEM,
				       SZ_1G, &u),
		  0);
	/* A hole in the middle: two pieces, the right one's PA moved on. */
	expect_rc(s2mt_mm_munmap(mm, u + SZ_2M, SZ_2M + 1), 0);
	expect(f->rec.n == 1 && f->rec.start[0] == u + SZ_2M &&
		       f->rec.end[0] == u + 2 * SZ_2M + SZ_4K,
	       "notified with the page-rounded range");
	expect(mm->nr_vmas == 2, "%zu", mm->nr_vmas);
	v = vma_at(f, u);
	expect(v->end == u + SZ_2M && v->pa == g->usemem_pa + SZ_1G, "left");
	v = vma_at(f, u + 2 * SZ_2M + SZ_4K);
	expect(v->start == u + 2 * SZ_2M + SZ_4K &&
		       v->pa == g->usemem_pa + SZ_1G + 2 * SZ_2M + SZ_4K &&
		       v->end == u + 64 * SZ_2M && v->device == f->gpu &&
		       v->flags == vma_at(f, u)->flags,
	       "right piece pa 0x%" PRIx64, v->pa);
	expect(!s2mt_mm_hva_to_pa(mm, u + SZ_2M, &pa), "hole");
	expect(s2mt_mm_hva_to_pa(mm, u + 3 * SZ_2M, &pa) &&
		       pa == g->usemem_pa + SZ_1G + 3 * SZ_2M,
	       "hva_to_pa right of the hole");

	/* Across VMAs: trims both ends, removes what is inside. */
	a = anon(f, 8 * SZ_4K, S2MT_BACK_ANON);
	b = anon(f, 8 * SZ_4K, S2MT_BACK_ANON);
	expect(b == a + 8 * SZ_4K, "adjacent");
	pa = vma_at(f, b)->pa;
	expect_rc(s2mt_mm_munmap(mm, a + 4 * SZ_4K, 8 * SZ_4K), 0);
	expect(vma_at(f, a)->end == a + 4 * SZ_4K, "a trimmed");
	v = vma_at(f, b + 4 * SZ_4K);
	expect(v->start == b + 4 * SZ_4K && v->pa == pa + 4 * SZ_4K,
	       "b trimmed on the left");
	/* Whole VMAs, and a range spanning everything */
	expect_rc(s2mt_mm_munmap(mm, a, 4 * SZ_4K), 0);
	expect(!s2mt_mm_find_vma(mm, a), "a gone");
	expect_rc(s2mt_mm_munmap(mm, TIB, 1ull << 46), 0);
	expect(mm->nr_vmas == 0, "%zu", mm->nr_vmas);

	/* Nothing mapped: 0, no notifier call. */
	size_t calls = f->rec.n;
	expect_rc(s2mt_mm_munmap(mm, TIB, SZ_1G), 0);
	expect(f->rec.n == calls, "no call");

	a = anon(f, SZ_1M, S2MT_BACK_ANON);
	expect_refused(f, s2mt_mm_munmap(mm, a + 1, SZ_4K), -S2MT_EINVAL, "H2");
	expect_refused(f, s2mt_mm_munmap(mm, a, 0), -S2MT_EINVAL, "H2");
	expect_refused(f, s2mt_mm_munmap(mm, a, S2MT_TASK_SIZE), -S2MT_EINVAL,
		       "H2");
	expect_refused(f, s2mt_mm_munmap(mm, a, UINT64_MAX), -S2MT_EINVAL,
		       "H2");
	expect_refused(f, s2mt_mm_munmap(mm, S2MT_TASK_SIZE + SZ_4K, SZ_4K),
		       -S2MT_EINVAL, "H2");
	expect_rc(s2mt_mm_munmap(NULL, a, SZ_4K), -S2MT_EINVAL);

	/* hugetlb VMAs split only on huge boundaries */
	r = rq(0, SZ_1G, RD, PRIVATE);
	expect_rc(s2mt_mm_mmap_anon(mm, &r, S2MT_BACK_HUGETLB_1G, &b), 0);
	expect_refused(f, s2mt_mm_munmap(mm, b, SZ_2M), -S2MT_EINVAL, "H2");
	expect_refused(f, s2mt_mm_munmap(mm, b + SZ_2M, SZ_1G), -S2MT_EINVAL,
		       "H2");
	expect_rc(s2mt_mm_munmap(mm, b - SZ_1G, 3 * SZ_1G), 0);
	expect(!s2mt_mm_find_vma(mm, b), "whole hugetlb VMA unmapped");
	check_invariants(mm);
	fx_free(f);
}

static void test_K8_mprotect_splits_and_notifies(void **state)
{
	struct fx *f = fx_new("grace-hopper", S2MT_ERA_6_17, 8 * SZ_1G);
	const struct s2mt_bar *bar = &f->host.devices[f->nic].bars[2];
	struct s2mt_mmap_req r = rq(0, 16 * SZ_2M, RD, SHARED);
	struct s2mt_mm *mm = &f->mm;
	const struct s2mt_vma *v;
	uint64_t d, a, h, devflags;

	(void)state;
	expect_rc(s2mt_mm_mmap_vfio_bar(mm, &r, f->nic, 2, 0, &d), 0);
	devflags = vma_at(f, d)->flags;
	expect_rc(s2mt_mm_mprotect(mm, d + SZ_2M, SZ_2M, RD | WR | EX), 0);
	expect(f->rec.n == 1 && f->rec.start[0] == d + SZ_2M &&
		       f->rec.end[0] == d + 2 * SZ_2M,
	       "change_protection notifies");
	expect(mm->nr_vmas == 3, "%zu", mm->nr_vmas);
	v = vma_at(f, d + SZ_2M);
	expect(v->start == d + SZ_2M && v->end == d + 2 * SZ_2M &&
		       v->pa == bar->pa + SZ_2M &&
		       v->flags == (devflags | S2MT_VM_WRITE | S2MT_VM_EXEC) &&
		       v->attrindx == S2MT_MT_IDX_DEVICE_nGnRnE,
	       "middle: only RWX changed, flags 0x%" PRIx64, v->flags);
	v = vma_at(f, d + 2 * SZ_2M);
	expect(v->pa == bar->pa + 2 * SZ_2M && v->flags == devflags, "right");
	expect(vma_at(f, d)->flags == devflags && vma_at(f, d)->pa == bar->pa,
	       "left");
	/* PROT_NONE over all three (no merging: still three VMAs) */
	expect_rc(s2mt_mm_mprotect(mm, d, 16 * SZ_2M, 0), 0);
	expect(mm->nr_vmas == 3, "%zu", mm->nr_vmas);
	for (size_t i = 0; i < mm->nr_vmas; i++)
		expect(!(mm->vmas[i].flags & RWX_FLAGS) &&
			       (mm->vmas[i].flags & ~RWX_FLAGS) ==
				       (devflags & ~RWX_FLAGS),
		       "VMA %zu", i);
	/* Length rounded up; len 0 is a no-op without a notifier call. */
	a = anon(f, 4 * SZ_4K, S2MT_BACK_ANON);
	size_t calls = f->rec.n;
	expect_rc(s2mt_mm_mprotect(mm, a, 0, RD), 0);
	expect(f->rec.n == calls, "len 0");
	expect_rc(s2mt_mm_mprotect(mm, a, 1, RD), 0);
	expect(vma_at(f, a)->end == a + SZ_4K &&
		       vma_at(f, a)->flags == S2MT_VM_READ,
	       "one page");

	/* Errors change nothing. */
	expect_refused(f, s2mt_mm_mprotect(mm, a + 2, SZ_4K, RD), -S2MT_EINVAL,
		       "H2");
	expect_refused(f, s2mt_mm_mprotect(mm, a, SZ_4K, 0x10), -S2MT_EINVAL,
		       "H2");
	/* a hole after a's VMA: -ENOMEM, a not changed either */
	expect_refused(f, s2mt_mm_mprotect(mm, a, 8 * SZ_4K, RD | WR),
		       -S2MT_ENOMEM, "H2");
	expect_refused(f, s2mt_mm_mprotect(mm, a + 3 * SZ_4K, 2 * SZ_4K, RD),
		       -S2MT_ENOMEM, "H2");
	expect_refused(f, s2mt_mm_mprotect(mm, a, UINT64_MAX - a, RD),
		       -S2MT_ENOMEM, "H2");
	r = rq(0, SZ_1G, RD, PRIVATE);
	expect_rc(s2mt_mm_mmap_anon(mm, &r, S2MT_BACK_HUGETLB_1G, &h), 0);
	expect_refused(f, s2mt_mm_mprotect(mm, h, SZ_2M, RD | WR), -S2MT_EINVAL,
		       "H2");
	expect_rc(s2mt_mm_mprotect(mm, h, SZ_1G, RD | WR), 0);
	expect(vma_at(f, h)->flags ==
		       (S2MT_VM_READ | S2MT_VM_WRITE | S2MT_VM_HUGETLB |
			S2MT_VM_DONTEXPAND),
	       "hugetlb whole");
	/* Flags that would not change: mprotect_fixup() skips the VMA, so
	 * no split (and no H2 refusal of one), no notifier. */
	calls = f->rec.n;
	size_t nr = mm->nr_vmas;
	expect_rc(s2mt_mm_mprotect(mm, h + SZ_4K, SZ_2M, RD | WR), 0);
	expect(f->rec.n == calls && mm->nr_vmas == nr &&
		       vma_at(f, h)->start == h &&
		       vma_at(f, h)->end == h + SZ_1G,
	       "an mprotect to the same flags split or notified");
	/* Over a VMA that changes and one that does not: the first alone
	 * is split and notified. */
	uint64_t b1 = anon(f, 4 * SZ_4K, S2MT_BACK_ANON);
	uint64_t b2 = anon(f, 4 * SZ_4K, S2MT_BACK_ANON);

	expect(b2 == b1 + 4 * SZ_4K, "packed");
	expect_rc(s2mt_mm_mprotect(mm, b2, 4 * SZ_4K, RD), 0);
	calls = f->rec.n;
	expect_rc(s2mt_mm_mprotect(mm, b1 + SZ_4K, 5 * SZ_4K, RD), 0);
	expect(f->rec.n == calls + 1 && f->rec.start[calls] == b1 + SZ_4K &&
		       f->rec.end[calls] == b2,
	       "notified [%#" PRIx64 ", %#" PRIx64 ")", f->rec.start[calls],
	       f->rec.end[calls]);
	expect(vma_at(f, b1)->end == b1 + SZ_4K &&
		       vma_at(f, b1 + SZ_4K)->end == b2 &&
		       vma_at(f, b2)->start == b2 &&
		       vma_at(f, b2)->end == b2 + 4 * SZ_4K,
	       "split where the flags change only");
	expect_rc(s2mt_mm_mprotect(NULL, h, SZ_4K, RD), -S2MT_EINVAL);
	check_invariants(mm);
	fx_free(f);
}

/* ------------------------------------------------------------------ */
/* Notifiers, lookups, names                                           */
/* ------------------------------------------------------------------ */

static struct s2mt_mm *g_unreg_mm;

static void unreg_self(void *arg, uint64_t start, uint64_t end)
{
	struct rec *r = arg;

	rec_cb(arg, start, end);
	s2mt_mm_unregister_notifier(g_unreg_mm, r);
}

static void test_K8_notifier_register(void **state)
{
	struct fx *f = fx_new("grace-hopper", S2MT_ERA_6_17, 4 * SZ_1G);
	struct rec *recs = calloc(S2MT_MAX_NOTIFIERS, sizeof(*recs));
	struct s2mt_mm *mm = &f->mm;
	uint64_t a;
	int i;

	(void)state;
	assert_non_null(recs);
	/* the fixture holds one; fill the rest */
	for (i = 1; i < S2MT_MAX_NOTIFIERS; i++)
		expect_rc(s2mt_mm_register_notifier(mm,
						    &(struct s2mt_mm_notifier){
							    rec_cb, &recs[i] }),
			  0);
	expect_refused(
		f,
		s2mt_mm_register_notifier(
			mm, &(struct s2mt_mm_notifier){ rec_cb, &recs[0] }),
		-S2MT_ENOSPC, "K8");
	a = anon(f, SZ_64K, S2MT_BACK_ANON);
	expect_rc(s2mt_mm_munmap(mm, a, SZ_4K), 0);
	for (i = 1; i < S2MT_MAX_NOTIFIERS; i++)
		expect(recs[i].n == 1 && recs[i].start[0] == a, "notifier %d",
		       i);
	expect(f->rec.n == 1, "fixture notifier");
	s2mt_mm_unregister_notifier(mm, &recs[3]);
	s2mt_mm_unregister_notifier(mm, &recs[5]);
	s2mt_mm_unregister_notifier(mm, (void *)0x1234); /* not there */
	expect(mm->nr_notifiers == S2MT_MAX_NOTIFIERS - 2, "%zu",
	       mm->nr_notifiers);
	expect_rc(s2mt_mm_mprotect(mm, a + SZ_4K, SZ_4K, RD), 0);
	expect(recs[3].n == 1 && recs[5].n == 1 && recs[4].n == 2 &&
		       f->rec.n == 2,
	       "unregistered ones not called");
	/* A callback may unregister itself. */
	g_unreg_mm = mm;
	s2mt_mm_unregister_notifier(mm, &recs[4]);
	expect_rc(
		s2mt_mm_register_notifier(
			mm, &(struct s2mt_mm_notifier){ unreg_self, &recs[4] }),
		0);
	expect_rc(s2mt_mm_munmap(mm, a + SZ_4K, SZ_4K), 0);
	expect_rc(s2mt_mm_munmap(mm, a + 2 * SZ_4K, SZ_4K), 0);
	expect(recs[4].n == 3 && recs[6].n == 4, "%zu %zu", recs[4].n,
	       recs[6].n);
	expect_refused(f, s2mt_mm_register_notifier(mm, NULL), -S2MT_EINVAL,
		       "K8");
	expect_refused(
		f,
		s2mt_mm_register_notifier(
			mm, &(struct s2mt_mm_notifier){ NULL, &recs[0] }),
		-S2MT_EINVAL, "K8");
	free(recs);
	fx_free(f);
}

static void test_H2_find_vma_intersection(void **state)
{
	struct fx *f = fx_new("grace-hopper", S2MT_ERA_6_17, 4 * SZ_1G);
	struct s2mt_mm *mm = &f->mm;
	uint64_t a, b;
	uint64_t pa;

	(void)state;
	expect(!s2mt_mm_find_vma(mm, TIB), "empty");
	expect(!s2mt_mm_find_vma_intersection(mm, 0, UINT64_MAX), "empty");
	a = anon(f, 4 * SZ_4K, S2MT_BACK_ANON);
	b = a + 8 * SZ_4K;
	struct s2mt_mmap_req r = rq(b, 4 * SZ_4K, RD, PRIVATE | FIXED);
	expect_rc(s2mt_mm_mmap_anon(mm, &r, S2MT_BACK_ANON, &b), 0);
	expect(s2mt_mm_find_vma(mm, a)->start == a, "start");
	expect(s2mt_mm_find_vma(mm, a + 4 * SZ_4K - 1)->start == a, "last");
	expect(!s2mt_mm_find_vma(mm, a + 4 * SZ_4K), "end is exclusive");
	expect(!s2mt_mm_find_vma(mm, a - 1), "before");
	expect(s2mt_mm_find_vma_intersection(mm, 0, a + 1)->start == a, "a");
	expect(!s2mt_mm_find_vma_intersection(mm, 0, a), "ends at a");
	expect(!s2mt_mm_find_vma_intersection(mm, a + 4 * SZ_4K, b), "gap");
	expect(s2mt_mm_find_vma_intersection(mm, a + 4 * SZ_4K, b + 1)->start ==
		       b,
	       "b");
	expect(s2mt_mm_find_vma_intersection(mm, a + SZ_4K, b + 1)->start == a,
	       "first of two");
	expect(!s2mt_mm_find_vma_intersection(mm, b, b), "empty range");
	expect(!s2mt_mm_find_vma_intersection(mm, b + 4 * SZ_4K, UINT64_MAX),
	       "after");
	expect(!s2mt_mm_hva_to_pa(mm, a - SZ_4K, &pa), "unmapped");
	expect(s2mt_mm_hva_to_pa(mm, a, NULL), "NULL pa is fine");
	expect(!s2mt_mm_find_vma(NULL, a), "NULL mm");
	fx_free(f);
}

static void test_names(void **state)
{
	struct fx *f = fx_new("grace-hopper", S2MT_ERA_6_17, 4 * SZ_1G);
	struct s2mt_vma v = { .origin = S2MT_ORIGIN_VFIO_BAR,
			      .device = 0,
			      .region = 2 };
	char d[64];
	size_t n;

	(void)state;
	expect(!strcmp(s2mt_backing_name(S2MT_BACK_ANON), "anon"), "anon");
	expect(!strcmp(s2mt_backing_name(S2MT_BACK_PFN), "pfnmap"), "pfn");
	expect(!strcmp(s2mt_backing_name(S2MT_BACK_HUGETLB_1G), "hugetlb-1G"),
	       "1G");
	expect(!strcmp(s2mt_backing_name(77), "?"), "?");
	expect(!strcmp(s2mt_origin_name(S2MT_ORIGIN_DEVMEM), "/dev/mem"),
	       "devmem");
	expect(!strcmp(s2mt_origin_name(S2MT_ORIGIN_NVGRACE_RESMEM),
		       "nvgrace-gpu resmem"),
	       "resmem");
	expect(!strcmp(s2mt_origin_name(77), "?"), "?");
	n = s2mt_vma_describe(&f->host, &v, d, sizeof(d));
	expect(n == strlen("vfio-pci nic0 BAR2") &&
		       !strcmp(d, "vfio-pci nic0 BAR2"),
	       "%s", d);
	n = s2mt_vma_describe(&f->host, &v, d, 9);
	expect(n == 8 && !strcmp(d, "vfio-pci"), "truncated: %zu %s", n, d);
	expect(s2mt_vma_describe(&f->host, &v, d, 0) == 0, "len 0");
	v.device = 30;
	s2mt_vma_describe(&f->host, &v, d, sizeof(d));
	expect(!strcmp(d, "vfio-pci ? BAR2"), "%s", d);
	v.origin = 99;
	s2mt_vma_describe(&f->host, &v, d, sizeof(d));
	expect(!strcmp(d, "?"), "%s", d);
	fx_free(f);
}

/* ------------------------------------------------------------------ */
/* Randomized differential test                                        */
/* ------------------------------------------------------------------ */

/* The reference: one entry per page of a 2 GiB window at 1 TiB. A VMA is a
 * maximal run of pages with the same id (the model never merges). */
#define REF_PAGES (1u << 19)
#define REF_BASE TIB

struct ref_page {
	uint32_t id; /* 0: unmapped */
	uint8_t origin, backing;
	uint64_t pa;
	uint64_t flags;
};

struct ref {
	struct ref_page *p;
	uint32_t next_id;
	uint64_t ram_next;
	uint64_t hi; /* pages below this may be in use */
};

static uint64_t pg(uint64_t hva)
{
	return (hva - REF_BASE) / SZ_4K;
}

static bool ref_range_free(const struct ref *ref, uint64_t hva, uint64_t len)
{
	uint64_t i;

	if (hva < REF_BASE || pg(hva) + len / SZ_4K > REF_PAGES)
		return false;
	for (i = pg(hva); i < pg(hva) + len / SZ_4K; i++)
		if (ref->p[i].id)
			return false;
	return true;
}

static bool ref_any_mapped(const struct ref *ref, uint64_t hva, uint64_t len)
{
	uint64_t i;

	for (i = pg(hva); i < pg(hva) + len / SZ_4K; i++)
		if (ref->p[i].id)
			return true;
	return false;
}

/* Whether splitting at hva would cut a hugetlb VMA off a huge boundary. */
static bool ref_bad_split(const struct ref *ref, uint64_t hva)
{
	uint64_t i = pg(hva);

	if (i == 0 || i >= REF_PAGES || !ref->p[i].id ||
	    ref->p[i].id != ref->p[i - 1].id)
		return false;
	if (!(ref->p[i].flags & S2MT_VM_HUGETLB))
		return false;
	return hva %
		(ref->p[i].backing == S2MT_BACK_HUGETLB_1G ? SZ_1G : SZ_2M);
}

/* Whether mprotect to flags changes the VMA of page i. */
static bool ref_changes(const struct ref *ref, uint64_t i, uint64_t flags)
{
	return (ref->p[i].flags & RWX_FLAGS) != (flags & RWX_FLAGS);
}

static uint64_t up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

/* Natural alignment of a device mapping: min(len rounded up, 1 GiB). */
static uint64_t pow2_roundup_ref(uint64_t v)
{
	uint64_t p = SZ_4K;

	while (p < v)
		p <<= 1;
	return p > SZ_1G ? SZ_1G : p;
}

/* First fit at or above REF_BASE with hva % align == off. */
static uint64_t ref_first_fit(const struct ref *ref, uint64_t len,
			      uint64_t align, uint64_t off)
{
	uint64_t c = REF_BASE <= off ? off : up(REF_BASE - off, align) + off;

	for (;;) {
		uint64_t i, n = len / SZ_4K, bad = 0;
		bool ok = true;

		expect(pg(c) + n <= REF_PAGES, "reference window exhausted");
		for (i = 0; i < n; i++)
			if (ref->p[pg(c) + i].id) {
				ok = false;
				bad = c + (i + 1) * SZ_4K;
			}
		if (ok)
			return c;
		c = up(bad - off, align) + off;
	}
}

static void ref_set(struct ref *ref, uint64_t hva, uint64_t len, uint64_t pa,
		    uint64_t flags, uint8_t origin, uint8_t backing)
{
	uint32_t id = ref->next_id++;
	uint64_t i;

	for (i = 0; i < len / SZ_4K; i++) {
		struct ref_page *p = &ref->p[pg(hva) + i];

		p->id = id;
		p->pa = pa + i * SZ_4K;
		p->flags = flags;
		p->origin = origin;
		p->backing = backing;
	}
	if (pg(hva) + len / SZ_4K > ref->hi)
		ref->hi = pg(hva) + len / SZ_4K;
}

static void ref_clear(struct ref *ref, uint64_t hva, uint64_t len)
{
	uint64_t i;

	for (i = pg(hva); i < pg(hva) + len / SZ_4K; i++)
		ref->p[i].id = 0;
}

/* The model agrees with the reference on every page, VMA bounds included. */
static void ref_compare(const struct fx *f, const struct ref *ref)
{
	size_t runs = 0;
	uint64_t i;

	check_invariants(&f->mm);
	for (i = 0; i < ref->hi; i++) {
		const struct ref_page *p = &ref->p[i];
		uint64_t hva = REF_BASE + i * SZ_4K, pa = 0;
		const struct s2mt_vma *v = s2mt_mm_find_vma(&f->mm, hva);
		bool m = s2mt_mm_hva_to_pa(&f->mm, hva + 7, &pa);

		if (!p->id) {
			expect(!v && !m, "page 0x%" PRIx64 " should be free",
			       hva);
			continue;
		}
		expect(v && m, "page 0x%" PRIx64 " should be mapped", hva);
		expect(pa == p->pa + 7,
		       "0x%" PRIx64 ": pa 0x%" PRIx64 ", want 0x%" PRIx64, hva,
		       pa, p->pa + 7);
		expect(v->flags == p->flags && v->origin == p->origin &&
			       v->backing == p->backing,
		       "0x%" PRIx64 ": flags 0x%" PRIx64 " want 0x%" PRIx64,
		       hva, v->flags, p->flags);
		bool first = i == 0 || ref->p[i - 1].id != p->id;
		bool last = i + 1 == REF_PAGES || ref->p[i + 1].id != p->id;

		expect(first == (v->start == hva),
		       "0x%" PRIx64 ": VMA starts at 0x%" PRIx64, hva,
		       v->start);
		expect(last == (v->end == hva + SZ_4K),
		       "0x%" PRIx64 ": VMA ends at 0x%" PRIx64, hva, v->end);
		if (first)
			runs++;
		const struct s2mt_vma *x =
			s2mt_mm_find_vma_intersection(&f->mm, hva, hva + 1);
		expect(x == v, "intersection");
	}
	expect(runs == f->mm.nr_vmas, "%zu VMAs, reference has %zu",
	       f->mm.nr_vmas, runs);
}

static void test_H2_random_vs_reference(void **state)
{
	struct fx *f = fx_new("qemu-max", S2MT_ERA_6_9, 64 * SZ_1G);
	const struct s2mt_device *nic = &f->host.devices[f->nic];
	struct ref ref = { .next_id = 1, .ram_next = S2MT_HOST_RAM_BASE };
	unsigned long nops = env_u64("S2MT_TEST_OPS", 6000);
	size_t calls;
	unsigned long counts[8] = { 0 }, refused = 0, eno[64] = { 0 };

	(void)state;
	g_seed = env_u64("S2MT_TEST_SEED", 0x5eed4057);
	rng_state = g_seed;
	print_message("test_H2_random_vs_reference: seed %#" PRIx64
		      ", %lu ops (S2MT_TEST_SEED / S2MT_TEST_OPS)\n",
		      g_seed, nops);
	ref.p = calloc(REF_PAGES, sizeof(*ref.p));
	assert_non_null(ref.p);

	for (g_op = 0; g_op < nops; g_op++) {
		unsigned kind = (unsigned)rnd_below(8);
		/* a window of 8 MiB where fixed ops land */
		uint64_t addr = REF_BASE + rnd_below(2048) * SZ_4K;
		/* munmap and mprotect also reach the placed mappings */
		if (kind >= 4 && rnd_below(2))
			addr = REF_BASE + rnd_below(ref.hi + 64) * SZ_4K;
		uint64_t len = (1 + rnd_below(64)) * SZ_4K;
		unsigned prot = (unsigned)rnd_below(8);
		/* vfio-pci refuses MAP_PRIVATE: sometimes */
		bool shared = kind == 3 ? rnd_below(8) != 0 : rnd_below(2);
		struct s2mt_mmap_req r;
		uint64_t hva = 0, want, pa, flags;
		int rc, want_rc;

		if (rnd_below(4) == 0)
			len -= rnd_below(SZ_4K); /* rounded up by mmap */
		r = rq(0, len, prot, shared ? SHARED : PRIVATE);
		len = up(len, SZ_4K);
		calls = f->rec.n;
		counts[kind]++;
		flags = (prot & RD ? S2MT_VM_READ : 0) |
			(prot & WR ? S2MT_VM_WRITE : 0) |
			(prot & EX ? S2MT_VM_EXEC : 0) |
			(shared ? S2MT_VM_SHARED : 0);

		switch (kind) {
		case 0: /* anonymous or THP, placed or hinted */
		case 1: {
			unsigned b = kind ? S2MT_BACK_THP : S2MT_BACK_ANON;
			uint64_t ra = kind ? SZ_2M : SZ_4K;

			if (rnd_below(3) == 0)
				r.addr = addr;
			want = r.addr && ref_range_free(&ref, r.addr, len)
				? r.addr
				: ref_first_fit(&ref, len, ra, 0);
			rc = s2mt_mm_mmap_anon(&f->mm, &r, b, &hva);
			expect(rc == 0 && hva == want,
			       "anon: rc %d hva 0x%" PRIx64 " want 0x%" PRIx64,
			       rc, hva, want);
			pa = up(ref.ram_next, ra);
			ref.ram_next = pa + len;
			ref_set(&ref, hva, len, pa, flags | S2MT_VM_MTE_ALLOWED,
				S2MT_ORIGIN_ANON, (uint8_t)b);
			expect(f->rec.n == calls, "no notifier");
			break;
		}
		case 2: { /* fixed anonymous or hugetlb 2M */
			bool huge = rnd_below(16) == 0;
			unsigned b =
				huge ? S2MT_BACK_HUGETLB_2M : S2MT_BACK_ANON;
			uint64_t ra = huge ? SZ_2M : SZ_4K;

			if (huge) {
				addr = REF_BASE + rnd_below(4) * SZ_2M;
				len = r.len = (1 + rnd_below(2)) * SZ_2M;
			}
			r.addr = addr;
			r.flags |= FIXED;
			want_rc = ref_bad_split(&ref, addr) ||
					ref_bad_split(&ref, addr + len)
				? -S2MT_EINVAL
				: 0;
			bool any = ref_any_mapped(&ref, addr, len);
			rc = s2mt_mm_mmap_anon(&f->mm, &r, b, &hva);
			expect(rc == want_rc, "fixed: rc %d want %d (%s)", rc,
			       want_rc, f->mm.why);
			if (rc) {
				refused++;
				eno[-rc & 63]++;
				expect(f->rec.n == calls, "refused: no call");
				break;
			}
			expect(hva == addr, "fixed at 0x%" PRIx64, addr);
			expect(f->rec.n == calls + (any ? 1 : 0) &&
				       (!any ||
					(f->rec.start[(calls) % 256] == addr &&
					 f->rec.end[(calls) % 256] ==
						 addr + len)),
			       "fixed notifier (any %d)", any);
			pa = up(ref.ram_next, ra);
			ref.ram_next = pa + len;
			ref_clear(&ref, addr, len);
			/* qemu-max has MTE; 6.9.0 predates the stable-only
			 * hugetlb fix, so hugetlb has VM_MTE_ALLOWED too. */
			ref_set(&ref, addr, len, pa,
				flags | S2MT_VM_MTE_ALLOWED |
					(huge ? S2MT_VM_HUGETLB |
							 S2MT_VM_DONTEXPAND
					      : 0),
				huge ? S2MT_ORIGIN_HUGETLBFS : S2MT_ORIGIN_ANON,
				(uint8_t)b);
			break;
		}
		case 3: { /* a vfio-pci BAR2 window, fixed or placed */
			uint64_t off = rnd_below(SZ_1G / SZ_4K) * SZ_4K;
			bool fixed = rnd_below(2);

			if (rnd_below(8) == 0)
				off = SZ_1G - len +
					SZ_4K; /* one page too far */
			if (fixed) {
				r.addr = addr;
				r.flags |= FIXED;
			}
			want_rc = !shared || off + len > SZ_1G ? -S2MT_EINVAL
				: fixed &&
					(ref_bad_split(&ref, addr) ||
					 ref_bad_split(&ref, addr + len))
				? -S2MT_EINVAL
				: 0;
			pa = nic->bars[2].pa + off;
			uint64_t a = pow2_roundup_ref(len);
			want = fixed
				? addr
				: ref_first_fit(&ref, len, a, pa & (a - 1));
			bool any = fixed && ref_any_mapped(&ref, addr, len);
			rc = s2mt_mm_mmap_vfio_bar(&f->mm, &r, f->nic, 2, off,
						   &hva);
			expect(rc == want_rc, "bar: rc %d want %d (%s)", rc,
			       want_rc, f->mm.why);
			if (rc) {
				refused++;
				eno[-rc & 63]++;
				expect(f->rec.n == calls, "refused: no call");
				break;
			}
			expect(hva == want,
			       "bar at 0x%" PRIx64 ", want 0x%" PRIx64, hva,
			       want);
			expect(f->rec.n == calls + (any ? 1 : 0),
			       "bar notifier");
			if (fixed)
				ref_clear(&ref, addr, len);
			ref_set(&ref, hva, len, pa,
				flags | PFN_FLAGS | S2MT_VM_ALLOW_ANY_UNCACHED,
				S2MT_ORIGIN_VFIO_BAR, S2MT_BACK_PFN);
			break;
		}
		case 4: /* munmap */
		case 5: {
			uint64_t raw = r.len;

			if (rnd_below(4) == 0) {
				len *= rnd_below(2) ? 8 : 64;
				raw = len;
			}
			if (rnd_below(8) ==
			    0) { /* huge-aligned: hugetlb goes */
				addr &= ~(SZ_2M - 1);
				len = raw = up(len, SZ_2M);
			}
			want_rc = ref_bad_split(&ref, addr) ||
					ref_bad_split(&ref, addr + len)
				? -S2MT_EINVAL
				: 0;
			bool any = ref_any_mapped(&ref, addr, len);
			rc = s2mt_mm_munmap(&f->mm, addr, raw);
			expect(rc == want_rc, "munmap: rc %d want %d (%s)", rc,
			       want_rc, f->mm.why);
			if (rc) {
				refused++;
				eno[-rc & 63]++;
				expect(f->rec.n == calls, "refused: no call");
				break;
			}
			expect(f->rec.n == calls + (any ? 1 : 0) &&
				       (!any ||
					(f->rec.start[calls % 256] == addr &&
					 f->rec.end[calls % 256] ==
						 addr + len)),
			       "munmap notifier (any %d)", any);
			ref_clear(&ref, addr, len);
			break;
		}
		case 6: /* mprotect, often on a mapped range */
		case 7: {
			const struct s2mt_vma *v = rnd_below(4)
				? s2mt_mm_find_vma_intersection(&f->mm, addr,
								UINT64_MAX)
				: NULL;
			uint64_t i;
			bool hole = false;

			if (v && v->start < REF_BASE + REF_PAGES * SZ_4K) {
				addr = v->start +
					rnd_below((v->end - v->start) / SZ_4K) *
						SZ_4K;
				/* now and then past the VMA (a hole or the
				 * next VMA) */
				len = (1 +
				       rnd_below((v->end - addr) / SZ_4K +
						 (rnd_below(4) ? 0 : 4))) *
					SZ_4K;
			}
			for (i = pg(addr); i < pg(addr) + len / SZ_4K; i++)
				hole |= !ref.p[i].id;
			/* mprotect_fixup(): a VMA whose flags do not change
			 * is not split, so it cannot refuse the split. */
			want_rc = hole ? -S2MT_ENOMEM
				: (ref_bad_split(&ref, addr) &&
				   ref_changes(&ref, pg(addr), flags)) ||
					(ref_bad_split(&ref, addr + len) &&
					 ref_changes(&ref, pg(addr + len) - 1,
						     flags))
				? -S2MT_EINVAL
				: 0;
			rc = s2mt_mm_mprotect(&f->mm, addr, len, prot);
			expect(rc == want_rc, "mprotect: rc %d want %d (%s)",
			       rc, want_rc, f->mm.why);
			if (rc) {
				refused++;
				eno[-rc & 63]++;
				expect(f->rec.n == calls, "refused: no call");
				break;
			}
			/* One notifier call per run of pages whose flags
			 * change (K8: change_protection() over each changed
			 * VMA, contiguous ones as one range). */
			uint64_t n = 0;
			for (i = pg(addr); i < pg(addr) + len / SZ_4K; i++) {
				uint64_t j = i;

				if (!ref_changes(&ref, i, flags))
					continue;
				while (j < pg(addr) + len / SZ_4K &&
				       ref_changes(&ref, j, flags))
					j++;
				expect(f->rec.n > calls + n &&
					       f->rec.start[(calls + n) %
							    256] ==
						       REF_BASE + i * SZ_4K &&
					       f->rec.end[(calls + n) % 256] ==
						       REF_BASE + j * SZ_4K,
				       "mprotect notifier %" PRIu64
				       " for [%#" PRIx64 ", %#" PRIx64 ")",
				       n, (uint64_t)(REF_BASE + i * SZ_4K),
				       (uint64_t)(REF_BASE + j * SZ_4K));
				n++;
				i = j - 1;
			}
			expect(f->rec.n == calls + n,
			       "mprotect: %zu notifier calls, want %" PRIu64,
			       (size_t)(f->rec.n - calls), n);
			/* Changed VMAs keep their bounds but get new ids
			 * (one per old id, in order); unchanged ones stay. */
			uint32_t prev_old = 0, cur = 0;
			for (i = pg(addr); i < pg(addr) + len / SZ_4K; i++) {
				struct ref_page *p = &ref.p[i];

				if (!ref_changes(&ref, i, flags)) {
					prev_old = 0;
					continue;
				}
				if (p->id != prev_old) {
					prev_old = p->id;
					cur = ref.next_id++;
				}
				p->id = cur;
				p->flags = (p->flags & ~RWX_FLAGS) |
					(flags & RWX_FLAGS);
			}
			break;
		}
		}
		expect(f->host.ram_next == ref.ram_next,
		       "ram_next 0x%" PRIx64 " want 0x%" PRIx64,
		       f->host.ram_next, ref.ram_next);
		if (g_op % 64 == 0 || g_op + 1 == nops)
			ref_compare(f, &ref);
		if (f->rec.n > 200)
			f->rec.n = 0; /* keep indices in the buffer */
	}
	print_message("test_H2_random_vs_reference: %lu anon, %lu thp, %lu "
		      "fixed, %lu bar, %lu munmap, %lu mprotect, %lu refused, "
		      "(%lu EINVAL, %lu ENOMEM), %zu VMAs at the end, %" PRIu64
		      " pages spanned\n",
		      counts[0], counts[1], counts[2], counts[3],
		      counts[4] + counts[5], counts[6] + counts[7], refused,
		      eno[S2MT_EINVAL], eno[S2MT_ENOMEM], f->mm.nr_vmas,
		      ref.hi);
	free(ref.p);
	fx_free(f);
	g_seed = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_A8_presets_caps),
		cmocka_unit_test(test_H4_host_layout),
		cmocka_unit_test(test_H2_hugetlb_length_rounded_up),
		cmocka_unit_test(test_A2_ipa_limit_per_preset_and_era),
		cmocka_unit_test(test_H4_host_init_errors),
		cmocka_unit_test(test_K1_pfn_is_map_memory),
		cmocka_unit_test(test_H4_vfio_pci_bar_placement),
		cmocka_unit_test(test_H4_vfio_pci_add_errors),
		cmocka_unit_test(test_H4_nvgrace_layout),
		cmocka_unit_test(test_H2_anon_vma_flags),
		cmocka_unit_test(test_H2_mte_allowed_anon),
		cmocka_unit_test(test_H2_hugetlb_flags_per_era),
		cmocka_unit_test(test_H4_vfio_bar_flags_per_era),
		cmocka_unit_test(test_H4_vfio_bar_errors),
		cmocka_unit_test(test_H4_nvgrace_usemem_cacheable),
		cmocka_unit_test(test_H4_nvgrace_resmem_nc_per_era),
		cmocka_unit_test(test_H4_nvgrace_errors),
		cmocka_unit_test(test_H4_devmem_ram_eperm),
		cmocka_unit_test(test_H4_devmem_uncached_outside_linear_map),
		cmocka_unit_test(test_H2_mmap_generic_errors),
		cmocka_unit_test(test_H4_ram_exhausted_enomem),
		cmocka_unit_test(test_H2_len_rounded_up),
		cmocka_unit_test(test_K4_natural_placement),
		cmocka_unit_test(test_K4_align_hint_misaligns),
		cmocka_unit_test(test_H2_hint_address),
		cmocka_unit_test(test_H2_first_fit_reuses_hole),
		cmocka_unit_test(test_K8_fixed_replaces_and_notifies),
		cmocka_unit_test(test_K8_munmap_splits_keep_pa),
		cmocka_unit_test(test_K8_mprotect_splits_and_notifies),
		cmocka_unit_test(test_K8_notifier_register),
		cmocka_unit_test(test_H2_find_vma_intersection),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_H2_random_vs_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
