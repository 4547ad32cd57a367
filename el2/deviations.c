// SPDX-License-Identifier: MIT
/*
 * The one table of QEMU's deviations from the architecture, as the referee
 * observes them through PAR_EL1 after AT S12E1R/S12E1W, keyed by QEMU
 * version.
 *
 * Each entry names the rule it breaks, decides exactly which cells it
 * covers - from the cell's inputs only, never from the model's answer, so
 * a model that drifted towards QEMU shows up as a disagreement - says what
 * QEMU returns there, and says in which QEMU versions it does so
 * ([since, until); the run is told its QEMU version by scripts/el2-run.sh,
 * el2_run.qemu). Only the entries of the running QEMU apply. A covered
 * cell where QEMU returns anything else is a disagreement, and an entry
 * that applies but matches no cell in a referee run of its FWB mode fails
 * the run: the table has to stay true for the QEMU that runs it. A
 * deviation a newer QEMU fixed is an entry with an `until`: on that QEMU
 * its cells must agree with the architecture.
 *
 * QEMU's side comes from target/arm/ptw.c (convert_stage2_attrs,
 * combine_cacheattr_nibble, combined_attrs_nofwb/_fwb,
 * combine_cacheattrs, get_phys_addr_disabled) and was confirmed cell by
 * cell on Debian 12's qemu-system-aarch64 7.2 and on QEMU 10.0.2 from
 * bookworm-backports (scripts/fetch-qemu.sh).
 */
#include "referee.h"

/* ---- QEMU's view of the inputs ---- */

/* The stage-1 attributes QEMU combines: a data access with stage 1 off is
 * Device-nGnRnE; its shareability is 0 (non-shareable) before QEMU 8.1,
 * Outer Shareable (as the architecture says) since. */
#define QEMU_S1_OFF_OSH EL2_QEMU_VERSION(8, 1)

static uint8_t q_s1_attr(const struct ref_cell *c)
{
	return c->s1_on ? c->mair : 0x00;
}

static uint8_t q_s1_sh(const struct ref_cell *c)
{
	if (c->s1_on)
		return c->s1_sh;
	return el2_run.qemu >= QEMU_S1_OFF_OSH ? S2MT_SH_OSH : S2MT_SH_NSH;
}

/* FWB=0: a stage-2 MemAttr as a MAIR byte (S2ConvertAttrsHints): Device
 * 0b00dd -> 0b0000dd00; Normal nibbles NC -> 0b0100, else 0bxx11. */
static uint8_t q_s2_mair(uint8_t memattr)
{
	unsigned hi = (memattr >> 2) & 3, lo = memattr & 3;
	unsigned hihint = 0, lohint = 0;

	if (hi == 0)
		return (uint8_t)(lo << 2);
	if (hi != 1)
		hihint = 3;
	if (lo != 1)
		lohint = 3;
	return (uint8_t)(hi << 6 | hihint << 4 | lo << 2 | lohint);
}

/* FWB=0: one nibble of Normal+Normal (combine_cacheattr_nibble). */
static uint8_t q_nibble(uint8_t s1, uint8_t s2)
{
	if (s1 == 4 || s2 == 4)
		return 4;
	if ((s1 >> 2) == 0 || (s1 >> 2) == 2)
		return s1;
	if ((s2 >> 2) == 2)
		return (uint8_t)(8 | (s1 & 3));
	return s1;
}

/* FWB=0, at least one stage Device: QEMU compares the low nibbles of both
 * MAIR bytes as Device codes, a Normal byte's inner nibble included. */
static uint8_t q_device_from_nibbles(uint8_t s1lo, uint8_t s2lo)
{
	if (s1lo == 0 || s2lo == 0)
		return 0x00;
	if (s1lo == 4 || s2lo == 4)
		return 0x04;
	if (s1lo == 8 || s2lo == 8)
		return 0x08;
	return 0x0c;
}

static uint8_t q_combine_sh(uint8_t a, uint8_t b)
{
	if (a == S2MT_SH_OSH || b == S2MT_SH_OSH)
		return S2MT_SH_OSH;
	if (a == S2MT_SH_ISH || b == S2MT_SH_ISH)
		return S2MT_SH_ISH;
	return S2MT_SH_NSH;
}

/* Device (ATTR[7:4] = 0) or Normal-NC (0x44) results are made OSH. */
static bool q_attr_forces_osh(uint8_t attr)
{
	return (attr & 0xf0) == 0 || attr == 0x44;
}

static bool arch_ok(const struct s2mt_effective *e)
{
	return e->status == S2MT_ATTR_OK;
}

/* The inputs, classified without the model (A3, A4, A6): */
static bool s1_device(const struct ref_cell *c)
{
	return !c->s1_on || (c->mair >> 4) == 0;
}

static unsigned s1_dev(const struct ref_cell *c)
{
	return c->s1_on ? (c->mair >> 2) & 3 : 0;
}

static bool s1_nc(const struct ref_cell *c)
{
	return c->s1_on && c->mair == 0x44;
}

static bool s2_device_nofwb(const struct ref_cell *c)
{
	return (c->memattr >> 2) == 0;
}

/* ---- the entries ---- */

/*
 * R0. FWB=0, MemAttr 0b0100, 0b1000, 0b1100: a Normal outer with inner
 * 0b00 is reserved (A3). SPEC section 8 says QEMU gives Device-nGnRnE for
 * reserved encodings; for these three, QEMU 7.2 does not: its
 * S2ConvertAttrsHints turns inner 0b00 into 0b0011 (no limit), so the
 * result is stage 1's Device type when stage 1 is Device (or off), else
 * outer = the weaker of the two outers and inner = stage 1's inner; SH is
 * the descriptors' SH combined, OSH for a Device/NC result.
 */
static bool r0_apply(const struct ref_cell *c, const struct s2mt_effective *e,
		     struct par_view *v)
{
	uint8_t s1 = q_s1_attr(c), s2;

	(void)e;
	if (c->fwb || (c->memattr & 3) != 0 || s2_device_nofwb(c))
		return false;
	s2 = q_s2_mair(c->memattr);
	if ((s1 >> 4) == 0)
		v->attr = q_device_from_nibbles(s1 & 15, s2 & 15);
	else
		v->attr = (uint8_t)(q_nibble(s1 >> 4, s2 >> 4) << 4 |
				    q_nibble(s1 & 15, s2 & 15));
	v->sh = q_attr_forces_osh(v->attr) ? S2MT_SH_OSH
					   : q_combine_sh(q_s1_sh(c), c->s2_sh);
	return true;
}

/*
 * R1. FWB=1, MemAttr 0b100 (reserved) or any value with MemAttr[3] set
 * (RES0) (A4): QEMU gives Device-nGnRnE, OSH - as SPEC section 8 says.
 */
static bool r1_apply(const struct ref_cell *c, const struct s2mt_effective *e,
		     struct par_view *v)
{
	(void)e;
	if (!c->fwb || (c->memattr != 4 && !(c->memattr & 8)))
		return false;
	v->attr = 0x00;
	v->sh = S2MT_SH_OSH;
	return true;
}

/*
 * Q1. FWB=1, stage-2 Device 0b0dd, stage 1 a more restrictive Device type
 * or off (nGnRnE): the architecture keeps the more restrictive type (A4);
 * QEMU returns the stage-2 Device type (ATTR 0b0000dd00), OSH.
 */
static bool q1_apply(const struct ref_cell *c, const struct s2mt_effective *e,
		     struct par_view *v)
{
	if (!c->fwb || !arch_ok(e) || c->memattr > 3 || !s1_device(c) ||
	    s1_dev(c) >= c->memattr)
		return false;
	v->attr = (uint8_t)(c->memattr << 2);
	v->sh = S2MT_SH_OSH;
	return true;
}

/*
 * Q2. FWB=0, Device-nGRE or Device-GRE at one stage and Normal with an
 * inner Non-cacheable nibble at the other (stage 1 MAIR 0bxxxx0100, or
 * stage-2 MemAttr 0bxx01): the result is that Device type (A3); QEMU
 * returns Device-nGnRE (ATTR 0x04), OSH. (QEMU compares the Normal
 * stage's inner nibble as if it were a Device code: 0b0100 reads as
 * nGnRE.)
 */
static bool q2_apply(const struct ref_cell *c, const struct s2mt_effective *e,
		     struct par_view *v)
{
	bool s1dev = s1_device(c), s2dev = s2_device_nofwb(c);
	unsigned dev;
	bool inner_nc;

	if (c->fwb || !arch_ok(e) || s1dev == s2dev)
		return false;
	dev = s1dev ? s1_dev(c) : c->memattr & 3;
	inner_nc = s1dev ? (c->memattr & 3) == 1 : (c->mair & 15) == 4;
	if (dev < S2MT_DEV_nGRE || !inner_nc)
		return false;
	v->attr = 0x04;
	v->sh = S2MT_SH_OSH;
	return true;
}

/*
 * Q4 (not in SPEC section 8). FWB=0, stage 1 Normal with a Write-Back
 * transient nibble (0b01RW, RW != 00) where stage 2 (Normal) has a
 * Write-Through nibble at the same level (inner MemAttr[1:0] = 0b10,
 * outer MemAttr[3:2] = 0b10): the architecture (S2CombineS1AttrHints)
 * takes the weaker policy, WT, with stage 1's allocation hints *and*
 * transient hint, i.e. 0b00RW (A3: "allocation hints come from stage 1");
 * QEMU's combine_cacheattr_nibble returns 0b10RW, WT non-transient.
 */
static bool q4_nibble(uint8_t s1n, unsigned s2n, unsigned *out)
{
	if ((s1n >> 2) != 1 || (s1n & 3) == 0 || s2n != 2)
		return false;
	*out = 8u | (s1n & 3);
	return true;
}

static bool q4_apply(const struct ref_cell *c, const struct s2mt_effective *e,
		     struct par_view *v)
{
	unsigned hi = v->attr >> 4, lo = v->attr & 15;
	bool hit;

	if (c->fwb || !arch_ok(e) || s1_device(c) || s2_device_nofwb(c))
		return false;
	hit = q4_nibble(c->mair >> 4, c->memattr >> 2, &hi);
	hit |= q4_nibble(c->mair & 15, c->memattr & 3, &lo);
	if (!hit)
		return false;
	v->attr = (uint8_t)(hi << 4 | lo);
	return true;
}

/*
 * Q3. FWB=1, MemAttr 0b110 (Force-WB), stage 1 Device or Normal-NC: the
 * result is Normal-WB and, stage 1 counting as Outer Shareable (A3:
 * Device and NC are OSH at each stage), OSH. QEMU combines the two
 * descriptors' SH fields as they are and forces OSH only on a Device/NC
 * *result*, so PAR.SH reads the descriptors' combination - ISH with the
 * library's ISH leaves - unless the stage-1 descriptor itself says OSH.
 * SPEC section 8 words this as "PAR.SH for Device/NC is the descriptor's
 * SH"; a Device or NC *result* does read 0b10. Still in 10.0.
 *
 * Q3-off. The same with stage 1 off (A3: stage 1 off is OSH): before
 * QEMU 8.1 a stage-1-off data access counts as non-shareable, so PAR.SH
 * reads the stage-2 descriptor's ISH. Fixed in 8.1 (the stage-1-off
 * attributes gained their architectural shareability): not expected on
 * 10.0, where these cells must agree with the model.
 */
static bool q3_cell(const struct ref_cell *c, const struct s2mt_effective *e,
		    struct par_view *v)
{
	uint8_t sh;

	if (!c->fwb || !arch_ok(e) || c->memattr != 6 ||
	    !(s1_device(c) || s1_nc(c)))
		return false;
	sh = q_combine_sh(q_s1_sh(c), c->s2_sh);
	if (sh == S2MT_SH_OSH)
		return false;
	v->sh = sh;
	return true;
}

static bool q3_apply(const struct ref_cell *c, const struct s2mt_effective *e,
		     struct par_view *v)
{
	return c->s1_on && q3_cell(c, e, v);
}

static bool q3_off_apply(const struct ref_cell *c,
			 const struct s2mt_effective *e, struct par_view *v)
{
	return !c->s1_on && q3_cell(c, e, v);
}

#define V(major, minor) EL2_QEMU_VERSION(major, minor)
#define ANY_QEMU 0, 0

/* In order: the reserved encodings set the whole result, the memory-type
 * deviations come next, shareability (which depends on the type) last.
 * since/until: the QEMU versions that show it (0, 0: every version the
 * table was run on, 7.2 and 10.0). */
struct el2_deviation el2_deviations[] = {
	{ "R0", "A3",
	  "FWB=0 MemAttr 0b0100/0b1000/0b1100 (reserved): inner 0b00 read as "
	  "no limit, not Device-nGnRnE",
	  'r', false, ANY_QEMU, r0_apply, 0, 0 },
	{ "R1", "A4",
	  "FWB=1 MemAttr 0b100 or bit 3 set (reserved): Device-nGnRnE", 'R',
	  true, ANY_QEMU, r1_apply, 0, 0 },
	{ "Q1", "A4",
	  "FWB=1 stage-2 Device: the stage-2 type even when stage 1 (or "
	  "stage 1 off) is more restrictive",
	  '1', true, ANY_QEMU, q1_apply, 0, 0 },
	{ "Q2", "A3",
	  "FWB=0 Device + Normal inner-NC: Device-nGnRE instead of "
	  "nGRE/GRE",
	  '2', false, ANY_QEMU, q2_apply, 0, 0 },
	{ "Q4", "A3",
	  "FWB=0 stage-1 WB-transient under stage-2 WT: WT non-transient "
	  "(0b10RW) instead of WT transient (0b00RW)",
	  '4', false, ANY_QEMU, q4_apply, 0, 0 },
	{ "Q3", "A3",
	  "PAR.SH: descriptors' SH combined for a cacheable result of a "
	  "Device/NC stage 1 (FWB Force-WB), not OSH",
	  '3', true, ANY_QEMU, q3_apply, 0, 0 },
	{ "Q3-off", "A3",
	  "PAR.SH: stage 1 off counts as non-shareable under FWB Force-WB "
	  "(fixed in QEMU 8.1)",
	  'o', true, 0, V(8, 1), q3_off_apply, 0, 0 },
};

const unsigned el2_nr_deviations =
	sizeof(el2_deviations) / sizeof(el2_deviations[0]);

bool el2_deviation_active(const struct el2_deviation *d)
{
	return el2_run.qemu >= d->since &&
		(!d->until || el2_run.qemu < d->until);
}
