@testable import Gateway
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

/// Header, idle and linger timeouts, on virtual time: the guard's state machine with explicit instants, and the
/// whole connection pipeline on an `EmbeddedChannel` whose clock the test advances. No wall clock is involved.
@Suite("Hardening: header and idle timeouts (virtual time)", .timeLimit(.minutes(1)))
struct GuardTimeoutTests {
    static let healthz = "GET /_pingate/healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
    static let cached = "/api/pinning/pins/?limit=1"
    /// A GET the gateway answers from its cache (``EmbeddedConnection/storeHit(target:json:)`` first): keep-alive.
    static let hit = "GET \(cached) HTTP/1.1\r\nHost: localhost\r\n\r\n"
    static let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)

    static func limits(header: TimeAmount = .seconds(10), idle: TimeAmount? = .seconds(60)) -> RequestLimits {
        RequestLimits(headerTimeout: header, lingerTimeout: .seconds(2), idleTimeout: idle)
    }

    static func head(_ uri: String = "/_pingate/healthz") -> HTTPRequestHead {
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: uri)
        head.headers.add(name: "Host", value: "localhost")
        return head
    }

    /// Accepts one request and ends it at `now`.
    static func accept(_ machine: inout RequestGuardStateMachine, now: NIODeadline) {
        var head = head()
        #expect(machine.headReceived(&head, isUnixSocket: false, access: AccessPolicy()) == .forward)
        #expect(machine.endReceived(now: now) == .forward)
    }

    // MARK: - State machine

    @Test("a head that has not arrived at headerTimeout is refused with a 408; not a moment before")
    func headerDeadline() {
        var machine = RequestGuardStateMachine(limits: Self.limits(header: .seconds(10)))
        machine.connectionOpened(now: Self.t0, peerCheckNeeded: false)
        #expect(machine.deadline == Self.t0 + .seconds(10))
        #expect(machine.timerFired(now: Self.t0 + .seconds(10) - .nanoseconds(1), headBytesSeen: true) == .none)
        #expect(machine.timerFired(now: Self.t0 + .seconds(10), headBytesSeen: true) == .refuse(.headerTimeout))
        #expect(machine.phase == .closing)
    }

    @Test("a connection that sent nothing by headerTimeout is closed without an answer")
    func silentConnection() {
        var machine = RequestGuardStateMachine(limits: Self.limits(header: .seconds(10)))
        machine.connectionOpened(now: Self.t0, peerCheckNeeded: false)
        #expect(machine.timerFired(now: Self.t0 + .seconds(10), headBytesSeen: false) == .close)
    }

    @Test("the idle deadline starts when the last answer ends, and each answer moves it")
    func idleDeadline() {
        var machine = RequestGuardStateMachine(limits: Self.limits(idle: .seconds(5)))
        machine.connectionOpened(now: Self.t0, peerCheckNeeded: false)
        Self.accept(&machine, now: Self.t0 + .seconds(1))
        #expect(machine.deadline == nil, "no idle deadline while an answer is pending")
        machine.answerEnded(now: Self.t0 + .seconds(2))
        #expect(machine.deadline == Self.t0 + .seconds(7))

        // The next request, answered: the deadline moves; the old instant finds nothing due.
        machine.headStarted(now: Self.t0 + .seconds(6))
        Self.accept(&machine, now: Self.t0 + .seconds(6))
        machine.answerEnded(now: Self.t0 + .seconds(6))
        #expect(machine.timerFired(now: Self.t0 + .seconds(7), headBytesSeen: false) == .none)
        #expect(machine.timerFired(now: Self.t0 + .seconds(11), headBytesSeen: false) == .close)
    }

    @Test("no idle timeout configured: a finished connection has no deadline")
    func noIdleTimeout() {
        var machine = RequestGuardStateMachine(limits: Self.limits(idle: nil))
        machine.connectionOpened(now: Self.t0, peerCheckNeeded: false)
        Self.accept(&machine, now: Self.t0)
        machine.answerEnded(now: Self.t0)
        #expect(machine.deadline == nil)
    }

    @Test("a pipelined head stalled behind an answer in progress is judged only after that answer")
    func pipelinedHeadBehindAnswer() {
        var machine = RequestGuardStateMachine(limits: Self.limits(header: .seconds(10)))
        machine.connectionOpened(now: Self.t0, peerCheckNeeded: false)
        Self.accept(&machine, now: Self.t0)
        machine.headStarted(now: Self.t0)
        #expect(machine.timerFired(now: Self.t0 + .seconds(10), headBytesSeen: true) == .none)
        #expect(machine.deadline == Self.t0 + .seconds(20))
        machine.answerEnded(now: Self.t0 + .seconds(15))
        #expect(machine.timerFired(now: Self.t0 + .seconds(20), headBytesSeen: true) == .refuse(.headerTimeout))
    }

    @Test("a lingering close ends at the linger bound")
    func lingerBound() {
        var machine = RequestGuardStateMachine(limits: Self.limits())
        machine.connectionOpened(now: Self.t0, peerCheckNeeded: false)
        machine.lingeringCloseStarted(now: Self.t0)
        #expect(machine.timerFired(now: Self.t0 + .seconds(1), headBytesSeen: true) == .none)
        #expect(machine.timerFired(now: Self.t0 + .seconds(2), headBytesSeen: true) == .close)
    }

    // MARK: - Pipeline on an embedded loop

    @Test("a head that stalls gets a 408 JSON answer with Connection: close at headerTimeout, then the connection closes")
    func stalledHeadOnPipeline() throws {
        let connection = try EmbeddedConnection { $0.headerTimeout = .seconds(10) }
        try connection.send("GET /api/pinning/pins/ HTTP/1.1\r\nHost: local")
        connection.advance(by: .seconds(10) - .milliseconds(1))
        #expect(try connection.pendingOutput() == 0, "answered before the header timeout")
        #expect(connection.isOpen)
        connection.advance(by: .milliseconds(1))
        let response = try #require(try connection.nextResponse(), "no answer at the header timeout")
        #expect(response.status == 408)
        #expect(response.header("connection") == "close")
        #expect(response.header("content-type") == "application/json")
        connection.advance(by: .seconds(3))  // past the linger bound
        #expect(!connection.isOpen)
    }

    @Test("dribbling a head a byte at a time does not move the header deadline")
    func dribbledHead() throws {
        let connection = try EmbeddedConnection { $0.headerTimeout = .seconds(10) }
        let bytes = Array("GET /api/pinning/pins/ HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".utf8)
        // One byte every 100 ms of virtual time: the head is still incomplete when 10 s have passed.
        for byte in bytes.prefix(100) {
            try connection.send(String(decoding: [byte], as: UTF8.self))
            connection.advance(by: .milliseconds(100))
        }
        let response = try #require(try connection.nextResponse(), "no 408 after dribbling for the whole header timeout")
        #expect(response.status == 408)
    }

    @Test("a connection that sends nothing is closed at headerTimeout, without an answer")
    func silentOnPipeline() throws {
        let connection = try EmbeddedConnection { $0.headerTimeout = .seconds(10) }
        connection.advance(by: .seconds(10) - .milliseconds(1))
        #expect(connection.isOpen)
        connection.advance(by: .milliseconds(1))
        #expect(!connection.isOpen)
        #expect(try connection.pendingOutput() == 0)
    }

    @Test("a complete request right away is answered and the header timeout does not touch it")
    func promptRequest() throws {
        let connection = try EmbeddedConnection { $0.headerTimeout = .seconds(10); $0.idleTimeout = .seconds(60) }
        try connection.storeHit(target: Self.cached)
        try connection.send(Self.hit)
        #expect(try connection.nextResponse()?.status == 200)
        connection.advance(by: .seconds(30))
        #expect(try connection.pendingOutput() == 0, "something was written after the answer")
        #expect(connection.isOpen, "closed within the idle timeout")
    }

    @Test("an idle keep-alive connection is closed at idleTimeout after its last answer")
    func idleOnPipeline() throws {
        let connection = try EmbeddedConnection { $0.idleTimeout = .seconds(5) }
        try connection.storeHit(target: Self.cached)
        try connection.send(Self.hit)
        #expect(try connection.nextResponse()?.header("cache-status") == "pingate; hit")
        connection.advance(by: .seconds(5) - .milliseconds(1))
        #expect(connection.isOpen)
        connection.advance(by: .milliseconds(1))
        #expect(!connection.isOpen)
    }

    @Test("a connection kept busy with cache hits outlives idleTimeout many times over; left alone it is closed")
    func busyIsNotIdle() throws {
        let connection = try EmbeddedConnection { $0.idleTimeout = .seconds(5) }
        try connection.storeHit(target: Self.cached)
        for round in 0..<20 {
            try connection.send(Self.hit)
            #expect(try connection.nextResponse()?.header("cache-status") == "pingate; hit", "round \(round)")
            connection.advance(by: .seconds(4))
            #expect(connection.isOpen, "closed while busy, after \(round + 1) answers")
        }
        // 80 s of virtual time, 16 idle timeouts, and still open; now left alone.
        connection.advance(by: .seconds(1))
        #expect(!connection.isOpen)
    }
}
