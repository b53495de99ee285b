// SPDX-License-Identifier: GPL-2.0
/*
 * Per network namespace state: protected ports, cookie secrets, budget, and
 * the namespace's state as monitor listeners last heard it.
 *
 * Configuration is written under xsp_net.lock and published with RCU; the
 * datapath reads it under rcu_read_lock() only. Old copies are freed with
 * kfree_rcu(), so a reader that still holds one is never left dangling.
 */
#include <linux/bitmap.h>
#include <linux/net.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <net/genetlink.h>
#include <net/tcp.h>

#include "xsp.h"

unsigned int xsp_net_id __read_mostly;

/* Wall-clock seconds: nodes that share a key and a clock agree on epochs. */
u64 xsp_now(void)
{
	return ktime_get_real_seconds();
}

/*
 * Wall-clock milliseconds for the datapath: epochs and the TSval time field.
 * The coarse clock (a tick's resolution) is plenty for 16 ms time units and
 * costs no clocksource read per SYN.
 */
u64 xsp_now_ms(void)
{
	return div_u64(ktime_get_coarse_real_ns(), NSEC_PER_MSEC);
}

/* While a port is enabled, poll for a tcp_syncookies change no SYN reports. */
#define XSP_STATE_POLL		HZ

static bool xsp_syncookies_bypass(const struct xsp_net *xn)
{
	return READ_ONCE(xn->net->ipv4.sysctl_tcp_syncookies) == 2;
}

enum xsynproxy_state xsp_state(struct xsp_net *xn)
{
	const struct xsp_ports *p;
	bool active;

	rcu_read_lock();
	p = rcu_dereference(xn->ports);
	active = p && p->nr_enabled;
	rcu_read_unlock();
	if (!active)
		return XSYNPROXY_STATE_IDLE;
	if (xsp_syncookies_bypass(xn))
		return XSYNPROXY_STATE_BYPASS;
	return XSYNPROXY_STATE_ACTIVE;
}

static const char *const xsp_state_names[] = {
	[XSYNPROXY_STATE_IDLE]		= "idle",
	[XSYNPROXY_STATE_ACTIVE]	= "active",
	[XSYNPROXY_STATE_BYPASS]	= "bypass",
};

/*
 * Recompute the state after a configuration change or when the state work
 * runs; on a change tell the monitor listeners and the kernel log. Holding
 * xsp_net.lock orders the state event after the event of the port change
 * that caused it. While a port is enabled the work polls, to notice a
 * tcp_syncookies change that no SYN reports.
 */
void xsp_state_update(struct xsp_net *xn)
{
	enum xsynproxy_state prev = xn->state, state;

	lockdep_assert_held(&xn->lock);
	WRITE_ONCE(xn->bypass, xsp_syncookies_bypass(xn));
	state = xsp_state(xn);
	if (state != prev) {
		WRITE_ONCE(xn->state, state);
		net_info_ratelimited("xsynproxy: netns %u: state %s -> %s\n",
				     xn->net->ns.inum, xsp_state_names[prev],
				     xsp_state_names[state]);
		xsp_notify_state(xn, prev, state);
	}
	/* Does nothing when already queued, e.g. by xsp_state_kick(). */
	if (state != XSYNPROXY_STATE_IDLE)
		queue_delayed_work(system_wq, &xn->state_work,
				   round_jiffies_relative(XSP_STATE_POLL));
}

/*
 * Slow path of xsp_state_seen(), in softirq: the datapath saw tcp_syncookies
 * move to or from 2. Record what it saw first, so that the SYNs behind this
 * one take the fast path again, then run the state work now: it sleeps on
 * xsp_net.lock and sends netlink events, which softirq context cannot. Two
 * CPUs racing here both kick the work, which reads the sysctl itself.
 */
void xsp_state_kick(struct xsp_net *xn, bool bypass)
{
	WRITE_ONCE(xn->bypass, bypass);
	mod_delayed_work(system_wq, &xn->state_work, 0);
}

static struct xsp_ports *xsp_ports_alloc(unsigned int nr)
{
	struct xsp_ports *p = NULL;

	return kzalloc(struct_size(p, ranges, nr), GFP_KERNEL);
}

static void xsp_keys_free_rcu(struct rcu_head *head)
{
	kfree_sensitive(container_of(head, struct xsp_keys, rcu));
}

/*
 * The receive window scale tcp_select_initial_window() picks for a listener
 * whose buffers are not locked. Sampled here, in process context, for the
 * epochs to come (see struct xsp_keys).
 */
static u8 xsp_sample_wscale(const struct net *net)
{
	u32 space = max_t(u32, READ_ONCE(net->ipv4.sysctl_tcp_rmem[2]),
			  READ_ONCE(sysctl_rmem_max));

	return clamp_t(int, ilog2(space) - 15, 0, TCP_MAX_WSCALE);
}

/*
 * @k->s moved from epoch @from on: shift the window scales along. What the
 * datapath used for the epochs in between was wscale[2], the sample taken
 * before; a new sample only ever applies to epochs nobody has minted in.
 */
static void xsp_keys_shift_wscale(struct xsp_keys *k, u64 from,
				  const struct net *net)
{
	u8 next = k->wscale[2];

	if (k->s.epoch == from + 1)
		k->wscale[0] = k->wscale[1];
	else
		k->wscale[0] = next;
	k->wscale[1] = next;
	k->wscale[2] = xsp_sample_wscale(net);
}

static void xsp_keys_init_wscale(struct xsp_keys *k, const struct net *net)
{
	memset(k->wscale, xsp_sample_wscale(net), sizeof(k->wscale));
}

/* Index of the range @r names (ports and family), or -1. */
int xsp_range_index(const struct xsp_ports *p, const struct xsp_range *r)
{
	unsigned int i;

	for (i = 0; p && i < p->nr; i++)
		if (p->ranges[i].lo == r->lo && p->ranges[i].hi == r->hi &&
		    p->ranges[i].family == r->family)
			return i;
	return -1;
}

static __maybe_unused const char *xsp_family_name(u16 family)
{
	return family == AF_INET ? " inet" : family == AF_INET6 ? " inet6" : "";
}

/*
 * A namespace pays for the hooks only once it protects a port: until then
 * none of its packets crosses them (every other namespace of a host with
 * containers, the client side of a benchmark), exactly as if the module
 * were not loaded. Once registered they stay until the namespace goes, as
 * with every port disabled they cost one bitmap pointer test. Unregistering
 * would not be free of side effects: nf_unregister_net_hooks() flushes
 * every packet NFQUEUE holds in the namespace (nf_queue_nf_hook_drop()),
 * an inline IPS's included.
 */
static int xsp_hooks_ensure(struct xsp_net *xn,
			    struct netlink_ext_ack *extack)
{
	int err;

	lockdep_assert_held(&xn->lock);
	if (xn->hooks_registered)
		return 0;
	err = xsp_hooks_register(xn->net);
	if (err) {
		NL_SET_ERR_MSG_MOD(extack, "cannot register the netfilter hooks");
		return err;
	}
	xn->hooks_registered = true;
	return 0;
}

/*
 * Build the next port table from @old and one change, keeping ranges sorted
 * and the bitmap in sync. All checks happen before anything is published,
 * so a failed request leaves the old table untouched.
 */
int xsp_ports_change(struct xsp_net *xn, int cmd, const struct xsp_range *r,
		     struct netlink_ext_ack *extack)
{
	const struct xsp_range *o;
	struct xsp_ports *old, *new;
	unsigned int i, j, nr;
	enum xsp_fam f;
	int err, idx;

	lockdep_assert_held(&xn->lock);
	old = rcu_dereference_protected(xn->ports, lockdep_is_held(&xn->lock));
	nr = old ? old->nr : 0;

	switch (cmd) {
	case XSYNPROXY_CMD_PORT_ADD:
		/* Ranges of one family, or of both, must not overlap. */
		for (i = 0; i < nr; i++) {
			o = &old->ranges[i];
			if (o->lo > r->hi || r->lo > o->hi ||
			    (o->family && r->family && o->family != r->family))
				continue;
			XSP_ERR_FMT(extack, "ports overlap a configured range",
				    "ports %u-%u%s overlap configured range %u-%u%s",
				    r->lo, r->hi, xsp_family_name(r->family),
				    o->lo, o->hi, xsp_family_name(o->family));
			return -EEXIST;
		}
		if (nr >= XSP_MAX_RANGES) {
			NL_SET_ERR_MSG_MOD(extack, "too many port ranges");
			return -ENOSPC;
		}
		new = xsp_ports_alloc(nr + 1);
		if (!new)
			return -ENOMEM;
		for (i = 0, j = 0; i < nr; i++) {
			if (j == i && old->ranges[i].lo > r->hi)
				new->ranges[j++] = *r;
			new->ranges[j++] = old->ranges[i];
		}
		if (j == nr)
			new->ranges[j++] = *r;
		new->nr = j;
		break;
	case XSYNPROXY_CMD_PORT_DEL:
	case XSYNPROXY_CMD_PORT_SET:
		idx = xsp_range_index(old, r);
		if (idx < 0) {
			XSP_ERR_FMT(extack, "no configured range matches",
				    "no configured range %u-%u%s", r->lo, r->hi,
				    xsp_family_name(r->family));
			return -ENOENT;
		}
		new = xsp_ports_alloc(nr);
		if (!new)
			return -ENOMEM;
		for (i = 0, j = 0; i < nr; i++) {
			if (i == idx && cmd == XSYNPROXY_CMD_PORT_DEL)
				continue;
			new->ranges[j] = old->ranges[i];
			if (i == idx)
				new->ranges[j].enabled = r->enabled;
			j++;
		}
		new->nr = j;
		break;
	case XSYNPROXY_CMD_UNSPEC:	/* flush: an empty table, for its gen */
		new = xsp_ports_alloc(0);
		if (!new)
			return -ENOMEM;
		break;
	default:
		return -EOPNOTSUPP;
	}

	for (i = 0; i < new->nr; i++) {
		o = &new->ranges[i];
		if (!o->enabled)
			continue;
		new->nr_enabled++;
		for (f = 0; f < XSP_FAM_NR; f++)
			if (xsp_range_covers(o, f))
				bitmap_set(new->map[f], o->lo, o->hi - o->lo + 1);
	}
	err = new->nr_enabled ? xsp_hooks_ensure(xn, extack) : 0;
	if (err) {
		kfree(new);
		return err;
	}
	/* XSP_PORTS_GEN_NONE stands for "no table yet" in dumps. */
	new->gen = old ? old->gen + 1 : XSP_PORTS_GEN_NONE + 1;
	if (!new->gen)
		new->gen = XSP_PORTS_GEN_NONE + 1;
	rcu_assign_pointer(xn->ports, new);
	if (old)
		kfree_rcu(old, rcu);
	return 0;
}

/*
 * Install a new master key (@key non-NULL: the old one stays accepted for
 * the rest of its validity window) and/or a new epoch length (@epoch_len
 * non-zero: epochs are renumbered, so cookies in flight under the old length
 * are lost; operators change it once, when setting up a cluster). *@changed
 * gets the XSP_KEYS_* bits of what actually changed, for the events.
 */
int xsp_keys_replace(struct xsp_net *xn, const u8 *key, bool shared,
		     u32 epoch_len, unsigned int *changed)
{
	struct xsp_keys *old, *new;
	struct xsp_key k;
	u64 now = xsp_now();

	lockdep_assert_held(&xn->lock);
	*changed = 0;
	old = rcu_dereference_protected(xn->keys, lockdep_is_held(&xn->lock));
	if (!key && (!epoch_len || epoch_len == old->s.epoch_len))
		return 0;	/* the epoch length it has: nothing to do */
	new = kmemdup(old, sizeof(*old), GFP_KERNEL);
	if (!new)
		return -ENOMEM;

	if (epoch_len && epoch_len != new->s.epoch_len) {
		/* Epochs are renumbered: no cookie in flight survives. */
		xsp_secrets_init(&new->s, &new->key, epoch_len, now);
		xsp_keys_init_wscale(new, xn->net);
		new->prev_key_id = 0;
		*changed |= XSP_KEYS_NEW_EPOCH_LEN;
	}
	if (key && !memcmp(key, old->key.bytes, sizeof(old->key.bytes)) &&
	    (!epoch_len || epoch_len == old->s.epoch_len)) {
		kfree_sensitive(new);	/* the installed key: nothing to do */
		return 0;
	}
	if (key) {
		u64 from = new->s.epoch;

		*changed |= XSP_KEYS_NEW_KEY;
		memcpy(k.bytes, key, sizeof(k.bytes));
		new->prev_key_id = new->key_id;
		new->key = k;
		new->key_id = xsp_key_id(&k);
		new->shared = shared;
		/* A rotate also catches the epoch up, as the refresh would. */
		xsp_secrets_rotate(&new->s, &k, now);
		if (new->s.epoch > from)
			xsp_keys_shift_wscale(new, from, xn->net);
		memzero_explicit(&k, sizeof(k));
	}
	rcu_assign_pointer(xn->keys, new);
	call_rcu(&old->rcu, xsp_keys_free_rcu);
	return 0;
}

/*
 * Datapath accessor, under rcu_read_lock(). When the epoch has moved on the
 * cookie code still computes the right salts (on the fly, slower), and the
 * refresh work publishes a snapshot for the new epoch.
 */
const struct xsp_keys *xsp_keys_get(struct xsp_net *xn, u64 now_ms)
{
	const struct xsp_keys *k = rcu_dereference(xn->keys);

	if (unlikely(!xsp_secrets_current(&k->s, div_u64(now_ms, MSEC_PER_SEC))))
		schedule_work(&xn->refresh_work);
	return k;
}

/*
 * Publish secrets for the current epoch, if the published ones are behind:
 * from the datapath's refresh work when a packet finds them stale, and from
 * the state work's poll while a port is enabled, so that the window scale
 * sample of each epoch is taken in time even when no packet comes.
 */
static void xsp_keys_refresh(struct xsp_net *xn)
{
	struct xsp_keys *old, *new;

	lockdep_assert_held(&xn->lock);
	old = rcu_dereference_protected(xn->keys, lockdep_is_held(&xn->lock));
	if (xsp_secrets_current(&old->s, xsp_now()) &&
	    (!old->s.has_prev || xsp_secrets_prev_valid(&old->s, xsp_now())))
		return;
	new = kmemdup(old, sizeof(*old), GFP_KERNEL);
	if (new && xsp_secrets_advance(&new->s, xsp_now())) {
		if (!new->s.has_prev)
			new->prev_key_id = 0;
		if (new->s.epoch > old->s.epoch)
			xsp_keys_shift_wscale(new, old->s.epoch, xn->net);
		rcu_assign_pointer(xn->keys, new);
		call_rcu(&old->rcu, xsp_keys_free_rcu);
	} else {
		kfree_sensitive(new);
	}
}

static void xsp_refresh_work(struct work_struct *work)
{
	struct xsp_net *xn = container_of(work, struct xsp_net, refresh_work);

	mutex_lock(&xn->lock);
	xsp_keys_refresh(xn);
	mutex_unlock(&xn->lock);
}

static void xsp_state_work(struct work_struct *work)
{
	struct xsp_net *xn = container_of(to_delayed_work(work), struct xsp_net,
					  state_work);

	mutex_lock(&xn->lock);
	xsp_keys_refresh(xn);
	xsp_state_update(xn);
	mutex_unlock(&xn->lock);
}

static int __net_init xsp_net_init(struct net *net)
{
	struct xsp_net *xn = xsp_pernet(net);
	struct xsp_keys *keys;
	int err;

	xn->net = net;
	mutex_init(&xn->lock);
	INIT_WORK(&xn->refresh_work, xsp_refresh_work);
	xsp_pending_init(&xn->pending);
	INIT_DELAYED_WORK(&xn->state_work, xsp_state_work);
	xn->state = XSYNPROXY_STATE_IDLE;
	xn->bypass = xsp_syncookies_bypass(xn);

	xn->pcpu = alloc_percpu(struct xsp_pcpu);
	if (!xn->pcpu)
		return -ENOMEM;

	keys = kzalloc(sizeof(*keys), GFP_KERNEL);
	if (!keys) {
		err = -ENOMEM;
		goto err_keys;
	}
	get_random_bytes(keys->key.bytes, sizeof(keys->key.bytes));
	keys->key_id = xsp_key_id(&keys->key);
	xsp_secrets_init(&keys->s, &keys->key, XSP_DEFAULT_EPOCH_LEN,
			 xsp_now());
	xsp_keys_init_wscale(keys, net);
	RCU_INIT_POINTER(xn->keys, keys);

	err = xsp_proc_init(net);
	if (err)
		goto err_proc;
	return 0;

err_proc:
	kfree_sensitive(keys);
err_keys:
	free_percpu(xn->pcpu);
	return err;
}

static void __net_exit xsp_net_exit(struct net *net)
{
	struct xsp_net *xn = xsp_pernet(net);

	if (xn->hooks_registered)
		xsp_hooks_unregister(net);
	/*
	 * nf_unregister_net_hooks() waits for readers in the hooks, and the
	 * netns is dead, so no netlink request can reach us any more: nothing
	 * queues the works again (cancel_delayed_work_sync() also stops the
	 * state work re-arming itself).
	 */
	cancel_delayed_work_sync(&xn->state_work);
	cancel_work_sync(&xn->refresh_work);
	xsp_proc_exit(net);
	xsp_pending_destroy(&xn->pending);
	kfree(rcu_dereference_protected(xn->ports, 1));
	kfree_sensitive(rcu_dereference_protected(xn->keys, 1));
	free_percpu(xn->pcpu);
}

static struct pernet_operations xsp_net_ops = {
	.init	= xsp_net_init,
	.exit	= xsp_net_exit,
	.id	= &xsp_net_id,
	.size	= sizeof(struct xsp_net),
};

int xsp_pernet_register(void)
{
	return register_pernet_subsys(&xsp_net_ops);
}

void xsp_pernet_unregister(void)
{
	unregister_pernet_subsys(&xsp_net_ops);
}
