// MARK: - Admission

/// The limiter's decision for one request.
public enum Admission: Sendable, Hashable {
    /// Forward now. The info (most restrictive applied budget, after this
    /// request) is for the `RateLimit*` headers; `nil` when no budget applied.
    case allowed(LimitInfo?)
    /// Forward at `until` (monotonic), holding the reservation; cancel it if
    /// the client disconnects first. Slots sharing a budget are increasing, so
    /// waiters on that budget are served in arrival order.
    case delayed(until: Duration, Reservation, LimitInfo?)
    /// Refuse now (HTTP 429 with `Retry-After`).
    case rejected(Rejection)

    /// Header snapshot regardless of the outcome.
    public var limit: LimitInfo? {
        switch self {
        case .allowed(let info), .delayed(_, _, let info): return info
        case .rejected(let rejection): return rejection.limit
        }
    }
}
