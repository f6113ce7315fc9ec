import Testing
@testable import GatewayLimits

// MARK: - Class, upstream and client budgets together

@Suite("Budget combination")
struct CombinationTests {
    @Test("a rejection by the upstream budget does not consume the class budget")
    func rejectionDoesNotConsumeOtherBudget() throws {
        let limiter = try makeLimiter(.init(
            upstream: RateBudget(rate: 1, burst: 1),
            classBudgets: ["upload": RateBudget(rate: 0.1, burst: 3)]))
        #expect(limiter.admit(routeClass: "upload", client: "a", now: .zero).isAllowed)
        for _ in 0..<10 {
            #expect(limiter.admit(routeClass: "upload", client: "a", now: .zero).rejection?.budget == "upstream")
        }
        // Upload still has 2 of its 3: the 10 rejections cost nothing.
        #expect(limiter.admit(routeClass: "upload", client: "a", now: .seconds(1)).isAllowed)
        #expect(limiter.admit(routeClass: "upload", client: "a", now: .seconds(2)).isAllowed)
        let r = try #require(limiter.admit(routeClass: "upload", client: "a", now: .seconds(3)).rejection)
        #expect(r.budget == "upload")
        #expect(r.retryAfter == .seconds(7))
        // …and that upload rejection did not consume the upstream budget either.
        #expect(limiter.admit(routeClass: "read", client: "a", now: .seconds(3)).isAllowed)
        #expect(limiter.counters.rejectedByBudget == ["upstream": 10, "upload": 1])
        #expect(limiter.counters.admittedByBudget == ["upstream": 4, "upload": 3])
    }

    @Test("a client rejection does not consume the shared upstream budget")
    func clientRejectionKeepsUpstream() throws {
        let limiter = try makeLimiter(.init(upstream: RateBudget(rate: 1, burst: 4), client: RateBudget(rate: 1, burst: 1)))
        #expect(limiter.admit(routeClass: "read", client: "a", now: .zero).isAllowed)
        for _ in 0..<20 {
            #expect(limiter.admit(routeClass: "read", client: "a", now: .zero).rejection?.budget == "client")
        }
        for name in ["b", "c", "d"] {
            #expect(limiter.admit(routeClass: "read", client: name, now: .zero).isAllowed)
        }
        #expect(limiter.admit(routeClass: "read", client: "e", now: .zero).rejection?.budget == "upstream")
    }

    @Test("route classes: the upload budget limits uploads only")
    func routeClassBudgets() throws {
        let classifier = RouteClassifier.w3ipfs
        let limiter = try makeLimiter(.init(
            upstream: RateBudget(rate: 100, burst: 100),
            classBudgets: ["upload": RateBudget(rate: 1, burst: 2)]))
        func admit(_ method: String, _ path: String) -> Admission {
            limiter.admit(routeClass: classifier.classify(method: method, path: path), client: "c", now: .zero)
        }
        #expect(admit("POST", "/api/pinning/").isAllowed)
        #expect(admit("POST", "/api/pinning").isAllowed)
        #expect(admit("POST", "/api/pinning/").rejection?.budget == "upload")
        #expect(admit("POST", "/api/pinning/pinByHash").isAllowed) // "write", no own budget
        #expect(admit("GET", "/api/pinning/pins/?limit=10").isAllowed)
        #expect(admit("DELETE", "/api/pinning/unpin/x").isAllowed)
    }

    @Test("default w3ipfs classifier", arguments: [
        ("POST", "/api/pinning/", "upload"),
        ("POST", "/api/pinning", "upload"),
        ("post", "/api/pinning/?wrap=1", "upload"),
        ("POST", "//api/./pinning/", "upload"),
        ("POST", "/api/x/../pinning/", "upload"),
        ("POST", "/api/pinning/pinByHash", "write"),
        ("DELETE", "/api/pinning/unpin/3c3f", "write"),
        ("PUT", "/api/pinning/", "write"),
        ("GET", "/api/pinning/", "read"),
        ("GET", "/api/pinning/pins/?offset=0&limit=10", "read"),
        ("GET", "/api/pinning/3c3fec2a", "read"),
        ("HEAD", "/", "read"),
    ])
    func defaultClassifier(method: String, path: String, expected: String) {
        #expect(RouteClassifier.w3ipfs.classify(method: method, path: path) == expected)
    }

    @Test("custom classifier rules: ordered, method-any, prefix vs exact, default")
    func customClassifier() {
        let classifier = RouteClassifier(rules: [
            .init(method: nil, path: "/admin/", match: .prefix, routeClass: "admin"),
            .init(method: "GET", path: "/api/pinning/pins/", match: .prefix, routeClass: "list"),
            .init(method: "GET", path: "/api/pinning/pins", match: .exact, routeClass: "list"),
        ], defaultClass: "default")
        #expect(classifier.classify(method: "DELETE", path: "/admin/cache") == "admin")
        #expect(classifier.classify(method: "GET", path: "/api/pinning/pins") == "list")
        #expect(classifier.classify(method: "GET", path: "/api/pinning/pins/?limit=1") == "list")
        #expect(classifier.classify(method: "POST", path: "/api/pinning/pins/") == "default")
        #expect(classifier.classify(method: "GET", path: "/api/pinning/pinsX") == "default")
        #expect(RouteClassifier.normalise(path: "/a//b/./c/../d/") == "/a/b/d/")
        #expect(RouteClassifier.normalise(path: "/..") == "/")
    }

    @Test("per-client budgets are independent; the upstream budget is shared")
    func perClientIndependence() throws {
        let limiter = try makeLimiter(.init(upstream: RateBudget(rate: 1, burst: 3), client: RateBudget(rate: 1, burst: 2)))
        #expect(limiter.admitMany(2, client: "uid:1000", now: .zero) == 2)
        let r = try #require(limiter.admit(routeClass: "read", client: "uid:1000", now: .zero).rejection)
        #expect(r.budget == "client" && r.client == "uid:1000" && r.retryAfter == .seconds(1))
        // B has its own client budget, but only one upstream unit is left.
        #expect(limiter.admit(routeClass: "read", client: "client:ci-bot", now: .zero).isAllowed)
        let shared = try #require(limiter.admit(routeClass: "read", client: "client:ci-bot", now: .zero).rejection)
        #expect(shared.budget == "upstream" && shared.client == "client:ci-bot")
    }

    @Test("client-only admission spends no upstream budget and ignores pushback")
    func clientOnly() throws {
        let limiter = try makeLimiter(.init(upstream: RateBudget(rate: 1, burst: 1), client: RateBudget(rate: 1, burst: 3)))
        limiter.upstreamResponded(status: 429, retryAfter: "60", now: .zero, wallClockSeconds: 0)
        #expect(limiter.admit(routeClass: "read", client: "b", now: .zero).rejection?.budget == "upstream-pushback")
        for _ in 0..<3 {
            #expect(limiter.admitClientOnly(client: "a", now: .zero).isAllowed)
        }
        let r = try #require(limiter.admitClientOnly(client: "a", now: .zero).rejection)
        #expect(r.budget == "client" && r.retryAfter == .seconds(1))
        // The cache hits spent none of the single upstream unit.
        #expect(limiter.admit(routeClass: "read", client: "b", now: .seconds(60)).isAllowed)
        #expect(limiter.counters.clientOnlyAllowed == 3)

        let unlimited = try makeLimiter(.init(upstream: RateBudget(rate: 1, burst: 1)))
        #expect(unlimited.admitClientOnly(client: "a", now: .zero) == .allowed(nil))
        #expect(unlimited.admit(routeClass: "r", client: "a", now: .zero).isAllowed)
    }

    @Test("no budgets configured: everything is allowed without header info")
    func unlimited() throws {
        let limiter = try makeLimiter(.init())
        #expect(limiter.admit(routeClass: "upload", client: "a", now: .zero) == .allowed(nil))
        #expect(limiter.counters.admittedByBudget == ["unlimited": 1])
    }

    @Test("configuration validation")
    func configurationErrors() {
        #expect(throws: LimitConfigurationError.reservedClassName("client")) {
            try RateLimiter(configuration: .init(classBudgets: ["client": RateBudget(rate: 1, burst: 1)]))
        }
        #expect(throws: LimitConfigurationError.invalidMaxClients(0)) {
            try RateLimiter(configuration: .init(maxClients: 0))
        }
        #expect(throws: LimitConfigurationError.negativeMaxWait(ms(-1))) {
            try RateLimiter(configuration: .init(maxWait: ms(-1)))
        }
        #expect(LimitConfigurationError.reservedClassName("upstream").description.contains("\"upstream\""))
    }
}
