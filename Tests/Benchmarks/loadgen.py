#!/usr/bin/env python3
"""Load generators and the upload sink for Tests/Benchmarks/compare.sh (stdlib only).

    loadgen.py sink     --port P --api-key K --secret-key S      upload sink (discards bodies)
    loadgen.py upload   --port P --bytes N [--rss-pids a,b] --out F   one streamed chunked upload
    loadgen.py cold     --port P --path /x --n 1000 --upstream-log F --out F
                        N connections opened first, then every request written at once
    loadgen.py overhead --port P --pid PID --n 100000 --out F     cache bytes per entry

Everything talks to 127.0.0.1 only. Every loop is bounded by a count or a timeout.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import socketserver
import sys
import time
import urllib.request
from typing import Any, Dict, List, Optional, Tuple

HOST = "127.0.0.1"


# --------------------------------------------------------------------------- /proc helpers


def proc_status_kib(pid: int, field: str) -> Optional[int]:
    """VmRSS / VmHWM of a process in KiB (None when unreadable)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def write_json(path: str, data: Dict[str, Any]) -> None:
    if path == "-":
        print(json.dumps(data, indent=2))
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")


# --------------------------------------------------------------------------- sink


class _SinkHandler(socketserver.BaseRequestHandler):
    """HTTP/1.1 keep-alive handler: checks both credential headers, reads and discards
    the body (Content-Length or chunked), answers 201 with the byte count. GET → 200."""

    buf_size = 1 << 20

    def handle(self) -> None:  # noqa: C901 - a small state machine
        sock: socket.socket = self.request
        sock.settimeout(120)
        self.buf = memoryview(bytearray(self.buf_size))
        self.pending = b""  # bytes read but not yet consumed
        for _ in range(1_000_000):  # requests per connection, bounded
            head = self._read_head()
            if head is None:
                return
            lines = head.decode("latin-1").split("\r\n")
            method, target = lines[0].split(" ")[:2]
            headers: Dict[str, str] = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            if headers.get("expect", "").lower() == "100-continue":
                sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            ok = (headers.get("pinning_api_key") == self.server.api_key  # type: ignore[attr-defined]
                  and headers.get("pinning_secret_key") == self.server.secret_key)  # type: ignore[attr-defined]
            if "chunked" in headers.get("transfer-encoding", "").lower():
                received = self._discard_chunked()
            else:
                received = self._discard_exact(int(headers.get("content-length", "0")))
            if received is None:
                return
            if not ok:
                body = b'{"error":"missing credentials"}'
                status = "401 Unauthorized"
            elif method == "POST":
                body = json.dumps({"data": {"received_bytes": received, "status": "pinned"},
                                   "status": "success"}).encode()
                status = "201 Created"
                self.server.uploads.append(received)  # type: ignore[attr-defined]
            else:
                body = b'{"data":{"status":"pinned"},"status":"success"}'
                status = "200 OK"
            sock.sendall((f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n"
                          f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
            if headers.get("connection", "").lower() == "close":
                return

    def _recv(self) -> int:
        try:
            return self.request.recv_into(self.buf)
        except OSError:
            return 0

    def _read_head(self) -> Optional[bytes]:
        data = self.pending
        for _ in range(10_000):
            i = data.find(b"\r\n\r\n")
            if i >= 0:
                self.pending = data[i + 4:]
                return data[:i]
            if len(data) > 65536:
                return None
            n = self._recv()
            if n == 0:
                return None
            data += bytes(self.buf[:n])
        return None

    def _discard_exact(self, length: int) -> Optional[int]:
        total = length
        take = min(len(self.pending), length)
        self.pending = self.pending[take:]
        length -= take
        while length > 0:
            n = self._recv()
            if n == 0:
                return None
            if n > length:  # pipelined bytes of the next request
                self.pending = bytes(self.buf[length:n])
                n = length
            length -= n
        return total

    def _discard_chunked(self) -> Optional[int]:
        """Walks chunk framing with an index into the current block (no quadratic slicing)."""
        total = 0
        data = self.pending
        pos = 0
        self.pending = b""
        skip = 0  # chunk payload bytes (plus their CRLF) still to discard

        def more() -> bool:
            nonlocal data, pos
            n = self._recv()
            if n == 0:
                return False
            data = data[pos:] + bytes(self.buf[:n])
            pos = 0
            return True

        for _ in range(1 << 40):
            if skip:
                avail = len(data) - pos
                if avail >= skip:
                    pos += skip
                    skip = 0
                    continue
                skip -= avail
                data, pos = b"", 0
                n = self._recv()
                if n == 0:
                    return None
                if n <= skip:
                    skip -= n
                    continue
                data = bytes(self.buf[skip:n])
                skip = 0
                continue
            i = data.find(b"\r\n", pos)
            if i < 0:
                if len(data) - pos > 4096 or not more():
                    return None
                continue
            line = data[pos:i].split(b";", 1)[0].strip()
            pos = i + 2
            size = int(line, 16)
            if size == 0:  # last chunk: skip trailers up to the empty line
                for _ in range(1000):
                    j = data.find(b"\r\n", pos)
                    if j < 0:
                        if not more():
                            return None
                        continue
                    empty = j == pos
                    pos = j + 2
                    if empty:
                        self.pending = data[pos:]
                        return total
                return None
            total += size
            skip = size + 2  # payload and its CRLF
        return None


class _SinkServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024


def cmd_sink(args: argparse.Namespace) -> int:
    server = _SinkServer((HOST, args.port), _SinkHandler)
    server.api_key, server.secret_key, server.uploads = args.api_key, args.secret_key, []  # type: ignore[attr-defined]
    print(f"sink listening on {HOST}:{args.port}", flush=True)
    server.serve_forever()
    return 0


# --------------------------------------------------------------------------- upload client


def cmd_upload(args: argparse.Namespace) -> int:
    chunk = args.chunk
    frame = b"%x\r\n" % chunk + bytes(chunk) + b"\r\n"
    full, rest = divmod(args.bytes, chunk)
    result: Dict[str, Any] = {"bytes": args.bytes, "chunk_bytes": chunk, "ok": False}
    # VmHWM is a lifetime peak: reset it to the current RSS (clear_refs 5) so it measures this upload, not
    # start-up (pingate's scrypt unlock transiently needs 128 MiB by design of N=2^17, r=8).
    for pid in [p for p in str(getattr(args, "rss_pids", "") or "").replace(",", " ").split() if p.isdigit()]:
        try:
            with open(f"/proc/{pid}/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            result.setdefault("warnings", []).append(f"could not reset VmHWM of {pid}")
    t0 = time.perf_counter()
    try:
        with socket.create_connection((HOST, args.port), timeout=args.timeout) as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.sendall((f"POST {args.path} HTTP/1.1\r\nHost: {HOST}:{args.port}\r\n"
                       "Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n"
                       "Connection: close\r\n\r\n").encode())
            for _ in range(full):
                s.sendall(frame)
            if rest:
                s.sendall(b"%x\r\n" % rest + bytes(rest) + b"\r\n")
            s.sendall(b"0\r\n\r\n")
            t_sent = time.perf_counter()
            data = b""
            for _ in range(100_000):
                part = s.recv(65536)
                if not part:
                    break
                data += part
                head, sep, body = data.partition(b"\r\n\r\n")
                if sep:
                    cl = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
                    if cl and len(body) >= int(cl[0].split(b":")[1]):
                        break
        t1 = time.perf_counter()
        head, _, body = data.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1]) if head else 0
        result.update(status=status, seconds=t1 - t0, send_seconds=t_sent - t0,
                      mb_per_s=args.bytes / 1e6 / (t1 - t0))
        try:
            received = json.loads(body)["data"]["received_bytes"]
        except (ValueError, KeyError, TypeError):
            received = None
        # Chunked bodies may arrive at the sink as Content-Length or re-chunked: compare the payload size.
        result["received_bytes"] = received
        result["ok"] = status == 201 and received == args.bytes
        if not result["ok"]:
            result["response_head"] = head.decode("latin-1")[:500]
            result["response_body"] = body[:300].decode("latin-1")
    except OSError as e:
        result.update(error=f"{type(e).__name__}: {e}", seconds=time.perf_counter() - t0)
    if args.rss_pids:
        pids = [int(p) for p in args.rss_pids.split(",") if p]
        hwm = {str(p): proc_status_kib(p, "VmHWM") for p in pids}
        result["vm_hwm_kib_by_pid"] = hwm
        vals = [v for v in hwm.values() if v is not None]
        result["peak_rss_kib"] = max(vals) if vals else None
    write_json(args.out, result)
    return 0 if result["ok"] else 1


# --------------------------------------------------------------------------- asyncio HTTP/1.1 client


async def read_response(reader: asyncio.StreamReader) -> Tuple[int, Dict[str, str], int]:
    """Status, headers (lower-case names), body length. Handles Content-Length, chunked, EOF."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: Dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    if status in (204, 304) or 100 <= status < 200:
        return status, headers, 0
    if "content-length" in headers:
        n = int(headers["content-length"])
        await reader.readexactly(n)
        return status, headers, n
    if "chunked" in headers.get("transfer-encoding", "").lower():
        total = 0
        for _ in range(1 << 30):
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                return status, headers, total
            await reader.readexactly(size + 2)
            total += size
    body = await reader.read()  # until EOF
    return status, headers, len(body)


def cache_header(headers: Dict[str, str]) -> str:
    return headers.get("cache-status") or headers.get("x-cache") or "-"


async def _cold(args: argparse.Namespace) -> Dict[str, Any]:
    n = args.n
    t_connect = time.perf_counter()
    sem = asyncio.Semaphore(256)  # keep SYN bursts below listen backlogs; all stay open

    async def connect() -> Tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        async with sem:
            return await asyncio.wait_for(asyncio.open_connection(HOST, args.port), args.timeout)

    conns = await asyncio.gather(*[connect() for _ in range(n)], return_exceptions=True)
    good = [c for c in conns if not isinstance(c, BaseException)]
    connect_errors = n - len(good)
    req = (f"GET {args.path} HTTP/1.1\r\nHost: {HOST}:{args.port}\r\nAccept: application/json\r\n"
           "Connection: close\r\n\r\n").encode()
    t0 = time.perf_counter()
    for _, w in good:  # every request written in one event-loop turn: truly concurrent
        w.write(req)

    async def one(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> Any:
        try:
            return await asyncio.wait_for(read_response(r), args.timeout)
        except Exception as e:  # noqa: BLE001 - reported, not raised
            return e
        finally:
            w.close()

    results = await asyncio.gather(*[one(r, w) for r, w in good])
    t1 = time.perf_counter()
    statuses: Dict[str, int] = {}
    caches: Dict[str, int] = {}
    errors: Dict[str, int] = {}
    bodies = set()
    for res in results:
        if isinstance(res, BaseException):
            key = type(res).__name__
            errors[key] = errors.get(key, 0) + 1
            continue
        status, headers, blen = res
        statuses[str(status)] = statuses.get(str(status), 0) + 1
        c = cache_header(headers)
        caches[c] = caches.get(c, 0) + 1
        bodies.add(blen)
    return {"n": n, "connected": len(good), "connect_errors": connect_errors, "connect_seconds": t0 - t_connect,
            "seconds": t1 - t0, "ok": statuses.get("200", 0), "statuses": statuses, "cache_status": caches,
            "errors": errors, "body_lengths": sorted(bodies)}


def count_log_lines(path: str, needle: str) -> int:
    try:
        with open(path, errors="replace") as f:
            return sum(1 for line in f if line.rstrip("\n").split(" ")[0] == needle)
    except OSError:
        return -1


def wait_for_log_count(path: str, needle: str, deadline_s: float, settle_s: float = 0.2,
                       poll_s: float = 0.02) -> Tuple[int, float]:
    """Counts the upstream's log lines for `needle` once they are written: polls until the count is at
    least 1 and has not changed for `settle_s`, or until `deadline_s` has passed. Returns (count, seconds
    waited). Every upstream call whose answer reached a client was logged by the upstream right after it
    sent that answer, so a count that holds still once all clients have their answers is final."""
    start = time.monotonic()
    last, since = count_log_lines(path, needle), start
    for _ in range(int(deadline_s / poll_s) + 1):
        now = time.monotonic()
        if last >= 1 and now - since >= settle_s:
            break
        if now - start >= deadline_s:
            break
        time.sleep(poll_s)
        current = count_log_lines(path, needle)
        if current != last:
            last, since = current, time.monotonic()
    return last, time.monotonic() - start


def cmd_cold(args: argparse.Namespace) -> int:
    result = asyncio.run(_cold(args))
    result["path"] = args.path
    if args.upstream_log:
        calls, waited = wait_for_log_count(args.upstream_log, args.path, args.log_deadline)
        result["upstream_calls"], result["upstream_log_wait_seconds"] = calls, round(waited, 3)
        if calls < 1:
            result["error"] = f"no upstream call for {args.path} in {args.upstream_log} after {args.log_deadline} s"
    write_json(args.out, result)
    return 0 if result.get("ok") == args.n and not result.get("error") else 1


# --------------------------------------------------------------------------- cache overhead


async def _fill(port: int, paths: List[str], conns: int, headers: str, timeout: float) -> Dict[str, Any]:
    queue = iter(paths)
    stats = {"ok": 0, "other": 0, "errors": 0, "body_bytes": 0}

    async def worker() -> None:
        reader = writer = None
        for path in queue:  # shared iterator: every path requested once
            for _attempt in range(3):
                try:
                    if writer is None:
                        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)
                    writer.write(f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n{headers}\r\n".encode())
                    status, h, blen = await asyncio.wait_for(read_response(reader), timeout)
                    if status == 200:
                        stats["ok"] += 1
                        stats["body_bytes"] += blen
                    else:
                        stats["other"] += 1
                    if h.get("connection", "").lower() == "close":
                        writer.close()
                        reader = writer = None
                    break
                except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError):
                    stats["errors"] += 1
                    if writer is not None:
                        writer.close()
                    reader = writer = None
        if writer is not None:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(conns)])
    stats["seconds"] = time.perf_counter() - t0
    return stats


def fetch_json(port: int, path: str) -> Any:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=5) as r:
            return json.loads(r.read())
    except Exception as e:  # noqa: BLE001
        return {"error": f"{type(e).__name__}: {e}"}


def find_number(obj: Any, names: Tuple[str, ...]) -> Optional[float]:
    """First numeric value under one of `names`, searching nested dicts breadth-first."""
    todo = [obj]
    for _ in range(1000):
        if not todo:
            return None
        cur = todo.pop(0)
        if isinstance(cur, dict):
            for k in names:
                v = cur.get(k)
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    return float(v)
            todo.extend(v for v in cur.values() if isinstance(v, (dict, list)))
        elif isinstance(cur, list):
            todo.extend(cur)
    return None


def cmd_overhead(args: argparse.Namespace) -> int:
    tag = f"{os.getpid()}-{int(time.time())}"
    # Warm-up: the same traffic shape, not stored (request no-store), so allocator arenas,
    # connection pools and thread caches exist before the baseline RSS is taken.
    warm = [f"{args.prefix}warm-{tag}-{i}" for i in range(args.warm)]
    warm_stats = asyncio.run(_fill(args.port, warm, args.conns, "Cache-Control: no-store\r\n", args.timeout))
    time.sleep(1.0)
    rss_before = proc_status_kib(args.pid, "VmRSS")
    cache_before = fetch_json(args.port, args.admin_path) if args.admin_path else None
    paths = [f"{args.prefix}{tag}-{i}" for i in range(args.n)]
    # Fill in batches; when pingate reports its bound (max_bytes) stop before it would evict,
    # so RSS growth is divided by entries that are all still stored.
    fill_stats: Dict[str, Any] = {"ok": 0, "other": 0, "errors": 0, "body_bytes": 0, "seconds": 0.0, "batches": 0}
    done = 0
    stopped_early = None
    cache_now = cache_before
    max_bytes = find_number(cache_before, ("max_bytes",)) if isinstance(cache_before, dict) else None
    for _ in range(10_000):
        if done >= args.n:
            break
        batch = paths[done:done + args.batch]
        st = asyncio.run(_fill(args.port, batch, args.conns, "", args.timeout))
        for k in ("ok", "other", "errors", "body_bytes", "seconds"):
            fill_stats[k] += st[k]
        fill_stats["batches"] += 1
        done += len(batch)
        if args.admin_path and max_bytes:
            cache_now = fetch_json(args.port, args.admin_path)
            used = find_number(cache_now, ("bytes",))
            entries = find_number(cache_now, ("entries",))
            if used and entries and used + used / entries * args.batch > 0.98 * max_bytes and done < args.n:
                stopped_early = f"stopped after {done} entries: the next batch would exceed max_bytes={int(max_bytes)}"
                break
    paths = paths[:done]
    time.sleep(1.0)
    rss_after = proc_status_kib(args.pid, "VmRSS")
    cache_after = fetch_json(args.port, args.admin_path) if args.admin_path else None
    # Spot check: the first and last entries must now be hits.
    probe = asyncio.run(_probe(args.port, [paths[0], paths[-1]], args.timeout))
    result: Dict[str, Any] = {
        "entries_requested": args.n, "warm_requests": args.warm, "warm": warm_stats, "fill": fill_stats,
        "entries_filled": done, "stopped_early": stopped_early,
        "vm_rss_before_kib": rss_before, "vm_rss_after_kib": rss_after, "probe_cache_status": probe,
        "cache_before": cache_before, "cache_after": cache_after,
    }
    body = fill_stats["body_bytes"] / max(1, fill_stats["ok"])
    result["body_bytes_per_entry"] = body
    e0 = find_number(cache_before, ("entries", "count")) if cache_before else None
    e1 = find_number(cache_after, ("entries", "count")) if cache_after else None
    b0 = find_number(cache_before, ("bytes", "size_bytes", "total_bytes")) if cache_before else None
    b1 = find_number(cache_after, ("bytes", "size_bytes", "total_bytes")) if cache_after else None
    stored = (e1 - (e0 or 0)) if e1 is not None else None
    result["entries_stored_reported"] = stored
    entries = stored if stored and stored > 0 else fill_stats["ok"]
    result["entries_used"] = entries
    if rss_before is not None and rss_after is not None and entries:
        result["rss_growth_bytes"] = (rss_after - rss_before) * 1024
        result["overhead_bytes_per_entry_rss"] = (rss_after - rss_before) * 1024 / entries - body
    if b1 is not None and stored:
        result["overhead_bytes_per_entry_reported"] = (b1 - (b0 or 0)) / stored - body
    ev = find_number(cache_after, ("evictions",)) if isinstance(cache_after, dict) else None
    result["evictions"] = ev
    if ev:
        result["warning"] = f"{int(ev)} evictions during the fill: RSS per entry is overstated"
    write_json(args.out, result)
    return 0


async def _probe(port: int, paths: List[str], timeout: float) -> List[str]:
    out = []
    for p in paths:
        try:
            r, w = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)
            w.write(f"GET {p} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n".encode())
            status, h, _ = await asyncio.wait_for(read_response(r), timeout)
            w.close()
            out.append(f"{status} {cache_header(h)}")
        except Exception as e:  # noqa: BLE001
            out.append(f"error {type(e).__name__}")
    return out


# --------------------------------------------------------------------------- CLI


def main(argv: List[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sink")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--api-key", required=True)
    s.add_argument("--secret-key", required=True)
    s = sub.add_parser("upload")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--path", default="/api/pinning/")
    s.add_argument("--bytes", type=int, default=1 << 30)
    s.add_argument("--chunk", type=int, default=1 << 20)
    s.add_argument("--timeout", type=float, default=300)
    s.add_argument("--rss-pids", default="")
    s.add_argument("--out", default="-")
    s = sub.add_parser("cold")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--path", required=True)
    s.add_argument("--n", type=int, default=1000)
    s.add_argument("--timeout", type=float, default=60)
    s.add_argument("--upstream-log", default="")
    s.add_argument("--log-deadline", type=float, default=10.0, help="seconds to wait for the upstream's log lines")
    s.add_argument("--out", default="-")
    s = sub.add_parser("overhead")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--pid", type=int, required=True)
    s.add_argument("--n", type=int, default=100_000)
    s.add_argument("--warm", type=int, default=20_000)
    s.add_argument("--conns", type=int, default=32)
    s.add_argument("--batch", type=int, default=10_000)
    s.add_argument("--prefix", default="/api/pinning/e/")
    s.add_argument("--admin-path", default="/_pingate/cache")
    s.add_argument("--timeout", type=float, default=30)
    s.add_argument("--out", default="-")
    args = p.parse_args(argv)
    return {"sink": cmd_sink, "upload": cmd_upload, "cold": cmd_cold, "overhead": cmd_overhead}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
