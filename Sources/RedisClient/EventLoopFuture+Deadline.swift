import NIOCore

extension EventLoopFuture where Value: Sendable {
    /// This future's result, or ``RedisClientError/timeout`` at `deadline`, whichever comes first.
    func failingAfter(_ deadline: NIODeadline) -> EventLoopFuture<Value> {
        let promise = self.eventLoop.makePromise(of: Value.self)
        let timer = self.eventLoop.scheduleTask(deadline: deadline) {
            promise.fail(RedisClientError.timeout)
        }
        self.whenComplete { result in
            timer.cancel()
            promise.completeWith(result)
        }
        return promise.futureResult
    }
}
