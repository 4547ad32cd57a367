/* SPDX-License-Identifier: MIT */
/*
 * The attribute referee: AT S12E1R/W against s2mt_combine(), and the one
 * table of QEMU's known deviations from the architecture, by QEMU version.
 */
#ifndef S2MT_EL2_REFEREE_H
#define S2MT_EL2_REFEREE_H

#include "rt.h"

/* One referee cell: the inputs of a two-stage translation. */
struct ref_cell {
	bool fwb; /* HCR_EL2.FWB */
	uint8_t memattr; /* stage-2 MemAttr[3:0] */
	uint8_t s2_sh; /* stage-2 descriptor SH (the library writes ISH) */
	bool s1_on; /* SCTLR_EL1.M */
	uint8_t mair; /* stage-1 MAIR byte, when s1_on */
	uint8_t s1_sh; /* stage-1 descriptor SH, when s1_on */
	bool write; /* AT S12E1W rather than S12E1R */
};

/* What PAR_EL1 says, or what one expects it to say. */
struct par_view {
	uint8_t attr; /* PAR_EL1.ATTR, a MAIR byte */
	uint8_t sh; /* PAR_EL1.SH */
};

/*
 * A known deviation of QEMU from the architecture, present in the QEMU
 * versions [since, until) (EL2_QEMU_VERSION; until 0: still present in
 * the newest QEMU the table was run on). apply() decides
 * whether the cell is one the deviation covers and, if so, rewrites *v
 * (the architecture's result as SPEC A3-A7 and s2mt_combine() give it, or
 * nothing for a reserved encoding) into what QEMU returns instead.
 */
struct el2_deviation {
	const char *id; /* "Q1" */
	const char *rule; /* the SPEC rule QEMU breaks */
	const char *what; /* what QEMU does instead */
	char mark; /* in the referee's matrix */
	bool fwb; /* the FWB mode the deviation lives in */
	unsigned since, until; /* the QEMU versions that show it */
	bool (*apply)(const struct ref_cell *c, const struct s2mt_effective *e,
		      struct par_view *v);
	/* per run */
	unsigned covered; /* cells apply() claimed */
	unsigned matched; /* ... where QEMU returned the predicted value */
};

extern struct el2_deviation el2_deviations[];
extern const unsigned el2_nr_deviations;

/* Whether the QEMU of this run (el2_run.qemu) shows the deviation: only
 * those entries are applied, and each must match a cell of its FWB mode. */
bool el2_deviation_active(const struct el2_deviation *d);

struct ref_counts {
	unsigned compared, agreed, explained, disagreed;
};

/*
 * Judge one translation: par is PAR_EL1 after AT for the cell, pa the PA
 * the stage-2 table maps the VA to. Returns the matrix mark: '.' agreed,
 * a deviation's mark (or '*' for several) when explained, '!' disagreed.
 */
char ref_judge(const struct ref_cell *c, uint64_t par, uint64_t pa,
	       struct ref_counts *n, bool verbose);

/* ---- the EL1&0 stage 1 the referee and the geometry tests share ---- */

/* VA slot k (1 GiB each) maps the 1 GiB-aligned IPA block with AttrIndx 0
 * and descriptor SH sh. */
void ref_s1_slot(unsigned k, uint64_t ipa, uint8_t sh);
/* The stage-1 table's PA: the stage-2 table must map it (identity). */
uint64_t ref_s1_table_pa(void);
/* Stage 1 on with MAIR_EL1.Attr0 = mair, or off. */
void ref_s1_set(bool on, uint8_t mair);
uint64_t ref_at(uint64_t va, bool write);

#endif /* S2MT_EL2_REFEREE_H */
