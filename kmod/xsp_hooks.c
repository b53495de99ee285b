// SPDX-License-Identifier: GPL-2.0
/*
 * IPv4 datapath.
 *
 * PRE_ROUTING (before defrag and conntrack):
 *   SYN to a protected port  -> cookie SYN-ACK sent straight to dst_output(),
 *                               SYN consumed; no state, no conntrack entry.
 *   ACK with no socket       -> cookie checked; if valid the client's SYN is
 *                               rebuilt and pushed through PRE_ROUTING and
 *                               the stack synchronously, then the ACK itself
 *                               continues on its way.
 * LOCAL_OUT, before conntrack:
 *   stack SYN-ACK for the replayed SYN -> the request socket takes the cookie
 *                               as snt_isn (and the window scale, ECN and
 *                               timestamp offset the client was promised);
 *                               the packet is rewritten to match, so
 *                               conntrack sees what the client saw.
 * LOCAL_OUT, after conntrack:
 *   that SYN-ACK               -> consumed: the client already has ours.
 *
 * The replay runs to completion on one CPU with BHs disabled: the rebuilt
 * SYN goes through NF_HOOK(PRE_ROUTING) with the okfn of the ACK being
 * processed (ip_rcv_finish), so tcp_conn_request() and its send_synack()
 * run before NF_HOOK returns. A per-CPU replay context lets the three hook
 * invocations involved recognise their packets; nothing else can run on
 * that CPU meanwhile, and the context is empty outside the replay.
 */
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/netfilter_ipv4.h>
#include <linux/inetdevice.h>
#include <net/dst.h>
#include <net/inet_hashtables.h>
#include <net/ip.h>
#include <net/route.h>
#include <net/tcp.h>
#include <net/inet_ecn.h>

#include "xsp.h"

#define XSP_PRI_PRE	(NF_IP_PRI_CONNTRACK_DEFRAG - 10)
#define XSP_PRI_OUT	(NF_IP_PRI_CONNTRACK_DEFRAG - 10)
#define XSP_PRI_OUT_END	(NF_IP_PRI_CONNTRACK + 1)
#define XSP_OPT_SPACE	20	/* MSS, SACK_PERM+TS, NOP+WS: all we send */

/* Options of a SYN or ACK, as far as cookies care. */
struct xsp_tcpopts {
	u16	mss;
	u8	wscale;
	bool	sack;
	bool	tstamp;
	u32	tsval;
	u32	tsecr;
};

struct xsp_replay {
	struct sk_buff		*syn;		/* the rebuilt SYN, in flight */
	struct sk_buff		*synack;	/* stack SYN-ACK to consume */
	__be32			caddr, saddr;	/* client, server */
	__be16			cport, sport;
	u32			cookie;
	u32			tsval;		/* our SYN-ACK's TSval */
	u8			rcv_wscale;	/* what we told the client */
	bool			wscale_ok;
	bool			ecn_ok;
	bool			tstamp;
	bool			rewritten;
};

/* Scratch space for one replay per CPU; see the comment at the top. */
static DEFINE_PER_CPU(struct xsp_replay, xsp_replay_ctx);

/*
 * The replay context of this CPU, or NULL where no replay can be running:
 * replays run with BHs disabled, so a preemptible caller is outside one
 * (and must not look at a CPU it may be migrated away from).
 */
static struct xsp_replay *xsp_replay_get(void)
{
	return in_softirq() ? this_cpu_ptr(&xsp_replay_ctx) : NULL;
}

/*
 * Parse TCP options. Returns false for malformed lists: a length byte that
 * is missing, below 2 or runs past the header, or a known option of the
 * wrong size.
 */
static bool xsp_parse_opts(const u8 *p, int len, struct xsp_tcpopts *o)
{
	int i = 0, olen;

	memset(o, 0, sizeof(*o));
	o->wscale = XSP_WSCALE_NONE;
	while (i < len) {
		if (p[i] == TCPOPT_EOL)
			break;
		if (p[i] == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			return false;
		olen = p[i + 1];
		if (olen < 2 || i + olen > len)
			return false;
		switch (p[i]) {
		case TCPOPT_MSS:
			if (olen != TCPOLEN_MSS)
				return false;
			o->mss = get_unaligned_be16(p + i + 2);
			break;
		case TCPOPT_WINDOW:
			if (olen != TCPOLEN_WINDOW)
				return false;
			o->wscale = min_t(u8, p[i + 2], TCP_MAX_WSCALE);
			break;
		case TCPOPT_SACK_PERM:
			if (olen != TCPOLEN_SACK_PERM)
				return false;
			o->sack = true;
			break;
		case TCPOPT_TIMESTAMP:
			if (olen != TCPOLEN_TIMESTAMP)
				return false;
			o->tstamp = true;
			o->tsval = get_unaligned_be32(p + i + 2);
			o->tsecr = get_unaligned_be32(p + i + 6);
			break;
		}
		i += olen;
	}
	return true;
}

/* Write the options of a SYN or SYN-ACK the way Linux orders them. */
static unsigned int xsp_write_opts(u8 *p, u16 mss, const struct xsp_opts *o,
				   u8 wscale, u32 tsval, u32 tsecr)
{
	u8 *start = p;

	*p++ = TCPOPT_MSS;
	*p++ = TCPOLEN_MSS;
	put_unaligned_be16(mss, p);
	p += 2;
	if (o->sack) {
		*p++ = o->tstamp ? TCPOPT_SACK_PERM : TCPOPT_NOP;
		*p++ = o->tstamp ? TCPOLEN_SACK_PERM : TCPOPT_NOP;
		if (!o->tstamp) {
			*p++ = TCPOPT_SACK_PERM;
			*p++ = TCPOLEN_SACK_PERM;
		}
	} else if (o->tstamp) {
		*p++ = TCPOPT_NOP;
		*p++ = TCPOPT_NOP;
	}
	if (o->tstamp) {
		*p++ = TCPOPT_TIMESTAMP;
		*p++ = TCPOLEN_TIMESTAMP;
		put_unaligned_be32(tsval, p);
		put_unaligned_be32(tsecr, p + 4);
		p += 8;
	}
	if (o->wscale != XSP_WSCALE_NONE) {
		*p++ = TCPOPT_NOP;
		*p++ = TCPOPT_WINDOW;
		*p++ = TCPOLEN_WINDOW;
		*p++ = wscale;
	}
	return p - start;
}

/*
 * The receive window scale tcp_select_initial_window() picks for a listener
 * whose buffers are not locked: both ends of the handshake compute it, so it
 * needs no bits in the cookie.
 */
static u8 xsp_rcv_wscale(const struct net *net)
{
	u32 space = max_t(u32, READ_ONCE(net->ipv4.sysctl_tcp_rmem[2]),
			  READ_ONCE(sysctl_rmem_max));

	return clamp_t(int, ilog2(space) - 15, 0, TCP_MAX_WSCALE);
}

/*
 * Options this host agrees to, from what the client offered. The cookie
 * encodes the result, so the replayed SYN carries exactly what was agreed.
 */
static void xsp_negotiate(const struct net *net, const struct xsp_tcpopts *c,
			  bool ecn, struct xsp_opts *o)
{
	o->mss = c->mss;
	o->wscale = XSP_WSCALE_NONE;
	if (c->wscale != XSP_WSCALE_NONE &&
	    READ_ONCE(net->ipv4.sysctl_tcp_window_scaling))
		o->wscale = c->wscale;
	o->sack = c->sack && READ_ONCE(net->ipv4.sysctl_tcp_sack);
	o->tstamp = c->tstamp && READ_ONCE(net->ipv4.sysctl_tcp_timestamps);
	o->ecn = ecn && READ_ONCE(net->ipv4.sysctl_tcp_ecn);
}

static void xsp_tuple4(struct xsp_tuple *t, const struct iphdr *iph,
		       const struct tcphdr *th)
{
	memset(t, 0, sizeof(*t));
	t->family = AF_INET;
	t->saddr.v4 = iph->saddr;
	t->daddr.v4 = iph->daddr;
	t->sport = th->source;
	t->dport = th->dest;
}

/* Allocate an skb holding an IPv4 + TCP header with room for our options. */
static struct sk_buff *xsp_alloc_tcp(struct iphdr **iph, struct tcphdr **th)
{
	unsigned int len = sizeof(struct iphdr) + sizeof(struct tcphdr) +
			   XSP_OPT_SPACE;
	struct sk_buff *skb;

	skb = alloc_skb(LL_MAX_HEADER + len, GFP_ATOMIC);
	if (!skb)
		return NULL;
	skb_reserve(skb, LL_MAX_HEADER);
	skb_reset_network_header(skb);
	*iph = skb_put_zero(skb, sizeof(struct iphdr));
	skb_set_transport_header(skb, sizeof(struct iphdr));
	*th = skb_put_zero(skb, sizeof(struct tcphdr) + XSP_OPT_SPACE);
	(*iph)->version = 4;
	(*iph)->ihl = sizeof(struct iphdr) / 4;
	(*iph)->tot_len = htons(len);
	(*iph)->protocol = IPPROTO_TCP;
	skb->protocol = htons(ETH_P_IP);
	return skb;
}

/*
 * Trim the option space to the @used bytes written (a multiple of 4), then
 * fill in the lengths and both checksums.
 */
static void xsp_finish_tcp(struct sk_buff *skb, struct iphdr *iph,
			   struct tcphdr *th, unsigned int used)
{
	unsigned int tcplen;

	skb_trim(skb, skb->len - (XSP_OPT_SPACE - used));
	th->doff = (sizeof(struct tcphdr) + used) / 4;
	iph->tot_len = htons(skb->len);
	ip_send_check(iph);
	tcplen = skb->len - sizeof(*iph);
	th->check = 0;
	th->check = tcp_v4_check(tcplen, iph->saddr, iph->daddr,
				 csum_partial(th, tcplen, 0));
}

/* Answer a SYN with a cookie SYN-ACK. Returns false if nothing was sent. */
static bool xsp_send_synack(struct net *net, struct xsp_net *xn,
			    struct sk_buff *skb, const struct iphdr *iph,
			    const struct tcphdr *th,
			    const struct xsp_tcpopts *copts, u64 now)
{
	struct iphdr *niph;
	struct tcphdr *nth;
	struct xsp_tuple t;
	struct xsp_opts o;
	struct flowi4 fl4;
	struct sk_buff *nskb;
	struct rtable *rt;
	unsigned int used;
	u32 cookie, tsval = 0;
	u16 mss;

	xsp_negotiate(net, copts, th->ece && th->cwr &&
		      INET_ECN_is_not_ect(iph->tos), &o);
	xsp_tuple4(&t, iph, th);
	cookie = xsp_cookie_mint(xsp_secrets_get(xn, now), &t,
				 ntohl(th->seq), &o, &tsval, now);

	memset(&fl4, 0, sizeof(fl4));
	fl4.daddr = iph->saddr;
	fl4.saddr = iph->daddr;
	fl4.flowi4_proto = IPPROTO_TCP;
	fl4.flowi4_mark = skb->mark;
	fl4.flowi4_flags = FLOWI_FLAG_ANYSRC;
	fl4.fl4_sport = th->dest;
	fl4.fl4_dport = th->source;
	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt))
		return false;

	nskb = xsp_alloc_tcp(&niph, &nth);
	if (!nskb) {
		ip_rt_put(rt);
		return false;
	}
	mss = dst_metric_advmss(&rt->dst);
	niph->ttl = READ_ONCE(net->ipv4.sysctl_ip_default_ttl);
	niph->frag_off = htons(IP_DF);
	niph->saddr = iph->daddr;
	niph->daddr = iph->saddr;
	nth->source = th->dest;
	nth->dest = th->source;
	nth->seq = htonl(cookie);
	nth->ack_seq = htonl(ntohl(th->seq) + 1);
	nth->syn = 1;
	nth->ack = 1;
	nth->ece = o.ecn;
	nth->window = htons(min_t(u32, U16_MAX, rounddown(U16_MAX, mss)));
	used = xsp_write_opts((u8 *)(nth + 1), mss, &o, xsp_rcv_wscale(net),
			      tsval, copts->tsval);
	xsp_finish_tcp(nskb, niph, nth, used);
	nskb->ip_summed = CHECKSUM_NONE;
	nskb->mark = skb->mark;
	skb_dst_set(nskb, &rt->dst);
	memset(IPCB(nskb), 0, sizeof(struct inet_skb_parm));

	/*
	 * Straight to dst_output(): LOCAL_OUT would give conntrack a SYN-ACK
	 * for a connection it never saw a SYN of, which it calls invalid and
	 * stateful rulesets drop. POST_ROUTING still runs.
	 */
	dst_output(net, NULL, nskb);
	return true;
}

/*
 * Rebuild the client's SYN from its ACK and the decoded cookie, and run it
 * through PRE_ROUTING and the stack. Returns true when the stack created a
 * request socket with the cookie as ISN.
 */
static bool xsp_replay_syn(struct xsp_net *xn, struct sk_buff *skb,
			   const struct iphdr *iph, const struct tcphdr *th,
			   const struct xsp_opts *o, u32 cookie,
			   const struct xsp_tcpopts *aopts,
			   const struct nf_hook_state *state)
{
	struct net *net = state->net;
	struct xsp_replay *ctx;
	struct iphdr *niph;
	struct tcphdr *nth;
	struct sk_buff *syn;
	unsigned int used;
	bool ok;

	syn = xsp_alloc_tcp(&niph, &nth);
	if (!syn)
		return false;
	niph->tos = iph->tos & ~INET_ECN_MASK;
	niph->ttl = iph->ttl;
	niph->frag_off = iph->frag_off & htons(IP_DF);
	niph->id = iph->id;
	niph->saddr = iph->saddr;
	niph->daddr = iph->daddr;
	nth->source = th->source;
	nth->dest = th->dest;
	nth->seq = htonl(ntohl(th->seq) - 1);
	nth->syn = 1;
	nth->ece = o->ecn;
	nth->cwr = o->ecn;
	/* SYN windows are unscaled: give conntrack the client's real one. */
	nth->window = htons(min_t(u32, U16_MAX, ntohs(th->window) <<
				  (o->wscale == XSP_WSCALE_NONE ? 0 : o->wscale)));
	used = xsp_write_opts((u8 *)(nth + 1), o->mss, o, o->wscale,
			      aopts->tsval, 0);
	xsp_finish_tcp(syn, niph, nth, used);
	syn->ip_summed = CHECKSUM_UNNECESSARY;
	syn->dev = state->in;
	syn->skb_iif = state->in->ifindex;
	syn->pkt_type = PACKET_HOST;
	syn->mark = skb->mark;
	memset(IPCB(syn), 0, sizeof(struct inet_skb_parm));
	IPCB(syn)->iif = syn->skb_iif;

	/* Usually a no-op: PRE_ROUTING already runs with BHs disabled. */
	local_bh_disable();
	ctx = this_cpu_ptr(&xsp_replay_ctx);
	ctx->syn = syn;
	ctx->synack = NULL;
	ctx->caddr = iph->saddr;
	ctx->saddr = iph->daddr;
	ctx->cport = th->source;
	ctx->sport = th->dest;
	ctx->cookie = cookie;
	ctx->tsval = aopts->tsecr;
	ctx->tstamp = o->tstamp;
	ctx->wscale_ok = o->wscale != XSP_WSCALE_NONE;
	ctx->rcv_wscale = xsp_rcv_wscale(net);
	ctx->ecn_ok = o->ecn;
	ctx->rewritten = false;

	xsp_inc(xn, XSP_FAM_V4, XSYNPROXY_STAT_SYN_REPLAYED);
	NF_HOOK(NFPROTO_IPV4, NF_INET_PRE_ROUTING, net, NULL, syn, state->in,
		NULL, state->okfn);

	ok = ctx->rewritten;
	ctx->syn = NULL;
	ctx->synack = NULL;
	local_bh_enable();
	return ok;
}

static bool xsp_port_protected(const struct xsp_ports *p, __be16 port)
{
	return test_bit(ntohs(port), p->map);
}

/*
 * Whether a socket (established, TIME_WAIT or request) holds the segment's
 * 4-tuple. Called under the RCU read lock netfilter hooks run in; the
 * reference the lookup may take is dropped at once, the answer is all we
 * keep.
 */
static bool xsp_tuple_has_socket(const struct nf_hook_state *state,
				 const struct iphdr *iph,
				 const struct tcphdr *th)
{
	struct net *net = state->net;
	struct sock *sk;

	sk = __inet_lookup_established(net, net->ipv4.tcp_death_row.hashinfo,
				       iph->saddr, th->source, iph->daddr,
				       ntohs(th->dest), state->in->ifindex, 0);
	if (!sk)
		return false;
	sock_gen_put(sk);
	return true;
}

static unsigned int xsp_handle_ack(struct xsp_net *xn, struct sk_buff *skb,
				   const struct iphdr *iph,
				   const struct tcphdr *th, const u8 *optp,
				   int optlen, const struct nf_hook_state *state)
{
	struct inet_hashinfo *hinfo = state->net->ipv4.tcp_death_row.hashinfo;
	struct net *net = state->net;
	struct xsp_tcpopts aopts;
	struct xsp_tuple t;
	struct xsp_opts o;
	struct sock *sk;
	u32 cookie;
	u64 now;
	int err;

	/*
	 * Established, time-wait and request sockets take the packet as
	 * usual: only segments nobody is waiting for pay a MAC.
	 */
	if (xsp_tuple_has_socket(state, iph, th))
		return NF_ACCEPT;

	xsp_inc(xn, XSP_FAM_V4, XSYNPROXY_STAT_ACK_RECV);
	if (!xsp_parse_opts(optp, optlen, &aopts))
		aopts.tstamp = false;
	xsp_tuple4(&t, iph, th);
	cookie = ntohl(th->ack_seq) - 1;
	now = xsp_now_ms();
	err = xsp_cookie_check(xsp_secrets_get(xn, now), &t, ntohl(th->seq) - 1,
			       cookie, aopts.tstamp, aopts.tsecr, &o, NULL, now);
	if (err) {
		xsp_inc(xn, XSP_FAM_V4, err == XSP_COOKIE_STALE ?
			XSYNPROXY_STAT_COOKIE_STALE :
			XSYNPROXY_STAT_COOKIE_INVALID);
		return NF_DROP;
	}
	xsp_inc(xn, XSP_FAM_V4, XSYNPROXY_STAT_COOKIE_VALID);

	/* No listener: let the stack answer the ACK with a reset. */
	sk = __inet_lookup_listener(net, hinfo, skb, ip_hdrlen(skb) + th->doff * 4,
				    iph->saddr, th->source, iph->daddr,
				    ntohs(th->dest), state->in->ifindex, 0);
	if (!sk) {
		xsp_inc(xn, XSP_FAM_V4, XSYNPROXY_STAT_REPLAY_FAILED);
		return NF_ACCEPT;
	}

	if (!xsp_replay_syn(xn, skb, iph, th, &o, cookie, &aopts, state)) {
		/*
		 * No request socket took the cookie (accept queue full, the
		 * kernel's own cookies, a ruleset dropping the SYN): the
		 * stack would reset the client. Drop the ACK instead; the
		 * client retransmits and a later segment replays again.
		 */
		xsp_inc(xn, XSP_FAM_V4, XSYNPROXY_STAT_REPLAY_FAILED);
		return NF_DROP;
	}
	return NF_ACCEPT;
}

static unsigned int xsp_pre_routing(void *priv, struct sk_buff *skb,
				    const struct nf_hook_state *state)
{
	struct xsp_net *xn = xsp_pernet(state->net);
	const struct xsp_ports *ports;
	u8 optbuf[MAX_TCP_OPTION_SPACE];
	struct xsp_tcpopts copts;
	const struct iphdr *iph;
	const struct tcphdr *th;
	struct tcphdr _th;
	unsigned int thoff;
	const u8 *optp;
	int optlen;

	ports = rcu_dereference(xn->ports);
	if (likely(!ports || !ports->nr_enabled))
		return NF_ACCEPT;

	iph = ip_hdr(skb);
	if (iph->protocol != IPPROTO_TCP || skb->pkt_type != PACKET_HOST)
		return NF_ACCEPT;
	/* A later fragment has no TCP header to judge: defrag's business. */
	if (unlikely(iph->frag_off & htons(IP_OFFSET)))
		return NF_ACCEPT;
	if (unlikely(in_softirq() && this_cpu_read(xsp_replay_ctx.syn) == skb))
		return NF_ACCEPT;

	thoff = ip_hdrlen(skb);
	th = skb_header_pointer(skb, thoff, sizeof(_th), &_th);
	if (!th || !xsp_port_protected(ports, th->dest))
		return NF_ACCEPT;
	if (READ_ONCE(state->net->ipv4.sysctl_tcp_syncookies) == 2) {
		if (th->syn && !th->ack)
			xsp_inc(xn, XSP_FAM_V4, XSYNPROXY_STAT_SYN_BYPASS);
		return NF_ACCEPT;
	}

	if (th->syn && !th->ack) {
		xsp_inc(xn, XSP_FAM_V4, XSYNPROXY_STAT_SYN_RECV);
		if (ip_is_fragment(iph) || th->rst || th->fin ||
		    th->doff < sizeof(*th) / 4 ||
		    thoff + th->doff * 4 > skb->len)
			goto malformed;
		/* Only SYNs to this host's own addresses are ours to answer. */
		if (!__ip_dev_find(state->net, iph->daddr, false))
			return NF_ACCEPT;
		if (nf_ip_checksum(skb, state->hook, thoff, IPPROTO_TCP)) {
			xsp_inc(xn, XSP_FAM_V4, XSYNPROXY_STAT_SYN_BAD_CSUM);
			return NF_DROP;
		}
		optlen = th->doff * 4 - sizeof(*th);
		optp = skb_header_pointer(skb, thoff + sizeof(*th), optlen,
					  optbuf);
		if (!optp || !xsp_parse_opts(optp, optlen, &copts))
			goto malformed;
		/*
		 * A SYN for a 4-tuple a socket still holds is the stack's to
		 * judge: a client reusing its port while we are in TIME_WAIT
		 * gets a new connection from tcp_timewait_state_process(), a
		 * SYN to an established socket a challenge ACK. Answered with
		 * a cookie instead, the client's ACK would reach that socket
		 * and the client would hang until TIME_WAIT ends.
		 */
		if (xsp_tuple_has_socket(state, iph, th)) {
			xsp_inc(xn, XSP_FAM_V4, XSYNPROXY_STAT_SYN_TO_SOCKET);
			return NF_ACCEPT;
		}
		if (!xsp_budget_take(xn)) {
			xsp_inc(xn, XSP_FAM_V4, XSYNPROXY_STAT_SYN_OVER_BUDGET);
			return NF_DROP;
		}
		if (xsp_send_synack(state->net, xn, skb, iph, th, &copts,
				    xsp_now_ms()))
			xsp_inc(xn, XSP_FAM_V4, XSYNPROXY_STAT_SYN_ANSWERED);
		else
			xsp_inc(xn, XSP_FAM_V4, XSYNPROXY_STAT_SYN_SEND_FAILED);
		consume_skb(skb);
		return NF_STOLEN;
	}

	if (!th->ack || th->syn || th->rst || ip_is_fragment(iph) ||
	    th->doff < sizeof(*th) / 4 || thoff + th->doff * 4 > skb->len)
		return NF_ACCEPT;
	optlen = th->doff * 4 - sizeof(*th);
	optp = skb_header_pointer(skb, thoff + sizeof(*th), optlen, optbuf);
	if (!optp)
		return NF_ACCEPT;
	return xsp_handle_ack(xn, skb, iph, th, optp, optlen, state);

malformed:
	xsp_inc(xn, XSP_FAM_V4, XSYNPROXY_STAT_SYN_MALFORMED);
	return NF_DROP;
}

/*
 * Give the request socket what the client was promised and make the
 * stack's SYN-ACK say the same, so conntrack (next hook) tracks the
 * sequence numbers the client actually uses.
 */
static void xsp_rewrite_req(struct xsp_replay *ctx, struct request_sock *req,
			    struct tcphdr *th)
{
	struct inet_request_sock *ireq = inet_rsk(req);
	struct xsp_tcpopts so;
	u8 *p = (u8 *)(th + 1);
	int i, len, olen;

	tcp_rsk(req)->snt_isn = ctx->cookie;
	th->seq = htonl(ctx->cookie);
	if (ctx->wscale_ok)
		ireq->rcv_wscale = ctx->rcv_wscale;
	ireq->ecn_ok = ctx->ecn_ok;
	th->ece = ctx->ecn_ok;

	/* Patch the TS and WS options in place; both exist iff agreed. */
	len = th->doff * 4 - sizeof(*th);
	if (!xsp_parse_opts(p, len, &so))
		return;
	if (so.tstamp && ctx->tstamp)
		tcp_rsk(req)->ts_off += ctx->tsval - so.tsval;
	for (i = 0; i < len && p[i] != TCPOPT_EOL; i += olen) {
		olen = p[i] == TCPOPT_NOP ? 1 : p[i + 1];
		if (p[i] == TCPOPT_TIMESTAMP && ctx->tstamp)
			put_unaligned_be32(ctx->tsval, p + i + 2);
		if (p[i] == TCPOPT_WINDOW && ctx->wscale_ok)
			p[i + 2] = ctx->rcv_wscale;
	}
	/* The checksum is left stale: this packet never leaves the host. */
}

/*
 * A SYN-ACK the stack retransmits for a request socket that took a cookie
 * ISN: the client has had our SYN-ACK and its data will complete the
 * handshake, so this one is consumed too. Recognised by minting the cookie
 * again from the request socket; only request sockets on protected ports
 * pay for it, and only on retransmission.
 */
static bool xsp_req_has_cookie(struct xsp_net *xn, struct request_sock *req)
{
	const struct inet_request_sock *ireq = inet_rsk(req);
	struct xsp_opts o = {};
	struct xsp_tuple t = {};
	u32 tsval;
	u64 now;

	t.family = AF_INET;
	t.saddr.v4 = ireq->ir_rmt_addr;
	t.daddr.v4 = ireq->ir_loc_addr;
	t.sport = ireq->ir_rmt_port;
	t.dport = htons(ireq->ir_num);
	o.mss = req->mss;
	o.wscale = ireq->wscale_ok ? ireq->snd_wscale : XSP_WSCALE_NONE;
	o.sack = ireq->sack_ok;
	o.tstamp = ireq->tstamp_ok;
	o.ecn = ireq->ecn_ok;
	now = xsp_now_ms();
	return xsp_cookie_mint(xsp_secrets_get(xn, now), &t,
			       tcp_rsk(req)->rcv_isn, &o, &tsval, now) ==
	       tcp_rsk(req)->snt_isn;
}

static unsigned int xsp_local_out(void *priv, struct sk_buff *skb,
				  const struct nf_hook_state *state)
{
	struct xsp_replay *ctx = xsp_replay_get();
	struct xsp_net *xn = xsp_pernet(state->net);
	const struct xsp_ports *ports;
	struct iphdr *iph;
	struct tcphdr *th;
	bool is_req;

	ports = rcu_dereference(xn->ports);
	if (likely(!ports || !ports->nr_enabled))
		return NF_ACCEPT;

	is_req = skb->sk && skb->sk->sk_state == TCP_NEW_SYN_RECV;
	iph = ip_hdr(skb);
	if (iph->protocol != IPPROTO_TCP || ip_is_fragment(iph) ||
	    !(is_req || (ctx && ctx->syn)))
		return NF_ACCEPT;
	if (skb_ensure_writable(skb, ip_hdrlen(skb) + sizeof(*th)))
		return NF_ACCEPT;
	th = (struct tcphdr *)(skb_network_header(skb) + ip_hdrlen(skb));
	if (!th->syn || !th->ack || !xsp_port_protected(ports, th->source))
		return NF_ACCEPT;
	if (skb_ensure_writable(skb, ip_hdrlen(skb) + th->doff * 4))
		return NF_ACCEPT;
	iph = ip_hdr(skb);
	th = (struct tcphdr *)(skb_network_header(skb) + ip_hdrlen(skb));

	if (!ctx || !ctx->syn || iph->daddr != ctx->caddr || iph->saddr != ctx->saddr ||
	    th->source != ctx->sport || th->dest != ctx->cport) {
		if (is_req && xsp_req_has_cookie(xn, inet_reqsk(skb->sk))) {
			xsp_inc(xn, XSP_FAM_V4, XSYNPROXY_STAT_SYNACK_DROPPED);
			consume_skb(skb);
			return NF_STOLEN;
		}
		return NF_ACCEPT;
	}

	/* A SYN-ACK of the kernel's own cookies has no request socket. */
	if (is_req) {
		xsp_rewrite_req(ctx, inet_reqsk(skb->sk), th);
		ctx->rewritten = true;
		xsp_inc(xn, XSP_FAM_V4, XSYNPROXY_STAT_SYNACK_REWRITTEN);
	}
	ctx->synack = skb;
	return NF_ACCEPT;
}

static unsigned int xsp_local_out_end(void *priv, struct sk_buff *skb,
				      const struct nf_hook_state *state)
{
	struct xsp_replay *ctx = xsp_replay_get();

	if (likely(!ctx || ctx->synack != skb))
		return NF_ACCEPT;
	ctx->synack = NULL;
	consume_skb(skb);
	return NF_STOLEN;
}

static const struct nf_hook_ops xsp_nf_ops[] = {
	{
		.hook		= xsp_pre_routing,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_PRE_ROUTING,
		.priority	= XSP_PRI_PRE,
	},
	{
		.hook		= xsp_local_out,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_LOCAL_OUT,
		.priority	= XSP_PRI_OUT,
	},
	{
		.hook		= xsp_local_out_end,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_LOCAL_OUT,
		.priority	= XSP_PRI_OUT_END,
	},
};

int xsp_hooks_register(struct net *net)
{
	return nf_register_net_hooks(net, xsp_nf_ops, ARRAY_SIZE(xsp_nf_ops));
}

void xsp_hooks_unregister(struct net *net)
{
	nf_unregister_net_hooks(net, xsp_nf_ops, ARRAY_SIZE(xsp_nf_ops));
}
