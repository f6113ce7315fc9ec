import FakeW3IPFS
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import Vault

/// `pingate token …` and `pingate serve` as real processes: the token is printed once and appears nowhere else, and
/// every way of requiring a token refuses a request without one.
@Suite("pingate token (process)", .serialized, .timeLimit(.minutes(5)))
struct TokenProcessTests {
    static let environment = ["PINGATE_PASSPHRASE": ProcessTests.passphrase]
    static let list = "/api/pinning/pins/"

    /// The fake upstream and a vault, both with canary credentials.
    static func upstreamAndVault(apiKey: String, secretKey: String) async throws -> (FakeW3IPFSState, RunningFakeW3IPFS, String) {
        let state = FakeW3IPFSState(apiKey: apiKey, secretKey: secretKey)
        let fake = try await FakeW3IPFSServer.start(state: state)
        return (state, fake, try ProcessTests.makeVault(apiKey: apiKey, secretKey: secretKey))
    }

    /// Runs `pingate ARGUMENTS` to its end.
    static func run(_ arguments: [String]) async throws -> PingateRun {
        try await PingateRun.pingate(arguments, environment: environment)
    }

    /// Starts `pingate serve ARGUMENTS` and returns it with its base URL.
    static func serve(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> (PingateProcess, String) {
        let pingate = try PingateProcess(["serve"] + arguments + ["--log-level", "debug"], environment: environment.merging(extra) { $1 })
        do {
            return (pingate, "http://127.0.0.1:\(try await pingate.listeningPort())")
        } catch {
            pingate.terminate()
            throw error
        }
    }

    /// Stops a serving process and returns everything it printed.
    static func stop(_ pingate: PingateProcess) async throws -> String {
        pingate.signal(SIGTERM)
        #expect(try await pingate.waitForExit() == 0)
        try await pingate.waitForEndOfOutput()
        return pingate.printed
    }

    static func bearer(_ token: String) -> [(String, String)] { [("Authorization", "Bearer \(token)")] }

    static func pin(_ base: String, token: String) async throws -> HTTPReply {
        try await HTTPReply.fetch(
            .POST, base + "/api/pinning/pinByHash", headers: bearer(token) + [("Content-Type", "application/json")],
            body: .bytes(ByteBuffer(string: #"{"hash_to_pin":"Qmc1135ziMvmFG534i75E8HpJoLqzLzgKBxfjBV9cBsMAs"}"#))
        )
    }

    /// A 401 for a missing, unknown or revoked token: the challenge and the JSON error.
    static func expectUnauthorized(_ reply: HTTPReply, _ comment: Comment, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply.status == 401, comment, sourceLocation: sourceLocation)
        #expect(reply.headers["www-authenticate"] == [#"Bearer realm="pingate""#], comment, sourceLocation: sourceLocation)
        #expect(reply.json?["status"] as? String == "error", comment, sourceLocation: sourceLocation)
        #expect(reply.json?["error"] as? String == "unauthorized", comment, sourceLocation: sourceLocation)
    }

    /// Issues a token with `pingate token add` and returns it (the one line of standard output).
    static func add(_ name: String, vault: String, _ options: [String] = []) async throws -> (token: String, run: PingateRun) {
        let run = try await Self.run(["token", "add", name, "--vault", vault] + options)
        #expect(run.status == 0, "\(run.printed)")
        let token = try #require(run.standardOutput.split(separator: "\n").first.map(String.init))
        return (token, run)
    }

    @Test("add/list/rm round trip: the token is printed once, the vault holds only its digest, rm + SIGHUP revokes it, and no output shows it")
    func roundTrip() async throws {
        let apiKey = "CANARY-TOK-KEY-1e2f3a", secretKey = "CANARY-TOK-SECRET-4b5c6d"
        let (state, fake, vault) = try await Self.upstreamAndVault(apiKey: apiKey, secretKey: secretKey)
        var printed: [String] = []

        let (token, add) = try await Self.add("ci-reader", vault: vault, ["--allow", "GET,HEAD /api/pinning/", "--rate", "5/s", "--expires", "30d"])
        #expect(add.standardOutput == token + "\n", "standard output is the token and nothing else")
        #expect(token.wholeMatch(of: /pgt_[A-Za-z0-9_-]{43}/) != nil)
        #expect(!add.standardError.contains(token))
        #expect(add.standardError.contains("ci-reader"))
        printed.append(add.standardError)

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
        #expect(again.printed.split(separator: "\n").count == 1)
        #expect(again.printed.contains("already exists"))
        #expect(again.standardOutput.isEmpty)
        printed.append(again.printed)

        let list = try await Self.run(["token", "list", "--vault", vault])
        #expect(list.status == 0)
        let row = try #require(list.standardOutput.split(separator: "\n").first { $0.hasPrefix("ci-reader ") })
        for column in ["default", "GET,HEAD /api/pinning/", "5/s burst 5"] { #expect(row.contains(column), "\(row)") }
        printed.append(list.printed)

        let (pingate, base) = try await Self.serve(["--vault", vault, "--listen", "127.0.0.1:0", "--upstream", fake.baseURL, "--require-token"])
        defer { pingate.terminate() }
        var bodies: [String] = []
        let read = try await HTTPReply.fetch(.GET, base + Self.list, headers: Self.bearer(token))
        #expect(read.status == 200)
        let write = try await Self.pin(base, token: token)
        #expect(write.status == 403)
        #expect(write.json?["message"] as? String == "token 'ci-reader' may not POST /api/pinning/pinByHash")
        let missing = try await HTTPReply.fetch(.GET, base + Self.list)
        Self.expectUnauthorized(missing, "no token")
        let wrong = try await HTTPReply.fetch(.GET, base + Self.list, headers: Self.bearer(String(token.dropLast()) + "x"))
        Self.expectUnauthorized(wrong, "unknown token")
        let metrics = try await HTTPReply.fetch(.GET, base + "/_pingate/metrics", headers: Self.bearer(token))
        #expect(metrics.status == 403)
        bodies += [read.text, write.text, missing.text, wrong.text, metrics.text]
        #expect(state.requestCount == 1, "only the allowed GET reached the upstream")
        #expect(state.requests.allSatisfy { $0.header("authorization") == nil && $0.header("x-pingate-token") == nil })

        let remove = try await Self.run(["token", "rm", "ci-reader", "--vault", vault])
        #expect(remove.status == 0)
        printed.append(remove.printed)
        pingate.signal(SIGHUP)
        _ = try await pingate.line(containing: "vault reloaded")
        let revoked = try await HTTPReply.fetch(.GET, base + Self.list + "?limit=1", headers: Self.bearer(token))
        Self.expectUnauthorized(revoked, "revoked after SIGHUP")
        bodies.append(revoked.text)
        #expect(state.requestCount == 1)
        let listed = try await Self.run(["token", "list", "--vault", vault])
        #expect(!listed.printed.contains("ci-reader"))
        printed.append(listed.printed)
        let unknown = try await Self.run(["token", "rm", "ci-reader", "--vault", vault])
        #expect(unknown.status == 1)
        #expect(unknown.printed.contains("no token named 'ci-reader'"))
        printed.append(unknown.printed)

        printed.append(try await Self.stop(pingate))
        let config = URL(fileURLWithPath: vault).deletingLastPathComponent().appendingPathComponent("pingate.yaml")
        try "vault: \(vault)\nauth: {require_token: true}\nprofiles:\n  ro: {pinning_api_key: ro.key, pinning_secret_key: ro.secret}\n"
            .write(to: config, atomically: true, encoding: .utf8)
        let check = try await Self.run(["check-config", config.path])
        #expect(check.status == 0)
        printed.append(check.printed)

        let everything = (printed + bodies).joined(separator: "\n")
        #expect(everything.contains("pingate listening"), "the serve output was captured")
        ProcessTests.expectNoSecret(everything, [token, apiKey, secretKey])
        #expect(!everything.contains(String(token.dropFirst(4).prefix(16))), "part of the token was printed")
        #expect(!everything.contains(digestHex), "the token's digest was printed")
        await fake.stop()
    }

    @Test("PINGATE_AUTH_REQUIRE_TOKEN, auth.require_token, --allow-remote and --access-token-file each refuse a request without a token with 401 (--require-token: the round trip)")
    func everyWayOfRequiringAToken() async throws {
        let apiKey = "CANARY-REQ-KEY-6a7b8c", secretKey = "CANARY-REQ-SECRET-9d0e1f"
        let (state, fake, vault) = try await Self.upstreamAndVault(apiKey: apiKey, secretKey: secretKey)
        let folder = URL(fileURLWithPath: vault).deletingLastPathComponent()
        let (token, add) = try await Self.add("canary-job", vault: vault)
        let fileToken = "file-token-CANARY-5e6f7a8b9c"
        let tokenFile = folder.appendingPathComponent("access-token").path
        try (fileToken + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: tokenFile)
        let config = folder.appendingPathComponent("pingate.yaml").path
        try "auth: {require_token: true}\n".write(toFile: config, atomically: true, encoding: .utf8)
        var printed = [add.standardError]

        let common = ["--vault", vault, "--upstream", fake.baseURL]
        let loopback = common + ["--listen", "127.0.0.1:0"]
        let ways: [(String, [String], [String: String])] = [
            ("PINGATE_AUTH_REQUIRE_TOKEN", loopback, ["PINGATE_AUTH_REQUIRE_TOKEN": "true"]),
            ("auth.require_token", loopback + ["--config", config], [:]),
            ("--allow-remote", common + ["--listen", "0.0.0.0:0", "--allow-remote"], [:]),
            ("--access-token-file", loopback + ["--access-token-file", tokenFile], [:]),
        ]
        for (way, arguments, environment) in ways {
            let (pingate, base) = try await Self.serve(arguments, environment: environment)
            defer { pingate.terminate() }
            state.resetLog()
            let missing = try await HTTPReply.fetch(.GET, base + Self.list)
            Self.expectUnauthorized(missing, "\(way): no token")
            let nonBearer = try await HTTPReply.fetch(.GET, base + Self.list, headers: [("Authorization", "Basic dXNlcjpwYXNz")])
            Self.expectUnauthorized(nonBearer, "\(way): another scheme is no token")
            #expect(try await HTTPReply.fetch(.GET, base + "/_pingate/healthz").status == 200, "\(way)")
            #expect(state.requestCount == 0, "\(way): a refused request reached the upstream")
            #expect(try await HTTPReply.fetch(.GET, base + Self.list, headers: Self.bearer(token)).status == 200, "\(way)")
            #expect(try await HTTPReply.fetch(.GET, base + Self.list, headers: [("X-Pingate-Token", token)]).status == 200, "\(way)")
            #expect(state.requests.allSatisfy { $0.header("authorization") == nil && $0.header("x-pingate-token") == nil }, "\(way)")
            printed += [missing.text, nonBearer.text, try await Self.stop(pingate)]
        }

        // --allow-remote with tokens explicitly not required is refused.
        let refused = try await PingateRun.pingate(
            ["serve"] + common + ["--listen", "0.0.0.0:0", "--allow-remote", "--no-require-token"], environment: Self.environment
        )
        #expect(refused.status != 0)
        #expect(refused.printed.split(separator: "\n").count == 1, "\(refused.printed)")
        #expect(refused.printed.contains("--no-require-token"))
        printed.append(refused.printed)

        let everything = printed.joined(separator: "\n")
        #expect(everything.contains("pingate listening"))
        ProcessTests.expectNoSecret(everything, [token, fileToken, apiKey, secretKey])
        await fake.stop()
    }

    @Test("--allow-remote with no client token at all is refused at start, naming how to make one")
    func remoteWithoutAnyToken() async throws {
        let vault = try ProcessTests.makeVault(apiKey: "CANARY-K-3", secretKey: "CANARY-S-3")
        let run = try await PingateRun.pingate(
            ["serve", "--vault", vault, "--listen", "0.0.0.0:0", "--allow-remote", "--upstream", "http://127.0.0.1:9"], environment: Self.environment
        )
        #expect(run.status != 0)
        #expect(run.printed.split(separator: "\n").count == 1, "\(run.printed)")
        #expect(run.printed.contains("pingate token add"))
        #expect(!run.printed.contains("listening"))
    }

    @Test("serve refuses to start when a token's profile lacks a vault entry: one line naming the token and the entry")
    func missingProfileEntry() async throws {
        let vault = try ProcessTests.makeVault(apiKey: "CANARY-K-2", secretKey: "CANARY-S-2")
        let (token, _) = try await Self.add("ro-reader", vault: vault, ["--profile", "ro"])
        let serve = try await Self.run(["serve", "--vault", vault, "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:9"])
        #expect(serve.status == 1)
        let lines = serve.printed.split(separator: "\n")
        #expect(lines.count == 1, "\(serve.printed)")
        #expect(lines.first?.contains("token 'ro-reader'") == true)
        #expect(lines.first?.contains("'ro.api_key'") == true)
        #expect(!serve.printed.contains("listening"))
        ProcessTests.expectNoSecret(serve.printed, [token, "CANARY-K-2", "CANARY-S-2"])
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
            #expect(result.printed.split(separator: "\n").count == 1, "\(result.printed)")
            #expect(result.printed.contains(fragment), "\(result.printed)")
            #expect(result.standardOutput.isEmpty)
        }
        let badName = try await Self.run(["token", "add", "bad name", "--vault", "/nonexistent/v.pgv"])
        #expect(badName.status == 1)
        #expect(badName.printed.contains("invalid token name"))
    }
}
