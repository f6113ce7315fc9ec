import AsyncHTTPClient
import FakeW3IPFS
import Foundation
import GatewayLimits
import Logging
import NIOCore
import NIOHTTP1
import PingateCore
import TestSupport
import ServiceLifecycle
import Testing
import Vault
@testable import Gateway

/// Several pingates in front of one upstream, sharing budgets, pushback and invalidations through a real Redis.
@Suite("Shared state through Redis", .timeLimit(.minutes(3)))
struct SharedStateTests {
    static let list = "/api/pinning/pins/?limit=10"

    @Test("one upstream budget across instances: together they accept exactly the burst, then 429 naming the budget")
    func sharedBudget() async throws {
        try await RedisServerProcess.with { redis in
            try await Cluster.run(instances: 3, redis: redis.url(), configure: {
                $0.cache = nil
                $0.rateLimits = .init(upstream: RateBudget(rate: 1.0 / 3600, burst: 5))
            }) { cluster in
                var statuses: [Int] = []
                for index in 0..<12 {
                    let reply = try await cluster.send(.GET, Self.list, to: index % 3)
                    statuses.append(reply.status)
                    if reply.status == 429 { #expect(reply.json?["budget"] as? String == BudgetName.upstream) }
                }
                #expect(statuses.filter { $0 == 200 }.count == 5, "\(statuses)")
                #expect(cluster.upstream.requestCount == 5)
            }
        }
    }

    @Test("a faster budget takes effect at once: an arrival time stored under a slower configuration is lowered to an exhausted budget, not kept as a backlog")
    func fasterBudgetAfterSlowOne() async throws {
        try await RedisServerProcess.with { redis in
            try await Cluster.run(instances: 1, redis: redis.url(), configure: {
                $0.cache = nil
                $0.rateLimits = .init(upstream: RateBudget(rate: 1.0 / 3600, burst: 1))
            }) { (cluster: Cluster) async throws in
                #expect(try await cluster.send(.GET, Self.list, to: 0).status == 200)
                #expect(try await cluster.send(.GET, Self.list, to: 0).status == 429)
            }
            try await Cluster.run(instances: 1, redis: redis.url(), configure: {
                $0.cache = nil
                $0.rateLimits = .init(upstream: RateBudget(rate: 1000, burst: 5))
            }) { (cluster: Cluster) async throws in
                // Exhausted at first; it refills at 1000/s, so within a few requests one is admitted.
                var statuses: [Int] = []
                for _ in 0..<20 where !statuses.contains(200) {
                    statuses.append(try await cluster.send(.GET, Self.list, to: 0).status)
                }
                #expect(statuses.contains(200), "the budget of the slower configuration still held: \(statuses)")
            }
        }
    }

    @Test("upstream pushback seen by one instance pauses every instance")
    func sharedPushback() async throws {
        try await RedisServerProcess.with { redis in
            try await Cluster.run(instances: 2, redis: redis.url(), configure: { $0.cache = nil }) { cluster in
                cluster.upstream.updateFaults {
                    $0.forcedResponse = .tooManyRequests(retryAfterSeconds: 30)
                    $0.remainingForcedResponses = 1
                }
                #expect(try await cluster.send(.GET, Self.list, to: 0).status == 429)
                let other = try await cluster.send(.GET, Self.list, to: 1)
                #expect(other.status == 429)
                #expect(other.json?["budget"] as? String == BudgetName.upstreamPushback)
                #expect(cluster.upstream.requestCount == 1, "the other instance did not call the upstream")
            }
        }
    }

    @Test("a write through one instance invalidates every instance's cache")
    func sharedInvalidation() async throws {
        try await RedisServerProcess.with { redis in
            try await Cluster.run(instances: 2, redis: redis.url(), configure: { _ in }) { cluster in
                for instance in 0..<2 {
                    #expect(try await cluster.send(.GET, Self.list, to: instance).status == 200)
                    #expect(try await cluster.send(.GET, Self.list, to: instance).headers["cache-status"] == ["pingate; hit"])
                }
                let pin = try await cluster.send(.POST, "/api/pinning/pinByHash", to: 0, headers: [("Content-Type", "application/json")],
                                                 body: #"{"hash_to_pin":"Qmc1135ziMvmFG534i75E8HpJoLqzLzgKBxfjBV9cBsMAs"}"#)
                #expect(pin.status == 200)
                // The other instance learns of the write through the channel (milliseconds on loopback).
                let deadline = ContinuousClock.now + .seconds(10)
                var fresh = try await cluster.send(.GET, Self.list, to: 1)
                while fresh.headers["cache-status"] == ["pingate; hit"], ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(5))
                    fresh = try await cluster.send(.GET, Self.list, to: 1)
                }
                #expect(fresh.headers["cache-status"].first?.hasPrefix("pingate; fwd=miss") == true)
                let pins = (fresh.json?["data"] as? [String: Any])?["pins"] as? [[String: Any]]
                #expect(pins?.count == 1, "the list after the write shows the new pin")
            }
        }
    }

    @Test("Redis down, on_failure local: each instance keeps serving with its share of the budget; readyz says degraded")
    func redisDownLocal() async throws {
        try await RedisServerProcess.with { redis in
            try await Cluster.run(instances: 2, redis: redis.url(), configure: {
                $0.cache = nil
                $0.rateLimits = .init(upstream: RateBudget(rate: 1.0 / 3600, burst: 4))
                $0.sharedState?.expectedInstances = 2
            }) { cluster in
                #expect(try await cluster.send(.GET, Self.list, to: 0).status == 200)
                try await redis.stop()
                #expect(try await cluster.waitUntil(instance: 0) { metrics in metrics.contains("pingate_redis_up 0") })
                // This instance's share: burst 4 / 2 instances.
                var statuses: [Int] = []
                for _ in 0..<4 { statuses.append(try await cluster.send(.GET, Self.list, to: 0).status) }
                #expect(statuses == [200, 200, 429, 429])
                let ready = try await cluster.send(.GET, "/_pingate/readyz", to: 0)
                #expect(ready.status == 200)
                #expect(ready.json?["shared_state"] as? String == "degraded")
            }
        }
    }

    @Test("Redis down, on_failure local: answers stored meanwhile are fresh for cache.ttl_pending only")
    func redisDownShortLifetime() async throws {
        let clock = ManualClock()
        try await RedisServerProcess.with { redis in
            try await Cluster.run(instances: 1, redis: redis.url(), clock: clock.gatewayClock, configure: { _ in }) { cluster in
                try await redis.stop()
                #expect(try await cluster.waitUntil(instance: 0) { metrics in metrics.contains("pingate_redis_up 0") })
                #expect(try await cluster.send(.GET, Self.list, to: 0).status == 200)
                #expect(try await cluster.send(.GET, Self.list, to: 0).headers["cache-status"] == ["pingate; hit"])
                clock.advance(by: .milliseconds(2100))  // past ttl_pending (2 s), well within cache.ttl (30 s)
                let after = try await cluster.send(.GET, Self.list, to: 0)
                #expect(after.headers["cache-status"].first?.hasPrefix("pingate; fwd=stale") == true, "\(after.headers)")
                #expect(cluster.upstream.requestCount == 2)
            }
        }
    }

    @Test("Redis down, on_failure refuse: requests that need the upstream get 503 shared_state_unavailable; hits are still served")
    func redisDownRefuse() async throws {
        try await RedisServerProcess.with { redis in
            try await Cluster.run(instances: 1, redis: redis.url(), configure: { $0.sharedState?.onFailure = .refuse }) { cluster in
                #expect(try await cluster.send(.GET, Self.list, to: 0).status == 200)
                try await redis.stop()
                #expect(try await cluster.waitUntil(instance: 0) { metrics in metrics.contains("pingate_redis_up 0") })
                let refused = try await cluster.send(.GET, "/api/pinning/pins/?limit=3", to: 0)
                #expect(refused.status == 503)
                #expect(refused.json?["error"] as? String == "shared_state_unavailable")
                #expect(try await cluster.send(.GET, Self.list, to: 0).headers["cache-status"] == ["pingate; hit"])
                #expect(try await cluster.send(.GET, "/_pingate/readyz", to: 0).status == 503)
            }
        }
    }

    // MARK: - Client tokens

    @Test("a client token's own budget is one across instances, hits included: 429 naming token:NAME while another token passes")
    func sharedTokenBudget() async throws {
        let (tight, tightToken) = try ClientToken.issue(name: "tight", rate: "1/h", burst: 2, created: 1_700_000_000)
        let (other, otherToken) = try ClientToken.issue(name: "other", rate: "1/h", burst: 2, created: 1_700_000_000)
        let vault = try TestVault.contents(tokens: [tight, other])
        try await RedisServerProcess.with { redis in
            try await Cluster.run(instances: 2, redis: redis.url(), vault: vault, configure: { _ in }) { cluster in
                let bearer = [("Authorization", "Bearer \(tightToken.revealed)")]
                #expect(try await cluster.send(.GET, Self.list, to: 0, headers: bearer).headers["cache-status"] == ["pingate; fwd=miss; stored"])
                #expect(try await cluster.send(.GET, Self.list, to: 0, headers: bearer).headers["cache-status"] == ["pingate; hit"])
                // Instance 1 has the answer in no cache, and the token's two requests are spent on instance 0.
                let over = try await cluster.send(.GET, Self.list, to: 1, headers: bearer)
                #expect(over.status == 429)
                #expect(over.json?["budget"] as? String == BudgetName.token)
                #expect(over.json?["client"] as? String == "token:tight")
                #expect((over.json?["message"] as? String)?.contains("token:tight") == true)
                #expect(try await cluster.send(.GET, Self.list, to: 1, headers: [("Authorization", "Bearer \(otherToken.revealed)")]).status == 200)
                #expect(cluster.upstream.requestCount == 2)
            }
        }
    }

    @Test("Redis down, on_failure local: a client token keeps its share of its own budget")
    func tokenBudgetShareWithoutRedis() async throws {
        let (tight, tightToken) = try ClientToken.issue(name: "tight", rate: "1/h", burst: 4, created: 1_700_000_000)
        try await RedisServerProcess.with { redis in
            try await Cluster.run(instances: 2, redis: redis.url(), vault: try TestVault.contents(tokens: [tight]), configure: {
                $0.cache = nil
                $0.sharedState?.expectedInstances = 2
            }) { cluster in
                try await redis.stop()
                #expect(try await cluster.waitUntil(instance: 0) { metrics in metrics.contains("pingate_redis_up 0") })
                var statuses: [Int] = []
                for _ in 0..<3 {
                    statuses.append(try await cluster.send(.GET, Self.list, to: 0, headers: [("X-Pingate-Token", tightToken.revealed)]).status)
                }
                #expect(statuses == [200, 200, 429], "burst 4 / 2 instances")
            }
        }
    }
}

@Suite("Shared state keys")
struct SharedStateKeyTests {
    @Test("a client token's budget is kept under token:NAME, a client's under client:IDENTITY")
    func keys() {
        let configuration = RateLimiter.Configuration(upstream: RateBudget(rate: 10, burst: 10), client: RateBudget(rate: 1, burst: 1))
        let token = TokenBudget(token: "ci-reader", budget: RateBudget(rate: 2, burst: 2))
        let budgets = configuration.applicableBudgets(routeClass: "read", token: token)
        #expect(budgets.map(\.name) == [BudgetName.token, BudgetName.client, BudgetName.upstream], "most specific first")
        #expect(SharedState.keys(of: budgets, client: "token:ci-reader") == ["token:ci-reader", "client:token:ci-reader", "upstream"])
        #expect(SharedState.keys(of: configuration.ownBudgets(token: token), client: "token:ci-reader") == ["token:ci-reader", "client:token:ci-reader"])
        #expect(configuration.ownBudgets().map(\.name) == [BudgetName.client])
    }
}

/// One fake upstream and several real gateways that share a Redis.
struct Cluster: Sendable {
    let upstream: FakeW3IPFSState
    let proxyURLs: [String]

    static func run(
        instances: Int, redis: String, clock: GatewayClock = .system(), vault: VaultContents? = nil,
        configure: @Sendable (inout GatewayConfiguration) -> Void, _ body: (Cluster) async throws -> Void
    ) async throws {
        let logger = Logger(label: "pingate.test") { _ in SwiftLogNoOpLogHandler() }
        let state = FakeW3IPFSState(apiKey: TestVault.apiKey, secretKey: TestVault.secretKey)
        let fake = try await FakeW3IPFSServer.start(state: state, logger: logger)
        var servers: [ServiceGroup] = []
        var tasks: [Task<Void, any Error>] = []
        var urls: [String] = []
        do {
            for _ in 0..<instances {
                var configuration = GatewayConfiguration(upstream: try UpstreamEndpoint(fake.baseURL))
                configuration.listen = ListenAddress(host: "127.0.0.1", port: 0)
                configuration.drainTimeout = .seconds(5)
                // Generous: a loaded CI machine must not turn a slow answer into the fallback these tests do not expect.
                configuration.sharedState = SharedStateConfiguration(url: redis, timeout: .seconds(5))
                configure(&configuration)
                let (ready, readyContinuation) = AsyncStream.makeStream(of: GatewayServer.BoundAddress.self)
                let credentials = try vault.map {
                    CredentialStore(try UnlockedVault(contents: $0, routes: configuration.allRoutes, profiles: configuration.profiles), defaultRoute: configuration.profile)
                } ?? CredentialStore(TestVault.credentials)
                let server = GatewayServer(configuration: configuration, credentials: credentials, logger: logger, clock: clock) { address in
                    readyContinuation.yield(address)
                    readyContinuation.finish()
                }
                let group = ServiceGroup(configuration: .init(services: [.init(service: server)], logger: logger))
                servers.append(group)
                tasks.append(Task { try await group.run() })
                var iterator = ready.makeAsyncIterator()
                guard case .tcp(_, let port) = await iterator.next() else { throw HarnessError("gateway did not start") }
                urls.append("http://127.0.0.1:\(port)")
            }
            let cluster = Cluster(upstream: state, proxyURLs: urls)
            // Every instance's Redis connection is up before the test starts.
            for index in 0..<instances {
                guard try await cluster.waitUntil(instance: index, { $0.contains("pingate_redis_up 1") }) else {
                    throw HarnessError("instance \(index) did not connect to Redis")
                }
            }
            try await body(cluster)
        } catch {
            for group in servers { await group.triggerGracefulShutdown() }
            for task in tasks { _ = try? await task.value }
            await fake.stop()
            throw error
        }
        for group in servers { await group.triggerGracefulShutdown() }
        for task in tasks { _ = try? await task.value }
        await fake.stop()
    }

    func send(
        _ method: HTTPMethod, _ path: String, to instance: Int, headers: [(String, String)] = [], body: String? = nil
    ) async throws -> HTTPReply {
        try await HTTPReply.fetch(method, proxyURLs[instance] + path, headers: headers, body: body.map { .bytes(ByteBuffer(string: $0)) }, timeout: .seconds(30))
    }

    /// Polls an instance's metrics until `condition` holds (true) or 10 s pass (false).
    func waitUntil(instance: Int, _ condition: (String) -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if condition(try await send(.GET, "/_pingate/metrics", to: instance).text) { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }
}
