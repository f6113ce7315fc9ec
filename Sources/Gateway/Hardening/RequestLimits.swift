import NIOCore
import NIOHTTP1

/// The per-connection limits ``RequestGuardHandler`` enforces, taken from ``GatewayConfiguration``.
struct RequestLimits: Sendable {
    /// Longest request line (method, target, version; without CRLF) accepted; 414 beyond.
    var maxRequestLine: Int
    /// Largest header block (every `name: value\r\n`) accepted; 431 beyond.
    var maxHeaderBytes: Int
    /// Most header fields accepted; 431 beyond.
    var maxHeaders: Int
    /// Largest request body accepted, counted as it streams; 413 beyond. nil = unlimited.
    var maxBodyBytes: Int?
    /// A request head must arrive completely within this long of its first byte (or of the connection opening).
    var headerTimeout: TimeAmount
    /// After a refusal, unread input is drained and dropped for at most this long before the socket is closed,
    /// so the client reads the refusal instead of a reset.
    var lingerTimeout: TimeAmount
    /// A keep-alive connection with no request in progress is closed after this long. nil = never.
    var idleTimeout: TimeAmount?

    init(
        maxRequestLine: Int = 8192, maxHeaderBytes: Int = 64 * 1024, maxHeaders: Int = 100, maxBodyBytes: Int? = nil,
        headerTimeout: TimeAmount = .seconds(10), lingerTimeout: TimeAmount = .seconds(2), idleTimeout: TimeAmount? = nil
    ) {
        self.maxRequestLine = maxRequestLine
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaders = maxHeaders
        self.maxBodyBytes = maxBodyBytes
        self.headerTimeout = headerTimeout
        self.lingerTimeout = lingerTimeout
        self.idleTimeout = idleTimeout
    }

    init(_ configuration: GatewayConfiguration) {
        self.init(
            maxRequestLine: max(configuration.maxRequestLine, 16),
            maxHeaderBytes: max(configuration.maxHeaderBytes, 64),
            maxHeaders: max(configuration.maxHeaders, 1),
            maxBodyBytes: configuration.maxBodyBytes,
            headerTimeout: .init(configuration.headerTimeout),
            idleTimeout: .init(configuration.idleTimeout)
        )
    }

    /// Limits for NIO's decoder: a backstop loose enough that the exact checks (made on the decoded head) decide.
    ///
    /// NIO counts the target and every name and value (without separators) against both size limits, and
    /// fails with `HTTPParserError.headerOverflow` past them or past the field count.
    var decoderLimits: NIOHTTPDecoderLimitConfiguration {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderListSize = maxRequestLine + maxHeaderBytes
        limits.maxHeaderFieldSize = maxRequestLine + maxHeaderBytes
        limits.maxHeaderFieldCount = maxHeaders
        return limits
    }
}
