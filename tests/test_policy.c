// SPDX-License-Identifier: MIT
/*
 * Tests of s2mt_policy() (src/core/policy.c): the stage-2 decision of
 * KVM/arm64's user_mem_abort() and the per-VMA checks of
 * kvm_arch_prepare_memory_region(), per kernel era.
 *
 * The reference below is written from SPEC.md (K1, K2, K3, K6, K7, M1, M3,
 * H3) and the kernel code paths the SPEC restates, not from the
 * implementation. It is compared exhaustively over every combination of the
 * inputs that matter: op x era x memory class x VMA flags x AttrIndx x
 * access x host FWB/DIC x VM MTE x slot flags.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <s2mt/core.h>

#define VMA_START 0x7f0000000000ull
#define VMA_END 0x7f0040000000ull

/* H2: the flags H4's drivers set on a remap_pfn_range() VMA. */
#define PFN_FLAGS                                                              \
	(S2MT_VM_IO | S2MT_VM_PFNMAP | S2MT_VM_DONTEXPAND | S2MT_VM_DONTDUMP)

#define expect(cond, ...)                                                      \
	do {                                                                   \
		if (!(cond)) {                                                 \
			char m_[1024];                                         \
			snprintf(m_, sizeof(m_), __VA_ARGS__);                 \
			fail_msg("%s:%d: expected %s: %s", __FILE__, __LINE__, \
				 #cond, m_);                                   \
		}                                                              \
	} while (0)

/* ------------------------------------------------------------------ */
/* The reference, from SPEC.md                                         */
/* ------------------------------------------------------------------ */

/* H3: kvm_vma_is_cacheable(): not NORMAL_NC, DEVICE_nGnRnE, DEVICE_nGnRE. */
static bool ref_cacheable(unsigned idx)
{
	switch (idx) {
	case S2MT_MT_IDX_NORMAL_NC:
	case S2MT_MT_IDX_DEVICE_nGnRnE:
	case S2MT_MT_IDX_DEVICE_nGnRE:
		return false;
	default:
		return true;
	}
}

struct ref_out {
	int err;
	const char *rule; /* the rule that must decide; NULL: any rule */
	uint8_t type, perm;
	bool device, force_nc, cacheable_pfnmap;
};

/*
 * The designs (SPEC D1-D4, docs/designs-sources.md), as a reviewer would
 * write each from its mail: what memslot bit 3 or the driver's VMA flag
 * must agree with at registration.
 */
static const char *ref_design_register(const struct s2mt_policy_in *in)
{
	bool cacheable = ref_cacheable(in->attrindx);
	bool bit3 = in->slot_flags & S2MT_MEM_CACHEABLE_PFNMAP;
	bool vouched = in->vm_flags & S2MT_VM_FORCE_CACHEABLE;

	switch (in->design) {
	case S2MT_DESIGN_D1: /* v4-v6: the flag enables cacheable PFNMAP */
		return cacheable && !bit3 ? "D1" : NULL;
	case S2MT_DESIGN_D2: /* the flag promises WB: never over NC */
		return !cacheable && bit3 ? "D2" : NULL;
	case S2MT_DESIGN_D3: /* noncacheable(vma) != !flag -> -EINVAL */
		return cacheable != bit3 ? "D3" : NULL;
	case S2MT_DESIGN_D4: /* the driver vouches exactly for cacheable */
		return cacheable != vouched ? "D4" : NULL;
	default:
		return NULL;
	}
}

static void ref_register(const struct s2mt_policy_in *in, struct ref_out *r)
{
	bool pfnmap = in->vm_flags & S2MT_VM_PFNMAP;
	bool both = in->host.fwb && in->host.dic;

	/* M3, in the kernel's order (kvm_arch_prepare_memory_region). */
	if (in->vm_mte && !(in->vm_flags & S2MT_VM_MTE_ALLOWED)) {
		r->err = -S2MT_EINVAL; /* K6 */
		r->rule = "K6";
	} else if (pfnmap && (in->slot_flags & S2MT_MEM_LOG_DIRTY_PAGES)) {
		r->err = -S2MT_EINVAL; /* K7 */
		r->rule = "K7";
	} else if (pfnmap && ref_design_register(in)) {
		r->err = -S2MT_EINVAL;
		r->rule = ref_design_register(in);
	} else if (in->era >= S2MT_ERA_6_17 && pfnmap &&
		   ref_cacheable(in->attrindx) && !both) {
		r->err = -S2MT_EINVAL; /* M3, 6.17 */
		r->rule = "M3";
	}
}

static void ref_fault(const struct s2mt_policy_in *in, struct ref_out *r)
{
	bool e69 = in->era >= S2MT_ERA_6_9, e617 = in->era >= S2MT_ERA_6_17;
	bool pfnmap = in->vm_flags & S2MT_VM_PFNMAP;
	bool mixed = in->vm_flags & S2MT_VM_MIXEDMAP;
	bool any_uc = in->vm_flags & S2MT_VM_ALLOW_ANY_UNCACHED;
	bool mte_ok = in->vm_flags & S2MT_VM_MTE_ALLOWED;
	bool vma_w = in->vm_flags & S2MT_VM_WRITE;
	bool cacheable = ref_cacheable(in->attrindx);
	bool both = in->host.fwb && in->host.dic;
	bool outside = in->memclass == S2MT_MEM_PFN_OUTSIDE;
	bool logging = in->slot_flags & S2MT_MEM_LOG_DIRTY_PAGES;
	bool ro = in->slot_flags & S2MT_MEM_READONLY;
	bool wr = in->access == S2MT_ACCESS_WRITE;
	bool ex = in->access == S2MT_ACCESS_EXEC;
	bool device, force_nc;

	/* M1: a write to a READONLY slot is an MMIO exit, not a fault. */
	if (wr && ro) {
		r->err = -S2MT_EINVAL;
		r->rule = "M1";
		return;
	}
	/* The PFN lookup (GUP, or fixup_user_fault for PFNMAP) fails on a
	 * PROT_NONE VMA for reads and instruction fetches alike. */
	if (!wr && !(in->vm_flags & S2MT_VM_READ)) {
		r->err = -S2MT_EFAULT;
		r->rule = NULL;
		return;
	}
	/* The PFN lookup with FOLL_WRITE fails on a read-only VMA. */
	if (wr && !vma_w) {
		r->err = -S2MT_EFAULT;
		r->rule = NULL;
		return;
	}
	/* K1 */
	device = e617 ? (pfnmap || mixed) && outside : outside;
	/* D4: a cacheable PFNMAP its driver did not vouch for. */
	if (in->design == S2MT_DESIGN_D4 && e617 && device && cacheable &&
	    !(in->vm_flags & S2MT_VM_FORCE_CACHEABLE)) {
		r->err = -S2MT_EFAULT;
		r->rule = "D4";
		return;
	}
	/* K2: 6.8/6.9 every device PFN, 6.17 device-like and non-cacheable. */
	force_nc = device && (!e617 || !cacheable);
	if (e617 && device && cacheable && !both) {
		r->err = -S2MT_EFAULT;
		r->rule = "K2";
		return;
	}
	/* D2, D3: the slot promises WB, so never a non-cacheable stage 2. */
	if ((in->design == S2MT_DESIGN_D2 || in->design == S2MT_DESIGN_D3) &&
	    e617 && force_nc && (in->slot_flags & S2MT_MEM_CACHEABLE_PFNMAP)) {
		r->err = -S2MT_EFAULT;
		r->rule = s2mt_design_name(in->design);
		return;
	}
	/* K3 */
	if (ex && force_nc) {
		r->err = -S2MT_ENOEXEC;
		r->rule = "K3";
		return;
	}
	/* K6 */
	if (in->vm_mte && !force_nc && !mte_ok) {
		r->err = -S2MT_EFAULT;
		r->rule = "K6";
		return;
	}
	r->device = device;
	r->force_nc = force_nc;
	r->cacheable_pfnmap = e617 && device && cacheable;
	if (force_nc && in->design == S2MT_DESIGN_NC_BLANKET)
		r->type = S2MT_MT_NORMAL_NC; /* whatever the VMA says */
	else if (force_nc)
		r->type = any_uc && e69 ? S2MT_MT_NORMAL_NC : S2MT_MT_DEVICE;
	else
		r->type = S2MT_MT_NORMAL;
	r->perm = S2MT_PROT_R;
	/* K7: while logging, W only on a write fault (device memory is not
	 * logged); never on a READONLY slot or a read-only VMA. */
	if (vma_w && !ro && (!logging || wr || device))
		r->perm |= S2MT_PROT_W;
	/* K3: X on an exec fault, or pre-emptively with DIC; never for
	 * Device/Normal-NC. */
	if (!force_nc && (ex || in->host.dic))
		r->perm |= S2MT_PROT_X;
}

static void reference(const struct s2mt_policy_in *in, struct ref_out *r)
{
	memset(r, 0, sizeof(*r));
	if (in->op == S2MT_POLICY_REGISTER)
		ref_register(in, r);
	else
		ref_fault(in, r);
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static const uint64_t flag_bits[] = {
	S2MT_VM_PFNMAP,	     S2MT_VM_MIXEDMAP, S2MT_VM_ALLOW_ANY_UNCACHED,
	S2MT_VM_MTE_ALLOWED, S2MT_VM_WRITE,    S2MT_VM_READ,
};
#define NR_FLAG_BITS (sizeof(flag_bits) / sizeof(flag_bits[0]))

static const unsigned accesses[] = { S2MT_ACCESS_READ, S2MT_ACCESS_WRITE,
				     S2MT_ACCESS_EXEC };

static const uint32_t slot_flag_bits[] = { S2MT_MEM_LOG_DIRTY_PAGES,
					   S2MT_MEM_READONLY };

static void describe(const struct s2mt_policy_in *in, char *buf, size_t len)
{
	snprintf(buf, len,
		 "op=%s design=%s era=%s memclass=%u vm_flags=%#" PRIx64
		 " attrindx=%s access=%u fwb=%d dic=%d vm_mte=%d "
		 "slot_flags=%#x",
		 in->op == S2MT_POLICY_FAULT ? "fault" : "register",
		 s2mt_design_name(in->design), s2mt_era_name(in->era),
		 in->memclass, in->vm_flags, s2mt_attrindx_name(in->attrindx),
		 in->access, in->host.fwb, in->host.dic, in->vm_mte,
		 in->slot_flags);
}

static struct s2mt_policy_in base_in(unsigned op, unsigned era)
{
	struct s2mt_policy_in in = {
		.op = (uint8_t)op,
		.era = (uint8_t)era,
		.vma_start = VMA_START,
		.vma_end = VMA_END,
	};

	return in;
}

static void run(const struct s2mt_policy_in *in, struct s2mt_policy_out *out)
{
	int rc;

	memset(out, 0xa5, sizeof(*out));
	rc = s2mt_policy(in, out);
	expect(rc == out->err, "return %d != out->err %d", rc, out->err);
}

static void check_refusal_text(const struct s2mt_policy_out *out,
			       const char *ctx)
{
	expect(out->rule && out->rule[0], "%s: refusal without a rule", ctx);
	expect(strnlen(out->reason, sizeof(out->reason)) > 0 &&
		       strnlen(out->reason, sizeof(out->reason)) <
			       sizeof(out->reason),
	       "%s: refusal with an empty/unterminated reason", ctx);
	expect(strstr(out->reason, out->rule) != NULL,
	       "%s: reason \"%s\" does not name rule %s", ctx, out->reason,
	       out->rule);
}

/* ------------------------------------------------------------------ */
/* The exhaustive comparison                                           */
/* ------------------------------------------------------------------ */

static int compare_one(const struct s2mt_policy_in *in)
{
	struct s2mt_policy_out out, again;
	struct ref_out r;
	char ctx[256];

	reference(in, &r);
	run(in, &out);
	describe(in, ctx, sizeof(ctx));
	expect(out.err == r.err, "%s: err %d (%s), reference %d (%s); %s", ctx,
	       out.err, s2mt_errno_name(-out.err), r.err,
	       s2mt_errno_name(-r.err), out.reason);
	if (r.err) {
		check_refusal_text(&out, ctx);
		if (r.rule)
			expect(!strcmp(out.rule, r.rule),
			       "%s: decided by %s, reference %s (%s)", ctx,
			       out.rule, r.rule, out.reason);
	} else if (in->op == S2MT_POLICY_FAULT) {
		expect(out.prot.type == r.type, "%s: type %s, reference %s",
		       ctx, s2mt_mtype_name(out.prot.type),
		       s2mt_mtype_name(r.type));
		expect(out.prot.perm == r.perm, "%s: perm %#x, reference %#x",
		       ctx, out.prot.perm, r.perm);
		expect(out.device == r.device, "%s: device %d, reference %d",
		       ctx, out.device, r.device);
		expect(out.force_noncacheable == r.force_nc,
		       "%s: force_noncacheable %d, reference %d", ctx,
		       out.force_noncacheable, r.force_nc);
		expect(out.cacheable_pfnmap == r.cacheable_pfnmap,
		       "%s: cacheable_pfnmap %d, reference %d", ctx,
		       out.cacheable_pfnmap, r.cacheable_pfnmap);
		/* K4: force-non-cacheable mappings are never upgraded late. */
		expect(out.no_block_upgrade == r.force_nc,
		       "%s: no_block_upgrade %d, reference %d", ctx,
		       out.no_block_upgrade, r.force_nc);
		/* K3: whatever the policy picks, the table code accepts. */
		expect(s2mt_prot_check(out.prot, in->host.fwb, NULL) == 0,
		       "%s: the table code refuses prot type %s perm %#x", ctx,
		       s2mt_mtype_name(out.prot.type), out.prot.perm);
	}
	/* Without the sentence: the same decision, and no text at all. */
	{
		struct s2mt_policy_in quiet = *in;

		quiet.no_reason = true;
		run(&quiet, &again);
		expect(again.err == out.err &&
			       !strcmp(again.rule ? again.rule : "",
				       out.rule ? out.rule : "") &&
			       again.reason[0] == '\0' &&
			       !memcmp(&again.prot, &out.prot,
				       sizeof(out.prot)) &&
			       again.device == out.device &&
			       again.force_noncacheable ==
				       out.force_noncacheable &&
			       again.cacheable_pfnmap == out.cacheable_pfnmap &&
			       again.no_block_upgrade == out.no_block_upgrade,
		       "%s: no_reason changes the answer (%s)", ctx,
		       again.reason);
	}
	/* Pure: the same question gets the same answer. */
	run(in, &again);
	expect(again.err == out.err && !strcmp(again.reason, out.reason) &&
		       (out.err || in->op != S2MT_POLICY_FAULT ||
			(again.prot.type == out.prot.type &&
			 again.prot.perm == out.prot.perm)),
	       "%s: not deterministic", ctx);
	return out.err;
}

/* Decode case number n into an input (mixed radix over every dimension). */
#define NR_CASES                                                               \
	(2ul * S2MT_ERA_COUNT_ * 3 * (1u << NR_FLAG_BITS) *                    \
	 S2MT_MT_IDX_COUNT_ * 3 * 4 * 2 * 4)

static struct s2mt_policy_in case_in(unsigned long n)
{
	struct s2mt_policy_in in;
	unsigned op, era, mc, fs, idx, a, hc, mte, sf;

	sf = n % 4, n /= 4;
	mte = n % 2, n /= 2;
	hc = n % 4, n /= 4;
	a = n % 3, n /= 3;
	idx = n % S2MT_MT_IDX_COUNT_, n /= S2MT_MT_IDX_COUNT_;
	fs = n % (1u << NR_FLAG_BITS), n /= 1u << NR_FLAG_BITS;
	mc = n % 3, n /= 3;
	era = n % S2MT_ERA_COUNT_, n /= S2MT_ERA_COUNT_;
	op = (unsigned)n;

	in = base_in(op ? S2MT_POLICY_REGISTER : S2MT_POLICY_FAULT, era);
	in.memclass = (uint8_t)mc; /* RAM, HUGETLB, PFN_OUTSIDE */
	for (unsigned b = 0; b < NR_FLAG_BITS; b++)
		if (fs & (1u << b))
			in.vm_flags |= flag_bits[b];
	in.attrindx = (uint8_t)idx;
	in.access = (uint8_t)accesses[a];
	in.host.fwb = hc & 1;
	in.host.dic = (hc & 2) != 0;
	in.vm_mte = mte;
	for (unsigned b = 0; b < 2; b++)
		if (sf & (1u << b))
			in.slot_flags |= slot_flag_bits[b];
	return in;
}

static void test_policy_exhaustive_vs_reference(void **state)
{
	unsigned long counts[4] = { 0 }, ops[2] = { 0 };

	(void)state;
	/* 2 ops x 3 eras x 3 classes x 32 x 5 x 3 x 4 x 2 x 4 */
	assert_int_equal(NR_CASES, 552960);
	for (unsigned long n = 0; n < NR_CASES; n++) {
		struct s2mt_policy_in in = case_in(n);
		int err = compare_one(&in);

		ops[in.op == S2MT_POLICY_REGISTER]++;
		if (err == -S2MT_EFAULT)
			counts[0]++;
		else if (err == -S2MT_EINVAL)
			counts[1]++;
		else if (err == -S2MT_ENOEXEC)
			counts[2]++;
		else
			counts[3]++;
	}
	expect(ops[0] == ops[1], "%lu faults, %lu registrations", ops[0],
	       ops[1]);
	/* Every outcome is exercised. */
	expect(counts[0] && counts[1] && counts[2] && counts[3],
	       "EFAULT %lu EINVAL %lu ENOEXEC %lu ok %lu", counts[0], counts[1],
	       counts[2], counts[3]);
}

/*
 * Every design other than merged, on every era from its base, over what
 * the designs look at: PFNMAP/MIXEDMAP, VM_ALLOW_ANY_UNCACHED and
 * VM_FORCE_CACHEABLE, the stage-1 index, memslot bit 3 and dirty logging,
 * the host's FWB/DIC, the access (VMA R/W fixed on, MTE off: the merged
 * test covers those, and no design changes them).
 */
static const uint64_t design_flag_bits[] = {
	S2MT_VM_PFNMAP,
	S2MT_VM_MIXEDMAP,
	S2MT_VM_ALLOW_ANY_UNCACHED,
	S2MT_VM_FORCE_CACHEABLE,
};
#define NR_DESIGN_FLAGS (sizeof(design_flag_bits) / sizeof(design_flag_bits[0]))

static void test_designs_exhaustive_vs_reference(void **state)
{
	unsigned long cases = 0, by_rule[S2MT_DESIGN_COUNT_] = { 0 };

	(void)state;
	for (unsigned d = 1; d < S2MT_DESIGN_COUNT_; d++)
		for (unsigned era = s2mt_design_base_era(d);
		     era < S2MT_ERA_COUNT_; era++)
			for (unsigned n = 0;
			     n < 2u * 3 * (1u << NR_DESIGN_FLAGS) *
				     S2MT_MT_IDX_COUNT_ * 4 * 4 * 3;
			     n++) {
				unsigned k = n, op, mc, fs, idx, sf, hc, a;
				struct s2mt_policy_in in;
				struct s2mt_policy_out out;

				a = k % 3, k /= 3;
				hc = k % 4, k /= 4;
				sf = k % 4, k /= 4;
				idx = k % S2MT_MT_IDX_COUNT_,
				k /= S2MT_MT_IDX_COUNT_;
				fs = k % (1u << NR_DESIGN_FLAGS),
				k /= 1u << NR_DESIGN_FLAGS;
				mc = k % 3, k /= 3;
				op = k;
				in = base_in(op ? S2MT_POLICY_REGISTER
						: S2MT_POLICY_FAULT,
					     era);
				in.design = (uint8_t)d;
				in.memclass = (uint8_t)mc;
				in.vm_flags = S2MT_VM_READ | S2MT_VM_WRITE;
				for (unsigned b = 0; b < NR_DESIGN_FLAGS; b++)
					if (fs & (1u << b))
						in.vm_flags |=
							design_flag_bits[b];
				in.attrindx = (uint8_t)idx;
				in.access = (uint8_t)accesses[a];
				in.host.fwb = hc & 1;
				in.host.dic = (hc & 2) != 0;
				if (sf & 1)
					in.slot_flags |=
						S2MT_MEM_LOG_DIRTY_PAGES;
				if (sf & 2)
					in.slot_flags |=
						S2MT_MEM_CACHEABLE_PFNMAP;
				compare_one(&in);
				run(&in, &out);
				if (out.err && out.rule &&
				    !strcmp(out.rule, s2mt_design_name(d)))
					by_rule[d]++;
				cases++;
			}
	expect(cases > 100000, "only %lu cases", cases);
	/* The designs that refuse on their own account do so somewhere. */
	expect(by_rule[S2MT_DESIGN_D1] && by_rule[S2MT_DESIGN_D2] &&
		       by_rule[S2MT_DESIGN_D3],
	       "D1 %lu D2 %lu D3 %lu refusals", by_rule[S2MT_DESIGN_D1],
	       by_rule[S2MT_DESIGN_D2], by_rule[S2MT_DESIGN_D3]);
}

/* Named cases, one per argument in the threads (docs/designs.md). */
static void test_designs_named(void **state)
{
	struct s2mt_policy_in in = base_in(S2MT_POLICY_REGISTER, S2MT_ERA_6_17);
	struct s2mt_policy_out out;

	(void)state;
	in.host = (struct s2mt_host_caps){ .fwb = true, .dic = true };
	in.vm_flags = PFN_FLAGS | S2MT_VM_READ | S2MT_VM_WRITE;
	in.attrindx = S2MT_MT_IDX_NORMAL; /* nvgrace usemem */

	/* D1 and D3: a VMM that does not know the device is refused. */
	in.design = S2MT_DESIGN_D1;
	run(&in, &out);
	assert_int_equal(out.err, -S2MT_EINVAL);
	assert_string_equal(out.rule, "D1");
	in.design = S2MT_DESIGN_D3;
	run(&in, &out);
	assert_string_equal(out.rule, "D3");
	/* D2: the flag is optional over cacheable memory. */
	in.design = S2MT_DESIGN_D2;
	run(&in, &out);
	assert_int_equal(out.err, 0);
	/* D2 and D3: the flag over a non-cacheable BAR is refused. */
	in.attrindx = S2MT_MT_IDX_DEVICE_nGnRE;
	in.slot_flags = S2MT_MEM_CACHEABLE_PFNMAP;
	run(&in, &out);
	assert_int_equal(out.err, -S2MT_EINVAL);
	assert_string_equal(out.rule, "D2");
	in.design = S2MT_DESIGN_D1; /* D1 never looks at it there */
	run(&in, &out);
	assert_int_equal(out.err, 0);

	/* D4: a cacheable PFNMAP its driver did not vouch for (/dev/mem
	 * over hidden RAM) is refused, at the fault too. */
	in = base_in(S2MT_POLICY_FAULT, S2MT_ERA_6_17);
	in.design = S2MT_DESIGN_D4;
	in.host = (struct s2mt_host_caps){ .fwb = true, .dic = true };
	in.memclass = S2MT_MEM_PFN_OUTSIDE;
	in.vm_flags = PFN_FLAGS | S2MT_VM_READ | S2MT_VM_WRITE;
	in.attrindx = S2MT_MT_IDX_NORMAL;
	in.access = S2MT_ACCESS_READ;
	run(&in, &out);
	assert_int_equal(out.err, -S2MT_EFAULT);
	assert_string_equal(out.rule, "D4");
	in.vm_flags |= S2MT_VM_FORCE_CACHEABLE;
	run(&in, &out);
	assert_int_equal(out.prot.type, S2MT_MT_NORMAL);

	/* D2: a slot that promises WB over a VMA that turned out
	 * non-cacheable (moved under the slot) fails the fault. */
	in.design = S2MT_DESIGN_D2;
	in.vm_flags = PFN_FLAGS | S2MT_VM_READ | S2MT_VM_ALLOW_ANY_UNCACHED;
	in.attrindx = S2MT_MT_IDX_DEVICE_nGnRE;
	in.slot_flags = S2MT_MEM_CACHEABLE_PFNMAP;
	run(&in, &out);
	assert_int_equal(out.err, -S2MT_EFAULT);
	assert_string_equal(out.rule, "D2");
	/* D1 never looked at its flag at fault time (v4-v6). */
	in.design = S2MT_DESIGN_D1;
	run(&in, &out);
	assert_int_equal(out.err, 0);
	assert_int_equal(out.prot.type, S2MT_MT_NORMAL_NC);

	/* nc-blanket: Normal-NC without VM_ALLOW_ANY_UNCACHED (Will
	 * Deacon's objection: every device, PCI or not). */
	in = base_in(S2MT_POLICY_FAULT, S2MT_ERA_6_9);
	in.design = S2MT_DESIGN_NC_BLANKET;
	in.memclass = S2MT_MEM_PFN_OUTSIDE;
	in.vm_flags = PFN_FLAGS | S2MT_VM_READ;
	in.attrindx = S2MT_MT_IDX_DEVICE_nGnRE;
	in.access = S2MT_ACCESS_READ;
	run(&in, &out);
	assert_int_equal(out.prot.type, S2MT_MT_NORMAL_NC);
	in.design = S2MT_DESIGN_MERGED;
	run(&in, &out);
	assert_int_equal(out.prot.type, S2MT_MT_DEVICE);
}

/* ------------------------------------------------------------------ */
/* Named cases (the seed scenarios)                                    */
/* ------------------------------------------------------------------ */

static const struct s2mt_host_caps grace = { .fwb = true,
					     .dic = true,
					     .idc = true };
static const struct s2mt_host_caps fwb_only = { .fwb = true, .idc = true };
static const struct s2mt_host_caps dic_only = { .dic = true, .idc = true };
static const struct s2mt_host_caps nothing = { 0 };

/* H4: a vfio-pci BAR VMA (VM_ALLOW_ANY_UNCACHED from 6.9). */
static struct s2mt_policy_in bar_in(unsigned era, unsigned access)
{
	struct s2mt_policy_in in = base_in(S2MT_POLICY_FAULT, era);

	in.host = grace;
	in.memclass = S2MT_MEM_PFN_OUTSIDE;
	in.vm_flags = PFN_FLAGS | S2MT_VM_SHARED | S2MT_VM_READ |
		S2MT_VM_WRITE | S2MT_VM_ALLOW_ANY_UNCACHED;
	in.attrindx = S2MT_MT_IDX_DEVICE_nGnRnE;
	in.access = (uint8_t)access;
	return in;
}

/* H4: nvgrace-gpu usemem: PFNMAP, default (cacheable) prot, outside. */
static struct s2mt_policy_in usemem_in(unsigned era, unsigned access,
				       struct s2mt_host_caps caps)
{
	struct s2mt_policy_in in = base_in(S2MT_POLICY_FAULT, era);

	in.host = caps;
	in.memclass = S2MT_MEM_PFN_OUTSIDE;
	in.vm_flags = PFN_FLAGS | S2MT_VM_SHARED | S2MT_VM_READ | S2MT_VM_WRITE;
	in.attrindx = S2MT_MT_IDX_NORMAL;
	in.access = (uint8_t)access;
	return in;
}

static void test_K2_6_9_vfio_bar_normal_nc(void **state)
{
	struct s2mt_policy_out out;

	(void)state;
	for (unsigned era = S2MT_ERA_6_9; era < S2MT_ERA_COUNT_; era++) {
		struct s2mt_policy_in in = bar_in(era, S2MT_ACCESS_READ);

		run(&in, &out);
		assert_int_equal(out.err, 0);
		assert_int_equal(out.prot.type, S2MT_MT_NORMAL_NC);
		/* Not executable even with DIC (K3); writable (device PFNs
		 * are never write-protected for logging). */
		assert_int_equal(out.prot.perm, S2MT_PROT_RW);
		assert_true(out.device);
		assert_true(out.force_noncacheable);
		assert_false(out.cacheable_pfnmap);
		/* Without VM_ALLOW_ANY_UNCACHED: Device. */
		in.vm_flags &= ~S2MT_VM_ALLOW_ANY_UNCACHED;
		run(&in, &out);
		assert_int_equal(out.err, 0);
		assert_int_equal(out.prot.type, S2MT_MT_DEVICE);
	}
}

static void test_K2_6_8_vfio_bar_device(void **state)
{
	struct s2mt_policy_in in = bar_in(S2MT_ERA_6_8, S2MT_ACCESS_WRITE);
	struct s2mt_policy_out out;

	(void)state;
	/* 6.8 ignores VM_ALLOW_ANY_UNCACHED even if a VMA had it. */
	run(&in, &out);
	assert_int_equal(out.err, 0);
	assert_int_equal(out.prot.type, S2MT_MT_DEVICE);
	assert_int_equal(out.prot.perm, S2MT_PROT_RW);
	assert_true(out.device);
	assert_true(out.force_noncacheable);
	/* ... and the VMA's pgprot: a cacheable VMA over device PFNs is
	 * Device as well (K1: the pgprot is ignored before 6.17). */
	in.attrindx = S2MT_MT_IDX_NORMAL;
	run(&in, &out);
	assert_int_equal(out.err, 0);
	assert_int_equal(out.prot.type, S2MT_MT_DEVICE);
}

static void test_K2_6_9_usemem_is_device(void **state)
{
	struct s2mt_policy_in in =
		usemem_in(S2MT_ERA_6_9, S2MT_ACCESS_READ, grace);
	struct s2mt_policy_out out;

	(void)state;
	/* The mismatch 6.17 fixed: cacheable host VMA, Device stage 2. */
	run(&in, &out);
	assert_int_equal(out.err, 0);
	assert_int_equal(out.prot.type, S2MT_MT_DEVICE);
	assert_true(out.force_noncacheable);
	assert_false(out.cacheable_pfnmap);
	/* And the registration is accepted before 6.17 on any host. */
	in.op = S2MT_POLICY_REGISTER;
	in.host = nothing;
	run(&in, &out);
	assert_int_equal(out.err, 0);
}

static void test_K2_6_17_usemem_wb_with_fwb_dic(void **state)
{
	struct s2mt_policy_in in =
		usemem_in(S2MT_ERA_6_17, S2MT_ACCESS_READ, grace);
	struct s2mt_policy_out out;

	(void)state;
	run(&in, &out);
	assert_int_equal(out.err, 0);
	assert_int_equal(out.prot.type, S2MT_MT_NORMAL);
	/* RW, and X pre-emptively because of DIC (K3). */
	assert_int_equal(out.prot.perm, S2MT_PROT_RWX);
	assert_true(out.device);
	assert_false(out.force_noncacheable);
	assert_true(out.cacheable_pfnmap);
	assert_false(out.no_block_upgrade);
	/* An exec fault is fine too: the mapping is cacheable. */
	in.access = S2MT_ACCESS_EXEC;
	run(&in, &out);
	assert_int_equal(out.err, 0);
	assert_true(out.prot.perm & S2MT_PROT_X);
	/* Tagged host memory type is cacheable too (H3). */
	in.attrindx = S2MT_MT_IDX_NORMAL_TAGGED;
	run(&in, &out);
	assert_int_equal(out.err, 0);
	assert_int_equal(out.prot.type, S2MT_MT_NORMAL);
	/* Registration accepted. */
	in.op = S2MT_POLICY_REGISTER;
	run(&in, &out);
	assert_int_equal(out.err, 0);
}

static void test_K2_6_17_usemem_efault_without_dic(void **state)
{
	const struct s2mt_host_caps *hosts[] = { &fwb_only, &dic_only,
						 &nothing };

	(void)state;
	for (size_t h = 0; h < 3; h++)
		for (unsigned a = 0; a < 3; a++) {
			struct s2mt_policy_in in = usemem_in(
				S2MT_ERA_6_17, accesses[a], *hosts[h]);
			struct s2mt_policy_out out;

			run(&in, &out);
			expect(out.err == -S2MT_EFAULT,
			       "host %zu access %u: %d", h, accesses[a],
			       out.err);
			expect(out.rule && !strcmp(out.rule, "K2"),
			       "host %zu: rule %s", h, out.rule);
			check_refusal_text(&out, "usemem fault");
			/* The registration is refused up front (M3). */
			in.op = S2MT_POLICY_REGISTER;
			run(&in, &out);
			assert_int_equal(out.err, -S2MT_EINVAL);
			assert_string_equal(out.rule, "M3");
		}
}

static void test_K2_6_17_non_cacheable_pfnmap_as_6_9(void **state)
{
	struct s2mt_policy_out out;

	(void)state;
	/* nvgrace resmem: NORMAL_NC + VM_ALLOW_ANY_UNCACHED -> Normal-NC on
	 * every host (no FWB/DIC needed for non-cacheable). */
	for (unsigned h = 0; h < 4; h++) {
		struct s2mt_policy_in in =
			usemem_in(S2MT_ERA_6_17, S2MT_ACCESS_READ, nothing);

		in.host.fwb = h & 1;
		in.host.dic = (h & 2) != 0;
		in.attrindx = S2MT_MT_IDX_NORMAL_NC;
		in.vm_flags |= S2MT_VM_ALLOW_ANY_UNCACHED;
		run(&in, &out);
		assert_int_equal(out.err, 0);
		assert_int_equal(out.prot.type, S2MT_MT_NORMAL_NC);
		assert_false(out.prot.perm & S2MT_PROT_X);
		in.op = S2MT_POLICY_REGISTER;
		run(&in, &out);
		assert_int_equal(out.err, 0);
	}
}

static void test_K1_6_17_needs_pfnmap_or_mixedmap(void **state)
{
	struct s2mt_policy_in in =
		usemem_in(S2MT_ERA_6_17, S2MT_ACCESS_READ, nothing);
	struct s2mt_policy_out out;

	(void)state;
	/* Outside the linear map but neither PFNMAP nor MIXEDMAP: not
	 * device-like in 6.17, ordinary Normal-WB (no FWB needed). */
	in.vm_flags &= ~S2MT_VM_PFNMAP;
	in.attrindx = S2MT_MT_IDX_DEVICE_nGnRnE;
	run(&in, &out);
	assert_int_equal(out.err, 0);
	assert_false(out.device);
	assert_int_equal(out.prot.type, S2MT_MT_NORMAL);
	/* 6.9: the same VMA is device by the PFN alone. */
	in.era = S2MT_ERA_6_9;
	run(&in, &out);
	assert_int_equal(out.err, 0);
	assert_true(out.device);
	assert_int_equal(out.prot.type, S2MT_MT_DEVICE);
	/* MIXEDMAP counts like PFNMAP in 6.17. */
	in.era = S2MT_ERA_6_17;
	in.vm_flags |= S2MT_VM_MIXEDMAP;
	run(&in, &out);
	assert_int_equal(out.err, 0);
	assert_true(out.device);
	assert_int_equal(out.prot.type, S2MT_MT_DEVICE);
	/* A PFNMAP over linear-map RAM (/dev/mem of RAM): not device, WB,
	 * whatever the VMA's pgprot. */
	for (unsigned era = 0; era < S2MT_ERA_COUNT_; era++) {
		in = usemem_in(era, S2MT_ACCESS_READ, nothing);
		in.memclass = S2MT_MEM_RAM;
		in.attrindx = S2MT_MT_IDX_DEVICE_nGnRnE;
		run(&in, &out);
		assert_int_equal(out.err, 0);
		assert_false(out.device);
		assert_int_equal(out.prot.type, S2MT_MT_NORMAL);
	}
}

static void test_K3_exec_on_force_noncacheable_enoexec(void **state)
{
	(void)state;
	for (unsigned era = 0; era < S2MT_ERA_COUNT_; era++) {
		struct s2mt_policy_in in = bar_in(era, S2MT_ACCESS_EXEC);
		struct s2mt_policy_out out;

		in.vm_flags |= S2MT_VM_EXEC;
		run(&in, &out);
		assert_int_equal(out.err, -S2MT_ENOEXEC);
		assert_string_equal(out.rule, "K3");
		check_refusal_text(&out, "exec on BAR");
		/* RAM: X on an exec fault even without DIC; on a read fault
		 * only with DIC. */
		in = usemem_in(era, S2MT_ACCESS_EXEC, nothing);
		in.memclass = S2MT_MEM_RAM;
		in.vm_flags = S2MT_VM_READ | S2MT_VM_WRITE;
		run(&in, &out);
		assert_int_equal(out.err, 0);
		assert_int_equal(out.prot.perm, S2MT_PROT_RWX);
		in.access = S2MT_ACCESS_READ;
		run(&in, &out);
		assert_int_equal(out.prot.perm, S2MT_PROT_RW);
		in.host = dic_only;
		run(&in, &out);
		assert_int_equal(out.prot.perm, S2MT_PROT_RWX);
	}
}

static void test_K6_mte(void **state)
{
	struct s2mt_policy_in in =
		usemem_in(S2MT_ERA_6_17, S2MT_ACCESS_READ, grace);
	struct s2mt_policy_out out;

	(void)state;
	in.vm_mte = true;
	/* Registration: a PFNMAP VMA never has VM_MTE_ALLOWED. */
	in.op = S2MT_POLICY_REGISTER;
	run(&in, &out);
	assert_int_equal(out.err, -S2MT_EINVAL);
	assert_string_equal(out.rule, "K6");
	check_refusal_text(&out, "K6 register");
	/* K6 comes first: also with logging and without FWB. */
	in.slot_flags = S2MT_MEM_LOG_DIRTY_PAGES;
	in.host = nothing;
	run(&in, &out);
	assert_int_equal(out.err, -S2MT_EINVAL);
	assert_string_equal(out.rule, "K6");
	/* Fault: cacheable PFNMAP without VM_MTE_ALLOWED -> -EFAULT. */
	in = usemem_in(S2MT_ERA_6_17, S2MT_ACCESS_READ, grace);
	in.vm_mte = true;
	run(&in, &out);
	assert_int_equal(out.err, -S2MT_EFAULT);
	assert_string_equal(out.rule, "K6");
	/* Force-non-cacheable is not checked for MTE at fault time. */
	in = bar_in(S2MT_ERA_6_9, S2MT_ACCESS_READ);
	in.vm_mte = true;
	run(&in, &out);
	assert_int_equal(out.err, 0);
	/* RAM with VM_MTE_ALLOWED is fine. */
	in = usemem_in(S2MT_ERA_6_8, S2MT_ACCESS_WRITE, nothing);
	in.memclass = S2MT_MEM_RAM;
	in.vm_flags = S2MT_VM_READ | S2MT_VM_WRITE | S2MT_VM_MTE_ALLOWED;
	in.vm_mte = true;
	run(&in, &out);
	assert_int_equal(out.err, 0);
	in.op = S2MT_POLICY_REGISTER;
	run(&in, &out);
	assert_int_equal(out.err, 0);
}

static void test_K7_logging(void **state)
{
	struct s2mt_policy_in in = bar_in(S2MT_ERA_6_9, S2MT_ACCESS_READ);
	struct s2mt_policy_out out;

	(void)state;
	in.op = S2MT_POLICY_REGISTER;
	in.slot_flags = S2MT_MEM_LOG_DIRTY_PAGES;
	run(&in, &out);
	assert_int_equal(out.err, -S2MT_EINVAL);
	assert_string_equal(out.rule, "K7");
	check_refusal_text(&out, "K7 register");
	/* K7 precedes M3 (6.17 cacheable PFNMAP without FWB). */
	in = usemem_in(S2MT_ERA_6_17, S2MT_ACCESS_READ, nothing);
	in.op = S2MT_POLICY_REGISTER;
	in.slot_flags = S2MT_MEM_LOG_DIRTY_PAGES;
	run(&in, &out);
	assert_int_equal(out.err, -S2MT_EINVAL);
	assert_string_equal(out.rule, "K7");
	/* RAM while logging: read faults map read-only, write faults RW. */
	in = usemem_in(S2MT_ERA_6_17, S2MT_ACCESS_READ, grace);
	in.memclass = S2MT_MEM_RAM;
	in.vm_flags = S2MT_VM_READ | S2MT_VM_WRITE;
	in.slot_flags = S2MT_MEM_LOG_DIRTY_PAGES;
	run(&in, &out);
	assert_int_equal(out.err, 0);
	assert_int_equal(out.prot.perm, S2MT_PROT_R | S2MT_PROT_X);
	in.access = S2MT_ACCESS_WRITE;
	run(&in, &out);
	assert_int_equal(out.err, 0);
	assert_int_equal(out.prot.perm, S2MT_PROT_RWX);
	/* A MIXEDMAP VMA over device PFNs may be logged, and is mapped
	 * writable on a read fault (device memory is not write-protected). */
	in = bar_in(S2MT_ERA_6_17, S2MT_ACCESS_READ);
	in.vm_flags = (in.vm_flags & ~S2MT_VM_PFNMAP) | S2MT_VM_MIXEDMAP;
	in.slot_flags = S2MT_MEM_LOG_DIRTY_PAGES;
	in.op = S2MT_POLICY_REGISTER;
	run(&in, &out);
	assert_int_equal(out.err, 0);
	in.op = S2MT_POLICY_FAULT;
	run(&in, &out);
	assert_int_equal(out.err, 0);
	assert_int_equal(out.prot.perm, S2MT_PROT_RW);
}

static void test_M1_write_to_readonly_slot(void **state)
{
	struct s2mt_policy_in in =
		usemem_in(S2MT_ERA_6_17, S2MT_ACCESS_WRITE, grace);
	struct s2mt_policy_out out;

	(void)state;
	in.memclass = S2MT_MEM_RAM;
	in.slot_flags = S2MT_MEM_READONLY;
	run(&in, &out);
	assert_int_equal(out.err, -S2MT_EINVAL);
	assert_string_equal(out.rule, "M1");
	check_refusal_text(&out, "M1");
	/* Reads of a READONLY slot map without W even on a writable VMA. */
	in.access = S2MT_ACCESS_READ;
	run(&in, &out);
	assert_int_equal(out.err, 0);
	assert_int_equal(out.prot.perm, S2MT_PROT_R | S2MT_PROT_X);
	/* A write fault on a read-only VMA is -EFAULT. */
	in.slot_flags = 0;
	in.access = S2MT_ACCESS_WRITE;
	in.vm_flags &= ~S2MT_VM_WRITE;
	run(&in, &out);
	assert_int_equal(out.err, -S2MT_EFAULT);
	check_refusal_text(&out, "write to read-only VMA");
}

static void test_M3_reason_names_vma_and_missing_feature(void **state)
{
	static const char prefix[] = "M3: VMA 0x";
	static const char mid[] =
		" is VM_PFNMAP and cacheable but the host lacks ";
	const struct s2mt_host_caps *hosts[] = { &fwb_only, &dic_only,
						 &nothing };

	(void)state;
	for (size_t h = 0; h < 3; h++) {
		struct s2mt_policy_in in =
			usemem_in(S2MT_ERA_6_17, S2MT_ACCESS_READ, *hosts[h]);
		struct s2mt_policy_out out;
		char vma[64];
		const char *lacks;

		in.op = S2MT_POLICY_REGISTER;
		in.vma_start = 0x7f1234560000ull;
		in.vma_end = 0x7f1274560000ull;
		run(&in, &out);
		assert_int_equal(out.err, -S2MT_EINVAL);
		assert_string_equal(out.rule, "M3");
		expect(!strncmp(out.reason, prefix, strlen(prefix)),
		       "reason \"%s\"", out.reason);
		snprintf(vma, sizeof(vma), "0x%" PRIx64 "-0x%" PRIx64,
			 in.vma_start, in.vma_end);
		expect(strcasestr(out.reason, vma) == out.reason + 8,
		       "reason \"%s\" does not name %s", out.reason, vma);
		lacks = strstr(out.reason, mid);
		expect(lacks != NULL, "reason \"%s\"", out.reason);
		if (!lacks)
			continue;
		lacks += strlen(mid);
		expect((strstr(lacks, "FWB") != NULL) == !hosts[h]->fwb,
		       "host fwb=%d: \"%s\"", hosts[h]->fwb, out.reason);
		expect((strstr(lacks, "DIC") != NULL) == !hosts[h]->dic,
		       "host dic=%d: \"%s\"", hosts[h]->dic, out.reason);
	}
}

/* ------------------------------------------------------------------ */
/* Helpers: eras, AttrIndx, C1                                         */
/* ------------------------------------------------------------------ */

static void test_era_parse_and_name(void **state)
{
	static const char *const names[] = { "6.8", "6.9", "6.17" };
	static const char *const bad[] = { "",	   "6",	   "6.1",  "6.10",
					   "6.16", "6.18", "6.8x", "7.0",
					   " 6.9", "6.170" };
	unsigned era;

	(void)state;
	assert_int_equal(S2MT_ERA_COUNT_, 3);
	for (unsigned i = 0; i < 3; i++) {
		assert_string_equal(s2mt_era_name(i), names[i]);
		era = 99;
		assert_int_equal(s2mt_era_parse(names[i], &era), 0);
		assert_int_equal(era, i);
	}
	assert_int_equal(S2MT_ERA_6_8, 0);
	assert_int_equal(S2MT_ERA_6_9, 1);
	assert_int_equal(S2MT_ERA_6_17, 2);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		era = 99;
		expect(s2mt_era_parse(bad[i], &era) == -S2MT_EINVAL,
		       "\"%s\" parsed", bad[i]);
		expect(era == 99, "\"%s\" wrote %u", bad[i], era);
	}
	/* Out of range: a name, not a crash. */
	assert_non_null(s2mt_era_name(S2MT_ERA_COUNT_));
	assert_non_null(s2mt_era_name(~0u));
}

static void test_attrindx_helpers(void **state)
{
	/* H1: names; A6: the MAIR bytes Linux programs (MAIR_EL1). */
	static const struct {
		unsigned idx;
		const char *name;
		uint8_t mair;
		bool cacheable; /* H3 */
	} t[] = {
		{ S2MT_MT_IDX_NORMAL, "NORMAL", 0xff, true },
		{ S2MT_MT_IDX_NORMAL_TAGGED, "NORMAL_TAGGED", 0xf0, true },
		{ S2MT_MT_IDX_NORMAL_NC, "NORMAL_NC", 0x44, false },
		{ S2MT_MT_IDX_DEVICE_nGnRnE, "DEVICE_nGnRnE", 0x00, false },
		{ S2MT_MT_IDX_DEVICE_nGnRE, "DEVICE_nGnRE", 0x04, false },
	};

	(void)state;
	assert_int_equal(S2MT_MT_IDX_COUNT_, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(t[i].idx, i);
		assert_string_equal(s2mt_attrindx_name(t[i].idx), t[i].name);
		assert_int_equal(s2mt_attrindx_mair(t[i].idx), t[i].mair);
		assert_int_equal(s2mt_attrindx_cacheable(t[i].idx),
				 t[i].cacheable);
		assert_int_equal(ref_cacheable(t[i].idx), t[i].cacheable);
	}
	/* The MAIR bytes decode to the type the name says (A6). */
	for (size_t i = 0; i < 5; i++) {
		struct s2mt_memtype mt;

		assert_int_equal(s2mt_mair_decode(t[i].mair, &mt), 0);
		assert_int_equal(s2mt_memtype_cacheable(&mt), t[i].cacheable);
		assert_int_equal(mt.device,
				 t[i].idx >= S2MT_MT_IDX_DEVICE_nGnRnE);
	}
	assert_non_null(s2mt_attrindx_name(S2MT_MT_IDX_COUNT_));
	/* Linux's H2 constants. */
	assert_true(S2MT_VM_ALLOW_ANY_UNCACHED == 1ull << 39);
	assert_true(S2MT_VM_PFNMAP == 0x400);
	assert_true(S2MT_VM_MIXEDMAP == 0x10000000);
	/* M1 */
	assert_int_equal(S2MT_MEM_LOG_DIRTY_PAGES, 1);
	assert_int_equal(S2MT_MEM_READONLY, 2);
	assert_int_equal(S2MT_MEM_GUEST_MEMFD, 4);
}

static void test_C1_host_cacheable_pfnmap(void **state)
{
	(void)state;
	for (unsigned m = 0; m < 16; m++) {
		struct s2mt_host_caps c = {
			.fwb = m & 1,
			.dic = (m & 2) != 0,
			.idc = (m & 4) != 0,
			.mte = (m & 8) != 0,
		};

		expect(s2mt_host_cacheable_pfnmap(&c) == (c.fwb && c.dic),
		       "caps %#x", m);
	}
	assert_non_null(s2mt_memclass_name(S2MT_MEM_RAM));
	assert_non_null(s2mt_memclass_name(S2MT_MEM_PFN_OUTSIDE));
	assert_non_null(s2mt_memclass_name(99));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_exhaustive_vs_reference),
		cmocka_unit_test(test_designs_exhaustive_vs_reference),
		cmocka_unit_test(test_designs_named),
		cmocka_unit_test(test_K2_6_9_vfio_bar_normal_nc),
		cmocka_unit_test(test_K2_6_8_vfio_bar_device),
		cmocka_unit_test(test_K2_6_9_usemem_is_device),
		cmocka_unit_test(test_K2_6_17_usemem_wb_with_fwb_dic),
		cmocka_unit_test(test_K2_6_17_usemem_efault_without_dic),
		cmocka_unit_test(test_K2_6_17_non_cacheable_pfnmap_as_6_9),
		cmocka_unit_test(test_K1_6_17_needs_pfnmap_or_mixedmap),
		cmocka_unit_test(test_K3_exec_on_force_noncacheable_enoexec),
		cmocka_unit_test(test_K6_mte),
		cmocka_unit_test(test_K7_logging),
		cmocka_unit_test(test_M1_write_to_readonly_slot),
		cmocka_unit_test(test_M3_reason_names_vma_and_missing_feature),
		cmocka_unit_test(test_era_parse_and_name),
		cmocka_unit_test(test_attrindx_helpers),
		cmocka_unit_test(test_C1_host_cacheable_pfnmap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
