import Foundation
import Testing
import PingateConfig

@Suite("effectiveDescription")
struct DescriptionTests {
    @Test func showsEverySettingWithItsSource() throws {
        let yaml = """
        vault: /var/lib/pingate/vault
        cache:
          ttl: 45
        """
        let s = try load(yaml, env: ["PINGATE_CACHE_TTL_PENDING": "3"], flags: ["cache-max-bytes": "128MiB"])
        let text = s.effectiveDescription()
        #expect(text.contains(#"vault: "/var/lib/pingate/vault"  # file:1"#))
        #expect(text.contains("  ttl: 45  # file:3"))
        #expect(text.contains("  ttl_pending: 3  # env PINGATE_CACHE_TTL_PENDING"))
        #expect(text.contains("  max_bytes: 128MiB  # flag --cache-max-bytes"))
        #expect(text.contains(#"listen: "127.0.0.1:8787"  # default"#))
        #expect(text.contains("routes:  # default"))
        for descriptor in SettingsCatalog.all {
            let name = descriptor.key.split(separator: ".").last!
            #expect(text.contains("\(name):"), "missing \(descriptor.key)")
        }
    }

    @Test func roundTrips() throws {
        let yaml = """
        listen: "[::1]:9000"
        unix_socket_mode: "0640"
        allowed_uids: [1, 2]
        allowed_origins: ["https://a.example"]
        timeouts: {read: 1.5, connect: 250ms}
        cache: {max_object_bytes: 1000, statuses: [200, 404]}
        rate_limit:
          rate: 600/m
          client_rate: 2
          classes: {upload: {rate: 1/s, burst: 2}}
        routes:
          - {name: api, prefix: /api, upstream: "http://127.0.0.1:1", credentials: {X-Key: k}, invalidation_scope: /api/items, rate_class: upload, cache: false}
        """
        let first = try load(yaml)
        let second = try load(first.effectiveDescription())
        #expect(second.listen == first.listen)
        #expect(second.unixSocketMode == first.unixSocketMode)
        #expect(second.allowedUIDs == first.allowedUIDs)
        #expect(second.allowedOrigins == first.allowedOrigins)
        #expect(second.timeouts == first.timeouts)
        #expect(second.cache == first.cache)
        var firstLimits = first.rateLimit, secondLimits = second.rateLimit
        firstLimits.classes = [:]
        secondLimits.classes = [:]
        #expect(secondLimits == firstLimits)
        #expect(second.rateLimit.classes.mapValues { [$0.rate.text, String($0.burst)] } ==
                first.rateLimit.classes.mapValues { [$0.rate.text, String($0.burst)] })
        #expect(second.routes.map { [$0.name, $0.prefix, $0.upstream.absoluteString] } ==
                first.routes.map { [$0.name, $0.prefix, $0.upstream.absoluteString] })
        #expect(second.routes.map(\.credentials) == first.routes.map(\.credentials))
        #expect(second.routes.map(\.invalidationScope) == first.routes.map(\.invalidationScope))
        #expect(second.routes.map(\.rateClass) == first.routes.map(\.rateClass))
        #expect(second.routes.map(\.cache) == first.routes.map(\.cache))
    }

    @Test func containsNoSecretCanary() throws {
        let canary = "CANARY-\(UInt64.random(in: 0...UInt64.max))"
        let dir = try TemporaryDirectory(prefix: "pingate-config")
        let tokenFile = try dir.write(canary, to: "token")
        let configFile = try dir.write("access_token_file: \(tokenFile)\nallow_remote: true\n", to: "pingate.yaml")

        let s = try SettingsLoader.load(file: configFile,
                                        environment: ["PINGATE_PASSPHRASE": canary, "PINGATE_NEW_PASSPHRASE": canary],
                                        flags: [:])
        let text = s.effectiveDescription()
        #expect(!text.contains(canary))
        #expect(text.contains(tokenFile)) // the path is shown, the contents never read
        #expect(text.contains("# file:1"))
    }

    @Test func maskingRules() {
        #expect(SecretMasking.isSensitive(key: "upstream_token"))
        #expect(SecretMasking.isSensitive(key: "auth.client_secret"))
        #expect(SecretMasking.isSensitive(key: "api_key"))
        #expect(SecretMasking.isSensitive(key: "db.password"))
        #expect(!SecretMasking.isSensitive(key: "access_token_file"))
        #expect(!SecretMasking.isSensitive(key: "passphrase_file"))
        #expect(!SecretMasking.isSensitive(key: "cache.ttl"))
        // No catalog setting is masked today: secrets live in the vault.
        #expect(SettingsCatalog.all.filter { SecretMasking.isSensitive(key: $0.key) }.isEmpty)
    }
}
