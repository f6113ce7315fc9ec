import FakeW3IPFS
import Foundation
import Gateway
import GatewayLimits
import Testing

/// Metrics whose labels must stay bounded and whose counters must move, through the real server.
@Suite("Metrics: bounded client labels and upstream errors", .timeLimit(.minutes(3)))
struct MetricsSurfaceTests {
    @Test("rejections by client keep 64 client labels; later clients are counted under `other`")
    func clientLabelCap() async throws {
        try await GatewayHarness.run(configure: { $0.rateLimits = .init(client: RateBudget(rate: 0.01, burst: 1)) }) { h in
            let clients = 70
            for index in 0..<clients {
                let headers = [("X-Pingate-Client", "tool-\(index)")]
                #expect(try await h.send(.GET, "/api/pinning/pins/", headers: headers).status == 200)
                #expect(try await h.send(.GET, "/api/pinning/pins/", headers: headers).status == 429)
            }
            let families = try PrometheusText.parse(try await h.send(.GET, "/_pingate/metrics").text)
            let samples = try #require(families["pingate_ratelimit_rejections_total"]?.samples)
            let byClient = Dictionary(samples.map { ($0.labels["client"] ?? "", $0.value) }, uniquingKeysWith: +)
            #expect(byClient.count == 65, "\(byClient.keys.sorted())")
            #expect(byClient["other"] == Double(clients - 64))
            #expect(byClient.values.reduce(0, +) == Double(clients))
            #expect(byClient.keys.filter { $0 != "other" }.allSatisfy { $0.hasPrefix("client:tool-") })
        }
    }

    @Test("pingate_upstream_errors_total counts failures by kind")
    func upstreamErrors() async throws {
        try await ClosedPort.with { closedPort in
            try await GatewayHarness.run(upstreamURL: "http://127.0.0.1:\(closedPort)", configure: { $0.cache = nil }) { h in
                for _ in 0..<3 { #expect(try await h.send(.GET, "/api/pinning/pins/").status == 502) }
                let families = try PrometheusText.parse(try await h.send(.GET, "/_pingate/metrics").text)
                #expect(families["pingate_upstream_errors_total"]?.type == "counter")
                let refused = families["pingate_upstream_errors_total"]?.samples.first { $0.labels["kind"] == "connect_refused" }
                #expect(refused?.value == 3)
            }
        }
        try await GatewayHarness.run(configure: { $0.readTimeout = .seconds(1); $0.cache = nil }) { h in
            let gate = ResponseGate()
            h.upstream.faults.gate = gate
            #expect(try await h.send(.GET, "/api/pinning/pins/").status == 504)
            gate.open()
            let families = try PrometheusText.parse(try await h.send(.GET, "/_pingate/metrics").text)
            let timeouts = families["pingate_upstream_errors_total"]?.samples.first { $0.labels["kind"] == "read_timeout" }
            #expect(timeouts?.value == 1)
        }
    }
}
