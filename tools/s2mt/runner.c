// SPDX-License-Identifier: MIT
/*
 * The scenario runner: builds the host, its devices and the VMM's address
 * space, then tells the story step by step through the KVM model, checking
 * each step's expectations, and finally collects the stage-2 layout and
 * the hazards (SPEC section 9).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "runner.h"

static void set_reason(struct step_result *s, const char *rule, const char *why)
{
	s->rule = rule;
	snprintf(s->reason, sizeof(s->reason), "%s", why ? why : "");
}

static uint64_t sc_mmap_pa(const struct run *r, const struct sc_mmap *m)
{
	const struct s2mt_device *d;

	if (m->device < 0)
		return m->pa;
	d = &r->host.devices[r->dev_index[m->device]];
	return d->bars[m->bar].pa + m->offset;
}

static int do_mmap(struct run *r, int idx, struct step_result *s)
{
	const struct sc_mmap *m = &r->sc->mmaps[idx];
	struct s2mt_mmap_req req = {
		.addr = m->fixed ? m->hva : 0,
		.len = m->size,
		.prot = m->prot,
		.flags = (m->shared ? S2MT_MAP_SHARED : S2MT_MAP_PRIVATE) |
			(m->fixed ? S2MT_MAP_FIXED : 0),
		.align_hint = m->align_to,
		.align_offset = m->align_offset,
	};
	uint64_t hva = 0;
	char size[24];
	int dev = m->device >= 0 ? r->dev_index[m->device] : -1;
	int err;

	sc_format_size(m->size, size, sizeof(size));
	snprintf(s->what, sizeof(s->what), "mmap %s (%s, %s)", m->name,
		 sc_mmap_kind_name(m->kind), size);
	switch (m->kind) {
	case SC_MMAP_ANONYMOUS:
		err = s2mt_mm_mmap_anon(&r->mm, &req, S2MT_BACK_ANON, &hva);
		break;
	case SC_MMAP_THP:
		err = s2mt_mm_mmap_anon(&r->mm, &req, S2MT_BACK_THP, &hva);
		break;
	case SC_MMAP_HUGETLB_2M:
		err = s2mt_mm_mmap_anon(&r->mm, &req, S2MT_BACK_HUGETLB_2M,
					&hva);
		break;
	case SC_MMAP_HUGETLB_1G:
		err = s2mt_mm_mmap_anon(&r->mm, &req, S2MT_BACK_HUGETLB_1G,
					&hva);
		break;
	case SC_MMAP_VFIO_BAR:
		err = s2mt_mm_mmap_vfio_bar(&r->mm, &req, dev, m->bar,
					    m->offset, &hva);
		break;
	case SC_MMAP_NVGRACE_USEMEM:
		err = s2mt_mm_mmap_nvgrace(&r->mm, &req, dev,
					   S2MT_NVGRACE_USEMEM, m->offset,
					   &hva);
		break;
	case SC_MMAP_NVGRACE_RESMEM:
		err = s2mt_mm_mmap_nvgrace(&r->mm, &req, dev,
					   S2MT_NVGRACE_RESMEM, m->offset,
					   &hva);
		break;
	case SC_MMAP_CMEM:
		err = s2mt_mm_mmap_cmem(&r->mm, &req, dev, m->offset, m->sync,
					&hva);
		break;
	default:
		err = s2mt_mm_mmap_devmem(&r->mm, &req, sc_mmap_pa(r, m), &hva);
		break;
	}
	if (err) {
		set_reason(s, r->mm.rule, r->mm.why);
		return err;
	}
	r->mmap_hva[idx] = hva;
	r->mmap_live[idx] = true;
	snprintf(s->reason, sizeof(s->reason), "HVA %#llx-%#llx",
		 (unsigned long long)hva, (unsigned long long)(hva + m->size));
	return 0;
}

static int need_live_mmap(struct run *r, int idx, struct step_result *s)
{
	if (r->mmap_live[idx])
		return 0;
	set_reason(s, "scenario", "scenario: that mmap is not mapped (yet)");
	return -S2MT_EINVAL;
}

static int do_munmap_mprotect(struct run *r, const struct sc_step *st,
			      struct step_result *s)
{
	const struct sc_mmap *m = &r->sc->mmaps[st->ref];
	uint64_t size = st->size ? st->size : m->size - st->offset;
	uint64_t addr = r->mmap_hva[st->ref] + st->offset;
	int err;

	snprintf(s->what, sizeof(s->what), "%s %s [+%#llx, %#llx bytes)",
		 st->kind == SC_STEP_MUNMAP ? "munmap" : "mprotect", m->name,
		 (unsigned long long)st->offset, (unsigned long long)size);
	err = need_live_mmap(r, st->ref, s);
	if (err)
		return err;
	if (st->kind == SC_STEP_MUNMAP)
		err = s2mt_mm_munmap(&r->mm, addr, size);
	else
		err = s2mt_mm_mprotect(&r->mm, addr, size, st->prot);
	if (err)
		set_reason(s, r->mm.rule, r->mm.why);
	else if (st->kind == SC_STEP_MUNMAP && !st->offset && size == m->size)
		r->mmap_live[st->ref] = false;
	if (!err)
		set_reason(s, "K8",
			   "K8: the MMU notifier unmaps the stage-2 "
			   "of that range");
	return err;
}

static int create_vm(struct run *r, struct step_result *s)
{
	int err;

	if (s && run_is_x86(r))
		snprintf(s->what, sizeof(s->what), "create VM");
	else if (s)
		snprintf(s->what, sizeof(s->what), "create VM (IPA %u bits%s)",
			 r->sc->vm.ipa_bits ? r->sc->vm.ipa_bits
					    : S2MT_KVM_DEFAULT_IPA_BITS,
			 r->sc->vm.mte ? ", MTE" : "");
	if (r->vm) {
		if (s)
			set_reason(s, "scenario",
				   "scenario: the VM exists already");
		return -S2MT_EEXIST;
	}
	err = s2mt_kvm_create_vm(&r->kvm, r->sc->vm.ipa_bits, &r->vm);
	if (err) {
		if (s)
			set_reason(s, r->kvm.rule, r->kvm.why);
		return err;
	}
	if (r->sc->vm.mte) {
		err = s2mt_vm_enable_cap(r->vm, KVM_CAP_ARM_MTE);
		if (err) {
			if (s)
				set_reason(s, r->vm->rule, r->vm->why);
			return err;
		}
	}
	if (s)
		set_reason(s, "A2", "A2: stage-2 tables ready");
	return 0;
}

/* VM steps create the VM first when the story did not. */
static int ensure_vm(struct run *r, struct step_result *s)
{
	int err;

	if (r->vm)
		return 0;
	err = create_vm(r, NULL);
	if (err)
		set_reason(s, r->kvm.rule, r->kvm.why);
	return err;
}

static const struct sc_slot *slot_def(const struct scenario *sc, uint32_t id)
{
	for (size_t i = 0; i < sc->nr_slots; i++)
		if (sc->slots[i].slot == id)
			return &sc->slots[i];
	return NULL;
}

/* The region as the VMM would pass it: the live slot's values if any,
 * else the definition's. */
static void slot_region(struct run *r, const struct sc_slot *def,
			struct s2mt_userspace_memory_region2 *mem)
{
	const struct s2mt_memslot *live = s2mt_vm_slot_by_id(r->vm, def->slot);

	memset(mem, 0, sizeof(*mem));
	mem->slot = def->slot;
	if (live) {
		mem->flags = live->flags;
		mem->guest_phys_addr = live->gpa;
		mem->memory_size = live->size;
		mem->userspace_addr = live->hva;
		return;
	}
	mem->flags = def->flags;
	mem->guest_phys_addr = def->gpa;
	mem->memory_size = def->size;
	mem->userspace_addr = def->mmap >= 0
		? r->mmap_hva[def->mmap] + def->mmap_offset
		: def->userspace_addr;
}

/* An address where nothing is mapped, for a slot over an mmap that is
 * not there: the mmap's own fixed address, else one far from the model's
 * first-fit area. */
static uint64_t hole_for(const struct run *r, int idx)
{
	const struct sc_mmap *m = &r->sc->mmaps[idx];
	uint64_t hva = 0x400000000000ULL + (uint64_t)idx * (1ULL << 40);

	if (m->fixed &&
	    !s2mt_mm_find_vma_intersection(&r->mm, m->hva, m->hva + m->size))
		return m->hva;
	return hva;
}

/* Whether [hva, hva+size) has a VMA the host maps cacheable (H3), and a
 * VM_PFNMAP one: what a VMM must know to set bit 3 (D1-D3). */
static void covers_cacheable(const struct run *r, uint64_t hva, uint64_t size,
			     struct step_result *s)
{
	for (size_t i = 0; i < r->mm.nr_vmas; i++) {
		const struct s2mt_vma *v = &r->mm.vmas[i];

		if (v->end <= hva || v->start >= hva + size ||
		    !s2mt_attrindx_cacheable(v->attrindx))
			continue;
		s->slot_cacheable = true;
		if (v->flags & S2MT_VM_PFNMAP)
			s->slot_cacheable_pfnmap = true;
	}
}

static int do_slot(struct run *r, const struct sc_step *st,
		   struct step_result *s)
{
	const struct sc_slot *def = slot_def(r->sc, st->slot);
	struct s2mt_userspace_memory_region2 mem;
	char size[24];
	int err;

	/* The step says what it is, even when there is no VM to do it. */
	memset(&mem, 0, sizeof(mem));
	switch (st->kind) {
	case SC_STEP_MEMSLOT:
		mem.slot = def->slot;
		mem.flags = def->flags;
		mem.guest_phys_addr = def->gpa;
		mem.memory_size = def->size;
		mem.userspace_addr = def->mmap >= 0
			? r->mmap_hva[def->mmap] + def->mmap_offset
			: def->userspace_addr;
		sc_format_size(def->size, size, sizeof(size));
		snprintf(s->what, sizeof(s->what),
			 "memslot %u -> gpa %#llx, %s%s%s, flags %#x",
			 def->slot, (unsigned long long)def->gpa, size,
			 def->mmap >= 0 ? " of " : "",
			 def->mmap >= 0 ? r->sc->mmaps[def->mmap].name : "",
			 def->flags);
		break;
	case SC_STEP_SLOT_DELETE:
		snprintf(s->what, sizeof(s->what), "delete memslot %u",
			 def->slot);
		break;
	case SC_STEP_SLOT_MOVE:
		snprintf(s->what, sizeof(s->what), "move memslot %u to %#llx",
			 def->slot, (unsigned long long)st->gpa);
		break;
	case SC_STEP_SLOT_FLAGS:
		snprintf(s->what, sizeof(s->what), "memslot %u flags -> %#x",
			 def->slot, st->flags);
		break;
	default: /* SC_STEP_DIRTY_LOG */
		snprintf(s->what, sizeof(s->what),
			 "turn dirty logging %s for memslot %u",
			 st->enable ? "on" : "off", def->slot);
		break;
	}
	err = ensure_vm(r, s);
	if (err)
		return err;
	if (st->kind != SC_STEP_MEMSLOT) {
		/* The live slot's values (else the definition's), changed
		 * as the step says. */
		slot_region(r, def, &mem);
		if (st->kind == SC_STEP_SLOT_DELETE)
			mem.memory_size = 0;
		else if (st->kind == SC_STEP_SLOT_MOVE)
			mem.guest_phys_addr = st->gpa;
		else if (st->kind == SC_STEP_SLOT_FLAGS)
			mem.flags = st->flags;
		else if (st->enable)
			mem.flags |= KVM_MEM_LOG_DIRTY_PAGES;
		else
			mem.flags &= ~(uint32_t)KVM_MEM_LOG_DIRTY_PAGES;
	}
	if (def->mmap >= 0 && st->kind == SC_STEP_MEMSLOT &&
	    !r->mmap_live[def->mmap]) {
		/* The mmap failed or is gone: the VMM passes an address
		 * where nothing is mapped. KVM accepts it (M3 skips holes
		 * between VMAs) and the first fault there gets -EFAULT. */
		mem.userspace_addr = hole_for(r, def->mmap) + def->mmap_offset;
	}
	covers_cacheable(r, mem.userspace_addr, mem.memory_size, s);
	/* As QEMU does: the REGION2 ioctl where the kernel has it (6.8,
	 * KVM_CAP_USER_MEMORY2), the first one before. */
	if (s2mt_kernel_has(&r->host.kernel, S2MT_KF_USER_MEMORY2)) {
		err = s2mt_vm_set_user_memory_region2(r->vm, &mem);
	} else {
		struct s2mt_userspace_memory_region v1 = {
			.slot = mem.slot,
			.flags = mem.flags,
			.guest_phys_addr = mem.guest_phys_addr,
			.memory_size = mem.memory_size,
			.userspace_addr = mem.userspace_addr,
		};

		err = s2mt_vm_set_user_memory_region(r->vm, &v1);
	}
	set_reason(s, r->vm->rule, r->vm->why);
	return err;
}

static int do_get_dirty_log(struct run *r, const struct sc_step *st,
			    struct step_result *s)
{
	const struct s2mt_memslot *live;
	uint64_t *bitmap, words, dirty = 0;
	int err = ensure_vm(r, s);

	snprintf(s->what, sizeof(s->what), "get dirty log of memslot %u",
		 st->slot);
	if (err)
		return err;
	live = s2mt_vm_slot_by_id(r->vm, st->slot);
	words = live ? (live->size / S2MT_PAGE_SIZE + 63) / 64 : 1;
	bitmap = calloc(words, 8);
	if (!bitmap)
		return -S2MT_ENOMEM;
	err = s2mt_vm_get_dirty_log(r->vm, st->slot, bitmap);
	if (!err) {
		for (uint64_t i = 0; i < words; i++)
			dirty += (uint64_t)__builtin_popcountll(bitmap[i]);
		s->value = (long)dirty;
		snprintf(s->reason, sizeof(s->reason),
			 "K7: %llu dirty pages; they are write-protected again",
			 (unsigned long long)dirty);
		s->rule = "K7";
	} else {
		set_reason(s, r->vm->rule, r->vm->why);
	}
	free(bitmap);
	return err;
}

void run_access_effective(const struct run *r, const struct sc_access *a,
			  const struct s2mt_leaf *leaf,
			  struct s2mt_effective *eff)
{
	struct s2mt_s2attr s2 = { .memattr = leaf->memattr, .sh = leaf->sh };

	s2mt_combine(a->s1, s2, r->host.caps.fwb, eff);
}

/* Pages a touch resolves between two progress reports. */
#define TOUCH_CHUNK (1ULL << 30)

static int do_access(struct run *r, size_t step, const struct sc_step *st,
		     struct step_result *s)
{
	const struct sc_access *a = &r->sc->accesses[st->ref];
	static const char *const names[] = { "", "read", "write", "", "exec" };
	struct s2mt_touch *t = &s->touch;
	char size[24];
	int err;

	sc_format_size(a->size, size, sizeof(size));
	snprintf(s->what, sizeof(s->what), "access %s: %s %s at %#llx", a->name,
		 names[a->access], size, (unsigned long long)a->ipa);
	err = ensure_vm(r, s);
	if (err)
		return err;
	/* The vCPU touches the range in address order; in pieces so that a
	 * long touch can report progress. */
	for (uint64_t p = a->ipa; p < a->ipa + a->size && !t->stopped;) {
		uint64_t n = a->ipa + a->size - p;

		if (n > TOUCH_CHUNK)
			n = TOUCH_CHUNK;
		s2mt_vm_touch(r->vm, p, n, a->access, t);
		p += n;
		r->pages_done += n / S2MT_PAGE_SIZE;
		if (r->progress)
			r->progress(r, step);
	}
	s->pages_touched = t->pages;
	s->faults = t->faults;
	s->faults_mapped = t->mapped + t->relaxed;
	s->ran_fault = true;
	if (t->stopped) {
		s->first = t->stop;
		s->stopped = t->stop_ipa != (a->ipa & ~(S2MT_PAGE_SIZE - 1));
	} else if (t->has_first) {
		s->first = t->first;
	} else {
		/* Every page was mapped with the permission already: the
		 * access does not fault at all. */
		memset(&s->first, 0, sizeof(s->first));
		s->first.outcome = S2MT_FAULT_SPURIOUS;
		s->first.slot = -1;
		s->first.has_leaf =
			!s2mt_pgt_lookup(&r->vm->pgt, a->ipa, &s->first.leaf);
		snprintf(s->first.reason, sizeof(s->first.reason),
			 "already mapped with that permission: no stage-2 "
			 "fault");
	}
	if (t->stopped && t->stop.err == -S2MT_ENOMEM) {
		r->oom = true;
		snprintf(
			r->oom_what, sizeof(r->oom_what),
			"stage-2 table pages for %s (the model held %llu "
			"MiB of tables when the host refused another page)",
			s->what,
			(unsigned long long)(s2mt_vm_table_bytes(r->vm) >> 20));
	}
	set_reason(s, s->first.rule, s->first.reason);
	if (t->retries) {
		size_t n = strlen(s->reason);

		snprintf(s->reason + n, sizeof(s->reason) - n,
			 "; taken again after %llu invalidated attempt%s "
			 "(%s)",
			 (unsigned long long)t->retries,
			 t->retries == 1 ? "" : "s", t->retry_why);
	}
	if (s->first.has_leaf && run_is_x86(r)) {
		s->has_x86 = true;
		run_x86_leaf(r, s->first.leaf.pa, &s->x86_leaf);
		s->x86_guest_pat = run_x86_guest_pat(&a->s1);
		s->x86_eff = s2mt_x86_effective(&s->x86_leaf, s->x86_guest_pat);
	} else if (s->first.has_leaf) {
		s->has_eff = true;
		run_access_effective(r, a, &s->first.leaf, &s->eff);
	}
	return s->first.err;
}

static int do_capability(struct run *r, const struct sc_step *st,
			 struct step_result *s)
{
	long v;

	snprintf(s->what, sizeof(s->what), "check capability %ld on %s",
		 st->cap, st->on_vm ? "the VM" : "/dev/kvm");
	if (st->on_vm) {
		int err = ensure_vm(r, s);

		if (err)
			return err;
		v = s2mt_vm_check_extension(r->vm, st->cap);
	} else {
		v = s2mt_kvm_check_extension(&r->kvm, st->cap);
	}
	s->value = v;
	if (v < 0) {
		set_reason(s, r->kvm.rule, r->kvm.why);
		return (int)v;
	}
	snprintf(s->reason, sizeof(s->reason), "capability %ld = %ld", st->cap,
		 v);
	s->rule =
		st->cap == KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED ? "C1" : "C";
	return 0;
}

static void add_hazard(struct run *r, const struct s2mt_hazard *h)
{
	if (r->nr_hazards < RUN_MAX_HAZARDS)
		r->hazards[r->nr_hazards] = *h;
	r->nr_hazards++;
}

/* What a migrate step does not check, said after what it does: QEMU
 * refuses a VM with a passed-through device that has no VFIO migration
 * support, and a destination CPU without the source's features. */
static void migrate_not_checked(const struct run *r, const struct sc_step *st,
				struct step_result *s)
{
	const struct s2mt_host_caps *a = &r->host.caps, *b = &st->target.caps;
	char devs[96] = "";

	for (size_t i = 0; i < r->sc->nr_devices; i++)
		snprintf(devs + strlen(devs), sizeof(devs) - strlen(devs),
			 "%s%s", devs[0] ? ", " : "", r->sc->devices[i].name);
	snprintf(s->note, sizeof(s->note),
		 "checked: memory types (capability 243, Z8) only; not "
		 "checked: %s%s%s; CPU features (%s%s%s%s)",
		 devs[0] ? "device migration for " : "no passed-through device",
		 devs,
		 devs[0] ? " (QEMU refuses without VFIO migration support)"
			 : "",
		 a->fwb != b->fwb ? "FWB differs, " : "",
		 a->dic != b->dic ? "DIC differs, " : "",
		 a->mte != b->mte ? "MTE differs, " : "",
		 "ID registers, PA size");
	s->migrate_devices = r->sc->nr_devices;
}

static int do_migrate(struct run *r, const struct sc_step *st,
		      struct step_result *s)
{
	struct s2mt_hazard hz[64];
	size_t nr = 0;

	snprintf(s->what, sizeof(s->what), "migrate to %s (%s)",
		 st->target.name, s2mt_era_name(st->target.era));
	s2mt_check_hazards(&r->kvm, &st->target, hz, 64, &nr);
	for (size_t i = 0; i < nr && i < 64; i++) {
		if (hz[i].id != S2MT_Z8)
			continue;
		s->nr_z8++;
		if (s->nr_z8 == 1)
			set_reason(s, "Z8", hz[i].detail);
		add_hazard(r, &hz[i]);
	}
	if (!s->nr_z8)
		set_reason(s, "C1",
			   "C1: the destination supports every slot's memory "
			   "type");
	migrate_not_checked(r, st, s);
	return 0;
}

#define FAIL(...)                                                              \
	do {                                                                   \
		snprintf(s->expect_msg, sizeof(s->expect_msg), __VA_ARGS__);   \
		s->expect_ok = false;                                          \
		return;                                                        \
	} while (0)

static void check_expect(struct run *r, const struct sc_step *st,
			 struct step_result *s)
{
	const struct sc_expect *e = &st->expect;
	char name[48];

	s->expect_checked = true;
	s->expect_ok = true;
	r->expectations++;
	if (e->has_errno && e->err != s->err)
		FAIL("expected errno %s, got %s", s2mt_errno_name(e->err),
		     s2mt_errno_name(s->err));
	if (e->has_value && e->value != s->value)
		FAIL("expected value %ld, got %ld", e->value, s->value);
	if (e->has_rule && (!s->rule || strcmp(e->rule, s->rule)))
		FAIL("expected rule %s, got %s", e->rule,
		     s->rule ? s->rule : "none");
	if (e->has_outcome && (!s->ran_fault || s->first.outcome != e->outcome))
		FAIL("expected outcome %s, got %s",
		     s2mt_fault_outcome_token(e->outcome),
		     s->ran_fault ? s2mt_fault_outcome_token(s->first.outcome)
				  : "none");
	if (e->has_leaf &&
	    (!s->first.has_leaf || s->first.leaf.size != e->leaf)) {
		char want[24], got[24] = "none";

		sc_format_size(e->leaf, want, sizeof(want));
		if (s->first.has_leaf)
			sc_format_size(s->first.leaf.size, got, sizeof(got));
		FAIL("expected a %s leaf, got %s", want, got);
	}
	if (e->has_stage2) {
		if (!s->first.has_leaf)
			FAIL("expected stage-2 %s, got no leaf", e->stage2);
		run_leaf_name(r, &s->first.leaf, name, sizeof(name));
		if (strcmp(name, e->stage2))
			FAIL("expected stage-2 %s, got %s", e->stage2, name);
	}
	if (e->has_effective) {
		if (!s->has_x86 && (!s->has_eff || s->eff.status))
			FAIL("expected effective %s, got none", e->effective);
		run_eff_name(r, s, name, sizeof(name));
		if (strcmp(name, e->effective))
			FAIL("expected effective %s, got %s", e->effective,
			     name);
	}
	snprintf(s->expect_msg, sizeof(s->expect_msg), "as expected");
}

static int setup_host(struct run *r)
{
	const struct scenario *sc = r->sc;
	int err;

	if (!strcmp(sc->preset, "custom"))
		err = s2mt_host_init_caps(&r->host, &sc->caps, r->era, sc->ram);
	else
		err = s2mt_host_init(&r->host, sc->preset, r->era, sc->ram);
	/* The scenario's own kernel, with its finer boundaries and
	 * backports; another era (compare) gets that era's representative. */
	if (!err && r->use_kernel)
		err = s2mt_host_set_kernel(&r->host, &r->kernel);
	else if (!err && r->era == sc->era && sc->kernel.major)
		err = s2mt_host_set_kernel(&r->host, &sc->kernel);
	if (!err && r->design != S2MT_DESIGN_MERGED)
		err = s2mt_host_set_design(&r->host, r->design);
	if (!err) {
		r->host.thp = sc->thp;
		r->host.thp_zero_page = sc->thp_zero_page;
	}
	if (!err && r->host.arch != S2MT_ARCH_ARM64) {
		r->host.x86_ignore_guest_pat = sc->x86_ignore_guest_pat;
		r->host.x86_noncoherent_dma = sc->x86_noncoherent_dma;
	}
	if (err)
		goto fail;
	for (size_t i = 0; i < sc->nr_devices; i++) {
		const struct sc_device *d = &sc->devices[i];

		err = sc_host_add_device(&r->host, d);
		if (err < 0)
			goto fail;
		r->dev_index[i] = err;
	}
	if (s2mt_mm_init(&r->mm, &r->host))
		goto fail;
	s2mt_kvm_open(&r->kvm, &r->host, &r->mm);
	return 0;
fail:
	snprintf(r->setup_error, sizeof(r->setup_error), "%s: %s", sc->file,
		 r->host.why);
	return -1;
}

/* The final stage-2 layout: every live slot, sub-range by sub-range, with
 * the hazards found at the end. */
static void collect_layout(struct run *r, const struct s2mt_hazard *hz,
			   size_t nr_hz)
{
	struct s2mt_s1attr wb = { .enabled = true,
				  .mair = 0xff,
				  .sh = S2MT_SH_ISH };

	if (!r->vm)
		return;
	for (size_t i = 0; i < r->vm->nr_slots; i++) {
		const struct s2mt_memslot *s = &r->vm->slots[i];
		size_t n = 0;

		if (r->nr_layout >= RUN_MAX_LAYOUT)
			break;
		if (s2mt_vm_query_hazards(r->vm, s->gpa, s->size, wb, hz, nr_hz,
					  &r->layout[r->nr_layout],
					  RUN_MAX_LAYOUT - r->nr_layout, &n))
			s2mt_oom("the layout query's indexes", 0);
		r->nr_layout += n < RUN_MAX_LAYOUT - r->nr_layout
			? n
			: RUN_MAX_LAYOUT - r->nr_layout;
	}
}

/* Enough to place every hazard of a run in the layout. */
#define HAZARD_SCAN_MAX 4096

static void check_hazards(struct run *r)
{
	struct s2mt_hazard *hz = calloc(HAZARD_SCAN_MAX, sizeof(*hz));
	const struct sc_hazard_expect *he = &r->sc->hazards;
	uint32_t found = 0;
	size_t nr = 0;

	if (!hz)
		s2mt_oom("the hazard list", HAZARD_SCAN_MAX * sizeof(*hz));
	s2mt_check_hazards(&r->kvm, NULL, hz, HAZARD_SCAN_MAX, &nr);
	for (size_t i = 0; i < nr && i < HAZARD_SCAN_MAX; i++)
		add_hazard(r, &hz[i]);
	collect_layout(r, hz, nr < HAZARD_SCAN_MAX ? nr : HAZARD_SCAN_MAX);
	free(hz);
	for (size_t i = 0; i < r->nr_hazards && i < RUN_MAX_HAZARDS; i++)
		found |= S2MT_HAZARD_BIT(r->hazards[i].id);
	for (size_t i = 0; i < r->nr_hazards && i < RUN_MAX_HAZARDS; i++) {
		const struct s2mt_hazard *h = &r->hazards[i];

		if (he->present & S2MT_HAZARD_BIT(h->id))
			continue;
		if (hazard_severity(h) == HZ_ERROR)
			r->hazard_errors++;
		else
			r->hazard_warnings++;
	}
	if (!r->sc->has_hazard_expect)
		return;
	r->expectations++;
	if ((he->present & found) != he->present || (he->absent & found) ||
	    (he->none && found))
		r->expectations_failed++;
}

static void judge_step(struct run *r, size_t i, const struct sc_step *st,
		       struct step_result *s);

int run_scenario(const struct scenario *sc, unsigned era, struct run *r)
{
	void (*progress)(struct run *, size_t) = r->progress;
	void *progress_arg = r->progress_arg;
	bool strict = r->strict, use_kernel = r->use_kernel;
	bool use_design = r->use_design;
	unsigned design = use_design ? r->design : sc->design;
	struct s2mt_kernel kernel = r->kernel;

	memset(r, 0, sizeof(*r));
	r->sc = sc;
	r->era = era;
	r->progress = progress;
	r->progress_arg = progress_arg;
	r->strict = strict;
	r->use_kernel = use_kernel;
	r->kernel = kernel;
	r->use_design = use_design;
	r->design = design;
	for (size_t i = 0; i < sc->nr_steps; i++)
		if (sc->steps[i].kind == SC_STEP_ACCESS)
			r->pages_total += sc->accesses[sc->steps[i].ref].size /
				S2MT_PAGE_SIZE;
	if (setup_host(r))
		return -1;
	/* A design may have raised the kernel to its base era. */
	r->era = r->host.era;
	for (size_t i = 0; i < sc->nr_steps; i++) {
		const struct sc_step *st = &sc->steps[i];
		struct step_result *s = &r->steps[i];

		switch (st->kind) {
		case SC_STEP_MMAP:
			s->err = do_mmap(r, st->ref, s);
			break;
		case SC_STEP_MUNMAP:
		case SC_STEP_MPROTECT:
			s->err = do_munmap_mprotect(r, st, s);
			break;
		case SC_STEP_CREATE_VM:
			s->err = create_vm(r, s);
			break;
		case SC_STEP_MEMSLOT:
		case SC_STEP_SLOT_DELETE:
		case SC_STEP_SLOT_MOVE:
		case SC_STEP_SLOT_FLAGS:
		case SC_STEP_DIRTY_LOG:
			s->err = do_slot(r, st, s);
			break;
		case SC_STEP_GET_DIRTY_LOG:
			s->err = do_get_dirty_log(r, st, s);
			break;
		case SC_STEP_ACCESS:
			s->err = do_access(r, i, st, s);
			break;
		case SC_STEP_CAPABILITY:
			s->err = do_capability(r, st, s);
			break;
		default:
			s->err = do_migrate(r, st, s);
			break;
		}
		if (st->has_expect) {
			check_expect(r, st, s);
			if (!s->expect_ok)
				r->expectations_failed++;
		}
		judge_step(r, i, st, s);
		r->steps_done = i + 1;
		if (r->oom)
			return -1;
	}
	check_hazards(r);
	if (r->vm) {
		r->had_vm = true;
		r->stats = r->vm->stats;
		r->table_bytes = s2mt_vm_table_bytes(r->vm);
		r->table_bytes_peak = r->vm->table_pages_peak * S2MT_PAGE_SIZE;
	}
	for (size_t i = 0; i < sc->nr_steps; i++) {
		r->pages_touched += r->steps[i].touch.pages;
		r->pages_hit += r->steps[i].touch.hits;
	}
	return 0;
}

void run_free(struct run *r)
{
	if (!r->sc || r->freed)
		return;
	s2mt_kvm_close(&r->kvm);
	s2mt_mm_fini(&r->mm);
	r->vm = NULL;
	r->freed = true;
}

/*
 * Z1-Z4 and Z7 break correctness or isolation whatever the guest does.
 * Z5 mixes attributes for one PA: with a cacheable and a non-cacheable
 * alias coherency is lost (an error); two non-cacheable types only differ
 * in ordering and speculation (a warning). Z6: the upstream Normal-NC
 * series (6.9) accepted it on purpose, because the guest's own stage 1
 * still decides - a guest that maps its registers Device gets Device, as
 * the stricter type wins (A3) - so only a guest that asks for Normal
 * memory over registers gets speculative reads. Z8 fails the migration
 * (the destination refuses the memslot), it corrupts nothing.
 */
static const char *const severity_reasons[] = {
	[S2MT_Z1] = "error: the guest can read stale data under a dirty host "
		    "cache line (and leak it)",
	[S2MT_Z2] = "error: memory the host can never clean is mapped "
		    "cacheable",
	[S2MT_Z3] = "error: the guest can see stale data the host never "
		    "cleaned",
	[S2MT_Z4] = "error: the guest can execute from device memory",
	[S2MT_Z5] = "error when one alias is cacheable (coherency is lost); "
		    "a warning when both are non-cacheable",
	[S2MT_Z6] = "warning: accepted upstream in 6.9 on purpose - the "
		    "guest's stage 1 decides, and a guest that maps its "
		    "registers Device keeps Device (the stricter type wins, "
		    "A3); only a guest that maps them Normal reads them "
		    "speculatively",
	[S2MT_Z7] = "error: the guest reaches memory the host no longer "
		    "gives it",
	[S2MT_Z8] = "error: the destination refuses the memslot, so the "
		    "migration fails (nothing is corrupted)",
};

const char *hazard_severity_reason(unsigned id)
{
	return id >= S2MT_Z1 && id <= S2MT_Z8 ? severity_reasons[id] : "?";
}

unsigned hazard_severity(const struct s2mt_hazard *h)
{
	if (h->id == S2MT_Z6)
		return HZ_WARNING;
	if (h->id == S2MT_Z5)
		return h->cacheable_alias ? HZ_ERROR : HZ_WARNING;
	return HZ_ERROR;
}

/* Whether a step's result stops the VMM: an errno it did not expect. */
static void judge_step(struct run *r, size_t i, const struct sc_step *st,
		       struct step_result *s)
{
	bool expected = st->has_expect &&
		(st->expect.has_errno || st->expect.has_outcome);

	if (st->kind == SC_STEP_ACCESS) {
		unsigned o = s->first.outcome;

		s->guest_visible = o == S2MT_FAULT_MMIO_EXIT ||
			o == S2MT_FAULT_INJECT_IABT ||
			o == S2MT_FAULT_INJECT_DABT;
		/* KVM_RUN returns -EFAULT: QEMU aborts ("Bad address"). */
		s->fails = o == S2MT_FAULT_EFAULT && !expected;
	} else if (st->kind == SC_STEP_CAPABILITY) {
		/* KVM_CHECK_EXTENSION's -EINVAL is an answer (C1): VMMs read
		 * it as "not here" and ask the VM handle. */
		s->fails = false;
	} else {
		s->fails = s->err != 0 && !expected;
	}
	if (s->fails) {
		r->failing_steps++;
		if (!r->first_failing_step)
			r->first_failing_step = i + 1;
	}
}

int run_exit_status(const struct run *r)
{
	/* A scenario's expectations describe its own kernel; another era
	 * (s2mt compare) is judged on its steps and hazards. */
	bool own = r->era == r->sc->era && r->design == r->sc->design;

	if ((own && r->expectations_failed) || r->failing_steps ||
	    r->hazard_errors || (r->strict && r->hazard_warnings))
		return S2MT_EXIT_FINDING;
	return S2MT_EXIT_OK;
}
