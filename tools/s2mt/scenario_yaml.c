// SPDX-License-Identifier: MIT
/*
 * The scenario loader's messages and checked maps (scenario_parse.h).
 *
 * Every refusal goes through sc_fail_at(): one message "FILE:LINE:COLUMN:
 * what is wrong", and only the first, so that a caller can return -1 at
 * once without caring whether a callee already reported. Values appear in
 * messages as written (sc_show()), cut and with control characters masked,
 * so a message stays one printable line whatever the input.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "scenario_parse.h"

/* ------------------------------------------------------------------ */
/* Messages                                                           */
/* ------------------------------------------------------------------ */

static int vfail_at(struct ctx *c, size_t line, size_t column, const char *fmt,
		    va_list ap)
{
	int n;

	if (c->failed)
		return -1;
	c->failed = true;
	if (!c->err || !c->errlen)
		return -1;
	n = snprintf(c->err, c->errlen, "%s:%zu:%zu: ", c->file, line, column);
	if (n >= 0 && (size_t)n < c->errlen)
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	return -1;
}

int __attribute__((format(printf, 4, 5)))
sc_fail_at(struct ctx *c, size_t line, size_t column, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_at(c, line, column, fmt, ap);
	va_end(ap);
	return -1;
}

/* A message at a node's mark. */
int __attribute__((format(printf, 3, 4)))
sc_fail(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_at(c, n->start_mark.line + 1, n->start_mark.column + 1, fmt, ap);
	va_end(ap);
	return -1;
}

/* 'text' as written (control characters as '?'), cut at 40 bytes. */
const char *sc_quote(char *buf, size_t len, const unsigned char *s, size_t n)
{
	size_t o = 0, i;

	buf[o++] = '\'';
	for (i = 0; i < n && i < 40 && o + 6 < len; i++)
		buf[o++] = s[i] < 0x20 || s[i] == 0x7f ? '?' : (char)s[i];
	if (i < n) {
		/* Do not leave half a UTF-8 sequence. */
		size_t lead = o, need;
		unsigned char ch;

		while (lead > 1 &&
		       ((unsigned char)buf[lead - 1] & 0xc0) == 0x80)
			lead--;
		ch = lead > 1 ? (unsigned char)buf[lead - 1] : 0;
		need = ch >= 0xf0 ? 4 : ch >= 0xe0 ? 3 : 2;
		if (ch >= 0xc0 && o - (lead - 1) < need)
			o = lead - 1;
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '\'';
	buf[o] = '\0';
	return buf;
}

/* What a node is, for "expected X, got Y". */
const char *sc_show(const yaml_node_t *n, char buf[SHOW_LEN])
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a map";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_SCALAR_NODE:
		if (!n->data.scalar.length)
			return "an empty value";
		return sc_quote(buf, SHOW_LEN, n->data.scalar.value,
				n->data.scalar.length);
	default:
		return "nothing";
	}
}

/* "a, b, c" */
const char *sc_join(const char *const *list, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; list[i]; i++) {
		int n = snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
				 list[i]);

		if (n < 0 || (size_t)n >= len - o)
			break;
		o += (size_t)n;
	}
	return buf;
}

/* buf = a b c, cut to PATH_LEN (paths are short; a cut one is harmless). */
static const char *pcat(char buf[PATH_LEN], const char *a, const char *b,
			const char *c)
{
	const char *parts[] = { a, b, c };
	size_t o = 0;

	for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
		for (const char *s = parts[i]; *s && o < PATH_LEN - 1; s++)
			buf[o++] = *s;
	buf[o] = '\0';
	return buf;
}

const char *sc_pkey(char buf[PATH_LEN], const char *path, const char *key)
{
	return pcat(buf, path, *path ? "." : "", key);
}

const char *sc_pidx(char buf[PATH_LEN], const char *path, size_t i)
{
	char idx[24];

	snprintf(idx, sizeof(idx), "[%zu]", i);
	return pcat(buf, path, idx, "");
}

/* ------------------------------------------------------------------ */
/* Maps                                                               */
/* ------------------------------------------------------------------ */

int sc_broken(struct ctx *c)
{
	return sc_fail_at(c, 1, 1,
			  "internal error: inconsistent YAML document");
}

/*
 * Checks that n is a map whose keys are unique strings from allowed.
 */
/* Levenshtein distance, case-insensitive, of two short strings (longer
 * ones count as far apart). */
static size_t edit_distance(const char *a, size_t la, const char *b)
{
	size_t lb = strlen(b), row[64], i, j;

	if (la >= 63 || lb >= 63)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = tolower((unsigned char)a[i - 1]) !=
				tolower((unsigned char)b[j - 1]);
			size_t best = diag + cost;

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const char *sc_suggest(const yaml_node_t *n, const char *const *names,
		       char *buf, size_t len)
{
	size_t best = SIZE_MAX, limit;
	const char *pick = NULL;
	bool tie = false;

	buf[0] = 0;
	if (!is_scalar(n) || !slen(n))
		return buf;
	/* A typo: one edit in a short word, two from five letters on. */
	limit = slen(n) < 5 ? 1 : 2;
	for (size_t i = 0; names[i]; i++) {
		size_t d = edit_distance(sval(n), slen(n), names[i]);

		if (d < best) {
			best = d;
			pick = names[i];
			tie = false;
		} else if (d == best) {
			tie = true;
		}
	}
	if (pick && best <= limit && !tie)
		snprintf(buf, len, "; did you mean '%s'?", pick);
	return buf;
}

int sc_check_map(struct ctx *c, const yaml_node_t *n, const char *path,
		 const char *const *allowed)
{
	const yaml_node_pair_t *p, *q;
	char s[SHOW_LEN], list[LIST_LEN];

	if (n->type != YAML_MAPPING_NODE)
		return sc_fail(c, n, "%s: expected a map, got %s", where(path),
			       sc_show(n, s));
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *k = node_get(c, p->key);

		if (!k || !node_get(c, p->value))
			return sc_broken(c);
		if (!is_scalar(k))
			return sc_fail(c, k,
				       "%s: a key must be a string, got %s",
				       where(path), sc_show(k, s));
		if (!in_list(allowed, k)) {
			char hint[80];

			return sc_fail(
				c, k, "%s: unknown key %s%s (allowed: %s)",
				where(path), sc_show(k, s),
				sc_suggest(k, allowed, hint, sizeof(hint)),
				sc_join(allowed, list, sizeof(list)));
		}
		for (q = n->data.mapping.pairs.start; q < p; q++) {
			const yaml_node_t *kq = node_get(c, q->key);

			if (kq && same_scalar(kq, k))
				return sc_fail(c, k,
					       "%s: duplicate key %s (first at "
					       "line %zu)",
					       where(path), sc_show(k, s),
					       line_of(kq));
		}
	}
	return 0;
}

/* The value of key in a checked map, or NULL; *keynode gets the key. */
const yaml_node_t *sc_map_get(struct ctx *c, const yaml_node_t *map,
			      const char *key, const yaml_node_t **keynode)
{
	const yaml_node_pair_t *p;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *k = node_get(c, p->key);

		if (k && scalar_is(k, key)) {
			if (keynode)
				*keynode = k;
			return node_get(c, p->value);
		}
	}
	return NULL;
}

const yaml_node_t *sc_require(struct ctx *c, const yaml_node_t *map,
			      const char *path, const char *key)
{
	const yaml_node_t *v = sc_map_get(c, map, key, NULL);

	if (!v)
		sc_fail(c, map, "%s: missing required key '%s'", where(path),
			key);
	return v;
}

/* Keys of a checked map that are not for this kind of entry. */
int sc_check_subset(struct ctx *c, const yaml_node_t *map, const char *path,
		    const char *const *allowed, const char *what)
{
	const yaml_node_pair_t *p;
	char list[LIST_LEN];

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *k = node_get(c, p->key);

		if (!k)
			return sc_broken(c);
		if (!in_list(allowed, k))
			return sc_fail(
				c, k,
				"%s: '%s' does not apply to %s (allowed: "
				"%s)",
				path, sval(k), what,
				sc_join(allowed, list, sizeof(list)));
	}
	return 0;
}

int sc_want(struct ctx *c, const yaml_node_t *n, const char *path,
	    yaml_node_type_t type, const char *what)
{
	char s[SHOW_LEN];

	if (n->type == type)
		return 0;
	return sc_fail(c, n, "%s: expected %s, got %s", path, what,
		       sc_show(n, s));
}
