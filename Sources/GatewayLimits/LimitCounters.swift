// MARK: - LimitCounters

/// Decision counters for metrics. Keys are budget names only (built-ins plus
/// configured classes), so the maps stay small no matter what clients send.
public struct LimitCounters: Sendable, Hashable {
    /// Admitted immediately (``Admission/allowed(_:)``), via ``RateLimiter/admit(routeClass:client:now:)``.
    public var allowed = 0
    /// Admitted with a future slot.
    public var delayed = 0
    /// Reservations cancelled.
    public var cancelled = 0
    /// Client-only admissions (cache hits, admin endpoints) that passed.
    public var clientOnlyAllowed = 0
    /// Admissions (allowed or delayed) per budget that was checked, including
    /// ``BudgetName/unlimited`` when none was.
    public var admittedByBudget: [String: Int] = [:]
    /// Rejections per binding budget, including ``BudgetName/upstreamPushback``.
    public var rejectedByBudget: [String: Int] = [:]
    /// Upstream 429/503 responses reported.
    public var upstreamPushbacks = 0

    /// All zero.
    public init() {}

    /// Total rejections.
    public var rejected: Int { rejectedByBudget.values.reduce(0, +) }
}
