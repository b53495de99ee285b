# SPDX-License-Identifier: GPL-2.0
"""Helpers for crafted-packet tests: run inside the client namespace.

The client kernel must not answer the server's SYN-ACKs with resets (the
test script drops outgoing RSTs with nft), so handshakes are driven by hand.

The address family is the server address's (SERVER_IP, or the one given to
use()): ip() builds the network layer of that family, and the counters
compared are the family's own ("ipv4" or "ipv6" in synctl -j stats).
"""
import json
import os
import random
import subprocess
import sys
import time

# The layers these tests need, not scapy.all: that takes twice as long
# to import, five seconds and more in the test guest.
from scapy.config import conf  # noqa: E402
from scapy.layers.inet import IP, TCP  # noqa: E402
from scapy.layers.inet6 import IPv6  # noqa: E402
from scapy.packet import Raw  # noqa: E402
from scapy.sendrecv import send, sr1  # noqa: E402

conf.verb = 0

SERVER_NS = os.environ["SERVER"]
CLIENT4 = os.environ.get("CLIENT_IP4", "10.0.1.1")


def use(server, client=None, server_mac=None):
    """Address the server at SERVER (and the client as CLIENT): its family
    is the family of everything that follows."""
    global SERVER, CLIENT, SERVER_MAC, V6, FAMILY, OTHER_FAMILY, L3
    global LINK_MSS, DEFAULT_MSS, _tag
    SERVER, CLIENT, SERVER_MAC = server, client, server_mac
    V6 = ":" in SERVER
    FAMILY = "ipv6" if V6 else "ipv4"
    OTHER_FAMILY = "ipv4" if V6 else "ipv6"
    L3 = IPv6 if V6 else IP
    # The MSS of the 1500-byte veth, and the cookie's MSS without an option.
    LINK_MSS = 1440 if V6 else 1460
    DEFAULT_MSS = 1220 if V6 else 536
    _tag = "IPv6: " if V6 else ""
    if V6 and not SERVER_MAC:
        # The client kernel resolved it (setup_pair pings the server).
        neigh = subprocess.run(["ip", "-6", "neigh", "show", SERVER],
                               capture_output=True, text=True).stdout.split()
        if "lladdr" in neigh:
            SERVER_MAC = neigh[neigh.index("lladdr") + 1]
    if SERVER_MAC and V6:
        # scapy resolves IPv6 neighbours itself, slowly and noisily: tell it.
        conf.netcache.in6_neighbor[SERVER] = SERVER_MAC


use(os.environ.get("SERVER_IP", "10.0.1.2"), os.environ.get("CLIENT_IP"),
    os.environ.get("SERVER_MAC"))
IFACE = os.environ.get("XSP_IFACE", "veth-c")
REPLY_TIMEOUT = float(os.environ.get("XSP_REPLY_TIMEOUT", "6"))
SILENCE_TIMEOUT = float(os.environ.get("XSP_SILENCE_TIMEOUT", "2"))

_n = 0
_failed = 0
_name = os.environ.get("XSP_TEST_NAME", "crafted")


def ip(**kw):
    """The network layer to the server in its family (tos: IPv6 tc)."""
    if V6 and "tos" in kw:
        kw["tc"] = kw.pop("tos")
    kw.setdefault("dst", SERVER)
    return L3(**kw)


def result(ok, desc, why=""):
    """Print one KTAP line."""
    global _n, _failed
    _n += 1
    if ok:
        print(f"ok {_n} - {_name}: {_tag}{desc}", flush=True)
    else:
        _failed += 1
        print(f"not ok {_n} - {_name}: {_tag}{desc}", flush=True)
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
    """Growth of this family's counter NAME."""
    return after[FAMILY][name] - before[FAMILY][name]


def moved(before, after, family=None):
    """The counters of a family (default: this one) that moved."""
    f = family or FAMILY
    return {k: after[f][k] - v for k, v in before[f].items()
            if after[f][k] != v}


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
    return ip(tos=tos) / TCP(sport=sp, dport=dport, seq=seq, flags=flags,
                             options=opts, window=64240)


def opt(pkt, name):
    for o in pkt[TCP].options:
        if o[0] == name:
            return o[1] if len(o) > 1 else True
    return None


def handshake(dport, opts, ecn=False, payload=None, skip_pure_ack=False,
              ext=None):
    """SYN, SYN-ACK, ACK (or a data segment in place of the pure ACK).

    ext: IPv6 extension headers to put in front of the TCP header of the
    SYN and the ACK. Returns (synack, sport, client_isn) or (None, ...)
    when nothing came back.
    """
    sp = sport()
    isn = random.randint(0, 2**32 - 1)
    flags = "SEC" if ecn else "S"
    s = syn(dport, sp, isn, opts, flags)
    if ext is not None:
        s = ip() / ext / s[TCP]
    sa = sr1(s, timeout=REPLY_TIMEOUT)
    if sa is None or not sa.haslayer(TCP):
        return None, sp, isn
    ack_opts = []
    ts = opt(sa, "Timestamp")
    if ts:
        ack_opts = [("NOP", None), ("NOP", None),
                    ("Timestamp", (int(time.time() * 1000) & 0xffffffff,
                                   ts[0]))]
    ack = ip() / TCP(sport=sp, dport=dport, seq=isn + 1, ack=sa[TCP].seq + 1,
                     flags="A", options=ack_opts, window=65535)
    if ext is not None:
        ack = ip() / ext / ack[TCP]
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
