import TestSupport
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

import RedisClient

/// Against a real `redis-server` that each test starts on a free port and a unix socket, and stops.
@Suite("Redis client against redis-server", .serialized, .timeLimit(.minutes(2)))
struct RedisClientIntegrationTests {
    /// Reconnects in tens of milliseconds, so that the restart test does not wait on a long backoff.
    static let fastOptions = RedisClientOptions(
        poolSize: 2,
        connectTimeout: .seconds(2),
        backoff: RedisBackoff(initial: .milliseconds(10), maximum: .milliseconds(200))
    )

    /// What a client reported through its hooks.
    final class HookLog: Sendable {
        /// An availability report and its position among them (1 for the first).
        struct Availability: Sendable {
            var sequence: Int
            var isAvailable: Bool
        }

        let availability = EventRecorder<Availability>()
        let errors = EventRecorder<String>()
        let roundTrips = EventRecorder<String>()
        private let reports = NIOLockedValueBox(0)

        var hooks: RedisClientHooks {
            RedisClientHooks(
                onAvailabilityChange: { isAvailable in
                    let sequence = self.reports.withLockedValue { $0 += 1; return $0 }
                    self.availability.record(Availability(sequence: sequence, isAvailable: isAvailable))
                },
                onError: { operation, error in self.errors.record("\(operation): \(error)") },
                onRoundTrip: { operation, _ in self.roundTrips.record(operation) }
            )
        }
    }

    /// Runs `body` with a client and shuts the client down afterwards, whatever `body` did.
    func withClient<Result>(
        _ configuration: RedisConfiguration,
        options: RedisClientOptions = Self.fastOptions,
        hooks: RedisClientHooks = RedisClientHooks(),
        _ body: (RedisClient) async throws -> Result
    ) async throws -> Result {
        let client = RedisClient(
            configuration: configuration,
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            options: options,
            hooks: hooks
        )
        do {
            let result = try await body(client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }

    @Test("SET and GET over TCP, with round trips and availability reported")
    func setAndGet() async throws {
        try await RedisServerProcess.with { server in
            let log = HookLog()
            try await withClient(RedisConfiguration(url: server.url()), hooks: log.hooks) { client in
                #expect(try await client.send(RedisCommand("SET", "greeting", "hello"), timeout: .seconds(5)) == .simpleString("OK"))
                let value = try await client.send(RedisCommand("GET", "greeting"), timeout: .seconds(5))
                #expect(value.string == "hello")
                #expect(try await client.send(RedisCommand("GET", "missing"), timeout: .seconds(5)).isNull)
                let binary = ByteBuffer(bytes: [0, 13, 10, 255])
                _ = try await client.send(RedisCommand("SET", arguments: [ByteBuffer(string: "bytes"), binary]), timeout: .seconds(5))
                #expect(try await client.send(RedisCommand("GET", "bytes"), timeout: .seconds(5)) == .bulkString(binary))
                try await log.availability.first("the pool to report itself available") { $0.isAvailable }
                try await log.roundTrips.first("a GET round trip") { $0 == "GET" }
                #expect(log.errors.values.isEmpty)
            }
        }
    }

    @Test("thousands of concurrent commands pipelined on one connection get their own replies")
    func pipelining() async throws {
        try await RedisServerProcess.with { server in
            let options = RedisClientOptions(poolSize: 1, connectTimeout: .seconds(2))
            try await withClient(RedisConfiguration(url: server.url()), options: options) { client in
                let count = 2_000
                let replies: [EventLoopFuture<RESPValue>] = (0..<count).map { index in
                    client.send(RedisCommand("ECHO", "reply-\(index)"), timeout: .seconds(30))
                }
                for (index, reply) in replies.enumerated() {
                    #expect(try await reply.get().string == "reply-\(index)")
                }
                let clients = try await client.send(RedisCommand("CLIENT", "LIST"), timeout: .seconds(5))
                let lines = clients.string?.split(separator: "\n") ?? []
                #expect(lines.count == 1, "all of them went over one connection: \(lines)")
            }
        }
    }

    @Test("EVALSHA loads the script once and reloads it after SCRIPT FLUSH")
    func evalSHAReloads() async throws {
        try await RedisServerProcess.with { server in
            let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
            let log = HookLog()
            try await withClient(RedisConfiguration(url: server.url()), hooks: log.hooks) { client in
                #expect(try await client.evalSHA(script, keys: ["counter"], arguments: ["5"], timeout: .seconds(5)) == .integer(5))
                #expect(try await client.evalSHA(script, keys: ["counter"], arguments: ["1"], timeout: .seconds(5)) == .integer(6))
                _ = try await client.send(RedisCommand("SCRIPT", "FLUSH"), timeout: .seconds(5))
                #expect(try await client.evalSHA(script, keys: ["counter"], arguments: ["4"], timeout: .seconds(5)) == .integer(10))

                let stats = try await client.send(RedisCommand("INFO", "commandstats"), timeout: .seconds(5)).string ?? ""
                #expect(Self.calls(of: "script|load", in: stats) == 2, "loaded at first use and after the flush")
                #expect(Self.calls(of: "evalsha", in: stats) == 4, "three calls plus one retry after NOSCRIPT")
                #expect(log.roundTrips.values.filter { $0 == "EVALSHA" }.count == 3)
                #expect(log.errors.values.isEmpty, "the NOSCRIPT that was handled is no error")

                let broken = RedisScript("return redis.call('NOSUCHCOMMAND')")
                await #expect(throws: RedisServerError.self) {
                    try await client.evalSHA(broken, keys: [], arguments: [], timeout: .seconds(5))
                }
                try await log.errors.first("the script error reported as EVALSHA") { $0.hasPrefix("EVALSHA: ") }
            }
        }
    }

    @Test("AUTH with a password, with an ACL user, and a wrong password that is reported")
    func authentication() async throws {
        let password = "pw-\(UInt64.random(in: 0...UInt64.max))"
        let alicePassword = "alice-\(UInt64.random(in: 0...UInt64.max))"
        try await RedisServerProcess.with(
            extraConfiguration: ["requirepass \(password)", "user alice on >\(alicePassword) ~* &* +@all"]
        ) { server in
            let withPassword = try RedisConfiguration(url: server.url(), password: password)
            try await withClient(withPassword) { client in
                let reply = try await client.send(RedisCommand("PING"), timeout: .seconds(5))
                #expect(reply == .simpleString("PONG"))
            }
            let asAlice = try RedisConfiguration(url: server.url(credentials: "alice:\(alicePassword)@"))
            try await withClient(asAlice) { client in
                let user = try await client.send(RedisCommand("ACL", "WHOAMI"), timeout: .seconds(5))
                #expect(user.string == "alice")
            }

            let log = HookLog()
            let wrong = try RedisConfiguration(url: server.url(credentials: ":not-\(password)@"))
            try await withClient(wrong, hooks: log.hooks) { client in
                try await log.availability.first("the pool to report itself unavailable") { !$0.isAvailable }
                let refusal = try await log.errors.first("the refused AUTH") { $0.hasPrefix("CONNECT: ") }
                #expect(refusal.contains("WRONGPASS"))
                #expect(!refusal.contains(password))
                await #expect(throws: RedisClientError.unavailable) {
                    try await client.send(RedisCommand("PING"), timeout: .seconds(5))
                }
                #expect(!log.availability.values.contains { $0.isAvailable })
            }
        }
    }

    @Test("a database other than 0 is selected on every connection")
    func selectDatabase() async throws {
        try await RedisServerProcess.with { server in
            try await withClient(RedisConfiguration(url: server.url(database: 5))) { client in
                _ = try await client.send(RedisCommand("SET", "only-in-5", "yes"), timeout: .seconds(5))
                for _ in 0..<4 {
                    let info = try await client.send(RedisCommand("CLIENT", "INFO"), timeout: .seconds(5)).string ?? ""
                    #expect(info.contains(" db=5 "), "\(info)")
                }
            }
            try await withClient(RedisConfiguration(url: server.url())) { client in
                #expect(try await client.send(RedisCommand("GET", "only-in-5"), timeout: .seconds(5)).isNull)
                _ = try await client.send(RedisCommand("SELECT", "5"), timeout: .seconds(5))
            }
        }
    }

    @Test("a unix socket, with a database")
    func unixSocket() async throws {
        try await RedisServerProcess.with { server in
            let configuration = try RedisConfiguration(url: "unix://\(server.socketPath)?db=2")
            try await withClient(configuration) { client in
                _ = try await client.send(RedisCommand("SET", "via", "socket"), timeout: .seconds(5))
                #expect(try await client.send(RedisCommand("GET", "via"), timeout: .seconds(5)).string == "socket")
                let info = try await client.send(RedisCommand("CLIENT", "INFO"), timeout: .seconds(5)).string ?? ""
                #expect(info.contains(" db=2 "), "\(info)")
                #expect(info.contains("flags=U"), "a unix socket client: \(info)")
            }
        }
    }

    @Test("a message published by one client reaches another's subscription")
    func publishSubscribe() async throws {
        try await RedisServerProcess.with { server in
            let configuration = try RedisConfiguration(url: server.url())
            let received = EventRecorder<RedisPubSubMessage>()
            try await withClient(configuration) { subscriber in
                try await subscriber.subscribe(to: ["invalidations", "other"]) { received.record($0) }.get()
                try await withClient(configuration) { publisher in
                    let receivers = try await publisher.publish(
                        ByteBuffer(string: "scope=pins"),
                        to: "invalidations",
                        timeout: .seconds(5)
                    )
                    #expect(receivers == 1)
                    _ = try await publisher.publish(ByteBuffer(string: "ignored"), to: "unrelated", timeout: .seconds(5))
                    _ = try await publisher.publish(ByteBuffer(string: "second"), to: "other", timeout: .seconds(5))
                }
                let second = try await received.first("the message on 'other'") { $0.channel == "other" }
                #expect(second.payload == ByteBuffer(string: "second"))
                #expect(
                    received.values == [
                        RedisPubSubMessage(channel: "invalidations", payload: ByteBuffer(string: "scope=pins")),
                        RedisPubSubMessage(channel: "other", payload: ByteBuffer(string: "second")),
                    ]
                )
            }
        }
    }

    @Test("after a server restart the subscriber reconnects, resubscribes and reports it")
    func subscriberReconnects() async throws {
        try await RedisServerProcess.with { server in
            let configuration = try RedisConfiguration(url: server.url())
            let received = EventRecorder<String>()
            let reconnects = EventRecorder<Int>()
            let log = HookLog()
            let reconnectCount = NIOLockedValueBox(0)
            try await withClient(configuration, hooks: log.hooks) { client in
                // Commands fail at once until the pool has connected.
                try await log.availability.first("the command pool to connect") { $0.isAvailable }
                try await client.subscribe(
                    to: ["events"],
                    onMessage: { received.record(String(buffer: $0.payload)) },
                    onReconnect: { reconnects.record(reconnectCount.withLockedValue { $0 += 1; return $0 }) }
                ).get()
                #expect(try await client.publish(ByteBuffer(string: "before"), to: "events", timeout: .seconds(5)) == 1)
                try await received.first("the message before the restart") { $0 == "before" }
                #expect(reconnects.values.isEmpty, "the first subscription is no reconnect")

                try await server.restart()

                try await reconnects.first("the subscriber to report its reconnect", within: 20)
                try await log.availability.first("the command pool to report the outage") { !$0.isAvailable }
                // Commands fail at once while the pool is down: publish only once it reports itself back.
                try await log.availability.first("the command pool to report itself available again") {
                    $0.isAvailable && $0.sequence > 1
                }
                #expect(try await client.publish(ByteBuffer(string: "after"), to: "events", timeout: .seconds(5)) == 1)
                try await received.first("the message after the restart") { $0 == "after" }
                #expect(reconnects.values == [1])
            }
        }
    }

    @Test("a command on a frozen server times out within its timeout, and the client recovers")
    func timeoutAndRecovery() async throws {
        try await RedisServerProcess.with { server in
            let configuration = try RedisConfiguration(url: server.url())
            let log = HookLog()
            let options = RedisClientOptions(poolSize: 1, connectTimeout: .seconds(2), backoff: Self.fastOptions.backoff)
            try await withClient(configuration, options: options, hooks: log.hooks) { client in
                let before = try await client.send(RedisCommand("CLIENT", "ID"), timeout: .seconds(5)).integer
                // Frozen until the test continues it: only the command's own timeout can end the wait (the order
                // of events is asserted, not a duration; the upper bound is generous).
                server.signal(SIGSTOP)
                let started = NIODeadline.now()
                await #expect(throws: RedisClientError.timeout) {
                    try await client.send(RedisCommand("GET", "anything"), timeout: .milliseconds(200))
                }
                let waited = NIODeadline.now() - started
                server.signal(SIGCONT)
                #expect(waited >= .milliseconds(190) && waited < .seconds(60), "failed after \(waited)")
                try await log.errors.first("the timeout reported as GET") { $0.hasPrefix("GET: ") }

                // The timed-out connection is closed and replaced; the new one answers now that the server runs.
                try await log.availability.first("the pool to lose its only connection") { !$0.isAvailable }
                try await log.availability.first("the pool to reconnect") { $0.isAvailable && $0.sequence > 1 }
                let after = try await client.send(RedisCommand("CLIENT", "ID"), timeout: .seconds(10)).integer
                #expect(before != nil && after != nil && before != after, "a new connection: \(String(describing: before)) then \(String(describing: after))")
            }
        }
    }

    @Test("with no server, commands fail at once instead of waiting, and shutdown refuses further commands")
    func unavailableAndShutdown() async throws {
        let port = try await RedisServerProcess.with { server in server.url() }
        let log = HookLog()
        let client = RedisClient(
            configuration: try RedisConfiguration(url: port),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            options: Self.fastOptions,
            hooks: log.hooks
        )
        try await log.availability.first("the pool to report itself unavailable") { !$0.isAvailable }
        try await log.errors.first("a refused connect") { $0.hasPrefix("CONNECT: ") }
        let started = NIODeadline.now()
        await #expect(throws: RedisClientError.self) {
            try await client.send(RedisCommand("PING"), timeout: .seconds(30))
        }
        #expect(NIODeadline.now() - started < .seconds(5), "failed without waiting for the timeout")
        await client.shutdown()
        await #expect(throws: RedisClientError.shutDown) {
            try await client.send(RedisCommand("PING"), timeout: .seconds(1))
        }
        await #expect(throws: RedisClientError.shutDown) {
            try await client.subscribe(to: ["x"], onMessage: { _ in }).get()
        }
    }

    // MARK: - INFO parsing

    private static func calls(of command: String, in commandStats: String) -> Int? {
        guard let line = commandStats.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("cmdstat_\(command):") }),
            let field = line.split(separator: ":", maxSplits: 1).last?.split(separator: ",").first(where: { $0.hasPrefix("calls=") })
        else {
            return nil
        }
        return Int(field.dropFirst("calls=".count))
    }
}
