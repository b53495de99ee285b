# SPDX-License-Identifier: GPL-2.0
"""Crafted SYNs and their SYN-ACKs for synack.sh; run in the client namespace.

    synack.py same       a fixed SYN (no options; MSS, SACK, TS, WS) answered
                         with synack auto and with synack copy: the same
                         SYN-ACK, byte for byte (TS: but for the cookie ISN,
                         the TSval and the TCP checksum, and both cookies
                         valid and alike)
    synack.py csum       IP and TCP checksums of SYN-ACKs on both paths with
                         TX checksum offload off on the server's device;
                         with it on, the TCP checksum is left unfinished
                         (CHECKSUM_PARTIAL) as the stack's own
    synack.py tap        a packet socket on the server's device that reads
                         only after the SYN-ACK left gets the SYN as sent
    synack.py l3opts     IPv4 options / IPv6 extension headers on the SYN:
                         copy path (synack_copy_opts), same SYN-ACK
    synack.py payload    data on the SYN: trimmed, same SYN-ACK
    synack.py marktos    mark, TOS and conntrack of the SYN-ACK under
                         tcp_fwmark_accept and tcp_reflect_tos, both paths
    synack.py CASE CASE...
                         the cases one after the other on the same server
                         (each has source ports of its own), each between
                         "# case CASE" and "# case CASE: N problem(s)"
    synack.py tapserver IFACE OUT
                         (server namespace, no scapy) the packet socket of
                         "tap": bound, it creates OUT.ready; when OUT.go
                         appears it drains what it got into OUT (JSON)

Each case checks what came back on the wire, the server's sockets (ss) and
the module's counters (exactly which moved, in which family), prints its
findings as "# " lines, a "# FAIL: " line per problem, and exits 1 when
there was any. xsp_scapy.py is not used: load_scapy() imports the few
layers needed here, when a case needs them, not all of scapy, which takes
5-25 s in the emulated guest.
"""
import json
import os
import socket
import subprocess
import sys
import time

PORT = int(os.environ.get("XSP_PORT", "443"))
SERVER_NS = os.environ.get("SERVER", "")
SERVER_IP = os.environ.get("SERVER_IP", "10.0.1.2")
CLIENT_IP = os.environ.get("CLIENT_IP", "10.0.1.1")
SERVER_MAC = os.environ.get("SERVER_MAC", "")
IFACE = os.environ.get("XSP_IFACE", "veth-c")
SERVER_DEV = os.environ.get("XSP_SERVER_DEV", "veth-s")
COOKIE_TOOL = os.environ.get("COOKIE_TOOL", "")
KEY = os.environ.get("XSP_KEY", "")
EPOCH_LEN = os.environ.get("XSP_EPOCH_LEN", "3600")
TMP = os.environ.get("XSP_TMP", "/tmp")
REPLY_TIMEOUT = float(os.environ.get("XSP_REPLY_TIMEOUT", "10"))
V6 = ":" in SERVER_IP
FAM = "ipv6" if V6 else "ipv4"
ETH_LEN = 14
TSV = 0x01020304		# the client's TSval on every SYN

# TCP options of the SYNs: none; what Linux sends (MSS, SACK_PERM, TS, WS);
# the same without timestamps, whose cookie does not change with time.
KINDS = {
    "none": [],
    "all": [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (TSV, 0)),
            ("NOP", None), ("WScale", 7)],
    "nots": [("MSS", 1460), ("NOP", None), ("NOP", None), ("SAckOK", b""),
             ("NOP", None), ("WScale", 7)],
}

failures = []


def info(msg):
    print(f"# {msg}", flush=True)


def fail(msg):
    failures.append(msg)
    print(f"# FAIL: {msg}", flush=True)


def finish():
    if failures:
        info(f"{len(failures)} problem(s)")
    sys.exit(1 if failures else 0)


# ---- the server namespace ---------------------------------------------------

def run(cmd, check=True):
    r = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if check and r.returncode:
        fail(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def server(*cmd, check=True):
    return run(["ip", "netns", "exec", SERVER_NS] + list(cmd), check)


# The server's counters as last read, while nothing but answer() sent
# anything since: the next answer's "before" (synctl calls are slow in the
# emulated guest).
_last = None
_mode = None


def stats():
    global _last
    _last = json.loads(run(["synctl", "-n", SERVER_NS, "-j", "stats"]))
    return _last


def set_mode(mode):
    global _mode
    if mode != _mode:
        run(["synctl", "-n", SERVER_NS, "datapath", "set", "synack", mode])
        _mode = mode


def sysctl(name, value):
    server("sysctl", "-qw", f"{name}={value}")


def expect_moved(before, want, what):
    """Exactly the counters of want moved, by exactly that much, in this
    test's family; nothing in the other family; the totals alike."""
    after = stats()
    bad = []
    for fam in ("ipv4", "ipv6"):
        w = want if fam == FAM else {}
        for k, v in after[fam].items():
            d = v - before[fam].get(k, 0)
            if d != w.get(k, 0):
                bad.append(f"{fam} {k} +{d} (want +{w.get(k, 0)})")
    for k, v in after.items():
        if isinstance(v, int) and v - before.get(k, 0) != want.get(k, 0):
            bad.append(f"total {k} +{v - before.get(k, 0)}")
    if bad:
        fail(f"{what}: counters: {', '.join(bad)}")
    return after


def sockets(sp):
    """ss lines of the server's sockets of the 4-tuple (any state)."""
    return server("ss", "-Htanie",
                  f"( sport = :{PORT} and dport = :{sp} )").strip()


def wait_established(sp, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        out = server("ss", "-Htine", "state", "established",
                     f"( sport = :{PORT} and dport = :{sp} )").strip()
        if out:
            return out
        time.sleep(0.3)
    return ""


# ---- packets ----------------------------------------------------------------

def load_scapy():
    """The layers this needs, not scapy.all (four times faster to import)."""
    global Ether, IP, IPv6, TCP, Raw, IPOption_NOP, IPOption_Router_Alert
    global IPv6ExtHdrDestOpt, IPv6ExtHdrHopByHop, sendp, sniff
    from scapy.layers.l2 import Ether
    from scapy.layers.inet import IP, TCP, IPOption_NOP, IPOption_Router_Alert
    from scapy.layers.inet6 import IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrHopByHop
    from scapy.packet import Raw
    from scapy.sendrecv import sendp, sniff
    from scapy.config import conf
    conf.verb = 0


def client_mac():
    with open(f"/sys/class/net/{IFACE}/address") as f:
        return f.read().strip()


def syn_frame(sp, isn, kind, tos=0, payload=0, l3=None, flags="S", ack=0,
              opts=None):
    """An Ethernet frame with a segment from the client to PORT."""
    tcp = TCP(sport=sp, dport=PORT, seq=isn, ack=ack, flags=flags,
              window=64240, options=KINDS[kind] if opts is None else opts)
    if V6:
        ip = IPv6(src=CLIENT_IP, dst=SERVER_IP, tc=tos, fl=0, hlim=64)
        if l3 == "dst":
            ip = ip / IPv6ExtHdrDestOpt()
        elif l3 == "hbh":
            ip = ip / IPv6ExtHdrHopByHop()
    else:
        o = {None: [], "nop": [IPOption_NOP()] * 4,
             "ra": [IPOption_Router_Alert()]}[l3]
        ip = IP(src=CLIENT_IP, dst=SERVER_IP, tos=tos, ttl=64, id=4242,
                flags="DF", options=o)
    p = Ether(src=client_mac(), dst=SERVER_MAC) / ip / tcp
    if payload:
        p = p / Raw((bytes(range(256)) * 8)[:payload])
    return bytes(p)


def exchange(frame, sp):
    """Send a SYN frame; return the SYN as captured leaving the client, the
    server's answer as captured arriving (bytes or None), and the times
    before and after."""
    def ours(p):
        return TCP in p and {p[TCP].sport, p[TCP].dport} == {sp, PORT}

    t0 = time.time()
    got = sniff(iface=IFACE, lfilter=ours, count=2, timeout=REPLY_TIMEOUT,
                started_callback=lambda: sendp(frame, iface=IFACE))
    t1 = time.time()
    syn = sa = None
    for p in got:
        b = bytes(p.original) if getattr(p, "original", None) else bytes(p)
        if p[TCP].sport == sp:
            syn = b
        else:
            sa = b
    if syn is not None and syn != frame:
        fail("the SYN captured leaving the client is not the one sent")
    return syn, sa, t0, t1


def inet_sum(b, s=0):
    if len(b) % 2:
        b += b"\0"
    for i in range(0, len(b), 2):
        s += (b[i] << 8) | b[i + 1]
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


class Seg:
    """The layers of one captured frame, by offset, without scapy."""

    def __init__(self, b):
        self.b = b
        self.ethertype = int.from_bytes(b[12:14], "big")
        self.l3 = ETH_LEN
        if self.ethertype == 0x86dd:
            self.v6 = True
            h = b[self.l3:]
            self.iplen = 40 + int.from_bytes(h[4:6], "big")
            self.src, self.dst = h[8:24], h[24:40]
            nh, off = h[6], 40
            while nh in (0, 43, 60) and off + 2 <= len(h):	# HBH, routing, dst options
                nh, off = h[off], off + (h[off + 1] + 1) * 8
            self.l3opts = off - 40
            self.l4 = self.l3 + off
            self.proto = nh
        else:
            self.v6 = False
            h = b[self.l3:]
            ihl = (h[0] & 15) * 4
            self.iplen = int.from_bytes(h[2:4], "big")
            self.src, self.dst = h[12:16], h[16:20]
            self.l3opts = ihl - 20
            self.l4 = self.l3 + ihl
            self.proto = h[9]
        self.sport = self.dport = None
        t = b[self.l4:]
        if self.proto != 6 or len(t) < 20:
            return
        self.sport = int.from_bytes(t[0:2], "big")
        self.dport = int.from_bytes(t[2:4], "big")
        self.seq = int.from_bytes(t[4:8], "big")
        self.ack = int.from_bytes(t[8:12], "big")
        self.doff = (t[12] >> 4) * 4
        self.flags = ((t[12] & 15) << 8) | t[13]
        self.window = int.from_bytes(t[14:16], "big")
        self.csum = int.from_bytes(t[16:18], "big")
        self.urg = int.from_bytes(t[18:20], "big")
        self.payload = self.l3 + self.iplen - self.l4 - self.doff
        self.opts = {}			# kind: (offset in b, value bytes)
        self.optbad = False
        o, end = self.l4 + 20, self.l4 + self.doff
        while o < end:
            kind = b[o]
            if kind == 0:
                break
            if kind == 1:
                o += 1
                continue
            if o + 1 >= end or b[o + 1] < 2 or o + b[o + 1] > end:
                self.optbad = True
                break
            self.opts[kind] = (o, b[o + 2:o + b[o + 1]])
            o += b[o + 1]

    def tcp_csum_ok(self):
        seg = self.b[self.l4:self.l3 + self.iplen]
        return inet_sum(seg, self.pseudo_sum()) == 0xffff

    def pseudo_sum(self):
        n = self.l3 + self.iplen - self.l4
        if self.v6:
            ph = self.src + self.dst + n.to_bytes(4, "big") + b"\0\0\0\x06"
        else:
            ph = self.src + self.dst + b"\0\x06" + n.to_bytes(2, "big")
        return inet_sum(ph)

    def ip_csum_ok(self):
        if self.v6:
            return True
        return inet_sum(self.b[self.l3:self.l4]) == 0xffff

    def tos(self):
        h = self.b[self.l3:]
        if self.v6:
            return ((h[0] & 15) << 4) | (h[1] >> 4)
        return h[1]

    def flowlabel(self):
        h = self.b[self.l3:]
        return ((h[1] & 15) << 16) | (h[2] << 8) | h[3]

    def tsval(self):
        o = self.opts.get(8)
        return int.from_bytes(o[1][0:4], "big") if o else None

    def tsecr(self):
        o = self.opts.get(8)
        return int.from_bytes(o[1][4:8], "big") if o else None


def check_synack(syn_b, sa_b, what, tos=0, csum=True, flowlabel=True):
    """The SYN-ACK answers the SYN as the stack would: addresses and ports
    swapped, ack = ISN + 1, SYN|ACK only, no IP options, no payload, lengths
    right, the options the SYN offered, valid checksums (csum)."""
    if sa_b is None:
        fail(f"{what}: no SYN-ACK")
        return None
    s, a = Seg(syn_b), Seg(sa_b)
    bad = []
    if sa_b[0:6] != syn_b[6:12] or sa_b[6:12] != syn_b[0:6]:
        bad.append("Ethernet addresses not the SYN's swapped")
    if a.ethertype != s.ethertype or (a.src, a.dst) != (s.dst, s.src):
        bad.append("IP addresses not the SYN's swapped")
    if a.l3opts:
        bad.append(f"{a.l3opts} bytes of IP options/extension headers")
    if a.proto != 6:
        bad.append(f"protocol {a.proto}")
    h = sa_b[ETH_LEN:]
    if a.v6:
        if h[0] >> 4 != 6 or h[7] != 64:
            bad.append(f"IPv6 version/hop limit {h[0] >> 4}/{h[7]}")
        if flowlabel and a.flowlabel():
            bad.append(f"flow label {a.flowlabel():#x} with auto_flowlabels=0")
    else:
        if h[0] != 0x45 or h[8] != 64 or h[4:8] != b"\0\0\x40\0":
            bad.append(f"IPv4 header {h[:10].hex()}: want 45, ID 0, DF, TTL 64")
        if not a.ip_csum_ok():
            bad.append("bad IPv4 header checksum")
    if a.tos() != tos:
        bad.append(f"TOS {a.tos():#x}, want {tos:#x}")
    if a.iplen != (40 if a.v6 else 20) + a.doff:
        bad.append(f"IP length {a.iplen} for a {a.doff}-byte TCP header")
    if len(sa_b) != ETH_LEN + a.iplen and not (
            len(sa_b) == 60 and not any(sa_b[ETH_LEN + a.iplen:])):
        bad.append(f"frame of {len(sa_b)} bytes for {a.iplen} IP bytes")
    if (a.sport, a.dport) != (s.dport, s.sport):
        bad.append(f"ports {a.sport}>{a.dport}")
    if a.ack != (s.seq + 1) & 0xffffffff:
        bad.append(f"ack {a.ack}, want ISN+1 {(s.seq + 1) & 0xffffffff}")
    if a.flags != 0x012:
        bad.append(f"TCP flags {a.flags:#05x}, want SYN|ACK")
    if a.urg or not a.window or a.payload:
        bad.append(f"urg {a.urg} window {a.window} payload {a.payload}")
    if a.optbad or 2 not in a.opts:
        bad.append(f"options {sa_b[a.l4 + 20:a.l4 + a.doff].hex()}")
    for kind, name in ((4, "SACK_PERM"), (8, "TS"), (3, "WS")):
        if (kind in a.opts) != (kind in s.opts):
            bad.append(f"{name} {'in' if kind in a.opts else 'not in'} the "
                       f"SYN-ACK, {'in' if kind in s.opts else 'not in'} "
                       "the SYN")
    if 8 in a.opts and 8 in s.opts and a.tsecr() != s.tsval():
        bad.append(f"TSecr {a.tsecr()}, want the SYN's TSval {s.tsval()}")
    if csum and not a.tcp_csum_ok():
        bad.append(f"bad TCP checksum {a.csum:#06x}")
    if bad:
        fail(f"{what}: {'; '.join(bad)}: {sa_b.hex()}")
    return a


def cookie_check(syn_b, sa_b):
    """cookie_tool's verdict on the SYN-ACK's cookie (and TSval)."""
    s, a = Seg(syn_b), Seg(sa_b)
    cmd = [COOKIE_TOOL, "check", KEY, EPOCH_LEN,
           str(int(time.time() * 1000)), CLIENT_IP, str(s.sport), SERVER_IP,
           str(PORT), str(s.seq), str(a.seq)]
    if a.tsval() is not None:
        cmd += ["tsecr", str(a.tsval())]
    return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()


def epoch(t):
    return int(t) // int(EPOCH_LEN)


def same(x, y, what):
    """Two answers to one SYN are the same, byte for byte. With timestamps
    the cookie ISN, the TSval and so the TCP checksum change every 16 ms
    (Documentation/cookie.rst), without them at an epoch boundary: those
    are left out then, and both cookies must be valid (cookie_tool, with
    the key the server was given) and carry the same options."""
    sx, ax, x0, x1 = x
    sy, ay, y0, y1 = y
    if ax is None or ay is None:
        return
    a, b = Seg(ax), Seg(ay)
    mask = set()
    why = ""
    if 8 in a.opts and 8 in b.opts and a.opts[8][0] == b.opts[8][0]:
        o = a.opts[8][0] + 2
        mask = set(range(o, o + 4))
        why = "timestamps"
    elif epoch(min(x0, y0) - 1) != epoch(max(x1, y1) + 1):
        why = "an epoch boundary between them"
    if why:
        mask |= set(range(a.l4 + 4, a.l4 + 8)) | set(range(a.l4 + 16, a.l4 + 18))
        if not os.access(COOKIE_TOOL, os.X_OK):
            info(f"{what}: cookie_tool not built: cookies not checked")
        else:
            cx, cy = cookie_check(sx, ax), cookie_check(sy, ay)
            info(f"{what}: cookies {a.seq:#x}/{a.tsval()}: '{cx}', "
                 f"{b.seq:#x}/{b.tsval()}: '{cy}'")
            if not cx.startswith("valid") or cx != cy:
                fail(f"{what}: cookies '{cx}' and '{cy}'")
    diff = [i for i in range(max(len(ax), len(ay)))
            if i not in mask and ax[i:i + 1] != ay[i:i + 1]]
    if diff:
        fail(f"{what}: differ at bytes {diff[:12]} (TCP header at "
             f"{a.l4}):\n#   {ax.hex()}\n#   {ay.hex()}")
    else:
        info(f"{what}: same {len(ax)} bytes"
             f"{f' but ISN, TSval, checksum ({why})' if why else ''}")


def complete(got, what, want=None):
    """No server socket holds the 4-tuple before the ACK (the SYN-ACK
    left no state); after it one is established, the module validated the
    cookie and replayed the SYN, and no SYN-ACK path counter moved.
    Returns the socket's ss line."""
    syn_b, sa_b = got[0], got[1]
    if sa_b is None:
        return ""
    s, a = Seg(syn_b), Seg(sa_b)
    pre = sockets(s.sport)
    if pre:
        fail(f"{what}: a socket before the ACK: {pre}")
    opts = []
    if 8 in a.opts:
        opts = [("NOP", None), ("NOP", None), ("Timestamp", (TSV + 1, a.tsval()))]
    before = stats()
    sendp(syn_frame(s.sport, (s.seq + 1) & 0xffffffff, "none", flags="A",
                    ack=(a.seq + 1) & 0xffffffff, opts=opts), iface=IFACE)
    line = wait_established(s.sport)
    after = stats()
    if not line:
        fail(f"{what}: no established server socket after the ACK: "
             f"{sockets(s.sport) or 'none at all'}")
        return ""
    for k in ("ack_recv", "cookie_valid", "syn_replayed", "synack_rewritten"):
        if after[FAM][k] - before[FAM][k] != 1:
            fail(f"{what}: {k} +{after[FAM][k] - before[FAM][k]} on the ACK")
    for k in after[FAM]:
        if k.startswith("synack_") and k != "synack_rewritten" and \
           after[FAM][k] != before[FAM][k]:
            fail(f"{what}: {k} moved on the ACK")
    for w in want or []:
        if w not in line.split():
            fail(f"{what}: server socket without {w}: {line}")
    info(f"{what}: server socket {line[:200]}")
    return line


def answer(mode, frame, sp, what, path=None, **kw):
    """One SYN and its SYN-ACK in mode, checked; the counters say it took
    path (by default the mode's). Returns exchange()'s tuple."""
    path = path or ("synack_reused" if mode == "auto" else "synack_copy_forced")
    set_mode(mode)
    before = _last or stats()
    got = exchange(frame, sp)
    if got[0] is None:
        fail(f"{what}: the SYN was not seen leaving the client")
        return (frame, None, got[2], got[3])
    check_synack(got[0], got[1], what, **kw)
    expect_moved(before, {"syn_recv": 1, "syn_answered": 1, path: 1}, what)
    return got


# ---- cases ------------------------------------------------------------------

def case_same():
    """Case 1: synack auto and synack copy answer one SYN alike."""
    for kind, sp, isn, want in (("none", 40001, 0x11223344, []),
                                ("all", 40002, 0xfedcba98, ["ts", "sack"])):
        got = {}
        for mode in ("auto", "copy"):
            got[mode] = answer(mode, syn_frame(sp, isn, kind), sp,
                               f"options {kind}, {mode}")
        same(got["auto"], got["copy"], f"options {kind}: auto vs copy")
        complete(got["copy"], f"options {kind}", want)


def case_csum():
    """Case 2: checksums of both paths with TX offload off; with it on,
    the TCP checksum is the pseudo-header sum a device would finish."""
    k = server("ethtool", "-k", SERVER_DEV)
    if "tx-checksumming: off" not in k:
        fail(f"TX checksum offload is not off on {SERVER_DEV}")
    sp = 41000
    l3 = "dst" if V6 else "nop"
    for mode in ("auto", "copy"):
        for kind, extra, path in (("none", {}, None), ("all", {}, None),
                                  ("nots", {"payload": 100}, None),
                                  ("all", {"l3": l3}, "synack_copy_opts")):
            sp += 1
            what = f"{mode}, options {kind} {extra or ''}"
            p = path if mode == "auto" else None
            sa = answer(mode, syn_frame(sp, 1000 + sp, kind, **extra),
                        sp, what, path=p)[1]
            if sa is not None:
                a = Seg(sa)
                info(f"{what}: IP checksum "
                     f"{'ok' if a.ip_csum_ok() else 'BAD'}, TCP checksum "
                     f"{a.csum:#06x} {'ok' if a.tcp_csum_ok() else 'BAD'}")
    # With TX checksum offload on, the capture on the veth peer shows what
    # the device was handed: the pseudo-header sum, not the checksum. That
    # also shows the checks above can fail.
    server("ethtool", "-K", SERVER_DEV, "tx", "on")
    try:
        for mode in ("auto", "copy"):
            sp += 1
            got = answer(mode, syn_frame(sp, 7, "all"), sp,
                         f"{mode}, TX offload on", csum=False)
            sa = got[1]
            if sa is None:
                continue
            a = Seg(sa)
            if a.tcp_csum_ok() or a.csum != a.pseudo_sum():
                fail(f"{mode}, TX offload on: TCP checksum {a.csum:#06x}, "
                     f"want the unfinished pseudo-header sum "
                     f"{a.pseudo_sum():#06x} (CHECKSUM_PARTIAL)")
            else:
                info(f"{mode}, TX offload on: TCP checksum left to the "
                     f"device ({a.csum:#06x}), IP checksum "
                     f"{'ok' if a.ip_csum_ok() else 'BAD'}")
            if not a.ip_csum_ok():
                fail(f"{mode}, TX offload on: bad IP checksum")
    finally:
        server("ethtool", "-K", SERVER_DEV, "tx", "off")
    complete(got, "TX offload on, copy")


def case_tap():
    """Case 3: the SYN's buffer becomes the SYN-ACK, yet a packet socket on
    the input device that still holds it reads the SYN as it arrived."""
    # Files of its own: an earlier run's (the other family's) would answer.
    out = os.path.join(TMP, f"tap-{FAM}-{os.getpid()}")
    tap = subprocess.Popen(["ip", "netns", "exec", SERVER_NS, sys.executable,
                            os.path.abspath(__file__), "tapserver",
                            SERVER_DEV, out])
    try:
        if not wait_file(out + ".ready"):
            fail("the packet socket on the server did not start")
            return
        sp = 42000
        for mode, kind, extra in (("auto", "none", {}), ("auto", "all", {}),
                                  ("auto", "nots", {"payload": 100}),
                                  ("auto", "nots", {"payload": 1200}),
                                  ("copy", "all", {})):
            sp += 1
            what = f"{mode}, options {kind} {extra or ''}"
            got = answer(mode, syn_frame(sp, 0x7000 + sp, kind, **extra),
                         sp, what)
            # Only now, with the SYN-ACK received, does the socket read.
            open(f"{out}.go{sp}", "w").close()
            if not wait_file(f"{out}.{sp}"):
                fail(f"{what}: the packet socket read nothing")
                continue
            check_tap(json.load(open(f"{out}.{sp}")), got, sp, what)
    finally:
        open(out + ".stop", "w").close()
        tap.wait(timeout=60)
    complete(got, "after the packet socket", ["ts", "sack"])


def wait_file(path, timeout=60):
    end = time.time() + timeout
    while not os.path.exists(path):
        if time.time() > end:
            return False
        time.sleep(0.05)
    return True


def check_tap(frames, got, sp, what):
    """What the server's packet socket read: the SYN as sent, the SYN-ACK
    as received."""
    syn, sa = got[0], got[1]

    def ours(f, sport):
        b = bytes.fromhex(f["frame"])
        return len(b) > 40 and b[12:14] == syn[12:14] and \
            Seg(b).sport == sport
    # A SYN whose buffer was rewritten under the socket would read as a
    # segment from PORT (or not at all): look for both.
    rx = [bytes.fromhex(f["frame"]) for f in frames
          if f["pkttype"] == 0 and (ours(f, sp) or ours(f, PORT))]
    tx = [bytes.fromhex(f["frame"]) for f in frames
          if f["pkttype"] == 4 and ours(f, PORT)]
    if rx != [syn]:
        seen = [(f["pkttype"], Seg(bytes.fromhex(f["frame"])).ethertype,
                 Seg(bytes.fromhex(f["frame"])).sport) for f in frames]
        fail(f"{what}: the server's packet socket read "
             f"{[b.hex() for b in rx]} arriving, not the SYN {syn.hex()} "
             f"(all it read, as pkttype/ethertype/sport: {seen})")
    elif sa is not None and tx != [sa]:
        fail(f"{what}: the server's packet socket read "
             f"{[b.hex() for b in tx]} leaving, not the SYN-ACK {sa.hex()}")
    else:
        info(f"{what}: the server's packet socket read the SYN "
             f"({len(syn)} bytes) and the SYN-ACK ({len(sa or b'')} bytes) "
             "as the client sent and got them")


def case_l3opts():
    """Case 4: a SYN with IP options or extension headers is answered on
    the copy path, with the SYN-ACK of the same SYN without them."""
    variants = ("dst", "hbh") if V6 else ("nop", "ra")
    for kind, sp, isn in (("nots", 43001, 0x43434343),
                          ("all", 43002, 0x12345678)):
        ref = answer("auto", syn_frame(sp, isn, kind), sp,
                     f"options {kind}, no IP options")
        last = ref
        for l3 in variants:
            for mode in ("auto", "copy"):
                what = f"options {kind}, {l3} header, {mode}"
                frame = syn_frame(sp, isn, kind, l3=l3)
                if len(frame) <= len(syn_frame(sp, isn, kind)):
                    fail(f"{what}: scapy built no {l3} header")
                got = answer(mode, frame, sp, what,
                             path="synack_copy_opts" if mode == "auto" else None)
                if got[0] is not None and not Seg(got[0]).l3opts:
                    fail(f"{what}: the SYN sent had no options")
                same(ref, got, f"{what} vs none")
                last = got
        complete(last, f"options {kind}, {variants[-1]} header")


def case_payload():
    """Case 5: data on the SYN is trimmed: ack = ISN + 1, no payload, the
    SYN-ACK of the same SYN without data."""
    for kind, sp, isn in (("nots", 44001, 0xfffffff0),
                          ("all", 44002, 0x2468ace0)):
        ref = answer("auto", syn_frame(sp, isn, kind), sp,
                     f"options {kind}, no data")
        for n in (100, 1200):
            for mode in ("auto", "copy"):
                what = f"options {kind}, {n} bytes of data, {mode}"
                got = answer(mode, syn_frame(sp, isn, kind, payload=n), sp,
                             what)
                if got[0] is not None and Seg(got[0]).payload != n:
                    fail(f"{what}: the SYN sent carried "
                         f"{Seg(got[0]).payload} bytes")
                same(ref, got, f"{what} vs none")
                last = got
        # The data itself was not taken: the client sends it again.
        complete(last, f"options {kind}, after data on the SYN")


def nft_counters():
    out = json.loads(server("nft", "-j", "list", "counters", "table", "inet",
                            "xsp_t"))
    return {c["counter"]["name"]: c["counter"]["packets"]
            for c in out["nftables"] if "counter" in c}


def ct_entries(sp):
    fam = "ipv6" if V6 else "ipv4"
    out = server("conntrack", "-L", "-f", fam, "-p", "tcp", "--sport",
                 str(sp), "--dport", str(PORT), check=False)
    return [line for line in out.splitlines() if line.strip()]


def case_marktos():
    """Case 6: the SYN marked 0x77 in PREROUTING, sent with DSCP EF and
    ECT(0) (0xba): mark and TOS of the SYN-ACK as the stack chooses them,
    untracked, the same on both paths."""
    sp = 45000
    for fwmark, reflect in ((0, 0), (1, 1)):
        sysctl("net.ipv4.tcp_fwmark_accept", fwmark)
        sysctl("net.ipv4.tcp_reflect_tos", reflect)
        tos = 0xb8 if reflect else 0
        sp += 1
        got = {}
        for mode in ("auto", "copy"):
            what = f"fwmark_accept={fwmark} reflect_tos={reflect}, {mode}"
            n0 = nft_counters()
            got[mode] = answer(mode, syn_frame(sp, 0x4500 + sp, "nots",
                                               tos=0xba), sp, what, tos=tos)
            n1 = nft_counters()
            d = {k: n1[k] - n0.get(k, 0) for k in n1}
            want = {"syn_marked": 1, "sa_all": 1, "sa_untracked": 1,
                    "sa_mark77": fwmark, "sa_mark0": 1 - fwmark}
            if d != want:
                fail(f"{what}: nft counters moved {d}, want {want}")
            else:
                info(f"{what}: SYN-ACK mark {'0x77' if fwmark else '0'}, "
                     f"untracked, TOS {tos:#x} (nft {d})")
        same(got["auto"], got["copy"],
             f"fwmark_accept={fwmark} reflect_tos={reflect}: auto vs copy")
        # The SYN's entry was never confirmed: freed with it.
        ct = ct_entries(sp)
        if ct:
            fail(f"fwmark_accept={fwmark} reflect_tos={reflect}: conntrack "
                 f"entries for the SYNs answered: {ct}")
        if fwmark and reflect:
            # The accepted socket carries the SYN's mark.
            complete(got["copy"], f"fwmark_accept={fwmark}",
                     ["fwmark:0x77"])


def tapserver(iface, out):
    """A packet socket on iface that reads nothing until out.goN exists,
    then what it holds into out.N; until out.stop exists."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((iface, 0))
    s.setblocking(False)
    open(out + ".ready", "w").close()
    d, base = os.path.split(out)
    end = time.time() + 600
    while not os.path.exists(out + ".stop") and time.time() < end:
        gos = [f for f in os.listdir(d) if f.startswith(base + ".go")]
        if not gos:
            time.sleep(0.05)
            continue
        frames = []
        while True:
            try:
                data, addr = s.recvfrom(65535)
            except BlockingIOError:
                break
            frames.append({"pkttype": addr[2], "frame": data.hex()})
        for g in gos:
            n = g[len(base) + 3:]
            with open(f"{out}.tmp", "w") as f:
                json.dump(frames, f)
            os.rename(f"{out}.tmp", f"{out}.{n}")
            os.unlink(os.path.join(d, g))


CASES = {"same": case_same, "csum": case_csum, "tap": case_tap,
         "l3opts": case_l3opts, "payload": case_payload,
         "marktos": case_marktos}


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "tapserver":
        tapserver(sys.argv[2], sys.argv[3])
        return
    cases = sys.argv[1:]
    if not cases or any(c not in CASES for c in cases):
        print(__doc__)
        sys.exit(2)
    t = time.time()
    load_scapy()
    info(f"scapy loaded in {time.time() - t:.1f} s")
    for c in cases:
        t, n = time.time(), len(failures)
        info(f"case {c}")
        CASES[c]()
        info(f"case {c}: {len(failures) - n} problem(s), {time.time() - t:.1f} s")
    finish()


main()
