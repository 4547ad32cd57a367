// SPDX-License-Identifier: MIT
/*
 * The scenario loader (docs/scenario.md).
 *
 * libyaml reads a file twice. First as events, to refuse what the document
 * API would accept but the loader must not: anchors and aliases (an alias
 * to an enclosing node makes a graph with a cycle), nesting deeper than
 * SC_MAX_DEPTH, a second document, and syntax or encoding errors with
 * libyaml's own mark. Then as a document, whose nodes are checked key by key
 * into struct scenario. A refusal is one message "FILE:LINE:COLUMN: what is
 * wrong", with the (1-based) mark of the offending node, or of the map that
 * lacks a required key; the scenario is then left zeroed.
 *
 * This file is the driver: the two passes, the top level, and the checks
 * that need more than one section. The sections are read by the other
 * scenario_*.c files (scenario_parse.h lists them).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "scenario_parse.h"

#define SC_MAX_DEPTH 64
#define SC_MAX_FILE_SIZE (16u << 20)

/* ------------------------------------------------------------------ */
/* Cross-checks                                                       */
/* ------------------------------------------------------------------ */

/*
 * What the host model will refuse when the runner builds the host (BARs
 * that do not fit the MMIO window, too many physical regions, a device
 * whose driver the kernel lacks): found here, so that a bad file never
 * half-runs. The host gets the scenario's own kernel, backports included:
 * the one its story runs on.
 */
static int check_host_model(struct ctx *c)
{
	struct scenario *sc = c->sc;
	struct s2mt_host *host = calloc(1, sizeof(*host));
	int err = 0;

	if (!host)
		return sc_fail_at(c, 1, 1, "out of memory");
	if (s2mt_host_init_caps(host, &sc->caps, sc->era, sc->ram)) {
		err = sc_fail_at(c, 1, 1, "host: %s", host->why);
		goto out;
	}
	if (s2mt_host_set_kernel(host, &sc->kernel)) {
		err = sc_fail(c, c->kernel_node, "kernel: %s", host->why);
		goto out;
	}
	for (size_t i = 0; i < sc->nr_devices; i++) {
		const struct sc_device *d = &sc->devices[i];
		int r;

		r = sc_host_add_device(host, d);
		if (r < 0) {
			err = sc_fail(c, c->device_nodes[i], "devices[%zu]: %s",
				      i, host->why);
			goto out;
		}
	}
out:
	free(host);
	return err;
}

/*
 * Without steps every mmap is mapped, in order: a fixed range over another
 * would silently replace it, so the definitions must not overlap. With
 * steps, mapping one over another (MAP_FIXED replaces) is part of the story.
 */
static int mmap_overlaps(struct ctx *c)
{
	const struct scenario *sc = c->sc;

	for (size_t i = 0; i < sc->nr_mmaps; i++) {
		const struct sc_mmap *m = &sc->mmaps[i];
		char p[PATH_LEN], pi[PATH_LEN];

		if (!m->fixed)
			continue;
		for (size_t j = 0; j < i; j++) {
			const struct sc_mmap *o = &sc->mmaps[j];

			if (!o->fixed || m->hva >= o->hva + o->size ||
			    o->hva >= m->hva + m->size)
				continue;
			return sc_fail(
				c, c->hva_nodes[i],
				"%s: [0x%" PRIx64 ", 0x%" PRIx64
				") overlaps mmap '%s' at [0x%" PRIx64
				", 0x%" PRIx64 ") (line %u); without "
				"steps every mmap is mapped",
				sc_pkey(p, sc_pidx(pi, "vmm.mmaps", i), "hva"),
				m->hva, m->hva + m->size, o->name, o->hva,
				o->hva + o->size, o->mark.line);
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The document                                                       */
/* ------------------------------------------------------------------ */

/* design: one of s2mt_design_name(), on a kernel that can have it. */
static int parse_design(struct ctx *c, const yaml_node_t *n)
{
	struct scenario *sc = c->sc;
	char s[SHOW_LEN], list[160] = "";
	unsigned d, base;

	for (unsigned i = 0; i < S2MT_DESIGN_COUNT_; i++) {
		strcat(list, i ? ", " : "");
		strcat(list, s2mt_design_name(i));
	}
	if (sc_want(c, n, "design", YAML_SCALAR_NODE, "a design name"))
		return -1;
	if (s2mt_design_parse(sval(n), &d))
		return sc_fail(c, n, "design: unknown design %s (one of %s)",
			       sc_show(n, s), list);
	base = s2mt_design_base_era(d);
	if (sc->era < base)
		return sc_fail(c, n,
			       "design: %s changes the rules of the %s era; "
			       "kernel %s predates it (give a kernel of at "
			       "least %s)",
			       s2mt_design_name(d), s2mt_era_name(base),
			       sc->kernel.release, s2mt_era_name(base));
	sc->design = d;
	return 0;
}

static int load_root(struct ctx *c, const yaml_node_t *root)
{
	static const char *const keys[] = { "name",   "description", "host",
					    "kernel", "design",	     "devices",
					    "vmm",    "guest",	     "steps",
					    "expect", NULL };
	struct scenario *sc = c->sc;
	const yaml_node_t *host, *kernel, *v;
	char s[SHOW_LEN];

	if (is_null(root))
		return sc_fail(c, root,
			       "empty document: a scenario is a map with "
			       "host, kernel and more");
	if (root->type != YAML_MAPPING_NODE)
		return sc_fail(c, root,
			       "top level: expected a map (host, kernel, ...), "
			       "got %s",
			       sc_show(root, s));
	if (sc_check_map(c, root, "", keys))
		return -1;
	host = sc_require(c, root, "", "host");
	if (!host)
		return -1;
	kernel = sc_require(c, root, "", "kernel");
	if (!kernel)
		return -1;
	sc->vm.mark = mark_of(root);
	v = sc_map_get(c, root, "name", NULL);
	if (v && sc_copy_text(c, v, "name", sc->name, sizeof(sc->name)))
		return -1;
	v = sc_map_get(c, root, "description", NULL);
	if (v &&
	    sc_copy_text(c, v, "description", sc->description,
			 sizeof(sc->description)))
		return -1;
	c->kernel_node = kernel;
	if (sc_get_kernel(c, kernel, "kernel", &sc->kernel))
		return -1;
	sc->era = s2mt_kernel_era(&sc->kernel);
	sc->era_given = true;
	v = sc_map_get(c, root, "design", NULL);
	if (v && parse_design(c, v))
		return -1;
	if (sc_parse_host(c, host))
		return -1;
	v = sc_map_get(c, root, "devices", NULL);
	if (v && sc_parse_devices(c, v))
		return -1;
	if (check_host_model(c))
		return -1;
	v = sc_map_get(c, root, "vmm", NULL);
	if (v && sc_parse_vmm(c, v))
		return -1;
	v = sc_map_get(c, root, "guest", NULL);
	if (v && sc_parse_guest(c, v))
		return -1;
	v = sc_map_get(c, root, "steps", NULL);
	if (v) {
		if (sc_parse_steps(c, v))
			return -1;
	} else {
		if (mmap_overlaps(c))
			return -1;
		sc_default_steps(sc);
	}
	v = sc_map_get(c, root, "expect", NULL);
	if (v && sc_parse_expect(c, v))
		return -1;
	return 0;
}

/* Line and column of a byte offset (reader errors carry no mark). */
static int fail_offset(struct ctx *c, size_t offset, const char *msg)
{
	size_t line = 1, column = 1;

	if (offset > c->len)
		offset = c->len;
	for (size_t i = 0; i < offset; i++) {
		unsigned char ch = (unsigned char)c->text[i];

		if (ch == '\n') {
			line++;
			column = 1;
		} else if ((ch & 0xc0) != 0x80) {
			column++;
		}
	}
	return sc_fail_at(c, line, column, "invalid input: %s", msg);
}

static int fail_yaml(struct ctx *c, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "unknown error";
	char msg[128];

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return sc_fail_at(c, 1, 1, "out of memory reading YAML");
	case YAML_READER_ERROR:
		if (p->problem_value == -1)
			snprintf(msg, sizeof(msg), "%s", problem);
		else
			snprintf(msg, sizeof(msg), "%s (0x%02X)", problem,
				 (unsigned)p->problem_value);
		return fail_offset(c, p->problem_offset, msg);
	default:
		if (p->context)
			return sc_fail_at(
				c, p->problem_mark.line + 1,
				p->problem_mark.column + 1,
				"YAML syntax error: %s, %s at line %zu "
				"column %zu",
				problem, p->context, p->context_mark.line + 1,
				p->context_mark.column + 1);
		return sc_fail_at(c, p->problem_mark.line + 1,
				  p->problem_mark.column + 1,
				  "YAML syntax error: %s", problem);
	}
}

/* "alias '*ram'" / "anchor '&ram'" */
static int fail_event(struct ctx *c, const yaml_event_t *ev, const char *what,
		      char sigil, const yaml_char_t *name)
{
	unsigned char text[48];
	char q[SHOW_LEN];
	size_t n = name ? strlen((const char *)name) : 0;

	text[0] = (unsigned char)sigil;
	if (n > sizeof(text) - 1)
		n = sizeof(text) - 1;
	if (n)
		memcpy(text + 1, name, n);
	return sc_fail_at(c, ev->start_mark.line + 1, ev->start_mark.column + 1,
			  "%s %s: anchors and aliases are not supported (write "
			  "the value out)",
			  what, sc_quote(q, sizeof(q), text, n + 1));
}

/*
 * The event pass: syntax and encoding errors, anchors and aliases, depth,
 * more than one document, no document.
 */
static int prescan(struct ctx *c)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	int depth = 0, docs = 0, err = 0;
	bool done = false;

	if (!yaml_parser_initialize(&parser))
		return sc_fail_at(c, 1, 1, "out of memory reading YAML");
	yaml_parser_set_input_string(&parser, (const unsigned char *)c->text,
				     c->len);
	while (!done && !err) {
		const yaml_char_t *anchor = NULL;

		if (!yaml_parser_parse(&parser, &ev)) {
			err = fail_yaml(c, &parser);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				err = sc_fail_at(c, ev.start_mark.line + 1,
						 ev.start_mark.column + 1,
						 "more than one document: a "
						 "scenario file holds one");
			break;
		case YAML_ALIAS_EVENT:
			err = fail_event(c, &ev, "alias", '*',
					 ev.data.alias.anchor);
			break;
		case YAML_SCALAR_EVENT:
			anchor = ev.data.scalar.anchor;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			anchor = ev.type == YAML_SEQUENCE_START_EVENT
				? ev.data.sequence_start.anchor
				: ev.data.mapping_start.anchor;
			if (++depth > SC_MAX_DEPTH)
				err = sc_fail_at(c, ev.start_mark.line + 1,
						 ev.start_mark.column + 1,
						 "nested deeper than %d levels",
						 SC_MAX_DEPTH);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		default:
			break;
		}
		if (anchor && !err)
			err = fail_event(c, &ev, "anchor", '&', anchor);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	if (!err && !docs)
		err = sc_fail_at(
			c, 1, 1,
			"empty document: a scenario is a map with host, "
			"kernel and more");
	return err;
}

static int load(struct ctx *c)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	const yaml_node_t *root;
	int err;

	if (prescan(c))
		return -1;
	if (!yaml_parser_initialize(&parser))
		return sc_fail_at(c, 1, 1, "out of memory reading YAML");
	yaml_parser_set_input_string(&parser, (const unsigned char *)c->text,
				     c->len);
	if (!yaml_parser_load(&parser, &doc)) {
		/* yaml_parser_load() frees the document on failure. */
		err = fail_yaml(c, &parser);
		yaml_parser_delete(&parser);
		return err;
	}
	yaml_parser_delete(&parser);
	c->doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (!root)
		err = sc_fail_at(
			c, 1, 1,
			"empty document: a scenario is a map with host, "
			"kernel and more");
	else
		err = load_root(c, root);
	c->doc = NULL;
	yaml_document_delete(&doc);
	return err;
}

int scenario_load_buffer(const char *name, const char *text, size_t len,
			 struct scenario *sc, char *err, size_t errlen)
{
	struct ctx c = {
		.file = name && *name ? name : "<buffer>",
		.text = text ? text : "",
		.len = text ? len : 0,
		.sc = sc,
		.err = err,
		.errlen = errlen,
	};

	if (err && errlen)
		err[0] = '\0';
	if (!sc)
		return sc_fail_at(&c, 1, 1, "internal error: no scenario");
	memset(sc, 0, sizeof(*sc));
	if (!load(&c)) {
		snprintf(sc->file, sizeof(sc->file), "%s", c.file);
		return 0;
	}
	if (!c.failed)
		sc_fail_at(&c, 1, 1, "invalid scenario");
	memset(sc, 0, sizeof(*sc));
	return -1;
}

int scenario_load_file(const char *path, struct scenario *sc, char *err,
		       size_t errlen)
{
	struct ctx c = { .file = path ? path : "<null>",
			 .err = err,
			 .errlen = errlen };
	size_t len = 0, cap = 0;
	char *buf = NULL;
	FILE *f;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (sc)
		memset(sc, 0, sizeof(*sc));
	/* "-": standard input, named "<stdin>" in messages. */
	if (path && !strcmp(path, "-")) {
		c.file = path = "<stdin>";
		f = stdin;
	} else {
		f = path ? fopen(path, "rb") : NULL;
	}
	if (!f)
		return sc_fail_at(&c, 1, 1, "cannot open: %s",
				  strerror(path ? errno : EINVAL));
	for (;;) {
		size_t n;

		if (len == cap) {
			char *nb;

			if (len > SC_MAX_FILE_SIZE) {
				rc = sc_fail_at(&c, 1, 1,
						"larger than %u bytes: not a "
						"scenario",
						SC_MAX_FILE_SIZE);
				goto out;
			}
			cap = cap ? cap * 2 : 8192;
			if (cap > SC_MAX_FILE_SIZE + 1)
				cap = SC_MAX_FILE_SIZE + 1;
			nb = realloc(buf, cap);
			if (!nb) {
				rc = sc_fail_at(&c, 1, 1, "out of memory");
				goto out;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n)
			continue;
		if (ferror(f)) {
			rc = sc_fail_at(&c, 1, 1, "cannot read: %s",
					strerror(errno));
			goto out;
		}
		break;
	}
	if (len > SC_MAX_FILE_SIZE) {
		rc = sc_fail_at(&c, 1, 1,
				"larger than %u bytes: not a scenario",
				SC_MAX_FILE_SIZE);
		goto out;
	}
	rc = scenario_load_buffer(path, buf, len, sc, err, errlen);
out:
	if (f != stdin)
		fclose(f);
	free(buf);
	return rc;
}
