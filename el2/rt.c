// SPDX-License-Identifier: MIT
/*
 * The EL2 runtime: PL011 console, printf, failure accounting, semihosting
 * exit, the EL2 identity map and the CPU's features.
 */
#include "rt.h"

struct el2_cpu el2_cpu;

/* ---- string functions (the compiler may emit calls to them) ---- */

void *memset(void *s, int c, size_t n)
{
	unsigned char *p = s;

	while (n--)
		*p++ = (unsigned char)c;
	return s;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;

	while (n--)
		*dp++ = *sp++;
	return d;
}

void *memmove(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;

	if (dp == sp || !n)
		return d;
	if (dp < sp) {
		while (n--)
			*dp++ = *sp++;
	} else {
		while (n--)
			dp[n] = sp[n];
	}
	return d;
}

/* ---- PL011 ---- */

#define UART_DR 0x00
#define UART_FR 0x18
#define UART_FR_TXFF (1u << 5)

void el2_putc(char c)
{
	volatile uint32_t *uart = (volatile uint32_t *)VIRT_UART_BASE;

	if (c == '\n')
		el2_putc('\r');
	while (uart[UART_FR / 4] & UART_FR_TXFF)
		;
	uart[UART_DR / 4] = (uint32_t)(unsigned char)c;
}

void el2_puts(const char *s)
{
	while (*s)
		el2_putc(*s++);
}

/* ---- printf ---- */

struct spec {
	bool left, zero;
	unsigned width;
};

static void emit_padded(const char *s, size_t len, struct spec sp)
{
	size_t pad = sp.width > len ? sp.width - len : 0;

	if (!sp.left)
		while (pad--)
			el2_putc(sp.zero ? '0' : ' ');
	for (size_t i = 0; i < len; i++)
		el2_putc(s[i]);
	if (sp.left)
		while (pad--)
			el2_putc(' ');
}

static void emit_num(uint64_t v, unsigned base, bool neg, struct spec sp)
{
	char buf[24];
	size_t n = 0;

	do {
		buf[sizeof(buf) - 1 - n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg) {
		if (sp.zero && sp.width) {
			el2_putc('-');
			sp.width--;
		} else {
			buf[sizeof(buf) - 1 - n++] = '-';
		}
	}
	emit_padded(buf + sizeof(buf) - n, n, sp);
}

void el2_vprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		struct spec sp = { 0 };
		unsigned lng = 0;
		uint64_t u;
		int64_t s;

		if (*fmt != '%') {
			el2_putc(*fmt);
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '-')
				sp.left = true;
			else if (*fmt == '0')
				sp.zero = true;
			else
				break;
		}
		while (*fmt >= '0' && *fmt <= '9')
			sp.width = sp.width * 10 + (unsigned)(*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z') {
			lng++;
			fmt++;
		}
		switch (*fmt) {
		case 'd':
			s = lng ? va_arg(ap, long) : va_arg(ap, int);
			emit_num(s < 0 ? 0 - (uint64_t)s : (uint64_t)s, 10,
				 s < 0, sp);
			break;
		case 'u':
		case 'x':
			u = lng ? va_arg(ap, unsigned long)
				: va_arg(ap, unsigned int);
			emit_num(u, *fmt == 'x' ? 16 : 10, false, sp);
			break;
		case 'p':
			el2_puts("0x");
			emit_num((uintptr_t)va_arg(ap, void *), 16, false, sp);
			break;
		case 'c': {
			char c = (char)va_arg(ap, int);

			emit_padded(&c, 1, sp);
			break;
		}
		case 's': {
			const char *str = va_arg(ap, const char *);
			size_t len = 0;

			if (!str)
				str = "(null)";
			while (str[len])
				len++;
			emit_padded(str, len, sp);
			break;
		}
		case '%':
			el2_putc('%');
			break;
		default:
			el2_putc('?');
			if (!*fmt)
				return;
			break;
		}
	}
}

void el2_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	el2_vprintf(fmt, ap);
	va_end(ap);
}

static unsigned failures;

void el2_fail(const char *fmt, ...)
{
	va_list ap;

	failures++;
	el2_puts("FAIL: ");
	va_start(ap, fmt);
	el2_vprintf(fmt, ap);
	va_end(ap);
	el2_putc('\n');
}

unsigned el2_failures(void)
{
	return failures;
}

/* ---- semihosting ---- */

#define SEMIHOST_SYS_EXIT 0x18
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

void el2_exit(unsigned status)
{
	/* AArch64 SYS_EXIT takes a parameter block: reason, exit status. */
	static volatile uint64_t block[2];
	register uint64_t x0 __asm__("x0") = SEMIHOST_SYS_EXIT;
	register uint64_t x1 __asm__("x1") = (uint64_t)(uintptr_t)block;

	block[0] = ADP_STOPPED_APPLICATION_EXIT;
	block[1] = status;
	__asm__ volatile("hlt #0xf000" : : "r"(x0), "r"(x1) : "memory");
	/* Without -semihosting the HLT traps; stop here. */
	for (;;)
		__asm__ volatile("wfi");
}

/* ---- the run's parameters (semihosting SYS_GET_CMDLINE) ---- */

#define SEMIHOST_SYS_GET_CMDLINE 0x15

struct el2_run el2_run;

/* Returns the semihosting result (0 on success); *len is the buffer size
 * in, the command line's length out. */
static int64_t semihost_get_cmdline(char *buf, uint64_t *len)
{
	static volatile uint64_t block[2];
	register uint64_t x0 __asm__("x0") = SEMIHOST_SYS_GET_CMDLINE;
	register uint64_t x1 __asm__("x1") = (uint64_t)(uintptr_t)block;

	block[0] = (uint64_t)(uintptr_t)buf;
	block[1] = *len;
	__asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
	*len = block[1];
	return (int64_t)x0;
}

static bool word_is(const char *w, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n && lit[i]; i++)
		if (w[i] != lit[i])
			return false;
	return i == n && !lit[i];
}

static void copy_word(char *dst, size_t size, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < size && i < n; i++)
		dst[i] = src[i];
	dst[i] = 0;
}

/* "X.Y" or "X.Y.Z" -> EL2_QEMU_VERSION(X, Y); false if malformed. */
static bool parse_version(const char *s, size_t n, unsigned *out)
{
	unsigned part[3] = { 0 }, nparts = 0;
	bool digit = false;

	for (size_t i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9' && part[nparts] < 1000) {
			part[nparts] =
				part[nparts] * 10 + (unsigned)(s[i] - '0');
			digit = true;
		} else if (s[i] == '.' && digit && nparts < 2) {
			nparts++;
			digit = false;
		} else {
			return false;
		}
	}
	if (!digit || nparts < 1 || part[1] > 99)
		return false;
	*out = EL2_QEMU_VERSION(part[0], part[1]);
	return true;
}

static bool parse_caps(const char *s, size_t n)
{
	struct el2_run *r = &el2_run;
	size_t i = 0;

	copy_word(r->caps_str, sizeof(r->caps_str), s, n);
	if (word_is(s, n, "none"))
		return true;
	while (i < n) {
		size_t j = i;

		while (j < n && s[j] != ',')
			j++;
		if (word_is(s + i, j - i, "fwb"))
			r->caps_fwb = true;
		else if (word_is(s + i, j - i, "dic"))
			r->caps_dic = true;
		else if (word_is(s + i, j - i, "idc"))
			r->caps_idc = true;
		else
			return false;
		i = j + 1;
	}
	return true;
}

bool el2_run_parse(void)
{
	struct el2_run *r = &el2_run;
	uint64_t len = sizeof(r->cmdline) - 1;
	const char *p = r->cmdline;
	bool ok = true;

	if (semihost_get_cmdline(r->cmdline, &len) != 0) {
		el2_fail("no semihosting command line (QEMU needs "
			 "-semihosting and -append \"qemu=X.Y.Z\"; use "
			 "scripts/el2-run.sh)");
		return false;
	}
	r->cmdline[len < sizeof(r->cmdline) ? len : sizeof(r->cmdline) - 1] = 0;
	/* Words separated by spaces; QEMU puts the image's path first. */
	while (*p) {
		const char *w;
		size_t n = 0;

		while (*p == ' ')
			p++;
		w = p;
		while (p[n] && p[n] != ' ')
			n++;
		p += n;
		if (n > 5 && word_is(w, 5, "qemu=")) {
			copy_word(r->qemu_str, sizeof(r->qemu_str), w + 5,
				  n - 5);
			r->have_qemu = parse_version(w + 5, n - 5, &r->qemu);
			if (!r->have_qemu) {
				el2_fail("command line: bad QEMU version '%s'",
					 r->qemu_str);
				ok = false;
			}
		} else if (n > 5 && word_is(w, 5, "caps=")) {
			r->have_caps = parse_caps(w + 5, n - 5);
			if (!r->have_caps) {
				el2_fail("command line: bad caps '%s' (fwb, "
					 "dic, idc or none)",
					 r->caps_str);
				ok = false;
			}
		}
	}
	if (ok && !r->have_qemu) {
		el2_fail("command line '%s' does not say which QEMU runs the "
			 "image (qemu=X.Y.Z): the deviation table depends on "
			 "it",
			 r->cmdline);
		ok = false;
	}
	return ok;
}

/* ---- features ---- */

void el2_cpu_probe(void)
{
	static const unsigned parange[] = { 32, 36, 40, 42, 44, 48, 52 };
	struct el2_cpu *c = &el2_cpu;
	unsigned pa;

	c->midr = read_sysreg(midr_el1);
	c->mmfr0 = read_sysreg(id_aa64mmfr0_el1);
	c->mmfr1 = read_sysreg(id_aa64mmfr1_el1);
	c->mmfr2 = read_sysreg(id_aa64mmfr2_el1);
	c->pfr1 = read_sysreg(id_aa64pfr1_el1);
	c->ctr = read_sysreg(ctr_el0);
	c->fwb = ((c->mmfr2 >> 40) & 0xf) >= 1; /* A8 */
	c->idc = (c->ctr >> 28) & 1;
	c->dic = (c->ctr >> 29) & 1;
	c->mte2 = ((c->pfr1 >> 8) & 0xf) >= 2;
	c->xnx = ((c->mmfr1 >> 28) & 0xf) >= 1;
	pa = c->mmfr0 & 0xf;
	c->pa_bits = pa < 7 ? parange[pa] : 48;
	c->dline = 4u << ((c->ctr >> 16) & 0xf);
	c->iline = 4u << (c->ctr & 0xf);
}

/* ---- the EL2 identity map ---- */

/* 39-bit VA, level-1 1 GiB blocks: device space below 1 GiB, RAM above. */
static uint64_t el2_l1[512] __attribute__((aligned(4096)));

#define S1_BLOCK 1ull
#define S1_ATTRIDX(i) ((uint64_t)(i) << 2)
#define S1_AP1 (1ull << 6) /* RES1 in a one-privilege regime */
#define S1_SH_ISH (3ull << 8)
#define S1_AF (1ull << 10)
#define S1_XN (1ull << 54)

#define MAIR_IDX_NORMAL 0
#define MAIR_IDX_DEVICE 1

void el2_mmu_init(void)
{
	uint64_t tcr, sctlr;

	el2_l1[0] = 0 | S1_ATTRIDX(MAIR_IDX_DEVICE) | S1_AP1 | S1_AF | S1_XN |
		S1_BLOCK;
	el2_l1[1] = VIRT_RAM_BASE | S1_ATTRIDX(MAIR_IDX_NORMAL) | S1_AP1 |
		S1_SH_ISH | S1_AF | S1_BLOCK;
	write_sysreg(0xffull << (8 * MAIR_IDX_NORMAL) |
			     0x00ull << (8 * MAIR_IDX_DEVICE),
		     mair_el2);
	tcr = 25 | /* T0SZ: 39-bit VA */
		1ull << 8 | 1ull << 10 | 3ull << 12 | /* WBWA walks, ISH */
		2ull << 16 | /* PS: 40 bits */
		1ull << 23 | 1ull << 31; /* RES1 */
	write_sysreg(tcr, tcr_el2);
	write_sysreg((uint64_t)(uintptr_t)el2_l1, ttbr0_el2);
	isb();
	__asm__ volatile("tlbi alle2" : : : "memory");
	dsb(ish);
	isb();
	sctlr = 0x30c50830ull | /* RES1 */
		1ull << 0 | 1ull << 2 | 1ull << 3 | 1ull << 12; /* M C SA I */
	write_sysreg(sctlr, sctlr_el2);
	isb();
}
