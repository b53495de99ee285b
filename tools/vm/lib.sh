# shellcheck shell=bash
# Shared helpers for tools/vm/kernel, tools/vm/run, tools/deps and tools/bench.
# Source it; it defines functions and a few variables, nothing runs.

XSP_VM_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
XSP_REPO=$(cd -- "$XSP_VM_DIR/../.." && pwd -P)
XSP_KCONF=${XSP_KERNELS_CONF:-$XSP_VM_DIR/kernels.conf}
export DEBIAN_FRONTEND=noninteractive

xsp_msg() { printf 'xsynproxy: %s\n' "$*" >&2; }
xsp_die() { printf 'xsynproxy: error: %s\n' "$*" >&2; exit 1; }

# Cache root: $XSP_CACHE, else /var/cache/xsynproxy (root) or ~/.cache/xsynproxy.
xsp_cache_root() {
	if [ -n "${XSP_CACHE:-}" ]; then
		printf '%s\n' "$XSP_CACHE"
	elif [ "$(id -u)" = 0 ] || [ -w /var/cache/xsynproxy ]; then
		printf '%s\n' /var/cache/xsynproxy
	else
		printf '%s\n' "${XDG_CACHE_HOME:-$HOME/.cache}/xsynproxy"
	fi
}

xsp_sudo() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# The -cpu of a TCG guest: $XSP_CPU, else QEMU's max without CMPXCHG16B.
# QEMU 7.2's TCG (Debian 12) computes that instruction's EFLAGS from a stale
# condition-code op, so they can come out as whatever CC_SRC last held, TF
# included; an interrupt before the next flag-setting instruction pushes
# them and its IRET single-steps the guest kernel into exc_debug_kernel()'s
# WARN (seen once in CI, in SLUB's per-CPU freelist update). Reproducer:
# tools/vm/tcg-cmpxchg16b.c. Without CX16 in CPUID the kernels take their
# paths without it (this_cpu_cmpxchg16b_emu(), SLUB's slab lock).
xsp_tcg_cpu() { printf '%s\n' "${XSP_CPU:-max,-cx16}"; }

# ---- kernels.conf ---------------------------------------------------------

xsp_series_list() {
	[ -r "$XSP_KCONF" ] || xsp_die "cannot read $XSP_KCONF"
	awk '!/^[[:space:]]*(#|$)/ { print $1 }' "$XSP_KCONF"
}

xsp_pin() { # SERIES -> pinned ABI (empty if unknown series)
	awk -v s="$1" '!/^[[:space:]]*(#|$)/ && $1 == s { print $2; exit }' "$XSP_KCONF"
}

# ---- package state ----------------------------------------------------------

xsp_pkg_installed() { # PKG...: true when every PKG is installed
	local st
	st=$(dpkg-query -W -f='${db:Status-Status}\n' "$@" 2>/dev/null) || return 1
	[ -n "$st" ] || return 1
	local l
	while IFS= read -r l; do
		[ "$l" = installed ] || return 1
	done <<<"$st"
}

xsp_apt_updated=${XSP_APT_UPDATED:-}
xsp_apt_update_once() {
	[ -n "$xsp_apt_updated" ] && return 0
	local t0=$SECONDS
	xsp_msg "apt-get update"
	xsp_sudo apt-get update -q >/dev/null || xsp_die "apt-get update failed"
	xsp_apt_updated=1
	export XSP_APT_UPDATED=1
	xsp_msg "apt-get update done in $((SECONDS - t0)) s"
}

# Package names apt knows, starting with PREFIX (one apt call per prefix).
declare -A xsp_pkgnames_cache=()
xsp_pkgnames() {
	local p=$1
	if [ -z "${xsp_pkgnames_cache[$p]+x}" ]; then
		xsp_pkgnames_cache[$p]=$(apt-cache pkgnames "$p" 2>/dev/null | sort -u)
	fi
	printf '%s\n' "${xsp_pkgnames_cache[$p]}"
}

# True when apt has an installable candidate for PKG.
xsp_apt_has() {
	local out
	out=$(apt-cache policy "$1" 2>/dev/null) || return 1
	[[ $out == *"Candidate: "[!\(]* ]]
}

# ---- kernel cache -----------------------------------------------------------

xsp_kcache() { printf '%s/kernels/%s\n' "$(xsp_cache_root)" "$1"; }

xsp_kernel_cached() { [ -f "$(xsp_kcache "$1")/.complete" ]; }

xsp_headers_dir() { # ABI -> KDIR or empty
	local d
	for d in "/usr/src/linux-headers-$1" "/lib/modules/$1/build"; do
		if [ -f "$d/Makefile" ]; then
			printf '%s\n' "$d"
			return 0
		fi
	done
	return 1
}

xsp_headers_ok() { xsp_pkg_installed "linux-headers-$1" && xsp_headers_dir "$1" >/dev/null; }

# ABI of a series, or accept an ABI given directly.
xsp_series_of_abi() {
	local s
	for s in $(xsp_series_list); do
		case $1 in "$s".*) printf '%s\n' "$s"; return 0 ;; esac
	done
	return 1
}

# Flavour suffix of an ABI name: 6.1.0-56-amd64 -> amd64, 6.12.1+deb12-amd64 -> amd64
xsp_abi_flavour() {
	sed -E 's/^[0-9]+\.[0-9]+(\.[0-9]+)?(-[0-9]+)?(\+[a-z0-9.~]+)?-//' <<<"$1"
}

# All ABIs of SERIES (flavour FL) with both an image and headers package known to apt.
xsp_archive_abis() {
	local series=$1 fl=$2 re
	re="^${series//./\\.}\\.[0-9]+(-[0-9]+)?(\\+[a-z0-9.~]+)?-${fl}\$"
	comm -12 \
		<(xsp_pkgnames "linux-image-$series." | sed -E 's/^linux-image-//; s/-unsigned$//' | grep -E "$re" | sort -u) \
		<(xsp_pkgnames "linux-headers-$series." | sed -E 's/^linux-headers-//' | grep -E "$re" | sort -u) |
		sort -V
}

xsp_abi_usable() { # ABI: image (cached or in apt) and headers (installed or in apt)
	local abi=$1
	{ xsp_kernel_cached "$abi" || xsp_apt_has "linux-image-$abi" || xsp_apt_has "linux-image-$abi-unsigned"; } &&
		{ xsp_headers_ok "$abi" || xsp_apt_has "linux-headers-$abi"; }
}

# SERIES (or ABI) -> ABI to use. Messages on stderr.
xsp_resolve() {
	local series=$1 pin newest fl
	pin=$(xsp_pin "$series")
	if [ -z "$pin" ]; then
		# an explicit ABI name?
		if [[ $series == *-* ]]; then
			printf '%s\n' "$series"
			return 0
		fi
		xsp_die "unknown kernel series '$series' (known: $(xsp_series_list | tr '\n' ' '); see $XSP_KCONF)"
	fi
	# fast path: everything already here
	if xsp_kernel_cached "$pin" && xsp_headers_ok "$pin"; then
		printf '%s\n' "$pin"
		return 0
	fi
	if xsp_abi_usable "$pin"; then
		printf '%s\n' "$pin"
		return 0
	fi
	fl=$(xsp_abi_flavour "$pin")
	newest=$(xsp_archive_abis "$series" "$fl" | tail -n1)
	if [ -z "$newest" ] && [ -z "$xsp_apt_updated" ] && [ "${XSP_NO_APT_UPDATE:-}" != 1 ] &&
		{ [ "$(id -u)" = 0 ] || command -v sudo >/dev/null; }; then
		# apt lists may be missing/stale on a fresh machine
		xsp_apt_update_once
		xsp_pkgnames_cache=()
		if xsp_abi_usable "$pin"; then
			printf '%s\n' "$pin"
			return 0
		fi
		newest=$(xsp_archive_abis "$series" "$fl" | tail -n1)
	fi
	[ -n "$newest" ] || xsp_die "no linux-image/linux-headers pair for kernel series $series in the archive (pin $pin)"
	xsp_msg "pinned kernel $pin is no longer in the archive; using $newest (newest $series image+headers pair)"
	printf '%s\n' "$newest"
}

# Unpack linux-image-ABI into the cache (not installed on the host).
xsp_fetch_image() {
	local abi=$1 dst tmp root pkg
	xsp_kernel_cached "$abi" && return 0
	dst=$(xsp_kcache "$abi")
	mkdir -p "$(dirname "$dst")"
	(
		flock 9
		xsp_kernel_cached "$abi" && exit 0
		tmp=$(mktemp -d "$(dirname "$dst")/.fetch.$abi.XXXXXX")
		trap 'rm -rf "$tmp"' EXIT
		root=$tmp/root
		mkdir -p "$root"
		local t0=$SECONDS ok=
		for attempt in 1 2; do
			for pkg in "linux-image-$abi" "linux-image-$abi-unsigned"; do
				if (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >"$tmp/dl.log" 2>&1); then
					ok=$pkg
					break 2
				fi
			done
			[ "$attempt" = 1 ] && [ -z "$xsp_apt_updated" ] || break
			xsp_apt_update_once
		done
		[ -n "$ok" ] || { cat "$tmp/dl.log" >&2; xsp_die "cannot download linux-image-$abi"; }
		dpkg -x "$tmp"/*.deb "$root" || xsp_die "dpkg -x failed for $ok"
		rm -f "$tmp"/*.deb
		[ -f "$root/boot/vmlinuz-$abi" ] || xsp_die "$ok has no /boot/vmlinuz-$abi"
		[ -d "$root/lib/modules/$abi/kernel" ] || xsp_die "$ok has no /lib/modules/$abi"
		# Uncompressed modules: the guest's modprobe (and the initramfs'
		# busybox insmod) then need no decompression, much faster under TCG.
		find "$root/lib/modules/$abi" -name '*.ko.xz' -print0 | xargs -0 -r -P"$(nproc)" -n 64 xz -d
		find "$root/lib/modules/$abi" -name '*.ko.zst' -print0 | xargs -0 -r -P"$(nproc)" -n 64 zstd -q -d --rm
		find "$root/lib/modules/$abi" -name '*.ko.gz' -print0 | xargs -0 -r -P"$(nproc)" -n 64 gzip -d
		depmod -b "$root" "$abi" || xsp_die "depmod failed for $abi"
		ln -s "/usr/src/linux-headers-$abi" "$root/lib/modules/$abi/build"
		rm -rf "$root/usr/share/doc" "$root/usr/share/bug" "$root/usr/share/lintian"
		echo "$ok" >"$root/.complete"
		rm -rf "$dst"
		mv "$root" "$dst"
		xsp_msg "kernel $abi unpacked into $dst in $((SECONDS - t0)) s"
	) 9>"$(dirname "$dst")/.lock" || exit 1
}

xsp_fetch_headers() {
	local abi=$1
	xsp_headers_ok "$abi" && return 0
	local t0=$SECONDS
	xsp_msg "installing linux-headers-$abi"
	if ! xsp_sudo apt-get install -y -q --no-install-recommends "linux-headers-$abi" >/tmp/xsp-apt.$$.log 2>&1; then
		if [ -z "$xsp_apt_updated" ]; then
			xsp_apt_update_once
			xsp_sudo apt-get install -y -q --no-install-recommends "linux-headers-$abi" >/tmp/xsp-apt.$$.log 2>&1 ||
				{ tail -n 20 /tmp/xsp-apt.$$.log >&2; rm -f /tmp/xsp-apt.$$.log; xsp_die "cannot install linux-headers-$abi"; }
		else
			tail -n 20 /tmp/xsp-apt.$$.log >&2
			rm -f /tmp/xsp-apt.$$.log
			xsp_die "cannot install linux-headers-$abi"
		fi
	fi
	rm -f /tmp/xsp-apt.$$.log
	xsp_headers_ok "$abi" || xsp_die "linux-headers-$abi installed but no kernel build dir found"
	xsp_msg "linux-headers-$abi installed in $((SECONDS - t0)) s"
}

# Uncompressed ELF vmlinux (booted through its PVH entry point): saves the
# in-guest decompression, ~3 s for an xz kernel under TCG. Extracted once next
# to the cached vmlinuz; prints the path of the kernel to boot (the vmlinuz
# when extraction is impossible).
xsp_vmlinux() {
	local abi=$1 kdir z out tmp m tool pat off
	kdir=$(xsp_kcache "$abi")
	z=$kdir/boot/vmlinuz-$abi
	out=$kdir/boot/vmlinux-$abi
	if [ -f "$out" ]; then
		printf '%s\n' "$out"
		return 0
	fi
	tmp=$(mktemp "$out.XXXXXX") || { printf '%s\n' "$z"; return 0; }
	# in a subshell: decompressing from a wrong offset fails, which must not
	# trip the caller's errexit/pipefail
	if (
		set +e +o pipefail
		for m in 'xz:\xfd7zXZ\x00' 'zstd:\x28\xb5\x2f\xfd' 'gzip:\x1f\x8b\x08' 'lz4:\x02\x21\x4c\x18'; do
			tool=${m%%:*} pat=${m#*:}
			command -v "$tool" >/dev/null || continue
			for off in $(LC_ALL=C grep -obUaP "$pat" "$z" 2>/dev/null | cut -d: -f1 | head -n 4); do
				tail -c +$((off + 1)) "$z" | "$tool" -dc >"$tmp" 2>/dev/null
				[ "$(head -c 4 "$tmp" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] || continue
				readelf -n "$tmp" >"$tmp.notes" 2>/dev/null
				# XEN_ELFNOTE_PHYS32_ENTRY: the PVH entry point qemu boots
				if grep -q 'Unknown note type: (0x00000012)' "$tmp.notes"; then
					rm -f "$tmp.notes"
					exit 0
				fi
			done
		done
		rm -f "$tmp.notes"
		exit 1
	); then
		chmod 644 "$tmp"
		mv -f "$tmp" "$out"
		printf '%s\n' "$out"
	else
		rm -f "$tmp"
		printf '%s\n' "$z"
	fi
}

# ---- initramfs ---------------------------------------------------------------

# Modules needed before the root (9p) is mounted, in load order.
XSP_BOOT_MODULES="virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
	virtio_console netfs fscache 9pnet 9pnet_virtio 9p overlay"

# Resolve NAMEs to module paths (relative to lib/modules/ABI) with their
# dependencies first, skipping built-ins. Prints one path per line.
xsp_module_closure() {
	local mdir=$1
	shift
	awk -v want="$*" '
		FILENAME ~ /modules\.builtin$/ {
			n = $0; sub(/.*\//, "", n); sub(/\.ko.*$/, "", n); gsub(/-/, "_", n)
			builtin[n] = 1; next
		}
		{
			p = $1; sub(/:$/, "", p)
			n = p; sub(/.*\//, "", n); sub(/\.ko.*$/, "", n); gsub(/-/, "_", n)
			path[n] = p
			d = ""
			for (i = 2; i <= NF; i++) d = d " " $i
			deps[p] = d
		}
		function emit(p,   a, k, i) {
			if (p in done) return
			done[p] = 1
			k = split(deps[p], a, " ")
			for (i = k; i >= 1; i--) emit(a[i])
			print p
		}
		END {
			k = split(want, w, " ")
			for (i = 1; i <= k; i++) {
				n = w[i]; gsub(/-/, "_", n)
				if (n in builtin) continue
				if (n in path) emit(path[n])
			}
		}' "$mdir/modules.builtin" "$mdir/modules.dep"
}

# Build (or reuse) the per-kernel initramfs; prints its path.
xsp_initramfs() {
	local abi=$1 kdir mdir bb h out tmp m
	kdir=$(xsp_kcache "$abi")
	mdir=$kdir/lib/modules/$abi
	bb=/bin/busybox
	[ -x "$bb" ] || xsp_die "busybox not found (apt-get install busybox-static)"
	if readelf -l "$bb" 2>/dev/null | grep -q 'Requesting program interpreter'; then
		xsp_die "$bb is dynamically linked; install busybox-static"
	fi
	h=$( { cat "$XSP_VM_DIR/guest-init"; echo "$XSP_BOOT_MODULES"; ls -l --time-style=+%s "$bb"; } | sha256sum | cut -c1-16)
	out=$kdir/initramfs-$h.cpio.gz
	if [ -f "$out" ]; then
		printf '%s\n' "$out"
		return 0
	fi
	tmp=$(mktemp -d "$kdir/.initramfs.XXXXXX")
	mkdir -p "$tmp"/{bin,sbin,dev,proc,sys,mnt,newroot,lib/modules}
	cp "$bb" "$tmp/bin/busybox"
	for m in sh mount umount mkdir insmod switch_root cat sleep echo ls mknod ln mv sync grep dmesg; do
		ln -s busybox "$tmp/bin/$m"
	done
	cp "$XSP_VM_DIR/guest-init" "$tmp/init"
	chmod 755 "$tmp/init"
	: >"$tmp/modules.list"
	while read -r m; do
		[ -n "$m" ] || continue
		cp "$mdir/$m" "$tmp/lib/modules/"
		printf '%s\n' "${m##*/}" >>"$tmp/modules.list"
	done < <(xsp_module_closure "$mdir" $XSP_BOOT_MODULES)
	(cd "$tmp" && find . -mindepth 1 -path ./modules.list -prune -o -print | sed 's|^\./||'; echo modules.list) |
		(cd "$tmp" && cpio -o -H newc --quiet) | gzip -1 >"$tmp.cpio.gz"
	rm -rf "$tmp"
	mv "$tmp.cpio.gz" "$out"
	# drop stale initramfs images of this kernel
	find "$kdir" -maxdepth 1 -name 'initramfs-*.cpio.gz' ! -name "${out##*/}" -mmin +60 -delete 2>/dev/null
	printf '%s\n' "$out"
}
