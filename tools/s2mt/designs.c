// SPDX-License-Identifier: MIT
/*
 * s2mt designs FILE: one scenario under every uAPI design the threads
 * argued over (docs/designs.md), side by side, as compare does for
 * kernels. Each design is told twice: by an unmodified VMM, which never
 * sets a new flag, and by a VMM that knows its devices, which sets
 * memslot bit 3 on every slot over cacheable VM_PFNMAP memory where the
 * design defines the bit. What differs between the two is what the design
 * asks the VMM to know.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"
#include "runner.h"

/* The columns: merged 6.9 and the blanket Normal-NC it replaced, then
 * merged 6.17 and the designs proposed against it. */
static const struct {
	const char *name;
	unsigned design;
	unsigned era;
} column_defs[] = {
	{ "6.9", S2MT_DESIGN_MERGED, S2MT_ERA_6_9 },
	{ "nc-blanket", S2MT_DESIGN_NC_BLANKET, S2MT_ERA_6_9 },
	{ "merged", S2MT_DESIGN_MERGED, S2MT_ERA_6_17 },
	{ "D1", S2MT_DESIGN_D1, S2MT_ERA_6_17 },
	{ "D2", S2MT_DESIGN_D2, S2MT_ERA_6_17 },
	{ "D3", S2MT_DESIGN_D3, S2MT_ERA_6_17 },
	{ "D4", S2MT_DESIGN_D4, S2MT_ERA_6_17 },
	{ "D5", S2MT_DESIGN_D5, S2MT_ERA_6_17 },
};
#define NR_COLUMNS (sizeof(column_defs) / sizeof(column_defs[0]))

struct design_column {
	const char *name;
	unsigned design;
	struct s2mt_kernel kernel;
	bool present; /* false: the host could not be built */
	char left_out[600];
	struct run plain; /* the unmodified VMM */
	struct run knowing; /* bit 3 where the slot is cacheable PFNMAP */
	bool has_knowing; /* else knowing is plain */
	bool needs[SC_MAX_SLOTS]; /* slot definitions that got bit 3 */
	bool pfnmap[SC_MAX_SLOTS]; /* ... over cacheable VM_PFNMAP */
	struct scenario *knowing_sc;
};

static const struct run *shown(const struct design_column *c)
{
	return c->has_knowing ? &c->knowing : &c->plain;
}

/* The scenario as a VMM that never sets bit 3 tells it. */
static void strip_flag(struct scenario *sc, bool *had)
{
	*had = false;
	for (size_t i = 0; i < sc->nr_slots; i++) {
		*had |= sc->slots[i].flags & S2MT_MEM_CACHEABLE_PFNMAP;
		sc->slots[i].flags &= ~S2MT_MEM_CACHEABLE_PFNMAP;
	}
	for (size_t i = 0; i < sc->nr_steps; i++)
		if (sc->steps[i].kind == SC_STEP_SLOT_FLAGS) {
			*had |= sc->steps[i].flags & S2MT_MEM_CACHEABLE_PFNMAP;
			sc->steps[i].flags &= ~S2MT_MEM_CACHEABLE_PFNMAP;
		}
}

static int slot_def_index(const struct scenario *sc, uint32_t slot)
{
	for (size_t i = 0; i < sc->nr_slots; i++)
		if (sc->slots[i].slot == slot)
			return (int)i;
	return -1;
}

static int run_one(const struct scenario *sc, struct design_column *c,
		   struct run *r)
{
	int status;

	r->kernel = c->kernel;
	r->use_kernel = true;
	r->design = c->design;
	r->use_design = true;
	status = cli_run_era(sc, s2mt_kernel_era(&c->kernel), r);
	if (!status)
		run_free(r);
	return status;
}

/* The column's kernel: the scenario's own where it has the column's
 * rules, else that era's representative (with the nvgrace-gpu driver,
 * which every 6.9+ representative has). */
static void column_kernel(const struct scenario *sc, unsigned era,
			  struct s2mt_kernel *k)
{
	if (sc->era == era && sc->kernel.major)
		*k = sc->kernel;
	else
		s2mt_kernel_of_era(era, k);
}

static int run_column(const struct scenario *plain_sc, size_t idx,
		      struct design_column *c)
{
	int status;

	c->name = column_defs[idx].name;
	c->design = column_defs[idx].design;
	column_kernel(plain_sc, column_defs[idx].era, &c->kernel);
	status = run_one(plain_sc, c, &c->plain);
	if (status == S2MT_EXIT_USAGE && c->plain.setup_error[0]) {
		snprintf(c->left_out, sizeof(c->left_out), "%s",
			 c->plain.setup_error);
		return 0;
	}
	if (status)
		return status;
	c->present = true;
	if (!s2mt_design_has_slot_flag(c->design))
		return 0;

	/*
	 * The VMM that knows its devices: bit 3 on every slot whose VMA the
	 * host maps cacheable VM_PFNMAP (what D1 enables and D3 demands);
	 * under D2 and D3 also on every other cacheable slot, kernel-managed
	 * RAM included, when capability 243 says KVM can keep the promise
	 * (Oliver Upton: the flag says userspace expects Write-Back).
	 */
	bool any = false,
	     cap = s2mt_host_cacheable_pfnmap(&c->plain.host.caps) &&
		c->plain.host.arch == S2MT_ARCH_ARM64;

	for (size_t i = 0; i < plain_sc->nr_steps; i++) {
		const struct sc_step *st = &plain_sc->steps[i];
		const struct step_result *s = &c->plain.steps[i];
		int d;

		if (st->kind != SC_STEP_MEMSLOT)
			continue;
		if (!s->slot_cacheable_pfnmap &&
		    !(s->slot_cacheable && cap && c->design != S2MT_DESIGN_D1))
			continue;
		d = slot_def_index(plain_sc, st->slot);
		if (d >= 0)
			c->pfnmap[d] |= s->slot_cacheable_pfnmap;
		if (d >= 0 && !c->needs[d]) {
			c->needs[d] = true;
			any = true;
		}
	}
	if (!any)
		return 0;
	c->knowing_sc = malloc(sizeof(*c->knowing_sc));
	if (!c->knowing_sc)
		s2mt_oom("a copy of the scenario", sizeof(*c->knowing_sc));
	*c->knowing_sc = *plain_sc;
	for (size_t d = 0; d < plain_sc->nr_slots; d++)
		if (c->needs[d])
			c->knowing_sc->slots[d].flags |=
				S2MT_MEM_CACHEABLE_PFNMAP;
	c->has_knowing = true;
	return run_one(c->knowing_sc, c, &c->knowing);
}

/* A short cell: "0", "EINVAL", "Force-WB 1G", "EFAULT". */
static void cell(const struct run *r, size_t i, char *buf, size_t len)
{
	const struct sc_step *st = &r->sc->steps[i];
	const struct step_result *s = &r->steps[i];
	char leaf[24], s2[40];

	if (st->kind != SC_STEP_ACCESS || !s->ran_fault || !s->first.has_leaf ||
	    (s->first.outcome != S2MT_FAULT_MAPPED &&
	     s->first.outcome != S2MT_FAULT_PERM_RELAXED &&
	     s->first.outcome != S2MT_FAULT_SPURIOUS)) {
		step_outcome(r, st, s, buf, len);
		return;
	}
	sc_format_size(s->first.leaf.size, leaf, sizeof(leaf));
	run_leaf_name(r, &s->first.leaf, s2, sizeof(s2));
	snprintf(buf, len, "%s %s", s2, leaf);
}

/* A memslot ioctl that returned an errno, or a guest access that ended
 * in -EFAULT from KVM_RUN: what stops a VMM, whatever the scenario
 * expected. */
static bool refused(const struct run *r, size_t i)
{
	const struct sc_step *st = &r->sc->steps[i];
	const struct step_result *s = &r->steps[i];

	switch (st->kind) {
	case SC_STEP_MEMSLOT:
	case SC_STEP_SLOT_MOVE:
	case SC_STEP_SLOT_FLAGS:
	case SC_STEP_DIRTY_LOG:
		return s->err != 0;
	case SC_STEP_ACCESS:
		return s->ran_fault && s->first.outcome == S2MT_FAULT_EFAULT;
	default:
		return false;
	}
}

/* Whether run r was refused at a step about the slot. */
static bool refused_at_slot(const struct run *r, uint32_t slot)
{
	const struct scenario *sc = r->sc;

	for (size_t i = 0; i < sc->nr_steps; i++) {
		const struct sc_step *st = &sc->steps[i];

		if (!refused(r, i))
			continue;
		if (st->kind == SC_STEP_ACCESS) {
			const struct sc_access *a = &sc->accesses[st->ref];

			for (size_t d = 0; d < sc->nr_slots; d++)
				if (sc->slots[d].slot == slot &&
				    a->ipa >= sc->slots[d].gpa &&
				    a->ipa < sc->slots[d].gpa +
						    sc->slots[d].size)
					return true;
		} else if (st->slot == slot) {
			return true;
		}
	}
	return false;
}

/* Bit 3 is a must on a slot where the unmodified VMM was refused and the
 * knowing one was not; elsewhere it is the knowing VMM's choice. */
static bool slot_refused(const struct design_column *c, uint32_t slot)
{
	return refused_at_slot(&c->plain, slot) &&
		(!c->has_knowing || !refused_at_slot(&c->knowing, slot));
}

static int worst_status(const struct design_column *col)
{
	int worst = S2MT_EXIT_OK;

	for (size_t k = 0; k < NR_COLUMNS; k++)
		if (col[k].present && run_exit_status(shown(&col[k])) > worst)
			worst = run_exit_status(shown(&col[k]));
	return worst;
}

static void needs_text(const struct scenario *sc, const struct design_column *c,
		       char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (size_t d = 0; d < sc->nr_slots; d++)
		if (c->needs[d])
			n += (size_t)snprintf(
				buf + n, n < len ? len - n : 0, "%s%u%s",
				n ? "," : "slot ", sc->slots[d].slot,
				slot_refused(c, sc->slots[d].slot) ? "" : "?");
	if (!n)
		snprintf(buf, len, "none");
}

/* D5: what the query answers the VMM for each range of its slots, at
 * the end of the story. */
static void print_query(const struct run *r)
{
	for (size_t i = 0; i < r->nr_layout; i++) {
		const struct s2mt_query_entry *q = &r->layout[i];
		char size[24], s2[40];

		if (q->slot < 0)
			continue;
		sc_format_size(q->size, size, sizeof(size));
		if (q->mapped)
			run_leaf_name(r, &q->leaf, s2, sizeof(s2));
		else if (q->has_policy && q->policy.err)
			snprintf(s2, sizeof(s2), "%s",
				 s2mt_errno_name(-q->policy.err));
		else if (q->has_policy)
			snprintf(s2, sizeof(s2), "%s at the first fault",
				 s2mt_mtype_name(q->policy.prot.type));
		else
			snprintf(s2, sizeof(s2), "nothing mapped");
		printf("     query: slot %d, IPA %#llx +%s: host %s, stage 2 "
		       "%s\n",
		       q->slot, (unsigned long long)q->ipa, size,
		       q->has_vma ? s2mt_attrindx_name(q->host_attrindx)
				  : "(no VMA)",
		       s2);
	}
}

static void designs_text(const struct scenario *sc, struct design_column *col,
			 size_t first, bool had_flag)
{
	const struct run *r0 = shown(&col[first]);

	printf("s2mt designs %s%s%s\n", sc->file, sc->name[0] ? " - " : "",
	       sc->name);
	printf("host %s; the same story under each uAPI design, told by a "
	       "VMM that knows its\ndevices (bit 3 on every slot over "
	       "cacheable VM_PFNMAP, where the design has it)\n",
	       r0->host.preset);
	if (had_flag)
		printf("(the file's own bit-3 flags are replaced by that "
		       "choice)\n");
	printf("\n");
	for (size_t k = 0; k < NR_COLUMNS; k++) {
		char desc[160];

		s2mt_kernel_describe(&col[k].kernel, desc, sizeof(desc));
		printf("  %-10s %s; kernel %s\n", col[k].name,
		       s2mt_design_summary(col[k].design), desc);
	}
	printf("\n%-4s %-34s", "step", "what");
	for (size_t k = 0; k < NR_COLUMNS; k++)
		if (col[k].present)
			printf(" | %-15s", col[k].name);
	printf("\n");
	for (size_t i = 0; i < sc->nr_steps; i++) {
		const char *what = r0->steps[i].what;

		if (strlen(what) > 34)
			printf("%-4zu %s\n%-4s %-34s", i + 1, what, "", "");
		else
			printf("%-4zu %-34s", i + 1, what);
		for (size_t k = 0; k < NR_COLUMNS; k++) {
			char out[160];

			if (!col[k].present)
				continue;
			cell(shown(&col[k]), i, out, sizeof(out));
			printf(" | %-15.15s", out);
		}
		printf("\n");
	}
	printf("%-4s %-34s", "", "hazards at the end");
	for (size_t k = 0; k < NR_COLUMNS; k++) {
		uint32_t bits;
		char list[64] = "";

		if (!col[k].present)
			continue;
		bits = hazard_bits(shown(&col[k]));
		for (unsigned z = S2MT_Z1; z <= S2MT_Z8; z++)
			if (bits & S2MT_HAZARD_BIT(z))
				snprintf(list + strlen(list),
					 sizeof(list) - strlen(list), "%s ",
					 s2mt_hazard_name(z));
		printf(" | %-15.15s", bits ? list : "none");
	}
	printf("\n%-4s %-34s", "", "bit 3 set on (?: optional)");
	for (size_t k = 0; k < NR_COLUMNS; k++) {
		char list[160];

		if (!col[k].present)
			continue;
		if (!s2mt_design_has_slot_flag(col[k].design))
			snprintf(list, sizeof(list), "(no such flag)");
		else
			needs_text(sc, &col[k], list, sizeof(list));
		printf(" | %-15.15s", list);
	}
	printf("\n%-4s %-34s", "", "unmodified VMM: refused steps");
	for (size_t k = 0; k < NR_COLUMNS; k++) {
		char list[160] = "";
		size_t n = 0;

		if (!col[k].present)
			continue;
		for (size_t i = 0; i < sc->nr_steps; i++)
			if (refused(&col[k].plain, i))
				n += (size_t)snprintf(
					list + n,
					n < sizeof(list) ? sizeof(list) - n : 0,
					"%s%zu", n ? "," : "", i + 1);
		printf(" | %-15.15s", n ? list : "none");
	}
	printf("\n\nWhat each design asks of the VMM:\n");
	for (size_t k = 0; k < NR_COLUMNS; k++) {
		const struct design_column *c = &col[k];
		bool any = false;

		if (!c->present)
			continue;
		printf("  %s:", c->name);
		for (size_t d = 0; d < sc->nr_slots; d++) {
			const struct sc_slot *s = &sc->slots[d];

			if (!c->needs[d])
				continue;
			printf("%s slot %u%s%s %s %s%s", any ? ";\n     " : "",
			       s->slot, s->mmap >= 0 ? " over " : "",
			       s->mmap >= 0 ? sc->mmaps[s->mmap].name : "",
			       slot_refused(c, s->slot) ? "needs" : "may set",
			       s2mt_design_slot_flag_name(c->design),
			       c->pfnmap[d]
				       ? ": the host maps this VM_PFNMAP "
					 "cacheable, which only a VMM that "
					 "knows the device can tell"
				       : " (optional: Write-Back promised for "
					 "kernel-managed memory)");
			any = true;
		}
		if (!any)
			printf(" nothing new%s",
			       c->design == S2MT_DESIGN_D4
				       ? " (VM_FORCE_CACHEABLE is the driver's "
					 "to set)"
				       : c->design == S2MT_DESIGN_D5
				       ? " (it may ask the memory type of each "
					 "range)"
				       : "");
		printf("\n");
		if (c->design == S2MT_DESIGN_D5)
			print_query(shown(c));
		for (size_t i = 0; i < sc->nr_steps; i++)
			if (refused(&c->plain, i))
				printf("     an unmodified VMM is refused at "
				       "step %zu (%s): %s\n",
				       i + 1, c->plain.steps[i].what,
				       c->plain.steps[i].reason);
	}
	printf("\nWhere the designs differ:\n");
	{
		const struct run *runs[NR_COLUMNS];
		const char *names[NR_COLUMNS];

		for (size_t k = 0; k < NR_COLUMNS; k++) {
			runs[k] = col[k].present ? shown(&col[k]) : NULL;
			names[k] = col[k].name;
		}
		print_step_differences(sc, runs, names, NR_COLUMNS, 10);
	}
	for (size_t k = 0; k < NR_COLUMNS; k++)
		if (!col[k].present)
			printf("\n%s left out: %s\n", col[k].name,
			       col[k].left_out);
	printf("\nVerdict per design (a VMM that knows its devices):\n");
	for (size_t k = 0; k < NR_COLUMNS; k++)
		if (col[k].present)
			printf("  %-10s %s (exit %d)\n", col[k].name,
			       result_word(shown(&col[k])),
			       run_exit_status(shown(&col[k])));
	printf("Result: %s (exit %d, the worst design)\n",
	       worst_status(col) ? "findings" : "ok", worst_status(col));
}

static json_t *step_json(const struct run *r, size_t i)
{
	char out[160];

	step_outcome(r, &r->sc->steps[i], &r->steps[i], out, sizeof(out));
	return json_pack("{s:s, s:i, s:s, s:s, s:b}", "outcome", out, "errno",
			 r->steps[i].err, "rule",
			 r->steps[i].rule ? r->steps[i].rule : "", "reason",
			 r->steps[i].reason, "fails", r->steps[i].fails);
}

static int designs_json(const struct scenario *sc, struct design_column *col,
			size_t first)
{
	json_t *root = json_object(), *a = json_array(), *rows;

	json_object_set_new(root, "file", json_string(sc->file));
	json_object_set_new(root, "host",
			    json_string(shown(&col[first])->host.preset));
	for (size_t k = 0; k < NR_COLUMNS; k++) {
		char desc[160];
		json_t *o;

		s2mt_kernel_describe(&col[k].kernel, desc, sizeof(desc));
		o = json_pack("{s:s, s:s, s:s, s:s}", "name", col[k].name,
			      "design", s2mt_design_name(col[k].design),
			      "summary", s2mt_design_summary(col[k].design),
			      "kernel", desc);
		if (!col[k].present)
			json_object_set_new(o, "left_out",
					    json_string(col[k].left_out));
		json_array_append_new(a, o);
	}
	json_object_set_new(root, "designs", a);
	rows = json_array();
	for (size_t i = 0; i < sc->nr_steps; i++) {
		json_t *per = json_object();

		for (size_t k = 0; k < NR_COLUMNS; k++)
			if (col[k].present)
				json_object_set_new(
					per, col[k].name,
					step_json(shown(&col[k]), i));
		json_array_append_new(
			rows,
			json_pack("{s:I, s:s, s:o}", "step",
				  (json_int_t)(i + 1), "what",
				  shown(&col[first])->steps[i].what, "designs",
				  per));
	}
	json_object_set_new(root, "steps", rows);
	rows = json_object();
	for (size_t k = 0; k < NR_COLUMNS; k++) {
		const struct design_column *c = &col[k];
		json_t *needs = json_array(), *ref = json_array();

		if (!c->present)
			continue;
		for (size_t d = 0; d < sc->nr_slots; d++)
			if (c->needs[d])
				json_array_append_new(
					needs,
					json_pack(
						"{s:i, s:b, s:s, s:s}", "slot",
						(int)sc->slots[d].slot,
						"required",
						slot_refused(c,
							     sc->slots[d].slot),
						"flag",
						s2mt_design_slot_flag_name(
							c->design),
						"mmap",
						sc->slots[d].mmap >= 0
							? sc->mmaps
								  [sc->slots[d]
									   .mmap]
									  .name
							: ""));
		for (size_t i = 0; i < sc->nr_steps; i++)
			if (refused(&c->plain, i)) {
				json_t *o = step_json(&c->plain, i);

				json_object_set_new(
					o, "step",
					json_integer((json_int_t)i + 1));
				json_array_append_new(ref, o);
			}
		json_object_set_new(
			rows, c->name,
			json_pack("{s:o, s:o, s:o, s:s, s:i}", "vmm_sets",
				  needs, "unmodified_vmm_refused", ref,
				  "hazards", hazard_list(hazard_bits(shown(c))),
				  "result", result_word(shown(c)), "exit",
				  run_exit_status(shown(c))));
	}
	json_object_set_new(root, "per_design", rows);
	json_object_set_new(root, "result",
			    json_string(worst_status(col) ? "findings" : "ok"));
	json_object_set_new(root, "exit", json_integer(worst_status(col)));
	if (dump_json(root))
		return S2MT_EXIT_USAGE;
	return worst_status(col);
}

int cmd_designs(int argc, char **argv)
{
	struct scenario *sc;
	struct design_column *col;
	size_t first = NR_COLUMNS;
	bool json, had_flag;
	int status;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--matrix"))
			return cmd_designs_matrix(argc, argv);
	sc = calloc(1, sizeof(*sc));
	col = calloc(NR_COLUMNS, sizeof(*col));
	if (!sc || !col) {
		free(sc);
		free(col);
		fprintf(stderr, "s2mt designs: out of memory\n");
		return S2MT_EXIT_OOM;
	}
	status = cli_load("designs", argc, argv, &json, sc);
	if (!status)
		status = cli_check_memory(sc, 2);
	if (status)
		goto out;
	strip_flag(sc, &had_flag);
	for (size_t k = 0; k < NR_COLUMNS && !status; k++) {
		status = run_column(sc, k, &col[k]);
		if (!status && col[k].present && first == NR_COLUMNS)
			first = k;
	}
	if (status)
		goto out;
	if (first == NR_COLUMNS) {
		fprintf(stderr, "s2mt designs: no design can run this story\n");
		status = S2MT_EXIT_USAGE;
		goto out;
	}
	if (json) {
		status = designs_json(sc, col, first);
	} else {
		designs_text(sc, col, first, had_flag);
		status = worst_status(col);
	}
out:
	for (size_t k = 0; k < NR_COLUMNS; k++) {
		run_free(&col[k].plain);
		if (col[k].has_knowing)
			run_free(&col[k].knowing);
		free(col[k].knowing_sc);
	}
	free(col);
	free(sc);
	return status;
}
