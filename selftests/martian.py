# SPDX-License-Identifier: GPL-2.0
"""SYNs from sources and to destinations the stack never answers (run by
martian.sh in the client namespace).

For rp_filter 1 and 0, every probe is sent twice: with the port
unprotected (the module loaded, no port: what the stack does) and
protected. Each probe has its own source port, so the SYN-ACKs captured on
every interface of the server (tcpdump -i any) and the TCP frames to L2
broadcast or multicast addresses captured on the client's veth are told
apart by port. Asserted per probe: the protected run answers exactly where
the stack answers, and where the stack does not, syn_answered does not
move and no SYN-ACK leaves. A control probe from the client's own address
must be answered in both runs, so that silence means something.
"""
import os
import re
import subprocess
import time

from scapy.all import Ether, IP, TCP, get_if_hwaddr, sendp  # noqa: E402

import xsp_scapy as x

PORT = 443
IFACE = "veth-c"
SERVER = x.SERVER
CLIENT = os.environ["CLIENT_IP"]
BCAST = os.environ["SUBNET_BCAST"]
RPF_SRC = os.environ["RPF_SRC"]
SERVER_MAC = os.environ["SERVER_MAC"]
CLIENT_MAC = get_if_hwaddr(IFACE)
L2_BCAST = "ff:ff:ff:ff:ff:ff"
L2_ALLHOSTS = "01:00:5e:00:00:01"

# name, IP source, IP destination, Ethernet destination
CASES = [
    ("control: SYN from the client's address", CLIENT, SERVER, SERVER_MAC),
    ("SYN from 255.255.255.255", "255.255.255.255", SERVER, SERVER_MAC),
    (f"SYN from the subnet broadcast {BCAST}", BCAST, SERVER, SERVER_MAC),
    ("SYN from 224.0.0.1", "224.0.0.1", SERVER, SERVER_MAC),
    ("SYN from 0.0.0.0", "0.0.0.0", SERVER, SERVER_MAC),
    ("SYN from 127.0.0.1", "127.0.0.1", SERVER, SERVER_MAC),
    (f"SYN from {RPF_SRC}, routed via another interface (rp_filter)",
     RPF_SRC, SERVER, SERVER_MAC),
    (f"SYN to the subnet broadcast {BCAST} (L2 broadcast)",
     CLIENT, BCAST, L2_BCAST),
    (f"SYN to the subnet broadcast {BCAST} (server's MAC)",
     CLIENT, BCAST, SERVER_MAC),
    ("SYN to 255.255.255.255 (L2 broadcast)", CLIENT, "255.255.255.255",
     L2_BCAST),
    ("SYN to 224.0.0.1 (L2 multicast)", CLIENT, "224.0.0.1", L2_ALLHOSTS),
]

SYNACK = "tcp[tcpflags] & (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack)"
TMP = os.environ.get("XSP_TMP", "/tmp")


class Capture:
    """tcpdump in the background, text lines to a file."""

    def __init__(self, name, cmd):
        self.out = os.path.join(TMP, f"{name}.txt")
        err = os.path.join(TMP, f"{name}.err")
        self.p = subprocess.Popen(cmd, stdout=open(self.out, "w"),
                                  stderr=open(err, "w"))
        for _ in range(150):
            if "listening on" in open(err).read():
                break
            time.sleep(0.2)

    def stop(self):
        time.sleep(0.5)
        self.p.terminate()
        self.p.wait()
        return open(self.out).read().splitlines()


def set_rp(v):
    x.server(["sysctl", "-qw", f"net.ipv4.conf.all.rp_filter={v}",
              f"net.ipv4.conf.veth-s.rp_filter={v}"])


def moved(before, after):
    """The totals that moved (the per-family objects, "ipv4" and "ipv6",
    repeat them)."""
    return {k: after[k] - before[k] for k in after
            if not isinstance(after[k], dict) and after[k] != before[k]}


def run_phase(rp, protected, base):
    """Send every probe once; per probe: counters moved, where SYN-ACKs
    went (interfaces), and whether a TCP frame to an L2 group address
    carried it."""
    x.server(["synctl", "ports", "add" if protected else "del", str(PORT)])
    srv = Capture(f"srv-{rp}-{protected}",
                  ["ip", "netns", "exec", x.SERVER_NS, "tcpdump", "-i", "any",
                   "-nn", "-l", SYNACK])
    cli = Capture(f"cli-{rp}-{protected}",
                  ["tcpdump", "-i", IFACE, "-nn", "-l", "-e",
                   "(ether broadcast or ether multicast) and tcp"])
    res = []
    for i, (_, src, dst, mac) in enumerate(CASES):
        sp = base + i
        before = x.stats()
        sendp(Ether(src=CLIENT_MAC, dst=mac) /
              IP(src=src, dst=dst, ttl=64) /
              TCP(sport=sp, dport=PORT, flags="S", seq=1000 + i,
                  options=[("MSS", 1460)]), iface=IFACE)
        time.sleep(0.4)
        res.append({"sport": sp, "moved": moved(before, x.stats()),
                    "ifaces": set(), "l2group": False})
    time.sleep(1.5)
    for line in srv.stop():
        m = re.search(r"^\S+\s+(\S+)\s+Out\s+IP \S+\.\d+ > \S+\.(\d+):", line) \
            or re.search(r"^\S+\s+(\S+)?\s*IP \S+\.\d+ > \S+\.(\d+):", line)
        if m and base <= int(m.group(2)) < base + len(CASES):
            res[int(m.group(2)) - base]["ifaces"].add(m.group(1) or "?")
    for line in cli.stop():
        m = re.search(r"\.(\d+): Flags \[S\.", line)
        if m and base <= int(m.group(1)) < base + len(CASES):
            res[int(m.group(1)) - base]["l2group"] = True
    return res


def describe(r):
    if not r["ifaces"]:
        return "no SYN-ACK"
    where = ",".join(sorted(r["ifaces"]))
    return f"SYN-ACK via {where}" + (" to an L2 group address"
                                      if r["l2group"] else "")


def main():
    table = []
    for n, rp in enumerate((1, 0)):
        set_rp(rp)
        stack = run_phase(rp, False, 20000 + 200 * n)
        ours = run_phase(rp, True, 20100 + 200 * n)
        for (name, *_), s, o in zip(CASES, stack, ours):
            ans = o["moved"].get("syn_answered", 0)
            why = []
            if bool(s["ifaces"]) != bool(o["ifaces"]) or \
               s["l2group"] != o["l2group"]:
                why.append(f"stack: {describe(s)}, protected: {describe(o)}")
            if not s["ifaces"] and ans:
                why.append(f"syn_answered moved by {ans} where the stack "
                           "does not answer")
            if o["l2group"] and ans:
                why.append("the module sent a SYN-ACK to an L2 group address")
            if name.startswith("control") and \
               (not s["ifaces"] or not o["ifaces"] or ans != 1):
                why.append("the control probe was not answered "
                           f"(stack: {describe(s)}, syn_answered +{ans})")
            x.result(not why, f"rp_filter={rp}: {name}: answered as the "
                     "stack answers", "; ".join(why))
            moved_s = " ".join(f"{k}+{v}" for k, v in sorted(o["moved"].items()))
            print(f"#   stack: {describe(s)}; protected: {describe(o)}; "
                  f"counters: {moved_s or 'none'}", flush=True)
            table.append((rp, name, describe(s), describe(o)))
    print("# summary (rp_filter, probe, unprotected, protected):", flush=True)
    for rp, name, s, o in table:
        print(f"#   {rp} | {name} | {s} | {o}", flush=True)
    x.finish()


main()
