import Vault

/// The client tokens in force, looked up by the digest of a presented token.
///
/// A lookup compares the digest with every token's, in constant time each and without stopping at a match, so
/// its timing depends on how many tokens there are, never on the bytes of a token.
public struct TokenDirectory: Sendable {
    /// The vault's tokens.
    public let policies: [TokenPolicy]

    /// No tokens.
    public static let empty = TokenDirectory(policies: [])

    /// A directory of these tokens.
    public init(policies: [TokenPolicy]) {
        self.policies = policies
    }

    /// The token whose digest is `digest`, if any.
    func match(_ digest: TokenDigest) -> TokenPolicy? {
        var found: TokenPolicy?
        for policy in policies where policy.digest == digest { found = policy }
        return found
    }

    /// Whether any of `digests` is `digest` (every one compared).
    static func contains(_ digests: [TokenDigest], _ digest: TokenDigest) -> Bool {
        var found = false
        for candidate in digests where candidate == digest { found = true }
        return found
    }
}
