import AsyncHTTPClient
import FakeW3IPFS
import Foundation
import Gateway
import NIOCore
import NIOPosix
import Testing

/// The one request path end to end: HEAD forwarded upstream, the cap on upstream connections across event loops,
/// and a client that leaves mid-download.
@Suite("Request engine end to end", .timeLimit(.minutes(3)))
struct EngineTests {
    static let list = "/api/pinning/pins/?limit=10"

    @Test("HEAD goes upstream as HEAD: the GET's length, no body, and the connection frames the next request")
    func headForwarded() async throws {
        try await GatewayHarness.run(configure: { $0.cache = nil }) { h in
            let get = try await h.send(.GET, Self.list)
            let connection = try await RawHTTPConnection.connect(port: h.proxyPort)
            try await connection.send("HEAD \(Self.list) HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let head = try #require(try await connection.readResponse(toHEAD: true))
            #expect(head.status == 200)
            #expect(head.header("content-length") == String(get.body.readableBytes))
            #expect(head.body.isEmpty)
            try await connection.send("GET \(Self.list) HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let next = try #require(try await connection.readResponse())
            #expect(next.status == 200 && next.body.count == get.body.readableBytes)
            await connection.close()
            #expect(h.upstream.requests.map(\.method) == ["GET", "HEAD", "GET"])
        }
    }

    @Test("answers pingate makes itself (admin endpoints, 429s, hits for an allowed Origin) keep the connection alive")
    func localAnswersKeepAlive() async throws {
        try await GatewayHarness.run(configure: {
            $0.rateLimits = .init(upstream: .init(rate: 1.0 / 3600, burst: 1))
            $0.access.allowedOrigins = ["http://app.localhost"]
        }) { h in
            #expect(try await h.send(.GET, Self.list).status == 200)  // fills the cache, spends the budget
            let connection = try await RawHTTPConnection.connect(port: h.proxyPort)
            let requests = [
                "GET /_pingate/healthz HTTP/1.1\r\nHost: localhost\r\n\r\n",
                "GET /api/pinning/pins/?limit=3 HTTP/1.1\r\nHost: localhost\r\n\r\n",  // over budget: 429
                "GET \(Self.list) HTTP/1.1\r\nHost: localhost\r\nOrigin: http://app.localhost\r\n\r\n",  // a hit with CORS
                "GET /_pingate/cache HTTP/1.1\r\nHost: localhost\r\n\r\n",
            ]
            var statuses: [Int] = []
            for request in requests {
                try await connection.send(request)
                let response = try #require(try await connection.readResponse())
                statuses.append(response.status)
                #expect(response.header("connection") == nil, "\(request.prefix(30)): \(response.headers)")
            }
            #expect(statuses == [200, 429, 200, 200])
            #expect(!connection.sawEOF)
            await connection.close()
        }
    }

    @Test("limits.upstream_connections caps upstream connections across event loops: the rest wait and all are answered")
    func connectionCap() async throws {
        try await GatewayHarness.run(configure: {
            $0.cache = nil
            $0.upstreamConnections = 2
        }) { h in
            let fakePort = try #require(URLComponents(string: h.upstreamURL)?.port)
            // Answers are held upstream until two requests are there: a third could only arrive past the cap.
            let gate = ResponseGate()
            h.upstream.faults.gate = gate
            let census = Task { () -> Int in
                var most = 0
                while !Task.isCancelled {
                    most = max(most, SocketCensus.established(toPort: fakePort))
                    try? await Task.sleep(for: .milliseconds(5))  // sampling interval
                }
                return most
            }
            // 24 clients on their own connections: accepted connections are spread over both event loops.
            async let answered = withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<24 {
                    group.addTask {
                        let connection = try await RawHTTPConnection.connect(port: h.proxyPort)
                        try await connection.send("GET /api/pinning/pins/?limit=\(index + 1) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                        let response = try await connection.readResponse(timeout: .seconds(60))
                        await connection.close()
                        return response?.status ?? 0
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            try await h.upstream.waitForArrivals(count: 2)
            #expect(h.upstream.arrivals == 2, "more than two requests reached the upstream at once")
            #expect(SocketCensus.established(toPort: fakePort) == 2)
            gate.open()
            let statuses = try await answered
            census.cancel()
            let most = await census.value
            #expect(statuses.count == 24 && statuses.allSatisfy { $0 == 200 }, "\(statuses)")
            #expect(most >= 1 && most <= 2, "at most 2 upstream connections at once, saw \(most)")
            #expect(h.upstream.requestCount == 24)
        }
    }

    @Test("a client that leaves mid-download: the upstream exchange is abandoned (its connection closed) and pingate keeps serving")
    func clientLeavesMidDownload() async throws {
        let blobs = try await BlobOrigin.start(tls: nil)
        defer { Task { await blobs.stop() } }
        try await GatewayHarness.run(configure: {
            $0.extraRoutes = [GatewayRoute(
                name: "blobs", prefix: "/blob", upstream: try! UpstreamEndpoint("http://127.0.0.1:\(blobs.port)"),
                credentialMappings: [], cacheEnabled: false
            )]
        }) { h in
            let connection = try await RawHTTPConnection.connect(port: h.proxyPort)
            try await connection.send("GET /blob/\(512 << 20) HTTP/1.1\r\nHost: localhost\r\n\r\n")
            // Wait until the download is under way (the upstream connection exists), then leave.
            #expect(try await SocketCensus.waitUntil(timeout: .seconds(30)) { SocketCensus.established(toPort: blobs.port) == 1 })
            await connection.reset()
            #expect(try await SocketCensus.waitUntil(timeout: .seconds(30)) { SocketCensus.established(toPort: blobs.port) == 0 },
                    "the upstream connection of an abandoned download must close")
            #expect(try await h.send(.GET, "/blob/1024").status == 200)
        }
    }
}

extension SocketCensus {
    /// Connections in state ESTABLISHED whose remote port is `port` (the client ends of connections to a server).
    static func established(toPort port: Int) -> Int {
        var count = 0
        for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let table = ProcFile.text(file) else { continue }
            for line in table.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard fields.count > 3, fields[3] == "01",
                      let remotePort = fields[2].split(separator: ":").last.flatMap({ Int($0, radix: 16) })
                else { continue }
                if remotePort == port { count += 1 }
            }
        }
        return count
    }

    /// Polls `condition` until it holds (true) or `timeout` passes (false).
    static func waitUntil(timeout: Duration, _ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }
}
