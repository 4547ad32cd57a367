// SPDX-License-Identifier: MIT
#include <inttypes.h>
#include <stdio.h>

#include "size.h"

void sc_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char suffix[] = "KMGT";

	if (!buf || !len)
		return;
	for (int i = 3; i >= 0; i--) {
		unsigned shift = 10 * ((unsigned)i + 1);

		if (bytes && !(bytes & ((1ull << shift) - 1))) {
			snprintf(buf, len, "%" PRIu64 "%c", bytes >> shift,
				 suffix[i]);
			return;
		}
	}
	snprintf(buf, len, "%" PRIu64, bytes);
}
