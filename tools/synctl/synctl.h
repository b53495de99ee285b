/* SPDX-License-Identifier: GPL-2.0 */
/*
 * synctl: configure the xsynproxy module over generic netlink.
 *
 * Shared declarations of synctl.c (options, command table, help, batch
 * files), commands.c (one handler per command), monitor.c (events and
 * counter rates), nl.c (netlink), output.c (text and JSON printing) and
 * parse.c (argument parsing).
 */
#ifndef _SYNCTL_H
#define _SYNCTL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/xsynproxy.h>

#ifndef SYNCTL_VERSION
#define SYNCTL_VERSION		"unknown"
#endif

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define __aligned8		__attribute__((aligned(8)))

/* Exit status. */
#define EXIT_OK			0
#define EXIT_USAGE		1	/* bad arguments or input */
#define EXIT_KERNEL		2	/* the kernel (or the system) said no */

/*
 * Handlers return an exit status, or SYNCTL_USAGE for a usage error whose
 * message is already printed: the dispatcher then adds the command's usage
 * line and exits with EXIT_USAGE.
 */
#define SYNCTL_USAGE		(-1)


/* Largest dump message the kernel sends us: size the receive buffer so. */
#define SYNCTL_RECV_SIZE	32768
#define SYNCTL_SEND_SIZE	1024

/* Counters by enum xsynproxy_stat id: up to 64, so newer modules still print. */
#define SYNCTL_STATS_MAX	64
#define SYNCTL_STAT_NAME_MAX	32	/* with the NUL; the UAPI promises 31 */

struct xsp_stats {
	uint64_t	have;		/* 1ULL << id present */
	uint64_t	val[SYNCTL_STATS_MAX];
};

/* Address families of FAMILY_STATS, in the order synctl prints them. */
enum { SYNCTL_FAM_IPV4, SYNCTL_FAM_IPV6, SYNCTL_FAM_NR };

/* Decoded attributes of one xsynproxy reply message. */
struct xsp_reply {
	uint64_t	have;		/* 1ULL << XSYNPROXY_A_* present */
	char		version[32];
	uint32_t	genl_version;
	uint32_t	state;
	uint32_t	port_count;
	uint16_t	port_lo;
	uint16_t	port_hi;
	uint8_t		port_enabled;
	uint32_t	key_id;
	uint8_t		key_shared;
	uint32_t	prev_key_id;
	uint64_t	epoch;
	uint32_t	epoch_len;
	uint32_t	budget;
	uint32_t	synack;		/* enum xsynproxy_synack */
	uint16_t	mss;
	uint32_t	cookie;
	uint32_t	tsval;
	uint16_t	family;
	uint32_t	prev_state;
	struct xsp_stats stats;
	/* STAT_NAMES: the module's name of each counter, when it sends them. */
	uint64_t	names_have;
	char		stat_names[SYNCTL_STATS_MAX][SYNCTL_STAT_NAME_MAX];
	/* FAMILY_STATS, by SYNCTL_FAM_*. */
	unsigned int	fam_have;	/* 1U << SYNCTL_FAM_* present */
	struct xsp_stats fam[SYNCTL_FAM_NR];
};

#define HAS(r, attr)		(((r)->have >> (attr)) & 1)

struct ext_ack {
	char		msg[256];
	uint32_t	offs;		/* bad attribute offset, 0 = none */
	uint32_t	miss_type;	/* missing attribute, 0 = none */
};

struct synctl {
	bool			json;
	bool			pretty;
	const char		*netns;
	const char		*batch;		/* -batch FILE */
	bool			force;		/* -force: go on after errors */
	struct mnl_socket	*nl;
	unsigned int		portid;
	unsigned int		seq;
	uint16_t		family;
	uint32_t		family_version;
	uint16_t		af;		/* -4/-6: AF_INET(6), 0 = both */
	uint32_t		mcgrp_monitor;	/* group id, 0 = none */
	bool			dump_intr;	/* last dump was interrupted */
	struct ext_ack		ext;		/* of the last error */
	/* Last request (for NLMSGERR_ATTR_OFFS) and receive buffer. */
	char			req[SYNCTL_SEND_SIZE] __aligned8;
	char			buf[SYNCTL_RECV_SIZE] __aligned8;
};

typedef int (*cmd_fn)(struct synctl *s, int argc, char **argv);

/*
 * The command table: objects, each with either a handler of its own or a
 * table of verbs. Help and dispatch are both generated from it.
 */
struct cmd {
	const char		*name;
	const char		*alias;
	const char		*args;		/* synopsis after the name */
	const char		*desc;
	cmd_fn			fn;
	const struct cmd	*sub;
	bool			dflt;		/* run when no verb is given */
};

extern const struct cmd synctl_objects[];

/* synctl.c */
bool opt_matches(const char *arg, const char *name);
void catch_signals(void);
bool stop_requested(void);
int wait_fd(int fd, const struct timespec *deadline);

/* commands.c */
extern const char *const state_names[3];
int do_version(struct synctl *s, int argc, char **argv);
int do_show(struct synctl *s, int argc, char **argv);
int do_ports_add(struct synctl *s, int argc, char **argv);
int do_ports_del(struct synctl *s, int argc, char **argv);
int do_ports_set(struct synctl *s, int argc, char **argv);
int do_ports_show(struct synctl *s, int argc, char **argv);
int do_salt_show(struct synctl *s, int argc, char **argv);
int do_salt_rotate(struct synctl *s, int argc, char **argv);
int do_salt_set(struct synctl *s, int argc, char **argv);
int do_budget_set(struct synctl *s, int argc, char **argv);
int do_budget_show(struct synctl *s, int argc, char **argv);
int do_datapath_set(struct synctl *s, int argc, char **argv);
int do_datapath_show(struct synctl *s, int argc, char **argv);
const char *synack_name(uint32_t mode, char *buf, size_t size);
int do_stats_show(struct synctl *s, int argc, char **argv);
int do_stats_reset(struct synctl *s, int argc, char **argv);
int do_cookie_mint(struct synctl *s, int argc, char **argv);
int do_save(struct synctl *s, int argc, char **argv);
int xsp_do(struct synctl *s, struct nlmsghdr *nlh, struct xsp_reply *r);
const char *stat_name(const struct xsp_reply *r, unsigned int id,
		      char *buf, size_t size);

/* monitor.c */
int do_monitor(struct synctl *s, int argc, char **argv);
int stats_watch(struct synctl *s, uint32_t interval, uint32_t count);

/* nl.c */
int nl_open(struct synctl *s);
void nl_close(struct synctl *s);
struct nlmsghdr *xsp_msg(struct synctl *s, uint8_t cmd, uint16_t flags);
int xsp_talk(struct synctl *s, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);
int xsp_parse(const struct nlmsghdr *nlh, struct xsp_reply *r);
int xsp_reply_cb(const struct nlmsghdr *nlh, void *data);
int nl_join(struct synctl *s, uint32_t group);
int nl_fd(const struct synctl *s);

/* parse.c */

/* One element of a port list: a port or a range, and how it was written. */
struct port_elem {
	uint16_t	lo;
	uint16_t	hi;
	const char	*text;
};

struct port_list {
	struct port_elem *v;
	size_t		n;
	char		*buf;		/* the elements' texts point into it */
};

/* Where errors come from, e.g. "FILE:LINE" in a batch; NULL: "synctl". */
extern const char *err_where;
void err_start(void);
void err_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int parse_port(const char *str, uint16_t *port);
int parse_range(const char *str, uint16_t *lo, uint16_t *hi);
int parse_port_list(const char *str, struct port_list *l);
void port_list_free(struct port_list *l);
int parse_u32(const char *what, const char *str, uint32_t min, uint32_t max,
	      uint32_t *val);
int parse_onoff(const char *str, uint8_t *on);
int parse_af(const char *str, uint16_t *af);
const char *af_name(uint16_t af);
int read_key_file(const char *path, uint8_t key[XSYNPROXY_KEY_LEN]);
bool is_help(const char *arg);
int split_line(char *line, char **argv, int max);

/* output.c */
void out_init(bool json, bool pretty);
void out_open_object(const char *key);
void out_close_object(void);
void out_open_array(const char *key);
void out_close_array(void);
void out_string(const char *key, const char *fmt, const char *val);
void out_u64(const char *key, const char *fmt, uint64_t val);
void out_double(const char *key, const char *fmt, double val);
void out_bool(const char *key, const char *fmt, bool val);
void out_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool out_is_json(void);

#endif /* _SYNCTL_H */
