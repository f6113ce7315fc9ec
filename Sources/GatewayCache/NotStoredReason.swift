/// Why a response was not stored.
public enum NotStoredReason: String, Sendable, Hashable {
    /// A status the cache never stores (`206`, `304`, 1xx), or one not in ``ResponseCache/Configuration/cacheableStatuses`` without explicit freshness.
    case uncacheableStatus
    /// `Cache-Control: no-store`.
    case noStore
    /// `Cache-Control: private` (a shared cache must not store it).
    case privateResponse
    /// `Set-Cookie` present: per-client state must not be shared.
    case setCookie
    /// `Vary: *` or an unparsable `Vary` member.
    case varyUnmatchable
    /// Body above ``ResponseCache/Configuration/maxObjectBytes`` (or the entry above `maxBytes`).
    case tooLarge
    /// An invalidation or purge touching the target happened after ``ResponseCache/beginFill(target:now:)``.
    case superseded
}
