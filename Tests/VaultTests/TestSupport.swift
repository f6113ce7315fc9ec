import Foundation
import Testing

@testable import Vault

/// Secret used as a vault value; must never appear in any error message or log output.
let canary = "CANARY-SECRET-9f8e7d"

/// Writes raw bytes with the given mode (chmod after create, so umask cannot interfere).
func writeFile(_ bytes: [UInt8], to path: String, mode: Int = 0o600) throws {
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
        throw CocoaError(.fileWriteUnknown)
    }
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
}

func readFile(_ path: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: path)))
}

func permissions(of path: String) throws -> Int {
    try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
}

/// Shared vault bytes so that tamper/truncation tests do not each pay for a key derivation.
enum Fixture {
    static let passphrase = Passphrase("correct horse battery staple")
    static let wrongPassphrase = Passphrase("incorrect horse battery staple")

    static var contents: VaultContents {
        VaultContents(entries: [
            VaultEntryName.apiKey: SecretValue(canary),
            VaultEntryName.secretKey: SecretValue("second-secret-value"),
        ])
    }

    private static let cached: Result<[UInt8], any Error> = Result {
        try VaultFile.encrypt(contents, passphrase: passphrase)
    }

    /// A complete vault file (default scrypt KDF) holding `contents`.
    static func sealed() throws -> [UInt8] { try cached.get() }
}

extension VaultError {
    /// Case name without associated values, for concise assertions.
    var kind: String {
        switch self {
        case .fileNotFound: "fileNotFound"
        case .fileExists: "fileExists"
        case .insecurePermissions: "insecurePermissions"
        case .notRegularFile: "notRegularFile"
        case .fileTooLarge: "fileTooLarge"
        case .notAVaultFile: "notAVaultFile"
        case .truncated: "truncated"
        case .unsupportedVersion: "unsupportedVersion"
        case .unknownKDF: "unknownKDF"
        case .kdfParametersTooWeak: "kdfParametersTooWeak"
        case .kdfParametersTooHigh: "kdfParametersTooHigh"
        case .invalidKDFParameters: "invalidKDFParameters"
        case .malformed: "malformed"
        case .wrongPassphraseOrModified: "wrongPassphraseOrModified"
        case .emptyPassphrase: "emptyPassphrase"
        case .passphraseTooLong: "passphraseTooLong"
        case .notATerminal: "notATerminal"
        case .entryNotFound: "entryNotFound"
        case .invalidEntryName: "invalidEntryName"
        case .io: "io"
        case .crypto: "crypto"
        }
    }
}

/// Runs `body`, expecting a `VaultError`; returns it (or records an issue and returns nil).
@discardableResult
func expectVaultError(
    _ expectedKind: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> VaultError? {
    do {
        try body()
        Issue.record("expected VaultError.\(expectedKind), nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as VaultError {
        #expect(error.kind == expectedKind, "got \(error)", sourceLocation: sourceLocation)
        expectNoCanary(error, sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected VaultError.\(expectedKind), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Every textual rendering of `value` must be free of the canary secret.
func expectNoCanary(_ value: Any, sourceLocation: SourceLocation = #_sourceLocation) {
    var dumped = ""
    dump(value, to: &dumped)
    for text in [String(describing: value), String(reflecting: value), dumped] {
        #expect(!text.contains(canary), "canary leaked: \(text)", sourceLocation: sourceLocation)
    }
}
