import Testing
import PingateConfig
import PingateCore

@Suite("Value syntax")
struct ValueParsingTests {
    @Test(arguments: [
        ("0", 0), ("65536", 65536), ("64KiB", 65536), ("64 MiB", 64 << 20), ("1GiB", 1 << 30),
        ("1k", 1000), ("2M", 2_000_000), ("3G", 3_000_000_000), ("10KB", 10_000), ("512B", 512),
    ])
    func bytes(text: String, expected: Int) throws {
        #expect(try load(nil, flags: ["max-body-bytes": text]).limits.maxBodyBytes == expected)
    }

    @Test(arguments: ["-1", "1.5MiB", "1TiB", "KiB", "99999999999999999999", "1m"])
    func badBytes(text: String) {
        #expect(loadErrors(nil, flags: ["max-body-bytes": text]).first?.kind == .invalidValue)
    }

    @Test(arguments: [
        ("30", Duration.seconds(30)), ("1.5", .milliseconds(1500)), ("500ms", .milliseconds(500)),
        ("30s", .seconds(30)), ("5m", .seconds(300)), ("1h", .seconds(3600)), ("0", .zero),
    ])
    func seconds(text: String, expected: Duration) throws {
        #expect(try load(nil, flags: ["read-timeout": text]).timeouts.read == expected)
    }

    @Test(arguments: ["abc", "-1", "1e400", "nan", "inf", "5d", ""])
    func badSeconds(text: String) {
        #expect(loadErrors(nil, flags: ["read-timeout": text]).count == 1)
    }

    @Test(arguments: [
        ("10/s", 10.0, "10/s"), ("600/m", 10.0, "600/m"), ("3600/h", 1.0, "3600/h"), ("5", 5.0, "5/s"),
        ("0.5/s", 0.5, "0.5/s"), ("120/min", 2.0, "120/m"),
    ])
    func rates(text: String, perSecond: Double, canonical: String) throws {
        let rate = try #require(try load(nil, flags: ["rate-limit": text]).rateLimit.rate)
        #expect(rate.perSecond == perSecond)
        #expect(rate.text == canonical)
    }

    @Test(arguments: ["none", "off", "", "NONE"])
    func noRate(text: String) throws {
        #expect(try load(nil, flags: ["rate-limit": text]).rateLimit.rate == nil)
    }

    @Test(arguments: ["fast", "10/d", "-1/s", "0", "/s", "10/"])
    func badRates(text: String) {
        #expect(loadErrors(nil, flags: ["rate-limit": text]).first?.kind == .invalidValue)
    }

    @Test func booleans() throws {
        for (text, value) in [("true", true), ("FALSE", false), ("yes", true), ("off", false), ("1", true)] {
            #expect(try load(nil, flags: ["allow-remote": text]).allowRemote == value)
        }
        #expect(loadErrors(nil, flags: ["allow-remote": "2"]).count == 1)
    }

    @Test func listenAddresses() {
        #expect(ListenAddress(parsing: "0.0.0.0:8787") == ListenAddress(host: "0.0.0.0", port: 8787))
        #expect(ListenAddress(parsing: "[::1]:0") == ListenAddress(host: "::1", port: 0))
        #expect(ListenAddress(parsing: "localhost:80")?.isLoopback == true)
        #expect(ListenAddress(parsing: "127.1.2.3:80")?.isLoopback == true)
        #expect(ListenAddress(parsing: "0.0.0.0:80")?.isLoopback == false)
        #expect(ListenAddress(parsing: "[::1]:8787")?.description == "[::1]:8787")
        for bad in ["8787", ":8787", "host:", "host:99999", "::1:80", "[::1]80", "a b:1", "host:-1"] {
            #expect(ListenAddress(parsing: bad) == nil, "\(bad)")
        }
    }

    @Test func socketModeAndLists() throws {
        let s = try load("""
        unix_socket: /run/pingate/pingate.sock
        unix_socket_mode: 0660
        allowed_hosts: [pingate.local, "Example.COM"]
        allowed_origins: "https://app.example.com, *"
        """)
        #expect(s.unixSocket == "/run/pingate/pingate.sock")
        #expect(s.unixSocketMode == 0o660)
        #expect(s.allowedHosts == ["pingate.local", "example.com"])
        #expect(s.allowedOrigins == ["https://app.example.com", "*"])
        #expect(loadErrors("allowed_origins: [\"https://a.example/path\"]\n").first?.key == "allowed_origins[0]")
    }

    @Test func nullMeansUnsetForOptionalsAndErrorsOtherwise() throws {
        let s = try load("vault: ~\nunix_socket:\nrate_limit:\n  rate: null\n")
        #expect(s.vault == nil && s.unixSocket == nil && s.rateLimit.rate == nil)
        #expect(loadErrors("cache:\n  ttl:\n").map(\.description) == ["pingate.yaml:2: cache.ttl: a value is required"])
    }

    @Test func quotedValuesKeepTheirSpelling() throws {
        let s = try load("unix_socket_mode: \"0600\"\nvault: \"null\"\n")
        #expect(s.unixSocketMode == 0o600)
        #expect(s.vault == "null") // quoted: a file literally named null
    }
}
