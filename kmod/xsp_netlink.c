// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "xsynproxy": the control plane.
 *
 * Requests run with parallel_ops; each namespace serialises its own changes
 * with xsp_net.lock. Writes need CAP_NET_ADMIN in the user namespace owning
 * the network namespace (GENL_UNS_ADMIN_PERM), so an unprivileged user can
 * run xsynproxy inside a network namespace of their own.
 *
 * Every change is told to the namespace's "monitor" multicast group by an
 * event (XSYNPROXY_CMD_*_NTF), sent under xsp_net.lock right after the
 * change so that listeners see the changes in the order they were made.
 */
#include <linux/in.h>
#include <linux/in6.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "xsp.h"

static struct genl_family xsp_genl_family;

enum {
	XSP_MCGRP_MONITOR,
};

static const struct genl_multicast_group xsp_mcgrps[] = {
	[XSP_MCGRP_MONITOR] = { .name = XSYNPROXY_MCGRP_MONITOR },
};

static const struct nla_policy xsp_policy[XSYNPROXY_A_MAX + 1] = {
	[XSYNPROXY_A_PORT_LO]		= NLA_POLICY_MIN(NLA_U16, 1),
	[XSYNPROXY_A_PORT_HI]		= NLA_POLICY_MIN(NLA_U16, 1),
	[XSYNPROXY_A_PORT_ENABLED]	= NLA_POLICY_MAX(NLA_U8, 1),
	[XSYNPROXY_A_KEY]		= NLA_POLICY_EXACT_LEN(XSYNPROXY_KEY_LEN),
	[XSYNPROXY_A_EPOCH_LEN]		= NLA_POLICY_RANGE(NLA_U32, 1,
							   XSP_MAX_EPOCH_LEN),
	[XSYNPROXY_A_BUDGET]		= { .type = NLA_U32 },
	[XSYNPROXY_A_SADDR]		= { .type = NLA_BINARY, .len = 16 },
	[XSYNPROXY_A_DADDR]		= { .type = NLA_BINARY, .len = 16 },
	[XSYNPROXY_A_SPORT]		= { .type = NLA_U16 },
	[XSYNPROXY_A_DPORT]		= { .type = NLA_U16 },
	[XSYNPROXY_A_CLIENT_ISN]	= { .type = NLA_U32 },
	[XSYNPROXY_A_MSS]		= { .type = NLA_U16 },
	[XSYNPROXY_A_WSCALE]		= NLA_POLICY_MAX(NLA_U8, XSP_WSCALE_NONE),
	[XSYNPROXY_A_SACK]		= NLA_POLICY_MAX(NLA_U8, 1),
	[XSYNPROXY_A_ECN]		= NLA_POLICY_MAX(NLA_U8, 1),
	[XSYNPROXY_A_TSTAMP]		= NLA_POLICY_MAX(NLA_U8, 1),
	[XSYNPROXY_A_FAMILY]		= { .type = NLA_U16 },
	[XSYNPROXY_A_SYNACK]		= NLA_POLICY_MAX(NLA_U32,
							 XSYNPROXY_SYNACK_COPY),
};

static struct xsp_net *xsp_info_net(struct genl_info *info)
{
	return xsp_pernet(genl_info_net(info));
}

/* Allocate a reply for @info with the command's own header. */
static struct sk_buff *xsp_reply_new(struct genl_info *info, void **hdr)
{
	struct sk_buff *msg;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return NULL;
	*hdr = genlmsg_put_reply(msg, info, &xsp_genl_family, 0,
				 info->genlhdr->cmd);
	if (!*hdr) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static int xsp_reply_send(struct sk_buff *msg, void *hdr,
			  struct genl_info *info, int err)
{
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int xsp_fill_salt(struct sk_buff *msg, struct xsp_net *xn)
{
	const struct xsp_keys *k;
	int err = -EMSGSIZE;
	u64 now = xsp_now();

	rcu_read_lock();
	k = rcu_dereference(xn->keys);
	if (nla_put_u32(msg, XSYNPROXY_A_KEY_ID, k->key_id) ||
	    nla_put_u8(msg, XSYNPROXY_A_KEY_SHARED, k->shared) ||
	    nla_put_u64_64bit(msg, XSYNPROXY_A_EPOCH,
			      div_u64(now, k->s.epoch_len), XSYNPROXY_A_PAD) ||
	    nla_put_u32(msg, XSYNPROXY_A_EPOCH_LEN, k->s.epoch_len))
		goto out;
	if (k->prev_key_id && xsp_secrets_prev_valid(&k->s, now) &&
	    nla_put_u32(msg, XSYNPROXY_A_PREV_KEY_ID, k->prev_key_id))
		goto out;
	err = 0;
out:
	rcu_read_unlock();
	return err;
}

static int xsp_fill_info(struct sk_buff *msg, struct xsp_net *xn)
{
	const struct xsp_ports *p;
	u32 nr;

	rcu_read_lock();
	p = rcu_dereference(xn->ports);
	nr = p ? p->nr : 0;
	rcu_read_unlock();

	if (nla_put_string(msg, XSYNPROXY_A_VERSION, XSP_VERSION) ||
	    nla_put_u32(msg, XSYNPROXY_A_GENL_VERSION, XSYNPROXY_GENL_VERSION) ||
	    nla_put_u32(msg, XSYNPROXY_A_STATE, xsp_state(xn)) ||
	    nla_put_u32(msg, XSYNPROXY_A_PORT_COUNT, nr) ||
	    nla_put_u32(msg, XSYNPROXY_A_BUDGET, READ_ONCE(xn->budget)) ||
	    nla_put_u32(msg, XSYNPROXY_A_SYNACK, READ_ONCE(xn->synack_copy) ?
			XSYNPROXY_SYNACK_COPY : XSYNPROXY_SYNACK_AUTO))
		return -EMSGSIZE;
	return xsp_fill_salt(msg, xn);
}

static int xsp_fill_range(struct sk_buff *msg, const struct xsp_range *r)
{
	if (nla_put_u16(msg, XSYNPROXY_A_PORT_LO, r->lo) ||
	    nla_put_u16(msg, XSYNPROXY_A_PORT_HI, r->hi) ||
	    nla_put_u8(msg, XSYNPROXY_A_PORT_ENABLED, r->enabled) ||
	    (r->family && nla_put_u16(msg, XSYNPROXY_A_FAMILY, r->family)))
		return -EMSGSIZE;
	return 0;
}

static int xsp_fill_stats(struct sk_buff *msg, const u64 *sum)
{
	struct nlattr *nest;
	int i;

	nest = nla_nest_start(msg, XSYNPROXY_A_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = XSYNPROXY_STAT_SYN_RECV; i < __XSYNPROXY_STAT_MAX; i++) {
		if (nla_put_u64_64bit(msg, i, sum[i], XSYNPROXY_STAT_PAD)) {
			nla_nest_cancel(msg, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(msg, nest);
	return 0;
}

static int xsp_fill_stat_names(struct sk_buff *msg)
{
	struct nlattr *nest;
	int i;

	nest = nla_nest_start(msg, XSYNPROXY_A_STAT_NAMES);
	if (!nest)
		return -EMSGSIZE;
	for (i = XSYNPROXY_STAT_SYN_RECV; i < __XSYNPROXY_STAT_MAX; i++) {
		if (nla_put_string(msg, i, xsp_stat_names[i])) {
			nla_nest_cancel(msg, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(msg, nest);
	return 0;
}

static int xsp_fill_family_stats(struct sk_buff *msg, enum xsp_fam fam,
				 const u64 *sum)
{
	struct nlattr *nest;

	nest = nla_nest_start(msg, XSYNPROXY_A_FAMILY_STATS);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u16(msg, XSYNPROXY_A_FAMILY, xsp_fam_family(fam)) ||
	    xsp_fill_stats(msg, sum)) {
		nla_nest_cancel(msg, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

/* ---- events --------------------------------------------------------- */

/*
 * Start event @cmd for the namespace's monitor group; NULL when nobody
 * listens there (the common case: no allocation) or memory is short, which
 * loses the event as a full socket buffer would. Callers hold xsp_net.lock.
 *
 * At module unload the family goes before the namespaces' state works are
 * cancelled (xsp_exit()); an event sent in between finds the group's
 * listeners already removed and reaches nobody.
 */
static struct sk_buff *xsp_event_new(struct xsp_net *xn, u8 cmd, void **hdr)
{
	struct sk_buff *msg;

	lockdep_assert_held(&xn->lock);
	if (!genl_has_listeners(&xsp_genl_family, xn->net, XSP_MCGRP_MONITOR))
		return NULL;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return NULL;
	*hdr = genlmsg_put(msg, 0, 0, &xsp_genl_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static void xsp_event_send(struct xsp_net *xn, struct sk_buff *msg, void *hdr,
			   int err)
{
	if (err) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&xsp_genl_family, xn->net, msg, 0,
				XSP_MCGRP_MONITOR, GFP_KERNEL);
}

/* PORT_ADD_NTF, PORT_DEL_NTF, PORT_SET_NTF */
static void xsp_notify_range(struct xsp_net *xn, u8 cmd,
			     const struct xsp_range *r)
{
	struct sk_buff *msg;
	void *hdr;

	msg = xsp_event_new(xn, cmd, &hdr);
	if (msg)
		xsp_event_send(xn, msg, hdr, xsp_fill_range(msg, r));
}

/* PORT_FLUSH_NTF, BUDGET_NTF, DATAPATH_NTF: one u32 */
static void xsp_notify_u32(struct xsp_net *xn, u8 cmd, int attr, u32 val)
{
	struct sk_buff *msg;
	void *hdr;

	msg = xsp_event_new(xn, cmd, &hdr);
	if (msg)
		xsp_event_send(xn, msg, hdr,
			       nla_put_u32(msg, attr, val) ? -EMSGSIZE : 0);
}

/* SALT_ROTATE_NTF, KEY_SET_NTF, EPOCH_LEN_NTF: the salt as SALT_GET shows it */
static void xsp_notify_salt(struct xsp_net *xn, u8 cmd)
{
	struct sk_buff *msg;
	void *hdr;

	msg = xsp_event_new(xn, cmd, &hdr);
	if (msg)
		xsp_event_send(xn, msg, hdr, xsp_fill_salt(msg, xn));
}

/* Called by xsp_state_update(), under xsp_net.lock. */
void xsp_notify_state(struct xsp_net *xn, enum xsynproxy_state prev,
		      enum xsynproxy_state state)
{
	struct sk_buff *msg;
	void *hdr;

	msg = xsp_event_new(xn, XSYNPROXY_CMD_STATE_NTF, &hdr);
	if (!msg)
		return;
	xsp_event_send(xn, msg, hdr,
		       nla_put_u32(msg, XSYNPROXY_A_STATE, state) ||
		       nla_put_u32(msg, XSYNPROXY_A_PREV_STATE, prev) ?
		       -EMSGSIZE : 0);
}

/* ---- requests ------------------------------------------------------- */

/* INFO_GET and SALT_GET: read-only replies. */
static int xsp_nl_get(struct sk_buff *skb, struct genl_info *info)
{
	struct xsp_net *xn = xsp_info_net(info);
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = xsp_reply_new(info, &hdr);
	if (!msg)
		return -ENOMEM;
	if (info->genlhdr->cmd == XSYNPROXY_CMD_SALT_GET)
		err = xsp_fill_salt(msg, xn);
	else
		err = xsp_fill_info(msg, xn);
	return xsp_reply_send(msg, hdr, info, err);
}

/*
 * The configured range @r names, or NULL. Under xsp_net.lock the table
 * cannot be replaced, let alone freed, under us.
 */
static const struct xsp_range *xsp_range_locked(struct xsp_net *xn,
						const struct xsp_range *r)
{
	const struct xsp_ports *p;
	int i;

	p = rcu_dereference_protected(xn->ports, lockdep_is_held(&xn->lock));
	i = xsp_range_index(p, r);
	return i < 0 ? NULL : &p->ranges[i];
}

/* Make one change of the port table and send its events. Under the lock. */
static int xsp_ports_change_notify(struct xsp_net *xn, u8 cmd,
				   const struct xsp_range *r,
				   struct netlink_ext_ack *extack)
{
	const struct xsp_range *cur;
	struct xsp_range old = {};
	int err;

	lockdep_assert_held(&xn->lock);
	/* Copy: the table is freed (after a grace period) once replaced. */
	cur = xsp_range_locked(xn, r);
	if (cur)
		old = *cur;
	err = xsp_ports_change(xn, cmd, r, extack);
	if (err)
		return err;
	switch (cmd) {
	case XSYNPROXY_CMD_PORT_ADD:
		xsp_notify_range(xn, XSYNPROXY_CMD_PORT_ADD_NTF, r);
		break;
	case XSYNPROXY_CMD_PORT_DEL:
		xsp_notify_range(xn, XSYNPROXY_CMD_PORT_DEL_NTF, &old);
		break;
	case XSYNPROXY_CMD_PORT_SET:
		if (old.enabled != r->enabled)
			xsp_notify_range(xn, XSYNPROXY_CMD_PORT_SET_NTF, r);
		break;
	}
	xsp_state_update(xn);
	return 0;
}

static int xsp_ports_flush(struct xsp_net *xn, struct netlink_ext_ack *extack)
{
	const struct xsp_ports *p;
	unsigned int nr;
	int err;

	mutex_lock(&xn->lock);
	p = rcu_dereference_protected(xn->ports, lockdep_is_held(&xn->lock));
	nr = p ? p->nr : 0;
	err = xsp_ports_change(xn, XSYNPROXY_CMD_UNSPEC, &(struct xsp_range){},
			       extack);
	if (!err && nr) {
		xsp_notify_u32(xn, XSYNPROXY_CMD_PORT_FLUSH_NTF,
			       XSYNPROXY_A_PORT_COUNT, nr);
		xsp_state_update(xn);
	}
	mutex_unlock(&xn->lock);
	return err;
}

static int xsp_nl_port_change(struct sk_buff *skb, struct genl_info *info)
{
	struct xsp_net *xn = xsp_info_net(info);
	u8 cmd = info->genlhdr->cmd;
	struct xsp_range r = {};
	struct sk_buff *msg;
	void *hdr;
	int err;

	if (!info->attrs[XSYNPROXY_A_PORT_LO]) {
		if (cmd != XSYNPROXY_CMD_PORT_DEL || info->attrs[XSYNPROXY_A_PORT_HI]) {
			GENL_SET_ERR_MSG(info, "missing first port");
			return -EINVAL;
		}
		return xsp_ports_flush(xn, info->extack);
	}
	r.lo = nla_get_u16(info->attrs[XSYNPROXY_A_PORT_LO]);
	r.hi = r.lo;
	if (info->attrs[XSYNPROXY_A_PORT_HI])
		r.hi = nla_get_u16(info->attrs[XSYNPROXY_A_PORT_HI]);
	if (r.hi < r.lo) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[XSYNPROXY_A_PORT_HI],
				    "last port is below first port");
		return -EINVAL;
	}
	if (info->attrs[XSYNPROXY_A_FAMILY]) {
		r.family = nla_get_u16(info->attrs[XSYNPROXY_A_FAMILY]);
		if (r.family != AF_INET && r.family != AF_INET6 &&
		    r.family != AF_UNSPEC) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    info->attrs[XSYNPROXY_A_FAMILY],
					    "family must be inet or inet6");
			return -EINVAL;
		}
	}
	r.enabled = true;
	if (info->attrs[XSYNPROXY_A_PORT_ENABLED]) {
		r.enabled = nla_get_u8(info->attrs[XSYNPROXY_A_PORT_ENABLED]);
	} else if (cmd == XSYNPROXY_CMD_PORT_SET) {
		GENL_SET_ERR_MSG(info, "missing enabled flag");
		return -EINVAL;
	}

	/* Allocate the reply first: once the change is made it must be told. */
	msg = NULL;
	if (cmd != XSYNPROXY_CMD_PORT_DEL) {
		msg = xsp_reply_new(info, &hdr);
		if (!msg)
			return -ENOMEM;
	}
	mutex_lock(&xn->lock);
	err = xsp_ports_change_notify(xn, cmd, &r, info->extack);
	mutex_unlock(&xn->lock);
	if (!msg)
		return err;
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return xsp_reply_send(msg, hdr, info, xsp_fill_range(msg, &r));
}

static int xsp_nl_port_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct xsp_net *xn = xsp_pernet(sock_net(skb->sk));
	const struct xsp_ports *p;
	unsigned int i;
	int err = 0;
	void *hdr;

	rcu_read_lock();
	/* Each table is immutable and carries its generation. */
	p = rcu_dereference(xn->ports);
	cb->seq = p ? p->gen : XSP_PORTS_GEN_NONE;
	for (i = cb->args[0]; p && i < p->nr; i++) {
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &xsp_genl_family,
				  NLM_F_MULTI, XSYNPROXY_CMD_PORT_GET);
		if (!hdr) {
			err = -EMSGSIZE;
			break;
		}
		genl_dump_check_consistent(cb, hdr);
		if (xsp_fill_range(skb, &p->ranges[i])) {
			genlmsg_cancel(skb, hdr);
			err = -EMSGSIZE;
			break;
		}
		genlmsg_end(skb, hdr);
	}
	rcu_read_unlock();
	cb->args[0] = i;
	/* A range always fits an empty skb: -EMSGSIZE only ends this part. */
	return err && !skb->len ? err : skb->len;
}

static int xsp_nl_salt_change(struct sk_buff *skb, struct genl_info *info)
{
	struct xsp_net *xn = xsp_info_net(info);
	u8 cmd = info->genlhdr->cmd;
	u8 key[XSYNPROXY_KEY_LEN];
	unsigned int changed = 0;
	bool have_key = false;
	struct sk_buff *msg;
	u32 epoch_len = 0;
	void *hdr;
	int err;

	if (info->attrs[XSYNPROXY_A_KEY]) {
		nla_memcpy(key, info->attrs[XSYNPROXY_A_KEY], sizeof(key));
		have_key = true;
	} else if (cmd == XSYNPROXY_CMD_SALT_ROTATE) {
		get_random_bytes(key, sizeof(key));
		have_key = true;
	}
	if (cmd == XSYNPROXY_CMD_SALT_SET) {
		if (info->attrs[XSYNPROXY_A_EPOCH_LEN])
			epoch_len = nla_get_u32(info->attrs[XSYNPROXY_A_EPOCH_LEN]);
		if (!have_key && !epoch_len) {
			GENL_SET_ERR_MSG(info, "nothing to set: need a key or an epoch length");
			return -EINVAL;
		}
	}

	msg = xsp_reply_new(info, &hdr);
	if (!msg) {
		memzero_explicit(key, sizeof(key));
		return -ENOMEM;
	}
	mutex_lock(&xn->lock);
	err = xsp_keys_replace(xn, have_key ? key : NULL,
			       !!info->attrs[XSYNPROXY_A_KEY], epoch_len,
			       &changed);
	if (!err && (changed & XSP_KEYS_NEW_EPOCH_LEN))
		xsp_notify_salt(xn, XSYNPROXY_CMD_EPOCH_LEN_NTF);
	if (!err && (changed & XSP_KEYS_NEW_KEY))
		xsp_notify_salt(xn, cmd == XSYNPROXY_CMD_SALT_ROTATE ?
				XSYNPROXY_CMD_SALT_ROTATE_NTF :
				XSYNPROXY_CMD_KEY_SET_NTF);
	mutex_unlock(&xn->lock);
	memzero_explicit(key, sizeof(key));
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return xsp_reply_send(msg, hdr, info, xsp_fill_salt(msg, xn));
}

static int xsp_nl_budget_set(struct sk_buff *skb, struct genl_info *info)
{
	struct xsp_net *xn = xsp_info_net(info);
	struct sk_buff *msg;
	u32 budget;
	void *hdr;

	if (GENL_REQ_ATTR_CHECK(info, XSYNPROXY_A_BUDGET))
		return -EINVAL;
	budget = nla_get_u32(info->attrs[XSYNPROXY_A_BUDGET]);
	msg = xsp_reply_new(info, &hdr);
	if (!msg)
		return -ENOMEM;
	/* The datapath reads it locklessly; the lock orders the events. */
	mutex_lock(&xn->lock);
	if (budget != xn->budget) {
		WRITE_ONCE(xn->budget, budget);
		xsp_notify_u32(xn, XSYNPROXY_CMD_BUDGET_NTF,
			       XSYNPROXY_A_BUDGET, budget);
	}
	mutex_unlock(&xn->lock);
	return xsp_reply_send(msg, hdr, info, xsp_fill_info(msg, xn));
}

static int xsp_nl_datapath_set(struct sk_buff *skb, struct genl_info *info)
{
	struct xsp_net *xn = xsp_info_net(info);
	struct sk_buff *msg;
	bool copy;
	void *hdr;

	if (GENL_REQ_ATTR_CHECK(info, XSYNPROXY_A_SYNACK))
		return -EINVAL;
	copy = nla_get_u32(info->attrs[XSYNPROXY_A_SYNACK]) ==
	       XSYNPROXY_SYNACK_COPY;
	msg = xsp_reply_new(info, &hdr);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&xn->lock);
	if (copy != xn->synack_copy) {
		WRITE_ONCE(xn->synack_copy, copy);
		xsp_notify_u32(xn, XSYNPROXY_CMD_DATAPATH_NTF,
			       XSYNPROXY_A_SYNACK, copy ?
			       XSYNPROXY_SYNACK_COPY : XSYNPROXY_SYNACK_AUTO);
	}
	mutex_unlock(&xn->lock);
	return xsp_reply_send(msg, hdr, info, xsp_fill_info(msg, xn));
}

/* Counters of one family, or of all (@fam == XSP_FAM_NR), with their names. */
static int xsp_fill_stats_reply(struct sk_buff *msg,
				u64 (*fam_sum)[__XSYNPROXY_STAT_MAX],
				enum xsp_fam fam)
{
	u64 sum[__XSYNPROXY_STAT_MAX];
	int f, i, err;

	if (fam != XSP_FAM_NR) {
		if (nla_put_u16(msg, XSYNPROXY_A_FAMILY, xsp_fam_family(fam)))
			return -EMSGSIZE;
		err = xsp_fill_stats(msg, fam_sum[fam]);
		return err ?: xsp_fill_stat_names(msg);
	}
	/* The total is the sum of the families as sent, not another read. */
	memset(sum, 0, sizeof(sum));
	for (f = 0; f < XSP_FAM_NR; f++)
		for (i = 0; i < __XSYNPROXY_STAT_MAX; i++)
			sum[i] += fam_sum[f][i];
	err = xsp_fill_stats(msg, sum);
	if (!err)
		err = xsp_fill_stat_names(msg);
	for (f = 0; f < XSP_FAM_NR && !err; f++)
		err = xsp_fill_family_stats(msg, f, fam_sum[f]);
	return err;
}

static int xsp_nl_stats(struct sk_buff *skb, struct genl_info *info)
{
	struct xsp_net *xn = xsp_info_net(info);
	struct nlattr *fa = info->attrs[XSYNPROXY_A_FAMILY];
	u64 (*fam_sum)[__XSYNPROXY_STAT_MAX];
	enum xsp_fam fam = XSP_FAM_NR;
	struct sk_buff *msg;
	void *hdr;
	int f, err;

	if (fa) {
		if (info->genlhdr->cmd == XSYNPROXY_CMD_STATS_RESET) {
			NL_SET_ERR_MSG_ATTR(info->extack, fa,
					    "counters are reset for all families at once");
			return -EINVAL;
		}
		for (f = 0; f < XSP_FAM_NR; f++)
			if (nla_get_u16(fa) == xsp_fam_family(f))
				fam = f;
		if (fam == XSP_FAM_NR) {
			NL_SET_ERR_MSG_ATTR(info->extack, fa,
					    "family must be AF_INET or AF_INET6");
			return -EAFNOSUPPORT;
		}
	}

	/* XSP_FAM_NR arrays of counters: too big for the stack together. */
	fam_sum = kmalloc_array(XSP_FAM_NR, sizeof(*fam_sum), GFP_KERNEL);
	if (!fam_sum)
		return -ENOMEM;
	msg = xsp_reply_new(info, &hdr);
	if (!msg) {
		kfree(fam_sum);
		return -ENOMEM;
	}
	for (f = 0; f < XSP_FAM_NR; f++)
		xsp_stats_sum(xn, f, fam_sum[f]);
	if (info->genlhdr->cmd == XSYNPROXY_CMD_STATS_RESET)
		xsp_stats_reset(xn);
	err = xsp_fill_stats_reply(msg, fam_sum, fam);
	kfree(fam_sum);
	return xsp_reply_send(msg, hdr, info, err);
}

static int xsp_nl_cookie_mint(struct sk_buff *skb, struct genl_info *info)
{
	struct xsp_net *xn = xsp_info_net(info);
	struct nlattr **a = info->attrs;
	const struct xsp_secrets *s;
	struct xsp_opts opts = {};
	struct xsp_tuple t = {};
	u32 cookie, tsval = 0;
	u64 epoch;
	struct sk_buff *msg;
	int len, err;
	u64 now;
	void *hdr;

	if (GENL_REQ_ATTR_CHECK(info, XSYNPROXY_A_SADDR) ||
	    GENL_REQ_ATTR_CHECK(info, XSYNPROXY_A_DADDR) ||
	    GENL_REQ_ATTR_CHECK(info, XSYNPROXY_A_SPORT) ||
	    GENL_REQ_ATTR_CHECK(info, XSYNPROXY_A_DPORT) ||
	    GENL_REQ_ATTR_CHECK(info, XSYNPROXY_A_CLIENT_ISN))
		return -EINVAL;
	len = nla_len(a[XSYNPROXY_A_SADDR]);
	if ((len != 4 && len != 16) || nla_len(a[XSYNPROXY_A_DADDR]) != len) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[XSYNPROXY_A_DADDR],
				    "addresses must both be 4 or 16 bytes");
		return -EINVAL;
	}
	t.family = len == 4 ? AF_INET : AF_INET6;
	nla_memcpy(&t.saddr, a[XSYNPROXY_A_SADDR], len);
	nla_memcpy(&t.daddr, a[XSYNPROXY_A_DADDR], len);
	t.sport = htons(nla_get_u16(a[XSYNPROXY_A_SPORT]));
	t.dport = htons(nla_get_u16(a[XSYNPROXY_A_DPORT]));
	opts.mss = a[XSYNPROXY_A_MSS] ? nla_get_u16(a[XSYNPROXY_A_MSS]) : 0;
	opts.wscale = a[XSYNPROXY_A_WSCALE] ?
		      nla_get_u8(a[XSYNPROXY_A_WSCALE]) : XSP_WSCALE_NONE;
	opts.sack = a[XSYNPROXY_A_SACK] && nla_get_u8(a[XSYNPROXY_A_SACK]);
	opts.ecn = a[XSYNPROXY_A_ECN] && nla_get_u8(a[XSYNPROXY_A_ECN]);
	opts.tstamp = a[XSYNPROXY_A_TSTAMP] && nla_get_u8(a[XSYNPROXY_A_TSTAMP]);

	msg = xsp_reply_new(info, &hdr);
	if (!msg)
		return -ENOMEM;
	now = xsp_now_ms();
	rcu_read_lock();
	s = xsp_secrets_get(xn, now);
	cookie = xsp_cookie_mint(s, &t, nla_get_u32(a[XSYNPROXY_A_CLIENT_ISN]),
				 &opts, &tsval, now);
	epoch = xsp_secrets_epoch(s, div_u64(now, MSEC_PER_SEC));
	rcu_read_unlock();
	err = -EMSGSIZE;
	if (nla_put_u32(msg, XSYNPROXY_A_COOKIE, cookie) ||
	    nla_put_u16(msg, XSYNPROXY_A_MSS, opts.mss) ||
	    nla_put_u64_64bit(msg, XSYNPROXY_A_EPOCH, epoch, XSYNPROXY_A_PAD) ||
	    (opts.tstamp && nla_put_u32(msg, XSYNPROXY_A_TSVAL, tsval)))
		goto out;
	err = 0;
out:
	return xsp_reply_send(msg, hdr, info, err);
}

static const struct genl_small_ops xsp_genl_ops[] = {
	{
		.cmd	= XSYNPROXY_CMD_INFO_GET,
		.doit	= xsp_nl_get,
	},
	{
		.cmd	= XSYNPROXY_CMD_PORT_ADD,
		.doit	= xsp_nl_port_change,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= XSYNPROXY_CMD_PORT_DEL,
		.doit	= xsp_nl_port_change,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= XSYNPROXY_CMD_PORT_SET,
		.doit	= xsp_nl_port_change,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= XSYNPROXY_CMD_PORT_GET,
		.dumpit	= xsp_nl_port_dump,
	},
	{
		.cmd	= XSYNPROXY_CMD_SALT_GET,
		.doit	= xsp_nl_get,
	},
	{
		.cmd	= XSYNPROXY_CMD_SALT_ROTATE,
		.doit	= xsp_nl_salt_change,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= XSYNPROXY_CMD_SALT_SET,
		.doit	= xsp_nl_salt_change,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= XSYNPROXY_CMD_BUDGET_SET,
		.doit	= xsp_nl_budget_set,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= XSYNPROXY_CMD_DATAPATH_SET,
		.doit	= xsp_nl_datapath_set,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= XSYNPROXY_CMD_STATS_GET,
		.doit	= xsp_nl_stats,
	},
	{
		.cmd	= XSYNPROXY_CMD_STATS_RESET,
		.doit	= xsp_nl_stats,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= XSYNPROXY_CMD_COOKIE_MINT,
		.doit	= xsp_nl_cookie_mint,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
};

static struct genl_family xsp_genl_family __ro_after_init = {
	.name		= XSYNPROXY_GENL_NAME,
	.version	= XSYNPROXY_GENL_VERSION,
	.maxattr	= XSYNPROXY_A_MAX,
	.policy		= xsp_policy,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.small_ops	= xsp_genl_ops,
	.n_small_ops	= ARRAY_SIZE(xsp_genl_ops),
	.mcgrps		= xsp_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(xsp_mcgrps),
};

int xsp_genl_register(void)
{
	return genl_register_family(&xsp_genl_family);
}

void xsp_genl_unregister(void)
{
	genl_unregister_family(&xsp_genl_family);
}
