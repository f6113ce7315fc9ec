import HTTPTypes

/// What a successful write invalidates, in a form another pingate can apply: the write's scope, and the paths its
/// `Location` / `Content-Location` name outside that scope.
public struct WriteInvalidation: Sendable, Hashable {
    /// Every entry whose path lies under this scope is dropped (see ``ScopeResolver``).
    public let scope: String
    /// Every entry for exactly these paths (any query) is dropped.
    public let paths: [String]

    public init(scope: String, paths: [String]) {
        self.scope = scope
        self.paths = paths
    }
}

extension ResponseCache {
    /// What a write to `path` answered with `status` and `responseHeaders` invalidates; nil for 1xx/4xx/5xx answers,
    /// which invalidate nothing.
    public func invalidation(afterWriteTo path: String, status: HTTPResponse.Status, responseHeaders: HTTPFields) -> WriteInvalidation? {
        guard (200..<400).contains(status.code) else { return nil }
        let writtenPath = ScopeResolver.path(ofTarget: path)
        let scope = scopes.scope(forWriteTo: writtenPath)
        var paths: [String] = []
        for name in [HTTPField.Name.location, .contentLocation] {
            for value in responseHeaders[values: name] {
                guard let referenced = ScopeResolver.path(ofReference: value, relativeTo: writtenPath),
                      !ScopeResolver.covers(scope: scope, path: Substring(referenced))
                else { continue }
                paths.append(referenced)
            }
        }
        return WriteInvalidation(scope: scope, paths: paths)
    }

    /// Applies an invalidation (this pingate's own write, or another's received through the shared store): drops the
    /// entries it covers and makes fills in flight for them refuse to store. Returns the number of entries dropped.
    @discardableResult
    public func apply(_ invalidation: WriteInvalidation) -> Int {
        let events: [InvalidationEvent] = [.scope(invalidation.scope)] + invalidation.paths.map { .path($0) }
        return state.withLock { state in Self.apply(events, to: &state) }
    }

    /// The write scope a target belongs to: the key of its shared generation counter (a write anywhere in the scope
    /// changes it).
    public func writeScope(ofTarget target: String) -> String {
        scopes.scope(forWriteTo: ScopeResolver.path(ofTarget: target))
    }
}
