import GatewayCache
import HTTPTypes
import NIOCore

extension GatewayState {
    /// Stores a complete upstream answer (or a stored one freshened by a `304`) with the head hits will write, then
    /// ends the fill's flight: its followers share the answer when it was stored and does not vary on request
    /// fields (a fill superseded by a write must not reach requests that came after it), else they go upstream.
    @discardableResult
    func storeAnswer(
        _ cache: ResponseCache, target: String, profile: String, requestHeaders: HTTPFields, status: HTTPResponse.Status,
        fields: HTTPFields, body: ByteBuffer, token: FillToken, ticket: SingleFlight<FlightKey, FlightResult>.Ticket?,
        allocator: ByteBufferAllocator
    ) -> StoreResult {
        var fields = fields
        fields[.contentLength] = String(body.readableBytes)
        let head = HitHead(status: status, fields: fields, allocator: allocator)
        let result = cache.store(
            target: target, profile: profile, requestHeaders: requestHeaders, status: status, responseHeaders: fields,
            body: body, now: clock.now(), fill: token, attachment: head
        )
        if let ticket {
            if result.isStored && fields[.vary] == nil {
                flights.complete(ticket, with: .shared(.response(status: status, headers: fields, body: body)))
            } else {
                flights.complete(ticket, with: .goUpstream)
            }
        }
        return result
    }
}
