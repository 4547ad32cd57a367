/* SPDX-License-Identifier: MIT */
/*
 * The guest of backend_kvm.c: EL1, MMU off, copied to the code slot
 * (S2MT_VMM_CODE_IPA) and entered at its first byte with
 *   x0 = the IPA to access, x1 = the access (1 read, 2 write, 4 exec;
 *        8: touch nothing and spin at s2mt_guest_park, so that the vCPU
 *        stays in the guest: no WFE, which KVM traps),
 *   x2 = the report IPA (unbacked: every store there is a KVM_EXIT_MMIO).
 * It reports 1 when the access completed; from its vector table, FAR_EL1
 * at report + 8 and then ESR_EL1 | 1 << 63 at report. Position
 * independent; the vector table is 2 KiB aligned within the blob, and the
 * blob is copied to a 64 KiB aligned IPA. Data accesses are 32-bit (device
 * registers accept them); with the MMU off they are Device-nGnRnE at
 * stage 1, which is fine for an aligned access.
 */
	.section .rodata.s2mt_guest, "a"
	.p2align 11
	.globl s2mt_guest_code
	.globl s2mt_guest_code_end
	.globl s2mt_guest_park
s2mt_guest_code:
	mov	x28, x2
	adr	x3, vectors
	msr	vbar_el1, x3
	isb
	cmp	x1, #8
	b.eq	s2mt_guest_park
	cmp	x1, #4
	b.eq	exec
	cmp	x1, #2
	b.eq	write
	ldr	w4, [x0]
	b	done
write:
	str	w1, [x0]		/* 2: a UDF encoding, should it be run */
	b	done
exec:
	br	x0			/* a fetched zero word is UDF: EC 0 */
done:
	mov	x5, #1
	str	x5, [x28]
1:	b	1b
s2mt_guest_park:
	b	s2mt_guest_park

	.p2align 11
vectors:
	.rept	16
	.p2align 7
	mrs	x6, esr_el1
	mrs	x7, far_el1
	str	x7, [x28, #8]
	orr	x6, x6, #(1 << 63)
	str	x6, [x28]
2:	b	2b
	.endr
s2mt_guest_code_end:
