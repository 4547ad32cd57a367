/* SPDX-License-Identifier: MIT */
/* Runs a loaded scenario through the model and keeps what happened. */
#ifndef S2MT_TOOL_RUNNER_H
#define S2MT_TOOL_RUNNER_H

#include "scenario.h"

struct run;

#define RUN_MAX_HAZARDS 256
#define RUN_MAX_LAYOUT 512

struct step_result {
	int err; /* what the call returned (0 or -errno) */
	const char *rule;
	char what[192]; /* "memslot 1 -> gpa 0x400000000 (usemem, 96G)" */
	char reason[S2MT_WHY_LEN];
	char note[320]; /* what the step did not check (migrate) */
	long value; /* capability */
	/* access steps */
	bool ran_fault;
	struct s2mt_touch touch; /* what the vCPU's touch came to */
	struct s2mt_fault first; /* the fault that decided: the first one,
				    or the one the touch stopped at */
	uint64_t pages_touched, faults, faults_mapped;
	bool stopped; /* the touch stopped at a failing page */
	bool has_eff;
	struct s2mt_effective eff; /* the guest's effective type there */
	/* x86 hosts instead: the EPT/NPT entry and what the guest gets */
	bool has_x86;
	struct s2mt_x86_leaf x86_leaf;
	unsigned x86_guest_pat, x86_eff; /* enum s2mt_x86_mt */
	/* memslot steps: the range had a VMA the host maps cacheable, and
	 * a cacheable VM_PFNMAP one */
	bool slot_cacheable, slot_cacheable_pfnmap;
	/* migrate steps */
	size_t nr_z8;
	size_t migrate_devices; /* passed-through devices: not checked */
	/* expectation */
	bool expect_checked, expect_ok;
	char expect_msg[256];
	/* verdict: an errno reached the VMM and the step did not expect it
	 * (the VMM would stop here); or what the guest saw instead */
	bool fails;
	bool guest_visible; /* an MMIO exit or an injected abort */
};

/* How bad a hazard is (docs/hazards.md has the reasons). */
enum hazard_severity {
	HZ_WARNING, /* a risk upstream accepted on purpose, or one the
		       guest decides: --strict fails on it */
	HZ_ERROR, /* correctness or security: fails the run */
};
unsigned hazard_severity(const struct s2mt_hazard *h);
/* One sentence: why this hazard has this severity. */
const char *hazard_severity_reason(unsigned id);

struct run {
	const struct scenario *sc;
	unsigned era;
	struct s2mt_host host;
	struct s2mt_mm mm;
	struct s2mt_kvm kvm;
	struct s2mt_vm *vm;
	int dev_index[SC_MAX_DEVICES]; /* scenario device -> host device */
	uint64_t mmap_hva[SC_MAX_MMAPS];
	bool mmap_live[SC_MAX_MMAPS];
	struct step_result steps[SC_MAX_STEPS];
	struct s2mt_hazard hazards[RUN_MAX_HAZARDS];
	size_t nr_hazards; /* found; entries beyond RUN_MAX_HAZARDS lost */
	struct s2mt_query_entry layout[RUN_MAX_LAYOUT];
	size_t nr_layout;
	unsigned expectations, expectations_failed;
	char setup_error[600]; /* non-empty: the host could not be built */
	/* The host ran out of memory (the story stopped there). */
	bool oom;
	char oom_what[320];
	/* Progress of the guest's touches, for a long run. */
	uint64_t pages_total, pages_done;
	size_t steps_done;
	void (*progress)(struct run *r, size_t step); /* set before run */
	void *progress_arg;
	bool freed; /* run_free() done: the VM and VMAs are gone */
	bool strict; /* warnings fail the run too */
	/* Set before run_scenario(): tell the story under this kernel
	 * rather than the scenario's (s2mt compare). */
	bool use_kernel;
	struct s2mt_kernel kernel;
	/* Set before run_scenario(): the uAPI design (s2mt designs); else
	 * the scenario's. The host's era may rise to the design's base. */
	bool use_design;
	unsigned design;
	/* The verdict */
	size_t first_failing_step; /* index + 1, 0: none */
	unsigned failing_steps;
	unsigned hazard_errors, hazard_warnings; /* unexpected ones */
	/* The VM's counters at the end, kept past run_free(). */
	bool had_vm;
	struct s2mt_vm_stats stats;
	uint64_t table_bytes, table_bytes_peak; /* stage-2 tables */
	uint64_t pages_touched, pages_hit; /* by the guest's accesses */
};

/* 0, or -1 with r->setup_error set or r->oom. era: the scenario's or an
 * override. r->progress and r->progress_arg are kept from the caller. */
int run_scenario(const struct scenario *sc, unsigned era, struct run *r);
/* Frees the VM and the address space; the steps, layout and hazards
 * stay readable. Idempotent. */
void run_free(struct run *r);
/* 0 all good; 1 a failing step, an unexpected error-grade hazard (a
 * warning too with r->strict) or a failed expectation (cli.h). */
int run_exit_status(const struct run *r);

/* x86view.c: an x86 host's leaves and types (docs/x86.md). */
bool run_is_x86(const struct run *r);
void run_x86_leaf(const struct run *r, uint64_t pa, struct s2mt_x86_leaf *out);
unsigned run_x86_guest_pat(const struct s2mt_s1attr *s1);
void run_x86_leaf_text(const struct s2mt_x86_leaf *l, char *buf, size_t len);
/* The leaf's stage-2 name ("Force-WB") or x86 entry ("EPT UC"); what the
 * guest sees at an access step ("Normal-WB", or "WC" on x86). */
void run_leaf_name(const struct run *r, const struct s2mt_leaf *leaf, char *buf,
		   size_t len);
void run_eff_name(const struct run *r, const struct step_result *s, char *buf,
		  size_t len);

/* The effective type of a guest access on a leaf (A3/A4). */
void run_access_effective(const struct run *r, const struct sc_access *a,
			  const struct s2mt_leaf *leaf,
			  struct s2mt_effective *eff);

#endif
