import NIOCore

/// A timeout whose deadline moves often (per request, per read) but which keeps at most one scheduled task.
///
/// Why: scheduling and cancelling a task per request was ~6% of the cache-hit path. Re-arming only moves the
/// deadline; the pending task, when it fires early, reschedules itself at the current deadline, and calls
/// `onExpiry` once the deadline has passed. Event-loop bound: use it from one channel's event loop only.
final class DeadlineTimer {
    private let onExpiry: () -> Void
    private var deadline: NIODeadline?
    private var scheduled: Scheduled<Void>?

    /// - Parameter onExpiry: called on the event loop when an armed deadline passes (the timer is then disarmed).
    init(onExpiry: @escaping () -> Void) {
        self.onExpiry = onExpiry
    }

    /// Whether a deadline is armed.
    var isArmed: Bool { deadline != nil }

    /// Arms (or moves) the deadline to `timeout` from now.
    func arm(in timeout: TimeAmount, on eventLoop: any EventLoop) {
        let deadline = NIODeadline.now() + timeout
        self.deadline = deadline
        if scheduled == nil { schedule(at: deadline, on: eventLoop) }
    }

    /// Forgets the deadline; the pending task, if any, fires and finds nothing to do.
    func disarm() {
        deadline = nil
    }

    /// Forgets the deadline and cancels the pending task.
    func cancel() {
        deadline = nil
        scheduled?.cancel()
        scheduled = nil
    }

    private func schedule(at deadline: NIODeadline, on eventLoop: any EventLoop) {
        scheduled = eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] in
            guard let self else { return }
            self.scheduled = nil
            guard let current = self.deadline else { return }
            if current > NIODeadline.now() {
                self.schedule(at: current, on: eventLoop)
            } else {
                self.deadline = nil
                self.onExpiry()
            }
        }
    }
}
