/// An error reply from the Redis server, such as `NOSCRIPT No matching script` or `WRONGPASS ...`.
public struct RedisServerError: Error, Hashable, CustomStringConvertible {
    /// The reply's text as the server sent it.
    public let message: String

    /// - Parameter message: The error reply's text.
    public init(message: String) {
        self.message = message
    }

    /// The reply's first word, by Redis convention its error code (`ERR`, `NOSCRIPT`, `WRONGPASS`, ...).
    public var code: String {
        String(self.message.prefix { $0 != " " })
    }

    public var description: String {
        "Redis error reply: \(self.message)"
    }
}
