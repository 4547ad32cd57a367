// SPDX-License-Identifier: MIT
/* s2mt run / s2mt compare: what a person reads, and the same as JSON. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "report.h"
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

/* "Force-WB" etc. for a leaf, "0b110"/"0x6" for its MemAttr; on x86 the
 * EPT/NPT entry ("EPT UC"). */
static void leaf_text(const struct run *r, const struct s2mt_leaf *l, char *buf,
		      size_t len);

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

static void leaf_text(const struct run *r, const struct s2mt_leaf *l, char *buf,
		      size_t len)
{
	if (run_is_x86(r))
		run_leaf_name(r, l, buf, len);
	else
		s2_text(r, l->memattr, buf, len);
}

/* One line for what a step came to. */
void step_outcome(const struct run *r, const struct sc_step *st,
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
		leaf_text(r, &s->first.leaf, s2, sizeof(s2));
		run_eff_name(r, s, eff, sizeof(eff));
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
		if (s->nr_z8)
			snprintf(buf, len, "Z8 x%zu", s->nr_z8);
		else
			snprintf(buf, len, "memory types ok%s",
				 s->migrate_devices
					 ? "; devices, CPU not checked"
					 : "; CPU not checked");
		return;
	}
	snprintf(buf, len, "%s", s->err ? s2mt_errno_name(s->err) : "0");
}

/* The compare table's cell: "2M Normal-NC -> Normal-NC". */
void compare_cell(const struct run *r, const struct sc_step *st,
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
	run_leaf_name(r, &s->first.leaf, s2, sizeof(s2));
	if (s->has_eff || s->has_x86)
		run_eff_name(r, s, eff, sizeof(eff));
	snprintf(buf, len, "%s %s -> %s", leaf, s2, eff);
}

/*
 * Where the steps of access a got to: the end of its range, or the page a
 * touch stopped at; 0 when no step ran it. When every step was refused at
 * the access's first page (an injected abort, an MMIO exit), *refused is
 * one of them, else NULL.
 */
static uint64_t access_reach(const struct run *r, size_t a,
			     const struct step_result **refused)
{
	const struct sc_access *ac = &r->sc->accesses[a];
	uint64_t reach = 0, first = ac->ipa & ~(S2MT_PAGE_SIZE - 1);

	*refused = NULL;
	for (size_t i = 0; i < r->sc->nr_steps; i++) {
		const struct sc_step *st = &r->sc->steps[i];
		const struct step_result *s = &r->steps[i];
		uint64_t end = s->touch.stopped ? s->touch.stop_ipa
						: ac->ipa + ac->size;

		if (st->kind != SC_STEP_ACCESS || (size_t)st->ref != a ||
		    !s->ran_fault)
			continue;
		if (end > reach)
			reach = end;
		if (s->touch.stopped && end == first)
			*refused = s;
	}
	if (reach > first)
		*refused = NULL;
	return reach;
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
		char range[48];

		sc_format_size(q->size, size, sizeof(size));
		if (q->has_vma)
			s2mt_vma_describe(&r->host, &q->vma, what,
					  sizeof(what));
		/* Addresses as everywhere else in the report (0x40000000),
		 * right-aligned so the columns still line up. */
		snprintf(range, sizeof(range), "%#llx-%#llx",
			 (unsigned long long)q->ipa,
			 (unsigned long long)(q->ipa + q->size));
		fprintf(f, "  %27s %6s  slot %-3d %-26s host %s\n", range, size,
			q->slot, what,
			q->has_vma ? s2mt_attrindx_name(q->host_attrindx)
				   : "-");
		if (!q->mapped) {
			fprintf(f, "      not mapped");
			if (q->has_policy && !q->policy.err && run_is_x86(r)) {
				fprintf(f, "; a read fault would map it (%s)",
					q->policy.rule);
			} else if (q->has_policy && !q->policy.err) {
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
		leaf_text(r, &q->leaf, s2, sizeof(s2));
		perm_text(&q->leaf, perm, sizeof(perm));
		fprintf(f, "      %llu x %s leaves, %s %s, %s %s",
			(unsigned long long)q->nr_leaves, leaf,
			run_is_x86(r) ? "memory type" : "MemAttr", s2,
			run_is_x86(r) ? "permissions" : "S2AP/XN", perm);
		if (q->dclean_bytes || q->iinval_bytes)
			fprintf(f, ", cleaned %llu B, I-inval %llu B",
				(unsigned long long)q->dclean_bytes,
				(unsigned long long)q->iinval_bytes);
		fprintf(f, "\n");
		for (size_t a = 0; a < r->sc->nr_accesses; a++) {
			const struct sc_access *ac = &r->sc->accesses[a];
			struct s2mt_effective eff;
			char eff_name[40], s1[40];
			const struct step_result *refused;
			uint64_t reach = access_reach(r, a, &refused);

			/* The accesses that touched this range, and one that
			 * was refused where it started. */
			if (!reach || ac->ipa >= q->ipa + q->size ||
			    (ac->ipa < q->ipa && reach <= q->ipa))
				continue;
			/* An access the first page of which was refused (an
			 * injected abort, an MMIO exit) never read this leaf. */
			if (refused) {
				fprintf(f,
					"      access %s: %s (%s), it did not "
					"read this leaf\n",
					ac->name,
					s2mt_fault_outcome_token(
						refused->first.outcome),
					refused->rule ? refused->rule : "-");
				continue;
			}
			if (!ac->s1.enabled)
				snprintf(s1, sizeof(s1), "stage 1 off");
			else
				snprintf(s1, sizeof(s1), "MAIR 0x%02x",
					 ac->s1.mair);
			if (run_is_x86(r)) {
				struct s2mt_x86_leaf x;
				unsigned pat = run_x86_guest_pat(&ac->s1);

				run_x86_leaf(r, q->leaf.pa, &x);
				fprintf(f,
					"      access %s (%s, guest PAT %s): "
					"%s\n",
					ac->name, s1, s2mt_x86_mt_name(pat),
					s2mt_x86_mt_name(
						s2mt_x86_effective(&x, pat)));
				continue;
			}
			run_access_effective(r, ac, &q->leaf, &eff);
			if (eff.status)
				snprintf(eff_name, sizeof(eff_name),
					 "reserved");
			else
				s2mt_memtype_name(&eff.mt, eff_name,
						  sizeof(eff_name));
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

/* The kernel and the rules it gets: every change the model knows, had
 * or not, with the version that brought it. */
static void kernel_text(FILE *f, const struct s2mt_kernel *k, unsigned era)
{
	char desc[160];
	bool first = true;

	s2mt_kernel_describe(k, desc, sizeof(desc));
	fprintf(f, "kernel %s: the %s rules; has", desc, s2mt_era_name(era));
	for (unsigned i = 0; i < S2MT_KF_COUNT_; i++)
		if (s2mt_kernel_has(k, i)) {
			fprintf(f, "%s %s", first ? "" : ",",
				s2mt_kernel_feature_name(i));
			first = false;
		}
	if (first)
		fprintf(f, " none of the later changes");
	first = true;
	for (unsigned i = 0; i < S2MT_KF_COUNT_; i++)
		if (!s2mt_kernel_has(k, i)) {
			unsigned major, minor;

			s2mt_kernel_feature_since(i, &major, &minor);
			if (major)
				fprintf(f, "%s %s (%u.%u)",
					first ? "; lacks" : ",",
					s2mt_kernel_feature_name(i), major,
					minor);
			else
				fprintf(f, "%s %s (stable kernels only)",
					first ? "; lacks" : ",",
					s2mt_kernel_feature_name(i));
			first = false;
		}
	fprintf(f, "\n");
}

/*
 * Colour for a person at a terminal: red for what fails, yellow for a
 * warning, green for ok; never in a pipe or a file, and never when
 * NO_COLOR is set to anything (no-color.org).
 */
enum colour { C_RED, C_YELLOW, C_GREEN, C_OFF };

static const char *colour(FILE *f, unsigned c)
{
	static const char *const codes[] = { "\033[1;31m", "\033[33m",
					     "\033[32m", "\033[0m" };
	static int on = -1;

	if (on < 0) {
		const char *nc = getenv("NO_COLOR");

		on = isatty(fileno(f)) && !(nc && nc[0]);
	}
	return on ? codes[c] : "";
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
			"%sResult: FAILED%s at step %zu (%s): %s%s%s%s - the "
			"VMM gets this errno and stops (exit 1)\n",
			colour(f, C_RED), colour(f, C_OFF),
			r->first_failing_step, s->what, s2mt_errno_name(s->err),
			s->rule ? " (" : "", s->rule ? s->rule : "",
			s->rule ? ")" : "");
		if (r->failing_steps > 1)
			fprintf(f, "        and %u more failing steps\n",
				r->failing_steps - 1);
	} else if (status) {
		fprintf(f,
			"%sResult: FINDINGS%s: %u error-grade hazards, %u "
			"warnings%s, %u failed expectations (exit 1)\n",
			colour(f, C_RED), colour(f, C_OFF), r->hazard_errors,
			r->hazard_warnings, r->strict ? " (--strict)" : "",
			r->expectations_failed);
	} else {
		fprintf(f, "%sResult: ok%s (exit 0)%s\n", colour(f, C_GREEN),
			colour(f, C_OFF),
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

const char *result_word(const struct run *r)
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
	if (r->host.arch != S2MT_ARCH_ARM64)
		fprintf(f,
			"host %s (%s; KVM_X86_QUIRK_IGNORE_GUEST_PAT %s; %s; "
			"guest physical addresses up to %u bits)\n",
			r->host.preset,
			r->host.arch == S2MT_ARCH_X86_INTEL ? "EPT" : "NPT",
			r->host.x86_ignore_guest_pat ? "on" : "off",
			r->host.x86_noncoherent_dma ? "non-coherent DMA"
						    : "no non-coherent DMA",
			r->host.ipa_limit);
	else
		fprintf(f, "host %s (%s, IPA up to %u bits)\n", r->host.preset,
			caps, r->host.ipa_limit);
	/* H6: only when not Linux's defaults (madvise, huge zero page). */
	if (r->host.thp != S2MT_THP_MADVISE || !r->host.thp_zero_page)
		fprintf(f, "host THP: %s, huge zero page %s\n",
			s2mt_thp_mode_name(r->host.thp),
			r->host.thp_zero_page ? "on" : "off");
	kernel_text(f, &r->host.kernel, r->era);
	if (r->design != S2MT_DESIGN_MERGED)
		fprintf(f, "design %s: %s (never merged; docs/designs.md)\n",
			s2mt_design_name(r->design),
			s2mt_design_summary(r->design));

	fprintf(f, "\nSteps\n");
	for (size_t i = 0; i < sc->nr_steps; i++) {
		const struct step_result *s = &r->steps[i];
		char out[160];

		step_outcome(r, &sc->steps[i], s, out, sizeof(out));
		fprintf(f, "  %2zu  %-58s %s\n", i + 1, s->what, out);
		if (s->reason[0])
			fprintf(f, "      %s\n", s->reason);
		if (s->note[0])
			fprintf(f, "      %s\n", s->note);
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
		bool error = hazard_severity(h) == HZ_ERROR;

		fprintf(f, "  %s%s%s %s: %s%s\n      %s\n",
			colour(f, error ? C_RED : C_YELLOW),
			error ? "ERROR" : "WARN ", colour(f, C_OFF),
			s2mt_hazard_name(h->id), s2mt_hazard_title(h->id),
			expected ? " (expected)" : "", h->detail);
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

	run_leaf_name(r, l, s2, sizeof(s2));
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

json_t *hazard_list(uint32_t bits)
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
		json_pack("{s:s, s:s, s:b, s:b, s:b, s:b}", "preset",
			  r->host.preset, "arch", s2mt_arch_name(r->host.arch),
			  "fwb", r->host.caps.fwb, "dic", r->host.caps.dic,
			  "idc", r->host.caps.idc, "mte", r->host.caps.mte));
	json_object_set_new(json_object_get(root, "host"), "thp",
			    json_string(s2mt_thp_mode_name(r->host.thp)));
	json_object_set_new(json_object_get(root, "host"), "thp_zero_page",
			    json_boolean(r->host.thp_zero_page));
	if (r->host.arch != S2MT_ARCH_ARM64) {
		json_t *h = json_object_get(root, "host");

		json_object_set_new(h, "ignore_guest_pat_quirk",
				    json_boolean(r->host.x86_ignore_guest_pat));
		json_object_set_new(h, "noncoherent_dma",
				    json_boolean(r->host.x86_noncoherent_dma));
	}
	{
		json_t *has = json_array();
		char desc[160];

		for (unsigned i = 0; i < S2MT_KF_COUNT_; i++)
			if (s2mt_kernel_has(&r->host.kernel, i))
				json_array_append_new(
					has,
					json_string(
						s2mt_kernel_feature_name(i)));
		s2mt_kernel_describe(&r->host.kernel, desc, sizeof(desc));
		json_object_set_new(
			root, "kernel",
			json_pack("{s:s, s:s, s:o}", "release", desc, "rules",
				  s2mt_era_name(r->era), "has", has));
		json_object_set_new(root, "design",
				    json_string(s2mt_design_name(r->design)));
	}
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
			if (s->has_x86)
				json_object_set_new(
					o, "effective",
					json_pack("{s:s, s:s, s:b}", "type",
						  s2mt_x86_mt_name(s->x86_eff),
						  "guest_pat",
						  s2mt_x86_mt_name(
							  s->x86_guest_pat),
						  "wb_guaranteed",
						  s2mt_x86_leaf_guarantees_wb(
							  &s->x86_leaf)));
		}
		if (st->kind == SC_STEP_CAPABILITY ||
		    st->kind == SC_STEP_GET_DIRTY_LOG)
			json_object_set_new(o, "value", json_integer(s->value));
		json_object_set_new(o, "fails", json_boolean(s->fails));
		if (s->note[0])
			json_object_set_new(o, "note", json_string(s->note));
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
			if (!run_is_x86(r))
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
				  hazard_severity(h) == HZ_ERROR ? "error"
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

void print_step_differences(const struct scenario *sc,
			    const struct run *const *runs,
			    const char *const *names, size_t nr, int width)
{
	size_t first = 0;

	while (first < nr && !runs[first])
		first++;
	for (size_t i = 0; first < nr && i < sc->nr_steps; i++) {
		const struct run *r0 = runs[first];
		char a[160], b[160];
		bool differ = false;

		/* They differ when what they did or why differs; an
		 * identical pair is not a difference. */
		step_outcome(r0, &sc->steps[i], &r0->steps[i], a, sizeof(a));
		for (size_t k = first + 1; k < nr; k++) {
			if (!runs[k])
				continue;
			step_outcome(runs[k], &sc->steps[i], &runs[k]->steps[i],
				     b, sizeof(b));
			differ |= strcmp(a, b) != 0 ||
				strcmp(r0->steps[i].reason,
				       runs[k]->steps[i].reason) != 0;
		}
		if (!differ)
			continue;
		printf("  step %zu, %s:\n", i + 1, r0->steps[i].what);
		for (size_t k = 0; k < nr; k++) {
			if (!runs[k])
				continue;
			step_outcome(runs[k], &sc->steps[i], &runs[k]->steps[i],
				     b, sizeof(b));
			printf("    %-*s %s: %s\n", width, names[k], b,
			       runs[k]->steps[i].reason);
		}
	}
}

int dump_json(json_t *root)
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
const char *cli_kernels;

/* Parses "[--json] [--strict] FILE" for run/compare/advise. */
int cli_load(const char *cmd, int argc, char **argv, bool *json,
	     struct scenario *sc)
{
	static const struct option opts[] = { { "json", no_argument, 0, 'j' },
					      { "strict", no_argument, 0, 's' },
					      { "kernels", required_argument, 0,
						'k' },
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
		else if (c == 'k' && !strcmp(cmd, "compare"))
			cli_kernels = optarg;
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
	/* compare says it in its report, for the kernel it leaves out. */
	if (!r->use_kernel)
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

/* One column of s2mt compare: a kernel, and the story told under it. */
#define MAX_COLUMNS 8

struct column {
	struct s2mt_kernel kernel;
	char name[48];
	bool present; /* false: the host could not be built (say why) */
	struct run run;
};

static int compare_columns(const struct scenario *sc, struct column *col,
			   size_t *nr)
{
	char list[512], err[256];
	size_t n = 0;

	if (!cli_kernels) {
		bool gpu = false;

		for (size_t i = 0; i < sc->nr_devices; i++)
			gpu |= sc->devices[i].type == SC_DEV_NVGRACE;
		/* The three era representatives. A GPU story before 6.9
		 * gets the nvgrace-gpu driver as a backport (NVIDIA's
		 * out-of-tree one), said in the column's name: that era's
		 * answer is what the 6.9 series was about. */
		for (unsigned e = 0; e < S2MT_ERA_COUNT_; e++, n++) {
			s2mt_kernel_of_era(e, &col[n].kernel);
			snprintf(col[n].name, sizeof(col[n].name), "%s",
				 s2mt_era_name(e));
			if (gpu &&
			    !s2mt_kernel_has(&col[n].kernel,
					     S2MT_KF_NVGRACE_GPU) &&
			    !s2mt_kernel_add_backport(&col[n].kernel,
						      "nvgrace-gpu", err,
						      sizeof(err)))
				snprintf(col[n].name, sizeof(col[n].name),
					 "%s+nvgrace-gpu", s2mt_era_name(e));
		}
		*nr = n;
		return 0;
	}
	snprintf(list, sizeof(list), "%s", cli_kernels);
	for (char *save = NULL, *t = strtok_r(list, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		if (n == MAX_COLUMNS)
			return cli_usage_error("compare",
					       "--kernels: at most %d versions",
					       MAX_COLUMNS);
		if (s2mt_kernel_parse(t, &col[n].kernel, err, sizeof(err)))
			return cli_usage_error("compare", "--kernels: %s", err);
		/* The scenario's own release keeps its backports. */
		if (!strcmp(col[n].kernel.release, sc->kernel.release))
			col[n].kernel = sc->kernel;
		snprintf(col[n].name, sizeof(col[n].name), "%s", t);
		n++;
	}
	if (!n)
		return cli_usage_error("compare",
				       "--kernels: no version given");
	*nr = n;
	return 0;
}

static int name_width(const struct column *col, size_t nr)
{
	size_t w = 5;

	for (size_t k = 0; k < nr; k++)
		if (strlen(col[k].name) > w)
			w = strlen(col[k].name);
	return (int)w;
}

static int compare_status(const struct column *col, size_t nr)
{
	int worst = S2MT_EXIT_OK;

	for (size_t k = 0; k < nr; k++)
		if (col[k].present && run_exit_status(&col[k].run) > worst)
			worst = run_exit_status(&col[k].run);
	return worst;
}

uint32_t hazard_bits(const struct run *r)
{
	uint32_t bits = 0;

	for (size_t h = 0; h < r->nr_hazards && h < RUN_MAX_HAZARDS; h++)
		bits |= S2MT_HAZARD_BIT(r->hazards[h].id);
	return bits;
}

static void compare_json(const struct scenario *sc, struct column *col,
			 size_t nr, size_t first, int *status)
{
	json_t *root = json_object(), *rows = json_array(), *o;

	json_object_set_new(root, "file", json_string(sc->file));
	json_object_set_new(root, "host",
			    json_string(col[first].run.host.preset));
	o = json_array();
	for (size_t k = 0; k < nr; k++)
		json_array_append_new(
			o,
			col[k].present
				? json_pack("{s:s, s:s}", "kernel", col[k].name,
					    "rules",
					    s2mt_era_name(col[k].run.era))
				: json_pack("{s:s, s:s}", "kernel", col[k].name,
					    "left_out",
					    col[k].run.setup_error));
	json_object_set_new(root, "kernels", o);
	for (size_t i = 0; i < sc->nr_steps; i++) {
		json_t *eras = json_object();

		for (size_t k = 0; k < nr; k++) {
			const struct run *r = &col[k].run;
			char out[160];

			if (!col[k].present)
				continue;
			step_outcome(r, &sc->steps[i], &r->steps[i], out,
				     sizeof(out));
			json_object_set_new(
				eras, col[k].name,
				json_pack("{s:s, s:i, s:s, s:s, s:b}",
					  "outcome", out, "errno",
					  r->steps[i].err, "rule",
					  r->steps[i].rule ? r->steps[i].rule
							   : "",
					  "reason", r->steps[i].reason, "fails",
					  r->steps[i].fails));
		}
		json_array_append_new(rows,
				      json_pack("{s:I, s:s, s:o}", "step",
						(json_int_t)(i + 1), "what",
						col[first].run.steps[i].what,
						"eras", eras));
	}
	json_object_set_new(root, "steps", rows);
	rows = json_object();
	for (size_t k = 0; k < nr; k++)
		if (col[k].present)
			json_object_set_new(
				rows, col[k].name,
				hazard_list(hazard_bits(&col[k].run)));
	json_object_set_new(root, "hazards", rows);
	rows = json_object();
	for (size_t k = 0; k < nr; k++)
		if (col[k].present)
			json_object_set_new(
				rows, col[k].name,
				json_pack("{s:s, s:i}", "result",
					  result_word(&col[k].run), "exit",
					  run_exit_status(&col[k].run)));
	json_object_set_new(root, "verdicts", rows);
	*status = compare_status(col, nr);
	json_object_set_new(root, "result",
			    json_string(*status ? "findings" : "ok"));
	json_object_set_new(root, "exit", json_integer(*status));
	if (dump_json(root))
		*status = S2MT_EXIT_USAGE;
}

static void compare_text(const struct scenario *sc, struct column *col,
			 size_t nr, size_t first, int *status)
{
	printf("s2mt compare %s%s%s\nhost %s; the same story under each "
	       "kernel\n\n",
	       sc->file, sc->name[0] ? " - " : "", sc->name,
	       col[first].run.host.preset);
	printf("%-4s %-46s", "step", "what");
	for (size_t k = 0; k < nr; k++)
		if (col[k].present)
			printf(" | %-36s", col[k].name);
	printf("\n");
	for (size_t i = 0; i < sc->nr_steps; i++) {
		const char *what = col[first].run.steps[i].what;

		/* A long step text gets a line of its own, never cut. */
		if (strlen(what) > 46)
			printf("%-4zu %s\n%-4s %-46s", i + 1, what, "", "");
		else
			printf("%-4zu %-46s", i + 1, what);
		for (size_t k = 0; k < nr; k++) {
			const struct run *r = &col[k].run;
			char out[160];

			if (!col[k].present)
				continue;
			compare_cell(r, &sc->steps[i], &r->steps[i], out,
				     sizeof(out));
			printf(" | %-36.36s", out);
		}
		printf("\n");
	}
	printf("%-4s %-46s", "", "hazards at the end");
	for (size_t k = 0; k < nr; k++) {
		uint32_t bits = hazard_bits(&col[k].run);
		char list[64] = "";

		if (!col[k].present)
			continue;
		for (unsigned z = S2MT_Z1; z <= S2MT_Z8; z++)
			if (bits & S2MT_HAZARD_BIT(z))
				snprintf(list + strlen(list),
					 sizeof(list) - strlen(list), "%s ",
					 s2mt_hazard_name(z));
		printf(" | %-36s", bits ? list : "none");
	}
	printf("\n\nWhere the kernels differ:\n");
	{
		const struct run *runs[MAX_COLUMNS] = { 0 };
		const char *names[MAX_COLUMNS] = { 0 };

		for (size_t k = 0; k < nr; k++) {
			runs[k] = col[k].present ? &col[k].run : NULL;
			names[k] = col[k].name;
		}
		print_step_differences(sc, runs, names, nr,
				       name_width(col, nr));
	}
	for (size_t k = 0; k < nr; k++)
		if (!col[k].present)
			printf("\n%s left out: %s\n", col[k].name,
			       col[k].run.setup_error);
	printf("\nVerdict per kernel (the scenario's expectations count "
	       "under its own rules, %s):\n",
	       s2mt_era_name(sc->era));
	for (size_t k = 0; k < nr; k++)
		if (col[k].present)
			printf("  %-*s %s (exit %d)\n", name_width(col, nr),
			       col[k].name, result_word(&col[k].run),
			       run_exit_status(&col[k].run));
	*status = compare_status(col, nr);
	printf("Result: %s (exit %d, the worst kernel)\n",
	       *status ? "findings" : "ok", *status);
}

/* s2mt compare: the same story under several kernels, side by side. */
int cmd_compare(int argc, char **argv)
{
	struct scenario *sc = calloc(1, sizeof(*sc));
	struct column *col = calloc(MAX_COLUMNS, sizeof(*col));
	size_t nr = 0, first = MAX_COLUMNS;
	bool json;
	int status;

	if (!sc || !col)
		return S2MT_EXIT_USAGE;
	status = cli_load("compare", argc, argv, &json, sc);
	if (!status)
		status = compare_columns(sc, col, &nr);
	if (!status)
		status = cli_check_memory(sc, 2);
	if (status)
		goto out;
	for (size_t k = 0; k < nr; k++) {
		col[k].run.kernel = col[k].kernel;
		col[k].run.use_kernel = true;
		status = cli_run_era(sc, s2mt_kernel_era(&col[k].kernel),
				     &col[k].run);
		if (status == S2MT_EXIT_USAGE && col[k].run.setup_error[0]) {
			/* A kernel without a driver the story needs
			 * (nvgrace-gpu before 6.9): left out, and said so. */
			status = 0;
			continue;
		}
		if (status)
			goto free_runs;
		col[k].present = true;
		if (first == MAX_COLUMNS)
			first = k;
		/* The report needs the steps and hazards, not the tables:
		 * one kernel's tables at a time. */
		run_free(&col[k].run);
	}
	if (first == MAX_COLUMNS) {
		fprintf(stderr, "s2mt compare: no kernel can run this story\n");
		status = S2MT_EXIT_USAGE;
		goto free_runs;
	}
	if (json)
		compare_json(sc, col, nr, first, &status);
	else
		compare_text(sc, col, nr, first, &status);
free_runs:
	for (size_t k = 0; k < nr; k++)
		run_free(&col[k].run);
out:
	free(col);
	free(sc);
	return status;
}
