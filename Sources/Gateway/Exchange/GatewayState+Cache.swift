import GatewayCache
import HTTPTypes
import NIOCore

extension GatewayState {
    /// Stores a complete upstream answer (or a stored one freshened by a `304`) with the head hits will write, then
    /// ends the fill's flight: its followers share the answer when it was stored and does not vary on request
    /// fields (a fill superseded by a write must not reach requests that came after it), else they go upstream.
    /// While shared state is configured but Redis is unreachable, other instances' invalidations cannot arrive: the
    /// entry is then fresh for `cache.ttl_pending` at most.
    @discardableResult
    func storeAnswer(
        _ cache: ResponseCache, target: String, profile: String, requestHeaders: HTTPFields, status: HTTPResponse.Status,
        fields: HTTPFields, body: ByteBuffer, token: FillToken, ticket: SingleFlight<FlightKey, FlightResult>.Ticket?,
        allocator: ByteBufferAllocator
    ) -> StoreResult {
        var answerFields = fields
        answerFields[.contentLength] = String(body.readableBytes)
        let fields = answerFields
        let head = HitHead(status: status, fields: fields, allocator: allocator)
        let result = cache.store(
            target: target, profile: profile, requestHeaders: requestHeaders, status: status, responseHeaders: fields,
            body: body, now: clock.now(), fill: token, attachment: head,
            maxLifetime: shared.flatMap { $0.isAvailable ? nil : cache.configuration.pendingTTL }
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

    /// ``storeAnswer(_:target:profile:requestHeaders:status:fields:body:token:ticket:allocator:)`` with shared state:
    /// the answer is stored only when the write scope's generation has not moved since the fill began (another
    /// instance's write in between moves it, or Redis could not tell). The future completes on `atStart`'s loop.
    func storeAnswer(
        _ cache: ResponseCache, target: String, profile: String, requestHeaders: HTTPFields, status: HTTPResponse.Status,
        fields: HTTPFields, body: ByteBuffer, token: FillToken, ticket: SingleFlight<FlightKey, FlightResult>.Ticket?,
        allocator: ByteBufferAllocator, generation: (scope: String, atStart: EventLoopFuture<Int64?>)
    ) -> EventLoopFuture<StoreResult> {
        guard let shared else {
            let result = storeAnswer(
                cache, target: target, profile: profile, requestHeaders: requestHeaders, status: status, fields: fields,
                body: body, token: token, ticket: ticket, allocator: allocator
            )
            return generation.atStart.eventLoop.makeSucceededFuture(result)
        }
        let atEnd = shared.generation(ofScope: generation.scope, on: generation.atStart.eventLoop)
        return generation.atStart.and(atEnd).map { start, end in
            guard let start, start == end else {
                if let ticket { self.flights.complete(ticket, with: .goUpstream) }
                return .notStored(.superseded)
            }
            return self.storeAnswer(
                cache, target: target, profile: profile, requestHeaders: requestHeaders, status: status, fields: fields,
                body: body, token: token, ticket: ticket, allocator: allocator
            )
        }
    }
}
