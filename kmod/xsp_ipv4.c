// SPDX-License-Identifier: GPL-2.0
/*
 * IPv4 front end of the packet walk: parsing, routes, socket lookups and
 * headers, each as tcp_v4_rcv(), tcp_v4_conn_request() and
 * tcp_v4_send_synack() do them, so that what we answer or leave alone is
 * what the stack itself would.
 */
#include <linux/inetdevice.h>
#include <linux/ip.h>
#include <linux/netfilter_ipv4.h>
#include <net/inet_ecn.h>
#include <net/inet_hashtables.h>
#include <net/ip.h>
#include <net/route.h>
#include <net/tcp.h>
#include <net/xfrm.h>

#include "xsp_dp.h"

/* An LSRR or SSRR option: the stack would answer along the reversed route. */
static bool xsp4_has_srcroute(const struct iphdr *iph)
{
	const u8 *opt = (const u8 *)(iph + 1);
	int len = iph->ihl * 4 - sizeof(*iph);
	int i = 0;

	while (i < len) {
		if (opt[i] == IPOPT_END)
			break;
		if (opt[i] == IPOPT_NOOP) {
			i++;
			continue;
		}
		if (opt[i] == IPOPT_LSRR || opt[i] == IPOPT_SSRR)
			return true;
		if (i + 1 >= len || opt[i + 1] < 2)
			break;
		i += opt[i + 1];
	}
	return false;
}

/* ip_rcv_core() has validated the header; skb->data is at it. */
INDIRECT_CALLABLE_SCOPE bool xsp4_parse(struct sk_buff *skb,
					const struct nf_hook_state *state,
					struct xsp_pkt *p)
{
	const struct iphdr *iph = ip_hdr(skb);
	const struct tcphdr *th;

	if (iph->protocol != IPPROTO_TCP || iph->frag_off & htons(IP_OFFSET))
		return false;
	p->thoff = skb_network_offset(skb) + ip_hdrlen(skb);
	if (!pskb_may_pull(skb, p->thoff + sizeof(*th)))
		return false;
	iph = ip_hdr(skb);
	th = (const void *)(skb->data + p->thoff);
	memset(&p->t, 0, sizeof(p->t));
	p->t.family = AF_INET;
	p->t.saddr.v4 = iph->saddr;
	p->t.daddr.v4 = iph->daddr;
	p->t.sport = th->source;
	p->t.dport = th->dest;
	p->nhlen = ip_hdrlen(skb);
	p->flowlabel = 0;
	p->dsfield = iph->tos;
	p->l3opts = iph->ihl > 5;
	p->srcroute = p->l3opts && xsp4_has_srcroute(iph);
	p->l3_refused = false;
	if (state->hook == NF_INET_LOCAL_IN) {
		/* Reassembled by now: ip_defrag() left its mark. */
		p->frag = IPCB(skb)->frag_max_size;
		p->dif = inet_iif(skb);
		p->sdif = inet_sdif(skb);
	} else {
		p->frag = ip_is_fragment(iph);
		xsp_ifindices(state->in, &p->dif, &p->sdif);
	}
	return true;
}

/*
 * An address of this host: the local table of @in's l3 domain, so local
 * routes (AnyIP) count and a VRF's addresses only count in that VRF.
 */
static bool xsp4_dst_local(struct net *net, struct sk_buff *skb,
			   const struct net_device *in, const struct xsp_pkt *p)
{
	return inet_addr_type_dev_table(net, in, p->t.daddr.v4) == RTN_LOCAL;
}

/*
 * An input route refused with @err. With src_valid_mark, the reverse-path
 * check routes the source back by the mark, and multi-homed hosts set in
 * mangle PREROUTING the mark their fwmark rules route back by: a
 * reverse-path verdict given before that is not the stack's.
 */
static enum xsp_route xsp4_route_refused(const struct net_device *in, int err)
{
	struct in_device *in_dev = __in_dev_get_rcu(in);

	if (err == -EXDEV && in_dev && IN_DEV_SRC_VMARK(in_dev))
		return XSP_ROUTE_BY_MARK;
	return XSP_ROUTE_REJECT;
}

/*
 * The stack's own input route decision, with its martian, reverse-path,
 * broadcast and policy-routing rules; tcp_v4_conn_request() then refuses
 * SYNs to broadcast and multicast destinations. In PRE_ROUTING the dst is
 * dropped again: hooks after us may still change what the stack routes by.
 */
static enum xsp_route xsp4_route_input(struct sk_buff *skb,
				       const struct net_device *in,
				       const struct xsp_pkt *p)
{
	const struct iphdr *iph = ip_hdr(skb);
	bool lookup = !skb_dst(skb);
	enum xsp_route ret;
	struct rtable *rt;
	int err;

	if (lookup) {
		err = ip_route_input_noref(skb, iph->daddr, iph->saddr,
					   iph->tos, (struct net_device *)in);
		if (err)
			return xsp4_route_refused(in, err);
	}
	rt = skb_rtable(skb);
	if (rt->rt_type == RTN_LOCAL &&
	    !(rt->rt_flags & (RTCF_BROADCAST | RTCF_MULTICAST)))
		ret = XSP_ROUTE_LOCAL;
	else
		ret = XSP_ROUTE_OTHER;
	if (lookup)
		skb_dst_drop(skb);
	return ret;
}

INDIRECT_CALLABLE_SCOPE
struct sock *xsp4_lookup_established(struct net *net, const struct xsp_pkt *p)
{
	return __inet_lookup_established(net, net->ipv4.tcp_death_row.hashinfo,
					 p->t.saddr.v4, p->t.sport,
					 p->t.daddr.v4, ntohs(p->t.dport),
					 p->dif, p->sdif);
}

static struct sock *xsp4_lookup_listener(struct net *net, struct sk_buff *skb,
					 const struct xsp_pkt *p,
					 unsigned int doff)
{
	return __inet_lookup_listener(net, net->ipv4.tcp_death_row.hashinfo,
				      skb, doff, p->t.saddr.v4, p->t.sport,
				      p->t.daddr.v4, ntohs(p->t.dport),
				      p->dif, p->sdif);
}

static bool xsp4_policy_ok(struct sock *sk, struct sk_buff *skb)
{
	return xfrm4_policy_check(sk, XFRM_POLICY_IN, skb);
}

/* A listener's IP options are not sent on SYN-ACKs: nothing to refuse. */
static bool xsp4_listener_unsupported(const struct sock *sk)
{
	return false;
}

/* inet_csk_route_req() for a request socket that does not exist yet. */
static struct dst_entry *xsp4_route_reply(struct net *net,
					  const struct sock *sk,
					  struct sk_buff *syn,
					  const struct xsp_pkt *p)
{
	struct flowi4 fl4;
	struct rtable *rt;

	flowi4_init_output(&fl4, inet_request_bound_dev_if(sk, syn),
			   inet_request_mark(sk, syn), XSP_RT_TOS(sk),
			   XSP_RT_SCOPE(sk), IPPROTO_TCP,
			   inet_sk_flowi_flags(sk), p->t.saddr.v4,
			   p->t.daddr.v4, p->t.sport, p->t.dport, sk->sk_uid);
	rt = ip_route_output_flow(net, &fl4, sk);
	if (IS_ERR(rt))
		return NULL;
	/* Never a broadcast or multicast SYN-ACK: a reflection to many. */
	if (rt->rt_type != RTN_UNICAST && rt->rt_type != RTN_LOCAL) {
		ip_rt_put(rt);
		return NULL;
	}
	return &rt->dst;
}

/*
 * ip_build_and_send_pkt() as tcp_v4_send_synack() calls it, but straight to
 * dst_output(): we answer in PRE_ROUTING, before the filter table has seen
 * the SYN, so the reply skips OUTPUT too; POST_ROUTING, tc and nft egress
 * and the route (policy routing, VRF, IPsec) still apply.
 */
static int xsp4_xmit_synack(struct net *net, const struct sock *sk,
			    struct sk_buff *skb, const struct xsp_pkt *p)
{
	struct dst_entry *dst = skb_dst(skb);
	struct tcphdr *th = tcp_hdr(skb);
	int ttl = READ_ONCE(inet_sk(sk)->uc_ttl);
	u8 tos = READ_ONCE(inet_sk(sk)->tos);
	struct iphdr *iph;

	if (READ_ONCE(net->ipv4.sysctl_tcp_reflect_tos))
		tos = (p->dsfield & ~INET_ECN_MASK) | (tos & INET_ECN_MASK);
	/* As __tcp_v4_send_check(): the device, or the stack, finishes it. */
	th->check = ~tcp_v4_check(skb->len, p->t.daddr.v4, p->t.saddr.v4, 0);
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb_transport_header(skb) - skb->head;
	skb->csum_offset = offsetof(struct tcphdr, check);

	iph = skb_push(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	iph->version = 4;
	iph->ihl = sizeof(*iph) / 4;
	iph->tos = tos;
	iph->tot_len = htons(skb->len);
	/* Small packets: DF and no IP ID, as the stack's SYN-ACKs. */
	iph->id = 0;
	iph->frag_off = htons(IP_DF);
	iph->ttl = ttl < 0 ? ip4_dst_hoplimit(dst) : ttl;
	iph->protocol = IPPROTO_TCP;
	iph->saddr = p->t.daddr.v4;
	iph->daddr = p->t.saddr.v4;
	ip_send_check(iph);
	skb->protocol = htons(ETH_P_IP);
	return dst_output(net, NULL, skb);
}

static void xsp4_finish_syn(struct sk_buff *skb, unsigned int thoff)
{
	struct tcphdr *th = (struct tcphdr *)(skb->data + thoff);
	unsigned int tcplen = skb->len - thoff;
	struct iphdr *iph = ip_hdr(skb);

	iph->tot_len = htons(skb->len - skb_network_offset(skb));
	/* A SYN asking for ECN is not ECN-capable itself (RFC 3168 6.1.1). */
	iph->tos &= ~INET_ECN_MASK;
	iph->frag_off &= htons(IP_DF);
	ip_send_check(iph);
	th->check = 0;
	th->check = tcp_v4_check(tcplen, iph->saddr, iph->daddr,
				 csum_partial(th, tcplen, 0));
}

static bool xsp4_parse_out(struct sk_buff *skb, struct xsp_tuple *t,
			   unsigned int *thoff)
{
	const struct iphdr *iph = ip_hdr(skb);

	if (iph->protocol != IPPROTO_TCP || ip_is_fragment(iph))
		return false;
	memset(t, 0, sizeof(*t));
	t->family = AF_INET;
	t->saddr.v4 = iph->daddr;
	t->daddr.v4 = iph->saddr;
	*thoff = skb_network_offset(skb) + ip_hdrlen(skb);
	return true;
}

INDIRECT_CALLABLE_SCOPE
struct nf_hook_entries __rcu **xsp4_hooks(struct net *net, unsigned int hooknum)
{
	return &net->nf.hooks_ipv4[hooknum];
}

/*
 * PRE_ROUTING right before conntrack, for ACKs: a replayed SYN then
 * reaches conntrack, and every rule after it, before the ACK does, and
 * meets every hook the client's SYN met. LOCAL_IN last but conntrack's
 * confirm, for SYNs: after the routing decision and every hook (filter
 * rules, NFQUEUE) that may queue or drop them, so what we answer is what
 * the stack would. LOCAL_OUT around conntrack: rewrite before it, consume
 * after it.
 */
static const struct nf_hook_ops xsp4_ops[] = {
	{
		.hook		= xsp_pre_routing,
		.priv		= (void *)&xsp_af_inet,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_PRE_ROUTING,
		.priority	= NF_IP_PRI_CONNTRACK - 1,
	},
	{
		.hook		= xsp_local_in,
		.priv		= (void *)&xsp_af_inet,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_LOCAL_IN,
		.priority	= NF_IP_PRI_LAST - 1,
	},
	{
		.hook		= xsp_local_out,
		.priv		= (void *)&xsp_af_inet,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_LOCAL_OUT,
		.priority	= NF_IP_PRI_CONNTRACK_DEFRAG - 10,
	},
	{
		.hook		= xsp_local_out_end,
		.priv		= (void *)&xsp_af_inet,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_LOCAL_OUT,
		.priority	= NF_IP_PRI_CONNTRACK + 1,
	},
};

const struct xsp_af xsp_af_inet = {
	.fam			= XSP_FAM_V4,
	.family			= AF_INET,
	.nfproto		= NFPROTO_IPV4,
	.ct_priority		= NF_IP_PRI_CONNTRACK,
	.nat_priority		= NF_IP_PRI_NAT_DST,
	.ipvs_priority		= NF_IP_PRI_NAT_SRC - 1,
	.nhlen			= sizeof(struct iphdr),
	.parse			= xsp4_parse,
	.dst_local		= xsp4_dst_local,
	.route_input		= xsp4_route_input,
	.lookup_established	= xsp4_lookup_established,
	.lookup_listener	= xsp4_lookup_listener,
	.policy_ok		= xsp4_policy_ok,
	.listener_unsupported	= xsp4_listener_unsupported,
	.route_reply		= xsp4_route_reply,
	.xmit_synack		= xsp4_xmit_synack,
	.finish_syn		= xsp4_finish_syn,
	.parse_out		= xsp4_parse_out,
	.hooks			= xsp4_hooks,
	.pre_routing_ops	= &xsp4_ops[0],
	.local_in_ops		= &xsp4_ops[1],
};

int xsp_ipv4_register(struct net *net)
{
	return nf_register_net_hooks(net, xsp4_ops, ARRAY_SIZE(xsp4_ops));
}

void xsp_ipv4_unregister(struct net *net)
{
	nf_unregister_net_hooks(net, xsp4_ops, ARRAY_SIZE(xsp4_ops));
}
