import HTTPTypes
import PingateCore

/// A GET or HEAD request's preconditions and range (RFC 9110 §13, §14), evaluated by the cache against a complete
/// response it holds (stored, or just received in full).
///
/// - `If-None-Match` (weak comparison; `*` matches any stored 2xx) answers `304` when it matches; when present,
///   `If-Modified-Since` is ignored (§13.2.2).
/// - `If-Modified-Since` answers `304` when the response's `Last-Modified` (else its `Date`) is not later; it is
///   ignored when it is not one valid HTTP-date.
/// - Preconditions only apply to 2xx responses (§13.2.1); anything else is answered as it is.
/// - `Range`: one `bytes` range on a `200` answers `206` with that slice, or `416` when it cannot be satisfied;
///   `If-Range` (strong comparison with `ETag`, or an exact, strong `Last-Modified`) must hold or the whole `200`
///   is sent. Other units and malformed values are ignored; several ranges are not answered by the cache
///   (``hasMultipleRanges``: the request goes upstream).
/// - `If-Match` and `If-Unmodified-Since` are meant for the origin (``hasOriginPreconditions``): the cache never
///   evaluates them.
public struct ConditionalRequest: Sendable {
    /// `If-None-Match` lines.
    public var ifNoneMatch: [String]
    /// `If-Modified-Since` lines.
    public var ifModifiedSince: [String]
    /// The parsed `Range`.
    public var range: ByteRangeRequest?
    /// `If-Range` lines.
    public var ifRange: [String]
    /// `If-Match` or `If-Unmodified-Since` is present.
    public var hasOriginPreconditions: Bool

    /// The fields of a request, read through `values(lowercasedName)` (all lines of that field).
    public init(values: (String) -> [String]) {
        self.ifNoneMatch = values("if-none-match")
        self.ifModifiedSince = values("if-modified-since")
        self.range = ByteRangeRequest(values("range"))
        self.ifRange = values("if-range")
        self.hasOriginPreconditions = !values("if-match").isEmpty || !values("if-unmodified-since").isEmpty
    }

    /// Reads `fields`.
    public init(_ fields: HTTPFields) {
        self.init { name in HTTPField.Name(name).map { fields[values: $0] } ?? [] }
    }

    /// No validator, no range, no origin precondition: the request is answered as it is.
    public var isEmpty: Bool {
        self.ifNoneMatch.isEmpty && self.ifModifiedSince.isEmpty && self.range == nil && !self.hasOriginPreconditions
    }

    /// `If-None-Match` or `If-Modified-Since` is present (the client holds a copy).
    public var hasValidators: Bool { !self.ifNoneMatch.isEmpty || !self.ifModifiedSince.isEmpty }

    /// More than one range was asked for.
    public var hasMultipleRanges: Bool { self.range?.isMultiple ?? false }

    // MARK: - 304

    /// Whether the client's copy is current: answer `304 Not Modified` instead of `status` with `fields`.
    public func isNotModified(status: HTTPResponse.Status, fields: HTTPFields) -> Bool {
        guard (200..<300).contains(status.code), self.hasValidators else { return false }
        let response = ResponseDirectives(fields)
        if !self.ifNoneMatch.isEmpty {
            var anyTag = false
            for line in self.ifNoneMatch {
                let (tags, wildcard) = EntityTag.list(line)
                if wildcard { return true }
                anyTag = anyTag || !tags.isEmpty
                if let current = response.entityTag, tags.contains(where: { $0.matchesWeakly(current) }) { return true }
            }
            // A field with no usable member leaves the decision to If-Modified-Since, as if it were absent.
            if anyTag { return false }
        }
        guard self.ifModifiedSince.count == 1, let since = HTTPDate.parse(self.ifModifiedSince[0]).map(Int.init),
            let modified = response.lastModified ?? response.date
        else { return false }
        return modified <= since
    }

    /// The fields a `304` carries for a response with `fields` (RFC 9110 §15.4.5): `Cache-Control`, the targeted
    /// cache fields, `Content-Location`, `Date`, `ETag`, `Expires` and `Vary`, plus `Last-Modified` when there is
    /// no `ETag`.
    public static func notModifiedFields(from fields: HTTPFields) -> HTTPFields {
        let hasETag = fields[.eTag] != nil
        return HTTPFields(fields.filter { field in
            switch field.name {
            case .cacheControl, .contentLocation, .date, .eTag, .expires, .vary,
                ResponseDirectives.pingateCacheControl, ResponseDirectives.cdnCacheControl:
                return true
            case .lastModified:
                return !hasETag
            default:
                return false
            }
        })
    }

    // MARK: - Ranges

    /// What to answer to this request's `Range` from a complete response of `length` bytes.
    public func rangeOutcome(status: HTTPResponse.Status, fields: HTTPFields, length: Int) -> RangeOutcome {
        guard status == .ok, let range, !range.isMultiple, self.ifRangeHolds(fields) else { return .full }
        return range.outcome(length: length)
    }

    /// `If-Range` is absent, or names this representation: its strong `ETag`, or its `Last-Modified` exactly when
    /// that date is strong (at least one second before `Date`, RFC 9110 §8.8.2.2).
    private func ifRangeHolds(_ fields: HTTPFields) -> Bool {
        guard let value = self.ifRange.first else { return true }
        guard self.ifRange.count == 1 else { return false }
        let response = ResponseDirectives(fields)
        let trimmed = value.trimmingASCIIWhitespace()
        if trimmed.hasPrefix("\"") || trimmed.hasPrefix("W/") {
            guard let current = response.entityTag, let asked = EntityTag.list(trimmed).tags.first else { return false }
            return asked.matchesStrongly(current)
        }
        guard let asked = HTTPDate.parse(trimmed).map(Int.init), let modified = response.lastModified, let date = response.date else {
            return false
        }
        return asked == modified && date - modified >= 1
    }
}

/// What a `Range` request gets from a complete response.
public enum RangeOutcome: Sendable, Hashable {
    /// The whole response (no range, an ignored one, or `If-Range` did not hold).
    case full
    /// `206 Partial Content` with the bytes `first...last` (inclusive).
    case partial(first: Int, last: Int)
    /// `416 Range Not Satisfiable`.
    case unsatisfiable
}
