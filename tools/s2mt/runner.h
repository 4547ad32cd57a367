/* SPDX-License-Identifier: MIT */
/* Runs a loaded scenario through the model and keeps what happened. */
#ifndef S2MT_TOOL_RUNNER_H
#define S2MT_TOOL_RUNNER_H

#include "scenario.h"

#define RUN_MAX_HAZARDS 256
#define RUN_MAX_LAYOUT 512

struct step_result {
	int err; /* what the call returned (0 or -errno) */
	const char *rule;
	char what[192]; /* "memslot 1 -> gpa 0x400000000 (usemem, 96G)" */
	char reason[S2MT_WHY_LEN];
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
	/* migrate steps */
	size_t nr_z8;
	/* expectation */
	bool expect_checked, expect_ok;
	char expect_msg[256];
};

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
	unsigned unexpected_hazards;
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
/* 0 all good, 1 hazard or failed expectation (cli.h's statuses). */
int run_exit_status(const struct run *r);

/* The effective type of a guest access on a leaf (A3/A4). */
void run_access_effective(const struct run *r, const struct sc_access *a,
			  const struct s2mt_leaf *leaf,
			  struct s2mt_effective *eff);

#endif
