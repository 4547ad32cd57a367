// SPDX-License-Identifier: MIT
/*
 * The conformance script and the model backend without QEMU: the script
 * interpreter refuses malformed scripts with their line, and the model's
 * answers to tools/conformance/kvm.ops agree with SPEC for each era and
 * host (C1, M1-M3, K1-K3, K6, K7, K8), the seed scenario's cacheable
 * PFNMAP included, on every host class the real runs boot.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tools/conformance/backend_model.h"

#define MAX_ANSWERS 256

struct answers {
	char id[MAX_ANSWERS][40];
	char res[MAX_ANSWERS][64];
	size_t n;
};

static void collect(void *arg, const char *id, const char *res)
{
	struct answers *a = arg;

	if (a->n < MAX_ANSWERS) {
		snprintf(a->id[a->n], sizeof(a->id[0]), "%s", id);
		snprintf(a->res[a->n], sizeof(a->res[0]), "%s", res);
		a->n++;
	}
}

static const char *answer(const struct answers *a, const char *id)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->id[i], id))
			return a->res[i];
	fail_msg("no answer for %s", id);
	return "";
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

static void run(const char *preset, unsigned era, struct answers *a)
{
	struct model_backend *m = calloc(1, sizeof(*m));
	char *script = slurp("tools/conformance/kvm.ops"), err[256];

	memset(a, 0, sizeof(*a));
	assert_int_equal(model_backend_init(m, preset, era, NULL), 0);
	if (s2mt_vmm_run_script(script, &s2mt_vmm_model_ops, m, collect, a, err,
				sizeof(err)))
		fail_msg("kvm.ops: %s", err);
	model_backend_fini(m);
	free(m);
	free(script);
}

/* Per era on QEMU's max CPU (FWB, no DIC, MTE): C1 and the rest. */
static void test_C1_M3_K_script_answers_per_era(void **state)
{
	static const char *const sys243[] = { "0", "0", "-EINVAL" };
	struct answers a;

	(void)state;
	for (unsigned era = 0; era < S2MT_ERA_COUNT_; era++) {
		run("qemu-max", era, &a);
		assert_string_equal(answer(&a, "cap-sys-243"), sys243[era]);
		/* 6.17: FWB without DIC is no cacheable PFNMAP (C1). */
		assert_string_equal(answer(&a, "cap-vm-243"), "0");
		assert_string_equal(answer(&a, "cap-sys-slots"), "32767");
		assert_string_equal(answer(&a, "vm-ipa-31"), "-EINVAL");
		assert_string_equal(answer(&a, "map-devram"), "-EPERM");
		assert_string_equal(answer(&a, "slot-flag-bit3"), "-EINVAL");
		assert_string_equal(answer(&a, "slot-id-limit"), "-EINVAL");
		assert_string_equal(answer(&a, "slot-id-last"), "0");
		assert_string_equal(answer(&a, "slot-overlap"), "-EEXIST");
		assert_string_equal(answer(&a, "slot-beyond-ipa"), "-EFAULT");
		assert_string_equal(answer(&a, "slot-ro-toggle"), "-EINVAL");
		assert_string_equal(answer(&a, "slot-move-over"), "-EEXIST");
		assert_string_equal(answer(&a, "slot-mmio-log"), "-EINVAL");
		assert_string_equal(answer(&a, "slot-mmio-flags"), "-EINVAL");
		assert_string_equal(answer(&a, "acc-hole-read"), "mmio");
		assert_string_equal(answer(&a, "acc-hole-exec"), "iabt");
		assert_string_equal(answer(&a, "acc-mmio-exec"), "iabt");
		assert_string_equal(answer(&a, "acc-bar-exec"), "iabt");
		assert_string_equal(answer(&a, "acc-ro-write"), "mmio");
		assert_string_equal(answer(&a, "dirty-two"), "2");
		assert_string_equal(answer(&a, "dirty-again"), "0");
		assert_string_equal(answer(&a, "dirty-two-b"), "2");
		assert_string_equal(answer(&a, "dirty-not-log"), "-ENOENT");
		assert_string_equal(answer(&a, "acc-after-unmap"), "efault");
		assert_string_equal(answer(&a, "vm-mte"), "0");
		assert_string_equal(answer(&a, "slot-mte-mmio"), "-EINVAL");
		assert_string_equal(answer(&a, "slot-mte-ram"), "0");
	}
}

/* Without MTE (a Cortex-A57-like host) the MTE VM is refused and so the
 * PFNMAP slots of "VM m" are fine (K6 does not apply). */
static void test_K6_script_without_mte(void **state)
{
	struct answers a;

	(void)state;
	run("no-fwb", S2MT_ERA_6_17, &a);
	assert_string_equal(answer(&a, "cap-sys-mte"), "0");
	assert_string_equal(answer(&a, "vm-mte"), "-EINVAL");
	assert_string_equal(answer(&a, "slot-mte-mmio"), "0");
	assert_string_equal(answer(&a, "slot-mte-bar"), "0");
}

/*
 * The seed scenario (issue 11) on each host class the conformance runs
 * boot: the test module's cacheable PFNMAP outside the linear map, as a
 * memslot directly (K2 at registration), under an existing slot
 * (MAP_FIXED: the fault decides) and opened O_SYNC (the control).
 */
static void test_K2_seed_scenario_per_host_class(void **state)
{
	static const struct {
		const char *preset;
		unsigned era;
		const char *cap243, *slot, *read, *exec, *late;
		const char *fwb, *dic, *leaf;
	} want[] = {
		/* 6.8 / 6.9 rules: accepted, mapped Device under a
		 * Normal-WB host alias (Z1), never X. */
		{ "qemu-max", S2MT_ERA_6_8, "0", "0", "ok", "iabt", "ok", "1",
		  "0", "4K Device-nGnRE rw xn" },
		{ "qemu10-max", S2MT_ERA_6_9, "0", "0", "ok", "iabt", "ok", "1",
		  "1", "4K Device-nGnRE rw xn" },
		/* 6.17 with FWB and DIC: Normal-WB, executable. */
		{ "qemu10-max", S2MT_ERA_6_17, "1", "0", "ok", "ok", "ok", "1",
		  "1", "4K Normal-WB rw x" },
		{ "neoverse-v1", S2MT_ERA_6_17, "1", "0", "ok", "ok", "ok", "1",
		  "1", "4K Normal-WB rw x" },
		/* 6.17 without: refused at registration, -EFAULT at the
		 * fault for the VMA that came later. */
		{ "cortex-a710", S2MT_ERA_6_17, "0", "-EINVAL", "mmio", "iabt",
		  "efault", "1", "0", "none" },
		{ "qemu-max", S2MT_ERA_6_17, "0", "-EINVAL", "mmio", "iabt",
		  "efault", "1", "0", "none" },
		{ "no-fwb", S2MT_ERA_6_17, "0", "-EINVAL", "mmio", "iabt",
		  "efault", "0", "0", "none" },
	};
	struct answers a;

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		run(want[i].preset, want[i].era, &a);
		assert_string_equal(answer(&a, "cpu-fwb"), want[i].fwb);
		assert_string_equal(answer(&a, "cpu-dic"), want[i].dic);
		assert_string_equal(answer(&a, "cap-vm-243"), want[i].cap243);
		assert_string_equal(answer(&a, "map-cmem"), "0");
		assert_string_equal(answer(&a, "slot-cmem"), want[i].slot);
		assert_string_equal(answer(&a, "acc-cmem-read"), want[i].read);
		assert_string_equal(answer(&a, "acc-cmem-exec"), want[i].exec);
		/* The leaf each access leaves: what the table compares with
		 * the real descriptor. */
		assert_string_equal(answer(&a, "acc-cmem-read/s2"),
				    want[i].leaf);
		assert_string_equal(answer(&a, "acc-late-read/s2"),
				    want[i].leaf);
		assert_string_equal(answer(&a, "acc-sync-read/s2"),
				    "4K Device-nGnRE rw xn");
		assert_string_equal(answer(&a, "slot-cmem-log"), "-EINVAL");
		assert_string_equal(answer(&a, "map-late-cmem"), "0");
		assert_string_equal(answer(&a, "acc-late-read"), want[i].late);
		assert_string_equal(answer(&a, "acc-late-write"), want[i].late);
		/* The O_SYNC control is an ordinary non-cacheable PFNMAP. */
		assert_string_equal(answer(&a, "slot-cmem-sync"), "0");
		assert_string_equal(answer(&a, "acc-sync-read"), "ok");
		assert_string_equal(answer(&a, "acc-sync-exec"), "iabt");
		/* The architecture's answer; 7.2 on an erratum-834220
		 * Cortex-A57 hangs instead (a listed known difference). */
		assert_string_equal(answer(&a, "acc-mmu-read"), "ok");
	}
}

/* IPA sizes per host class: the PA range, 40 bits on Cortex-A710. */
static void test_A2_script_ipa_per_host_class(void **state)
{
	struct answers a;

	(void)state;
	run("cortex-a710", S2MT_ERA_6_17, &a);
	assert_string_equal(answer(&a, "cap-sys-ipa"), "40");
	assert_string_equal(answer(&a, "vm-ipa40"), "0");
	assert_string_equal(answer(&a, "vm-ipa44"), "-EINVAL");
	run("neoverse-v1", S2MT_ERA_6_17, &a);
	assert_string_equal(answer(&a, "cap-sys-ipa"), "48");
	assert_string_equal(answer(&a, "vm-ipa48"), "0");
	assert_string_equal(answer(&a, "cap-sys-mte"), "0");
	run("qemu10-max", S2MT_ERA_6_17, &a);
	assert_string_equal(answer(&a, "cap-sys-ipa"), "52");
	assert_string_equal(answer(&a, "cpu-mte"), "1");
	assert_string_equal(answer(&a, "slot-mte-cmem"), "-EINVAL");
}

static void expect_script_error(const char *text, const char *want)
{
	struct model_backend *m = calloc(1, sizeof(*m));
	struct answers a = { 0 };
	char err[256] = "";

	assert_int_equal(model_backend_init(m, "qemu-max", S2MT_ERA_6_17, NULL),
			 0);
	assert_int_equal(s2mt_vmm_run_script(text, &s2mt_vmm_model_ops, m,
					     collect, &a, err, sizeof(err)),
			 -1);
	if (!strstr(err, want))
		fail_msg("error '%s' lacks '%s'", err, want);
	model_backend_fini(m);
	free(m);
}

static void test_script_errors_name_the_line(void **state)
{
	(void)state;
	expect_script_error("a vm x\nb frob\n", "line 2: unknown operation");
	expect_script_error("a vm x\na vm y\n", "line 2: duplicate");
	expect_script_error("a cap nosuchvm 243\n", "line 1: no VM");
	expect_script_error("a vm x\nb slot x 1 bogus 0 4K m\n",
			    "line 2: slot: bad");
	expect_script_error("a mmap m floppy 4K\n", "unknown kind");
	expect_script_error("a vm x\nb access x jump 0x1000\n",
			    "read, write, exec or mmu-read");
	expect_script_error("lonely\n", "expected 'ID OP");
	expect_script_error("a mmap m cmem 64K at=nowhere\n",
			    "line 1: mmap: at=: no mapping");
	expect_script_error("a cpu sve\n", "usage: ID cpu");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_C1_M3_K_script_answers_per_era),
		cmocka_unit_test(test_K6_script_without_mte),
		cmocka_unit_test(test_K2_seed_scenario_per_host_class),
		cmocka_unit_test(test_A2_script_ipa_per_host_class),
		cmocka_unit_test(test_script_errors_name_the_line),
	};

	return cmocka_run_group_tests_name("conformance", tests, NULL, NULL);
}
