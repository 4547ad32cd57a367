/* SPDX-License-Identifier: MIT */
/*
 * What the parts of the scenario loader share; the rest of the command
 * sees only scenario.h.
 *
 *   scenario.c        the driver: libyaml's two passes, the top level,
 *                     cross-checks, scenario_load_file/buffer
 *   scenario_yaml.c   messages, paths, checked maps
 *   scenario_value.c  text, names, sizes, addresses, integers, bools, prot,
 *                     choices from a list
 *   scenario_host.c   kernel, host, devices
 *   scenario_vmm.c    vmm: vm, mmaps, memslots
 *   scenario_steps.c  guest accesses, steps and their expectations, the
 *                     default story, the top-level expect
 *
 * Every function takes the loader's context and the node it reads, and
 * returns 0, or -1 after writing the one message (the first failure wins:
 * later ones are ignored, so a caller may simply return -1).
 */
#ifndef S2MT_TOOL_SCENARIO_PARSE_H
#define S2MT_TOOL_SCENARIO_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "scenario.h"

#define SZ_4K 0x1000ull
#define SZ_2M 0x200000ull
#define SZ_1G 0x40000000ull

#define PATH_LEN 96 /* "vmm.memslots[12].mmap_offset" */
#define SHOW_LEN 64 /* a value as quoted in a message */
#define LIST_LEN 400 /* "allowed: a, b, c" */

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
	/* Nodes kept for the cross-checks that run after their section:
	 * mmap_overlaps() and check_host_model(). */
	const yaml_node_t *hva_nodes[SC_MAX_MMAPS];
	const yaml_node_t *device_nodes[SC_MAX_DEVICES];
	const yaml_node_t *kernel_node;
};

/* ------------------------------------------------------------------ */
/* Nodes (small enough to inline)                                     */
/* ------------------------------------------------------------------ */

static inline const yaml_node_t *node_get(struct ctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

static inline bool is_scalar(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE;
}

static inline const char *sval(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static inline size_t slen(const yaml_node_t *n)
{
	return n->data.scalar.length;
}

static inline bool scalar_is(const yaml_node_t *n, const char *s)
{
	return is_scalar(n) && slen(n) == strlen(s) &&
		!memcmp(sval(n), s, slen(n));
}

static inline bool scalar_ieq(const yaml_node_t *n, const char *s)
{
	return is_scalar(n) && slen(n) == strlen(s) &&
		!strncasecmp(sval(n), s, slen(n));
}

static inline bool same_scalar(const yaml_node_t *a, const yaml_node_t *b)
{
	return is_scalar(a) && is_scalar(b) && slen(a) == slen(b) &&
		!memcmp(sval(a), sval(b), slen(a));
}

/* The empty value, ~ or null. */
static inline bool is_null(const yaml_node_t *n)
{
	return is_scalar(n) &&
		((!slen(n) &&
		  n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) ||
		 scalar_is(n, "~") || scalar_ieq(n, "null"));
}

static inline bool in_list(const char *const *list, const yaml_node_t *k)
{
	for (size_t i = 0; list[i]; i++)
		if (scalar_is(k, list[i]))
			return true;
	return false;
}

/* The later of two nodes (where a conflict is reported). */
static inline const yaml_node_t *later(const yaml_node_t *a,
				       const yaml_node_t *b)
{
	return a->start_mark.index > b->start_mark.index ? a : b;
}

static inline struct sc_mark mark_of(const yaml_node_t *n)
{
	struct sc_mark m = { (unsigned)n->start_mark.line + 1,
			     (unsigned)n->start_mark.column + 1 };
	return m;
}

static inline size_t line_of(const yaml_node_t *n)
{
	return n->start_mark.line + 1;
}

static inline const char *where(const char *path)
{
	return *path ? path : "top level";
}

static inline bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* ------------------------------------------------------------------ */
/* Messages and maps (scenario_yaml.c)                                */
/* ------------------------------------------------------------------ */

/* The message "FILE:LINE:COLUMN: ..." at a 1-based line and column. */
int sc_fail_at(struct ctx *c, size_t line, size_t column, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The message at a node's mark. */
int sc_fail(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The libyaml document does not hold together (cannot happen). */
int sc_broken(struct ctx *c);
/* 'text' as written (control characters as '?'), cut at 40 bytes. */
const char *sc_quote(char *buf, size_t len, const unsigned char *s, size_t n);
/* What a node is, for "expected X, got Y": 'text', "a map", ... */
const char *sc_show(const yaml_node_t *n, char buf[SHOW_LEN]);
/* "a, b, c" of a NULL-terminated list. */
const char *sc_join(const char *const *list, char *buf, size_t len);
/* "; did you mean 'size'?" when one name of the NULL-terminated list is
 * within a typo of the scalar n (case-insensitive edit distance), else "". */
const char *sc_suggest(const yaml_node_t *n, const char *const *names,
		       char *buf, size_t len);
/* path.key and path[i], for messages. */
const char *sc_pkey(char buf[PATH_LEN], const char *path, const char *key);
const char *sc_pidx(char buf[PATH_LEN], const char *path, size_t i);

/* n is a map whose keys are unique strings from allowed. */
int sc_check_map(struct ctx *c, const yaml_node_t *n, const char *path,
		 const char *const *allowed);
/* The value of key in a checked map, or NULL; *keynode gets the key. */
const yaml_node_t *sc_map_get(struct ctx *c, const yaml_node_t *map,
			      const char *key, const yaml_node_t **keynode);
/* The value of key, or NULL after "missing required key". */
const yaml_node_t *sc_require(struct ctx *c, const yaml_node_t *map,
			      const char *path, const char *key);
/* Keys of a checked map that are not for this kind of entry. */
int sc_check_subset(struct ctx *c, const yaml_node_t *map, const char *path,
		    const char *const *allowed, const char *what);
/* n is of the type (what names it in the message). */
int sc_want(struct ctx *c, const yaml_node_t *n, const char *path,
	    yaml_node_type_t type, const char *what);

/* ------------------------------------------------------------------ */
/* Values (scenario_value.c)                                          */
/* ------------------------------------------------------------------ */

/* A scalar without NUL characters. */
int sc_get_text(struct ctx *c, const yaml_node_t *n, const char *path,
		const char *what, const char **out);
/* A string into buf, refused when it does not fit. */
int sc_copy_text(struct ctx *c, const yaml_node_t *n, const char *path,
		 char *buf, size_t size);
/* [A-Za-z0-9_.-], 1 to max characters. */
int sc_get_name(struct ctx *c, const yaml_node_t *n, const char *path,
		size_t max, char buf[SC_NAME_LEN]);

enum num_status { NUM_OK, NUM_SYNTAX, NUM_NEGATIVE, NUM_OVERFLOW };
/* Decimal or 0x hex with '_' between digits; with suffix, a decimal
 * number may end in K, M, G, T, KiB, MiB, GiB, TiB. */
enum num_status sc_parse_number(const char *s, size_t len, bool suffix,
				uint64_t *out);
int sc_get_size(struct ctx *c, const yaml_node_t *n, const char *path,
		uint64_t *out);
int sc_get_addr(struct ctx *c, const yaml_node_t *n, const char *path,
		uint64_t *out);
/* An integer in [min, max]; range is how the message writes it. */
int sc_get_range(struct ctx *c, const yaml_node_t *n, const char *path,
		 uint64_t min, uint64_t max, const char *range, uint64_t *out);
/* A signed integer (a capability's value). */
int sc_get_long(struct ctx *c, const yaml_node_t *n, const char *path,
		long *out);
int sc_get_bool(struct ctx *c, const yaml_node_t *n, const char *path,
		bool *out);
/* "rw", "r", "rwx", ... or "none" as S2MT_PROT_* bits. */
int sc_get_prot(struct ctx *c, const yaml_node_t *n, const char *path,
		unsigned *out);
/* The index of one of a NULL-terminated list (case-insensitive). */
int sc_get_choice(struct ctx *c, const yaml_node_t *n, const char *path,
		  const char *const *names, const char *what, unsigned *out);

/* ------------------------------------------------------------------ */
/* Sections                                                           */
/* ------------------------------------------------------------------ */

/* scenario_host.c */
/* What `uname -r` prints (or an era name), or {version, backports}. */
int sc_get_kernel(struct ctx *c, const yaml_node_t *n, const char *path,
		  struct s2mt_kernel *k);
int sc_get_preset(struct ctx *c, const yaml_node_t *n, const char *path,
		  const char **preset);
int sc_parse_host(struct ctx *c, const yaml_node_t *n);
int sc_parse_devices(struct ctx *c, const yaml_node_t *n);
int sc_find_device(const struct scenario *sc, const char *name);

/* scenario_vmm.c */
int sc_parse_vmm(struct ctx *c, const yaml_node_t *n);
int sc_find_mmap(const struct scenario *sc, const char *name);
int sc_find_slot(const struct scenario *sc, uint32_t slot);
int sc_get_slot_number(struct ctx *c, const yaml_node_t *n, const char *path,
		       uint32_t *slot);
/* A flag name or number, or a list of them, as KVM_MEM_* bits. */
int sc_parse_flags(struct ctx *c, const yaml_node_t *n, const char *path,
		   uint32_t *flags);

/* scenario_steps.c */
int sc_parse_guest(struct ctx *c, const yaml_node_t *n);
int sc_parse_steps(struct ctx *c, const yaml_node_t *n);
/* Without steps: every mmap, the VM, every memslot, every access. */
void sc_default_steps(struct scenario *sc);
int sc_parse_expect(struct ctx *c, const yaml_node_t *n);

#endif
