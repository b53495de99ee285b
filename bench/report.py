#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Turns the raw results of tools/bench into Documentation/benchmarks.{md,json,png}.

    report.py --raw DIR --series "6.1 6.12" --md F --json F --png F

DIR holds host.txt, cookie.txt and one directory per kernel series with the
guest's raw.jsonl (see bench/guest.sh). Every figure is the median over the
runs, with min-max. Prints the PASS/MISS lines on stdout; never fails
because of a MISS.
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
USER_HZ_MS = 10.0


def div(a, b):
    return a / b if b else None


# --- per-measurement metrics -------------------------------------------------

def flood_metrics(d):
    s = d["window_ms"] / 1000.0
    offered = d["gen_tx"] + d["gen_drop"]
    busy_ms = d["window_ms"] - d["cpu1_idle"] * USER_HZ_MS
    m = {
        "offered_pps": div(offered, s),
        "delivered_pps": div(d["srv_rx"], s),
        "answered_pps": div(d["answered"], s),
        "dropped_at_backlog": d["gen_drop"],
        # server CPU: host CPU time of vCPU 1's thread (robust to host load)
        "cpu_host_us_per_answer": div(d["v1_run_ns"] / 1e3, d["answered"]),
        "cpu_host_us_per_packet": div(d["v1_run_ns"] / 1e3, d["srv_rx"]),
        # the guest's own view: softirq+system ticks (as /proc/stat samples
        # them) and elapsed-minus-idle
        "cpu_guest_sirq_us_per_answer": div((d["cpu1_softirq"] + d["cpu1_sys"]) * USER_HZ_MS * 1e3,
                                            d["answered"]),
        "cpu_guest_busy_us_per_answer": div(max(busy_ms, 0) * 1e3, d["answered"]),
        "cpu_guest_busy_us_per_packet": div(max(busy_ms, 0) * 1e3, d["srv_rx"]),
        "cpu1_busy_pct": 100.0 * max(busy_ms, 0) / d["window_ms"] if d["window_ms"] else None,
        "vcpu1_host_pct": div(100.0 * d["v1_run_ns"] / 1e6, d["window_ms"]),
        "vcpu0_host_pct": div(100.0 * d["v0_run_ns"] / 1e6, d["window_ms"]),
        "vcpu_wait_pct": div(100.0 * (d["v0_wait_ns"] + d["v1_wait_ns"]) / 1e6, 2 * d["window_ms"]),
        "answers_per_vcpu1_s": div(d["answered"], d["v1_run_ns"] / 1e9),
    }
    return m


def legit_metrics(j, prefix):
    if not j:
        return {}
    return {
        prefix + "attempted": j["attempted"],
        prefix + "ok": j["ok"],
        prefix + "success_pct": div(100.0 * j["ok"], j["attempted"]),
        prefix + "connect_p50_ms": j["connect_ms"]["p50"] if j["ok"] else None,
        prefix + "connect_p99_ms": j["connect_ms"]["p99"] if j["ok"] else None,
    }


def load(raw_dir, series):
    """-> meta, rate, rows: {(contender, phase): [ {run, metrics...} ]}"""
    path = os.path.join(raw_dir, series, "raw.jsonl")
    meta, rate = {}, None
    rows = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            d = json.loads(line)
            ph = d["phase"]
            if ph == "meta":
                meta = d
                continue
            if ph == "rate":
                rate = d["rate"]
                continue
            c = d["contender"]
            if ph == "xsp_stats":
                rows.setdefault((c, ph), []).append({"run": d["run"], **d["stats"]})
                continue
            m = {"run": d["run"]}
            if ph in ("syn_sat", "syn_fixed", "ack_fixed", "mem", "legit_base"):
                m.update(flood_metrics(d))
            if ph in ("legit_base", "syn_sat", "syn_fixed"):
                m.update(legit_metrics(d.get("legit"), "legit_"))
            if ph == "ack_fixed":
                m.update(legit_metrics(d.get("real"), "real_"))
                m["replies_pps"] = m["answered_pps"]
            if ph == "mem":
                s0, s1 = d["slab_kb"]
                u0, u1 = d["sunreclaim_kb"]
                c0, c1 = d["conntrack"]
                m.update({
                    "syns_delivered": d["srv_rx"],
                    "slab_growth_kb": s1 - s0,
                    "sunreclaim_growth_kb": u1 - u0,
                    "slab_kb_per_1M": div((s1 - s0) * 1e6, d["srv_rx"]),
                    "conntrack_before": c0,
                    "conntrack_after": c1,
                })
            if ph == "iperf":
                m.update({
                    "module": d.get("module"),
                    "bytes": d["srv_rx_bytes"],
                    "secs": d["window_ms"] / 1000.0,
                    "v1_run_ns": d["v1_run_ns"],
                    "busy_ms": max(d["window_ms"] - d["cpu1_idle"] * USER_HZ_MS, 0),
                })
            rows.setdefault((c, ph), []).append(m)
    return meta, rate, rows


def per_run(rows, key, fn):
    """apply fn to the list of rows of each run, -> list of values"""
    runs = {}
    for r in rows.get(key, []):
        runs.setdefault(r["run"], []).append(r)
    vals = []
    for run in sorted(runs):
        v = fn(runs[run])
        if v is not None:
            vals.append(v)
    return vals


def stat(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "n": len(vals)}


def field(rows, contender, phase, name):
    return stat(per_run(rows, (contender, phase), lambda rs: rs[0].get(name)))


def iperf_stats(rows, contender):
    """throughput (Mbit/s) and server CPU per byte, per state of the module"""
    out = {}
    for state in ("n/a", "on", "off"):
        def tput(rs, state=state):
            rs = [r for r in rs if r["module"] == state]
            b = sum(r["bytes"] for r in rs)
            t = sum(r["secs"] for r in rs)
            return div(b * 8 / 1e6, t) if rs else None

        def cpu(rs, state=state):
            rs = [r for r in rs if r["module"] == state]
            return div(sum(r["v1_run_ns"] for r in rs), sum(r["bytes"] for r in rs) / 1024.0) if rs else None

        t = stat(per_run(rows, (contender, "iperf"), tput))
        if t:
            out[state] = {"mbit_s": t, "cpu_host_ns_per_kib": stat(per_run(rows, (contender, "iperf"), cpu))}

    def ratio(rs, what):
        on = [r for r in rs if r["module"] == "on"]
        off = [r for r in rs if r["module"] == "off"]
        if not on or not off:
            return None
        if what == "tput":
            a = div(sum(r["bytes"] for r in on), sum(r["secs"] for r in on))
            b = div(sum(r["bytes"] for r in off), sum(r["secs"] for r in off))
        else:
            a = div(sum(r["v1_run_ns"] for r in on), sum(r["bytes"] for r in on))
            b = div(sum(r["v1_run_ns"] for r in off), sum(r["bytes"] for r in off))
        return div(a, b)

    if "on" in out:
        out["ratio_on_off"] = stat(per_run(rows, (contender, "iperf"), lambda rs: ratio(rs, "tput")))
        out["cpu_ratio_on_off"] = stat(per_run(rows, (contender, "iperf"), lambda rs: ratio(rs, "cpu")))
    return out


def ratio_stat(rows, a, b, phase, name):
    """median over runs of (a's metric / b's metric) of the same run"""
    def get(c):
        return {r["run"]: r.get(name) for r in rows.get((c, phase), [])}
    ra, rb = get(a), get(b)
    return stat([div(ra[k], rb[k]) for k in ra if k in rb and ra[k] is not None and rb.get(k)])


# --- analysis of one kernel ---------------------------------------------------

FLOOD_FIELDS = ["offered_pps", "delivered_pps", "answered_pps", "dropped_at_backlog",
                "cpu_host_us_per_answer", "cpu_host_us_per_packet",
                "cpu_guest_sirq_us_per_answer", "cpu_guest_busy_us_per_answer",
                "cpu_guest_busy_us_per_packet", "cpu1_busy_pct", "vcpu1_host_pct",
                "vcpu0_host_pct", "vcpu_wait_pct", "answers_per_vcpu1_s"]
LEGIT_FIELDS = ["legit_attempted", "legit_ok", "legit_success_pct", "legit_connect_p50_ms",
                "legit_connect_p99_ms"]


def analyse(raw_dir, series):
    meta, rate, rows = load(raw_dir, series)
    k = {"series": series, "abi": meta.get("abi"), "meta": meta, "fixed_rate_pps": rate,
         "contenders": {}}
    for c in CONTENDERS:
        r = {}
        for ph, names in (("syn_sat", FLOOD_FIELDS + LEGIT_FIELDS),
                          ("syn_fixed", FLOOD_FIELDS + LEGIT_FIELDS),
                          ("ack_fixed", FLOOD_FIELDS + ["replies_pps", "real_attempted", "real_ok"]),
                          ("legit_base", LEGIT_FIELDS),
                          ("mem", ["syns_delivered", "slab_growth_kb", "sunreclaim_growth_kb",
                                   "slab_kb_per_1M", "conntrack_before", "conntrack_after"])):
            r[ph] = {n: field(rows, c, ph, n) for n in names}
        r["iperf"] = iperf_stats(rows, c)
        if (c, "xsp_stats") in rows:
            r["xsp_stats_last_run"] = rows[(c, "xsp_stats")][-1]
        r["profile"] = profile(raw_dir, series, c)
        k["contenders"][c] = r
    k["ratios"] = {}
    for other in ("syncookies", "nft"):
        for ph in ("syn_fixed", "syn_sat"):
            for name in ("cpu_host_us_per_answer", "cpu_guest_busy_us_per_answer",
                         "cpu_guest_sirq_us_per_answer"):
                k["ratios"]["%s/%s %s %s" % ("xsynproxy", other, ph, name)] = \
                    ratio_stat(rows, "xsynproxy", other, ph, name)
        k["ratios"]["xsynproxy/%s ack_fixed cpu_host_us_per_packet" % other] = \
            ratio_stat(rows, "xsynproxy", other, "ack_fixed", "cpu_host_us_per_packet")
        k["ratios"]["xsynproxy/%s syn_sat answered_pps" % other] = \
            ratio_stat(rows, "xsynproxy", other, "syn_sat", "answered_pps")
    return k


# --- profile (perf on CPU 1 during a saturating flood) -----------------------

CATEGORIES = [
    ("idle", r"(safe_halt|default_idle|cpuidle|do_idle|mwait|poll_idle|acpi_idle)"),
    ("xsynproxy module (xsp_*)", r"^xsp_"),
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
    ("device RX/TX (backlog queue, dummy xmit)", r"^(__netif|netif_|process_backlog|net_rx_action|"
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

def med(s):
    return s["median"] if s else None


def targets(k, cookie, quick):
    x = k["contenders"]["xsynproxy"]
    t = []

    def add(name, value, limit, ok, unit, note=""):
        t.append({"target": name, "value": value, "limit": limit, "unit": unit,
                  "verdict": "n/a" if value is None else ("PASS" if ok(value) else "MISS"),
                  "note": note})

    for other in ("syncookies", "nft"):
        r = k["ratios"]["xsynproxy/%s syn_fixed cpu_host_us_per_answer" % other]
        add("CPU per answered SYN vs %s (fixed rate)" % LABEL[other], med(r), 0.5,
            lambda v: v <= 0.5, "x")
    for other in ("syncookies", "nft"):
        r = k["ratios"]["xsynproxy/%s syn_sat cpu_host_us_per_answer" % other]
        add("CPU per answered SYN vs %s (saturation)" % LABEL[other], med(r), 0.5,
            lambda v: v <= 0.5, "x")
    sp = med(x["syn_sat"]["legit_success_pct"])
    add("legitimate success under a saturating flood", sp, 99, lambda v: v >= 99, "%")
    ip = x["iperf"].get("ratio_on_off")
    add("established throughput, loaded / not loaded", med(ip) * 100 if ip else None, 97,
        lambda v: v >= 97, "%")
    sl = med(x["mem"]["slab_kb_per_1M"])
    add("slab growth per 1M SYNs", sl / 1024 if sl is not None else None, 1,
        lambda v: v < 1, "MiB",
        "extrapolated from %d SYNs" % med(x["mem"]["syns_delivered"]) if quick and x["mem"]["syns_delivered"] else "")
    add("instructions per IPv4 mint", cookie.get("mint_ipv4"), 400, lambda v: v <= 400, "")
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
    if s["n"] == 1 or lo == hi:
        return fmt(m, digits)
    return "%s (%s–%s)" % (fmt(m, digits), fmt(lo, digits), fmt(hi, digits))


def row(name, k, getter, digits=None, scale=1.0):
    cells = []
    for c in CONTENDERS:
        try:
            s = getter(k["contenders"][c])
        except (KeyError, TypeError):
            s = None
        cells.append(cell(s, digits, scale))
    return "| %s | %s |" % (name, " | ".join(cells))


def kernel_table(k):
    L = []
    h = "| | " + " | ".join(LABEL[c] for c in CONTENDERS) + " |"
    L += [h, "|---" * (len(CONTENDERS) + 1) + "|"]
    rate = k["fixed_rate_pps"]
    L.append("| **1. SYN flood, fixed offered rate** (%s SYN/s) | | | | |" % fmt(rate, 0))
    L.append(row("SYN-ACKs answered /s", k, lambda c: c["syn_fixed"]["answered_pps"], 0))
    L.append(row("server CPU per answered SYN, µs (host time of vCPU 1)", k,
                 lambda c: c["syn_fixed"]["cpu_host_us_per_answer"]))
    L.append(row("server CPU per answered SYN, µs (guest softirq+sys ticks)", k,
                 lambda c: c["syn_fixed"]["cpu_guest_sirq_us_per_answer"]))
    L.append(row("server CPU per delivered SYN, µs (host time of vCPU 1)", k,
                 lambda c: c["syn_fixed"]["cpu_host_us_per_packet"]))
    L.append(row("server CPU 1 busy, % (guest)", k, lambda c: c["syn_fixed"]["cpu1_busy_pct"], 0))
    L.append("| **1. SYN flood, saturation** (generator flat out) | | | | |")
    L.append(row("offered SYN/s", k, lambda c: c["syn_sat"]["offered_pps"], 0))
    L.append(row("delivered to the server /s (rest dropped at its backlog queue)", k,
                 lambda c: c["syn_sat"]["delivered_pps"], 0))
    L.append(row("**highest answered SYN/s**", k, lambda c: c["syn_sat"]["answered_pps"], 0))
    L.append(row("answered per second of vCPU 1 host time", k,
                 lambda c: c["syn_sat"]["answers_per_vcpu1_s"], 0))
    L.append(row("server CPU per answered SYN, µs (host time of vCPU 1)", k,
                 lambda c: c["syn_sat"]["cpu_host_us_per_answer"]))
    L.append(row("server CPU 1 busy, % (guest) / vCPU 1 thread, % of a host CPU", k,
                 lambda c: c["syn_sat"]["cpu1_busy_pct"], 0))
    L.append(row("… vCPU 1 thread, % of a host CPU", k, lambda c: c["syn_sat"]["vcpu1_host_pct"], 0))
    L.append(row("vCPU threads waiting for a host CPU, % (host contention)", k,
                 lambda c: c["syn_sat"]["vcpu_wait_pct"], 0))
    L.append("| **2. Forged-ACK flood** (%s ACK/s) | | | | |" % fmt(rate, 0))
    L.append(row("server CPU per ACK, µs (host time of vCPU 1)", k,
                 lambda c: c["ack_fixed"]["cpu_host_us_per_packet"]))
    L.append(row("server CPU per ACK, µs (guest busy)", k,
                 lambda c: c["ack_fixed"]["cpu_guest_busy_us_per_packet"]))
    L.append(row("replies (RSTs) sent /s", k, lambda c: c["ack_fixed"]["replies_pps"], 0))
    L.append(row("real fetches during the flood, ok", k,
                 lambda c: _okof(c["ack_fixed"], "real_"), 0))
    L.append("| **3. Legitimate clients** | | | | |")
    L.append(row("no flood: success, %", k, lambda c: c["legit_base"]["legit_success_pct"], 1))
    L.append(row("no flood: connect p50, ms", k, lambda c: c["legit_base"]["legit_connect_p50_ms"]))
    L.append(row("no flood: connect p99, ms", k, lambda c: c["legit_base"]["legit_connect_p99_ms"]))
    L.append(row("saturating flood: fetches attempted", k, lambda c: c["syn_sat"]["legit_attempted"], 0))
    L.append(row("**saturating flood: success, %**", k, lambda c: c["syn_sat"]["legit_success_pct"], 1))
    L.append(row("saturating flood: connect p50, ms", k, lambda c: c["syn_sat"]["legit_connect_p50_ms"]))
    L.append(row("saturating flood: connect p99, ms", k, lambda c: c["syn_sat"]["legit_connect_p99_ms"]))
    L.append("| **4. Established throughput** (iperf3) | | | | |")
    L.append(row("Mbit/s", k, lambda c: c["iperf"].get("n/a", c["iperf"].get("on", {})).get("mbit_s"), 0))
    L.append(row("server CPU per KiB, ns (host time of vCPU 1)", k,
                 lambda c: c["iperf"].get("n/a", c["iperf"].get("on", {})).get("cpu_host_ns_per_kib")))
    L.append(row("same connection, module unloaded: Mbit/s", k,
                 lambda c: c["iperf"].get("off", {}).get("mbit_s"), 0))
    L.append(row("**loaded / unloaded throughput, %**", k,
                 lambda c: c["iperf"].get("ratio_on_off"), 1, 100))
    L.append(row("loaded / unloaded CPU per byte, %", k,
                 lambda c: c["iperf"].get("cpu_ratio_on_off"), 1, 100))
    L.append("| **5. Memory** | | | | |")
    L.append(row("SYNs delivered", k, lambda c: c["mem"]["syns_delivered"], 0))
    L.append(row("slab growth, kB", k, lambda c: c["mem"]["slab_growth_kb"], 0))
    L.append(row("**slab growth per 1M SYNs, kB**", k, lambda c: c["mem"]["slab_kb_per_1M"], 0))
    L.append(row("conntrack entries before → after", k,
                 lambda c: _ct(c["mem"]), 0))
    return "\n".join(L)


def _okof(ph, p):
    a, o = ph.get(p + "attempted"), ph.get(p + "ok")
    if not a or not o:
        return None
    return {"median": o["median"], "min": o["min"], "max": o["max"], "n": o["n"]}


def _ct(m):
    b, a = m.get("conntrack_before"), m.get("conntrack_after")
    if not b or not a:
        return None
    return {"median": a["median"] - b["median"], "min": a["min"] - b["max"],
            "max": a["max"] - b["min"], "n": a["n"]}


def profile_table(k):
    profs = {c: k["contenders"][c].get("profile") for c in CONTENDERS}
    if not any(profs.values()):
        return ""
    L = ["Where CPU 1's time goes during a saturating SYN flood (perf, cpu-clock sampling), "
         "as µs per answered SYN: share of the busy samples × the CPU per answered SYN at "
         "saturation (host time of vCPU 1). *no protection* answers almost nothing: its column "
         "is % of busy samples instead.", ""]
    L.append("| | " + " | ".join(LABEL[c] for c in CONTENDERS) + " |")
    L.append("|---" * (len(CONTENDERS) + 1) + "|")
    names = [n for n, _ in CATEGORIES if n != "idle"] + [OTHER]
    tot = {}
    for n in names:
        cells = []
        for c in CONTENDERS:
            p = profs[c]
            if not p:
                cells.append("–")
                continue
            share = p["categories_pct_of_busy"].get(n, 0.0)
            if c == "none":
                cells.append("%.0f %%" % share)
                continue
            us = med(k["contenders"][c]["syn_sat"]["cpu_host_us_per_answer"])
            v = share / 100.0 * us if us else None
            tot[c] = tot.get(c, 0.0) + (v or 0.0)
            cells.append(fmt(v, 2))
        L.append("| %s | %s |" % (n, " | ".join(cells)))
    L.append("| **total** | %s |" % " | ".join(
        "100 %" if c == "none" else fmt(tot.get(c), 2) for c in CONTENDERS))
    x = profs.get("xsynproxy")
    if x:
        L.append("")
        L.append("Top symbols on CPU 1, xsynproxy: " + ", ".join(
            "`%s` %.1f%%" % (t["sym"], t["pct"]) for t in x["top"][:12]) + ".")
    return "\n".join(L)


def headline(k):
    r = k["ratios"]
    L = []
    for other in ("syncookies", "nft"):
        a = r["xsynproxy/%s syn_fixed cpu_host_us_per_answer" % other]
        b = r["xsynproxy/%s syn_sat cpu_host_us_per_answer" % other]
        c = r["xsynproxy/%s syn_sat answered_pps" % other]
        d = r["xsynproxy/%s ack_fixed cpu_host_us_per_packet" % other]
        L.append("- vs %s: CPU per answered SYN ×%s at the fixed rate, ×%s at saturation; "
                 "answered SYN/s at saturation ×%s; CPU per forged ACK ×%s"
                 % (LABEL[other], cell(a, 2), cell(b, 2), cell(c, 2), cell(d, 2)))
    return "\n".join(L)


def gnuplot_chart(report, png):
    """two panels: answered SYN/s at saturation, CPU per answered SYN (fixed rate)"""
    series = [k["series"] for k in report["kernels"]]
    dat = png + ".dat"
    dat2 = png + ".2.dat"
    with open(dat, "w") as f, open(dat2, "w") as f2:
        for out in (f, f2):
            out.write("# contender " + " ".join("%s_med %s_lo %s_hi" % (s, s, s) for s in series) + "\n")
        for c in CONTENDERS:
            for out, key in ((f, ("syn_sat", "answered_pps")), (f2, ("syn_fixed", "cpu_host_us_per_answer"))):
                # no protection answers next to nothing: its CPU per answered
                # SYN is off the scale of the others and means little
                if out is f2 and c == "none":
                    continue
                vals = []
                for k in report["kernels"]:
                    s = k["contenders"][c][key[0]][key[1]]
                    vals += [s["median"], s["min"], s["max"]] if s else [0, 0, 0]
                out.write('"%s" %s\n' % (LABEL[c].replace(" ", "\\n"), " ".join("%g" % v for v in vals)))
    cols1 = ", ".join(
        "'%s' using %d:%d:%d:xtic(1) title 'kernel %s'" % (dat, 2 + 3 * i, 3 + 3 * i, 4 + 3 * i, s)
        for i, s in enumerate(series))
    cols2 = ", ".join(
        "'%s' using %d:%d:%d:xtic(1) title 'kernel %s'" % (dat2, 2 + 3 * i, 3 + 3 * i, 4 + 3 * i, s)
        for i, s in enumerate(series))
    q = "(QUICK run) " if report.get("quick") else ""
    script = """
set terminal pngcairo size 1200,560 font 'DejaVu Sans,10'
set bmargin 5
set output '%(png)s'
set multiplot layout 1,2 title "xsynproxy vs the kernel's defenses %(q)s- QEMU TCG guest, 2 vCPUs, median and min-max of the runs"
set style data histogram
set style histogram errorbars gap 1 lw 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set key top left
set yrange [0:*]
set xtics scale 0
set title 'Highest answered SYN/s (generator flat out)'
set ylabel 'SYN-ACKs per second (emulated: compare ratios only)'
plot %(cols1)s
set title 'Server CPU per answered SYN at %(rate)s SYN/s offered (no protection: off scale)'
set ylabel 'microseconds of vCPU-1 host time (lower is better)'
plot %(cols2)s
unset multiplot
""" % {"png": png, "cols1": cols1, "cols2": cols2, "q": q,
       "rate": "/".join(sorted(set(fmt(k["fixed_rate_pps"], 0) for k in report["kernels"])))}
    with open(png + ".gp", "w") as f:
        f.write(script)
    try:
        subprocess.run(["gnuplot", png + ".gp"], check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        sys.stderr.write("report: no chart (%s); install gnuplot-nox\n" % e)
        return False
    finally:
        for p in (dat, dat2, png + ".gp"):
            try:
                os.unlink(p)
            except OSError:
                pass
    return True


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", required=True)
    ap.add_argument("--series", required=True)
    ap.add_argument("--md", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--png", required=True)
    a = ap.parse_args()

    host = read_host(os.path.join(a.raw, "host.txt"))
    cookie = cookie_cost(os.path.join(a.raw, "cookie.txt"))
    kernels = [analyse(a.raw, s) for s in a.series.split()]
    quick = any(k["meta"].get("quick") for k in kernels)
    report = {"date": host.get("date"), "command": host.get("command"), "host": host,
              "quick": quick, "cookie_instructions": cookie, "kernels": kernels}
    for k in kernels:
        k["targets"] = targets(k, cookie, quick)

    with open(a.json, "w") as f:
        json.dump(report, f, indent=1, sort_keys=True)
    chart = gnuplot_chart(report, a.png)

    md = render_md(report, a, chart)
    with open(a.md, "w") as f:
        f.write(md)

    # terminal summary
    for k in kernels:
        print("kernel %s (%s):" % (k["series"], k["abi"]))
        print(headline(k))
        for t in k["targets"]:
            print("  %-4s %-50s %s%s (target %s%s)%s" % (
                t["verdict"], t["target"], fmt(t["value"]), t["unit"],
                ">= " if "success" in t["target"] or "throughput" in t["target"] else
                "< " if "slab" in t["target"] else "<= ",
                "%g%s" % (t["limit"], t["unit"]), "  [" + t["note"] + "]" if t["note"] else ""))
    print("report: %s, %s%s" % (a.md, a.json, ", " + a.png if chart else ""))
    return 0


def render_md(report, a, chart):
    h = report["host"]
    L = []
    notes_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "notes.md")
    L.append("# Benchmarks: xsynproxy against the kernel's own SYN-flood defenses")
    L.append("")
    L.append("<!-- generated by tools/bench (bench/report.py): do not edit; prose in bench/notes.md -->")
    L.append("")
    if report["quick"]:
        L.append("**QUICK run**: one run per contender, short windows. Not the reference numbers.")
        L.append("")
    L.append("| | |")
    L.append("|---|---|")
    L.append("| date | %s |" % h.get("date", "?"))
    L.append("| command | `%s` (from the top of the tree, after `make vm-modules && make -C tools/synctl`) |"
             % h.get("command", "tools/bench"))
    L.append("| kernels | %s |" % ", ".join("%s (`%s`)" % (k["series"], k["abi"]) for k in report["kernels"]))
    L.append("| QEMU | %s, TCG (no KVM), `-smp 2`, 2 GiB |" % h.get("qemu", "?"))
    L.append("| host | %s, %s CPUs |" % (h.get("host_cpu", "?"), h.get("host_nproc", "?")))
    L.append("| host load average (1/5/15 min) before → after | %s |" % "; ".join(
        "%s: %s → %s" % (k["series"], h.get("load_before_" + k["series"], "?"),
                         h.get("load_after_" + k["series"], "?")) for k in report["kernels"]))
    L.append("| duration | %s |" % ", ".join(
        ["%s: %s s" % (k["series"], h.get("secs_" + k["series"], "?")) for k in report["kernels"]]
        + ["total %s s" % h.get("total_secs", "?")]))
    L.append("| source | %s |" % h.get("git", "?"))
    m = report["kernels"][0]["meta"]
    L.append("| runs | %d per contender and kernel (contender order rotated per run); "
             "figures: median (min–max) |" % m.get("runs", 0))
    L.append("| windows | %s s per measurement; legitimate fetches: %d, at most %d at once, "
             "%d ms timeout each; memory: %s SYNs; iperf3: %d segments of %s s |"
             % (m.get("window_s"), m.get("legit_n", 0), m.get("legit_c", 0),
                m.get("legit_timeout_ms", 0), fmt(m.get("mem_syns"), 0), m.get("iperf_segs", 0),
                m.get("iperf_seg_s")))
    L.append("")
    if chart:
        L.append("![answered SYN/s and CPU per SYN](%s)" % os.path.relpath(a.png, os.path.dirname(a.md)))
        L.append("")
    L.append("## Targets (xsynproxy)")
    L.append("")
    L.append("| target | " + " | ".join("kernel " + k["series"] for k in report["kernels"]) + " |")
    L.append("|---" * (len(report["kernels"]) + 1) + "|")
    for i, t in enumerate(report["kernels"][0]["targets"]):
        cells = []
        for k in report["kernels"]:
            tt = k["targets"][i]
            cells.append("**%s** %s%s%s" % (tt["verdict"], fmt(tt["value"]), tt["unit"],
                                           " (%s)" % tt["note"] if tt["note"] else ""))
        lim = ("≥ " if "success" in t["target"] or "throughput" in t["target"] else
               "< " if "slab" in t["target"] else "≤ ") + "%g%s" % (t["limit"], t["unit"])
        L.append("| %s, %s | %s |" % (t["target"], lim, " | ".join(cells)))
    L.append("")
    for k in report["kernels"]:
        L.append("## Kernel %s (`%s`)" % (k["series"], k["abi"]))
        L.append("")
        L.append("Headline ratios (xsynproxy / other, median of the per-run ratios):")
        L.append("")
        L.append(headline(k))
        L.append("")
        busy = {c: med(k["contenders"][c]["syn_fixed"]["cpu1_busy_pct"]) for c in CONTENDERS}
        hot = [LABEL[c] for c in CONTENDERS if (busy[c] or 0) > 80]
        L.append("Fixed offered rate: %s/s for every contender%s." % (
            fmt(k["fixed_rate_pps"], 0),
            "; **close to saturation for %s** (CPU 1 over 80 %% busy): its fixed-rate figures "
            "are partly saturation figures" % ", ".join(hot) if hot else
            ", below saturation for all (CPU 1 at most %.0f %% busy)" % max(v or 0 for v in busy.values())))
        L.append("")
        L.append(kernel_table(k))
        L.append("")
        P = profile_table(k)
        if P:
            L.append(P)
            L.append("")
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
    try:
        with open(notes_path) as f:
            L.append(f.read().rstrip("\n"))
            L.append("")
    except OSError:
        pass
    return "\n".join(L)


if __name__ == "__main__":
    sys.exit(main())
