/* SPDX-License-Identifier: MIT */
/*
 * Fixtures that put a Grace-Hopper GPU on every era's host: the nvgrace-gpu
 * driver arrived in 6.9, so the 6.8 era's host gets it as a backport (the
 * out-of-tree driver NVIDIA shipped for older kernels, where KVM maps its
 * regions Device). Call before adding devices.
 */
#ifndef S2MT_TEST_DRIVER_H
#define S2MT_TEST_DRIVER_H

#include <s2mt/model.h>

static inline int host_with_nvgrace_driver(struct s2mt_host *host)
{
	struct s2mt_kernel k = host->kernel;
	char err[160];

	if (s2mt_kernel_has(&k, S2MT_KF_NVGRACE_GPU))
		return 0;
	if (s2mt_kernel_add_backport(&k, "nvgrace-gpu", err, sizeof(err)))
		return -1;
	return s2mt_host_set_kernel(host, &k);
}

#endif
