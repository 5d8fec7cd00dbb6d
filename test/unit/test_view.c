/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reclamation of runtime views (worker_view.c): after worker_view_sync()
 * returns 0 no worker can still read what an older view pointed to, so it
 * may be freed; a worker that stops reporting quiescent states makes the
 * sync time out instead (the control plane then keeps the old objects).
 *
 * Two threads play workers: each poll adopts the published view, reads
 * the object its cached pointer names twice with a pause between, and
 * reports a quiescent state. The control thread publishes a new view,
 * syncs, then poisons the old view's object as a free would. A worker that
 * ever reads poison proves a reclamation bug.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <rte_malloc.h>
#include <rte_cycles.h>
#include <rte_pause.h>

#include "test_eal.h"
#include "worker.h"

#define N_WORKERS 2
#define LIVE 0x600dcafeu
#define POISON 0xdeadbeefu
#define ROUNDS 300

struct obj {
	volatile uint32_t v;
};

struct fake_worker {
	struct worker w;
	pthread_t t;
	volatile bool stop;
	volatile bool pause;        /* stop reporting quiescent states */
	volatile bool paused;
	uint64_t polls, poisoned;
};

static struct worker_view *published;
static struct rte_rcu_qsbr *qs;

static void *worker_thread(void *arg)
{
	struct fake_worker *f = arg;

	rte_rcu_qsbr_thread_register(qs, f->w.index);
	rte_rcu_qsbr_thread_online(qs, f->w.index);
	while (!f->stop) {
		if (f->pause) {
			f->paused = true;
			rte_pause();
			continue;
		}
		f->paused = false;
		worker_view_refresh(&f->w);
		/* the "packet work": the SA table of this poll's view */
		const struct obj *o = (const struct obj *)f->w.sa_in;

		if (o != NULL) {
			if (o->v != LIVE)
				f->poisoned++;
			for (int i = 0; i < 500; i++)
				rte_pause();
			if (o->v != LIVE)
				f->poisoned++;
		}
		f->polls++;
		rte_rcu_qsbr_quiescent(qs, f->w.index);
	}
	rte_rcu_qsbr_thread_offline(qs, f->w.index);
	rte_rcu_qsbr_thread_unregister(qs, f->w.index);
	return NULL;
}

static void start(struct fake_worker *fw, struct worker_view *v0)
{
	published = v0;
	for (unsigned i = 0; i < N_WORKERS; i++) {
		memset(&fw[i], 0, sizeof(fw[i]));
		fw[i].w.index = (uint16_t)i;
		fw[i].w.view_src = &published;
		fw[i].w.qsbr = qs;
		assert_int_equal(pthread_create(&fw[i].t, NULL, worker_thread, &fw[i]), 0);
	}
}

static void stop(struct fake_worker *fw)
{
	for (unsigned i = 0; i < N_WORKERS; i++)
		fw[i].stop = true;
	for (unsigned i = 0; i < N_WORKERS; i++)
		pthread_join(fw[i].t, NULL);
}

/* Publish, sync, poison the old object: never seen by a worker. */
static void test_sync_then_free(void **state)
{
	static struct worker_view views[2];     /* two slots in turn, as runtime.c */
	static struct obj objs[64];             /* a freed object stays poisoned a while */
	struct fake_worker fw[N_WORKERS];
	uint64_t polls0;

	(void)state;
	qs = worker_qsbr_create(N_WORKERS);
	assert_non_null(qs);
	objs[0].v = LIVE;
	views[0].gen = 1;
	views[0].sa_in = (const struct sa_table *)&objs[0];
	start(fw, &views[0]);
	for (unsigned r = 0; r < ROUNDS; r++) {
		struct worker_view *old = published, *nv = old == &views[0] ? &views[1] : &views[0];
		struct obj *old_obj = (struct obj *)(uintptr_t)old->sa_in;
		struct obj *new_obj = &objs[(r + 1) % RTE_DIM(objs)];

		new_obj->v = LIVE;
		memset(nv, 0, sizeof(*nv));
		nv->gen = old->gen + 1;
		nv->sa_in = (const struct sa_table *)new_obj;
		worker_view_publish(&published, nv);
		assert_int_equal(worker_view_sync(qs, 5000), 0);
		old_obj->v = POISON;    /* "freed" */
		rte_delay_us_block(20); /* let the workers run a few polls */
	}
	/* a few more polls: each has adopted the last view */
	polls0 = fw[0].polls + fw[1].polls;
	for (uint64_t p0 = fw[0].polls, p1 = fw[1].polls; fw[0].polls < p0 + 2 ||
	     fw[1].polls < p1 + 2;)
		rte_pause();
	stop(fw);
	assert_int_equal(fw[0].poisoned + fw[1].poisoned, 0);
	assert_true(polls0 > ROUNDS);
	/* both adopted the last view */
	assert_int_equal(fw[0].w.view_gen, published->gen);
	assert_int_equal(fw[1].w.view_gen, published->gen);
	rte_free(qs);
}

/* A worker stuck inside a poll: the sync gives up within its timeout and
 * says so; once the worker moves on, a sync succeeds again. */
static void test_stuck_worker_times_out(void **state)
{
	static struct worker_view v0 = { .gen = 1 }, v1 = { .gen = 2 };
	struct fake_worker fw[N_WORKERS];
	uint64_t t0, ms;

	(void)state;
	qs = worker_qsbr_create(N_WORKERS);
	assert_non_null(qs);
	start(fw, &v0);
	fw[1].pause = true;
	while (!fw[1].paused)
		rte_pause();
	worker_view_publish(&published, &v1);
	t0 = rte_get_timer_cycles();
	assert_int_equal(worker_view_sync(qs, 200), -ETIMEDOUT);
	ms = (rte_get_timer_cycles() - t0) * 1000 / rte_get_timer_hz();
	assert_true(ms >= 190 && ms < 2000);
	fw[1].pause = false;
	assert_int_equal(worker_view_sync(qs, 5000), 0);
	stop(fw);
	/* offline workers (stopped) never block a sync */
	assert_int_equal(worker_view_sync(qs, 100), 0);
	rte_free(qs);
}

static void test_create_bounds(void **state)
{
	(void)state;
	assert_null(worker_qsbr_create(0));
	assert_null(worker_qsbr_create(WORKER_MAX + 1));
	assert_int_equal(worker_view_sync(NULL, 10), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sync_then_free),
		cmocka_unit_test(test_stuck_worker_times_out),
		cmocka_unit_test(test_create_bounds),
	};

	if (test_eal_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
