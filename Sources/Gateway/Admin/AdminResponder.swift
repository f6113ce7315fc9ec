import Foundation
import GatewayCache
import HTTPTypes
import Hummingbird
import NIOCore

/// pingate's own endpoints, under a prefix no upstream path uses: `/_pingate/…`.
///
/// - `GET /_pingate/healthz`: the process is alive.
/// - `GET /_pingate/readyz`: vault unlocked, listener up, upstream answered recently (503 otherwise).
/// - `GET /_pingate/metrics`: Prometheus text format.
/// - `GET /_pingate/cache`: cache statistics; `POST /_pingate/cache/purge[?prefix=/path]`: drop entries.
struct AdminResponder: Sendable {
    /// The admin prefix.
    static let prefix = "/_pingate/"

    let state: GatewayState

    /// True when `target` is an admin path.
    static func owns(_ target: String) -> Bool {
        target.hasPrefix(prefix) || target == "/_pingate"
    }

    func respond(to request: Request, target: String) async -> Response {
        let path = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? target
        let response: Response
        switch (request.method, path) {
        case (.get, "/_pingate/healthz"), (.head, "/_pingate/healthz"):
            response = Self.json(.ok, ["status": "ok"])
        case (.get, "/_pingate/readyz"), (.head, "/_pingate/readyz"):
            let report = await state.readiness.check()
            response = Self.json(report.ready ? .ok : .serviceUnavailable, report.json)
        case (.get, "/_pingate/metrics"):
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            headers[.cacheControl] = "no-store"
            let body = state.metrics.render(cache: state.cache?.statistics)
            headers[.contentLength] = String(body.readableBytes)
            response = Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
        case (.get, "/_pingate/cache"):
            response = cacheStatistics()
        case (.post, "/_pingate/cache/purge"):
            let prefix = request.uri.queryParameters.get("prefix")
            let removed = state.cache?.purge(prefix: prefix) ?? 0
            response = Self.json(.ok, ["status": "ok", "purged": removed, "prefix": prefix ?? NSNull()])
        case (_, "/_pingate/healthz"), (_, "/_pingate/readyz"), (_, "/_pingate/metrics"), (_, "/_pingate/cache"), (_, "/_pingate/cache/purge"):
            response = GatewayErrorResponse(.methodNotAllowed, code: "method_not_allowed", message: "\(request.method) is not allowed on \(path)").response()
        default:
            response = GatewayErrorResponse(.notFound, code: "not_found", message: "no admin endpoint \(path)").response()
        }
        state.metrics.request(route: "admin", method: request.method.rawValue, status: response.status.code)
        return response
    }

    private func cacheStatistics() -> Response {
        guard let cache = state.cache else {
            return Self.json(.ok, ["enabled": false])
        }
        let stats = cache.statistics
        return Self.json(.ok, [
            "enabled": true, "entries": stats.entries, "bytes": stats.bytes, "hits": stats.hits, "misses": stats.misses,
            "evictions": stats.evictions, "stores": stats.stores, "invalidations": stats.invalidations,
            "max_bytes": cache.configuration.maxBytes, "max_object_bytes": cache.configuration.maxObjectBytes,
        ])
    }

    /// A small JSON response that is never cached by clients.
    static func json(_ status: HTTPResponse.Status, _ object: [String: Any]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        headers[.contentLength] = String(data.count)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
