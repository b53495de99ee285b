#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Host-side CPU sampler for the benchmark.

Finds the QEMU process serving RESULTS_DIR (its -fsdev path), and every
INTERVAL seconds replaces RESULTS_DIR/hostcpu with one line:

    v0_run v0_wait v1_run v1_wait qemu_run host_busy host_total host_ns

v0/v1: the vCPU threads "CPU 0/TCG" and "CPU 1/TCG" (QEMU started with
-name ...,debug-threads=on), from /proc/<tid>/schedstat: nanoseconds run on
a host CPU and nanoseconds spent runnable but waiting for one (host
contention). qemu_run: all of QEMU's threads, ns. host_busy/host_total: the
host's /proc/stat, all CPUs, in USER_HZ ticks. host_ns: the host's
CLOCK_MONOTONIC when the line was written: the guest copies it into every
snapshot, and bench/report.py refuses a window whose host_ns did not
advance with the window (a stale or missing file, a dead sampler) instead
of reporting a CPU time of zero.

The guest reads the file (results share, cache=none) at each counter
snapshot: the server's CPU time per packet is then the host CPU time its
vCPU thread consumed, which does not count time the thread was descheduled
by other load on the host, unlike anything the guest can measure.

    hostcpu.py RESULTS_DIR [INTERVAL]
"""
import glob
import os
import sys
import time


def find_qemu(results, timeout=120):
    key = ("path=%s," % results).encode()
    end = time.time() + timeout
    while time.time() < end:
        for p in glob.glob("/proc/[0-9]*/cmdline"):
            try:
                with open(p, "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            if cmd.startswith(b"qemu-system") or b"/qemu-system" in cmd.split(b"\0")[0]:
                if key in cmd:
                    return int(p.split("/")[2])
        time.sleep(0.2)
    return None


def schedstat(path):
    with open(path) as f:
        run, wait, _ = f.read().split()
    return int(run), int(wait)


def main():
    results = os.path.realpath(sys.argv[1])
    interval = float(sys.argv[2]) if len(sys.argv) > 2 else 0.02
    pid = find_qemu(results)
    if pid is None:
        sys.stderr.write("hostcpu: no qemu for %s\n" % results)
        return 1
    out = os.path.join(results, "hostcpu")
    tmp = out + ".tmp"
    vcpu = {}
    t_found = time.time()
    while os.path.exists("/proc/%d" % pid):
        try:
            if len(vcpu) < 2:
                for t in glob.glob("/proc/%d/task/*" % pid):
                    with open(t + "/comm") as f:
                        comm = f.read().strip()
                    if comm in ("CPU 0/TCG", "CPU 1/TCG"):
                        vcpu[int(comm[4])] = t + "/schedstat"
            v0 = schedstat(vcpu[0]) if 0 in vcpu else (0, 0)
            v1 = schedstat(vcpu[1]) if 1 in vcpu else (0, 0)
            qrun = 0
            for t in glob.glob("/proc/%d/task/*/schedstat" % pid):
                try:
                    qrun += schedstat(t)[0]
                except OSError:
                    pass
            with open("/proc/stat") as f:
                c = [int(x) for x in f.readline().split()[1:]]
            busy = sum(c) - c[3] - c[4]
            with open(tmp, "w") as f:
                f.write("%d %d %d %d %d %d %d %d\n" % (v0 + v1 + (qrun, busy, sum(c),
                                                              time.monotonic_ns())))
            os.replace(tmp, out)
            if len(vcpu) < 2 and time.time() > t_found + 30:
                sys.stderr.write("hostcpu: no 'CPU 0/TCG' and 'CPU 1/TCG' threads in qemu %d "
                                 "(needs -name ...,debug-threads=on and -smp 2)\n" % pid)
                return 1
        except (OSError, ValueError):
            pass
        time.sleep(interval)
    return 0


if __name__ == "__main__":
    sys.exit(main())
