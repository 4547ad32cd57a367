/* SPDX-License-Identifier: MIT */
/* The leaf-by-leaf reference hazard checker (hazard_ref.c). */
#ifndef S2MT_TEST_HAZARD_REF_H
#define S2MT_TEST_HAZARD_REF_H

#include <s2mt/model.h>

int ref_check_hazards(const struct s2mt_kvm *kvm,
		      const struct s2mt_migration_target *target,
		      struct s2mt_hazard *out, size_t max, size_t *nr);

#endif
