// SPDX-License-Identifier: MIT
/*
 * The scenario loader's machine: `host` (a preset or explicit features,
 * RAM), `kernel`, and `devices` (vfio-pci BARs, nvgrace-gpu regions).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "scenario_parse.h"

#define SC_DEVICE_NAME_MAX 31 /* struct s2mt_device's name */

/* ------------------------------------------------------------------ */
/* kernel                                                             */
/* ------------------------------------------------------------------ */

/*
 * Text for the kernel API, which quotes what it refuses as it is: empty
 * text, a control character (it would break the one-line message) or,
 * when max is not 0, more than max characters are refused here instead,
 * shown masked and cut.
 */
static int api_text(struct ctx *c, const yaml_node_t *n, const char *path,
		    const char *what, size_t max, const char **text)
{
	char s[SHOW_LEN];
	bool bad = !slen(n) || (max && slen(n) > max);

	if (sc_get_text(c, n, path, what, text))
		return -1;
	for (size_t i = 0; i < slen(n) && !bad; i++)
		bad = (unsigned char)(*text)[i] < 0x20 || (*text)[i] == 0x7f;
	if (bad)
		return sc_fail(c, n, "%s: expected %s, got %s", path, what,
			       sc_show(n, s));
	return 0;
}

/*
 * A release as `uname -r` prints it. The era names stand for their eras'
 * representative kernels, so that a scenario written for an era, and
 * `s2mt compare`, keep meaning the same rules.
 */
static int get_release(struct ctx *c, const yaml_node_t *n, const char *path,
		       const char *what, struct s2mt_kernel *k)
{
	char why[S2MT_WHY_LEN];
	const char *text;
	unsigned era;

	if (api_text(c, n, path, what, 0, &text))
		return -1;
	if (!s2mt_era_parse(text, &era)) {
		s2mt_kernel_of_era(era, k);
		return 0;
	}
	if (s2mt_kernel_parse(text, k, why, sizeof(why)))
		return sc_fail(c, n, "%s: %s", path, why);
	return 0;
}

static int add_backports(struct ctx *c, const yaml_node_t *n, const char *path,
			 struct s2mt_kernel *k)
{
	const yaml_node_item_t *it;
	char p[PATH_LEN], why[S2MT_WHY_LEN];
	const char *name;

	if (sc_want(c, n, path, YAML_SEQUENCE_NODE, "a list of backport names"))
		return -1;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		const yaml_node_t *b = node_get(c, *it);
		size_t i = (size_t)(it - n->data.sequence.items.start);

		if (!b)
			return sc_broken(c);
		sc_pidx(p, path, i);
		/* Names are short: a longer one is no name, and quoting it
		 * whole would drown the list of the known ones. */
		if (api_text(c, b, p, "a backport name", SC_NAME_LEN - 1,
			     &name))
			return -1;
		if (s2mt_kernel_add_backport(k, name, why, sizeof(why)))
			return sc_fail(c, b, "%s: %s", p, why);
	}
	return 0;
}

int sc_get_kernel(struct ctx *c, const yaml_node_t *n, const char *path,
		  struct s2mt_kernel *k)
{
	static const char *const keys[] = { "version", "backports", NULL };
	const char *what = "a kernel release (6.12, 6.17.0-1001-nvidia, ...) "
			   "or a map {version, backports}";
	const yaml_node_t *v;
	char p[PATH_LEN];

	memset(k, 0, sizeof(*k));
	if (n->type != YAML_MAPPING_NODE)
		return get_release(c, n, path, what, k);
	if (sc_check_map(c, n, path, keys))
		return -1;
	v = sc_require(c, n, path, "version");
	if (!v ||
	    get_release(c, v, sc_pkey(p, path, "version"),
			"a kernel release (6.12, 6.17.0-1001-nvidia, ...)", k))
		return -1;
	v = sc_map_get(c, n, "backports", NULL);
	if (v && add_backports(c, v, sc_pkey(p, path, "backports"), k))
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* host                                                               */
/* ------------------------------------------------------------------ */

/* The Arm CPUs among the presets: x86 is an 'arch', and a VM does not
 * migrate across architectures. */
int sc_get_preset(struct ctx *c, const yaml_node_t *n, const char *path,
		  const char **preset)
{
	const char *arm[16];
	size_t nr = 0;
	unsigned i;

	for (size_t k = 0; s2mt_host_presets[k] && nr < 15; k++)
		if (s2mt_host_preset_arch(s2mt_host_presets[k]) ==
		    S2MT_ARCH_ARM64)
			arm[nr++] = s2mt_host_presets[k];
	arm[nr] = NULL;
	if (sc_get_choice(c, n, path, arm, "preset", &i))
		return -1;
	*preset = arm[i];
	return 0;
}

static int parse_features(struct ctx *c, const yaml_node_t *n,
			  struct s2mt_host_caps *caps)
{
	static const char *const keys[] = { "fwb", "dic", "idc", "mte", NULL };
	bool *fields[] = { &caps->fwb, &caps->dic, &caps->idc, &caps->mte };
	char p[PATH_LEN];

	memset(caps, 0, sizeof(*caps));
	if (sc_check_map(c, n, "host.features", keys))
		return -1;
	for (size_t i = 0; keys[i]; i++) {
		const yaml_node_t *v = sc_map_get(c, n, keys[i], NULL);

		if (v &&
		    sc_get_bool(c, v, sc_pkey(p, "host.features", keys[i]),
				fields[i]))
			return -1;
	}
	return 0;
}

/* host.arch, and the knobs only an x86 host has. */
static int parse_arch(struct ctx *c, const yaml_node_t *n, bool *x86)
{
	static const char *const arches[] = { "arm64", "x86-intel", "x86-amd",
					      NULL };
	static const char *const x86_keys[] = { "ignore_guest_pat_quirk",
						"noncoherent_dma" };
	struct scenario *sc = c->sc;
	const yaml_node_t *v, *kv = NULL;
	unsigned i;

	sc->x86_ignore_guest_pat = true;
	v = sc_map_get(c, n, "arch", NULL);
	*x86 = false;
	if (v) {
		if (sc_get_choice(c, v, "host.arch", arches, "architecture",
				  &i))
			return -1;
		*x86 = i != 0;
		if (*x86)
			snprintf(sc->preset, sizeof(sc->preset), "%s",
				 arches[i]);
	}
	for (i = 0; i < 2; i++) {
		bool *field = i ? &sc->x86_noncoherent_dma
				: &sc->x86_ignore_guest_pat;

		v = sc_map_get(c, n, x86_keys[i], &kv);
		if (!v)
			continue;
		if (!*x86)
			return sc_fail(c, kv,
				       "host.%s: only an x86 host has it "
				       "(arch: x86-intel or x86-amd)",
				       x86_keys[i]);
		if (sc_get_bool(c, v, x86_keys[i], field))
			return -1;
	}
	return 0;
}

int sc_parse_host(struct ctx *c, const yaml_node_t *n)
{
	static const char *const keys[] = { "preset",
					    "features",
					    "ram",
					    "arch",
					    "ignore_guest_pat_quirk",
					    "noncoherent_dma",
					    "thp",
					    "thp_zero_page",
					    NULL };
	static const char *const thp_modes[] = { "never", "madvise", "always",
						 NULL };
	const uint64_t ram_max = S2MT_HOST_DEVMEM_BASE - S2MT_HOST_RAM_BASE;
	struct scenario *sc = c->sc;
	const yaml_node_t *preset, *features, *ram, *v, *kp = NULL, *kf = NULL;
	char s1[24], s2[24];
	bool x86;

	if (sc_check_map(c, n, "host", keys))
		return -1;
	if (parse_arch(c, n, &x86))
		return -1;
	preset = sc_map_get(c, n, "preset", &kp);
	features = sc_map_get(c, n, "features", &kf);
	if (x86 && (preset || features))
		return sc_fail(c, kp ? kp : kf,
			       "host: an x86 host (arch: %s) takes no '%s': "
			       "it has none of the Arm features",
			       sc->preset, kp ? "preset" : "features");
	if (preset && features)
		return sc_fail(c, later(kp, kf),
			       "host: 'preset' and 'features' are mutually "
			       "exclusive (give exactly one)");
	if (!preset && !features && !x86)
		return sc_fail(c, n,
			       "host: missing 'preset' or 'features' (give "
			       "exactly one; or arch: x86-intel|x86-amd)");
	if (x86) {
		s2mt_host_preset_caps(sc->preset, &sc->caps);
	} else if (preset) {
		const char *name;

		if (sc_get_preset(c, preset, "host.preset", &name))
			return -1;
		snprintf(sc->preset, sizeof(sc->preset), "%s", name);
		s2mt_host_preset_caps(name, &sc->caps);
	} else {
		if (parse_features(c, features, &sc->caps))
			return -1;
		snprintf(sc->preset, sizeof(sc->preset), "custom");
	}

	/* H6: the THP mode and the huge zero page, Linux's defaults unless
	 * given (the order of thp_modes is enum s2mt_thp_mode's). */
	sc->thp = S2MT_THP_MADVISE;
	sc->thp_zero_page = true;
	v = sc_map_get(c, n, "thp", NULL);
	if (v &&
	    sc_get_choice(c, v, "host.thp", thp_modes, "THP mode", &sc->thp))
		return -1;
	v = sc_map_get(c, n, "thp_zero_page", NULL);
	if (v && sc_get_bool(c, v, "host.thp_zero_page", &sc->thp_zero_page))
		return -1;

	sc->ram = 64 * SZ_1G;
	ram = sc_map_get(c, n, "ram", NULL);
	if (!ram)
		return 0;
	if (sc_get_size(c, ram, "host.ram", &sc->ram))
		return -1;
	sc_format_size(sc->ram, s1, sizeof(s1));
	if (!sc->ram || sc->ram % SZ_1G)
		return sc_fail(c, ram,
			       "host.ram: %s is not a non-zero multiple of 1G",
			       s1);
	sc_format_size(ram_max, s2, sizeof(s2));
	if (sc->ram > ram_max)
		return sc_fail(c, ram,
			       "host.ram: %s is more than %s (the RAM window "
			       "below the device memory)",
			       s1, s2);
	return 0;
}

/* ------------------------------------------------------------------ */
/* devices                                                            */
/* ------------------------------------------------------------------ */

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

	if (sc_check_map(c, n, path, keys))
		return -1;
	vi = sc_require(c, n, path, "index");
	if (!vi)
		return -1;
	vs = sc_require(c, n, path, "size");
	if (!vs)
		return -1;
	if (sc_get_range(c, vi, sc_pkey(p, path, "index"), 0, S2MT_MAX_BARS - 1,
			 "0..5", &index))
		return -1;
	bar = &d->bars[index];
	if (lines[index])
		return sc_fail(c, vi,
			       "%s: BAR %" PRIu64 " is already defined "
			       "(line %zu)",
			       p, index, lines[index]);
	lines[index] = line_of(vi);
	if (sc_get_size(c, vs, sc_pkey(p, path, "size"), &size))
		return -1;
	if (!is_pow2(size) || size < SZ_4K) {
		sc_format_size(size, s, sizeof(s));
		return sc_fail(c, vs,
			       "%s: %s is not a power of two of at least 4K", p,
			       s);
	}
	bar->size = size;
	v = sc_map_get(c, n, "prefetchable", NULL);
	if (v &&
	    sc_get_bool(c, v, sc_pkey(p, path, "prefetchable"),
			&bar->prefetchable))
		return -1;
	/*
	 * PCI: a memory BAR is marked prefetchable only when reading it has
	 * no side effects, so one that is not may have them (an NVMe BAR0,
	 * a NIC's registers). Assuming none there would hide Z6 when a
	 * kernel maps it Normal-NC; the scenario says so when it knows
	 * better.
	 */
	bar->read_side_effects = !bar->prefetchable;
	v = sc_map_get(c, n, "read_side_effects", NULL);
	if (v &&
	    sc_get_bool(c, v, sc_pkey(p, path, "read_side_effects"),
			&bar->read_side_effects))
		return -1;
	v = sc_map_get(c, n, "mmap", NULL);
	if (v && sc_get_bool(c, v, sc_pkey(p, path, "mmap"), &mmap))
		return -1;
	bar->no_mmap = !mmap;
	return 0;
}

static int parse_vfio_pci(struct ctx *c, const yaml_node_t *n, const char *path,
			  struct sc_device *d)
{
	const yaml_node_t *bars = sc_map_get(c, n, "bars", NULL);
	const yaml_node_item_t *it;
	size_t lines[S2MT_MAX_BARS] = { 0 };
	char p[PATH_LEN], pi[PATH_LEN];

	if (!bars)
		return 0;
	sc_pkey(p, path, "bars");
	if (sc_want(c, bars, p, YAML_SEQUENCE_NODE, "a list"))
		return -1;
	for (it = bars->data.sequence.items.start;
	     it < bars->data.sequence.items.top; it++) {
		const yaml_node_t *b = node_get(c, *it);
		size_t i = (size_t)(it - bars->data.sequence.items.start);

		if (!b)
			return sc_broken(c);
		if (parse_bar(c, b, sc_pidx(pi, p, i), d, lines))
			return -1;
	}
	return 0;
}

static int parse_nvgrace(struct ctx *c, const yaml_node_t *n, const char *path,
			 struct sc_device *d)
{
	const yaml_node_t *use, *res;
	char p[PATH_LEN], s[24];

	use = sc_require(c, n, path, "usemem");
	if (!use || sc_get_size(c, use, sc_pkey(p, path, "usemem"), &d->usemem))
		return -1;
	if (!d->usemem || d->usemem % SZ_2M) {
		sc_format_size(d->usemem, s, sizeof(s));
		return sc_fail(c, use,
			       "%s: %s is not a non-zero multiple of 2M", p, s);
	}
	res = sc_map_get(c, n, "resmem", NULL);
	if (!res || scalar_ieq(res, "none"))
		return 0;
	if (sc_get_size(c, res, sc_pkey(p, path, "resmem"), &d->resmem))
		return -1;
	if (!d->resmem || d->resmem % SZ_4K) {
		sc_format_size(d->resmem, s, sizeof(s));
		return sc_fail(
			c, res,
			"%s: %s is not a non-zero multiple of 4K (or none)", p,
			s);
	}
	return 0;
}

static int parse_cmem(struct ctx *c, const yaml_node_t *n, const char *path,
		      struct sc_device *d)
{
	const yaml_node_t *v = sc_require(c, n, path, "size");
	char p[PATH_LEN], s[24];

	if (!v || sc_get_size(c, v, sc_pkey(p, path, "size"), &d->size))
		return -1;
	if (!d->size || d->size % SZ_2M) {
		sc_format_size(d->size, s, sizeof(s));
		return sc_fail(c, v, "%s: %s is not a non-zero multiple of 2M",
			       p, s);
	}
	return 0;
}

static const char *const device_types[] = {
	[SC_DEV_VFIO_PCI] = "vfio-pci",
	[SC_DEV_NVGRACE] = "nvgrace-gpu",
	[SC_DEV_CMEM] = "cacheable-pfnmap",
	NULL,
};

const char *sc_device_type_name(unsigned type)
{
	return type <= SC_DEV_CMEM ? device_types[type] : "?";
}

int sc_host_add_device(struct s2mt_host *host, const struct sc_device *d)
{
	switch (d->type) {
	case SC_DEV_VFIO_PCI:
		return s2mt_host_add_vfio_pci(host, d->name, d->bars);
	case SC_DEV_NVGRACE:
		return s2mt_host_add_nvgrace(host, d->name, d->usemem,
					     d->resmem);
	default:
		return s2mt_host_add_cmem(host, d->name, d->size);
	}
}

int sc_find_device(const struct scenario *sc, const char *name)
{
	for (size_t i = 0; i < sc->nr_devices; i++)
		if (!strcmp(sc->devices[i].name, name))
			return (int)i;
	return -1;
}

static int parse_device(struct ctx *c, const yaml_node_t *n, size_t i)
{
	static const char *const keys[] = { "name",   "type", "bars", "usemem",
					    "resmem", "size", NULL };
	static const char *const vfio_keys[] = { "name", "type", "bars", NULL };
	static const char *const nv_keys[] = { "name", "type", "usemem",
					       "resmem", NULL };
	static const char *const cmem_keys[] = { "name", "type", "size", NULL };
	static const char *const *const type_keys[] = {
		[SC_DEV_VFIO_PCI] = vfio_keys,
		[SC_DEV_NVGRACE] = nv_keys,
		[SC_DEV_CMEM] = cmem_keys,
	};
	const char *const *types = device_types;
	struct scenario *sc = c->sc;
	struct sc_device *d = &sc->devices[i];
	const yaml_node_t *name, *type;
	char path[PATH_LEN], p[PATH_LEN], what[32];
	unsigned t;
	int dup;

	memset(d, 0, sizeof(*d));
	sc_pidx(path, "devices", i);
	if (sc_check_map(c, n, path, keys))
		return -1;
	name = sc_require(c, n, path, "name");
	if (!name)
		return -1;
	type = sc_require(c, n, path, "type");
	if (!type)
		return -1;
	if (sc_get_name(c, name, sc_pkey(p, path, "name"), SC_DEVICE_NAME_MAX,
			d->name))
		return -1;
	dup = sc_find_device(sc, d->name);
	if (dup >= 0)
		return sc_fail(
			c, name,
			"%s: duplicate device name '%s' (first at line %u)", p,
			d->name, sc->devices[dup].mark.line);
	if (sc_get_choice(c, type, sc_pkey(p, path, "type"), types,
			  "device type", &t))
		return -1;
	d->type = (uint8_t)t;
	d->mark = mark_of(n);
	snprintf(what, sizeof(what), "type %s", types[t]);
	if (sc_check_subset(c, n, path, type_keys[t], what))
		return -1;
	if (t == SC_DEV_VFIO_PCI)
		return parse_vfio_pci(c, n, path, d);
	if (t == SC_DEV_CMEM)
		return parse_cmem(c, n, path, d);
	return parse_nvgrace(c, n, path, d);
}

int sc_parse_devices(struct ctx *c, const yaml_node_t *n)
{
	const yaml_node_item_t *it;

	if (sc_want(c, n, "devices", YAML_SEQUENCE_NODE, "a list"))
		return -1;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		const yaml_node_t *d = node_get(c, *it);
		size_t i = c->sc->nr_devices;

		if (!d)
			return sc_broken(c);
		if (i >= SC_MAX_DEVICES)
			return sc_fail(c, d,
				       "devices: too many entries (at most %d)",
				       SC_MAX_DEVICES);
		if (parse_device(c, d, i))
			return -1;
		c->device_nodes[i] = d;
		c->sc->nr_devices++;
	}
	return 0;
}
