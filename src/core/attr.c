// SPDX-License-Identifier: MIT
/*
 * The Arm memory-attribute model: MAIR and stage-2 MemAttr decoding, and the
 * combination of the two stages with and without FEAT_S2FWB (SPEC A3-A6).
 */
#include <s2mt/core.h>

#include "fmt.h"

const char *s2mt_errno_name(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:
		return "OK";
	case S2MT_ENOENT:
		return "ENOENT";
	case S2MT_ENOEXEC:
		return "ENOEXEC";
	case S2MT_EAGAIN:
		return "EAGAIN";
	case S2MT_ENOMEM:
		return "ENOMEM";
	case S2MT_EFAULT:
		return "EFAULT";
	case S2MT_EEXIST:
		return "EEXIST";
	case S2MT_EINVAL:
		return "EINVAL";
	case S2MT_ERANGE:
		return "ERANGE";
	}
	return "E?";
}

static struct s2mt_memtype memtype_device(unsigned dev)
{
	struct s2mt_memtype mt = { .device = true, .dev = (uint8_t)dev };
	return mt;
}

static struct s2mt_cattr cattr(unsigned policy, bool ra, bool wa, bool tr)
{
	struct s2mt_cattr c = { .policy = (uint8_t)policy,
				.read_alloc = ra,
				.write_alloc = wa,
				.transient = tr };
	return c;
}

/* A6: one nibble of a Normal MAIR byte. The caller has excluded 0b0000. */
static struct s2mt_cattr mair_nibble(unsigned n)
{
	bool ra = n & 2, wa = n & 1;

	switch (n >> 2) {
	case 0: /* 0b00RW, RW != 00: Write-Through transient */
		return cattr(S2MT_CACHE_WT, ra, wa, true);
	case 1: /* 0b0100 Non-cacheable; 0b01RW Write-Back transient */
		if ((n & 3) == 0)
			return cattr(S2MT_CACHE_NC, false, false, false);
		return cattr(S2MT_CACHE_WB, ra, wa, true);
	case 2:
		return cattr(S2MT_CACHE_WT, ra, wa, false);
	default:
		return cattr(S2MT_CACHE_WB, ra, wa, false);
	}
}

int s2mt_mair_decode(uint8_t mair, struct s2mt_memtype *out)
{
	unsigned hi = mair >> 4, lo = mair & 15;
	struct s2mt_memtype mt = { 0 };

	if (hi == 0) {
		/* 0b0000dd00 is Device; 0b0000dd01 is Device with XS=0
		 * (FEAT_XS, as 0x40/0xA0 below); 0b0000dd1x is
		 * UNPREDICTABLE. XS does not change the memory type. */
		if (lo & 2)
			return -S2MT_EINVAL;
		*out = memtype_device(lo >> 2);
		return 0;
	}
	if (lo == 0) {
		/* An inner nibble of 0b0000 is only defined for these. */
		switch (mair) {
		case 0xf0: /* FEAT_MTE2: Tagged Normal WB RWA */
			mt.inner = mt.outer = cattr(S2MT_CACHE_WB, 1, 1, 0);
			mt.tagged = true;
			break;
		case 0x40: /* FEAT_XS: Normal NC, XS=0 */
			mt.inner = mt.outer = cattr(S2MT_CACHE_NC, 0, 0, 0);
			break;
		case 0xa0: /* FEAT_XS: Normal WT RA no-WA, XS=0 */
			mt.inner = mt.outer = cattr(S2MT_CACHE_WT, 1, 0, 0);
			break;
		default:
			return -S2MT_EINVAL;
		}
		*out = mt;
		return 0;
	}
	mt.outer = mair_nibble(hi);
	mt.inner = mair_nibble(lo);
	*out = mt;
	return 0;
}

static unsigned nibble_encode(const struct s2mt_cattr *c)
{
	unsigned rw = (c->read_alloc ? 2u : 0u) | (c->write_alloc ? 1u : 0u);

	switch (c->policy) {
	case S2MT_CACHE_NC:
		return 4;
	case S2MT_CACHE_WT:
		return (c->transient && rw ? 0u : 8u) | rw;
	default:
		return (c->transient && rw ? 4u : 12u) | rw;
	}
}

uint8_t s2mt_mair_encode(const struct s2mt_memtype *mt)
{
	if (mt->device)
		return (uint8_t)((mt->dev & 3) << 2);
	if (mt->tagged)
		return 0xf0;
	return (uint8_t)(nibble_encode(&mt->outer) << 4 |
			 nibble_encode(&mt->inner));
}

static uint8_t s2_cache_level(unsigned bits)
{
	return bits == 1    ? S2MT_CACHE_NC
		: bits == 2 ? S2MT_CACHE_WT
			    : S2MT_CACHE_WB;
}

int s2mt_s2_decode(uint8_t memattr, bool fwb, struct s2mt_s2type *out)
{
	struct s2mt_s2type t = { 0 };

	if (memattr > 15)
		return -S2MT_EINVAL;
	if (!fwb) {
		/* A3: [3:2]=00 Device; else outer [3:2], inner [1:0]. */
		if ((memattr >> 2) == 0) {
			t.kind = S2MT_S2_DEVICE;
			t.dev = memattr & 3;
		} else if ((memattr & 3) == 0) {
			return -S2MT_EINVAL;
		} else {
			t.kind = S2MT_S2_NORMAL;
			t.outer = s2_cache_level(memattr >> 2);
			t.inner = s2_cache_level(memattr & 3);
		}
		*out = t;
		return 0;
	}
	/* A4: MemAttr[3] is RES0; 0b100 is reserved. */
	if (memattr & 8)
		return -S2MT_EINVAL;
	switch (memattr) {
	case 4:
		return -S2MT_EINVAL;
	case 5:
		t.kind = S2MT_S2_NORMAL;
		t.inner = t.outer = S2MT_CACHE_NC;
		break;
	case 6:
		t.kind = S2MT_S2_FORCE_WB;
		break;
	case 7:
		t.kind = S2MT_S2_AS_S1;
		break;
	default:
		t.kind = S2MT_S2_DEVICE;
		t.dev = memattr & 3;
		break;
	}
	*out = t;
	return 0;
}

bool s2mt_memtype_cacheable(const struct s2mt_memtype *mt)
{
	return !mt->device &&
		(mt->inner.policy != S2MT_CACHE_NC ||
		 mt->outer.policy != S2MT_CACHE_NC);
}

static bool memtype_nc(const struct s2mt_memtype *mt)
{
	return !mt->device && mt->inner.policy == S2MT_CACHE_NC &&
		mt->outer.policy == S2MT_CACHE_NC;
}

/* A3: the weaker cacheability wins; allocation hints come from stage 1. */
static struct s2mt_cattr limit_cattr(struct s2mt_cattr s1, unsigned s2_policy)
{
	if (s2_policy < s1.policy)
		s1.policy = (uint8_t)s2_policy;
	if (s1.policy == S2MT_CACHE_NC)
		return cattr(S2MT_CACHE_NC, false, false, false);
	return s1;
}

/* A4 0b110: Write-Back, stage-1 hints when stage 1 is cacheable, else RWA. */
static struct s2mt_cattr force_wb(struct s2mt_cattr s1, bool s1_normal)
{
	if (s1_normal && s1.policy != S2MT_CACHE_NC) {
		s1.policy = S2MT_CACHE_WB;
		return s1;
	}
	return cattr(S2MT_CACHE_WB, true, true, false);
}

static uint8_t combine_sh(const struct s2mt_effective *e)
{
	uint8_t s1sh, s2sh = e->s2_in.sh;

	/* Device and Normal inner-NC/outer-NC are always Outer Shareable,
	 * at each stage and in the result (A3); stage 1 off is OSH. */
	if (e->mt.device || memtype_nc(&e->mt))
		return S2MT_SH_OSH;
	if (!e->s1_in.enabled || e->s1.device || memtype_nc(&e->s1))
		s1sh = S2MT_SH_OSH;
	else
		s1sh = e->s1_in.sh;
	if (e->s2.kind == S2MT_S2_DEVICE ||
	    (e->s2.kind == S2MT_S2_NORMAL && e->s2.inner == S2MT_CACHE_NC &&
	     e->s2.outer == S2MT_CACHE_NC))
		s2sh = S2MT_SH_OSH;
	if (s1sh == S2MT_SH_OSH || s2sh == S2MT_SH_OSH)
		return S2MT_SH_OSH;
	if (s1sh == S2MT_SH_ISH || s2sh == S2MT_SH_ISH)
		return S2MT_SH_ISH;
	return S2MT_SH_NSH;
}

static void combine_device(struct s2mt_effective *e)
{
	if (e->s1.device && e->s1.dev < e->s2.dev) {
		e->s1_wins = true;
		e->mt = memtype_device(e->s1.dev);
	} else {
		e->mt = memtype_device(e->s2.dev);
	}
}

static void combine_nofwb(struct s2mt_effective *e)
{
	if (e->s2.kind == S2MT_S2_DEVICE) {
		e->path = e->s1.device ? S2MT_PATH_DEV_DEV : S2MT_PATH_DEV_S2;
		combine_device(e);
	} else if (e->s1.device) {
		e->path = S2MT_PATH_DEV_S1;
		e->s1_wins = true;
		e->mt = e->s1;
	} else {
		e->path = S2MT_PATH_NORMAL;
		e->mt.device = false;
		e->mt.inner = limit_cattr(e->s1.inner, e->s2.inner);
		e->mt.outer = limit_cattr(e->s1.outer, e->s2.outer);
		e->mt.tagged = e->s1.tagged &&
			e->mt.inner.policy == S2MT_CACHE_WB &&
			e->mt.outer.policy == S2MT_CACHE_WB;
	}
}

static void combine_fwb(struct s2mt_effective *e)
{
	switch (e->s2.kind) {
	case S2MT_S2_DEVICE:
		e->path = S2MT_PATH_FWB_DEV;
		combine_device(e);
		break;
	case S2MT_S2_NORMAL: /* 0b101 */
		e->path = S2MT_PATH_FWB_NC;
		if (e->s1.device) {
			e->s1_wins = true;
			e->mt = e->s1;
		} else {
			e->mt.inner = e->mt.outer =
				cattr(S2MT_CACHE_NC, false, false, false);
		}
		break;
	case S2MT_S2_FORCE_WB:
		e->path = S2MT_PATH_FWB_FORCE_WB;
		e->mt.inner = force_wb(e->s1.inner, !e->s1.device);
		e->mt.outer = force_wb(e->s1.outer, !e->s1.device);
		e->mt.tagged = e->s1.tagged;
		break;
	default:
		e->path = S2MT_PATH_FWB_AS_S1;
		e->s1_wins = true;
		e->mt = e->s1;
		break;
	}
}

int s2mt_combine(struct s2mt_s1attr s1, struct s2mt_s2attr s2, bool fwb,
		 struct s2mt_effective *out)
{
	struct s2mt_effective e = { 0 };

	e.fwb = fwb;
	e.s1_in = s1;
	e.s2_in = s2;
	e.path = S2MT_PATH_RESERVED;
	if (!s1.enabled)
		e.s1 = memtype_device(S2MT_DEV_nGnRnE);
	else if (s2mt_mair_decode(s1.mair, &e.s1))
		e.status = S2MT_ATTR_RESERVED_S1;
	if (!e.status && s2mt_s2_decode(s2.memattr, fwb, &e.s2))
		e.status = S2MT_ATTR_RESERVED_S2;
	if (!e.status &&
	    (s2.sh == S2MT_SH_RESERVED || s2.sh > 3 ||
	     (s1.enabled && (s1.sh == S2MT_SH_RESERVED || s1.sh > 3))))
		e.status = S2MT_ATTR_RESERVED_SH;
	if (e.status) {
		*out = e;
		return -S2MT_EINVAL;
	}
	if (fwb)
		combine_fwb(&e);
	else
		combine_nofwb(&e);
	e.sh = combine_sh(&e);
	*out = e;
	return 0;
}

/* ---- names ---- */

static const char *const dev_names[] = { "Device-nGnRnE", "Device-nGnRE",
					 "Device-nGRE", "Device-GRE" };
static const char *const cache_names[] = { "NC", "WT", "WB" };

static void fmt_memtype(struct s2mt_fmt *f, const struct s2mt_memtype *mt)
{
	if (mt->device) {
		s2mt_fmt_str(f, dev_names[mt->dev & 3]);
		return;
	}
	s2mt_fmt_str(f, "Normal-");
	if (mt->inner.policy == mt->outer.policy) {
		s2mt_fmt_str(f, cache_names[mt->inner.policy % 3]);
	} else {
		s2mt_fmt_str(f, "o");
		s2mt_fmt_str(f, cache_names[mt->outer.policy % 3]);
		s2mt_fmt_str(f, "-i");
		s2mt_fmt_str(f, cache_names[mt->inner.policy % 3]);
	}
	if (mt->tagged)
		s2mt_fmt_str(f, "-tagged");
}

size_t s2mt_memtype_name(const struct s2mt_memtype *mt, char *buf, size_t len)
{
	struct s2mt_fmt f;

	s2mt_fmt_init(&f, buf, len);
	fmt_memtype(&f, mt);
	return s2mt_fmt_done(&f);
}

const char *s2mt_sh_name(uint8_t sh)
{
	switch (sh) {
	case S2MT_SH_NSH:
		return "NSH";
	case S2MT_SH_OSH:
		return "OSH";
	case S2MT_SH_ISH:
		return "ISH";
	}
	return "SH-reserved";
}

static void fmt_s2(struct s2mt_fmt *f, uint8_t memattr, bool fwb)
{
	struct s2mt_s2type t;
	struct s2mt_memtype mt = { 0 };

	if (s2mt_s2_decode(memattr, fwb, &t)) {
		s2mt_fmt_str(f, "reserved");
		return;
	}
	switch (t.kind) {
	case S2MT_S2_DEVICE:
		mt = memtype_device(t.dev);
		break;
	case S2MT_S2_NORMAL:
		mt.inner.policy = t.inner;
		mt.outer.policy = t.outer;
		break;
	case S2MT_S2_FORCE_WB:
		s2mt_fmt_str(f, "Force-WB");
		return;
	default:
		s2mt_fmt_str(f, "As-S1");
		return;
	}
	fmt_memtype(f, &mt);
}

size_t s2mt_s2_name(uint8_t memattr, bool fwb, char *buf, size_t len)
{
	struct s2mt_fmt f;

	s2mt_fmt_init(&f, buf, len);
	fmt_s2(&f, memattr, fwb);
	return s2mt_fmt_done(&f);
}

static void fmt_stage1(struct s2mt_fmt *f, const struct s2mt_effective *e)
{
	if (!e->s1_in.enabled) {
		s2mt_fmt_str(f, "stage 1 off (Device-nGnRnE)");
		return;
	}
	s2mt_fmt_str(f, "stage-1 ");
	fmt_memtype(f, &e->s1);
}

static void fmt_stage2(struct s2mt_fmt *f, const struct s2mt_effective *e)
{
	s2mt_fmt_str(f, "stage-2 ");
	fmt_s2(f, e->s2_in.memattr, e->fwb);
}

static void fmt_fwb_value(struct s2mt_fmt *f, const struct s2mt_effective *e)
{
	s2mt_fmt_str(f, "FWB ");
	s2mt_fmt_bin(f, e->s2_in.memattr, 3);
}

static void explain_reserved(struct s2mt_fmt *f, const struct s2mt_effective *e)
{
	switch (e->status) {
	case S2MT_ATTR_RESERVED_S1:
		s2mt_fmt_str(f, "Stage-1 MAIR ");
		s2mt_fmt_hex(f, e->s1_in.mair, 2);
		s2mt_fmt_str(f, " is a reserved encoding (A6)");
		break;
	case S2MT_ATTR_RESERVED_S2:
		s2mt_fmt_str(f, "Stage-2 MemAttr ");
		s2mt_fmt_bin(f, e->s2_in.memattr, 4);
		s2mt_fmt_str(f,
			     e->fwb ? " is reserved with FWB (A4)"
				    : " is reserved without FWB (A3)");
		break;
	default:
		s2mt_fmt_str(f, "Shareability 0b01 is reserved (A1)");
		break;
	}
}

size_t s2mt_explain(const struct s2mt_effective *e, char *buf, size_t len)
{
	struct s2mt_fmt f;
	struct s2mt_fmt *p = &f;

	s2mt_fmt_init(&f, buf, len);
	if (e->status) {
		explain_reserved(p, e);
		return s2mt_fmt_done(&f);
	}
	switch (e->path) {
	case S2MT_PATH_DEV_DEV:
		s2mt_fmt_str(p,
			     "Both stages are Device and the more "
			     "restrictive wins: ");
		fmt_stage1(p, e);
		s2mt_fmt_str(p, " with ");
		fmt_stage2(p, e);
		s2mt_fmt_str(p, " gives ");
		fmt_memtype(p, &e->mt);
		s2mt_fmt_str(p, " (A3)");
		break;
	case S2MT_PATH_DEV_S1:
		s2mt_fmt_str(p,
			     "Device at stage 1 overrides Normal at stage 2: ");
		fmt_stage1(p, e);
		s2mt_fmt_str(p, " with ");
		fmt_stage2(p, e);
		s2mt_fmt_str(p, " stays ");
		fmt_memtype(p, &e->mt);
		s2mt_fmt_str(p, " (A3)");
		break;
	case S2MT_PATH_DEV_S2:
		s2mt_fmt_str(p,
			     "Device at stage 2 overrides Normal at stage 1: ");
		fmt_stage1(p, e);
		s2mt_fmt_str(p, " becomes ");
		fmt_memtype(p, &e->mt);
		s2mt_fmt_str(p, " (A3)");
		break;
	case S2MT_PATH_NORMAL:
		s2mt_fmt_str(p,
			     "Both stages are Normal and the weaker "
			     "cacheability wins, inner and outer apart: ");
		fmt_stage1(p, e);
		s2mt_fmt_str(p, " with ");
		fmt_stage2(p, e);
		s2mt_fmt_str(p, " gives ");
		fmt_memtype(p, &e->mt);
		s2mt_fmt_str(p, " (A3)");
		break;
	case S2MT_PATH_FWB_DEV:
		fmt_fwb_value(p, e);
		s2mt_fmt_str(p, " is ");
		fmt_memtype(p,
			    &(struct s2mt_memtype){ .device = true,
						    .dev = e->s2.dev });
		if (e->s1_wins) {
			s2mt_fmt_str(p, ", but ");
			fmt_stage1(p, e);
			s2mt_fmt_str(p, " is more restrictive and wins (A4)");
		} else {
			s2mt_fmt_str(p, " and overrides ");
			fmt_stage1(p, e);
			s2mt_fmt_str(p, " (A4)");
		}
		break;
	case S2MT_PATH_FWB_NC:
		fmt_fwb_value(p, e);
		if (e->s1_wins) {
			s2mt_fmt_str(p, " asks for Normal-NC, but ");
			fmt_stage1(p, e);
			s2mt_fmt_str(p, " is Device and wins (A4)");
		} else {
			s2mt_fmt_str(p, " makes ");
			fmt_stage1(p, e);
			s2mt_fmt_str(p, " Normal-NC (A4)");
		}
		break;
	case S2MT_PATH_FWB_FORCE_WB:
		fmt_fwb_value(p, e);
		s2mt_fmt_str(p, " forces Normal-WB; ");
		fmt_stage1(p, e);
		if (!e->s1.device && e->s1.inner.policy == S2MT_CACHE_WB &&
		    e->s1.outer.policy == S2MT_CACHE_WB)
			s2mt_fmt_str(p, " already agrees (A4)");
		else
			s2mt_fmt_str(p, " is overridden (A4)");
		break;
	default:
		fmt_fwb_value(p, e);
		s2mt_fmt_str(p, " leaves ");
		fmt_stage1(p, e);
		s2mt_fmt_str(p, " unchanged (A4)");
		break;
	}
	return s2mt_fmt_done(&f);
}

/* ---- parsing names ---- */

struct name_value {
	const char *name;
	uint8_t value;
};

static const struct name_value s1_names[] = {
	{ "device-ngnrne", 0x00 }, { "device-ngnre", 0x04 },
	{ "device-ngre", 0x08 },   { "device-gre", 0x0c },
	{ "normal-nc", 0x44 },	   { "normal-wt", 0xbb },
	{ "normal-wb", 0xff },	   { "normal-wb-tagged", 0xf0 },
	{ "tagged", 0xf0 },
};

int s2mt_s1attr_parse(const char *text, struct s2mt_s1attr *out)
{
	uint64_t v;

	if (!text)
		return -S2MT_EINVAL;
	if (s2mt_str_ieq(text, "off")) {
		*out = (struct s2mt_s1attr){ .enabled = false,
					     .sh = S2MT_SH_OSH };
		return 0;
	}
	for (size_t i = 0; i < sizeof(s1_names) / sizeof(s1_names[0]); i++) {
		if (s2mt_str_ieq(text, s1_names[i].name)) {
			v = s1_names[i].value;
			goto found;
		}
	}
	if (s2mt_str_to_u64(text, &v) || v > 0xff)
		return -S2MT_EINVAL;
found:
	*out = (struct s2mt_s1attr){ .enabled = true,
				     .mair = (uint8_t)v,
				     .sh = S2MT_SH_ISH };
	return 0;
}

int s2mt_s2_memattr_parse(const char *text, bool fwb, uint8_t *out)
{
	static const struct name_value common[] = {
		{ "device-ngnrne", 0 }, { "device-ngnre", 1 },
		{ "device-ngre", 2 },	{ "device-gre", 3 },
		{ "normal-nc", 5 },
	};
	uint64_t v;

	if (!text)
		return -S2MT_EINVAL;
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++) {
		if (s2mt_str_ieq(text, common[i].name)) {
			*out = common[i].value;
			return 0;
		}
	}
	if (s2mt_str_ieq(text, "normal-wb")) {
		*out = fwb ? 6 : 0xf;
		return 0;
	}
	if (!fwb && s2mt_str_ieq(text, "normal-wt")) {
		*out = 0xa;
		return 0;
	}
	if (fwb && s2mt_str_ieq(text, "force-wb")) {
		*out = 6;
		return 0;
	}
	if (fwb && s2mt_str_ieq(text, "as-s1")) {
		*out = 7;
		return 0;
	}
	if (s2mt_str_to_u64(text, &v) || v > 15)
		return -S2MT_EINVAL;
	*out = (uint8_t)v;
	return 0;
}
