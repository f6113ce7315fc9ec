import AsyncHTTPClient
import FakeW3IPFS
import Foundation
import Gateway
import GatewayLimits
import NIOCore
import Testing

/// The event-loop relay (GETs that never touch the cache: request `no-store`, or the cache off), end to end:
/// it must behave exactly as the async path does for the same request.
@Suite("Event-loop relay end to end", .timeLimit(.minutes(3)))
struct RelayTests {
    static let list = "/api/pinning/pins/?offset=0&limit=10"
    static let noStore = ("Cache-Control", "no-store")

    @Test("a bypass GET carries the vault's credentials, never the client's, and is not stored")
    func credentialsAndNoStore() async throws {
        try await GatewayHarness.run { h in
            h.upstream.resetLog()
            let reply = try await h.send(.GET, Self.list, headers: [
                Self.noStore, ("pinning_api_key", "CLIENT-CANARY-KEY"), ("Pinning-Secret-Key", "CLIENT-CANARY-SECRET"),
                ("Authorization", "Bearer CLIENT-CANARY"), ("X-Request-Id", "relay-req-1"), ("Connection", "keep-alive, X-Hop"),
                ("X-Hop", "must-not-cross"), ("X-Tool", "kept"),
            ])
            #expect(reply.status == 200)
            #expect(reply.headers["cache-status"] == ["pingate; fwd=bypass"])
            #expect(reply.headers["x-request-id"] == ["relay-req-1"])
            let direct = try await h.direct(.GET, Self.list)
            #expect(reply.body == direct.body)

            let recorded = try #require(h.upstream.requests.first)
            let names = recorded.headers.map { $0.name.lowercased() }
            #expect(recorded.headers.filter { $0.name.lowercased() == "pinning_api_key" }.map(\.value) == [TestVault.apiKey])
            #expect(recorded.headers.filter { $0.name.lowercased() == "pinning_secret_key" }.map(\.value) == [TestVault.secretKey])
            #expect(!names.contains("pinning-secret-key") && !names.contains("authorization") && !names.contains("x-hop"))
            #expect(recorded.headers.first { $0.name.lowercased() == "x-tool" }?.value == "kept")
            #expect(recorded.headers.first { $0.name.lowercased() == "x-request-id" }?.value == "relay-req-1")
            #expect(recorded.headers.contains { $0.name.lowercased() == "host" })

            // Nothing was stored: the next ordinary GET is a miss.
            let next = try await h.send(.GET, Self.list)
            #expect(next.headers["cache-status"] == ["pingate; fwd=miss; stored"])
        }
    }

    @Test("many relayed GETs on kept-alive connections all succeed and reach the upstream")
    func sequentialAndConcurrent() async throws {
        try await GatewayHarness.run(configure: { $0.cache = nil }) { h in
            h.upstream.resetLog()
            for _ in 0..<20 { #expect(try await h.send(.GET, Self.list).status == 200) }
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<40 { group.addTask { try await h.send(.GET, Self.list).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.count == 40 && statuses.allSatisfy { $0 == 200 })
            #expect(h.upstream.requests.filter { $0.path.hasPrefix("/api/pinning/pins") }.count == 60)
        }
    }

    @Test("upstream down → 502 JSON; slow → 504 JSON; both name the cause and carry no secret")
    func failures() async throws {
        try await ClosedPort.with { closedPort in
            try await GatewayHarness.run(upstreamURL: "http://127.0.0.1:\(closedPort)", configure: { $0.cache = nil }) { h in
                let reply = try await h.send(.GET, Self.list)
                #expect(reply.status == 502)
                #expect(reply.json?["error"] as? String == "upstream_unavailable")
                #expect(!reply.text.contains(TestVault.apiKey) && !reply.text.contains(TestVault.secretKey))
            }
        }
        // The read timeout also bounds the follow-up request: 10 s leaves it room on a loaded machine.
        try await GatewayHarness.run(configure: { $0.readTimeout = .seconds(10) }) { h in
            // The fake holds its answer until the gate opens, which happens only after the reply: a 504 can only come
            // from the read timeout, however slow the machine.
            let gate = ResponseGate()
            h.upstream.faults.gate = gate
            let reply = try await h.send(.GET, Self.list, headers: [Self.noStore])
            #expect(reply.status == 504)
            #expect(reply.json?["error"] as? String == "upstream_timeout")
            #expect(reply.headers["cache-status"] == ["pingate; fwd=bypass"])
            #expect(!reply.text.contains(TestVault.apiKey) && !reply.text.contains(TestVault.secretKey))
            h.upstream.faults.gate = nil
            gate.open()
            #expect(try await h.send(.GET, Self.list, headers: [Self.noStore]).status == 200)
        }
    }

    @Test("over the upstream budget a relayable GET gets the same 429 as the async path, without an upstream call")
    func rateLimited() async throws {
        try await GatewayHarness.run(configure: { $0.rateLimits = .init(upstream: RateBudget(rate: 0.01, burst: 1)) }) { h in
            h.upstream.resetLog()
            let first = try await h.send(.GET, Self.list, headers: [Self.noStore])
            #expect(first.status == 200)
            #expect(first.headers["ratelimit-policy"].count == 1 && first.headers["ratelimit"].count == 1)
            let refused = try await h.send(.GET, Self.list, headers: [Self.noStore, ("X-Pingate-Client", "tool-a")])
            #expect(refused.status == 429)
            #expect(Int(refused.headers["retry-after"].first ?? "") ?? 0 >= 1)
            #expect(refused.json?["error"] as? String == "rate_limited")
            #expect(refused.json?["budget"] as? String == "upstream")
            #expect(refused.json?["client"] as? String == "client:tool-a")
            #expect(refused.headers["cache-status"] == ["pingate; fwd=bypass"])
            #expect(refused.headers["content-type"] == ["application/json"])
            #expect(h.upstream.requests.count == 1)
        }
    }

    @Test("a relayed GET and a hit pipelined behind it are answered in order")
    func pipelinedOrder() async throws {
        try await GatewayHarness.run { h in
            let cached = "/api/pinning/pins/?limit=1"
            #expect(try await h.send(.GET, cached).status == 200)  // stored
            h.upstream.resetLog()
            let gate = ResponseGate()
            h.upstream.faults.gate = gate
            let connection = try await RawHTTPConnection.connect(port: h.proxyPort)
            try await connection.send(
                "GET \(Self.list) HTTP/1.1\r\nHost: localhost\r\nCache-Control: no-store\r\nX-Request-Id: first\r\n\r\n"
                    + "GET \(cached) HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: second\r\n\r\n"
            )
            // The relayed GET is held upstream (both heads came in one write, so the hit is decoded and ready): its
            // answer can only come first if the gateway keeps order.
            _ = try await h.upstream.waitForRequests(count: 1)
            gate.open()
            let first = try #require(try await connection.readResponse())
            let second = try #require(try await connection.readResponse())
            await connection.close()
            #expect(first.header("x-request-id") == "first" && first.header("cache-status") == "pingate; fwd=bypass")
            #expect(second.header("x-request-id") == "second" && second.header("cache-status") == "pingate; hit")
        }
    }

    @Test("a client that leaves mid-relay abandons the upstream request; the gateway keeps serving")
    func clientLeaves() async throws {
        let upstream = try await MisbehavingUpstream.start(.hold)
        try await GatewayHarness.run(upstreamURL: upstream.url, configure: { $0.cache = nil; $0.readTimeout = .seconds(600) }) { h in
            let connection = try await RawHTTPConnection.connect(port: h.proxyPort)
            try await connection.send("GET \(Self.list) HTTP/1.1\r\nHost: localhost\r\n\r\n")
            try await upstream.next(.requestReceived)
            await connection.reset()
            // The upstream never answers and the read timeout is far off: only abandoning the request closes it.
            try await upstream.next(.connectionClosed)
            #expect(try await h.send(.GET, "/_pingate/healthz").status == 200)
        }
        await upstream.stop()
    }

    @Test("a request for the async path pipelined behind a relayed GET is answered after it")
    func pipelinedAsyncBehindRelay() async throws {
        try await GatewayHarness.run { h in
            h.upstream.resetLog()
            let gate = ResponseGate()
            h.upstream.faults.gate = gate
            let connection = try await RawHTTPConnection.connect(port: h.proxyPort)
            let pinByHash = #"{"hash_to_pin":"Qmc1135ziMvmFG534i75E8HpJoLqzLzgKBxfjBV9cBsMAs","metadata":{"name":"n"}}"#
            try await connection.send(
                "GET \(Self.list) HTTP/1.1\r\nHost: localhost\r\nCache-Control: no-store\r\nX-Request-Id: first\r\n\r\n"
                    + "POST /api/pinning/pinByHash HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: \(pinByHash.utf8.count)\r\nX-Request-Id: second\r\n\r\n\(pinByHash)"
                    + "GET /api/pinning/pins/?limit=5 HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: third\r\n\r\n"
            )
            // The first is held upstream while the other two wait behind it; then everything may go.
            _ = try await h.upstream.waitForRequests(count: 1)
            h.upstream.faults.gate = nil
            gate.open()
            let first = try #require(try await connection.readResponse(timeout: .seconds(20)))
            let second = try #require(try await connection.readResponse(timeout: .seconds(20)))
            let third = try #require(try await connection.readResponse(timeout: .seconds(20)))
            await connection.close()
            #expect(first.header("x-request-id") == "first" && first.status == 200)
            #expect(second.header("x-request-id") == "second" && second.status == 200)
            #expect(third.header("x-request-id") == "third" && third.header("cache-status") == "pingate; fwd=miss; stored")
        }
    }

    @Test("a client that half-closes after its relayed GET still gets the answer")
    func halfCloseAfterRequest() async throws {
        try await GatewayHarness.run(configure: { $0.cache = nil }) { h in
            h.upstream.resetLog()
            let gate = ResponseGate()
            h.upstream.faults.gate = gate
            let connection = try await RawHTTPConnection.connect(port: h.proxyPort)
            try await connection.send("GET \(Self.list) HTTP/1.1\r\nHost: localhost\r\n\r\n")
            connection.finishSending()
            // The half-close reaches the gateway while the upstream still holds the answer.
            _ = try await h.upstream.waitForRequests(count: 1)
            gate.open()
            let answer = try await connection.readResponse(timeout: .seconds(20))
            #expect(answer?.status == 200)
            #expect(answer?.header("cache-status") == nil)  // the cache is off
            #expect(try await connection.waitForClose(timeout: .seconds(20)))
        }
    }
}
