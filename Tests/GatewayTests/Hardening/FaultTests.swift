import AsyncHTTPClient
import FakeW3IPFS
import Foundation
import Gateway
import NIOCore
import NIOPosix
import Testing

/// Upstream faults: the client gets a clear 502/504 (or a closed connection when the status line was already
/// sent), nothing partial is cached, and pingate keeps serving.
@Suite("Hardening: upstream faults", .timeLimit(.minutes(3)))
struct HardeningFaultTests {
    static let list = "/api/pinning/pins/"
    static let pinByHash = #"{"hash_to_pin":"Qmc1135ziMvmFG534i75E8HpJoLqzLzgKBxfjBV9cBsMAs"}"#

    /// Entries in the gateway's cache.
    static func cacheEntries(_ h: GatewayHarness) async throws -> Int {
        try await h.send(.GET, "/_pingate/cache").json?["entries"] as? Int ?? -1
    }

    /// After a fault the gateway still answers its own endpoints and, for `h`, new requests.
    static func stillServing(_ h: GatewayHarness) async throws {
        #expect(try await h.send(.GET, "/_pingate/healthz").status == 200)
    }

    @Test("upstream down (nothing listening) → 502 JSON, GET and POST")
    func upstreamDown() async throws {
        let held = try ClosedPort.reserve()
        defer { withExtendedLifetime(held) {} }
        try await GatewayHarness.run(upstreamURL: "http://127.0.0.1:\(held.port)") { h in
            let get = try await h.send(.GET, Self.list)
            #expect(get.status == 502)
            #expect(get.json?["error"] as? String == "upstream_unavailable")
            let post = try await h.send(.POST, "/api/pinning/pinByHash", headers: [("Content-Type", "application/json")], body: .bytes(ByteBuffer(string: Self.pinByHash)))
            #expect(post.status == 502)
            #expect(try await Self.cacheEntries(h) == 0)
            try await Self.stillServing(h)
        }
    }

    @Test("upstream accepts and closes without answering → 502")
    func upstreamRefusing() async throws {
        let upstream = try await MisbehavingUpstream.start(.closeImmediately)
        defer { Task { await upstream.stop() } }
        try await GatewayHarness.run(upstreamURL: upstream.url) { h in
            #expect(try await h.send(.GET, Self.list).status == 502)
            #expect(try await Self.cacheEntries(h) == 0)
            try await Self.stillServing(h)
        }
    }

    @Test("slow upstream → 504 after readTimeout, then normal service")
    func upstreamSlow() async throws {
        // The read timeout also bounds the follow-up request: 10 s leaves it room on a loaded machine.
        try await GatewayHarness.run(configure: { $0.readTimeout = .seconds(10) }) { h in
            // The fake holds its answer until after the reply: a 504 proves the read timeout fired.
            let gate = ResponseGate()
            h.upstream.updateFaults { $0.gate = gate }
            let reply = try await h.send(.GET, Self.list)
            #expect(reply.status == 504)
            #expect(reply.json?["error"] as? String == "upstream_timeout")
            h.upstream.updateFaults { $0.gate = nil }
            gate.open()
            #expect(try await Self.cacheEntries(h) == 0)
            #expect(try await h.send(.GET, Self.list).status == 200)
        }
    }

    @Test("upstream answering garbage → 502")
    func upstreamGarbage() async throws {
        let upstream = try await MisbehavingUpstream.start(.sendThenClose(Array("SSH-2.0-OpenSSH_9.6\r\nnot http at all\r\n\r\n".utf8)))
        defer { Task { await upstream.stop() } }
        try await GatewayHarness.run(upstreamURL: upstream.url) { h in
            let reply = try await h.send(.GET, Self.list)
            #expect(reply.status == 502)
            #expect(reply.json?["status"] as? String == "error")
            #expect(try await Self.cacheEntries(h) == 0)
            try await Self.stillServing(h)
        }
    }

    @Test("truncated body (Content-Length larger than sent, then FIN) on a cacheable GET → 502, nothing cached",
          arguments: [false, true])
    func truncatedCacheableBody(reset: Bool) async throws {
        let bytes = MisbehavingUpstream.truncated(declared: 1000, sent: 100)
        let upstream = try await MisbehavingUpstream.start(reset ? .sendThenReset(bytes) : .sendThenClose(bytes))
        defer { Task { await upstream.stop() } }
        try await GatewayHarness.run(upstreamURL: upstream.url) { h in
            let reply = try await h.send(.GET, Self.list)
            #expect(reply.status == 502)
            #expect(reply.json?["error"] as? String == "upstream_unavailable")
            #expect(try await Self.cacheEntries(h) == 0)
            // Not cached: the next GET goes upstream again (and fails the same way, cleanly).
            #expect(try await h.send(.GET, Self.list).status == 502)
            try await Self.stillServing(h)
        }
    }

    @Test("reset or truncated mid-response on a streamed (uncached) answer: status sent, then the connection closes",
          arguments: [false, true])
    func truncatedStreamedBody(reset: Bool) async throws {
        let bytes = MisbehavingUpstream.truncated(declared: 100_000, sent: 1000)
        let upstream = try await MisbehavingUpstream.start(reset ? .sendThenReset(bytes) : .sendThenClose(bytes))
        defer { Task { await upstream.stop() } }
        try await GatewayHarness.run(upstreamURL: upstream.url) { h in
            // A POST is never cached: its body streams, so the status line leaves before the failure.
            let connection = try await RawHTTPConnection.connect(port: h.proxyPort)
            try await connection.send(
                "POST /api/pinning/pinByHash HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: \(Self.pinByHash.utf8.count)\r\n\r\n\(Self.pinByHash)"
            )
            let response = try await connection.readResponse(timeout: .seconds(10))
            if let response {
                #expect(response.status == 502, "a complete response must be an error, not the truncated body")
            } else {
                #expect(connection.sawEOF && !connection.timedOut, "the connection must close, not hang")
            }
            #expect(try await Self.cacheEntries(h) == 0)
            try await Self.stillServing(h)
        }
    }
}
