// SPDX-License-Identifier: MIT
/*
 * The model as a backend of include/s2mt/vmm.h: the same operations a VMM
 * issues on /dev/kvm, answered by src/model/ for one era and host preset.
 * The physical layout is the model's; the symbolic mmap kinds pick PAs
 * that play the same part as on the QEMU machine (RAM, an idle MMIO
 * window, the edu device's BAR0).
 */
#include <stdlib.h>
#include <string.h>

#include "backend_model.h"

static long model_check_extension(void *ctx, int vm, long cap)
{
	struct model_backend *m = ctx;

	if (vm < 0)
		return s2mt_kvm_check_extension(&m->kvm, cap);
	return s2mt_vm_check_extension(m->vms[vm], cap);
}

static int model_create_vm(void *ctx, unsigned long type, int *vm)
{
	struct model_backend *m = ctx;
	struct s2mt_vm *v;
	int err;

	if (m->nr_vms == S2MT_MAX_VMS)
		return -S2MT_ENOMEM;
	err = s2mt_kvm_create_vm(&m->kvm, type, &v);
	if (err)
		return err;
	m->vms[m->nr_vms] = v;
	*vm = (int)m->nr_vms++;
	return 0;
}

static int model_enable_mte(void *ctx, int vm)
{
	struct model_backend *m = ctx;

	return s2mt_vm_enable_cap(m->vms[vm], KVM_CAP_ARM_MTE);
}

static int model_mmap(void *ctx, const struct s2mt_vmm_mmap *req, uint64_t *hva)
{
	struct model_backend *m = ctx;
	struct s2mt_mmap_req r = {
		.len = req->len,
		.prot = req->prot,
		.flags = (req->shared ? S2MT_MAP_SHARED : S2MT_MAP_PRIVATE) |
			(req->fixed ? S2MT_MAP_FIXED : 0),
		.addr = req->addr,
	};
	const struct s2mt_device *d;

	switch (req->kind) {
	case S2MT_VMM_ANON:
		return s2mt_mm_mmap_anon(&m->mm, &r, S2MT_BACK_ANON, hva);
	case S2MT_VMM_HUGETLB_2M:
		return s2mt_mm_mmap_anon(&m->mm, &r, S2MT_BACK_HUGETLB_2M, hva);
	case S2MT_VMM_DEVMEM_RAM:
		return s2mt_mm_mmap_devmem(
			&m->mm, &r,
			S2MT_HOST_RAM_BASE + (512ULL << 20) + req->offset, hva);
	case S2MT_VMM_DEVMEM_MMIO:
		d = &m->host.devices[m->dev_mmio];
		return s2mt_mm_mmap_devmem(&m->mm, &r,
					   d->bars[0].pa + req->offset, hva);
	case S2MT_VMM_CMEM:
	case S2MT_VMM_CMEM_SYNC:
		return s2mt_mm_mmap_cmem(&m->mm, &r, m->dev_cmem, req->offset,
					 req->kind == S2MT_VMM_CMEM_SYNC, hva);
	default:
		return s2mt_mm_mmap_vfio_bar(&m->mm, &r, m->dev_edu, req->bar,
					     req->offset, hva);
	}
}

static int model_munmap(void *ctx, uint64_t hva, uint64_t len)
{
	struct model_backend *m = ctx;

	return s2mt_mm_munmap(&m->mm, hva, len);
}

static int model_set_memory_region(
	void *ctx, int vm, bool v2,
	const struct s2mt_userspace_memory_region2 *r)
{
	struct model_backend *m = ctx;
	struct s2mt_userspace_memory_region r1 = {
		.slot = r->slot,
		.flags = r->flags,
		.guest_phys_addr = r->guest_phys_addr,
		.memory_size = r->memory_size,
		.userspace_addr = r->userspace_addr,
	};

	if (v2)
		return s2mt_vm_set_user_memory_region2(m->vms[vm], r);
	return s2mt_vm_set_user_memory_region(m->vms[vm], &r1);
}

/* The code slot every backend registers on a VM's first access. */
static int code_slot(struct model_backend *m, int vm)
{
	struct s2mt_mmap_req r = { .len = S2MT_VMM_CODE_SIZE,
				   .prot = S2MT_PROT_READ | S2MT_PROT_WRITE,
				   .flags = S2MT_MAP_PRIVATE };
	struct s2mt_userspace_memory_region2 slot = {
		.slot = S2MT_VMM_CODE_SLOT,
		.guest_phys_addr = S2MT_VMM_CODE_IPA,
		.memory_size = S2MT_VMM_CODE_SIZE,
	};
	int err;

	if (m->code_ready[vm])
		return 0;
	err = s2mt_mm_mmap_anon(&m->mm, &r, S2MT_BACK_ANON,
				&slot.userspace_addr);
	/* The first ioctl, which every kernel has, as the real backend. */
	if (!err)
		err = s2mt_vm_set_user_memory_region(
			m->vms[vm],
			&(struct s2mt_userspace_memory_region){
				.slot = slot.slot,
				.guest_phys_addr = slot.guest_phys_addr,
				.memory_size = slot.memory_size,
				.userspace_addr = slot.userspace_addr,
			});
	if (!err)
		err = s2mt_vm_create_vcpu(m->vms[vm]) < 0 ? -S2MT_EINVAL : 0;
	if (!err) {
		/* The VMM copied the guest's code and table in (H5: the
		 * pages are written, so KVM maps them writable). */
		const struct s2mt_vma *v =
			s2mt_mm_find_vma(&m->mm, slot.userspace_addr);

		s2mt_mm_mark_written(&m->mm, v->pa, S2MT_VMM_CODE_TTB + 0x1000);
	}
	m->code_ready[vm] = !err;
	m->code_fault[vm] = !err;
	return err;
}

static int model_guest_access(void *ctx, int vm, uint64_t ipa, unsigned access,
			      struct s2mt_vmm_access *out)
{
	struct model_backend *m = ctx;
	struct s2mt_leaf leaf;
	struct s2mt_fault f;
	int err = code_slot(m, vm);

	uint64_t dclean0, iinval0;

	memset(out, 0, sizeof(*out));
	if (err)
		return err;
	dclean0 = m->vms[vm]->stats.dclean_bytes;
	iinval0 = m->vms[vm]->stats.iinval_bytes;
	/* A new vCPU's first instruction fetch faults its code page in
	 * (K3, K5: an executable leaf). */
	if (m->code_fault[vm]) {
		s2mt_vm_guest_abort(m->vms[vm], S2MT_VMM_CODE_IPA,
				    S2MT_VMM_EXEC, &f);
		m->code_fault[vm] = false;
	}
	/* With the guest's MMU on, the first fetch walks the stage-1 table
	 * in the code slot (a read at stage 2, S1PTW), then the read. The
	 * SCTLR_EL1 write before it turns the caches on (K5). */
	if (access == S2MT_VMM_READ_MMU) {
		s2mt_vm_guest_set_caches(m->vms[vm], true);
		s2mt_vm_guest_abort(m->vms[vm],
				    S2MT_VMM_CODE_IPA + S2MT_VMM_CODE_TTB,
				    S2MT_VMM_READ, &f);
		access = S2MT_VMM_READ;
	}
	/* KVM_RUN goes round again after a retry (K8). */
	for (int tries = 0; tries < 8; tries++) {
		s2mt_vm_guest_abort(m->vms[vm], ipa, access, &f);
		if (f.outcome != S2MT_FAULT_RETRY)
			break;
	}
	/* K5: what every fault of the access cleaned and invalidated. */
	out->cmo_known = true;
	out->dclean_bytes = m->vms[vm]->stats.dclean_bytes - dclean0;
	out->iinval_bytes = m->vms[vm]->stats.iinval_bytes - iinval0;
	/* The leaf mapping ipa afterwards, whatever this fault did (an
	 * injected abort leaves an earlier leaf in place). */
	out->leaf_known = true;
	out->fwb = m->host.caps.fwb;
	if (!s2mt_pgt_lookup(&m->vms[vm]->pgt, ipa, &leaf)) {
		out->level = (uint8_t)leaf.level;
		out->memattr = leaf.memattr;
		out->s2ap = leaf.s2ap;
		out->xn = leaf.xn;
	}
	switch (f.outcome) {
	case S2MT_FAULT_MAPPED:
	case S2MT_FAULT_PERM_RELAXED:
	case S2MT_FAULT_SPURIOUS:
		out->outcome = S2MT_VMM_OK;
		break;
	case S2MT_FAULT_MMIO_EXIT:
		out->outcome = S2MT_VMM_MMIO;
		break;
	case S2MT_FAULT_EFAULT:
		out->outcome = S2MT_VMM_EFAULT;
		out->err = -S2MT_EFAULT;
		break;
	case S2MT_FAULT_INJECT_IABT:
		out->outcome = S2MT_VMM_IABT;
		break;
	case S2MT_FAULT_INJECT_DABT:
		out->outcome = S2MT_VMM_DABT;
		break;
	default:
		out->outcome = S2MT_VMM_OTHER;
		out->err = f.err;
		break;
	}
	return 0;
}

static long model_get_dirty_log(void *ctx, int vm, uint32_t slot, uint64_t size)
{
	struct model_backend *m = ctx;
	uint64_t words = (size / S2MT_PAGE_SIZE + 63) / 64 + 1, dirty = 0;
	uint64_t *bitmap = calloc(words, 8);
	int err;

	if (!bitmap)
		return -S2MT_ENOMEM;
	err = s2mt_vm_get_dirty_log(m->vms[vm], slot, bitmap);
	for (uint64_t i = 0; !err && i < words; i++)
		dirty += (uint64_t)__builtin_popcountll(bitmap[i]);
	free(bitmap);
	return err ? err : (long)dirty;
}

static long model_cpu_feature(void *ctx, unsigned feature)
{
	const struct s2mt_host_caps *c =
		&((struct model_backend *)ctx)->host.caps;

	switch (feature) {
	case S2MT_VMM_CPU_FWB:
		return c->fwb;
	case S2MT_VMM_CPU_DIC:
		return c->dic;
	case S2MT_VMM_CPU_IDC:
		return c->idc;
	case S2MT_VMM_CPU_MTE:
		return c->mte;
	}
	return -S2MT_EINVAL;
}

const struct s2mt_vmm_ops s2mt_vmm_model_ops = {
	.name = "model",
	.check_extension = model_check_extension,
	.create_vm = model_create_vm,
	.enable_mte = model_enable_mte,
	.mmap = model_mmap,
	.munmap = model_munmap,
	.set_memory_region = model_set_memory_region,
	.guest_access = model_guest_access,
	.get_dirty_log = model_get_dirty_log,
	.cpu_feature = model_cpu_feature,
};

int model_backend_init(struct model_backend *m, const char *preset,
		       unsigned era, const struct s2mt_kernel *kernel)
{
	/* The QEMU machine's stand-ins: an idle MMIO window (virtio-mmio
	 * at 0x0a000000 there) and the edu device's 1 MiB BAR0. */
	struct s2mt_bar_spec idle[S2MT_MAX_BARS] = { { .size = 64 << 10 } };
	struct s2mt_bar_spec edu[S2MT_MAX_BARS] = { { .size = 1 << 20 } };
	int err;

	memset(m, 0, sizeof(*m));
	err = s2mt_host_init(&m->host, preset, era, 4ULL << 30);
	if (!err && kernel)
		err = s2mt_host_set_kernel(&m->host, kernel);
	if (err)
		return err;
	m->dev_mmio = s2mt_host_add_vfio_pci(&m->host, "virtio-mmio", idle);
	m->dev_edu = s2mt_host_add_vfio_pci(&m->host, "edu", edu);
	/* The test module's hidden RAM: 256 MiB above mem=768M. */
	m->dev_cmem = s2mt_host_add_cmem(&m->host, "cmem", 256ULL << 20);
	if (m->dev_mmio < 0 || m->dev_edu < 0 || m->dev_cmem < 0)
		return -S2MT_EINVAL;
	err = s2mt_mm_init(&m->mm, &m->host);
	if (err)
		return err;
	return s2mt_kvm_open(&m->kvm, &m->host, &m->mm);
}

void model_backend_fini(struct model_backend *m)
{
	s2mt_kvm_close(&m->kvm);
	s2mt_mm_fini(&m->mm);
}
