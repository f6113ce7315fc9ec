import Foundation
import PingateCore

/// One entry of `routes`: requests whose path starts with `prefix` go to `upstream`
/// with the listed credential headers filled from the vault.
public struct RouteSettings: Sendable, Hashable {
    /// Unique route name (used in logs and metrics).
    public var name: String
    /// Path prefix, starting with `/`, without trailing `/` (except the root `/`).
    public var prefix: String
    /// Upstream base URL (`http` or `https`).
    public var upstream: URL
    /// Credential headers, in file order.
    public var credentials: [CredentialMapping]
    /// Whether GETs on this route may be cached (also needs `cache.enabled`).
    public var cache: Bool
    /// What a mutating request evicts.
    public var invalidationScope: InvalidationScope
    /// Name of a `rate_limit.classes` entry, if this route has its own budget.
    public var rateClass: String?
    /// Where the route was defined (`.defaultValue` for the implicit w3ipfs route).
    public var source: SettingSource

    /// Creates a route.
    public init(
        name: String,
        prefix: String,
        upstream: URL,
        credentials: [CredentialMapping] = [],
        cache: Bool = true,
        invalidationScope: InvalidationScope = .depth(2),
        rateClass: String? = nil,
        source: SettingSource = .defaultValue
    ) {
        self.name = name
        self.prefix = prefix
        self.upstream = upstream
        self.credentials = credentials
        self.cache = cache
        self.invalidationScope = invalidationScope
        self.rateClass = rateClass
        self.source = source
    }

    /// The route used when the file has no route with prefix `/`:
    /// `{name: w3ipfs, prefix: /, upstream: <upstream>,
    ///   credentials: {pinning_api_key: api_key, pinning_secret_key: secret_key}}`.
    public static func defaultW3IPFS(upstream: URL) -> RouteSettings {
        RouteSettings(
            name: "w3ipfs",
            prefix: "/",
            upstream: upstream,
            credentials: CredentialMapping.w3ipfsDefaults
        )
    }

    /// True when `path` is the prefix itself or lies below it
    /// (`/api` matches `/api`, `/api/x`, `/api?q`, but not `/apix`).
    public func matches(path: String) -> Bool {
        if prefix == "/" { return true }
        guard path.hasPrefix(prefix) else { return false }
        let rest = path.dropFirst(prefix.count)
        guard let next = rest.first else { return true }
        return next == "/" || next == "?" || next == "#"
    }
}
