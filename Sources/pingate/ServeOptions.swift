import ArgumentParser
import PingateConfig

/// Every `pingate serve` setting as a flag. Each is optional: only the flags given override the environment
/// (`PINGATE_…`), the config file and the defaults, in that order. Values are validated by `PingateConfig`,
/// so a bad one is reported with its flag name.
struct ServeOptions: ParsableArguments {
    @Option(help: "YAML config file (default: $PINGATE_CONFIG). Precedence: flag > env > file > default.") var config: String?

    @Option(help: help("listen")) var listen: String?
    @Option(help: help("upstream")) var upstream: String?
    @Option(help: help("unix_socket")) var unixSocket: String?
    @Option(help: help("unix_socket_mode")) var unixSocketMode: String?
    @Option(help: help("allowed_uids")) var allowUid: [String] = []
    @Flag(inversion: .prefixedNo, help: help("allow_remote")) var allowRemote: Bool?
    @Option(help: help("access_token_file")) var accessTokenFile: String?
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

    @Flag(inversion: .prefixedNo, help: help("cache.enabled")) var cache: Bool?
    @Option(help: help("cache.ttl")) var cacheTtl: String?
    @Option(help: help("cache.ttl_pending")) var cacheTtlPending: String?
    @Flag(inversion: .prefixedNo, help: help("cache.status_aware")) var cacheStatusAware: Bool?
    @Option(help: help("cache.max_bytes")) var cacheMaxBytes: String?
    @Option(help: help("cache.max_object_bytes")) var cacheMaxObjectBytes: String?
    @Option(help: help("cache.statuses")) var cacheStatuses: String?
    @Option(help: help("cache.stale_if_error")) var cacheStaleIfError: String?

    @Option(help: help("rate_limit.rate")) var rateLimit: String?
    @Option(help: help("rate_limit.burst")) var burst: String?
    @Option(help: help("rate_limit.wait_ms")) var rateLimitWait: String?
    @Option(help: help("rate_limit.client_rate")) var clientRateLimit: String?
    @Option(help: help("rate_limit.client_burst")) var clientBurst: String?
    @Option(help: help("rate_limit.max_clients")) var rateLimitMaxClients: String?
    @Option(help: help("readiness.upstream_window")) var readinessWindow: String?

    /// The flags the user gave, keyed by setting key, for `SettingsLoader`.
    var given: [String: String] {
        var flags: [String: String] = [:]
        func put(_ key: String, _ value: String?) { if let value { flags[key] = value } }
        func put(_ key: String, _ values: [String]) { if !values.isEmpty { flags[key] = values.joined(separator: ",") } }
        func put(_ key: String, _ value: Bool?) { if let value { flags[key] = value ? "true" : "false" } }
        put("listen", listen); put("upstream", upstream); put("unix_socket", unixSocket)
        put("unix_socket_mode", unixSocketMode); put("allowed_uids", allowUid); put("allow_remote", allowRemote)
        put("access_token_file", accessTokenFile); put("allowed_hosts", allowHost); put("allowed_origins", allowOrigin)
        put("log.level", logLevel); put("log.format", logFormat); put("access_log", accessLog)
        put("timeouts.connect", connectTimeout); put("timeouts.read", readTimeout); put("timeouts.drain", drainTimeout)
        put("timeouts.header", headerTimeout); put("timeouts.idle", idleTimeout)
        put("limits.max_body_bytes", maxBodyBytes); put("limits.max_connections", maxConnections)
        put("limits.max_header_bytes", maxHeaderBytes); put("limits.max_headers", maxHeaders)
        put("limits.max_request_line", maxRequestLine)
        put("cache.enabled", cache); put("cache.ttl", cacheTtl); put("cache.ttl_pending", cacheTtlPending)
        put("cache.status_aware", cacheStatusAware); put("cache.max_bytes", cacheMaxBytes)
        put("cache.max_object_bytes", cacheMaxObjectBytes); put("cache.statuses", cacheStatuses)
        put("cache.stale_if_error", cacheStaleIfError)
        put("rate_limit.rate", rateLimit); put("rate_limit.burst", burst); put("rate_limit.wait_ms", rateLimitWait)
        put("rate_limit.client_rate", clientRateLimit); put("rate_limit.client_burst", clientBurst)
        put("rate_limit.max_clients", rateLimitMaxClients); put("readiness.upstream_window", readinessWindow)
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
