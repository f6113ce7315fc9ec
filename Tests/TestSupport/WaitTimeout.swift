/// A bounded wait gave up: says what it waited for, how long, and what it saw instead.
public struct WaitTimeout: Error, CustomStringConvertible {
    /// What the wait was for, e.g. `a line containing "pingate listening"`.
    public let what: String
    /// How long it waited.
    public let waited: Duration
    /// What was there instead (output so far, a count), or "".
    public let observed: String

    /// - Parameters:
    ///   - what: what the wait was for.
    ///   - waited: the bound that passed.
    ///   - observed: what was there instead.
    public init(_ what: String, waited: Duration, observed: String = "") {
        self.what = what
        self.waited = waited
        self.observed = observed
    }

    public var description: String {
        "gave up after \(waited) waiting for \(what)" + (observed.isEmpty ? "" : "; observed:\n\(observed)")
    }
}

/// Runs `body` for at most `timeout`.
///
/// `body` must end when its task is cancelled (every waiter in the test support does): the deadline cancels it.
/// - Parameters:
///   - what: what `body` waits for (named in the error).
///   - timeout: the bound.
///   - observed: evaluated on timeout, for the error.
/// - Throws: ``WaitTimeout`` when `timeout` passes first; whatever `body` throws.
public func withDeadline<T: Sendable>(
    _ what: String,
    within timeout: Duration,
    observed: @escaping @Sendable () -> String = { "" },
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw WaitTimeout(what, waited: timeout, observed: observed())
        }
        return value
    }
}
