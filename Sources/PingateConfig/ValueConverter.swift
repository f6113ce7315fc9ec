import Foundation
import PingateCore

/// Converts one setting's winning ``RawEntry`` into a typed value, producing a
/// ``ConfigError`` that names the key and the source on failure.
struct ValueConverter {
    let key: String
    let entry: RawEntry

    // MARK: Errors

    func invalid(_ expected: String, got text: String, source: SettingSource? = nil,
                 key: String? = nil) -> ConfigError {
        ConfigError(kind: .invalidValue, key: key ?? self.key, source: source ?? entry.source,
                    message: "expected \(expected), got \(Self.quote(text))")
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for ch in text.prefix(80).unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if ch.value < 0x20 || ch.value == 0x7F {
                    out += "\\u{\(String(ch.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(ch)
                }
            }
        }
        if text.count > 80 { out += "…" }
        return out + "\""
    }

    /// The scalar text, or an error for lists / null (unless `optional`).
    private func scalar(optional: Bool = false) throws(ConfigError) -> String? {
        switch entry.value {
        case .text(let text): return text.trimmingWhitespace()
        case .null:
            if optional { return nil }
            throw ConfigError(kind: .missingValue, key: key, source: entry.source,
                              message: "a value is required")
        case .list:
            throw ConfigError(kind: .wrongShape, key: key, source: entry.source,
                              message: "expected a single value, got a list")
        }
    }

    private func required() throws(ConfigError) -> String {
        // `scalar()` without `optional` never returns nil.
        try scalar() ?? ""
    }

    // MARK: Kinds

    func hostPort() throws(ConfigError) -> ListenAddress {
        let text = try required()
        guard let address = ListenAddress(parsing: text) else {
            throw invalid("host:port (e.g. 127.0.0.1:8787 or [::1]:8787)", got: text)
        }
        return address
    }

    func optionalPath() throws(ConfigError) -> String? {
        guard let text = try scalar(optional: true), !text.isEmpty else { return nil }
        guard !text.contains(where: { $0 == "\0" || $0.isNewline }) else {
            throw invalid("a file path", got: text)
        }
        return text
    }

    func fileMode() throws(ConfigError) -> Int {
        let text = try required()
        var digits = Substring(text)
        if digits.hasPrefix("0o") || digits.hasPrefix("0O") { digits = digits.dropFirst(2) }
        guard !digits.isEmpty, digits.count <= 4, let mode = Int(digits, radix: 8),
              digits.allSatisfy({ ("0"..."7").contains($0) }), mode <= 0o777
        else { throw invalid("an octal permission mode like 0600", got: text) }
        return mode
    }

    func bool() throws(ConfigError) -> Bool {
        let text = try required()
        switch text.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw invalid("a boolean (true or false)", got: text)
        }
    }

    func url() throws(ConfigError) -> URL {
        let text = try required()
        let expected = "an http:// or https:// URL"
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty, let url = components.url
        else { throw invalid(expected, got: text) }
        guard scheme == "http" || scheme == "https" else {
            throw invalid("\(expected) (scheme '\(scheme)' is not supported)", got: text)
        }
        guard components.user == nil, components.password == nil else {
            throw ConfigError(kind: .invalidValue, key: key, source: entry.source,
                              message: "credentials in the URL are not allowed; store them in the vault and map them with routes[].credentials")
        }
        guard components.query == nil, components.fragment == nil else {
            throw invalid("\(expected) without query or fragment", got: text)
        }
        return url
    }

    func enumeration<E: RawRepresentable & CaseIterable>(_ type: E.Type) throws(ConfigError) -> E
    where E.RawValue == String {
        let text = try required()
        guard let value = E(rawValue: text.lowercased()) else {
            throw invalid("one of " + E.allCases.map(\.rawValue).joined(separator: "|"), got: text)
        }
        return value
    }

    func seconds() throws(ConfigError) -> Duration {
        let text = try required()
        guard let value = Self.parseSeconds(text) else {
            throw invalid("seconds (a number ≥ 0)", got: text)
        }
        return Self.duration(seconds: value)
    }

    func bytes() throws(ConfigError) -> Int {
        let text = try required()
        guard let value = Self.parseBytes(text) else {
            throw invalid("a byte size (an integer ≥ 0, optionally with KiB/MiB/GiB or k/M/G)", got: text)
        }
        return value
    }

    func integer(minimum: Int) throws(ConfigError) -> Int {
        let text = try required()
        guard let value = Int(text), value >= minimum else {
            throw invalid("an integer ≥ \(minimum)", got: text)
        }
        return value
    }

    /// `nil` for none/off/unlimited/empty/null.
    func rate() throws(ConfigError) -> Rate? {
        guard let text = try scalar(optional: true) else { return nil }
        if ["", "none", "off", "unlimited"].contains(text.lowercased()) { return nil }
        guard let rate = Rate(parsing: text) else {
            throw invalid("a rate like \"10/s\", \"600/m\", \"3600/h\", \"5\" (per second) or \"none\"", got: text)
        }
        return rate
    }

    /// List elements converted one by one; element errors are keyed `key[i]`
    /// and located at the element's own line.
    func list<T>(_ expected: String, _ convert: (String) -> T?) throws(ConfigErrors) -> [T] {
        var values: [T] = []
        var errors: [ConfigError] = []
        for (index, item) in entry.items.enumerated() {
            let text = item.text.trimmingWhitespace()
            if let value = convert(text) {
                values.append(value)
            } else {
                errors.append(invalid(expected, got: text, source: item.source, key: "\(key)[\(index)]"))
            }
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return values
    }

    // MARK: Text parsing

    /// `1.5`, `30s`, `500ms`, `5m`, `1h` → seconds; `nil` when malformed or negative.
    static func parseSeconds(_ raw: String) -> Double? {
        let text = raw.trimmingWhitespace()
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3_600)]
        var number = Substring(text)
        var factor = 1.0
        for (suffix, f) in units where text.hasSuffix(suffix) {
            number = text.dropLast(suffix.count)
            factor = f
            break
        }
        let numberText = number.trimmingWhitespace()
        guard !numberText.isEmpty,
              numberText.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              let value = Double(numberText)
        else { return nil }
        let seconds = value * factor
        guard seconds.isFinite, seconds >= 0, seconds <= 1_000_000_000 else { return nil }
        return seconds
    }

    static func duration(seconds: Double) -> Duration {
        let whole = seconds.rounded(.down)
        let nanos = ((seconds - whole) * 1e9).rounded()
        return .seconds(Int64(whole)) + .nanoseconds(Int64(nanos))
    }

    /// `65536`, `64MiB`, `64 MiB`, `1k` (1000), `2M`, `1G`, `10KB` → bytes.
    static func parseBytes(_ raw: String) -> Int? {
        let text = raw.trimmingWhitespace()
        let units: [(String, Int)] = [
            ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30),
            ("kB", 1_000), ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000),
            ("k", 1_000), ("K", 1_000), ("M", 1_000_000), ("G", 1_000_000_000), ("B", 1),
        ]
        var number = Substring(text)
        var factor = 1
        for (suffix, f) in units where text.hasSuffix(suffix) {
            number = text.dropLast(suffix.count)
            factor = f
            break
        }
        let digits = number.trimmingWhitespace()
        guard !digits.isEmpty, digits.count <= 19, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let value = Int(digits)
        else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: factor)
        return overflow ? nil : product
    }
}
