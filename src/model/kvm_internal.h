/* SPDX-License-Identifier: MIT */
/*
 * What kvm.c (VMs, memslots, the notifier) and fault.c (the fault path)
 * share. Not installed: nothing here is API.
 */
#ifndef S2MT_MODEL_KVM_INTERNAL_H
#define S2MT_MODEL_KVM_INTERNAL_H

#include <stdarg.h>
#include <stdio.h>

#include <s2mt/model.h>

#define PAGE_SIZE S2MT_PAGE_SIZE

static inline void set_why(char *why, const char **rulep, const char *rule,
			   const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A refusal's sentence and the rule it names (vm->why, kvm->why). */
static inline void set_why(char *why, const char **rulep, const char *rule,
			   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, S2MT_WHY_LEN, fmt, ap);
	va_end(ap);
	*rulep = rule;
}

#define VM_WHY(vm, id, ...) set_why((vm)->why, &(vm)->rule, id, __VA_ARGS__)

#endif
