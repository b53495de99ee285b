// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU counters, their names, /proc/net/stat/xsynproxy, and the per-CPU
 * share of the SYN-ACK budget.
 */
#include <linux/build_bug.h>
#include <linux/cpumask.h>
#include <linux/jiffies.h>
#include <linux/math64.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>

#include "xsp.h"

/*
 * The one table of counter names: netlink sends them (XSYNPROXY_A_STAT_NAMES)
 * so that userspace never needs its own copy, and they head the columns of
 * /proc/net/stat/xsynproxy. Lower case, [a-z0-9_], at most 31 characters
 * (the UAPI promise; lnstat keeps 32).
 */
const char * const xsp_stat_names[] = {
	[XSYNPROXY_STAT_SYN_RECV]		= "syn_recv",
	[XSYNPROXY_STAT_SYN_ANSWERED]		= "syn_answered",
	[XSYNPROXY_STAT_SYN_BAD_CSUM]		= "syn_bad_csum",
	[XSYNPROXY_STAT_SYN_MALFORMED]		= "syn_malformed",
	[XSYNPROXY_STAT_SYN_OVER_BUDGET]	= "syn_over_budget",
	[XSYNPROXY_STAT_SYN_SEND_FAILED]	= "syn_send_failed",
	[XSYNPROXY_STAT_SYN_BYPASS]		= "syn_bypass",
	[XSYNPROXY_STAT_ACK_RECV]		= "ack_recv",
	[XSYNPROXY_STAT_COOKIE_VALID]		= "cookie_valid",
	[XSYNPROXY_STAT_COOKIE_INVALID]		= "cookie_invalid",
	[XSYNPROXY_STAT_COOKIE_STALE]		= "cookie_stale",
	[XSYNPROXY_STAT_SYN_REPLAYED]		= "syn_replayed",
	[XSYNPROXY_STAT_SYNACK_REWRITTEN]	= "synack_rewritten",
	[XSYNPROXY_STAT_SYNACK_DROPPED]		= "synack_dropped",
	[XSYNPROXY_STAT_REPLAY_FAILED]		= "replay_failed",
	[XSYNPROXY_STAT_SYN_TO_SOCKET]		= "syn_to_socket",
	[XSYNPROXY_STAT_SYN_NOT_LOCAL]		= "syn_not_local",
	[XSYNPROXY_STAT_ACK_REJECTED]		= "ack_rejected",
	[XSYNPROXY_STAT_SYN_NAT]		= "syn_nat",
	[XSYNPROXY_STAT_SYN_NO_LISTENER]	= "syn_no_listener",
	[XSYNPROXY_STAT_SYN_POLICY]		= "syn_policy",
	[XSYNPROXY_STAT_SYN_UNSUPPORTED]	= "syn_unsupported",
	[XSYNPROXY_STAT_SYN_NO_ROUTE]		= "syn_no_route",
	[XSYNPROXY_STAT_SYN_FRAGMENT]		= "syn_fragment",
	[XSYNPROXY_STAT_REPLAY_DEFERRED]	= "replay_deferred",
	[XSYNPROXY_STAT_ACK_DEFERRED]		= "ack_deferred",
	[XSYNPROXY_STAT_SYNACK_REUSED]		= "synack_reused",
	[XSYNPROXY_STAT_SYNACK_COPY_FORCED]	= "synack_copy_forced",
	[XSYNPROXY_STAT_SYNACK_COPY_OPTS]	= "synack_copy_opts",
	[XSYNPROXY_STAT_SYNACK_COPY_IPSEC]	= "synack_copy_ipsec",
	[XSYNPROXY_STAT_SYNACK_COPY_OTHER]	= "synack_copy_other",
};

/* The UAPI enum only grows at its end: a counter added unnamed fails here. */
static_assert(ARRAY_SIZE(xsp_stat_names) == __XSYNPROXY_STAT_MAX,
	      "xsp_stat_names[] must name every XSYNPROXY_STAT_*");

void xsp_stats_sum(struct xsp_net *xn, enum xsp_fam fam, u64 *sum)
{
	int cpu, f, i;

	memset(sum, 0, sizeof(u64) * __XSYNPROXY_STAT_MAX);
	for_each_possible_cpu(cpu) {
		const struct xsp_pcpu *p = per_cpu_ptr(xn->pcpu, cpu);

		for (f = 0; f < XSP_FAM_NR; f++) {
			if (fam != XSP_FAM_NR && f != fam)
				continue;
			for (i = 0; i < __XSYNPROXY_STAT_MAX; i++)
				sum[i] += READ_ONCE(p->stat[f][i]);
		}
	}
}

/*
 * Counters are plain per-CPU u64s bumped with this_cpu_inc(); a reset races
 * with increments on other CPUs and may lose a few of them, which is what
 * every per-CPU counter reset in the stack accepts.
 */
void xsp_stats_reset(struct xsp_net *xn)
{
	int cpu, f, i;

	for_each_possible_cpu(cpu) {
		struct xsp_pcpu *p = per_cpu_ptr(xn->pcpu, cpu);

		for (f = 0; f < XSP_FAM_NR; f++)
			for (i = 0; i < __XSYNPROXY_STAT_MAX; i++)
				WRITE_ONCE(p->stat[f][i], 0);
	}
}

/*
 * Called from the PRE_ROUTING hook, in softirq context, so the per-CPU
 * bucket cannot be touched concurrently. Each CPU owns budget / nr_cpus
 * SYN-ACKs per second: a flood spread by RSS over all CPUs sees the whole
 * budget, and no cacheline is shared between CPUs. Credit is counted in
 * 1 / (HZ * nr_cpus) of a SYN-ACK, so a budget below the CPU count still
 * holds: each CPU then answers once every nr_cpus / budget seconds. A CPU
 * saves up at most one second's share (at least one SYN-ACK).
 */
bool xsp_budget_take(struct xsp_net *xn)
{
	u32 budget = READ_ONCE(xn->budget);
	u64 unit, cap, elapsed;
	struct xsp_bucket *b;
	unsigned long now;
	u32 cpus;

	if (!budget)
		return true;

	cpus = num_online_cpus();
	unit = (u64)HZ * cpus;
	cap = max_t(u64, (u64)budget * HZ, unit);
	b = this_cpu_ptr(&xn->pcpu->bucket);
	now = jiffies;
	elapsed = now - b->stamp;
	b->stamp = now;
	b->credit = min_t(u64, cap, b->credit + min_t(u64, elapsed, HZ) * budget);
	if (b->credit < unit)
		return false;
	b->credit -= unit;
	return true;
}

#ifdef CONFIG_PROC_FS
/*
 * /proc/net/stat/xsynproxy, in the format of the other /proc/net/stat files
 * (as nf_synproxy's "synproxy") that lnstat and rtstat read: a line of
 * field names, then one line of hex values per possible CPU, which lnstat
 * sums. lnstat takes the first field as a gauge rather than a counter, so
 * it is "entries", always 0: xsynproxy keeps no per-connection entries.
 * The counters are those of both address families added up.
 *
 * lnstat drops a file of more than 32 fields (LNSTAT_MAX_FIELDS_PER_LINE):
 * past 31 counters this file must be split.
 */
static_assert(__XSYNPROXY_STAT_MAX - XSYNPROXY_STAT_SYN_RECV + 1 <= 32,
	      "lnstat reads at most 32 fields per /proc/net/stat line");

static void *xsp_cpu_seq_from(struct seq_file *seq, loff_t *pos, int cpu)
{
	struct xsp_net *xn = xsp_pernet(seq_file_net(seq));

	for (; cpu < nr_cpu_ids; cpu++) {
		if (!cpu_possible(cpu))
			continue;
		*pos = cpu + 1;
		return per_cpu_ptr(xn->pcpu, cpu);
	}
	return NULL;
}

static void *xsp_cpu_seq_start(struct seq_file *seq, loff_t *pos)
{
	if (*pos == 0)
		return SEQ_START_TOKEN;
	return xsp_cpu_seq_from(seq, pos, *pos - 1);
}

static void *xsp_cpu_seq_next(struct seq_file *seq, void *v, loff_t *pos)
{
	void *p = xsp_cpu_seq_from(seq, pos, *pos);

	if (!p)
		(*pos)++;
	return p;
}

static void xsp_cpu_seq_stop(struct seq_file *seq, void *v)
{
}

static int xsp_cpu_seq_show(struct seq_file *seq, void *v)
{
	const struct xsp_pcpu *p = v;
	u64 val;
	int f, i;

	if (v == SEQ_START_TOKEN) {
		seq_puts(seq, "entries");
		for (i = XSYNPROXY_STAT_SYN_RECV; i < __XSYNPROXY_STAT_MAX; i++)
			seq_printf(seq, "\t%s", xsp_stat_names[i]);
		seq_putc(seq, '\n');
		return 0;
	}
	seq_printf(seq, "%08x", 0);
	for (i = XSYNPROXY_STAT_SYN_RECV; i < __XSYNPROXY_STAT_MAX; i++) {
		for (val = 0, f = 0; f < XSP_FAM_NR; f++)
			val += READ_ONCE(p->stat[f][i]);
		seq_printf(seq, "\t%08llx", val);
	}
	seq_putc(seq, '\n');
	return 0;
}

static const struct seq_operations xsp_cpu_seq_ops = {
	.start	= xsp_cpu_seq_start,
	.next	= xsp_cpu_seq_next,
	.stop	= xsp_cpu_seq_stop,
	.show	= xsp_cpu_seq_show,
};

/* Called from the namespace's init, after xsp_net.pcpu is allocated. */
int xsp_proc_init(struct net *net)
{
	if (!proc_create_net("xsynproxy", 0444, net->proc_net_stat,
			     &xsp_cpu_seq_ops, sizeof(struct seq_net_private)))
		return -ENOMEM;
	return 0;
}

/* remove_proc_entry() waits for readers, so xsp_net.pcpu may go after it. */
void xsp_proc_exit(struct net *net)
{
	remove_proc_entry("xsynproxy", net->proc_net_stat);
}
#else
int xsp_proc_init(struct net *net)
{
	return 0;
}

void xsp_proc_exit(struct net *net)
{
}
#endif /* CONFIG_PROC_FS */
