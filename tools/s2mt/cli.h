/* SPDX-License-Identifier: MIT */
/* The s2mt command: shared declarations of its subcommands. */
#ifndef S2MT_TOOL_CLI_H
#define S2MT_TOOL_CLI_H

#include <stdbool.h>

/* Exit statuses: 0 all good, 1 hazard or failed expectation, 2 bad input. */
#define S2MT_EXIT_OK 0
#define S2MT_EXIT_FINDING 1
#define S2MT_EXIT_USAGE 2

struct scenario;

int cmd_table(int argc, char **argv);
int cmd_combine(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_advise(int argc, char **argv);
int cmd_map(int argc, char **argv);

/* Parses "[--json] FILE" and loads the scenario; 0 or an exit status
 * (bad input prints "FILE:LINE:COLUMN: ..." and gives 2). */
int cli_load(const char *cmd, int argc, char **argv, bool *json,
	     struct scenario *sc);

struct run;
/* Runs a loaded scenario in its own era; 0, or an exit status after
 * printing why the host could not be built. */
int cli_run(const struct scenario *sc, struct run *r);

/* Prints "s2mt <cmd>: <msg>" to stderr and returns S2MT_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
