// SPDX-License-Identifier: MIT
/*
 * The scenario loader's `vmm` section: the VM's options, the VMM's mmaps
 * (anonymous, hugetlb, device BARs and regions, /dev/mem) and the memslots
 * it registers.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "scenario_parse.h"

static int parse_vm(struct ctx *c, const yaml_node_t *n)
{
	static const char *const keys[] = { "ipa_bits", "mte", NULL };
	struct sc_vm *vm = &c->sc->vm;
	const yaml_node_t *v;
	uint64_t bits;

	if (sc_check_map(c, n, "vmm.vm", keys))
		return -1;
	vm->mark = mark_of(n);
	v = sc_map_get(c, n, "ipa_bits", NULL);
	if (v) {
		/*
		 * Up to 52, what arm64 KVM can be asked for (FEAT_LPA2).
		 * Whether this host gives it depends on its CPU and kernel:
		 * KVM_CREATE_VM answers at run time with its errno and rule,
		 * which is the story a scenario wants to show.
		 */
		if (sc_get_range(c, v, "vmm.vm.ipa_bits", 32, 52, "32..52",
				 &bits))
			return -1;
		vm->ipa_bits = (unsigned)bits;
	}
	v = sc_map_get(c, n, "mte", NULL);
	if (v && sc_get_bool(c, v, "vmm.vm.mte", &vm->mte))
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* mmaps                                                              */
/* ------------------------------------------------------------------ */

static const char *const mmap_kind_names[] = {
	[SC_MMAP_ANONYMOUS] = "anonymous",
	[SC_MMAP_THP] = "thp",
	[SC_MMAP_HUGETLB_2M] = "hugetlb-2m",
	[SC_MMAP_HUGETLB_1G] = "hugetlb-1g",
	[SC_MMAP_VFIO_BAR] = "vfio-bar",
	[SC_MMAP_NVGRACE_USEMEM] = "nvgrace-usemem",
	[SC_MMAP_NVGRACE_RESMEM] = "nvgrace-resmem",
	[SC_MMAP_DEVMEM] = "devmem",
	[SC_MMAP_CMEM] = "cacheable-pfnmap",
	NULL,
};

const char *sc_mmap_kind_name(unsigned kind)
{
	return kind < ARRAY_SIZE(mmap_kind_names) - 1 ? mmap_kind_names[kind]
						      : "?";
}

int sc_find_mmap(const struct scenario *sc, const char *name)
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
	return sc_fail(c, n, "%s: %s is not a multiple of %s%s", path, s1, s2,
		       what);
}

/* The device and BAR or region of a device mmap; *region its size. */
static int mmap_device(struct ctx *c, const yaml_node_t *n, const char *path,
		       struct sc_mmap *m, uint64_t *region, char *rname,
		       size_t rlen)
{
	struct scenario *sc = c->sc;
	const yaml_node_t *vd = sc_map_get(c, n, "device", NULL);
	const yaml_node_t *vb = sc_map_get(c, n, "bar", NULL);
	const struct sc_device *d;
	unsigned want_type =
		m->kind == SC_MMAP_VFIO_BAR || m->kind == SC_MMAP_DEVMEM
		? SC_DEV_VFIO_PCI
		: m->kind == SC_MMAP_CMEM ? SC_DEV_CMEM
					  : SC_DEV_NVGRACE;
	const char *s;
	char p[PATH_LEN];
	uint64_t bar;

	if (!vd)
		return sc_require(c, n, path, "device") ? 0 : -1;
	if (sc_get_text(c, vd, sc_pkey(p, path, "device"), "a device name", &s))
		return -1;
	m->device = sc_find_device(sc, s);
	if (m->device < 0) {
		char q[SHOW_LEN];

		return sc_fail(c, vd, "%s: undefined device %s", p,
			       sc_show(vd, q));
	}
	d = &sc->devices[m->device];
	if (d->type != want_type)
		return sc_fail(
			c, vd,
			"%s: '%s' has type %s; kind %s needs a device of "
			"type %s",
			p, d->name, sc_device_type_name(d->type),
			sc_mmap_kind_name(m->kind),
			sc_device_type_name(want_type));
	if (m->kind == SC_MMAP_CMEM) {
		*region = d->size;
		snprintf(rname, rlen, "the memory of '%s'", d->name);
		return 0;
	}
	if (m->kind == SC_MMAP_NVGRACE_USEMEM) {
		*region = d->usemem;
		snprintf(rname, rlen, "usemem of '%s'", d->name);
		return 0;
	}
	if (m->kind == SC_MMAP_NVGRACE_RESMEM) {
		if (!d->resmem)
			return sc_fail(c, vd,
				       "%s: device '%s' has no resmem (resmem: "
				       "none)",
				       p, d->name);
		*region = d->resmem;
		snprintf(rname, rlen, "resmem of '%s'", d->name);
		return 0;
	}
	if (!vb)
		return sc_require(c, n, path, "bar") ? 0 : -1;
	if (sc_get_range(c, vb, sc_pkey(p, path, "bar"), 0, S2MT_MAX_BARS - 1,
			 "0..5", &bar))
		return -1;
	if (!d->bars[bar].size)
		return sc_fail(c, vb, "%s: device '%s' has no BAR %" PRIu64, p,
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
	bool dev = sc_map_get(c, n, "device", &kd) != NULL;
	bool bar = sc_map_get(c, n, "bar", &kb) != NULL;
	bool pa = sc_map_get(c, n, "pa", &kp) != NULL;

	sc_map_get(c, n, "offset", &ko);
	if (pa && (dev || bar))
		return sc_fail(
			c, later(kp, dev ? kd : kb),
			"%s: 'pa' and '%s' are mutually exclusive (devmem "
			"maps either a device BAR or a physical address)",
			path, dev ? "device" : "bar");
	if (!pa && !dev && !bar)
		return sc_fail(c, n,
			       "%s: devmem needs 'device' and 'bar', or 'pa'",
			       path);
	if (pa && ko)
		return sc_fail(
			c, ko,
			"%s: 'offset' does not apply to devmem with 'pa' "
			"(give the address in pa)",
			path);
	if (pa && !sc_map_get(c, n, "size", NULL))
		return sc_fail(
			c, n,
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

	if (sc_check_map(c, n, path, keys))
		return -1;
	to = sc_require(c, n, path, "to");
	if (!to || sc_get_size(c, to, sc_pkey(p, path, "to"), &m->align_to))
		return -1;
	if (!is_pow2(m->align_to) || m->align_to < SZ_4K ||
	    m->align_to > S2MT_TASK_SIZE) {
		sc_format_size(m->align_to, s1, sizeof(s1));
		return sc_fail(c, to,
			       "%s: %s is not a power of two from 4K to 256T",
			       p, s1);
	}
	off = sc_map_get(c, n, "offset", NULL);
	if (!off)
		return 0;
	if (sc_get_size(c, off, sc_pkey(p, path, "offset"), &m->align_offset) ||
	    check_page_aligned(c, off, p, m->align_offset, SZ_4K,
			       " (page size)"))
		return -1;
	if (m->align_offset >= m->align_to) {
		sc_format_size(m->align_offset, s1, sizeof(s1));
		sc_format_size(m->align_to, s2, sizeof(s2));
		return sc_fail(c, off, "%s: %s is not below to (%s)", p, s1,
			       s2);
	}
	return 0;
}

static int mmap_size(struct ctx *c, const yaml_node_t *n, const char *path,
		     struct sc_mmap *m, uint64_t region, const char *rname)
{
	const yaml_node_t *v = sc_map_get(c, n, "size", NULL);
	const yaml_node_t *vo = sc_map_get(c, n, "offset", NULL);
	char p[PATH_LEN], s1[24], s2[24];

	if (vo &&
	    (sc_get_size(c, vo, sc_pkey(p, path, "offset"), &m->offset) ||
	     check_page_aligned(c, vo, p, m->offset, SZ_4K, " (page size)")))
		return -1;
	if (!v) {
		if (!is_device_kind(m->kind))
			return sc_require(c, n, path, "size") ? 0 : -1;
		if (m->offset >= region) {
			sc_format_size(m->offset, s1, sizeof(s1));
			sc_format_size(region, s2, sizeof(s2));
			return sc_fail(c, vo ? vo : n,
				       "%s: %s is not inside %s (%s)", p, s1,
				       rname, s2);
		}
		m->size = region - m->offset;
		return 0;
	}
	if (sc_get_size(c, v, sc_pkey(p, path, "size"), &m->size))
		return -1;
	if (!m->size)
		return sc_fail(c, v, "%s: must not be 0", p);
	if (m->kind == SC_MMAP_HUGETLB_1G)
		return check_page_aligned(c, v, p, m->size, SZ_1G,
					  " (the hugetlb-1g page size)");
	if (m->kind == SC_MMAP_HUGETLB_2M)
		return check_page_aligned(c, v, p, m->size, SZ_2M,
					  " (the hugetlb-2m page size)");
	return check_page_aligned(c, v, p, m->size, SZ_4K, " (page size)");
}

static const char *const mmap_all_keys[] = {
	"name", "kind",	 "size", "device", "bar",  "offset", "pa",
	"hva",	"align", "prot", "shared", "sync", NULL
};

static const char *const mmap_anon_keys[] = { "name",  "kind", "size",	 "hva",
					      "align", "prot", "shared", NULL };
static const char *const mmap_vfio_keys[] = { "name",	"kind",	 "size",
					      "device", "bar",	 "offset",
					      "hva",	"align", "prot",
					      "shared", NULL };
static const char *const mmap_nv_keys[] = { "name",   "kind", "size",  "device",
					    "offset", "hva",  "align", "prot",
					    "shared", NULL };

static const char *const mmap_devmem_keys[] = { "name",	  "kind",   "size",
						"device", "bar",    "offset",
						"pa",	  "hva",    "align",
						"prot",	  "shared", NULL };
static const char *const mmap_cmem_keys[] = { "name",	"kind",	  "size",
					      "device", "offset", "hva",
					      "align",	"prot",	  "shared",
					      "sync",	NULL };

static const char *const *mmap_kind_keys(unsigned kind)
{
	switch (kind) {
	case SC_MMAP_CMEM:
		return mmap_cmem_keys;
	case SC_MMAP_VFIO_BAR:
		return mmap_vfio_keys;
	case SC_MMAP_NVGRACE_USEMEM:
	case SC_MMAP_NVGRACE_RESMEM:
		return mmap_nv_keys;
	case SC_MMAP_DEVMEM:
		return mmap_devmem_keys;
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

	va = sc_map_get(c, n, "align", &ka);
	vh = sc_map_get(c, n, "hva", &kh);
	if (va && vh)
		return sc_fail(
			c, later(ka, kh),
			"%s: 'hva' and 'align' are mutually exclusive (a "
			"fixed address has no alignment to choose)",
			path);
	if (va)
		return mmap_align(c, va, sc_pkey(p, path, "align"), m);
	if (!vh)
		return 0;
	if (sc_get_addr(c, vh, sc_pkey(p, path, "hva"), &m->hva))
		return -1;
	if (m->hva % SZ_4K)
		return sc_fail(c, vh,
			       "%s: 0x%" PRIx64 " is not page aligned (4K)", p,
			       m->hva);
	if (m->hva + m->size < m->hva)
		return sc_fail(c, vh,
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
	sc_pidx(path, "vmm.mmaps", i);
	if (sc_check_map(c, n, path, mmap_all_keys))
		return -1;
	name = sc_require(c, n, path, "name");
	if (!name)
		return -1;
	kind = sc_require(c, n, path, "kind");
	if (!kind)
		return -1;
	if (sc_get_name(c, name, sc_pkey(p, path, "name"), SC_NAME_LEN - 1,
			m->name))
		return -1;
	dup = sc_find_mmap(sc, m->name);
	if (dup >= 0)
		return sc_fail(
			c, name,
			"%s: duplicate mmap name '%s' (first at line %u)", p,
			m->name, sc->mmaps[dup].mark.line);
	if (sc_get_choice(c, kind, sc_pkey(p, path, "kind"), mmap_kind_names,
			  "kind", &k))
		return -1;
	m->kind = (uint8_t)k;
	snprintf(what, sizeof(what), "kind %s", sc_mmap_kind_name(k));
	if (sc_check_subset(c, n, path, mmap_kind_keys(k), what))
		return -1;

	if (k == SC_MMAP_DEVMEM && check_devmem_source(c, n, path))
		return -1;
	if (is_device_kind(k) && !sc_map_get(c, n, "pa", NULL) &&
	    mmap_device(c, n, path, m, &region, rname, sizeof(rname)))
		return -1;
	if (mmap_size(c, n, path, m, region, rname))
		return -1;
	v = sc_map_get(c, n, "pa", NULL);
	if (v) {
		if (sc_get_addr(c, v, sc_pkey(p, path, "pa"), &m->pa))
			return -1;
		if (m->pa % SZ_4K)
			return sc_fail(c, v,
				       "%s: 0x%" PRIx64
				       " is not page aligned (4K)",
				       p, m->pa);
		if (m->pa + m->size < m->pa)
			return sc_fail(c, v,
				       "%s: 0x%" PRIx64 " + size 0x%" PRIx64
				       " overflows 64 bits",
				       p, m->pa, m->size);
	}
	if (mmap_place(c, n, path, i))
		return -1;
	m->prot = S2MT_PROT_READ | S2MT_PROT_WRITE;
	v = sc_map_get(c, n, "prot", NULL);
	if (v && sc_get_prot(c, v, sc_pkey(p, path, "prot"), &m->prot))
		return -1;
	m->shared = is_device_kind(k);
	v = sc_map_get(c, n, "shared", NULL);
	if (v && sc_get_bool(c, v, sc_pkey(p, path, "shared"), &m->shared))
		return -1;
	v = sc_map_get(c, n, "sync", NULL);
	if (v && sc_get_bool(c, v, sc_pkey(p, path, "sync"), &m->sync))
		return -1;
	return 0;
}

static int parse_mmaps(struct ctx *c, const yaml_node_t *n)
{
	const yaml_node_item_t *it;

	if (sc_want(c, n, "vmm.mmaps", YAML_SEQUENCE_NODE, "a list"))
		return -1;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		const yaml_node_t *m = node_get(c, *it);

		if (!m)
			return sc_broken(c);
		if (c->sc->nr_mmaps >= SC_MAX_MMAPS)
			return sc_fail(
				c, m,
				"vmm.mmaps: too many entries (at most %d)",
				SC_MAX_MMAPS);
		if (parse_mmap(c, m, c->sc->nr_mmaps))
			return -1;
		c->sc->nr_mmaps++;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* memslots                                                           */
/* ------------------------------------------------------------------ */

static const struct {
	const char *name, *kvm_name;
	uint32_t bit;
} mem_flags[] = {
	{ "log-dirty-pages", "KVM_MEM_LOG_DIRTY_PAGES",
	  (uint32_t)KVM_MEM_LOG_DIRTY_PAGES },
	{ "readonly", "KVM_MEM_READONLY", (uint32_t)KVM_MEM_READONLY },
	{ "guest-memfd", "KVM_MEM_GUEST_MEMFD", (uint32_t)KVM_MEM_GUEST_MEMFD },
	/* Bit 3 of designs D1-D3 (docs/designs.md): two spellings, one
	 * bit; any other design refuses it like an unknown flag (M1). */
	{ "cacheable-pfnmap", "KVM_MEM_ENABLE_CACHEABLE_PFNMAP",
	  S2MT_MEM_CACHEABLE_PFNMAP },
	{ "force-cacheable-pfnmap", "KVM_MEM_FORCE_CACHEABLE_PFNMAP",
	  S2MT_MEM_CACHEABLE_PFNMAP },
};

static int parse_flag(struct ctx *c, const yaml_node_t *n, const char *path,
		      uint32_t *flags)
{
	const char *what = "a flag (log-dirty-pages, readonly, guest-memfd, "
			   "cacheable-pfnmap, KVM_MEM_*, or an integer)";
	char s[SHOW_LEN];
	uint64_t v;

	if (sc_want(c, n, path, YAML_SCALAR_NODE, what))
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(mem_flags); i++)
		if (scalar_ieq(n, mem_flags[i].name) ||
		    scalar_ieq(n, mem_flags[i].kvm_name)) {
			*flags |= mem_flags[i].bit;
			return 0;
		}
	switch (sc_parse_number(sval(n), slen(n), false, &v)) {
	case NUM_OK:
		if (v <= UINT32_MAX) {
			*flags |= (uint32_t)v;
			return 0;
		}
		/* fall through */
	case NUM_OVERFLOW:
		return sc_fail(c, n, "%s: %s is out of range 0..0xffffffff",
			       path, sc_show(n, s));
	case NUM_NEGATIVE:
		return sc_fail(c, n, "%s: must not be negative, got %s", path,
			       sc_show(n, s));
	default:
		return sc_fail(c, n, "%s: expected %s, got %s", path, what,
			       sc_show(n, s));
	}
}

/* A list of flags (or a single one). */
int sc_parse_flags(struct ctx *c, const yaml_node_t *n, const char *path,
		   uint32_t *flags)
{
	const yaml_node_item_t *it;
	char p[PATH_LEN], s[SHOW_LEN];

	*flags = 0;
	if (is_scalar(n))
		return parse_flag(c, n, path, flags);
	if (n->type != YAML_SEQUENCE_NODE)
		return sc_fail(c, n, "%s: expected a list of flags, got %s",
			       path, sc_show(n, s));
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		const yaml_node_t *f = node_get(c, *it);
		size_t i = (size_t)(it - n->data.sequence.items.start);

		if (!f)
			return sc_broken(c);
		if (parse_flag(c, f, sc_pidx(p, path, i), flags))
			return -1;
	}
	return 0;
}

int sc_find_slot(const struct scenario *sc, uint32_t slot)
{
	for (size_t i = 0; i < sc->nr_slots; i++)
		if (sc->slots[i].slot == slot)
			return (int)i;
	return -1;
}

int sc_get_slot_number(struct ctx *c, const yaml_node_t *n, const char *path,
		       uint32_t *slot)
{
	uint64_t v;

	if (sc_get_range(c, n, path, 0, UINT32_MAX, "0..0xffffffff", &v))
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

	vm = sc_map_get(c, n, "mmap", &km);
	vu = sc_map_get(c, n, "userspace_addr", &ku);
	vo = sc_map_get(c, n, "mmap_offset", &ko);
	vs = sc_map_get(c, n, "memory_size", NULL);
	if (vm && vu)
		return sc_fail(c, later(km, ku),
			       "%s: 'mmap' and 'userspace_addr' are mutually "
			       "exclusive (give exactly one)",
			       path);
	if (!vm && !vu)
		return sc_fail(c, n,
			       "%s: missing 'mmap' or 'userspace_addr' (give "
			       "exactly one)",
			       path);
	if (vs && sc_get_size(c, vs, sc_pkey(p, path, "memory_size"), &s->size))
		return -1;
	if (vu) {
		if (vo)
			return sc_fail(c, ko,
				       "%s: 'mmap_offset' does not apply with "
				       "'userspace_addr' (it is an offset into "
				       "'mmap')",
				       path);
		if (!vs)
			return sc_fail(c, n,
				       "%s: missing required key 'memory_size' "
				       "(required with userspace_addr)",
				       path);
		return sc_get_addr(c, vu, sc_pkey(p, path, "userspace_addr"),
				   &s->userspace_addr);
	}
	if (sc_get_text(c, vm, sc_pkey(p, path, "mmap"), "an mmap name", &name))
		return -1;
	s->mmap = sc_find_mmap(sc, name);
	if (s->mmap < 0)
		return sc_fail(c, vm, "%s: undefined mmap %s", p,
			       sc_show(vm, q));
	if (vo &&
	    sc_get_size(c, vo, sc_pkey(p, path, "mmap_offset"),
			&s->mmap_offset))
		return -1;
	if (vs)
		return 0;
	if (s->mmap_offset >= sc->mmaps[s->mmap].size) {
		sc_format_size(s->mmap_offset, s1, sizeof(s1));
		sc_format_size(sc->mmaps[s->mmap].size, s2, sizeof(s2));
		return sc_fail(c, vo ? vo : vm,
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
	sc_pidx(path, "vmm.memslots", i);
	if (sc_check_map(c, n, path, keys))
		return -1;
	vs = sc_require(c, n, path, "slot");
	if (!vs)
		return -1;
	vg = sc_require(c, n, path, "guest_phys_addr");
	if (!vg)
		return -1;
	if (sc_get_slot_number(c, vs, sc_pkey(p, path, "slot"), &s->slot))
		return -1;
	dup = sc_find_slot(sc, s->slot);
	if (dup >= 0)
		return sc_fail(c, vs,
			       "%s: duplicate slot %" PRIu32
			       " (first at line %u)",
			       p, s->slot, sc->slots[dup].mark.line);
	vf = sc_map_get(c, n, "flags", NULL);
	if (vf && sc_parse_flags(c, vf, sc_pkey(p, path, "flags"), &s->flags))
		return -1;
	if (sc_get_addr(c, vg, sc_pkey(p, path, "guest_phys_addr"), &s->gpa))
		return -1;
	return slot_source(c, n, path, s);
}

static int parse_slots(struct ctx *c, const yaml_node_t *n)
{
	const yaml_node_item_t *it;

	if (sc_want(c, n, "vmm.memslots", YAML_SEQUENCE_NODE, "a list"))
		return -1;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		const yaml_node_t *s = node_get(c, *it);

		if (!s)
			return sc_broken(c);
		if (c->sc->nr_slots >= SC_MAX_SLOTS)
			return sc_fail(
				c, s,
				"vmm.memslots: too many entries (at most "
				"%d)",
				SC_MAX_SLOTS);
		if (parse_slot(c, s, c->sc->nr_slots))
			return -1;
		c->sc->nr_slots++;
	}
	return 0;
}

int sc_parse_vmm(struct ctx *c, const yaml_node_t *n)
{
	static const char *const keys[] = { "mmaps", "vm", "memslots", NULL };
	const yaml_node_t *v;

	if (sc_check_map(c, n, "vmm", keys))
		return -1;
	c->sc->vm.mark = mark_of(n);
	v = sc_map_get(c, n, "vm", NULL);
	if (v && parse_vm(c, v))
		return -1;
	v = sc_map_get(c, n, "mmaps", NULL);
	if (v && parse_mmaps(c, v))
		return -1;
	v = sc_map_get(c, n, "memslots", NULL);
	if (v && parse_slots(c, v))
		return -1;
	return 0;
}
