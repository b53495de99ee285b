# SPDX-License-Identifier: GPL-2.0
"""Crafted packets against a protected port (run by crafted.sh).

Every case asserts on what comes back on the wire, on the server's sockets
(ss) and on the module's counters.
"""
import random
import re
import time

from scapy.all import IP, TCP, Raw, conf, fragment, raw, send, sniff, sr1  # noqa: E402
from scapy.layers.inet import in4_chksum  # noqa: E402

import xsp_scapy as x

PORT = 443
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
    if x.opt(sa, "MSS") is None:
        why.append("no MSS in SYN-ACK")
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
    data = IP(dst=x.SERVER) / TCP(sport=sp, dport=PORT, seq=isn + 1,
                                  ack=t.seq + 1, flags="PA", window=65535)
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
    check_combo("none", mss=None, expect_mss=536)
    check_combo("MSS only", expect_mss=1460)
    check_combo("MSS 1400", mss=1400, expect_mss=1400)
    check_combo("wscale 0", ws=0)
    check_combo("wscale 7", ws=7)
    check_combo("wscale 14", ws=14)
    check_combo("SACK", sack=True)
    check_combo("timestamps", ts=True, expect_mss=1460)
    check_combo("ECN", ecn=True)
    check_combo("all", ws=7, sack=True, ts=True, ecn=True, expect_mss=1460)


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
    """Send n forged ACKs built by mk(); none may get a reply or a socket."""
    before = x.stats()
    replies = 0
    sps = []
    for _ in range(n):
        pkt, sp = mk()
        sps.append(sp)
        if not x.no_reply(pkt):
            replies += 1
    time.sleep(0.5)
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
    return IP(dst=x.SERVER) / TCP(sport=sp, dport=PORT, seq=isn + 1,
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
    ip = IP(dst=x.SERVER, proto=6)
    b = bytearray(b)
    if len(b) >= 18:
        b[16:18] = b"\0\0"
        pseudo = IP(src=IP(raw(ip)).src, dst=x.SERVER, proto=6)
        b[16:18] = in4_chksum(6, pseudo, bytes(b)).to_bytes(2, "big")
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
    got = sniff(iface=conf.route.route(x.SERVER)[0],
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


def main():
    random.seed()
    test_options()
    data_case("data on the ACK reaches the application", False)
    data_case("pure ACK lost, first data segment completes", True)
    test_forged()
    test_stale()
    test_syn_to_socket()
    test_malformed()
    x.finish()


main()
