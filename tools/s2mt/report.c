// SPDX-License-Identifier: MIT
/* s2mt run / s2mt compare: what a person reads, and the same as JSON. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "runner.h"

static void caps_text(const struct s2mt_host_caps *c, char *buf, size_t len)
{
	snprintf(buf, len, "FWB %s, DIC %s, IDC %s, MTE %s",
		 c->fwb ? "yes" : "no", c->dic ? "yes" : "no",
		 c->idc ? "yes" : "no", c->mte ? "yes" : "no");
}

static void perm_text(const struct s2mt_leaf *l, char *buf, size_t len)
{
	snprintf(buf, len, "%c%c%c", l->s2ap & 1 ? 'R' : '-',
		 l->s2ap & 2 ? 'W' : '-', l->xn == 0 ? 'X' : '-');
}

/* "Force-WB" etc. for a leaf, "0b110"/"0x6" for its MemAttr. */
static void s2_text(const struct run *r, uint8_t memattr, char *buf, size_t len)
{
	char name[40];

	s2mt_s2_name(memattr, r->host.caps.fwb, name, sizeof(name));
	if (r->host.caps.fwb)
		snprintf(buf, len, "%s (0b%u%u%u)", name, (memattr >> 2) & 1,
			 (memattr >> 1) & 1, memattr & 1);
	else
		snprintf(buf, len, "%s (0x%X)", name, memattr);
}

/* One line for what a step came to. */
static void step_outcome(const struct run *r, const struct sc_step *st,
			 const struct step_result *s, char *buf, size_t len)
{
	char leaf[24], s2[48], eff[40];

	if (st->kind == SC_STEP_ACCESS && s->ran_fault) {
		if (!s->first.has_leaf ||
		    (s->first.outcome != S2MT_FAULT_MAPPED &&
		     s->first.outcome != S2MT_FAULT_PERM_RELAXED &&
		     s->first.outcome != S2MT_FAULT_SPURIOUS)) {
			snprintf(buf, len, "%s%s",
				 s2mt_fault_outcome_token(s->first.outcome),
				 s->err ? "" : "");
			if (s->err)
				snprintf(buf + strlen(buf), len - strlen(buf),
					 " (%s)", s2mt_errno_name(s->err));
			return;
		}
		sc_format_size(s->first.leaf.size, leaf, sizeof(leaf));
		s2_text(r, s->first.leaf.memattr, s2, sizeof(s2));
		if (s->has_eff && !s->eff.status)
			s2mt_memtype_name(&s->eff.mt, eff, sizeof(eff));
		else
			snprintf(eff, sizeof(eff), "reserved");
		snprintf(buf, len, "%s, %s leaf %s -> guest sees %s",
			 s2mt_fault_outcome_token(s->first.outcome), leaf, s2,
			 eff);
		return;
	}
	if (st->kind == SC_STEP_CAPABILITY && !s->err) {
		snprintf(buf, len, "= %ld", s->value);
		return;
	}
	if (st->kind == SC_STEP_MIGRATE) {
		snprintf(buf, len, s->nr_z8 ? "Z8 x%zu" : "ok", s->nr_z8);
		return;
	}
	snprintf(buf, len, "%s", s->err ? s2mt_errno_name(s->err) : "0");
}

/* The compare table's cell: "2M Normal-NC -> Normal-NC". */
static void compare_cell(const struct run *r, const struct sc_step *st,
			 const struct step_result *s, char *buf, size_t len)
{
	char leaf[24], s2[40], eff[40] = "reserved";

	if (st->kind != SC_STEP_ACCESS || !s->ran_fault || !s->first.has_leaf ||
	    s->first.outcome == S2MT_FAULT_EFAULT ||
	    s->first.outcome == S2MT_FAULT_INJECT_IABT ||
	    s->first.outcome == S2MT_FAULT_INJECT_DABT ||
	    s->first.outcome == S2MT_FAULT_MMIO_EXIT ||
	    s->first.outcome == S2MT_FAULT_RETRY) {
		step_outcome(r, st, s, buf, len);
		return;
	}
	sc_format_size(s->first.leaf.size, leaf, sizeof(leaf));
	s2mt_s2_name(s->first.leaf.memattr, r->host.caps.fwb, s2, sizeof(s2));
	if (s->has_eff && !s->eff.status)
		s2mt_memtype_name(&s->eff.mt, eff, sizeof(eff));
	snprintf(buf, len, "%s %s -> %s", leaf, s2, eff);
}

static void print_layout(FILE *f, const struct run *r)
{
	fprintf(f,
		"\nStage-2 layout at the end (guest stage 1 Normal-WB "
		"unless an access says otherwise)\n");
	if (!r->nr_layout) {
		fprintf(f, "  (no memslots)\n");
		return;
	}
	for (size_t i = 0; i < r->nr_layout; i++) {
		const struct s2mt_query_entry *q = &r->layout[i];
		char size[24], leaf[24], s2[48], perm[8], what[96] = "no VMA";

		sc_format_size(q->size, size, sizeof(size));
		if (q->has_vma)
			s2mt_vma_describe(&r->host, &q->vma, what,
					  sizeof(what));
		fprintf(f, "  %#014llx-%#014llx %6s  slot %-3d %-26s host %s\n",
			(unsigned long long)q->ipa,
			(unsigned long long)(q->ipa + q->size), size, q->slot,
			what,
			q->has_vma ? s2mt_attrindx_name(q->host_attrindx)
				   : "-");
		if (!q->mapped) {
			fprintf(f, "      not mapped");
			if (q->has_policy && !q->policy.err) {
				char s2[48];

				s2_text(r,
					s2mt_prot_memattr(q->policy.prot,
							  r->host.caps.fwb),
					s2, sizeof(s2));
				fprintf(f, "; a read fault would map %s (%s)",
					s2, q->policy.rule);
			} else if (q->has_policy)
				fprintf(f, "; a read fault: %s (%s)",
					s2mt_errno_name(q->policy.err),
					q->policy.rule);
			fprintf(f, "\n");
			continue;
		}
		sc_format_size(q->leaf.size, leaf, sizeof(leaf));
		s2_text(r, q->leaf.memattr, s2, sizeof(s2));
		perm_text(&q->leaf, perm, sizeof(perm));
		fprintf(f, "      %llu x %s leaves, MemAttr %s, S2AP/XN %s",
			(unsigned long long)q->nr_leaves, leaf, s2, perm);
		if (q->dclean_bytes || q->iinval_bytes)
			fprintf(f, ", cleaned %llu B, I-inval %llu B",
				(unsigned long long)q->dclean_bytes,
				(unsigned long long)q->iinval_bytes);
		fprintf(f, "\n");
		for (size_t a = 0; a < r->sc->nr_accesses; a++) {
			const struct sc_access *ac = &r->sc->accesses[a];
			struct s2mt_effective eff;
			char eff_name[40], s1[40];

			if (ac->ipa < q->ipa || ac->ipa >= q->ipa + q->size)
				continue;
			run_access_effective(r, ac, &q->leaf, &eff);
			if (eff.status)
				snprintf(eff_name, sizeof(eff_name),
					 "reserved");
			else
				s2mt_memtype_name(&eff.mt, eff_name,
						  sizeof(eff_name));
			if (!ac->s1.enabled)
				snprintf(s1, sizeof(s1), "stage 1 off");
			else
				snprintf(s1, sizeof(s1), "MAIR 0x%02x",
					 ac->s1.mair);
			fprintf(f, "      access %s (%s): %s, %s\n", ac->name,
				s1, eff_name, s2mt_sh_name(eff.sh));
		}
		if (q->hazards) {
			fprintf(f, "      hazards:");
			for (unsigned z = S2MT_Z1; z <= S2MT_Z8; z++)
				if (q->hazards & S2MT_HAZARD_BIT(z))
					fprintf(f, " %s", s2mt_hazard_name(z));
			fprintf(f, "\n");
		}
	}
}

/* The verdict a person reads last: the first failing step, named with
 * its errno and rule, before anything else. */
static void report_verdict(FILE *f, const struct run *r)
{
	int status = run_exit_status(r);

	if (r->first_failing_step) {
		const struct step_result *s =
			&r->steps[r->first_failing_step - 1];

		fprintf(f,
			"Result: FAILED at step %zu (%s): %s%s%s%s - the VMM "
			"gets this errno and stops (exit 1)\n",
			r->first_failing_step, s->what, s2mt_errno_name(s->err),
			s->rule ? " (" : "", s->rule ? s->rule : "",
			s->rule ? ")" : "");
		if (r->failing_steps > 1)
			fprintf(f, "        and %u more failing steps\n",
				r->failing_steps - 1);
	} else if (status) {
		fprintf(f,
			"Result: FINDINGS: %u error-grade hazards, %u "
			"warnings%s, %u failed expectations (exit 1)\n",
			r->hazard_errors, r->hazard_warnings,
			r->strict ? " (--strict)" : "", r->expectations_failed);
	} else {
		fprintf(f, "Result: ok (exit 0)%s\n",
			r->hazard_warnings ? "; warnings above (--strict fails "
					     "on them)"
					   : "");
	}
	for (size_t i = 0; i < r->sc->nr_steps; i++)
		if (r->steps[i].guest_visible) {
			fprintf(f,
				"Note: the guest saw an MMIO exit or an "
				"injected "
				"abort (step %zu); that is guest-visible "
				"behaviour, not a VMM failure, and does not "
				"fail "
				"the run\n",
				i + 1);
			break;
		}
}

static const char *result_word(const struct run *r)
{
	if (r->first_failing_step)
		return "failed";
	return run_exit_status(r) ? "findings" : "ok";
}

static void report_text(FILE *f, const struct run *r)
{
	const struct scenario *sc = r->sc;
	char caps[96];

	caps_text(&r->host.caps, caps, sizeof(caps));
	fprintf(f, "s2mt run %s\n", sc->file);
	if (sc->name[0])
		fprintf(f, "%s\n", sc->name);
	if (sc->description[0])
		fprintf(f, "%s\n", sc->description);
	fprintf(f, "host %s (%s), kernel era %s\n", r->host.preset, caps,
		s2mt_era_name(r->era));

	fprintf(f, "\nSteps\n");
	for (size_t i = 0; i < sc->nr_steps; i++) {
		const struct step_result *s = &r->steps[i];
		char out[160];

		step_outcome(r, &sc->steps[i], s, out, sizeof(out));
		fprintf(f, "  %2zu  %-58s %s\n", i + 1, s->what, out);
		if (s->reason[0])
			fprintf(f, "      %s\n", s->reason);
		if (sc->steps[i].kind == SC_STEP_ACCESS && s->pages_touched > 1)
			fprintf(f, "      %llu stage-2 faults to touch it%s\n",
				(unsigned long long)s->faults,
				s->stopped ? " (stopped at a failing page)"
					   : "");
		if (s->expect_checked)
			fprintf(f, "      expect: %s%s\n",
				s->expect_ok ? "" : "FAILED: ", s->expect_msg);
	}
	print_layout(f, r);

	fprintf(f, "\nCounts\n");
	if (r->had_vm) {
		const struct s2mt_vm_stats *st = &r->stats;

		fprintf(f,
			"  guest accesses: %llu pages touched, %llu of them "
			"already mapped (no fault)\n"
			"  stage-2 faults %llu (mapped %llu, permission %llu, "
			"MMIO exits %llu, -EFAULT %llu, injected aborts %llu, "
			"retries %llu)\n"
			"  TLB invalidations %llu by IPA, %llu by range, %llu "
			"by VMID\n"
			"  cache maintenance: D-cache clean %llu B, I-cache "
			"invalidate %llu B, impossible (no kernel VA) %llu B\n"
			"  stage-2 tables: %llu KiB at the end, %llu KiB at "
			"most\n",
			(unsigned long long)r->pages_touched,
			(unsigned long long)r->pages_hit,
			(unsigned long long)st->faults,
			(unsigned long long)st->mapped,
			(unsigned long long)st->perm_relaxed,
			(unsigned long long)st->mmio_exits,
			(unsigned long long)st->efaults,
			(unsigned long long)st->injected_aborts,
			(unsigned long long)st->retries,
			(unsigned long long)st->tlbi_ipa,
			(unsigned long long)st->tlbi_range,
			(unsigned long long)st->tlbi_vmid,
			(unsigned long long)st->dclean_bytes,
			(unsigned long long)st->iinval_bytes,
			(unsigned long long)st->cmo_impossible_bytes,
			(unsigned long long)(r->table_bytes >> 10),
			(unsigned long long)(r->table_bytes_peak >> 10));
	} else {
		fprintf(f, "  no VM was created\n");
	}

	fprintf(f, "\nHazards\n");
	if (!r->nr_hazards)
		fprintf(f, "  none\n");
	for (size_t i = 0; i < r->nr_hazards && i < RUN_MAX_HAZARDS; i++) {
		const struct s2mt_hazard *h = &r->hazards[i];
		bool expected = sc->hazards.present & S2MT_HAZARD_BIT(h->id);
		bool error = hazard_severity(h->id, h, r) == HZ_ERROR;

		fprintf(f, "  %s %s: %s%s\n      %s\n",
			error ? "ERROR" : "WARN ", s2mt_hazard_name(h->id),
			s2mt_hazard_title(h->id), expected ? " (expected)" : "",
			h->detail);
		if (!error)
			fprintf(f, "      %s\n", hazard_severity_reason(h->id));
	}
	if (r->nr_hazards > RUN_MAX_HAZARDS)
		fprintf(f, "  ... and %zu more\n",
			r->nr_hazards - RUN_MAX_HAZARDS);

	if (r->expectations)
		fprintf(f, "\nExpectations: %u of %u hold\n",
			r->expectations - r->expectations_failed,
			r->expectations);
	report_verdict(f, r);
}

/* ---- JSON ---- */

static json_t *hex(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	return json_string(buf);
}

static json_t *leaf_json(const struct run *r, const struct s2mt_leaf *l)
{
	char s2[40], perm[8];

	s2mt_s2_name(l->memattr, r->host.caps.fwb, s2, sizeof(s2));
	perm_text(l, perm, sizeof(perm));
	return json_pack("{s:o, s:o, s:I, s:i, s:i, s:s, s:s, s:s}", "ipa",
			 hex(l->ipa), "pa", hex(l->pa), "size",
			 (json_int_t)l->size, "level", (int)l->level, "memattr",
			 (int)l->memattr, "stage2", s2, "perm", perm,
			 "shareability", s2mt_sh_name(l->sh));
}

static json_t *eff_json(const struct s2mt_effective *e)
{
	char name[40], why[256], mair[8];

	s2mt_explain(e, why, sizeof(why));
	if (e->status)
		return json_pack("{s:s, s:s}", "type", "reserved",
				 "explanation", why);
	s2mt_memtype_name(&e->mt, name, sizeof(name));
	snprintf(mair, sizeof(mair), "0x%02x", s2mt_mair_encode(&e->mt));
	return json_pack("{s:s, s:s, s:s, s:s}", "type", name, "mair", mair,
			 "shareability", s2mt_sh_name(e->sh), "explanation",
			 why);
}

static json_t *hazard_list(uint32_t bits)
{
	json_t *a = json_array();

	for (unsigned z = S2MT_Z1; z <= S2MT_Z8; z++)
		if (bits & S2MT_HAZARD_BIT(z))
			json_array_append_new(a,
					      json_string(s2mt_hazard_name(z)));
	return a;
}

static json_t *report_json(const struct run *r)
{
	const struct scenario *sc = r->sc;
	json_t *root = json_object(), *steps = json_array(),
	       *layout = json_array(), *hz = json_array(), *counts;

	json_object_set_new(root, "file", json_string(sc->file));
	json_object_set_new(root, "name", json_string(sc->name));
	json_object_set_new(
		root, "host",
		json_pack("{s:s, s:b, s:b, s:b, s:b}", "preset", r->host.preset,
			  "fwb", r->host.caps.fwb, "dic", r->host.caps.dic,
			  "idc", r->host.caps.idc, "mte", r->host.caps.mte));
	json_object_set_new(root, "kernel", json_string(s2mt_era_name(r->era)));
	for (size_t i = 0; i < sc->nr_steps; i++) {
		const struct step_result *s = &r->steps[i];
		const struct sc_step *st = &sc->steps[i];
		json_t *o = json_pack(
			"{s:I, s:s, s:i, s:s, s:s, s:s}", "step",
			(json_int_t)(i + 1), "what", s->what, "errno", s->err,
			"errno_name", s2mt_errno_name(s->err), "rule",
			s->rule ? s->rule : "", "reason", s->reason);

		if (st->kind == SC_STEP_ACCESS && s->ran_fault) {
			json_object_set_new(
				o, "outcome",
				json_string(s2mt_fault_outcome_token(
					s->first.outcome)));
			json_object_set_new(
				o, "faults",
				json_integer((json_int_t)s->faults));
			if (s->first.has_leaf)
				json_object_set_new(
					o, "leaf",
					leaf_json(r, &s->first.leaf));
			if (s->has_eff)
				json_object_set_new(o, "effective",
						    eff_json(&s->eff));
		}
		if (st->kind == SC_STEP_CAPABILITY ||
		    st->kind == SC_STEP_GET_DIRTY_LOG)
			json_object_set_new(o, "value", json_integer(s->value));
		json_object_set_new(o, "fails", json_boolean(s->fails));
		if (s->guest_visible)
			json_object_set_new(o, "guest_visible", json_true());
		if (s->expect_checked)
			json_object_set_new(o, "expect",
					    json_pack("{s:b, s:s}", "ok",
						      s->expect_ok, "message",
						      s->expect_msg));
		json_array_append_new(steps, o);
	}
	json_object_set_new(root, "steps", steps);
	for (size_t i = 0; i < r->nr_layout; i++) {
		const struct s2mt_query_entry *q = &r->layout[i];
		char what[96] = "";
		json_t *o;

		if (q->has_vma)
			s2mt_vma_describe(&r->host, &q->vma, what,
					  sizeof(what));
		o = json_pack("{s:o, s:I, s:i, s:s, s:s, s:b}", "ipa",
			      hex(q->ipa), "size", (json_int_t)q->size, "slot",
			      q->slot, "backing", what, "host_stage1",
			      q->has_vma ? s2mt_attrindx_name(q->host_attrindx)
					 : "",
			      "mapped", q->mapped);
		if (q->mapped) {
			json_object_set_new(o, "leaf", leaf_json(r, &q->leaf));
			json_object_set_new(
				o, "leaves",
				json_integer((json_int_t)q->nr_leaves));
			json_object_set_new(
				o, "dclean_bytes",
				json_integer((json_int_t)q->dclean_bytes));
			json_object_set_new(
				o, "iinval_bytes",
				json_integer((json_int_t)q->iinval_bytes));
			json_object_set_new(o, "effective_normal_wb",
					    eff_json(&q->eff));
		}
		json_object_set_new(o, "hazards", hazard_list(q->hazards));
		json_array_append_new(layout, o);
	}
	json_object_set_new(root, "layout", layout);
	counts = json_object();
	if (r->had_vm) {
		const struct s2mt_vm_stats *st = &r->stats;
		const struct {
			const char *key;
			uint64_t v;
		} c[] = {
			{ "pages_touched", r->pages_touched },
			{ "pages_already_mapped", r->pages_hit },
			{ "faults", st->faults },
			{ "mapped", st->mapped },
			{ "perm_relaxed", st->perm_relaxed },
			{ "mmio_exits", st->mmio_exits },
			{ "efaults", st->efaults },
			{ "injected_aborts", st->injected_aborts },
			{ "retries", st->retries },
			{ "tlbi_ipa", st->tlbi_ipa },
			{ "tlbi_range", st->tlbi_range },
			{ "tlbi_vmid", st->tlbi_vmid },
			{ "dclean_bytes", st->dclean_bytes },
			{ "iinval_bytes", st->iinval_bytes },
			{ "cmo_impossible_bytes", st->cmo_impossible_bytes },
			{ "stage2_table_bytes", r->table_bytes },
			{ "stage2_table_bytes_peak", r->table_bytes_peak },
		};

		for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
			json_object_set_new(counts, c[i].key,
					    json_integer((json_int_t)c[i].v));
	}
	json_object_set_new(root, "counts", counts);
	for (size_t i = 0; i < r->nr_hazards && i < RUN_MAX_HAZARDS; i++) {
		const struct s2mt_hazard *h = &r->hazards[i];

		json_array_append_new(
			hz,
			json_pack("{s:s, s:s, s:s, s:o, s:I, s:o, s:s, s:b}",
				  "id", s2mt_hazard_name(h->id), "severity",
				  hazard_severity(h->id, h, r) == HZ_ERROR
					  ? "error"
					  : "warning",
				  "title", s2mt_hazard_title(h->id), "ipa",
				  hex(h->ipa), "size", (json_int_t)h->size,
				  "pa", hex(h->pa), "detail", h->detail,
				  "expected",
				  (sc->hazards.present &
				   S2MT_HAZARD_BIT(h->id)) != 0));
	}
	json_object_set_new(root, "hazards", hz);
	json_object_set_new(root, "expectations",
			    json_pack("{s:i, s:i}", "checked",
				      (int)r->expectations, "failed",
				      (int)r->expectations_failed));
	json_object_set_new(root, "result", json_string(result_word(r)));
	json_object_set_new(root, "exit", json_integer(run_exit_status(r)));
	if (r->first_failing_step)
		json_object_set_new(
			root, "failing_step",
			json_integer((json_int_t)r->first_failing_step));
	return root;
}

static int dump_json(json_t *root)
{
	int err;

	if (!root) {
		fprintf(stderr, "s2mt: out of memory building JSON\n");
		return S2MT_EXIT_USAGE;
	}
	err = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(root);
	return err ? S2MT_EXIT_USAGE : 0;
}

bool cli_strict;

/* Parses "[--json] [--strict] FILE" for run/compare/advise. */
int cli_load(const char *cmd, int argc, char **argv, bool *json,
	     struct scenario *sc)
{
	static const struct option opts[] = { { "json", no_argument, 0, 'j' },
					      { "strict", no_argument, 0, 's' },
					      { 0, 0, 0, 0 } };
	char err[512];
	int c;

	optind = 1;
	opterr = 0;
	*json = false;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'j')
			*json = true;
		else if (c == 's')
			cli_strict = true;
		else
			return cli_usage_error(cmd, "unknown option '%s'",
					       argv[optind - 1]);
	}
	if (optind + 1 != argc)
		return cli_usage_error(cmd, "expected one scenario FILE");
	if (scenario_load_file(argv[optind], sc, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return S2MT_EXIT_USAGE;
	}
	return 0;
}

int cli_run_era(const struct scenario *sc, unsigned era, struct run *r)
{
	int err;

	r->strict = cli_strict;
	cli_progress_begin(r, sc->file);
	err = run_scenario(sc, era, r);
	cli_progress_end(r);
	if (!err)
		return 0;
	if (r->oom) {
		fprintf(stderr, "%s: out of memory: %s\n", sc->file,
			r->oom_what);
		return S2MT_EXIT_OOM;
	}
	fprintf(stderr, "%s\n", r->setup_error);
	return S2MT_EXIT_USAGE;
}

int cli_run(const struct scenario *sc, struct run *r)
{
	int err = cli_check_memory(sc, 1);

	return err ? err : cli_run_era(sc, sc->era, r);
}

int cmd_run(int argc, char **argv)
{
	struct scenario *sc = calloc(1, sizeof(*sc));
	struct run *r = calloc(1, sizeof(*r));
	bool json;
	int status;

	if (!sc || !r)
		return S2MT_EXIT_USAGE;
	status = cli_load("run", argc, argv, &json, sc);
	if (!status)
		status = cli_run(sc, r);
	if (status)
		goto out;
	if (json) {
		status = dump_json(report_json(r));
		if (!status)
			status = run_exit_status(r);
	} else {
		report_text(stdout, r);
		status = run_exit_status(r);
	}
	run_free(r);
out:
	free(r);
	free(sc);
	return status;
}

/* The eras a compare could run; the others are left out with a note. */
#define for_each_era(e)                                                        \
	for (unsigned e = 0; e < S2MT_ERA_COUNT_; e++)                         \
		if (!present[e]) {                                             \
		} else

/* compare exits like run does, for the worst era. */
static int compare_status(const struct run *runs, const bool *present)
{
	int worst = S2MT_EXIT_OK;

	for_each_era(e) if (run_exit_status(&runs[e]) > worst) worst =
		run_exit_status(&runs[e]);
	return worst;
}

/* s2mt compare: the same story in every era, side by side. */
int cmd_compare(int argc, char **argv)
{
	struct scenario *sc = calloc(1, sizeof(*sc));
	struct run *runs = calloc(S2MT_ERA_COUNT_, sizeof(*runs));
	bool present[S2MT_ERA_COUNT_] = { 0 }, json;
	int status, first = -1;

	if (!sc || !runs)
		return S2MT_EXIT_USAGE;
	status = cli_load("compare", argc, argv, &json, sc);
	if (status)
		goto out;
	status = cli_check_memory(sc, S2MT_ERA_COUNT_);
	if (status)
		goto out;
	for (unsigned e = 0; e < S2MT_ERA_COUNT_; e++) {
		status = cli_run_era(sc, e, &runs[e]);
		if (status == S2MT_EXIT_USAGE && runs[e].setup_error[0]) {
			/* An era without a driver the story needs (nvgrace-gpu
			 * before 6.9): left out, and said so. */
			present[e] = false;
			status = 0;
			continue;
		}
		if (status)
			goto free_runs;
		present[e] = true;
		if (first < 0)
			first = (int)e;
		/* The report needs the steps and hazards, not the tables:
		 * one era's tables at a time. */
		run_free(&runs[e]);
	}
	if (first < 0) {
		fprintf(stderr, "s2mt compare: no era can run this story\n");
		status = S2MT_EXIT_USAGE;
		goto free_runs;
	}
	if (json) {
		json_t *root = json_object(), *rows = json_array();

		json_object_set_new(root, "file", json_string(sc->file));
		json_object_set_new(root, "host",
				    json_string(runs[first].host.preset));
		for (size_t i = 0; i < sc->nr_steps; i++) {
			json_t *eras = json_object();

			for_each_era(e)
			{
				char out[160];

				step_outcome(&runs[e], &sc->steps[i],
					     &runs[e].steps[i], out,
					     sizeof(out));
				json_object_set_new(
					eras, s2mt_era_name(e),
					json_pack(
						"{s:s, s:i, s:s, s:s}",
						"outcome", out, "errno",
						runs[e].steps[i].err, "rule",
						runs[e].steps[i].rule
							? runs[e].steps[i].rule
							: "",
						"reason",
						runs[e].steps[i].reason));
			}
			json_array_append_new(
				rows,
				json_pack("{s:I, s:s, s:o}", "step",
					  (json_int_t)(i + 1), "what",
					  runs[first].steps[i].what, "eras",
					  eras));
		}
		json_object_set_new(root, "steps", rows);
		rows = json_object();
		for_each_era(e)
		{
			uint32_t bits = 0;

			for (size_t h = 0;
			     h < runs[e].nr_hazards && h < RUN_MAX_HAZARDS; h++)
				bits |= S2MT_HAZARD_BIT(runs[e].hazards[h].id);
			json_object_set_new(rows, s2mt_era_name(e),
					    hazard_list(bits));
		}
		json_object_set_new(root, "hazards", rows);
		rows = json_object();
		for_each_era(e) json_object_set_new(
			rows, s2mt_era_name(e),
			json_pack("{s:s, s:i}", "result", result_word(&runs[e]),
				  "exit", run_exit_status(&runs[e])));
		json_object_set_new(root, "verdicts", rows);
		json_object_set_new(root, "result",
				    json_string(compare_status(runs, present)
							? "findings"
							: "ok"));
		json_object_set_new(
			root, "exit",
			json_integer(compare_status(runs, present)));
		status = dump_json(root);
		if (!status)
			status = compare_status(runs, present);
	} else {
		printf("s2mt compare %s%s%s\nhost %s; the same story in each "
		       "kernel era\n\n",
		       sc->file, sc->name[0] ? " - " : "", sc->name,
		       runs[first].host.preset);
		printf("%-4s %-46s", "step", "what");
		for_each_era(e) printf(" | %-36s", s2mt_era_name(e));
		printf("\n");
		for (size_t i = 0; i < sc->nr_steps; i++) {
			/* A long step text gets a line of its own, never cut. */
			if (strlen(runs[first].steps[i].what) > 46)
				printf("%-4zu %s\n%-4s %-46s", i + 1,
				       runs[first].steps[i].what, "", "");
			else
				printf("%-4zu %-46s", i + 1,
				       runs[first].steps[i].what);
			for_each_era(e)
			{
				char out[160];

				compare_cell(&runs[e], &sc->steps[i],
					     &runs[e].steps[i], out,
					     sizeof(out));
				printf(" | %-36.36s", out);
			}
			printf("\n");
		}
		printf("%-4s %-46s", "", "hazards at the end");
		for_each_era(e)
		{
			char list[64] = "";
			uint32_t bits = 0;

			for (size_t h = 0;
			     h < runs[e].nr_hazards && h < RUN_MAX_HAZARDS; h++)
				bits |= S2MT_HAZARD_BIT(runs[e].hazards[h].id);
			for (unsigned z = S2MT_Z1; z <= S2MT_Z8; z++)
				if (bits & S2MT_HAZARD_BIT(z))
					snprintf(list + strlen(list),
						 sizeof(list) - strlen(list),
						 "%s ", s2mt_hazard_name(z));
			printf(" | %-36s", bits ? list : "none");
		}
		printf("\n");
		/* What changed between eras, step by step. */
		printf("\nWhere the eras differ:\n");
		for (size_t i = 0; i < sc->nr_steps; i++) {
			char a[160], b[160];
			bool differ = false;

			/* Eras differ when what they did or why differs; an
			 * identical pair is not a difference. */
			step_outcome(&runs[first], &sc->steps[i],
				     &runs[first].steps[i], a, sizeof(a));
			for (unsigned e = 1; e < S2MT_ERA_COUNT_; e++) {
				step_outcome(&runs[e], &sc->steps[i],
					     &runs[e].steps[i], b, sizeof(b));
				differ |= strcmp(a, b) != 0 ||
					strcmp(runs[first].steps[i].reason,
					       runs[e].steps[i].reason) != 0;
			}
			if (!differ)
				continue;
			printf("  step %zu, %s:\n", i + 1,
			       runs[first].steps[i].what);
			for_each_era(e)
			{
				step_outcome(&runs[e], &sc->steps[i],
					     &runs[e].steps[i], b, sizeof(b));
				printf("    %-5s %s: %s\n", s2mt_era_name(e), b,
				       runs[e].steps[i].reason);
			}
		}
		for (unsigned e = 0; e < S2MT_ERA_COUNT_; e++)
			if (!present[e])
				printf("\n%s left out: %s\n", s2mt_era_name(e),
				       runs[e].setup_error);
		printf("\nVerdict per era (the scenario's expectations count "
		       "in its own era, %s):\n",
		       s2mt_era_name(sc->era));
		for_each_era(e) printf("  %-5s %s (exit %d)\n",
				       s2mt_era_name(e), result_word(&runs[e]),
				       run_exit_status(&runs[e]));
		status = compare_status(runs, present);
		printf("Result: %s (exit %d, the worst era)\n",
		       status ? "findings" : "ok", status);
	}
free_runs:
	for (unsigned e = 0; e < S2MT_ERA_COUNT_; e++)
		run_free(&runs[e]);
out:
	free(runs);
	free(sc);
	return status;
}
