// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: xsp_cookie_check() on arbitrary secrets, tuples, ISNs,
 * cookies, timestamps and times must not crash or trip a sanitizer, must
 * return one of its three results and decode only sane options; a cookie
 * minted from the same input must check in its epoch and the next.
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
	u8	pad;
	u16	sport;
	u16	dport;
	u16	mss;
	u16	pad2;
	u32	epoch_len;
	u32	client_isn;
	u32	cookie;
	u32	tsecr;
	u32	d_rotate;
	u32	d_advance;
	u32	d_check;
	u64	t0;
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
	u32 isn, tsval = 0;
	u64 now, tm;
	int rc;

	memset(&in, 0, sizeof(in));
	memcpy(&in, data, size < sizeof(in) ? size : sizeof(in));
	/* keep times below 2^62 so that t0 + deltas cannot wrap */
	in.t0 >>= 2;
	in.epoch_len %= 100000;

	memcpy(k.bytes, in.key, sizeof(k.bytes));
	memcpy(k2.bytes, in.key2, sizeof(k2.bytes));
	xsp_secrets_init(&s, &k, in.epoch_len, in.t0);
	if (in.ops & 1)
		xsp_secrets_rotate(&s, &k2, in.t0 + in.d_rotate);
	if (in.ops & 2)
		xsp_secrets_advance(&s, in.t0 + in.d_advance);
	now = in.t0 + in.d_check;

	memset(&t, 0, sizeof(t));
	t.family = in.ops & 4 ? AF_INET6 : AF_INET;
	memcpy(&t.saddr, in.saddr, t.family == AF_INET6 ? 16 : 4);
	memcpy(&t.daddr, in.daddr, t.family == AF_INET6 ? 16 : 4);
	t.sport = in.sport;
	t.dport = in.dport;

	/* arbitrary ACK */
	memset(&out, 0, sizeof(out));
	rc = xsp_cookie_check(&s, &t, in.client_isn, in.cookie, in.ops & 8,
			      in.tsecr, &out, now);
	if (rc != 0 && rc != XSP_COOKIE_INVALID && rc != XSP_COOKIE_STALE)
		fail("unexpected result", rc);
	if (!rc && (!opts_sane(&out, t.family) ||
		    out.tstamp != !!(in.ops & 8)))
		fail("insane options decoded", rc);

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
	rc = xsp_cookie_check(&s, &t, in.client_isn, isn, opts.tstamp, tsval,
			      &out, now);
	if (rc || out.mss != opts.mss || out.wscale != opts.wscale ||
	    out.sack != opts.sack || out.ecn != opts.ecn ||
	    out.tstamp != opts.tstamp)
		fail("minted cookie does not check", rc);
	tm = now + s.epoch_len;
	rc = xsp_cookie_check(&s, &t, in.client_isn, isn, opts.tstamp, tsval,
			      &out, tm);
	if (rc)
		fail("minted cookie rejected in the next epoch", rc);
	tm = now + 4 * (u64)s.epoch_len;
	rc = xsp_cookie_check(&s, &t, in.client_isn, isn, opts.tstamp, tsval,
			      &out, tm);
	if (rc == 0 && opts.tstamp)
		fail("cookie with timestamps accepted 4 epochs later", rc);
	return 0;
}
