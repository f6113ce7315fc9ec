import NIOCore
import Synchronization

/// `/_pingate/readyz`: ready when the vault is unlocked (it is, or pingate would not run), the listener is up, and
/// the upstream answered within the last `window` — otherwise a cheap probe (`HEAD /` through the upstream pool)
/// decides.
final class Readiness: Sendable {
    private let window: Duration
    private let clock: GatewayClock
    private let lastUpstreamAnswer = Mutex<Duration?>(nil)
    private let listening = Mutex(false)
    private let probe: @Sendable (any EventLoop) -> EventLoopFuture<Bool>
    private let breakerOpen: @Sendable () -> Bool

    /// - Parameters:
    ///   - probe: whether the upstream answers now (any HTTP status counts).
    ///   - breakerOpen: whether an upstream's circuit breaker is open (pingate is then not ready).
    init(
        window: Duration, clock: GatewayClock, probe: @escaping @Sendable (any EventLoop) -> EventLoopFuture<Bool>,
        breakerOpen: @escaping @Sendable () -> Bool = { false }
    ) {
        self.window = window
        self.clock = clock
        self.probe = probe
        self.breakerOpen = breakerOpen
    }

    /// The upstream answered (any HTTP status counts: it is reachable).
    func upstreamAnswered() {
        let now = clock.now()
        lastUpstreamAnswer.withLock { $0 = now }
    }

    /// The listener is bound.
    func listenerUp() { listening.withLock { $0 = true } }

    /// What `readyz` answers.
    struct Report: Sendable {
        let ready: Bool
        let listening: Bool
        let reachable: Bool
        let probed: Bool
        var breakerOpen = false

        var json: String {
            var json = JSONWriter()
            json.beginObject()
            json.member("breaker", breakerOpen ? "open" : "closed")
            json.member("listener", listening ? "up" : "down")
            json.member("probed", probed)
            json.member("status", ready ? "ready" : "not_ready")
            json.member("upstream", reachable ? "reachable" : "unreachable")
            json.member("vault", "unlocked")
            json.endObject()
            return json.text
        }
    }

    func check(on eventLoop: any EventLoop) -> EventLoopFuture<Report> {
        let isListening = listening.withLock { $0 }
        if breakerOpen() {
            // The upstream failed again and again: not ready, without a probe (the breaker says no connection).
            return eventLoop.makeSucceededFuture(Report(ready: false, listening: isListening, reachable: false, probed: false, breakerOpen: true))
        }
        let now = clock.now()
        let recent = lastUpstreamAnswer.withLock { $0 }.map { now - $0 <= window } ?? false
        if recent {
            return eventLoop.makeSucceededFuture(Report(ready: isListening, listening: isListening, reachable: true, probed: false))
        }
        return probe(eventLoop).map { reachable in
            if reachable { self.upstreamAnswered() }
            return Report(ready: isListening && reachable, listening: isListening, reachable: reachable, probed: true)
        }
    }
}
