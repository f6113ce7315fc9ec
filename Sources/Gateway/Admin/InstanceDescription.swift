import Synchronization

/// What the dashboard says about this pingate besides its traffic: the version, the vault file in use and the last
/// reload (SIGHUP). Never a secret: the vault's path, not anything in it.
public final class InstanceDescription: Sendable {
    /// One reload: when it happened and whether the config and the vault both loaded.
    public struct Reload: Sendable, Equatable {
        /// Unix time of the reload.
        public let time: Double
        /// False when the config or the vault failed to load (the running ones were kept).
        public let succeeded: Bool

        /// Memberwise initialiser.
        public init(time: Double, succeeded: Bool) {
            self.time = time
            self.succeeded = succeeded
        }
    }

    /// pingate's version.
    public let version: String
    private let current: Mutex<(vaultPath: String?, lastReload: Reload?)>

    /// - Parameters:
    ///   - version: what `pingate --version` prints.
    ///   - vaultPath: the vault file the credentials came from (nil when there is none to show).
    public init(version: String = "unknown", vaultPath: String? = nil) {
        self.version = version
        self.current = Mutex((vaultPath, nil))
    }

    /// The vault file in use.
    public var vaultPath: String? { current.withLock { $0.vaultPath } }

    /// The last reload, nil before any.
    public var lastReload: Reload? { current.withLock { $0.lastReload } }

    /// Records a reload.
    /// - Parameters:
    ///   - vaultPath: the vault file in use after it.
    ///   - succeeded: whether the config and the vault both loaded.
    ///   - time: Unix time.
    public func reloaded(vaultPath: String, succeeded: Bool, at time: Double) {
        current.withLock { $0 = (vaultPath, Reload(time: time, succeeded: succeeded)) }
    }
}
