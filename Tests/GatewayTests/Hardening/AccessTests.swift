import FakeW3IPFS
import Foundation
import Gateway
import NIOCore
import Testing

/// The Host allow-list (DNS rebinding) and the Origin allow-list, through the real server on raw sockets so
/// the `Host` header is exactly what the test says.
@Suite("Hardening: Host and Origin allow-lists", .timeLimit(.minutes(3)))
struct HardeningAccessTests {
    static let list = "/api/pinning/pins/"

    static func get(_ h: GatewayHarness, hostLine: String?, extra: String = "", target: String = list) async throws -> RawResponse? {
        let host = hostLine.map { "Host: \($0)\r\n" } ?? ""
        let (response, connection) = try await h.raw("GET \(target) HTTP/1.1\r\n\(host)\(extra)\r\n")
        if response.map({ $0.status >= 400 }) ?? true {
            #expect(try await connection.waitForClose(), "refusal left the connection open")
        }
        await connection.close()
        return response
    }

    @Test("loopback names are accepted, any port, any case, one trailing dot", arguments: [
        "localhost", "localhost.", "LOCALHOST", "LocalHost.:8787", "localhost:8787", "localhost:1",
        "127.0.0.1", "127.0.0.1:8787", "127.0.0.1.", "[::1]", "[::1]:1234", "localhost:",
    ])
    func loopbackAccepted(host: String) async throws {
        try await GatewayHarness.run { h in
            h.upstream.resetLog()
            let response = try await Self.get(h, hostLine: host)
            #expect(response?.status == 200, "Host: \(host)")
            #expect(h.upstream.requestCount == 1)
        }
    }

    @Test("other names and addresses → 403 with no upstream call", arguments: [
        "evil.example", "evil.example:8787", "127.0.0.1.evil.example", "localhost.evil.example", "evil-localhost",
        "192.168.1.10", "192.168.1.10:8787", "10.0.0.1", "0.0.0.0", "[::]", "[::2]:80", "[fe80::1]", "127.0.0.2",
        "localhost..", "localhost:abc", "localhost:8787:1", "user@localhost", "localhost/x", "[::1", "127.1",
        "2130706433", "0x7f000001", "[::ffff:127.0.0.1]", "",
    ])
    func othersRefused(host: String) async throws {
        try await GatewayHarness.run { h in
            h.upstream.resetLog()
            let response = try await Self.get(h, hostLine: host)
            #expect(response?.status == (host.isEmpty ? 400 : 403), "Host: \(host)")
            #expect(response?.header("connection") == "close")
            #expect(response?.header("access-control-allow-origin") == nil)
            #expect(h.upstream.requestCount == 0, "Host: \(host) reached the upstream")
        }
    }

    @Test("missing Host → 400 (HTTP/1.1 and HTTP/1.0)")
    func missingHost() async throws {
        try await GatewayHarness.run { h in
            h.upstream.resetLog()
            #expect((try await Self.get(h, hostLine: nil))?.status == 400)
            let (response, connection) = try await h.raw("GET \(Self.list) HTTP/1.0\r\n\r\n")
            #expect(response?.status == 400)
            #expect(response?.errorCode == "missing_host")
            await connection.close()
            #expect(h.upstream.requestCount == 0)
        }
    }

    @Test("admin endpoints are behind the same Host check")
    func adminBehindHostCheck() async throws {
        try await GatewayHarness.run { h in
            try Task.checkCancellation()
            #expect((try await Self.get(h, hostLine: "evil.example", target: "/_pingate/cache"))?.status == 403)
            #expect((try await Self.get(h, hostLine: "localhost", target: "/_pingate/cache"))?.status == 200)
        }
    }

    @Test("an absolute-form target is held to the same allow-list")
    func absoluteForm() async throws {
        try await GatewayHarness.run { h in
            try Task.checkCancellation()
            h.upstream.resetLog()
            #expect((try await Self.get(h, hostLine: "localhost", target: "http://evil.example/api/pinning/pins/"))?.status == 403)
            #expect(h.upstream.requestCount == 0)
            #expect((try await Self.get(h, hostLine: "localhost", target: "http://localhost:8787/api/pinning/pins/"))?.status == 200)
        }
    }

    @Test("a configured host name is accepted (with port and trailing dot)")
    func configuredHost() async throws {
        try await GatewayHarness.run(configure: { $0.access = AccessPolicy(extraHosts: ["Pingate.Internal"]) }) { h in
            try Task.checkCancellation()
            #expect((try await Self.get(h, hostLine: "pingate.internal:8787"))?.status == 200)
            #expect((try await Self.get(h, hostLine: "PINGATE.INTERNAL."))?.status == 200)
            #expect((try await Self.get(h, hostLine: "pingate.internal.evil.example"))?.status == 403)
            #expect((try await Self.get(h, hostLine: "localhost"))?.status == 200)
        }
    }

    @Test("Origin: absent is fine, anything not configured → 403, a configured one passes; never ACAO *")
    func origin() async throws {
        try await GatewayHarness.run { h in
            h.upstream.resetLog()
            #expect((try await Self.get(h, hostLine: "localhost"))?.status == 200)
            for origin in ["http://evil.example", "null", "http://localhost", "http://127.0.0.1:8787", ""] {
                let response = try await Self.get(h, hostLine: "localhost", extra: "Origin: \(origin)\r\n")
                #expect(response?.status == 403, "Origin: \(origin)")
                #expect(response?.errorCode == "origin_not_allowed")
                #expect(response?.header("access-control-allow-origin") == nil)
            }
            #expect(h.upstream.requestCount == 1)
        }
        try await GatewayHarness.run(configure: { $0.access = AccessPolicy(allowedOrigins: ["http://tool.local:3000"]) }) { h in
            h.upstream.resetLog()
            let allowed = try await Self.get(h, hostLine: "localhost", extra: "Origin: http://tool.local:3000\r\n")
            #expect(allowed?.status == 200)
            #expect(allowed?.headerValues("access-control-allow-origin") == ["http://tool.local:3000"], "an allowed Origin gets exactly itself back")
            #expect((try await Self.get(h, hostLine: "localhost", extra: "Origin: http://tool.local:3001\r\n"))?.status == 403)
            #expect((try await Self.get(h, hostLine: "localhost", extra: "Origin: http://evil.example\r\n"))?.status == 403)
            #expect(h.upstream.requestCount == 1)
        }
    }

    @Test("no response ever carries Access-Control-Allow-Origin: *, even when the upstream sends it")
    func neverWildcardACAO() async throws {
        try await GatewayHarness.run(configure: { $0.access = AccessPolicy(allowedOrigins: ["http://tool.local"]) }) { h in
            h.upstream.updateFaults { $0.extraResponseHeaders = [("Access-Control-Allow-Origin", "*")] }
            for (target, extra) in [(Self.list, ""), (Self.list, "Origin: http://tool.local\r\n"), ("/_pingate/healthz", "Origin: http://tool.local\r\n"),
                                    (Self.list, "Origin: http://evil.example\r\n")] {
                let response = try await Self.get(h, hostLine: "localhost", extra: extra, target: target)
                #expect(response != nil)
                #expect(!(response?.headerValues("access-control-allow-origin").contains("*") ?? false), "\(target) \(extra)")
            }
        }
    }
}
