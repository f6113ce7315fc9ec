import NIOCore

/// Waits for a queued request's rate-limit slot, giving up early when the client hangs up.
enum SlotWaiter {
    /// Returns true at `deadline`, or false as soon as `channel` closes (the caller then frees its place).
    static func wait(for delay: Duration, unlessClosed channel: any Channel) async -> Bool {
        if delay <= .zero { return channel.isActive }
        let (events, continuation) = AsyncStream.makeStream(of: Bool.self)
        channel.closeFuture.whenComplete { _ in
            continuation.yield(false)
            continuation.finish()
        }
        let timer = Task {
            try? await Task.sleep(for: delay)
            continuation.yield(true)
            continuation.finish()
        }
        var iterator = events.makeAsyncIterator()
        let reachedSlot = await iterator.next() ?? false
        timer.cancel()
        return reachedSlot
    }
}
