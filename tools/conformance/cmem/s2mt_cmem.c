// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * s2mt_cmem: a cacheable VM_PFNMAP source for the conformance runs
 * (tools/conformance/README.md, issue 11 part 4). Test use only, inside a
 * throw-away VM: it hands raw physical memory to anyone who opens it.
 *
 * The kernel is booted with less memory than the machine has (mem=), and
 * base/size name RAM above that limit: RAM the kernel never maps and has no
 * struct page for. /dev/s2mt-cmem maps it with remap_pfn_range() and the
 * pgprot mmap() computed, which is Normal write-back: the cacheable PFNMAP
 * the 6.17 rules look for, outside the linear map. Opened O_SYNC it maps the
 * same pages with pgprot_noncached() (Device-nGnRnE): the control.
 *
 * Its ioctl S2MT_CMEM_LEAF reads the stage-2 leaf KVM installed for one
 * IPA of a VM of the caller (a walk of kvm->arch.mmu.pgt under mmu_lock,
 * 4 KiB granule), so that the conformance runs compare descriptors, not
 * only ioctl results. It is built against each kernel's own headers, which
 * is what makes reading struct kvm from a module sound here.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm_host.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/uaccess.h>
#include <asm/kvm_pgtable.h>

#include "s2mt_cmem.h"

static unsigned long base;
static unsigned long size;
module_param(base, ulong, 0444);
MODULE_PARM_DESC(base, "physical base of the hidden RAM (page aligned)");
module_param(size, ulong, 0444);
MODULE_PARM_DESC(size, "its size in bytes (page aligned)");

static int cmem_mmap(struct file *file, struct vm_area_struct *vma)
{
	unsigned long len = vma->vm_end - vma->vm_start;
	unsigned long off = vma->vm_pgoff << PAGE_SHIFT;
	bool sync = file->f_flags & O_SYNC;
	int ret;

	if (off >= size || len > size - off)
		return -EINVAL;
	/*
	 * The VMA's own pgprot, not only the one given to remap_pfn_range():
	 * KVM reads the memory type from vma->vm_page_prot, so a driver
	 * that passed a non-cacheable prot to remap_pfn_range() alone would
	 * still be taken for cacheable (the first version of this module
	 * did that; 7.2 refused its "non-cacheable" slot without FWB+DIC).
	 */
	if (sync)
		vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	ret = remap_pfn_range(vma, vma->vm_start, (base + off) >> PAGE_SHIFT,
			      len, vma->vm_page_prot);
	pr_info("s2mt-cmem: mmap pa 0x%lx len 0x%lx %s -> %d\n", base + off,
		len, sync ? "noncached" : "cacheable", ret);
	return ret;
}

/* The leaf for ipa in kvm's stage 2: its descriptor (0 if unmapped) and
 * the level the walk ended at. Called with kvm->mmu_lock held. */
static u64 cmem_walk(struct kvm_pgtable *pgt, u64 ipa, u32 *level)
{
	kvm_pte_t *table = (kvm_pte_t *)pgt->pgd;
	int lvl = pgt->start_level;
	u64 entries, pte = 0;

	if (!table || ipa >> pgt->ia_bits)
		return 0;
	for (; lvl <= 3; lvl++) {
		unsigned int shift = 12 + 9 * (3 - lvl);

		/* The start level may be several tables concatenated. */
		entries = lvl == pgt->start_level
			? 1ULL << (pgt->ia_bits - shift)
			: 512;
		pte = READ_ONCE(table[(ipa >> shift) & (entries - 1)]);
		*level = lvl;
		if (!(pte & 1))
			return 0;
		if (lvl == 3 || (pte & 3) == 1)
			return lvl == 3 && (pte & 3) != 3 ? 0 : pte;
		table = phys_to_virt(pte & GENMASK_ULL(47, 12));
	}
	return 0;
}

static long cmem_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct s2mt_cmem_leaf l;
	struct file *vmf;
	struct kvm *kvm;

	if (cmd != S2MT_CMEM_LEAF)
		return -ENOTTY;
	if (copy_from_user(&l, (void __user *)arg, sizeof(l)))
		return -EFAULT;
	vmf = fget(l.vmfd);
	if (!vmf)
		return -EBADF;
	/* KVM's VM files are anonymous inodes named "kvm-vm". */
	if (strcmp(vmf->f_path.dentry->d_name.name, "kvm-vm")) {
		fput(vmf);
		return -EINVAL;
	}
	kvm = vmf->private_data;
	l.level = 0;
	read_lock(&kvm->mmu_lock);
	l.desc = cmem_walk(kvm->arch.mmu.pgt, l.ipa, &l.level);
	read_unlock(&kvm->mmu_lock);
	l.hcr_fwb = cpus_have_final_cap(ARM64_HAS_STAGE2_FWB);
	fput(vmf);
	return copy_to_user((void __user *)arg, &l, sizeof(l)) ? -EFAULT : 0;
}

static const struct file_operations cmem_fops = {
	.owner = THIS_MODULE,
	.mmap = cmem_mmap,
	.unlocked_ioctl = cmem_ioctl,
};

static struct miscdevice cmem_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "s2mt-cmem",
	.fops = &cmem_fops,
	.mode = 0600,
};

static int __init cmem_init(void)
{
	unsigned long pfn;

	if (!size || (base | size) & ~PAGE_MASK || base + size < base) {
		pr_err("s2mt-cmem: base 0x%lx size 0x%lx: need page-aligned, "
		       "non-empty\n",
		       base, size);
		return -EINVAL;
	}
	/* Only memory outside the linear map: no struct page, not RAM the
	 * kernel uses. */
	for (pfn = base >> PAGE_SHIFT; pfn < (base + size) >> PAGE_SHIFT;
	     pfn++) {
		if (pfn_valid(pfn) || pfn_is_map_memory(pfn)) {
			pr_err("s2mt-cmem: pfn 0x%lx is in the linear map\n",
			       pfn);
			return -EINVAL;
		}
	}
	pr_info("s2mt-cmem: pa 0x%lx-0x%lx, outside the linear map\n", base,
		base + size - 1);
	return misc_register(&cmem_dev);
}

static void __exit cmem_exit(void)
{
	misc_deregister(&cmem_dev);
}

module_init(cmem_init);
module_exit(cmem_exit);
MODULE_DESCRIPTION(
	"s2mt conformance: cacheable PFNMAP over RAM hidden with mem=");
MODULE_LICENSE("Dual MIT/GPL");
