// SPDX-License-Identifier: GPL-2.0
/*
 * xsynproxy: rolling-salt SYN cookies. See xsp_cookie.h for the format and
 * Documentation/cookie.rst for the design.
 */
#ifdef __KERNEL__
#include <linux/build_bug.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/socket.h>
#include <linux/string.h>
#endif

#include "xsp_cookie.h"

/* Domain separation constants: ASCII, read as little-endian u64. */
#define XSP_DOM_SALT0	0x30746c6173707378ULL	/* "xspsalt0" */
#define XSP_DOM_SALT1	0x31746c6173707378ULL	/* "xspsalt1" */
#define XSP_DOM_KEYID	0x6469796b2d707378ULL	/* "xsp-kyid" */

/* MAC inputs. All fields are byte strings, so the MAC is endian-neutral. */
struct xsp_msg4 {
	__be32	saddr;
	__be32	daddr;
	__be16	sport;
	__be16	dport;
	__le32	client_isn;
	__le32	meta;
};

struct xsp_msg6 {
	struct in6_addr	saddr;
	struct in6_addr	daddr;
	__be16		sport;
	__be16		dport;
	__le32		client_isn;
	__le32		meta;
};

static_assert(sizeof(struct xsp_msg4) == 20);
static_assert(sizeof(struct xsp_msg6) == 44);

static const u16 xsp_msstab4[XSP_MSS_NR] = XSP_MSS_TABLE_V4;
static const u16 xsp_msstab6[XSP_MSS_NR] = XSP_MSS_TABLE_V6;

static u64 xsp_get_le64(const u8 *p)
{
	u64 v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void xsp_master_key(siphash_key_t *k, const struct xsp_key *key)
{
	k->key[0] = xsp_get_le64(key->bytes);
	k->key[1] = xsp_get_le64(key->bytes + 8);
}

static void xsp_derive_salt(siphash_key_t *salt, const siphash_key_t *master,
			    u64 epoch)
{
	salt->key[0] = siphash_2u64(XSP_DOM_SALT0, epoch, master);
	salt->key[1] = siphash_2u64(XSP_DOM_SALT1, epoch, master);
}

/**
 * xsp_key_id - non-secret fingerprint of a master key
 * @key: master key
 *
 * A PRF output of the key, so it tells nothing about the key but lets an
 * operator compare keys across nodes.
 *
 * Return: 32-bit key id.
 */
u32 xsp_key_id(const struct xsp_key *key)
{
	siphash_key_t k;

	xsp_master_key(&k, key);
	return (u32)siphash_1u64(XSP_DOM_KEYID, &k);
}

/**
 * xsp_mss_table - MSS value of a table index
 * @family: AF_INET6 selects the IPv6 table, anything else the IPv4 one
 * @idx: index, 0 .. XSP_MSS_NR - 1
 *
 * Return: the MSS, or 0 for an index out of range.
 */
u16 xsp_mss_table(int family, unsigned int idx)
{
	if (idx >= XSP_MSS_NR)
		return 0;
	return family == AF_INET6 ? xsp_msstab6[idx] : xsp_msstab4[idx];
}

/**
 * xsp_mss_index - table index a client MSS is encoded as
 * @family: AF_INET6 selects the IPv6 table, anything else the IPv4 one
 * @mss: the SYN's MSS option, 0 when absent
 *
 * Return: index of the largest entry not above @mss, 0 if there is none.
 */
unsigned int xsp_mss_index(int family, u16 mss)
{
	const u16 *tab = family == AF_INET6 ? xsp_msstab6 : xsp_msstab4;
	unsigned int i;

	for (i = XSP_MSS_NR - 1; i > 0; i--)
		if (mss >= tab[i])
			break;
	return i;
}

/* Salt of @epoch: cached when within the four epochs up to @cached. */
static const siphash_key_t *xsp_salt(const struct xsp_keyset *ks, u64 cached,
				     u64 epoch, siphash_key_t *tmp)
{
	if (cached - epoch < XSP_SALT_SLOTS)
		return &ks->salt[epoch % XSP_SALT_SLOTS];
	xsp_derive_salt(tmp, &ks->master, epoch);
	return tmp;
}

/* Fill salt slots for @epoch - 3 .. @epoch, reusing those of @old. */
static void xsp_keyset_fill(struct xsp_keyset *ks, u64 epoch, u64 old,
			    bool have_old)
{
	unsigned int i;
	u64 e;

	for (i = 0; i < XSP_SALT_SLOTS; i++) {
		e = epoch - i;
		if (have_old && old - e < XSP_SALT_SLOTS)
			continue;
		xsp_derive_salt(&ks->salt[e % XSP_SALT_SLOTS], &ks->master, e);
	}
}

static void xsp_keyset_init(struct xsp_keyset *ks, const struct xsp_key *key,
			    u64 epoch)
{
	xsp_master_key(&ks->master, key);
	ks->id = xsp_key_id(key);
	xsp_keyset_fill(ks, epoch, 0, false);
}

/**
 * xsp_secrets_epoch - epoch of a wall-clock time
 * @s: secrets
 * @now_sec: wall-clock seconds
 *
 * Return: @now_sec / @s->epoch_len, without a division in the cached epoch
 * and the one after it.
 */
u64 xsp_secrets_epoch(const struct xsp_secrets *s, u64 now_sec)
{
	u64 delta = now_sec - s->epoch_start;

	if (now_sec >= s->epoch_start) {
		if (delta < s->epoch_len)
			return s->epoch;
		if (delta < 2 * (u64)s->epoch_len)
			return s->epoch + 1;
	}
	if (!s->epoch_len)
		return 0;
	return div_u64(now_sec, s->epoch_len);
}

/**
 * xsp_secrets_init - set up secrets for a master key
 * @s: secrets to fill
 * @key: master key
 * @epoch_len: epoch length in seconds, 0 for XSP_EPOCH_LEN_DEFAULT
 * @now_sec: wall-clock seconds
 *
 * Drops any previous key: cookies minted under other secrets, or under
 * another epoch length, become invalid.
 */
void xsp_secrets_init(struct xsp_secrets *s, const struct xsp_key *key,
		      u32 epoch_len, u64 now_sec)
{
	memset(s, 0, sizeof(*s));
	s->epoch_len = epoch_len ? epoch_len : XSP_EPOCH_LEN_DEFAULT;
	s->epoch = div_u64(now_sec, s->epoch_len);
	s->epoch_start = s->epoch * s->epoch_len;
	xsp_keyset_init(&s->cur, key, s->epoch);
}

/**
 * xsp_secrets_advance - move the cached salts to the epoch of @now_sec
 * @s: secrets, a private copy
 * @now_sec: wall-clock seconds
 *
 * Derives the salts of epochs not cached yet and forgets the previous key
 * once its window has closed. Mint and check are correct without this, but
 * derive salts on the fly (up to six extra SipHash calls) until it is done.
 *
 * Return: true if @s changed.
 */
bool xsp_secrets_advance(struct xsp_secrets *s, u64 now_sec)
{
	u64 epoch = xsp_secrets_epoch(s, now_sec);
	bool changed = false;

	if (s->has_prev && epoch > s->prev_until) {
		memset(&s->prev, 0, sizeof(s->prev));
		s->prev_epoch = 0;
		s->prev_until = 0;
		s->has_prev = false;
		changed = true;
	}
	if (epoch != s->epoch) {
		xsp_keyset_fill(&s->cur, epoch, s->epoch, true);
		s->epoch = epoch;
		s->epoch_start = epoch * s->epoch_len;
		changed = true;
	}
	return changed;
}

/**
 * xsp_secrets_rotate - replace the master key
 * @s: secrets, a private copy
 * @new_key: the new master key
 * @now_sec: wall-clock seconds
 *
 * New cookies use @new_key. Cookies minted under the old key up to the
 * rotate epoch R stay valid until their window closes at the end of R + 1.
 * Only one previous key is kept: a second rotate drops the first key's
 * cookies at once.
 */
void xsp_secrets_rotate(struct xsp_secrets *s, const struct xsp_key *new_key,
			u64 now_sec)
{
	xsp_secrets_advance(s, now_sec);
	s->prev = s->cur;
	s->prev_epoch = s->epoch;
	s->prev_until = s->epoch + 1;
	s->has_prev = true;
	xsp_keyset_init(&s->cur, new_key, s->epoch);
}

static u64 xsp_mac(const siphash_key_t *salt, const struct xsp_tuple *t,
		   u32 client_isn, u32 meta)
{
	union {
		struct xsp_msg4 v4;
		struct xsp_msg6 v6;
		u64 align;
	} m;

	if (t->family == AF_INET6) {
		m.v6.saddr = t->saddr.v6;
		m.v6.daddr = t->daddr.v6;
		m.v6.sport = t->sport;
		m.v6.dport = t->dport;
		m.v6.client_isn = cpu_to_le32(client_isn);
		m.v6.meta = cpu_to_le32(meta);
		return siphash(&m, sizeof(m.v6), salt);
	}
	m.v4.saddr = t->saddr.v4;
	m.v4.daddr = t->daddr.v4;
	m.v4.sport = t->sport;
	m.v4.dport = t->dport;
	m.v4.client_isn = cpu_to_le32(client_isn);
	m.v4.meta = cpu_to_le32(meta);
	return siphash(&m, sizeof(m.v4), salt);
}

/* TSval of SipHash output @h: 24 MAC bits above the 8-bit time field. */
static u32 xsp_tsval(u64 h, u32 ts_time)
{
	return (u32)(h >> (64 - XSP_TSVAL_MAC_BITS)) << XSP_TS_TIME_BITS |
	       ts_time;
}

static bool xsp_mac_ok(u64 h, u32 cookie, bool has_ts, u32 tsecr)
{
	if (((u32)h & XSP_ISN_MAC_MASK) != cookie >> XSP_ISN_MAC_SHIFT)
		return false;
	return !has_ts || xsp_tsval(h, tsecr & XSP_TS_TIME_MASK) == tsecr;
}

/* The TSval time field of wall-clock milliseconds @now_ms. */
static u32 xsp_ts_time(u64 now_ms)
{
	return (u32)(now_ms >> XSP_TS_TIME_SHIFT) & XSP_TS_TIME_MASK;
}

/* Meta word of the MAC input. */
static u32 xsp_meta(u32 data, bool has_ts, u32 ts_time)
{
	if (!has_ts)
		return data | XSP_META_VERSION;
	return data | XSP_META_VERSION | XSP_META_TSTAMP |
	       ts_time << XSP_META_TS_TIME_SHIFT;
}

/**
 * xsp_cookie_mint - server ISN (and TSval) for a client's SYN
 * @s: secrets
 * @t: the SYN's addresses and ports, client = source
 * @client_isn: the SYN's sequence number
 * @opts: the SYN's options; mss is rounded down to the encoded table value
 *	and a wscale above 15 is clamped to 14 (RFC 7323)
 * @tsval: set to the SYN-ACK's TSval when @opts->tstamp
 * @now_ms: wall-clock milliseconds
 *
 * One SipHash-2-4 call when @now_ms is in the cached epoch.
 *
 * Return: the server ISN.
 */
u32 xsp_cookie_mint(const struct xsp_secrets *s, const struct xsp_tuple *t,
		    u32 client_isn, struct xsp_opts *opts, u32 *tsval,
		    u64 now_ms)
{
	u64 epoch = xsp_secrets_epoch(s, div_u64(now_ms, 1000));
	u32 ts_time = xsp_ts_time(now_ms);
	const siphash_key_t *salt;
	unsigned int idx;
	siphash_key_t tmp;
	u32 data, mac;
	u64 h;

	idx = xsp_mss_index(t->family, opts->mss);
	opts->mss = xsp_mss_table(t->family, idx);
	if (opts->wscale > XSP_WSCALE_NONE)
		opts->wscale = XSP_WSCALE_MAX;

	data = (u32)opts->sack << XSP_ISN_SACK_SHIFT |
	       (u32)opts->ecn << XSP_ISN_ECN_SHIFT |
	       (u32)opts->wscale << XSP_ISN_WSCALE_SHIFT |
	       idx << XSP_ISN_MSS_SHIFT |
	       (u32)(epoch & 1) << XSP_ISN_EPOCH_SHIFT;

	salt = xsp_salt(&s->cur, s->epoch, epoch, &tmp);
	h = xsp_mac(salt, t, client_isn, xsp_meta(data, opts->tstamp, ts_time));

	if (opts->tstamp)
		*tsval = xsp_tsval(h, ts_time);
	mac = (u32)h & XSP_ISN_MAC_MASK;
	return mac << XSP_ISN_MAC_SHIFT |
	       (data ^ (mac >> (XSP_ISN_MAC_BITS - XSP_ISN_DATA_BITS)));
}

/**
 * xsp_cookie_check - validate the cookie of a client's ACK
 * @s: secrets
 * @t: the ACK's addresses and ports, client = source
 * @client_isn: the ACK's sequence number - 1
 * @cookie: the ACK's acknowledgment number - 1
 * @has_ts: the ACK carries a timestamps option
 * @tsecr: its TSecr, when @has_ts
 * @out: the decoded SYN options on success, untouched otherwise
 * @epoch_out: if not NULL, set to the epoch the cookie was minted in on success
 * @now_ms: wall-clock milliseconds
 *
 * A cookie is valid in the epoch it was minted in and the next one. The
 * epoch bit selects which of the two, so a valid cookie costs one MAC; one
 * more while a previous key is still accepted. A failure costs one more MAC
 * to tell a stale cookie (minted two or three epochs ago under the current
 * key) from a forged one.
 *
 * Return: 0, XSP_COOKIE_INVALID or XSP_COOKIE_STALE.
 */
int xsp_cookie_check(const struct xsp_secrets *s, const struct xsp_tuple *t,
		     u32 client_isn, u32 cookie, bool has_ts, u32 tsecr,
		     struct xsp_opts *out, u64 *epoch_out, u64 now_ms)
{
	u64 now = xsp_secrets_epoch(s, div_u64(now_ms, 1000));
	const siphash_key_t *salt;
	siphash_key_t tmp;
	u32 data, meta;
	u64 epoch, h;

	data = (cookie ^ cookie >> (32 - XSP_ISN_DATA_BITS)) & XSP_ISN_DATA_MASK;
	meta = xsp_meta(data, has_ts, tsecr & XSP_TS_TIME_MASK);
	/* The newer of the two valid epochs with the cookie's parity. */
	epoch = now - ((now ^ (data >> XSP_ISN_EPOCH_SHIFT)) & 1);

	salt = xsp_salt(&s->cur, s->epoch, epoch, &tmp);
	h = xsp_mac(salt, t, client_isn, meta);
	if (xsp_mac_ok(h, cookie, has_ts, tsecr))
		goto valid;

	/*
	 * The previous key, for cookies minted up to the rotate epoch. As
	 * epoch >= now - 1, this also bounds now by prev_until.
	 */
	if (s->has_prev && epoch <= s->prev_epoch) {
		salt = xsp_salt(&s->prev, s->prev_epoch, epoch, &tmp);
		h = xsp_mac(salt, t, client_isn, meta);
		if (xsp_mac_ok(h, cookie, has_ts, tsecr))
			goto valid;
	}

	salt = xsp_salt(&s->cur, s->epoch, epoch - 2, &tmp);
	h = xsp_mac(salt, t, client_isn, meta);
	if (xsp_mac_ok(h, cookie, has_ts, tsecr))
		return XSP_COOKIE_STALE;
	return XSP_COOKIE_INVALID;

valid:
	out->mss = xsp_mss_table(t->family,
				 (data >> XSP_ISN_MSS_SHIFT) & XSP_ISN_MSS_MASK);
	out->wscale = (data >> XSP_ISN_WSCALE_SHIFT) & XSP_ISN_WSCALE_MASK;
	out->sack = (data >> XSP_ISN_SACK_SHIFT) & 1;
	out->ecn = (data >> XSP_ISN_ECN_SHIFT) & 1;
	out->tstamp = has_ts;
	if (epoch_out)
		*epoch_out = epoch;
	return 0;
}

/**
 * xsp_cookie_ts_age - time since a cookie TSval was minted
 * @tsval: the TSval, as echoed in a valid ACK's TSecr
 * @now_ms: wall-clock milliseconds
 *
 * The time field counts 2^XSP_TS_TIME_SHIFT ms units modulo 256. The first
 * XSP_TS_AGE_TICKS units after the mint time read as ages (up to 3 s); the
 * last units before it are a checking clock that runs behind the minting
 * node's (NTP skew between nodes sharing a key, a clock step), and read as
 * the smallest age rather than as nearly four seconds. Older TSvals wrap.
 *
 * Return: the age in milliseconds, rounded up to the end of its unit: for
 * ages below 3 s never less than the true age, at most
 * 2^(XSP_TS_TIME_SHIFT + 1) - 2 ms more.
 */
u32 xsp_cookie_ts_age(u32 tsval, u64 now_ms)
{
	u32 ticks = (xsp_ts_time(now_ms) - tsval) & XSP_TS_TIME_MASK;

	if (ticks >= XSP_TS_AGE_TICKS)
		ticks = 0;
	return ((ticks + 1) << XSP_TS_TIME_SHIFT) - 1;
}
