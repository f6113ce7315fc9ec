import Synchronization

/// Holds answers until a test opens it: the order of events is then the test's, not a timer's.
///
/// A request admitted while ``Faults/gate`` is set is read and recorded as usual (so
/// ``FakeW3IPFSState/waitForRequests(count:within:)`` sees it), then waits here before it is answered.
/// ``RunningFakeW3IPFS/stop()`` opens the gate of the current faults, so a forgotten gate cannot hang a stop.
public final class ResponseGate: Sendable {
    private struct State {
        var isOpen = false
        var held = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())

    /// A closed gate.
    public init() {}

    /// Lets every held answer go, and every later one through at once.
    public func open() {
        let waiting = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.isOpen = true
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Whether ``open()`` was called.
    public var isOpen: Bool { state.withLock { $0.isOpen } }

    /// Answers waiting at the gate now.
    public var heldCount: Int { state.withLock { $0.held } }

    /// Waits until the gate is open (at once when it is); returns early when the waiting task is cancelled.
    func pass() async {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let passNow = state.withLock { state in
                    if state.isOpen || Task.isCancelled { return true }
                    state.held += 1
                    state.waiters[id] = continuation
                    return false
                }
                if passNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
        state.withLock { $0.held = max(0, $0.held - 1) }
    }
}
