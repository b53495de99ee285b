// SPDX-License-Identifier: GPL-2.0
/*
 * A reuseport group selector, as an application might use one: it reads
 * the TCP header where tcp_v[46]_rcv() shows it (md->data, the L4 header),
 * refuses a segment whose destination port is not the group's, and sends
 * even source ports to socket 0, odd ones to socket 1.
 */
#include <linux/bpf.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_REUSEPORT_SOCKARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} socks SEC(".maps");

const volatile __u16 group_port;	/* set by the loader */

SEC("sk_reuseport")
int select_by_sport(struct sk_reuseport_md *md)
{
	struct tcphdr *th = md->data;
	__u32 key;

	if ((void *)(th + 1) > md->data_end)
		return SK_DROP;
	if (th->dest != bpf_htons(group_port))
		return SK_DROP;
	key = bpf_ntohs(th->source) & 1;
	if (bpf_sk_select_reuseport(md, &socks, &key, 0))
		return SK_DROP;
	return SK_PASS;
}

char _license[] SEC("license") = "GPL";
