import HTTPTypes
import NIOCore

/// One stored response: status, fields and body, with its freshness. Immutable, so a hit hands it out without
/// copying. Transport-neutral: how a server writes it (for example an HTTP/1.1 head it encoded once) travels in
/// ``attachment``, which the cache stores beside the entry and never reads.
public final class CachedResponse: Sendable {
    /// Upstream status.
    public let status: HTTPResponse.Status
    /// Upstream fields as stored (without `Age`, which is recomputed per hit, see ``age(at:)``).
    public let headers: HTTPFields
    /// The full body.
    public let body: ByteBuffer
    /// What the server stored beside the entry (see the type's description).
    public let attachment: (any Sendable)?
    /// Monotonic time of storing.
    public let storedAt: Duration
    /// Fresh while `now < expiresAt` (and not ``mustRevalidate``).
    public let expiresAt: Duration
    /// Stored from a `no-cache` response: must never be served without going upstream.
    public let mustRevalidate: Bool
    /// `must-revalidate`, `proxy-revalidate` or `s-maxage`: once stale, never served without revalidation, not
    /// even while revalidating or on error.
    public let forbidsStale: Bool
    /// Latest time this entry may be served stale because upstream failed; `nil` = never.
    public let staleIfErrorUntil: Duration?
    /// Latest time this entry may be served stale while one background refresh runs; `nil` = never.
    public let staleWhileRevalidateUntil: Duration?
    /// The stored `ETag`, sent as `If-None-Match` to revalidate.
    public let entityTag: EntityTag?
    /// The stored `Last-Modified` value as received, sent as `If-Modified-Since` to revalidate.
    public let lastModified: String?
    /// Bytes charged against ``ResponseCache/Configuration/maxBytes``.
    public let cost: Int

    /// `storedAt` minus the upstream `Age`: ages are measured from here (RFC 9111 §4.2.3).
    let ageOrigin: Duration
    /// Which request header values selected this variant.
    let vary: VarySelector

    init(
        status: HTTPResponse.Status, headers: HTTPFields, body: ByteBuffer, attachment: (any Sendable)?, storedAt: Duration,
        ageOrigin: Duration, expiresAt: Duration, mustRevalidate: Bool, forbidsStale: Bool, staleIfErrorUntil: Duration?,
        staleWhileRevalidateUntil: Duration?, entityTag: EntityTag?, costBeyondBody: Int, vary: VarySelector
    ) {
        var fields = headers
        fields[.age] = nil
        self.status = status
        self.headers = fields
        self.body = body
        self.attachment = attachment
        self.storedAt = storedAt
        self.ageOrigin = ageOrigin
        self.expiresAt = expiresAt
        self.mustRevalidate = mustRevalidate
        self.forbidsStale = forbidsStale
        self.staleIfErrorUntil = staleIfErrorUntil
        self.staleWhileRevalidateUntil = staleWhileRevalidateUntil
        self.entityTag = entityTag
        self.lastModified = fields[values: .lastModified].first
        self.cost = body.readableBytes + Self.fieldBytes(fields) + costBeyondBody
        self.vary = vary
    }

    /// Bytes of the fields as `name: value` lines, what they cost in memory and on the wire.
    static func fieldBytes(_ fields: HTTPFields) -> Int {
        fields.reduce(0) { $0 + $1.name.rawName.utf8.count + $1.value.utf8.count + 4 }
    }

    // MARK: - Time

    /// The `Age` header value at `now`: whole seconds (floored) since upstream generated it.
    public func age(at now: Duration) -> Int {
        let seconds = (now - self.ageOrigin).components.seconds
        return seconds > 0 ? Int(seconds) : 0
    }

    /// Whether the entry may be served without contacting upstream.
    public func isFresh(at now: Duration) -> Bool {
        !self.mustRevalidate && now < self.expiresAt
    }

    /// Whether the entry may be served because upstream failed (stale-if-error window).
    public func isUsableOnError(at now: Duration) -> Bool {
        guard let deadline = self.staleIfErrorUntil, !self.forbidsStale, !self.mustRevalidate else { return false }
        return now <= deadline
    }

    /// Whether the stale entry may be served at once while one background refresh runs (stale-while-revalidate
    /// window).
    public func isUsableWhileRevalidating(at now: Duration) -> Bool {
        guard let deadline = self.staleWhileRevalidateUntil, !self.forbidsStale, !self.mustRevalidate else { return false }
        return now <= deadline
    }

    /// Whether a conditional request can revalidate the entry (it has an `ETag` or a `Last-Modified`).
    public var hasValidator: Bool { self.entityTag != nil || self.lastModified != nil }

    /// The fields that revalidate this entry (RFC 9111 §4.3.1): `If-None-Match` with its entity tag and
    /// `If-Modified-Since` with its `Last-Modified`, each when stored.
    public var validatorFields: [(String, String)] {
        var fields: [(String, String)] = []
        if let entityTag { fields.append(("If-None-Match", entityTag.description)) }
        if let lastModified { fields.append(("If-Modified-Since", lastModified)) }
        return fields
    }

    /// Remaining freshness in whole seconds (negative once stale), for `Cache-Status; ttl=`.
    public func timeToLive(at now: Duration) -> Int {
        Int((self.expiresAt - now).components.seconds)
    }

    // MARK: - Serving

    /// `headers` plus `Age` and a `Cache-Status` member, ready to send.
    public func responseHeaders(age: Int, cacheStatus: CacheStatus) -> HTTPFields {
        var fields = self.headers
        fields[.age] = String(age)
        fields.append(HTTPField(name: CacheStatus.fieldName, value: cacheStatus.description))
        return fields
    }
}
