// SPDX-License-Identifier: MIT
/*
 * s2mt designs --matrix (tools/s2mt/matrix.c, docs/matrix.md): the counts
 * of the design matrix, held exactly, each one explained from the rules;
 * and every counterexample written as a file, loaded back with
 * scenario_load_file() and run with run_scenario(), shows its property
 * again, checked here on the run's own steps and hazards (not with the
 * matrix's code), and `s2mt run` ($S2MT_BIN) exits on it as the run says.
 * A change of any design's rules moves these counts: with D2 made to
 * check like D3 in src/core/policy.c, test_counts fails.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../tools/s2mt/cli.h"
#include "../tools/s2mt/matrix.h"
#include "../tools/s2mt/runner.h"
#include "../tools/s2mt/scenario.h"

/* main.c, which defines it for the command, is not linked into tests. */
static struct matrix *g_m;

static int setup(void **state)
{
	(void)state;
	g_m = matrix_run();
	return g_m ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	matrix_free(g_m);
	return 0;
}

enum { C69, CNC, CMERGED, CD1, CD2, CD3, CD4, CD5 };

/*
 * The space per design column: arm64 hosts grace-hopper and fwb-no-dic
 * (8 memories x 3 prots x 2 timings x 3 migrations = 144 each) and no-fwb
 * (no weaker host to migrate to: 96); x86-intel and x86-amd (6 memories,
 * no nvgrace-gpu, no migrate step: 36 each). 456 configurations; twice
 * that where the design defines bit 3 (D1-D3). n/a: the nvgrace-gpu
 * memories on the two x86 hosts (2 x 3 x 2 x 2 = 24, or 48).
 */
static const unsigned expect_ran[MX_NR_COLUMNS] = { 456, 456, 456, 912,
						    912, 912, 456, 456 };
static const unsigned expect_na[MX_NR_COLUMNS] = { 24, 24, 24, 48,
						   48, 48, 24, 24 };

/*
 * The counts, in enum mx_prop order: P1 P2 P3 P4 P5 P6 P7 P8 P5b. Two
 * memories are cacheable VM_PFNMAP outside the linear map: nvgrace-gpu
 * usemem and the cacheable-pfnmap device (hidden RAM, "cmem"); most counts
 * are theirs, 18 + 18 + 12 = 48 configurations each on the Arm hosts.
 *
 * P1 (Z1/Z2). 6.9 and nc-blanket: 96 = every usemem and cmem
 * configuration on the Arm hosts: the VMA is cacheable, the PFN outside
 * the linear map, and both map it non-cacheable at stage 2 (Device-nGnRE,
 * or Normal-NC for nc-blanket): Z1 whatever the host. On 6.17 (merged,
 * D1-D5) P1 is 0: on grace-hopper (FWB+DIC) they get Force-WB, which is
 * what the host maps, so no Z1, and FWB+DIC means no clean is needed, so
 * no Z2; without FWB+DIC the slot is refused (M3) or its fault returns
 * -EFAULT (K2), so nothing cacheable is ever mapped there; D4 refuses
 * cmem, which no driver flag vouches for, rather than degrade it.
 *
 * P2. D1 and D3: 18 = usemem and cmem on grace-hopper without bit 3, VMA
 * first (3 prots x 3 migrations each): EINVAL at registration. Bit 3 on
 * x86 is refused because KVM x86 cannot keep it: P7, not P2. D2: 0 (its
 * flag is optional). D4: 18 = cmem on grace-hopper, both timings: D4
 * refuses what no driver vouched for.
 *
 * P3. D1, D3: the 18 arm64 ones of P2 (merged runs them clean; the x86
 * ones declare bit 3, which an existing VMM does not). D4: its 18.
 *
 * P4. D1, D3: the same 18: the VMM that sets bit 3 runs them clean. D4:
 * 0, the VMM can do nothing; the driver would have to set the VMA flag.
 *
 * P5. 30 on every 6.17 design = usemem and cmem on fwb-no-dic (9 each)
 * and no-fwb (6 each) without the flag: refused at registration (M3, or
 * D1/D3's missing flag), accepted with no VMA, then -EFAULT at the fault
 * (K2). D2 and D3 add 36: bit 3 over the four non-cacheable PFNMAP
 * memories (BAR, BAR with read side effects, resmem, /dev/mem) on
 * grace-hopper, refused at registration, and -EFAULT at the fault when the
 * VMA comes late (a slot that promises Write-Back never gets a
 * non-cacheable stage 2): 66. D4 adds 9: cmem on grace-hopper, VMA late,
 * refused at the fault: 39. 6.9/nc-blanket refuse nothing at registration.
 *
 * P5b. D1 and D3: 18 = usemem and cmem on grace-hopper without bit 3, VMA
 * late: accepted, mapped Force-WB, clean; the VMA-first twin was refused.
 * D1 and D3 check their flag at registration only.
 *
 * P6. 6.9/nc-blanket: every mapped Arm configuration (384: nothing is
 * refused; capability 243 is 0 there). merged: 384 less the RAM on
 * grace-hopper (36, capability 243 = 1 says FWB) less the 60 usemem and
 * cmem configurations never mapped without FWB+DIC = 288. D4: 270, cmem
 * is never mapped. D5: 0 (the query). D2: 288, the merged count: its
 * flag, where accepted, always meant Force-WB. D1: 378, its flag says
 * nothing (bit 3 over a BAR maps Normal-NC). D3: 174: an accepted PFNMAP
 * slot tells its type when the VMA was there at registration, not when it
 * came later.
 *
 * P7. D1, D2, D3: 24 x86 configurations declare bit 3 over memory the
 * host maps cacheable, and the leaf KVM x86 builds for the same memory
 * without the flag (the twin) is not Write-Back for every guest PAT type:
 * cmem on x86-intel (MMIO to KVM: EPT UC, 3 prots x 2 timings) and on
 * x86-amd, and anonymous and hugetlb RAM on x86-amd (NPT: the guest PAT
 * always combines), 6 each. Intel RAM has IPAT: Write-Back whatever the
 * guest does (12 left out). The other designs have no flag: 0.
 *
 * P8. 6.9/nc-blanket: 24 = usemem and cmem migrating from grace-hopper
 * and from fwb-no-dic to no-fwb (3 prots x 2 timings each): Z8, and
 * capability 243 reads 0 on the source as on the destination. On 6.17 the
 * source reports 1 where such a slot maps (or the slot is refused), so the
 * VMM can compare.
 */
static const int expect_count[MX_NR_COLUMNS][MX_NR_PROPS] = {
	[C69] = { 96, 0, 0, 0, 0, 384, 0, 24, 0 },
	[CNC] = { 96, 0, 0, 0, 0, 384, 0, 24, 0 },
	[CMERGED] = { 0, 0, 0, 0, 30, 288, 0, 0, 0 },
	[CD1] = { 0, 18, 18, 18, 30, 378, 24, 0, 18 },
	[CD2] = { 0, 0, 0, 0, 66, 288, 24, 0, 0 },
	[CD3] = { 0, 18, 18, 18, 66, 174, 24, 0, 18 },
	[CD4] = { 0, 18, 18, 0, 39, 270, 0, 0, 0 },
	[CD5] = { 0, 0, 0, 0, 30, 0, 0, 0, 0 },
};

static void test_runs_everything(void **state)
{
	unsigned total = 0;

	(void)state;
	assert_string_equal(matrix_error(g_m), "");
	for (unsigned k = 0; k < MX_NR_COLUMNS; k++) {
		if (matrix_ran(g_m, k) != expect_ran[k] ||
		    matrix_not_applicable(g_m, k) != expect_na[k] ||
		    matrix_pending(g_m, k))
			fail_msg("%s: ran %u n/a %u pending %u, expected %u %u "
				 "0",
				 matrix_column_name(k), matrix_ran(g_m, k),
				 matrix_not_applicable(g_m, k),
				 matrix_pending(g_m, k), expect_ran[k],
				 expect_na[k]);
		total += matrix_ran(g_m, k);
	}
	assert_int_equal(total, 5016);
	assert_int_equal(matrix_runs(g_m), 5016);
}

static void test_counts(void **state)
{
	int bad = 0;

	(void)state;
	for (unsigned k = 0; k < MX_NR_COLUMNS; k++)
		for (unsigned p = 0; p < MX_NR_PROPS; p++)
			if (matrix_count(g_m, k, p) != expect_count[k][p]) {
				print_error("%s %s: %d, expected %d\n",
					    matrix_column_name(k),
					    matrix_prop_id(p),
					    matrix_count(g_m, k, p),
					    expect_count[k][p]);
				bad++;
			}
	assert_int_equal(bad, 0);
	for (unsigned p = 0; p < MX_NR_PROPS; p++)
		assert_null(matrix_pending_reason(g_m, p));
}

/* A counterexample exactly where a count is nonzero; the first in
 * generation order (grace-hopper, anonymous RAM, prot r, ... first). */
static void test_examples_follow_counts(void **state)
{
	struct mx_example ex;

	(void)state;
	for (unsigned k = 0; k < MX_NR_COLUMNS; k++)
		for (unsigned p = 0; p < MX_NR_PROPS; p++)
			assert_int_equal(matrix_example(g_m, k, p, &ex),
					 matrix_count(g_m, k, p) > 0);
	assert_true(matrix_example(g_m, CD1, MX_P3, &ex));
	assert_string_equal(ex.file, "D1-P3.yaml");
	assert_string_equal(ex.twin, "D1-P3.twin.yaml");
	assert_non_null(strstr(ex.line,
			       "grace-hopper, nvgrace-gpu usemem, "
			       "prot r, no flag, VMA first, no "
			       "migration: memslot 1 EINVAL (D1)"));
	assert_true(matrix_example(g_m, C69, MX_P1, &ex));
	assert_string_equal(ex.twin, "");
	assert_non_null(strstr(ex.line, "hazard Z1 (Device-nGnRE"));
	assert_true(matrix_example(g_m, CMERGED, MX_P5, &ex));
	assert_non_null(strstr(ex.line,
			       "fwb-no-dic, nvgrace-gpu usemem, prot "
			       "r, no flag, VMA late"));
}

/* ------------------------------------------------------------------ */
/* Reproducing the counterexamples from their files                   */
/* ------------------------------------------------------------------ */

struct loaded {
	struct scenario sc;
	struct run r;
};

static struct loaded *load_and_run(const char *dir, const char *file)
{
	struct loaded *l = calloc(1, sizeof(*l));
	char path[1024], err[700];

	assert_non_null(l);
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (scenario_load_file(path, &l->sc, err, sizeof(err)))
		fail_msg("%s does not load: %s", path, err);
	if (run_scenario(&l->sc, l->sc.era, &l->r))
		fail_msg("%s does not run: %s", path, l->r.setup_error);
	return l;
}

static void unload(struct loaded *l)
{
	if (!l)
		return;
	run_free(&l->r);
	free(l);
}

static const struct step_result *step_of(const struct loaded *l, unsigned kind,
					 size_t *index)
{
	for (size_t i = 0; i < l->sc.nr_steps; i++)
		if (l->sc.steps[i].kind == kind) {
			if (index)
				*index = i;
			return &l->r.steps[i];
		}
	return NULL;
}

static int slot_err(const struct loaded *l)
{
	const struct step_result *s = step_of(l, SC_STEP_MEMSLOT, NULL);

	assert_non_null(s);
	return s->err;
}

static bool efault(const struct loaded *l)
{
	for (size_t i = 0; i < l->sc.nr_steps; i++)
		if (l->sc.steps[i].kind == SC_STEP_ACCESS &&
		    l->r.steps[i].err == -S2MT_EFAULT)
			return true;
	return false;
}

static bool mapped(const struct loaded *l)
{
	for (size_t i = 0; i < l->sc.nr_steps; i++)
		if (l->sc.steps[i].kind == SC_STEP_ACCESS &&
		    l->r.steps[i].first.has_leaf &&
		    l->r.steps[i].first.outcome == S2MT_FAULT_MAPPED)
			return true;
	return false;
}

static bool has_hazard(const struct loaded *l, unsigned id)
{
	for (size_t i = 0; i < l->r.nr_hazards && i < RUN_MAX_HAZARDS; i++)
		if (l->r.hazards[i].id == id)
			return true;
	return false;
}

static bool refused(const struct loaded *l)
{
	return slot_err(l) || efault(l);
}

static bool z1z2(const struct loaded *l)
{
	return has_hazard(l, S2MT_Z1) || has_hazard(l, S2MT_Z2);
}

static bool clean(const struct loaded *l)
{
	return !refused(l) && !z1z2(l);
}

static bool flag_set(const struct loaded *l)
{
	return l->sc.slots[0].flags & S2MT_MEM_CACHEABLE_PFNMAP;
}

/* The VMA came after the memslot (Catalin's timing). */
static bool vma_late(const struct loaded *l)
{
	size_t mmap_at = 0, slot_at = 0;

	assert_non_null(step_of(l, SC_STEP_MMAP, &mmap_at));
	assert_non_null(step_of(l, SC_STEP_MEMSLOT, &slot_at));
	return mmap_at > slot_at;
}

static long cap243(const struct loaded *l)
{
	const struct step_result *s = step_of(l, SC_STEP_CAPABILITY, NULL);

	assert_non_null(s);
	return s->value;
}

/* The memory is cacheable VM_PFNMAP outside the linear map. */
static bool is_cacheable_pfnmap(const struct loaded *l)
{
	return l->sc.mmaps[0].kind == SC_MMAP_NVGRACE_USEMEM ||
		(l->sc.mmaps[0].kind == SC_MMAP_CMEM && !l->sc.mmaps[0].sync);
}

static bool is_ram(const struct loaded *l)
{
	unsigned k = l->sc.mmaps[0].kind;

	return k == SC_MMAP_ANONYMOUS || k == SC_MMAP_HUGETLB_2M;
}

/* The same configuration but for what the property varies. */
static void assert_twins(const struct loaded *a, const struct loaded *b)
{
	assert_string_equal(a->sc.preset, b->sc.preset);
	assert_int_equal(a->sc.mmaps[0].kind, b->sc.mmaps[0].kind);
	assert_int_equal(a->sc.mmaps[0].prot, b->sc.mmaps[0].prot);
	assert_int_equal(a->sc.nr_steps, b->sc.nr_steps);
}

/* `s2mt run FILE` exits as the in-process run says it should. */
static void assert_cli_agrees(const char *dir, const char *file,
			      const struct loaded *l)
{
	const char *bin = getenv("S2MT_BIN");
	char cmd[2048];
	int st;

	if (!bin)
		return;
	snprintf(cmd, sizeof(cmd), "%s run %s/%s >/dev/null 2>&1", bin, dir,
		 file);
	st = system(cmd);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) != run_exit_status(&l->r))
		fail_msg("s2mt run %s/%s exits %d, the run says %d", dir, file,
			 WEXITSTATUS(st), run_exit_status(&l->r));
}

static void check_example(const char *dir, unsigned col, unsigned p,
			  const struct mx_example *ex)
{
	struct loaded *l = load_and_run(dir, ex->file), *t = NULL;
	const struct step_result *mig;

	assert_cli_agrees(dir, ex->file, l);
	if (ex->twin[0]) {
		t = load_and_run(dir, ex->twin);
		assert_twins(l, t);
		assert_cli_agrees(dir, ex->twin, t);
	}
	switch (p) {
	case MX_P1:
		assert_true(z1z2(l));
		break;
	case MX_P2:
		assert_true(refused(l));
		/* The hardware can run it: cacheable device memory only
		 * with FWB+DIC (or on x86); bit 3 only where true. */
		assert_true(!is_cacheable_pfnmap(l) ||
			    (l->r.host.caps.fwb && l->r.host.caps.dic) ||
			    l->r.host.arch != S2MT_ARCH_ARM64);
		assert_true(!flag_set(l) || is_cacheable_pfnmap(l));
		break;
	case MX_P3:
		assert_false(flag_set(l));
		assert_true(refused(l));
		assert_int_equal(t->sc.design, S2MT_DESIGN_MERGED);
		assert_int_equal(t->r.era, S2MT_ERA_6_17);
		assert_true(clean(t));
		break;
	case MX_P4:
		assert_false(flag_set(l));
		assert_true(refused(l) || z1z2(l));
		assert_true(flag_set(t));
		assert_true(is_cacheable_pfnmap(t));
		assert_true(clean(t));
		break;
	case MX_P5:
	case MX_P5B:
		assert_true(vma_late(l));
		assert_false(vma_late(t));
		assert_int_equal(flag_set(l), flag_set(t));
		assert_int_not_equal(slot_err(t), 0);
		assert_int_equal(slot_err(l), 0);
		if (p == MX_P5)
			assert_true(efault(l) || z1z2(l));
		else
			assert_true(clean(l));
		break;
	case MX_P6:
		assert_int_equal(l->r.host.arch, S2MT_ARCH_ARM64);
		assert_true(mapped(l));
		assert_int_not_equal(l->sc.design, S2MT_DESIGN_D5);
		assert_true(!is_ram(l) || cap243(l) != 1);
		break;
	case MX_P7:
		/* x86 refuses the flag; the same memory without it gets a
		 * leaf that some guest PAT type makes other than WB. */
		assert_int_not_equal(l->r.host.arch, S2MT_ARCH_ARM64);
		assert_true(flag_set(l));
		assert_true(refused(l));
		assert_false(flag_set(t));
		assert_true(mapped(t));
		for (size_t i = 0; i < t->sc.nr_steps; i++)
			if (t->r.steps[i].has_x86)
				assert_false(s2mt_x86_leaf_guarantees_wb(
					&t->r.steps[i].x86_leaf));
		break;
	case MX_P8:
		mig = step_of(l, SC_STEP_MIGRATE, NULL);
		assert_non_null(mig);
		assert_string_equal(mig->rule, "Z8");
		assert_true(l->r.host.caps.fwb);
		assert_false(l->sc.steps[l->sc.nr_steps - 1].target.caps.fwb);
		assert_true(mapped(l));
		assert_int_equal(cap243(l), 0);
		break;
	default:
		fail_msg("%s %s: no counterexample expected",
			 matrix_column_name(col), matrix_prop_id(p));
	}
	unload(t);
	unload(l);
}

static void test_counterexamples_reproduce(void **state)
{
	char dir[] = "/tmp/s2mt-matrix-XXXXXX", cmd[256];
	unsigned checked = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(matrix_write(g_m, dir), 0);
	for (unsigned k = 0; k < MX_NR_COLUMNS; k++)
		for (unsigned p = 0; p < MX_NR_PROPS; p++) {
			struct mx_example ex;

			if (!matrix_example(g_m, k, p, &ex))
				continue;
			check_example(dir, k, p, &ex);
			checked++;
		}
	/* One per nonzero cell of expect_count. */
	assert_int_equal(checked, 30);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* ------------------------------------------------------------------ */
/* The command                                                        */
/* ------------------------------------------------------------------ */

/* Runs cmd_designs_matrix() with stdout into a file; its exit status. */
static int run_cmd(int argc, char **argv, char *out, size_t len)
{
	char file[] = "/tmp/s2mt-matrix-out-XXXXXX";
	int fd = mkstemp(file), saved, status;
	ssize_t n;

	assert_true(fd >= 0);
	fflush(stdout);
	saved = dup(1);
	dup2(fd, 1);
	status = cmd_designs_matrix(argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, out, len - 1);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(file);
	return status;
}

static void test_command_json(void **state)
{
	static char out[1 << 18];
	char *argv[] = { "designs", "--matrix", "--json", NULL };
	json_error_t jerr;
	json_t *root, *designs;

	(void)state;
	assert_int_equal(run_cmd(3, argv, out, sizeof(out)), 0);
	root = json_loads(out, 0, &jerr);
	assert_non_null(root);
	assert_int_equal(
		json_integer_value(json_object_get(root, "configurations")),
		5016);
	designs = json_object_get(root, "designs");
	assert_int_equal(json_array_size(designs), MX_NR_COLUMNS);
	for (unsigned k = 0; k < MX_NR_COLUMNS; k++) {
		json_t *d = json_array_get(designs, k);
		json_t *counts = json_object_get(d, "counts");
		json_t *ces = json_object_get(d, "counterexamples");

		assert_string_equal(
			json_string_value(json_object_get(d, "design")),
			matrix_column_name(k));
		for (unsigned p = 0; p < MX_NR_PROPS; p++) {
			json_t *c = json_object_get(counts, matrix_prop_id(p));

			assert_non_null(c);
			if (expect_count[k][p] < 0)
				assert_true(json_is_null(c));
			else
				assert_int_equal(json_integer_value(c),
						 expect_count[k][p]);
			assert_int_equal(
				json_object_get(ces, matrix_prop_id(p)) != NULL,
				expect_count[k][p] > 0);
		}
	}
	json_decref(root);
}

static void test_command_text_and_usage(void **state)
{
	static char out[1 << 18];
	char *argv[] = { "designs", "--matrix", NULL };
	char *bad_opt[] = { "designs", "--matrix", "--frob", NULL };
	char *file[] = { "designs", "--matrix", "x.yaml", NULL };

	(void)state;
	assert_int_equal(run_cmd(2, argv, out, sizeof(out)), 0);
	assert_non_null(strstr(out,
			       "D1             912   48     0    18    "
			       "18    18    30    18   378    24     0"));
	assert_non_null(strstr(out,
			       "  s2mt run DIR/D1-P3.yaml   (twin: s2mt "
			       "run DIR/D1-P3.twin.yaml)"));
	assert_int_equal(run_cmd(3, bad_opt, out, sizeof(out)),
			 S2MT_EXIT_USAGE);
	assert_int_equal(run_cmd(3, file, out, sizeof(out)), S2MT_EXIT_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runs_everything),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_examples_follow_counts),
		cmocka_unit_test(test_counterexamples_reproduce),
		cmocka_unit_test(test_command_json),
		cmocka_unit_test(test_command_text_and_usage),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
