#!/usr/bin/env python3
"""Soak test for pingate: N minutes of mixed traffic with upstream faults injected (CI runs one minute).

Starts, on 127.0.0.1 only:
  * a faulty fake w3ipfs upstream (this file, threads): checks both credential headers and, at random,
    answers slowly (past pingate's read timeout), resets the connection, sends garbage, truncates a body,
    answers 500, or answers 429 with Retry-After;
  * `pingate serve` in front of it (release build by default);
  * CLIENTS client threads sending GET list / GET pin / POST pinByHash / POST upload / DELETE unpin, some of
    them aborted mid-upload; a share of the GETs (--no-store-share) carry `Cache-Control: no-store`, so the
    event-loop relay meets the same faults as the async path.
Every --sample-seconds (default: a thirtieth of the run, at most 10 s) it samples pingate's RSS (VmRSS) and open
file descriptors.

Reports (stdout and --out JSON): requests sent, answered by status, requests WITHOUT an answer (an aborted upload is
not counted as a request), RSS slope (MiB/min, least squares over the second half), descriptors at start and after
the clients stopped (waiting, up to --settle-seconds, for connections pingate closes to go away).

Exit status 1, with one line per missed criterion on stderr, when: a request got no answer; pingate died; the RSS
slope exceeds --max-rss-slope MiB/min; descriptors grew by more than --max-fd-growth; a secret was printed.

Usage: python3 Tests/Soak/soak.py --minutes 10 [--pingate .build/release/pingate] [--clients 16] [--no-store-share 0.3]
                                  [--max-rss-slope 4] [--max-fd-growth 64]
"""
import argparse, http.client, json, os, random, socket, subprocess, sys, tempfile, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_KEY, SECRET = "SOAK-CANARY-KEY-0d9f", "SOAK-CANARY-SECRET-77ae"
PASSPHRASE = "soak passphrase"


class FaultyUpstream(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The head and the body go out in two writes: without TCP_NODELAY the body waits for the peer's delayed ACK
    # (about 40 ms on Linux) on a kept-alive connection, which no real upstream does.
    disable_nagle_algorithm = True
    faults = {"slow": 0.02, "reset": 0.02, "garbage": 0.02, "truncate": 0.02, "error500": 0.02, "throttle": 0.0005}
    counts = {}
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def count(self, name):
        with self.lock:
            self.counts[name] = self.counts.get(name, 0) + 1

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                self.rfile.read(size + 2)
                if size == 0:
                    break
        elif length:
            remaining = length
            while remaining:
                chunk = self.rfile.read(min(remaining, 1 << 16))
                if not chunk:
                    break
                remaining -= len(chunk)

    def answer(self, status, payload, extra=()):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        self.body()
        if self.headers.get("pinning_api_key") != API_KEY or self.headers.get("pinning_secret_key") != SECRET:
            self.count("unauthorized")
            return self.answer(401, {"status": "error", "message": "bad credentials"})
        roll, edge = random.random(), 0.0
        for fault, probability in self.faults.items():
            edge += probability
            if roll < edge:
                self.count(fault)
                if fault == "slow":
                    time.sleep(2.5)
                    break
                if fault == "reset":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    self.connection.close()
                    self.close_connection = True
                    return
                if fault == "garbage":
                    self.wfile.write(b"\x00\xffNOT HTTP AT ALL\r\n\r\n")
                    self.close_connection = True
                    return
                if fault == "truncate":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", "500")
                    self.end_headers()
                    self.wfile.write(b'{"data":')
                    self.close_connection = True
                    return
                if fault == "error500":
                    return self.answer(500, {"status": "error", "message": "injected"})
                if fault == "throttle":
                    return self.answer(429, {"status": "error", "message": "slow down"}, [("Retry-After", "1")])
        self.count("ok")
        pin = {"id": "p%d" % random.randrange(50), "status": "pinned", "pinned": True, "cid": "bafy-soak"}
        if self.command == "GET" and "/pins" in self.path:
            return self.answer(200, {"data": {"totals": {"files": 1, "size": 1}, "pins": [pin]}, "status": "success"})
        return self.answer(201 if self.path.rstrip("/") == "/api/pinning" else 200, {"data": pin, "status": "success"})

    do_GET = do_POST = do_DELETE = do_HEAD = handle_any


class QuietServer(ThreadingHTTPServer):
    """Upstream server that does not print tracebacks for connections pingate abandons on purpose
    (cancelled uploads, read timeouts)."""

    daemon_threads = True

    def handle_error(self, request, client_address):
        pass


def wait_until(deadline_s, probe, poll_s=0.05):
    """Calls probe() until it returns a true value or deadline_s seconds have passed; returns its last value."""
    end = time.monotonic() + deadline_s
    value = probe()
    while not value and time.monotonic() < end:
        time.sleep(poll_s)
        value = probe()
    return value


def healthy(port):
    """True when pingate answers GET /_pingate/healthz with 200."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        conn.request("GET", "/_pingate/healthz")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


def start_upstream():
    """Serves FaultyUpstream (with its current faults) on a free loopback port in a daemon thread: (server, port)."""
    port = free_port()
    server = QuietServer(("127.0.0.1", port), FaultyUpstream)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, port


def make_vault(pingate, folder, name):
    """A vault in `folder` holding the upstream's credentials (values through stdin); returns (path, environment)."""
    vault = os.path.join(folder, name)
    env = dict(os.environ, PINGATE_PASSPHRASE=PASSPHRASE)
    subprocess.run([pingate, "vault", "init", "--vault", vault], env=env, check=True, capture_output=True)
    for entry, value in (("api_key", API_KEY), ("secret_key", SECRET)):
        subprocess.run([pingate, "vault", "set", entry, "--vault", vault], env=env, input=value.encode(), check=True, capture_output=True)
    return vault, env


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid):
    rss, fds = None, None
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except FileNotFoundError:
        pass
    return rss, fds


def slope(samples):
    """Least-squares slope of (minutes, KiB) pairs."""
    if len(samples) < 2:
        return 0.0
    n = len(samples)
    mx = sum(x for x, _ in samples) / n
    my = sum(y for _, y in samples) / n
    den = sum((x - mx) ** 2 for x, _ in samples) or 1
    return sum((x - mx) * (y - my) for x, y in samples) / den


def client_loop(port, deadline, stats, lock, no_store_share=0.0):
    rng = random.Random()
    while time.time() < deadline:
        op = rng.choice(["list", "list", "list", "get", "get", "pin", "upload", "unpin", "abort"])
        try:
            if op == "abort":
                with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                    s.sendall(b"POST /api/pinning/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\n"
                              b"Content-Length: 10000000\r\n\r\n" + b"x" * rng.randrange(1, 200000))
                with lock:
                    stats["aborted_uploads"] += 1
                continue
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
            get_headers = {"Cache-Control": "no-store"} if rng.random() < no_store_share else {}
            if op == "list":
                conn.request("GET", "/api/pinning/pins/?limit=%d" % rng.randrange(1, 5), headers=get_headers)
            elif op == "get":
                conn.request("GET", "/api/pinning/p%d" % rng.randrange(50), headers=get_headers)
            elif op == "pin":
                conn.request("POST", "/api/pinning/pinByHash", body=json.dumps({"hash_to_pin": "Qm%d" % rng.randrange(1000)}),
                             headers={"Content-Type": "application/json"})
            elif op == "upload":
                conn.request("POST", "/api/pinning/", body=os.urandom(rng.randrange(1, 256 * 1024)),
                             headers={"Content-Type": "application/octet-stream"})
            else:
                conn.request("DELETE", "/api/pinning/unpin/p%d" % rng.randrange(50))
            response = None
            response = conn.getresponse()
            try:
                response.read()
                cut = False
            except (http.client.IncompleteRead, ConnectionError):
                # The upstream broke its body after pingate had sent the status line: the allowed answer is a
                # closed connection (writes and large bodies stream; cacheable GETs get a clean 502 instead).
                cut = True
            conn.close()
            with lock:
                stats["sent"] += 1
                stats["by_status"][response.status] = stats["by_status"].get(response.status, 0) + 1
                if cut:
                    stats["closed_after_status"] += 1
        except Exception as error:  # no status line at all: a request without an answer
            with lock:
                stats["sent"] += 1
                stats["unanswered"] += 1
                stats["unanswered_errors"].append(f"{op}: {type(error).__name__}: {error}"[:200])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--pingate", default=".build/release/pingate")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--out", default=None)
    parser.add_argument("--no-store-share", type=float, default=0.3, help="share of GETs sent with Cache-Control: no-store")
    parser.add_argument("--max-rss-slope", type=float, default=4.0,
                        help="largest accepted RSS slope over the second half, MiB/min (default 4)")
    parser.add_argument("--max-fd-growth", type=int, default=64,
                        help="largest accepted growth of open descriptors, end against start (default 64)")
    parser.add_argument("--sample-seconds", type=float, default=None,
                        help="RSS/descriptor sampling interval (default: run length / 30, at most 10 s)")
    parser.add_argument("--settle-seconds", type=float, default=30.0,
                        help="how long to wait after the clients stop for descriptors to come back down")
    parser.add_argument("--start-seconds", type=float, default=60.0, help="how long pingate may take to become healthy")
    args = parser.parse_args()
    sample_every = args.sample_seconds or max(0.5, min(10.0, args.minutes * 60 / 30))

    upstream, upstream_port = start_upstream()
    proxy_port = free_port()
    folder = tempfile.mkdtemp(prefix="pingate-soak-")
    vault, env = make_vault(args.pingate, folder, "soak.pgv")
    log = open(os.path.join(folder, "pingate.log"), "wb")
    proxy = subprocess.Popen([args.pingate, "serve", "--vault", vault, "--listen", f"127.0.0.1:{proxy_port}",
                              "--upstream", f"http://127.0.0.1:{upstream_port}", "--read-timeout", "1", "--connect-timeout", "1",
                              "--cache-ttl", "2", "--log-level", "warning", "--no-access-log"], env=env, stdout=log, stderr=log)
    try:
        if not wait_until(args.start_seconds, lambda: proxy.poll() is not None or healthy(proxy_port)) \
                or proxy.poll() is not None:
            log.flush()
            with open(os.path.join(folder, "pingate.log"), "rb") as f:
                last = (f.read().decode(errors="replace").strip().splitlines() or ["no output"])[-1]
            print(f"soak: pingate did not become healthy within {args.start_seconds:g} s: {last[:300]}", file=sys.stderr)
            return 1
        _, fds_start = proc_status(proxy.pid)
        stats = {"sent": 0, "unanswered": 0, "unanswered_errors": [], "by_status": {}, "aborted_uploads": 0, "closed_after_status": 0}
        lock = threading.Lock()
        start = time.time()
        deadline = start + args.minutes * 60
        threads = [threading.Thread(target=client_loop, args=(proxy_port, deadline, stats, lock, args.no_store_share), daemon=True) for _ in range(args.clients)]
        for thread in threads:
            thread.start()
        samples = []
        while time.time() < deadline and proxy.poll() is None:
            rss, fds = proc_status(proxy.pid)
            if rss is not None:
                samples.append(((time.time() - start) / 60, rss, fds))
            time.sleep(min(sample_every, max(0.1, deadline - time.time())))
        for thread in threads:
            thread.join(timeout=30)
        stuck_clients = sum(1 for thread in threads if thread.is_alive())
        # Connections pingate closes (aborted uploads, upstream faults) leave its descriptor table a moment
        # later; wait, with a deadline, for the count to come back within the allowed growth.
        def settled():
            _, fds = proc_status(proxy.pid)
            return fds is not None and fds_start is not None and fds - fds_start <= args.max_fd_growth
        wait_until(args.settle_seconds, lambda: proxy.poll() is not None or settled(), poll_s=0.2)
        rss_end, fds_end = proc_status(proxy.pid)
        alive = proxy.poll() is None
        second_half = [(m, r / 1024) for m, r, _ in samples if m >= args.minutes / 2]
        rss_slope = slope(second_half)
        report = {
            "minutes": args.minutes, "clients": args.clients, "pingate_alive": alive,
            "requests_sent": stats["sent"], "requests_without_answer": stats["unanswered"],
            "unanswered_examples": stats["unanswered_errors"][:5],
            "closed_after_status_line": stats["closed_after_status"],
            "answered_by_status": {str(k): v for k, v in sorted(stats["by_status"].items())},
            "aborted_uploads": stats["aborted_uploads"], "faults_injected": dict(FaultyUpstream.counts),
            "rss_kib_first": samples[0][1] if samples else None, "rss_kib_last": rss_end,
            "rss_samples": len(samples), "rss_samples_second_half": len(second_half),
            "rss_slope_mib_per_min_second_half": round(rss_slope, 2), "max_rss_slope_mib_per_min": args.max_rss_slope,
            "fds_start": fds_start, "fds_end": fds_end, "max_fd_growth": args.max_fd_growth,
            "clients_still_running": stuck_clients,
        }
        print(json.dumps(report, indent=2))
        if args.out:
            with open(args.out, "w") as f:
                json.dump(report, f, indent=2)
        log.flush()
        with open(os.path.join(folder, "pingate.log"), "rb") as f:
            printed = f.read().decode(errors="replace")
        leaked = [s for s in (API_KEY, SECRET, PASSPHRASE) if s in printed]
        failures = []
        if not alive:
            failures.append(f"pingate exited during the soak (status {proxy.returncode})")
        if stats["unanswered"]:
            failures.append(f"{stats['unanswered']} of {stats['sent']} requests got no answer")
        if stuck_clients:
            failures.append(f"{stuck_clients} client threads still waiting 30 s after the end")
        if len(second_half) < 2:
            failures.append(f"only {len(second_half)} RSS samples in the second half: no slope")
        elif rss_slope > args.max_rss_slope:
            failures.append(f"RSS grew {rss_slope:.2f} MiB/min over the second half (limit {args.max_rss_slope:g})")
        if fds_start is None or fds_end is None:
            failures.append("open descriptors could not be read")
        elif fds_end - fds_start > args.max_fd_growth:
            failures.append(f"open descriptors grew from {fds_start} to {fds_end} "
                            f"(limit +{args.max_fd_growth}, after {args.settle_seconds:g} s to settle)")
        if leaked:
            failures.append("a secret (key, secret or passphrase) appeared in pingate's output")
        for failure in failures:
            print(f"soak: FAILED: {failure}", file=sys.stderr)
        if not failures:
            print("soak: every criterion held", file=sys.stderr)
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
