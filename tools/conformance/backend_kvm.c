// SPDX-License-Identifier: MIT
/*
 * The real /dev/kvm behind include/s2mt/vmm.h. Built static for aarch64
 * into the conformance /init (init_main.c) and run inside a Debian kernel
 * booted under qemu-system-aarch64 with EL2 on, so every answer here is the
 * answer of that kernel's KVM.
 *
 * Guest accesses run tools/conformance/guest.S in a vCPU: on a VM's first
 * access its code is copied into an anonymous mapping registered as the
 * code slot (vmm.h), then each access sets PC to it with x0 = the IPA,
 * x1 = the access, x2 = the report IPA. The guest stores 1 to the report
 * IPA when the access completed, or (from its vector table) its ESR_EL1
 * with bit 63 set when it took an exception, after storing FAR_EL1 to the
 * report IPA + 8. Both arrive here as KVM_EXIT_MMIO. Outcomes: EC 0x20/0x21
 * iabt, 0x24/0x25 dabt; for an exec access any other exception is ok (the
 * fetch worked and the next word, zero, is UDF); KVM_EXIT_MMIO anywhere
 * else mmio; KVM_RUN's -EFAULT efault. "other" carries KVM_RUN's errno
 * (-EINTR: the guest ran for RUN_TIMEOUT_MS), -EIO for an exit that is
 * neither, -ELOOP for too many exits, 0 for a non-abort exception taken by
 * a read or write.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <linux/vfio.h>

#include <s2mt/vmm.h>

#include "cmem/s2mt_cmem.h"

/* Newer than the cross toolchain's 6.1 uAPI headers: same layout as
 * struct s2mt_userspace_memory_region2 (include/s2mt/model.h). */
#ifndef KVM_SET_USER_MEMORY_REGION2
#define KVM_SET_USER_MEMORY_REGION2                                            \
	_IOW(KVMIO, 0x49, struct s2mt_userspace_memory_region2)
#endif
#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << 26)
#endif

_Static_assert(sizeof(struct s2mt_userspace_memory_region2) == 160,
	       "kvm_userspace_memory_region2 is 160 bytes");

/* QEMU virt's physical map. */
#define DEVMEM_RAM_PA (0x40000000ULL + (512ULL << 20)) /* system RAM */
#define DEVMEM_MMIO_PA 0x0a000000ULL /* virtio-mmio, no device attached */

#define MAX_VMS 16
#define MAX_SLOTS 64
#define RUN_TIMEOUT_MS 3000
#define RUN_MAX_EXITS 16

/* The guest's code (guest.S), copied into each VM's code slot. */
extern const unsigned char s2mt_guest_code[], s2mt_guest_code_end[],
	s2mt_guest_park[], s2mt_guest_ttb[];

struct kvm_vm {
	int fd;
	int vcpu; /* -1 until the first access */
	struct kvm_run *run;
	void *code;
	int broken; /* the vCPU's setup failed: its -errno */
	struct {
		uint32_t id;
		uint64_t size;
	} slots[MAX_SLOTS]; /* for the dirty bitmap's size */
	size_t nr_slots;
};

struct kvm_backend {
	int kvm;
	int run_size;
	int vfio_dev; /* a vfio-pci device fd, or -1 */
	int cmem; /* /dev/s2mt-cmem for leaf reads: -1 not yet, -2 none */
	int cmo; /* K5 kprobes: 0 not yet, 1 counting, -1 not available */
	bool cmo_fwb, cmo_dic; /* the CPU makes the clean / invalidate moot */
	FILE *log; /* diagnostics, or NULL */
	struct kvm_vm vms[MAX_VMS];
	size_t nr_vms;
};

#define CORE_REG(x)                                                            \
	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |                 \
	 (offsetof(struct kvm_regs, x) / sizeof(uint32_t)))

static void logf_(struct kvm_backend *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void logf_(struct kvm_backend *b, const char *fmt, ...)
{
	va_list ap;

	if (!b->log)
		return;
	va_start(ap, fmt);
	fputs("S2MT-LOG ", b->log);
	vfprintf(b->log, fmt, ap);
	fputc('\n', b->log);
	va_end(ap);
}

static struct kvm_vm *vm_of(struct kvm_backend *b, int vm)
{
	return vm >= 0 && (size_t)vm < b->nr_vms ? &b->vms[vm] : NULL;
}

static long kvm_check_extension(void *ctx, int vm, long cap)
{
	struct kvm_backend *b = ctx;
	struct kvm_vm *v = vm_of(b, vm);
	long r = ioctl(v ? v->fd : b->kvm, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? -errno : r;
}

static int kvm_create_vm(void *ctx, unsigned long type, int *vm)
{
	struct kvm_backend *b = ctx;
	struct kvm_vm *v;
	int fd;

	if (b->nr_vms == MAX_VMS)
		return -ENOMEM;
	do {
		fd = ioctl(b->kvm, KVM_CREATE_VM, type);
	} while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -errno;
	v = &b->vms[b->nr_vms];
	memset(v, 0, sizeof(*v));
	v->fd = fd;
	v->vcpu = -1;
	*vm = (int)b->nr_vms++;
	return 0;
}

static int kvm_enable_mte(void *ctx, int vm)
{
	struct kvm_vm *v = vm_of(ctx, vm);
	struct kvm_enable_cap cap = { .cap = KVM_CAP_ARM_MTE };

	if (!v)
		return -EBADF;
	return ioctl(v->fd, KVM_ENABLE_CAP, &cap) ? -errno : 0;
}

static int map_fd(const struct s2mt_vmm_mmap *req, int fd, uint64_t off,
		  int extra, uint64_t *hva)
{
	int flags = (req->shared ? MAP_SHARED : MAP_PRIVATE) | extra |
		(req->fixed ? MAP_FIXED : 0);
	void *p = mmap((void *)(uintptr_t)req->addr, req->len, (int)req->prot,
		       flags, fd, (off_t)off);

	if (p == MAP_FAILED)
		return -errno;
	*hva = (uint64_t)(uintptr_t)p;
	return 0;
}

static int map_devmem(const struct s2mt_vmm_mmap *req, uint64_t pa,
		      uint64_t *hva)
{
	int fd = open("/dev/mem", O_RDWR | O_SYNC | O_CLOEXEC);
	int err;

	if (fd < 0)
		return -errno;
	err = map_fd(req, fd, pa + req->offset, 0, hva);
	close(fd);
	return err;
}

/* The test module's device (tools/conformance/cmem/): its mmap gives the
 * hidden RAM cacheable, or non-cacheable when opened O_SYNC. */
static int map_cmem(const struct s2mt_vmm_mmap *req, bool sync, uint64_t *hva)
{
	int fd = open("/dev/s2mt-cmem",
		      O_RDWR | O_CLOEXEC | (sync ? O_SYNC : 0));
	int err;

	if (fd < 0)
		return -errno;
	err = map_fd(req, fd, req->offset, 0, hva);
	close(fd);
	return err;
}

static int map_vfio_bar(struct kvm_backend *b, const struct s2mt_vmm_mmap *req,
			uint64_t *hva)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri) };

	if (b->vfio_dev < 0)
		return -ENODEV;
	ri.index = VFIO_PCI_BAR0_REGION_INDEX + req->bar;
	if (ioctl(b->vfio_dev, VFIO_DEVICE_GET_REGION_INFO, &ri))
		return -errno;
	logf_(b, "vfio BAR%u: size 0x%llx offset 0x%llx flags 0x%x", req->bar,
	      (unsigned long long)ri.size, (unsigned long long)ri.offset,
	      ri.flags);
	/* A BAR without mmap support (or none) is refused by vfio-pci's
	 * own mmap, as for any VMM. */
	return map_fd(req, b->vfio_dev, ri.offset + req->offset, 0, hva);
}

static int kvm_mmap(void *ctx, const struct s2mt_vmm_mmap *req, uint64_t *hva)
{
	struct kvm_backend *b = ctx;

	switch (req->kind) {
	case S2MT_VMM_ANON:
		return map_fd(req, -1, 0, MAP_ANONYMOUS, hva);
	case S2MT_VMM_HUGETLB_2M:
		return map_fd(req, -1, 0,
			      MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_2MB, hva);
	case S2MT_VMM_DEVMEM_RAM:
		return map_devmem(req, DEVMEM_RAM_PA, hva);
	case S2MT_VMM_DEVMEM_MMIO:
		return map_devmem(req, DEVMEM_MMIO_PA, hva);
	case S2MT_VMM_VFIO_BAR:
		return map_vfio_bar(b, req, hva);
	case S2MT_VMM_CMEM:
	case S2MT_VMM_CMEM_SYNC:
		return map_cmem(req, req->kind == S2MT_VMM_CMEM_SYNC, hva);
	}
	return -EINVAL;
}

static int kvm_munmap(void *ctx, uint64_t hva, uint64_t len)
{
	(void)ctx;
	return munmap((void *)(uintptr_t)hva, len) ? -errno : 0;
}

static void note_slot(struct kvm_vm *v, uint32_t id, uint64_t size)
{
	size_t i;

	for (i = 0; i < v->nr_slots; i++)
		if (v->slots[i].id == id)
			break;
	if (i == v->nr_slots) {
		if (!size || v->nr_slots == MAX_SLOTS)
			return;
		v->nr_slots++;
	}
	v->slots[i].id = id;
	v->slots[i].size = size;
}

static int kvm_set_memory_region(void *ctx, int vm, bool v2,
				 const struct s2mt_userspace_memory_region2 *r)
{
	struct kvm_vm *v = vm_of(ctx, vm);
	int ret;

	if (!v)
		return -EBADF;
	if (v2) {
		ret = ioctl(v->fd, KVM_SET_USER_MEMORY_REGION2, r);
	} else {
		struct kvm_userspace_memory_region r1 = {
			.slot = r->slot,
			.flags = r->flags,
			.guest_phys_addr = r->guest_phys_addr,
			.memory_size = r->memory_size,
			.userspace_addr = r->userspace_addr,
		};

		ret = ioctl(v->fd, KVM_SET_USER_MEMORY_REGION, &r1);
	}
	if (ret)
		return -errno;
	note_slot(v, r->slot, r->memory_size);
	return 0;
}

static int set_reg(int vcpu, uint64_t id, uint64_t val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)&val };

	return ioctl(vcpu, KVM_SET_ONE_REG, &reg) ? -errno : 0;
}

/* The code slot and the vCPU, on a VM's first access. */
static int vcpu_setup(struct kvm_backend *b, struct kvm_vm *v)
{
	size_t len = (size_t)(s2mt_guest_code_end - s2mt_guest_code);
	struct kvm_userspace_memory_region r = {
		.slot = S2MT_VMM_CODE_SLOT,
		.guest_phys_addr = S2MT_VMM_CODE_IPA,
		.memory_size = S2MT_VMM_CODE_SIZE,
	};
	struct kvm_vcpu_init init;
	int fd;

	if (len > S2MT_VMM_CODE_SIZE ||
	    (uint64_t)(s2mt_guest_ttb - s2mt_guest_code) != S2MT_VMM_CODE_TTB)
		return -E2BIG;
	v->code = mmap(NULL, S2MT_VMM_CODE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (v->code == MAP_FAILED) {
		v->code = NULL;
		return -errno;
	}
	memcpy(v->code, s2mt_guest_code, len);
	r.userspace_addr = (uintptr_t)v->code;
	if (ioctl(v->fd, KVM_SET_USER_MEMORY_REGION, &r)) {
		logf_(b, "code slot: %s", strerror(errno));
		return -errno;
	}
	fd = ioctl(v->fd, KVM_CREATE_VCPU, 0);
	if (fd < 0) {
		logf_(b, "KVM_CREATE_VCPU: %s", strerror(errno));
		return -errno;
	}
	v->vcpu = fd;
	v->run = mmap(NULL, (size_t)b->run_size, PROT_READ | PROT_WRITE,
		      MAP_SHARED, fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		return -errno;
	}
	memset(&init, 0, sizeof(init));
	if (ioctl(v->fd, KVM_ARM_PREFERRED_TARGET, &init) ||
	    ioctl(fd, KVM_ARM_VCPU_INIT, &init)) {
		logf_(b, "vCPU init: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* KVM_RUN with a time limit: a guest that runs away ends with -EINTR. */
static int run_vcpu_ms(struct kvm_vm *v, unsigned ms)
{
	struct itimerval t = { .it_value = { .tv_sec = ms / 1000,
					     .tv_usec = ms % 1000 * 1000 } };
	struct itimerval off = { 0 };
	int ret, err;

	setitimer(ITIMER_REAL, &t, NULL);
	ret = ioctl(v->vcpu, KVM_RUN, 0);
	err = errno;
	setitimer(ITIMER_REAL, &off, NULL);
	return ret ? -err : 0;
}

static int run_vcpu(struct kvm_vm *v)
{
	return run_vcpu_ms(v, RUN_TIMEOUT_MS);
}

/*
 * Completes a pending MMIO exit (and commits KVM's pending PC update)
 * without running the guest, so the next access's PC is not skipped.
 */
static void complete_mmio(struct kvm_vm *v)
{
	if (v->run->exit_reason != KVM_EXIT_MMIO)
		return;
	if (!v->run->mmio.is_write)
		memset(v->run->mmio.data, 0, sizeof(v->run->mmio.data));
	v->run->immediate_exit = 1;
	ioctl(v->vcpu, KVM_RUN, 0);
	v->run->immediate_exit = 0;
}

static unsigned ec_outcome(uint64_t esr, unsigned access)
{
	switch ((esr >> 26) & 0x3f) {
	case 0x20:
	case 0x21:
		return S2MT_VMM_IABT;
	case 0x24:
	case 0x25:
		return S2MT_VMM_DABT;
	}
	/* An exec access whose fetch worked lands on a zero word (UDF). */
	return access == S2MT_VMM_EXEC ? S2MT_VMM_OK : S2MT_VMM_OTHER;
}

/* The vCPU ready to enter the guest code with x0 = ipa, x1 = access. */
static int enter(struct kvm_backend *b, struct kvm_vm *v, uint64_t ipa,
		 unsigned access)
{
	int err;

	if (v->broken)
		return v->broken;
	if (v->vcpu < 0) {
		err = vcpu_setup(b, v);
		if (err) {
			v->broken = err;
			return err;
		}
	}
	complete_mmio(v);
	if ((err = set_reg(v->vcpu, CORE_REG(regs.pc), S2MT_VMM_CODE_IPA)) ||
	    (err = set_reg(v->vcpu, CORE_REG(regs.pstate), 0x3c5)) ||
	    (err = set_reg(v->vcpu, CORE_REG(regs.regs[0]), ipa)) ||
	    (err = set_reg(v->vcpu, CORE_REG(regs.regs[1]), access)) ||
	    (err = set_reg(v->vcpu, CORE_REG(regs.regs[2]),
			   S2MT_VMM_REPORT_IPA)))
		return err;
	return 0;
}

/* The stage-2 leaf for ipa, through the test module, into out. */
static void read_leaf(struct kvm_backend *b, struct kvm_vm *v, uint64_t ipa,
		      struct s2mt_vmm_access *out)
{
	struct s2mt_cmem_leaf l = { .vmfd = v->fd, .ipa = ipa };

	if (b->cmem == -1) {
		b->cmem = open("/dev/s2mt-cmem", O_RDWR | O_CLOEXEC);
		if (b->cmem < 0)
			b->cmem = -2;
	}
	if (b->cmem < 0 || ioctl(b->cmem, S2MT_CMEM_LEAF, &l))
		return;
	out->leaf_known = true;
	out->fwb = l.hcr_fwb;
	if (l.desc) {
		out->level = (uint8_t)l.level;
		out->memattr = (uint8_t)(l.desc >> 2 & 15);
		out->s2ap = (uint8_t)(l.desc >> 6 & 3);
		out->xn = (uint8_t)(l.desc >> 53 & 3);
	}
}

static int kvm_guest_access_run(struct kvm_backend *b, struct kvm_vm *v,
				uint64_t ipa, unsigned access,
				struct s2mt_vmm_access *out);
static long kvm_cpu_feature(void *ctx, unsigned feature);

/*
 * K5 on the real kernel. KVM's stage-2 code calls its mm_ops callbacks for
 * cache maintenance, clean_dcache_guest_page() and
 * invalidate_icache_guest_page() (arch/arm64/kvm/mmu.c, both (va, size)):
 * when it maps a cacheable (clean) or executable (invalidate) leaf, when
 * it unmaps a cacheable one (clean), when a permission change makes a leaf
 * executable (invalidate), and when the guest toggles its caches
 * (kvm_toggle_cache(): every cacheable leaf, clean). A kprobe event on
 * each records the size (x1) in the trace buffer; the access's sum is what
 * KVM asked for. The callbacks return at once where the CPU makes the
 * work unnecessary: the clean with FEAT_S2FWB (__clean_dcache_guest_page()),
 * the invalidation with CTR_EL0.DIC (icache_inval_pou() and
 * icache_inval_all_pou() are an ISB then), so the row reports what was
 * done: nothing of a kind the CPU makes unnecessary.
 */
#define TRACEFS "/sys/kernel/tracing"

/* Writes text to a sysfs/tracefs file (open flags added); 0 or -errno.
 * The init uses it too. */
int s2mt_conf_write_text(const char *path, const char *text, int flags)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | flags);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	n = n < 0 ? -errno : 0;
	close(fd);
	return (int)n;
}

static bool cmo_setup(struct kvm_backend *b)
{
	static const char *const probes[] = {
		"p:s2mt/dclean clean_dcache_guest_page size=%x1:u64\n",
		"p:s2mt/iinval invalidate_icache_guest_page size=%x1:u64\n",
	};
	int err;

	if (b->cmo)
		return b->cmo > 0;
	b->cmo = -1;
	if (mount("nodev", TRACEFS, "tracefs", 0, NULL) && errno != EBUSY) {
		logf_(b, "cmo: mount tracefs: %s", strerror(errno));
		return false;
	}
	for (size_t i = 0; i < 2; i++) {
		err = s2mt_conf_write_text(TRACEFS "/kprobe_events", probes[i],
					   O_APPEND);
		if (err) {
			logf_(b, "cmo: kprobe %.*s: %s",
			      (int)strcspn(probes[i], "\n"), probes[i],
			      strerror(-err));
			return false;
		}
	}
	err = s2mt_conf_write_text(TRACEFS "/events/s2mt/enable", "1", 0);
	if (err) {
		logf_(b, "cmo: enable: %s", strerror(-err));
		return false;
	}
	b->cmo_fwb = kvm_cpu_feature(b, S2MT_VMM_CPU_FWB) == 1;
	b->cmo_dic = kvm_cpu_feature(b, S2MT_VMM_CPU_DIC) == 1;
	b->cmo = 1;
	return true;
}

static void cmo_clear(struct kvm_backend *b)
{
	if (cmo_setup(b))
		s2mt_conf_write_text(TRACEFS "/trace", "", O_TRUNC);
}

/* Sums the sizes the events since cmo_clear() recorded. */
static void cmo_collect(struct kvm_backend *b, struct s2mt_vmm_access *out)
{
	char line[512];
	FILE *f;

	if (b->cmo <= 0)
		return;
	f = fopen(TRACEFS "/trace", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		const char *sz = strstr(line, " size=");
		uint64_t *sum = strstr(line, " dclean: ") ? &out->dclean_bytes
			: strstr(line, " iinval: ")	  ? &out->iinval_bytes
							  : NULL;

		if (line[0] == '#' || !sz || !sum)
			continue;
		*sum += strtoull(sz + 6, NULL, 0);
	}
	fclose(f);
	if (b->cmo_fwb)
		out->dclean_bytes = 0;
	if (b->cmo_dic)
		out->iinval_bytes = 0;
	out->cmo_known = true;
}

static int kvm_guest_access(void *ctx, int vm, uint64_t ipa, unsigned access,
			    struct s2mt_vmm_access *out)
{
	struct kvm_backend *b = ctx;
	struct kvm_vm *v = vm_of(b, vm);
	int err;

	if (!v)
		return -EBADF;
	cmo_clear(b);
	err = kvm_guest_access_run(b, v, ipa, access, out);
	if (!err) {
		cmo_collect(b, out);
		read_leaf(b, v, ipa, out);
	}
	return err;
}

static int kvm_guest_access_run(struct kvm_backend *b, struct kvm_vm *v,
				uint64_t ipa, unsigned access,
				struct s2mt_vmm_access *out)
{
	uint64_t far = 0;
	int err;

	memset(out, 0, sizeof(*out));
	err = enter(b, v, ipa, access);
	if (err)
		return err;

	for (int i = 0; i < RUN_MAX_EXITS; i++) {
		struct kvm_run *run = v->run;
		uint64_t data = 0;

		err = run_vcpu(v);
		if (err) {
			out->outcome = err == -EFAULT ? S2MT_VMM_EFAULT
						      : S2MT_VMM_OTHER;
			out->err = err;
			logf_(b, "access 0x%llx: KVM_RUN %s (exit %u)",
			      (unsigned long long)ipa, strerror(-err),
			      run->exit_reason);
			return 0;
		}
		if (run->exit_reason != KVM_EXIT_MMIO) {
			out->outcome = S2MT_VMM_OTHER;
			out->err = -EIO;
			logf_(b, "access 0x%llx: exit reason %u",
			      (unsigned long long)ipa, run->exit_reason);
			return 0;
		}
		memcpy(&data, run->mmio.data,
		       run->mmio.len < 8 ? run->mmio.len : 8);
		if (run->mmio.phys_addr == S2MT_VMM_REPORT_IPA + 8) {
			far = data;
			continue;
		}
		if (run->mmio.phys_addr != S2MT_VMM_REPORT_IPA) {
			out->outcome = S2MT_VMM_MMIO;
			if (run->mmio.phys_addr != ipa)
				logf_(b, "access 0x%llx: MMIO exit at 0x%llx",
				      (unsigned long long)ipa,
				      (unsigned long long)run->mmio.phys_addr);
			return 0;
		}
		if (data >> 63) {
			out->esr = data & ~(1ULL << 63);
			out->outcome = ec_outcome(out->esr, access);
			logf_(b, "access 0x%llx (%u): ESR 0x%llx FAR 0x%llx",
			      (unsigned long long)ipa, access,
			      (unsigned long long)out->esr,
			      (unsigned long long)far);
		} else {
			out->outcome = S2MT_VMM_OK;
		}
		return 0;
	}
	out->outcome = S2MT_VMM_OTHER;
	out->err = -ELOOP;
	return 0;
}

static long kvm_get_dirty_log(void *ctx, int vm, uint32_t slot, uint64_t size)
{
	struct kvm_vm *v = vm_of(ctx, vm);
	struct kvm_dirty_log log = { .slot = slot };
	uint64_t pages = size >> 12, *bitmap;
	size_t words;
	long n = 0;

	if (!v)
		return -EBADF;
	/* The kernel writes the whole slot's bitmap, whatever size says. */
	for (size_t i = 0; i < v->nr_slots; i++)
		if (v->slots[i].id == slot && v->slots[i].size >> 12 > pages)
			pages = v->slots[i].size >> 12;
	words = (size_t)(pages + 63) / 64 + 1;
	bitmap = calloc(words, sizeof(*bitmap));
	if (!bitmap)
		return -ENOMEM;
	log.dirty_bitmap = bitmap;
	if (ioctl(v->fd, KVM_GET_DIRTY_LOG, &log)) {
		n = -errno;
	} else {
		for (size_t i = 0; i < words; i++)
			n += __builtin_popcountll(bitmap[i]);
	}
	free(bitmap);
	return n;
}

/* Whether the kernel's log has text (the boot's "CPU features: detected:"
 * lines): 1, 0, or -errno. */
static long kmsg_has(const char *text)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	char rec[1024];
	long found = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while (!found && (n = read(fd, rec, sizeof(rec) - 1)) != 0) {
		if (n < 0) {
			if (errno == EPIPE)
				continue;
			break;
		}
		rec[n] = '\0';
		found = strstr(rec, text) != NULL;
	}
	close(fd);
	return found;
}

static long kvm_cpu_feature(void *ctx, unsigned feature)
{
	uint64_t ctr;

	(void)ctx;
	/* Linux lets EL0 read CTR_EL0 (or emulates it, sanitised). */
	__asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
	switch (feature) {
	case S2MT_VMM_CPU_FWB:
		return kmsg_has("detected: Stage-2 Force Write-Back");
	case S2MT_VMM_CPU_DIC:
		return (long)(ctr >> 29 & 1);
	case S2MT_VMM_CPU_IDC:
		return (long)(ctr >> 28 & 1);
	case S2MT_VMM_CPU_MTE:
		return !!(getauxval(AT_HWCAP2) & (1UL << 18)); /* HWCAP2_MTE */
	}
	return -EINVAL;
}

/* The guest PC (an IPA) of the park loop. */
uint64_t s2mt_vmm_kvm_park_pc(void)
{
	return S2MT_VMM_CODE_IPA +
		(uint64_t)(s2mt_guest_park - s2mt_guest_code);
}

/*
 * Keeps VM vm's vCPU in the guest (spinning at s2mt_vmm_kvm_park_pc(),
 * touching nothing) for up to seconds, so that a debugger attached to QEMU
 * finds that VM's stage 2 in VTTBR_EL2. Returns KVM_RUN's -errno (-EINTR
 * when the time is up).
 */
int s2mt_vmm_kvm_park(void *ctx, int vm, unsigned seconds)
{
	struct kvm_backend *b = ctx;
	struct kvm_vm *v = vm_of(b, vm);
	int err;

	if (!v)
		return -EBADF;
	err = enter(b, v, 0, 8);
	if (err)
		return err;
	return run_vcpu_ms(v, seconds * 1000);
}

const struct s2mt_vmm_ops s2mt_vmm_kvm_ops = {
	.name = "kvm",
	.check_extension = kvm_check_extension,
	.create_vm = kvm_create_vm,
	.enable_mte = kvm_enable_mte,
	.mmap = kvm_mmap,
	.munmap = kvm_munmap,
	.set_memory_region = kvm_set_memory_region,
	.guest_access = kvm_guest_access,
	.get_dirty_log = kvm_get_dirty_log,
	.cpu_feature = kvm_cpu_feature,
};

/* Opens /dev/kvm; vfio_dev is a vfio-pci device fd or -1. NULL on
 * failure, with errno set. */
void *s2mt_vmm_kvm_open(int vfio_dev, FILE *log)
{
	struct kvm_backend *b = calloc(1, sizeof(*b));
	struct sigaction sa = { .sa_handler = on_alarm };

	if (!b)
		return NULL;
	b->vfio_dev = vfio_dev;
	b->cmem = -1;
	b->log = log;
	b->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (b->kvm < 0)
		goto fail;
	b->run_size = ioctl(b->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (b->run_size <= 0) {
		close(b->kvm);
		goto fail;
	}
	/* No SA_RESTART: the alarm must end a KVM_RUN with -EINTR. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	return b;
fail:
	free(b);
	return NULL;
}
