// SPDX-License-Identifier: GPL-2.0
/*
 * client: legitimate HTTP clients for the benchmarks (IPv4 or IPv6). Runs
 * up to -c fetches at a time (non-blocking sockets, one poll loop) until -n
 * fetches were started or the -D deadline passed. A fetch succeeds when it
 * got a complete "200 OK" response within -T ms of its connect(); the
 * kernel's own SYN retransmissions (1 s, 3 s, ...) happen inside that time,
 * as for a real client. Connect time is connect() to writable.
 *
 *   client -d IP -p PORT [-n N] [-c CONC] [-T TIMEOUT_MS] [-D DEADLINE_MS]
 *          [-i INTERVAL_MS] [-o] [-l]
 *
 *   -i MS   pause between the start of two fetches (default 0)
 *   -o      open loop: fetch k starts at k * INTERVAL after the start,
 *           whatever happened to the earlier ones (at most 256 at once;
 *           a start that finds no free slot is counted as "late" and
 *           made as soon as one frees up), so every defense gets the same
 *           attempts at the same times
 *   -l      print one line per second on stderr: "ok N fail N" so far
 *
 * Prints one JSON line: attempted, ok, fail, timeouts, refused, late, and
 * connect_ms / total_ms (p50, p99, max over successful fetches).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXC 256

enum { IDLE, CONNECTING, READING };

struct slot {
	int fd, state, got;
	double t_start, t_conn;
	char buf[512];
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p)
{
	int i;

	if (!n)
		return -1;
	i = (int)(p * (n - 1) + 0.5);
	return v[i];
}

int main(int argc, char **argv)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a = { .sin_family = AF_INET };
	int v6 = 0, open_loop = 0, late = 0, port = 0;
	int n = 200, conc = 10, opt, started = 0, ok = 0, fail = 0;
	int timeouts = 0, refused = 0, active = 0, i, nconn = 0, lines = 0;
	double timeout = 5000, deadline = 0, interval = 0, t0, next_start, t_line;
	double *conn_ms, *total_ms;
	struct slot s[MAXC];
	struct pollfd pfd[MAXC];
	static const char req[] = "GET / HTTP/1.0\r\nHost: bench\r\n\r\n";

	while ((opt = getopt(argc, argv, "d:p:n:c:T:D:i:ol")) != -1) {
		switch (opt) {
		case 'd':
			v6 = strchr(optarg, ':') != NULL;
			if (v6 ? inet_pton(AF_INET6, optarg, &a6.sin6_addr) != 1 :
				 !inet_aton(optarg, &a.sin_addr)) {
				fprintf(stderr, "client: bad address %s\n", optarg);
				return 2;
			}
			break;
		case 'p': port = atoi(optarg); break;
		case 'o': open_loop = 1; break;
		case 'n': n = atoi(optarg); break;
		case 'c': conc = atoi(optarg); break;
		case 'T': timeout = atof(optarg); break;
		case 'D': deadline = atof(optarg); break;
		case 'i': interval = atof(optarg); break;
		case 'l': lines = 1; break;
		default:
			fprintf(stderr, "usage: client -d IP -p PORT [-n N] [-c CONC] "
				"[-T TIMEOUT_MS] [-D DEADLINE_MS] [-i INTERVAL_MS] [-o] [-l]\n");
			return 2;
		}
	}
	a.sin_port = a6.sin6_port = htons(port);
	if (open_loop)
		conc = MAXC;
	if (conc < 1)
		conc = 1;
	if (conc > MAXC)
		conc = MAXC;
	conn_ms = calloc(n + 1, sizeof(double));
	total_ms = calloc(n + 1, sizeof(double));
	for (i = 0; i < conc; i++)
		s[i].state = IDLE;
	t0 = next_start = t_line = now_ms();

	for (;;) {
		double t = now_ms(), wait = 1000;
		int k;

		/* start new fetches */
		for (i = 0; i < conc; i++) {
			if (s[i].state != IDLE)
				continue;
			if (started >= n || (deadline > 0 && t - t0 >= deadline))
				break;
			if (t < next_start)
				break;
			s[i].fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
			s[i].t_start = t;
			s[i].got = 0;
			started++;
			active++;
			if (open_loop) {
				/* a fixed schedule: a late start does not shift the next */
				if (t - next_start > 10)
					late++;
				next_start = t0 + started * interval;
			} else {
				next_start = t + interval;
			}
			if ((v6 ? connect(s[i].fd, (void *)&a6, sizeof(a6)) :
				  connect(s[i].fd, (void *)&a, sizeof(a))) < 0 &&
			    errno != EINPROGRESS) {
				close(s[i].fd);
				fail++;
				refused++;
				active--;
				continue;
			}
			s[i].state = CONNECTING;
		}
		if (!active && (started >= n || (deadline > 0 && t - t0 >= deadline)))
			break;

		/* poll */
		for (i = 0; i < conc; i++) {
			pfd[i].fd = s[i].state == IDLE ? -1 : s[i].fd;
			pfd[i].events = s[i].state == CONNECTING ? POLLOUT : POLLIN;
			pfd[i].revents = 0;
			if (s[i].state != IDLE && s[i].t_start + timeout - t < wait)
				wait = s[i].t_start + timeout - t;
		}
		if (started < n && interval > 0 && next_start - t < wait)
			wait = next_start - t;
		if (wait < 0)
			wait = 0;
		k = poll(pfd, conc, (int)wait + 1);
		if (k < 0 && errno != EINTR)
			break;
		t = now_ms();
		for (i = 0; i < conc; i++) {
			int err = 0, done = 0, good = 0, r;
			socklen_t el = sizeof(err);

			if (s[i].state == IDLE)
				continue;
			if (s[i].state == CONNECTING && pfd[i].revents) {
				getsockopt(s[i].fd, SOL_SOCKET, SO_ERROR, &err, &el);
				if (err) {
					done = 1;
					refused++;
				} else {
					s[i].t_conn = t;
					s[i].state = READING;
					if (write(s[i].fd, req, sizeof(req) - 1) < 0)
						done = 1;
				}
			} else if (s[i].state == READING && pfd[i].revents) {
				while ((r = read(s[i].fd, s[i].buf + s[i].got,
						 sizeof(s[i].buf) - 1 - s[i].got)) > 0) {
					s[i].got += r;
					if (s[i].got >= (int)sizeof(s[i].buf) - 1)
						s[i].got = 64; /* keep the status line */
				}
				if (r == 0) {
					s[i].buf[s[i].got] = 0;
					done = 1;
					good = !strncmp(s[i].buf, "HTTP/1.0 200", 12);
				} else if (errno != EAGAIN) {
					done = 1;
				}
			}
			if (!done && t - s[i].t_start >= timeout) {
				done = 1;
				timeouts++;
			}
			if (!done)
				continue;
			close(s[i].fd);
			s[i].state = IDLE;
			active--;
			if (good) {
				ok++;
				conn_ms[nconn] = s[i].t_conn - s[i].t_start;
				total_ms[nconn] = t - s[i].t_start;
				nconn++;
			} else {
				fail++;
			}
		}
		if (lines && t - t_line >= 1000) {
			fprintf(stderr, "ok %d fail %d\n", ok, fail);
			t_line = t;
		}
	}
	qsort(conn_ms, nconn, sizeof(double), cmp);
	qsort(total_ms, nconn, sizeof(double), cmp);
	printf("{\"attempted\":%d,\"ok\":%d,\"fail\":%d,\"timeouts\":%d,\"refused\":%d,"
	       "\"late\":%d,\"open_loop\":%d,\"secs\":%.3f,\"connect_ms\":{\"p50\":%.2f,\"p99\":%.2f,\"max\":%.2f},"
	       "\"total_ms\":{\"p50\":%.2f,\"p99\":%.2f,\"max\":%.2f}}\n",
	       started, ok, fail, timeouts, refused, late, open_loop, (now_ms() - t0) / 1e3,
	       pct(conn_ms, nconn, .5), pct(conn_ms, nconn, .99),
	       pct(conn_ms, nconn, 1), pct(total_ms, nconn, .5),
	       pct(total_ms, nconn, .99), pct(total_ms, nconn, 1));
	return 0;
}
