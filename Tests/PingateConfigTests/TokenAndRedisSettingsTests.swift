import Testing
import PingateConfig
import PingateCore

@Suite("Client token and shared-state settings", .timeLimit(.minutes(1)))
struct TokenAndRedisSettingsTests {
    @Test func requireTokenFollowsAllowRemoteUnlessSet() throws {
        #expect(try load(nil).auth.requireToken == nil)
        #expect(try load(nil).requiresToken == false)
        #expect(try load(nil, flags: ["allow-remote": "true"]).requiresToken)
        #expect(try load(nil, flags: ["access-token-file": "/run/pingate/token"]).requiresToken, "the token file's tokens were always required")
        #expect(try load(nil, flags: ["access-token-file": "/run/pingate/token", "no-require-token": ""]).requiresToken == false)
        #expect(try load(nil, flags: ["allow-remote": "true", "no-require-token": ""]).requiresToken == false)
        #expect(try load(nil, env: ["PINGATE_AUTH_REQUIRE_TOKEN": "yes"]).requiresToken)
        #expect(try load("auth: {require_token: true}\n").auth.requireToken == true)
    }

    @Test func profilesMapHeadersToVaultEntries() throws {
        let s = try load("profiles:\n  readonly: {pinning_api_key: ro.key, pinning_secret_key: ro.secret}\n")
        #expect(s.profiles == ["readonly": [CredentialMapping(header: "pinning_api_key", entry: "ro.key"),
                                            CredentialMapping(header: "pinning_secret_key", entry: "ro.secret")]])
        #expect(s.source(of: "profiles") == .file(path: "pingate.yaml", line: 1))
        #expect(try load(s.effectiveDescription()).profiles == s.profiles)
        #expect(loadErrors("profiles:\n  \"bad name\": {x: y}\n  ok: {host: a, k: \"no way\"}\n").map(\.description) == [
            "pingate.yaml:2: profiles.bad name: names may only use letters, digits, '_', '-' and '.' (at most 64)",
            "pingate.yaml:3: profiles.ok.host: header 'host' is managed by pingate and cannot be injected",
            #"pingate.yaml:3: profiles.ok.k: expected a vault entry name, got "no way""#,
        ])
    }

    @Test func redisSettings() throws {
        let defaults = try load(nil)
        #expect(defaults.redis.url == nil && defaults.redis.prefix == "pingate:")
        #expect(defaults.redis.timeout == .milliseconds(50) && defaults.redis.onFailure == .local)
        #expect(defaults.redis.passwordEntry == nil && defaults.redis.expectedInstances == 1)
        let s = try load("redis: {prefix: \"pg:\", timeout_ms: 20, on_failure: refuse, password_entry: redis.pass}\n",
                         env: ["PINGATE_REDIS_URL": "unix:///run/redis/redis.sock"], flags: ["redis-expected-instances": "3"])
        #expect(s.redis.url?.path == "/run/redis/redis.sock")
        #expect(s.redis.prefix == "pg:" && s.redis.timeout == .milliseconds(20) && s.redis.onFailure == .refuse)
        #expect(s.redis.passwordEntry == "redis.pass" && s.redis.expectedInstances == 3)
        #expect(try load(nil, flags: ["redis": "redis://127.0.0.1:6379/1"]).redis.url?.port == 6379)
        for bad in ["http://x:1", "redis://nohost", "redis://h:1/x", "unix://host/path"] {
            #expect(loadErrors(nil, flags: ["redis": bad]).first?.key == "redis.url", "\(bad)")
        }
        #expect(loadErrors(nil, flags: ["redis-on-failure": "panic"]).map(\.description)
                == [#"flag --redis-on-failure: redis.on_failure: expected one of local|refuse, got "panic""#])
    }

    @Test func redisPasswordIsNeverShown() throws {
        let canary = "CANARY-\(UInt64.random(in: 0...UInt64.max))"
        let s = try load("redis:\n  url: \"redis://app:\(canary)@127.0.0.1:6379/0\"\n")
        #expect(s.redis.url?.password == canary)
        #expect(!s.effectiveDescription().contains(canary))
        #expect(s.effectiveDescription().contains("url: \"redis://app:********@127.0.0.1:6379/0\"  # file:2"))
        let errors = loadErrors(nil, env: ["PINGATE_REDIS_URL": "redis://app:\(canary)@127.0.0.1/0"])
        #expect(errors.count == 1)
        #expect(!errors.map(\.description).joined().contains(canary))
    }
}
