/* SPDX-License-Identifier: BSD-3-Clause */
/* RFC 2544 section 26.1 style throughput search: the first trial runs at
 * the upper bound (or line rate, whose achieved rate then becomes the
 * bound); after a failure, bisect between the highest passing and lowest
 * failing rate until the interval is within the precision. */
#include "perf.h"

double perf_loss_pct(uint64_t tx, uint64_t rx)
{
	if (tx == 0 || rx >= tx)
		return 0;
	return (double)(tx - rx) * 100.0 / (double)tx;
}

void perf_search_init(struct perf_search *s, double max_pps, double tol_pct,
		      double precision_pct, unsigned max_trials)
{
	s->lo = 0;
	s->hi = max_pps;
	s->best = 0;
	s->max = max_pps;
	s->tol_pct = tol_pct;
	s->precision_pct = precision_pct;
	s->trials = 0;
	s->max_trials = max_trials ? max_trials : 1;
	s->done = false;
}

bool perf_search_next(const struct perf_search *s, double *pps)
{
	if (s->done || s->trials >= s->max_trials)
		return false;
	*pps = s->trials == 0 ? s->max : (s->lo + s->hi) / 2;
	return true;
}

bool perf_search_record(struct perf_search *s, double pps, uint64_t tx, uint64_t rx)
{
	bool pass = perf_loss_pct(tx, rx) <= s->tol_pct;

	if (s->trials == 0 && s->max <= 0) {
		/* Line rate: what it achieved is the bound. */
		s->max = pps;
		s->hi = pps;
	}
	s->trials++;
	if (pass) {
		s->lo = pps;
		if (pps > s->best)
			s->best = pps;
	} else {
		s->hi = pps;
	}
	/* Passing at the bound leaves nothing above to look for. */
	if ((pass && s->trials == 1) || s->max <= 0 ||
	    s->hi - s->lo <= s->max * s->precision_pct / 100.0 || s->trials >= s->max_trials)
		s->done = true;
	return pass;
}
