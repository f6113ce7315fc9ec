/// One rule of a client token: which methods it may use under which path prefix, written `METHODS PREFIX`
/// (`GET,HEAD /api/pinning/`, `* /api/pinning/pins/`). Methods are comma-separated or `*`; the prefix starts
/// with `/` and is matched against the request path (the query is not part of it).
///
/// A request whose path has dot segments (`/./`, `/../`, also percent-encoded) matches only a rule for `/`:
/// otherwise `GET /api/pinning/../other` would pass a rule for `/api/pinning/` and reach another path upstream.
public struct AccessRule: Sendable, Hashable, CustomStringConvertible {
    /// Allowed methods (upper case); nil means any.
    public let methods: Set<String>?
    /// Path prefix, starting with `/`.
    public let pathPrefix: String

    /// Parses `METHODS PREFIX`.
    /// - Throws: ``AccessRuleError`` naming what is wrong.
    public init(parsing text: String) throws(AccessRuleError) {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count == 2 else { throw AccessRuleError(.shape, text) }
        let methodText = parts[0], prefix = String(parts[1])
        if methodText == "*" {
            methods = nil
        } else {
            var set = Set<String>()
            for method in methodText.split(separator: ",", omittingEmptySubsequences: false) {
                guard !method.isEmpty, method.utf8.allSatisfy(Self.isMethodByte) else { throw AccessRuleError(.method, text) }
                set.insert(method.uppercased())
            }
            methods = set
        }
        guard prefix.hasPrefix("/"), !prefix.contains("?"), prefix.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw AccessRuleError(.prefix, text)
        }
        pathPrefix = prefix
    }

    /// Every method under `/`.
    public static let everything = try! AccessRule(parsing: "* /")

    /// The canonical text, e.g. `GET,HEAD /api/pinning/` (methods sorted).
    public var description: String {
        (methods.map { $0.sorted().joined(separator: ",") } ?? "*") + " " + pathPrefix
    }

    /// Whether the rule allows `method` on `path` (the request target without its query).
    public func allows(method: String, path: String) -> Bool {
        if let methods, !methods.contains(method) { return false }
        guard path.hasPrefix(pathPrefix) else { return false }
        return pathPrefix == "/" || !Self.hasDotSegment(path)
    }

    /// Whether any of `rules` allows the request; no rules at all means everything is allowed.
    public static func allows(_ rules: [AccessRule], method: String, path: String) -> Bool {
        rules.isEmpty || rules.contains { $0.allows(method: method, path: path) }
    }

    /// A `.` or `..` segment, also percent-encoded (`%2e`), anywhere in the path.
    static func hasDotSegment(_ path: String) -> Bool {
        for segment in path.split(separator: "/", omittingEmptySubsequences: false) {
            let decoded = segment.replacingPercentEncodedDots()
            if decoded == "." || decoded == ".." { return true }
        }
        return false
    }

    /// RFC 9110 token characters.
    private static func isMethodByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'+-.^_`|~".utf8.contains(byte)
        }
    }
}

/// Why a `METHODS PREFIX` rule was not accepted.
public struct AccessRuleError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong with the rule.
    public struct Kind: Sendable, Hashable {
        fileprivate enum Code: Sendable, Hashable { case shape, method, prefix }
        fileprivate let code: Code

        /// Not two parts separated by a space.
        public static let shape = Kind(code: .shape)
        /// A method is empty or not an HTTP token.
        public static let method = Kind(code: .method)
        /// The path prefix does not start with `/`, or holds a query or a control character.
        public static let prefix = Kind(code: .prefix)
    }

    /// What is wrong.
    public let kind: Kind
    /// The rule as given.
    public let rule: String

    init(_ kind: Kind, _ rule: String) {
        self.kind = kind
        self.rule = rule
    }

    /// One line naming the problem.
    public var description: String {
        switch kind.code {
        case .shape: return "rule \"\(rule)\" is not METHODS PREFIX (e.g. \"GET,HEAD /api/pinning/\")"
        case .method: return "rule \"\(rule)\": methods are comma-separated names (GET,HEAD) or *"
        case .prefix: return "rule \"\(rule)\": the path prefix must start with / and hold no query or spaces"
        }
    }
}

extension Substring {
    /// The segment with `%2e`/`%2E` read as `.` (only dots matter for dot segments).
    fileprivate func replacingPercentEncodedDots() -> String {
        guard contains("%") else { return String(self) }
        var out = ""
        var index = startIndex
        while index < endIndex {
            let rest = self[index...]
            if rest.hasPrefix("%2e") || rest.hasPrefix("%2E") {
                out.append(".")
                index = self.index(index, offsetBy: 3)
            } else {
                out.append(self[index])
                index = self.index(after: index)
            }
        }
        return out
    }
}
