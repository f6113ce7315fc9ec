import GatewayCache
import GatewayLimits
import PingateCore

/// Everything `pingate serve` needs besides the unlocked credentials.
public struct GatewayConfiguration: Sendable {
    /// TCP address to listen on (ignored when `unixSocketPath` is set). Default `127.0.0.1:8787`.
    public var listen: ListenAddress
    /// Serve on a unix socket instead of TCP.
    public var unixSocketPath: String?
    /// The upstream API. Default `https://api.w3ipfs.storage`.
    public var upstream: UpstreamEndpoint
    /// Vault entry → upstream header mappings.
    public var credentialMappings: [CredentialMapping]
    /// Upstream connect timeout.
    public var connectTimeout: Duration
    /// Upstream read timeout (no byte from the upstream for this long → 504).
    public var readTimeout: Duration
    /// How long in-flight requests may run after SIGTERM/SIGINT before pingate exits.
    public var drainTimeout: Duration
    /// Most upstream connections open at once, across event loops and upstreams (`limits.upstream_connections`);
    /// requests beyond wait in order, bounded by the read timeout.
    public var upstreamConnections: Int
    /// PEM roots trusted for https upstreams instead of the system store (`upstream_ca_file`).
    public var upstreamCAFile: String?
    /// Pooled upstream connections idle for longer are closed instead of reused (`upstream.keepalive_idle_s`).
    public var upstreamKeepaliveIdle: Duration = .seconds(4)
    /// Name of the credential profile (part of every cache key).
    public var profile: String
    /// Credential profiles of client tokens named in the configuration (`profiles`): profile → header → vault
    /// entry. A profile not named here maps each credential header of a route to the entry `PROFILE.<entry>`
    /// (see ``UnlockedVault``).
    public var profiles: [String: [CredentialMapping]] = [:]
    /// Further APIs behind the same pingate, matched by longest path prefix before the default route.
    public var extraRoutes: [GatewayRoute] = []
    /// Whether the default route's GETs are cached (the cache itself must be on).
    public var defaultRouteCaches = true
    /// GET cache settings; nil turns the cache off.
    public var cache: ResponseCache.Configuration?
    /// Upstream, per-class and per-client budgets.
    public var rateLimits: RateLimiter.Configuration
    /// Which budget class a request spends.
    public var routeClasses: RouteClassifier
    /// Host/Origin allow-lists, `--access-token-file` tokens and whether a client token is required.
    public var access: AccessPolicy
    /// Largest request body accepted (413 beyond); nil = unlimited.
    public var maxBodyBytes: Int?
    /// Idle keep-alive connections are closed after this long.
    public var idleTimeout: Duration
    /// A request head must arrive completely within this long (slowloris protection).
    public var headerTimeout: Duration
    /// Longest request line accepted (414 beyond).
    public var maxRequestLine: Int
    /// Largest header block accepted (431 beyond).
    public var maxHeaderBytes: Int
    /// Most header fields accepted (431 beyond).
    public var maxHeaders: Int
    /// Most concurrent client connections; more wait in the accept queue.
    public var maxConnections: Int
    /// The upstream counts as reachable for `/_pingate/readyz` if it answered within this window.
    public var readinessWindow: Duration = .seconds(30)
    /// The circuit breaker of each upstream (`upstream.breaker.*`; `failures: 0` turns it off).
    public var breaker = CircuitBreaker.Configuration()
    /// Budgets, pushback and cache invalidations shared with other pingates through Redis (`redis.*`); nil: none.
    public var sharedState: SharedStateConfiguration?

    /// The default route: `upstream` with `credentialMappings` under `/`.
    public var defaultRoute: GatewayRoute {
        GatewayRoute(name: profile, prefix: "/", upstream: upstream, credentialMappings: credentialMappings, cacheEnabled: defaultRouteCaches)
    }

    /// Every route, most specific prefix first, the default last.
    public var allRoutes: [GatewayRoute] {
        extraRoutes.sorted { $0.prefix.count > $1.prefix.count } + [defaultRoute]
    }

    /// The default upstream URL.
    public static let defaultUpstream = "https://api.w3ipfs.storage"

    /// Creates a configuration with pingate's defaults.
    public init(
        listen: ListenAddress = ListenAddress(host: "127.0.0.1", port: 8787),
        unixSocketPath: String? = nil,
        upstream: UpstreamEndpoint,
        credentialMappings: [CredentialMapping] = CredentialMapping.w3ipfsDefaults,
        connectTimeout: Duration = .seconds(10),
        readTimeout: Duration = .seconds(60),
        drainTimeout: Duration = .seconds(30),
        upstreamConnections: Int = 128,
        profile: String = "w3ipfs"
    ) {
        self.listen = listen
        self.unixSocketPath = unixSocketPath
        self.upstream = upstream
        self.credentialMappings = credentialMappings
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.drainTimeout = drainTimeout
        self.upstreamConnections = upstreamConnections
        self.profile = profile
        self.cache = ResponseCache.Configuration()
        self.rateLimits = RateLimiter.Configuration()
        self.routeClasses = .w3ipfs
        self.access = AccessPolicy()
        self.maxBodyBytes = nil
        self.idleTimeout = .seconds(75)
        self.headerTimeout = .seconds(10)
        self.maxRequestLine = 8192
        self.maxHeaderBytes = 64 * 1024
        self.maxHeaders = 100
        self.maxConnections = 1024
    }
}

extension GatewayConfiguration {
    /// Checks what can only be checked by trying: the TLS set-up of every https upstream (a CA file that is not
    /// PEM, say). Run before listening, so a bad setting stops pingate with one line.
    /// - Throws: ``GatewayConfigurationError`` naming the setting.
    public func validate() throws {
        for route in allRoutes where route.upstream.scheme == "https" {
            _ = try UpstreamTLS(host: route.upstream.host, caFile: upstreamCAFile)
        }
    }
}
