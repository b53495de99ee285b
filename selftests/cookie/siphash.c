// SPDX-License-Identifier: GPL-2.0
/*
 * Portable SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input
 * PRF", 2012) with the calling convention of the kernel's <linux/siphash.h>:
 * the key is two u64 words (the first eight key bytes read little-endian,
 * then the next eight), message bytes are read little-endian, and the
 * siphash_Nu64() helpers hash their arguments as little-endian words.
 */
#include "kshim.h"

#define fallthrough __attribute__((__fallthrough__))

#define ROTL64(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND						\
	do {							\
		v0 += v1; v1 = ROTL64(v1, 13); v1 ^= v0;	\
		v0 = ROTL64(v0, 32);				\
		v2 += v3; v3 = ROTL64(v3, 16); v3 ^= v2;	\
		v0 += v3; v3 = ROTL64(v3, 21); v3 ^= v0;	\
		v2 += v1; v1 = ROTL64(v1, 17); v1 ^= v2;	\
		v2 = ROTL64(v2, 32);				\
	} while (0)

static inline u64 load_le64(const u8 *p)
{
	u64 v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static inline u64 load_le32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static inline u64 load_le16(const u8 *p)
{
	u16 v;

	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

u64 siphash(const void *data, size_t len, const siphash_key_t *key)
{
	u64 v0 = 0x736f6d6570736575ULL ^ key->key[0];
	u64 v1 = 0x646f72616e646f6dULL ^ key->key[1];
	u64 v2 = 0x6c7967656e657261ULL ^ key->key[0];
	u64 v3 = 0x7465646279746573ULL ^ key->key[1];
	const u8 *p = data;
	const u8 *end = p + (len & ~(size_t)7);
	u64 b = (u64)len << 56;
	u64 m;

	for (; p != end; p += 8) {
		m = load_le64(p);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	switch (len & 7) {
	case 7: b |= (u64)p[6] << 48; fallthrough;
	case 6: b |= (u64)p[5] << 40; fallthrough;
	case 5: b |= (u64)p[4] << 32; fallthrough;
	case 4: b |= load_le32(p); break;
	case 3: b |= (u64)p[2] << 16; fallthrough;
	case 2: b |= load_le16(p); break;
	case 1: b |= p[0];
	}
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return (v0 ^ v1) ^ (v2 ^ v3);
}

u64 siphash_1u64(u64 a, const siphash_key_t *key)
{
	u64 w = htole64(a);

	return siphash(&w, sizeof(w), key);
}

u64 siphash_2u64(u64 a, u64 b, const siphash_key_t *key)
{
	u64 w[2] = { htole64(a), htole64(b) };

	return siphash(w, sizeof(w), key);
}

u64 siphash_3u64(u64 a, u64 b, u64 c, const siphash_key_t *key)
{
	u64 w[3] = { htole64(a), htole64(b), htole64(c) };

	return siphash(w, sizeof(w), key);
}
