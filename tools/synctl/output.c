// SPDX-License-Identifier: GPL-2.0
/*
 * Output in the manner of iproute2's print_*() helpers: every call names a
 * JSON key and a text format, and prints whichever the mode asks for (a NULL
 * key prints nothing in JSON mode, a NULL format nothing in text mode).
 *
 * The JSON writer is small and strict: one document per run, strings
 * escaped, integers printed as integers, optional pretty printing.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "synctl.h"

#define JSON_MAX_DEPTH	8

static struct {
	bool		json;
	bool		pretty;
	int		depth;
	bool		is_array[JSON_MAX_DEPTH];
	unsigned int	count[JSON_MAX_DEPTH];
} out;

void out_init(bool json, bool pretty)
{
	out.json = json;
	out.pretty = pretty;
	out.depth = 0;
}

bool out_is_json(void)
{
	return out.json;
}

static void json_indent(int depth)
{
	int i;

	if (!out.pretty)
		return;
	putchar('\n');
	for (i = 0; i < depth; i++)
		fputs("    ", stdout);
}

static void json_puts(const char *str)
{
	const unsigned char *p;

	putchar('"');
	for (p = (const unsigned char *)str; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", stdout);
			break;
		case '\\':
			fputs("\\\\", stdout);
			break;
		case '\n':
			fputs("\\n", stdout);
			break;
		case '\t':
			fputs("\\t", stdout);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				printf("\\u%04x", *p);
			else
				putchar(*p);
		}
	}
	putchar('"');
}

/* Separator, indentation and key before a new value at the current level. */
static void json_value_start(const char *key)
{
	int d = out.depth;

	if (d > 0) {
		if (out.count[d - 1]++)
			putchar(',');
		json_indent(d);
		if (!out.is_array[d - 1]) {
			json_puts(key ? key : "");
			fputs(out.pretty ? ": " : ":", stdout);
		}
	}
}

static void json_open(const char *key, bool array)
{
	json_value_start(key);
	putchar(array ? '[' : '{');
	if (out.depth < JSON_MAX_DEPTH) {
		out.is_array[out.depth] = array;
		out.count[out.depth] = 0;
	}
	out.depth++;
}

static void json_close(bool array)
{
	if (out.depth <= 0)
		return;
	out.depth--;
	if (out.depth < JSON_MAX_DEPTH && out.count[out.depth])
		json_indent(out.depth);
	putchar(array ? ']' : '}');
	if (!out.depth)
		putchar('\n');
}

void out_open_object(const char *key)
{
	if (out.json)
		json_open(key, false);
}

void out_close_object(void)
{
	if (out.json)
		json_close(false);
}

void out_open_array(const char *key)
{
	if (out.json)
		json_open(key, true);
}

void out_close_array(void)
{
	if (out.json)
		json_close(true);
}

void out_string(const char *key, const char *fmt, const char *val)
{
	if (out.json) {
		if (key) {
			json_value_start(key);
			json_puts(val);
		}
	} else if (fmt) {
		printf(fmt, val);
	}
}

void out_u64(const char *key, const char *fmt, uint64_t val)
{
	if (out.json) {
		if (key) {
			json_value_start(key);
			printf("%" PRIu64, val);
		}
	} else if (fmt) {
		printf(fmt, val);
	}
}

/* A finite number; JSON gets it with up to 10 significant digits. */
void out_double(const char *key, const char *fmt, double val)
{
	if (out.json) {
		if (key) {
			json_value_start(key);
			printf("%.10g", val);
		}
	} else if (fmt) {
		printf(fmt, val);
	}
}

/* In text mode the format gets "yes" or "no". */
void out_bool(const char *key, const char *fmt, bool val)
{
	if (out.json) {
		if (key) {
			json_value_start(key);
			fputs(val ? "true" : "false", stdout);
		}
	} else if (fmt) {
		printf(fmt, val ? "yes" : "no");
	}
}

void out_text(const char *fmt, ...)
{
	va_list ap;

	if (out.json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}
