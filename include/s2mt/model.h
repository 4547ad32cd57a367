/* SPDX-License-Identifier: MIT */
/*
 * s2mt model: the Linux host (CPU features, physical memory, a VMM's address
 * space with its VMAs, the vfio-pci and nvgrace-gpu drivers) and KVM/arm64's
 * uAPI and stage-2 fault path, per kernel era (SPEC sections 2-5, 9).
 *
 * Hosted C. Calls return 0 or a negative errno (Linux's numbers) and leave a
 * reason naming the rule in the object's `why` (and its id in `rule`). A
 * refused call changes nothing (M4).
 */
#ifndef S2MT_MODEL_H
#define S2MT_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include <s2mt/core.h>

#define S2MT_EPERM 1
#define S2MT_EIO 5
#define S2MT_EBUSY 16
#define S2MT_ENODEV 19
#define S2MT_ENOSPC 28

#define S2MT_WHY_LEN 256

/* ------------------------------------------------------------------ */
/* KVM uAPI constants, with the kernel's names and values              */
/* ------------------------------------------------------------------ */
/* Guarded: a VMM may include <linux/kvm.h> as well; the values agree. */
#ifndef KVM_MEM_LOG_DIRTY_PAGES
#define KVM_MEM_LOG_DIRTY_PAGES (1UL << 0)
#endif
#ifndef KVM_MEM_READONLY
#define KVM_MEM_READONLY (1UL << 1)
#endif
#ifndef KVM_MEM_GUEST_MEMFD
#define KVM_MEM_GUEST_MEMFD (1UL << 2)
#endif
#ifndef KVM_CAP_USER_MEMORY
#define KVM_CAP_USER_MEMORY 3
#endif
#ifndef KVM_CAP_NR_MEMSLOTS
#define KVM_CAP_NR_MEMSLOTS 10
#endif
#ifndef KVM_CAP_READONLY_MEM
#define KVM_CAP_READONLY_MEM 81
#endif
#ifndef KVM_CAP_ARM_VM_IPA_SIZE
#define KVM_CAP_ARM_VM_IPA_SIZE 165
#endif
#ifndef KVM_CAP_ARM_MTE
#define KVM_CAP_ARM_MTE 205
#endif
#ifndef KVM_CAP_USER_MEMORY2
#define KVM_CAP_USER_MEMORY2 231
#endif
#ifndef KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED
#define KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED 243
#endif
#ifndef KVM_VM_TYPE_ARM_IPA_SIZE_MASK
#define KVM_VM_TYPE_ARM_IPA_SIZE_MASK 0xffULL
#define KVM_VM_TYPE_ARM_IPA_SIZE(x) ((x)&KVM_VM_TYPE_ARM_IPA_SIZE_MASK)
#endif

/* KVM_USER_MEM_SLOTS on arm64 (SHRT_MAX, no internal slots). */
#define S2MT_KVM_USER_MEM_SLOTS 32767
/* KVM_MEM_MAX_NR_PAGES on 64-bit. */
#define S2MT_KVM_MEM_MAX_NR_PAGES ((1ULL << 31) - 1)
/* The default IPA size for a VM type of 0. */
#define S2MT_KVM_DEFAULT_IPA_BITS 40
/* The user address space (TASK_SIZE with 48-bit VAs): access_ok(). */
#define S2MT_TASK_SIZE (1ULL << 48)

/* The layouts of the kernel's structs, field for field. */
struct s2mt_userspace_memory_region {
	uint32_t slot;
	uint32_t flags;
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
};

struct s2mt_userspace_memory_region2 {
	uint32_t slot;
	uint32_t flags;
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t guest_memfd_offset;
	uint32_t guest_memfd;
	uint32_t pad1;
	uint64_t pad2[14];
};

/* ------------------------------------------------------------------ */
/* Kernel versions: what `uname -r` prints, and the rules it gets      */
/* ------------------------------------------------------------------ */

/*
 * The changes whose arrival the model knows (docs/kernels.md has each with
 * its primary source). Most arrived in a mainline release
 * (s2mt_kernel_feature_since()); some were also taken into stable branches
 * at a patch level (s2mt_kernel_feature_stable()), and one exists only
 * there. A vendor kernel may carry any of them as a backport. The policy's
 * era (6.8/6.9/6.17 rules) is derived from these; the finer boundaries are
 * asked for one by one (s2mt_kernel_has()). Values are stable: new ones go
 * at the end.
 */
enum s2mt_kfeature {
	/* 6.2: KVM accepts VM_SHARED memory in MTE VMs, and memslot
	 * registration requires VM_MTE_ALLOWED instead (before: only
	 * VM_SHARED was refused there; K6, M3). */
	S2MT_KF_MTE_SHARED,
	S2MT_KF_USER_MEMORY2, /* 6.8: KVM_SET_USER_MEMORY_REGION2, cap 231 */
	/* 6.9: stage-2 Normal-NC for VM_ALLOW_ANY_UNCACHED, and vfio-pci
	 * setting that flag on BAR mmaps (K2, H4) */
	S2MT_KF_NORMAL_NC,
	S2MT_KF_NVGRACE_GPU, /* 6.9: the nvgrace-gpu-vfio-pci driver (H4) */
	/* 6.8: KVM_CAP_ARM_VM_IPA_SIZE up to 52 with FEAT_LPA2 and 4K pages
	 * (before: capped at 48; A2) */
	S2MT_KF_IPA_52_LPA2,
	/* Stable only (6.1.130, 6.6.80, 6.12.17; never mainline):
	 * MAP_ANONYMOUS|MAP_HUGETLB no longer gets VM_MTE_ALLOWED (H2, K6) */
	S2MT_KF_ANON_MTE_FIX,
	S2MT_KF_HUGETLB_MTE, /* 6.13: hugetlb VMAs get VM_MTE_ALLOWED (H2) */
	/* 6.17: cacheable PFNMAP with FWB+DIC, capability 243 (K1, K2, C1) */
	S2MT_KF_CACHEABLE_PFNMAP,
	/* 6.14 (stable 6.12.16, 6.13.4): nvgrace-gpu drives parts without the
	 * uncached resmem carve-out (Grace Blackwell; H4) */
	S2MT_KF_NVGRACE_NO_RESMEM,
	/* 6.7: a private anonymous mmap without a hint is placed on a 2 MiB
	 * boundary when it is 2 MiB or longer (CONFIG_TRANSPARENT_HUGEPAGE,
	 * whatever the THP mode; H6) */
	S2MT_KF_THP_ANON_ALIGN,
	/* 6.12 (stable 6.11.7): only when its length is a multiple of
	 * 2 MiB (H6) */
	S2MT_KF_THP_ALIGN_PMD_LEN,
	/* 6.13: a write to the huge zero page allocates a THP instead of
	 * splitting the PMD into 4 KiB pages (H6) */
	S2MT_KF_THP_ZERO_WP_ALLOC,
	S2MT_KF_COUNT_,
};
#define S2MT_KF_BIT(f) (1u << (f))

/* The oldest kernel the model describes: Debian 12's 6.1, the oldest one
 * the conformance runner holds the model to. */
#define S2MT_KERNEL_MIN_MAJOR 6
#define S2MT_KERNEL_MIN_MINOR 1

struct s2mt_kernel {
	char release[65]; /* as given: "6.17.0-1001-nvidia" */
	unsigned major, minor, patch; /* patch 0 when not given */
	uint32_t backports; /* S2MT_KF_BIT()s carried on top of mainline */
};

/*
 * Parses what `uname -r` prints: "6.12", "6.17.0-1001-nvidia",
 * "7.2.13+deb14-cloud-arm64", "6.8.0-rc3": X.Y or X.Y.Z, then nothing or a
 * suffix that starts with '-' or '+'. The suffix is kept in release but
 * means nothing to the model (an -rc has its release's features; a
 * distribution's ABI number such as Debian 12's "6.1.0-28" is not the
 * stable patch level). Versions older than 6.1 are refused. 0 with no
 * backports, or -EINVAL with one sentence in err (err may be NULL).
 */
int s2mt_kernel_parse(const char *release, struct s2mt_kernel *k, char *err,
		      size_t errlen);
/*
 * Adds a backport by name ("cacheable-pfnmap", ...). 0, or -EINVAL with one
 * sentence in err and k unchanged: an unknown name (the message lists the
 * known ones), a change this kernel already has (mainline or stable), a
 * name given twice, a change that needs another this kernel lacks (add that
 * one first; s2mt_kernel_feature_requires()), or anon-mte-fix on a kernel
 * with hugetlb-mte, which supersedes it.
 */
int s2mt_kernel_add_backport(struct s2mt_kernel *k, const char *name, char *err,
			     size_t errlen);
/* The feature of a name (case-sensitive), or -EINVAL. */
int s2mt_kernel_feature_find(const char *name);
const char *s2mt_kernel_feature_name(unsigned f); /* "cacheable-pfnmap" */
const char *s2mt_kernel_feature_title(unsigned f); /* one line */
/* The mainline release that brought f; 0.0 for a stable-only change (and
 * for an unknown f). */
void s2mt_kernel_feature_since(unsigned f, unsigned *major, unsigned *minor);
/* Whether the major.minor stable branch took f before its mainline
 * release did, and at which patch level (*patch may be NULL). */
bool s2mt_kernel_feature_stable(unsigned f, unsigned major, unsigned minor,
				unsigned *patch);
/* The features f needs (S2MT_KF_BIT()s): a backport of f is refused on a
 * kernel without them. */
uint32_t s2mt_kernel_feature_requires(unsigned f);
/* Mainline since, a stable branch at or after its patch level, or a
 * backport. */
bool s2mt_kernel_has(const struct s2mt_kernel *k, unsigned f);
/* The policy era: 6.17 with cacheable PFNMAP, 6.9 with Normal-NC, else
 * 6.8. */
unsigned s2mt_kernel_era(const struct s2mt_kernel *k);
/* The representative kernel of an era: 6.8.0, 6.9.0, 6.17.0 (release text
 * "6.8", "6.9", "6.17"), no backports; all zero for an unknown era. */
void s2mt_kernel_of_era(unsigned era, struct s2mt_kernel *k);
/* "6.17.0-1001-nvidia (+cacheable-pfnmap)", "6.8 (+normal-nc,
 * +nvgrace-gpu)". The length written (always NUL-terminated). */
size_t s2mt_kernel_describe(const struct s2mt_kernel *k, char *buf, size_t len);

/* ------------------------------------------------------------------ */
/* The host                                                            */
/* ------------------------------------------------------------------ */

enum s2mt_phys_kind {
	S2MT_PHYS_RAM, /* system RAM, in the linear map */
	S2MT_PHYS_MMIO, /* device MMIO (PCIe BAR windows) */
	S2MT_PHYS_DEVMEM, /* coherent device memory outside the linear map */
};

struct s2mt_phys_region {
	uint64_t base, size;
	uint8_t kind; /* enum s2mt_phys_kind */
	bool read_side_effects; /* reads change device state (Z6) */
	char name[48];
};

enum s2mt_device_kind {
	S2MT_DEVICE_VFIO_PCI,
	S2MT_DEVICE_NVGRACE, /* nvgrace-gpu vfio variant driver */
	S2MT_DEVICE_CMEM, /* RAM hidden from the kernel, mmap'd cacheable */
};

#define S2MT_MAX_BARS 6

struct s2mt_bar {
	uint64_t pa, size; /* size 0: BAR not implemented */
	bool prefetchable;
	bool read_side_effects;
	bool mmap_ok;
};

/* nvgrace-gpu regions, named as the driver does. */
enum s2mt_nvgrace_region {
	S2MT_NVGRACE_USEMEM, /* BAR4 index: cacheable GPU memory */
	S2MT_NVGRACE_RESMEM, /* BAR2 index: write-combine carve-out */
};

struct s2mt_device {
	char name[32];
	uint8_t kind; /* enum s2mt_device_kind */
	struct s2mt_bar bars[S2MT_MAX_BARS]; /* vfio-pci */
	uint64_t usemem_pa, usemem_size; /* nvgrace */
	uint64_t resmem_pa, resmem_size; /* nvgrace; 0 on Blackwell parts */
	uint64_t cmem_pa, cmem_size; /* cacheable-pfnmap */
};

#define S2MT_MAX_REGIONS 64
#define S2MT_MAX_DEVICES 32

/* Physical layout the presets use (a Grace-like map). */
#define S2MT_HOST_RAM_BASE 0x80000000ULL
#define S2MT_HOST_DEVMEM_BASE 0x400000000000ULL /* 64 TiB */
#define S2MT_HOST_MMIO_BASE 0x600000000000ULL /* 96 TiB */

/*
 * The host's architecture. x86 is there for contrast (SPEC section 7): KVM
 * x86 maps every PFNMAP, picks an EPT/NPT memory type per leaf, and has
 * no stage-2 attribute rules for the designs to change. The model keeps
 * one table format: an x86 leaf is recorded as Normal with R/W/X, and the
 * EPT/NPT entry KVM would write follows from the leaf's PA and the host
 * (s2mt_x86_kvm_leaf()): KVM x86 decides it from the PFN alone.
 */
enum s2mt_host_arch {
	S2MT_ARCH_ARM64,
	S2MT_ARCH_X86_INTEL, /* EPT: memory type and IPAT per leaf */
	S2MT_ARCH_X86_AMD, /* NPT: no way to override the guest PAT */
	S2MT_ARCH_COUNT_,
};
const char *s2mt_arch_name(unsigned arch); /* "arm64", "x86-intel", ... */
int s2mt_arch_parse(const char *text, unsigned *arch);

struct s2mt_host {
	char preset[32]; /* "grace-hopper", ..., or "custom" */
	unsigned arch; /* enum s2mt_host_arch, from the preset */
	/* x86: KVM_X86_QUIRK_IGNORE_GUEST_PAT enabled (the default), and
	 * non-coherent DMA assigned to the VMs (both change EPT's IPAT). */
	bool x86_ignore_guest_pat;
	bool x86_noncoherent_dma;
	struct s2mt_kernel kernel; /* the host's kernel */
	unsigned era; /* enum s2mt_era: s2mt_kernel_era(&kernel) */
	unsigned design; /* enum s2mt_design: which uAPI the kernel has */
	struct s2mt_host_caps caps;
	/* H6: /sys/kernel/mm/transparent_hugepage/{enabled,use_zero_page}
	 * (s2mt_host_init: madvise and 1, the kernel's defaults). */
	unsigned thp; /* enum s2mt_thp_mode */
	bool thp_zero_page;
	unsigned pa_bits; /* 48: the model's physical map */
	unsigned ipa_limit; /* KVM_CAP_ARM_VM_IPA_SIZE: the preset's PARange,
			       capped at 48, or at 52 with FEAT_LPA2 when the
			       kernel has S2MT_KF_IPA_52_LPA2 (6.8) */
	struct s2mt_phys_region regions[S2MT_MAX_REGIONS];
	size_t nr_regions;
	struct s2mt_device devices[S2MT_MAX_DEVICES];
	size_t nr_devices;
	uint64_t ram_next; /* next free RAM PA for anonymous/hugetlb backing */
	uint64_t devmem_next, mmio_next; /* next free device windows */
	char why[S2MT_WHY_LEN];
	const char *rule;
};

/*
 * Presets (SPEC issue "KVM model"):
 *   grace-hopper  FWB, DIC, IDC (and MTE off: Grace has no MTE)
 *   no-fwb        a Cortex-A72/Kunpeng-920-like host: no FWB, no DIC,
 *                 44-bit PA
 *   fwb-no-dic    FWB but CTR_EL0.DIC = 0
 *   qemu-max      FWB, IDC = 0, DIC = 0, MTE, 52-bit PA with FEAT_LPA2
 *                 (QEMU 7.2 -cpu max)
 * The host gets ram_size bytes of RAM at S2MT_HOST_RAM_BASE and the era's
 * representative kernel (s2mt_kernel_of_era(): 6.8.0, 6.9.0 or 6.17.0,
 * which decides the finer boundaries too: 6.8.0 has no nvgrace-gpu driver).
 * 0, or -EINVAL for an unknown preset or era.
 */
int s2mt_host_init(struct s2mt_host *host, const char *preset, unsigned era,
		   uint64_t ram_size);
/* Explicit features ("custom" preset: 48-bit PA, no FEAT_LPA2). */
int s2mt_host_init_caps(struct s2mt_host *host,
			const struct s2mt_host_caps *caps, unsigned era,
			uint64_t ram_size);
/* Sets the host's kernel, and with it the era (s2mt_kernel_era()) and the
 * IPA limit. Only on a fresh host: before any device is added and before
 * any RAM is mapped. 0, or -EINVAL with the reason in why (a kernel older
 * than 6.1 or with unknown backport bits, or a host already in use). */
int s2mt_host_set_kernel(struct s2mt_host *host, const struct s2mt_kernel *k);
/* Gives the host's kernel a design's rules (docs/designs.md). A kernel
 * older than the design's base era is replaced by that era's
 * representative (s2mt_kernel_of_era()), since the design's series was
 * written for it. Only on a fresh host, as s2mt_host_set_kernel(). */
int s2mt_host_set_design(struct s2mt_host *host, unsigned design);
/* Names of the presets, NULL-terminated. */
extern const char *const s2mt_host_presets[];
int s2mt_host_preset_caps(const char *preset, struct s2mt_host_caps *caps);
/* The preset's enum s2mt_host_arch, or -EINVAL. */
int s2mt_host_preset_arch(const char *preset);
/* What a preset stands for: its CPU features, PA range and IPA limit (on
 * a current kernel). 0, or -EINVAL for an unknown name. */
struct s2mt_preset_info {
	const char *name;
	struct s2mt_host_caps caps;
	unsigned parange; /* bits */
	bool lpa2;
	unsigned arch; /* enum s2mt_host_arch */
	unsigned ipa_limit; /* KVM_CAP_ARM_VM_IPA_SIZE on 6.17 */
};
int s2mt_host_preset_info(const char *preset, struct s2mt_preset_info *info);

/* The region holding pa, or NULL. */
const struct s2mt_phys_region *s2mt_host_region(const struct s2mt_host *host,
						uint64_t pa);
/* K1: whether pa is in the kernel's linear map (RAM). */
bool s2mt_host_pfn_is_map_memory(const struct s2mt_host *host, uint64_t pa);

/*
 * Devices. A vfio-pci device with up to 6 BARs (sizes powers of two of at
 * least 4 KiB, or 0), placed naturally aligned in the MMIO window; flags per
 * BAR. An nvgrace-gpu device with usemem (cacheable, 1 GiB aligned in the
 * device-memory window) and resmem (0 for the Blackwell variant without it).
 * Both return the device index (>= 0) or a negative errno; an nvgrace-gpu
 * device on a kernel without the driver (S2MT_KF_NVGRACE_GPU) is -ENODEV.
 */
struct s2mt_bar_spec {
	uint64_t size;
	bool prefetchable;
	bool read_side_effects;
	bool no_mmap;
};
int s2mt_host_add_vfio_pci(struct s2mt_host *host, const char *name,
			   const struct s2mt_bar_spec bars[S2MT_MAX_BARS]);
int s2mt_host_add_nvgrace(struct s2mt_host *host, const char *name,
			  uint64_t usemem_size, uint64_t resmem_size);
/*
 * A cacheable-PFNMAP device: RAM the kernel never maps (hidden with mem=,
 * no struct page) that a driver hands out with remap_pfn_range() and the
 * default, cacheable, pgprot; opened O_SYNC it maps it non-cacheable. The
 * project's test module (issue 11) is one; so is any driver that exposes
 * coherent memory the way nvgrace-gpu does without being a vfio device.
 * It is plain RAM behind a VM_PFNMAP VMA (Sean Christopherson: "PFNMAP is
 * not always device memory"), and no driver flag vouches for it (D4).
 * size: a non-zero multiple of 2 MiB. The device index, or a negative
 * errno.
 */
int s2mt_host_add_cmem(struct s2mt_host *host, const char *name, uint64_t size);
/* The device index, or -ENODEV. */
int s2mt_host_find_device(const struct s2mt_host *host, const char *name);

/* ------------------------------------------------------------------ */
/* The VMM's address space                                             */
/* ------------------------------------------------------------------ */

/* H6: the THP mode (/sys/kernel/mm/transparent_hugepage/enabled). */
enum s2mt_thp_mode {
	S2MT_THP_NEVER,
	S2MT_THP_MADVISE, /* only where the VMM asked (MADV_HUGEPAGE) */
	S2MT_THP_ALWAYS, /* every private anonymous mapping */
};
const char *s2mt_thp_mode_name(unsigned mode); /* "always", ...; "?" */
int s2mt_thp_mode_parse(const char *name); /* the mode, or -EINVAL */

enum s2mt_backing {
	/* anonymous memory as mmap gives it: 4 KiB pages, or THP when the
	 * host's mode is always (H6) */
	S2MT_BACK_ANON,
	/* anonymous memory the VMM aligned to 2 MiB and madvise()d
	 * MADV_HUGEPAGE, as QEMU does for guest RAM: THP unless the host's
	 * mode is never (H6) */
	S2MT_BACK_THP,
	S2MT_BACK_HUGETLB_2M,
	S2MT_BACK_HUGETLB_1G,
	S2MT_BACK_PFN, /* raw PFNs (VM_PFNMAP) */
};
const char *s2mt_backing_name(unsigned backing);

/* Which driver made a VMA. */
enum s2mt_vma_origin {
	S2MT_ORIGIN_ANON,
	S2MT_ORIGIN_HUGETLBFS,
	S2MT_ORIGIN_VFIO_BAR,
	S2MT_ORIGIN_NVGRACE_USEMEM,
	S2MT_ORIGIN_NVGRACE_RESMEM,
	S2MT_ORIGIN_DEVMEM, /* /dev/mem */
	S2MT_ORIGIN_CMEM, /* a cacheable-pfnmap device */
};
const char *s2mt_origin_name(unsigned origin);

struct s2mt_vma {
	uint64_t start, end; /* [start, end) */
	uint64_t flags; /* S2MT_VM_* */
	uint8_t attrindx; /* enum s2mt_attrindx: vm_page_prot's AttrIndx */
	uint8_t backing; /* enum s2mt_backing */
	uint8_t origin; /* enum s2mt_vma_origin */
	int device; /* device index, or -1 */
	uint8_t region; /* vfio-pci: the BAR index; nvgrace-gpu: enum
			   s2mt_nvgrace_region (0 usemem, 1 resmem) */
	uint64_t pa; /* PA backing start; contiguous over the VMA */
};

/* mmap protection, as PROT_*. */
#define S2MT_PROT_READ 0x1u
#define S2MT_PROT_WRITE 0x2u
#define S2MT_PROT_EXEC 0x4u

/* mmap flags that matter here. */
#define S2MT_MAP_SHARED 0x01u
#define S2MT_MAP_PRIVATE 0x02u
#define S2MT_MAP_FIXED 0x10u

/* Told of every change to the address space (the MMU notifier, K8): once
 * per operation, after the VMA array is consistent again. Unregistering
 * removes every notifier registered with that arg. */
struct s2mt_mm_notifier {
	void (*invalidate)(void *arg, uint64_t start, uint64_t end);
	void *arg;
};

#define S2MT_MAX_NOTIFIERS 8

struct s2mt_mm {
	struct s2mt_host *host;
	struct s2mt_vma *vmas; /* sorted by start, non-overlapping */
	size_t nr_vmas, cap_vmas;
	uint64_t mmap_next; /* lowest address a non-fixed mmap searches from
			       (first fit) */
	struct s2mt_mm_notifier notifiers[S2MT_MAX_NOTIFIERS];
	size_t nr_notifiers;
	/* H5: host RAM pages written through a private mapping (one bit a
	 * 4 KiB page from S2MT_HOST_RAM_BASE, allocated on first use). */
	uint64_t *written;
	size_t written_words;
	/* H5: pages the host maps the zero page at, the same way */
	uint64_t *zero_mapped;
	/* H6: how the host maps each 2 MiB of host RAM under a THP-eligible
	 * VMA (enum s2mt_thp_state, one byte each, allocated on first use). */
	uint8_t *thp_state;
	size_t thp_regions;
	/* Bumped by every change to the VMAs (their list, bounds or flags):
	 * what a VM's fault memo checks before it trusts a VMA pointer. */
	uint64_t vma_gen;
	char why[S2MT_WHY_LEN];
	const char *rule;
};

int s2mt_mm_init(struct s2mt_mm *mm, struct s2mt_host *host);
/*
 * H5: whether every 4 KiB page of host RAM [pa, pa+size) has been written
 * (copied on write out of the zero page, or out of a not yet written
 * hugetlb page); marking them. Outside host RAM nothing is tracked: false,
 * and marking does nothing.
 */
bool s2mt_mm_written(const struct s2mt_mm *mm, uint64_t pa, uint64_t size);
void s2mt_mm_mark_written(struct s2mt_mm *mm, uint64_t pa, uint64_t size);
/* How many bytes from pa on have the written state of the page at pa
 * (at most size). */
uint64_t s2mt_mm_written_run(const struct s2mt_mm *mm, uint64_t pa,
			     uint64_t size);
/*
 * H6: transparent huge pages. A VMA is THP-eligible when it is private
 * anonymous memory and the host's mode allows it (always; or madvise and
 * S2MT_BACK_THP). Its 2 MiB blocks that lie wholly in the VMA at a
 * 2 MiB-congruent PA are PMD-mapped by the host: a read of a block nobody
 * wrote maps the huge zero page (with thp_zero_page; else a THP), a write
 * allocates a THP; a write to the huge zero page allocates one from 6.13
 * (S2MT_KF_THP_ZERO_WP_ALLOC) and splits the PMD into 4 KiB pages before.
 * The model assumes a free 2 MiB page is there whenever one is wanted,
 * and no khugepaged.
 */
enum s2mt_thp_state {
	S2MT_THP_UNTOUCHED,
	S2MT_THP_ZERO, /* the huge zero page, read-only */
	S2MT_THP_HUGE, /* a THP, written */
	S2MT_THP_SPLIT, /* 4 KiB pages (the huge zero page split on write) */
};
bool s2mt_mm_thp_eligible(const struct s2mt_mm *mm, const struct s2mt_vma *vma);
/* The state of the 2 MiB block at hva; S2MT_THP_SPLIT also for a block
 * that cannot be PMD-mapped at all (not eligible, not wholly in the VMA,
 * PA not congruent). */
unsigned s2mt_mm_thp_state(const struct s2mt_mm *mm, const struct s2mt_vma *vma,
			   uint64_t hva);
/*
 * The host's fault handler for a fault at hva, what KVM's get_user_pages
 * makes it do (write: FOLL_WRITE), in private anonymous memory:
 *  - H6: moves a THP block's state on (above);
 *  - H5: a read of a 4 KiB page nobody wrote maps the zero page; a write
 *    to it copies it into a new page (do_wp_page).
 * Replacing a page the host had mapped (the zero page, the huge zero
 * page) calls the MMU notifiers for its range, so KVM retries (K8).
 * Returns the size the host then maps hva with (4 KiB, 2 MiB, or the
 * hugetlb page, whose write fault reuses the page in place).
 */
uint64_t s2mt_mm_fault(struct s2mt_mm *mm, const struct s2mt_vma *vma,
		       uint64_t hva, bool write);
/* s2mt_mm_fault()'s H5 part alone, for the 4 KiB page at hva (PA pa) of
 * private anonymous memory the host maps page by page (no THP there): what
 * KVM's fault path calls for such memory, having looked at the VMA once. */
void s2mt_mm_fault_page(struct s2mt_mm *mm, uint64_t hva, uint64_t pa,
			bool write);
/* s2mt_mm_fault() for the 4 KiB pages from hva on, as long as none would
 * notify; the bytes done (to len, or to the VMA's end). */
uint64_t s2mt_mm_fault_run(struct s2mt_mm *mm, const struct s2mt_vma *vma,
			   uint64_t hva, uint64_t len, bool write);
/* H5: whether the host maps the zero page at [pa, pa+size) of host RAM
 * (a read faulted it in and nobody wrote it since). */
bool s2mt_mm_zero_mapped(const struct s2mt_mm *mm, uint64_t pa, uint64_t size);
void s2mt_mm_fini(struct s2mt_mm *mm);
int s2mt_mm_register_notifier(struct s2mt_mm *mm,
			      const struct s2mt_mm_notifier *n);
void s2mt_mm_unregister_notifier(struct s2mt_mm *mm, void *arg);

/*
 * mmap. addr is a hint, or the address with S2MT_MAP_FIXED (which replaces
 * what was there, notifying). Without FIXED the address is chosen with the
 * natural alignment of the backing (2 MiB THP/hugetlb, 1 GiB hugetlb;
 * device regions: aligned to min(size, 1 GiB) so blocks are possible) —
 * unless align_hint is non-zero, which overrides it (to show misalignment).
 * *hva receives the address. Errors: -EINVAL (size, alignment, range),
 * -ENOMEM (no room, no RAM), -EPERM (/dev/mem of RAM), -ENODEV.
 */
struct s2mt_mmap_req {
	uint64_t addr;
	uint64_t len;
	unsigned prot; /* S2MT_PROT_READ|WRITE|EXEC */
	unsigned flags; /* S2MT_MAP_* */
	uint64_t align_hint; /* 0: natural; else the HVA is this-aligned
				plus align_offset */
	uint64_t align_offset;
};
/* Anonymous memory (ANON or THP backing) or hugetlbfs (HUGETLB_*). */
int s2mt_mm_mmap_anon(struct s2mt_mm *mm, const struct s2mt_mmap_req *req,
		      unsigned backing, uint64_t *hva);
/* A vfio-pci BAR: offset into the BAR; needs MAP_SHARED (H4). On an
 * nvgrace-gpu device BAR4 is usemem and BAR2 resmem, as nvgrace_gpu_mmap(). */
int s2mt_mm_mmap_vfio_bar(struct s2mt_mm *mm, const struct s2mt_mmap_req *req,
			  int device, unsigned bar, uint64_t offset,
			  uint64_t *hva);
/* An nvgrace-gpu region (usemem or resmem). The model requires MAP_SHARED
 * (as VMMs use it); nvgrace_gpu_mmap() itself does not check VM_SHARED. */
int s2mt_mm_mmap_nvgrace(struct s2mt_mm *mm, const struct s2mt_mmap_req *req,
			 int device, unsigned region, uint64_t offset,
			 uint64_t *hva);
/* /dev/mem at a physical address. */
int s2mt_mm_mmap_devmem(struct s2mt_mm *mm, const struct s2mt_mmap_req *req,
			uint64_t pa, uint64_t *hva);
/* A cacheable-pfnmap device's memory at offset; sync: opened O_SYNC, so
 * mapped Device-nGnRnE (pgprot_noncached) instead of Normal. */
int s2mt_mm_mmap_cmem(struct s2mt_mm *mm, const struct s2mt_mmap_req *req,
		      int device, uint64_t offset, bool sync, uint64_t *hva);

int s2mt_mm_munmap(struct s2mt_mm *mm, uint64_t addr, uint64_t len);
/* Changes VM_READ/VM_WRITE/VM_EXEC (not the memory type); notifies. */
int s2mt_mm_mprotect(struct s2mt_mm *mm, uint64_t addr, uint64_t len,
		     unsigned prot);

/* The VMA containing hva, or NULL. */
const struct s2mt_vma *s2mt_mm_find_vma(const struct s2mt_mm *mm, uint64_t hva);
/* The first VMA intersecting [start, end), or NULL (find_vma_intersection). */
const struct s2mt_vma *s2mt_mm_find_vma_intersection(const struct s2mt_mm *mm,
						     uint64_t start,
						     uint64_t end);
/* The PA behind hva through its VMA; false if unmapped. */
bool s2mt_mm_hva_to_pa(const struct s2mt_mm *mm, uint64_t hva, uint64_t *pa);
/* K1: the memory class of a VMA's PFNs. */
unsigned s2mt_vma_memclass(const struct s2mt_host *host,
			   const struct s2mt_vma *vma);
/* "anonymous", "vfio-pci nic0 BAR0", "nvgrace-gpu gpu0 usemem" ... */
size_t s2mt_vma_describe(const struct s2mt_host *host,
			 const struct s2mt_vma *vma, char *buf, size_t len);

/* ------------------------------------------------------------------ */
/* KVM                                                                 */
/* ------------------------------------------------------------------ */

struct s2mt_vm;

/* The system handle (an open /dev/kvm) of one VMM process. */
#define S2MT_MAX_VMS 8
struct s2mt_kvm {
	struct s2mt_host *host;
	struct s2mt_mm *mm;
	struct s2mt_vm *vms[S2MT_MAX_VMS];
	size_t nr_vms;
	uint16_t next_vmid;
	char why[S2MT_WHY_LEN];
	const char *rule;
};

int s2mt_kvm_open(struct s2mt_kvm *kvm, struct s2mt_host *host,
		  struct s2mt_mm *mm);
void s2mt_kvm_close(struct s2mt_kvm *kvm); /* destroys the VMs too */

/* KVM_CHECK_EXTENSION on /dev/kvm (C1: 243 gives -EINVAL from 6.17). */
long s2mt_kvm_check_extension(struct s2mt_kvm *kvm, long cap);

/* KVM_CREATE_VM: type as the kernel's (IPA size in bits [7:0], 0 = 40). */
int s2mt_kvm_create_vm(struct s2mt_kvm *kvm, unsigned long type,
		       struct s2mt_vm **vm);

struct s2mt_memslot {
	uint32_t slot; /* as_id << 16 | id */
	uint32_t flags;
	uint64_t gpa, size, hva;
	uint64_t *dirty_bitmap; /* one bit per page while logging */
};

/*
 * Running out of host memory in the middle of a change the model cannot
 * undo (a CMO record, a table page for an unmap that splits a block) ends
 * in this handler, which must not return. The default prints what ran out
 * and how many bytes it asked for, then aborts; a tool sets its own to
 * exit with a status of its own. Calls that can fail cleanly return
 * -ENOMEM instead and change nothing.
 */
typedef void (*s2mt_oom_fn)(const char *what, size_t bytes);
void s2mt_set_oom_handler(s2mt_oom_fn fn);
void s2mt_oom(const char *what, size_t bytes) __attribute__((noreturn));

/* A recorded cache-maintenance operation (K5). Records of one kind that
 * continue each other (the next PA, the same outcome) are kept as one. */
enum s2mt_cmo_kind {
	S2MT_CMO_DCLEAN, /* D-cache clean+invalidate to PoC */
	S2MT_CMO_IINVAL, /* I-cache invalidate to PoU */
};
struct s2mt_cmo {
	uint8_t kind;
	bool impossible; /* no kernel VA for the PA: not done (Z3) */
	uint64_t pa, size;
};

struct s2mt_vm_stats {
	/* faults: stage-2 faults taken, whatever their outcome; spurious
	 * ones (already mapped with the permission) are among them. */
	uint64_t faults, mapped, spurious, perm_relaxed, mmio_exits, efaults,
		injected_aborts, retries;
	/* tlbi_range: one invalidation of a whole range, as KVM issues after
	 * write-protecting a memslot (K7). */
	uint64_t tlbi_ipa, tlbi_vmid, tlbi_range;
	uint64_t dclean_bytes, iinval_bytes, cmo_impossible_bytes;
	uint64_t invalidations; /* MMU-notifier calls that unmapped */
};

/* A leaf installed without the K5 clean it needed (Z3); kept after the
 * leaf goes: the checker matches live leaves against it. */
struct s2mt_unclean_leaf {
	uint64_t ipa, size, pa;
};

/* Test hook: runs after the fault path sampled mmu_invalidate_seq and
 * before it takes the MMU lock (K8: let a test change the VMA here). */
typedef void (*s2mt_fault_race_fn)(struct s2mt_vm *vm, uint64_t ipa, void *arg);

/* What of the host the fault memo's answers read (fault.c): the CPU
 * features, the kernel's era and design, the architecture and its x86
 * settings, the THP mode, and the physical regions (K1's memory class). */
struct s2mt_fault_host {
	unsigned era, design, arch, thp;
	struct s2mt_host_caps caps;
	bool x86_ignore_guest_pat, x86_noncoherent_dma;
	size_t nr_regions;
};

/*
 * The last fault's context (fault.c). The next page of the same slot and VMA
 * with the same access asks the same questions: s2mt_policy() is pure, and
 * so is what K4 and H6 ask of the VMA. They are answered once, and reused
 * while the VM's slots and MTE (vm->gen), the mm's VMAs (mm->vma_gen) and
 * the host's features (host) are those the memo was made under. What
 * changes page by page (the stage-2 table, the host's pages) is read anew.
 */
struct s2mt_fault_memo {
	bool valid;
	bool terse; /* made without the policy's sentence */
	uint8_t access;
	uint64_t vm_gen, mm_gen;
	struct s2mt_fault_host host;
	const struct s2mt_memslot *slot;
	const struct s2mt_vma *vma;
	int err;
	struct s2mt_policy_out policy;
	bool private_ram; /* H5: private anonymous or hugetlb memory */
	bool thp_eligible; /* H6 */
	/* K4: a 4 KiB leaf wherever a translation fault lands (fault.c's
	 * always_page_sized()) */
	bool page_sized;
	/* H5: the host maps it page by page: s2mt_mm_fault_page() is its
	 * whole host fault (private anonymous memory, no THP, no hugetlb) */
	bool host_pages;
	/* The straight-line path may take its faults (fault.c's fault_fast()):
	 * the policy allows the access, K4 gives pages, and the host faults
	 * page by page (host_pages) or not at all. */
	bool fast;
	/* The prot's table encoding: [0] as the policy gave it, [1] without W
	 * (H5: a read of a page nobody wrote); prepared on first use. */
	struct s2mt_pgt_prepared prep[2];
	bool prep_ok[2];
	/* The leaf each of them gives at address 0, decoded, and its level
	 * (0: none yet): a fault's leaf is this one moved. */
	struct s2mt_leaf leaf[2];
	uint8_t leaf_level[2];
};

struct s2mt_vm {
	struct s2mt_kvm *kvm;
	unsigned ipa_bits;
	bool mte;
	unsigned nr_vcpus;
	struct s2mt_memslot *slots; /* sorted by gpa */
	size_t nr_slots, cap_slots;
	struct s2mt_pgt pgt;
	struct s2mt_mm_ops env_ops; /* the table's environment (kvm.c) */
	uint64_t mmu_invalidate_seq;
	struct s2mt_vm_stats stats;
	struct s2mt_cmo *cmos; /* every CMO, in order (coalesced) */
	size_t nr_cmos, cap_cmos;
	size_t last_cmo[2]; /* index + 1 of the latest record per kind */
	struct s2mt_unclean_leaf *unclean; /* coalesced likewise */
	size_t nr_unclean, cap_unclean;
	void *table_pool; /* table pages, allocated in chunks (kvm.c) */
	uint64_t table_pages, table_pages_peak; /* stage-2 table pages held */
	s2mt_fault_race_fn race;
	void *race_arg;
	uint64_t last_dclean_pa, last_dclean_size; /* for Z3 */
	bool last_dclean_done;
	/* K5: the guest's SCTLR_EL1.M && .C as KVM last saw it, and whether
	 * KVM still traps its writes (HCR_EL2.TVM; hosts without FWB, until
	 * the guest turns its caches on) */
	bool guest_caches_on, guest_caches_trapped;
	/* Faults write no reason text, only the rule (and vm->why stays
	 * empty): for paths that take many and show none. The decisions,
	 * leaves and counts are the same; retries still say why. */
	bool terse;
	/* Bumped by every change to the slots or to MTE (the fault memo). */
	uint64_t gen;
	struct s2mt_fault_memo memo;
	/* Tests: every fault asks every question afresh (no memo, and so no
	 * straight-line path either). */
	bool no_fault_memo;
	/* Faults the straight-line path took (tests, benchmarks). */
	uint64_t fast_faults;
	char why[S2MT_WHY_LEN];
	const char *rule;
};

void s2mt_vm_destroy(struct s2mt_vm *vm);

/*
 * K5: the guest writes SCTLR_EL1 with its MMU and data cache on (or not).
 * On a host without FWB KVM traps that write until the caches are on, and
 * each change cleans every cacheable leaf of the VM to the PoC
 * (kvm_toggle_cache(), stage2_flush_vm()): the guest ran with caches off
 * and memory it wrote may be stale behind the caches. Returns the bytes
 * cleaned (also counted in stats.dclean_bytes and recorded as CMOs).
 */
uint64_t s2mt_vm_guest_set_caches(struct s2mt_vm *vm, bool on);

/* KVM_CHECK_EXTENSION on a VM handle (C1: 243 = FWB && DIC from 6.17). */
long s2mt_vm_check_extension(struct s2mt_vm *vm, long cap);
/* KVM_ENABLE_CAP(KVM_CAP_ARM_MTE): -EINVAL without host MTE or once a vCPU
 * exists (as the kernel). Other caps: -EINVAL. */
int s2mt_vm_enable_cap(struct s2mt_vm *vm, long cap);
/* KVM_CREATE_VCPU (just counted: the model runs accesses, not code). */
int s2mt_vm_create_vcpu(struct s2mt_vm *vm);

/* KVM_SET_USER_MEMORY_REGION and ...2 with M1-M4. */
int s2mt_vm_set_user_memory_region(
	struct s2mt_vm *vm, const struct s2mt_userspace_memory_region *r);
int s2mt_vm_set_user_memory_region2(
	struct s2mt_vm *vm, const struct s2mt_userspace_memory_region2 *r);

/* The slot covering ipa, or NULL. */
const struct s2mt_memslot *s2mt_vm_find_slot(const struct s2mt_vm *vm,
					     uint64_t ipa);
const struct s2mt_memslot *s2mt_vm_slot_by_id(const struct s2mt_vm *vm,
					      uint32_t slot);

/* KVM_GET_DIRTY_LOG: copies and clears the slot's bitmap, and write-protects
 * the pages that were dirty again (K7). -EINVAL for a slot id out of range,
 * -ENOENT without such a slot or when it is not logging (as the kernel).
 * bitmap holds size/4K bits. */
int s2mt_vm_get_dirty_log(struct s2mt_vm *vm, uint32_t slot, uint64_t *bitmap);

/* What a guest access that missed stage 2 ends in. */
enum s2mt_fault_outcome {
	S2MT_FAULT_MAPPED, /* a leaf was installed (or replaced) */
	S2MT_FAULT_PERM_RELAXED, /* W/X added to an existing leaf */
	S2MT_FAULT_SPURIOUS, /* already mapped with the permission */
	S2MT_FAULT_MMIO_EXIT, /* KVM_EXIT_MMIO to the VMM */
	S2MT_FAULT_EFAULT, /* KVM_RUN returns -EFAULT */
	S2MT_FAULT_INJECT_IABT, /* -ENOEXEC: instruction abort injected */
	S2MT_FAULT_INJECT_DABT, /* an abort injected (IPA beyond the VM) */
	S2MT_FAULT_RETRY, /* -EAGAIN: invalidated meanwhile (K8) */
};
const char *s2mt_fault_outcome_name(unsigned outcome);
/* Short tokens for scenario files and reports ("mapped", "mmio-exit",
 * "inject-iabt", ...), indexed by outcome, NULL-terminated. */
extern const char *const s2mt_fault_outcome_tokens[];
const char *s2mt_fault_outcome_token(unsigned outcome);

struct s2mt_fault {
	uint8_t outcome; /* enum s2mt_fault_outcome */
	int err; /* 0, -EFAULT, -ENOEXEC, -EAGAIN */
	const char *rule;
	char reason[S2MT_WHY_LEN];
	int slot; /* the slot id, or -1 */
	uint64_t hva;
	struct s2mt_policy_out policy; /* when the policy ran */
	bool has_leaf;
	struct s2mt_leaf leaf; /* the leaf covering ipa afterwards */
	uint64_t dclean_bytes, iinval_bytes; /* K5, this fault */
};

/* What user_mem_abort() asks s2mt_policy() for a fault in slot on vma:
 * the host's era, design and architecture, the VM, the VMA and the slot. */
void s2mt_vm_fault_policy_in(const struct s2mt_vm *vm,
			     const struct s2mt_memslot *slot,
			     const struct s2mt_vma *vma, unsigned access,
			     struct s2mt_policy_in *in);

/* The stage-2 abort handler for a guest access at ipa (one S2MT_ACCESS_*):
 * kvm_handle_guest_abort() and user_mem_abort() for the host's era. */
int s2mt_vm_guest_abort(struct s2mt_vm *vm, uint64_t ipa, unsigned access,
			struct s2mt_fault *out);

/*
 * A vCPU touching every page of [ipa, ipa+size) in address order with one
 * kind of access. A page that stage 2 already maps with the permission
 * does not fault (a TLB walk finds it); every other page takes the fault
 * path of s2mt_vm_guest_abort(). The touch stops at the first fault that
 * does not end in a mapping (an MMIO exit, -EFAULT, an injected abort):
 * the vCPU does not get past it. Runs of faults that the kernel would
 * resolve alike (4 KiB leaves of one VMA and memslot, one policy answer)
 * are resolved together; the table, the counts, the CMO record and the
 * dirty bitmap come out exactly as faulting page by page would leave them
 * (tests/test_touch.c holds the two against each other).
 *
 * t accumulates over calls (zero it before the first), so a long range can
 * be touched in pieces. Returns 0, or the stopping fault's error (as
 * s2mt_vm_guest_abort), or -ENOMEM when a table page could not be had
 * (then t->stopped is set and the table is as before that fault).
 */
struct s2mt_touch {
	uint64_t pages; /* pages touched */
	uint64_t hits; /* ... that stage 2 already mapped: no fault */
	uint64_t faults, mapped, relaxed; /* faults taken; their outcomes */
	bool has_first;
	struct s2mt_fault first; /* the first fault, with its reason */
	bool stopped;
	struct s2mt_fault stop; /* the fault the vCPU did not get past */
	uint64_t stop_ipa;
	/* faults invalidated meanwhile and taken again (K8, H6; among
	 * faults), and why the first of them was */
	uint64_t retries;
	char retry_why[S2MT_WHY_LEN];
};
/* Only the first fault and a stop carry their sentence (the others run
 * terse, vm->why included); every count is as for page-by-page faults. */
int s2mt_vm_touch(struct s2mt_vm *vm, uint64_t ipa, uint64_t size,
		  unsigned access, struct s2mt_touch *t);

/* Bytes of stage-2 table pages the VM holds now (start tables included). */
uint64_t s2mt_vm_table_bytes(const struct s2mt_vm *vm);

/* ------------------------------------------------------------------ */
/* The memory-type query (D5) and the hazard checker (Z1-Z8)           */
/* ------------------------------------------------------------------ */

enum s2mt_hazard_id {
	S2MT_Z1 = 1, /* host cacheable alias, guest non-cacheable */
	S2MT_Z2, /* cacheable stage 2 over memory that cannot be cleaned */
	S2MT_Z3, /* cacheable leaf installed without the K5 clean */
	S2MT_Z4, /* executable Device/NC stage-2 mapping */
	S2MT_Z5, /* one PA, two guest mappings, different types */
	S2MT_Z6, /* Normal stage 2 over memory with read side effects */
	S2MT_Z7, /* stage-2 mapping outliving its VMA or memslot */
	S2MT_Z8, /* cacheable PFNMAP VM migrating to a host without 243 */
};
#define S2MT_HAZARD_BIT(z) (1u << (z))
const char *s2mt_hazard_name(unsigned id); /* "Z1" */
const char *s2mt_hazard_title(unsigned id); /* one line */

struct s2mt_hazard {
	uint8_t id; /* enum s2mt_hazard_id */
	struct s2mt_vm *vm;
	uint64_t ipa, size, pa;
	bool cacheable_alias; /* Z5: one of the two types is cacheable, so
				 coherency is lost (not only ordering) */
	char detail[S2MT_WHY_LEN];
};

/* A migration target for Z8. */
struct s2mt_migration_target {
	struct s2mt_host_caps caps;
	unsigned era;
	char name[32];
};

/*
 * Every hazard in the VMs of kvm (and, with target, Z8 against it). Writes
 * up to max entries; *nr receives how many were found in all. Returns 0.
 */
int s2mt_check_hazards(const struct s2mt_kvm *kvm,
		       const struct s2mt_migration_target *target,
		       struct s2mt_hazard *out, size_t max, size_t *nr);

/* One sub-range of a guest range with uniform answers. */
struct s2mt_query_entry {
	uint64_t ipa, size;
	int slot; /* slot id, or -1: no memslot (MMIO exit) */
	bool has_vma;
	struct s2mt_vma vma; /* the VMA behind it now */
	uint8_t memclass;
	uint8_t host_attrindx; /* host stage-1 type */
	bool mapped;
	struct s2mt_leaf leaf; /* the first stage-2 leaf, when mapped */
	uint64_t nr_leaves; /* alike leaves merged into this entry */
	struct s2mt_effective eff; /* with the guest's stage-1 attribute */
	bool has_policy; /* unmapped with a VMA: what a read fault gets */
	struct s2mt_policy_out policy;
	uint64_t dclean_bytes, iinval_bytes; /* CMOs done for this PA range */
	uint32_t hazards; /* S2MT_HAZARD_BIT() set */
};

/*
 * D5: for [ipa, ipa+size), the list of sub-ranges with slot, VMA and
 * driver, host stage-1 type, stage-2 leaf, effective type for guest_s1,
 * cache maintenance and hazards. Writes up to max; *nr receives the count.
 */
int s2mt_vm_query(struct s2mt_vm *vm, uint64_t ipa, uint64_t size,
		  struct s2mt_s1attr guest_s1, struct s2mt_query_entry *out,
		  size_t max, size_t *nr);
/* The same with the hazards already found (s2mt_check_hazards()), for a
 * caller that queries many ranges of one state. */
int s2mt_vm_query_hazards(struct s2mt_vm *vm, uint64_t ipa, uint64_t size,
			  struct s2mt_s1attr guest_s1,
			  const struct s2mt_hazard *hz, size_t nr_hz,
			  struct s2mt_query_entry *out, size_t max, size_t *nr);

#endif /* S2MT_MODEL_H */
