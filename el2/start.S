/* SPDX-License-Identifier: MIT */
/*
 * Entry at EL2 on QEMU's virt machine, the EL2 exception vectors, and the
 * switch into the EL1 guest and back.
 */
#define FRAME_SIZE 272 /* struct el2_frame: x0..x30, elr, spsr, pad */

	.section .text.boot, "ax"
	.global _start
_start:
	ldr	x0, =__stack_top
	mov	sp, x0
	ldr	x0, =__bss_start
	ldr	x1, =__bss_end
1:	cmp	x0, x1
	b.hs	2f
	stp	xzr, xzr, [x0], #16
	b	1b
2:	adr	x0, el2_vectors
	msr	vbar_el2, x0
	isb
	bl	el2_main
	bl	el2_exit
3:	b	3b

	.text
/* Every vector saves a full frame and calls el2_exception(idx, frame);
 * if that returns, the frame (possibly changed) is restored. */
	.macro	ventry idx
	.balign	0x80
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #0]
	mov	x0, #\idx
	b	el2_vector_common
	.endm

	.balign	2048
	.global el2_vectors
el2_vectors:
	ventry	0	/* current EL, SP_EL0: sync, irq, fiq, serror */
	ventry	1
	ventry	2
	ventry	3
	ventry	4	/* current EL, SP_ELx */
	ventry	5
	ventry	6
	ventry	7
	ventry	8	/* lower EL, AArch64: the guest */
	ventry	9
	ventry	10
	ventry	11
	ventry	12	/* lower EL, AArch32 */
	ventry	13
	ventry	14
	ventry	15

el2_vector_common:
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	str	x30, [sp, #240]
	mrs	x2, elr_el2
	mrs	x3, spsr_el2
	stp	x2, x3, [sp, #248]
	mov	x1, sp
	bl	el2_exception
	ldp	x2, x3, [sp, #248]
	msr	elr_el2, x2
	msr	spsr_el2, x3
	ldp	x0, x1, [sp, #0]
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x19, [sp, #144]
	ldp	x20, x21, [sp, #160]
	ldp	x22, x23, [sp, #176]
	ldp	x24, x25, [sp, #192]
	ldp	x26, x27, [sp, #208]
	ldp	x28, x29, [sp, #224]
	ldr	x30, [sp, #240]
	add	sp, sp, #FRAME_SIZE
	eret

/*
 * uint64_t el2_guest_enter(uint64_t *save, const uint64_t *gregs, uint64_t pc)
 * Saves x19..x30 and SP in save[0..12], enters EL1h at pc with x0..x7 from
 * gregs and DAIF masked. The guest's exceptions push their frames below
 * this SP; el2_guest_leave unwinds back here.
 */
	.global el2_guest_enter
el2_guest_enter:
	stp	x19, x20, [x0, #0]
	stp	x21, x22, [x0, #16]
	stp	x23, x24, [x0, #32]
	stp	x25, x26, [x0, #48]
	stp	x27, x28, [x0, #64]
	stp	x29, x30, [x0, #80]
	mov	x9, sp
	str	x9, [x0, #96]
	msr	elr_el2, x2
	mov	x9, #0x3c5		/* EL1h, D, A, I, F masked */
	msr	spsr_el2, x9
	mov	x9, x1
	ldp	x0, x1, [x9, #0]
	ldp	x2, x3, [x9, #16]
	ldp	x4, x5, [x9, #32]
	ldp	x6, x7, [x9, #48]
	mov	x8, xzr
	mov	x9, xzr
	mov	x10, xzr
	mov	x11, xzr
	mov	x12, xzr
	mov	x13, xzr
	mov	x14, xzr
	mov	x15, xzr
	mov	x16, xzr
	mov	x17, xzr
	mov	x18, xzr
	mov	x19, xzr
	mov	x20, xzr
	mov	x21, xzr
	mov	x22, xzr
	mov	x23, xzr
	mov	x24, xzr
	mov	x25, xzr
	mov	x26, xzr
	mov	x27, xzr
	mov	x28, xzr
	mov	x29, xzr
	mov	x30, xzr
	isb
	eret

/* void el2_guest_leave(uint64_t *save, uint64_t ret): back to the caller of
 * el2_guest_enter, which returns ret. */
	.global el2_guest_leave
el2_guest_leave:
	ldp	x19, x20, [x0, #0]
	ldp	x21, x22, [x0, #16]
	ldp	x23, x24, [x0, #32]
	ldp	x25, x26, [x0, #48]
	ldp	x27, x28, [x0, #64]
	ldp	x29, x30, [x0, #80]
	ldr	x9, [x0, #96]
	mov	sp, x9
	mov	x0, x1
	ret
