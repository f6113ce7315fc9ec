import AsyncHTTPClient
import FakeW3IPFS
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Gateway
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

/// End to end: the real gateway in front of the fake upstream, over loopback sockets.
@Suite("Forwarding end to end", .timeLimit(.minutes(3)))
struct ForwardingTests {
    @Test("all five documented endpoints answer through the proxy as the fake answers directly")
    func fiveEndpoints() async throws {
        try await GatewayHarness.run { h in
            let (type, text) = MultipartBody.file("a.txt", content: "hello", metadataName: "a.txt")
            let body = ByteBuffer(string: text)
            let upload = try await h.send(.POST, "/api/pinning/", headers: [("Content-Type", type)], body: .bytes(body))
            #expect(upload.status == 201)
            let data = try #require(upload.json?["data"] as? [String: Any])
            let id = try #require(data["id"] as? String)
            #expect(upload.json?["status"] as? String == "success")

            let byHash = try await h.send(.POST, "/api/pinning/pinByHash", headers: [("Content-Type", "application/json")],
                                          body: .bytes(ByteBuffer(string: #"{"hash_to_pin":"Qmc1135ziMvmFG534i75E8HpJoLqzLzgKBxfjBV9cBsMAs","metadata":{"name":"n"}}"#)))
            #expect(byHash.status == 200)
            #expect((byHash.json?["data"] as? [String: Any])?["is_pin_by_hash"] as? Bool == true)

            for path in ["/api/pinning/\(id)", "/api/pinning/pins/?offset=0&limit=10&pinned=all&sortBy=name&sortOrder=ASC", "/api/pinning/does-not-exist"] {
                let proxied = try await h.send(.GET, path)
                let direct = try await h.direct(.GET, path)
                #expect(proxied.status == direct.status, "\(path)")
                #expect(proxied.body == direct.body, "\(path) body differs")
                #expect(proxied.headers["content-type"] == direct.headers["content-type"])
            }

            let unpin = try await h.send(.DELETE, "/api/pinning/unpin/\(id)")
            #expect(unpin.status == 200)
            let after = try await h.direct(.GET, "/api/pinning/\(id)")
            let afterProxied = try await h.send(.GET, "/api/pinning/\(id)")
            #expect(afterProxied.body == after.body)
        }
    }

    @Test("exactly one of each credential header arrives, equal to the vault's values")
    func credentialsInjected() async throws {
        try await GatewayHarness.run { h in
            h.upstream.resetLog()
            let reply = try await h.send(.GET, "/api/pinning/pins/")
            #expect(reply.status == 200)
            let recorded = try #require(h.upstream.requests.last)
            let apiKeys = recorded.headers.filter { $0.name.lowercased() == "pinning_api_key" }
            let secrets = recorded.headers.filter { $0.name.lowercased() == "pinning_secret_key" }
            #expect(apiKeys.map(\.value) == [TestVault.apiKey])
            #expect(secrets.map(\.value) == [TestVault.secretKey])
        }
    }

    @Test("client credentials and hop-by-hop headers never reach the upstream")
    func strippedHeaders() async throws {
        try await GatewayHarness.run { h in
            h.upstream.resetLog()
            let reply = try await h.send(.GET, "/api/pinning/pins/", headers: [
                ("pinning_api_key", "client-key"),
                ("Pinning-Api-Key", "client-key-dashes"),
                ("pinning-secret-key", "client-secret-dashes"),
                ("PINNING_SECRET_KEY", "client-secret"),
                ("Authorization", "Bearer client-token"),
                ("Proxy-Authorization", "Basic eA=="),
                ("Cookie", "session=client"),
                ("Connection", "keep-alive, X-Drop-Me"),
                ("X-Drop-Me", "hop"),
                ("Keep-Alive", "timeout=5"),
                ("TE", "trailers"),
                ("Trailer", "X-Checksum"),
                ("Proxy-Connection", "keep-alive"),
                ("X-Kept", "end-to-end"),
            ])
            #expect(reply.status == 200)
            let recorded = try #require(h.upstream.requests.last)
            let names = Set(recorded.headers.map { $0.name.lowercased() })
            for dropped in ["authorization", "proxy-authorization", "cookie", "x-drop-me", "keep-alive", "te", "trailer", "proxy-connection"] {
                #expect(!names.contains(dropped), "\(dropped) was forwarded")
            }
            #expect(names.contains("x-kept"))
            let values = recorded.headers.map(\.value)
            for leaked in ["client-key", "client-key-dashes", "client-secret-dashes", "client-secret", "Bearer client-token", "session=client"] {
                #expect(!values.contains(leaked), "\(leaked) was forwarded")
            }
            #expect(recorded.headers.filter { HeaderName.folded($0.name) == "pinning_api_key" }.map(\.value) == [TestVault.apiKey])
        }
    }

    @Test("hop-by-hop response headers from the upstream do not reach the client")
    func responseHopByHop() async throws {
        try await GatewayHarness.run { h in
            h.upstream.faults.extraResponseHeaders = [("Connection", "X-Upstream-Hop"), ("X-Upstream-Hop", "1"), ("Proxy-Authenticate", "Basic"), ("X-Upstream-Kept", "1")]
            let reply = try await h.send(.GET, "/api/pinning/pins/")
            #expect(reply.status == 200)
            #expect(reply.headers["x-upstream-hop"].isEmpty)
            #expect(reply.headers["proxy-authenticate"].isEmpty)
            #expect(reply.headers["x-upstream-kept"] == ["1"])
        }
    }

    @Test("a 100 MiB upload generated on the fly arrives with the right sha256")
    func largeStreamedUpload() async throws {
        let upload = GeneratedUpload(size: 100 << 20)
        let expected = upload.expectedSHA256
        try await GatewayHarness.run { h in
            h.upstream.resetLog()
            let reply = try await h.send(.POST, "/api/pinning/", headers: [("Content-Type", upload.contentType)],
                                         body: .stream(upload, length: .known(Int64(upload.totalLength))))
            #expect(reply.status == 201)
            let recorded = try #require(h.upstream.requests.last)
            #expect(recorded.fileByteCount == upload.fileSize)
            #expect(recorded.fileSHA256 == expected)
            #expect(recorded.bodyByteCount == upload.totalLength)
        }
    }

    @Test("a chunked upload of unknown length streams through too")
    func chunkedUpload() async throws {
        let upload = GeneratedUpload(size: 3 << 20)
        let expected = upload.expectedSHA256
        try await GatewayHarness.run { h in
            let reply = try await h.send(.POST, "/api/pinning/", headers: [("Content-Type", upload.contentType)], body: .stream(upload, length: .unknown))
            #expect(reply.status == 201)
            #expect(h.upstream.requests.last?.fileSHA256 == expected)
        }
    }

    @Test("upstream down → 502 JSON without secrets")
    func upstreamDown() async throws {
        try await ClosedPort.with { closedPort in try await GatewayHarness.run(upstreamURL: "http://127.0.0.1:\(closedPort)") { h in
            let reply = try await h.send(.GET, "/api/pinning/pins/")
            #expect(reply.status == 502)
            #expect(reply.json?["status"] as? String == "error")
            #expect(reply.json?["error"] as? String == "upstream_unavailable")
            #expect(!reply.text.contains(TestVault.apiKey) && !reply.text.contains(TestVault.secretKey))
        } }
    }

    @Test("slow upstream → 504")
    func slowUpstream() async throws {
        try await GatewayHarness.run(configure: { $0.readTimeout = .seconds(1) }) { h in
            // Held until after the reply: the 504 can only be the read timeout's.
            let gate = ResponseGate()
            h.upstream.faults.gate = gate
            let reply = try await h.send(.GET, "/api/pinning/pins/")
            #expect(reply.status == 504)
            #expect(reply.json?["error"] as? String == "upstream_timeout")
            gate.open()
        }
    }

    @Test("plain http upstream is refused unless the host is loopback")
    func insecureUpstreamRefused() throws {
        for url in ["http://api.w3ipfs.storage", "http://10.0.0.1:80", "http://example.com/api"] {
            #expect(throws: GatewayConfigurationError.self) { try UpstreamEndpoint(url) }
            do { _ = try UpstreamEndpoint(url) } catch let error as GatewayConfigurationError { #expect(error.code == .insecureUpstream) }
        }
        for url in ["http://127.0.0.1:9000", "http://localhost:1", "http://[::1]:8080", "https://api.w3ipfs.storage"] {
            #expect(throws: Never.self) { try UpstreamEndpoint(url) }
        }
    }

    @Test("admin healthz answers locally without touching the upstream")
    func healthz() async throws {
        try await GatewayHarness.run { h in
            h.upstream.resetLog()
            let reply = try await h.send(.GET, "/_pingate/healthz")
            #expect(reply.status == 200)
            #expect(h.upstream.requestCount == 0)
        }
    }
}

/// Header-name folding used by assertions (case and `-`/`_` insensitive).
enum HeaderName {
    static func folded(_ name: String) -> String { String(name.lowercased().map { $0 == "-" ? "_" : $0 }) }
}

/// A loopback port nothing listens on, held for the whole test.
///
/// The socket is bound but never listens: connecting is refused, and no other test (they run in parallel and
/// bind port 0) can be given the same port while it is held. Closing a bound listener and reusing its number
/// raced with other tests' servers.
final class ClosedPort: Sendable {
    let port: Int
    private let descriptor: Int32

    private init(port: Int, descriptor: Int32) {
        self.port = port
        self.descriptor = descriptor
    }

    deinit { Glibc.close(descriptor) }

    /// Runs `body` with a refused port, releasing it afterwards.
    static func with<T: Sendable>(_ body: (Int) async throws -> T) async throws -> T {
        let held = try reserve()
        defer { withExtendedLifetime(held) {} }
        return try await body(held.port)
    }

    static func reserve() throws -> ClosedPort {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard bound == 0, named == 0 else {
            Glibc.close(fd)
            throw HarnessError("could not reserve a port")
        }
        return ClosedPort(port: Int(UInt16(bigEndian: address.sin_port)), descriptor: fd)
    }
}
