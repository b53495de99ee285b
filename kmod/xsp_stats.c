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
 * tokens per second: a flood spread by RSS over all CPUs sees the whole
 * budget, and no cacheline is shared between CPUs.
 */
bool xsp_budget_take(struct xsp_net *xn)
{
	u32 budget = READ_ONCE(xn->budget);
	struct xsp_bucket *b;
	unsigned long now;
	u32 rate, add;
	u64 elapsed;

	if (!budget)
		return true;

	rate = max_t(u32, 1, DIV_ROUND_UP(budget, num_online_cpus()));
	b = this_cpu_ptr(&xn->pcpu->bucket);
	now = jiffies;
	elapsed = now - b->stamp;
	if (elapsed >= HZ) {
		b->tokens = rate;
		b->stamp = now;
	} else {
		add = div_u64(elapsed * rate, HZ);
		if (add) {
			b->tokens = min_t(u32, rate, b->tokens + add);
			b->stamp = now;
		}
	}
	if (!b->tokens)
		return false;
	b->tokens--;
	return true;
}
