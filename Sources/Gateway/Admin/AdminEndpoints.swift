import GatewayCache
import NIOCore
import NIOHTTP1
import PingateCore

/// pingate's own endpoints, under a prefix no upstream path uses: `/_pingate/…`. Answered by the same pipeline
/// as every proxied request.
///
/// - `GET /_pingate/healthz`: the process is alive.
/// - `GET /_pingate/readyz`: vault unlocked, listener up, upstream answered recently (503 otherwise).
/// - `GET /_pingate/metrics`: Prometheus text format.
/// - `GET /_pingate/cache`: cache statistics; `POST /_pingate/cache/purge[?prefix=/path]`: drop entries.
enum AdminEndpoints {
    /// The admin prefix.
    static let prefix = "/_pingate/"

    /// An answer: status, content type and body (never cached by clients).
    struct Answer: Sendable {
        let status: HTTPResponseStatus
        let contentType: String
        let body: ByteBuffer
        var headers: [(String, String)] = []

        static func json(_ status: HTTPResponseStatus, _ text: String) -> Answer {
            Answer(status: status, contentType: "application/json", body: ByteBuffer(string: text))
        }

        static func error(_ error: GatewayErrorResponse) -> Answer {
            Answer(status: error.status, contentType: "application/json", body: error.body, headers: error.headers)
        }
    }

    /// True when `target` is an admin path.
    static func owns(_ target: String) -> Bool {
        target.hasPrefix(prefix) || target == "/_pingate"
    }

    /// The answer to `method target`.
    static func answer(method: HTTPMethod, target: String, state: GatewayState, on eventLoop: any EventLoop) -> EventLoopFuture<Answer> {
        let (path, query) = split(target)
        switch (method, path) {
        case (.GET, "/_pingate/healthz"), (.HEAD, "/_pingate/healthz"):
            return eventLoop.makeSucceededFuture(.json(.ok, #"{"status":"ok"}"#))
        case (.GET, "/_pingate/readyz"), (.HEAD, "/_pingate/readyz"):
            return state.readiness.check(on: eventLoop).map { report in
                .json(report.ready ? .ok : .serviceUnavailable, report.json)
            }
        case (.GET, "/_pingate/metrics"):
            let body = state.metrics.render(cache: state.cache?.statistics)
            return eventLoop.makeSucceededFuture(Answer(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: body))
        case (.GET, "/_pingate/cache"):
            return eventLoop.makeSucceededFuture(.json(.ok, cacheStatistics(state.cache)))
        case (.POST, "/_pingate/cache/purge"):
            let prefix = queryValue("prefix", in: query)
            let removed = state.cache?.purge(prefix: prefix) ?? 0
            if prefix == nil { state.shared?.publish(nil) }
            var json = JSONWriter()
            json.beginObject()
            json.member("prefix", prefix)
            json.member("purged", removed)
            json.member("status", "ok")
            json.endObject()
            return eventLoop.makeSucceededFuture(.json(.ok, json.text))
        case (_, "/_pingate/healthz"), (_, "/_pingate/readyz"), (_, "/_pingate/metrics"), (_, "/_pingate/cache"), (_, "/_pingate/cache/purge"):
            let error = GatewayErrorResponse(.methodNotAllowed, code: "method_not_allowed", message: "\(method.rawValue) is not allowed on \(path)")
            return eventLoop.makeSucceededFuture(.error(error))
        default:
            return eventLoop.makeSucceededFuture(.error(GatewayErrorResponse(.notFound, code: "not_found", message: "no admin endpoint \(path)")))
        }
    }

    private static func cacheStatistics(_ cache: ResponseCache?) -> String {
        var json = JSONWriter()
        json.beginObject()
        guard let cache else {
            json.member("enabled", false)
            json.endObject()
            return json.text
        }
        let stats = cache.statistics
        json.member("bytes", stats.bytes)
        json.member("enabled", true)
        json.member("entries", stats.entries)
        json.member("evictions", stats.evictions)
        json.member("hits", stats.hits)
        json.member("invalidations", stats.invalidations)
        json.member("max_bytes", cache.configuration.maxBytes)
        json.member("max_object_bytes", cache.configuration.maxObjectBytes)
        json.member("misses", stats.misses)
        json.member("stores", stats.stores)
        json.endObject()
        return json.text
    }

    /// Path and query of a target.
    static func split(_ target: String) -> (path: String, query: Substring?) {
        guard let question = target.firstIndex(of: "?") else { return (target, nil) }
        return (String(target[..<question]), target[target.index(after: question)...])
    }

    /// The percent-decoded value of the first `name=value` pair of a query.
    static func queryValue(_ name: String, in query: Substring?) -> String? {
        guard let query else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.first.map(String.init) == name else { continue }
            return parts.count > 1 ? percentDecoded(parts[1]) : ""
        }
        return nil
    }

    private static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
                      let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
