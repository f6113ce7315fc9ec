import Synchronization

/// A value shared between tasks and closures (a `Mutex` cannot be captured by an escaping closure; this can).
public final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    /// - Parameter value: the initial value.
    public init(_ value: Value) { mutex = Mutex(value) }

    /// The current value.
    public var value: Value { mutex.withLock { $0 } }

    /// Reads or changes the value under the lock.
    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result where Result: ~Copyable {
        try mutex.withLock { try body(&$0) }
    }
}
