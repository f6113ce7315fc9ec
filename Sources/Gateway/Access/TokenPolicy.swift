import GatewayLimits
import PingateCore
import Vault

/// A client token in force: what the vault's record (``ClientToken``) means to the gateway, parsed once when the
/// vault is unlocked.
public struct TokenPolicy: Sendable, CustomStringConvertible {
    /// The token's name; its requests' client identity is `token:NAME`.
    public let name: String
    /// The credential profile of its requests; nil is the route's own credentials.
    public let profile: String?
    /// What it may do; empty means everything.
    public let rules: [AccessRule]
    /// Its own budget, on top of the others.
    public let budget: TokenBudget?
    /// When it stops working (Unix seconds); nil means never.
    public let expires: Double?
    /// The client identity of its requests.
    public let identity: String
    let digest: TokenDigest

    /// Parses a vault record.
    /// - Throws: ``GatewayConfigurationError`` naming the token and the rule or rate that is not valid.
    public init(_ record: ClientToken) throws {
        name = record.name
        digest = record.digest
        profile = record.profile
        identity = "token:" + record.name
        expires = record.expires.map(Double.init)
        do {
            rules = try record.rules.map { try AccessRule(parsing: $0) }
        } catch {
            throw GatewayConfigurationError(.invalidSetting, "token '\(record.name)': \(error)")
        }
        if let rate = record.rate {
            do {
                let perSecond = try RateBudget.parseRate(rate)
                let burst = record.burst ?? max(1, Int(perSecond.rounded(.up)))
                budget = TokenBudget(token: record.name, budget: try RateBudget.validated(rate: perSecond, burst: burst))
            } catch {
                throw GatewayConfigurationError(.invalidSetting, "token '\(record.name)': rate \(rate): \(error)")
            }
        } else {
            budget = nil
        }
    }

    /// Whether the token has stopped working at `unixSeconds`.
    func isExpired(at unixSeconds: Double) -> Bool {
        expires.map { $0 <= unixSeconds } ?? false
    }

    /// Whether its rules allow `method` on `path` (the target without its query).
    func allows(method: String, path: String) -> Bool {
        AccessRule.allows(rules, method: method, path: path)
    }

    /// The name and policy, never the digest.
    public var description: String {
        "TokenPolicy(\(name), profile: \(profile ?? "default"), rules: \(rules.isEmpty ? "*" : rules.map(\.description).joined(separator: "; ")))"
    }
}
