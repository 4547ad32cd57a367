// SPDX-License-Identifier: MIT
/* s2mt: what memory type a stage-2 mapping gets, and what the guest sees. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "table", cmd_table,
	  "[--fwb] [--arch arm64|x86-intel|x86-amd] [--json]   effective "
	  "memory type for every stage-2 MemAttr x stage-1 class (A5), or "
	  "for every KVM x86 leaf x guest PAT type (X1, X2)" },
	{ "combine", cmd_combine,
	  "--s1 X --s2 Y [--fwb] [--s1-sh SH] [--s2-sh SH] [--json]   "
	  "combine one pair and explain it (A3/A4)" },
	{ "run", cmd_run,
	  "[--json] FILE   tell a scenario's story through the model: steps, "
	  "stage-2 layout, counts, hazards" },
	{ "compare", cmd_compare,
	  "[--json] FILE   the same scenario in kernel eras 6.8, 6.9 and 6.17 "
	  "side by side" },
	{ "advise", cmd_advise,
	  "[--json] FILE   stage-2 leaf sizes for device mmaps and the "
	  "alignment that gives 1 GiB (K4)" },
	{ "designs", cmd_designs,
	  "[--json] FILE | --matrix [--json] [--out DIR]   the same "
	  "scenario, or a generated space (docs/matrix.md), under every uAPI "
	  "design the threads argued over (docs/designs.md)" },
	{ "explain", cmd_explain,
	  "ID | --all [--markdown]   a rule the reports cite (K2, M3, Z1, "
	  "...), in the project's words, with its kernel version and "
	  "source (docs/rules.md)" },
	{ "map", cmd_map,
	  "FILE -o map.svg   a picture of the guest physical address space" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: s2mt COMMAND [options]\n\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  s2mt %s %s\n", commands[i].name,
			commands[i].help);
	fprintf(f,
		"\nstage-1 names: off, device-ngnrne, device-ngnre, "
		"device-ngre, device-gre,\n  normal-nc, normal-wt, "
		"normal-wb, tagged, or a MAIR byte (0x44)\n"
		"stage-2 names: device-*, normal-nc, normal-wt, "
		"normal-wb, force-wb, as-s1,\n  or a MemAttr value (0..15)\n"
		"exit status: 0 ok, 1 hazard or failed expectation, "
		"2 bad input\n");
}

int main(int argc, char **argv)
{
	cli_install_oom_handler();
	if (argc < 2) {
		usage(stderr);
		return S2MT_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return S2MT_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "s2mt: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return S2MT_EXIT_USAGE;
}
