// SPDX-License-Identifier: MIT
/*
 * s2mt designs --matrix (docs/matrix.md): the designs the threads argued
 * over, run over a generated space of configurations. Each configuration
 * is written as scenario YAML, loaded with scenario_load_buffer() and told
 * with run_scenario(), exactly as `s2mt run` would tell the file; the
 * properties are computed from what the runs returned (step errnos,
 * faults, hazards, capability 243, the migrate step's rule), and each
 * counterexample is that same YAML, so `s2mt run` reproduces it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "matrix.h"
#include "report.h"
#include "runner.h"

/* ------------------------------------------------------------------ */
/* The axes                                                           */
/* ------------------------------------------------------------------ */

/* The design columns, as `s2mt designs FILE` shows them. */
static const struct {
	const char *name;
	unsigned design;
	const char *kernel;
} columns[MX_NR_COLUMNS] = {
	{ "6.9", S2MT_DESIGN_MERGED, "6.9" },
	{ "nc-blanket", S2MT_DESIGN_NC_BLANKET, "6.9" },
	{ "merged", S2MT_DESIGN_MERGED, "6.17" },
	{ "D1", S2MT_DESIGN_D1, "6.17" },
	{ "D2", S2MT_DESIGN_D2, "6.17" },
	{ "D3", S2MT_DESIGN_D3, "6.17" },
	{ "D4", S2MT_DESIGN_D4, "6.17" },
	{ "D5", S2MT_DESIGN_D5, "6.17" },
};
/* P3's reference: what an existing VMM runs on today (merged, 6.17). */
#define COL_MERGED 2

enum { H_GH, H_FWB_NO_DIC, H_NO_FWB, H_X86_INTEL, H_X86_AMD, NR_HOSTS };

static const struct {
	const char *name;
	const char *yaml; /* the value of host: */
	const char *weaker; /* a weaker Arm destination, or NULL */
	bool x86; /* no migrate step (it takes Arm presets) */
} hosts[NR_HOSTS] = {
	[H_GH] = { "grace-hopper", "{preset: grace-hopper}", "no-fwb", false },
	[H_FWB_NO_DIC] = { "fwb-no-dic", "{preset: fwb-no-dic}", "no-fwb",
			   false },
	[H_NO_FWB] = { "no-fwb", "{preset: no-fwb}", NULL, false },
	[H_X86_INTEL] = { "x86-intel", "{arch: x86-intel}", NULL, true },
	[H_X86_AMD] = { "x86-amd", "{arch: x86-amd}", NULL, true },
};

enum {
	M_ANON,
	M_HUGETLB,
	M_BAR,
	M_BAR_RSE,
	M_USEMEM,
	M_RESMEM,
	M_DEVMEM_BAR,
	M_CMEM,
	NR_MEMS,
};

#define BAR_PREFETCHABLE                                                       \
	"{name: dev0, type: vfio-pci, bars: [{index: 0, size: 2M, "            \
	"prefetchable: true}]}"
#define GPU "{name: gpu0, type: nvgrace-gpu, usemem: 2M, resmem: 2M}"

/*
 * The memory behind the VMA. /dev/mem of RAM outside the linear map is
 * not here: /dev/mem maps anything outside the linear map non-cacheable
 * (pgprot_noncached()), and refuses system RAM (STRICT_DEVMEM). Cacheable
 * VM_PFNMAP over such RAM is the cacheable-pfnmap device (a driver's
 * remap_pfn_range() with the default prot; docs/matrix.md).
 */
static const struct {
	const char *name; /* in file names */
	const char *what;
	const char *device; /* the devices: entry, or NULL */
	const char *mmap; /* kind and source of the mmap */
	bool nvgrace; /* no such device on x86 */
} mems[NR_MEMS] = {
	[M_ANON] = { "anon", "anonymous RAM", NULL, "kind: anonymous, size: 2M",
		     false },
	[M_HUGETLB] = { "hugetlb", "hugetlb-2m RAM", NULL,
			"kind: hugetlb-2m, size: 2M", false },
	[M_BAR] = { "bar", "vfio-pci BAR (prefetchable)", BAR_PREFETCHABLE,
		    "kind: vfio-bar, device: dev0, bar: 0", false },
	[M_BAR_RSE] = { "bar-rse", "vfio-pci BAR with read side effects",
			"{name: dev0, type: vfio-pci, bars: [{index: 0, "
			"size: 2M, read_side_effects: true}]}",
			"kind: vfio-bar, device: dev0, bar: 0", false },
	[M_USEMEM] = { "usemem", "nvgrace-gpu usemem", GPU,
		       "kind: nvgrace-usemem, device: gpu0", true },
	[M_RESMEM] = { "resmem", "nvgrace-gpu resmem", GPU,
		       "kind: nvgrace-resmem, device: gpu0", true },
	[M_DEVMEM_BAR] = { "devmem-bar", "/dev/mem over a vfio-pci BAR",
			   BAR_PREFETCHABLE,
			   "kind: devmem, device: dev0, bar: 0", false },
	[M_CMEM] = { "cmem", "cacheable-pfnmap device (hidden RAM)",
		     "{name: cmem0, type: cacheable-pfnmap, size: 2M}",
		     "kind: cacheable-pfnmap, device: cmem0", false },
};

#define NR_PROTS 3
static const char *const prots[NR_PROTS] = { "r", "rw", "rwx" };

enum { MIG_NONE, MIG_SAME, MIG_WEAKER, NR_MIGS };

#define SLOT_GPA "0x100000000"
#define VMA_HVA "0x200000000000"

/* P6's ways for a VMM to know a slot's stage-2 class. */
enum { RULE_FLAG, RULE_D3_FLAG, RULE_D3_NO_FLAG, RULE_RAM_CAP, NR_RULES };
#define RULE_MIXED 0xff

struct mx_config {
	unsigned col, host, mem, prot;
	bool flag; /* memslot bit 3 declared */
	bool late; /* the VMA placed under the existing slot */
	unsigned mig;
};

#define NR_CONFIGS                                                             \
	(MX_NR_COLUMNS * NR_HOSTS * NR_MEMS * NR_PROTS * 2 * 2 * NR_MIGS)

static size_t config_index(const struct mx_config *c)
{
	size_t i = c->col;

	i = i * NR_HOSTS + c->host;
	i = i * NR_MEMS + c->mem;
	i = i * NR_PROTS + c->prot;
	i = i * 2 + c->flag;
	i = i * 2 + c->late;
	return i * NR_MIGS + c->mig;
}

static bool column_has_flag(unsigned col)
{
	return s2mt_design_has_slot_flag(columns[col].design);
}

/* ------------------------------------------------------------------ */
/* What a run came to                                                 */
/* ------------------------------------------------------------------ */

enum { ST_ABSENT, ST_NA, ST_PENDING, ST_RAN };

/* What a VMM accessing guest memory needs to know of a stage-2 leaf
 * (P6): FWB forces Write-Back; Normal cacheable, so the guest's stage 1
 * decides; or non-cacheable (Device, Normal-NC). */
enum mx_s2class { S2C_NONE, S2C_FORCED_WB, S2C_GUEST, S2C_UNCACHED };

static uint8_t s2class_of(uint8_t memattr, bool fwb)
{
	struct s2mt_s2type t;

	if (s2mt_s2_decode(memattr, fwb, &t))
		return S2C_NONE;
	switch (t.kind) {
	case S2MT_S2_FORCE_WB:
		return S2C_FORCED_WB;
	case S2MT_S2_AS_S1:
		return S2C_GUEST;
	case S2MT_S2_NORMAL:
		return t.inner != S2MT_CACHE_NC || t.outer != S2MT_CACHE_NC
			? S2C_GUEST
			: S2C_UNCACHED;
	}
	return S2C_UNCACHED;
}

struct mx_facts {
	uint8_t state;
	/* the host */
	bool arm64, fwb_dic;
	/* the VMA behind the slot, at the end of the story */
	bool has_vma, pfnmap, vma_cacheable, outside;
	int mmap_err;
	/* the memslot */
	int slot_err;
	char slot_rule[8];
	/* the first access KVM_RUN failed with -EFAULT */
	int fault_err;
	char fault_rule[8];
	char fault_access[8];
	/* the first access that mapped a leaf, and its stage 2 */
	bool mapped;
	uint8_t s2class; /* enum mx_s2class */
	char mapped_s2[24];
	char mapped_access[8];
	uint32_t hazards;
	bool has_cap;
	long cap243;
	bool z8; /* the migrate step's rule */
	/* x86: the EPT/NPT leaf of the first mapped access, and whether it
	 * is Write-Back for every guest PAT type */
	bool x86_leaf, x86_wb_always;
	char x86_entry[24];
};

static bool refused(const struct mx_facts *f)
{
	return f->slot_err || f->fault_err == -S2MT_EFAULT;
}

static bool z1z2(const struct mx_facts *f)
{
	return f->hazards &
		(S2MT_HAZARD_BIT(S2MT_Z1) | S2MT_HAZARD_BIT(S2MT_Z2));
}

static bool clean(const struct mx_facts *f)
{
	return !refused(f) && !z1z2(f);
}

static bool cacheable_pfnmap(const struct mx_facts *f)
{
	return f->has_vma && f->pfnmap && f->vma_cacheable;
}

static void copy_rule(char *dst, size_t len, const char *rule)
{
	snprintf(dst, len, "%s", rule ? rule : "?");
}

static void collect(const struct run *r, struct mx_facts *f)
{
	const struct scenario *sc = r->sc;

	f->arm64 = r->host.arch == S2MT_ARCH_ARM64;
	f->fwb_dic = s2mt_host_cacheable_pfnmap(&r->host.caps);
	if (r->mmap_live[0]) {
		const struct s2mt_vma *v = s2mt_mm_find_vma_intersection(
			&r->mm, r->mmap_hva[0], r->mmap_hva[0] + 1);

		if (v) {
			f->has_vma = true;
			f->pfnmap = v->flags & S2MT_VM_PFNMAP;
			f->vma_cacheable = s2mt_attrindx_cacheable(v->attrindx);
			f->outside = s2mt_vma_memclass(&r->host, v) ==
				S2MT_MEM_PFN_OUTSIDE;
		}
	}
	for (size_t i = 0; i < sc->nr_steps; i++) {
		const struct sc_step *st = &sc->steps[i];
		const struct step_result *s = &r->steps[i];
		const char *name;

		switch (st->kind) {
		case SC_STEP_MMAP:
			f->mmap_err = s->err;
			break;
		case SC_STEP_MEMSLOT:
			f->slot_err = s->err;
			copy_rule(f->slot_rule, sizeof(f->slot_rule), s->rule);
			break;
		case SC_STEP_ACCESS:
			name = sc->accesses[st->ref].name;
			if (!f->fault_err &&
			    (s->err == -S2MT_EFAULT ||
			     (s->ran_fault &&
			      s->first.outcome == S2MT_FAULT_EFAULT))) {
				f->fault_err = -S2MT_EFAULT;
				copy_rule(f->fault_rule, sizeof(f->fault_rule),
					  s->rule ? s->rule : s->first.rule);
				snprintf(f->fault_access,
					 sizeof(f->fault_access), "%s", name);
			}
			if (!f->mapped && s->ran_fault && s->first.has_leaf &&
			    (s->first.outcome == S2MT_FAULT_MAPPED ||
			     s->first.outcome == S2MT_FAULT_PERM_RELAXED ||
			     s->first.outcome == S2MT_FAULT_SPURIOUS)) {
				f->mapped = true;
				if (s->has_x86) {
					f->x86_leaf = true;
					f->x86_wb_always =
						s2mt_x86_leaf_guarantees_wb(
							&s->x86_leaf);
					run_x86_leaf_text(&s->x86_leaf,
							  f->x86_entry,
							  sizeof(f->x86_entry));
				}
				f->s2class = s2class_of(s->first.leaf.memattr,
							r->host.caps.fwb);
				s2mt_s2_name(s->first.leaf.memattr,
					     r->host.caps.fwb, f->mapped_s2,
					     sizeof(f->mapped_s2));
				snprintf(f->mapped_access,
					 sizeof(f->mapped_access), "%s", name);
			}
			break;
		case SC_STEP_CAPABILITY:
			f->has_cap = true;
			f->cap243 = s->err ? s->err : s->value;
			break;
		case SC_STEP_MIGRATE:
			f->z8 = s->rule && !strcmp(s->rule, "Z8");
			break;
		default:
			break;
		}
	}
	f->hazards = hazard_bits(r);
}

/* ------------------------------------------------------------------ */
/* A configuration as a scenario                                      */
/* ------------------------------------------------------------------ */

struct buf {
	char *p;
	size_t len, cap;
	bool overflow;
};

__attribute__((format(printf, 2, 3))) static void put(struct buf *b,
						      const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len) {
		b->overflow = true;
		b->len = b->cap - 1;
		return;
	}
	b->len += (size_t)n;
}

static const char *decl_text(const struct mx_config *c)
{
	return c->flag ? s2mt_design_slot_flag_name(columns[c->col].design)
		       : "no flag";
}

static void mig_text(const struct mx_config *c, char *out, size_t len)
{
	if (c->mig == MIG_NONE)
		snprintf(out, len, "no migration");
	else if (c->mig == MIG_SAME)
		snprintf(out, len, "migrate to %s", hosts[c->host].name);
	else
		snprintf(out, len, "migrate to %s (weaker)",
			 hosts[c->host].weaker);
}

/* "grace-hopper, nvgrace-gpu usemem, prot rw, no flag, VMA first, no
 * migration" */
static void config_text(const struct mx_config *c, char *out, size_t len)
{
	char mig[48];

	mig_text(c, mig, sizeof(mig));
	snprintf(out, len, "%s, %s, prot %s, %s, VMA %s, %s",
		 hosts[c->host].name, mems[c->mem].what, prots[c->prot],
		 decl_text(c), c->late ? "late" : "first", mig);
}

static void gen_yaml(const struct mx_config *c, const char *header,
		     struct buf *b)
{
	const char *prot = prots[c->prot];
	unsigned design = columns[c->col].design;
	char what[200];

	config_text(c, what, sizeof(what));
	if (header)
		put(b, "%s", header);
	put(b, "name: \"matrix %s: %s %s prot %s%s%s\"\n", columns[c->col].name,
	    hosts[c->host].name, mems[c->mem].name, prot,
	    c->flag ? " flag" : "", c->late ? " late" : "");
	put(b, "description: \"%s\"\n", what);
	put(b, "host: %s\n", hosts[c->host].yaml);
	put(b, "kernel: \"%s\"\n", columns[c->col].kernel);
	put(b, "design: %s\n", s2mt_design_name(design));
	if (mems[c->mem].device)
		put(b, "devices:\n  - %s\n", mems[c->mem].device);
	put(b, "vmm:\n  mmaps:\n");
	put(b, "    - {name: mem, %s, hva: " VMA_HVA ", prot: %s}\n",
	    mems[c->mem].mmap, prot);
	put(b, "  memslots:\n    - {slot: 1, guest_phys_addr: " SLOT_GPA);
	if (c->late)
		put(b, ", userspace_addr: " VMA_HVA ", memory_size: 2M");
	else
		put(b, ", mmap: mem");
	if (c->flag)
		put(b, ", flags: [%s]", s2mt_design_slot_flag_name(design));
	put(b, "}\n");
	put(b, "guest:\n  accesses:\n");
	put(b, "    - {name: read, ipa: " SLOT_GPA ", access: read}\n");
	if (strchr(prot, 'w'))
		put(b,
		    "    - {name: write, ipa: " SLOT_GPA ", access: write}\n");
	if (strchr(prot, 'x'))
		put(b, "    - {name: exec, ipa: " SLOT_GPA ", access: exec}\n");
	put(b, "steps:\n");
	if (!c->late)
		put(b, "  - mmap: mem\n");
	put(b, "  - create-vm\n");
	put(b, "  - capability: {cap: cacheable-pfnmap, on: vm}\n");
	put(b, "  - memslot: 1\n");
	if (c->late)
		put(b, "  - mmap: mem\n");
	put(b, "  - access: read\n");
	if (strchr(prot, 'w'))
		put(b, "  - access: write\n");
	if (strchr(prot, 'x'))
		put(b, "  - access: exec\n");
	if (c->mig != MIG_NONE)
		put(b, "  - migrate: {preset: %s, kernel: \"%s\"}\n",
		    c->mig == MIG_SAME ? hosts[c->host].name
				       : hosts[c->host].weaker,
		    columns[c->col].kernel);
}

/* ------------------------------------------------------------------ */
/* The matrix                                                         */
/* ------------------------------------------------------------------ */

struct matrix {
	struct mx_facts *facts; /* NR_CONFIGS, by config_index() */
	unsigned ran[MX_NR_COLUMNS], na[MX_NR_COLUMNS], pending[MX_NR_COLUMNS];
	int count[MX_NR_COLUMNS][MX_NR_PROPS];
	unsigned p7_candidates[MX_NR_COLUMNS];
	/* P6: the stage-2 class each knowledge rule's configurations got,
	 * per column and timing: 0 none yet, S2C_* + 1, or RULE_MIXED. */
	uint8_t rule_class[MX_NR_COLUMNS][2][NR_RULES];
	bool has_example[MX_NR_COLUMNS][MX_NR_PROPS];
	struct mx_config example[MX_NR_COLUMNS][MX_NR_PROPS];
	unsigned runs;
	double seconds;
	char error[700];
};

static const char *const prop_titles[MX_NR_PROPS] = {
	[MX_P1] = "a hazard Z1 or Z2 remains",
	[MX_P2] = "a setup that works on real hardware is refused",
	[MX_P3] = "an existing VMM breaks",
	[MX_P4] = "the VMM must know the device (Jason Gunthorpe)",
	[MX_P5] = "stage-1 attributes unknown at registration (Catalin "
		  "Marinas)",
	[MX_P6] = "userspace cannot tell the slot's stage-2 type (Oliver "
		  "Upton)",
	[MX_P7] = "the flag promises what x86 cannot keep (Sean "
		  "Christopherson)",
	[MX_P8] = "migration to a weaker host is not detectable",
	[MX_P5B] = "a registration check the VMA-late timing bypasses (beside "
		   "P5)",
};

/* The order the properties are shown in: P5b beside P5. */
static const unsigned shown[MX_NR_PROPS] = { MX_P1,  MX_P2, MX_P3, MX_P4, MX_P5,
					     MX_P5B, MX_P6, MX_P7, MX_P8 };

const char *matrix_column_name(unsigned col)
{
	return col < MX_NR_COLUMNS ? columns[col].name : "?";
}

const char *matrix_prop_id(unsigned prop)
{
	static const char *const ids[MX_NR_PROPS] = { "P1", "P2", "P3",
						      "P4", "P5", "P6",
						      "P7", "P8", "P5b" };

	return prop < MX_NR_PROPS ? ids[prop] : "P?";
}

const char *matrix_prop_title(unsigned prop)
{
	return prop < MX_NR_PROPS ? prop_titles[prop] : "?";
}

const char *matrix_error(const struct matrix *m)
{
	return m->error;
}

unsigned matrix_ran(const struct matrix *m, unsigned col)
{
	return col < MX_NR_COLUMNS ? m->ran[col] : 0;
}

unsigned matrix_not_applicable(const struct matrix *m, unsigned col)
{
	return col < MX_NR_COLUMNS ? m->na[col] : 0;
}

unsigned matrix_pending(const struct matrix *m, unsigned col)
{
	return col < MX_NR_COLUMNS ? m->pending[col] : 0;
}

int matrix_count(const struct matrix *m, unsigned col, unsigned prop)
{
	return col < MX_NR_COLUMNS && prop < MX_NR_PROPS ? m->count[col][prop]
							 : 0;
}

const char *matrix_pending_reason(const struct matrix *m, unsigned prop)
{
	(void)m;
	(void)prop;
	return NULL;
}

unsigned matrix_runs(const struct matrix *m)
{
	return m->runs;
}

double matrix_seconds(const struct matrix *m)
{
	return m->seconds;
}

void matrix_free(struct matrix *m)
{
	if (!m)
		return;
	free(m->facts);
	free(m);
}

static const struct mx_facts *facts_of(const struct matrix *m,
				       const struct mx_config *c)
{
	const struct mx_facts *f = &m->facts[config_index(c)];

	return f->state == ST_RAN ? f : NULL;
}

/* The configuration a property compares c with, or false. */
static bool twin_of(unsigned prop, const struct mx_config *c,
		    struct mx_config *t)
{
	*t = *c;
	switch (prop) {
	case MX_P3: /* the existing VMM on merged 6.17 */
		if (c->flag || c->col == COL_MERGED)
			return false;
		t->col = COL_MERGED;
		return true;
	case MX_P4: /* the VMM that sets bit 3 */
		if (c->flag || !column_has_flag(c->col))
			return false;
		t->flag = true;
		return true;
	case MX_P5: /* the VMA mapped before the memslot */
	case MX_P5B:
		if (!c->late)
			return false;
		t->late = false;
		return true;
	case MX_P7: /* the same memory without the flag: KVM x86's leaf */
		if (!c->flag)
			return false;
		t->flag = false;
		return true;
	}
	return false;
}

/*
 * P6: which of the ways a VMM could know a mapped slot's stage-2 class
 * (docs/matrix.md) applies to c: under D2 and D3 an accepted bit 3 (both
 * refuse it over non-cacheable memory: Write-Back); under D3 any accepted
 * PFNMAP slot, with or without bit 3 (the flag must match the VMA);
 * linear-map RAM where capability 243 read 1 (FWB and DIC there). D5's
 * query always tells. Returns a bit per RULE_*.
 */
static unsigned knowledge_rules(const struct mx_config *c,
				const struct mx_facts *f)
{
	unsigned d = columns[c->col].design, rules = 0;

	if ((d == S2MT_DESIGN_D2 || d == S2MT_DESIGN_D3) && c->flag)
		rules |= 1u << RULE_FLAG;
	if (d == S2MT_DESIGN_D3 && f->pfnmap)
		rules |= 1u << (c->flag ? RULE_D3_FLAG : RULE_D3_NO_FLAG);
	if (!f->outside && f->has_cap && f->cap243 == 1)
		rules |= 1u << RULE_RAM_CAP;
	return rules;
}

static bool mapped_arm64(const struct mx_facts *f)
{
	return f && f->arm64 && f->mapped;
}

/* A rule tells the VMM the class only if every mapped configuration it
 * covers, in the column and with the VMA placed the same way, got the
 * same class: the runs confirm it or refute it. */
static void learn_rules(struct matrix *m, const struct mx_config *c)
{
	const struct mx_facts *f = facts_of(m, c);
	unsigned rules;

	if (!mapped_arm64(f))
		return;
	rules = knowledge_rules(c, f);
	for (unsigned r = 0; r < NR_RULES; r++) {
		uint8_t *seen = &m->rule_class[c->col][c->late][r];

		if (!(rules & (1u << r)))
			continue;
		if (!*seen)
			*seen = (uint8_t)(f->s2class + 1);
		else if (*seen != f->s2class + 1)
			*seen = RULE_MIXED;
	}
}

static bool vmm_knows_type(const struct matrix *m, const struct mx_config *c,
			   const struct mx_facts *f)
{
	unsigned rules = knowledge_rules(c, f);

	if (columns[c->col].design == S2MT_DESIGN_D5)
		return true;
	for (unsigned r = 0; r < NR_RULES; r++)
		if ((rules & (1u << r)) &&
		    m->rule_class[c->col][c->late][r] != RULE_MIXED)
			return true;
	return false;
}

/* P2: the hardware can run the setup safely: the memory is not
 * device-like, or it is and the host maps it non-cacheable, or it is
 * cacheable and the CPU has FWB and DIC; on x86 always. */
static bool hardware_can(const struct mx_facts *f)
{
	if (!f->arm64)
		return true;
	return !f->outside || !f->vma_cacheable || f->fwb_dic;
}

/* The declaration is none, or bit 3 exactly where the VMA is cacheable
 * PFNMAP. */
static bool declaration_truthful(const struct mx_config *c,
				 const struct mx_facts *f)
{
	return !c->flag || cacheable_pfnmap(f);
}

static bool prop_holds(const struct matrix *m, const struct mx_config *c,
		       unsigned prop)
{
	const struct mx_facts *f = facts_of(m, c), *tf = NULL;
	struct mx_config t;

	if (!f)
		return false;
	if (twin_of(prop, c, &t)) {
		tf = facts_of(m, &t);
		if (!tf)
			return false;
	}
	switch (prop) {
	case MX_P1:
		return z1z2(f);
	case MX_P2:
		/* On x86 bit 3 is refused because KVM x86 cannot keep its
		 * promise: that is P7, not a working setup refused. */
		return hardware_can(f) && declaration_truthful(c, f) &&
			!(!f->arm64 && c->flag) && refused(f);
	case MX_P3:
		return tf && clean(tf) && refused(f);
	case MX_P4:
		return tf && cacheable_pfnmap(tf) && clean(tf) &&
			(refused(f) || z1z2(f));
	case MX_P5:
		return tf && tf->slot_err && !f->slot_err &&
			(f->fault_err == -S2MT_EFAULT || z1z2(f));
	case MX_P5B:
		return tf && tf->slot_err && clean(f);
	case MX_P6:
		return mapped_arm64(f) && !vmm_knows_type(m, c, f);
	case MX_P7:
		/* x86 refuses bit 3 (it cannot be offered there); the leaf
		 * KVM x86 builds for the same memory without it shows why:
		 * some guest PAT type makes it other than Write-Back. */
		return tf && !f->arm64 && c->flag && tf->vma_cacheable &&
			tf->x86_leaf && !tf->x86_wb_always;
	case MX_P8:
		return c->mig == MIG_WEAKER && f->z8 && f->mapped &&
			cacheable_pfnmap(f) && f->has_cap && f->cap243 == 0;
	}
	return false;
}

/* Calls fn for every configuration, in generation order. */
static void for_each_config(void (*fn)(struct matrix *m,
				       const struct mx_config *c),
			    struct matrix *m)
{
	struct mx_config c;

	for (c.col = 0; c.col < MX_NR_COLUMNS; c.col++)
		for (c.host = 0; c.host < NR_HOSTS; c.host++)
			for (c.mem = 0; c.mem < NR_MEMS; c.mem++)
				for (c.prot = 0; c.prot < NR_PROTS; c.prot++)
					for (unsigned fl = 0; fl <=
					     (unsigned)column_has_flag(c.col);
					     fl++)
						for (unsigned l = 0; l < 2; l++)
							for (c.mig = 0;
							     c.mig < NR_MIGS;
							     c.mig++) {
								c.flag = fl;
								c.late = l;
								fn(m, &c);
							}
}

static bool config_exists(const struct mx_config *c)
{
	if (c->mig == MIG_SAME && hosts[c->host].x86)
		return false;
	if (c->mig == MIG_WEAKER && !hosts[c->host].weaker)
		return false;
	return true;
}

/* The buffers one run needs, reused. */
static struct scenario *g_sc;
static struct run *g_run;
static char g_text[8192];

static void run_config(struct matrix *m, const struct mx_config *c)
{
	struct mx_facts *f = &m->facts[config_index(c)];
	struct buf b = { g_text, 0, sizeof(g_text), false };
	char err[600];

	if (!config_exists(c) || m->error[0])
		return;
	if (hosts[c->host].x86 && mems[c->mem].nvgrace) {
		f->state = ST_NA;
		m->na[c->col]++;
		return;
	}
	gen_yaml(c, NULL, &b);
	if (b.overflow) {
		snprintf(m->error, sizeof(m->error),
			 "matrix: a generated scenario exceeds %zu bytes",
			 sizeof(g_text));
		return;
	}
	if (scenario_load_buffer("matrix.yaml", g_text, b.len, g_sc, err,
				 sizeof(err))) {
		if (hosts[c->host].x86) {
			f->state = ST_PENDING;
			m->pending[c->col]++;
			return;
		}
		snprintf(m->error, sizeof(m->error),
			 "matrix: generated scenario refused: %s", err);
		return;
	}
	memset(g_run, 0, sizeof(*g_run));
	m->runs++;
	if (run_scenario(g_sc, g_sc->era, g_run)) {
		if (hosts[c->host].x86 && !g_run->oom) {
			f->state = ST_PENDING;
			m->pending[c->col]++;
			return;
		}
		snprintf(m->error, sizeof(m->error), "matrix: %s",
			 g_run->oom ? g_run->oom_what : g_run->setup_error);
		return;
	}
	collect(g_run, f);
	run_free(g_run);
	f->state = ST_RAN;
	m->ran[c->col]++;
}

static void count_config(struct matrix *m, const struct mx_config *c)
{
	const struct mx_facts *f = facts_of(m, c);

	if (!f)
		return;
	if (!f->arm64 && c->flag)
		m->p7_candidates[c->col]++;
	for (unsigned p = 0; p < MX_NR_PROPS; p++) {
		if (!prop_holds(m, c, p))
			continue;
		m->count[c->col][p]++;
		if (!m->has_example[c->col][p]) {
			m->has_example[c->col][p] = true;
			m->example[c->col][p] = *c;
		}
	}
}

struct matrix *matrix_run(void)
{
	struct matrix *m = calloc(1, sizeof(*m));
	struct timespec t0, t1;

	if (!m)
		return NULL;
	m->facts = calloc(NR_CONFIGS, sizeof(*m->facts));
	g_sc = calloc(1, sizeof(*g_sc));
	g_run = calloc(1, sizeof(*g_run));
	if (!m->facts || !g_sc || !g_run) {
		free(g_sc);
		free(g_run);
		matrix_free(m);
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for_each_config(run_config, m);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	m->seconds = (double)(t1.tv_sec - t0.tv_sec) +
		(double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	free(g_sc);
	free(g_run);
	g_sc = NULL;
	g_run = NULL;
	if (!m->error[0]) {
		for_each_config(learn_rules, m);
		for_each_config(count_config, m);
	}
	return m;
}

/* ------------------------------------------------------------------ */
/* Counterexamples                                                    */
/* ------------------------------------------------------------------ */

static void example_names(unsigned col, unsigned prop, struct mx_example *ex,
			  bool twin)
{
	snprintf(ex->file, sizeof(ex->file), "%s-%s.yaml", columns[col].name,
		 matrix_prop_id(prop));
	if (twin)
		snprintf(ex->twin, sizeof(ex->twin), "%s-%s.twin.yaml",
			 columns[col].name, matrix_prop_id(prop));
	else
		ex->twin[0] = '\0';
}

/* "memslot 1 EINVAL (D1)", "access write EFAULT (K2)", "hazards Z1" */
static void what_went_wrong(const struct mx_facts *f, char *out, size_t len)
{
	if (f->slot_err)
		snprintf(out, len, "memslot 1 %s (%s)",
			 s2mt_errno_name(f->slot_err), f->slot_rule);
	else if (f->fault_err)
		snprintf(out, len, "access %s EFAULT (%s)", f->fault_access,
			 f->fault_rule);
	else if (f->hazards & S2MT_HAZARD_BIT(S2MT_Z1))
		snprintf(out, len, "hazard Z1 (%s at stage 2)",
			 f->mapped ? f->mapped_s2 : "?");
	else if (f->hazards & S2MT_HAZARD_BIT(S2MT_Z2))
		snprintf(out, len, "hazard Z2 (%s at stage 2)",
			 f->mapped ? f->mapped_s2 : "?");
	else
		snprintf(out, len, "clean");
}

static void example_line(const struct matrix *m, unsigned prop,
			 const struct mx_config *c, char *out, size_t len)
{
	const struct mx_facts *f = facts_of(m, c), *tf;
	char cfg[200], why[96], twhy[96];
	struct mx_config t;

	config_text(c, cfg, sizeof(cfg));
	what_went_wrong(f, why, sizeof(why));
	tf = twin_of(prop, c, &t) ? facts_of(m, &t) : NULL;
	if (tf)
		what_went_wrong(tf, twhy, sizeof(twhy));
	switch (prop) {
	case MX_P3:
		snprintf(out, len, "%s: %s; merged 6.17 runs it clean (twin)",
			 cfg, why);
		break;
	case MX_P4:
		snprintf(out, len, "%s: %s; with %s it runs clean (twin)", cfg,
			 why,
			 s2mt_design_slot_flag_name(columns[c->col].design));
		break;
	case MX_P5:
		snprintf(out, len,
			 "%s: memslot 1 accepted, then %s; with the VMA first "
			 "(twin): %s",
			 cfg, why, tf ? twhy : "?");
		break;
	case MX_P5B:
		snprintf(out, len,
			 "%s: memslot 1 accepted and access %s mapped %s, no "
			 "hazard Z1/Z2; with the VMA first (twin): %s",
			 cfg, f->mapped ? f->mapped_access : "-",
			 f->mapped ? f->mapped_s2 : "nothing", tf ? twhy : "?");
		break;
	case MX_P6:
		snprintf(out, len,
			 "%s: access %s mapped %s; capability 243 = %ld; no "
			 "query, flag or capability tells the VMM",
			 cfg, f->mapped_access, f->mapped_s2, f->cap243);
		break;
	case MX_P7:
		snprintf(out, len,
			 "%s: %s; without the flag (twin) KVM x86 maps this "
			 "host-cacheable memory %s, which a guest PAT type "
			 "makes other than Write-Back",
			 cfg, why, tf ? tf->x86_entry : "?");
		break;
	case MX_P8:
		snprintf(out, len,
			 "%s: migrate step Z8, yet capability 243 = 0 on the "
			 "source as on the destination",
			 cfg);
		break;
	default:
		snprintf(out, len, "%s: %s", cfg, why);
		break;
	}
}

bool matrix_example(const struct matrix *m, unsigned col, unsigned prop,
		    struct mx_example *ex)
{
	const struct mx_config *c;
	struct mx_config t;

	if (col >= MX_NR_COLUMNS || prop >= MX_NR_PROPS ||
	    !m->has_example[col][prop])
		return false;
	c = &m->example[col][prop];
	example_names(col, prop, ex, twin_of(prop, c, &t));
	example_line(m, prop, c, ex->line, sizeof(ex->line));
	return true;
}

static int write_file(const char *dir, const char *name, const char *text,
		      size_t len)
{
	char path[4096];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	ok = fwrite(text, 1, len, f) == len;
	if (fclose(f) || !ok)
		return -1;
	return 0;
}

static int write_one(const struct mx_config *c, const char *header,
		     const char *dir, const char *name)
{
	static char text[8192 + 1024];
	struct buf b = { text, 0, sizeof(text), false };

	gen_yaml(c, header, &b);
	if (b.overflow) {
		errno = ENOSPC;
		return -1;
	}
	return write_file(dir, name, text, b.len);
}

int matrix_write(const struct matrix *m, const char *dir)
{
	if (mkdir(dir, 0777) && errno != EEXIST)
		return -1;
	for (unsigned k = 0; k < MX_NR_COLUMNS; k++)
		for (unsigned p = 0; p < MX_NR_PROPS; p++) {
			struct mx_example ex;
			struct mx_config t;
			char head[1024];
			const struct mx_config *c = &m->example[k][p];

			if (!matrix_example(m, k, p, &ex))
				continue;
			snprintf(head, sizeof(head),
				 "# s2mt designs --matrix: counterexample of "
				 "%s (%s) under design column %s.\n"
				 "# %s\n%s%s%s",
				 matrix_prop_id(p), prop_titles[p],
				 columns[k].name, ex.line,
				 ex.twin[0] ? "# The configuration it is "
					      "compared with: "
					    : "",
				 ex.twin, ex.twin[0] ? "\n" : "");
			if (write_one(c, head, dir, ex.file))
				return -1;
			if (!ex.twin[0])
				continue;
			twin_of(p, c, &t);
			snprintf(head, sizeof(head),
				 "# s2mt designs --matrix: the twin of %s "
				 "(%s %s).\n",
				 ex.file, columns[k].name, matrix_prop_id(p));
			if (write_one(&t, head, dir, ex.twin))
				return -1;
		}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The command                                                        */
/* ------------------------------------------------------------------ */

static void matrix_text(FILE *out, const struct matrix *m, const char *dir)
{
	unsigned total = 0;

	for (unsigned k = 0; k < MX_NR_COLUMNS; k++)
		total += m->ran[k];
	fprintf(out,
		"Design matrix: %u configurations run in %.2f s (docs/"
		"matrix.md)\n"
		"hosts grace-hopper, fwb-no-dic, no-fwb, x86-intel, x86-amd\n"
		"x memory: anonymous RAM, hugetlb-2m RAM, vfio BAR, vfio BAR "
		"with read side effects,\n"
		"  nvgrace usemem, nvgrace resmem, /dev/mem over a BAR, hidden "
		"RAM (cacheable-pfnmap)\n"
		"x prot r, rw, rwx x bit 3 or not (D1-D3) x VMA before or "
		"after the memslot\n"
		"x no migration, to the same host, to a weaker one\n\n",
		total, m->seconds);
	fprintf(out, "%-10s %7s %4s", "design", "configs", "n/a");
	for (unsigned i = 0; i < MX_NR_PROPS; i++)
		fprintf(out, " %5s", matrix_prop_id(shown[i]));
	fprintf(out, "\n");
	for (unsigned k = 0; k < MX_NR_COLUMNS; k++) {
		fprintf(out, "%-10s %7u %4u", columns[k].name, m->ran[k],
			m->na[k]);
		for (unsigned i = 0; i < MX_NR_PROPS; i++)
			if (m->count[k][shown[i]] < 0)
				fprintf(out, " %5s", "-");
			else
				fprintf(out, " %5d", m->count[k][shown[i]]);
		if (m->pending[k])
			fprintf(out,
				"   (%u x86 configurations pending: "
				"x86 host model)",
				m->pending[k]);
		fprintf(out, "\n");
	}
	fprintf(out, "\n");
	for (unsigned i = 0; i < MX_NR_PROPS; i++)
		fprintf(out, "%-3s %s\n", matrix_prop_id(shown[i]),
			prop_titles[shown[i]]);
	fprintf(out,
		"n/a: nvgrace-gpu configurations on an x86 host (no such "
		"device)\n");
	fprintf(out,
		"P7 counts x86 configurations that declare bit 3 (x86 "
		"refuses it) where KVM x86's leaf for the same memory is "
		"not Write-Back for every guest PAT type; of");
	for (unsigned k = 0; k < MX_NR_COLUMNS; k++)
		if (column_has_flag(k))
			fprintf(out, " %s %u", columns[k].name,
				m->p7_candidates[k]);
	fprintf(out,
		"\n\nCounterexamples (the first configuration in "
		"generation order)%s\n",
		dir ? "" : "; --out DIR writes each as DIR/FILE");
	for (unsigned k = 0; k < MX_NR_COLUMNS; k++)
		for (unsigned i = 0; i < MX_NR_PROPS; i++) {
			unsigned p = shown[i];
			struct mx_example ex;

			if (!matrix_example(m, k, p, &ex))
				continue;
			fprintf(out, "%s %s  %s\n  %s\n", columns[k].name,
				matrix_prop_id(p), ex.file, ex.line);
			fprintf(out, "  s2mt run %s/%s", dir ? dir : "DIR",
				ex.file);
			if (ex.twin[0])
				fprintf(out, "   (twin: s2mt run %s/%s)",
					dir ? dir : "DIR", ex.twin);
			fprintf(out, "\n");
		}
}

static int matrix_json(const struct matrix *m, const char *dir)
{
	json_t *root = json_object(), *props = json_array();
	json_t *designs = json_array();
	unsigned total = 0;

	for (unsigned k = 0; k < MX_NR_COLUMNS; k++)
		total += m->ran[k];
	json_object_set_new(root, "configurations", json_integer(total));
	json_object_set_new(root, "runs", json_integer(m->runs));
	json_object_set_new(root, "seconds", json_real(m->seconds));
	for (unsigned i = 0; i < MX_NR_PROPS; i++) {
		unsigned p = shown[i];
		json_t *o = json_pack("{s:s, s:s}", "id", matrix_prop_id(p),
				      "title", prop_titles[p]);

		if (matrix_pending_reason(m, p))
			json_object_set_new(
				o, "pending",
				json_string(matrix_pending_reason(m, p)));
		json_array_append_new(props, o);
	}
	json_object_set_new(root, "properties", props);
	for (unsigned k = 0; k < MX_NR_COLUMNS; k++) {
		json_t *d = json_object(), *counts = json_object();
		json_t *ces = json_object();

		json_object_set_new(d, "design", json_string(columns[k].name));
		json_object_set_new(
			d, "uapi",
			json_string(s2mt_design_name(columns[k].design)));
		json_object_set_new(d, "kernel",
				    json_string(columns[k].kernel));
		json_object_set_new(d, "configurations",
				    json_integer(m->ran[k]));
		json_object_set_new(d, "not_applicable",
				    json_integer(m->na[k]));
		json_object_set_new(d, "pending", json_integer(m->pending[k]));
		if (column_has_flag(k))
			json_object_set_new(d, "x86_flag_configurations",
					    json_integer(m->p7_candidates[k]));
		for (unsigned i = 0; i < MX_NR_PROPS; i++) {
			unsigned p = shown[i];
			struct mx_example ex;
			char cmd[4200];
			json_t *o;

			json_object_set_new(
				counts, matrix_prop_id(p),
				m->count[k][p] < 0
					? json_null()
					: json_integer(m->count[k][p]));
			if (!matrix_example(m, k, p, &ex))
				continue;
			snprintf(cmd, sizeof(cmd), "s2mt run %s/%s",
				 dir ? dir : "DIR", ex.file);
			o = json_pack("{s:s, s:s, s:s}", "file", ex.file,
				      "description", ex.line, "command", cmd);
			if (ex.twin[0])
				json_object_set_new(o, "twin",
						    json_string(ex.twin));
			json_object_set_new(ces, matrix_prop_id(p), o);
		}
		json_object_set_new(d, "counts", counts);
		json_object_set_new(d, "counterexamples", ces);
		json_array_append_new(designs, d);
	}
	json_object_set_new(root, "designs", designs);
	return dump_json(root);
}

int cmd_designs_matrix(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "matrix", no_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL;
	struct matrix *m;
	bool json = false;
	int c, status = S2MT_EXIT_OK;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'j')
			json = true;
		else if (c == 'o')
			dir = optarg;
		else if (c != 'm')
			return cli_usage_error("designs",
					       "unknown option '%s' (--matrix "
					       "takes --json and --out DIR)",
					       argv[optind - 1]);
	}
	if (optind != argc)
		return cli_usage_error("designs",
				       "--matrix generates its scenarios: no "
				       "FILE");
	m = matrix_run();
	if (!m) {
		fprintf(stderr, "s2mt designs: out of memory\n");
		return S2MT_EXIT_OOM;
	}
	if (m->error[0]) {
		fprintf(stderr, "s2mt designs: %s\n", m->error);
		matrix_free(m);
		return S2MT_EXIT_USAGE;
	}
	if (dir && matrix_write(m, dir)) {
		fprintf(stderr, "s2mt designs: cannot write into %s: %s\n", dir,
			strerror(errno));
		matrix_free(m);
		return S2MT_EXIT_USAGE;
	}
	if (json)
		status = matrix_json(m, dir);
	else
		matrix_text(stdout, m, dir);
	matrix_free(m);
	return status;
}
