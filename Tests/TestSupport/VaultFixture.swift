import Vault

/// Vault files written by the real `Vault` code (each write costs one scrypt derivation, ~0.5 s).
public enum VaultFixture {
    /// Canary credentials: text that must never appear in output, logs or error bodies.
    public static let apiKey = "CANARY-API-KEY-7c1d2e"
    /// See ``apiKey``.
    public static let secretKey = "CANARY-SECRET-KEY-4b9a0f"

    /// Writes a vault at `path` (replacing one that is there) holding `entries`.
    /// - Parameters:
    ///   - path: where the vault goes (its folder must exist).
    ///   - passphrase: the vault passphrase.
    ///   - entries: entry name → secret value.
    public static func write(at path: String, passphrase: String, entries: [String: String]) throws {
        var contents = VaultContents()
        for (name, value) in entries { try contents.set(name, to: SecretValue(value)) }
        try VaultFile.save(contents, to: path, passphrase: Passphrase(passphrase))
    }

    /// Writes a vault with the default `api_key` and `secret_key` entries.
    public static func write(at path: String, passphrase: String, apiKey: String = apiKey, secretKey: String = secretKey) throws {
        try write(at: path, passphrase: passphrase, entries: ["api_key": apiKey, "secret_key": secretKey])
    }
}
