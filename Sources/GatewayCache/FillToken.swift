/// Proof of when a cache fill started, taken by ``ResponseCache/beginFill(target:)`` before the
/// upstream request. ``ResponseCache/store(target:profile:requestHeaders:status:responseHeaders:body:now:fill:)``
/// refuses the fill if an invalidation or purge touching the target happened since, so a response
/// fetched before a write can never be stored after that write's invalidation.
public struct FillToken: Sendable, Hashable {
    /// Invalidation epoch at the start of the fill.
    let epoch: UInt64
    /// The target being filled.
    let target: String
}
