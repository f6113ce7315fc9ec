import Foundation
import NIOCore
import NIOPosix

/// One HTTP response read off a raw socket.
struct RawResponse: Sendable {
    let status: Int
    /// Header lines (names lowercased), in order.
    let headers: [(String, String)]
    let body: [UInt8]

    func header(_ name: String) -> String? { headers.first { $0.0 == name.lowercased() }?.1 }
    func headerValues(_ name: String) -> [String] { headers.filter { $0.0 == name.lowercased() }.map(\.1) }
    var text: String { String(decoding: body, as: UTF8.self) }
    /// The `error` member of a pingate JSON error body.
    var errorCode: String? {
        (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["error"] as? String
    }
}

/// A plain TCP (or unix socket) connection for sending exactly the bytes a test wants, including malformed ones.
///
/// Every read is bounded: a deadline closes the connection, which ends the read (`timedOut` tells).
/// No sleeps: reads return as soon as a response is complete or the peer closed.
final class RawHTTPConnection: @unchecked Sendable {
    private let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    private var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let writer: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var pending: [UInt8] = []
    private(set) var sawEOF = false
    private(set) var timedOut = false

    private init(channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>) {
        self.channel = channel
        self.iterator = channel.inbound.makeAsyncIterator()
        self.writer = channel.outbound
    }

    deinit {
        writer.finish()
        channel.channel.close(promise: nil)
    }

    /// Connects to `127.0.0.1:port`.
    static func connect(port: Int, host: String = "127.0.0.1") async throws -> RawHTTPConnection {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                }
            }
        return RawHTTPConnection(channel: channel)
    }

    /// Connects to a unix socket.
    static func connect(unixPath: String) async throws -> RawHTTPConnection {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .connect(unixDomainSocketPath: unixPath) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                }
            }
        return RawHTTPConnection(channel: channel)
    }

    func send(_ text: String) async throws { try await send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) async throws {
        try await writer.write(ByteBuffer(bytes: bytes))
    }

    /// Half-closes our side (the server sees EOF on input).
    func finishSending() { writer.finish() }

    /// Closes the connection now (a client going away).
    func close() async { try? await channel.channel.close() }

    /// Closes with a TCP reset (SO_LINGER 0).
    func reset() async {
        _ = try? await (channel.channel as? any SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
        try? await channel.channel.close()
    }

    /// Reads until `condition(pending bytes)` holds, EOF, or `timeout`.
    private func fill(timeout: Duration, until condition: ([UInt8]) -> Bool) async throws {
        if condition(pending) || sawEOF { return }
        let channel = self.channel.channel
        let deadline = channel.eventLoop.scheduleTask(in: .init(timeout)) { [self] in
            self.timedOut = true
            channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        while !condition(pending) {
            do {
                guard let chunk = try await iterator.next() else {
                    sawEOF = true
                    return
                }
                pending += chunk.readableBytesView
            } catch {
                sawEOF = true
                return
            }
        }
    }

    /// Reads one response (nil when the connection closed or timed out before a complete one arrived).
    /// `toHEAD`: the response answers a HEAD, so it has no body whatever its `Content-Length` says.
    func readResponse(timeout: Duration = .seconds(30), toHEAD: Bool = false) async throws -> RawResponse? {
        try await fill(timeout: timeout) { Self.parse($0, toHEAD: toHEAD) != nil }
        guard let (response, consumed) = Self.parse(pending, toHEAD: toHEAD) else { return nil }
        pending.removeFirst(consumed)
        return response
    }

    /// Reads until the server closes (true) or `timeout` passes (false); extra bytes are discarded.
    func waitForClose(timeout: Duration = .seconds(30)) async throws -> Bool {
        try await fill(timeout: timeout) { _ in false }
        pending.removeAll()
        return sawEOF && !timedOut
    }

    /// Whether the server sent nothing (and did not close) for `window`; a bounded negative check.
    func staysSilent(for window: Duration) async throws -> Bool {
        try await fill(timeout: window) { !$0.isEmpty }
        return pending.isEmpty && timedOut
    }

    /// One complete response at the start of `bytes`, and how many bytes it used.
    static func parse(_ bytes: [UInt8], toHEAD: Bool = false) -> (RawResponse, Int)? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let headEnd = bytes.firstRange(of: separator) else { return nil }
        let headText = String(decoding: bytes[..<headEnd.lowerBound], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        let headers = lines.compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var rest = Array(bytes[headEnd.upperBound...])
        if (100..<200).contains(status) {
            guard let (next, used) = parse(rest, toHEAD: toHEAD) else { return nil }
            return (next, headEnd.upperBound + used)
        }
        if toHEAD {
            return (RawResponse(status: status, headers: headers, body: []), headEnd.upperBound)
        }
        if let length = headers.first(where: { $0.0 == "content-length" }).flatMap({ Int($0.1) }) {
            guard rest.count >= length else { return nil }
            return (RawResponse(status: status, headers: headers, body: Array(rest[..<length])), headEnd.upperBound + length)
        }
        if headers.contains(where: { $0.0 == "transfer-encoding" }) {
            var body: [UInt8] = []
            var offset = 0
            while true {
                guard let lineEnd = rest[offset...].firstRange(of: [13, 10]) else { return nil }
                let sizeText = String(decoding: rest[offset..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText, radix: 16) else { return nil }
                let dataStart = lineEnd.upperBound
                if size == 0 {
                    guard rest.count >= dataStart + 2 else { return nil }
                    return (RawResponse(status: status, headers: headers, body: body), headEnd.upperBound + dataStart + 2)
                }
                guard rest.count >= dataStart + size + 2 else { return nil }
                body += rest[dataStart..<dataStart + size]
                offset = dataStart + size + 2
            }
        }
        rest.removeAll()
        return (RawResponse(status: status, headers: headers, body: []), headEnd.upperBound)
    }
}

extension GatewayHarness {
    /// The gateway's TCP port.
    var proxyPort: Int { Int(proxyURL.split(separator: ":").last!)! }
    /// The fake upstream's TCP port.
    var upstreamPort: Int { Int(upstreamURL.split(separator: ":").last!)! }

    /// Sends raw bytes on a new connection and reads one response.
    func raw(_ request: String, timeout: Duration = .seconds(10)) async throws -> (RawResponse?, RawHTTPConnection) {
        let connection = try await RawHTTPConnection.connect(port: proxyPort)
        try await connection.send(request)
        return (try await connection.readResponse(timeout: timeout), connection)
    }
}
