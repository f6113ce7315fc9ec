import HTTPTypes

/// One member of an RFC 9211 `Cache-Status` field, e.g. `pingate; fwd=miss; stored`.
///
/// Typical values:
/// - `.hit` → `pingate; hit`
/// - `.forwarded(.miss, stored: true)` → `pingate; fwd=miss; stored`
/// - `.forwarded(.miss)` → `pingate; fwd=miss`
/// - `.forwarded(.bypass)` → `pingate; fwd=bypass` (request `no-store`, uncacheable method)
/// - `.forwarded(.stale, stored: true)` → `pingate; fwd=stale; stored` (entry expired / `no-cache`)
/// - `.forwarded(.request, stored: true)` → `pingate; fwd=request; stored` (client `no-cache`)
/// - `.hitWhileRevalidating` → `pingate; hit; fwd=stale` (served stale while a background refresh runs)
/// - a revalidation: `pingate; fwd=stale; fwd-status=304`, or `…; fwd-status=200; stored` when replaced
public struct CacheStatus: Sendable, Hashable, CustomStringConvertible {
    /// RFC 9211 §2.2 forward reasons.
    public enum ForwardReason: String, Sendable, Hashable {
        /// Nothing usable stored.
        case miss
        /// A stored response existed but was stale (or needed revalidation).
        case stale
        /// The request's directives (`no-cache`, `max-age=0`) forced going upstream.
        case request
        /// The cache was configured or asked (`no-store`) not to take part.
        case bypass
        /// The method is not cacheable.
        case method
    }

    /// The field name `Cache-Status`.
    public static let fieldName = HTTPField.Name("Cache-Status")!
    /// The cache identifier used by the factories.
    public static let defaultCacheName = "pingate"

    /// Identifier of this cache in the field.
    public var cacheName: String
    /// Served from cache.
    public var isHit: Bool
    /// Why the request went upstream, `nil` for hits.
    public var forward: ForwardReason?
    /// The upstream answer was stored.
    public var stored: Bool
    /// The request waited for another identical request's upstream answer (single flight).
    public var collapsed: Bool
    /// Upstream status when forwarded (`fwd-status`); optional.
    public var forwardStatus: Int?
    /// Remaining freshness in seconds (`ttl`, negative when served stale); optional.
    public var ttl: Int?

    /// - Parameters:
    ///   - cacheName: Identifier in the field.
    ///   - isHit: Served from cache.
    ///   - forward: Forward reason.
    ///   - stored: Upstream answer stored.
    ///   - collapsed: Coalesced with another request.
    ///   - forwardStatus: Upstream status code.
    ///   - ttl: Remaining freshness.
    public init(
        cacheName: String = CacheStatus.defaultCacheName, isHit: Bool, forward: ForwardReason? = nil,
        stored: Bool = false, collapsed: Bool = false, forwardStatus: Int? = nil, ttl: Int? = nil
    ) {
        self.cacheName = cacheName
        self.isHit = isHit
        self.forward = forward
        self.stored = stored
        self.collapsed = collapsed
        self.forwardStatus = forwardStatus
        self.ttl = ttl
    }

    // MARK: - Factories

    /// `pingate; hit`.
    public static let hit = CacheStatus(isHit: true)

    /// `pingate; hit; fwd=stale`: a stale entry served at once while a background refresh runs (RFC 5861).
    public static let hitWhileRevalidating = CacheStatus(isHit: true, forward: .stale)

    /// `pingate; fwd=<reason>[; stored][; collapsed]`.
    public static func forwarded(_ reason: ForwardReason, stored: Bool = false, collapsed: Bool = false) -> CacheStatus {
        CacheStatus(isHit: false, forward: reason, stored: stored, collapsed: collapsed)
    }

    // MARK: - Serialisation

    /// The field member, parameters in RFC 9211 order of appearance.
    public var description: String {
        var result = self.cacheName
        if self.isHit { result += "; hit" }
        if let forward { result += "; fwd=" + forward.rawValue }
        if let forwardStatus { result += "; fwd-status=\(forwardStatus)" }
        if self.stored { result += "; stored" }
        if self.collapsed { result += "; collapsed" }
        if let ttl { result += "; ttl=\(ttl)" }
        return result
    }

    /// The header field.
    public var field: HTTPField { HTTPField(name: Self.fieldName, value: self.description) }
}
