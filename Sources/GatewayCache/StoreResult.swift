/// Result of ``ResponseCache/store(target:profile:requestHeaders:status:responseHeaders:body:now:fill:attachment:)``.
public enum StoreResult: Sendable, Hashable {
    case stored
    case notStored(NotStoredReason)

    /// `true` for ``stored``: add `; stored` to `Cache-Status`.
    public var isStored: Bool { self == .stored }
}
