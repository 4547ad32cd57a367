/* SPDX-License-Identifier: MIT */
/*
 * s2mt designs --matrix (docs/matrix.md): every design column over a
 * generated space of configurations, each one a real scenario (YAML text)
 * loaded and run like a file; per design, how many configurations show
 * each property the threads argued over, and the first that does.
 */
#ifndef S2MT_TOOL_MATRIX_H
#define S2MT_TOOL_MATRIX_H

#include <stdbool.h>

/* The properties, P1..P8, and P5b beside P5 (docs/matrix.md defines
 * each). */
enum mx_prop {
	MX_P1, /* a hazard Z1 or Z2 remains */
	MX_P2, /* a setup that works on real hardware is refused */
	MX_P3, /* an existing VMM breaks */
	MX_P4, /* the VMM must know the device */
	MX_P5, /* stage-1 attributes unknown at registration */
	MX_P6, /* userspace cannot tell the slot's stage-2 type */
	MX_P7, /* the flag promises what x86 cannot keep */
	MX_P8, /* migration to a weaker host is not detectable */
	MX_P5B, /* a registration check the VMA-late timing bypasses */
	MX_NR_PROPS,
};

/* The design columns: "6.9", "nc-blanket", "merged", "D1".."D5". */
#define MX_NR_COLUMNS 8

struct matrix;

/* A counterexample: the file it is written as, the twin configuration
 * the property compares it with (P3, P4, P5; else ""), and one line. */
struct mx_example {
	char file[48];
	char twin[48];
	char line[512];
};

/* Runs every configuration. NULL when out of memory; otherwise check
 * matrix_error(). */
struct matrix *matrix_run(void);
void matrix_free(struct matrix *m);
/* Non-empty: a generated configuration the loader refused although it
 * should not (a bug of the generator, not a finding). */
const char *matrix_error(const struct matrix *m);

const char *matrix_column_name(unsigned col);
const char *matrix_prop_id(unsigned prop); /* "P1" */
const char *matrix_prop_title(unsigned prop);

/* Configurations of a column that ran; that do not apply (nvgrace-gpu on
 * an x86 host); that wait for the model (an x86 host the loader
 * refuses). */
unsigned matrix_ran(const struct matrix *m, unsigned col);
unsigned matrix_not_applicable(const struct matrix *m, unsigned col);
unsigned matrix_pending(const struct matrix *m, unsigned col);
/* How many configurations of the column have the property; -1 when the
 * property cannot be computed yet (P7: the x86 facts of a run). */
int matrix_count(const struct matrix *m, unsigned col, unsigned prop);
/* Why a count is -1, else NULL. */
const char *matrix_pending_reason(const struct matrix *m, unsigned prop);
/* The first configuration in generation order with the property; false
 * when there is none. */
bool matrix_example(const struct matrix *m, unsigned col, unsigned prop,
		    struct mx_example *ex);
/* Writes every counterexample and its twin into dir (created if need
 * be); 0, or -1 with errno set. */
int matrix_write(const struct matrix *m, const char *dir);

unsigned matrix_runs(const struct matrix *m);
double matrix_seconds(const struct matrix *m);

#endif
