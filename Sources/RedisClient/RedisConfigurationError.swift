/// A Redis URL that cannot be used; the description names the cause in one line and never repeats the URL
/// (it may hold a password).
public struct RedisConfigurationError: Error, Hashable, CustomStringConvertible {
    private enum Code: Hashable {
        case unsupportedScheme
        case missingHost
        case invalidPort
        case invalidDatabase
        case invalidPercentEncoding
        case unsupportedQuery
        case missingSocketPath
        case usernameWithoutPassword
    }

    private let code: Code

    private init(code: Code) {
        self.code = code
    }

    /// The URL starts with neither `redis://` nor `unix://` (TLS, `rediss://`, is not supported).
    public static let unsupportedScheme = RedisConfigurationError(code: .unsupportedScheme)
    /// A `redis://` URL names no host.
    public static let missingHost = RedisConfigurationError(code: .missingHost)
    /// The port is not a number from 1 to 65535.
    public static let invalidPort = RedisConfigurationError(code: .invalidPort)
    /// The database is not a non-negative number.
    public static let invalidDatabase = RedisConfigurationError(code: .invalidDatabase)
    /// The user name or password holds a malformed `%` escape.
    public static let invalidPercentEncoding = RedisConfigurationError(code: .invalidPercentEncoding)
    /// The URL has a query or fragment other than a unix socket's `?db=N`.
    public static let unsupportedQuery = RedisConfigurationError(code: .unsupportedQuery)
    /// A `unix://` URL names no absolute socket path.
    public static let missingSocketPath = RedisConfigurationError(code: .missingSocketPath)
    /// A user name is given but no password, from the URL or separately.
    public static let usernameWithoutPassword = RedisConfigurationError(code: .usernameWithoutPassword)

    public var description: String {
        switch self.code {
        case .unsupportedScheme:
            return "invalid Redis URL: it must start with redis:// or unix:// (rediss:// is not supported)"
        case .missingHost: return "invalid Redis URL: no host"
        case .invalidPort: return "invalid Redis URL: the port must be a number from 1 to 65535"
        case .invalidDatabase: return "invalid Redis URL: the database must be a non-negative number"
        case .invalidPercentEncoding: return "invalid Redis URL: malformed %-escape in the user name or password"
        case .unsupportedQuery: return "invalid Redis URL: unsupported query or fragment (only unix://...?db=N)"
        case .missingSocketPath: return "invalid Redis URL: unix:// needs an absolute socket path"
        case .usernameWithoutPassword: return "invalid Redis URL: a user name needs a password"
        }
    }
}
