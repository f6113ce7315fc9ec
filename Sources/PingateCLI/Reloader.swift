import Foundation
import Gateway
import Logging
import PingateCore
import ServiceLifecycle
import UnixSignals
import Vault

/// SIGHUP: re-reads the config file (when one is in use) and the vault, without dropping connections.
///
/// - The config file is loaded again with the same flags and environment as at start. Rate budgets apply to the
///   next request; credential mappings apply with the vault; other changed settings are named in one warning (they
///   need a restart). A config that fails to load keeps the running one and logs one line naming the cause.
/// - The vault is re-read: rotated credentials, added and revoked client tokens and their profiles apply to the next
///   request. A vault that fails to open (wrong passphrase, tampered, missing entry, a token whose profile lacks an
///   entry) keeps the old credentials and tokens and logs one line naming the cause.
struct Reloader: Service, CustomStringConvertible {
    var description: String { "Reloader" }

    let vaultPath: String
    let passphrase: Passphrase
    let routes: [GatewayRoute]
    /// The configuration's credential profiles.
    let profiles: [String: [CredentialMapping]]
    /// The config file and how to load every layer again; nil when pingate runs without one.
    let config: (path: String, load: @Sendable () throws -> SettingsLoad.Loaded)?
    let server: GatewayServer
    let store: CredentialStore
    let metrics: GatewayMetrics
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        var current = VaultInputs(vaultPath: vaultPath, routes: routes, profiles: profiles)
        for await _ in signals.cancelOnGracefulShutdown() {
            current = reload(current)
        }
    }

    /// What a reload reads the vault with.
    struct VaultInputs {
        var vaultPath: String
        var routes: [GatewayRoute]
        var profiles: [String: [CredentialMapping]]
    }

    /// One reload: the config first (its credential mappings, profiles and vault path), then the vault. Its time and
    /// outcome are recorded for the dashboard.
    func reload(_ current: VaultInputs) -> VaultInputs {
        let reloaded = reloadConfigThenVault(current)
        server.instance.reloaded(vaultPath: reloaded.next.vaultPath, succeeded: reloaded.succeeded, at: Date().timeIntervalSince1970)
        return reloaded.next
    }

    /// The reload; `succeeded` is false when the config or the vault failed to load (the running ones are kept).
    private func reloadConfigThenVault(_ current: VaultInputs) -> (next: VaultInputs, succeeded: Bool) {
        var next = current
        var configLoaded = true
        if let config {
            do {
                let loaded = try config.load()
                let outcome = try server.reload(loaded.configuration)
                next = VaultInputs(vaultPath: loaded.vaultPath, routes: loaded.configuration.allRoutes, profiles: loaded.configuration.profiles)
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
            let vault = try UnlockedVault.unlock(vaultAt: next.vaultPath, passphrase: passphrase, routes: next.routes, profiles: next.profiles)
            store.replace(with: vault)
            metrics.vaultReload(succeeded: true)
            logger.notice("vault reloaded; new credentials and client tokens apply to the next request", metadata: [
                "vault": "\(next.vaultPath)", "client_tokens": "\(vault.tokens.policies.count)",
            ])
            return (next, configLoaded)
        } catch {
            metrics.vaultReload(succeeded: false)
            logger.error("vault reload failed, keeping the previous credentials and client tokens: \(error)", metadata: ["vault": "\(next.vaultPath)"])
            return (VaultInputs(vaultPath: current.vaultPath, routes: next.routes, profiles: next.profiles), false)
        }
    }
}
