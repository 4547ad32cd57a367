// SPDX-License-Identifier: MIT
/*
 * What a long story costs the machine it runs on: the memory it would need
 * at most (checked before anything runs, so a 1 TiB guest on a small host
 * is refused up front with the figure), what to say when the host runs out
 * anyway, and progress on stderr for runs a person waits for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "runner.h"

static void oom_exit(const char *what, size_t bytes)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	fprintf(stderr,
		"s2mt: out of memory: %s asked for %zu more bytes; the "
		"process had reached %ld MiB (peak RSS)\n",
		what, bytes, ru.ru_maxrss / 1024);
	fflush(stdout);
	_exit(S2MT_EXIT_OOM);
}

void cli_install_oom_handler(void)
{
	s2mt_set_oom_handler(oom_exit);
}

/* Bytes of memory this process may still use: the smaller of what the
 * kernel says is available and the address-space/data limits. */
static uint64_t memory_available(const char **source)
{
	uint64_t avail = UINT64_MAX;
	struct rlimit rl;
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];

	*source = "unknown";
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			unsigned long long kib;

			if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1) {
				avail = kib * 1024;
				*source = "MemAvailable";
				break;
			}
		}
		fclose(f);
	}
	if (!getrlimit(RLIMIT_AS, &rl) && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < avail) {
		avail = rl.rlim_cur;
		*source = "the address-space limit (ulimit -v)";
	}
	if (!getrlimit(RLIMIT_DATA, &rl) && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < avail) {
		avail = rl.rlim_cur;
		*source = "the data limit (ulimit -d)";
	}
	return avail;
}

/*
 * The most a story can need: every page its accesses touch mapped by a
 * 4 KiB leaf (8 bytes of last-level table per page, and the tables above
 * them), plus a dirty bitmap for every slot that may log. Blocks only make
 * it less. The model's own state besides is a few MiB.
 */
static uint64_t worst_case_bytes(const struct scenario *sc)
{
	uint64_t pages = 0, bytes;

	for (size_t i = 0; i < sc->nr_steps; i++)
		if (sc->steps[i].kind == SC_STEP_ACCESS)
			pages += sc->accesses[sc->steps[i].ref].size /
				S2MT_PAGE_SIZE;
	/* Last-level tables, the level-2 tables over them, and a 4 KiB
	 * table page rounding per 2 MiB. */
	bytes = pages * 8 + pages / 512 * 8 + (pages + 511) / 512 / 512 * 4096;
	for (size_t i = 0; i < sc->nr_slots; i++)
		bytes += sc->slots[i].size / S2MT_PAGE_SIZE / 8;
	return bytes + (16u << 20);
}

int cli_check_memory(const struct scenario *sc, unsigned nr_runs)
{
	const char *source;
	uint64_t need = worst_case_bytes(sc), avail = memory_available(&source);

	/* compare keeps one run's tables while it builds the next. */
	if (nr_runs > 1)
		need *= 2;
	if (need <= avail)
		return 0;
	fprintf(stderr,
		"%s: out of memory: the story touches pages whose stage-2 "
		"tables need up to %llu MiB (4 KiB leaves; blocks need less), "
		"but %s leaves %llu MiB; nothing was run\n",
		sc->file, (unsigned long long)(need >> 20), source,
		(unsigned long long)(avail >> 20));
	return S2MT_EXIT_OOM;
}

/* ---- progress ---- */

struct progress {
	const char *what;
	struct timespec start;
	double last, after; /* silent for `after` seconds */
	bool shown;
};

static double since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) +
		(double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void show(struct run *r, size_t step)
{
	struct progress *p = r->progress_arg;
	double t = since(&p->start), left = -1;
	uint64_t faults = 0;

	/* Silent for the first second, then at most four times a second. */
	if (t < p->after || (p->shown && t - p->last < 0.25))
		return;
	p->last = t;
	for (size_t i = 0; i <= step && i < r->sc->nr_steps; i++)
		faults += r->steps[i].touch.faults;
	if (r->pages_done && r->pages_total > r->pages_done)
		left = t * (double)(r->pages_total - r->pages_done) /
			(double)r->pages_done;
	fprintf(stderr,
		"\r%s: step %zu of %zu, %llu of %llu pages touched, %llu "
		"faults",
		p->what, step + 1, r->sc->nr_steps,
		(unsigned long long)r->pages_done,
		(unsigned long long)r->pages_total, (unsigned long long)faults);
	if (left >= 0)
		fprintf(stderr, ", about %.0f s left ", left);
	fprintf(stderr, "\033[K");
	p->shown = true;
}

void cli_progress_begin(struct run *r, const char *what)
{
	struct progress *p;

	r->progress = NULL;
	if (!isatty(STDERR_FILENO))
		return;
	p = calloc(1, sizeof(*p));
	if (!p)
		return;
	p->what = what;
	/* S2MT_PROGRESS_AFTER: seconds before the first line (tests). */
	p->after = getenv("S2MT_PROGRESS_AFTER")
		? atof(getenv("S2MT_PROGRESS_AFTER"))
		: 1.0;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	r->progress_arg = p;
	r->progress = show;
}

void cli_progress_end(struct run *r)
{
	struct progress *p = r->progress_arg;

	if (p && p->shown)
		fprintf(stderr, "\r\033[K");
	free(p);
	r->progress_arg = NULL;
	r->progress = NULL;
}
