/* SPDX-License-Identifier: MIT */
/* The model behind the VMM interface (include/s2mt/vmm.h). */
#ifndef S2MT_CONF_BACKEND_MODEL_H
#define S2MT_CONF_BACKEND_MODEL_H

#include <s2mt/model.h>
#include <s2mt/vmm.h>

struct model_backend {
	struct s2mt_host host;
	struct s2mt_mm mm;
	struct s2mt_kvm kvm;
	struct s2mt_vm *vms[S2MT_MAX_VMS];
	size_t nr_vms;
	bool code_ready[S2MT_MAX_VMS];
	bool code_fault[S2MT_MAX_VMS]; /* its first fetch has not faulted yet */
	int dev_mmio, dev_edu, dev_cmem; /* host device indices */
};

extern const struct s2mt_vmm_ops s2mt_vmm_model_ops;

/* kernel: the booted kernel's release (uname -r), or NULL for the era's
 * representative. */
int model_backend_init(struct model_backend *m, const char *preset,
		       unsigned era, const struct s2mt_kernel *kernel);
void model_backend_fini(struct model_backend *m);

#endif
