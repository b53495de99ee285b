#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""TCP clients for the topology selftests (run in the client namespace).

  xsp_conn.py long HOST PORT DIR
      One connection to an echo server, kept open: a numbered line every
      0.2 s, each echo checked; DIR/progress holds how many came back. Ends
      when DIR/stop appears: exit 0 if every echo came back intact.
  xsp_conn.py many HOST PORT N [BYTES] [--src ADDR]
      N connections one after the other, each echoing BYTES (default 2000)
      random bytes; prints one "# conn i: x.xxx s" line each and a last
      line "ok=K of N, seconds min/median/max a/b/c"; exit 0 if all of
      them worked. Each has 10 s; when the first two fail, the rest are
      not tried.
"""
import os
import socket
import statistics
import sys
import time


def echo_once(host, port, data, src=None, timeout=10):
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    s.settimeout(timeout)
    if src:
        s.bind((src, 0))
    s.connect((host, port))
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    got = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        got += b
    s.close()
    return got == data


def many(host, port, n, size, src):
    times = []
    ok = 0
    for i in range(n):
        t = time.monotonic()
        try:
            good = echo_once(host, port, os.urandom(size), src)
        except OSError as e:
            good = False
            print(f"# conn {i}: {e}", flush=True)
        dt = time.monotonic() - t
        times.append(dt)
        ok += good
        print(f"# conn {i}: {dt:.3f} s{'' if good else ' FAILED'}", flush=True)
        if i >= 1 and ok == 0:
            break       # a broken path: do not wait out every timeout
    print(f"ok={ok} of {n}{'' if len(times) == n else f' (gave up after {len(times)})'}, seconds min/median/max "
          f"{min(times):.3f}/{statistics.median(times):.3f}/{max(times):.3f}",
          flush=True)
    return ok == n


def long(host, port, d):
    s = socket.create_connection((host, port), timeout=10)
    f = s.makefile("rb")
    i = 0
    while not os.path.exists(os.path.join(d, "stop")):
        i += 1
        line = f"line {i}\n".encode()
        s.sendall(line)
        if f.readline() != line:
            print(f"# long connection: echo {i} wrong or missing", flush=True)
            return False
        with open(os.path.join(d, "progress.tmp"), "w") as p:
            p.write(f"{i}\n")
        os.rename(os.path.join(d, "progress.tmp"), os.path.join(d, "progress"))
        time.sleep(0.2)
    s.close()
    return True


def main():
    a = sys.argv[1:]
    src = None
    if "--src" in a:
        k = a.index("--src")
        src = a[k + 1]
        del a[k:k + 2]
    if a[0] == "long":
        try:
            ok = long(a[1], int(a[2]), a[3])
        except OSError as e:
            print(f"# long connection: {e}", flush=True)
            ok = False
    elif a[0] == "many":
        ok = many(a[1], int(a[2]), int(a[3]),
                  int(a[4]) if len(a) > 4 else 2000, src)
    else:
        sys.exit(__doc__)
    sys.exit(0 if ok else 1)


main()
