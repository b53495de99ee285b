# SPDX-License-Identifier: GPL-2.0
#
# xsynproxy top-level Makefile.
#
#   make                  module for KDIR (default: the running kernel) + synctl
#   make install          install module (depmod) and synctl + man page
#                         (KVER=release to install for, DESTDIR=staging root)
#   make check            everything CI runs: deps, builds, unit tests, VM selftests
#   make vm-modules       build the module for every kernel in tools/vm/kernels.conf
#   make bench / demo     see Documentation/benchmarks.md and README.md (KERNEL=6.1)

KVER	?= $(shell uname -r)
KDIR	?= /lib/modules/$(KVER)/build
PREFIX	?= /usr/local
W	?= 1
SERIES	?= $(shell tools/vm/kernel list 2>/dev/null)

KSRC	:= Kbuild $(wildcard kmod/*.c kmod/*.h) include/uapi/linux/xsynproxy.h
BENCH_BIN := build/bench/synflood build/bench/httpd build/bench/client

.PHONY: all modules synctl install clean check deps vm-modules unit bench demo bench-bin help

all: modules synctl

modules:
	@test -d "$(KDIR)" || { echo "xsynproxy: no kernel build tree at $(KDIR);" \
		"install linux-headers-$$(uname -r) or pass KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=$(W) modules

synctl:
	$(MAKE) -C tools/synctl

# Debian's headers name the release differently from uname -r (6.1.192 vs
# 6.1.0-56-amd64): install under KVER, the kernel that will load it.
install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR) KERNELRELEASE=$(KVER) INSTALL_MOD_DIR=extra \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install
	depmod -a $(if $(DESTDIR),-b $(DESTDIR)) $(KVER)
	$(MAKE) -C tools/synctl install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

# Out-of-tree builds for the test kernels, one directory per kernel so that
# both can be built from one source tree: build/<abi>/ mirrors the sources
# with symlinks and Kbuild puts its objects there.
vm-modules:
	@set -e; for s in $(SERIES); do \
		abi=$$(tools/vm/kernel resolve $$s); \
		kdir=$$(tools/vm/kernel headers $$s); \
		out=build/$$abi; \
		mkdir -p $$out; \
		for f in $(KSRC); do mkdir -p $$out/$$(dirname $$f); \
			ln -sfn $(CURDIR)/$$f $$out/$$f; done; \
		echo "  BUILD   xsynproxy.ko for $$abi"; \
		$(MAKE) -s -C $$kdir M=$(CURDIR)/$$out W=$(W) modules 2>&1 | tee $$out/build.log; \
		if grep -q 'warning:\|error:' $$out/build.log; then \
			echo "xsynproxy: build for $$abi has warnings or errors" >&2; exit 1; fi; \
		test -f $$out/xsynproxy.ko; \
	done

deps:
	tools/deps

unit:
	$(MAKE) -s -C selftests/cookie check

check:
	tools/check

# make bench [QUICK=1] [KERNEL=6.1]
bench: SERIES := $(or $(KERNEL),$(SERIES))
bench: vm-modules synctl bench-bin
	tools/bench $(if $(QUICK),--quick) $(if $(KERNEL),--kernel $(KERNEL))

# The flood generator, web server and clients the benchmark and the demo run
# in the guest (the host's userland). tools/bench and tools/demo build them
# through `make bench-bin` too.
bench-bin: $(BENCH_BIN)

build/bench/%: bench/%.c
	@mkdir -p $(@D)
	gcc -O2 -g -Wall -Wextra -o $@ $<

# make demo [KERNEL=6.1]: the module for that kernel only (all by default)
demo: SERIES := $(or $(KERNEL),$(SERIES))
demo: vm-modules synctl bench-bin
	tools/demo $(if $(KERNEL),--kernel $(KERNEL))

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
	$(MAKE) -C tools/synctl clean
	-$(MAKE) -C selftests/cookie clean
	rm -rf build

help:
	@sed -n '3,10p' Makefile
