import Foundation
import PingateCore
import Synchronization

/// The `Date` header value, formatted at most once per second (formatting per request is measurable at
/// cache-hit rates).
final class HTTPDateCache: Sendable {
    private let cached = Mutex<(second: Int, value: String)>((-1, ""))

    /// The IMF-fixdate for the current second.
    var current: String {
        let now = Int(Date().timeIntervalSince1970)
        return cached.withLock { cached in
            if cached.second != now {
                cached = (now, HTTPDate.format(epochSeconds: Int64(now)))
            }
            return cached.value
        }
    }
}
