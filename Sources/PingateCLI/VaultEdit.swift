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
        var contents = try open(file, passphrase: secret)
        let result = try change(&contents)
        try VaultFile.save(contents, to: file, passphrase: secret)
        return result
    }

    /// Opens the vault at `file`; a failure that does not name the file (a wrong passphrase, a file that is not a
    /// vault, …) is reported with it, so the one line says which file.
    static func open(_ file: String, passphrase: Passphrase) throws -> VaultContents {
        do {
            return try VaultFile.open(at: file, passphrase: passphrase)
        } catch let error as VaultError where !error.namesPath {
            throw VaultFileError(path: file, reason: error)
        }
    }
}

/// A vault failure with the file it concerns.
struct VaultFileError: Error, CustomStringConvertible {
    let path: String
    let reason: VaultError
    var description: String { "vault \(path): \(reason)" }
}
