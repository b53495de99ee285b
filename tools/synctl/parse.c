// SPDX-License-Identifier: GPL-2.0
/*
 * Argument parsing. Everything is checked here, before a netlink socket is
 * even opened; each parser prints its own "synctl: ..." message on failure
 * and returns -1.
 *
 * Numbers are decimal, or hexadecimal with 0x, everywhere: no sign, no
 * blanks, no octal. Ports may also be TCP service names (/etc/services).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "synctl.h"

/* A key file is 32 hex digits plus whitespace, or 16 raw bytes. */
#define KEY_FILE_MAX	4096
/* As many ranges as the module takes (XSP_MAX_RANGES). */
#define PORT_LIST_MAX	1024

const char *err_where;

/*
 * Every error starts with "synctl: ", or, for a line of a batch file, with
 * "FILE:LINE: " as compilers print it.
 */
void err_start(void)
{
	fprintf(stderr, "%s: ", err_where ? err_where : "synctl");
}

void err_msg(const char *fmt, ...)
{
	va_list ap;

	err_start();
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

bool is_help(const char *arg)
{
	return !strcmp(arg, "help") || !strcmp(arg, "-h") ||
	       !strcmp(arg, "--help");
}

/*
 * Strict unsigned decimal, or hexadecimal with 0x: no sign, no blanks, no
 * trailing garbage, no empty string. Leading zeros are decimal, not octal.
 */
static int parse_ulong(const char *str, unsigned long long *val)
{
	int base = 10;
	char *end;

	if (!strncmp(str, "0x", 2) || !strncmp(str, "0X", 2)) {
		base = 16;
		str += 2;
		if (!isxdigit((unsigned char)*str))
			return -1;
	} else if (!isdigit((unsigned char)*str)) {
		return -1;
	}
	errno = 0;
	*val = strtoull(str, &end, base);
	if (errno || *end)
		return -1;
	return 0;
}

/* Returns NULL when @str is a valid port or TCP service, else why not. */
static const char *port_error(const char *str, uint16_t *port)
{
	const struct servent *se;
	unsigned long long v;

	if (!*str)
		return "empty";
	if (!parse_ulong(str, &v)) {
		if (v < 1 || v > 65535)
			return "out of range (1-65535)";
		*port = v;
		return NULL;
	}
	/* Service names start with a letter (RFC 6335). */
	if (!isalpha((unsigned char)*str))
		return "not a number";
	se = getservbyname(str, "tcp");
	if (!se)
		return "not a number or a TCP service name";
	*port = ntohs(se->s_port);
	if (!*port)
		return "out of range (1-65535)";
	return NULL;
}

int parse_port(const char *str, uint16_t *port)
{
	const char *why = port_error(str, port);

	if (why) {
		err_msg("invalid port \"%s\": %s", str, why);
		return -1;
	}
	return 0;
}

/*
 * PORT or LO-HI, LO <= HI. A single port is the range PORT-PORT. Service
 * names are taken whole first, so a name with a dash is a port, not a range
 * (the ends of a range may be names without dashes).
 */
int parse_range(const char *str, uint16_t *lo, uint16_t *hi)
{
	const char *dash = strchr(str, '-');
	const char *why;
	char buf[64];
	size_t n;

	if (!dash || dash == str || !port_error(str, lo)) {
		if (parse_port(str, lo))
			return -1;
		*hi = *lo;
		return 0;
	}

	n = dash - str;
	if (n >= sizeof(buf)) {
		why = "not a number";
		goto err;
	}
	memcpy(buf, str, n);
	buf[n] = '\0';
	why = port_error(buf, lo);
	if (!why)
		why = port_error(dash + 1, hi);
	if (why)
		goto err;
	if (*lo > *hi) {
		err_msg("invalid port range \"%s\": reversed range (%u > %u)",
			str, *lo, *hi);
		return -1;
	}
	return 0;
err:
	err_msg("invalid port range \"%s\": %s", str, why);
	return -1;
}

static int elem_cmp(const void *a, const void *b)
{
	const struct port_elem *x = a, *y = b;

	return x->lo != y->lo ? x->lo - y->lo : x->hi - y->hi;
}

void port_list_free(struct port_list *l)
{
	free(l->v);
	free(l->buf);
	memset(l, 0, sizeof(*l));
}

/*
 * PORTS := RANGE[,RANGE]...: every element checked, and no two of them
 * overlapping, before anything is sent.
 */
int parse_port_list(const char *str, struct port_list *l)
{
	struct port_elem *sorted = NULL;
	size_t i, n = 1;
	char *p, *comma;

	memset(l, 0, sizeof(*l));
	for (p = (char *)str; *p; p++)
		n += *p == ',';
	if (n > PORT_LIST_MAX) {
		err_msg("invalid port list: more than %d elements", PORT_LIST_MAX);
		return -1;
	}
	l->buf = strdup(str);
	l->v = calloc(n, sizeof(*l->v));
	if (!l->buf || !l->v) {
		err_msg("out of memory");
		goto err;
	}
	for (p = l->buf; p; p = comma) {
		comma = strchr(p, ',');
		if (comma)
			*comma++ = '\0';
		if (!*p && n > 1) {
			err_msg("invalid port \"\" in list \"%s\": empty element",
				str);
			goto err;
		}
		if (parse_range(p, &l->v[l->n].lo, &l->v[l->n].hi))
			goto err;
		l->v[l->n++].text = p;
	}
	if (l->n < 2)
		return 0;
	sorted = malloc(l->n * sizeof(*sorted));
	if (!sorted) {
		err_msg("out of memory");
		goto err;
	}
	memcpy(sorted, l->v, l->n * sizeof(*sorted));
	qsort(sorted, l->n, sizeof(*sorted), elem_cmp);
	for (i = 1; i < l->n; i++) {
		if (sorted[i].lo <= sorted[i - 1].hi) {
			err_msg("invalid port list \"%s\": \"%s\" and \"%s\" overlap",
				str, sorted[i - 1].text, sorted[i].text);
			goto err;
		}
	}
	free(sorted);
	return 0;
err:
	free(sorted);
	port_list_free(l);
	return -1;
}

int parse_u32(const char *what, const char *str, uint32_t min, uint32_t max,
	      uint32_t *val)
{
	unsigned long long v;

	if (parse_ulong(str, &v)) {
		err_msg("invalid %s \"%s\": not a number", what, str);
		return -1;
	}
	if (v < min || v > max) {
		err_msg("invalid %s \"%s\": out of range (%u-%u)",
			what, str, min, max);
		return -1;
	}
	*val = v;
	return 0;
}

int parse_onoff(const char *str, uint8_t *on)
{
	if (!strcmp(str, "on")) {
		*on = 1;
		return 0;
	}
	if (!strcmp(str, "off")) {
		*on = 0;
		return 0;
	}
	err_msg("expected \"on\" or \"off\", not \"%s\"", str);
	return -1;
}

/* An address family as ip names it: inet, inet6; all (or any) for both. */
int parse_af(const char *str, uint16_t *af)
{
	if (!strcmp(str, "inet") || !strcmp(str, "4")) {
		*af = AF_INET;
		return 0;
	}
	if (!strcmp(str, "inet6") || !strcmp(str, "6")) {
		*af = AF_INET6;
		return 0;
	}
	if (!strcmp(str, "all") || !strcmp(str, "any")) {
		*af = 0;
		return 0;
	}
	err_msg("expected family \"inet\", \"inet6\" or \"all\", not \"%s\"",
		str);
	return -1;
}

const char *af_name(uint16_t af)
{
	return af == AF_INET ? "inet" : af == AF_INET6 ? "inet6" : "all";
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* 32 hex digits, whitespace anywhere ignored. */
static int key_from_hex(const char *buf, size_t len,
			uint8_t key[XSYNPROXY_KEY_LEN])
{
	unsigned int nibbles = 0;
	size_t i;
	int v;

	for (i = 0; i < len; i++) {
		if (isspace((unsigned char)buf[i]))
			continue;
		v = hexval((unsigned char)buf[i]);
		if (v < 0 || nibbles >= 2 * XSYNPROXY_KEY_LEN)
			return -1;
		if (nibbles % 2)
			key[nibbles / 2] |= v;
		else
			key[nibbles / 2] = v << 4;
		nibbles++;
	}
	return nibbles == 2 * XSYNPROXY_KEY_LEN ? 0 : -1;
}

static ssize_t read_all(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size) {
		n = read(fd, buf + len, size - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (!n)
			break;
		len += n;
	}
	return len;
}

/*
 * Like ssh with a private key, refuse a key file that others may read (or
 * replace): its key would not be secret, or not ours. Checked on the open
 * file, so that nothing can be swapped in between.
 */
static int key_file_private(int fd, const char *path)
{
	const mode_t others = S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH;
	struct stat st;

	if (fstat(fd, &st)) {
		err_msg("cannot stat key file \"%s\": %s", path, strerror(errno));
		return -1;
	}
	if (st.st_mode & others) {
		err_msg("key file \"%s\" is readable or writable by group or others (mode %04o): refusing it, chmod 600 it first",
			path, (unsigned int)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

/*
 * Read a key from @path ("-" for stdin). Never echoes its content, and
 * wipes every copy but @key.
 */
int read_key_file(const char *path, uint8_t key[XSYNPROXY_KEY_LEN])
{
	bool is_stdin = !strcmp(path, "-");
	const char *name = is_stdin ? "standard input" : path;
	char buf[KEY_FILE_MAX + 1];
	int fd, ret = -1;
	ssize_t len;

	fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err_msg("cannot open key file \"%s\": %s", path,
			strerror(errno));
		return -1;
	}
	if (!is_stdin && key_file_private(fd, path)) {
		close(fd);
		return -1;
	}
	len = read_all(fd, buf, sizeof(buf));
	if (len < 0) {
		err_msg("cannot read key from %s: %s", name, strerror(errno));
		goto out;
	}
	if ((size_t)len > KEY_FILE_MAX) {
		err_msg("key file %s is too long: expected 32 hex digits or %u bytes",
			name, XSYNPROXY_KEY_LEN);
		goto out;
	}
	if (!key_from_hex(buf, len, key)) {
		ret = 0;
	} else if (len == XSYNPROXY_KEY_LEN) {
		memcpy(key, buf, XSYNPROXY_KEY_LEN);
		ret = 0;
	} else {
		err_msg("bad key in %s: expected 32 hex digits or exactly %u raw bytes",
			name, XSYNPROXY_KEY_LEN);
		explicit_bzero(key, XSYNPROXY_KEY_LEN);
	}
out:
	explicit_bzero(buf, sizeof(buf));
	if (!is_stdin && close(fd) && !ret) {
		err_msg("cannot read key file \"%s\": %s", path,
			strerror(errno));
		explicit_bzero(key, XSYNPROXY_KEY_LEN);
		ret = -1;
	}
	return ret;
}

/*
 * Split a batch line into words, in place: blanks separate words, '...'
 * and "..." quote (a backslash escapes the next character except inside
 * '...'), and '#' starting a word comments out the rest of the line.
 * Returns the number of words, or -1 with the error printed.
 */
int split_line(char *line, char **argv, int max)
{
	char *in = line, *out = line, quote;
	int argc = 0;

	for (;;) {
		while (isspace((unsigned char)*in))
			in++;
		if (!*in || *in == '#')
			return argc;
		if (argc == max) {
			err_msg("more than %d words on the line", max);
			return -1;
		}
		argv[argc++] = out;
		quote = 0;
		for (; *in; in++) {
			if (quote) {
				if (*in == quote) {
					quote = 0;
					continue;
				}
				if (*in == '\\' && quote == '"' && in[1])
					in++;
				*out++ = *in;
				continue;
			}
			if (isspace((unsigned char)*in))
				break;
			if (*in == '\'' || *in == '"') {
				quote = *in;
				continue;
			}
			if (*in == '\\' && in[1])
				in++;
			*out++ = *in;
		}
		if (quote) {
			err_msg("unterminated %c quote", quote);
			return -1;
		}
		if (*in)
			in++;
		*out++ = '\0';
	}
}
