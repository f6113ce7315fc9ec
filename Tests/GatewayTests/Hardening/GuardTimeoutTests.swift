@testable import Gateway
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

/// Header and idle timeouts on the whole connection pipeline (an `EmbeddedChannel` whose clock the test advances):
/// the state machine's decisions (RequestGuardStateMachineTests) as a client sees them. No wall clock is involved.
@Suite("Hardening: header and idle timeouts (virtual time)", .timeLimit(.minutes(1)))
struct GuardTimeoutTests {
    static let healthz = "GET /_pingate/healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
    static let cached = "/api/pinning/pins/?limit=1"
    /// A GET the gateway answers from its cache (``EmbeddedConnection/storeHit(target:json:)`` first): keep-alive.
    static let hit = "GET \(cached) HTTP/1.1\r\nHost: localhost\r\n\r\n"
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
