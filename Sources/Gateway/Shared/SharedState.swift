import GatewayCache
import GatewayLimits
import Logging
import NIOCore
import RedisClient
import Synchronization

/// The budgets, upstream pushback and cache invalidations several pingates share through Redis.
///
/// - Admission: every budget of a request is decided in one round trip (``AdmissionScript``, `EVALSHA`).
/// - Pushback: an upstream pause is written to Redis with its expiry; every instance's admissions honour it.
/// - Invalidations: a write's invalidation is published on one channel and applied by every instance; a generation
///   counter per write scope lets a fill that began before another instance's write refuse to store.
///
/// Every call is bounded by `timeout`; while Redis is unreachable calls fail at once (``RedisClientError``), and the
/// caller falls back (``SharedStateConfiguration/FailureMode``). State changes are logged once each.
final class SharedState: Sendable {
    /// The outcome of a shared admission.
    enum Decision: Sendable {
        /// Admitted; `delay` is zero, or the wait for a slot within `rate_limit.wait_ms`.
        case admitted(delay: Duration, limit: LimitInfo?)
        case rejected(Rejection)
        /// Redis could not be asked (down, timed out, or a broken answer).
        case unavailable
    }

    let configuration: SharedStateConfiguration
    private let client: RedisClient
    private let script = RedisScript(AdmissionScript.source)
    private let timeout: TimeAmount
    private let logger: Logger
    private let available = Flag()
    /// Tells this instance's own invalidation messages apart.
    let instanceID: String
    private var channel: String { configuration.prefix + "invalidations" }

    /// Connects (in the background) and subscribes to invalidations.
    /// - Parameters:
    ///   - onInvalidation: applies another instance's invalidation to the local cache (nil: a purge of everything).
    ///   - onReconnect: the subscription came back after a break: invalidations may have been missed.
    init(
        configuration: SharedStateConfiguration, group: any EventLoopGroup, metrics: GatewayMetrics, logger: Logger,
        onInvalidation: @escaping @Sendable (WriteInvalidation?) -> Void, onReconnect: @escaping @Sendable () -> Void
    ) throws {
        self.configuration = configuration
        self.timeout = .init(configuration.timeout)
        self.logger = logger
        var random = SystemRandomNumberGenerator()
        let instanceID = String(random.next() as UInt64, radix: 16)
        self.instanceID = instanceID
        let redis: RedisConfiguration
        do {
            redis = try RedisConfiguration(url: configuration.url, password: configuration.password)
        } catch {
            throw GatewayConfigurationError(.invalidSetting, "redis.url: \(error)")
        }
        let available = self.available
        metrics.redisUp(false)
        let hooks = RedisClientHooks(
            onAvailabilityChange: { up in
                available.value.store(up, ordering: .relaxed)
                metrics.redisUp(up)
                if up {
                    logger.notice("shared state: connected to Redis", metadata: ["redis": "\(redis.redactedURL)"])
                } else {
                    logger.warning("shared state: Redis is unreachable; falling back", metadata: [
                        "redis": "\(redis.redactedURL)", "on_failure": "\(configuration.onFailure.rawValue)",
                    ])
                }
            },
            onError: { operation, _ in metrics.redisError(operation: operation) },
            onRoundTrip: { _, duration in metrics.redisRoundTrip(duration) }
        )
        self.client = RedisClient(configuration: redis, eventLoopGroup: group, hooks: hooks)
        let channel = configuration.prefix + "invalidations"
        _ = client.subscribe(to: [channel], onMessage: { message in
            guard let decoded = InvalidationMessage(decoding: message.payload), decoded.instance != instanceID else { return }
            onInvalidation(decoded.invalidation)
        }, onReconnect: {
            logger.notice("shared state: invalidation channel back after a break; the local cache is dropped")
            onReconnect()
        })
    }

    /// Whether Redis answers now (as far as the client knows).
    var isAvailable: Bool { available.value.load(ordering: .relaxed) }

    /// A flag the client's hooks set from any thread.
    private final class Flag: Sendable {
        let value = Atomic<Bool>(false)
    }

    // MARK: - Admission

    /// Decides `budgets` (most specific first) and the pushback of `pushbackScope` in one round trip.
    func admit(
        budgets: [RateLimiter.Configuration.ApplicableBudget], keys: [String], pushbackScope: String, identity: String,
        maxWait: Duration, on eventLoop: any EventLoop
    ) -> EventLoopFuture<Decision> {
        var arguments = ["admit", String(Self.micros(maxWait))]
        for applicable in budgets {
            arguments.append(String(max(1, applicable.budget.emissionIntervalNanos / 1000)))
            arguments.append(String(applicable.budget.toleranceNanos / 1000))
        }
        let allKeys = [configuration.prefix + "pause:" + pushbackScope] + keys.map { configuration.prefix + "budget:" + $0 }
        return client.evalSHA(script, keys: allKeys, arguments: arguments, timeout: timeout)
            .hop(to: eventLoop)
            .map { reply in Self.decision(reply, budgets: budgets, client: identity) }
            .recover { _ in Decision.unavailable }
    }

    static func decision(_ reply: RESPValue, budgets: [RateLimiter.Configuration.ApplicableBudget], client: String) -> Decision {
        guard let values = reply.elements?.compactMap(\.integer), values.count >= 3 else { return .unavailable }
        let now = values[0] * 1000
        let status = values[1]
        let wait = Duration.microseconds(values[2])
        let tats = values.dropFirst(3).map { $0 * 1000 }
        func info(_ index: Int) -> LimitInfo? {
            guard index < tats.count, index < budgets.count else { return nil }
            return LimitInfo.snapshot(name: budgets[index].name, budget: budgets[index].budget, tatNanos: tats[index], nowNanos: now)
        }
        switch status {
        case -1:
            return .rejected(Rejection(retryAfter: wait, budget: BudgetName.upstreamPushback, client: client, limit: nil))
        case 0:
            let infos = budgets.indices.compactMap(info)
            let limit = infos.dropFirst().reduce(infos.first) { current, next in current.map { LimitInfo.mostRestrictive($0, next) } }
            return .admitted(delay: wait, limit: limit)
        default:
            let index = Int(status) - 1
            guard budgets.indices.contains(index) else { return .unavailable }
            return .rejected(Rejection(retryAfter: wait, budget: budgets[index].name, client: client, limit: info(index)))
        }
    }

    /// The keys of `budgets` for this request: shared ones by name, per-client ones by client identity, a client
    /// token's own by token name.
    static func keys(of budgets: [RateLimiter.Configuration.ApplicableBudget], client: String) -> [String] {
        budgets.map { applicable in
            switch applicable.kind {
            case .token(let name): return "token:" + name
            case .client: return "client:" + client
            case .routeClass(let name): return "class:" + name
            case .upstream: return "upstream"
            }
        }
    }

    // MARK: - Pushback

    /// Shares an upstream pause of `pushbackScope` with every instance. The future succeeds once Redis holds the
    /// pause, or once it could not (bounded by `timeout`): the answer that caused the pause waits for it, so no
    /// request sent after that answer reaches the upstream through another instance.
    @discardableResult
    func pause(scope: String, for duration: Duration) -> EventLoopFuture<Void> {
        client.evalSHA(script, keys: [configuration.prefix + "pause:" + scope], arguments: ["pause", String(Self.micros(duration))], timeout: timeout)
            .map { _ in }
            .recover { _ in }
    }

    // MARK: - Invalidations

    /// Publishes this instance's invalidation (nil: a purge of everything) and moves the scope's generation. The
    /// future succeeds once Redis has taken both (or could not, bounded by `timeout`): the write's answer waits for
    /// it, so a client that then reads through another instance finds the generation moved.
    @discardableResult
    func publish(_ invalidation: WriteInvalidation?) -> EventLoopFuture<Void> {
        let counted = invalidation.map {
            client.send(RedisCommand("INCR", configuration.prefix + "generation:" + $0.scope), timeout: timeout).map { _ in }.recover { _ in }
        }
        let message = InvalidationMessage(instance: instanceID, invalidation: invalidation)
        let published = client.publish(message.encoded, to: channel, timeout: timeout).map { _ in }.recover { _ in }
        return counted.map { $0.and(published).map { _ in } } ?? published
    }

    /// The generation of a write scope now (nil when Redis cannot tell).
    func generation(ofScope scope: String, on eventLoop: any EventLoop) -> EventLoopFuture<Int64?> {
        client.send(RedisCommand("GET", configuration.prefix + "generation:" + scope), timeout: timeout)
            .hop(to: eventLoop)
            .map { reply -> Int64? in reply.isNull ? 0 : reply.string.flatMap { Int64($0) } }
            .recover { _ in nil }
    }

    func shutdown() async {
        await client.shutdown()
    }

    private static func micros(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}
