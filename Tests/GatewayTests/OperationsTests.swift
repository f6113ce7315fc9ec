import AsyncHTTPClient
import FakeW3IPFS
import Foundation
import Gateway
import NIOCore
import PingateCore
import Synchronization
import Testing

/// Metrics, access logs, readiness and request ids through the real server.
@Suite("Operations end to end", .timeLimit(.minutes(3)))
struct OperationsTests {
    @Test("metrics are valid Prometheus text after real traffic, with bounded labels and no secret")
    func metrics() async throws {
        try await GatewayHarness.run(configure: { $0.rateLimits = .init(client: .init(rate: 0.01, burst: 1)) }) { h in
            let miss = try await h.send(.GET, "/api/pinning/pins/", headers: [("X-Pingate-Client", "a")])
            #expect(miss.status == 200 && miss.headers["cache-status"] == ["pingate; fwd=miss; stored"])
            // The same target again is a hit, and hits count against a per-client limit: a's burst of 1 is spent.
            let spentOnHit = try await h.send(.GET, "/api/pinning/pins/", headers: [("X-Pingate-Client", "a")])
            #expect(spentOnHit.status == 429)
            #expect(spentOnHit.json?["budget"] as? String == "client")
            let hitForB = try await h.send(.GET, "/api/pinning/pins/", headers: [("X-Pingate-Client", "b")])
            #expect(hitForB.status == 200 && hitForB.headers["cache-status"] == ["pingate; hit"])
            #expect(try await h.send(.GET, "/api/pinning/pins/?x=1", headers: [("X-Pingate-Client", "a")]).status == 429)
            let reply = try await h.send(.GET, "/_pingate/metrics")
            #expect(reply.status == 200)
            #expect(reply.headers["content-type"].first?.hasPrefix("text/plain") == true)
            let families = try PrometheusText.parse(reply.text)
            #expect(families["pingate_requests_total"]?.type == "counter")
            #expect(families["pingate_upstream_duration_seconds"]?.type == "histogram")
            #expect(families["pingate_cache_hits_total"]?.type == "counter")
            #expect(families["pingate_cache_bytes"]?.type == "gauge")
            #expect(families["pingate_ratelimit_rejections_total"]?.type == "counter")
            #expect(families["pingate_inflight_requests"] != nil)
            #expect(families["pingate_vault_reloads_total"] != nil)
            let requestSamples = families["pingate_requests_total"]?.samples ?? []
            #expect(requestSamples.contains { $0.labels["route"] == "w3ipfs" && $0.labels["method"] == "GET" && $0.labels["status"] == "200" })
            #expect(!requestSamples.isEmpty)
            #expect(requestSamples.allSatisfy { Set($0.labels.keys) == ["route", "method", "status"] })
            let stats = try await h.send(.GET, "/_pingate/cache")
            let hits = try #require(stats.json?["hits"] as? Int)
            #expect(hits >= 1)
            #expect(families["pingate_cache_hits_total"]?.samples.first?.value == Double(hits))
            let rejection = families["pingate_ratelimit_rejections_total"]?.samples.first
            #expect(rejection?.labels["budget"] == "client" && rejection?.labels["client"] == "client:a")
            #expect(!reply.text.contains(TestVault.apiKey) && !reply.text.contains(TestVault.secretKey))
        }
    }

    @Test("access log: one JSON line per request with the documented fields and no secret")
    func accessLog() async throws {
        let lines = Mutex<[String]>([])
        let log = AccessLog(format: .json) { text in lines.withLock { $0.append(text) } }
        try await GatewayHarness.run(accessLog: log) { h in
            _ = try await h.send(.GET, "/api/pinning/pins/?limit=5&api_key=leaky", headers: [("X-Request-Id", "req-123"), ("X-Pingate-Client", "logger-test")])
            _ = try await h.send(.GET, "/api/pinning/pins/?limit=5&api_key=leaky")
            log.flush()
        }
        let text = lines.withLock { $0.joined() }
        let entries = text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(entries.count == 2)
        let first = try #require(entries.first)
        for field in ["time", "client", "method", "path", "status", "bytes_in", "bytes_out", "duration_ms", "upstream_ms", "cache", "rate_limit", "request_id"] {
            #expect(first[field] != nil, "missing \(field)")
        }
        #expect(first["request_id"] as? String == "req-123")
        #expect(first["client"] as? String == "client:logger-test")
        #expect(first["status"] as? Int == 200)
        #expect((first["path"] as? String)?.contains("leaky") == false)
        #expect(entries.last?["cache"] as? String == "pingate; hit")
        #expect(!text.contains(TestVault.apiKey) && !text.contains(TestVault.secretKey))
    }

    @Test("requests the guard refuses are counted in the metrics and logged, one line each")
    func refusalsAreCounted() async throws {
        let lines = Mutex<[String]>([])
        let log = AccessLog(format: .json) { text in lines.withLock { $0.append(text) } }
        try await GatewayHarness.run(accessLog: log) { h in
            let (forbidden, first) = try await h.raw("GET /api/pinning/pins/ HTTP/1.1\r\nHost: evil.example\r\nX-Request-Id: refused-1\r\n\r\n")
            #expect(forbidden?.status == 403)
            await first.close()
            let (malformed, second) = try await h.raw("POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
            #expect(malformed?.status == 400)
            await second.close()
            let metrics = try await h.send(.GET, "/_pingate/metrics").text
            #expect(metrics.contains(#"status="403""#) && metrics.contains(#"status="400""#))
            log.flush()
        }
        let entries = lines.withLock { $0.joined() }.split(separator: "\n")
            .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let refused = entries.filter { ($0["status"] as? Int).map { $0 >= 400 } ?? false }
        #expect(refused.count == 2)
        #expect(refused.first?["request_id"] as? String == "refused-1")
        #expect(refused.first?["path"] as? String == "/api/pinning/pins/")
    }

    @Test("X-Request-Id: a client's id is forwarded upstream and returned; one is generated when absent")
    func requestID() async throws {
        try await GatewayHarness.run(configure: { $0.cache = nil }) { h in
            h.upstream.resetLog()
            let reply = try await h.send(.GET, "/api/pinning/pins/", headers: [("X-Request-Id", "trace-abc-1")])
            #expect(reply.headers["x-request-id"] == ["trace-abc-1"])
            #expect(h.upstream.requests.last?.header("x-request-id") == "trace-abc-1")
            let generated = try await h.send(.GET, "/api/pinning/pins/")
            let id = try #require(generated.headers["x-request-id"].first)
            #expect(id.count >= 16)
            #expect(h.upstream.requests.last?.header("x-request-id") == id)
        }
    }

    @Test("readyz flips to 503 when the upstream is unreachable")
    func readiness() async throws {
        try await ClosedPort.with { closedPort in
            try await GatewayHarness.run(upstreamURL: "http://127.0.0.1:\(closedPort)") { h in
                let reply = try await h.send(.GET, "/_pingate/readyz")
                #expect(reply.status == 503)
                #expect(reply.json?["upstream"] as? String == "unreachable")
                #expect(try await h.send(.GET, "/_pingate/healthz").status == 200)
            }
        }
        try await GatewayHarness.run { h in
            let reply = try await h.send(.GET, "/_pingate/readyz")
            #expect(reply.status == 200)
            #expect(reply.json?["vault"] as? String == "unlocked")
        }
    }

    @Test("routes: a second API under its own prefix gets its own upstream and credentials")
    func extraRoute() async throws {
        let other = FakeW3IPFSState(apiKey: "other-key", secretKey: "other-secret")
        let otherServer = try await FakeW3IPFSServer.start(state: other)
        defer { Task { await otherServer.stop() } }
        let otherURL = otherServer.baseURL
        try await GatewayHarness.run(configure: { configuration in
            configuration.extraRoutes = [GatewayRoute(
                name: "second", prefix: "/second", upstream: try! UpstreamEndpoint(otherURL),
                credentialMappings: CredentialMapping.w3ipfsDefaults
            )]
        }) { h in
            // The second route's credentials come from the same vault, so the other fake refuses them: 401 proves routing.
            let reply = try await h.send(.GET, "/second/api/pinning/pins/")
            #expect(other.requestCount == 1)
            #expect(reply.status == 401)
            #expect(try await h.send(.GET, "/api/pinning/pins/").status == 200)
        }
        await otherServer.stop()
    }
}

/// A small parser for the Prometheus text exposition format (names, types, label sets, values).
enum PrometheusText {
    struct Sample { let labels: [String: String]; let value: Double }
    struct Family { var type: String?; var samples: [Sample] = [] }

    struct ParseError: Error, CustomStringConvertible { let description: String }

    static func parse(_ text: String) throws -> [String: Family] {
        var families: [String: Family] = [:]
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                guard parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]) else {
                    throw ParseError(description: "bad TYPE line: \(line)")
                }
                families[String(parts[2]), default: Family()].type = String(parts[3])
                continue
            }
            if line.hasPrefix("#") { continue }
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                throw ParseError(description: "bad sample: \(line)")
            }
            let series = line[..<space]
            var name = String(series)
            var labels: [String: String] = [:]
            if let brace = series.firstIndex(of: "{") {
                guard series.hasSuffix("}") else { throw ParseError(description: "bad labels: \(line)") }
                name = String(series[..<brace])
                let body = series[series.index(after: brace)..<series.index(before: series.endIndex)]
                for pair in body.split(separator: ",") {
                    let kv = pair.split(separator: "=", maxSplits: 1)
                    guard kv.count == 2, kv[1].hasPrefix("\""), kv[1].hasSuffix("\"") else { throw ParseError(description: "bad label: \(pair)") }
                    labels[String(kv[0])] = String(kv[1].dropFirst().dropLast())
                }
            }
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }) else { throw ParseError(description: "bad name: \(name)") }
            var family = name
            for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) && families[String(name.dropLast(suffix.count))]?.type == "histogram" {
                family = String(name.dropLast(suffix.count))
            }
            families[family, default: Family()].samples.append(Sample(labels: labels, value: value))
        }
        return families
    }
}
