/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal userspace stand-ins for the kernel types and helpers that
 * kmod/xsp_cookie.[ch] use, so the cookie builds unchanged in userspace.
 * siphash() and friends are implemented in siphash.c and give the same
 * results as the kernel's lib/siphash.c.
 */
#ifndef _XSP_KSHIM_H
#define _XSP_KSHIM_H

#include <assert.h>
#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;
typedef uint16_t __be16;
typedef uint32_t __be32;
typedef uint32_t __le32;
typedef uint64_t __le64;

/* The kernel's static_assert() takes an optional message. */
#undef static_assert
#define static_assert(expr, ...) _Static_assert(expr, #expr)

#define BIT(nr) (1UL << (nr))

#define cpu_to_le32(x) htole32(x)
#define le32_to_cpu(x) le32toh(x)
#define cpu_to_le64(x) htole64(x)
#define le64_to_cpu(x) le64toh(x)

static inline u64 div_u64(u64 dividend, u32 divisor)
{
	return dividend / divisor;
}

typedef struct {
	u64 key[2];
} siphash_key_t;

u64 siphash(const void *data, size_t len, const siphash_key_t *key);
u64 siphash_1u64(u64 a, const siphash_key_t *key);
u64 siphash_2u64(u64 a, u64 b, const siphash_key_t *key);
u64 siphash_3u64(u64 a, u64 b, u64 c, const siphash_key_t *key);

#endif /* _XSP_KSHIM_H */
