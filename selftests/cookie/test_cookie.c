// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of kmod/xsp_cookie.c, built in userspace through kshim.h.
 *
 *   test_cookie [--vectors FILE] [--start N]   run the tests, KTAP output
 *   test_cookie --count                        print the number of tests
 *   test_cookie --gen-vectors                  print vectors.txt
 *
 * Each test group prints one "ok N description" or "not ok N description"
 * line; failures are detailed in "# " lines before it. Every input comes
 * from a fixed-seed generator, so runs are reproducible.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "xsp_cookie.h"

#define T0		1700000000ULL	/* a wall-clock time, 2023-11-14, seconds */
#define MS(sec)		((u64)(sec) * 1000)	/* seconds -> mint/check time */
#define T0_MS		(MS(T0) + 345)	/* T0 in ms, not on a 16 ms boundary */
#define DIAG_MAX	8

static const u16 msstab4[XSP_MSS_NR] = XSP_MSS_TABLE_V4;
static const u16 msstab6[XSP_MSS_NR] = XSP_MSS_TABLE_V6;

static const char *vectors_path = "vectors.txt";
static int diag_left;

static void diag(const char *fmt, ...)
{
	va_list ap;

	if (diag_left-- <= 0) {
		if (diag_left == -1)
			printf("#   (further failures of this test not shown)\n");
		return;
	}
	va_start(ap, fmt);
	printf("#   ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

#define EXPECT(cond, ...)				\
	do {						\
		if (!(cond)) {				\
			fails++;			\
			diag(__VA_ARGS__);		\
		}					\
	} while (0)

/* splitmix64: deterministic inputs */
static u64 rng_state;

static void rng_seed(u64 seed)
{
	rng_state = seed;
}

static u64 rnd(void)
{
	u64 z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rand_key(struct xsp_key *k)
{
	unsigned int i;

	for (i = 0; i < XSP_KEY_LEN; i++)
		k->bytes[i] = (u8)rnd();
}

static void rand_tuple(struct xsp_tuple *t, int family)
{
	unsigned int i;

	memset(t, 0, sizeof(*t));
	t->family = (u8)family;
	if (family == AF_INET6) {
		for (i = 0; i < 16; i++) {
			t->saddr.v6.s6_addr[i] = (u8)rnd();
			t->daddr.v6.s6_addr[i] = (u8)rnd();
		}
	} else {
		t->saddr.v4 = (u32)rnd();
		t->daddr.v4 = (u32)rnd();
	}
	t->sport = (u16)rnd();
	t->dport = (u16)rnd();
}

static void rand_opts(struct xsp_opts *o)
{
	u64 r = rnd();

	memset(o, 0, sizeof(*o));
	o->mss = (u16)r;
	o->wscale = (r >> 16) % 16;
	o->sack = (r >> 24) & 1;
	o->ecn = (r >> 25) & 1;
	o->tstamp = (r >> 26) & 1;
}

static const char *tuple_str(const struct xsp_tuple *t)
{
	static char buf[160];
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	inet_ntop(t->family, &t->saddr, a, sizeof(a));
	inet_ntop(t->family, &t->daddr, b, sizeof(b));
	snprintf(buf, sizeof(buf), "%s:%u->%s:%u", a, ntohs(t->sport), b,
		 ntohs(t->dport));
	return buf;
}

static u16 expect_mss(int family, u16 mss)
{
	const u16 *tab = family == AF_INET6 ? msstab6 : msstab4;
	int i;

	for (i = XSP_MSS_NR - 1; i >= 0; i--)
		if (mss >= tab[i])
			return tab[i];
	return tab[0];
}

static bool opts_eq(const struct xsp_opts *a, const struct xsp_opts *b)
{
	return a->mss == b->mss && a->wscale == b->wscale &&
	       a->sack == b->sack && a->ecn == b->ecn &&
	       a->tstamp == b->tstamp;
}

static bool keyset_eq(const struct xsp_keyset *a, const struct xsp_keyset *b)
{
	return !memcmp(&a->master, &b->master, sizeof(a->master)) &&
	       !memcmp(a->salt, b->salt, sizeof(a->salt)) && a->id == b->id;
}

static bool secrets_eq(const struct xsp_secrets *a,
		       const struct xsp_secrets *b)
{
	if (!keyset_eq(&a->cur, &b->cur) || a->epoch != b->epoch ||
	    a->epoch_start != b->epoch_start ||
	    a->epoch_len != b->epoch_len || a->has_prev != b->has_prev)
		return false;
	return !a->has_prev || (keyset_eq(&a->prev, &b->prev) &&
				a->prev_epoch == b->prev_epoch &&
				a->prev_until == b->prev_until);
}

/*
 * Mint with @mint_s at @t_mint, check with @chk_s at @t_chk (both in
 * milliseconds); @epoch (may be NULL) gets the check's epoch_out.
 */
static int mint_check(const struct xsp_secrets *mint_s, u64 t_mint,
		      const struct xsp_secrets *chk_s, u64 t_chk,
		      const struct xsp_tuple *t, u32 cisn, struct xsp_opts *o,
		      struct xsp_opts *out, u64 *epoch)
{
	u32 isn, tsval = 0;

	isn = xsp_cookie_mint(mint_s, t, cisn, o, &tsval, t_mint);
	return xsp_cookie_check(chk_s, t, cisn, isn, o->tstamp, tsval, out,
				epoch, t_chk);
}

/* The TSval time field a cookie minted at @ms carries. */
static u32 ts_field(u64 ms)
{
	return (u32)(ms >> XSP_TS_TIME_SHIFT) & XSP_TS_TIME_MASK;
}

/* ------------------------------------------------------------------ */

/* SipHash paper / reference implementation vectors, key 00..0f. */
static const u64 siphash_vectors[64] = {
	0x726fdb47dd0e0e31ULL, 0x74f839c593dc67fdULL, 0x0d6c8009d9a94f5aULL,
	0x85676696d7fb7e2dULL, 0xcf2794e0277187b7ULL, 0x18765564cd99a68dULL,
	0xcbc9466e58fee3ceULL, 0xab0200f58b01d137ULL, 0x93f5f5799a932462ULL,
	0x9e0082df0ba9e4b0ULL, 0x7a5dbbc594ddb9f3ULL, 0xf4b32f46226bada7ULL,
	0x751e8fbc860ee5fbULL, 0x14ea5627c0843d90ULL, 0xf723ca908e7af2eeULL,
	0xa129ca6149be45e5ULL, 0x3f2acc7f57c29bdbULL, 0x699ae9f52cbe4794ULL,
	0x4bc1b3f0968dd39cULL, 0xbb6dc91da77961bdULL, 0xbed65cf21aa2ee98ULL,
	0xd0f2cbb02e3b67c7ULL, 0x93536795e3a33e88ULL, 0xa80c038ccd5ccec8ULL,
	0xb8ad50c6f649af94ULL, 0xbce192de8a85b8eaULL, 0x17d835b85bbb15f3ULL,
	0x2f2e6163076bcfadULL, 0xde4daaaca71dc9a5ULL, 0xa6a2506687956571ULL,
	0xad87a3535c49ef28ULL, 0x32d892fad841c342ULL, 0x7127512f72f27cceULL,
	0xa7f32346f95978e3ULL, 0x12e0b01abb051238ULL, 0x15e034d40fa197aeULL,
	0x314dffbe0815a3b4ULL, 0x027990f029623981ULL, 0xcadcd4e59ef40c4dULL,
	0x9abfd8766a33735cULL, 0x0e3ea96b5304a7d0ULL, 0xad0c42d6fc585992ULL,
	0x187306c89bc215a9ULL, 0xd4a60abcf3792b95ULL, 0xf935451de4f21df2ULL,
	0xa9538f0419755787ULL, 0xdb9acddff56ca510ULL, 0xd06c98cd5c0975ebULL,
	0xe612a3cb9ecba951ULL, 0xc766e62cfcadaf96ULL, 0xee64435a9752fe72ULL,
	0xa192d576b245165aULL, 0x0a8787bf8ecb74b2ULL, 0x81b3e73d20b49b6fULL,
	0x7fa8220ba3b2eceaULL, 0x245731c13ca42499ULL, 0xb78dbfaf3a8d83bdULL,
	0xea1ad565322a1a0bULL, 0x60e61c23a3795013ULL, 0x6606d7e446282b93ULL,
	0x6ca4ecb15c5f91e1ULL, 0x9f626da15c9625f3ULL, 0xe51b38608ef25f57ULL,
	0x958a324ceb064572ULL,
};

static int test_siphash_vectors(void)
{
	const siphash_key_t key = {
		{ 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL }
	};
	u8 msg[64], odd[65];
	unsigned int i;
	int fails = 0;
	u64 h;

	for (i = 0; i < 64; i++) {
		msg[i] = (u8)i;
		odd[i + 1] = (u8)i;
	}
	for (i = 0; i < 64; i++) {
		h = siphash(msg, i, &key);
		EXPECT(h == siphash_vectors[i],
		       "len %u: got %016" PRIx64 " want %016" PRIx64, i, h,
		       siphash_vectors[i]);
		h = siphash(odd + 1, i, &key);
		EXPECT(h == siphash_vectors[i], "len %u unaligned: %016" PRIx64,
		       i, h);
	}
	return fails;
}

static void put_le64(u8 *p, u64 v)
{
	unsigned int i;

	for (i = 0; i < 8; i++)
		p[i] = (u8)(v >> (8 * i));
}

/* siphash_Nu64() hash little-endian words, like the kernel's. */
static int test_siphash_words(void)
{
	siphash_key_t key;
	unsigned int i;
	int fails = 0;
	u64 w[3];
	u8 b[24];

	rng_seed(2);
	for (i = 0; i < 1000; i++) {
		key.key[0] = rnd();
		key.key[1] = rnd();
		w[0] = rnd();
		w[1] = rnd();
		w[2] = rnd();
		put_le64(b, w[0]);
		put_le64(b + 8, w[1]);
		put_le64(b + 16, w[2]);
		EXPECT(siphash_1u64(w[0], &key) == siphash(b, 8, &key),
		       "1u64 #%u", i);
		EXPECT(siphash_2u64(w[0], w[1], &key) == siphash(b, 16, &key),
		       "2u64 #%u", i);
		EXPECT(siphash_3u64(w[0], w[1], w[2], &key) ==
		       siphash(b, 24, &key), "3u64 #%u", i);
	}
	return fails;
}

static int test_mss_table(void)
{
	static const int fams[2] = { AF_INET, AF_INET6 };
	unsigned int f, i, idx;
	int fails = 0;
	u16 m;
	u32 mss;

	for (f = 0; f < 2; f++) {
		const u16 *tab = fams[f] == AF_INET6 ? msstab6 : msstab4;

		for (i = 0; i < XSP_MSS_NR; i++) {
			EXPECT(xsp_mss_table(fams[f], i) == tab[i],
			       "af %d idx %u", fams[f], i);
			EXPECT(i == 0 || tab[i] > tab[i - 1],
			       "af %d table not ascending at %u", fams[f], i);
		}
		EXPECT(xsp_mss_table(fams[f], XSP_MSS_NR) == 0 &&
		       xsp_mss_table(fams[f], ~0U) == 0,
		       "af %d: index out of range not 0", fams[f]);
		EXPECT(tab[0] == (fams[f] == AF_INET6 ? XSP_MSS_DEFAULT_V6 :
				  XSP_MSS_DEFAULT_V4),
		       "af %d: first entry is not the RFC default", fams[f]);
		EXPECT(xsp_mss_table(fams[f], xsp_mss_index(fams[f], 0)) ==
		       tab[0], "af %d: no MSS option", fams[f]);
		for (mss = 0; mss <= 0xffff; mss++) {
			idx = xsp_mss_index(fams[f], (u16)mss);
			m = xsp_mss_table(fams[f], idx);
			EXPECT(idx < XSP_MSS_NR && m == expect_mss(fams[f], mss),
			       "af %d mss %u: idx %u -> %u", fams[f], mss, idx,
			       m);
		}
	}
	return fails;
}

static int test_roundtrip(int family)
{
	static const u16 extra[] = { 0, 1, 100, 535, 537, 1000, 1219, 1221,
				     1459, 1461, 1500, 4000, 8939, 8941, 8959,
				     8961, 9000, 16384, 65535 };
	const u16 *tab = family == AF_INET6 ? msstab6 : msstab4;
	unsigned int nm = 0, i, mi, ws, bits, nr = 0;
	struct xsp_opts o, in, out;
	u16 mss[3 * XSP_MSS_NR + sizeof(extra) / sizeof(extra[0])];
	struct xsp_secrets s;
	struct xsp_tuple t;
	struct xsp_key k;
	u32 cisn, isn, tsval;
	int fails = 0, rc;
	u64 now, e, t_ms, ep;

	for (i = 0; i < XSP_MSS_NR; i++) {
		mss[nm++] = tab[i];
		mss[nm++] = tab[i] - 1;
		mss[nm++] = tab[i] + 1;
	}
	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		mss[nm++] = extra[i];

	rng_seed(family);
	rand_key(&k);
	now = T0 + rnd() % 1000;
	xsp_secrets_init(&s, &k, 60, now);
	e = now / 60;
	for (mi = 0; mi < nm; mi++) {
		/* 0..15 plus out-of-range 16, 200, 255, clamped to 14 */
		for (ws = 0; ws < 19; ws++) {
			for (bits = 0; bits < 8; bits++) {
				rand_tuple(&t, family);
				cisn = (u32)rnd();
				memset(&in, 0, sizeof(in));
				in.mss = mss[mi];
				in.wscale = ws < 16 ? ws : ws == 16 ? 16 :
					    ws == 17 ? 200 : 255;
				in.sack = bits & 1;
				in.ecn = (bits >> 1) & 1;
				in.tstamp = (bits >> 2) & 1;
				o = in;
				tsval = 0;
				/* any millisecond of the cached epoch */
				t_ms = MS(e * 60) + rnd() % MS(60);
				isn = xsp_cookie_mint(&s, &t, cisn, &o, &tsval,
						      t_ms);
				nr++;
				EXPECT(!o.tstamp ||
				       (tsval & XSP_TS_TIME_MASK) == ts_field(t_ms),
				       "mint at %" PRIu64 " ms: TSval 0x%08x time field",
				       t_ms, tsval);
				EXPECT(o.mss == expect_mss(family, in.mss),
				       "mint mss %u -> %u", in.mss, o.mss);
				EXPECT(o.wscale == (in.wscale > 15 ? 14 :
						    in.wscale),
				       "mint wscale %u -> %u", in.wscale,
				       o.wscale);
				EXPECT(o.sack == in.sack && o.ecn == in.ecn &&
				       o.tstamp == in.tstamp,
				       "mint changed flags");
				memset(&out, 0xa5, sizeof(out));
				ep = ~0ULL;
				rc = xsp_cookie_check(&s, &t, cisn, isn,
						      o.tstamp, tsval, &out,
						      &ep, t_ms);
				EXPECT(rc == 0 && opts_eq(&o, &out) && ep == e,
				       "%s mss %u ws %u bits %u: rc %d out mss %u ws %u sack %u ecn %u ts %u epoch %+d",
				       tuple_str(&t), in.mss, in.wscale, bits,
				       rc, out.mss, out.wscale, out.sack,
				       out.ecn, out.tstamp, (int)(ep - e));
				/* still valid in the next epoch */
				ep = ~0ULL;
				rc = xsp_cookie_check(&s, &t, cisn, isn,
						      o.tstamp, tsval, &out,
						      &ep, t_ms + MS(60));
				EXPECT(rc == 0 && opts_eq(&o, &out) && ep == e,
				       "next epoch: rc %d epoch %+d", rc,
				       (int)(ep - e));
			}
		}
	}
	printf("#   %u cookies minted and checked\n", nr);
	return fails;
}

static int test_roundtrip4(void)
{
	return test_roundtrip(AF_INET);
}

static int test_roundtrip6(void)
{
	return test_roundtrip(AF_INET6);
}

/*
 * Flips of the ISN, TSecr (its 24 MAC bits and its 8 time bits), client ISN
 * and the TS option itself.
 */
static int test_flip_seq(void)
{
	unsigned int n, b, fam, tried = 0;
	struct xsp_opts o, out;
	struct xsp_secrets s;
	struct xsp_tuple t;
	u32 cisn, isn, tsval;
	struct xsp_key k;
	int fails = 0, rc;
	bool ts;

	rng_seed(10);
	rand_key(&k);
	xsp_secrets_init(&s, &k, 60, T0);
	for (fam = 0; fam < 2; fam++) {
		for (n = 0; n < 64; n++) {
			rand_tuple(&t, fam ? AF_INET6 : AF_INET);
			rand_opts(&o);
			o.tstamp = n & 1;
			ts = o.tstamp;
			cisn = (u32)rnd();
			isn = xsp_cookie_mint(&s, &t, cisn, &o, &tsval, T0_MS);
			rc = xsp_cookie_check(&s, &t, cisn, isn, ts, tsval,
					      &out, NULL, T0_MS);
			EXPECT(rc == 0, "unmodified cookie rejected: %d", rc);
			for (b = 0; b < 32; b++) {
				rc = xsp_cookie_check(&s, &t, cisn,
						      isn ^ (1U << b), ts,
						      tsval, &out, NULL, T0_MS);
				EXPECT(rc != 0, "%s ts %d: ISN bit %u flip accepted",
				       tuple_str(&t), ts, b);
				rc = xsp_cookie_check(&s, &t, cisn ^ (1U << b),
						      isn, ts, tsval, &out,
						      NULL, T0_MS);
				EXPECT(rc != 0, "%s ts %d: client ISN bit %u flip accepted",
				       tuple_str(&t), ts, b);
				tried += 2;
				if (!ts)
					continue;
				/* bits 0..7 are the time field, 8..31 MAC */
				rc = xsp_cookie_check(&s, &t, cisn, isn, ts,
						      tsval ^ (1U << b), &out,
						      NULL, T0_MS);
				EXPECT(rc != 0, "%s: TSecr %s bit %u flip accepted",
				       tuple_str(&t),
				       b < XSP_TS_TIME_BITS ? "time" : "MAC",
				       b);
				tried++;
			}
			/* TS option stripped from, or added to, the ACK */
			rc = xsp_cookie_check(&s, &t, cisn, isn, !ts,
					      ts ? 0 : (u32)rnd(), &out, NULL,
					      T0_MS);
			EXPECT(rc != 0, "%s: TS option %s accepted",
			       tuple_str(&t), ts ? "stripped" : "added");
			tried++;
		}
	}
	printf("#   %u modified ACKs rejected\n", tried - fails);
	return fails;
}

/* Flips of every address and port bit, and swapped directions. */
static int test_flip_tuple(void)
{
	unsigned int n, byte, b, fam, alen, tried = 0;
	struct xsp_tuple t, t2;
	struct xsp_opts o, out;
	struct xsp_secrets s;
	u32 cisn, isn, tsval;
	struct xsp_key k;
	int fails = 0, rc;
	u8 *p;

	rng_seed(11);
	rand_key(&k);
	xsp_secrets_init(&s, &k, 60, T0);
	for (fam = 0; fam < 2; fam++) {
		alen = fam ? 16 : 4;
		for (n = 0; n < 48; n++) {
			rand_tuple(&t, fam ? AF_INET6 : AF_INET);
			rand_opts(&o);
			o.tstamp = n & 1;
			cisn = (u32)rnd();
			isn = xsp_cookie_mint(&s, &t, cisn, &o, &tsval, T0_MS);
			for (byte = 0; byte < 2 * alen + 4; byte++) {
				for (b = 0; b < 8; b++) {
					t2 = t;
					if (byte < alen)
						p = (u8 *)&t2.saddr + byte;
					else if (byte < 2 * alen)
						p = (u8 *)&t2.daddr + byte -
						    alen;
					else if (byte < 2 * alen + 2)
						p = (u8 *)&t2.sport + byte -
						    2 * alen;
					else
						p = (u8 *)&t2.dport + byte -
						    2 * alen - 2;
					*p ^= 1U << b;
					rc = xsp_cookie_check(&s, &t2, cisn,
							      isn, o.tstamp,
							      tsval, &out,
							      NULL, T0_MS);
					EXPECT(rc != 0, "%s ts %d: byte %u bit %u flip accepted",
					       tuple_str(&t), o.tstamp, byte,
					       b);
					tried++;
				}
			}
			/* the reverse direction */
			t2 = t;
			t2.saddr = t.daddr;
			t2.daddr = t.saddr;
			t2.sport = t.dport;
			t2.dport = t.sport;
			rc = xsp_cookie_check(&s, &t2, cisn, isn, o.tstamp,
					      tsval, &out, NULL, T0_MS);
			EXPECT(rc != 0, "%s: reversed tuple accepted",
			       tuple_str(&t));
			tried++;
		}
	}
	printf("#   %u modified ACKs rejected\n", tried - fails);
	return fails;
}

/*
 * Minted in epoch e: valid in e and e + 1, STALE in e + 2 and e + 3,
 * INVALID before e and from e + 4 on. Minted in the first, a middle and the
 * last millisecond of e; checked in the first and the last millisecond of
 * each epoch. Each check uses three snapshots: the minting one (cached for
 * e, derives other salts on the fly), one advanced to the check time and
 * one set up fresh at the check time (the secrets take seconds).
 */
static int test_epoch_window(void)
{
	static const u32 lens[] = { 1, 2, 7, 60, 3600 };
	static const struct {
		int d;
		int rc;
	} win[] = {
		{ -3, XSP_COOKIE_INVALID }, { -2, XSP_COOKIE_INVALID },
		{ -1, XSP_COOKIE_INVALID }, { 0, 0 }, { 1, 0 },
		{ 2, XSP_COOKIE_STALE }, { 3, XSP_COOKIE_STALE },
		{ 4, XSP_COOKIE_INVALID }, { 5, XSP_COOKIE_INVALID },
		{ 6, XSP_COOKIE_INVALID }, { 1000, XSP_COOKIE_INVALID },
	};
	unsigned int li, oi, wi, pi, si, nr = 0;
	struct xsp_secrets sm, snap[3];
	struct xsp_opts o, out;
	u64 e, t_mint, now, ep, offs[3];
	u32 cisn, isn, tsval = 0, len;
	struct xsp_tuple t;
	struct xsp_key k;
	int fails = 0, rc;

	rng_seed(12);
	for (li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
		len = lens[li];
		/* milliseconds into the epoch */
		offs[0] = 0;
		offs[1] = MS(len) / 2;
		offs[2] = MS(len) - 1;
		for (oi = 0; oi < 3; oi++) {
			rand_key(&k);
			e = T0 / len + 17;
			t_mint = MS(e * len) + offs[oi];
			xsp_secrets_init(&sm, &k, len, t_mint / 1000);
			rand_tuple(&t, oi & 1 ? AF_INET6 : AF_INET);
			rand_opts(&o);
			o.tstamp = (li + oi) & 1;
			cisn = (u32)rnd();
			isn = xsp_cookie_mint(&sm, &t, cisn, &o, &tsval,
					      t_mint);
			for (wi = 0; wi < sizeof(win) / sizeof(win[0]); wi++) {
				for (pi = 0; pi < 2; pi++) {
					now = MS((e + win[wi].d) * len) +
					      (pi ? MS(len) - 1 : 0);
					snap[0] = sm;
					snap[1] = sm;
					xsp_secrets_advance(&snap[1],
							    now / 1000);
					xsp_secrets_init(&snap[2], &k, len,
							 now / 1000);
					for (si = 0; si < 3; si++) {
						ep = ~0ULL;
						rc = xsp_cookie_check(&snap[si],
								      &t, cisn, isn,
								      o.tstamp, tsval,
								      &out, &ep, now);
						nr++;
						EXPECT(rc == win[wi].rc &&
						       (rc || ep == e),
						       "len %u mint +%" PRIu64 " ms: epoch e%+d %s ms, snapshot %u: rc %d want %d, epoch e%+d",
						       len, offs[oi], win[wi].d,
						       pi ? "last" : "first", si,
						       rc, win[wi].rc,
						       (int)(ep - e));
					}
				}
			}
		}
	}
	printf("#   %u checks\n", nr);
	return fails;
}

/*
 * Rotate K1 -> K2 in epoch R. K1 cookies minted up to R stay valid through
 * R + 1 and not after; K2 cookies behave as usual; a K1 cookie minted
 * after R (by a node that did not rotate) is rejected; a second rotate
 * forgets K1. Valid checks report the epoch the cookie was minted in, under
 * either key. Secrets take seconds, mint and check milliseconds.
 */
static int test_rotate(void)
{
	struct xsp_secrets s1, r, r2, a;
	struct xsp_key k1, k2, k3;
	struct xsp_opts o, out;
	struct xsp_tuple t;
	u32 cisn, tsval, c_a, c_b, c_c, c_d, ts_a, ts_b, ts_c, ts_d;
	const u32 len = 60;
	int fails = 0, rc, rep;
	u64 R, ep;

	rng_seed(13);
	for (rep = 0; rep < 8; rep++) {
		rand_key(&k1);
		rand_key(&k2);
		rand_key(&k3);
		R = T0 / len + rep;
		rand_tuple(&t, rep & 1 ? AF_INET6 : AF_INET);
		rand_opts(&o);
		o.tstamp = (rep >> 1) & 1;
		cisn = (u32)rnd();

		xsp_secrets_init(&s1, &k1, len, (R - 1) * len + 5);
		c_a = xsp_cookie_mint(&s1, &t, cisn, &o, &ts_a,
				      MS((R - 1) * len + 10));
		c_b = xsp_cookie_mint(&s1, &t, cisn, &o, &ts_b,
				      MS(R * len + 3));
		/* a node still on K1 minting after the rotate epoch */
		c_d = xsp_cookie_mint(&s1, &t, cisn, &o, &ts_d,
				      MS((R + 1) * len + 1));

		r = s1;
		xsp_secrets_rotate(&r, &k2, R * len + 20);
		EXPECT(r.has_prev && r.prev_epoch == R && r.prev_until == R + 1,
		       "after rotate: has_prev %d prev_epoch %+d until %+d",
		       r.has_prev, (int)(r.prev_epoch - R),
		       (int)(r.prev_until - R));
		EXPECT(r.cur.id == xsp_key_id(&k2) &&
		       r.prev.id == xsp_key_id(&k1), "key ids after rotate");
		c_c = xsp_cookie_mint(&r, &t, cisn, &o, &ts_c,
				      MS(R * len + 30));

/* Check at @now ms on r and on r advanced to it; a valid one from @epoch. */
#define CHK(c, ts, now, want, epoch, what)				\
	do {								\
		a = r;							\
		xsp_secrets_advance(&a, (now) / 1000);			\
		ep = ~0ULL;						\
		rc = xsp_cookie_check(&r, &t, cisn, c, o.tstamp, ts,	\
				      &out, &ep, now);			\
		EXPECT(rc == (want) && (rc || ep == (epoch)),		\
		       "rep %d: %s: rc %d want %d, epoch R%+d", rep,	\
		       what, rc, want, (int)(ep - R));			\
		ep = ~0ULL;						\
		rc = xsp_cookie_check(&a, &t, cisn, c, o.tstamp, ts,	\
				      &out, &ep, now);			\
		EXPECT(rc == (want) && (rc || ep == (epoch)),		\
		       "rep %d: %s (advanced): rc %d, epoch R%+d",	\
		       rep, what, rc, (int)(ep - R));			\
	} while (0)

		CHK(c_a, ts_a, MS(R * len + 40), 0, R - 1,
		    "K1@R-1 checked in R");
		CHK(c_a, ts_a, MS((R + 1) * len), XSP_COOKIE_INVALID, 0,
		    "K1@R-1 checked in R+1");
		CHK(c_b, ts_b, MS(R * len + 40), 0, R, "K1@R checked in R");
		CHK(c_b, ts_b, MS((R + 2) * len) - 1, 0, R,
		    "K1@R checked in the last ms of R+1");
		CHK(c_b, ts_b, MS((R + 2) * len), XSP_COOKIE_INVALID, 0,
		    "K1@R checked in R+2");
		CHK(c_c, ts_c, MS(R * len + 31), 0, R, "K2@R checked in R");
		CHK(c_c, ts_c, MS((R + 1) * len + 7), 0, R,
		    "K2@R checked in R+1");
		CHK(c_c, ts_c, MS((R + 2) * len), XSP_COOKIE_STALE, 0,
		    "K2@R checked in R+2");
		CHK(c_d, ts_d, MS((R + 1) * len + 2), XSP_COOKIE_INVALID, 0,
		    "K1@R+1 (not rotated node) checked in R+1");
#undef CHK

		/* advancing past the window drops the previous key */
		a = r;
		xsp_secrets_advance(&a, (R + 1) * len + len - 1);
		EXPECT(a.has_prev, "prev dropped too early");
		EXPECT(xsp_secrets_advance(&a, (R + 2) * len) && !a.has_prev,
		       "prev not dropped after R+1");

		/* a second rotate within the window forgets K1 */
		r2 = r;
		xsp_secrets_rotate(&r2, &k3, R * len + 50);
		rc = xsp_cookie_check(&r2, &t, cisn, c_b, o.tstamp, ts_b, &out,
				      NULL, MS(R * len + 55));
		EXPECT(rc == XSP_COOKIE_INVALID, "K1 after second rotate: %d",
		       rc);
		ep = ~0ULL;
		rc = xsp_cookie_check(&r2, &t, cisn, c_c, o.tstamp, ts_c, &out,
				      &ep, MS((R + 1) * len));
		EXPECT(rc == 0 && ep == R,
		       "K2 after second rotate: %d, epoch R%+d", rc,
		       (int)(ep - R));
		ep = ~0ULL;
		rc = mint_check(&r2, MS(R * len + 56), &r2,
				MS((R + 1) * len + 3), &t, cisn, &o, &out, &ep);
		EXPECT(rc == 0 && ep == R, "K3 cookie: %d, epoch R%+d", rc,
		       (int)(ep - R));
		EXPECT(r2.prev.id == xsp_key_id(&k2), "prev id after rotate 2");
	}
	(void)tsval;
	return fails;
}

/* Advancing gives the same state as a fresh init; cache hits and misses
 * give the same cookies; the epoch arithmetic matches a division.
 */
static int test_advance(void)
{
	static const int steps[] = { 1, 2, 3, 4, 5, 100, -1, -2, -3, -4, -100 };
	struct xsp_secrets s, a, f, z;
	u32 i1, i2, i3, tv1, tv2, tv3;
	struct xsp_opts o1, o2, o3, out;
	unsigned int i, j;
	struct xsp_tuple t;
	struct xsp_key k;
	int fails = 0, rc;
	u64 now, now_ms, e, ep;
	u32 cisn, len;

	rng_seed(14);
	rand_key(&k);
	xsp_secrets_init(&s, &k, 60, T0);
	EXPECT(!xsp_secrets_advance(&s, T0), "advance in same second changed");
	EXPECT(!xsp_secrets_advance(&s, T0 - T0 % 60 + 59),
	       "advance within the epoch changed");
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		now = T0 + (s64)steps[i] * 60;
		a = s;
		EXPECT(xsp_secrets_advance(&a, now), "step %d: no change",
		       steps[i]);
		xsp_secrets_init(&f, &k, 60, now);
		EXPECT(secrets_eq(&a, &f),
		       "step %d: advanced state differs from fresh init",
		       steps[i]);
		for (j = 0; j < 200; j++) {
			rand_tuple(&t, j & 1 ? AF_INET6 : AF_INET);
			rand_opts(&o1);
			o2 = o1;
			o3 = o1;
			cisn = (u32)rnd();
			now_ms = MS(now) + rnd() % 1000;
			i1 = xsp_cookie_mint(&s, &t, cisn, &o1, &tv1, now_ms);
			i2 = xsp_cookie_mint(&a, &t, cisn, &o2, &tv2, now_ms);
			i3 = xsp_cookie_mint(&f, &t, cisn, &o3, &tv3, now_ms);
			EXPECT(i1 == i2 && i2 == i3 &&
			       (!o1.tstamp || (tv1 == tv2 && tv2 == tv3)),
			       "step %d: cached/uncached mint differ",
			       steps[i]);
			ep = ~0ULL;
			rc = xsp_cookie_check(&s, &t, cisn, i3, o3.tstamp, tv3,
					      &out, &ep, now_ms);
			EXPECT(rc == 0 && ep == now / 60,
			       "step %d: stale snapshot rejects: %d", steps[i],
			       rc);
		}
	}

	/* epoch arithmetic */
	for (i = 0; i < 20000; i++) {
		len = i % 3 ? (u32)(rnd() % 3600) + 1 : 60;
		now = i % 5 ? T0 + rnd() % 100000 : rnd() >> (rnd() % 64);
		xsp_secrets_init(&s, &k, len, i % 7 ? now - rnd() % 200 : now);
		e = xsp_secrets_epoch(&s, now);
		EXPECT(e == now / len, "len %u now %" PRIu64 ": epoch %" PRIu64,
		       len, now, e);
	}

	/* epoch_len 0 means the default */
	xsp_secrets_init(&s, &k, 0, T0);
	EXPECT(s.epoch_len == XSP_EPOCH_LEN_DEFAULT, "epoch_len 0 -> %u",
	       s.epoch_len);

	/* times near zero: epoch - 1 etc. wrap consistently */
	for (now = 0; now < 4; now++) {
		xsp_secrets_init(&z, &k, 1, now);
		rand_tuple(&t, AF_INET);
		rand_opts(&o1);
		rc = mint_check(&z, MS(now), &z, MS(now), &t, 1, &o1, &out,
				&ep);
		EXPECT(rc == 0 && ep == now, "now %" PRIu64 ": rc %d", now,
		       rc);
		rc = mint_check(&z, MS(now), &z, MS(now + 1), &t, 1, &o1,
				&out, &ep);
		EXPECT(rc == 0 && ep == now, "now %" PRIu64 " + 1: rc %d", now,
		       rc);
		rc = mint_check(&z, MS(now + 1) - 1, &z, MS(now + 2) - 1, &t,
				1, &o1, &out, &ep);
		EXPECT(rc == 0 && ep == now,
		       "last ms of %" PRIu64 " + 1: rc %d", now, rc);
	}

	/* the cache depends only on (key, epoch), not on history */
	xsp_secrets_init(&s, &k, 60, T0);
	a = s;
	for (i = 1; i <= 10; i++)
		xsp_secrets_advance(&a, T0 + i * 60);
	xsp_secrets_init(&f, &k, 60, T0 + 600);
	EXPECT(secrets_eq(&a, &f), "10 advances differ from init");
	return fails;
}

/* Two nodes with the same key accept each other's cookies, at different
 * times (any millisecond) within the validity window, and agree on the
 * epoch; nodes with different keys never do.
 */
static int test_two_nodes(void)
{
	struct xsp_secrets na, nb, nc;
	unsigned int i, accepted = 0;
	struct xsp_opts o, in, out;
	struct xsp_key k, k2;
	struct xsp_tuple t;
	u64 ta, tb, e, ep;
	int fails = 0, rc;
	u32 cisn;

	rng_seed(15);
	rand_key(&k);
	e = T0 / 60;
	xsp_secrets_init(&na, &k, 60, e * 60 + 3);
	xsp_secrets_init(&nb, &k, 60, e * 60 + 50);
	for (i = 0; i < 4000; i++) {
		rand_tuple(&t, i & 1 ? AF_INET6 : AF_INET);
		rand_opts(&in);
		cisn = (u32)rnd();
		ta = MS(e * 60) + rnd() % MS(60);
		tb = MS((e + (i & 2 ? 1 : 0)) * 60) + rnd() % MS(60);
		o = in;
		ep = ~0ULL;
		rc = i & 4 ? mint_check(&na, ta, &nb, tb, &t, cisn, &o, &out,
					&ep) :
			     mint_check(&nb, ta, &na, tb, &t, cisn, &o, &out,
					&ep);
		EXPECT(rc == 0 && opts_eq(&o, &out) && ep == e,
		       "#%u %s: other node rejects: %d", i, tuple_str(&t), rc);
	}

	rand_key(&k2);
	xsp_secrets_init(&nc, &k2, 60, e * 60 + 3);
	for (i = 0; i < 20000; i++) {
		rand_tuple(&t, i & 1 ? AF_INET6 : AF_INET);
		rand_opts(&o);
		cisn = (u32)rnd();
		ta = MS(e * 60) + rnd() % MS(60);
		tb = ta + rnd() % MS(60);
		rc = i & 2 ? mint_check(&na, ta, &nc, tb, &t, cisn, &o, &out,
					NULL) :
			     mint_check(&nc, ta, &na, tb, &t, cisn, &o, &out,
					NULL);
		if (rc == 0)
			accepted++;
	}
	EXPECT(accepted == 0, "%u of 20000 cookies accepted under another key",
	       accepted);
	return fails;
}

static int cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

static int test_key_id(void)
{
	static u32 ids[1000];
	struct xsp_secrets s;
	struct xsp_key k, k2;
	unsigned int i;
	int fails = 0;

	rng_seed(16);
	rand_key(&k);
	EXPECT(xsp_key_id(&k) == xsp_key_id(&k), "key id not deterministic");
	xsp_secrets_init(&s, &k, 60, T0);
	EXPECT(s.cur.id == xsp_key_id(&k), "secrets carry another id");
	for (i = 0; i < 128; i++) {
		k2 = k;
		k2.bytes[i / 8] ^= 1U << (i % 8);
		EXPECT(xsp_key_id(&k2) != xsp_key_id(&k),
		       "key bit %u flip keeps the id", i);
	}
	for (i = 0; i < 1000; i++) {
		rand_key(&k);
		ids[i] = xsp_key_id(&k);
	}
	qsort(ids, 1000, sizeof(ids[0]), cmp_u32);
	for (i = 1; i < 1000; i++)
		EXPECT(ids[i] != ids[i - 1], "key id collision %08x", ids[i]);
	return fails;
}

/*
 * ISN bits and TSval MAC bits (8..31) look uniform: every bit set in 50% +-
 * 3% of cookies. The TSval time bits (0..7) are the mint time, not random.
 */
static int test_balance(void)
{
	unsigned int i, b, cnt_isn[32] = { 0 }, cnt_ts[32] = { 0 }, n = 20000;
	struct xsp_secrets s;
	struct xsp_tuple t;
	struct xsp_opts o;
	struct xsp_key k;
	u32 isn, tsval;
	int fails = 0;
	u64 now;

	rng_seed(17);
	rand_key(&k);
	xsp_secrets_init(&s, &k, 60, T0);
	for (i = 0; i < n; i++) {
		/* same client and options, varying port and ISN */
		rng_seed(17);
		rand_tuple(&t, AF_INET);
		rand_opts(&o);
		o.tstamp = 1;
		rng_seed(1000 + i);
		t.sport = (u16)rnd();
		now = T0_MS + i;	/* 20 s, within T0's epoch */
		isn = xsp_cookie_mint(&s, &t, (u32)rnd(), &o, &tsval, now);
		EXPECT((tsval & XSP_TS_TIME_MASK) == ts_field(now),
		       "TSval 0x%08x minted at %" PRIu64 " ms: time field",
		       tsval, now);
		for (b = 0; b < 32; b++) {
			cnt_isn[b] += (isn >> b) & 1;
			cnt_ts[b] += (tsval >> b) & 1;
		}
	}
	for (b = 0; b < 32; b++) {
		EXPECT(cnt_isn[b] > n * 47 / 100 && cnt_isn[b] < n * 53 / 100,
		       "ISN bit %u set in %u of %u", b, cnt_isn[b], n);
		if (b < XSP_TS_TIME_BITS)
			continue;
		EXPECT(cnt_ts[b] > n * 47 / 100 && cnt_ts[b] < n * 53 / 100,
		       "TSval bit %u set in %u of %u", b, cnt_ts[b], n);
	}
	return fails;
}

/* ------------------------------------------------------------------ */
/* Format 2: the TSval time field, xsp_cookie_ts_age(), epoch_out */

/*
 * The cookie recomputed from the format as documented (xsp_cookie.h,
 * Documentation/cookie.rst) with siphash() itself: message saddr, daddr,
 * sport, dport, client ISN (le32), meta (le32) with meta = data bits |
 * timestamps << 10 | time field << 11 (timestamps only) | 2 << 24, keyed
 * with salt(K, e) = { SipHash_K("xspsalt0" || e), SipHash_K("xspsalt1" ||
 * e) }, e = ms / 1000 / epoch_len; ISN = MAC bits 0..21 << 10 | data ^ MAC
 * bits 12..21; TSval = SipHash bits 40..63 << 8 | (ms >> 4) & 0xff.
 */
static int test_format(void)
{
	struct xsp_secrets s;
	struct xsp_tuple t;
	struct xsp_opts o, in;
	struct xsp_key k;
	unsigned int i, off, alen;
	u32 cisn, isn, tsval, data, meta, mac, want_isn, want_ts, time;
	siphash_key_t master, salt;
	u8 msg[44];
	int fails = 0;
	u64 now = 0, e, h;

	rng_seed(20);
	for (i = 0; i < 4000; i++) {
		if (i % 100 == 0) {
			rand_key(&k);
			master.key[0] = master.key[1] = 0;
			for (off = 0; off < 8; off++) {
				master.key[0] |= (u64)k.bytes[off] << (8 * off);
				master.key[1] |= (u64)k.bytes[8 + off] << (8 * off);
			}
			now = MS(T0) + rnd() % MS(1000000);
			xsp_secrets_init(&s, &k, i % 200 ? 60 : 1 + rnd() % 3600,
					 now / 1000);
		}
		now += rnd() % 50;	/* salts cached or not */
		e = now / 1000 / s.epoch_len;
		salt.key[0] = siphash_2u64(0x30746c6173707378ULL, e, &master);
		salt.key[1] = siphash_2u64(0x31746c6173707378ULL, e, &master);
		rand_tuple(&t, i & 1 ? AF_INET6 : AF_INET);
		rand_opts(&in);
		o = in;
		cisn = (u32)rnd();
		tsval = 0;
		isn = xsp_cookie_mint(&s, &t, cisn, &o, &tsval, now);

		time = (u32)(now >> 4) & 0xff;
		data = (u32)o.sack | (u32)o.ecn << 1 | (u32)o.wscale << 2 |
		       xsp_mss_index(t.family, in.mss) << 6 |
		       (u32)(e & 1) << 9;
		meta = data | 2U << 24;
		if (o.tstamp)
			meta |= 1U << 10 | time << 11;
		alen = t.family == AF_INET6 ? 16 : 4;
		off = 0;
		memcpy(msg + off, &t.saddr, alen);
		off += alen;
		memcpy(msg + off, &t.daddr, alen);
		off += alen;
		memcpy(msg + off, &t.sport, 2);
		memcpy(msg + off + 2, &t.dport, 2);
		off += 4;
		msg[off++] = (u8)cisn;
		msg[off++] = (u8)(cisn >> 8);
		msg[off++] = (u8)(cisn >> 16);
		msg[off++] = (u8)(cisn >> 24);
		msg[off++] = (u8)meta;
		msg[off++] = (u8)(meta >> 8);
		msg[off++] = (u8)(meta >> 16);
		msg[off++] = (u8)(meta >> 24);
		h = siphash(msg, off, &salt);
		mac = (u32)h & 0x3fffff;
		want_isn = mac << 10 | (data ^ (mac >> 12));
		want_ts = (u32)(h >> 40) << 8 | time;
		EXPECT(isn == want_isn && (!o.tstamp || tsval == want_ts),
		       "#%u %s ts %u: isn 0x%08x tsval 0x%08x, documented 0x%08x 0x%08x",
		       i, tuple_str(&t), o.tstamp, isn, tsval, want_isn,
		       want_ts);
	}
	return fails;
}

/*
 * The TSval's time field is (mint ms >> 4) & 0xff, at every millisecond
 * over more than one wrap of the field, near zero and at large times. It
 * is in the MAC input only with timestamps: without them the ISN is the
 * same at every millisecond of an epoch; with them, ISN and TSval MAC are
 * the same within a 16 ms unit and differ between units.
 */
static int test_ts_time_field(void)
{
	static const u64 bases[] = { 0, 4096 * 1000, T0_MS - 2000,
				     (1ULL << 42) + 7, (1ULL << 52) - 3000 };
	struct xsp_opts o, o_ts, out;
	u32 cisn, isn, tsval, isn0 = 0, tsval0 = 0, isn_nts0 = 0;
	unsigned int bi, changes;
	struct xsp_secrets s;
	struct xsp_tuple t;
	struct xsp_key k;
	int fails = 0, rc;
	u64 now, base, ep, prev_unit;

	rng_seed(21);
	for (bi = 0; bi < sizeof(bases) / sizeof(bases[0]); bi++) {
		rand_key(&k);
		rand_tuple(&t, bi & 1 ? AF_INET6 : AF_INET);
		rand_opts(&o);
		cisn = (u32)rnd();
		base = bases[bi];
		/* 4200 ms from base: keep them in one 3600 s epoch */
		xsp_secrets_init(&s, &k, 3600, base / 1000);
		if (base / 1000 / 3600 != (base + 4200) / 1000 / 3600) {
			base -= 5000;
			xsp_secrets_init(&s, &k, 3600, base / 1000);
		}
		changes = 0;
		prev_unit = base >> 4;
		for (now = base; now < base + 4200; now++) {
			o_ts = o;
			o_ts.tstamp = 1;
			isn = xsp_cookie_mint(&s, &t, cisn, &o_ts, &tsval, now);
			EXPECT((tsval & 0xff) == ((now >> 4) & 0xff) &&
			       (tsval & XSP_TS_TIME_MASK) == ts_field(now),
			       "mint at %" PRIu64 " ms: TSval 0x%08x", now,
			       tsval);
			if (now == base || now >> 4 != prev_unit) {
				if (now != base &&
				    (isn != isn0 || (tsval >> 8) != (tsval0 >> 8)))
					changes++;
				prev_unit = now >> 4;
				isn0 = isn;
				tsval0 = tsval;
			} else {
				EXPECT(isn == isn0 && tsval == tsval0,
				       "%" PRIu64 " ms: cookie changed within a 16 ms unit",
				       now);
			}
			ep = ~0ULL;
			rc = xsp_cookie_check(&s, &t, cisn, isn, true, tsval,
					      &out, &ep, now);
			EXPECT(rc == 0 && ep == now / 1000 / 3600,
			       "%" PRIu64 " ms: rc %d", now, rc);

			o_ts = o;
			o_ts.tstamp = 0;
			isn = xsp_cookie_mint(&s, &t, cisn, &o_ts, &tsval, now);
			if (now == base)
				isn_nts0 = isn;
			EXPECT(isn == isn_nts0,
			       "%" PRIu64 " ms: ISN without timestamps depends on the time",
			       now);
		}
		/* 4200 ms span 263 or 264 units: one change per new unit */
		EXPECT(changes == ((base + 4199) >> 4) - (base >> 4),
		       "base %" PRIu64 ": cookie changed at %u of %" PRIu64 " unit boundaries",
		       base, changes, ((base + 4199) >> 4) - (base >> 4));
	}
	return fails;
}

/*
 * A TSecr with only its time field altered fails the MAC: INVALID with
 * every other time value, in the mint epoch, the next one and the stale
 * window (where the genuine one is STALE). An ISN and a TSval minted for
 * the same SYN in different 16 ms units do not mix.
 */
static int test_ts_time_mac(void)
{
	unsigned int n, v, tried = 0;
	struct xsp_opts o, o2, out;
	struct xsp_secrets s;
	struct xsp_tuple t;
	struct xsp_key k;
	u32 cisn, isn, isn2, tsval, tsval2, alt;
	int fails = 0, rc, rc2;
	u64 now, when[3];
	unsigned int wi;
	static const int want[3] = { 0, 0, XSP_COOKIE_STALE };

	rng_seed(22);
	rand_key(&k);
	xsp_secrets_init(&s, &k, 60, T0);
	for (n = 0; n < 48; n++) {
		rand_tuple(&t, n & 1 ? AF_INET6 : AF_INET);
		rand_opts(&o);
		o.tstamp = 1;
		cisn = (u32)rnd();
		now = MS(T0 - T0 % 60) + rnd() % MS(60);
		isn = xsp_cookie_mint(&s, &t, cisn, &o, &tsval, now);
		when[0] = now;
		when[1] = now + MS(60);
		when[2] = now + MS(120);
		for (wi = 0; wi < 3; wi++) {
			rc = xsp_cookie_check(&s, &t, cisn, isn, true, tsval,
					      &out, NULL, when[wi]);
			EXPECT(rc == want[wi], "#%u e+%u: genuine rc %d", n, wi,
			       rc);
			for (v = 0; v <= XSP_TS_TIME_MASK; v++) {
				if (v == (tsval & XSP_TS_TIME_MASK))
					continue;
				alt = (tsval & ~XSP_TS_TIME_MASK) | v;
				rc = xsp_cookie_check(&s, &t, cisn, isn, true,
						      alt, &out, NULL,
						      when[wi]);
				EXPECT(rc == XSP_COOKIE_INVALID,
				       "#%u %s e+%u: TSecr time 0x%02x -> 0x%02x: rc %d",
				       n, tuple_str(&t), wi,
				       tsval & XSP_TS_TIME_MASK, v, rc);
				tried++;
			}
		}
		/* the same SYN answered again one unit later */
		o2 = o;
		isn2 = xsp_cookie_mint(&s, &t, cisn, &o2, &tsval2, now + 16);
		EXPECT(isn2 != isn && tsval2 != tsval,
		       "#%u: same cookie one unit later", n);
		rc = xsp_cookie_check(&s, &t, cisn, isn, true, tsval2, &out,
				      NULL, now + 16);
		rc2 = xsp_cookie_check(&s, &t, cisn, isn2, true, tsval, &out,
				       NULL, now + 16);
		EXPECT(rc == XSP_COOKIE_INVALID && rc2 == XSP_COOKIE_INVALID,
		       "#%u: ISN and TSval of different units mix: %d %d", n,
		       rc, rc2);
		tried += 2;
	}
	printf("#   %u altered TSecr rejected\n", tried - fails);
	return fails;
}

/*
 * epoch_out: the epoch the cookie was minted in, checked in that epoch or
 * the next, under the current or the previous key; NULL is allowed; left
 * alone when the check fails.
 */
static int test_epoch_out(void)
{
	static const u32 lens[] = { 1, 60, 3600 };
	struct xsp_secrets s, r, r2;
	struct xsp_key k1, k2, k3;
	struct xsp_opts o, out;
	struct xsp_tuple t;
	u32 cisn, isn, tsval, c1, t1, c2, t2, len;
	unsigned int li, n;
	int fails = 0, rc, rc2;
	u64 e, ep, R, now;

	rng_seed(23);
	for (li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
		len = lens[li];
		for (n = 0; n < 64; n++) {
			rand_key(&k1);
			rand_tuple(&t, n & 1 ? AF_INET6 : AF_INET);
			rand_opts(&o);
			cisn = (u32)rnd();
			/* both parities; n == 0: epoch 0 */
			e = n ? T0 / len + n : 0;
			now = MS(e * len) + rnd() % MS(len);
			xsp_secrets_init(&s, &k1, len, now / 1000);
			isn = xsp_cookie_mint(&s, &t, cisn, &o, &tsval, now);

			/* current epoch: at mint and in its last ms */
			ep = ~0ULL;
			rc = xsp_cookie_check(&s, &t, cisn, isn, o.tstamp,
					      tsval, &out, &ep, now);
			EXPECT(rc == 0 && ep == e,
			       "len %u e %" PRIu64 ": current: rc %d epoch %+d",
			       len, e, rc, (int)(ep - e));
			ep = ~0ULL;
			rc = xsp_cookie_check(&s, &t, cisn, isn, o.tstamp,
					      tsval, &out, &ep,
					      MS((e + 1) * len) - 1);
			EXPECT(rc == 0 && ep == e,
			       "len %u: last ms of the epoch: rc %d epoch %+d",
			       len, rc, (int)(ep - e));
			/* previous epoch, i.e. checked in the next one */
			ep = ~0ULL;
			rc = xsp_cookie_check(&s, &t, cisn, isn, o.tstamp,
					      tsval, &out, &ep,
					      MS((e + 1) * len));
			EXPECT(rc == 0 && ep == e,
			       "len %u: previous epoch: rc %d epoch %+d", len,
			       rc, (int)(ep - e));
			/* NULL: same result */
			rc2 = xsp_cookie_check(&s, &t, cisn, isn, o.tstamp,
					       tsval, &out, NULL,
					       MS((e + 1) * len));
			EXPECT(rc2 == rc, "epoch_out NULL: rc %d", rc2);
			/* failures leave it alone */
			ep = 12345;
			rc = xsp_cookie_check(&s, &t, cisn, isn, o.tstamp,
					      tsval, &out, &ep,
					      MS((e + 2) * len));
			EXPECT(rc == XSP_COOKIE_STALE && ep == 12345,
			       "stale: rc %d, epoch_out written", rc);
			rc = xsp_cookie_check(&s, &t, cisn, isn ^ 1, o.tstamp,
					      tsval, &out, &ep, now);
			EXPECT(rc == XSP_COOKIE_INVALID && ep == 12345,
			       "invalid: rc %d, epoch_out written", rc);
		}
	}

	/* after a rotate in R: old-key and new-key cookies */
	for (n = 0; n < 16; n++) {
		len = 60;
		rand_key(&k1);
		rand_key(&k2);
		rand_key(&k3);
		rand_tuple(&t, n & 1 ? AF_INET6 : AF_INET);
		rand_opts(&o);
		cisn = (u32)rnd();
		R = T0 / len + n;
		xsp_secrets_init(&s, &k1, len, (R - 1) * len);
		c1 = xsp_cookie_mint(&s, &t, cisn, &o, &t1,
				     MS((R - 1) * len) + rnd() % MS(len));
		isn = xsp_cookie_mint(&s, &t, cisn, &o, &tsval,
				      MS(R * len) + rnd() % MS(len / 2));
		r = s;
		xsp_secrets_rotate(&r, &k2, R * len + len / 2);
		c2 = xsp_cookie_mint(&r, &t, cisn, &o, &t2,
				     MS(R * len + len / 2) + rnd() % MS(len / 2));

		ep = ~0ULL;
		rc = xsp_cookie_check(&r, &t, cisn, c1, o.tstamp, t1, &out,
				      &ep, MS(R * len + len - 1));
		EXPECT(rc == 0 && ep == R - 1,
		       "old key, minted R-1, checked R: rc %d epoch R%+d", rc,
		       (int)(ep - R));
		ep = ~0ULL;
		rc = xsp_cookie_check(&r, &t, cisn, isn, o.tstamp, tsval,
				      &out, &ep, MS((R + 1) * len) + 500);
		EXPECT(rc == 0 && ep == R,
		       "old key, minted R, checked R+1: rc %d epoch R%+d", rc,
		       (int)(ep - R));
		ep = ~0ULL;
		rc = xsp_cookie_check(&r, &t, cisn, c2, o.tstamp, t2, &out,
				      &ep, MS((R + 1) * len) + 500);
		EXPECT(rc == 0 && ep == R,
		       "new key, minted R, checked R+1: rc %d epoch R%+d", rc,
		       (int)(ep - R));
		/* a second rotate: K2 is now the previous key */
		r2 = r;
		xsp_secrets_rotate(&r2, &k3, (R + 1) * len);
		ep = ~0ULL;
		rc = xsp_cookie_check(&r2, &t, cisn, c2, o.tstamp, t2, &out,
				      &ep, MS((R + 1) * len) + 500);
		EXPECT(rc == 0 && ep == R,
		       "K2 as previous key after a second rotate: rc %d epoch R%+d",
		       rc, (int)(ep - R));
		ep = 12345;
		rc = xsp_cookie_check(&r2, &t, cisn, isn, o.tstamp, tsval,
				      &out, &ep, MS((R + 1) * len) + 500);
		EXPECT(rc == XSP_COOKIE_INVALID && ep == 12345,
		       "K1 after a second rotate: rc %d", rc);
	}
	return fails;
}

/*
 * The age in ms of a TSval minted at @mint, read at @now, as expected: the
 * end of the 16 ms unit, the units mod 256, the last 64 of them (a clock
 * behind) reading as unit 0.
 */
static u32 want_age(u64 mint, u64 now)
{
	u64 ticks = ((now >> 4) - (mint >> 4)) % 256;

	return (u32)((ticks >= 192 ? 0 : ticks) * 16 + 15);
}

/*
 * xsp_cookie_ts_age(): exact at and around 16 ms unit boundaries (and the
 * wrap of the 8-bit field), independent of the TSval's MAC bits; for every
 * age 0..3071 ms at many mint times it is never below the true age, at
 * most 30 ms above, the end of a 16 ms unit, and grows with the age. The
 * last 64 units before the mint time (a checking clock behind the minting
 * node's) read as the smallest age, 15 ms. It is periodic in 4096 ms:
 * older TSvals wrap around (documented, not wanted).
 */
static int test_ts_age(void)
{
	static const struct {
		u64 mint, now;
		u32 age;
	} exact[] = {
		{ 0, 0, 15 },		/* age 0: end of the current unit */
		{ 0, 15, 15 },
		{ 0, 16, 31 },
		{ 15, 15, 15 },
		{ 15, 16, 31 },		/* age 1 across a boundary: 31 */
		{ 15, 31, 31 },
		{ 15, 32, 47 },
		{ 16, 31, 15 },
		{ 16, 32, 31 },
		{ 100, 117, 31 },	/* 100 = 6 * 16 + 4 */
		{ 100, 140, 47 },
		{ 0, 1000, 1007 },	/* 1000 = 62 * 16 + 8 */
		{ 999, 1000, 15 },	/* same unit */
		{ 0, 3071, 3071 },	/* unit 191: the largest age */
		{ 0, 3072, 15 },	/* unit 192: a clock behind */
		{ 0, 4080, 15 },
		{ 0, 4095, 15 },
		{ 4095, 4096, 31 },	/* field 255 -> 0 */
		{ 4088, 4100, 31 },
		{ 4080, 4096 + 4079, 15 },
		{ 4080, 4080 + 3000, 3007 },
		{ T0_MS, T0_MS + 37, 47 },	/* T0_MS = 16 * k + 9 */
		{ T0_MS, T0_MS + 6, 15 },
		{ T0_MS, T0_MS + 7, 31 },
		{ (1ULL << 40) - 1, 1ULL << 40, 31 },
		{ ~0ULL - 20, ~0ULL, 31 },
	};
	static const u64 bases[] = { 0, 4096 - 300, T0_MS, MS(T0) + 4000,
				     (1ULL << 44) - 2000 };
	struct xsp_secrets s;
	struct xsp_tuple t;
	struct xsp_opts o;
	struct xsp_key k;
	unsigned int i, bi, off, age, tried = 0, lo = ~0U, hi = 0;
	u32 tsval, got, prev, over;
	u64 mint;
	int fails = 0;

	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
		tsval = (u32)(exact[i].mint >> 4) & 0xff;
		got = xsp_cookie_ts_age(tsval, exact[i].now);
		EXPECT(got == exact[i].age &&
		       got == want_age(exact[i].mint, exact[i].now),
		       "mint %" PRIu64 " now %" PRIu64 ": age %u want %u",
		       exact[i].mint, exact[i].now, got, exact[i].age);
		/* the MAC bits do not matter */
		got = xsp_cookie_ts_age(tsval | 0xffffff00U, exact[i].now);
		EXPECT(got == exact[i].age, "MAC bits set: age %u", got);
		got = xsp_cookie_ts_age(tsval | 0x5a5a5a00U, exact[i].now);
		EXPECT(got == exact[i].age, "MAC bits 0x5a5a5a: age %u", got);
	}

	/* real TSvals: every sub-unit offset at several bases, ages 0..3071 */
	rng_seed(24);
	rand_key(&k);
	rand_tuple(&t, AF_INET);
	rand_opts(&o);
	for (bi = 0; bi < sizeof(bases) / sizeof(bases[0]) + 16; bi++) {
		for (off = 0; off < 16; off++) {
			mint = bi < sizeof(bases) / sizeof(bases[0]) ?
			       bases[bi] : MS(T0) + rnd() % MS(100000);
			mint = (mint & ~15ULL) + off;
			xsp_secrets_init(&s, &k, 60, mint / 1000);
			o.tstamp = 1;
			xsp_cookie_mint(&s, &t, 1, &o, &tsval, mint);
			prev = 0;
			for (age = 0; age + off < 3072; age++) {
				got = xsp_cookie_ts_age(tsval, mint + age);
				over = got - age;
				EXPECT(got >= age && over <= 30,
				       "mint %" PRIu64 " age %u: got %u", mint,
				       age, got);
				EXPECT(got % 16 == 15 && got >= prev &&
				       got == want_age(mint, mint + age),
				       "mint %" PRIu64 " age %u: got %u after %u",
				       mint, age, got, prev);
				if (got >= age) {
					lo = over < lo ? over : lo;
					hi = over > hi ? over : hi;
				}
				prev = got;
				tried++;
			}
			/* from unit 192 on: a clock behind, the smallest age */
			for (age = 3072 - off; age < 4096 - off; age += 5) {
				got = xsp_cookie_ts_age(tsval, mint + age);
				EXPECT(got == 15, "mint %" PRIu64 " age %u: got %u",
				       mint, age, got);
			}
			/* wrap: ages of 4096 ms and more read 4096 ms less */
			for (age = 4096; age < 3 * 4096; age += 7) {
				got = xsp_cookie_ts_age(tsval, mint + age);
				EXPECT(got < age &&
				       got == xsp_cookie_ts_age(tsval,
								mint + age % 4096),
				       "mint %" PRIu64 " age %u: got %u, no wrap",
				       mint, age, got);
			}
			/*
			 * A check clock behind the mint clock (another node,
			 * a clock step) reads as the smallest age.
			 */
			got = xsp_cookie_ts_age(tsval, mint - off - 1);
			EXPECT(got == 15, "mint %" PRIu64 ": 1 ms earlier -> %u",
			       mint, got);
			got = xsp_cookie_ts_age(tsval, mint - off - 1000);
			EXPECT(got == 15, "mint %" PRIu64 ": 1 s earlier -> %u",
			       mint, got);
		}
	}
	printf("#   %u ages checked, rounded up by %u..%u ms\n", tried, lo, hi);
	EXPECT(lo == 0 && hi <= 30, "rounding %u..%u ms", lo, hi);
	return fails;
}

/* ------------------------------------------------------------------ */
/* Checked-in vectors */

static void key_hex(const struct xsp_key *k, char *buf)
{
	unsigned int i;

	for (i = 0; i < XSP_KEY_LEN; i++)
		sprintf(buf + 2 * i, "%02x", k->bytes[i]);
}

static bool parse_key(const char *s, struct xsp_key *k)
{
	unsigned int i, v;

	if (strlen(s) != 2 * XSP_KEY_LEN)
		return false;
	for (i = 0; i < XSP_KEY_LEN; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return false;
		k->bytes[i] = (u8)v;
	}
	return true;
}

static void gen_key(struct xsp_key *k, unsigned int n)
{
	unsigned int i;

	if (n == 0) {
		for (i = 0; i < XSP_KEY_LEN; i++)
			k->bytes[i] = (u8)i;
	} else if (n == 1) {
		memset(k, 0, sizeof(*k));
	} else {
		rand_key(k);
	}
}

/*
 * One "mint" vector: vector i's key and epoch length, a random tuple of
 * FAMILY, random options but MSS (no window scale for every seventh).
 */
static void gen_mint(unsigned int i, int family, u16 mss)
{
	static const u32 lens[] = { 60, 60, 60, 15, 1, 3600 };
	char kh[2 * XSP_KEY_LEN + 1], a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	struct xsp_secrets s;
	struct xsp_tuple t;
	struct xsp_opts o;
	struct xsp_key k;
	u32 cisn, isn, tsval, len;
	u64 now;

	gen_key(&k, i % 5 == 4 ? 2 + i : i % 3);
	key_hex(&k, kh);
	len = lens[i % (sizeof(lens) / sizeof(lens[0]))];
	now = MS(T0) + rnd() % MS(1000000);
	rand_tuple(&t, family);
	rand_opts(&o);
	o.mss = mss;
	if (i % 7 == 3)
		o.wscale = XSP_WSCALE_NONE;
	cisn = (u32)rnd();
	xsp_secrets_init(&s, &k, len, now / 1000);
	printf("mint %s %u %" PRIu64 " %d ", kh, len, now,
	       t.family == AF_INET6 ? 6 : 4);
	inet_ntop(t.family, &t.saddr, a, sizeof(a));
	inet_ntop(t.family, &t.daddr, b, sizeof(b));
	printf("%s %s %u %u 0x%08x %u %u %u %u %u ", a, b,
	       ntohs(t.sport), ntohs(t.dport), cisn, o.mss, o.wscale,
	       o.sack, o.ecn, o.tstamp);
	isn = xsp_cookie_mint(&s, &t, cisn, &o, &tsval, now);
	if (o.tstamp)
		printf("-> 0x%08x 0x%08x %u\n", isn, tsval, o.mss);
	else
		printf("-> 0x%08x - %u\n", isn, o.mss);
}

static void gen_vectors(void)
{
	static const u16 msses[] = { 0, 536, 1200, 1300, 1380, 1440, 1452,
				     1460, 9000, 1220, 1280, 1420, 1432, 8940,
				     65535, 100 };
	char kh[2 * XSP_KEY_LEN + 1];
	struct xsp_secrets s;
	struct xsp_key k;
	unsigned int i;
	u64 now;

	rng_seed(0x766563);
	printf("# xsynproxy cookie test vectors, format 2.\n"
	       "# Generated by ./test_cookie --gen-vectors; checked by make check.\n"
	       "# A change here breaks interoperability with deployed nodes.\n"
	       "#\n"
	       "# id KEY KEY_ID\n"
	       "# salt KEY EPOCH SALT_K0 SALT_K1\n"
	       "# mint KEY EPOCH_LEN NOW_MS AF SADDR DADDR SPORT DPORT CLIENT_ISN MSS WSCALE SACK ECN TS -> ISN TSVAL MSS_ENCODED\n"
	       "# (KEY is hex bytes; EPOCH_LEN is seconds, NOW_MS wall-clock milliseconds;\n"
	       "# TSVAL is - without timestamps, else 24 MAC bits and the 8-bit time field)\n");
	for (i = 0; i < 4; i++) {
		gen_key(&k, i);
		key_hex(&k, kh);
		printf("id %s 0x%08x\n", kh, xsp_key_id(&k));
	}
	for (i = 0; i < 4; i++) {
		gen_key(&k, i);
		key_hex(&k, kh);
		now = i == 1 ? 0 : T0 + rnd() % 100000;
		xsp_secrets_init(&s, &k, 60, now);
		printf("salt %s %" PRIu64 " 0x%016" PRIx64 " 0x%016" PRIx64 "\n",
		       kh, s.epoch, s.cur.salt[s.epoch % XSP_SALT_SLOTS].key[0],
		       s.cur.salt[s.epoch % XSP_SALT_SLOTS].key[1]);
	}
	for (i = 0; i < 48; i++)
		gen_mint(i, i & 1 ? AF_INET6 : AF_INET,
			 msses[i % (sizeof(msses) / sizeof(msses[0]))]);
	/*
	 * Every entry of both MSS tables, so that each index of each family
	 * is pinned (the lines above, kept as they were, miss some).
	 */
	for (i = 0; i < 2 * XSP_MSS_NR; i++)
		gen_mint(48 + i, i < XSP_MSS_NR ? AF_INET : AF_INET6,
			 i < XSP_MSS_NR ? msstab4[i] : msstab6[i - XSP_MSS_NR]);
}

static int check_mint_line(const char *line, unsigned int lineno)
{
	char kh[64], sa[64], da[64], tsv[16];
	unsigned int len, af, sport, dport, cisn, mss, ws, sack, ecn, ts;
	unsigned int isn, emss, got, gts = 0, want_ts = 0;
	struct xsp_opts o, out;
	struct xsp_secrets s;
	struct xsp_tuple t;
	struct xsp_key k;
	int fails = 0, rc;
	u64 now, ep = ~0ULL;

	if (sscanf(line, "mint %63s %u %" SCNu64 " %u %63s %63s %u %u %x %u %u %u %u %u -> %x %15s %u",
		   kh, &len, &now, &af, sa, da, &sport, &dport, &cisn, &mss,
		   &ws, &sack, &ecn, &ts, &isn, tsv, &emss) != 17 ||
	    !parse_key(kh, &k) || (af != 4 && af != 6) ||
	    (ts && sscanf(tsv, "%x", &want_ts) != 1)) {
		diag("line %u: cannot parse", lineno);
		return 1;
	}
	memset(&t, 0, sizeof(t));
	t.family = af == 6 ? AF_INET6 : AF_INET;
	if (inet_pton(t.family, sa, &t.saddr) != 1 ||
	    inet_pton(t.family, da, &t.daddr) != 1) {
		diag("line %u: bad address", lineno);
		return 1;
	}
	t.sport = htons((u16)sport);
	t.dport = htons((u16)dport);
	memset(&o, 0, sizeof(o));
	o.mss = (u16)mss;
	o.wscale = (u8)ws;
	o.sack = sack & 1;
	o.ecn = ecn & 1;
	o.tstamp = ts & 1;
	xsp_secrets_init(&s, &k, len, now / 1000);
	got = xsp_cookie_mint(&s, &t, cisn, &o, &gts, now);
	EXPECT(got == isn && (!ts || gts == want_ts) && o.mss == emss,
	       "line %u: got isn 0x%08x tsval 0x%08x mss %u", lineno, got,
	       gts, o.mss);
	EXPECT(!ts || (want_ts & XSP_TS_TIME_MASK) == ts_field(now),
	       "line %u: TSval time field is not the mint time", lineno);
	rc = xsp_cookie_check(&s, &t, cisn, isn, ts, want_ts, &out, &ep, now);
	EXPECT(rc == 0 && out.mss == emss && out.wscale == ws &&
	       out.sack == sack && out.ecn == ecn && ep == now / 1000 / len,
	       "line %u: vector does not check: %d", lineno, rc);
	return fails;
}

static int test_vectors(void)
{
	unsigned int lineno = 0, n_id = 0, n_salt = 0, n_mint = 0, want;
	char line[512], kh[64];
	struct xsp_secrets s;
	struct xsp_key k;
	u64 epoch, k0, k1;
	int fails = 0;
	FILE *f;

	f = fopen(vectors_path, "r");
	if (!f) {
		diag("cannot open %s", vectors_path);
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (!strncmp(line, "id ", 3)) {
			if (sscanf(line, "id %63s %x", kh, &want) != 2 ||
			    !parse_key(kh, &k)) {
				diag("line %u: cannot parse", lineno);
				fails++;
				continue;
			}
			EXPECT(xsp_key_id(&k) == want, "line %u: key id %08x",
			       lineno, xsp_key_id(&k));
			n_id++;
		} else if (!strncmp(line, "salt ", 5)) {
			if (sscanf(line, "salt %63s %" SCNu64 " %" SCNx64 " %" SCNx64,
				   kh, &epoch, &k0, &k1) != 4 ||
			    !parse_key(kh, &k)) {
				diag("line %u: cannot parse", lineno);
				fails++;
				continue;
			}
			xsp_secrets_init(&s, &k, 60, epoch * 60);
			EXPECT(s.cur.salt[epoch % XSP_SALT_SLOTS].key[0] == k0 &&
			       s.cur.salt[epoch % XSP_SALT_SLOTS].key[1] == k1,
			       "line %u: salt differs", lineno);
			n_salt++;
		} else if (!strncmp(line, "mint ", 5)) {
			fails += check_mint_line(line, lineno);
			n_mint++;
		} else {
			diag("line %u: unknown record", lineno);
			fails++;
		}
	}
	fclose(f);
	EXPECT(n_id && n_salt && n_mint, "%s: missing records", vectors_path);
	printf("#   %s: %u id, %u salt, %u mint vectors\n", vectors_path, n_id,
	       n_salt, n_mint);
	return fails;
}

/* ------------------------------------------------------------------ */

static const struct {
	int (*fn)(void);
	const char *name;
} tests[] = {
	{ test_siphash_vectors, "siphash reference vectors (64, key 00..0f)" },
	{ test_siphash_words, "siphash_Nu64 helpers hash little-endian words" },
	{ test_mss_table, "mss tables and index for every u16 MSS" },
	{ test_roundtrip4, "round trip ipv4: all options and MSS values" },
	{ test_roundtrip6, "round trip ipv6: all options and MSS values" },
	{ test_flip_seq, "bit flips of ISN, TSecr, client ISN, TS option rejected" },
	{ test_flip_tuple, "bit flips of addresses and ports rejected" },
	{ test_epoch_window, "epoch window: valid e..e+1, stale e+2..e+3" },
	{ test_rotate, "rotate: previous key accepted up to rotate epoch + 1" },
	{ test_advance, "advance and on-the-fly salts match fresh secrets" },
	{ test_two_nodes, "two nodes share a key, different keys never match" },
	{ test_key_id, "key id: deterministic, sensitive to every key bit" },
	{ test_balance, "ISN and TSval MAC bits balanced" },
	{ test_format, "format 2: ISN, TSval and meta word as documented" },
	{ test_ts_time_field, "TSval time field is the mint ms >> 4, in the MAC only with timestamps" },
	{ test_ts_time_mac, "TSecr with only the time field altered is INVALID" },
	{ test_epoch_out, "check reports the mint epoch: current, previous, after a rotate" },
	{ test_ts_age, "ts_age: exact at unit boundaries, never below the age, <= 30 ms above, a clock behind reads 15 ms, wraps at 4096 ms" },
	{ test_vectors, "checked-in vectors" },
};

#define NR_TESTS (sizeof(tests) / sizeof(tests[0]))

int main(int argc, char **argv)
{
	int start = 0, failed = 0, i, f;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--gen-vectors")) {
			gen_vectors();
			return 0;
		} else if (!strcmp(argv[i], "--count")) {
			printf("%zu\n", NR_TESTS);
			return 0;
		} else if (!strcmp(argv[i], "--vectors") && i + 1 < argc) {
			vectors_path = argv[++i];
		} else if (!strcmp(argv[i], "--start") && i + 1 < argc) {
			start = atoi(argv[++i]);
		} else {
			fprintf(stderr,
				"usage: %s [--vectors FILE] [--start N] | --count | --gen-vectors\n",
				argv[0]);
			return 2;
		}
	}
	if (!start) {
		printf("TAP version 13\n1..%zu\n", NR_TESTS);
		start = 1;
	}
	for (i = 0; i < (int)NR_TESTS; i++) {
		diag_left = DIAG_MAX;
		f = tests[i].fn();
		printf("%sok %d %s\n", f ? "not " : "", start + i, tests[i].name);
		fflush(stdout);
		if (f)
			failed++;
	}
	return failed ? 1 : 0;
}
