// SPDX-License-Identifier: MIT
/*
 * x86 for contrast (SPEC section 7, docs/x86.md): the EPT/NPT memory-type
 * model of src/core/x86.c held to tests/support/x86_ref.c, which types the
 * Intel SDM and AMD APM tables and KVM's choices in as data, over every
 * input; then hand-picked cases, each naming the rule it shows; then the
 * s2mt table --arch command.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "s2mt/core.h"
#include "support/x86_ref.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Encodings tried as inputs: every type, the reserved ones and beyond. */
#define NR_ENC 16

#define UC S2MT_X86_UC
#define WC S2MT_X86_WC
#define WT S2MT_X86_WT
#define WP S2MT_X86_WP
#define WB S2MT_X86_WB
#define UCM S2MT_X86_UC_MINUS
#define CD S2MT_X86_CD
#define WCP S2MT_X86_WC_PLUS
#define INVALID S2MT_X86_MT_INVALID

static unsigned checks; /* comparisons made, printed by the exhaustive
			   tests so the count is visible in the log */

/* The model's answer as the reference spells it (NULL: not a type). */
static const char *api_name(unsigned mt)
{
	return mt == INVALID ? NULL : s2mt_x86_mt_name(mt);
}

static void expect_name(const char *what, const char *want, unsigned got)
{
	const char *g = api_name(got);

	checks++;
	if ((want == NULL) != (g == NULL) || (want && strcmp(want, g)))
		fail_msg("%s: reference %s, model %s (%u)", what,
			 want ? want : "(none)", g ? g : "(none)", got);
}

static const char *notes_text(unsigned n)
{
	switch (n) {
	case 0:
		return "";
	case S2MT_X86_NOTE_UC_MTRR:
		return "1";
	case S2MT_X86_NOTE_UC_PAT:
		return "2";
	case S2MT_X86_NOTE_WAS_UNDEFINED:
		return "3";
	case S2MT_X86_NOTE_UC_PAT | S2MT_X86_NOTE_WAS_UNDEFINED:
		return "2,3";
	}
	return "?";
}

static struct s2mt_x86_leaf leaf_of(unsigned vendor, bool mmio, bool ncdma,
				    bool quirk)
{
	struct s2mt_x86_leaf_in in = { .vendor = (uint8_t)vendor,
				       .mmio = mmio,
				       .noncoherent_dma = ncdma,
				       .ignore_guest_pat = quirk };
	struct s2mt_x86_leaf leaf;

	assert_int_equal(s2mt_x86_kvm_leaf(&in, &leaf), 0);
	return leaf;
}

/* ------------------------------------------------------------------ */
/* Names and classes                                                   */
/* ------------------------------------------------------------------ */

/* SDM "Memory Types That Can Be Encoded With PAT" and "... in MTRRs". */
static void test_X_names_and_encodings(void **state)
{
	(void)state;
	for (unsigned e = 0; e < NR_ENC; e++) {
		const char *ref = x86_ref_encoding_name(e);
		const char *want = ref	     ? ref
			: (e == 2 || e == 3) ? "reserved"
					     : "invalid";
		bool pat = ref && e <= 7, mtrr = pat && e != 7;
		bool cacheable = ref &&
			(!strcmp(ref, "WT") || !strcmp(ref, "WP") ||
			 !strcmp(ref, "WB"));

		assert_string_equal(s2mt_x86_mt_name(e), want);
		assert_int_equal(s2mt_x86_mt_is_pat(e), pat);
		assert_int_equal(s2mt_x86_mt_is_mtrr(e), mtrr);
		assert_int_equal(s2mt_x86_mt_cacheable(e), cacheable);
	}
	assert_string_equal(s2mt_x86_mt_name(INVALID), "invalid");
	assert_false(s2mt_x86_mt_cacheable(INVALID));
	assert_string_equal(s2mt_x86_vendor_name(S2MT_X86_INTEL), "intel");
	assert_string_equal(s2mt_x86_vendor_name(S2MT_X86_AMD), "amd");
	assert_string_equal(s2mt_x86_vendor_name(7), "?");
}

static void test_X_pat_types_are_the_six(void **state)
{
	static const char *const six[] = {
		"UC", "UC-", "WC", "WT", "WP", "WB"
	};

	(void)state;
	for (unsigned i = 0; i < S2MT_X86_NR_PAT; i++)
		assert_string_equal(s2mt_x86_mt_name(s2mt_x86_pat_types[i]),
				    six[i]);
}

static void test_X_parse(void **state)
{
	unsigned mt;

	(void)state;
	for (unsigned e = 0; e < S2MT_X86_MT_COUNT_; e++) {
		if (e == 2 || e == 3)
			continue;
		assert_int_equal(s2mt_x86_mt_parse(s2mt_x86_mt_name(e), &mt),
				 0);
		assert_int_equal(mt, e);
	}
	assert_int_equal(s2mt_x86_mt_parse("uc-", &mt), 0);
	assert_int_equal(mt, UCM);
	assert_int_equal(s2mt_x86_mt_parse("wc+", &mt), 0);
	assert_int_equal(mt, WCP);
	assert_int_equal(s2mt_x86_mt_parse("reserved", &mt), -S2MT_EINVAL);
	assert_int_equal(s2mt_x86_mt_parse("invalid", &mt), -S2MT_EINVAL);
	assert_int_equal(s2mt_x86_mt_parse("", &mt), -S2MT_EINVAL);
	assert_int_equal(s2mt_x86_mt_parse("WBX", &mt), -S2MT_EINVAL);
}

/* ------------------------------------------------------------------ */
/* The raw tables, every encoding against every encoding               */
/* ------------------------------------------------------------------ */

static void test_X1_intel_table_exhaustive(void **state)
{
	unsigned before = checks;

	(void)state;
	for (unsigned m = 0; m < NR_ENC; m++)
		for (unsigned p = 0; p < NR_ENC; p++) {
			const char *rn, *want;
			unsigned notes = 99, got;
			char what[64];

			want = x86_ref_intel(x86_ref_encoding_name(m),
					     x86_ref_encoding_name(p), &rn);
			got = s2mt_x86_intel_combine(m, p, &notes);
			snprintf(what, sizeof(what), "Intel MTRR %u x PAT %u",
				 m, p);
			expect_name(what, want, got);
			if (strcmp(rn, notes_text(notes)))
				fail_msg("%s: notes %s, model %s", what, rn,
					 notes_text(notes));
			/* notes may be NULL */
			assert_int_equal(s2mt_x86_intel_combine(m, p, NULL),
					 got);
		}
	printf("Intel table: %u cells\n", checks - before);
}

static void test_X2_amd_pat_table_exhaustive(void **state)
{
	unsigned before = checks;

	(void)state;
	for (unsigned g = 0; g < NR_ENC; g++)
		for (unsigned h = 0; h < NR_ENC; h++) {
			char what[64];

			snprintf(what, sizeof(what),
				 "AMD 15-19 guest %u x host %u", g, h);
			expect_name(what,
				    x86_ref_amd_pat(x86_ref_encoding_name(g),
						    x86_ref_encoding_name(h)),
				    s2mt_x86_amd_combine_pat(g, h));
		}
	printf("AMD Table 15-19: %u cells\n", checks - before);
}

static void test_X2_amd_mtrr_table_exhaustive(void **state)
{
	unsigned before = checks;

	(void)state;
	for (unsigned p = 0; p < NR_ENC; p++)
		for (unsigned m = 0; m < NR_ENC; m++) {
			char what[64];

			snprintf(what, sizeof(what),
				 "AMD 15-20 PAT %u x MTRR %u", p, m);
			expect_name(what,
				    x86_ref_amd_mtrr(x86_ref_encoding_name(p),
						     x86_ref_encoding_name(m)),
				    s2mt_x86_amd_combine_mtrr(p, m));
		}
	printf("AMD Table 15-20: %u cells\n", checks - before);
}

/* ------------------------------------------------------------------ */
/* KVM's leaf and the guest-visible type, every input                  */
/* ------------------------------------------------------------------ */

static void compare_leaf(const char *what, const struct x86_ref_leaf *ref,
			 const struct s2mt_x86_leaf *leaf)
{
	char w[160];

	snprintf(w, sizeof(w), "%s: EPT type", what);
	expect_name(w, ref->ept_mt, leaf->ept_mt);
	snprintf(w, sizeof(w), "%s: host PAT", what);
	expect_name(w, ref->host_pat, leaf->host_pat);
	snprintf(w, sizeof(w), "%s: host MTRR", what);
	expect_name(w, ref->host_mtrr, leaf->host_mtrr);
	if (ref->ipat != leaf->ipat)
		fail_msg("%s: IPAT %d, model %d", what, ref->ipat, leaf->ipat);
	assert_string_equal(leaf->rule, ref->amd ? "X2" : "X1");
	assert_non_null(leaf->why);
}

static void check_leaf_and_effective(unsigned vendor, bool mmio, bool ncdma,
				     bool quirk, int host_mtrr)
{
	struct s2mt_x86_leaf_in in = { .vendor = (uint8_t)vendor,
				       .mmio = mmio,
				       .noncoherent_dma = ncdma,
				       .ignore_guest_pat = quirk };
	struct s2mt_x86_leaf leaf;
	struct x86_ref_leaf ref;
	const char *ref_mtrr = NULL;
	bool all_wb = true;
	char what[128];
	int err;

	if (host_mtrr >= 0) {
		in.host_mtrr_given = true;
		in.host_mtrr = (uint8_t)host_mtrr;
		ref_mtrr = x86_ref_encoding_name((unsigned)host_mtrr);
	}
	snprintf(what, sizeof(what),
		 "%s mmio=%d ncdma=%d quirk=%d host_mtrr=%d",
		 vendor == S2MT_X86_AMD ? "AMD" : "Intel", mmio, ncdma, quirk,
		 host_mtrr);
	err = s2mt_x86_kvm_leaf(&in, &leaf);
	/* A host MTRR must be an MTRR type (even on Intel, which ignores
	 * it): anything else is refused. */
	if (host_mtrr >= 0 && !x86_ref_intel(ref_mtrr, "WB", NULL)) {
		if (err != -S2MT_EINVAL)
			fail_msg("%s: accepted (%d)", what, err);
		return;
	}
	assert_int_equal(err, 0);
	x86_ref_kvm_leaf(vendor == S2MT_X86_AMD, mmio, ncdma, quirk, ref_mtrr,
			 &ref);
	compare_leaf(what, &ref, &leaf);
	assert_int_equal(leaf.vendor, vendor);
	assert_int_equal(leaf.mmio, mmio);

	for (unsigned p = 0; p < NR_ENC; p++) {
		const char *pname = x86_ref_encoding_name(p);
		const char *want = x86_ref_effective(&ref, pname);
		char w[160];

		snprintf(w, sizeof(w), "%s guest PAT %u", what, p);
		expect_name(w, want, s2mt_x86_effective(&leaf, p));
		if (want && strcmp(want, "WB"))
			all_wb = false;
	}
	if (s2mt_x86_leaf_guarantees_wb(&leaf) != all_wb)
		fail_msg("%s: guarantees WB %d, reference %d", what,
			 s2mt_x86_leaf_guarantees_wb(&leaf), all_wb);
	checks++;
}

static void test_X1_X2_kvm_leaf_exhaustive(void **state)
{
	unsigned before = checks;

	(void)state;
	for (unsigned v = 0; v < S2MT_X86_VENDOR_COUNT_; v++)
		for (int mmio = 0; mmio < 2; mmio++)
			for (int ncdma = 0; ncdma < 2; ncdma++)
				for (int quirk = 0; quirk < 2; quirk++)
					for (int m = -1; m < NR_ENC; m++)
						check_leaf_and_effective(
							v, mmio, ncdma, quirk,
							m);
	printf("KVM leaves and guest-visible types: %u checks\n",
	       checks - before);
}

static void test_X_kvm_leaf_bad_vendor(void **state)
{
	struct s2mt_x86_leaf_in in = { .vendor = S2MT_X86_VENDOR_COUNT_ };
	struct s2mt_x86_leaf leaf = { .rule = "untouched" };

	(void)state;
	assert_int_equal(s2mt_x86_kvm_leaf(&in, &leaf), -S2MT_EINVAL);
	assert_string_equal(leaf.rule, "untouched");
	/* A leaf of no vendor has no effective type. */
	leaf.vendor = 9;
	assert_int_equal(s2mt_x86_effective(&leaf, WB), INVALID);
	assert_false(s2mt_x86_leaf_guarantees_wb(&leaf));
}

/* SDM: EPT memory types 2, 3 and 7 are reserved and cause an EPT
 * misconfiguration; with or without IPAT no access gets a type. */
static void test_X1_reserved_ept_type_is_misconfiguration(void **state)
{
	struct s2mt_x86_leaf leaf = leaf_of(S2MT_X86_INTEL, false, false, true);
	static const unsigned bad[] = { 2, 3, 7, 8, 9, 15 };

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++)
		for (int ipat = 0; ipat < 2; ipat++) {
			leaf.ept_mt = (uint8_t)bad[i];
			leaf.ipat = ipat;
			for (unsigned p = 0; p < S2MT_X86_NR_PAT; p++)
				assert_int_equal(
					s2mt_x86_effective(
						&leaf, s2mt_x86_pat_types[p]),
					INVALID);
			assert_false(s2mt_x86_leaf_guarantees_wb(&leaf));
		}
}

/* ------------------------------------------------------------------ */
/* Hand-picked cases                                                   */
/* ------------------------------------------------------------------ */

/* X1, vmx_get_mt_mask(): host MMIO gets EPT UC without IPAT, so a guest
 * WC mapping of a BAR really is WC (not forced UC), a guest UC- is UC and
 * a guest WB cannot make the BAR cacheable. */
static void test_X1_intel_bar_guest_wc_is_wc(void **state)
{
	(void)state;
	for (int ncdma = 0; ncdma < 2; ncdma++)
		for (int quirk = 0; quirk < 2; quirk++) {
			struct s2mt_x86_leaf l =
				leaf_of(S2MT_X86_INTEL, true, ncdma, quirk);

			assert_int_equal(l.ept_mt, UC);
			assert_false(l.ipat);
			assert_int_equal(s2mt_x86_effective(&l, WC), WC);
			assert_int_equal(s2mt_x86_effective(&l, UCM), UC);
			assert_int_equal(s2mt_x86_effective(&l, WB), UC);
			assert_int_equal(s2mt_x86_effective(&l, WT), UC);
			assert_false(s2mt_x86_leaf_guarantees_wb(&l));
		}
}

/* X1: RAM with the quirk on and no non-coherent DMA is EPT WB with IPAT:
 * WB whatever the guest PAT says, the only WB guarantee on x86. */
static void test_X1_intel_ram_ipat_is_wb_whatever_the_guest(void **state)
{
	struct s2mt_x86_leaf l = leaf_of(S2MT_X86_INTEL, false, false, true);

	(void)state;
	assert_int_equal(l.ept_mt, WB);
	assert_true(l.ipat);
	for (unsigned p = 0; p < S2MT_X86_NR_PAT; p++)
		assert_int_equal(s2mt_x86_effective(&l, s2mt_x86_pat_types[p]),
				 WB);
	assert_true(s2mt_x86_leaf_guarantees_wb(&l));
}

/* X1: quirk off, or non-coherent DMA even with the quirk on: EPT WB
 * without IPAT, so the guest PAT decides (a guest UC stays UC). */
static void test_X1_intel_ram_guest_pat_decides(void **state)
{
	const struct s2mt_x86_leaf ls[] = {
		leaf_of(S2MT_X86_INTEL, false, false, false),
		leaf_of(S2MT_X86_INTEL, false, true, true),
		leaf_of(S2MT_X86_INTEL, false, true, false),
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(ls); i++) {
		assert_int_equal(ls[i].ept_mt, WB);
		assert_false(ls[i].ipat);
		assert_int_equal(s2mt_x86_effective(&ls[i], UC), UC);
		assert_int_equal(s2mt_x86_effective(&ls[i], UCM), UC);
		assert_int_equal(s2mt_x86_effective(&ls[i], WC), WC);
		assert_int_equal(s2mt_x86_effective(&ls[i], WT), WT);
		assert_int_equal(s2mt_x86_effective(&ls[i], WP), WP);
		assert_int_equal(s2mt_x86_effective(&ls[i], WB), WB);
		assert_false(s2mt_x86_leaf_guarantees_wb(&ls[i]));
	}
}

/* X1: EPT replaces the MTRRs for guest accesses (SDM), so a host MTRR
 * given for an Intel leaf changes nothing. */
static void test_X1_intel_ignores_host_mtrr(void **state)
{
	struct s2mt_x86_leaf_in in = { .vendor = S2MT_X86_INTEL,
				       .ignore_guest_pat = true,
				       .host_mtrr_given = true,
				       .host_mtrr = UC };
	struct s2mt_x86_leaf l;

	(void)state;
	assert_int_equal(s2mt_x86_kvm_leaf(&in, &l), 0);
	assert_int_equal(l.host_mtrr, INVALID);
	assert_true(s2mt_x86_leaf_guarantees_wb(&l));
}

/* X2: NPT RAM, guest UC. The brief says "UC"; the APM says CD: Table
 * 15-19 gives UC over host WB, and Table 15-20 turns PAT UC over MTRR WB
 * into CD, uncacheable like UC but probing the caches. Either way KVM
 * cannot force WB. */
static void test_X2_amd_ram_guest_uc_is_uncached(void **state)
{
	struct s2mt_x86_leaf l = leaf_of(S2MT_X86_AMD, false, false, true);

	(void)state;
	assert_int_equal(l.host_pat, WB);
	assert_int_equal(l.host_mtrr, WB);
	assert_int_equal(l.ept_mt, INVALID);
	assert_int_equal(s2mt_x86_effective(&l, UC), CD);
	assert_false(s2mt_x86_mt_cacheable(s2mt_x86_effective(&l, UC)));
	assert_int_equal(s2mt_x86_effective(&l, UCM), CD);
	assert_int_equal(s2mt_x86_effective(&l, WC), WCP);
	assert_int_equal(s2mt_x86_effective(&l, WB), WB);
	assert_false(s2mt_x86_leaf_guarantees_wb(&l));
}

/* X2: the quirk and non-coherent DMA are no-ops on AMD (api.rst); no AMD
 * leaf guarantees WB, whatever the host MTRR says (Sean Christopherson,
 * Jun 2025: "On AMD, there's simply no sane way to force WB"). */
static void test_X2_amd_never_guarantees_wb(void **state)
{
	(void)state;
	for (int mmio = 0; mmio < 2; mmio++) {
		struct s2mt_x86_leaf base =
			leaf_of(S2MT_X86_AMD, mmio, false, true);

		for (int ncdma = 0; ncdma < 2; ncdma++)
			for (int quirk = 0; quirk < 2; quirk++) {
				struct s2mt_x86_leaf l = leaf_of(
					S2MT_X86_AMD, mmio, ncdma, quirk);

				for (unsigned p = 0; p < S2MT_X86_NR_PAT; p++) {
					unsigned t = s2mt_x86_pat_types[p];

					assert_int_equal(
						s2mt_x86_effective(&l, t),
						s2mt_x86_effective(&base, t));
				}
			}
		for (unsigned m = 0; m < 8; m++) {
			struct s2mt_x86_leaf_in in = {
				.vendor = S2MT_X86_AMD,
				.mmio = mmio,
				.host_mtrr_given = true,
				.host_mtrr = (uint8_t)m,
			};
			struct s2mt_x86_leaf l;

			if (s2mt_x86_kvm_leaf(&in, &l))
				continue;
			assert_false(s2mt_x86_leaf_guarantees_wb(&l));
			assert_int_equal(s2mt_x86_effective(&l, UC) == WB,
					 false);
		}
	}
}

/* X2: a BAR under NPT: host MTRR UC; a guest WC still gets WC (Table
 * 15-19 WC over host WB is WC+, and 15-20 WC+ over MTRR UC is WC), a
 * guest WB gets UC. */
static void test_X2_amd_bar(void **state)
{
	struct s2mt_x86_leaf l = leaf_of(S2MT_X86_AMD, true, false, true);

	(void)state;
	assert_int_equal(l.host_mtrr, UC);
	assert_int_equal(s2mt_x86_effective(&l, WC), WC);
	assert_int_equal(s2mt_x86_effective(&l, WB), UC);
	assert_int_equal(s2mt_x86_effective(&l, UCM), UC);
}

/* The tables' edge entries, Intel and AMD side by side: the SDM's five
 * once-undefined entries (note 3) and where AMD says CD instead. */
static void test_X_edge_entries(void **state)
{
	unsigned n;

	(void)state;
	assert_int_equal(s2mt_x86_intel_combine(WP, UCM, &n), WC);
	assert_int_equal(n, S2MT_X86_NOTE_WAS_UNDEFINED);
	assert_int_equal(s2mt_x86_intel_combine(WT, WP, &n), WP);
	assert_int_equal(n, S2MT_X86_NOTE_WAS_UNDEFINED);
	assert_int_equal(s2mt_x86_intel_combine(WP, WT, &n), WT);
	assert_int_equal(n, S2MT_X86_NOTE_WAS_UNDEFINED);
	assert_int_equal(s2mt_x86_intel_combine(WC, WT, &n), UC);
	assert_int_equal(n, S2MT_X86_NOTE_UC_PAT | S2MT_X86_NOTE_WAS_UNDEFINED);
	assert_int_equal(s2mt_x86_intel_combine(WC, WP, &n), UC);
	/* PAT WC over MTRR UC: WC on both. */
	assert_int_equal(s2mt_x86_intel_combine(UC, WC, &n), WC);
	assert_int_equal(n, 0);
	assert_int_equal(s2mt_x86_amd_combine_mtrr(WC, UC), WC);
	/* Intel UC from the MTRR vs from the PAT. */
	assert_int_equal(s2mt_x86_intel_combine(UC, WB, &n), UC);
	assert_int_equal(n, S2MT_X86_NOTE_UC_MTRR);
	assert_int_equal(s2mt_x86_intel_combine(WB, UC, &n), UC);
	assert_int_equal(n, S2MT_X86_NOTE_UC_PAT);
	/* Where the two vendors differ. */
	assert_int_equal(s2mt_x86_amd_combine_mtrr(WP, WT), CD);
	assert_int_equal(s2mt_x86_amd_combine_mtrr(WT, WP), CD);
	assert_int_equal(s2mt_x86_amd_combine_mtrr(UCM, WP), CD);
	assert_int_equal(s2mt_x86_amd_combine_mtrr(UC, WB), CD);
	/* UC- over MTRR WC is WC on both. */
	assert_int_equal(s2mt_x86_intel_combine(WC, UCM, &n), WC);
	assert_int_equal(s2mt_x86_amd_combine_mtrr(UCM, WC), WC);
	/* AMD 15-19: host UC- keeps guest UC- only; guest WB over it is UC. */
	assert_int_equal(s2mt_x86_amd_combine_pat(UCM, UCM), UCM);
	assert_int_equal(s2mt_x86_amd_combine_pat(WB, UCM), UC);
	/* CD and WC+ are results, never inputs of 15-19. */
	assert_int_equal(s2mt_x86_amd_combine_pat(CD, WB), INVALID);
	assert_int_equal(s2mt_x86_amd_combine_pat(WB, WCP), INVALID);
	assert_int_equal(s2mt_x86_amd_combine_mtrr(CD, WB), INVALID);
}

/* ------------------------------------------------------------------ */
/* s2mt table --arch                                                   */
/* ------------------------------------------------------------------ */

struct run {
	int status;
	char out[1 << 17];
	char err[4096];
};

static struct run r;

/* Runs "$S2MT_BIN args"; false (and the test is skipped) when the test
 * runs outside `make test`, which sets S2MT_BIN. */
static bool run_s2mt(const char *args)
{
	const char *bin = getenv("S2MT_BIN");
	char cmd[1024], errfile[] = "/tmp/s2mt-x86-XXXXXX";
	int fd;
	FILE *p, *e;
	size_t n;

	if (!bin)
		return false;
	fd = mkstemp(errfile);
	assert_true(fd >= 0);
	snprintf(cmd, sizeof(cmd), "%s %s 2>%s", bin, args, errfile);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(r.out, 1, sizeof(r.out) - 1, p);
	r.out[n] = '\0';
	r.status = WEXITSTATUS(pclose(p));
	e = fdopen(fd, "r");
	n = fread(r.err, 1, sizeof(r.err) - 1, e);
	r.err[n] = '\0';
	fclose(e);
	unlink(errfile);
	return true;
}

#define RUN_OR_SKIP(args)                                                      \
	do {                                                                   \
		if (!run_s2mt(args)) {                                         \
			printf("S2MT_BIN not set: skipped (make test sets "    \
			       "it)\n");                                       \
			skip();                                                \
		}                                                              \
	} while (0)

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	assert_non_null(s);
	return s;
}

/* Every cell of the JSON tables against the reference. */
static void check_json_table(const char *arch, bool amd)
{
	char args[64];
	json_error_t jerr;
	json_t *root, *rows, *cols;

	snprintf(args, sizeof(args), "table --arch %s --json", arch);
	RUN_OR_SKIP(args);
	assert_int_equal(r.status, 0);
	root = json_loads(r.out, 0, &jerr);
	if (!root)
		fail_msg("invalid JSON: %s", jerr.text);
	assert_string_equal(jstr(root, "arch"), arch);
	assert_string_equal(jstr(root, "rule"), amd ? "X2" : "X1");
	cols = json_object_get(root, "columns");
	rows = json_object_get(root, "rows");
	assert_int_equal(json_array_size(cols), 6);
	assert_int_equal(json_array_size(rows), 4);
	for (size_t i = 0; i < json_array_size(rows); i++) {
		json_t *row = json_array_get(rows, i);
		json_t *cells = json_object_get(row, "cells");
		struct x86_ref_leaf ref;
		bool all_wb = true;

		x86_ref_kvm_leaf(
			amd, json_is_true(json_object_get(row, "mmio")),
			json_is_true(json_object_get(row, "noncoherent_dma")),
			json_is_true(
				json_object_get(row, "ignore_guest_pat_quirk")),
			NULL, &ref);
		assert_int_equal(json_array_size(cells), 6);
		for (size_t c = 0; c < 6; c++) {
			json_t *cell = json_array_get(cells, c);
			const char *pat =
				jstr(json_array_get(cols, c), "guest_pat");
			const char *want = x86_ref_effective(&ref, pat);

			assert_non_null(want);
			assert_string_equal(jstr(cell, "guest_pat"), pat);
			assert_string_equal(jstr(cell, "type"), want);
			assert_int_equal(json_is_true(json_object_get(
						 cell, "cacheable")),
					 !strcmp(want, "WT") ||
						 !strcmp(want, "WP") ||
						 !strcmp(want, "WB"));
			if (strcmp(want, "WB"))
				all_wb = false;
		}
		assert_int_equal(
			json_is_true(json_object_get(row, "guaranteed_wb")),
			all_wb);
		if (amd) {
			json_t *leaf = json_object_get(row, "leaf");

			assert_string_equal(jstr(leaf, "host_pat"),
					    ref.host_pat);
			assert_string_equal(jstr(leaf, "host_mtrr"),
					    ref.host_mtrr);
		} else {
			json_t *leaf = json_object_get(row, "leaf");

			assert_string_equal(jstr(leaf, "ept_memtype"),
					    ref.ept_mt);
			assert_int_equal(
				json_is_true(json_object_get(leaf, "ipat")),
				ref.ipat);
		}
		assert_non_null(strstr(jstr(row, "why"), "host"));
	}
	json_decref(root);
}

static void test_cli_table_x86_intel_json(void **state)
{
	(void)state;
	check_json_table("x86-intel", false);
}

static void test_cli_table_x86_amd_json(void **state)
{
	(void)state;
	check_json_table("x86-amd", true);
}

/* The text tables: header lines saying what rows and columns are, and
 * the rows as a user reads them. */
static void test_cli_table_x86_text(void **state)
{
	(void)state;
	RUN_OR_SKIP("table --arch x86-intel");
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	assert_non_null(strstr(r.out, "Rows: the EPT leaf KVM writes"));
	assert_non_null(strstr(r.out, "columns: the guest's\nPAT type"));
	assert_non_null(
		strstr(r.out,
		       "KVM's choice             | EPT leaf         | UC   UC- "
		       " WC   WT   WP   WB   | WB always\n"));
	assert_non_null(
		strstr(r.out,
		       "MMIO (PFN not host RAM)  | UC, IPAT=0       | UC   UC  "
		       " WC   UC   UC   UC   | no\n"));
	assert_non_null(
		strstr(r.out,
		       "RAM, quirk on (default)  | WB, IPAT=1       | WB   WB  "
		       " WB   WB   WB   WB   | yes\n"));
	assert_non_null(
		strstr(r.out,
		       "RAM, non-coherent DMA    | WB, IPAT=0       | UC   UC  "
		       " WC   WT   WP   WB   | no\n"));

	RUN_OR_SKIP("table --arch x86-amd");
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "Rows: the NPT leaf KVM writes"));
	assert_non_null(
		strstr(r.out,
		       "RAM, quirk off           | hPAT WB, MTRR WB | CD   CD  "
		       " WC+  WT   WP   WB   | no\n"));
	assert_non_null(
		strstr(r.out,
		       "MMIO (PFN not host RAM)  | hPAT WB, MTRR UC | UC   UC  "
		       " WC   UC   UC   UC   | no\n"));
	assert_null(strstr(r.out, "| yes"));
}

/* Bad --arch values are usage errors (exit 2) that name the valid ones. */
static void test_cli_table_arch_usage(void **state)
{
	static const char *const bad[] = {
		"table --arch x86",
		"table --arch ARM64",
		"table --arch",
		"table --arch x86-intel --fwb",
		"table --arch x86-amd extra",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		RUN_OR_SKIP(bad[i]);
		if (r.status != 2 || !strstr(r.err, "s2mt table: "))
			fail_msg("'%s': status %d, stderr '%s'", bad[i],
				 r.status, r.err);
		assert_string_equal(r.out, "");
	}
	RUN_OR_SKIP("table --arch x86");
	assert_non_null(strstr(r.err, "arm64, x86-intel, x86-amd"));
	RUN_OR_SKIP("table --arch");
	assert_non_null(strstr(r.err, "arm64, x86-intel or x86-amd"));
}

/* --arch arm64 is the default: the same bytes as before the option. */
static void test_cli_table_arm64_default_unchanged(void **state)
{
	static const char *const forms[] = { "", "--fwb", "--json",
					     "--fwb --json" };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(forms); i++) {
		static char plain[sizeof(r.out)];
		char args[64];

		snprintf(args, sizeof(args), "table %s", forms[i]);
		RUN_OR_SKIP(args);
		assert_int_equal(r.status, 0);
		memcpy(plain, r.out, sizeof(plain));
		snprintf(args, sizeof(args), "table --arch arm64 %s", forms[i]);
		RUN_OR_SKIP(args);
		assert_int_equal(r.status, 0);
		assert_string_equal(r.out, plain);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_X_names_and_encodings),
		cmocka_unit_test(test_X_pat_types_are_the_six),
		cmocka_unit_test(test_X_parse),
		cmocka_unit_test(test_X1_intel_table_exhaustive),
		cmocka_unit_test(test_X2_amd_pat_table_exhaustive),
		cmocka_unit_test(test_X2_amd_mtrr_table_exhaustive),
		cmocka_unit_test(test_X1_X2_kvm_leaf_exhaustive),
		cmocka_unit_test(test_X_kvm_leaf_bad_vendor),
		cmocka_unit_test(test_X1_reserved_ept_type_is_misconfiguration),
		cmocka_unit_test(test_X1_intel_bar_guest_wc_is_wc),
		cmocka_unit_test(
			test_X1_intel_ram_ipat_is_wb_whatever_the_guest),
		cmocka_unit_test(test_X1_intel_ram_guest_pat_decides),
		cmocka_unit_test(test_X1_intel_ignores_host_mtrr),
		cmocka_unit_test(test_X2_amd_ram_guest_uc_is_uncached),
		cmocka_unit_test(test_X2_amd_never_guarantees_wb),
		cmocka_unit_test(test_X2_amd_bar),
		cmocka_unit_test(test_X_edge_entries),
		cmocka_unit_test(test_cli_table_x86_intel_json),
		cmocka_unit_test(test_cli_table_x86_amd_json),
		cmocka_unit_test(test_cli_table_x86_text),
		cmocka_unit_test(test_cli_table_arch_usage),
		cmocka_unit_test(test_cli_table_arm64_default_unchanged),
	};

	return cmocka_run_group_tests_name("x86", tests, NULL, NULL);
}
