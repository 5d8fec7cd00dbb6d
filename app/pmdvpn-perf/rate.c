/* SPDX-License-Identifier: BSD-3-Clause */
/* Rate control by the TSC: packets due = elapsed cycles x pps / hz, taken
 * from a fixed start so rounding never accumulates. After a stall (the
 * peer's ring full, the process descheduled) at most max_backlog packets
 * are made up for, so the offered load never turns into a huge burst. */
#include "perf.h"

void perf_rate_init(struct perf_rate *r, uint64_t hz, uint64_t pps, uint64_t now,
		    uint64_t max_backlog)
{
	r->hz = hz;
	r->pps = pps;
	r->start = now;
	r->credited = 0;
	r->max_backlog = max_backlog ? max_backlog : 1;
	r->skipped = 0;
}

uint64_t perf_rate_due(const struct perf_rate *r, uint64_t now)
{
	unsigned __int128 x;

	if (now <= r->start || r->hz == 0)
		return 0;
	x = (unsigned __int128)(now - r->start) * r->pps / r->hz;
	return x > UINT64_MAX ? UINT64_MAX : (uint64_t)x;
}

unsigned perf_rate_take(struct perf_rate *r, uint64_t now, unsigned max)
{
	uint64_t due, ahead;

	if (r->pps == 0) {
		r->credited += max;
		return max;
	}
	due = perf_rate_due(r, now);
	if (due <= r->credited)
		return 0;
	ahead = due - r->credited;
	if (ahead > r->max_backlog) {
		/* Give up what was missed beyond the backlog. */
		r->skipped += ahead - r->max_backlog;
		r->credited += ahead - r->max_backlog;
		ahead = r->max_backlog;
	}
	if (ahead > max)
		ahead = max;
	r->credited += ahead;
	return (unsigned)ahead;
}
