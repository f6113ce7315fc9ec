import Foundation
import Testing
import Vault

/// `pingate vault …` as a user runs it: the built binary, secrets only on stdin or in the environment, one-line
/// errors, exit codes 0 (done), 1 (runtime failure) and 64 (usage).
@Suite("pingate vault commands", .timeLimit(.minutes(3)))
struct VaultCommandTests {
    static let passphrase = "cli-test-passphrase"
    static let environment = ["PINGATE_PASSPHRASE": passphrase]

    /// A folder with an initialised, empty vault.
    static func initialisedVault() async throws -> (TemporaryDirectory, String) {
        let folder = try TemporaryDirectory(prefix: "pingate-cli")
        let vault = folder.file("v.pgv")
        let run = try await PingateRun.pingate(["vault", "init", "--vault", vault], environment: environment)
        #expect(run.status == 0, "\(run.standardError)")
        return (folder, vault)
    }

    /// Expects a failure with `status` and exactly one line on stderr containing `fragment`, nothing on stdout.
    static func expectOneLineFailure(_ run: PingateRun, status: Int32 = 1, containing fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.status == status, "stderr: \(run.standardError)", sourceLocation: sourceLocation)
        #expect(run.errorLines.count == 1, "not one line: \(run.standardError)", sourceLocation: sourceLocation)
        #expect(run.standardError.contains(fragment), "\(run.standardError)", sourceLocation: sourceLocation)
        #expect(run.standardOutput.isEmpty, "stdout: \(run.standardOutput)", sourceLocation: sourceLocation)
    }

    @Test("init creates a 0600 vault with no entries; a second init is refused unless --force")
    func initCommand() async throws {
        let (folder, vault) = try await Self.initialisedVault()
        defer { withExtendedLifetime(folder) {} }
        let mode = try (FileManager.default.attributesOfItem(atPath: vault)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600)
        let list = try await PingateRun.pingate(["vault", "list", "--vault", vault], environment: Self.environment)
        #expect(list.status == 0 && list.standardOutput.isEmpty)
        Self.expectOneLineFailure(try await PingateRun.pingate(["vault", "init", "--vault", vault], environment: Self.environment), containing: vault)
        let forced = try await PingateRun.pingate(["vault", "init", "--vault", vault, "--force"], environment: Self.environment)
        #expect(forced.status == 0)
    }

    @Test("set reads the value from stdin only (one trailing newline stripped); list shows names, never values")
    func setAndList() async throws {
        let (folder, vault) = try await Self.initialisedVault()
        defer { withExtendedLifetime(folder) {} }
        let value = "CANARY-CLI-VALUE-5e6f7a"
        let set = try await PingateRun.pingate(["vault", "set", "api_key", "--vault", vault], environment: Self.environment, input: value + "\n")
        #expect(set.status == 0, "\(set.standardError)")
        #expect(set.standardOutput == "stored api_key\n")
        let crlf = try await PingateRun.pingate(["vault", "set", "secret_key", "--vault", vault], environment: Self.environment, input: value + "-2\r\n")
        #expect(crlf.status == 0)
        let contents = try VaultFile.open(at: vault, passphrase: Passphrase(Self.passphrase))
        #expect(contents.names.sorted() == ["api_key", "secret_key"])
        let list = try await PingateRun.pingate(["vault", "list", "--vault", vault], environment: Self.environment)
        #expect(list.status == 0)
        #expect(list.standardOutput.split(separator: "\n").sorted() == ["api_key", "secret_key"])
        for run in [set, crlf, list] {
            #expect(!run.standardOutput.contains(value) && !run.standardError.contains(value), "a value was printed")
        }
        // The stored values are exactly what came on stdin, minus the one newline.
        let credentials = try CredentialCheck.values(vault: vault, passphrase: Self.passphrase)
        #expect(credentials == ["api_key": value, "secret_key": value + "-2"])
    }

    @Test("a value is never taken from argv: an extra argument is a usage error (64) and nothing is stored")
    func valueNotFromArgv() async throws {
        let (folder, vault) = try await Self.initialisedVault()
        defer { withExtendedLifetime(folder) {} }
        let run = try await PingateRun.pingate(["vault", "set", "api_key", "not-a-place-for-secrets", "--vault", vault], environment: Self.environment, input: "x")
        #expect(run.status == 64)
        #expect(!run.printed.contains("not-a-place-for-secrets"), "the usage error echoed the value: \(run.printed)")
        #expect(run.standardError.contains("stdin"))
        #expect(try VaultFile.open(at: vault, passphrase: Passphrase(Self.passphrase)).names.isEmpty)
        #expect(try await PingateRun.pingate(["vault", "set", "api_key", "--value", "v", "--vault", vault], environment: Self.environment).status == 64)
        Self.expectOneLineFailure(
            try await PingateRun.pingate(["vault", "set", "api_key", "--vault", vault], environment: Self.environment, input: "\n"), containing: "empty value")
    }

    @Test("rm removes an entry; removing a missing one fails with one line")
    func remove() async throws {
        let (folder, vault) = try await Self.initialisedVault()
        defer { withExtendedLifetime(folder) {} }
        #expect(try await PingateRun.pingate(["vault", "set", "api_key", "--vault", vault], environment: Self.environment, input: "v").status == 0)
        let removed = try await PingateRun.pingate(["vault", "rm", "api_key", "--vault", vault], environment: Self.environment)
        #expect(removed.status == 0 && removed.standardOutput == "removed api_key\n")
        #expect(try VaultFile.open(at: vault, passphrase: Passphrase(Self.passphrase)).names.isEmpty)
        Self.expectOneLineFailure(try await PingateRun.pingate(["vault", "rm", "api_key", "--vault", vault], environment: Self.environment), containing: "api_key")
    }

    @Test("rekey re-encrypts under PINGATE_NEW_PASSPHRASE: the old passphrase stops working; without a new one it fails")
    func rekey() async throws {
        let (folder, vault) = try await Self.initialisedVault()
        defer { withExtendedLifetime(folder) {} }
        #expect(try await PingateRun.pingate(["vault", "set", "api_key", "--vault", vault], environment: Self.environment, input: "v").status == 0)
        let newPassphrase = "cli-new-passphrase"
        let rekeyed = try await PingateRun.pingate(["vault", "rekey", "--vault", vault], environment: Self.environment.merging(["PINGATE_NEW_PASSPHRASE": newPassphrase]) { $1 })
        #expect(rekeyed.status == 0, "\(rekeyed.standardError)")
        #expect(!rekeyed.standardOutput.contains(newPassphrase) && !rekeyed.standardError.contains(newPassphrase))
        Self.expectOneLineFailure(try await PingateRun.pingate(["vault", "list", "--vault", vault], environment: Self.environment), containing: "passphrase")
        let list = try await PingateRun.pingate(["vault", "list", "--vault", vault], environment: ["PINGATE_PASSPHRASE": newPassphrase])
        #expect(list.status == 0 && list.standardOutput == "api_key\n")
        Self.expectOneLineFailure(
            try await PingateRun.pingate(["vault", "rekey", "--vault", vault], environment: ["PINGATE_PASSPHRASE": newPassphrase]), containing: "PINGATE_NEW_PASSPHRASE")
    }

    @Test("passphrase order: PINGATE_PASSPHRASE, then --passphrase-file, then a prompt (none without a terminal: exit 1, one line)")
    func passphraseOrder() async throws {
        let (folder, vault) = try await Self.initialisedVault()
        defer { withExtendedLifetime(folder) {} }
        let right = try folder.write(Self.passphrase + "\n", to: "right")
        let wrong = try folder.write("not the passphrase\n", to: "wrong")
        // The environment wins over the file.
        #expect(try await PingateRun.pingate(["vault", "list", "--vault", vault, "--passphrase-file", wrong], environment: Self.environment).status == 0)
        Self.expectOneLineFailure(
            try await PingateRun.pingate(["vault", "list", "--vault", vault, "--passphrase-file", right], environment: ["PINGATE_PASSPHRASE": "not the passphrase"]),
            containing: "passphrase")
        // Without the environment the file is read (first line, the newline stripped).
        #expect(try await PingateRun.pingate(["vault", "list", "--vault", vault, "--passphrase-file", right]).status == 0)
        // Neither, and stdin is not a terminal: no prompt, one line, exit 1.
        Self.expectOneLineFailure(try await PingateRun.pingate(["vault", "list", "--vault", vault]), containing: "no passphrase")
        Self.expectOneLineFailure(try await PingateRun.pingate(["vault", "list", "--vault", vault], input: Self.passphrase + "\n"), containing: "no passphrase")
    }

    @Test("runtime failures are one line with exit 1; usage errors exit 64")
    func errorsAndExitCodes() async throws {
        let folder = try TemporaryDirectory(prefix: "pingate-cli")
        Self.expectOneLineFailure(try await PingateRun.pingate(["vault", "list", "--vault", folder.file("missing.pgv")], environment: Self.environment), containing: "missing.pgv")
        try folder.write("not a vault", to: "junk.pgv")
        Self.expectOneLineFailure(try await PingateRun.pingate(["vault", "list", "--vault", folder.file("junk.pgv")], environment: Self.environment), containing: "not a pingate vault file")
        Self.expectOneLineFailure(try await PingateRun.pingate(["vault", "list", "--vault", folder.file("junk.pgv")], environment: Self.environment), containing: "junk.pgv")
        Self.expectOneLineFailure(try await PingateRun.pingate(["vault", "list"], environment: Self.environment), containing: "--vault")
        for arguments in [["vault", "frobnicate"], ["vault", "list", "--no-such-flag"], ["serve", "--listen"], ["no-such-command"]] {
            let run = try await PingateRun.pingate(arguments, environment: Self.environment)
            #expect(run.status == 64, "\(arguments): \(run.status) \(run.standardError)")
            #expect(!run.standardError.contains("Fatal error") && !run.standardError.contains("Stack"), "\(arguments)")
        }
    }
}

/// Reads a vault's values with the Vault library (the CLI never prints them).
enum CredentialCheck {
    static func values(vault: String, passphrase: String) throws -> [String: String] {
        let contents = try VaultFile.open(at: vault, passphrase: Passphrase(passphrase))
        var values: [String: String] = [:]
        for name in contents.names {
            values[name] = try contents.value(named: name).withRevealedBytes { String(decoding: $0, as: UTF8.self) }
        }
        return values
    }
}
