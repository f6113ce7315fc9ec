import ArgumentParser
import PingateConfig

/// Every `pingate serve` setting as a flag. Each is optional: only the flags given override the environment
/// (`PINGATE_…`), the config file and the defaults, in that order. Values are validated by `PingateConfig`,
/// so a bad one is reported with its flag name. A property's name is its flag in camel case (`cacheTtl` is
/// `--cache-ttl`), which is how ``given`` finds the setting.
struct ServeOptions: ParsableArguments {
    @Option(help: "YAML config file (default: $PINGATE_CONFIG). Precedence: flag > env > file > default.") var config: String?

    @Option(help: help("listen")) var listen: String?
    @Option(help: help("upstream")) var upstream: String?
    @Option(help: help("upstream.breaker.failures")) var breakerFailures: String?
    @Option(help: help("upstream.breaker.open_s")) var breakerOpenS: String?
    @Option(help: help("upstream.keepalive_idle_s")) var upstreamKeepaliveIdleS: String?
    @Option(help: help("upstream_ca_file")) var upstreamCaFile: String?
    @Option(help: help("unix_socket")) var unixSocket: String?
    @Option(help: help("unix_socket_mode")) var unixSocketMode: String?
    @Option(help: help("allowed_uids")) var allowUid: [String] = []
    @Flag(inversion: .prefixedNo, help: help("allow_remote")) var allowRemote: Bool?
    @Option(help: help("access_token_file")) var accessTokenFile: String?
    @Flag(inversion: .prefixedNo, help: help("auth.require_token")) var requireToken: Bool?
    @Option(help: help("allowed_hosts")) var allowHost: [String] = []
    @Option(help: help("allowed_origins")) var allowOrigin: [String] = []

    @Option(help: help("log.level")) var logLevel: String?
    @Option(help: help("log.format")) var logFormat: String?
    @Flag(inversion: .prefixedNo, help: help("access_log")) var accessLog: Bool?

    @Option(help: help("timeouts.connect")) var connectTimeout: String?
    @Option(help: help("timeouts.read")) var readTimeout: String?
    @Option(help: help("timeouts.drain")) var drainTimeout: String?
    @Option(help: help("timeouts.header")) var headerTimeout: String?
    @Option(help: help("timeouts.idle")) var idleTimeout: String?

    @Option(help: help("limits.max_body_bytes")) var maxBodyBytes: String?
    @Option(help: help("limits.max_connections")) var maxConnections: String?
    @Option(help: help("limits.max_header_bytes")) var maxHeaderBytes: String?
    @Option(help: help("limits.max_headers")) var maxHeaders: String?
    @Option(help: help("limits.max_request_line")) var maxRequestLine: String?
    @Option(help: help("limits.upstream_connections")) var upstreamConnections: String?

    @Flag(inversion: .prefixedNo, help: help("cache.enabled")) var cache: Bool?
    @Option(help: help("cache.ttl")) var cacheTtl: String?
    @Option(help: help("cache.ttl_pending")) var cacheTtlPending: String?
    @Option(help: help("cache.max_ttl")) var cacheMaxTtl: String?
    @Flag(inversion: .prefixedNo, help: help("cache.status_aware")) var cacheStatusAware: Bool?
    @Option(help: help("cache.max_bytes")) var cacheMaxBytes: String?
    @Option(help: help("cache.max_object_bytes")) var cacheMaxObjectBytes: String?
    @Option(help: help("cache.statuses")) var cacheStatuses: String?
    @Option(help: help("cache.stale_if_error")) var cacheStaleIfError: String?
    @Option(help: help("cache.stale_while_revalidate")) var cacheStaleWhileRevalidate: String?

    @Option(help: help("rate_limit.rate")) var rateLimit: String?
    @Option(help: help("rate_limit.burst")) var burst: String?
    @Option(help: help("rate_limit.wait_ms")) var rateLimitWait: String?
    @Option(help: help("rate_limit.client_rate")) var clientRateLimit: String?
    @Option(help: help("rate_limit.client_burst")) var clientBurst: String?
    @Option(help: help("rate_limit.max_clients")) var rateLimitMaxClients: String?
    @Option(help: help("readiness.upstream_window")) var readinessWindow: String?

    @Option(help: help("redis.url")) var redis: String?
    @Option(help: help("redis.prefix")) var redisPrefix: String?
    @Option(help: help("redis.timeout_ms")) var redisTimeoutMs: String?
    @Option(help: help("redis.on_failure")) var redisOnFailure: String?
    @Option(help: help("redis.password_entry")) var redisPasswordEntry: String?
    @Option(help: help("redis.expected_instances")) var redisExpectedInstances: String?

    /// The flags the user gave, by flag name (`cache-ttl`; a switch as `cache` with `true` or `false`), for
    /// `SettingsLoader`. Repeated flags are joined with commas.
    var given: [String: String] {
        var flags: [String: String] = [:]
        for child in Mirror(reflecting: self).children {
            guard let label = child.label?.dropFirst(), label != "config" else { continue }
            let flag = label.reduce(into: "") { name, c in name += c.isUppercase ? "-" + c.lowercased() : String(c) }
            switch child.value {
            case let option as Option<String?>: flags[flag] = option.wrappedValue
            case let option as Option<[String]> where !option.wrappedValue.isEmpty: flags[flag] = option.wrappedValue.joined(separator: ",")
            case let flagValue as Flag<Bool?>: flags[flag] = flagValue.wrappedValue.map(String.init)
            default: break
            }
        }
        return flags
    }

    /// Help text with the setting's default and environment variable.
    static func help(_ key: String) -> ArgumentHelp {
        guard let descriptor = SettingsCatalog.byKey[key] else { return ArgumentHelp() }
        var text = descriptor.help + " (default: \(descriptor.defaultDescription)"
        if let env = descriptor.environmentVariable { text += "; env \(env)" }
        return ArgumentHelp(text + ")")
    }
}
