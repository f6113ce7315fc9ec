/// Proof of when a cache fill started, taken by ``ResponseCache/beginFill(target:now:)`` before the
/// upstream request. ``ResponseCache/store(target:profile:requestHeaders:status:responseHeaders:body:now:fill:attachment:)``
/// refuses the fill if an invalidation or purge touching the target happened since, so a response
/// fetched before a write can never be stored after that write's invalidation.
public struct FillToken: Sendable, Hashable {
    /// Invalidation epoch at the start of the fill.
    let epoch: UInt64
    /// The target being filled.
    let target: String
    /// Monotonic time the request went upstream (RFC 9111 §4.2.3 `request_time`), when known: the response delay
    /// counts toward the stored response's age.
    let startedAt: Duration?
}
