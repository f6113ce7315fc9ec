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
        re-reads the vault.
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
        let prepared = try await CLIError.reporting { [flags] () -> Prepared in
            let settings = try SettingsLoad.load(configFlag: configFlag, environment: environment, flags: flags)
            for warning in settings.warnings { FileHandle.standardError.write(Data("pingate: warning: \(warning)\n".utf8)) }
            let configuration = try SettingsMapping.configuration(from: settings)
            guard let vaultPath = settings.vault ?? environment["PINGATE_VAULT"] else {
                throw ValidationFailure("no vault: pass --vault PATH, set PINGATE_VAULT, or set `vault` in the config file")
            }
            let passphraseFile = settings.passphraseFile
            let readPassphrase: @Sendable () throws -> Passphrase = {
                if let fromEnv = PassphraseReader.fromEnvironment("PINGATE_PASSPHRASE") { return fromEnv }
                if let passphraseFile { return try PassphraseReader.fromFile(passphraseFile) }
                throw ValidationFailure("no passphrase: set PINGATE_PASSPHRASE or pass --passphrase-file FILE")
            }
            let passphrase: Passphrase
            if PassphraseReader.fromEnvironment("PINGATE_PASSPHRASE") == nil, passphraseFile == nil, isatty(STDIN_FILENO) == 1 {
                passphrase = try PassphraseReader.prompt("Vault passphrase: ")
            } else {
                passphrase = try readPassphrase()
            }
            let routes = configuration.allRoutes
            let credentials = try CredentialSet.unlockAll(vaultAt: vaultPath, passphrase: passphrase, routes: routes)
            return Prepared(settings: settings, configuration: configuration, vaultPath: vaultPath,
                            store: CredentialStore(byRoute: credentials, defaultRoute: configuration.profile),
                            reloadPassphrase: { passphrase })
        }
        ProcessHardening.disableCoreDumps()

        let level = Logger.Level(rawValue: prepared.settings.log.level.rawValue) ?? .info
        LogSetup.bootstrap(json: prepared.settings.log.format == .json, level: level)
        var logger = Logger(label: "pingate")
        logger.logLevel = level
        let configuration = prepared.configuration
        let accessLog = prepared.settings.accessLog
            ? AccessLog(format: prepared.settings.log.format == .text ? .text : .json) : nil
        let readyLogger = logger
        let vaultPath = prepared.vaultPath
        let server = GatewayServer(configuration: configuration, credentials: prepared.store, logger: logger, accessLog: accessLog) { address in
            readyLogger.notice("pingate listening", metadata: ["address": "\(address)", "upstream": "\(configuration.upstream)", "vault": "\(vaultPath)"])
        }
        let configPath = SettingsLoad.configPath(configFlag: configFlag, environment: environment)
        let flagsAtStart = flags
        let load: @Sendable () throws -> Reloader.Loaded = {
            let flags = flagsAtStart
            let settings = try SettingsLoad.load(configFlag: configFlag, environment: environment, flags: flags)
            let configuration = try SettingsMapping.configuration(from: settings)
            guard let vaultPath = settings.vault ?? environment["PINGATE_VAULT"] else {
                throw ValidationFailure("no vault: pass --vault PATH, set PINGATE_VAULT, or set `vault` in the config file")
            }
            return Reloader.Loaded(configuration: configuration, vaultPath: vaultPath)
        }
        let reloadConfiguration = configPath == nil ? nil : load
        let reloader = Reloader(
            vaultPath: vaultPath, passphrase: prepared.reloadPassphrase, routes: configuration.allRoutes,
            loadConfiguration: reloadConfiguration, configPath: configPath, server: server,
            store: prepared.store, metrics: server.metrics, logger: logger
        )
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: server), .init(service: reloader)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ).withDrain(configuration.drainTimeout))
        try await CLIError.reporting { try await group.run() }
    }

    /// Everything resolved before listening.
    struct Prepared: Sendable {
        let settings: PingateSettings
        let configuration: GatewayConfiguration
        let vaultPath: String
        let store: CredentialStore
        let reloadPassphrase: @Sendable () throws -> Passphrase
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
    static func load(configFlag: String?, environment: [String: String], flags: [String: String]) throws -> PingateSettings {
        try SettingsLoader.load(file: configPath(configFlag: configFlag, environment: environment), environment: environment, flags: flags)
    }

    /// The config file in use, if any.
    static func configPath(configFlag: String?, environment: [String: String]) -> String? {
        configFlag ?? environment["PINGATE_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
    }
}
