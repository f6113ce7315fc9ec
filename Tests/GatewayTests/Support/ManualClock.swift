import Foundation
import Gateway
import Synchronization

/// A clock tests move by hand: no sleeps, exact instants.
final class ManualClock: Sendable {
    private let state = Mutex<Duration>(.seconds(1000))
    private let wallOrigin = Date().timeIntervalSince1970

    /// Moves time forward.
    func advance(by duration: Duration) { state.withLock { $0 += duration } }

    /// The clock to give the gateway.
    var gatewayClock: GatewayClock {
        GatewayClock(
            now: { self.state.withLock { $0 } },
            wallClockSeconds: {
                let (seconds, attoseconds) = self.state.withLock { $0 }.components
                return self.wallOrigin + Double(seconds) + Double(attoseconds) / 1e18
            }
        )
    }
}
