/// Where and how to connect to Redis: the endpoint, the credentials and the database.
///
/// The password is a secret: ``description``, ``debugDescription``, the mirror and every error show it as `***`.
/// Log ``redactedURL``.
public struct RedisConfiguration: Sendable, Hashable {
    /// The server's address.
    public enum Endpoint: Sendable, Hashable {
        /// A TCP host name or IP address and port.
        case tcp(host: String, port: Int)
        /// A unix domain socket's path.
        case unixSocket(path: String)
    }

    /// The port used when a `redis://` URL names none.
    public static let defaultPort = 6379

    /// The server's address.
    public var endpoint: Endpoint
    /// The ACL user for `AUTH user password`; with `nil` the connection sends `AUTH password` (the default user).
    public var username: String?
    /// The password; `nil` sends no `AUTH`.
    public var password: String?
    /// The database selected with `SELECT` when it is not 0.
    public var database: Int

    /// - Parameters:
    ///   - endpoint: The server's address.
    ///   - username: The ACL user, or `nil` for the default user.
    ///   - password: The password, or `nil` for no `AUTH`.
    ///   - database: The database number.
    public init(endpoint: Endpoint, username: String? = nil, password: String? = nil, database: Int = 0) {
        self.endpoint = endpoint
        self.username = username
        self.password = password
        self.database = database
    }

    /// Parses `redis://[user:password@]host[:port][/db]` or `unix://[[user]:password@]/path/to/redis.sock[?db=N]`.
    ///
    /// The port defaults to 6379 and the database to 0; IPv6 hosts go in brackets; `%`-escapes are decoded in the
    /// user name and password.
    ///
    /// - Parameters:
    ///   - url: The URL.
    ///   - password: A password kept outside the URL (a vault entry, say); it replaces one in the URL.
    /// - Throws: ``RedisConfigurationError`` naming what is wrong, without repeating the URL.
    public init(url: String, password: String? = nil) throws(RedisConfigurationError) {
        let parser = RedisURLParser(url)
        self = try parser.parse()
        if let password {
            self.password = password
        }
        if self.username != nil && self.password == nil {
            throw .usernameWithoutPassword
        }
    }

    /// The URL with the password replaced by `***`, for logs and `check-config`.
    public var redactedURL: String {
        var credentials = ""
        if self.username != nil || self.password != nil {
            credentials = (self.username ?? "") + (self.password == nil ? "" : ":***") + "@"
        }
        switch self.endpoint {
        case .tcp(let host, let port):
            let shownHost = host.contains(":") ? "[\(host)]" : host
            return "redis://\(credentials)\(shownHost):\(port)/\(self.database)"
        case .unixSocket(let path):
            return "unix://\(credentials)\(path)" + (self.database == 0 ? "" : "?db=\(self.database)")
        }
    }
}

// MARK: - Redacted descriptions

extension RedisConfiguration: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        self.redactedURL
    }

    public var debugDescription: String {
        "RedisConfiguration(\(self.redactedURL))"
    }

    public var customMirror: Mirror {
        Mirror(self, children: ["url": self.redactedURL], displayStyle: .struct)
    }
}
