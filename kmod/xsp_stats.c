// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU counters and the per-CPU share of the SYN-ACK budget.
 */
#include <linux/cpumask.h>
#include <linux/jiffies.h>
#include <linux/math64.h>

#include "xsp.h"

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
