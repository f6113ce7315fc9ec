import AsyncHTTPClient
import FakeW3IPFS
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import Vault

/// `pingate token …` and `pingate serve` as real processes: the token is printed once and appears nowhere else.
@Suite("pingate token (process)", .serialized, .timeLimit(.minutes(5)))
struct TokenProcessTests {
    static let environment = ["PINGATE_PASSPHRASE": ProcessTests.passphrase]

    /// Runs `pingate ARGUMENTS` to its end; returns the exit status and everything it printed.
    static func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let process = try PingateProcess(arguments, environment: environment)
        let status = await process.waitForExit()
        return (status, await process.finishedOutput())
    }

    static func request(_ method: HTTPMethod, _ url: String, token: String?) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if method == .POST {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: #"{"hash_to_pin":"Qmc1135ziMvmFG534i75E8HpJoLqzLzgKBxfjBV9cBsMAs"}"#))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }

    @Test("add/list/rm round trip: the token is printed once, the vault holds only its digest, rm + SIGHUP revokes it, and no output shows it")
    func roundTrip() async throws {
        let apiKey = "CANARY-TOK-KEY-1e2f3a", secretKey = "CANARY-TOK-SECRET-4b5c6d"
        let state = FakeW3IPFSState(apiKey: apiKey, secretKey: secretKey)
        let fake = try await FakeW3IPFSServer.start(state: state)
        let vault = try ProcessTests.makeVault(apiKey: apiKey, secretKey: secretKey)
        var printed: [String] = []

        let add = try await Self.run(["token", "add", "ci-reader", "--vault", vault, "--allow", "GET,HEAD /api/pinning/",
                                      "--rate", "5/s", "--expires", "30d"])
        #expect(add.status == 0, "\(add.output)")
        let lines = add.output.split(separator: "\n").map(String.init)
        let token = try #require(lines.first)
        #expect(token.wholeMatch(of: /pgt_[A-Za-z0-9_-]{43}/) != nil, "the first line is the token")
        #expect(add.output.components(separatedBy: token).count == 2, "the token is printed exactly once")
        printed.append(add.output.replacingOccurrences(of: token + "\n", with: ""))

        // The vault holds the digest and the policy, never the token.
        let file = try Data(contentsOf: URL(fileURLWithPath: vault))
        #expect(file.range(of: Data(token.utf8)) == nil)
        let contents = try VaultFile.open(at: vault, passphrase: Passphrase(ProcessTests.passphrase))
        for name in contents.names { #expect(contents[name]?.revealed.contains(token) == false) }
        let records = try contents.clientTokens()
        #expect(records.count == 1)
        #expect(records.first?.digest == TokenDigest(of: token))
        #expect(records.first?.rules == ["GET,HEAD /api/pinning/"])
        #expect(records.first?.rate == "5/s")
        let digestHex = SHA256Hasher.hexDigest(Array(token.utf8))

        let again = try await Self.run(["token", "add", "ci-reader", "--vault", vault])
        #expect(again.status == 1)
        #expect(again.output.split(separator: "\n").count == 1)
        #expect(again.output.contains("already exists"))
        printed.append(again.output)

        let list = try await Self.run(["token", "list", "--vault", vault])
        #expect(list.status == 0)
        #expect(list.output.contains("ci-reader"))
        #expect(list.output.contains("GET,HEAD /api/pinning/"))
        #expect(list.output.contains("5/s burst 5"))
        #expect(list.output.contains("default"))
        printed.append(list.output)

        let pingate = try PingateProcess(
            ["serve", "--vault", vault, "--listen", "127.0.0.1:0", "--upstream", fake.baseURL, "--require-token", "--log-level", "debug"],
            environment: Self.environment
        )
        defer { pingate.terminate() }
        let base = "http://127.0.0.1:\(try await pingate.listeningPort())"
        var bodies: [String] = []
        let read = try await Self.request(.GET, base + "/api/pinning/pins/", token: token)
        #expect(read.status == 200)
        let write = try await Self.request(.POST, base + "/api/pinning/pinByHash", token: token)
        #expect(write.status == 403)
        #expect(write.body.contains("token 'ci-reader' may not POST /api/pinning/pinByHash"))
        let missing = try await Self.request(.GET, base + "/api/pinning/pins/", token: nil)
        #expect(missing.status == 401)
        let wrong = try await Self.request(.GET, base + "/api/pinning/pins/", token: String(token.dropLast()) + "x")
        #expect(wrong.status == 401)
        let metrics = try await Self.request(.GET, base + "/_pingate/metrics", token: token)
        #expect(metrics.status == 403)
        bodies += [read.body, write.body, missing.body, wrong.body, metrics.body]
        #expect(state.requests.allSatisfy { $0.header("authorization") == nil && $0.header("x-pingate-token") == nil })

        let remove = try await Self.run(["token", "rm", "ci-reader", "--vault", vault])
        #expect(remove.status == 0)
        printed.append(remove.output)
        pingate.signal(SIGHUP)
        #expect(await pingate.line(containing: "vault reloaded") != nil)
        let revoked = try await Self.request(.GET, base + "/api/pinning/pins/?limit=1", token: token)
        #expect(revoked.status == 401)
        bodies.append(revoked.body)
        let listed = try await Self.run(["token", "list", "--vault", vault])
        #expect(!listed.output.contains("ci-reader"))
        printed.append(listed.output)
        let unknown = try await Self.run(["token", "rm", "ci-reader", "--vault", vault])
        #expect(unknown.status == 1)
        #expect(unknown.output.contains("no token named 'ci-reader'"))
        printed.append(unknown.output)

        pingate.signal(SIGTERM)
        #expect(await pingate.waitForExit() == 0)
        printed.append(pingate.printed)
        let config = URL(fileURLWithPath: vault).deletingLastPathComponent().appendingPathComponent("pingate.yaml")
        try "vault: \(vault)\nauth: {require_token: true}\nprofiles:\n  ro: {pinning_api_key: ro.key, pinning_secret_key: ro.secret}\n"
            .write(to: config, atomically: true, encoding: .utf8)
        let check = try await Self.run(["check-config", config.path])
        #expect(check.status == 0)
        printed.append(check.output)

        let everything = (printed + bodies).joined(separator: "\n")
        #expect(everything.contains("pingate listening"), "the serve output was captured")
        ProcessTests.expectNoSecret(everything, [token, apiKey, secretKey])
        #expect(!everything.contains(String(token.dropFirst(4).prefix(16))), "part of the token was printed")
        #expect(!everything.contains(digestHex), "the token's digest was printed")
        await fake.stop()
    }

    @Test("serve refuses to start when a token's profile lacks a vault entry: one line naming the token and the entry")
    func missingProfileEntry() async throws {
        let vault = try ProcessTests.makeVault(apiKey: "CANARY-K-2", secretKey: "CANARY-S-2")
        let add = try await Self.run(["token", "add", "ro-reader", "--vault", vault, "--profile", "ro"])
        #expect(add.status == 0)
        let serve = try await Self.run(["serve", "--vault", vault, "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:9"])
        #expect(serve.status == 1)
        let lines = serve.output.split(separator: "\n")
        #expect(lines.count == 1, "\(serve.output)")
        #expect(lines.first?.contains("token 'ro-reader'") == true)
        #expect(lines.first?.contains("'ro.api_key'") == true)
        #expect(!serve.output.contains("listening"))
    }

    @Test("bad token flags: one line, exit 1, before the vault is opened")
    func badFlags() async throws {
        for (arguments, fragment) in [
            (["--allow", "GET"], "METHODS PREFIX"),
            (["--rate", "fast"], "--rate"),
            (["--burst", "3"], "--burst needs --rate"),
            (["--expires", "soon"], "--expires"),
            (["--profile", "no way"], "invalid profile name"),
        ] {
            let result = try await Self.run(["token", "add", "ci", "--vault", "/nonexistent/v.pgv"] + arguments)
            #expect(result.status == 1, "\(arguments)")
            #expect(result.output.split(separator: "\n").count == 1, "\(result.output)")
            #expect(result.output.contains(fragment), "\(result.output)")
        }
        let badName = try await Self.run(["token", "add", "bad name", "--vault", "/nonexistent/v.pgv"])
        #expect(badName.status == 1)
        #expect(badName.output.contains("invalid token name"))
    }
}
