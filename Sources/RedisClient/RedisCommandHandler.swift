import NIOCore

/// Matches replies to commands in the order they were written, which is what makes pipelining work: any number
/// of commands may be in flight on one connection.
///
/// Every request has a deadline. When one passes, that request fails with ``RedisClientError/timeout`` and the
/// connection is closed: the late reply would otherwise still arrive and the connection may be stuck. When the
/// connection ends, every request still waiting fails.
///
/// Pub/sub messages (`message`, `pmessage`, `smessage` arrays on a connection with `onPush`) and RESP3 pushes that
/// are not subscription confirmations go to `onPush`, or are dropped without it, instead of to a request.
final class RedisCommandHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = RESPValue

    private struct PendingReply {
        var id: UInt64
        var promise: EventLoopPromise<RESPValue>
        var remaining: Int
        var replies: [RESPValue]
        var timer: Scheduled<Void>?
    }

    private enum State {
        /// Requests are written and replies matched.
        case active
        /// The connection ended or is closing; new requests fail with the stored error.
        case closed(any Error)
    }

    private var state: State = .active
    private var pending = CircularBuffer<PendingReply>()
    private var nextID: UInt64 = 0
    private let onPush: ((RESPValue) -> Void)?

    /// - Parameter onPush: Receives pub/sub messages; `nil` on command connections, where every reply belongs to
    ///   a request.
    init(onPush: ((RESPValue) -> Void)? = nil) {
        self.onPush = onPush
    }

    // MARK: - Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = Self.unwrapOutboundIn(data)
        if case .closed(let error) = self.state {
            request.promise.fail(error)
            promise?.fail(error)
            return
        }
        let id = self.nextID
        self.nextID &+= 1
        let timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: request.deadline) {
            self.deadlinePassed(id: id, context: context)
        }
        self.pending.append(
            PendingReply(id: id, promise: request.promise, remaining: request.replyCount, replies: [], timer: timer)
        )
        let writePromise = promise ?? context.eventLoop.makePromise()
        writePromise.futureResult.whenFailure { error in
            request.promise.fail(error)
        }
        context.write(Self.wrapOutboundOut(request.command), promise: writePromise)
    }

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let value = Self.unwrapInboundIn(data)
        if self.isOutOfBand(value) {
            self.onPush?(value)
            return
        }
        guard var head = self.pending.first else {
            // A reply nobody asked for: the stream is out of step, so nothing after it can be trusted.
            self.failAll(with: RedisClientError.unexpectedReply)
            context.close(promise: nil)
            return
        }
        if case .error(let message) = value {
            self.pending.removeFirst()
            head.timer?.cancel()
            head.promise.fail(RedisServerError(message: message))
            return
        }
        head.replies.append(value)
        head.remaining -= 1
        guard head.remaining <= 0 else {
            self.pending[self.pending.startIndex] = head
            return
        }
        self.pending.removeFirst()
        head.timer?.cancel()
        head.promise.succeed(head.replies.count == 1 ? head.replies[0] : .array(head.replies))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.failAll(with: error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.failAll(with: RedisClientError.connectionClosed)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.failAll(with: RedisClientError.connectionClosed)
    }

    // MARK: - Failure

    private func deadlinePassed(id: UInt64, context: ChannelHandlerContext) {
        guard self.pending.contains(where: { $0.id == id }) else {
            return
        }
        self.failAll(with: RedisClientError.connectionClosed, timedOut: id)
        context.close(promise: nil)
    }

    /// Fails every waiting request (the one with id `timedOut` with ``RedisClientError/timeout``) and refuses
    /// further ones.
    private func failAll(with error: any Error, timedOut: UInt64? = nil) {
        if case .active = self.state {
            self.state = .closed(error)
        }
        while let reply = self.pending.popFirst() {
            reply.timer?.cancel()
            reply.promise.fail(reply.id == timedOut ? RedisClientError.timeout : error)
        }
    }

    /// Whether `value` is no reply to a request: a pub/sub message on the subscriber connection, or any RESP3
    /// push other than a subscription confirmation (which answers `SUBSCRIBE`).
    private func isOutOfBand(_ value: RESPValue) -> Bool {
        switch value {
        case .push(let elements):
            let kind = elements.first?.string?.lowercased() ?? ""
            return self.onPush == nil || !Self.subscriptionReplies.contains(kind)
        case .array(.some(let elements)) where self.onPush != nil:
            guard let kind = elements.first?.string?.lowercased() else { return false }
            return kind == "message" || kind == "pmessage" || kind == "smessage"
        default:
            return false
        }
    }

    private static let subscriptionReplies: Set<String> = [
        "subscribe", "unsubscribe", "psubscribe", "punsubscribe", "ssubscribe", "sunsubscribe",
    ]
}

@available(*, unavailable)
extension RedisCommandHandler: Sendable {}
