import HTTPTypes
import Testing

@testable import GatewayCache

/// Targeted cache fields (RFC 9213) and the per-request plan.
@Suite("Targeted fields and request plans")
struct CachePlanTests {
    // MARK: - Targeted fields

    @Test func mostSpecificTargetedFieldWins() {
        let all = fields([
            "Cache-Control": "max-age=10", "CDN-Cache-Control": "max-age=20", "Pingate-Cache-Control": "max-age=30",
        ])
        #expect(ResponseDirectives(all).source == .pingateCacheControl)
        #expect(ResponseDirectives(all).directives.maxAge == 30)
        let cdn = fields(["Cache-Control": "no-store", "CDN-Cache-Control": "max-age=20"])
        #expect(ResponseDirectives(cdn).source == .cdnCacheControl)
        let cache = ResponseCache()
        #expect(cache.put("/cdn", headers: cdn) == .stored)  // Cache-Control: no-store is for browsers here
        #expect(cache.get("/cdn", at: .seconds(19)).isFresh)
        #expect(cache.get("/cdn", at: .at(20.1)).isStale)
        #expect(cache.put("/all", headers: all) == .stored)
        #expect(cache.get("/all", at: .seconds(29)).isFresh)
    }

    @Test func targetedFieldsAreDictionaries() {
        let parsed = ResponseDirectives(fields(["CDN-Cache-Control": #"no-cache, max-age=60;a=1, private="x", stale-if-error=?0"#]))
        #expect(parsed.directives.noCache)
        #expect(parsed.directives.maxAge == 60)  // parameters ignored
        #expect(parsed.directives.value(of: "private") == "x")
        #expect(!parsed.directives.contains("stale-if-error"))  // false drops the member
        #expect(ResponseDirectives(fields(["CDN-Cache-Control": "max-age=1.5"])).directives.maxAge == 0)  // wrong type: invalid
        #expect(ResponseDirectives(fields(["CDN-Cache-Control": "max-age=60", "cdn-cache-control": "no-store"])).directives.noStore)
    }

    @Test func invalidOrEmptyTargetedFieldsAreIgnored() {
        for value in ["", "max-age=60,", "max-age=\"", "Max-Age=60"] {
            let parsed = ResponseDirectives(fields(["CDN-Cache-Control": value, "Cache-Control": "max-age=7"]))
            #expect(parsed.source == .cacheControl, "\(value)")
            #expect(parsed.directives.maxAge == 7, "\(value)")
        }
    }

    @Test func aTargetedFieldReplacesExpiresToo() {
        let date = "Sun, 06 Nov 1994 08:49:37 GMT"
        let cache = ResponseCache()
        cache.put("/a", headers: fields(["Date": date, "Expires": "0", "CDN-Cache-Control": "public"]))
        #expect(cache.get("/a", at: .seconds(29)).isFresh)  // no explicit lifetime: the heuristic applies
        cache.put("/b", headers: fields(["CDN-Cache-Control": "must-revalidate, max-age=5, stale-while-revalidate=60", "Cache-Control": "max-age=600"]))
        let entry = cache.get("/b", at: .seconds(6)).entry!
        #expect(!entry.isFresh(at: .seconds(6)))
        #expect(!entry.isUsableWhileRevalidating(at: .seconds(6)))
    }

    // MARK: - Plans

    private func plan(
        _ cache: ResponseCache, _ method: HTTPRequest.Method = .get, _ request: KeyValuePairs<String, String> = [:], at now: Duration = .zero
    ) -> CachePlan {
        let headers = fields(request)
        return cache.plan(
            method: method, target: "/a", profile: "default", cacheControl: headers[values: .cacheControl],
            pragma: headers[values: HTTPField.Name("Pragma")!], conditions: ConditionalRequest(headers), now: now,
            headerValue: { headers[$0] }
        )
    }

    private func describe(_ plan: CachePlan) -> String {
        switch plan {
        case .serve(_, let age, let refresh): "serve age=\(age)\(refresh ? " refresh" : "")"
        case .fill(let reason, let stale, let coalesce): "fill \(reason)\(stale == nil ? "" : " stale")\(coalesce ? " coalesce" : "")"
        case .forward(let status, let stale): "forward \(status)\(stale == nil ? "" : " stale")"
        }
    }

    @Test func missesFillOrForward() {
        let cache = ResponseCache()
        #expect(self.describe(self.plan(cache)) == "fill miss coalesce")
        #expect(self.describe(self.plan(cache, .head)) == "forward pingate; fwd=miss")
        #expect(self.describe(self.plan(cache, .get, ["Range": "bytes=0-1"])) == "forward pingate; fwd=miss")
        #expect(self.describe(self.plan(cache, .get, ["Cache-Control": "no-store"])) == "forward pingate; fwd=bypass")
        #expect(self.describe(self.plan(cache, .get, ["Cache-Control": "no-cache"])) == "fill request")
        #expect(self.describe(self.plan(cache, .get, ["If-Match": #""x""#])) == "forward pingate; fwd=bypass")
        #expect(cache.statistics.misses == 3)
    }

    @Test func freshEntriesAreServed() {
        let cache = ResponseCache()
        cache.put("/a", headers: fields(["ETag": #""v""#]))
        #expect(self.describe(self.plan(cache, .get, [:], at: .seconds(3))) == "serve age=3")
        #expect(self.describe(self.plan(cache, .get, ["If-None-Match": #""v""#])) == "serve age=0")
        #expect(self.describe(self.plan(cache, .get, ["Range": "bytes=0-1"])) == "serve age=0")
        #expect(self.describe(self.plan(cache, .head, ["Range": "bytes=0-1, 3-4"])) == "serve age=0")
        #expect(self.describe(self.plan(cache, .get, ["Range": "bytes=0-1, 3-4"])) == "forward pingate; fwd=request stale")
        #expect(cache.statistics.hits == 4)
    }

    @Test func staleEntriesAreRevalidatedOrServedWhileRevalidating() {
        let cache = ResponseCache()
        cache.put("/a", headers: fields(["Cache-Control": "max-age=10, stale-while-revalidate=10", "ETag": #""v""#]))
        #expect(self.describe(self.plan(cache, .get, [:], at: .seconds(15))) == "serve age=15 refresh")
        #expect(self.describe(self.plan(cache, .head, [:], at: .seconds(15))) == "serve age=15 refresh")
        #expect(self.describe(self.plan(cache, .get, [:], at: .seconds(25))) == "fill stale stale coalesce")
        #expect(self.describe(self.plan(cache, .head, [:], at: .seconds(25))) == "forward pingate; fwd=stale stale")
        #expect(self.describe(self.plan(cache, .get, ["Range": "bytes=0-1"], at: .seconds(25))) == "forward pingate; fwd=stale stale")
    }

    @Test func aWriteLeavesNothingToServeStale() {
        let cache = ResponseCache()
        cache.put("/api/pinning/pins", headers: fields(["Cache-Control": "max-age=1, stale-while-revalidate=600, stale-if-error=600"]))
        #expect(cache.invalidate(afterWriteTo: "/api/pinning/pinByHash", status: .ok, responseHeaders: HTTPFields()) == 1)
        #expect(cache.get("/api/pinning/pins", at: .seconds(5)).isMiss)
    }
}
