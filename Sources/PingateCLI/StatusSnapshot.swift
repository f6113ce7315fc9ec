/// The part of `GET /_pingate/stats` that `pingate status` shows (the JSON has more; unknown members are ignored).
struct StatusSnapshot: Decodable, Sendable {
    struct Reload: Decodable, Sendable {
        let time: String
        let result: String
    }

    struct Requests: Decodable, Sendable {
        /// Requests other than to pingate's own endpoints, since start.
        let proxied: Int
        let perSecond: Double
    }

    struct Latency: Decodable, Sendable {
        let p50: Double?
        let p99: Double?
        let samples: Int
    }

    struct Upstream: Decodable, Sendable {
        let url: String
        let breaker: String
        let breakerRetryS: Double?
        let pausedS: Double
        let requestsPerSecond: Double
        let requestsLastMinute: Int
        let latencyMs: Latency
        let errors: [String: Int]
    }

    struct Budget: Decodable, Sendable {
        let name: String
        let rate: Double?
        let burst: Double?
        let remaining: Double?
        let rejectedLastMinute: Int
        let rejectedTotal: Int
    }

    struct Client: Decodable, Sendable {
        let client: String
        let requests: Int
        let requestsLastMinute: Int
        let rejectedLastMinute: Int
        let remaining: Double?
    }

    struct Budgets: Decodable, Sendable {
        let list: [Budget]
        let clients: [Client]
    }

    struct CachedTarget: Decodable, Sendable {
        let target: String
        let route: String
        let hits: Int
    }

    struct Cache: Decodable, Sendable {
        let enabled: Bool
        let entries: Int?
        let bytes: Int?
        let maxBytes: Int?
        let hits: Int?
        let misses: Int?
        let hitRatio: Double?
        let hitRatioLastMinute: Double?
        let stores: Int?
        let evictions: Int?
        let invalidations: Int?
        let top: [CachedTarget]?
    }

    struct Series: Decodable, Sendable {
        let hits: [Int]
        let forwarded: [Int]
        let refused: [Int]
    }

    struct Request: Decodable, Sendable {
        let time: String
        let client: String
        let method: String
        let path: String
        let status: Int
        let cache: String?
        let durationMs: Double
    }

    let version: String
    let uptimeS: Int
    let vault: String?
    let lastReload: Reload?
    let requests: Requests
    let upstream: Upstream
    let budgets: Budgets
    let cache: Cache
    let series: Series
    let recent: [Request]
}
