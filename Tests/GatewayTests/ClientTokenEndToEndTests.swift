import AsyncHTTPClient
import FakeW3IPFS
import Foundation
import Gateway
import NIOCore
import PingateCore
import Synchronization
import Testing
import Vault

/// Client tokens through the real server and the fake upstream: rules, 401s, profiles, budgets, identity.
@Suite("Client tokens end to end", .timeLimit(.minutes(3)))
struct ClientTokenEndToEndTests {
    static let list = "/api/pinning/pins/?offset=0&limit=10"
    static let pinByHash = #"{"hash_to_pin":"Qmc1135ziMvmFG534i75E8HpJoLqzLzgKBxfjBV9cBsMAs","metadata":{"name":"n"}}"#
    static let created = Int64(Date().timeIntervalSince1970)
    static let profileKey = "CANARY-RO-KEY-51c0de", profileSecret = "CANARY-RO-SECRET-9a7b3f"

    /// A record for the vault and its token's text.
    static func issue(
        _ name: String, profile: String? = nil, rules: [String] = [], rate: String? = nil, burst: Int? = nil, expires: Int64? = nil
    ) throws -> (ClientToken, String) {
        let (record, token) = try ClientToken.issue(
            name: name, profile: profile, rules: rules, rate: rate, burst: burst, created: created, expires: expires
        )
        return (record, token.revealed)
    }

    static func readonlyProfile(_ configuration: inout GatewayConfiguration) {
        configuration.profiles = ["readonly": [CredentialMapping(header: "pinning_api_key", entry: "ro.key"),
                                               CredentialMapping(header: "pinning_secret_key", entry: "ro.secret")]]
    }

    static func fileTokens(_ token: String) -> @Sendable (inout GatewayConfiguration) -> Void {
        { $0.access = AccessPolicy(accessTokens: [Array(token.utf8)], requireToken: true) }
    }

    static func bearer(_ token: String) -> [(String, String)] { [("Authorization", "Bearer \(token)")] }

    static func pin(_ h: GatewayHarness, headers: [(String, String)]) async throws -> HTTPReply {
        try await h.send(.POST, "/api/pinning/pinByHash", headers: headers + [("Content-Type", "application/json")],
                         body: .bytes(ByteBuffer(string: pinByHash)))
    }

    /// No recorded upstream request carries a client token header or the token's text.
    static func expectNoTokenUpstream(_ h: GatewayHarness, tokens: [String]) {
        for request in h.upstream.requests {
            #expect(request.header("authorization") == nil)
            #expect(request.header("x-pingate-token") == nil)
            for token in tokens {
                #expect(!request.headers.contains { $0.value.contains(token) }, "a token reached the upstream")
            }
        }
    }

    @Test("a read-only token: GET served (miss, then hit), POST refused with 403 naming the token, never upstream")
    func readOnlyToken() async throws {
        let (reader, token) = try Self.issue("ci-reader", rules: ["GET,HEAD /api/pinning/"])
        try await GatewayHarness.run(vault: try TestVault.contents(tokens: [reader])) { h in
            h.upstream.resetLog()
            let miss = try await h.send(.GET, Self.list, headers: Self.bearer(token))
            #expect(miss.status == 200)
            #expect(miss.headers["cache-status"] == ["pingate; fwd=miss; stored"])
            let hit = try await h.send(.GET, Self.list, headers: [("X-Pingate-Token", token)])
            #expect(hit.status == 200)
            #expect(hit.headers["cache-status"] == ["pingate; hit"])
            #expect(h.upstream.requestCount == 1)

            let post = try await Self.pin(h, headers: Self.bearer(token))
            #expect(post.status == 403)
            #expect(post.json?["status"] as? String == "error")
            #expect(post.json?["error"] as? String == "forbidden")
            #expect(post.json?["message"] as? String == "token 'ci-reader' may not POST /api/pinning/pinByHash")
            #expect(!post.text.contains(token))
            #expect(try await h.send(.DELETE, "/api/pinning/unpin/x", headers: Self.bearer(token)).status == 403)
            #expect(try await h.send(.GET, "/_pingate/cache", headers: Self.bearer(token)).status == 403)
            #expect(h.upstream.requestCount == 1, "a refused request reached the upstream")
            #expect(h.upstream.requests.first?.header("pinning_api_key") == TestVault.apiKey)
            Self.expectNoTokenUpstream(h, tokens: [token])
        }
    }

    @Test("a cached answer is served to a token only within its rules")
    func hitsOnlyWithinRules() async throws {
        let (narrow, token) = try Self.issue("narrow", rules: ["GET /api/pinning/pinByHash"])
        try await GatewayHarness.run(vault: try TestVault.contents(tokens: [narrow])) { h in
            #expect(try await h.send(.GET, Self.list).status == 200)
            #expect(try await h.send(.GET, Self.list).headers["cache-status"] == ["pingate; hit"])
            let refused = try await h.send(.GET, Self.list, headers: Self.bearer(token))
            #expect(refused.status == 403)
            #expect(refused.headers["cache-status"].isEmpty)
            #expect(refused.json?["message"] as? String == "token 'narrow' may not GET /api/pinning/pins/")
        }
    }

    @Test("unknown, revoked (after a reload) and expired tokens get 401 with WWW-Authenticate and no upstream call")
    func unauthorized() async throws {
        let clock = ManualClock()
        let wallNow = Int64(clock.gatewayClock.wallClockSeconds())
        let (ci, ciToken) = try Self.issue("ci")
        let (brief, briefToken) = try Self.issue("brief", expires: wallNow + 60)
        try await GatewayHarness.run(clock: clock.gatewayClock, vault: try TestVault.contents(tokens: [ci, brief])) { h in
            h.upstream.resetLog()
            #expect(try await h.send(.GET, Self.list, headers: Self.bearer(ciToken)).status == 200)
            #expect(try await h.send(.GET, "/api/pinning/pins/?limit=3", headers: Self.bearer(briefToken)).status == 200)
            let calls = h.upstream.requestCount

            let unknown = try await h.send(.GET, Self.list, headers: Self.bearer("pgt_" + String(repeating: "A", count: 43)))
            #expect(unknown.status == 401)
            #expect(unknown.headers["www-authenticate"] == [#"Bearer realm="pingate""#])
            #expect(unknown.json?["status"] as? String == "error")
            #expect(unknown.json?["error"] as? String == "unauthorized")
            #expect(try await h.send(.GET, Self.list, headers: [("X-Pingate-Token", "nonsense")]).status == 401)
            #expect(try await h.send(.GET, Self.list, headers: [("X-Pingate-Token", ciToken), ("Authorization", "Bearer \(briefToken)")]).status == 401,
                    "two different tokens")
            #expect(try await Self.pin(h, headers: Self.bearer(ciToken + "x")).status == 401)

            clock.advance(by: .seconds(61))
            #expect(try await h.send(.GET, "/api/pinning/pins/?limit=4", headers: Self.bearer(briefToken)).status == 401, "expired")
            #expect(try await h.send(.GET, "/api/pinning/pins/?limit=4", headers: Self.bearer(ciToken)).status == 200)

            try h.reloadVault(try TestVault.contents(tokens: [brief]))
            let revoked = try await h.send(.GET, "/api/pinning/pins/?limit=5", headers: Self.bearer(ciToken))
            #expect(revoked.status == 401)
            #expect(revoked.headers["www-authenticate"] == [#"Bearer realm="pingate""#])
            #expect(h.upstream.requestCount == calls + 1, "only the valid request went upstream")
            // Without a token, and none required: today's behaviour.
            #expect(try await h.send(.GET, "/api/pinning/pins/?limit=6").status == 200)
        }
    }

    @Test("Authorization: Bearer is read as a client token only once pingate has one; before, it is a tool's own credential, dropped")
    func bearerBeforeAnyToken() async throws {
        try await GatewayHarness.run(vault: try TestVault.contents()) { h in
            h.upstream.resetLog()
            #expect(try await h.send(.GET, Self.list, headers: Self.bearer("tool-credential")).status == 200)
            #expect(h.upstream.requests.last?.header("authorization") == nil)
            #expect(h.upstream.requests.last?.header("pinning_api_key") == TestVault.apiKey)
            // X-Pingate-Token is pingate's own: a token that cannot be matched is refused, never ignored.
            #expect(try await h.send(.GET, Self.list, headers: [("X-Pingate-Token", "tool-credential")]).status == 401)

            let (ci, _) = try Self.issue("ci")
            try h.reloadVault(try TestVault.contents(tokens: [ci]))
            let refused = try await h.send(.GET, "/api/pinning/pins/?limit=2", headers: Self.bearer("tool-credential"))
            #expect(refused.status == 401)
            #expect(refused.json?["error"] as? String == "unauthorized")
            #expect(h.upstream.requestCount == 1)
        }
    }

    @Test("require_token: no token → 401; health probes stay open; admin endpoints follow the token's rules")
    func requireToken() async throws {
        let (reader, readerToken) = try Self.issue("reader", rules: ["GET,HEAD /api/pinning/"])
        let (ops, opsToken) = try Self.issue("ops", rules: ["GET /_pingate/", "POST /_pingate/cache/purge"])
        try await GatewayHarness.run(vault: try TestVault.contents(tokens: [reader, ops]), configure: { $0.access.requireToken = true }) { h in
            h.upstream.resetLog()
            let missing = try await h.send(.GET, Self.list)
            #expect(missing.status == 401)
            #expect(missing.json?["error"] as? String == "unauthorized")
            #expect(missing.headers["www-authenticate"] == [#"Bearer realm="pingate""#])
            #expect(try await Self.pin(h, headers: []).status == 401)
            #expect(h.upstream.requestCount == 0)

            #expect(try await h.send(.GET, "/_pingate/healthz").status == 200)
            #expect(try await h.send(.GET, "/_pingate/readyz").status != 401)
            for admin in ["/_pingate/metrics", "/_pingate/cache"] {
                #expect(try await h.send(.GET, admin).status == 401, "\(admin) without a token")
                #expect(try await h.send(.GET, admin, headers: Self.bearer(readerToken)).status == 403, "\(admin) outside the rules")
                #expect(try await h.send(.GET, admin, headers: Self.bearer(opsToken)).status == 200, "\(admin) within the rules")
            }
            #expect(try await h.send(.POST, "/_pingate/cache/purge", headers: Self.bearer(readerToken)).status == 403)
            #expect(try await h.send(.POST, "/_pingate/cache/purge", headers: Self.bearer(opsToken)).status == 200)
            #expect(try await h.send(.GET, Self.list, headers: Self.bearer(readerToken)).status == 200)
            #expect(try await h.send(.GET, Self.list, headers: Self.bearer(opsToken)).status == 403)
            Self.expectNoTokenUpstream(h, tokens: [readerToken, opsToken])
        }
    }

    @Test("a profile token's requests carry the profile's credentials, and its cache entries are its own")
    func profileCredentialsAndCache() async throws {
        let (reader, token) = try Self.issue("ro-reader", profile: "ro")
        let vault = try TestVault.contents(extra: ["ro.api_key": Self.profileKey, "ro.secret_key": Self.profileSecret], tokens: [reader])
        try await GatewayHarness.run(vault: vault, upstreamKeys: [Self.profileKey: Self.profileSecret]) { h in
            h.upstream.resetLog()
            let first = try await h.send(.GET, Self.list, headers: Self.bearer(token))
            #expect(first.status == 200)
            #expect(first.headers["cache-status"] == ["pingate; fwd=miss; stored"])
            let sent = try #require(h.upstream.requests.last)
            #expect(sent.header("pinning_api_key") == Self.profileKey)
            #expect(sent.header("pinning_secret_key") == Self.profileSecret)
            #expect(sent.headerValues("pinning_api_key").count == 1)

            // The default profile does not see the profile's entry, nor the other way round.
            let anonymous = try await h.send(.GET, Self.list)
            #expect(anonymous.headers["cache-status"] == ["pingate; fwd=miss; stored"])
            #expect(h.upstream.requests.last?.header("pinning_api_key") == TestVault.apiKey)
            #expect(try await h.send(.GET, Self.list, headers: Self.bearer(token)).headers["cache-status"] == ["pingate; hit"])
            #expect(try await h.send(.GET, Self.list).headers["cache-status"] == ["pingate; hit"])
            #expect(h.upstream.requestCount == 2)
            Self.expectNoTokenUpstream(h, tokens: [token])
        }
    }

    @Test("a background refresh (stale-while-revalidate) of a profile token's entry carries the profile's credentials and renews that profile's entry only")
    func profileRefresh() async throws {
        let clock = ManualClock()
        let (reader, token) = try Self.issue("ro-reader", profile: "ro")
        let vault = try TestVault.contents(extra: ["ro.api_key": Self.profileKey, "ro.secret_key": Self.profileSecret], tokens: [reader])
        try await GatewayHarness.run(
            clock: clock.gatewayClock, vault: vault, upstreamKeys: [Self.profileKey: Self.profileSecret],
            configure: { $0.cache?.staleWhileRevalidate = .seconds(60) }
        ) { h in
            h.upstream.resetLog()
            #expect(try await h.send(.GET, Self.list, headers: Self.bearer(token)).headers["cache-status"] == ["pingate; fwd=miss; stored"])
            clock.advance(by: .seconds(31))  // past cache.ttl (30 s), within stale-while-revalidate
            #expect(try await h.send(.GET, Self.list, headers: Self.bearer(token)).headers["cache-status"] == ["pingate; hit; fwd=stale"])
            try await withDeadline("the background refresh to be stored", within: .seconds(30)) {
                while try await h.send(.GET, "/_pingate/cache").json?["stores"] as? Int ?? 0 < 2 { await Task.yield() }
            }
            #expect(h.upstream.requestCount == 2)
            #expect(h.upstream.requests.allSatisfy { $0.header("pinning_api_key") == Self.profileKey }, "the refresh used other credentials")
            #expect(try await h.send(.GET, Self.list, headers: Self.bearer(token)).headers["cache-status"] == ["pingate; hit"])
            #expect(try await h.send(.GET, Self.list).headers["cache-status"] == ["pingate; fwd=miss; stored"])
            Self.expectNoTokenUpstream(h, tokens: [token])
        }
    }

    @Test("a profile named in the configuration maps headers to its own entries")
    func configuredProfile() async throws {
        let (reader, token) = try Self.issue("ro-reader", profile: "readonly")
        let vault = try TestVault.contents(extra: ["ro.key": Self.profileKey, "ro.secret": Self.profileSecret], tokens: [reader])
        try await GatewayHarness.run(vault: vault, upstreamKeys: [Self.profileKey: Self.profileSecret], configure: Self.readonlyProfile) { h in
            h.upstream.resetLog()
            let reply = try await h.send(.GET, Self.list, headers: Self.bearer(token))
            #expect(reply.status == 200)
            #expect(h.upstream.requests.last?.header("pinning_api_key") == Self.profileKey)
            #expect(h.upstream.requests.last?.header("pinning_secret_key") == Self.profileSecret)
        }
    }

    @Test("a token over its own budget gets 429 naming token:NAME while another token still passes")
    func tokenBudget() async throws {
        let (tight, tightToken) = try Self.issue("tight", rate: "1/h", burst: 2)
        let (other, otherToken) = try Self.issue("other")
        try await GatewayHarness.run(vault: try TestVault.contents(tokens: [tight, other]), configure: { $0.cache = nil }) { h in
            h.upstream.resetLog()
            #expect(try await h.send(.GET, Self.list, headers: Self.bearer(tightToken)).status == 200)
            let second = try await h.send(.GET, Self.list, headers: Self.bearer(tightToken))
            #expect(second.status == 200)
            #expect(second.headers["ratelimit-policy"].first?.contains(#""token""#) == true)
            let over = try await h.send(.GET, Self.list, headers: Self.bearer(tightToken))
            #expect(over.status == 429)
            #expect(over.json?["error"] as? String == "rate_limited")
            #expect(over.json?["budget"] as? String == "token")
            #expect(over.json?["client"] as? String == "token:tight")
            #expect((over.json?["message"] as? String)?.contains("token:tight") == true)
            #expect(over.headers["retry-after"].first.flatMap { Int($0) }.map { $0 >= 1 } == true)
            #expect(try await h.send(.GET, Self.list, headers: Self.bearer(otherToken)).status == 200)
            #expect(try await h.send(.GET, Self.list).status == 200)
            #expect(h.upstream.requestCount == 4)
        }
    }

    @Test("too many failed attempts from one source: 429 for any token until they age out")
    func failedAttempts() async throws {
        let clock = ManualClock()
        let (ci, token) = try Self.issue("ci")
        try await GatewayHarness.run(clock: clock.gatewayClock, vault: try TestVault.contents(tokens: [ci])) { h in
            for i in 0..<10 {
                #expect(try await h.send(.GET, Self.list, headers: Self.bearer("pgt_guess\(i)")).status == 401)
            }
            let throttled = try await h.send(.GET, Self.list, headers: Self.bearer("pgt_guess10"))
            #expect(throttled.status == 429)
            #expect(throttled.headers["retry-after"] == ["1"])
            #expect(try await h.send(.GET, Self.list, headers: Self.bearer(token)).status == 429, "a valid token is not even checked")
            #expect(try await h.send(.GET, Self.list).status == 200, "requests without a token are not guesses")
            clock.advance(by: .seconds(1))
            #expect(try await h.send(.GET, Self.list, headers: Self.bearer(token)).status == 200)
        }
    }

    @Test("--access-token-file tokens: every permission, the default profile, the connection's identity")
    func accessTokenFileAlias() async throws {
        let fileToken = "file-token-0123456789abcdef"
        let (reader, readerToken) = try Self.issue("reader", rules: ["GET /api/pinning/"])
        try await GatewayHarness.run(vault: try TestVault.contents(tokens: [reader]), configure: Self.fileTokens(fileToken)) { h in
            h.upstream.resetLog()
            let pinned = try await Self.pin(h, headers: [("X-Pingate-Token", fileToken)])
            #expect(pinned.status == 200)
            #expect(try await Self.pin(h, headers: Self.bearer(fileToken)).status == 200)
            #expect(h.upstream.requests.last?.header("pinning_api_key") == TestVault.apiKey)
            #expect(try await Self.pin(h, headers: Self.bearer(readerToken)).status == 403)
            #expect(try await Self.pin(h, headers: []).status == 401)
            #expect(try await h.send(.GET, "/_pingate/metrics", headers: Self.bearer(fileToken)).status == 200)
            Self.expectNoTokenUpstream(h, tokens: [fileToken, readerToken])
        }
    }

    @Test("the access log names token:NAME (not a self-declared X-Pingate-Client) and never the token")
    func identityInAccessLog() async throws {
        let lines = Mutex<[String]>([])
        let log = AccessLog(format: .json) { text in lines.withLock { $0.append(text) } }
        let (ci, token) = try Self.issue("ci-job", rules: ["GET /api/pinning/"])
        try await GatewayHarness.run(accessLog: log, vault: try TestVault.contents(tokens: [ci])) { h in
            #expect(try await h.send(.GET, Self.list, headers: Self.bearer(token) + [("X-Pingate-Client", "spoofed")]).status == 200)
            #expect(try await Self.pin(h, headers: Self.bearer(token)).status == 403)
            #expect(try await h.send(.GET, Self.list, headers: Self.bearer(token + "z")).status == 401)
            let metrics = try await h.send(.GET, "/_pingate/metrics")
            #expect(metrics.text.contains(#"pingate_token_refusals_total{reason="forbidden"} 1"#))
            #expect(metrics.text.contains(#"pingate_token_refusals_total{reason="unknown"} 1"#))
            #expect(!metrics.text.contains(token))
        }
        let text = lines.withLock { $0.joined() }
        #expect(text.components(separatedBy: #""client":"token:ci-job""#).count == 3, "the GET and the refused POST")
        #expect(!text.contains("spoofed"))
        #expect(!text.contains(token))
    }

    @Test("serve refuses a token whose profile lacks an entry, naming the token and the entry")
    func missingProfileEntry() throws {
        let (reader, _) = try Self.issue("ci-reader", profile: "ro")
        let contents = try TestVault.contents(extra: ["ro.api_key": Self.profileKey], tokens: [reader])
        let routes = GatewayConfiguration(upstream: try UpstreamEndpoint("http://127.0.0.1:9")).allRoutes
        #expect {
            _ = try UnlockedVault(contents: contents, routes: routes, profiles: [:])
        } throws: { error in
            let message = String(describing: error)
            return message.contains("token 'ci-reader'") && message.contains("'ro.secret_key'") && !message.contains(Self.profileKey)
        }
        let (bad, _) = try Self.issue("bad-rule", rules: ["GET"])
        #expect(throws: GatewayConfigurationError.self) {
            _ = try UnlockedVault(contents: try TestVault.contents(tokens: [bad]), routes: routes, profiles: [:])
        }
    }
}
