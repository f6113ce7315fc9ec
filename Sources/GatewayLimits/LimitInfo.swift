// MARK: - LimitInfo

/// A snapshot of one budget, in the units of the IETF RateLimit header fields
/// (draft-ietf-httpapi-ratelimit-headers).
///
/// Mapping from GCRA: `quota` = burst, `windowSeconds` = ceil(burst / rate)
/// (≥ 1), `remaining` = requests that would be admitted right now, and
/// `resetSeconds` = when `remaining == 0`, seconds until the next request is
/// admitted (ceil); otherwise seconds until the budget is fully restored
/// (ceil; 0 when already full).
public struct LimitInfo: Sendable, Hashable {
    /// Policy name: "upstream", a route-class name, or "client".
    public var budget: String
    /// `q` parameter of `RateLimit-Policy`.
    public var quota: Int
    /// `w` parameter of `RateLimit-Policy`, seconds.
    public var windowSeconds: Int
    /// `r` parameter of `RateLimit`.
    public var remaining: Int
    /// `t` parameter of `RateLimit`, seconds.
    public var resetSeconds: Int

    /// Memberwise initialiser.
    public init(budget: String, quota: Int, windowSeconds: Int, remaining: Int, resetSeconds: Int) {
        self.budget = budget
        self.quota = quota
        self.windowSeconds = windowSeconds
        self.remaining = remaining
        self.resetSeconds = resetSeconds
    }

    /// Value for the `RateLimit-Policy` response header.
    public var policyHeaderValue: String {
        RateLimitHeaders.policy(name: budget, quota: quota, windowSeconds: windowSeconds)
    }

    /// Value for the `RateLimit` response header.
    public var rateLimitHeaderValue: String {
        RateLimitHeaders.rateLimit(name: budget, remaining: remaining, resetSeconds: resetSeconds)
    }

    /// The more restrictive of two snapshots: fewer remaining wins, then the
    /// longer reset. Used to pick the one budget a response advertises.
    public static func mostRestrictive(_ a: LimitInfo, _ b: LimitInfo) -> LimitInfo {
        if a.remaining != b.remaining { return a.remaining < b.remaining ? a : b }
        return a.resetSeconds >= b.resetSeconds ? a : b
    }
}
