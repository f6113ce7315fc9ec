import Foundation
import PingateCore

/// Every pingate setting, in documentation order: the one table that help text, environment variables, flags,
/// the file's keys, `check-config` and ``PingateSettings`` are derived from. Keys sharing a section stay adjacent,
/// so the rendered configuration opens each section once.
public enum SettingsCatalog {
    /// Every setting, in documentation order.
    public static let all: [SettingDescriptor] = [
        // MARK: Listening
        .value("listen", \.listen, .hostPort, default: "127.0.0.1:8787", flag: "listen",
               "TCP address to listen on (host:port; port 0 picks a free port)."),
        .value("unix_socket", \.unixSocket, ValueSyntax<String>.path.optional, default: nil, flag: "unix-socket",
               "Also listen on this Unix domain socket path."),
        .value("unix_socket_mode", \.unixSocketMode, .fileMode, default: "0600", flag: "unix-socket-mode",
               "Permission bits of the Unix socket (octal)."),
        .list("allowed_uids", \.allowedUIDs, .uid, default: "", flag: "allow-uid", repeatable: true,
              "Peer user ids allowed on the Unix socket (empty: only pingate's own uid)."),

        // MARK: Vault
        .value("vault", \.vault, ValueSyntax<String>.path.optional, default: nil, flag: "vault",
               "Encrypted vault file holding the upstream credentials."),
        .value("passphrase_file", \.passphraseFile, ValueSyntax<String>.path.optional, default: nil, flag: "passphrase-file",
               "Read the vault passphrase from this file (else PINGATE_PASSPHRASE or a prompt)."),

        // MARK: Upstream
        .value("upstream", \.upstream, .httpURL, default: "https://api.w3ipfs.storage", flag: "upstream",
               "Upstream base URL of the default (w3ipfs) route."),
        .value("upstream.breaker.failures", \.breaker.failures, .integer(minimum: 0), default: "5", flag: "breaker-failures",
               "Consecutive upstream failures that open the circuit breaker (0 turns it off)."),
        .value("upstream.breaker.open_s", \.breaker.openTime, .seconds, default: "5", flag: "breaker-open-s",
               "Seconds the breaker stays open before one probe (doubling on each failed probe, up to 60)."),
        .value("upstream.keepalive_idle_s", \.upstreamKeepAliveIdle, .seconds, default: "4", flag: "upstream-keepalive-idle-s",
               "Seconds a pooled upstream connection may idle before pingate closes it instead of reusing it."),
        .value("upstream_ca_file", \.upstreamCAFile, ValueSyntax<String>.path.optional, default: nil, flag: "upstream-ca-file",
               "PEM root certificates to trust for https upstreams instead of the system store."),

        // MARK: Access
        .value("allow_remote", \.allowRemote, .bool, default: "false", flag: "allow-remote", inverted: "no-allow-remote",
               "Allow listening on a non-loopback address (clients then need a client token: pingate token add, or access_token_file)."),
        .value("access_token_file", \.accessTokenFile, ValueSyntax<String>.path.optional, default: nil, flag: "access-token-file",
               "File of tokens (one a line) clients may present, with every permission (contents never printed)."),
        .list("allowed_hosts", \.allowedHosts, .hostName, default: "", flag: "allow-host", repeatable: true,
              "Extra Host header values accepted besides loopback names (DNS-rebinding guard)."),
        .list("allowed_origins", \.allowedOrigins, .origin, default: "", flag: "allow-origin", repeatable: true,
              "Browser Origins allowed to call pingate (CORS); '*' allows any."),
        .value("auth.require_token", \.auth.requireToken, ValueSyntax<Bool>.bool.optional, default: nil,
               derived: "off on loopback and unix sockets, on with allow_remote or access_token_file", flag: "require-token", inverted: "no-require-token",
               "Refuse requests that carry no client token."),
        .fileOnly("profiles", default: "{}", "Named credential sets for tokens: {profile: {header: vault entry}} (file only).",
                  render: { FileSections.render(profiles: $0.profiles) }),

        // MARK: Logging
        .value("log.level", \.log.level, .choice("<level>"), default: "info", flag: "log-level",
               "Minimum log level: trace|debug|info|notice|warning|error|critical."),
        .value("log.format", \.log.format, .choice("<format>"), default: "json", flag: "log-format",
               "Log line format: json|text."),
        .value("access_log", \.accessLog, .bool, default: "true", flag: "access-log", inverted: "no-access-log",
               "Log one line per request."),

        // MARK: Timeouts
        .value("timeouts.connect", \.timeouts.connect, .seconds, default: "10", flag: "connect-timeout",
               "Seconds to wait for the upstream TCP/TLS connection."),
        .value("timeouts.read", \.timeouts.read, .seconds, default: "60", flag: "read-timeout",
               "Seconds to wait for the upstream response."),
        .value("timeouts.drain", \.timeouts.drain, .seconds, default: "30", flag: "drain-timeout",
               "Seconds to let in-flight requests finish on shutdown."),
        .value("timeouts.header", \.timeouts.header, .seconds, default: "10", flag: "header-timeout",
               "Seconds a client has to send the request head."),
        .value("timeouts.idle", \.timeouts.idle, .seconds, default: "75", flag: "idle-timeout",
               "Seconds an idle keep-alive client connection is kept open."),

        // MARK: Limits
        .value("limits.max_body_bytes", \.limits.maxBodyBytes, .bytes, default: "0", flag: "max-body-bytes",
               "Largest request body accepted (0 = unlimited)."),
        .value("limits.max_connections", \.limits.maxConnections, .integer(minimum: 1), default: "1024", flag: "max-connections",
               "Concurrent client connections."),
        .value("limits.max_header_bytes", \.limits.maxHeaderBytes, .bytes, default: "65536", flag: "max-header-bytes",
               "Largest total request head."),
        .value("limits.max_headers", \.limits.maxHeaders, .integer(minimum: 1), default: "100", flag: "max-headers",
               "Most request header fields."),
        .value("limits.max_request_line", \.limits.maxRequestLine, .bytes, default: "8192", flag: "max-request-line",
               "Longest request line."),
        .value("limits.upstream_connections", \.limits.upstreamConnections, .integer(minimum: 1), default: "128",
               flag: "upstream-connections", "Most upstream connections, across all event loops."),

        // MARK: Cache
        .value("cache.enabled", \.cache.enabled, .bool, default: "true", flag: "cache", inverted: "no-cache",
               "Cache GET responses."),
        .value("cache.ttl", \.cache.ttl, .seconds, default: "30", flag: "cache-ttl",
               "Freshness of responses that state none (no max-age, s-maxage or Expires); 0 = stored already stale."),
        .value("cache.ttl_pending", \.cache.ttlPending, .seconds, default: "2", flag: "cache-ttl-pending",
               "Freshness for pin statuses still in progress (queued/pinning)."),
        .value("cache.max_ttl", \.cache.maxTTL, .seconds, default: "86400", flag: "cache-max-ttl",
               "Cap on lifetimes the upstream states explicitly (max-age, s-maxage, Expires)."),
        .value("cache.status_aware", \.cache.statusAware, .bool, default: "true", flag: "cache-status-aware",
               inverted: "no-cache-status-aware", "Use cache.ttl_pending for responses describing unfinished pins."),
        .value("cache.max_bytes", \.cache.maxBytes, .bytes, default: "64MiB", flag: "cache-max-bytes",
               "Total cache size."),
        .value("cache.max_object_bytes", \.cache.maxObjectBytes, .bytes, default: "1MiB",
               derived: "min(1MiB, cache.max_bytes)", flag: "cache-max-object-bytes",
               "Largest single cached response."),
        .list("cache.statuses", \.cache.statuses, .status, default: "200", flag: "cache-statuses",
              "Upstream statuses cached under cache.ttl (with explicit freshness, every status RFC 9111 allows)."),
        .value("cache.stale_if_error", \.cache.staleIfError, .seconds, default: "0", flag: "cache-stale-if-error",
               "Serve a stale entry up to this many seconds past expiry when upstream fails (without stale-if-error=N)."),
        .value("cache.stale_while_revalidate", \.cache.staleWhileRevalidate, .seconds, default: "0",
               flag: "cache-stale-while-revalidate",
               "Serve a stale entry up to this many seconds past expiry while one background refresh runs."),

        // MARK: Rate limiting
        .value("rate_limit.rate", \.rateLimit.rate, .rate, default: nil, flag: "rate-limit",
               "Upstream request budget (10/s, 600/m, 3600/h, 5 = per second; none = unlimited)."),
        .value("rate_limit.burst", \.rateLimit.burst, .integer(minimum: 1), default: nil, derived: "max(1, ceil(rate))",
               flag: "burst", "Token bucket size for rate_limit.rate."),
        .value("rate_limit.wait_ms", \.rateLimit.waitMilliseconds, .integer(minimum: 0), default: "0", flag: "rate-limit-wait",
               "Milliseconds a request may wait for a token before 429 (0 = reject at once)."),
        .value("rate_limit.client_rate", \.rateLimit.clientRate, .rate, default: nil, flag: "client-rate-limit",
               "Per-client request budget (none = unlimited)."),
        .value("rate_limit.client_burst", \.rateLimit.clientBurst, .integer(minimum: 1), default: nil,
               derived: "max(1, ceil(client_rate))", flag: "client-burst", "Token bucket size for rate_limit.client_rate."),
        .value("rate_limit.max_clients", \.rateLimit.maxClients, .integer(minimum: 1), default: "10000",
               flag: "rate-limit-max-clients", "Most clients tracked by the per-client limiter."),
        .fileOnly("rate_limit.classes", default: "{}", "Named budgets for routes: {name: {rate, burst}} (file only).",
                  render: { FileSections.render(classes: $0.rateLimit.classes) }),

        // MARK: Readiness
        .value("readiness.upstream_window", \.readiness.upstreamWindow, .seconds, default: "30", flag: "readiness-window",
               "Upstream counts as reachable if it answered within this many seconds."),

        // MARK: Shared state
        .value("redis.url", \.redis.url, ValueSyntax<URL>.redisURL.optional, default: nil, flag: "redis", secret: true,
               "Share budgets and cache invalidations with other instances through this Redis (password never printed)."),
        .value("redis.prefix", \.redis.prefix, .text, default: "pingate:", flag: "redis-prefix",
               "Prefix of every Redis key and channel pingate uses."),
        .value("redis.timeout_ms", \.redis.timeout, .milliseconds(minimum: 1), default: "50", flag: "redis-timeout-ms",
               "Milliseconds each Redis call may take."),
        .value("redis.on_failure", \.redis.onFailure, .choice("<local|refuse>"), default: "local", flag: "redis-on-failure",
               "While Redis is unreachable: local (local budgets and cache) or refuse (503 when the upstream is needed)."),
        .value("redis.password_entry", \.redis.passwordEntry, ValueSyntax<String>.name.optional, default: nil,
               flag: "redis-password-entry", "Vault entry holding the Redis password (instead of one in redis.url)."),
        .value("redis.expected_instances", \.redis.expectedInstances, .integer(minimum: 1), default: "1",
               flag: "redis-expected-instances", "Instances sharing the budgets; without Redis each uses rate / this number."),

        // MARK: Routes
        .fileOnly("routes", default: "one route: w3ipfs at / to upstream",
                  "Prefix → upstream routes with credentials, cache and rate class (file only).",
                  render: { .block(FileSections.render(routes: $0.routes)) }),
    ]

    /// Descriptors by dotted key.
    public static let byKey: [String: SettingDescriptor] = Dictionary(uniqueKeysWithValues: all.map { ($0.key, $0) })

    /// Descriptors by environment variable name.
    public static let byEnvironmentVariable: [String: SettingDescriptor] =
        Dictionary(uniqueKeysWithValues: all.compactMap { d in d.environmentVariable.map { ($0, d) } })

    /// `PINGATE_…` variables that are not settings but are read elsewhere (passphrases, the config file);
    /// never warned about.
    public static let reservedEnvironmentVariables: Set<String> = ["PINGATE_PASSPHRASE", "PINGATE_NEW_PASSPHRASE", "PINGATE_CONFIG"]

    /// Other spellings of a key in the file: `upstream: {url: …}` sets `upstream`.
    static let aliases = ["upstream.url": "upstream"]

    /// Every proper prefix of a key (`cache`, `upstream`, `upstream.breaker`): mappings in the file.
    static let sections: Set<String> = Set(all.flatMap { d in
        let parts = d.key.split(separator: ".")
        return (1..<max(1, parts.count)).map { parts.prefix($0).joined(separator: ".") }
    })

    /// Looks up a descriptor by flag name (with or without `--`), by its inverted form (`no-cache`; `inverted`
    /// is then true) or by dotted key.
    public static func descriptor(forFlag name: String) -> (descriptor: SettingDescriptor, inverted: Bool)? {
        let bare = name.hasPrefix("--") ? String(name.dropFirst(2)) : name
        if let d = all.first(where: { $0.flag == bare }) { return (d, false) }
        if let d = all.first(where: { $0.invertedFlag == bare }) { return (d, true) }
        if let d = byKey[aliases[bare] ?? bare], !d.kind.isFileOnly { return (d, false) }
        return nil
    }

    /// One entry per setting with its flag(s), help, key, default and environment variable.
    public static func helpText() -> String {
        all.map { d in
            var head = d.flagSpelling.map { [d.kind == .boolean ? $0 : "\($0) \(d.kind.placeholder)"] } ?? ["(file only)"]
            if let inverted = d.invertedFlag { head.append("--\(inverted)") }
            var text = "  " + head.joined(separator: ", ") + "\n      " + d.help + (d.repeatable ? " Repeatable." : "")
            text += "\n      key: \(d.key); default: \(d.defaultDescription)" + (d.environmentVariable.map { "; env: \($0)" } ?? "")
            return text
        }.joined(separator: "\n")
    }
}
