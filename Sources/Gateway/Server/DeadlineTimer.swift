import NIOCore

/// A timeout whose deadline moves often (per request, per read) but which keeps at most one scheduled task.
///
/// Re-arming only moves the deadline; the pending task, when it fires early, reschedules itself at the current
/// deadline and calls `onExpiry` once the deadline has passed. Time is the event loop's (`EventLoop.now`), so a
/// test loop's virtual clock drives it. Event-loop bound: use it from one event loop only.
final class DeadlineTimer {
    private let eventLoop: any EventLoop
    private let onExpiry: () -> Void
    private var deadline: NIODeadline?
    private var scheduled: Scheduled<Void>?

    /// - Parameter onExpiry: called on the event loop when an armed deadline passes (the timer is then disarmed).
    init(on eventLoop: any EventLoop, onExpiry: @escaping () -> Void) {
        self.eventLoop = eventLoop
        self.onExpiry = onExpiry
    }

    /// Arms (or moves) the deadline to `timeout` from now.
    func arm(in timeout: TimeAmount) {
        let deadline = eventLoop.now + timeout
        self.deadline = deadline
        if scheduled == nil { schedule(at: deadline) }
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

    private func schedule(at deadline: NIODeadline) {
        scheduled = eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] in
            guard let self else { return }
            self.scheduled = nil
            guard let current = self.deadline else { return }
            if current > self.eventLoop.now {
                self.schedule(at: current)
            } else {
                self.deadline = nil
                self.onExpiry()
            }
        }
    }
}
