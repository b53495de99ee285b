// SPDX-License-Identifier: GPL-2.0
/*
 * One handler per command. Each one parses and checks all of its arguments
 * first, then opens the netlink socket, sends its requests, and prints the
 * decoded replies only once the exchange has fully succeeded, so a failure
 * never leaves half a JSON document behind.
 *
 * Commands that change state print nothing on success, except with -j,
 * where they print the object the kernel replied with. A list of ports is
 * applied whole or not at all.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netlink.h>

#include "synctl.h"

/*
 * Counter names for modules that do not send their own (STAT_NAMES): the
 * module's names win, so that its newer counters show under their names.
 */
static const char *const stat_names[] = {
	[XSYNPROXY_STAT_UNSPEC]			= NULL,
	[XSYNPROXY_STAT_PAD]			= NULL,
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
_Static_assert(ARRAY_SIZE(stat_names) == __XSYNPROXY_STAT_MAX,
	       "stat_names[] must name every XSYNPROXY_STAT_*");

const char *const state_names[3] = {
	[XSYNPROXY_STATE_IDLE]		= "idle",
	[XSYNPROXY_STATE_ACTIVE]	= "active",
	[XSYNPROXY_STATE_BYPASS]	= "bypass",
};

/* ---- helpers ------------------------------------------------------------- */

static int unexpected(const char *arg)
{
	err_msg("unexpected argument \"%s\"", arg);
	return SYNCTL_USAGE;
}

static int no_args(int argc, char **argv)
{
	return argc ? unexpected(argv[0]) : EXIT_OK;
}

/* Send a "do" request and decode its single reply into @r. */
int xsp_do(struct synctl *s, struct nlmsghdr *nlh, struct xsp_reply *r)
{
	int ret;

	memset(r, 0, sizeof(*r));
	ret = xsp_talk(s, nlh, xsp_reply_cb, r);
	if (!ret && !r->have) {
		err_msg("the kernel sent no reply");
		return EXIT_KERNEL;
	}
	return ret;
}

/* Open the socket and send a bodyless request @cmd. */
static int xsp_simple(struct synctl *s, uint8_t cmd, struct xsp_reply *r)
{
	int ret = nl_open(s);

	if (ret)
		return ret;
	return xsp_do(s, xsp_msg(s, cmd, NLM_F_ACK), r);
}

static void kv_u64(const char *key, uint64_t val)
{
	out_text("%s ", key);
	out_u64(key, "%" PRIu64 "\n", val);
}

static void kv_hex32(const char *key, uint32_t val)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "0x%08x", val);
	out_text("%s ", key);
	out_string(key, "%s\n", buf);
}

/* ---- printers ------------------------------------------------------------ */

static void print_budget(const struct xsp_reply *r)
{
	out_u64("budget", NULL, r->budget);
	if (r->budget)
		out_text("budget %u\n", r->budget);
	else
		out_text("budget unlimited\n");
}

static const char *const synack_names[] = {
	[XSYNPROXY_SYNACK_AUTO]	= "auto",
	[XSYNPROXY_SYNACK_COPY]	= "copy",
};

const char *synack_name(uint32_t mode, char *buf, size_t size)
{
	if (mode < ARRAY_SIZE(synack_names))
		return synack_names[mode];
	snprintf(buf, size, "unknown(%u)", mode);
	return buf;
}

static void print_datapath(const struct xsp_reply *r)
{
	char buf[24];

	out_string("synack", "synack %s\n",
		   synack_name(r->synack, buf, sizeof(buf)));
}

static void print_salt_fields(const struct xsp_reply *r)
{
	if (HAS(r, XSYNPROXY_A_KEY_ID))
		kv_hex32("key_id", r->key_id);
	if (HAS(r, XSYNPROXY_A_KEY_SHARED))
		out_bool("shared", "shared %s\n", r->key_shared);
	if (HAS(r, XSYNPROXY_A_EPOCH))
		kv_u64("epoch", r->epoch);
	if (HAS(r, XSYNPROXY_A_EPOCH_LEN))
		kv_u64("epoch_len", r->epoch_len);
	if (HAS(r, XSYNPROXY_A_PREV_KEY_ID))
		kv_hex32("prev_key_id", r->prev_key_id);
}

static void print_salt(const struct xsp_reply *r)
{
	out_open_object(NULL);
	print_salt_fields(r);
	out_close_object();
}

static void print_info(const struct xsp_reply *r)
{
	char buf[24];
	const char *state = buf;

	out_open_object(NULL);
	if (HAS(r, XSYNPROXY_A_STATE)) {
		if (r->state < ARRAY_SIZE(state_names))
			state = state_names[r->state];
		else
			snprintf(buf, sizeof(buf), "unknown(%u)", r->state);
		out_string("state", "state %s\n", state);
	}
	if (HAS(r, XSYNPROXY_A_VERSION))
		out_string("version", "version %s\n", r->version);
	if (HAS(r, XSYNPROXY_A_PORT_COUNT))
		kv_u64("port_ranges", r->port_count);
	if (HAS(r, XSYNPROXY_A_BUDGET))
		print_budget(r);
	if (HAS(r, XSYNPROXY_A_SYNACK))
		print_datapath(r);
	print_salt_fields(r);
	out_close_object();
}

/* A name from the module: [a-z0-9_], not empty, fits. */
static bool valid_stat_name(const char *name)
{
	const char *p;

	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '_'))
			return false;
	return p != name;
}

/*
 * Name of counter @id: the module's, else ours (a module too old to send
 * names), else stat_ID (a counter of a module newer than both).
 */
const char *stat_name(const struct xsp_reply *r, unsigned int id, char *buf,
		      size_t size)
{
	if (id < SYNCTL_STATS_MAX && ((r->names_have >> id) & 1) &&
	    valid_stat_name(r->stat_names[id]))
		return r->stat_names[id];
	if (id < ARRAY_SIZE(stat_names) && stat_names[id])
		return stat_names[id];
	snprintf(buf, size, "stat_%u", id);
	return buf;
}

static void print_stats_json(const struct xsp_reply *r)
{
	static const char *const fam_keys[] = { "ipv4", "ipv6" };
	char buf[SYNCTL_STAT_NAME_MAX];
	unsigned int i, f;

	out_open_object(NULL);
	for (i = 0; i < SYNCTL_STATS_MAX; i++)
		if ((r->stats.have >> i) & 1)
			out_u64(stat_name(r, i, buf, sizeof(buf)), NULL,
				r->stats.val[i]);
	for (f = 0; f < SYNCTL_FAM_NR; f++) {
		if (!((r->fam_have >> f) & 1))
			continue;
		out_open_object(fam_keys[f]);
		for (i = 0; i < SYNCTL_STATS_MAX; i++)
			if ((r->fam[f].have >> i) & 1)
				out_u64(stat_name(r, i, buf, sizeof(buf)),
					NULL, r->fam[f].val[i]);
		out_close_object();
	}
	out_close_object();
}

/*
 * Text: "NAME TOTAL IPV4 IPV6" under a header line, or "NAME VALUE" from a
 * module without per-family counters.
 */
static void print_stats(const struct xsp_reply *r)
{
	const bool fams = r->fam_have == (1U << SYNCTL_FAM_NR) - 1;
	char buf[SYNCTL_STAT_NAME_MAX];
	int w = (int)strlen("counter");
	unsigned int i, f;
	const char *name;

	if (out_is_json()) {
		print_stats_json(r);
		return;
	}
	for (i = 0; i < SYNCTL_STATS_MAX; i++) {
		name = stat_name(r, i, buf, sizeof(buf));
		if (((r->stats.have >> i) & 1) && (int)strlen(name) > w)
			w = strlen(name);
	}
	if (fams)
		printf("%-*s %12s %12s %12s\n", w, "counter", "total", "ipv4",
		       "ipv6");
	for (i = 0; i < SYNCTL_STATS_MAX; i++) {
		if (!((r->stats.have >> i) & 1))
			continue;
		name = stat_name(r, i, buf, sizeof(buf));
		if (!fams) {
			printf("%s %" PRIu64 "\n", name, r->stats.val[i]);
			continue;
		}
		printf("%-*s %12" PRIu64, w, name, r->stats.val[i]);
		for (f = 0; f < SYNCTL_FAM_NR; f++)
			printf(" %12" PRIu64, r->fam[f].val[i]);
		putchar('\n');
	}
}

/* ---- version, show ------------------------------------------------------- */

/*
 * synctl's own version always; the module's when it answers. When it does
 * not (not loadable, no such namespace), the error follows on stderr and
 * the exit status says so, as for any command the kernel failed.
 */
int do_version(struct synctl *s, int argc, char **argv)
{
	struct xsp_reply r;
	int ret;

	ret = no_args(argc, argv);
	if (ret)
		return ret;
	out_open_object(NULL);
	out_string("synctl", "synctl %s\n", SYNCTL_VERSION);
	fflush(stdout);
	ret = xsp_simple(s, XSYNPROXY_CMD_INFO_GET, &r);
	if (!ret) {
		out_string("module", "xsynproxy %s", r.version);
		out_u64("genl_version", " (genl version %" PRIu64 ")\n",
			r.genl_version);
	}
	out_close_object();
	return ret;
}

int do_show(struct synctl *s, int argc, char **argv)
{
	struct xsp_reply r;
	int ret;

	ret = no_args(argc, argv);
	if (!ret)
		ret = xsp_simple(s, XSYNPROXY_CMD_INFO_GET, &r);
	if (!ret)
		print_info(&r);
	return ret;
}

/*
 * Open the socket and send @cmd with one u32 attribute; with -j, print the
 * settings as they are afterwards (the reply carries them).
 */
static int xsp_set_u32(struct synctl *s, uint8_t cmd, uint16_t attr,
		       uint32_t val)
{
	struct nlmsghdr *nlh;
	struct xsp_reply r;
	int ret;

	ret = nl_open(s);
	if (ret)
		return ret;
	nlh = xsp_msg(s, cmd, NLM_F_ACK);
	mnl_attr_put_u32(nlh, attr, val);
	ret = xsp_do(s, nlh, &r);
	if (!ret && out_is_json())
		print_info(&r);
	return ret;
}

/*
 * "OBJECT show" of a part of the settings: no arguments, the module's info
 * (@need: an attribute it must carry, else it is too old for @what), then
 * @print in one object.
 */
static int show_info(struct synctl *s, int argc, char **argv, int need,
		     const char *what, void (*print)(const struct xsp_reply *))
{
	struct xsp_reply r;
	int ret;

	ret = no_args(argc, argv);
	if (!ret)
		ret = xsp_simple(s, XSYNPROXY_CMD_INFO_GET, &r);
	if (ret)
		return ret;
	if (need >= 0 && !HAS(&r, need)) {
		err_msg("%s: the module is too old to report its %s settings",
			what, what);
		return EXIT_KERNEL;
	}
	out_open_object(NULL);
	print(&r);
	out_close_object();
	return EXIT_OK;
}

/* ---- ports --------------------------------------------------------------- */

struct range {
	uint16_t	lo;
	uint16_t	hi;
	uint16_t	af;		/* AF_INET(6); 0: both families */
	bool		enabled;
};

struct range_list {
	struct range	*v;
	size_t		n;
	size_t		size;
};

static int range_cb(const struct nlmsghdr *nlh, void *data)
{
	struct range_list *l = data;
	struct xsp_reply r;
	struct range *v;

	if (xsp_parse(nlh, &r))
		return MNL_CB_ERROR;
	if (!HAS(&r, XSYNPROXY_A_PORT_LO) || !HAS(&r, XSYNPROXY_A_PORT_HI)) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	if (l->n == l->size) {
		v = reallocarray(l->v, l->size ? 2 * l->size : 64, sizeof(*v));
		if (!v)
			return MNL_CB_ERROR;	/* errno = ENOMEM */
		l->v = v;
		l->size = l->size ? 2 * l->size : 64;
	}
	l->v[l->n++] = (struct range){
		.lo		= r.port_lo,
		.hi		= r.port_hi,
		/* Absent: both families (older modules have no other). */
		.af		= HAS(&r, XSYNPROXY_A_FAMILY) ? r.family : 0,
		/* Absent means enabled, as for PORT_ADD. */
		.enabled	= !HAS(&r, XSYNPROXY_A_PORT_ENABLED) ||
				  r.port_enabled,
	};
	return MNL_CB_OK;
}

/*
 * The port table, sorted. A dump the kernel flags as interrupted (the
 * table changed under it) is retried once; if the retry is interrupted
 * too, its result is kept with a warning on stderr.
 */
static int ports_dump(struct synctl *s, struct range_list *l)
{
	struct nlmsghdr *nlh;
	int attempt, ret;

	ret = nl_open(s);
	if (ret)
		return ret;
	for (attempt = 0; attempt < 2; attempt++) {
		l->n = 0;
		nlh = xsp_msg(s, XSYNPROXY_CMD_PORT_GET, NLM_F_DUMP);
		ret = xsp_talk(s, nlh, range_cb, l);
		if (ret || !s->dump_intr)
			break;
	}
	if (!ret && s->dump_intr)
		err_msg("dump interrupted, output may be inconsistent");
	return ret;
}

static const struct range *range_find(const struct range_list *l,
				      uint16_t lo, uint16_t hi, uint16_t af)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].lo == lo && l->v[i].hi == hi && l->v[i].af == af)
			return &l->v[i];
	return NULL;
}

/*
 * One PORT_ADD, PORT_SET or PORT_DEL (@enabled < 0: none) of LO-HI in
 * address family @af (0: the range of both families).
 */
static int port_request(struct synctl *s, uint8_t cmd, uint16_t lo,
			uint16_t hi, int enabled, uint16_t af)
{
	struct nlmsghdr *nlh;
	struct xsp_reply r;

	nlh = xsp_msg(s, cmd, NLM_F_ACK);
	mnl_attr_put_u16(nlh, XSYNPROXY_A_PORT_LO, lo);
	mnl_attr_put_u16(nlh, XSYNPROXY_A_PORT_HI, hi);
	if (enabled >= 0)
		mnl_attr_put_u8(nlh, XSYNPROXY_A_PORT_ENABLED, enabled);
	if (af)
		mnl_attr_put_u16(nlh, XSYNPROXY_A_FAMILY, af);
	/* No reply to a delete. */
	if (cmd == XSYNPROXY_CMD_PORT_DEL)
		return xsp_talk(s, nlh, NULL, NULL);
	return xsp_do(s, nlh, &r);
}

static void print_range_body(uint16_t lo, uint16_t hi, bool enabled,
			     uint16_t af)
{
	out_u64("lo", "%" PRIu64, lo);
	if (hi != lo)
		out_text("-%u", hi);
	out_u64("hi", NULL, hi);
	out_bool("enabled", NULL, enabled);
	out_text("%s", enabled ? "" : " off");
	if (af)
		out_string("family", " family %s", af_name(af));
	out_text("\n");
}

/* With -j, what a change made: one range as an object, a list as an array. */
static void print_changed(const struct port_list *pl, const uint8_t *on,
			  uint16_t af)
{
	size_t i;

	if (!out_is_json())
		return;
	if (pl->n > 1)
		out_open_array(NULL);
	for (i = 0; i < pl->n; i++) {
		out_open_object(NULL);
		print_range_body(pl->v[i].lo, pl->v[i].hi, on[i], af);
		out_close_object();
	}
	if (pl->n > 1)
		out_close_array();
}

/*
 * After element @failed of a list failed (the kernel's error is printed),
 * undo the @failed changes before it, last first: @undo_cmd with the
 * enabled flags in @undo_on (for re-adding or re-setting). Says whether
 * anything is left half-applied.
 */
static void ports_undo(struct synctl *s, const char *verb,
		       const struct port_list *pl, size_t failed,
		       uint8_t undo_cmd, const uint8_t *undo_on, uint16_t af)
{
	size_t i, left = 0;

	for (i = failed; i-- > 0;) {
		if (port_request(s, undo_cmd, pl->v[i].lo, pl->v[i].hi,
				 undo_cmd == XSYNPROXY_CMD_PORT_DEL ? -1 :
				 undo_on[i], af))
			left++;
	}
	if (pl->n < 2)
		return;
	if (!left)
		err_msg("ports %s: \"%s\" failed; %zu change%s before it undone, nothing changed",
			verb, pl->v[failed].text, failed,
			failed == 1 ? "" : "s");
	else
		err_msg("ports %s: \"%s\" failed; %zu of the %zu changes before it could not be undone",
			verb, pl->v[failed].text, left, failed);
}

/*
 * The words after PORTS: "family FAMILY" anywhere (default: -4/-6 or both),
 * and with @on the one on|off that @on_needed says is required.
 */
static int ports_tail(const struct synctl *s, int argc, char **argv,
		      uint8_t *on, bool on_needed, uint16_t *af)
{
	bool have_on = false;
	int i;

	*af = s->af;
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "family")) {
			if (++i == argc) {
				err_msg("family: missing inet, inet6 or all");
				return EXIT_USAGE;
			}
			if (parse_af(argv[i], af))
				return EXIT_USAGE;
		} else if (on && !have_on) {
			if (parse_onoff(argv[i], on))
				return EXIT_USAGE;
			have_on = true;
		} else {
			return unexpected(argv[i]);
		}
	}
	if (on_needed && !have_on) {
		err_msg("missing on|off");
		return SYNCTL_USAGE;
	}
	return 0;
}

/* ports add PORTS [on|off] [family FAMILY] */
int do_ports_add(struct synctl *s, int argc, char **argv)
{
	struct port_list pl;
	uint8_t *on = NULL;
	uint8_t enabled = 1;
	uint16_t af;
	size_t i;
	int ret;

	if (argc < 1) {
		err_msg("ports add: missing PORTS");
		return SYNCTL_USAGE;
	}
	ret = ports_tail(s, argc - 1, argv + 1, &enabled, false, &af);
	if (ret)
		return ret;
	if (parse_port_list(argv[0], &pl))
		return EXIT_USAGE;
	on = malloc(pl.n);
	if (!on) {
		err_msg("out of memory");
		port_list_free(&pl);
		return EXIT_KERNEL;
	}
	memset(on, enabled, pl.n);

	ret = nl_open(s);
	for (i = 0; !ret && i < pl.n; i++) {
		ret = port_request(s, XSYNPROXY_CMD_PORT_ADD, pl.v[i].lo,
				   pl.v[i].hi, enabled, af);
		if (ret)
			ports_undo(s, "add", &pl, i, XSYNPROXY_CMD_PORT_DEL, on,
				   af);
	}
	if (!ret)
		print_changed(&pl, on, af);
	free(on);
	port_list_free(&pl);
	return ret;
}

/*
 * For del and set of a list: every range must be configured exactly, as
 * the kernel will insist, checked before anything changes. Stores each
 * range's enabled flag in @on, for the undo.
 */
static int ports_check_all(struct synctl *s, const struct port_list *pl,
			   uint8_t *on, uint16_t af)
{
	struct range_list l = {};
	const struct range *r;
	size_t i;
	int ret;

	ret = ports_dump(s, &l);
	for (i = 0; !ret && i < pl->n; i++) {
		r = range_find(&l, pl->v[i].lo, pl->v[i].hi, af);
		if (!r) {
			err_msg("no configured range %u-%u%s%s (\"%s\"): nothing changed",
				pl->v[i].lo, pl->v[i].hi,
				af ? " family " : "", af ? af_name(af) : "",
				pl->v[i].text);
			ret = EXIT_KERNEL;
		} else {
			on[i] = r->enabled;
		}
	}
	free(l.v);
	return ret;
}

/*
 * ports del PORTS [family FAMILY] | all; no reply to a delete: nothing to
 * print, even with -j
 */
int do_ports_del(struct synctl *s, int argc, char **argv)
{
	struct port_list pl;
	struct nlmsghdr *nlh;
	uint8_t *on;
	uint16_t af;
	size_t i;
	int ret;

	if (argc < 1) {
		err_msg("ports del: missing PORTS or \"all\"");
		return SYNCTL_USAGE;
	}
	if (!strcmp(argv[0], "all")) {
		if (argc > 1)
			return unexpected(argv[1]);
		ret = nl_open(s);
		if (ret)
			return ret;
		nlh = xsp_msg(s, XSYNPROXY_CMD_PORT_DEL, NLM_F_ACK);
		return xsp_talk(s, nlh, NULL, NULL);
	}
	ret = ports_tail(s, argc - 1, argv + 1, NULL, false, &af);
	if (ret)
		return ret;
	if (parse_port_list(argv[0], &pl))
		return EXIT_USAGE;
	on = calloc(pl.n, 1);
	if (!on) {
		err_msg("out of memory");
		port_list_free(&pl);
		return EXIT_KERNEL;
	}
	ret = nl_open(s);
	if (!ret && pl.n > 1)
		ret = ports_check_all(s, &pl, on, af);
	for (i = 0; !ret && i < pl.n; i++) {
		ret = port_request(s, XSYNPROXY_CMD_PORT_DEL, pl.v[i].lo,
				   pl.v[i].hi, -1, af);
		if (ret)
			ports_undo(s, "del", &pl, i, XSYNPROXY_CMD_PORT_ADD, on,
				   af);
	}
	free(on);
	port_list_free(&pl);
	return ret;
}

/* ports set PORTS on|off [family FAMILY] */
int do_ports_set(struct synctl *s, int argc, char **argv)
{
	uint8_t enabled, *on = NULL, *was = NULL;
	struct port_list pl;
	uint16_t af;
	size_t i;
	int ret;

	if (argc < 2) {
		err_msg("ports set: missing %s", argc ? "on|off" : "PORTS");
		return SYNCTL_USAGE;
	}
	ret = ports_tail(s, argc - 1, argv + 1, &enabled, true, &af);
	if (ret)
		return ret;
	if (parse_port_list(argv[0], &pl))
		return EXIT_USAGE;
	on = malloc(pl.n);
	was = calloc(pl.n, 1);
	if (!on || !was) {
		err_msg("out of memory");
		ret = EXIT_KERNEL;
		goto out;
	}
	memset(on, enabled, pl.n);
	ret = nl_open(s);
	if (!ret && pl.n > 1)
		ret = ports_check_all(s, &pl, was, af);
	for (i = 0; !ret && i < pl.n; i++) {
		ret = port_request(s, XSYNPROXY_CMD_PORT_SET, pl.v[i].lo,
				   pl.v[i].hi, enabled, af);
		if (ret)
			ports_undo(s, "set", &pl, i, XSYNPROXY_CMD_PORT_SET, was,
				   af);
	}
	if (!ret)
		print_changed(&pl, on, af);
out:
	free(on);
	free(was);
	port_list_free(&pl);
	return ret;
}

int do_ports_show(struct synctl *s, int argc, char **argv)
{
	struct range_list l = {};
	size_t i;
	int ret;

	ret = no_args(argc, argv);
	if (!ret)
		ret = ports_dump(s, &l);
	if (!ret) {
		out_open_array(NULL);
		for (i = 0; i < l.n; i++) {
			out_open_object(NULL);
			print_range_body(l.v[i].lo, l.v[i].hi, l.v[i].enabled,
					 l.v[i].af);
			out_close_object();
		}
		out_close_array();
	}
	free(l.v);
	return ret;
}

/* ---- salt ---------------------------------------------------------------- */

int do_salt_show(struct synctl *s, int argc, char **argv)
{
	struct xsp_reply r;
	int ret;

	ret = no_args(argc, argv);
	if (!ret)
		ret = xsp_simple(s, XSYNPROXY_CMD_SALT_GET, &r);
	if (!ret)
		print_salt(&r);
	return ret;
}

int do_salt_rotate(struct synctl *s, int argc, char **argv)
{
	struct xsp_reply r;
	int ret;

	ret = no_args(argc, argv);
	if (!ret)
		ret = xsp_simple(s, XSYNPROXY_CMD_SALT_ROTATE, &r);
	if (!ret && out_is_json())
		print_salt(&r);
	return ret;
}

static bool opt_is(const char *arg, const char *name)
{
	return !strcmp(arg, name) || (!strncmp(arg, "--", 2) &&
				       !strcmp(arg + 2, name));
}

/* salt set [--key-file FILE|-] [--epoch-len SEC], at least one of them. */
int do_salt_set(struct synctl *s, int argc, char **argv)
{
	uint8_t key[XSYNPROXY_KEY_LEN];
	const char *key_file = NULL;
	struct nlmsghdr *nlh;
	uint32_t epoch_len = 0;
	struct xsp_reply r;
	int i, ret;

	for (i = 0; i < argc; i += 2) {
		if (!opt_is(argv[i], "key-file") &&
		    !opt_is(argv[i], "epoch-len"))
			return unexpected(argv[i]);
		if (i + 1 >= argc) {
			err_msg("salt set: %s needs an argument", argv[i]);
			return SYNCTL_USAGE;
		}
		if (opt_is(argv[i], "key-file")) {
			if (key_file) {
				err_msg("salt set: key file given twice");
				return SYNCTL_USAGE;
			}
			key_file = argv[i + 1];
		} else {
			if (epoch_len) {
				err_msg("salt set: epoch length given twice");
				return SYNCTL_USAGE;
			}
			if (parse_u32("epoch length", argv[i + 1], 1,
				      XSYNPROXY_EPOCH_LEN_MAX, &epoch_len))
				return EXIT_USAGE;
		}
	}
	if (!key_file && !epoch_len) {
		err_msg("salt set: nothing to set: need --key-file and/or --epoch-len");
		return SYNCTL_USAGE;
	}
	/* Last of the checks, so that no error path holds the key. */
	if (key_file && read_key_file(key_file, key))
		return EXIT_USAGE;

	ret = nl_open(s);
	if (!ret) {
		nlh = xsp_msg(s, XSYNPROXY_CMD_SALT_SET, NLM_F_ACK);
		if (key_file)
			mnl_attr_put(nlh, XSYNPROXY_A_KEY, sizeof(key), key);
		if (epoch_len)
			mnl_attr_put_u32(nlh, XSYNPROXY_A_EPOCH_LEN, epoch_len);
		ret = xsp_do(s, nlh, &r);
		explicit_bzero(s->req, sizeof(s->req));
	}
	explicit_bzero(key, sizeof(key));
	if (!ret && out_is_json())
		print_salt(&r);
	return ret;
}

/* ---- budget -------------------------------------------------------------- */

int do_budget_set(struct synctl *s, int argc, char **argv)
{
	uint32_t budget;

	if (argc < 1) {
		err_msg("budget set: missing N or \"unlimited\"");
		return SYNCTL_USAGE;
	}
	if (!strcmp(argv[0], "unlimited"))
		budget = 0;
	else if (parse_u32("budget", argv[0], 0, UINT32_MAX, &budget))
		return EXIT_USAGE;
	if (argc > 1)
		return unexpected(argv[1]);
	return xsp_set_u32(s, XSYNPROXY_CMD_BUDGET_SET, XSYNPROXY_A_BUDGET,
			   budget);
}

int do_budget_show(struct synctl *s, int argc, char **argv)
{
	return show_info(s, argc, argv, -1, "budget", print_budget);
}

/* ---- datapath ------------------------------------------------------------ */

/* datapath set synack auto|copy */
int do_datapath_set(struct synctl *s, int argc, char **argv)
{
	uint32_t mode;

	if (argc < 1) {
		err_msg("datapath set: missing a setting (synack)");
		return SYNCTL_USAGE;
	}
	if (strcmp(argv[0], "synack"))
		return unexpected(argv[0]);
	if (argc < 2) {
		err_msg("datapath set synack: missing \"auto\" or \"copy\"");
		return SYNCTL_USAGE;
	}
	for (mode = 0; mode < ARRAY_SIZE(synack_names); mode++)
		if (!strcmp(argv[1], synack_names[mode]))
			break;
	if (mode == ARRAY_SIZE(synack_names)) {
		err_msg("datapath set synack: \"%s\" is not \"auto\" or \"copy\"",
			argv[1]);
		return SYNCTL_USAGE;
	}
	if (argc > 2)
		return unexpected(argv[2]);
	return xsp_set_u32(s, XSYNPROXY_CMD_DATAPATH_SET, XSYNPROXY_A_SYNACK,
			   mode);
}

int do_datapath_show(struct synctl *s, int argc, char **argv)
{
	return show_info(s, argc, argv, XSYNPROXY_A_SYNACK, "datapath",
			 print_datapath);
}

/* ---- stats --------------------------------------------------------------- */

/* stats [show] [-i SEC [-c COUNT]] */
int do_stats_show(struct synctl *s, int argc, char **argv)
{
	uint32_t interval = 0, count = 0;
	struct xsp_reply r;
	uint32_t *val;
	const char *what;
	int i, ret;

	for (i = 0; i < argc; i += 2) {
		if (opt_matches(argv[i], "interval")) {
			val = &interval;
			what = "interval";
		} else if (opt_matches(argv[i], "count")) {
			val = &count;
			what = "count";
		} else {
			return unexpected(argv[i]);
		}
		if (*val) {
			err_msg("stats: %s given twice", what);
			return SYNCTL_USAGE;
		}
		if (i + 1 >= argc) {
			err_msg("stats: %s needs an argument", argv[i]);
			return SYNCTL_USAGE;
		}
		if (parse_u32(what, argv[i + 1], 1, val == &interval ? 86400 :
			      UINT32_MAX, val))
			return EXIT_USAGE;
	}
	if (count && !interval) {
		err_msg("stats: -c COUNT needs -i SEC");
		return SYNCTL_USAGE;
	}
	if (interval)
		return stats_watch(s, interval, count);

	ret = xsp_simple(s, XSYNPROXY_CMD_STATS_GET, &r);
	if (!ret)
		print_stats(&r);
	return ret;
}

/* With -j, prints the counters as they were just before the reset. */
int do_stats_reset(struct synctl *s, int argc, char **argv)
{
	struct xsp_reply r;
	int ret;

	ret = no_args(argc, argv);
	if (!ret)
		ret = xsp_simple(s, XSYNPROXY_CMD_STATS_RESET, &r);
	if (!ret && out_is_json())
		print_stats(&r);
	return ret;
}

/* ---- save ----------------------------------------------------------------- */

/*
 * The commands that recreate the namespace's settings and ports, for
 * "synctl -b FILE": settings first, so that protection starts under them,
 * then the ranges, each with its on/off. The key is never printed.
 */
int do_save(struct synctl *s, int argc, char **argv)
{
	struct range_list l = {};
	struct xsp_reply r;
	size_t i;
	int ret;

	ret = no_args(argc, argv);
	if (!ret && out_is_json()) {
		err_msg("save prints commands, not JSON (see \"ports show -j\")");
		ret = SYNCTL_USAGE;
	}
	if (!ret)
		ret = xsp_simple(s, XSYNPROXY_CMD_INFO_GET, &r);
	if (!ret)
		ret = ports_dump(s, &l);
	if (ret) {
		free(l.v);
		return ret;
	}
	printf("# xsynproxy settings (synctl save), for: synctl [-n NETNS] -b FILE\n"
	       "# The key is not saved: a shared key is set with\n"
	       "# \"salt set --key-file FILE\".\n");
	printf("salt set --epoch-len %u\n", r.epoch_len);
	if (r.budget)
		printf("budget set %u\n", r.budget);
	else
		printf("budget set unlimited\n");
	if (HAS(&r, XSYNPROXY_A_SYNACK) &&
	    r.synack < ARRAY_SIZE(synack_names))
		printf("datapath set synack %s\n", synack_names[r.synack]);
	printf("ports del all\n");
	for (i = 0; i < l.n; i++) {
		printf("ports add %u", l.v[i].lo);
		if (l.v[i].hi != l.v[i].lo)
			printf("-%u", l.v[i].hi);
		printf("%s", l.v[i].enabled ? "" : " off");
		if (l.v[i].af)
			printf(" family %s", af_name(l.v[i].af));
		printf("\n");
	}
	free(l.v);
	return EXIT_OK;
}

/* ---- cookie -------------------------------------------------------------- */

struct mint_args {
	int		addr_len;
	uint8_t		saddr[16];
	uint8_t		daddr[16];
	uint16_t	sport;
	uint16_t	dport;
	uint32_t	isn;
	uint32_t	mss;		/* valid when has_mss */
	uint32_t	wscale;		/* valid when has_wscale */
	bool		has_mss;
	bool		has_wscale;
	bool		sack;
	bool		ecn;
	bool		ts;
};

/* IPv4 or IPv6 address: returns its length, or -1. */
static int parse_addr(const char *str, uint8_t addr[16])
{
	if (inet_pton(AF_INET, str, addr) == 1)
		return 4;
	if (inet_pton(AF_INET6, str, addr) == 1)
		return 16;
	err_msg("invalid address \"%s\"", str);
	return -1;
}

/* A bad value, its error printed: exit with EXIT_USAGE, no usage line. */
#define MINT_BAD_VALUE	(-2)

/*
 * One option word of cookie mint, and its value: returns the number of
 * words taken (1 or 2), or SYNCTL_USAGE or MINT_BAD_VALUE with the error
 * printed. Never a count for a failure: "mss sack" must not go on to
 * send, nor "mss 65536" to complain about "65536" as a word of its own.
 */
static int parse_mint_flag(struct mint_args *m, int argc, char **argv)
{
	static const char *const flags[] = { "sack", "ecn", "ts" };
	bool *seen[] = { &m->sack, &m->ecn, &m->ts };
	bool *has = NULL;
	uint32_t *val = NULL, max = 0;
	const char *what = argv[0];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		if (strcmp(what, flags[i]))
			continue;
		if (*seen[i])
			goto twice;
		*seen[i] = true;
		return 1;
	}
	if (!strcmp(what, "mss")) {
		has = &m->has_mss;
		val = &m->mss;
		max = UINT16_MAX;
	} else if (!strcmp(what, "wscale")) {
		has = &m->has_wscale;
		val = &m->wscale;
		max = XSYNPROXY_WSCALE_NONE;
	} else {
		return unexpected(what);
	}
	if (*has)
		goto twice;
	if (argc < 2) {
		err_msg("cookie mint: %s needs a value", what);
		return SYNCTL_USAGE;
	}
	if (parse_u32(what, argv[1], 0, max, val))
		return MINT_BAD_VALUE;
	*has = true;
	return 2;
twice:
	err_msg("cookie mint: %s given twice", what);
	return SYNCTL_USAGE;
}

static int parse_mint(struct mint_args *m, int argc, char **argv)
{
	int dlen, i, n;

	if (argc < 5) {
		err_msg("cookie mint: need SADDR SPORT DADDR DPORT ISN");
		return SYNCTL_USAGE;
	}
	m->addr_len = parse_addr(argv[0], m->saddr);
	if (m->addr_len < 0 || parse_port(argv[1], &m->sport))
		return EXIT_USAGE;
	dlen = parse_addr(argv[2], m->daddr);
	if (dlen < 0 || parse_port(argv[3], &m->dport))
		return EXIT_USAGE;
	if (dlen != m->addr_len) {
		err_msg("cookie mint: \"%s\" and \"%s\" are not of one address family",
			argv[0], argv[2]);
		return EXIT_USAGE;
	}
	if (parse_u32("ISN", argv[4], 0, UINT32_MAX, &m->isn))
		return EXIT_USAGE;
	for (i = 5; i < argc; i += n) {
		n = parse_mint_flag(m, argc - i, argv + i);
		if (n < 0)
			return n == MINT_BAD_VALUE ? EXIT_USAGE : n;
	}
	return EXIT_OK;
}

int do_cookie_mint(struct synctl *s, int argc, char **argv)
{
	struct mint_args m = {};
	struct nlmsghdr *nlh;
	struct xsp_reply r;
	int ret;

	ret = parse_mint(&m, argc, argv);
	if (!ret)
		ret = nl_open(s);
	if (ret)
		return ret;
	nlh = xsp_msg(s, XSYNPROXY_CMD_COOKIE_MINT, NLM_F_ACK);
	mnl_attr_put(nlh, XSYNPROXY_A_SADDR, m.addr_len, m.saddr);
	mnl_attr_put(nlh, XSYNPROXY_A_DADDR, m.addr_len, m.daddr);
	mnl_attr_put_u16(nlh, XSYNPROXY_A_SPORT, m.sport);
	mnl_attr_put_u16(nlh, XSYNPROXY_A_DPORT, m.dport);
	mnl_attr_put_u32(nlh, XSYNPROXY_A_CLIENT_ISN, m.isn);
	if (m.has_mss)
		mnl_attr_put_u16(nlh, XSYNPROXY_A_MSS, m.mss);
	if (m.has_wscale)
		mnl_attr_put_u8(nlh, XSYNPROXY_A_WSCALE, m.wscale);
	if (m.sack)
		mnl_attr_put_u8(nlh, XSYNPROXY_A_SACK, 1);
	if (m.ecn)
		mnl_attr_put_u8(nlh, XSYNPROXY_A_ECN, 1);
	if (m.ts)
		mnl_attr_put_u8(nlh, XSYNPROXY_A_TSTAMP, 1);
	ret = xsp_do(s, nlh, &r);
	if (ret)
		return ret;

	out_open_object(NULL);
	kv_u64("cookie", r.cookie);
	if (HAS(&r, XSYNPROXY_A_TSVAL))
		kv_u64("tsval", r.tsval);
	if (HAS(&r, XSYNPROXY_A_MSS))
		kv_u64("mss", r.mss);
	if (HAS(&r, XSYNPROXY_A_EPOCH))
		kv_u64("epoch", r.epoch);
	out_close_object();
	return EXIT_OK;
}
