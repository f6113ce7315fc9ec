import PingateCore

/// Decides which cached paths a successful write invalidates (its "scope").
///
/// A write to a path matching `pathPrefix` invalidates every cached entry whose path lies under
/// the computed scope. When several rules match, the longest `pathPrefix` wins; when none does,
/// ``ResponseCache/Configuration/defaultScopeDepth`` applies (2 → `/api/pinning/`).
public struct InvalidationRule: Sendable, Hashable {
    /// Rule applies to written paths starting with this string.
    public var pathPrefix: String
    /// The scope invalidated by such a write.
    public var scope: InvalidationScope

    /// - Parameters:
    ///   - pathPrefix: Written paths starting with this string use this rule.
    ///   - scope: What they invalidate.
    public init(pathPrefix: String, scope: InvalidationScope) {
        self.pathPrefix = pathPrefix
        self.scope = scope
    }
}
