// SPDX-License-Identifier: GPL-2.0
/*
 * Micro-benchmark of mint and check. Each bench_* function runs ITER
 * operations; run under callgrind with --toggle-collect=bench_X to count
 * the instructions of one function (see Makefile, target bench). Natively
 * it prints nanoseconds per operation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "xsp_cookie.h"

#define ITER	10000

static struct xsp_secrets s;
static struct xsp_tuple t4, t6;
static volatile u32 sink;
static u32 isn4, isn6, ts4, ts6;

#define NOINLINE __attribute__((noinline))

NOINLINE void bench_mint_v4(void);
NOINLINE void bench_mint_v6(void);
NOINLINE void bench_check_v4(void);
NOINLINE void bench_check_v6(void);
NOINLINE void bench_check_bad_v4(void);
NOINLINE void bench_check_bad_v6(void);

#define NOW_SEC	1700000000ULL			/* secrets: seconds */
#define NOW	(NOW_SEC * 1000 + 345)		/* mint, check: ms */

NOINLINE void bench_mint_v4(void)
{
	struct xsp_opts o = { .mss = 1460, .wscale = 7, .sack = 1 };
	u32 i, acc = 0, tsval = 0;

	for (i = 0; i < ITER; i++)
		acc += xsp_cookie_mint(&s, &t4, i, &o, &tsval, NOW);
	sink = acc + tsval;
}

NOINLINE void bench_mint_v6(void)
{
	struct xsp_opts o = { .mss = 1440, .wscale = 7, .sack = 1 };
	u32 i, acc = 0, tsval = 0;

	for (i = 0; i < ITER; i++)
		acc += xsp_cookie_mint(&s, &t6, i, &o, &tsval, NOW);
	sink = acc + tsval;
}

NOINLINE void bench_check_v4(void)
{
	struct xsp_opts out;
	u32 i;
	int acc = 0;

	for (i = 0; i < ITER; i++)
		acc += xsp_cookie_check(&s, &t4, 1, isn4, false, 0, &out, NULL, NOW);
	sink = acc;
}

NOINLINE void bench_check_v6(void)
{
	struct xsp_opts out;
	u32 i;
	int acc = 0;

	for (i = 0; i < ITER; i++)
		acc += xsp_cookie_check(&s, &t6, 1, isn6, false, 0, &out, NULL, NOW);
	sink = acc;
}

NOINLINE void bench_check_bad_v4(void)
{
	struct xsp_opts out;
	u32 i;
	int acc = 0;

	for (i = 0; i < ITER; i++)
		acc += xsp_cookie_check(&s, &t4, 1, i, false, 0, &out, NULL, NOW);
	sink = acc;
}

NOINLINE void bench_check_bad_v6(void)
{
	struct xsp_opts out;
	u32 i;
	int acc = 0;

	for (i = 0; i < ITER; i++)
		acc += xsp_cookie_check(&s, &t6, 1, i, false, 0, &out, NULL, NOW);
	sink = acc;
}

static const struct {
	void (*fn)(void);
	const char *name;
} benches[] = {
	{ bench_mint_v4, "bench_mint_v4" },
	{ bench_mint_v6, "bench_mint_v6" },
	{ bench_check_v4, "bench_check_v4" },
	{ bench_check_v6, "bench_check_v6" },
	{ bench_check_bad_v4, "bench_check_bad_v4" },
	{ bench_check_bad_v6, "bench_check_bad_v6" },
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	struct xsp_opts o = { .mss = 1460, .wscale = 7, .sack = 1 };
	struct xsp_key k;
	unsigned int i, rep = argc > 1 ? (unsigned int)atoi(argv[1]) : 0;
	double t;

	for (i = 0; i < XSP_KEY_LEN; i++)
		k.bytes[i] = (u8)(i * 37 + 1);
	xsp_secrets_init(&s, &k, 60, NOW_SEC);
	t4.family = AF_INET;
	t4.saddr.v4 = htonl(0xc0000201);
	t4.daddr.v4 = htonl(0xc6336407);
	t4.sport = htons(40000);
	t4.dport = htons(443);
	t6.family = AF_INET6;
	t6.saddr.v6.s6_addr[0] = 0x20;
	t6.saddr.v6.s6_addr[1] = 0x01;
	t6.saddr.v6.s6_addr[15] = 1;
	t6.daddr.v6 = t6.saddr.v6;
	t6.daddr.v6.s6_addr[15] = 2;
	t6.sport = htons(40000);
	t6.dport = htons(443);
	isn4 = xsp_cookie_mint(&s, &t4, 1, &o, &ts4, NOW);
	isn6 = xsp_cookie_mint(&s, &t6, 1, &o, &ts6, NOW);

	if (!rep) {
		/* one pass, for callgrind */
		for (i = 0; i < sizeof(benches) / sizeof(benches[0]); i++)
			benches[i].fn();
		printf("iterations %d\n", ITER);
		return 0;
	}
	for (i = 0; i < sizeof(benches) / sizeof(benches[0]); i++) {
		unsigned int r;

		t = now_ns();
		for (r = 0; r < rep; r++)
			benches[i].fn();
		t = now_ns() - t;
		printf("%-20s %6.1f ns/op\n", benches[i].name,
		       t / ((double)rep * ITER));
	}
	return 0;
}
