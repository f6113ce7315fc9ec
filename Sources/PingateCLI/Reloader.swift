import Foundation
import Gateway
import Logging
import ServiceLifecycle
import UnixSignals
import Vault

/// SIGHUP: re-reads the config file (when one is in use) and the vault, without dropping connections.
///
/// - The config file is loaded again with the same flags and environment as at start. Rate budgets apply to the
///   next request; credential mappings apply with the vault; other changed settings are named in one warning (they
///   need a restart). A config that fails to load keeps the running one and logs one line naming the cause.
/// - The vault is re-read: rotated credentials apply to the next request. A vault that fails to open (wrong
///   passphrase, tampered, missing entry) keeps the old credentials and logs one line naming the cause.
struct Reloader: Service, CustomStringConvertible {
    var description: String { "Reloader" }

    let vaultPath: String
    let passphrase: Passphrase
    let routes: [GatewayRoute]
    /// The config file and how to load every layer again; nil when pingate runs without one.
    let config: (path: String, load: @Sendable () throws -> SettingsLoad.Loaded)?
    let server: GatewayServer
    let store: CredentialStore
    let metrics: GatewayMetrics
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        var current = (vaultPath: vaultPath, routes: routes)
        for await _ in signals.cancelOnGracefulShutdown() {
            current = reload(current)
        }
    }

    /// One reload: the config first (its credential mappings and vault path), then the vault.
    func reload(_ current: (vaultPath: String, routes: [GatewayRoute])) -> (vaultPath: String, routes: [GatewayRoute]) {
        let reloaded = reloadConfigThenVault(current)
        server.instance.reloaded(vaultPath: reloaded.next.vaultPath, succeeded: reloaded.succeeded, at: Date().timeIntervalSince1970)
        return reloaded.next
    }

    private func reloadConfigThenVault(_ current: (vaultPath: String, routes: [GatewayRoute])) -> (next: (vaultPath: String, routes: [GatewayRoute]), succeeded: Bool) {
        var next = current
        var configLoaded = true
        if let config {
            do {
                let loaded = try config.load()
                let outcome = try server.reload(loaded.configuration)
                next = (loaded.vaultPath, loaded.configuration.allRoutes)
                logger.notice("configuration reloaded", metadata: [
                    "config": "\(config.path)", "rate_limits": "\(outcome.budgetsChanged ? "replaced" : "unchanged")",
                ])
                if !outcome.needRestart.isEmpty {
                    logger.warning("changed settings apply only after a restart: \(outcome.needRestart.joined(separator: ", "))")
                }
            } catch {
                configLoaded = false
                logger.error("configuration reload failed, keeping the running configuration: \(error)", metadata: ["config": "\(config.path)"])
            }
        }
        do {
            let credentials = try CredentialSet.unlockAll(vaultAt: next.vaultPath, passphrase: passphrase, routes: next.routes)
            store.replace(byRoute: credentials)
            metrics.vaultReload(succeeded: true)
            logger.notice("vault reloaded; new credentials apply to the next request", metadata: ["vault": "\(next.vaultPath)"])
            return (next, configLoaded)
        } catch {
            metrics.vaultReload(succeeded: false)
            logger.error("vault reload failed, keeping the previous credentials: \(error)", metadata: ["vault": "\(next.vaultPath)"])
            return ((current.vaultPath, next.routes), false)
        }
    }
}
