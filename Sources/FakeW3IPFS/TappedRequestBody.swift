import Hummingbird
import NIOCore

/// A request body that reports every buffer to an ``ExchangeTap`` on its way to the handler.
struct TappedRequestBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let base: RequestBody
    let tap: ExchangeTap

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: RequestBody.AsyncIterator
        let tap: ExchangeTap
        var started = false

        mutating func next() async throws -> ByteBuffer? {
            if !self.started {
                self.started = true
                self.tap.didStart()
            }
            do {
                guard let buffer = try await self.base.next() else {
                    self.tap.didFinish()
                    return nil
                }
                self.tap.absorb(buffer)
                return buffer
            } catch {
                self.tap.didFail()
                throw error
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.base.makeAsyncIterator(), tap: self.tap)
    }
}
