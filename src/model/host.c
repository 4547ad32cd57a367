// SPDX-License-Identifier: MIT
/*
 * s2mt model: the Linux/arm64 host as KVM sees it (SPEC section 2, H1-H4,
 * and the linear-map test of K1): CPU features, physical memory, and the
 * vfio-pci and nvgrace-gpu devices. The VMM's address space is mm.c.
 *
 * Every refusal leaves a reason naming the rule in `why` (and the rule id in
 * `rule`) and changes nothing else. Where the model is stricter or simpler
 * than Linux, the comment says so.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <s2mt/model.h>

#include "host_internal.h"

__attribute__((format(printf, 4, 5))) static int host_fail(
	struct s2mt_host *host, int err, const char *rule, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_why(host->why, &host->rule, rule, fmt, ap);
	va_end(ap);
	return err;
}

/* ------------------------------------------------------------------ */
/* The host                                                            */
/* ------------------------------------------------------------------ */

struct preset {
	const char *name;
	struct s2mt_host_caps caps;
	unsigned parange; /* ID_AA64MMFR0_EL1.PARange, in bits */
	bool lpa2; /* FEAT_LPA2: 52-bit IPAs with 4 KiB pages */
	unsigned arch; /* enum s2mt_host_arch */
};

/*
 * A8: the CPU features a preset stands for.
 * grace-hopper: Neoverse V2 has FEAT_S2FWB and CTR_EL0.{DIC,IDC} = 1; Grace
 *   does not implement MTE.
 * no-fwb: Cortex-A72 / Kunpeng-920 (TaiShan v110): none of them (ARMv8.0/8.2
 *   cores; FWB is ARMv8.4).
 * fwb-no-dic: a host with FWB whose CTR_EL0.DIC reads 0 (K2 6.17 refuses
 *   cacheable PFNMAP on it).
 * qemu-max: QEMU 7.2 `-cpu max` (SPEC section 8): FWB, IDC = DIC = 0, MTE.
 * qemu10-max, neoverse-v1, cortex-a710: QEMU 10.0's CPU models, as the
 *   conformance runs read them on real kernels (docs/presets.md): `max`
 *   gained IDC and DIC in QEMU 9.0.
 */
static const struct preset presets[] = {
	{ "grace-hopper",
	  { .fwb = true, .dic = true, .idc = true, .mte = false },
	  48,
	  false,
	  S2MT_ARCH_ARM64 },
	/* Cortex-A57/A72-class cores: 44-bit PA (a real 7.2 kernel under
	 * QEMU -cpu cortex-a57 reports KVM_CAP_ARM_VM_IPA_SIZE = 44). */
	{ "no-fwb",
	  { .fwb = false, .dic = false, .idc = false, .mte = false },
	  44,
	  false,
	  S2MT_ARCH_ARM64 },
	{ "fwb-no-dic",
	  { .fwb = true, .dic = false, .idc = true, .mte = false },
	  48,
	  false,
	  S2MT_ARCH_ARM64 },
	/* QEMU 7.2 -cpu max: PARange 52 bits and FEAT_LPA2. */
	{ "qemu-max",
	  { .fwb = true, .dic = false, .idc = false, .mte = true },
	  52,
	  true,
	  S2MT_ARCH_ARM64 },
	/* QEMU 10.0 -cpu max (with -M virt,mte=on): FWB, IDC, DIC, MTE;
	 * PARange 52 bits and FEAT_LPA2. */
	{ "qemu10-max",
	  { .fwb = true, .dic = true, .idc = true, .mte = true },
	  52,
	  true,
	  S2MT_ARCH_ARM64 },
	/* QEMU 10.0 -cpu neoverse-v1: FWB, IDC, DIC, no MTE; 48-bit PA. */
	{ "neoverse-v1",
	  { .fwb = true, .dic = true, .idc = true, .mte = false },
	  48,
	  false,
	  S2MT_ARCH_ARM64 },
	/* QEMU 10.0 -cpu cortex-a710 (machine without MTE): FWB and IDC
	 * without DIC; 40-bit PA. */
	{ "cortex-a710",
	  { .fwb = true, .dic = false, .idc = true, .mte = false },
	  40,
	  false,
	  S2MT_ARCH_ARM64 },
	/* x86 for contrast (SPEC section 7): none of the Arm features; a
	 * 48-bit guest physical space (4-level EPT/NPT). The caches snoop, so
	 * KVM x86 needs no cache maintenance for any memory type. */
	{ "x86-intel", { 0 }, 48, false, S2MT_ARCH_X86_INTEL },
	{ "x86-amd", { 0 }, 48, false, S2MT_ARCH_X86_AMD },
};

const char *const s2mt_host_presets[] = {
	"grace-hopper", "no-fwb",      "fwb-no-dic", "qemu-max", "qemu10-max",
	"neoverse-v1",	"cortex-a710", "x86-intel",  "x86-amd",	 NULL
};

static const char *const arch_names[] = { "arm64", "x86-intel", "x86-amd" };

const char *s2mt_arch_name(unsigned arch)
{
	return arch < S2MT_ARCH_COUNT_ ? arch_names[arch] : "?";
}

int s2mt_arch_parse(const char *text, unsigned *arch)
{
	for (unsigned i = 0; i < S2MT_ARCH_COUNT_; i++)
		if (text && !strcasecmp(text, arch_names[i])) {
			*arch = i;
			return 0;
		}
	return -S2MT_EINVAL;
}

static const struct preset *preset_find(const char *name)
{
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; i < sizeof(presets) / sizeof(presets[0]); i++)
		if (!strcasecmp(name, presets[i].name))
			return &presets[i];
	return NULL;
}

static unsigned ipa_limit_for(unsigned parange, bool cpu_lpa2,
			      const struct s2mt_kernel *k);

int s2mt_host_preset_info(const char *preset, struct s2mt_preset_info *info)
{
	const struct preset *p = preset_find(preset);
	struct s2mt_kernel k;

	if (!p || !info)
		return -S2MT_EINVAL;
	s2mt_kernel_of_era(S2MT_ERA_6_17, &k);
	*info = (struct s2mt_preset_info){
		.name = p->name,
		.caps = p->caps,
		.parange = p->parange,
		.lpa2 = p->lpa2,
		.arch = p->arch,
		.ipa_limit = ipa_limit_for(p->parange, p->lpa2, &k),
	};
	return 0;
}

int s2mt_host_preset_arch(const char *preset)
{
	const struct preset *p = preset_find(preset);

	return p ? (int)p->arch : -S2MT_EINVAL;
}

int s2mt_host_preset_caps(const char *preset, struct s2mt_host_caps *caps)
{
	const struct preset *p = preset_find(preset);

	if (!p || !caps)
		return -S2MT_EINVAL;
	*caps = p->caps;
	return 0;
}

static void host_add_region(struct s2mt_host *host, uint64_t base,
			    uint64_t size, unsigned kind, bool rse,
			    const char *name)
{
	struct s2mt_phys_region *r = &host->regions[host->nr_regions++];

	memset(r, 0, sizeof(*r));
	r->base = base;
	r->size = size;
	r->kind = (uint8_t)kind;
	r->read_side_effects = rse;
	snprintf(r->name, sizeof(r->name), "%s", name);
}

/*
 * A2: kvm_ipa_limit is the PA range, capped at 48 bits with 4 KiB pages
 * unless the CPU has FEAT_LPA2 and the kernel's KVM can use it
 * (S2MT_KF_IPA_52_LPA2, Linux 6.8; seen on real kernels: 48 on 6.1, 52 on
 * 6.12 and 7.2 under QEMU -cpu max).
 */
static unsigned ipa_limit_for(unsigned parange, bool cpu_lpa2,
			      const struct s2mt_kernel *k)
{
	unsigned cap =
		cpu_lpa2 && s2mt_kernel_has(k, S2MT_KF_IPA_52_LPA2) ? 52 : 48;

	return parange < cap ? parange : cap;
}

/* The PA range and FEAT_LPA2 of the host's CPU: its preset's, or for a
 * custom host 48 bits without LPA2 (as s2mt_host_init_caps() sets). */
static void host_cpu_pa(const struct s2mt_host *host, unsigned *parange,
			bool *lpa2)
{
	const struct preset *p = preset_find(host->preset);

	*parange = p ? p->parange : 48;
	*lpa2 = p ? p->lpa2 : false;
}

static int host_init_common(struct s2mt_host *host, const char *preset,
			    const struct s2mt_host_caps *caps, unsigned era,
			    uint64_t ram_size, unsigned parange, bool lpa2,
			    unsigned arch)
{
	if (era >= S2MT_ERA_COUNT_)
		return host_fail(host, -S2MT_EINVAL, "K1",
				 "unknown kernel era %u (the model has 6.8, "
				 "6.9 and 6.17)",
				 era);
	/* The linear map is built from memblocks; the model hands RAM out in
	 * GiB so that 1 GiB hugetlb pages always fit (H4). */
	if (!ram_size || ram_size % SZ_1G)
		return host_fail(host, -S2MT_EINVAL, "H4",
				 "RAM size 0x%" PRIx64
				 " is not a non-zero multiple of 1 GiB",
				 ram_size);
	if (ram_size > S2MT_HOST_DEVMEM_BASE - S2MT_HOST_RAM_BASE)
		return host_fail(host, -S2MT_EINVAL, "H4",
				 "RAM size 0x%" PRIx64
				 " overlaps the device-memory window at 0x%llx",
				 ram_size, S2MT_HOST_DEVMEM_BASE);

	memset(host, 0, sizeof(*host));
	snprintf(host->preset, sizeof(host->preset), "%s", preset);
	/* An era stands for its representative release (6.8.0, 6.9.0,
	 * 6.17.0): the finer boundaries follow from that kernel, and
	 * s2mt_host_set_kernel() names a real one. */
	s2mt_kernel_of_era(era, &host->kernel);
	host->era = era;
	host->caps = *caps;
	host->arch = arch;
	host->x86_ignore_guest_pat = true;
	/* H6: Linux's defaults when nothing in /sys was written (and
	 * CONFIG_TRANSPARENT_HUGEPAGE_MADVISE, which most distributions
	 * choose; Debian's cloud kernels come up with always). */
	host->thp = S2MT_THP_MADVISE;
	host->thp_zero_page = true;
	/* The physical map the model lays out needs 48 bits whatever the
	 * preset's PARange; the IPA limit follows the preset. */
	host->pa_bits = 48;
	host->ipa_limit = ipa_limit_for(parange, lpa2, &host->kernel);
	host_add_region(host, S2MT_HOST_RAM_BASE, ram_size, S2MT_PHYS_RAM,
			false, "ram");
	host->ram_next = S2MT_HOST_RAM_BASE;
	host->devmem_next = S2MT_HOST_DEVMEM_BASE;
	host->mmio_next = S2MT_HOST_MMIO_BASE;
	return 0;
}

int s2mt_host_init(struct s2mt_host *host, const char *preset, unsigned era,
		   uint64_t ram_size)
{
	const struct preset *p;

	if (!host)
		return -S2MT_EINVAL;
	p = preset_find(preset);
	if (!p)
		return host_fail(host, -S2MT_EINVAL, "A8",
				 "unknown host preset \"%s\"",
				 preset ? preset : "(null)");
	return host_init_common(host, p->name, &p->caps, era, ram_size,
				p->parange, p->lpa2, p->arch);
}

int s2mt_host_init_caps(struct s2mt_host *host,
			const struct s2mt_host_caps *caps, unsigned era,
			uint64_t ram_size)
{
	if (!host)
		return -S2MT_EINVAL;
	if (!caps)
		return host_fail(host, -S2MT_EINVAL, "A8",
				 "no CPU features given");
	return host_init_common(host, "custom", caps, era, ram_size, 48, false,
				S2MT_ARCH_ARM64);
}

int s2mt_host_set_design(struct s2mt_host *host, unsigned design)
{
	unsigned base = s2mt_design_base_era(design);

	if (!host)
		return -S2MT_EINVAL;
	if (design >= S2MT_DESIGN_COUNT_)
		return host_fail(host, -S2MT_EINVAL, "D", "unknown design %u",
				 design);
	if (host->era < base) {
		struct s2mt_kernel k;
		int err;

		s2mt_kernel_of_era(base, &k);
		err = s2mt_host_set_kernel(host, &k);
		if (err)
			return err;
	}
	host->design = design;
	return 0;
}

int s2mt_host_set_kernel(struct s2mt_host *host, const struct s2mt_kernel *k)
{
	unsigned parange;
	bool lpa2;

	if (!host)
		return -S2MT_EINVAL;
	if (!k)
		return host_fail(host, -S2MT_EINVAL, "H4", "no kernel given");
	/* What the host already holds was built by the old kernel's rules
	 * (device VMAs, the MTE flags of RAM mappings): only a fresh host
	 * may change kernels. */
	if (host->nr_devices)
		return host_fail(host, -S2MT_EINVAL, "H4",
				 "the kernel is set before devices are added; "
				 "this host has %zu already",
				 host->nr_devices);
	if (host->ram_next != S2MT_HOST_RAM_BASE)
		return host_fail(host, -S2MT_EINVAL, "H4",
				 "the kernel is set before memory is mapped; "
				 "this host has handed out RAM already");
	if (k->major < S2MT_KERNEL_MIN_MAJOR ||
	    (k->major == S2MT_KERNEL_MIN_MAJOR &&
	     k->minor < S2MT_KERNEL_MIN_MINOR))
		return host_fail(host, -S2MT_EINVAL, "H4",
				 "kernel %u.%u is older than %d.%d, the oldest "
				 "the model describes",
				 k->major, k->minor, S2MT_KERNEL_MIN_MAJOR,
				 S2MT_KERNEL_MIN_MINOR);
	if (k->backports & ~(S2MT_KF_BIT(S2MT_KF_COUNT_) - 1))
		return host_fail(host, -S2MT_EINVAL, "H4",
				 "kernel %u.%u names backports the model does "
				 "not know (0x%x)",
				 k->major, k->minor, k->backports);
	/* s2mt_kernel_add_backport() keeps a set consistent; a kernel built
	 * by hand must be too. */
	for (unsigned f = 0; f < S2MT_KF_COUNT_; f++) {
		uint32_t need = s2mt_kernel_feature_requires(f);

		if (!(k->backports & S2MT_KF_BIT(f)))
			continue;
		for (unsigned g = 0; g < S2MT_KF_COUNT_; g++)
			if ((need & S2MT_KF_BIT(g)) && !s2mt_kernel_has(k, g))
				return host_fail(
					host, -S2MT_EINVAL, "H4",
					"kernel %u.%u has %s as a backport but "
					"not %s, which it needs",
					k->major, k->minor,
					s2mt_kernel_feature_name(f),
					s2mt_kernel_feature_name(g));
	}
	host->kernel = *k;
	host->kernel.release[sizeof(host->kernel.release) - 1] = '\0';
	host->era = s2mt_kernel_era(&host->kernel);
	host_cpu_pa(host, &parange, &lpa2);
	host->ipa_limit = ipa_limit_for(parange, lpa2, &host->kernel);
	return 0;
}

const struct s2mt_phys_region *s2mt_host_region(const struct s2mt_host *host,
						uint64_t pa)
{
	size_t i;

	if (!host)
		return NULL;
	for (i = 0; i < host->nr_regions; i++) {
		const struct s2mt_phys_region *r = &host->regions[i];

		if (pa >= r->base && pa - r->base < r->size)
			return r;
	}
	return NULL;
}

/* K1: pfn_is_map_memory(): only system RAM is in the linear map; BARs and
 * coherent device memory (H4) are not. */
bool s2mt_host_pfn_is_map_memory(const struct s2mt_host *host, uint64_t pa)
{
	const struct s2mt_phys_region *r = s2mt_host_region(host, pa);

	return r && r->kind == S2MT_PHYS_RAM;
}

int s2mt_host_find_device(const struct s2mt_host *host, const char *name)
{
	size_t i;

	if (!host || !name)
		return -S2MT_EINVAL;
	for (i = 0; i < host->nr_devices; i++)
		if (!strcmp(host->devices[i].name, name))
			return (int)i;
	return -S2MT_ENODEV;
}

/* Checks common to adding a device: name, duplicates, room. */
static int host_check_new_device(struct s2mt_host *host, const char *name)
{
	size_t len;

	if (!name || !*name)
		return host_fail(host, -S2MT_EINVAL, "H4",
				 "a device needs a name");
	len = strlen(name);
	if (len >= sizeof(host->devices[0].name))
		return host_fail(host, -S2MT_EINVAL, "H4",
				 "device name \"%.40s...\" is longer than %zu "
				 "characters",
				 name, sizeof(host->devices[0].name) - 1);
	if (s2mt_host_find_device(host, name) >= 0)
		return host_fail(host, -S2MT_EINVAL, "H4",
				 "a device named \"%s\" exists already", name);
	if (host->nr_devices >= S2MT_MAX_DEVICES)
		return host_fail(host, -S2MT_ENOSPC, "H4",
				 "the host has %d devices already",
				 S2MT_MAX_DEVICES);
	return 0;
}

int s2mt_host_add_vfio_pci(struct s2mt_host *host, const char *name,
			   const struct s2mt_bar_spec bars[S2MT_MAX_BARS])
{
	uint64_t pa[S2MT_MAX_BARS] = { 0 };
	uint64_t cursor, limit;
	struct s2mt_device *dev;
	unsigned i, nr = 0;
	int err;

	if (!host)
		return -S2MT_EINVAL;
	err = host_check_new_device(host, name);
	if (err)
		return err;
	if (!bars)
		return host_fail(host, -S2MT_EINVAL, "H4",
				 "%s: no BAR table given", name);

	/*
	 * H4: a memory BAR's size is a power of two; vfio-pci only lets
	 * userspace mmap BARs of at least a page (bar_mmap_supported), and the
	 * model does not pad smaller ones. Each BAR is placed naturally
	 * aligned, as PCI resource assignment does.
	 */
	cursor = host->mmio_next;
	limit = 1ULL << host->pa_bits;
	for (i = 0; i < S2MT_MAX_BARS; i++) {
		uint64_t size = bars[i].size;

		if (!size)
			continue;
		if (!is_pow2(size) || size < SZ_4K)
			return host_fail(host, -S2MT_EINVAL, "H4",
					 "%s BAR%u: size 0x%" PRIx64
					 " is not a power of two of at least "
					 "4 KiB",
					 name, i, size);
		if (!align_up(cursor, size, &pa[i]) || pa[i] >= limit ||
		    limit - pa[i] < size)
			return host_fail(host, -S2MT_ENOSPC, "H4",
					 "%s BAR%u: 0x%" PRIx64
					 " bytes do not fit in the MMIO window",
					 name, i, size);
		cursor = pa[i] + size;
		nr++;
	}
	if (host->nr_regions + nr > S2MT_MAX_REGIONS)
		return host_fail(host, -S2MT_ENOSPC, "H4",
				 "%s: more than %d physical regions", name,
				 S2MT_MAX_REGIONS);

	dev = &host->devices[host->nr_devices];
	memset(dev, 0, sizeof(*dev));
	snprintf(dev->name, sizeof(dev->name), "%s", name);
	dev->kind = S2MT_DEVICE_VFIO_PCI;
	for (i = 0; i < S2MT_MAX_BARS; i++) {
		char rname[48];

		if (!bars[i].size)
			continue;
		dev->bars[i].pa = pa[i];
		dev->bars[i].size = bars[i].size;
		dev->bars[i].prefetchable = bars[i].prefetchable;
		dev->bars[i].read_side_effects = bars[i].read_side_effects;
		dev->bars[i].mmap_ok = !bars[i].no_mmap;
		snprintf(rname, sizeof(rname), "%s BAR%u", name, i);
		/* Z6: a BAR whose reads change device state. */
		host_add_region(host, pa[i], bars[i].size, S2MT_PHYS_MMIO,
				bars[i].read_side_effects, rname);
	}
	host->mmio_next = cursor;
	return (int)host->nr_devices++;
}

int s2mt_host_add_nvgrace(struct s2mt_host *host, const char *name,
			  uint64_t usemem_size, uint64_t resmem_size)
{
	uint64_t use_pa, res_pa, end;
	struct s2mt_device *dev;
	char rname[48];
	int err;

	if (!host)
		return -S2MT_EINVAL;
	if (host->arch != S2MT_ARCH_ARM64)
		return host_fail(
			host, -S2MT_ENODEV, "H4",
			"nvgrace-gpu-vfio-pci is an arm64 driver (Grace "
			"Hopper); an %s host has no such device",
			s2mt_arch_name(host->arch));
	/* H4: no driver, no device. Vendor kernels carried it earlier. */
	if (!s2mt_kernel_has(&host->kernel, S2MT_KF_NVGRACE_GPU))
		return host_fail(host, -S2MT_ENODEV, "H4",
				 "nvgrace-gpu-vfio-pci arrived in Linux 6.9; "
				 "kernel %s does not have it; name it as a "
				 "backport if your vendor kernel carries it",
				 host->kernel.release);
	err = host_check_new_device(host, name);
	if (err)
		return err;
	/* Real parts have GiB of HBM (usemem is rounded down to 512 MiB
	 * blocks by the driver); the model asks for 2 MiB granularity. */
	if (!usemem_size || usemem_size % SZ_2M)
		return host_fail(host, -S2MT_EINVAL, "H4",
				 "%s: usemem size 0x%" PRIx64
				 " is not a non-zero multiple of 2 MiB",
				 name, usemem_size);
	/*
	 * H4: a part without resmem (Grace Blackwell) needs a driver that
	 * reads the DVSEC flag (S2MT_KF_NVGRACE_NO_RESMEM: 6.14, stable
	 * 6.12.16 and 6.13.4); older drivers always carve resmem out. The
	 * model does not refuse such a part on older kernels yet: scenarios
	 * use usemem-only devices to keep the 6.9 story short
	 * (docs/kernels.md, "Not enforced").
	 */
	if (resmem_size % SZ_4K)
		return host_fail(host, -S2MT_EINVAL, "H4",
				 "%s: resmem size 0x%" PRIx64
				 " is not a multiple of 4 KiB",
				 name, resmem_size);
	/*
	 * H4: coherent device memory outside the linear map. usemem starts
	 * 1 GiB aligned; resmem is carved out of the end of the device memory,
	 * right after usemem (as nvgrace-gpu lays it out), 2 MiB aligned.
	 */
	if (!align_up(host->devmem_next, SZ_1G, &use_pa) ||
	    use_pa >= S2MT_HOST_MMIO_BASE ||
	    S2MT_HOST_MMIO_BASE - use_pa < usemem_size)
		goto nospace;
	if (!align_up(use_pa + usemem_size, SZ_2M, &res_pa) ||
	    res_pa > S2MT_HOST_MMIO_BASE ||
	    S2MT_HOST_MMIO_BASE - res_pa < resmem_size)
		goto nospace;
	end = resmem_size ? res_pa + resmem_size : use_pa + usemem_size;
	if (host->nr_regions + 1 + (resmem_size ? 1 : 0) > S2MT_MAX_REGIONS)
		return host_fail(host, -S2MT_ENOSPC, "H4",
				 "%s: more than %d physical regions", name,
				 S2MT_MAX_REGIONS);

	dev = &host->devices[host->nr_devices];
	memset(dev, 0, sizeof(*dev));
	snprintf(dev->name, sizeof(dev->name), "%s", name);
	dev->kind = S2MT_DEVICE_NVGRACE;
	dev->usemem_pa = use_pa;
	dev->usemem_size = usemem_size;
	snprintf(rname, sizeof(rname), "%s usemem", name);
	host_add_region(host, use_pa, usemem_size, S2MT_PHYS_DEVMEM, false,
			rname);
	if (resmem_size) {
		dev->resmem_pa = res_pa;
		dev->resmem_size = resmem_size;
		snprintf(rname, sizeof(rname), "%s resmem", name);
		host_add_region(host, res_pa, resmem_size, S2MT_PHYS_DEVMEM,
				false, rname);
	}
	host->devmem_next = end;
	return (int)host->nr_devices++;

nospace:
	return host_fail(host, -S2MT_ENOSPC, "H4",
			 "%s: 0x%" PRIx64 " + 0x%" PRIx64
			 " bytes do not fit in the device-memory window",
			 name, usemem_size, resmem_size);
}

int s2mt_host_add_cmem(struct s2mt_host *host, const char *name, uint64_t size)
{
	struct s2mt_device *dev;
	char rname[48];
	uint64_t pa;
	int err;

	if (!host)
		return -S2MT_EINVAL;
	err = host_check_new_device(host, name);
	if (err)
		return err;
	if (!size || size % SZ_2M)
		return host_fail(host, -S2MT_EINVAL, "H4",
				 "%s: size 0x%" PRIx64
				 " is not a non-zero multiple of 2 MiB",
				 name, size);
	/* H4: outside the linear map, like nvgrace usemem, 1 GiB aligned
	 * (a sparsemem section of its own, as mem= leaves it). */
	if (!align_up(host->devmem_next, SZ_1G, &pa) ||
	    pa >= S2MT_HOST_MMIO_BASE || S2MT_HOST_MMIO_BASE - pa < size)
		return host_fail(host, -S2MT_ENOSPC, "H4",
				 "%s: 0x%" PRIx64 " bytes do not fit in the "
				 "device-memory window",
				 name, size);
	if (host->nr_regions + 1 > S2MT_MAX_REGIONS)
		return host_fail(host, -S2MT_ENOSPC, "H4",
				 "%s: more than %d physical regions", name,
				 S2MT_MAX_REGIONS);
	dev = &host->devices[host->nr_devices];
	memset(dev, 0, sizeof(*dev));
	snprintf(dev->name, sizeof(dev->name), "%s", name);
	dev->kind = S2MT_DEVICE_CMEM;
	dev->cmem_pa = pa;
	dev->cmem_size = size;
	snprintf(rname, sizeof(rname), "%s (RAM hidden with mem=)", name);
	host_add_region(host, pa, size, S2MT_PHYS_DEVMEM, false, rname);
	host->devmem_next = pa + size;
	return (int)host->nr_devices++;
}

/* ------------------------------------------------------------------ */
/* Names                                                               */
/* ------------------------------------------------------------------ */

const char *s2mt_backing_name(unsigned backing)
{
	static const char *const names[] = {
		[S2MT_BACK_ANON] = "anon",
		[S2MT_BACK_THP] = "thp",
		[S2MT_BACK_HUGETLB_2M] = "hugetlb-2M",
		[S2MT_BACK_HUGETLB_1G] = "hugetlb-1G",
		[S2MT_BACK_PFN] = "pfnmap",
	};

	return backing < sizeof(names) / sizeof(names[0]) ? names[backing]
							  : "?";
}

static const char *const thp_mode_names[] = {
	[S2MT_THP_NEVER] = "never",
	[S2MT_THP_MADVISE] = "madvise",
	[S2MT_THP_ALWAYS] = "always",
};

const char *s2mt_thp_mode_name(unsigned mode)
{
	return mode < sizeof(thp_mode_names) / sizeof(thp_mode_names[0])
		? thp_mode_names[mode]
		: "?";
}

int s2mt_thp_mode_parse(const char *name)
{
	for (unsigned i = 0;
	     name && i < sizeof(thp_mode_names) / sizeof(thp_mode_names[0]);
	     i++)
		if (!strcmp(name, thp_mode_names[i]))
			return (int)i;
	return -S2MT_EINVAL;
}

const char *s2mt_origin_name(unsigned origin)
{
	static const char *const names[] = {
		[S2MT_ORIGIN_ANON] = "anonymous",
		[S2MT_ORIGIN_HUGETLBFS] = "hugetlbfs",
		[S2MT_ORIGIN_VFIO_BAR] = "vfio-pci",
		[S2MT_ORIGIN_NVGRACE_USEMEM] = "nvgrace-gpu usemem",
		[S2MT_ORIGIN_NVGRACE_RESMEM] = "nvgrace-gpu resmem",
		[S2MT_ORIGIN_DEVMEM] = "/dev/mem",
		[S2MT_ORIGIN_CMEM] = "cacheable-pfnmap",
	};

	return origin < sizeof(names) / sizeof(names[0]) ? names[origin] : "?";
}
