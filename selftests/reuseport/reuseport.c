// SPDX-License-Identifier: GPL-2.0
/*
 * reuseport_ebpf: two listening sockets in one SO_REUSEPORT group, steered by
 * the eBPF program of reuseport_select.bpf.o (select.bpf.c); prints "SOCKET PEERPORT" for every
 * connection accepted, until killed.
 *
 *   reuseport_ebpf 4|6 PORT reuseport_select.bpf.o
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int listener(int family, unsigned short port)
{
	struct sockaddr_storage ss = {};
	socklen_t len;
	int fd, one = 1;

	fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)))
		die("SO_REUSEPORT");
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		a->sin6_addr = in6addr_any;
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		len = sizeof(*a);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 64))
		die("bind/listen");
	return fd;
}

static unsigned short peer_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *map, *rodata;
	struct pollfd pfd[2];
	unsigned short port;
	int family, prog_fd, i;
	__u16 *rod;
	size_t rsz;

	if (argc != 4) {
		fprintf(stderr, "usage: reuseport_ebpf 4|6 PORT reuseport_select.bpf.o\n");
		return 2;
	}
	family = atoi(argv[1]) == 6 ? AF_INET6 : AF_INET;
	port = atoi(argv[2]);
	setvbuf(stdout, NULL, _IOLBF, 0);

	obj = bpf_object__open_file(argv[3], NULL);
	if (!obj)
		die("bpf_object__open_file");
	rodata = bpf_object__find_map_by_name(obj, ".rodata");
	if (!rodata)
		die("no .rodata");
	/* .rodata holds group_port alone; set it before the load. */
	if (!bpf_map__initial_value(rodata, &rsz) || rsz < sizeof(*rod))
		die("no group_port");
	rod = calloc(1, rsz);
	if (!rod)
		die("calloc");
	*rod = port;
	if (bpf_map__set_initial_value(rodata, rod, rsz))
		die("set group_port");
	free(rod);
	if (bpf_object__load(obj))
		die("bpf_object__load");
	prog = bpf_object__find_program_by_name(obj, "select_by_sport");
	map = bpf_object__find_map_by_name(obj, "socks");
	if (!prog || !map)
		die("program or map missing");
	prog_fd = bpf_program__fd(prog);

	for (i = 0; i < 2; i++) {
		__u32 key = i;
		__u64 val;

		pfd[i].fd = listener(family, port);
		pfd[i].events = POLLIN;
		val = pfd[i].fd;
		if (bpf_map_update_elem(bpf_map__fd(map), &key, &val, BPF_ANY))
			die("sockarray update");
	}
	if (setsockopt(pfd[0].fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF,
		       &prog_fd, sizeof(prog_fd)))
		die("SO_ATTACH_REUSEPORT_EBPF");
	printf("ready\n");

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		for (i = 0; i < 2; i++) {
			struct sockaddr_storage ss;
			socklen_t len = sizeof(ss);
			int c;

			if (!(pfd[i].revents & POLLIN))
				continue;
			c = accept(pfd[i].fd, (struct sockaddr *)&ss, &len);
			if (c < 0)
				continue;
			printf("%d %u\n", i, peer_port(&ss));
			close(c);
		}
	}
}
