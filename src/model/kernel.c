// SPDX-License-Identifier: MIT
/*
 * s2mt model: kernel versions. A host runs a real kernel, named as
 * `uname -r` prints it, and vendor kernels carry changes from later
 * releases. The model keeps, for every change it knows, the mainline
 * release that brought it, the stable branches that took it earlier, and
 * which other changes it needs; everything else about a kernel follows
 * from that (the policy era of SPEC section 3, and the finer boundaries
 * that host.c, mm.c and kvm.c ask for one by one).
 *
 * Where each boundary comes from is written next to its entry below and,
 * with more context, in docs/kernels.md. "Merged for X.Y" means the change
 * is in a pull request that Linus merged in the X.Y merge window (so it is
 * in X.Y-rc1 and every later X.Y release).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <s2mt/model.h>

/* A stable branch that took a change at a patch level. */
struct stable_point {
	unsigned short major, minor, patch;
};

#define MAX_STABLE 3

struct kfeature {
	const char *name;
	const char *title;
	unsigned short major, minor; /* mainline; 0.0: stable only */
	struct stable_point stable[MAX_STABLE]; /* before mainline had it */
	uint32_t requires; /* S2MT_KF_BIT()s a backport needs */
	uint32_t superseded_by; /* a backport is pointless with these */
};

static const struct kfeature kfeatures[S2MT_KF_COUNT_] = {
	/*
	 * Peter Collingbourne's "KVM: arm64: permit all VM_MTE_ALLOWED
	 * mappings with MTE enabled" (c911f0d46879), with Catalin Marinas'
	 * "arm64: mte: Lock a page for MTE tag initialisation" and "KVM:
	 * arm64: unify the tests for VMAs in memslots when MTE is enabled"
	 * (d89585fbb308), merged for 6.2: "[GIT PULL] KVM/arm64 updates for
	 * 6.2" <20221205155845.233018-1-maz@kernel.org> ("Relax the MTE ABI,
	 * allowing a VMM to use the MAP_SHARED mapping option"). The same
	 * series moved registration from refusing VM_SHARED to requiring
	 * VM_MTE_ALLOWED (K6, M3); Linux 6.1 still refuses VM_SHARED
	 * (conformance: slot-mte-shm).
	 */
	[S2MT_KF_MTE_SHARED] = { "mte-shared",
				 "MTE VMs accept VM_SHARED memory; "
				 "memslots need VM_MTE_ALLOWED",
				 6,
				 2,
				 { { 0 } },
				 0,
				 0 },
	/*
	 * Sean Christopherson's "KVM: Introduce KVM_SET_USER_MEMORY_REGION2"
	 * (guest_memfd series), merged for 6.8: "[GIT PULL] KVM changes for
	 * Linux 6.8-rc1" <20240110101653.830047-1-pbonzini@redhat.com>.
	 * KVM_CAP_USER_MEMORY2 is 231 (M1, M2).
	 */
	[S2MT_KF_USER_MEMORY2] = { "user-memory2",
				   "KVM_SET_USER_MEMORY_REGION2 and "
				   "KVM_CAP_USER_MEMORY2 (231)",
				   6,
				   8,
				   { { 0 } },
				   0,
				   0 },
	/*
	 * Ankit Agrawal's "KVM: arm64: Set io memory s2 pte as normalnc for
	 * vfio pci device", "mm: Introduce new flag to indicate wc safe"
	 * (VM_ALLOW_ANY_UNCACHED) and "vfio: Convey kvm that the vfio-pci
	 * device is wc safe", merged for 6.9: "[GIT PULL] KVM/arm64 updates
	 * for 6.9" <ZeyQ5TK3pULYc32o@thinky-boi> (K2, H4).
	 */
	[S2MT_KF_NORMAL_NC] = { "normal-nc",
				"stage-2 Normal-NC for VM_ALLOW_ANY_UNCACHED; "
				"vfio-pci sets the flag",
				6,
				9,
				{ { 0 } },
				0,
				0 },
	/*
	 * "vfio/nvgrace-gpu: Add vfio pci variant module for grace hopper"
	 * and "vfio/nvgrace-gpu: Convey kvm to map device memory region as
	 * noncached", merged for 6.9: "[GIT PULL] VFIO updates for v6.9-rc1"
	 * <20240314170157.0a6bdd52.alex.williamson@redhat.com>. That pull
	 * merged the kvm-arm64/vfio-normal-nc branch as a dependency: the
	 * driver sets VM_ALLOW_ANY_UNCACHED on resmem. As a backport it does
	 * not need normal-nc, though: NVIDIA shipped the driver out of tree
	 * for older kernels, where KVM ignores the flag and maps both
	 * regions Device (the Z1 mismatch the 6.9 series was about).
	 */
	[S2MT_KF_NVGRACE_GPU] = { "nvgrace-gpu",
				  "the nvgrace-gpu-vfio-pci driver "
				  "(Grace-Hopper usemem and resmem)",
				  6,
				  9,
				  { { 0 } },
				  0,
				  0 },
	/*
	 * Ryan Roberts' "KVM: arm64: Allow guests with >48-bit IPA size on
	 * FEAT_LPA2 systems" (d782ac5b2cee) with "KVM: arm64: Use LPA2
	 * page-tables for stage2 and hyp stage1" and "arm64: Add
	 * ARM64_HAS_LPA2 CPU capability", merged for 6.8: "[GIT PULL]
	 * KVM/arm64 updates for 6.8" <20240105111756.930029-1-maz@kernel.org>
	 * ("LPA2 support, adding 52bit IPA/PA capability for 4kB and 16kB
	 * base granule sizes"). kvm_set_ipa_limit() stops capping PARange at
	 * 48 when kvm_lpa2_is_enabled(), which is system_supports_lpa2(): it
	 * depends on the CPU, not on the host kernel's own 52-bit VA support
	 * (that came in 6.9). Real kernels seen: 48 on 6.1, 52 on 6.12 and
	 * 7.2 (A2). 6.8 itself was not run.
	 */
	[S2MT_KF_IPA_52_LPA2] = { "ipa-52-lpa2",
				  "52-bit IPA spaces with FEAT_LPA2 "
				  "(KVM_CAP_ARM_VM_IPA_SIZE 52)",
				  6,
				  8,
				  { { 0 } },
				  0,
				  0 },
	/*
	 * Catalin Marinas' "arm64: mte: Do not allow PROT_MTE on MAP_HUGETLB
	 * user mappings", a stable-only fix (Cc: stable 5.10.x-6.12.x; "Linux
	 * prior to 6.13 does not support PROT_MTE hugetlb mappings ...
	 * earlier kernels inadvertently set VM_MTE_ALLOWED on (MAP_ANONYMOUS
	 * | MAP_HUGETLB) mappings"). Found in the stable queues of 5.10.235,
	 * 5.15.179, 6.1.130, 6.6.80 and 6.12.17 (stable review e.g.
	 * <20250311145810.687607288@linuxfoundation.org>). Mainline never had
	 * it: 6.13 went straight to hugetlb-mte. Real kernels seen: a Debian
	 * 6.12.y refuses an anonymous hugetlb slot in an MTE VM (H2, K6, M3).
	 */
	[S2MT_KF_ANON_MTE_FIX] = { "anon-mte-fix",
				   "MAP_ANONYMOUS|MAP_HUGETLB no longer gets "
				   "VM_MTE_ALLOWED (stable only)",
				   0,
				   0,
				   { { 6, 1, 130 },
				     { 6, 6, 80 },
				     { 6, 12, 17 } },
				   0,
				   S2MT_KF_BIT(S2MT_KF_HUGETLB_MTE) },
	/*
	 * Yang Shi's "hugetlb: arm64: add mte support" (25c17c4b55de),
	 * through the arm64 tree for 6.13 (v6 posted as
	 * <20241001225220.271178-1-yang@os.amperecomputing.com>; the stable
	 * fix above names it as the 6.13 change). MAP_HUGETLB joins
	 * MAP_ANONYMOUS in arch_calc_vm_flag_bits() and hugetlbfs VMAs get
	 * VM_MTE_ALLOWED; it relies on the 6.2 page locking for tags (H2).
	 */
	[S2MT_KF_HUGETLB_MTE] = { "hugetlb-mte",
				  "hugetlb mappings get VM_MTE_ALLOWED "
				  "(PROT_MTE on hugetlb)",
				  6,
				  13,
				  { { 0 } },
				  S2MT_KF_BIT(S2MT_KF_MTE_SHARED),
				  0 },
	/*
	 * Ankit Agrawal's "KVM: arm64: Block cacheable PFNMAP mapping", "KVM:
	 * arm64: Allow cacheable stage 2 mapping using VMA flags" and "KVM:
	 * arm64: Expose new KVM cap for cacheable PFNMAP" (f55ce5a6cd33),
	 * merged for 6.17: "[GIT PULL] KVM/arm64 changes for 6.17, round #1"
	 * <aIe-v1QP-VvaOONC@linux.dev>. KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED
	 * is 243 in include/uapi/linux/kvm.h (K1, K2, C1). It reworks the
	 * "force non-cacheable" path of the Normal-NC series, so a backport
	 * needs normal-nc.
	 */
	[S2MT_KF_CACHEABLE_PFNMAP] = { "cacheable-pfnmap",
				       "cacheable PFNMAP with FWB and DIC; "
				       "capability 243",
				       6,
				       17,
				       { { 0 } },
				       S2MT_KF_BIT(S2MT_KF_NORMAL_NC),
				       0 },
	/*
	 * Ankit Agrawal's "vfio/nvgrace-gpu: Read dvsec register to
	 * determine need for uncached resmem" and "vfio/nvgrace-gpu: Expose
	 * the blackwell device PF BAR1 to the VM", merged for 6.14: "[GIT
	 * PULL] VFIO updates for v6.14-rc1"
	 * <20250128142439.3f6dd5b7.alex.williamson@redhat.com>; taken by
	 * stable into 6.12.16 and 6.13.4. Before it every nvgrace-gpu device
	 * had the 1 GiB resmem carve-out (H4).
	 */
	[S2MT_KF_NVGRACE_NO_RESMEM] = { "nvgrace-no-resmem",
					"nvgrace-gpu parts without resmem "
					"(Grace Blackwell)",
					6,
					14,
					{ { 6, 12, 16 }, { 6, 13, 4 } },
					S2MT_KF_BIT(S2MT_KF_NVGRACE_GPU),
					0 },
	/*
	 * Rik van Riel's "mm: align larger anonymous mappings on THP
	 * boundaries" (efa7df3e3bb5), merged for 6.7 through the mm hotfixes
	 * (a first version had been merged for 6.1-rc and reverted before
	 * 6.1: 0ba09b173387). __get_unmapped_area() sends a private
	 * anonymous mapping without a file to thp_get_unmapped_area(), which
	 * pads the search by 2 MiB and aligns when the length is at least
	 * 2 MiB. The test is IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE), so the
	 * THP mode does not matter. Real kernels seen: 6.1 places the
	 * conformance RAM off 2 MiB and maps it with 4 KiB pages; 6.12 and
	 * 7.2 align it and map 2 MiB blocks (H6).
	 */
	[S2MT_KF_THP_ANON_ALIGN] = { "thp-anon-align",
				     "anonymous mmaps of 2 MiB or more start "
				     "on a 2 MiB boundary",
				     6,
				     7,
				     { { 0 } },
				     0,
				     0 },
	/*
	 * Vlastimil Babka's "mm, mmap: limit THP alignment of anonymous
	 * mappings to PMD-aligned sizes" (d4148aeab412), merged for
	 * 6.12-rc6, Cc: stable, in 6.11.7: the alignment only for lengths
	 * that are a multiple of 2 MiB (odd sizes had lost their merges and
	 * regressed, e.g. SPEC's cactuBSSN). A later fix (Kalesh Singh, "mm:
	 * Respect mmap hint address when aligning for THP") also skips it
	 * when a hint is given; the model always takes a free hint (H6).
	 */
	[S2MT_KF_THP_ALIGN_PMD_LEN] = { "thp-align-pmd-len",
					"the anonymous THP alignment only for "
					"lengths that are multiples of 2 MiB",
					6,
					12,
					{ { 6, 11, 7 } },
					S2MT_KF_BIT(S2MT_KF_THP_ANON_ALIGN),
					0 },
	/*
	 * Dev Jain's "mm: allocate THP on hugezeropage wp-fault"
	 * (1ced09e0331f, with "mm: abstract THP allocation"), merged for
	 * 6.13 (v5 <903de160-e2cf-42cc-93ee-6b356cdca6de@arm.com> thread,
	 * September 2024, based on 6.11). do_huge_pmd_wp_page() on the huge
	 * zero page calls do_huge_zero_wp_pmd(), which puts a new THP in
	 * the PMD; before, the PMD was split and only the written 4 KiB page
	 * became a real page. Real kernels seen: 6.12 maps the write with a
	 * 4 KiB page, 7.2 with a writable 2 MiB block (H6).
	 */
	[S2MT_KF_THP_ZERO_WP_ALLOC] = { "thp-zero-wp-alloc",
					"a write to the huge zero page "
					"allocates a THP instead of splitting",
					6,
					13,
					{ { 0 } },
					0,
					0 },
};

/* Writes one sentence to err (which may be NULL) and returns -EINVAL. */
__attribute__((format(printf, 3, 4))) static int kfail(char *err, size_t errlen,
						       const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -S2MT_EINVAL;
}

static int version_cmp(unsigned amaj, unsigned amin, unsigned bmaj,
		       unsigned bmin)
{
	if (amaj != bmaj)
		return amaj < bmaj ? -1 : 1;
	if (amin != bmin)
		return amin < bmin ? -1 : 1;
	return 0;
}

/* Reads up to 5 decimal digits; false if there is none or too many. */
static bool read_number(const char **p, unsigned *out)
{
	unsigned v = 0, n = 0;

	while (**p >= '0' && **p <= '9') {
		if (++n > 5)
			return false;
		v = v * 10 + (unsigned)(**p - '0');
		(*p)++;
	}
	*out = v;
	return n > 0;
}

/* Characters a release suffix may hold: what distributions use. */
static bool suffix_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' ||
		c == '_' || c == '~';
}

/* The release as a message can show it: control and non-ASCII bytes as
 * \xNN, so that the sentence stays one printable line. */
static const char *quoted(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	for (; *s && o + 5 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

int s2mt_kernel_parse(const char *release, struct s2mt_kernel *k, char *err,
		      size_t errlen)
{
	char q[4 * sizeof(((struct s2mt_kernel *)0)->release) + 8];
	struct s2mt_kernel out;
	const char *p;
	size_t len;

	if (!k)
		return kfail(err, errlen, "no kernel to fill in");
	if (!release)
		return kfail(err, errlen,
			     "expected a kernel release such as \"6.12\", "
			     "got nothing");
	len = strlen(release);
	/* __NEW_UTS_LEN: uname's release field holds 64 characters. */
	if (len >= sizeof(out.release))
		return kfail(err, errlen,
			     "expected a kernel release of at most %zu "
			     "characters (uname's limit), got %zu: "
			     "\"%.24s...\"",
			     sizeof(out.release) - 1, len,
			     quoted(release, q, sizeof(q)));

	memset(&out, 0, sizeof(out));
	p = release;
	if (!read_number(&p, &out.major) || *p++ != '.' ||
	    !read_number(&p, &out.minor))
		goto garbage;
	if (*p == '.') {
		p++;
		if (!read_number(&p, &out.patch))
			goto garbage;
	}
	if (*p && *p != '-' && *p != '+')
		goto garbage;
	for (; *p; p++)
		if (!suffix_char(*p))
			goto garbage;

	if (version_cmp(out.major, out.minor, S2MT_KERNEL_MIN_MAJOR,
			S2MT_KERNEL_MIN_MINOR) < 0)
		return kfail(err, errlen,
			     "kernel %s is older than %d.%d, the oldest the "
			     "model describes (Debian 12's kernel)",
			     quoted(release, q, sizeof(q)),
			     S2MT_KERNEL_MIN_MAJOR, S2MT_KERNEL_MIN_MINOR);
	memcpy(out.release, release, len + 1);
	*k = out;
	return 0;

garbage:
	return kfail(err, errlen,
		     "expected a kernel release as uname -r prints it (X.Y or "
		     "X.Y.Z, then optionally -suffix or +suffix, e.g. "
		     "\"6.17.0-1001-nvidia\"), got \"%s\"",
		     quoted(release, q, sizeof(q)));
}

int s2mt_kernel_feature_find(const char *name)
{
	unsigned f;

	if (!name)
		return -S2MT_EINVAL;
	for (f = 0; f < S2MT_KF_COUNT_; f++)
		if (!strcmp(name, kfeatures[f].name))
			return (int)f;
	return -S2MT_EINVAL;
}

const char *s2mt_kernel_feature_name(unsigned f)
{
	return f < S2MT_KF_COUNT_ ? kfeatures[f].name : "?";
}

const char *s2mt_kernel_feature_title(unsigned f)
{
	return f < S2MT_KF_COUNT_ ? kfeatures[f].title : "?";
}

void s2mt_kernel_feature_since(unsigned f, unsigned *major, unsigned *minor)
{
	unsigned maj = 0, min = 0;

	if (f < S2MT_KF_COUNT_) {
		maj = kfeatures[f].major;
		min = kfeatures[f].minor;
	}
	if (major)
		*major = maj;
	if (minor)
		*minor = min;
}

bool s2mt_kernel_feature_stable(unsigned f, unsigned major, unsigned minor,
				unsigned *patch)
{
	unsigned i;

	if (f >= S2MT_KF_COUNT_)
		return false;
	for (i = 0; i < MAX_STABLE; i++) {
		const struct stable_point *s = &kfeatures[f].stable[i];

		if (s->major && s->major == major && s->minor == minor) {
			if (patch)
				*patch = s->patch;
			return true;
		}
	}
	return false;
}

uint32_t s2mt_kernel_feature_requires(unsigned f)
{
	return f < S2MT_KF_COUNT_ ? kfeatures[f].requires : 0;
}

/* Whether the kernel's version itself (no backports) has f. */
static bool version_has(const struct s2mt_kernel *k, unsigned f)
{
	const struct kfeature *kf = &kfeatures[f];
	unsigned patch;

	if (kf->major &&
	    version_cmp(k->major, k->minor, kf->major, kf->minor) >= 0)
		return true;
	return s2mt_kernel_feature_stable(f, k->major, k->minor, &patch) &&
		k->patch >= patch;
}

bool s2mt_kernel_has(const struct s2mt_kernel *k, unsigned f)
{
	if (!k || f >= S2MT_KF_COUNT_)
		return false;
	return (k->backports & S2MT_KF_BIT(f)) || version_has(k, f);
}

/* "6.12" for a mainline release, "6.12.17" for a stable point. */
static void since_text(unsigned f, const struct s2mt_kernel *k, char *buf,
		       size_t len)
{
	unsigned patch;

	if (s2mt_kernel_feature_stable(f, k->major, k->minor, &patch) &&
	    k->patch >= patch)
		snprintf(buf, len, "%u.%u.%u", k->major, k->minor, patch);
	else
		snprintf(buf, len, "%u.%u", kfeatures[f].major,
			 kfeatures[f].minor);
}

int s2mt_kernel_add_backport(struct s2mt_kernel *k, const char *name, char *err,
			     size_t errlen)
{
	char names[256], since[24];
	uint32_t missing, over;
	size_t used = 0;
	unsigned f;
	int idx;

	if (!k)
		return kfail(err, errlen, "no kernel to add a backport to");
	idx = s2mt_kernel_feature_find(name);
	if (idx < 0) {
		names[0] = '\0';
		for (f = 0; f < S2MT_KF_COUNT_ && used < sizeof(names); f++) {
			int n = snprintf(names + used, sizeof(names) - used,
					 "%s%s", f ? ", " : "",
					 kfeatures[f].name);

			if (n < 0)
				break;
			used += (size_t)n;
		}
		return kfail(err, errlen,
			     "unknown backport \"%s\": the model knows %s",
			     name ? name : "(null)", names);
	}
	f = (unsigned)idx;
	if (k->backports & S2MT_KF_BIT(f))
		return kfail(err, errlen, "%s is already named as a backport",
			     name);
	if (version_has(k, f)) {
		since_text(f, k, since, sizeof(since));
		return kfail(err, errlen,
			     "%s is already in kernel %s (since Linux %s), so "
			     "it is no backport",
			     name, k->release, since);
	}
	over = 0;
	for (unsigned g = 0; g < S2MT_KF_COUNT_; g++)
		if ((kfeatures[f].superseded_by & S2MT_KF_BIT(g)) &&
		    s2mt_kernel_has(k, g))
			over |= S2MT_KF_BIT(g);
	if (over) {
		unsigned g = (unsigned)__builtin_ctz(over);

		return kfail(err, errlen,
			     "%s does not apply to kernel %s: it has %s, "
			     "which supersedes it",
			     name, k->release, kfeatures[g].name);
	}
	missing = 0;
	for (unsigned g = 0; g < S2MT_KF_COUNT_; g++)
		if ((kfeatures[f].requires & S2MT_KF_BIT(g)) &&
		    !s2mt_kernel_has(k, g))
			missing |= S2MT_KF_BIT(g);
	if (missing) {
		unsigned g = (unsigned)__builtin_ctz(missing);

		return kfail(err, errlen,
			     "%s needs %s, which kernel %s lacks: name %s as "
			     "a backport first",
			     name, kfeatures[g].name, k->release,
			     kfeatures[g].name);
	}
	k->backports |= S2MT_KF_BIT(f);
	return 0;
}

unsigned s2mt_kernel_era(const struct s2mt_kernel *k)
{
	if (s2mt_kernel_has(k, S2MT_KF_CACHEABLE_PFNMAP))
		return S2MT_ERA_6_17;
	if (s2mt_kernel_has(k, S2MT_KF_NORMAL_NC))
		return S2MT_ERA_6_9;
	return S2MT_ERA_6_8;
}

void s2mt_kernel_of_era(unsigned era, struct s2mt_kernel *k)
{
	static const struct {
		const char *release;
		unsigned major, minor;
	} reps[S2MT_ERA_COUNT_] = {
		[S2MT_ERA_6_8] = { "6.8", 6, 8 },
		[S2MT_ERA_6_9] = { "6.9", 6, 9 },
		[S2MT_ERA_6_17] = { "6.17", 6, 17 },
	};

	if (!k)
		return;
	memset(k, 0, sizeof(*k));
	if (era >= S2MT_ERA_COUNT_)
		return;
	snprintf(k->release, sizeof(k->release), "%s", reps[era].release);
	k->major = reps[era].major;
	k->minor = reps[era].minor;
}

size_t s2mt_kernel_describe(const struct s2mt_kernel *k, char *buf, size_t len)
{
	size_t used;
	unsigned f;
	bool first = true;
	int n;

	if (!buf || !len)
		return 0;
	if (!k) {
		buf[0] = '\0';
		return 0;
	}
	if (k->release[0])
		n = snprintf(buf, len, "%s", k->release);
	else
		n = snprintf(buf, len, "%u.%u.%u", k->major, k->minor,
			     k->patch);
	used = n < 0 ? 0 : (size_t)n;
	for (f = 0; f < S2MT_KF_COUNT_ && used < len; f++) {
		if (!(k->backports & S2MT_KF_BIT(f)))
			continue;
		n = snprintf(buf + used, len - used, "%s+%s",
			     first ? " (" : ", ", kfeatures[f].name);
		used += n < 0 ? 0 : (size_t)n;
		first = false;
	}
	if (!first && used < len) {
		n = snprintf(buf + used, len - used, ")");
		used += n < 0 ? 0 : (size_t)n;
	}
	return used < len ? used : len - 1;
}
