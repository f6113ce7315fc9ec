import Testing
import PingateConfig

@Suite("SettingsCatalog")
struct CatalogTests {
    @Test func namesAreUniqueAndDerived() {
        let keys = SettingsCatalog.all.map(\.key)
        #expect(Set(keys).count == keys.count)
        let flags = SettingsCatalog.all.compactMap(\.flag) + SettingsCatalog.all.compactMap(\.invertedFlag)
        #expect(Set(flags).count == flags.count)
        #expect(SettingsCatalog.byKey["cache.ttl"]?.environmentVariable == "PINGATE_CACHE_TTL")
        #expect(SettingsCatalog.byKey["rate_limit.wait_ms"]?.environmentVariable == "PINGATE_RATE_LIMIT_WAIT_MS")
        #expect(SettingsCatalog.byKey["vault"]?.environmentVariable == "PINGATE_VAULT")
        #expect(SettingsCatalog.byKey["routes"]?.environmentVariable == nil)
        #expect(SettingsCatalog.byKey["routes"]?.flag == nil)
    }

    @Test func everyFlagResolvesToItsOwnSetting() {
        for d in SettingsCatalog.all {
            if let flag = d.flag {
                #expect(SettingsCatalog.descriptor(forFlag: "--" + flag)?.descriptor.key == d.key)
                #expect(SettingsCatalog.descriptor(forFlag: flag)?.inverted == false)
            }
            if let inverted = d.invertedFlag {
                #expect(SettingsCatalog.descriptor(forFlag: inverted)?.descriptor.key == d.key)
                #expect(SettingsCatalog.descriptor(forFlag: inverted)?.inverted == true)
            }
            if !d.kind.isFileOnly {
                #expect(SettingsCatalog.descriptor(forFlag: d.key)?.descriptor.key == d.key)
            }
        }
    }

    @Test func requiredFlagNames() {
        let expected: [String: String] = [
            "listen": "listen", "unix_socket": "unix-socket", "unix_socket_mode": "unix-socket-mode",
            "allowed_uids": "allow-uid", "vault": "vault", "passphrase_file": "passphrase-file",
            "upstream": "upstream", "allow_remote": "allow-remote", "access_token_file": "access-token-file",
            "allowed_hosts": "allow-host", "allowed_origins": "allow-origin", "log.level": "log-level",
            "log.format": "log-format", "access_log": "access-log", "timeouts.connect": "connect-timeout",
            "timeouts.read": "read-timeout", "timeouts.drain": "drain-timeout", "timeouts.header": "header-timeout",
            "timeouts.idle": "idle-timeout", "limits.max_body_bytes": "max-body-bytes",
            "limits.max_connections": "max-connections", "limits.max_header_bytes": "max-header-bytes",
            "limits.max_headers": "max-headers", "limits.max_request_line": "max-request-line",
            "cache.enabled": "cache", "cache.ttl": "cache-ttl", "cache.ttl_pending": "cache-ttl-pending",
            "cache.max_bytes": "cache-max-bytes", "cache.max_object_bytes": "cache-max-object-bytes",
            "rate_limit.rate": "rate-limit", "rate_limit.burst": "burst", "rate_limit.wait_ms": "rate-limit-wait",
            "rate_limit.client_rate": "client-rate-limit", "rate_limit.client_burst": "client-burst",
        ]
        for (key, flag) in expected {
            #expect(SettingsCatalog.byKey[key]?.flag == flag, "\(key)")
        }
        #expect(SettingsCatalog.byKey["cache.enabled"]?.invertedFlag == "no-cache")
    }

    @Test func everyDefaultParsesAndEverySettingRenders() throws {
        let s = PingateSettings()
        for d in SettingsCatalog.all where !d.kind.isFileOnly {
            // Each catalog default must load on its own through the flag layer too.
            if let text = d.defaultText, let flag = d.flag {
                #expect(throws: Never.self) { try load(nil, flags: [flag: text]) }
            }
            #expect(s.effectiveDescription().contains(d.key.split(separator: ".").last! + ":"))
        }
    }

    @Test func helpTextListsEveryFlagAndEnvVar() {
        let help = SettingsCatalog.helpText()
        for d in SettingsCatalog.all {
            if let flag = d.flagSpelling { #expect(help.contains(flag)) }
            if let env = d.environmentVariable { #expect(help.contains(env)) }
        }
        #expect(help.contains("--cache, --no-cache"))
        #expect(help.contains("--cache-ttl <seconds>"))
    }
}
