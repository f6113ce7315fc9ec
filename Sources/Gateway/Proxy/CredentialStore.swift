import Synchronization

/// Holds the credentials currently injected, per route; replaced atomically on reload (SIGHUP).
public final class CredentialStore: Sendable {
    private let state: Mutex<[String: CredentialSet]>
    private let defaultRoute: String

    /// Creates a store holding one credential set for the default route.
    public convenience init(_ initial: CredentialSet) {
        self.init(byRoute: ["": initial], defaultRoute: "")
    }

    /// Creates a store holding a credential set per route name.
    public init(byRoute: [String: CredentialSet], defaultRoute: String) {
        self.state = Mutex(byRoute)
        self.defaultRoute = defaultRoute
    }

    /// The credentials for a route's next request (the default route's when the route has none of its own).
    public func credentials(forRoute name: String) -> CredentialSet {
        state.withLock { $0[name] ?? $0[defaultRoute] ?? $0.values.first ?? CredentialSet.empty }
    }

    /// Replaces every route's credentials at once; requests already forwarded keep what they had.
    public func replace(byRoute: [String: CredentialSet]) {
        state.withLock { $0 = byRoute }
    }
}
