/* SPDX-License-Identifier: MIT */
/* Freestanding text building for explanations (no libc in the core). */
#ifndef S2MT_CORE_FMT_H
#define S2MT_CORE_FMT_H

#include <stddef.h>
#include <stdint.h>

/* Appends to a fixed buffer; output past its end is counted, not written,
 * and the buffer is always NUL-terminated (when len > 0). */
struct s2mt_fmt {
	char *buf;
	size_t len;
	size_t pos; /* characters produced, even those that did not fit */
};

void s2mt_fmt_init(struct s2mt_fmt *f, char *buf, size_t len);
void s2mt_fmt_str(struct s2mt_fmt *f, const char *s);
void s2mt_fmt_hex(struct s2mt_fmt *f, uint64_t v, unsigned min_digits);
void s2mt_fmt_bin(struct s2mt_fmt *f, uint64_t v, unsigned digits);
void s2mt_fmt_dec(struct s2mt_fmt *f, uint64_t v);
/* Length written into buf (excluding the NUL). */
size_t s2mt_fmt_done(struct s2mt_fmt *f);

/* Case-insensitive comparison of NUL-terminated strings. */
int s2mt_str_ieq(const char *a, const char *b);
/* Parses decimal or 0x/0b-prefixed numbers; 0 or -1. */
int s2mt_str_to_u64(const char *s, uint64_t *out);

#endif
