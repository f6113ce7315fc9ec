import HTTPTypes
import NIOCore
import Testing

@testable import GatewayCache

@Suite("ResponseCache: lookup, store, freshness")
struct ResponseCacheTests {
    // MARK: - Hit and miss

    @Test func hitAfterMiss() {
        let cache = ResponseCache()
        #expect(cache.get("/api/pinning/abc").isMiss)
        #expect(cache.put("/api/pinning/abc", body: buffer(#"{"data":{"status":"pinned"}}"#)) == .stored)
        let hit = cache.get("/api/pinning/abc", at: .seconds(1))
        #expect(hit.isFresh)
        #expect(hit.age == 1)
        #expect(hit.entry?.body == buffer(#"{"data":{"status":"pinned"}}"#))
        let stats = cache.statistics
        #expect(stats.misses == 1)
        #expect(stats.hits == 1)
        #expect(stats.stores == 1)
        #expect(stats.entries == 1)
        #expect(stats.bytes == hit.entry?.cost)
    }

    @Test func keyIsTargetExactlyAsSentPlusProfile() {
        let cache = ResponseCache()
        cache.put("/api/pinning/pins/?limit=10&offset=0", profile: "alice")
        #expect(cache.get("/api/pinning/pins/?limit=10&offset=0", profile: "alice").isFresh)
        #expect(cache.get("/api/pinning/pins/?offset=0&limit=10", profile: "alice").isMiss)
        #expect(cache.get("/api/pinning/pins/?limit=10&offset=0", profile: "bob").isMiss)
        #expect(cache.get("/api/pinning/pins/", profile: "alice").isMiss)
    }

    @Test func storedEntryKeepsStatusHeadersAndDropsUpstreamAge() {
        let cache = ResponseCache()
        cache.put("/x", headers: fields(["Content-Type": "application/json", "Age": "2"]))
        let entry = cache.get("/x").entry
        #expect(entry?.status == .ok)
        #expect(entry?.headers[.contentType] == "application/json")
        #expect(entry?.headers[.age] == nil)
    }

    // MARK: - What is not stored

    @Test(arguments: [
        (fields(["Cache-Control": "no-store"]), NotStoredReason.noStore),
        (fields(["Cache-Control": "private"]), .privateResponse),
        (fields(["Cache-Control": #"private="X-Foo""#]), .privateResponse),
        (fields(["Set-Cookie": "s=1"]), .setCookie),
        (fields(["Vary": "*"]), .varyUnmatchable),
        (fields(["Vary": "Accept, *"]), .varyUnmatchable),
    ])
    func uncacheableResponsesAreNotStored(headers: HTTPFields, reason: NotStoredReason) {
        let cache = ResponseCache()
        #expect(cache.storability(status: .ok, responseHeaders: headers, contentLength: 10) == .doNotStore(reason))
        #expect(cache.put("/api/pinning/abc", headers: headers) == .notStored(reason))
        #expect(cache.get("/api/pinning/abc").isMiss)
        #expect(cache.statistics.entries == 0)
    }

    @Test func onlyConfiguredStatusesAreStored() {
        let cache = ResponseCache()
        #expect(cache.put("/a", status: .notFound) == .notStored(.uncacheableStatus))
        #expect(cache.put("/a", status: .created) == .notStored(.uncacheableStatus))
        let lenient = ResponseCache(configuration: .init(cacheableStatuses: [200, 404]))
        #expect(lenient.put("/a", status: .notFound) == .stored)
        #expect(lenient.get("/a").entry?.status == .notFound)
    }

    @Test func unstorableRefreshRemovesTheOldEntry() {
        let cache = ResponseCache()
        cache.put("/a")
        #expect(cache.put("/a", headers: fields(["Cache-Control": "no-store"])) == .notStored(.noStore))
        #expect(cache.get("/a").isMiss)
        cache.put("/b")
        #expect(cache.remove(target: "/b", profile: "default", requestHeaders: HTTPFields()))
        #expect(cache.get("/b").isMiss)
    }

    @Test func noCacheResponseIsStoredButAlwaysStale() {
        let cache = ResponseCache()
        #expect(cache.put("/a", headers: fields(["Cache-Control": "no-cache"])) == .stored)
        let result = cache.get("/a", at: .zero)
        #expect(result.isStale)
        #expect(result.entry?.mustRevalidate == true)
        #expect(cache.statistics.hits == 0)
        #expect(cache.statistics.misses == 1)
    }

    // MARK: - Vary

    @Test func varyKeepsSeparateVariants() {
        let cache = ResponseCache()
        let vary = fields(["Vary": "Accept"])
        cache.put("/a", headers: vary, body: buffer("A"), request: fields(["Accept": "a"]))
        #expect(cache.get("/a", request: fields(["Accept": "a"])).isFresh)
        #expect(cache.get("/a", request: fields(["Accept": "b"])).isMiss)
        #expect(cache.get("/a").isMiss)  // header absent is a different selection

        cache.put("/a", headers: vary, body: buffer("B"), request: fields(["Accept": "b"]))
        #expect(cache.get("/a", request: fields(["Accept": "a"])).entry?.body == buffer("A"))
        #expect(cache.get("/a", request: fields(["Accept": "b"])).entry?.body == buffer("B"))
        #expect(cache.statistics.entries == 2)

        // Same selection replaces, not adds.
        cache.put("/a", headers: vary, body: buffer("A2"), request: fields(["Accept": "a"]))
        #expect(cache.get("/a", request: fields(["Accept": "a"])).entry?.body == buffer("A2"))
        #expect(cache.statistics.entries == 2)
    }

    @Test func varyNamesAreCaseInsensitiveAndMultiValued() {
        let cache = ResponseCache()
        let request = fields(["Accept": "a", "Accept-Encoding": "gzip"])
        cache.put("/a", headers: fields(["Vary": "accept-encoding", "vary": "ACCEPT"]), request: request)
        #expect(cache.get("/a", request: fields(["accept-encoding": "gzip", "ACCEPT": "a"])).isFresh)
        #expect(cache.get("/a", request: fields(["Accept": "a", "Accept-Encoding": "br"])).isMiss)
    }

    @Test func changedVaryDropsOlderVariants() {
        let cache = ResponseCache()
        cache.put("/a", headers: fields(["Vary": "Accept"]), request: fields(["Accept": "a"]))
        cache.put("/a", headers: fields(["Vary": "Accept"]), request: fields(["Accept": "b"]))
        cache.put("/a", headers: fields(["Vary": "Accept-Language"]), request: fields(["Accept-Language": "en"]))
        #expect(cache.statistics.entries == 1)
        #expect(cache.get("/a", request: fields(["Accept-Language": "en"])).isFresh)
    }

    @Test func variantsPerKeyAreBounded() {
        var configuration = ResponseCache.Configuration()
        configuration.maxVariantsPerKey = 3
        let cache = ResponseCache(configuration: configuration)
        for value in ["1", "2", "3", "4"] {
            cache.put("/a", headers: fields(["Vary": "X-V"]), request: fields(["X-V": value]))
        }
        #expect(cache.statistics.entries == 3)
        #expect(cache.get("/a", request: fields(["X-V": "1"])).isMiss)
        #expect(cache.get("/a", request: fields(["X-V": "4"])).isFresh)
    }

    // MARK: - Freshness

    @Test func defaultTTLExpiry() {
        let cache = ResponseCache()
        cache.put("/a", at: .zero)
        #expect(cache.get("/a", at: .at(29.9)).isFresh)
        #expect(cache.get("/a", at: .seconds(30)).isStale)
        #expect(cache.get("/a", at: .at(30.1)).isStale)
    }

    @Test func maxAgeCapsTTL() {
        let cache = ResponseCache()
        cache.put("/a", headers: fields(["Cache-Control": "max-age=10"]))
        #expect(cache.get("/a", at: .at(9.9)).isFresh)
        #expect(cache.get("/a", at: .at(10.1)).isStale)
    }

    @Test func sMaxAgeWinsOverMaxAge() {
        let cache = ResponseCache()
        cache.put("/a", headers: fields(["Cache-Control": "max-age=20, s-maxage=5"]))
        #expect(cache.get("/a", at: .at(4.9)).isFresh)
        #expect(cache.get("/a", at: .at(5.1)).isStale)
        cache.put("/b", headers: fields(["Cache-Control": "max-age=2, s-maxage=20"]))
        #expect(cache.get("/b", at: .at(19.9)).isFresh)
    }

    @Test func defaultTTLIsOnlyForResponsesWithoutExplicitFreshness() {
        // cache.ttl no longer caps what the origin states; cache.max_ttl does.
        let cache = ResponseCache()
        cache.put("/a", headers: fields(["Cache-Control": "max-age=3600"]))
        #expect(cache.get("/a", at: .at(30.1)).isFresh)
        #expect(cache.get("/a", at: .at(3600.1)).isStale)
        let short = ResponseCache(configuration: .init(defaultTTL: .seconds(5)))
        short.put("/a")
        #expect(short.get("/a", at: .at(5.1)).isStale)
        let capped = ResponseCache(configuration: .init(maxTTL: .seconds(100)))
        capped.put("/a", headers: fields(["Cache-Control": "max-age=3600"]))
        #expect(capped.get("/a", at: .at(99.9)).isFresh)
        #expect(capped.get("/a", at: .at(100.1)).isStale)
    }

    @Test func maxAgeZeroIsStoredStale() {
        let cache = ResponseCache()
        #expect(cache.put("/a", headers: fields(["Cache-Control": "max-age=0"])) == .stored)
        #expect(cache.get("/a").isStale)
    }

    @Test func upstreamAgeCountsAgainstFreshness() {
        let cache = ResponseCache()
        cache.put("/a", headers: fields(["Cache-Control": "max-age=20", "Age": "10"]), at: .seconds(100))
        #expect(cache.get("/a", at: .seconds(100)).age == 10)
        #expect(cache.get("/a", at: .at(109.9)).isFresh)
        #expect(cache.get("/a", at: .at(110.1)).isStale)
    }

    @Test func ageIsWholeSecondsFloored() {
        let cache = ResponseCache()
        cache.put("/a", at: .seconds(7))
        #expect(cache.get("/a", at: .seconds(7)).age == 0)
        #expect(cache.get("/a", at: .at(7.999)).age == 0)
        #expect(cache.get("/a", at: .at(12.5)).age == 5)
        #expect(cache.get("/a", at: .at(40)).age == 33)  // stale entries report age too
    }

    // MARK: - stale-if-error

    @Test func staleIfErrorWindow() {
        let cache = ResponseCache(configuration: .init(staleIfError: .seconds(60)))
        cache.put("/a")
        cache.put("/short", headers: fields(["Cache-Control": "stale-if-error=10"]))
        cache.put("/strict", headers: fields(["Cache-Control": "must-revalidate"]))
        cache.put("/nocache", headers: fields(["Cache-Control": "no-cache"]))
        let a = cache.get("/a", at: .seconds(31)).entry!
        #expect(a.isUsableOnError(at: .seconds(31)))
        #expect(a.isUsableOnError(at: .seconds(90)))
        #expect(!a.isUsableOnError(at: .at(90.1)))
        #expect(!cache.get("/short", at: .seconds(41)).entry!.isUsableOnError(at: .at(40.1)))
        #expect(!cache.get("/strict", at: .seconds(31)).entry!.isUsableOnError(at: .seconds(31)))
        #expect(!cache.get("/nocache").entry!.isUsableOnError(at: .zero))

        let off = ResponseCache()
        off.put("/a")
        #expect(!off.get("/a", at: .seconds(31)).entry!.isUsableOnError(at: .seconds(31)))
    }

    // MARK: - Request directives

    @Test(arguments: [
        (fields([:]), RequestCacheMode.normal),
        (fields(["Cache-Control": "max-age=5"]), .normal),
        (fields(["Cache-Control": "no-cache"]), .refresh),
        (fields(["Cache-Control": "max-age=0"]), .refresh),
        (fields(["Cache-Control": "Max-Age=0"]), .refresh),
        (fields(["Pragma": "no-cache"]), .refresh),
        (fields(["Cache-Control": "no-store"]), .bypass),
        (fields(["Cache-Control": "no-cache, no-store"]), .bypass),
    ])
    func requestDirectives(headers: HTTPFields, mode: RequestCacheMode) {
        #expect(ResponseCache().requestDirectives(headers) == mode)
    }

    @Test func unsafeMethods() {
        #expect(!ResponseCache.isUnsafe(.get))
        #expect(!ResponseCache.isUnsafe(.head))
        #expect(!ResponseCache.isUnsafe(.options))
        #expect(!ResponseCache.isUnsafe(.trace))
        #expect(ResponseCache.isUnsafe(.post))
        #expect(ResponseCache.isUnsafe(.delete))
        #expect(ResponseCache.isUnsafe(.put))
        #expect(ResponseCache.isUnsafe(.patch))
        #expect(ResponseCache.isUnsafe(HTTPRequest.Method("PURGE")!))
    }
}

@Suite("ResponseCache: Expires")
struct ExpiresTests {
    @Test func expiresMinusDateCapsTTL() {
        let cache = ResponseCache()
        cache.put("/a", headers: fields(["Date": "Sun, 06 Nov 1994 08:49:37 GMT", "Expires": "Sun, 06 Nov 1994 08:49:47 GMT"]))
        #expect(cache.get("/a", at: .at(9.9)).isFresh)
        #expect(cache.get("/a", at: .at(10.1)).isStale)
    }

    @Test func invalidExpiresIsStale() {
        let cache = ResponseCache()
        cache.put("/a", headers: fields(["Expires": "0"]))
        #expect(cache.get("/a").isStale)
    }

    @Test func maxAgeOverridesExpiresAndMissingDateIgnoresIt() {
        let cache = ResponseCache()
        cache.put("/a", headers: fields(["Expires": "0", "Cache-Control": "max-age=10"]))
        #expect(cache.get("/a", at: .seconds(5)).isFresh)
        cache.put("/b", headers: fields(["Expires": "Sun, 06 Nov 1994 08:49:47 GMT"]))
        #expect(cache.get("/b", at: .seconds(20)).isFresh)
    }

    @Test func httpDates() {
        // RFC 9110 §5.6.7: a recipient accepts all three formats.
        #expect(ResponseDirectives.firstDate(["Thu, 01 Jan 1970 00:00:00 GMT"]) == 0)
        #expect(ResponseDirectives.firstDate(["Sun, 06 Nov 1994 08:49:37 GMT"]) == 784_111_777)
        #expect(ResponseDirectives.firstDate(["Tue, 29 Feb 2028 23:59:59 GMT"]) == 1_835_481_599)
        #expect(ResponseDirectives.firstDate(["Sunday, 06-Nov-94 08:49:37 GMT"]) == 784_111_777)
        #expect(ResponseDirectives.firstDate(["Sun Nov  6 08:49:37 1994"]) == 784_111_777)
        #expect(ResponseDirectives.firstDate(["Sun, 06 Foo 1994 08:49:37 GMT"]) == nil)
    }
}
