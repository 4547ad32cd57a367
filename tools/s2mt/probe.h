/* SPDX-License-Identifier: MIT */
/* s2mt probe (probe.c): the facts it reads about the host it runs on. */
#ifndef S2MT_TOOL_PROBE_H
#define S2MT_TOOL_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <s2mt/model.h>

#define PROBE_MAX_PCI 32

struct probe_pci {
	char bdf[260]; /* 0000:00:02.0 */
	char driver[32];
	uint64_t bar_size[6]; /* 0: no memory BAR */
	bool prefetchable[6];
	/* VFIO_DEVICE_GET_REGION_INFO where the group could be opened, else
	 * why not */
	bool regions_known;
	uint64_t region_size[6];
	bool region_mmap[6];
	char regions_why[800];
};

struct probe_huge {
	uint64_t size;
	unsigned long nr, free;
};

struct probe_facts {
	char machine[72], release[72];
	bool arm64;
	bool kernel_ok, kernel_has_243;
	struct s2mt_kernel kernel;
	char kernel_err[160];
	/* /dev/kvm */
	bool kvm, vm;
	int kvm_errno, vm_errno;
	long kvm_api, ipa_size, mte_cap, cap243_sys, cap243_vm;
	/* the CPU */
	bool ctr_known;
	uint64_t ctr;
	char midr[64];
	/* the boot log */
	bool bootlog, log_fwb;
	char bootlog_why[160], mode[32];
	int fwb; /* 1, 0, -1 unknown */
	char fwb_why[400];
	/* devices and memory */
	struct probe_pci pci[PROBE_MAX_PCI];
	size_t nr_pci;
	struct probe_huge huge[4];
	size_t nr_huge;
	char thp[16]; /* the THP mode: always, madvise, never; "" unknown */
	int thp_zero_page; /* use_zero_page: 1, 0; -1 unknown */
	uint64_t ram;
};

/*
 * Reads the facts. root "" is the machine itself; a directory stands in
 * for / (a fake /sys and /proc for tests, with /proc/kmsg.txt for the boot
 * log, /proc/ctr_el0.txt and /proc/kvm.txt for what only the machine can
 * answer). machine and release override uname() when not NULL.
 */
void probe_collect(const char *root, const char *machine, const char *release,
		   struct probe_facts *f);
void probe_pci(const char *root, struct probe_facts *f);
void probe_memory(const char *root, struct probe_facts *f);

#endif
