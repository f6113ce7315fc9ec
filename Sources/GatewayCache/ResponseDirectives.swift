import HTTPTypes
import PingateCore
import RawStructuredFieldValues

/// The caching-relevant fields of one response, read once: which directives govern pingate's own decisions, and
/// the `Date`, `Expires`, `Age`, `ETag` and `Last-Modified` values as RFC 9111 §4.2 and §5 read them.
///
/// ## Targeted fields (RFC 9213)
/// pingate's target list is `Pingate-Cache-Control`, then `CDN-Cache-Control`. The first of them present with a
/// valid, non-empty Dictionary value is used *instead of* `Cache-Control` and `Expires`; a targeted field that is
/// empty or does not parse is ignored, as if absent. The fields themselves reach the client unchanged.
///
/// ## Singletons received as lists
/// `Age: 7200, 0` uses its first member (7200); an `Age` that is not a non-negative integer is ignored (§5.1).
/// `Date` likewise uses its first member. An invalid `Expires` (`0`, junk) means "already expired" (§5.3).
public struct ResponseDirectives: Sendable {
    /// Which field the ``directives`` come from.
    public enum Source: Sendable, Hashable {
        case pingateCacheControl
        case cdnCacheControl
        case cacheControl
    }

    /// The `Expires` field as read (ignored when a targeted field governs, or when `max-age`/`s-maxage` is present).
    public enum Expires: Sendable, Hashable {
        case absent
        /// Present but not an HTTP-date: already expired.
        case invalid
        /// Seconds since the epoch.
        case at(Int)
    }

    /// `Pingate-Cache-Control`: directives for pingate alone.
    public static let pingateCacheControl = HTTPField.Name("Pingate-Cache-Control")!
    /// `CDN-Cache-Control` (RFC 9213): directives for shared caches run by or for the origin.
    public static let cdnCacheControl = HTTPField.Name("CDN-Cache-Control")!

    /// The directives pingate follows.
    public let directives: CacheControl
    public let source: Source
    /// `Date`, first member, seconds since the epoch.
    public let date: Int?
    public let expires: Expires
    /// `Age`, first member, in seconds; 0 when absent or invalid.
    public let age: Int
    /// `ETag`, if present and well formed.
    public let entityTag: EntityTag?
    /// `Last-Modified`, seconds since the epoch.
    public let lastModified: Int?

    /// Reads `fields`.
    public init(_ fields: HTTPFields) {
        if let targeted = Self.targeted(fields[values: Self.pingateCacheControl]) {
            (self.directives, self.source) = (targeted, .pingateCacheControl)
        } else if let targeted = Self.targeted(fields[values: Self.cdnCacheControl]) {
            (self.directives, self.source) = (targeted, .cdnCacheControl)
        } else {
            (self.directives, self.source) = (CacheControl(fields), .cacheControl)
        }
        self.date = Self.firstDate(fields[values: .date])
        if let expires = fields[values: .expires].first {
            self.expires = Self.firstDate([expires]).map { .at($0) } ?? .invalid
        } else {
            self.expires = .absent
        }
        self.age = fields[values: .age].first.flatMap(Self.firstAge) ?? 0
        self.entityTag = fields[values: .eTag].first.flatMap { EntityTag.list($0).tags.first }
        self.lastModified = Self.firstDate(fields[values: .lastModified])
    }

    // MARK: - Freshness (RFC 9111 §4.2.1)

    /// The lifetime the response states itself: `s-maxage`, else `max-age` (an invalid value is 0, i.e. stale),
    /// else `Expires - Date` (unless a targeted field governs). `nil` when it states none (a heuristic applies), or
    /// when `Expires` has no `Date` to measure it against (no wall clock is read here; the server adds `Date`
    /// to every response it stores).
    public var explicitLifetime: Duration? {
        if let seconds = self.directives.sharedMaxAge ?? self.directives.maxAge { return .seconds(seconds) }
        guard self.source == .cacheControl else { return nil }
        switch self.expires {
        case .absent: return nil
        case .invalid: return .zero
        case .at(let expires):
            guard let date = self.date else { return nil }
            return .seconds(max(0, expires - date))
        }
    }

    /// Stored but never served without revalidation: `no-cache`, bare or with field names (the field-name form
    /// is treated as the bare one).
    public var requiresRevalidation: Bool { self.directives.noCache }

    /// Once stale, never served without successful revalidation, not even on error: `must-revalidate`,
    /// `proxy-revalidate`, and `s-maxage` (which implies `proxy-revalidate` for a shared cache, §5.2.2.10).
    public var forbidsStale: Bool { self.directives.forbidsStale || self.directives.sharedMaxAge != nil }

    /// Whether the response carries a validator a conditional request can use.
    public var hasValidator: Bool { self.entityTag != nil || self.lastModified != nil }

    // MARK: - Parsing

    /// A targeted field's directives, or nil when it is absent, empty or not a valid Dictionary (RFC 9213 §2.1).
    /// Booleans `true` become valueless directives, `false` drops the member; integers, strings and tokens become
    /// values; other types become an empty value, which a `delta-seconds` directive reads as invalid (stale).
    /// Parameters are ignored.
    static func targeted(_ lines: [String]) -> CacheControl? {
        guard !lines.isEmpty else { return nil }
        var parser = StructuredFieldValueParser(Array(lines.joined(separator: ", ").utf8))
        guard let dictionary = try? parser.parseDictionaryFieldValue(), !dictionary.isEmpty else { return nil }
        var directives: [CacheControl.Directive] = []
        for (name, member) in dictionary {
            guard case .item(let item) = member else {
                directives.append(.init(name: name, value: ""))
                continue
            }
            switch item.rfc9651BareItem {
            case .bool(let present): if present { directives.append(.init(name: name)) }
            case .integer(let value): directives.append(.init(name: name, value: String(value)))
            case .string(let value), .token(let value): directives.append(.init(name: name, value: value))
            default: directives.append(.init(name: name, value: ""))
            }
        }
        return CacheControl(directives: directives)
    }

    /// The first member of a date field that should be a singleton; nil when absent or invalid.
    static func firstDate(_ lines: [String]) -> Int? {
        guard let first = lines.first else { return nil }
        if let whole = HTTPDate.parse(first.trimmingASCIIWhitespace()) { return Int(whole) }
        // `Sun, 06 Nov 1994 08:49:37 GMT, Mon, …`: an IMF-fixdate holds one comma, so the first member ends at a
        // later one.
        for comma in first.indices where first[comma] == "," {
            if let date = HTTPDate.parse(String(first[..<comma]).trimmingASCIIWhitespace()) { return Int(date) }
        }
        return nil
    }

    /// `Age`'s first member as `delta-seconds`; nil when invalid (the field is then ignored).
    static func firstAge(_ line: String) -> Int? {
        let member = line.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? line
        return CacheControl.parseDeltaSeconds(member.trimmingASCIIWhitespace())
    }
}
