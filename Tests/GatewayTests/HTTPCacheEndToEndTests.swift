import AsyncHTTPClient
import FakeW3IPFS
import Foundation
import Gateway
import NIOCore
import Testing

/// The cache as an HTTP cache, through the real server against the fake upstream sending ordinary caching headers:
/// revalidation, conditional requests, stale-while-revalidate, stale-if-error, ranges, targeted fields. Time moves
/// only through the manual clock.
@Suite("HTTP caching end to end", .timeLimit(.minutes(3)))
struct HTTPCacheEndToEndTests {
    static let list = "/api/pinning/pins/?offset=0&limit=10"
    static let pinByHash = #"{"hash_to_pin":"Qmc1135ziMvmFG534i75E8HpJoLqzLzgKBxfjBV9cBsMAs","metadata":{"name":"n"}}"#

    /// The `If-None-Match` values the fake received, in order.
    private static func validatorsSent(_ h: GatewayHarness) -> [String?] {
        h.upstream.requests.map { request in request.headers.first { $0.name.lowercased() == "if-none-match" }?.value }
    }

    /// Waits (polling, at most 30 s) until the cache has stored `count` answers.
    private static func waitForStores(_ h: GatewayHarness, _ count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if try await h.send(.GET, "/_pingate/cache").json?["stores"] as? Int ?? 0 >= count { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("the cache did not store \(count) answers within 30 s")
    }

    @Test("a stale entry is revalidated with If-None-Match and served from the cache after a 304")
    func revalidationAfter304() async throws {
        let clock = ManualClock()
        try await GatewayHarness.run(clock: clock.gatewayClock) { h in
            h.upstream.updateFaults {
                $0.extraResponseHeaders = [("ETag", #""v1""#), ("Cache-Control", "max-age=10")]
                $0.answersConditionalGETs = true
            }
            h.upstream.resetLog()
            let first = try await h.send(.GET, Self.list)
            #expect(first.headers["cache-status"] == ["pingate; fwd=miss; stored"])
            clock.advance(by: .seconds(11))
            let revalidated = try await h.send(.GET, Self.list)
            #expect(revalidated.status == 200)
            #expect(revalidated.body == first.body)
            #expect(revalidated.headers["cache-status"] == ["pingate; fwd=stale; fwd-status=304"])
            #expect(revalidated.headers["etag"] == [#""v1""#])
            // Fresh again for another max-age.
            clock.advance(by: .seconds(5))
            let hit = try await h.send(.GET, Self.list)
            #expect(hit.headers["cache-status"] == ["pingate; hit"])
            #expect(hit.headers["age"] == ["5"])
            #expect(Self.validatorsSent(h) == [nil, #""v1""#])

            // A changed representation answers 200 to the revalidation and replaces the entry.
            h.upstream.updateFaults { $0.extraResponseHeaders = [("ETag", #""v2""#), ("Cache-Control", "max-age=10")] }
            clock.advance(by: .seconds(11))
            let replaced = try await h.send(.GET, Self.list)
            #expect(replaced.headers["cache-status"] == ["pingate; fwd=stale; fwd-status=200; stored"])
            #expect(replaced.headers["etag"] == [#""v2""#])
            #expect(try await h.send(.GET, Self.list).headers["etag"] == [#""v2""#])
            #expect(h.upstream.requestCount == 3)
        }
    }

    @Test("hits carry the stored Date and an Age that counts the upstream's; Age: 7200, 0 is stale")
    func dateAndAge() async throws {
        let clock = ManualClock()
        try await GatewayHarness.run(clock: clock.gatewayClock) { h in
            h.upstream.faults.extraResponseHeaders = [("Age", "30"), ("Cache-Control", "max-age=3600")]
            h.upstream.resetLog()
            let first = try await h.send(.GET, Self.list)
            clock.advance(by: .seconds(3000))  // 30 s old when stored: fresh until 3600
            let hit = try await h.send(.GET, Self.list)
            #expect(hit.headers["cache-status"] == ["pingate; hit"])
            #expect(hit.headers["date"] == first.headers["date"])
            #expect(hit.headers["age"] == ["3030"])

            h.upstream.faults.extraResponseHeaders = [("Age", "7200, 0"), ("Cache-Control", "max-age=3600")]
            _ = try await h.send(.GET, "/api/pinning/pins/?limit=1")
            let stale = try await h.send(.GET, "/api/pinning/pins/?limit=1")
            #expect(stale.headers["cache-status"].first?.hasPrefix("pingate; fwd=stale") == true)
            #expect(h.upstream.requestCount == 3)
        }
    }

    @Test("concurrent requests for a stale entry make one revalidation")
    func coalescedRevalidation() async throws {
        let clock = ManualClock()
        try await GatewayHarness.run(clock: clock.gatewayClock) { h in
            h.upstream.updateFaults {
                $0.extraResponseHeaders = [("ETag", #""v1""#), ("Cache-Control", "max-age=10")]
                $0.answersConditionalGETs = true
            }
            let first = try await h.send(.GET, Self.list)
            clock.advance(by: .seconds(11))
            h.upstream.faults.responseDelay = .seconds(1)
            h.upstream.resetLog()
            let replies = try await withThrowingTaskGroup(of: HTTPReply.self) { group in
                for _ in 0..<20 { group.addTask { try await h.send(.GET, Self.list) } }
                var replies: [HTTPReply] = []
                for try await reply in group { replies.append(reply) }
                return replies
            }
            #expect(replies.allSatisfy { $0.status == 200 && $0.body == first.body })
            #expect(replies.filter { $0.headers["cache-status"] == ["pingate; fwd=stale; fwd-status=304"] }.count == 1)
            #expect(h.upstream.requestCount == 1)
            #expect(Self.validatorsSent(h) == [#""v1""#])
        }
    }

    @Test("a client's If-None-Match is answered 304 by a hit; on a miss it is not sent upstream")
    func clientValidators() async throws {
        let clock = ManualClock()
        try await GatewayHarness.run(clock: clock.gatewayClock) { h in
            h.upstream.faults.extraResponseHeaders = [("ETag", #"W/"v1""#), ("Cache-Control", "max-age=60")]
            h.upstream.resetLog()
            // A miss with the client's validators: fetched whole (and stored), the client gets its 304.
            let miss = try await h.send(.GET, Self.list, headers: [("If-None-Match", #""v1""#)])
            #expect(miss.status == 304)
            #expect(miss.body.readableBytes == 0)
            #expect(miss.headers["cache-status"] == ["pingate; fwd=miss; stored"])
            #expect(Self.validatorsSent(h) == [nil])
            clock.advance(by: .seconds(2))
            let hit = try await h.send(.GET, Self.list, headers: [("If-None-Match", #""v0", W/"v1""#)])
            #expect(hit.status == 304)
            #expect(hit.body.readableBytes == 0)
            #expect(hit.headers["cache-status"] == ["pingate; hit"])
            #expect(hit.headers["etag"] == [#"W/"v1""#])
            #expect(hit.headers["cache-control"] == ["max-age=60"])
            #expect(hit.headers["date"].count == 1)
            #expect(hit.headers["age"] == ["2"])
            #expect(hit.headers["content-type"].isEmpty)
            // Another tag, or none: the whole stored answer.
            let other = try await h.send(.GET, Self.list, headers: [("If-None-Match", #""v9""#)])
            #expect(other.status == 200 && other.body.readableBytes > 0)
            #expect(other.headers["cache-status"] == ["pingate; hit"])
            #expect(h.upstream.requestCount == 1)
        }
    }

    @Test("If-Match on a write is forwarded untouched")
    func writePreconditionsForwarded() async throws {
        try await GatewayHarness.run { h in
            h.upstream.resetLog()
            _ = try await h.send(.POST, "/api/pinning/pinByHash", headers: [("Content-Type", "application/json"), ("If-Match", #""abc""#), ("If-Unmodified-Since", "Sun, 06 Nov 1994 08:49:37 GMT")], body: .bytes(ByteBuffer(string: Self.pinByHash)))
            let headers = h.upstream.requests.last?.headers ?? []
            #expect(headers.first { $0.name.lowercased() == "if-match" }?.value == #""abc""#)
            #expect(headers.first { $0.name.lowercased() == "if-unmodified-since" }?.value == "Sun, 06 Nov 1994 08:49:37 GMT")
        }
    }

    @Test("stale-while-revalidate serves the stale entry at once and refreshes it once in the background")
    func staleWhileRevalidate() async throws {
        let clock = ManualClock()
        try await GatewayHarness.run(clock: clock.gatewayClock) { h in
            h.upstream.faults.extraResponseHeaders = [("Cache-Control", "max-age=10, stale-while-revalidate=60")]
            h.upstream.resetLog()
            let first = try await h.send(.GET, Self.list)
            clock.advance(by: .seconds(15))
            // The upstream answers slowly: the stale answers must not wait for it.
            h.upstream.faults.responseDelay = .seconds(1)
            let stale = try await h.send(.GET, Self.list)
            #expect(stale.status == 200)
            #expect(stale.body == first.body)
            #expect(stale.headers["cache-status"] == ["pingate; hit; fwd=stale"])
            #expect(stale.headers["age"] == ["15"])
            let again = try await h.send(.GET, Self.list)
            #expect(again.headers["cache-status"] == ["pingate; hit; fwd=stale"])
            try await Self.waitForStores(h, 2)
            let fresh = try await h.send(.GET, Self.list)
            #expect(fresh.headers["cache-status"] == ["pingate; hit"])
            #expect(fresh.headers["age"] == ["0"])
            #expect(h.upstream.requestCount == 2)
        }
    }

    @Test("cache.stale_while_revalidate applies to responses without the directive; must-revalidate never serves stale")
    func configuredStaleWhileRevalidate() async throws {
        let clock = ManualClock()
        try await GatewayHarness.run(clock: clock.gatewayClock, configure: { $0.cache?.staleWhileRevalidate = .seconds(60) }) { h in
            h.upstream.resetLog()
            _ = try await h.send(.GET, Self.list)
            clock.advance(by: .seconds(31))
            #expect(try await h.send(.GET, Self.list).headers["cache-status"] == ["pingate; hit; fwd=stale"])
            try await Self.waitForStores(h, 2)

            h.upstream.faults.extraResponseHeaders = [("Cache-Control", "max-age=10, must-revalidate")]
            _ = try await h.send(.GET, "/api/pinning/pins/?limit=1")
            clock.advance(by: .seconds(11))
            let strict = try await h.send(.GET, "/api/pinning/pins/?limit=1")
            #expect(strict.headers["cache-status"].first?.hasPrefix("pingate; fwd=stale") == true)
        }
    }

    @Test("a write makes every list fresh at once, even with stale serving on")
    func writeInvalidatesStaleServing() async throws {
        let clock = ManualClock()
        try await GatewayHarness.run(clock: clock.gatewayClock, configure: {
            $0.cache?.staleWhileRevalidate = .seconds(600)
            $0.cache?.staleIfError = .seconds(600)
        }) { h in
            let before = try await h.send(.GET, Self.list)
            _ = try await h.send(.GET, "/api/pinning/pins/?limit=5")
            let count = ((before.json?["data"] as? [String: Any])?["pins"] as? [Any])?.count ?? -1
            clock.advance(by: .seconds(40))  // both stale, inside the stale-while-revalidate window
            let write = try await h.send(.POST, "/api/pinning/pinByHash", headers: [("Content-Type", "application/json")], body: .bytes(ByteBuffer(string: Self.pinByHash)))
            #expect(write.status == 200)
            for target in [Self.list, "/api/pinning/pins/?limit=5"] {
                let after = try await h.send(.GET, target)
                #expect(after.headers["cache-status"] == ["pingate; fwd=miss; stored"], "\(target)")
            }
            let list = try await h.send(.GET, Self.list)
            #expect(((list.json?["data"] as? [String: Any])?["pins"] as? [Any])?.count == count + 1)
        }
    }

    @Test("stale-if-error answers a 500 with the stale entry, never a must-revalidate one")
    func staleIfError() async throws {
        let clock = ManualClock()
        try await GatewayHarness.run(clock: clock.gatewayClock) { h in
            h.upstream.faults.extraResponseHeaders = [("Cache-Control", "max-age=10, stale-if-error=60")]
            let first = try await h.send(.GET, Self.list)
            h.upstream.faults.extraResponseHeaders = [("Cache-Control", "max-age=10, must-revalidate, stale-if-error=60")]
            _ = try await h.send(.GET, "/api/pinning/pins/?limit=1")
            clock.advance(by: .seconds(20))
            // A 500 (a 503 would also pause forwarding as upstream pushback).
            h.upstream.updateFaults { $0.forcedResponse = .internalServerError }
            let served = try await h.send(.GET, Self.list)
            #expect(served.status == 200)
            #expect(served.body == first.body)
            #expect(served.headers["cache-status"] == ["pingate; fwd=stale; fwd-status=500"])
            let strict = try await h.send(.GET, "/api/pinning/pins/?limit=1")
            #expect(strict.status == 500)
        }
    }

    @Test("a Range on a stored 200 is answered 206 from the cache; multi-range and misses go upstream")
    func ranges() async throws {
        try await GatewayHarness.run { h in
            h.upstream.resetLog()
            let rangeMiss = try await h.send(.GET, Self.list, headers: [("Range", "bytes=0-9")])
            #expect(rangeMiss.headers["cache-status"] == ["pingate; fwd=miss"])
            let full = try await h.send(.GET, Self.list)
            #expect(full.headers["cache-status"] == ["pingate; fwd=miss; stored"])
            let length = full.body.readableBytes

            let partial = try await h.send(.GET, Self.list, headers: [("Range", "bytes=0-9")])
            #expect(partial.status == 206)
            #expect(partial.headers["content-range"] == ["bytes 0-9/\(length)"])
            #expect(partial.body == full.body.getSlice(at: 0, length: 10))
            #expect(partial.headers["cache-status"] == ["pingate; hit"])
            let suffix = try await h.send(.GET, Self.list, headers: [("Range", "bytes=-5")])
            #expect(suffix.status == 206 && suffix.body == full.body.getSlice(at: length - 5, length: 5))

            let unsatisfiable = try await h.send(.GET, Self.list, headers: [("Range", "bytes=\(length)-")])
            #expect(unsatisfiable.status == 416)
            #expect(unsatisfiable.headers["content-range"] == ["bytes */\(length)"])
            #expect(unsatisfiable.json?["error"] as? String == "range_not_satisfiable")

            let ifRangeMismatch = try await h.send(.GET, Self.list, headers: [("Range", "bytes=0-9"), ("If-Range", #""other""#)])
            #expect(ifRangeMismatch.status == 200 && ifRangeMismatch.body == full.body)
            #expect(h.upstream.requestCount == 2)

            let multi = try await h.send(.GET, Self.list, headers: [("Range", "bytes=0-1, 4-5")])
            #expect(multi.headers["cache-status"] == ["pingate; fwd=request"])
            #expect(h.upstream.requestCount == 3)
            #expect(h.upstream.requests.last?.headers.contains { $0.name.lowercased() == "range" } == true)
        }
    }

    @Test("CDN-Cache-Control governs pingate and reaches the client unchanged")
    func targetedFields() async throws {
        try await GatewayHarness.run { h in
            h.upstream.faults.extraResponseHeaders = [("Cache-Control", "no-store"), ("CDN-Cache-Control", "max-age=60")]
            h.upstream.resetLog()
            let first = try await h.send(.GET, Self.list)
            #expect(first.headers["cache-status"] == ["pingate; fwd=miss; stored"])
            let hit = try await h.send(.GET, Self.list)
            #expect(hit.headers["cache-status"] == ["pingate; hit"])
            #expect(hit.headers["cdn-cache-control"] == ["max-age=60"])
            #expect(hit.headers["cache-control"] == ["no-store"])
            #expect(h.upstream.requestCount == 1)

            h.upstream.faults.extraResponseHeaders = [("CDN-Cache-Control", "max-age=60"), ("Pingate-Cache-Control", "no-store")]
            _ = try await h.send(.GET, "/api/pinning/pins/?limit=2")
            #expect(try await h.send(.GET, "/api/pinning/pins/?limit=2").headers["cache-status"] == ["pingate; fwd=miss"])
        }
    }
}
