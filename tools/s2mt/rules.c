// SPDX-License-Identifier: MIT
/*
 * The rules s2mt cites (A*, H*, K*, M*, C*, D*, X*, Z*), in the project's
 * own words, with the kernel version that brought each and where it comes
 * from. `s2mt explain ID` prints one; docs/rules.md is `s2mt explain
 * --all --markdown`, and tests/test_rules.sh holds both to every id the
 * code can emit.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

struct rule {
	const char *id, *title, *since, *source, *text;
};

static const struct rule rules[] = {
	/* The architecture */
	{ "A1", "Stage-2 descriptors", "Armv8.0",
	  "Arm ARM (DDI 0487), VMSAv8-64 translation table formats",
	  "With a 4 KiB granule a stage-2 leaf is a page at level 3 or a "
	  "block of 2 MiB (level 2) or 1 GiB (level 1). A leaf holds MemAttr "
	  "in bits 5:2, the access permissions S2AP in 7:6, shareability in "
	  "9:8, the access flag in bit 10 and execute-never from bit 54." },
	{ "A2", "The stage-2 table's geometry", "Armv8.0",
	  "Arm ARM, VTCR_EL2 and VTTBR_EL2",
	  "VTCR_EL2 sets the IPA size (T0SZ) and the start level (SL0); the "
	  "start level may use up to 16 concatenated tables. KVM/arm64 "
	  "creates a VM with the IPA size the VMM asks for in the VM type, "
	  "40 bits by default, at most what KVM_CAP_ARM_VM_IPA_SIZE reports." },
	{ "A3", "Combining without FWB", "Armv8.0",
	  "Arm ARM, combining stage 1 and stage 2 memory attributes",
	  "With HCR_EL2.FWB clear, stage-2 MemAttr names Device types or "
	  "Normal inner/outer cacheability, and the hardware keeps the more "
	  "restrictive of the two stages: a Device type over Normal, the "
	  "weaker cacheability for Normal+Normal." },
	{ "A4", "Combining with FEAT_S2FWB", "Armv8.4 (FEAT_S2FWB)",
	  "Arm ARM, HCR_EL2.FWB",
	  "With HCR_EL2.FWB set, stage 2 can force Normal-WB whatever the "
	  "guest's stage 1 says (MemAttr 0b110), keep stage 1 (0b111), or "
	  "cap it at Normal-NC or a Device type. Forcing WB is what lets a "
	  "hypervisor skip cache maintenance." },
	{ "A5", "The effective-type tables", "Armv8.0",
	  "Arm ARM; `s2mt table` prints them",
	  "The effective type for every stage-2 MemAttr and every stage-1 "
	  "type, with and without FWB; a disabled stage 1 counts as "
	  "Device-nGnRnE for data accesses." },
	{ "A6", "Stage-1 MAIR bytes", "Armv8.0", "Arm ARM, MAIR_ELx",
	  "A guest's stage-1 type is a MAIR byte: 0x00/0x04/0x08/0x0C the "
	  "Device types, 0x44 Normal-NC, 0xBB Normal-WT, 0xFF Normal-WB, 0xF0 "
	  "Normal-WB tagged (MTE)." },
	{ "A7", "PAR_EL1 after AT S12E1R", "Armv8.0", "Arm ARM, PAR_EL1",
	  "An address translation instruction at EL2 reports the combined "
	  "attributes of both stages as a MAIR byte and shareability; the "
	  "EL2 harness uses it as a referee." },
	{ "A8", "Feature registers", "Armv8.0",
	  "Arm ARM, ID_AA64MMFR2_EL1 and CTR_EL0",
	  "ID_AA64MMFR2_EL1.FWB says whether FEAT_S2FWB exists; CTR_EL0.DIC "
	  "says the I-cache needs no invalidation for coherence with data "
	  "writes, CTR_EL0.IDC that the D-cache needs no clean to PoU. A "
	  "host preset stands for one set of them." },

	/* The host kernel */
	{ "H1", "Stage-1 memory-type indices", "Linux",
	  "arch/arm64/include/asm/memory.h, pgtable.h",
	  "Linux/arm64 names its MAIR indices NORMAL, NORMAL_TAGGED, "
	  "NORMAL_NC, DEVICE_nGnRnE and DEVICE_nGnRE; pgprot_noncached() "
	  "gives DEVICE_nGnRnE, pgprot_writecombine() NORMAL_NC, the default "
	  "mmap prot NORMAL." },
	{ "H2", "The VMA flags that matter", "Linux", "include/linux/mm.h",
	  "VM_PFNMAP (raw PFNs), VM_MIXEDMAP, VM_IO, VM_SHARED, VM_HUGETLB, "
	  "VM_MTE_ALLOWED and VM_ALLOW_ANY_UNCACHED (6.9, set by VFIO) decide "
	  "what KVM may do with a VMA; KVM gets a PFN only for an access the "
	  "VMA's protection allows." },
	{ "H3", "A cacheable VMA", "6.17",
	  "arch/arm64/kvm/mmu.c, kvm_vma_is_cacheable()",
	  "A VMA is cacheable unless its memory type index is NORMAL_NC, "
	  "DEVICE_nGnRnE or DEVICE_nGnRE." },
	{ "H4", "The drivers that hand memory to a VMM", "Linux",
	  "drivers/vfio/pci, drivers/vfio/pci/nvgrace-gpu, drivers/char/mem.c",
	  "vfio-pci maps BARs non-cacheable VM_PFNMAP (with "
	  "VM_ALLOW_ANY_UNCACHED from 6.9); nvgrace-gpu maps its usemem "
	  "cacheable and its resmem write-combine, both outside the linear "
	  "map (6.9); /dev/mem maps non-RAM non-cacheable and refuses RAM; "
	  "anonymous and hugetlb memory is RAM in the linear map." },

	{ "H5", "Private memory nobody has written", "Linux",
	  "mm/memory.c (do_anonymous_page, do_wp_page: the zero page); "
	  "mm/hugetlb.c (hugetlb_no_page, hugetlb_wp); seen on 6.1, 6.12 and "
	  "7.2 (tools/conformance, with kprobes on KVM's cache maintenance)",
	  "A read of private anonymous or hugetlb memory that neither the "
	  "host nor the guest has written is mapped read-only by the host "
	  "(the shared zero page, or a private hugetlb page), so KVM maps it "
	  "read-only at stage 2. The first write to a zero page copies it "
	  "into a new page and replaces the host's entry: the MMU notifier "
	  "takes KVM's leaf (a D-cache clean without FWB, K5) and the fault "
	  "is retried, mapping the new page writable. A private hugetlb page "
	  "is the process's own already: the write makes it writable in "
	  "place, and KVM relaxes its leaf." },
	{ "H6", "Transparent huge pages", "6.7 / 6.12 / 6.13",
	  "mm/mmap.c (__get_unmapped_area, thp_get_unmapped_area); "
	  "mm/huge_memory.c (do_huge_pmd_anonymous_page, "
	  "do_huge_pmd_wp_page, vma_adjust_trans_huge); seen on 6.1, 6.12 "
	  "and 7.2 (tools/conformance)",
	  "Private anonymous memory is THP-eligible when the host's THP mode "
	  "is always, or madvise and the VMM asked (MADV_HUGEPAGE). Its "
	  "2 MiB blocks that lie wholly in the VMA are PMD-mapped by the "
	  "host: a read of an untouched block maps the huge zero page "
	  "(use_zero_page), read-only, and KVM maps it as a read-only 2 MiB "
	  "block; a write allocates a THP, a writable 2 MiB block. A write "
	  "to the huge zero page splits it into 4 KiB pages before 6.13 and "
	  "puts a THP in its place from 6.13; either way the MMU notifier "
	  "invalidates the block and KVM retries. A VMA boundary inside a "
	  "PMD-mapped block (mprotect, munmap, MAP_FIXED) splits the PMD: "
	  "the huge zero page becomes zero-page PTEs, a THP the PTEs of its "
	  "own pages, and the notifier takes the block from stage 2. From "
	  "6.7 an anonymous mmap "
	  "without a hint of 2 MiB or more starts on a 2 MiB boundary (from "
	  "6.12: a multiple of 2 MiB), whatever the THP mode; before, it is "
	  "only page-aligned and its first block cannot be PMD-mapped but by "
	  "chance." },

	/* The KVM/arm64 fault path */
	{ "K1", "Which PFNs are device", "6.8 / 6.17",
	  "arch/arm64/kvm/mmu.c, user_mem_abort()",
	  "Before 6.17 a PFN is device memory when it is not in the "
	  "kernel's linear map. From 6.17 it is device-like when the VMA is "
	  "VM_PFNMAP or VM_MIXEDMAP and the PFN is outside the linear map; "
	  "then the VMA's cacheability decides." },
	{ "K2", "The stage-2 type of a fault", "6.8 / 6.9 / 6.17",
	  "user_mem_abort(); the 6.9 and 6.17 series "
	  "(docs/designs-sources.md)",
	  "Device memory is Device-nGnRE at stage 2, or Normal-NC when the "
	  "VMA has VM_ALLOW_ANY_UNCACHED (6.9); everything else is "
	  "Normal-WB. From 6.17 a cacheable VMA over device-like memory is "
	  "Normal-WB only on a host with FEAT_S2FWB and CTR_EL0.DIC; "
	  "elsewhere the fault fails with -EFAULT, never a non-cacheable "
	  "stage 2 under a cacheable host mapping." },
	{ "K3", "Execute permission", "6.8",
	  "user_mem_abort(); kvm_pgtable_stage2_map()",
	  "Device and Normal-NC stage-2 mappings are never executable: an "
	  "instruction fetch there makes KVM inject an instruction abort "
	  "(-ENOEXEC). Cacheable mappings get X on an exec fault, and at "
	  "once when the host has DIC." },
	{ "K4", "The mapping size", "6.8 / 6.12",
	  "user_mem_abort(), get_vma_page_shift(), "
	  "transparent_hugepage_adjust()",
	  "Dirty logging maps pages only. Otherwise hugetlb memory maps its "
	  "page size, anonymous memory 4 KiB or a THP's 2 MiB, VM_PFNMAP 1 GiB "
	  "or 2 MiB where the HVA and the PA are congruent and the block "
	  "lies inside the VMA; any block must fit the memslot." },
	{ "K5", "Cache maintenance without FWB", "6.8",
	  "arch/arm64/kvm/hyp/pgtable.c (stage2_map_walker_try_leaf(), "
	  "stage2_unmap_walker()); arch/arm64/kvm/mmu.c (kvm_toggle_cache()); "
	  "counted on real kernels with kprobes (tools/conformance)",
	  "On a host without FWB a cacheable leaf is cleaned to PoC when it "
	  "is installed and again when it is unmapped, and an executable one "
	  "has its I-cache invalidated unless the host has DIC. Without FWB "
	  "KVM also traps the guest's SCTLR_EL1 writes until the guest turns "
	  "its caches on, and each change cleans every cacheable leaf of the "
	  "VM. Memory outside the linear map has no kernel address to clean "
	  "by, which is why cacheable PFNMAP needs FWB and DIC." },
	{ "K6", "MTE", "6.1 / 6.2 / 6.13",
	  "kvm_arch_prepare_memory_region(), user_mem_abort()",
	  "In a VM with MTE every VMA behind a memslot must allow MTE "
	  "(VM_MTE_ALLOWED): otherwise the memslot is -EINVAL and a fault "
	  "-EFAULT. Kernels before 6.2 refuse shared memory in an MTE VM; "
	  "hugetlbfs allows MTE from 6.13." },
	{ "K7", "Dirty logging", "6.8",
	  "kvm_arch_prepare_memory_region(), user_mem_abort()",
	  "Logged memory is mapped read-only and made writable on the first "
	  "write, which marks the page dirty. A VM_PFNMAP VMA can never be "
	  "dirty-logged: -EINVAL at registration." },
	{ "K8", "Invalidation races", "6.8",
	  "user_mem_abort(), mmu_invalidate_retry()",
	  "A fault samples the MMU-notifier sequence before it looks at the "
	  "host mapping and retries if an invalidation ran meanwhile; a "
	  "stage-2 mapping never outlives the host mapping it came from." },

	/* Memslots */
	{ "M1", "Memslot flags", "6.8",
	  "virt/kvm/kvm_main.c, check_memory_region_flags()",
	  "KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_READONLY and (6.8, REGION2 only) "
	  "KVM_MEM_GUEST_MEMFD; any other bit is -EINVAL, bit 3 included "
	  "(designs D1-D3 proposed it). A write to a READONLY slot is an MMIO "
	  "exit. KVM_SET_USER_MEMORY_REGION2 arrived in 6.8." },
	{ "M2", "Generic memslot checks", "Linux",
	  "virt/kvm/kvm_main.c, __kvm_set_memory_region()",
	  "Sizes and addresses are page aligned, ranges do not wrap, slot ids "
	  "are below the limit, one address space on arm64. An existing slot "
	  "may only move or change flags; a new or moved slot that overlaps "
	  "another is -EEXIST; size 0 deletes. An IPA no memslot covers is "
	  "an MMIO exit." },
	{ "M3", "arm64 memslot checks", "6.8 / 6.17",
	  "arch/arm64/kvm/mmu.c, kvm_arch_prepare_memory_region()",
	  "A slot beyond the VM's IPA space is -EFAULT. For every VMA under "
	  "the slot: MTE without VM_MTE_ALLOWED, VM_PFNMAP with dirty "
	  "logging, and (6.17) cacheable VM_PFNMAP on a host without "
	  "FEAT_S2FWB and DIC are -EINVAL. Holes between VMAs are skipped." },
	{ "M4", "A refused request changes nothing", "Linux",
	  "__kvm_set_memory_region()",
	  "A memslot ioctl that fails leaves every slot and every stage-2 "
	  "mapping as it was." },

	/* The capability */
	{ "C1", "KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED (243)", "6.17",
	  "the 6.17 series v10, 20250705071717.5062-1-ankita@nvidia.com",
	  "Asked on a VM it is 1 when the host has FEAT_S2FWB and "
	  "CTR_EL0.DIC, else 0; asked on /dev/kvm it is -EINVAL. Older "
	  "kernels answer 0, as for any unknown capability. A VMM uses it to "
	  "fail early and to refuse migrating such a VM to a host without "
	  "it." },
	{ "C", "Other capabilities", "Linux", "KVM_CHECK_EXTENSION",
	  "A capability's value as the kernel reports it (USER_MEMORY2 from "
	  "6.8, ARM_VM_IPA_SIZE, ARM_MTE, ...)." },

	/* The designs */
	{ "D1", "Memslot flag KVM_MEM_ENABLE_CACHEABLE_PFNMAP",
	  "6.17 series v4-v6 (never merged)",
	  "20250524013943.2832-1-ankita@nvidia.com; docs/designs-sources.md",
	  "Bit 3 of the memslot flags, valid only where cacheable PFNMAP is "
	  "supported; a cacheable VM_PFNMAP slot without it is -EINVAL. The "
	  "fault never consults it. Dropped after Sean Christopherson's NAK "
	  "(aEMsDsi3DSm1up0G@google.com)." },
	{ "D2", "Capability plus an \"expects Write-Back\" flag",
	  "proposed 2025 (never merged)",
	  "Oliver Upton, aAdKCGCuwlUeUXKY@linux.dev; docs/designs-sources.md",
	  "Bit 3 says userspace expects Write-Back for the range, RAM "
	  "included; it is -EINVAL over a non-cacheable VMA or where the "
	  "capability is 0, and a flagged slot never gets a non-cacheable "
	  "stage 2 (-EFAULT at the fault)." },
	{ "D3", "The flag must match the VMA", "proposed 2025 (never merged)",
	  "Sean Christopherson, aEMsDsi3DSm1up0G@google.com",
	  "As D2, and a cacheable VM_PFNMAP slot without bit 3 is -EINVAL "
	  "too: the flag and the VMA's cacheability must agree both ways." },
	{ "D4", "A VMA flag set by the driver",
	  "proposed 2023/2025 (never merged)",
	  "Catalin Marinas, Z9h98RhunemcFhhz@arm.com, ZXDEZO6sS1dE_to9@arm.com",
	  "The driver vouches for cacheable use with VM_FORCE_CACHEABLE "
	  "(nvgrace-gpu on usemem); cacheable VM_PFNMAP without it is "
	  "refused, -EINVAL at registration and -EFAULT at the fault." },
	{ "D5", "A memory-type query", "proposed 2025 (never posted)",
	  "Sean Christopherson, aEMsDsi3DSm1up0G@google.com",
	  "The merged rules, plus a way for userspace to ask the stage-2 "
	  "type of a range (s2mt_vm_query())." },
	{ "D", "Designs", "-", "docs/designs.md",
	  "A design name s2mt does not know." },

	/* x86 */
	{ "X1", "KVM x86 on Intel (EPT)", "6.15",
	  "arch/x86/kvm/vmx/vmx.c, vmx_get_mt_mask(); Intel SDM Vol. 3",
	  "KVM maps every PFN. MMIO gets EPT memory type UC without IPAT, so "
	  "the guest's PAT still combines (a guest WC stays WC); RAM gets WB "
	  "with IPAT, which ignores the guest PAT, unless "
	  "KVM_X86_QUIRK_IGNORE_GUEST_PAT is off or the VM has non-coherent "
	  "DMA (docs/x86.md)." },
	{ "X2", "KVM x86 on AMD (NPT)", "Linux",
	  "arch/x86/kvm/svm; AMD APM Vol. 2, 15.25.8",
	  "NPT leaves carry no memory type of KVM's own: the host's PAT entry "
	  "0 (WB) and the host MTRR combine with the guest's PAT, so KVM can "
	  "never force Write-Back (docs/x86.md)." },

	/* The hazards */
	{ "Z1", "Cacheable host alias, non-cacheable guest", "-",
	  "the 6.17 series, which calls refusing it a bugfix (Oliver Upton, "
	  "aAdKCGCuwlUeUXKY@linux.dev)",
	  "The host maps a PA cacheable while the guest's effective type is "
	  "non-cacheable: guest reads can miss dirty host cache lines and "
	  "return stale data (a leak)." },
	{ "Z2", "Cacheable memory that cannot be cleaned", "-", "K5",
	  "A cacheable stage 2 over memory outside the linear map on a host "
	  "without FWB, or an executable one without DIC: the maintenance "
	  "K5 requires has no address to work on." },
	{ "Z3", "A missed clean", "-", "K5",
	  "A cacheable leaf installed on a host without FWB without the K5 "
	  "clean." },
	{ "Z4", "Executable Device or Normal-NC", "-", "K3",
	  "An executable stage-2 Device or Normal-NC leaf." },
	{ "Z5", "Two guest types for one PA", "-", "A3, A4",
	  "Two guest mappings of one PA with different stage-2 types: "
	  "coherency between them is lost." },
	{ "Z6", "Speculative reads of a side-effect region", "-", "H4",
	  "A Normal (speculatively readable) stage 2 over memory declared to "
	  "have read side effects, such as a BAR that is not prefetchable. "
	  "Upstream accepts it for vfio-pci BARs on purpose: a warning." },
	{ "Z7", "A stage 2 that outlives its host mapping", "-", "K8",
	  "A stage-2 leaf whose memslot or host VMA is gone or now maps "
	  "another PA." },
	{ "Z8", "Migration to a host without capability 243", "-", "C1",
	  "A VM with a cacheable PFNMAP slot moved to a host that reports "
	  "capability 243 as 0 (or does not know it): there the slot would be "
	  "refused." },

	/* The tool's own */
	{ "K", "The policy", "-", "src/core/policy.c",
	  "The policy was asked about an era or design it does not know." },
	{ "model", "A limit of the model", "-", "docs/model.md",
	  "Something real KVM would do that the model does not (yet), said "
	  "instead of guessed." },
	{ "scenario", "The scenario", "-", "docs/scenario.md",
	  "A step the scenario's story cannot take (no VM yet, an mmap that "
	  "is not mapped)." },
};
#define NR_RULES (sizeof(rules) / sizeof(rules[0]))

static const struct rule *rule_find(const char *id)
{
	for (size_t i = 0; i < NR_RULES; i++)
		if (!strcasecmp(rules[i].id, id))
			return &rules[i];
	return NULL;
}

bool cli_rule_known(const char *id)
{
	return id && rule_find(id);
}

/* Wraps text at 76 columns: the first line after lead, the rest after
 * four spaces. */
static void wrapped(const char *lead, const char *text)
{
	const char *indent = "    ";
	size_t col = 0, width = 76 - strlen(lead);

	fputs(lead, stdout);
	while (*text) {
		size_t w = strcspn(text, " ");

		if (col && col + 1 + w > width) {
			printf("\n%s", indent);
			col = 0;
			width = 76 - strlen(indent);
		} else if (col) {
			putchar(' ');
			col++;
		}
		fwrite(text, 1, w, stdout);
		col += w;
		text += w;
		while (*text == ' ')
			text++;
	}
	putchar('\n');
}

static void print_text(const struct rule *r)
{
	printf("%s  %s\n", r->id, r->title);
	wrapped("    ", r->text);
	printf("    since: %s\n", r->since);
	wrapped("    source: ", r->source);
}

static void print_markdown(const struct rule *r)
{
	printf("### %s: %s\n\n%s\n\n*Since:* %s. *Source:* %s.\n\n", r->id,
	       r->title, r->text, r->since, r->source);
}

int cmd_explain(int argc, char **argv)
{
	bool all = false, md = false;
	int first = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--all"))
			all = true;
		else if (!strcmp(argv[i], "--markdown"))
			md = true;
		else if (argv[i][0] == '-' && argv[i][1])
			return cli_usage_error("explain", "unknown option '%s'",
					       argv[i]);
		else if (!first)
			first = i;
		else
			return cli_usage_error("explain",
					       "one rule id at a time");
	}
	if (all == !!first)
		return cli_usage_error("explain",
				       "give a rule id (K2, M3, Z1, ...) or "
				       "--all");
	if (all) {
		if (md)
			printf("# The rules s2mt cites\n\n"
			       "Generated by `s2mt explain --all --markdown`; "
			       "`s2mt explain ID` prints one. Each is in the "
			       "project's own words, with the kernel version "
			       "that brought it and its primary source.\n\n");
		for (size_t i = 0; i < NR_RULES; i++)
			md ? print_markdown(&rules[i]) : print_text(&rules[i]);
		return S2MT_EXIT_OK;
	}
	if (!rule_find(argv[first])) {
		fprintf(stderr,
			"s2mt explain: no rule '%s' (s2mt explain --all lists "
			"them)\n",
			argv[first]);
		return S2MT_EXIT_USAGE;
	}
	md ? print_markdown(rule_find(argv[first]))
	   : print_text(rule_find(argv[first]));
	return S2MT_EXIT_OK;
}
