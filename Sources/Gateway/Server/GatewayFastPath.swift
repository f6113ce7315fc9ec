import GatewayCache
import HTTPTypes
import NIOCore
import Vault

/// The synchronous decisions made for every request head on the event loop: access refusals, and fresh
/// cache hits answered from memory. Everything else goes to `GatewayResponder`.
struct GatewayFastPath: FastPathDecider {
    let state: GatewayState

    func answer(_ head: HTTPRequest, peer: SocketAddress?) -> FastResponse? {
        if let refusal = state.configuration.access.check(head, tokenMatches: Self.tokenMatches) {
            return refuse(refusal, head: head, peer: peer)
        }
        // With per-client limits, hits count against the client's budget; that (and its 429) is the async path's job.
        guard let cache = state.cache, !state.hasClientLimit, head.method == .get || head.method == .head,
              let target = head.path, !AdminResponder.owns(target),
              head.headerFields[.cacheControl] == nil, head.headerFields[.pragma] == nil
        else { return nil }
        let route = state.routes.resolve(target).route
        guard route.cacheEnabled else { return nil }
        let now = state.clock.now()
        guard case .fresh(let entry, let age) = cache.lookup(
            target: target, profile: route.name, requestHeaders: head.headerFields, now: now, countsMiss: false
        ) else { return nil }
        let client = ClientIdentity.resolve(headers: head.headerFields, peer: peer, peerUID: nil)
        var fields = entry.responseHeaders(age: age, cacheStatus: .hit)
        let requestID = RequestIdentifier.resolve(head.headerFields[.xRequestID])
        fields[.xRequestID] = requestID
        fields[.date] = state.dates.current
        state.metrics.request(route: route.name, method: head.method.rawValue, status: entry.status.code)
        state.accessLog?.recordFast(
            client: client, method: head.method.rawValue, target: target, status: entry.status.code,
            bytesOut: entry.body.readableBytes, cacheStatus: CacheStatus.hit.description, requestID: requestID,
            wallClock: state.clock.wallClockSeconds()
        )
        return FastResponse(head: HTTPResponse(status: entry.status, headerFields: fields), body: head.method == .head ? nil : entry.body)
    }

    private func refuse(_ refusal: AccessPolicy.Refusal, head: HTTPRequest, peer: SocketAddress?) -> FastResponse {
        let error: GatewayErrorResponse
        switch refusal {
        case .missingHost:
            error = GatewayErrorResponse(.badRequest, code: "missing_host", message: "request has no Host header")
        case .hostNotAllowed:
            error = GatewayErrorResponse(.forbidden, code: "host_not_allowed", message: "Host is not a loopback name or a configured host (DNS-rebinding protection)")
        case .originNotAllowed:
            error = GatewayErrorResponse(.forbidden, code: "origin_not_allowed", message: "Origin is not on the allow-list (browser calls are opt-in)")
        case .missingToken:
            error = GatewayErrorResponse(.unauthorized, code: "access_token_required", message: "a valid X-Pingate-Token is required")
        }
        let body = error.body
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        fields[.contentLength] = String(body.readableBytes)
        fields[.cacheControl] = "no-store"
        fields[.connection] = "close"
        fields[.date] = state.dates.current
        state.metrics.request(route: "refused", method: head.method.rawValue, status: error.status.code)
        state.accessLog?.recordFast(
            client: ClientIdentity.resolve(headers: head.headerFields, peer: peer, peerUID: nil), method: head.method.rawValue,
            target: head.path ?? "", status: error.status.code, bytesOut: body.readableBytes, cacheStatus: nil,
            requestID: RequestIdentifier.resolve(head.headerFields[.xRequestID]), wallClock: state.clock.wallClockSeconds()
        )
        return FastResponse(head: HTTPResponse(status: error.status, headerFields: fields), body: body, close: true)
    }

    @Sendable static func tokenMatches(_ presented: String, _ tokens: [[UInt8]]) -> Bool {
        let bytes = Array(presented.utf8)
        var matched = false
        for token in tokens where constantTimeEquals(bytes, token) { matched = true }
        return matched
    }
}
