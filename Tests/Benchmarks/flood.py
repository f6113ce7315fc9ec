#!/usr/bin/env python3
"""Flood pingate far over its upstream budget and count what it accepted, refused and forwarded.

Starts (127.0.0.1 only) a fault-free fake upstream (Tests/Soak/soak.py's, faults off) and
`pingate serve --rate-limit RATE --burst BURST --no-cache`, then runs `wrk` for SECONDS. Reports offered
requests, 2xx answers, 429 answers, upstream calls (counted by the upstream itself) and the expected
accepted count burst + rate × seconds.

Usage: python3 Tests/Benchmarks/flood.py [--pingate .build/release/pingate] [--rate 10] [--burst 10] [--seconds 10]
"""
import argparse, json, os, re, subprocess, sys, tempfile, threading, time, http.client
from http.server import ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Soak"))
import soak  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pingate", default=".build/release/pingate")
    parser.add_argument("--rate", type=float, default=10)
    parser.add_argument("--burst", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()

    soak.FaultyUpstream.faults = {}
    upstream_port, proxy_port = soak.free_port(), soak.free_port()
    upstream = soak.QuietServer(("127.0.0.1", upstream_port), soak.FaultyUpstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    folder = tempfile.mkdtemp(prefix="pingate-flood-")
    vault = os.path.join(folder, "flood.pgv")
    env = dict(os.environ, PINGATE_PASSPHRASE=soak.PASSPHRASE)
    subprocess.run([args.pingate, "vault", "init", "--vault", vault], env=env, check=True, capture_output=True)
    for name, value in (("api_key", soak.API_KEY), ("secret_key", soak.SECRET)):
        subprocess.run([args.pingate, "vault", "set", name, "--vault", vault], env=env, input=value.encode(), check=True, capture_output=True)
    proxy = subprocess.Popen([args.pingate, "serve", "--vault", vault, "--listen", f"127.0.0.1:{proxy_port}",
                              "--upstream", f"http://127.0.0.1:{upstream_port}", "--rate-limit", str(args.rate),
                              "--burst", str(args.burst), "--no-cache", "--no-access-log", "--log-level", "error"],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                c = http.client.HTTPConnection("127.0.0.1", proxy_port, timeout=1)
                c.request("GET", "/_pingate/healthz")
                c.getresponse().read()
                break
            except OSError:
                time.sleep(0.05)
        soak.FaultyUpstream.counts.clear()
        out = subprocess.run(["wrk", "-t1", f"-c{args.connections}", f"-d{args.seconds}s", f"http://127.0.0.1:{proxy_port}/api/pinning/pins/"],
                             capture_output=True, text=True).stdout
        total = int(re.search(r"(\d+) requests in", out).group(1))
        non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
        c = http.client.HTTPConnection("127.0.0.1", proxy_port, timeout=5)
        c.request("GET", "/_pingate/metrics")
        metrics = c.getresponse().read().decode()
        def metric(status):
            return sum(float(v) for v in re.findall(r'pingate_requests_total\{route="w3ipfs",method="GET",status="%d"\} (\S+)' % status, metrics))
        report = {
            "rate_per_s": args.rate, "burst": args.burst, "seconds": args.seconds, "connections": args.connections,
            "offered": total, "offered_per_s": round(total / args.seconds), "accepted_2xx": int(metric(200)),
            "rejected_429": int(metric(429)), "wrk_non_2xx": non2xx,
            "upstream_calls": soak.FaultyUpstream.counts.get("ok", 0),
            "expected_accepted": args.burst + args.rate * args.seconds,
        }
        print(json.dumps(report, indent=2))
        return 0
    finally:
        proxy.terminate()
        proxy.wait(timeout=30)
        upstream.shutdown()


if __name__ == "__main__":
    sys.exit(main())
