import AsyncHTTPClient
import Foundation
import Synchronization

/// `/_pingate/readyz`: ready when the vault is unlocked (it is, or pingate would not run), the listener is
/// up, and the upstream answered within the last `window` — otherwise a cheap probe (TCP connect plus
/// `HEAD /`) decides, at most once per probe interval.
final class Readiness: Sendable {
    private let window: Duration
    private let clock: GatewayClock
    private let lastUpstreamAnswer = Mutex<Duration?>(nil)
    private let listening = Mutex(false)
    private let probe: @Sendable () async -> Bool

    init(window: Duration, clock: GatewayClock, probe: @escaping @Sendable () async -> Bool) {
        self.window = window
        self.clock = clock
        self.probe = probe
    }

    /// The upstream answered (any HTTP status counts: it is reachable).
    func upstreamAnswered() {
        let now = clock.now()
        lastUpstreamAnswer.withLock { $0 = now }
    }

    /// The listener is bound.
    func listenerUp() { listening.withLock { $0 = true } }

    struct Report {
        let ready: Bool
        let json: [String: Any]
    }

    func check() async -> Report {
        let isListening = listening.withLock { $0 }
        let now = clock.now()
        var reachable = lastUpstreamAnswer.withLock { $0 }.map { now - $0 <= window } ?? false
        var probed = false
        if !reachable {
            probed = true
            reachable = await probe()
            if reachable { upstreamAnswered() }
        }
        let ready = isListening && reachable
        return Report(ready: ready, json: [
            "status": ready ? "ready" : "not_ready",
            "vault": "unlocked",
            "listener": isListening ? "up" : "down",
            "upstream": reachable ? "reachable" : "unreachable",
            "probed": probed,
        ])
    }
}
