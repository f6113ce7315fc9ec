import Testing
import PingateConfig

@Suite("Routes")
struct RouteTests {
    let multi = """
    upstream: https://pin.example.net
    rate_limit:
      classes:
        upload: {rate: "1/s", burst: 2}
        slow: "10/m"
    routes:
      - name: w3ipfs
        prefix: /
        credentials: {pinning_api_key: api_key, pinning_secret_key: secret_key}
      - name: other
        prefix: /api/
        upstream: http://127.0.0.1:9999/base
        credentials:
          Authorization: other_token
        cache: false
        invalidation_scope: /api/items
        rate_class: upload
      - name: deep
        prefix: /api/v2
        upstream: https://v2.example.org
        invalidation_scope: 3
    """

    @Test func defaultRouteWhenAbsent() throws {
        let s = try load(nil, flags: ["upstream": "http://127.0.0.1:4000"])
        #expect(s.routes.count == 1)
        let route = s.route(forPath: "/pins")
        #expect(route.name == "w3ipfs")
        #expect(route.prefix == "/")
        #expect(route.upstream.absoluteString == "http://127.0.0.1:4000")
        #expect(route.credentials == [
            .init(header: "pinning_api_key", entry: "api_key"),
            .init(header: "pinning_secret_key", entry: "secret_key"),
        ])
        #expect(route.cache)
        #expect(route.invalidationScope == .depth(2))
        #expect(route.rateClass == nil)
        #expect(s.source(of: "routes") == .defaultValue)
    }

    @Test func parsesRoutesAndClasses() throws {
        let s = try load(multi)
        #expect(s.routes.map(\.name) == ["w3ipfs", "other", "deep"])
        let other = s.routes[1]
        #expect(other.prefix == "/api") // trailing slash dropped
        #expect(other.upstream.absoluteString == "http://127.0.0.1:9999/base")
        #expect(other.credentials == [.init(header: "Authorization", entry: "other_token")])
        #expect(other.cache == false)
        #expect(other.invalidationScope == .prefix("/api/items"))
        #expect(other.rateClass == "upload")
        #expect(other.source == .file(path: "pingate.yaml", line: 10))
        #expect(s.routes[0].upstream.absoluteString == "https://pin.example.net") // inherits `upstream`
        #expect(s.routes[2].invalidationScope == .depth(3))
        #expect(s.rateLimit.classes["upload"]?.burst == 2)
        #expect(s.rateLimit.classes["slow"]?.rate.perSecond == 10.0 / 60)
        #expect(s.rateLimit.classes["slow"]?.burst == 1)
        #expect(s.source(of: "routes") == .file(path: "pingate.yaml", line: 6))
    }

    @Test(arguments: [
        ("/", "w3ipfs"), ("/pins", "w3ipfs"), ("/apix", "w3ipfs"), ("/api", "other"), ("/api/", "other"),
        ("/api/x", "other"), ("/api?q=1", "other"), ("/api/v2", "deep"), ("/api/v2/pins", "deep"),
        ("/api/v20", "other"), ("", "w3ipfs"),
    ])
    func longestPrefixWins(path: String, expected: String) throws {
        #expect(try load(multi).route(forPath: path).name == expected)
    }

    @Test func implicitDefaultRouteAddedWithoutRootPrefix() throws {
        let s = try load("routes:\n  - name: api\n    prefix: /api\n")
        #expect(s.routes.map(\.name) == ["api", "w3ipfs"])
        #expect(s.route(forPath: "/pins").name == "w3ipfs")
        #expect(s.route(forPath: "/api/x").name == "api")
        #expect(s.routes[0].credentials.isEmpty)
    }

    @Test func routeValidation() {
        let yaml = """
        routes:
          - name: a
            prefix: api
          - name: a
            prefix: /b
          - name: c
            prefix: /b
          - name: d
            prefix: /d
            upstream: ftp://x.example
          - name: e
            prefix: /e
            credentials: {"bad header": x, host: y, ok: "not an entry!"}
          - name: f
            prefix: /f
            rate_class: nope
          - prefix: /g
          - name: h
            prefix: /h
            invalidation_scope: -1
        """
        let lines = loadErrors(yaml).map(\.description)
        #expect(lines == [
            #"pingate.yaml:3: routes[0].prefix: expected a path prefix starting with '/', got "api""#,
            "pingate.yaml:6: routes[2].prefix: prefix '/b' is already used by routes[1]",
            #"pingate.yaml:10: routes[3].upstream: expected an http:// or https:// URL (scheme 'ftp' is not supported), got "ftp://x.example""#,
            #"pingate.yaml:13: routes[4].credentials.bad header: expected an HTTP header name (a token), got "bad header""#,
            "pingate.yaml:13: routes[4].credentials.host: header 'host' is managed by pingate and cannot be injected",
            #"pingate.yaml:13: routes[4].credentials.ok: expected a vault entry name, got "not an entry!""#,
            "pingate.yaml:16: routes[5].rate_class: no rate class named 'nope' in rate_limit.classes (rate_limit.classes is empty)",
            "pingate.yaml:17: routes[6].name: every route needs a name",
            #"pingate.yaml:20: routes[7].invalidation_scope: expected a depth (an integer ≥ 0) or a path prefix starting with '/', got "-1""#,
        ])
    }

    @Test func duplicateNames() {
        let yaml = "routes:\n  - {name: a, prefix: /}\n  - {name: a, prefix: /x}\n"
        #expect(loadErrors(yaml).map(\.description) ==
                ["pingate.yaml:3: routes[1].name: route name 'a' is already used by routes[0]"])
    }

    @Test func routesMustBeAList() {
        #expect(loadErrors("routes: {name: a}\n").map(\.description) ==
                ["pingate.yaml:1: routes: expected a list of routes, got a mapping"])
    }

    @Test func matchesIsSegmentAware() {
        let route = RouteSettings(name: "x", prefix: "/api", upstream: PingateSettings().upstream)
        #expect(route.matches(path: "/api"))
        #expect(route.matches(path: "/api/x"))
        #expect(!route.matches(path: "/apix"))
        #expect(!route.matches(path: "/ap"))
    }
}
