/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xsynproxy internal declarations shared by the module's files.
 */
#ifndef _XSP_H
#define _XSP_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/netfilter.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <uapi/linux/xsynproxy.h>

#include "xsp_cookie.h"

#define XSP_VERSION		"0.2.0"
#define XSP_MAX_RANGES		1024
#define XSP_PORTS_GEN_NONE	1	/* dump generation before any table */
#define XSP_DEFAULT_EPOCH_LEN	60
#define XSP_MAX_EPOCH_LEN	XSYNPROXY_EPOCH_LEN_MAX

/* Counters are kept per address family; netlink reports them summed or apart. */
enum xsp_fam {
	XSP_FAM_V4,
	XSP_FAM_V6,
	XSP_FAM_NR,
};

static inline u16 xsp_fam_family(enum xsp_fam fam)
{
	return fam == XSP_FAM_V6 ? AF_INET6 : AF_INET;
}

/* A protected range; @family 0 (AF_UNSPEC) protects both families. */
struct xsp_range {
	u16	lo;
	u16	hi;
	u16	family;
	bool	enabled;
};

static inline bool xsp_range_covers(const struct xsp_range *r,
				    enum xsp_fam fam)
{
	return !r->family || r->family == xsp_fam_family(fam);
}

/*
 * Protected ports. Immutable once published: writers build a new copy under
 * xsp_net.lock and swap it in with rcu_assign_pointer(); the datapath only
 * tests a bit of its family's @map under rcu_read_lock().
 */
struct xsp_ports {
	struct rcu_head		rcu;
	unsigned int		gen;		/* never 0: dumps compare it */
	unsigned int		nr;
	unsigned int		nr_enabled;
	DECLARE_BITMAP(map[XSP_FAM_NR], 65536);
	struct xsp_range	ranges[];
};

/*
 * Cookie secrets. Immutable once published, replaced copy-on-write: by a
 * rotate or set under xsp_net.lock, and by the refresh work when the epoch
 * moves on.
 *
 * @wscale is the receive window scale promised in the SYN-ACKs of an epoch:
 * [0] for epochs before s.epoch, [1] for s.epoch, [2] for later ones. The
 * cookie has no room for it, so the ACK side must find the value the SYN
 * side used; sampling the sysctls for the epoch after next, and only in the
 * refresh work, guarantees that both sides of a handshake read the same
 * value even across a sysctl change (which thus applies within two epochs).
 */
struct xsp_keys {
	struct rcu_head		rcu;
	struct xsp_secrets	s;
	struct xsp_key		key;
	u32			key_id;
	u32			prev_key_id;
	bool			shared;
	u8			wscale[3];
};

static inline u8 xsp_keys_wscale(const struct xsp_keys *k, u64 epoch)
{
	if (epoch < k->s.epoch)
		return k->wscale[0];
	return k->wscale[epoch == k->s.epoch ? 1 : 2];
}

/*
 * One token bucket per CPU keeps the reply budget free of shared cachelines.
 * @credit counts in units of 1 / (HZ * nr_cpus) SYN-ACKs, so that each CPU
 * refills at budget / nr_cpus per second exactly, even below one per second.
 */
struct xsp_bucket {
	unsigned long	stamp;		/* jiffies of the last refill */
	u64		credit;
};

struct xsp_pcpu {
	u64			stat[XSP_FAM_NR][__XSYNPROXY_STAT_MAX];
	struct xsp_bucket	bucket;
};

/* Replays on their way (xsp_pending.c). */
#define XSP_PENDING_BUCKETS	64

struct xsp_pending {
	spinlock_t		lock;		/* writers */
	u32			seed;
	unsigned int		count;
	struct hlist_head	head[XSP_PENDING_BUCKETS];
};

struct xsp_net {
	struct net			*net;
	/* Serialises every configuration change of this namespace. */
	struct mutex			lock;
	struct xsp_ports __rcu		*ports;
	struct xsp_keys __rcu		*keys;
	/* SYN-ACKs per second for the whole namespace, 0 = unlimited. */
	u32				budget;
	/* XSYNPROXY_SYNACK_COPY: never answer in the SYN's own skb. */
	bool				synack_copy;
	struct xsp_pcpu __percpu	*pcpu;
	struct work_struct		refresh_work;
	struct xsp_pending		pending;
	/*
	 * State changes (xsp_pernet.c). @state is the state last told to
	 * monitor listeners, written under @lock. @bypass is the last
	 * "tcp_syncookies == 2" seen, by the datapath (xsp_state_seen()) or
	 * by @state_work, which recomputes the state under @lock, tells the
	 * listeners and, while a port is enabled, polls once a second.
	 */
	enum xsynproxy_state		state;
	bool				bypass;
	struct delayed_work		state_work;
	/*
	 * The netfilter hooks are registered with the first enabled port
	 * (xsp_ports_change()), under @lock, and stay until the namespace
	 * goes: see xsp_hooks_ensure().
	 */
	bool				hooks_registered;
};

extern unsigned int xsp_net_id;

/* Formatted extack messages arrived in 6.2: 6.1 gets the plain text. */
#ifdef NL_SET_ERR_MSG_FMT_MOD
#define XSP_ERR_FMT(extack, plain, fmt, args...) \
	NL_SET_ERR_MSG_FMT_MOD(extack, fmt, ##args)
#else
#define XSP_ERR_FMT(extack, plain, fmt, args...) \
	NL_SET_ERR_MSG_MOD(extack, plain)
#endif

static inline bool xsp_secrets_current(const struct xsp_secrets *s, u64 now)
{
	return s->epoch == xsp_secrets_epoch(s, now);
}

static inline bool xsp_secrets_prev_valid(const struct xsp_secrets *s, u64 now)
{
	return s->has_prev && xsp_secrets_epoch(s, now) <= s->prev_until;
}

static inline struct xsp_net *xsp_pernet(const struct net *net)
{
	return net_generic(net, xsp_net_id);
}

/*
 * net_generic() for the hooks, which netfilter runs under rcu_read_lock()
 * (nf_hook(), nf_reinject()): the same read without net_generic()'s own
 * read-side pair, two calls per packet on PREEMPT_RCU kernels (Debian's).
 */
static inline struct xsp_net *xsp_pernet_hook(const struct net *net)
{
	return rcu_dereference(net->gen)->ptr[xsp_net_id];
}

/* xsp_stats.c */
extern const char * const xsp_stat_names[__XSYNPROXY_STAT_MAX];

static inline void xsp_inc(struct xsp_net *xn, enum xsp_fam fam,
			   enum xsynproxy_stat s)
{
	this_cpu_inc(xn->pcpu->stat[fam][s]);
}

/* @fam: one family, or XSP_FAM_NR for the sum of all */
void xsp_stats_sum(struct xsp_net *xn, enum xsp_fam fam, u64 *sum);
void xsp_stats_reset(struct xsp_net *xn);
bool xsp_budget_take(struct xsp_net *xn);
int xsp_proc_init(struct net *net);
void xsp_proc_exit(struct net *net);

/* xsp_pernet.c */
int xsp_pernet_register(void);
void xsp_pernet_unregister(void);
u64 xsp_now(void);
u64 xsp_now_ms(void);
int xsp_ports_change(struct xsp_net *xn, int cmd, const struct xsp_range *r,
		     struct netlink_ext_ack *extack);
int xsp_range_index(const struct xsp_ports *p, const struct xsp_range *r);
/* What xsp_keys_replace() changed. */
#define XSP_KEYS_NEW_KEY	BIT(0)
#define XSP_KEYS_NEW_EPOCH_LEN	BIT(1)
int xsp_keys_replace(struct xsp_net *xn, const u8 *key, bool shared,
		     u32 epoch_len, unsigned int *changed);
enum xsynproxy_state xsp_state(struct xsp_net *xn);
const struct xsp_keys *xsp_keys_get(struct xsp_net *xn, u64 now_ms);
void xsp_state_update(struct xsp_net *xn);
void xsp_state_kick(struct xsp_net *xn, bool bypass);

static inline const struct xsp_secrets *xsp_secrets_get(struct xsp_net *xn,
							u64 now_ms)
{
	return &xsp_keys_get(xn, now_ms)->s;
}

/*
 * The datapath calls this on every SYN to a protected port, in softirq
 * under rcu_read_lock(), with @bypass = (net.ipv4.tcp_syncookies == 2).
 * Nothing changed: one READ_ONCE() and a compare. A change: the state work
 * runs at once and tells the monitor listeners and the kernel log.
 */
static inline void xsp_state_seen(struct xsp_net *xn, bool bypass)
{
	if (likely(READ_ONCE(xn->bypass) == bypass))
		return;
	xsp_state_kick(xn, bypass);
}

/* xsp_pending.c */
void xsp_pending_init(struct xsp_pending *pt);
void xsp_pending_destroy(struct xsp_pending *pt);
void xsp_pending_add(struct xsp_pending *pt, const struct xsp_tuple *t,
		     u32 cookie);
bool xsp_pending_find(struct xsp_pending *pt, const struct xsp_tuple *t,
		      u32 cookie);

/* xsp_netlink.c */
int xsp_genl_register(void);
void xsp_genl_unregister(void);
void xsp_notify_state(struct xsp_net *xn, enum xsynproxy_state prev,
		      enum xsynproxy_state state);

/* xsp_hooks.c */
int xsp_hooks_register(struct net *net);
void xsp_hooks_unregister(struct net *net);

#endif /* _XSP_H */
