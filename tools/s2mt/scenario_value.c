// SPDX-License-Identifier: MIT
/*
 * The scenario loader's values (docs/scenario.md, "Values"): text, names,
 * sizes, addresses, integers, bools, prot and choices from a list. Each
 * reads one scalar node and refuses it with the path and the value as
 * written.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "scenario_parse.h"

/* ------------------------------------------------------------------ */
/* Text and names                                                     */
/* ------------------------------------------------------------------ */

/* A scalar without NUL characters (a "\0" escape makes one). */
int sc_get_text(struct ctx *c, const yaml_node_t *n, const char *path,
		const char *what, const char **out)
{
	if (sc_want(c, n, path, YAML_SCALAR_NODE, what))
		return -1;
	if (strlen(sval(n)) != slen(n))
		return sc_fail(c, n, "%s: contains a NUL character", path);
	*out = sval(n);
	return 0;
}

int sc_copy_text(struct ctx *c, const yaml_node_t *n, const char *path,
		 char *buf, size_t size)
{
	const char *s;

	if (sc_get_text(c, n, path, "a string", &s))
		return -1;
	if (slen(n) >= size)
		return sc_fail(c, n, "%s: longer than %zu characters", path,
			       size - 1);
	memcpy(buf, s, slen(n) + 1);
	return 0;
}

int sc_get_name(struct ctx *c, const yaml_node_t *n, const char *path,
		size_t max, char buf[SC_NAME_LEN])
{
	const char *s;
	char q[SHOW_LEN];

	if (sc_get_text(c, n, path, "a name", &s))
		return -1;
	if (!slen(n))
		return sc_fail(c, n,
			       "%s: expected a name ([A-Za-z0-9_.-], 1 to %zu "
			       "characters), got an empty value",
			       path, max);
	if (slen(n) > max)
		return sc_fail(c, n,
			       "%s: name %s is longer than %zu characters",
			       path, sc_show(n, q), max);
	for (size_t i = 0; i < slen(n); i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' ||
		      ch == '-'))
			return sc_fail(c, n,
				       "%s: name %s has a character other than "
				       "A-Z a-z 0-9 _ . -",
				       path, sc_show(n, q));
	}
	memcpy(buf, s, slen(n) + 1);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Numbers                                                            */
/* ------------------------------------------------------------------ */

static int digit_value(char ch, unsigned base)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (base == 16 && ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (base == 16 && ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static bool str_ieq_n(const char *s, size_t n, const char *t)
{
	return strlen(t) == n && !strncasecmp(s, t, n);
}

/*
 * Decimal or 0x hexadecimal digits with '_' between digits, and, for sizes,
 * a decimal number may have a binary suffix K, M, G, T or KiB, MiB, GiB,
 * TiB (any case).
 */
enum num_status sc_parse_number(const char *s, size_t len, bool suffix,
				uint64_t *out)
{
	static const char *const units[] = { "K", "M", "G", "T" };
	static const char *const iunits[] = { "KiB", "MiB", "GiB", "TiB" };
	uint64_t v = 0, mul = 1;
	unsigned base = 10;
	bool digits = false, overflow = false;
	size_t i = 0;

	if (!len)
		return NUM_SYNTAX;
	if (s[0] == '-')
		return len > 1 && s[1] >= '0' && s[1] <= '9' ? NUM_NEGATIVE
							     : NUM_SYNTAX;
	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	for (; i < len; i++) {
		int d;

		if (s[i] == '_') {
			if (!digits || i + 1 >= len ||
			    digit_value(s[i + 1], base) < 0)
				return NUM_SYNTAX;
			continue;
		}
		d = digit_value(s[i], base);
		if (d < 0)
			break;
		if (v > (UINT64_MAX - (unsigned)d) / base)
			overflow = true;
		else
			v = v * base + (unsigned)d;
		digits = true;
	}
	if (!digits)
		return NUM_SYNTAX;
	if (i < len) {
		size_t u;

		if (!suffix || base == 16)
			return NUM_SYNTAX;
		for (u = 0; u < ARRAY_SIZE(units); u++)
			if (str_ieq_n(s + i, len - i, units[u]) ||
			    str_ieq_n(s + i, len - i, iunits[u]))
				break;
		if (u == ARRAY_SIZE(units))
			return NUM_SYNTAX;
		mul = 1ull << (10 * (u + 1));
	}
	if (overflow || v > UINT64_MAX / mul)
		return NUM_OVERFLOW;
	*out = v * mul;
	return NUM_OK;
}

enum num_kind { NUM_SIZE, NUM_ADDR, NUM_INT };

static const char *const num_what[] = {
	[NUM_SIZE] = ("a size (bytes, 0x hex, or a number with K, M, G, T, "
		      "KiB, MiB, GiB or TiB)"),
	[NUM_ADDR] = "an address (decimal or 0x hex)",
	[NUM_INT] = "an integer (decimal or 0x hex)",
};

static int get_u64(struct ctx *c, const yaml_node_t *n, const char *path,
		   enum num_kind kind, uint64_t *out)
{
	char s[SHOW_LEN];

	if (sc_want(c, n, path, YAML_SCALAR_NODE, num_what[kind]))
		return -1;
	switch (sc_parse_number(sval(n), slen(n), kind == NUM_SIZE, out)) {
	case NUM_OK:
		return 0;
	case NUM_NEGATIVE:
		return sc_fail(c, n, "%s: must not be negative, got %s", path,
			       sc_show(n, s));
	case NUM_OVERFLOW:
		return sc_fail(c, n, "%s: %s does not fit in 64 bits", path,
			       sc_show(n, s));
	default:
		return sc_fail(c, n, "%s: expected %s, got %s", path,
			       num_what[kind], sc_show(n, s));
	}
}

int sc_get_size(struct ctx *c, const yaml_node_t *n, const char *path,
		uint64_t *out)
{
	return get_u64(c, n, path, NUM_SIZE, out);
}

int sc_get_addr(struct ctx *c, const yaml_node_t *n, const char *path,
		uint64_t *out)
{
	return get_u64(c, n, path, NUM_ADDR, out);
}

int sc_get_range(struct ctx *c, const yaml_node_t *n, const char *path,
		 uint64_t min, uint64_t max, const char *range, uint64_t *out)
{
	char s[SHOW_LEN];

	if (get_u64(c, n, path, NUM_INT, out))
		return -1;
	if (*out < min || *out > max)
		return sc_fail(c, n, "%s: %s is out of range %s", path,
			       sc_show(n, s), range);
	return 0;
}

/* A signed integer: the value of a capability. */
int sc_get_long(struct ctx *c, const yaml_node_t *n, const char *path,
		long *out)
{
	const char *what = "an integer (decimal or 0x hex, may be negative)";
	char s[SHOW_LEN];
	bool neg;
	uint64_t v;

	if (sc_want(c, n, path, YAML_SCALAR_NODE, what))
		return -1;
	neg = slen(n) && sval(n)[0] == '-';
	switch (sc_parse_number(sval(n) + neg, slen(n) - neg, false, &v)) {
	case NUM_OK:
		break;
	case NUM_OVERFLOW:
		return sc_fail(c, n, "%s: %s does not fit in 64 bits", path,
			       sc_show(n, s));
	default:
		return sc_fail(c, n, "%s: expected %s, got %s", path, what,
			       sc_show(n, s));
	}
	if (v > (uint64_t)LONG_MAX + neg)
		return sc_fail(c, n, "%s: %s does not fit in 64 bits", path,
			       sc_show(n, s));
	*out = neg ? (v == (uint64_t)LONG_MAX + 1 ? LONG_MIN : -(long)v)
		   : (long)v;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Bools, prot, choices                                               */
/* ------------------------------------------------------------------ */

int sc_get_bool(struct ctx *c, const yaml_node_t *n, const char *path,
		bool *out)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	const char *what = "a bool (true/false, yes/no, on/off)";
	char s[SHOW_LEN];

	if (sc_want(c, n, path, YAML_SCALAR_NODE, what))
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (scalar_ieq(n, yes[i])) {
			*out = true;
			return 0;
		}
		if (scalar_ieq(n, no[i])) {
			*out = false;
			return 0;
		}
	}
	return sc_fail(c, n, "%s: expected %s, got %s", path, what,
		       sc_show(n, s));
}

/* "rw", "r", "rwx", ... or "none". */
int sc_get_prot(struct ctx *c, const yaml_node_t *n, const char *path,
		unsigned *out)
{
	const char *what = "a prot (letters r, w, x, or none)";
	char s[SHOW_LEN];
	unsigned prot = 0;

	if (sc_want(c, n, path, YAML_SCALAR_NODE, what))
		return -1;
	if (scalar_ieq(n, "none")) {
		*out = 0;
		return 0;
	}
	for (size_t i = 0; i < slen(n); i++) {
		unsigned bit;

		switch (sval(n)[i]) {
		case 'r':
			bit = S2MT_PROT_READ;
			break;
		case 'w':
			bit = S2MT_PROT_WRITE;
			break;
		case 'x':
			bit = S2MT_PROT_EXEC;
			break;
		default:
			bit = 0;
		}
		if (!bit || (prot & bit))
			return sc_fail(c, n, "%s: expected %s, got %s", path,
				       what, sc_show(n, s));
		prot |= bit;
	}
	if (!prot)
		return sc_fail(c, n, "%s: expected %s, got %s", path, what,
			       sc_show(n, s));
	*out = prot;
	return 0;
}

/* One of a NULL-terminated list of names (case-insensitive). */
int sc_get_choice(struct ctx *c, const yaml_node_t *n, const char *path,
		  const char *const *names, const char *what, unsigned *out)
{
	char s[SHOW_LEN], list[LIST_LEN];

	sc_join(names, list, sizeof(list));
	if (!is_scalar(n))
		return sc_fail(c, n, "%s: expected one of %s, got %s", path,
			       list, sc_show(n, s));
	for (unsigned i = 0; names[i]; i++)
		if (scalar_ieq(n, names[i])) {
			*out = i;
			return 0;
		}
	{
		char hint[80];

		return sc_fail(c, n, "%s: unknown %s %s%s (allowed: %s)", path,
			       what, sc_show(n, s),
			       sc_suggest(n, names, hint, sizeof(hint)), list);
	}
}
