// SPDX-License-Identifier: MIT
/*
 * The conformance script and the model backend without QEMU: the script
 * interpreter refuses malformed scripts with their line, and the model's
 * answers to tools/conformance/kvm.ops agree with SPEC for each era and
 * host (C1, M1-M3, K3, K6, K7, K8).
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

struct answers {
	char id[128][40];
	char res[128][64];
	size_t n;
};

static void collect(void *arg, const char *id, const char *res)
{
	struct answers *a = arg;

	if (a->n < 128) {
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
			    "read, write or exec");
	expect_script_error("lonely\n", "expected 'ID OP");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_C1_M3_K_script_answers_per_era),
		cmocka_unit_test(test_K6_script_without_mte),
		cmocka_unit_test(test_script_errors_name_the_line),
	};

	return cmocka_run_group_tests_name("conformance", tests, NULL, NULL);
}
