// SPDX-License-Identifier: GPL-2.0
/*
 * The packet walk, the same for both address families; the family front
 * ends (xsp_ipv4.c, xsp_ipv6.c) parse, route, look sockets up and build
 * network headers for it through struct xsp_af.
 *
 * LOCAL_IN, after the filter table, last but conntrack's confirm:
 *   SYN to a protected port of a local listener
 *            -> cookie SYN-ACK to dst_output() (POST_ROUTING on), SYN
 *               consumed; conntrack never confirms the SYN's entry, the
 *               SYN-ACK is untracked. The stack has routed the SYN and
 *               the user's rules have let it in: we answer exactly what
 *               the stack would answer.
 * PRE_ROUTING, right before conntrack (after defrag and raw):
 *   ACK with no socket, to a local listener
 *            -> cookie checked; if valid, the client's SYN is rebuilt from
 *               a copy of the ACK (so it keeps the ACK's device, bridge
 *               and IPsec state) and pushed through PRE_ROUTING; then the
 *               ACK goes on to conntrack, which meets SYN, SYN-ACK, ACK
 *               in order, and every rule after it (mangle's "new and not
 *               a SYN" drops, NAT, filter) sees what the stack's own
 *               handshake would show it: a SYN, then an established ACK.
 *               Where conntrack runs it looks at the ACK first, for us,
 *               to tell a connection NAT sends elsewhere.
 *   Anything else (forwarded, NATed, no listener, a source the stack
 *   rejects...) is left alone and counted: the stack does with it exactly
 *   what it does without this module.
 * LOCAL_IN, as above:
 *   a rebuilt SYN about to reach TCP -> this CPU arms a rewrite for the
 *               SYN-ACK TCP will send for it.
 *   an ACK PRE_ROUTING left to NAT or IPVS (conntrack's pickup of a
 *   connection it had no entry for, in a namespace with NAT rules or
 *   IPVS services) that they left to this host, with no socket and a
 *   wrong cookie -> dropped as forged.
 * LOCAL_OUT, before conntrack:
 *   that SYN-ACK -> the request socket takes the cookie as snt_isn, and
 *               the window scale, ECN, timestamp offset and SYN-ACK time
 *               the client was given; the packet is patched to match.
 * LOCAL_OUT, after conntrack:
 *   that SYN-ACK -> consumed: the client already has ours.
 *
 * Replays usually run to completion before NF_HOOK() returns, but a queue
 * on the way (NFQUEUE, IPsec's transport-mode tasklet, RPS after a bridge)
 * delivers the SYN later, from another context. So the rebuilt SYN carries
 * what the rewrite needs: the cookie in its acknowledgment number (ignored
 * on a segment without ACK, RFC 9293) and our TSval in its TSecr (ignored
 * on a SYN, RFC 7323). The LOCAL_IN hook validates the cookie again and
 * arms the rewrite on the CPU that runs TCP for the SYN, in the same call
 * chain as the SYN-ACK, whenever that happens; the ACK follows the SYN
 * through the same queue.
 */
#include <linux/jiffies.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_bridge.h>
#include <linux/netfilter_ipv6.h>
#include <net/dst_metadata.h>
#include <net/inet_ecn.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/tcp.h>

#include "xsp_dp.h"

#define XSP_OPT_SPACE	20	/* MSS, SACK_PERM+TS, NOP+WS: all we send */
#define XSP_TCP_FLAGS_OFF 13	/* of the flags byte in the TCP header (tcp_flag_byte()) */
#define TCPOPT_XSP_MPTCP 30	/* RFC 8684 */
#define TCPOPT_XSP_AO	29	/* RFC 5925 */

/* Options of a SYN or ACK, as far as cookies care. */
struct xsp_tcpopts {
	u16	mss;
	u8	wscale;
	bool	sack;
	bool	tstamp;
	bool	signed_;	/* TCP-MD5 or TCP-AO */
	bool	mptcp;
	u32	tsval;
	u32	tsecr;
};

/* What the client was told, for the request socket the replay creates. */
struct xsp_rewrite {
	struct xsp_tuple	t;		/* client = source */
	u32			isn;		/* client ISN */
	u32			cookie;
	u32			tsval;		/* our SYN-ACK's TSval */
	u32			age_ms;		/* since our SYN-ACK left */
	u8			rcv_wscale;
	bool			wscale_ok;
	bool			ecn;
	bool			tstamp;
};

struct xsp_replay {
	struct sk_buff		*syn;		/* rebuilt SYN in flight */
	struct sk_buff		*synack;	/* stack SYN-ACK to consume */
	bool			delivered;	/* @syn reached LOCAL_IN */
	bool			rewritten;	/* a request socket took @rw */
	bool			armed;		/* @rw waits for its SYN-ACK */
	struct xsp_rewrite	rw;
};

/*
 * Per-CPU scratch space. Everything here happens with BHs disabled on one
 * CPU: the replay from the ACK to the return of NF_HOOK(), and, armed by
 * the LOCAL_IN hook for exactly as long as it runs the rest of LOCAL_IN
 * and TCP for a rebuilt SYN, the way to that SYN's SYN-ACK at LOCAL_OUT.
 */
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
 * A first look at the TCP flags, before the namespace's state, the parse
 * and the BH toggling: false when the packet is none of the hook's business
 * (not TCP, a later fragment, or flags & @mask != @want), true when the hook
 * must look closer, also when the TCP header does not follow the network
 * header (IPv6 extension headers: the parse finds it) or is not all there.
 * Most packets a hook sees belong to established connections: this is all
 * they pay in LOCAL_IN.
 */
static __always_inline bool xsp_flags_may(const struct xsp_af *af,
					  const struct sk_buff *skb,
					  u8 mask, u8 want)
{
	unsigned int off = skb_network_offset(skb);
	const u8 *flags;
	u8 buf;

	if (af->family == AF_INET) {
		const struct iphdr *iph = ip_hdr(skb);

		if (iph->protocol != IPPROTO_TCP ||
		    iph->frag_off & htons(IP_OFFSET))
			return false;
		off += iph->ihl * 4;
	} else {
		u8 nexthdr = ipv6_hdr(skb)->nexthdr;

		if (nexthdr != IPPROTO_TCP)
			return ipv6_ext_hdr(nexthdr);
		off += sizeof(struct ipv6hdr);
	}
	flags = skb_header_pointer(skb, off + XSP_TCP_FLAGS_OFF, 1, &buf);
	return !flags || (*flags & mask) == want;
}

/*
 * Hooks run in softirq, except those after an NFQUEUE verdict, which
 * nf_reinject() runs in the verdict's process context with BHs on. Our
 * per-CPU state (the replay context, the budget) needs them off; in
 * softirq (or with BHs off already) toggling them would only cost. The
 * __ functions are noinline so that a packet the flags test lets go does
 * not pay for their stack frame.
 */
#define XSP_HOOK_BH(name, may)						\
unsigned int name(void *priv, struct sk_buff *skb,			\
		  const struct nf_hook_state *state)			\
{									\
	unsigned int verdict;						\
									\
	if (!(may)(priv, skb))					\
		return NF_ACCEPT;					\
	if (in_softirq())						\
		return __##name(priv, skb, state);			\
	local_bh_disable();						\
	verdict = __##name(priv, skb, state);				\
	local_bh_enable();						\
	return verdict;							\
}

static bool xsp_port_protected(const struct xsp_ports *p,
			       const struct xsp_af *af, __be16 port)
{
	return test_bit(ntohs(port), p->map[af->fam]);
}

/* The namespace's port table when something is protected, else NULL. */
static const struct xsp_ports *xsp_ports_active(struct xsp_net *xn)
{
	const struct xsp_ports *ports = rcu_dereference(xn->ports);

	return ports && ports->nr_enabled ? ports : NULL;
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
		case TCPOPT_MD5SIG:
		case TCPOPT_XSP_AO:
			o->signed_ = true;
			break;
		case TCPOPT_XSP_MPTCP:
			o->mptcp = true;
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
 * Options this host agrees to, from what the client offered. The cookie
 * encodes the result, so the replayed SYN carries exactly what was agreed.
 * The sysctls are per namespace and shared by both families.
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

/* The TCP options of the segment at @thoff, whose header is linear. */
static bool xsp_opts_of(const struct sk_buff *skb, unsigned int thoff,
			struct xsp_tcpopts *o)
{
	const struct tcphdr *th = (const void *)(skb->data + thoff);

	return xsp_parse_opts((const u8 *)(th + 1),
			      th->doff * 4 - sizeof(*th), o);
}

/* A connection DNATed or REDIRECTed before us: the stack's, not ours. */
static bool xsp_nated(const struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	enum ip_conntrack_info ctinfo;
	const struct nf_conn *ct = nf_ct_get(skb, &ctinfo);

	return ct && test_bit(IPS_DST_NAT_BIT, &ct->status);
#else
	return false;
#endif
}

/*
 * Whether a socket (established, TIME_WAIT or request) holds the segment's
 * 4-tuple. The lookup's reference is dropped at once: the answer is all we
 * keep.
 */
static bool xsp_tuple_has_socket(const struct xsp_af *af, struct net *net,
				 const struct xsp_pkt *p)
{
	struct sock *sk = XSP_AF_CALL(af, lookup_established, net, p);

	if (!sk)
		return false;
	sock_gen_put(sk);
	return true;
}

/*
 * The listener TCP would hand the segment to. A reuseport program (cBPF
 * or eBPF) sees the segment as it does in tcp_v[46]_rcv(): from the TCP
 * header, with the header length as offset. It may move the head, so
 * callers re-read header pointers afterwards.
 */
static struct sock *xsp_listener(const struct xsp_af *af, struct net *net,
				 struct sk_buff *skb, const struct xsp_pkt *p,
				 unsigned int doff)
{
	struct sock *sk;

	__skb_pull(skb, p->thoff);
	sk = af->lookup_listener(net, skb, p, doff);
	__skb_push(skb, p->thoff);
	return sk;
}

/*
 * A listener we cannot answer for: TCP-MD5/AO sign the handshake, and an
 * MPTCP handshake needs keys a cookie has no room for.
 */
static bool xsp_listener_unsupported(const struct sock *sk,
				     const struct xsp_tcpopts *c)
{
	if (c->signed_)
		return true;
#ifdef CONFIG_TCP_MD5SIG
	if (rcu_access_pointer(tcp_sk(sk)->md5sig_info))
		return true;
#endif
#ifdef CONFIG_TCP_AO
	if (rcu_access_pointer(tcp_sk(sk)->ao_info))
		return true;
#endif
	return c->mptcp && sk_is_mptcp(sk);
}

/*
 * Decode a cookie and fill in what the request socket must be given.
 * Returns 0 or XSP_COOKIE_INVALID/STALE.
 */
static int xsp_decode(struct xsp_net *xn, const struct xsp_tuple *t, u32 isn,
		      u32 cookie, bool has_ts, u32 tsecr, u64 now,
		      struct xsp_opts *o, struct xsp_rewrite *rw)
{
	const struct xsp_keys *k = xsp_keys_get(xn, now);
	u64 epoch;
	int err;

	err = xsp_cookie_check(&k->s, t, isn, cookie, has_ts, tsecr, o,
			       &epoch, now);
	if (err)
		return err;
	rw->t = *t;
	rw->isn = isn;
	rw->cookie = cookie;
	rw->tstamp = has_ts;
	rw->tsval = tsecr;
	rw->age_ms = has_ts ? xsp_cookie_ts_age(tsecr, now) : 0;
	rw->wscale_ok = o->wscale != XSP_WSCALE_NONE;
	rw->rcv_wscale = xsp_keys_wscale(k, epoch);
	rw->ecn = o->ecn;
	return 0;
}

/* ---- SYN: answer with a cookie ---------------------------------------- */

/*
 * The window a request socket of listener @sk would offer in its SYN-ACK:
 * tcp_openreq_init_rwin() and tcp_select_initial_window() (which 6.12 no
 * longer exports) without a BPF override.
 */
static u16 xsp_synack_window(const struct sock *sk, const struct dst_entry *dst,
			     u16 mss, const struct xsp_opts *o)
{
	u32 space = max(tcp_full_space(sk), 0);
	u32 clamp, wnd, init;

	if (o->tstamp)
		mss -= TCPOLEN_TSTAMP_ALIGNED;
	clamp = READ_ONCE(tcp_sk(sk)->window_clamp) ?: dst_metric(dst, RTAX_WINDOW);
	if (sk->sk_userlocks & SOCK_RCVBUF_LOCK && (clamp > space || !clamp))
		clamp = space;
	if (clamp)
		space = min(space, clamp);
	if (space > mss)
		space = rounddown(space, mss);
	wnd = space;
	if (READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_workaround_signed_windows))
		wnd = min_t(u32, wnd, MAX_TCP_WINDOW);
	init = dst_metric(dst, RTAX_INITRWND);
	if (init)
		wnd = min(wnd, init * mss);
	return min_t(u32, wnd, U16_MAX);
}

/* Our SYN-ACK's TCP header, built before we know which skb will carry it. */
struct xsp_synack {
	struct tcphdr	th;
	u8		opts[XSP_OPT_SPACE];
};

/*
 * Which skb carries the SYN-ACK: the SYN itself where nothing it holds
 * could leak into the reply or be lost with it, else a new one. Returns
 * the counter of the path taken. A cloned SYN (a packet socket holds it)
 * is fine: xsp_reuse_syn() un-clones it, so the capture keeps the SYN.
 */
static enum xsynproxy_stat xsp_synack_path(const struct xsp_net *xn,
					   const struct sk_buff *syn,
					   const struct xsp_pkt *p)
{
	if (READ_ONCE(xn->synack_copy))
		return XSYNPROXY_STAT_SYNACK_COPY_FORCED;
	/* The reply has none, and parse() already walked them. */
	if (p->l3opts)
		return XSYNPROXY_STAT_SYNACK_COPY_OPTS;
	if (secpath_exists(syn))
		return XSYNPROXY_STAT_SYNACK_COPY_IPSEC;
	if (skb_shared(syn) || skb_is_gso(syn) || skb_pfmemalloc(syn) ||
	    skb_tunnel_info(syn))
		return XSYNPROXY_STAT_SYNACK_COPY_OTHER;
	return XSYNPROXY_STAT_SYNACK_REUSED;
}

/*
 * Make the SYN's skb hold @len bytes of TCP header after room for the
 * network header, private and linear, and forget everything a received
 * packet carries that a reply must not: what skb_scrub_packet() resets
 * for a packet crossing namespaces (dst, conntrack, extensions, mark,
 * time), and the receive side's VLAN tag, hash, redirect flags, queue,
 * device and control block. On error the skb is half rewritten: drop it.
 */
static int xsp_reuse_syn(struct sk_buff *skb, const struct xsp_pkt *p,
			 unsigned int len)
{
	unsigned int want = p->thoff + len;

	if (skb->len > want && pskb_trim(skb, want))
		return -ENOMEM;
	if (skb_ensure_writable(skb, skb->len))
		return -ENOMEM;
	if (skb->len < want) {
		if (skb_tailroom(skb) < want - skb->len &&
		    pskb_expand_head(skb, 0, want - skb->len, GFP_ATOMIC))
			return -ENOMEM;
		__skb_put(skb, want - skb->len);
	}
	skb_scrub_packet(skb, true);
	skb_set_delivery_time(skb, 0, 0);
	__vlan_hwaccel_clear_tag(skb);
	skb_clear_hash(skb);
	skb_reset_redirect(skb);
	skb_set_queue_mapping(skb, 0);
	skb->encapsulation = 0;
	/* As a new skb's: POST_ROUTING sees no input device. */
	skb->dev = NULL;
	memset(skb->cb, 0, sizeof(skb->cb));
	__skb_pull(skb, p->thoff);
	skb_reset_transport_header(skb);
	return 0;
}

/*
 * Answer a SYN with a cookie SYN-ACK, routed, addressed and marked as the
 * stack would answer it for listener @sk, in the SYN's own skb where
 * xsp_synack_path() allows. Returns 0 when the SYN is still the caller's,
 * 1 when it left as the SYN-ACK, -EHOSTUNREACH when there is no unicast
 * route back (nothing sent, the SYN untouched) or -ENOMEM (the SYN is
 * the caller's to drop).
 */
static int xsp_send_synack(struct xsp_net *xn, const struct xsp_af *af,
			   struct net *net, struct sk_buff *syn,
			   const struct xsp_pkt *p, const struct sock *sk,
			   const struct xsp_tcpopts *copts, u64 now)
{
	const struct tcphdr *th = (const void *)(syn->data + p->thoff);
	const struct xsp_keys *k = xsp_keys_get(xn, now);
	struct xsp_synack sa = {};
	enum xsynproxy_stat path;
	struct dst_entry *dst;
	u32 cookie, tsval = 0;
	struct sk_buff *skb;
	struct xsp_opts o;
	unsigned int len;
	u64 epoch;
	u16 mss;
	u32 mark;

	xsp_negotiate(net, copts, th->ece && th->cwr &&
		      INET_ECN_is_not_ect(p->dsfield), &o);
	dst = af->route_reply(net, sk, syn, p);
	if (!dst)
		return -EHOSTUNREACH;
	mss = tcp_mss_clamp(tcp_sk(sk), tcp_dst_advmss(dst));

	cookie = xsp_cookie_mint(&k->s, &p->t, ntohl(th->seq), &o, &tsval,
				 now);
	sa.th.source = th->dest;
	sa.th.dest = th->source;
	sa.th.seq = htonl(cookie);
	sa.th.ack_seq = htonl(ntohl(th->seq) + 1);
	sa.th.syn = 1;
	sa.th.ack = 1;
	sa.th.ece = o.ecn;
	sa.th.window = htons(xsp_synack_window(sk, dst, mss, &o));
	epoch = xsp_secrets_epoch(&k->s, div_u64(now, MSEC_PER_SEC));
	len = sizeof(sa.th) +
	      xsp_write_opts(sa.opts, mss, &o, xsp_keys_wscale(k, epoch),
			     tsval, copts->tsval);
	sa.th.doff = len / 4;
	mark = inet_request_mark(sk, syn);

	path = xsp_synack_path(xn, syn, p);
	xsp_inc(xn, af->fam, path);
	if (path == XSYNPROXY_STAT_SYNACK_REUSED) {
		skb = syn;
		if (xsp_reuse_syn(skb, p, len)) {
			dst_release(dst);
			return -ENOMEM;
		}
	} else {
		skb = alloc_skb(MAX_TCP_HEADER + len, GFP_ATOMIC);
		if (!skb) {
			dst_release(dst);
			return -ENOMEM;
		}
		skb_reserve(skb, MAX_TCP_HEADER);
		skb_reset_transport_header(skb);
		__skb_put(skb, len);
	}
	memcpy(skb->data, &sa, len);
	skb_dst_set(skb, dst);
	skb->priority = READ_ONCE(sk->sk_priority);
	skb->mark = mark;
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	/*
	 * Conntrack never confirmed the SYN: without an entry the SYN-ACK
	 * would be "invalid" to egress rulesets. Untracked, it is what
	 * nf_synproxy's SYN-ACKs are, and costs conntrack nothing.
	 */
	nf_ct_set(skb, NULL, IP_CT_UNTRACKED);
#endif
	af->xmit_synack(net, sk, skb, p);
	return skb == syn;
}

/*
 * A packet whose sockets are another namespace's. ipvlan's L3S mode routes
 * a slave's packets in the slave's namespace, with the slave's local
 * route, but runs them through PRE_ROUTING and LOCAL_IN of the master's,
 * where ipvlan's own LOCAL_IN hook, last, moves them to the slave; TCP
 * then looks them up there. This namespace's listener is not theirs.
 */
static bool xsp_dst_elsewhere(const struct sk_buff *skb, const struct net *net)
{
	const struct dst_entry *dst = skb_dst(skb);

	return dst && dst->dev && !net_eq(dev_net(dst->dev), net);
}

static unsigned int xsp_step_aside(struct xsp_net *xn, const struct xsp_af *af,
				   enum xsynproxy_stat why)
{
	xsp_inc(xn, af->fam, why);
	return NF_ACCEPT;
}

static unsigned int xsp_syn(struct xsp_net *xn, const struct xsp_af *af,
			    struct sk_buff *skb, struct xsp_pkt *p,
			    const struct nf_hook_state *state)
{
	struct net *net = state->net;
	struct xsp_tcpopts copts;
	const struct tcphdr *th;
	struct sock *sk;
	unsigned int doff;
	u64 now;
	int err;

	xsp_inc(xn, af->fam, XSYNPROXY_STAT_SYN_RECV);
	if (p->frag) {
		xsp_inc(xn, af->fam, XSYNPROXY_STAT_SYN_FRAGMENT);
		return NF_DROP;
	}
	th = (const void *)(skb->data + p->thoff);	/* pulled by parse() */
	doff = th->doff * 4;
	if (th->rst || th->fin || doff < sizeof(*th) ||
	    !pskb_may_pull(skb, p->thoff + doff) ||
	    !xsp_opts_of(skb, p->thoff, &copts))
		goto malformed;

	/*
	 * A SYN for a 4-tuple a socket still holds is the stack's to judge:
	 * a client reusing its port while we are in TIME_WAIT gets a new
	 * connection from tcp_timewait_state_process(), a SYN to an
	 * established socket a challenge ACK. Answered with a cookie
	 * instead, the client's ACK would reach that socket and the client
	 * would hang until TIME_WAIT ends. Early demux may have found it;
	 * a listener there was put by TPROXY.
	 */
	if (skb->sk)
		return xsp_step_aside(xn, af, skb->sk->sk_state == TCP_LISTEN ?
				      XSYNPROXY_STAT_SYN_NAT :
				      XSYNPROXY_STAT_SYN_TO_SOCKET);
	if (xsp_nated(skb))
		return xsp_step_aside(xn, af, XSYNPROXY_STAT_SYN_NAT);
	/*
	 * tcp_v[46]_conn_request() refuses broadcast and multicast; a SYN
	 * another namespace's TCP will get is not ours to answer.
	 */
	if (af->route_input(skb, state->in, p) != XSP_ROUTE_LOCAL ||
	    xsp_dst_elsewhere(skb, net))
		return xsp_step_aside(xn, af, XSYNPROXY_STAT_SYN_NOT_LOCAL);
	if (nf_checksum(skb, state->hook, p->thoff, IPPROTO_TCP, af->family)) {
		xsp_inc(xn, af->fam, XSYNPROXY_STAT_SYN_BAD_CSUM);
		return NF_DROP;
	}
	if (xsp_tuple_has_socket(af, net, p))
		return xsp_step_aside(xn, af, XSYNPROXY_STAT_SYN_TO_SOCKET);
	sk = xsp_listener(af, net, skb, p, doff);
	if (!sk)
		return xsp_step_aside(xn, af, XSYNPROXY_STAT_SYN_NO_LISTENER);
	if (p->srcroute || p->l3_refused ||
	    xsp_listener_unsupported(sk, &copts) ||
	    af->listener_unsupported(sk))
		return xsp_step_aside(xn, af, XSYNPROXY_STAT_SYN_UNSUPPORTED);
	if (!af->policy_ok(sk, skb))
		return xsp_step_aside(xn, af, XSYNPROXY_STAT_SYN_POLICY);

	if (!xsp_budget_take(xn)) {
		xsp_inc(xn, af->fam, XSYNPROXY_STAT_SYN_OVER_BUDGET);
		return NF_DROP;
	}
	now = xsp_now_ms();
	err = xsp_send_synack(xn, af, net, skb, p, sk, &copts, now);
	if (err == -EHOSTUNREACH)
		return xsp_step_aside(xn, af, XSYNPROXY_STAT_SYN_NO_ROUTE);
	if (err < 0) {
		xsp_inc(xn, af->fam, XSYNPROXY_STAT_SYN_SEND_FAILED);
		return NF_DROP;
	}
	xsp_inc(xn, af->fam, XSYNPROXY_STAT_SYN_ANSWERED);
	/* Sent in its own skb, or as the SYN-ACK. */
	if (!err)
		consume_skb(skb);
	return NF_STOLEN;

malformed:
	xsp_inc(xn, af->fam, XSYNPROXY_STAT_SYN_MALFORMED);
	return NF_DROP;
}

/* ---- ACK: validate, replay the SYN ------------------------------------- */

/*
 * Rebuild the client's SYN from a copy of its ACK: same device, marks,
 * bridge and IPsec state, IP header and options; a SYN's TCP header with
 * the options the cookie agreed on. The cookie rides in the acknowledgment
 * number and our TSval in the TSecr (see the top of this file).
 */
static struct sk_buff *xsp_build_syn(const struct xsp_af *af,
				     struct sk_buff *ack,
				     const struct xsp_pkt *p,
				     const struct xsp_opts *o,
				     const struct xsp_tcpopts *aopts,
				     const struct xsp_rewrite *rw)
{
	const struct tcphdr *ath = (const void *)(ack->data + p->thoff);
	unsigned int used, win;
	struct sk_buff *syn;
	struct tcphdr *th;

	syn = skb_copy_expand(ack, skb_headroom(ack),
			      sizeof(*th) + XSP_OPT_SPACE, GFP_ATOMIC);
	if (!syn)
		return NULL;
	nf_reset_ct(syn);
	skb_dst_drop(syn);
	skb_gso_reset(syn);
#if IS_ENABLED(CONFIG_BRIDGE_NETFILTER)
	/* br_netfilter writes its state: do not share the ACK's. */
	if (skb_ext_exist(syn, SKB_EXT_BRIDGE_NF) &&
	    !skb_ext_add(syn, SKB_EXT_BRIDGE_NF)) {
		kfree_skb(syn);
		return NULL;
	}
#endif
	__skb_trim(syn, p->thoff);
	th = skb_put_zero(syn, sizeof(*th) + XSP_OPT_SPACE);
	skb_set_transport_header(syn, p->thoff);
	th->source = ath->source;
	th->dest = ath->dest;
	th->seq = htonl(rw->isn);
	th->ack_seq = htonl(rw->cookie);
	th->syn = 1;
	th->ece = o->ecn;
	th->cwr = o->ecn;
	/* SYN windows are unscaled: give conntrack the client's real one. */
	win = ntohs(ath->window) <<
	      (o->wscale == XSP_WSCALE_NONE ? 0 : o->wscale);
	th->window = htons(min_t(u32, U16_MAX, win));
	used = xsp_write_opts((u8 *)(th + 1), o->mss, o, o->wscale,
			      aopts->tsval, rw->tsval);
	__skb_trim(syn, p->thoff + sizeof(*th) + used);
	th->doff = (sizeof(*th) + used) / 4;
	af->finish_syn(syn, p->thoff);
	syn->ip_summed = CHECKSUM_UNNECESSARY;
	syn->csum_level = 0;
	return syn;
}

/*
 * The entry at @priority in @net's @hooknum list that a kernel module
 * registered (not an nftables chain, not a BPF program), or NULL: how we
 * find conntrack, NAT and IPVS, whose priorities are fixed.
 */
static const struct nf_hook_entry *xsp_hook_find(const struct xsp_af *af,
						 struct net *net,
						 unsigned int hooknum,
						 int priority)
{
	const struct nf_hook_entries *e;
	struct nf_hook_ops **ops;
	unsigned int i;

	e = rcu_dereference(*af->hooks(net, hooknum));
	if (!e)
		return NULL;
	ops = nf_hook_entries_get_hook_ops(e);
	for (i = 0; i < e->num_hook_entries; i++)
		if (ops[i]->priority == priority &&
		    ops[i]->hook_ops_type == NF_HOOK_OP_UNDEFINED)
			return &e->hooks[i];
	return NULL;
}

/*
 * Conntrack's own PRE_ROUTING hook in @net, which runs right after ours;
 * NULL where conntrack does not run there.
 */
static const struct nf_hook_entry *xsp_ct_hook(const struct xsp_af *af,
					       struct net *net)
{
	if (!IS_ENABLED(CONFIG_NF_CONNTRACK))
		return NULL;
	return xsp_hook_find(af, net, NF_INET_PRE_ROUTING, af->ct_priority);
}

/*
 * Run conntrack on @skb now rather than in its turn, which then leaves the
 * packet alone (nf_conntrack_in() skips a packet that has its entry).
 * Returns conntrack's verdict.
 */
static unsigned int xsp_ct_now(const struct nf_hook_entry *ct_hook,
			       struct sk_buff *skb,
			       const struct nf_hook_state *state)
{
	struct nf_hook_state st = *state;
	unsigned int verdict;

	do {
		verdict = nf_hook_entry_hookfn(ct_hook, skb, &st);
	} while (verdict == NF_REPEAT);
	return verdict;
}

/*
 * Whether NAT, which runs after us, may still send @skb elsewhere:
 * conntrack has just picked its connection up (its first packet seen) and
 * the namespace has NAT rules, which decide on a connection's first packet.
 */
static bool xsp_nat_may_take(const struct xsp_af *af, struct net *net,
			     const struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	enum ip_conntrack_info ctinfo;
	const struct nf_conn *ct;

	ct = nf_ct_get(skb, &ctinfo);
	if (!ct || nf_ct_is_template(ct) || nf_ct_is_confirmed(ct))
		return false;
	return xsp_hook_find(af, net, NF_INET_PRE_ROUTING, af->nat_priority);
#endif
	return false;
}

/*
 * Whether IPVS serves virtual services in @net (it hooks LOCAL_IN only
 * while it has one): it takes their SYNs in LOCAL_IN before our SYN hook,
 * so no cookie is minted for them, and the segments of their connections
 * next, addressed to a local address and port that a listener of the
 * host's may share (a wildcard one).
 */
static bool xsp_ipvs_may_take(const struct xsp_af *af, struct net *net)
{
	return xsp_hook_find(af, net, NF_INET_LOCAL_IN, af->ipvs_priority);
}

/* Conntrack has yet to look at @skb, and will: not untracked by a rule. */
static bool xsp_ct_pending(const struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct = nf_ct_get(skb, &ctinfo);

	return ct ? nf_ct_is_template(ct) : ctinfo != IP_CT_UNTRACKED;
#else
	return false;
#endif
}

/*
 * After conntrack: @skb is the first segment of its connection conntrack
 * has seen (unconfirmed, new), and NAT has not redirected it.
 */
static bool xsp_ct_pickup(const struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct = nf_ct_get(skb, &ctinfo);

	return ct && ctinfo == IP_CT_NEW && !nf_ct_is_confirmed(ct) &&
	       !nf_ct_is_template(ct) &&
	       !test_bit(IPS_DST_NAT_BIT, &ct->status);
#else
	return false;
#endif
}

/* What raw rules attached to @skb (a zone, a helper), with a reference. */
static struct nf_conntrack *xsp_ct_template(const struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct = nf_ct_get(skb, &ctinfo);

	if (ct && nf_ct_is_template(ct)) {
		nf_conntrack_get(&ct->ct_general);
		return &ct->ct_general;
	}
#endif
	return NULL;
}

/*
 * An ACK conntrack looked at before its replayed SYN existed (to see
 * whether NAT takes it): forget what it found, a pickup or "invalid", and
 * give back what the ruleset's raw rules gave the packet (a zone, a
 * helper: a template), so that conntrack tracks it in its turn, after the
 * SYN and the SYN-ACK, and the rules after us see it established.
 */
static void xsp_ct_forget(struct sk_buff *skb, struct nf_conntrack *tmpl)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	nf_reset_ct(skb);
	if (tmpl)
		nf_ct_set(skb, (struct nf_conn *)tmpl, IP_CT_NEW);
#endif
}

static void xsp_ct_template_put(struct nf_conntrack *tmpl)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	nf_conntrack_put(tmpl);
#endif
}

static unsigned int xsp_replay(struct xsp_net *xn, const struct xsp_af *af,
			       struct sk_buff *skb, const struct xsp_pkt *p,
			       const struct xsp_opts *o,
			       const struct xsp_tcpopts *aopts,
			       const struct xsp_rewrite *rw,
			       struct nf_conntrack *tmpl, bool ct_seen,
			       bool route_by_mark,
			       const struct nf_hook_state *state)
{
	struct xsp_replay *ctx;
	bool delivered, rewritten;
	struct sk_buff *syn;
	int ret;

	syn = xsp_build_syn(af, skb, p, o, aopts, rw);
	if (!syn)
		goto failed;

	/* Usually a no-op: PRE_ROUTING already runs with BHs disabled. */
	local_bh_disable();
	ctx = this_cpu_ptr(&xsp_replay_ctx);
	if (unlikely(ctx->syn)) {
		/* No replay nests in another; the client will retransmit. */
		local_bh_enable();
		kfree_skb(syn);
		goto failed;
	}
	ctx->syn = syn;
	ctx->rw = *rw;
	ctx->delivered = false;
	ctx->rewritten = false;
	xsp_inc(xn, af->fam, XSYNPROXY_STAT_SYN_REPLAYED);
	ret = NF_HOOK(af->nfproto, NF_INET_PRE_ROUTING, state->net, NULL, syn,
		      state->in, NULL, state->okfn);
	delivered = ctx->delivered;
	rewritten = ctx->rewritten;
	ctx->syn = NULL;
	ctx->armed = false;
	local_bh_enable();

	if (rewritten) {
		/*
		 * Conntrack, next after us, now meets SYN, SYN-ACK, ACK in
		 * order, and the rules after it see the ACK established.
		 */
		if (ct_seen)
			xsp_ct_forget(skb, tmpl);
		return NF_ACCEPT;
	}
	/*
	 * Refused by its input route after mangle too (ip_rcv_finish()'s
	 * NET_RX_DROP): the stack refuses the ACK alike. IPv6 never asks.
	 */
	if (!delivered && route_by_mark && ret == NET_RX_DROP) {
		xsp_ct_template_put(tmpl);
		return xsp_step_aside(xn, af, XSYNPROXY_STAT_ACK_REJECTED);
	}
	/*
	 * A hook's NF_DROP before our LOCAL_IN hook (a PREROUTING or INPUT
	 * rule) comes back negative through NF_HOOK(); a queued SYN, or one
	 * a queue dropped, comes back 0. Nothing will reach TCP: no pending
	 * entry, the ACK goes as after a failed replay and the client's next
	 * segment replays again.
	 */
	if (!delivered && ret < 0)
		goto failed;
	if (!delivered) {
		/*
		 * Queued on its way (NFQUEUE, IPsec, another CPU's backlog):
		 * the SYN's cookie arms the rewrite when it reaches TCP. The
		 * ACK must not get there first, or the listener resets the
		 * client. IPsec's transport-mode tasklet keeps the ACK behind
		 * the SYN (one queue per CPU, and we are on the ACK's); a
		 * queue in front of us (NFQUEUE before NAT) or one the ACK
		 * may skip (an NFQUEUE rule for SYNs) does not: drop it, and
		 * the client's retransmission, or the request socket's
		 * SYN-ACK retransmission, completes the handshake.
		 */
		xsp_inc(xn, af->fam, XSYNPROXY_STAT_REPLAY_DEFERRED);
		xsp_inc(xn, af->fam, XSYNPROXY_STAT_ACK_DEFERRED);
		xsp_pending_add(&xn->pending, &rw->t, rw->cookie);
		if (secpath_exists(skb)) {
			if (ct_seen)
				xsp_ct_forget(skb, tmpl);
			return NF_ACCEPT;
		}
		xsp_ct_template_put(tmpl);
		return NF_DROP;
	}
	/*
	 * TCP had the SYN but no request socket took the cookie (accept
	 * queue full, the kernel's own cookies): the stack would reset the
	 * client. Drop the ACK instead; the client retransmits and a later
	 * segment replays again.
	 */
failed:
	xsp_ct_template_put(tmpl);
	xsp_inc(xn, af->fam, XSYNPROXY_STAT_REPLAY_FAILED);
	return NF_DROP;
}

/*
 * Whether no hook but conntrack's follows @ops at @hooknum in @net:
 * conntrack looks neither at skb->sk nor at the route.
 */
static bool xsp_hook_last(const struct xsp_af *af, struct net *net,
			  unsigned int hooknum, const struct nf_hook_ops *ops)
{
	const struct nf_hook_entries *e;
	struct nf_hook_ops **hops;
	unsigned int i;

	e = rcu_dereference(*XSP_AF_CALL(af, hooks, net, hooknum));
	if (!e)
		return false;
	hops = nf_hook_entries_get_hook_ops(e);
	for (i = e->num_hook_entries; i-- > 0;) {
		if (hops[i] == ops)
			return true;
		if (hops[i]->priority != af->ct_priority ||
		    hops[i]->hook_ops_type == NF_HOOK_OP_NF_TABLES)
			return false;
	}
	return false;
}

/*
 * A segment for a socket holding its 4-tuple: do the early demux of
 * ip_rcv_finish() (tcp_v[46]_early_demux()) here, with the socket found,
 * so that an established connection's segments pay one lookup, as without
 * the module: ip_rcv_finish() skips a segment with a socket. Only where
 * that is what the stack would do next: early demux on, a segment to this
 * host received on a device (not in a VRF slave's pass, not in
 * br_netfilter's bridge pass), not a fragment, and no hook left in
 * PRE_ROUTING that could look at skb->sk or the route before the stack
 * does. Otherwise the reference just goes.
 *
 * Full sockets only: they are what an established connection's segments
 * meet. PRE_ROUTING runs for a whole receive batch before TCP sees its
 * first segment, so a request socket found here has often been turned
 * into a child by the time TCP gets the segment, which TCP then looks up
 * again (tcp_check_req()'s req_stolen): nothing saved. Time-wait and
 * request sockets are left to the stack's own early demux.
 */
static void xsp_early_demux(const struct xsp_af *af, struct sk_buff *skb,
			    struct sock *sk, const struct xsp_pkt *p,
			    const struct nf_hook_state *state)
{
	const struct tcphdr *th = (const void *)(skb->data + p->thoff);
	struct net *net = state->net;
	struct dst_entry *dst;

	if (!sk_fullsock(sk) || p->frag || skb->pkt_type != PACKET_HOST ||
	    skb_dst(skb) ||
	    th->doff < sizeof(*th) / 4 ||
	    !READ_ONCE(net->ipv4.sysctl_ip_early_demux) ||
	    !READ_ONCE(net->ipv4.sysctl_tcp_early_demux) ||
	    netif_is_l3_slave(state->in) || nf_bridge_info_exists(skb) ||
	    !xsp_hook_last(af, net, NF_INET_PRE_ROUTING,
			   af->pre_routing_ops)) {
		sock_gen_put(sk);
		return;
	}
	skb->sk = sk;
	skb->destructor = sock_edemux;
	/* IPv4's dst_check() ignores the cookie: one call serves both. */
	dst = rcu_dereference(sk->sk_rx_dst);
	if (dst)
		dst = dst_check(dst, sk->sk_rx_dst_cookie);
	if (dst && READ_ONCE(sk->sk_rx_dst_ifindex) == skb->skb_iif)
		skb_dst_set_noref(skb, dst);
}

/*
 * The cookie of an ACK whose TCP header is pulled: 0 and what the request
 * socket must get in @o and @rw, or XSP_COOKIE_INVALID/STALE.
 */
static int xsp_ack_cookie(struct xsp_net *xn, const struct sk_buff *skb,
			  const struct xsp_pkt *p, struct xsp_tcpopts *aopts,
			  struct xsp_opts *o, struct xsp_rewrite *rw)
{
	const struct tcphdr *th = (const void *)(skb->data + p->thoff);

	if (!xsp_opts_of(skb, p->thoff, aopts))
		aopts->tstamp = false;
	return xsp_decode(xn, &p->t, ntohl(th->seq) - 1,
			  ntohl(th->ack_seq) - 1, aopts->tstamp, aopts->tsecr,
			  xsp_now_ms(), o, rw);
}

/*
 * The listener TCP would hand an ACK no socket holds, its whole TCP header
 * pulled first; NULL when there is none or the header is short.
 */
static struct sock *xsp_ack_listener(const struct xsp_af *af, struct net *net,
				     struct sk_buff *skb,
				     const struct xsp_pkt *p)
{
	const struct tcphdr *th = (const void *)(skb->data + p->thoff);
	unsigned int doff = th->doff * 4;

	if (doff < sizeof(*th) || !pskb_may_pull(skb, p->thoff + doff))
		return NULL;
	return xsp_listener(af, net, skb, p, doff);
}

/* An ACK whose cookie is wrong or stale (@err): forged, counted, dropped. */
static unsigned int xsp_ack_forged(struct xsp_net *xn, const struct xsp_af *af,
				   int err)
{
	xsp_inc(xn, af->fam, XSYNPROXY_STAT_ACK_RECV);
	xsp_inc(xn, af->fam, err == XSP_COOKIE_STALE ?
		XSYNPROXY_STAT_COOKIE_STALE : XSYNPROXY_STAT_COOKIE_INVALID);
	return NF_DROP;
}

static unsigned int xsp_ack(struct xsp_net *xn, const struct xsp_af *af,
			    struct sk_buff *skb, struct xsp_pkt *p,
			    const struct nf_hook_state *state)
{
	const struct nf_hook_entry *ct_hook;
	struct nf_conntrack *tmpl = NULL;
	struct net *net = state->net;
	struct xsp_tcpopts aopts;
	const struct tcphdr *th;
	enum xsp_route route;
	unsigned int verdict;
	struct xsp_rewrite rw;
	struct xsp_opts o;
	struct sock *sk;
	int err;

	/*
	 * Established, time-wait and request sockets take the segment as
	 * usual (found once, for the stack too), and so does traffic that is
	 * not for a local listener: only segments a listener would answer
	 * with a reset pay a MAC.
	 */
	if (skb->sk)
		return NF_ACCEPT;
	sk = XSP_AF_CALL(af, lookup_established, net, p);
	if (sk) {
		xsp_early_demux(af, skb, sk, p, state);
		return NF_ACCEPT;
	}
	if (!af->dst_local(net, skb, state->in, p))
		return NF_ACCEPT;
	sk = xsp_ack_listener(af, net, skb, p);
	if (!sk)
		return NF_ACCEPT;

	/*
	 * NAT, after us, may send the segment elsewhere: a connection
	 * conntrack DNATed (Docker publishes a port so, and docker-proxy
	 * listens on it here as well) is the stack's. Conntrack, which runs
	 * next, knows: let it look now, in its own turn it then leaves the
	 * segment alone.
	 */
	ct_hook = xsp_ct_hook(af, net);
	if (ct_hook && xsp_ct_pending(skb)) {
		tmpl = xsp_ct_template(skb);
		verdict = xsp_ct_now(ct_hook, skb, state);
		if (verdict != NF_ACCEPT || xsp_nated(skb)) {
			xsp_ct_template_put(tmpl);
			return verdict;
		}
	} else {
		ct_hook = NULL;
		if (xsp_nated(skb))
			return NF_ACCEPT;
	}

	err = xsp_ack_cookie(xn, skb, p, &aopts, &o, &rw);
	th = (const void *)(skb->data + p->thoff);
	if (err) {
		xsp_ct_template_put(tmpl);
		/*
		 * The client's next segments, while its replayed SYN is
		 * queued: held back (or behind IPsec let follow it) as the
		 * ACK was, not called forged.
		 */
		if (xsp_pending_find(&xn->pending, &p->t,
				     ntohl(th->ack_seq) - 1)) {
			xsp_inc(xn, af->fam, XSYNPROXY_STAT_ACK_RECV);
			xsp_inc(xn, af->fam, XSYNPROXY_STAT_ACK_DEFERRED);
			return secpath_exists(skb) ? NF_ACCEPT : NF_DROP;
		}
		/*
		 * The first segment conntrack has seen, NAT rules to come; or
		 * IPVS's, in LOCAL_IN. What they leave to the host LOCAL_IN
		 * drops, where conntrack picked it up (xsp_ack_late()).
		 */
		if (xsp_nat_may_take(af, net, skb) ||
		    xsp_ipvs_may_take(af, net))
			return NF_ACCEPT;
		return xsp_ack_forged(xn, af, err);
	}
	xsp_inc(xn, af->fam, XSYNPROXY_STAT_ACK_RECV);
	xsp_inc(xn, af->fam, XSYNPROXY_STAT_COOKIE_VALID);

	/*
	 * What the stack drops before TCP, it drops with us too. A route
	 * refused by the mark the segment has before mangle: the replayed
	 * SYN meets the stack's own check, after mangle.
	 */
	route = p->l3_refused ? XSP_ROUTE_REJECT :
		af->route_input(skb, state->in, p);
	if ((route != XSP_ROUTE_LOCAL && route != XSP_ROUTE_BY_MARK) ||
	    !af->policy_ok(sk, skb)) {
		xsp_ct_template_put(tmpl);
		return xsp_step_aside(xn, af, XSYNPROXY_STAT_ACK_REJECTED);
	}
	return xsp_replay(xn, af, skb, p, &o, &aopts, &rw, tmpl, !!ct_hook,
			  route == XSP_ROUTE_BY_MARK, state);
}

static noinline unsigned int __xsp_pre_routing(void *priv,
					       struct sk_buff *skb,
					       const struct nf_hook_state *state)
{
	struct xsp_net *xn = xsp_pernet_hook(state->net);
	const struct xsp_af *af = priv;
	const struct xsp_ports *ports;
	const struct tcphdr *th;
	struct xsp_pkt p;

	ports = xsp_ports_active(xn);
	if (likely(!ports))
		return NF_ACCEPT;
	/* The VRF's second pass: the first one, on the slave, decided. */
	if (netif_is_l3_master(state->in))
		return NF_ACCEPT;
	if (!XSP_AF_CALL(af, parse, skb, state, &p))
		return NF_ACCEPT;
	th = (const void *)(skb->data + p.thoff);
	if (!th->ack || th->syn || th->rst ||
	    !xsp_port_protected(ports, af, th->dest) ||
	    READ_ONCE(state->net->ipv4.sysctl_tcp_syncookies) == 2)
		return NF_ACCEPT;
	return xsp_ack(xn, af, skb, &p, state);
}

/* Segments with ACK set and neither SYN nor RST: xsp_ack()'s. */
static __always_inline bool xsp_pre_routing_may(const struct xsp_af *af,
						const struct sk_buff *skb)
{
	return xsp_flags_may(af, skb, TCPHDR_ACK | TCPHDR_SYN | TCPHDR_RST,
			     TCPHDR_ACK);
}

XSP_HOOK_BH(xsp_pre_routing, xsp_pre_routing_may)

/* ---- LOCAL_IN: answer SYNs; arm the rewrite for a rebuilt SYN -------- */

/*
 * Run the hooks after ours and then TCP for a rebuilt SYN, with the
 * rewrite @rw armed: the SYN-ACK TCP sends for it passes LOCAL_OUT within
 * this call, on this CPU, wherever this hook runs (the ACK's softirq, a
 * queue's reinjection). The SYN is ours then (NF_STOLEN), as nf_reinject()
 * continues a packet.
 */
static unsigned int xsp_deliver_armed(const struct xsp_af *af,
				      struct xsp_replay *ctx,
				      const struct xsp_rewrite *rw,
				      struct sk_buff *skb,
				      const struct nf_hook_state *state)
{
	const struct nf_hook_entries *e;
	struct xsp_rewrite outer_rw;
	struct nf_hook_state st;
	struct nf_hook_ops **ops;
	bool outer_armed;
	unsigned int i;
	int ret;

	e = rcu_dereference(*af->hooks(state->net, NF_INET_LOCAL_IN));
	ops = nf_hook_entries_get_hook_ops(e);
	for (i = 0; i < e->num_hook_entries; i++)
		if (ops[i] == af->local_in_ops)
			break;
	if (WARN_ON_ONCE(i == e->num_hook_entries))
		return NF_ACCEPT;

	/* Nothing nests here in practice; keep an outer arm if it did. */
	outer_rw = ctx->rw;
	outer_armed = ctx->armed;
	ctx->rw = *rw;
	ctx->armed = true;
	st = *state;
	ret = nf_hook_slow(skb, &st, e, i + 1);
	if (ret == 1)
		state->okfn(state->net, state->sk, skb);
	ctx->rw = outer_rw;
	ctx->armed = outer_armed;
	return NF_STOLEN;
}

/*
 * LOCAL_IN: an ACK conntrack picked up at this segment, which PRE_ROUTING
 * left to NAT or IPVS (xsp_nat_may_take(), xsp_ipvs_may_take()) and they
 * left to this host. With no
 * socket for it, a listener, and a cookie that does not check, it is the
 * forged ACK PRE_ROUTING drops where no NAT follows: dropped here, before
 * conntrack confirms an entry for it. Anything else is the stack's.
 */
static unsigned int xsp_ack_late(struct xsp_net *xn, const struct xsp_af *af,
				 struct sk_buff *skb, const struct xsp_pkt *p,
				 const struct nf_hook_state *state)
{
	struct net *net = state->net;
	struct xsp_tcpopts aopts;
	const struct tcphdr *th;
	struct xsp_rewrite rw;
	struct xsp_opts o;
	int err;

	if (READ_ONCE(net->ipv4.sysctl_tcp_syncookies) == 2 || skb->sk ||
	    xsp_dst_elsewhere(skb, net) || xsp_tuple_has_socket(af, net, p))
		return NF_ACCEPT;
	if (!xsp_ack_listener(af, net, skb, p))
		return NF_ACCEPT;
	err = xsp_ack_cookie(xn, skb, p, &aopts, &o, &rw);
	th = (const void *)(skb->data + p->thoff);
	if (!err ||
	    xsp_pending_find(&xn->pending, &p->t, ntohl(th->ack_seq) - 1))
		return NF_ACCEPT;
	return xsp_ack_forged(xn, af, err);
}

static noinline unsigned int __xsp_local_in(void *priv, struct sk_buff *skb,
					    const struct nf_hook_state *state)
{
	struct xsp_replay *ctx = this_cpu_ptr(&xsp_replay_ctx);
	struct xsp_net *xn = xsp_pernet_hook(state->net);
	const struct xsp_af *af = priv;
	const struct xsp_ports *ports;
	struct xsp_tcpopts opts;
	struct xsp_rewrite rw;
	const struct tcphdr *th;
	struct xsp_opts dec;
	struct xsp_pkt p;
	bool bypass;

	if (ctx->syn == skb) {
		ctx->delivered = true;
		return xsp_deliver_armed(af, ctx, &ctx->rw, skb, state);
	}
	ports = xsp_ports_active(xn);
	if (likely(!ports) || !XSP_AF_CALL(af, parse, skb, state, &p))
		return NF_ACCEPT;
	th = (const void *)(skb->data + p.thoff);
	if (!xsp_port_protected(ports, af, th->dest))
		return NF_ACCEPT;
	if (!th->syn && th->ack && !th->rst && xsp_ct_pickup(skb))
		return xsp_ack_late(xn, af, skb, &p, state);
	if (!th->syn || th->ack)
		return NF_ACCEPT;
	/* The sysctl is per namespace and governs IPv6 too. */
	bypass = READ_ONCE(state->net->ipv4.sysctl_tcp_syncookies) == 2;
	xsp_state_seen(xn, bypass);
	if (bypass) {
		xsp_inc(xn, af->fam, XSYNPROXY_STAT_SYN_BYPASS);
		return NF_ACCEPT;
	}
	if (likely(!th->ack_seq))
		return xsp_syn(xn, af, skb, &p, state);

	/* A SYN with an acknowledgment number: maybe a queued replay. */
	if (th->doff * 4 >= sizeof(*th) &&
	    pskb_may_pull(skb, p.thoff + th->doff * 4) &&
	    xsp_opts_of(skb, p.thoff, &opts)) {
		th = (const void *)(skb->data + p.thoff);
		if (!xsp_decode(xn, &p.t, ntohl(th->seq), ntohl(th->ack_seq),
				opts.tstamp, opts.tsecr, xsp_now_ms(), &dec,
				&rw))
			return xsp_deliver_armed(af, ctx, &rw, skb, state);
	}
	return xsp_syn(xn, af, skb, &p, state);
}

/*
 * SYNs without ACK, our rebuilt ones among them; and the first segment
 * conntrack saw of a connection, which PRE_ROUTING may have left to NAT.
 */
static __always_inline bool xsp_local_in_may(const struct xsp_af *af,
					     const struct sk_buff *skb)
{
	return xsp_flags_may(af, skb, TCPHDR_SYN | TCPHDR_ACK, TCPHDR_SYN) ||
	       (unlikely(xsp_ct_pickup(skb)) &&
		xsp_flags_may(af, skb, TCPHDR_ACK | TCPHDR_SYN | TCPHDR_RST,
			      TCPHDR_ACK));
}

XSP_HOOK_BH(xsp_local_in, xsp_local_in_may)

/* ---- LOCAL_OUT: the stack's SYN-ACK for a replayed SYN ----------------- */

/* Timestamp clock units per millisecond of a request socket. */
static u32 xsp_ts_per_ms(const struct request_sock *req)
{
#ifdef XSP_HAVE_REQ_USEC_TS
	if (tcp_rsk(req)->req_usec_ts)
		return USEC_PER_MSEC;
#endif
	return 1;
}

/*
 * Give the request socket what the client was promised and make the
 * stack's SYN-ACK say the same, so conntrack (next hook) tracks the
 * sequence numbers the client actually uses.
 *
 * RTT: the request socket's SYN-ACK time is when ours left, as far as the
 * cookie knows it: from the TSval's time field with timestamps (rounded
 * up, so the first sample is never below the path's RTT), unknown (0, as
 * the kernel's own cookies leave it) without; the TSval clock continues
 * ours from that time on.
 */
static void xsp_rewrite_req(const struct xsp_rewrite *rw,
			    struct request_sock *req, struct tcphdr *th)
{
	struct inet_request_sock *ireq = inet_rsk(req);
	struct tcp_request_sock *treq = tcp_rsk(req);
	struct xsp_tcpopts so;
	u8 *p = (u8 *)(th + 1);
	int i, len, olen;

	treq->snt_isn = rw->cookie;
	th->seq = htonl(rw->cookie);
	if (rw->wscale_ok)
		ireq->rcv_wscale = rw->rcv_wscale;
	ireq->ecn_ok = rw->ecn;
	th->ece = rw->ecn;
	treq->snt_synack = 0;

	len = th->doff * 4 - sizeof(*th);
	if (!rw->tstamp || !xsp_parse_opts(p, len, &so) || !so.tstamp)
		return;
	/* so.tsval is the stack's clock now plus ts_off, in its units. */
	treq->ts_off += rw->tsval - so.tsval + rw->age_ms * xsp_ts_per_ms(req);
	treq->snt_synack = tcp_clock_us() - (u64)rw->age_ms * USEC_PER_MSEC;
	for (i = 0; i < len && p[i] != TCPOPT_EOL; i += olen) {
		olen = p[i] == TCPOPT_NOP ? 1 : p[i + 1];
		if (p[i] == TCPOPT_TIMESTAMP)
			put_unaligned_be32(rw->tsval, p + i + 2);
		if (p[i] == TCPOPT_WINDOW && rw->wscale_ok)
			p[i + 2] = rw->rcv_wscale;
	}
	/* The checksum is left stale: this packet never leaves the host. */
}

/* xsp_local_out() with a rewrite armed: is @skb the SYN-ACK it waits for? */
static noinline unsigned int xsp_local_out_armed(const struct xsp_af *af,
						 struct xsp_replay *ctx,
						 struct sk_buff *skb,
						 const struct nf_hook_state *state)
{
	const struct xsp_rewrite *rw;
	struct xsp_net *xn;
	unsigned int thoff;
	struct xsp_tuple t;
	struct tcphdr *th;

	/*
	 * A VRF runs LOCAL_OUT twice, first for its own device with the
	 * packet untracked, then for the slave, tracked: rewrite (and
	 * consume) in the round conntrack sees.
	 */
	if (state->out && netif_is_l3_master(state->out))
		return NF_ACCEPT;
	rw = &ctx->rw;
	if (rw->t.family != af->family || !af->parse_out(skb, &t, &thoff) ||
	    skb_ensure_writable(skb, thoff + sizeof(*th)))
		return NF_ACCEPT;
	th = (struct tcphdr *)(skb->data + thoff);
	if (!th->syn || !th->ack || th->dest != rw->t.sport ||
	    th->source != rw->t.dport || ntohl(th->ack_seq) != rw->isn + 1 ||
	    memcmp(&t.saddr, &rw->t.saddr, sizeof(t.saddr)) ||
	    memcmp(&t.daddr, &rw->t.daddr, sizeof(t.daddr)))
		return NF_ACCEPT;
	if (skb_ensure_writable(skb, thoff + th->doff * 4))
		return NF_ACCEPT;
	th = (struct tcphdr *)(skb->data + thoff);

	ctx->armed = false;	/* one SYN-ACK per arm */
	xn = xsp_pernet_hook(state->net);
	/* A SYN-ACK of the kernel's own cookies has no request socket. */
	if (skb->sk && skb->sk->sk_state == TCP_NEW_SYN_RECV) {
		xsp_rewrite_req(rw, inet_reqsk(skb->sk), th);
		ctx->rewritten = true;
		xsp_inc(xn, af->fam, XSYNPROXY_STAT_SYNACK_REWRITTEN);
	} else {
		xsp_inc(xn, af->fam, XSYNPROXY_STAT_SYNACK_DROPPED);
	}
	ctx->synack = skb;
	return NF_ACCEPT;
}

/*
 * Every packet the namespace sends passes here, so the test comes first
 * and alone; the rest, with its stack frame, only for a replay's SYN-ACK.
 */
unsigned int xsp_local_out(void *priv, struct sk_buff *skb,
			   const struct nf_hook_state *state)
{
	struct xsp_replay *ctx = xsp_replay_get();

	if (likely(!ctx || !ctx->armed))
		return NF_ACCEPT;
	return xsp_local_out_armed(priv, ctx, skb, state);
}

unsigned int xsp_local_out_end(void *priv, struct sk_buff *skb,
			       const struct nf_hook_state *state)
{
	struct xsp_replay *ctx = xsp_replay_get();

	if (likely(!ctx || ctx->synack != skb))
		return NF_ACCEPT;
	if (state->out && netif_is_l3_master(state->out))
		return NF_ACCEPT;
	ctx->synack = NULL;
	consume_skb(skb);
	return NF_STOLEN;
}

int xsp_hooks_register(struct net *net)
{
	int err;

	err = xsp_ipv4_register(net);
	if (err)
		goto err_ipv4;
#if IS_ENABLED(CONFIG_IPV6)
	err = xsp_ipv6_register(net);
	if (err)
		goto err_ipv6;
#endif
	return 0;

#if IS_ENABLED(CONFIG_IPV6)
err_ipv6:
	xsp_ipv4_unregister(net);
#endif
err_ipv4:
	return err;
}

void xsp_hooks_unregister(struct net *net)
{
#if IS_ENABLED(CONFIG_IPV6)
	xsp_ipv6_unregister(net);
#endif
	xsp_ipv4_unregister(net);
}
