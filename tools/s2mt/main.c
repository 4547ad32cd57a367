// SPDX-License-Identifier: MIT
/* s2mt: what memory type a stage-2 mapping gets, and what the guest sees. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <s2mt/core.h>

#include "cli.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *args, *summary, *details;
} commands[] = {
	{ "run", cmd_run, "[--json] [--strict] FILE",
	  "tell a scenario's story through the model: steps, stage-2 layout, "
	  "counts, hazards",
	  "FILE is a scenario (docs/scenario.md), or - for standard input.\n"
	  "  --json     the report as JSON (docs/json.md)\n"
	  "  --strict   hazard warnings (Z6) fail the run too\n" },
	{ "compare", cmd_compare, "[--json] [--kernels LIST] FILE",
	  "the same scenario under several kernels side by side",
	  "  --kernels 6.1,6.12.17,7.2   the kernels (uname -r); default: the "
	  "6.8, 6.9\n             and 6.17 rules\n"
	  "  --json     the table as JSON\n" },
	{ "designs", cmd_designs,
	  "[--json] FILE | --matrix [--json] [--out DIR]",
	  "the same scenario, or a generated space, under every uAPI design "
	  "the threads argued over",
	  "Columns: merged 6.9, nc-blanket, merged 6.17, D1-D5 "
	  "(docs/designs.md).\n"
	  "  --matrix   5016 generated setups, counts per property and a "
	  "counterexample\n             each (docs/matrix.md)\n"
	  "  --out DIR  write the counterexamples as scenarios `s2mt run` "
	  "reproduces\n" },
	{ "advise", cmd_advise, "[--json] FILE",
	  "stage-2 leaf sizes for device mmaps and the alignment that gives "
	  "1 GiB (K4)",
	  "" },
	{ "map", cmd_map, "FILE -o map.svg",
	  "a picture of the guest physical address space", "" },
	{ "table", cmd_table,
	  "[--fwb] [--arch arm64|x86-intel|x86-amd] [--json]",
	  "effective memory type for every stage-2 MemAttr x stage-1 class "
	  "(A5), or every KVM x86 leaf x guest PAT type (X1, X2)",
	  "" },
	{ "combine", cmd_combine,
	  "--s1 X --s2 Y [--fwb] [--s1-sh SH] [--s2-sh SH] [--json]",
	  "combine one pair and explain it (A3, A4)",
	  "stage-1 names: off, device-ngnrne, device-ngnre, device-ngre, "
	  "device-gre,\n  normal-nc, normal-wt, normal-wb, tagged, or a MAIR "
	  "byte (0x44)\n"
	  "stage-2 names: device-*, normal-nc, normal-wt, normal-wb, "
	  "force-wb, as-s1,\n  or a MemAttr value (0..15)\n" },
	{ "presets", cmd_presets, "",
	  "every host preset with its PA size, FWB, DIC, IDC, MTE and the CPU "
	  "it stands for",
	  "" },
	{ "probe", cmd_probe, "[--scenario]",
	  "this host as the model needs it: kernel, /dev/kvm, capability "
	  "243, CTR_EL0, FWB, vfio devices, hugetlb",
	  "One line per fact: PASS, WARN, FAIL or NOTE (exit 1 only on "
	  "FAIL).\n"
	  "  --scenario   a host: and devices: fragment `s2mt run` accepts "
	  "as it is\n"
	  "               (refused while a fact is unknown: nothing is "
	  "guessed)\n" },
	{ "explain", cmd_explain, "ID | --all [--markdown]",
	  "a rule the reports cite (K2, M3, Z1, ...), with its kernel version "
	  "and source",
	  "  --all        every rule\n"
	  "  --markdown   as docs/rules.md\n" },
};
#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char exit_text[] =
	"exit status: 0 ok; 1 a refused step, an error-grade hazard or a "
	"failed expectation;\n  2 bad input; 3 out of memory\n";

static void usage(FILE *f)
{
	fprintf(f, "usage: s2mt COMMAND [options]   (s2mt help COMMAND)\n\n");
	for (size_t i = 0; i < NR_COMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(f, "\n%s", exit_text);
}

static int command_help(const char *name)
{
	for (size_t i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(name, commands[i].name)) {
			printf("usage: s2mt %s %s\n\n%s.\n", name,
			       commands[i].args, commands[i].summary);
			if (commands[i].details[0])
				printf("\n%s", commands[i].details);
			printf("\n%s", exit_text);
			return S2MT_EXIT_OK;
		}
	fprintf(stderr, "s2mt help: unknown command '%s'\n", name);
	usage(stderr);
	return S2MT_EXIT_USAGE;
}

static bool asks_help(int argc, char **argv)
{
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	cli_install_oom_handler();
	if (argc < 2) {
		usage(stderr);
		return S2MT_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("s2mt %s\n", S2MT_VERSION);
		return S2MT_EXIT_OK;
	}
	if (!strcmp(argv[1], "help") && argc > 2)
		return command_help(argv[2]);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return S2MT_EXIT_OK;
	}
	for (size_t i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			return asks_help(argc, argv)
				? command_help(argv[1])
				: commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "s2mt: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return S2MT_EXIT_USAGE;
}
