// SPDX-License-Identifier: GPL-2.0
/*
 * Replays on their way. A rebuilt SYN that a queue holds (an NFQUEUE
 * verdict, IPsec's transport-mode tasklet, a backlog on another CPU)
 * reaches TCP later; meanwhile the client's next segments carry the same
 * cookie but have moved past its ISN, so they fail the cookie check. This
 * table remembers, for a few seconds, the connections whose replay went
 * that way, so their segments are held back (or let follow) rather than
 * judged forged. Only valid cookies enter it, so only clients that
 * answered a SYN-ACK at their own address; it is bounded, and an entry
 * expires unasked, so nothing in it outlives a handshake by long.
 */
#include <linux/jhash.h>
#include <linux/jiffies.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "xsp.h"

#define XSP_PENDING_TTL		(3 * HZ)
#define XSP_PENDING_MAX		1024

struct xsp_pending_entry {
	struct hlist_node	node;
	struct rcu_head		rcu;
	struct xsp_tuple	t;
	u32			cookie;
	unsigned long		expires;	/* jiffies */
};

static u32 xsp_pending_hash(const struct xsp_pending *pt,
			    const struct xsp_tuple *t)
{
	/* Tuples come from parse(), zeroed first: padding included. */
	return jhash(t, sizeof(*t), pt->seed) & (XSP_PENDING_BUCKETS - 1);
}

/* Under pt->lock: forget the bucket's expired entries. */
static void xsp_pending_expire(struct xsp_pending *pt, struct hlist_head *head)
{
	struct xsp_pending_entry *e;
	struct hlist_node *tmp;

	hlist_for_each_entry_safe(e, tmp, head, node) {
		if (time_before(jiffies, e->expires))
			continue;
		hlist_del_rcu(&e->node);
		pt->count--;
		kfree_rcu(e, rcu);
	}
}

/* Softirq: remember that @t's replay of @cookie is on its way. */
void xsp_pending_add(struct xsp_pending *pt, const struct xsp_tuple *t,
		     u32 cookie)
{
	struct hlist_head *head = &pt->head[xsp_pending_hash(pt, t)];
	struct xsp_pending_entry *e;

	spin_lock(&pt->lock);
	xsp_pending_expire(pt, head);
	hlist_for_each_entry(e, head, node) {
		if (!memcmp(&e->t, t, sizeof(*t))) {
			e->cookie = cookie;
			e->expires = jiffies + XSP_PENDING_TTL;
			goto out;
		}
	}
	if (pt->count >= XSP_PENDING_MAX)
		goto out;	/* its segments are judged as any */
	e = kmalloc(sizeof(*e), GFP_ATOMIC);
	if (!e)
		goto out;
	e->t = *t;
	e->cookie = cookie;
	e->expires = jiffies + XSP_PENDING_TTL;
	hlist_add_head_rcu(&e->node, head);
	pt->count++;
out:
	spin_unlock(&pt->lock);
}

/* Under rcu_read_lock(): is @t's replay of @cookie on its way? */
bool xsp_pending_find(struct xsp_pending *pt, const struct xsp_tuple *t,
		      u32 cookie)
{
	struct hlist_head *head = &pt->head[xsp_pending_hash(pt, t)];
	struct xsp_pending_entry *e;

	hlist_for_each_entry_rcu(e, head, node)
		if (e->cookie == cookie && !memcmp(&e->t, t, sizeof(*t)))
			return time_before(jiffies, READ_ONCE(e->expires));
	return false;
}

void xsp_pending_init(struct xsp_pending *pt)
{
	unsigned int i;

	spin_lock_init(&pt->lock);
	get_random_bytes(&pt->seed, sizeof(pt->seed));
	for (i = 0; i < XSP_PENDING_BUCKETS; i++)
		INIT_HLIST_HEAD(&pt->head[i]);
}

/* The namespace is going: its hooks are gone, nobody reads the table. */
void xsp_pending_destroy(struct xsp_pending *pt)
{
	struct xsp_pending_entry *e;
	struct hlist_node *tmp;
	unsigned int i;

	for (i = 0; i < XSP_PENDING_BUCKETS; i++) {
		hlist_for_each_entry_safe(e, tmp, &pt->head[i], node) {
			hlist_del(&e->node);
			kfree(e);
		}
	}
	pt->count = 0;
}
