import FakeW3IPFS
import Foundation
import NIOCore
import TestSupport
import Testing

/// The security surface of the real `pingate` binary: remote listening only with `--allow-remote` and a token
/// (a client token or a token file), the `X-Pingate-Token` check before any upstream call, token file permissions, core dumps off, stale
/// answers on upstream errors, and credential mappings reloaded on SIGHUP.
@Suite("Security surface of the pingate process", .serialized, .timeLimit(.minutes(3)))
struct SecuritySurfaceTests {
    static let passphrase = "security-test-passphrase"
    static let token = "tok-3f9a2c71d0b84e6a95c1"

    /// A folder with a canary vault and a 0600 token file.
    struct Fixture {
        let folder: TemporaryDirectory
        let vault: String
        let tokenFile: String

        init(apiKey: String = "CANARY-SEC-KEY-1a2b3c", secretKey: String = "CANARY-SEC-SECRET-4d5e6f", extraEntries: [String: String] = [:]) throws {
            folder = try TemporaryDirectory(prefix: "pingate-security")
            vault = folder.file("v.pgv")
            try VaultFixture.write(at: vault, passphrase: SecuritySurfaceTests.passphrase, entries: ["api_key": apiKey, "secret_key": secretKey].merging(extraEntries) { $1 })
            tokenFile = try folder.write(SecuritySurfaceTests.token + "\n", to: "token")
        }
    }

    static func serve(_ arguments: [String], launcher: [String] = []) throws -> PingateProcess {
        try PingateProcess(["serve"] + arguments, environment: ["PINGATE_PASSPHRASE": passphrase], launcher: launcher)
    }

    /// Runs a start that must be refused: non-zero exit, one line containing `fragment`, never listening.
    static func expectRefusedStart(_ arguments: [String], naming fragment: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let run = try await PingateRun.pingate(["serve"] + arguments, environment: ["PINGATE_PASSPHRASE": passphrase])
        #expect(run.status != 0, "pingate started: \(run.printed)", sourceLocation: sourceLocation)
        #expect(run.printed.split(separator: "\n").count == 1, "not one line: \(run.printed)", sourceLocation: sourceLocation)
        #expect(run.printed.contains(fragment), "\(run.printed)", sourceLocation: sourceLocation)
        #expect(!run.printed.contains("listening"), sourceLocation: sourceLocation)
        #expect(!run.printed.contains(token), "the token was printed", sourceLocation: sourceLocation)
    }

    // MARK: - Remote listening and the access token

    @Test("a non-loopback listen address is refused without --allow-remote and a token (a client token or a token file)")
    func remoteListeningRefused() async throws {
        let fixture = try Fixture()
        let common = ["--vault", fixture.vault, "--listen", "0.0.0.0:0", "--upstream", "http://127.0.0.1:9", "--no-cache"]
        try await Self.expectRefusedStart(common, naming: "--allow-remote")
        try await Self.expectRefusedStart(common + ["--allow-remote"], naming: "--access-token-file")
        try await Self.expectRefusedStart(common + ["--access-token-file", fixture.tokenFile], naming: "--allow-remote")
    }

    @Test("with --allow-remote and a token file: no or a wrong X-Pingate-Token is refused before any upstream call; the right one is served")
    func accessToken() async throws {
        let fixture = try Fixture(apiKey: "CANARY-TOK-KEY-77aa01", secretKey: "CANARY-TOK-SECRET-88bb02")
        let state = FakeW3IPFSState(apiKey: "CANARY-TOK-KEY-77aa01", secretKey: "CANARY-TOK-SECRET-88bb02")
        let fake = try await FakeW3IPFSServer.start(state: state)
        let pingate = try Self.serve([
            "--vault", fixture.vault, "--listen", "0.0.0.0:0", "--allow-remote", "--access-token-file", fixture.tokenFile,
            "--upstream", fake.baseURL, "--no-cache",
        ])
        defer { pingate.terminate() }
        let base = "http://127.0.0.1:\(try await pingate.listeningPort())"
        let list = base + "/api/pinning/pins/"
        let wrong = [
            [], [("X-Pingate-Token", "")], [("X-Pingate-Token", "tok-3f9a2c71d0b84e6a95c2")], [("X-Pingate-Token", "tok-3f9a")],
            [("X-Pingate-Token", Self.token + "x")], [("Authorization", "Bearer tok-3f9a2c71d0b84e6a95c2")],
        ]
        for headers in wrong {
            let refused = try await HTTPReply.fetch(.GET, list, headers: headers)
            #expect(refused.status == 401, "\(headers)")
            #expect(refused.json?["error"] as? String == "unauthorized", "\(headers)")
            #expect(refused.headers["www-authenticate"] == [#"Bearer realm="pingate""#], "\(headers)")
            #expect(!refused.text.contains(Self.token))
        }
        #expect(state.arrivals == 0, "a request without the right token reached the upstream")

        let served = try await HTTPReply.fetch(.GET, list, headers: [("X-Pingate-Token", Self.token)])
        #expect(served.status == 200)
        let bearer = try await HTTPReply.fetch(.GET, list, headers: [("Authorization", "Bearer \(Self.token)")])
        #expect(bearer.status == 200)
        #expect(state.requestCount == 2)
        #expect(state.requests.allSatisfy { $0.header("x-pingate-token") == nil }, "the token was forwarded upstream")
        pingate.signal(SIGTERM)
        #expect(try await pingate.waitForExit() == 0)
        #expect(!pingate.printed.contains(Self.token))
        await fake.stop()
    }

    @Test("a token file readable by group or others, or holding a short token, is refused at start with one line")
    func tokenFilePermissions() async throws {
        let fixture = try Fixture()
        let common = ["--vault", fixture.vault, "--listen", "0.0.0.0:0", "--allow-remote", "--upstream", "http://127.0.0.1:9", "--no-cache"]
        for mode in [0o644, 0o640, 0o604] {
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: fixture.tokenFile)
            try await Self.expectRefusedStart(common + ["--access-token-file", fixture.tokenFile], naming: "chmod 600")
        }
        let short = try fixture.folder.write("short-token\n", to: "short")
        try await Self.expectRefusedStart(common + ["--access-token-file", short], naming: "at least 16")
        try await Self.expectRefusedStart(common + ["--access-token-file", fixture.folder.file("missing")], naming: "access token file")
    }

    // MARK: - Core dumps

    /// The uid that owns `/proc/<pid>/status`: the process's own uid while it is dumpable, root once it is not.
    static func procOwner(_ pid: Int32) throws -> Int {
        try (FileManager.default.attributesOfItem(atPath: "/proc/\(pid)/status")[.ownerAccountID] as? NSNumber)?.intValue ?? -1
    }

    @Test("the serving process has core dumps off: core size limit 0 and not dumpable")
    func coreDumpsOff() async throws {
        let fixture = try Fixture()
        let state = FakeW3IPFSState(apiKey: "CANARY-SEC-KEY-1a2b3c", secretKey: "CANARY-SEC-SECRET-4d5e6f")
        let fake = try await FakeW3IPFSServer.start(state: state)
        // Run as nobody: a dumpable process's /proc files belong to it, a non-dumpable one's to root.
        let nobody = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
        for path in [fixture.folder.path, fixture.vault] {
            try FileManager.default.setAttributes([.ownerAccountID: 65534, .groupOwnerAccountID: 65534], ofItemAtPath: path)
        }
        // Control: an ordinary process run the same way is owned by nobody.
        let control = try PingateProcess(["-c", "echo ready; exec sleep 30"], executable: URL(fileURLWithPath: "/bin/sh"), launcher: nobody)
        defer { control.terminate() }
        _ = try await control.line(containing: "ready")  // past setpriv's uid change
        #expect(try Self.procOwner(control.pid) == 65534, "the ownership check would not tell dumpable from not")

        let pingate = try Self.serve(["--vault", fixture.vault, "--listen", "127.0.0.1:0", "--upstream", fake.baseURL, "--no-cache"], launcher: nobody)
        defer { pingate.terminate() }
        _ = try await pingate.listeningPort()
        let status = try String(contentsOfFile: "/proc/\(pingate.pid)/status", encoding: .utf8)
        #expect(status.split(separator: "\n").first { $0.hasPrefix("Uid:") }?.contains("65534") == true, "not running as nobody")
        #expect(try Self.procOwner(pingate.pid) == 0, "pingate is dumpable")
        let limits = try String(contentsOfFile: "/proc/\(pingate.pid)/limits", encoding: .utf8)
        let core = try #require(limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") })
        let values = core.dropFirst("Max core file size".count).split(separator: " ")
        #expect(values.prefix(2) == ["0", "0"], "core limit: \(core)")
        pingate.signal(SIGTERM)
        #expect(try await pingate.waitForExit() == 0)
        await fake.stop()
    }

    // MARK: - Stale answers and reloads

    @Test("--cache-stale-if-error: with the upstream down a stale entry is served (fwd=stale); without it, 502")
    func staleIfError() async throws {
        for staleIfError in [true, false] {
            let fixture = try Fixture()
            let state = FakeW3IPFSState(apiKey: "CANARY-SEC-KEY-1a2b3c", secretKey: "CANARY-SEC-SECRET-4d5e6f")
            // Already stale when stored: 100 s old with a 60 s lifetime.
            state.faults.extraResponseHeaders = [("Cache-Control", "max-age=60"), ("Age", "100")]
            let fake = try await FakeW3IPFSServer.start(state: state)
            let pingate = try Self.serve(["--vault", fixture.vault, "--listen", "127.0.0.1:0", "--upstream", fake.baseURL]
                + (staleIfError ? ["--cache-stale-if-error", "300"] : []))
            defer { pingate.terminate() }
            let list = "http://127.0.0.1:\(try await pingate.listeningPort())/api/pinning/pins/"
            let fresh = try await HTTPReply.fetch(.GET, list)
            #expect(fresh.status == 200)
            #expect(fresh.headers["cache-status"] == ["pingate; fwd=miss; stored"])
            await fake.stop()  // the upstream is down from here on
            let reply = try await HTTPReply.fetch(.GET, list)
            if staleIfError {
                #expect(reply.status == 200)
                #expect(reply.headers["cache-status"] == ["pingate; fwd=stale"])
                #expect(reply.body == fresh.body)
            } else {
                #expect(reply.status == 502)
                #expect(reply.json?["error"] as? String == "upstream_unavailable")
            }
            pingate.signal(SIGTERM)
            #expect(try await pingate.waitForExit() == 0)
        }
    }

    @Test("SIGHUP applies a new credential mapping from the config file to the next request")
    func sighupCredentialMapping() async throws {
        let fixture = try Fixture(apiKey: "CANARY-MAP-KEY-A-01", secretKey: "CANARY-MAP-SECRET-02", extraEntries: ["api_key_b": "CANARY-MAP-KEY-B-03"])
        let state = FakeW3IPFSState(apiKey: "CANARY-MAP-KEY-B-03", secretKey: "CANARY-MAP-SECRET-02")
        let fake = try await FakeW3IPFSServer.start(state: state)
        let config = { (apiKeyEntry: String) in
            "routes:\n  - name: w3ipfs\n    prefix: \"/\"\n    credentials:\n      pinning_api_key: \(apiKeyEntry)\n      pinning_secret_key: secret_key\n"
        }
        let configFile = try fixture.folder.write(config("api_key"), to: "pingate.yaml")
        let pingate = try Self.serve(["--config", configFile, "--vault", fixture.vault, "--listen", "127.0.0.1:0", "--upstream", fake.baseURL, "--no-cache"])
        defer { pingate.terminate() }
        let list = "http://127.0.0.1:\(try await pingate.listeningPort())/api/pinning/pins/"
        #expect(try await HTTPReply.fetch(.GET, list).status == 401)  // the fake expects key B
        #expect(state.requests.last?.header("pinning_api_key") == "CANARY-MAP-KEY-A-01")

        try fixture.folder.write(config("api_key_b"), to: "pingate.yaml")
        pingate.signal(SIGHUP)
        _ = try await pingate.line(containing: "vault reloaded")
        #expect(try await HTTPReply.fetch(.GET, list).status == 200)
        #expect(state.requests.last?.header("pinning_api_key") == "CANARY-MAP-KEY-B-03")
        pingate.signal(SIGTERM)
        #expect(try await pingate.waitForExit() == 0)
        for secret in ["CANARY-MAP-KEY-A-01", "CANARY-MAP-SECRET-02", "CANARY-MAP-KEY-B-03", Self.passphrase] {
            #expect(!pingate.printed.contains(secret))
        }
        await fake.stop()
    }

    // MARK: - Redis credentials

    @Test("a Redis password from the vault (redis.password_entry) connects; a password in --redis is never printed")
    func redisPassword() async throws {
        let password = "CANARY-REDIS-PW-5e6f7a"
        let fixture = try Fixture(extraEntries: ["redis_pw": password])
        let config = try fixture.folder.write("redis:\n  password_entry: redis_pw\n", to: "pingate.yaml")
        try await RedisServerProcess.with(extraConfiguration: ["requirepass \(password)"]) { redis in
            let pingate = try Self.serve([
                "--vault", fixture.vault, "--config", config, "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:9",
                "--redis", redis.url(),
            ])
            defer { pingate.terminate() }
            _ = try await pingate.line(containing: "connected to Redis")
            let metrics = try await HTTPReply.fetch(.GET, "http://127.0.0.1:\(try await pingate.listeningPort())/_pingate/metrics")
            #expect(metrics.text.contains("pingate_redis_up 1"))
            #expect(!metrics.text.contains(password))
            pingate.signal(SIGTERM)
            #expect(try await pingate.waitForExit() == 0)
            #expect(!pingate.printed.contains(password), "the Redis password was printed")

            let withURL = try Self.serve([
                "--vault", fixture.vault, "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:9",
                "--redis", redis.url(credentials: ":\(password)@"),
            ])
            defer { withURL.terminate() }
            _ = try await withURL.line(containing: "connected to Redis")
            withURL.signal(SIGTERM)
            #expect(try await withURL.waitForExit() == 0)
            #expect(!withURL.printed.contains(password), "the Redis password in the URL was printed")
        }
        let checked = try await PingateRun.pingate(
            ["check-config", config], environment: ["PINGATE_REDIS_URL": "redis://:\(password)@127.0.0.1:6399/0"]
        )
        #expect(checked.status == 0, "\(checked.printed)")
        #expect(checked.printed.contains("# env PINGATE_REDIS_URL"))
        #expect(!checked.printed.contains(password), "check-config printed the Redis password")
    }
}
