import ArgumentParser
import Foundation
import PingateCLI
import Testing

/// `check-config`, `--version`, and the commands parsed in process through the `PingateCLI` library.
@Suite("pingate check-config, --version and parsing", .timeLimit(.minutes(2)))
struct CommandTests {
    @Test("--version prints the library's version and exits 0")
    func version() async throws {
        let run = try await PingateRun.pingate(["--version"])
        #expect(run.status == 0)
        #expect(run.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == Pingate.version)
    }

    @Test("check-config: a valid file prints the effective configuration with secrets masked and exits 0")
    func checkConfigValid() async throws {
        let folder = try TemporaryDirectory(prefix: "pingate-cli")
        let token = "CANARY-CHECK-TOKEN-0123456789"
        let tokenFile = try folder.write(token + "\n", to: "token")
        let file = try folder.write("listen: 127.0.0.1:9999\naccess_token_file: \(tokenFile)\ncache:\n  ttl: 30\n", to: "pingate.yaml")
        let run = try await PingateRun.pingate(["check-config", file])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("127.0.0.1:9999"))
        #expect(!run.standardOutput.contains(token) && !run.standardError.contains(token))
    }

    @Test("check-config: an invalid value, unknown key or missing file is one line naming it, exit 1")
    func checkConfigInvalid() async throws {
        let folder = try TemporaryDirectory(prefix: "pingate-cli")
        let invalid = try folder.write("cache:\n  ttl: soon\n", to: "invalid.yaml")
        let run = try await PingateRun.pingate(["check-config", invalid])
        #expect(run.status == 1)
        #expect(run.standardError.contains("invalid.yaml:2") && run.standardError.contains("cache.ttl"), "\(run.standardError)")
        #expect(!run.standardError.contains("Fatal error"))
        let missing = try await PingateRun.pingate(["check-config", folder.file("missing.yaml")])
        #expect(missing.status == 1)
        #expect(missing.errorLines.count == 1 && missing.standardError.contains("missing.yaml"), "\(missing.standardError)")
        #expect(try await PingateRun.pingate(["check-config"]).status == 64)
    }

    static let parsingCases: [([String], Int32)] = [
        (["vault", "set", "api_key", "extra-argument"], 64),
        (["vault", "set"], 64),
        (["vault", "list", "--unknown"], 64),
        (["serve", "--listen"], 64),
        (["no-such-command"], 64),
    ]

    @Test("in process: usage errors map to exit code 64", arguments: parsingCases)
    func parsing(arguments: [String], expected: Int32) {
        do {
            _ = try Pingate.parseAsRoot(arguments)
            Issue.record("\(arguments) parsed")
        } catch {
            #expect(Pingate.exitCode(for: error).rawValue == expected, "\(arguments): \(error)")
        }
    }
}
