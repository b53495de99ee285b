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

The families run are those of MARTIAN_FAMILIES ("4 6"). Over IPv6 the
same, with IPv6's own martians and, for rp_filter, which IPv6 does not
have, the usual nft rule in its place (`fib saddr . iif oif missing drop`
in PREROUTING) and no rule. There the SYN-ACKs must also leave by the same
interfaces in both runs, and each probe says which module counters its
protected run must move: none (the SYN never reached the module),
syn_not_local, syn_no_route or syn_answered (besides syn_recv and the
SYN-ACK path counters).
"""
import os
import re
import subprocess
import time

from scapy.arch import get_if_hwaddr  # noqa: E402
from scapy.layers.inet import IP, TCP  # noqa: E402
from scapy.layers.inet6 import IPv6  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.sendrecv import sendp  # noqa: E402

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
CASES4 = [
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

# IPv6: name, source, destination, Ethernet destination, and the verdict
# counters of the protected run with the reverse-path rule and without
# (SAME: as with it); () for none at all, not even syn_recv.
SERVER6 = os.environ.get("SERVER_IP6")
CLIENT6 = os.environ.get("CLIENT_IP6")
SERVER_LL = os.environ.get("SERVER_LL")
CLIENT_LL = os.environ.get("CLIENT_LL")
RPF_SRC6 = os.environ.get("RPF_SRC6")
ANYCAST6 = os.environ.get("ANYCAST6")
L2_ALLNODES = "33:33:00:00:00:01"
SAME = "same"
CASES6 = [
    ("control: SYN from the client's address", CLIENT6, SERVER6, SERVER_MAC,
     ("syn_answered",), SAME),
    ("SYN from ff02::1", "ff02::1", SERVER6, SERVER_MAC, (), SAME),
    ("SYN from ::", "::", SERVER6, SERVER_MAC, (), ("syn_no_route",)),
    ("SYN from ::1", "::1", SERVER6, SERVER_MAC, (), SAME),
    (f"SYN from the v4-mapped ::ffff:{CLIENT}", f"::ffff:{CLIENT}", SERVER6,
     SERVER_MAC, (), ("syn_not_local",)),
    (f"SYN from {RPF_SRC6}, routed via another interface (reverse path)",
     RPF_SRC6, SERVER6, SERVER_MAC, (), ("syn_answered",)),
    ("SYN to ff02::1 (L2 multicast)", CLIENT6, "ff02::1", L2_ALLNODES,
     ("syn_not_local",), SAME),
    ("SYN to ff02::1 (server's MAC)", CLIENT6, "ff02::1", SERVER_MAC,
     ("syn_not_local",), SAME),
    (f"SYN to the subnet-router anycast {ANYCAST6}", CLIENT6, ANYCAST6,
     SERVER_MAC, ("syn_not_local",), SAME),
    (f"SYN to the server's link-local {SERVER_LL} from {CLIENT_LL}",
     CLIENT_LL, SERVER_LL, SERVER_MAC, ("syn_answered",), SAME),
]
# Not verdicts: every SYN the module sees, and the path each SYN-ACK took.
NOT_VERDICTS = ("syn_recv", "synack_reused")

# tcp[] is IPv4's only: an IPv6 SYN-ACK (no extension header) by offset.
SYNACK = "tcp[tcpflags] & (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack) or " \
    "(ip6[6] == 6 and ip6[53] & 0x12 == 0x12)"
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


RPF6 = """table ip6 xsp_rpf {
	chain pre {
		type filter hook prerouting priority raw; policy accept;
		fib saddr . iif oif missing counter drop
	}
}
"""


def set_rpf6(on):
    """IPv6's strict reverse-path check, as nft does it, or none."""
    x.server(["nft", "delete", "table", "ip6", "xsp_rpf"])
    if on:
        subprocess.run(["ip", "netns", "exec", x.SERVER_NS, "nft", "-f", "-"],
                       input=RPF6, text=True, check=True)


def verdicts(m):
    """The counters of a protected run that say what the module did."""
    return tuple(sorted(k for k in m if k not in NOT_VERDICTS and
                        not k.startswith("synack_copy_")))


def moved(before, after):
    """The totals that moved (the per-family objects, "ipv4" and "ipv6",
    repeat them)."""
    return {k: after[k] - before[k] for k in after
            if not isinstance(after[k], dict) and after[k] != before[k]}


def run_phase(rp, protected, base, cases):
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
    for i, (_, src, dst, mac, *_) in enumerate(cases):
        sp = base + i
        before = x.stats()
        l3 = IPv6(src=src, dst=dst, hlim=64) if ":" in dst else \
            IP(src=src, dst=dst, ttl=64)
        sendp(Ether(src=CLIENT_MAC, dst=mac) / l3 /
              TCP(sport=sp, dport=PORT, flags="S", seq=1000 + i,
                  options=[("MSS", 1460)]), iface=IFACE)
        time.sleep(0.4)
        res.append({"sport": sp, "moved": moved(before, x.stats()),
                    "ifaces": set(), "l2group": False})
    time.sleep(1.5)
    for line in srv.stop():
        m = re.search(r"^\S+\s+(\S+)\s+Out\s+IP6? \S+\.\d+ > \S+\.(\d+):", line) \
            or re.search(r"^\S+\s+(\S+)?\s*IP6? \S+\.\d+ > \S+\.(\d+):", line)
        if m and base <= int(m.group(2)) < base + len(cases):
            res[int(m.group(2)) - base]["ifaces"].add(m.group(1) or "?")
    for line in cli.stop():
        m = re.search(r"\.(\d+): Flags \[S\.", line)
        if m and base <= int(m.group(1)) < base + len(cases):
            res[int(m.group(1)) - base]["l2group"] = True
    return res


def describe(r):
    if not r["ifaces"]:
        return "no SYN-ACK"
    where = ",".join(sorted(r["ifaces"]))
    return f"SYN-ACK via {where}" + (" to an L2 group address"
                                      if r["l2group"] else "")


def judge(label, cases, stack, ours, v6, rpf6=False):
    """One KTAP line per probe; the summary rows. @rpf6: IPv6's
    reverse-path rule was on (the cases' first verdict column)."""
    rows = []
    for case, s, o in zip(cases, stack, ours):
        name = case[0]
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
        if v6 and s["ifaces"] != o["ifaces"]:
            why.append(f"SYN-ACKs via {sorted(s['ifaces'])} unprotected, "
                       f"via {sorted(o['ifaces'])} protected")
        if v6:
            want = case[4] if rpf6 or case[5] == SAME else case[5]
            got = verdicts(o["moved"])
            if got != tuple(sorted(want)) or \
               (not want and o["moved"].get("syn_recv", 0)):
                why.append(f"counters moved: {sorted(o['moved'].items())}, "
                           f"want {', '.join(want) or 'none'}")
        x.result(not why, f"{label}: {name}: answered as the stack answers",
                 "; ".join(why))
        moved_s = " ".join(f"{k}+{v}" for k, v in sorted(o["moved"].items()))
        print(f"#   stack: {describe(s)}; protected: {describe(o)}; "
              f"counters: {moved_s or 'none'}", flush=True)
        rows.append((label, name, describe(s), describe(o), moved_s or "none"))
    return rows


def main():
    table = []
    fams = os.environ.get("MARTIAN_FAMILIES", "4").split()
    if "4" in fams:
        for n, rp in enumerate((1, 0)):
            set_rp(rp)
            stack = run_phase(rp, False, 20000 + 200 * n, CASES4)
            ours = run_phase(rp, True, 20100 + 200 * n, CASES4)
            table += judge(f"rp_filter={rp}", CASES4, stack, ours, False)
    if "6" in fams:
        x.use(SERVER6, CLIENT6, SERVER_MAC)
        for n, on in enumerate((True, False)):
            set_rpf6(on)
            label = "fib saddr . iif oif missing drop" if on else \
                "no reverse-path rule"
            stack = run_phase(f"6-{n}", False, 21000 + 200 * n, CASES6)
            ours = run_phase(f"6-{n}", True, 21100 + 200 * n, CASES6)
            table += judge(label, CASES6, stack, ours, True, on)
        set_rpf6(False)
    print("# summary (reverse-path check, probe, unprotected, protected, "
          "protected counters):", flush=True)
    for row in table:
        print("#   " + " | ".join(str(c) for c in row), flush=True)
    x.finish()


main()
