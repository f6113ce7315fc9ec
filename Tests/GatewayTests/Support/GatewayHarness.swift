import AsyncHTTPClient
import FakeW3IPFS
import Foundation
import Gateway
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import PingateCore
import ServiceLifecycle
import TestSupport
import Vault

/// Runs the fake upstream and the real gateway on loopback port 0 for one test.
struct GatewayHarness: Sendable {
    /// The fake's state: pins, recorded requests, fault knobs.
    let upstream: FakeW3IPFSState
    /// The fake's base URL (for calling it directly).
    let upstreamURL: String
    /// The gateway's base URL.
    let proxyURL: String
    /// What the gateway holds from the vault (replace it to simulate a reload).
    let credentials: CredentialStore
    /// The gateway's configuration.
    let configuration: GatewayConfiguration

    /// Starts both servers, runs `body`, then shuts both down.
    /// - Parameters:
    ///   - upstreamURL: override the upstream (e.g. a closed port); the fake still runs.
    ///   - vault: vault contents to unlock (client tokens, profile entries); the test vault's credentials otherwise.
    ///   - upstreamKeys: further key pairs the fake upstream accepts (api key → secret key).
    ///   - configure: adjust the gateway configuration.
    static func run<T: Sendable>(
        upstreamURL override: String? = nil,
        upstreamTLS: TLSConfiguration? = nil,
        clock: GatewayClock = .system(),
        accessLog: AccessLog? = nil,
        vault: VaultContents? = nil,
        upstreamKeys: [String: String] = [:],
        configure: @Sendable (inout GatewayConfiguration) -> Void = { _ in },
        _ body: @Sendable (GatewayHarness) async throws -> T
    ) async throws -> T {
        let logger = Logger(label: "pingate.test") { _ in SwiftLogNoOpLogHandler() }
        let state = FakeW3IPFSState(apiKey: TestVault.apiKey, secretKey: TestVault.secretKey, additionalKeys: upstreamKeys)
        let fake = try await FakeW3IPFSServer.start(state: state, logger: logger, tls: upstreamTLS)
        // An https fake is reached by name, as its certificate names `localhost`.
        let fakeURL = upstreamTLS == nil ? fake.baseURL : "https://localhost:\(fake.port)"
        var configuration = GatewayConfiguration(upstream: try UpstreamEndpoint(override ?? fakeURL))
        configuration.listen = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.drainTimeout = .seconds(5)
        // Pooled upstream connections outlive any pause of a starved test process (a test that checks reuse must
        // not see one expire); a test of idle expiry sets its own.
        configuration.upstreamKeepaliveIdle = .seconds(120)
        configure(&configuration)
        let store = try vault.map {
            CredentialStore(try UnlockedVault(contents: $0, routes: configuration.allRoutes, profiles: configuration.profiles), defaultRoute: configuration.profile)
        } ?? CredentialStore(TestVault.credentials)

        let (ready, readyContinuation) = AsyncStream.makeStream(of: GatewayServer.BoundAddress.self)
        let server = GatewayServer(configuration: configuration, credentials: store, logger: logger, accessLog: accessLog, clock: clock) { address in
            readyContinuation.yield(address)
            readyContinuation.finish()
        }
        let group = ServiceGroup(configuration: .init(services: [.init(service: server)], logger: logger))
        do {
            let result = try await withThrowingTaskGroup(of: T?.self) { tasks in
                tasks.addTask {
                    // A gateway that fails to start ends the stream, so the wait below ends too.
                    defer { readyContinuation.finish() }
                    try await group.run()
                    return nil
                }
                var iterator = ready.makeAsyncIterator()
                guard case .tcp(_, let port) = await iterator.next() else {
                    _ = try await tasks.next()
                    throw HarnessError("gateway did not start")
                }
                let harness = GatewayHarness(
                    upstream: state, upstreamURL: fake.baseURL, proxyURL: "http://127.0.0.1:\(port)", credentials: store, configuration: configuration
                )
                do {
                    let result = try await body(harness)
                    await group.triggerGracefulShutdown()
                    _ = try await tasks.next()
                    return result
                } catch {
                    await group.triggerGracefulShutdown()
                    throw error
                }
            }
            await fake.stop()
            return result
        } catch {
            await fake.stop()
            throw error
        }
    }

    /// Unlocks `contents` as a reload would and puts it in force.
    func reloadVault(_ contents: VaultContents) throws {
        credentials.replace(with: try UnlockedVault(contents: contents, routes: configuration.allRoutes, profiles: configuration.profiles))
    }

    // MARK: - Client helpers

    /// Sends one request through the proxy (or to `base` when given) and collects the body (≤ 16 MiB).
    /// The bound is generous (large uploads on a loaded machine); suites' time limits still apply.
    func send(
        _ method: HTTPMethod = .GET,
        _ path: String,
        headers: [(String, String)] = [],
        body: HTTPClientRequest.Body? = nil,
        base: String? = nil,
        timeout: Duration = .seconds(150)
    ) async throws -> HTTPReply {
        try await HTTPReply.fetch(method, (base ?? proxyURL) + path, headers: headers, body: body, timeout: timeout)
    }

    /// Calls the fake directly with the right credentials (the reference answer).
    func direct(_ method: HTTPMethod = .GET, _ path: String, headers: [(String, String)] = [], body: HTTPClientRequest.Body? = nil) async throws -> HTTPReply {
        try await send(method, path, headers: headers + [("pinning_api_key", TestVault.apiKey), ("pinning_secret_key", TestVault.secretKey)], body: body, base: upstreamURL)
    }
}

/// A failure in the test scaffolding itself.
struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension GatewayHarness {
    /// The value of an unlabelled metric, read from `/_pingate/metrics`.
    func metric(_ name: String) async throws -> Double? {
        let text = try await send(.GET, "/_pingate/metrics").text
        let line = text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    /// Waits (bounded) until the gateway reports at least `count` requests in flight, the asking one included.
    /// Each poll is a round trip, so there is no sleep.
    func waitForInFlight(atLeast count: Int, within timeout: Duration = .seconds(60)) async throws {
        let last = Locked<Double?>(nil)
        try await withDeadline("\(count) requests in flight at the gateway", within: timeout, observed: { "last reading: \(last.value.map { "\($0)" } ?? "none")" }) {
            while !Task.isCancelled {
                let value = try await metric("pingate_inflight_requests")
                last.withLock { $0 = value }
                if let value, value >= Double(count) { return }
            }
        }
    }
}
