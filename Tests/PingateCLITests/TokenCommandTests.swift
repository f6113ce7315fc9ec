import Foundation
import Testing
import Vault

/// `pingate token …` as a user runs it: what is stored, `--force`, durations, the reserved vault entry.
@Suite("pingate token commands", .timeLimit(.minutes(3)))
struct TokenCommandTests {
    static let environment = VaultCommandTests.environment

    static func tokens(in vault: String) throws -> [ClientToken] {
        try VaultFile.open(at: vault, passphrase: Passphrase(VaultCommandTests.passphrase)).clientTokens()
    }

    static func add(_ arguments: [String]) async throws -> PingateRun {
        try await PingateRun.pingate(["token", "add"] + arguments, environment: environment)
    }

    @Test("--force replaces a token: a new one is printed and the old one no longer matches")
    func forceReplaces() async throws {
        let (folder, vault) = try await VaultCommandTests.initialisedVault()
        defer { withExtendedLifetime(folder) {} }
        let first = try await Self.add(["ci", "--vault", vault])
        #expect(first.status == 0)
        let firstToken = first.standardOutput.trimmingCharacters(in: .newlines)
        VaultCommandTests.expectOneLineFailure(try await Self.add(["ci", "--vault", vault, "--allow", "GET /"]), containing: "--force")
        #expect(try Self.tokens(in: vault).first?.rules == [], "a refused add changes nothing")

        let second = try await Self.add(["ci", "--vault", vault, "--force", "--allow", "get,head /api/pinning/"])
        #expect(second.status == 0)
        let secondToken = second.standardOutput.trimmingCharacters(in: .newlines)
        #expect(secondToken != firstToken)
        let stored = try Self.tokens(in: vault)
        #expect(stored.count == 1)
        #expect(stored.first?.digest == TokenDigest(of: secondToken))
        #expect(stored.first?.digest != TokenDigest(of: firstToken))
        #expect(stored.first?.rules == ["GET,HEAD /api/pinning/"], "rules are stored in their canonical form")
    }

    @Test("durations, rates and the default profile are stored as given; list marks nothing expired yet")
    func storedPolicy() async throws {
        let (folder, vault) = try await VaultCommandTests.initialisedVault()
        defer { withExtendedLifetime(folder) {} }
        #expect(try await Self.add(["short", "--vault", vault, "--expires", "90m", "--rate", "600/m", "--profile", "default"]).status == 0)
        #expect(try await Self.add(["weekly", "--vault", vault, "--expires", "2w", "--rate", "3", "--burst", "7", "--profile", "ro"]).status == 0)
        let stored = Dictionary(uniqueKeysWithValues: try Self.tokens(in: vault).map { ($0.name, $0) })
        let short = try #require(stored["short"])
        #expect(short.expires.map { $0 - short.created } == 5_400)
        #expect(short.profile == nil, "`default` is the route's own credentials")
        #expect(short.rate == "600/m" && short.burst == 10)
        let weekly = try #require(stored["weekly"])
        #expect(weekly.expires.map { $0 - weekly.created } == 1_209_600)
        #expect(weekly.profile == "ro" && weekly.rate == "3/s" && weekly.burst == 7)

        let list = try await PingateRun.pingate(["token", "list", "--vault", vault], environment: Self.environment)
        #expect(list.status == 0)
        #expect(list.standardOutput.split(separator: "\n").first?.hasPrefix("NAME") == true)
        #expect(list.standardOutput.contains("600/m burst 10"))
        #expect(list.standardOutput.contains("3/s burst 7"))
        #expect(!list.standardOutput.contains("expired"))
    }

    @Test("the token table is not a vault entry to set by hand")
    func reservedEntry() async throws {
        let (folder, vault) = try await VaultCommandTests.initialisedVault()
        defer { withExtendedLifetime(folder) {} }
        let run = try await PingateRun.pingate(["vault", "set", ClientTokenTable.entryName, "--vault", vault], environment: Self.environment, input: "x")
        VaultCommandTests.expectOneLineFailure(run, containing: "pingate token add")
        #expect(try VaultFile.open(at: vault, passphrase: Passphrase(VaultCommandTests.passphrase)).names.isEmpty)
    }
}
