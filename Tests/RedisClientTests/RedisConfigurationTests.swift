import Testing

@testable import RedisClient

@Suite("Redis URL", .timeLimit(.minutes(1)))
struct RedisConfigurationTests {
    static let secret = "s3cr3t-Pa55"

    @Test("a plain host gets the default port and database 0")
    func defaults() throws {
        let configuration = try RedisConfiguration(url: "redis://cache.internal")
        #expect(configuration.endpoint == .tcp(host: "cache.internal", port: 6379))
        #expect(configuration.database == 0)
        #expect(configuration.username == nil)
        #expect(configuration.password == nil)
        #expect(configuration.redactedURL == "redis://cache.internal:6379/0")
    }

    @Test("user, password, port and database are read")
    func fullURL() throws {
        let configuration = try RedisConfiguration(url: "redis://alice:\(Self.secret)@10.0.0.5:6380/3")
        #expect(configuration.endpoint == .tcp(host: "10.0.0.5", port: 6380))
        #expect(configuration.username == "alice")
        #expect(configuration.password == Self.secret)
        #expect(configuration.database == 3)
        #expect(configuration.redactedURL == "redis://alice:***@10.0.0.5:6380/3")
    }

    @Test("a password alone authenticates the default user")
    func passwordOnly() throws {
        let configuration = try RedisConfiguration(url: "REDIS://:\(Self.secret)@localhost:7000/")
        #expect(configuration.username == nil)
        #expect(configuration.password == Self.secret)
        #expect(configuration.redactedURL == "redis://:***@localhost:7000/0")
    }

    @Test("escapes are decoded and a password may hold @ / ? #")
    func escapedPassword() throws {
        let configuration = try RedisConfiguration(url: "redis://bob:p%40ss/w?r#d@[::1]:6390/1")
        #expect(configuration.username == "bob")
        #expect(configuration.password == "p@ss/w?r#d")
        #expect(configuration.endpoint == .tcp(host: "::1", port: 6390))
        #expect(configuration.redactedURL == "redis://bob:***@[::1]:6390/1")
    }

    @Test("a unix socket URL, with and without a database and credentials")
    func unixSocket() throws {
        let plain = try RedisConfiguration(url: "unix:///run/redis/redis.sock")
        #expect(plain.endpoint == .unixSocket(path: "/run/redis/redis.sock"))
        #expect(plain.database == 0)
        #expect(plain.redactedURL == "unix:///run/redis/redis.sock")

        let selected = try RedisConfiguration(url: "unix://:\(Self.secret)@/run/user@1000/redis.sock?db=2")
        #expect(selected.endpoint == .unixSocket(path: "/run/user@1000/redis.sock"))
        #expect(selected.password == Self.secret)
        #expect(selected.database == 2)
        #expect(selected.redactedURL == "unix://:***@/run/user@1000/redis.sock?db=2")
    }

    @Test("a separately given password replaces the URL's and completes a user name")
    func separatePassword() throws {
        let replaced = try RedisConfiguration(url: "redis://:old@h:1/0", password: Self.secret)
        #expect(replaced.password == Self.secret)
        let completed = try RedisConfiguration(url: "redis://carol@h", password: Self.secret)
        #expect(completed.username == "carol")
        #expect(completed.password == Self.secret)
        #expect(completed.redactedURL == "redis://carol:***@h:6379/0")
    }

    static let invalid: [(url: String, error: RedisConfigurationError)] = [
        ("http://localhost", .unsupportedScheme),
        ("rediss://:\(secret)@localhost", .unsupportedScheme),
        ("localhost:6379", .unsupportedScheme),
        ("redis://", .missingHost),
        ("redis://:\(secret)@:6379/0", .missingHost),
        ("redis://[::1", .missingHost),
        ("redis://host:0", .invalidPort),
        ("redis://host:65536", .invalidPort),
        ("redis://host:port", .invalidPort),
        ("redis://host:", .invalidPort),
        ("redis://[::1]x", .invalidPort),
        ("redis://u:\(secret)@host/db", .invalidDatabase),
        ("redis://host/-1", .invalidDatabase),
        ("redis://host/99999999999", .invalidDatabase),
        ("redis://u:\(secret)%zz@host", .invalidPercentEncoding),
        ("redis://host/0?timeout=1", .unsupportedQuery),
        ("redis://host#x", .unsupportedQuery),
        ("unix://relative.sock", .missingSocketPath),
        ("unix:///", .missingSocketPath),
        ("unix:///tmp/r.sock?database=1", .unsupportedQuery),
        ("unix:///tmp/r.sock?db=x", .invalidDatabase),
        ("redis://alice@host", .usernameWithoutPassword),
    ]

    @Test("invalid URLs fail with a typed error", arguments: Self.invalid.indices)
    func refusesInvalid(index: Int) {
        let (url, expected) = Self.invalid[index]
        #expect(throws: expected, "\(url)") {
            try RedisConfiguration(url: url)
        }
    }

    @Test("an error's text is one line that does not repeat the URL or its password", arguments: Self.invalid.indices)
    func errorsHideTheURL(index: Int) {
        let (url, expected) = Self.invalid[index]
        let text = "\(expected) \(String(reflecting: expected))"
        #expect(!text.contains(Self.secret))
        #expect(!text.contains("\n"))
        #expect(text.hasPrefix("invalid Redis URL: "))
        #expect(!text.contains(url))
    }

    @Test("descriptions, debug output and the mirror never show the password")
    func redaction() throws {
        let configuration = try RedisConfiguration(url: "redis://alice:\(Self.secret)@host:6379/1")
        var dumped = ""
        dump(configuration, to: &dumped)
        let renderings = [
            configuration.description, configuration.debugDescription, String(reflecting: configuration),
            "\(configuration)", dumped, String(describing: [configuration]),
        ]
        for text in renderings {
            #expect(!text.contains(Self.secret), "\(text)")
            #expect(text.contains("redis://alice:***@host:6379/1"), "\(text)")
        }
    }
}
