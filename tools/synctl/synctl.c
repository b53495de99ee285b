// SPDX-License-Identifier: GPL-2.0
/*
 * synctl - configure the xsynproxy module over generic netlink.
 *
 *	synctl [OPTIONS] OBJECT { COMMAND | help }
 *	synctl [OPTIONS] -batch FILE
 *
 * This file holds the options, the one table of commands, the dispatcher
 * and help generated from that table, batch files, and the signal handling
 * of the commands that run until interrupted.
 */
#define _GNU_SOURCE		/* ppoll() */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "synctl.h"

static const struct cmd ports_cmds[] = {
	{
		.name	= "add",
		.args	= "PORTS [on|off] [family FAMILY]",
		.desc	= "protect ports (off: added disabled)",
		.fn	= do_ports_add,
	}, {
		.name	= "del",
		.args	= "PORTS [family FAMILY]|all",
		.desc	= "remove ranges, or all ranges",
		.fn	= do_ports_del,
	}, {
		.name	= "set",
		.args	= "PORTS on|off [family FAMILY]",
		.desc	= "turn ranges' protection on or off",
		.fn	= do_ports_set,
	}, {
		.name	= "show",
		.alias	= "list",
		.desc	= "list the ranges (default)",
		.fn	= do_ports_show,
		.dflt	= true,
	},
	{ }
};

static const struct cmd salt_cmds[] = {
	{
		.name	= "show",
		.desc	= "key id, epoch, epoch length (default)",
		.fn	= do_salt_show,
		.dflt	= true,
	}, {
		.name	= "rotate",
		.desc	= "switch to a new random key",
		.fn	= do_salt_rotate,
	}, {
		.name	= "set",
		.args	= "[--key-file FILE|-] [--epoch-len SEC]",
		.desc	= "install a shared key, set epoch length",
		.fn	= do_salt_set,
	},
	{ }
};

static const struct cmd budget_cmds[] = {
	{
		.name	= "set",
		.args	= "N|unlimited",
		.desc	= "SYN-ACKs per second, 0 = unlimited",
		.fn	= do_budget_set,
	}, {
		.name	= "show",
		.desc	= "print the budget (default)",
		.fn	= do_budget_show,
		.dflt	= true,
	},
	{ }
};

static const struct cmd datapath_cmds[] = {
	{
		.name	= "set",
		.args	= "synack auto|copy",
		.desc	= "SYN-ACKs in the SYN's buffer where safe, or always copied",
		.fn	= do_datapath_set,
	}, {
		.name	= "show",
		.desc	= "print the datapath settings (default)",
		.fn	= do_datapath_show,
		.dflt	= true,
	},
	{ }
};

static const struct cmd stats_cmds[] = {
	{
		.name	= "show",
		.args	= "[-i SEC [-c COUNT]]",
		.desc	= "every counter, or rates every SEC (default)",
		.fn	= do_stats_show,
		.dflt	= true,
	}, {
		.name	= "reset",
		.desc	= "zero the counters",
		.fn	= do_stats_reset,
	},
	{ }
};

static const struct cmd cookie_cmds[] = {
	{
		.name	= "mint",
		.args	= "SADDR SPORT DADDR DPORT ISN [mss N] [wscale N] "
			  "[sack] [ecn] [ts]",
		.desc	= "cookie the module would answer with",
		.fn	= do_cookie_mint,
	},
	{ }
};

const struct cmd synctl_objects[] = {
	{
		.name	= "version",
		.desc	= "versions of synctl and of the module",
		.fn	= do_version,
	}, {
		.name	= "show",
		.desc	= "state and settings of the namespace",
		.fn	= do_show,
	}, {
		.name	= "ports",
		.desc	= "protected TCP ports",
		.sub	= ports_cmds,
	}, {
		.name	= "salt",
		.desc	= "cookie key and epochs",
		.sub	= salt_cmds,
	}, {
		.name	= "budget",
		.desc	= "SYN-ACK rate limit",
		.sub	= budget_cmds,
	}, {
		.name	= "datapath",
		.desc	= "how SYN-ACKs are built",
		.sub	= datapath_cmds,
	}, {
		.name	= "stats",
		.desc	= "counters",
		.sub	= stats_cmds,
	}, {
		.name	= "cookie",
		.desc	= "diagnostics",
		.sub	= cookie_cmds,
	}, {
		.name	= "monitor",
		.desc	= "print changes as they happen",
		.fn	= do_monitor,
	}, {
		.name	= "save",
		.desc	= "print commands recreating the settings",
		.fn	= do_save,
	},
	{ }
};

static const char options_help[] =
	"OPTIONS := { -j[son] | -p[retty] | -n[etns] NAME | -b[atch] FILE |\n"
	"             -f[orce] | -4 | -6 | -V[ersion] | -h[elp] }\n"
	"PORTS := { PORT | LO-HI }[,...]   PORT := { NUMBER | SERVICE }\n"
	"FAMILY := { inet | inet6 | all }  (-4, -6: the default for ports)\n";

/* ---- help ---------------------------------------------------------------- */

#define SYNOPSIS_COLS	36

static void synopsis(char *buf, size_t size, const char *parent,
		     const struct cmd *c)
{
	snprintf(buf, size, "synctl %s%s%s%s%s%s%s",
		 parent ? parent : "", parent ? " " : "", c->name,
		 c->alias ? "|" : "", c->alias ? c->alias : "",
		 c->args ? " " : "", c->args ? c->args : "");
}

/*
 * One line per command, "  synctl OBJECT [VERB] ARGS", then at least two
 * blanks and the description: scripts read the commands off it. A long
 * synopsis gets the description on the next line instead, never wrapped.
 */
static void print_usage_line(FILE *f, const char *parent,
			     const struct cmd *c)
{
	char buf[160];

	synopsis(buf, sizeof(buf), parent, c);
	if (strlen(buf) <= SYNOPSIS_COLS)
		fprintf(f, "  %-*s  %s\n", SYNOPSIS_COLS, buf, c->desc);
	else
		fprintf(f, "  %s\n  %-*s  %s\n", buf, SYNOPSIS_COLS, "",
			c->desc);
}

static void print_verbs(FILE *f, const char *parent, const struct cmd *tbl)
{
	const struct cmd *c;

	for (c = tbl; c->name; c++)
		print_usage_line(f, parent, c);
}

/* Help for one level of the table: the objects, or one object's verbs. */
static void print_help(FILE *f, const struct cmd *tbl, const char *parent)
{
	const struct cmd *c;

	if (!parent) {
		fprintf(f, "Usage: synctl [OPTIONS] OBJECT { COMMAND | help }\n"
			   "       synctl [OPTIONS] -batch FILE\n"
			   "       synctl help [OBJECT]\n%s\n", options_help);
		for (c = tbl; c->name; c++) {
			if (c->sub)
				print_verbs(f, c->name, c->sub);
			else
				print_usage_line(f, NULL, c);
		}
		return;
	}
	fprintf(f, "Usage: synctl %s {", parent);
	for (c = tbl; c->name; c++)
		fprintf(f, " %s |", c->name);
	fprintf(f, " help }\n");
	print_verbs(f, parent, tbl);
}

static void print_leaf_help(FILE *f, const char *parent, const struct cmd *c)
{
	char buf[160];

	synopsis(buf, sizeof(buf), parent, c);
	fprintf(f, "Usage: %s\n  %s\n", buf, c->desc);
}

/* ---- dispatch ------------------------------------------------------------ */

/* What a word names: a command of the table, "help", nothing, or several. */
#define MATCH_HELP	((const struct cmd *)&match_help_tag)
#define MATCH_AMBIGUOUS	((const struct cmd *)&match_ambiguous_tag)
static const char match_help_tag, match_ambiguous_tag;

static bool is_prefix(const char *word, const char *name)
{
	return name && *word && !strncmp(word, name, strlen(word));
}

/*
 * An exact name or alias, else an unambiguous prefix of one, as iproute2
 * takes "ip a" for "ip address": "synctl p a 443", "synctl po sh". A
 * prefix of two commands is ambiguous ("s": show, salt, stats, save),
 * never resolved by table order.
 */
static const struct cmd *match_cmd(const struct cmd *tbl, const char *word)
{
	const struct cmd *c, *found = NULL;

	if (is_help(word))
		return MATCH_HELP;
	for (c = tbl; c->name; c++)
		if (!strcmp(word, c->name) ||
		    (c->alias && !strcmp(word, c->alias)))
			return c;
	if (is_prefix(word, "help"))
		found = MATCH_HELP;
	for (c = tbl; c->name; c++) {
		if (!is_prefix(word, c->name) && !is_prefix(word, c->alias))
			continue;
		if (found)
			return MATCH_AMBIGUOUS;
		found = c;
	}
	return found;
}

/* One line, as ip says it; the object (or verb) is not run. */
static int unknown(const struct cmd *tbl, const char *parent,
		   const char *word, const struct cmd *m)
{
	const char *sep = "";
	const struct cmd *c;

	err_start();
	fprintf(stderr, "%s \"%s\" is %s", parent ? "Command" : "Object",
		word, m == MATCH_AMBIGUOUS ? "ambiguous (" : "unknown");
	if (m == MATCH_AMBIGUOUS) {
		for (c = tbl; c->name; c++) {
			if (is_prefix(word, c->name) ||
			    is_prefix(word, c->alias)) {
				fprintf(stderr, "%s%s", sep, c->name);
				sep = ", ";
			}
		}
		if (is_prefix(word, "help"))
			fprintf(stderr, ", help");
		fputc(')', stderr);
	}
	fprintf(stderr, ", try \"synctl %s%shelp\".\n", parent ? parent : "",
		parent ? " " : "");
	return EXIT_USAGE;
}

static const struct cmd *find_default(const struct cmd *tbl)
{
	const struct cmd *c;

	for (c = tbl; c->name; c++)
		if (c->dflt)
			return c;
	return NULL;
}

/* "help [NAME...]" at any level. */
static int do_help(const struct cmd *tbl, const char *parent, int argc,
		   char **argv)
{
	const struct cmd *c;

	if (!argc) {
		print_help(stdout, tbl, parent);
		return EXIT_OK;
	}
	c = match_cmd(tbl, argv[0]);
	if (!c || c == MATCH_AMBIGUOUS || c == MATCH_HELP)
		return unknown(tbl, parent, argv[0], c);
	if (c->sub)
		return do_help(c->sub, c->name, argc - 1, argv + 1);
	if (argc > 1) {
		err_msg("unexpected argument \"%s\"", argv[1]);
		return EXIT_USAGE;
	}
	print_leaf_help(stdout, parent, c);
	return EXIT_OK;
}

static int dispatch(struct synctl *s, const struct cmd *tbl,
		    const char *parent, int argc, char **argv);

static int run(struct synctl *s, const struct cmd *c, const char *parent,
	       int argc, char **argv)
{
	char buf[160];
	int ret;

	if (c->sub)
		return dispatch(s, c->sub, c->name, argc, argv);
	if (argc && is_help(argv[0])) {
		print_leaf_help(stdout, parent, c);
		return EXIT_OK;
	}
	ret = c->fn(s, argc, argv);
	if (ret == SYNCTL_USAGE) {
		synopsis(buf, sizeof(buf), parent, c);
		err_msg("usage: %s", buf);
		ret = EXIT_USAGE;
	}
	return ret;
}

static int dispatch(struct synctl *s, const struct cmd *tbl,
		    const char *parent, int argc, char **argv)
{
	const struct cmd *c;

	if (!argc) {
		c = find_default(tbl);
		if (c)
			return run(s, c, parent, 0, argv);
		if (parent)
			err_msg("missing command for \"%s\"", parent);
		else
			err_msg("missing object");
		print_help(stderr, tbl, parent);
		return EXIT_USAGE;
	}
	/* "synctl stats -i 1": options of the default verb */
	if (argv[0][0] == '-' && argv[0][1] && !is_help(argv[0]) &&
	    find_default(tbl))
		return run(s, find_default(tbl), parent, argc, argv);
	c = match_cmd(tbl, argv[0]);
	if (c == MATCH_HELP)
		return do_help(tbl, parent, argc - 1, argv + 1);
	if (!c || c == MATCH_AMBIGUOUS)
		return unknown(tbl, parent, argv[0], c);
	return run(s, c, parent, argc - 1, argv + 1);
}

/* ---- options ------------------------------------------------------------- */

/*
 * iproute2's option syntax: one or two dashes and any prefix of the name,
 * "-j", "-json", "--json", "-n NAME", "-netns NAME"; never a value glued on
 * ("-nfoo" is not "-n foo").
 */
bool opt_matches(const char *arg, const char *name)
{
	if (arg[0] != '-')
		return false;
	arg += arg[1] == '-' ? 2 : 1;
	return is_prefix(arg, name);
}

enum opt_id { OPT_JSON, OPT_PRETTY, OPT_NETNS, OPT_BATCH, OPT_FORCE,
	      OPT_VERSION, OPT_HELP, OPT_INET, OPT_INET6 };

static const struct {
	const char	*name;
	enum opt_id	id;
	bool		arg;
} options[] = {
	{ "json",	OPT_JSON,	false },
	{ "pretty",	OPT_PRETTY,	false },
	{ "netns",	OPT_NETNS,	true },
	{ "batch",	OPT_BATCH,	true },
	{ "force",	OPT_FORCE,	false },
	{ "Version",	OPT_VERSION,	false },
	{ "help",	OPT_HELP,	false },
	{ "4",		OPT_INET,	false },
	{ "6",		OPT_INET6,	false },
};

static bool valid_netns_name(const char *name)
{
	return *name && !strchr(name, '/') && strcmp(name, ".") &&
	       strcmp(name, "..") && strlen(name) <= NAME_MAX;
}

/*
 * Output options may also follow the object ("synctl stats -j"); take them
 * out of the command's arguments. Returns the new argc.
 */
static int take_output_flags(struct synctl *s, int argc, char **argv)
{
	int i, n = 0;

	for (i = 0; i < argc; i++) {
		if (opt_matches(argv[i], "json")) {
			s->json = true;
		} else if (opt_matches(argv[i], "pretty")) {
			s->json = s->pretty = true;
		} else {
			argv[n++] = argv[i];
		}
	}
	return n;
}

/* Returns -1 to go on with *@first as the first word, else the exit status. */
static int parse_options(struct synctl *s, int argc, char **argv, int *first)
{
	const char *arg;
	unsigned int i, n;
	int a, id = 0;

	for (a = 1; a < argc; a++) {
		arg = argv[a];
		if (!strcmp(arg, "--")) {
			a++;
			break;
		}
		if (arg[0] != '-' || !arg[1])
			break;
		for (i = 0, n = 0; i < ARRAY_SIZE(options); i++) {
			if (opt_matches(arg, options[i].name)) {
				id = i;
				n++;
			}
		}
		if (n != 1) {
			err_msg("Option \"%s\" is %s, try \"synctl help\".", arg,
				n ? "ambiguous" : "unknown");
			return EXIT_USAGE;
		}
		if (options[id].arg && a + 1 >= argc) {
			err_msg("option \"%s\" needs an argument", arg);
			return EXIT_USAGE;
		}
		switch (options[id].id) {
		case OPT_JSON:
			s->json = true;
			break;
		case OPT_PRETTY:
			s->json = s->pretty = true;
			break;
		case OPT_NETNS:
			arg = argv[++a];
			if (!valid_netns_name(arg)) {
				err_msg("invalid network namespace name \"%s\"",
					arg);
				return EXIT_USAGE;
			}
			s->netns = arg;
			break;
		case OPT_BATCH:
			s->batch = argv[++a];
			break;
		case OPT_FORCE:
			s->force = true;
			break;
		case OPT_INET:
			s->af = AF_INET;
			break;
		case OPT_INET6:
			s->af = AF_INET6;
			break;

		case OPT_VERSION:
			printf("synctl %s\n", SYNCTL_VERSION);
			return EXIT_OK;
		case OPT_HELP:
			print_help(stdout, synctl_objects, NULL);
			return EXIT_OK;
		}
	}
	*first = a;
	return -1;
}

/* ---- signals ----------------------------------------------------------------- */

/*
 * monitor and stats -i run until SIGINT or SIGTERM, then end cleanly with
 * status 0. The signals stay blocked except while waiting in ppoll(), so
 * that one arriving between the check and the wait is not lost.
 */
static volatile sig_atomic_t stop_signal;
static sigset_t wait_mask;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };
	sigset_t block;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &wait_mask);
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGTERM);
}

bool stop_requested(void)
{
	return stop_signal;
}

/*
 * Wait until @fd (if >= 0) is readable, CLOCK_MONOTONIC reaches @deadline
 * (if not NULL), or a stop signal comes. Returns 1 when @fd is readable,
 * 0 otherwise, -1 on error.
 */
int wait_fd(int fd, const struct timespec *deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct timespec now, left, *timeout = NULL;
	int ret;

	if (stop_signal)
		return 0;
	if (deadline) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = deadline->tv_sec - now.tv_sec;
		left.tv_nsec = deadline->tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_nsec += 1000000000L;
			left.tv_sec--;
		}
		if (left.tv_sec < 0)
			return 0;
		timeout = &left;
	}
	ret = ppoll(&pfd, fd >= 0 ? 1 : 0, timeout, &wait_mask);
	if (ret < 0 && errno == EINTR)
		return 0;
	return ret < 0 ? -1 : ret > 0;
}

/* ---- batch ------------------------------------------------------------------- */

#define BATCH_MAX_WORDS	64

/*
 * synctl [OPTIONS] -batch FILE: each line a command without "synctl",
 * run in order on one socket, in the namespace of -n; blank lines and
 * "#" comments skipped. Errors start with "FILE:LINE: ". Stops at the
 * first failing line, or with -force goes on; the exit status is that of
 * the first failing line.
 */
static int run_batch(struct synctl *s)
{
	const bool json = s->json, pretty = s->pretty;
	const char *name = s->batch;
	char *argv[BATCH_MAX_WORDS];
	int argc, ret = EXIT_OK, r;
	unsigned int lineno = 0;
	char where[PATH_MAX + 16];
	size_t size = 0;
	char *line = NULL;
	FILE *f;

	f = strcmp(name, "-") ? fopen(name, "r") : stdin;
	if (!f) {
		err_msg("cannot open batch file \"%s\": %s", name,
			strerror(errno));
		return EXIT_USAGE;
	}
	while (getline(&line, &size, f) >= 0) {
		snprintf(where, sizeof(where), "%s:%u", name, ++lineno);
		err_where = where;
		argc = split_line(line, argv, ARRAY_SIZE(argv));
		if (!argc)
			continue;
		if (argc < 0) {
			r = EXIT_USAGE;
		} else if (argv[0][0] == '-') {
			err_msg("option \"%s\" in a batch line: options go on synctl's command line",
				argv[0]);
			r = EXIT_USAGE;
		} else {
			s->json = json;
			s->pretty = pretty;
			argc = take_output_flags(s, argc, argv);
			out_init(s->json, s->pretty);
			r = dispatch(s, synctl_objects, NULL, argc, argv);
			fflush(stdout);
		}
		if (r && !ret)
			ret = r;
		if (r && !s->force)
			break;
	}
	if (ferror(f)) {
		err_where = NULL;
		err_msg("cannot read batch file \"%s\": %s", name,
			strerror(errno));
		if (!ret)
			ret = EXIT_USAGE;
	}
	err_where = NULL;
	free(line);
	if (f != stdin)
		fclose(f);
	return ret;
}

int main(int argc, char **argv)
{
	static struct synctl s;
	int first, ret;

	ret = parse_options(&s, argc, argv, &first);
	if (ret >= 0)
		return ret;
	argc -= first;
	argv += first;
	if (s.batch && argc) {
		err_msg("-batch takes no command: unexpected \"%s\"", argv[0]);
		return EXIT_USAGE;
	}
	if (s.batch) {
		ret = run_batch(&s);
	} else {
		argc = take_output_flags(&s, argc, argv);
		out_init(s.json, s.pretty);
		ret = dispatch(&s, synctl_objects, NULL, argc, argv);
	}
	nl_close(&s);
	if (fflush(stdout) || ferror(stdout)) {
		err_msg("error writing output");
		if (!ret)
			ret = EXIT_KERNEL;
	}
	return ret;
}
