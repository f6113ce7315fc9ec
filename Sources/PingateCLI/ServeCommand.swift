import ArgumentParser
import Foundation
import Gateway
import Logging
import PingateConfig
import ServiceLifecycle
import Vault

/// `pingate serve`: unlock the vault once, then forward with injected credentials.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the gateway: unlock the vault, listen on loopback, forward to the upstream.",
        discussion: """
        Every setting can come from a flag, a PINGATE_… environment variable or the config file (--config), in
        that order of precedence. SIGTERM/SIGINT drain in-flight requests (--drain-timeout) and exit 0; SIGHUP
        re-reads the config file (with the same flags and environment) and then the vault.
        """
    )

    @Option(name: .long, help: "Path of the encrypted vault file (default: $PINGATE_VAULT or the config's `vault`).") var vault: String?
    @Option(name: .long, help: "Read the passphrase from this file (default: $PINGATE_PASSPHRASE, else a prompt on a terminal).") var passphraseFile: String?
    @OptionGroup var options: ServeOptions

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var flags = options.given
        if let vault { flags["vault"] = vault }
        if let passphraseFile { flags["passphrase_file"] = passphraseFile }
        let configFlag = options.config
        let load: @Sendable () throws -> SettingsLoad.Loaded = { [flags] in
            try SettingsLoad.prepare(configFlag: configFlag, environment: environment, flags: flags)
        }
        let prepared = try await CLIError.reporting { () -> Prepared in
            let loaded = try load()
            for warning in loaded.settings.warnings { FileHandle.standardError.write(Data("pingate: warning: \(warning)\n".utf8)) }
            let passphrase = try PassphraseOptions.resolve(file: loaded.settings.passphraseFile)
            var configuration = loaded.configuration
            // One key derivation: the credentials, the client tokens and the Redis password come from one opening.
            let contents = try VaultEdit.open(loaded.vaultPath, passphrase: passphrase)
            let vault = try UnlockedVault(contents: contents, routes: configuration.allRoutes, profiles: configuration.profiles)
            if let warning = try Self.checkTokens(vault, configuration: configuration) {
                FileHandle.standardError.write(Data("pingate: warning: \(warning)\n".utf8))
            }
            if let entry = loaded.settings.redis.passwordEntry {
                // The Redis password is a secret like the upstream's: it comes from the vault, never from argv.
                guard let password = contents[entry]?.revealed else {
                    throw ValidationFailure("redis.password_entry: the vault has no entry '\(entry)'")
                }
                configuration.sharedState?.password = password
            }
            return Prepared(settings: loaded.settings, configuration: configuration, vaultPath: loaded.vaultPath,
                            store: CredentialStore(vault, defaultRoute: configuration.profile),
                            passphrase: passphrase)
        }
        ProcessHardening.disableCoreDumps()

        let level = Logger.Level(rawValue: prepared.settings.log.level.rawValue) ?? .info
        LogSetup.bootstrap(json: prepared.settings.log.format == .json, level: level)
        var logger = Logger(label: "pingate")
        logger.logLevel = level
        let configuration = prepared.configuration
        let accessLog = prepared.settings.accessLog
            ? AccessLog(format: prepared.settings.log.format) : nil
        let readyLogger = logger
        let vaultPath = prepared.vaultPath
        let instance = InstanceDescription(version: Pingate.version, vaultPath: vaultPath)
        let server = GatewayServer(
            configuration: configuration, credentials: prepared.store, logger: logger, accessLog: accessLog, instance: instance
        ) { address in
            readyLogger.notice("pingate listening", metadata: ["address": "\(address)", "upstream": "\(configuration.upstream)", "vault": "\(vaultPath)"])
        }
        let reloader = Reloader(
            vaultPath: vaultPath, passphrase: prepared.passphrase, routes: configuration.allRoutes, profiles: configuration.profiles,
            config: SettingsLoad.configPath(configFlag: configFlag, environment: environment).map { (path: $0, load: load) },
            server: server, store: prepared.store, metrics: server.metrics, logger: logger
        )
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: server), .init(service: reloader)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ).withDrain(configuration.drainTimeout))
        try await CLIError.reporting { try await group.run() }
    }

    /// A non-loopback listener needs at least one token clients can present (it requires one); a loopback one that
    /// requires tokens without having any gets a warning (returned).
    static func checkTokens(_ vault: UnlockedVault, configuration: GatewayConfiguration) throws -> String? {
        guard configuration.access.requireToken, vault.tokens.policies.isEmpty, configuration.access.accessTokens.isEmpty else { return nil }
        if configuration.unixSocketPath == nil && !configuration.listen.isLoopback {
            throw ValidationFailure("refusing to listen on non-loopback address \(configuration.listen) without a client token: add one (pingate token add NAME --vault V) or pass --access-token-file")
        }
        return "client tokens are required but the vault holds none (pingate token add): every request but /_pingate/healthz and /_pingate/readyz gets 401"
    }

    /// Everything resolved before listening.
    struct Prepared: Sendable {
        let settings: PingateSettings
        let configuration: GatewayConfiguration
        let vaultPath: String
        let store: CredentialStore
        /// Kept for reloads (the vault is re-read with the same passphrase).
        let passphrase: Passphrase
    }
}

extension ServiceGroupConfiguration {
    /// Bounds graceful shutdown: after `drain`, whatever still runs is cancelled.
    func withDrain(_ drain: Duration) -> Self {
        var copy = self
        copy.maximumGracefulShutdownDuration = drain
        return copy
    }
}

/// Resolves the config file (`--config`, else `$PINGATE_CONFIG`) and loads every layer.
enum SettingsLoad {
    /// Settings, the gateway configuration made from them, and the vault they name.
    struct Loaded: Sendable {
        let settings: PingateSettings
        let configuration: GatewayConfiguration
        let vaultPath: String
    }

    /// Loads every layer and maps it (at start, and again on SIGHUP).
    static func prepare(configFlag: String?, environment: [String: String], flags: [String: String]) throws -> Loaded {
        let settings = try load(configFlag: configFlag, environment: environment, flags: flags)
        let configuration = try SettingsMapping.configuration(from: settings)
        guard let vaultPath = settings.vault ?? environment["PINGATE_VAULT"] else {
            throw ValidationFailure("no vault: pass --vault PATH, set PINGATE_VAULT, or set `vault` in the config file")
        }
        return Loaded(settings: settings, configuration: configuration, vaultPath: vaultPath)
    }

    static func load(configFlag: String?, environment: [String: String], flags: [String: String]) throws -> PingateSettings {
        try SettingsLoader.load(file: configPath(configFlag: configFlag, environment: environment), environment: environment, flags: flags)
    }

    /// The config file in use, if any.
    static func configPath(configFlag: String?, environment: [String: String]) -> String? {
        configFlag ?? environment["PINGATE_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
    }
}
