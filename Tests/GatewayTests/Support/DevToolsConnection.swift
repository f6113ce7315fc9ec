import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization

/// One message of the Chrome DevTools protocol (a command's answer or an event), kept as its JSON text.
struct DevToolsMessage: Sendable, CustomStringConvertible {
    /// The JSON text as received.
    let text: String

    /// The parsed object (empty when the text is not an object).
    var object: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:] }
    /// An event's name, nil for an answer.
    var method: String? { object["method"] as? String }
    /// An event's parameters.
    var params: [String: Any] { object["params"] as? [String: Any] ?? [:] }
    /// An answer's result.
    var result: [String: Any] { object["result"] as? [String: Any] ?? [:] }
    var description: String { text }
}

/// A failure talking to the browser.
struct DevToolsError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A client of the Chrome DevTools protocol over its WebSocket (NIOWebSocket): commands are answered in order of
/// their ids, events are collected for the test to read.
final class DevToolsConnection: Sendable {
    private struct State {
        var nextID = 1
        var pending: [Int: CheckedContinuation<DevToolsMessage, any Error>] = [:]
        var events: [DevToolsMessage] = []
        /// Waiting for an event: its name, the session it must come from, and whom to resume.
        var eventWaiters: [(method: String, session: String?, continuation: CheckedContinuation<DevToolsMessage?, Never>)] = []
        /// Set once the connection is gone: later calls fail at once.
        var closed: (any Error)?
    }

    /// What the connection and its frame handler share.
    private final class Shared: Sendable {
        let state = Mutex(State())
    }

    private let channel: any Channel
    private let shared: Shared

    private init(channel: any Channel, shared: Shared) {
        self.channel = channel
        self.shared = shared
    }

    /// Every event received so far, oldest first.
    var events: [DevToolsMessage] { shared.state.withLock { $0.events } }

    /// Connects to `ws://host:port/path` (the address Chromium prints as `DevTools listening on …`).
    static func connect(to webSocketURL: String) async throws -> DevToolsConnection {
        guard let url = URL(string: webSocketURL), url.scheme == "ws", let host = url.host, let port = url.port else {
            throw DevToolsError("not a DevTools WebSocket address: \(webSocketURL)")
        }
        let shared = Shared()
        let upgraded: EventLoopFuture<(any Channel)?> = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOTypedWebSocketClientUpgrader<(any Channel)?>(
                        maxFrameSize: 1 << 26,  // screenshots come as one large frame
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(FrameHandler(shared: shared))
                                return channel
                            }
                        }
                    )
                    var headers = HTTPHeaders()
                    headers.add(name: "Host", value: "\(host):\(port)")
                    let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: url.path, headers: headers)
                    let configuration = NIOTypedHTTPClientUpgradeConfiguration<(any Channel)?>(
                        upgradeRequestHead: head, upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in channel.eventLoop.makeSucceededFuture(nil) }
                    )
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                        configuration: .init(upgradeConfiguration: configuration)
                    )
                }
            }
        guard let channel = try await upgraded.get() else {
            throw DevToolsError("the browser did not accept a WebSocket at \(webSocketURL)")
        }
        return DevToolsConnection(channel: channel, shared: shared)
    }

    /// Sends `method` with `params` (to the page attached as `session`, or the browser) and returns its answer.
    /// - Throws: ``DevToolsError`` when the browser answers with an error or the connection ends first.
    @discardableResult
    func call(_ method: String, _ params: [String: any Sendable] = [:], session: String? = nil) async throws -> DevToolsMessage {
        let answer: DevToolsMessage = try await withCheckedThrowingContinuation { continuation in
            let id: Int? = shared.state.withLock { state in
                if let closed = state.closed {
                    continuation.resume(throwing: closed)
                    return nil
                }
                defer { state.nextID += 1 }
                state.pending[state.nextID] = continuation
                return state.nextID
            }
            guard let id else { return }
            var message: [String: Any] = ["id": id, "method": method, "params": params]
            if let session { message["sessionId"] = session }
            do {
                let data = try JSONSerialization.data(withJSONObject: message)
                let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(bytes: data))
                channel.writeAndFlush(frame).whenFailure { error in self.fail(id: id, error) }
            } catch {
                fail(id: id, error)
            }
        }
        if let error = answer.object["error"] as? [String: Any] {
            throw DevToolsError("\(method) failed: \(error["message"] as? String ?? "\(error)")")
        }
        return answer
    }

    private func fail(id: Int, _ error: any Error) {
        shared.state.withLock { $0.pending.removeValue(forKey: id) }?.resume(throwing: error)
    }

    /// The first event named `method` (from `session`, when given) among those received from the `after`-th on, waiting
    /// for it when there is none yet. Bounded by `timeout`.
    /// - Throws: ``WaitTimeout`` naming the event; ``DevToolsError`` when the connection ends first.
    @discardableResult
    func event(_ method: String, session: String? = nil, after index: Int = 0, within timeout: Duration) async throws -> DevToolsMessage {
        let found: DevToolsMessage? = try await withDeadline("the DevTools event \(method)", within: timeout, observed: { "\(self.events.count) events so far" }) {
            await withCheckedContinuation { (continuation: CheckedContinuation<DevToolsMessage?, Never>) in
                let now: DevToolsMessage?? = self.shared.state.withLock { state in
                    if let match = state.events.dropFirst(index).first(where: { Self.matches($0, method, session) }) { return .some(match) }
                    if state.closed != nil { return .some(nil) }
                    state.eventWaiters.append((method, session, continuation))
                    return .none
                }
                if let now { continuation.resume(returning: now) }
            }
        }
        guard let found else { throw DevToolsError("the DevTools connection closed before \(method)") }
        return found
    }

    fileprivate static func matches(_ message: DevToolsMessage, _ method: String, _ session: String?) -> Bool {
        let object = message.object
        return object["method"] as? String == method && (session == nil || object["sessionId"] as? String == session)
    }

    /// Closes the WebSocket; commands still waiting fail.
    func close() async {
        try? await channel.close()
    }

    /// Turns frames into messages: answers resume their command, events are kept. Fragmented messages are joined.
    private final class FrameHandler: ChannelInboundHandler {
        typealias InboundIn = WebSocketFrame
        typealias OutboundOut = WebSocketFrame

        private let shared: Shared
        private var partial: ByteBuffer?

        init(shared: Shared) {
            self.shared = shared
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            switch frame.opcode {
            case .text, .continuation:
                var data = frame.unmaskedData
                if var partial = self.partial {
                    partial.writeBuffer(&data)
                    self.partial = partial
                } else {
                    self.partial = data
                }
                guard frame.fin, let whole = self.partial else { return }
                self.partial = nil
                received(DevToolsMessage(text: String(buffer: whole)))
            case .ping:
                let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
                context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
            case .connectionClose:
                context.close(promise: nil)
            default:
                break
            }
        }

        private func received(_ message: DevToolsMessage) {
            let id = message.object["id"] as? Int
            let (waiter, eventWaiters) = shared.state.withLock { state -> (CheckedContinuation<DevToolsMessage, any Error>?, [CheckedContinuation<DevToolsMessage?, Never>]) in
                guard let id else {
                    state.events.append(message)
                    var resumed: [CheckedContinuation<DevToolsMessage?, Never>] = []
                    state.eventWaiters.removeAll { waiter in
                        guard DevToolsConnection.matches(message, waiter.method, waiter.session) else { return false }
                        resumed.append(waiter.continuation)
                        return true
                    }
                    return (nil, resumed)
                }
                return (state.pending.removeValue(forKey: id), [])
            }
            waiter?.resume(returning: message)
            for eventWaiter in eventWaiters { eventWaiter.resume(returning: message) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            let (waiters, eventWaiters) = shared.state.withLock { state in
                state.closed = DevToolsError("the DevTools connection closed")
                defer {
                    state.pending.removeAll()
                    state.eventWaiters.removeAll()
                }
                return (Array(state.pending.values), state.eventWaiters.map(\.continuation))
            }
            for waiter in waiters { waiter.resume(throwing: DevToolsError("the DevTools connection closed")) }
            for waiter in eventWaiters { waiter.resume(returning: nil) }
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
