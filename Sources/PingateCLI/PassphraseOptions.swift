import ArgumentParser
import Foundation
import Vault

/// Where the vault passphrase comes from, in order: `PINGATE_PASSPHRASE`, `--passphrase-file`, a no-echo prompt
/// when stdin is a terminal. Never from argv.
struct PassphraseOptions: ParsableArguments {
    @Option(name: .long, help: "Read the passphrase from this file (first line; one trailing newline stripped). Default: $PINGATE_PASSPHRASE, else a prompt on a terminal.")
    var passphraseFile: String?

    /// Resolves the passphrase or throws a one-line error.
    func resolve(prompt: String = "Vault passphrase: ") throws -> Passphrase {
        try Self.resolve(file: passphraseFile, prompt: prompt)
    }

    /// The same order with the passphrase file given directly (e.g. from the config file).
    static func resolve(file: String?, prompt: String = "Vault passphrase: ") throws -> Passphrase {
        if let fromEnv = PassphraseReader.fromEnvironment("PINGATE_PASSPHRASE") { return fromEnv }
        if let file { return try PassphraseReader.fromFile(file) }
        if isatty(STDIN_FILENO) == 1 { return try PassphraseReader.prompt(prompt) }
        throw ValidationFailure("no passphrase: set PINGATE_PASSPHRASE, pass --passphrase-file FILE, or run on a terminal")
    }
}

/// The vault file location: `--vault PATH`, else `$PINGATE_VAULT`.
struct VaultPathOption: ParsableArguments {
    @Option(name: .long, help: "Path of the encrypted vault file (default: $PINGATE_VAULT).")
    var vault: String?

    func resolve() throws -> String {
        if let vault { return vault }
        if let env = ProcessInfo.processInfo.environment["PINGATE_VAULT"], !env.isEmpty { return env }
        throw ValidationFailure("no vault: pass --vault PATH or set PINGATE_VAULT")
    }
}

/// A one-line failure whose text is the whole message.
struct ValidationFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
