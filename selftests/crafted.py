# SPDX-License-Identifier: GPL-2.0
"""Crafted packets against a protected port (run by crafted.sh), once per
address family: XSP_PAIRS lists "server=client" address pairs, one per
family, in the order to run them.

Every case asserts on what comes back on the wire, on the server's sockets
(ss) and on the module's counters of the family (x.delta); each family's
run ends by checking that the other family's counters did not move.
"""
import os
import random
import re
import time

from scapy.compat import raw  # noqa: E402
from scapy.layers.inet import IP, TCP, fragment, in4_chksum  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402
from scapy.sendrecv import send, sendp, sniff, sr1  # noqa: E402
from scapy.layers.inet6 import (IPv6, IPv6ExtHdrDestOpt,  # noqa: E402
                                IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                                IPv6ExtHdrRouting, HBHOptUnknown, PadN,
                                ICMPv6DestUnreach, ICMPv6PacketTooBig,
                                ICMPv6ParamProblem, ICMPv6TimeExceeded,
                                fragment6, in6_chksum)

import xsp_scapy as x

PORT = 443
OPEN_PORT = 444         # a listener the module does not protect
TSV = 123456


def opts_for(mss=1460, ws=None, sack=False, ts=False):
    o = []
    if mss is not None:
        o.append(("MSS", mss))
    if sack:
        o.append(("SAckOK", b""))
    if ts:
        o.append(("Timestamp", (TSV, 0)))
    if ws is not None:
        o += [("NOP", None), ("WScale", ws)]
    return o


def check_combo(desc, mss=1460, ws=None, sack=False, ts=False, ecn=False,
                expect_mss=None):
    before = x.stats()
    sa, sp, isn = x.handshake(PORT, opts_for(mss, ws, sack, ts), ecn=ecn)
    why = []
    if sa is None:
        x.result(False, f"options {desc}", "no SYN-ACK")
        return
    t = sa[TCP]
    if t.flags & 0x12 != 0x12 or t.ack != (isn + 1) & 0xffffffff:
        why.append(f"bad SYN-ACK flags={t.flags} ack={t.ack}")
    if x.opt(sa, "MSS") != x.LINK_MSS:
        why.append(f"SYN-ACK MSS {x.opt(sa, 'MSS')}, not the route's "
                   f"{x.LINK_MSS}")
    if (x.opt(sa, "WScale") is not None) != (ws is not None):
        why.append(f"WScale in SYN-ACK {x.opt(sa, 'WScale')} offered {ws}")
    if (x.opt(sa, "SAckOK") is not None) != sack:
        why.append("SACK-permitted mismatch")
    tso = x.opt(sa, "Timestamp")
    if (tso is not None) != ts:
        why.append("timestamp option mismatch")
    if ts and tso and tso[1] != TSV:
        why.append(f"TSecr {tso[1]} != {TSV}")
    if bool(t.flags & 0x40) != ecn:
        why.append(f"ECE in SYN-ACK {bool(t.flags & 0x40)} wanted {ecn}")

    line = x.wait_established(sp, PORT)
    if not line:
        why.append("no established socket on the server")
    else:
        if ws is not None:
            m = re.search(r"wscale:(\d+),(\d+)", line)
            if not m or int(m.group(1)) != ws or \
               int(m.group(2)) != x.opt(sa, "WScale"):
                why.append(f"server wscale {m and m.group(0)} "
                           f"want {ws},{x.opt(sa, 'WScale')}")
        elif "wscale" in line:
            why.append("server has wscale without option")
        if ("sack" in line.split()) != sack:
            why.append(f"server sack mismatch: {line}")
        if (" ts " in f" {line} ") != ts:
            why.append(f"server ts mismatch: {line}")
        if ("ecn" in line.split()) != ecn:
            why.append(f"server ecn mismatch: {line}")
        if expect_mss is not None:
            m = re.search(r"\bmss:(\d+)", line)
            want = expect_mss - (12 if ts else 0)
            if not m or int(m.group(1)) != want:
                why.append(f"server mss {m and m.group(1)} want {want}")

    # The server's first segment continues the cookie ISN: no translation,
    # and its TSval continues from the SYN-ACK's.
    data = x.ip() / TCP(sport=sp, dport=PORT, seq=isn + 1, ack=t.seq + 1,
                        flags="PA", window=65535)
    if ts:
        data[TCP].options = [("NOP", None), ("NOP", None),
                             ("Timestamp", (TSV + 10, tso[0]))]
    r = sr1(data / Raw(b"ping\n"), timeout=x.REPLY_TIMEOUT)
    if r is None or not r.haslayer(TCP):
        why.append("no answer to data")
    else:
        if r[TCP].seq != (t.seq + 1) & 0xffffffff:
            why.append(f"server seq {r[TCP].seq} != cookie ISN+1 {t.seq + 1}")
        if ts:
            rts = x.opt(r, "Timestamp")
            if not rts or not 0 <= (rts[0] - tso[0]) & 0xffffffff < 600000:
                why.append(f"server TSval {rts} does not continue {tso[0]}")
    after = x.stats()
    if x.delta(before, after, "syn_answered") < 1 or \
       x.delta(before, after, "cookie_valid") < 1 or \
       x.delta(before, after, "syn_replayed") < 1 or \
       x.delta(before, after, "synack_rewritten") < 1:
        why.append(f"counters did not move: {after}")
    x.result(not why, f"options {desc}", "; ".join(why))


def test_options():
    # The cookie's MSS table (IPv4 536 ... 1460, IPv6 1220 ... 1440): no
    # option is the family's default, 1460 is the link's MSS (IPv6: 1440
    # is the largest entry not above it), an MSS between two entries is
    # rounded down.
    check_combo("none", mss=None, expect_mss=x.DEFAULT_MSS)
    check_combo("MSS only", expect_mss=x.LINK_MSS)
    check_combo("MSS 1400", mss=1400, expect_mss=1400)
    if x.V6:
        check_combo("MSS 1379 (table: 1340)", mss=1379, expect_mss=1340)
    else:
        check_combo("MSS 1299 (table: 1200)", mss=1299, expect_mss=1200)
    check_combo("wscale 0", ws=0)
    check_combo("wscale 7", ws=7)
    check_combo("wscale 14", ws=14)
    check_combo("SACK", sack=True)
    check_combo("timestamps", ts=True, expect_mss=x.LINK_MSS)
    check_combo("ECN", ecn=True)
    check_combo("all", ws=7, sack=True, ts=True, ecn=True,
                expect_mss=x.LINK_MSS)


def test_header():
    """Our SYN-ACK's network header is what the stack puts on its own (a
    port the module does not protect): TTL or hop limit, TOS or traffic
    class; with IPv6 a flow label when the stack's has one."""
    sas = []
    for port in (PORT, OPEN_PORT):
        sp = x.sport()
        sas.append(sr1(x.syn(port, sp, 77, opts_for()),
                       timeout=x.REPLY_TIMEOUT))
    ours, stack = sas
    if ours is None or stack is None:
        x.result(False, "SYN-ACK header as the stack's",
                 f"SYN-ACKs: ours {ours is not None}, "
                 f"stack {stack is not None}")
        return
    if x.V6:
        got = (ours[IPv6].hlim, ours[IPv6].tc, ours[IPv6].fl != 0)
        want = (stack[IPv6].hlim, stack[IPv6].tc, stack[IPv6].fl != 0)
        what = "hop limit, traffic class, flow label set"
    else:
        got = (ours[IP].ttl, ours[IP].tos)
        want = (stack[IP].ttl, stack[IP].tos)
        what = "TTL, TOS"
    x.result(got == want, f"SYN-ACK header as the stack's ({what})",
             f"ours {got}, the stack's {want}")


def data_case(desc, skip_pure_ack):
    before = x.stats()
    payload = b"hello-" + str(random.random()).encode() + b"\n"
    sa, sp, isn = x.handshake(PORT, opts_for(ws=7, sack=True), payload=payload,
                              skip_pure_ack=skip_pure_ack)
    ok = sa is not None and x.wait_established(sp, PORT) != ""
    after = x.stats()
    ok = ok and x.delta(before, after, "cookie_valid") >= 1
    x.result(ok, desc, f"sa={sa is not None} stats={after}")


def forged(desc, mk, counter="cookie_invalid", n=3):
    """Send n forged ACKs built by mk(); none may get a reply or a socket.
    (Built first, then sent together: one silence window for all.)"""
    made = [mk() for _ in range(n)]
    sps = [sp for _, sp in made]
    before = x.stats()
    got = sniff(iface=x.IFACE,
                filter=f"tcp and src port {PORT} and (" +
                " or ".join(f"dst port {sp}" for sp in sps) + ")",
                started_callback=lambda: send([p for p, _ in made]),
                timeout=x.SILENCE_TIMEOUT)
    replies = len(got)
    after = x.stats()
    sockets = [sp for sp in sps if x.established(sp, PORT)]
    d = x.delta(before, after, counter)
    ok = replies == 0 and not sockets and d == n and \
        x.delta(before, after, "syn_replayed") == 0
    x.result(ok, f"forged ACK dropped and counted: {desc}",
             f"replies={replies} sockets={sockets} {counter}+={d} "
             f"replayed+={x.delta(before, after, 'syn_replayed')}")


def get_synack(sp=None, opts=None):
    sp = sp or x.sport()
    isn = random.randint(0, 2**32 - 1)
    sa = sr1(x.syn(PORT, sp, isn, opts or opts_for(ws=7)),
             timeout=x.REPLY_TIMEOUT)
    return sa, sp, isn


def ack_for(sp, isn, cookie_plus_one, opts=None):
    return x.ip() / TCP(sport=sp, dport=PORT, seq=(isn + 1) & 0xffffffff,
                        ack=cookie_plus_one & 0xffffffff, flags="A",
                        options=opts or [])


def test_forged():
    def rnd():
        sp = x.sport()
        return ack_for(sp, random.getrandbits(32),
                       random.getrandbits(32)), sp
    forged("random", rnd)

    def wrong_cookie():
        sa, sp, isn = get_synack()
        return ack_for(sp, isn, sa[TCP].seq + 2), sp
    forged("right tuple, wrong cookie", wrong_cookie)

    def other_tuple():
        sa, sp, isn = get_synack()
        other = x.sport()
        return ack_for(other, isn, sa[TCP].seq + 1), other
    forged("another tuple's cookie", other_tuple)

    def flipped(bit):
        def mk():
            sa, sp, isn = get_synack()
            return ack_for(sp, isn, (sa[TCP].seq ^ (1 << bit)) + 1), sp
        return mk
    forged("flipped SACK bit", flipped(0), n=2)
    forged("flipped window scale bit", flipped(3), n=2)
    forged("flipped MSS bit", flipped(7), n=2)

    def wrong_isn():
        sa, sp, isn = get_synack()
        return ack_for(sp, isn + 1, sa[TCP].seq + 1), sp
    forged("client ISN changed", wrong_isn)

    def ts_stripped():
        sa, sp, isn = get_synack(opts=opts_for(ts=True))
        return ack_for(sp, isn, sa[TCP].seq + 1), sp
    forged("timestamp option stripped from ACK", ts_stripped)

    def ts_wrong():
        sa, sp, isn = get_synack(opts=opts_for(ts=True))
        tso = x.opt(sa, "Timestamp")
        return ack_for(sp, isn, sa[TCP].seq + 1,
                       [("NOP", None), ("NOP", None),
                        ("Timestamp", (TSV, tso[0] ^ 0x100))]), sp
    forged("TSecr changed", ts_wrong)


def test_every_bit():
    """One SYN-ACK with timestamps, then an ACK for each of its 32 ISN
    bits and each of its 32 TSecr bits flipped: all dropped and counted,
    none answered, no socket; the genuine ACK still completes afterwards."""
    sa, sp, isn = get_synack(opts=opts_for(ws=7, sack=True, ts=True))
    if sa is None:
        x.result(False, "forged ACK dropped and counted: every ISN and "
                 "TSecr bit", "no SYN-ACK")
        return
    cookie, tsval = sa[TCP].seq, x.opt(sa, "Timestamp")[0]

    def ack(c, tsecr):
        return ack_for(sp, isn, c + 1, [("NOP", None), ("NOP", None),
                                        ("Timestamp", (TSV + 1, tsecr))])
    acks = [ack(cookie ^ (1 << b), tsval) for b in range(32)] + \
           [ack(cookie, tsval ^ (1 << b)) for b in range(32)]
    before = x.stats()
    got = sniff(iface=x.IFACE, filter=f"tcp and src port {PORT} and "
                f"dst port {sp}", started_callback=lambda: send(acks),
                timeout=x.SILENCE_TIMEOUT + 2)
    after = x.stats()
    rejected = x.delta(before, after, "cookie_invalid") + \
        x.delta(before, after, "cookie_stale")
    early = x.established(sp, PORT)
    send(ack(cookie, tsval))
    line = x.wait_established(sp, PORT)
    replies = [str(r[TCP].flags) for r in got if TCP in r]
    x.result(not replies and rejected == 64 and not early and line != "" and
             x.delta(before, after, "syn_replayed") == 0,
             "forged ACK dropped and counted: every ISN and TSecr bit; "
             "the genuine ACK completes afterwards",
             f"replies={replies} rejected={rejected} of 64 "
             f"socket before the genuine ACK: {early != ''}, after: "
             f"{line != ''}")


def test_stale():
    """A cookie two to three epochs old is rejected and counted as stale.

    Two-second epochs and a five-second wait: the ACK is stale anywhere
    from four to eight seconds after the SYN-ACK, room for a slow guest.
    """
    x.server(["synctl", "salt", "set", "--epoch-len", "2"])
    try:
        sa, sp, isn = get_synack()
        time.sleep(5)
        before = x.stats()
        quiet = x.no_reply(ack_for(sp, isn, sa[TCP].seq + 1))
        after = x.stats()
        d = x.delta(before, after, "cookie_stale")
        ok = sa is not None and quiet and d == 1 and not x.established(sp, PORT)
        x.result(ok, "forged ACK dropped and counted: stale epoch",
                 f"quiet={quiet} cookie_stale+={d}")
    finally:
        x.server(["synctl", "salt", "set", "--epoch-len", "60"])


def silent(desc, pkt, counter, n=1):
    before = x.stats()
    quiet = all(x.no_reply(pkt) for _ in range(n))
    after = x.stats()
    d = x.delta(before, after, counter) if counter else 0
    ok = quiet and (counter is None or d == n) and \
        x.delta(before, after, "syn_answered") == 0
    x.result(ok, f"no reply: {desc}", f"quiet={quiet} {counter}+={d}")


def tcp_raw(b):
    """An IP packet carrying TCP bytes b with a correct TCP checksum."""
    ip = x.ip(nh=6) if x.V6 else x.ip(proto=6)
    b = bytearray(b)
    if len(b) >= 18:
        b[16:18] = b"\0\0"
        if x.V6:
            csum = in6_chksum(6, IPv6(raw(ip)), bytes(b))
        else:
            pseudo = IP(src=IP(raw(ip)).src, dst=x.SERVER, proto=6)
            csum = in4_chksum(6, pseudo, bytes(b))
        b[16:18] = csum.to_bytes(2, "big")
    return ip / Raw(bytes(b))


def test_malformed():
    sp = x.sport()
    bad = x.syn(PORT, sp, 1000, opts_for())
    bad[TCP].chksum = 0x1234
    silent("bad TCP checksum", bad, "syn_bad_csum")
    silent("SYN+FIN", x.syn(PORT, x.sport(), 1, opts_for(), flags="SF"),
           "syn_malformed")
    silent("SYN+RST", x.syn(PORT, x.sport(), 1, opts_for(), flags="SR"),
           "syn_malformed")

    # Options claiming more bytes than the header has.
    p = x.syn(PORT, x.sport(), 1, [])
    p[TCP].options = []
    b = bytearray(raw(p[TCP]))
    b[12] = (6 << 4)                                 # doff 6: 4 option bytes
    overrun = tcp_raw(bytes(b) + bytes([2, 8, 5, 0]))
    silent("MSS option overrunning the header", overrun, "syn_malformed")

    b2 = bytearray(raw(p[TCP]))
    b2[12] = (15 << 4)                               # doff 15, 20 bytes sent
    silent("data offset beyond the packet",
           tcp_raw(b2), "syn_malformed")
    b3 = bytearray(raw(p[TCP]))
    b3[12] = (3 << 4)                                # doff 3 < 5
    silent("data offset below 5", tcp_raw(b3),
           "syn_malformed")
    silent("truncated TCP header (10 bytes)",
           tcp_raw(bytes(b)[:10]), None)
    zero = bytearray(raw(p[TCP]))
    zero[12] = (6 << 4)
    silent("option length 0",
           tcp_raw(bytes(zero) + bytes([8, 0, 0, 0])),
           "syn_malformed")
    if x.V6:
        return          # IPv6 fragments: test_ipv6_fragments()
    # A whole SYN in two fragments: reassembled, then refused (no client
    # fragments a SYN; a cookie proxy that answered would help evasion).
    frags = fragment(x.syn(PORT, x.sport(), 1, opts_for(ts=True)), fragsize=24)
    before = x.stats()
    send(frags[:-1])
    quiet = x.no_reply(frags[-1])
    after = x.stats()
    d = x.delta(before, after, "syn_fragment")
    x.result(quiet and d == 1 and len(frags) == 2 and
             x.delta(before, after, "syn_answered") == 0,
             "no reply: SYN in two IP fragments",
             f"quiet={quiet} syn_fragment+={d} fragments={len(frags)}")


def test_syn_to_socket():
    """A SYN for a 4-tuple with an established socket is the stack's: it
    answers with a challenge ACK, never the module with a cookie."""
    sa, sp, isn = x.handshake(PORT, opts_for(ws=7, sack=True))
    ok = sa is not None and x.wait_established(sp, PORT) != ""
    before = x.stats()
    syn = x.syn(PORT, sp, (isn + 100000) & 0xffffffff, opts_for(ws=7))
    # A challenge ACK acknowledges the old connection, not this SYN: sr1()
    # would not take it for an answer, so catch whatever comes back.
    got = sniff(iface=x.IFACE,
                filter=f"tcp and src port {PORT} and dst port {sp}",
                started_callback=lambda: send(syn), count=1,
                timeout=x.REPLY_TIMEOUT)
    r = got[0] if got else None
    after = x.stats()
    flags = str(r[TCP].flags) if r is not None and TCP in r else None
    ok = ok and flags == "A" and \
        x.delta(before, after, "syn_to_socket") == 1 and \
        x.delta(before, after, "syn_answered") == 0
    x.result(ok, "SYN for an established 4-tuple gets the stack's challenge ACK",
             f"reply flags={flags} "
             f"syn_to_socket+={x.delta(before, after, 'syn_to_socket')} "
             f"syn_answered+={x.delta(before, after, 'syn_answered')}")


# ---- IPv6 only ----------------------------------------------------------

def exchange(pkts, sp, timeout=None):
    """Send pkts (to the server's MAC) and return what the server sent
    back within timeout (or up to its first SYN-ACK): TCP segments to
    client port sp and ICMPv6 errors."""
    if not isinstance(pkts, list):
        pkts = [pkts]
    frames = [Ether(dst=x.SERVER_MAC) / p for p in pkts]
    got = sniff(iface=x.IFACE,
                filter=f"(tcp and src port {PORT} and dst port {sp}) or "
                       f"(icmp6 and src host {x.SERVER})",
                started_callback=lambda: sendp(frames, iface=x.IFACE),
                stop_filter=lambda p: TCP in p and
                p[TCP].flags & 0x12 == 0x12,
                timeout=timeout or x.SILENCE_TIMEOUT + 1)
    return [p for p in got if TCP in p or
            (ICMPv6ParamProblem in p or ICMPv6DestUnreach in p or
             ICMPv6TimeExceeded in p or ICMPv6PacketTooBig in p)]


def synacks(got):
    return [p for p in got if TCP in p and p[TCP].flags & 0x12 == 0x12]


def v6_syn(sp, ext=None, isn=1000, src=None):
    """A SYN to the protected port behind extension headers ext."""
    kw = {"src": src} if src else {}
    tcp = TCP(sport=sp, dport=PORT, seq=isn, flags="S",
              options=opts_for(ws=7, sack=True), window=64240)
    return x.ip(**kw) / ext / tcp if ext is not None else x.ip(**kw) / tcp


def test_ipv6_exthdr_answered():
    """A SYN behind hop-by-hop, destination-options or a routing header
    with segments left 0 is a SYN like any other (the stack delivers it to
    TCP): answered with a cookie, and the handshake, its ACK behind the
    same header, completes."""
    cases = [
        ("hop-by-hop", IPv6ExtHdrHopByHop(options=[PadN(optdata=b"\0" * 4)])),
        ("destination options",
         IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0" * 4)])),
        ("routing header type 0, segments left 0",
         IPv6ExtHdrRouting(type=0, segleft=0, addresses=[x.CLIENT])),
    ]
    for desc, ext in cases:
        before = x.stats()
        sp = x.sport()
        isn = random.getrandbits(32)
        got = exchange(v6_syn(sp, ext, isn), sp, timeout=x.REPLY_TIMEOUT)
        sa = synacks(got)
        why = []
        if not sa:
            why.append(f"no SYN-ACK (got {[p.summary() for p in got]})")
        else:
            ack = x.ip() / ext / TCP(sport=sp, dport=PORT, seq=isn + 1,
                                     ack=sa[0][TCP].seq + 1, flags="A",
                                     window=65535)
            sendp(Ether(dst=x.SERVER_MAC) / ack, iface=x.IFACE)
            if not x.wait_established(sp, PORT):
                why.append("no established socket on the server")
        after = x.stats()
        m = x.moved(before, after)
        if m.get("syn_answered") != 1 or m.get("synack_rewritten") != 1 or \
           m.get("cookie_valid") != 1:
            why.append(f"counters: {m}")
        x.result(not why, f"SYN behind {desc}: answered, handshake completes",
                 "; ".join(why))


def test_ipv6_fragments():
    """No SYN with a fragment header is answered: an atomic fragment (the
    stack would take it as unfragmented) and a SYN in two real fragments
    (the first carries the whole TCP header). Counted as syn_fragment."""
    sp = x.sport()
    atomic = v6_syn(sp, IPv6ExtHdrFragment(offset=0, m=0,
                                           id=random.getrandbits(32)))
    sp2 = x.sport()
    frags = fragment6(v6_syn(sp2, IPv6ExtHdrFragment(
        id=random.getrandbits(32))), 72)
    for desc, pkts, port in (("atomic fragment", [atomic], sp),
                             ("two fragments", frags, sp2)):
        before = x.stats()
        got = exchange(pkts, port)
        after = x.stats()
        d = x.delta(before, after, "syn_fragment")
        x.result(not got and d == 1 and len(pkts) in (1, 2) and
                 x.delta(before, after, "syn_answered") == 0,
                 f"no reply: SYN with a fragment header ({desc}), counted",
                 f"replies={[p.summary() for p in got]} syn_fragment+={d} "
                 f"fragments={len(pkts)}")


def test_ipv6_bad_chains():
    """Extension header chains that never reach a whole TCP header: the
    stack drops them without a word, and so must the module: no reply, no
    counter of either family moves (and no kernel splat: the runner checks
    the log)."""
    sp = x.sport()
    tcp = raw(TCP(sport=sp, dport=PORT, seq=5, flags="S"))
    dst8 = bytes([60, 0, 1, 4, 0, 0, 0, 0])    # destopts -> destopts, PadN
    cases = [
        ("hop-by-hop header cut short", x.ip(nh=0) / Raw(bytes([6, 0, 1]))),
        ("destination options cut short",
         x.ip(nh=60) / Raw(bytes([6, 0, 1, 4, 0]))),
        ("header length past the end of the packet (2048 bytes claimed)",
         x.ip(nh=60) / Raw(bytes([6, 255, 1, 4, 0, 0, 0, 0]) + tcp)),
        ("40 destination options headers, each naming another, then none",
         x.ip(nh=60) / Raw(dst8 * 40)),
        ("TCP header cut short behind a routing header",
         x.ip(nh=43) / Raw(bytes([6, 0, 0, 0, 0, 0, 0, 0]) + tcp[:12])),
    ]
    for desc, pkt in cases:
        before = x.stats()
        got = exchange(pkt, sp)
        after = x.stats()
        m = x.moved(before, after)
        o = x.moved(before, after, x.OTHER_FAMILY)
        x.result(not got and not m and not o,
                 f"no reply, no counter: {desc}",
                 f"replies={[p.summary() for p in got]} moved={m} {o}")


def test_ipv6_rejected_chains():
    """Chains the stack refuses after LOCAL_IN, when it walks them
    (ip6_protocol_deliver_rcu): it answers with an ICMPv6 parameter
    problem and TCP never sees the SYN. The module must step aside: no
    SYN-ACK, and the stack's ICMPv6 error goes out as without it."""
    cases = [
        ("routing header type 0 with segments left 1",
         IPv6ExtHdrRouting(type=0, segleft=1, addresses=[x.SERVER])),
        ("destination option of unknown type 0x80 (discard, tell sender)",
         IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0x80,
                                                  optdata=b"\0" * 4)])),
        ("hop-by-hop header behind a destination options header",
         IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0" * 4)]) /
         IPv6ExtHdrHopByHop(options=[PadN(optdata=b"\0" * 4)])),
    ]
    for desc, ext in cases:
        before = x.stats()
        sp = x.sport()
        got = exchange(v6_syn(sp, ext), sp)
        after = x.stats()
        sa = synacks(got)
        pp = [p for p in got if ICMPv6ParamProblem in p]
        x.result(not sa and pp and
                 x.delta(before, after, "syn_answered") == 0,
                 f"SYN behind a {desc}: the stack's parameter problem, "
                 "no SYN-ACK",
                 f"replies={[p.summary() for p in got]} "
                 f"moved={x.moved(before, after)}")


def test_ipv6_ah():
    """A SYN behind AH (an SPI with no SA here): like an IPv4 one, the
    segment is xfrm6's to check first, and only what comes out of it (here
    nothing) is the module's to judge. No SYN-ACK, no counter moves (it
    was counted as an unsupported SYN on its first pass, then again
    after xfrm)."""
    sp = x.sport()
    ip = x.ip(nh=51)
    tcp = bytearray(raw(TCP(sport=sp, dport=PORT, seq=7, flags="S",
                            options=opts_for(ws=7, sack=True),
                            window=64240)))
    tcp[16:18] = b"\0\0"
    tcp[16:18] = in6_chksum(6, IPv6(raw(ip)), bytes(tcp)).to_bytes(2, "big")
    # next header TCP, length (24 / 4 - 2), SPI, sequence, 96-bit ICV
    ah = bytes([6, 4, 0, 0]) + (0x5eed).to_bytes(4, "big") + \
        (1).to_bytes(4, "big") + bytes(12)
    before = x.stats()
    got = exchange(ip / Raw(ah + bytes(tcp)), sp)
    after = x.stats()
    m = x.moved(before, after)
    o = x.moved(before, after, x.OTHER_FAMILY)
    x.result(not synacks(got) and not m and not o,
             "SYN behind AH without an SA: no SYN-ACK, no counter",
             f"replies={[p.summary() for p in got]} moved={m} {o}")


def test_ipv6_sources():
    """Sources the stack never answers (ip6_rcv_core() drops multicast and
    loopback sources, tcp_v6_conn_request() refuses v4-mapped ones, and
    there is no route to ::): no SYN-ACK, and the module answers none."""
    for src in ("ff02::1", "::", "::1", "::ffff:" + x.CLIENT4):
        before = x.stats()
        sp = x.sport()
        got = exchange(v6_syn(sp, src=src), sp)
        after = x.stats()
        x.result(not synacks(got) and
                 x.delta(before, after, "syn_answered") == 0,
                 f"no SYN-ACK to source {src}",
                 f"replies={[p.summary() for p in got]} "
                 f"moved={x.moved(before, after)}")


def test_families_apart(start):
    """This run's packets moved this family's counters, not the other's."""
    end = x.stats()
    o = x.moved(start, end, x.OTHER_FAMILY)
    x.result(not o and x.delta(start, end, "syn_answered") > 0,
             f"counters: only the {x.FAMILY} ones moved",
             f"{x.OTHER_FAMILY} moved: {o}")


def run_family():
    start = x.stats()
    test_header()
    test_options()
    data_case("data on the ACK reaches the application", False)
    data_case("pure ACK lost, first data segment completes", True)
    test_forged()
    test_every_bit()
    test_stale()
    test_syn_to_socket()
    test_malformed()
    if x.V6:
        test_ipv6_exthdr_answered()
        test_ipv6_fragments()
        test_ipv6_bad_chains()
        test_ipv6_rejected_chains()
        test_ipv6_ah()
        test_ipv6_sources()
    test_families_apart(start)


def main():
    random.seed()
    for pair in os.environ.get("XSP_PAIRS", x.SERVER).split():
        server, _, client = pair.partition("=")
        x.use(server, client or None, os.environ.get("SERVER_MAC"))
        run_family()
    x.finish()


main()
