/* SPDX-License-Identifier: MIT */
/*
 * The guest of backend_kvm.c: EL1, MMU off, copied to the code slot
 * (S2MT_VMM_CODE_IPA) and entered at its first byte with
 *   x0 = the IPA to access, x1 = the access (1 read, 2 write, 4 exec;
 *        8: touch nothing and spin at s2mt_guest_park, so that the vCPU
 *        stays in the guest: no WFE, which KVM traps; 16: turn the stage-1
 *        MMU on and then read; the translation table is s2mt_guest_ttb,
 *        a page of this blob the guest never touches otherwise, so the
 *        first fetch after SCTLR_EL1.M walks a table that stage 2 has not
 *        mapped yet: a stage-2 fault on a stage-1 walk, S1PTW),
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
	cmp	x1, #16
	b.eq	mmu_on
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
	b	done
/*
 * Identity map, 4 KiB granule, 39-bit VA (T0SZ 25, walks start at level
 * 1), 1 GiB blocks of Normal write-back (MAIR attribute 0 = 0xff), TTBR1
 * walks off (EPD1), 40-bit IPS. x3: the table's address.
 */
mmu_on:
	adr	x3, s2mt_guest_ttb
	msr	ttbr0_el1, x3
	mov	x4, #0xff
	msr	mair_el1, x4
	ldr	x4, =(25 | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23) | (2 << 32))
	msr	tcr_el1, x4
	isb
	mrs	x4, sctlr_el1
	orr	x4, x4, #1		/* M */
	orr	x4, x4, #(1 << 2)	/* C */
	orr	x4, x4, #(1 << 12)	/* I */
	msr	sctlr_el1, x4
	isb
	ldr	w4, [x0]
done:
	mov	x5, #1
	str	x5, [x28]
1:	b	1b
s2mt_guest_park:
	b	s2mt_guest_park

	.ltorg

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

	/* Level-1 blocks: 0-4 GiB, identity, AF, inner shareable,
	 * AttrIndx 0, EL1 read/write. Its own page, 32 KiB into the blob
	 * (S2MT_VMM_CODE_TTB). */
	.p2align 15
	.globl s2mt_guest_ttb
s2mt_guest_ttb:
	.quad	0x00000000 | 0x701
	.quad	0x40000000 | 0x701
	.quad	0x80000000 | 0x701
	.quad	0xc0000000 | 0x701
	.p2align 12
s2mt_guest_code_end:
