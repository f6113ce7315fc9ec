/// A failure of the client itself rather than an error reply from the server (see ``RedisServerError``).
public struct RedisClientError: Error, Hashable, CustomStringConvertible {
    private enum Code: Hashable {
        case timeout
        case connectionClosed
        case unavailable
        case shutDown
        case unexpectedReply
    }

    private let code: Code

    private init(code: Code) {
        self.code = code
    }

    /// No reply arrived within the call's timeout; the connection it was sent on has been closed.
    public static let timeout = RedisClientError(code: .timeout)
    /// The connection closed before the reply arrived.
    public static let connectionClosed = RedisClientError(code: .connectionClosed)
    /// No connection to Redis is established and none is being attempted right now (the client is backing off).
    public static let unavailable = RedisClientError(code: .unavailable)
    /// The client has been shut down.
    public static let shutDown = RedisClientError(code: .shutDown)
    /// The server answered with a reply of a type the call does not expect.
    public static let unexpectedReply = RedisClientError(code: .unexpectedReply)

    public var description: String {
        switch self.code {
        case .timeout: return "Redis did not answer within the timeout"
        case .connectionClosed: return "the Redis connection closed before the reply arrived"
        case .unavailable: return "no connection to Redis is available"
        case .shutDown: return "the Redis client is shut down"
        case .unexpectedReply: return "Redis answered with an unexpected reply type"
        }
    }
}
