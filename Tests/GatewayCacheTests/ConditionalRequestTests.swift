import HTTPTypes
import Testing

@testable import GatewayCache

/// A client's preconditions and ranges evaluated against a stored response (RFC 9110 §13, §14).
@Suite("Conditional and range requests")
struct ConditionalRequestTests {
    static let response = fields([
        "Date": "Sun, 06 Nov 1994 08:49:37 GMT", "ETag": #""v1""#, "Last-Modified": "Sat, 05 Nov 1994 08:00:00 GMT",
        "Cache-Control": "max-age=60", "Content-Type": "application/json", "Vary": "Accept", "Content-Location": "/x",
        "Expires": "Sun, 06 Nov 1994 08:50:37 GMT", "CDN-Cache-Control": "max-age=5",
    ])

    private func notModified(_ request: KeyValuePairs<String, String>, status: HTTPResponse.Status = .ok, response: HTTPFields = Self.response) -> Bool {
        ConditionalRequest(fields(request)).isNotModified(status: status, fields: response)
    }

    // MARK: - If-None-Match

    @Test func ifNoneMatchUsesWeakComparison() {
        #expect(self.notModified(["If-None-Match": #""v1""#]))
        #expect(self.notModified(["If-None-Match": #"W/"v1""#]))
        #expect(self.notModified(["If-None-Match": #""v0", W/"v1""#]))
        #expect(self.notModified(["If-None-Match": "*"]))
        #expect(!self.notModified(["If-None-Match": #""v2""#]))
        #expect(self.notModified(["If-None-Match": #"W/"v1""#], response: fields(["ETag": #"W/"v1""#])))
        #expect(!self.notModified(["If-None-Match": #""v1""#], response: fields([:])))
    }

    @Test func ifNoneMatchTakesPrecedenceOverIfModifiedSince() {
        // The tag does not match: If-Modified-Since (which would match) is not looked at.
        #expect(!self.notModified(["If-None-Match": #""v2""#, "If-Modified-Since": "Sun, 06 Nov 1994 08:49:37 GMT"]))
    }

    @Test func onlySuccessfulResponsesAnswer304() {
        #expect(!self.notModified(["If-None-Match": #""v1""#], status: .notFound))
        #expect(!self.notModified(["If-None-Match": "*"], status: .movedPermanently))
    }

    // MARK: - If-Modified-Since

    @Test func ifModifiedSinceComparesWithLastModified() {
        #expect(self.notModified(["If-Modified-Since": "Sat, 05 Nov 1994 08:00:00 GMT"]))
        #expect(self.notModified(["If-Modified-Since": "Sun, 06 Nov 1994 08:00:00 GMT"]))
        #expect(!self.notModified(["If-Modified-Since": "Sat, 05 Nov 1994 07:59:59 GMT"]))
        #expect(self.notModified(["If-Modified-Since": "Saturday, 05-Nov-94 08:00:00 GMT"]))
    }

    @Test func ifModifiedSinceFallsBackToDate() {
        let response = fields(["Date": "Sun, 06 Nov 1994 08:49:37 GMT"])
        #expect(self.notModified(["If-Modified-Since": "Sun, 06 Nov 1994 08:49:37 GMT"], response: response))
        #expect(!self.notModified(["If-Modified-Since": "Sun, 06 Nov 1994 08:49:36 GMT"], response: response))
    }

    @Test func invalidIfModifiedSinceIsIgnored() {
        #expect(!self.notModified(["If-Modified-Since": "yesterday"]))
        #expect(!self.notModified(["If-Modified-Since": "Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT"]))
    }

    @Test func notModifiedFieldsAreThoseRFC9110Requires() {
        let selected = ConditionalRequest.notModifiedFields(from: Self.response)
        #expect(Set(selected.map(\.name.canonicalName)) == ["date", "etag", "cache-control", "vary", "content-location", "expires", "cdn-cache-control"])
        let withoutTag = ConditionalRequest.notModifiedFields(from: fields(["Last-Modified": "Sat, 05 Nov 1994 08:00:00 GMT", "Content-Type": "x"]))
        #expect(withoutTag.map(\.name) == [.lastModified])
    }

    @Test func originPreconditionsAreNotTheCaches() {
        #expect(ConditionalRequest(fields(["If-Match": #""v1""#])).hasOriginPreconditions)
        #expect(ConditionalRequest(fields(["If-Unmodified-Since": "Sun, 06 Nov 1994 08:49:37 GMT"])).hasOriginPreconditions)
        #expect(!ConditionalRequest(fields(["If-None-Match": #""v1""#])).hasOriginPreconditions)
        #expect(ConditionalRequest(fields([:])).isEmpty)
    }

    // MARK: - Range

    @Test(arguments: [
        ("bytes=0-9", RangeOutcome.partial(first: 0, last: 9)),
        ("bytes=90-", .partial(first: 90, last: 99)),
        ("bytes=95-200", .partial(first: 95, last: 99)),
        ("bytes=-10", .partial(first: 90, last: 99)),
        ("bytes=-500", .partial(first: 0, last: 99)),
        ("BYTES = 5-5", .partial(first: 5, last: 5)),
        ("bytes=100-", .unsatisfiable),
        ("bytes=-0", .unsatisfiable),
        ("bytes=9-0", .full),
        ("bytes=abc", .full),
        ("items=0-9", .full),
        ("bytes=0-1,5-6", .full),
    ])
    func singleRanges(value: String, outcome: RangeOutcome) {
        let request = ConditionalRequest(fields(["Range": value]))
        #expect(request.rangeOutcome(status: .ok, fields: Self.response, length: 100) == outcome, "\(value)")
    }

    @Test func rangesOnlyApplyToA200() {
        let request = ConditionalRequest(fields(["Range": "bytes=0-9"]))
        #expect(request.rangeOutcome(status: .notFound, fields: Self.response, length: 100) == .full)
        #expect(ConditionalRequest(fields(["Range": "bytes=0-1, 5-6"])).hasMultipleRanges)
        #expect(!request.hasMultipleRanges)
    }

    @Test func ifRangeWithAnEntityTagNeedsAStrongMatch() {
        func outcome(_ ifRange: String, _ response: HTTPFields = Self.response) -> RangeOutcome {
            ConditionalRequest(fields(["Range": "bytes=0-9", "If-Range": ifRange])).rangeOutcome(status: .ok, fields: response, length: 100)
        }
        #expect(outcome(#""v1""#) == .partial(first: 0, last: 9))
        #expect(outcome(#""v2""#) == .full)
        #expect(outcome(#"W/"v1""#) == .full)
        #expect(outcome(#""v1""#, fields(["ETag": #"W/"v1""#])) == .full)
    }

    @Test func ifRangeWithADateNeedsAnExactStrongLastModified() {
        func outcome(_ ifRange: String, _ response: HTTPFields = Self.response) -> RangeOutcome {
            ConditionalRequest(fields(["Range": "bytes=0-9", "If-Range": ifRange])).rangeOutcome(status: .ok, fields: response, length: 100)
        }
        #expect(outcome("Sat, 05 Nov 1994 08:00:00 GMT") == .partial(first: 0, last: 9))
        #expect(outcome("Sat, 05 Nov 1994 08:00:01 GMT") == .full)
        // Last-Modified equal to Date is weak (it may change within that second).
        let weak = fields(["Date": "Sat, 05 Nov 1994 08:00:00 GMT", "Last-Modified": "Sat, 05 Nov 1994 08:00:00 GMT"])
        #expect(outcome("Sat, 05 Nov 1994 08:00:00 GMT", weak) == .full)
        #expect(outcome("junk") == .full)
    }
}
