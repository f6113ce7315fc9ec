import HTTPTypes
import Testing

@testable import GatewayCache

@Suite("Cache-Status and Age")
struct CacheStatusTests {
    @Test func rfc9211Strings() {
        #expect(CacheStatus.hit.description == "pingate; hit")
        #expect(CacheStatus.forwarded(.miss, stored: true).description == "pingate; fwd=miss; stored")
        #expect(CacheStatus.forwarded(.miss).description == "pingate; fwd=miss")
        #expect(CacheStatus.forwarded(.bypass).description == "pingate; fwd=bypass")
        #expect(CacheStatus.forwarded(.stale).description == "pingate; fwd=stale")
        #expect(CacheStatus.forwarded(.stale, stored: true).description == "pingate; fwd=stale; stored")
        #expect(CacheStatus.forwarded(.request, stored: true).description == "pingate; fwd=request; stored")
        #expect(CacheStatus.forwarded(.miss, collapsed: true).description == "pingate; fwd=miss; collapsed")
        #expect(CacheStatus(isHit: false, forward: .stale, forwardStatus: 502, ttl: -5).description
            == "pingate; fwd=stale; fwd-status=502; ttl=-5")
        #expect(CacheStatus.hit.field.name.canonicalName == "cache-status")
    }

    @Test func hitResponseHeaders() {
        let cache = ResponseCache()
        cache.put("/a", headers: fields(["Content-Type": "application/json", "Age": "1"]), at: .seconds(10))
        guard case .fresh(let entry, let age) = cache.get("/a", at: .at(13.7)) else {
            Issue.record("expected a hit")
            return
        }
        #expect(age == 4)  // 3.7 s resident + 1 s upstream Age, floored
        let headers = entry.responseHeaders(age: age, cacheStatus: .hit)
        #expect(headers[.age] == "4")
        #expect(headers[CacheStatus.fieldName] == "pingate; hit")
        #expect(headers[.contentType] == "application/json")
        #expect(entry.timeToLive(at: .at(13.7)) == 25)  // expires at 9 + 30
    }
}
