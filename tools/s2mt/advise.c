// SPDX-License-Identifier: MIT
/*
 * s2mt advise: for each device mmap behind a memslot, which stage-2 leaf
 * its HVA/PA/GPA alignment allows (K4), which alignment would allow 1 GiB,
 * and how many stage-2 faults touching the whole region costs now and at
 * the best placement. Fault counts come from the model itself: the mmap
 * and its slot are replayed alone, once as placed and once ideally placed.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "runner.h"

static bool is_device_kind(unsigned kind)
{
	return kind == SC_MMAP_VFIO_BAR || kind == SC_MMAP_NVGRACE_USEMEM ||
		kind == SC_MMAP_NVGRACE_RESMEM || kind == SC_MMAP_DEVMEM ||
		kind == SC_MMAP_CMEM;
}

/* The largest leaf K4 allows anywhere in the region: HVA and PA congruent,
 * GPA and HVA congruent, and an aligned block inside it. */
static uint64_t largest_leaf(uint64_t hva, uint64_t pa, uint64_t gpa,
			     uint64_t size)
{
	static const uint64_t sizes[] = { S2MT_SIZE_1G, S2MT_SIZE_2M };

	for (size_t i = 0; i < 2; i++) {
		uint64_t s = sizes[i], first = (hva + s - 1) & ~(s - 1);

		if ((hva & (s - 1)) == (pa & (s - 1)) &&
		    (gpa & (s - 1)) == (hva & (s - 1)) &&
		    first + s <= hva + size)
			return s;
	}
	return S2MT_SIZE_4K;
}

struct touch {
	int err; /* 0, or the step that failed */
	uint64_t faults, leaf;
};

/* Replays one mmap and one slot alone and touches every page. */
static void replay(const struct scenario *base, unsigned era, int mmap_idx,
		   const struct sc_slot *slot, bool fixed, uint64_t hva,
		   uint64_t align_offset, uint64_t gpa, struct touch *t)
{
	struct scenario *sc = malloc(sizeof(*sc));
	struct run *r = calloc(1, sizeof(*r));
	struct sc_mmap *m;
	struct sc_slot *s;

	memset(t, 0, sizeof(*t));
	if (!sc || !r)
		abort();
	*sc = *base;
	m = &sc->mmaps[mmap_idx];
	m->fixed = fixed;
	m->hva = hva;
	m->align_to = fixed ? 0 : S2MT_SIZE_1G;
	m->align_offset = align_offset;
	sc->nr_slots = 1;
	s = &sc->slots[0];
	*s = *slot;
	s->gpa = gpa;
	s->flags &= ~(uint32_t)KVM_MEM_LOG_DIRTY_PAGES; /* K4: pages only */
	sc->nr_accesses = 1;
	sc->accesses[0] = (struct sc_access){
		.ipa = gpa,
		.size = s->size,
		.access = S2MT_ACCESS_READ,
		.s1 = { .enabled = true, .mair = 0xff, .sh = S2MT_SH_ISH },
	};
	snprintf(sc->accesses[0].name, sizeof(sc->accesses[0].name), "touch");
	sc->nr_steps = 4;
	sc->steps[0] =
		(struct sc_step){ .kind = SC_STEP_MMAP, .ref = mmap_idx };
	sc->steps[1] = (struct sc_step){ .kind = SC_STEP_CREATE_VM };
	sc->steps[2] =
		(struct sc_step){ .kind = SC_STEP_MEMSLOT, .slot = s->slot };
	sc->steps[3] = (struct sc_step){ .kind = SC_STEP_ACCESS, .ref = 0 };
	sc->has_hazard_expect = false;
	if (run_scenario(sc, era, r)) {
		t->err = -1;
		goto out;
	}
	for (int i = 0; i < 4; i++)
		if (r->steps[i].err) {
			t->err = i + 1;
			break;
		}
	t->faults = r->steps[3].faults;
	if (r->steps[3].first.has_leaf)
		t->leaf = r->steps[3].first.leaf.size;
	run_free(r);
out:
	free(r);
	free(sc);
}

struct advice {
	const struct sc_mmap *m;
	const struct sc_slot *slot;
	uint64_t hva, pa, gpa, size;
	uint64_t now_leaf, best_leaf;
	uint64_t best_align_offset, best_gpa;
	struct touch now, best;
};

static void advise_one(const struct run *r, int mmap_idx,
		       const struct sc_slot *def, struct advice *a)
{
	const struct s2mt_vma *vma;
	uint64_t g = S2MT_SIZE_1G;

	memset(a, 0, sizeof(*a));
	a->m = &r->sc->mmaps[mmap_idx];
	a->slot = def;
	a->hva = r->mmap_hva[mmap_idx] + def->mmap_offset;
	a->gpa = def->gpa;
	a->size = def->size;
	vma = s2mt_mm_find_vma(&r->mm, r->mmap_hva[mmap_idx]);
	a->pa = vma ? vma->pa + (a->hva - vma->start) : 0;
	a->now_leaf = largest_leaf(a->hva, a->pa, a->gpa, a->size);
	/* Ideal: HVA and GPA congruent with the PA modulo 1 GiB. */
	a->best_align_offset = (a->pa - def->mmap_offset) & (g - 1);
	a->best_gpa = (a->gpa & ~(g - 1)) + (a->pa & (g - 1));
	a->best_leaf = largest_leaf(a->pa, a->pa, a->pa, a->size);
	replay(r->sc, r->era, mmap_idx, def, true, r->mmap_hva[mmap_idx], 0,
	       a->gpa, &a->now);
	replay(r->sc, r->era, mmap_idx, def, false, 0, a->best_align_offset,
	       a->best_gpa, &a->best);
}

static void print_advice(const struct advice *a)
{
	char size[24], now[24], best[24];
	uint64_t g = S2MT_SIZE_1G, m2 = S2MT_SIZE_2M;

	sc_format_size(a->size, size, sizeof(size));
	sc_format_size(a->now_leaf, now, sizeof(now));
	sc_format_size(a->best_leaf, best, sizeof(best));
	printf("mmap %s (%s) -> memslot %u, %s\n", a->m->name,
	       sc_mmap_kind_name(a->m->kind), a->slot->slot, size);
	printf("  HVA %#llx  PA %#llx  GPA %#llx\n", (unsigned long long)a->hva,
	       (unsigned long long)a->pa, (unsigned long long)a->gpa);
	printf("  HVA-PA  mod 1G = %#llx, mod 2M = %#llx\n",
	       (unsigned long long)((a->hva - a->pa) & (g - 1)),
	       (unsigned long long)((a->hva - a->pa) & (m2 - 1)));
	printf("  GPA-HVA mod 1G = %#llx, mod 2M = %#llx\n",
	       (unsigned long long)((a->gpa - a->hva) & (g - 1)),
	       (unsigned long long)((a->gpa - a->hva) & (m2 - 1)));
	printf("  largest stage-2 leaf the alignment allows: %s (K4)\n", now);
	if (a->best_leaf == S2MT_SIZE_1G && a->now_leaf != S2MT_SIZE_1G)
		printf("  for 1G leaves: mmap the region at an HVA = %#llx mod "
		       "1G (scenario: align: {to: 1G, offset: %#llx}) and put "
		       "guest_phys_addr at %#llx mod 1G (e.g. %#llx)\n",
		       (unsigned long long)a->best_align_offset,
		       (unsigned long long)a->best_align_offset,
		       (unsigned long long)(a->pa & (g - 1)),
		       (unsigned long long)a->best_gpa);
	else if (a->best_leaf != S2MT_SIZE_1G)
		printf("  1G leaves are impossible: the region (PA %#llx, %s) "
		       "holds no aligned 1 GiB block; at best %s\n",
		       (unsigned long long)a->pa, size, best);
	else
		printf("  already placed for 1G leaves\n");
	if (a->now.err || a->best.err) {
		printf("  fault counts unavailable: the replay failed at step "
		       "%d (now) / %d (best)\n",
		       a->now.err, a->best.err);
		return;
	}
	printf("  stage-2 faults to touch all of it: now %llu, at the best "
	       "placement %llu",
	       (unsigned long long)a->now.faults,
	       (unsigned long long)a->best.faults);
	if (a->best.faults && a->now.faults > a->best.faults)
		printf(" (%llux fewer)",
		       (unsigned long long)(a->now.faults / a->best.faults));
	printf("\n\n");
}

static json_t *advice_json(const struct advice *a)
{
	char buf[6][24];

	snprintf(buf[0], 24, "0x%llx", (unsigned long long)a->hva);
	snprintf(buf[1], 24, "0x%llx", (unsigned long long)a->pa);
	snprintf(buf[2], 24, "0x%llx", (unsigned long long)a->gpa);
	snprintf(buf[3], 24, "0x%llx",
		 (unsigned long long)a->best_align_offset);
	snprintf(buf[4], 24, "0x%llx", (unsigned long long)a->best_gpa);
	return json_pack(
		"{s:s, s:s, s:i, s:I, s:s, s:s, s:s, s:I, s:I, "
		"s:s, s:s, s:I, s:I, s:b}",
		"mmap", a->m->name, "kind", sc_mmap_kind_name(a->m->kind),
		"slot", (int)a->slot->slot, "size", (json_int_t)a->size, "hva",
		buf[0], "pa", buf[1], "gpa", buf[2], "largest_leaf",
		(json_int_t)a->now_leaf, "best_leaf", (json_int_t)a->best_leaf,
		"best_hva_mod_1g", buf[3], "best_gpa", buf[4], "faults_now",
		(json_int_t)a->now.faults, "faults_best",
		(json_int_t)a->best.faults, "replay_ok",
		!a->now.err && !a->best.err);
}

int cmd_advise(int argc, char **argv)
{
	struct scenario *sc = calloc(1, sizeof(*sc));
	struct run *r = calloc(1, sizeof(*r));
	json_t *list = NULL;
	bool json;
	size_t found = 0;
	int status;

	if (!sc || !r)
		return S2MT_EXIT_USAGE;
	status = cli_load("advise", argc, argv, &json, sc);
	if (!status)
		status = cli_run(sc, r);
	if (status)
		goto out;
	if (json)
		list = json_array();
	else
		printf("s2mt advise %s\nhost %s, kernel era %s: stage-2 leaf "
		       "sizes for device memory (K4)\n\n",
		       sc->file, r->host.preset, s2mt_era_name(r->era));
	for (size_t i = 0; i < sc->nr_mmaps; i++) {
		if (!is_device_kind(sc->mmaps[i].kind) || !r->mmap_live[i])
			continue;
		for (size_t j = 0; j < sc->nr_slots; j++) {
			struct advice a;

			if (sc->slots[j].mmap != (int)i)
				continue;
			advise_one(r, (int)i, &sc->slots[j], &a);
			found++;
			if (json)
				json_array_append_new(list, advice_json(&a));
			else
				print_advice(&a);
		}
	}
	if (json) {
		json_t *root =
			json_pack("{s:s, s:s, s:o}", "file", sc->file, "kernel",
				  s2mt_era_name(r->era), "advice", list);

		json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(root);
	} else if (!found) {
		printf("no device mmap backs a memslot: nothing to advise\n");
	}
	run_free(r);
out:
	free(r);
	free(sc);
	return status;
}
