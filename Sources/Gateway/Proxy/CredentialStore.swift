import Synchronization

/// Holds what the vault provides while pingate runs (each route's credentials, the profiles' credentials and the
/// client tokens, as one ``UnlockedVault``); replaced atomically on reload (SIGHUP).
public final class CredentialStore: Sendable {
    private let state: Mutex<UnlockedVault>
    private let defaultRoute: String

    /// Creates a store holding one credential set for the default route.
    public convenience init(_ initial: CredentialSet) {
        self.init(byRoute: ["": initial], defaultRoute: "")
    }

    /// Creates a store holding a credential set per route name (no client tokens).
    public convenience init(byRoute: [String: CredentialSet], defaultRoute: String) {
        self.init(UnlockedVault(routeCredentials: byRoute), defaultRoute: defaultRoute)
    }

    /// Creates a store holding everything an unlocked vault provides.
    /// - Parameter defaultRoute: the route whose credentials a route without its own uses.
    public init(_ vault: UnlockedVault, defaultRoute: String) {
        self.state = Mutex(vault)
        self.defaultRoute = defaultRoute
    }

    /// The credentials for a route's next request (the default route's when the route has none of its own).
    public func credentials(forRoute name: String) -> CredentialSet {
        credentials(forRoute: name, profile: nil) ?? CredentialSet.empty
    }

    /// The credentials of `profile` (nil: the route's own) for a route's next request; nil when the vault in force
    /// has no such profile (its token was removed by a reload meanwhile).
    func credentials(forRoute name: String, profile: String?) -> CredentialSet? {
        state.withLock { $0.credentials(forRoute: name, profile: profile, defaultRoute: defaultRoute) }
    }

    /// The client tokens in force.
    var tokens: TokenDirectory {
        state.withLock { $0.tokens }
    }

    /// Replaces every route's credentials at once (and drops any client tokens); requests already forwarded keep
    /// what they had.
    public func replace(byRoute: [String: CredentialSet]) {
        replace(with: UnlockedVault(routeCredentials: byRoute))
    }

    /// Replaces credentials, profiles and tokens at once; requests already forwarded keep what they had.
    public func replace(with vault: UnlockedVault) {
        state.withLock { $0 = vault }
    }
}
