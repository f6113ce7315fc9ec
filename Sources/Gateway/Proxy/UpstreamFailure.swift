import AsyncHTTPClient
import NIOCore
import NIOPosix

/// Classifies an upstream client error into the answer pingate gives.
enum UpstreamFailure {
    /// Maps an error thrown while talking to the upstream to a 502/504 JSON error with a short reason.
    static func response(for error: any Error) -> GatewayErrorResponse {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout, .readTimeout, .deadlineExceeded, .writeTimeout:
                return .gatewayTimeout("upstream did not answer in time (\(kind(of: error)))")
            default:
                return .badGateway("upstream connection failed (\(kind(of: error)))")
            }
        }
        if let error = error as? ChannelError, case .connectTimeout = error {
            return .gatewayTimeout("upstream did not accept the connection in time")
        }
        if error is NIOConnectionError {
            return .badGateway("upstream refused the connection")
        }
        return .badGateway("upstream connection failed (\(kind(of: error)))")
    }

    /// A short, secret-free label for metrics and logs.
    static func kind(of error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return "connect_timeout"
            case .readTimeout: return "read_timeout"
            case .writeTimeout: return "write_timeout"
            case .deadlineExceeded: return "deadline"
            case .remoteConnectionClosed: return "connection_closed"
            case .cancelled: return "cancelled"
            default: return "http_error"
            }
        }
        if error is NIOConnectionError { return "connect_refused" }
        if let error = error as? ChannelError, case .connectTimeout = error { return "connect_timeout" }
        if error is IOError { return "io_error" }
        return "other"
    }
}
