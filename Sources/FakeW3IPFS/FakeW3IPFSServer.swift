import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle

/// Starts the fake w3ipfs pinning API (see `PinningRoutes` for the endpoints) on a real socket.
///
/// Behaviour worth knowing in tests:
/// - Credentials: `pinning_api_key` and `pinning_secret_key` (underscores, exactly one each) must
///   equal the state's values on every route, known or not; otherwise 401.
/// - Errors: every 4xx/5xx the fake makes is `{"message": "...", "status": "error"}` as JSON.
/// - Every request is read to the end and recorded (``FakeW3IPFSState/requests``) before it is
///   answered, including 401s, 404s and forced answers.
/// - Uploads stream: the `file` part is hashed as it arrives and never buffered.
/// - `Expect: 100-continue` is not answered early (Hummingbird 2.28 does not); curl talking to the
///   fake directly waits its 1 s before sending the body unless given `-H 'Expect:'`.
public struct FakeW3IPFSServer: Sendable {
    private enum StartupEvent: Sendable {
        case listening(port: Int?)
        case exited(String)
    }

    /// Start serving `state` and return once the listener is bound.
    ///
    /// - Parameters:
    ///   - state: Pins, request log and faults to serve from.
    ///   - host: Address to bind.
    ///   - port: Port to bind; 0 picks a free one (read it from ``RunningFakeW3IPFS/port``).
    ///   - logger: Server logger; silent by default.
    ///   - tls: Serve https with this configuration (certificate and key) instead of plain http.
    /// - Returns: The running server.
    /// - Throws: ``FakeW3IPFSServerError`` when it cannot listen (e.g. the port is taken).
    public static func start(
        state: FakeW3IPFSState,
        host: String = "127.0.0.1",
        port: Int = 0,
        logger: Logger? = nil,
        tls: TLSConfiguration? = nil
    ) async throws -> RunningFakeW3IPFS {
        let logger = logger ?? Logger(label: "FakeW3IPFS", factory: { _ in SwiftLogNoOpLogHandler() })
        let (events, sink) = AsyncStream.makeStream(of: StartupEvent.self)
        let application = Application(
            router: PinningRoutes(state: state).makeRouter(),
            server: try tls.map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1(),
            configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { channel in
                sink.yield(.listening(port: channel.localAddress?.port))
            },
            logger: logger
        )
        let serviceGroup = ServiceGroup(
            configuration: .init(services: [application], gracefulShutdownSignals: [], logger: logger)
        )
        let runTask = Task {
            do {
                try await serviceGroup.run()
                sink.yield(.exited("the server returned"))
            } catch {
                sink.yield(.exited(String(describing: error)))
            }
            sink.finish()
        }

        for await event in events {
            switch event {
            case .listening(let boundPort?):
                return RunningFakeW3IPFS(host: host, port: boundPort, state: state, scheme: tls == nil ? "http" : "https", serviceGroup: serviceGroup, runTask: runTask)
            case .listening(nil):
                await serviceGroup.triggerGracefulShutdown()
                await runTask.value
                throw FakeW3IPFSServerError.unknownBoundPort
            case .exited(let cause):
                throw FakeW3IPFSServerError.exitedBeforeListening(cause)
            }
        }
        // the stream only ends early when this task is cancelled
        await serviceGroup.triggerGracefulShutdown()
        await runTask.value
        throw FakeW3IPFSServerError.cancelled
    }
}
