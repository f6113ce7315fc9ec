import GatewayLimits

// MARK: - Test support

func ms(_ value: Int64) -> Duration { .milliseconds(value) }

func makeLimiter(_ configuration: RateLimiter.Configuration, seed: UInt64 = 42) throws -> RateLimiter {
    try RateLimiter(configuration: configuration, random: SplitMix64(seed: seed))
}

extension Admission {
    var isAllowed: Bool { if case .allowed = self { true } else { false } }
    var rejection: Rejection? { if case .rejected(let r) = self { r } else { nil } }
    var delay: (until: Duration, reservation: Reservation)? {
        if case .delayed(let until, let reservation, _) = self { (until, reservation) } else { nil }
    }
}

extension RateLimiter {
    /// Admits `count` requests at one instant; returns how many were allowed.
    func admitMany(_ count: Int, routeClass: String = "read", client: String = "c", now: Duration) -> Int {
        (0..<count).reduce(0) { n, _ in n + (admit(routeClass: routeClass, client: client, now: now).isAllowed ? 1 : 0) }
    }
}
