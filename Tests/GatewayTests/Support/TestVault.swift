import Foundation
import Gateway
import PingateCore
import Vault

/// One real vault per test process (scrypt makes each derivation cost ~0.5 s), with canary secrets.
enum TestVault {
    static let apiKey = VaultFixture.apiKey
    static let secretKey = VaultFixture.secretKey
    static let passphrase = "test passphrase, not a secret"

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
        let folder = try! TemporaryDirectory(prefix: "pingate-tests")
        let path = folder.file("test.pgv")
        try! VaultFixture.write(at: path, passphrase: passphrase)
        return try! CredentialSet.unlock(vaultAt: path, passphrase: Passphrase(passphrase), mappings: CredentialMapping.w3ipfsDefaults)
    }()
}
