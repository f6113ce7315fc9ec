import GatewayCache
import HTTPTypes
import NIOCore
import NIOHTTP1

/// What the event-loop fast path answers by itself: fresh cache hits for GET and HEAD.
///
/// Refusals (framing, Host, Origin, tokens) happen earlier, in the request guard.
struct GatewayFastPath: Sendable {
    let state: GatewayState

    /// A fast answer: head, and body for GET.
    struct Answer {
        var head: HTTPResponseHead
        var body: ByteBuffer?
    }

    /// The answer for a fresh hit, or nil to pass the request to the async path.
    func answer(_ head: HTTPRequestHead, peer: SocketAddress?) -> Answer? {
        // With per-client limits, hits count against the client's budget; that (and its 429) is the async path's job.
        guard let cache = state.cache, !state.hasClientLimit, head.method == .GET || head.method == .HEAD else { return nil }
        let target = head.uri
        guard target.utf8.first == UInt8(ascii: "/"), !AdminResponder.owns(target),
              !head.headers.contains(name: "cache-control"), !head.headers.contains(name: "pragma")
        else { return nil }
        let route = state.routes.resolve(target).route
        guard route.cacheEnabled else { return nil }
        let headers = head.headers
        guard let (entry, age) = cache.freshEntry(target: target, profile: route.name, now: state.clock.now(), headerValue: { name in
            let values = headers[name.canonicalName]
            return values.isEmpty ? nil : values.joined(separator: ", ")
        }) else { return nil }

        var fields = HTTPHeaders()
        fields.reserveCapacity(entry.headers.count + 5)
        for field in entry.headers { fields.add(name: field.name.rawName, value: field.value) }
        fields.add(name: "Age", value: String(age))
        fields.add(name: "Cache-Status", value: Self.hitStatus)
        let requestID = RequestIdentifier.resolve(headers.first(name: "x-request-id"))
        fields.add(name: "X-Request-Id", value: requestID)
        // A stored answer keeps the upstream's Date (its age is in Age); one without gets ours.
        if entry.headers[.date] == nil { fields.add(name: "Date", value: state.dates.current) }
        state.metrics.request(route: route.name, method: head.method.rawValue, status: entry.status.code)
        if let accessLog = state.accessLog {
            let client = ClientIdentity.resolve(declared: headers.first(name: "x-pingate-client"), peer: peer, peerUID: nil)
            accessLog.recordFast(
                client: client, method: head.method.rawValue, target: target, status: entry.status.code,
                bytesOut: entry.body.readableBytes, cacheStatus: Self.hitStatus, requestID: requestID,
                wallClock: state.clock.wallClockSeconds()
            )
        }
        let status = HTTPResponseStatus(statusCode: entry.status.code, reasonPhrase: entry.status.reasonPhrase)
        return Answer(
            head: HTTPResponseHead(version: head.version, status: status, headers: fields),
            body: head.method == .HEAD ? nil : entry.body
        )
    }

    static let hitStatus = CacheStatus.hit.description
}
