// SPDX-License-Identifier: MIT
/*
 * s2mt-conformance: the host side of "hold the model to real KVM".
 *   model   --era E --preset P SCRIPT      the model's answers, "ID RESULT"
 *   compare --era E --preset P --real FILE --known FILE --label L SCRIPT
 * compare prints operation, real, model, verdict for every operation, and
 * after each guest access its stage-2 leaf (ID/s2: size, memory type,
 * S2AP, XN) as read from the running kernel and from the model.
 * Disagreements fail unless known-differences lists them (per label, with a
 * reason); a listed difference that no longer differs fails too, so the
 * list stays true.
 */
#include <fnmatch.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_model.h"

#define MAX_OPS 512

struct result {
	char id[40];
	char text[160]; /* the operation, for the table */
	char model[64], real[64];
	bool has_model, has_real;
	const char *known; /* reason, if listed */
	bool known_used;
};

static struct result results[MAX_OPS];
static size_t nr_results;

static struct result *result(const char *id)
{
	for (size_t i = 0; i < nr_results; i++)
		if (!strcmp(results[i].id, id))
			return &results[i];
	if (nr_results == MAX_OPS)
		return NULL;
	snprintf(results[nr_results].id, sizeof(results[0].id), "%s", id);
	return &results[nr_results++];
}

static void emit_model(void *arg, const char *id, const char *res)
{
	struct result *r = result(id);

	(void)arg;
	if (r) {
		snprintf(r->model, sizeof(r->model), "%s", res);
		r->has_model = true;
	}
}

static void emit_print(void *arg, const char *id, const char *res)
{
	(void)arg;
	printf("%s %s\n", id, res);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	long n;
	char *buf;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* The script's lines, for the table's "operation" column. */
static void index_script(const char *text)
{
	const char *p = text;

	while (*p) {
		size_t n = strcspn(p, "\n");
		char line[256], id[40];
		int off = 0;

		snprintf(line, sizeof(line), "%.*s", (int)(n < 255 ? n : 255),
			 p);
		p += n + (p[n] == '\n');
		if (line[0] == '#' || sscanf(line, "%39s %n", id, &off) != 1 ||
		    !off)
			continue;
		struct result *r = result(id);
		char *hash = strchr(line + off, '#');

		if (hash)
			*hash = '\0';
		if (r)
			snprintf(r->text, sizeof(r->text), "%s", line + off);
		/* An access's stage-2 leaf: the next row (ID/s2). */
		if (r && !strncmp(line + off, "access ", 7)) {
			char leaf[48];

			snprintf(leaf, sizeof(leaf), "%s/s2", id);
			r = result(leaf);
			if (r)
				snprintf(r->text, sizeof(r->text),
					 "  its stage-2 leaf");
		}
	}
}

static void trim(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\r' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "era", required_argument, 0, 'e' },
		{ "preset", required_argument, 0, 'p' },
		{ "real", required_argument, 0, 'r' },
		{ "known", required_argument, 0, 'k' },
		{ "label", required_argument, 0, 'l' },
		{ "kernel", required_argument, 0, 'K' },
		{ "thp", required_argument, 0, 'T' },
		{ "thp-zero-page", required_argument, 0, 'Z' },
		{ 0, 0, 0, 0 },
	};
	const char *era_text = NULL, *preset = NULL, *real = NULL,
		   *known = NULL, *label = "run", *mode, *release = NULL,
		   *thp = NULL, *zero_page = NULL;
	struct s2mt_kernel kernel;
	struct model_backend *m = calloc(1, sizeof(*m));
	char err[256], *script, *text;
	unsigned era;
	size_t agree = 0, listed = 0, differ = 0, stale = 0, missing = 0;
	int c;

	if (argc < 2 || !m) {
		fprintf(stderr, "usage: s2mt-conformance model|compare ...\n");
		return 2;
	}
	mode = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			era_text = optarg;
			break;
		case 'p':
			preset = optarg;
			break;
		case 'r':
			real = optarg;
			break;
		case 'k':
			known = optarg;
			break;
		case 'l':
			label = optarg;
			break;
		case 'K':
			release = optarg;
			break;
		case 'T':
			thp = optarg;
			break;
		case 'Z':
			zero_page = optarg;
			break;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc || !era_text || !preset ||
	    s2mt_era_parse(era_text, &era)) {
		fprintf(stderr,
			"s2mt-conformance: need --era 6.8|6.9|6.17, "
			"--preset and one SCRIPT\n");
		return 2;
	}
	/* The booted kernel's own release, when known: its finer boundaries
	 * (REGION2 in 6.8, MTE and shared memory in 6.2, stable fixes). */
	if (release && s2mt_kernel_parse(release, &kernel, err, sizeof(err))) {
		fprintf(stderr, "s2mt-conformance: --kernel: %s\n", err);
		return 2;
	}
	if (release && s2mt_kernel_era(&kernel) != era) {
		fprintf(stderr,
			"s2mt-conformance: kernel %s has the %s rules, not "
			"--era %s\n",
			release, s2mt_era_name(s2mt_kernel_era(&kernel)),
			era_text);
		return 2;
	}
	script = slurp(argv[optind]);
	if (!script) {
		perror(argv[optind]);
		return 2;
	}
	if (model_backend_init(m, preset, era, release ? &kernel : NULL)) {
		fprintf(stderr, "s2mt-conformance: cannot build host %s\n",
			preset);
		return 2;
	}
	/* H6: the booted kernel's THP mode and huge zero page, as its
	 * /sys/kernel/mm/transparent_hugepage showed them. */
	if (thp) {
		int t = s2mt_thp_mode_parse(thp);

		if (t < 0) {
			fprintf(stderr,
				"s2mt-conformance: --thp: '%s' is not always, "
				"madvise or never\n",
				thp);
			return 2;
		}
		m->host.thp = (unsigned)t;
	}
	if (zero_page) {
		if (strcmp(zero_page, "0") && strcmp(zero_page, "1")) {
			fprintf(stderr,
				"s2mt-conformance: --thp-zero-page: '%s' is "
				"not 0 or 1\n",
				zero_page);
			return 2;
		}
		m->host.thp_zero_page = zero_page[0] == '1';
	}
	if (!strcmp(mode, "model")) {
		if (s2mt_vmm_run_script(script, &s2mt_vmm_model_ops, m,
					emit_print, NULL, err, sizeof(err))) {
			fprintf(stderr, "%s: %s\n", argv[optind], err);
			return 2;
		}
		return 0;
	}
	if (strcmp(mode, "compare") || !real) {
		fprintf(stderr, "s2mt-conformance: compare needs --real\n");
		return 2;
	}
	index_script(script);
	if (s2mt_vmm_run_script(script, &s2mt_vmm_model_ops, m, emit_model,
				NULL, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", argv[optind], err);
		return 2;
	}
	text = slurp(real);
	if (!text) {
		perror(real);
		return 2;
	}
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char id[40], res[64];

		if (!strncmp(line, "S2MT-CONF ", 10))
			line += 10;
		if (sscanf(line, "%39s %63[^\n]", id, res) == 2) {
			struct result *r = result(id);

			trim(res);
			if (r) {
				snprintf(r->real, sizeof(r->real), "%s", res);
				r->has_real = true;
			}
		}
	}
	if (known) {
		char *k = slurp(known);

		for (char *line = k ? strtok(k, "\n") : NULL; line;
		     line = strtok(NULL, "\n")) {
			char lab[40], id[40];
			int off = 0;

			if (line[0] == '#' ||
			    sscanf(line, "%39s %39s %n", lab, id, &off) != 2)
				continue;
			if (fnmatch(lab, label, 0))
				continue;
			struct result *r = result(id);

			if (r)
				r->known = strdup(line + off);
		}
		free(k);
	}
	printf("conformance %s (model: kernel %s, era %s, preset %s)\n", label,
	       release ? release : "-", era_text, preset);
	printf("%-19s %-42s %-22s %-22s %s\n", "id", "operation", "real",
	       "model", "verdict");
	for (size_t i = 0; i < nr_results; i++) {
		struct result *r = &results[i];
		const char *verdict;

		if (!r->has_model && !r->text[0])
			continue;
		if (!r->has_real) {
			verdict = "MISSING (no real answer)";
			missing++;
		} else if (!strcmp(r->real, r->model)) {
			if (r->known) {
				verdict = "STALE (listed as different, "
					  "agrees now)";
				stale++;
			} else {
				verdict = "agree";
				agree++;
			}
		} else if (r->known) {
			verdict = "known difference";
			listed++;
		} else {
			verdict = "DIFFER";
			differ++;
		}
		printf("%-19s %-42.42s %-22s %-22s %s\n", r->id, r->text,
		       r->has_real ? r->real : "-", r->model, verdict);
		if (r->known && r->has_real && strcmp(r->real, r->model))
			printf("%-19s   why: %s\n", "", r->known);
	}
	printf("conformance %s: %zu operations, %zu agree, %zu known "
	       "differences, %zu differ, %zu stale, %zu missing\n",
	       label, agree + listed + differ + stale + missing, agree, listed,
	       differ, stale, missing);
	printf("%s: %zu passed, %zu failed\n", label, agree + listed,
	       differ + stale + missing);
	model_backend_fini(m);
	return differ || stale || missing ? 1 : 0;
}
