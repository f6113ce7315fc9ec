import ArgumentParser
import Foundation
import Gateway
import Logging
import ServiceLifecycle
import Vault

/// `pingate serve`: unlock the vault once, then forward with injected credentials.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the gateway: unlock the vault, listen on loopback, forward to the upstream."
    )

    @OptionGroup var vaultPath: VaultPathOption
    @OptionGroup var passphrase: PassphraseOptions

    @Option(help: "Address to listen on, HOST:PORT.") var listen: String = "127.0.0.1:8787"
    @Option(help: "Upstream base URL (https, or http for a loopback host).") var upstream: String = GatewayConfiguration.defaultUpstream
    @Option(help: "Serve on this unix socket instead of TCP.") var unixSocket: String?
    @Option(help: "Upstream connect timeout, seconds.") var connectTimeout: Double = 10
    @Option(help: "Upstream read timeout, seconds.") var readTimeout: Double = 60
    @Option(help: "Seconds in-flight requests may finish after SIGTERM/SIGINT.") var drainTimeout: Double = 30
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel: String = "info"

    func run() async throws {
        let (configuration, credentials, vaultFile) = try await CLIError.reporting { () -> (GatewayConfiguration, CredentialStore, String) in
            let configuration = try makeConfiguration()
            let file = try vaultPath.resolve()
            let credentials = try CredentialSet.unlock(vaultAt: file, passphrase: try passphrase.resolve(), mappings: configuration.credentialMappings)
            return (configuration, CredentialStore(credentials), file)
        }
        ProcessHardening.disableCoreDumps()
        var logger = Logger(label: "pingate")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let readyLogger = logger
        let server = GatewayServer(configuration: configuration, credentials: credentials, logger: logger) { address in
            readyLogger.notice("pingate listening", metadata: ["address": "\(address)", "upstream": "\(configuration.upstream)", "vault": "\(vaultFile)"])
        }
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: server)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ).withDrain(configuration.drainTimeout))
        try await CLIError.reporting { try await group.run() }
    }

    func makeConfiguration() throws -> GatewayConfiguration {
        var configuration = GatewayConfiguration(upstream: try UpstreamEndpoint(upstream))
        configuration.listen = try ListenAddress(parsing: listen)
        configuration.unixSocketPath = unixSocket
        configuration.connectTimeout = .milliseconds(Int64(connectTimeout * 1000))
        configuration.readTimeout = .milliseconds(Int64(readTimeout * 1000))
        configuration.drainTimeout = .milliseconds(Int64(drainTimeout * 1000))
        return configuration
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
