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

    /// Parses `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (loopback).
    /// - Throws: `GatewayConfigurationError` with code `.invalidListenAddress`.
    public init(parsing text: String) throws {
        let invalid = GatewayConfigurationError(.invalidListenAddress, "listen address '\(text)' is not HOST:PORT")
        var host: Substring
        var portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw invalid }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw invalid }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw invalid }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { throw invalid }
        }
        if host.isEmpty { host = "127.0.0.1" }
        guard let port = Int(portText), (0...65535).contains(port) else { throw invalid }
        self.host = String(host)
        self.port = port
    }

    /// True when only this machine can connect.
    public var isLoopback: Bool { LoopbackAddress.isLoopbackHost(host) }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
