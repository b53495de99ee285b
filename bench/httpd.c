// SPDX-License-Identifier: GPL-2.0
/*
 * httpd: the benchmarks' listener. One thread, blocking accept() loop with
 * an explicit listen() backlog: reads a request (up to the blank line, 1 s
 * timeout), answers "200 OK" with a BYTES-long body, closes. It prints the
 * number of connections served when it gets SIGTERM.
 *
 *   httpd -a ADDR -p PORT [-b BACKLOG] [-s BYTES]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a = { .sin_family = AF_INET };
	int v6 = 0, port = 0;
	int fd, c, one = 1, opt, backlog = 128, size = 64;
	long served = 0;
	struct timeval tv = { 1, 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	char req[2048], *resp;
	int hlen;

	while ((opt = getopt(argc, argv, "a:p:b:s:")) != -1) {
		switch (opt) {
		case 'a':
			v6 = strchr(optarg, ':') != NULL;
			if (v6 ? inet_pton(AF_INET6, optarg, &a6.sin6_addr) != 1 :
				 !inet_aton(optarg, &a.sin_addr)) {
				fprintf(stderr, "httpd: bad address %s\n", optarg);
				return 2;
			}
			break;
		case 'p': port = atoi(optarg); break;
		case 'b': backlog = atoi(optarg); break;
		case 's': size = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: httpd -a ADDR|ADDR6 -p PORT [-b BACKLOG] [-s BYTES]\n");
			return 2;
		}
	}
	resp = malloc(size + 128);
	hlen = sprintf(resp, "HTTP/1.0 200 OK\r\nContent-Length: %d\r\n"
		       "Content-Type: text/plain\r\n\r\n", size);
	memset(resp + hlen, 'x', size);
	if (size)
		resp[hlen + size - 1] = '\n';

	/* no SA_RESTART: SIGTERM must interrupt accept() */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	a.sin_port = a6.sin6_port = htons(port);
	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (v6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if ((v6 ? bind(fd, (void *)&a6, sizeof(a6)) : bind(fd, (void *)&a, sizeof(a))) < 0 ||
	    listen(fd, backlog) < 0) {
		perror("httpd: bind/listen");
		return 1;
	}
	while (!stop) {
		int got = 0, n;

		c = accept(fd, NULL, NULL);
		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("httpd: accept");
			break;
		}
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		while (got < (int)sizeof(req) - 1 &&
		       (n = read(c, req + got, sizeof(req) - 1 - got)) > 0) {
			got += n;
			req[got] = 0;
			if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
				break;
		}
		if (got > 0) {
			int off = 0, len = hlen + size;

			while (off < len && (n = write(c, resp + off, len - off)) > 0)
				off += n;
			served++;
		}
		close(c);
	}
	printf("{\"served\":%ld}\n", served);
	return 0;
}
