import AsyncHTTPClient
import FakeW3IPFS
import Foundation
import Gateway
import NIOCore
import NIOSSL
import Testing
import Vault

/// The https path: pingate verifies the upstream's certificate (against `upstream_ca_file` here), keeps TLS
/// connections alive, and streams large bodies both ways in bounded memory.
@Suite("TLS upstream", .timeLimit(.minutes(5)))
struct TLSUpstreamTests {
    static let list = "/api/pinning/pins/?limit=10"

    @Test("a trusted https upstream gets the injected credentials, over one kept-alive TLS connection")
    func trustedUpstream() async throws {
        let certificates = try TestCertificates.get()
        try await GatewayHarness.run(upstreamTLS: try certificates.serverConfiguration(.valid), configure: {
            $0.upstreamCAFile = certificates.caFile
            $0.cache = nil
        }) { h in
            for _ in 0..<20 {
                let reply = try await h.send(.GET, Self.list)
                #expect(reply.status == 200)
            }
            let recorded = h.upstream.requests
            #expect(recorded.count == 20)
            #expect(recorded.allSatisfy { $0.header("pinning_api_key") == TestVault.apiKey && $0.header("pinning_secret_key") == TestVault.secretKey })
            let metrics = try await h.send(.GET, "/_pingate/metrics").text
            #expect(metrics.contains("pingate_upstream_connections_opened_total 1\n"), "sequential requests reuse one TLS connection")
        }
    }

    @Test("a certificate that fails verification is a 502 upstream_tls naming why, and nothing reaches the upstream",
          arguments: [
              (TestCertificates.Kind.expired, "expired"),
              (.wrongName, "name mismatch"),
              (.unknownAuthority, "unknown authority"),
          ])
    func refusedCertificate(kind: TestCertificates.Kind, reason: String) async throws {
        let certificates = try TestCertificates.get()
        try await GatewayHarness.run(upstreamTLS: try certificates.serverConfiguration(kind), configure: {
            $0.upstreamCAFile = certificates.caFile
        }) { h in
            let reply = try await h.send(.GET, Self.list)
            #expect(reply.status == 502)
            #expect(reply.json?["error"] as? String == "upstream_tls")
            let message = try #require(reply.json?["message"] as? String)
            #expect(message.contains(reason), "\(message)")
            // A POST with a body is not sent either: verification happens before any byte of the request.
            let post = try await h.send(.POST, "/api/pinning/pinByHash", headers: [("Content-Type", "application/json")],
                                        body: .bytes(ByteBuffer(string: #"{"hash_to_pin":"Qmc1135ziMvmFG534i75E8HpJoLqzLzgKBxfjBV9cBsMAs"}"#)))
            #expect(post.status == 502)
            #expect(h.upstream.requestCount == 0)
            let metrics = try await h.send(.GET, "/_pingate/metrics").text
            #expect(metrics.contains(#"pingate_upstream_errors_total{kind="tls"} 2"#))
            #expect(!reply.text.contains(TestVault.apiKey) && !reply.text.contains(TestVault.secretKey))
        }
    }

    @Test("without upstream_ca_file the system trust store decides: the test CA is unknown")
    func systemTrustStore() async throws {
        let certificates = try TestCertificates.get()
        try await GatewayHarness.run(upstreamTLS: try certificates.serverConfiguration(.valid)) { h in
            let reply = try await h.send(.GET, Self.list)
            #expect(reply.status == 502)
            #expect((reply.json?["message"] as? String)?.contains("unknown authority") == true)
            #expect(h.upstream.requestCount == 0)
        }
    }

    @Test("256 MiB up and 256 MiB down through TLS stream with bounded memory")
    func largeTransfers() async throws {
        let certificates = try TestCertificates.get()
        let blobs = try await BlobOrigin.start(tls: try certificates.serverConfiguration(.valid))
        defer { Task { await blobs.stop() } }
        let size = 256 << 20
        try await GatewayHarness.run(upstreamTLS: try certificates.serverConfiguration(.valid), configure: {
            $0.upstreamCAFile = certificates.caFile
            $0.extraRoutes = [GatewayRoute(
                name: "blobs", prefix: "/blob", upstream: try! UpstreamEndpoint("https://localhost:\(blobs.port)"),
                credentialMappings: [], cacheEnabled: false
            )]
        }) { h in
            let baseline = try ResidentMemory.current()
            let upload = GeneratedUpload(size: size)
            let reply = try await h.send(.POST, "/api/pinning/", headers: [("Content-Type", upload.contentType)],
                                         body: .stream(upload, length: .known(Int64(upload.totalLength))))
            #expect(reply.status == 201)
            let recorded = try #require(h.upstream.requests.last)
            #expect(recorded.fileByteCount == size)
            #expect(recorded.fileSHA256 == upload.expectedSHA256)
            let afterUpload = try ResidentMemory.current()

            var request = HTTPClientRequest(url: h.proxyURL + "/blob/\(size)")
            request.method = .GET
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(240))
            #expect(response.status == .ok)
            var hasher = SHA256Hasher()
            var received = 0
            var peak = afterUpload
            for try await chunk in response.body {
                received += chunk.readableBytes
                hasher.update(Array(chunk.readableBytesView))
                if received % (16 << 20) < chunk.readableBytes { peak = max(peak, try ResidentMemory.current()) }
            }
            #expect(received == size)
            #expect(SHA256Hasher.hex(hasher.finalize()) == upload.expectedSHA256, "the same generator makes both")
            // Buffering either transfer whole would add 256 MiB; streaming keeps the whole process far below that.
            #expect(afterUpload - baseline < 96 << 20, "upload grew RSS by \((afterUpload - baseline) >> 20) MiB")
            #expect(peak - baseline < 96 << 20, "download grew RSS by \((peak - baseline) >> 20) MiB")
        }
    }
}
