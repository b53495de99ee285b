/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * xsynproxy: stateless SYN proxy with rolling-salt cookies.
 *
 * Generic netlink interface. Every object lives in the network namespace of
 * the requesting socket. Commands that change state need CAP_NET_ADMIN in
 * the user namespace owning that network namespace (GENL_UNS_ADMIN_PERM);
 * reading needs no privilege except where noted.
 *
 * Conventions follow the rest of genetlink: a request carries a genlmsghdr
 * with .cmd set to one of enum xsynproxy_cmd and .version XSYNPROXY_GENL_VERSION,
 * followed by attributes of enum xsynproxy_attr. Errors come back as netlink
 * error messages, usually with an extended ACK message naming the offending
 * attribute.
 */
#ifndef _UAPI_LINUX_XSYNPROXY_H
#define _UAPI_LINUX_XSYNPROXY_H

#include <linux/types.h>

#define XSYNPROXY_GENL_NAME	"xsynproxy"
#define XSYNPROXY_GENL_VERSION	1
/* Multicast group of the events (XSYNPROXY_CMD_*_NTF), see below. */
#define XSYNPROXY_MCGRP_MONITOR	"monitor"

/* Length of the master key, in bytes. */
#define XSYNPROXY_KEY_LEN	16
/* Longest epoch, in seconds (EPOCH_LEN is 1..XSYNPROXY_EPOCH_LEN_MAX). */
#define XSYNPROXY_EPOCH_LEN_MAX	3600
/* WSCALE value meaning "no window scale option". */
#define XSYNPROXY_WSCALE_NONE	15

/*
 * Commands.
 *
 * XSYNPROXY_CMD_INFO_GET (do)
 *	Reply: VERSION, GENL_VERSION, STATE, PORT_COUNT, BUDGET, KEY_ID,
 *	EPOCH, EPOCH_LEN, SYNACK.
 *
 * XSYNPROXY_CMD_PORT_ADD (do, admin)
 *	Request: PORT_LO, optional PORT_HI (default PORT_LO), optional
 *	PORT_ENABLED (default 1), optional FAMILY (AF_INET or AF_INET6; absent
 *	or AF_UNSPEC: both families). Protects ports PORT_LO..PORT_HI
 *	inclusive, for that family. The range must not overlap an existing
 *	one of the same family or of both (-EEXIST). Reply: the new range as
 *	in PORT_GET.
 *
 * XSYNPROXY_CMD_PORT_DEL (do, admin)
 *	Request: PORT_LO, optional PORT_HI, optional FAMILY. Must name an
 *	existing range exactly, family included (-ENOENT otherwise). Without
 *	PORT_LO: flush all ranges.
 *
 * XSYNPROXY_CMD_PORT_SET (do, admin)
 *	Request: PORT_LO, optional PORT_HI and FAMILY naming an existing range
 *	exactly, PORT_ENABLED. Turns protection of that range on or off while
 *	keeping it configured. Reply: the range.
 *
 * XSYNPROXY_CMD_PORT_GET (dump)
 *	One message per range: PORT_LO, PORT_HI, PORT_ENABLED, and FAMILY for a
 *	range of one family only. Dumps set NLM_F_DUMP_INTR when the table
 *	changed while being dumped.
 *
 * XSYNPROXY_CMD_SALT_GET (do)
 *	Reply: KEY_ID, KEY_SHARED, EPOCH, EPOCH_LEN, PREV_KEY_ID (when the
 *	previous key is still accepted). The key itself is never reported.
 *
 * XSYNPROXY_CMD_SALT_ROTATE (do, admin)
 *	Request: optional KEY (XSYNPROXY_KEY_LEN bytes); without it a random
 *	key is drawn. Cookies minted under the previous key stay valid for
 *	the rest of their validity window. Reply: as SALT_GET.
 *
 * XSYNPROXY_CMD_SALT_SET (do, admin)
 *	Request: optional KEY (installs it as a rotate would, marking the key
 *	shared; the key already installed is a no-op), optional EPOCH_LEN in
 *	seconds (1..XSYNPROXY_EPOCH_LEN_MAX). Reply: as SALT_GET.
 *
 * XSYNPROXY_CMD_BUDGET_SET (do, admin)
 *	Request: BUDGET, SYN-ACKs per second the namespace may send; 0 means
 *	unlimited. Reply: as INFO_GET.
 *
 * XSYNPROXY_CMD_DATAPATH_SET (do, admin)
 *	Request: SYNACK, how SYN-ACKs are built (enum xsynproxy_synack).
 *	Reply: as INFO_GET.
 *
 * XSYNPROXY_CMD_STATS_GET (do)
 *	Request: optional FAMILY (AF_INET or AF_INET6).
 *	Reply: STATS, a nest of enum xsynproxy_stat u64 counters summed over
 *	all CPUs and both address families (with FAMILY: over that family
 *	only, and FAMILY is echoed); STAT_NAMES, the name of every counter
 *	the module has; without FAMILY, one FAMILY_STATS nest per address
 *	family (FAMILY, STATS). All values come from one read of the
 *	counters, so STATS is the sum of the FAMILY_STATS. Userspace should
 *	print a counter under the name STAT_NAMES gives it, so that a newer
 *	module's counters show under their real names.
 *
 * XSYNPROXY_CMD_STATS_RESET (do, admin)
 *	Zeroes the counters of every family (FAMILY is refused). Reply: as
 *	STATS_GET without FAMILY, with the counters as they were just before.
 *
 * XSYNPROXY_CMD_COOKIE_MINT (do, admin)
 *	Diagnostic: mints a cookie with the namespace's current secrets as
 *	the datapath would for a SYN from SADDR:SPORT to DADDR:DPORT with
 *	client ISN CLIENT_ISN and options MSS, WSCALE (15 = none), SACK, ECN,
 *	TSTAMP. Reply: COOKIE, TSVAL (when TSTAMP), MSS (as encoded), EPOCH.
 *	Lets tests check that the module and userspace share one cookie.
 *
 * Events: sent to the XSYNPROXY_MCGRP_MONITOR group of the namespace where
 * the change happened (and only there), after the change, one per change,
 * in the order the changes were made. Requests that change nothing (a
 * range set to the state it has, the key already installed, the same
 * budget) send none. Listening needs no privilege.
 *
 * XSYNPROXY_CMD_PORT_ADD_NTF, XSYNPROXY_CMD_PORT_SET_NTF
 *	A range was added, or its protection turned on or off: PORT_LO,
 *	PORT_HI, PORT_ENABLED as they are now.
 *
 * XSYNPROXY_CMD_PORT_DEL_NTF
 *	A range was removed: PORT_LO, PORT_HI, PORT_ENABLED as it was.
 *
 * XSYNPROXY_CMD_PORT_FLUSH_NTF
 *	All ranges were removed: PORT_COUNT, how many there were (never 0).
 *
 * XSYNPROXY_CMD_SALT_ROTATE_NTF, XSYNPROXY_CMD_KEY_SET_NTF,
 * XSYNPROXY_CMD_EPOCH_LEN_NTF
 *	A random key was drawn (SALT_ROTATE), an operator's key was installed
 *	(SALT_SET with KEY), the epoch length changed (SALT_SET with
 *	EPOCH_LEN). Attributes as in the SALT_GET reply, after the change:
 *	key ids, never the key. A SALT_SET changing both sends EPOCH_LEN_NTF
 *	then KEY_SET_NTF.
 *
 * XSYNPROXY_CMD_BUDGET_NTF
 *	The budget changed: BUDGET.
 *
 * XSYNPROXY_CMD_DATAPATH_NTF
 *	A datapath setting changed: SYNACK.
 *
 * XSYNPROXY_CMD_STATE_NTF
 *	The namespace changed state: STATE (now), PREV_STATE. Port changes
 *	move it between IDLE and ACTIVE (sent after their own event); a
 *	change of net.ipv4.tcp_syncookies to or from 2 moves it between
 *	ACTIVE and BYPASS, noticed on the next SYN to a protected port or
 *	within about a second without one.
 */
enum xsynproxy_cmd {
	XSYNPROXY_CMD_UNSPEC,
	XSYNPROXY_CMD_INFO_GET,
	XSYNPROXY_CMD_PORT_ADD,
	XSYNPROXY_CMD_PORT_DEL,
	XSYNPROXY_CMD_PORT_SET,
	XSYNPROXY_CMD_PORT_GET,
	XSYNPROXY_CMD_SALT_GET,
	XSYNPROXY_CMD_SALT_ROTATE,
	XSYNPROXY_CMD_SALT_SET,
	XSYNPROXY_CMD_BUDGET_SET,
	XSYNPROXY_CMD_STATS_GET,
	XSYNPROXY_CMD_STATS_RESET,
	XSYNPROXY_CMD_COOKIE_MINT,
	XSYNPROXY_CMD_PORT_ADD_NTF,
	XSYNPROXY_CMD_PORT_DEL_NTF,
	XSYNPROXY_CMD_PORT_SET_NTF,
	XSYNPROXY_CMD_PORT_FLUSH_NTF,
	XSYNPROXY_CMD_SALT_ROTATE_NTF,
	XSYNPROXY_CMD_KEY_SET_NTF,
	XSYNPROXY_CMD_EPOCH_LEN_NTF,
	XSYNPROXY_CMD_BUDGET_NTF,
	XSYNPROXY_CMD_STATE_NTF,
	XSYNPROXY_CMD_DATAPATH_SET,
	XSYNPROXY_CMD_DATAPATH_NTF,

	__XSYNPROXY_CMD_MAX,
	XSYNPROXY_CMD_MAX = __XSYNPROXY_CMD_MAX - 1
};

/*
 * Attributes.
 *
 * VERSION	string, module version.
 * GENL_VERSION	u32, XSYNPROXY_GENL_VERSION of the module.
 * STATE	u32, enum xsynproxy_state of the namespace.
 * PORT_LO	u16, first port of a range (1..65535).
 * PORT_HI	u16, last port of a range (PORT_LO..65535).
 * PORT_ENABLED	u8, 0 or 1.
 * PORT_COUNT	u32, number of configured ranges.
 * KEY		binary, XSYNPROXY_KEY_LEN bytes; write only.
 * KEY_ID	u32, non-secret fingerprint of the master key, for comparing
 *		keys across nodes.
 * KEY_SHARED	u8, 1 when the key was set by the operator.
 * PREV_KEY_ID	u32, fingerprint of the previous key while still accepted.
 * EPOCH	u64, current epoch (wall-clock seconds / EPOCH_LEN).
 * EPOCH_LEN	u32, epoch length in seconds.
 * BUDGET	u32, SYN-ACKs per second, 0 = unlimited.
 * STATS	nest of enum xsynproxy_stat, each u64.
 * SADDR, DADDR	binary, 4 (IPv4) or 16 (IPv6) bytes, network order.
 * SPORT, DPORT	u16, host order.
 * CLIENT_ISN	u32.
 * MSS		u16.
 * WSCALE	u8, 0..14, 15 = no window scale option.
 * SACK, ECN, TSTAMP	u8 flags.
 * COOKIE	u32, server ISN.
 * TSVAL	u32, SYN-ACK TSval.
 * STAT_NAMES	nest of NUL-terminated strings, one per counter, each with
 *		the enum xsynproxy_stat value of its counter as its type: the
 *		lower-case name of the counter ("syn_recv"), at most 31
 *		characters of [a-z0-9_].
 * FAMILY	u16, address family: AF_INET or AF_INET6.
 * FAMILY_STATS	nest of FAMILY and STATS: the counters of one address family.
 *		Repeated, once per family.
 * PREV_STATE	u32, enum xsynproxy_state before a state change.
 * SYNACK	u32, enum xsynproxy_synack.
 */
enum xsynproxy_attr {
	XSYNPROXY_A_UNSPEC,
	XSYNPROXY_A_PAD,
	XSYNPROXY_A_VERSION,
	XSYNPROXY_A_GENL_VERSION,
	XSYNPROXY_A_STATE,
	XSYNPROXY_A_PORT_LO,
	XSYNPROXY_A_PORT_HI,
	XSYNPROXY_A_PORT_ENABLED,
	XSYNPROXY_A_PORT_COUNT,
	XSYNPROXY_A_KEY,
	XSYNPROXY_A_KEY_ID,
	XSYNPROXY_A_KEY_SHARED,
	XSYNPROXY_A_PREV_KEY_ID,
	XSYNPROXY_A_EPOCH,
	XSYNPROXY_A_EPOCH_LEN,
	XSYNPROXY_A_BUDGET,
	XSYNPROXY_A_STATS,
	XSYNPROXY_A_SADDR,
	XSYNPROXY_A_DADDR,
	XSYNPROXY_A_SPORT,
	XSYNPROXY_A_DPORT,
	XSYNPROXY_A_CLIENT_ISN,
	XSYNPROXY_A_MSS,
	XSYNPROXY_A_WSCALE,
	XSYNPROXY_A_SACK,
	XSYNPROXY_A_ECN,
	XSYNPROXY_A_TSTAMP,
	XSYNPROXY_A_COOKIE,
	XSYNPROXY_A_TSVAL,
	XSYNPROXY_A_STAT_NAMES,
	XSYNPROXY_A_FAMILY,
	XSYNPROXY_A_FAMILY_STATS,
	XSYNPROXY_A_PREV_STATE,
	XSYNPROXY_A_SYNACK,

	__XSYNPROXY_A_MAX,
	XSYNPROXY_A_MAX = __XSYNPROXY_A_MAX - 1
};

/*
 * State of a namespace.
 *
 * IDLE		no port is protected; the hooks return at once.
 * ACTIVE	answering SYNs for protected ports.
 * BYPASS	net.ipv4.tcp_syncookies is 2: the kernel answers every SYN with
 *		its own cookie and would reject a replayed SYN's request
 *		socket, so xsynproxy steps aside and lets the stack handle
 *		protected ports (counted as SYN_BYPASS).
 */
enum xsynproxy_state {
	XSYNPROXY_STATE_IDLE,
	XSYNPROXY_STATE_ACTIVE,
	XSYNPROXY_STATE_BYPASS,
};

/*
 * How SYN-ACKs are built.
 *
 * AUTO		in the SYN's own buffer where that is safe (it carries no IP
 *		options or extension headers, no IPsec state, no tunnel
 *		metadata, is not GSO or shared), else in a new one; the
 *		SYNACK_* counters say which and why. The default.
 * COPY		always in a new buffer (SYNACK_COPY_FORCED). The packets are
 *		the same either way; this is for comparing the two paths.
 */
enum xsynproxy_synack {
	XSYNPROXY_SYNACK_AUTO,
	XSYNPROXY_SYNACK_COPY,
};

/*
 * Counters, per namespace and address family, summed over CPUs. The names
 * userspace shows are the module's (STAT_NAMES): the lower-case enum name
 * without its prefix (SYN_RECV is "syn_recv"). The same names head the
 * columns of /proc/net/stat/xsynproxy.
 *
 * SYN_RECV		SYNs to a protected port seen by the hook.
 * SYN_ANSWERED		cookie SYN-ACKs sent.
 * SYN_BAD_CSUM		SYNs dropped for a bad TCP checksum.
 * SYN_MALFORMED	SYNs dropped for a bad header, options or flags.
 * SYN_OVER_BUDGET	SYNs dropped because the reply budget was spent.
 * SYN_SEND_FAILED	SYN-ACKs that could not be built or routed.
 * SYN_BYPASS		SYNs left to the stack while in BYPASS state.
 * ACK_RECV		ACKs to a protected port of a local listener with no
 *			socket, checked.
 * COOKIE_VALID		ACKs whose cookie was valid.
 * COOKIE_INVALID	ACKs dropped for a bad cookie.
 * COOKIE_STALE		ACKs dropped for a cookie from an expired epoch.
 * SYN_REPLAYED		reconstructed SYNs delivered to the stack.
 * SYNACK_REWRITTEN	stack SYN-ACKs whose request socket got the cookie
 *			ISN (and then were dropped).
 * SYNACK_DROPPED	stack SYN-ACKs for a replayed SYN that no request socket
 *			took (the kernel's own cookie SYN-ACK), dropped: the
 *			client has ours. Retransmitted SYN-ACKs of a request
 *			socket that took the cookie go to the client.
 * ACK_RECV and the cookie counters count ACKs to a local listener only.
 * REPLAY_FAILED	replays after which no request socket with the
 *			cookie ISN existed (accept queue full, syncookies
 *			mode, listener gone, a rule dropped the replayed
 *			SYN): the client retransmits and a later segment
 *			replays again.
 * SYN_TO_SOCKET	SYNs left to the stack because a socket already
 *			holds their 4-tuple (TIME_WAIT, established, request):
 *			the stack decides, as without the module.
 *
 * The counters below, but SYN_FRAGMENT and REPLAY_DEFERRED, count packets
 * to a protected port that xsynproxy steps aside from: it leaves them to
 * the stack untouched, which then does exactly what it does without the
 * module (answers, forwards, refuses or drops them).
 *
 * SYN_NOT_LOCAL	the destination is a local broadcast or multicast
 *			address (the stack never answers those), or TCP
 *			takes the SYN in another namespace (an ipvlan L3S
 *			slave's, routed there, run through this one's
 *			hooks). Forwarded and bridged SYNs never reach the
 *			hook that answers.
 * ACK_REJECTED	ACKs with a valid cookie that the stack would drop
 *			before TCP (martian or reverse-path-failing source,
 *			IPsec inbound policy): left to it, no replay; or,
 *			where the reverse-path check takes the mark
 *			(src_valid_mark), after a replay it refused too.
 * SYN_NAT		the connection is destination-NATed (DNAT, REDIRECT)
 *			or steered to a socket (TPROXY).
 * SYN_NO_LISTENER	no listening socket: the stack refuses the connection.
 * SYN_POLICY		the IPsec inbound policy rejects the SYN: the stack
 *			drops it.
 * SYN_UNSUPPORTED	the listener signs segments (TCP-MD5, TCP-AO) or the
 *			SYN asks an MPTCP listener for MPTCP: a cookie cannot
 *			carry that handshake.
 * SYN_NO_ROUTE		no unicast route back to the client for the SYN-ACK.
 * SYN_FRAGMENT		SYNs arriving as IP fragments (or, for IPv6, with a
 *			fragment header), dropped: no client sends them.
 * REPLAY_DEFERRED	replayed SYNs that did not reach TCP at once (queued
 *			to userspace by NFQUEUE, by IPsec or to another CPU):
 *			their cookie completes the handshake when they do.
 * ACK_DEFERRED		segments of a connection whose replayed SYN is still
 *			on its way (the ACK included): dropped, so that they
 *			do not reach the listener before the SYN (the client
 *			retransmits), or, behind IPsec, whose queue keeps
 *			them in order, let follow it.
 * SYNACK_REUSED	SYN-ACKs sent in the buffer of the SYN they answer.
 * SYNACK_COPY_FORCED	SYN-ACKs built in a new buffer because SYNACK is
 *			COPY; the next three counters, the same because the
 *			SYN carried IP options or IPv6 extension headers
 *			(COPY_OPTS), IPsec state (COPY_IPSEC), or was shared,
 *			GSO, from the memory reserves or carried tunnel
 *			metadata (COPY_OTHER). Each cookie SYN-ACK counts in
 *			exactly one of SYNACK_REUSED and SYNACK_COPY_*, sent
 *			or not (SYN_SEND_FAILED).
 */
enum xsynproxy_stat {
	XSYNPROXY_STAT_UNSPEC,
	XSYNPROXY_STAT_PAD,
	XSYNPROXY_STAT_SYN_RECV,
	XSYNPROXY_STAT_SYN_ANSWERED,
	XSYNPROXY_STAT_SYN_BAD_CSUM,
	XSYNPROXY_STAT_SYN_MALFORMED,
	XSYNPROXY_STAT_SYN_OVER_BUDGET,
	XSYNPROXY_STAT_SYN_SEND_FAILED,
	XSYNPROXY_STAT_SYN_BYPASS,
	XSYNPROXY_STAT_ACK_RECV,
	XSYNPROXY_STAT_COOKIE_VALID,
	XSYNPROXY_STAT_COOKIE_INVALID,
	XSYNPROXY_STAT_COOKIE_STALE,
	XSYNPROXY_STAT_SYN_REPLAYED,
	XSYNPROXY_STAT_SYNACK_REWRITTEN,
	XSYNPROXY_STAT_SYNACK_DROPPED,
	XSYNPROXY_STAT_REPLAY_FAILED,
	XSYNPROXY_STAT_SYN_TO_SOCKET,
	XSYNPROXY_STAT_SYN_NOT_LOCAL,
	XSYNPROXY_STAT_ACK_REJECTED,
	XSYNPROXY_STAT_SYN_NAT,
	XSYNPROXY_STAT_SYN_NO_LISTENER,
	XSYNPROXY_STAT_SYN_POLICY,
	XSYNPROXY_STAT_SYN_UNSUPPORTED,
	XSYNPROXY_STAT_SYN_NO_ROUTE,
	XSYNPROXY_STAT_SYN_FRAGMENT,
	XSYNPROXY_STAT_REPLAY_DEFERRED,
	XSYNPROXY_STAT_ACK_DEFERRED,
	XSYNPROXY_STAT_SYNACK_REUSED,
	XSYNPROXY_STAT_SYNACK_COPY_FORCED,
	XSYNPROXY_STAT_SYNACK_COPY_OPTS,
	XSYNPROXY_STAT_SYNACK_COPY_IPSEC,
	XSYNPROXY_STAT_SYNACK_COPY_OTHER,

	__XSYNPROXY_STAT_MAX,
	XSYNPROXY_STAT_MAX = __XSYNPROXY_STAT_MAX - 1
};

#endif /* _UAPI_LINUX_XSYNPROXY_H */
