import Testing
import PingateConfig

@Suite("Upstream, connection and cache lifetime settings", .timeLimit(.minutes(1)))
struct UpstreamSettingsTests {
    @Test func upstreamIsAScalarOrAMapping() throws {
        let scalar = try load("upstream: https://x.example\n")
        let mapping = try load("""
        upstream:
          url: https://x.example
          breaker: {failures: 0, open_s: 2.5}
          keepalive_idle_s: 3
        """)
        #expect(scalar.upstream == mapping.upstream)
        #expect(mapping.source(of: "upstream") == .file(path: "pingate.yaml", line: 2))
        #expect(mapping.breaker.failures == 0 && !mapping.breaker.isEnabled)
        #expect(mapping.breaker.openTime == .milliseconds(2500))
        #expect(mapping.upstreamKeepAliveIdle == .seconds(3))
        let flat = try load("upstream.url: https://x.example\nupstream.breaker.failures: 9\n")
        #expect(flat.upstream == scalar.upstream && flat.breaker.failures == 9)
        #expect(loadErrors("upstream: https://x.example\nupstream.url: https://y.example\n").map(\.description)
                == ["pingate.yaml:2: upstream: set more than once in this file"])
        #expect(loadErrors("upstream:\n  breaker:\n    failrues: 3\n").map(\.description)
                == ["pingate.yaml:3: unknown key 'upstream.breaker.failrues' (did you mean 'upstream.breaker.failures'?)"])
    }

    @Test func flagsAndEnvironment() throws {
        let s = try load("upstream: {breaker: {failures: 2}}\n",
                         env: ["PINGATE_UPSTREAM_BREAKER_FAILURES": "4", "PINGATE_LIMITS_UPSTREAM_CONNECTIONS": "16",
                               "PINGATE_UPSTREAM_CA_FILE": "/etc/pingate/roots.pem"],
                         flags: ["breaker-open-s": "9", "upstream-keepalive-idle-s": "1", "cache-max-ttl": "1h",
                                 "cache-stale-while-revalidate": "15"])
        #expect(s.breaker.failures == 4)
        #expect(s.source(of: "upstream.breaker.failures") == .environment(variable: "PINGATE_UPSTREAM_BREAKER_FAILURES"))
        #expect(s.breaker.openTime == .seconds(9) && s.upstreamKeepAliveIdle == .seconds(1))
        #expect(s.limits.upstreamConnections == 16)
        #expect(s.upstreamCAFile == "/etc/pingate/roots.pem")
        #expect(s.cache.maxTTL == .seconds(3600) && s.cache.staleWhileRevalidate == .seconds(15))
        let defaults = try load(nil)
        #expect(defaults.breaker.failures == 5 && defaults.breaker.openTime == .seconds(5))
        #expect(defaults.upstreamKeepAliveIdle == .seconds(4) && defaults.limits.upstreamConnections == 128)
        #expect(defaults.cache.maxTTL == .seconds(86_400) && defaults.cache.staleWhileRevalidate == .zero)
        #expect(loadErrors(nil, flags: ["upstream-connections": "0"]).map(\.description)
                == [#"flag --upstream-connections: limits.upstream_connections: expected an integer ≥ 1, got "0""#])
    }

    @Test func objectCapFollowsASmallCache() throws {
        let small = try load(nil, flags: ["cache-max-bytes": "256KiB"])
        #expect(small.cache.maxObjectBytes == 256 << 10)
        #expect(small.effectiveDescription().contains("max_object_bytes: 256KiB  # default = min(1MiB, cache.max_bytes)"))
        #expect(try load(nil).cache.maxObjectBytes == 1 << 20)
        #expect(try load(nil, flags: ["cache-max-bytes": "256KiB", "cache-max-object-bytes": "100KiB"]).cache.maxObjectBytes == 100 << 10)
        #expect(loadErrors(nil, flags: ["cache-max-bytes": "256KiB", "cache-max-object-bytes": "1MiB"]).map(\.description)
                == ["flag --cache-max-object-bytes: cache.max_object_bytes: cache.max_object_bytes (1048576) must not exceed cache.max_bytes (262144)"])
    }

    @Test func renderedUpstreamSectionLoadsAgain() throws {
        let first = try load("upstream: {url: \"http://127.0.0.1:9\", breaker: {open_s: 0.5}}\n")
        let text = first.effectiveDescription()
        #expect(text.contains("upstream:\n  url: \"http://127.0.0.1:9\"  # file:1\n  breaker:\n    failures: 5  # default\n"))
        let second = try load(text)
        #expect(second.upstream == first.upstream && second.breaker == first.breaker)
    }
}
