// SPDX-License-Identifier: MIT
/* s2mt presets: every host preset, what it has, and the CPU it stands for
 * (docs/presets.md). The model holds the features; what each stands for
 * is said here, and tests/test_cli.c requires a line for every preset. */
#include <stdio.h>
#include <string.h>

#include <s2mt/model.h>

#include "cli.h"

static const struct {
	const char *name, *stands_for;
} stands[] = {
	{ "grace-hopper", "NVIDIA Grace (Neoverse V2), Grace-Hopper hosts" },
	{ "no-fwb", "Cortex-A57/A72-class hosts (e.g. Kunpeng 920)" },
	{ "fwb-no-dic", "a host with FWB whose CTR_EL0.DIC reads 0" },
	{ "qemu-max", "QEMU 7.2 -cpu max (Debian 12)" },
	{ "qemu10-max", "QEMU 10.0 -cpu max" },
	{ "neoverse-v1", "QEMU 10.0 -cpu neoverse-v1 (Neoverse V1)" },
	{ "cortex-a710", "QEMU 10.0 -cpu cortex-a710 (FWB without DIC)" },
	{ "x86-intel", "an Intel x86 host (EPT), for contrast" },
	{ "x86-amd", "an AMD x86 host (NPT), for contrast" },
};

const char *cli_preset_stands_for(const char *name)
{
	for (size_t i = 0; i < sizeof(stands) / sizeof(stands[0]); i++)
		if (!strcmp(stands[i].name, name))
			return stands[i].stands_for;
	return NULL;
}

static const char *yn(bool v)
{
	return v ? "yes" : "no";
}

int cmd_presets(int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return cli_usage_error("presets", "takes no arguments");
	printf("%-13s %-5s %-4s %-4s %-4s %-4s %-4s %-4s %-8s %s\n", "preset",
	       "arch", "PA", "LPA2", "FWB", "DIC", "IDC", "MTE", "cap 243",
	       "stands for");
	for (size_t i = 0; s2mt_host_presets[i]; i++) {
		struct s2mt_preset_info p;
		const char *what = cli_preset_stands_for(s2mt_host_presets[i]);

		if (s2mt_host_preset_info(s2mt_host_presets[i], &p))
			continue;
		if (p.arch != S2MT_ARCH_ARM64) {
			printf("%-13s %-5s %-4s %-4s %-4s %-4s %-4s %-4s %-8s "
			       "%s\n",
			       p.name, "x86", "-", "-", "-", "-", "-", "-", "0",
			       what ? what : "?");
			continue;
		}
		printf("%-13s %-5s %-4u %-4s %-4s %-4s %-4s %-4s %-8s %s\n",
		       p.name, "arm64", p.parange, yn(p.lpa2), yn(p.caps.fwb),
		       yn(p.caps.dic), yn(p.caps.idc), yn(p.caps.mte),
		       s2mt_host_cacheable_pfnmap(&p.caps) ? "1" : "0",
		       what ? what : "?");
	}
	printf("\nPA: the CPU's PARange in bits; the IPA limit is that, capped "
	       "at 48 without\nLPA2. cap 243: what a 6.17+ kernel answers on "
	       "a VM (s2mt explain C1).\nA scenario takes `host: {preset: "
	       "NAME}`, `host: {features: {...}}`, or\n`host: {arch: "
	       "x86-intel}` (docs/presets.md).\n");
	return S2MT_EXIT_OK;
}
