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
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "scenario.h"

#define SC_MAX_DEPTH 64
#define SC_MAX_FILE_SIZE (16u << 20)
#define SC_DEVICE_NAME_MAX 31 /* struct s2mt_device's name */

#define SZ_4K 0x1000ull
#define SZ_2M 0x200000ull
#define SZ_1G 0x40000000ull

#define PATH_LEN 96
#define SHOW_LEN 64
#define LIST_LEN 400

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct ctx {
	const char *file;
	const char *text;
	size_t len;
	yaml_document_t *doc;
	struct scenario *sc;
	char *err;
	size_t errlen;
	bool failed;
	const yaml_node_t *hva_nodes[SC_MAX_MMAPS]; /* for mmap_overlaps() */
};

/* ------------------------------------------------------------------ */
/* Messages                                                            */
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

static int __attribute__((format(printf, 4, 5)))
fail_at(struct ctx *c, size_t line, size_t column, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_at(c, line, column, fmt, ap);
	va_end(ap);
	return -1;
}

/* A message at a node's mark. */
static int __attribute__((format(printf, 3, 4)))
fail(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_at(c, n->start_mark.line + 1, n->start_mark.column + 1, fmt, ap);
	va_end(ap);
	return -1;
}

/* 'text' as written (control characters as '?'), cut at 40 bytes. */
static const char *quote(char *buf, size_t len, const unsigned char *s,
			 size_t n)
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
static const char *show(const yaml_node_t *n, char buf[SHOW_LEN])
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a map";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_SCALAR_NODE:
		if (!n->data.scalar.length)
			return "an empty value";
		return quote(buf, SHOW_LEN, n->data.scalar.value,
			     n->data.scalar.length);
	default:
		return "nothing";
	}
}

/* "a, b, c" */
static const char *join(const char *const *list, char *buf, size_t len)
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

static const char *where(const char *path)
{
	return *path ? path : "top level";
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

static const char *pkey(char buf[PATH_LEN], const char *path, const char *key)
{
	return pcat(buf, path, *path ? "." : "", key);
}

static const char *pidx(char buf[PATH_LEN], const char *path, size_t i)
{
	char idx[24];

	snprintf(idx, sizeof(idx), "[%zu]", i);
	return pcat(buf, path, idx, "");
}

static struct sc_mark mark_of(const yaml_node_t *n)
{
	struct sc_mark m = { (unsigned)n->start_mark.line + 1,
			     (unsigned)n->start_mark.column + 1 };
	return m;
}

static size_t line_of(const yaml_node_t *n)
{
	return n->start_mark.line + 1;
}

/* "4K", "1G", "16384" */
void sc_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char suffix[] = "KMGT";

	if (!buf || !len)
		return;
	for (int i = 3; i >= 0; i--) {
		unsigned shift = 10 * ((unsigned)i + 1);

		if (bytes && !(bytes & ((1ull << shift) - 1))) {
			snprintf(buf, len, "%" PRIu64 "%c", bytes >> shift,
				 suffix[i]);
			return;
		}
	}
	snprintf(buf, len, "%" PRIu64, bytes);
}

static const char *const mmap_kind_names[] = {
	[SC_MMAP_ANONYMOUS] = "anonymous",
	[SC_MMAP_THP] = "thp",
	[SC_MMAP_HUGETLB_2M] = "hugetlb-2m",
	[SC_MMAP_HUGETLB_1G] = "hugetlb-1g",
	[SC_MMAP_VFIO_BAR] = "vfio-bar",
	[SC_MMAP_NVGRACE_USEMEM] = "nvgrace-usemem",
	[SC_MMAP_NVGRACE_RESMEM] = "nvgrace-resmem",
	[SC_MMAP_DEVMEM] = "devmem",
	NULL,
};

const char *sc_mmap_kind_name(unsigned kind)
{
	return kind < ARRAY_SIZE(mmap_kind_names) - 1 ? mmap_kind_names[kind]
						      : "?";
}

/* ------------------------------------------------------------------ */
/* Nodes                                                               */
/* ------------------------------------------------------------------ */

static const yaml_node_t *node_get(struct ctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

static bool is_scalar(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE;
}

static const char *sval(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static size_t slen(const yaml_node_t *n)
{
	return n->data.scalar.length;
}

static bool scalar_is(const yaml_node_t *n, const char *s)
{
	return is_scalar(n) && slen(n) == strlen(s) &&
		!memcmp(sval(n), s, slen(n));
}

static bool scalar_ieq(const yaml_node_t *n, const char *s)
{
	return is_scalar(n) && slen(n) == strlen(s) &&
		!strncasecmp(sval(n), s, slen(n));
}

static bool same_scalar(const yaml_node_t *a, const yaml_node_t *b)
{
	return is_scalar(a) && is_scalar(b) && slen(a) == slen(b) &&
		!memcmp(sval(a), sval(b), slen(a));
}

/* The empty value, ~ or null. */
static bool is_null(const yaml_node_t *n)
{
	return is_scalar(n) &&
		((!slen(n) &&
		  n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) ||
		 scalar_is(n, "~") || scalar_ieq(n, "null"));
}

static bool in_list(const char *const *list, const yaml_node_t *k)
{
	for (size_t i = 0; list[i]; i++)
		if (scalar_is(k, list[i]))
			return true;
	return false;
}

static int broken(struct ctx *c)
{
	return fail_at(c, 1, 1, "internal error: inconsistent YAML document");
}

/* The later of two nodes (where a conflict is reported). */
static const yaml_node_t *later(const yaml_node_t *a, const yaml_node_t *b)
{
	return a->start_mark.index > b->start_mark.index ? a : b;
}

/*
 * Checks that n is a map whose keys are unique strings from allowed.
 */
static int check_map(struct ctx *c, const yaml_node_t *n, const char *path,
		     const char *const *allowed)
{
	const yaml_node_pair_t *p, *q;
	char s[SHOW_LEN], list[LIST_LEN];

	if (n->type != YAML_MAPPING_NODE)
		return fail(c, n, "%s: expected a map, got %s", where(path),
			    show(n, s));
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *k = node_get(c, p->key);

		if (!k || !node_get(c, p->value))
			return broken(c);
		if (!is_scalar(k))
			return fail(c, k, "%s: a key must be a string, got %s",
				    where(path), show(k, s));
		if (!in_list(allowed, k))
			return fail(c, k, "%s: unknown key %s (allowed: %s)",
				    where(path), show(k, s),
				    join(allowed, list, sizeof(list)));
		for (q = n->data.mapping.pairs.start; q < p; q++) {
			const yaml_node_t *kq = node_get(c, q->key);

			if (kq && same_scalar(kq, k))
				return fail(c, k,
					    "%s: duplicate key %s (first at "
					    "line %zu)",
					    where(path), show(k, s),
					    line_of(kq));
		}
	}
	return 0;
}

/* The value of key in a checked map, or NULL; *keynode gets the key. */
static const yaml_node_t *map_get(struct ctx *c, const yaml_node_t *map,
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

static const yaml_node_t *require(struct ctx *c, const yaml_node_t *map,
				  const char *path, const char *key)
{
	const yaml_node_t *v = map_get(c, map, key, NULL);

	if (!v)
		fail(c, map, "%s: missing required key '%s'", where(path), key);
	return v;
}

/* Keys of a checked map that are not for this kind of entry. */
static int check_subset(struct ctx *c, const yaml_node_t *map, const char *path,
			const char *const *allowed, const char *what)
{
	const yaml_node_pair_t *p;
	char list[LIST_LEN];

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *k = node_get(c, p->key);

		if (!k)
			return broken(c);
		if (!in_list(allowed, k))
			return fail(c, k,
				    "%s: '%s' does not apply to %s (allowed: "
				    "%s)",
				    path, sval(k), what,
				    join(allowed, list, sizeof(list)));
	}
	return 0;
}

static int want(struct ctx *c, const yaml_node_t *n, const char *path,
		yaml_node_type_t type, const char *what)
{
	char s[SHOW_LEN];

	if (n->type == type)
		return 0;
	return fail(c, n, "%s: expected %s, got %s", path, what, show(n, s));
}

/* A scalar without NUL characters (a "\0" escape makes one). */
static int get_text(struct ctx *c, const yaml_node_t *n, const char *path,
		    const char *what, const char **out)
{
	if (want(c, n, path, YAML_SCALAR_NODE, what))
		return -1;
	if (strlen(sval(n)) != slen(n))
		return fail(c, n, "%s: contains a NUL character", path);
	*out = sval(n);
	return 0;
}

static int copy_text(struct ctx *c, const yaml_node_t *n, const char *path,
		     char *buf, size_t size)
{
	const char *s;

	if (get_text(c, n, path, "a string", &s))
		return -1;
	if (slen(n) >= size)
		return fail(c, n, "%s: longer than %zu characters", path,
			    size - 1);
	memcpy(buf, s, slen(n) + 1);
	return 0;
}

static int get_name(struct ctx *c, const yaml_node_t *n, const char *path,
		    size_t max, char buf[SC_NAME_LEN])
{
	const char *s;
	char q[SHOW_LEN];

	if (get_text(c, n, path, "a name", &s))
		return -1;
	if (!slen(n))
		return fail(c, n,
			    "%s: expected a name ([A-Za-z0-9_.-], 1 to %zu "
			    "characters), got an empty value",
			    path, max);
	if (slen(n) > max)
		return fail(c, n, "%s: name %s is longer than %zu characters",
			    path, show(n, q), max);
	for (size_t i = 0; i < slen(n); i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' ||
		      ch == '-'))
			return fail(c, n,
				    "%s: name %s has a character other than "
				    "A-Z a-z 0-9 _ . -",
				    path, show(n, q));
	}
	memcpy(buf, s, slen(n) + 1);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Values                                                              */
/* ------------------------------------------------------------------ */

enum num_status { NUM_OK, NUM_SYNTAX, NUM_NEGATIVE, NUM_OVERFLOW };

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
static enum num_status parse_number(const char *s, size_t len, bool suffix,
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

	if (want(c, n, path, YAML_SCALAR_NODE, num_what[kind]))
		return -1;
	switch (parse_number(sval(n), slen(n), kind == NUM_SIZE, out)) {
	case NUM_OK:
		return 0;
	case NUM_NEGATIVE:
		return fail(c, n, "%s: must not be negative, got %s", path,
			    show(n, s));
	case NUM_OVERFLOW:
		return fail(c, n, "%s: %s does not fit in 64 bits", path,
			    show(n, s));
	default:
		return fail(c, n, "%s: expected %s, got %s", path,
			    num_what[kind], show(n, s));
	}
}

static int get_size(struct ctx *c, const yaml_node_t *n, const char *path,
		    uint64_t *out)
{
	return get_u64(c, n, path, NUM_SIZE, out);
}

static int get_addr(struct ctx *c, const yaml_node_t *n, const char *path,
		    uint64_t *out)
{
	return get_u64(c, n, path, NUM_ADDR, out);
}

static int get_range(struct ctx *c, const yaml_node_t *n, const char *path,
		     uint64_t min, uint64_t max, const char *range,
		     uint64_t *out)
{
	char s[SHOW_LEN];

	if (get_u64(c, n, path, NUM_INT, out))
		return -1;
	if (*out < min || *out > max)
		return fail(c, n, "%s: %s is out of range %s", path, show(n, s),
			    range);
	return 0;
}

/* A signed integer: the value of a capability. */
static int get_long(struct ctx *c, const yaml_node_t *n, const char *path,
		    long *out)
{
	const char *what = "an integer (decimal or 0x hex, may be negative)";
	char s[SHOW_LEN];
	bool neg;
	uint64_t v;

	if (want(c, n, path, YAML_SCALAR_NODE, what))
		return -1;
	neg = slen(n) && sval(n)[0] == '-';
	switch (parse_number(sval(n) + neg, slen(n) - neg, false, &v)) {
	case NUM_OK:
		break;
	case NUM_OVERFLOW:
		return fail(c, n, "%s: %s does not fit in 64 bits", path,
			    show(n, s));
	default:
		return fail(c, n, "%s: expected %s, got %s", path, what,
			    show(n, s));
	}
	if (v > (uint64_t)LONG_MAX + neg)
		return fail(c, n, "%s: %s does not fit in 64 bits", path,
			    show(n, s));
	*out = neg ? (v == (uint64_t)LONG_MAX + 1 ? LONG_MIN : -(long)v)
		   : (long)v;
	return 0;
}

static int get_bool(struct ctx *c, const yaml_node_t *n, const char *path,
		    bool *out)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	const char *what = "a bool (true/false, yes/no, on/off)";
	char s[SHOW_LEN];

	if (want(c, n, path, YAML_SCALAR_NODE, what))
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
	return fail(c, n, "%s: expected %s, got %s", path, what, show(n, s));
}

/* "rw", "r", "rwx", ... or "none". */
static int get_prot(struct ctx *c, const yaml_node_t *n, const char *path,
		    unsigned *out)
{
	const char *what = "a prot (letters r, w, x, or none)";
	char s[SHOW_LEN];
	unsigned prot = 0;

	if (want(c, n, path, YAML_SCALAR_NODE, what))
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
			return fail(c, n, "%s: expected %s, got %s", path, what,
				    show(n, s));
		prot |= bit;
	}
	if (!prot)
		return fail(c, n, "%s: expected %s, got %s", path, what,
			    show(n, s));
	*out = prot;
	return 0;
}

/* One of a NULL-terminated list of names (case-insensitive). */
static int get_choice(struct ctx *c, const yaml_node_t *n, const char *path,
		      const char *const *names, const char *what, unsigned *out)
{
	char s[SHOW_LEN], list[LIST_LEN];

	join(names, list, sizeof(list));
	if (!is_scalar(n))
		return fail(c, n, "%s: expected one of %s, got %s", path, list,
			    show(n, s));
	for (unsigned i = 0; names[i]; i++)
		if (scalar_ieq(n, names[i])) {
			*out = i;
			return 0;
		}
	return fail(c, n, "%s: unknown %s %s (allowed: %s)", path, what,
		    show(n, s), list);
}

static int get_era(struct ctx *c, const yaml_node_t *n, const char *path,
		   unsigned *era)
{
	const char *s;
	char q[SHOW_LEN];

	if (get_text(c, n, path, "a kernel (6.8, 6.9 or 6.17)", &s))
		return -1;
	if (s2mt_era_parse(s, era))
		return fail(c, n, "%s: expected 6.8, 6.9 or 6.17, got %s", path,
			    show(n, q));
	return 0;
}

static int get_preset(struct ctx *c, const yaml_node_t *n, const char *path,
		      const char **preset)
{
	unsigned i;

	if (get_choice(c, n, path, s2mt_host_presets, "preset", &i))
		return -1;
	*preset = s2mt_host_presets[i];
	return 0;
}

/* ------------------------------------------------------------------ */
/* host, kernel                                                        */
/* ------------------------------------------------------------------ */

static int parse_features(struct ctx *c, const yaml_node_t *n,
			  struct s2mt_host_caps *caps)
{
	static const char *const keys[] = { "fwb", "dic", "idc", "mte", NULL };
	bool *fields[] = { &caps->fwb, &caps->dic, &caps->idc, &caps->mte };
	char p[PATH_LEN];

	memset(caps, 0, sizeof(*caps));
	if (check_map(c, n, "host.features", keys))
		return -1;
	for (size_t i = 0; keys[i]; i++) {
		const yaml_node_t *v = map_get(c, n, keys[i], NULL);

		if (v &&
		    get_bool(c, v, pkey(p, "host.features", keys[i]),
			     fields[i]))
			return -1;
	}
	return 0;
}

static int parse_host(struct ctx *c, const yaml_node_t *n)
{
	static const char *const keys[] = { "preset", "features", "ram", NULL };
	const uint64_t ram_max = S2MT_HOST_DEVMEM_BASE - S2MT_HOST_RAM_BASE;
	struct scenario *sc = c->sc;
	const yaml_node_t *preset, *features, *ram, *kp = NULL, *kf = NULL;
	char s1[24], s2[24];

	if (check_map(c, n, "host", keys))
		return -1;
	preset = map_get(c, n, "preset", &kp);
	features = map_get(c, n, "features", &kf);
	if (preset && features)
		return fail(c, later(kp, kf),
			    "host: 'preset' and 'features' are mutually "
			    "exclusive (give exactly one)");
	if (!preset && !features)
		return fail(c, n,
			    "host: missing 'preset' or 'features' (give "
			    "exactly one)");
	if (preset) {
		const char *name;

		if (get_preset(c, preset, "host.preset", &name))
			return -1;
		snprintf(sc->preset, sizeof(sc->preset), "%s", name);
		s2mt_host_preset_caps(name, &sc->caps);
	} else {
		if (parse_features(c, features, &sc->caps))
			return -1;
		snprintf(sc->preset, sizeof(sc->preset), "custom");
	}

	sc->ram = 64 * SZ_1G;
	ram = map_get(c, n, "ram", NULL);
	if (!ram)
		return 0;
	if (get_size(c, ram, "host.ram", &sc->ram))
		return -1;
	sc_format_size(sc->ram, s1, sizeof(s1));
	if (!sc->ram || sc->ram % SZ_1G)
		return fail(c, ram,
			    "host.ram: %s is not a non-zero multiple of 1G",
			    s1);
	sc_format_size(ram_max, s2, sizeof(s2));
	if (sc->ram > ram_max)
		return fail(c, ram,
			    "host.ram: %s is more than %s (the RAM window "
			    "below the device memory)",
			    s1, s2);
	return 0;
}

/* ------------------------------------------------------------------ */
/* devices                                                             */
/* ------------------------------------------------------------------ */

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static int parse_bar(struct ctx *c, const yaml_node_t *n, const char *path,
		     struct sc_device *d, size_t lines[S2MT_MAX_BARS])
{
	static const char *const keys[] = { "index",	    "size",
					    "prefetchable", "read_side_effects",
					    "mmap",	    NULL };
	const yaml_node_t *vi, *vs, *v;
	struct s2mt_bar_spec *bar;
	uint64_t index, size;
	bool mmap = true;
	char p[PATH_LEN], s[24];

	if (check_map(c, n, path, keys))
		return -1;
	vi = require(c, n, path, "index");
	if (!vi)
		return -1;
	vs = require(c, n, path, "size");
	if (!vs)
		return -1;
	if (get_range(c, vi, pkey(p, path, "index"), 0, S2MT_MAX_BARS - 1,
		      "0..5", &index))
		return -1;
	bar = &d->bars[index];
	if (lines[index])
		return fail(c, vi,
			    "%s: BAR %" PRIu64 " is already defined "
			    "(line %zu)",
			    p, index, lines[index]);
	lines[index] = line_of(vi);
	if (get_size(c, vs, pkey(p, path, "size"), &size))
		return -1;
	if (!is_pow2(size) || size < SZ_4K) {
		sc_format_size(size, s, sizeof(s));
		return fail(c, vs,
			    "%s: %s is not a power of two of at least 4K", p,
			    s);
	}
	bar->size = size;
	v = map_get(c, n, "prefetchable", NULL);
	if (v &&
	    get_bool(c, v, pkey(p, path, "prefetchable"), &bar->prefetchable))
		return -1;
	v = map_get(c, n, "read_side_effects", NULL);
	if (v &&
	    get_bool(c, v, pkey(p, path, "read_side_effects"),
		     &bar->read_side_effects))
		return -1;
	v = map_get(c, n, "mmap", NULL);
	if (v && get_bool(c, v, pkey(p, path, "mmap"), &mmap))
		return -1;
	bar->no_mmap = !mmap;
	return 0;
}

static int parse_vfio_pci(struct ctx *c, const yaml_node_t *n, const char *path,
			  struct sc_device *d)
{
	const yaml_node_t *bars = map_get(c, n, "bars", NULL);
	const yaml_node_item_t *it;
	size_t lines[S2MT_MAX_BARS] = { 0 };
	char p[PATH_LEN], pi[PATH_LEN];

	if (!bars)
		return 0;
	pkey(p, path, "bars");
	if (want(c, bars, p, YAML_SEQUENCE_NODE, "a list"))
		return -1;
	for (it = bars->data.sequence.items.start;
	     it < bars->data.sequence.items.top; it++) {
		const yaml_node_t *b = node_get(c, *it);
		size_t i = (size_t)(it - bars->data.sequence.items.start);

		if (!b)
			return broken(c);
		if (parse_bar(c, b, pidx(pi, p, i), d, lines))
			return -1;
	}
	return 0;
}

static int parse_nvgrace(struct ctx *c, const yaml_node_t *n, const char *path,
			 struct sc_device *d)
{
	const yaml_node_t *use, *res;
	char p[PATH_LEN], s[24];

	use = require(c, n, path, "usemem");
	if (!use || get_size(c, use, pkey(p, path, "usemem"), &d->usemem))
		return -1;
	if (!d->usemem || d->usemem % SZ_2M) {
		sc_format_size(d->usemem, s, sizeof(s));
		return fail(c, use, "%s: %s is not a non-zero multiple of 2M",
			    p, s);
	}
	res = map_get(c, n, "resmem", NULL);
	if (!res || scalar_ieq(res, "none"))
		return 0;
	if (get_size(c, res, pkey(p, path, "resmem"), &d->resmem))
		return -1;
	if (!d->resmem || d->resmem % SZ_4K) {
		sc_format_size(d->resmem, s, sizeof(s));
		return fail(c, res,
			    "%s: %s is not a non-zero multiple of 4K (or none)",
			    p, s);
	}
	return 0;
}

static int find_device(const struct scenario *sc, const char *name)
{
	for (size_t i = 0; i < sc->nr_devices; i++)
		if (!strcmp(sc->devices[i].name, name))
			return (int)i;
	return -1;
}

static int parse_device(struct ctx *c, const yaml_node_t *n, size_t i)
{
	static const char *const keys[] = { "name",   "type",	"bars",
					    "usemem", "resmem", NULL };
	static const char *const vfio_keys[] = { "name", "type", "bars", NULL };
	static const char *const nv_keys[] = { "name", "type", "usemem",
					       "resmem", NULL };
	static const char *const types[] = { [SC_DEV_VFIO_PCI] = "vfio-pci",
					     [SC_DEV_NVGRACE] = "nvgrace-gpu",
					     NULL };
	struct scenario *sc = c->sc;
	struct sc_device *d = &sc->devices[i];
	const yaml_node_t *name, *type;
	char path[PATH_LEN], p[PATH_LEN], what[32];
	unsigned t;
	int dup;

	memset(d, 0, sizeof(*d));
	pidx(path, "devices", i);
	if (check_map(c, n, path, keys))
		return -1;
	name = require(c, n, path, "name");
	if (!name)
		return -1;
	type = require(c, n, path, "type");
	if (!type)
		return -1;
	if (get_name(c, name, pkey(p, path, "name"), SC_DEVICE_NAME_MAX,
		     d->name))
		return -1;
	dup = find_device(sc, d->name);
	if (dup >= 0)
		return fail(c, name,
			    "%s: duplicate device name '%s' (first at line %u)",
			    p, d->name, sc->devices[dup].mark.line);
	if (get_choice(c, type, pkey(p, path, "type"), types, "device type",
		       &t))
		return -1;
	d->type = (uint8_t)t;
	d->mark = mark_of(n);
	snprintf(what, sizeof(what), "type %s", types[t]);
	if (check_subset(c, n, path, t == SC_DEV_VFIO_PCI ? vfio_keys : nv_keys,
			 what))
		return -1;
	if (t == SC_DEV_VFIO_PCI)
		return parse_vfio_pci(c, n, path, d);
	return parse_nvgrace(c, n, path, d);
}

/*
 * What the host model will refuse when the runner builds the host (BARs
 * that do not fit the MMIO window, too many physical regions): found here,
 * so that a bad file never half-runs.
 */
static int check_host_model(struct ctx *c, const yaml_node_t *const *nodes)
{
	struct scenario *sc = c->sc;
	struct s2mt_host *host = calloc(1, sizeof(*host));
	int err = 0;

	if (!host)
		return fail_at(c, 1, 1, "out of memory");
	if (s2mt_host_init_caps(host, &sc->caps, sc->era, sc->ram)) {
		err = fail_at(c, 1, 1, "host: %s", host->why);
		goto out;
	}
	for (size_t i = 0; i < sc->nr_devices; i++) {
		const struct sc_device *d = &sc->devices[i];
		int r;

		if (d->type == SC_DEV_VFIO_PCI)
			r = s2mt_host_add_vfio_pci(host, d->name, d->bars);
		else
			r = s2mt_host_add_nvgrace(host, d->name, d->usemem,
						  d->resmem);
		if (r < 0) {
			err = fail(c, nodes[i], "devices[%zu]: %s", i,
				   host->why);
			goto out;
		}
	}
out:
	free(host);
	return err;
}

static int parse_devices(struct ctx *c, const yaml_node_t *n)
{
	const yaml_node_t *nodes[SC_MAX_DEVICES];
	const yaml_node_item_t *it;

	if (want(c, n, "devices", YAML_SEQUENCE_NODE, "a list"))
		return -1;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		const yaml_node_t *d = node_get(c, *it);
		size_t i = c->sc->nr_devices;

		if (!d)
			return broken(c);
		if (i >= SC_MAX_DEVICES)
			return fail(c, d,
				    "devices: too many entries (at most %d)",
				    SC_MAX_DEVICES);
		if (parse_device(c, d, i))
			return -1;
		nodes[i] = d;
		c->sc->nr_devices++;
	}
	return check_host_model(c, nodes);
}

/* ------------------------------------------------------------------ */
/* vmm                                                                 */
/* ------------------------------------------------------------------ */

static int parse_vm(struct ctx *c, const yaml_node_t *n)
{
	static const char *const keys[] = { "ipa_bits", "mte", NULL };
	struct sc_vm *vm = &c->sc->vm;
	const yaml_node_t *v;
	uint64_t bits;

	if (check_map(c, n, "vmm.vm", keys))
		return -1;
	vm->mark = mark_of(n);
	v = map_get(c, n, "ipa_bits", NULL);
	if (v) {
		if (get_range(c, v, "vmm.vm.ipa_bits", 32, 48, "32..48", &bits))
			return -1;
		vm->ipa_bits = (unsigned)bits;
	}
	v = map_get(c, n, "mte", NULL);
	if (v && get_bool(c, v, "vmm.vm.mte", &vm->mte))
		return -1;
	return 0;
}

static int find_mmap(const struct scenario *sc, const char *name)
{
	for (size_t i = 0; i < sc->nr_mmaps; i++)
		if (!strcmp(sc->mmaps[i].name, name))
			return (int)i;
	return -1;
}

static bool is_device_kind(unsigned kind)
{
	return kind >= SC_MMAP_VFIO_BAR;
}

static int check_page_aligned(struct ctx *c, const yaml_node_t *n,
			      const char *path, uint64_t v, uint64_t align,
			      const char *what)
{
	char s1[24], s2[24];

	if (!(v % align))
		return 0;
	sc_format_size(v, s1, sizeof(s1));
	sc_format_size(align, s2, sizeof(s2));
	return fail(c, n, "%s: %s is not a multiple of %s%s", path, s1, s2,
		    what);
}

/* The device and BAR or region of a device mmap; *region its size. */
static int mmap_device(struct ctx *c, const yaml_node_t *n, const char *path,
		       struct sc_mmap *m, uint64_t *region, char *rname,
		       size_t rlen)
{
	struct scenario *sc = c->sc;
	const yaml_node_t *vd = map_get(c, n, "device", NULL);
	const yaml_node_t *vb = map_get(c, n, "bar", NULL);
	const struct sc_device *d;
	unsigned want_type =
		m->kind == SC_MMAP_VFIO_BAR || m->kind == SC_MMAP_DEVMEM
		? SC_DEV_VFIO_PCI
		: SC_DEV_NVGRACE;
	const char *s;
	char p[PATH_LEN];
	uint64_t bar;

	if (!vd)
		return require(c, n, path, "device") ? 0 : -1;
	if (get_text(c, vd, pkey(p, path, "device"), "a device name", &s))
		return -1;
	m->device = find_device(sc, s);
	if (m->device < 0) {
		char q[SHOW_LEN];

		return fail(c, vd, "%s: undefined device %s", p, show(vd, q));
	}
	d = &sc->devices[m->device];
	if (d->type != want_type)
		return fail(c, vd,
			    "%s: '%s' has type %s; kind %s needs a device of "
			    "type %s",
			    p, d->name,
			    d->type == SC_DEV_VFIO_PCI ? "vfio-pci"
						       : "nvgrace-gpu",
			    sc_mmap_kind_name(m->kind),
			    want_type == SC_DEV_VFIO_PCI ? "vfio-pci"
							 : "nvgrace-gpu");
	if (m->kind == SC_MMAP_NVGRACE_USEMEM) {
		*region = d->usemem;
		snprintf(rname, rlen, "usemem of '%s'", d->name);
		return 0;
	}
	if (m->kind == SC_MMAP_NVGRACE_RESMEM) {
		if (!d->resmem)
			return fail(c, vd,
				    "%s: device '%s' has no resmem (resmem: "
				    "none)",
				    p, d->name);
		*region = d->resmem;
		snprintf(rname, rlen, "resmem of '%s'", d->name);
		return 0;
	}
	if (!vb)
		return require(c, n, path, "bar") ? 0 : -1;
	if (get_range(c, vb, pkey(p, path, "bar"), 0, S2MT_MAX_BARS - 1, "0..5",
		      &bar))
		return -1;
	if (!d->bars[bar].size)
		return fail(c, vb, "%s: device '%s' has no BAR %" PRIu64, p,
			    d->name, bar);
	m->bar = (unsigned)bar;
	*region = d->bars[bar].size;
	snprintf(rname, rlen, "BAR %u of '%s'", m->bar, d->name);
	return 0;
}

/* devmem: exactly one of device+bar and pa. */
static int check_devmem_source(struct ctx *c, const yaml_node_t *n,
			       const char *path)
{
	const yaml_node_t *kd = NULL, *kb = NULL, *kp = NULL, *ko = NULL;
	bool dev = map_get(c, n, "device", &kd) != NULL;
	bool bar = map_get(c, n, "bar", &kb) != NULL;
	bool pa = map_get(c, n, "pa", &kp) != NULL;

	map_get(c, n, "offset", &ko);
	if (pa && (dev || bar))
		return fail(c, later(kp, dev ? kd : kb),
			    "%s: 'pa' and '%s' are mutually exclusive (devmem "
			    "maps either a device BAR or a physical address)",
			    path, dev ? "device" : "bar");
	if (!pa && !dev && !bar)
		return fail(c, n,
			    "%s: devmem needs 'device' and 'bar', or 'pa'",
			    path);
	if (pa && ko)
		return fail(c, ko,
			    "%s: 'offset' does not apply to devmem with 'pa' "
			    "(give the address in pa)",
			    path);
	if (pa && !map_get(c, n, "size", NULL))
		return fail(c, n,
			    "%s: missing required key 'size' (devmem with pa)",
			    path);
	return 0;
}

static int mmap_align(struct ctx *c, const yaml_node_t *n, const char *path,
		      struct sc_mmap *m)
{
	static const char *const keys[] = { "to", "offset", NULL };
	const yaml_node_t *to, *off;
	char p[PATH_LEN], s1[24], s2[24];

	if (check_map(c, n, path, keys))
		return -1;
	to = require(c, n, path, "to");
	if (!to || get_size(c, to, pkey(p, path, "to"), &m->align_to))
		return -1;
	if (!is_pow2(m->align_to) || m->align_to < SZ_4K ||
	    m->align_to > S2MT_TASK_SIZE) {
		sc_format_size(m->align_to, s1, sizeof(s1));
		return fail(c, to,
			    "%s: %s is not a power of two from 4K to 256T", p,
			    s1);
	}
	off = map_get(c, n, "offset", NULL);
	if (!off)
		return 0;
	if (get_size(c, off, pkey(p, path, "offset"), &m->align_offset) ||
	    check_page_aligned(c, off, p, m->align_offset, SZ_4K,
			       " (page size)"))
		return -1;
	if (m->align_offset >= m->align_to) {
		sc_format_size(m->align_offset, s1, sizeof(s1));
		sc_format_size(m->align_to, s2, sizeof(s2));
		return fail(c, off, "%s: %s is not below to (%s)", p, s1, s2);
	}
	return 0;
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
			return fail(c, c->hva_nodes[i],
				    "%s: [0x%" PRIx64 ", 0x%" PRIx64
				    ") overlaps mmap '%s' at [0x%" PRIx64
				    ", 0x%" PRIx64 ") (line %u); without "
				    "steps every mmap is mapped",
				    pkey(p, pidx(pi, "vmm.mmaps", i), "hva"),
				    m->hva, m->hva + m->size, o->name, o->hva,
				    o->hva + o->size, o->mark.line);
		}
	}
	return 0;
}

static int mmap_size(struct ctx *c, const yaml_node_t *n, const char *path,
		     struct sc_mmap *m, uint64_t region, const char *rname)
{
	const yaml_node_t *v = map_get(c, n, "size", NULL);
	const yaml_node_t *vo = map_get(c, n, "offset", NULL);
	char p[PATH_LEN], s1[24], s2[24];

	if (vo &&
	    (get_size(c, vo, pkey(p, path, "offset"), &m->offset) ||
	     check_page_aligned(c, vo, p, m->offset, SZ_4K, " (page size)")))
		return -1;
	if (!v) {
		if (!is_device_kind(m->kind))
			return require(c, n, path, "size") ? 0 : -1;
		if (m->offset >= region) {
			sc_format_size(m->offset, s1, sizeof(s1));
			sc_format_size(region, s2, sizeof(s2));
			return fail(c, vo ? vo : n,
				    "%s: %s is not inside %s (%s)", p, s1,
				    rname, s2);
		}
		m->size = region - m->offset;
		return 0;
	}
	if (get_size(c, v, pkey(p, path, "size"), &m->size))
		return -1;
	if (!m->size)
		return fail(c, v, "%s: must not be 0", p);
	if (m->kind == SC_MMAP_HUGETLB_1G)
		return check_page_aligned(c, v, p, m->size, SZ_1G,
					  " (the hugetlb-1g page size)");
	if (m->kind == SC_MMAP_HUGETLB_2M)
		return check_page_aligned(c, v, p, m->size, SZ_2M,
					  " (the hugetlb-2m page size)");
	return check_page_aligned(c, v, p, m->size, SZ_4K, " (page size)");
}

static const char *const mmap_all_keys[] = { "name",   "kind",	 "size",
					     "device", "bar",	 "offset",
					     "pa",     "hva",	 "align",
					     "prot",   "shared", NULL };

static const char *const mmap_anon_keys[] = { "name",  "kind", "size",	 "hva",
					      "align", "prot", "shared", NULL };
static const char *const mmap_vfio_keys[] = { "name",	"kind",	 "size",
					      "device", "bar",	 "offset",
					      "hva",	"align", "prot",
					      "shared", NULL };
static const char *const mmap_nv_keys[] = { "name",   "kind", "size",  "device",
					    "offset", "hva",  "align", "prot",
					    "shared", NULL };

static const char *const *mmap_kind_keys(unsigned kind)
{
	switch (kind) {
	case SC_MMAP_VFIO_BAR:
		return mmap_vfio_keys;
	case SC_MMAP_NVGRACE_USEMEM:
	case SC_MMAP_NVGRACE_RESMEM:
		return mmap_nv_keys;
	case SC_MMAP_DEVMEM:
		return mmap_all_keys;
	default:
		return mmap_anon_keys;
	}
}

static int mmap_place(struct ctx *c, const yaml_node_t *n, const char *path,
		      size_t i)
{
	struct sc_mmap *m = &c->sc->mmaps[i];
	const yaml_node_t *ka = NULL, *kh = NULL, *va, *vh;
	char p[PATH_LEN];

	va = map_get(c, n, "align", &ka);
	vh = map_get(c, n, "hva", &kh);
	if (va && vh)
		return fail(c, later(ka, kh),
			    "%s: 'hva' and 'align' are mutually exclusive (a "
			    "fixed address has no alignment to choose)",
			    path);
	if (va)
		return mmap_align(c, va, pkey(p, path, "align"), m);
	if (!vh)
		return 0;
	if (get_addr(c, vh, pkey(p, path, "hva"), &m->hva))
		return -1;
	if (m->hva % SZ_4K)
		return fail(c, vh, "%s: 0x%" PRIx64 " is not page aligned (4K)",
			    p, m->hva);
	if (m->hva + m->size < m->hva)
		return fail(c, vh,
			    "%s: 0x%" PRIx64 " + size 0x%" PRIx64
			    " overflows 64 bits",
			    p, m->hva, m->size);
	m->fixed = true;
	c->hva_nodes[i] = vh;
	return 0;
}

static int parse_mmap(struct ctx *c, const yaml_node_t *n, size_t i)
{
	struct scenario *sc = c->sc;
	struct sc_mmap *m = &sc->mmaps[i];
	const yaml_node_t *name, *kind, *v;
	char path[PATH_LEN], p[PATH_LEN], what[40], rname[64] = "";
	uint64_t region = 0;
	unsigned k;
	int dup;

	memset(m, 0, sizeof(*m));
	m->device = -1;
	m->mark = mark_of(n);
	pidx(path, "vmm.mmaps", i);
	if (check_map(c, n, path, mmap_all_keys))
		return -1;
	name = require(c, n, path, "name");
	if (!name)
		return -1;
	kind = require(c, n, path, "kind");
	if (!kind)
		return -1;
	if (get_name(c, name, pkey(p, path, "name"), SC_NAME_LEN - 1, m->name))
		return -1;
	dup = find_mmap(sc, m->name);
	if (dup >= 0)
		return fail(c, name,
			    "%s: duplicate mmap name '%s' (first at line %u)",
			    p, m->name, sc->mmaps[dup].mark.line);
	if (get_choice(c, kind, pkey(p, path, "kind"), mmap_kind_names, "kind",
		       &k))
		return -1;
	m->kind = (uint8_t)k;
	snprintf(what, sizeof(what), "kind %s", sc_mmap_kind_name(k));
	if (check_subset(c, n, path, mmap_kind_keys(k), what))
		return -1;

	if (k == SC_MMAP_DEVMEM && check_devmem_source(c, n, path))
		return -1;
	if (is_device_kind(k) && !map_get(c, n, "pa", NULL) &&
	    mmap_device(c, n, path, m, &region, rname, sizeof(rname)))
		return -1;
	if (mmap_size(c, n, path, m, region, rname))
		return -1;
	v = map_get(c, n, "pa", NULL);
	if (v) {
		if (get_addr(c, v, pkey(p, path, "pa"), &m->pa))
			return -1;
		if (m->pa % SZ_4K)
			return fail(c, v,
				    "%s: 0x%" PRIx64
				    " is not page aligned (4K)",
				    p, m->pa);
		if (m->pa + m->size < m->pa)
			return fail(c, v,
				    "%s: 0x%" PRIx64 " + size 0x%" PRIx64
				    " overflows 64 bits",
				    p, m->pa, m->size);
	}
	if (mmap_place(c, n, path, i))
		return -1;
	m->prot = S2MT_PROT_READ | S2MT_PROT_WRITE;
	v = map_get(c, n, "prot", NULL);
	if (v && get_prot(c, v, pkey(p, path, "prot"), &m->prot))
		return -1;
	m->shared = is_device_kind(k);
	v = map_get(c, n, "shared", NULL);
	if (v && get_bool(c, v, pkey(p, path, "shared"), &m->shared))
		return -1;
	return 0;
}

static int parse_mmaps(struct ctx *c, const yaml_node_t *n)
{
	const yaml_node_item_t *it;

	if (want(c, n, "vmm.mmaps", YAML_SEQUENCE_NODE, "a list"))
		return -1;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		const yaml_node_t *m = node_get(c, *it);

		if (!m)
			return broken(c);
		if (c->sc->nr_mmaps >= SC_MAX_MMAPS)
			return fail(c, m,
				    "vmm.mmaps: too many entries (at most %d)",
				    SC_MAX_MMAPS);
		if (parse_mmap(c, m, c->sc->nr_mmaps))
			return -1;
		c->sc->nr_mmaps++;
	}
	return 0;
}

static const struct {
	const char *name, *kvm_name;
	uint32_t bit;
} mem_flags[] = {
	{ "log-dirty-pages", "KVM_MEM_LOG_DIRTY_PAGES",
	  (uint32_t)KVM_MEM_LOG_DIRTY_PAGES },
	{ "readonly", "KVM_MEM_READONLY", (uint32_t)KVM_MEM_READONLY },
	{ "guest-memfd", "KVM_MEM_GUEST_MEMFD", (uint32_t)KVM_MEM_GUEST_MEMFD },
};

static int parse_flag(struct ctx *c, const yaml_node_t *n, const char *path,
		      uint32_t *flags)
{
	const char *what = "a flag (log-dirty-pages, readonly, guest-memfd, "
			   "KVM_MEM_*, or an integer)";
	char s[SHOW_LEN];
	uint64_t v;

	if (want(c, n, path, YAML_SCALAR_NODE, what))
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(mem_flags); i++)
		if (scalar_ieq(n, mem_flags[i].name) ||
		    scalar_ieq(n, mem_flags[i].kvm_name)) {
			*flags |= mem_flags[i].bit;
			return 0;
		}
	switch (parse_number(sval(n), slen(n), false, &v)) {
	case NUM_OK:
		if (v <= UINT32_MAX) {
			*flags |= (uint32_t)v;
			return 0;
		}
		/* fall through */
	case NUM_OVERFLOW:
		return fail(c, n, "%s: %s is out of range 0..0xffffffff", path,
			    show(n, s));
	case NUM_NEGATIVE:
		return fail(c, n, "%s: must not be negative, got %s", path,
			    show(n, s));
	default:
		return fail(c, n, "%s: expected %s, got %s", path, what,
			    show(n, s));
	}
}

/* A list of flags (or a single one). */
static int parse_flags(struct ctx *c, const yaml_node_t *n, const char *path,
		       uint32_t *flags)
{
	const yaml_node_item_t *it;
	char p[PATH_LEN], s[SHOW_LEN];

	*flags = 0;
	if (is_scalar(n))
		return parse_flag(c, n, path, flags);
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(c, n, "%s: expected a list of flags, got %s", path,
			    show(n, s));
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		const yaml_node_t *f = node_get(c, *it);
		size_t i = (size_t)(it - n->data.sequence.items.start);

		if (!f)
			return broken(c);
		if (parse_flag(c, f, pidx(p, path, i), flags))
			return -1;
	}
	return 0;
}

static int find_slot(const struct scenario *sc, uint32_t slot)
{
	for (size_t i = 0; i < sc->nr_slots; i++)
		if (sc->slots[i].slot == slot)
			return (int)i;
	return -1;
}

static int get_slot_number(struct ctx *c, const yaml_node_t *n,
			   const char *path, uint32_t *slot)
{
	uint64_t v;

	if (get_range(c, n, path, 0, UINT32_MAX, "0..0xffffffff", &v))
		return -1;
	*slot = (uint32_t)v;
	return 0;
}

/* The memslot's HVA: exactly one of mmap (+ mmap_offset) and
 * userspace_addr; memory_size defaults to the rest of the mmap. */
static int slot_source(struct ctx *c, const yaml_node_t *n, const char *path,
		       struct sc_slot *s)
{
	const struct scenario *sc = c->sc;
	const yaml_node_t *km = NULL, *ku = NULL, *ko = NULL, *vm, *vu, *vo,
			  *vs;
	const char *name;
	char p[PATH_LEN], q[SHOW_LEN], s1[24], s2[24];

	vm = map_get(c, n, "mmap", &km);
	vu = map_get(c, n, "userspace_addr", &ku);
	vo = map_get(c, n, "mmap_offset", &ko);
	vs = map_get(c, n, "memory_size", NULL);
	if (vm && vu)
		return fail(c, later(km, ku),
			    "%s: 'mmap' and 'userspace_addr' are mutually "
			    "exclusive (give exactly one)",
			    path);
	if (!vm && !vu)
		return fail(c, n,
			    "%s: missing 'mmap' or 'userspace_addr' (give "
			    "exactly one)",
			    path);
	if (vs && get_size(c, vs, pkey(p, path, "memory_size"), &s->size))
		return -1;
	if (vu) {
		if (vo)
			return fail(c, ko,
				    "%s: 'mmap_offset' does not apply with "
				    "'userspace_addr' (it is an offset into "
				    "'mmap')",
				    path);
		if (!vs)
			return fail(c, n,
				    "%s: missing required key 'memory_size' "
				    "(required with userspace_addr)",
				    path);
		return get_addr(c, vu, pkey(p, path, "userspace_addr"),
				&s->userspace_addr);
	}
	if (get_text(c, vm, pkey(p, path, "mmap"), "an mmap name", &name))
		return -1;
	s->mmap = find_mmap(sc, name);
	if (s->mmap < 0)
		return fail(c, vm, "%s: undefined mmap %s", p, show(vm, q));
	if (vo &&
	    get_size(c, vo, pkey(p, path, "mmap_offset"), &s->mmap_offset))
		return -1;
	if (vs)
		return 0;
	if (s->mmap_offset >= sc->mmaps[s->mmap].size) {
		sc_format_size(s->mmap_offset, s1, sizeof(s1));
		sc_format_size(sc->mmaps[s->mmap].size, s2, sizeof(s2));
		return fail(c, vo ? vo : vm,
			    "%s: %s is not inside mmap '%s' (%s); give "
			    "memory_size",
			    p, s1, sc->mmaps[s->mmap].name, s2);
	}
	s->size = sc->mmaps[s->mmap].size - s->mmap_offset;
	return 0;
}

static int parse_slot(struct ctx *c, const yaml_node_t *n, size_t i)
{
	static const char *const keys[] = {
		"slot", "flags",       "guest_phys_addr", "memory_size",
		"mmap", "mmap_offset", "userspace_addr",  NULL
	};
	struct scenario *sc = c->sc;
	struct sc_slot *s = &sc->slots[i];
	const yaml_node_t *vs, *vg, *vf;
	char path[PATH_LEN], p[PATH_LEN];
	int dup;

	memset(s, 0, sizeof(*s));
	s->mmap = -1;
	s->mark = mark_of(n);
	pidx(path, "vmm.memslots", i);
	if (check_map(c, n, path, keys))
		return -1;
	vs = require(c, n, path, "slot");
	if (!vs)
		return -1;
	vg = require(c, n, path, "guest_phys_addr");
	if (!vg)
		return -1;
	if (get_slot_number(c, vs, pkey(p, path, "slot"), &s->slot))
		return -1;
	dup = find_slot(sc, s->slot);
	if (dup >= 0)
		return fail(c, vs,
			    "%s: duplicate slot %" PRIu32 " (first at line %u)",
			    p, s->slot, sc->slots[dup].mark.line);
	vf = map_get(c, n, "flags", NULL);
	if (vf && parse_flags(c, vf, pkey(p, path, "flags"), &s->flags))
		return -1;
	if (get_addr(c, vg, pkey(p, path, "guest_phys_addr"), &s->gpa))
		return -1;
	return slot_source(c, n, path, s);
}

static int parse_slots(struct ctx *c, const yaml_node_t *n)
{
	const yaml_node_item_t *it;

	if (want(c, n, "vmm.memslots", YAML_SEQUENCE_NODE, "a list"))
		return -1;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		const yaml_node_t *s = node_get(c, *it);

		if (!s)
			return broken(c);
		if (c->sc->nr_slots >= SC_MAX_SLOTS)
			return fail(c, s,
				    "vmm.memslots: too many entries (at most "
				    "%d)",
				    SC_MAX_SLOTS);
		if (parse_slot(c, s, c->sc->nr_slots))
			return -1;
		c->sc->nr_slots++;
	}
	return 0;
}

static int parse_vmm(struct ctx *c, const yaml_node_t *n)
{
	static const char *const keys[] = { "mmaps", "vm", "memslots", NULL };
	const yaml_node_t *v;

	if (check_map(c, n, "vmm", keys))
		return -1;
	c->sc->vm.mark = mark_of(n);
	v = map_get(c, n, "vm", NULL);
	if (v && parse_vm(c, v))
		return -1;
	v = map_get(c, n, "mmaps", NULL);
	if (v && parse_mmaps(c, v))
		return -1;
	v = map_get(c, n, "memslots", NULL);
	if (v && parse_slots(c, v))
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* guest                                                               */
/* ------------------------------------------------------------------ */

static int find_access(const struct scenario *sc, const char *name)
{
	for (size_t i = 0; i < sc->nr_accesses; i++)
		if (!strcmp(sc->accesses[i].name, name))
			return (int)i;
	return -1;
}

static int parse_access(struct ctx *c, const yaml_node_t *n, size_t i)
{
	static const char *const keys[] = { "name",   "ipa", "size",
					    "access", "s1",  NULL };
	static const char *const kinds[] = { "read", "write", "exec", NULL };
	static const unsigned bits[] = { S2MT_ACCESS_READ, S2MT_ACCESS_WRITE,
					 S2MT_ACCESS_EXEC };
	struct scenario *sc = c->sc;
	struct sc_access *a = &sc->accesses[i];
	const yaml_node_t *name, *ipa, *v;
	char path[PATH_LEN], p[PATH_LEN], q[SHOW_LEN];
	unsigned k;
	int dup;

	memset(a, 0, sizeof(*a));
	a->mark = mark_of(n);
	pidx(path, "guest.accesses", i);
	if (check_map(c, n, path, keys))
		return -1;
	name = require(c, n, path, "name");
	if (!name)
		return -1;
	ipa = require(c, n, path, "ipa");
	if (!ipa)
		return -1;
	if (get_name(c, name, pkey(p, path, "name"), SC_NAME_LEN - 1, a->name))
		return -1;
	dup = find_access(sc, a->name);
	if (dup >= 0)
		return fail(c, name,
			    "%s: duplicate access name '%s' (first at line %u)",
			    p, a->name, sc->accesses[dup].mark.line);
	if (get_addr(c, ipa, pkey(p, path, "ipa"), &a->ipa))
		return -1;
	a->size = SZ_4K;
	v = map_get(c, n, "size", NULL);
	if (v) {
		if (get_size(c, v, pkey(p, path, "size"), &a->size))
			return -1;
		if (!a->size)
			return fail(c, v, "%s: must not be 0", p);
		if (a->ipa + a->size < a->ipa)
			return fail(c, v,
				    "%s: ipa 0x%" PRIx64 " + size 0x%" PRIx64
				    " overflows 64 bits",
				    p, a->ipa, a->size);
	}
	a->access = S2MT_ACCESS_READ;
	v = map_get(c, n, "access", NULL);
	if (v) {
		if (get_choice(c, v, pkey(p, path, "access"), kinds, "access",
			       &k))
			return -1;
		a->access = bits[k];
	}
	s2mt_s1attr_parse("normal-wb", &a->s1);
	v = map_get(c, n, "s1", NULL);
	if (!v)
		return 0;
	if (want(c, v, pkey(p, path, "s1"), YAML_SCALAR_NODE,
		 "a stage-1 name or MAIR byte"))
		return -1;
	if (strlen(sval(v)) != slen(v) || s2mt_s1attr_parse(sval(v), &a->s1))
		return fail(c, v,
			    "%s: expected a stage-1 name (off, device-ngnrne, "
			    "device-ngnre, device-ngre, device-gre, normal-nc, "
			    "normal-wt, normal-wb, tagged) or a MAIR byte "
			    "(0x44), got %s",
			    p, show(v, q));
	return 0;
}

static int parse_guest(struct ctx *c, const yaml_node_t *n)
{
	static const char *const keys[] = { "accesses", NULL };
	const yaml_node_t *acc;
	const yaml_node_item_t *it;

	if (check_map(c, n, "guest", keys))
		return -1;
	acc = map_get(c, n, "accesses", NULL);
	if (!acc)
		return 0;
	if (want(c, acc, "guest.accesses", YAML_SEQUENCE_NODE, "a list"))
		return -1;
	for (it = acc->data.sequence.items.start;
	     it < acc->data.sequence.items.top; it++) {
		const yaml_node_t *a = node_get(c, *it);

		if (!a)
			return broken(c);
		if (c->sc->nr_accesses >= SC_MAX_ACCESSES)
			return fail(c, a,
				    "guest.accesses: too many entries (at most "
				    "%d)",
				    SC_MAX_ACCESSES);
		if (parse_access(c, a, c->sc->nr_accesses))
			return -1;
		c->sc->nr_accesses++;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* steps                                                               */
/* ------------------------------------------------------------------ */

enum step_arg {
	ARG_NONE,
	ARG_MMAP,
	ARG_MUNMAP,
	ARG_MPROTECT,
	ARG_SLOT,
	ARG_SLOT_MOVE,
	ARG_SLOT_FLAGS,
	ARG_DIRTY_LOG,
	ARG_ACCESS,
	ARG_CAP,
	ARG_MIGRATE,
};

/* Keys of a step's expect, in this order: bit i is expect_keys[i]. */
static const char *const expect_keys[] = { "errno",  "outcome", "effective",
					   "stage2", "leaf",	"rule",
					   "value",  NULL };
#define E_ERRNO (1u << 0)
#define E_OUTCOME (1u << 1)
#define E_EFFECTIVE (1u << 2)
#define E_STAGE2 (1u << 3)
#define E_LEAF (1u << 4)
#define E_RULE (1u << 5)
#define E_VALUE (1u << 6)
#define E_CALL (E_ERRNO | E_RULE)
#define E_ACCESS (E_CALL | E_OUTCOME | E_EFFECTIVE | E_STAGE2 | E_LEAF)

static const struct action {
	const char *name;
	uint8_t kind; /* enum sc_step_kind */
	uint8_t arg; /* enum step_arg */
	unsigned expect; /* E_* */
	const char *usage;
} actions[] = {
	{ "mmap", SC_STEP_MMAP, ARG_MMAP, E_CALL, "mmap: NAME" },
	{ "munmap", SC_STEP_MUNMAP, ARG_MUNMAP, E_CALL,
	  "munmap: NAME or {mmap, offset, size}" },
	{ "mprotect", SC_STEP_MPROTECT, ARG_MPROTECT, E_CALL,
	  "mprotect: {mmap, prot, offset, size}" },
	{ "create-vm", SC_STEP_CREATE_VM, ARG_NONE, E_CALL, "create-vm" },
	{ "memslot", SC_STEP_MEMSLOT, ARG_SLOT, E_CALL, "memslot: SLOT" },
	{ "slot-delete", SC_STEP_SLOT_DELETE, ARG_SLOT, E_CALL,
	  "slot-delete: SLOT" },
	{ "slot-move", SC_STEP_SLOT_MOVE, ARG_SLOT_MOVE, E_CALL,
	  "slot-move: {slot, guest_phys_addr}" },
	{ "slot-flags", SC_STEP_SLOT_FLAGS, ARG_SLOT_FLAGS, E_CALL,
	  "slot-flags: {slot, flags}" },
	{ "dirty-log", SC_STEP_DIRTY_LOG, ARG_DIRTY_LOG, E_CALL,
	  "dirty-log: {slot, enable}" },
	{ "get-dirty-log", SC_STEP_GET_DIRTY_LOG, ARG_SLOT, E_CALL | E_VALUE,
	  "get-dirty-log: SLOT" },
	{ "access", SC_STEP_ACCESS, ARG_ACCESS, E_ACCESS, "access: NAME" },
	{ "capability", SC_STEP_CAPABILITY, ARG_CAP, E_CALL | E_VALUE,
	  "capability: {cap, on}" },
	{ "migrate", SC_STEP_MIGRATE, ARG_MIGRATE, E_CALL,
	  "migrate: PRESET or {preset, kernel}" },
};

static const char *const action_names[] = {
	"mmap",	       "munmap",     "mprotect",   "create-vm", "memslot",
	"slot-delete", "slot-move",  "slot-flags", "dirty-log", "get-dirty-log",
	"access",      "capability", "migrate",	   NULL,
};

static const char *const step_keys[] = {
	"mmap",	       "munmap",     "mprotect",   "create-vm", "memslot",
	"slot-delete", "slot-move",  "slot-flags", "dirty-log", "get-dirty-log",
	"access",      "capability", "migrate",	   "expect",	NULL,
};

static const struct action *find_action(const yaml_node_t *n)
{
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
		if (scalar_is(n, actions[i].name))
			return &actions[i];
	return NULL;
}

static int step_mmap_ref(struct ctx *c, const yaml_node_t *n, const char *path,
			 int *ref)
{
	const char *name;
	char q[SHOW_LEN];

	if (get_text(c, n, path, "an mmap name", &name))
		return -1;
	*ref = find_mmap(c->sc, name);
	if (*ref < 0)
		return fail(c, n, "%s: undefined mmap %s", path, show(n, q));
	return 0;
}

static int step_slot_ref(struct ctx *c, const yaml_node_t *n, const char *path,
			 struct sc_step *st)
{
	if (get_slot_number(c, n, path, &st->slot))
		return -1;
	st->ref = find_slot(c->sc, st->slot);
	if (st->ref < 0)
		return fail(c, n,
			    "%s: slot %" PRIu32
			    " is not defined in vmm.memslots",
			    path, st->slot);
	return 0;
}

/* munmap and mprotect as {mmap, [prot,] offset, size}. */
static int step_range(struct ctx *c, const yaml_node_t *n, const char *path,
		      struct sc_step *st, bool prot)
{
	static const char *const munmap_keys[] = { "mmap", "offset", "size",
						   NULL };
	static const char *const mprotect_keys[] = { "mmap", "prot", "offset",
						     "size", NULL };
	const yaml_node_t *vm, *vp = NULL, *v;
	char p[PATH_LEN];

	if (check_map(c, n, path, prot ? mprotect_keys : munmap_keys))
		return -1;
	vm = require(c, n, path, "mmap");
	if (!vm)
		return -1;
	if (prot) {
		vp = require(c, n, path, "prot");
		if (!vp)
			return -1;
	}
	if (step_mmap_ref(c, vm, pkey(p, path, "mmap"), &st->ref))
		return -1;
	if (vp && get_prot(c, vp, pkey(p, path, "prot"), &st->prot))
		return -1;
	v = map_get(c, n, "offset", NULL);
	if (v && get_size(c, v, pkey(p, path, "offset"), &st->offset))
		return -1;
	v = map_get(c, n, "size", NULL);
	if (v && get_size(c, v, pkey(p, path, "size"), &st->size))
		return -1;
	if (v && st->offset + st->size < st->offset)
		return fail(c, v,
			    "%s: offset 0x%" PRIx64 " + size 0x%" PRIx64
			    " overflows 64 bits",
			    p, st->offset, st->size);
	return 0;
}

/* {slot, KEY} for slot-move, slot-flags and dirty-log. */
static int step_slot_map(struct ctx *c, const yaml_node_t *n, const char *path,
			 struct sc_step *st, const char *key)
{
	const char *keys[] = { "slot", key, NULL };
	const yaml_node_t *vs, *v;
	char p[PATH_LEN];

	if (check_map(c, n, path, keys))
		return -1;
	vs = require(c, n, path, "slot");
	if (!vs)
		return -1;
	v = require(c, n, path, key);
	if (!v)
		return -1;
	if (step_slot_ref(c, vs, pkey(p, path, "slot"), st))
		return -1;
	pkey(p, path, key);
	switch (st->kind) {
	case SC_STEP_SLOT_MOVE:
		return get_addr(c, v, p, &st->gpa);
	case SC_STEP_SLOT_FLAGS:
		return parse_flags(c, v, p, &st->flags);
	default:
		return get_bool(c, v, p, &st->enable);
	}
}

static const struct {
	const char *name;
	long cap;
} cap_names[] = {
	{ "cacheable-pfnmap", KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED },
	{ "mte", KVM_CAP_ARM_MTE },
	{ "ipa-size", KVM_CAP_ARM_VM_IPA_SIZE },
	{ "nr-memslots", KVM_CAP_NR_MEMSLOTS },
	{ "readonly-mem", KVM_CAP_READONLY_MEM },
	{ "user-memory2", KVM_CAP_USER_MEMORY2 },
};

static int get_cap(struct ctx *c, const yaml_node_t *n, const char *path,
		   long *cap)
{
	const char *what = "a capability (a number, or cacheable-pfnmap, mte, "
			   "ipa-size, nr-memslots, readonly-mem, "
			   "user-memory2)";
	char s[SHOW_LEN];
	uint64_t v;

	if (want(c, n, path, YAML_SCALAR_NODE, what))
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
		if (scalar_ieq(n, cap_names[i].name)) {
			*cap = cap_names[i].cap;
			return 0;
		}
	switch (parse_number(sval(n), slen(n), false, &v)) {
	case NUM_OK:
		if (v <= INT32_MAX) {
			*cap = (long)v;
			return 0;
		}
		/* fall through */
	case NUM_OVERFLOW:
		return fail(c, n, "%s: %s is out of range 0..2147483647", path,
			    show(n, s));
	default:
		return fail(c, n, "%s: expected %s, got %s", path, what,
			    show(n, s));
	}
}

static int step_capability(struct ctx *c, const yaml_node_t *n,
			   const char *path, struct sc_step *st)
{
	static const char *const keys[] = { "cap", "on", NULL };
	static const char *const on[] = { "vm", "system", NULL };
	const yaml_node_t *v;
	char p[PATH_LEN];
	unsigned k;

	st->on_vm = true;
	if (is_scalar(n))
		return get_cap(c, n, path, &st->cap);
	if (check_map(c, n, path, keys))
		return -1;
	v = require(c, n, path, "cap");
	if (!v || get_cap(c, v, pkey(p, path, "cap"), &st->cap))
		return -1;
	v = map_get(c, n, "on", NULL);
	if (!v)
		return 0;
	if (get_choice(c, v, pkey(p, path, "on"), on, "handle", &k))
		return -1;
	st->on_vm = k == 0;
	return 0;
}

static int step_migrate(struct ctx *c, const yaml_node_t *n, const char *path,
			struct sc_step *st)
{
	static const char *const keys[] = { "preset", "kernel", NULL };
	struct s2mt_migration_target *t = &st->target;
	const yaml_node_t *vp = n, *vk = NULL;
	const char *preset;
	char p[PATH_LEN], pp[PATH_LEN];

	t->era = c->sc->era;
	pkey(pp, path, "preset");
	if (!is_scalar(n)) {
		if (check_map(c, n, path, keys))
			return -1;
		vp = require(c, n, path, "preset");
		if (!vp)
			return -1;
		vk = map_get(c, n, "kernel", NULL);
	}
	if (get_preset(c, vp, is_scalar(n) ? path : pp, &preset))
		return -1;
	snprintf(t->name, sizeof(t->name), "%s", preset);
	s2mt_host_preset_caps(preset, &t->caps);
	if (vk && get_era(c, vk, pkey(p, path, "kernel"), &t->era))
		return -1;
	return 0;
}

static int step_arg(struct ctx *c, const struct action *a, const yaml_node_t *n,
		    const char *path, struct sc_step *st)
{
	char s[SHOW_LEN];
	const char *name;

	switch (a->arg) {
	case ARG_NONE:
		if (!is_null(n))
			return fail(c, n, "%s: takes no argument, got %s", path,
				    show(n, s));
		return 0;
	case ARG_MMAP:
		return step_mmap_ref(c, n, path, &st->ref);
	case ARG_MUNMAP:
		if (is_scalar(n))
			return step_mmap_ref(c, n, path, &st->ref);
		return step_range(c, n, path, st, false);
	case ARG_MPROTECT:
		if (want(c, n, path, YAML_MAPPING_NODE,
			 "a map {mmap, prot, offset, size}"))
			return -1;
		return step_range(c, n, path, st, true);
	case ARG_SLOT:
		return step_slot_ref(c, n, path, st);
	case ARG_SLOT_MOVE:
		return step_slot_map(c, n, path, st, "guest_phys_addr");
	case ARG_SLOT_FLAGS:
		return step_slot_map(c, n, path, st, "flags");
	case ARG_DIRTY_LOG:
		return step_slot_map(c, n, path, st, "enable");
	case ARG_ACCESS:
		if (get_text(c, n, path, "an access name", &name))
			return -1;
		st->ref = find_access(c->sc, name);
		if (st->ref < 0)
			return fail(c, n, "%s: undefined access %s", path,
				    show(n, s));
		return 0;
	case ARG_CAP:
		return step_capability(c, n, path, st);
	default:
		return step_migrate(c, n, path, st);
	}
}

static const char *const errno_names[] = {
	"0",	 "EINVAL", "EFAULT", "EEXIST", "ENOEXEC", "EAGAIN", "ENOENT",
	"EPERM", "ENOMEM", "EBUSY",  "ENODEV", "ENOSPC",  NULL
};
static const int errno_values[] = { 0,		 S2MT_EINVAL,  S2MT_EFAULT,
				    S2MT_EEXIST, S2MT_ENOEXEC, S2MT_EAGAIN,
				    S2MT_ENOENT, S2MT_EPERM,   S2MT_ENOMEM,
				    S2MT_EBUSY,	 S2MT_ENODEV,  S2MT_ENOSPC };

/*
 * The names s2mt_memtype_name() (effective) and s2mt_s2_name() (stage 2)
 * produce; matched case-insensitively, stored as the core spells them.
 */
static bool type_name(const yaml_node_t *n, bool stage2, char *out, size_t len)
{
	static const char *const dev[] = { "Device-nGnRnE", "Device-nGnRE",
					   "Device-nGRE", "Device-GRE" };
	static const char *const cache[] = { "NC", "WT", "WB" };
	char name[32];

	for (size_t i = 0; i < ARRAY_SIZE(dev); i++)
		if (scalar_ieq(n, dev[i])) {
			snprintf(out, len, "%s", dev[i]);
			return true;
		}
	if (stage2 && (scalar_ieq(n, "Force-WB") || scalar_ieq(n, "As-S1"))) {
		snprintf(out, len, "%s",
			 scalar_ieq(n, "As-S1") ? "As-S1" : "Force-WB");
		return true;
	}
	for (size_t o = 0; o < ARRAY_SIZE(cache); o++)
		for (size_t i = 0; i < ARRAY_SIZE(cache); i++)
			for (int tagged = 0; tagged <= !stage2; tagged++) {
				if (o == i)
					snprintf(name, sizeof(name),
						 "Normal-%s%s", cache[o],
						 tagged ? "-tagged" : "");
				else
					snprintf(name, sizeof(name),
						 "Normal-o%s-i%s%s", cache[o],
						 cache[i],
						 tagged ? "-tagged" : "");
				if (scalar_ieq(n, name)) {
					snprintf(out, len, "%s", name);
					return true;
				}
			}
	return false;
}

static int expect_type(struct ctx *c, const yaml_node_t *n, const char *path,
		       bool stage2, char *out, size_t len)
{
	char s[SHOW_LEN];

	if (want(c, n, path, YAML_SCALAR_NODE, "a memory type name"))
		return -1;
	if (type_name(n, stage2, out, len))
		return 0;
	if (stage2)
		return fail(c, n,
			    "%s: expected a stage-2 type (Device-nGnRnE, "
			    "Device-nGnRE, Device-nGRE, Device-GRE, Normal-NC, "
			    "Normal-WT, Normal-WB, Normal-oX-iY, Force-WB, "
			    "As-S1), got %s",
			    path, show(n, s));
	return fail(c, n,
		    "%s: expected an effective type (Device-nGnRnE, "
		    "Device-nGnRE, Device-nGRE, Device-GRE, Normal-NC, "
		    "Normal-WT, Normal-WB, Normal-WB-tagged, Normal-oX-iY), "
		    "got %s",
		    path, show(n, s));
}

static int expect_value(struct ctx *c, unsigned key, const yaml_node_t *v,
			const char *p, struct sc_expect *e)
{
	char s[SHOW_LEN];
	unsigned k;

	switch (1u << key) {
	case E_ERRNO:
		e->has_errno = true;
		if (is_scalar(v) && slen(v) > 1 && sval(v)[0] == '-' &&
		    sval(v)[1] == 'E') {
			/* "-EINVAL" as well as "EINVAL" */
			for (k = 1; errno_names[k]; k++)
				if (!strcmp(sval(v) + 1, errno_names[k]))
					break;
			if (errno_names[k] && strlen(sval(v)) == slen(v)) {
				e->err = -errno_values[k];
				return 0;
			}
		}
		if (get_choice(c, v, p, errno_names, "errno", &k))
			return -1;
		e->err = -errno_values[k];
		return 0;
	case E_OUTCOME:
		e->has_outcome = true;
		if (get_choice(c, v, p, s2mt_fault_outcome_tokens, "outcome",
			       &k))
			return -1;
		e->outcome = (uint8_t)k;
		return 0;
	case E_EFFECTIVE:
		e->has_effective = true;
		return expect_type(c, v, p, false, e->effective,
				   sizeof(e->effective));
	case E_STAGE2:
		e->has_stage2 = true;
		return expect_type(c, v, p, true, e->stage2, sizeof(e->stage2));
	case E_LEAF:
		e->has_leaf = true;
		if (!is_scalar(v) ||
		    parse_number(sval(v), slen(v), true, &e->leaf) != NUM_OK ||
		    (e->leaf != SZ_4K && e->leaf != SZ_2M && e->leaf != SZ_1G))
			return fail(c, v, "%s: expected 4K, 2M or 1G, got %s",
				    p, show(v, s));
		return 0;
	case E_RULE:
		e->has_rule = true;
		if (want(c, v, p, YAML_SCALAR_NODE, "a rule id"))
			return -1;
		for (size_t i = 0; i < slen(v); i++) {
			char ch = sval(v)[i];

			if (!((ch >= 'A' && ch <= 'Z') ||
			      (ch >= 'a' && ch <= 'z') ||
			      (ch >= '0' && ch <= '9')))
				goto bad_rule;
		}
		if (!slen(v) || slen(v) >= sizeof(e->rule))
			goto bad_rule;
		memcpy(e->rule, sval(v), slen(v) + 1);
		return 0;
	default:
		e->has_value = true;
		return get_long(c, v, p, &e->value);
	}
bad_rule:
	return fail(c, v,
		    "%s: expected a rule id such as K2 (1 to %zu letters and "
		    "digits), got %s",
		    p, sizeof(e->rule) - 1, show(v, s));
}

static int step_expect(struct ctx *c, const yaml_node_t *n, const char *path,
		       const struct action *a, struct sc_expect *e)
{
	const yaml_node_pair_t *pr;
	const char *allowed[ARRAY_SIZE(expect_keys)];
	char p[PATH_LEN], list[LIST_LEN];
	size_t nr = 0;

	if (check_map(c, n, path, expect_keys))
		return -1;
	for (unsigned k = 0; expect_keys[k]; k++)
		if (a->expect & (1u << k))
			allowed[nr++] = expect_keys[k];
	allowed[nr] = NULL;
	memset(e, 0, sizeof(*e));
	e->mark = mark_of(n);
	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		const yaml_node_t *k = node_get(c, pr->key);
		unsigned key = 0;

		if (!k)
			return broken(c);
		while (expect_keys[key] && !scalar_is(k, expect_keys[key]))
			key++;
		if (!(a->expect & (1u << key)))
			return fail(c, k,
				    "%s: '%s' does not apply to the %s "
				    "action (allowed: %s)",
				    path, sval(k), a->name,
				    join(allowed, list, sizeof(list)));
	}
	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		const yaml_node_t *k = node_get(c, pr->key);
		const yaml_node_t *v = node_get(c, pr->value);
		unsigned key = 0;

		while (expect_keys[key] && !scalar_is(k, expect_keys[key]))
			key++;
		if (expect_value(c, key, v, pkey(p, path, expect_keys[key]), e))
			return -1;
	}
	return 0;
}

static int parse_step(struct ctx *c, const yaml_node_t *n, size_t i)
{
	struct sc_step *st = &c->sc->steps[i];
	const struct action *a = NULL;
	const yaml_node_t *arg = NULL, *ke = NULL, *ve;
	const yaml_node_pair_t *pr;
	char path[PATH_LEN], p[PATH_LEN], s[SHOW_LEN], list[LIST_LEN];

	memset(st, 0, sizeof(*st));
	st->ref = -1;
	st->mark = mark_of(n);
	pidx(path, "steps", i);
	if (is_scalar(n)) {
		a = find_action(n);
		if (!a)
			return fail(c, n, "%s: unknown action %s (allowed: %s)",
				    path, show(n, s),
				    join(action_names, list, sizeof(list)));
		if (a->arg != ARG_NONE)
			return fail(c, n, "%s: '%s' needs an argument (%s)",
				    path, a->name, a->usage);
		st->kind = a->kind;
		return 0;
	}
	if (n->type != YAML_MAPPING_NODE)
		return fail(c, n,
			    "%s: expected a step (a map such as {mmap: NAME}, "
			    "or create-vm), got %s",
			    path, show(n, s));
	if (check_map(c, n, path, step_keys))
		return -1;
	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		const yaml_node_t *k = node_get(c, pr->key);
		const struct action *ka = find_action(k);

		if (!ka)
			continue;
		if (a)
			return fail(c, k,
				    "%s: more than one action ('%s' and "
				    "'%s'): one action per step",
				    path, a->name, ka->name);
		a = ka;
		arg = node_get(c, pr->value);
	}
	if (!a)
		return fail(c, n, "%s: no action (allowed: %s)", path,
			    join(action_names, list, sizeof(list)));
	st->kind = a->kind;
	if (step_arg(c, a, arg, pkey(p, path, a->name), st))
		return -1;
	ve = map_get(c, n, "expect", &ke);
	if (!ve)
		return 0;
	st->has_expect = true;
	return step_expect(c, ve, pkey(p, path, "expect"), a, &st->expect);
}

static int parse_steps(struct ctx *c, const yaml_node_t *n)
{
	const yaml_node_item_t *it;

	if (want(c, n, "steps", YAML_SEQUENCE_NODE, "a list"))
		return -1;
	c->sc->steps_given = true;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		const yaml_node_t *s = node_get(c, *it);

		if (!s)
			return broken(c);
		if (c->sc->nr_steps >= SC_MAX_STEPS)
			return fail(c, s,
				    "steps: too many entries (at most %d)",
				    SC_MAX_STEPS);
		if (parse_step(c, s, c->sc->nr_steps))
			return -1;
		c->sc->nr_steps++;
	}
	return 0;
}

/* Every mmap, the VM, every memslot, every access. */
static void default_steps(struct scenario *sc)
{
	struct sc_step *st;
	size_t i;

	sc->steps_given = false;
	sc->nr_steps = 0;
	for (i = 0; i < sc->nr_mmaps; i++) {
		st = &sc->steps[sc->nr_steps++];
		memset(st, 0, sizeof(*st));
		st->kind = SC_STEP_MMAP;
		st->ref = (int)i;
		st->mark = sc->mmaps[i].mark;
	}
	st = &sc->steps[sc->nr_steps++];
	memset(st, 0, sizeof(*st));
	st->kind = SC_STEP_CREATE_VM;
	st->ref = -1;
	st->mark = sc->vm.mark;
	for (i = 0; i < sc->nr_slots; i++) {
		st = &sc->steps[sc->nr_steps++];
		memset(st, 0, sizeof(*st));
		st->kind = SC_STEP_MEMSLOT;
		st->ref = (int)i;
		st->slot = sc->slots[i].slot;
		st->mark = sc->slots[i].mark;
	}
	for (i = 0; i < sc->nr_accesses; i++) {
		st = &sc->steps[sc->nr_steps++];
		memset(st, 0, sizeof(*st));
		st->kind = SC_STEP_ACCESS;
		st->ref = (int)i;
		st->mark = sc->accesses[i].mark;
	}
}

/* ------------------------------------------------------------------ */
/* expect                                                              */
/* ------------------------------------------------------------------ */

static int hazard_list(struct ctx *c, const yaml_node_t *n, const char *path,
		       uint32_t *bits, uint32_t other, const char *other_name)
{
	static const char *const names[] = { "Z1", "Z2", "Z3", "Z4", "Z5",
					     "Z6", "Z7", "Z8", NULL };
	const yaml_node_item_t *it;
	char p[PATH_LEN];
	unsigned z;

	if (want(c, n, path, YAML_SEQUENCE_NODE, "a list of hazards (Z1..Z8)"))
		return -1;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		const yaml_node_t *h = node_get(c, *it);
		size_t i = (size_t)(it - n->data.sequence.items.start);

		if (!h)
			return broken(c);
		if (i >= SC_MAX_HAZARD_EXPECT)
			return fail(c, h, "%s: too many entries (at most %d)",
				    path, SC_MAX_HAZARD_EXPECT);
		if (get_choice(c, h, pidx(p, path, i), names, "hazard", &z))
			return -1;
		if (other & S2MT_HAZARD_BIT(z + 1))
			return fail(c, h, "%s: %s is also listed in %s", p,
				    names[z], other_name);
		*bits |= S2MT_HAZARD_BIT(z + 1);
	}
	return 0;
}

static int parse_expect(struct ctx *c, const yaml_node_t *n)
{
	static const char *const keys[] = { "hazards", NULL };
	static const char *const hkeys[] = { "present", "absent", NULL };
	struct sc_hazard_expect *hz = &c->sc->hazards;
	const yaml_node_t *h, *pr, *ab;
	char s[SHOW_LEN];

	if (check_map(c, n, "expect", keys))
		return -1;
	h = map_get(c, n, "hazards", NULL);
	if (!h)
		return 0;
	c->sc->has_hazard_expect = true;
	hz->mark = mark_of(h);
	if (is_scalar(h)) {
		if (!scalar_ieq(h, "none"))
			return fail(c, h,
				    "expect.hazards: expected none or a map "
				    "{present, absent}, got %s",
				    show(h, s));
		hz->none = true;
		return 0;
	}
	if (check_map(c, h, "expect.hazards", hkeys))
		return -1;
	pr = map_get(c, h, "present", NULL);
	ab = map_get(c, h, "absent", NULL);
	if (!pr && !ab)
		return fail(c, h,
			    "expect.hazards: give 'present' and/or 'absent', "
			    "or none");
	if (pr &&
	    hazard_list(c, pr, "expect.hazards.present", &hz->present, 0, NULL))
		return -1;
	if (ab &&
	    hazard_list(c, ab, "expect.hazards.absent", &hz->absent,
			hz->present, "present"))
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The document                                                        */
/* ------------------------------------------------------------------ */

static int load_root(struct ctx *c, const yaml_node_t *root)
{
	static const char *const keys[] = { "name",   "description", "host",
					    "kernel", "devices",     "vmm",
					    "guest",  "steps",	     "expect",
					    NULL };
	struct scenario *sc = c->sc;
	const yaml_node_t *host, *kernel, *v;
	char s[SHOW_LEN];

	if (is_null(root))
		return fail(c, root,
			    "empty document: a scenario is a map with "
			    "host, kernel and more");
	if (root->type != YAML_MAPPING_NODE)
		return fail(c, root,
			    "top level: expected a map (host, kernel, ...), "
			    "got %s",
			    show(root, s));
	if (check_map(c, root, "", keys))
		return -1;
	host = require(c, root, "", "host");
	if (!host)
		return -1;
	kernel = require(c, root, "", "kernel");
	if (!kernel)
		return -1;
	sc->vm.mark = mark_of(root);
	v = map_get(c, root, "name", NULL);
	if (v && copy_text(c, v, "name", sc->name, sizeof(sc->name)))
		return -1;
	v = map_get(c, root, "description", NULL);
	if (v &&
	    copy_text(c, v, "description", sc->description,
		      sizeof(sc->description)))
		return -1;
	if (get_era(c, kernel, "kernel", &sc->era))
		return -1;
	sc->era_given = true;
	if (parse_host(c, host))
		return -1;
	v = map_get(c, root, "devices", NULL);
	if (v ? parse_devices(c, v) : check_host_model(c, NULL))
		return -1;
	v = map_get(c, root, "vmm", NULL);
	if (v && parse_vmm(c, v))
		return -1;
	v = map_get(c, root, "guest", NULL);
	if (v && parse_guest(c, v))
		return -1;
	v = map_get(c, root, "steps", NULL);
	if (v) {
		if (parse_steps(c, v))
			return -1;
	} else {
		if (mmap_overlaps(c))
			return -1;
		default_steps(sc);
	}
	v = map_get(c, root, "expect", NULL);
	if (v && parse_expect(c, v))
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
	return fail_at(c, line, column, "invalid input: %s", msg);
}

static int fail_yaml(struct ctx *c, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "unknown error";
	char msg[128];

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return fail_at(c, 1, 1, "out of memory reading YAML");
	case YAML_READER_ERROR:
		if (p->problem_value == -1)
			snprintf(msg, sizeof(msg), "%s", problem);
		else
			snprintf(msg, sizeof(msg), "%s (0x%02X)", problem,
				 (unsigned)p->problem_value);
		return fail_offset(c, p->problem_offset, msg);
	default:
		if (p->context)
			return fail_at(c, p->problem_mark.line + 1,
				       p->problem_mark.column + 1,
				       "YAML syntax error: %s, %s at line %zu "
				       "column %zu",
				       problem, p->context,
				       p->context_mark.line + 1,
				       p->context_mark.column + 1);
		return fail_at(c, p->problem_mark.line + 1,
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
	return fail_at(c, ev->start_mark.line + 1, ev->start_mark.column + 1,
		       "%s %s: anchors and aliases are not supported (write "
		       "the value out)",
		       what, quote(q, sizeof(q), text, n + 1));
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
		return fail_at(c, 1, 1, "out of memory reading YAML");
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
				err = fail_at(c, ev.start_mark.line + 1,
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
				err = fail_at(c, ev.start_mark.line + 1,
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
		err = fail_at(c, 1, 1,
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
		return fail_at(c, 1, 1, "out of memory reading YAML");
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
		err = fail_at(c, 1, 1,
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
		return fail_at(&c, 1, 1, "internal error: no scenario");
	memset(sc, 0, sizeof(*sc));
	if (!load(&c)) {
		snprintf(sc->file, sizeof(sc->file), "%s", c.file);
		return 0;
	}
	if (!c.failed)
		fail_at(&c, 1, 1, "invalid scenario");
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
	f = path ? fopen(path, "rb") : NULL;
	if (!f)
		return fail_at(&c, 1, 1, "cannot open: %s",
			       strerror(path ? errno : EINVAL));
	for (;;) {
		size_t n;

		if (len == cap) {
			char *nb;

			if (len > SC_MAX_FILE_SIZE) {
				rc = fail_at(&c, 1, 1,
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
				rc = fail_at(&c, 1, 1, "out of memory");
				goto out;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n)
			continue;
		if (ferror(f)) {
			rc = fail_at(&c, 1, 1, "cannot read: %s",
				     strerror(errno));
			goto out;
		}
		break;
	}
	if (len > SC_MAX_FILE_SIZE) {
		rc = fail_at(&c, 1, 1, "larger than %u bytes: not a scenario",
			     SC_MAX_FILE_SIZE);
		goto out;
	}
	rc = scenario_load_buffer(path, buf, len, sc, err, errlen);
out:
	fclose(f);
	free(buf);
	return rc;
}
