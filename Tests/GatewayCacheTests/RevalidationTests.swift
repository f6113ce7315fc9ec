import HTTPTypes
import NIOCore
import Testing

@testable import GatewayCache

/// RFC 9111 §4.3: validators, the 304 selection rules (§4.3.4) and the stored-field update (§3.2).
@Suite("Revalidation")
struct RevalidationTests {
    static let stored = fields([
        "Date": "Sun, 06 Nov 1994 08:49:37 GMT", "Cache-Control": "max-age=10", "ETag": #""v1""#,
        "Last-Modified": "Sat, 05 Nov 1994 08:00:00 GMT", "Content-Type": "application/json", "X-Kept": "yes",
    ])

    private func storedEntry(_ headers: HTTPFields = RevalidationTests.stored) -> (ResponseCache, CachedResponse) {
        let cache = ResponseCache()
        cache.put("/a", headers: headers, body: buffer(#"{"data":1}"#))
        return (cache, cache.get("/a", at: .seconds(11)).entry!)
    }

    @Test func staleEntryWithValidatorsIsKeptAndOffersThem() {
        let (cache, entry) = self.storedEntry()
        #expect(cache.get("/a", at: .seconds(5000)).isStale)  // kept, not dropped, once stale
        #expect(entry.hasValidator)
        #expect(entry.validatorFields.map(\.0) == ["If-None-Match", "If-Modified-Since"])
        #expect(entry.validatorFields.map(\.1) == [#""v1""#, "Sat, 05 Nov 1994 08:00:00 GMT"])
        let weak = self.storedEntry(fields(["ETag": #"W/"w""#])).1
        #expect(weak.validatorFields.map(\.1) == [#"W/"w""#])
        #expect(!self.storedEntry(fields([:])).1.hasValidator)
    }

    @Test func notModifiedUpdatesFieldsAndKeepsTheBody() throws {
        let (cache, entry) = self.storedEntry()
        let notModified = fields([
            "Date": "Sun, 06 Nov 1994 09:00:00 GMT", "Cache-Control": "max-age=60", "ETag": #""v1""#, "Age": "5",
            "Content-Length": "0", "X-New": "1",
        ])
        let updated = try #require(ResponseCache.freshenedFields(of: entry, notModified: notModified))
        #expect(updated[.date] == "Sun, 06 Nov 1994 09:00:00 GMT")
        #expect(updated[values: .cacheControl] == ["max-age=60"])
        #expect(updated[.age] == "5")
        #expect(updated[HTTPField.Name("X-New")!] == "1")
        #expect(updated[HTTPField.Name("X-Kept")!] == "yes")
        #expect(updated[.contentType] == "application/json")
        #expect(updated[.contentLength] == nil)  // Content-Length describes the stored body, never the 304's
        // Stored again with the stored status and body, the entry is fresh for the new lifetime, aged by the 304's Age.
        let token = cache.beginFill(target: "/a", now: .seconds(100))
        #expect(cache.store(
            target: "/a", profile: "default", requestHeaders: HTTPFields(), status: entry.status, responseHeaders: updated,
            body: entry.body, now: .seconds(100), fill: token
        ) == .stored)
        let fresh = cache.get("/a", at: .seconds(100))
        #expect(fresh.isFresh && fresh.age == 5)
        #expect(fresh.entry?.body == buffer(#"{"data":1}"#))
        #expect(cache.get("/a", at: .at(155.1)).isStale)
    }

    @Test func strongTagSelectsOnlyAStrongMatch() {
        let (_, entry) = self.storedEntry()
        #expect(ResponseCache.freshenedFields(of: entry, notModified: fields(["ETag": #""v1""#])) != nil)
        #expect(ResponseCache.freshenedFields(of: entry, notModified: fields(["ETag": #""v2""#])) == nil)
        let (_, weakEntry) = self.storedEntry(fields(["ETag": #"W/"v1""#]))
        #expect(ResponseCache.freshenedFields(of: weakEntry, notModified: fields(["ETag": #""v1""#])) == nil)
    }

    @Test func weakTagSelectsByWeakComparison() {
        let (_, entry) = self.storedEntry()
        #expect(ResponseCache.freshenedFields(of: entry, notModified: fields(["ETag": #"W/"v1""#])) != nil)
        let (_, weakEntry) = self.storedEntry(fields(["ETag": #"W/"v1""#]))
        #expect(ResponseCache.freshenedFields(of: weakEntry, notModified: fields(["ETag": #"W/"v1""#])) != nil)
        #expect(ResponseCache.freshenedFields(of: weakEntry, notModified: fields(["ETag": #"W/"v0""#])) == nil)
    }

    @Test func lastModifiedSelectsWhenThereIsNoTag() {
        let (_, entry) = self.storedEntry(fields(["Last-Modified": "Sat, 05 Nov 1994 08:00:00 GMT"]))
        #expect(ResponseCache.freshenedFields(of: entry, notModified: fields(["Last-Modified": "Saturday, 05-Nov-94 08:00:00 GMT"])) != nil)
        #expect(ResponseCache.freshenedFields(of: entry, notModified: fields(["Last-Modified": "Sat, 05 Nov 1994 08:00:01 GMT"])) == nil)
    }

    @Test func notModifiedWithoutValidatorSelectsOnlyAnEntryWithoutOne() {
        let (_, entry) = self.storedEntry()
        #expect(ResponseCache.freshenedFields(of: entry, notModified: fields(["Date": "Sun, 06 Nov 1994 09:00:00 GMT"])) == nil)
        let (_, bare) = self.storedEntry(fields(["Cache-Control": "max-age=10"]))
        #expect(ResponseCache.freshenedFields(of: bare, notModified: fields(["Cache-Control": "max-age=20"]))?[.cacheControl] == "max-age=20")
    }

    @Test func noCacheInBothFormsIsStoredButNeverFresh() {
        for value in ["no-cache", #"no-cache="Set-Cookie""#, "max-age=60, no-cache"] {
            let cache = ResponseCache()
            #expect(cache.put("/a", headers: fields(["Cache-Control": value, "ETag": #""x""#])) == .stored)
            #expect(cache.get("/a").isStale, "\(value)")
        }
    }

    // MARK: - Entity tags

    @Test func entityTagComparison() {
        let strong = EntityTag(opaqueTag: #""1""#, isWeak: false), weak = EntityTag(opaqueTag: #""1""#, isWeak: true)
        let other = EntityTag(opaqueTag: #""2""#, isWeak: false)
        // RFC 9110 §8.8.3.2's table.
        #expect(!weak.matchesStrongly(weak) && weak.matchesWeakly(weak))
        #expect(!weak.matchesStrongly(strong) && weak.matchesWeakly(strong))
        #expect(!strong.matchesStrongly(other) && !strong.matchesWeakly(other))
        #expect(strong.matchesStrongly(strong) && strong.matchesWeakly(strong))
    }

    @Test func entityTagLists() {
        let parsed = EntityTag.list(#" W/"a", "b,c" ,, "d"junk, *"#)
        #expect(parsed.tags.map(\.description) == [#"W/"a""#, #""b,c""#, #""d""#])
        #expect(parsed.wildcard)
        #expect(EntityTag.list("abc").tags.map(\.opaqueTag) == ["abc"])
        #expect(EntityTag.list("").tags.isEmpty)
    }
}
