// SPDX-License-Identifier: MIT
/* s2mt table / s2mt combine: the attribute model on the command line. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include <s2mt/core.h>

#include "cli.h"

/* The stage-1 classes of SPEC A5, plus MTE-tagged WB. */
static const struct {
	const char *label;
	const char *s1; /* parsed by s2mt_s1attr_parse */
} columns[] = {
	{ "nGnRnE", "device-ngnrne" },
	{ "nGnRE", "device-ngnre" },
	{ "nGRE", "device-ngre" },
	{ "GRE", "device-gre" },
	{ "NC", "normal-nc" },
	{ "WT", "normal-wt" },
	{ "WB", "normal-wb" },
	{ "tagged", "tagged" },
	{ "off", "off" },
};
#define NR_COLUMNS (sizeof(columns) / sizeof(columns[0]))

/* "Device-nGnRE" -> "nGnRE", "Normal-WB" -> "WB". */
static const char *short_name(const char *name)
{
	if (!strncmp(name, "Device-", 7))
		return name + 7;
	if (!strncmp(name, "Normal-", 7))
		return name + 7;
	return name;
}

static int parse_sh(const char *text, uint8_t *out)
{
	static const char *const names[] = { "nsh", NULL, "osh", "ish" };

	for (unsigned i = 0; i < 4; i++)
		if (names[i] && !strcasecmp(text, names[i])) {
			*out = (uint8_t)i;
			return 0;
		}
	return -1;
}

static json_t *effective_json(const struct s2mt_effective *e)
{
	char name[64], why[256];
	json_t *o;

	s2mt_explain(e, why, sizeof(why));
	if (e->status)
		return json_pack("{s:s, s:s}", "status", "reserved",
				 "explanation", why);
	s2mt_memtype_name(&e->mt, name, sizeof(name));
	o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "status", "ok", "type",
		      name, "mair", "", "shareability", s2mt_sh_name(e->sh),
		      "cacheable", s2mt_memtype_cacheable(&e->mt),
		      "explanation", why);
	if (o) {
		char mair[8];

		snprintf(mair, sizeof(mair), "0x%02x",
			 s2mt_mair_encode(&e->mt));
		json_object_set_new(o, "mair", json_string(mair));
	}
	return o;
}

static int print_json(json_t *root)
{
	int err;

	if (!root) {
		fprintf(stderr, "s2mt: out of memory building JSON\n");
		return S2MT_EXIT_USAGE;
	}
	err = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	fputc('\n', stdout);
	return err ? S2MT_EXIT_USAGE : S2MT_EXIT_OK;
}

static void combine_cell(unsigned col, uint8_t memattr, bool fwb,
			 struct s2mt_effective *e)
{
	struct s2mt_s1attr s1;
	struct s2mt_s2attr s2 = { .memattr = memattr, .sh = S2MT_SH_ISH };

	s2mt_s1attr_parse(columns[col].s1, &s1);
	s2mt_combine(s1, s2, fwb, e);
}

/*
 * s2mt table --arch x86-intel|x86-amd: KVM x86 for contrast (docs/x86.md).
 * Rows are the leaves KVM writes for its inputs, columns the guest's PAT
 * type; every cell comes from s2mt_x86_kvm_leaf() and s2mt_x86_effective().
 */
static const struct {
	const char *label;
	bool mmio, quirk, noncoherent_dma;
} x86_rows[] = {
	{ "MMIO (PFN not host RAM)", true, true, false },
	{ "RAM, quirk on (default)", false, true, false },
	{ "RAM, quirk off", false, false, false },
	{ "RAM, non-coherent DMA", false, true, true },
};
#define NR_X86_ROWS (sizeof(x86_rows) / sizeof(x86_rows[0]))

static void x86_row_leaf(unsigned vendor, unsigned row,
			 struct s2mt_x86_leaf *leaf)
{
	struct s2mt_x86_leaf_in in = {
		.vendor = (uint8_t)vendor,
		.mmio = x86_rows[row].mmio,
		.noncoherent_dma = x86_rows[row].noncoherent_dma,
		.ignore_guest_pat = x86_rows[row].quirk,
	};

	s2mt_x86_kvm_leaf(&in, leaf);
}

/* "UC, IPAT=0" or "hPAT WB, MTRR UC". */
static void x86_leaf_label(const struct s2mt_x86_leaf *leaf, char *buf,
			   size_t len)
{
	if (leaf->vendor == S2MT_X86_INTEL)
		snprintf(buf, len, "%s, IPAT=%d",
			 s2mt_x86_mt_name(leaf->ept_mt), leaf->ipat ? 1 : 0);
	else
		snprintf(buf, len, "hPAT %s, MTRR %s",
			 s2mt_x86_mt_name(leaf->host_pat),
			 s2mt_x86_mt_name(leaf->host_mtrr));
}

static json_t *x86_table_json(unsigned vendor)
{
	json_t *root = json_object(), *cols = json_array(),
	       *jrows = json_array();

	for (unsigned col = 0; col < S2MT_X86_NR_PAT; col++)
		json_array_append_new(
			cols,
			json_pack("{s:s}", "guest_pat",
				  s2mt_x86_mt_name(s2mt_x86_pat_types[col])));
	for (unsigned r = 0; r < NR_X86_ROWS; r++) {
		struct s2mt_x86_leaf leaf;
		json_t *cells = json_array(), *jleaf;

		x86_row_leaf(vendor, r, &leaf);
		for (unsigned col = 0; col < S2MT_X86_NR_PAT; col++) {
			unsigned pat = s2mt_x86_pat_types[col];
			unsigned mt = s2mt_x86_effective(&leaf, pat);

			json_array_append_new(
				cells,
				json_pack("{s:s, s:s, s:b}", "guest_pat",
					  s2mt_x86_mt_name(pat), "type",
					  s2mt_x86_mt_name(mt), "cacheable",
					  s2mt_x86_mt_cacheable(mt)));
		}
		if (vendor == S2MT_X86_INTEL)
			jleaf = json_pack("{s:s, s:b}", "ept_memtype",
					  s2mt_x86_mt_name(leaf.ept_mt), "ipat",
					  leaf.ipat);
		else
			jleaf = json_pack("{s:s, s:s}", "host_pat",
					  s2mt_x86_mt_name(leaf.host_pat),
					  "host_mtrr",
					  s2mt_x86_mt_name(leaf.host_mtrr));
		json_array_append_new(
			jrows,
			json_pack("{s:s, s:b, s:b, s:b, s:o, s:s, s:o, s:b}",
				  "label", x86_rows[r].label, "mmio",
				  x86_rows[r].mmio, "ignore_guest_pat_quirk",
				  x86_rows[r].quirk, "noncoherent_dma",
				  x86_rows[r].noncoherent_dma, "leaf", jleaf,
				  "why", leaf.why, "cells", cells,
				  "guaranteed_wb",
				  s2mt_x86_leaf_guarantees_wb(&leaf)));
	}
	json_object_set_new(root, "arch",
			    json_string(vendor == S2MT_X86_INTEL ? "x86-intel"
								 : "x86-amd"));
	json_object_set_new(
		root, "rule",
		json_string(vendor == S2MT_X86_INTEL ? "X1" : "X2"));
	json_object_set_new(root, "columns", cols);
	json_object_set_new(root, "rows", jrows);
	return root;
}

static int x86_table(unsigned vendor, bool json)
{
	bool intel = vendor == S2MT_X86_INTEL;
	/* Column widths: label, leaf, the six cells, the verdict. */
	enum { W_LABEL = 25, W_LEAF = 17, W_CELL = 5 };

	if (json)
		return print_json(x86_table_json(vendor));

	if (intel)
		printf("Guest-visible memory type on an Intel host (EPT, X1), "
		       "computed by s2mt_x86_effective().\n"
		       "Rows: the EPT leaf KVM writes (vmx_get_mt_mask(), "
		       "Linux 6.15+); columns: the guest's\n"
		       "PAT type. IPAT=1 ignores the guest PAT; IPAT=0 "
		       "combines it with the EPT type as\n"
		       "with an MTRR type (Intel SDM, PAT x MTRR table).\n\n");
	else
		printf("Guest-visible memory type on an AMD host (NPT, X2), "
		       "computed by s2mt_x86_effective().\n"
		       "Rows: the NPT leaf KVM writes (no memory type of its "
		       "own: host PAT entry 0, WB,\n"
		       "then the host MTRR of the address); columns: the "
		       "guest's PAT type. Guest and\n"
		       "host PAT combine (AMD APM Table 15-19), then with the "
		       "MTRR (Table 15-20).\n\n");
	printf("%-*s| %-*s|", W_LABEL, "KVM's choice", W_LEAF,
	       intel ? "EPT leaf" : "NPT leaf");
	for (unsigned col = 0; col < S2MT_X86_NR_PAT; col++)
		printf(" %-*s", W_CELL - 1,
		       s2mt_x86_mt_name(s2mt_x86_pat_types[col]));
	printf(" | WB always\n");
	for (int i = 0; i < W_LABEL; i++)
		putchar('-');
	putchar('+');
	for (int i = 0; i < W_LEAF + 1; i++)
		putchar('-');
	putchar('+');
	for (int i = 0; i < W_CELL * S2MT_X86_NR_PAT + 1; i++)
		putchar('-');
	printf("+----------\n");
	for (unsigned r = 0; r < NR_X86_ROWS; r++) {
		struct s2mt_x86_leaf leaf;
		char label[48];

		x86_row_leaf(vendor, r, &leaf);
		x86_leaf_label(&leaf, label, sizeof(label));
		printf("%-*s| %-*s|", W_LABEL, x86_rows[r].label, W_LEAF,
		       label);
		for (unsigned col = 0; col < S2MT_X86_NR_PAT; col++)
			printf(" %-*s", W_CELL - 1,
			       s2mt_x86_mt_name(s2mt_x86_effective(
				       &leaf, s2mt_x86_pat_types[col])));
		printf(" | %s\n",
		       s2mt_x86_leaf_guarantees_wb(&leaf) ? "yes" : "no");
	}
	if (intel)
		printf("\nThe quirk is KVM_X86_QUIRK_IGNORE_GUEST_PAT (on by "
		       "default; it cannot be turned\n"
		       "off on a CPU without self-snoop); non-coherent DMA "
		       "overrides it. For MMIO\n"
		       "neither matters. Write-Back is guaranteed only with "
		       "IPAT=1. Cacheable: WT, WP, WB.\n");
	else
		printf("\nCD and WC+ are AMD's uncacheable types that also "
		       "probe the caches. The quirk\n"
		       "and non-coherent DMA change nothing on AMD: KVM cannot "
		       "override the guest PAT,\n"
		       "so Write-Back is never guaranteed. Cacheable: WT, WP, "
		       "WB.\n");
	return S2MT_EXIT_OK;
}

int cmd_table(int argc, char **argv)
{
	static const struct option opts[] = { { "fwb", no_argument, 0, 'f' },
					      { "json", no_argument, 0, 'j' },
					      { "arch", required_argument, 0,
						'a' },
					      { 0, 0, 0, 0 } };
	const char *arch = "arm64";
	bool fwb = false, json = false;
	unsigned rows;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'f')
			fwb = true;
		else if (c == 'j')
			json = true;
		else if (c == 'a')
			arch = optarg;
		else if (optopt == 'a' &&
			 !strncmp(argv[optind - 1], "--arch", 6))
			return cli_usage_error("table",
					       "--arch needs a value: arm64, "
					       "x86-intel or x86-amd");
		else
			return cli_usage_error("table", "unknown option '%s'",
					       argv[optind - 1]);
	}
	if (optind != argc)
		return cli_usage_error("table", "unexpected argument '%s'",
				       argv[optind]);
	if (strcmp(arch, "arm64")) {
		unsigned vendor;

		if (!strcmp(arch, "x86-intel"))
			vendor = S2MT_X86_INTEL;
		else if (!strcmp(arch, "x86-amd"))
			vendor = S2MT_X86_AMD;
		else
			return cli_usage_error("table",
					       "--arch '%s': not one of arm64, "
					       "x86-intel, x86-amd",
					       arch);
		if (fwb)
			return cli_usage_error("table",
					       "--fwb is arm64's (FEAT_S2FWB); "
					       "x86 has no such mode");
		return x86_table(vendor, json);
	}
	/* With FWB, MemAttr[3] is RES0: rows 8..15 are all reserved. */
	rows = fwb ? 8 : 16;

	if (json) {
		json_t *root = json_object(), *cols = json_array(),
		       *jrows = json_array();

		for (unsigned col = 0; col < NR_COLUMNS; col++)
			json_array_append_new(cols,
					      json_pack("{s:s, s:s}", "label",
							columns[col].label,
							"stage1",
							columns[col].s1));
		for (unsigned m = 0; m < rows; m++) {
			char name[64];
			json_t *cells = json_array();

			s2mt_s2_name((uint8_t)m, fwb, name, sizeof(name));
			for (unsigned col = 0; col < NR_COLUMNS; col++) {
				struct s2mt_effective e;

				combine_cell(col, (uint8_t)m, fwb, &e);
				json_array_append_new(cells,
						      effective_json(&e));
			}
			json_array_append_new(
				jrows,
				json_pack("{s:i, s:s, s:o}", "memattr", (int)m,
					  "stage2", name, "cells", cells));
		}
		json_object_set_new(root, "fwb", json_boolean(fwb));
		json_object_set_new(root, "rule",
				    json_string(fwb ? "A4" : "A3"));
		json_object_set_new(root, "columns", cols);
		json_object_set_new(root, "rows", jrows);
		return print_json(root);
	}

	printf("Effective memory type with FWB %s (rules %s and A5: s2mt "
	       "explain %s), computed by s2mt_combine().\nRows: stage-2 "
	       "MemAttr; columns: the guest's stage-1 type (off = stage 1 "
	       "disabled).\n\n",
	       fwb ? "on" : "off", fwb ? "A4" : "A3", fwb ? "A4" : "A3");
	printf("%-22s|", "stage-2 MemAttr");
	for (unsigned col = 0; col < NR_COLUMNS; col++)
		printf(" %-9s", columns[col].label);
	printf("\n");
	for (unsigned i = 0; i < 22 + 1 + NR_COLUMNS * 10; i++)
		putchar(i == 22 ? '+' : '-');
	printf("\n");
	for (unsigned m = 0; m < rows; m++) {
		char name[64], label[96];

		/* Reserved rows stay: they show what not to write. */
		s2mt_s2_name((uint8_t)m, fwb, name, sizeof(name));
		if (fwb)
			snprintf(label, sizeof(label), "0b%u%u%u %s",
				 (m >> 2) & 1, (m >> 1) & 1, m & 1, name);
		else
			snprintf(label, sizeof(label), "0x%X %s", m, name);
		printf("%-22s|", label);
		for (unsigned col = 0; col < NR_COLUMNS; col++) {
			struct s2mt_effective e;
			char mt[64];

			combine_cell(col, (uint8_t)m, fwb, &e);
			if (e.status)
				snprintf(mt, sizeof(mt), "reserved");
			else
				s2mt_memtype_name(&e.mt, mt, sizeof(mt));
			printf(" %-9s", short_name(mt));
		}
		printf("\n");
	}
	if (fwb)
		printf("\nMemAttr[3] is RES0 with FWB: 0b1xxx values are "
		       "reserved (A4).\n");
	printf("\nCells name the effective type: nGnRnE..GRE are Device "
	       "kinds; NC/WT/WB are Normal\ncacheability (oX-iY when outer "
	       "and inner differ); -tagged keeps MTE tags.\n");
	return S2MT_EXIT_OK;
}

int cmd_combine(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "s1", required_argument, 0, '1' },
		{ "s2", required_argument, 0, '2' },
		{ "s1-sh", required_argument, 0, 'a' },
		{ "s2-sh", required_argument, 0, 'b' },
		{ "fwb", no_argument, 0, 'f' },
		{ "json", no_argument, 0, 'j' },
		{ 0, 0, 0, 0 }
	};
	const char *s1_text = NULL, *s2_text = NULL;
	const char *s1_sh_text = "ish", *s2_sh_text = "ish";
	struct s2mt_s1attr s1;
	struct s2mt_s2attr s2;
	struct s2mt_effective e;
	bool fwb = false, json = false;
	char s1name[64], s2name[64], mt[64], why[256];
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case '1':
			s1_text = optarg;
			break;
		case '2':
			s2_text = optarg;
			break;
		case 'a':
			s1_sh_text = optarg;
			break;
		case 'b':
			s2_sh_text = optarg;
			break;
		case 'f':
			fwb = true;
			break;
		case 'j':
			json = true;
			break;
		default:
			return cli_usage_error("combine",
					       "unknown or incomplete option "
					       "'%s'",
					       argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cli_usage_error("combine", "unexpected argument '%s'",
				       argv[optind]);
	if (!s1_text || !s2_text)
		return cli_usage_error("combine",
				       "both --s1 and --s2 are "
				       "required");
	if (s2mt_s1attr_parse(s1_text, &s1))
		return cli_usage_error("combine",
				       "--s1 '%s': not a stage-1 name or a "
				       "MAIR byte 0x00..0xff",
				       s1_text);
	if (s2mt_s2_memattr_parse(s2_text, fwb, &s2.memattr))
		return cli_usage_error("combine",
				       "--s2 '%s': not a stage-2 name %s or a "
				       "MemAttr 0..15",
				       s2_text,
				       fwb ? "(with FWB)" : "(without FWB)");
	if (parse_sh(s1_sh_text, &s1.sh) || parse_sh(s2_sh_text, &s2.sh))
		return cli_usage_error("combine",
				       "shareability must be nsh, osh or ish");

	s2mt_combine(s1, s2, fwb, &e);
	s2mt_explain(&e, why, sizeof(why));
	s2mt_s2_name(s2.memattr, fwb, s2name, sizeof(s2name));
	if (!s1.enabled)
		snprintf(s1name, sizeof(s1name), "off");
	else if (e.status == S2MT_ATTR_RESERVED_S1)
		snprintf(s1name, sizeof(s1name), "reserved");
	else
		s2mt_memtype_name(&e.s1, s1name, sizeof(s1name));

	if (json) {
		char mair[8];
		json_t *root = json_object();

		snprintf(mair, sizeof(mair), "0x%02x", s1.mair);
		json_object_set_new(root, "fwb", json_boolean(fwb));
		json_object_set_new(
			root, "stage1",
			s1.enabled
				? json_pack("{s:b, s:s, s:s, s:s}", "enabled",
					    1, "mair", mair, "type", s1name,
					    "shareability", s2mt_sh_name(s1.sh))
				: json_pack("{s:b, s:s}", "enabled", 0, "type",
					    "Device-nGnRnE"));
		json_object_set_new(root, "stage2",
				    json_pack("{s:i, s:s, s:s}", "memattr",
					      (int)s2.memattr, "type", s2name,
					      "shareability",
					      s2mt_sh_name(s2.sh)));
		json_object_set_new(root, "effective", effective_json(&e));
		return print_json(root);
	}

	if (s1.enabled)
		printf("stage 1:   %s (MAIR 0x%02x, %s)\n", s1name, s1.mair,
		       s2mt_sh_name(s1.sh));
	else
		printf("stage 1:   off (data accesses are Device-nGnRnE)\n");
	printf("stage 2:   MemAttr 0x%x = %s, FWB %s\n", s2.memattr, s2name,
	       fwb ? "on" : "off");
	if (e.status) {
		printf("effective: reserved encoding\n");
	} else {
		s2mt_memtype_name(&e.mt, mt, sizeof(mt));
		printf("effective: %s, %s (PAR_EL1.ATTR 0x%02x)\n", mt,
		       s2mt_sh_name(e.sh), s2mt_mair_encode(&e.mt));
	}
	printf("why:       %s\n", why);
	return S2MT_EXIT_OK;
}
