// SPDX-License-Identifier: MIT
/*
 * The rules belong to the project (tools/s2mt/rules.c, docs/rules.md):
 * every rule id the code can emit must resolve with `s2mt explain`, and
 * docs/rules.md must be what `s2mt explain --all --markdown` prints.
 *
 * The ids are found two ways: every string literal in src/ and
 * tools/s2mt/ that has the shape of a rule id (a letter of A, C, D, H, K,
 * M, X, Z and digits, or one of the tool's own words), and every "rule"
 * the goldens recorded from real runs of the examples.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
			buf[n] = 0;
			if (len)
				*len = (size_t)n;
		} else {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

/* Every match of re's first group in the files of dir ending in ext. */
static unsigned check_dir(const char *dir, const char *ext, const char *re,
			  unsigned *unknown)
{
	struct dirent *d;
	unsigned seen = 0;
	regex_t rx;
	DIR *dp = opendir(dir);

	assert_non_null(dp);
	assert_int_equal(regcomp(&rx, re, REG_EXTENDED), 0);
	while ((d = readdir(dp))) {
		size_t n = strlen(d->d_name), e = strlen(ext);
		char path[512], *text, *p;
		regmatch_t m[2];

		if (n <= e || strcmp(d->d_name + n - e, ext))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		text = slurp(path, NULL);
		assert_non_null(text);
		for (p = text; !regexec(&rx, p, 2, m, 0); p += m[0].rm_eo) {
			char id[32];
			size_t len = (size_t)(m[1].rm_eo - m[1].rm_so);

			if (len >= sizeof(id))
				continue;
			memcpy(id, p + m[1].rm_so, len);
			id[len] = 0;
			seen++;
			if (!cli_rule_known(id)) {
				print_error("%s: rule '%s' has no entry in "
					    "tools/s2mt/rules.c\n",
					    path, id);
				(*unknown)++;
			}
		}
		free(text);
	}
	regfree(&rx);
	closedir(dp);
	return seen;
}

/* The literals the code passes as rules. */
#define RULE_LITERAL "\"([ACDHKMXZ][0-9]+|C|D|K|model|scenario)\""

static void test_every_literal_resolves(void **state)
{
	static const char *const dirs[] = { "src/core", "src/model",
					    "tools/s2mt" };
	unsigned unknown = 0, seen = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		seen += check_dir(dirs[i], ".c", RULE_LITERAL, &unknown);
	/* The scan must find the ids it is about. */
	assert_true(seen > 100);
	assert_int_equal(unknown, 0);
}

static void test_every_recorded_rule_resolves(void **state)
{
	unsigned unknown = 0, seen;

	(void)state;
	seen = check_dir("tests/golden", ".json",
			 "\"rule\": \"([A-Za-z0-9]+)\"", &unknown);
	assert_true(seen > 100);
	assert_int_equal(unknown, 0);
}

static void test_unknown_ids_do_not_resolve(void **state)
{
	(void)state;
	assert_true(cli_rule_known("K2"));
	assert_true(cli_rule_known("z1"));
	assert_false(cli_rule_known("K9"));
	assert_false(cli_rule_known("Q3"));
	assert_false(cli_rule_known(""));
	assert_false(cli_rule_known(NULL));
}

static void test_docs_rules_md_is_generated(void **state)
{
	const char *bin = getenv("S2MT_BIN");
	char cmd[512], *want, *got;
	size_t n = 0, cap = 1 << 16;
	FILE *p;

	(void)state;
	if (!bin)
		skip();
	snprintf(cmd, sizeof(cmd), "%s explain --all --markdown", bin);
	p = popen(cmd, "r");
	assert_non_null(p);
	got = malloc(cap);
	assert_non_null(got);
	while (!feof(p)) {
		n += fread(got + n, 1, cap - n - 1, p);
		if (n + 1 >= cap) {
			cap *= 2;
			got = realloc(got, cap);
			assert_non_null(got);
		}
	}
	got[n] = 0;
	assert_int_equal(pclose(p), 0);
	want = slurp("docs/rules.md", NULL);
	assert_non_null(want);
	if (strcmp(want, got))
		fail_msg("docs/rules.md is not `s2mt explain --all "
			 "--markdown`: regenerate it");
	free(want);
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_literal_resolves),
		cmocka_unit_test(test_every_recorded_rule_resolves),
		cmocka_unit_test(test_unknown_ids_do_not_resolve),
		cmocka_unit_test(test_docs_rules_md_is_generated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
