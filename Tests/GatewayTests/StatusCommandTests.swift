import Foundation
import Gateway
import Testing

/// `pingate status` as a process against a running gateway (and against nothing), and `pingate demo` serving the
/// dashboard the README points at.
@Suite("pingate status and the demo's dashboard", .timeLimit(.minutes(3)))
struct StatusCommandTests {
    static let list = "/api/pinning/pins/?limit=2"
    static let last = "/api/pinning/pins/?limit=5&secret=do-not-show"

    @Test("nothing listening: exit 1 with one line naming the URL, nothing on stdout")
    func unreachable() async throws {
        try await ClosedPort.with { port in
            let url = "http://127.0.0.1:\(port)"
            for extra in [[], ["--json"], ["--watch"]] {
                let run = try await PingateRun.pingate(["status", "--url", url] + extra)
                #expect(run.status == 1, "\(extra): \(run.printed)")
                #expect(run.errorLines.count == 1, "\(extra): one line, got \(run.standardError)")
                #expect(run.standardError.hasPrefix("pingate: pingate is not reachable at \(url)"), "\(run.standardError)")
                #expect(run.standardOutput.isEmpty)
            }
        }
    }

    @Test("a URL that is not http(s) is a usage error (64)")
    func badURL() async throws {
        for url in ["127.0.0.1:8787", "ftp://127.0.0.1:8787", "http://"] {
            let run = try await PingateRun.pingate(["status", "--url", url])
            #expect(run.status == 64, "\(url): \(run.printed)")
        }
    }

    @Test("--json prints /_pingate/stats; the table shows the upstream, the cache and the last requests, redacted")
    func againstGateway() async throws {
        try await GatewayHarness.run { h in
            #expect(try await h.send(.GET, Self.list, headers: [("X-Pingate-Client", "status-test")]).status == 200)
            #expect(try await h.send(.GET, Self.list).headers["cache-status"] == ["pingate; hit"])
            #expect(try await h.send(.GET, Self.last).status == 200)

            let json = try await PingateRun.pingate(["status", "--url", h.proxyURL, "--json"])
            #expect(json.status == 0, "\(json.printed)")
            let stats = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
            #expect((stats["cache"] as? [String: Any])?["hits"] as? Int == 1)
            #expect((stats["recent"] as? [[String: Any]])?.first?["path"] as? String == "/api/pinning/pins/?limit=5&secret=REDACTED")
            #expect((stats["upstream"] as? [String: Any])?["url"] as? String == h.upstreamURL)
            #expect(json.standardError.isEmpty)

            let table = try await PingateRun.pingate(["status", "--url", h.proxyURL + "/"])
            #expect(table.status == 0, "\(table.printed)")
            let text = table.standardOutput
            #expect(text.hasPrefix("pingate "))
            #expect(text.contains("UPSTREAM  \(h.upstreamURL) · breaker closed"), "\(text)")
            #expect(text.contains("CACHE     2 entries") && text.contains("hits 1"), "\(text)")
            #expect(text.contains("client:status-test"), "\(text)")
            #expect(text.contains("/api/pinning/pins/?limit=5&secret=REDACTED"), "\(text)")
            #expect(!text.contains("do-not-show") && !text.contains(TestVault.apiKey) && !text.contains(TestVault.secretKey))
        }
    }

    @Test("with tokens required: a refusal is one line and exit 1; --token-file presents one, which is never printed")
    func token() async throws {
        let token = "status-token-0123456789"
        let folder = try TemporaryDirectory(prefix: "pingate-status")
        let tokenFile = try folder.write(token + "\n", to: "token")
        try await GatewayHarness.run(configure: { $0.access = AccessPolicy(accessTokens: [Array(token.utf8)], requireToken: true) }) { h in
            let refused = try await PingateRun.pingate(["status", "--url", h.proxyURL])
            #expect(refused.status == 1)
            #expect(refused.errorLines.count == 1 && refused.standardError.contains("/_pingate/stats answered 401"), "\(refused.standardError)")
            let allowed = try await PingateRun.pingate(["status", "--url", h.proxyURL, "--token-file", tokenFile])
            #expect(allowed.status == 0, "\(allowed.printed)")
            #expect(allowed.standardOutput.contains("UPSTREAM") && !allowed.printed.contains(token))
            let empty = try await PingateRun.pingate(["status", "--url", h.proxyURL, "--token-file", try folder.write("\n", to: "empty")])
            #expect(empty.status == 1 && empty.errorLines.count == 1 && empty.standardError.contains("holds no token"), "\(empty.printed)")
        }
    }

    @Test("--watch redraws every second: a request made after the first view shows up in a later one")
    func watch() async throws {
        try await GatewayHarness.run { h in
            let status = try PingateProcess(["status", "--url", h.proxyURL, "--watch"])
            defer { status.terminate() }
            _ = try await status.line(containing: "UPSTREAM", within: .seconds(30))
            #expect(try await h.send(.GET, "/api/pinning/pins/?limit=1&marker=watch-redraw").status == 200)
            _ = try await status.line(containing: "marker=watch-redraw", within: .seconds(30))
            #expect(status.standardError.isEmpty, "\(status.standardError)")
        }
    }

    @Test("pingate demo serves the dashboard: the page, its stats, and `pingate status` against it")
    func demo() async throws {
        let demo = try PingateProcess(["demo", "--listen", "127.0.0.1:0"])
        defer { demo.terminate() }
        let banner = try await demo.line(containing: "pingate demo: proxy http://", within: .seconds(60))
        let base = try #require(banner.split(separator: " ").first { $0.hasPrefix("http://127.0.0.1:") }.map(String.init))
        _ = try await demo.line(containing: "\(base)/_pingate/", within: .seconds(10))  // the banner says where the page is

        let page = try await HTTPReply.fetch(.GET, base + "/_pingate/")
        #expect(page.status == 200 && page.text.contains("<title>pingate</title>"))
        let stats = try #require(try await HTTPReply.fetch(.GET, base + "/_pingate/stats").json)
        #expect(stats["vault"] as? String != nil)
        #expect((stats["requests"] as? [String: Any])?["proxied"] as? Int ?? 0 >= 1, "the demo seeded a pin through the proxy")
        let status = try await PingateRun.pingate(["status", "--url", base])
        #expect(status.status == 0, "\(status.printed)")
        #expect(status.standardOutput.contains("UPSTREAM"))
        demo.signal(SIGTERM)
        #expect(try await demo.waitForExit(within: .seconds(30)) == 0)
    }
}
