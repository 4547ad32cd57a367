/* SPDX-License-Identifier: MIT */
/* The s2mt command: shared declarations of its subcommands. */
#ifndef S2MT_TOOL_CLI_H
#define S2MT_TOOL_CLI_H

#include <stdbool.h>

/* Exit statuses: 0 all good, 1 hazard or failed expectation, 2 bad input. */
#define S2MT_EXIT_OK 0
#define S2MT_EXIT_FINDING 1
#define S2MT_EXIT_USAGE 2

int cmd_table(int argc, char **argv);
int cmd_combine(int argc, char **argv);

/* Prints "s2mt <cmd>: <msg>" to stderr and returns S2MT_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
