// SPDX-License-Identifier: GPL-2.0
/*
 * IPv6 front end of the packet walk: parsing (extension headers included),
 * routes, socket lookups and headers, each as tcp_v6_rcv(),
 * tcp_v6_conn_request() and tcp_v6_send_synack() do them.
 */
#include <linux/ipv6.h>
#include <linux/netfilter_ipv6.h>
#include <net/addrconf.h>
#include <net/inet6_hashtables.h>
#include <net/inet_ecn.h>
#include <net/ip6_checksum.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/tcp.h>
#include <net/xfrm.h>

#include "xsp_dp.h"

/* Listener socket options that became flags after 6.1. */
#ifdef inet6_test_bit
#define XSP6_REPFLOW(sk)	inet6_test_bit(REPFLOW, sk)
#define XSP6_AUTOLABEL_SET(sk)	inet6_test_bit(AUTOFLOWLABEL_SET, sk)
#define XSP6_AUTOLABEL(sk)	inet6_test_bit(AUTOFLOWLABEL, sk)
#define XSP6_HOPLIMIT(sk)	READ_ONCE(inet6_sk(sk)->hop_limit)
#else
#define XSP6_REPFLOW(sk)	inet6_sk(sk)->repflow
#define XSP6_AUTOLABEL_SET(sk)	inet6_sk(sk)->autoflowlabel_set
#define XSP6_AUTOLABEL(sk)	inet6_sk(sk)->autoflowlabel
#define XSP6_HOPLIMIT(sk)	inet6_sk(sk)->hop_limit
#endif

/*
 * A destination options header as ip6_parse_tlv() takes it: padding of at
 * most 7 bytes of zeroes in a row, at most max_dst_opts_cnt other options
 * (a negative count: no unknown one at all), each of them unknown to the
 * stack with the "skip" action. Anything else it drops, often with a
 * parameter problem; the home address option it processes (MIPv6).
 */
static bool xsp6_destopts_ok(const struct sk_buff *skb, unsigned int off,
			     unsigned int len, const struct net *net)
{
	int max = READ_ONCE(net->ipv6.sysctl.max_dst_opts_cnt);
	unsigned int padlen = 0, count = 0, end = off + len;
	bool unknown_ok = max >= 0;
	u8 buf[2];

	if (len > READ_ONCE(net->ipv6.sysctl.max_dst_opts_len))
		return false;
	max = abs(max);
	for (off += 2; off < end; ) {
		const u8 *o = skb_header_pointer(skb, off, min(2U, end - off), buf);
		unsigned int optlen, i;
		u8 c;

		if (!o)
			return false;
		if (o[0] == IPV6_TLV_PAD1) {
			if (++padlen > 7)
				return false;
			off++;
			continue;
		}
		if (end - off < 2)
			return false;
		optlen = o[1] + 2;
		if (optlen > end - off)
			return false;
		if (o[0] == IPV6_TLV_PADN) {
			padlen += optlen;
			if (padlen > 7)
				return false;
			for (i = 2; i < optlen; i++)
				if (skb_copy_bits(skb, off + i, &c, 1) || c)
					return false;
		} else {
			if (++count > max || !unknown_ok || (o[0] & 0xc0) ||
			    o[0] == IPV6_TLV_HAO)
				return false;
			padlen = 0;
		}
		off += optlen;
	}
	return true;
}

/*
 * Whether ip6_input would hand the segment behind this header chain to TCP
 * as it is: hop-by-hop first only (ip6_rcv_core() checked its options),
 * destination options it accepts, routing headers with no segment left
 * that it does not process (types 2, 3 and 4 it does). Anything else
 * (AH, a fragment header, a refused chain) is the stack's to judge.
 */
static bool xsp6_chain_ok(const struct sk_buff *skb, const struct net *net)
{
	unsigned int off = skb_network_offset(skb) + sizeof(struct ipv6hdr);
	u8 nexthdr = ipv6_hdr(skb)->nexthdr;
	bool first = true;

	while (nexthdr != IPPROTO_TCP) {
		struct ipv6_rt_hdr _h;
		const struct ipv6_rt_hdr *h;

		h = skb_header_pointer(skb, off, sizeof(_h), &_h);
		if (!h)
			return false;
		switch (nexthdr) {
		case NEXTHDR_HOP:
			if (!first)
				return false;
			break;
		case NEXTHDR_DEST:
			if (!xsp6_destopts_ok(skb, off, ipv6_optlen(h), net))
				return false;
			break;
		case NEXTHDR_ROUTING:
			if (h->segments_left || h->type == IPV6_SRCRT_TYPE_2 ||
			    h->type == IPV6_SRCRT_TYPE_3 ||
			    h->type == IPV6_SRCRT_TYPE_4)
				return false;
			break;
		default:
			return false;
		}
		nexthdr = h->nexthdr;
		off += ipv6_optlen(h);
		first = false;
	}
	return true;
}

/*
 * Find the TCP header behind any extension headers, as the stack does; a
 * truncated or looping chain is not ours (the stack drops it). Nor is a
 * segment behind AH on this pass: like an IPv4 one, it comes through the
 * hooks again once xfrm6 has checked and stripped AH, and is judged then
 * (counted once). A fragment header, or a reassembled packet, marks
 * @p->frag: a SYN that came that way is never answered.
 */
INDIRECT_CALLABLE_SCOPE bool xsp6_parse(struct sk_buff *skb,
					const struct nf_hook_state *state,
					struct xsp_pkt *p)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	const struct tcphdr *th;
	u8 nexthdr = ip6h->nexthdr;
	unsigned int off = 0;
	__be16 frag_off;
	int thoff;

	thoff = ipv6_skip_exthdr(skb, skb_network_offset(skb) + sizeof(*ip6h),
				 &nexthdr, &frag_off);
	if (thoff < 0 || nexthdr != IPPROTO_TCP || frag_off & htons(~0x7))
		return false;
	if (ip6h->nexthdr != IPPROTO_TCP &&
	    ipv6_find_hdr(skb, &off, NEXTHDR_AUTH, NULL, NULL) >= 0)
		return false;
	p->thoff = thoff;
	off = 0;
	p->frag = IP6CB(skb)->flags & IP6SKB_FRAGMENTED ||
		  (ip6h->nexthdr != IPPROTO_TCP &&
		   ipv6_find_hdr(skb, &off, NEXTHDR_FRAGMENT, NULL, NULL) >= 0);
	if (!pskb_may_pull(skb, p->thoff + sizeof(*th)))
		return false;
	ip6h = ipv6_hdr(skb);
	th = (const void *)(skb->data + p->thoff);
	memset(&p->t, 0, sizeof(p->t));
	p->t.family = AF_INET6;
	p->t.saddr.v6 = ip6h->saddr;
	p->t.daddr.v6 = ip6h->daddr;
	p->t.sport = th->source;
	p->t.dport = th->dest;
	p->nhlen = thoff - skb_network_offset(skb);
	p->flowlabel = ip6_flowlabel(ip6h);
	p->dsfield = ipv6_get_dsfield(ip6h);
	p->l3opts = ip6h->nexthdr != IPPROTO_TCP;
	p->srcroute = false;
	p->l3_refused = p->l3opts && !p->frag &&
			!xsp6_chain_ok(skb, state->net);
	if (state->hook == NF_INET_LOCAL_IN) {
		p->dif = inet6_iif(skb);
		p->sdif = inet6_sdif(skb);
	} else {
		xsp_ifindices(state->in, &p->dif, &p->sdif);
	}
	return true;
}

/*
 * The input route, as ip6_route_input() would find it: local addresses,
 * local (AnyIP) routes and the VRF's table count, multicast does not.
 */
static enum xsp_route xsp6_lookup_input(struct net *net, struct sk_buff *skb,
					const struct net_device *in)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	struct flowi6 fl6 = {
		.flowi6_iif	= in->ifindex,
		.daddr		= ip6h->daddr,
		.saddr		= ip6h->saddr,
		.flowlabel	= ip6_flowinfo(ip6h),
		.flowi6_mark	= skb->mark,
		.flowi6_proto	= IPPROTO_TCP,
	};
	struct dst_entry *dst;
	enum xsp_route ret;

	if (ipv6_addr_is_multicast(&ip6h->daddr))
		return XSP_ROUTE_OTHER;
	dst = ip6_route_input_lookup(net, (struct net_device *)in, &fl6, skb,
				     RT6_LOOKUP_F_HAS_SADDR);
	if (dst->error)
		ret = XSP_ROUTE_REJECT;
	else if (dst_rt6_info(dst)->rt6i_flags & RTF_LOCAL)
		ret = XSP_ROUTE_LOCAL;
	else
		ret = XSP_ROUTE_OTHER;
	dst_release(dst);
	return ret;
}

/* An address of this host in @in's l3 domain, or a local route. */
static bool xsp6_dst_local(struct net *net, struct sk_buff *skb,
			   const struct net_device *in, const struct xsp_pkt *p)
{
	if (ipv6_chk_addr_and_flags(net, &p->t.daddr.v6, in, true, 0,
				    IFA_F_TENTATIVE))
		return true;
	return xsp6_lookup_input(net, skb, in) == XSP_ROUTE_LOCAL;
}

/*
 * ip6_rcv_core() already dropped multicast and loopback sources, but not
 * v4-mapped ones, which tcp_v6_conn_request() refuses: no cookie is ever
 * minted for them, so neither a SYN nor an ACK from one is ours. Then
 * PRE_ROUTING: the route says local or not; LOCAL_IN: a unicast
 * destination, as tcp_v6_conn_request() wants.
 */
static enum xsp_route xsp6_route_input(struct sk_buff *skb,
				       const struct net_device *in,
				       const struct xsp_pkt *p)
{
	if (ipv6_addr_v4mapped(&p->t.saddr.v6))
		return XSP_ROUTE_OTHER;
	if (!skb_dst(skb))
		return xsp6_lookup_input(dev_net(in), skb, in);
	if (!ipv6_unicast_destination(skb))
		return XSP_ROUTE_OTHER;
	return XSP_ROUTE_LOCAL;
}

INDIRECT_CALLABLE_SCOPE
struct sock *xsp6_lookup_established(struct net *net, const struct xsp_pkt *p)
{
	return __inet6_lookup_established(net, net->ipv4.tcp_death_row.hashinfo,
					  &p->t.saddr.v6, p->t.sport,
					  &p->t.daddr.v6, ntohs(p->t.dport),
					  p->dif, p->sdif);
}

static struct sock *xsp6_lookup_listener(struct net *net, struct sk_buff *skb,
					 const struct xsp_pkt *p,
					 unsigned int doff)
{
	return inet6_lookup_listener(net, net->ipv4.tcp_death_row.hashinfo,
				     skb, doff, &p->t.saddr.v6, p->t.sport,
				     &p->t.daddr.v6, ntohs(p->t.dport),
				     p->dif, p->sdif);
}

static bool xsp6_policy_ok(struct sock *sk, struct sk_buff *skb)
{
	return xfrm6_policy_check(sk, XFRM_POLICY_IN, skb);
}

/* Extension headers set on the listener go on its SYN-ACKs: not on ours. */
static bool xsp6_listener_unsupported(const struct sock *sk)
{
	return sk->sk_family == AF_INET6 && rcu_access_pointer(inet6_sk(sk)->opt);
}

/*
 * inet6_csk_route_req() for a request socket that does not exist yet, with
 * the outgoing interface tcp_v6_init_req() gives link-local peers.
 */
static struct dst_entry *xsp6_route_reply(struct net *net,
					  const struct sock *sk,
					  struct sk_buff *syn,
					  const struct xsp_pkt *p)
{
	bool l3_slave = ipv6_l3mdev_skb(IP6CB(syn)->flags);
	struct flowi6 fl6 = {
		.flowi6_proto	= IPPROTO_TCP,
		.daddr		= p->t.saddr.v6,
		.saddr		= p->t.daddr.v6,
		.flowi6_oif	= inet_request_bound_dev_if(sk, syn),
		.flowi6_mark	= inet_request_mark(sk, syn),
		.fl6_dport	= p->t.sport,
		.fl6_sport	= p->t.dport,
		.flowi6_uid	= sk->sk_uid,
	};
	struct dst_entry *dst;

	if ((!sk->sk_bound_dev_if || l3_slave) &&
	    ipv6_addr_type(&fl6.daddr) & IPV6_ADDR_LINKLOCAL)
		fl6.flowi6_oif = p->dif;
	dst = ip6_dst_lookup_flow(net, sk, &fl6, NULL);
	if (IS_ERR(dst))
		return NULL;
	return dst;
}

/* ip6_autoflowlabel(), which the stack does not export. */
static bool xsp6_autoflowlabel(struct net *net, const struct sock *sk)
{
	if (sk->sk_family != AF_INET6 || !XSP6_AUTOLABEL_SET(sk))
		return ip6_default_np_autolabel(net);
	return XSP6_AUTOLABEL(sk);
}

/*
 * ip6_xmit() as tcp_v6_send_synack() calls it, but straight to
 * dst_output(), for the same reason as the IPv4 side: traffic class, hop
 * limit and flow label as the stack chooses them for that listener and
 * route (a reflected label with flowlabel_reflect, else the automatic one
 * from a random hash, as a new request socket's txhash would give).
 */
static int xsp6_xmit_synack(struct net *net, const struct sock *sk,
			    struct sk_buff *skb, const struct xsp_pkt *p)
{
	struct flowi6 fl6 = {
		.flowi6_proto	= IPPROTO_TCP,
		.daddr		= p->t.saddr.v6,
		.saddr		= p->t.daddr.v6,
		.fl6_dport	= p->t.sport,
		.fl6_sport	= p->t.dport,
	};
	struct dst_entry *dst = skb_dst(skb);
	struct tcphdr *th = tcp_hdr(skb);
	struct ipv6hdr *hdr;
	int hlimit = -1;
	u8 tclass = 0;

	if (sk->sk_family == AF_INET6) {
		tclass = READ_ONCE(inet6_sk(sk)->tclass);
		hlimit = XSP6_HOPLIMIT(sk);
		if (XSP6_REPFLOW(sk))
			fl6.flowlabel = p->flowlabel;
	}
	if (READ_ONCE(net->ipv4.sysctl_tcp_reflect_tos))
		tclass = (p->dsfield & ~INET_ECN_MASK) | (tclass & INET_ECN_MASK);
	if (hlimit < 0)
		hlimit = ip6_dst_hoplimit(dst);

	/* As __tcp_v6_send_check(): the device, or the stack, finishes it. */
	th->check = ~tcp_v6_check(skb->len, &fl6.saddr, &fl6.daddr, 0);
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb_transport_header(skb) - skb->head;
	skb->csum_offset = offsetof(struct tcphdr, check);
	skb_set_hash(skb, net_tx_rndhash(), PKT_HASH_TYPE_L4);

	hdr = skb_push(skb, sizeof(*hdr));
	skb_reset_network_header(skb);
	ip6_flow_hdr(hdr, tclass,
		     ip6_make_flowlabel(net, skb, fl6.flowlabel,
					xsp6_autoflowlabel(net, sk), &fl6));
	hdr->payload_len = htons(skb->len - sizeof(*hdr));
	hdr->nexthdr = IPPROTO_TCP;
	hdr->hop_limit = hlimit;
	hdr->saddr = fl6.saddr;
	hdr->daddr = fl6.daddr;
	skb->protocol = htons(ETH_P_IPV6);
	return dst_output(net, NULL, skb);
}

static void xsp6_finish_syn(struct sk_buff *skb, unsigned int thoff)
{
	struct tcphdr *th = (struct tcphdr *)(skb->data + thoff);
	unsigned int tcplen = skb->len - thoff;
	struct ipv6hdr *ip6h = ipv6_hdr(skb);
	unsigned int off = 0;

	ip6h->payload_len = htons(skb->len - skb_network_offset(skb) -
				  sizeof(*ip6h));
	/*
	 * The transport header where ip6_rcv_core() leaves it, past a
	 * hop-by-hop header only: the stack walks the other extension
	 * headers from there (ip6_protocol_deliver_rcu()); pointing it at
	 * TCP made it parse TCP as one and drop the SYN.
	 */
	if (ip6h->nexthdr == NEXTHDR_HOP)
		skb_set_transport_header(skb, skb_network_offset(skb) +
					 sizeof(*ip6h) +
					 ipv6_optlen((struct ipv6_opt_hdr *)(ip6h + 1)));
	else if (ip6h->nexthdr != IPPROTO_TCP)
		skb_set_transport_header(skb, skb_network_offset(skb) +
					 sizeof(*ip6h));
	/*
	 * Rebuilt from a first fragment (offset 0, parse() saw to it): the
	 * SYN is whole, an atomic fragment (RFC 6946), which ipv6_frag_rcv()
	 * passes at once instead of waiting for the ACK's other fragments.
	 */
	if (ip6h->nexthdr != IPPROTO_TCP &&
	    ipv6_find_hdr(skb, &off, NEXTHDR_FRAGMENT, NULL, NULL) >= 0) {
		struct frag_hdr *fh = (struct frag_hdr *)(skb->data + off);

		fh->frag_off &= ~htons(IP6_MF);
	}
	/* A SYN asking for ECN is not ECN-capable itself (RFC 3168 6.1.1). */
	ipv6_change_dsfield(ip6h, (u8)~INET_ECN_MASK, 0);
	th->check = 0;
	th->check = tcp_v6_check(tcplen, &ip6h->saddr, &ip6h->daddr,
				 csum_partial(th, tcplen, 0));
}

static bool xsp6_parse_out(struct sk_buff *skb, struct xsp_tuple *t,
			   unsigned int *thoff)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	u8 nexthdr = ip6h->nexthdr;
	__be16 frag_off;
	int off;

	off = ipv6_skip_exthdr(skb, skb_network_offset(skb) + sizeof(*ip6h),
			       &nexthdr, &frag_off);
	if (off < 0 || nexthdr != IPPROTO_TCP || frag_off)
		return false;
	memset(t, 0, sizeof(*t));
	t->family = AF_INET6;
	t->saddr.v6 = ip6h->daddr;
	t->daddr.v6 = ip6h->saddr;
	*thoff = off;
	return true;
}

INDIRECT_CALLABLE_SCOPE
struct nf_hook_entries __rcu **xsp6_hooks(struct net *net, unsigned int hooknum)
{
	return &net->nf.hooks_ipv6[hooknum];
}

/*
 * The same places in the IPv6 hooks as in the IPv4 ones (xsp_ipv4.c), but
 * for LOCAL_IN: IPv6 conntrack confirms there at NF_IP6_PRI_LAST - 1, not
 * at the very last priority as IPv4 does (NF_IP_PRI_CONNTRACK_CONFIRM).
 * Hooks of one priority run in reverse order of registration, so at that
 * same priority conntrack started in the namespace after the module (any
 * ct rule loaded later) confirmed every SYN before we answered it: each
 * flood SYN left an entry in the table for the SYN_SENT timeout. One
 * before it, always.
 */
static const struct nf_hook_ops xsp6_ops[] = {
	{
		.hook		= xsp_pre_routing,
		.priv		= (void *)&xsp_af_inet6,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_PRE_ROUTING,
		.priority	= NF_IP6_PRI_CONNTRACK - 1,
	},
	{
		.hook		= xsp_local_in,
		.priv		= (void *)&xsp_af_inet6,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_LOCAL_IN,
		.priority	= NF_IP6_PRI_LAST - 2,
	},
	{
		.hook		= xsp_local_out,
		.priv		= (void *)&xsp_af_inet6,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_LOCAL_OUT,
		.priority	= NF_IP6_PRI_CONNTRACK_DEFRAG - 10,
	},
	{
		.hook		= xsp_local_out_end,
		.priv		= (void *)&xsp_af_inet6,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_LOCAL_OUT,
		.priority	= NF_IP6_PRI_CONNTRACK + 1,
	},
};

const struct xsp_af xsp_af_inet6 = {
	.fam			= XSP_FAM_V6,
	.family			= AF_INET6,
	.nfproto		= NFPROTO_IPV6,
	.ct_priority		= NF_IP6_PRI_CONNTRACK,
	.nat_priority		= NF_IP6_PRI_NAT_DST,
	.ipvs_priority		= NF_IP6_PRI_NAT_SRC - 1,
	.nhlen			= sizeof(struct ipv6hdr),
	.parse			= xsp6_parse,
	.dst_local		= xsp6_dst_local,
	.route_input		= xsp6_route_input,
	.lookup_established	= xsp6_lookup_established,
	.lookup_listener	= xsp6_lookup_listener,
	.policy_ok		= xsp6_policy_ok,
	.listener_unsupported	= xsp6_listener_unsupported,
	.route_reply		= xsp6_route_reply,
	.xmit_synack		= xsp6_xmit_synack,
	.finish_syn		= xsp6_finish_syn,
	.parse_out		= xsp6_parse_out,
	.hooks			= xsp6_hooks,
	.pre_routing_ops	= &xsp6_ops[0],
	.local_in_ops		= &xsp6_ops[1],
};

int xsp_ipv6_register(struct net *net)
{
	return nf_register_net_hooks(net, xsp6_ops, ARRAY_SIZE(xsp6_ops));
}

void xsp_ipv6_unregister(struct net *net)
{
	nf_unregister_net_hooks(net, xsp6_ops, ARRAY_SIZE(xsp6_ops));
}
