import PingateCore

/// Converts merged raw entries (one per catalog key) into typed settings,
/// collecting every conversion error.
struct SettingsBuilder {
    let entries: [String: RawEntry]
    var errors: [ConfigError] = []

    init(entries: [String: RawEntry]) {
        self.entries = entries
    }

    /// Runs `body` with the converter for `key`; records the error(s) on failure.
    private mutating func with(_ key: String, _ body: (ValueConverter) throws -> Void) {
        guard let entry = entries[key] else { return }
        do {
            try body(ValueConverter(key: key, entry: entry))
        } catch let error as ConfigError {
            errors.append(error)
        } catch let error as ConfigErrors {
            errors += error.errors
        } catch {
            errors.append(ConfigError(kind: .invalidValue, key: key, source: entry.source, message: "\(error)"))
        }
    }

    private func isExplicit(_ key: String) -> Bool {
        entries[key].map { $0.source != .defaultValue } ?? false
    }

    mutating func build() -> PingateSettings {
        var s = PingateSettings()
        for (key, entry) in entries { s.sources[key] = entry.source }

        with("listen") { s.listen = try $0.hostPort() }
        with("unix_socket") { s.unixSocket = try $0.optionalPath() }
        with("unix_socket_mode") { s.unixSocketMode = try $0.fileMode() }
        with("allowed_uids") { s.allowedUIDs = try $0.list("a numeric user id") { UInt32($0) } }
        with("vault") { s.vault = try $0.optionalPath() }
        with("passphrase_file") { s.passphraseFile = try $0.optionalPath() }
        with("upstream") { s.upstream = try $0.url() }
        with("allow_remote") { s.allowRemote = try $0.bool() }
        with("access_token_file") { s.accessTokenFile = try $0.optionalPath() }
        with("allowed_hosts") { s.allowedHosts = try $0.list("a host name", Self.hostName) }
        with("allowed_origins") {
            s.allowedOrigins = try $0.list("an origin like https://app.example.com or *", Self.origin)
        }

        with("log.level") { s.log.level = try $0.enumeration(LogLevel.self) }
        with("log.format") { s.log.format = try $0.enumeration(LogFormat.self) }
        with("access_log") { s.accessLog = try $0.bool() }

        with("timeouts.connect") { s.timeouts.connect = try $0.seconds() }
        with("timeouts.read") { s.timeouts.read = try $0.seconds() }
        with("timeouts.drain") { s.timeouts.drain = try $0.seconds() }
        with("timeouts.header") { s.timeouts.header = try $0.seconds() }
        with("timeouts.idle") { s.timeouts.idle = try $0.seconds() }

        with("limits.max_body_bytes") { s.limits.maxBodyBytes = try $0.bytes() }
        with("limits.max_connections") { s.limits.maxConnections = try $0.integer(minimum: 1) }
        with("limits.max_header_bytes") { s.limits.maxHeaderBytes = try $0.bytes() }
        with("limits.max_headers") { s.limits.maxHeaders = try $0.integer(minimum: 1) }
        with("limits.max_request_line") { s.limits.maxRequestLine = try $0.bytes() }

        with("cache.enabled") { s.cache.enabled = try $0.bool() }
        with("cache.ttl") { s.cache.ttl = try $0.seconds() }
        with("cache.ttl_pending") { s.cache.ttlPending = try $0.seconds() }
        with("cache.status_aware") { s.cache.statusAware = try $0.bool() }
        with("cache.max_bytes") { s.cache.maxBytes = try $0.bytes() }
        with("cache.max_object_bytes") { s.cache.maxObjectBytes = try $0.bytes() }
        with("cache.statuses") {
            s.cache.statuses = try $0.list("an HTTP status code (100–599)") { Int($0).flatMap { (100...599).contains($0) ? $0 : nil } }
        }
        with("cache.stale_if_error") { s.cache.staleIfError = try $0.seconds() }

        with("rate_limit.rate") { s.rateLimit.rate = try $0.rate() }
        with("rate_limit.wait_ms") { s.rateLimit.waitMilliseconds = try $0.integer(minimum: 0) }
        with("rate_limit.client_rate") { s.rateLimit.clientRate = try $0.rate() }
        with("rate_limit.max_clients") { s.rateLimit.maxClients = try $0.integer(minimum: 1) }
        s.rateLimit.burst = s.rateLimit.rate?.defaultBurst ?? 1
        s.rateLimit.clientBurst = s.rateLimit.clientRate?.defaultBurst ?? 1
        if isExplicit("rate_limit.burst") {
            with("rate_limit.burst") { s.rateLimit.burst = try $0.integer(minimum: 1) }
        }
        if isExplicit("rate_limit.client_burst") {
            with("rate_limit.client_burst") { s.rateLimit.clientBurst = try $0.integer(minimum: 1) }
        }

        with("readiness.upstream_window") { s.readiness.upstreamWindow = try $0.seconds() }

        // Cross-field checks.
        if s.limits.maxRequestLine < 16 {
            errors.append(ConfigError(kind: .invalidValue, key: "limits.max_request_line",
                                      source: entries["limits.max_request_line"]?.source,
                                      message: "must be at least 16 bytes, got \(s.limits.maxRequestLine)"))
        }
        if s.limits.maxHeaderBytes < 256 {
            errors.append(ConfigError(kind: .invalidValue, key: "limits.max_header_bytes",
                                      source: entries["limits.max_header_bytes"]?.source,
                                      message: "must be at least 256 bytes, got \(s.limits.maxHeaderBytes)"))
        }
        if s.cache.maxObjectBytes > s.cache.maxBytes {
            let key = isExplicit("cache.max_object_bytes") ? "cache.max_object_bytes" : "cache.max_bytes"
            errors.append(ConfigError(kind: .invalidValue, key: key, source: entries[key]?.source,
                                      message: "cache.max_object_bytes (\(s.cache.maxObjectBytes)) must not exceed cache.max_bytes (\(s.cache.maxBytes))"))
        }
        return s
    }

    static func hostName(_ text: String) -> String? {
        guard !text.isEmpty, text.count <= 253,
              text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-.:[]*_".contains($0)) })
        else { return nil }
        return text.lowercased()
    }

    static func origin(_ text: String) -> String? {
        if text == "*" { return text }
        let lower = text.lowercased()
        for scheme in ["http://", "https://"] where lower.hasPrefix(scheme) {
            let rest = lower.dropFirst(scheme.count)
            guard !rest.isEmpty, !rest.contains("/"), hostName(String(rest)) != nil else { return nil }
            return lower
        }
        return nil
    }
}
