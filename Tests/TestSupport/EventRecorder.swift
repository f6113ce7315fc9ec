import NIOConcurrencyHelpers

/// Collects values delivered by callbacks and lets a test await one that matches, within a deadline.
public final class EventRecorder<Value: Sendable>: Sendable {
    public struct Timeout: Error, CustomStringConvertible {
        public var what: String
        public var seconds: Int
        public var description: String { "timed out after \(seconds) s waiting for \(what)" }
    }

    private struct Waiter: Sendable {
        var id: Int
        var matches: @Sendable (Value) -> Bool
        var continuation: CheckedContinuation<Value, any Error>
    }

    private struct State: Sendable {
        var values: [Value] = []
        var waiters: [Waiter] = []
        var nextID = 0
        /// Waits whose deadline passed before their continuation was registered.
        var expired: Set<Int> = []
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    /// Everything recorded so far.
    public var values: [Value] {
        self.state.withLockedValue { $0.values }
    }

    public func record(_ value: Value) {
        let ready = self.state.withLockedValue { state in
            state.values.append(value)
            let ready = state.waiters.filter { $0.matches(value) }
            state.waiters.removeAll { $0.matches(value) }
            return ready
        }
        ready.forEach { $0.continuation.resume(returning: value) }
    }

    /// The first recorded value, past or future, that `matches`.
    ///
    /// - Throws: ``Timeout`` naming `what` when none is recorded within `seconds`.
    @discardableResult
    public func first(
        _ what: String,
        within seconds: Int = 10,
        where matches: @escaping @Sendable (Value) -> Bool = { _ in true }
    ) async throws -> Value {
        let id = self.state.withLockedValue { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        let deadline = Task {
            try await Task.sleep(for: .seconds(seconds))
            let expired = self.state.withLockedValue { state in
                guard let waiter = state.waiters.first(where: { $0.id == id }) else {
                    state.expired.insert(id)
                    return nil as Waiter?
                }
                state.waiters.removeAll { $0.id == id }
                return waiter
            }
            expired?.continuation.resume(throwing: Timeout(what: what, seconds: seconds))
        }
        defer { deadline.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            let (found, isExpired) = self.state.withLockedValue { state in
                if let found = state.values.first(where: matches) {
                    return (found as Value?, false)
                }
                if state.expired.contains(id) {
                    return (nil, true)
                }
                state.waiters.append(Waiter(id: id, matches: matches, continuation: continuation))
                return (nil, false)
            }
            if let found {
                continuation.resume(returning: found)
            } else if isExpired {
                continuation.resume(throwing: Timeout(what: what, seconds: seconds))
            }
        }
    }
}
