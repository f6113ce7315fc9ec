import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Why talking to the upstream failed: one vocabulary for answers, metrics, logs, retries and the breaker.
///
/// Callers switch on ``kind``; ``reason`` is one secret-free line for the client's JSON answer.
struct UpstreamFailure: Error, Equatable, CustomStringConvertible {
    /// The kind of failure.
    enum Kind: String, Equatable {
        /// The upstream refused the TCP connection (or name resolution failed).
        case connectRefused = "connect_refused"
        /// The TCP connection or the TLS handshake did not complete in time.
        case connectTimeout = "connect_timeout"
        /// Certificate or handshake failure; nothing was sent.
        case tls
        /// No byte of the answer came within the read timeout.
        case readTimeout = "read_timeout"
        /// The upstream closed or reset the connection before the answer ended.
        case connectionClosed = "connection_closed"
        /// No upstream connection became free within the read timeout (the connection cap was reached).
        case poolTimeout = "pool_timeout"
        /// The upstream answered something that is not HTTP/1.1.
        case protocolError = "protocol_error"
    }

    let kind: Kind
    /// One line naming the cause (never a secret).
    let reason: String

    init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }

    var description: String { "\(kind.rawValue): \(reason)" }

    /// The label of `pingate_upstream_errors_total{kind}`.
    var metricKind: String { kind.rawValue }

    /// Timeouts are 504, everything else 502.
    var answer: GatewayErrorResponse {
        switch kind {
        case .connectTimeout, .readTimeout, .poolTimeout:
            return .gatewayTimeout("upstream did not answer in time (\(reason))")
        case .tls:
            return GatewayErrorResponse(.badGateway, code: "upstream_tls", message: "upstream TLS failed: \(reason)")
        case .connectRefused, .connectionClosed, .protocolError:
            return .badGateway("upstream connection failed (\(reason))")
        }
    }

    /// Names what NIO reported while connecting or exchanging.
    static func classify(_ error: any Error) -> UpstreamFailure {
        if let failure = error as? UpstreamFailure { return failure }
        if error is NIOConnectionError { return UpstreamFailure(.connectRefused, "upstream refused the connection") }
        if let error = error as? ChannelError {
            switch error {
            case .connectTimeout: return UpstreamFailure(.connectTimeout, "upstream did not accept the connection in time")
            case .eof, .alreadyClosed, .ioOnClosedChannel, .outputClosed:
                return UpstreamFailure(.connectionClosed, "upstream closed the connection")
            default: break
            }
        }
        if let error = error as? HTTPParserError {
            if case .invalidEOFState = error { return UpstreamFailure(.connectionClosed, "upstream closed the connection before the answer ended") }
            return UpstreamFailure(.protocolError, "upstream answer is not valid HTTP/1.1 (\(error))")
        }
        if error is NIOSSLError || error is NIOSSLExtraError || error is BoringSSLError {
            return UpstreamFailure(.tls, "TLS error (\(String(describing: error).prefix(120)))")
        }
        if let error = error as? IOError {
            if error.errnoCode == ECONNREFUSED { return UpstreamFailure(.connectRefused, "upstream refused the connection") }
            return UpstreamFailure(.connectionClosed, "upstream connection broke (\(String(cString: strerror(error.errnoCode))))")
        }
        return UpstreamFailure(.protocolError, "upstream answer is not valid HTTP/1.1")
    }
}
