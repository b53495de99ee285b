// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: xsp_cookie_check() on arbitrary secrets, tuples, ISNs,
 * cookies, timestamps and times must not crash or trip a sanitizer, must
 * return one of its three results, decode only sane options and report an
 * epoch (now or the one before, of the cookie's parity) only on success; a
 * cookie minted from the same input must check in its epoch and the next
 * and report its mint epoch, its TSval must carry the mint time, fail with
 * any other time field, and xsp_cookie_ts_age() must bound its age.
 *
 *   clang -fsanitize=fuzzer,address,undefined ... -o fuzz_check
 *   ./fuzz_check -max_total_time=60
 */
#include <stdio.h>
#include <stdlib.h>

#include "xsp_cookie.h"

struct fuzz_in {
	u8	key[XSP_KEY_LEN];
	u8	key2[XSP_KEY_LEN];
	u8	saddr[16];
	u8	daddr[16];
	u8	ops;		/* bit 0 rotate, 1 advance, 2 ipv6, 3 has_ts */
	u8	wscale;
	u8	flags;		/* bit 0 sack, 1 ecn, 2 tstamp */
	u8	time_xor;	/* altered TSecr time field (0 -> 1) */
	u16	sport;
	u16	dport;
	u16	mss;
	u16	age;		/* ms after the mint, mod 4081 */
	u32	epoch_len;	/* seconds */
	u32	client_isn;
	u32	cookie;
	u32	tsecr;
	u32	d_rotate;	/* seconds after t0 */
	u32	d_advance;	/* seconds after t0 */
	u32	d_check;	/* seconds after t0 */
	u64	t0;		/* milliseconds */
};

static void fail(const char *what, int rc)
{
	fprintf(stderr, "fuzz_check: %s (rc %d)\n", what, rc);
	abort();
}

static bool opts_sane(const struct xsp_opts *o, int family)
{
	unsigned int i;

	if (o->wscale > XSP_WSCALE_NONE)
		return false;
	for (i = 0; i < XSP_MSS_NR; i++)
		if (o->mss == xsp_mss_table(family, i))
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct xsp_opts opts, out;
	struct xsp_secrets s;
	struct xsp_key k, k2;
	struct xsp_tuple t;
	struct fuzz_in in;
	u32 isn, tsval = 0, data_bits, age, got;
	u64 now, tm, t0s, e, ep;
	int rc;

	memset(&in, 0, sizeof(in));
	memcpy(&in, data, size < sizeof(in) ? size : sizeof(in));
	/* keep times below 2^62 so that t0 + deltas cannot wrap */
	in.t0 >>= 2;
	in.epoch_len %= 100000;

	/* the secrets take seconds, mint and check milliseconds */
	t0s = in.t0 / 1000;
	memcpy(k.bytes, in.key, sizeof(k.bytes));
	memcpy(k2.bytes, in.key2, sizeof(k2.bytes));
	xsp_secrets_init(&s, &k, in.epoch_len, t0s);
	if (in.ops & 1)
		xsp_secrets_rotate(&s, &k2, t0s + in.d_rotate);
	if (in.ops & 2)
		xsp_secrets_advance(&s, t0s + in.d_advance);
	now = in.t0 + (u64)in.d_check * 1000;
	e = xsp_secrets_epoch(&s, now / 1000);

	memset(&t, 0, sizeof(t));
	t.family = in.ops & 4 ? AF_INET6 : AF_INET;
	memcpy(&t.saddr, in.saddr, t.family == AF_INET6 ? 16 : 4);
	memcpy(&t.daddr, in.daddr, t.family == AF_INET6 ? 16 : 4);
	t.sport = in.sport;
	t.dport = in.dport;

	/* arbitrary ACK */
	memset(&out, 0, sizeof(out));
	ep = ~0ULL;
	rc = xsp_cookie_check(&s, &t, in.client_isn, in.cookie, in.ops & 8,
			      in.tsecr, &out, &ep, now);
	if (rc != 0 && rc != XSP_COOKIE_INVALID && rc != XSP_COOKIE_STALE)
		fail("unexpected result", rc);
	if (!rc && (!opts_sane(&out, t.family) ||
		    out.tstamp != !!(in.ops & 8)))
		fail("insane options decoded", rc);
	data_bits = (in.cookie ^ in.cookie >> (32 - XSP_ISN_DATA_BITS)) &
		    XSP_ISN_DATA_MASK;
	if (!rc && ((ep != e && ep != e - 1) ||
		    (ep & 1) != data_bits >> XSP_ISN_EPOCH_SHIFT))
		fail("accepted cookie reports a wrong epoch", rc);
	if (rc && ep != ~0ULL)
		fail("epoch reported for a rejected cookie", rc);

	/* minted cookies check, in their epoch and the next */
	memset(&opts, 0, sizeof(opts));
	opts.mss = in.mss;
	opts.wscale = in.wscale;
	opts.sack = in.flags & 1;
	opts.ecn = (in.flags >> 1) & 1;
	opts.tstamp = (in.flags >> 2) & 1;
	isn = xsp_cookie_mint(&s, &t, in.client_isn, &opts, &tsval, now);
	if (!opts_sane(&opts, t.family))
		fail("mint left insane options", 0);
	ep = ~0ULL;
	rc = xsp_cookie_check(&s, &t, in.client_isn, isn, opts.tstamp, tsval,
			      &out, &ep, now);
	if (rc || out.mss != opts.mss || out.wscale != opts.wscale ||
	    out.sack != opts.sack || out.ecn != opts.ecn ||
	    out.tstamp != opts.tstamp)
		fail("minted cookie does not check", rc);
	if (ep != e)
		fail("minted cookie reports another epoch", rc);
	tm = now + 1000 * (u64)s.epoch_len;
	ep = ~0ULL;
	rc = xsp_cookie_check(&s, &t, in.client_isn, isn, opts.tstamp, tsval,
			      &out, &ep, tm);
	if (rc)
		fail("minted cookie rejected in the next epoch", rc);
	if (ep != e)
		fail("minted cookie reports another epoch in the next", rc);
	tm = now + 4000 * (u64)s.epoch_len;
	rc = xsp_cookie_check(&s, &t, in.client_isn, isn, opts.tstamp, tsval,
			      &out, NULL, tm);
	if (rc == 0 && opts.tstamp)
		fail("cookie with timestamps accepted 4 epochs later", rc);
	if (!opts.tstamp)
		return 0;

	/* the TSval: mint time, covered by the MAC, and its age */
	if ((tsval & XSP_TS_TIME_MASK) !=
	    ((now >> XSP_TS_TIME_SHIFT) & XSP_TS_TIME_MASK))
		fail("TSval time field is not the mint time", 0);
	rc = xsp_cookie_check(&s, &t, in.client_isn, isn, true,
			      tsval ^ (in.time_xor ? in.time_xor : 1), &out,
			      NULL, now);
	if (rc != XSP_COOKIE_INVALID)
		fail("TSecr with another time field not invalid", rc);
	age = in.age % (3072 - 16);	/* within the units read as an age */
	got = xsp_cookie_ts_age(tsval, now + age);
	if (got < age || got > age + 30)
		fail("ts_age out of bounds", (int)got);
	return 0;
}
