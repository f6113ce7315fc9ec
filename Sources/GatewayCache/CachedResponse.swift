import HTTPTypes
import NIOCore

/// One stored response. Immutable, so a hit hands it out without copying: the server writes
/// `headers` and `body` (a `ByteBuffer` sharing storage with the cache) straight to the channel.
public final class CachedResponse: Sendable {
    /// Upstream status.
    public let status: HTTPResponse.Status
    /// Upstream headers as given to ``ResponseCache/store(target:profile:requestHeaders:status:responseHeaders:body:now:fill:)``
    /// minus `Age` (recomputed per hit, see ``age(at:)``).
    public let headers: HTTPFields
    /// The full body.
    public let body: ByteBuffer
    /// Monotonic time of storing.
    public let storedAt: Duration
    /// Fresh while `now < expiresAt` (and not ``mustRevalidate``).
    public let expiresAt: Duration
    /// Stored from a `no-cache` response: must never be served without going upstream.
    public let mustRevalidate: Bool
    /// Latest time this entry may be served stale because upstream failed; `nil` = never.
    public let staleIfErrorUntil: Duration?
    /// Bytes charged against ``ResponseCache/Configuration/maxBytes``.
    public let cost: Int

    /// `storedAt` minus the upstream `Age`: ages are measured from here (RFC 9111 §4.2.3).
    let ageOrigin: Duration
    /// Which request header values selected this variant.
    let vary: VarySelector

    init(
        status: HTTPResponse.Status, headers: HTTPFields, body: ByteBuffer, storedAt: Duration,
        ageOrigin: Duration, expiresAt: Duration, mustRevalidate: Bool, staleIfErrorUntil: Duration?,
        cost: Int, vary: VarySelector
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.storedAt = storedAt
        self.ageOrigin = ageOrigin
        self.expiresAt = expiresAt
        self.mustRevalidate = mustRevalidate
        self.staleIfErrorUntil = staleIfErrorUntil
        self.cost = cost
        self.vary = vary
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
        guard let deadline = self.staleIfErrorUntil else { return false }
        return now <= deadline
    }

    /// Remaining freshness in whole seconds (negative once stale), for `Cache-Status; ttl=`.
    public func timeToLive(at now: Duration) -> Int {
        Int((self.expiresAt - now).components.seconds)
    }

    // MARK: - Serving

    /// `headers` plus `Age` and a `Cache-Status` member, ready to send.
    /// Allocates a copy of the fields; servers writing fields one by one can skip this.
    public func responseHeaders(age: Int, cacheStatus: CacheStatus) -> HTTPFields {
        var fields = self.headers
        fields[.age] = String(age)
        fields.append(HTTPField(name: CacheStatus.fieldName, value: cacheStatus.description))
        return fields
    }
}
