/* SPDX-License-Identifier: MIT */
/* The leaf-collecting reference memory-type query (query_ref.c). */
#ifndef S2MT_TEST_QUERY_REF_H
#define S2MT_TEST_QUERY_REF_H

#include <s2mt/model.h>

int ref_vm_query(struct s2mt_vm *vm, uint64_t ipa, uint64_t size,
		 struct s2mt_s1attr guest_s1, const struct s2mt_hazard *hz,
		 size_t nr_hz, struct s2mt_query_entry *out, size_t max,
		 size_t *nr);

#endif
