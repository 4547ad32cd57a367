// SPDX-License-Identifier: MIT
/*
 * s2mt at EL2 on QEMU's virt machine: the core's attribute model and page
 * table refereed by the MMU. One binary: the referee (FWB off, and on where
 * the CPU has FEAT_S2FWB), the geometry cases, the live guest. The last
 * line is the result marker; the exit status (semihosting) is 0 on pass.
 */
#include "rt.h"

static const char *const vector_names[] = {
	"EL2t sync", "EL2t irq", "EL2t fiq", "EL2t serror",
	"EL2h sync", "EL2h irq", "EL2h fiq", "EL2h serror",
	"EL1 sync",  "EL1 irq",	 "EL1 fiq",  "EL1 serror",
	"A32 sync",  "A32 irq",	 "A32 fiq",  "A32 serror",
};

void el2_exception(unsigned idx, struct el2_frame *f)
{
	uint64_t esr = read_sysreg(esr_el2);

	if (idx == 8 && el2_guest_sync(f, esr))
		return;
	el2_fail("unexpected exception at EL2: %s, ESR_EL2 0x%lx (EC 0x%lx) "
		 "ELR_EL2 0x%lx FAR_EL2 0x%lx HPFAR_EL2 0x%lx",
		 vector_names[idx & 15], esr, ESR_EC(esr), f->elr,
		 read_sysreg(far_el2), read_sysreg(hpfar_el2));
	el2_printf("S2MT-EL2 RESULT: FAIL (exception)\n");
	el2_exit(3);
}

unsigned el2_main(void);

unsigned el2_main(void)
{
	unsigned el = (unsigned)(read_sysreg(CurrentEL) >> 2) & 3;
	const struct el2_cpu *c = &el2_cpu;
	unsigned fails;

	el2_printf("\ns2mt EL2 harness: core sources at EL%u\n", el);
	if (el != 2) {
		el2_printf("S2MT-EL2 RESULT: FAIL (not at EL2; use "
			   "-M virt,virtualization=on)\n");
		return 2;
	}
	el2_cpu_probe();
	el2_mmu_init();
	if (!el2_run_parse()) {
		el2_printf("S2MT-EL2 RESULT: FAIL (command line)\n");
		return 2;
	}
	el2_printf(EL2_TAG "qemu %s: deviation table for QEMU %u.%u\n",
		   el2_run.qemu_str, el2_run.qemu / 100, el2_run.qemu % 100);
	el2_printf(EL2_TAG "cpu: MIDR_EL1 0x%lx, FEAT_S2FWB %u "
			   "(ID_AA64MMFR2_EL1.FWB), CTR_EL0.DIC %u IDC %u, PA "
			   "%u bits, MTE2 %u, XNX %u\n",
		   c->midr, c->fwb, c->dic, c->idc, c->pa_bits, c->mte2,
		   c->xnx);
	/* The host class the run was meant for (caps=): a CPU model that
	 * lost or gained FWB/DIC/IDC would silently test another path. */
	if (el2_run.have_caps) {
		bool same = el2_run.caps_fwb == c->fwb &&
			el2_run.caps_dic == c->dic &&
			el2_run.caps_idc == c->idc;

		el2_printf(EL2_TAG "host class: expected caps=%s, the CPU "
				   "has fwb=%u dic=%u idc=%u - %s\n",
			   el2_run.caps_str, c->fwb, c->dic, c->idc,
			   same ? "as expected" : "DIFFERENT");
		EL2_CHECK(same,
			  "cpu: expected caps=%s, ID registers say fwb=%u "
			  "dic=%u idc=%u",
			  el2_run.caps_str, c->fwb, c->dic, c->idc);
	}

	el2_referee_run(false);
	if (c->fwb)
		el2_referee_run(true);
	else
		el2_printf(EL2_TAG "referee fwb=1: skipped (no FEAT_S2FWB)\n");
	el2_geometry_run();
	el2_guest_run_all();

	EL2_CHECK(el2_mm_stats.pages_in_use == 0 && !el2_mm_stats.bad_frees &&
			  !el2_mm_stats.alloc_failures &&
			  !el2_mm_stats.dclean_outside_ram,
		  "mm: %lu pages in use at the end, %lu bad frees, %lu failed "
		  "allocations, %lu cleans outside RAM",
		  el2_mm_stats.pages_in_use, el2_mm_stats.bad_frees,
		  el2_mm_stats.alloc_failures, el2_mm_stats.dclean_outside_ram);
	el2_printf(EL2_TAG "mm: %lu table-page allocations (peak %lu pages), "
			   "%lu TLBI by IPA, %lu by VMID, %lu D-cache cleans "
			   "(%lu KiB), %lu I-cache invalidations\n",
		   el2_mm_stats.allocs, el2_mm_stats.pages_peak,
		   el2_mm_stats.tlbi_ipa, el2_mm_stats.tlbi_vmid,
		   el2_mm_stats.dclean, el2_mm_stats.dclean_bytes >> 10,
		   el2_mm_stats.iinval);

	fails = el2_failures();
	if (fails)
		el2_printf("S2MT-EL2 RESULT: FAIL (%u checks failed)\n", fails);
	else
		el2_printf("S2MT-EL2 RESULT: PASS\n");
	return fails ? 1 : 0;
}
