import Foundation
import Testing

@testable import Vault

@Suite("PassphraseReader", .timeLimit(.minutes(1)))
struct PassphraseReaderTests {
    private func bytes(_ passphrase: Passphrase) -> [UInt8] {
        passphrase.storage.withUnsafeBytes { Array($0) }
    }

    @Test("fromFile strips exactly one trailing newline")
    func fromFile() throws {
        let dir = try TemporaryDirectory()
        let cases: [(String, String)] = [
            ("pass\n", "pass"), ("pass", "pass"), ("pass\r\n", "pass"), ("pass\n\n", "pass\n"),
            (" spaced pass \n", " spaced pass "),
        ]
        for (index, (content, expected)) in cases.enumerated() {
            let path = dir.file("p\(index)")
            try writeFile(Array(content.utf8), to: path)
            #expect(bytes(try PassphraseReader.fromFile(path)) == Array(expected.utf8))
        }
    }

    @Test("fromFile refuses empty files and reports missing ones")
    func fromFileErrors() throws {
        let dir = try TemporaryDirectory()
        for (index, content) in ["", "\n", "\r\n"].enumerated() {
            let path = dir.file("empty\(index)")
            try writeFile(Array(content.utf8), to: path)
            expectVaultError("emptyPassphrase") { _ = try PassphraseReader.fromFile(path) }
        }
        expectVaultError("fileNotFound") { _ = try PassphraseReader.fromFile(dir.file("missing")) }
        let big = dir.file("big")
        try writeFile([UInt8](repeating: 0x61, count: PassphraseReader.maximumLength + 1), to: big)
        expectVaultError("fileTooLarge") { _ = try PassphraseReader.fromFile(big) }
    }

    @Test("fromEnvironment returns the value, nil when unset or empty")
    func fromEnvironment() {
        let name = "PINGATE_VAULT_TEST_\(UUID().uuidString.replacingOccurrences(of: "-", with: "_"))"
        #expect(PassphraseReader.fromEnvironment(name) == nil)
        setenv(name, "", 1)
        #expect(PassphraseReader.fromEnvironment(name) == nil)
        setenv(name, "env pass", 1)
        defer { unsetenv(name) }
        #expect(PassphraseReader.fromEnvironment(name).map(bytes) == Array("env pass".utf8))
    }

    @Test("prompt refuses to run without a terminal", .enabled(if: isatty(STDIN_FILENO) == 0))
    func promptWithoutTTY() {
        expectVaultError("notATerminal") { _ = try PassphraseReader.prompt("Passphrase: ") }
    }
}
