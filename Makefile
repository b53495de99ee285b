# SPDX-License-Identifier: GPL-2.0
#
# xsynproxy top-level Makefile.
#
#   make                  synctl, and the module for KDIR (default: the running
#                         kernel's headers). Without headers the module is
#                         skipped with a notice and make still succeeds
#                         (synctl built); `make modules` alone fails then.
#   make install          module (extra/, depmod), synctl, man pages, bash
#                         completion, xsynproxy-apply, systemd unit, udev rule
#                         (KVER=release to install for, DESTDIR=staging root,
#                         PREFIX=/usr/local)
#   make uninstall        remove all of that again (same variables)
#   make deb              Debian packages xsynproxy-dkms and synctl in build/deb/
#   make dkms-src         module sources + dkms.conf to /usr/src/xsynproxy-VERSION
#   make check            everything CI runs: deps, builds, unit tests, VM selftests
#   make ksft             the selftests as a kselftest target, installed into
#                         build/ksft (run_kselftest.sh; see Documentation/testing.rst)
#   make vm-modules       build the module for every kernel in tools/vm/kernels.conf
#   make bench / demo     see Documentation/benchmarks.md and README.md (KERNEL=6.1)
#
# CFLAGS, CPPFLAGS, LDFLAGS reach synctl's build unchanged; WERROR=1 (set by
# make check) makes its warnings errors.

KVER	?= $(shell uname -r)
KDIR	?= /lib/modules/$(KVER)/build
PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
UNITDIR	?= $(PREFIX)/lib/systemd/system
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d
INSTALL	?= install
VERSION	:= $(shell sed -n 's/^\#define[[:space:]]*XSP_VERSION[[:space:]]*"\([^"]*\)".*/\1/p' kmod/xsp.h)
W	?= 1
SERIES	?= $(shell tools/vm/kernel list 2>/dev/null)

KSRC	:= Kbuild $(wildcard kmod/*.c kmod/*.h) include/uapi/linux/xsynproxy.h
BENCH_BIN := build/bench/synflood build/bench/httpd build/bench/client

.PHONY: all modules synctl install uninstall install-module uninstall-module \
	install-synctl uninstall-synctl install-apply uninstall-apply install-dist \
	uninstall-dist deb dkms-src clean check deps vm-modules unit bench demo \
	bench-bin help no-module-notice ksft

HAVE_KDIR := $(wildcard $(KDIR)/Makefile)
NO_KDIR_MSG := no kernel build tree at $(KDIR): install the headers of the \
	kernel to build for (Debian: apt install linux-headers-$(KVER)) or pass \
	KDIR=/path/to/kernel/build

# synctl first: it needs no kernel headers.
all: synctl $(if $(HAVE_KDIR),modules,no-module-notice)

no-module-notice:
	@echo "xsynproxy: NOTE: module not built: $(NO_KDIR_MSG)" >&2
	@echo "xsynproxy: NOTE: synctl was built; make exits 0 without the module (make modules fails instead)" >&2

modules:
	@test -f "$(KDIR)/Makefile" || { echo "xsynproxy: $(NO_KDIR_MSG)" >&2; \
		echo "xsynproxy: (synctl and the rest without the module: make install-synctl install-dist)" >&2; \
		exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=$(W) modules

synctl:
	$(MAKE) -C tools/synctl

install: install-module install-synctl install-dist
uninstall: uninstall-module uninstall-synctl uninstall-dist

# Debian's headers name the release differently from uname -r (6.1.192 vs
# 6.1.0-56-amd64): install under KVER, the kernel that will load it.
install-module: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) KERNELRELEASE=$(KVER) INSTALL_MOD_DIR=extra \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install
	depmod -a $(if $(DESTDIR),-b $(DESTDIR)) $(KVER)

# No kernel tree needed to remove the file; depmod only when that kernel's
# module directory is there (headers-only /lib/modules/KVER included).
uninstall-module:
	rm -f $(DESTDIR)/lib/modules/$(KVER)/extra/xsynproxy.ko \
		$(DESTDIR)/lib/modules/$(KVER)/extra/xsynproxy.ko.xz \
		$(DESTDIR)/lib/modules/$(KVER)/extra/xsynproxy.ko.zst \
		$(DESTDIR)/lib/modules/$(KVER)/extra/xsynproxy.ko.gz
	rmdir $(DESTDIR)/lib/modules/$(KVER)/extra 2>/dev/null || true
	if [ -f $(DESTDIR)/lib/modules/$(KVER)/modules.dep ]; then \
		depmod -a $(if $(DESTDIR),-b $(DESTDIR)) $(KVER); fi

install-synctl: synctl
	$(MAKE) -C tools/synctl install SBINDIR=$(SBINDIR) MANDIR=$(MANDIR) DESTDIR=$(DESTDIR)
	$(INSTALL) -D -m 0644 dist/synctl.bash-completion $(DESTDIR)$(BASHCOMPDIR)/synctl

uninstall-synctl:
	$(MAKE) -C tools/synctl uninstall SBINDIR=$(SBINDIR) MANDIR=$(MANDIR) DESTDIR=$(DESTDIR)
	rm -f $(DESTDIR)$(BASHCOMPDIR)/synctl

# The persistent configuration: xsynproxy-apply and its man page (what the
# Debian package installs itself; dh installs the unit and the udev rule)...
install-apply:
	$(INSTALL) -D -m 0755 dist/xsynproxy-apply $(DESTDIR)$(SBINDIR)/xsynproxy-apply
	$(INSTALL) -D -m 0644 dist/xsynproxy-apply.8 $(DESTDIR)$(MANDIR)/man8/xsynproxy-apply.8

uninstall-apply:
	rm -f $(DESTDIR)$(SBINDIR)/xsynproxy-apply $(DESTDIR)$(MANDIR)/man8/xsynproxy-apply.8

# ... plus the unit (ExecStart pointing at SBINDIR) and the udev rule. The
# configuration itself (/etc/xsynproxy) is the administrator's: never
# installed or removed here (example: dist/xsynproxy.conf).
install-dist: install-apply
	$(INSTALL) -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(UDEVRULESDIR)
	sed 's|/usr/sbin/xsynproxy-apply|$(SBINDIR)/xsynproxy-apply|' dist/xsynproxy.service \
		>$(DESTDIR)$(UNITDIR)/xsynproxy.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/xsynproxy.service
	$(INSTALL) -m 0644 dist/60-xsynproxy.rules $(DESTDIR)$(UDEVRULESDIR)/60-xsynproxy.rules

uninstall-dist: uninstall-apply
	rm -f $(DESTDIR)$(UNITDIR)/xsynproxy.service $(DESTDIR)$(UDEVRULESDIR)/60-xsynproxy.rules

# The module's sources as DKMS wants them (/usr/src/xsynproxy-VERSION).
DKMS_SRC = $(DESTDIR)/usr/src/xsynproxy-$(VERSION)
dkms-src:
	@test -n "$(VERSION)" || { echo "xsynproxy: no XSP_VERSION in kmod/xsp.h" >&2; exit 1; }
	for f in $(KSRC); do $(INSTALL) -D -m 0644 $$f $(DKMS_SRC)/$$f; done
	sed 's/#MODULE_VERSION#/$(VERSION)/' dkms.conf >$(DKMS_SRC)/dkms.conf
	chmod 0644 $(DKMS_SRC)/dkms.conf

# Debian packages with Debian's tools, from a copy of the tree (dpkg-buildpackage
# writes next to the source directory): build/deb/*.deb, the build log.
deb:
	tools/mkdeb

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

# selftests/ built and installed by the kernel's kselftest Makefiles
# (fetched by tools/deps) into build/ksft: run_kselftest.sh, kselftest/,
# kselftest-list.txt, xsynproxy/.
ksft:
	tools/ksft-install

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
	gcc -O2 -g -Wall -Wextra $(CFLAGS_BENCH) -o $@ $<

# make demo [KERNEL=6.1]: the module for that kernel only (all by default)
demo: SERIES := $(or $(KERNEL),$(SERIES))
demo: vm-modules synctl bench-bin
	tools/demo $(if $(KERNEL),--kernel $(KERNEL))

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
	$(MAKE) -C tools/synctl clean
	-$(MAKE) -C selftests/cookie clean
	-$(MAKE) -s -C selftests clean 2>/dev/null
	rm -rf build

help:
	@sed -n '3,/^$$/s/^# \{0,1\}//p' Makefile
