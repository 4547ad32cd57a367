// SPDX-License-Identifier: MIT
/*
 * "ok" must mean ok: the s2mt command's verdicts and the truth of its
 * reports, scenario by scenario, through the binary ($S2MT_BIN) as a user
 * runs it. Each test is one promise of docs/scenario.md ("Exit status")
 * and docs/json.md; each failed before the verdicts were judged.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct out {
	int status;
	char text[1 << 17];
	char err[4096];
};

static struct out o;
static const char *g_shell_prefix = ""; /* e.g. "ulimit -v N;" */

/* Writes the scenario to a file and runs "$S2MT_BIN CMD [OPTS] FILE". */
static void s2mt(const char *cmd, const char *opts, const char *yaml)
{
	const char *bin = getenv("S2MT_BIN");
	char file[] = "/tmp/s2mt-verdict-XXXXXX", errf[] = "/tmp/s2mt-e-XXXXXX";
	char line[1024];
	int fd = mkstemp(file), efd = mkstemp(errf);
	FILE *p, *e;
	size_t n;

	assert_non_null(bin);
	assert_true(fd >= 0 && efd >= 0);
	assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
	close(fd);
	snprintf(line, sizeof(line), "%s %s %s %s %s 2>%s", g_shell_prefix, bin,
		 cmd, opts, file, errf);
	p = popen(line, "r");
	assert_non_null(p);
	n = fread(o.text, 1, sizeof(o.text) - 1, p);
	o.text[n] = '\0';
	o.status = WEXITSTATUS(pclose(p));
	e = fdopen(efd, "r");
	n = fread(o.err, 1, sizeof(o.err) - 1, e);
	o.err[n] = '\0';
	fclose(e);
	unlink(errf);
	unlink(file);
}

#define HAS(s)                                                                 \
	do {                                                                   \
		if (!strstr(o.text, (s)))                                      \
			fail_msg("output lacks \"%s\":\n%s%s", (s), o.text,    \
				 o.err);                                       \
	} while (0)
#define LACKS(s)                                                               \
	do {                                                                   \
		if (strstr(o.text, (s)))                                       \
			fail_msg("output has \"%s\":\n%s", (s), o.text);       \
	} while (0)

/* A memslot KVM refuses (M3: cacheable PFNMAP without FWB+DIC, 6.17):
 * QEMU would die on it. Before: "Result: ok (exit 0)". */
static const char refused_slot[] =
	"host: {preset: no-fwb}\n"
	"kernel: \"6.17\"\n"
	"devices:\n"
	"  - {name: gpu0, type: nvgrace-gpu, usemem: 2G}\n"
	"vmm:\n"
	"  mmaps:\n"
	"    - {name: gpu, kind: nvgrace-usemem, device: gpu0}\n"
	"  memslots:\n"
	"    - {slot: 1, guest_phys_addr: 0x4000000000, mmap: gpu}\n";

static void test_refused_memslot_fails_the_run(void **state)
{
	(void)state;
	s2mt("run", "", refused_slot);
	assert_int_equal(o.status, 1);
	HAS("Result: FAILED at step 3 (memslot 1 -> gpa 0x4000000000");
	HAS("EINVAL (M3)");
}

static void test_expected_errno_does_not_fail(void **state)
{
	char yaml[2048];

	(void)state;
	snprintf(yaml, sizeof(yaml),
		 "%ssteps:\n  - mmap: gpu\n  - memslot: 1\n"
		 "    expect: {errno: EINVAL, rule: M3}\n",
		 refused_slot);
	s2mt("run", "", yaml);
	assert_int_equal(o.status, 0);
	HAS("Result: ok (exit 0)");
}

/* An mmap the host cannot back (ENOMEM), then the slot over it: KVM
 * accepts the slot (M3 skips holes) and KVM_RUN returns -EFAULT. */
static void test_failed_mmap_slot_then_efault(void **state)
{
	json_t *root, *steps;
	json_error_t jerr;

	(void)state;
	s2mt("run", "--json",
	     "host: {preset: grace-hopper, ram: 4G}\n"
	     "kernel: \"6.17\"\n"
	     "vmm:\n"
	     "  mmaps:\n"
	     "    - {name: big, kind: hugetlb-1g, size: 8G}\n"
	     "  memslots:\n"
	     "    - {slot: 0, guest_phys_addr: 0x40000000, mmap: big}\n"
	     "guest:\n"
	     "  accesses:\n"
	     "    - {name: boot, ipa: 0x40000000}\n");
	assert_int_equal(o.status, 1);
	root = json_loads(o.text, 0, &jerr);
	assert_non_null(root);
	assert_string_equal(json_string_value(json_object_get(root, "result")),
			    "failed");
	assert_int_equal(json_integer_value(json_object_get(root, "exit")), 1);
	assert_int_equal(
		json_integer_value(json_object_get(root, "failing_step")), 1);
	steps = json_object_get(root, "steps");
	/* mmap ENOMEM fails; the slot is accepted; the access -EFAULTs. */
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(steps, 0), "errno_name")),
			    "ENOMEM");
	assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(steps, 2), "errno")),
			 0);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(steps, 3), "outcome")),
			    "efault");
	assert_true(json_is_true(
		json_object_get(json_array_get(steps, 3), "fails")));
	json_decref(root);
}

/* An MMIO exit and an injected abort are what the guest sees. */
static void test_guest_visible_does_not_fail(void **state)
{
	(void)state;
	s2mt("run", "",
	     "host: {preset: grace-hopper}\n"
	     "kernel: \"6.17\"\n"
	     "guest:\n"
	     "  accesses:\n"
	     "    - {name: mmio, ipa: 0x9000000}\n"
	     "    - {name: fetch, ipa: 0x9000000, access: exec}\n");
	assert_int_equal(o.status, 0);
	HAS("Result: ok (exit 0)");
	HAS("guest-visible behaviour, not a VMM failure");
}

/* PCI: a non-prefetchable BAR has read side effects. An NVMe BAR0 that
 * 6.9 maps Normal-NC is Z6 - a warning (accepted upstream); --strict
 * fails on it. Before: "hazards none". */
static const char nvme[] =
	"host: {preset: grace-hopper}\n"
	"kernel: \"6.9\"\n"
	"devices:\n"
	"  - {name: nvme0, type: vfio-pci, bars: [{index: 0, size: 16K}]}\n"
	"vmm:\n"
	"  mmaps:\n"
	"    - {name: regs, kind: vfio-bar, device: nvme0, bar: 0}\n"
	"  memslots:\n"
	"    - {slot: 0, guest_phys_addr: 0x10000000, mmap: regs}\n"
	"guest:\n"
	"  accesses:\n"
	"    - {name: doorbell, ipa: 0x10000000, s1: device-ngnre}\n";

static void test_Z6_is_a_warning_strict_fails(void **state)
{
	(void)state;
	s2mt("run", "", nvme);
	assert_int_equal(o.status, 0);
	HAS("WARN  Z6");
	HAS("accepted upstream in 6.9");
	HAS("warnings above (--strict fails on them)");
	s2mt("run", "--strict", nvme);
	assert_int_equal(o.status, 1);
	HAS("(--strict)");
}

/* Z1 is an error: a 6.9 GPU mismatch that nobody expects exits 1. */
static void test_Z1_is_an_error(void **state)
{
	(void)state;
	s2mt("run", "",
	     "host: {preset: grace-hopper}\n"
	     "kernel: \"6.12\"\n"
	     "devices:\n"
	     "  - {name: gpu0, type: nvgrace-gpu, usemem: 2G}\n"
	     "vmm:\n"
	     "  mmaps:\n"
	     "    - {name: gpu, kind: nvgrace-usemem, device: gpu0}\n"
	     "  memslots:\n"
	     "    - {slot: 1, guest_phys_addr: 0x4000000000, mmap: gpu}\n"
	     "guest:\n"
	     "  accesses:\n"
	     "    - {name: rd, ipa: 0x4000000000}\n");
	assert_int_equal(o.status, 1);
	HAS("ERROR Z1");
	HAS("kernel 6.12: the 6.9 rules");
}

/* compare exits like run for its worst kernel, and its JSON carries a
 * verdict per kernel. Before: compare always exited 0. */
static void test_compare_exit_is_the_worst(void **state)
{
	json_t *root;
	json_error_t jerr;

	(void)state;
	s2mt("compare", "--json", refused_slot);
	assert_int_equal(o.status, 1);
	root = json_loads(o.text, 0, &jerr);
	assert_non_null(root);
	assert_int_equal(json_integer_value(json_object_get(root, "exit")), 1);
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(json_object_get(root, "verdicts"),
					"6.17"),
			"result")),
		"failed");
	/* 6.9 accepted the slot (it maps it Device: Z1, an error). */
	assert_non_null(
		json_object_get(json_object_get(root, "verdicts"), "6.9"));
	json_decref(root);
	s2mt("compare", "--kernels 6.1,6.12.17,7.2", refused_slot);
	HAS("| 6.1");
	HAS("| 6.12.17");
	HAS("| 7.2");
	HAS("Result: findings (exit 1, the worst kernel)");
}

/* migrate says what it checked and what it did not. Before: "ok". */
static void test_migrate_says_what_it_did_not_check(void **state)
{
	(void)state;
	s2mt("run", "",
	     "host: {preset: no-fwb}\n"
	     "kernel: \"6.17\"\n"
	     "devices:\n"
	     "  - {name: nvme0, type: vfio-pci, bars: [{index: 0, size: "
	     "16K}]}\n"
	     "steps:\n"
	     "  - create-vm\n"
	     "  - migrate: grace-hopper\n");
	HAS("memory types ok; devices, CPU not checked");
	HAS("not checked: device migration for nvme0");
	HAS("FWB differs");
}

/* After a failed create-vm, the memslot step still says what it is. */
static void test_step_text_after_failed_create_vm(void **state)
{
	(void)state;
	s2mt("run", "",
	     "host: {preset: no-fwb}\n"
	     "kernel: \"6.17\"\n"
	     "vmm:\n"
	     "  vm: {ipa_bits: 48}\n"
	     "  mmaps:\n"
	     "    - {name: ram, kind: anonymous, size: 2M}\n"
	     "  memslots:\n"
	     "    - {slot: 0, guest_phys_addr: 0x40000000, mmap: ram}\n");
	assert_int_equal(o.status, 1);
	HAS("memslot 0 -> gpa 0x40000000, 2M of ram");
}

/* Counts: pages touched, pages already mapped, faults apart; one TLBI
 * per harvest, by range; the kernel's rules named. */
static void test_counts_split_and_harvest_flush(void **state)
{
	(void)state;
	s2mt("run", "",
	     "host: {preset: no-fwb}\n"
	     "kernel: 6.17.0-1001-nvidia\n"
	     "vmm:\n"
	     "  mmaps:\n"
	     "    - {name: ram, kind: anonymous, size: 64M}\n"
	     "  memslots:\n"
	     "    - {slot: 0, guest_phys_addr: 0x40000000, mmap: ram}\n"
	     "guest:\n"
	     "  accesses:\n"
	     "    - {name: w, ipa: 0x40000000, size: 64M, access: write}\n"
	     "steps:\n"
	     "  - mmap: ram\n"
	     "  - memslot: 0\n"
	     "  - access: w\n"
	     "  - access: w\n"
	     "  - dirty-log: {slot: 0, enable: true}\n"
	     "  - access: w\n"
	     "  - get-dirty-log: 0\n");
	assert_int_equal(o.status, 0);
	HAS("guest accesses: 49152 pages touched, 16384 of them already "
	    "mapped (no fault)");
	HAS("stage-2 faults 32768 (mapped 16384, permission 16384");
	HAS("TLB invalidations 16384 by IPA, 2 by range, 0 by VMID");
	HAS("turn dirty logging on for memslot 0");
	LACKS("on on memslot");
	HAS("kernel 6.17.0-1001-nvidia: the 6.17 rules");
}

/* A story whose tables cannot fit is refused before it runs, with the
 * figure, and exits 3 - never a bare SIGABRT. */
static void test_out_of_memory_refused_up_front(void **state)
{
	char cmd[512];

	(void)state;
	/* AddressSanitizer reserves terabytes of address space for its
	 * shadow and cannot start under ulimit -v: the normal build's run
	 * of this test is the one that counts. */
	snprintf(cmd, sizeof(cmd), "grep -q __asan_init '%s'",
		 getenv("S2MT_BIN"));
	if (system(cmd) == 0)
		skip();
	/* The command alone gets 256 MiB of address space (ulimit -v). */
	g_shell_prefix = "ulimit -v 262144;";
	s2mt("run", "",
	     "host: {preset: grace-hopper, ram: 1T}\n"
	     "kernel: \"6.17\"\n"
	     "vmm:\n"
	     "  mmaps:\n"
	     "    - {name: ram, kind: anonymous, size: 512G}\n"
	     "  memslots:\n"
	     "    - {slot: 0, guest_phys_addr: 0x40000000, mmap: ram}\n"
	     "guest:\n"
	     "  accesses:\n"
	     "    - {name: w, ipa: 0x40000000, size: 512G, access: "
	     "write}\n");
	g_shell_prefix = "";
	assert_int_equal(o.status, 3);
	if (!strstr(o.err, "out of memory") ||
	    !strstr(o.err, "address-space limit"))
		fail_msg("stderr: %s", o.err);
}

/* A run of 4 KiB leaves is cut where the permissions change (K7), and
 * each range names every access that touched it. */
static void test_layout_splits_by_permission(void **state)
{
	(void)state;
	s2mt("run", "",
	     "host: {preset: grace-hopper}\n"
	     "kernel: \"6.17\"\n"
	     "vmm:\n"
	     "  mmaps:\n"
	     "    - {name: ram, kind: anonymous, size: 64K}\n"
	     "  memslots:\n"
	     "    - {slot: 0, guest_phys_addr: 0x40000000, mmap: ram, "
	     "flags: [log-dirty-pages]}\n"
	     "guest:\n"
	     "  accesses:\n"
	     "    - {name: r, ipa: 0x40000000, size: 64K}\n"
	     "    - {name: w, ipa: 0x40004000, size: 8K, access: write}\n");
	assert_int_equal(o.status, 0);
	HAS("4 x 4K leaves, MemAttr Force-WB (0b110), S2AP/XN R-X\n"
	    "      access r (MAIR 0xff): Normal-WB, ISH\n"
	    "        0x40004000-0x40006000");
	HAS("2 x 4K leaves, MemAttr Force-WB (0b110), S2AP/XN RWX\n"
	    "      access r (MAIR 0xff): Normal-WB, ISH\n"
	    "      access w (MAIR 0xff): Normal-WB, ISH\n");
	HAS("10 x 4K leaves, MemAttr Force-WB (0b110), S2AP/XN R-X\n"
	    "      access r");
}

/* An access refused at its first page is not shown as reading the leaf
 * that is there at the end. */
static void test_refused_access_not_paired_with_leaf(void **state)
{
	(void)state;
	s2mt("run", "",
	     "host: {preset: grace-hopper}\n"
	     "kernel: \"6.17\"\n"
	     "devices:\n"
	     "  - {name: nic0, type: vfio-pci, bars: [{index: 0, size: 2M, "
	     "prefetchable: true}]}\n"
	     "vmm:\n"
	     "  mmaps:\n"
	     "    - {name: bar, kind: vfio-bar, device: nic0, bar: 0}\n"
	     "  memslots:\n"
	     "    - {slot: 0, guest_phys_addr: 0x10000000, mmap: bar}\n"
	     "guest:\n"
	     "  accesses:\n"
	     "    - {name: wr, ipa: 0x10000000, access: write}\n"
	     "    - {name: x, ipa: 0x10000000, access: exec}\n");
	HAS("access x: inject-iabt (K3), it did not read this leaf");
	LACKS("access x (MAIR");
}

/* Progress goes to stderr on a terminal only: under script(1) (a pty)
 * it shows steps, pages and faults; with stderr a file it stays silent. */
static void test_progress_only_on_a_terminal(void **state)
{
	static const char yaml[] =
		"host: {preset: grace-hopper}\n"
		"kernel: \"6.17\"\n"
		"vmm:\n"
		"  mmaps:\n"
		"    - {name: ram, kind: anonymous, size: 4G}\n"
		"  memslots:\n"
		"    - {slot: 0, guest_phys_addr: 0x40000000, mmap: ram}\n"
		"guest:\n"
		"  accesses:\n"
		"    - {name: w, ipa: 0x40000000, size: 4G, access: write}\n";
	char file[] = "/tmp/s2mt-progress-XXXXXX", cmd[1024];
	int fd = mkstemp(file);
	FILE *p;
	size_t n;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, yaml, sizeof(yaml) - 1),
			 (ssize_t)sizeof(yaml) - 1);
	close(fd);
	/* stdout to /dev/null, stderr on script's pty, which it copies to
	 * its own stdout. */
	snprintf(cmd, sizeof(cmd),
		 "S2MT_PROGRESS_AFTER=0 script -qec '%s run %s >/dev/null' "
		 "/dev/null",
		 getenv("S2MT_BIN"), file);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(o.text, 1, sizeof(o.text) - 1, p);
	o.text[n] = '\0';
	pclose(p);
	HAS("step 4 of 4");
	HAS("of 1048576 pages touched");
	HAS("faults");
	/* Not a terminal: nothing on stderr. */
	g_shell_prefix = "S2MT_PROGRESS_AFTER=0";
	s2mt("run", "", yaml);
	g_shell_prefix = "";
	assert_string_equal(o.err, "");
	unlink(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused_memslot_fails_the_run),
		cmocka_unit_test(test_expected_errno_does_not_fail),
		cmocka_unit_test(test_failed_mmap_slot_then_efault),
		cmocka_unit_test(test_guest_visible_does_not_fail),
		cmocka_unit_test(test_Z6_is_a_warning_strict_fails),
		cmocka_unit_test(test_Z1_is_an_error),
		cmocka_unit_test(test_compare_exit_is_the_worst),
		cmocka_unit_test(test_migrate_says_what_it_did_not_check),
		cmocka_unit_test(test_step_text_after_failed_create_vm),
		cmocka_unit_test(test_counts_split_and_harvest_flush),
		cmocka_unit_test(test_out_of_memory_refused_up_front),
		cmocka_unit_test(test_layout_splits_by_permission),
		cmocka_unit_test(test_refused_access_not_paired_with_leaf),
		cmocka_unit_test(test_progress_only_on_a_terminal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
