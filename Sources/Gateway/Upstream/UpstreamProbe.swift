import NIOCore
import NIOHTTP1

/// `HEAD /` through the upstream pool: true as soon as any answer head arrives, false on any failure or after
/// `timeout`.
final class UpstreamProbe: UpstreamConnectionDelegate {
    private let promise: EventLoopPromise<Bool>
    private let pool: UpstreamConnectionPool
    private var connection: UpstreamConnection?
    private var answered = false

    private init(promise: EventLoopPromise<Bool>, pool: UpstreamConnectionPool) {
        self.promise = promise
        self.pool = pool
    }

    /// Probes `endpoint` from `eventLoop`.
    static func probe(_ endpoint: UpstreamEndpoint, pool: UpstreamConnectionPool, on eventLoop: any EventLoop, timeout: TimeAmount) -> EventLoopFuture<Bool> {
        let promise = eventLoop.makePromise(of: Bool.self)
        let probe = NIOLoopBound(UpstreamProbe(promise: promise, pool: pool), eventLoop: eventLoop)
        eventLoop.assumeIsolated().scheduleTask(in: timeout) { probe.value.finish(false) }
        pool.acquire(endpoint, on: eventLoop, fresh: false, waitUntil: eventLoop.now + timeout).assumeIsolated().whenComplete { result in
            let probe = probe.value
            switch result {
            case .failure:
                probe.finish(false)
            case .success(let lease):
                guard !probe.answered else {
                    probe.pool.release(lease.connection, reusable: true)
                    return
                }
                probe.connection = lease.connection
                lease.connection.handler.delegate = probe
                var headers = HTTPHeaders()
                headers.add(name: "Host", value: endpoint.hostHeader)
                lease.connection.write(.head(HTTPRequestHead(version: .http1_1, method: .HEAD, uri: endpoint.basePath + "/", headers: headers)))
                lease.connection.write(.end(nil))
                lease.connection.flush()
            }
        }
        return promise.futureResult
    }

    private func finish(_ reachable: Bool) {
        guard !answered else { return }
        answered = true
        promise.succeed(reachable)
        if !reachable, let connection {
            self.connection = nil
            pool.release(connection, reusable: false)
        }
    }

    func upstreamRead(_ part: UpstreamResponsePart) {
        switch part {
        case .head:
            finish(true)
        case .body:
            break
        case .end:
            if let connection {
                self.connection = nil
                pool.release(connection, reusable: true)
            }
        }
    }

    func upstreamReadComplete() {}
    func upstreamWritabilityChanged(_ writable: Bool) {}

    func upstreamFailed(_ failure: UpstreamFailure) {
        connection = nil
        finish(false)
    }
}
