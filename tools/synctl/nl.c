// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink plumbing: socket (in the requested network namespace),
 * family resolution, one request/reply exchange with sequence and portid
 * checks (mnl_cb_run2), extended ACK decoding, and the reply parser.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "synctl.h"

/* Attribute names, for naming the attribute the kernel refused. */
static const char *const attr_names[] = {
	[XSYNPROXY_A_UNSPEC]		= "unspec",
	[XSYNPROXY_A_PAD]		= "pad",
	[XSYNPROXY_A_VERSION]		= "version",
	[XSYNPROXY_A_GENL_VERSION]	= "genl_version",
	[XSYNPROXY_A_STATE]		= "state",
	[XSYNPROXY_A_PORT_LO]		= "port_lo",
	[XSYNPROXY_A_PORT_HI]		= "port_hi",
	[XSYNPROXY_A_PORT_ENABLED]	= "port_enabled",
	[XSYNPROXY_A_PORT_COUNT]	= "port_count",
	[XSYNPROXY_A_KEY]		= "key",
	[XSYNPROXY_A_KEY_ID]		= "key_id",
	[XSYNPROXY_A_KEY_SHARED]	= "key_shared",
	[XSYNPROXY_A_PREV_KEY_ID]	= "prev_key_id",
	[XSYNPROXY_A_EPOCH]		= "epoch",
	[XSYNPROXY_A_EPOCH_LEN]		= "epoch_len",
	[XSYNPROXY_A_BUDGET]		= "budget",
	[XSYNPROXY_A_STATS]		= "stats",
	[XSYNPROXY_A_SADDR]		= "saddr",
	[XSYNPROXY_A_DADDR]		= "daddr",
	[XSYNPROXY_A_SPORT]		= "sport",
	[XSYNPROXY_A_DPORT]		= "dport",
	[XSYNPROXY_A_CLIENT_ISN]	= "client_isn",
	[XSYNPROXY_A_MSS]		= "mss",
	[XSYNPROXY_A_WSCALE]		= "wscale",
	[XSYNPROXY_A_SACK]		= "sack",
	[XSYNPROXY_A_ECN]		= "ecn",
	[XSYNPROXY_A_TSTAMP]		= "tstamp",
	[XSYNPROXY_A_COOKIE]		= "cookie",
	[XSYNPROXY_A_TSVAL]		= "tsval",
	[XSYNPROXY_A_STAT_NAMES]	= "stat_names",
	[XSYNPROXY_A_FAMILY]		= "family",
	[XSYNPROXY_A_FAMILY_STATS]	= "family_stats",
	[XSYNPROXY_A_PREV_STATE]	= "prev_state",
	[XSYNPROXY_A_SYNACK]		= "synack",
};
_Static_assert(ARRAY_SIZE(attr_names) == __XSYNPROXY_A_MAX,
	       "attr_names[] must name every XSYNPROXY_A_*");

/* Expected type of each attribute in replies; UNSPEC ones are ignored. */
static const enum mnl_attr_data_type attr_types[__XSYNPROXY_A_MAX] = {
	[XSYNPROXY_A_VERSION]		= MNL_TYPE_NUL_STRING,
	[XSYNPROXY_A_GENL_VERSION]	= MNL_TYPE_U32,
	[XSYNPROXY_A_STATE]		= MNL_TYPE_U32,
	[XSYNPROXY_A_PORT_LO]		= MNL_TYPE_U16,
	[XSYNPROXY_A_PORT_HI]		= MNL_TYPE_U16,
	[XSYNPROXY_A_PORT_ENABLED]	= MNL_TYPE_U8,
	[XSYNPROXY_A_PORT_COUNT]	= MNL_TYPE_U32,
	[XSYNPROXY_A_KEY_ID]		= MNL_TYPE_U32,
	[XSYNPROXY_A_KEY_SHARED]	= MNL_TYPE_U8,
	[XSYNPROXY_A_PREV_KEY_ID]	= MNL_TYPE_U32,
	[XSYNPROXY_A_EPOCH]		= MNL_TYPE_U64,
	[XSYNPROXY_A_EPOCH_LEN]		= MNL_TYPE_U32,
	[XSYNPROXY_A_BUDGET]		= MNL_TYPE_U32,
	[XSYNPROXY_A_STATS]		= MNL_TYPE_NESTED,
	[XSYNPROXY_A_MSS]		= MNL_TYPE_U16,
	[XSYNPROXY_A_COOKIE]		= MNL_TYPE_U32,
	[XSYNPROXY_A_TSVAL]		= MNL_TYPE_U32,
	[XSYNPROXY_A_STAT_NAMES]	= MNL_TYPE_NESTED,
	[XSYNPROXY_A_FAMILY]		= MNL_TYPE_U16,
	[XSYNPROXY_A_FAMILY_STATS]	= MNL_TYPE_NESTED,
	[XSYNPROXY_A_PREV_STATE]	= MNL_TYPE_U32,
	[XSYNPROXY_A_SYNACK]		= MNL_TYPE_U32,
};

_Static_assert(__XSYNPROXY_A_MAX <= 64, "xsp_reply.have is a u64 bitmask");

/* State of one exchange, handed to every mnl callback. */
struct nl_run {
	struct synctl	*s;
	mnl_cb_t	cb;
	void		*data;
};

/* ---- network namespace and socket ------------------------------------ */

static int enter_netns(const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			err_msg("network namespace \"%s\" does not exist (no %s)",
				name, path);
			return EXIT_USAGE;
		}
		err_msg("cannot open network namespace \"%s\": %s", name,
			strerror(errno));
		return EXIT_KERNEL;
	}
	if (setns(fd, CLONE_NEWNET)) {
		err_msg("cannot enter network namespace \"%s\": %s", name,
			strerror(errno));
		close(fd);
		return EXIT_KERNEL;
	}
	close(fd);
	return EXIT_OK;
}

/* Optional socket options: old kernels lack them, and that is fine. */
static int set_flag(struct synctl *s, int opt, const char *name)
{
	int one = 1;

	if (!mnl_socket_setsockopt(s->nl, opt, &one, sizeof(one)) ||
	    errno == ENOPROTOOPT)
		return 0;
	err_msg("cannot set %s on the netlink socket: %s", name,
		strerror(errno));
	return -1;
}

/* ---- one exchange ------------------------------------------------------ */

static int ext_ack_attr_cb(const struct nlattr *a, void *data)
{
	struct ext_ack *ext = data;

	switch (mnl_attr_get_type(a)) {
	case NLMSGERR_ATTR_MSG:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
			snprintf(ext->msg, sizeof(ext->msg), "%s",
				 mnl_attr_get_str(a));
		break;
	case NLMSGERR_ATTR_OFFS:
		if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			ext->offs = mnl_attr_get_u32(a);
		break;
	case NLMSGERR_ATTR_MISS_TYPE:
		if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			ext->miss_type = mnl_attr_get_u32(a);
		break;
	}
	return MNL_CB_OK;
}

/* The TLVs of an error or done message start @offset bytes into its payload. */
static void parse_ext_ack(struct synctl *s, const struct nlmsghdr *nlh,
			  size_t offset)
{
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) ||
	    MNL_ALIGN(offset) >= mnl_nlmsg_get_payload_len(nlh))
		return;
	/* Malformed TLVs only cost us the message: keep what was parsed. */
	mnl_attr_parse(nlh, offset, ext_ack_attr_cb, &s->ext);
}

static int cb_error(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	struct nl_run *run = data;
	size_t offset = sizeof(*err);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (!err->error)
		return MNL_CB_STOP;	/* the ACK */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		offset += mnl_nlmsg_get_payload_len(&err->msg);
	parse_ext_ack(run->s, nlh, offset);
	errno = err->error < 0 ? -err->error : err->error;
	return MNL_CB_ERROR;
}

/* End of a dump: carries the dump's error, if any, and its extended ACK. */
static int cb_done(const struct nlmsghdr *nlh, void *data)
{
	struct nl_run *run = data;
	int err;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(err))
		return MNL_CB_STOP;
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err >= 0)
		return MNL_CB_STOP;
	parse_ext_ack(run->s, nlh, sizeof(err));
	errno = -err;
	return MNL_CB_ERROR;
}

static int cb_data(const struct nlmsghdr *nlh, void *data)
{
	struct nl_run *run = data;

	if (!run->cb)
		return MNL_CB_OK;
	return run->cb(nlh, run->data);
}

/*
 * libmnl fails the whole run with EINTR on a message flagged
 * NLM_F_DUMP_INTR; we would rather take the message, note the interruption
 * and let the caller decide. The buffer is ours, so clear the flag here.
 */
static void take_dump_intr(struct synctl *s, void *buf, int len)
{
	struct nlmsghdr *nlh = buf;

	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
			nlh->nlmsg_flags &= ~NLM_F_DUMP_INTR;
			s->dump_intr = true;
		}
	}
}

/* Send @nlh and run replies through @cb until ACK or DONE. 0 or -errno. */
static int nl_exchange(struct synctl *s, struct nlmsghdr *nlh, mnl_cb_t cb,
		       void *data)
{
	static mnl_cb_t ctl_cb[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR]	= cb_error,
		[NLMSG_DONE]	= cb_done,
	};
	struct nl_run run = { .s = s, .cb = cb, .data = data };
	ssize_t len;
	int ret;

	memset(&s->ext, 0, sizeof(s->ext));
	s->dump_intr = false;
	if (mnl_socket_sendto(s->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		len = mnl_socket_recvfrom(s->nl, s->buf, sizeof(s->buf));
		if (len < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!len)
			return -EPIPE;
		take_dump_intr(s, s->buf, len);
		errno = 0;
		ret = mnl_cb_run2(s->buf, len, nlh->nlmsg_seq, s->portid,
				  cb_data, &run, ctl_cb, ARRAY_SIZE(ctl_cb));
		if (ret < MNL_CB_STOP)
			return errno ? -errno : -EPROTO;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

/* Name the attribute at the offset the kernel pointed at, if it is ours. */
static const char *bad_attr_name(const struct synctl *s)
{
	const struct nlmsghdr *req = (const struct nlmsghdr *)s->req;
	const struct nlattr *a;
	uint16_t type;

	if (!s->ext.offs || req->nlmsg_type != s->family ||
	    s->ext.offs < MNL_NLMSG_HDRLEN + GENL_HDRLEN ||
	    s->ext.offs + sizeof(*a) > req->nlmsg_len)
		return NULL;
	a = (const struct nlattr *)(s->req + s->ext.offs);
	type = a->nla_type & NLA_TYPE_MASK;
	return type < ARRAY_SIZE(attr_names) ? attr_names[type] : NULL;
}

/* Print why the kernel said no; returns the exit status. */
static int report(struct synctl *s, int err)
{
	const char *attr = bad_attr_name(s);

	if (err == EPERM) {
		err_msg("permission denied: need CAP_NET_ADMIN");
		return EXIT_KERNEL;
	}
	err_start();
	fprintf(stderr, "%s", strerror(err));
	if (s->ext.msg[0])
		fprintf(stderr, ": %s", s->ext.msg);
	if (s->ext.miss_type)
		fprintf(stderr, " (missing attribute %s)",
			s->ext.miss_type < ARRAY_SIZE(attr_names) ?
			attr_names[s->ext.miss_type] : "?");
	else if (attr)
		fprintf(stderr, " (attribute %s)", attr);
	fputc('\n', stderr);
	return EXIT_KERNEL;
}

/* ---- family -------------------------------------------------------------- */

static int ctrl_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type == CTRL_ATTR_FAMILY_ID &&
	    mnl_attr_validate(a, MNL_TYPE_U16) >= 0)
		tb[type] = a;
	else if (type == CTRL_ATTR_VERSION &&
		 mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
		tb[type] = a;
	else if (type == CTRL_ATTR_MCAST_GROUPS &&
		 mnl_attr_validate(a, MNL_TYPE_NESTED) >= 0)
		tb[type] = a;
	return MNL_CB_OK;
}

static int mcast_grp_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type == CTRL_ATTR_MCAST_GRP_NAME &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
		tb[type] = a;
	else if (type == CTRL_ATTR_MCAST_GRP_ID &&
		 mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
		tb[type] = a;
	return MNL_CB_OK;
}

/* Each group is a nest of NAME and ID: remember the monitor group's id. */
static int mcast_grps_cb(const struct nlattr *nest, void *data)
{
	const struct nlattr *tb[CTRL_ATTR_MCAST_GRP_MAX + 1] = {};
	struct synctl *s = data;

	if (mnl_attr_parse_nested(nest, mcast_grp_attr_cb, tb) < MNL_CB_STOP)
		return MNL_CB_OK;
	if (tb[CTRL_ATTR_MCAST_GRP_NAME] && tb[CTRL_ATTR_MCAST_GRP_ID] &&
	    !strcmp(mnl_attr_get_str(tb[CTRL_ATTR_MCAST_GRP_NAME]),
		    XSYNPROXY_MCGRP_MONITOR))
		s->mcgrp_monitor = mnl_attr_get_u32(tb[CTRL_ATTR_MCAST_GRP_ID]);
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1] = {};
	struct synctl *s = data;

	if (mnl_attr_parse(nlh, GENL_HDRLEN, ctrl_attr_cb, tb) < MNL_CB_STOP ||
	    !tb[CTRL_ATTR_FAMILY_ID]) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	s->family = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	if (tb[CTRL_ATTR_VERSION])
		s->family_version = mnl_attr_get_u32(tb[CTRL_ATTR_VERSION]);
	/* A module older than events has no groups. */
	if (tb[CTRL_ATTR_MCAST_GROUPS])
		mnl_attr_parse_nested(tb[CTRL_ATTR_MCAST_GROUPS],
				      mcast_grps_cb, s);
	return MNL_CB_OK;
}

/* Asking is enough: the kernel loads the module (MODULE_ALIAS_GENL_FAMILY). */
static int resolve_family(struct synctl *s)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;
	int err;

	nlh = mnl_nlmsg_put_header(s->req);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++s->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = CTRL_CMD_GETFAMILY;
	genl->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, XSYNPROXY_GENL_NAME);

	err = nl_exchange(s, nlh, family_cb, s);
	if (err == -ENOENT) {
		err_msg("xsynproxy module not loaded and could not be loaded (modprobe xsynproxy)");
		return EXIT_KERNEL;
	}
	if (err)
		return report(s, -err);
	if (!s->family) {
		err_msg("no family id in the genetlink controller's reply");
		return EXIT_KERNEL;
	}
	return EXIT_OK;
}

/* ---- public -------------------------------------------------------------- */

/* Enter the namespace, open the socket, resolve the family. Idempotent. */
int nl_open(struct synctl *s)
{
	int ret;

	if (s->nl)
		return EXIT_OK;
	if (s->netns) {
		ret = enter_netns(s->netns);
		if (ret)
			return ret;
	}
	s->nl = mnl_socket_open(NETLINK_GENERIC);
	if (!s->nl) {
		err_msg("cannot open a generic netlink socket: %s",
			strerror(errno));
		return EXIT_KERNEL;
	}
	if (set_flag(s, NETLINK_CAP_ACK, "NETLINK_CAP_ACK") ||
	    set_flag(s, NETLINK_EXT_ACK, "NETLINK_EXT_ACK"))
		return EXIT_KERNEL;
	if (mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err_msg("cannot bind the netlink socket: %s", strerror(errno));
		return EXIT_KERNEL;
	}
	s->portid = mnl_socket_get_portid(s->nl);
	s->seq = time(NULL);
	return resolve_family(s);
}

/* Subscribe the socket to multicast group @group. */
int nl_join(struct synctl *s, uint32_t group)
{
	if (mnl_socket_setsockopt(s->nl, NETLINK_ADD_MEMBERSHIP, &group,
				  sizeof(group))) {
		err_msg("cannot join the netlink multicast group: %s",
			strerror(errno));
		return EXIT_KERNEL;
	}
	return EXIT_OK;
}

int nl_fd(const struct synctl *s)
{
	return mnl_socket_get_fd(s->nl);
}

void nl_close(struct synctl *s)
{
	if (s->nl)
		mnl_socket_close(s->nl);
	s->nl = NULL;
}

/* Start a request for @cmd in s->req; the family must be resolved. */
struct nlmsghdr *xsp_msg(struct synctl *s, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;

	nlh = mnl_nlmsg_put_header(s->req);
	nlh->nlmsg_type = s->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++s->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = XSYNPROXY_GENL_VERSION;
	return nlh;
}

/*
 * Send @nlh (built with xsp_msg()) and feed each reply to @cb. Returns an
 * exit status, having printed the kernel's complaint if any.
 */
int xsp_talk(struct synctl *s, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	int err = nl_exchange(s, nlh, cb, data);

	return err ? report(s, -err) : EXIT_OK;
}

/* ---- replies ------------------------------------------------------------- */

/* STATS: u64 counters by id; ids past what synctl can hold are skipped. */
static int stats_attr_cb(const struct nlattr *a, void *data)
{
	struct xsp_stats *st = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type <= XSYNPROXY_STAT_PAD || type >= SYNCTL_STATS_MAX)
		return MNL_CB_OK;
	if (mnl_attr_validate(a, MNL_TYPE_U64) < 0) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	st->val[type] = mnl_attr_get_u64(a);
	st->have |= 1ULL << type;
	return MNL_CB_OK;
}

/* STAT_NAMES: strings by counter id; one that does not fit is left out. */
static int names_attr_cb(const struct nlattr *a, void *data)
{
	struct xsp_reply *r = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type <= XSYNPROXY_STAT_PAD || type >= SYNCTL_STATS_MAX)
		return MNL_CB_OK;
	if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	if (strlen(mnl_attr_get_str(a)) >= SYNCTL_STAT_NAME_MAX)
		return MNL_CB_OK;
	strcpy(r->stat_names[type], mnl_attr_get_str(a));
	r->names_have |= 1ULL << type;
	return MNL_CB_OK;
}

struct fam_stats {
	int		family;		/* AF_*, -1 = absent */
	struct xsp_stats stats;
};

static int fam_stats_attr_cb(const struct nlattr *a, void *data)
{
	struct fam_stats *fs = data;

	switch (mnl_attr_get_type(a)) {
	case XSYNPROXY_A_FAMILY:
		if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
			break;
		fs->family = mnl_attr_get_u16(a);
		return MNL_CB_OK;
	case XSYNPROXY_A_STATS:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
			break;
		return mnl_attr_parse_nested(a, stats_attr_cb, &fs->stats);
	default:
		return MNL_CB_OK;
	}
	errno = EPROTO;
	return MNL_CB_ERROR;
}

/* One FAMILY_STATS nest; families synctl does not know are skipped. */
static int parse_fam_stats(const struct nlattr *a, struct xsp_reply *r)
{
	struct fam_stats fs = { .family = -1 };
	int f;

	if (mnl_attr_parse_nested(a, fam_stats_attr_cb, &fs) < MNL_CB_STOP)
		return MNL_CB_ERROR;
	if (fs.family == AF_INET)
		f = SYNCTL_FAM_IPV4;
	else if (fs.family == AF_INET6)
		f = SYNCTL_FAM_IPV6;
	else
		return MNL_CB_OK;
	r->fam[f] = fs.stats;
	r->fam_have |= 1U << f;
	return MNL_CB_OK;
}

static int xsp_attr_cb(const struct nlattr *a, void *data)
{
	struct xsp_reply *r = data;
	uint16_t type = mnl_attr_get_type(a);

	/* Unknown attributes come from a newer module: skip them. */
	if (type >= ARRAY_SIZE(attr_types) ||
	    attr_types[type] == MNL_TYPE_UNSPEC)
		return MNL_CB_OK;
	if (mnl_attr_validate(a, attr_types[type]) < 0) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	switch (type) {
	case XSYNPROXY_A_VERSION:
		snprintf(r->version, sizeof(r->version), "%s",
			 mnl_attr_get_str(a));
		break;
	case XSYNPROXY_A_GENL_VERSION:
		r->genl_version = mnl_attr_get_u32(a);
		break;
	case XSYNPROXY_A_STATE:
		r->state = mnl_attr_get_u32(a);
		break;
	case XSYNPROXY_A_PORT_LO:
		r->port_lo = mnl_attr_get_u16(a);
		break;
	case XSYNPROXY_A_PORT_HI:
		r->port_hi = mnl_attr_get_u16(a);
		break;
	case XSYNPROXY_A_PORT_ENABLED:
		r->port_enabled = mnl_attr_get_u8(a);
		break;
	case XSYNPROXY_A_PORT_COUNT:
		r->port_count = mnl_attr_get_u32(a);
		break;
	case XSYNPROXY_A_KEY_ID:
		r->key_id = mnl_attr_get_u32(a);
		break;
	case XSYNPROXY_A_KEY_SHARED:
		r->key_shared = mnl_attr_get_u8(a);
		break;
	case XSYNPROXY_A_PREV_KEY_ID:
		r->prev_key_id = mnl_attr_get_u32(a);
		break;
	case XSYNPROXY_A_EPOCH:
		r->epoch = mnl_attr_get_u64(a);
		break;
	case XSYNPROXY_A_EPOCH_LEN:
		r->epoch_len = mnl_attr_get_u32(a);
		break;
	case XSYNPROXY_A_BUDGET:
		r->budget = mnl_attr_get_u32(a);
		break;
	case XSYNPROXY_A_SYNACK:
		r->synack = mnl_attr_get_u32(a);
		break;
	case XSYNPROXY_A_STATS:
		if (mnl_attr_parse_nested(a, stats_attr_cb, &r->stats) <
		    MNL_CB_STOP)
			return MNL_CB_ERROR;
		break;
	case XSYNPROXY_A_STAT_NAMES:
		if (mnl_attr_parse_nested(a, names_attr_cb, r) < MNL_CB_STOP)
			return MNL_CB_ERROR;
		break;
	case XSYNPROXY_A_FAMILY:
		r->family = mnl_attr_get_u16(a);
		break;
	case XSYNPROXY_A_FAMILY_STATS:
		if (parse_fam_stats(a, r) < MNL_CB_STOP)
			return MNL_CB_ERROR;
		break;
	case XSYNPROXY_A_PREV_STATE:
		r->prev_state = mnl_attr_get_u32(a);
		break;
	case XSYNPROXY_A_MSS:
		r->mss = mnl_attr_get_u16(a);
		break;
	case XSYNPROXY_A_COOKIE:
		r->cookie = mnl_attr_get_u32(a);
		break;
	case XSYNPROXY_A_TSVAL:
		r->tsval = mnl_attr_get_u32(a);
		break;
	}
	r->have |= 1ULL << type;
	return MNL_CB_OK;
}

/* Decode one xsynproxy message into @r (zeroed first). 0 or -1, errno. */
int xsp_parse(const struct nlmsghdr *nlh, struct xsp_reply *r)
{
	memset(r, 0, sizeof(*r));
	if (mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN) {
		errno = EPROTO;
		return -1;
	}
	if (mnl_attr_parse(nlh, GENL_HDRLEN, xsp_attr_cb, r) < MNL_CB_STOP)
		return -1;
	return 0;
}

/* mnl callback for a "do" request: decode the reply into @data. */
int xsp_reply_cb(const struct nlmsghdr *nlh, void *data)
{
	return xsp_parse(nlh, data) ? MNL_CB_ERROR : MNL_CB_OK;
}
