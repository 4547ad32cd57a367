// SPDX-License-Identifier: MIT
/*
 * s2mt-probe: `s2mt probe` alone, a static aarch64 binary the conformance
 * boots run inside each real kernel (tools/conformance/README.md), so that
 * its facts are held to the machine it runs on.
 */
#include "cli.h"

int main(int argc, char **argv)
{
	return cmd_probe(argc, argv);
}
