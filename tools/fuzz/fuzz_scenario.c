// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the scenario loader (tools/s2mt/scenario*.c). Build
 * it with clang, -fsanitize=fuzzer,address,undefined, -Iinclude and
 * -Itools/s2mt, linking tools/s2mt/scenario*.c, the core and model sources
 * (src/core, src/model) and -lyaml; run it on a corpus directory such as
 * the files of examples/ and tests/data/bad/.
 *
 * Any input must load (0) or be refused (-1) with one "FILE:LINE:COLUMN: "
 * message; the loader must not crash, leak or read past the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct scenario sc;

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "fuzz.yaml:LINE:COLUMN: " followed by a one-line message. */
static int well_formed(const char *msg)
{
	const char *p = msg;

	if (strncmp(p, "fuzz.yaml:", 10))
		return 0;
	p += 10;
	if (!is_digit(*p))
		return 0;
	while (is_digit(*p))
		p++;
	if (*p++ != ':' || !is_digit(*p))
		return 0;
	while (is_digit(*p))
		p++;
	return p[0] == ':' && p[1] == ' ' && p[2] && !strchr(msg, '\n');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	char *text = malloc(size + 1);
	int rc;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	rc = scenario_load_buffer("fuzz.yaml", text, size, &sc, err,
				  sizeof(err));
	if (rc != 0 && (rc != -1 || !well_formed(err))) {
		fprintf(stderr, "scenario_load_buffer: rc %d, message '%s'\n",
			rc, err);
		abort();
	}
	free(text);
	return 0;
}
