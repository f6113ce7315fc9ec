import ArgumentParser

/// `pingate`: a local gateway for the w3ipfs pinning API that keeps the account's keys in an encrypted vault.
///
/// The executable's `main` calls ``main()``; tests can parse and run the same commands in process
/// (`Pingate.parseAsRoot(arguments)`); a failing command throws `ExitCode` instead of ending the process.
public struct Pingate: AsyncParsableCommand {
    /// The version `pingate --version` prints.
    public static let version = "0.1.0"

    /// Command name, help text and the subcommands.
    public static let configuration = CommandConfiguration(
        commandName: "pingate",
        abstract: "Local credential-injecting gateway for the w3ipfs pinning API.",
        discussion: """
        Tools point their base URL at pingate (default http://127.0.0.1:8787) and send no credentials;
        pingate injects the vault's key and secret, streams both ways, caches GETs and enforces rate limits.

        Exit codes: 0 success, 1 runtime error (vault, network, I/O), 64 usage error.
        """,
        version: version,
        subcommands: [ServeCommand.self, VaultCommand.self, TokenCommand.self, DemoCommand.self, StatusCommand.self, CheckConfigCommand.self]
    )

    /// For ArgumentParser; `pingate` alone prints the help.
    public init() {}
}
