/* SPDX-License-Identifier: MIT */
/*
 * The EL1 guest. It runs with stage 1 off (SCTLR_EL1.M=0: VA = IPA, data
 * accesses Device-nGnRnE, so every access here is naturally aligned) from
 * its own page(s), which the hypervisor maps on demand like everything
 * else. It talks to the hypervisor with HVC:
 *   hvc #0   exit, x0 = status
 *   hvc #1   report x0 = key, x1 = value (keys in guest.c)
 *   hvc #2   guest-side EL1 exception: x0 = ESR_EL1, x1 = ELR_EL1,
 *            x2 = FAR_EL1, x3 = vector index
 *   hvc #3   move the first RAM page to another host page
 *   hvc #4   unmap the RAM page 2 MiB in
 *
 * Entry: x0 = RAM IPA, x1 = RAM size, x2 = stride, x3 = device IPA,
 * x4 = an IPA no memslot covers, x5 = pattern key.
 */
	.section .guest.text, "ax"

	.macro	gvec idx
	.balign	0x80
	mrs	x0, esr_el1
	mrs	x1, elr_el1
	mrs	x2, far_el1
	mov	x3, #\idx
	hvc	#2
	b	.
	.endm

	.balign	2048
el2_guest_vectors:
	gvec	0
	gvec	1
	gvec	2
	gvec	3
	gvec	4
	gvec	5
	gvec	6
	gvec	7
	gvec	8
	gvec	9
	gvec	10
	gvec	11
	gvec	12
	gvec	13
	gvec	14
	gvec	15

	.global el2_guest_entry
el2_guest_entry:
	adr	x9, el2_guest_vectors
	msr	vbar_el1, x9
	isb
	mov	x19, x0			/* RAM */
	mov	x20, x1			/* size */
	mov	x21, x2			/* stride */
	mov	x22, x3			/* device */
	mov	x23, x4			/* hole */
	mov	x24, x5			/* key */

	/* Pass 1: every stride, the word (IPA ^ key) and its complement. */
	mov	x10, xzr
	mov	x14, xzr		/* pages touched */
1:	add	x11, x19, x10
	eor	x12, x11, x24
	str	x12, [x11]
	mvn	x13, x12
	str	x13, [x11, #8]
	add	x14, x14, #1
	add	x10, x10, x21
	cmp	x10, x20
	b.lo	1b

	/* Pass 2: read them back. */
	mov	x10, xzr
	mov	x15, xzr		/* mismatches */
2:	add	x11, x19, x10
	eor	x12, x11, x24
	ldr	x13, [x11]
	cmp	x13, x12
	cinc	x15, x15, ne
	mvn	x12, x12
	ldr	x13, [x11, #8]
	cmp	x13, x12
	cinc	x15, x15, ne
	add	x10, x10, x21
	cmp	x10, x20
	b.lo	2b

	mov	x0, #1			/* key 1: mismatches */
	mov	x1, x15
	hvc	#1
	mov	x0, #5			/* key 5: pages touched */
	mov	x1, x14
	hvc	#1

	/* The device: virtio-mmio MagicValue ("virt"). */
	ldr	w1, [x22]
	mov	x0, #2
	hvc	#1

	/* No memslot here: an MMIO read and an MMIO write. */
	ldr	x1, [x23]
	mov	x0, #3
	hvc	#1
	str	x24, [x23, #8]

	/* Execute from the device: stage-2 permission fault (XN, K3); the
	 * hypervisor resumes at the return address. */
	blr	x22
	mov	x0, #4
	mov	x1, #1
	hvc	#1

	/* Code in RAM, half a stride in (a page pass 1 did not touch):
	 * "movz x0, #42; ret", made visible to instruction fetches, then
	 * called. Data access maps it without X; the call is a stage-2
	 * permission fault the hypervisor answers by adding X (K3). */
	lsr	x10, x21, #1
	add	x11, x19, x10
	movz	x12, #0x0540
	movk	x12, #0xd280, lsl #16
	movk	x12, #0x03c0, lsl #32
	movk	x12, #0xd65f, lsl #48
	str	x12, [x11]
	dc	cvau, x11
	dsb	ish
	ic	ivau, x11
	dsb	ish
	isb
	mov	x0, xzr
	blr	x11
	mov	x1, x0
	mov	x0, #6			/* key 6: what the RAM code returned */
	hvc	#1

	/* TLB maintenance as the guest sees it: a page it has just read is
	 * moved to another host page, then read again; a page 2 MiB in is
	 * read, unmapped and read again (a fresh fault maps it back). */
	ldr	x1, [x19, #16]
	mov	x0, #7			/* key 7: before the move */
	hvc	#1
	hvc	#3
	ldr	x1, [x19, #16]
	mov	x0, #8			/* key 8: after the move */
	hvc	#1
	add	x11, x19, #0x200000
	ldr	x1, [x11]
	hvc	#4
	ldr	x1, [x11]
	mov	x0, #9			/* key 9: after unmap and refault */
	hvc	#1

	mov	x0, xzr
	hvc	#0
3:	b	3b
