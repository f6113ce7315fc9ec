import AsyncHTTPClient
import Hummingbird
import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The running gateway: Hummingbird's HTTP/1.1 server in front, AsyncHTTPClient behind, and a channel
/// handler in between that answers fresh cache hits and refusals without leaving the event loop.
///
/// A `Service`: run it in a `ServiceGroup` (graceful shutdown stops accepting, lets in-flight requests
/// finish, then closes the upstream pool).
public final class GatewayServer: Service, Sendable {
    /// Where a started gateway listens.
    public enum BoundAddress: Sendable, Equatable, CustomStringConvertible {
        /// A TCP listener; `port` is the real one even when 0 was asked for.
        case tcp(host: String, port: Int)
        /// A unix socket.
        case unix(path: String)

        public var description: String {
            switch self {
            case .tcp(let host, let port): return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            case .unix(let path): return "unix:\(path)"
            }
        }
    }

    private let configuration: GatewayConfiguration
    private let credentials: CredentialStore
    private let logger: Logger
    private let onReady: @Sendable (BoundAddress) async -> Void
    /// Metrics of this gateway (exposed at `/_pingate/metrics`).
    public let metrics: GatewayMetrics
    private let accessLog: AccessLog?
    private let clock: GatewayClock
    /// The state of the running gateway (nil before `run` builds it), for reloads.
    private let running = Mutex<GatewayState?>(nil)

    /// Creates the gateway.
    /// - Parameters:
    ///   - configuration: listen address, upstream, timeouts, cache and limits.
    ///   - credentials: the unlocked credentials (replaceable for reloads).
    ///   - logger: where logs go; secrets are never logged.
    ///   - accessLog: one line per request, or nil.
    ///   - clock: time source (tests inject one).
    ///   - onReady: called once the listener is bound, with the real address.
    public init(
        configuration: GatewayConfiguration,
        credentials: CredentialStore,
        logger: Logger,
        accessLog: AccessLog? = nil,
        clock: GatewayClock = .system(),
        onReady: @escaping @Sendable (BoundAddress) async -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.credentials = credentials
        self.logger = logger
        self.accessLog = accessLog
        self.clock = clock
        self.onReady = onReady
        self.metrics = GatewayMetrics()
    }

    public func run() async throws {
        // Unix socket: bound in a private folder, then made 0600/0660 and moved into place (see UnixSocketListener).
        // Checked first, before anything that needs shutting down exists.
        let unixListener = try configuration.unixSocketPath.map {
            try UnixSocketListener.prepare(path: $0, groupID: configuration.access.socketGroupID)
        }
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: Self.clientConfiguration(configuration))
        let upstream = configuration.upstream
        let readiness = Readiness(window: configuration.readinessWindow, clock: clock) {
            var probe = HTTPClientRequest(url: upstream.url(forTarget: "/"))
            probe.method = .HEAD
            return (try? await client.execute(probe, timeout: .seconds(2))) != nil
        }
        let state: GatewayState
        do {
            state = try GatewayState(
                configuration: configuration, credentials: credentials, clock: clock,
                metrics: metrics, accessLog: accessLog, readiness: readiness, client: client
            )
        } catch {
            // An HTTPClient must be shut down before it is released.
            try? await client.shutdown()
            throw error
        }
        running.withLock { $0 = state }
        defer { running.withLock { $0 = nil } }
        let responder = GatewayResponder(state: state, admin: AdminResponder(state: state))
        let fastPath = GatewayFastPath(state: state)
        let address: BindAddress = unixListener.map { .unixDomainSocket(path: $0.bindPath) }
            ?? .hostname(configuration.listen.host, port: configuration.listen.port)
        let onReady = self.onReady
        let setup = UnixSetupOutcome()
        let application = Application(
            responder: responder,
            server: .guardedHTTP1(
                limits: RequestLimits(configuration),
                access: configuration.access,
                onRefusal: { refusal, head, peer in
                    // Refused requests count like any other: by route, method and status, one access-log line each.
                    let route = head.map { state.routes.resolve($0.uri).route.name } ?? "-"
                    let method = head?.method.rawValue ?? "-"
                    state.metrics.request(route: route, method: method, status: refusal.status.code)
                    state.accessLog?.recordFast(
                        client: ClientIdentity.resolve(declared: head?.headers.first(name: "x-pingate-client"), peer: peer, peerUID: nil),
                        method: method, target: head?.uri ?? "-", status: refusal.status.code,
                        bytesOut: refusal.body.readableBytes, cacheStatus: nil,
                        requestID: RequestIdentifier.resolve(head?.headers.first(name: "x-request-id")),
                        wallClock: state.clock.wallClockSeconds(), rateLimit: nil
                    )
                },
                additionalChannelHandlers: { [CacheHitHandler(fastPath: fastPath)] }
            ),
            configuration: .init(
                address: address, serverName: nil, reuseAddress: true,
                // Beyond maxConnections, accepting pauses: further clients wait in the listen backlog.
                availableConnectionsDelegate: MaximumAvailableConnections(configuration.maxConnections, logger: logger)
            ),
            onServerRunning: { channel in
                if let unixListener {
                    setup.inode = unixListener.boundInode
                    do {
                        try unixListener.publish()
                    } catch {
                        setup.error = error
                        try? await channel.close()
                        return
                    }
                    readiness.listenerUp()
                    await onReady(.unix(path: unixListener.path))
                } else {
                    readiness.listenerUp()
                    let local = channel.localAddress
                    await onReady(.tcp(host: local?.ipAddress ?? "127.0.0.1", port: local?.port ?? 0))
                }
            },
            eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton),
            logger: logger
        )
        defer { unixListener?.cleanup(boundInode: setup.inode) }
        let flusher = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                accessLog?.flush()
            }
        }
        defer {
            flusher.cancel()
            accessLog?.flush()
        }
        defer { state.relayPool.closeAll() }
        do {
            try await application.run()
        } catch {
            try? await client.shutdown()
            throw setup.error ?? error
        }
        try await client.shutdown()
        if let error = setup.error { throw error }
    }

    /// Applies a reloaded configuration (SIGHUP) to the running gateway, without dropping connections.
    ///
    /// The rate budgets (`rate_limit.*`) take effect for the next request (counts start afresh; a pause the upstream
    /// asked for carries over). Credentials are the reloader's job (``CredentialStore``). Every other setting is
    /// fixed while running: the names of those that differ from the running ones are returned, for a warning that
    /// they need a restart.
    /// - Throws: ``GatewayConfigurationError`` when the new budgets are invalid (nothing is changed then).
    public func reload(_ new: GatewayConfiguration) throws -> (budgetsChanged: Bool, needRestart: [String]) {
        var budgetsChanged = false
        if let state = running.withLock({ $0 }) {
            do {
                budgetsChanged = try state.replaceBudgets(new.rateLimits)
            } catch {
                throw GatewayConfigurationError(.invalidSetting, "rate limits: \(error)")
            }
        }
        return (budgetsChanged, Self.changedSettings(from: configuration, to: new, ignoring: ["rateLimits"]))
    }

    /// Names of the configuration's top-level settings whose values differ.
    static func changedSettings(from old: GatewayConfiguration, to new: GatewayConfiguration, ignoring: Set<String>) -> [String] {
        let newValues = Dictionary(
            Mirror(reflecting: new).children.compactMap { child in child.label.map { ($0, String(reflecting: child.value)) } },
            uniquingKeysWith: { first, _ in first }
        )
        return Mirror(reflecting: old).children.compactMap { child -> String? in
            guard let label = child.label, !ignoring.contains(label) else { return nil }
            return newValues[label] == String(reflecting: child.value) ? nil : label
        }
    }

    /// What happened while putting the unix socket in place (written once, before the server serves).
    private final class UnixSetupOutcome: @unchecked Sendable {
        private let lock = NIOLock()
        private var _error: (any Error)?
        private var _inode: ino_t?
        var error: (any Error)? {
            get { lock.withLock { _error } }
            set { lock.withLock { _error = newValue } }
        }
        var inode: ino_t? {
            get { lock.withLock { _inode } }
            set { lock.withLock { _inode = newValue } }
        }
    }

    static func clientConfiguration(_ configuration: GatewayConfiguration) -> HTTPClient.Configuration {
        var client = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .init(configuration.connectTimeout), read: .init(configuration.readTimeout)),
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.upstreamConnections),
            decompression: .disabled
        )
        client.httpVersion = .http1Only
        // An upstream that refuses connections gets a 502 at once, as from nginx (and the event-loop relay), instead
        // of AsyncHTTPClient retrying with backoff until the connect timeout (10 s by default) while clients wait.
        client.connectionPool.retryConnectionEstablishment = false
        return client
    }
}
