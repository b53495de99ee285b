# SPDX-License-Identifier: GPL-2.0
"""Handshakes driven by hand for edge.sh; run in the client namespace.

    edge.py frag-ack PORT          first ACK with data, in IP fragments (IPv6:
                                   behind a fragment header)
    edge.py wscale-race PORT CMD   change a sysctl (CMD, run in the server
                                   namespace) between the SYN and the ACK

Prints one line of findings and exits 0 when the handshake completed as
the case wants, 1 otherwise.
"""
import subprocess
import sys
import time

from scapy.layers.inet import IP, TCP, fragment  # noqa: E402
from scapy.layers.inet6 import IPv6ExtHdrFragment, fragment6  # noqa: E402
from scapy.packet import Raw  # noqa: E402
from scapy.sendrecv import send, sr1  # noqa: E402

import xsp_scapy as x


def frag_ack(port):
    """The first ACK carries 1200 bytes of data and arrives in IPv4
    fragments, or in IPv6 ones (the TCP header in the first)."""
    sp = x.sport()
    isn = 1000
    sa = sr1(x.syn(port, sp, isn, [("MSS", 1460)]), timeout=x.REPLY_TIMEOUT)
    if sa is None:
        print("no SYN-ACK")
        return 1
    payload = bytes(range(256)) * 4 + b"x" * 176
    tcp = TCP(sport=sp, dport=port, seq=isn + 1, ack=sa[TCP].seq + 1,
              flags="PA", window=65535) / Raw(payload)
    if x.V6:
        frags = fragment6(x.ip() / IPv6ExtHdrFragment(id=sp) / tcp, 560)
    else:
        frags = fragment(IP(dst=x.SERVER, flags=0) / tcp, fragsize=512)
    send(frags)
    line = x.wait_established(sp, port)
    print(f"fragments {len(frags)}, server socket: {line or 'none'}")
    return 0 if line and len(frags) > 1 else 1


def wscale_race(port, cmd):
    """The SYN-ACK's window scale is the one the server socket uses, even
    when the sysctls it derives from change before the ACK."""
    sp = x.sport()
    isn = 2000
    sa = sr1(x.syn(port, sp, isn, [("MSS", 1460), ("NOP", None),
                                   ("WScale", 7)]), timeout=x.REPLY_TIMEOUT)
    if sa is None:
        print("no SYN-ACK")
        return 1
    told = x.opt(sa, "WScale")
    subprocess.run(["ip", "netns", "exec", x.SERVER_NS, "sh", "-c", cmd],
                   check=True)
    time.sleep(0.5)
    send(x.ip() / TCP(sport=sp, dport=port, seq=isn + 1,
                      ack=sa[TCP].seq + 1, flags="A", window=512))
    line = x.wait_established(sp, port)
    m = [w for w in line.split() if w.startswith("wscale:")]
    used = int(m[0].split(",")[1]) if m else None
    print(f"SYN-ACK window scale {told}, server socket {used}")
    return 0 if told is not None and used == told else 1


def main():
    if sys.argv[1] == "frag-ack":
        return frag_ack(int(sys.argv[2]))
    if sys.argv[1] == "wscale-race":
        return wscale_race(int(sys.argv[2]), sys.argv[3])
    print(__doc__)
    return 2


sys.exit(main())
