/* SPDX-License-Identifier: MIT */
/* Pieces of the run report that compare and designs share (report.c). */
#ifndef S2MT_TOOL_REPORT_H
#define S2MT_TOOL_REPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "runner.h"

/* What a step came to, in a few words: "0", "EINVAL", "4K Normal-WB". */
void step_outcome(const struct run *r, const struct sc_step *st,
		  const struct step_result *s, char *buf, size_t len);
/* The same for a table cell: an access shows leaf, stage 2 and result. */
void compare_cell(const struct run *r, const struct sc_step *st,
		  const struct step_result *s, char *buf, size_t len);
/* "ok" or "findings", as run_exit_status() decides. */
const char *result_word(const struct run *r);
/* The hazards the run found, one bit per S2MT_HAZARD_BIT(). */
uint32_t hazard_bits(const struct run *r);
/* ["Z1", "Z8"] */
json_t *hazard_list(uint32_t bits);
/*
 * The "where they differ" list of compare and designs: for each step on
 * which the columns did something else, or for another reason, one line
 * per column ("    NAME outcome: reason", names padded to width).
 * runs[k] NULL: column k is left out.
 */
void print_step_differences(const struct scenario *sc,
			    const struct run *const *runs,
			    const char *const *names, size_t nr, int width);
/* Prints and frees root; 0 or S2MT_EXIT_USAGE. */
int dump_json(json_t *root);

#endif
