// SPDX-License-Identifier: MIT
/*
 * Conformance scripts (README.md beside this file): parsed and run on any
 * backend of include/s2mt/vmm.h. The same file is built into the host's
 * s2mt-conformance (model backend) and into the static aarch64 /init that
 * drives a real /dev/kvm, so both read the script the same way.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <s2mt/vmm.h>

#define MAX_TOKENS 16
#define MAX_NAMES 64
#define NAME_LEN 32

static const struct {
	int err;
	const char *name;
} errnos[] = {
	{ 1, "EPERM" },	  { 2, "ENOENT" },  { 4, "EINTR" },
	{ 5, "EIO" },	  { 6, "ENXIO" },   { 7, "E2BIG" },
	{ 8, "ENOEXEC" }, { 9, "EBADF" },   { 11, "EAGAIN" },
	{ 12, "ENOMEM" }, { 13, "EACCES" }, { 14, "EFAULT" },
	{ 16, "EBUSY" },  { 17, "EEXIST" }, { 19, "ENODEV" },
	{ 22, "EINVAL" }, { 25, "ENOTTY" }, { 28, "ENOSPC" },
	{ 34, "ERANGE" }, { 38, "ENOSYS" }, { 95, "EOPNOTSUPP" },
};

static void errno_text(long v, char *buf, size_t len)
{
	if (v >= 0) {
		snprintf(buf, len, "%ld", v);
		return;
	}
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (errnos[i].err == -v) {
			snprintf(buf, len, "-%s", errnos[i].name);
			return;
		}
	snprintf(buf, len, "-E%ld", -v);
}

const char *s2mt_vmm_outcome_name(unsigned outcome)
{
	static const char *const names[] = { "ok",   "mmio", "efault",
					     "iabt", "dabt", "other" };

	return outcome < sizeof(names) / sizeof(names[0]) ? names[outcome]
							  : "?";
}

struct named {
	char name[NAME_LEN];
	int vm; /* VM handle */
	uint64_t hva, len; /* mmap */
	bool live;
};

struct script {
	const struct s2mt_vmm_ops *ops;
	void *ctx;
	struct named vms[MAX_NAMES], maps[MAX_NAMES];
	size_t nr_vms, nr_maps;
	char *err;
	size_t errlen;
	unsigned line;
	void (*emit)(void *arg, const char *id, const char *result);
	void *arg;
	const char *id; /* the operation running */
};

static int fail(struct script *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct script *s, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(s->err, s->errlen, "line %u: ", s->line);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < s->errlen)
		vsnprintf(s->err + n, s->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Decimal or 0x hex, with an optional K/M/G suffix. */
static int number(const char *t, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!*t || *t == '-')
		return -1;
	v = strtoull(t, &end, 0);
	switch (toupper((unsigned char)*end)) {
	case 'K':
		v <<= 10;
		end++;
		break;
	case 'M':
		v <<= 20;
		end++;
		break;
	case 'G':
		v <<= 30;
		end++;
		break;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static struct named *find(struct named *list, size_t nr, const char *name)
{
	for (size_t i = 0; i < nr; i++)
		if (!strcmp(list[i].name, name))
			return &list[i];
	return NULL;
}

static struct named *add(struct script *s, struct named *list, size_t *nr,
			 const char *name)
{
	struct named *n = find(list, *nr, name);

	if (n)
		return n;
	if (*nr == MAX_NAMES || strlen(name) >= NAME_LEN) {
		fail(s, "too many names, or '%s' too long", name);
		return NULL;
	}
	n = &list[(*nr)++];
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", name);
	return n;
}

static int vm_handle(struct script *s, const char *name, int *vm)
{
	struct named *n = find(s->vms, s->nr_vms, name);

	if (!n || !n->live)
		return fail(s, "no VM '%s'", name);
	*vm = n->vm;
	return 0;
}

static int parse_flags(const char *t, uint32_t *flags)
{
	uint64_t v;
	char buf[64], *tok, *save = NULL;

	*flags = 0;
	if (!number(t, &v)) {
		*flags = (uint32_t)v;
		return v > UINT32_MAX ? -1 : 0;
	}
	snprintf(buf, sizeof(buf), "%s", t);
	for (tok = strtok_r(buf, "|", &save); tok;
	     tok = strtok_r(NULL, "|", &save)) {
		if (!strcmp(tok, "log"))
			*flags |= KVM_MEM_LOG_DIRTY_PAGES;
		else if (!strcmp(tok, "ro"))
			*flags |= KVM_MEM_READONLY;
		else if (!strcmp(tok, "gmemfd"))
			*flags |= KVM_MEM_GUEST_MEMFD;
		else
			return -1;
	}
	return 0;
}

static int op_cap(struct script *s, char **tok, int n, char *res, size_t len)
{
	uint64_t cap;
	int vm = -1;

	if (n != 4 || number(tok[3], &cap))
		return fail(s, "usage: ID cap system|VM CAP");
	if (strcmp(tok[2], "system") && vm_handle(s, tok[2], &vm))
		return -1;
	errno_text(s->ops->check_extension(s->ctx, vm, (long)cap), res, len);
	return 0;
}

static int op_vm(struct script *s, char **tok, int n, char *res, size_t len)
{
	unsigned long type = 0;
	bool mte = false;
	struct named *v;
	int vm, err;

	if (n < 3)
		return fail(s, "usage: ID vm NAME [ipa=BITS] [type=N] [mte]");
	for (int i = 3; i < n; i++) {
		uint64_t x;

		if (!strncmp(tok[i], "ipa=", 4) && !number(tok[i] + 4, &x))
			type = (unsigned long)x;
		else if (!strncmp(tok[i], "type=", 5) &&
			 !number(tok[i] + 5, &x))
			type = (unsigned long)x;
		else if (!strcmp(tok[i], "mte"))
			mte = true;
		else
			return fail(s, "vm: unknown argument '%s'", tok[i]);
	}
	v = add(s, s->vms, &s->nr_vms, tok[2]);
	if (!v)
		return -1;
	err = s->ops->create_vm(s->ctx, type, &vm);
	if (!err) {
		v->vm = vm;
		v->live = true;
		if (mte)
			err = s->ops->enable_mte(s->ctx, vm);
	}
	errno_text(err, res, len);
	return 0;
}

static int op_mmap(struct script *s, char **tok, int n, char *res, size_t len)
{
	static const char *const kinds[] = { "anon",	   "hugetlb2m",
					     "devmem-ram", "devmem-mmio",
					     "vfio-bar",   "cmem",
					     "cmem-sync" };
	struct s2mt_vmm_mmap req = { .prot = 3 };
	struct named *m;
	uint64_t hva = 0;
	int err;
	size_t k;

	if (n < 5)
		return fail(s, "usage: ID mmap NAME KIND LEN [options]");
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (!strcmp(tok[3], kinds[k]))
			break;
	if (k == sizeof(kinds) / sizeof(kinds[0]))
		return fail(s, "mmap: unknown kind '%s'", tok[3]);
	req.kind = (uint8_t)k;
	req.shared = k >= S2MT_VMM_DEVMEM_RAM;
	if (number(tok[4], &req.len))
		return fail(s, "mmap: bad length '%s'", tok[4]);
	for (int i = 5; i < n; i++) {
		uint64_t x;

		if (!strcmp(tok[i], "shared")) {
			req.shared = true;
		} else if (!strcmp(tok[i], "private")) {
			req.shared = false;
		} else if (!strncmp(tok[i], "prot=", 5)) {
			req.prot = 0;
			for (const char *p = tok[i] + 5; *p; p++)
				req.prot |= *p == 'r' ? 1u
					: *p == 'w'   ? 2u
					: *p == 'x'   ? 4u
						      : 0u;
		} else if (!strncmp(tok[i], "bar=", 4) &&
			   !number(tok[i] + 4, &x)) {
			req.bar = (unsigned)x;
		} else if (!strncmp(tok[i], "off=", 4) &&
			   !number(tok[i] + 4, &x)) {
			req.offset = x;
		} else if (!strncmp(tok[i], "at=", 3)) {
			/* MAP_FIXED over a named mapping's address (each
			 * backend has its own addresses): at=NAME[+OFF] */
			char *plus = strchr(tok[i] + 3, '+');
			struct named *at;

			x = 0;
			if (plus) {
				*plus = '\0';
				if (number(plus + 1, &x))
					return fail(s,
						    "mmap: bad offset in at=");
			}
			at = find(s->maps, s->nr_maps, tok[i] + 3);
			if (!at || !at->hva)
				return fail(s, "mmap: at=: no mapping '%s'",
					    tok[i] + 3);
			req.fixed = true;
			req.addr = at->hva + x;
		} else {
			return fail(s, "mmap: unknown argument '%s'", tok[i]);
		}
	}
	m = add(s, s->maps, &s->nr_maps, tok[2]);
	if (!m)
		return -1;
	err = s->ops->mmap(s->ctx, &req, &hva);
	if (!err) {
		m->hva = hva;
		m->len = req.len;
		m->live = true;
	}
	errno_text(err, res, len);
	return 0;
}

static int op_munmap(struct script *s, char **tok, int n, char *res, size_t len)
{
	struct named *m;
	int err;

	if (n != 3)
		return fail(s, "usage: ID munmap NAME");
	m = find(s->maps, s->nr_maps, tok[2]);
	if (!m || !m->live)
		return fail(s, "munmap: no mapping '%s'", tok[2]);
	err = s->ops->munmap(s->ctx, m->hva, m->len);
	if (!err)
		m->live = false;
	errno_text(err, res, len);
	return 0;
}

static int op_slot(struct script *s, char **tok, int n, char *res, size_t len)
{
	struct s2mt_userspace_memory_region2 r = { 0 };
	uint64_t slot, gpa, size;
	bool v2 = true;
	char *plus;
	int vm;

	if (n < 8 || n > 9)
		return fail(s,
			    "usage: ID slot VM SLOT FLAGS GPA SIZE SRC [v1]");
	if (vm_handle(s, tok[2], &vm))
		return -1;
	if (number(tok[3], &slot) || slot > UINT32_MAX ||
	    parse_flags(tok[4], &r.flags) || number(tok[5], &gpa) ||
	    number(tok[6], &size))
		return fail(s, "slot: bad SLOT, FLAGS, GPA or SIZE");
	if (n == 9) {
		if (strcmp(tok[8], "v1"))
			return fail(s, "slot: unknown argument '%s'", tok[8]);
		v2 = false;
	}
	r.slot = (uint32_t)slot;
	r.guest_phys_addr = gpa;
	r.memory_size = size;
	if (!strncmp(tok[7], "hva=", 4)) {
		if (number(tok[7] + 4, &r.userspace_addr))
			return fail(s, "slot: bad hva '%s'", tok[7]);
	} else {
		struct named *m;
		uint64_t off = 0;

		plus = strchr(tok[7], '+');
		if (plus) {
			*plus = '\0';
			if (number(plus + 1, &off))
				return fail(s, "slot: bad offset");
		}
		m = find(s->maps, s->nr_maps, tok[7]);
		if (!m)
			return fail(s, "slot: no mapping '%s'", tok[7]);
		/* A mapping that failed or went keeps its last address (0
		 * if it never existed): as a VMM would pass it. */
		r.userspace_addr = m->hva + off;
	}
	errno_text(s->ops->set_memory_region(s->ctx, vm, v2, &r), res, len);
	return 0;
}

/* A byte count as "0", "4K", "2M", "1G" or, for another size, hex. */
static void bytes_text(uint64_t n, char *buf, size_t len)
{
	if (!n)
		snprintf(buf, len, "0");
	else if (n % (1ull << 30) == 0)
		snprintf(buf, len, "%lluG", (unsigned long long)(n >> 30));
	else if (n % (1ull << 20) == 0)
		snprintf(buf, len, "%lluM", (unsigned long long)(n >> 20));
	else if (n % 1024 == 0)
		snprintf(buf, len, "%lluK", (unsigned long long)(n >> 10));
	else
		snprintf(buf, len, "%#llx", (unsigned long long)n);
}

/*
 * The stage-2 leaf after an access, as one word list: size, memory type,
 * S2AP, XN; "none" without a leaf. The type is decoded the way the host
 * uses MemAttr (FEAT_S2FWB or not); a value neither names is raw.
 */
static void leaf_text(const struct s2mt_vmm_access *a, char *buf, size_t len)
{
	static const char *const sizes[] = { "?", "1G", "2M", "4K" };
	static const char *const aps[] = { "none", "r", "w", "rw" };
	const char *type = NULL;
	char raw[16];

	if (!a->level || a->level > 3) {
		snprintf(buf, len, "none");
		return;
	}
	switch (a->memattr) {
	case 0x0:
		type = "Device-nGnRnE";
		break;
	case 0x1:
		type = "Device-nGnRE";
		break;
	case 0x5:
		type = "Normal-NC";
		break;
	case 0x6:
		type = a->fwb ? "Normal-WB" : NULL;
		break;
	case 0x7:
		type = a->fwb ? "as-stage-1" : NULL;
		break;
	case 0xf:
		type = a->fwb ? NULL : "Normal-WB";
		break;
	}
	if (!type) {
		snprintf(raw, sizeof(raw), "memattr-0x%x", a->memattr);
		type = raw;
	}
	snprintf(buf, len, "%s %s %s %s", sizes[a->level], type,
		 aps[a->s2ap & 3], a->xn ? "xn" : "x");
}

static int op_access(struct script *s, char **tok, int n, char *res, size_t len)
{
	struct s2mt_vmm_access a = { 0 };
	unsigned access;
	uint64_t ipa;
	int vm, err;

	if (n != 5)
		return fail(s,
			    "usage: ID access VM read|write|exec|mmu-read IPA");
	if (vm_handle(s, tok[2], &vm))
		return -1;
	if (!strcmp(tok[3], "read"))
		access = S2MT_VMM_READ;
	else if (!strcmp(tok[3], "write"))
		access = S2MT_VMM_WRITE;
	else if (!strcmp(tok[3], "exec"))
		access = S2MT_VMM_EXEC;
	else if (!strcmp(tok[3], "mmu-read"))
		access = S2MT_VMM_READ_MMU;
	else
		return fail(s,
			    "access: read, write, exec or mmu-read, not '%s'",
			    tok[3]);
	if (number(tok[4], &ipa))
		return fail(s, "access: bad IPA '%s'", tok[4]);
	err = s->ops->guest_access(s->ctx, vm, ipa, access, &a);
	if (err) {
		char e[24];

		errno_text(err, e, sizeof(e));
		snprintf(res, len, "backend:%s", e);
	} else if (a.outcome == S2MT_VMM_OTHER) {
		char e[24];

		errno_text(a.err, e, sizeof(e));
		snprintf(res, len, "other:%s", e);
	} else {
		snprintf(res, len, "%s", s2mt_vmm_outcome_name(a.outcome));
	}
	/* The cache maintenance, as a result of its own: ID/cmo. */
	if (!err && a.cmo_known) {
		char id[48], d[24], i[24], text[64];

		snprintf(id, sizeof(id), "%s/cmo", s->id);
		bytes_text(a.dclean_bytes, d, sizeof(d));
		bytes_text(a.iinval_bytes, i, sizeof(i));
		snprintf(text, sizeof(text), "dclean %s iinval %s", d, i);
		s->emit(s->arg, id, text);
	}
	/* The descriptor, as a result of its own: ID/s2. */
	if (!err && a.leaf_known) {
		char id[48], leaf[64];

		snprintf(id, sizeof(id), "%s/s2", s->id);
		leaf_text(&a, leaf, sizeof(leaf));
		s->emit(s->arg, id, leaf);
	}
	return 0;
}

static int op_dirty(struct script *s, char **tok, int n, char *res, size_t len)
{
	uint64_t slot, size;
	int vm;

	if (n != 5)
		return fail(s, "usage: ID dirty VM SLOT SIZE");
	if (vm_handle(s, tok[2], &vm))
		return -1;
	if (number(tok[3], &slot) || slot > UINT32_MAX || number(tok[4], &size))
		return fail(s, "dirty: bad SLOT or SIZE");
	errno_text(s->ops->get_dirty_log(s->ctx, vm, (uint32_t)slot, size), res,
		   len);
	return 0;
}

static int op_cpu(struct script *s, char **tok, int n, char *res, size_t len)
{
	static const char *const names[] = { "fwb", "dic", "idc", "mte" };

	for (unsigned i = 0; n == 3 && i < sizeof(names) / sizeof(names[0]);
	     i++)
		if (!strcmp(tok[2], names[i])) {
			errno_text(s->ops->cpu_feature(s->ctx, i), res, len);
			return 0;
		}
	return fail(s, "usage: ID cpu fwb|dic|idc|mte");
}

static const struct {
	const char *op;
	int (*run)(struct script *s, char **tok, int n, char *res, size_t len);
} ops[] = {
	{ "cap", op_cap },	 { "vm", op_vm },     { "mmap", op_mmap },
	{ "munmap", op_munmap }, { "slot", op_slot }, { "access", op_access },
	{ "dirty", op_dirty },	 { "cpu", op_cpu },
};

int s2mt_vmm_run_script(const char *text, const struct s2mt_vmm_ops *vops,
			void *ctx,
			void (*emit)(void *arg, const char *id,
				     const char *result),
			void *arg, char *err, size_t errlen)
{
	struct script *s = calloc(1, sizeof(*s));
	char line[512], ids[256][40];
	size_t nr_ids = 0;
	const char *p = text;
	int ret = 0;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->ops = vops;
	s->ctx = ctx;
	s->err = err;
	s->errlen = errlen;
	s->emit = emit;
	s->arg = arg;
	while (*p && !ret) {
		size_t n = strcspn(p, "\n");
		char *tok[MAX_TOKENS], *save = NULL, *t, res[64] = "";
		int nt = 0;
		size_t k;

		s->line++;
		if (n >= sizeof(line)) {
			ret = fail(s, "line too long");
			break;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + (p[n] == '\n');
		if ((t = strchr(line, '#')))
			*t = '\0';
		for (t = strtok_r(line, " \t\r", &save); t && nt < MAX_TOKENS;
		     t = strtok_r(NULL, " \t\r", &save))
			tok[nt++] = t;
		if (!nt)
			continue;
		if (nt < 2) {
			ret = fail(s, "expected 'ID OP ARGS...'");
			break;
		}
		for (k = 0; k < nr_ids; k++)
			if (!strcmp(ids[k], tok[0]))
				break;
		if (k < nr_ids || strlen(tok[0]) >= sizeof(ids[0]) ||
		    nr_ids == sizeof(ids) / sizeof(ids[0])) {
			ret = fail(s, "duplicate, long or too many ids ('%s')",
				   tok[0]);
			break;
		}
		snprintf(ids[nr_ids++], sizeof(ids[0]), "%s", tok[0]);
		for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
			if (!strcmp(ops[k].op, tok[1]))
				break;
		if (k == sizeof(ops) / sizeof(ops[0])) {
			ret = fail(s, "unknown operation '%s'", tok[1]);
			break;
		}
		s->id = tok[0];
		ret = ops[k].run(s, tok, nt, res, sizeof(res));
		if (!ret)
			emit(arg, tok[0], res);
	}
	free(s);
	return ret;
}
