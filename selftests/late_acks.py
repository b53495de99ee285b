#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Count the client segments that reached a server after it had closed.

  late_acks.py PCAP PORT

PCAP was captured on the server's link, PORT is the server's. A connection
the server closed passively (the client's FIN came first, the server's FIN
last) is gone on the server once the client's ACK of that FIN is taken;
a segment the client sends after it on the same 4-tuple (its ACK of the
server's FIN sent again by a tail-loss probe or a retransmission, when the
first ACK was held up) meets no socket. Without the module the stack
answers it with a reset; the module, seeing an ACK to a listener that
carries no valid cookie, drops it and counts it in cookie_invalid.

Prints the number of such segments, then one "# ..." line for each.
"""
import re
import subprocess
import sys

LINE = re.compile(r"IP6? (\S+)\.(\d+) > (\S+)\.(\d+): Flags \[([^\]]*)\]"
                  r"(?:, seq (\d+)(?::(\d+))?)?(?:, ack (\d+))?")


def after(a, b):
    """a is at or after b in sequence space."""
    return ((a - b) & 0xffffffff) < 0x80000000


def main():
    pcap, port = sys.argv[1], sys.argv[2]
    out = subprocess.run(["tcpdump", "-nn", "-S", "-tt", "-r", pcap],
                         capture_output=True, text=True, check=True).stdout
    conns = {}
    late = []
    for line in out.splitlines():
        m = LINE.search(line)
        if not m:
            continue
        src, sport, dst, dport, flags, seq, end, ack = m.groups()
        if dport == port:
            key, to_server = (src, sport, dst), True
        elif sport == port:
            key, to_server = (dst, dport, src), False
        else:
            continue
        # A new connection on the tuple, or one opened before the capture.
        if key not in conns or ("S" in flags and to_server):
            conns[key] = {"client_fin": False, "fin_end": None, "closed": False}
        c = conns[key]
        if to_server:
            if c["closed"]:
                if "R" not in flags:
                    late.append(line)
                continue
            if "F" in flags:
                c["client_fin"] = True
            if (c["fin_end"] is not None and ack is not None and
                    after(int(ack), c["fin_end"])):
                c["closed"] = True
        elif "F" in flags and c["client_fin"] and seq is not None:
            c["fin_end"] = (int(end or seq) + 1) & 0xffffffff
    print(len(late))
    for line in late:
        print(f"# late: {line}")


if __name__ == "__main__":
    main()
