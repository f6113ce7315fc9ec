import Foundation
import PingateCore

/// How one kind of value is written as text: parsed from a flag, a `PINGATE_…` variable or a YAML scalar, and
/// rendered back for `check-config` so that the output loads again. Parsing is pingate's own (`64MiB`, `30s`,
/// `600/m` are not types the configuration library knows); layering is the library's.
struct ValueSyntax<Value>: Sendable {
    /// Placeholder in help text, e.g. `<seconds>`.
    let placeholder: String
    /// What a valid value looks like, for "expected …, got …" errors.
    let expected: String
    /// The value, or `nil` when `text` (already trimmed) is not valid.
    let parse: @Sendable (String) -> Value?
    /// YAML text that parses back to the value.
    let render: @Sendable (Value) -> String
    /// The whole error message for invalid text, when "expected …, got …" would say too little or too much.
    var failure: (@Sendable (String) -> String)?

    /// One line naming what was expected and what was given.
    func problem(_ text: String) -> String {
        failure?(text) ?? "expected \(expected), got \(Self.quote(text))"
    }

    /// A nil-able variant: empty text (also a YAML `null`) means unset.
    var optional: ValueSyntax<Value?> {
        let parse = self.parse, render = self.render
        return ValueSyntax<Value?>(placeholder: placeholder, expected: expected,
                                   parse: { $0.isEmpty ? .some(nil) : parse($0).map { $0 } },
                                   render: { $0.map(render) ?? "null" }, failure: failure)
    }

    /// `"text"`, escaped and cut at 80 characters, for error messages.
    static func quote(_ text: String) -> String {
        let shown = text.count > 80 ? String(text.prefix(80)) + "…" : text
        return yamlString(shown)
    }

    /// A double-quoted YAML string.
    static func yamlString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                out += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

// MARK: - The syntaxes settings use

extension ValueSyntax where Value == Duration {
    /// `1.5`, `30s`, `500ms`, `5m`, `1h`: seconds ≥ 0.
    static let seconds = ValueSyntax(placeholder: "<seconds>", expected: "seconds (a number ≥ 0)", parse: { text in
        guard let (number, factor) = splitUnit(text, [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3_600)]),
              number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), let value = Double(number)
        else { return nil }
        let seconds = value * factor
        guard seconds.isFinite, seconds <= 1_000_000_000 else { return nil }
        return .nanoseconds(Int64((seconds * 1e9).rounded()))
    }, render: { d in
        let (secs, atto) = d.components
        return atto == 0 ? String(secs) : String(Double(secs) + Double(atto) / 1e18)
    })

    /// A whole number of milliseconds ≥ `minimum`.
    static func milliseconds(minimum: Int) -> Self {
        let integer = ValueSyntax<Int>.integer(minimum: minimum)
        return ValueSyntax(placeholder: "<ms>", expected: integer.expected, parse: { integer.parse($0).map { .milliseconds($0) } },
                           render: { String($0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000) })
    }
}

extension ValueSyntax where Value == Int {
    /// `65536`, `64MiB`, `64 MiB`, `1k` (1000), `2M`, `1G`, `10KB`: bytes.
    static let bytes = ValueSyntax(
        placeholder: "<bytes>", expected: "a byte size (an integer ≥ 0, optionally with KiB/MiB/GiB or k/M/G)",
        parse: { text in
            let units: [(String, Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("kB", 1_000), ("KB", 1_000),
                                          ("MB", 1_000_000), ("GB", 1_000_000_000), ("k", 1_000), ("K", 1_000),
                                          ("M", 1_000_000), ("G", 1_000_000_000), ("B", 1)]
            guard let (digits, factor) = splitUnit(text, units), digits.count <= 19,
                  digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(digits)
            else { return nil }
            let (product, overflow) = value.multipliedReportingOverflow(by: factor)
            return overflow ? nil : product
        },
        render: { n in
            for (unit, size) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where n != 0 && n % size == 0 {
                return "\(n / size)\(unit)"
            }
            return String(n)
        })

    /// A whole number ≥ `minimum`.
    static func integer(minimum: Int) -> Self {
        ValueSyntax(placeholder: "<int>", expected: "an integer ≥ \(minimum)",
                    parse: { Int($0).flatMap { $0 >= minimum ? $0 : nil } }, render: { String($0) })
    }

    /// An octal permission mode such as `0600` (also `0o600`).
    static let fileMode = ValueSyntax(placeholder: "<octal-mode>", expected: "an octal permission mode like 0600", parse: { text in
        let digits = text.hasPrefix("0o") || text.hasPrefix("0O") ? text.dropFirst(2) : Substring(text)
        guard !digits.isEmpty, digits.count <= 4, digits.allSatisfy({ ("0"..."7").contains($0) }),
              let mode = Int(digits, radix: 8), mode <= 0o777 else { return nil }
        return mode
    }, render: { yamlString("0" + String($0, radix: 8)) })

    /// An HTTP status code.
    static let status = ValueSyntax(placeholder: "<int>", expected: "an HTTP status code (100–599)",
                                    parse: { Int($0).flatMap { (100...599).contains($0) ? $0 : nil } }, render: { String($0) })
}

extension ValueSyntax where Value == Bool {
    /// `true`/`false`, also `yes`/`no`, `on`/`off`, `1`/`0`.
    static let bool = ValueSyntax(placeholder: "<bool>", expected: "a boolean (true or false)", parse: { text in
        switch text.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: return nil
        }
    }, render: { String($0) })
}

extension ValueSyntax where Value == UInt32 {
    /// A numeric user id.
    static let uid = ValueSyntax(placeholder: "<uid>", expected: "a numeric user id", parse: { UInt32($0) }, render: { String($0) })
}

extension ValueSyntax where Value == String {
    /// Any text.
    static let text = ValueSyntax(placeholder: "<text>", expected: "text", parse: { $0 }, render: { yamlString($0) })

    /// A filesystem path (no NUL or line break).
    static let path = ValueSyntax(placeholder: "<path>", expected: "a file path",
                                  parse: { $0.contains { $0 == "\0" || $0.isNewline } ? nil : $0 }, render: { yamlString($0) })

    /// A vault entry name, route, class or profile name: 1–64 of `A-Z a-z 0-9 _ . -`.
    static let name = ValueSyntax(placeholder: "<name>", expected: "a vault entry name",
                                  parse: { isName($0) ? $0 : nil }, render: { yamlString($0) })

    /// A `Host` header value accepted besides the loopback names (lowercased).
    static let hostName = ValueSyntax(placeholder: "<value>", expected: "a host name", parse: { text in
        guard !text.isEmpty, text.count <= 253,
              text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-.:[]*_".contains($0)) }) else { return nil }
        return text.lowercased()
    }, render: { yamlString($0) })

    /// A browser origin (`https://app.example.com`) or `*`.
    static let origin = ValueSyntax(placeholder: "<value>", expected: "an origin like https://app.example.com or *", parse: { text in
        if text == "*" { return text }
        let lower = text.lowercased()
        for scheme in ["http://", "https://"] where lower.hasPrefix(scheme) {
            let rest = String(lower.dropFirst(scheme.count))
            return !rest.contains("/") && ValueSyntax<String>.hostName.parse(rest) != nil ? lower : nil
        }
        return nil
    }, render: { yamlString($0) })

    /// Letters, digits, `_`, `-`, `.`; 1–64 characters (vault entries, routes, classes, profiles).
    static func isName(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 64 && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }
    }
}

extension ValueSyntax where Value == URL {
    /// An absolute `http` or `https` URL without credentials, query or fragment.
    static let httpURL = ValueSyntax(placeholder: "<url>", expected: "an http:// or https:// URL", parse: { text in
        guard let c = URLComponents(string: text), let scheme = c.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = c.host, !host.isEmpty, c.user == nil, c.password == nil, c.query == nil, c.fragment == nil
        else { return nil }
        return c.url
    }, render: { yamlString($0.absoluteString) }, failure: { text in
        let c = URLComponents(string: text)
        if c?.user != nil || c?.password != nil {
            return "credentials in the URL are not allowed; store them in the vault and map them with routes[].credentials"
        }
        if let scheme = c?.scheme?.lowercased(), c?.host != nil, !["http", "https"].contains(scheme) {
            return "expected an http:// or https:// URL (scheme '\(scheme)' is not supported), got \(quote(text))"
        }
        if c?.query != nil || c?.fragment != nil { return "expected an http:// or https:// URL without query or fragment, got \(quote(text))" }
        return "expected an http:// or https:// URL, got \(quote(text))"
    })

    /// `redis://[user:password@]host:port[/db]` or `unix:///path/to/redis.sock`. The password never appears in
    /// what this syntax renders or reports.
    static let redisURL = ValueSyntax(placeholder: "<url>", expected: "redis://[user:password@]host:port[/db] or unix:///path/to/redis.sock", parse: { text in
        guard let c = URLComponents(string: text), c.query == nil, c.fragment == nil else { return nil }
        switch c.scheme?.lowercased() {
        case "redis":
            guard let host = c.host, !host.isEmpty, c.port != nil,
                  c.path.isEmpty || c.path == "/" || Int(c.path.dropFirst()).map({ $0 >= 0 }) == true else { return nil }
        case "unix":
            guard c.host?.isEmpty ?? true, c.path.hasPrefix("/"), c.path.count > 1, c.user == nil else { return nil }
        default: return nil
        }
        return c.url
    }, render: { yamlString(SecretMasking.maskingPassword(in: $0.absoluteString)) }, failure: { text in
        "expected redis://[user:password@]host:port[/db] or unix:///path/to/redis.sock, got \(quote(SecretMasking.maskingPassword(in: text)))"
    })
}

extension ValueSyntax where Value == ListenAddress {
    /// `host:port` or `[ipv6]:port`.
    static let hostPort = ValueSyntax(placeholder: "<host:port>", expected: "host:port (e.g. 127.0.0.1:8787 or [::1]:8787)",
                                      parse: { ListenAddress(parsing: $0) }, render: { yamlString($0.description) })
}

extension ValueSyntax where Value == Rate? {
    /// `10/s`, `600/m`, `3600/h`, `5` (per second), or `none` for unlimited.
    static let rate = ValueSyntax(
        placeholder: "<rate>", expected: #"a rate like "10/s", "600/m", "3600/h", "5" (per second) or "none""#,
        parse: { ["", "none", "off", "unlimited"].contains($0.lowercased()) ? .some(nil) : Rate(parsing: $0).map { $0 } },
        render: { $0.map { yamlString($0.text) } ?? "none" })
}

extension ValueSyntax where Value: RawRepresentable & CaseIterable & Sendable, Value.RawValue == String {
    /// One of the enumeration's raw values, case-insensitive.
    static func choice(_ placeholder: String) -> Self {
        ValueSyntax(placeholder: placeholder, expected: "one of " + Value.allCases.map(\.rawValue).joined(separator: "|"),
                    parse: { Value(rawValue: $0.lowercased()) }, render: { $0.rawValue })
    }
}

/// Splits a trailing unit off `text` (the first matching suffix wins); `nil` when no number is left.
private func splitUnit<F>(_ text: String, _ units: [(String, F)]) -> (String, F)? where F: ExpressibleByIntegerLiteral {
    for (suffix, factor) in units where text.hasSuffix(suffix) {
        let number = text.dropLast(suffix.count).trimmingWhitespace()
        return number.isEmpty ? nil : (number, factor)
    }
    return text.isEmpty ? nil : (text, 1)
}
