import ArgumentParser
import Foundation
import Vault

/// `pingate vault …`: create and edit the encrypted vault. Values are read from stdin, never argv.
struct VaultCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vault",
        abstract: "Create and edit the encrypted vault (AES-256-GCM, scrypt).",
        subcommands: [Init.self, Set.self, List.self, Remove.self, Rekey.self]
    )

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "init", abstract: "Create an empty vault (mode 0600).")
        @OptionGroup var path: VaultPathOption
        @OptionGroup var passphrase: PassphraseOptions
        @Flag(help: "Overwrite an existing file.") var force = false

        func run() async throws {
            try await CLIError.reporting {
                let file = try path.resolve()
                try VaultFile.create(at: file, passphrase: try passphrase.resolve(prompt: "New vault passphrase: "), force: force)
                print("created empty vault \(file)")
            }
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Store a secret read from stdin (one trailing newline stripped).",
            discussion: "Example: printf %s \"$KEY\" | pingate vault set api_key --vault v.pgv"
        )
        @Argument(help: "Entry name, e.g. api_key or secret_key.") var name: String
        @OptionGroup var path: VaultPathOption
        @OptionGroup var passphrase: PassphraseOptions
        /// Anything else on the command line, most likely a value typed where it must not go; never echoed.
        @Argument(parsing: .allUnrecognized, help: .private) var unexpected: [String] = []

        func validate() throws {
            guard unexpected.isEmpty else {
                throw ValidationError(
                    "unexpected argument after the entry name (not shown): the value is read from stdin, never from the command line, "
                        + "where ps and the shell history would keep it"
                )
            }
        }

        func run() async throws {
            try await CLIError.reporting {
                guard name != ClientTokenTable.entryName else {
                    throw ValidationFailure("entry \(name) holds pingate's client tokens: use pingate token add|rm")
                }
                try VaultEdit.modify(path, passphrase) { contents in
                    try contents.set(name, to: try StandardInput.readSecret())
                }
                print("stored \(name)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Print entry names (never values).")
        @OptionGroup var path: VaultPathOption
        @OptionGroup var passphrase: PassphraseOptions

        func run() async throws {
            try await CLIError.reporting {
                let contents = try VaultEdit.open(try path.resolve(), passphrase: try passphrase.resolve())
                for name in contents.names { print(name) }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove an entry.")
        @Argument(help: "Entry name.") var name: String
        @OptionGroup var path: VaultPathOption
        @OptionGroup var passphrase: PassphraseOptions

        func run() async throws {
            try await CLIError.reporting {
                try VaultEdit.modify(path, passphrase) { contents in
                    try contents.remove(name)
                }
                print("removed \(name)")
            }
        }
    }

    struct Rekey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rekey",
            abstract: "Re-encrypt under a new passphrase ($PINGATE_NEW_PASSPHRASE or a prompt)."
        )
        @OptionGroup var path: VaultPathOption
        @OptionGroup var passphrase: PassphraseOptions

        func run() async throws {
            try await CLIError.reporting {
                let file = try path.resolve()
                let contents = try VaultEdit.open(file, passphrase: try passphrase.resolve())
                let newPassphrase: Passphrase
                if let fromEnv = PassphraseReader.fromEnvironment("PINGATE_NEW_PASSPHRASE") {
                    newPassphrase = fromEnv
                } else if isatty(STDIN_FILENO) == 1 {
                    newPassphrase = try PassphraseReader.prompt("New vault passphrase: ")
                } else {
                    throw ValidationFailure("no new passphrase: set PINGATE_NEW_PASSPHRASE or run on a terminal")
                }
                try VaultFile.save(contents, to: file, passphrase: newPassphrase)
                print("re-encrypted \(file) under the new passphrase")
            }
        }
    }
}
