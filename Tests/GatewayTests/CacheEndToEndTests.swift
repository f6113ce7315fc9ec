import AsyncHTTPClient
import FakeW3IPFS
import Foundation
import Gateway
import NIOCore
import Testing

/// The cache through the real server: hits, writes that invalidate, coalescing, HEAD, Cache-Status.
@Suite("Cache end to end", .timeLimit(.minutes(3)))
struct CacheEndToEndTests {
    static let list = "/api/pinning/pins/?offset=0&limit=10"
    static let pinByHash = #"{"hash_to_pin":"Qmc1135ziMvmFG534i75E8HpJoLqzLzgKBxfjBV9cBsMAs","metadata":{"name":"n"}}"#

    @Test("a hit after a miss makes no upstream call and carries Cache-Status and Age")
    func hitAfterMiss() async throws {
        let clock = ManualClock()
        try await GatewayHarness.run(clock: clock.gatewayClock) { h in
            h.upstream.resetLog()
            let first = try await h.send(.GET, Self.list)
            #expect(first.status == 200)
            #expect(first.headers["cache-status"] == ["pingate; fwd=miss; stored"])
            clock.advance(by: .seconds(3))
            let second = try await h.send(.GET, Self.list)
            #expect(second.status == 200)
            #expect(second.body == first.body)
            #expect(second.headers["cache-status"] == ["pingate; hit"])
            #expect(second.headers["age"] == ["3"])
            #expect(h.upstream.requestCount == 1)
        }
    }

    @Test("TTL expiry sends the next request upstream")
    func ttlExpiry() async throws {
        let clock = ManualClock()
        try await GatewayHarness.run(clock: clock.gatewayClock, configure: { $0.cache?.defaultTTL = .seconds(30) }) { h in
            h.upstream.resetLog()
            _ = try await h.send(.GET, Self.list)
            clock.advance(by: .seconds(29))
            #expect(try await h.send(.GET, Self.list).headers["cache-status"] == ["pingate; hit"])
            clock.advance(by: .seconds(2))
            let expired = try await h.send(.GET, Self.list)
            #expect(expired.headers["cache-status"].first?.contains("fwd=stale") == true)
            #expect(h.upstream.requestCount == 2)
        }
    }

    @Test("pin by hash, then the list is fresh")
    func writeThenListFresh() async throws {
        try await GatewayHarness.run { h in
            let before = try await h.send(.GET, Self.list)
            let count = ((before.json?["data"] as? [String: Any])?["pins"] as? [Any])?.count ?? -1
            let write = try await h.send(.POST, "/api/pinning/pinByHash", headers: [("Content-Type", "application/json")], body: .bytes(ByteBuffer(string: Self.pinByHash)))
            #expect(write.status == 200)
            let after = try await h.send(.GET, Self.list)
            #expect(after.headers["cache-status"].first?.contains("hit") == false)
            let newCount = ((after.json?["data"] as? [String: Any])?["pins"] as? [Any])?.count ?? -1
            #expect(newCount == count + 1)
        }
    }

    @Test("unpin, then the pin and the list are fresh")
    func unpinThenFresh() async throws {
        try await GatewayHarness.run { h in
            let (type, text) = MultipartBody.file("u.txt", content: "unpin me", metadataName: "u.txt")
            let body = ByteBuffer(string: text)
            let upload = try await h.send(.POST, "/api/pinning/", headers: [("Content-Type", type)], body: .bytes(body))
            let id = try #require((upload.json?["data"] as? [String: Any])?["id"] as? String)
            let detail = try await h.send(.GET, "/api/pinning/\(id)")
            _ = try await h.send(.GET, Self.list)
            #expect(try await h.send(.GET, "/api/pinning/\(id)").headers["cache-status"] == ["pingate; hit"])
            #expect((detail.json?["data"] as? [String: Any])?["pinned"] as? Bool == true)
            #expect(try await h.send(.DELETE, "/api/pinning/unpin/\(id)").status == 200)
            let afterDetail = try await h.send(.GET, "/api/pinning/\(id)")
            #expect(afterDetail.headers["cache-status"].first?.contains("hit") == false)
            #expect(afterDetail.body == (try await h.direct(.GET, "/api/pinning/\(id)")).body)
            let afterList = try await h.send(.GET, Self.list)
            #expect(afterList.headers["cache-status"].first?.contains("hit") == false)
        }
    }

    @Test("a write the upstream refuses invalidates nothing")
    func failedWriteKeepsCache() async throws {
        try await GatewayHarness.run { h in
            _ = try await h.send(.GET, Self.list)
            h.upstream.updateFaults {
                $0.forcedResponse = ForcedResponse(status: 500, headers: [], body: #"{"status":"error"}"#)
                $0.remainingForcedResponses = 1
            }
            let write = try await h.send(.POST, "/api/pinning/pinByHash", headers: [("Content-Type", "application/json")], body: .bytes(ByteBuffer(string: Self.pinByHash)))
            #expect(write.status == 500)
            #expect(try await h.send(.GET, Self.list).headers["cache-status"] == ["pingate; hit"])
        }
    }

    @Test("concurrent cold GETs on their own connections make exactly one upstream call; the others are collapsed")
    func coalescing() async throws {
        try await GatewayHarness.run { h in
            let target = "/api/pinning/pins/?limit=3"
            let clients = 24
            h.upstream.resetLog()
            let gate = ResponseGate()
            h.upstream.faults.gate = gate
            var connections: [RawHTTPConnection] = []
            for index in 0..<clients {
                let connection = try await RawHTTPConnection.connect(port: h.proxyPort)
                try await connection.send("GET \(target) HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: c\(index)\r\n\r\n")
                connections.append(connection)
            }
            // The leader's fill is held upstream until every request is in flight (each of ours, plus the metrics
            // request asking): all of them must then wait for that one fill.
            _ = try await h.upstream.waitForRequests(count: 1)
            try await h.waitForInFlight(atLeast: clients + 1)
            gate.open()
            var statuses: [String] = []
            for connection in connections {
                let response = try #require(try await connection.readResponse(timeout: .seconds(60)), "no answer")
                #expect(response.status == 200)
                statuses.append(response.header("cache-status") ?? "missing")
                await connection.close()
            }
            #expect(statuses.count == clients)
            #expect(statuses.filter { $0 == "pingate; fwd=miss; stored" }.count == 1, "\(statuses)")
            #expect(statuses.filter { $0.hasSuffix("; collapsed") }.count == clients - 1, "\(statuses)")
            #expect(h.upstream.requests.filter { $0.path.hasPrefix("/api/pinning/pins") }.count == 1)
        }
    }

    @Test("HEAD is answered from the GET entry")
    func headFromCache() async throws {
        try await GatewayHarness.run { h in
            let get = try await h.send(.GET, Self.list)
            h.upstream.resetLog()
            let head = try await h.send(.HEAD, Self.list)
            #expect(head.status == 200)
            #expect(head.headers["cache-status"] == ["pingate; hit"])
            #expect(head.headers["content-length"] == [String(get.body.readableBytes)])
            #expect(head.body.readableBytes == 0)
            #expect(h.upstream.requestCount == 0)
        }
    }

    @Test("request no-store bypasses; no-cache refreshes")
    func requestDirectives() async throws {
        try await GatewayHarness.run { h in
            _ = try await h.send(.GET, Self.list)
            h.upstream.resetLog()
            let bypass = try await h.send(.GET, Self.list, headers: [("Cache-Control", "no-store")])
            #expect(bypass.headers["cache-status"] == ["pingate; fwd=bypass"])
            let refresh = try await h.send(.GET, Self.list, headers: [("Cache-Control", "no-cache")])
            #expect(refresh.headers["cache-status"] == ["pingate; fwd=request; stored"])
            #expect(h.upstream.requestCount == 2)
            #expect(try await h.send(.GET, Self.list).headers["cache-status"] == ["pingate; hit"])
        }
    }

    @Test("responses with Set-Cookie, no-store or private are not stored")
    func uncacheableResponses() async throws {
        for header in [("Set-Cookie", "a=b"), ("Cache-Control", "no-store"), ("Cache-Control", "private"), ("Vary", "*")] {
            try await GatewayHarness.run { h in
                h.upstream.faults.extraResponseHeaders = [header]
                h.upstream.resetLog()
                _ = try await h.send(.GET, Self.list)
                let second = try await h.send(.GET, Self.list)
                #expect(second.headers["cache-status"] == ["pingate; fwd=miss"], "\(header)")
                #expect(h.upstream.requestCount == 2, "\(header)")
            }
        }
    }

    @Test("an object over the size limit streams through and is not stored")
    func oversizedStreams() async throws {
        try await GatewayHarness.run(configure: { $0.cache?.maxObjectBytes = 64 }) { h in
            let direct = try await h.direct(.GET, Self.list)
            #expect(direct.body.readableBytes > 64)
            let first = try await h.send(.GET, Self.list)
            #expect(first.body == direct.body)
            h.upstream.resetLog()
            let second = try await h.send(.GET, Self.list)
            #expect(second.headers["cache-status"] == ["pingate; fwd=miss"])
            #expect(h.upstream.requestCount == 1)
        }
    }

    @Test("purge drops entries; statistics are reported")
    func purgeAndStatistics() async throws {
        try await GatewayHarness.run { h in
            _ = try await h.send(.GET, Self.list)
            _ = try await h.send(.GET, Self.list)
            let stats = try await h.send(.GET, "/_pingate/cache")
            #expect(stats.json?["entries"] as? Int == 1)
            #expect(stats.json?["hits"] as? Int == 1)
            let purge = try await h.send(.POST, "/_pingate/cache/purge?prefix=/api/pinning/pins")
            #expect(purge.json?["purged"] as? Int == 1)
            #expect(try await h.send(.GET, Self.list).headers["cache-status"] == ["pingate; fwd=miss; stored"])
        }
    }
}
