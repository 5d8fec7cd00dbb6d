/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sequence-number state file of static-key outbound SAs.
 *
 * A static key lives across restarts, so the outbound sequence number (and
 * with it the AEAD nonce) must too: reusing one under the same key breaks
 * GCM and ChaCha20-Poly1305 completely. The file records, per outbound
 * SPI, the highest number the SA has been allowed to use:
 *
 *     # pmdvpn sequence-number state v1
 *     spi 0x00002001 reserved 1048576
 *
 * Every change is written to path.tmp, fsynced, renamed over path and the
 * directory fsynced, so the file on disk is always either the old or the
 * new complete version. Parsing is strict: a file that does not parse is
 * an error, never an empty table, because restarting from zero would
 * reuse nonces. path.lock is held (flock) while open so that two gateway
 * processes cannot hand out the same numbers.
 *
 * Control plane only: syscalls and allocation are fine here.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sa.h"

#define SEQSTATE_HEADER "# pmdvpn sequence-number state v1\n"
#define SEQSTATE_MAX_SIZE (64u << 20) /* far more than any SPI count needs */
#define SEQSTATE_LINE_MAX 64          /* "spi 0x%08x reserved %20u\n" fits */

struct seq_entry {
	uint32_t spi;
	uint64_t upto;
};

struct sa_seqstate {
	char *path;
	char *tmp_path;
	char *dir_path;
	int lock_fd;
	struct seq_entry *e; /* sorted by spi */
	size_t n, cap;
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Index of spi in the sorted table, or where it would go (*found = false). */
static size_t seq_find(const struct sa_seqstate *s, uint32_t spi, bool *found)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->e[mid].spi < spi)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < s->n && s->e[lo].spi == spi;
	return lo;
}

static int seq_insert(struct sa_seqstate *s, size_t pos, uint32_t spi, uint64_t upto)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		struct seq_entry *e = realloc(s->e, cap * sizeof(*e));

		if (e == NULL)
			return -ENOMEM;
		s->e = e;
		s->cap = cap;
	}
	memmove(&s->e[pos + 1], &s->e[pos], (s->n - pos) * sizeof(*s->e));
	s->e[pos].spi = spi;
	s->e[pos].upto = upto;
	s->n++;
	return 0;
}

static void seq_remove(struct sa_seqstate *s, size_t pos)
{
	memmove(&s->e[pos], &s->e[pos + 1], (s->n - pos - 1) * sizeof(*s->e));
	s->n--;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t r = write(fd, buf, len);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += r;
		len -= (size_t)r;
	}
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) != 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Writes the whole table durably: tmp file, fsync, rename, fsync dir. */
static int seq_write(const struct sa_seqstate *s)
{
	size_t cap = sizeof(SEQSTATE_HEADER) + s->n * SEQSTATE_LINE_MAX, len;
	char *buf = malloc(cap);
	int fd, ret;

	if (buf == NULL)
		return -ENOMEM;
	len = (size_t)snprintf(buf, cap, "%s", SEQSTATE_HEADER);
	for (size_t i = 0; i < s->n; i++)
		len += (size_t)snprintf(buf + len, cap - len, "spi 0x%08" PRIx32 " reserved %" PRIu64 "\n",
					s->e[i].spi, s->e[i].upto);

	fd = open(s->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		free(buf);
		return ret;
	}
	ret = write_all(fd, buf, len);
	free(buf);
	if (ret == 0 && fsync(fd) != 0)
		ret = -errno;
	if (close(fd) != 0 && ret == 0)
		ret = -errno;
	if (ret == 0 && rename(s->tmp_path, s->path) != 0)
		ret = -errno;
	if (ret != 0) {
		unlink(s->tmp_path);
		return ret;
	}
	/* the rename itself must survive a crash too */
	return fsync_dir(s->dir_path);
}

/* Parses "spi 0x<8 hex> reserved <decimal>" exactly. Returns 0 or -1. */
static int parse_line(const char *p, const char *end, uint32_t *spi, uint64_t *upto)
{
	static const char pre[] = "spi 0x", mid[] = " reserved ";
	uint32_t v = 0;
	uint64_t u = 0;
	int i;

	if ((size_t)(end - p) < sizeof(pre) - 1 || memcmp(p, pre, sizeof(pre) - 1) != 0)
		return -1;
	p += sizeof(pre) - 1;
	for (i = 0; i < 8; i++, p++) {
		int d;

		if (p == end)
			return -1;
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			return -1;
		v = v << 4 | (uint32_t)d;
	}
	if ((size_t)(end - p) < sizeof(mid) - 1 || memcmp(p, mid, sizeof(mid) - 1) != 0)
		return -1;
	p += sizeof(mid) - 1;
	if (p == end)
		return -1;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (u > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1; /* overflow */
		u = u * 10 + (uint64_t)(*p - '0');
	}
	*spi = v;
	*upto = u;
	return 0;
}

static int seq_parse(struct sa_seqstate *s, const char *buf, size_t len,
		     char *err, size_t errlen)
{
	const char *p = buf, *end = buf + len;
	unsigned lineno = 1;

	if (len < sizeof(SEQSTATE_HEADER) - 1 ||
	    memcmp(buf, SEQSTATE_HEADER, sizeof(SEQSTATE_HEADER) - 1) != 0) {
		seterr(err, errlen, "%s: not a pmdvpn sequence state file (bad or missing header)",
		       s->path);
		return -1;
	}
	p += sizeof(SEQSTATE_HEADER) - 1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		uint32_t spi;
		uint64_t upto;
		size_t pos;
		bool found;

		lineno++;
		if (nl == NULL) {
			seterr(err, errlen, "%s line %u: truncated (no newline)", s->path, lineno);
			return -1;
		}
		if (parse_line(p, nl, &spi, &upto) != 0 || spi == 0) {
			seterr(err, errlen, "%s line %u: malformed entry, expected "
			       "\"spi 0x<8 hex digits> reserved <number>\"", s->path, lineno);
			return -1;
		}
		pos = seq_find(s, spi, &found);
		if (found) {
			seterr(err, errlen, "%s line %u: duplicate spi 0x%08" PRIx32,
			       s->path, lineno, spi);
			return -1;
		}
		if (seq_insert(s, pos, spi, upto) != 0) {
			seterr(err, errlen, "%s: out of memory", s->path);
			return -1;
		}
		p = nl + 1;
	}
	return 0;
}

/* Loads path if it exists. Returns 0 (also for a missing file) or -1. */
static int seq_load(struct sa_seqstate *s, char *err, size_t errlen)
{
	struct stat st;
	char *buf;
	size_t len = 0;
	int fd, ret;

	fd = open(s->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		seterr(err, errlen, "cannot read sequence state file %s: %s",
		       s->path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > SEQSTATE_MAX_SIZE) {
		seterr(err, errlen, "sequence state file %s: not a regular file of sane size",
		       s->path);
		close(fd);
		return -1;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		seterr(err, errlen, "%s: out of memory", s->path);
		close(fd);
		return -1;
	}
	while (len < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + len, (size_t)st.st_size - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			seterr(err, errlen, "cannot read sequence state file %s: %s",
			       s->path, r < 0 ? strerror(errno) : "unexpected end of file");
			free(buf);
			close(fd);
			return -1;
		}
		len += (size_t)r;
	}
	close(fd);
	ret = seq_parse(s, buf, len, err, errlen);
	free(buf);
	return ret;
}

static int seq_lock(struct sa_seqstate *s, char *err, size_t errlen)
{
	char *lock_path;

	if (asprintf(&lock_path, "%s.lock", s->path) < 0) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	s->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0) {
		seterr(err, errlen, "cannot create %s (is the directory writable?): %s",
		       lock_path, strerror(errno));
		free(lock_path);
		return -1;
	}
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		seterr(err, errlen, "sequence state file %s is in use by another process (%s)",
		       s->path, strerror(errno));
		free(lock_path);
		return -1;
	}
	free(lock_path);
	return 0;
}

struct sa_seqstate *sa_seqstate_open(const char *path, char *err, size_t errlen)
{
	struct sa_seqstate *s;
	char *tmp;
	int ret;

	if (path == NULL || path[0] == '\0') {
		seterr(err, errlen, "no sequence state file path given");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	s->lock_fd = -1;
	s->path = strdup(path);
	tmp = strdup(path);
	if (s->path == NULL || tmp == NULL ||
	    asprintf(&s->tmp_path, "%s.tmp", path) < 0) {
		s->tmp_path = NULL;
		free(tmp);
		seterr(err, errlen, "out of memory");
		goto fail;
	}
	s->dir_path = strdup(dirname(tmp));
	free(tmp);
	if (s->dir_path == NULL) {
		seterr(err, errlen, "out of memory");
		goto fail;
	}
	if (seq_lock(s, err, errlen) != 0 || seq_load(s, err, errlen) != 0)
		goto fail;
	/* Prove now, not at the first reservation, that the file can be
	 * rewritten durably: a gateway that cannot must not start. */
	ret = seq_write(s);
	if (ret != 0) {
		seterr(err, errlen, "cannot write sequence state file %s (via %s): %s",
		       s->path, s->tmp_path, strerror(-ret));
		goto fail;
	}
	return s;
fail:
	sa_seqstate_close(s);
	return NULL;
}

void sa_seqstate_close(struct sa_seqstate *s)
{
	if (s == NULL)
		return;
	if (s->lock_fd >= 0)
		close(s->lock_fd); /* releases the flock */
	free(s->e);
	free(s->path);
	free(s->tmp_path);
	free(s->dir_path);
	free(s);
}

uint64_t sa_seqstate_get(const struct sa_seqstate *s, uint32_t spi)
{
	bool found;
	size_t pos;

	if (s == NULL)
		return 0;
	pos = seq_find(s, spi, &found);
	return found ? s->e[pos].upto : 0;
}

int sa_seqstate_reserve(struct sa_seqstate *s, uint32_t spi, uint64_t upto)
{
	uint64_t old;
	size_t pos;
	bool found;
	int ret;

	if (s == NULL || spi == 0)
		return -EINVAL;
	pos = seq_find(s, spi, &found);
	/* A mark never goes down: what was reserved may have been used. */
	if (found && upto <= s->e[pos].upto)
		return 0;
	if (found) {
		old = s->e[pos].upto;
		s->e[pos].upto = upto;
	} else {
		old = 0;
		ret = seq_insert(s, pos, spi, upto);
		if (ret != 0)
			return ret;
	}
	ret = seq_write(s);
	if (ret != 0) {
		/* keep memory equal to what is durable */
		if (found)
			s->e[pos].upto = old;
		else
			seq_remove(s, pos);
	}
	return ret;
}

/* Highest number to reserve next from base: one block on, capped at seq_max. */
static uint64_t seq_next_limit(const struct sa_out *sa, uint64_t base)
{
	if (base >= sa->seq_max || sa->seq_max - base < SA_SEQ_BLOCK)
		return sa->seq_max;
	return base + SA_SEQ_BLOCK;
}

int sa_out_restore(struct sa_seqstate *s, struct sa_out *sa)
{
	uint64_t mark, upto;
	int ret;

	if (s == NULL || sa == NULL)
		return -EINVAL;
	mark = sa_seqstate_get(s, sa->spi);
	/* Everything up to the mark may have been sent before a crash. */
	if (mark > sa->seq)
		sa->seq = mark;
	if (sa->seq >= sa->seq_max) {
		/* exhausted for good: publish a limit that sends nothing */
		__atomic_store_n(&sa->seq_limit, sa->seq, __ATOMIC_RELEASE);
		return 0;
	}
	upto = seq_next_limit(sa, sa->seq);
	ret = sa_seqstate_reserve(s, sa->spi, upto);
	if (ret != 0)
		return ret;
	/* release: the worker sees seq before the limit that allows using it */
	__atomic_store_n(&sa->seq_limit, upto, __ATOMIC_RELEASE);
	return 0;
}

int sa_out_maintain(struct sa_seqstate *s, struct sa_out *sa)
{
	uint64_t seq, limit, base, upto;
	int ret;

	if (s == NULL || sa == NULL)
		return -EINVAL;
	seq = __atomic_load_n(&sa->seq, __ATOMIC_RELAXED);
	limit = __atomic_load_n(&sa->seq_limit, __ATOMIC_RELAXED);
	if (seq >= sa->seq_max)
		return 1;
	/* Never restored (or the first reservation failed): the worker sends
	 * nothing, so it is safe to (re)do the restore, which starts above
	 * the stored mark. */
	if (limit == 0)
		return sa_out_restore(s, sa);
	if (limit >= sa->seq_max || limit - seq >= SA_SEQ_BLOCK / 2)
		return 0;
	base = RTE_MAX(limit, sa_seqstate_get(s, sa->spi));
	upto = seq_next_limit(sa, base);
	ret = sa_seqstate_reserve(s, sa->spi, upto);
	if (ret != 0)
		return ret;
	__atomic_store_n(&sa->seq_limit, upto, __ATOMIC_RELEASE);
	return 0;
}
