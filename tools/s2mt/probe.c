// SPDX-License-Identifier: MIT
/*
 * s2mt probe: the host this runs on, as the model needs it. It reads what
 * is there and never guesses: the kernel (and so the rules), /dev/kvm and
 * its capabilities on a VM handle, CTR_EL0 and MIDR, FEAT_S2FWB (from
 * capability 243 where the kernel has it, else from the boot log), the KVM
 * mode, the PCI devices bound to vfio-pci or nvgrace-gpu-vfio-pci with
 * their BARs, hugetlb and THP. One line per fact, PASS/WARN/FAIL/NOTE with
 * a hint, like virt-host-validate; --scenario writes a host: and devices:
 * fragment that `s2mt run` accepts as it is.
 *
 * Files are read under a root directory (--root, for tests: a fake /sys
 * and /proc); /dev/kvm and CTR_EL0 only on the real machine.
 */
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>

#include <linux/vfio.h>
#include <unistd.h>

#include <s2mt/model.h>

#include "cli.h"
#include "probe.h"
#include "size.h"

#define KVMIO 0xAE
#define PROBE_KVM_GET_API_VERSION _IO(KVMIO, 0x00)
#define PROBE_KVM_CREATE_VM _IO(KVMIO, 0x01)
#define PROBE_KVM_CHECK_EXTENSION _IO(KVMIO, 0x03)

static int read_text(const char *root, const char *path, char *buf, size_t len)
{
	char full[512];
	size_t n;
	FILE *f;

	snprintf(full, sizeof(full), "%s%s", root, path);
	f = fopen(full, "r");
	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
	return 0;
}

static int read_ulong(const char *root, const char *path, unsigned long *v)
{
	char buf[64], *end;
	int err = read_text(root, path, buf, sizeof(buf));

	if (err)
		return err;
	*v = strtoul(buf, &end, 0);
	return end == buf ? -EINVAL : 0;
}

/* "0x... 0x... 0x..." per line of a PCI resource file: BAR i is line i. */
static void read_bars(const char *root, const char *dev, struct probe_pci *p)
{
	char path[400], buf[4096], *line, *save = NULL;
	unsigned i = 0;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", dev);
	if (read_text(root, path, buf, sizeof(buf)))
		return;
	for (line = strtok_r(buf, "\n", &save); line && i < 6;
	     line = strtok_r(NULL, "\n", &save), i++) {
		unsigned long long start, end, flags;

		if (sscanf(line, "%llx %llx %llx", &start, &end, &flags) != 3 ||
		    !end)
			continue;
		/* IORESOURCE_MEM 0x200, IORESOURCE_PREFETCH 0x2000 */
		if (!(flags & 0x200))
			continue;
		p->bar_size[i] = end - start + 1;
		p->prefetchable[i] = flags & 0x2000;
	}
}

/*
 * VFIO's own view of the BARs, where this process may open the device's
 * group (root, and the group not held by another process); else why not.
 */
static void vfio_regions(const char *root, struct probe_pci *p)
{
	char path[600], link[300], *group;
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int container = -1, grp = -1, dev = -1;
	ssize_t n;

	if (root[0]) {
		snprintf(p->regions_why, sizeof(p->regions_why),
			 "not read under --root");
		return;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
		 p->bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0) {
		snprintf(p->regions_why, sizeof(p->regions_why),
			 "no IOMMU group");
		return;
	}
	link[n] = 0;
	group = strrchr(link, '/');
	snprintf(path, sizeof(path), "/dev/vfio/%s", group ? group + 1 : link);
	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	grp = open(path, O_RDWR | O_CLOEXEC);
	if (container < 0 || grp < 0 ||
	    ioctl(grp, VFIO_GROUP_GET_STATUS, &st) ||
	    !(st.flags & VFIO_GROUP_FLAGS_VIABLE) ||
	    ioctl(grp, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) ||
	    (dev = ioctl(grp, VFIO_GROUP_GET_DEVICE_FD, p->bdf)) < 0) {
		snprintf(p->regions_why, sizeof(p->regions_why),
			 "VFIO region info not permitted here (%s: %s)", path,
			 strerror(errno));
	} else {
		for (unsigned i = 0; i < 6; i++) {
			struct vfio_region_info ri = { .argsz = sizeof(ri),
						       .index = i };

			if (ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri))
				continue;
			p->region_size[i] = ri.size;
			p->region_mmap[i] =
				ri.flags & VFIO_REGION_INFO_FLAG_MMAP;
		}
		p->regions_known = true;
	}
	if (dev >= 0)
		close(dev);
	if (grp >= 0)
		close(grp);
	if (container >= 0)
		close(container);
}

void probe_pci(const char *root, struct probe_facts *f)
{
	static const char *const drivers[] = { "vfio-pci",
					       "nvgrace-gpu-vfio-pci" };

	for (size_t d = 0; d < 2; d++) {
		char path[256], full[512];
		struct dirent *e;
		DIR *dir;

		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s",
			 drivers[d]);
		snprintf(full, sizeof(full), "%s%s", root, path);
		dir = opendir(full);
		if (!dir)
			continue;
		while ((e = readdir(dir)) && f->nr_pci < PROBE_MAX_PCI) {
			struct probe_pci *p = &f->pci[f->nr_pci];
			unsigned a, b, c, fn;

			if (sscanf(e->d_name, "%x:%x:%x.%x", &a, &b, &c, &fn) !=
			    4)
				continue;
			memset(p, 0, sizeof(*p));
			snprintf(p->bdf, sizeof(p->bdf), "%s", e->d_name);
			snprintf(p->driver, sizeof(p->driver), "%s",
				 drivers[d]);
			read_bars(root, e->d_name, p);
			vfio_regions(root, p);
			f->nr_pci++;
		}
		closedir(dir);
	}
}

void probe_memory(const char *root, struct probe_facts *f)
{
	static const struct {
		const char *dir;
		uint64_t size;
	} huge[] = { { "hugepages-2048kB", 2ull << 20 },
		     { "hugepages-1048576kB", 1ull << 30 },
		     { "hugepages-64kB", 64ull << 10 },
		     { "hugepages-32768kB", 32ull << 20 } };
	char buf[256], path[256], *l, *r;

	for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		struct probe_huge *h = &f->huge[f->nr_huge];
		unsigned long nr, fr;

		snprintf(path, sizeof(path),
			 "/sys/kernel/mm/hugepages/%s/nr_hugepages",
			 huge[i].dir);
		if (read_ulong(root, path, &nr))
			continue;
		snprintf(path, sizeof(path),
			 "/sys/kernel/mm/hugepages/%s/free_hugepages",
			 huge[i].dir);
		if (read_ulong(root, path, &fr))
			fr = 0;
		h->size = huge[i].size;
		h->nr = nr;
		h->free = fr;
		f->nr_huge++;
	}
	/* "always [madvise] never": the bracketed word. */
	if (!read_text(root, "/sys/kernel/mm/transparent_hugepage/enabled", buf,
		       sizeof(buf)) &&
	    (l = strchr(buf, '[')) && (r = strchr(l, ']'))) {
		*r = 0;
		snprintf(f->thp, sizeof(f->thp), "%s", l + 1);
	}
	{
		unsigned long z;

		f->thp_zero_page =
			read_ulong(root,
				   "/sys/kernel/mm/transparent_hugepage/"
				   "use_zero_page",
				   &z)
			? -1
			: z != 0;
	}
	if (!read_text(root, "/proc/meminfo", buf, sizeof(buf))) {
		unsigned long long kb;

		if (sscanf(buf, "MemTotal: %llu kB", &kb) == 1)
			f->ram = kb << 10;
	}
}

/* The boot log lines the kernel prints once (dmesg is root's on most
 * distributions; --root reads a saved copy as /proc/kmsg.txt). */
static void probe_bootlog(const char *root, struct probe_facts *f)
{
	static char buf[1 << 20];
	int fd, n = 0;

	if (root[0]) {
		if (read_text(root, "/proc/kmsg.txt", buf, sizeof(buf)))
			return;
		n = (int)strlen(buf);
	} else {
		/* /dev/kmsg gives one record per read, nonblocking. */
		fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
		if (fd < 0) {
			snprintf(f->bootlog_why, sizeof(f->bootlog_why),
				 "the boot log is not readable (/dev/kmsg: "
				 "%s)",
				 strerror(errno));
			return;
		}
		for (;;) {
			ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);

			if (r <= 0 || n + r >= (int)sizeof(buf) - 256)
				break;
			n += (int)r;
		}
		close(fd);
		buf[n] = 0;
	}
	f->bootlog = true;
	f->log_fwb = strstr(buf, "Stage-2 Force Write-Back") != NULL;
	if (strstr(buf, "Protected nVHE mode initialized"))
		snprintf(f->mode, sizeof(f->mode), "protected nVHE");
	else if (strstr(buf, "VHE mode initialized"))
		snprintf(f->mode, sizeof(f->mode), "VHE");
	else if (strstr(buf, "Hyp mode initialized") ||
		 strstr(buf, "nVHE mode initialized"))
		snprintf(f->mode, sizeof(f->mode), "nVHE");
}

static void probe_kvm(struct probe_facts *f)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm;

	if (kvm < 0) {
		f->kvm_errno = errno;
		return;
	}
	f->kvm = true;
	f->kvm_api = ioctl(kvm, PROBE_KVM_GET_API_VERSION, 0);
	f->ipa_size =
		ioctl(kvm, PROBE_KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE);
	f->mte_cap = ioctl(kvm, PROBE_KVM_CHECK_EXTENSION, KVM_CAP_ARM_MTE);
	errno = 0;
	f->cap243_sys = ioctl(kvm, PROBE_KVM_CHECK_EXTENSION,
			      KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED);
	if (f->cap243_sys < 0)
		f->cap243_sys = -errno;
	vm = ioctl(kvm, PROBE_KVM_CREATE_VM, 0);
	if (vm >= 0) {
		f->vm = true;
		f->cap243_vm = ioctl(vm, PROBE_KVM_CHECK_EXTENSION,
				     KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED);
		close(vm);
	} else {
		f->vm_errno = errno;
	}
	close(kvm);
}

/* A saved answer for tests: "api=12 ipa=44 mte=0 vm=1 sys=-22". */
static void probe_kvm_file(const char *root, struct probe_facts *f)
{
	char buf[256];
	long api, ipa, mte, vm, sys;

	if (read_text(root, "/proc/kvm.txt", buf, sizeof(buf))) {
		f->kvm_errno = ENOENT;
		return;
	}
	if (sscanf(buf, "api=%ld ipa=%ld mte=%ld vm=%ld sys=%ld", &api, &ipa,
		   &mte, &vm, &sys) != 5) {
		f->kvm_errno = EINVAL;
		return;
	}
	f->kvm = f->vm = true;
	f->kvm_api = api;
	f->ipa_size = ipa;
	f->mte_cap = mte;
	f->cap243_vm = vm;
	f->cap243_sys = sys;
}

static void probe_cpu(const char *root, struct probe_facts *f)
{
	char buf[64];

#if defined(__aarch64__)
	if (!root[0]) {
		uint64_t ctr;

		/* CTR_EL0 is readable at EL0 (SCTLR_EL1.UCT, set by
		 * Linux). */
		__asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
		f->ctr_known = true;
		f->ctr = ctr;
	}
#endif
	if (root[0] &&
	    !read_text(root, "/proc/ctr_el0.txt", buf, sizeof(buf))) {
		f->ctr = strtoull(buf, NULL, 0);
		f->ctr_known = true;
	}
	if (!read_text(root,
		       "/sys/devices/system/cpu/cpu0/regs/identification/"
		       "midr_el1",
		       buf, sizeof(buf))) {
		buf[strcspn(buf, "\n")] = 0;
		snprintf(f->midr, sizeof(f->midr), "%s", buf);
	}
}

/* FEAT_S2FWB, never guessed: capability 243 = 1 means FWB (and DIC);
 * 243 = 0 with DIC means no FWB; otherwise the boot log's line. */
static void decide_fwb(struct probe_facts *f)
{
	bool dic = f->ctr_known && (f->ctr >> 29 & 1);

	f->fwb = -1;
	if (f->kernel_has_243 && f->vm && f->cap243_vm == 1) {
		f->fwb = 1;
		snprintf(f->fwb_why, sizeof(f->fwb_why),
			 "capability 243 is 1 on a VM");
	} else if (f->kernel_has_243 && f->vm && f->cap243_vm == 0 && dic) {
		f->fwb = 0;
		snprintf(f->fwb_why, sizeof(f->fwb_why),
			 "capability 243 is 0 on a VM although CTR_EL0.DIC "
			 "is 1");
	} else if (f->bootlog) {
		f->fwb = f->log_fwb;
		snprintf(f->fwb_why, sizeof(f->fwb_why),
			 "the boot log %s \"Stage-2 Force Write-Back\"",
			 f->log_fwb ? "has" : "lacks");
	} else {
		snprintf(f->fwb_why, sizeof(f->fwb_why),
			 "unknown: %s, and capability 243 cannot tell it "
			 "here (run as root, or on 6.17+ with DIC)",
			 f->bootlog_why[0] ? f->bootlog_why : "no boot log");
	}
}

void probe_collect(const char *root, const char *machine, const char *release,
		   struct probe_facts *f)
{
	struct utsname u;
	char err[160];

	memset(f, 0, sizeof(*f));
	f->fwb = -1;
	if (uname(&u) == 0) {
		snprintf(f->machine, sizeof(f->machine), "%s", u.machine);
		snprintf(f->release, sizeof(f->release), "%s", u.release);
	}
	if (machine)
		snprintf(f->machine, sizeof(f->machine), "%s", machine);
	if (release)
		snprintf(f->release, sizeof(f->release), "%s", release);
	f->arm64 =
		!strcmp(f->machine, "aarch64") || !strcmp(f->machine, "arm64");
	f->kernel_ok =
		!s2mt_kernel_parse(f->release, &f->kernel, err, sizeof(err));
	if (!f->kernel_ok)
		snprintf(f->kernel_err, sizeof(f->kernel_err), "%s", err);
	f->kernel_has_243 = f->kernel_ok &&
		s2mt_kernel_has(&f->kernel, S2MT_KF_CACHEABLE_PFNMAP);
	if (!f->arm64)
		return;
	if (!root[0])
		probe_kvm(f);
	else
		probe_kvm_file(root, f);
	probe_cpu(root, f);
	probe_bootlog(root, f);
	decide_fwb(f);
	probe_pci(root, f);
	probe_memory(root, f);
}

static void fact(const char *level, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fact(const char *level, const char *what, const char *fmt, ...)
{
	va_list ap;

	printf("  %-4s  %-22s ", level, what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* "1M", "64K", "16G" for exact binary multiples, else bytes: the probe
 * also runs alone (s2mt-probe, in the conformance boots), without the
 * scenario code. */
/* sc_format_size(), as an expression. */
static const char *size_text(uint64_t v, char *buf, size_t len)
{
	sc_format_size(v, buf, len);
	return buf;
}

static int checklist(const struct probe_facts *f)
{
	bool fail = false;
	char s[32];

	printf("s2mt probe: this host as the model needs it\n");
	if (!f->arm64) {
		fact("FAIL", "architecture",
		     "%s: not arm64; s2mt models KVM/arm64 (describe a host "
		     "with a scenario's host: preset or features instead)",
		     f->machine);
		return S2MT_EXIT_FINDING;
	}
	fact("PASS", "architecture", "arm64 (%s)", f->machine);
	if (f->kernel_ok) {
		char desc[160];

		s2mt_kernel_describe(&f->kernel, desc, sizeof(desc));
		fact("PASS", "kernel", "%s: the %s rules (s2mt explain K2)",
		     desc, s2mt_era_name(s2mt_kernel_era(&f->kernel)));
	} else {
		fact("WARN", "kernel", "%s: %s", f->release, f->kernel_err);
	}
	if (!f->kvm) {
		fact("FAIL", "/dev/kvm", "%s (hint: load kvm, or boot at EL2)",
		     strerror(f->kvm_errno));
		fail = true;
	} else {
		fact("PASS", "/dev/kvm", "KVM API %ld", f->kvm_api);
		fact("NOTE", "IPA size", "%ld bits (KVM_CAP_ARM_VM_IPA_SIZE)",
		     f->ipa_size);
		fact("NOTE", "MTE", "KVM_CAP_ARM_MTE = %ld", f->mte_cap);
		char sys[24];

		if (f->cap243_sys < 0)
			snprintf(sys, sizeof(sys), "-%s",
				 s2mt_errno_name((int)-f->cap243_sys));
		else
			snprintf(sys, sizeof(sys), "%ld", f->cap243_sys);
		if (f->vm)
			fact(f->cap243_vm == 1 ? "PASS" : "NOTE",
			     "capability 243",
			     "%ld on a VM (%s); %s on /dev/kvm (C1)",
			     f->cap243_vm,
			     f->cap243_vm == 1 ? "cacheable PFNMAP allowed"
				     : f->kernel_has_243
				     ? "cacheable PFNMAP refused"
				     : "unknown to this kernel: 6.17 brought "
				       "it",
			     sys);
		else
			fact("WARN", "capability 243",
			     "no VM to ask: KVM_CREATE_VM failed (%s)",
			     strerror(f->vm_errno));
	}
	if (f->ctr_known)
		fact("NOTE", "CTR_EL0", "0x%" PRIx64 ": DIC %u, IDC %u", f->ctr,
		     (unsigned)(f->ctr >> 29 & 1),
		     (unsigned)(f->ctr >> 28 & 1));
	else
		fact("WARN", "CTR_EL0", "not read");
	fact("NOTE", "MIDR_EL1", "%s", f->midr[0] ? f->midr : "not readable");
	fact(f->fwb < 0 ? "WARN" : "PASS", "FEAT_S2FWB", "%s (%s)",
	     f->fwb < 0	      ? "unknown"
		     : f->fwb ? "yes"
			      : "no",
	     f->fwb_why);
	fact("NOTE", "KVM mode", "%s",
	     f->mode[0] ? f->mode : "not in the boot log");
	for (size_t i = 0; i < f->nr_pci; i++) {
		char bars[200] = "";
		size_t n = 0;

		for (unsigned b = 0; b < 6; b++)
			if (f->pci[i].bar_size[b])
				n += (size_t)snprintf(
					bars + n, sizeof(bars) - n,
					"%sBAR%u %s%s", n ? ", " : "", b,
					size_text(f->pci[i].bar_size[b], s,
						  sizeof(s)),
					f->pci[i].prefetchable[b] ? " prefetch"
								  : "");
		fact("NOTE", f->pci[i].driver, "%s: %s", f->pci[i].bdf,
		     n ? bars : "no memory BARs");
		if (f->pci[i].regions_known) {
			n = 0;
			bars[0] = 0;
			for (unsigned b = 0; b < 6; b++)
				if (f->pci[i].region_size[b])
					n += (size_t)snprintf(
						bars + n, sizeof(bars) - n,
						"%sregion %u %s%s",
						n ? ", " : "", b,
						size_text(
							f->pci[i]
								.region_size[b],
							s, sizeof(s)),
						f->pci[i].region_mmap[b]
							? " mmap"
							: "");
			fact("NOTE", "VFIO regions", "%s: %s", f->pci[i].bdf,
			     n ? bars : "none");
		} else {
			fact("NOTE", "VFIO regions", "%s: %s", f->pci[i].bdf,
			     f->pci[i].regions_why);
		}
	}
	if (!f->nr_pci)
		fact("NOTE", "vfio devices",
		     "none bound to vfio-pci or "
		     "nvgrace-gpu-vfio-pci");
	for (size_t i = 0; i < f->nr_huge; i++)
		fact("NOTE", "hugetlb", "%s pages: %lu free of %lu",
		     size_text(f->huge[i].size, s, sizeof(s)), f->huge[i].free,
		     f->huge[i].nr);
	fact("NOTE", "THP",
	     "%s%s (H6: which anonymous memory gets 2 MiB "
	     "blocks)",
	     f->thp[0] ? f->thp : "not readable",
	     f->thp_zero_page < 0	? ""
		     : f->thp_zero_page ? ", huge zero page on"
					: ", huge zero page off");
	return fail ? S2MT_EXIT_FINDING : S2MT_EXIT_OK;
}

static int scenario_fragment(const struct probe_facts *f)
{
	bool dic, idc;
	char s[32];

	if (!f->arm64 || !f->ctr_known || f->fwb < 0 || !f->kvm ||
	    !f->kernel_ok) {
		fprintf(stderr,
			"s2mt probe --scenario: not every fact is known (run "
			"s2mt probe for which); nothing guessed\n");
		return S2MT_EXIT_FINDING;
	}
	dic = f->ctr >> 29 & 1;
	idc = f->ctr >> 28 & 1;
	printf("# s2mt probe --scenario: this host (MIDR %s)\n",
	       f->midr[0] ? f->midr : "?");
	printf("host:\n  features: {fwb: %s, dic: %s, idc: %s, mte: %s}\n",
	       f->fwb ? "true" : "false", dic ? "true" : "false",
	       idc ? "true" : "false", f->mte_cap > 0 ? "true" : "false");
	if (f->ram >= (1ull << 30))
		printf("  ram: %lluG\n", (unsigned long long)(f->ram >> 30));
	if (!strcmp(f->thp, "always") || !strcmp(f->thp, "madvise") ||
	    !strcmp(f->thp, "never"))
		printf("  thp: %s\n", f->thp);
	if (f->thp_zero_page >= 0)
		printf("  thp_zero_page: %s\n",
		       f->thp_zero_page ? "true" : "false");
	printf("kernel: \"%s\"\n", f->release);
	if (!f->nr_pci)
		return S2MT_EXIT_OK;
	printf("devices:\n");
	for (size_t i = 0; i < f->nr_pci; i++) {
		char name[80];

		/* Device names take [A-Za-z0-9_.-]. */
		snprintf(name, sizeof(name), "pci-%s", f->pci[i].bdf);
		for (char *p = name; *p; p++)
			if (*p == ':')
				*p = '-';
		printf("  - name: %s\n    type: vfio-pci\n    bars:\n", name);
		for (unsigned b = 0; b < 6; b++)
			if (f->pci[i].bar_size[b])
				printf("      - {index: %u, size: %s, "
				       "prefetchable: %s}\n",
				       b,
				       size_text(f->pci[i].bar_size[b], s,
						 sizeof(s)),
				       f->pci[i].prefetchable[b] ? "true"
								 : "false");
	}
	return S2MT_EXIT_OK;
}

int cmd_probe(int argc, char **argv)
{
	const char *root = "", *machine = NULL, *release = NULL;
	struct probe_facts *f;
	bool scenario = false;
	int status;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--scenario"))
			scenario = true;
		else if (!strcmp(argv[i], "--root") && i + 1 < argc)
			root = argv[++i];
		else if (!strcmp(argv[i], "--machine") && i + 1 < argc)
			machine = argv[++i];
		else if (!strcmp(argv[i], "--release") && i + 1 < argc)
			release = argv[++i];
		else
			return cli_usage_error("probe", "unknown argument '%s'",
					       argv[i]);
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return S2MT_EXIT_OOM;
	probe_collect(root, machine, release, f);
	status = scenario ? scenario_fragment(f) : checklist(f);
	free(f);
	return status;
}
