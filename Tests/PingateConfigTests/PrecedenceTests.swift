import Testing
import PingateConfig
import PingateCore

@Suite("Layer precedence: flag > env > file > default", .timeLimit(.minutes(1)))
struct PrecedenceTests {
    let file = """
    listen: "127.0.0.1:9000"
    cache:
      ttl: 45
      enabled: false
    log:
      level: debug
    rate_limit:
      rate: "600/m"
    allowed_uids: [1000, 1001]
    """

    @Test func defaultsWhenNothingIsGiven() throws {
        let s = try load(nil)
        #expect(s.listen == ListenAddress(host: "127.0.0.1", port: 8787))
        #expect(s.cache.ttl == .seconds(30))
        #expect(s.cache.maxBytes == 64 << 20)
        #expect(s.cache.maxObjectBytes == 1 << 20)
        #expect(s.cache.statuses == [200])
        #expect(s.upstream.absoluteString == "https://api.w3ipfs.storage")
        #expect(s.unixSocketMode == 0o600)
        #expect(s.rateLimit.rate == nil)
        #expect(s.rateLimit.burst == 1)
        #expect(s.log.level == .info && s.log.format == .json)
        #expect(s.source(of: "cache.ttl") == .defaultValue)
        #expect(s.configFile == nil)
    }

    @Test func catalogDefaultsMatchStructDefaults() throws {
        var loaded = try load(nil)
        loaded.sources = [:]
        #expect(loaded == PingateSettings())
    }

    @Test func fileOverridesDefault() throws {
        let s = try load(file)
        #expect(s.listen.port == 9000)
        #expect(s.cache.ttl == .seconds(45))
        #expect(s.cache.enabled == false)
        #expect(s.log.level == .debug)
        #expect(s.allowedUIDs == [1000, 1001])
        #expect(s.source(of: "cache.ttl") == .file(path: "pingate.yaml", line: 3))
        #expect(s.source(of: "timeouts.read") == .defaultValue)
        #expect(s.configFile == "pingate.yaml")
    }

    @Test func envOverridesFile() throws {
        let s = try load(file, env: [
            "PINGATE_CACHE_TTL": "50",
            "PINGATE_LOG_LEVEL": "warning",
            "PINGATE_ALLOWED_UIDS": "7, 8",
            "PINGATE_CACHE_ENABLED": "yes",
        ])
        #expect(s.cache.ttl == .seconds(50))
        #expect(s.log.level == .warning)
        #expect(s.allowedUIDs == [7, 8])
        #expect(s.cache.enabled)
        #expect(s.listen.port == 9000) // file still wins where env is silent
        #expect(s.source(of: "cache.ttl") == .environment(variable: "PINGATE_CACHE_TTL"))
    }

    @Test func flagOverridesEnvAndFile() throws {
        let s = try load(file,
                         env: ["PINGATE_CACHE_TTL": "50", "PINGATE_LISTEN": "127.0.0.1:9100", "PINGATE_CACHE_ENABLED": "true"],
                         flags: ["cache-ttl": "60", "--listen": "[::1]:9200", "no-cache": "", "allow-uid": "1,2,3"])
        #expect(s.cache.ttl == .seconds(60))
        #expect(s.listen == ListenAddress(host: "::1", port: 9200))
        #expect(s.cache.enabled == false)
        #expect(s.allowedUIDs == [1, 2, 3])
        #expect(s.source(of: "cache.ttl") == .flag(name: "--cache-ttl"))
        #expect(s.source(of: "cache.enabled") == .flag(name: "--no-cache"))
        #expect(s.source(of: "listen") == .flag(name: "--listen"))
        #expect(s.log.level == .debug) // from file
    }

    @Test func flagsMayUseDottedKeys() throws {
        let s = try load(nil, flags: ["cache.ttl": "5m", "cache": "false"])
        #expect(s.cache.ttl == .seconds(300))
        #expect(s.cache.enabled == false)
        #expect(s.source(of: "cache.ttl") == .flag(name: "--cache-ttl"))
    }

    @Test func burstDefaultsFromRateUnlessSet() throws {
        #expect(try load(file).rateLimit.burst == 10) // 600/m = 10/s
        #expect(try load(file, flags: ["burst": "3"]).rateLimit.burst == 3)
        #expect(try load(nil, env: ["PINGATE_RATE_LIMIT_RATE": "2.5"]).rateLimit.burst == 3)
        #expect(try load(nil, env: ["PINGATE_RATE_LIMIT_RATE": "1/h"]).rateLimit.burst == 1)
        #expect(try load(nil, flags: ["client-rate-limit": "20/s"]).rateLimit.clientBurst == 20)
    }

    @Test func flagCanUnsetARateFromTheFile() throws {
        let s = try load(file, flags: ["rate-limit": "none"])
        #expect(s.rateLimit.rate == nil)
    }

    @Test func reservedEnvIgnoredAndUnknownEnvWarned() throws {
        let s = try load(nil, env: [
            "PINGATE_PASSPHRASE": "x", "PINGATE_NEW_PASSPHRASE": "y", "PINGATE_CONFIG": "/etc/p.yaml",
            "PINGATE_VAULT": "/var/lib/pingate/vault", "PINGATE_CACHE_TLL": "3", "HOME": "/root",
        ])
        #expect(s.vault == "/var/lib/pingate/vault")
        #expect(s.unknownEnvironmentVariables == ["PINGATE_CACHE_TLL"])
        #expect(s.warnings == ["ignoring unknown environment variable PINGATE_CACHE_TLL (did you mean PINGATE_CACHE_TTL?)"])
    }

    @Test func unknownFlagIsAnError() {
        let errors = loadErrors(nil, flags: ["cache-tll": "3"])
        #expect(errors.map(\.description) == ["flag --cache-tll: unknown flag '--cache-tll' (did you mean '--cache-ttl'?)"])
        #expect(errors.first?.kind == .unknownFlag)
    }

    @Test func badEnvAndFlagValuesNameTheirSource() {
        let errors = loadErrors(nil, env: ["PINGATE_CACHE_TTL": "soon"], flags: ["max-body-bytes": "lots"])
        #expect(errors.map(\.description) == [
            #"env PINGATE_CACHE_TTL: cache.ttl: expected seconds (a number ≥ 0), got "soon""#,
            #"flag --max-body-bytes: limits.max_body_bytes: expected a byte size (an integer ≥ 0, optionally with KiB/MiB/GiB or k/M/G), got "lots""#,
        ])
    }

    @Test func flatDottedKeysInTheFile() throws {
        let s = try load("cache.ttl: 7\nlog.format: text\n")
        #expect(s.cache.ttl == .seconds(7))
        #expect(s.log.format == .text)
        let dup = loadErrors("cache.ttl: 7\ncache:\n  ttl: 8\n")
        #expect(dup.map(\.description) == ["pingate.yaml:3: cache.ttl: set more than once in this file"])
    }
}
