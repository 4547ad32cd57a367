/* SPDX-License-Identifier: MIT */
/*
 * The EL2 harness runtime: system registers, the PL011 console, a small
 * printf, semihosting exit, the EL2 identity map, feature detection, and
 * the s2mt_mm_ops environment the core's page table runs on.
 */
#ifndef S2MT_EL2_RT_H
#define S2MT_EL2_RT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <s2mt/core.h>

#define read_sysreg(r)                                                         \
	({                                                                     \
		uint64_t v_;                                                   \
		__asm__ volatile("mrs %0, " #r : "=r"(v_));                    \
		v_;                                                            \
	})
#define write_sysreg(v, r)                                                     \
	__asm__ volatile("msr " #r ", %0" : : "r"((uint64_t)(v)) : "memory")

#define isb() __asm__ volatile("isb" : : : "memory")
#define dsb(opt) __asm__ volatile("dsb " #opt : : : "memory")

/* The QEMU virt machine (hw/arm/virt.c). */
#define VIRT_UART_BASE 0x09000000ull
#define VIRT_MMIO_BASE 0x0a000000ull /* 32 virtio-mmio transports */
#define VIRT_MMIO_SIZE 0x4000ull
#define VIRT_RAM_BASE 0x40000000ull
#define VIRT_RAM_SIZE 0x20000000ull /* -m 512M */

/* ESR_ELx exception classes and fault status codes. */
#define ESR_EC(esr) (((esr) >> 26) & 0x3f)
#define ESR_EC_HVC64 0x16
#define ESR_EC_IABT_LOW 0x20
#define ESR_EC_IABT_CUR 0x21
#define ESR_EC_DABT_LOW 0x24
#define ESR_EC_DABT_CUR 0x25
#define ESR_ISS(esr) ((esr)&0x1ffffff)
#define ESR_FSC(esr) ((esr)&0x3f)
#define ESR_WNR (1ull << 6)
#define ESR_S1PTW (1ull << 7)
#define ESR_SRT(esr) (((esr) >> 16) & 0x1f)
#define ESR_SAS(esr) (((esr) >> 22) & 3)
#define ESR_ISV (1ull << 24)
#define FSC_TYPE(fsc) ((fsc)&0x3c) /* without the level */
#define FSC_LEVEL(fsc) ((fsc)&3)
#define FSC_TRANS 0x04
#define FSC_ACCESS 0x08
#define FSC_PERM 0x0c

/* PAR_EL1 after AT (A7). */
#define PAR_F 1ull
#define PAR_FST(par) (((par) >> 1) & 0x3f)
#define PAR_PTW (1ull << 8)
#define PAR_S (1ull << 9)
#define PAR_SH(par) (((par) >> 7) & 3)
#define PAR_ATTR(par) ((uint8_t)((par) >> 56))
#define PAR_PA(par) ((par)&0x0000fffffffff000ull)

/* HCR_EL2 */
#define HCR_VM (1ull << 0)
#define HCR_RW (1ull << 31)
#define HCR_FWB (1ull << 46)

/* The exception frame start.S builds on SP_EL2. */
struct el2_frame {
	uint64_t x[31];
	uint64_t elr;
	uint64_t spsr;
	uint64_t pad;
};

/* What the CPU has (A8), read from the ID registers once. */
struct el2_cpu {
	uint64_t midr, mmfr0, mmfr1, mmfr2, pfr1, ctr;
	bool fwb; /* ID_AA64MMFR2_EL1.FWB */
	bool dic, idc; /* CTR_EL0 */
	bool mte2; /* ID_AA64PFR1_EL1.MTE >= 2 */
	bool xnx; /* ID_AA64MMFR1_EL1.XNX */
	unsigned pa_bits; /* ID_AA64MMFR0_EL1.PARange */
	unsigned dline, iline; /* cache line sizes in bytes */
};
extern struct el2_cpu el2_cpu;

/*
 * What scripts/el2-run.sh says about the run, on the semihosting command
 * line (QEMU's -append; SYS_GET_CMDLINE): "qemu=X.Y[.Z]", the QEMU that
 * runs the image (its --version), and optionally "caps=LIST", the host
 * capabilities the CPU model must show (a comma-separated subset of fwb,
 * dic, idc, or "none"), so that a run meant for a DIC CPU cannot pass on
 * a CPU without it.
 */
#define EL2_QEMU_VERSION(major, minor) ((major)*100u + (minor))
struct el2_run {
	char cmdline[256];
	bool have_qemu;
	unsigned qemu; /* EL2_QEMU_VERSION(major, minor) */
	char qemu_str[16]; /* as given, e.g. "10.0.2" */
	bool have_caps;
	bool caps_fwb, caps_dic, caps_idc;
	char caps_str[32];
};
extern struct el2_run el2_run;
/* Reads and parses the command line; false (with a FAIL line) when it is
 * missing or malformed. */
bool el2_run_parse(void);

/* Console */
void el2_putc(char c);
void el2_puts(const char *s);
/* %s %c %d %u %x %p with optional '-', '0', width and l/ll/z. */
void el2_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void el2_vprintf(const char *fmt, va_list ap);

/* Failure accounting: every check that fails calls this once. */
void el2_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
unsigned el2_failures(void);
#define EL2_CHECK(cond, ...)                                                   \
	do {                                                                   \
		if (!(cond))                                                   \
			el2_fail(__VA_ARGS__);                                 \
	} while (0)

/* The summary lines the run script keeps start with this tag. */
#define EL2_TAG "S2MT-EL2 "

__attribute__((noreturn)) void el2_exit(unsigned status);

void el2_cpu_probe(void);
void el2_mmu_init(void);

/* ---- the s2mt_mm_ops environment (mm.c) ---- */
struct el2_mm_stats {
	uint64_t pages_in_use, pages_peak, allocs, frees, alloc_failures;
	uint64_t bad_frees;
	uint64_t tlbi_ipa, tlbi_ipa_pages, tlbi_vmalls12, tlbi_vmid;
	uint64_t dclean, dclean_bytes, dclean_outside_ram;
	uint64_t iinval;
};
extern struct el2_mm_stats el2_mm_stats;
extern const struct s2mt_mm_ops el2_mm_ops;

/* Switch the EL1&0 stage-2 context to this table (VTCR, VTTBR, TLBI). */
void el2_s2_activate(const struct s2mt_pgt *pgt);
/* Invalidate the EL1&0 stage-1 and combined entries of the current VMID
 * (after a stage-1 table or MAIR_EL1 change). */
void el2_tlbi_el1(void);
void el2_dcache_clean_inval(uint64_t pa, uint64_t size);

/* ---- entry and exit of the guest (start.S) ---- */
/* Saves the callee-saved registers and SP in save[13], loads x0..x7 from
 * gregs and ERETs to pc at EL1h. Returns the value el2_guest_leave passes. */
uint64_t el2_guest_enter(uint64_t *save, const uint64_t *gregs, uint64_t pc);
__attribute__((noreturn)) void el2_guest_leave(uint64_t *save, uint64_t ret);

/* ---- the parts ---- */
void el2_exception(unsigned idx, struct el2_frame *f);
/* Guest exception (lower EL, AArch64, synchronous): true if handled. */
bool el2_guest_sync(struct el2_frame *f, uint64_t esr);

void el2_referee_run(bool fwb);
void el2_geometry_run(void);
void el2_guest_run_all(void);

/* freestanding string functions the compiler may call */
void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);

#endif /* S2MT_EL2_RT_H */
