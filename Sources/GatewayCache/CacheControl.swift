import HTTPTypes

/// A parsed `Cache-Control` field (RFC 9111 §5.2).
///
/// The parser is deliberately tolerant: upstreams and clients send junk, and a cache must never
/// crash or throw because of a header value. Rules:
/// - Directive names are matched case-insensitively (ASCII); they are stored lowercased.
/// - A value may be a token or a quoted-string (backslash escapes honoured; an unterminated quote
///   runs to the end of the field value).
/// - Anything after a value up to the next comma is ignored, as are empty list members.
/// - When a directive appears more than once, the first occurrence wins (RFC 9111 §4.2.1).
public struct CacheControl: Sendable, Hashable {
    /// One `name[=value]` member of the directive list.
    public struct Directive: Sendable, Hashable {
        /// Lowercased directive name, never empty.
        public var name: String
        /// The unquoted value, or `nil` when the directive had no `=`.
        public var value: String?

        /// Creates a directive; `name` is used as given (callers should pass it lowercased).
        public init(name: String, value: String? = nil) {
            self.name = name
            self.value = value
        }
    }

    /// All directives in field order (duplicates kept; lookups use the first).
    public private(set) var directives: [Directive]

    /// Values of `delta-seconds` larger than this are clamped (RFC 9111 §1.2.2).
    public static let maxDeltaSeconds = 2_147_483_648

    // MARK: - Init

    /// Parses every `Cache-Control` line of `fields` as one list.
    public init(_ fields: HTTPFields) {
        self.directives = []
        for value in fields[values: .cacheControl] {
            Self.parse(value, into: &self.directives)
        }
    }

    /// Parses one field value such as `max-age=60, private="x"`.
    public init(parsing value: String) {
        self.directives = []
        Self.parse(value, into: &self.directives)
    }

    /// Creates a value from already parsed directives.
    public init(directives: [Directive]) {
        self.directives = directives
    }

    // MARK: - Queries

    /// Whether the directive `name` (lowercase) is present, with or without a value.
    public func contains(_ name: String) -> Bool {
        self.directives.contains { $0.name == name }
    }

    /// The value of the first directive called `name` (lowercase); `nil` if absent or valueless.
    public func value(of name: String) -> String? {
        self.directives.first { $0.name == name }?.value
    }

    /// The `delta-seconds` argument of the first `name` directive.
    ///
    /// Returns `nil` when the directive is absent. A present directive with a missing or invalid
    /// argument yields `0`: RFC 9111 §4.2.1 says such a response should be considered stale, and
    /// for a request `max-age=junk` the conservative reading is "revalidate".
    public func deltaSeconds(_ name: String) -> Int? {
        guard let directive = self.directives.first(where: { $0.name == name }) else { return nil }
        guard let value = directive.value else { return 0 }
        return Self.parseDeltaSeconds(value) ?? 0
    }

    /// `no-store` is present.
    public var noStore: Bool { self.contains("no-store") }
    /// `no-cache` is present (qualified or not; a qualified one is treated as unqualified).
    public var noCache: Bool { self.contains("no-cache") }
    /// `private` is present (qualified or not; a shared cache then stores nothing).
    public var isPrivate: Bool { self.contains("private") }
    /// `must-revalidate` or `proxy-revalidate`: a stale response must not be served, not even on error.
    public var forbidsStale: Bool { self.contains("must-revalidate") || self.contains("proxy-revalidate") }
    /// `max-age` in seconds.
    public var maxAge: Int? { self.deltaSeconds("max-age") }
    /// `s-maxage` in seconds.
    public var sharedMaxAge: Int? { self.deltaSeconds("s-maxage") }
    /// `stale-if-error` in seconds (RFC 5861).
    public var staleIfError: Int? { self.deltaSeconds("stale-if-error") }
    /// `stale-while-revalidate` in seconds (RFC 5861).
    public var staleWhileRevalidate: Int? { self.deltaSeconds("stale-while-revalidate") }
    /// `must-understand` (RFC 9111 §5.2.2.3): store only if the status code is understood.
    public var mustUnderstand: Bool { self.contains("must-understand") }

    // MARK: - Parser

    /// Parses a non-negative decimal integer, clamping to `maxDeltaSeconds`; `nil` if not all digits.
    static func parseDeltaSeconds(_ text: String) -> Int? {
        var result = 0
        var sawDigit = false
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            sawDigit = true
            if result < Self.maxDeltaSeconds {
                result = result * 10 + Int(byte - UInt8(ascii: "0"))
            }
        }
        return sawDigit ? min(result, Self.maxDeltaSeconds) : nil
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
            || byte == UInt8(ascii: "\n")
    }

    /// Splits on ASCII delimiters only, so every slice boundary is also a UTF-8 scalar boundary
    /// and rebuilding `String`s from the slices never has to repair anything.
    private static func parse(_ value: String, into directives: inout [Directive]) {
        let comma = UInt8(ascii: ","), equals = UInt8(ascii: "="), quote = UInt8(ascii: "\"")
        let backslash = UInt8(ascii: "\\")
        let bytes = Array(value.utf8)
        var index = 0
        let end = bytes.count

        while index < end {
            // Skip separators and leading whitespace.
            while index < end, bytes[index] == comma || Self.isWhitespace(bytes[index]) { index += 1 }
            guard index < end else { break }

            // Name: up to '=', ',' or whitespace; lowercased ASCII.
            var name: [UInt8] = []
            while index < end, bytes[index] != equals, bytes[index] != comma, !Self.isWhitespace(bytes[index]) {
                let byte = bytes[index]
                name.append(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte)
                index += 1
            }
            while index < end, Self.isWhitespace(bytes[index]) { index += 1 }

            var directiveValue: String?
            if index < end, bytes[index] == equals {
                index += 1
                while index < end, Self.isWhitespace(bytes[index]) { index += 1 }
                var valueBytes: [UInt8] = []
                if index < end, bytes[index] == quote {
                    index += 1
                    while index < end, bytes[index] != quote {
                        if bytes[index] == backslash, index + 1 < end { index += 1 }
                        valueBytes.append(bytes[index])
                        index += 1
                    }
                    if index < end { index += 1 }  // closing quote
                } else {
                    while index < end, bytes[index] != comma, !Self.isWhitespace(bytes[index]) {
                        valueBytes.append(bytes[index])
                        index += 1
                    }
                }
                directiveValue = String(decoding: valueBytes, as: UTF8.self)
            }

            // Ignore junk up to the next list separator.
            while index < end, bytes[index] != comma { index += 1 }

            if !name.isEmpty {
                directives.append(Directive(name: String(decoding: name, as: UTF8.self), value: directiveValue))
            }
        }
    }
}

// MARK: - Serialisation

extension CacheControl: CustomStringConvertible {
    /// A canonical field value: tokens bare, values always quoted with `"` and `\` escaped.
    public var description: String {
        self.directives.map { directive in
            guard let value = directive.value else { return directive.name }
            // Escape per scalar, not per Character: a quote followed by a combining mark is one
            // Character but still needs its backslash.
            var escaped = String.UnicodeScalarView()
            for scalar in value.unicodeScalars {
                if scalar == "\"" || scalar == "\\" { escaped.append("\\") }
                escaped.append(scalar)
            }
            return "\(directive.name)=\"\(String(escaped))\""
        }.joined(separator: ", ")
    }
}
