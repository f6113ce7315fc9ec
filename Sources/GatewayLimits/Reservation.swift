// MARK: - Reservation

/// A future upstream slot handed out by ``RateLimiter/admit(routeClass:client:now:)``
/// when queueing is enabled. Pass it to ``RateLimiter/cancel(_:now:)`` if the
/// client goes away before ``slot``.
public struct Reservation: Sendable, Hashable {
    /// Monotonic instant at which the request may be forwarded.
    public let slot: Duration
    /// Unique per limiter, for logging and for keying waiters.
    public let id: UInt64

    /// What the reservation changed, so that cancel can undo exactly that.
    struct Change: Sendable, Hashable {
        enum Key: Sendable, Hashable {
            case upstream
            case routeClass(String)
            case client(ClientTable.Slot)
            case token(String)
        }
        let key: Key
        let tatBefore: Int64
        let tatAfter: Int64
    }

    let changes: [Change]

    init(slot: Duration, id: UInt64, changes: [Change]) {
        self.slot = slot
        self.id = id
        self.changes = changes
    }
}
