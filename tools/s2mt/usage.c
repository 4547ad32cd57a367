// SPDX-License-Identifier: MIT
/* The one usage-error line every command prints (cli.h), shared by the
 * s2mt command and the probe built alone. */
#include <stdarg.h>
#include <stdio.h>

#include "cli.h"

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "s2mt %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return S2MT_EXIT_USAGE;
}
