// SPDX-License-Identifier: GPL-2.0
/*
 * The commands that run until interrupted (SIGINT, SIGTERM; then they exit
 * with status 0): "monitor" prints the module's events as they come, one
 * line (one JSON object with -j) each, like "ip monitor"; "stats -i SEC"
 * prints, every SEC seconds, the rate of each counter that moved.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "synctl.h"

/* ---- monitor -------------------------------------------------------------- */

static const char *state_str(uint32_t st, char *buf, size_t size)
{
	if (st < ARRAY_SIZE(state_names))
		return state_names[st];
	snprintf(buf, size, "unknown(%u)", st);
	return buf;
}

/* " KEY 0x%08x" in text, "0x%08x" as a JSON string, as "salt show" does. */
static void kv_id(const char *key, uint32_t id)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "0x%08x", id);
	out_text(" %s ", key);
	out_string(key, "%s", buf);
}

static void print_event_head(const char *object, const char *action)
{
	out_string("object", "%s", object);
	out_string("action", " %s", action);
}

static void print_port_event(const char *action, const struct xsp_reply *r)
{
	print_event_head("ports", action);
	out_u64("lo", " %" PRIu64, r->port_lo);
	out_u64("hi", "-%" PRIu64, r->port_hi);
	out_bool("enabled", NULL, r->port_enabled);
	out_text(" %s", r->port_enabled ? "on" : "off");
	if (HAS(r, XSYNPROXY_A_FAMILY))
		out_string("family", " family %s", af_name(r->family));
}

static void print_key_event(const char *action, const struct xsp_reply *r)
{
	print_event_head("salt", action);
	if (HAS(r, XSYNPROXY_A_KEY_ID))
		kv_id("key_id", r->key_id);
	if (HAS(r, XSYNPROXY_A_PREV_KEY_ID))
		kv_id("prev_key_id", r->prev_key_id);
}

static void print_event(uint8_t cmd, const struct xsp_reply *r)
{
	char b1[24], b2[24];

	out_open_object(NULL);
	switch (cmd) {
	case XSYNPROXY_CMD_PORT_ADD_NTF:
		print_port_event("add", r);
		break;
	case XSYNPROXY_CMD_PORT_DEL_NTF:
		print_port_event("del", r);
		break;
	case XSYNPROXY_CMD_PORT_SET_NTF:
		print_port_event("set", r);
		break;
	case XSYNPROXY_CMD_PORT_FLUSH_NTF:
		print_event_head("ports", "flush");
		out_u64("ranges", " ranges %" PRIu64, r->port_count);
		break;
	case XSYNPROXY_CMD_SALT_ROTATE_NTF:
		print_key_event("rotate", r);
		break;
	case XSYNPROXY_CMD_KEY_SET_NTF:
		print_key_event("set", r);
		break;
	case XSYNPROXY_CMD_EPOCH_LEN_NTF:
		print_event_head("salt", "set");
		out_u64("epoch_len", " epoch_len %" PRIu64, r->epoch_len);
		break;
	case XSYNPROXY_CMD_BUDGET_NTF:
		print_event_head("budget", "set");
		out_u64("budget", NULL, r->budget);
		if (r->budget)
			out_text(" %u", r->budget);
		else
			out_text(" unlimited");
		break;
	case XSYNPROXY_CMD_DATAPATH_NTF:
		print_event_head("datapath", "set");
		out_string("synack", " synack %s",
			   synack_name(r->synack, b1, sizeof(b1)));
		break;
	case XSYNPROXY_CMD_STATE_NTF:
		/* "state active -> bypass" */
		out_string("object", "%s", "state");
		out_string("action", NULL, "change");
		out_string("prev_state", " %s",
			   state_str(r->prev_state, b1, sizeof(b1)));
		out_string("state", " -> %s",
			   state_str(r->state, b2, sizeof(b2)));
		break;
	default:
		/* From a newer module: say so rather than hide it. */
		out_string("object", "%s", "unknown");
		out_u64("cmd", " event %" PRIu64, cmd);
		break;
	}
	out_text("\n");
	out_close_object();
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct genlmsghdr *genl;
	struct synctl *s = data;
	struct xsp_reply r;

	if (nlh->nlmsg_type != s->family ||
	    mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN)
		return MNL_CB_OK;
	genl = mnl_nlmsg_get_payload(nlh);
	if (xsp_parse(nlh, &r)) {
		err_msg("monitor: malformed event %u skipped", genl->cmd);
		return MNL_CB_OK;
	}
	print_event(genl->cmd, &r);
	return MNL_CB_OK;
}

int do_monitor(struct synctl *s, int argc, char **argv)
{
	ssize_t len;
	int ret;

	if (argc) {
		err_msg("unexpected argument \"%s\"", argv[0]);
		return SYNCTL_USAGE;
	}
	ret = nl_open(s);
	if (ret)
		return ret;
	if (!s->mcgrp_monitor) {
		err_msg("this xsynproxy module sends no events: it is older than synctl monitor");
		return EXIT_KERNEL;
	}
	ret = nl_join(s, s->mcgrp_monitor);
	if (ret)
		return ret;
	catch_signals();
	for (;;) {
		ret = wait_fd(nl_fd(s), NULL);
		if (ret <= 0)
			break;
		len = mnl_socket_recvfrom(s->nl, s->buf, sizeof(s->buf));
		if (len < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno == ENOBUFS) {
				err_msg("monitor: events lost, the socket's receive buffer overflowed");
				continue;
			}
			ret = -1;
			break;
		}
		mnl_cb_run(s->buf, len, 0, 0, event_cb, s);
		fflush(stdout);
	}
	if (ret < 0) {
		err_msg("monitor: cannot receive events: %s", strerror(errno));
		return EXIT_KERNEL;
	}
	return EXIT_OK;
}

/* ---- stats -i --------------------------------------------------------------- */

static int stats_get(struct synctl *s, struct xsp_reply *r)
{
	int ret = nl_open(s);

	if (ret)
		return ret;
	return xsp_do(s, xsp_msg(s, XSYNPROXY_CMD_STATS_GET, NLM_F_ACK), r);
}

/* Growth of counter @i; a counter that went down was reset: all of it is new. */
static uint64_t stat_delta(const struct xsp_reply *prev,
			   const struct xsp_reply *cur, unsigned int i)
{
	uint64_t before = (prev->stats.have >> i) & 1 ? prev->stats.val[i] : 0;

	return cur->stats.val[i] >= before ? cur->stats.val[i] - before :
					     cur->stats.val[i];
}

/*
 * One round: the counters that moved, each with its rate per second over
 * the interval, its growth and its total. Text: a header line with the
 * time, then "NAME RATE TOTAL"; JSON: one object per round, on one line.
 */
static void print_rates(const struct xsp_reply *prev,
			const struct xsp_reply *cur, uint32_t interval)
{
	char name_buf[SYNCTL_STAT_NAME_MAX], when[16], rate[32];
	int w = (int)strlen("00:00:00");
	const char *name;
	uint64_t delta;
	struct tm tm;
	time_t now;
	unsigned int i;

	for (i = 0; i < SYNCTL_STATS_MAX; i++) {
		name = stat_name(cur, i, name_buf, sizeof(name_buf));
		if (((cur->stats.have >> i) & 1) && (int)strlen(name) > w)
			w = strlen(name);
	}
	now = time(NULL);
	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	out_open_object(NULL);
	out_text("%-*s %12s %16s\n", w, when, "rate/s", "total");
	out_u64("interval", NULL, interval);
	out_open_object("counters");
	for (i = 0; i < SYNCTL_STATS_MAX; i++) {
		if (!((cur->stats.have >> i) & 1))
			continue;
		delta = stat_delta(prev, cur, i);
		if (!delta)
			continue;
		name = stat_name(cur, i, name_buf, sizeof(name_buf));
		out_open_object(name);
		if (delta % interval)
			snprintf(rate, sizeof(rate), "%.1f",
				 (double)delta / interval);
		else
			snprintf(rate, sizeof(rate), "%" PRIu64,
				 delta / interval);
		out_text("%-*s %12s", w, name, rate);
		out_u64("delta", NULL, delta);
		out_double("rate", NULL, (double)delta / interval);
		out_u64("total", " %16" PRIu64 "\n", cur->stats.val[i]);
		out_close_object();
	}
	out_close_object();
	out_close_object();
}

/*
 * stats -i SEC [-c COUNT]: a first read, then one round every SEC seconds
 * (on a fixed schedule, not drifting with the time each round takes), for
 * COUNT rounds or until interrupted.
 */
int stats_watch(struct synctl *s, uint32_t interval, uint32_t count)
{
	struct xsp_reply *prev, *cur, *tmp;
	struct timespec next;
	uint32_t round;
	int ret;

	prev = malloc(sizeof(*prev));
	cur = malloc(sizeof(*cur));
	if (!prev || !cur) {
		err_msg("out of memory");
		ret = EXIT_KERNEL;
		goto out;
	}
	ret = stats_get(s, prev);
	if (ret)
		goto out;
	catch_signals();
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (round = 0; !count || round < count; round++) {
		next.tv_sec += interval;
		if (wait_fd(-1, &next) < 0) {
			err_msg("stats: cannot wait: %s", strerror(errno));
			ret = EXIT_KERNEL;
			break;
		}
		if (stop_requested())
			break;
		ret = stats_get(s, cur);
		if (ret)
			break;
		print_rates(prev, cur, interval);
		fflush(stdout);
		tmp = prev;
		prev = cur;
		cur = tmp;
	}
out:
	free(prev);
	free(cur);
	return ret;
}
