// SPDX-License-Identifier: MIT
/*
 * The scenario loader (tools/s2mt/scenario.c) against docs/scenario.md:
 * a scenario using every key loads with every field as the schema says; the
 * default story; value grammars; one bad-input fixture per class of mistake
 * (tests/data/bad/NAME.yaml) with its exact message; every fixture in that
 * directory refused with a "FILE:LINE:COLUMN: " message (a new fixture is a
 * new test); and random mutations of the good scenario, which must load or
 * be refused with such a message, never crash (run under ASan by
 * `make test-asan`). The mutation seed is printed; S2MT_TEST_SEED=<n>
 * replays or changes it, S2MT_TEST_MUTATIONS=<n> changes the count.
 * S2MT_TEST_DATA=<dir> points at tests/data when not run from the top.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "support/rng.h"

#include <dirent.h>
#include <inttypes.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tools/s2mt/runner.h"
#include "../tools/s2mt/scenario.h"

#define SZ_4K 0x1000ull
#define SZ_1M 0x100000ull
#define SZ_2M 0x200000ull
#define SZ_1G 0x40000000ull

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct scenario g_sc; /* ~150 KiB: not on the stack */
static char g_err[1024];

/* Every key of docs/scenario.md. */
static const char good[] =
	"# Every key the loader knows\n"
	"name: Full scenario\n"
	"description: >\n"
	"  Every key the loader knows,\n"
	"  on one host.\n"
	"host:\n"
	"  features: {fwb: true, dic: yes, idc: on, mte: false}\n"
	"  ram: 128G\n"
	"kernel: {version: 6.14.0-1007-nvidia, backports: "
	"[cacheable-pfnmap]}\n"
	"devices:\n"
	"  - name: nic0\n"
	"    type: vfio-pci\n"
	"    bars:\n"
	"      - {index: 0, size: 64K, read_side_effects: true}\n"
	"      - {index: 2, size: 1M, prefetchable: true, mmap: false}\n"
	"  - name: gpu0\n"
	"    type: nvgrace-gpu\n"
	"    usemem: 96G\n"
	"    resmem: 1GiB\n"
	"  - {name: gpu1, type: nvgrace-gpu, usemem: 0x8000_0000}\n"
	"vmm:\n"
	"  vm: {ipa_bits: 44, mte: true}\n"
	"  mmaps:\n"
	"    - {name: ram, kind: hugetlb-1g, size: 4G}\n"
	"    - {name: anon, kind: anonymous, size: 1536M, prot: r, shared: "
	"true}\n"
	"    - {name: thp, kind: thp, size: 0x400000, align: {to: 2M, offset: "
	"4K}}\n"
	"    - {name: huge2m, kind: hugetlb-2m, size: 4MiB, hva: "
	"0x7f00_0000_0000, prot: rwx}\n"
	"    - {name: bar0, kind: vfio-bar, device: nic0, bar: 0, offset: 4K}\n"
	"    - {name: bar2, kind: vfio-bar, device: nic0, bar: 2, size: 512K, "
	"shared: false}\n"
	"    - {name: use, kind: nvgrace-usemem, device: gpu0}\n"
	"    - {name: res, kind: nvgrace-resmem, device: gpu0, offset: 2M, "
	"prot: none}\n"
	"    - {name: dm-bar, kind: devmem, device: nic0, bar: 2}\n"
	"    - {name: dm-pa, kind: devmem, pa: 0x80000000, size: 8K, hva: "
	"0x7f0000400000}\n"
	"  memslots:\n"
	"    - {slot: 0, guest_phys_addr: 0x40000000, mmap: ram}\n"
	"    - slot: 1\n"
	"      guest_phys_addr: 0x4000000000\n"
	"      mmap: use\n"
	"      flags: [readonly, KVM_MEM_LOG_DIRTY_PAGES]\n"
	"    - {slot: 0x10002, guest_phys_addr: 0x3000000000, mmap: res, "
	"mmap_offset: 1M, flags: [0x80000000, guest-memfd]}\n"
	"    - {slot: 3, guest_phys_addr: 0x10000000, userspace_addr: "
	"0x7f0000000000, memory_size: 2M}\n"
	"    - {slot: 4, guest_phys_addr: 0x20000000, mmap: bar0, memory_size: "
	"0x1000, mmap_offset: 0, flags: []}\n"
	"guest:\n"
	"  accesses:\n"
	"    - {name: r0, ipa: 0x40000000}\n"
	"    - {name: w1, ipa: 0x4000000000, size: 2M, access: write, s1: "
	"normal-nc}\n"
	"    - {name: x2, ipa: 0x10000000, access: exec, s1: 0x44}\n"
	"    - {name: d3, ipa: 0x3000000000, s1: \"off\"}\n"
	"    - {name: t4, ipa: 0x20000000, s1: tagged}\n"
	"steps:\n"
	"  - mmap: ram\n"
	"  - mmap: anon\n"
	"  - create-vm\n"
	"  - memslot: 0\n"
	"  - memslot: 0x10002\n"
	"    expect: {errno: -EINVAL, rule: M1}\n"
	"  - slot-delete: 3\n"
	"  - slot-move: {slot: 0, guest_phys_addr: 0x80000000}\n"
	"  - slot-flags: {slot: 1, flags: [log-dirty-pages]}\n"
	"  - dirty-log: {slot: 4, enable: off}\n"
	"  - get-dirty-log: 0\n"
	"    expect: {value: 0, errno: 0}\n"
	"  - access: r0\n"
	"    expect: {outcome: mapped, effective: normal-wb, stage2: force-wb, "
	"leaf: 1G, rule: K2}\n"
	"  - munmap: anon\n"
	"  - munmap: {mmap: anon, offset: 4K, size: 8K}\n"
	"  - mprotect: {mmap: ram, prot: rx, offset: 0, size: 1G}\n"
	"  - capability: {cap: cacheable-pfnmap}\n"
	"    expect: {value: 1}\n"
	"  - capability: {cap: 10, on: system}\n"
	"    expect: {value: -22}\n"
	"  - capability: mte\n"
	"  - migrate: no-fwb\n"
	"  - migrate: {preset: qemu-max, kernel: 6.8.0-31-generic}\n"
	"    expect: {rule: Z8}\n"
	"  - access: w1\n"
	"    expect: {effective: Normal-oWB-iNC, stage2: As-S1, outcome: "
	"perm-relaxed}\n"
	"  - create-vm:\n"
	"    expect: {errno: EEXIST}\n"
	"expect:\n"
	"  hazards: {present: [Z1, z8], absent: [Z2]}\n";

static int load(const char *text)
{
	return scenario_load_buffer("t.yaml", text, strlen(text), &g_sc, g_err,
				    sizeof(g_err));
}

/* Loads text or fails the test with the loader's message. */
static void load_ok(const char *text)
{
	if (load(text))
		fail_msg("%s", g_err);
}

/* The 1-based line and column of the first occurrence of needle. */
static struct sc_mark mark_in(const char *text, const char *needle)
{
	const char *at = strstr(text, needle), *p;
	struct sc_mark m = { 1, 1 };

	assert_non_null(at);
	for (p = text; p < at; p++) {
		if (*p == '\n') {
			m.line++;
			m.column = 1;
		} else {
			m.column++;
		}
	}
	return m;
}

static void assert_mark(struct sc_mark m, const char *text, const char *needle)
{
	struct sc_mark want = mark_in(text, needle);

	assert_int_equal(m.line, want.line);
	assert_int_equal(m.column, want.column);
}

static bool well_formed(const char *msg)
{
	static regex_t re;
	static bool compiled;

	if (!compiled) {
		assert_int_equal(regcomp(&re, "^[^:]+:[0-9]+:[0-9]+: ",
					 REG_EXTENDED | REG_NOSUB),
				 0);
		compiled = true;
	}
	/* One message: one line, something after the mark. */
	return !regexec(&re, msg, 0, NULL, 0) && !strchr(msg, '\n') &&
		strlen(strstr(msg, ": ") ? msg : "") > 0;
}

/* ------------------------------------------------------------------ */
/* The good scenario                                                   */
/* ------------------------------------------------------------------ */

static void test_good_top_host_devices(void **state)
{
	const struct scenario *sc = &g_sc;
	const struct sc_device *d;

	(void)state;
	load_ok(good);
	assert_string_equal(sc->file, "t.yaml");
	assert_string_equal(sc->name, "Full scenario");
	assert_string_equal(sc->description,
			    "Every key the loader knows, on one host.\n");
	assert_string_equal(sc->preset, "custom");
	assert_true(sc->caps.fwb && sc->caps.dic && sc->caps.idc);
	assert_false(sc->caps.mte);
	assert_int_equal(sc->ram, 128 * SZ_1G);
	assert_string_equal(sc->kernel.release, "6.14.0-1007-nvidia");
	assert_int_equal(sc->kernel.backports,
			 S2MT_KF_BIT(S2MT_KF_CACHEABLE_PFNMAP));
	assert_int_equal(sc->era, S2MT_ERA_6_17);
	assert_true(sc->era_given);

	assert_int_equal(sc->nr_devices, 3);
	d = &sc->devices[0];
	assert_string_equal(d->name, "nic0");
	assert_int_equal(d->type, SC_DEV_VFIO_PCI);
	assert_int_equal(d->bars[0].size, 64 * 1024);
	assert_true(d->bars[0].read_side_effects);
	assert_false(d->bars[0].prefetchable);
	assert_false(d->bars[0].no_mmap);
	assert_int_equal(d->bars[1].size, 0);
	assert_int_equal(d->bars[2].size, SZ_1M);
	assert_true(d->bars[2].prefetchable);
	assert_false(d->bars[2].read_side_effects);
	assert_true(d->bars[2].no_mmap);
	for (unsigned i = 3; i < S2MT_MAX_BARS; i++)
		assert_int_equal(d->bars[i].size, 0);
	assert_mark(d->mark, good, "name: nic0");
	d = &sc->devices[1];
	assert_string_equal(d->name, "gpu0");
	assert_int_equal(d->type, SC_DEV_NVGRACE);
	assert_int_equal(d->usemem, 96 * SZ_1G);
	assert_int_equal(d->resmem, SZ_1G);
	d = &sc->devices[2];
	assert_string_equal(d->name, "gpu1");
	assert_int_equal(d->usemem, 2 * SZ_1G);
	assert_int_equal(d->resmem, 0);
	assert_mark(d->mark, good, "{name: gpu1");
}

static void test_good_vm_mmaps(void **state)
{
	const struct scenario *sc = &g_sc;
	const struct sc_mmap *m = sc->mmaps;
	const unsigned rw = S2MT_PROT_READ | S2MT_PROT_WRITE;

	(void)state;
	load_ok(good);
	assert_int_equal(sc->vm.ipa_bits, 44);
	assert_true(sc->vm.mte);
	assert_mark(sc->vm.mark, good, "{ipa_bits");

	assert_int_equal(sc->nr_mmaps, 10);
	assert_string_equal(m[0].name, "ram");
	assert_int_equal(m[0].kind, SC_MMAP_HUGETLB_1G);
	assert_int_equal(m[0].size, 4 * SZ_1G);
	assert_int_equal(m[0].device, -1);
	assert_int_equal(m[0].prot, rw);
	assert_false(m[0].shared);
	assert_false(m[0].fixed);
	assert_int_equal(m[0].align_to, 0);
	assert_mark(m[0].mark, good, "{name: ram");

	assert_int_equal(m[1].kind, SC_MMAP_ANONYMOUS);
	assert_int_equal(m[1].size, 1536 * SZ_1M);
	assert_int_equal(m[1].prot, S2MT_PROT_READ);
	assert_true(m[1].shared);

	assert_int_equal(m[2].kind, SC_MMAP_THP);
	assert_int_equal(m[2].size, 2 * SZ_2M);
	assert_int_equal(m[2].align_to, SZ_2M);
	assert_int_equal(m[2].align_offset, SZ_4K);
	assert_false(m[2].fixed);

	assert_int_equal(m[3].kind, SC_MMAP_HUGETLB_2M);
	assert_int_equal(m[3].size, 2 * SZ_2M);
	assert_true(m[3].fixed);
	assert_int_equal(m[3].hva, 0x7f0000000000ull);
	assert_int_equal(m[3].prot,
			 S2MT_PROT_READ | S2MT_PROT_WRITE | S2MT_PROT_EXEC);

	/* Device kinds: size defaults to the BAR/region less the offset;
	 * shared defaults to true. */
	assert_int_equal(m[4].kind, SC_MMAP_VFIO_BAR);
	assert_int_equal(m[4].device, 0);
	assert_int_equal(m[4].bar, 0);
	assert_int_equal(m[4].offset, SZ_4K);
	assert_int_equal(m[4].size, 60 * 1024);
	assert_true(m[4].shared);
	assert_int_equal(m[4].prot, rw);

	assert_int_equal(m[5].bar, 2);
	assert_int_equal(m[5].size, 512 * 1024);
	assert_false(m[5].shared);

	assert_int_equal(m[6].kind, SC_MMAP_NVGRACE_USEMEM);
	assert_int_equal(m[6].device, 1);
	assert_int_equal(m[6].size, 96 * SZ_1G);
	assert_true(m[6].shared);

	assert_int_equal(m[7].kind, SC_MMAP_NVGRACE_RESMEM);
	assert_int_equal(m[7].offset, SZ_2M);
	assert_int_equal(m[7].size, SZ_1G - SZ_2M);
	assert_int_equal(m[7].prot, 0);

	assert_int_equal(m[8].kind, SC_MMAP_DEVMEM);
	assert_int_equal(m[8].device, 0);
	assert_int_equal(m[8].bar, 2);
	assert_int_equal(m[8].size, SZ_1M);
	assert_true(m[8].shared);

	assert_int_equal(m[9].kind, SC_MMAP_DEVMEM);
	assert_int_equal(m[9].device, -1);
	assert_int_equal(m[9].pa, 0x80000000ull);
	assert_int_equal(m[9].size, 2 * SZ_4K);
	assert_true(m[9].fixed);
	assert_int_equal(m[9].hva, 0x7f0000400000ull);
	assert_string_equal(m[9].name, "dm-pa");
}

static void test_good_slots_accesses(void **state)
{
	const struct scenario *sc = &g_sc;
	const struct sc_slot *s = sc->slots;
	const struct sc_access *a = sc->accesses;

	(void)state;
	load_ok(good);
	assert_int_equal(sc->nr_slots, 5);
	assert_int_equal(s[0].slot, 0);
	assert_int_equal(s[0].gpa, 0x40000000);
	assert_int_equal(s[0].mmap, 0);
	assert_int_equal(s[0].size, 4 * SZ_1G);
	assert_int_equal(s[0].flags, 0);
	assert_int_equal(s[0].mmap_offset, 0);
	assert_mark(s[0].mark, good, "{slot: 0,");

	assert_int_equal(s[1].slot, 1);
	assert_int_equal(s[1].mmap, 6);
	assert_int_equal(s[1].size, 96 * SZ_1G);
	assert_int_equal(s[1].flags,
			 KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES);
	assert_mark(s[1].mark, good, "slot: 1\n");

	assert_int_equal(s[2].slot, 0x10002);
	assert_int_equal(s[2].mmap, 7);
	assert_int_equal(s[2].mmap_offset, SZ_1M);
	assert_int_equal(s[2].size, SZ_1G - SZ_2M - SZ_1M);
	assert_int_equal(s[2].flags, 0x80000000u | KVM_MEM_GUEST_MEMFD);

	assert_int_equal(s[3].mmap, -1);
	assert_int_equal(s[3].userspace_addr, 0x7f0000000000ull);
	assert_int_equal(s[3].size, SZ_2M);

	assert_int_equal(s[4].mmap, 4);
	assert_int_equal(s[4].size, SZ_4K);
	assert_int_equal(s[4].flags, 0);

	assert_int_equal(sc->nr_accesses, 5);
	assert_string_equal(a[0].name, "r0");
	assert_int_equal(a[0].ipa, 0x40000000);
	assert_int_equal(a[0].size, SZ_4K);
	assert_int_equal(a[0].access, S2MT_ACCESS_READ);
	assert_true(a[0].s1.enabled);
	assert_int_equal(a[0].s1.mair, 0xff);
	assert_int_equal(a[0].s1.sh, S2MT_SH_ISH);
	assert_mark(a[0].mark, good, "{name: r0");
	assert_int_equal(a[1].size, SZ_2M);
	assert_int_equal(a[1].access, S2MT_ACCESS_WRITE);
	assert_int_equal(a[1].s1.mair, 0x44);
	assert_int_equal(a[2].access, S2MT_ACCESS_EXEC);
	assert_int_equal(a[2].s1.mair, 0x44);
	assert_false(a[3].s1.enabled);
	assert_int_equal(a[4].s1.mair, 0xf0);
}

static void test_good_steps(void **state)
{
	const struct scenario *sc = &g_sc;
	const struct sc_step *st = sc->steps;
	struct s2mt_host_caps caps;

	(void)state;
	load_ok(good);
	assert_true(sc->steps_given);
	assert_int_equal(sc->nr_steps, 21);

	assert_int_equal(st[0].kind, SC_STEP_MMAP);
	assert_int_equal(st[0].ref, 0);
	assert_false(st[0].has_expect);
	assert_mark(st[0].mark, good, "mmap: ram\n");
	assert_int_equal(st[1].ref, 1);
	assert_int_equal(st[2].kind, SC_STEP_CREATE_VM);
	assert_mark(st[2].mark, good, "create-vm\n");
	assert_int_equal(st[3].kind, SC_STEP_MEMSLOT);
	assert_int_equal(st[3].ref, 0);
	assert_int_equal(st[3].slot, 0);

	assert_int_equal(st[4].kind, SC_STEP_MEMSLOT);
	assert_int_equal(st[4].ref, 2);
	assert_int_equal(st[4].slot, 0x10002);
	assert_true(st[4].has_expect);
	assert_true(st[4].expect.has_errno);
	assert_int_equal(st[4].expect.err, -S2MT_EINVAL);
	assert_true(st[4].expect.has_rule);
	assert_string_equal(st[4].expect.rule, "M1");
	assert_false(st[4].expect.has_value || st[4].expect.has_outcome ||
		     st[4].expect.has_leaf || st[4].expect.has_stage2 ||
		     st[4].expect.has_effective);
	assert_mark(st[4].expect.mark, good, "{errno: -EINVAL");

	assert_int_equal(st[5].kind, SC_STEP_SLOT_DELETE);
	assert_int_equal(st[5].slot, 3);
	assert_int_equal(st[5].ref, 3);
	assert_int_equal(st[6].kind, SC_STEP_SLOT_MOVE);
	assert_int_equal(st[6].slot, 0);
	assert_int_equal(st[6].gpa, 0x80000000);
	assert_int_equal(st[7].kind, SC_STEP_SLOT_FLAGS);
	assert_int_equal(st[7].slot, 1);
	assert_int_equal(st[7].flags, KVM_MEM_LOG_DIRTY_PAGES);
	assert_int_equal(st[8].kind, SC_STEP_DIRTY_LOG);
	assert_int_equal(st[8].slot, 4);
	assert_false(st[8].enable);
	assert_int_equal(st[9].kind, SC_STEP_GET_DIRTY_LOG);
	assert_true(st[9].expect.has_value && st[9].expect.has_errno);
	assert_int_equal(st[9].expect.value, 0);
	assert_int_equal(st[9].expect.err, 0);

	assert_int_equal(st[10].kind, SC_STEP_ACCESS);
	assert_int_equal(st[10].ref, 0);
	assert_true(st[10].expect.has_outcome);
	assert_int_equal(st[10].expect.outcome, S2MT_FAULT_MAPPED);
	assert_string_equal(st[10].expect.effective, "Normal-WB");
	assert_string_equal(st[10].expect.stage2, "Force-WB");
	assert_true(st[10].expect.has_leaf);
	assert_int_equal(st[10].expect.leaf, SZ_1G);
	assert_string_equal(st[10].expect.rule, "K2");

	assert_int_equal(st[11].kind, SC_STEP_MUNMAP);
	assert_int_equal(st[11].ref, 1);
	assert_int_equal(st[11].offset, 0);
	assert_int_equal(st[11].size, 0);
	assert_int_equal(st[12].offset, SZ_4K);
	assert_int_equal(st[12].size, 2 * SZ_4K);
	assert_int_equal(st[13].kind, SC_STEP_MPROTECT);
	assert_int_equal(st[13].ref, 0);
	assert_int_equal(st[13].prot, S2MT_PROT_READ | S2MT_PROT_EXEC);
	assert_int_equal(st[13].size, SZ_1G);

	assert_int_equal(st[14].kind, SC_STEP_CAPABILITY);
	assert_int_equal(st[14].cap, 243);
	assert_true(st[14].on_vm);
	assert_int_equal(st[14].expect.value, 1);
	assert_int_equal(st[15].cap, KVM_CAP_NR_MEMSLOTS);
	assert_false(st[15].on_vm);
	assert_int_equal(st[15].expect.value, -22);
	assert_int_equal(st[16].cap, KVM_CAP_ARM_MTE);
	assert_true(st[16].on_vm);

	assert_int_equal(st[17].kind, SC_STEP_MIGRATE);
	assert_string_equal(st[17].target.name, "no-fwb");
	assert_int_equal(st[17].target.era, S2MT_ERA_6_17);
	assert_int_equal(s2mt_host_preset_caps("no-fwb", &caps), 0);
	assert_memory_equal(&st[17].target.caps, &caps, sizeof(caps));
	assert_string_equal(st[18].target.name, "qemu-max");
	assert_int_equal(st[18].target.era, S2MT_ERA_6_8);
	assert_string_equal(st[18].target_kernel.release, "6.8.0-31-generic");
	assert_string_equal(st[17].target_kernel.release, sc->kernel.release);
	assert_true(st[18].target.caps.mte && st[18].target.caps.fwb);
	assert_string_equal(st[18].expect.rule, "Z8");

	assert_int_equal(st[19].ref, 1);
	assert_string_equal(st[19].expect.effective, "Normal-oWB-iNC");
	assert_string_equal(st[19].expect.stage2, "As-S1");
	assert_int_equal(st[19].expect.outcome, S2MT_FAULT_PERM_RELAXED);
	assert_int_equal(st[20].kind, SC_STEP_CREATE_VM);
	assert_int_equal(st[20].expect.err, -S2MT_EEXIST);

	assert_true(sc->has_hazard_expect);
	assert_false(sc->hazards.none);
	assert_int_equal(sc->hazards.present,
			 S2MT_HAZARD_BIT(S2MT_Z1) | S2MT_HAZARD_BIT(S2MT_Z8));
	assert_int_equal(sc->hazards.absent, S2MT_HAZARD_BIT(S2MT_Z2));
	assert_mark(sc->hazards.mark, good, "{present");
}

/* Without steps: every mmap, the VM, every memslot, every access. */
static void test_default_story(void **state)
{
	static const char text[] =
		"host: {preset: qemu-max, ram: 4G}\n"
		"kernel: 6.9\n"
		"vmm:\n"
		"  mmaps:\n"
		"    - {name: a, kind: anonymous, size: 2M}\n"
		"    - {name: b, kind: thp, size: 4M}\n"
		"  memslots:\n"
		"    - {slot: 1, guest_phys_addr: 0, mmap: b}\n"
		"    - {slot: 0, guest_phys_addr: 0x400000, mmap: a}\n"
		"guest:\n"
		"  accesses:\n"
		"    - {name: x, ipa: 0}\n"
		"    - {name: y, ipa: 0x400000, access: write}\n";
	static const struct {
		uint8_t kind;
		int ref;
		uint32_t slot;
	} want[] = {
		{ SC_STEP_MMAP, 0, 0 },	      { SC_STEP_MMAP, 1, 0 },
		{ SC_STEP_CREATE_VM, -1, 0 }, { SC_STEP_MEMSLOT, 0, 1 },
		{ SC_STEP_MEMSLOT, 1, 0 },    { SC_STEP_ACCESS, 0, 0 },
		{ SC_STEP_ACCESS, 1, 0 },
	};
	const struct scenario *sc = &g_sc;
	struct sc_mark marks[ARRAY_SIZE(want)];

	(void)state;
	load_ok(text);
	assert_string_equal(sc->preset, "qemu-max");
	assert_true(sc->caps.fwb && sc->caps.mte);
	assert_int_equal(sc->ram, 4 * SZ_1G);
	assert_int_equal(sc->era, S2MT_ERA_6_9);
	assert_int_equal(sc->vm.ipa_bits, 0);
	assert_false(sc->vm.mte);
	assert_false(sc->steps_given);
	assert_false(sc->has_hazard_expect);
	marks[0] = sc->mmaps[0].mark;
	marks[1] = sc->mmaps[1].mark;
	marks[2] = mark_in(text, "mmaps:"); /* no vm: the vmm map */
	marks[3] = sc->slots[0].mark;
	marks[4] = sc->slots[1].mark;
	marks[5] = sc->accesses[0].mark;
	marks[6] = sc->accesses[1].mark;
	assert_int_equal(sc->nr_steps, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		assert_int_equal(sc->steps[i].kind, want[i].kind);
		assert_int_equal(sc->steps[i].ref, want[i].ref);
		assert_int_equal(sc->steps[i].slot, want[i].slot);
		assert_false(sc->steps[i].has_expect);
		assert_int_equal(sc->steps[i].mark.line, marks[i].line);
		assert_int_equal(sc->steps[i].mark.column, marks[i].column);
	}
	assert_mark(sc->slots[1].mark, text, "{slot: 0");
}

/* The least a scenario holds; defaults everywhere. */
static void test_minimal_defaults(void **state)
{
	const struct scenario *sc = &g_sc;

	(void)state;
	load_ok("host: {preset: grace-hopper}\nkernel: \"6.8\"\n");
	assert_string_equal(sc->preset, "grace-hopper");
	assert_true(sc->caps.fwb && sc->caps.dic && sc->caps.idc);
	assert_int_equal(sc->ram, 64 * SZ_1G);
	assert_int_equal(sc->era, S2MT_ERA_6_8);
	assert_int_equal(sc->nr_devices + sc->nr_mmaps + sc->nr_slots +
				 sc->nr_accesses,
			 0);
	assert_int_equal(sc->nr_steps, 1);
	assert_int_equal(sc->steps[0].kind, SC_STEP_CREATE_VM);
	assert_int_equal(sc->steps[0].mark.line, 1);
	assert_int_equal(sc->steps[0].mark.column, 1);
	assert_string_equal(sc->name, "");

	load_ok("host: {preset: no-fwb}\nkernel: 6.17\nsteps: []\n"
		"expect: {hazards: none}\n");
	assert_true(sc->steps_given);
	assert_int_equal(sc->nr_steps, 0);
	assert_true(sc->has_hazard_expect);
	assert_true(sc->hazards.none);

	/* Overlapping fixed mmaps are a story with steps (MAP_FIXED
	 * replaces), an error without (see overlap-fixed.yaml). */
	load_ok("host: {preset: no-fwb}\nkernel: 6.17\n"
		"vmm:\n  mmaps:\n"
		"    - {name: a, kind: anonymous, size: 8K, hva: 0x10000000}\n"
		"    - {name: b, kind: anonymous, size: 4K, hva: 0x10001000}\n"
		"steps: [mmap: a, mmap: b]\n");
	assert_int_equal(sc->nr_steps, 2);
}

/* ------------------------------------------------------------------ */
/* Values                                                              */
/* ------------------------------------------------------------------ */

static int load_size(const char *size, uint64_t *out)
{
	static char text[512];

	snprintf(text, sizeof(text),
		 "host: {preset: no-fwb}\nkernel: \"6.9\"\nvmm:\n  mmaps:\n"
		 "    - name: m\n      kind: devmem\n      pa: 0\n"
		 "      size: %s\n",
		 size);
	if (load(text))
		return -1;
	*out = g_sc.mmaps[0].size;
	return 0;
}

static void test_size_grammar(void **state)
{
	static const struct {
		const char *text;
		uint64_t bytes;
	} ok[] = {
		{ "4096", 4096 },
		{ "4K", SZ_4K },
		{ "4k", SZ_4K },
		{ "4KiB", SZ_4K },
		{ "4kib", SZ_4K },
		{ "2M", SZ_2M },
		{ "2MiB", SZ_2M },
		{ "1536M", 1536 * SZ_1M },
		{ "1G", SZ_1G },
		{ "96GiB", 96 * SZ_1G },
		{ "1T", 1ull << 40 },
		{ "4TiB", 4ull << 40 },
		{ "0x40000000", SZ_1G },
		{ "0X1000", SZ_4K },
		{ "0xFFFF_F000", 0xfffff000ull },
		{ "1_048_576", SZ_1M },
		{ "\"8K\"", 2 * SZ_4K },
		{ "'0x2000'", 2 * SZ_4K },
		{ "0xfffffffffffff000", 0xfffffffffffff000ull },
		{ "16777215T", 16777215ull << 40 },
	};
	static const char *const bad[] = {
		"4.5K", "K",	 "4KB",	      "0x",
		"-1",	"+4K",	 "1e3",	      "4 K",
		"_4",	"4_",	 "4__0",      "0x1K",
		"0x1g", "4Ki",	 "\"\"",      "''",
		"",	"~",	 "[4K]",      "{a: 1}",
		"4KK",	"0x_10", "16777216T", "18446744073709551616",
	};
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		if (load_size(ok[i].text, &v))
			fail_msg("size %s: %s", ok[i].text, g_err);
		assert_int_equal(v, ok[i].bytes);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (!load_size(bad[i], &v))
			fail_msg("size %s loaded as %" PRIu64, bad[i], v);
		assert_true(well_formed(g_err));
		assert_non_null(strstr(g_err, "vmm.mmaps[0].size: "));
	}
}

static void test_bool_prot_address(void **state)
{
	static const struct {
		const char *text;
		bool value;
	} bools[] = {
		{ "true", true },    { "yes", true },  { "on", true },
		{ "True", true },    { "YES", true },  { "false", false },
		{ "no", false },     { "off", false }, { "OFF", false },
		{ "\"no\"", false },
	};
	static const struct {
		const char *text;
		unsigned prot;
	} prots[] = {
		{ "r", S2MT_PROT_READ },
		{ "w", S2MT_PROT_WRITE },
		{ "x", S2MT_PROT_EXEC },
		{ "wr", S2MT_PROT_READ | S2MT_PROT_WRITE },
		{ "rwx", S2MT_PROT_READ | S2MT_PROT_WRITE | S2MT_PROT_EXEC },
		{ "none", 0 },
	};
	static const char *const bad_prot[] = { "rr", "", "rwxr", "read", "-" };
	char text[512];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bools); i++) {
		snprintf(text, sizeof(text),
			 "host: {features: {mte: %s}}\nkernel: \"6.9\"\n",
			 bools[i].text);
		load_ok(text);
		assert_int_equal(g_sc.caps.mte, bools[i].value);
		assert_string_equal(g_sc.preset, "custom");
	}
	for (size_t i = 0; i < ARRAY_SIZE(prots); i++) {
		snprintf(text, sizeof(text),
			 "host: {preset: no-fwb}\nkernel: \"6.9\"\nvmm:\n"
			 "  mmaps: [{name: m, kind: thp, size: 2M, prot: "
			 "'%s'}]\n",
			 prots[i].text);
		load_ok(text);
		assert_int_equal(g_sc.mmaps[0].prot, prots[i].prot);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad_prot); i++) {
		snprintf(text, sizeof(text),
			 "host: {preset: no-fwb}\nkernel: \"6.9\"\nvmm:\n"
			 "  mmaps: [{name: m, kind: thp, size: 2M, prot: "
			 "'%s'}]\n",
			 bad_prot[i]);
		assert_int_equal(load(text), -1);
		assert_non_null(strstr(g_err, "vmm.mmaps[0].prot: "));
	}
	/* Addresses take no size suffix, but decimal and '_' are fine. */
	load_ok("host: {preset: no-fwb}\nkernel: \"6.9\"\n"
		"guest: {accesses: [{name: a, ipa: 1_073_741_824}]}\n");
	assert_int_equal(g_sc.accesses[0].ipa, SZ_1G);
}

/* Names, kernel texts, errnos, capability names, type names. */
static void test_names(void **state)
{
	static const struct {
		const char *text;
		int err;
	} errnos[] = {
		{ "0", 0 },
		{ "EINVAL", -S2MT_EINVAL },
		{ "-EINVAL", -S2MT_EINVAL },
		{ "EFAULT", -S2MT_EFAULT },
		{ "EEXIST", -S2MT_EEXIST },
		{ "ENOEXEC", -S2MT_ENOEXEC },
		{ "EAGAIN", -S2MT_EAGAIN },
		{ "ENOENT", -S2MT_ENOENT },
		{ "EPERM", -S2MT_EPERM },
		{ "ENOMEM", -S2MT_ENOMEM },
		{ "EBUSY", -S2MT_EBUSY },
		{ "ENODEV", -S2MT_ENODEV },
		{ "ENOSPC", -S2MT_ENOSPC },
	};
	static const struct {
		const char *text;
		long cap;
	} caps[] = {
		{ "cacheable-pfnmap", 243 },
		{ "mte", KVM_CAP_ARM_MTE },
		{ "ipa-size", KVM_CAP_ARM_VM_IPA_SIZE },
		{ "nr-memslots", KVM_CAP_NR_MEMSLOTS },
		{ "readonly-mem", KVM_CAP_READONLY_MEM },
		{ "user-memory2", KVM_CAP_USER_MEMORY2 },
		{ "0", 0 },
		{ "0x7fffffff", 0x7fffffff },
	};
	static const char *const effective[] = {
		"Device-nGnRnE",
		"Device-nGnRE",
		"Device-nGRE",
		"Device-GRE",
		"Normal-NC",
		"Normal-WT",
		"Normal-WB",
		"Normal-WB-tagged",
		"Normal-oWB-iNC",
		"Normal-oNC-iWT",
		"Normal-oWT-iWB-tagged",
	};
	static const char *const stage2[] = {
		"Device-nGnRnE",  "Normal-NC", "Normal-WB",
		"Normal-oWB-iWT", "Force-WB",  "As-S1",
	};
	char text[512];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(errnos); i++) {
		snprintf(text, sizeof(text),
			 "host: {preset: no-fwb}\nkernel: \"6.9\"\n"
			 "steps:\n  - create-vm:\n    expect: {errno: %s}\n",
			 errnos[i].text);
		load_ok(text);
		assert_true(g_sc.steps[0].expect.has_errno);
		assert_int_equal(g_sc.steps[0].expect.err, errnos[i].err);
	}
	for (size_t i = 0; i < ARRAY_SIZE(caps); i++) {
		snprintf(text, sizeof(text),
			 "host: {preset: no-fwb}\nkernel: \"6.9\"\n"
			 "steps: [capability: {cap: %s, on: vm}]\n",
			 caps[i].text);
		load_ok(text);
		assert_int_equal(g_sc.steps[0].cap, caps[i].cap);
		assert_true(g_sc.steps[0].on_vm);
	}
	for (size_t i = 0; i < ARRAY_SIZE(effective); i++) {
		snprintf(text, sizeof(text),
			 "host: {preset: no-fwb}\nkernel: \"6.9\"\n"
			 "guest: {accesses: [{name: a, ipa: 0}]}\n"
			 "steps: [{access: a, expect: {effective: %s}}]\n",
			 effective[i]);
		load_ok(text);
		assert_string_equal(g_sc.steps[0].expect.effective,
				    effective[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(stage2); i++) {
		snprintf(text, sizeof(text),
			 "host: {preset: no-fwb}\nkernel: \"6.9\"\n"
			 "guest: {accesses: [{name: a, ipa: 0}]}\n"
			 "steps: [{access: a, expect: {stage2: %s}}]\n",
			 stage2[i]);
		load_ok(text);
		assert_string_equal(g_sc.steps[0].expect.stage2, stage2[i]);
	}
	/* A name of 47 characters, every allowed character class. */
	load_ok("host: {preset: no-fwb}\nkernel: \"6.9\"\n"
		"guest: {accesses: [{name: "
		"Az09_.-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx, ipa: 0}]}\n");
	assert_int_equal(strlen(g_sc.accesses[0].name), 47);
}

static void test_format_size_and_kind_names(void **state)
{
	static const struct {
		uint64_t bytes;
		const char *text;
	} sizes[] = {
		{ 0, "0" },
		{ 1, "1" },
		{ 4095, "4095" },
		{ SZ_4K, "4K" },
		{ 16384, "16K" },
		{ 16385, "16385" },
		{ SZ_2M, "2M" },
		{ 1536 * SZ_1M, "1536M" },
		{ SZ_1G, "1G" },
		{ 96 * SZ_1G, "96G" },
		{ 1ull << 40, "1T" },
		{ 1ull << 50, "1024T" },
		{ 0xfffffffffffff000ull, "18014398509481980K" },
		{ UINT64_MAX, "18446744073709551615" },
	};
	static const char *const kinds[] = {
		[SC_MMAP_ANONYMOUS] = "anonymous",
		[SC_MMAP_THP] = "thp",
		[SC_MMAP_HUGETLB_2M] = "hugetlb-2m",
		[SC_MMAP_HUGETLB_1G] = "hugetlb-1g",
		[SC_MMAP_VFIO_BAR] = "vfio-bar",
		[SC_MMAP_NVGRACE_USEMEM] = "nvgrace-usemem",
		[SC_MMAP_NVGRACE_RESMEM] = "nvgrace-resmem",
		[SC_MMAP_DEVMEM] = "devmem",
		[SC_MMAP_CMEM] = "cacheable-pfnmap",
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		sc_format_size(sizes[i].bytes, buf, sizeof(buf));
		assert_string_equal(buf, sizes[i].text);
	}
	sc_format_size(SZ_1G, buf, 2);
	assert_string_equal(buf, "1");
	sc_format_size(SZ_1G, NULL, 0);
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		assert_string_equal(sc_mmap_kind_name((unsigned)i), kinds[i]);
	assert_string_equal(sc_mmap_kind_name(ARRAY_SIZE(kinds)), "?");
	assert_string_equal(sc_mmap_kind_name(~0u), "?");
}

/* ------------------------------------------------------------------ */
/* kernel                                                              */
/* ------------------------------------------------------------------ */

static void assert_kernel_equal(const struct s2mt_kernel *a,
				const struct s2mt_kernel *b)
{
	assert_string_equal(a->release, b->release);
	assert_int_equal(a->major, b->major);
	assert_int_equal(a->minor, b->minor);
	assert_int_equal(a->patch, b->patch);
	assert_int_equal(a->backports, b->backports);
}

/* What `uname -r` prints; the era names are their eras' kernels. */
static void test_kernel_uname(void **state)
{
	static const struct {
		const char *yaml, *release;
		unsigned major, minor, patch, era;
	} ok[] = {
		{ "\"6.12\"", "6.12", 6, 12, 0, S2MT_ERA_6_9 },
		{ "6.10", "6.10", 6, 10, 0, S2MT_ERA_6_9 },
		{ "6.17.0-1001-nvidia", "6.17.0-1001-nvidia", 6, 17, 0,
		  S2MT_ERA_6_17 },
		{ "7.2.13+deb14-cloud-arm64", "7.2.13+deb14-cloud-arm64", 7, 2,
		  13, S2MT_ERA_6_17 },
		{ "'6.8.0-31-generic'", "6.8.0-31-generic", 6, 8, 0,
		  S2MT_ERA_6_8 },
		{ "6.14.0-1007-nvidia", "6.14.0-1007-nvidia", 6, 14, 0,
		  S2MT_ERA_6_9 },
	};
	static const struct {
		const char *yaml;
		unsigned era;
	} eras[] = {
		{ "\"6.8\"", S2MT_ERA_6_8 },
		{ "6.9", S2MT_ERA_6_9 },
		{ "6.17", S2MT_ERA_6_17 },
	};
	struct s2mt_kernel want;
	char text[256];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		snprintf(text, sizeof(text),
			 "host: {preset: grace-hopper}\nkernel: %s\n",
			 ok[i].yaml);
		load_ok(text);
		assert_string_equal(g_sc.kernel.release, ok[i].release);
		assert_int_equal(g_sc.kernel.major, ok[i].major);
		assert_int_equal(g_sc.kernel.minor, ok[i].minor);
		assert_int_equal(g_sc.kernel.patch, ok[i].patch);
		assert_int_equal(g_sc.kernel.backports, 0);
		assert_int_equal(g_sc.era, ok[i].era);
		assert_int_equal(g_sc.era, s2mt_kernel_era(&g_sc.kernel));
		assert_true(g_sc.era_given);
	}
	for (size_t i = 0; i < ARRAY_SIZE(eras); i++) {
		snprintf(text, sizeof(text),
			 "host: {preset: grace-hopper}\nkernel: %s\n",
			 eras[i].yaml);
		load_ok(text);
		s2mt_kernel_of_era(eras[i].era, &want);
		assert_kernel_equal(&g_sc.kernel, &want);
		assert_int_equal(g_sc.era, eras[i].era);
	}
}

/* A vendor kernel that carries a later change: {version, backports}. */
static void test_kernel_map_backports(void **state)
{
	struct s2mt_kernel want;

	(void)state;
	load_ok("host: {preset: grace-hopper}\n"
		"kernel: {version: 6.14.0-1007-nvidia, backports: "
		"[cacheable-pfnmap]}\n");
	assert_string_equal(g_sc.kernel.release, "6.14.0-1007-nvidia");
	assert_int_equal(g_sc.kernel.backports,
			 S2MT_KF_BIT(S2MT_KF_CACHEABLE_PFNMAP));
	assert_true(s2mt_kernel_has(&g_sc.kernel, S2MT_KF_CACHEABLE_PFNMAP));
	assert_int_equal(g_sc.era, S2MT_ERA_6_17);

	/* The same kernel without it keeps the 6.9 rules. */
	load_ok("host: {preset: grace-hopper}\n"
		"kernel:\n  version: 6.14.0-1007-nvidia\n");
	assert_int_equal(g_sc.kernel.backports, 0);
	assert_int_equal(g_sc.era, S2MT_ERA_6_9);

	/* A vendor 6.8 with the nvgrace-gpu driver (and what it needs)
	 * may have the device; a plain 6.8 may not
	 * (kernel-nvgrace-without-driver.yaml). */
	load_ok("host: {preset: grace-hopper}\n"
		"kernel: {version: 6.8.0-1010-nvidia, backports: [normal-nc, "
		"nvgrace-gpu]}\n"
		"devices: [{name: gpu0, type: nvgrace-gpu, usemem: 8G}]\n");
	assert_true(s2mt_kernel_has(&g_sc.kernel, S2MT_KF_NVGRACE_GPU));
	assert_int_equal(g_sc.era, S2MT_ERA_6_9);
	assert_int_equal(g_sc.nr_devices, 1);

	/* An era name in the map, no backports. */
	load_ok("host: {preset: grace-hopper}\n"
		"kernel: {version: \"6.9\", backports: []}\n");
	s2mt_kernel_of_era(S2MT_ERA_6_9, &want);
	assert_kernel_equal(&g_sc.kernel, &want);
	assert_int_equal(g_sc.era, S2MT_ERA_6_9);
}

/* migrate's kernel takes the same forms; by default the scenario's. */
static void test_kernel_migrate(void **state)
{
	static const char text[] =
		"host: {preset: grace-hopper}\n"
		"kernel: 6.17.0-1001-nvidia\n"
		"steps:\n"
		"  - migrate: no-fwb\n"
		"  - migrate: {preset: no-fwb, kernel: 6.12.9-arm64}\n"
		"  - migrate: {preset: qemu-max, kernel: {version: "
		"6.14.0-1007-nvidia, backports: [cacheable-pfnmap]}}\n"
		"  - migrate: {preset: fwb-no-dic, kernel: \"6.8\"}\n";
	const struct sc_step *st = g_sc.steps;
	struct s2mt_kernel want;

	(void)state;
	load_ok(text);
	assert_int_equal(g_sc.nr_steps, 4);
	assert_kernel_equal(&st[0].target_kernel, &g_sc.kernel);
	assert_int_equal(st[0].target.era, S2MT_ERA_6_17);
	assert_string_equal(st[1].target_kernel.release, "6.12.9-arm64");
	assert_int_equal(st[1].target_kernel.patch, 9);
	assert_int_equal(st[1].target.era, S2MT_ERA_6_9);
	assert_string_equal(st[2].target.name, "qemu-max");
	assert_true(s2mt_kernel_has(&st[2].target_kernel,
				    S2MT_KF_CACHEABLE_PFNMAP));
	assert_int_equal(st[2].target.era, S2MT_ERA_6_17);
	s2mt_kernel_of_era(S2MT_ERA_6_8, &want);
	assert_kernel_equal(&st[3].target_kernel, &want);
	assert_int_equal(st[3].target.era, S2MT_ERA_6_8);
}

/* ------------------------------------------------------------------ */
/* vmm.vm.ipa_bits                                                     */
/* ------------------------------------------------------------------ */

/*
 * 32..52: the loader takes every size KVM_CREATE_VM can be asked for on
 * arm64 (52 with FEAT_LPA2); whether this host gives it is KVM's answer
 * at run time (the model's IPA limit), not the loader's.
 */
static void test_ipa_bits_up_to_52(void **state)
{
	static const unsigned ok[] = { 32, 40, 48, 49, 52 };
	static const char *const bad[] = { "31", "53", "64", "0" };
	char text[256], want[256];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		snprintf(text, sizeof(text),
			 "host: {preset: qemu-max}\nkernel: \"6.17\"\n"
			 "vmm: {vm: {ipa_bits: %u}}\n",
			 ok[i]);
		load_ok(text);
		assert_int_equal(g_sc.vm.ipa_bits, ok[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(text, sizeof(text),
			 "host: {preset: qemu-max}\nkernel: \"6.17\"\n"
			 "vmm: {vm: {ipa_bits: %s}}\n",
			 bad[i]);
		assert_int_equal(load(text), -1);
		snprintf(want, sizeof(want),
			 "t.yaml:3:22: vmm.vm.ipa_bits: '%s' is out of range "
			 "32..52",
			 bad[i]);
		assert_string_equal(g_err, want);
	}
}

/* ------------------------------------------------------------------ */
/* BARs: read side effects follow PCI                                  */
/* ------------------------------------------------------------------ */

/*
 * A memory BAR that is not prefetchable may have read side effects (PCI:
 * that is what prefetchable says it has not), so it has them unless the
 * scenario says otherwise; a prefetchable one has none unless it says so.
 */
static void test_bar_read_side_effects_default(void **state)
{
	static const char text[] =
		"host: {preset: grace-hopper}\nkernel: \"6.9\"\n"
		"devices:\n"
		"  - name: nvme0\n"
		"    type: vfio-pci\n"
		"    bars:\n"
		"      - {index: 0, size: 16K}\n"
		"      - {index: 1, size: 16K, read_side_effects: false}\n"
		"      - {index: 2, size: 1M, prefetchable: true}\n"
		"      - {index: 3, size: 1M, prefetchable: true, "
		"read_side_effects: true}\n"
		"      - {index: 4, size: 64K, prefetchable: false}\n"
		"      - {index: 5, size: 64K, prefetchable: no, "
		"read_side_effects: off}\n";
	static const struct {
		bool prefetchable, rse;
	} want[S2MT_MAX_BARS] = {
		{ false, true }, { false, false }, { true, false },
		{ true, true },	 { false, true },  { false, false },
	};
	const struct sc_device *d = &g_sc.devices[0];

	(void)state;
	load_ok(text);
	for (unsigned i = 0; i < S2MT_MAX_BARS; i++) {
		assert_int_equal(d->bars[i].prefetchable, want[i].prefetchable);
		assert_int_equal(d->bars[i].read_side_effects, want[i].rse);
	}
}

/*
 * The case the default is for: an NVMe controller's BAR0 (registers,
 * doorbells; not prefetchable) mapped by a 6.9+ host as Normal-NC at
 * stage 2, which lets the CPU read it speculatively. That is Z6, found
 * without the scenario having to say the BAR has read side effects.
 */
static void test_nvme_bar0_normal_nc_is_z6(void **state)
{
	static const char nvme[] =
		"host: {preset: grace-hopper}\nkernel: \"6.9\"\n"
		"devices:\n"
		"  - {name: nvme0, type: vfio-pci, bars: [{index: 0, size: "
		"16K}]}\n"
		"vmm:\n"
		"  mmaps: [{name: bar0, kind: vfio-bar, device: nvme0, bar: "
		"0}]\n"
		"  memslots: [{slot: 0, guest_phys_addr: 0x10000000, mmap: "
		"bar0}]\n"
		"guest:\n"
		"  accesses: [{name: csts, ipa: 0x1000001c, s1: "
		"device-ngnre}]\n";
	struct run *r = calloc(1, sizeof(*r));
	bool z6 = false;

	(void)state;
	assert_non_null(r);
	load_ok(nvme);
	assert_true(g_sc.devices[0].bars[0].read_side_effects);
	if (run_scenario(&g_sc, g_sc.era, r))
		fail_msg("%s", r->setup_error);
	for (size_t i = 0; i < r->nr_hazards && i < RUN_MAX_HAZARDS; i++)
		z6 |= r->hazards[i].id == S2MT_Z6;
	assert_true(z6);
	run_free(r);
	free(r);
}

/* ------------------------------------------------------------------ */
/* The API's edges                                                     */
/* ------------------------------------------------------------------ */

static void test_api_edges(void **state)
{
	char small[12], path[] = "/tmp/s2mt-scenario-XXXXXX";
	int fd;
	FILE *f;

	(void)state;
	/* A refusal leaves the scenario zeroed. */
	load_ok(good);
	assert_int_equal(load("host: {preset: no-fwb}\n"), -1);
	assert_string_equal(g_err,
			    "t.yaml:1:1: top level: missing required key "
			    "'kernel'");
	assert_int_equal(g_sc.nr_mmaps, 0);
	assert_string_equal(g_sc.file, "");

	/* Messages are cut to the buffer, never overrun it. */
	memset(small, 'z', sizeof(small));
	assert_int_equal(scenario_load_buffer("t.yaml", "x: 1", 4, &g_sc, small,
					      sizeof(small)),
			 -1);
	assert_string_equal(small, "t.yaml:1:1:");
	assert_int_equal(scenario_load_buffer("t.yaml", "x", 1, &g_sc, NULL, 0),
			 -1);
	assert_int_equal(scenario_load_buffer(NULL, NULL, 0, &g_sc, g_err,
					      sizeof(g_err)),
			 -1);
	assert_true(well_formed(g_err));
	assert_int_equal(scenario_load_buffer("t.yaml", good, strlen(good),
					      NULL, g_err, sizeof(g_err)),
			 -1);
	/* The length is what counts: no NUL needed, none read past. */
	assert_int_equal(scenario_load_buffer("t.yaml", good, 40, &g_sc, g_err,
					      sizeof(g_err)),
			 -1);
	assert_true(well_formed(g_err));

	/* Files. */
	assert_int_equal(scenario_load_file("/nonexistent/s.yaml", &g_sc, g_err,
					    sizeof(g_err)),
			 -1);
	assert_string_equal(g_err,
			    "/nonexistent/s.yaml:1:1: cannot open: "
			    "No such file or directory");
	assert_int_equal(scenario_load_file("/", &g_sc, g_err, sizeof(g_err)),
			 -1);
	assert_true(well_formed(g_err));
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(good, 1, strlen(good), f), strlen(good));
	fclose(f);
	assert_int_equal(scenario_load_file(path, &g_sc, g_err, sizeof(g_err)),
			 0);
	assert_string_equal(g_sc.file, path);
	assert_int_equal(g_sc.nr_steps, 21);
	unlink(path);
}

/* ------------------------------------------------------------------ */
/* Bad input                                                           */
/* ------------------------------------------------------------------ */

static const char *data_dir(void)
{
	const char *d = getenv("S2MT_TEST_DATA");

	return d && *d ? d : "tests/data";
}

/* One fixture per class of mistake, with the exact message. */
static const struct bad_case {
	const char *file;
	const char *message;
} bad_cases[] = {
	{ "access-overflow.yaml",
	  "access-overflow.yaml:5:49: guest.accesses[0].size: ipa "
	  "0xffffffffffff0000 + size 0x100000 overflows 64 bits" },
	{ "action-needs-arg.yaml",
	  "action-needs-arg.yaml:4:5: steps[0]: 'mmap' needs an argument "
	  "(mmap: NAME)" },
	{ "alias.yaml",
	  "alias.yaml:5:7: alias '*ram': anchors and aliases are not supported "
	  "(write the value out)" },
	{ "align-and-hva.yaml",
	  "align-and-hva.yaml:5:57: vmm.mmaps[0]: 'hva' and 'align' are "
	  "mutually exclusive (a fixed address has no alignment to choose)" },
	{ "align-not-pow2.yaml",
	  "align-not-pow2.yaml:5:52: vmm.mmaps[0].align.to: 3M is not a power "
	  "of two from 4K to 256T" },
	{ "align-offset.yaml",
	  "align-offset.yaml:5:64: vmm.mmaps[0].align.offset: 2M is not below "
	  "to (2M)" },
	{ "anchor.yaml",
	  "anchor.yaml:5:7: anchor '&ram': anchors and aliases are not "
	  "supported (write the value out)" },
	{ "bad-access-kind.yaml",
	  "bad-access-kind.yaml:5:34: guest.accesses[0].access: unknown access "
	  "'fetch' (allowed: read, write, exec)" },
	{ "bad-cap-on.yaml",
	  "bad-cap-on.yaml:4:32: steps[0].capability.on: unknown handle 'vcpu' "
	  "(allowed: vm, system)" },
	{ "bad-cap.yaml",
	  "bad-cap.yaml:4:23: steps[0].capability.cap: expected a capability "
	  "(a number, or cacheable-pfnmap, mte, ipa-size, nr-memslots, "
	  "readonly-mem, user-memory2), got 'fast-path'" },
	{ "bad-device-type.yaml",
	  "bad-device-type.yaml:4:24: devices[0].type: unknown device type "
	  "'virtio-net' (allowed: vfio-pci, nvgrace-gpu, cacheable-pfnmap)" },
	{ "bad-effective.yaml",
	  "bad-effective.yaml:8:25: steps[0].expect.effective: expected an "
	  "effective type (Device-nGnRnE, Device-nGnRE, Device-nGRE, "
	  "Device-GRE, Normal-NC, Normal-WT, Normal-WB, Normal-WB-tagged, "
	  "Normal-oX-iY; on x86 UC, UC-, WC, WT, WP, WB), got 'Force-WB'" },
	{ "bad-errno.yaml",
	  "bad-errno.yaml:5:21: steps[0].expect.errno: unknown errno "
	  "'EWHATEVER' (allowed: 0, EINVAL, EFAULT, EEXIST, ENOEXEC, EAGAIN, "
	  "ENOENT, EPERM, ENOMEM, EBUSY, ENODEV, ENOSPC)" },
	{ "bad-features.yaml",
	  "bad-features.yaml:2:25: host.features: unknown key 'sve' (allowed: "
	  "fwb, dic, idc, mte)" },
	{ "bad-flag.yaml",
	  "bad-flag.yaml:7:56: vmm.memslots[0].flags[0]: expected a flag "
	  "(log-dirty-pages, readonly, guest-memfd, cacheable-pfnmap, "
	  "KVM_MEM_*, or an integer), "
	  "got 'dirty'" },
	{ "bad-hazard.yaml",
	  "bad-hazard.yaml:4:23: expect.hazards.present[0]: unknown hazard "
	  "'Z9' (allowed: Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8)" },
	{ "bad-hazards-scalar.yaml",
	  "bad-hazards-scalar.yaml:4:12: expect.hazards: expected none or a "
	  "map {present, absent}, got 'some'" },
	{ "bad-kind.yaml",
	  "bad-kind.yaml:5:25: vmm.mmaps[0].kind: unknown kind 'shmem' "
	  "(allowed: anonymous, thp, hugetlb-2m, hugetlb-1g, vfio-bar, "
	  "nvgrace-usemem, nvgrace-resmem, devmem, cacheable-pfnmap)" },
	{ "bad-leaf.yaml",
	  "bad-leaf.yaml:8:20: steps[0].expect.leaf: expected 4K, 2M or 1G, "
	  "got '4M'" },
	{ "bad-migrate-kernel.yaml",
	  "bad-migrate-kernel.yaml:4:39: steps[0].migrate.kernel: kernel 5.15 "
	  "is older than 6.1, the oldest the model describes (Debian 12's "
	  "kernel)" },
	{ "bad-migrate-preset.yaml",
	  "bad-migrate-preset.yaml:4:23: steps[0].migrate.preset: unknown "
	  "preset 'graviton' (allowed: grace-hopper, no-fwb, fwb-no-dic, "
	  "qemu-max, qemu10-max, neoverse-v1, cortex-a710)" },
	{ "bad-name.yaml",
	  "bad-name.yaml:5:14: vmm.mmaps[0].name: name 'guest ram' has a "
	  "character other than A-Z a-z 0-9 _ . -" },
	{ "bad-outcome.yaml",
	  "bad-outcome.yaml:8:23: steps[0].expect.outcome: unknown outcome "
	  "'crashed' (allowed: mapped, perm-relaxed, spurious, mmio-exit, "
	  "efault, inject-iabt, inject-dabt, retry)" },
	{ "bad-preset.yaml",
	  "bad-preset.yaml:1:16: host.preset: unknown preset 'graviton' "
	  "(allowed: grace-hopper, no-fwb, fwb-no-dic, qemu-max, qemu10-max, "
	  "neoverse-v1, cortex-a710)" },
	{ "bad-prot.yaml",
	  "bad-prot.yaml:5:52: vmm.mmaps[0].prot: expected a prot (letters r, "
	  "w, x, or none), got 'rwz'" },
	{ "bad-rule.yaml",
	  "bad-rule.yaml:8:20: steps[0].expect.rule: expected a rule id such "
	  "as K2 (1 to 7 letters and digits), got 'K2-and-K3'" },
	{ "bad-s1.yaml",
	  "bad-s1.yaml:5:30: guest.accesses[0].s1: expected a stage-1 name "
	  "(off, device-ngnrne, device-ngnre, device-ngre, device-gre, "
	  "normal-nc, normal-wt, normal-wb, tagged) or a MAIR byte (0x44), got "
	  "'0x100'" },
	{ "bad-stage2.yaml",
	  "bad-stage2.yaml:8:22: steps[0].expect.stage2: expected a stage-2 "
	  "type (Device-nGnRnE, Device-nGnRE, Device-nGRE, Device-GRE, "
	  "Normal-NC, Normal-WT, Normal-WB, Normal-oX-iY, Force-WB, As-S1; "
	  "on x86 'EPT UC', 'EPT WB+IPAT', 'NPT host WB', ...), got "
	  "'Normal-WB-tagged'" },
	{ "bad-value.yaml",
	  "bad-value.yaml:5:21: steps[0].expect.value: expected an integer "
	  "(decimal or 0x hex, may be negative), got 'many'" },
	{ "bar-on-anonymous.yaml",
	  "bar-on-anonymous.yaml:5:46: vmm.mmaps[0]: 'bar' does not apply to "
	  "kind anonymous (allowed: name, kind, size, hva, align, prot, "
	  "shared)" },
	{ "bar-size-pow2.yaml",
	  "bar-size-pow2.yaml:7:26: devices[0].bars[0].size: 96K is not a "
	  "power of two of at least 4K" },
	{ "bar-size-small.yaml",
	  "bar-size-small.yaml:7:26: devices[0].bars[0].size: 2K is not a "
	  "power of two of at least 4K" },
	{ "bars-on-nvgrace.yaml",
	  "bars-on-nvgrace.yaml:7:5: devices[0]: 'bars' does not apply to type "
	  "nvgrace-gpu (allowed: name, type, usemem, resmem)" },
	{ "control-char.yaml",
	  "control-char.yaml:3:8: invalid input: control characters are not "
	  "allowed (0x01)" },
	{ "create-vm-arg.yaml",
	  "create-vm-arg.yaml:4:16: steps[0].create-vm: takes no argument, got "
	  "'now'" },
	{ "devmem-device-and-pa.yaml",
	  "devmem-device-and-pa.yaml:10:54: vmm.mmaps[0]: 'pa' and 'device' "
	  "are mutually exclusive (devmem maps either a device BAR or a "
	  "physical address)" },
	{ "devmem-no-source.yaml",
	  "devmem-no-source.yaml:5:7: vmm.mmaps[0]: devmem needs 'device' and "
	  "'bar', or 'pa'" },
	{ "devmem-pa-no-size.yaml",
	  "devmem-pa-no-size.yaml:5:7: vmm.mmaps[0]: missing required key "
	  "'size' (devmem with pa)" },
	{ "duplicate-access-name.yaml",
	  "duplicate-access-name.yaml:6:14: guest.accesses[1].name: duplicate "
	  "access name 'r0' (first at line 5)" },
	{ "duplicate-bar-index.yaml",
	  "duplicate-bar-index.yaml:8:17: devices[0].bars[1].index: BAR 0 is "
	  "already defined (line 7)" },
	{ "duplicate-device-name.yaml",
	  "duplicate-device-name.yaml:5:12: devices[1].name: duplicate device "
	  "name 'gpu0' (first at line 4)" },
	{ "duplicate-key.yaml",
	  "duplicate-key.yaml:3:1: top level: duplicate key 'kernel' (first at "
	  "line 2)" },
	{ "duplicate-mmap-name.yaml",
	  "duplicate-mmap-name.yaml:6:14: vmm.mmaps[1].name: duplicate mmap "
	  "name 'ram' (first at line 5)" },
	{ "duplicate-slot.yaml",
	  "duplicate-slot.yaml:8:14: vmm.memslots[1].slot: duplicate slot 0 "
	  "(first at line 7)" },
	{ "empty-document.yaml",
	  "empty-document.yaml:2:1: empty document: a scenario is a map with "
	  "host, kernel and more" },
	{ "empty.yaml",
	  "empty.yaml:1:1: empty document: a scenario is a map with host, "
	  "kernel and more" },
	{ "expect-mismatch.yaml",
	  "expect-mismatch.yaml:8:14: steps[0].expect: 'effective' does not "
	  "apply to the mmap action (allowed: errno, rule)" },
	{ "flag-range.yaml",
	  "flag-range.yaml:7:56: vmm.memslots[0].flags[0]: '0x100000000' is "
	  "out of range 0..0xffffffff" },
	{ "hazard-both.yaml",
	  "hazard-both.yaml:4:45: expect.hazards.absent[1]: Z3 is also listed "
	  "in present" },
	{ "hazards-empty.yaml",
	  "hazards-empty.yaml:4:12: expect.hazards: give 'present' and/or "
	  "'absent', or none" },
	{ "hex-garbage.yaml",
	  "hex-garbage.yaml:5:42: vmm.mmaps[0].size: expected a size (bytes, "
	  "0x hex, or a number with K, M, G, T, KiB, MiB, GiB or TiB), got "
	  "'0x1g'" },
	{ "host-model-bar.yaml",
	  "host-model-bar.yaml:4:5: devices[0]: H4: nic0 BAR0: 0x1000000000000 "
	  "bytes do not fit in the MMIO window" },
	{ "hugetlb-1g-size.yaml",
	  "hugetlb-1g-size.yaml:5:43: vmm.mmaps[0].size: 1536M is not a "
	  "multiple of 1G (the hugetlb-1g page size)" },
	{ "hugetlb-2m-size.yaml",
	  "hugetlb-2m-size.yaml:5:43: vmm.mmaps[0].size: 3M is not a multiple "
	  "of 2M (the hugetlb-2m page size)" },
	{ "hva-overflow.yaml",
	  "hva-overflow.yaml:5:51: vmm.mmaps[0].hva: 0xfffffffffffff000 + size "
	  "0x2000 overflows 64 bits" },
	{ "invalid-utf8.yaml",
	  "invalid-utf8.yaml:1:11: invalid input: invalid trailing UTF-8 octet "
	  "(0x0A)" },
	{ "kernel-bad.yaml",
	  "kernel-bad.yaml:2:9: kernel: expected a kernel release as uname -r "
	  "prints it (X.Y or X.Y.Z, then optionally -suffix or +suffix, e.g. "
	  "\"6.17.0-1001-nvidia\"), got \"6.x\"" },
	{ "kernel-backport-mainline.yaml",
	  "kernel-backport-mainline.yaml:2:39: kernel.backports[0]: normal-nc "
	  "is already in kernel 6.12 (since Linux 6.9), so it is no "
	  "backport" },
	{ "kernel-backport-not-a-name.yaml",
	  "kernel-backport-not-a-name.yaml:8:21: "
	  "steps[0].migrate.kernel.backports[0]: expected a backport name, got "
	  "'cacheable-pfnmap?normal-nc'" },
	{ "kernel-backport-needs.yaml",
	  "kernel-backport-needs.yaml:2:50: kernel.backports[0]: "
	  "cacheable-pfnmap needs normal-nc, which kernel 6.8.0-1010-nvidia "
	  "lacks: name normal-nc as a backport first" },
	{ "kernel-backport-twice.yaml",
	  "kernel-backport-twice.yaml:4:33: kernel.backports[1]: "
	  "cacheable-pfnmap is already named as a backport" },
	{ "kernel-backports-scalar.yaml",
	  "kernel-backports-scalar.yaml:4:14: kernel.backports: expected a "
	  "list of backport names, got 'cacheable-pfnmap'" },
	{ "kernel-control-char.yaml",
	  "kernel-control-char.yaml:2:19: kernel.version: expected a kernel "
	  "release (6.12, 6.17.0-1001-nvidia, ...), got '6.12?generic'" },
	{ "kernel-empty.yaml",
	  "kernel-empty.yaml:2:8: kernel: expected a kernel release (6.12, "
	  "6.17.0-1001-nvidia, ...) or a map {version, backports}, got an "
	  "empty value" },
	{ "kernel-list.yaml",
	  "kernel-list.yaml:2:9: kernel: expected a kernel release (6.12, "
	  "6.17.0-1001-nvidia, ...) or a map {version, backports}, got a "
	  "list" },
	{ "kernel-no-version.yaml",
	  "kernel-no-version.yaml:2:9: kernel: missing required key "
	  "'version'" },
	{ "kernel-nvgrace-without-driver.yaml",
	  "kernel-nvgrace-without-driver.yaml:5:5: devices[0]: H4: "
	  "nvgrace-gpu-vfio-pci arrived in Linux 6.9; kernel 6.8.0-31-generic "
	  "does not have it; name it as a backport if your vendor kernel "
	  "carries it" },
	{ "kernel-too-long.yaml",
	  "kernel-too-long.yaml:2:9: kernel: expected a kernel release of at "
	  "most 64 characters (uname's limit), got 65: "
	  "\"6.17.0-1001-nvidia-64k-w...\"" },
	{ "kernel-too-old.yaml",
	  "kernel-too-old.yaml:2:9: kernel: kernel 5.15.0-91-generic is older "
	  "than 6.1, the oldest the model describes (Debian 12's kernel)" },
	{ "kernel-unknown-backport.yaml",
	  "kernel-unknown-backport.yaml:4:15: kernel.backports[0]: unknown "
	  "backport \"fast-pfnmap\": the model knows mte-shared, user-memory2, "
	  "normal-nc, nvgrace-gpu, ipa-52-lpa2, anon-mte-fix, hugetlb-mte, "
	  "cacheable-pfnmap, nvgrace-no-resmem, thp-anon-align, "
	  "thp-align-pmd-len, thp-zero-wp-alloc" },
	{ "kernel-unknown-key.yaml",
	  "kernel-unknown-key.yaml:2:39: kernel: unknown key 'flavour' "
	  "(allowed: version, backports)" },
	{ "migrate-kernel-backport.yaml",
	  "migrate-kernel-backport.yaml:4:69: "
	  "steps[0].migrate.kernel.backports[0]: normal-nc is already in "
	  "kernel 6.12 (since Linux 6.9), so it is no backport" },
	{ "key-not-string.yaml",
	  "key-not-string.yaml:3:7: vmm: a key must be a string, got a list" },
	{ "long-device-name.yaml",
	  "long-device-name.yaml:4:12: devices[0].name: name "
	  "'gggggggggggggggggggggggggggggggg' is longer than 31 characters" },
	{ "long-name.yaml",
	  "long-name.yaml:5:14: vmm.mmaps[0].name: name "
	  "'rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr...' is longer than 47 "
	  "characters" },
	{ "long-title.yaml",
	  "long-title.yaml:1:7: name: longer than 95 characters" },
	{ "missing-kernel.yaml",
	  "missing-kernel.yaml:1:1: top level: missing required key 'kernel'" },
	{ "missing-mmap-kind.yaml",
	  "missing-mmap-kind.yaml:5:7: vmm.mmaps[0]: missing required key "
	  "'kind'" },
	{ "mmap-and-userspace-addr.yaml",
	  "mmap-and-userspace-addr.yaml:7:48: vmm.memslots[0]: 'mmap' and "
	  "'userspace_addr' are mutually exclusive (give exactly one)" },
	{ "mmap-offset-beyond.yaml",
	  "mmap-offset-beyond.yaml:7:61: vmm.memslots[0].mmap_offset: 2M is "
	  "not inside mmap 'ram' (2M); give memory_size" },
	{ "mmap-offset-with-userspace.yaml",
	  "mmap-offset-with-userspace.yaml:5:82: vmm.memslots[0]: "
	  "'mmap_offset' does not apply with 'userspace_addr' (it is an offset "
	  "into 'mmap')" },
	{ "mprotect-no-prot.yaml",
	  "mprotect-no-prot.yaml:7:15: steps[0].mprotect: missing required key "
	  "'prot'" },
	{ "negative-size.yaml",
	  "negative-size.yaml:5:42: vmm.mmaps[0].size: must not be negative, "
	  "got '-4K'" },
	{ "no-action.yaml",
	  "no-action.yaml:4:5: steps[0]: no action (allowed: mmap, munmap, "
	  "mprotect, create-vm, memslot, slot-delete, slot-move, slot-flags, "
	  "dirty-log, get-dirty-log, access, capability, migrate)" },
	{ "no-mmap-no-userspace-addr.yaml",
	  "no-mmap-no-userspace-addr.yaml:5:7: vmm.memslots[0]: missing 'mmap' "
	  "or 'userspace_addr' (give exactly one)" },
	{ "x86-with-preset.yaml",
	  "x86-with-preset.yaml:3:3: host: an x86 host (arch: x86-amd) takes "
	  "no 'preset': it has none of the Arm features" },
	{ "host-thp-mode.yaml",
	  "host-thp-mode.yaml:3:8: host.thp: unknown THP mode 'alwayz'; did "
	  "you mean 'always'? (allowed: never, madvise, always)" },
	{ "host-thp-zero-page.yaml",
	  "host-thp-zero-page.yaml:3:18: host.thp_zero_page: expected a bool "
	  "(true/false, yes/no, on/off), got '2'" },
	{ "x86-knob-on-arm.yaml",
	  "x86-knob-on-arm.yaml:3:3: host.noncoherent_dma: only an x86 host "
	  "has it (arch: x86-intel or x86-amd)" },
	{ "bad-arch.yaml",
	  "bad-arch.yaml:1:14: host.arch: unknown architecture 'riscv' "
	  "(allowed: arm64, x86-intel, x86-amd)" },
	{ "design-old-kernel.yaml",
	  "design-old-kernel.yaml:3:9: design: D3 changes the rules of the "
	  "6.17 era; kernel 6.12 predates it (give a kernel of at least "
	  "6.17)" },
	{ "bad-design.yaml",
	  "bad-design.yaml:3:9: design: unknown design 'D6' (one of merged, "
	  "nc-blanket, D1, D2, D3, D4, D5)" },
	{ "sync-on-vfio.yaml",
	  "sync-on-vfio.yaml:7:55: vmm.mmaps[0]: 'sync' does not apply to "
	  "kind vfio-bar (allowed: name, kind, size, device, bar, offset, "
	  "hva, align, prot, shared)" },
	{ "cmem-size.yaml",
	  "cmem-size.yaml:4:46: devices[0].size: 3M is not a non-zero "
	  "multiple of 2M" },
	{ "preset-typo.yaml",
	  "preset-typo.yaml:1:16: host.preset: unknown preset 'grace-hoper'; "
	  "did you mean 'grace-hopper'? (allowed: grace-hopper, no-fwb, "
	  "fwb-no-dic, qemu-max, qemu10-max, neoverse-v1, cortex-a710)" },
	{ "no-preset-no-features.yaml",
	  "no-preset-no-features.yaml:2:3: host: missing 'preset' or "
	  "'features' (give exactly one; or arch: x86-intel|x86-amd)" },
	{ "nul-in-string.yaml",
	  "nul-in-string.yaml:1:7: name: contains a NUL character" },
	{ "offset-beyond-bar.yaml",
	  "offset-beyond-bar.yaml:10:66: vmm.mmaps[0].offset: 64K is not "
	  "inside BAR 0 of 'nic0' (64K)" },
	{ "overlap-devmem.yaml",
	  "overlap-devmem.yaml:6:66: vmm.mmaps[1].hva: [0x1ff00000, "
	  "0x20100000) overlaps mmap 'a' at [0x20000000, 0x20200000) (line 5); "
	  "without steps every mmap is mapped" },
	{ "overlap-fixed.yaml",
	  "overlap-fixed.yaml:6:49: vmm.mmaps[1].hva: [0x10001000, 0x10002000) "
	  "overlaps mmap 'a' at [0x10000000, 0x10002000) (line 5); without "
	  "steps every mmap is mapped" },
	{ "preset-and-features.yaml",
	  "preset-and-features.yaml:3:3: host: 'preset' and 'features' are "
	  "mutually exclusive (give exactly one)" },
	{ "ram-not-1g.yaml",
	  "ram-not-1g.yaml:3:8: host.ram: 1536M is not a non-zero multiple of "
	  "1G" },
	{ "ram-too-big.yaml",
	  "ram-too-big.yaml:3:8: host.ram: 64T is more than 65534G (the RAM "
	  "window below the device memory)" },
	{ "range-bar-index.yaml",
	  "range-bar-index.yaml:7:17: devices[0].bars[0].index: '6' is out of "
	  "range 0..5" },
	{ "range-ipa-bits.yaml",
	  "range-ipa-bits.yaml:4:18: vmm.vm.ipa_bits: '53' is out of range "
	  "32..52" },
	{ "range-slot.yaml",
	  "range-slot.yaml:7:14: vmm.memslots[0].slot: '0x100000000' is out of "
	  "range 0..0xffffffff" },
	{ "resmem-none.yaml",
	  "resmem-none.yaml:10:49: vmm.mmaps[0].device: device 'gpu0' has no "
	  "resmem (resmem: none)" },
	{ "size-overflow.yaml",
	  "size-overflow.yaml:5:42: vmm.mmaps[0].size: "
	  "'0x1_0000_0000_0000_0000' does not fit in 64 bits" },
	{ "step-wrong-type.yaml",
	  "step-wrong-type.yaml:4:5: steps[0]: expected a step (a map such as "
	  "{mmap: NAME}, or create-vm), got a list" },
	{ "steps-too-many.yaml",
	  "steps-too-many.yaml:516:5: steps: too many entries (at most 512)" },
	{ "suffix-overflow.yaml",
	  "suffix-overflow.yaml:5:42: vmm.mmaps[0].size: '16777216T' does not "
	  "fit in 64 bits" },
	{ "syntax-error.yaml",
	  "syntax-error.yaml:5:1: YAML syntax error: did not find expected ',' "
	  "or '}', while parsing a flow mapping at line 4 column 12" },
	{ "too-deep.yaml", "too-deep.yaml:3:69: nested deeper than 64 levels" },
	{ "too-many-devices.yaml",
	  "too-many-devices.yaml:20:5: devices: too many entries (at most "
	  "16)" },
	{ "too-many-hazards.yaml",
	  "too-many-hazards.yaml:5:47: expect.hazards.present: too many "
	  "entries (at most 8)" },
	{ "top-level-list.yaml",
	  "top-level-list.yaml:1:1: top level: expected a map (host, kernel, "
	  "...), got a list" },
	{ "two-actions.yaml",
	  "two-actions.yaml:7:17: steps[0]: more than one action ('mmap' and "
	  "'create-vm'): one action per step" },
	{ "two-documents.yaml",
	  "two-documents.yaml:3:1: more than one document: a scenario file "
	  "holds one" },
	{ "unaligned-hva.yaml",
	  "unaligned-hva.yaml:5:51: vmm.mmaps[0].hva: 0x7f0000000800 is not "
	  "page aligned (4K)" },
	{ "unaligned-mmap-size.yaml",
	  "unaligned-mmap-size.yaml:5:42: vmm.mmaps[0].size: 5000 is not a "
	  "multiple of 4K (page size)" },
	{ "unaligned-offset.yaml",
	  "unaligned-offset.yaml:10:66: vmm.mmaps[0].offset: 2K is not a "
	  "multiple of 4K (page size)" },
	{ "undefined-access-step.yaml",
	  "undefined-access-step.yaml:7:13: steps[0].access: undefined access "
	  "'w0'" },
	{ "undefined-bar.yaml",
	  "undefined-bar.yaml:10:55: vmm.mmaps[0].bar: device 'nic0' has no "
	  "BAR 3" },
	{ "undefined-device.yaml",
	  "undefined-device.yaml:10:44: vmm.mmaps[0].device: undefined device "
	  "'nic1'" },
	{ "undefined-mmap-memslot.yaml",
	  "undefined-mmap-memslot.yaml:7:43: vmm.memslots[0].mmap: undefined "
	  "mmap 'rom'" },
	{ "undefined-mmap-step.yaml",
	  "undefined-mmap-step.yaml:7:11: steps[0].mmap: undefined mmap "
	  "'rom'" },
	{ "undefined-slot-delete.yaml",
	  "undefined-slot-delete.yaml:9:18: steps[0].slot-delete: slot 7 is "
	  "not defined in vmm.memslots" },
	{ "undefined-slot-dirty-log.yaml",
	  "undefined-slot-dirty-log.yaml:9:23: steps[0].dirty-log.slot: slot 2 "
	  "is not defined in vmm.memslots" },
	{ "undefined-slot-step.yaml",
	  "undefined-slot-step.yaml:9:14: steps[0].memslot: slot 1 is not "
	  "defined in vmm.memslots" },
	{ "underscore.yaml",
	  "underscore.yaml:5:42: vmm.mmaps[0].size: expected a size (bytes, 0x "
	  "hex, or a number with K, M, G, T, KiB, MiB, GiB or TiB), got "
	  "'4__096'" },
	{ "unknown-action.yaml",
	  "unknown-action.yaml:5:5: steps[1]: unknown action 'reboot' "
	  "(allowed: mmap, munmap, mprotect, create-vm, memslot, slot-delete, "
	  "slot-move, slot-flags, dirty-log, get-dirty-log, access, "
	  "capability, migrate)" },
	{ "unknown-key-mmap.yaml",
	  "unknown-key-mmap.yaml:5:36: vmm.mmaps[0]: unknown key 'sise'; "
	  "did you mean 'size'? (allowed: name, kind, size, device, bar, "
	  "offset, pa, hva, align, "
	  "prot, shared, sync)" },
	{ "unknown-key-top.yaml",
	  "unknown-key-top.yaml:3:1: top level: unknown key 'vmms'; did you "
	  "mean 'vmm'? (allowed: "
	  "name, description, host, kernel, design, devices, vmm, guest, "
	  "steps, expect)" },
	{ "usemem-mmap-on-vfio.yaml",
	  "usemem-mmap-on-vfio.yaml:10:49: vmm.mmaps[0].device: 'nic0' has "
	  "type vfio-pci; kind nvgrace-usemem needs a device of type "
	  "nvgrace-gpu" },
	{ "usemem-not-2m.yaml",
	  "usemem-not-2m.yaml:4:45: devices[0].usemem: 3M is not a non-zero "
	  "multiple of 2M" },
	{ "usemem-on-vfio.yaml",
	  "usemem-on-vfio.yaml:6:5: devices[0]: 'usemem' does not apply to "
	  "type vfio-pci (allowed: name, type, bars)" },
	{ "userspace-addr-no-size.yaml",
	  "userspace-addr-no-size.yaml:5:7: vmm.memslots[0]: missing required "
	  "key 'memory_size' (required with userspace_addr)" },
	{ "value-on-mmap.yaml",
	  "value-on-mmap.yaml:8:14: steps[0].expect: 'value' does not apply to "
	  "the mmap action (allowed: errno, rule)" },
	{ "vfio-bar-on-nvgrace.yaml",
	  "vfio-bar-on-nvgrace.yaml:9:43: vmm.mmaps[0].device: 'gpu0' has type "
	  "nvgrace-gpu; kind vfio-bar needs a device of type vfio-pci" },
	{ "wrong-type-address.yaml",
	  "wrong-type-address.yaml:5:51: vmm.mmaps[0].hva: expected an address "
	  "(decimal or 0x hex), got '4K'" },
	{ "wrong-type-bool.yaml",
	  "wrong-type-bool.yaml:5:54: vmm.mmaps[0].shared: expected a bool "
	  "(true/false, yes/no, on/off), got 'maybe'" },
	{ "wrong-type-list.yaml",
	  "wrong-type-list.yaml:3:10: devices: expected a list, got a map" },
	{ "wrong-type-map.yaml",
	  "wrong-type-map.yaml:1:7: host: expected a map, got 'grace-hopper'" },
	{ "wrong-type-scalar.yaml",
	  "wrong-type-scalar.yaml:1:7: name: expected a string, got a list" },
	{ "wrong-type-size.yaml",
	  "wrong-type-size.yaml:5:42: vmm.mmaps[0].size: expected a size "
	  "(bytes, 0x hex, or a number with K, M, G, T, KiB, MiB, GiB or TiB), "
	  "got 'lots'" },
	{ "zero-size.yaml",
	  "zero-size.yaml:5:42: vmm.mmaps[0].size: must not be 0" },
	{ "resmem-not-4k.yaml",
	  "resmem-not-4k.yaml:4:57: devices[0].resmem: 6000 is not a non-zero "
	  "multiple of 4K (or none)" },
	{ "too-many-mmaps.yaml",
	  "too-many-mmaps.yaml:69:7: vmm.mmaps: too many entries (at most "
	  "64)" },
	{ "too-many-slots.yaml",
	  "too-many-slots.yaml:71:7: vmm.memslots: too many entries (at most "
	  "64)" },
	{ "devmem-pa-unaligned.yaml",
	  "devmem-pa-unaligned.yaml:5:36: vmm.mmaps[0].pa: 0x600000000800 is "
	  "not page aligned (4K)" },
	{ "flags-map.yaml",
	  "flags-map.yaml:7:55: vmm.memslots[0].flags: expected a list of "
	  "flags, got a map" },
	{ "flag-negative.yaml",
	  "flag-negative.yaml:7:56: vmm.memslots[0].flags[0]: must not be "
	  "negative, got '-1'" },
	{ "unknown-key-utf8.yaml",
	  "unknown-key-utf8.yaml:3:1: top level: unknown key "
	  "'x\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3"
	  "\xa9\xc3\xa9\xc3\xa9...' (allowed: name, description, host, kernel, "
	  "design, devices, vmm, guest, steps, expect)" },
	{ "unknown-key-utf8-boundary.yaml",
	  "unknown-key-utf8-boundary.yaml:3:1: top level: unknown key "
	  "'\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3"
	  "\xa9\xc3\xa9\xc3\xa9\xc3\xa9...' (allowed: name, description, host, "
	  "kernel, design, devices, vmm, guest, steps, expect)" },
	{ "access-zero-size.yaml",
	  "access-zero-size.yaml:5:32: guest.accesses[0].size: must not be 0" },
	{ "devmem-bar-no-device.yaml",
	  "devmem-bar-no-device.yaml:5:7: vmm.mmaps[0]: missing required key "
	  "'device'" },
	{ "value-overflow.yaml",
	  "value-overflow.yaml:5:21: steps[0].expect.value: "
	  "'-9223372036854775809' does not fit in 64 bits" },

};

static void test_bad_exact(void **state)
{
	const struct bad_case *bc = *state;
	char path[512], want[1024];

	snprintf(path, sizeof(path), "%s/bad/%s", data_dir(), bc->file);
	/* The message names the file as given: compare from the name on. */
	assert_int_equal(scenario_load_file(path, &g_sc, g_err, sizeof(g_err)),
			 -1);
	snprintf(want, sizeof(want), "%s/bad/%s", data_dir(), bc->message);
	assert_string_equal(g_err, want);
}

static void test_bad_file(void **state)
{
	const char *path = *state;

	assert_int_equal(scenario_load_file(path, &g_sc, g_err, sizeof(g_err)),
			 -1);
	if (!well_formed(g_err))
		fail_msg("badly formed message: %s", g_err);
	/* The message names this file. */
	assert_memory_equal(g_err, path, strlen(path));
	assert_int_equal(g_sc.nr_steps, 0);
}

/* ------------------------------------------------------------------ */
/* Mutations of the good scenario                                      */
/* ------------------------------------------------------------------ */

/* Bytes YAML and the loader care about. */
static const char interesting[] = ":-{}[],&*!|>'\"#%@`\n\t 0x_KMGT\\\0\xff\xc3";

static size_t mutate(char *buf, size_t len, size_t cap)
{
	size_t pos = len ? (size_t)(rnd() % len) : 0, n;

	switch (rnd() % 8) {
	case 0: /* flip a bit */
		if (len)
			buf[pos] ^= (char)(1u << (rnd() % 8));
		return len;
	case 1: /* an interesting byte */
		if (len)
			buf[pos] =
				interesting[rnd() % (sizeof(interesting) - 1)];
		return len;
	case 2: /* truncate */
		return pos;
	case 3: /* insert bytes */
		n = 1 + rnd() % 8;
		if (len + n > cap)
			return len;
		memmove(buf + pos + n, buf + pos, len - pos);
		for (size_t i = 0; i < n; i++)
			buf[pos + i] = rnd() % 2
				? (char)rnd()
				: interesting[rnd() %
					      (sizeof(interesting) - 1)];
		return len + n;
	case 4: /* delete a run */
		n = 1 + rnd() % 16;
		if (pos + n > len)
			n = len - pos;
		memmove(buf + pos, buf + pos + n, len - pos - n);
		return len - n;
	case 5: { /* duplicate a run somewhere */
		size_t from = len ? (size_t)(rnd() % len) : 0;

		n = 1 + rnd() % 64;
		if (from + n > len)
			n = len - from;
		if (len + n > cap)
			return len;
		memmove(buf + pos + n, buf + pos, len - pos);
		memmove(buf + pos, buf + (from < pos ? from : from + n), n);
		return len + n;
	}
	case 6: /* a digit */
		if (len)
			buf[pos] = (char)('0' + rnd() % 10);
		return len;
	default: /* swap two bytes */
		if (len) {
			size_t q = (size_t)(rnd() % len);
			char t = buf[pos];

			buf[pos] = buf[q];
			buf[q] = t;
		}
		return len;
	}
}

static void test_mutations(void **state)
{
	const uint64_t seed = env_u64("S2MT_TEST_SEED", 0x5ce7a210);
	const unsigned long count = env_u64("S2MT_TEST_MUTATIONS", 4000);
	const size_t cap = sizeof(good) * 2;
	unsigned long loaded = 0, refused = 0;
	char *buf = malloc(cap);

	(void)state;
	assert_non_null(buf);
	print_message("mutations: seed 0x%" PRIx64 ", %lu inputs "
		      "(S2MT_TEST_SEED / S2MT_TEST_MUTATIONS)\n",
		      seed, count);
	rng_state = seed;
	for (unsigned long i = 0; i < count; i++) {
		size_t len = sizeof(good) - 1;
		unsigned rounds = 1 + (unsigned)(rnd() % 4);
		char *copy;
		int rc;

		memcpy(buf, good, len);
		for (unsigned r = 0; r < rounds; r++)
			len = mutate(buf, len, cap);
		/* Exactly len bytes, so ASan sees any read past them. */
		copy = malloc(len ? len : 1);
		assert_non_null(copy);
		memcpy(copy, buf, len);
		g_err[0] = '\0';
		rc = scenario_load_buffer("m.yaml", copy, len, &g_sc, g_err,
					  sizeof(g_err));
		free(copy);
		if (rc == 0) {
			loaded++;
			assert_true(g_sc.nr_devices <= SC_MAX_DEVICES &&
				    g_sc.nr_mmaps <= SC_MAX_MMAPS &&
				    g_sc.nr_slots <= SC_MAX_SLOTS &&
				    g_sc.nr_accesses <= SC_MAX_ACCESSES &&
				    g_sc.nr_steps <= SC_MAX_STEPS);
			continue;
		}
		if (rc != -1 || !well_formed(g_err) ||
		    strncmp(g_err, "m.yaml:", 7))
			fail_msg("mutation %lu (seed 0x%" PRIx64
				 "): rc %d, message '%s'",
				 i, seed, rc, g_err);
		refused++;
	}
	print_message("mutations: %lu loaded, %lu refused\n", loaded, refused);
	assert_true(loaded > 0 && refused > 0);
	free(buf);
}

/* ------------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every .yaml file in tests/data/bad, sorted: one test each. */
static size_t bad_files(char ***out)
{
	char dir[512], **names = NULL;
	size_t nr = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/bad", data_dir());
	d = opendir(dir);
	if (!d) {
		fprintf(stderr,
			"test_scenario: cannot open %s (run from the "
			"top of the tree or set S2MT_TEST_DATA)\n",
			dir);
		exit(1);
	}
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n < 6 || strcmp(de->d_name + n - 5, ".yaml"))
			continue;
		if (nr == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			assert_non_null(names);
		}
		names[nr] = malloc(strlen(dir) + n + 2);
		assert_non_null(names[nr]);
		sprintf(names[nr], "%s/%s", dir, de->d_name);
		nr++;
	}
	closedir(d);
	if (nr)
		qsort(names, nr, sizeof(*names), cmp_str);
	*out = names;
	return nr;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_top_host_devices),
		cmocka_unit_test(test_good_vm_mmaps),
		cmocka_unit_test(test_good_slots_accesses),
		cmocka_unit_test(test_good_steps),
		cmocka_unit_test(test_default_story),
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_size_grammar),
		cmocka_unit_test(test_bool_prot_address),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_format_size_and_kind_names),
		cmocka_unit_test(test_kernel_uname),
		cmocka_unit_test(test_kernel_map_backports),
		cmocka_unit_test(test_kernel_migrate),
		cmocka_unit_test(test_ipa_bits_up_to_52),
		cmocka_unit_test(test_bar_read_side_effects_default),
		cmocka_unit_test(test_nvme_bar0_normal_nc_is_z6),
		cmocka_unit_test(test_api_edges),
		cmocka_unit_test(test_mutations),
	};
	struct CMUnitTest *exact, *files;
	char **names, (*labels)[96];
	size_t nr = bad_files(&names);
	int failed = 0;

	exact = calloc(ARRAY_SIZE(bad_cases), sizeof(*exact));
	files = calloc(nr ? nr : 1, sizeof(*files));
	labels = calloc(nr ? nr : 1, sizeof(*labels));
	if (!exact || !files || !labels)
		return 1;
	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		exact[i].name = bad_cases[i].file;
		exact[i].test_func = test_bad_exact;
		exact[i].initial_state = (void *)&bad_cases[i];
	}
	for (size_t i = 0; i < nr; i++) {
		const char *base = strrchr(names[i], '/');

		snprintf(labels[i], sizeof(labels[i]), "bad/%s",
			 base ? base + 1 : names[i]);
		files[i].name = labels[i];
		files[i].test_func = test_bad_file;
		files[i].initial_state = names[i];
	}
	failed |= cmocka_run_group_tests_name("scenario", tests, NULL, NULL);
	failed |= _cmocka_run_group_tests("scenario: exact messages", exact,
					  ARRAY_SIZE(bad_cases), NULL, NULL);
	failed |= _cmocka_run_group_tests("scenario: every bad fixture", files,
					  nr, NULL, NULL);
	for (size_t i = 0; i < nr; i++)
		free(names[i]);
	free(names);
	free(labels);
	free(files);
	free(exact);
	return failed ? 1 : 0;
}
