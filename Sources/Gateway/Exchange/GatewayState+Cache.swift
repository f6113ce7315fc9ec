import GatewayCache
import HTTPTypes
import NIOCore

extension GatewayState {
    /// Stores a complete upstream answer (or a stored one freshened by a `304`) with the head hits will write, then
    /// ends the fill's flight: its followers share the answer when it was stored and does not vary on request
    /// fields (a fill superseded by a write must not reach requests that came after it), else they go upstream.
    ///
    /// With shared state (`generation` given), the entry is stored once the write scope's generation is known not to
    /// have moved since the fill began (another instance's write in between does); the answer does not wait for that,
    /// and the result says what this instance alone knows.
    @discardableResult
    func storeAnswer(
        _ cache: ResponseCache, target: String, profile: String, requestHeaders: HTTPFields, status: HTTPResponse.Status,
        fields: HTTPFields, body: ByteBuffer, token: FillToken, ticket: SingleFlight<FlightKey, FlightResult>.Ticket?,
        allocator: ByteBufferAllocator, generation: (scope: String, atStart: EventLoopFuture<Int64?>)? = nil
    ) -> StoreResult {
        var answerFields = fields
        answerFields[.contentLength] = String(body.readableBytes)
        let fields = answerFields
        let head = HitHead(status: status, fields: fields, allocator: allocator)
        let clock = self.clock
        let store = { @Sendable in
            cache.store(
                target: target, profile: profile, requestHeaders: requestHeaders, status: status, responseHeaders: fields,
                body: body, now: clock.now(), fill: token, attachment: head
            )
        }
        let result: StoreResult
        if let generation, let shared {
            let atEnd = shared.generation(ofScope: generation.scope, on: generation.atStart.eventLoop)
            generation.atStart.and(atEnd).whenSuccess { start, end in
                if let start, start == end { _ = store() }
            }
            result = cache.isCurrent(token) ? .stored : .notStored(.superseded)
        } else {
            result = store()
        }
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
