// SPDX-License-Identifier: GPL-2.0
/*
 * synflood: a fast spoofed-source TCP SYN (or forged ACK) generator for the
 * xsynproxy benchmarks. Raw Ethernet frames on an AF_PACKET socket with
 * PACKET_QDISC_BYPASS, sent in batches with sendmmsg(), rate limited by a
 * token bucket. Every frame gets a random source address (in -S NET/LEN),
 * source port, ISN (and, for ACKs, acknowledgement number), IP ID (IPv6:
 * flow label) and TSval; IP and TCP checksums are computed in full.
 *
 *   synflood -i IFACE -D DSTMAC -d DSTIP -p PORT [-m syn|ack] [-r PPS]
 *            [-t SECONDS] [-n COUNT] [-N DELIVERED] [-S NET/LEN] [-b BATCH]
 *            [-v]
 *
 *   -d DSTIP      an IPv4 or an IPv6 address: an IPv6 one sends IPv6 frames
 *                 (no extension headers, hop limit 64, random flow label)
 *   -S NET/LEN    source prefix of the destination's family (default
 *                 198.18.0.0/15, RFC 2544; IPv6 2001:2::/48, RFC 5180)
 *   -r PPS        offered rate, packets per second; 0 (default) = as fast
 *                 as possible
 *   -t SECONDS    stop after this long (default 10; 0 = no time limit)
 *   -n COUNT      stop after COUNT frames were handed to the device
 *   -N DELIVERED  stop when IFACE's tx_packets counter grew by DELIVERED
 *                 (for veth: frames the peer accepted, drops excluded)
 *   -v            print the rate once per second on stderr
 *
 * On exit it prints one JSON line on stdout:
 *   {"mode":"syn","sent":N,"errors":N,"secs":S,"pps":R,"target_pps":R}
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH	256
#define FRAME_MAX	128

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *msg)
{
	perror(msg);
	exit(1);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: synflood -i IFACE -D DSTMAC -d DSTIP -p PORT [-m syn|ack] [-r PPS]\n"
		"                [-t SECONDS] [-n COUNT] [-N DELIVERED] [-S NET/LEN] [-b BATCH] [-v]\n");
	exit(2);
}

/* wyrand: tiny, fast, good enough for spoofed headers */
static uint64_t rng_state;

static inline uint64_t rnd(void)
{
	rng_state += 0xa0761d6478bd642fULL;
	__uint128_t t = (__uint128_t)rng_state * (rng_state ^ 0xe7037ed1a0b428dbULL);
	return (uint64_t)(t >> 64) ^ (uint64_t)t;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 1) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static int parse_mac(const char *s, uint8_t *mac)
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1],
		      &mac[2], &mac[3], &mac[4], &mac[5]) == 6 ? 0 : -1;
}

static long long read_counter(int fd)
{
	char buf[64];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return -1;
	buf[n] = 0;
	return atoll(buf);
}

struct cfg {
	const char *ifname;
	uint8_t dmac[6], smac[6];
	struct in_addr daddr, snet;
	uint32_t smask;
	int v6;
	struct in6_addr daddr6, snet6;
	int plen6;
	uint16_t dport;
	int ack;
	double rate, secs;
	long long count, delivered;
	int batch, verbose;
};

/*
 * The TCP header and options of one frame at @th, as build() writes them;
 * returns the TCP length. @r1 and @r2 are the frame's random words.
 */
static int build_tcp(const struct cfg *c, struct tcphdr *th, uint64_t r1,
		     uint64_t r2)
{
	uint8_t *opt = (uint8_t *)(th + 1);
	int optlen, tcplen;

	memset(th, 0, sizeof(*th));
	th->source = htons(1024 + (uint16_t)(r1 >> 32) % 64511);
	th->dest = htons(c->dport);
	th->seq = (uint32_t)r2;
	th->window = htons(64240);
	if (!c->ack) {
		/* what Linux sends: MSS, SACK_PERM, TS, NOP, WS 7 */
		th->syn = 1;
		opt[0] = 2; opt[1] = 4; opt[2] = 0x05; opt[3] = 0xb4;
		opt[4] = 4; opt[5] = 2; opt[6] = 8; opt[7] = 10;
		memcpy(opt + 8, (uint32_t[]){ (uint32_t)(r2 >> 32) }, 4);
		memset(opt + 12, 0, 4);
		opt[16] = 1; opt[17] = 3; opt[18] = 3; opt[19] = 7;
		optlen = 20;
	} else {
		uint64_t r3 = rnd();

		th->ack = 1;
		th->ack_seq = (uint32_t)(r2 >> 32);
		th->window = htons(502);
		opt[0] = 1; opt[1] = 1; opt[2] = 8; opt[3] = 10;
		memcpy(opt + 4, (uint32_t[]){ (uint32_t)r3 }, 4);
		memcpy(opt + 8, (uint32_t[]){ (uint32_t)(r3 >> 32) }, 4);
		optlen = 12;
	}
	tcplen = sizeof(*th) + optlen;
	th->doff = tcplen / 4;
	return tcplen;
}

/* Build one IPv4 frame; returns its length. */
static int build(const struct cfg *c, uint8_t *f)
{
	struct ether_header *eh = (void *)f;
	struct iphdr *ip = (void *)(f + sizeof(*eh));
	struct tcphdr *th = (void *)(ip + 1);
	uint64_t r1 = rnd(), r2 = rnd();
	int tcplen;
	uint32_t sum, saddr;
	struct {
		uint32_t s, d;
		uint8_t z, p;
		uint16_t len;
	} __attribute__((packed)) ph;

	memcpy(eh->ether_dhost, c->dmac, 6);
	memcpy(eh->ether_shost, c->smac, 6);
	eh->ether_type = htons(ETHERTYPE_IP);

	saddr = (ntohl(c->snet.s_addr) & c->smask) | ((uint32_t)r1 & ~c->smask);
	/* avoid .0 and .255 host parts for realism */
	if ((saddr & 0xff) == 0 || (saddr & 0xff) == 255)
		saddr ^= 1;

	tcplen = build_tcp(c, th, r1, r2);

	ip->version = 4;
	ip->ihl = 5;
	ip->tos = 0;
	ip->tot_len = htons(sizeof(*ip) + tcplen);
	ip->id = (uint16_t)(r1 >> 48);
	ip->frag_off = htons(IP_DF);
	ip->ttl = 64;
	ip->protocol = IPPROTO_TCP;
	ip->saddr = htonl(saddr);
	ip->daddr = c->daddr.s_addr;
	ip->check = 0;
	ip->check = csum_fold(csum_add(0, ip, sizeof(*ip)));

	ph.s = ip->saddr;
	ph.d = ip->daddr;
	ph.z = 0;
	ph.p = IPPROTO_TCP;
	ph.len = htons(tcplen);
	sum = csum_add(0, &ph, sizeof(ph));
	sum = csum_add(sum, th, tcplen);
	th->check = csum_fold(sum);
	return sizeof(*eh) + sizeof(*ip) + tcplen;
}

/*
 * Build one IPv6 frame: no extension headers, a random source in -S
 * (never the prefix's all-zeros host part, the subnet-router anycast
 * address), a random flow label; returns its length.
 */
static int build6(const struct cfg *c, uint8_t *f)
{
	struct ether_header *eh = (void *)f;
	struct ip6_hdr *ip6 = (void *)(f + sizeof(*eh));
	struct tcphdr *th = (void *)(ip6 + 1);
	uint64_t r1 = rnd(), r2 = rnd(), ra = rnd(), rb = rnd();
	uint8_t rand_addr[16], keep, *s = ip6->ip6_src.s6_addr;
	int tcplen, i, bits, host_zero = 1;
	uint32_t sum;
	struct {
		struct in6_addr s, d;
		uint32_t len;
		uint8_t z[3], nh;
	} __attribute__((packed)) ph;

	memcpy(eh->ether_dhost, c->dmac, 6);
	memcpy(eh->ether_shost, c->smac, 6);
	eh->ether_type = htons(ETHERTYPE_IPV6);

	memcpy(rand_addr, &ra, 8);
	memcpy(rand_addr + 8, &rb, 8);
	for (i = 0; i < 16; i++) {
		/* prefix bits of this byte */
		bits = c->plen6 - i * 8;
		bits = bits < 0 ? 0 : bits > 8 ? 8 : bits;
		keep = (uint8_t)(0xff00 >> bits);

		s[i] = (c->snet6.s6_addr[i] & keep) | (rand_addr[i] & ~keep);
		if (s[i] & ~keep)
			host_zero = 0;
	}
	if (host_zero && c->plen6 < 128)
		s[15] |= 1;

	tcplen = build_tcp(c, th, r1, r2);
	if (!c->ack) {
		/* and the MSS Linux offers over IPv6 on a 1500-byte link */
		((uint8_t *)(th + 1))[2] = 1440 >> 8;
		((uint8_t *)(th + 1))[3] = 1440 & 0xff;
	}

	ip6->ip6_flow = htonl(6u << 28 | ((uint32_t)r1 & 0xfffff));
	ip6->ip6_plen = htons(tcplen);
	ip6->ip6_nxt = IPPROTO_TCP;
	ip6->ip6_hlim = 64;
	ip6->ip6_dst = c->daddr6;

	memset(&ph, 0, sizeof(ph));
	ph.s = ip6->ip6_src;
	ph.d = ip6->ip6_dst;
	ph.len = htonl(tcplen);
	ph.nh = IPPROTO_TCP;
	th->check = 0;
	sum = csum_add(0, &ph, sizeof(ph));
	sum = csum_add(sum, th, tcplen);
	th->check = csum_fold(sum);
	return sizeof(*eh) + sizeof(*ip6) + tcplen;
}

int main(int argc, char **argv)
{
	struct cfg c = { .secs = 10, .batch = 64, .smask = 0xfffe0000 };
	static uint8_t frames[MAX_BATCH][FRAME_MAX];
	struct mmsghdr msgs[MAX_BATCH];
	struct iovec iov[MAX_BATCH];
	struct sockaddr_ll sll = { 0 };
	struct ifreq ifr = { 0 };
	long long sent = 0, errors = 0, tx0 = 0, last_sent = 0, loops = 0;
	double t0, t_end, t_last, tokens, t_prev, burst;
	int fd, one = 1, sndbuf = 64 << 20, opt, i, txfd = -1, have_dmac = 0, plen;
	char *slash, *src = NULL, path[256];

	while ((opt = getopt(argc, argv, "i:D:d:p:m:r:t:n:N:S:b:v")) != -1) {
		switch (opt) {
		case 'i': c.ifname = optarg; break;
		case 'D':
			if (parse_mac(optarg, c.dmac))
				usage();
			have_dmac = 1;
			break;
		case 'd':
			c.v6 = strchr(optarg, ':') != NULL;
			if (c.v6 ? inet_pton(AF_INET6, optarg, &c.daddr6) != 1 :
				   !inet_aton(optarg, &c.daddr))
				usage();
			break;
		case 'p': c.dport = atoi(optarg); break;
		case 'm':
			if (!strcmp(optarg, "ack"))
				c.ack = 1;
			else if (strcmp(optarg, "syn"))
				usage();
			break;
		case 'r': c.rate = atof(optarg); break;
		case 't': c.secs = atof(optarg); break;
		case 'n': c.count = atoll(optarg); break;
		case 'N': c.delivered = atoll(optarg); break;
		case 'S': src = optarg; break;
		case 'b': c.batch = atoi(optarg); break;
		case 'v': c.verbose = 1; break;
		default: usage();
		}
	}
	if (!c.ifname || !have_dmac || !c.dport ||
	    (c.v6 ? IN6_IS_ADDR_UNSPECIFIED(&c.daddr6) : !c.daddr.s_addr))
		usage();
	/* -S in the destination's family: known once all options are read */
	if (!src)
		src = strdup(c.v6 ? "2001:2::/48" : "198.18.0.0/15");
	slash = strchr(src, '/');
	if (slash)
		*slash = 0;
	if (c.v6) {
		plen = slash ? atoi(slash + 1) : 128;
		c.plen6 = plen < 0 ? 0 : plen > 128 ? 128 : plen;
		if (inet_pton(AF_INET6, src, &c.snet6) != 1)
			usage();
	} else {
		if (slash) {
			plen = atoi(slash + 1);
			c.smask = plen <= 0 ? 0 : plen >= 32 ? 0xffffffff :
				  ~((1u << (32 - plen)) - 1);
		}
		if (!inet_aton(src, &c.snet))
			usage();
	}
	if (c.batch < 1)
		c.batch = 1;
	if (c.batch > MAX_BATCH)
		c.batch = MAX_BATCH;
	rng_state = (uint64_t)getpid() << 32 ^ (uint64_t)(now() * 1e9);

	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		die("socket(AF_PACKET)");
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", c.ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
		die(c.ifname);
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = ifr.ifr_ifindex;
	sll.sll_protocol = 0;	/* send only: no receive path */
	if (bind(fd, (void *)&sll, sizeof(sll)) < 0)
		die("bind");
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		die("SIOCGIFHWADDR");
	memcpy(c.smac, ifr.ifr_hwaddr.sa_data, 6);
	/*
	 * Frames stay charged to the socket until the receiver frees them: with
	 * the default send buffer (~270 frames in flight) a busy receiver would
	 * throttle the generator instead of dropping at its backlog queue.
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) < 0)
		perror("SO_SNDBUFFORCE");
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0)
		perror("PACKET_QDISC_BYPASS (continuing through the qdisc)");

	if (c.delivered) {
		snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/tx_packets",
			 c.ifname);
		txfd = open(path, O_RDONLY);
		if (txfd < 0)
			die(path);
		tx0 = read_counter(txfd);
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < MAX_BATCH; i++) {
		iov[i].iov_base = frames[i];
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	/* At least 100 bursts a second; bucket depth 2 ms, at least a batch. */
	if (c.rate > 0 && c.batch > c.rate / 100)
		c.batch = c.rate / 100 > 0 ? c.rate / 100 : 1;
	burst = c.rate > 0 ? c.rate * 0.002 : 0;
	if (burst < c.batch)
		burst = c.batch;
	t0 = t_prev = t_last = now();
	t_end = c.secs > 0 ? t0 + c.secs : 1e300;
	tokens = c.batch;
	while (!stop) {
		double t = now();
		int n = c.batch, k;

		if (t >= t_end)
			break;
		if (c.count && sent >= c.count)
			break;
		if (txfd >= 0 && (++loops & 7) == 0 &&
		    read_counter(txfd) - tx0 >= c.delivered)
			break;
		if (c.rate > 0) {
			tokens += (t - t_prev) * c.rate;
			t_prev = t;
			if (tokens > burst)
				tokens = burst;
			/*
			 * Send whole batches (bursts of -b frames, as a NIC
			 * under load hands NAPI a batch per poll).
			 */
			if (tokens < c.batch) {
				double d = (c.batch - tokens) / c.rate;
				struct timespec ts;

				if (d < 50e-6)
					d = 50e-6;
				ts.tv_sec = (time_t)d;
				ts.tv_nsec = (long)((d - ts.tv_sec) * 1e9);
				nanosleep(&ts, NULL);
				continue;
			}
			if (n > (int)tokens)
				n = (int)tokens;
		}
		if (c.count && sent + n > c.count)
			n = c.count - sent;
		for (i = 0; i < n; i++)
			iov[i].iov_len = c.v6 ? build6(&c, frames[i]) :
						build(&c, frames[i]);
		k = sendmmsg(fd, msgs, n, 0);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			errors++;
			if (errno != ENOBUFS && errno != EAGAIN)
				die("sendmmsg");
			continue;
		}
		sent += k;
		if (c.rate > 0)
			tokens -= k;
		if (c.verbose && t - t_last >= 1) {
			fprintf(stderr, "synflood: %.0f pps\n", (sent - last_sent) / (t - t_last));
			last_sent = sent;
			t_last = t;
		}
	}
	t_end = now();
	printf("{\"mode\":\"%s\",\"sent\":%lld,\"errors\":%lld,\"secs\":%.3f,"
	       "\"pps\":%.0f,\"target_pps\":%.0f",
	       c.ack ? "ack" : "syn", sent, errors, t_end - t0,
	       sent / (t_end - t0), c.rate);
	if (txfd >= 0)
		printf(",\"delivered\":%lld", read_counter(txfd) - tx0);
	printf("}\n");
	return 0;
}
