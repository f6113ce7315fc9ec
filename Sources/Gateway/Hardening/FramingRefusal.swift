import NIOCore
import NIOHTTP1

/// Why pingate refuses a request before anything reaches the upstream: a 4xx with a JSON body, then the
/// connection is closed.
struct FramingRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// HTTP status (always 4xx).
    let status: HTTPResponseStatus
    /// Machine-readable code in the JSON body.
    let code: String
    /// One human line.
    let message: String

    init(_ status: HTTPResponseStatus, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    var description: String { "\(status.code) \(code): \(message)" }

    /// The refusal as pingate's JSON error (`{"status":"error","error":...,"message":...}`).
    var error: GatewayErrorResponse { GatewayErrorResponse(status, code: code, message: message) }

    /// The JSON body.
    var body: ByteBuffer { error.body }

    // MARK: - The refusals

    static func requestLineTooLong(_ limit: Int) -> Self {
        Self(.uriTooLong, "request_line_too_long", "request line exceeds \(limit) bytes")
    }
    static func tooManyHeaders(_ limit: Int) -> Self {
        Self(.requestHeaderFieldsTooLarge, "too_many_headers", "more than \(limit) header fields")
    }
    static func headerBlockTooLarge(_ limit: Int) -> Self {
        Self(.requestHeaderFieldsTooLarge, "header_block_too_large", "header block exceeds \(limit) bytes")
    }
    static func bodyTooLarge(_ limit: Int) -> Self {
        Self(.payloadTooLarge, "body_too_large", "request body exceeds the limit of \(limit) bytes")
    }
    static let headerTimeout = Self(.requestTimeout, "header_timeout", "request head did not arrive in time")
    static let peerNotAllowed = Self(.forbidden, "peer_not_allowed", "this user may not use the pingate socket")

    /// The answer to an access-policy refusal.
    static func access(_ refusal: AccessPolicy.Refusal) -> Self {
        switch refusal {
        case .missingHost:
            return Self(.badRequest, "missing_host", "request has no Host header")
        case .hostNotAllowed:
            return Self(.forbidden, "host_not_allowed", "Host is not a loopback name or a configured host (DNS-rebinding protection)")
        case .originNotAllowed:
            return Self(.forbidden, "origin_not_allowed", "Origin is not on the allow-list (browser calls are opt-in)")
        }
    }

    /// The answer to an error NIO's HTTP parser raised.
    /// - Parameter inRequestLine: the request line was still being received (size overflows are then 414).
    static func parserError(_ error: HTTPParserError, inRequestLine: Bool, limits: RequestLimits) -> Self {
        switch error {
        case .headerOverflow:
            return inRequestLine ? .requestLineTooLong(limits.maxRequestLine) : Self(
                .requestHeaderFieldsTooLarge, "header_block_too_large",
                "header block exceeds \(limits.maxHeaderBytes) bytes or \(limits.maxHeaders) fields"
            )
        case .invalidChunkSize:
            return Self(.badRequest, "invalid_chunk_size", "invalid chunk size in chunked body")
        case .invalidContentLength, .unexpectedContentLength:
            return Self(.badRequest, "invalid_content_length", "invalid or repeated Content-Length (or Content-Length with Transfer-Encoding)")
        case .invalidCharactersUsed, .invalidHeaderToken, .lfExpected:
            return Self(.badRequest, "invalid_header", "malformed header line (bare CR/LF, obs-fold or invalid character)")
        case .invalidVersion:
            return Self(.badRequest, "invalid_version", "unsupported or malformed HTTP version")
        case .invalidMethod:
            return Self(.badRequest, "invalid_method", "malformed request method")
        case .invalidURL, .invalidPath, .invalidQueryString, .invalidFragment, .invalidHost, .invalidPort:
            return Self(.badRequest, "invalid_target", "malformed request target")
        case .invalidEOFState:
            return Self(.badRequest, "incomplete_request", "connection closed in the middle of a request")
        default:
            return Self(.badRequest, "malformed_request", "malformed HTTP request framing (\(error))")
        }
    }
}
