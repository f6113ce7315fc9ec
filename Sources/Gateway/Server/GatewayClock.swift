import Foundation

/// The times pingate's pure types need: monotonic `now` as a `Duration` since start, and wall-clock seconds
/// (only for HTTP-date `Retry-After`). Injected so tests can drive time.
public struct GatewayClock: Sendable {
    /// Monotonic time since an arbitrary origin.
    public let now: @Sendable () -> Duration
    /// Seconds since the Unix epoch.
    public let wallClockSeconds: @Sendable () -> Double

    /// Creates a clock from two time sources.
    public init(now: @escaping @Sendable () -> Duration, wallClockSeconds: @escaping @Sendable () -> Double) {
        self.now = now
        self.wallClockSeconds = wallClockSeconds
    }

    /// The real clocks.
    public static func system() -> GatewayClock {
        let origin = ContinuousClock.now
        return GatewayClock(
            now: { ContinuousClock.now - origin },
            wallClockSeconds: { Date().timeIntervalSince1970 }
        )
    }
}
