import Vault

/// The one way a command changes the vault: open it, let the change edit the contents, save it under the same
/// passphrase (atomically, with a fresh salt and nonce). Nothing is written when the change throws.
enum VaultEdit {
    /// Runs `change` on the vault at `path` and saves the result; returns what `change` returned.
    static func modify<R>(
        _ path: VaultPathOption, _ passphrase: PassphraseOptions, _ change: (inout VaultContents) throws -> R
    ) throws -> R {
        let file = try path.resolve()
        let secret = try passphrase.resolve()
        var contents = try VaultFile.open(at: file, passphrase: secret)
        let result = try change(&contents)
        try VaultFile.save(contents, to: file, passphrase: secret)
        return result
    }
}
