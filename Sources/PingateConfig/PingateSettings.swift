import Foundation
import PingateCore

/// The fully validated, typed pingate configuration.
///
/// Build it with ``SettingsLoader/load(file:environment:flags:)``; field names mirror the dotted keys of
/// ``SettingsCatalog`` (`cache.ttl` → `cache.ttl`, `rate_limit.wait_ms` → `rateLimit.waitMilliseconds`,
/// `upstream.breaker.open_s` → `breaker.openTime`). `init()` gives the defaults.
public struct PingateSettings: Sendable, Hashable {
    /// `listen`.
    public var listen = ListenAddress(host: "127.0.0.1", port: 8787)
    /// `unix_socket`.
    public var unixSocket: String?
    /// `unix_socket_mode` (permission bits, e.g. `0o600`).
    public var unixSocketMode = 0o600
    /// `allowed_uids`.
    public var allowedUIDs: [UInt32] = []
    /// `vault`.
    public var vault: String?
    /// `passphrase_file`.
    public var passphraseFile: String?
    /// `upstream` (also `upstream.url`): base URL of the default (w3ipfs) route.
    public var upstream = URL(string: "https://api.w3ipfs.storage")!
    /// `upstream.breaker.*`.
    public var breaker = Breaker()
    /// `upstream.keepalive_idle_s`: a pooled upstream connection idle for longer is closed, not reused.
    public var upstreamKeepAliveIdle: Duration = .seconds(4)
    /// `upstream_ca_file`: PEM roots for https upstreams instead of the system store.
    public var upstreamCAFile: String?
    /// `allow_remote`.
    public var allowRemote = false
    /// `access_token_file` (path only; the token is never read by this module).
    public var accessTokenFile: String?
    /// `allowed_hosts`.
    public var allowedHosts: [String] = []
    /// `allowed_origins`.
    public var allowedOrigins: [String] = []
    /// `auth.*`.
    public var auth = Auth()
    /// `profiles` (file only): profile name → the credential headers its tokens use, each from a vault entry.
    public var profiles: [String: [CredentialMapping]] = [:]
    /// `log.*`.
    public var log = Log()
    /// `access_log`.
    public var accessLog = true
    /// `timeouts.*`.
    public var timeouts = Timeouts()
    /// `limits.*`.
    public var limits = Limits()
    /// `cache.*`.
    public var cache = Cache()
    /// `rate_limit.*`.
    public var rateLimit = RateLimit()
    /// `readiness.*`.
    public var readiness = Readiness()
    /// `redis.*`.
    public var redis = Redis()
    /// `routes`; always contains a route with prefix `/`.
    public var routes: [RouteSettings] = [.defaultW3IPFS(upstream: URL(string: "https://api.w3ipfs.storage")!)]

    /// Source of each setting's effective value, by dotted key.
    public var sources: [String: SettingSource] = [:]
    /// The configuration file that was read, if any.
    public var configFile: String?
    /// `PINGATE_*` environment variables that are neither settings nor reserved
    /// (`PINGATE_PASSPHRASE`, `PINGATE_NEW_PASSPHRASE`, `PINGATE_CONFIG`); print a warning.
    public var unknownEnvironmentVariables: [String] = []
    /// Human-readable warnings (one line each) the CLI should print.
    public var warnings: [String] = []

    /// The defaults.
    public init() {}

    /// Whether every request must carry a client token: `auth.require_token` when set, else on with `allow_remote`
    /// or an `access_token_file` (whose tokens were always required), off otherwise (loopback and unix sockets stay
    /// open to local tools).
    public var requiresToken: Bool { auth.requireToken ?? (allowRemote || accessTokenFile != nil) }

    /// The route for a request path: the longest matching prefix
    /// (`/api` matches `/api` and `/api/x`, not `/apix`); falls back to the `/` route.
    public func route(forPath path: String) -> RouteSettings {
        routes.filter { $0.matches(path: path) }.max { $0.prefix.count < $1.prefix.count }
            ?? routes.first ?? .defaultW3IPFS(upstream: upstream)
    }

    /// Where `key`'s value came from (`.defaultValue` when unknown).
    public func source(of key: String) -> SettingSource {
        sources[key] ?? .defaultValue
    }
}
