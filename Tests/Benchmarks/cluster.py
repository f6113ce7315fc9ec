#!/usr/bin/env python3
"""Several pingates, one budget and one truth: Redis plus three pingates on loopback against a fake upstream.

Starts, on 127.0.0.1 only: a redis-server on a free port (persistence off), the fault-free fake upstream of
Tests/Soak/soak.py, and three `pingate serve --redis ...` in front of it. Then measures:

  budget       a flood spread over the three instances (`Cache-Control: no-store`, so every request needs the
               upstream) with rate R/s and burst B for S seconds; the requests accepted by all instances together
               against burst + rate x t (criterion: off by at most --tolerance, default 1);
  propagation  a write (POST pinByHash) through instance 0, then instance 1 or 2 (in turn) polled with GETs of its
               cached list until one is no longer a hit; the time from the write's answer to the sending of that
               GET, p50 and p99 (criterion: p99 under --max-propagation-ms, default 10); the write's answer waits
               until Redis took the invalidation, so this is the staleness a client can see; also from the write's
               sending (upstream time included);
  refusals     429 answers per second from one instance over an exhausted budget, with Redis against without
               (the cost of the round trip; reported, no criterion);
  redis_stop   steady no-store GETs through one instance while redis-server is stopped mid-run; the slowest answer
               after the stop against the slowest before it plus redis.timeout_ms (criterion: within that, plus
               --slack-ms for scheduling).

Prints one JSON report; exit status 1 with one line per missed criterion on stderr.

Usage: python3 Tests/Benchmarks/cluster.py [--pingate .build/release/pingate] [--rate 10] [--burst 10] [--seconds 10]
"""
import argparse, http.client, json, os, shutil, signal, socket, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Soak"))
import soak  # noqa: E402

LIST = "/api/pinning/pins/?limit=10"
PIN = b'{"hash_to_pin":"Qmc1135ziMvmFG534i75E8HpJoLqzLzgKBxfjBV9cBsMAs"}'


class Redis:
    """A redis-server of its own on a free port, in a temporary folder."""

    def __init__(self, folder):
        self.port = soak.free_port()
        self.folder = folder
        conf = os.path.join(folder, "redis.conf")
        with open(conf, "w") as f:
            f.write(f"port {self.port}\nbind 127.0.0.1\nsave \"\"\nappendonly no\ndir {folder}\n")
        self.process = subprocess.Popen(["redis-server", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not soak.wait_until(10, self.answers):
            raise RuntimeError("redis-server did not start")

    def command(self, inline, reply):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(inline + b"\r\n")
                return s.recv(16).startswith(reply)
        except OSError:
            return False

    def answers(self):
        return self.command(b"PING", b"+PONG")

    def flush(self):
        """Each measurement starts from empty budgets."""
        if not self.command(b"FLUSHALL", b"+OK"):
            raise RuntimeError("redis-server did not flush")

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class Pingate:
    """One `pingate serve` process."""

    def __init__(self, binary, vault, upstream_port, extra):
        self.port = soak.free_port()
        env = dict(os.environ, PINGATE_PASSPHRASE=soak.PASSPHRASE)
        self.process = subprocess.Popen(
            [binary, "serve", "--vault", vault, "--listen", f"127.0.0.1:{self.port}",
             "--upstream", f"http://127.0.0.1:{upstream_port}", "--no-access-log", "--log-level", "error"] + extra,
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def metrics(self):
        return request(self.port, "GET", "/_pingate/metrics")[2]

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def request(port, method, path, headers=None, body=None, connection=None):
    """(status, Cache-Status, body) over `connection` (kept alive) or a new one."""
    conn = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    text = response.read().decode(errors="replace")
    if connection is None:
        conn.close()
    return response.status, response.getheader("Cache-Status") or "", text


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))] if ordered else None


def start_instances(binary, vault, upstream_port, count, extra, redis_up):
    instances = [Pingate(binary, vault, upstream_port, extra) for _ in range(count)]
    for instance in instances:
        ready = soak.wait_until(60, lambda: instance.process.poll() is not None or soak.healthy(instance.port))
        if not ready or instance.process.poll() is not None:
            raise RuntimeError("pingate did not become healthy")
        if redis_up and not soak.wait_until(10, lambda: "pingate_redis_up 1" in instance.metrics()):
            raise RuntimeError("pingate did not connect to Redis")
    return instances


def flood(ports, seconds, threads_per_port=4):
    """No-store GETs from several threads per port for `seconds`; returns (statuses by code, measured seconds)."""
    counts, lock = {}, threading.Lock()
    deadline = time.monotonic() + seconds

    def loop(port):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        local = {}
        while time.monotonic() < deadline:
            status = request(port, "GET", LIST, {"Cache-Control": "no-store"}, connection=conn)[0]
            local[status] = local.get(status, 0) + 1
        conn.close()
        with lock:
            for status, n in local.items():
                counts[status] = counts.get(status, 0) + n

    started = time.monotonic()
    workers = [threading.Thread(target=loop, args=(port,)) for port in ports for _ in range(threads_per_port)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return counts, time.monotonic() - started


def measure_budget(args, vault, upstream_port, redis):
    redis.flush()
    instances = start_instances(args.pingate, vault, upstream_port, 3,
                                ["--redis", redis.url, "--rate-limit", str(args.rate), "--burst", str(args.burst)], True)
    try:
        soak.FaultyUpstream.counts.clear()
        counts, measured = flood([i.port for i in instances], args.seconds)
        budget = args.burst + args.rate * measured
        return {
            "rate_per_s": args.rate, "burst": args.burst, "seconds_measured": round(measured, 3),
            "offered": sum(counts.values()), "accepted": counts.get(200, 0), "rejected_429": counts.get(429, 0),
            "other": sum(n for status, n in counts.items() if status not in (200, 429)),
            "upstream_calls": soak.FaultyUpstream.counts.get("ok", 0), "budget": round(budget, 2),
        }
    finally:
        for instance in instances:
            instance.stop()


def measure_propagation(args, vault, upstream_port, redis):
    redis.flush()
    instances = start_instances(args.pingate, vault, upstream_port, 3, ["--redis", redis.url, "--rate-limit", "10000"], True)
    try:
        samples, from_sent, writes = [], [], []
        connections = [http.client.HTTPConnection("127.0.0.1", i.port, timeout=10) for i in instances]
        for write in range(args.writes):
            index = 1 + write % 2  # the instance that learns of this write
            request(instances[index].port, "GET", LIST, connection=connections[index])
            cache_status = request(instances[index].port, "GET", LIST, connection=connections[index])[1]
            if not cache_status.startswith("pingate; hit"):
                raise RuntimeError(f"instance {index} did not cache the list: {cache_status!r}")
            sent = time.perf_counter()
            status = request(instances[0].port, "POST", "/api/pinning/pinByHash",
                             {"Content-Type": "application/json"}, PIN, connection=connections[0])[0]
            answered = time.perf_counter()
            if status != 200:
                raise RuntimeError(f"the write was answered {status}")
            writes.append((answered - sent) * 1000)
            # Polled with hits (a fraction of a millisecond each); a sample is when the first non-hit was asked.
            while True:
                asked = time.perf_counter()
                cache_status = request(instances[index].port, "GET", LIST, connection=connections[index])[1]
                if not cache_status.startswith("pingate; hit"):
                    samples.append(max(0.0, asked - answered) * 1000)
                    from_sent.append((asked - sent) * 1000)
                    break
                if asked - answered > 5:
                    raise RuntimeError(f"instance {index} still served its cached list 5 s after a write")
        return {
            "writes": args.writes, "samples": len(samples),
            "propagation_p50_ms": round(percentile(samples, 0.5), 3), "propagation_p99_ms": round(percentile(samples, 0.99), 3),
            "propagation_max_ms": round(max(samples), 3), "write_p50_ms": round(percentile(writes, 0.5), 3),
            "write_sent_to_fresh_p50_ms": round(percentile(from_sent, 0.5), 3),
            "write_sent_to_fresh_p99_ms": round(percentile(from_sent, 0.99), 3),
        }
    finally:
        for instance in instances:
            instance.stop()


def measure_refusals(args, vault, upstream_port, redis):
    redis.flush()
    result = {}
    for label, extra in (("with_redis", ["--redis", redis.url]), ("without_redis", [])):
        instances = start_instances(args.pingate, vault, upstream_port, 1,
                                    extra + ["--rate-limit", "0.001", "--burst", "1"], bool(extra))
        try:
            request(instances[0].port, "GET", LIST, {"Cache-Control": "no-store"})  # spends the burst
            counts, measured = flood([instances[0].port], args.refusal_seconds)
            result[f"{label}_429_per_s"] = round(counts.get(429, 0) / measured)
        finally:
            instances[0].stop()
    with_redis, without = result["with_redis_429_per_s"], result["without_redis_429_per_s"]
    result["ratio"] = round(with_redis / without, 3) if without else None
    return result


def measure_redis_stop(args, vault, upstream_port, redis):
    redis.flush()
    instances = start_instances(args.pingate, vault, upstream_port, 1,
                                ["--redis", redis.url, "--rate-limit", "100000", "--burst", "100000"], True)
    try:
        port = instances[0].port
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        before, after, statuses = [], [], {}
        phase_end = time.monotonic() + args.stop_seconds
        while time.monotonic() < phase_end:
            sent = time.perf_counter()
            status = request(port, "GET", LIST, {"Cache-Control": "no-store"}, connection=conn)[0]
            before.append((time.perf_counter() - sent) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
        redis.stop()
        phase_end = time.monotonic() + args.stop_seconds
        while time.monotonic() < phase_end:
            sent = time.perf_counter()
            status = request(port, "GET", LIST, {"Cache-Control": "no-store"}, connection=conn)[0]
            after.append((time.perf_counter() - sent) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
        return {
            "timeout_ms": args.redis_timeout_ms, "requests_before": len(before), "requests_after": len(after),
            "max_before_ms": round(max(before), 3), "p99_before_ms": round(percentile(before, 0.99), 3),
            "max_after_ms": round(max(after), 3), "p99_after_ms": round(percentile(after, 0.99), 3),
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
        }
    finally:
        instances[0].stop()


def judge(report, args):
    failures = []
    budget = report["budget"]
    if abs(budget["accepted"] - int(budget["budget"])) > args.tolerance:
        failures.append(f"accepted {budget['accepted']} across three instances, budget {budget['budget']} "
                        f"(burst {args.burst} + rate {args.rate:g} x {budget['seconds_measured']} s), tolerance {args.tolerance}")
    if budget["upstream_calls"] != budget["accepted"]:
        failures.append(f"{budget['upstream_calls']} upstream calls for {budget['accepted']} accepted requests")
    if budget["other"]:
        failures.append(f"{budget['other']} flood answers were neither 200 nor 429")
    if report["propagation"]["propagation_p99_ms"] > args.max_propagation_ms:
        failures.append(f"invalidation propagation p99 {report['propagation']['propagation_p99_ms']} ms "
                        f"over {args.max_propagation_ms} ms")
    stop = report["redis_stop"]
    limit = stop["max_before_ms"] + args.redis_timeout_ms + args.slack_ms
    if stop["max_after_ms"] > limit:
        failures.append(f"with Redis stopped a request waited {stop['max_after_ms']} ms, more than "
                        f"{stop['max_before_ms']} + redis.timeout_ms {args.redis_timeout_ms} + slack {args.slack_ms}")
    if set(stop["statuses"]) != {"200"}:
        failures.append(f"with Redis stopped (on_failure local) answers were {stop['statuses']}, not all 200")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pingate", default=".build/release/pingate")
    parser.add_argument("--rate", type=float, default=10)
    parser.add_argument("--burst", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--tolerance", type=int, default=1)
    parser.add_argument("--writes", type=int, default=200, help="writes in the propagation measurement")
    parser.add_argument("--max-propagation-ms", type=float, default=10)
    parser.add_argument("--refusal-seconds", type=float, default=5)
    parser.add_argument("--stop-seconds", type=float, default=3, help="each half of the Redis-stop measurement")
    parser.add_argument("--redis-timeout-ms", type=float, default=50, help="pingate's redis.timeout_ms (its default)")
    parser.add_argument("--slack-ms", type=float, default=25)
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        print("cluster: redis-server is not installed (apt-get install redis-server)", file=sys.stderr)
        return 1

    soak.FaultyUpstream.faults = {}
    upstream, upstream_port = soak.start_upstream()
    folder = tempfile.mkdtemp(prefix="pingate-cluster-")
    vault, _ = soak.make_vault(args.pingate, folder, "cluster.pgv")
    redis = Redis(folder)
    try:
        report = {
            "budget": measure_budget(args, vault, upstream_port, redis),
            "propagation": measure_propagation(args, vault, upstream_port, redis),
            "refusals": measure_refusals(args, vault, upstream_port, redis),
            "redis_stop": measure_redis_stop(args, vault, upstream_port, redis),
        }
    except RuntimeError as error:
        print(f"cluster: {error}", file=sys.stderr)
        return 1
    finally:
        redis.stop()
        upstream.shutdown()
        shutil.rmtree(folder, ignore_errors=True)
    failures = judge(report, args)
    report["failures"] = failures
    print(json.dumps(report, indent=2))
    for failure in failures:
        print(f"cluster: FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sys.exit(main())
