/* SPDX-License-Identifier: MIT */
/*
 * What host.c (the host, its devices) and mm.c (the VMM's address space)
 * share: sizes, flag sets and the arithmetic of alignment. Not installed:
 * nothing here is API.
 */
#ifndef S2MT_MODEL_HOST_INTERNAL_H
#define S2MT_MODEL_HOST_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <s2mt/model.h>

#define SZ_4K S2MT_SIZE_4K
#define SZ_2M S2MT_SIZE_2M
#define SZ_1G S2MT_SIZE_1G

/* Where non-fixed mmaps start looking: 1 TiB keeps the addresses readable
 * (Linux allocates top-down below the stack; only the numbers differ). */
#define S2MT_MMAP_BASE 0x10000000000ULL

/* VM_SPECIAL in Linux: such VMAs are never merged or expanded. */
#define S2MT_VM_SPECIAL                                                        \
	(S2MT_VM_IO | S2MT_VM_DONTEXPAND | S2MT_VM_PFNMAP | S2MT_VM_MIXEDMAP)
#define S2MT_VM_ACCESS (S2MT_VM_READ | S2MT_VM_WRITE | S2MT_VM_EXEC)

#define S2MT_PROT_ALL (S2MT_PROT_READ | S2MT_PROT_WRITE | S2MT_PROT_EXEC)
#define S2MT_MAP_KNOWN (S2MT_MAP_SHARED | S2MT_MAP_PRIVATE | S2MT_MAP_FIXED)

static inline bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static inline uint64_t pow2_roundup(uint64_t v)
{
	uint64_t p = 1;

	while (p < v && p < (1ULL << 63))
		p <<= 1;
	return p;
}

/* Round up to a multiple of a (a power of two); false on overflow. */
static inline bool align_up(uint64_t x, uint64_t a, uint64_t *out)
{
	if (x > UINT64_MAX - (a - 1))
		return false;
	*out = (x + a - 1) & ~(a - 1);
	return true;
}

/* The smallest y >= x with y % a == off (a a power of two, off < a). */
static inline bool align_up_off(uint64_t x, uint64_t a, uint64_t off,
				uint64_t *out)
{
	uint64_t y;

	if (x <= off) {
		*out = off;
		return true;
	}
	if (!align_up(x - off, a, &y) || y > UINT64_MAX - off)
		return false;
	*out = y + off;
	return true;
}

static inline void set_why(char *why, const char **rulep, const char *rule,
			   const char *fmt, va_list ap)
{
	int n = snprintf(why, S2MT_WHY_LEN, "%s: ", rule);

	if (n < 0 || n >= S2MT_WHY_LEN)
		n = 0;
	vsnprintf(why + n, S2MT_WHY_LEN - (size_t)n, fmt, ap);
	*rulep = rule;
}

#endif
