/* SPDX-License-Identifier: MIT */
/*
 * SPEC A1 written out independently of the core, as the page-table tests'
 * oracle: the stage-2 descriptor bits and the leaf a prot must become.
 */
#ifndef S2MT_TEST_A1_H
#define S2MT_TEST_A1_H

#include <stdint.h>

#include <s2mt/core.h>

#define A1_VALID (1ull << 0)
#define A1_TABLE (1ull << 1)
#define A1_MEMATTR(d) (((d) >> 2) & 0xfu)
#define A1_S2AP_R (1ull << 6)
#define A1_S2AP_W (1ull << 7)
#define A1_SH(d) (((d) >> 8) & 3u)
#define A1_SH_ISH 3ull
#define A1_AF (1ull << 10)
#define A1_XN(d) (((d) >> 53) & 3u)
#define A1_XN_NONE 2ull
#define A1_OA_MASK 0x0000fffffffff000ull

/* A1: the leaf descriptor for pa/perm/memattr at a level (ISH, AF set,
 * not executable anywhere unless X). */
static inline uint64_t exp_leaf(uint64_t pa, unsigned perm, uint8_t memattr,
				unsigned level)
{
	uint64_t d = level == 3 ? (A1_VALID | A1_TABLE) : A1_VALID;

	d |= (uint64_t)(memattr & 0xf) << 2;
	if (perm & S2MT_PROT_R)
		d |= A1_S2AP_R;
	if (perm & S2MT_PROT_W)
		d |= A1_S2AP_W;
	d |= A1_SH_ISH << 8;
	d |= A1_AF;
	if (!(perm & S2MT_PROT_X))
		d |= A1_XN_NONE << 53;
	d |= pa & A1_OA_MASK & ~(s2mt_level_size(level) - 1);
	return d;
}

#endif
