/* SPDX-License-Identifier: MIT */
/* The s2mt command: shared declarations of its subcommands. */
#ifndef S2MT_TOOL_CLI_H
#define S2MT_TOOL_CLI_H

#include <stdbool.h>

/* Exit statuses: 0 all good, 1 a failing step, an error-grade hazard or a
 * failed expectation, 2 bad input, 3 out of memory (the host ran out, or
 * the story would need more than the host has: the message says how
 * much). */
#define S2MT_EXIT_OK 0
#define S2MT_EXIT_FINDING 1
#define S2MT_EXIT_USAGE 2
#define S2MT_EXIT_OOM 3

struct scenario;

int cmd_table(int argc, char **argv);
int cmd_combine(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_advise(int argc, char **argv);
int cmd_map(int argc, char **argv);
int cmd_designs(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_presets(int argc, char **argv);
/* cmd_presets.c: the CPU a host preset stands for, or NULL. */
const char *cli_preset_stands_for(const char *name);
/* rules.c: whether `s2mt explain` knows a rule id. */
bool cli_rule_known(const char *id);
int cmd_designs_matrix(int argc, char **argv);

/* Parses "[--json] FILE" and loads the scenario; 0 or an exit status
 * (bad input prints "FILE:LINE:COLUMN: ..." and gives 2). */
int cli_load(const char *cmd, int argc, char **argv, bool *json,
	     struct scenario *sc);

/* --strict: hazard warnings fail the run too. */
extern bool cli_strict;
/* compare --kernels LIST: comma-separated releases (uname -r). */
extern const char *cli_kernels;

struct run;
/* Runs a loaded scenario in its own era; 0, or an exit status after
 * printing why the host could not be built. */
int cli_run(const struct scenario *sc, struct run *r);
/* The same in a given era, without the memory check. */
int cli_run_era(const struct scenario *sc, unsigned era, struct run *r);

/* resources.c: the model's out-of-memory handler for the command (prints
 * what ran out, exits S2MT_EXIT_OOM); the memory a story would need at
 * most against what the host has (0, or S2MT_EXIT_OOM after saying so);
 * progress on stderr when it is a terminal. */
void cli_install_oom_handler(void);
int cli_check_memory(const struct scenario *sc, unsigned nr_runs);
void cli_progress_begin(struct run *r, const char *what);
void cli_progress_end(struct run *r);

/* map.c: how wide a text is in the picture's font (DejaVu Sans, or its
 * bold) at size px, from its advance widths; the map wraps and stacks its
 * labels by it, and tests/test_map.c measures the SVG with it. */
double map_text_width(const char *s, double size, bool bold);

/* Prints "s2mt <cmd>: <msg>" to stderr and returns S2MT_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
