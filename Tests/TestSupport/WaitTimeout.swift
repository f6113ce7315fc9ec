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
/// The deadline does not depend on `body` cooperating: at `timeout` this throws and cancels `body`'s task without
/// waiting for it (a waiter that never resolves is left behind, and the test fails instead of hanging).
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
    let outcome = Locked<(continuation: CheckedContinuation<T, any Error>?, done: Bool)>((nil, false))
    let finish: @Sendable (Result<T, any Error>) -> Bool = { result in
        let continuation = outcome.withLock { state -> CheckedContinuation<T, any Error>? in
            guard !state.done, let continuation = state.continuation else { return nil }
            state.done = true
            return continuation
        }
        continuation?.resume(with: result)
        return continuation != nil
    }
    let work = Locked<Task<Void, Never>?>(nil)
    let timer = Locked<Task<Void, Never>?>(nil)
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            outcome.withLock { $0.continuation = continuation }
            if Task.isCancelled {
                _ = finish(.failure(CancellationError()))
                return
            }
            work.withLock {
                $0 = Task {
                    let result: Result<T, any Error>
                    do { result = .success(try await body()) } catch { result = .failure(error) }
                    if finish(result) { timer.value?.cancel() }
                }
            }
            timer.withLock {
                $0 = Task {
                    guard (try? await Task.sleep(for: timeout)) != nil else { return }
                    if finish(.failure(WaitTimeout(what, waited: timeout, observed: observed()))) { work.value?.cancel() }
                }
            }
        }
    } onCancel: {
        _ = finish(.failure(CancellationError()))
        work.value?.cancel()
        timer.value?.cancel()
    }
}
