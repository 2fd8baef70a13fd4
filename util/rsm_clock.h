/*
 * rsm_clock.h - the monotonic clock every part of rsm measures time with.
 *
 * Inline so a spin that reads the clock on each turn (the verbs transport)
 * pays for clock_gettime alone, which the vDSO serves without a system
 * call on most clocksources.
 */
#ifndef RSM_CLOCK_H
#define RSM_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in nanoseconds: for intervals and spin budgets. */
static inline uint64_t
rsm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CLOCK_MONOTONIC in microseconds: round trip times. */
static inline uint64_t
rsm_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* CLOCK_MONOTONIC in milliseconds: timers, deadlines, timeouts. */
static inline uint64_t
rsm_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * CLOCK_MONOTONIC_COARSE in milliseconds, for bounds far above its tick
 * (a few ms) read on a hot path: the vDSO serves it whatever the
 * clocksource, where the fine clock is a system call in a guest without a
 * vDSO clocksource (hpet, acpi_pm).
 */
static inline uint64_t
rsm_now_coarse_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

#endif /* RSM_CLOCK_H */
