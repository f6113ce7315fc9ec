/// Pre-sorted rules plus the path-prefix helpers shared by invalidation and fill tokens.
struct ScopeResolver: Sendable {
    private let rules: [InvalidationRule]
    private let defaultDepth: Int

    init(rules: [InvalidationRule], defaultDepth: Int) {
        // Longest prefix first so the most specific rule wins with a linear scan.
        self.rules = rules.sorted { $0.pathPrefix.utf8.count > $1.pathPrefix.utf8.count }
        self.defaultDepth = defaultDepth
    }

    /// The scope prefix (always ending in `/` for depth scopes) invalidated by a write to `path`.
    func scope(forWriteTo path: String) -> String {
        for rule in self.rules where path.utf8.starts(with: rule.pathPrefix.utf8) {
            switch rule.scope {
            case .depth(let depth): return Self.leadingSegments(of: path, depth: depth)
            case .prefix(let prefix): return prefix
            }
        }
        return Self.leadingSegments(of: path, depth: self.defaultDepth)
    }

    /// `/a/b/c` with depth 2 → `/a/b/`; fewer segments than `depth` → all of them.
    static func leadingSegments(of path: String, depth: Int) -> String {
        guard depth > 0 else { return "/" }
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).prefix(depth)
        guard !segments.isEmpty else { return "/" }
        return "/" + segments.joined(separator: "/") + "/"
    }

    /// Whether `path` lies under `scope`. `/api/pinning` counts as under `/api/pinning/`.
    static func covers(scope: String, path: Substring) -> Bool {
        if path.utf8.starts(with: scope.utf8) { return true }
        let scopeBytes = scope.utf8
        guard scopeBytes.last == UInt8(ascii: "/"), scopeBytes.count == path.utf8.count + 1 else { return false }
        return scopeBytes.starts(with: path.utf8)
    }

    /// The path part of a request target (`/a/b?x=1` → `/a/b`).
    static func path(ofTarget target: String) -> String {
        let view = Self.pathView(ofTarget: target)
        return view.endIndex == target.endIndex ? target : String(view)
    }

    /// Like ``path(ofTarget:)`` without allocating.
    static func pathView(ofTarget target: String) -> Substring {
        guard let cut = target.utf8.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) else {
            return target[...]
        }
        return target[..<cut]
    }

    /// The path named by a `Location`/`Content-Location` value, resolved against `basePath`.
    ///
    /// Handles absolute URIs (`https://host/p`), absolute paths (`/p`), network-path references
    /// (`//host/p`) and simple relative references (`p`, resolved against `basePath`'s directory).
    /// The authority is ignored: this gateway fronts a single upstream, and invalidating a
    /// same-path entry by mistake only costs a refetch.
    static func path(ofReference reference: String, relativeTo basePath: String) -> String? {
        let trimmed = reference.trimmingASCIIWhitespace()
        guard !trimmed.isEmpty else { return nil }
        var rest = Substring(trimmed)
        if let schemeEnd = rest.firstRange(of: "://") {
            rest = rest[schemeEnd.upperBound...]
            guard let slash = rest.firstIndex(of: "/") else { return "/" }
            rest = rest[slash...]
        } else if rest.hasPrefix("//") {
            rest = rest.dropFirst(2)
            guard let slash = rest.firstIndex(of: "/") else { return "/" }
            rest = rest[slash...]
        } else if !rest.hasPrefix("/") {
            let directory: Substring
            if let lastSlash = basePath.lastIndex(of: "/") {
                directory = basePath[...lastSlash]
            } else {
                directory = "/"
            }
            rest = Substring(directory + rest)
        }
        return Self.path(ofTarget: String(rest))
    }
}

extension String {
    /// Trims spaces and tabs without Foundation.
    func trimmingASCIIWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = self.firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = self.lastIndex(where: { !isSpace($0) })!
        return String(self[first...last])
    }
}
