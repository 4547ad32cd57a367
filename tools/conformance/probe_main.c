// SPDX-License-Identifier: MIT
/*
 * s2mt-probe: `s2mt probe` alone, a static aarch64 binary the conformance
 * boots run inside each real kernel (tools/conformance/README.md), so that
 * its facts are held to the machine it runs on.
 */
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

int main(int argc, char **argv)
{
	return cmd_probe(argc, argv);
}
