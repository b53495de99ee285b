// SPDX-License-Identifier: GPL-2.0
/*
 * xsynproxy: stateless SYN proxy with rolling-salt cookies.
 *
 * Answers SYNs to protected ports with cookie SYN-ACKs, replays the client's
 * SYN into the local stack when a valid ACK arrives and gives the request
 * socket the cookie as its ISN, so the connection completes on an ordinary
 * socket with no per-connection state in this module.
 */
#include <linux/module.h>
#include <net/genetlink.h>
#include <linux/rcupdate.h>

#include "xsp.h"

static int __init xsp_init(void)
{
	int err;

	err = xsp_pernet_register();
	if (err)
		goto err_pernet;
	err = xsp_genl_register();
	if (err)
		goto err_genl;
	return 0;

err_genl:
	xsp_pernet_unregister();
err_pernet:
	return err;
}

static void __exit xsp_exit(void)
{
	xsp_genl_unregister();
	xsp_pernet_unregister();
	/* Wait for xsp_keys_free_rcu() callbacks that point into this module. */
	rcu_barrier();
}

module_init(xsp_init);
module_exit(xsp_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Stateless SYN proxy with rolling-salt cookies");
MODULE_VERSION(XSP_VERSION);
MODULE_ALIAS_GENL_FAMILY(XSYNPROXY_GENL_NAME);
