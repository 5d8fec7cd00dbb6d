/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * conf: loading a config file, and the small helpers around the model.
 * The parser itself is conf_parse.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"

#define CONF_FILE_MAX (1u << 20) /* as in conf_parse.c */

static int
load_err(char *err, size_t errlen, const char *path, const char *what)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", path, what);
	return -1;
}

/*
 * Reads the whole file (at most 1 MiB; one byte more is read to tell a
 * larger one). The buffer may hold keys: the caller wipes it.
 */
static int
read_file(const char *path, char *buf, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	size_t got = 0;
	ssize_t r;
	int fd;

	/* O_NONBLOCK: a FIFO named as config must not hang the open. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return load_err(err, errlen, path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		close(fd);
		return load_err(err, errlen, path, strerror(errno));
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return load_err(err, errlen, path, "is a directory");
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return load_err(err, errlen, path, "is not a regular file");
	}
	while (got < CONF_FILE_MAX + 1) {
		r = read(fd, buf + got, CONF_FILE_MAX + 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			close(fd);
			return load_err(err, errlen, path, strerror(e));
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	*len = got;
	return 0;
}

int
conf_load(const char *path, struct conf **out, char *err, size_t errlen)
{
	size_t len = 0;
	char *buf;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (path == NULL || out == NULL)
		return load_err(err, errlen, path ? path : "<config>", "bad arguments");
	*out = NULL;
	buf = malloc(CONF_FILE_MAX + 1);
	if (buf == NULL)
		return load_err(err, errlen, path, "out of memory");
	rc = read_file(path, buf, &len, err, errlen);
	if (rc == 0)
		rc = conf_parse(buf, len, path, out, err, errlen);
	/* Inline keys were in the file. */
	explicit_bzero(buf, len);
	free(buf);
	return rc;
}

void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	explicit_bzero(c, sizeof(*c));
	free(c);
}

const struct conf_peer *
conf_peer_find(const struct conf *c, const char *name)
{
	unsigned i;

	if (c == NULL || name == NULL)
		return NULL;
	for (i = 0; i < c->n_peers; i++)
		if (strcmp(c->peers[i].name, name) == 0)
			return &c->peers[i];
	return NULL;
}

const char *
conf_prefix_str(const struct conf_prefix *p, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	if (buf == NULL || len == 0)
		return buf;
	if (p == NULL ||
	    (p->family != AF_INET && p->family != AF_INET6) ||
	    inet_ntop(p->family, p->addr, addr, sizeof(addr)) == NULL) {
		snprintf(buf, len, "?");
		return buf;
	}
	snprintf(buf, len, "%s/%u", addr, p->len);
	return buf;
}
