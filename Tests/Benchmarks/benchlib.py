#!/usr/bin/env python3
"""Result handling for Tests/Benchmarks/compare.sh (no third-party modules).

Everything that turns raw measurements into numbers lives here so it can be
tested without running a benchmark:

* ``parse_wrk``      wrk 4.x text output -> dict (requests/s, latency percentiles in ms, ...)
* ``median`` / ``ratio`` / ``faster_peer``
* ``cpu_us_per_request``  CPU ticks of a proxy over a run -> µs per completed request
* ``build_report``   raw run directory -> report dict (medians, ratios against the faster of nginx and
                     HAProxy, targets, CPU per request, correctness failures, not-run scenarios, machine, commit)
* ``format_table``   report dict -> the table printed on stdout
* ``make_bodies``    the fixed JSON bodies the upstream nginx serves
* ``render``         @KEY@ substitution for the nginx config templates

Command line (used by compare.sh):

    python3 benchlib.py --self-test
    python3 benchlib.py parse-wrk FILE
    python3 benchlib.py bodies DIR
    python3 benchlib.py render TEMPLATE OUT KEY=VALUE...
    python3 benchlib.py report --raw DIR --out FILE [--param KEY=VALUE]...

`report` exits 1 when a correctness criterion was missed (the table lists which), 0 otherwise.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from typing import Any, Dict, List, Optional

PROXIES = ("pingate", "nginx", "haproxy")

# --------------------------------------------------------------------------- wrk parsing

_TIME_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_METRIC_UNITS = {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9}
_BYTE_UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}

_NUM = r"([0-9]+(?:\.[0-9]+)?)"


def parse_duration_ms(text: str) -> float:
    """'296.13us' -> 0.29613, '1.95ms' -> 1.95, '2.00s' -> 2000.0, '1.50m' -> 90000.0."""
    m = re.fullmatch(_NUM + r"(us|ms|s|m|h)", text.strip())
    if not m:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(m.group(1)) * _TIME_UNITS_MS[m.group(2)]


def parse_metric(text: str) -> float:
    """'32.92k' -> 32920.0, '1.2M' -> 1200000.0, '512' -> 512.0."""
    m = re.fullmatch(_NUM + r"([kKMG]?)", text.strip())
    if not m:
        raise ValueError(f"not a wrk count: {text!r}")
    return float(m.group(1)) * _METRIC_UNITS[m.group(2)]


def parse_bytes(text: str) -> float:
    """'363.46MB' -> bytes (wrk uses binary units)."""
    m = re.fullmatch(_NUM + r"(B|KB|MB|GB|TB)", text.strip())
    if not m:
        raise ValueError(f"not a wrk byte size: {text!r}")
    return float(m.group(1)) * _BYTE_UNITS[m.group(2)]


def parse_wrk(text: str) -> Dict[str, Any]:
    """Parse the text wrk 4.x prints (with --latency). Raises ValueError when the
    essential lines (requests line, Requests/sec) are missing."""
    out: Dict[str, Any] = {}
    m = re.search(r"(\d+) threads and (\d+) connections", text)
    if m:
        out["threads"], out["connections"] = int(m.group(1)), int(m.group(2))
    m = re.search(r"^\s*Latency\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)%", text, re.M)
    if m:
        out["latency_avg_ms"] = parse_duration_ms(m.group(1))
        out["latency_stdev_ms"] = parse_duration_ms(m.group(2))
        out["latency_max_ms"] = parse_duration_ms(m.group(3))
    m = re.search(r"^\s*Req/Sec\s+(\S+)\s+(\S+)\s+(\S+)", text, re.M)
    if m:
        out["thread_req_per_sec_avg"] = parse_metric(m.group(1))
    if "Latency Distribution" in text:
        dist = text.split("Latency Distribution", 1)[1]
        for pct, value in re.findall(r"^\s*(\d+(?:\.\d+)?)%\s+(\S+)\s*$", dist, re.M):
            key = "p" + pct.rstrip("0").rstrip(".") if "." in pct else "p" + pct
            out[f"latency_{key}_ms"] = parse_duration_ms(value)
    m = re.search(r"^\s*(\d+) requests in (\S+), (\S+) read", text, re.M)
    if not m:
        raise ValueError("wrk output has no 'N requests in T, B read' line")
    out["requests"] = int(m.group(1))
    out["duration_s"] = parse_duration_ms(m.group(2)) / 1000.0
    out["bytes_read"] = parse_bytes(m.group(3))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    out["non_2xx_3xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    out["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"), map(int, m.groups()))) if m else {
        "connect": 0, "read": 0, "write": 0, "timeout": 0}
    m = re.search(r"^Requests/sec:\s+" + _NUM, text, re.M)
    if not m:
        raise ValueError("wrk output has no 'Requests/sec:' line")
    out["requests_per_sec"] = float(m.group(1))
    m = re.search(r"^Transfer/sec:\s+(\S+)", text, re.M)
    if m:
        out["transfer_bytes_per_sec"] = parse_bytes(m.group(1))
    out["non_2xx_per_sec"] = out["non_2xx_3xx"] / out["duration_s"] if out["duration_s"] > 0 else 0.0
    out["ok_per_sec"] = (out["requests"] - out["non_2xx_3xx"]) / out["duration_s"] if out["duration_s"] > 0 else 0.0
    return out


# --------------------------------------------------------------------------- statistics


def median(values: List[Optional[float]]) -> Optional[float]:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
    """a / b (pingate / nginx); None when either is missing or b is 0."""
    if a is None or b is None or b == 0:
        return None
    return a / b


# --------------------------------------------------------------------------- bodies / templates


def _padded_json(size: int, rows: int) -> bytes:
    """A pin-list-shaped JSON document of exactly `size` bytes (data.status is final,
    so pingate applies its normal TTL)."""
    pin = {
        "id": "00000000-0000-4000-8000-000000000000",
        "cid": "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
        "date_pinned": "2023-01-01T11:11:11.111111Z",
        "pinned": True,
        "status": "pinned",
        "metadata": {"name": "bench", "type": "application/json"},
    }
    doc = {"data": {"count": rows, "status": "pinned", "rows": [pin] * rows, "pad": ""}, "status": "success"}
    raw = json.dumps(doc, separators=(",", ":")).encode()
    if len(raw) > size:
        raise ValueError(f"{rows} rows do not fit in {size} bytes")
    doc["data"]["pad"] = "x" * (size - len(raw))
    raw = json.dumps(doc, separators=(",", ":")).encode()
    assert len(raw) == size, (len(raw), size)
    return raw


def make_bodies(directory: str) -> Dict[str, int]:
    os.makedirs(directory, exist_ok=True)
    files = {"pins1k.json": _padded_json(1024, 2), "pins64k.json": _padded_json(65536, 150)}
    for name, data in files.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)
    return {k: len(v) for k, v in files.items()}


def render(template: str, values: Dict[str, str]) -> str:
    def sub(m: "re.Match[str]") -> str:
        key = m.group(1)
        if key not in values:
            raise KeyError(f"template needs @{key}@")
        return values[key]

    return re.sub(r"@([A-Z0-9_]+)@", sub, template)


# --------------------------------------------------------------------------- machine


def machine_info() -> Dict[str, Any]:
    info: Dict[str, Any] = {
        "nproc": os.cpu_count(),
        "kernel": platform.release(),
        "arch": platform.machine(),
    }
    try:
        info["nproc_available"] = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        pass
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    info["cpu_model"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        info["cpu_model"] = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    info["mem_total_kib"] = int(line.split()[1])
    except OSError:
        pass
    return info


def git_info(root: str) -> Dict[str, Any]:
    def run(*args: str) -> Optional[str]:
        try:
            return subprocess.run(["git", "-C", root, *args], capture_output=True, text=True, timeout=10,
                                  check=True).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None

    commit = run("rev-parse", "HEAD")
    status = run("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


# --------------------------------------------------------------------------- report

PEERS = ("nginx", "haproxy")

# Scenarios measured with wrk, in table order: key -> title, primary metric, target ratio against the
# faster peer, whether every answer must be 2xx, whether pingate's p99 must not exceed the faster peer's.
WRK_SCENARIOS: Dict[str, Dict[str, Any]] = {
    "cached_1k_get": {"title": "cached 1 KB hit", "target": 1.0, "p99_target": True},
    "cached_64k_get": {"title": "cached 64 KB hit", "target": 1.0},
    "passthrough_1k_get": {"title": "pass-through 1 KB GET, http upstream", "target": 1.0},
    "passthrough_tls_1k_get": {"title": "pass-through 1 KB GET, https upstream", "target": 1.0},
    "post_4k": {"title": "POST 4 KB JSON, pass-through", "target": 1.0},
    "cache_miss": {"title": "cacheable miss (new URL, stored)", "target": 0.9},
    "ratelimit_flood": {"title": "429 flood over budget", "target": 1.0, "metric": "non_2xx_per_sec",
                        "metric_label": "429 answers/s", "all_2xx": False},
}
UPLOAD_RSS_LIMIT_MIB = 64.0
OVERHEAD_LIMIT_BYTES = 512.0
_RUN_FILE = re.compile(r"(" + "|".join(PROXIES) + r")-(\d+)\.(txt|json)")


def _load_json(path: str) -> Any:
    with open(path) as f:
        return json.load(f)


def cpu_us_per_request(cpu: Optional[Dict[str, Any]], requests: Optional[float]) -> Optional[float]:
    """CPU time (utime+stime ticks of the proxy's processes over the run) per completed request, in µs."""
    if not cpu or not requests or cpu.get("ticks") is None or not cpu.get("clk_tck"):
        return None
    return cpu["ticks"] / cpu["clk_tck"] * 1e6 / requests


def _runs(raw: str, scenario: str) -> List[Dict[str, Any]]:
    """Runs of one scenario: <proxy>-<index>.txt (wrk) or .json (loadgen), each with <proxy>-<index>.cpu.json."""
    d = os.path.join(raw, scenario)
    runs: List[Dict[str, Any]] = []
    if not os.path.isdir(d):
        return runs
    for name in sorted(os.listdir(d)):
        m = _RUN_FILE.fullmatch(name)
        if not m:
            continue
        path = os.path.join(d, name)
        try:
            if m.group(3) == "txt":
                with open(path) as f:
                    data = parse_wrk(f.read())
            else:
                data = _load_json(path)
        except (ValueError, OSError) as e:
            data = {"error": f"{type(e).__name__}: {e}"}
        data.update(proxy=m.group(1), index=int(m.group(2)), file=os.path.relpath(path, raw))
        cpu_path = os.path.join(d, f"{m.group(1)}-{m.group(2)}.cpu.json")
        if os.path.exists(cpu_path):
            try:
                data["cpu"] = _load_json(cpu_path)
            except (ValueError, OSError):
                data["cpu"] = None
        requests = data.get("requests")
        if requests is None:
            requests = data.get("n") if "n" in data else (1 if "bytes" in data else None)
        data["cpu_us_per_request"] = cpu_us_per_request(data.get("cpu"), requests)
        runs.append(data)
    return runs


def _medians(runs: List[Dict[str, Any]], keys: List[str]) -> Dict[str, Dict[str, Optional[float]]]:
    out: Dict[str, Dict[str, Optional[float]]] = {}
    for proxy in PROXIES:
        mine = [r for r in runs if r["proxy"] == proxy and "error" not in r]
        out[proxy] = {k: median([r.get(k) for r in mine]) for k in keys}
        out[proxy]["runs"] = len(mine)
    return out


def faster_peer(values: Dict[str, Optional[float]]) -> Optional[str]:
    """The peer (nginx or haproxy) with the higher value; None when no peer has one."""
    have = [p for p in PEERS if values.get(p) is not None]
    return max(have, key=lambda p: values[p]) if have else None


def _row(scenario: str, metric: str, unit: str, values: Dict[str, Optional[float]], peer: Optional[str] = None,
         target: str = "", met: Optional[bool] = None) -> Dict[str, Any]:
    """One table row; `peer` names the proxy the ratio is taken against (pingate ÷ peer)."""
    return {"scenario": scenario, "metric": metric, "unit": unit,
            **{p: values.get(p) for p in PROXIES}, "measured": [p for p in PROXIES if p in values],
            "ratio": ratio(values.get("pingate"), values.get(peer)) if peer else None, "ratio_peer": peer,
            "target": target, "met": met}


def _ge(value: Optional[float], limit: float) -> Optional[bool]:
    return None if value is None else value >= limit


def _le(value: Optional[float], limit: Optional[float]) -> Optional[bool]:
    return None if value is None or limit is None else value <= limit


def load_not_run(raw: str) -> Dict[str, Dict[str, str]]:
    """not_run.tsv (scenario, proxy, reason per line) -> {scenario: {proxy: reason}}."""
    out: Dict[str, Dict[str, str]] = {}
    path = os.path.join(raw, "not_run.tsv")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t", 2)
                if len(parts) == 3:
                    out.setdefault(parts[0], {})[parts[1]] = parts[2]
    return out


def _unanswered(r: Dict[str, Any]) -> int:
    errors = r.get("socket_errors") or {}
    return sum(int(v) for v in errors.values())


def wrk_failures(scenario: str, runs: List[Dict[str, Any]], all_2xx: bool) -> List[str]:
    """Correctness criteria of a wrk scenario: a result for every run, no request without an answer
    (wrk socket errors: connect, read, write, timeout), and no non-2xx answer where all should be 2xx."""
    out = []
    for r in runs:
        where = f"{scenario}: {r['proxy']} run {r['index']}"
        if "error" in r:
            out.append(f"{where}: no wrk result ({r['error']})")
            continue
        if _unanswered(r):
            e = r["socket_errors"]
            out.append(f"{where}: requests without an answer (socket errors: connect {e['connect']}, "
                       f"read {e['read']}, write {e['write']}, timeout {e['timeout']})")
        if all_2xx and r.get("non_2xx_3xx"):
            out.append(f"{where}: {r['non_2xx_3xx']} non-2xx answers of {r['requests']} (all should be 2xx)")
    return out


def build_report(raw: str, params: Dict[str, str], root: str) -> Dict[str, Any]:
    report: Dict[str, Any] = {
        "schema": "pingate-bench/2",
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine_info(),
        "git": git_info(root),
        "params": params,
        "scenarios": {},
        "rows": [],
    }
    rows: List[Dict[str, Any]] = report["rows"]
    failures: List[str] = []
    extra_warnings: List[str] = []
    not_run = load_not_run(raw)
    report["not_run"] = not_run
    wrk_keys = ["requests_per_sec", "ok_per_sec", "non_2xx_per_sec", "latency_p50_ms", "latency_p90_ms",
                "latency_p99_ms", "latency_avg_ms", "latency_max_ms", "transfer_bytes_per_sec", "requests",
                "non_2xx_3xx", "cpu_us_per_request"]
    for key, spec in WRK_SCENARIOS.items():
        runs = _runs(raw, key)
        if not runs and key not in not_run:
            continue
        title, metric = spec["title"], spec.get("metric", "requests_per_sec")
        med = _medians(runs, wrk_keys)
        report["scenarios"][key] = {"title": title, "runs": runs, "median": med, "not_run": not_run.get(key, {})}
        failures += wrk_failures(key, runs, spec.get("all_2xx", True))
        primary = {p: med[p][metric] for p in PROXIES}
        peer = faster_peer(primary)
        report["scenarios"][key]["faster_peer"] = peer
        limit = spec["target"]
        r = ratio(primary["pingate"], primary.get(peer)) if peer else None
        rows.append(_row(title, spec.get("metric_label", "requests/s"), "req/s", primary, peer,
                         f">= {limit}x faster peer", _ge(r, limit)))
        p99 = {p: med[p]["latency_p99_ms"] for p in PROXIES}
        if spec.get("p99_target"):
            rows.append(_row(title, "p99", "ms", p99, peer, "<= faster peer's",
                             _le(p99["pingate"], p99.get(peer) if peer else None)))
        else:
            rows.append(_row(title, "p99", "ms", p99, peer))
        rows.append(_row(title, "CPU per request", "µs", {p: med[p]["cpu_us_per_request"] for p in PROXIES}, peer))

    runs = _runs(raw, "upload_1g")
    if runs or "upload_1g" in not_run:
        size = max([r.get("bytes") or 0 for r in runs] or [1 << 30])
        title = (f"{size / (1 << 30):g} GiB" if size >= 1 << 30 else f"{size / (1 << 20):g} MiB") + " streamed upload"
        for r in runs:
            if r.get("ok") is not True:
                r["mb_per_s"] = None  # a failed upload has no throughput
                r["cpu_us_per_request"] = None
                failures.append(f"upload_1g: {r['proxy']} run {r['index']}: upload without a correct answer "
                                f"(status {r.get('status')}, received {r.get('received_bytes')} of {r.get('bytes')} bytes"
                                f"{', ' + r['error'] if r.get('error') else ''})")
        med = _medians(runs, ["mb_per_s", "seconds", "peak_rss_kib", "received_bytes", "cpu_us_per_request"])
        report["scenarios"]["upload_1g"] = {"title": title, "runs": runs, "median": med,
                                            "not_run": not_run.get("upload_1g", {})}
        primary = {p: med[p]["mb_per_s"] for p in PROXIES}
        peer = faster_peer(primary)
        r = ratio(primary["pingate"], primary.get(peer)) if peer else None
        rows.append(_row(title, "throughput", "MB/s", primary, peer, ">= 1.0x faster peer", _ge(r, 1.0)))
        peak: Dict[str, Optional[float]] = {}
        for p in PROXIES:
            vals = [x["peak_rss_kib"] for x in runs if x["proxy"] == p and x.get("peak_rss_kib")]
            peak[p] = max(vals) / 1024 if vals else None
        report["scenarios"]["upload_1g"]["max_peak_rss_mib"] = peak
        pg_runs = [x for x in runs if x["proxy"] == "pingate"]
        if pg_runs and peak["pingate"] is None:
            failures.append("upload_1g: pingate's peak RSS could not be read")
        elif peak["pingate"] is not None and peak["pingate"] > UPLOAD_RSS_LIMIT_MIB:
            failures.append(f"upload_1g: pingate's peak RSS during the upload was {peak['pingate']:.1f} MiB "
                            f"(limit {UPLOAD_RSS_LIMIT_MIB:.0f} MiB)")
        rows.append(_row(title, "peak RSS (max of runs)", "MiB", peak, None, f"pingate <= {UPLOAD_RSS_LIMIT_MIB:.0f}",
                         _le(peak["pingate"], UPLOAD_RSS_LIMIT_MIB)))
        rows.append(_row(title, "CPU per upload", "µs", {p: med[p]["cpu_us_per_request"] for p in PROXIES}, peer))

    runs = _runs(raw, "cold_1000")
    if runs:
        title = f"{max(r.get('n') or 0 for r in runs):,} concurrent cold GETs"
        med = _medians(runs, ["upstream_calls", "seconds", "ok", "cpu_us_per_request"])
        report["scenarios"]["cold_1000"] = {"title": title, "runs": runs, "median": med}
        for r in runs:
            where = f"cold_1000: {r['proxy']} run {r['index']}"
            if "error" in r:
                failures.append(f"{where}: no result ({r['error']})")
                continue
            unanswered = r.get("n", 0) - sum((r.get("statuses") or {}).values())
            if unanswered:
                failures.append(f"{where}: {unanswered} of {r.get('n')} requests without an answer "
                                f"(errors: {r.get('errors')}, connect errors: {r.get('connect_errors')})")
            non_2xx = sum(v for k, v in (r.get("statuses") or {}).items() if not k.startswith("2"))
            if non_2xx:
                failures.append(f"{where}: {non_2xx} non-2xx answers ({r.get('statuses')})")
            if r["proxy"] == "pingate":
                calls = r.get("upstream_calls")
                if calls is None or calls < 1:
                    failures.append(f"{where}: no upstream call counted (upstream log unreadable?)")
                elif calls > 1:
                    failures.append(f"{where}: {calls} upstream calls for {r.get('n')} concurrent GETs of one URL "
                                    "(must be 1)")
        worst: Dict[str, Optional[float]] = {}
        for p in PROXIES:
            vals = [r.get("upstream_calls") for r in runs if r["proxy"] == p and r.get("upstream_calls") is not None]
            worst[p] = max(vals) if vals else None
        report["scenarios"]["cold_1000"]["max_upstream_calls"] = worst
        rows.append(_row(title, "upstream calls (max of runs)", "", worst, None, "pingate == 1",
                         None if worst["pingate"] is None else worst["pingate"] == 1))
        rows.append(_row(title, "all answered after", "s", {p: med[p]["seconds"] for p in PROXIES}))
        rows.append(_row(title, "CPU per request", "µs", {p: med[p]["cpu_us_per_request"] for p in PROXIES}))

    path = os.path.join(raw, "cache_overhead.json")
    if os.path.exists(path) or "cache_overhead" in not_run:
        title = "cache overhead / entry"
        ov = _load_json(path) if os.path.exists(path) else {}
        cpu_path = os.path.join(raw, "cache_overhead.cpu.json")
        if os.path.exists(cpu_path):
            fill = ov.get("fill") or {}
            warm = ov.get("warm") or {}
            served = sum(s.get("ok", 0) + s.get("other", 0) for s in (fill, warm)) or None
            ov["cpu_us_per_request"] = cpu_us_per_request(_load_json(cpu_path), served)
        report["scenarios"]["cache_overhead"] = ov
        for stage in ("warm", "fill"):
            st = ov.get(stage) or {}
            if st.get("errors") or st.get("other"):
                failures.append(f"cache_overhead: {stage}: {st.get('errors', 0)} requests without an answer, "
                                f"{st.get('other', 0)} non-200 answers")
        pg = ov.get("overhead_bytes_per_entry_rss")
        n = ov.get("entries_used")
        label = f"RSS growth - body, {int(n):,} entries" if isinstance(n, (int, float)) else "RSS growth - body"
        rows.append(_row(title, label, "B", {"pingate": pg}, None, f"<= {OVERHEAD_LIMIT_BYTES:.0f}",
                         _le(pg, OVERHEAD_LIMIT_BYTES)))
        for k in ("stopped_early", "warning"):
            if ov.get(k):
                extra_warnings.append(f"cache overhead: {ov[k]}")
        if ov.get("overhead_bytes_per_entry_reported") is not None:
            rows.append(_row(title, "reported by /_pingate/cache", "B",
                             {"pingate": ov["overhead_bytes_per_entry_reported"]}, None, "(info)"))
        rows.append(_row(title, "CPU per fill request", "µs", {"pingate": ov.get("cpu_us_per_request")}))

    warnings_path = os.path.join(raw, "warnings.txt")
    report["warnings"] = []
    if os.path.exists(warnings_path):
        with open(warnings_path) as f:
            report["warnings"] = [line.rstrip("\n") for line in f if line.strip()]
    report["warnings"] += extra_warnings
    order_path = os.path.join(raw, "order.log")
    if os.path.exists(order_path):
        with open(order_path) as f:
            report["run_order"] = [line.rstrip("\n") for line in f if line.strip()]
    judged = [r["met"] for r in rows if r["target"] and r["target"] != "(info)"]
    report["targets_met"] = sum(1 for m in judged if m)
    report["targets_total"] = len(judged)
    report["all_targets_met"] = bool(judged) and all(m is True for m in judged)
    report["correctness_failures"] = failures
    return report


def _fmt(v: Optional[float]) -> str:
    if v is None:
        return "n/a"
    if float(v).is_integer() and abs(v) < 1000:
        return str(int(v))
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def format_table(report: Dict[str, Any]) -> str:
    header = ["scenario", "metric", *PROXIES, "ratio", "target", "met?"]
    titles_not_run = {}
    for key, by_proxy in report.get("not_run", {}).items():
        title = WRK_SCENARIOS.get(key, {}).get("title") or report["scenarios"].get(key, {}).get("title") or key
        titles_not_run[title] = by_proxy
    lines = []
    for r in report["rows"]:
        unit = f" ({r['unit']})" if r["unit"] else ""
        skipped = titles_not_run.get(r["scenario"], {})
        measured = r.get("measured", PROXIES)
        cells = [("not run" if p in skipped and r.get(p) is None else _fmt(r.get(p)) if p in measured else "-")
                 for p in PROXIES]
        if r["target"] == "(info)" or not r["target"]:
            met = ""
        else:
            met = "n/a" if r["met"] is None else ("yes" if r["met"] else "NO")
        rat = "" if r["ratio"] is None else f"{r['ratio']:.2f}x {r['ratio_peer']}"
        lines.append([r["scenario"], r["metric"] + unit, *cells, rat, r["target"], met])
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines)] if lines else [len(h) for h in header]

    def fmt_line(cells: List[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"

    out = [fmt_line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [fmt_line(line) for line in lines]
    m = report.get("machine", {})
    g = report.get("git", {})
    out.append("")
    out.append(f"machine: {m.get('nproc')} cores, {m.get('cpu_model')}, kernel {m.get('kernel')}; "
               f"commit {g.get('commit') or 'none'}{' (dirty)' if g.get('dirty') else ''}")
    out.append(f"speed targets met: {report.get('targets_met')}/{report.get('targets_total')}"
               " (ratio = pingate median / faster peer's median, same run)")
    for key, by_proxy in report.get("not_run", {}).items():
        for proxy, reason in by_proxy.items():
            out.append(f"not run: {key} for {proxy}: {reason}")
    for w in report.get("warnings", []):
        out.append(f"warning: {w}")
    failures = report.get("correctness_failures", [])
    if failures:
        out.append(f"CORRECTNESS FAILED ({len(failures)}):")
        out += [f"  - {f}" for f in failures]
    else:
        out.append("correctness: every criterion held")
    return "\n".join(out)


# --------------------------------------------------------------------------- self-test

SAMPLE_WRK_MS = """Running 10s test @ http://127.0.0.1:18703/api/pinning/pins/
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.95ms  296.13us   8.03ms   87.08%
    Req/Sec    32.92k     1.56k   35.43k    73.00%
  Latency Distribution
     50%    1.90ms
     75%    2.02ms
     90%    2.21ms
     99%    2.92ms
  327646 requests in 10.00s, 363.46MB read
Requests/sec:  32762.67
Transfer/sec:     36.34MB
"""

SAMPLE_WRK_US_NON2XX = """Running 3s test @ http://127.0.0.1:18702/api/pinning/pins/
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   812.50us  120.00us   1.20s    99.10%
    Req/Sec     1.20M   100.00k    1.50M    70.00%
  Latency Distribution
     50%  780.00us
     75%  850.10us
     90%  900.00us
     99%    1.05s
  3600000 requests in 3.00s, 1.10GB read
  Socket errors: connect 0, read 12, write 3, timeout 7
  Non-2xx or 3xx responses: 3599980
Requests/sec: 1199999.50
Transfer/sec:    375.47MB
"""

SAMPLE_WRK_SECONDS = """Running 10s test @ http://127.0.0.1:18702/api/pinning/big
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.50s   500.00ms   2.00m    66.67%
    Req/Sec    40.00      5.00    50.00     80.00%
  Latency Distribution
     50%    1.25s
     75%    1.75s
     90%    1.90s
     99%    2.00s
  400 requests in 10.01s, 25.10MB read
Requests/sec:     39.96
Transfer/sec:      2.51MB
"""


def self_test() -> int:
    def close(a: float, b: float) -> bool:
        return abs(a - b) <= 1e-6 * max(1.0, abs(b))

    checks = []
    a = parse_wrk(SAMPLE_WRK_MS)
    checks += [
        ("ms rps", close(a["requests_per_sec"], 32762.67)),
        ("ms p50", close(a["latency_p50_ms"], 1.90)),
        ("ms p99", close(a["latency_p99_ms"], 2.92)),
        ("us stdev", close(a["latency_stdev_ms"], 0.29613)),
        ("k-suffixed req/sec", close(a["thread_req_per_sec_avg"], 32920.0)),
        ("requests", a["requests"] == 327646),
        ("duration", close(a["duration_s"], 10.0)),
        ("MB read", close(a["bytes_read"], 363.46 * 1024 * 1024)),
        ("no non2xx", a["non_2xx_3xx"] == 0),
        ("connections", a["connections"] == 64 and a["threads"] == 1),
    ]
    b = parse_wrk(SAMPLE_WRK_US_NON2XX)
    checks += [
        ("us p50", close(b["latency_p50_ms"], 0.78)),
        ("s p99", close(b["latency_p99_ms"], 1050.0)),
        ("s max", close(b["latency_max_ms"], 1200.0)),
        ("M-suffixed req/sec", close(b["thread_req_per_sec_avg"], 1.2e6)),
        ("non2xx", b["non_2xx_3xx"] == 3599980),
        ("non2xx/s", close(b["non_2xx_per_sec"], 3599980 / 3.0)),
        ("socket errors", b["socket_errors"] == {"connect": 0, "read": 12, "write": 3, "timeout": 7}),
        ("GB read", close(b["bytes_read"], 1.10 * 1024**3)),
    ]
    c = parse_wrk(SAMPLE_WRK_SECONDS)
    checks += [
        ("s avg", close(c["latency_avg_ms"], 1500.0)),
        ("minutes max", close(c["latency_max_ms"], 120000.0)),
        ("plain req/sec", close(c["thread_req_per_sec_avg"], 40.0)),
        ("s p99", close(c["latency_p99_ms"], 2000.0)),
        ("duration 10.01", close(c["duration_s"], 10.01)),
    ]
    try:
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n")
        checks.append(("garbage rejected", False))
    except ValueError:
        checks.append(("garbage rejected", True))
    checks += [
        ("median odd", median([3.0, 1.0, 2.0]) == 2.0),
        ("median even", median([4.0, 1.0, 2.0, 3.0]) == 2.5),
        ("median skips None", median([None, 5.0]) == 5.0),
        ("median empty", median([]) is None),
        ("ratio", close(ratio(3.0, 2.0) or 0, 1.5)),
        ("ratio /0", ratio(1.0, 0.0) is None),
        ("render", render("a @X@ b", {"X": "1"}) == "a 1 b"),
    ]
    checks += [
        ("cpu per request", close(cpu_us_per_request({"ticks": 250, "clk_tck": 100}, 50_000) or 0, 50.0)),
        ("cpu without ticks", cpu_us_per_request({"clk_tck": 100}, 10) is None),
        ("cpu without requests", cpu_us_per_request({"ticks": 5, "clk_tck": 100}, 0) is None),
        ("faster peer", faster_peer({"pingate": 9.0, "nginx": 2.0, "haproxy": 3.0}) == "haproxy"),
        ("faster peer, one missing", faster_peer({"nginx": 2.0, "haproxy": None}) == "nginx"),
        ("faster peer, none", faster_peer({"pingate": 1.0}) is None),
    ]
    # End-to-end: a tiny raw directory -> report -> table, once clean and once with every failure kind.
    import tempfile

    def write(path: str, text: str) -> None:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)

    def fill_raw(tmp: str, broken: bool) -> None:
        for i in range(3):
            for proxy, sample, ticks in (("pingate", SAMPLE_WRK_MS, 655), ("nginx", SAMPLE_WRK_SECONDS, 4),
                                         ("haproxy", SAMPLE_WRK_SECONDS.replace("39.96", "49.96"), 4)):
                write(os.path.join(tmp, "cached_1k_get", f"{proxy}-{i}.txt"), sample)
                write(os.path.join(tmp, "cached_1k_get", f"{proxy}-{i}.cpu.json"),
                      json.dumps({"ticks": ticks, "clk_tck": 100}))
                flood = SAMPLE_WRK_US_NON2XX if broken and proxy == "pingate" else \
                    SAMPLE_WRK_US_NON2XX.replace("  Socket errors: connect 0, read 12, write 3, timeout 7\n", "")
                write(os.path.join(tmp, "ratelimit_flood", f"{proxy}-{i}.txt"), flood)
                mbps, rss = {"pingate": (400.0 + i, 30000), "nginx": (500.0, 6000), "haproxy": (300.0, 9000)}[proxy]
                if broken and proxy == "pingate":
                    rss = 70 * 1024
                write(os.path.join(tmp, "upload_1g", f"{proxy}-{i}.json"), json.dumps(
                    {"ok": True, "bytes": 1 << 30, "mb_per_s": mbps, "seconds": 2.0, "peak_rss_kib": rss + i}))
                calls = 2 if broken and proxy == "pingate" else (1000 if proxy == "haproxy" else 1)
                write(os.path.join(tmp, "cold_1000", f"{proxy}-{i}.json"), json.dumps(
                    {"n": 1000, "ok": 1000, "statuses": {"200": 1000}, "upstream_calls": calls, "seconds": 1.1}))
            write(os.path.join(tmp, "passthrough_1k_get", f"nginx-{i}.txt"), SAMPLE_WRK_MS)
            write(os.path.join(tmp, "passthrough_1k_get", f"pingate-{i}.txt"),
                  SAMPLE_WRK_US_NON2XX if broken else SAMPLE_WRK_MS)
        write(os.path.join(tmp, "passthrough_tls_1k_get", "nginx-0.txt"), SAMPLE_WRK_MS)
        write(os.path.join(tmp, "not_run.tsv"), "passthrough_tls_1k_get\tpingate\tpingate serve has no --upstream-ca-file flag\n")
        write(os.path.join(tmp, "cache_overhead.json"), json.dumps(
            {"overhead_bytes_per_entry_rss": 300.0, "entries_used": 100000,
             "fill": {"ok": 100000, "other": 0, "errors": 0}, "warm": {"ok": 20000, "other": 0, "errors": 0}}))
        write(os.path.join(tmp, "cache_overhead.cpu.json"), json.dumps({"ticks": 120, "clk_tck": 100}))

    with tempfile.TemporaryDirectory() as tmp:
        sizes = make_bodies(os.path.join(tmp, "www"))
        checks.append(("bodies sizes", sizes == {"pins1k.json": 1024, "pins64k.json": 65536}))
        with open(os.path.join(tmp, "www", "pins1k.json")) as f:
            checks.append(("body is JSON", json.load(f)["data"]["status"] == "pinned"))
        fill_raw(tmp, broken=False)
        rep = build_report(tmp, {"duration_s": "10"}, tmp)
        rows = {(r["scenario"], r["metric"]): r for r in rep["rows"]}
        r = rows[("cached 1 KB hit", "requests/s")]
        checks.append(("ratio against the faster peer", close(r["ratio"], 32762.67 / 49.96)
                       and r["ratio_peer"] == "haproxy" and r["met"] is True and close(r["haproxy"], 49.96)))
        checks.append(("p99 against the faster peer", rows[("cached 1 KB hit", "p99")]["met"] is True))
        cpu = rows[("cached 1 KB hit", "CPU per request")]
        checks.append(("cpu row", close(cpu["pingate"], 6.55 * 1e6 / 327646) and close(cpu["nginx"], 0.04 * 1e6 / 400)))
        up = rows[("1 GiB streamed upload", "throughput")]
        checks.append(("upload median vs nginx", close(up["pingate"], 401.0) and up["ratio_peer"] == "nginx"
                       and close(up["ratio"], 401.0 / 500.0) and up["met"] is False))
        rss = rows[("1 GiB streamed upload", "peak RSS (max of runs)")]
        checks.append(("upload rss max", close(rss["pingate"], 30002 / 1024) and rss["met"] is True))
        checks.append(("upload cpu is per upload", rows[("1 GiB streamed upload", "CPU per upload")]["pingate"] is None))
        checks.append(("cold", rows[("1,000 concurrent cold GETs", "upstream calls (max of runs)")]["met"] is True
                       and rows[("1,000 concurrent cold GETs", "upstream calls (max of runs)")]["haproxy"] == 1000))
        ov = rows[("cache overhead / entry", "RSS growth - body, 100,000 entries")]
        checks.append(("overhead", ov["met"] is True))
        checks.append(("overhead cpu", close(rows[("cache overhead / entry", "CPU per fill request")]["pingate"],
                                             1.2e6 / 120000)))
        flood = rows[("429 flood over budget", "429 answers/s")]
        checks.append(("flood: non-2xx expected", close(flood["pingate"], 3599980 / 3.0)))
        tls = rows[("pass-through 1 KB GET, https upstream", "requests/s")]
        checks.append(("not run: no pingate value, no verdict", tls["pingate"] is None and tls["met"] is None
                       and close(tls["nginx"], 32762.67)))
        checks.append(("clean run has no failures", rep["correctness_failures"] == []))
        checks.append(("no warnings", rep["warnings"] == []))
        table = format_table(rep)
        header_cells = [c.strip() for c in table.splitlines()[0].strip("|").split("|")]
        checks.append(("table", header_cells == ["scenario", "metric", "pingate", "nginx", "haproxy", "ratio", "target",
                                                 "met?"] and "cached 1 KB hit" in table))
        checks.append(("table not run", "not run: passthrough_tls_1k_get for pingate: pingate serve has no" in table
                       and "| not run " in table))
        checks.append(("table says correct", "correctness: every criterion held" in table))
        json.dumps(rep)  # serialisable

    with tempfile.TemporaryDirectory() as tmp:
        fill_raw(tmp, broken=True)
        rep = build_report(tmp, {}, tmp)
        fails = rep["correctness_failures"]

        def has(*words: str) -> bool:
            return any(all(w in f for w in words) for f in fails)

        checks += [
            ("failure: unanswered", has("ratelimit_flood: pingate run 0", "without an answer", "timeout 7")),
            ("flood: 429s are not a failure", not has("ratelimit_flood", "non-2xx")),
            ("failure: non-2xx", has("passthrough_1k_get: pingate run 2", "3599980 non-2xx")),
            ("failure: cold calls", has("cold_1000: pingate run 1", "2 upstream calls")),
            ("peers may call upstream more than once", not has("cold_1000: haproxy")),
            ("failure: upload rss", has("upload_1g", "70.0 MiB")),
            ("failure table", "CORRECTNESS FAILED" in format_table(rep)),
        ]
        write(os.path.join(tmp, "cached_1k_get", "nginx-1.txt"), "unable to connect\n")
        write(os.path.join(tmp, "upload_1g", "haproxy-0.json"), json.dumps({"ok": False, "bytes": 10, "status": 502}))
        fails = build_report(tmp, {}, tmp)["correctness_failures"]
        checks += [
            ("failure: no wrk result", has("cached_1k_get: nginx run 1", "no wrk result")),
            ("failure: upload answer", has("upload_1g: haproxy run 0", "status 502")),
        ]
    failed = [name for name, ok in checks if not ok]
    for name, ok in checks:
        print(f"{'ok  ' if ok else 'FAIL'} {name}")
    print(f"{len(checks) - len(failed)}/{len(checks)} checks passed")
    return 1 if failed else 0


# --------------------------------------------------------------------------- CLI


def main(argv: List[str]) -> int:
    if argv[:1] == ["--self-test"]:
        return self_test()
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--self-test", action="store_true")
    sub = p.add_subparsers(dest="cmd")
    s = sub.add_parser("parse-wrk")
    s.add_argument("file")
    s = sub.add_parser("bodies")
    s.add_argument("dir")
    s = sub.add_parser("render")
    s.add_argument("template")
    s.add_argument("out")
    s.add_argument("values", nargs="*")
    s = sub.add_parser("report")
    s.add_argument("--raw", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--root", default=os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
    s.add_argument("--param", action="append", default=[])
    args = p.parse_args(argv)
    if args.cmd == "parse-wrk":
        with open(args.file) as f:
            print(json.dumps(parse_wrk(f.read()), indent=2))
    elif args.cmd == "bodies":
        print(json.dumps(make_bodies(args.dir)))
    elif args.cmd == "render":
        values = dict(v.split("=", 1) for v in args.values)
        with open(args.template) as f:
            text = render(f.read(), values)
        with open(args.out, "w") as f:
            f.write(text)
    elif args.cmd == "report":
        params = dict(v.split("=", 1) for v in args.param)
        rep = build_report(args.raw, params, args.root)
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(rep, f, indent=2, sort_keys=False)
            f.write("\n")
        print(format_table(rep))
        if rep["correctness_failures"]:
            return 1
    else:
        p.print_help()
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
