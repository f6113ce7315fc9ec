import NIOCore
import PingateCore
import Synchronization

/// `/_pingate/readyz`: ready when the vault is unlocked (it is, or pingate would not run), the listener is up, and
/// the upstream answered within the last `window` — otherwise a cheap probe (`HEAD /` through the upstream pool)
/// decides.
final class Readiness: Sendable {
    private let window: Duration
    private let clock: GatewayClock
    /// Nanoseconds of the clock's `now` at the upstream's last answer; `Int64.min` before any.
    private let lastUpstreamAnswer = Atomic<Int64>(.min)
    private let listening = Mutex(false)
    private let probe: @Sendable (any EventLoop) -> EventLoopFuture<Bool>
    private let breakerOpen: @Sendable () -> Bool
    private let sharedState: @Sendable () -> (available: Bool, onFailure: SharedStateConfiguration.FailureMode)?

    /// - Parameters:
    ///   - probe: whether the upstream answers now (any HTTP status counts).
    ///   - breakerOpen: whether an upstream's circuit breaker is open (pingate is then not ready).
    init(
        window: Duration, clock: GatewayClock, probe: @escaping @Sendable (any EventLoop) -> EventLoopFuture<Bool>,
        breakerOpen: @escaping @Sendable () -> Bool = { false },
        sharedState: @escaping @Sendable () -> (available: Bool, onFailure: SharedStateConfiguration.FailureMode)? = { nil }
    ) {
        self.sharedState = sharedState
        self.window = window
        self.clock = clock
        self.probe = probe
        self.breakerOpen = breakerOpen
    }

    /// The upstream answered (any HTTP status counts: it is reachable).
    func upstreamAnswered() {
        let (seconds, attoseconds) = clock.now().components
        lastUpstreamAnswer.store(seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000, ordering: .relaxed)
    }

    /// The listener is bound.
    func listenerUp() { listening.withLock { $0 = true } }

    /// What `readyz` answers.
    struct Report: Sendable {
        var ready: Bool
        let listening: Bool
        let reachable: Bool
        let probed: Bool
        var breakerOpen = false
        /// `ok`, `degraded` (Redis unreachable), or nil without shared state.
        var sharedState: String?

        var json: String {
            var json = JSONWriter()
            json.beginObject()
            json.member("breaker", breakerOpen ? "open" : "closed")
            json.member("listener", listening ? "up" : "down")
            json.member("probed", probed)
            if let sharedState { json.member("shared_state", sharedState) }
            json.member("status", ready ? "ready" : "not_ready")
            json.member("upstream", reachable ? "reachable" : "unreachable")
            json.member("vault", "unlocked")
            json.endObject()
            return json.text
        }
    }

    func check(on eventLoop: any EventLoop) -> EventLoopFuture<Report> {
        report(on: eventLoop).map { report in
            guard let shared = self.sharedState() else { return report }
            var report = report
            report.sharedState = shared.available ? "ok" : "degraded"
            // Degraded with a local fallback still serves; with `refuse` it serves only hits.
            if !shared.available, shared.onFailure == .refuse { report.ready = false }
            return report
        }
    }

    private func report(on eventLoop: any EventLoop) -> EventLoopFuture<Report> {
        let isListening = listening.withLock { $0 }
        if breakerOpen() {
            // The upstream failed again and again: not ready, without a probe (the breaker says no connection).
            return eventLoop.makeSucceededFuture(Report(ready: false, listening: isListening, reachable: false, probed: false, breakerOpen: true))
        }
        let now = clock.now()
        let last = lastUpstreamAnswer.load(ordering: .relaxed)
        let recent = last != .min && now - .nanoseconds(last) <= window
        if recent {
            return eventLoop.makeSucceededFuture(Report(ready: isListening, listening: isListening, reachable: true, probed: false))
        }
        return probe(eventLoop).map { reachable in
            if reachable { self.upstreamAnswered() }
            return Report(ready: isListening && reachable, listening: isListening, reachable: reachable, probed: true)
        }
    }
}
