/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The interactive prompt, built from DPDK cmdline tokens as testpmd's is.
 * Input is read here (poll + read) and fed to cmdline_in(), so the loop
 * also notices signals and end of input instead of blocking in read().
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmdline.h>
#include <cmdline_parse.h>
#include <cmdline_parse_string.h>
#include <cmdline_rdline.h>
#include <cmdline_socket.h>

#include "console.h"

static const struct conf *cons_conf;
static bool cons_quit;

struct cmd_show_result {
	cmdline_fixed_string_t show;
	cmdline_fixed_string_t what;
};

static void cmd_show_parsed(void *parsed, struct cmdline *cl, void *data)
{
	struct cmd_show_result *res = parsed;

	(void)cl;
	(void)data;
	if (strcmp(res->what, "stats") == 0)
		report_stats(stdout, cons_conf);
	else
		report_peers(stdout, cons_conf);
}

static cmdline_parse_token_string_t cmd_show_show =
	TOKEN_STRING_INITIALIZER(struct cmd_show_result, show, "show");
static cmdline_parse_token_string_t cmd_show_what =
	TOKEN_STRING_INITIALIZER(struct cmd_show_result, what, "stats#peers");

static cmdline_parse_inst_t cmd_show = {
	.f = cmd_show_parsed,
	.help_str = "show stats|peers: counters, or the peers and their SAs",
	.tokens = { (void *)&cmd_show_show, (void *)&cmd_show_what, NULL },
};

struct cmd_word_result {
	cmdline_fixed_string_t word;
};

static void cmd_quit_parsed(void *parsed, struct cmdline *cl, void *data)
{
	(void)parsed;
	(void)data;
	cons_quit = true;
	cmdline_quit(cl);
}

static cmdline_parse_token_string_t cmd_quit_word =
	TOKEN_STRING_INITIALIZER(struct cmd_word_result, word, "quit#exit");

static cmdline_parse_inst_t cmd_quit = {
	.f = cmd_quit_parsed,
	.help_str = "quit: stop the gateway (drains, wipes keys, removes its host routes)",
	.tokens = { (void *)&cmd_quit_word, NULL },
};

static void cmd_help_parsed(void *parsed, struct cmdline *cl, void *data)
{
	(void)parsed;
	(void)data;
	cmdline_printf(cl, "commands:\n"
		       "  show peers   peers, endpoints, ciphers, SPIs, subnets\n"
		       "  show stats   port, peer, drop and lcore counters\n"
		       "  quit         stop the gateway\n");
}

static cmdline_parse_token_string_t cmd_help_word =
	TOKEN_STRING_INITIALIZER(struct cmd_word_result, word, "help");

static cmdline_parse_inst_t cmd_help = {
	.f = cmd_help_parsed,
	.help_str = "help: list the commands",
	.tokens = { (void *)&cmd_help_word, NULL },
};

static cmdline_parse_ctx_t console_ctx[] = {
	(cmdline_parse_inst_t *)&cmd_show,
	(cmdline_parse_inst_t *)&cmd_quit,
	(cmdline_parse_inst_t *)&cmd_help,
	NULL,
};

int console_run(const struct conf *c, volatile bool *stop, void (*idle)(void *), void *arg)
{
	bool tty = isatty(STDIN_FILENO);
	struct cmdline *cl;
	char buf[256];

	cons_conf = c;
	cons_quit = false;
	/* On a terminal, cmdline_stdin_new() switches to raw mode for line
	 * editing and completion; a pipe (scripts, tests) is read as is. */
	cl = tty ? cmdline_stdin_new(console_ctx, "pmdvpn> ")
		 : cmdline_new(console_ctx, "pmdvpn> ", STDIN_FILENO, STDOUT_FILENO);
	if (cl == NULL)
		return -1;
	while (!cons_quit && !*stop) {
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
		int rc = poll(&pfd, 1, 100);
		ssize_t n;

		if (idle != NULL)
			idle(arg);
		if (rc < 0 && errno != EINTR)
			break;
		if (rc <= 0)
			continue;
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break; /* end of input: same as quit */
		if (cmdline_in(cl, buf, (int)n) < 0)
			break;
		fflush(stdout);
	}
	if (tty)
		cmdline_stdin_exit(cl);
	else
		cmdline_free(cl);
	printf("\n");
	return 0;
}
