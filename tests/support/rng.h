/* SPDX-License-Identifier: MIT */
/*
 * Randomized tests: a splitmix64 generator (each test file has its own
 * state, seeded from S2MT_TEST_SEED so a failure can be replayed) and
 * numbers from the environment.
 */
#ifndef S2MT_TEST_RNG_H
#define S2MT_TEST_RNG_H

#include <stdint.h>
#include <stdlib.h>

static uint64_t rng_state;

static inline uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* A number (decimal or 0x) from the environment, or dflt. */
static inline uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : dflt;
}

#endif
