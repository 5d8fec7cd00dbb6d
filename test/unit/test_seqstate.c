/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the sequence-number state file (lib/sa/sa_seqstate.c):
 * creation, durable reservations across close/open, restart safety (the
 * first number after a restore is above anything reserved before), ahead-
 * of-time reservation by sa_out_maintain(), exhaustion, and refusal to
 * start on a corrupt file or an unwritable place.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sa.h"
#include "test_eal.h"

#define HEADER "# pmdvpn sequence-number state v1\n"

static char dir[256];
static char path[300];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static int setup_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/pmdvpn-seqstate-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/seqstate", dir);
	return 0;
}

static int teardown_dir(void **state)
{
	(void)state;
	chmod(dir, 0700);
	return nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static char *slurp(const char *p)
{
	static char buf[4096];
	FILE *f = fopen(p, "r");
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void put(const char *p, const char *content)
{
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fputs(content, f);
	assert_int_equal(fclose(f), 0);
}

static bool exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

static struct sa_out *new_out(uint32_t spi, bool esn)
{
	uint8_t km[16 + SA_SALT_LEN] = { 1, 2, 3 };
	struct sa_out *sa = sa_out_create(AEAD_IMPL_OSSL, AEAD_AES128_GCM, spi, km,
					  sizeof(km), esn);

	assert_non_null(sa);
	return sa;
}

static struct sa_seqstate *open_ok(void)
{
	char err[256] = "";
	struct sa_seqstate *s = sa_seqstate_open(path, err, sizeof(err));

	if (s == NULL)
		fail_msg("open failed: %s", err);
	return s;
}

static void test_created(void **state)
{
	(void)state;
	char err[256] = "";
	char tmp[320];
	struct sa_seqstate *s, *s2;

	assert_false(exists(path));
	s = open_ok();
	assert_true(exists(path));
	assert_string_equal(slurp(path), HEADER);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_false(exists(tmp));
	assert_int_equal(sa_seqstate_get(s, 0x2001), 0);
	/* a second opener (another gateway) is refused while the first lives */
	s2 = sa_seqstate_open(path, err, sizeof(err));
	assert_null(s2);
	assert_non_null(strstr(err, "in use"));
	sa_seqstate_close(s);
	/* and admitted after the close; an existing empty table is fine */
	s = open_ok();
	assert_string_equal(slurp(path), HEADER);
	sa_seqstate_close(s);
	sa_seqstate_close(NULL);
	err[0] = '\0';
	assert_null(sa_seqstate_open("", err, sizeof(err)));
	assert_true(err[0] != '\0');
	assert_null(sa_seqstate_open(NULL, NULL, 0));
}

static void test_reserve_persists(void **state)
{
	(void)state;
	struct sa_seqstate *s = open_ok();

	assert_int_equal(sa_seqstate_reserve(s, 0x2001, 100), 0);
	assert_int_equal(sa_seqstate_reserve(s, 0xfedcba98, 5000), 0);
	assert_int_equal(sa_seqstate_reserve(s, 0x10, UINT64_MAX), 0);
	/* reserved before the call returns: the file already says so */
	assert_string_equal(slurp(path), HEADER
			    "spi 0x00000010 reserved 18446744073709551615\n"
			    "spi 0x00002001 reserved 100\n"
			    "spi 0xfedcba98 reserved 5000\n");
	/* a mark never goes down */
	assert_int_equal(sa_seqstate_reserve(s, 0x2001, 50), 0);
	assert_int_equal(sa_seqstate_get(s, 0x2001), 100);
	assert_int_equal(sa_seqstate_reserve(s, 0x2001, 101), 0);
	assert_int_equal(sa_seqstate_reserve(s, 0, 5), -EINVAL);
	sa_seqstate_close(s);

	s = open_ok();
	assert_int_equal(sa_seqstate_get(s, 0x2001), 101);
	assert_int_equal(sa_seqstate_get(s, 0xfedcba98), 5000);
	assert_true(sa_seqstate_get(s, 0x10) == UINT64_MAX);
	assert_int_equal(sa_seqstate_get(s, 0x2002), 0);
	/* many SPIs */
	for (uint32_t spi = 1; spi < 300; spi++)
		assert_int_equal(sa_seqstate_reserve(s, spi * 7919, spi), 0);
	sa_seqstate_close(s);
	s = open_ok();
	for (uint32_t spi = 1; spi < 300; spi++)
		assert_int_equal(sa_seqstate_get(s, spi * 7919), spi);
	sa_seqstate_close(s);
}

/* Sends n packets, checking each number is fresh and increasing. */
static uint64_t send_n(struct sa_out *sa, uint64_t n, uint64_t after)
{
	uint64_t last = after;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t seq = sa_out_next_seq(sa);

		assert_true(seq > last);
		last = seq;
	}
	return last;
}

static void test_restore_restart(void **state)
{
	(void)state;
	struct sa_seqstate *s = open_ok();
	struct sa_out *sa = new_out(0x2001, false);
	uint64_t used, reserved;

	assert_int_equal(sa_out_restore(s, sa), 0);
	assert_int_equal(sa->seq, 0);
	assert_int_equal(sa->seq_limit, SA_SEQ_BLOCK);
	assert_int_equal(sa_seqstate_get(s, 0x2001), SA_SEQ_BLOCK);
	used = send_n(sa, 1000, 0);
	assert_int_equal(used, 1000);
	reserved = sa_seqstate_get(s, 0x2001);
	/* crash: nothing but the file survives */
	sa_out_free(sa);
	sa_seqstate_close(s);

	for (int restart = 0; restart < 3; restart++) {
		s = open_ok();
		sa = new_out(0x2001, false);
		assert_int_equal(sa_out_next_seq(sa), 0); /* not before restore */
		assert_int_equal(sa_out_restore(s, sa), 0);
		uint64_t first = sa_out_next_seq(sa);

		/* above everything used and everything reserved before */
		assert_true(first > used);
		assert_int_equal(first, reserved + 1);
		assert_int_equal(sa->seq_limit, reserved + SA_SEQ_BLOCK);
		used = send_n(sa, 10, first);
		reserved = sa_seqstate_get(s, 0x2001);
		assert_int_equal(reserved, sa->seq_limit);
		sa_out_free(sa);
		sa_seqstate_close(s);
	}

	/* a mark written by hand (or by an older run) is honoured exactly */
	s = open_ok();
	assert_int_equal(sa_seqstate_reserve(s, 0x3001, 12345), 0);
	sa = new_out(0x3001, true);
	assert_int_equal(sa_out_restore(s, sa), 0);
	assert_int_equal(sa_out_next_seq(sa), 12346);
	sa_out_free(sa);
	sa_seqstate_close(s);
}

static void test_maintain(void **state)
{
	(void)state;
	struct sa_seqstate *s = open_ok();
	struct sa_out *sa = new_out(0x4001, true);
	uint64_t limit, last = 0;

	/* not restored yet: maintain does the restore (above the mark) */
	assert_int_equal(sa_seqstate_reserve(s, 0x4001, 77), 0);
	assert_int_equal(sa_out_maintain(s, sa), 0);
	assert_int_equal(sa->seq, 77);
	assert_int_equal(sa->seq_limit, 77 + SA_SEQ_BLOCK);
	limit = sa->seq_limit;

	/* more than half a block left: nothing to do */
	sa->seq = limit - SA_SEQ_BLOCK / 2;
	assert_int_equal(sa_out_maintain(s, sa), 0);
	assert_int_equal(sa->seq_limit, limit);
	assert_int_equal(sa_seqstate_get(s, 0x4001), limit);
	/* less than half: the next block is reserved, then published */
	sa->seq = limit - SA_SEQ_BLOCK / 2 + 1;
	assert_int_equal(sa_out_maintain(s, sa), 0);
	assert_int_equal(sa->seq_limit, limit + SA_SEQ_BLOCK);
	assert_int_equal(sa_seqstate_get(s, 0x4001), limit + SA_SEQ_BLOCK);
	sa_seqstate_close(s);
	s = open_ok();
	assert_int_equal(sa_seqstate_get(s, 0x4001), limit + SA_SEQ_BLOCK);

	/* a worker sending steadily with maintain called now and then never
	 * hits the limit */
	sa_out_free(sa);
	sa = new_out(0x5001, false);
	assert_int_equal(sa_out_restore(s, sa), 0);
	for (uint64_t i = 0; i < 3 * SA_SEQ_BLOCK; i++) {
		uint64_t seq = sa_out_next_seq(sa);

		assert_true(seq == last + 1);
		last = seq;
		if (i % 4096 == 0)
			assert_int_equal(sa_out_maintain(s, sa), 0);
	}
	assert_true(sa_seqstate_get(s, 0x5001) > last);
	assert_true(sa->seq_limit <= sa_seqstate_get(s, 0x5001));
	sa_out_free(sa);
	sa_seqstate_close(s);
}

static void test_write_failure(void **state)
{
	(void)state;
	char tmp[320], err[256] = "";
	struct sa_seqstate *s = open_ok();
	struct sa_out *sa = new_out(0x6001, false);
	const char *before;
	uint64_t limit;

	assert_int_equal(sa_out_restore(s, sa), 0);
	limit = sa->seq_limit;
	before = strdup(slurp(path));
	/* a directory where the temporary file goes: every write fails, even
	 * for root */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(mkdir(tmp, 0700), 0);
	assert_int_equal(sa_seqstate_reserve(s, 0x6001, limit + 5), -EISDIR);
	assert_int_equal(sa_seqstate_get(s, 0x6001), limit);
	assert_int_equal(sa_seqstate_reserve(s, 0x6002, 5), -EISDIR);
	assert_int_equal(sa_seqstate_get(s, 0x6002), 0);
	assert_string_equal(slurp(path), before);
	/* maintain reports the error and does not publish an unsaved limit */
	sa->seq = limit - 1;
	assert_true(sa_out_maintain(s, sa) < 0);
	assert_int_equal(sa->seq_limit, limit);
	assert_int_equal(sa_out_next_seq(sa), limit);
	assert_int_equal(sa_out_next_seq(sa), 0);
	/* a restore that cannot reserve leaves the SA unable to send */
	struct sa_out *sb = new_out(0x6003, false);

	assert_true(sa_out_restore(s, sb) < 0);
	assert_int_equal(sa_out_next_seq(sb), 0);
	sa_seqstate_close(s);
	/* the open itself proves the file writable and refuses otherwise */
	assert_null(sa_seqstate_open(path, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot write"));
	assert_string_equal(slurp(path), before);
	/* fixed: everything works again */
	assert_int_equal(rmdir(tmp), 0);
	s = open_ok();
	assert_int_equal(sa_out_maintain(s, sa), 0);
	assert_int_equal(sa->seq_limit, limit + SA_SEQ_BLOCK);
	assert_int_equal(sa_out_next_seq(sa), 0 + limit + 1);
	assert_int_equal(sa_out_maintain(s, sb), 0);   /* retries the restore */
	assert_int_equal(sa_out_next_seq(sb), 1);
	sa_out_free(sa);
	sa_out_free(sb);
	sa_seqstate_close(s);
	free((void *)before);
}

static void test_exhaustion(void **state)
{
	(void)state;
	struct sa_seqstate *s = open_ok();
	struct sa_out *sa = new_out(0x7001, false);
	uint64_t last;

	/* 10 numbers left below 2^32 */
	assert_int_equal(sa_seqstate_reserve(s, 0x7001, UINT32_MAX - 10), 0);
	assert_int_equal(sa_out_restore(s, sa), 0);
	assert_int_equal(sa->seq_limit, UINT32_MAX);      /* capped */
	assert_int_equal(sa_seqstate_get(s, 0x7001), UINT32_MAX);
	last = send_n(sa, 10, UINT32_MAX - 10);
	assert_int_equal(last, UINT32_MAX);
	assert_int_equal(sa_out_next_seq(sa), 0);
	assert_int_equal(sa_out_maintain(s, sa), 1);
	assert_int_equal(sa_out_maintain(s, sa), 1);
	assert_int_equal(sa_seqstate_get(s, 0x7001), UINT32_MAX);
	sa_out_free(sa);

	/* restarted on an exhausted mark: never sends again */
	sa = new_out(0x7001, false);
	assert_int_equal(sa_out_restore(s, sa), 0);
	assert_int_equal(sa_out_next_seq(sa), 0);
	assert_int_equal(sa_out_maintain(s, sa), 1);
	sa_out_free(sa);

	/* close to the end but not there: maintain reserves up to the cap
	 * only, and reports exhaustion only when it is reached */
	assert_int_equal(sa_seqstate_reserve(s, 0x7002, UINT32_MAX - 3 * SA_SEQ_BLOCK / 2), 0);
	sa = new_out(0x7002, false);
	assert_int_equal(sa_out_restore(s, sa), 0);
	assert_int_equal(sa->seq_limit, UINT32_MAX - SA_SEQ_BLOCK / 2);
	sa->seq = sa->seq_limit - 10;
	assert_int_equal(sa_out_maintain(s, sa), 0);
	assert_int_equal(sa->seq_limit, UINT32_MAX);
	sa->seq = UINT32_MAX - 1;
	assert_int_equal(sa_out_maintain(s, sa), 0);
	assert_int_equal(sa_out_next_seq(sa), UINT32_MAX);
	assert_int_equal(sa_out_maintain(s, sa), 1);
	sa_out_free(sa);

	/* the same mark on an ESN SA is far from the end */
	sa = new_out(0x7001, true);
	assert_int_equal(sa_out_restore(s, sa), 0);
	assert_int_equal(sa_out_next_seq(sa), 1ull << 32);
	assert_int_equal(sa_out_maintain(s, sa), 0);
	/* and the 64-bit end is an end too */
	sa->seq = UINT64_MAX - 1;
	__atomic_store_n(&sa->seq_limit, UINT64_MAX, __ATOMIC_RELEASE);
	assert_true(sa_out_next_seq(sa) == UINT64_MAX);
	assert_int_equal(sa_out_next_seq(sa), 0);
	assert_int_equal(sa_out_maintain(s, sa), 1);
	sa_out_free(sa);
	sa_seqstate_close(s);
}

static void test_corrupt_rejected(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",                                         /* no header */
		"garbage\n",
		"# pmdvpn sequence-number state v2\n",
		"# pmdvpn sequence-number state v1",        /* header cut short */
		HEADER "spi 0x00002001 reserved 5",         /* truncated line */
		HEADER "spi 0x2001 reserved 5\n",           /* short hex */
		HEADER "spi 0x000020011 reserved 5\n",
		HEADER "spi 0x0000200g reserved 5\n",
		HEADER "spi 0x00002001 reserved\n",
		HEADER "spi 0x00002001 reserved \n",
		HEADER "spi 0x00002001 reserved -5\n",
		HEADER "spi 0x00002001 reserved +5\n",
		HEADER "spi 0x00002001 reserved 5 \n",
		HEADER "spi 0x00002001 reserved 5\r\n",
		HEADER " spi 0x00002001 reserved 5\n",
		HEADER "spi 0x00002001  reserved 5\n",
		HEADER "spi 0x00002001 reserved 18446744073709551616\n", /* 2^64 */
		HEADER "spi 0x00002001 reserved 99999999999999999999999\n",
		HEADER "spi 0x00000000 reserved 5\n",       /* SPI 0 */
		HEADER "spi 0x00002001 reserved 5\nspi 0x00002001 reserved 6\n",
		HEADER "spi 0x00002001 reserved 5\n\n",     /* blank line */
		HEADER "spi 0x00002001 reserved 5\nspi 0x0000",
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[256] = "";

		put(path, bad[i]);
		assert_null(sa_seqstate_open(path, err, sizeof(err)));
		if (strstr(err, path) == NULL)
			fail_msg("case %u: message does not name the file: \"%s\"", i, err);
		/* never "repaired" into an empty table */
		assert_string_equal(slurp(path), bad[i]);
	}
	/* an embedded NUL needs a byte-exact write */
	{
		static const char nul[] = HEADER "spi 0x00002001 reserved 5\n\0";
		char err[256] = "";
		int fd = open(path, O_WRONLY | O_TRUNC);

		assert_true(fd >= 0);
		assert_int_equal(write(fd, nul, sizeof(nul)), sizeof(nul));
		close(fd);
		assert_null(sa_seqstate_open(path, err, sizeof(err)));
		assert_non_null(strstr(err, "line 3"));
	}
	/* line numbers point at the problem */
	{
		char err[256] = "";

		put(path, HEADER "spi 0x00002001 reserved 5\nspi 0x00002002 reserved x\n");
		assert_null(sa_seqstate_open(path, err, sizeof(err)));
		assert_non_null(strstr(err, "line 3"));
	}
	/* good variants: upper-case hex, the largest mark */
	put(path, HEADER "spi 0xABCDEF01 reserved 18446744073709551615\n"
		  "spi 0x00000001 reserved 0\n");
	struct sa_seqstate *s = open_ok();

	assert_true(sa_seqstate_get(s, 0xabcdef01) == UINT64_MAX);
	assert_int_equal(sa_seqstate_get(s, 1), 0);
	sa_seqstate_close(s);
	/* rewritten in canonical form */
	assert_string_equal(slurp(path), HEADER "spi 0x00000001 reserved 0\n"
				       "spi 0xabcdef01 reserved 18446744073709551615\n");
	/* a directory in place of the file */
	{
		char err[256] = "";

		assert_int_equal(unlink(path), 0);
		assert_int_equal(mkdir(path, 0700), 0);
		assert_null(sa_seqstate_open(path, err, sizeof(err)));
		assert_true(err[0] != '\0');
		assert_int_equal(rmdir(path), 0);
	}
}

/*
 * Runs sa_seqstate_open(p) as an unprivileged user when we are root (root
 * ignores permission bits), returns whether it succeeded, and the message.
 */
static bool open_unprivileged(const char *p, char *msg, size_t msglen)
{
	int fds[2];
	pid_t pid;
	int status;
	ssize_t n;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char err[256] = "";
		struct sa_seqstate *s;

		close(fds[0]);
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(2);
		s = sa_seqstate_open(p, err, sizeof(err));
		if (write(fds[1], err, strlen(err)) < 0)
			_exit(3);
		sa_seqstate_close(s);
		_exit(s != NULL ? 0 : 1);
	}
	close(fds[1]);
	n = read(fds[0], msg, msglen - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_true(WEXITSTATUS(status) <= 1);
	return WEXITSTATUS(status) == 0;
}

static void test_unwritable(void **state)
{
	(void)state;
	char err[256] = "", p[400], sub[320];

	/* a directory that does not exist */
	snprintf(p, sizeof(p), "%s/missing/seqstate", dir);
	assert_null(sa_seqstate_open(p, err, sizeof(err)));
	assert_non_null(strstr(err, "missing/seqstate"));

	/* a read-only directory */
	assert_int_equal(chmod(dir, 0755), 0);
	snprintf(sub, sizeof(sub), "%s/ro", dir);
	assert_int_equal(mkdir(sub, 0555), 0);
	assert_int_equal(chmod(sub, 0555), 0);
	snprintf(p, sizeof(p), "%s/seqstate", sub);
	assert_false(open_unprivileged(p, err, sizeof(err)));
	assert_non_null(strstr(err, "writable"));
	assert_false(exists(p));

	/* a writable directory holding a state file nobody may read */
	snprintf(sub, sizeof(sub), "%s/rw", dir);
	assert_int_equal(mkdir(sub, 0777), 0);
	assert_int_equal(chmod(sub, 0777), 0);
	snprintf(p, sizeof(p), "%s/seqstate", sub);
	put(p, HEADER "spi 0x00002001 reserved 5\n");
	assert_int_equal(chmod(p, 0), 0);
	assert_false(open_unprivileged(p, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot read"));
	/* the same place works when the file is readable */
	assert_int_equal(chmod(p, 0644), 0);
	assert_true(open_unprivileged(p, err, sizeof(err)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_created, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_reserve_persists, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_restore_restart, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_maintain, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_write_failure, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_exhaustion, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_corrupt_rejected, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_unwritable, setup_dir, teardown_dir),
	};

	if (test_eal_init() != 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
