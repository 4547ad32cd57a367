/* SPDX-License-Identifier: MIT */
/*
 * Scenario files (docs/scenario.md): the loaded, fully validated form.
 * The loader checks everything a run needs (types, ranges, alignment,
 * names, overlaps) before anything runs, so a bad file never half-runs.
 */
#ifndef S2MT_TOOL_SCENARIO_H
#define S2MT_TOOL_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <s2mt/model.h>

#include "size.h"

#define SC_NAME_LEN 48
#define SC_MAX_DEVICES 16
#define SC_MAX_MMAPS 64
#define SC_MAX_SLOTS 64
#define SC_MAX_ACCESSES 256
#define SC_MAX_STEPS 512
#define SC_MAX_HAZARD_EXPECT 8

/* Where something was written: for messages "file:line:column". */
struct sc_mark {
	unsigned line, column; /* 1-based */
};

enum sc_device_type { SC_DEV_VFIO_PCI, SC_DEV_NVGRACE, SC_DEV_CMEM };
/* "vfio-pci", "nvgrace-gpu", "cacheable-pfnmap" */
const char *sc_device_type_name(unsigned type);

struct sc_device {
	char name[SC_NAME_LEN];
	uint8_t type; /* enum sc_device_type */
	struct s2mt_bar_spec bars[S2MT_MAX_BARS]; /* vfio-pci */
	uint64_t usemem, resmem; /* nvgrace-gpu; resmem 0 = none */
	uint64_t size; /* cacheable-pfnmap */
	struct sc_mark mark;
};

enum sc_mmap_kind {
	SC_MMAP_ANONYMOUS,
	SC_MMAP_THP,
	SC_MMAP_HUGETLB_2M,
	SC_MMAP_HUGETLB_1G,
	SC_MMAP_VFIO_BAR,
	SC_MMAP_NVGRACE_USEMEM,
	SC_MMAP_NVGRACE_RESMEM,
	SC_MMAP_DEVMEM,
	SC_MMAP_CMEM, /* a cacheable-pfnmap device */
};

struct sc_mmap {
	char name[SC_NAME_LEN];
	uint8_t kind; /* enum sc_mmap_kind */
	uint64_t size;
	int device; /* index into scenario devices, or -1 */
	unsigned bar; /* vfio-bar, devmem of a BAR */
	uint64_t offset; /* into the BAR/region */
	uint64_t pa; /* devmem: physical address (if no device) */
	bool fixed; /* hva given */
	uint64_t hva;
	uint64_t align_to, align_offset; /* align_to 0: natural */
	unsigned prot; /* S2MT_PROT_READ|WRITE|EXEC */
	bool shared;
	bool sync; /* cacheable-pfnmap opened O_SYNC: non-cacheable */
	struct sc_mark mark;
};

struct sc_vm {
	unsigned ipa_bits; /* 0: the default (40) */
	bool mte;
	struct sc_mark mark; /* the vm map, else vmm, else the top level */
};

struct sc_slot {
	uint32_t slot;
	uint32_t flags; /* KVM_MEM_* (unknown bits allowed: they test M1) */
	uint64_t gpa, size;
	int mmap; /* index, or -1 when userspace_addr is given */
	uint64_t mmap_offset;
	uint64_t userspace_addr;
	struct sc_mark mark;
};

struct sc_access {
	char name[SC_NAME_LEN];
	uint64_t ipa;
	uint64_t size; /* touch every page of [ipa, ipa+size); 4K default */
	unsigned access; /* S2MT_ACCESS_* */
	struct s2mt_s1attr s1; /* the guest's stage-1 attribute */
	struct sc_mark mark;
};

/* What a step may expect; unset fields are not checked. */
struct sc_expect {
	bool has_errno;
	int err; /* 0 or a negative errno */
	bool has_outcome;
	uint8_t outcome; /* enum s2mt_fault_outcome */
	bool has_effective;
	char effective[32]; /* s2mt_memtype_name(), "Normal-WB" */
	bool has_stage2;
	char stage2[32]; /* s2mt_s2_name(), "Force-WB", "Normal-NC" */
	bool has_leaf;
	uint64_t leaf; /* leaf size: 4K, 2M, 1G */
	bool has_value;
	long value; /* capability value */
	bool has_rule;
	char rule[8];
	struct sc_mark mark;
};

enum sc_step_kind {
	SC_STEP_MMAP, /* ref = mmap */
	SC_STEP_MUNMAP, /* ref = mmap; offset/size (size 0 = all) */
	SC_STEP_MPROTECT, /* ref = mmap; offset/size; prot */
	SC_STEP_CREATE_VM,
	SC_STEP_MEMSLOT, /* ref = slot definition index */
	SC_STEP_SLOT_DELETE, /* slot id */
	SC_STEP_SLOT_MOVE, /* slot id, gpa */
	SC_STEP_SLOT_FLAGS, /* slot id, flags */
	SC_STEP_DIRTY_LOG, /* slot id, enable */
	SC_STEP_GET_DIRTY_LOG, /* slot id */
	SC_STEP_ACCESS, /* ref = access */
	SC_STEP_CAPABILITY, /* cap, on_vm */
	SC_STEP_MIGRATE, /* target */
};

struct sc_step {
	uint8_t kind; /* enum sc_step_kind */
	int ref; /* mmap/access index; for memslot, slot-delete, slot-move,
		    slot-flags, dirty-log, get-dirty-log: the slot
		    definition's index */
	uint32_t slot; /* the slot number, for every slot step */
	uint64_t gpa;
	uint32_t flags;
	bool enable;
	uint64_t offset, size;
	unsigned prot;
	long cap;
	bool on_vm;
	struct s2mt_migration_target target;
	/* migrate: the destination's kernel (the scenario's unless given);
	 * target.era is s2mt_kernel_era() of it. */
	struct s2mt_kernel target_kernel;
	bool has_expect;
	struct sc_expect expect;
	struct sc_mark mark;
};

struct sc_hazard_expect {
	uint32_t present; /* S2MT_HAZARD_BIT()s that must be found */
	uint32_t absent; /* ... that must not */
	bool none; /* no hazard at all */
	struct sc_mark mark;
};

struct scenario {
	char file[256];
	char name[96];
	char description[256];
	char preset[32]; /* host preset, or "custom" */
	bool x86_ignore_guest_pat, x86_noncoherent_dma; /* x86 hosts */
	/* H6: host.thp (enum s2mt_thp_mode) and host.thp_zero_page */
	unsigned thp;
	bool thp_zero_page;
	struct s2mt_host_caps caps; /* when custom */
	uint64_t ram; /* bytes */
	struct s2mt_kernel kernel; /* the host's: `uname -r` and backports */
	unsigned era; /* s2mt_kernel_era(&kernel): the rules that apply */
	bool era_given;
	unsigned design; /* enum s2mt_design: "design:", merged by default */
	struct sc_device devices[SC_MAX_DEVICES];
	size_t nr_devices;
	struct sc_mmap mmaps[SC_MAX_MMAPS];
	size_t nr_mmaps;
	struct sc_vm vm;
	struct sc_slot slots[SC_MAX_SLOTS];
	size_t nr_slots;
	struct sc_access accesses[SC_MAX_ACCESSES];
	size_t nr_accesses;
	struct sc_step steps[SC_MAX_STEPS];
	size_t nr_steps;
	bool steps_given; /* false: the default story was generated */
	bool has_hazard_expect;
	struct sc_hazard_expect hazards;
};

/*
 * Loads and validates a scenario. On error returns -1 and writes one
 * message "FILE:LINE:COLUMN: what is wrong" into err (never crashes, never
 * leaves a partial scenario in use). The path "-" reads standard input
 * ("<stdin>" in messages). The memory variant is for the fuzzer.
 */
int scenario_load_file(const char *path, struct scenario *sc, char *err,
		       size_t errlen);
int scenario_load_buffer(const char *name, const char *text, size_t len,
			 struct scenario *sc, char *err, size_t errlen);

/* Adds a scenario device to a host: the index, or a negative errno with
 * host->why set. */
struct s2mt_host;
int sc_host_add_device(struct s2mt_host *host, const struct sc_device *d);

const char *sc_mmap_kind_name(unsigned kind);
/* "1G", "2M", "16K" for exact binary multiples, else bytes: "4097". */

#endif
