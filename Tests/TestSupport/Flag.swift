import Synchronization

/// A one-way flag shared between tasks.
public final class Flag: Sendable {
    private let state = Mutex(false)

    /// An unset flag.
    public init() {}

    /// Whether ``set()`` was called.
    public var isSet: Bool { state.withLock { $0 } }

    /// Sets the flag.
    public func set() { state.withLock { $0 = true } }
}
