/// A TCP `host:port` pingate listens on.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// Host name or IP literal, without brackets (`127.0.0.1`, `::1`, `localhost`).
    public var host: String
    /// Port, 0–65535; 0 asks the OS for a free one (tests read the bound port back).
    public var port: Int

    /// Creates an address from parts.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` or `[ipv6]:port`; `nil` when malformed (a bare IPv6 literal needs brackets).
    public init?(parsing text: String) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":"), host.contains(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return nil }
        }
        guard !host.isEmpty,
              host.allSatisfy({ !$0.isWhitespace && $0 != "/" && $0 != "[" && $0 != "]" }),
              !portText.isEmpty, portText.count <= 5,
              portText.allSatisfy({ $0.isASCII && $0.isNumber }),
              let port = Int(portText), port <= 65_535
        else { return nil }
        self.host = String(host)
        self.port = port
    }

    /// True when only this machine can connect (see ``LoopbackAddress``).
    public var isLoopback: Bool { LoopbackAddress.isLoopbackHost(host) }

    /// `host:port`, with brackets around IPv6 literals.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
