/* SPDX-License-Identifier: MIT */
/*
 * s2mt core: the Arm memory-attribute model and the stage-2 page table.
 *
 * Freestanding: this header and the sources behind it use only <stdint.h>,
 * <stddef.h> and <stdbool.h>, so the same code builds for the host and for an
 * aarch64 EL2 image. Rule ids (A1..A8, K3, K5, ...) refer to SPEC.md.
 */
#ifndef S2MT_CORE_H
#define S2MT_CORE_H

/* The project's version: the library's soname takes the major number. */
#define S2MT_VERSION_MAJOR 0
#define S2MT_VERSION_MINOR 13
#define S2MT_VERSION_PATCH 0
#define S2MT_VERSION "0.13.0"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Errno values, Linux's numbers: functions return 0 or the negative value. */
#define S2MT_ENOENT 2
#define S2MT_ENOEXEC 8
#define S2MT_EAGAIN 11
#define S2MT_ENOMEM 12
#define S2MT_EFAULT 14
#define S2MT_EEXIST 17
#define S2MT_EINVAL 22
#define S2MT_ERANGE 34

/* Name of a (positive) errno value, e.g. "EINVAL"; "E?" for others. */
const char *s2mt_errno_name(int err);

/* ------------------------------------------------------------------ */
/* Attribute model (A3..A7)                                            */
/* ------------------------------------------------------------------ */

/* Device kinds, most restrictive first: combining keeps the smaller. */
enum s2mt_dev {
	S2MT_DEV_nGnRnE = 0,
	S2MT_DEV_nGnRE = 1,
	S2MT_DEV_nGRE = 2,
	S2MT_DEV_GRE = 3,
};

/* Cacheability, weakest first: combining keeps the smaller (A3). */
enum s2mt_cache {
	S2MT_CACHE_NC = 0,
	S2MT_CACHE_WT = 1,
	S2MT_CACHE_WB = 2,
};

/* Shareability, as the SH field encodes it (A1); 0b01 is reserved. */
enum s2mt_sh {
	S2MT_SH_NSH = 0,
	S2MT_SH_RESERVED = 1,
	S2MT_SH_OSH = 2,
	S2MT_SH_ISH = 3,
};

/* One level (inner or outer) of a Normal memory type. */
struct s2mt_cattr {
	uint8_t policy; /* enum s2mt_cache */
	bool read_alloc;
	bool write_alloc;
	bool transient;
};

/* A memory type: what stage 1 asks for, or what an access really gets. */
struct s2mt_memtype {
	bool device;
	uint8_t dev; /* enum s2mt_dev, when device */
	struct s2mt_cattr inner, outer; /* when !device */
	bool tagged; /* MTE Allocation Tag access (MAIR 0xF0) */
};

/* The guest's stage-1 attribute for an access. */
struct s2mt_s1attr {
	bool enabled; /* false: stage 1 off, data = Device-nGnRnE, OSH */
	uint8_t mair; /* MAIR_EL1 Attr<n> byte (A6) */
	uint8_t sh; /* descriptor SH, enum s2mt_sh */
};

/* A stage-2 leaf's attribute fields. */
struct s2mt_s2attr {
	uint8_t memattr; /* MemAttr[3:0], interpreted per FWB mode */
	uint8_t sh; /* enum s2mt_sh */
};

/* What a stage-2 MemAttr value means in its FWB mode (A3/A4). */
enum s2mt_s2kind {
	S2MT_S2_DEVICE, /* dev holds the kind */
	S2MT_S2_NORMAL, /* inner/outer hold the cacheability limit */
	S2MT_S2_FORCE_WB, /* FWB 0b110 */
	S2MT_S2_AS_S1, /* FWB 0b111 */
};

struct s2mt_s2type {
	uint8_t kind; /* enum s2mt_s2kind */
	uint8_t dev; /* enum s2mt_dev */
	uint8_t inner, outer; /* enum s2mt_cache */
};

/* Why a combination came out the way it did (for s2mt_explain). */
enum s2mt_path {
	S2MT_PATH_RESERVED,
	S2MT_PATH_DEV_DEV, /* A3: both Device, the more restrictive */
	S2MT_PATH_DEV_S1, /* A3: stage-1 Device over stage-2 Normal */
	S2MT_PATH_DEV_S2, /* A3: stage-2 Device over stage-1 Normal */
	S2MT_PATH_NORMAL, /* A3: per nibble, the weaker cacheability */
	S2MT_PATH_FWB_DEV, /* A4: 0b0xx Device */
	S2MT_PATH_FWB_NC, /* A4: 0b101 */
	S2MT_PATH_FWB_FORCE_WB, /* A4: 0b110 */
	S2MT_PATH_FWB_AS_S1, /* A4: 0b111 */
};

enum s2mt_attr_status {
	S2MT_ATTR_OK = 0,
	S2MT_ATTR_RESERVED_S1, /* MAIR byte is reserved/UNPREDICTABLE */
	S2MT_ATTR_RESERVED_S2, /* MemAttr reserved in this FWB mode */
	S2MT_ATTR_RESERVED_SH, /* a descriptor SH of 0b01 */
};

/* The result of combining stage 1 with stage 2. */
struct s2mt_effective {
	uint8_t status; /* enum s2mt_attr_status; the rest is valid when OK */
	uint8_t path; /* enum s2mt_path */
	bool fwb;
	bool s1_wins; /* for Device paths: stage 1 decided */
	struct s2mt_s1attr s1_in;
	struct s2mt_s2attr s2_in;
	struct s2mt_memtype s1; /* stage 1 decoded (Device-nGnRnE if off) */
	struct s2mt_s2type s2; /* stage 2 decoded */
	struct s2mt_memtype mt; /* the effective memory type */
	uint8_t sh; /* the effective shareability */
};

/* A6: decode a MAIR byte. 0 or -S2MT_EINVAL for a reserved encoding. */
int s2mt_mair_decode(uint8_t mair, struct s2mt_memtype *out);
/* The canonical MAIR byte of a memory type (what PAR_EL1.ATTR reports). */
uint8_t s2mt_mair_encode(const struct s2mt_memtype *mt);

/* A3/A4: decode a stage-2 MemAttr. 0 or -S2MT_EINVAL if reserved. */
int s2mt_s2_decode(uint8_t memattr, bool fwb, struct s2mt_s2type *out);

/* A3..A5: combine. Always fills *out; returns 0 or -S2MT_EINVAL (status). */
int s2mt_combine(struct s2mt_s1attr s1, struct s2mt_s2attr s2, bool fwb,
		 struct s2mt_effective *out);

/* Whether an effective type may be held in a cache (inner or outer WT/WB). */
bool s2mt_memtype_cacheable(const struct s2mt_memtype *mt);

/* Short name: "Device-nGnRE", "Normal-WB", "Normal-WB-tagged",
 * "Normal-oWB-iNC". Returns the length written (always NUL-terminated). */
size_t s2mt_memtype_name(const struct s2mt_memtype *mt, char *buf, size_t len);
/* "NSH", "OSH", "ISH", "SH-reserved". */
const char *s2mt_sh_name(uint8_t sh);
/* Name of a stage-2 MemAttr in its FWB mode: "Device-nGnRE", "Normal-WB",
 * "Normal-oWT-iNC", with FWB "Force-WB" (0b110), "As-S1" (0b111);
 * "reserved". */
size_t s2mt_s2_name(uint8_t memattr, bool fwb, char *buf, size_t len);

/* One sentence naming the rule, e.g. "FWB 0b110 forces Normal-WB;
 * stage-1 Device-nGnRE is overridden (A4)". */
size_t s2mt_explain(const struct s2mt_effective *eff, char *buf, size_t len);

/*
 * Names for the command line and scenario files, case-insensitive:
 * stage 1: "off", "device-ngnrne", "device-ngnre", "device-ngre",
 * "device-gre", "normal-nc", "normal-wt", "normal-wb", "normal-wb-tagged"
 * (alias "tagged"), or a number "0x44". Returns 0 or -S2MT_EINVAL.
 */
int s2mt_s1attr_parse(const char *text, struct s2mt_s1attr *out);
/* stage 2: "device-ngnrne".."device-gre", "normal-nc", "normal-wt",
 * "normal-wb", with FWB also "force-wb"/"as-s1", or a number. */
int s2mt_s2_memattr_parse(const char *text, bool fwb, uint8_t *out);

/* ------------------------------------------------------------------ */
/* Stage-2 descriptors (A1)                                            */
/* ------------------------------------------------------------------ */

#define S2MT_PAGE_SHIFT 12
#define S2MT_PAGE_SIZE (1ull << S2MT_PAGE_SHIFT)
#define S2MT_PTRS_PER_TABLE 512
#define S2MT_SIZE_4K (1ull << 12)
#define S2MT_SIZE_2M (1ull << 21)
#define S2MT_SIZE_1G (1ull << 30)

#define S2MT_PTE_VALID (1ull << 0)
#define S2MT_PTE_TABLE (1ull << 1) /* table at L0-2, page at L3 */
#define S2MT_PTE_MEMATTR_SHIFT 2
#define S2MT_PTE_MEMATTR_MASK (0xfull << 2)
#define S2MT_PTE_S2AP_R (1ull << 6)
#define S2MT_PTE_S2AP_W (1ull << 7)
#define S2MT_PTE_SH_SHIFT 8
#define S2MT_PTE_SH_MASK (3ull << 8)
#define S2MT_PTE_AF (1ull << 10)
#define S2MT_PTE_DBM (1ull << 51)
#define S2MT_PTE_CONT (1ull << 52)
#define S2MT_PTE_XN_SHIFT 53 /* FEAT_XNX: [54:53]; without it bit 54 */
#define S2MT_PTE_XN_MASK (3ull << 53)
#define S2MT_PTE_XN_NONE (2ull << 53) /* not executable anywhere */
#define S2MT_PTE_SW_SHIFT 55
#define S2MT_PTE_SW_MASK (0xfull << 55)
#define S2MT_PTE_ADDR_MASK 0x0000fffffffff000ull

/* Bytes covered by one entry at a level (0..3). */
static inline uint64_t s2mt_level_size(unsigned level)
{
	return 1ull << (S2MT_PAGE_SHIFT + 9 * (3 - level));
}

/* Stage-2 permissions. */
#define S2MT_PROT_R 1u
#define S2MT_PROT_W 2u
#define S2MT_PROT_X 4u
#define S2MT_PROT_RW (S2MT_PROT_R | S2MT_PROT_W)
#define S2MT_PROT_RWX (S2MT_PROT_R | S2MT_PROT_W | S2MT_PROT_X)

/* The stage-2 memory types a hypervisor asks for (SPEC A3/A4 values). */
enum s2mt_mtype {
	S2MT_MT_NORMAL, /* Normal-WB: 0xF, FWB 0b110 */
	S2MT_MT_NORMAL_NC, /* 0x5, FWB 0b101 */
	S2MT_MT_DEVICE, /* Device-nGnRE: 0x1 in both modes */
	S2MT_MT_AS_S1, /* FWB 0b111; without FWB 0xF leaves stage 1 alone */
	S2MT_MT_RAW, /* prot.memattr is written as given (referee tests) */
	S2MT_MT_COUNT_,
};

struct s2mt_prot {
	uint8_t perm; /* S2MT_PROT_* */
	uint8_t type; /* enum s2mt_mtype */
	uint8_t memattr; /* only for S2MT_MT_RAW */
};

const char *s2mt_mtype_name(unsigned type);

/* The MemAttr a prot encodes to in a FWB mode. */
uint8_t s2mt_prot_memattr(struct s2mt_prot prot, bool fwb);

/*
 * K3: a prot the table code refuses: X with Device or Normal-NC (also a raw
 * MemAttr decoding to either), or a reserved raw MemAttr. Returns 0 or
 * -S2MT_EINVAL and, when why is not NULL, a reason naming the rule.
 */
int s2mt_prot_check(struct s2mt_prot prot, bool fwb, const char **why);

/* Whether a leaf with this prot is cacheable for K5 cache maintenance. */
bool s2mt_prot_cacheable(struct s2mt_prot prot, bool fwb);

/* A leaf descriptor (block at level 1/2, page at level 3). */
uint64_t s2mt_pte_leaf(uint64_t pa, struct s2mt_prot prot, unsigned level,
		       bool fwb);

/* A leaf descriptor, decoded. */
struct s2mt_leaf {
	unsigned level;
	uint64_t ipa; /* base of the leaf */
	uint64_t size;
	uint64_t pa; /* base of the leaf */
	uint64_t desc;
	uint8_t memattr;
	uint8_t s2ap; /* bit 0 R, bit 1 W */
	uint8_t xn; /* the [54:53] field */
	uint8_t sh;
	bool af;
};

/* Decode the descriptor found at ipa's slot on a level. */
void s2mt_leaf_decode(uint64_t desc, unsigned level, uint64_t ipa,
		      struct s2mt_leaf *out);
/* The prot a decoded leaf stands for (type S2MT_MT_RAW unless it matches
 * one of the named types exactly). */
struct s2mt_prot s2mt_leaf_prot(const struct s2mt_leaf *leaf, bool fwb);

/* ------------------------------------------------------------------ */
/* The stage-2 page table                                              */
/* ------------------------------------------------------------------ */

#define S2MT_LEVEL_ANY 0xffu /* TLBI hint: entries of any level */

/*
 * The environment, injected (as in a hypervisor). Addresses given to the
 * cache-maintenance hooks are physical; the environment maps them.
 */
struct s2mt_mm_ops {
	/* nr (1..16) zeroed, physically contiguous pages aligned to nr*4K. */
	void *(*zalloc_pages)(void *ctx, unsigned nr);
	void (*free_pages)(void *ctx, void *va, unsigned nr);
	uint64_t (*virt_to_phys)(void *ctx, void *va);
	void *(*phys_to_virt)(void *ctx, uint64_t pa);
	/* Invalidate stage-2 and combined TLB entries of this VMID for the
	 * IPA range; level is the level of the entry removed, or ANY. */
	void (*tlbi_ipa)(void *ctx, uint16_t vmid, uint64_t ipa, uint64_t size,
			 unsigned level);
	void (*tlbi_vmid)(void *ctx, uint16_t vmid);
	/* K5 */
	void (*dcache_clean_inval_poc)(void *ctx, uint64_t pa, uint64_t size);
	void (*icache_inval_pou)(void *ctx, uint64_t pa, uint64_t size);
	/* Optional: told of every descriptor store, in order. */
	void (*pte_store)(void *ctx, uint64_t ipa, unsigned level,
			  uint64_t old_desc, uint64_t new_desc);
	/* Optional: when true, phys_to_virt(pa) is pa + p2v_offset and the
	 * walker computes it instead of calling (a hypervisor's linear map;
	 * an identity map has offset 0). */
	bool p2v_linear;
	uint64_t p2v_offset;
};

struct s2mt_pgt_cfg {
	unsigned ipa_bits; /* 32..48 */
	unsigned pa_bits; /* 32, 36, 40, 42, 44 or 48 (VTCR.PS) */
	unsigned start_level; /* 0..2, or S2MT_START_AUTO: Linux's choice */
	bool fwb; /* HCR_EL2.FWB: MemAttr per A4, no D-cache clean (K5) */
	bool dic; /* CTR_EL0.DIC: no I-cache invalidation (K5) */
	bool vmid16; /* VTCR.VS */
	uint16_t vmid;
};
#define S2MT_START_AUTO 0xffu

/* Geometry (A2), computed from a configuration. */
struct s2mt_geometry {
	unsigned start_level;
	unsigned nr_start_tables; /* concatenated, 1..16 */
	uint64_t vtcr;
};

/* 0 or -S2MT_EINVAL with a reason naming A2. */
int s2mt_geometry(const struct s2mt_pgt_cfg *cfg, struct s2mt_geometry *out,
		  const char **why);

/* Pages reserved for an operation before it changes anything. */
struct s2mt_memcache {
	void *head; /* singly linked through each page's first word */
	size_t nr;
};

struct s2mt_pgt_stats {
	uint64_t tables_allocated; /* excluding the start tables */
	uint64_t tables_freed;
	uint64_t bbm; /* valid entries broken before a change */
	uint64_t splits; /* blocks split into tables */
	uint64_t leaves_installed;
	/* Consistency of prepare/commit; both stay 0 unless the dry pass
	 * miscounted (tests assert it). */
	uint64_t prepare_misses; /* pages allocated during a commit */
	uint64_t prepare_leftovers; /* reserved pages a commit did not use */
};

struct s2mt_pgt {
	struct s2mt_pgt_cfg cfg;
	struct s2mt_geometry geo;
	const struct s2mt_mm_ops *ops;
	void *ctx;
	uint64_t *pgd; /* virtual address of the first start table */
	uint64_t pgd_pa;
	uint64_t ipa_limit; /* 1 << ipa_bits */
	struct s2mt_pgt_stats stats;
	/* Bumped by every change: a cursor (below) knows the table is still
	 * the one it walked. */
	uint64_t gen;
	const char *why; /* reason of the last refusal, naming a rule */
};

int s2mt_pgt_init(struct s2mt_pgt *pgt, const struct s2mt_pgt_cfg *cfg,
		  const struct s2mt_mm_ops *ops, void *ctx);
/* Frees every table (no cache maintenance) and invalidates the VMID. */
void s2mt_pgt_destroy(struct s2mt_pgt *pgt);

uint64_t s2mt_pgt_vtcr(const struct s2mt_pgt *pgt);
uint64_t s2mt_pgt_vttbr(const struct s2mt_pgt *pgt);

/*
 * Map [ipa, ipa+size) to [pa, pa+size) with prot, each leaf the largest
 * block (1 GiB, 2 MiB, 4 KiB) that the alignment of IPA and PA allows, but
 * not larger than max_leaf (0: no cap). Existing entries are replaced with
 * break-before-make; blocks partly covered are split. K5 maintenance is done
 * for the new leaves. All-or-nothing: -S2MT_ENOMEM leaves the table as it was.
 * Errors: -S2MT_EINVAL (alignment, range, K3), -S2MT_ENOMEM.
 */
int s2mt_pgt_map(struct s2mt_pgt *pgt, uint64_t ipa, uint64_t size, uint64_t pa,
		 struct s2mt_prot prot, uint64_t max_leaf);

/*
 * A prot checked and turned into descriptor bits once, for many maps with
 * the same prot: a fault handler keeps one per VMA, as KVM's fault path
 * asks the same question for every page of it. Valid for any table whose
 * cfg.fwb is the one it was prepared for (the MemAttr encoding differs).
 */
struct s2mt_pgt_prepared {
	struct s2mt_prot prot;
	uint64_t leaf_bits; /* the descriptor less address and type */
	bool cacheable; /* K5: cleaned on install without FWB */
	bool fwb;
};
/* Checks prot as s2mt_pgt_map() does: 0, or -S2MT_EINVAL (why set). */
int s2mt_pgt_prepare(struct s2mt_pgt *pgt, struct s2mt_prot prot,
		     struct s2mt_pgt_prepared *out);
/* s2mt_pgt_map() with a prepared prot: the same result, without checking
 * and encoding the prot again. A single leaf into an empty entry of an
 * existing table (a stage-2 fault's map) takes one walk and one store. */
/* The leaf descriptor a prepared prot gives pa at a level (as
 * s2mt_pte_leaf()). */
uint64_t s2mt_pte_leaf_prepared(const struct s2mt_pgt_prepared *prep,
				uint64_t pa, unsigned level);
int s2mt_pgt_map_prepared(struct s2mt_pgt *pgt, uint64_t ipa, uint64_t size,
			  uint64_t pa, const struct s2mt_pgt_prepared *prep,
			  uint64_t max_leaf);

/* Unmap a range; splits blocks partly covered, frees tables left empty, and
 * cleans cacheable leaves on hosts without FWB (K5). All-or-nothing. */
int s2mt_pgt_unmap(struct s2mt_pgt *pgt, uint64_t ipa, uint64_t size);

/* Add permissions to the valid leaves of a range, in place (no BBM unless a
 * block must be split). Adding X to Device/NC leaves is refused (K3); adding
 * X without DIC invalidates the I-cache for the leaf (K5). */
int s2mt_pgt_relax_perms(struct s2mt_pgt *pgt, uint64_t ipa, uint64_t size,
			 unsigned perm);
/* Remove permissions (e.g. W for dirty logging, K7) with TLB invalidation. */
int s2mt_pgt_restrict_perms(struct s2mt_pgt *pgt, uint64_t ipa, uint64_t size,
			    unsigned perm);
/* Remove W from the valid leaves of a range WITHOUT invalidating the TLB
 * for each leaf changed: the caller invalidates the whole range once, as
 * KVM does after write-protecting a memslot or a dirty-log harvest (K7).
 * Blocks partly covered are still split with break-before-make. */
int s2mt_pgt_wrprotect(struct s2mt_pgt *pgt, uint64_t ipa, uint64_t size);

/* The leaf that maps ipa. 0, or -S2MT_ENOENT if none. */
int s2mt_pgt_lookup(const struct s2mt_pgt *pgt, uint64_t ipa,
		    struct s2mt_leaf *out);
/* The hot-path form (as a fault handler wants it): the raw leaf descriptor
 * and its level. 0, or -S2MT_ENOENT. */
int s2mt_pgt_get_leaf(const struct s2mt_pgt *pgt, uint64_t ipa, uint64_t *desc,
		      unsigned *level);

/*
 * A stage-2 fault takes two steps on one walk: it looks for the leaf that
 * maps the IPA, and when there is none it maps a page there. The lookup
 * leaves a cursor on the empty level-3 entry it ended at; the map stores
 * into it while the table is still the one walked (gen), else it is an
 * ordinary s2mt_pgt_map_prepared().
 */
struct s2mt_pgt_cursor {
	uint64_t *ptep; /* the empty level-3 entry, or NULL */
	uint64_t ipa;
	uint64_t gen;
};
/* s2mt_pgt_get_leaf(), setting *cur as well. */
int s2mt_pgt_get_leaf_cursor(const struct s2mt_pgt *pgt, uint64_t ipa,
			     uint64_t *desc, unsigned *level,
			     struct s2mt_pgt_cursor *cur);
/* s2mt_pgt_map_prepared(pgt, cur->ipa, 4 KiB, pa, prep, 4 KiB). */
int s2mt_pgt_map_page_at(struct s2mt_pgt *pgt,
			 const struct s2mt_pgt_cursor *cur, uint64_t pa,
			 const struct s2mt_pgt_prepared *prep);

/* Read-only walk with a visitor. */
#define S2MT_WALK_LEAF 1u
#define S2MT_WALK_TABLE_PRE 2u
#define S2MT_WALK_TABLE_POST 4u

struct s2mt_walk_entry {
	uint64_t ipa; /* base of the entry's range */
	uint64_t size;
	unsigned level;
	uint64_t desc;
	bool table;
};
/* A non-zero return stops the walk and is returned by s2mt_pgt_walk. */
typedef int (*s2mt_visit_fn)(const struct s2mt_walk_entry *entry, void *arg);
int s2mt_pgt_walk(const struct s2mt_pgt *pgt, uint64_t ipa, uint64_t size,
		  unsigned flags, s2mt_visit_fn visit, void *arg);

/* ------------------------------------------------------------------ */
/* Policy: the stage-2 type KVM/arm64 picks (K1-K3, K6, K7, M3)        */
/* ------------------------------------------------------------------ */

/* Kernel eras (SPEC section 3). A later era keeps the earlier rules unless
 * it says otherwise. */
enum s2mt_era {
	S2MT_ERA_6_8, /* before Normal-NC */
	S2MT_ERA_6_9, /* 6.9..6.16: Normal-NC for VM_ALLOW_ANY_UNCACHED */
	S2MT_ERA_6_17, /* 6.17+: cacheable PFNMAP with FWB and DIC */
	S2MT_ERA_COUNT_,
};
const char *s2mt_era_name(unsigned era); /* "6.8", "6.9", "6.17" */
int s2mt_era_parse(const char *text, unsigned *era);

/* VMA flags (H2), Linux's values on arm64. */
#define S2MT_VM_READ 0x00000001ull
#define S2MT_VM_WRITE 0x00000002ull
#define S2MT_VM_EXEC 0x00000004ull
#define S2MT_VM_SHARED 0x00000008ull
#define S2MT_VM_PFNMAP 0x00000400ull
#define S2MT_VM_IO 0x00004000ull
#define S2MT_VM_DONTEXPAND 0x00040000ull
#define S2MT_VM_HUGETLB 0x00400000ull
#define S2MT_VM_DONTDUMP 0x04000000ull
#define S2MT_VM_MIXEDMAP 0x10000000ull
#define S2MT_VM_MTE (1ull << 32) /* VM_HIGH_ARCH_0 */
#define S2MT_VM_MTE_ALLOWED (1ull << 33) /* VM_HIGH_ARCH_1 */
#define S2MT_VM_ALLOW_ANY_UNCACHED (1ull << 39)
/* D4 only: the driver vouches that the memory may be mapped cacheable
 * (VM_FORCE_CACHEABLE, never merged; the bit is the model's choice). */
#define S2MT_VM_FORCE_CACHEABLE (1ull << 40)

/* Host stage-1 memory-type indices, MT_* (H1). */
enum s2mt_attrindx {
	S2MT_MT_IDX_NORMAL = 0,
	S2MT_MT_IDX_NORMAL_TAGGED = 1,
	S2MT_MT_IDX_NORMAL_NC = 2,
	S2MT_MT_IDX_DEVICE_nGnRnE = 3,
	S2MT_MT_IDX_DEVICE_nGnRE = 4,
	S2MT_MT_IDX_COUNT_,
};
/* "NORMAL", "NORMAL_TAGGED", ...; the MAIR byte Linux gives the index. */
const char *s2mt_attrindx_name(unsigned idx);
uint8_t s2mt_attrindx_mair(unsigned idx);
/* H3: kvm_vma_is_cacheable(): anything but NC and the Device indices. */
bool s2mt_attrindx_cacheable(unsigned idx);

/* Where the PFN lives (K1). */
enum s2mt_memclass {
	S2MT_MEM_RAM, /* in the kernel's linear map */
	S2MT_MEM_HUGETLB, /* linear-map RAM behind hugetlbfs */
	S2MT_MEM_PFN_OUTSIDE, /* not in the linear map: MMIO, GPU memory */
};
const char *s2mt_memclass_name(unsigned mc);

struct s2mt_host_caps {
	bool fwb; /* FEAT_S2FWB (A8) */
	bool dic; /* CTR_EL0.DIC */
	bool idc; /* CTR_EL0.IDC */
	bool mte; /* FEAT_MTE2 */
};
/* C1: kvm_supports_cacheable_pfnmap() */
bool s2mt_host_cacheable_pfnmap(const struct s2mt_host_caps *caps);

/* KVM_MEM_* (M1) */
#define S2MT_MEM_LOG_DIRTY_PAGES (1u << 0)
#define S2MT_MEM_READONLY (1u << 1)
#define S2MT_MEM_GUEST_MEMFD (1u << 2)
/* Bit 3, never merged: KVM_MEM_ENABLE_CACHEABLE_PFNMAP in D1, the
 * "userspace expects Write-Back" flag (KVM_MEM_FORCE_CACHEABLE_PFNMAP) in
 * D2 and D3. Unknown, so -EINVAL, under every other design (M1). */
#define S2MT_MEM_CACHEABLE_PFNMAP (1u << 3)

/*
 * The uAPI designs the threads argued over (SPEC D1-D5, docs/designs.md).
 * A design replaces the rules of the series it was proposed for and is
 * evaluated on a kernel of at least its base era.
 */
enum s2mt_design {
	S2MT_DESIGN_MERGED, /* what mainline does: the era rules */
	S2MT_DESIGN_NC_BLANKET, /* 6.9 series v1: Normal-NC for all device
				   memory, no VMA flag */
	S2MT_DESIGN_D1, /* memslot flag bit 3, 6.17 series v4-v6 */
	S2MT_DESIGN_D2, /* Oliver Upton: cap + "expects WB" memslot flag */
	S2MT_DESIGN_D3, /* Sean Christopherson: flag must match the VMA */
	S2MT_DESIGN_D4, /* VMA flag set by the driver (Catalin Marinas) */
	S2MT_DESIGN_D5, /* merged rules + a memory-type query */
	S2MT_DESIGN_COUNT_,
};
const char *s2mt_design_name(unsigned design); /* "merged", "D1", ... */
int s2mt_design_parse(const char *text, unsigned *design);
/* The era a kernel needs for the design's code to exist in it. */
unsigned s2mt_design_base_era(unsigned design);
/* Whether the design defines memslot bit 3, and its name there. */
bool s2mt_design_has_slot_flag(unsigned design);
const char *s2mt_design_slot_flag_name(unsigned design);
/* Whether the design has drivers set VM_FORCE_CACHEABLE (D4). */
bool s2mt_design_has_vma_flag(unsigned design);
/* One line: who proposed it, where, and what it changes. */
const char *s2mt_design_summary(unsigned design);

enum s2mt_policy_op {
	S2MT_POLICY_FAULT, /* user_mem_abort(): what to map */
	S2MT_POLICY_REGISTER, /* kvm_arch_prepare_memory_region(), per VMA */
};

#define S2MT_ACCESS_READ 1u
#define S2MT_ACCESS_WRITE 2u
#define S2MT_ACCESS_EXEC 4u

struct s2mt_policy_in {
	uint8_t op; /* enum s2mt_policy_op */
	uint8_t era; /* enum s2mt_era */
	struct s2mt_host_caps host;
	bool vm_mte; /* KVM_CAP_ARM_MTE enabled on the VM */
	uint8_t memclass; /* enum s2mt_memclass (fault only) */
	uint64_t vm_flags; /* S2MT_VM_* */
	uint8_t attrindx; /* enum s2mt_attrindx */
	uint8_t access; /* fault: one S2MT_ACCESS_* */
	uint32_t slot_flags; /* S2MT_MEM_*: the new flags (register), the
				slot's flags (fault) */
	uint64_t vma_start, vma_end; /* for the reason text */
	uint8_t design; /* enum s2mt_design; 0 is the merged rules */
	/* x86 for contrast (docs/x86.md): KVM x86 instead of KVM/arm64. */
	uint8_t x86; /* 0 arm64, else enum s2mt_x86_vendor + 1 */
	bool x86_ignore_guest_pat; /* KVM_X86_QUIRK_IGNORE_GUEST_PAT on */
	bool x86_noncoherent_dma; /* the VM has non-coherent DMA */
	/* Leave reason empty: the decision and rule are the same, the
	 * sentence is not written (a hot path that does not show it). */
	bool no_reason;
};

struct s2mt_policy_out {
	int err; /* 0 or -S2MT_E* (EFAULT, EINVAL, ENOEXEC) */
	const char *rule; /* rule id that decided, e.g. "K2" */
	char reason[192]; /* one sentence naming the rule */
	/* fault, when err == 0: */
	struct s2mt_prot prot; /* type and R/W/X for the leaf */
	bool device; /* K1: PFN treated as device / device-like */
	bool force_noncacheable; /* K2: Device or Normal-NC at stage 2 */
	bool cacheable_pfnmap; /* K2 6.17: WB over PFNMAP outside the map */
	bool no_block_upgrade; /* K4: no late THP upgrade */
};

/*
 * The stage-2 decision for a fault, or the per-VMA check of a memslot
 * registration, for one kernel era. Pure: no state, no allocation.
 * Returns out->err.
 */
int s2mt_policy(const struct s2mt_policy_in *in, struct s2mt_policy_out *out);

/* ---- x86 (EPT / NPT) memory types: src/core/x86.c ---- */
/*
 * x86 for contrast (SPEC section 7, docs/x86.md): the memory type a guest
 * access gets under KVM x86, from the EPT (Intel) or NPT (AMD) leaf KVM
 * writes and the type the guest's own PAT selects. Rules X1 (Intel) and X2
 * (AMD); the manual tables are cited where they are used (src/core/x86.c).
 * The guest is assumed to run with CR0.CD = 0.
 */

/* The two x86 vendors; S2MT_ARCH_X86_INTEL/AMD (model.h) are these + 1. */
enum s2mt_x86_vendor {
	S2MT_X86_INTEL, /* VMX with EPT */
	S2MT_X86_AMD, /* SVM with NPT */
	S2MT_X86_VENDOR_COUNT_,
};
const char *s2mt_x86_vendor_name(unsigned vendor); /* "intel", "amd" */

/*
 * x86 memory types, by their encoding in the PAT, the MTRRs and the EPT
 * memory-type field (2 and 3 are reserved everywhere). UC- exists only in
 * the PAT; CD and WC+ are AMD's, produced only by combining (APM Vol. 2,
 * 7.4 and 15.25.8): both are uncacheable and, unlike UC and WC, probe the
 * caches.
 */
enum s2mt_x86_mt {
	S2MT_X86_UC = 0,
	S2MT_X86_WC = 1,
	S2MT_X86_WT = 4,
	S2MT_X86_WP = 5,
	S2MT_X86_WB = 6,
	S2MT_X86_UC_MINUS = 7, /* PAT only */
	S2MT_X86_CD = 8, /* AMD, combining result */
	S2MT_X86_WC_PLUS = 9, /* AMD, combining result */
	S2MT_X86_MT_COUNT_,
};
/* Not a memory type: returned for inputs a table does not define. */
#define S2MT_X86_MT_INVALID 0xffu

/* The six types a guest PAT entry can hold, in table order. */
#define S2MT_X86_NR_PAT 6
extern const uint8_t s2mt_x86_pat_types[S2MT_X86_NR_PAT];

/* "UC", "WC", "WT", "WP", "WB", "UC-", "CD", "WC+"; "reserved" for 2 and
 * 3; "invalid" for anything else. */
const char *s2mt_x86_mt_name(unsigned mt);
/* The names above, case-insensitive. 0 or -S2MT_EINVAL. */
int s2mt_x86_mt_parse(const char *text, unsigned *mt);
/* One of the six PAT types (UC, WC, WT, WP, WB, UC-). */
bool s2mt_x86_mt_is_pat(unsigned mt);
/* One of the five MTRR / EPT memory types (UC, WC, WT, WP, WB). */
bool s2mt_x86_mt_is_mtrr(unsigned mt);
/* Whether accesses of this type may be cached: WT, WP, WB. */
bool s2mt_x86_mt_cacheable(unsigned mt);

/*
 * Notes of the Intel PAT x MTRR table (SDM Vol. 3A, "Selecting Memory
 * Types for Pentium III and More Recent Processor Families").
 */
/* note 1: UC comes from the MTRR (caches need not be snooped) */
#define S2MT_X86_NOTE_UC_MTRR 1u
/* note 2: UC comes from the PAT (caches are checked: aliases) */
#define S2MT_X86_NOTE_UC_PAT 2u
/* note 3: "undefined" in earlier editions, now what every processor does */
#define S2MT_X86_NOTE_WAS_UNDEFINED 4u

/*
 * Intel: the effective type of a PAT type over an MTRR type, or over an
 * EPT memory type standing in for the MTRR type (EPT leaf with IPAT = 0).
 * S2MT_X86_MT_INVALID unless mtrr is an MTRR type and pat a PAT type;
 * *notes (may be NULL) gets the table's notes for the entry.
 */
unsigned s2mt_x86_intel_combine(unsigned mtrr, unsigned pat, unsigned *notes);
/* AMD APM Vol. 2, 15.25.8, Table 15-19: guest PAT type x host PAT type ->
 * combined PAT type (UC, UC-, WC, WC+, WT, WP or WB). */
unsigned s2mt_x86_amd_combine_pat(unsigned guest, unsigned host);
/* Table 15-20 (Table 7-11 plus a WC+ row): combined PAT type x MTRR type
 * -> effective type. */
unsigned s2mt_x86_amd_combine_mtrr(unsigned pat, unsigned mtrr);

/* What KVM knows when it builds a leaf for a guest page. */
struct s2mt_x86_leaf_in {
	uint8_t vendor; /* enum s2mt_x86_vendor */
	bool mmio; /* kvm_is_mmio_pfn(): the PFN is not host RAM */
	bool noncoherent_dma; /* kvm_arch_has_noncoherent_dma() */
	bool ignore_guest_pat; /* KVM_X86_QUIRK_IGNORE_GUEST_PAT in effect */
	/* AMD: the host MTRR type of the address. Without it, UC for MMIO
	 * and WB for RAM (what firmware sets up). Intel ignores it: EPT
	 * replaces the MTRRs for guest accesses. */
	bool host_mtrr_given;
	uint8_t host_mtrr;
};

/* The leaf KVM writes, as far as memory type goes. */
struct s2mt_x86_leaf {
	uint8_t vendor;
	bool mmio;
	/* Intel: EPT memory type (bits 5:3) and ignore-PAT (bit 6). */
	uint8_t ept_mt; /* S2MT_X86_MT_INVALID on AMD */
	bool ipat;
	/* AMD: the NPT leaf's PAT/PCD/PWT are 0, selecting the host's PAT
	 * entry 0 (WB under Linux); then the host MTRR of the address. */
	uint8_t host_pat; /* S2MT_X86_MT_INVALID on Intel */
	uint8_t host_mtrr; /* S2MT_X86_MT_INVALID on Intel */
	const char *rule; /* "X1" (Intel) or "X2" (AMD) */
	const char *why; /* one phrase: which KVM branch chose the leaf */
};

/* X1/X2: the leaf of a current kernel (Linux 6.15+; docs/x86.md for
 * older ones). 0, or -S2MT_EINVAL for an unknown vendor or host MTRR. */
int s2mt_x86_kvm_leaf(const struct s2mt_x86_leaf_in *in,
		      struct s2mt_x86_leaf *out);
/* The type a guest access of PAT type guest_pat gets through the leaf;
 * S2MT_X86_MT_INVALID if guest_pat is not a PAT type or the leaf holds a
 * reserved memory type (on Intel an EPT misconfiguration). */
unsigned s2mt_x86_effective(const struct s2mt_x86_leaf *leaf,
			    unsigned guest_pat);
/* Whether every guest PAT type comes out Write-Back through this leaf:
 * only an Intel leaf with WB and IPAT; never on AMD. */
bool s2mt_x86_leaf_guarantees_wb(const struct s2mt_x86_leaf *leaf);

#endif /* S2MT_CORE_H */
