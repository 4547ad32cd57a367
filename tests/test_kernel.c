// SPDX-License-Identifier: MIT
/*
 * Unit tests of kernel versions (src/model/kernel.c) and of what the host
 * model takes from them (src/model/host.c): parsing what `uname -r`
 * prints, every feature at its boundary and one release below, stable
 * points, backports and their refusals, the policy era, and the host's IPA
 * limit, nvgrace-gpu driver and VMA flags per kernel.
 *
 * The expected boundaries come from the table below, written here from
 * docs/kernels.md and not from the model's own table, and an exhaustive
 * loop holds every release from 6.1 to 7.9 (at many patch levels) to it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "support/expect.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <s2mt/model.h>

#define SZ_4K 0x1000ull
#define SZ_2M 0x200000ull
#define SZ_1G 0x40000000ull

/* ------------------------------------------------------------------ */
/* The boundaries, independently of kernel.c                           */
/* ------------------------------------------------------------------ */

struct point {
	unsigned major, minor, patch;
};

static const struct oracle {
	unsigned f;
	const char *name;
	unsigned major, minor; /* mainline; 0.0: stable only */
	struct point stable[3]; /* stable branches that took it first */
} oracle[] = {
	{ S2MT_KF_MTE_SHARED, "mte-shared", 6, 2, { { 0 } } },
	{ S2MT_KF_USER_MEMORY2, "user-memory2", 6, 8, { { 0 } } },
	{ S2MT_KF_NORMAL_NC, "normal-nc", 6, 9, { { 0 } } },
	{ S2MT_KF_NVGRACE_GPU, "nvgrace-gpu", 6, 9, { { 0 } } },
	{ S2MT_KF_IPA_52_LPA2, "ipa-52-lpa2", 6, 8, { { 0 } } },
	{ S2MT_KF_ANON_MTE_FIX,
	  "anon-mte-fix",
	  0,
	  0,
	  { { 6, 1, 130 }, { 6, 6, 80 }, { 6, 12, 17 } } },
	{ S2MT_KF_HUGETLB_MTE, "hugetlb-mte", 6, 13, { { 0 } } },
	{ S2MT_KF_CACHEABLE_PFNMAP, "cacheable-pfnmap", 6, 17, { { 0 } } },
	{ S2MT_KF_NVGRACE_NO_RESMEM,
	  "nvgrace-no-resmem",
	  6,
	  14,
	  { { 6, 12, 16 }, { 6, 13, 4 } } },
	{ S2MT_KF_THP_ANON_ALIGN, "thp-anon-align", 6, 7, { { 0 } } },
	{ S2MT_KF_THP_ALIGN_PMD_LEN,
	  "thp-align-pmd-len",
	  6,
	  12,
	  { { 6, 11, 7 } } },
	{ S2MT_KF_THP_ZERO_WP_ALLOC, "thp-zero-wp-alloc", 6, 13, { { 0 } } },
};
#define NR_ORACLE (sizeof(oracle) / sizeof(oracle[0]))

static bool oracle_has(const struct oracle *o, unsigned major, unsigned minor,
		       unsigned patch)
{
	if (o->major &&
	    (major > o->major || (major == o->major && minor >= o->minor)))
		return true;
	for (size_t i = 0; i < 3; i++)
		if (o->stable[i].major == major &&
		    o->stable[i].minor == minor && patch >= o->stable[i].patch)
			return true;
	return false;
}

static unsigned oracle_era(unsigned major, unsigned minor)
{
	if (major > 6 || (major == 6 && minor >= 17))
		return S2MT_ERA_6_17;
	if (major == 6 && minor >= 9)
		return S2MT_ERA_6_9;
	return S2MT_ERA_6_8;
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static struct s2mt_kernel kparse(const char *release)
{
	struct s2mt_kernel k;
	char err[256] = "";

	memset(&k, 0x5a, sizeof(k));
	if (s2mt_kernel_parse(release, &k, err, sizeof(err)))
		fail_msg("parse(\"%s\"): %s", release, err);
	return k;
}

static void kadd(struct s2mt_kernel *k, const char *name)
{
	char err[256] = "";

	if (s2mt_kernel_add_backport(k, name, err, sizeof(err)))
		fail_msg("%s + %s: %s", k->release, name, err);
}

/* A refused backport: -EINVAL, the exact sentence, and k unchanged. */
static void expect_backport_refused(const char *release,
				    const char *const *first, const char *name,
				    const char *want)
{
	struct s2mt_kernel k = kparse(release), before;
	char err[256] = "";

	for (; first && *first; first++)
		kadd(&k, *first);
	before = k;
	expect_rc(s2mt_kernel_add_backport(&k, name, err, sizeof(err)),
		  -S2MT_EINVAL);
	expect(!strcmp(err, want), "%s + %s:\n got: %s\nwant: %s", release,
	       name, err, want);
	expect(!memcmp(&k, &before, sizeof(k)), "%s + %s changed the kernel",
	       release, name);
}

/* A fresh host running the kernel release (+ backports). */
static struct s2mt_host *host_with(const char *preset, const char *release,
				   const char *const *backports)
{
	struct s2mt_host *h = calloc(1, sizeof(*h));
	struct s2mt_kernel k = kparse(release);

	assert_non_null(h);
	for (; backports && *backports; backports++)
		kadd(&k, *backports);
	expect_rc(s2mt_host_init(h, preset, S2MT_ERA_6_17, 8 * SZ_1G), 0);
	expect_rc(s2mt_host_set_kernel(h, &k), 0);
	return h;
}

/* ------------------------------------------------------------------ */
/* Parsing                                                             */
/* ------------------------------------------------------------------ */

static void test_parse_good(void **state)
{
	static const struct {
		const char *in;
		unsigned major, minor, patch;
	} good[] = {
		{ "6.12", 6, 12, 0 },
		{ "6.1", 6, 1, 0 },
		{ "6.17.0-1001-nvidia", 6, 17, 0 },
		{ "7.2.13+deb14-cloud-arm64", 7, 2, 13 },
		{ "6.1.0-28-arm64", 6, 1, 0 },
		{ "6.8.0-rc3", 6, 8, 0 },
		{ "6.12.38+deb13-arm64", 6, 12, 38 },
		{ "6.9-rc1", 6, 9, 0 },
		{ "6.12.0+", 6, 12, 0 },
		{ "6.8.5-301.fc40.aarch64", 6, 8, 5 },
		{ "6.14.0-1007-nvidia-64k", 6, 14, 0 },
		{ "6.6.80-custom_1~bpo", 6, 6, 80 },
		{ "10.0.1", 10, 0, 1 },
		{ "6.1.99999", 6, 1, 99999 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct s2mt_kernel k = kparse(good[i].in);

		expect(k.major == good[i].major && k.minor == good[i].minor &&
			       k.patch == good[i].patch,
		       "%s: %u.%u.%u", good[i].in, k.major, k.minor, k.patch);
		expect(!strcmp(k.release, good[i].in), "%s: release %s",
		       good[i].in, k.release);
		expect(k.backports == 0, "%s: backports 0x%x", good[i].in,
		       k.backports);
	}
	/* uname's release field holds 64 characters. */
	char longest[65];

	memset(longest, 'x', 64);
	memcpy(longest, "6.12.1-", 7);
	longest[64] = '\0';
	expect(!strcmp(kparse(longest).release, longest), "64 characters");
	/* err may be NULL. */
	struct s2mt_kernel k;

	expect_rc(s2mt_kernel_parse("6.12", &k, NULL, 0), 0);
}

#define GARBAGE(x)                                                             \
	"expected a kernel release as uname -r prints it (X.Y or X.Y.Z, "      \
	"then optionally -suffix or +suffix, e.g. \"6.17.0-1001-nvidia\"), "   \
	"got \"" x "\""

static void test_parse_bad(void **state)
{
	static const struct {
		const char *in;
		const char *err;
	} bad[] = {
		{ "", GARBAGE("") },
		{ "6", GARBAGE("6") },
		{ "6.", GARBAGE("6.") },
		{ "6.x", GARBAGE("6.x") },
		{ "v6.12", GARBAGE("v6.12") },
		{ "linux-6.12", GARBAGE("linux-6.12") },
		{ " 6.12", GARBAGE(" 6.12") },
		{ "6.12 ", GARBAGE("6.12 ") },
		{ "6.12\n", GARBAGE("6.12\\x0a") },
		{ "6.12-\xc3\xa9", GARBAGE("6.12-\\xc3\\xa9") },
		{ "6.12.", GARBAGE("6.12.") },
		{ "6.12.0.1", GARBAGE("6.12.0.1") },
		{ "6.12_custom", GARBAGE("6.12_custom") },
		{ "6.12-my kernel", GARBAGE("6.12-my kernel") },
		{ "6.12-a/b", GARBAGE("6.12-a/b") },
		{ "6.123456", GARBAGE("6.123456") },
		{ "..", GARBAGE("..") },
		{ "5.15.0-91-generic",
		  "kernel 5.15.0-91-generic is older than 6.1, the oldest the "
		  "model describes (Debian 12's kernel)" },
		{ "6.0",
		  "kernel 6.0 is older than 6.1, the oldest the model "
		  "describes "
		  "(Debian 12's kernel)" },
		{ "4.19.325",
		  "kernel 4.19.325 is older than 6.1, the oldest the model "
		  "describes (Debian 12's kernel)" },
	};
	struct s2mt_kernel k, before;
	char err[256];

	(void)state;
	memset(&before, 0x5a, sizeof(before));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		k = before;
		err[0] = '\0';
		expect_rc(s2mt_kernel_parse(bad[i].in, &k, err, sizeof(err)),
			  -S2MT_EINVAL);
		expect(!strcmp(err, bad[i].err), "\"%s\":\n got: %s\nwant: %s",
		       bad[i].in, err, bad[i].err);
		expect(!memcmp(&k, &before, sizeof(k)), "%s changed k",
		       bad[i].in);
	}
	char too_long[70];

	memset(too_long, 'a', 65);
	memcpy(too_long, "6.12-", 5);
	too_long[65] = '\0';
	expect_rc(s2mt_kernel_parse(too_long, &k, err, sizeof(err)),
		  -S2MT_EINVAL);
	expect(!strcmp(err,
		       "expected a kernel release of at most 64 "
		       "characters (uname's limit), got 65: "
		       "\"6.12-aaaaaaaaaaaaaaaaaaa...\""),
	       "%s", err);
	expect_rc(s2mt_kernel_parse(NULL, &k, err, sizeof(err)), -S2MT_EINVAL);
	expect(!strcmp(err,
		       "expected a kernel release such as \"6.12\", got "
		       "nothing"),
	       "%s", err);
	expect_rc(s2mt_kernel_parse("6.12", NULL, err, sizeof(err)),
		  -S2MT_EINVAL);
	/* A short buffer gets a truncated sentence, NUL-terminated. */
	char tiny[9];

	expect_rc(s2mt_kernel_parse("x", &k, tiny, sizeof(tiny)), -S2MT_EINVAL);
	expect(!strcmp(tiny, "expected"), "%s", tiny);
}

/* ------------------------------------------------------------------ */
/* Features and their boundaries                                       */
/* ------------------------------------------------------------------ */

static void test_feature_table(void **state)
{
	unsigned major, minor, patch;

	(void)state;
	expect(NR_ORACLE == S2MT_KF_COUNT_, "%zu features known here, %d",
	       NR_ORACLE, S2MT_KF_COUNT_);
	for (size_t i = 0; i < NR_ORACLE; i++) {
		const struct oracle *o = &oracle[i];

		expect(!strcmp(s2mt_kernel_feature_name(o->f), o->name),
		       "%u: %s", o->f, s2mt_kernel_feature_name(o->f));
		expect_rc(s2mt_kernel_feature_find(o->name), (int)o->f);
		expect(strlen(s2mt_kernel_feature_title(o->f)) > 10, "title");
		s2mt_kernel_feature_since(o->f, &major, &minor);
		expect(major == o->major && minor == o->minor, "%s: %u.%u",
		       o->name, major, minor);
		for (size_t j = 0; j < 3 && o->stable[j].major; j++) {
			patch = 0;
			expect(s2mt_kernel_feature_stable(
				       o->f, o->stable[j].major,
				       o->stable[j].minor, &patch) &&
				       patch == o->stable[j].patch,
			       "%s stable %u.%u: %u", o->name,
			       o->stable[j].major, o->stable[j].minor, patch);
		}
		expect(!s2mt_kernel_feature_stable(o->f, 6, 10, NULL),
		       "%s: no 6.10.y point", o->name);
	}
	/* Dependencies (docs/kernels.md). */
	expect(s2mt_kernel_feature_requires(S2MT_KF_CACHEABLE_PFNMAP) ==
		       S2MT_KF_BIT(S2MT_KF_NORMAL_NC),
	       "cacheable-pfnmap needs normal-nc");
	/* A backport of the driver alone models NVIDIA's out-of-tree one. */
	expect(s2mt_kernel_feature_requires(S2MT_KF_NVGRACE_GPU) == 0,
	       "nvgrace-gpu needs nothing");
	expect(s2mt_kernel_feature_requires(S2MT_KF_NVGRACE_NO_RESMEM) ==
		       S2MT_KF_BIT(S2MT_KF_NVGRACE_GPU),
	       "nvgrace-no-resmem needs nvgrace-gpu");
	expect(s2mt_kernel_feature_requires(S2MT_KF_HUGETLB_MTE) ==
		       S2MT_KF_BIT(S2MT_KF_MTE_SHARED),
	       "hugetlb-mte needs mte-shared");
	expect(s2mt_kernel_feature_requires(S2MT_KF_USER_MEMORY2) == 0, "none");
	/* Out of range. */
	expect(!strcmp(s2mt_kernel_feature_name(S2MT_KF_COUNT_), "?"), "name");
	expect(!strcmp(s2mt_kernel_feature_title(99), "?"), "title");
	s2mt_kernel_feature_since(S2MT_KF_COUNT_, &major, &minor);
	expect(major == 0 && minor == 0, "since");
	s2mt_kernel_feature_since(S2MT_KF_NORMAL_NC, NULL, NULL);
	expect(!s2mt_kernel_feature_stable(S2MT_KF_COUNT_, 6, 12, &patch),
	       "stable");
	expect(s2mt_kernel_feature_requires(S2MT_KF_COUNT_) == 0, "requires");
	expect_rc(s2mt_kernel_feature_find("Normal-NC"), -S2MT_EINVAL);
	expect_rc(s2mt_kernel_feature_find(NULL), -S2MT_EINVAL);
	struct s2mt_kernel k = kparse("7.2");

	expect(!s2mt_kernel_has(&k, S2MT_KF_COUNT_), "no such feature");
	expect(!s2mt_kernel_has(NULL, S2MT_KF_NORMAL_NC), "no kernel");
}

/* Each feature exactly at its boundary and one release (or patch) below. */
static void test_feature_boundaries(void **state)
{
	static const struct {
		unsigned f;
		const char *at, *below;
	} cases[] = {
		{ S2MT_KF_MTE_SHARED, "6.2", "6.1.158" },
		{ S2MT_KF_USER_MEMORY2, "6.8", "6.7.12" },
		{ S2MT_KF_USER_MEMORY2, "6.8.0-rc1", "6.7" },
		{ S2MT_KF_NORMAL_NC, "6.9", "6.8.12" },
		{ S2MT_KF_NVGRACE_GPU, "6.9.0", "6.8.0-1010-nvidia" },
		{ S2MT_KF_IPA_52_LPA2, "6.8", "6.7" },
		{ S2MT_KF_HUGETLB_MTE, "6.13", "6.12.40" },
		{ S2MT_KF_CACHEABLE_PFNMAP, "6.17", "6.16.9" },
		{ S2MT_KF_CACHEABLE_PFNMAP, "6.17.0-1001-nvidia",
		  "6.14.0-1007-nvidia" },
		{ S2MT_KF_NVGRACE_NO_RESMEM, "6.14", "6.13.3" },
		{ S2MT_KF_NVGRACE_NO_RESMEM, "6.13.4", "6.13.3" },
		{ S2MT_KF_NVGRACE_NO_RESMEM, "6.12.16", "6.12.15" },
		{ S2MT_KF_ANON_MTE_FIX, "6.12.17", "6.12.16" },
		{ S2MT_KF_ANON_MTE_FIX, "6.12.38+deb13-arm64", "6.12" },
		{ S2MT_KF_ANON_MTE_FIX, "6.6.80", "6.6.79" },
		{ S2MT_KF_ANON_MTE_FIX, "6.1.130", "6.1.129" },
		/* Never in mainline: neither before nor after 6.13. */
		{ S2MT_KF_ANON_MTE_FIX, "6.1.140", "6.13" },
		{ S2MT_KF_ANON_MTE_FIX, "6.12.17", "7.2.13+deb14-cloud-arm64" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct s2mt_kernel at = kparse(cases[i].at);
		struct s2mt_kernel below = kparse(cases[i].below);
		const char *name = s2mt_kernel_feature_name(cases[i].f);

		expect(s2mt_kernel_has(&at, cases[i].f), "%s lacks %s",
		       cases[i].at, name);
		expect(!s2mt_kernel_has(&below, cases[i].f), "%s has %s",
		       cases[i].below, name);
	}
}

/* Every release from 6.1 to 7.9, at patch levels around the stable points,
 * against the table at the top of this file. */
static void test_every_version(void **state)
{
	static const unsigned patches[] = { 0,	 1,   3,   4,	5,   15,
					    16,	 17,  18,  79,	80,  81,
					    129, 130, 131, 158, 200, 999 };
	unsigned checked = 0;
	char rel[32];

	(void)state;
	for (unsigned major = 6; major <= 7; major++)
		for (unsigned minor = major == 6 ? 1 : 0;
		     minor <= (major == 6 ? 19u : 9u); minor++)
			for (size_t p = 0;
			     p < sizeof(patches) / sizeof(patches[0]); p++) {
				struct s2mt_kernel k;

				snprintf(rel, sizeof(rel), "%u.%u.%u-1-arm64",
					 major, minor, patches[p]);
				k = kparse(rel);
				for (size_t i = 0; i < NR_ORACLE; i++) {
					bool want =
						oracle_has(&oracle[i], major,
							   minor, patches[p]);

					expect(s2mt_kernel_has(
						       &k, oracle[i].f) == want,
					       "%s: %s should be %s", rel,
					       oracle[i].name,
					       want ? "there" : "absent");
					checked++;
				}
				expect(s2mt_kernel_era(&k) ==
					       oracle_era(major, minor),
				       "%s: era %s", rel,
				       s2mt_era_name(s2mt_kernel_era(&k)));
			}
	expect(checked == 29 * 18 * NR_ORACLE, "%u checks", checked);
}

/* ------------------------------------------------------------------ */
/* Backports                                                           */
/* ------------------------------------------------------------------ */

static void test_backports(void **state)
{
	static const char *const nnc[] = { "normal-nc", NULL };
	struct s2mt_kernel k;
	char d[128];

	(void)state;
	/* NVIDIA's 6.14 carries the 6.17 cacheable PFNMAP series. */
	k = kparse("6.14.0-1007-nvidia");
	expect(s2mt_kernel_era(&k) == S2MT_ERA_6_9, "6.14 is a 6.9-era kernel");
	kadd(&k, "cacheable-pfnmap");
	expect(k.backports == S2MT_KF_BIT(S2MT_KF_CACHEABLE_PFNMAP), "0x%x",
	       k.backports);
	expect(s2mt_kernel_has(&k, S2MT_KF_CACHEABLE_PFNMAP), "has it");
	expect(s2mt_kernel_era(&k) == S2MT_ERA_6_17, "era 6.17 rules");
	s2mt_kernel_describe(&k, d, sizeof(d));
	expect(!strcmp(d, "6.14.0-1007-nvidia (+cacheable-pfnmap)"), "%s", d);
	expect(s2mt_kernel_has(&k, S2MT_KF_NVGRACE_NO_RESMEM) &&
		       !s2mt_kernel_has(&k, S2MT_KF_ANON_MTE_FIX),
	       "other features keep the version's answer");

	/* A 6.8 vendor kernel with the Grace-Hopper stack. */
	k = kparse("6.8.0-1010-nvidia");
	kadd(&k, "normal-nc");
	kadd(&k, "nvgrace-gpu");
	kadd(&k, "nvgrace-no-resmem");
	expect(s2mt_kernel_era(&k) == S2MT_ERA_6_9, "Normal-NC rules");
	s2mt_kernel_describe(&k, d, sizeof(d));
	expect(!strcmp(d,
		       "6.8.0-1010-nvidia (+normal-nc, +nvgrace-gpu, "
		       "+nvgrace-no-resmem)"),
	       "%s", d);
	/* The stable-only hugetlb fix on a stable kernel that lacks it. */
	k = kparse("6.12.16");
	kadd(&k, "anon-mte-fix");
	expect(s2mt_kernel_has(&k, S2MT_KF_ANON_MTE_FIX), "fix");
	/* ... and hugetlb-mte on top of a fixed 6.12.y (it wins in host.c). */
	k = kparse("6.12.20");
	kadd(&k, "hugetlb-mte");
	expect(s2mt_kernel_has(&k, S2MT_KF_HUGETLB_MTE) &&
		       s2mt_kernel_has(&k, S2MT_KF_ANON_MTE_FIX),
	       "both");
	/* 6.1 (Debian 12) with the MTE sharing series, then hugetlb-mte. */
	k = kparse("6.1.0-28-arm64");
	kadd(&k, "mte-shared");
	kadd(&k, "hugetlb-mte");
	kadd(&k, "user-memory2");
	kadd(&k, "ipa-52-lpa2");

	/* Refusals: one sentence each, the kernel unchanged. */
	expect_backport_refused(
		"6.12", NULL, "foo",
		"unknown backport \"foo\": the model knows mte-shared, "
		"user-memory2, normal-nc, nvgrace-gpu, ipa-52-lpa2, "
		"anon-mte-fix, hugetlb-mte, cacheable-pfnmap, "
		"nvgrace-no-resmem, thp-anon-align, thp-align-pmd-len, "
		"thp-zero-wp-alloc");
	expect_backport_refused(
		"6.12", NULL, "Cacheable-PFNMAP",
		"unknown backport \"Cacheable-PFNMAP\": the model knows "
		"mte-shared, user-memory2, normal-nc, nvgrace-gpu, "
		"ipa-52-lpa2, anon-mte-fix, hugetlb-mte, cacheable-pfnmap, "
		"nvgrace-no-resmem, thp-anon-align, thp-align-pmd-len, "
		"thp-zero-wp-alloc");
	expect_backport_refused(
		"6.12", NULL, "normal-nc",
		"normal-nc is already in kernel 6.12 (since Linux 6.9), so it "
		"is no backport");
	expect_backport_refused("6.17.0-1001-nvidia", NULL, "cacheable-pfnmap",
				"cacheable-pfnmap is already in kernel "
				"6.17.0-1001-nvidia (since Linux 6.17), so "
				"it is no backport");
	expect_backport_refused("6.12.20", NULL, "anon-mte-fix",
				"anon-mte-fix is already in kernel 6.12.20 "
				"(since Linux 6.12.17), so it is no backport");
	expect_backport_refused("6.13.4", NULL, "nvgrace-no-resmem",
				"nvgrace-no-resmem is already in kernel "
				"6.13.4 (since Linux 6.13.4), so it is no "
				"backport");
	expect_backport_refused("6.8", nnc, "normal-nc",
				"normal-nc is already named as a backport");
	expect_backport_refused(
		"6.8", NULL, "cacheable-pfnmap",
		"cacheable-pfnmap needs normal-nc, which kernel 6.8 lacks: "
		"name normal-nc as a backport first");
	expect_backport_refused(
		"6.8", nnc, "nvgrace-no-resmem",
		"nvgrace-no-resmem needs nvgrace-gpu, which kernel 6.8 lacks: "
		"name nvgrace-gpu as a backport first");
	expect_backport_refused(
		"6.1", NULL, "hugetlb-mte",
		"hugetlb-mte needs mte-shared, which kernel 6.1 lacks: name "
		"mte-shared as a backport first");
	expect_backport_refused(
		"6.14", NULL, "anon-mte-fix",
		"anon-mte-fix does not apply to kernel 6.14: it has "
		"hugetlb-mte, which supersedes it");
	static const char *const hm[] = { "hugetlb-mte", NULL };

	expect_backport_refused(
		"6.12.16", hm, "anon-mte-fix",
		"anon-mte-fix does not apply to kernel 6.12.16: it has "
		"hugetlb-mte, which supersedes it");
	expect_backport_refused("6.9", NULL, "nvgrace-gpu",
				"nvgrace-gpu is already in kernel 6.9 (since "
				"Linux 6.9), so it is no backport");

	char err[64];

	k = kparse("6.12");
	expect_rc(s2mt_kernel_add_backport(&k, NULL, err, sizeof(err)),
		  -S2MT_EINVAL);
	expect(!strncmp(err, "unknown backport \"(null)\"", 25), "%s", err);
	expect_rc(s2mt_kernel_add_backport(NULL, "normal-nc", err, sizeof(err)),
		  -S2MT_EINVAL);
	expect_rc(s2mt_kernel_add_backport(&k, "bogus", NULL, 0), -S2MT_EINVAL);
	expect(k.backports == 0, "unchanged");
}

/* ------------------------------------------------------------------ */
/* Eras                                                                */
/* ------------------------------------------------------------------ */

static void test_era_mapping(void **state)
{
	static const struct {
		unsigned era;
		const char *release;
		unsigned minor;
	} reps[] = {
		{ S2MT_ERA_6_8, "6.8", 8 },
		{ S2MT_ERA_6_9, "6.9", 9 },
		{ S2MT_ERA_6_17, "6.17", 17 },
	};
	static const struct {
		const char *release;
		const char *backport;
		unsigned era;
	} real[] = {
		{ "6.1.0-28-arm64", NULL, S2MT_ERA_6_8 },
		{ "6.8.0-31-generic", NULL, S2MT_ERA_6_8 },
		{ "6.8.0-1010-nvidia", "normal-nc", S2MT_ERA_6_9 },
		{ "6.9", NULL, S2MT_ERA_6_9 },
		{ "6.12.38+deb13-arm64", NULL, S2MT_ERA_6_9 },
		{ "6.16.12", NULL, S2MT_ERA_6_9 },
		{ "6.14.0-1007-nvidia", "cacheable-pfnmap", S2MT_ERA_6_17 },
		{ "6.17.0-rc1", NULL, S2MT_ERA_6_17 },
		{ "7.2.13+deb14-cloud-arm64", NULL, S2MT_ERA_6_17 },
	};
	struct s2mt_kernel k;
	char d[64];

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		memset(&k, 0x5a, sizeof(k));
		s2mt_kernel_of_era(reps[i].era, &k);
		expect(!strcmp(k.release, reps[i].release) && k.major == 6 &&
			       k.minor == reps[i].minor && k.patch == 0 &&
			       k.backports == 0,
		       "era %u: %s %u.%u.%u 0x%x", reps[i].era, k.release,
		       k.major, k.minor, k.patch, k.backports);
		expect(s2mt_kernel_era(&k) == reps[i].era, "round trip %s",
		       reps[i].release);
		s2mt_kernel_describe(&k, d, sizeof(d));
		expect(!strcmp(d, reps[i].release), "%s", d);
	}
	memset(&k, 0x5a, sizeof(k));
	s2mt_kernel_of_era(S2MT_ERA_COUNT_, &k);
	expect(k.release[0] == '\0' && k.major == 0 && k.backports == 0,
	       "unknown era: zero");
	s2mt_kernel_of_era(S2MT_ERA_6_9, NULL);
	expect(s2mt_kernel_era(NULL) == S2MT_ERA_6_8, "no kernel");
	for (size_t i = 0; i < sizeof(real) / sizeof(real[0]); i++) {
		k = kparse(real[i].release);
		if (real[i].backport)
			kadd(&k, real[i].backport);
		expect(s2mt_kernel_era(&k) == real[i].era, "%s: era %s",
		       real[i].release, s2mt_era_name(s2mt_kernel_era(&k)));
	}
}

static void test_describe(void **state)
{
	struct s2mt_kernel k = kparse("6.8");
	char d[64], small[8];

	(void)state;
	kadd(&k, "normal-nc");
	expect(s2mt_kernel_describe(&k, d, sizeof(d)) == 16 &&
		       !strcmp(d, "6.8 (+normal-nc)"),
	       "%s", d);
	expect(s2mt_kernel_describe(&k, small, sizeof(small)) == 7 &&
		       !strcmp(small, "6.8 (+n"),
	       "%s", small);
	/* A kernel built by hand, without release text. */
	memset(&k, 0, sizeof(k));
	k.major = 6;
	k.minor = 12;
	k.patch = 3;
	s2mt_kernel_describe(&k, d, sizeof(d));
	expect(!strcmp(d, "6.12.3"), "%s", d);
	expect(s2mt_kernel_describe(NULL, d, sizeof(d)) == 0 && d[0] == '\0',
	       "NULL");
	expect(s2mt_kernel_describe(&k, NULL, 0) == 0, "no buffer");
}

/* ------------------------------------------------------------------ */
/* The host per kernel                                                 */
/* ------------------------------------------------------------------ */

/* A2: KVM_CAP_ARM_VM_IPA_SIZE, LPA2 from 6.8 (not 6.9). */
static void test_host_ipa_limit(void **state)
{
	static const char *const lpa2[] = { "ipa-52-lpa2", NULL };
	static const struct {
		const char *preset, *release;
		const char *const *backports;
		unsigned limit;
	} cases[] = {
		{ "qemu-max", "6.1.0-28-arm64", NULL, 48 },
		{ "qemu-max", "6.7.12", NULL, 48 },
		{ "qemu-max", "6.8", NULL, 52 },
		{ "qemu-max", "6.8.0-rc1", NULL, 52 },
		{ "qemu-max", "6.9", NULL, 52 },
		{ "qemu-max", "6.12.38+deb13-arm64", NULL, 52 },
		{ "qemu-max", "6.1.0-28-arm64", lpa2, 52 },
		{ "grace-hopper", "6.8", NULL, 48 }, /* 48-bit PA, no LPA2 */
		{ "no-fwb", "6.17", NULL, 44 },
		{ "fwb-no-dic", "6.1", NULL, 48 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct s2mt_host *h = host_with(
			cases[i].preset, cases[i].release, cases[i].backports);

		expect(h->ipa_limit == cases[i].limit, "%s %s: %u, want %u",
		       cases[i].preset, cases[i].release, h->ipa_limit,
		       cases[i].limit);
		free(h);
	}
	/* The era representatives: 6.8.0 already has LPA2 in KVM. */
	struct s2mt_host *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	expect_rc(s2mt_host_init(h, "qemu-max", S2MT_ERA_6_8, SZ_1G), 0);
	expect(h->ipa_limit == 52 && !strcmp(h->kernel.release, "6.8"), "%u %s",
	       h->ipa_limit, h->kernel.release);
	/* A custom host: 48-bit PA without LPA2, whatever the kernel. */
	struct s2mt_host_caps caps = { .fwb = true, .dic = true };
	struct s2mt_kernel k = kparse("7.2");

	expect_rc(s2mt_host_init_caps(h, &caps, S2MT_ERA_6_8, SZ_1G), 0);
	expect_rc(s2mt_host_set_kernel(h, &k), 0);
	expect(h->ipa_limit == 48 && h->era == S2MT_ERA_6_17, "%u",
	       h->ipa_limit);
	free(h);
}

static void test_host_set_kernel(void **state)
{
	static const struct s2mt_bar_spec bars[S2MT_MAX_BARS] = {
		[0] = { .size = 16 * SZ_4K },
	};
	struct s2mt_host *h = calloc(1, sizeof(*h)), before;
	struct s2mt_kernel k = kparse("6.14.0-1007-nvidia");
	struct s2mt_mm mm;
	struct s2mt_mmap_req r = { .len = SZ_2M,
				   .prot = S2MT_PROT_READ | S2MT_PROT_WRITE,
				   .flags = S2MT_MAP_PRIVATE };
	uint64_t hva;

	(void)state;
	assert_non_null(h);
	/* s2mt_host_init() gives the era's representative kernel. */
	for (unsigned era = 0; era < S2MT_ERA_COUNT_; era++) {
		struct s2mt_kernel rep;

		expect_rc(s2mt_host_init(h, "grace-hopper", era, SZ_1G), 0);
		s2mt_kernel_of_era(era, &rep);
		expect(!memcmp(&h->kernel, &rep, sizeof(rep)) && h->era == era,
		       "era %u: kernel %s", era, h->kernel.release);
	}
	kadd(&k, "cacheable-pfnmap");
	expect_rc(s2mt_host_init(h, "grace-hopper", S2MT_ERA_6_8, SZ_1G), 0);
	expect_rc(s2mt_host_set_kernel(h, &k), 0);
	expect(h->era == S2MT_ERA_6_17 &&
		       !strcmp(h->kernel.release, "6.14.0-1007-nvidia") &&
		       h->kernel.backports ==
			       S2MT_KF_BIT(S2MT_KF_CACHEABLE_PFNMAP),
	       "era %u %s", h->era, h->kernel.release);
	/* Again, to an older kernel: allowed while the host is fresh. */
	k = kparse("6.9");
	expect_rc(s2mt_host_set_kernel(h, &k), 0);
	expect(h->era == S2MT_ERA_6_9 && h->kernel.backports == 0, "6.9");

	/* Refused: not a kernel the model describes. */
	before = *h;
	memset(&k, 0, sizeof(k));
	k.major = 5;
	k.minor = 15;
	expect_rc(s2mt_host_set_kernel(h, &k), -S2MT_EINVAL);
	expect(!strcmp(h->why,
		       "H4: kernel 5.15 is older than 6.1, the oldest "
		       "the model describes"),
	       "%s", h->why);
	k = kparse("6.12");
	k.backports = S2MT_KF_BIT(S2MT_KF_COUNT_);
	expect_rc(s2mt_host_set_kernel(h, &k), -S2MT_EINVAL);
	expect(strstr(h->why, "backports the model does not know") != NULL,
	       "%s", h->why);
	k = kparse("6.8");
	k.backports = S2MT_KF_BIT(S2MT_KF_CACHEABLE_PFNMAP); /* by hand */
	expect_rc(s2mt_host_set_kernel(h, &k), -S2MT_EINVAL);
	expect(!strcmp(h->why,
		       "H4: kernel 6.8 has cacheable-pfnmap as a backport "
		       "but not normal-nc, which it needs"),
	       "%s", h->why);
	expect_rc(s2mt_host_set_kernel(h, NULL), -S2MT_EINVAL);
	expect_rc(s2mt_host_set_kernel(NULL, &k), -S2MT_EINVAL);
	expect(!memcmp(&h->kernel, &before.kernel, sizeof(k)) &&
		       h->era == before.era && h->ipa_limit == before.ipa_limit,
	       "refusals change nothing");

	/* Refused once RAM has been mapped... */
	k = kparse("6.17");
	expect_rc(s2mt_mm_init(&mm, h), 0);
	expect_rc(s2mt_mm_mmap_anon(&mm, &r, S2MT_BACK_ANON, &hva), 0);
	expect_rc(s2mt_host_set_kernel(h, &k), -S2MT_EINVAL);
	expect(!strcmp(h->why,
		       "H4: the kernel is set before memory is "
		       "mapped; this host has handed out RAM already"),
	       "%s", h->why);
	expect(h->era == S2MT_ERA_6_9, "unchanged");
	s2mt_mm_fini(&mm);
	/* ... or once a device exists. */
	expect_rc(s2mt_host_init(h, "grace-hopper", S2MT_ERA_6_9, SZ_1G), 0);
	expect(s2mt_host_add_vfio_pci(h, "nic0", bars) == 0, "nic");
	expect_rc(s2mt_host_set_kernel(h, &k), -S2MT_EINVAL);
	expect(!strcmp(h->why,
		       "H4: the kernel is set before devices are "
		       "added; this host has 1 already"),
	       "%s", h->why);
	expect(!strcmp(h->rule, "H4") && h->era == S2MT_ERA_6_9, "%s", h->rule);
	free(h);
}

static const char *const want_no_nvgrace =
	"H4: nvgrace-gpu-vfio-pci arrived in Linux 6.9; kernel 6.8 does not "
	"have it; name it as a backport if your vendor kernel carries it";

/* H4: the nvgrace-gpu driver exists from 6.9, or as a backport. */
static void test_host_nvgrace_driver(void **state)
{
	static const char *const nv[] = { "normal-nc", "nvgrace-gpu", NULL };
	struct s2mt_host *h = calloc(1, sizeof(*h));
	struct s2mt_mm mm;
	struct s2mt_mmap_req r = { .len = SZ_1G,
				   .prot = S2MT_PROT_READ | S2MT_PROT_WRITE,
				   .flags = S2MT_MAP_SHARED };
	uint64_t hva;
	int idx;

	(void)state;
	assert_non_null(h);
	/* The 6.8 era: its kernel, 6.8.0, has no such driver. */
	expect_rc(s2mt_host_init(h, "grace-hopper", S2MT_ERA_6_8, 8 * SZ_1G),
		  0);
	expect_rc(s2mt_host_add_nvgrace(h, "gpu0", 4 * SZ_1G, SZ_1G),
		  -S2MT_ENODEV);
	expect(!strcmp(h->why, want_no_nvgrace) && !strcmp(h->rule, "H4"), "%s",
	       h->why);
	expect(h->nr_devices == 0 && h->nr_regions == 1 &&
		       h->devmem_next == S2MT_HOST_DEVMEM_BASE,
	       "nothing added");
	free(h);

	/* A named 6.8 kernel, then the vendor's with the backports. */
	h = host_with("grace-hopper", "6.8.12", NULL);
	expect_rc(s2mt_host_add_nvgrace(h, "gpu0", 4 * SZ_1G, SZ_1G),
		  -S2MT_ENODEV);
	expect(strstr(h->why, "kernel 6.8.12 does not have it") != NULL, "%s",
	       h->why);
	free(h);
	h = host_with("grace-hopper", "6.8.0-1010-nvidia", nv);
	expect(h->era == S2MT_ERA_6_9, "Normal-NC rules");
	idx = s2mt_host_add_nvgrace(h, "gpu0", 4 * SZ_1G, SZ_1G);
	expect(idx == 0, "%d: %s", idx, h->why);
	/* resmem carries VM_ALLOW_ANY_UNCACHED with the driver. */
	expect_rc(s2mt_mm_init(&mm, h), 0);
	expect_rc(s2mt_mm_mmap_nvgrace(&mm, &r, idx, S2MT_NVGRACE_RESMEM, 0,
				       &hva),
		  0);
	expect(s2mt_mm_find_vma(&mm, hva)->flags & S2MT_VM_ALLOW_ANY_UNCACHED,
	       "resmem VM_ALLOW_ANY_UNCACHED");
	s2mt_mm_fini(&mm);
	free(h);
	/* Mainline from 6.9 on. */
	static const char *const with[] = { "6.9", "6.12.38+deb13-arm64",
					    "6.17.0-1001-nvidia", "7.2" };
	for (size_t i = 0; i < 4; i++) {
		h = host_with("grace-hopper", with[i], NULL);
		expect(s2mt_host_add_nvgrace(h, "gpu0", SZ_1G, 0) == 0,
		       "%s: %s", with[i], h->why);
		free(h);
	}
}

/* H2/H4: vfio-pci BARs carry VM_ALLOW_ANY_UNCACHED with normal-nc. */
static void test_host_vfio_flag(void **state)
{
	static const struct s2mt_bar_spec bars[S2MT_MAX_BARS] = {
		[2] = { .size = SZ_2M, .prefetchable = true },
	};
	static const char *const nnc[] = { "normal-nc", NULL };
	static const struct {
		const char *release;
		const char *const *backports;
		bool flag;
	} cases[] = {
		{ "6.1", NULL, false },	   { "6.8.12", NULL, false },
		{ "6.8", nnc, true },	   { "6.9", NULL, true },
		{ "6.12.38", NULL, true }, { "7.2", NULL, true },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct s2mt_host *h = host_with(
			"grace-hopper", cases[i].release, cases[i].backports);
		struct s2mt_mm mm;
		struct s2mt_mmap_req r = { .len = SZ_2M,
					   .prot = S2MT_PROT_READ |
						   S2MT_PROT_WRITE,
					   .flags = S2MT_MAP_SHARED };
		uint64_t hva;
		int nic = s2mt_host_add_vfio_pci(h, "nic0", bars);

		expect(nic == 0, "%d", nic);
		expect_rc(s2mt_mm_init(&mm, h), 0);
		expect_rc(s2mt_mm_mmap_vfio_bar(&mm, &r, nic, 2, 0, &hva), 0);
		expect(!!(s2mt_mm_find_vma(&mm, hva)->flags &
			  S2MT_VM_ALLOW_ANY_UNCACHED) == cases[i].flag,
		       "%s%s", cases[i].release,
		       cases[i].backports ? " +normal-nc" : "");
		s2mt_mm_fini(&mm);
		free(h);
	}
}

/* H2/K6: VM_MTE_ALLOWED on MAP_ANONYMOUS|MAP_HUGETLB per kernel. */
static void test_host_hugetlb_mte(void **state)
{
	static const char *const hm[] = { "hugetlb-mte", NULL };
	static const char *const fix[] = { "anon-mte-fix", NULL };
	static const struct {
		const char *release;
		const char *const *backports;
		bool allowed;
	} cases[] = {
		{ "6.1.0-28-arm64", NULL, true }, /* ABI number, not a patch */
		{ "6.1.129", NULL, true },
		{ "6.1.130", NULL, false },
		{ "6.1.0-37-arm64", fix, false },
		{ "6.6.79", NULL, true },
		{ "6.6.80", NULL, false },
		{ "6.11", NULL, true },
		{ "6.11.11", NULL, true },
		{ "6.12", NULL, true },
		{ "6.12.16", NULL, true },
		{ "6.12.17", NULL, false },
		{ "6.12.38+deb13-arm64", NULL, false }, /* Debian: refused */
		{ "6.12.38+deb13-arm64", hm, true },
		{ "6.13", NULL, true },
		{ "6.13.0-rc1", NULL, true },
		{ "7.2.13+deb14-cloud-arm64", NULL, true }, /* accepted */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (unsigned p = 0; p < 2; p++) {
			const char *preset = p ? "grace-hopper" : "qemu-max";
			struct s2mt_host *h = host_with(
				preset, cases[i].release, cases[i].backports);
			struct s2mt_mm mm;
			struct s2mt_mmap_req r = { .len = SZ_2M,
						   .prot = S2MT_PROT_READ |
							   S2MT_PROT_WRITE,
						   .flags = S2MT_MAP_PRIVATE };
			uint64_t hva, flags;
			/* Grace has no MTE: never the flag. */
			bool want = cases[i].allowed && h->caps.mte;

			expect_rc(s2mt_mm_init(&mm, h), 0);
			expect_rc(s2mt_mm_mmap_anon(&mm, &r,
						    S2MT_BACK_HUGETLB_2M, &hva),
				  0);
			flags = s2mt_mm_find_vma(&mm, hva)->flags;
			expect(!!(flags & S2MT_VM_MTE_ALLOWED) == want,
			       "%s %s%s: 0x%" PRIx64, preset, cases[i].release,
			       cases[i].backports ? " (+backport)" : "", flags);
			/* Plain anonymous memory always has it with MTE. */
			expect_rc(s2mt_mm_mmap_anon(&mm, &r, S2MT_BACK_ANON,
						    &hva),
				  0);
			flags = s2mt_mm_find_vma(&mm, hva)->flags;
			expect(!!(flags & S2MT_VM_MTE_ALLOWED) == h->caps.mte,
			       "%s %s anon", preset, cases[i].release);
			s2mt_mm_fini(&mm);
			free(h);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_feature_table),
		cmocka_unit_test(test_feature_boundaries),
		cmocka_unit_test(test_every_version),
		cmocka_unit_test(test_backports),
		cmocka_unit_test(test_era_mapping),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_host_ipa_limit),
		cmocka_unit_test(test_host_set_kernel),
		cmocka_unit_test(test_host_nvgrace_driver),
		cmocka_unit_test(test_host_vfio_flag),
		cmocka_unit_test(test_host_hugetlb_mte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
