#!/usr/bin/env python3
"""Flood pingate far over its upstream budget and check what it accepted, refused and forwarded.

Starts (127.0.0.1 only) a fault-free fake upstream (Tests/Soak/soak.py's, faults off) and
`pingate serve --rate-limit RATE --burst BURST --no-cache`, then runs `wrk` for SECONDS. Reports offered
requests, 2xx answers, 429 answers, upstream calls (counted by the upstream itself) and the budget
burst + rate × t, where t is the run's duration as wrk measured it.

Exit status 1, with one line per missed criterion on stderr, when the accepted count is off the budget by
more than --tolerance (default 1) either way, when upstream calls differ from accepted requests, when an
answer was neither 2xx nor 429, or when a request got no answer (wrk socket errors).

Usage: python3 Tests/Benchmarks/flood.py [--pingate .build/release/pingate] [--rate 10] [--burst 10] [--seconds 10]
"""
import argparse, http.client, json, math, os, subprocess, sys, tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Soak"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import soak  # noqa: E402
from benchlib import parse_wrk  # noqa: E402


def fetch(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path)
    body = conn.getresponse().read().decode()
    conn.close()
    return body


def counted(metrics, status):
    """pingate_requests_total for proxied GETs answered with `status` (the admin route left out)."""
    total = 0.0
    for line in metrics.splitlines():
        if (line.startswith("pingate_requests_total{") and 'method="GET"' in line and f'status="{status}"' in line
                and 'route="admin"' not in line):
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


def judge(report, tolerance):
    """The criteria, one line per miss."""
    failures = []
    budget = report["budget"]
    low, high = math.floor(budget) - tolerance, math.floor(budget) + tolerance
    if not low <= report["accepted"] <= high:
        failures.append(f"accepted {report['accepted']} requests, budget {budget:.2f} "
                        f"(burst {report['burst']} + rate {report['rate_per_s']:g} x {report['seconds_measured']:.2f} s), "
                        f"allowed {low}..{high}")
    if report["upstream_calls"] != report["accepted"]:
        failures.append(f"{report['upstream_calls']} upstream calls for {report['accepted']} accepted requests")
    if report["other_answers"]:
        failures.append(f"{report['other_answers']} answers were neither 2xx nor 429")
    if report["without_answer"]:
        failures.append(f"{report['without_answer']} requests without an answer (wrk socket errors)")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pingate", default=".build/release/pingate")
    parser.add_argument("--rate", type=float, default=10)
    parser.add_argument("--burst", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--tolerance", type=int, default=1, help="accepted count may be off the budget by this much")
    parser.add_argument("--start-seconds", type=float, default=60.0, help="how long pingate may take to become healthy")
    args = parser.parse_args()

    soak.FaultyUpstream.faults = {}
    upstream, upstream_port = soak.start_upstream()
    proxy_port = soak.free_port()
    vault, env = soak.make_vault(args.pingate, tempfile.mkdtemp(prefix="pingate-flood-"), "flood.pgv")
    proxy = subprocess.Popen([args.pingate, "serve", "--vault", vault, "--listen", f"127.0.0.1:{proxy_port}",
                              "--upstream", f"http://127.0.0.1:{upstream_port}", "--rate-limit", str(args.rate),
                              "--burst", str(args.burst), "--no-cache", "--no-access-log", "--log-level", "error"],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not soak.wait_until(args.start_seconds, lambda: proxy.poll() is not None or soak.healthy(proxy_port)) \
                or proxy.poll() is not None:
            print(f"flood: pingate did not become healthy within {args.start_seconds:g} s", file=sys.stderr)
            return 1
        soak.FaultyUpstream.counts.clear()
        metrics_before = fetch(proxy_port, "/_pingate/metrics")
        out = subprocess.run(["wrk", "-t1", f"-c{args.connections}", f"-d{args.seconds}s",
                              f"http://127.0.0.1:{proxy_port}/api/pinning/pins/"],
                             capture_output=True, text=True).stdout
        run = parse_wrk(out)

        def settled():
            """pingate's 2xx count equals the upstream's count: every forwarded request has been answered."""
            metrics = fetch(proxy_port, "/_pingate/metrics")
            accepted = counted(metrics, 200) - counted(metrics_before, 200)
            return (metrics, accepted) if accepted == soak.FaultyUpstream.counts.get("ok", 0) else None

        final = soak.wait_until(10.0, settled)
        metrics = final[0] if final else fetch(proxy_port, "/_pingate/metrics")
        accepted = counted(metrics, 200) - counted(metrics_before, 200)
        rejected = counted(metrics, 429) - counted(metrics_before, 429)
        answered = run["requests"]
        report = {
            "rate_per_s": args.rate, "burst": args.burst, "seconds": args.seconds, "connections": args.connections,
            "seconds_measured": run["duration_s"], "offered": answered,
            "offered_per_s": round(answered / run["duration_s"]) if run["duration_s"] else None,
            "accepted": accepted, "rejected_429": rejected, "wrk_non_2xx": run["non_2xx_3xx"],
            "accepted_by_wrk": answered - run["non_2xx_3xx"],
            "other_answers": max(0, run["non_2xx_3xx"] - rejected),
            "without_answer": sum(run["socket_errors"].values()),
            "upstream_calls": soak.FaultyUpstream.counts.get("ok", 0),
            "budget": args.burst + args.rate * run["duration_s"],
        }
        failures = judge(report, args.tolerance)
        report["failures"] = failures
        print(json.dumps(report, indent=2))
        for failure in failures:
            print(f"flood: FAILED: {failure}", file=sys.stderr)
        return 1 if failures else 0
    finally:
        proxy.terminate()
        try:
            proxy.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proxy.kill()
        upstream.shutdown()


if __name__ == "__main__":
    sys.exit(main())
