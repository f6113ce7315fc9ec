import NIOCore
import NIOHTTP1

/// Writes ``ResponsePart``s as HTTP/1.x bytes, the first outbound handler above the socket.
///
/// The gateway decides each response's framing itself (``ResponseHead/Framing``), so this encoder only
/// serialises: the status line, the fields as given, the framing fields, then the body (chunk-encoded when the
/// head says so). A head is written straight into one buffer, without an intermediate `HTTPHeaders` pass.
final class ResponseEncoder: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ResponsePart
    typealias OutboundOut = ByteBuffer

    /// The response being written is chunk-encoded.
    private var chunked = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            chunked = head.framing == .chunked
            context.write(wrapOutboundOut(Self.encode(head, allocator: context.channel.allocator)), promise: promise)
        case .body(let buffer):
            guard buffer.readableBytes > 0 else {
                promise?.succeed()
                return
            }
            if chunked {
                var prefix = context.channel.allocator.buffer(capacity: 18)
                prefix.writeString(String(buffer.readableBytes, radix: 16))
                prefix.writeStaticString("\r\n")
                context.write(wrapOutboundOut(prefix), promise: nil)
                context.write(wrapOutboundOut(buffer), promise: nil)
                context.write(wrapOutboundOut(Self.crlf), promise: promise)
            } else {
                context.write(wrapOutboundOut(buffer), promise: promise)
            }
        case .end:
            if chunked {
                chunked = false
                context.write(wrapOutboundOut(Self.lastChunk), promise: promise)
            } else {
                promise?.succeed()
            }
        case .encoded(let head, let lines, let body):
            chunked = false
            context.write(wrapOutboundOut(head), promise: nil)
            if let body {
                context.write(wrapOutboundOut(lines), promise: nil)
                context.write(wrapOutboundOut(body), promise: promise)
            } else {
                context.write(wrapOutboundOut(lines), promise: promise)
            }
        }
    }

    private static let crlf = ByteBuffer(staticString: "\r\n")
    private static let lastChunk = ByteBuffer(staticString: "0\r\n\r\n")

    /// The head as bytes: status line, fields, framing fields, `Connection` when it differs from the version's
    /// default, blank line.
    static func encode(_ head: ResponseHead, allocator: ByteBufferAllocator) -> ByteBuffer {
        var size = 64
        for (name, value) in head.headers { size += name.utf8.count + value.utf8.count + 4 }
        var buffer = allocator.buffer(capacity: size)
        buffer.writeStaticString(head.version.minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ")
        buffer.writeString(String(head.status.code))
        buffer.writeStaticString(" ")
        buffer.writeString(head.status.reasonPhrase)
        buffer.writeStaticString("\r\n")
        for (name, value) in head.headers {
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        switch head.framing {
        case .length(let length), .none(declaredLength: let length?):
            buffer.writeStaticString("Content-Length: ")
            buffer.writeString(String(length))
            buffer.writeStaticString("\r\n")
        case .chunked:
            buffer.writeStaticString("Transfer-Encoding: chunked\r\n")
        case .untilClose, .none(declaredLength: nil):
            break
        }
        let isHTTP11 = head.version.major == 1 && head.version.minor >= 1
        if !head.keepAlive || head.framing == .untilClose {
            buffer.writeStaticString("Connection: close\r\n")
        } else if !isHTTP11 {
            buffer.writeStaticString("Connection: keep-alive\r\n")
        }
        buffer.writeStaticString("\r\n")
        return buffer
    }
}

@available(*, unavailable)
extension ResponseEncoder: Sendable {}
