/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The test module's ioctl (s2mt_cmem.c), shared with the conformance
 * /init: the stage-2 leaf that maps one IPA of a KVM VM of the caller.
 */
#ifndef S2MT_CMEM_H
#define S2MT_CMEM_H

#include <linux/ioctl.h>
#include <linux/types.h>

struct s2mt_cmem_leaf {
	__s32 vmfd; /* in: a KVM VM fd of the calling process */
	__u32 level; /* out: the level the walk stopped at */
	__u64 ipa; /* in */
	__u64 desc; /* out: the leaf descriptor, 0 if none */
	__u64 hcr_fwb; /* out: whether KVM uses FEAT_S2FWB */
};

#define S2MT_CMEM_LEAF _IOWR('S', 0x21, struct s2mt_cmem_leaf)

#endif
