import NIOCore
import NIOHTTP1
import Testing

@testable import Gateway

/// The upstream exchange's decisions without sockets: what goes out when, retries, reuse, backpressure.
@Suite("Upstream exchange state machine")
struct UpstreamExchangeStateMachineTests {
    typealias Machine = UpstreamExchangeStateMachine
    static let closed = UpstreamFailure(.connectionClosed, "upstream closed the connection")
    static let refused = UpstreamFailure(.connectRefused, "upstream refused the connection")
    static let ok = HTTPResponseHead(version: .http1_1, status: .ok)

    @Test("a bodiless GET: head and end go out together, the answer streams, the connection is reused")
    func simpleGet() {
        var machine = Machine(method: .GET, requestHasBody: false)
        #expect(machine.start() == [.acquireConnection(fresh: false)])
        #expect(machine.connectionReady(reused: true) == [.sendHeld([], end: true), .armReadTimeout])
        #expect(machine.responseHeadReceived(Self.ok) == [.forwardHead(Self.ok), .armReadTimeout])
        #expect(machine.responseBodyReceived(ByteBuffer(string: "x")) == [.forwardBody(ByteBuffer(string: "x")), .armReadTimeout])
        #expect(machine.responseEndReceived() == [.disarmReadTimeout, .forwardEnd(requestComplete: true), .releaseConnection])
        #expect(machine.state == .finished)
    }

    @Test("body parts that arrive before the connection are held, then sent with the head; the client is paused past the hold limit")
    func heldBody() {
        var machine = Machine(method: .POST, requestHasBody: true, holdLimit: 4)
        _ = machine.start()
        #expect(machine.requestBodyReceived(ByteBuffer(string: "ab")) == [])
        #expect(machine.requestBodyReceived(ByteBuffer(string: "cd")) == [.pauseClient])
        #expect(machine.connectionReady(reused: false) == [.sendHeld([ByteBuffer(string: "ab"), ByteBuffer(string: "cd")], end: false), .resumeClient])
        #expect(machine.requestBodyReceived(ByteBuffer(string: "e")) == [.sendBody(ByteBuffer(string: "e"))])
        #expect(machine.requestEndReceived() == [.sendEnd, .armReadTimeout])
    }

    @Test("upload backpressure: the client is paused while the upstream connection is not writable")
    func uploadBackpressure() {
        var machine = Machine(method: .POST, requestHasBody: true)
        _ = machine.start()
        _ = machine.connectionReady(reused: false)
        #expect(machine.upstreamWritabilityChanged(false) == [.pauseClient])
        #expect(machine.requestBodyReceived(ByteBuffer(string: "x")) == [.sendBody(ByteBuffer(string: "x"))], "a part already read still goes out")
        #expect(machine.upstreamWritabilityChanged(true) == [.resumeClient])
    }

    @Test("a pause for the upload never outlives it: the request's end resumes the client, and so does writability after it")
    func pauseEndsWithTheUpload() {
        var machine = Machine(method: .POST, requestHasBody: true)
        _ = machine.start()
        _ = machine.connectionReady(reused: false)
        #expect(machine.upstreamWritabilityChanged(false) == [.pauseClient])
        // The last parts were already read when the pause came.
        #expect(machine.requestBodyReceived(ByteBuffer(string: "x")) == [.sendBody(ByteBuffer(string: "x"))])
        #expect(machine.requestEndReceived() == [.sendEnd, .armReadTimeout, .resumeClient])
        #expect(machine.upstreamWritabilityChanged(true) == [], "already resumed")
    }

    @Test("download backpressure: the upstream is not read (and no read timeout runs) while the client is not writable")
    func downloadBackpressure() {
        var machine = Machine(method: .GET, requestHasBody: false)
        _ = machine.start()
        _ = machine.connectionReady(reused: false)
        _ = machine.responseHeadReceived(Self.ok)
        #expect(machine.clientWritabilityChanged(false) == [.pauseUpstream, .disarmReadTimeout])
        #expect(machine.clientWritabilityChanged(true) == [.resumeUpstream, .armReadTimeout])
    }

    @Test("a refused connection is retried once on a new connection, for any method; a second refusal fails")
    func connectRefusedRetry() {
        var machine = Machine(method: .POST, requestHasBody: true)
        _ = machine.start()
        #expect(machine.connectionFailed(Self.refused) == [.retry(reason: "connect_refused", failure: Self.refused)])
        #expect(machine.connectionFailed(Self.refused) == [.fail(Self.refused)])
    }

    @Test("a reused connection closed before any byte of the answer: an idempotent request is retried once")
    func staleConnectionRetry() {
        var machine = Machine(method: .GET, requestHasBody: false)
        _ = machine.start()
        _ = machine.connectionReady(reused: true)
        #expect(machine.upstreamFailed(Self.closed) == [.disarmReadTimeout, .closeConnection, .retry(reason: "stale_connection", failure: Self.closed)])
        #expect(machine.connectionReady(reused: false) == [.sendHeld([], end: true), .armReadTimeout])
        #expect(machine.upstreamFailed(Self.closed) == [.disarmReadTimeout, .closeConnection, .fail(Self.closed)], "only one retry")
    }

    @Test("a POST whose body went out is never retried; nor is a fresh connection, nor an answer already begun")
    func noUnsafeRetry() {
        var post = Machine(method: .POST, requestHasBody: true)
        _ = post.start()
        _ = post.connectionReady(reused: true)
        _ = post.requestBodyReceived(ByteBuffer(string: "{}"))
        #expect(post.upstreamFailed(Self.closed).last == .fail(Self.closed))

        var fresh = Machine(method: .GET, requestHasBody: false)
        _ = fresh.start()
        _ = fresh.connectionReady(reused: false)
        #expect(fresh.upstreamFailed(Self.closed).last == .fail(Self.closed))

        var begun = Machine(method: .GET, requestHasBody: false)
        _ = begun.start()
        _ = begun.connectionReady(reused: true)
        _ = begun.responseHeadReceived(Self.ok)
        #expect(begun.upstreamFailed(Self.closed).last == .abort(Self.closed))
    }

    @Test("a retry the budget refuses answers the failure that caused it")
    func retryRefused() {
        var machine = Machine(method: .GET, requestHasBody: false)
        _ = machine.start()
        _ = machine.connectionFailed(Self.refused)
        #expect(machine.retryRefused(Self.refused) == [.fail(Self.refused)])
        #expect(machine.state == .finished)
    }

    @Test("an answer that ends before the upload does closes the connection and reports the request incomplete")
    func earlyAnswer() {
        var machine = Machine(method: .POST, requestHasBody: true)
        _ = machine.start()
        _ = machine.connectionReady(reused: false)
        _ = machine.requestBodyReceived(ByteBuffer(string: "part"))
        let refusal = HTTPResponseHead(version: .http1_1, status: .payloadTooLarge)
        #expect(machine.responseHeadReceived(refusal) == [.forwardHead(refusal), .armReadTimeout])
        #expect(machine.responseEndReceived() == [.disarmReadTimeout, .forwardEnd(requestComplete: false), .closeConnection])
        #expect(machine.requestBodyReceived(ByteBuffer(string: "more")) == [], "the rest of the upload is dropped")
    }

    @Test("the read timeout fails an exchange with no answer yet, and aborts one whose answer began")
    func readTimeout() {
        var waiting = Machine(method: .GET, requestHasBody: false)
        _ = waiting.start()
        _ = waiting.connectionReady(reused: false)
        let timeout = UpstreamFailure(.readTimeout, "no answer within the read timeout")
        #expect(waiting.readTimedOut() == [.closeConnection, .fail(timeout)])

        var streaming = Machine(method: .GET, requestHasBody: false)
        _ = streaming.start()
        _ = streaming.connectionReady(reused: false)
        _ = streaming.responseHeadReceived(Self.ok)
        #expect(streaming.readTimedOut() == [.closeConnection, .abort(timeout)])
    }

    @Test("a client that leaves abandons the exchange with its connection (never pooled)")
    func clientLeaves() {
        var machine = Machine(method: .POST, requestHasBody: true)
        _ = machine.start()
        _ = machine.connectionReady(reused: false)
        #expect(machine.clientClosed() == [.disarmReadTimeout, .closeConnection])
        #expect(machine.responseHeadReceived(Self.ok) == [])

        var acquiring = Machine(method: .GET, requestHasBody: false)
        _ = acquiring.start()
        #expect(acquiring.clientClosed() == [])
        #expect(acquiring.connectionReady(reused: true) == [.releaseConnection], "a connection that arrives late goes back to the pool")
    }
}
