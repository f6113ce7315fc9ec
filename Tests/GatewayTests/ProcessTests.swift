import AsyncHTTPClient
import FakeW3IPFS
import Foundation
import NIOCore
import TestSupport
import Testing
import Vault

/// The real `pingate` binary: signals, reload, and what it prints.
@Suite("pingate process", .serialized, .timeLimit(.minutes(3)))
struct ProcessTests {
    static let passphrase = "process-test-passphrase"

    /// Folders of the vaults made here, removed at exit of the test process.
    static let folders = Locked<[TemporaryDirectory]>([])

    /// A vault with canary credentials in a fresh 0700 folder.
    static func makeVault(apiKey: String, secretKey: String) throws -> String {
        let folder = try TemporaryDirectory(prefix: "pingate-proc")
        folders.withLock { $0.append(folder) }
        let path = folder.file("v.pgv")
        try VaultFixture.write(at: path, passphrase: passphrase, apiKey: apiKey, secretKey: secretKey)
        return path
    }

    static func rewrite(_ path: String, apiKey: String, secretKey: String) throws {
        try VaultFixture.write(at: path, passphrase: passphrase, apiKey: apiKey, secretKey: secretKey)
    }

    static func get(_ url: String, headers: [(String, String)] = []) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        return Int(try await HTTPClient.shared.execute(request, timeout: .seconds(30)).status.code)
    }

    /// Every encoding of a secret that must never be printed.
    static func encodings(of secret: String) -> [String] {
        let bytes = Array(secret.utf8)
        return [secret, Data(bytes).base64EncodedString(), bytes.map { String(format: "%02x", $0) }.joined(),
                bytes.map { String(format: "%02X", $0) }.joined()]
    }

    /// Starts the fake upstream and `pingate serve` in front of it with a canary vault.
    static func start(apiKey: String, secretKey: String) async throws -> (FakeW3IPFSState, RunningFakeW3IPFS, PingateProcess, String, String) {
        let state = FakeW3IPFSState(apiKey: apiKey, secretKey: secretKey)
        let fake = try await FakeW3IPFSServer.start(state: state)
        let vault = try Self.makeVault(apiKey: apiKey, secretKey: secretKey)
        let pingate = try PingateProcess(
            ["serve", "--vault", vault, "--listen", "127.0.0.1:0", "--upstream", fake.baseURL, "--no-cache", "--drain-timeout", "20", "--log-level", "debug"],
            environment: ["PINGATE_PASSPHRASE": Self.passphrase]
        )
        let base = "http://127.0.0.1:\(try await pingate.listeningPort())"
        return (state, fake, pingate, vault, base)
    }

    static func expectNoSecret(_ printed: String, _ secrets: [String]) {
        for secret in secrets + [Self.passphrase] {
            for encoded in Self.encodings(of: secret) {
                #expect(!printed.contains(encoded), "pingate printed a secret")
            }
        }
    }

    @Test("SIGHUP re-reads the vault: rotated credentials apply to the next request; a broken vault keeps the old ones")
    func sighupRotation() async throws {
        let apiKey = "CANARY-PROC-KEY-31f7a9", secretKey = "CANARY-PROC-SECRET-8be20c", rotatedKey = "CANARY-ROTATED-KEY-55d1e0"
        let (state, fake, pingate, vault, base) = try await Self.start(apiKey: apiKey, secretKey: secretKey)
        defer { pingate.terminate() }
        #expect(try await Self.get(base + "/api/pinning/pins/") == 200)

        try Self.rewrite(vault, apiKey: rotatedKey, secretKey: secretKey)
        pingate.signal(SIGHUP)
        _ = try await pingate.line(containing: "vault reloaded")
        state.resetLog()
        _ = try await Self.get(base + "/api/pinning/pins/")
        #expect(state.requests.last?.header("pinning_api_key") == rotatedKey)

        try Data("not a vault".utf8).write(to: URL(fileURLWithPath: vault))
        pingate.signal(SIGHUP)
        _ = try await pingate.line(containing: "vault reload failed")
        state.resetLog()
        _ = try await Self.get(base + "/api/pinning/pins/")
        #expect(state.requests.last?.header("pinning_api_key") == rotatedKey)
        #expect(pingate.printed.components(separatedBy: "vault reload failed").count == 2, "one error line per failed reload")

        pingate.signal(SIGTERM)
        #expect(try await pingate.waitForExit() == 0)
        Self.expectNoSecret(pingate.printed, [apiKey, secretKey, rotatedKey])
        await fake.stop()
    }

    @Test("SIGHUP re-reads the config file: new rate budgets apply to the next request, fixed settings are named, a broken file changes nothing")
    func sighupConfigReload() async throws {
        let apiKey = "CANARY-CFG-KEY-7d21aa", secretKey = "CANARY-CFG-SECRET-0e93bc"
        let state = FakeW3IPFSState(apiKey: apiKey, secretKey: secretKey)
        let fake = try await FakeW3IPFSServer.start(state: state)
        let vault = try Self.makeVault(apiKey: apiKey, secretKey: secretKey)
        let config = URL(fileURLWithPath: vault).deletingLastPathComponent().appendingPathComponent("pingate.yaml")
        try "rate_limit:\n  rate: \"1000\"\n  burst: 1000\n".write(to: config, atomically: true, encoding: .utf8)
        let pingate = try PingateProcess(
            ["serve", "--config", config.path, "--vault", vault, "--listen", "127.0.0.1:0", "--upstream", fake.baseURL, "--no-cache"],
            environment: ["PINGATE_PASSPHRASE": Self.passphrase]
        )
        defer { pingate.terminate() }
        let base = "http://127.0.0.1:\(try await pingate.listeningPort())"
        for _ in 0..<3 { #expect(try await Self.get(base + "/api/pinning/pins/") == 200) }

        try "rate_limit:\n  rate: \"1/h\"\n  burst: 1\ntimeouts:\n  read: 45\n".write(to: config, atomically: true, encoding: .utf8)
        pingate.signal(SIGHUP)
        _ = try await pingate.line(containing: "vault reloaded")
        #expect(pingate.printed.contains("configuration reloaded"))
        #expect(pingate.printed.contains("apply only after a restart: readTimeout"))
        #expect(try await Self.get(base + "/api/pinning/pins/") == 200)  // the new burst of 1
        #expect(try await Self.get(base + "/api/pinning/pins/") == 429)

        try "rate_limit:\n  rate: [nonsense\n".write(to: config, atomically: true, encoding: .utf8)
        pingate.signal(SIGHUP)
        _ = try await pingate.line(containing: "configuration reload failed")
        #expect(try await Self.get(base + "/api/pinning/pins/") == 429)  // the running budgets stay

        pingate.signal(SIGTERM)
        #expect(try await pingate.waitForExit() == 0)
        Self.expectNoSecret(pingate.printed, [apiKey, secretKey])
        await fake.stop()
    }

    @Test("SIGTERM lets slow in-flight requests finish (async path and event-loop relay), then exits 0, printing no secret")
    func sigtermDrain() async throws {
        let apiKey = "CANARY-DRAIN-KEY-a0b1c2", secretKey = "CANARY-DRAIN-SECRET-d3e4f5"
        let (state, fake, pingate, _, base) = try await Self.start(apiKey: apiKey, secretKey: secretKey)
        defer { pingate.terminate() }
        state.resetLog()
        let gate = ResponseGate()
        state.faults.gate = gate
        let cachedRead = Task { try await Self.get(base + "/api/pinning/pins/") }
        let relayed = Task { try await Self.get(base + "/api/pinning/pins/?limit=2", headers: [("Cache-Control", "no-store")]) }
        _ = try await state.waitForRequests(count: 2)
        pingate.signal(SIGTERM)
        // Both answers are held upstream until pingate has begun draining (its listener is closed), then released.
        _ = try await pingate.line(containing: "Shutting down the group")
        let port = Int(base.split(separator: ":").last!)!
        try await withDeadline("pingate to close its listener after SIGTERM", within: .seconds(60)) {
            while let open = try? await RawHTTPConnection.connect(port: port) {
                await open.close()
                try await Task.sleep(for: .milliseconds(20))  // poll interval of a bounded wait
            }
        }
        #expect(gate.heldCount == 2, "an answer left the fake before the drain began")
        gate.open()
        let drainedStatus = try await cachedRead.value
        #expect(drainedStatus == 200, "in-flight cached read answered \(drainedStatus) during drain")
        let relayedStatus = try await relayed.value
        #expect(relayedStatus == 200, "in-flight relayed GET answered \(relayedStatus) during drain")
        #expect(try await pingate.waitForExit() == 0)
        Self.expectNoSecret(pingate.printed, [apiKey, secretKey])
        await fake.stop()
    }

    @Test("a start that cannot unlock the vault exits non-zero with one line, before listening")
    func wrongPassphrase() async throws {
        let vault = try Self.makeVault(apiKey: "CANARY-K-1", secretKey: "CANARY-S-1")
        let run = try await PingateRun.pingate(["serve", "--vault", vault, "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:9"],
                                               environment: ["PINGATE_PASSPHRASE": "wrong"])
        #expect(run.status == 1)
        let lines = run.printed.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.contains("wrong passphrase") == true)
        #expect(!run.printed.contains("listening"))
    }

    @Test("help output lists flags with defaults and never a secret")
    func help() async throws {
        let run = try await PingateRun.pingate(["serve", "--help"], environment: ["PINGATE_PASSPHRASE": "CANARY-PASS-0"])
        #expect(run.status == 0)
        let text = run.printed
        for flag in ["--vault", "--listen", "--upstream", "--unix-socket", "--cache-ttl", "--cache-max-bytes", "--cache-max-object-bytes",
                     "--cache-ttl-pending", "--rate-limit", "--burst", "--rate-limit-wait", "--client-rate-limit", "--client-burst",
                     "--allow-remote", "--access-token-file", "--max-body-bytes", "--drain-timeout", "--config", "--passphrase-file"] {
            #expect(text.contains(flag), "\(flag) missing from help")
        }
        #expect(text.contains("default: 127.0.0.1:8787"))
        #expect(!text.contains("CANARY-PASS-0"))
    }
}
