import Synchronization

/// Holds the credentials currently injected; replaced atomically on reload (SIGHUP).
public final class CredentialStore: Sendable {
    private let state: Mutex<CredentialSet>

    /// Creates a store holding `initial`.
    public init(_ initial: CredentialSet) {
        self.state = Mutex(initial)
    }

    /// The credentials for the next request.
    public var current: CredentialSet { state.withLock { $0 } }

    /// Replaces the credentials; requests already forwarded keep what they had.
    public func replace(with credentials: CredentialSet) {
        state.withLock { $0 = credentials }
    }
}
