import PingateCore

extension PingateSettings {
    /// The effective configuration as YAML, every key followed by a comment
    /// naming its source (`# default`, `# file:12`, `# env PINGATE_CACHE_TTL`,
    /// `# flag --cache-ttl`). Values of secret-looking keys are masked (see
    /// ``SecretMasking``); the output can be loaded again by ``SettingsLoader``.
    public func effectiveDescription() -> String {
        var lines: [String] = ["# pingate effective configuration"
            + (configFile.map { " (file: \($0))" } ?? " (no config file)")]
        var openSection: String?
        for descriptor in SettingsCatalog.all {
            let parts = descriptor.key.split(separator: ".", maxSplits: 1).map(String.init)
            let section = parts.count == 2 ? parts[0] : nil
            let name = parts.last!
            if section != openSection {
                if let section { lines.append("\(section):") }
                openSection = section
            }
            let indent = section == nil ? "" : "  "
            var comment = "  # " + source(of: descriptor.key).comment
            if case .integer = descriptor.kind, descriptor.defaultText == nil,
               source(of: descriptor.key) == .defaultValue {
                comment += " = " + descriptor.defaultDescription // derived, e.g. max(1, ceil(rate))
            }
            switch descriptor.key {
            case "routes":
                lines.append("\(indent)\(name):\(comment)")
                lines += renderRoutes().map { indent + "  " + $0 }
            case "rate_limit.classes" where !rateLimit.classes.isEmpty:
                lines.append("\(indent)\(name):\(comment)")
                for rateClass in rateLimit.classes.values.sorted(by: { $0.name < $1.name }) {
                    lines.append("\(indent)  \(rateClass.name): {rate: \(Self.yamlString(rateClass.rate.text)), burst: \(rateClass.burst)}  # \(rateClass.source.comment)")
                }
            default:
                let value = SecretMasking.isSensitive(key: descriptor.key)
                    ? Self.yamlString(SecretMasking.mask)
                    : renderValue(descriptor.key)
                lines.append("\(indent)\(name): \(value)\(comment)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func renderRoutes() -> [String] {
        var out: [String] = []
        for route in routes {
            out.append("- name: \(Self.yamlString(route.name))  # \(route.source.comment)")
            out.append("  prefix: \(Self.yamlString(route.prefix))")
            out.append("  upstream: \(Self.yamlString(route.upstream.absoluteString))")
            // Values are vault entry *names*, never secrets.
            let credentials = route.credentials
                .map { "\(Self.yamlString($0.header)): \(Self.yamlString($0.entry))" }
                .joined(separator: ", ")
            out.append("  credentials: {\(credentials)}")
            out.append("  cache: \(route.cache)")
            switch route.invalidationScope {
            case .depth(let n): out.append("  invalidation_scope: \(n)")
            case .prefix(let p): out.append("  invalidation_scope: \(Self.yamlString(p))")
            }
            out.append("  rate_class: \(route.rateClass.map(Self.yamlString) ?? "null")")
        }
        return out
    }

    /// Renders one scalar or list setting; `nil`-valued settings render as `null`.
    func renderValue(_ key: String) -> String {
        switch key {
        case "listen": return Self.yamlString(listen.description)
        case "unix_socket": return Self.optional(unixSocket)
        case "unix_socket_mode": return Self.yamlString("0" + String(unixSocketMode, radix: 8))
        case "allowed_uids": return "[" + allowedUIDs.map(String.init).joined(separator: ", ") + "]"
        case "vault": return Self.optional(vault)
        case "passphrase_file": return Self.optional(passphraseFile)
        case "upstream": return Self.yamlString(upstream.absoluteString)
        case "allow_remote": return String(allowRemote)
        case "access_token_file": return Self.optional(accessTokenFile)
        case "allowed_hosts": return Self.list(allowedHosts)
        case "allowed_origins": return Self.list(allowedOrigins)
        case "log.level": return log.level.rawValue
        case "log.format": return log.format.rawValue
        case "access_log": return String(accessLog)
        case "timeouts.connect": return Self.seconds(timeouts.connect)
        case "timeouts.read": return Self.seconds(timeouts.read)
        case "timeouts.drain": return Self.seconds(timeouts.drain)
        case "timeouts.header": return Self.seconds(timeouts.header)
        case "timeouts.idle": return Self.seconds(timeouts.idle)
        case "limits.max_body_bytes": return Self.bytes(limits.maxBodyBytes)
        case "limits.max_connections": return String(limits.maxConnections)
        case "limits.max_header_bytes": return Self.bytes(limits.maxHeaderBytes)
        case "limits.max_headers": return String(limits.maxHeaders)
        case "limits.max_request_line": return Self.bytes(limits.maxRequestLine)
        case "cache.enabled": return String(cache.enabled)
        case "cache.ttl": return Self.seconds(cache.ttl)
        case "cache.ttl_pending": return Self.seconds(cache.ttlPending)
        case "cache.status_aware": return String(cache.statusAware)
        case "cache.max_bytes": return Self.bytes(cache.maxBytes)
        case "cache.max_object_bytes": return Self.bytes(cache.maxObjectBytes)
        case "cache.statuses": return "[" + cache.statuses.map(String.init).joined(separator: ", ") + "]"
        case "cache.stale_if_error": return Self.seconds(cache.staleIfError)
        case "rate_limit.rate": return rateLimit.rate.map { Self.yamlString($0.text) } ?? "none"
        case "rate_limit.burst": return String(rateLimit.burst)
        case "rate_limit.wait_ms": return String(rateLimit.waitMilliseconds)
        case "rate_limit.client_rate": return rateLimit.clientRate.map { Self.yamlString($0.text) } ?? "none"
        case "rate_limit.client_burst": return String(rateLimit.clientBurst)
        case "rate_limit.max_clients": return String(rateLimit.maxClients)
        case "rate_limit.classes": return "{}"
        case "readiness.upstream_window": return Self.seconds(readiness.upstreamWindow)
        default: return "null" // routes are rendered separately; unknown keys cannot occur
        }
    }

    // MARK: Formatting helpers

    /// A double-quoted YAML string (JSON escapes are valid YAML).
    static func yamlString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    static func optional(_ s: String?) -> String { s.map(yamlString) ?? "null" }

    static func list(_ items: [String]) -> String {
        "[" + items.map(yamlString).joined(separator: ", ") + "]"
    }

    static func seconds(_ d: Duration) -> String {
        let (secs, atto) = d.components
        if atto == 0 { return String(secs) }
        let value = Double(secs) + Double(atto) / 1e18
        return String(value)
    }

    static func bytes(_ n: Int) -> String {
        if n == 0 { return "0" }
        for (unit, size) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where n % size == 0 {
            return "\(n / size)\(unit)"
        }
        return String(n)
    }
}
