import HTTPTypes
import Testing

@testable import GatewayCache

@Suite("ResponseCache: status-aware freshness")
struct PinStatusFreshnessTests {
    private func detail(_ status: String) -> String { #"{"data":{"id":"abc","status":"\#(status)","pinned":false},"status":"success"}"# }

    @Test(arguments: ["queued", "pinning", "pending", "processing", "somethingNew"])
    func inProgressPinGetsPendingTTL(status: String) {
        let cache = ResponseCache()
        cache.put("/api/pinning/abc", body: buffer(self.detail(status)))
        #expect(cache.get("/api/pinning/abc", at: .at(1.9)).isFresh)
        #expect(cache.get("/api/pinning/abc", at: .at(2.1)).isStale)
    }

    @Test(arguments: ["pinned", "unpinned", "failed", "PINNED", "success"])
    func finalPinGetsNormalTTL(status: String) {
        let cache = ResponseCache()
        cache.put("/api/pinning/abc", body: buffer(self.detail(status)))
        #expect(cache.get("/api/pinning/abc", at: .at(29.9)).isFresh)
    }

    @Test func switchOff() {
        let cache = ResponseCache(configuration: .init(statusAwareFreshness: false))
        cache.put("/api/pinning/abc", body: buffer(self.detail("queued")))
        #expect(cache.get("/api/pinning/abc", at: .at(29.9)).isFresh)
    }

    @Test func finalStatesAreConfigurable() {
        var configuration = ResponseCache.Configuration()
        configuration.finalPinStates = ["queued"]
        let cache = ResponseCache(configuration: configuration)
        cache.put("/api/pinning/a", body: buffer(self.detail("queued")))
        cache.put("/api/pinning/b", body: buffer(self.detail("pinned")))
        #expect(cache.get("/api/pinning/a", at: .seconds(10)).isFresh)
        #expect(cache.get("/api/pinning/b", at: .seconds(10)).isStale)
    }

    @Test func onlyPinDetailPathsAreInspected() {
        let cache = ResponseCache()
        let queued = buffer(self.detail("queued"))
        for target in ["/api/pinning/pins/?limit=1", "/api/pinning/pins", "/api/pinning/pinByHash", "/api/pinning/unpin/x", "/other/abc"] {
            cache.put(target, body: queued)
            #expect(cache.get(target, at: .seconds(10)).isFresh, "\(target)")
        }
        // Query strings and a trailing slash still make a detail path.
        cache.put("/api/pinning/abc?x=1", body: queued)
        cache.put("/api/pinning/abc/", body: queued)
        #expect(cache.get("/api/pinning/abc?x=1", at: .seconds(3)).isStale)
        #expect(cache.get("/api/pinning/abc/", at: .seconds(3)).isStale)
    }

    @Test(arguments: ["not json", "", #"{"data":[1,2]}"#, #"{"data":{"status":7}}"#, #"{"status":"queued"}"#, "[]"])
    func unusableBodyGetsNormalTTL(body: String) {
        let cache = ResponseCache()
        cache.put("/api/pinning/abc", body: buffer(body))
        #expect(cache.get("/api/pinning/abc", at: .at(29.9)).isFresh)
    }

    @Test func pendingTTLNeverExceedsUpstreamCap() {
        let cache = ResponseCache()
        cache.put("/api/pinning/abc", headers: fields(["Cache-Control": "max-age=1"]), body: buffer(self.detail("queued")))
        #expect(cache.get("/api/pinning/abc", at: .at(1.1)).isStale)
    }
}
