import Foundation
import PingateCore

/// Where pingate forwards requests: scheme, host and port of the upstream API.
///
/// Plain `http://` is accepted only for loopback hosts (tests and `pingate demo`);
/// every other host must be reached over `https://`, so the injected credentials
/// never cross a network in clear text.
public struct UpstreamEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// `http` or `https`.
    public let scheme: String
    /// Host name or IP literal, without brackets.
    public let host: String
    /// TCP port (explicit or the scheme's default).
    public let port: Int
    /// Path prefix every forwarded path is appended to (no trailing slash; usually empty).
    public let basePath: String

    /// Parses and validates an upstream URL.
    /// - Parameter url: for example `https://api.w3ipfs.storage` or `http://127.0.0.1:9000`.
    /// - Throws: `GatewayConfigurationError` when the URL is malformed or uses `http://` for a non-loopback host.
    public init(_ url: String) throws {
        guard let components = URLComponents(string: url),
              let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty
        else {
            throw GatewayConfigurationError(.invalidUpstream, "upstream URL '\(url)' is not an absolute http(s) URL")
        }
        guard scheme == "http" || scheme == "https" else {
            throw GatewayConfigurationError(.invalidUpstream, "upstream URL '\(url)' must use https:// (or http:// for a loopback host)")
        }
        guard components.user == nil, components.password == nil, components.query == nil, components.fragment == nil else {
            throw GatewayConfigurationError(.invalidUpstream, "upstream URL must not carry user info, a query or a fragment")
        }
        let bareHost = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if scheme == "http" && !LoopbackAddress.isLoopbackHost(bareHost) {
            throw GatewayConfigurationError(
                .insecureUpstream,
                "refusing plain http:// upstream '\(bareHost)': only loopback hosts may use http, use https://"
            )
        }
        self.scheme = scheme
        self.host = bareHost
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        self.port = port
        var path = components.path
        while path.hasSuffix("/") { path.removeLast() }
        self.basePath = path
        let hostPart = bareHost.contains(":") ? "[\(bareHost)]" : bareHost
        self.origin = "\(scheme)://\(hostPart):\(port)"
        self.hostHeader = port == (scheme == "https" ? 443 : 80) ? hostPart : "\(hostPart):\(port)"
    }

    /// The origin as a URL string, e.g. `https://api.w3ipfs.storage:443` (made once: it keys pools, breakers and
    /// pushback on every request).
    public let origin: String

    /// The `Host` field for requests to this upstream (the port only when it is not the scheme's default).
    public let hostHeader: String

    /// Builds the absolute URL for a request target (path + query exactly as the client sent it).
    public func url(forTarget target: String) -> String {
        origin + basePath + target
    }

    public var description: String { origin + basePath }
}
