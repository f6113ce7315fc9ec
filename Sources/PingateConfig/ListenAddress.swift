/// A TCP `host:port` to listen on.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// Host name or IP literal, without brackets (`127.0.0.1`, `::1`, `localhost`).
    public var host: String
    /// Port, 0–65535 (0 = let the OS choose).
    public var port: Int

    /// Creates an address.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` or `[ipv6]:port`; `nil` when malformed.
    public init?(parsing text: String) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
            guard host.contains(":") else { return nil }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return nil } // bare IPv6 needs brackets
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

    /// True for `localhost`, `127.0.0.0/8` and `::1` — addresses only this machine can reach.
    public var isLoopback: Bool {
        let h = host.lowercased()
        if h == "localhost" || h == "::1" || h == "0:0:0:0:0:0:0:1" { return true }
        let octets = h.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// `host:port`, with brackets around IPv6 literals.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
