import NIOCore
import NIOHTTP1
import Testing

@testable import Gateway

/// The guard's decisions without sockets: time is a parameter (a manual clock), so every timeout is exact.
@Suite("Request guard state machine")
struct RequestGuardStateMachineTests {
    static let limits = RequestLimits(maxBodyBytes: 10, headerTimeout: .seconds(10), lingerTimeout: .seconds(2), idleTimeout: .seconds(75))
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    static func head(_ method: HTTPMethod = .GET, _ uri: String = "/api/pinning/pins/", headers: [(String, String)] = [("Host", "localhost")]) -> HTTPRequestHead {
        HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: HTTPHeaders(headers))
    }

    @Test("a head that does not arrive within the header timeout is refused with 408, not a moment before")
    func headerTimeout() {
        var machine = RequestGuardStateMachine(limits: Self.limits)
        machine.connectionOpened(now: Self.start, peerCheckNeeded: false)
        #expect(machine.deadline == Self.start + .seconds(10))
        #expect(machine.timerFired(now: Self.start + .seconds(9), headBytesSeen: true) == .none)
        #expect(machine.timerFired(now: Self.start + .seconds(10), headBytesSeen: true) == .refuse(.headerTimeout))
        #expect(machine.phase == .closing)
    }

    @Test("a connection that sent nothing is closed at the header timeout without an answer")
    func silentConnection() {
        var machine = RequestGuardStateMachine(limits: Self.limits)
        machine.connectionOpened(now: Self.start, peerCheckNeeded: false)
        #expect(machine.timerFired(now: Self.start + .seconds(10), headBytesSeen: false) == .close)
    }

    @Test("after a request, the idle deadline runs only once its answer ended; the next head's bytes start the header deadline")
    func idleThenNextHead() {
        var machine = RequestGuardStateMachine(limits: Self.limits)
        machine.connectionOpened(now: Self.start, peerCheckNeeded: false)
        var head = Self.head()
        #expect(machine.headReceived(&head, isUnixSocket: false, access: AccessPolicy()) == .forward)
        #expect(machine.deadline == nil, "no header deadline while a request is being answered")
        #expect(machine.endReceived(now: Self.start + .seconds(1)) == .forward)
        #expect(machine.deadline == nil, "the answer is still pending: not idle")
        machine.answerEnded(now: Self.start + .seconds(2))
        #expect(machine.deadline == Self.start + .seconds(77))
        #expect(machine.timerFired(now: Self.start + .seconds(76), headBytesSeen: false) == .none)
        machine.headStarted(now: Self.start + .seconds(30))
        #expect(machine.deadline == Self.start + .seconds(40))
        #expect(machine.phase == .awaitingHead)
    }

    @Test("an idle keep-alive connection is closed at the idle timeout")
    func idleTimeout() {
        var machine = RequestGuardStateMachine(limits: Self.limits)
        machine.connectionOpened(now: Self.start, peerCheckNeeded: false)
        var head = Self.head()
        _ = machine.headReceived(&head, isUnixSocket: false, access: AccessPolicy())
        _ = machine.endReceived(now: Self.start)
        machine.answerEnded(now: Self.start)
        #expect(machine.timerFired(now: Self.start + .seconds(75), headBytesSeen: false) == .close)
    }

    @Test("a pipelined head stalled behind an answer in progress is judged once that answer ends")
    func pipelinedHeadBehindAnswer() {
        var machine = RequestGuardStateMachine(limits: Self.limits)
        machine.connectionOpened(now: Self.start, peerCheckNeeded: false)
        var head = Self.head()
        _ = machine.headReceived(&head, isUnixSocket: false, access: AccessPolicy())
        _ = machine.endReceived(now: Self.start)
        machine.headStarted(now: Self.start)  // the next request's bytes arrive while the first is answered
        #expect(machine.timerFired(now: Self.start + .seconds(10), headBytesSeen: true) == .none)
        #expect(machine.deadline == Self.start + .seconds(20))
    }

    @Test("a body that grows past the limit is refused with 413 as it streams")
    func bodyTooLarge() {
        var machine = RequestGuardStateMachine(limits: Self.limits)
        machine.connectionOpened(now: Self.start, peerCheckNeeded: false)
        var head = Self.head(.POST, headers: [("Host", "localhost"), ("Transfer-Encoding", "chunked")])
        #expect(machine.headReceived(&head, isUnixSocket: false, access: AccessPolicy()) == .forward)
        #expect(machine.bodyReceived(6) == .forward)
        #expect(machine.bodyReceived(5) == .refuse(.bodyTooLarge(10)))
        #expect(machine.bodyReceived(1) == .none, "nothing more is passed on after a refusal")
    }

    @Test("framing and access refusals come from the head; a unix socket without Host means the socket itself")
    func headRefusals() {
        var machine = RequestGuardStateMachine(limits: Self.limits)
        machine.connectionOpened(now: Self.start, peerCheckNeeded: false)
        var evil = Self.head(headers: [("Host", "evil.example")])
        guard case .refuse(let refusal) = machine.headReceived(&evil, isUnixSocket: false, access: AccessPolicy()) else {
            Issue.record("a foreign Host must be refused")
            return
        }
        #expect(refusal.code == "host_not_allowed")

        var unix = RequestGuardStateMachine(limits: Self.limits)
        unix.connectionOpened(now: Self.start, peerCheckNeeded: false)
        var noHost = Self.head(headers: [])
        #expect(unix.headReceived(&noHost, isUnixSocket: true, access: AccessPolicy()) == .forward)
        #expect(noHost.headers.first(name: "host") == "localhost")
    }

    @Test("a unix-socket peer whose uid is not allowed is refused at its first head")
    func peerRefused() {
        var machine = RequestGuardStateMachine(limits: Self.limits)
        machine.connectionOpened(now: Self.start, peerCheckNeeded: true)
        machine.peerChecked(allowed: false)
        var head = Self.head()
        #expect(machine.headReceived(&head, isUnixSocket: true, access: AccessPolicy()) == .refuse(.peerNotAllowed))
    }

    @Test("a lingering close ends when the client closes or at the linger bound")
    func lingeringClose() {
        var machine = RequestGuardStateMachine(limits: Self.limits)
        machine.connectionOpened(now: Self.start, peerCheckNeeded: false)
        #expect(machine.requestLineTooLong() == .refuse(.requestLineTooLong(8192)))
        machine.lingeringCloseStarted(now: Self.start + .seconds(1))
        #expect(machine.timerFired(now: Self.start + .milliseconds(2999), headBytesSeen: true) == .none)
        #expect(machine.timerFired(now: Self.start + .seconds(3), headBytesSeen: true) == .close)
    }
}
