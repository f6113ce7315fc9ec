import NIOCore
import NIOHTTP1

/// What the gateway writes to a client connection, above ``ResponseEncoder``.
///
/// Every response is either `.head`, any number of `.body`, then `.end`; or one `.encoded` (a complete response
/// that is already HTTP/1.1 bytes: a cache hit's stored head, its per-hit lines and its body).
enum ResponsePart {
    /// The status line and fields; the framing is decided by the writer and carried in the head.
    case head(ResponseHead)
    /// Body bytes, written as they are (chunk-encoded when the head says so).
    case body(ByteBuffer)
    /// End of the response.
    case end
    /// A whole response already in wire form: `head` (status line and fields), `lines` (more fields and the blank
    /// line that ends the head), then `body` (nil for HEAD). Always length-framed.
    case encoded(head: ByteBuffer, lines: ByteBuffer, body: ByteBuffer?)
}

/// A response head as the gateway builds it: end-to-end fields only, plus how the body is framed.
struct ResponseHead {
    /// How the body that follows is delimited on the wire.
    enum Framing: Equatable {
        /// `Content-Length: n` and exactly `n` body bytes.
        case length(Int)
        /// `Transfer-Encoding: chunked` (HTTP/1.1 only).
        case chunked
        /// The body ends when the connection closes (HTTP/1.0 clients with no known length).
        case untilClose
        /// No body follows (HEAD, 1xx, 204, 304). `declaredLength` is sent as `Content-Length` when known, as the
        /// length the body would have had.
        case none(declaredLength: Int?)
    }

    var version: HTTPVersion
    var status: HTTPResponseStatus
    /// End-to-end fields; never `Content-Length`, `Transfer-Encoding` or `Connection` (the encoder writes those).
    var headers: HTTPHeaders
    var framing: Framing
    /// Whether the connection stays open after this response (false writes `Connection: close`).
    var keepAlive: Bool

    /// The framing for a body of unknown length on a client of `version`.
    static func streamingFraming(for version: HTTPVersion) -> Framing {
        version.major == 1 && version.minor >= 1 ? .chunked : .untilClose
    }
}
