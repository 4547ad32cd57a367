// SPDX-License-Identifier: MIT
/*
 * Unit tests for the attribute model (SPEC.md section 1, rules A3..A6).
 *
 * These tests are an independent second source: the expected values are
 * transcribed by hand from SPEC.md (A3..A6) and from the Arm ARM (DDI 0487,
 * D8.6 "Memory region attributes", MAIR_ELx.Attr<n>), never from src/.
 * The reference model below (ref_*) is written from those texts only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "s2mt/core.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define NC S2MT_CACHE_NC
#define WT S2MT_CACHE_WT
#define WB S2MT_CACHE_WB

#define NSH S2MT_SH_NSH
#define OSH S2MT_SH_OSH
#define ISH S2MT_SH_ISH
#define RSV S2MT_SH_RESERVED

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static struct s2mt_s1attr s1_on(uint8_t mair, uint8_t sh)
{
	struct s2mt_s1attr a = { .enabled = true, .mair = mair, .sh = sh };

	return a;
}

static struct s2mt_s1attr s1_off(void)
{
	struct s2mt_s1attr a = { .enabled = false, .mair = 0, .sh = NSH };

	return a;
}

static struct s2mt_s2attr s2_at(uint8_t memattr, uint8_t sh)
{
	struct s2mt_s2attr a = { .memattr = memattr, .sh = sh };

	return a;
}

static const char *pol_name(uint8_t p)
{
	switch (p) {
	case NC:
		return "NC";
	case WT:
		return "WT";
	case WB:
		return "WB";
	}
	return "pol?";
}

/* A description of a memory type for failure messages (not the API's). */
static void fmt_mt(const struct s2mt_memtype *mt, char *buf, size_t len)
{
	static const char *const dev[] = { "nGnRnE", "nGnRE", "nGRE", "GRE" };

	if (mt->device) {
		snprintf(buf, len, "Device-%s",
			 mt->dev < ARRAY_SIZE(dev) ? dev[mt->dev] : "?");
		return;
	}
	snprintf(buf, len, "Normal o:%s/r%dw%dt%d i:%s/r%dw%dt%d%s",
		 pol_name(mt->outer.policy), mt->outer.read_alloc,
		 mt->outer.write_alloc, mt->outer.transient,
		 pol_name(mt->inner.policy), mt->inner.read_alloc,
		 mt->inner.write_alloc, mt->inner.transient,
		 mt->tagged ? " tagged" : "");
}

static void fmt_in(struct s2mt_s1attr s1, struct s2mt_s2attr s2, bool fwb,
		   char *buf, size_t len)
{
	if (s1.enabled)
		snprintf(buf, len,
			 "S1 MAIR 0x%02x sh %u, S2 0x%x sh %u, FWB %d", s1.mair,
			 s1.sh, s2.memattr, s2.sh, fwb);
	else
		snprintf(buf, len, "S1 off, S2 0x%x sh %u, FWB %d", s2.memattr,
			 s2.sh, fwb);
}

static bool cattr_eq(const struct s2mt_cattr *a, const struct s2mt_cattr *b)
{
	if (a->policy != b->policy)
		return false;
	/* Allocation hints mean nothing for Non-cacheable. */
	if (a->policy == NC)
		return true;
	return a->read_alloc == b->read_alloc &&
		a->write_alloc == b->write_alloc &&
		a->transient == b->transient;
}

static bool mt_eq(const struct s2mt_memtype *a, const struct s2mt_memtype *b)
{
	if (a->device != b->device)
		return false;
	if (a->device)
		return a->dev == b->dev;
	return cattr_eq(&a->inner, &b->inner) &&
		cattr_eq(&a->outer, &b->outer) && a->tagged == b->tagged;
}

static void assert_mt_eq(const struct s2mt_memtype *got,
			 const struct s2mt_memtype *want, const char *ctx)
{
	char g[96], w[96];

	if (mt_eq(got, want))
		return;
	fmt_mt(got, g, sizeof(g));
	fmt_mt(want, w, sizeof(w));
	fail_msg("%s: got %s, want %s", ctx, g, w);
}

static bool mt_is_nc_nc(const struct s2mt_memtype *mt)
{
	return !mt->device && mt->inner.policy == NC && mt->outer.policy == NC;
}

/* ------------------------------------------------------------------ */
/* Reference model, from SPEC.md A3/A4/A6 and Arm ARM D8.6             */
/* ------------------------------------------------------------------ */

static void ref_dev(struct s2mt_memtype *mt, uint8_t dev)
{
	memset(mt, 0, sizeof(*mt));
	mt->device = true;
	mt->dev = dev;
}

static struct s2mt_cattr ref_cattr(uint8_t pol, bool r, bool w, bool t)
{
	struct s2mt_cattr c = {
		.policy = pol, .read_alloc = r, .write_alloc = w, .transient = t
	};

	return c;
}

/*
 * One MAIR nibble of a Normal type (outer nibble != 0, or inner nibble):
 * 0b00RW (RW != 00) WT transient, 0b0100 NC, 0b01RW (RW != 00) WB transient,
 * 0b10RW WT, 0b11RW WB. 0b0000 is not a Normal nibble.
 */
static bool ref_nibble(unsigned n, struct s2mt_cattr *c)
{
	bool r = n & 2, w = n & 1;

	switch (n >> 2) {
	case 0:
		if (!r && !w)
			return false;
		*c = ref_cattr(WT, r, w, true);
		return true;
	case 1:
		if (!r && !w)
			*c = ref_cattr(NC, false, false, false);
		else
			*c = ref_cattr(WB, r, w, true);
		return true;
	case 2:
		*c = ref_cattr(WT, r, w, false);
		return true;
	default:
		*c = ref_cattr(WB, r, w, false);
		return true;
	}
}

/* A6 (and the brief): false for a reserved MAIR byte. */
static bool ref_mair_decode(uint8_t m, struct s2mt_memtype *mt)
{
	unsigned hi = m >> 4, lo = m & 0xf;

	memset(mt, 0, sizeof(*mt));
	if (hi == 0) {
		/* 0b0000dd00 Device; 0b0000dd01 Device XS=0 (FEAT_XS);
		 * 0b0000dd1x reserved. */
		if (lo & 2)
			return false;
		mt->device = true;
		mt->dev = lo >> 2;
		return true;
	}
	if (m == 0xf0) {
		/* Tagged Normal, Inner+Outer WB RA WA Non-transient (MTE). */
		mt->inner = ref_cattr(WB, true, true, false);
		mt->outer = mt->inner;
		mt->tagged = true;
		return true;
	}
	if (m == 0x40) {
		/* FEAT_XS: Normal Inner+Outer NC, XS=0. */
		mt->inner = ref_cattr(NC, false, false, false);
		mt->outer = mt->inner;
		return true;
	}
	if (m == 0xa0) {
		/* FEAT_XS: Normal Inner+Outer WT, RA, no WA, Non-transient. */
		mt->inner = ref_cattr(WT, true, false, false);
		mt->outer = mt->inner;
		return true;
	}
	if (lo == 0)
		return false;
	ref_nibble(hi, &mt->outer);
	ref_nibble(lo, &mt->inner);
	return true;
}

/* A3 (FWB=0) / A4 (FWB=1): false for a reserved MemAttr. */
static bool ref_s2_decode(uint8_t m, bool fwb, struct s2mt_s2type *t)
{
	static const uint8_t cache[4] = { 0xff, NC, WT, WB };

	memset(t, 0, sizeof(*t));
	if (m > 15)
		return false;
	if (!fwb) {
		if ((m >> 2) == 0) {
			t->kind = S2MT_S2_DEVICE;
			t->dev = m & 3;
			return true;
		}
		if ((m & 3) == 0)
			return false; /* inner 00 with outer != 00 */
		t->kind = S2MT_S2_NORMAL;
		t->outer = cache[m >> 2];
		t->inner = cache[m & 3];
		return true;
	}
	if (m & 8)
		return false; /* MemAttr[3] is RES0 */
	switch (m) {
	case 0:
	case 1:
	case 2:
	case 3:
		t->kind = S2MT_S2_DEVICE;
		t->dev = m;
		return true;
	case 5:
		t->kind = S2MT_S2_NORMAL;
		t->inner = NC;
		t->outer = NC;
		return true;
	case 6:
		t->kind = S2MT_S2_FORCE_WB;
		return true;
	case 7:
		t->kind = S2MT_S2_AS_S1;
		return true;
	}
	return false; /* 0b100 */
}

/* A3: per level, the weaker cacheability; hints come from stage 1. */
static struct s2mt_cattr ref_level(struct s2mt_cattr s1, uint8_t s2pol)
{
	struct s2mt_cattr c = s1;

	if (s2pol < c.policy)
		c.policy = s2pol;
	if (c.policy == NC)
		c = ref_cattr(NC, false, false, false);
	return c;
}

/*
 * A4 0b110: WB; hints (and the transient hint) from stage 1 when stage 1 is
 * cacheable at that level, else RA WA Non-transient (Arm ARM RTHYXB/RTBQKG).
 */
static struct s2mt_cattr ref_force_wb(const struct s2mt_memtype *s1,
				      struct s2mt_cattr lvl)
{
	if (!s1->device && lvl.policy != NC) {
		lvl.policy = WB;
		return lvl;
	}
	return ref_cattr(WB, true, true, false);
}

static uint8_t ref_sh_combine(uint8_t a, uint8_t b)
{
	if (a == OSH || b == OSH)
		return OSH;
	if (a == ISH || b == ISH)
		return ISH;
	return NSH;
}

struct ref_result {
	bool r_s1, r_s2, r_sh;
	struct s2mt_memtype s1;
	struct s2mt_s2type s2;
	struct s2mt_memtype mt;
	uint8_t path;
	uint8_t sh;
	bool sh_known;
};

static void ref_combine(struct s2mt_s1attr s1, struct s2mt_s2attr s2, bool fwb,
			struct ref_result *r)
{
	const struct s2mt_memtype *a = &r->s1;
	const struct s2mt_s2type *b = &r->s2;
	struct s2mt_memtype *mt = &r->mt;

	memset(r, 0, sizeof(*r));
	if (s1.enabled) {
		r->r_s1 = !ref_mair_decode(s1.mair, &r->s1);
		r->r_sh = s1.sh == RSV;
	} else {
		/* A5: stage 1 off is Device-nGnRnE, Outer Shareable. */
		ref_dev(&r->s1, S2MT_DEV_nGnRnE);
	}
	r->r_s2 = !ref_s2_decode(s2.memattr, fwb, &r->s2);
	r->r_sh = r->r_sh || s2.sh == RSV;
	if (r->r_s1 || r->r_s2 || r->r_sh)
		return;

	if (!fwb) {
		if (b->kind == S2MT_S2_DEVICE && a->device) {
			ref_dev(mt, a->dev < b->dev ? a->dev : b->dev);
			r->path = S2MT_PATH_DEV_DEV;
		} else if (b->kind == S2MT_S2_DEVICE) {
			ref_dev(mt, b->dev);
			r->path = S2MT_PATH_DEV_S2;
		} else if (a->device) {
			ref_dev(mt, a->dev);
			r->path = S2MT_PATH_DEV_S1;
		} else {
			memset(mt, 0, sizeof(*mt));
			mt->inner = ref_level(a->inner, b->inner);
			mt->outer = ref_level(a->outer, b->outer);
			mt->tagged = a->tagged && mt->inner.policy == WB &&
				mt->outer.policy == WB;
			r->path = S2MT_PATH_NORMAL;
		}
	} else {
		switch (b->kind) {
		case S2MT_S2_DEVICE:
			if (a->device && a->dev < b->dev)
				ref_dev(mt, a->dev);
			else
				ref_dev(mt, b->dev);
			r->path = S2MT_PATH_FWB_DEV;
			break;
		case S2MT_S2_NORMAL:
			if (a->device) {
				ref_dev(mt, a->dev);
			} else {
				memset(mt, 0, sizeof(*mt));
				mt->inner = ref_cattr(NC, false, false, false);
				mt->outer = mt->inner;
			}
			r->path = S2MT_PATH_FWB_NC;
			break;
		case S2MT_S2_FORCE_WB:
			memset(mt, 0, sizeof(*mt));
			mt->inner = ref_force_wb(a, a->inner);
			mt->outer = ref_force_wb(a, a->outer);
			mt->tagged = a->tagged;
			r->path = S2MT_PATH_FWB_FORCE_WB;
			break;
		default:
			*mt = *a;
			r->path = S2MT_PATH_FWB_AS_S1;
			break;
		}
	}

	/* A3 shareability. */
	r->sh_known = true;
	if (mt->device || mt_is_nc_nc(mt)) {
		r->sh = OSH;
	} else if (fwb && s1.enabled && (a->device || mt_is_nc_nc(a))) {
		/*
		 * FWB 0b110 over a stage-1 Device or NC/NC type: Arm ARM
		 * RNSCNC makes it IMPLEMENTATION DEFINED whether the stage-1
		 * SH field or an effective OSH goes into stage 2. Not checked.
		 */
		r->sh_known = false;
	} else {
		r->sh = ref_sh_combine(s1.enabled ? s1.sh : OSH, s2.sh);
	}
}

/* ------------------------------------------------------------------ */
/* Checking one combination against the reference model                */
/* ------------------------------------------------------------------ */

static void check_combination(struct s2mt_s1attr s1, struct s2mt_s2attr s2,
			      bool fwb, bool explain)
{
	struct s2mt_effective eff;
	struct ref_result r;
	char ctx[128];
	int ret;

	fmt_in(s1, s2, fwb, ctx, sizeof(ctx));
	ref_combine(s1, s2, fwb, &r);
	memset(&eff, 0xa5, sizeof(eff));
	ret = s2mt_combine(s1, s2, fwb, &eff);

	if (r.r_s1 || r.r_s2 || r.r_sh) {
		if (ret != -S2MT_EINVAL)
			fail_msg("%s: reserved input, ret %d, want %d", ctx,
				 ret, -S2MT_EINVAL);
		if ((eff.status == S2MT_ATTR_RESERVED_S1 && r.r_s1) ||
		    (eff.status == S2MT_ATTR_RESERVED_S2 && r.r_s2) ||
		    (eff.status == S2MT_ATTR_RESERVED_SH && r.r_sh))
			return;
		fail_msg("%s: status %u, want RESERVED%s%s%s", ctx, eff.status,
			 r.r_s1 ? " S1" : "", r.r_s2 ? " S2" : "",
			 r.r_sh ? " SH" : "");
	}

	if (ret != 0 || eff.status != S2MT_ATTR_OK)
		fail_msg("%s: ret %d status %u, want 0/OK", ctx, ret,
			 eff.status);
	if (eff.fwb != fwb)
		fail_msg("%s: eff.fwb %d", ctx, eff.fwb);
	if (eff.s1_in.enabled != s1.enabled ||
	    (s1.enabled &&
	     (eff.s1_in.mair != s1.mair || eff.s1_in.sh != s1.sh)) ||
	    eff.s2_in.memattr != s2.memattr || eff.s2_in.sh != s2.sh)
		fail_msg("%s: s1_in/s2_in not copied", ctx);

	/* Stage 1 and stage 2 as decoded. */
	{
		char c2[160];

		snprintf(c2, sizeof(c2), "%s (eff.s1)", ctx);
		assert_mt_eq(&eff.s1, &r.s1, c2);
	}
	if (eff.s2.kind != r.s2.kind)
		fail_msg("%s: eff.s2.kind %u, want %u", ctx, eff.s2.kind,
			 r.s2.kind);
	if (r.s2.kind == S2MT_S2_DEVICE && eff.s2.dev != r.s2.dev)
		fail_msg("%s: eff.s2.dev %u, want %u", ctx, eff.s2.dev,
			 r.s2.dev);
	if (r.s2.kind == S2MT_S2_NORMAL &&
	    (eff.s2.inner != r.s2.inner || eff.s2.outer != r.s2.outer))
		fail_msg("%s: eff.s2 o%u i%u, want o%u i%u", ctx, eff.s2.outer,
			 eff.s2.inner, r.s2.outer, r.s2.inner);

	/* The effective type (A3/A4/A5). */
	assert_mt_eq(&eff.mt, &r.mt, ctx);
	if (eff.path != r.path)
		fail_msg("%s: path %u, want %u", ctx, eff.path, r.path);
	if (r.sh_known && eff.sh != r.sh)
		fail_msg("%s: sh %u, want %u", ctx, eff.sh, r.sh);
	if (!r.sh_known && eff.sh != NSH && eff.sh != OSH && eff.sh != ISH)
		fail_msg("%s: sh %u is not a valid shareability", ctx, eff.sh);

	/* s1_wins, where the Device choice is strict. */
	if (r.path == S2MT_PATH_DEV_S1 && !eff.s1_wins)
		fail_msg("%s: DEV_S1 without s1_wins", ctx);
	if (r.path == S2MT_PATH_DEV_S2 && eff.s1_wins)
		fail_msg("%s: DEV_S2 with s1_wins", ctx);
	if ((r.path == S2MT_PATH_DEV_DEV || r.path == S2MT_PATH_FWB_DEV) &&
	    r.s1.device && r.s1.dev != r.s2.dev &&
	    eff.s1_wins != (r.s1.dev < r.s2.dev))
		fail_msg("%s: s1_wins %d, want %d", ctx, eff.s1_wins,
			 r.s1.dev < r.s2.dev);

	if (explain) {
		char buf[256];
		size_t n;

		memset(buf, 0x5a, sizeof(buf));
		n = s2mt_explain(&eff, buf, sizeof(buf));
		if (!memchr(buf, 0, sizeof(buf)))
			fail_msg("%s: explain not NUL-terminated", ctx);
		if (strlen(buf) == 0 || n != strlen(buf))
			fail_msg("%s: explain returned %zu for \"%s\"", ctx, n,
				 buf);
		if (!strstr(buf, fwb ? "(A4)" : "(A3)"))
			fail_msg("%s: explain \"%s\" does not name %s", ctx,
				 buf, fwb ? "(A4)" : "(A3)");
	}
}

/* ------------------------------------------------------------------ */
/* A5: the two effective-type tables, cell by cell                     */
/* ------------------------------------------------------------------ */

enum a5_eff { E_nGnRnE, E_nGnRE, E_nGRE, E_GRE, E_NC, E_WT, E_WB };

static const char *const a5_eff_name[] = { "nGnRnE", "nGnRE", "nGRE", "GRE",
					   "NC",     "WT",    "WB" };

/* Columns: stage-1 type as a MAIR byte; the last column is stage 1 off. */
#define A5_COLS 8
#define A5_OFF 7
static const uint8_t a5_col_mair[A5_COLS - 1] = { 0x00, 0x04, 0x08, 0x0c,
						  0x44, 0xbb, 0xff };

struct a5_row {
	uint8_t s2;
	uint8_t cell[A5_COLS];
};

/* clang-format off */
/* SPEC A5, FWB=0. Stage 1 off = Device-nGnRnE, so every row gives nGnRnE. */
static const struct a5_row a5_fwb0[] = {
	/*  S2       nGnRnE    nGnRE     nGRE      GRE       NC        WT        WB        off */
	{ 0x0, { E_nGnRnE, E_nGnRnE, E_nGnRnE, E_nGnRnE, E_nGnRnE, E_nGnRnE, E_nGnRnE, E_nGnRnE } },
	{ 0x1, { E_nGnRnE, E_nGnRE,  E_nGnRE,  E_nGnRE,  E_nGnRE,  E_nGnRE,  E_nGnRE,  E_nGnRnE } },
	{ 0x2, { E_nGnRnE, E_nGnRE,  E_nGRE,   E_nGRE,   E_nGRE,   E_nGRE,   E_nGRE,   E_nGnRnE } },
	{ 0x3, { E_nGnRnE, E_nGnRE,  E_nGRE,   E_GRE,    E_GRE,    E_GRE,    E_GRE,    E_nGnRnE } },
	{ 0x5, { E_nGnRnE, E_nGnRE,  E_nGRE,   E_GRE,    E_NC,     E_NC,     E_NC,     E_nGnRnE } },
	{ 0xa, { E_nGnRnE, E_nGnRE,  E_nGRE,   E_GRE,    E_NC,     E_WT,     E_WT,     E_nGnRnE } },
	{ 0xf, { E_nGnRnE, E_nGnRE,  E_nGRE,   E_GRE,    E_NC,     E_WT,     E_WB,     E_nGnRnE } },
};

/* SPEC A5, FWB=1. */
static const struct a5_row a5_fwb1[] = {
	/*  S2       nGnRnE    nGnRE     nGRE      GRE       NC        WT        WB        off */
	{ 0x0, { E_nGnRnE, E_nGnRnE, E_nGnRnE, E_nGnRnE, E_nGnRnE, E_nGnRnE, E_nGnRnE, E_nGnRnE } },
	{ 0x1, { E_nGnRnE, E_nGnRE,  E_nGnRE,  E_nGnRE,  E_nGnRE,  E_nGnRE,  E_nGnRE,  E_nGnRnE } },
	{ 0x2, { E_nGnRnE, E_nGnRE,  E_nGRE,   E_nGRE,   E_nGRE,   E_nGRE,   E_nGRE,   E_nGnRnE } },
	{ 0x3, { E_nGnRnE, E_nGnRE,  E_nGRE,   E_GRE,    E_GRE,    E_GRE,    E_GRE,    E_nGnRnE } },
	{ 0x5, { E_nGnRnE, E_nGnRE,  E_nGRE,   E_GRE,    E_NC,     E_NC,     E_NC,     E_nGnRnE } },
	{ 0x6, { E_WB,     E_WB,     E_WB,     E_WB,     E_WB,     E_WB,     E_WB,     E_WB     } },
	{ 0x7, { E_nGnRnE, E_nGnRE,  E_nGRE,   E_GRE,    E_NC,     E_WT,     E_WB,     E_nGnRnE } },
};
/* clang-format on */

static void check_a5_cell(bool fwb, uint8_t s2, unsigned col, uint8_t wt_mair,
			  uint8_t want)
{
	struct s2mt_s1attr s1;
	struct s2mt_effective eff;
	char ctx[128];
	int ret;

	if (col == A5_OFF)
		s1 = s1_off();
	else if (col == 5)
		s1 = s1_on(wt_mair, ISH);
	else
		s1 = s1_on(a5_col_mair[col], ISH);
	fmt_in(s1, s2_at(s2, ISH), fwb, ctx, sizeof(ctx));

	ret = s2mt_combine(s1, s2_at(s2, ISH), fwb, &eff);
	if (ret != 0 || eff.status != S2MT_ATTR_OK)
		fail_msg("A5 %s: ret %d status %u", ctx, ret, eff.status);

	if (want <= E_GRE) {
		if (!eff.mt.device || eff.mt.dev != want)
			fail_msg("A5 %s: want Device-%s, got %s dev %u", ctx,
				 a5_eff_name[want],
				 eff.mt.device ? "Device" : "Normal",
				 eff.mt.dev);
	} else {
		uint8_t pol = want == E_NC ? NC : want == E_WT ? WT : WB;

		if (eff.mt.device || eff.mt.inner.policy != pol ||
		    eff.mt.outer.policy != pol)
			fail_msg("A5 %s: want Normal-%s, got %s o%s i%s", ctx,
				 a5_eff_name[want],
				 eff.mt.device ? "Device" : "Normal",
				 pol_name(eff.mt.outer.policy),
				 pol_name(eff.mt.inner.policy));
	}
}

static void check_a5_table(bool fwb, const struct a5_row *rows, size_t nrows)
{
	static const uint8_t wt_bytes[] = { 0xbb, 0xaa };
	size_t i, w;
	unsigned col;

	for (w = 0; w < ARRAY_SIZE(wt_bytes); w++)
		for (i = 0; i < nrows; i++)
			for (col = 0; col < A5_COLS; col++)
				check_a5_cell(fwb, rows[i].s2, col, wt_bytes[w],
					      rows[i].cell[col]);
}

static void test_A5_fwb0_table_cell_by_cell(void **state)
{
	(void)state;
	check_a5_table(false, a5_fwb0, ARRAY_SIZE(a5_fwb0));
}

static void test_A5_fwb1_table_cell_by_cell(void **state)
{
	(void)state;
	check_a5_table(true, a5_fwb1, ARRAY_SIZE(a5_fwb1));
}

/* ------------------------------------------------------------------ */
/* A3/A4/A5: exhaustive                                                */
/* ------------------------------------------------------------------ */

/*
 * Every MAIR byte x every MemAttr x FWB x stage 1 on/off x every valid SH
 * pair: status, return value and the whole effective type against the
 * reference model; s2mt_explain names (A3)/(A4) for every OK combination.
 */
static void check_all_s2(bool fwb, bool en, uint8_t mair)
{
	static const uint8_t shs[] = { NSH, OSH, ISH };
	unsigned ma, i, j;

	for (ma = 0; ma < 16; ma++) {
		for (i = 0; i < ARRAY_SIZE(shs); i++) {
			for (j = 0; j < ARRAY_SIZE(shs); j++) {
				struct s2mt_s1attr s1 = s1_on(mair, shs[i]);

				s1.enabled = en;
				check_combination(s1, s2_at(ma, shs[j]), fwb,
						  i == 0 && j == 0);
			}
		}
	}
}

static void test_A3_A4_combine_exhaustive(void **state)
{
	unsigned n;

	(void)state;
	/* n = mair << 2 | en << 1 | fwb */
	for (n = 0; n < 4 * 256; n++)
		check_all_s2(n & 1, (n >> 1) & 1, n >> 2);
}

/*
 * The status alone, exactly as the brief states it: RESERVED_S1 exactly
 * when s2mt_mair_decode rejects the byte and stage 1 is on; RESERVED_S2
 * exactly for FWB=0 0x4/0x8/0xC (inner 00, outer != 00) and FWB=1 0b100 or
 * MemAttr[3] set (RES0). Both reserved: either status.
 */
static void check_status(bool fwb, bool en, uint8_t mair, uint8_t ma)
{
	struct s2mt_s1attr s1 = s1_on(mair, ISH);
	struct s2mt_effective eff;
	struct s2mt_memtype dec;
	bool r1, r2;
	int ret;

	s1.enabled = en;
	r1 = en && s2mt_mair_decode(mair, &dec) != 0;
	if (!fwb)
		r2 = ma == 0x4 || ma == 0x8 || ma == 0xc;
	else
		r2 = ma == 0x4 || (ma & 8);
	ret = s2mt_combine(s1, s2_at(ma, ISH), fwb, &eff);

	if (!r1 && !r2) {
		if (ret != 0 || eff.status != S2MT_ATTR_OK)
			fail_msg("MAIR 0x%02x en %d S2 0x%x FWB %d: "
				 "ret %d status %u, want OK",
				 mair, en, ma, fwb, ret, eff.status);
		return;
	}
	if (ret != -S2MT_EINVAL)
		fail_msg(
			"MAIR 0x%02x en %d S2 0x%x FWB %d: ret %d, want EINVAL",
			mair, en, ma, fwb, ret);
	if ((r1 && eff.status == S2MT_ATTR_RESERVED_S1) ||
	    (r2 && eff.status == S2MT_ATTR_RESERVED_S2))
		return;
	fail_msg("MAIR 0x%02x en %d S2 0x%x FWB %d: status %u, want%s%s", mair,
		 en, ma, fwb, eff.status, r1 ? " RESERVED_S1" : "",
		 r2 ? " RESERVED_S2" : "");
}

static void test_A3_A4_reserved_status_exact(void **state)
{
	unsigned n, ma;

	(void)state;
	for (n = 0; n < 4 * 256; n++)
		for (ma = 0; ma < 16; ma++)
			check_status(n & 1, (n >> 1) & 1, n >> 2, ma);
}

static unsigned restrict_rank(const struct s2mt_memtype *mt)
{
	return mt->device ? mt->dev : 4;
}

/* A3: with FWB off the result is never less restrictive than either stage:
 * Device nGnRnE < nGnRE < nGRE < GRE < Normal, and for Normal each of the
 * inner/outer cacheabilities <= that of each stage. */
static void check_not_less_restrictive(bool en, uint8_t mair, uint8_t ma)
{
	struct s2mt_s1attr s1 = s1_on(mair, NSH);
	struct s2mt_effective eff;
	struct s2mt_memtype s1t;
	struct s2mt_s2type s2t;

	s1.enabled = en;
	if (en && !ref_mair_decode(mair, &s1t))
		return;
	if (!en)
		ref_dev(&s1t, S2MT_DEV_nGnRnE);
	if (!ref_s2_decode(ma, false, &s2t))
		return;
	assert_int_equal(s2mt_combine(s1, s2_at(ma, NSH), false, &eff), 0);
	assert_true(restrict_rank(&eff.mt) <= restrict_rank(&s1t));
	if (s2t.kind == S2MT_S2_DEVICE)
		assert_true(eff.mt.device && eff.mt.dev <= s2t.dev);
	if (eff.mt.device)
		return;
	assert_false(s1t.device);
	assert_int_equal(s2t.kind, S2MT_S2_NORMAL);
	assert_true(eff.mt.inner.policy <= s1t.inner.policy);
	assert_true(eff.mt.outer.policy <= s1t.outer.policy);
	assert_true(eff.mt.inner.policy <= s2t.inner);
	assert_true(eff.mt.outer.policy <= s2t.outer);
}

static void test_A3_fwb0_never_less_restrictive(void **state)
{
	unsigned n, ma;

	(void)state;
	for (n = 0; n < 2 * 256; n++)
		for (ma = 0; ma < 16; ma++)
			check_not_less_restrictive(n & 1, n >> 1, ma);
}

/* A4: FWB 0b110 is Normal-WB inner+outer whatever stage 1 says. */
static void test_A4_fwb110_always_wb(void **state)
{
	unsigned mair;
	int en;

	(void)state;
	for (en = 0; en < 2; en++)
		for (mair = 0; mair < 256; mair++) {
			struct s2mt_s1attr s1 = s1_on(mair, OSH);
			struct s2mt_memtype dec;
			struct s2mt_effective eff;

			s1.enabled = en;
			if (en && s2mt_mair_decode(mair, &dec) != 0)
				continue;
			assert_int_equal(
				s2mt_combine(s1, s2_at(6, OSH), true, &eff), 0);
			assert_false(eff.mt.device);
			assert_int_equal(eff.mt.inner.policy, WB);
			assert_int_equal(eff.mt.outer.policy, WB);
			assert_int_equal(eff.path, S2MT_PATH_FWB_FORCE_WB);
			assert_true(s2mt_memtype_cacheable(&eff.mt));
		}
}

/* A4: FWB 0b111 is the identity (stage 1 off: Device-nGnRnE). */
static void test_A4_fwb111_identity(void **state)
{
	struct s2mt_effective eff;
	unsigned mair;

	(void)state;
	for (mair = 0; mair < 256; mair++) {
		struct s2mt_memtype dec;
		char ctx[32];

		if (s2mt_mair_decode(mair, &dec) != 0)
			continue;
		assert_int_equal(s2mt_combine(s1_on(mair, ISH), s2_at(7, ISH),
					      true, &eff),
				 0);
		snprintf(ctx, sizeof(ctx), "AS_S1 mair 0x%02x", mair);
		assert_mt_eq(&eff.mt, &dec, ctx);
		assert_int_equal(eff.path, S2MT_PATH_FWB_AS_S1);
	}
	assert_int_equal(s2mt_combine(s1_off(), s2_at(7, ISH), true, &eff), 0);
	assert_true(eff.mt.device);
	assert_int_equal(eff.mt.dev, S2MT_DEV_nGnRnE);
	assert_int_equal(eff.sh, OSH);
}

/* A4: FWB 0b101 is Normal-NC unless stage 1 is Device. */
static void test_A4_fwb101_nc_unless_device(void **state)
{
	struct s2mt_effective eff;
	unsigned mair;

	(void)state;
	for (mair = 0; mair < 256; mair++) {
		struct s2mt_memtype dec;

		if (s2mt_mair_decode(mair, &dec) != 0)
			continue;
		assert_int_equal(s2mt_combine(s1_on(mair, ISH), s2_at(5, ISH),
					      true, &eff),
				 0);
		if (dec.device) {
			assert_true(eff.mt.device);
			assert_int_equal(eff.mt.dev, dec.dev);
		} else {
			assert_false(eff.mt.device);
			assert_int_equal(eff.mt.inner.policy, NC);
			assert_int_equal(eff.mt.outer.policy, NC);
			assert_false(eff.mt.tagged);
			assert_int_equal(eff.sh, OSH);
		}
	}
	assert_int_equal(s2mt_combine(s1_off(), s2_at(5, ISH), true, &eff), 0);
	assert_true(eff.mt.device);
	assert_int_equal(eff.mt.dev, S2MT_DEV_nGnRnE);
}

/* A4: FWB 0b0xx Device: the more restrictive of the two Device types. */
static void test_A4_fwb_device_more_restrictive_wins(void **state)
{
	struct s2mt_effective eff;
	unsigned d1, d2;

	(void)state;
	for (d1 = 0; d1 < 4; d1++)
		for (d2 = 0; d2 < 4; d2++) {
			assert_int_equal(s2mt_combine(s1_on(d1 << 2, NSH),
						      s2_at(d2, NSH), true,
						      &eff),
					 0);
			assert_true(eff.mt.device);
			assert_int_equal(eff.mt.dev, d1 < d2 ? d1 : d2);
			assert_int_equal(eff.sh, OSH);
		}
	/* Stage 1 Normal: the stage-2 Device type. */
	for (d2 = 0; d2 < 4; d2++) {
		assert_int_equal(s2mt_combine(s1_on(0xff, ISH), s2_at(d2, ISH),
					      true, &eff),
				 0);
		assert_true(eff.mt.device);
		assert_int_equal(eff.mt.dev, d2);
		assert_false(eff.s1_wins);
	}
}

/* A5: mixed inner/outer encodings combine per nibble. */
static void test_A5_mixed_nibbles_combine_per_nibble(void **state)
{
	static const struct {
		bool fwb;
		uint8_t mair, s2, outer, inner;
	} cases[] = {
		{ false, 0xff, 0x9, WT, NC }, /* S2 outer WT inner NC */
		{ false, 0x4f, 0xf, NC, WB }, /* S1 outer NC inner WB */
		{ false, 0xff, 0x6, NC, WT }, /* S2 outer NC inner WT */
		{ false, 0xff, 0x7, NC, WB }, /* S2 outer NC inner WB */
		{ false, 0xff, 0xd, WB, NC }, /* S2 outer WB inner NC */
		{ false, 0xff, 0xe, WB, WT }, /* S2 outer WB inner WT */
		{ false, 0xff, 0xb, WT, WB }, /* S2 outer WT inner WB */
		{ false, 0xbf, 0xe, WT, WT }, /* S1 oWT iWB x S2 oWB iWT */
		{ false, 0xbb, 0x7, NC, WT }, /* S1 WT x S2 oNC iWB */
		{ false, 0xf4, 0xa, WT, NC }, /* S1 oWB iNC x S2 WT */
		{ false, 0x4b, 0xd, NC, NC }, /* S1 oNC iWT x S2 oWB iNC */
		{ true, 0x4f, 0x7, NC, WB }, /* AS_S1 keeps the mix */
		{ true, 0xf4, 0x6, WB, WB }, /* force-WB both levels */
	};
	struct s2mt_effective eff;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		int ret = s2mt_combine(s1_on(cases[i].mair, ISH),
				       s2_at(cases[i].s2, ISH), cases[i].fwb,
				       &eff);

		if (ret != 0 || eff.mt.device ||
		    eff.mt.outer.policy != cases[i].outer ||
		    eff.mt.inner.policy != cases[i].inner)
			fail_msg("S1 0x%02x S2 0x%x FWB %d: ret %d dev %d o%s "
				 "i%s, want o%s i%s",
				 cases[i].mair, cases[i].s2, cases[i].fwb, ret,
				 eff.mt.device, pol_name(eff.mt.outer.policy),
				 pol_name(eff.mt.inner.policy),
				 pol_name(cases[i].outer),
				 pol_name(cases[i].inner));
	}
}

/* ------------------------------------------------------------------ */
/* A3/A4: s2mt_s2_decode                                               */
/* ------------------------------------------------------------------ */

static void test_A3_A4_s2_decode(void **state)
{
	unsigned fwb, m;

	(void)state;
	for (fwb = 0; fwb < 2; fwb++)
		for (m = 0; m < 16; m++) {
			struct s2mt_s2type got, want;
			bool ok = ref_s2_decode(m, fwb, &want);
			int ret = s2mt_s2_decode(m, fwb, &got);

			if (!ok) {
				if (ret != -S2MT_EINVAL)
					fail_msg("S2 0x%x FWB %u: ret %d, want "
						 "EINVAL",
						 m, fwb, ret);
				continue;
			}
			if (ret != 0 || got.kind != want.kind)
				fail_msg("S2 0x%x FWB %u: ret %d kind %u, want "
					 "%u",
					 m, fwb, ret, got.kind, want.kind);
			if (want.kind == S2MT_S2_DEVICE)
				assert_int_equal(got.dev, want.dev);
			if (want.kind == S2MT_S2_NORMAL) {
				assert_int_equal(got.inner, want.inner);
				assert_int_equal(got.outer, want.outer);
			}
		}
	/* Linux's values (A3/A4). */
	{
		struct s2mt_s2type t;

		assert_int_equal(s2mt_s2_decode(0xf, false, &t), 0);
		assert_int_equal(t.kind, S2MT_S2_NORMAL);
		assert_int_equal(t.inner, WB);
		assert_int_equal(t.outer, WB);
		assert_int_equal(s2mt_s2_decode(0x5, false, &t), 0);
		assert_int_equal(t.kind, S2MT_S2_NORMAL);
		assert_int_equal(t.inner, NC);
		assert_int_equal(t.outer, NC);
		assert_int_equal(s2mt_s2_decode(0x1, false, &t), 0);
		assert_int_equal(t.kind, S2MT_S2_DEVICE);
		assert_int_equal(t.dev, S2MT_DEV_nGnRE);
		assert_int_equal(s2mt_s2_decode(6, true, &t), 0);
		assert_int_equal(t.kind, S2MT_S2_FORCE_WB);
		assert_int_equal(s2mt_s2_decode(7, true, &t), 0);
		assert_int_equal(t.kind, S2MT_S2_AS_S1);
		assert_int_equal(s2mt_s2_decode(0xf, true, &t), -S2MT_EINVAL);
		assert_int_equal(s2mt_s2_decode(0x4, true, &t), -S2MT_EINVAL);
	}
}

/* ------------------------------------------------------------------ */
/* A6: MAIR decoding and encoding                                      */
/* ------------------------------------------------------------------ */

static void test_A6_mair_device_bytes(void **state)
{
	static const uint8_t bytes[] = { 0x00, 0x04, 0x08, 0x0c };
	static const uint8_t kinds[] = { S2MT_DEV_nGnRnE, S2MT_DEV_nGnRE,
					 S2MT_DEV_nGRE, S2MT_DEV_GRE };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bytes); i++) {
		struct s2mt_memtype mt;

		assert_int_equal(s2mt_mair_decode(bytes[i], &mt), 0);
		assert_true(mt.device);
		assert_int_equal(mt.dev, kinds[i]);
		assert_false(s2mt_memtype_cacheable(&mt));
		assert_int_equal(s2mt_mair_encode(&mt), bytes[i]);
	}
}

static void assert_level(const struct s2mt_cattr *c, uint8_t pol, bool r,
			 bool w, bool t)
{
	assert_int_equal(c->policy, pol);
	if (pol == NC)
		return;
	assert_int_equal(c->read_alloc, r);
	assert_int_equal(c->write_alloc, w);
	assert_int_equal(c->transient, t);
}

static void test_A6_mair_named_normal_bytes(void **state)
{
	struct s2mt_memtype mt;

	(void)state;
	/* 0x44: Normal NC. */
	assert_int_equal(s2mt_mair_decode(0x44, &mt), 0);
	assert_false(mt.device);
	assert_int_equal(mt.inner.policy, NC);
	assert_int_equal(mt.outer.policy, NC);
	assert_false(mt.tagged);
	assert_false(s2mt_memtype_cacheable(&mt));

	/* 0xBB: WT, RA+WA, Non-transient. */
	assert_int_equal(s2mt_mair_decode(0xbb, &mt), 0);
	assert_false(mt.device);
	assert_level(&mt.inner, WT, true, true, false);
	assert_level(&mt.outer, WT, true, true, false);
	assert_false(mt.tagged);
	assert_true(s2mt_memtype_cacheable(&mt));

	/* 0xAA: WT, RA, no WA. */
	assert_int_equal(s2mt_mair_decode(0xaa, &mt), 0);
	assert_level(&mt.inner, WT, true, false, false);
	assert_level(&mt.outer, WT, true, false, false);

	/* 0xFF: WB RA+WA. */
	assert_int_equal(s2mt_mair_decode(0xff, &mt), 0);
	assert_false(mt.device);
	assert_level(&mt.inner, WB, true, true, false);
	assert_level(&mt.outer, WB, true, true, false);
	assert_false(mt.tagged);

	/* 0xF0: tagged WB RA+WA (MTE). */
	assert_int_equal(s2mt_mair_decode(0xf0, &mt), 0);
	assert_false(mt.device);
	assert_level(&mt.inner, WB, true, true, false);
	assert_level(&mt.outer, WB, true, true, false);
	assert_true(mt.tagged);
	assert_int_equal(s2mt_mair_encode(&mt), 0xf0);

	/* 0x4F: outer NC, inner WB. */
	assert_int_equal(s2mt_mair_decode(0x4f, &mt), 0);
	assert_int_equal(mt.outer.policy, NC);
	assert_level(&mt.inner, WB, true, true, false);
	assert_true(s2mt_memtype_cacheable(&mt));

	/* FEAT_XS: 0x40 NC, 0xA0 WT (RA, no WA). */
	assert_int_equal(s2mt_mair_decode(0x40, &mt), 0);
	assert_false(mt.device);
	assert_int_equal(mt.inner.policy, NC);
	assert_int_equal(mt.outer.policy, NC);
	assert_int_equal(s2mt_mair_decode(0xa0, &mt), 0);
	assert_false(mt.device);
	assert_level(&mt.inner, WT, true, false, false);
	assert_level(&mt.outer, WT, true, false, false);
}

/* A6: 0b00RW (RW != 00) is WT transient, 0b01RW (RW != 00) WB transient. */
static void test_A6_mair_transient_encodings(void **state)
{
	unsigned rw;

	(void)state;
	for (rw = 1; rw < 4; rw++) {
		struct s2mt_memtype mt;
		bool r = rw & 2, w = rw & 1;

		/* Inner nibble, outer WB. */
		assert_int_equal(s2mt_mair_decode(0xf0 | rw, &mt), 0);
		assert_level(&mt.inner, WT, r, w, true);
		assert_level(&mt.outer, WB, true, true, false);
		assert_int_equal(s2mt_mair_decode(0xf0 | 4 | rw, &mt), 0);
		assert_level(&mt.inner, WB, r, w, true);
		/* Outer nibble, inner WB. */
		assert_int_equal(s2mt_mair_decode((rw << 4) | 0xf, &mt), 0);
		assert_level(&mt.outer, WT, r, w, true);
		assert_level(&mt.inner, WB, true, true, false);
		assert_int_equal(s2mt_mair_decode(((4 | rw) << 4) | 0xf, &mt),
				 0);
		assert_level(&mt.outer, WB, r, w, true);
		assert_false(mt.tagged);
	}
}

static void test_A6_mair_reserved_bytes(void **state)
{
	unsigned m;

	(void)state;
	for (m = 0; m < 256; m++) {
		struct s2mt_memtype mt;
		bool reserved;

		if ((m >> 4) == 0)
			reserved = (m & 2) != 0; /* 0b0000dd1x */
		else if ((m & 0xf) == 0)
			reserved = m != 0xf0 && m != 0x40 && m != 0xa0;
		else
			reserved = false;
		if (reserved && s2mt_mair_decode(m, &mt) != -S2MT_EINVAL)
			fail_msg("MAIR 0x%02x is reserved but decodes", m);
		if (!reserved && s2mt_mair_decode(m, &mt) != 0)
			fail_msg("MAIR 0x%02x is valid but rejected", m);
	}
}

/* Every byte against the reference decoder, field by field. */
static void test_A6_mair_decode_exhaustive(void **state)
{
	unsigned m;

	(void)state;
	for (m = 0; m < 256; m++) {
		struct s2mt_memtype got, want;
		char ctx[32];

		if (!ref_mair_decode(m, &want))
			continue;
		assert_int_equal(s2mt_mair_decode(m, &got), 0);
		snprintf(ctx, sizeof(ctx), "MAIR 0x%02x", m);
		assert_mt_eq(&got, &want, ctx);
		if (s2mt_memtype_cacheable(&got) !=
		    (!want.device &&
		     (want.inner.policy != NC || want.outer.policy != NC)))
			fail_msg("MAIR 0x%02x: s2mt_memtype_cacheable wrong",
				 m);
	}
}

/* encode(decode(x)) == x for every valid canonical byte; and for every
 * valid byte decode(encode(decode(x))) == decode(x). */
static void test_A6_mair_encode_round_trip(void **state)
{
	unsigned m;

	(void)state;
	for (m = 0; m < 256; m++) {
		struct s2mt_memtype a, b;
		uint8_t e;
		char ctx[48];

		if (s2mt_mair_decode(m, &a) != 0)
			continue;
		e = s2mt_mair_encode(&a);
		/* 0x40, 0xA0 and 0b0000dd01 (FEAT_XS, XS=0) are not the
		 * canonical bytes of their types (0x44, 0xAA, 0b0000dd00
		 * are). */
		if (m != 0x40 && m != 0xa0 && (m & 0xf3) != 0x01 && e != m)
			fail_msg("encode(decode(0x%02x)) = 0x%02x", m, e);
		if (s2mt_mair_decode(e, &b) != 0)
			fail_msg("encode(decode(0x%02x)) = reserved 0x%02x", m,
				 e);
		snprintf(ctx, sizeof(ctx), "decode(encode(decode(0x%02x)))", m);
		assert_mt_eq(&b, &a, ctx);
	}
}

/* ------------------------------------------------------------------ */
/* A3/A4: allocation hints come from stage 1                           */
/* ------------------------------------------------------------------ */

static void test_A3_hints_from_stage1(void **state)
{
	struct s2mt_effective eff;

	(void)state;
	/* S1 0xAA = WT R=1 W=0, S2 Normal-WB: WT keeping R=1 W=0. */
	assert_int_equal(
		s2mt_combine(s1_on(0xaa, ISH), s2_at(0xf, ISH), false, &eff),
		0);
	assert_false(eff.mt.device);
	assert_level(&eff.mt.inner, WT, true, false, false);
	assert_level(&eff.mt.outer, WT, true, false, false);

	/* S1 0xEE = WB R=1 W=0, S2 WT: WT with stage-1 hints. */
	assert_int_equal(
		s2mt_combine(s1_on(0xee, ISH), s2_at(0xa, ISH), false, &eff),
		0);
	assert_level(&eff.mt.inner, WT, true, false, false);
	assert_level(&eff.mt.outer, WT, true, false, false);

	/* S1 0x77 = WB transient RA+WA, S2 WB: stays transient. */
	assert_int_equal(
		s2mt_combine(s1_on(0x77, ISH), s2_at(0xf, ISH), false, &eff),
		0);
	assert_level(&eff.mt.inner, WB, true, true, true);
	assert_level(&eff.mt.outer, WB, true, true, true);

	/* S1 0xDD = WB W only, S2 WB. */
	assert_int_equal(
		s2mt_combine(s1_on(0xdd, ISH), s2_at(0xf, ISH), false, &eff),
		0);
	assert_level(&eff.mt.inner, WB, false, true, false);
	assert_level(&eff.mt.outer, WB, false, true, false);
}

static void test_A4_fwb110_hints(void **state)
{
	struct s2mt_effective eff;

	(void)state;
	/* Stage-1 NC: forced WB with default hints RA+WA. */
	assert_int_equal(
		s2mt_combine(s1_on(0x44, ISH), s2_at(6, ISH), true, &eff), 0);
	assert_false(eff.mt.device);
	assert_level(&eff.mt.inner, WB, true, true, false);
	assert_level(&eff.mt.outer, WB, true, true, false);

	/* Stage-1 Device: likewise RA+WA. */
	assert_int_equal(
		s2mt_combine(s1_on(0x04, ISH), s2_at(6, ISH), true, &eff), 0);
	assert_level(&eff.mt.inner, WB, true, true, false);
	assert_level(&eff.mt.outer, WB, true, true, false);

	/* Stage 1 off: likewise. */
	assert_int_equal(s2mt_combine(s1_off(), s2_at(6, ISH), true, &eff), 0);
	assert_level(&eff.mt.inner, WB, true, true, false);
	assert_level(&eff.mt.outer, WB, true, true, false);

	/* Stage-1 WT 0xAA (R=1 W=0): keeps its hints. */
	assert_int_equal(
		s2mt_combine(s1_on(0xaa, ISH), s2_at(6, ISH), true, &eff), 0);
	assert_level(&eff.mt.inner, WB, true, false, false);
	assert_level(&eff.mt.outer, WB, true, false, false);

	/* Stage-1 WB transient W only (0x55): keeps hints and transient. */
	assert_int_equal(
		s2mt_combine(s1_on(0x55, ISH), s2_at(6, ISH), true, &eff), 0);
	assert_level(&eff.mt.inner, WB, false, true, true);
	assert_level(&eff.mt.outer, WB, false, true, true);

	/* Mixed 0x4E (outer NC, inner WB R only): per level. */
	assert_int_equal(
		s2mt_combine(s1_on(0x4e, ISH), s2_at(6, ISH), true, &eff), 0);
	assert_level(&eff.mt.outer, WB, true, true, false);
	assert_level(&eff.mt.inner, WB, true, false, false);
}

/* ------------------------------------------------------------------ */
/* A3: shareability                                                    */
/* ------------------------------------------------------------------ */

static void test_A3_shareability_all_pairs_wb_wb(void **state)
{
	static const uint8_t shs[] = { NSH, OSH, ISH };
	/* want[s1][s2], indexed like shs[] */
	static const uint8_t want[3][3] = {
		{ NSH, OSH, ISH },
		{ OSH, OSH, OSH },
		{ ISH, OSH, ISH },
	};
	struct s2mt_effective eff;
	size_t i, j;

	(void)state;
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++) {
			assert_int_equal(s2mt_combine(s1_on(0xff, shs[i]),
						      s2_at(0xf, shs[j]), false,
						      &eff),
					 0);
			assert_int_equal(eff.sh, want[i][j]);
			assert_int_equal(s2mt_combine(s1_on(0xff, shs[i]),
						      s2_at(6, shs[j]), true,
						      &eff),
					 0);
			assert_int_equal(eff.sh, want[i][j]);
			assert_int_equal(s2mt_combine(s1_on(0xff, shs[i]),
						      s2_at(7, shs[j]), true,
						      &eff),
					 0);
			assert_int_equal(eff.sh, want[i][j]);
		}
}

static void test_A3_shareability_device_and_nc_are_osh(void **state)
{
	static const uint8_t shs[] = { NSH, ISH };
	struct s2mt_effective eff;
	size_t i, j;

	(void)state;
	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++) {
			/* Device result. */
			assert_int_equal(s2mt_combine(s1_on(0x04, shs[i]),
						      s2_at(0xf, shs[j]), false,
						      &eff),
					 0);
			assert_int_equal(eff.sh, OSH);
			assert_int_equal(s2mt_combine(s1_on(0xff, shs[i]),
						      s2_at(0x1, shs[j]), false,
						      &eff),
					 0);
			assert_int_equal(eff.sh, OSH);
			assert_int_equal(s2mt_combine(s1_on(0xff, shs[i]),
						      s2_at(0x1, shs[j]), true,
						      &eff),
					 0);
			assert_int_equal(eff.sh, OSH);
			/* NC/NC result, from either stage. */
			assert_int_equal(s2mt_combine(s1_on(0x44, shs[i]),
						      s2_at(0xf, shs[j]), false,
						      &eff),
					 0);
			assert_int_equal(eff.sh, OSH);
			assert_int_equal(s2mt_combine(s1_on(0xff, shs[i]),
						      s2_at(0x5, shs[j]), false,
						      &eff),
					 0);
			assert_int_equal(eff.sh, OSH);
			assert_int_equal(s2mt_combine(s1_on(0xff, shs[i]),
						      s2_at(0x5, shs[j]), true,
						      &eff),
					 0);
			assert_int_equal(eff.sh, OSH);
			/* Inner NC only is not NC/NC: SH combines. */
			assert_int_equal(s2mt_combine(s1_on(0xff, shs[i]),
						      s2_at(0xd, shs[j]), false,
						      &eff),
					 0);
			assert_int_equal(eff.sh,
					 ref_sh_combine(shs[i], shs[j]));
			/* Stage 1 off is OSH, even forced to WB. */
			assert_int_equal(s2mt_combine(s1_off(),
						      s2_at(6, shs[j]), true,
						      &eff),
					 0);
			assert_int_equal(eff.sh, OSH);
			assert_int_equal(s2mt_combine(s1_off(),
						      s2_at(0xf, shs[j]), false,
						      &eff),
					 0);
			assert_int_equal(eff.sh, OSH);
		}
}

static void test_A1_A3_shareability_reserved_sh(void **state)
{
	struct s2mt_effective eff;

	(void)state;
	assert_int_equal(
		s2mt_combine(s1_on(0xff, RSV), s2_at(0xf, ISH), false, &eff),
		-S2MT_EINVAL);
	assert_int_equal(eff.status, S2MT_ATTR_RESERVED_SH);
	assert_int_equal(
		s2mt_combine(s1_on(0xff, ISH), s2_at(0xf, RSV), false, &eff),
		-S2MT_EINVAL);
	assert_int_equal(eff.status, S2MT_ATTR_RESERVED_SH);
	assert_int_equal(
		s2mt_combine(s1_on(0xff, ISH), s2_at(6, RSV), true, &eff),
		-S2MT_EINVAL);
	assert_int_equal(eff.status, S2MT_ATTR_RESERVED_SH);
	assert_int_equal(
		s2mt_combine(s1_on(0xff, RSV), s2_at(7, OSH), true, &eff),
		-S2MT_EINVAL);
	assert_int_equal(eff.status, S2MT_ATTR_RESERVED_SH);
}

/* ------------------------------------------------------------------ */
/* A4/A6: MTE tagged                                                   */
/* ------------------------------------------------------------------ */

static void test_A6_tagged_combinations(void **state)
{
	struct s2mt_effective eff;

	(void)state;
	/* FWB=0, S2 Normal-WB: tagged WB. */
	assert_int_equal(
		s2mt_combine(s1_on(0xf0, ISH), s2_at(0xf, ISH), false, &eff),
		0);
	assert_false(eff.mt.device);
	assert_int_equal(eff.mt.inner.policy, WB);
	assert_int_equal(eff.mt.outer.policy, WB);
	assert_true(eff.mt.tagged);

	/* FWB=0, S2 NC: NC, not tagged. */
	assert_int_equal(
		s2mt_combine(s1_on(0xf0, ISH), s2_at(0x5, ISH), false, &eff),
		0);
	assert_false(eff.mt.device);
	assert_int_equal(eff.mt.inner.policy, NC);
	assert_int_equal(eff.mt.outer.policy, NC);
	assert_false(eff.mt.tagged);

	/* FWB=0, S2 WT: WT, not tagged. */
	assert_int_equal(
		s2mt_combine(s1_on(0xf0, ISH), s2_at(0xa, ISH), false, &eff),
		0);
	assert_int_equal(eff.mt.inner.policy, WT);
	assert_false(eff.mt.tagged);

	/* FWB=0, S2 Device: Device. */
	assert_int_equal(
		s2mt_combine(s1_on(0xf0, ISH), s2_at(0x1, ISH), false, &eff),
		0);
	assert_true(eff.mt.device);

	/* FWB 0b110 and 0b111: tagged WB. */
	assert_int_equal(
		s2mt_combine(s1_on(0xf0, ISH), s2_at(6, ISH), true, &eff), 0);
	assert_false(eff.mt.device);
	assert_int_equal(eff.mt.inner.policy, WB);
	assert_int_equal(eff.mt.outer.policy, WB);
	assert_true(eff.mt.tagged);
	assert_int_equal(
		s2mt_combine(s1_on(0xf0, ISH), s2_at(7, ISH), true, &eff), 0);
	assert_true(eff.mt.tagged);

	/* FWB 0b101: NC, not tagged. */
	assert_int_equal(
		s2mt_combine(s1_on(0xf0, ISH), s2_at(5, ISH), true, &eff), 0);
	assert_int_equal(eff.mt.inner.policy, NC);
	assert_false(eff.mt.tagged);

	/* An untagged WB never becomes tagged. */
	assert_int_equal(
		s2mt_combine(s1_on(0xff, ISH), s2_at(6, ISH), true, &eff), 0);
	assert_false(eff.mt.tagged);
}

/* ------------------------------------------------------------------ */
/* s2mt_explain                                                        */
/* ------------------------------------------------------------------ */

static void test_A4_explain_fwb110_over_device(void **state)
{
	struct s2mt_effective eff;
	char buf[256];
	size_t n;

	(void)state;
	assert_int_equal(
		s2mt_combine(s1_on(0x04, ISH), s2_at(6, ISH), true, &eff), 0);
	n = s2mt_explain(&eff, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(n, strlen(buf));
	if (!strstr(buf, "0b110") || !strstr(buf, "Normal-WB") ||
	    !strstr(buf, "Device-nGnRE") || !strstr(buf, "(A4)"))
		fail_msg("explain: \"%s\"", buf);
}

static void check_explain_truncation(const struct s2mt_effective *eff)
{
	static const size_t lens[] = { 0, 1, 8, 16 };
	char full[256], buf[64];
	size_t i, k;

	s2mt_explain(eff, full, sizeof(full));
	assert_true(strlen(full) > 16);
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		size_t len = lens[i];

		memset(buf, 0x5a, sizeof(buf));
		s2mt_explain(eff, buf, len);
		for (k = len; k < sizeof(buf); k++)
			if (buf[k] != 0x5a)
				fail_msg("explain len %zu wrote byte %zu", len,
					 k);
		if (len == 0)
			continue;
		if (!memchr(buf, 0, len))
			fail_msg("explain len %zu: not NUL-terminated", len);
		if (strncmp(buf, full, strlen(buf)) != 0)
			fail_msg("explain len %zu: \"%s\" is not a prefix of "
				 "\"%s\"",
				 len, buf, full);
	}
}

static void test_A3_A4_explain_small_buffers(void **state)
{
	struct s2mt_effective eff;

	(void)state;
	assert_int_equal(
		s2mt_combine(s1_on(0x04, ISH), s2_at(6, ISH), true, &eff), 0);
	check_explain_truncation(&eff);
	assert_int_equal(
		s2mt_combine(s1_on(0xff, ISH), s2_at(0x5, ISH), false, &eff),
		0);
	check_explain_truncation(&eff);
	assert_int_equal(s2mt_combine(s1_off(), s2_at(0x1, ISH), false, &eff),
			 0);
	check_explain_truncation(&eff);
}

/* A reserved combination still gets a sentence, NUL-terminated. */
static void test_A3_A4_explain_reserved(void **state)
{
	struct s2mt_effective eff;
	char buf[256];

	(void)state;
	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(
		s2mt_combine(s1_on(0x02, ISH), s2_at(0xf, ISH), false, &eff),
		-S2MT_EINVAL);
	s2mt_explain(&eff, buf, sizeof(buf));
	assert_non_null(memchr(buf, 0, sizeof(buf)));
	assert_true(strlen(buf) > 0);
	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(
		s2mt_combine(s1_on(0xff, ISH), s2_at(0x8, ISH), true, &eff),
		-S2MT_EINVAL);
	s2mt_explain(&eff, buf, sizeof(buf));
	assert_non_null(memchr(buf, 0, sizeof(buf)));
	assert_true(strlen(buf) > 0);
}

/* ------------------------------------------------------------------ */
/* Names and parsers                                                   */
/* ------------------------------------------------------------------ */

static void check_mt_name(uint8_t mair, const char *want)
{
	struct s2mt_memtype mt;
	char buf[64];
	size_t n;

	assert_int_equal(s2mt_mair_decode(mair, &mt), 0);
	n = s2mt_memtype_name(&mt, buf, sizeof(buf));
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
}

static void test_A6_memtype_names(void **state)
{
	struct s2mt_memtype mt;
	char buf[16];
	size_t k;

	(void)state;
	check_mt_name(0x00, "Device-nGnRnE");
	check_mt_name(0x04, "Device-nGnRE");
	check_mt_name(0x08, "Device-nGRE");
	check_mt_name(0x0c, "Device-GRE");
	check_mt_name(0xff, "Normal-WB");
	check_mt_name(0x44, "Normal-NC");
	check_mt_name(0xbb, "Normal-WT");
	check_mt_name(0xaa, "Normal-WT");
	/* The header's own examples. */
	check_mt_name(0xf0, "Normal-WB-tagged");
	check_mt_name(0xf4, "Normal-oWB-iNC");

	/* Always NUL-terminated, never past len. */
	assert_int_equal(s2mt_mair_decode(0xf0, &mt), 0);
	memset(buf, 0x5a, sizeof(buf));
	s2mt_memtype_name(&mt, buf, 4);
	assert_non_null(memchr(buf, 0, 4));
	for (k = 4; k < sizeof(buf); k++)
		assert_int_equal(buf[k], 0x5a);
}

static void test_A1_sh_names(void **state)
{
	(void)state;
	assert_string_equal(s2mt_sh_name(NSH), "NSH");
	assert_string_equal(s2mt_sh_name(OSH), "OSH");
	assert_string_equal(s2mt_sh_name(ISH), "ISH");
	assert_string_equal(s2mt_sh_name(RSV), "SH-reserved");
}

static void test_A3_A4_s2_names(void **state)
{
	char buf[64];

	(void)state;
	s2mt_s2_name(0xf, false, buf, sizeof(buf));
	assert_string_equal(buf, "Normal-WB");
	s2mt_s2_name(6, true, buf, sizeof(buf));
	assert_string_equal(buf, "Force-WB");
	s2mt_s2_name(7, true, buf, sizeof(buf));
	assert_string_equal(buf, "As-S1");
}

static void test_A6_s1attr_parse(void **state)
{
	static const char *const bad[] = { "bogus", "0x1ff", "", "device",
					   "normal-wbx" };
	struct s2mt_s1attr a;
	struct s2mt_memtype mt;
	size_t i;

	(void)state;
	memset(&a, 0x5a, sizeof(a));
	assert_int_equal(s2mt_s1attr_parse("off", &a), 0);
	assert_false(a.enabled);

	assert_int_equal(s2mt_s1attr_parse("device-ngnre", &a), 0);
	assert_true(a.enabled);
	assert_int_equal(a.mair, 0x04);
	assert_int_equal(s2mt_s1attr_parse("device-ngnrne", &a), 0);
	assert_int_equal(a.mair, 0x00);
	assert_int_equal(s2mt_s1attr_parse("device-ngre", &a), 0);
	assert_int_equal(a.mair, 0x08);
	assert_int_equal(s2mt_s1attr_parse("device-gre", &a), 0);
	assert_int_equal(a.mair, 0x0c);

	assert_int_equal(s2mt_s1attr_parse("normal-wb", &a), 0);
	assert_true(a.enabled);
	assert_int_equal(s2mt_mair_decode(a.mair, &mt), 0);
	assert_false(mt.device);
	assert_int_equal(mt.inner.policy, WB);
	assert_int_equal(mt.outer.policy, WB);
	assert_false(mt.tagged);

	assert_int_equal(s2mt_s1attr_parse("NORMAL-NC", &a), 0);
	assert_true(a.enabled);
	assert_int_equal(s2mt_mair_decode(a.mair, &mt), 0);
	assert_false(mt.device);
	assert_int_equal(mt.inner.policy, NC);
	assert_int_equal(mt.outer.policy, NC);

	assert_int_equal(s2mt_s1attr_parse("normal-wt", &a), 0);
	assert_int_equal(s2mt_mair_decode(a.mair, &mt), 0);
	assert_int_equal(mt.inner.policy, WT);
	assert_int_equal(mt.outer.policy, WT);

	assert_int_equal(s2mt_s1attr_parse("tagged", &a), 0);
	assert_true(a.enabled);
	assert_int_equal(a.mair, 0xf0);
	assert_int_equal(s2mt_s1attr_parse("normal-wb-tagged", &a), 0);
	assert_int_equal(a.mair, 0xf0);

	assert_int_equal(s2mt_s1attr_parse("0x44", &a), 0);
	assert_true(a.enabled);
	assert_int_equal(a.mair, 0x44);

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (s2mt_s1attr_parse(bad[i], &a) != -S2MT_EINVAL)
			fail_msg("s2mt_s1attr_parse(\"%s\") accepted", bad[i]);
}

static void test_A3_A4_s2_memattr_parse(void **state)
{
	static const char *const bad[] = { "bogus", "",	   "16", "0x10",
					   "0x1f",  "255", "-1" };
	uint8_t m;
	size_t i;
	int fwb;

	(void)state;
	assert_int_equal(s2mt_s2_memattr_parse("normal-wb", false, &m), 0);
	assert_int_equal(m, 0xf);
	assert_int_equal(s2mt_s2_memattr_parse("normal-wb", true, &m), 0);
	assert_int_equal(m, 6);
	assert_int_equal(s2mt_s2_memattr_parse("Normal-WB", false, &m), 0);
	assert_int_equal(m, 0xf);
	assert_int_equal(s2mt_s2_memattr_parse("normal-nc", false, &m), 0);
	assert_int_equal(m, 5);
	assert_int_equal(s2mt_s2_memattr_parse("normal-nc", true, &m), 0);
	assert_int_equal(m, 5);
	assert_int_equal(s2mt_s2_memattr_parse("normal-wt", false, &m), 0);
	assert_int_equal(m, 0xa);
	for (fwb = 0; fwb < 2; fwb++) {
		assert_int_equal(s2mt_s2_memattr_parse("device-ngnre", fwb, &m),
				 0);
		assert_int_equal(m, 1);
		assert_int_equal(
			s2mt_s2_memattr_parse("device-ngnrne", fwb, &m), 0);
		assert_int_equal(m, 0);
		assert_int_equal(s2mt_s2_memattr_parse("device-ngre", fwb, &m),
				 0);
		assert_int_equal(m, 2);
		assert_int_equal(s2mt_s2_memattr_parse("device-gre", fwb, &m),
				 0);
		assert_int_equal(m, 3);
	}
	assert_int_equal(s2mt_s2_memattr_parse("force-wb", true, &m), 0);
	assert_int_equal(m, 6);
	assert_int_equal(s2mt_s2_memattr_parse("as-s1", true, &m), 0);
	assert_int_equal(m, 7);
	assert_int_equal(s2mt_s2_memattr_parse("force-wb", false, &m),
			 -S2MT_EINVAL);
	assert_int_equal(s2mt_s2_memattr_parse("as-s1", false, &m),
			 -S2MT_EINVAL);

	/* Numbers. */
	assert_int_equal(s2mt_s2_memattr_parse("0x9", false, &m), 0);
	assert_int_equal(m, 9);
	assert_int_equal(s2mt_s2_memattr_parse("0xf", false, &m), 0);
	assert_int_equal(m, 0xf);
	assert_int_equal(s2mt_s2_memattr_parse("5", false, &m), 0);
	assert_int_equal(m, 5);
	assert_int_equal(s2mt_s2_memattr_parse("0", false, &m), 0);
	assert_int_equal(m, 0);
	assert_int_equal(s2mt_s2_memattr_parse("7", true, &m), 0);
	assert_int_equal(m, 7);
	assert_int_equal(s2mt_s2_memattr_parse("0x6", true, &m), 0);
	assert_int_equal(m, 6);

	for (fwb = 0; fwb < 2; fwb++)
		for (i = 0; i < ARRAY_SIZE(bad); i++)
			if (s2mt_s2_memattr_parse(bad[i], fwb, &m) !=
			    -S2MT_EINVAL)
				fail_msg("s2mt_s2_memattr_parse(\"%s\", %d) "
					 "accepted",
					 bad[i], fwb);
}

static void test_errno_names(void **state)
{
	(void)state;
	assert_string_equal(s2mt_errno_name(22), "EINVAL");
	assert_string_equal(s2mt_errno_name(14), "EFAULT");
	assert_string_equal(s2mt_errno_name(17), "EEXIST");
	assert_string_equal(s2mt_errno_name(S2MT_ENOENT), "ENOENT");
	assert_string_equal(s2mt_errno_name(S2MT_ENOEXEC), "ENOEXEC");
	assert_string_equal(s2mt_errno_name(S2MT_EAGAIN), "EAGAIN");
	assert_string_equal(s2mt_errno_name(S2MT_ENOMEM), "ENOMEM");
	assert_string_equal(s2mt_errno_name(S2MT_ERANGE), "ERANGE");
	assert_string_equal(s2mt_errno_name(9999), "E?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_A5_fwb0_table_cell_by_cell),
		cmocka_unit_test(test_A5_fwb1_table_cell_by_cell),
		cmocka_unit_test(test_A3_A4_combine_exhaustive),
		cmocka_unit_test(test_A3_A4_reserved_status_exact),
		cmocka_unit_test(test_A3_fwb0_never_less_restrictive),
		cmocka_unit_test(test_A4_fwb110_always_wb),
		cmocka_unit_test(test_A4_fwb111_identity),
		cmocka_unit_test(test_A4_fwb101_nc_unless_device),
		cmocka_unit_test(test_A4_fwb_device_more_restrictive_wins),
		cmocka_unit_test(test_A5_mixed_nibbles_combine_per_nibble),
		cmocka_unit_test(test_A3_A4_s2_decode),
		cmocka_unit_test(test_A6_mair_device_bytes),
		cmocka_unit_test(test_A6_mair_named_normal_bytes),
		cmocka_unit_test(test_A6_mair_transient_encodings),
		cmocka_unit_test(test_A6_mair_reserved_bytes),
		cmocka_unit_test(test_A6_mair_decode_exhaustive),
		cmocka_unit_test(test_A6_mair_encode_round_trip),
		cmocka_unit_test(test_A3_hints_from_stage1),
		cmocka_unit_test(test_A4_fwb110_hints),
		cmocka_unit_test(test_A3_shareability_all_pairs_wb_wb),
		cmocka_unit_test(test_A3_shareability_device_and_nc_are_osh),
		cmocka_unit_test(test_A1_A3_shareability_reserved_sh),
		cmocka_unit_test(test_A6_tagged_combinations),
		cmocka_unit_test(test_A4_explain_fwb110_over_device),
		cmocka_unit_test(test_A3_A4_explain_small_buffers),
		cmocka_unit_test(test_A3_A4_explain_reserved),
		cmocka_unit_test(test_A6_memtype_names),
		cmocka_unit_test(test_A1_sh_names),
		cmocka_unit_test(test_A3_A4_s2_names),
		cmocka_unit_test(test_A6_s1attr_parse),
		cmocka_unit_test(test_A3_A4_s2_memattr_parse),
		cmocka_unit_test(test_errno_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
