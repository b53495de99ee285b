/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xsynproxy: rolling-salt SYN cookies.
 *
 * Pure code: no clock, no randomness, no allocation, no global state. The
 * same file is built into the module and into the userspace tests in
 * selftests/cookie (through kshim.h). See Documentation/cookie.rst.
 *
 * Server ISN (bit 31 is the most significant bit):
 *
 *   31                               10  9   8   6 5    2  1    0
 *  +-----------------------------------+---+-----+------+----+----+
 *  |             MAC (22)              | E | MSS | WS   |ECN |SACK|
 *  +-----------------------------------+---+-----+------+----+----+
 *                                       \__ XOR ISN bits 31..22 __/
 *
 *  MAC  bits 0..21 of the SipHash-2-4 output
 *  E    epoch parity, picks the salt on the ACK path
 *  MSS  index into the per-family MSS table
 *  WS   client window scale 0..14, 15 = no window scale option
 *  ECN  the SYN carried ECE and CWR
 *  SACK the SYN carried SACK-permitted
 *
 * The ten data bits are stored XORed with the top ten MAC bits so that the
 * ISN looks uniformly random on the wire; this adds no strength.
 *
 * TSval (only when the client offered timestamps):
 *
 *   31                                       8 7            0
 *  +------------------------------------------+--------------+
 *  |        MAC (24): SipHash bits 40..63      |  time (8)    |
 *  +------------------------------------------+--------------+
 *
 *  time  wall-clock milliseconds >> XSP_TS_TIME_SHIFT, mod 256, at mint: the
 *        ACK's TSecr tells how long ago the SYN-ACK left, so the server's
 *        first RTT sample is the path's (xsp_cookie_ts_age()).
 *
 * MAC input: saddr, daddr, sport, dport (network order, client = source),
 * client ISN and a meta word (ISN data bits, timestamps-offered flag, the
 * TSval time field and a format version), keyed with the salt of the
 * cookie's epoch.
 */
#ifndef _XSP_COOKIE_H
#define _XSP_COOKIE_H

#ifdef __KERNEL__
#include <linux/bits.h>
#include <linux/types.h>
#include <linux/in6.h>
#include <linux/siphash.h>
#else
#include "kshim.h"
#endif

#define XSP_KEY_LEN		16
#define XSP_EPOCH_LEN_DEFAULT	60

/* ISN layout */
#define XSP_ISN_SACK_SHIFT	0
#define XSP_ISN_ECN_SHIFT	1
#define XSP_ISN_WSCALE_SHIFT	2
#define XSP_ISN_WSCALE_MASK	0xfU
#define XSP_ISN_MSS_SHIFT	6
#define XSP_ISN_MSS_MASK	0x7U
#define XSP_ISN_EPOCH_SHIFT	9
#define XSP_ISN_DATA_BITS	10
#define XSP_ISN_DATA_MASK	((1U << XSP_ISN_DATA_BITS) - 1)
#define XSP_ISN_MAC_SHIFT	XSP_ISN_DATA_BITS
#define XSP_ISN_MAC_BITS	(32 - XSP_ISN_DATA_BITS)
#define XSP_ISN_MAC_MASK	((1U << XSP_ISN_MAC_BITS) - 1)
#define XSP_TSVAL_MAC_BITS	24
#define XSP_TS_TIME_BITS	(32 - XSP_TSVAL_MAC_BITS)
#define XSP_TS_TIME_MASK	((1U << XSP_TS_TIME_BITS) - 1)
#define XSP_TS_TIME_SHIFT	4	/* 16 ms units */
/* Time units read as an age (3 s); the rest as a clock behind the minter's. */
#define XSP_TS_AGE_TICKS	192

/* Meta word of the MAC input: data bits, TS flag, TS time, format version. */
#define XSP_META_TSTAMP		BIT(10)
#define XSP_META_TS_TIME_SHIFT	11
#define XSP_META_VERSION	(2U << 24)

#define XSP_WSCALE_MAX		14
#define XSP_WSCALE_NONE		15

/*
 * MSS tables, ascending. A SYN's MSS is encoded as the largest entry not
 * above it; an MSS below the first entry, or no MSS option (pass 0), is
 * encoded as the first entry, which is the RFC default (RFC 9293 3.7.1:
 * 536 for IPv4; RFC 8200 minimum MTU 1280 - 60 = 1220 for IPv6).
 *
 * IPv4: 536 default; 1200 IPv4 through 1280-MTU tunnels and 464XLAT;
 * 1300 (Alcock/Nelson saw 15-20% of SYNs in 1300-1349: VPN, mobile);
 * 1360 GRE+IPsec; 1400 common MSS clamp; 1440 PPPoE 1452 and tunnels
 * with 1480 MTU; 1460 Ethernet (the single most common value); 8960
 * jumbo frames (9000 MTU).
 * IPv6: 1220 minimum MTU; 1280 (MTU 1340) and 1340 (MTU 1400) IPsec and
 * mobile; 1380 (MTU 1440, e.g. WireGuard over IPv6); 1400 (MTU 1460);
 * 1420 6in4 and 1480-MTU tunnels, PPPoE 1432; 1440 Ethernet; 8940 jumbo.
 */
#define XSP_MSS_NR		8
#define XSP_MSS_TABLE_V4	{ 536, 1200, 1300, 1360, 1400, 1440, 1460, 8960 }
#define XSP_MSS_TABLE_V6	{ 1220, 1280, 1340, 1380, 1400, 1420, 1440, 8940 }
#define XSP_MSS_DEFAULT_V4	536
#define XSP_MSS_DEFAULT_V6	1220

/* xsp_cookie_check() results besides 0 */
#define XSP_COOKIE_INVALID	(-1)	/* MAC mismatch: forged or garbage */
#define XSP_COOKIE_STALE	(-2)	/* valid two or three epochs ago */

/* Salts cached per key: epochs epoch-3 .. epoch, at salt[e % SLOTS]. */
#define XSP_SALT_SLOTS		4

struct xsp_key {
	u8 bytes[XSP_KEY_LEN];
};

/* One master key and the salts derived from it. */
struct xsp_keyset {
	siphash_key_t	master;
	siphash_key_t	salt[XSP_SALT_SLOTS];
	u32		id;		/* xsp_key_id() of the master key */
};

/*
 * Immutable snapshot of the cookie secrets. The module publishes it under
 * RCU and replaces it copy-on-write: xsp_secrets_rotate() and
 * xsp_secrets_advance() modify the copy, never a published snapshot.
 */
struct xsp_secrets {
	struct xsp_keyset	cur;
	struct xsp_keyset	prev;		/* valid while @has_prev */
	u64			epoch;		/* epoch cur.salt is cached for */
	u64			epoch_start;	/* epoch * epoch_len */
	u64			prev_epoch;	/* epoch of the rotate: prev.salt */
	u64			prev_until;	/* last epoch prev is accepted in */
	u32			epoch_len;	/* seconds, >= 1 */
	bool			has_prev;
};

/* Connection as seen in the client's SYN: the client is the source. */
struct xsp_tuple {
	u8		family;		/* AF_INET or AF_INET6 */
	union {
		__be32		v4;
		struct in6_addr	v6;
	} saddr, daddr;
	__be16		sport;
	__be16		dport;
};

/* SYN options as encoded in a cookie. */
struct xsp_opts {
	u16	mss;		/* 0 = no MSS option */
	u8	wscale;		/* 0..14, XSP_WSCALE_NONE = no option */
	u8	sack:1,
		ecn:1,
		tstamp:1;
};

u32 xsp_key_id(const struct xsp_key *key);
u16 xsp_mss_table(int family, unsigned int idx);
unsigned int xsp_mss_index(int family, u16 mss);

void xsp_secrets_init(struct xsp_secrets *s, const struct xsp_key *key,
		      u32 epoch_len, u64 now_sec);
void xsp_secrets_rotate(struct xsp_secrets *s, const struct xsp_key *new_key,
			u64 now_sec);
bool xsp_secrets_advance(struct xsp_secrets *s, u64 now_sec);
u64 xsp_secrets_epoch(const struct xsp_secrets *s, u64 now_sec);

u32 xsp_cookie_mint(const struct xsp_secrets *s, const struct xsp_tuple *t,
		    u32 client_isn, struct xsp_opts *opts, u32 *tsval,
		    u64 now_ms);
int xsp_cookie_check(const struct xsp_secrets *s, const struct xsp_tuple *t,
		     u32 client_isn, u32 cookie, bool has_ts, u32 tsecr,
		     struct xsp_opts *out, u64 *epoch, u64 now_ms);
u32 xsp_cookie_ts_age(u32 tsval, u64 now_ms);

#endif /* _XSP_COOKIE_H */
