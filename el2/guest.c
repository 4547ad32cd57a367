// SPDX-License-Identifier: MIT
/*
 * The harness as a tiny hypervisor: an EL1 guest runs under a stage-2
 * table the library builds, nothing mapped up front. Every stage-2 abort
 * comes to el2_guest_sync(), which decodes ESR_EL2/FAR_EL2/HPFAR_EL2,
 * finds the memslot, asks s2mt_policy() (era 6.17) for the prot and maps
 * on demand - a page through the core's fault API (the lookup's cursor,
 * then s2mt_pgt_map_page_at() with the prot prepared), a block with
 * s2mt_pgt_map_prepared() - or, for a permission fault, relaxes the leaf -
 * and ERETs back to the guest. Accesses outside every memslot are
 * emulated as MMIO; an instruction fetch from the device slot is refused
 * (K3) and the guest resumes at its return address.
 *
 * The host capabilities the policy sees are the CPU's own (FEAT_S2FWB from
 * ID_AA64MMFR2_EL1, DIC and IDC from CTR_EL0): on a DIC CPU (QEMU 10's
 * max, neoverse-v1) the policy grants X pre-emptively on data faults (K3),
 * so the guest's code in RAM runs without a permission fault; on a CPU
 * without DIC (cortex-a710, cortex-a57, QEMU 7.2's max) X comes from the
 * exec fault. Both are checked.
 */
#include "rt.h"

#define GUEST_VMID 2
#define GUEST_RAM_SIZE (8 * S2MT_SIZE_2M) /* 16 MiB: 8 blocks */
#define GUEST_STRIDE 0x10000ull /* a page every 64 KiB: 256 pages */
#define GUEST_KEY 0xa5c30f0f5a3c0000ull
#define GUEST_HOLE_IPA 0x10000000ull
#define GUEST_HOLE_VALUE 0x0ddba11c0ffee000ull
#define HOST_FILL 0xccccccccccccccccull
#define SPARE_FILL 0x59a4e5a9e0000000ull
#define UNMAP_OFFSET S2MT_SIZE_2M

/* The host page the guest's first RAM page is moved to. */
static uint64_t spare_page[S2MT_PAGE_SIZE / 8] __attribute__((aligned(4096)));
#define VIRTIO_MAGIC 0x74726976ull /* "virt" */

/* Reports (hvc #1 keys) */
enum {
	REP_MISMATCH = 1,
	REP_DEVICE = 2,
	REP_HOLE = 3,
	REP_EXEC_SURVIVED = 4,
	REP_PAGES = 5,
	REP_RAM_CODE = 6,
	REP_BEFORE_MOVE = 7,
	REP_AFTER_MOVE = 8,
	REP_AFTER_UNMAP = 9,
	NR_REPORTS = 10,
};

extern uint8_t __guest_start[], __guest_end[];
extern uint8_t __guest_ram_start[], __guest_ram_end[];
extern char el2_guest_entry[];

struct slot {
	const char *name;
	uint64_t ipa, size, pa;
	uint8_t memclass; /* enum s2mt_memclass */
	uint64_t vm_flags;
	uint8_t attrindx;
	unsigned faults; /* resolved by mapping */
};

enum { SLOT_CODE, SLOT_RAM, SLOT_DEV, NR_SLOTS };

struct vm {
	struct s2mt_pgt pgt;
	struct slot slot[NR_SLOTS];
	uint64_t max_leaf;
	uint64_t save[13];
	unsigned map_faults, perm_faults, exec_refused;
	/* translation faults by data accesses on cacheable slots, and those
	 * the policy gave X anyway (K3 with DIC) */
	unsigned data_faults_cacheable, preemptive_x;
	unsigned mmio_reads, mmio_writes, moves, unmaps;
	/* pages stored at the lookup's cursor (an existing level-3 table) */
	unsigned cursor_maps;
	uint64_t mmio_write_value;
	uint64_t k3_esr, k3_ipa, k3_elr;
	const char *k3_rule;
	uint64_t rep[NR_REPORTS];
	bool have[NR_REPORTS];
	uint64_t last_ipa;
	unsigned repeats;
	bool failed;
};

static struct vm the_vm;
static struct vm *cur_vm;

static struct s2mt_host_caps host_caps(void)
{
	struct s2mt_host_caps caps = { .fwb = el2_cpu.fwb,
				       .dic = el2_cpu.dic,
				       .idc = el2_cpu.idc,
				       .mte = el2_cpu.mte2 };
	return caps;
}

static struct slot *find_slot(struct vm *vm, uint64_t ipa)
{
	for (unsigned i = 0; i < NR_SLOTS; i++) {
		struct slot *s = &vm->slot[i];

		if (ipa >= s->ipa && ipa - s->ipa < s->size)
			return s;
	}
	return NULL;
}

__attribute__((noreturn)) static void guest_abort(struct vm *vm, uint64_t esr)
{
	vm->failed = true;
	el2_fail("guest: ESR_EL2 0x%lx (EC 0x%lx) ELR_EL2 0x%lx FAR_EL2 0x%lx "
		 "HPFAR_EL2 0x%lx",
		 esr, ESR_EC(esr), read_sysreg(elr_el2), read_sysreg(far_el2),
		 read_sysreg(hpfar_el2));
	el2_guest_leave(vm->save, 0xdead);
}

/* MMIO emulation for an access outside every memslot (ISV syndrome). */
static void mmio(struct vm *vm, struct el2_frame *f, uint64_t esr)
{
	unsigned srt = (unsigned)ESR_SRT(esr);
	unsigned bytes = 1u << ESR_SAS(esr);
	uint64_t mask = bytes == 8 ? ~0ull : (1ull << (8 * bytes)) - 1;

	if (esr & ESR_WNR) {
		vm->mmio_writes++;
		vm->mmio_write_value = srt == 31 ? 0 : f->x[srt] & mask;
	} else {
		vm->mmio_reads++;
		if (srt != 31)
			f->x[srt] = GUEST_HOLE_VALUE & mask;
	}
	f->elr += 4;
}

/* Choose the leaf: the largest block (up to max_leaf) that lies inside the
 * slot with IPA and PA congruent, as K4 asks of a hypervisor. */
static uint64_t leaf_size(const struct vm *vm, const struct slot *s,
			  uint64_t ipa)
{
	static const uint64_t sizes[] = { S2MT_SIZE_1G, S2MT_SIZE_2M,
					  S2MT_SIZE_4K };

	for (unsigned i = 0; i < 3; i++) {
		uint64_t sz = sizes[i], base = ipa & ~(sz - 1);

		if (vm->max_leaf && sz > vm->max_leaf)
			continue;
		if (base >= s->ipa && base - s->ipa + sz <= s->size &&
		    ((s->pa + (base - s->ipa)) & (sz - 1)) == 0)
			return sz;
	}
	return S2MT_SIZE_4K;
}

static void stage2_abort(struct vm *vm, struct el2_frame *f, uint64_t esr)
{
	bool exec = ESR_EC(esr) == ESR_EC_IABT_LOW;
	bool write = !exec && (esr & ESR_WNR);
	uint64_t far = read_sysreg(far_el2), hpfar = read_sysreg(hpfar_el2);
	/* HPFAR_EL2.FIPA [43:4] holds IPA[51:12]; FAR_EL2 the page offset. */
	uint64_t ipa = ((hpfar >> 4) & 0xffffffffffull) << S2MT_PAGE_SHIFT |
		(far & (S2MT_PAGE_SIZE - 1));
	unsigned fsc = (unsigned)ESR_FSC(esr);
	struct s2mt_policy_in in = { 0 };
	struct s2mt_policy_out out;
	struct slot *s;
	int err;

	/* Stage 1 is off: the VA is the IPA. */
	if (far != ipa || (esr & ESR_S1PTW))
		guest_abort(vm, esr);
	if (ipa == vm->last_ipa && ++vm->repeats > 3)
		guest_abort(vm, esr);
	if (ipa != vm->last_ipa)
		vm->repeats = 0;
	vm->last_ipa = ipa;

	s = find_slot(vm, ipa);
	if (!s) {
		if (exec || !(esr & ESR_ISV) || FSC_TYPE(fsc) != FSC_TRANS)
			guest_abort(vm, esr);
		mmio(vm, f, esr);
		return;
	}
	if (FSC_TYPE(fsc) != FSC_TRANS && FSC_TYPE(fsc) != FSC_PERM)
		guest_abort(vm, esr);

	in.op = S2MT_POLICY_FAULT;
	in.era = S2MT_ERA_6_17;
	in.host = host_caps();
	in.memclass = s->memclass;
	in.vm_flags = s->vm_flags;
	in.attrindx = s->attrindx;
	in.access = exec ? S2MT_ACCESS_EXEC
		: write	 ? S2MT_ACCESS_WRITE
			 : S2MT_ACCESS_READ;
	in.vma_start = s->pa;
	in.vma_end = s->pa + s->size;
	err = s2mt_policy(&in, &out);
	if (err == -S2MT_ENOEXEC) {
		/* K3: KVM would inject an instruction abort; this guest
		 * branched with BLR, so it resumes at its return address. */
		vm->exec_refused++;
		vm->k3_esr = esr;
		vm->k3_ipa = ipa;
		vm->k3_elr = f->elr;
		vm->k3_rule = out.rule;
		f->elr = f->x[30];
		return;
	}
	if (err) {
		el2_printf("guest: policy refused IPA 0x%lx: %s\n", ipa,
			   out.reason);
		guest_abort(vm, esr);
	}

	if (FSC_TYPE(fsc) == FSC_PERM) {
		/* A leaf exists but lacks the permission (X on RAM first
		 * touched by a data access): relax it in place. */
		struct s2mt_leaf leaf;

		if (s2mt_pgt_lookup(&vm->pgt, ipa, &leaf))
			guest_abort(vm, esr);
		err = s2mt_pgt_relax_perms(&vm->pgt, leaf.ipa, leaf.size,
					   out.prot.perm);
		vm->perm_faults++;
	} else {
		uint64_t sz = leaf_size(vm, s, ipa);
		uint64_t base = ipa & ~(sz - 1), pa = s->pa + (base - s->ipa);
		struct s2mt_pgt_prepared prep;
		struct s2mt_pgt_cursor cur;
		uint64_t desc;
		unsigned level;

		err = s2mt_pgt_prepare(&vm->pgt, out.prot, &prep);
		if (!err && sz == S2MT_PAGE_SIZE &&
		    s2mt_pgt_get_leaf_cursor(&vm->pgt, base, &desc, &level,
					     &cur)) {
			vm->cursor_maps += cur.ptep != NULL;
			err = s2mt_pgt_map_page_at(&vm->pgt, &cur, pa, &prep);
		} else if (!err) {
			err = s2mt_pgt_map_prepared(&vm->pgt, base, sz, pa,
						    &prep, vm->max_leaf);
		}
		vm->map_faults++;
		s->faults++;
		if (!exec && s->memclass == S2MT_MEM_RAM) {
			vm->data_faults_cacheable++;
			if (out.prot.perm & S2MT_PROT_X)
				vm->preemptive_x++;
		}
	}
	if (err) {
		el2_printf("guest: stage-2 update for IPA 0x%lx: %s (%s)\n",
			   ipa, s2mt_errno_name(err), vm->pgt.why);
		guest_abort(vm, esr);
	}
}

static void hvc(struct vm *vm, struct el2_frame *f, uint64_t esr)
{
	switch (esr & 0xffff) {
	case 0:
		el2_guest_leave(vm->save, f->x[0]);
	case 1:
		if (f->x[0] < NR_REPORTS) {
			vm->rep[f->x[0]] = f->x[1];
			vm->have[f->x[0]] = true;
		}
		return;
	case 3: {
		/* Move the first RAM page: break-before-make in the library
		 * (splitting a block if there is one), TLBI, and the guest's
		 * next access must reach the new host page. */
		struct s2mt_prot prot = { .perm = S2MT_PROT_RW,
					  .type = S2MT_MT_NORMAL };
		int err = s2mt_pgt_map(
			&vm->pgt, vm->slot[SLOT_RAM].ipa, S2MT_PAGE_SIZE,
			(uint64_t)(uintptr_t)spare_page, prot, S2MT_SIZE_4K);

		if (err)
			guest_abort(vm, esr);
		vm->moves++;
		return;
	}
	case 4:
		if (s2mt_pgt_unmap(&vm->pgt,
				   vm->slot[SLOT_RAM].ipa + UNMAP_OFFSET,
				   S2MT_PAGE_SIZE))
			guest_abort(vm, esr);
		vm->unmaps++;
		return;
	case 2:
		vm->failed = true;
		el2_fail("guest: EL1 exception, vector %lu ESR_EL1 0x%lx "
			 "ELR_EL1 0x%lx FAR_EL1 0x%lx",
			 f->x[3], f->x[0], f->x[1], f->x[2]);
		el2_guest_leave(vm->save, 0xbad);
	default:
		guest_abort(vm, esr);
	}
}

bool el2_guest_sync(struct el2_frame *f, uint64_t esr)
{
	struct vm *vm = cur_vm;

	if (!vm)
		return false;
	switch (ESR_EC(esr)) {
	case ESR_EC_HVC64:
		hvc(vm, f, esr);
		return true;
	case ESR_EC_IABT_LOW:
	case ESR_EC_DABT_LOW:
		stage2_abort(vm, f, esr);
		return true;
	default:
		guest_abort(vm, esr);
	}
}

/* ---- one run ---- */

struct run_result {
	unsigned faults; /* stage-2 faults resolved by mapping */
	bool ok;
};

static const char *leaf_name(uint64_t max_leaf)
{
	return max_leaf == S2MT_SIZE_4K ? "4K" : "blocks";
}

/* Every touched page: the leaf the library has for it, the host PA it
 * maps to, and that PA's contents through EL2's own (cacheable) view. */
static void check_ram(struct vm *vm, unsigned ipa_bits, bool blocks)
{
	const struct slot *s = &vm->slot[SLOT_RAM];
	unsigned bad = 0, pages = 0, bad_xn = 0;

	for (uint64_t off = 0; off < s->size; off += GUEST_STRIDE) {
		uint64_t ipa = s->ipa + off, hpa, want_pa = s->pa + off;
		uint64_t w0 = ipa ^ GUEST_KEY, w1 = ~w0, w2 = HOST_FILL;
		/* The block holding the moved page was split by the move; the
		 * one holding the unmapped page came back as a block. */
		unsigned want_level = blocks && off >= S2MT_SIZE_2M ? 2 : 3;
		volatile uint64_t *p;
		struct s2mt_leaf leaf;

		if (off == 0) {
			want_pa = (uint64_t)(uintptr_t)spare_page;
			w0 = w1 = w2 = SPARE_FILL;
		}
		pages++;
		if (s2mt_pgt_lookup(&vm->pgt, ipa, &leaf) ||
		    leaf.level != want_level) {
			bad++;
			continue;
		}
		/* Beyond the first 2 MiB (which holds the code the guest
		 * runs) no page was executed: X only pre-emptively (DIC). */
		if (off >= S2MT_SIZE_2M && leaf.xn == el2_cpu.dic)
			bad_xn++;
		hpa = leaf.pa + (ipa - leaf.ipa);
		if (hpa != want_pa) {
			bad++;
			continue;
		}
		el2_dcache_clean_inval(hpa, 32);
		p = (volatile uint64_t *)(uintptr_t)hpa;
		if (p[0] != w0 || p[1] != w1 || p[2] != w2)
			bad++;
	}
	/* The guest's writes to the first page landed at the old host PA. */
	if (*(volatile uint64_t *)(uintptr_t)s->pa != (s->ipa ^ GUEST_KEY))
		bad++;
	EL2_CHECK(!bad,
		  "guest ipa=%u: %u of %u pages not at the right host PA or "
		  "leaf level",
		  ipa_bits, bad, pages);
	EL2_CHECK(!bad_xn,
		  "guest ipa=%u: %u never-executed RAM pages with XN=%u "
		  "(DIC=%u: K3 %s)",
		  ipa_bits, bad_xn, !el2_cpu.dic, el2_cpu.dic,
		  el2_cpu.dic ? "grants X pre-emptively"
			      : "grants X only on an exec fault");
}

static struct run_result guest_run(unsigned ipa_bits, uint64_t max_leaf)
{
	struct vm *vm = &the_vm;
	struct s2mt_pgt_cfg cfg = {
		.ipa_bits = ipa_bits,
		.pa_bits = el2_cpu.pa_bits > 48 ? 48 : el2_cpu.pa_bits,
		.start_level = S2MT_START_AUTO,
		.fwb = el2_cpu.fwb,
		.dic = el2_cpu.dic,
		.vmid = GUEST_VMID,
	};
	uint64_t base_pages = el2_mm_stats.pages_in_use;
	uint64_t dclean0 = el2_mm_stats.dclean, iinval0 = el2_mm_stats.iinval;
	uint64_t ram_ipa = (1ull << ipa_bits) - S2MT_SIZE_1G;
	uint64_t ram_pa = (uint64_t)(uintptr_t)__guest_ram_start;
	uint64_t code = (uint64_t)(uintptr_t)__guest_start;
	unsigned pages = (unsigned)(GUEST_RAM_SIZE / GUEST_STRIDE);
	struct run_result r = { 0 };
	uint64_t gregs[8] = { 0 }, status;
	struct s2mt_leaf leaf;
	int err;

	memset(vm, 0, sizeof(*vm));
	vm->max_leaf = max_leaf;
	vm->slot[SLOT_CODE] = (struct slot){
		.name = "code",
		.ipa = code,
		.size = (uint64_t)(__guest_end - __guest_start),
		.pa = code,
		.memclass = S2MT_MEM_RAM,
		.vm_flags = S2MT_VM_READ | S2MT_VM_EXEC,
		.attrindx = S2MT_MT_IDX_NORMAL,
	};
	vm->slot[SLOT_RAM] = (struct slot){
		.name = "ram",
		.ipa = ram_ipa,
		.size = GUEST_RAM_SIZE,
		.pa = ram_pa,
		.memclass = S2MT_MEM_RAM,
		.vm_flags = S2MT_VM_READ | S2MT_VM_WRITE,
		.attrindx = S2MT_MT_IDX_NORMAL,
	};
	vm->slot[SLOT_DEV] = (struct slot){
		.name = "device",
		.ipa = VIRT_MMIO_BASE,
		.size = VIRT_MMIO_SIZE,
		.pa = VIRT_MMIO_BASE,
		.memclass = S2MT_MEM_PFN_OUTSIDE,
		.vm_flags = S2MT_VM_PFNMAP | S2MT_VM_IO | S2MT_VM_DONTEXPAND |
			S2MT_VM_DONTDUMP | S2MT_VM_ALLOW_ANY_UNCACHED |
			S2MT_VM_SHARED | S2MT_VM_READ | S2MT_VM_WRITE,
		.attrindx = S2MT_MT_IDX_DEVICE_nGnRnE,
	};
	if ((uint64_t)(uintptr_t)__guest_ram_end - ram_pa < GUEST_RAM_SIZE ||
	    (uint64_t)(uintptr_t)__guest_ram_end >
		    VIRT_RAM_BASE + VIRT_RAM_SIZE) {
		el2_fail("guest: guest RAM does not fit");
		return r;
	}
	err = s2mt_pgt_init(&vm->pgt, &cfg, &el2_mm_ops, &el2_mm_stats);
	if (err) {
		el2_fail("guest: s2mt_pgt_init: %s (%s)", s2mt_errno_name(err),
			 vm->pgt.why);
		return r;
	}

	/* The host's data in guest RAM before the guest runs. */
	for (uint64_t *p = (uint64_t *)(uintptr_t)ram_pa;
	     (uint64_t)(uintptr_t)p < ram_pa + GUEST_RAM_SIZE; p++)
		*p = HOST_FILL;
	for (unsigned i = 0; i < S2MT_PAGE_SIZE / 8; i++)
		spare_page[i] = SPARE_FILL;

	write_sysreg(HCR_RW | HCR_VM | (cfg.fwb ? HCR_FWB : 0), hcr_el2);
	write_sysreg(0x30d00800ull | 1ull << 12, sctlr_el1); /* M=0, I */
	isb();
	el2_s2_activate(&vm->pgt);

	gregs[0] = ram_ipa;
	gregs[1] = GUEST_RAM_SIZE;
	gregs[2] = GUEST_STRIDE;
	gregs[3] = VIRT_MMIO_BASE;
	gregs[4] = GUEST_HOLE_IPA;
	gregs[5] = GUEST_KEY;
	cur_vm = vm;
	status = el2_guest_enter(vm->save, gregs,
				 (uint64_t)(uintptr_t)el2_guest_entry);
	cur_vm = NULL;
	write_sysreg(HCR_RW, hcr_el2);
	isb();

	/* What the guest saw. */
	EL2_CHECK(status == 0 && !vm->failed, "guest ipa=%u %s: status 0x%lx",
		  ipa_bits, leaf_name(max_leaf), status);
	EL2_CHECK(vm->have[REP_MISMATCH] && vm->rep[REP_MISMATCH] == 0,
		  "guest: %lu pattern mismatches", vm->rep[REP_MISMATCH]);
	EL2_CHECK(vm->have[REP_PAGES] && vm->rep[REP_PAGES] == pages,
		  "guest: touched %lu pages, expected %u", vm->rep[REP_PAGES],
		  pages);
	EL2_CHECK(vm->have[REP_DEVICE] && vm->rep[REP_DEVICE] == VIRTIO_MAGIC,
		  "guest: device read 0x%lx, expected virtio magic",
		  vm->rep[REP_DEVICE]);
	EL2_CHECK(vm->have[REP_HOLE] && vm->rep[REP_HOLE] == GUEST_HOLE_VALUE &&
			  vm->mmio_reads == 1 && vm->mmio_writes == 1 &&
			  vm->mmio_write_value == GUEST_KEY,
		  "guest: MMIO emulation (reads %u writes %u)", vm->mmio_reads,
		  vm->mmio_writes);
	/* K3: the branch into the device slot was a stage-2 permission
	 * fault on the Normal-NC leaf, refused by the policy. */
	EL2_CHECK(vm->have[REP_EXEC_SURVIVED] && vm->exec_refused == 1 &&
			  ESR_EC(vm->k3_esr) == ESR_EC_IABT_LOW &&
			  FSC_TYPE(ESR_FSC(vm->k3_esr)) == FSC_PERM &&
			  vm->k3_ipa == VIRT_MMIO_BASE &&
			  vm->k3_elr == VIRT_MMIO_BASE && vm->k3_rule &&
			  vm->k3_rule[0] == 'K' && vm->k3_rule[1] == '3' &&
			  !vm->k3_rule[2],
		  "guest: exec from the device: refused %u, ESR 0x%lx IPA "
		  "0x%lx",
		  vm->exec_refused, vm->k3_esr, vm->k3_ipa);

	/* The code the guest wrote into its RAM ran: without DIC once the
	 * permission fault added X to the leaf (K3: X on an exec fault);
	 * with DIC straight away, every data fault on RAM having been
	 * mapped executable (K3: X pre-emptively with DIC). */
	EL2_CHECK(vm->have[REP_RAM_CODE] && vm->rep[REP_RAM_CODE] == 42 &&
			  vm->perm_faults == (el2_cpu.dic ? 0u : 1u),
		  "guest: code in RAM returned %lu, %u permission faults "
		  "(DIC=%u)",
		  vm->rep[REP_RAM_CODE], vm->perm_faults, el2_cpu.dic);
	EL2_CHECK(
		vm->data_faults_cacheable > 0 &&
			vm->preemptive_x ==
				(el2_cpu.dic ? vm->data_faults_cacheable : 0u),
		"guest: %u of %u RAM data faults mapped executable with "
		"DIC=%u",
		vm->preemptive_x, vm->data_faults_cacheable, el2_cpu.dic);
	err = s2mt_pgt_lookup(&vm->pgt, ram_ipa + GUEST_STRIDE / 2, &leaf);
	EL2_CHECK(!err && leaf.xn == 0 && leaf.s2ap == 3,
		  "guest: RAM code leaf (xn %u s2ap %u)", leaf.xn, leaf.s2ap);

	/* TLB maintenance: the moved page read from its new host page, the
	 * unmapped one faulted back in with its contents. */
	EL2_CHECK(vm->moves == 1 && vm->unmaps == 1 &&
			  vm->rep[REP_BEFORE_MOVE] == HOST_FILL &&
			  vm->rep[REP_AFTER_MOVE] == SPARE_FILL &&
			  vm->rep[REP_AFTER_UNMAP] ==
				  ((ram_ipa + UNMAP_OFFSET) ^ GUEST_KEY),
		  "guest: after move 0x%lx (want 0x%llx), after unmap 0x%lx",
		  vm->rep[REP_AFTER_MOVE], SPARE_FILL,
		  vm->rep[REP_AFTER_UNMAP]);

	/* What EL2 sees: the leaves and the host PAs. */
	check_ram(vm, ipa_bits, max_leaf != S2MT_SIZE_4K);
	err = s2mt_pgt_lookup(&vm->pgt, VIRT_MMIO_BASE, &leaf);
	EL2_CHECK(!err && leaf.memattr == 5 && leaf.xn && leaf.s2ap == 3 &&
			  leaf.pa == VIRT_MMIO_BASE,
		  "guest: device leaf (memattr 0x%x xn %u s2ap %u)",
		  leaf.memattr, leaf.xn, leaf.s2ap);
	err = s2mt_pgt_lookup(&vm->pgt, (uint64_t)(uintptr_t)el2_guest_entry,
			      &leaf);
	EL2_CHECK(!err && leaf.xn == 0 && leaf.s2ap == 1,
		  "guest: code leaf (xn %u s2ap %u)", leaf.xn, leaf.s2ap);
	/* 4K: every page touched, the code page, the unmapped page again;
	 * blocks: one per block, and the unmapped block again. */
	EL2_CHECK(vm->slot[SLOT_RAM].faults ==
			  (max_leaf == S2MT_SIZE_4K
				   ? pages + 2
				   : GUEST_RAM_SIZE / S2MT_SIZE_2M + 1),
		  "guest: %u RAM faults", vm->slot[SLOT_RAM].faults);
	/* K5: cacheable leaves cleaned without FWB; executable ones cost an
	 * I-cache invalidation without DIC. */
	EL2_CHECK(cfg.fwb ? el2_mm_stats.dclean == dclean0
			  : el2_mm_stats.dclean > dclean0,
		  "guest: D-cache cleans %lu with FWB=%u",
		  el2_mm_stats.dclean - dclean0, cfg.fwb);
	EL2_CHECK(cfg.dic ? el2_mm_stats.iinval == iinval0
			  : el2_mm_stats.iinval > iinval0,
		  "guest: I-cache invalidations %lu with DIC=%u",
		  el2_mm_stats.iinval - iinval0, cfg.dic);
	EL2_CHECK(vm->pgt.stats.prepare_misses == 0 &&
			  vm->pgt.stats.prepare_leftovers == 0,
		  "guest: prepare/commit miscounted");
	/* 4K: all but the first page of each 2 MiB went in at a cursor. */
	EL2_CHECK(max_leaf == S2MT_SIZE_4K ? vm->cursor_maps > 0
					   : vm->cursor_maps == 0,
		  "guest: %u pages stored at a cursor with %s leaves",
		  vm->cursor_maps, leaf_name(max_leaf));

	el2_printf(EL2_TAG "guest ipa=%u leaf=%s: %u stage-2 faults mapped "
			   "(code %u, ram %u, device %u), %u permission, %u "
			   "exec refused (K3), %u of %u RAM data faults with "
			   "pre-emptive X (DIC), %u MMIO exits, %u move + %u "
			   "unmap seen by the guest; %u pages checked at their "
			   "host PA; %lu leaves (%u at a cursor), %lu tables, "
			   "%lu splits\n",
		   ipa_bits, leaf_name(max_leaf), vm->map_faults,
		   vm->slot[SLOT_CODE].faults, vm->slot[SLOT_RAM].faults,
		   vm->slot[SLOT_DEV].faults, vm->perm_faults, vm->exec_refused,
		   vm->preemptive_x, vm->data_faults_cacheable,
		   vm->mmio_reads + vm->mmio_writes, vm->moves, vm->unmaps,
		   pages, vm->pgt.stats.leaves_installed, vm->cursor_maps,
		   vm->pgt.stats.tables_allocated, vm->pgt.stats.splits);
	r.faults = vm->map_faults;
	r.ok = !vm->failed;
	s2mt_pgt_destroy(&vm->pgt);
	EL2_CHECK(el2_mm_stats.pages_in_use == base_pages,
		  "guest: %lu table pages leaked",
		  el2_mm_stats.pages_in_use - base_pages);
	return r;
}

void el2_guest_run_all(void)
{
	static const unsigned sizes[] = { 40, 34 };

	el2_printf("\nlive guest (stage 1 off, era 6.17 policy, host caps "
		   "from the ID registers: FWB=%u DIC=%u IDC=%u, "
		   "%llu MiB RAM at the top GiB of the IPA space, a page "
		   "every %llu KiB):\n",
		   el2_cpu.fwb, el2_cpu.dic, el2_cpu.idc, GUEST_RAM_SIZE >> 20,
		   GUEST_STRIDE >> 10);
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct run_result small = guest_run(sizes[i], S2MT_SIZE_4K);
		struct run_result big = guest_run(sizes[i], 0);

		el2_printf(EL2_TAG "guest ipa=%u: stage-2 faults with 4K "
				   "leaves %u, with blocks %u - blocks fault "
				   "%s\n",
			   sizes[i], small.faults, big.faults,
			   big.faults < small.faults ? "fewer" : "NOT fewer");
		EL2_CHECK(small.ok && big.ok && big.faults < small.faults,
			  "guest ipa=%u: blocks did not cut faults", sizes[i]);
	}
}
