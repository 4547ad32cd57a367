// SPDX-License-Identifier: MIT
#include "fmt.h"

void s2mt_fmt_init(struct s2mt_fmt *f, char *buf, size_t len)
{
	f->buf = buf;
	f->len = len;
	f->pos = 0;
	if (len)
		buf[0] = '\0';
}

static void put(struct s2mt_fmt *f, char c)
{
	if (!f->len)
		return;
	if (f->pos + 1 < f->len) {
		f->buf[f->pos] = c;
		f->buf[f->pos + 1] = '\0';
	}
	f->pos++;
}

void s2mt_fmt_str(struct s2mt_fmt *f, const char *s)
{
	size_t room;

	if (!f->len)
		return; /* nothing is kept: s2mt_fmt_done() says 0 */
	/* One terminator at the end, not one per character. */
	room = f->pos + 1 < f->len ? f->len - 1 - f->pos : 0;
	for (; *s && room; room--)
		f->buf[f->pos++] = *s++;
	f->buf[f->pos < f->len ? f->pos : f->len - 1] = '\0';
	while (*s++)
		f->pos++;
}

void s2mt_fmt_hex(struct s2mt_fmt *f, uint64_t v, unsigned min_digits)
{
	char tmp[16];
	unsigned n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v && n < 16);
	while (n < min_digits && n < 16)
		tmp[n++] = '0';
	put(f, '0');
	put(f, 'x');
	while (n)
		put(f, tmp[--n]);
}

void s2mt_fmt_bin(struct s2mt_fmt *f, uint64_t v, unsigned digits)
{
	put(f, '0');
	put(f, 'b');
	while (digits--)
		put(f, (v >> digits) & 1 ? '1' : '0');
}

void s2mt_fmt_dec(struct s2mt_fmt *f, uint64_t v)
{
	char tmp[20];
	unsigned n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		put(f, tmp[--n]);
}

size_t s2mt_fmt_done(struct s2mt_fmt *f)
{
	if (!f->len)
		return 0;
	return f->pos < f->len ? f->pos : f->len - 1;
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

int s2mt_str_ieq(const char *a, const char *b)
{
	while (*a && *b && lower(*a) == lower(*b)) {
		a++;
		b++;
	}
	return *a == '\0' && *b == '\0';
}

int s2mt_str_to_u64(const char *s, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;

	if (!s || !*s)
		return -1;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
		base = 2;
		s += 2;
	}
	if (!*s)
		return -1;
	for (; *s; s++) {
		unsigned d;
		char c = lower(*s);

		if (c == '_')
			continue;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			return -1;
		if (d >= base)
			return -1;
		if (v > (UINT64_MAX - d) / base)
			return -1;
		v = v * base + d;
	}
	*out = v;
	return 0;
}
