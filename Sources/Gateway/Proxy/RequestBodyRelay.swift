import Hummingbird
import NIOCore
import Synchronization

/// Hands the client's request body to the upstream client, and guarantees that the upstream client has
/// stopped pulling before Hummingbird drains what is left of the body for the next keep-alive request.
///
/// Why: when the upstream answers (or fails) before the upload is finished, AsyncHTTPClient's body task may
/// still be inside `next()` while Hummingbird's request loop starts draining the same channel stream; two
/// concurrent `next()` calls on one `NIOAsyncChannelInboundStream` trap. `close()` marks the relay finished
/// (later pulls end the stream) and waits for a pull in progress to return.
final class RequestBodyRelay: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    private struct State {
        var closed = false
        var pulling = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let iterator: IteratorBox<RequestBody.AsyncIterator>
    private let state = Mutex(State())

    init(_ body: RequestBody) {
        self.iterator = IteratorBox(body.makeAsyncIterator())
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let relay: RequestBodyRelay
        mutating func next() async throws -> ByteBuffer? { try await relay.pull() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(relay: self) }

    private func pull() async throws -> ByteBuffer? {
        let open = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.pulling = true
            return true
        }
        guard open else { return nil }
        defer { endPull() }
        return try await iterator.iterator.next()
    }

    private func endPull() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.pulling = false
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Ends the relay: no new pulls; returns once a pull in progress has returned.
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let mustWait = state.withLock { state -> Bool in
                state.closed = true
                if state.pulling {
                    state.waiters.append(continuation)
                    return true
                }
                return false
            }
            if !mustWait { continuation.resume() }
        }
    }
}

extension Response {
    /// The same response, whose body, once written (or failed), closes `relay` before Hummingbird drains the
    /// request body.
    ///
    /// When writing fails (the upstream broke its body), the connection cannot carry anything more: `channel` is
    /// closed first, which also ends a pull stuck on a client that stalled mid-upload (waiting for that pull
    /// left such a client without an answer or a close).
    consuming func closing(_ relay: RequestBodyRelay, channel: any Channel) -> Response {
        let original = self.body
        self.body = ResponseBody(contentLength: original.contentLength) { writer in
            do {
                try await original.write(writer)
            } catch {
                channel.close(promise: nil)
                await relay.close()
                throw error
            }
            await relay.close()
        }
        return self
    }
}
