import Foundation
import Gateway
import Testing

/// Cache hits as bytes on the wire: the event-loop fast path writes the common case (HTTP/1.1 keep-alive, no
/// `Origin`) as one pre-encoded head plus the stored body, and everything else through the HTTP encoder.
/// Both forms must frame exactly and carry the same fields.
@Suite("Cache hits on the wire", .timeLimit(.minutes(3)))
struct CacheHitWireTests {
    static let list = "/api/pinning/pins/?offset=0&limit=10"

    @Test("keep-alive hits are framed exactly, carry Age, Cache-Status, X-Request-Id, and the connection stays usable")
    func encodedHits() async throws {
        let clock = ManualClock()
        try await GatewayHarness.run(clock: clock.gatewayClock) { h in
            let request = "GET \(Self.list) HTTP/1.1\r\nHost: localhost\r\n\r\n"
            let (miss, connection) = try await h.raw(request)
            #expect(miss?.status == 200)
            #expect(miss?.header("cache-status") == "pingate; fwd=miss; stored")
            clock.advance(by: .seconds(2))

            // Two hits pipelined in one write, then a HEAD: each response is parsed off the same byte stream.
            try await connection.send(request + "GET \(Self.list) HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: mine-42\r\n\r\n")
            let hit = try #require(try await connection.readResponse())
            let second = try #require(try await connection.readResponse())
            try await connection.send("HEAD \(Self.list) HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let head = try #require(try await connection.readResponse(toHEAD: true))
            // The HEAD answer ended exactly at its head: the connection still frames the next request.
            try await connection.send(request)
            let after = try #require(try await connection.readResponse())
            await connection.close()

            for response in [hit, second, after] {
                #expect(response.status == 200)
                #expect(response.body == miss?.body)
                #expect(response.header("content-length") == String(response.body.count))
                #expect(response.header("cache-status") == "pingate; hit")
                #expect(response.headerValues("age") == ["2"])
                #expect(response.headerValues("date").count == 1)
                #expect(response.header("content-type")?.hasPrefix("application/json") == true)
            }
            #expect(hit.header("x-request-id")?.count == 32)
            #expect(second.header("x-request-id") == "mine-42")
            #expect(head.status == 200 && head.body.isEmpty)
            #expect(head.header("content-length") == miss.map { String($0.body.count) })
            #expect(head.header("cache-status") == "pingate; hit")
            #expect(h.upstream.requestCount == 1)
        }
    }

    @Test("HTTP/1.0 and Connection: close hits are answered and then closed")
    func closingHits() async throws {
        try await GatewayHarness.run { h in
            let (miss, first) = try await h.raw("GET \(Self.list) HTTP/1.1\r\nHost: localhost\r\n\r\n")
            #expect(miss?.header("cache-status") == "pingate; fwd=miss; stored")
            await first.close()
            for request in [
                "GET \(Self.list) HTTP/1.0\r\nHost: localhost\r\n\r\n",
                "GET \(Self.list) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
            ] {
                let (hit, connection) = try await h.raw(request)
                #expect(hit?.status == 200)
                #expect(hit?.header("cache-status") == "pingate; hit")
                #expect(hit?.body == miss?.body)
                #expect(try await connection.waitForClose(timeout: .seconds(10)))
            }
        }
    }

    @Test("a hit for an allowed Origin carries exactly that origin back, never *")
    func corsHit() async throws {
        try await GatewayHarness.run(configure: { $0.access.allowedOrigins = ["http://tool.localhost"] }) { h in
            let request = "GET \(Self.list) HTTP/1.1\r\nHost: localhost\r\nOrigin: http://tool.localhost\r\n\r\n"
            let (miss, connection) = try await h.raw(request)
            #expect(miss?.status == 200)
            try await connection.send(request)
            let hit = try #require(try await connection.readResponse())
            await connection.close()
            #expect(hit.header("cache-status") == "pingate; hit")
            #expect(hit.headerValues("access-control-allow-origin") == ["http://tool.localhost"])
            #expect(hit.headerValues("vary").contains("Origin"))
        }
    }
}
