import Foundation
import Gateway
import PingateCore
import Vault

/// One real vault per test process (scrypt makes each derivation cost ~0.5 s), with canary secrets.
enum TestVault {
    static let apiKey = "CANARY-API-KEY-7c1d2e"
    static let secretKey = "CANARY-SECRET-KEY-4b9a0f"
    static let passphrase = Passphrase("test passphrase, not a secret")

    /// The test vault's entries in memory (no file, no key derivation), with `extra` entries and client tokens.
    static func contents(extra: [String: String] = [:], tokens: [ClientToken] = []) throws -> VaultContents {
        var contents = VaultContents()
        try contents.set("api_key", to: SecretValue(apiKey))
        try contents.set("secret_key", to: SecretValue(secretKey))
        for (name, value) in extra { try contents.set(name, to: SecretValue(value)) }
        try contents.setClientTokens(tokens)
        return contents
    }

    /// Credentials unlocked from a vault file written by the real Vault code.
    static let credentials: CredentialSet = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pingate-tests-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("test.pgv").path
        try! VaultFile.create(at: path, passphrase: passphrase)
        var contents = try! VaultFile.open(at: path, passphrase: passphrase)
        try! contents.set("api_key", to: SecretValue(apiKey))
        try! contents.set("secret_key", to: SecretValue(secretKey))
        try! VaultFile.save(contents, to: path, passphrase: passphrase)
        let credentials = try! CredentialSet.unlock(vaultAt: path, passphrase: passphrase, mappings: CredentialMapping.w3ipfsDefaults)
        try? FileManager.default.removeItem(at: folder)
        return credentials
    }()
}
