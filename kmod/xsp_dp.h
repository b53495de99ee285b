/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xsynproxy datapath: the family-independent packet walk (xsp_hooks.c) and
 * the per-family front ends it calls through struct xsp_af (xsp_ipv4.c,
 * xsp_ipv6.c), in the manner of the stack's tcp_request_sock_ops.
 */
#ifndef _XSP_DP_H
#define _XSP_DP_H

#include <linux/indirect_call_wrapper.h>
#include <linux/netfilter.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <net/flow.h>
#include <net/sock.h>

#include "xsp.h"

/* A TCP segment at one of our hooks, as the packet walk needs it. */
struct xsp_pkt {
	struct xsp_tuple	t;	/* as received: the client is the source */
	unsigned int		thoff;	/* TCP header, from skb->data (L3) */
	unsigned int		nhlen;	/* network header, options included */
	__be32			flowlabel; /* IPv6 flow label */
	u8			dsfield; /* IPv4 TOS, IPv6 traffic class */
	bool			frag;	/* an IP fragment, or IPv6 fragment header */
	bool			srcroute; /* IPv4 source route option */
	bool			l3_refused; /* IPv6 headers ip6_input refuses */
	bool			l3opts;	/* IPv4 options, IPv6 extension headers */
	int			dif;	/* interface as TCP will see it */
	int			sdif;	/* enslaved interface under an l3mdev */
};

/* Verdicts of a family's input route check. */
enum xsp_route {
	XSP_ROUTE_LOCAL,	/* delivered locally, unicast */
	XSP_ROUTE_OTHER,	/* forwarded, broadcast or multicast */
	XSP_ROUTE_REJECT,	/* dropped before TCP (martian, rp_filter) */
	XSP_ROUTE_BY_MARK,	/* dropped by a reverse-path check that takes
				 * the mark, which PRE_ROUTING may still set
				 */
};

struct xsp_af {
	enum xsp_fam	fam;
	u8		family;		/* AF_INET, AF_INET6 */
	u8		nfproto;
	int		ct_priority;	/* conntrack's PRE_ROUTING hook */
	int		nat_priority;	/* NAT's, in PRE_ROUTING */
	int		ipvs_priority;	/* IPVS's, in LOCAL_IN */

	/*
	 * Network header at skb->data, at PRE_ROUTING or LOCAL_IN: fills @p
	 * and pulls the TCP header's first 20 bytes into the linear area.
	 * False when the packet is not TCP or has no TCP header here (a
	 * later fragment, truncated).
	 */
	bool (*parse)(struct sk_buff *skb, const struct nf_hook_state *state,
		      struct xsp_pkt *p);
	/* PRE_ROUTING: the destination is an address of this host. */
	bool (*dst_local)(struct net *net, struct sk_buff *skb,
			  const struct net_device *in, const struct xsp_pkt *p);
	/*
	 * PRE_ROUTING: what the stack's input route will say of @skb; leaves
	 * no dst behind. LOCAL_IN: what it said.
	 */
	enum xsp_route (*route_input)(struct sk_buff *skb,
				      const struct net_device *in,
				      const struct xsp_pkt *p);
	/* Sockets as tcp_v[46]_rcv() finds them; a reference to drop. */
	struct sock *(*lookup_established)(struct net *net,
					   const struct xsp_pkt *p);
	/* Listener, no reference. skb->data must be the TCP header. */
	struct sock *(*lookup_listener)(struct net *net, struct sk_buff *skb,
					const struct xsp_pkt *p,
					unsigned int doff);
	/* The inbound IPsec policy check tcp_v[46]_rcv() applies. */
	bool (*policy_ok)(struct sock *sk, struct sk_buff *skb);
	/* Listener options our SYN-ACK cannot reproduce (IPv6 tx options). */
	bool (*listener_unsupported)(const struct sock *sk);
	/*
	 * Route a SYN-ACK to the SYN's source as the stack would for
	 * listener @sk. NULL: no unicast route.
	 */
	struct dst_entry *(*route_reply)(struct net *net, const struct sock *sk,
					 struct sk_buff *syn,
					 const struct xsp_pkt *p);
	/*
	 * Put the network header in front of the TCP header at skb->data
	 * (the room is there), set up the checksum and send it to
	 * dst_output(). Uses nothing of the SYN but @p: @skb may be the SYN.
	 */
	int (*xmit_synack)(struct net *net, const struct sock *sk,
			   struct sk_buff *skb, const struct xsp_pkt *p);
	unsigned int	nhlen;		/* of our SYN-ACKs: no options */
	/*
	 * The TCP header at @thoff of a rebuilt SYN changed: fix the network
	 * header (length, ECN bits, fragment bits) and both checksums.
	 */
	void (*finish_syn)(struct sk_buff *skb, unsigned int thoff);
	/* Addresses of a SYN-ACK at LOCAL_OUT, client = destination. */
	bool (*parse_out)(struct sk_buff *skb, struct xsp_tuple *t,
			  unsigned int *thoff);
	/* The hooks of @net for this family at @hooknum. */
	struct nf_hook_entries __rcu **(*hooks)(struct net *net,
						unsigned int hooknum);
	/* Our hooks, to find where they stand among the others. */
	const struct nf_hook_ops *pre_routing_ops;
	const struct nf_hook_ops *local_in_ops;
};

extern const struct xsp_af xsp_af_inet;
#if IS_ENABLED(CONFIG_IPV6)
extern const struct xsp_af xsp_af_inet6;
#endif

/*
 * The ops that every segment a hook looks at goes through (parse,
 * lookup_established, hooks) are called directly where the kernel has
 * retpolines, as the stack's INDIRECT_CALL_INET() does: an indirect call
 * per op and segment costs an established connection's segments more than
 * the op itself.
 */
INDIRECT_CALLABLE_DECLARE(bool xsp4_parse(struct sk_buff *skb,
					  const struct nf_hook_state *state,
					  struct xsp_pkt *p));
INDIRECT_CALLABLE_DECLARE(struct sock *xsp4_lookup_established(struct net *,
							       const struct xsp_pkt *));
INDIRECT_CALLABLE_DECLARE(struct nf_hook_entries __rcu **xsp4_hooks(struct net *,
								    unsigned int));
#if IS_ENABLED(CONFIG_IPV6)
INDIRECT_CALLABLE_DECLARE(bool xsp6_parse(struct sk_buff *skb,
					  const struct nf_hook_state *state,
					  struct xsp_pkt *p));
INDIRECT_CALLABLE_DECLARE(struct sock *xsp6_lookup_established(struct net *,
							       const struct xsp_pkt *));
INDIRECT_CALLABLE_DECLARE(struct nf_hook_entries __rcu **xsp6_hooks(struct net *,
								    unsigned int));
#define XSP_AF_CALL(af, op, ...)					\
	INDIRECT_CALL_2((af)->op, xsp6_##op, xsp4_##op, __VA_ARGS__)
#else
#define XSP_AF_CALL(af, op, ...)					\
	INDIRECT_CALL_1((af)->op, xsp4_##op, __VA_ARGS__)
#endif

/* Hook functions; each family registers them with .priv = its xsp_af. */
unsigned int xsp_pre_routing(void *priv, struct sk_buff *skb,
			     const struct nf_hook_state *state);
unsigned int xsp_local_in(void *priv, struct sk_buff *skb,
			  const struct nf_hook_state *state);
unsigned int xsp_local_out(void *priv, struct sk_buff *skb,
			   const struct nf_hook_state *state);
unsigned int xsp_local_out_end(void *priv, struct sk_buff *skb,
			       const struct nf_hook_state *state);

/* Interfaces as tcp_v[46]_rcv() passes them to socket lookups. */
static inline void xsp_ifindices(const struct net_device *in, int *dif,
				 int *sdif)
{
	*dif = in->ifindex;
	*sdif = 0;
#ifdef CONFIG_NET_L3_MASTER_DEV
	if (netif_is_l3_slave(in)) {
		*sdif = in->ifindex;
		*dif = l3mdev_master_ifindex_rcu(in);
	}
#endif
}

/* Route lookup TOS and scope of a socket: RT_CONN_FLAGS() left after 6.1. */
#ifdef RT_CONN_FLAGS
#define XSP_RT_TOS(sk)		RT_CONN_FLAGS(sk)
#define XSP_RT_SCOPE(sk)	RT_SCOPE_UNIVERSE
#else
#define XSP_RT_TOS(sk)		ip_sock_rt_tos(sk)
#define XSP_RT_SCOPE(sk)	ip_sock_rt_scope(sk)
#endif

int xsp_ipv4_register(struct net *net);
void xsp_ipv4_unregister(struct net *net);
#if IS_ENABLED(CONFIG_IPV6)
int xsp_ipv6_register(struct net *net);
void xsp_ipv6_unregister(struct net *net);
#endif

#endif /* _XSP_DP_H */
