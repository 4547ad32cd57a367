// SPDX-License-Identifier: MIT
/*
 * The scenario loader's story: `guest.accesses`, `steps` with what each
 * may expect, the default story when there are no steps, and the top-level
 * `expect` (hazards).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "scenario_parse.h"

/* ------------------------------------------------------------------ */
/* guest                                                              */
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
	sc_pidx(path, "guest.accesses", i);
	if (sc_check_map(c, n, path, keys))
		return -1;
	name = sc_require(c, n, path, "name");
	if (!name)
		return -1;
	ipa = sc_require(c, n, path, "ipa");
	if (!ipa)
		return -1;
	if (sc_get_name(c, name, sc_pkey(p, path, "name"), SC_NAME_LEN - 1,
			a->name))
		return -1;
	dup = find_access(sc, a->name);
	if (dup >= 0)
		return sc_fail(
			c, name,
			"%s: duplicate access name '%s' (first at line %u)", p,
			a->name, sc->accesses[dup].mark.line);
	if (sc_get_addr(c, ipa, sc_pkey(p, path, "ipa"), &a->ipa))
		return -1;
	a->size = SZ_4K;
	v = sc_map_get(c, n, "size", NULL);
	if (v) {
		if (sc_get_size(c, v, sc_pkey(p, path, "size"), &a->size))
			return -1;
		if (!a->size)
			return sc_fail(c, v, "%s: must not be 0", p);
		if (a->ipa + a->size < a->ipa)
			return sc_fail(c, v,
				       "%s: ipa 0x%" PRIx64 " + size 0x%" PRIx64
				       " overflows 64 bits",
				       p, a->ipa, a->size);
	}
	a->access = S2MT_ACCESS_READ;
	v = sc_map_get(c, n, "access", NULL);
	if (v) {
		if (sc_get_choice(c, v, sc_pkey(p, path, "access"), kinds,
				  "access", &k))
			return -1;
		a->access = bits[k];
	}
	s2mt_s1attr_parse("normal-wb", &a->s1);
	v = sc_map_get(c, n, "s1", NULL);
	if (!v)
		return 0;
	if (sc_want(c, v, sc_pkey(p, path, "s1"), YAML_SCALAR_NODE,
		    "a stage-1 name or MAIR byte"))
		return -1;
	if (strlen(sval(v)) != slen(v) || s2mt_s1attr_parse(sval(v), &a->s1))
		return sc_fail(
			c, v,
			"%s: expected a stage-1 name (off, device-ngnrne, "
			"device-ngnre, device-ngre, device-gre, normal-nc, "
			"normal-wt, normal-wb, tagged) or a MAIR byte "
			"(0x44), got %s",
			p, sc_show(v, q));
	return 0;
}

int sc_parse_guest(struct ctx *c, const yaml_node_t *n)
{
	static const char *const keys[] = { "accesses", NULL };
	const yaml_node_t *acc;
	const yaml_node_item_t *it;

	if (sc_check_map(c, n, "guest", keys))
		return -1;
	acc = sc_map_get(c, n, "accesses", NULL);
	if (!acc)
		return 0;
	if (sc_want(c, acc, "guest.accesses", YAML_SEQUENCE_NODE, "a list"))
		return -1;
	for (it = acc->data.sequence.items.start;
	     it < acc->data.sequence.items.top; it++) {
		const yaml_node_t *a = node_get(c, *it);

		if (!a)
			return sc_broken(c);
		if (c->sc->nr_accesses >= SC_MAX_ACCESSES)
			return sc_fail(
				c, a,
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
/* steps                                                              */
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

	if (sc_get_text(c, n, path, "an mmap name", &name))
		return -1;
	*ref = sc_find_mmap(c->sc, name);
	if (*ref < 0)
		return sc_fail(c, n, "%s: undefined mmap %s", path,
			       sc_show(n, q));
	return 0;
}

static int step_slot_ref(struct ctx *c, const yaml_node_t *n, const char *path,
			 struct sc_step *st)
{
	if (sc_get_slot_number(c, n, path, &st->slot))
		return -1;
	st->ref = sc_find_slot(c->sc, st->slot);
	if (st->ref < 0)
		return sc_fail(c, n,
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

	if (sc_check_map(c, n, path, prot ? mprotect_keys : munmap_keys))
		return -1;
	vm = sc_require(c, n, path, "mmap");
	if (!vm)
		return -1;
	if (prot) {
		vp = sc_require(c, n, path, "prot");
		if (!vp)
			return -1;
	}
	if (step_mmap_ref(c, vm, sc_pkey(p, path, "mmap"), &st->ref))
		return -1;
	if (vp && sc_get_prot(c, vp, sc_pkey(p, path, "prot"), &st->prot))
		return -1;
	v = sc_map_get(c, n, "offset", NULL);
	if (v && sc_get_size(c, v, sc_pkey(p, path, "offset"), &st->offset))
		return -1;
	v = sc_map_get(c, n, "size", NULL);
	if (v && sc_get_size(c, v, sc_pkey(p, path, "size"), &st->size))
		return -1;
	if (v && st->offset + st->size < st->offset)
		return sc_fail(c, v,
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

	if (sc_check_map(c, n, path, keys))
		return -1;
	vs = sc_require(c, n, path, "slot");
	if (!vs)
		return -1;
	v = sc_require(c, n, path, key);
	if (!v)
		return -1;
	if (step_slot_ref(c, vs, sc_pkey(p, path, "slot"), st))
		return -1;
	sc_pkey(p, path, key);
	switch (st->kind) {
	case SC_STEP_SLOT_MOVE:
		return sc_get_addr(c, v, p, &st->gpa);
	case SC_STEP_SLOT_FLAGS:
		return sc_parse_flags(c, v, p, &st->flags);
	default:
		return sc_get_bool(c, v, p, &st->enable);
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

	if (sc_want(c, n, path, YAML_SCALAR_NODE, what))
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
		if (scalar_ieq(n, cap_names[i].name)) {
			*cap = cap_names[i].cap;
			return 0;
		}
	switch (sc_parse_number(sval(n), slen(n), false, &v)) {
	case NUM_OK:
		if (v <= INT32_MAX) {
			*cap = (long)v;
			return 0;
		}
		/* fall through */
	case NUM_OVERFLOW:
		return sc_fail(c, n, "%s: %s is out of range 0..2147483647",
			       path, sc_show(n, s));
	default:
		return sc_fail(c, n, "%s: expected %s, got %s", path, what,
			       sc_show(n, s));
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
	if (sc_check_map(c, n, path, keys))
		return -1;
	v = sc_require(c, n, path, "cap");
	if (!v || get_cap(c, v, sc_pkey(p, path, "cap"), &st->cap))
		return -1;
	v = sc_map_get(c, n, "on", NULL);
	if (!v)
		return 0;
	if (sc_get_choice(c, v, sc_pkey(p, path, "on"), on, "handle", &k))
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

	st->target_kernel = c->sc->kernel;
	sc_pkey(pp, path, "preset");
	if (!is_scalar(n)) {
		if (sc_check_map(c, n, path, keys))
			return -1;
		vp = sc_require(c, n, path, "preset");
		if (!vp)
			return -1;
		vk = sc_map_get(c, n, "kernel", NULL);
	}
	if (sc_get_preset(c, vp, is_scalar(n) ? path : pp, &preset))
		return -1;
	snprintf(t->name, sizeof(t->name), "%s", preset);
	s2mt_host_preset_caps(preset, &t->caps);
	if (vk &&
	    sc_get_kernel(c, vk, sc_pkey(p, path, "kernel"),
			  &st->target_kernel))
		return -1;
	t->era = s2mt_kernel_era(&st->target_kernel);
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
			return sc_fail(c, n, "%s: takes no argument, got %s",
				       path, sc_show(n, s));
		return 0;
	case ARG_MMAP:
		return step_mmap_ref(c, n, path, &st->ref);
	case ARG_MUNMAP:
		if (is_scalar(n))
			return step_mmap_ref(c, n, path, &st->ref);
		return step_range(c, n, path, st, false);
	case ARG_MPROTECT:
		if (sc_want(c, n, path, YAML_MAPPING_NODE,
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
		if (sc_get_text(c, n, path, "an access name", &name))
			return -1;
		st->ref = find_access(c->sc, name);
		if (st->ref < 0)
			return sc_fail(c, n, "%s: undefined access %s", path,
				       sc_show(n, s));
		return 0;
	case ARG_CAP:
		return step_capability(c, n, path, st);
	default:
		return step_migrate(c, n, path, st);
	}
}

/* ------------------------------------------------------------------ */
/* expect on a step                                                   */
/* ------------------------------------------------------------------ */

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
	/* x86 hosts (docs/x86.md): the EPT/NPT entry, and the x86 type the
	 * guest gets, as run_leaf_name() and s2mt_x86_mt_name() spell them. */
	for (unsigned t = 0; t < S2MT_X86_MT_COUNT_; t++) {
		const char *x = s2mt_x86_mt_name(t);

		if (!strcmp(x, "reserved"))
			continue;
		if (!stage2 && scalar_ieq(n, x)) {
			snprintf(out, len, "%s", x);
			return true;
		}
		if (!stage2 || !s2mt_x86_mt_is_mtrr(t))
			continue;
		for (int ipat = 0; ipat < 2; ipat++) {
			snprintf(name, sizeof(name), "EPT %s%s", x,
				 ipat ? "+IPAT" : "");
			if (scalar_ieq(n, name)) {
				snprintf(out, len, "%s", name);
				return true;
			}
		}
		snprintf(name, sizeof(name), "NPT host %s", x);
		if (scalar_ieq(n, name)) {
			snprintf(out, len, "%s", name);
			return true;
		}
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

	if (sc_want(c, n, path, YAML_SCALAR_NODE, "a memory type name"))
		return -1;
	if (type_name(n, stage2, out, len))
		return 0;
	if (stage2)
		return sc_fail(
			c, n,
			"%s: expected a stage-2 type (Device-nGnRnE, "
			"Device-nGnRE, Device-nGRE, Device-GRE, Normal-NC, "
			"Normal-WT, Normal-WB, Normal-oX-iY, Force-WB, "
			"As-S1; on x86 'EPT UC', 'EPT WB+IPAT', 'NPT host "
			"WB', ...), got %s",
			path, sc_show(n, s));
	return sc_fail(c, n,
		       "%s: expected an effective type (Device-nGnRnE, "
		       "Device-nGnRE, Device-nGRE, Device-GRE, Normal-NC, "
		       "Normal-WT, Normal-WB, Normal-WB-tagged, Normal-oX-iY; "
		       "on x86 UC, UC-, WC, WT, WP, WB), got %s",
		       path, sc_show(n, s));
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
		if (sc_get_choice(c, v, p, errno_names, "errno", &k))
			return -1;
		e->err = -errno_values[k];
		return 0;
	case E_OUTCOME:
		e->has_outcome = true;
		if (sc_get_choice(c, v, p, s2mt_fault_outcome_tokens, "outcome",
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
		    sc_parse_number(sval(v), slen(v), true, &e->leaf) !=
			    NUM_OK ||
		    (e->leaf != SZ_4K && e->leaf != SZ_2M && e->leaf != SZ_1G))
			return sc_fail(c, v,
				       "%s: expected 4K, 2M or 1G, got %s", p,
				       sc_show(v, s));
		return 0;
	case E_RULE:
		e->has_rule = true;
		if (sc_want(c, v, p, YAML_SCALAR_NODE, "a rule id"))
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
		return sc_get_long(c, v, p, &e->value);
	}
bad_rule:
	return sc_fail(
		c, v,
		"%s: expected a rule id such as K2 (1 to %zu letters and "
		"digits), got %s",
		p, sizeof(e->rule) - 1, sc_show(v, s));
}

static int step_expect(struct ctx *c, const yaml_node_t *n, const char *path,
		       const struct action *a, struct sc_expect *e)
{
	const yaml_node_pair_t *pr;
	const char *allowed[ARRAY_SIZE(expect_keys)];
	char p[PATH_LEN], list[LIST_LEN];
	size_t nr = 0;

	if (sc_check_map(c, n, path, expect_keys))
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
			return sc_broken(c);
		while (expect_keys[key] && !scalar_is(k, expect_keys[key]))
			key++;
		if (!(a->expect & (1u << key)))
			return sc_fail(c, k,
				       "%s: '%s' does not apply to the %s "
				       "action (allowed: %s)",
				       path, sval(k), a->name,
				       sc_join(allowed, list, sizeof(list)));
	}
	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		const yaml_node_t *k = node_get(c, pr->key);
		const yaml_node_t *v = node_get(c, pr->value);
		unsigned key = 0;

		while (expect_keys[key] && !scalar_is(k, expect_keys[key]))
			key++;
		if (expect_value(c, key, v, sc_pkey(p, path, expect_keys[key]),
				 e))
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
	sc_pidx(path, "steps", i);
	if (is_scalar(n)) {
		a = find_action(n);
		if (!a)
			return sc_fail(
				c, n, "%s: unknown action %s (allowed: %s)",
				path, sc_show(n, s),
				sc_join(action_names, list, sizeof(list)));
		if (a->arg != ARG_NONE)
			return sc_fail(c, n, "%s: '%s' needs an argument (%s)",
				       path, a->name, a->usage);
		st->kind = a->kind;
		return 0;
	}
	if (n->type != YAML_MAPPING_NODE)
		return sc_fail(
			c, n,
			"%s: expected a step (a map such as {mmap: NAME}, "
			"or create-vm), got %s",
			path, sc_show(n, s));
	if (sc_check_map(c, n, path, step_keys))
		return -1;
	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		const yaml_node_t *k = node_get(c, pr->key);
		const struct action *ka = find_action(k);

		if (!ka)
			continue;
		if (a)
			return sc_fail(c, k,
				       "%s: more than one action ('%s' and "
				       "'%s'): one action per step",
				       path, a->name, ka->name);
		a = ka;
		arg = node_get(c, pr->value);
	}
	if (!a)
		return sc_fail(c, n, "%s: no action (allowed: %s)", path,
			       sc_join(action_names, list, sizeof(list)));
	st->kind = a->kind;
	if (step_arg(c, a, arg, sc_pkey(p, path, a->name), st))
		return -1;
	ve = sc_map_get(c, n, "expect", &ke);
	if (!ve)
		return 0;
	st->has_expect = true;
	return step_expect(c, ve, sc_pkey(p, path, "expect"), a, &st->expect);
}

int sc_parse_steps(struct ctx *c, const yaml_node_t *n)
{
	const yaml_node_item_t *it;

	if (sc_want(c, n, "steps", YAML_SEQUENCE_NODE, "a list"))
		return -1;
	c->sc->steps_given = true;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		const yaml_node_t *s = node_get(c, *it);

		if (!s)
			return sc_broken(c);
		if (c->sc->nr_steps >= SC_MAX_STEPS)
			return sc_fail(c, s,
				       "steps: too many entries (at most %d)",
				       SC_MAX_STEPS);
		if (parse_step(c, s, c->sc->nr_steps))
			return -1;
		c->sc->nr_steps++;
	}
	return 0;
}

/* Every mmap, the VM, every memslot, every access. */
void sc_default_steps(struct scenario *sc)
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
/* expect (top level)                                                 */
/* ------------------------------------------------------------------ */

static int hazard_list(struct ctx *c, const yaml_node_t *n, const char *path,
		       uint32_t *bits, uint32_t other, const char *other_name)
{
	static const char *const names[] = { "Z1", "Z2", "Z3", "Z4", "Z5",
					     "Z6", "Z7", "Z8", NULL };
	const yaml_node_item_t *it;
	char p[PATH_LEN];
	unsigned z;

	if (sc_want(c, n, path, YAML_SEQUENCE_NODE,
		    "a list of hazards (Z1..Z8)"))
		return -1;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		const yaml_node_t *h = node_get(c, *it);
		size_t i = (size_t)(it - n->data.sequence.items.start);

		if (!h)
			return sc_broken(c);
		if (i >= SC_MAX_HAZARD_EXPECT)
			return sc_fail(c, h,
				       "%s: too many entries (at most %d)",
				       path, SC_MAX_HAZARD_EXPECT);
		if (sc_get_choice(c, h, sc_pidx(p, path, i), names, "hazard",
				  &z))
			return -1;
		if (other & S2MT_HAZARD_BIT(z + 1))
			return sc_fail(c, h, "%s: %s is also listed in %s", p,
				       names[z], other_name);
		*bits |= S2MT_HAZARD_BIT(z + 1);
	}
	return 0;
}

int sc_parse_expect(struct ctx *c, const yaml_node_t *n)
{
	static const char *const keys[] = { "hazards", NULL };
	static const char *const hkeys[] = { "present", "absent", NULL };
	struct sc_hazard_expect *hz = &c->sc->hazards;
	const yaml_node_t *h, *pr, *ab;
	char s[SHOW_LEN];

	if (sc_check_map(c, n, "expect", keys))
		return -1;
	h = sc_map_get(c, n, "hazards", NULL);
	if (!h)
		return 0;
	c->sc->has_hazard_expect = true;
	hz->mark = mark_of(h);
	if (is_scalar(h)) {
		if (!scalar_ieq(h, "none"))
			return sc_fail(c, h,
				       "expect.hazards: expected none or a map "
				       "{present, absent}, got %s",
				       sc_show(h, s));
		hz->none = true;
		return 0;
	}
	if (sc_check_map(c, h, "expect.hazards", hkeys))
		return -1;
	pr = sc_map_get(c, h, "present", NULL);
	ab = sc_map_get(c, h, "absent", NULL);
	if (!pr && !ab)
		return sc_fail(
			c, h,
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
