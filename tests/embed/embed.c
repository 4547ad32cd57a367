// SPDX-License-Identifier: MIT
/*
 * A small embedder of libs2mt, built by scripts/install-check.sh against
 * the installed headers and library through pkg-config (shared and
 * static). It asks the question the library exists for: which stage-2
 * type does Grace-Hopper GPU memory get on a 6.17 host, and what does the
 * guest see? Exit 0 when the answer is Force-WB and Normal-WB.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <s2mt/core.h>
#include <s2mt/model.h>

int main(void)
{
	struct s2mt_host *host = calloc(1, sizeof(*host));
	struct s2mt_mm *mm = calloc(1, sizeof(*mm));
	struct s2mt_kvm *kvm = calloc(1, sizeof(*kvm));
	struct s2mt_mmap_req req = { .len = 1ull << 30,
				     .prot = S2MT_PROT_READ | S2MT_PROT_WRITE,
				     .flags = S2MT_MAP_SHARED };
	struct s2mt_userspace_memory_region2 slot = { 0 };
	struct s2mt_s1attr guest_wb = { .enabled = true, .mair = 0xff };
	struct s2mt_s2attr s2;
	struct s2mt_effective eff;
	struct s2mt_fault fault;
	struct s2mt_vm *vm;
	char s2name[40], effname[40];
	uint64_t hva;
	int gpu;

	if (!host || !mm || !kvm ||
	    s2mt_host_init(host, "grace-hopper", S2MT_ERA_6_17, 1ull << 30))
		return 1;
	gpu = s2mt_host_add_nvgrace(host, "gpu0", 4ull << 30, 0);
	if (gpu < 0 || s2mt_mm_init(mm, host) || s2mt_kvm_open(kvm, host, mm) ||
	    s2mt_kvm_create_vm(kvm, 0, &vm) ||
	    s2mt_mm_mmap_nvgrace(mm, &req, gpu, S2MT_NVGRACE_USEMEM, 0, &hva)) {
		fprintf(stderr, "embed: setup failed: %s%s\n", host->why,
			mm->why);
		return 1;
	}
	slot.guest_phys_addr = 1ull << 38;
	slot.memory_size = 1ull << 30;
	slot.userspace_addr = hva;
	if (s2mt_vm_set_user_memory_region2(vm, &slot) ||
	    s2mt_vm_guest_abort(vm, 1ull << 38, S2MT_ACCESS_READ, &fault) ||
	    !fault.has_leaf) {
		fprintf(stderr, "embed: %s\n", fault.reason);
		return 1;
	}
	s2 = (struct s2mt_s2attr){ .memattr = fault.leaf.memattr,
				   .sh = fault.leaf.sh };
	s2mt_combine(guest_wb, s2, host->caps.fwb, &eff);
	s2mt_s2_name(fault.leaf.memattr, host->caps.fwb, s2name,
		     sizeof(s2name));
	s2mt_memtype_name(&eff.mt, effname, sizeof(effname));
	printf("libs2mt %s: usemem on grace-hopper 6.17: stage 2 %s, guest "
	       "sees %s (%s)\n",
	       S2MT_VERSION, s2name, effname, fault.rule);
	s2mt_kvm_close(kvm);
	s2mt_mm_fini(mm);
	free(kvm);
	free(mm);
	free(host);
	return strcmp(s2name, "Force-WB") || strcmp(effname, "Normal-WB");
}
