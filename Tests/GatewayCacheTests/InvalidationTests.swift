import HTTPTypes
import Testing

@testable import GatewayCache

@Suite("ResponseCache: invalidation, fills, purge")
struct InvalidationTests {
    private func seeded() -> ResponseCache {
        let cache = ResponseCache()
        for target in [
            "/api/pinning/pins/?limit=10", "/api/pinning/pins/?offset=10&limit=10", "/api/pinning/abc",
            "/api/pinning/ID", "/api/pinningX/other", "/health", "/api/other/x",
        ] {
            cache.put(target)
        }
        cache.put("/api/pinning/abc", profile: "second")
        return cache
    }

    @Test func pinByHashInvalidatesListsAndDetails() {
        let cache = self.seeded()
        let removed = cache.invalidate(afterWriteTo: "/api/pinning/pinByHash", status: .ok, responseHeaders: HTTPFields())
        #expect(removed == 5)
        #expect(cache.get("/api/pinning/pins/?limit=10").isMiss)
        #expect(cache.get("/api/pinning/pins/?offset=10&limit=10").isMiss)
        #expect(cache.get("/api/pinning/abc").isMiss)
        #expect(cache.get("/api/pinning/abc", profile: "second").isMiss)
        // Outside the scope: survive.
        #expect(cache.get("/api/pinningX/other").isFresh)
        #expect(cache.get("/health").isFresh)
        #expect(cache.get("/api/other/x").isFresh)
        #expect(cache.statistics.invalidations == 5)
    }

    @Test func unpinInvalidatesDetailAndLists() {
        let cache = self.seeded()
        cache.invalidate(afterWriteTo: "/api/pinning/unpin/ID", status: .ok, responseHeaders: HTTPFields())
        #expect(cache.get("/api/pinning/ID").isMiss)
        #expect(cache.get("/api/pinning/pins/?limit=10").isMiss)
        #expect(cache.get("/api/other/x").isFresh)
    }

    @Test func uploadToCollectionRootInvalidatesScope() {
        let cache = self.seeded()
        cache.invalidate(afterWriteTo: "/api/pinning/", status: .created, responseHeaders: HTTPFields())
        #expect(cache.get("/api/pinning/abc").isMiss)
        let again = self.seeded()
        again.invalidate(afterWriteTo: "/api/pinning?x=1", status: .created, responseHeaders: HTTPFields())
        #expect(again.get("/api/pinning/abc").isMiss)
        #expect(again.get("/api/pinningX/other").isFresh)
    }

    @Test(arguments: [500, 404, 400, 503, 100])
    func failedWriteInvalidatesNothing(status: Int) {
        let cache = self.seeded()
        let before = cache.statistics.entries
        #expect(cache.invalidate(afterWriteTo: "/api/pinning/unpin/ID", status: .init(code: status), responseHeaders: HTTPFields()) == 0)
        #expect(cache.statistics.entries == before)
        #expect(cache.get("/api/pinning/ID").isFresh)
        // …and it does not spoil in-flight fills either.
        let token = cache.beginFill(target: "/api/pinning/new")
        cache.invalidate(afterWriteTo: "/api/pinning/new", status: .init(code: status), responseHeaders: HTTPFields())
        #expect(cache.store(
            target: "/api/pinning/new", profile: "default", requestHeaders: HTTPFields(), status: .ok,
            responseHeaders: HTTPFields(), body: buffer("{}"), now: .zero, fill: token) == .stored)
    }

    @Test func redirectStatusInvalidates() {
        let cache = self.seeded()
        cache.invalidate(afterWriteTo: "/api/pinning/unpin/ID", status: .seeOther, responseHeaders: HTTPFields())
        #expect(cache.get("/api/pinning/ID").isMiss)
    }

    @Test func locationAndContentLocationAreInvalidated() {
        let cache = self.seeded()
        cache.put("/api/other/x?page=2")
        cache.put("/elsewhere/doc")
        cache.put("/elsewhere/docs")
        cache.put("/rel/dir/item")
        let headers = fields([
            "Location": "https://upstream.example/api/other/x?ignored=1",
            "Content-Location": "/elsewhere/doc",
        ])
        cache.invalidate(afterWriteTo: "/api/pinning/pinByHash", status: .created, responseHeaders: headers)
        #expect(cache.get("/api/other/x").isMiss)
        #expect(cache.get("/api/other/x?page=2").isMiss)
        #expect(cache.get("/elsewhere/doc").isMiss)
        #expect(cache.get("/elsewhere/docs").isFresh)  // exact path only
        #expect(cache.get("/health").isFresh)

        // A relative reference resolves against the written path.
        cache.invalidate(afterWriteTo: "/rel/dir/create", status: .created, responseHeaders: fields(["Location": "item"]))
        #expect(cache.get("/rel/dir/item").isMiss)
    }

    @Test func scopeRulesAreConfigurable() {
        var configuration = ResponseCache.Configuration()
        configuration.invalidationRules = [
            InvalidationRule(pathPrefix: "/api/pinning/meta/", scope: .depth(3)),
            InvalidationRule(pathPrefix: "/v2/", scope: .prefix("/v2/items/")),
        ]
        let cache = ResponseCache(configuration: configuration)
        for target in ["/api/pinning/meta/a", "/api/pinning/abc", "/v2/items/1", "/v2/users/1"] { cache.put(target) }
        cache.invalidate(afterWriteTo: "/api/pinning/meta/a/b", status: .ok, responseHeaders: HTTPFields())
        #expect(cache.get("/api/pinning/meta/a").isMiss)
        #expect(cache.get("/api/pinning/abc").isFresh)
        cache.invalidate(afterWriteTo: "/v2/users/9", status: .ok, responseHeaders: HTTPFields())
        #expect(cache.get("/v2/items/1").isMiss)
        #expect(cache.get("/v2/users/1").isFresh)
    }

    @Test func scopeResolution() {
        let resolver = ScopeResolver(rules: [], defaultDepth: 2)
        #expect(resolver.scope(forWriteTo: "/api/pinning/unpin/ID") == "/api/pinning/")
        #expect(resolver.scope(forWriteTo: "/api/pinning/") == "/api/pinning/")
        #expect(resolver.scope(forWriteTo: "/solo") == "/solo/")
        #expect(resolver.scope(forWriteTo: "/") == "/")
        #expect(ScopeResolver.covers(scope: "/api/pinning/", path: "/api/pinning"))
        #expect(!ScopeResolver.covers(scope: "/api/pinning/", path: "/api/pinningX"))
        #expect(ScopeResolver.path(ofReference: "//h/p?q", relativeTo: "/") == "/p")
        #expect(ScopeResolver.path(ofReference: "https://h", relativeTo: "/") == "/")
        #expect(ScopeResolver.path(ofReference: "  ", relativeTo: "/") == nil)
    }

    // MARK: - Stale in flight

    @Test func fillStartedBeforeWriteIsRefused() {
        let cache = ResponseCache()
        let target = "/api/pinning/pins/?limit=10"
        let token = cache.beginFill(target: target)
        cache.invalidate(afterWriteTo: "/api/pinning/pinByHash", status: .ok, responseHeaders: HTTPFields())
        let result = cache.store(
            target: target, profile: "default", requestHeaders: HTTPFields(), status: .ok,
            responseHeaders: HTTPFields(), body: buffer("old"), now: .zero, fill: token)
        #expect(result == .notStored(.superseded))
        #expect(!result.isStored)
        #expect(cache.get(target).isMiss)
        #expect(cache.statistics.supersededFills == 1)
        // A fill begun after the write stores fine.
        #expect(cache.put(target, body: buffer("new")) == .stored)
        #expect(cache.get(target).entry?.body == buffer("new"))
    }

    @Test func unrelatedWriteDoesNotRefuseFill() {
        let cache = ResponseCache()
        let token = cache.beginFill(target: "/api/pinning/abc")
        cache.invalidate(afterWriteTo: "/api/other/thing", status: .ok, responseHeaders: HTTPFields())
        cache.purge(prefix: "/health")
        #expect(cache.store(
            target: "/api/pinning/abc", profile: "p", requestHeaders: HTTPFields(), status: .ok,
            responseHeaders: HTTPFields(), body: buffer("{}"), now: .zero, fill: token) == .stored)
    }

    @Test func purgeAndLocationRefuseFills() {
        let cache = ResponseCache()
        let purged = cache.beginFill(target: "/a/b/c")
        let located = cache.beginFill(target: "/x/y?z=1")
        cache.purge(prefix: "/a/")
        cache.invalidate(afterWriteTo: "/api/pinning/", status: .created, responseHeaders: fields(["Location": "/x/y"]))
        for token in [purged, located] {
            let target = token == purged ? "/a/b/c" : "/x/y?z=1"
            #expect(cache.store(
                target: target, profile: "p", requestHeaders: HTTPFields(), status: .ok,
                responseHeaders: HTTPFields(), body: buffer("{}"), now: .zero, fill: token) == .notStored(.superseded))
        }
        let all = cache.beginFill(target: "/q")
        cache.purge()
        #expect(cache.store(
            target: "/q", profile: "p", requestHeaders: HTTPFields(), status: .ok,
            responseHeaders: HTTPFields(), body: buffer("{}"), now: .zero, fill: all) == .notStored(.superseded))
    }

    @Test func fillOlderThanHistoryIsRefused() {
        var configuration = ResponseCache.Configuration()
        configuration.invalidationHistory = 4
        let cache = ResponseCache(configuration: configuration)
        let token = cache.beginFill(target: "/api/pinning/abc")
        for index in 0..<5 {
            cache.invalidate(afterWriteTo: "/other/\(index)", status: .ok, responseHeaders: HTTPFields())
        }
        #expect(cache.store(
            target: "/api/pinning/abc", profile: "p", requestHeaders: HTTPFields(), status: .ok,
            responseHeaders: HTTPFields(), body: buffer("{}"), now: .zero, fill: token) == .notStored(.superseded))
    }

    // MARK: - Purge

    @Test func purgeAllAndByPrefix() {
        let cache = self.seeded()
        #expect(cache.purge(prefix: "/api/pinning/pins/") == 2)
        #expect(cache.get("/api/pinning/abc").isFresh)
        #expect(cache.purge(prefix: "/api/pinning/abc") == 2)  // both profiles
        #expect(cache.purge() == 4)
        #expect(cache.statistics.entries == 0)
        #expect(cache.statistics.bytes == 0)
        #expect(cache.statistics.invalidations == 8)
    }
}
