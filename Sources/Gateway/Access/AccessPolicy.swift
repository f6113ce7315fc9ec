import HTTPTypes
import NIOHTTP1

/// Who may talk to pingate: the DNS-rebinding guard (`Host` allow-list), the browser guard (`Origin`
/// allow-list), and whether requests must carry a client token (checked per request by ``TokenCheck``).
///
/// A web page can make a browser send requests to 127.0.0.1 under an attacker's host name (DNS rebinding);
/// checking `Host` against loopback names defeats that. Browsers always send `Origin` on cross-site
/// requests, so an `Origin` not explicitly allowed is refused.
public struct AccessPolicy: Sendable {
    /// Host names (lowercased, no port, no trailing dot) accepted besides the loopback ones.
    public var extraHosts: Set<String>
    /// Exact `Origin` values accepted (browser calls are opt-in).
    public var allowedOrigins: Set<String>
    /// The tokens of `--access-token-file`: accepted like client tokens (in `X-Pingate-Token` or
    /// `Authorization: Bearer`) with every permission and the default profile.
    public var accessTokens: [[UInt8]]
    /// Every request (but `/_pingate/healthz` and `/_pingate/readyz`) must carry a valid client token.
    public var requireToken: Bool
    /// Unix-socket mode: the peer uids (`SO_PEERCRED`) that may use the socket; nil = anyone who can open it.
    /// Other uids get 403 on their first request and the connection is closed.
    public var allowedPeerUIDs: Set<UInt32>?
    /// Unix-socket mode: when set, the socket is owned by this group and made `0660`; otherwise it is `0600`.
    public var socketGroupID: UInt32?

    /// The loopback names always accepted.
    static let loopbackHosts: Set<String> = ["localhost", "127.0.0.1", "[::1]", "::1"]

    /// Creates a policy.
    public init(extraHosts: Set<String> = [], allowedOrigins: Set<String> = [], accessTokens: [[UInt8]] = [], requireToken: Bool = false) {
        self.extraHosts = Set(extraHosts.map { Self.normalise(host: $0) })
        self.allowedOrigins = allowedOrigins
        self.accessTokens = accessTokens
        self.requireToken = requireToken
        self.allowedPeerUIDs = nil
        self.socketGroupID = nil
    }

    /// Why a request was refused.
    public enum Refusal: Sendable, Equatable {
        /// `Host` is missing (400).
        case missingHost
        /// `Host` is not an allowed name (403).
        case hostNotAllowed
        /// `Origin` is not on the allow-list (403).
        case originNotAllowed
    }

    /// Checks a decoded HTTP/1 head (what the request guard sees); nil means allowed.
    public func check(_ head: HTTPRequestHead) -> Refusal? {
        guard let authority = head.headers.first(name: "host"), !authority.isEmpty else { return .missingHost }
        if !allowsHost(authority) { return .hostNotAllowed }
        let origins = head.headers["origin"]
        if !origins.isEmpty, origins.count > 1 || !allowedOrigins.contains(origins[0]) { return .originNotAllowed }
        return nil
    }

    /// Whether a `Host` value (or the authority of an absolute target) names an allowed host: a loopback name or a
    /// configured one, in any case, with at most one trailing dot and an optional numeric port. Anything else
    /// (user info, a non-numeric port, spaces, other addresses) is refused.
    public func allowsHost(_ authority: String) -> Bool {
        if Self.isPlainLoopbackAuthority(authority) { return true }
        guard let host = Self.hostName(ofAuthority: authority) else { return false }
        return Self.loopbackHosts.contains(host) || extraHosts.contains(host)
    }

    /// `localhost`, `127.0.0.1` or `[::1]`, in any case, with an optional numeric port: the common `Host` values,
    /// recognised without allocating. Anything else takes the general path.
    static func isPlainLoopbackAuthority(_ authority: String) -> Bool {
        authority.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            var hostEnd = bytes.count
            if bytes.first == UInt8(ascii: "[") {
                guard let close = bytes.firstIndex(of: UInt8(ascii: "]")) else { return false }
                hostEnd = close + 1
            } else if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
                hostEnd = colon
            }
            let port = bytes[hostEnd...]
            if let colon = port.first {
                guard colon == UInt8(ascii: ":"), port.count >= 2, port.count <= 6,
                      port.dropFirst().allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
                else { return false }
            }
            let host = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[..<hostEnd])
            return ASCII.equalsLowercase(bytes: host, "localhost") || ASCII.equalsLowercase(bytes: host, "127.0.0.1")
                || ASCII.equalsLowercase(bytes: host, "[::1]")
        } ?? false
    }

    /// The normalised host of an authority (`LOCALHOST.:8787` → `localhost`), or nil when it is malformed.
    static func hostName(ofAuthority authority: String) -> String? {
        let host = stripPort(authority)
        let port = authority.utf8.dropFirst(host.utf8.count)
        if let colon = port.first {
            guard colon == UInt8(ascii: ":"), port.count <= 6, port.dropFirst().allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        }
        guard !host.isEmpty, host.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "@") && $0 != UInt8(ascii: "/") }) else {
            return nil
        }
        return normalise(host: host)
    }


    /// `example.com:8787` → `example.com`, `[::1]:8787` → `[::1]`.
    static func stripPort(_ authority: String) -> String {
        if authority.hasPrefix("[") {
            if let close = authority.firstIndex(of: "]") { return String(authority[...close]) }
            return authority
        }
        if let colon = authority.lastIndex(of: ":"), authority.firstIndex(of: ":") == colon {
            return String(authority[..<colon])
        }
        return authority
    }

    /// Lowercases and drops one trailing dot (`localhost.` is `localhost`).
    static func normalise(host: String) -> String {
        var name = host.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        return name
    }
}


extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while scalars.first == " " { scalars.removeFirst() }
        while scalars.last == " " { scalars.removeLast() }
        return String(scalars)
    }
}
