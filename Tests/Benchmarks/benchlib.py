#!/usr/bin/env python3
"""Result handling for Tests/Benchmarks/compare.sh (no third-party modules).

Everything that turns raw measurements into numbers lives here so it can be
tested without running a benchmark:

* ``parse_wrk``      wrk 4.x text output -> dict (requests/s, latency percentiles in ms, ...)
* ``median`` / ``ratio``
* ``build_report``   raw run directory -> report dict (medians, ratios, targets, machine, commit)
* ``format_table``   report dict -> the table printed on stdout
* ``make_bodies``    the fixed JSON bodies the upstream nginx serves
* ``render``         @KEY@ substitution for the nginx config templates

Command line (used by compare.sh):

    python3 benchlib.py --self-test
    python3 benchlib.py parse-wrk FILE
    python3 benchlib.py bodies DIR
    python3 benchlib.py render TEMPLATE OUT KEY=VALUE...
    python3 benchlib.py report --raw DIR --out FILE [--param KEY=VALUE]...
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

PROXIES = ("pingate", "nginx")

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

# (scenario key, title, primary metric, description)
WRK_SCENARIOS = [
    ("cached_1k_get", "cached 1 KB GET"),
    ("cached_64k_get", "cached 64 KB GET"),
    ("passthrough_1k_get", "pass-through 1 KB GET"),
    ("ratelimit_flood", "rate-limit flood (429s)"),
]


def _load_json(path: str) -> Any:
    with open(path) as f:
        return json.load(f)


def _runs(raw: str, scenario: str, ext: str) -> List[Dict[str, Any]]:
    """Runs of one scenario, files named <proxy>-<index>.<ext>."""
    d = os.path.join(raw, scenario)
    runs: List[Dict[str, Any]] = []
    if not os.path.isdir(d):
        return runs
    for name in sorted(os.listdir(d)):
        m = re.fullmatch(r"(pingate|nginx)-(\d+)\." + re.escape(ext), name)
        if not m:
            continue
        path = os.path.join(d, name)
        try:
            if ext == "txt":
                with open(path) as f:
                    data = parse_wrk(f.read())
            else:
                data = _load_json(path)
        except (ValueError, OSError, json.JSONDecodeError) as e:
            data = {"error": f"{type(e).__name__}: {e}"}
        data.update(proxy=m.group(1), index=int(m.group(2)), file=os.path.relpath(path, raw))
        runs.append(data)
    return runs


def _medians(runs: List[Dict[str, Any]], keys: List[str]) -> Dict[str, Dict[str, Optional[float]]]:
    out: Dict[str, Dict[str, Optional[float]]] = {}
    for proxy in PROXIES:
        mine = [r for r in runs if r["proxy"] == proxy and "error" not in r]
        out[proxy] = {k: median([r.get(k) for r in mine]) for k in keys}
        out[proxy]["runs"] = len(mine)
    return out


def _row(scenario: str, metric: str, unit: str, pg: Optional[float], nx: Optional[float],
         target: str = "", met: Optional[bool] = None, show_ratio: bool = True) -> Dict[str, Any]:
    return {"scenario": scenario, "metric": metric, "unit": unit, "pingate": pg, "nginx": nx,
            "ratio": ratio(pg, nx) if show_ratio else None, "target": target, "met": met}


def _ge(value: Optional[float], limit: float) -> Optional[bool]:
    return None if value is None else value >= limit


def _le(value: Optional[float], limit: Optional[float]) -> Optional[bool]:
    return None if value is None or limit is None else value <= limit


def build_report(raw: str, params: Dict[str, str], root: str) -> Dict[str, Any]:
    report: Dict[str, Any] = {
        "schema": "pingate-bench/1",
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine_info(),
        "git": git_info(root),
        "params": params,
        "scenarios": {},
        "rows": [],
    }
    rows: List[Dict[str, Any]] = report["rows"]
    extra_warnings: List[str] = []
    wrk_keys = ["requests_per_sec", "ok_per_sec", "non_2xx_per_sec", "latency_p50_ms", "latency_p90_ms",
                "latency_p99_ms", "latency_avg_ms", "latency_max_ms", "transfer_bytes_per_sec", "requests",
                "non_2xx_3xx"]
    for key, title in WRK_SCENARIOS:
        runs = _runs(raw, key, "txt")
        if not runs:
            continue
        med = _medians(runs, wrk_keys)
        report["scenarios"][key] = {"title": title, "runs": runs, "median": med}
        pg, nx = med["pingate"], med["nginx"]
        if key == "cached_1k_get":
            rps_ratio = ratio(pg["requests_per_sec"], nx["requests_per_sec"])
            rows.append(_row(title, "requests/s", "req/s", pg["requests_per_sec"], nx["requests_per_sec"],
                             ">= 1.0x", _ge(rps_ratio, 1.0)))
            rows.append(_row(title, "p50", "ms", pg["latency_p50_ms"], nx["latency_p50_ms"]))
            rows.append(_row(title, "p99", "ms", pg["latency_p99_ms"], nx["latency_p99_ms"], "<= nginx",
                             _le(pg["latency_p99_ms"], nx["latency_p99_ms"])))
        elif key in ("cached_64k_get", "passthrough_1k_get"):
            limit = 1.0 if key == "cached_64k_get" else 0.9
            rps_ratio = ratio(pg["requests_per_sec"], nx["requests_per_sec"])
            rows.append(_row(title, "requests/s", "req/s", pg["requests_per_sec"], nx["requests_per_sec"],
                             f">= {limit}x", _ge(rps_ratio, limit)))
            rows.append(_row(title, "p50", "ms", pg["latency_p50_ms"], nx["latency_p50_ms"]))
            rows.append(_row(title, "p99", "ms", pg["latency_p99_ms"], nx["latency_p99_ms"]))
        else:  # rate-limit flood: decision cost, informational
            rows.append(_row(title, "429 answers/s", "req/s", pg["non_2xx_per_sec"], nx["non_2xx_per_sec"],
                             "(info)"))
            rows.append(_row(title, "p99", "ms", pg["latency_p99_ms"], nx["latency_p99_ms"]))

    runs = _runs(raw, "upload_1g", "json")
    if runs:
        for r in runs:
            if r.get("ok") is False:
                r["mb_per_s"] = None  # a failed upload has no throughput
        med = _medians(runs, ["mb_per_s", "seconds", "peak_rss_kib", "received_bytes"])
        report["scenarios"]["upload_1g"] = {"title": "1 GiB streamed upload", "runs": runs, "median": med}
        pg, nx = med["pingate"], med["nginx"]
        up_ratio = ratio(pg["mb_per_s"], nx["mb_per_s"])
        rows.append(_row("1 GiB streamed upload", "throughput", "MB/s", pg["mb_per_s"], nx["mb_per_s"], ">= 0.8x",
                         _ge(up_ratio, 0.8)))
        peak = {p: max([r["peak_rss_kib"] for r in runs if r["proxy"] == p and r.get("peak_rss_kib")] or [0]) or None
                for p in PROXIES}
        report["scenarios"]["upload_1g"]["max_peak_rss_kib"] = peak
        pg_mib = peak["pingate"] / 1024 if peak["pingate"] else None
        nx_mib = peak["nginx"] / 1024 if peak["nginx"] else None
        rows.append(_row("1 GiB streamed upload", "peak RSS (max)", "MiB", pg_mib, nx_mib, "pingate <= 64 MiB",
                         _le(pg_mib, 64.0)))

    runs = _runs(raw, "cold_1000", "json")
    if runs:
        med = _medians(runs, ["upstream_calls", "seconds", "ok"])
        report["scenarios"]["cold_1000"] = {"title": "1,000 concurrent cold GETs", "runs": runs, "median": med}
        worst = {p: max([r.get("upstream_calls", 0) for r in runs if r["proxy"] == p and "error" not in r] or [-1])
                 for p in PROXIES}
        worst = {p: (None if v < 0 else v) for p, v in worst.items()}
        all_ok = all(r.get("ok") == r.get("n") for r in runs if r["proxy"] == "pingate")
        report["scenarios"]["cold_1000"]["max_upstream_calls"] = worst
        rows.append(_row("1,000 concurrent cold GETs", "upstream calls (max)", "calls", worst["pingate"],
                         worst["nginx"], "pingate == 1",
                         None if worst["pingate"] is None else (worst["pingate"] == 1 and all_ok), show_ratio=False))
        rows.append(_row("1,000 concurrent cold GETs", "all answered", "s", med["pingate"]["seconds"],
                         med["nginx"]["seconds"]))

    path = os.path.join(raw, "cache_overhead.json")
    if os.path.exists(path):
        ov = _load_json(path)
        report["scenarios"]["cache_overhead"] = ov
        pg = ov.get("overhead_bytes_per_entry_rss")
        n = ov.get("entries_used")
        label = f"RSS growth - body, {int(n):,} entries" if isinstance(n, (int, float)) else "RSS growth - body"
        rows.append(_row("cache overhead / entry", label, "B", pg, None, "<= 512", _le(pg, 512.0),
                         show_ratio=False))
        for key in ("stopped_early", "warning"):
            if ov.get(key):
                extra_warnings.append(f"cache overhead: {ov[key]}")
        if ov.get("overhead_bytes_per_entry_reported") is not None:
            rows.append(_row("cache overhead / entry", "reported by /_pingate/cache", "B",
                             ov["overhead_bytes_per_entry_reported"], None, "(info)", show_ratio=False))

    for extra in ("sanity.json",):
        p = os.path.join(raw, extra)
        if os.path.exists(p):
            report[extra.rsplit(".", 1)[0]] = _load_json(p)
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
    header = ["scenario", "metric", "pingate", "nginx", "ratio", "target", "met?"]
    lines = []
    for r in report["rows"]:
        unit = f" ({r['unit']})" if r["unit"] else ""
        met = "" if r["met"] is None and not r["target"] else ("n/a" if r["met"] is None else ("yes" if r["met"] else "NO"))
        if r["target"] == "(info)":
            met = ""
        lines.append([r["scenario"], r["metric"] + unit, _fmt(r["pingate"]), _fmt(r["nginx"]),
                      "" if r["ratio"] is None else f"{r['ratio']:.2f}x", r["target"], met])
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines)] if lines else [len(h) for h in header]
    def fmt_line(cells: List[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"
    out = [fmt_line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [fmt_line(l) for l in lines]
    m = report.get("machine", {})
    g = report.get("git", {})
    out.append("")
    out.append(f"machine: {m.get('nproc')} cores, {m.get('cpu_model')}, kernel {m.get('kernel')}; "
               f"commit {g.get('commit') or 'none'}{' (dirty)' if g.get('dirty') else ''}")
    out.append(f"targets met: {report.get('targets_met')}/{report.get('targets_total')}"
               " (ratios = pingate median / nginx median, same run)")
    for w in report.get("warnings", []):
        out.append(f"warning: {w}")
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
    # End-to-end: a tiny raw directory -> report -> table.
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        sizes = make_bodies(os.path.join(tmp, "www"))
        checks.append(("bodies sizes", sizes == {"pins1k.json": 1024, "pins64k.json": 65536}))
        with open(os.path.join(tmp, "www", "pins1k.json")) as f:
            checks.append(("body is JSON", json.load(f)["data"]["status"] == "pinned"))
        d = os.path.join(tmp, "cached_1k_get")
        os.makedirs(d)
        for i, (pg, nx) in enumerate([(SAMPLE_WRK_MS, SAMPLE_WRK_SECONDS)] * 3):
            with open(os.path.join(d, f"pingate-{i}.txt"), "w") as f:
                f.write(pg)
            with open(os.path.join(d, f"nginx-{i}.txt"), "w") as f:
                f.write(nx)
        d = os.path.join(tmp, "upload_1g")
        os.makedirs(d)
        for i in range(3):
            for proxy, mbps, rss in (("pingate", 400.0 + i, 30000), ("nginx", 500.0, 6000)):
                with open(os.path.join(d, f"{proxy}-{i}.json"), "w") as f:
                    json.dump({"ok": True, "mb_per_s": mbps, "seconds": 2.0, "peak_rss_kib": rss + i}, f)
        d = os.path.join(tmp, "cold_1000")
        os.makedirs(d)
        for i in range(3):
            for proxy in PROXIES:
                with open(os.path.join(d, f"{proxy}-{i}.json"), "w") as f:
                    json.dump({"n": 1000, "ok": 1000, "upstream_calls": 1, "seconds": 1.1}, f)
        with open(os.path.join(tmp, "cache_overhead.json"), "w") as f:
            json.dump({"overhead_bytes_per_entry_rss": 300.0}, f)
        rep = build_report(tmp, {"duration_s": "10"}, tmp)
        rows = {(r["scenario"], r["metric"]): r for r in rep["rows"]}
        r = rows[("cached 1 KB GET", "requests/s")]
        checks.append(("report rps ratio", close(r["ratio"], 32762.67 / 39.96) and r["met"] is True))
        checks.append(("report p99 met", rows[("cached 1 KB GET", "p99")]["met"] is True))
        up = rows[("1 GiB streamed upload", "throughput")]
        checks.append(("report upload median", close(up["pingate"], 401.0) and close(up["ratio"], 401.0 / 500.0)
                       and up["met"] is True))
        rss = rows[("1 GiB streamed upload", "peak RSS (max)")]
        checks.append(("report rss max", close(rss["pingate"], 30002 / 1024) and rss["met"] is True))
        checks.append(("report cold", rows[("1,000 concurrent cold GETs", "upstream calls (max)")]["met"] is True))
        checks.append(("report overhead", rows[("cache overhead / entry", "RSS growth - body")]["met"] is True))
        checks.append(("report no warnings", rep["warnings"] == []))
        checks.append(("report all met", rep["all_targets_met"] is True))
        table = format_table(rep)
        checks.append(("table", "cached 1 KB GET" in table and "| met? |" in table))
        json.dumps(rep)  # serialisable
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
    else:
        p.print_help()
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
