/* SPDX-License-Identifier: MIT */
/*
 * The VMM-facing uAPI, with two backends: the model (src/model/) and the
 * real /dev/kvm (tools/conformance/backend_kvm.c, built static for aarch64
 * and run as /init of a real Debian kernel under QEMU). VMM-style code -
 * here the conformance scripts - is written once against this interface
 * and runs on either; the runner compares the answers.
 *
 * Hosted C. The real backend uses model.h for the uAPI's constants and
 * struct layouts only and links none of the model. Calls return 0 (or a
 * value) or a negative errno.
 */
#ifndef S2MT_VMM_H
#define S2MT_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* For the uAPI constants and struct layouts only (header-only use). */
#include <s2mt/model.h>

/* What a mapping is backed by: symbolic, each backend picks the PAs. */
enum s2mt_vmm_mmap_kind {
	S2MT_VMM_ANON, /* MAP_PRIVATE|MAP_ANONYMOUS */
	S2MT_VMM_HUGETLB_2M, /* MAP_HUGETLB 2 MiB */
	S2MT_VMM_DEVMEM_RAM, /* /dev/mem over system RAM */
	S2MT_VMM_DEVMEM_MMIO, /* /dev/mem over an idle device window */
	S2MT_VMM_VFIO_BAR, /* a vfio-pci BAR of a test device */
	/* The conformance test module's device (tools/conformance/cmem/):
	 * RAM hidden from the kernel with mem=, mapped with
	 * remap_pfn_range(): a cacheable VM_PFNMAP outside the linear map. */
	S2MT_VMM_CMEM,
	S2MT_VMM_CMEM_SYNC, /* the same, opened O_SYNC: non-cacheable */
};

struct s2mt_vmm_mmap {
	uint8_t kind; /* enum s2mt_vmm_mmap_kind */
	uint64_t len;
	unsigned prot; /* PROT_READ 1 | PROT_WRITE 2 | PROT_EXEC 4 */
	bool shared; /* MAP_SHARED (else MAP_PRIVATE) */
	unsigned bar; /* VFIO_BAR */
	uint64_t offset; /* into the BAR, window or device */
	bool fixed; /* MAP_FIXED at addr, replacing what is there */
	uint64_t addr;
};

/* How a guest access ended, as a VMM sees it. */
enum s2mt_vmm_outcome {
	S2MT_VMM_OK, /* the access completed (an instruction was fetched) */
	S2MT_VMM_MMIO, /* KVM_EXIT_MMIO at the accessed IPA */
	S2MT_VMM_EFAULT, /* KVM_RUN failed with -EFAULT */
	S2MT_VMM_IABT, /* the guest took an (injected) instruction abort */
	S2MT_VMM_DABT, /* the guest took an (injected) data abort */
	/* Anything else; err says what: KVM_RUN's -errno, -EINTR when the
	 * guest ran past the backend's time limit, -EIO for an unexpected
	 * exit, -ELOOP for too many exits, 0 for an exception other than an
	 * abort after a data access. */
	S2MT_VMM_OTHER,
};
const char *s2mt_vmm_outcome_name(unsigned outcome);

struct s2mt_vmm_access {
	uint8_t outcome; /* enum s2mt_vmm_outcome */
	int err; /* KVM_RUN's -errno for EFAULT/OTHER */
	uint64_t esr; /* the guest's ESR_EL1 for IABT/DABT, when known */
	/* The stage-2 leaf mapping the IPA after the access, when the
	 * backend can read it (the real one needs the test module). */
	bool leaf_known;
	bool fwb; /* how to read memattr */
	uint8_t level; /* 1, 2, 3; 0: no leaf */
	uint8_t memattr, s2ap, xn; /* descriptor fields [5:2], [7:6], [54:53] */
	/* K5: the cache maintenance KVM did for the access (every fault it
	 * took, retries included), when the backend can count it. */
	bool cmo_known;
	uint64_t dclean_bytes, iinval_bytes;
};

/* CPU features a host preset claims, as the host kernel sees them. */
enum s2mt_vmm_cpu_feature {
	S2MT_VMM_CPU_FWB, /* FEAT_S2FWB, as the kernel detected it */
	S2MT_VMM_CPU_DIC, /* CTR_EL0.DIC */
	S2MT_VMM_CPU_IDC, /* CTR_EL0.IDC */
	S2MT_VMM_CPU_MTE, /* MTE for user space (HWCAP2_MTE) */
};

#define S2MT_VMM_READ 1u
#define S2MT_VMM_WRITE 2u
#define S2MT_VMM_EXEC 4u
/* A read with the guest's stage-1 MMU turned on just before it, its
 * translation table in a code-slot page not yet mapped at stage 2 (the
 * first fetch after the switch walks it: a fault with S1PTW set). */
#define S2MT_VMM_READ_MMU 16u
/* Where that table is: its offset in the code slot. */
#define S2MT_VMM_CODE_TTB 0x8000ULL

/*
 * A guest access needs guest code: each backend registers, on a VM's first
 * access, a RAM memslot of S2MT_VMM_CODE_SIZE at S2MT_VMM_CODE_IPA with id
 * S2MT_VMM_CODE_SLOT (so both backends see the same slots), and uses the
 * unbacked IPA S2MT_VMM_REPORT_IPA for the guest to report back. Scripts
 * must not use these. The real guest (tools/conformance/guest.S) runs at
 * EL1 with its MMU off and is entered with x0 = the IPA, x1 = the access,
 * x2 = the report IPA; it stores 1 there when done, and its vectors store
 * FAR_EL1 at report+8 and ESR_EL1 with bit 63 set at report.
 */
#define S2MT_VMM_CODE_SLOT 32000u
#define S2MT_VMM_CODE_IPA 0xf0000000ULL
#define S2MT_VMM_CODE_SIZE 0x10000ULL
#define S2MT_VMM_REPORT_IPA 0xf0100000ULL

struct s2mt_vmm_ops {
	const char *name; /* "model", "kvm" */
	/* KVM_CHECK_EXTENSION; vm < 0: on /dev/kvm. */
	long (*check_extension)(void *ctx, int vm, long cap);
	/* KVM_CREATE_VM(type); *vm receives a handle >= 0. */
	int (*create_vm)(void *ctx, unsigned long type, int *vm);
	/* KVM_ENABLE_CAP(KVM_CAP_ARM_MTE). */
	int (*enable_mte)(void *ctx, int vm);
	int (*mmap)(void *ctx, const struct s2mt_vmm_mmap *req, uint64_t *hva);
	int (*munmap)(void *ctx, uint64_t hva, uint64_t len);
	/* KVM_SET_USER_MEMORY_REGION (v1: the first fields of r) or ...2. */
	int (*set_memory_region)(void *ctx, int vm, bool v2,
				 const struct s2mt_userspace_memory_region2 *r);
	/* One guest access (creating the vCPU and the code slot on first
	 * use): returns 0 with *out filled, or a negative errno if the
	 * backend itself failed. */
	int (*guest_access)(void *ctx, int vm, uint64_t ipa, unsigned access,
			    struct s2mt_vmm_access *out);
	/* KVM_GET_DIRTY_LOG: the number of dirty pages, or -errno. */
	long (*get_dirty_log)(void *ctx, int vm, uint32_t slot, uint64_t size);
	/* enum s2mt_vmm_cpu_feature: 1, 0, or -errno if unknown. */
	long (*cpu_feature)(void *ctx, unsigned feature);
};

/*
 * Conformance scripts (tools/conformance, files NAME.ops): one operation a line,
 *   ID OP ARGS...        # comment
 * and each prints one result line "ID RESULT". See
 * tools/conformance/README.md for the operations.
 */
struct s2mt_vmm_script;

/* Runs a script text on a backend, writing one "ID RESULT" line per
 * operation through emit. Returns 0, or -1 with a message on a malformed
 * script (line number included). */
int s2mt_vmm_run_script(const char *text, const struct s2mt_vmm_ops *ops,
			void *ctx,
			void (*emit)(void *arg, const char *id,
				     const char *result),
			void *arg, char *err, size_t errlen);

#endif /* S2MT_VMM_H */
