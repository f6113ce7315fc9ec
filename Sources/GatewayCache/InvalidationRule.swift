/// Decides which cached paths a successful write invalidates (its "scope").
///
/// A write to a path matching `pathPrefix` invalidates every cached entry whose path lies under
/// the computed scope. When several rules match, the longest `pathPrefix` wins; when none does,
/// ``ResponseCache/Configuration/defaultScopeDepth`` applies (2 → `/api/pinning/`).
public struct InvalidationRule: Sendable, Hashable {
    /// How the scope is derived from the written path.
    public enum Scope: Sendable, Hashable {
        /// The first `n` path segments of the written path, e.g. `.depth(2)` turns
        /// `/api/pinning/unpin/42` into `/api/pinning/`. `.depth(0)` means "everything".
        case depth(Int)
        /// A fixed path prefix, e.g. `/api/pinning/`.
        case prefix(String)
    }

    /// Rule applies to written paths starting with this string.
    public var pathPrefix: String
    /// The scope invalidated by such a write.
    public var scope: Scope

    /// - Parameters:
    ///   - pathPrefix: Written paths starting with this string use this rule.
    ///   - scope: What they invalidate.
    public init(pathPrefix: String, scope: Scope) {
        self.pathPrefix = pathPrefix
        self.scope = scope
    }
}
