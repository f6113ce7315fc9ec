import NIOHTTP1
import Testing

@testable import Gateway

/// The field-name checks the forwarding path makes without allocating agree with the rules in any case.
@Suite("Header policy")
struct HeaderPolicyTests {
    @Test("hop-by-hop, re-derived and client-credential fields are never forwarded, in any case; others are")
    func notForwarded() {
        let dropped = ["te", "host", "expect", "cookie", "upgrade", "trailer", "trailers", "connection", "keep-alive",
                       "authorization", "x-pingate-token", "x-pingate-client", "transfer-encoding",
                       "proxy-authorization", "proxy-connection", "proxy-x"]
        for name in dropped {
            #expect(HeaderPolicy.isNotForwarded(name), "\(name)")
            #expect(HeaderPolicy.isNotForwarded(name.uppercased()), "\(name.uppercased())")
        }
        for name in ["content-type", "content-length", "x-request-id", "accept", "hostname", "tee", "proxy", "x-pingate-clients", "cookies"] {
            #expect(!HeaderPolicy.isNotForwarded(name), "\(name)")
        }
    }

    @Test("the fields sent upstream: the client's credentials in every spelling replaced by exactly one of each")
    func credentialsReplaced() throws {
        let credentials = try CredentialSet(mappings: [.init(header: "pinning_api_key", entry: "k")]) { _ in "secret" }
        let headers = HTTPHeaders([
            ("Pinning-Api-Key", "client"), ("PINNING_API_KEY", "client"), ("Connection", "close, X-Hop"), ("X-Hop", "1"),
            ("X-Request-Id", "old"), ("Accept", "*/*"),
        ])
        let upstream = HeaderPolicy.upstreamRequestHeaders(from: headers, credentials: credentials, extra: [("X-Request-Id", "new")], host: "api")
        #expect(upstream["pinning_api_key"] == ["secret"])
        #expect(upstream["x-hop"].isEmpty && upstream["connection"].isEmpty)
        #expect(upstream["x-request-id"] == ["new"])
        #expect(upstream["accept"] == ["*/*"])
        #expect(upstream["host"] == ["api"])
    }

    @Test("plain loopback authorities are recognised without the general parser, and agree with it")
    func loopbackAuthorities() {
        let policy = AccessPolicy()
        for authority in ["localhost", "LOCALHOST:8787", "127.0.0.1", "127.0.0.1:1", "[::1]", "[::1]:65535"] {
            #expect(AccessPolicy.isPlainLoopbackAuthority(authority), "\(authority)")
            #expect(policy.allowsHost(authority))
        }
        for authority in ["localhost.evil", "127.0.0.1:", "127.0.0.1:abc", "127.0.0.10", "[::1]x", "localhost:1234567", "user@localhost", ""] {
            #expect(!AccessPolicy.isPlainLoopbackAuthority(authority), "\(authority)")
        }
        #expect(policy.allowsHost("localhost.:8787"), "a trailing dot takes the general path and is still allowed")
        #expect(!policy.allowsHost("evil.example"))
    }
}
