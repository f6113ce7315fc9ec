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
                    try await group.run()
                    return nil
                }
                var iterator = ready.makeAsyncIterator()
                guard case .tcp(_, let port) = await iterator.next() else {
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

    /// A finished response with its whole body.
    struct Reply: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: ByteBuffer
        var text: String { String(buffer: body) }
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] }
    }

    /// Sends one request through the proxy (or to `base` when given) and collects the body (≤ 16 MiB).
    func send(
        _ method: HTTPMethod = .GET,
        _ path: String,
        headers: [(String, String)] = [],
        body: HTTPClientRequest.Body? = nil,
        base: String? = nil
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: (base ?? proxyURL) + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = body }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let collected = try await response.body.collect(upTo: 16 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: collected)
    }

    /// Calls the fake directly with the right credentials (the reference answer).
    func direct(_ method: HTTPMethod = .GET, _ path: String, headers: [(String, String)] = [], body: HTTPClientRequest.Body? = nil) async throws -> Reply {
        try await send(method, path, headers: headers + [("pinning_api_key", TestVault.apiKey), ("pinning_secret_key", TestVault.secretKey)], body: body, base: upstreamURL)
    }
}

/// A failure in the test scaffolding itself.
struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Builds multipart/form-data bodies for upload tests.
enum Multipart {
    static func small(filename: String, content: String, boundary: String = "pingate-test-boundary") -> (String, ByteBuffer) {
        let body = "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\nContent-Type: text/plain\r\n\r\n\(content)\r\n"
            + "--\(boundary)\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{\"name\":\"\(filename)\"}\r\n--\(boundary)--\r\n"
        return ("multipart/form-data; boundary=\(boundary)", ByteBuffer(string: body))
    }
}
