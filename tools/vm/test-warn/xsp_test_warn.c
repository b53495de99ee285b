// SPDX-License-Identifier: GPL-2.0
/*
 * xsp_test_warn - a module whose only job is to make the kernel complain,
 * to check that tools/vm/run notices guest kernel problems.
 *
 *   insmod xsp_test_warn.ko            WARN_ON(1) at load (default)
 *   insmod xsp_test_warn.ko what=none  load cleanly (no false positive)
 *   insmod xsp_test_warn.ko what=bug   BUG() at load (oops, insmod killed)
 *   insmod xsp_test_warn.ko what=panic panic() at load
 *   insmod xsp_test_warn.ko what=refcount  refcount_t underflow warning
 *   insmod xsp_test_warn.ko what=softlockup  spin forever, preemption off
 *
 * Build: tools/vm/test-warn/build [SERIES|ABI] [OUTDIR]
 */
#include <linux/bug.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/processor.h>
#include <linux/refcount.h>
#include <linux/string.h>

static char *what = "warn";
module_param(what, charp, 0444);
MODULE_PARM_DESC(what, "none|warn|bug|panic|refcount|softlockup");

static int __init xsp_test_warn_init(void)
{
	pr_info("xsp_test_warn: what=%s\n", what);
	if (!strcmp(what, "warn")) {
		WARN_ON(1);
	} else if (!strcmp(what, "bug")) {
		BUG();
	} else if (!strcmp(what, "panic")) {
		panic("xsp_test_warn: requested panic");
	} else if (!strcmp(what, "refcount")) {
		refcount_t r = REFCOUNT_INIT(1);

		refcount_dec(&r); /* 1 -> 0 via dec: "decrement hit 0; leaking memory" */
	} else if (!strcmp(what, "softlockup")) {
		/* A vCPU that never comes back, as a stale TB can leave one */
		preempt_disable();
		for (;;)
			cpu_relax();
	} else if (strcmp(what, "none")) {
		pr_err("xsp_test_warn: unknown what=%s\n", what);
		return -EINVAL;
	}
	return 0;
}

static void __exit xsp_test_warn_exit(void)
{
}

module_init(xsp_test_warn_init);
module_exit(xsp_test_warn_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("xsynproxy VM runner self-check: trigger kernel warnings");
