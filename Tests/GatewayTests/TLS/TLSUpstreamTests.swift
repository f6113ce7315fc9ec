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

    @Test("256 MiB up and 256 MiB down through TLS stream in bounded memory (the pingate process's own peak RSS)")
    func largeTransfers() async throws {
        let certificates = try TestCertificates.get()
        let blobs = try await BlobOrigin.start(tls: try certificates.serverConfiguration(.valid))
        defer { Task { await blobs.stop() } }
        let state = FakeW3IPFSState(apiKey: VaultFixture.apiKey, secretKey: VaultFixture.secretKey)
        let fake = try await FakeW3IPFSServer.start(state: state, tls: try certificates.serverConfiguration(.valid))
        defer { Task { await fake.stop() } }
        let folder = try TemporaryDirectory()
        let vault = folder.file("vault")
        try VaultFixture.write(at: vault, passphrase: "transfer test")
        let config = try folder.write("""
            routes:
              - {name: w3ipfs, prefix: /, upstream: "https://localhost:\(fake.port)",
                 credentials: {pinning_api_key: api_key, pinning_secret_key: secret_key}}
              - {name: blobs, prefix: /blob, upstream: "https://localhost:\(blobs.port)", credentials: {}, cache: false}

            """, to: "pingate.yaml")
        let pingate = try PingateProcess(
            ["serve", "--config", config, "--vault", vault, "--listen", "127.0.0.1:0", "--upstream-ca-file", certificates.caFile,
             "--no-access-log"],
            environment: ["PINGATE_PASSPHRASE": "transfer test"]
        )
        defer { pingate.terminate() }
        let base = "http://127.0.0.1:\(try await pingate.listeningPort())"
        // The vault's key derivation needs 128 MiB for a moment at start; the peak that counts is the transfers'.
        try ResidentMemory.resetPeak(pid: pingate.pid)

        let size = 256 << 20
        let upload = GeneratedUpload(size: size)
        let reply = try await HTTPReply.fetch(.POST, base + "/api/pinning/", headers: [("Content-Type", upload.contentType)],
                                              body: .stream(upload, length: .known(Int64(upload.totalLength))), timeout: .seconds(240))
        #expect(reply.status == 201)
        let recorded = try #require(state.requests.last)
        #expect(recorded.fileByteCount == size)
        #expect(recorded.fileSHA256 == upload.expectedSHA256)

        var request = HTTPClientRequest(url: base + "/blob/\(size)")
        request.method = .GET
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(240))
        #expect(response.status == .ok)
        var hasher = SHA256Hasher()
        var received = 0
        for try await chunk in response.body {
            received += chunk.readableBytes
            hasher.update(Array(chunk.readableBytesView))
        }
        #expect(received == size)
        #expect(SHA256Hasher.hex(hasher.finalize()) == upload.expectedSHA256, "the same generator makes both")
        // Buffering either transfer whole would add 256 MiB; streamed, pingate stays far below that.
        let peak = try ResidentMemory.peak(pid: pingate.pid)
        #expect(peak < 96 << 20, "pingate's peak RSS during the transfers was \(peak >> 20) MiB")
    }
}
