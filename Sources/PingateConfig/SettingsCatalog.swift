/// The table of every pingate setting. Use ``all`` to generate help text,
/// env-var documentation and ArgumentParser options.
public enum SettingsCatalog {
    /// Every setting, in documentation order.
    public static let all: [SettingDescriptor] = [
        // MARK: Listening
        .init(key: "listen", kind: .hostPort, default: "127.0.0.1:8787",
              help: "TCP address to listen on (host:port; port 0 picks a free port).",
              flag: "listen"),
        .init(key: "unix_socket", kind: .optionalPath, default: nil,
              help: "Also listen on this Unix domain socket path.",
              flag: "unix-socket"),
        .init(key: "unix_socket_mode", kind: .fileMode, default: "0600",
              help: "Permission bits of the Unix socket (octal).",
              flag: "unix-socket-mode"),
        .init(key: "allowed_uids", kind: .uidList, default: "", defaultDescription: "[]",
              help: "Peer user ids allowed on the Unix socket (empty: only pingate's own uid).",
              flag: "allow-uid", repeatable: true),

        // MARK: Vault
        .init(key: "vault", kind: .optionalPath, default: nil,
              help: "Encrypted vault file holding the upstream credentials.",
              flag: "vault"),
        .init(key: "passphrase_file", kind: .optionalPath, default: nil,
              help: "Read the vault passphrase from this file (else PINGATE_PASSPHRASE or a prompt).",
              flag: "passphrase-file"),

        // MARK: Upstream and access
        .init(key: "upstream", kind: .url, default: "https://api.w3ipfs.storage",
              help: "Upstream base URL of the default (w3ipfs) route.",
              flag: "upstream"),
        .init(key: "allow_remote", kind: .bool, default: "false",
              help: "Allow listening on a non-loopback address (requires access_token_file).",
              flag: "allow-remote", invertedFlag: "no-allow-remote"),
        .init(key: "access_token_file", kind: .optionalPath, default: nil,
              help: "File holding the bearer token clients must present (contents never printed).",
              flag: "access-token-file"),
        .init(key: "allowed_hosts", kind: .stringList, default: "", defaultDescription: "[]",
              help: "Extra Host header values accepted besides loopback names (DNS-rebinding guard).",
              flag: "allow-host", repeatable: true),
        .init(key: "allowed_origins", kind: .stringList, default: "", defaultDescription: "[]",
              help: "Browser Origins allowed to call pingate (CORS); '*' allows any.",
              flag: "allow-origin", repeatable: true),

        // MARK: Logging
        .init(key: "log.level", kind: .logLevel, default: "info",
              help: "Minimum log level: trace|debug|info|notice|warning|error|critical.",
              flag: "log-level"),
        .init(key: "log.format", kind: .logFormat, default: "json",
              help: "Log line format: json|text.",
              flag: "log-format"),
        .init(key: "access_log", kind: .bool, default: "true",
              help: "Log one line per request.",
              flag: "access-log", invertedFlag: "no-access-log"),

        // MARK: Timeouts
        .init(key: "timeouts.connect", kind: .seconds, default: "10",
              help: "Seconds to wait for the upstream TCP/TLS connection.",
              flag: "connect-timeout"),
        .init(key: "timeouts.read", kind: .seconds, default: "60",
              help: "Seconds to wait for the upstream response.",
              flag: "read-timeout"),
        .init(key: "timeouts.drain", kind: .seconds, default: "30",
              help: "Seconds to let in-flight requests finish on shutdown.",
              flag: "drain-timeout"),
        .init(key: "timeouts.header", kind: .seconds, default: "10",
              help: "Seconds a client has to send the request head.",
              flag: "header-timeout"),
        .init(key: "timeouts.idle", kind: .seconds, default: "75",
              help: "Seconds an idle keep-alive client connection is kept open.",
              flag: "idle-timeout"),

        // MARK: Limits
        .init(key: "limits.max_body_bytes", kind: .bytes, default: "0",
              help: "Largest request body accepted (0 = unlimited).",
              flag: "max-body-bytes"),
        .init(key: "limits.max_connections", kind: .integer(minimum: 1), default: "1024",
              help: "Concurrent client connections.",
              flag: "max-connections"),
        .init(key: "limits.max_header_bytes", kind: .bytes, default: "65536",
              help: "Largest total request head.",
              flag: "max-header-bytes"),
        .init(key: "limits.max_headers", kind: .integer(minimum: 1), default: "100",
              help: "Most request header fields.",
              flag: "max-headers"),
        .init(key: "limits.max_request_line", kind: .bytes, default: "8192",
              help: "Longest request line.",
              flag: "max-request-line"),

        // MARK: Cache
        .init(key: "cache.enabled", kind: .bool, default: "true",
              help: "Cache GET responses.",
              flag: "cache", invertedFlag: "no-cache"),
        .init(key: "cache.ttl", kind: .seconds, default: "30",
              help: "Seconds a cached response stays fresh.",
              flag: "cache-ttl"),
        .init(key: "cache.ttl_pending", kind: .seconds, default: "2",
              help: "Freshness for pin statuses still in progress (queued/pinning).",
              flag: "cache-ttl-pending"),
        .init(key: "cache.status_aware", kind: .bool, default: "true",
              help: "Use cache.ttl_pending for responses describing unfinished pins.",
              flag: "cache-status-aware", invertedFlag: "no-cache-status-aware"),
        .init(key: "cache.max_bytes", kind: .bytes, default: "64MiB",
              help: "Total cache size.",
              flag: "cache-max-bytes"),
        .init(key: "cache.max_object_bytes", kind: .bytes, default: "1MiB",
              help: "Largest single cached response.",
              flag: "cache-max-object-bytes"),
        .init(key: "cache.statuses", kind: .intList, default: "200", defaultDescription: "[200]",
              help: "Upstream HTTP statuses that may be cached.",
              flag: "cache-statuses"),
        .init(key: "cache.stale_if_error", kind: .seconds, default: "0",
              help: "Serve a stale entry up to this many seconds past expiry when upstream fails.",
              flag: "cache-stale-if-error"),

        // MARK: Rate limiting
        .init(key: "rate_limit.rate", kind: .rate, default: nil,
              help: "Upstream request budget (10/s, 600/m, 3600/h, 5 = per second; none = unlimited).",
              flag: "rate-limit"),
        .init(key: "rate_limit.burst", kind: .integer(minimum: 1), default: nil,
              defaultDescription: "max(1, ceil(rate))",
              help: "Token bucket size for rate_limit.rate.",
              flag: "burst"),
        .init(key: "rate_limit.wait_ms", kind: .integer(minimum: 0), default: "0",
              help: "Milliseconds a request may wait for a token before 429 (0 = reject at once).",
              flag: "rate-limit-wait"),
        .init(key: "rate_limit.client_rate", kind: .rate, default: nil,
              help: "Per-client request budget (none = unlimited).",
              flag: "client-rate-limit"),
        .init(key: "rate_limit.client_burst", kind: .integer(minimum: 1), default: nil,
              defaultDescription: "max(1, ceil(client_rate))",
              help: "Token bucket size for rate_limit.client_rate.",
              flag: "client-burst"),
        .init(key: "rate_limit.max_clients", kind: .integer(minimum: 1), default: "10000",
              help: "Most clients tracked by the per-client limiter.",
              flag: "rate-limit-max-clients"),
        .init(key: "rate_limit.classes", kind: .rateClasses, default: nil, defaultDescription: "{}",
              help: "Named budgets for routes: {name: {rate, burst}} (file only).",
              flag: nil),

        // MARK: Readiness
        .init(key: "readiness.upstream_window", kind: .seconds, default: "30",
              help: "Upstream counts as reachable if it answered within this many seconds.",
              flag: "readiness-window"),

        // MARK: Routes
        .init(key: "routes", kind: .routes, default: nil,
              defaultDescription: "one route: w3ipfs at / to upstream",
              help: "Prefix → upstream routes with credentials, cache and rate class (file only).",
              flag: nil),
    ]

    /// Descriptors by dotted key.
    public static let byKey: [String: SettingDescriptor] =
        Dictionary(uniqueKeysWithValues: all.map { ($0.key, $0) })

    /// Descriptors by environment variable name.
    public static let byEnvironmentVariable: [String: SettingDescriptor] =
        Dictionary(uniqueKeysWithValues: all.compactMap { d in d.environmentVariable.map { ($0, d) } })

    /// Environment variables starting with `PINGATE_` that are not settings
    /// but are used elsewhere (passphrases, config file); never warned about.
    public static let reservedEnvironmentVariables: Set<String> = [
        "PINGATE_PASSPHRASE", "PINGATE_NEW_PASSPHRASE", "PINGATE_CONFIG",
    ]

    /// Looks up a descriptor by flag name (with or without leading `--`), by
    /// its inverted form (`no-cache`; second element `true`) or by dotted key.
    public static func descriptor(forFlag name: String) -> (descriptor: SettingDescriptor, inverted: Bool)? {
        let bare = name.hasPrefix("--") ? String(name.dropFirst(2)) : name
        if let d = flagIndex[bare] { return (d, false) }
        if let d = invertedFlagIndex[bare] { return (d, true) }
        if let d = byKey[bare], !d.kind.isFileOnly { return (d, false) }
        return nil
    }

    /// Help text for `pingate serve --help` / docs: one entry per setting with
    /// its flag(s), env var, default and file key.
    public static func helpText() -> String {
        all.map { d in
            var head: [String] = []
            if let flag = d.flagSpelling {
                head.append(d.kind == .bool ? flag : "\(flag) \(d.kind.valueName)")
            }
            if let inverted = d.invertedFlag { head.append("--\(inverted)") }
            if head.isEmpty { head.append("(file only)") }
            var line = "  " + head.joined(separator: ", ") + "\n      " + d.help
            if d.repeatable { line += " Repeatable." }
            line += "\n      key: \(d.key); default: \(d.defaultDescription)"
            if let env = d.environmentVariable { line += "; env: \(env)" }
            return line
        }.joined(separator: "\n")
    }

    private static let flagIndex: [String: SettingDescriptor] =
        Dictionary(uniqueKeysWithValues: all.compactMap { d in d.flag.map { ($0, d) } })

    private static let invertedFlagIndex: [String: SettingDescriptor] =
        Dictionary(uniqueKeysWithValues: all.compactMap { d in d.invertedFlag.map { ($0, d) } })
}
