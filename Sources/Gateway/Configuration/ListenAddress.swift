/// A TCP `HOST:PORT` pingate listens on.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// Host or IP literal without brackets.
    public let host: String
    /// Port; 0 asks the OS for a free one (tests read the bound port back).
    public let port: Int

    /// Creates an address from parts.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// True when only this machine can connect.
    public var isLoopback: Bool { LoopbackAddress.isLoopbackHost(host) }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
