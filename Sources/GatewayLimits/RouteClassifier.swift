// MARK: - RouteClassifier

/// Maps a request's (method, path) to a route-class name, which selects the
/// per-class budget in ``RateLimiter/Configuration/classBudgets``.
///
/// Rules are tried in order; the first match wins; otherwise `defaultClass`.
///
/// Default rules for w3ipfs (``w3ipfs``), most expensive first:
///
/// | class      | rule                                                         |
/// |------------|--------------------------------------------------------------|
/// | `"upload"` | `POST /api/pinning/` or `POST /api/pinning` (exact: file upload) |
/// | `"write"`  | any other POST, PUT, PATCH, DELETE (e.g. pinByHash, unpin)   |
/// | `"read"`   | everything else (default: GET pin details, list pins, …)     |
///
/// A class with no configured budget is limited only by the global upstream
/// (and per-client) budgets, so "write" and "read" cost nothing unless set.
public struct RouteClassifier: Sendable, Hashable {
    /// How a rule's path is compared.
    public enum PathMatch: Sendable, Hashable {
        /// The normalised path equals the rule's path.
        case exact
        /// The normalised path starts with the rule's path (plain string
        /// prefix: end the rule's path with "/" to match whole segments only).
        case prefix
    }

    /// One classification rule.
    public struct Rule: Sendable, Hashable {
        /// Upper-case methods this rule applies to; `nil` means any method.
        public var methods: Set<String>?
        /// Path to compare against (without query string).
        public var path: String
        /// Exact or prefix comparison.
        public var match: PathMatch
        /// Route class (budget name) produced on match.
        public var routeClass: String

        /// A rule for a set of methods (`nil` = any).
        public init(methods: Set<String>?, path: String, match: PathMatch, routeClass: String) {
            self.methods = methods.map { Set($0.map { $0.uppercased() }) }
            self.path = path
            self.match = match
            self.routeClass = routeClass
        }

        /// A rule for one method (`nil` = any).
        public init(method: String?, path: String, match: PathMatch, routeClass: String) {
            self.init(methods: method.map { [$0] }, path: path, match: match, routeClass: routeClass)
        }

        func matches(method: String, path candidate: String) -> Bool {
            if let methods, !methods.contains(method) { return false }
            switch match {
            case .exact: return candidate == path
            case .prefix: return candidate.hasPrefix(path)
            }
        }
    }

    /// Default class names.
    public static let uploadClass = "upload"
    /// Unsafe methods other than the upload.
    public static let writeClass = "write"
    /// Everything else.
    public static let readClass = "read"

    /// Ordered rules; first match wins.
    public var rules: [Rule]
    /// Class for requests no rule matches.
    public var defaultClass: String

    /// A classifier with explicit rules.
    public init(rules: [Rule], defaultClass: String) {
        self.rules = rules
        self.defaultClass = defaultClass
    }

    /// The default rule set for the w3ipfs pinning API (see type docs).
    public static let w3ipfs = RouteClassifier(
        rules: [
            Rule(method: "POST", path: "/api/pinning/", match: .exact, routeClass: uploadClass),
            Rule(method: "POST", path: "/api/pinning", match: .exact, routeClass: uploadClass),
            Rule(methods: ["POST", "PUT", "PATCH", "DELETE"], path: "/", match: .prefix, routeClass: writeClass),
        ],
        defaultClass: readClass
    )

    /// Classifies a request. The method is compared upper-cased; the path is
    /// normalised first (see ``normalise(path:)``).
    public func classify(method: String, path: String) -> String {
        let method = method.uppercased()
        let path = Self.normalise(path: path)
        for rule in rules where rule.matches(method: method, path: path) {
            return rule.routeClass
        }
        return defaultClass
    }

    /// Normalises a request target for matching: drops the query and fragment,
    /// collapses repeated slashes and resolves `.`/`..` segments, so that
    /// `//api/./pinning/` cannot dodge the upload rule. The trailing slash is
    /// kept (it distinguishes rules). Percent-encoding is left alone: the
    /// server should forward the same path it classified.
    public static func normalise(path raw: String) -> String {
        var path = Substring(raw)
        if let cut = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = path[..<cut] }
        // Fast path: nothing to normalise (the common case).
        if path.hasPrefix("/"), !path.contains("//"), !path.contains("/.") { return String(path) }
        let trailingSlash = path.hasSuffix("/") || path.hasSuffix("/.") || path.hasSuffix("/..")
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": _ = segments.popLast()
            default: segments.append(segment)
            }
        }
        var result = "/" + segments.joined(separator: "/")
        if trailingSlash, !segments.isEmpty { result += "/" }
        return result
    }
}
