/// Why ``FakeW3IPFSServer/start(state:host:port:logger:)`` failed.
public struct FakeW3IPFSServerError: Error, Sendable, CustomStringConvertible {
    private enum Code: Sendable {
        case exitedBeforeListening(String)
        case unknownBoundPort
        case cancelled
    }

    private let code: Code

    /// The server stopped before it was listening (e.g. the port was taken); carries the cause.
    public static func exitedBeforeListening(_ cause: String) -> FakeW3IPFSServerError {
        FakeW3IPFSServerError(code: .exitedBeforeListening(cause))
    }

    /// The listener came up without a readable local port.
    public static let unknownBoundPort = FakeW3IPFSServerError(code: .unknownBoundPort)

    /// The starting task was cancelled; the server was shut down again.
    public static let cancelled = FakeW3IPFSServerError(code: .cancelled)

    public var description: String {
        switch self.code {
        case .exitedBeforeListening(let cause): "the fake w3ipfs server stopped before listening: \(cause)"
        case .unknownBoundPort: "the fake w3ipfs server is listening on an unknown port"
        case .cancelled: "starting the fake w3ipfs server was cancelled"
        }
    }
}
