import Testing
import PingateConfig

@Suite("File errors name the key and the line", .timeLimit(.minutes(1)))
struct FileErrorTests {
    @Test func unknownTopLevelKeyWithSuggestion() {
        let yaml = """
        listen: "127.0.0.1:8787"
        cahce:
          ttl: 3
        """
        let errors = loadErrors(yaml)
        #expect(errors.map(\.description) == ["pingate.yaml:2: unknown key 'cahce' (did you mean 'cache'?)"])
        #expect(errors.first?.kind == .unknownKey(suggestion: "cache"))
        #expect(errors.first?.line == 2)
    }

    @Test func unknownNestedKeyWithSuggestion() {
        let yaml = """
        # comment
        cache:
          enabled: true
          tll: 3
        """
        let errors = loadErrors(yaml)
        #expect(errors.map(\.description) == ["pingate.yaml:4: unknown key 'cache.tll' (did you mean 'cache.ttl'?)"])
        #expect(errors.first?.key == "cache.tll")
    }

    @Test func unknownKeyWithoutSuggestion() {
        let errors = loadErrors("frobnicate: 1\n")
        #expect(errors.map(\.description) == ["pingate.yaml:1: unknown key 'frobnicate'"])
        #expect(errors.first?.kind == .unknownKey(suggestion: nil))
    }

    @Test func unknownKeysInRoutesAndClasses() {
        let yaml = """
        rate_limit:
          classes:
            upload: {rate: "1/s", brust: 2}
        routes:
          - name: api
            prefx: /api
        """
        let errors = loadErrors(yaml)
        #expect(errors.map(\.description).contains(
            "pingate.yaml:3: unknown key 'rate_limit.classes.upload.brust' (did you mean 'rate_limit.classes.upload.burst'?)"))
        #expect(errors.map(\.description).contains(
            "pingate.yaml:6: unknown key 'routes[0].prefx' (did you mean 'routes[0].prefix'?)"))
    }

    @Test(arguments: [
        ("cache:\n  ttl: abc\n", #"pingate.yaml:2: cache.ttl: expected seconds (a number ≥ 0), got "abc""#),
        ("timeouts:\n  read: -1\n", #"pingate.yaml:2: timeouts.read: expected seconds (a number ≥ 0), got "-1""#),
        ("limits:\n\n  max_body_bytes: 12XB\n",
         #"pingate.yaml:3: limits.max_body_bytes: expected a byte size (an integer ≥ 0, optionally with KiB/MiB/GiB or k/M/G), got "12XB""#),
        ("allow_remote: maybe\n", #"pingate.yaml:1: allow_remote: expected a boolean (true or false), got "maybe""#),
        ("rate_limit:\n  rate: fast\n",
         #"pingate.yaml:2: rate_limit.rate: expected a rate like "10/s", "600/m", "3600/h", "5" (per second) or "none", got "fast""#),
        ("rate_limit:\n  rate: 0/s\n",
         #"pingate.yaml:2: rate_limit.rate: expected a rate like "10/s", "600/m", "3600/h", "5" (per second) or "none", got "0/s""#),
        ("allowed_uids:\n  - 1000\n  - bob\n", #"pingate.yaml:3: allowed_uids[1]: expected a numeric user id, got "bob""#),
        ("cache:\n  statuses: [200, 999]\n", #"pingate.yaml:2: cache.statuses[1]: expected an HTTP status code (100–599), got "999""#),
        ("log:\n  level: loud\n",
         #"pingate.yaml:2: log.level: expected one of trace|debug|info|notice|warning|error|critical, got "loud""#),
        ("listen: 8787\n", #"pingate.yaml:1: listen: expected host:port (e.g. 127.0.0.1:8787 or [::1]:8787), got "8787""#),
        ("unix_socket_mode: 0800\n", #"pingate.yaml:1: unix_socket_mode: expected an octal permission mode like 0600, got "0800""#),
        ("upstream: ftp://example.com\n",
         #"pingate.yaml:1: upstream: expected an http:// or https:// URL (scheme 'ftp' is not supported), got "ftp://example.com""#),
        ("limits:\n  max_connections: 0\n", #"pingate.yaml:2: limits.max_connections: expected an integer ≥ 1, got "0""#),
        ("cache:\n  ttl: [1, 2]\n", "pingate.yaml:2: cache.ttl: expected a single value, got a list"),
        ("cache: 5\n", "pingate.yaml:1: cache: expected a mapping of cache.* settings, got a value"),
    ])
    func badValues(yaml: String, expected: String) {
        #expect(loadErrors(yaml).map(\.description) == [expected])
    }

    @Test func badValueKindIsSwitchable() throws {
        let error = try #require(loadErrors("cache:\n  ttl: abc\n").first)
        #expect(error.kind == .invalidValue)
        #expect(error.key == "cache.ttl")
        #expect(error.source == .file(path: "pingate.yaml", line: 2))
        #expect(error.message == #"expected seconds (a number ≥ 0), got "abc""#)
    }

    @Test func allErrorsReportedSortedByLine() {
        let yaml = """
        timeouts:
          idle: never
        cahce: {}
        access_log: sometimes
        """
        let lines = loadErrors(yaml, env: ["PINGATE_LISTEN": "nowhere"]).map(\.description)
        #expect(lines.count == 4)
        #expect(lines[0].hasPrefix("pingate.yaml:2: timeouts.idle:"))
        #expect(lines[1].hasPrefix("pingate.yaml:3: unknown key 'cahce'"))
        #expect(lines[2].hasPrefix("pingate.yaml:4: access_log:"))
        #expect(lines[3].hasPrefix("env PINGATE_LISTEN: listen:"))
    }

    @Test func yamlSyntaxErrorHasALine() throws {
        let errors = loadErrors("cache:\n  ttl: 3\n bad: [\n")
        let error = try #require(errors.first)
        #expect(error.kind == .unreadableFile)
        #expect(error.line != nil)
        #expect(error.description.hasPrefix("pingate.yaml:"))
    }

    @Test func duplicateKeyIsAnError() throws {
        let error = try #require(loadErrors("cache:\n  ttl: 1\n  x: 2\n  ttl: 2\n").first)
        #expect(error.description == "pingate.yaml:4: duplicate key 'ttl' (first set on line 2)")
    }

    @Test func rootMustBeAMapping() {
        #expect(loadErrors("- a\n- b\n").map(\.description) ==
                ["pingate.yaml:1: the file must be a mapping of settings, got a list"])
        #expect(loadErrors("").isEmpty)
        #expect(loadErrors("# only comments\n").isEmpty)
    }

    @Test func missingFileIsReported() throws {
        do {
            _ = try SettingsLoader.load(file: "/nonexistent/pingate.yaml", environment: [:], flags: [:])
            Issue.record("expected an error")
        } catch {
            #expect(error.errors.first?.kind == .unreadableFile)
            #expect(error.description.contains("/nonexistent/pingate.yaml"))
        }
    }

    @Test func crossFieldCheck() {
        let errors = loadErrors("cache:\n  max_bytes: 1MiB\n  max_object_bytes: 2MiB\n")
        #expect(errors.map(\.description) ==
                ["pingate.yaml:3: cache.max_object_bytes: cache.max_object_bytes (2097152) must not exceed cache.max_bytes (1048576)"])
    }

    @Test func credentialsInUpstreamURLAreRejected() {
        let errors = loadErrors("upstream: https://user:hunter2@api.example.com\n")
        #expect(errors.count == 1)
        #expect(errors.first?.description.contains("hunter2") == false)
    }
}
