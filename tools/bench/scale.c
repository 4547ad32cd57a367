// SPDX-License-Identifier: MIT
/*
 * s2mt-scale: the s2mt command at the sizes real VMs have, for `make bench`.
 *
 *     s2mt-scale [options] path/to/s2mt
 *
 * It writes scenario files into a temporary directory (one anonymous mmap,
 * one memslot at IPA 1 GiB, one guest write over the whole range: one
 * stage-2 fault and one 4 KiB leaf per page) and runs the s2mt binary on
 * them, one process per measurement:
 *
 *   - on each host preset (and a dirty-logged slot on no-fwb, the
 *     live-migration case) at the full size (96 GiB by default):
 *     `run --json`, `advise --json`, `map -o`, `compare --json`, each timed
 *     against its target;
 *   - the peak RSS of those four next to the bytes of the stage-2 tables
 *     the story builds (counts.stage2_table_bytes when the JSON has it,
 *     else computed here from the table geometry);
 *   - the time per leaf at the full size next to that at 1 GiB, measured in
 *     the same run, both net of the command's fixed cost (a 1-page story);
 *   - 1 TiB touched at 4 KiB on grace-hopper (--no-tb to skip): completed,
 *     or refused up front.
 *
 * Wall time is CLOCK_MONOTONIC around fork/exec/wait; peak RSS is the
 * child's ru_maxrss from wait4(). A child is killed when it passes its
 * timeout or the RSS limit (so the benchmark never hangs or takes the
 * machine's memory). Missed targets print FAIL and still exit 0 (a
 * benchmark, not a test); the exit status is 1 only when s2mt crashes or
 * gives a wrong answer (exit status, counts.faults, counts.mapped, the
 * leaf size, hazards), 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define KIB ((uint64_t)1 << 10)
#define MIB ((uint64_t)1 << 20)
#define GIB ((uint64_t)1 << 30)
#define TIB ((uint64_t)1 << 40)

#define PAGE ((uint64_t)4096)
#define GPA ((uint64_t)1 << 30) /* the memslot's guest_phys_addr */

/* The targets, for REF_SIZE touched (the 96 GiB VM). */
#define REF_SIZE (96 * GIB)
#define T_RUN 5.0
#define T_ADVISE 10.0
#define T_MAP 5.0
#define T_COMPARE 15.0
#define RSS_TARGET 1.5 /* peak RSS / stage-2 table bytes */
#define LEAF_TARGET 1.3 /* time per leaf at the full size / at the base */

/* The 1-page and base-size runs are short and the machine is noisy: the
 * fastest of at least BASE_REPS, more until BASE_SPEND seconds are spent. */
#define BASE_REPS 3
#define BASE_MAX_REPS 31
#define BASE_SPEND 0.5
#define MIN_TIMEOUT 10.0

/* ------------------------------------------------------------------ */
/* Options and global state                                            */
/* ------------------------------------------------------------------ */

struct config {
	const char *label;
	const char *preset;
	bool dirty; /* the slot is created with log-dirty-pages */
	bool nofwb_sizes; /* takes --no-fwb-size / --no-fwb-base */
};

static const struct config configs[] = {
	{ "grace-hopper", "grace-hopper", false, false },
	{ "no-fwb", "no-fwb", false, true },
	{ "fwb-no-dic", "fwb-no-dic", false, false },
	{ "qemu-max", "qemu-max", false, false },
	{ "no-fwb+dirty-log", "no-fwb", true, true },
};
#define NR_CONFIGS (sizeof(configs) / sizeof(configs[0]))

static struct {
	const char *s2mt;
	uint64_t size, base, nofwb_size, nofwb_base;
	double timeout_factor, timeout, tb_timeout;
	uint64_t rss_limit_kib;
	int tb; /* -1: unless --only leaves it out; 0: no; 1: yes */
	const char *only;
} opt = {
	.size = REF_SIZE,
	.base = GIB,
	.timeout_factor = 3.0,
	.tb_timeout = 60.0,
	.tb = -1,
};

static char tmpdir[256];
static volatile pid_t child_pid; /* for the signal handler */
static int nr_pass, nr_fail, nr_wrong, nr_killed;
static bool json_has_table_bytes;

static const char *const tmp_names[] = { "scenario.yaml", "out", "err",
					 "map.svg" };

static void cleanup(void)
{
	char path[512];

	if (!tmpdir[0])
		return;
	for (size_t i = 0; i < sizeof(tmp_names) / sizeof(tmp_names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, tmp_names[i]);
		unlink(path);
	}
	rmdir(tmpdir);
}

/* SIGINT/SIGTERM: kill the child, remove the files, go. snprintf is not
 * async-signal-safe, so the paths are built here with strcpy/strcat
 * (safe in practice: no locks, no allocation). */
static void on_signal(int sig)
{
	char path[512];

	if (child_pid > 0)
		kill(child_pid, SIGKILL);
	if (tmpdir[0]) {
		for (size_t i = 0; i < sizeof(tmp_names) / sizeof(tmp_names[0]);
		     i++) {
			strcpy(path, tmpdir);
			strcat(path, "/");
			strcat(path, tmp_names[i]);
			unlink(path);
		}
		rmdir(tmpdir);
	}
	_exit(128 + sig);
}

static void on_sigchld(int sig)
{
	(void)sig;
}

static __attribute__((format(printf, 1, 2))) void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "s2mt-scale: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	cleanup();
	exit(2);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The files in tmpdir, by name (tmp_names). */
enum { F_SCENARIO, F_OUT, F_ERR, F_SVG, NR_FILES };
static char paths[NR_FILES][512];

static char *tmp_path(unsigned f)
{
	return paths[f];
}

/* "96G", "128M", "1T", "4096": bytes; 0 on error. */
static uint64_t parse_size(const char *s)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return 0;
	switch (*end) {
	case 'K':
	case 'k':
		mul = KIB;
		break;
	case 'M':
	case 'm':
		mul = MIB;
		break;
	case 'G':
	case 'g':
		mul = GIB;
		break;
	case 'T':
	case 't':
		mul = TIB;
		break;
	case 0:
		break;
	default:
		return 0;
	}
	if (*end && end[1] && strcmp(end + 1, "iB") && strcmp(end + 1, "B"))
		return 0;
	if (v > UINT64_MAX / mul)
		return 0;
	return (uint64_t)v * mul;
}

/* The size for a scenario file and for people: "96G", "128M", "12K". */
static const char *fmt_size(uint64_t v, char *buf, size_t n)
{
	if (v && !(v % TIB))
		snprintf(buf, n, "%" PRIu64 "T", v / TIB);
	else if (v && !(v % GIB))
		snprintf(buf, n, "%" PRIu64 "G", v / GIB);
	else if (v && !(v % MIB))
		snprintf(buf, n, "%" PRIu64 "M", v / MIB);
	else if (v && !(v % KIB))
		snprintf(buf, n, "%" PRIu64 "K", v / KIB);
	else
		snprintf(buf, n, "%" PRIu64, v);
	return buf;
}

/* Bytes as MiB or GiB with a decimal, for figures. */
static const char *fmt_bytes(double v, char *buf, size_t n)
{
	if (v >= (double)GIB)
		snprintf(buf, n, "%.2f GiB", v / (double)GIB);
	else
		snprintf(buf, n, "%.1f MiB", v / (double)MIB);
	return buf;
}

static uint64_t meminfo_kib(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	size_t n = strlen(key);
	uint64_t v = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':') {
			v = strtoull(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* The child's resident set now, from /proc (0 if gone). */
static uint64_t rss_kib(pid_t pid)
{
	char path[64];
	unsigned long long size, res;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fscanf(f, "%llu %llu", &size, &res);
	fclose(f);
	if (n != 2)
		return 0;
	return (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE) / KIB;
}

/* ------------------------------------------------------------------ */
/* Running s2mt                                                        */
/* ------------------------------------------------------------------ */

struct proc {
	double wall, cpu; /* seconds */
	uint64_t maxrss_kib;
	int exit_code; /* -1 when killed by a signal */
	int sig;
	bool timed_out, rss_killed;
	double timeout;
};

/* True when the process ran to its end by itself. */
static bool proc_done(const struct proc *p)
{
	return !p->timed_out && !p->rss_killed;
}

static bool proc_crashed(const struct proc *p)
{
	return proc_done(p) && p->exit_code < 0;
}

static void run_s2mt(char *const args[], double timeout, struct proc *p)
{
	const char *out = tmp_path(F_OUT), *err = tmp_path(F_ERR);
	struct timespec slice = { 0, 100 * 1000 * 1000 };
	struct rusage ru;
	sigset_t chld;
	double t0, t1;
	int status = 0;
	pid_t pid, w;

	memset(p, 0, sizeof(*p));
	p->timeout = timeout;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	fflush(stdout);
	t0 = now_s();
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0)
			_exit(127);
		close(fo);
		close(fe);
		sigprocmask(SIG_UNBLOCK, &chld, NULL);
		execv(opt.s2mt, args);
		_exit(127);
	}
	child_pid = pid;
	for (;;) {
		w = wait4(pid, &status, WNOHANG, &ru);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			die("wait4: %s", strerror(errno));
		if (!p->timed_out && !p->rss_killed) {
			uint64_t rss = rss_kib(pid);

			if (now_s() - t0 > timeout) {
				p->timed_out = true;
				kill(pid, SIGKILL);
			} else if (opt.rss_limit_kib &&
				   rss > opt.rss_limit_kib) {
				p->rss_killed = true;
				kill(pid, SIGKILL);
			}
		}
		/* Wakes at once when the child ends (SIGCHLD is blocked and
		 * stays pending), else polls the clock and the RSS. */
		sigtimedwait(&chld, NULL, &slice);
	}
	t1 = now_s();
	child_pid = 0;
	nr_killed += p->timed_out || p->rss_killed;
	p->wall = t1 - t0;
	p->cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		(double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	p->maxrss_kib = (uint64_t)ru.ru_maxrss;
	if (WIFEXITED(status)) {
		p->exit_code = WEXITSTATUS(status);
	} else {
		p->exit_code = -1;
		p->sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	}
}

/* The first line of the child's stderr (or stdout), for messages. */
static const char *first_line(unsigned name)
{
	static char line[400];
	FILE *f = fopen(tmp_path(name), "r");

	line[0] = 0;
	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = 0;
		fclose(f);
	}
	line[strcspn(line, "\n")] = 0;
	return line;
}

/* ------------------------------------------------------------------ */
/* Scenarios and the expected answers                                  */
/* ------------------------------------------------------------------ */

struct scenario {
	const char *preset;
	bool dirty;
	uint64_t mmap_size; /* the mmap and the memslot */
	uint64_t touch; /* the guest's write from GPA */
	uint64_t ram; /* host RAM, the same for every size of a config */
	unsigned ipa_bits;
};

static unsigned ipa_bits_for(uint64_t size)
{
	return GPA + size <= ((uint64_t)1 << 40) ? 40 : 44;
}

static uint64_t ram_for(uint64_t size)
{
	uint64_t ram = (size + GIB - 1) / GIB * GIB + 32 * GIB;

	return ram < 64 * GIB ? 64 * GIB : ram;
}

static void write_scenario(const struct scenario *sc)
{
	char s1[32], s2[32], s3[32];
	FILE *f = fopen(tmp_path(F_SCENARIO), "w");

	if (!f)
		die("%s: %s", tmp_path(F_SCENARIO), strerror(errno));
	fprintf(f,
		"# s2mt-scale: anonymous RAM in one memslot, one guest write "
		"over it (4 KiB leaves)\n"
		"name: scale %s %s%s\n"
		"host:\n"
		"  preset: %s\n"
		"  ram: %s\n"
		"kernel: \"6.17\"\n"
		"vmm:\n"
		"  mmaps:\n"
		"    - {name: ram, kind: anonymous, size: %s}\n"
		"  vm: {ipa_bits: %u}\n"
		"  memslots:\n"
		"    - {slot: 0, guest_phys_addr: 0x%" PRIx64 ", mmap: ram%s}\n"
		"guest:\n"
		"  accesses:\n"
		"    - {name: touch, ipa: 0x%" PRIx64 ", size: %s, "
		"access: write}\n",
		sc->preset, fmt_size(sc->touch, s1, sizeof(s1)),
		sc->dirty ? " dirty-logged" : "", sc->preset,
		fmt_size(sc->ram, s2, sizeof(s2)),
		fmt_size(sc->mmap_size, s3, sizeof(s3)), sc->ipa_bits, GPA,
		sc->dirty ? ", flags: [log-dirty-pages]" : "", GPA, s1);
	if (fclose(f))
		die("writing the scenario: %s", strerror(errno));
}

/*
 * The bytes of the stage-2 tables that map [ipa, ipa+size) at 4 KiB, 4 KiB
 * granule: the start level's concatenated tables (A2: Linux's choice of
 * the fewest levels with at most 16 start tables) and every table below it
 * that the range touches: one level-3 table per 2 MiB, one level-2 table
 * per 1 GiB, one level-1 table per 512 GiB.
 */
static uint64_t table_bytes_computed(uint64_t ipa, uint64_t size,
				     unsigned ipa_bits)
{
	unsigned sl = ipa_bits <= 34 ? 2 : ipa_bits <= 43 ? 1 : 0;
	unsigned resolved = ipa_bits - (12 + 9 * (3 - sl));
	uint64_t pages = resolved > 9 ? (uint64_t)1 << (resolved - 9) : 1;

	for (unsigned level = sl + 1; level <= 3; level++) {
		/* A level-L table covers 512 entries of level L's size. */
		uint64_t cover = (uint64_t)1 << (12 + 9 * (3 - level) + 9);

		pages += (ipa + size - 1) / cover - ipa / cover + 1;
	}
	return pages * PAGE;
}

static json_t *load_json(const char *what, char *problem, size_t n)
{
	json_error_t jerr;
	json_t *j = json_load_file(tmp_path(F_OUT), 0, &jerr);

	if (!j)
		snprintf(problem, n, "%s: output is not JSON (%s, line %d)",
			 what, jerr.text, jerr.line);
	return j;
}

static bool json_int_is(json_t *obj, const char *key, uint64_t want)
{
	json_t *v = json_object_get(obj, key);

	return json_is_integer(v) && (uint64_t)json_integer_value(v) == want;
}

/*
 * `run --json`: exit 0, `faults` faults all mapped, a 4 KiB leaf, no
 * hazard. *table_bytes gets counts.stage2_table_bytes when present.
 * Returns false with the problem in `problem`.
 */
static bool check_run(const struct proc *p, uint64_t faults,
		      uint64_t *table_bytes, char *problem, size_t n)
{
	json_t *j, *counts, *steps, *last, *leaf, *tb;
	bool ok = false;

	if (p->exit_code != 0) {
		snprintf(problem, n, "run --json exited %d: %s", p->exit_code,
			 first_line(F_ERR));
		return false;
	}
	j = load_json("run --json", problem, n);
	if (!j)
		return false;
	counts = json_object_get(j, "counts");
	steps = json_object_get(j, "steps");
	last = json_array_get(steps, json_array_size(steps) - 1);
	leaf = json_object_get(last, "leaf");
	if (!json_int_is(counts, "faults", faults) ||
	    !json_int_is(counts, "mapped", faults)) {
		json_t *f = json_object_get(counts, "faults");
		json_t *m = json_object_get(counts, "mapped");

		snprintf(problem, n,
			 "run --json: counts.faults %" JSON_INTEGER_FORMAT
			 ", counts.mapped %" JSON_INTEGER_FORMAT
			 ", expected %" PRIu64 " each",
			 json_integer_value(f), json_integer_value(m), faults);
	} else if (!json_is_string(json_object_get(last, "outcome")) ||
		   strcmp(json_string_value(json_object_get(last, "outcome")),
			  "mapped") ||
		   !json_int_is(leaf, "size", PAGE)) {
		snprintf(problem, n,
			 "run --json: the access step is not 'mapped' with a "
			 "4K leaf");
	} else if (json_array_size(json_object_get(j, "hazards"))) {
		snprintf(problem, n, "run --json: hazards reported");
	} else {
		ok = true;
	}
	tb = json_object_get(counts, "stage2_table_bytes");
	if (ok && table_bytes && json_is_integer(tb)) {
		*table_bytes = (uint64_t)json_integer_value(tb);
		json_has_table_bytes = true;
	}
	json_decref(j);
	return ok;
}

/* `advise --json`: exit 0 and an advice list (empty: no device mmap). */
static bool check_advise(const struct proc *p, char *problem, size_t n)
{
	json_t *j;
	bool ok;

	if (p->exit_code != 0) {
		snprintf(problem, n, "advise --json exited %d: %s",
			 p->exit_code, first_line(F_ERR));
		return false;
	}
	j = load_json("advise --json", problem, n);
	if (!j)
		return false;
	ok = json_is_array(json_object_get(j, "advice")) &&
		!json_array_size(json_object_get(j, "advice"));
	if (!ok)
		snprintf(problem, n,
			 "advise --json: expected an empty advice list (no "
			 "device mmap)");
	json_decref(j);
	return ok;
}

/* `map -o`: exit 0 and an SVG file. */
static bool check_map(const struct proc *p, char *problem, size_t n)
{
	char head[256] = "";
	FILE *f;

	if (p->exit_code != 0) {
		snprintf(problem, n, "map exited %d: %s", p->exit_code,
			 first_line(F_ERR));
		return false;
	}
	f = fopen(tmp_path(F_SVG), "r");
	if (f) {
		size_t got = fread(head, 1, sizeof(head) - 1, f);

		head[got] = 0;
		fclose(f);
	}
	if (!strstr(head, "<svg")) {
		snprintf(problem, n, "map: no SVG written");
		return false;
	}
	return true;
}

/* `compare --json`: exit 0, the access mapped at 4K in every era, no
 * hazards in any era. */
static bool check_compare(const struct proc *p, char *problem, size_t n)
{
	static const char *const eras[] = { "6.8", "6.9", "6.17" };
	json_t *j, *steps, *last, *hz;
	bool ok = true;

	if (p->exit_code != 0) {
		snprintf(problem, n, "compare --json exited %d: %s",
			 p->exit_code, first_line(F_ERR));
		return false;
	}
	j = load_json("compare --json", problem, n);
	if (!j)
		return false;
	steps = json_object_get(j, "steps");
	last = json_array_get(steps, json_array_size(steps) - 1);
	hz = json_object_get(j, "hazards");
	for (size_t i = 0; i < 3 && ok; i++) {
		json_t *era =
			json_object_get(json_object_get(last, "eras"), eras[i]);
		const char *o =
			json_string_value(json_object_get(era, "outcome"));
		json_t *h = json_object_get(hz, eras[i]);

		if (!o || strncmp(o, "mapped, 4K", 10)) {
			snprintf(problem, n,
				 "compare --json: era %s: the access is '%s', "
				 "expected 'mapped, 4K ...'",
				 eras[i], o ? o : "?");
			ok = false;
		} else if (!json_is_array(h) || json_array_size(h)) {
			snprintf(problem, n,
				 "compare --json: era %s reports hazards",
				 eras[i]);
			ok = false;
		}
	}
	json_decref(j);
	return ok;
}

/* ------------------------------------------------------------------ */
/* Output: one line per figure                                         */
/* ------------------------------------------------------------------ */

static void figure(const char *what, const char *fig, const char *target,
		   bool pass, const char *why)
{
	printf("  %-17s %-40s %-26s %s%s%s%s\n", what, fig, target,
	       pass ? "PASS" : "FAIL", why && *why ? " (" : "",
	       why && *why ? why : "", why && *why ? ")" : "");
	if (pass)
		nr_pass++;
	else
		nr_fail++;
}

/* ctx: which run, when not the full-size one (or NULL). */
static void wrong(const char *ctx, const char *problem)
{
	printf("  WRONG ANSWER%s%s%s: %s\n", ctx ? " (" : "", ctx ? ctx : "",
	       ctx ? ")" : "", problem);
	nr_wrong++;
}

/* Why a process did not give a figure, or "". */
static const char *proc_why(const struct proc *p, char *buf, size_t n)
{
	char b[32];

	if (p->timed_out)
		snprintf(buf, n, "timeout after %g s", p->timeout);
	else if (p->rss_killed)
		snprintf(buf, n, "killed: RSS over the %s limit",
			 fmt_bytes((double)opt.rss_limit_kib * KIB, b,
				   sizeof(b)));
	else if (p->exit_code < 0)
		snprintf(buf, n, "crashed: signal %d", p->sig);
	else
		buf[0] = 0;
	return buf;
}

static double target_for(double t, uint64_t size)
{
	return t * (double)size / (double)REF_SIZE;
}

static double timeout_for(double target)
{
	double t = opt.timeout_factor * target;

	if (opt.timeout > 0)
		return opt.timeout;
	return t < MIN_TIMEOUT ? MIN_TIMEOUT : t;
}

static void target_text(double t, uint64_t size, char *buf, size_t n)
{
	if (size == REF_SIZE)
		snprintf(buf, n, "<= %g s", t);
	else
		snprintf(buf, n, "<= %.3g s (%g s at 96G)", target_for(t, size),
			 t);
}

/* ------------------------------------------------------------------ */
/* One configuration                                                   */
/* ------------------------------------------------------------------ */

static void timed_figure(const char *what, const struct proc *p, double t,
			 uint64_t size, bool answer_ok)
{
	char fig[96], tgt[64], why[96], b[32];
	bool pass;

	target_text(t, size, tgt, sizeof(tgt));
	if (!proc_done(p)) {
		snprintf(fig, sizeof(fig), "killed at %.2f s, rss %s", p->wall,
			 fmt_bytes((double)p->maxrss_kib * KIB, b, sizeof(b)));
		figure(what, fig, tgt, false, proc_why(p, why, sizeof(why)));
		return;
	}
	snprintf(fig, sizeof(fig), "%.3f s, cpu %.3f s, rss %s", p->wall,
		 p->cpu, fmt_bytes((double)p->maxrss_kib * KIB, b, sizeof(b)));
	pass = answer_ok && p->wall <= target_for(t, size);
	proc_why(p, why, sizeof(why));
	if (!answer_ok && !*why)
		snprintf(why, sizeof(why), "wrong answer");
	figure(what, fig, tgt, pass, why);
}

/* `run --json` of a story touching `touch` bytes: min wall of `reps`
 * (stopping at the first that does not finish), checked. Returns false
 * when no repetition finished. */
static bool run_reps(const struct scenario *sc, struct proc *best)
{
	double spent = 0;
	char *args[] = { (char *)opt.s2mt, "run", "--json",
			 tmp_path(F_SCENARIO), NULL };
	uint64_t faults = sc->touch / PAGE;
	char problem[512], s[32], ctx[64];
	struct proc p;

	snprintf(ctx, sizeof(ctx), "the %s story",
		 sc->touch == PAGE ? "1-page"
				   : fmt_size(sc->touch, s, sizeof(s)));
	write_scenario(sc);
	for (int r = 0; r < BASE_MAX_REPS; r++) {
		if (r >= BASE_REPS && spent >= BASE_SPEND)
			break;
		run_s2mt(args, timeout_for(target_for(T_RUN, sc->touch)), &p);
		spent += p.wall;
		if (!proc_done(&p) || proc_crashed(&p)) {
			*best = p;
			if (proc_crashed(&p)) {
				snprintf(problem, sizeof(problem),
					 "run --json crashed (signal %d)",
					 p.sig);
				wrong(ctx, problem);
			}
			return false;
		}
		if (!check_run(&p, faults, NULL, problem, sizeof(problem))) {
			wrong(ctx, problem);
			*best = p;
			return false;
		}
		if (r == 0 || p.wall < best->wall)
			*best = p;
	}
	return true;
}

static void bench_config(const struct config *c, unsigned idx)
{
	uint64_t size = c->nofwb_sizes ? opt.nofwb_size : opt.size;
	uint64_t base = c->nofwb_sizes ? opt.nofwb_base : opt.base;
	struct scenario sc = {
		.preset = c->preset,
		.dirty = c->dirty,
		.ram = ram_for(size),
		.ipa_bits = ipa_bits_for(size),
	};
	uint64_t faults = size / PAGE, tables;
	struct proc floor_p, base_p, p[4];
	static const char *const names[4] = { "run", "advise", "map",
					      "compare" };
	static const double targets[4] = { T_RUN, T_ADVISE, T_MAP, T_COMPARE };
	char fig[160], tgt[64], why[128], problem[512];
	char s1[32], s2[32], b1[32], b2[32];
	bool floor_ok, base_ok, answers_ok = true, skip = false;
	bool good[4] = { false, false, false, false };
	const struct proc *full;
	double leaf_full, leaf_base, fixed;
	unsigned worst = 0;

	tables = table_bytes_computed(GPA, size, sc.ipa_bits);
	printf("\n[%u] %s%s: %s touched (%" PRIu64 " faults at 4K), "
	       "IPA %u bits, host ram %s, kernel 6.17\n",
	       idx, c->preset,
	       c->dirty ? ", slot created with log-dirty-pages" : "",
	       fmt_size(size, s1, sizeof(s1)), faults, sc.ipa_bits,
	       fmt_size(sc.ram, s2, sizeof(s2)));

	/* The command's fixed cost: the same story touching one page. */
	sc.mmap_size = base;
	sc.touch = PAGE;
	floor_ok = run_reps(&sc, &floor_p);
	/* The base size, for the time per leaf. */
	sc.touch = base;
	base_ok = floor_ok && run_reps(&sc, &base_p);

	/* The full size: the four commands. */
	sc.mmap_size = sc.touch = size;
	write_scenario(&sc);
	for (unsigned i = 0; i < 4; i++) {
		char *run_args[] = { (char *)opt.s2mt, "run", "--json",
				     tmp_path(F_SCENARIO), NULL };
		char *advise_args[] = { (char *)opt.s2mt, "advise", "--json",
					tmp_path(F_SCENARIO), NULL };
		char *map_args[] = { (char *)opt.s2mt,	   "map",
				     tmp_path(F_SCENARIO), "-o",
				     tmp_path(F_SVG),	   NULL };
		char *compare_args[] = { (char *)opt.s2mt, "compare", "--json",
					 tmp_path(F_SCENARIO), NULL };
		char **args[4] = { run_args, advise_args, map_args,
				   compare_args };
		bool ok = true;

		if (skip) {
			memset(&p[i], 0, sizeof(p[i]));
			target_text(targets[i], size, tgt, sizeof(tgt));
			figure(names[i], "not run", tgt, false,
			       "run --json did not finish");
			continue;
		}
		unlink(tmp_path(F_SVG));
		run_s2mt(args[i], timeout_for(target_for(targets[i], size)),
			 &p[i]);
		if (p[i].maxrss_kib > p[worst].maxrss_kib)
			worst = i;
		if (proc_crashed(&p[i])) {
			snprintf(problem, sizeof(problem),
				 "%s crashed (signal %d)", names[i], p[i].sig);
			ok = false;
		} else if (!proc_done(&p[i])) {
			/* The others do at least as much: don't wait for
			 * them to time out too. */
			skip = i == 0;
		} else if (i == 0) {
			ok = check_run(&p[i], faults, &tables, problem,
				       sizeof(problem));
		} else if (i == 1) {
			ok = check_advise(&p[i], problem, sizeof(problem));
		} else if (i == 2) {
			ok = check_map(&p[i], problem, sizeof(problem));
		} else {
			ok = check_compare(&p[i], problem, sizeof(problem));
		}
		timed_figure(names[i], &p[i], targets[i], size, ok);
		good[i] = ok && proc_done(&p[i]);
		if (!ok) {
			wrong(NULL, problem);
			answers_ok = false;
		}
	}

	/* Peak RSS: the largest of the four, next to the tables. */
	{
		double rss = (double)p[worst].maxrss_kib * KIB;
		double ratio = rss / (double)tables;
		bool complete = !skip;

		for (unsigned i = 0; i < 4; i++)
			complete = complete && proc_done(&p[i]);
		snprintf(fig, sizeof(fig), "%s (%s) = %.2fx %s",
			 fmt_bytes(rss, b1, sizeof(b1)), names[worst], ratio,
			 fmt_bytes((double)tables, b2, sizeof(b2)));
		snprintf(tgt, sizeof(tgt), "<= %.1fx tables (%s)", RSS_TARGET,
			 json_has_table_bytes ? "model" : "computed");
		figure("peak RSS", fig, tgt, complete && ratio <= RSS_TARGET,
		       complete ? "" : "not every command finished");
	}

	/* Time per leaf, full size / base size, net of the fixed cost. */
	snprintf(tgt, sizeof(tgt), "<= %.1f", LEAF_TARGET);
	snprintf(s1, sizeof(s1), "per leaf %s/%s",
		 fmt_size(size, b1, sizeof(b1)),
		 fmt_size(base, b2, sizeof(b2)));
	/* The full size: the fastest of run, advise and map (each runs the
	 * story once; the machine is noisy), or run's lower bound. */
	full = NULL;
	for (unsigned i = 0; i < 3; i++)
		if (good[i] && (!full || p[i].wall < full->wall))
			full = &p[i];
	if (!full && !proc_done(&p[0]))
		full = &p[0];
	if (!base_ok || !full) {
		const struct proc *bad = &p[0];

		if (!floor_ok) {
			bad = &floor_p;
			snprintf(fig, sizeof(fig), "no figure: the 1-page run");
		} else {
			if (!base_ok)
				bad = &base_p;
			snprintf(fig, sizeof(fig), "no figure: the %s run",
				 fmt_size(base_ok ? size : base, b1,
					  sizeof(b1)));
		}
		if (!*proc_why(bad, why, sizeof(why)))
			snprintf(why, sizeof(why), "wrong answer");
		figure(s1, fig, tgt, false, why);
	} else {
		bool done = proc_done(full);
		double cpu_full = full->cpu, cpu_base, cpu_fixed;

		for (unsigned i = 0; i < 3; i++)
			if (good[i] && p[i].cpu < cpu_full)
				cpu_full = p[i].cpu;
		fixed = floor_p.wall;
		leaf_base = (base_p.wall - fixed) / (double)(base / PAGE);
		leaf_full = (full->wall - fixed) / (double)faults;
		if (leaf_base <= 0) /* noise: fall back to the raw figure */
			leaf_base = base_p.wall / (double)(base / PAGE);
		cpu_fixed = floor_p.cpu;
		cpu_base = base_p.cpu - cpu_fixed > 0 ? base_p.cpu - cpu_fixed
						      : base_p.cpu;
		cpu_full = (cpu_full - cpu_fixed) / (double)faults /
			(cpu_base / (double)(base / PAGE));
		snprintf(fig, sizeof(fig), "%s%.1f / %.1f ns = %s%.2f",
			 done ? "" : ">", leaf_full * 1e9, leaf_base * 1e9,
			 done ? "" : ">", leaf_full / leaf_base);
		snprintf(
			why, sizeof(why),
			"%s; cpu time ratio %.2f; %.1f ms fixed cost taken off",
			full == &p[0]		? "run"
				: full == &p[1] ? "advise"
						: "map",
			cpu_full, fixed * 1e3);
		if (!done)
			proc_why(full, why, sizeof(why));
		figure(s1, fig, tgt,
		       done && leaf_full / leaf_base <= LEAF_TARGET, why);
	}
	if (answers_ok && proc_done(&p[0]) && !skip)
		printf("  answers: exit 0, counts.faults = counts.mapped = "
		       "%" PRIu64 ", 4K leaves, no hazards (every era): ok\n",
		       faults);
}

/* 1 TiB touched at 4 KiB on grace-hopper: completes, or is refused up
 * front (the refusal naming the memory needed). */
static void bench_tb(unsigned idx)
{
	struct scenario sc = {
		.preset = "grace-hopper",
		.mmap_size = TIB,
		.touch = TIB,
		.ram = ram_for(TIB),
		.ipa_bits = ipa_bits_for(TIB),
	};
	char *args[] = { (char *)opt.s2mt, "run", "--json",
			 tmp_path(F_SCENARIO), NULL };
	uint64_t faults = TIB / PAGE, tables;
	char fig[400], why[128], problem[512], b1[32], b2[32];
	const char *tgt = "completes or refused";
	struct proc p;

	tables = table_bytes_computed(GPA, TIB, sc.ipa_bits);
	printf("\n[%u] 1T touched at 4K on grace-hopper (%" PRIu64
	       " faults; stage-2 tables %s computed), IPA %u bits, host ram "
	       "%s\n",
	       idx, faults, fmt_bytes((double)tables, b1, sizeof(b1)),
	       sc.ipa_bits, fmt_size(sc.ram, b2, sizeof(b2)));
	if (!opt.tb) {
		printf("  skipped (SCALE_TB=0, --no-tb or --only); run it with "
		       "`make bench-scale SCALE_ONLY=tb`\n"
		       "  or `s2mt-scale --only tb path/to/s2mt`\n");
		return;
	}
	write_scenario(&sc);
	run_s2mt(args, opt.tb_timeout, &p);
	fmt_bytes((double)p.maxrss_kib * KIB, b1, sizeof(b1));
	if (proc_crashed(&p)) {
		snprintf(problem, sizeof(problem),
			 "1T run --json crashed (signal %d) after %.1f s, "
			 "rss %s",
			 p.sig, p.wall, b1);
		wrong(NULL, problem);
		return;
	}
	if (!proc_done(&p)) {
		snprintf(fig, sizeof(fig),
			 "neither: killed at %.1f s, rss %s, tables %.2fx",
			 p.wall, b1,
			 (double)p.maxrss_kib * KIB / (double)tables);
		figure("1T run", fig, tgt, false,
		       proc_why(&p, why, sizeof(why)));
		if (p.timed_out)
			printf("  (a longer limit: SCALE_TB_TIMEOUT=600, or "
			       "--tb-timeout 600)\n");
		return;
	}
	if (p.exit_code == 0) {
		if (!check_run(&p, faults, &tables, problem, sizeof(problem))) {
			wrong(NULL, problem);
			return;
		}
		snprintf(fig, sizeof(fig),
			 "completed in %.1f s (cpu %.1f s), rss %s = %.2fx "
			 "tables",
			 p.wall, p.cpu, b1,
			 (double)p.maxrss_kib * KIB / (double)tables);
		figure("1T run", fig, tgt, true, "");
		return;
	}
	/* A refusal: say what the command said. Up front means before it
	 * built the tables: in a few seconds, with little memory. */
	snprintf(fig, sizeof(fig), "refused (exit %d) in %.2f s, rss %s",
		 p.exit_code, p.wall, b1);
	figure("1T run", fig, tgt,
	       p.wall < 5.0 && (double)p.maxrss_kib * KIB < (double)tables / 2,
	       p.wall < 5.0 ? "" : "not up front");
	printf("  s2mt said: %s\n",
	       *first_line(F_ERR) ? first_line(F_ERR) : first_line(F_OUT));
}

/* ------------------------------------------------------------------ */
/* main                                                                */
/* ------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: s2mt-scale [options] path/to/s2mt\n"
		"  --size SIZE          RAM touched per preset (default 96G)\n"
		"  --base SIZE          the small size for the time per leaf "
		"(default 1G)\n"
		"  --no-fwb-size SIZE   --size for no-fwb and its dirty-log "
		"case (default: --size)\n"
		"  --no-fwb-base SIZE   --base for those (default: --base)\n"
		"  --only LIST          configurations, comma-separated "
		"(grace-hopper,no-fwb,\n"
		"                       fwb-no-dic,qemu-max,no-fwb+dirty-log; "
		"tb: the 1 TiB run)\n"
		"  --timeout-factor F   kill a run after F x its target "
		"(default 3, at least %g s)\n"
		"  --timeout S          kill every run after S seconds "
		"instead\n"
		"  --rss-limit SIZE     kill a run above this RSS (default "
		"3/4 of MemAvailable)\n"
		"  --no-tb              skip the 1 TiB run on grace-hopper "
		"(--tb: run it)\n"
		"  --tb-timeout S       its timeout (default 60)\n"
		"Targets are for 96G; at other sizes the time targets scale "
		"linearly.\n",
		MIN_TIMEOUT);
}

static uint64_t size_arg(const char *name, const char *v)
{
	uint64_t s = parse_size(v);

	if (!s || s % PAGE)
		die("%s %s: not a size in whole 4K pages (e.g. 96G, 128M)",
		    name, v);
	return s;
}

static double num_arg(const char *name, const char *v)
{
	char *end;
	double d = strtod(v, &end);

	if (end == v || *end || d <= 0)
		die("%s %s: not a positive number", name, v);
	return d;
}

static bool selected(const char *label)
{
	const char *s = opt.only;
	size_t n = strlen(label);

	if (!s)
		return true;
	while (*s) {
		size_t len = strcspn(s, ",");

		if (len == n && !strncmp(s, label, n))
			return true;
		s += len + (s[len] == ',');
	}
	return false;
}

static void parse_args(int argc, char **argv)
{
	bool nofwb_size = false, nofwb_base = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "--tb")) {
			opt.tb = 1;
		} else if (!strcmp(a, "--no-tb")) {
			opt.tb = 0;
		} else if (a[0] == '-' && a[1] == '-' && !v) {
			usage(stderr);
			exit(2);
		} else if (!strcmp(a, "--size")) {
			opt.size = size_arg(a, argv[++i]);
		} else if (!strcmp(a, "--base")) {
			opt.base = size_arg(a, argv[++i]);
		} else if (!strcmp(a, "--no-fwb-size")) {
			opt.nofwb_size = size_arg(a, argv[++i]);
			nofwb_size = true;
		} else if (!strcmp(a, "--no-fwb-base")) {
			opt.nofwb_base = size_arg(a, argv[++i]);
			nofwb_base = true;
		} else if (!strcmp(a, "--only")) {
			opt.only = argv[++i];
		} else if (!strcmp(a, "--timeout-factor")) {
			opt.timeout_factor = num_arg(a, argv[++i]);
		} else if (!strcmp(a, "--timeout")) {
			opt.timeout = num_arg(a, argv[++i]);
		} else if (!strcmp(a, "--tb-timeout")) {
			opt.tb_timeout = num_arg(a, argv[++i]);
		} else if (!strcmp(a, "--rss-limit")) {
			opt.rss_limit_kib = size_arg(a, argv[++i]) / KIB;
		} else if (a[0] == '-' || opt.s2mt) {
			usage(stderr);
			exit(2);
		} else {
			opt.s2mt = a;
		}
	}
	if (!opt.s2mt) {
		usage(stderr);
		exit(2);
	}
	if (!nofwb_size)
		opt.nofwb_size = opt.size;
	if (!nofwb_base)
		opt.nofwb_base = opt.base;
	if (opt.base > opt.size || opt.nofwb_base > opt.nofwb_size)
		die("--base must not be larger than --size");
	if (GPA + opt.size > ((uint64_t)1 << 44) ||
	    GPA + opt.nofwb_size > ((uint64_t)1 << 44))
		die("--size: at most 16T less 1G (a 44-bit IPA space)");
	if (opt.only) {
		bool any = false;

		for (size_t i = 0; i < NR_CONFIGS; i++)
			any = any || selected(configs[i].label);
		if (selected("tb") && opt.tb) {
			opt.tb = 1;
			any = true;
		} else if (opt.tb < 0) {
			opt.tb = 0;
		}
		if (!any)
			die("--only %s: no such configuration", opt.only);
	}
	if (opt.tb < 0)
		opt.tb = 1;
	if (access(opt.s2mt, X_OK))
		die("%s: %s", opt.s2mt, strerror(errno));
}

static void print_header(void)
{
	char load[64] = "?", b1[32], b2[32], b3[32], b4[32], b5[32];
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (!fgets(load, sizeof(load), f))
			strcpy(load, "?");
		load[strcspn(load, "\n")] = 0;
		fclose(f);
	}
	printf("s2mt-scale: the s2mt command at VM sizes (%s)\n", opt.s2mt);
	printf("  each figure: one process, wall time CLOCK_MONOTONIC around "
	       "fork/exec/wait4, peak RSS the\n"
	       "  child's ru_maxrss; scenarios in %s\n",
	       tmpdir);
	printf("  commands: run = `s2mt run --json F`, advise = `s2mt advise "
	       "--json F`, map = `s2mt map F -o\n"
	       "  F.svg`, compare = `s2mt compare --json F` (the JSON is "
	       "checked: see `answers`)\n");
	printf("  story: anonymous RAM, one memslot at IPA 0x%" PRIx64
	       ", one guest write over it: one fault and one\n"
	       "  4K leaf per page\n",
	       GPA);
	printf("  targets at 96G: run %g s, advise %g s, map %g s, compare "
	       "%g s; peak RSS <= %.1fx the stage-2\n"
	       "  table bytes; time per leaf at the full size <= %.1fx that "
	       "at the base size, both net of the\n"
	       "  fixed cost (the same story touching one page); those two: "
	       "fastest of %d..%d runs (until\n"
	       "  %g s are spent), full size: fastest of run, advise and map "
	       "(each runs the story once)\n",
	       T_RUN, T_ADVISE, T_MAP, T_COMPARE, RSS_TARGET, LEAF_TARGET,
	       BASE_REPS, BASE_MAX_REPS, BASE_SPEND);
	printf("  stage-2 table bytes: counts.stage2_table_bytes of `run "
	       "--json` when it has it, else computed\n"
	       "  here: 4K per table, the start level's concatenated tables "
	       "+ one level-3 table per 2M +\n"
	       "  one level-2 table per 1G (+ one level-1 table per 512G) "
	       "of the range (96G: %s)\n",
	       fmt_bytes((double)table_bytes_computed(GPA, REF_SIZE,
						      ipa_bits_for(REF_SIZE)),
			 b1, sizeof(b1)));
	printf("  sizes: %s (base %s), no-fwb %s (base %s); timeout %gx the "
	       "target, at least %g s%s;\n"
	       "  RSS limit %s (a run above it is killed); 1T run: %s\n",
	       fmt_size(opt.size, b1, sizeof(b1)),
	       fmt_size(opt.base, b2, sizeof(b2)),
	       fmt_size(opt.nofwb_size, b3, sizeof(b3)),
	       fmt_size(opt.nofwb_base, b4, sizeof(b4)), opt.timeout_factor,
	       MIN_TIMEOUT, opt.timeout > 0 ? " (overridden by --timeout)" : "",
	       fmt_bytes((double)opt.rss_limit_kib * KIB, b5, sizeof(b5)),
	       opt.tb ? "yes" : "skipped");
	printf("  host: %ld CPUs online, %s RAM, load %s\n",
	       sysconf(_SC_NPROCESSORS_ONLN),
	       fmt_bytes((double)meminfo_kib("MemTotal") * KIB, b2, sizeof(b2)),
	       load);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { 0 };
	const char *tmp = getenv("TMPDIR");
	unsigned idx = 0;
	sigset_t chld;
	double t0 = now_s();

	setvbuf(stdout, NULL, _IOLBF, 0);
	parse_args(argc, argv);
	if (!opt.rss_limit_kib)
		opt.rss_limit_kib = meminfo_kib("MemAvailable") / 4 * 3;

	snprintf(tmpdir, sizeof(tmpdir), "%s/s2mt-scale.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpdir)) {
		tmpdir[0] = 0;
		die("mkdtemp: %s", strerror(errno));
	}
	for (unsigned f = 0; f < NR_FILES; f++)
		snprintf(paths[f], sizeof(paths[f]), "%s/%s", tmpdir,
			 tmp_names[f]);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_sigchld;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);

	print_header();
	for (size_t i = 0; i < NR_CONFIGS; i++)
		if (selected(configs[i].label))
			bench_config(&configs[i], ++idx);
	bench_tb(++idx);

	printf("\ns2mt-scale: %d PASS, %d FAIL; %s; %d run%s killed (timeout "
	       "or RSS limit); %.1f s\n",
	       nr_pass, nr_fail,
	       nr_wrong ? "WRONG ANSWERS (see above)"
			: "the answer of every finished run checked: ok",
	       nr_killed, nr_killed == 1 ? "" : "s", now_s() - t0);
	if (!json_has_table_bytes)
		printf("  (stage-2 table bytes computed here: `run --json` "
		       "has no counts.stage2_table_bytes yet)\n");
	cleanup();
	return nr_wrong ? 1 : 0;
}
