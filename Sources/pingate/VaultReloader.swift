import Gateway
import Logging
import ServiceLifecycle
import UnixSignals
import Vault

/// Re-reads the vault on SIGHUP without dropping connections: rotated credentials apply to the next request.
///
/// A vault that fails to open (wrong passphrase, tampered, missing entry) keeps the old credentials and logs
/// one line naming the cause.
struct VaultReloader: Service, CustomStringConvertible {
    var description: String { "VaultReloader" }

    let vaultPath: String
    let passphrase: @Sendable () throws -> Passphrase
    let routes: [GatewayRoute]
    let store: CredentialStore
    let defaultRoute: String
    let metrics: GatewayMetrics
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            reload()
        }
    }

    /// One reload attempt.
    func reload() {
        do {
            let credentials = try CredentialSet.unlockAll(vaultAt: vaultPath, passphrase: try passphrase(), routes: routes)
            store.replace(byRoute: credentials)
            metrics.vaultReload(succeeded: true)
            logger.notice("vault reloaded; new credentials apply to the next request", metadata: ["vault": "\(vaultPath)"])
        } catch {
            metrics.vaultReload(succeeded: false)
            logger.error("vault reload failed, keeping the previous credentials: \(error)", metadata: ["vault": "\(vaultPath)"])
        }
    }
}
