/* SPDX-License-Identifier: MIT */
/* Sizes as the tool prints them, shared by the scenario loader and the
 * probe (which is built without the loader). */
#ifndef S2MT_TOOL_SIZE_H
#define S2MT_TOOL_SIZE_H

#include <stddef.h>
#include <stdint.h>

/* "4K", "1G", "16384": the largest unit that divides bytes exactly. */
void sc_format_size(uint64_t bytes, char *buf, size_t len);

#endif
