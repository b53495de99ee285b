// SPDX-License-Identifier: GPL-2.0
/*
 * cookie_tool: mint or check one cookie in userspace with the module's own
 * cookie code (kmod/xsp_cookie.c), for cross-checks against the module.
 *
 *   cookie_tool mint  KEY EPOCH_LEN NOW_MS SADDR SPORT DADDR DPORT ISN
 *                     [mss N] [wscale N] [sack] [ecn] [ts]
 *   cookie_tool check KEY EPOCH_LEN NOW_MS SADDR SPORT DADDR DPORT ISN COOKIE
 *                     [tsecr N]
 *
 * KEY is 32 hex digits; EPOCH_LEN is seconds; NOW_MS is wall-clock
 * milliseconds (date +%s%3N), as in the datapath. mint prints
 * "cookie C [tsval T] mss M"; check prints the decoded options and exits 0,
 * or prints "invalid"/"stale" and exits 1.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xsp_cookie.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: cookie_tool mint KEY EPOCH_LEN NOW_MS SADDR SPORT DADDR DPORT ISN [mss N] [wscale N] [sack] [ecn] [ts]\n"
		"       cookie_tool check KEY EPOCH_LEN NOW_MS SADDR SPORT DADDR DPORT ISN COOKIE [tsecr N]\n");
	exit(2);
}

static unsigned long long num(const char *s, unsigned long long max)
{
	unsigned long long v;
	char *end;

	v = strtoull(s, &end, 0);
	if (!*s || *end || v > max) {
		fprintf(stderr, "cookie_tool: bad number \"%s\"\n", s);
		exit(2);
	}
	return v;
}

static void parse_key(const char *hex, struct xsp_key *k)
{
	unsigned int i, b;

	if (strlen(hex) != 2 * XSP_KEY_LEN)
		usage();
	for (i = 0; i < XSP_KEY_LEN; i++) {
		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			usage();
		k->bytes[i] = b;
	}
}

static void parse_addr(const char *s, int family, void *dst)
{
	if (inet_pton(family, s, dst) != 1) {
		fprintf(stderr, "cookie_tool: bad address \"%s\"\n", s);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	struct xsp_secrets sec;
	struct xsp_opts o = { .wscale = XSP_WSCALE_NONE };
	struct xsp_tuple t = {};
	struct xsp_key key;
	u32 isn, tsval = 0;
	u64 now;
	int i;

	if (argc < 10)
		usage();
	parse_key(argv[2], &key);
	now = num(argv[4], ~0ULL);
	t.family = strchr(argv[5], ':') ? AF_INET6 : AF_INET;
	parse_addr(argv[5], t.family, &t.saddr);
	parse_addr(argv[7], t.family, &t.daddr);
	t.sport = htons(num(argv[6], 65535));
	t.dport = htons(num(argv[8], 65535));
	isn = num(argv[9], 0xffffffff);
	xsp_secrets_init(&sec, &key, num(argv[3], 3600), now / 1000);

	if (!strcmp(argv[1], "mint")) {
		for (i = 10; i < argc; i++) {
			if (!strcmp(argv[i], "mss") && i + 1 < argc)
				o.mss = num(argv[++i], 65535);
			else if (!strcmp(argv[i], "wscale") && i + 1 < argc)
				o.wscale = num(argv[++i], XSP_WSCALE_NONE);
			else if (!strcmp(argv[i], "sack"))
				o.sack = 1;
			else if (!strcmp(argv[i], "ecn"))
				o.ecn = 1;
			else if (!strcmp(argv[i], "ts"))
				o.tstamp = 1;
			else
				usage();
		}
		printf("cookie %u", xsp_cookie_mint(&sec, &t, isn, &o, &tsval, now));
		if (o.tstamp)
			printf(" tsval %u", tsval);
		printf(" mss %u\n", o.mss);
		return 0;
	}
	if (!strcmp(argv[1], "check") && (argc == 11 || argc == 13)) {
		bool has_ts = argc == 13 && !strcmp(argv[11], "tsecr");
		int err;

		if (argc == 13 && !has_ts)
			usage();
		err = xsp_cookie_check(&sec, &t, isn, num(argv[10], 0xffffffff),
				       has_ts, has_ts ? num(argv[12], 0xffffffff) : 0,
				       &o, NULL, now);
		if (err) {
			printf("%s\n", err == XSP_COOKIE_STALE ? "stale" : "invalid");
			return 1;
		}
		printf("valid mss %u wscale %u sack %u ecn %u ts %u\n",
		       o.mss, o.wscale, o.sack, o.ecn, o.tstamp);
		return 0;
	}
	usage();
	return 2;
}
