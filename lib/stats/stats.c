/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_lcore.h>

#include "stats.h"

static struct stats_lcore lcore_stats[STATS_MAX_LCORES];

static const char *const drop_names[STATS_DROP_MAX] = {
	[STATS_OK] = "ok",
#define STATS_X_NAME(e, name, help) [STATS_DROP_##e] = name,
	STATS_DROP_CAUSES(STATS_X_NAME)
#undef STATS_X_NAME
};

static const char *const drop_helps[STATS_DROP_MAX] = {
	[STATS_OK] = "not dropped",
#define STATS_X_HELP(e, name, help) [STATS_DROP_##e] = help,
	STATS_DROP_CAUSES(STATS_X_HELP)
#undef STATS_X_HELP
};

static const char *const event_names[STATS_EV_MAX] = {
#define STATS_X_NAME(e, name, help) [STATS_EV_##e] = name,
	STATS_EVENTS(STATS_X_NAME)
#undef STATS_X_NAME
};

static const char *const stage_names[STATS_STAGE_MAX] = {
#define STATS_X_NAME(e, name, help) [STATS_STAGE_##e] = name,
	STATS_STAGES(STATS_X_NAME)
#undef STATS_X_NAME
};

static const char *const stage_helps[STATS_STAGE_MAX] = {
#define STATS_X_HELP(e, name, help) [STATS_STAGE_##e] = help,
	STATS_STAGES(STATS_X_HELP)
#undef STATS_X_HELP
};

const char *stats_stage_name(enum stats_stage s)
{
	return (unsigned)s < STATS_STAGE_MAX ? stage_names[s] : "?";
}

const char *stats_stage_help(enum stats_stage s)
{
	return (unsigned)s < STATS_STAGE_MAX ? stage_helps[s] : "?";
}

const char *stats_drop_name(enum stats_drop d)
{
	return (unsigned)d < STATS_DROP_MAX ? drop_names[d] : "?";
}

const char *stats_drop_help(enum stats_drop d)
{
	return (unsigned)d < STATS_DROP_MAX ? drop_helps[d] : "?";
}

const char *stats_event_name(enum stats_event e)
{
	return (unsigned)e < STATS_EV_MAX ? event_names[e] : "?";
}

struct stats_lcore *stats_lcore_get(unsigned lcore_id)
{
	if (lcore_id >= STATS_MAX_LCORES)
		return NULL;
	return &lcore_stats[lcore_id];
}

void stats_clear(void)
{
	memset(lcore_stats, 0, sizeof(lcore_stats));
}

static void add_u64(uint64_t *dst, const uint64_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] += src[i];
}

void stats_sum(struct stats_lcore *sum)
{
	memset(sum, 0, sizeof(*sum));
	/* The struct is all uint64_t, so it sums as one array. */
	RTE_BUILD_BUG_ON(sizeof(struct stats_lcore) % sizeof(uint64_t) != 0);
	for (unsigned i = 0; i < STATS_MAX_LCORES; i++)
		add_u64((uint64_t *)sum, (const uint64_t *)&lcore_stats[i],
			sizeof(struct stats_lcore) / sizeof(uint64_t));
}
