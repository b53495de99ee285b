#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Turns the raw results of tools/bench into Documentation/benchmarks.{md,json,png}.

    report.py --raw DIR --series "6.1 6.12" --md F --json F --png F
              [--baseline F]

DIR holds host.txt, cookie.txt and one directory per kernel series with the
guest's raw.jsonl (bench/guest.sh: one line per measurement window and run)
and perf-*.txt. Every figure here is computed from those per-run records:
a figure is the median over the runs with min-max; a ratio between two
contenders is computed per run from that run's two values, then its median
and min-max over the runs are given.

Before anything is written, every record is checked: a missing
measurement (run, contender, family, phase, offered rate), a window
without a fresh host CPU sample (bench/hostcpu.py's file missing, stale or
not advancing with the window), a zero vCPU time or a zero packet counter
makes it exit 1 with the list of problems. A MISS against a target does
not fail it; it prints PASS/MISS lines on stdout.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

CONTENDERS = ["none", "syncookies", "nft", "xsynproxy"]
LABEL = {
    "none": "no protection",
    "syncookies": "kernel syncookies",
    "nft": "nft synproxy",
    "xsynproxy": "xsynproxy",
}
OTHERS = ("syncookies", "nft")
FAMILIES = (4, 6)
FAM = {4: "IPv4", 6: "IPv6"}
USER_HZ_MS = 10.0
SAT_BUSY_PCT = 97.0	# a flat-out cell below this is flagged: not CPU saturation
# Flagged cells that lost at least this share of the offered SYNs at the
# server's receive ring were limited by the ring (the NAPI thread did not
# drain it in time though its vCPU had idle time), not by the generator.
RING_DROP_PCT = 1.0


class BenchError(Exception):
    pass


def div(a, b):
    return a / b if a is not None and b else None


def flag_text(x):
    """What limited a flagged flat-out cell, for the tables."""
    return "%s-limited, %.0f %% busy, %.0f %% dropped at the ring" % (
        "ring" if x["limit"] == "ring" else "gen", x["busy_pct"], x["ring_drop_pct"])


# --- per-window metrics --------------------------------------------------------

def flood_metrics(d):
    s = d["window_ms"] / 1000.0
    busy_ms = max(d["window_ms"] - d["cpu1_idle"] * USER_HZ_MS, 0)
    return {
        "offered_pps": div(d["gen_tx"] + d["gen_drop"], s),
        "delivered_pps": div(d["srv_rx"], s),
        "answered_pps": div(d["answered"], s),
        "dropped_at_ring": d["gen_drop"],
        "ring_drop_pct": div(100.0 * d["gen_drop"], d["gen_tx"] + d["gen_drop"]),
        # server CPU: host CPU time of vCPU 1's thread (robust to host load)
        "cpu_host_us_per_answer": div(d["v1_run_ns"] / 1e3, d["answered"]),
        "cpu_host_us_per_packet": div(d["v1_run_ns"] / 1e3, d["srv_rx"]),
        # capacity: answered SYNs per second of server CPU
        "capacity": div(d["answered"], d["v1_run_ns"] / 1e9),
        # the guest's own view
        "cpu_guest_busy_us_per_answer": div(busy_ms * 1e3, d["answered"]),
        "cpu_guest_busy_us_per_packet": div(busy_ms * 1e3, d["srv_rx"]),
        "cpu1_busy_pct": div(100.0 * busy_ms, d["window_ms"]),
        "vcpu1_host_pct": div(100.0 * d["v1_run_ns"] / 1e6, d["window_ms"]),
        "vcpu_wait_pct": div(100.0 * (d["v0_wait_ns"] + d["v1_wait_ns"]) / 1e6, 2 * d["window_ms"]),
    }


def legit_metrics(j):
    if not j:
        return {}
    return {
        "legit_attempted": j["attempted"],
        "legit_ok": j["ok"],
        "legit_late": j.get("late", 0),
        "legit_success_pct": div(100.0 * j["ok"], j["attempted"]),
        "legit_connect_p50_ms": j["connect_ms"]["p50"] if j["ok"] else None,
        "legit_connect_p99_ms": j["connect_ms"]["p99"] if j["ok"] else None,
    }


# --- loading and checking --------------------------------------------------------

def key_of(d):
    ph = d["phase"]
    if ph in ("syn", "ack"):
        return (d["run"], d["contender"], d["family"], ph, d["rate"])
    if ph == "iperf":
        return (d["run"], d["contender"], d["family"], ph, (d["size"], d["segment"]))
    return (d["run"], d["contender"], d["family"], ph, None)


def describe(key):
    run, c, fam, ph, x = key
    if ph == "syn":
        what = "SYN flood at %s" % ("flat out" if x == 0 else "%s/s" % x)
    elif ph == "ack":
        what = "forged ACKs at %s/s" % x
    elif ph == "iperf":
        what = "iperf3 %s segments, segment %s" % tuple(x)
    else:
        what = {"legit_base": "fetches without a flood", "mem": "memory flood"}.get(ph, ph)
    return "run %s, %s, %s, %s" % (run, LABEL.get(c, c), FAM.get(fam, fam), what)


def iperf_segs(meta, size):
    """iperf3 segments of @size per run (runs before the split had one count)"""
    if size == "big":
        return meta.get("iperf_segs_big", meta["iperf_segs"])
    return meta["iperf_segs"]


def expected_keys(meta):
    keys = []
    for run in range(1, meta["runs"] + 1):
        for c in meta["contenders"].split():
            if c == "none" and run not in meta.get("none_runs", [run]):
                continue
            for fam in meta["families"]:
                keys.append((run, c, fam, "legit_base", None))
                for r in meta["sweep"]:
                    keys.append((run, c, fam, "syn", r))
                keys.append((run, c, fam, "ack", meta["fixed_rate"]))
            if run in meta["mem_runs"] and c in meta.get("mem_contenders", c).split():
                keys.append((run, c, 4, "mem", None))
            if c == "xsynproxy":
                for size in ("big", "small"):
                    for seg in range(iperf_segs(meta, size)):
                        keys.append((run, c, 4, "iperf", (size, seg)))
    return keys


def check_window(d, key, problems, host=True):
    where = describe(key)
    w = d["window_ms"]
    if w <= 0:
        problems.append("%s: window of %s ms" % (where, w))
        return
    if host:
        hn = d["host_ns"] / 1e6
        if d["host_ns"] <= 0:
            problems.append("%s: no host CPU sample (the guest found no valid bench/hostcpu.py "
                            "line in the results directory)" % where)
        elif abs(hn - w) > max(150.0, 0.25 * w):
            problems.append("%s: stale host CPU sample: the host's clock in the samples advanced "
                            "%.0f ms over a %d ms window (bench/hostcpu.py stopped or lagged)"
                            % (where, hn, w))
        if d["v1_run_ns"] <= 0:
            problems.append("%s: vCPU 1 host CPU time is zero" % where)


def load(raw_dir, series):
    path = os.path.join(raw_dir, series, "raw.jsonl")
    meta, recs, xsp = None, {}, {}
    problems = []
    try:
        f = open(path)
    except OSError as e:
        raise BenchError("kernel %s: %s" % (series, e))
    with f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                d = json.loads(line)
            except ValueError as e:
                problems.append("%s:%d: not JSON (%s)" % (path, n, e))
                continue
            ph = d.get("phase")
            if ph == "meta":
                meta = d
                continue
            if ph == "xsp_stats":
                xsp[d["run"]] = d["stats"]
                continue
            if ph == "error":
                problems.append("the guest reported: run %s, %s, %s: %s" % (
                    d.get("run"), LABEL.get(d.get("contender"), d.get("contender")),
                    FAM.get(d.get("family"), "?"), d.get("msg")))
                continue
            k = key_of(d)
            if k in recs:
                problems.append("%s: measured twice" % describe(k))
            recs[k] = d
    if meta is None:
        raise BenchError("kernel %s: %s has no meta line (the guest run did not start)" % (series, path))
    for k in expected_keys(meta):
        if k not in recs:
            problems.append("%s: missing" % describe(k))
    for k, d in recs.items():
        run, c, fam, ph, x = k
        where = describe(k)
        if ph in ("syn", "ack", "mem"):
            check_window(d, k, problems)
            if d["gen_tx"] <= 0 or d["srv_rx"] <= 0:
                problems.append("%s: no flood frame delivered (veth-f TX %d, veth-fs RX %d)"
                                % (where, d["gen_tx"], d["srv_rx"]))
            if ph in ("syn", "mem") and c != "none" and d["answered"] <= 0:
                problems.append("%s: no SYN-ACK counted on dummy0" % where)
            if ph == "mem" and d["srv_rx"] < 0.99 * d["target"]:
                problems.append("%s: %d SYNs delivered of %d" % (where, d["srv_rx"], d["target"]))
            if ph == "mem" and not d.get("slab_samples"):
                problems.append("%s: no slab sample during the flood" % where)
        if ph == "iperf":
            check_window(d, k, problems)
            if d["srv_rx_bytes"] <= 0:
                problems.append("%s: no bytes received" % where)
        if ph in ("legit_base",) or (ph == "syn" and x == 0):
            j = d.get("legit")
            if not j or not j.get("attempted"):
                problems.append("%s: no legitimate-client result" % where)
    if problems:
        raise BenchError("kernel %s: %d problem(s) in %s:\n  %s" % (
            series, len(problems), path, "\n  ".join(problems[:40])
            + ("\n  ... and %d more" % (len(problems) - 40) if len(problems) > 40 else "")))
    return meta, recs, xsp


# --- statistics --------------------------------------------------------------------

def stat(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "n": len(vals),
            "runs": vals}


def med(s):
    return s["median"] if s else None


class Kernel:
    def __init__(self, raw_dir, series):
        self.series = series
        self.meta, self.recs, self.xsp = load(raw_dir, series)
        self.runs = list(range(1, self.meta["runs"] + 1))
        self.m = {}
        for k, d in self.recs.items():
            ph = k[3]
            if ph in ("syn", "ack", "mem"):
                m = flood_metrics(d)
                m.update(legit_metrics(d.get("legit")))
                if ph == "ack":
                    m.update({"real_" + a: b for a, b in legit_metrics(d.get("real")).items()})
                if ph == "mem":
                    s0, s1 = d["slab_kb"]
                    c0, c1 = d["conntrack"]
                    m.update({"syns_delivered": d["srv_rx"], "slab_growth_kb": s1 - s0,
                              "slab_peak_growth_kb": d["slab_peak_kb"] - s0,
                              "slab_samples": d["slab_samples"],
                              "conntrack_growth": c1 - c0})
            elif ph == "legit_base":
                m = legit_metrics(d.get("legit"))
            else:
                m = {}
            self.m[k] = m

    def per_run(self, c, fam, ph, x, name):
        """{run: value}"""
        out = {}
        for run in self.runs:
            m = self.m.get((run, c, fam, ph, x))
            if m is not None and m.get(name) is not None:
                out[run] = m[name]
        return out

    def stat(self, c, fam, ph, x, name):
        return stat(list(self.per_run(c, fam, ph, x, name).values()))

    def ratio(self, a, b):
        """a, b: (contender, fam, phase, x, metric); per run a/b, then the stats"""
        ra, rb = self.per_run(*a), self.per_run(*b)
        return stat([div(ra[r], rb[r]) for r in self.runs if r in ra and r in rb])

    def iperf(self, size):
        """per run: loaded/unloaded throughput and CPU per byte, from the segments"""
        def rates(run, state):
            """(Mbit/s, CPU ns per byte) over the run's segments in @state, None without any"""
            b = t = ns = 0
            for seg in range(iperf_segs(self.meta, size)):
                d = self.recs.get((run, "xsynproxy", 4, "iperf", (size, seg)))
                if d and d["module"] == state:
                    b += d["srv_rx_bytes"]
                    t += d["window_ms"] / 1e3
                    ns += d["v1_run_ns"]
            return (b * 8 / 1e6 / t, div(ns, b)) if t else None
        on_mbit, off_mbit, ratio, cpu_ratio = [], [], [], []
        hooks_mbit, hratio, hcpu_ratio = [], [], []
        for run in self.runs:
            on, off, hooks = (rates(run, st) for st in ("on", "off", "hooks"))
            if not on or not off:
                continue
            on_mbit.append(on[0])
            off_mbit.append(off[0])
            ratio.append(div(on[0], off[0]))
            cpu_ratio.append(div(on[1], off[1]))
            # "hooks": loaded, hooks registered, no port protected (runs
            # before these segments existed have none)
            if hooks:
                hooks_mbit.append(hooks[0])
                hratio.append(div(hooks[0], off[0]))
                hcpu_ratio.append(div(hooks[1], off[1]))
        return {"loaded_mbit_s": stat(on_mbit), "unloaded_mbit_s": stat(off_mbit),
                "ratio_on_off": stat(ratio), "cpu_per_byte_ratio_on_off": stat(cpu_ratio),
                "hooks_mbit_s": stat(hooks_mbit), "ratio_hooks_off": stat(hratio),
                "cpu_per_byte_ratio_hooks_off": stat(hcpu_ratio)}


# --- analysis of one kernel -----------------------------------------------------------

SWEEP_FIELDS = ["offered_pps", "delivered_pps", "answered_pps", "capacity", "cpu_host_us_per_answer",
                "cpu_host_us_per_packet", "cpu_guest_busy_us_per_answer", "cpu1_busy_pct",
                "vcpu1_host_pct", "vcpu_wait_pct", "dropped_at_ring", "ring_drop_pct"]
LEGIT_FIELDS = ["legit_attempted", "legit_ok", "legit_late", "legit_success_pct",
                "legit_connect_p50_ms", "legit_connect_p99_ms"]


def analyse(kern, raw_dir):
    meta = kern.meta
    sweep, fixed = meta["sweep"], meta["fixed_rate"]
    contenders = [c for c in CONTENDERS if c in meta["contenders"].split()]
    k = {"series": kern.series, "abi": meta.get("abi"), "meta": meta, "families": {}}
    flagged = []
    for fam in meta["families"]:
        F = {"contenders": {}, "ratios": {}}
        for c in contenders:
            C = {"sweep": {}, "legit_base": {}, "ack": {}}
            for r in sweep:
                C["sweep"][str(r)] = {n: kern.stat(c, fam, "syn", r, n) for n in SWEEP_FIELDS + LEGIT_FIELDS}
            C["ack"] = {n: kern.stat(c, fam, "ack", fixed, n) for n in
                        ["offered_pps", "delivered_pps", "answered_pps", "cpu_host_us_per_packet",
                         "cpu_guest_busy_us_per_packet", "cpu1_busy_pct", "real_legit_attempted",
                         "real_legit_ok"]}
            C["legit_base"] = {n: kern.stat(c, fam, "legit_base", None, n) for n in LEGIT_FIELDS}
            F["contenders"][c] = C
            sat = C["sweep"]["0"]
            busy = med(sat["cpu1_busy_pct"])
            if c != "none" and busy is not None and busy < SAT_BUSY_PCT:
                drop = med(sat["ring_drop_pct"]) or 0.0
                flagged.append({"family": fam, "contender": c, "busy_pct": busy,
                                "busy_min_pct": sat["cpu1_busy_pct"]["min"],
                                "ring_drop_pct": drop,
                                "limit": "ring" if drop >= RING_DROP_PCT else "generator"})
        if "xsynproxy" in contenders:
            X = "xsynproxy"
            R = F["ratios"]
            for o in OTHERS:
                if o not in contenders:
                    continue
                for r in sweep:
                    R["cpu_per_syn %s/%s at %s" % (X, o, r)] = kern.ratio(
                        (X, fam, "syn", r, "cpu_host_us_per_answer"), (o, fam, "syn", r, "cpu_host_us_per_answer"))
                    R["capacity %s/%s at %s" % (X, o, r)] = kern.ratio(
                        (X, fam, "syn", r, "capacity"), (o, fam, "syn", r, "capacity"))
                R["answered %s/%s at 0" % (X, o)] = kern.ratio(
                    (X, fam, "syn", 0, "answered_pps"), (o, fam, "syn", 0, "answered_pps"))
                R["cpu_per_ack %s/%s" % (X, o)] = kern.ratio(
                    (X, fam, "ack", fixed, "cpu_host_us_per_packet"), (o, fam, "ack", fixed, "cpu_host_us_per_packet"))
            R["%s ack/syn" % X] = kern.ratio(
                (X, fam, "ack", fixed, "cpu_host_us_per_packet"), (X, fam, "syn", fixed, "cpu_host_us_per_answer"))
        k["families"][str(fam)] = F
    k["flagged"] = flagged
    k["mem"] = {c: {n: kern.stat(c, 4, "mem", None, n) for n in
                    ["syns_delivered", "slab_growth_kb", "slab_peak_growth_kb", "slab_samples",
                     "conntrack_growth", "answered_pps", "cpu_host_us_per_answer"]} for c in contenders}
    if "xsynproxy" in contenders:
        k["iperf"] = {size: kern.iperf(size) for size in ("big", "small")}
        if kern.xsp:
            k["xsp_stats_last_run"] = kern.xsp[max(kern.xsp)]
    k["profile"] = {c: profile(raw_dir, kern.series, c) for c in contenders}
    return k


# --- profile (perf on CPU 1 during a saturating flood) -----------------------

CATEGORIES = [
    ("idle", r"(safe_halt|default_idle|cpuidle|do_idle|mwait|poll_idle|acpi_idle)"),
    ("xsynproxy module (xsp_*)", r"^xsp_"),
    ("GRO (the flood's NAPI path)", r"gro_|_gro"),
    ("nft / conntrack / synproxy", r"^(nft_|nf_ct_|nf_conntrack|__nf_conntrack|synproxy|nf_synproxy|"
     r"ipv4_conntrack|nf_nat|__nf_ct|nf_confirm|hash_conntrack|ipv4_synproxy|nf_tables|nft_do_chain)"),
    ("netfilter hook dispatch", r"^nf_hook"),
    ("TCP stack: listener, request socket, SYN-ACK, RST", r"^(tcp_|__tcp_|inet_csk|inet_lhash|__inet_lookup|"
     r"inet_reqsk|reqsk|cookie_|__cookie|secure_tcp|inet_ehash|sk_filter|inet_lookup|__inet_hash|"
     r"inet_rtx_syn_ack|tcp4_|inet_sk_|sock_i_|bpf_|sk_|__sk_)"),
    ("checksums", r"(csum|checksum)"),
    ("IP receive, input route", r"^(ip_rcv|ip_route_input|ip_local_deliver|fib_|__fib|ip_protocol_deliver|"
     r"raw_local_deliver|__ip_dev_find|__inet_dev_addr_type|inet_addr_type|ip_sublist|ip_list_rcv|"
     r"l3mdev|ip_check_defrag|ip_mc_)"),
    ("IP output, output route, neighbour", r"^(ip_route_output|ip_output|ip_finish_output|ip_local_out|"
     r"__ip_local_out|ip_build_and_send|ip_send|xfrm_|ip_skb_dst_mtu|ipv4_default_advmss|ipv4_mtu|dst_|"
     r"neigh_|___neigh|__neigh|ip_queue_xmit|__ip_queue|ipv4_dst|rt_|__ip_select_ident|ip_idents|"
     r"ip_make_skb|inet_select_addr|ip_dst|__ip_make_skb)"),
    ("device RX/TX (veth NAPI, backlog queue, dummy xmit)", r"^(veth_|__veth|napi_threaded|__napi_poll|"
     r"__netif|netif_|process_backlog|net_rx_action|"
     r"__dev_queue_xmit|dev_queue_xmit|dev_hard_start_xmit|dummy_xmit|validate_xmit|skb_clone_tx_timestamp|"
     r"__napi|napi_|skb_network_protocol|eth_|dev_|rps_|enqueue_to_backlog|__skb_flow|skb_get_hash|"
     r"__skb_get_hash|get_rps_cpu|sch_direct|qdisc_|__qdisc|skb_defer|handle_softirqs|__do_softirq|"
     r"do_softirq|__local_bh|irq_exit|sysvec|__sysvec|asm_sysvec|generic_smp|flush_smp)"),
    ("skb and slab allocation", r"^(kmem_|kfree|__alloc_skb|alloc_skb|consume_skb|skb_release|__slab|slab_|"
     r"kmalloc|__kmalloc|memset|memcpy|skb_put|skb_push|sock_wfree|sock_def_write_space|___slab|"
     r"build_skb|__build_skb|kfree_skb|skb_free_head|page_frag|__page_frag|skb_copy|__copy_skb|"
     r"skb_clone|__skb_clone|skb_try_coalesce|pskb_|__pskb|skb_orphan|get_partial|__kmem|"
     r"obj_cgroup|mod_objcg|__mod_|refill_obj|__memcg|memcg|alloc_pages|__alloc_pages|get_page_from|"
     r"free_unref|__free_pages|rmqueue|clear_page|__rmqueue|skb_pull|skb_trim|skb_ensure|__skb_ext|"
     r"skb_release_head|skb_attempt_defer)"),
    ("random numbers, time", r"(random|chacha|ktime|get_jiffies|jiffies|clock|tsc|read_tsc)"),
]


OTHER = "other (RCU, locks, interrupts, ...)"
# the paths every defense pays for, and each defense's own
SHARED = ["GRO (the flood's NAPI path)", "checksums", "IP receive, input route",
          "IP output, output route, neighbour", "device RX/TX (veth NAPI, backlog queue, dummy xmit)",
          "skb and slab allocation", "netfilter hook dispatch"]
OWN = {"xsynproxy": ["xsynproxy module (xsp_*)"],
       "syncookies": ["TCP stack: listener, request socket, SYN-ACK, RST"],
       "nft": ["nft / conntrack / synproxy", "TCP stack: listener, request socket, SYN-ACK, RST"]}


def profile(raw_dir, series, contender):
    path = os.path.join(raw_dir, series, "perf-%s.txt" % contender)
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    cats = {name: 0.0 for name, _ in CATEGORIES}
    cats[OTHER] = 0.0
    top = []
    for line in lines:
        m = re.match(r"\s*([0-9.]+)%\s+\[[^\]]*\]\s+(\S+)", line)
        if not m:
            continue
        pct, sym = float(m.group(1)), m.group(2)
        top.append((pct, sym))
        for name, rx in CATEGORIES:
            if re.search(rx, sym):
                cats[name] += pct
                break
        else:
            cats[OTHER] += pct
    busy = sum(v for k, v in cats.items() if k != "idle")
    return {"categories_pct_of_busy": {k: 100.0 * v / busy for k, v in cats.items() if k != "idle" and busy},
            "idle_pct": cats["idle"], "top": [{"pct": p, "sym": s} for p, s in top[:15]]}


def cookie_cost(path):
    out = {}
    try:
        with open(path) as f:
            for line in f:
                m = re.match(r"\s*(mint|check)\s+(ipv4|ipv6)\s+(valid|forged)?\s*([0-9.]+)", line)
                if m:
                    key = "%s_%s%s" % (m.group(1), m.group(2), "_" + m.group(3) if m.group(3) else "")
                    out[key] = float(m.group(4))
    except OSError:
        pass
    return out


# --- targets ----------------------------------------------------------------

def targets(k, cookie, quick):
    t = []
    fams = k["families"]

    def add(name, fam, s, limit, ge, unit, note="", scale=1.0):
        v = med(s) * scale if s else None
        lo = s["min"] * scale if s else None
        hi = s["max"] * scale if s else None
        if v is None:
            verdict, by = "n/a", ""
        else:
            ok = v >= limit if ge else (v < limit if unit == "MiB" else v <= limit)
            verdict = "PASS" if ok else "MISS"
            by = "" if ok else ("%.0f %% short" % (100 * (1 - v / limit)) if ge else
                                "%.0f %% over" % (100 * (v / limit - 1)))
            if ok and s and s["n"] > 1 and ((ge and lo < limit) or (not ge and hi > limit)):
                note = (note + "; " if note else "") + "some runs miss"
        t.append({"target": name, "family": fam, "value": v, "min": lo, "max": hi,
                  "n": s["n"] if s else 0, "limit": limit, "ge": ge, "unit": unit,
                  "verdict": verdict, "by": by, "note": note})

    for fam in ("4", "6"):
        if fam not in fams or not fams[fam]["ratios"]:
            continue
        R = fams[fam]["ratios"]
        f = FAM[int(fam)]
        for o in OTHERS:
            add("CPU per answered SYN at saturation vs %s" % LABEL[o], f,
                R.get("cpu_per_syn xsynproxy/%s at 0" % o), 0.5, False, "x")
        for o in OTHERS:
            add("capacity (answered SYN per server-CPU second) vs %s" % LABEL[o], f,
                R.get("capacity xsynproxy/%s at 0" % o), 2.0, True, "x")
        for o in OTHERS:
            add("CPU per answered SYN at %s/s vs %s" % (fmt(k["meta"]["fixed_rate"], 0), LABEL[o]), f,
                R.get("cpu_per_syn xsynproxy/%s at %s" % (o, k["meta"]["fixed_rate"])), 0.5, False, "x")
        add("CPU per forged ACK / CPU per answered SYN (both at %s/s)" % fmt(k["meta"]["fixed_rate"], 0),
            f, R.get("xsynproxy ack/syn"), 1.0, False, "x")
        add("legitimate fetches answered under a saturating flood", f,
            fams[fam]["contenders"]["xsynproxy"]["sweep"]["0"]["legit_success_pct"], 99, True, "%")
    ip = k.get("iperf", {})
    add("established throughput, loaded / unloaded, GSO segments", "IPv4",
        ip.get("big", {}).get("ratio_on_off"), 97, True, "%", scale=100)
    add("established throughput, loaded / unloaded, %d-byte segments" % k["meta"]["small_mss"], "IPv4",
        ip.get("small", {}).get("ratio_on_off"), 97, True, "%", scale=100)
    x = k["mem"].get("xsynproxy", {})
    sl, nd = x.get("slab_peak_growth_kb"), med(x.get("syns_delivered"))
    if sl and nd:
        sc = 1e6 / nd / 1024.0
        add("slab peak growth during 1,000,000 SYNs", "IPv4", sl, 1, False, "MiB",
            "extrapolated from %s SYNs" % fmt(nd, 0) if quick else "", scale=sc)
    else:
        add("slab peak growth during 1,000,000 SYNs", "IPv4", None, 1, False, "MiB")
    c = cookie.get("mint_ipv4")
    add("instructions per IPv4 cookie mint (callgrind)", "-",
        {"median": c, "min": c, "max": c, "n": 1} if c is not None else None, 400, False, "")
    return t


# --- formatting -------------------------------------------------------------

def fmt(v, digits=None):
    if v is None:
        return "–"
    if digits is None:
        a = abs(v)
        digits = 0 if a >= 100 else 1 if a >= 10 else 2 if a >= 0.1 else 3
    return ("{:,.%df}" % digits).format(v)


def cell(s, digits=None, scale=1.0):
    if not s:
        return "–"
    m, lo, hi = s["median"] * scale, s["min"] * scale, s["max"] * scale
    if s["n"] == 1 or fmt(lo, digits) == fmt(hi, digits):
        return fmt(m, digits)
    return "%s (%s–%s)" % (fmt(m, digits), fmt(lo, digits), fmt(hi, digits))


def limit_str(t):
    return ("≥ " if t["ge"] else "< " if t["unit"] == "MiB" else "≤ ") + "%g%s" % (t["limit"], t["unit"])


def target_cell(t):
    if t["verdict"] == "n/a":
        return "n/a"
    dg = 2 if t["unit"] in ("x", "MiB") else None
    out = "**%s** %s%s" % (t["verdict"], fmt(t["value"], dg), t["unit"])
    if t["n"] > 1 and fmt(t["min"], dg) != fmt(t["max"], dg):
        out += " (%s–%s)" % (fmt(t["min"], dg), fmt(t["max"], dg))
    extra = [x for x in (t["by"], t["note"]) if x]
    return out + (" (%s)" % "; ".join(extra) if extra else "")


def rate_name(r):
    return "flat out" if int(r) == 0 else "%s/s" % fmt(int(r), 0)


def sweep_table(k, fam):
    F = k["families"][fam]
    cs = [c for c in CONTENDERS if c in F["contenders"]]
    L = ["| offered (target) | | " + " | ".join(LABEL[c] for c in cs) + " |",
         "|---|---" + "|---" * len(cs) + "|"]
    flag = {(str(x["family"]), x["contender"]): x for x in k["flagged"]}
    for r in k["meta"]["sweep"]:
        S = {c: F["contenders"][c]["sweep"][str(r)] for c in cs}
        rows = [("offered SYN/s", "offered_pps", 0),
                ("delivered SYN/s (the rest: dropped at the NAPI ring)", "delivered_pps", 0),
                ("answered SYN/s", "answered_pps", 0),
                ("server CPU per answered SYN, µs", "cpu_host_us_per_answer", None),
                ("capacity: answered per server-CPU second", "capacity", 0),
                ("server CPU 1 busy, %", "cpu1_busy_pct", 0)]
        for i, (name, key, dg) in enumerate(rows):
            cells = []
            for c in cs:
                v = cell(S[c][key], dg)
                if r == 0 and key == "answered_pps" and (fam, c) in flag:
                    v += " **(%s)**" % flag_text(flag[(fam, c)])
                cells.append(v)
            L.append("| %s | %s | %s |" % ("**%s**" % rate_name(r) if i == 0 else "", name, " | ".join(cells)))
    return "\n".join(L)


def family_table(k, fam):
    F = k["families"][fam]
    cs = [c for c in CONTENDERS if c in F["contenders"]]
    L = ["| | " + " | ".join(LABEL[c] for c in cs) + " |", "|---" * (len(cs) + 1) + "|"]

    def row(name, get, dg=None):
        cells = []
        for c in cs:
            try:
                s = get(F["contenders"][c])
            except (KeyError, TypeError):
                s = None
            cells.append(cell(s, dg))
        L.append("| %s | %s |" % (name, " | ".join(cells)))

    fx = fmt(k["meta"]["fixed_rate"], 0)
    L.append("| **Forged ACKs** (%s/s) |%s" % (fx, " |" * len(cs)))
    row("server CPU per ACK, µs (host time of vCPU 1)", lambda c: c["ack"]["cpu_host_us_per_packet"])
    row("replies (RSTs) sent /s", lambda c: c["ack"]["answered_pps"], 0)
    row("real fetches during the flood: ok of 3", lambda c: c["ack"]["real_legit_ok"], 0)
    L.append("| **Legitimate clients** (open loop) |%s" % (" |" * len(cs)))
    row("no flood: ok, %", lambda c: c["legit_base"]["legit_success_pct"], 1)
    row("no flood: connect p50, ms", lambda c: c["legit_base"]["legit_connect_p50_ms"])
    row("flat-out flood: attempts", lambda c: c["sweep"]["0"]["legit_attempted"], 0)
    row("flat-out flood: attempts started late", lambda c: c["sweep"]["0"]["legit_late"], 0)
    row("**flat-out flood: ok, %**", lambda c: c["sweep"]["0"]["legit_success_pct"], 1)
    row("flat-out flood: connect p50, ms", lambda c: c["sweep"]["0"]["legit_connect_p50_ms"])
    row("flat-out flood: connect p99, ms", lambda c: c["sweep"]["0"]["legit_connect_p99_ms"])
    row("flat-out flood: vCPU threads waiting for a host CPU, %", lambda c: c["sweep"]["0"]["vcpu_wait_pct"], 0)
    return "\n".join(L)


def ipv4_extra_table(k):
    cs = [c for c in CONTENDERS if c in k["mem"]]
    L = ["| | " + " | ".join(LABEL[c] for c in cs) + " |", "|---" * (len(cs) + 1) + "|"]
    for name, key, dg in (("SYNs delivered", "syns_delivered", 0),
                          ("slab growth after the flood (caches dropped), kB", "slab_growth_kb", 0),
                          ("**slab peak during the flood, over baseline, kB**", "slab_peak_growth_kb", 0),
                          ("slab samples (every 100 ms)", "slab_samples", 0),
                          ("conntrack entries added", "conntrack_growth", 0)):
        L.append("| %s | %s |" % (name, " | ".join(cell(k["mem"][c][key], dg) for c in cs)))
    return "\n".join(L)


def iperf_table(k):
    ip = k.get("iperf")
    if not ip:
        return ""
    L = ["*loaded*: the module loaded, the port protected; *hooks only*: loaded, its hooks "
         "registered, no port protected (what every packet pays for the hooks being there); "
         "*unloaded*: not loaded. Segments of the three states (GSO: loaded and unloaded only) "
         "alternate on one connection.", "",
         "| segments | loaded, Mbit/s | unloaded, Mbit/s | **loaded / unloaded, %** | "
         "CPU per byte, loaded / unloaded, % | hooks only / unloaded, % | "
         "CPU per byte, hooks only / unloaded, % |",
         "|---|---|---|---|---|---|---|"]
    for size, name in (("big", "GSO (iperf3 default)"),
                       ("small", "MSS %d, GSO/TSO off" % k["meta"]["small_mss"])):
        s = ip[size]
        L.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            name, cell(s["loaded_mbit_s"], 0), cell(s["unloaded_mbit_s"], 0),
            cell(s["ratio_on_off"], 1, 100), cell(s["cpu_per_byte_ratio_on_off"], 1, 100),
            cell(s.get("ratio_hooks_off"), 1, 100),
            cell(s.get("cpu_per_byte_ratio_hooks_off"), 1, 100)))
    return "\n".join(L)


def profile_table(k):
    profs = k["profile"]
    cs = [c for c in CONTENDERS if c in profs]
    if not any(profs.values()):
        return ""
    F = k["families"]["4"]["contenders"]
    L = ["Where CPU 1's time goes during a flat-out IPv4 SYN flood (perf, cpu-clock sampling, "
         "one profile per contender after the runs), as µs per answered SYN: share of the busy "
         "samples × the median CPU per answered SYN at flat out. *no protection* answers almost "
         "nothing: its column is % of busy samples instead.", ""]
    L.append("| | " + " | ".join(LABEL[c] for c in cs) + " |")
    L.append("|---" * (len(cs) + 1) + "|")
    names = [n for n, _ in CATEGORIES if n != "idle"] + [OTHER]
    tot = {}
    for n in names:
        cells = []
        for c in cs:
            p = profs[c]
            if not p:
                cells.append("–")
                continue
            share = p["categories_pct_of_busy"].get(n, 0.0)
            if c == "none":
                cells.append("%.0f %%" % share)
                continue
            us = med(F[c]["sweep"]["0"]["cpu_host_us_per_answer"])
            v = share / 100.0 * us if us else None
            tot[c] = tot.get(c, 0.0) + (v or 0.0)
            cells.append(fmt(v, 2))
        L.append("| %s | %s |" % (n, " | ".join(cells)))
    L.append("| **total** | %s |" % " | ".join(
        "100 %" if c == "none" else fmt(tot.get(c), 2) for c in cs))
    x = profs.get("xsynproxy")
    if x:
        L.append("")
        L.append("Top symbols on CPU 1, xsynproxy: " + ", ".join(
            "`%s` %.1f%%" % (t["sym"], t["pct"]) for t in x["top"][:12]) + ".")
    parts = {}
    for c in cs:
        p = profs[c]
        us = med(F[c]["sweep"]["0"]["cpu_host_us_per_answer"])
        if not p or not us or c == "none":
            continue
        sh = sum(p["categories_pct_of_busy"].get(n, 0.0) for n in SHARED) / 100.0 * us
        own = sum(p["categories_pct_of_busy"].get(n, 0.0) for n in OWN.get(c, [])) / 100.0 * us
        parts[c] = (sh, own, max(us - sh - own, 0.0), us)
    if "xsynproxy" in parts:
        xs = parts["xsynproxy"]
        L.append("")
        S = ["Per answered SYN at flat out, shared paths (%s) / the defense's own code / the rest: "
             "xsynproxy %s / %s / %s µs (total %s)" % ("receive incl. GRO, IP in and out, routing, device, "
                                                        "skb allocation, checksums, hook dispatch",
                                                        fmt(xs[0], 2), fmt(xs[1], 2), fmt(xs[2], 2), fmt(xs[3], 2))]
        for o in OTHERS:
            if o in parts:
                po = parts[o]
                S.append("%s %s / %s / %s µs (total %s): half of its total is %s µs, %s xsynproxy's "
                         "shared part alone (%s µs)" % (
                             LABEL[o], fmt(po[0], 2), fmt(po[1], 2), fmt(po[2], 2), fmt(po[3], 2),
                             fmt(po[3] / 2, 2), "below" if po[3] / 2 < xs[0] else "above", fmt(xs[0], 2)))
        L.append("; ".join(S) + ".")
    return "\n".join(L)


def headline(k, fam):
    R = k["families"][fam]["ratios"]
    fx = k["meta"]["fixed_rate"]
    L = []
    for o in OTHERS:
        if "cpu_per_ack xsynproxy/%s" % o not in R:
            continue
        L.append("- vs %s: CPU per answered SYN ×%s at %s/s, ×%s flat out; capacity ×%s; "
                 "answered SYN/s flat out ×%s; CPU per forged ACK ×%s"
                 % (LABEL[o], cell(R["cpu_per_syn xsynproxy/%s at %s" % (o, fx)], 2), fmt(fx, 0),
                    cell(R["cpu_per_syn xsynproxy/%s at 0" % o], 2),
                    cell(R["capacity xsynproxy/%s at 0" % o], 2),
                    cell(R["answered xsynproxy/%s at 0" % o], 2),
                    cell(R["cpu_per_ack xsynproxy/%s" % o], 2)))
    if "xsynproxy ack/syn" in R:
        L.append("- xsynproxy's CPU per forged ACK / its CPU per answered SYN (both at %s/s): ×%s"
                 % (fmt(fx, 0), cell(R["xsynproxy ack/syn"], 2)))
    return "\n".join(L)


def baseline_table(report, baseline_path):
    try:
        with open(baseline_path) as f:
            base = json.load(f)
    except (OSError, ValueError):
        return ""
    bk = {k["series"]: k for k in base.get("kernels", [])}
    L = ["Before: the previous committed full run (%s, source %s, %s runs, IPv4 only, flood and "
         "legitimate clients through the same veth and RPS backlog, 4 s windows; `%s`). After: this "
         "run, IPv4. Both are medians of per-run ratios xsynproxy / other; the method changed between "
         "the two (see \"How the numbers are made\"), so a difference mixes the module's change and "
         "the method's." % (base.get("date", "?"), base.get("host", {}).get("git", "?"),
                            (base["kernels"][0]["meta"].get("runs", "?") if base.get("kernels") else "?"),
                            os.path.relpath(baseline_path)), ""]
    L.append("| kernel | ratio | before | after |")
    L.append("|---|---|---|---|")
    rows = [("CPU per answered SYN at the fixed rate", "syn_fixed cpu_host_us_per_answer",
             "cpu_per_syn xsynproxy/%s at %s"),
            ("CPU per answered SYN, generator flat out", "syn_sat cpu_host_us_per_answer",
             "cpu_per_syn xsynproxy/%s at 0"),
            ("answered SYN/s, generator flat out", "syn_sat answered_pps", "answered xsynproxy/%s at 0"),
            ("CPU per forged ACK", "ack_fixed cpu_host_us_per_packet", "cpu_per_ack xsynproxy/%s")]
    for k in report["kernels"]:
        b = bk.get(k["series"])
        R = k["families"].get("4", {}).get("ratios", {})
        for o in OTHERS:
            for name, bkey, akey in rows:
                bs = b["ratios"].get("xsynproxy/%s %s" % (o, bkey)) if b else None
                ak = akey % ((o, k["meta"]["fixed_rate"]) if akey.count("%s") == 2 else (o,))
                L.append("| %s | %s vs %s | %s | %s |" % (k["series"], name, LABEL[o], cell(bs, 2),
                                                          cell(R.get(ak), 2)))
    return "\n".join(L)


def gnuplot_chart(report, png):
    """one panel per kernel and family: answered SYN/s against offered SYN/s"""
    files, panels = [], []
    for k in report["kernels"]:
        for fam in ("4", "6"):
            F = k["families"].get(fam)
            if not F:
                continue
            plots = []
            for c in CONTENDERS:
                if c not in F["contenders"]:
                    continue
                dat = "%s.%s.%s.%s.dat" % (png, k["series"], fam, c)
                files.append(dat)
                with open(dat, "w") as f:
                    for r in k["meta"]["sweep"]:
                        S = F["contenders"][c]["sweep"][str(r)]
                        if S["offered_pps"] and S["answered_pps"]:
                            f.write("%g %g %g %g\n" % (S["offered_pps"]["median"], S["answered_pps"]["median"],
                                                       S["answered_pps"]["min"], S["answered_pps"]["max"]))
                plots.append("'%s' using 1:2:3:4 with yerrorlines title '%s'" % (dat, LABEL[c]))
            panels.append("set title 'kernel %s, %s'\nplot %s" % (k["series"], FAM[int(fam)], ", ".join(plots)))
    q = "(QUICK run) " if report.get("quick") else ""
    rows = len(report["kernels"])
    script = """
set terminal pngcairo size 1200,%(h)d font 'DejaVu Sans,10'
set output '%(png)s'
set multiplot layout %(rows)d,2 title "Answered SYN/s against offered SYN/s %(q)s- QEMU TCG guest, 2 vCPUs, median and min-max of the runs (emulated: compare contenders, not rates)"
set grid
set key top left
set xrange [0:*]
set yrange [0:*]
set xlabel 'offered SYN/s (measured)'
set ylabel 'SYN-ACKs per second'
%(panels)s
unset multiplot
""" % {"png": png, "q": q, "rows": rows, "h": 60 + 400 * rows, "panels": "\n".join(panels)}
    with open(png + ".gp", "w") as f:
        f.write(script)
    try:
        subprocess.run(["gnuplot", png + ".gp"], check=True)
        ok = True
    except (OSError, subprocess.CalledProcessError) as e:
        sys.stderr.write("report: no chart (%s); install gnuplot-nox\n" % e)
        ok = False
    for p in files + [png + ".gp"]:
        try:
            os.unlink(p)
        except OSError:
            pass
    return ok


def slim(o, keep=False):
    """the per-run lists only where they make a ratio or a target (the rest
    is in the raw records)"""
    if isinstance(o, dict):
        return {k: slim(v, keep or k in ("ratios", "targets")) for k, v in o.items()
                if keep or k != "runs"}
    if isinstance(o, list):
        return [slim(v, keep) for v in o]
    return o


def read_host(path):
    h = {}
    try:
        with open(path) as f:
            for line in f:
                if "=" in line:
                    a, b = line.rstrip("\n").split("=", 1)
                    h[a] = b
    except OSError:
        pass
    return h


def render_md(report, a, chart):
    h = report["host"]
    K = report["kernels"]
    L = []
    notes_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "notes.md")
    L.append("# Benchmarks: xsynproxy against the kernel's own SYN-flood defenses")
    L.append("")
    L.append("<!-- generated by tools/bench (bench/report.py): do not edit; prose in bench/notes.md -->")
    L.append("")
    if report["quick"]:
        L.append("**QUICK run**: one run per contender, short windows. Not the reference numbers.")
        L.append("")
    m = K[0]["meta"]
    L.append("| | |")
    L.append("|---|---|")
    L.append("| date | %s |" % h.get("date", "?"))
    L.append("| command | `%s` (from the top of the tree, after `make vm-modules && make -C tools/synctl`) |"
             % h.get("command", "tools/bench"))
    L.append("| kernels | %s |" % ", ".join("%s (`%s`)" % (k["series"], k["abi"]) for k in K))
    # Records older than qemu_cpu ran on tools/vm/run's default then, max.
    L.append("| QEMU | %s, TCG (no KVM), `-cpu %s -smp 2`, 2 GiB |"
             % (h.get("qemu", "?"), h.get("qemu_cpu", "max")))
    L.append("| host | %s, %s CPUs |" % (h.get("host_cpu", "?"), h.get("host_nproc", "?")))
    L.append("| host load average (1/5/15 min) before → after | %s |" % "; ".join(
        "%s: %s → %s" % (k["series"], h.get("load_before_" + k["series"], "?"),
                         h.get("load_after_" + k["series"], "?")) for k in K))
    L.append("| duration | %s |" % ", ".join(
        ["%s: %s s" % (k["series"], h.get("secs_" + k["series"], "?")) for k in K]
        + ["total %s s" % h.get("total_secs", "?")]))
    L.append("| source | %s |" % h.get("git", "?"))
    L.append("| runs | %d per contender, kernel and family (contender order rotated and family order "
             "alternated per run); figures: median (min–max) over the runs; ratios: computed per run, "
             "then median (min–max); *no protection* (in no ratio) in run %s only, to fit the "
             "full run in 30 minutes |" % (m.get("runs", 0), ", ".join(str(r) for r in m.get("none_runs", []))))
    L.append("| listener | `bench/httpd`, listen backlog %s, per family |" % m.get("backlog"))
    L.append("| windows | %s s per measurement after %s s of warm-up; offered SYN/s: %s; forged ACKs: "
             "%s/s; legitimate fetches: %d at a fixed schedule (every %s ms) during the flat-out "
             "window, %d without a flood, %d ms timeout each; memory: %s SYNs (run %s, %s); iperf3: %d "
             "(GSO) and %d (536-byte) segments of %s s |"
             % (m["window_s"], m["warm_s"], ", ".join(rate_name(r) for r in m["sweep"]),
                fmt(m["fixed_rate"], 0), m["legit_n"], m["legit_interval_ms"], m["legit_base_n"],
                m["legit_timeout_ms"], fmt(m["mem_syns"], 0), ", ".join(str(r) for r in m["mem_runs"]),
                ", ".join(LABEL[c] for c in m.get("mem_contenders", "").split()),
                iperf_segs(m, "big"), iperf_segs(m, "small"), m["iperf_seg_s"]))
    L.append("| raw records | `%s/<kernel>/raw.jsonl` (one line per window and run), `perf-*.txt`; "
             "this page is `bench/report.py --raw %s` |" % (os.path.relpath(a.raw), os.path.relpath(a.raw)))
    L.append("")
    if chart:
        L.append("![answered SYN/s against offered SYN/s](%s)" % os.path.relpath(a.png, os.path.dirname(a.md)))
        L.append("")
    L.append("## Targets (xsynproxy)")
    L.append("")
    L.append("Median of the per-run values (min–max); a MISS says by how much the median misses; "
             "\"some runs miss\": the median passes, not every run.")
    L.append("")
    L.append("| target | family | " + " | ".join("kernel " + k["series"] for k in K) + " |")
    L.append("|---|---" + "|---" * len(K) + "|")
    for i, t in enumerate(K[0]["targets"]):
        L.append("| %s, %s | %s | %s |" % (t["target"], limit_str(t), t["family"],
                                           " | ".join(target_cell(k["targets"][i]) for k in K)))
    L.append("")
    for lim, what in (("ring", "limited by the server's receive ring: at least %.0f %% of the "
                               "offered SYNs dropped there while the vCPU still had idle time"
                               % RING_DROP_PCT),
                      ("generator", "generator-limited: under %.0f %% dropped at the ring"
                       % RING_DROP_PCT)):
        fl = ["kernel %s %s %s: %.0f %% busy (median; lowest run %.0f %%), %.0f %% dropped at the ring"
              % (k["series"], FAM[x["family"]], LABEL[x["contender"]], x["busy_pct"],
                 x["busy_min_pct"], x["ring_drop_pct"])
              for k in K for x in k["flagged"] if x["limit"] == lim]
        L.append("Flat-out cells whose server vCPU was under %.0f %% busy, so not CPU saturation, "
                 "%s (flagged in the tables): %s." % (SAT_BUSY_PCT, what, "; ".join(fl) if fl else "none"))
        L.append("")
    B = baseline_table(report, a.baseline) if a.baseline else ""
    if B:
        L.append("## Before / after")
        L.append("")
        L.append(B)
        L.append("")
    for k in K:
        L.append("## Kernel %s (`%s`)" % (k["series"], k["abi"]))
        L.append("")
        for fam in ("4", "6"):
            if fam not in k["families"]:
                continue
            L.append("### %s" % FAM[int(fam)])
            L.append("")
            L.append("Ratios xsynproxy / other (median of the per-run ratios, min–max):")
            L.append("")
            L.append(headline(k, fam))
            L.append("")
            L.append("SYN flood, offered load sweep (server CPU: host time of vCPU 1's thread):")
            L.append("")
            L.append(sweep_table(k, fam))
            L.append("")
            L.append(family_table(k, fam))
            L.append("")
        L.append("### Memory (IPv4)")
        L.append("")
        L.append(ipv4_extra_table(k))
        L.append("")
        for title, body in (
                ("Established throughput (IPv4, xsynproxy loaded / unloaded "
                 "on the same connection)", iperf_table(k)),
                ("Profile", profile_table(k))):
            if body:
                L += [f"### {title}", "", body, ""]
    L.append("## Cookie cost (userspace build, callgrind)")
    L.append("")
    L.append("`make -C selftests/cookie bench`, instructions per call with cached salts:")
    L.append("")
    L.append("| mint IPv4 | mint IPv6 | check IPv4 | check IPv6 | check IPv4 forged | check IPv6 forged |")
    L.append("|---|---|---|---|---|---|")
    c = report["cookie_instructions"]
    L.append("| %s |" % " | ".join(fmt(c.get(x), 0) for x in (
        "mint_ipv4", "mint_ipv6", "check_ipv4_valid", "check_ipv6_valid",
        "check_ipv4_forged", "check_ipv6_forged")))
    L.append("")
    with open(notes_path) as f:
        L.append(f.read().rstrip("\n"))
        L.append("")
    return "\n".join(L)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", required=True)
    ap.add_argument("--series", required=True)
    ap.add_argument("--md", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--png", required=True)
    ap.add_argument("--baseline", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                       "baseline-2026-11.json"))
    a = ap.parse_args()

    host = read_host(os.path.join(a.raw, "host.txt"))
    cookie = cookie_cost(os.path.join(a.raw, "cookie.txt"))
    try:
        kerns = [Kernel(a.raw, s) for s in a.series.split()]
    except BenchError as e:
        sys.stderr.write("report: FAILED, nothing written:\n%s\n" % e)
        return 1
    kernels = [analyse(kern, a.raw) for kern in kerns]
    quick = any(k["meta"].get("quick") for k in kernels)
    report = {"date": host.get("date"), "command": host.get("command"), "host": host,
              "quick": quick, "cookie_instructions": cookie, "kernels": kernels}
    for k in kernels:
        k["targets"] = targets(k, cookie, quick)

    with open(a.json, "w") as f:
        json.dump(slim(report), f, indent=1, sort_keys=True)
    chart = gnuplot_chart(report, a.png)
    md = render_md(report, a, chart)
    with open(a.md, "w") as f:
        f.write(md)

    for k in kernels:
        print("kernel %s (%s):" % (k["series"], k["abi"]))
        for fam in ("4", "6"):
            if fam in k["families"]:
                print(" %s" % FAM[int(fam)])
                print(headline(k, fam))
        for t in k["targets"]:
            print("  %-4s %-4s %-70s %s%s (target %s)%s" % (
                t["verdict"], t["family"], t["target"], fmt(t["value"]), t["unit"], limit_str(t),
                "  [" + "; ".join(x for x in (t["by"], t["note"]) if x) + "]" if t["by"] or t["note"] else ""))
        for x in k["flagged"]:
            print("  flagged: %s %s flat out only %.0f %% busy (%s)" % (
                FAM[x["family"]], LABEL[x["contender"]], x["busy_pct"], flag_text(x)))
    print("report: %s, %s%s" % (a.md, a.json, ", " + a.png if chart else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
