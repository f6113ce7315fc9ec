import PingateCore

/// One API pingate fronts: requests whose path starts with `prefix` go to `upstream` with these credentials.
///
/// The default route (`GatewayConfiguration.upstream`, prefix `/`) is the w3ipfs API; `extraRoutes` let one
/// pingate front more APIs. The longest matching prefix wins (`/api` matches `/api` and `/api/x`, not `/apix`).
public struct GatewayRoute: Sendable, Equatable {
    /// Route name: the credential profile in cache keys, the `route` metric label.
    public var name: String
    /// Path prefix, starting with `/`.
    public var prefix: String
    /// Where matching requests go.
    public var upstream: UpstreamEndpoint
    /// Vault entry → header injections for this upstream.
    public var credentialMappings: [CredentialMapping]
    /// Whether GETs on this route are cached.
    public var cacheEnabled: Bool
    /// Budget class override for every request on this route (nil: classified by method and path).
    public var rateClass: String?

    /// Creates a route.
    public init(name: String, prefix: String, upstream: UpstreamEndpoint, credentialMappings: [CredentialMapping],
                cacheEnabled: Bool = true, rateClass: String? = nil) {
        self.name = name
        self.prefix = prefix
        self.upstream = upstream
        self.credentialMappings = credentialMappings
        self.cacheEnabled = cacheEnabled
        self.rateClass = rateClass
    }

    /// Whether `path` falls under this route's prefix (segment-aware).
    public func matches(path: String) -> Bool {
        if prefix == "/" || prefix.isEmpty { return true }
        guard path.hasPrefix(prefix) else { return false }
        if prefix.hasSuffix("/") || path.count == prefix.count { return true }
        let next = path[path.index(path.startIndex, offsetBy: prefix.count)]
        return next == "/" || next == "?"
    }
}
