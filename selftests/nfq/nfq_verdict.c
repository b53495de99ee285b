// SPDX-License-Identifier: GPL-2.0
/*
 * nfq_verdict - a minimal inline "IPS" for the selftests: bind an NFQUEUE,
 * look at every queued IPv4/IPv6 packet, optionally wait, accept it.
 *
 *   nfq_verdict [-q QUEUE] [-d DELAY_MS] [-s STATSFILE] [-v]
 *
 * The delay holds each packet in userspace before its verdict, so whatever
 * goes through the queue is delivered later, from the verdict's context
 * (process context, nf_reinject()), never synchronously.
 *
 * After every verdict STATSFILE is rewritten (write + rename) with lines
 * "name value": packets, tcp, syn (SYN without ACK flag), syn_ackseq (those
 * of them with a non-zero acknowledgment number), synack, ack (ACK flag, no
 * SYN), and hook0..hook4 (packets per netfilter hook). -v prints one line
 * per packet on stdout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

static unsigned int queue_num;
static unsigned int delay_ms;
static const char *stats_path;
static int verbose;
static struct mnl_socket *nl;

static struct {
	unsigned long packets, tcp, syn, syn_ackseq, synack, ack;
	unsigned long hook[NF_INET_NUMHOOKS];
} st;

static void usage(const char *p)
{
	fprintf(stderr, "usage: %s [-q queue] [-d delay_ms] [-s statsfile] [-v]\n", p);
	exit(2);
}

/* A netfilter-queue netlink message with the nfgenmsg header filled in. */
static struct nlmsghdr *nfq_msg(char *buf, int type)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(queue_num);
	return nlh;
}

static void send_or_die(struct nlmsghdr *nlh, const char *what)
{
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		perror(what);
		exit(1);
	}
}

static void write_stats(void)
{
	char tmp[4096];
	FILE *f;
	int i;

	if (!stats_path)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", stats_path);
	f = fopen(tmp, "w");
	if (!f) {
		perror(tmp);
		exit(1);
	}
	fprintf(f, "packets %lu\ntcp %lu\nsyn %lu\nsyn_ackseq %lu\nsynack %lu\nack %lu\n",
		st.packets, st.tcp, st.syn, st.syn_ackseq, st.synack, st.ack);
	for (i = 0; i < NF_INET_NUMHOOKS; i++)
		fprintf(f, "hook%d %lu\n", i, st.hook[i]);
	if (fclose(f) || rename(tmp, stats_path)) {
		perror(stats_path);
		exit(1);
	}
}

/* Count one packet (network header first, as the queue hands it over). */
static void inspect(const uint8_t *p, size_t len, unsigned int hook)
{
	char src[INET6_ADDRSTRLEN] = "?", dst[INET6_ADDRSTRLEN] = "?";
	const struct tcphdr *th = NULL;
	size_t off;

	st.packets++;
	if (hook < NF_INET_NUMHOOKS)
		st.hook[hook]++;
	if (len >= sizeof(struct ip) && p[0] >> 4 == 4) {
		const struct ip *iph = (const void *)p;

		off = iph->ip_hl * 4;
		inet_ntop(AF_INET, &iph->ip_src, src, sizeof(src));
		inet_ntop(AF_INET, &iph->ip_dst, dst, sizeof(dst));
		if (iph->ip_p == IPPROTO_TCP && !(ntohs(iph->ip_off) & IP_OFFMASK) &&
		    len >= off + sizeof(*th))
			th = (const void *)(p + off);
	} else if (len >= sizeof(struct ip6_hdr) && p[0] >> 4 == 6) {
		const struct ip6_hdr *ip6 = (const void *)p;

		off = sizeof(*ip6);
		inet_ntop(AF_INET6, &ip6->ip6_src, src, sizeof(src));
		inet_ntop(AF_INET6, &ip6->ip6_dst, dst, sizeof(dst));
		if (ip6->ip6_nxt == IPPROTO_TCP && len >= off + sizeof(*th))
			th = (const void *)(p + off);
	}
	if (!th) {
		if (verbose)
			printf("hook %u %s > %s not tcp\n", hook, src, dst);
		return;
	}
	st.tcp++;
	if (th->syn && !th->ack) {
		st.syn++;
		if (th->ack_seq)
			st.syn_ackseq++;
	} else if (th->syn) {
		st.synack++;
	} else if (th->ack) {
		st.ack++;
	}
	if (verbose)
		printf("hook %u %s.%u > %s.%u flags%s%s%s%s%s seq %u ack %u\n",
		       hook, src, ntohs(th->source), dst, ntohs(th->dest),
		       th->syn ? " S" : "", th->ack ? " A" : "",
		       th->psh ? " P" : "", th->fin ? " F" : "",
		       th->rst ? " R" : "", ntohl(th->seq), ntohl(th->ack_seq));
}

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, NFQA_MAX) >= 0)
		tb[type] = attr;
	return MNL_CB_OK;
}

static int packet_cb(const struct nlmsghdr *nlh, void *data)
{
	char vbuf[MNL_SOCKET_BUFFER_SIZE];
	struct nlattr *tb[NFQA_MAX + 1] = {};
	struct nfqnl_msg_verdict_hdr vh;
	struct nfqnl_msg_packet_hdr *ph;
	struct nlmsghdr *v;
	struct timespec ts;

	(void)data;
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attr_cb, tb) < 0)
		return MNL_CB_ERROR;
	if (!tb[NFQA_PACKET_HDR] ||
	    mnl_attr_get_payload_len(tb[NFQA_PACKET_HDR]) < sizeof(*ph))
		return MNL_CB_OK;
	ph = mnl_attr_get_payload(tb[NFQA_PACKET_HDR]);
	if (tb[NFQA_PAYLOAD])
		inspect(mnl_attr_get_payload(tb[NFQA_PAYLOAD]),
			mnl_attr_get_payload_len(tb[NFQA_PAYLOAD]), ph->hook);
	if (delay_ms) {
		ts.tv_sec = delay_ms / 1000;
		ts.tv_nsec = (long)(delay_ms % 1000) * 1000000;
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
	}
	v = nfq_msg(vbuf, NFQNL_MSG_VERDICT);
	vh.verdict = htonl(NF_ACCEPT);
	vh.id = ph->packet_id;		/* already big-endian */
	mnl_attr_put(v, NFQA_VERDICT_HDR, sizeof(vh), &vh);
	send_or_die(v, "verdict");
	write_stats();
	if (verbose)
		fflush(stdout);
	return MNL_CB_OK;
}

int main(int argc, char **argv)
{
	size_t buflen = 0xffff + MNL_SOCKET_BUFFER_SIZE;
	struct nfqnl_msg_config_params params;
	struct nfqnl_msg_config_cmd cmd;
	char cbuf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	unsigned int portid;
	int c, one = 1;
	char *buf;
	ssize_t n;

	while ((c = getopt(argc, argv, "q:d:s:v")) != -1) {
		switch (c) {
		case 'q':
			queue_num = strtoul(optarg, NULL, 0);
			break;
		case 'd':
			delay_ms = strtoul(optarg, NULL, 0);
			break;
		case 's':
			stats_path = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind != argc || queue_num > 0xffff)
		usage(argv[0]);

	buf = malloc(buflen);
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!buf || !nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("netlink socket");
		return 1;
	}
	/* A slow verdict must not lose queue notifications silently. */
	mnl_socket_setsockopt(nl, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	portid = mnl_socket_get_portid(nl);

	nlh = nfq_msg(cbuf, NFQNL_MSG_CONFIG);
	memset(&cmd, 0, sizeof(cmd));
	cmd.command = NFQNL_CFG_CMD_BIND;
	mnl_attr_put(nlh, NFQA_CFG_CMD, sizeof(cmd), &cmd);
	send_or_die(nlh, "bind queue");

	/* Headers are all we look at. */
	nlh = nfq_msg(cbuf, NFQNL_MSG_CONFIG);
	params.copy_range = htonl(128);
	params.copy_mode = NFQNL_COPY_PACKET;
	mnl_attr_put(nlh, NFQA_CFG_PARAMS, sizeof(params), &params);
	send_or_die(nlh, "queue params");

	write_stats();
	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, buflen);
		if (n < 0) {
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			perror("recv");
			return 1;
		}
		if (mnl_cb_run(buf, n, 0, portid, packet_cb, NULL) < 0) {
			perror("netlink message");
			return 1;
		}
	}
}
