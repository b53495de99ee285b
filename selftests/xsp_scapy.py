# SPDX-License-Identifier: GPL-2.0
"""Helpers for crafted-packet tests: run inside the client namespace.

The client kernel must not answer the server's SYN-ACKs with resets (the
test script drops outgoing RSTs with nft), so handshakes are driven by hand.
"""
import json
import os
import random
import subprocess
import sys
import time

from scapy.all import IP, TCP, Raw, conf, sr1, send, AsyncSniffer  # noqa: E402

conf.verb = 0

SERVER = os.environ.get("SERVER_IP", "10.0.1.2")
SERVER_NS = os.environ["SERVER"]
IFACE = os.environ.get("XSP_IFACE", "veth-c")
REPLY_TIMEOUT = float(os.environ.get("XSP_REPLY_TIMEOUT", "6"))
SILENCE_TIMEOUT = float(os.environ.get("XSP_SILENCE_TIMEOUT", "2"))

_n = 0
_failed = 0
_name = os.environ.get("XSP_TEST_NAME", "crafted")


def result(ok, desc, why=""):
    """Print one KTAP line."""
    global _n, _failed
    _n += 1
    if ok:
        print(f"ok {_n} - {_name}: {desc}", flush=True)
    else:
        _failed += 1
        print(f"not ok {_n} - {_name}: {desc}", flush=True)
        if why:
            print(f"#   {why}", flush=True)


def finish():
    sys.exit(1 if _failed else 0)


def server(cmd):
    return subprocess.run(["ip", "netns", "exec", SERVER_NS] + cmd,
                          capture_output=True, text=True, check=False).stdout


def stats():
    return json.loads(server(["synctl", "-j", "stats"]))


def delta(before, after, name):
    return after[name] - before[name]


_sports = set()


def sport():
    """A source port not handed out before in this run: a forged ACK from
    the port of a connection an earlier case left established would reach
    that socket instead of the cookie check."""
    while True:
        sp = random.randint(20000, 60000)
        if sp not in _sports:
            _sports.add(sp)
            return sp


def syn(dport, sp, seq, opts, flags="S", tos=0):
    return IP(dst=SERVER, tos=tos) / TCP(sport=sp, dport=dport, seq=seq,
                                         flags=flags, options=opts,
                                         window=64240)


def opt(pkt, name):
    for o in pkt[TCP].options:
        if o[0] == name:
            return o[1] if len(o) > 1 else True
    return None


def handshake(dport, opts, ecn=False, payload=None, skip_pure_ack=False):
    """SYN, SYN-ACK, ACK (or a data segment in place of the pure ACK).

    Returns (synack, sport, client_isn) or (None, ...) when nothing came back.
    """
    sp = sport()
    isn = random.randint(0, 2**32 - 1)
    flags = "SEC" if ecn else "S"
    sa = sr1(syn(dport, sp, isn, opts, flags), timeout=REPLY_TIMEOUT)
    if sa is None or not sa.haslayer(TCP):
        return None, sp, isn
    ack_opts = []
    ts = opt(sa, "Timestamp")
    if ts:
        ack_opts = [("NOP", None), ("NOP", None),
                    ("Timestamp", (int(time.time() * 1000) & 0xffffffff,
                                   ts[0]))]
    ack = IP(dst=SERVER) / TCP(sport=sp, dport=dport, seq=isn + 1,
                               ack=sa[TCP].seq + 1, flags="A",
                               options=ack_opts, window=65535)
    if not skip_pure_ack:
        send(ack)
    if payload:
        data = ack.copy()
        data[TCP].flags = "PA"
        send(data / Raw(payload))
    return sa, sp, isn


def established(sp, dport):
    """ss -tin line of the server socket for client port sp, or ''."""
    out = server(["ss", "-Htine", "state", "established",
                  f"( sport = :{dport} and dport = :{sp} )"])
    return out.strip()


def wait_established(sp, dport, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        out = established(sp, dport)
        if out:
            return out
        time.sleep(0.3)
    return ""


def no_reply(pkt, timeout=SILENCE_TIMEOUT):
    """Send pkt and return True if nothing comes back from the server."""
    r = sr1(pkt, timeout=timeout)
    return r is None
