import HTTPTypes
import NIOCore
import Testing

@testable import GatewayCache

/// RFC 9111 §4.2 and §5 with an injected clock: lifetimes, ages, lists, invalid values, storable statuses,
/// stale-while-revalidate and stale-if-error windows.
@Suite("RFC 9111 freshness and age")
struct FreshnessRulesTests {
    static let date = "Sun, 06 Nov 1994 08:49:37 GMT"

    // MARK: - Lifetime

    @Test func defaultTTLZeroStoresResponsesWithoutFreshnessAsStale() {
        let cache = ResponseCache(configuration: .init(defaultTTL: .zero))
        #expect(cache.put("/a") == .stored)
        #expect(cache.get("/a").isStale)
        cache.put("/b", headers: fields(["Cache-Control": "max-age=60"]))
        #expect(cache.get("/b", at: .seconds(59)).isFresh)
    }

    @Test func pendingTTLStillCapsExplicitLifetimes() {
        let cache = ResponseCache()
        cache.put("/api/pinning/abc", headers: fields(["Cache-Control": "max-age=3600"]), body: buffer(#"{"data":{"status":"queued"}}"#))
        #expect(cache.get("/api/pinning/abc", at: .at(1.9)).isFresh)
        #expect(cache.get("/api/pinning/abc", at: .at(2.1)).isStale)
    }

    @Test func maxLifetimeCapsExplicitAndDefaultLifetimes() {
        let cache = ResponseCache()
        for target in ["/explicit", "/default"] {
            let token = cache.beginFill(target: target)
            let headers = target == "/explicit" ? fields(["Cache-Control": "max-age=3600"]) : HTTPFields()
            let result = cache.store(
                target: target, profile: "default", requestHeaders: HTTPFields(), status: .ok, responseHeaders: headers,
                body: buffer("{}"), now: .zero, fill: token, maxLifetime: .seconds(2)
            )
            #expect(result == .stored)
            #expect(cache.get(target, at: .at(1.9)).isFresh, "\(target)")
            #expect(cache.get(target, at: .at(2.1)).isStale, "\(target)")
        }
    }

    @Test func expiresIsCappedByMaxTTLAndIgnoredWithMaxAge() {
        let cache = ResponseCache(configuration: .init(maxTTL: .seconds(60)))
        cache.put("/a", headers: fields(["Date": Self.date, "Expires": "Sun, 06 Nov 1994 09:49:37 GMT"]))
        #expect(cache.get("/a", at: .at(59.9)).isFresh)
        #expect(cache.get("/a", at: .at(60.1)).isStale)
        cache.put("/b", headers: fields(["Date": Self.date, "Expires": Self.date, "Cache-Control": "max-age=10"]))
        #expect(cache.get("/b", at: .seconds(9)).isFresh)
    }

    @Test(arguments: ["0", "-1", "yesterday", "Sun, 06 Nov 1994 25:00:00 GMT", ""])
    func invalidExpiresMeansAlreadyExpired(value: String) {
        let cache = ResponseCache()
        cache.put("/a", headers: fields(["Date": Self.date, "Expires": value]))
        #expect(cache.get("/a").isStale, "Expires: \(value)")
    }

    @Test(arguments: ["max-age=abc", "max-age=-5", "max-age=1.5", "max-age", "s-maxage=x, max-age=60"])
    func invalidMaxAgeIsStale(value: String) {
        let cache = ResponseCache()
        #expect(cache.put("/a", headers: fields(["Cache-Control": value])) == .stored)
        #expect(cache.get("/a").isStale, "Cache-Control: \(value)")
    }

    // MARK: - Age

    @Test func listValuedAgeUsesTheFirstMember() {
        let cache = ResponseCache()
        cache.put("/a", headers: fields(["Cache-Control": "max-age=3600", "Age": "7200, 0"]))
        let lookup = cache.get("/a")
        #expect(lookup.isStale)
        #expect(lookup.age == 7200)
        cache.put("/b", headers: fields(["Cache-Control": "max-age=3600", "Age": "30", "age": "4000"]))
        #expect(cache.get("/b").age == 30)
        #expect(cache.get("/b").isFresh)
    }

    @Test func invalidAgeIsIgnored() {
        let cache = ResponseCache()
        cache.put("/a", headers: fields(["Cache-Control": "max-age=60", "Age": "soon"]))
        #expect(cache.get("/a", at: .seconds(10)).age == 10)
        #expect(cache.get("/a", at: .seconds(59)).isFresh)
    }

    @Test func upstreamAgeAndResponseDelayCount() {
        let cache = ResponseCache()
        // The request went upstream at 100 s, the answer (Age: 30) was stored at 102 s: its age is 32 then.
        let token = cache.beginFill(target: "/a", now: .seconds(100))
        cache.store(
            target: "/a", profile: "default", requestHeaders: HTTPFields(), status: .ok,
            responseHeaders: fields(["Cache-Control": "max-age=3600", "Age": "30"]), body: buffer("{}"), now: .seconds(102), fill: token
        )
        #expect(cache.get("/a", at: .seconds(102)).age == 32)
        #expect(cache.get("/a", at: .seconds(110)).age == 40)
        #expect(cache.get("/a", at: .at(3669.9)).isFresh)
        #expect(cache.get("/a", at: .at(3670.1)).isStale)
    }

    @Test func storedDateIsKeptAsReceived() {
        let cache = ResponseCache()
        cache.put("/a", headers: fields(["Date": Self.date, "Cache-Control": "max-age=60"]))
        #expect(cache.get("/a", at: .seconds(40)).entry?.headers[.date] == Self.date)
    }

    @Test func listValuedDateUsesTheFirstMember() {
        let list = ResponseDirectives(fields(["Date": "Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT"]))
        #expect(list.date == 784_111_777)
        let lines = ResponseDirectives(fields(["Date": "Sun, 06 Nov 1994 08:49:37 GMT", "date": "Mon, 07 Nov 1994 08:49:37 GMT"]))
        #expect(lines.date == 784_111_777)
        // Expires is measured from the first Date: 10 s.
        let cache = ResponseCache()
        cache.put("/a", headers: fields(["Date": "Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT", "Expires": "Sun, 06 Nov 1994 08:49:47 GMT"]))
        #expect(cache.get("/a", at: .at(9.9)).isFresh)
        #expect(cache.get("/a", at: .at(10.1)).isStale)
    }

    // MARK: - Storable statuses (RFC 9111 §3)

    @Test func explicitFreshnessMakesAnyFinalStatusStorable() {
        let cache = ResponseCache()
        for code in [203, 204, 301, 404, 410, 500, 503] {
            #expect(cache.put("/s\(code)", status: .init(code: code), headers: fields(["Cache-Control": "max-age=60"])) == .stored, "\(code)")
        }
        #expect(cache.put("/expires", status: .notFound, headers: fields(["Date": Self.date, "Expires": "Sun, 06 Nov 1994 08:50:37 GMT"])) == .stored)
        // Without explicit freshness only cache.statuses (default [200]) are stored.
        #expect(cache.put("/plain404", status: .notFound) == .notStored(.uncacheableStatus))
        #expect(cache.put("/public404", status: .notFound, headers: fields(["Cache-Control": "public"])) == .notStored(.uncacheableStatus))
    }

    @Test func partialAndNotModifiedAreNeverStored() {
        let cache = ResponseCache(configuration: .init(cacheableStatuses: [200, 206, 304]))
        #expect(cache.put("/a", status: .partialContent, headers: fields(["Cache-Control": "max-age=60"])) == .notStored(.uncacheableStatus))
        #expect(cache.put("/a", status: .notModified, headers: fields(["Cache-Control": "max-age=60"])) == .notStored(.uncacheableStatus))
        #expect(cache.put("/a", status: .partialContent) == .notStored(.uncacheableStatus))
    }

    @Test func mustUnderstand() {
        let cache = ResponseCache()
        // An understood status: no-store is overridden.
        #expect(cache.put("/a", headers: fields(["Cache-Control": "must-understand, no-store, max-age=60"])) == .stored)
        // A status this cache does not know: not stored.
        #expect(cache.put("/b", status: .init(code: 299), headers: fields(["Cache-Control": "must-understand, max-age=60"])) == .notStored(.uncacheableStatus))
    }

    // MARK: - Serving stale

    @Test func staleWhileRevalidateWindow() {
        let cache = ResponseCache()
        cache.put("/a", headers: fields(["Cache-Control": "max-age=10, stale-while-revalidate=20"]))
        let entry = cache.get("/a", at: .seconds(11)).entry!
        #expect(!entry.isFresh(at: .seconds(11)))
        #expect(entry.isUsableWhileRevalidating(at: .seconds(11)))
        #expect(entry.isUsableWhileRevalidating(at: .seconds(30)))
        #expect(!entry.isUsableWhileRevalidating(at: .at(30.1)))

        // The configured default applies only without the directive.
        let configured = ResponseCache(configuration: .init(staleWhileRevalidate: .seconds(5)))
        configured.put("/d", headers: fields(["Cache-Control": "max-age=10"]))
        configured.put("/own", headers: fields(["Cache-Control": "max-age=10, stale-while-revalidate=60"]))
        #expect(configured.get("/d", at: .seconds(15)).entry!.isUsableWhileRevalidating(at: .seconds(15)))
        #expect(!configured.get("/d", at: .seconds(16)).entry!.isUsableWhileRevalidating(at: .at(15.1)))
        #expect(configured.get("/own", at: .seconds(60)).entry!.isUsableWhileRevalidating(at: .seconds(60)))
    }

    @Test(arguments: ["must-revalidate", "proxy-revalidate", "s-maxage=10", "no-cache"])
    func responsesThatForbidStaleAreNeverServedStale(directive: String) {
        let cache = ResponseCache(configuration: .init(staleIfError: .seconds(600), staleWhileRevalidate: .seconds(600)))
        cache.put("/a", headers: fields(["Cache-Control": "max-age=10, \(directive), stale-if-error=600, stale-while-revalidate=600"]))
        let entry = cache.get("/a", at: .seconds(11)).entry!
        #expect(!entry.isUsableOnError(at: .seconds(11)), "\(directive)")
        #expect(!entry.isUsableWhileRevalidating(at: .seconds(11)), "\(directive)")
    }

    @Test func staleIfErrorDirectiveIsHonouredWithoutConfiguration() {
        let cache = ResponseCache()
        cache.put("/a", headers: fields(["Cache-Control": "max-age=10, stale-if-error=30"]))
        let entry = cache.get("/a", at: .seconds(20)).entry!
        #expect(entry.isUsableOnError(at: .seconds(40)))
        #expect(!entry.isUsableOnError(at: .at(40.1)))
    }
}
