import PingateCore
import Vault

/// What the gateway takes from an unlocked vault: each route's credentials, the credentials of every profile a
/// client token uses, and the tokens. Built once at start and again on every reload, and swapped in whole
/// (``CredentialStore``), so a token and its profile's credentials always come from the same vault.
///
/// A profile `P` on a route uses, for each of the route's credential headers, the vault entry the configuration's
/// `profiles.P` names for that header, else the entry `P.<entry>` (so `P.api_key`, `P.secret_key` for the w3ipfs
/// route). A profile never injects a header the route does not use.
public struct UnlockedVault: Sendable {
    /// Route name → the route's own credentials (the default profile).
    public let routeCredentials: [String: CredentialSet]
    /// Profile → route name → credentials.
    let profileCredentials: [String: [String: CredentialSet]]
    /// The client tokens.
    public let tokens: TokenDirectory

    /// Credentials without tokens or profiles.
    public init(routeCredentials: [String: CredentialSet]) {
        self.routeCredentials = routeCredentials
        self.profileCredentials = [:]
        self.tokens = .empty
    }

    /// Builds everything from decrypted vault contents.
    /// - Parameters:
    ///   - routes: every route (their credential mappings name the entries).
    ///   - profiles: the configuration's named profiles (header → entry).
    /// - Throws: ``GatewayConfigurationError`` naming the missing entry (and the token whose profile needs it), or
    ///   the token whose policy is invalid; `VaultError.malformed` when the token table cannot be read.
    public init(contents: VaultContents, routes: [GatewayRoute], profiles: [String: [CredentialMapping]]) throws {
        var byRoute: [String: CredentialSet] = [:]
        for route in routes {
            byRoute[route.name] = try CredentialSet(mappings: route.credentialMappings) { contents[$0]?.revealed }
        }
        let policies = try contents.clientTokens().map(TokenPolicy.init)
        var byProfile: [String: [String: CredentialSet]] = [:]
        for policy in policies {
            guard let profile = policy.profile, byProfile[profile] == nil else { continue }
            var sets: [String: CredentialSet] = [:]
            for route in routes {
                let mappings = Self.mappings(of: profile, on: route, configured: profiles[profile] ?? [])
                if let missing = mappings.first(where: { contents[$0.entry] == nil }) {
                    throw GatewayConfigurationError(
                        .missingCredential,
                        "token '\(policy.name)' uses profile '\(profile)', but the vault has no entry '\(missing.entry)' (for header \(missing.header) of route \(route.name))"
                    )
                }
                sets[route.name] = try CredentialSet(mappings: mappings) { contents[$0]?.revealed }
            }
            byProfile[profile] = sets
        }
        self.routeCredentials = byRoute
        self.profileCredentials = byProfile
        self.tokens = TokenDirectory(policies: policies)
    }

    /// Opens the vault once and builds everything from it.
    /// - Throws: `VaultError` (wrong passphrase, tampered file, …) or what ``init(contents:routes:profiles:)`` throws.
    public static func unlock(
        vaultAt path: String, passphrase: Passphrase, routes: [GatewayRoute], profiles: [String: [CredentialMapping]]
    ) throws -> UnlockedVault {
        try UnlockedVault(contents: try VaultFile.open(at: path, passphrase: passphrase), routes: routes, profiles: profiles)
    }

    /// The entries profile `profile` injects on `route`.
    static func mappings(of profile: String, on route: GatewayRoute, configured: [CredentialMapping]) -> [CredentialMapping] {
        route.credentialMappings.map { mapping in
            let entry = configured.first { ASCII.equalsFolded($0.header, mapping.header) }?.entry ?? profile + "." + mapping.entry
            return CredentialMapping(header: mapping.header, entry: entry)
        }
    }

    /// The credentials of `route` for `profile` (nil: the route's own); nil when the profile has none here.
    func credentials(forRoute route: String, profile: String?, defaultRoute: String) -> CredentialSet? {
        guard let profile else {
            return routeCredentials[route] ?? routeCredentials[defaultRoute] ?? routeCredentials.values.first ?? CredentialSet.empty
        }
        return profileCredentials[profile]?[route] ?? profileCredentials[profile]?[defaultRoute]
    }
}
