import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import GatewayLimits

/// A JSON error answered by pingate itself (not by the upstream).
///
/// Body: `{"status":"error","error":"<code>","message":"<one line>"}`. The message never contains a secret.
public struct GatewayErrorResponse: Error, Sendable, Equatable {
    /// HTTP status.
    public let status: HTTPResponse.Status
    /// Machine-readable code, e.g. `upstream_unreachable`.
    public let code: String
    /// One human line naming the cause.
    public let message: String
    /// Extra response headers (e.g. `Retry-After`).
    public var headers: HTTPFields
    /// Extra string members of the JSON body (e.g. `budget`, `client` on a 429).
    public var details: [String: String] = [:]

    /// Creates an error response.
    public init(_ status: HTTPResponse.Status, code: String, message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    /// The encoded JSON body.
    ///
    /// Written by hand (sorted keys, RFC 8259 escaping) rather than with `JSONSerialization`, which was the
    /// largest cost of a 429 answered on the event loop.
    public var body: ByteBuffer {
        var object = details
        object["status"] = "error"
        object["error"] = code
        object["message"] = message
        var json = "{"
        for (index, key) in object.keys.sorted().enumerated() {
            if index > 0 { json += "," }
            json += "\""
            AccessLog.appendEscaped(key, to: &json)
            json += "\":\""
            AccessLog.appendEscaped(object[key] ?? "", to: &json)
            json += "\""
        }
        json += "}"
        return ByteBuffer(string: json)
    }

    /// A Hummingbird response carrying this error.
    public func response() -> Response {
        let buffer = body
        var fields = headers
        fields[.contentType] = "application/json"
        fields[.contentLength] = String(buffer.readableBytes)
        fields[.cacheControl] = "no-store"
        return Response(status: status, headers: fields, body: .init(byteBuffer: buffer))
    }

    /// The same answer as NIOHTTP1 parts, for errors the event loop answers itself.
    /// - Parameter extra: fields appended after this error's own (e.g. `Cache-Status`, `X-Request-Id`).
    func nioParts(version: HTTPVersion, extra: [(String, String)]) -> (head: HTTPResponseHead, body: ByteBuffer) {
        let buffer = body
        var fields = HTTPHeaders()
        for field in headers { fields.add(name: field.name.rawName, value: field.value) }
        fields.replaceOrAdd(name: "Content-Type", value: "application/json")
        fields.replaceOrAdd(name: "Content-Length", value: String(buffer.readableBytes))
        fields.replaceOrAdd(name: "Cache-Control", value: "no-store")
        for (name, value) in extra { fields.add(name: name, value: value) }
        let status = HTTPResponseStatus(statusCode: self.status.code, reasonPhrase: self.status.reasonPhrase)
        return (HTTPResponseHead(version: version, status: status, headers: fields), buffer)
    }

    // MARK: - Common errors

    /// A 429 from one of pingate's budgets (or the upstream's pushback), naming the budget and the client.
    static func rateLimited(budget: String, client: String, retryAfter: Duration, info: LimitInfo?) -> Self {
        let seconds = RetryAfter.headerSeconds(for: retryAfter)
        var error = Self(
            .tooManyRequests, code: "rate_limited",
            message: budget == BudgetName.upstreamPushback
                ? "the upstream asked pingate to slow down; retry after \(seconds) s"
                : "over the \(budget) budget; retry after \(seconds) s"
        )
        error.details = ["budget": budget, "client": client]
        error.headers[.retryAfter] = String(seconds)
        if let info {
            for field in RateLimitHeaders.fields(for: info) {
                if let name = HTTPField.Name(field.name) { error.headers.append(HTTPField(name: name, value: field.value)) }
            }
        }
        return error
    }

    /// The upstream refused or reset the connection, or answered something that is not HTTP.
    public static func badGateway(_ reason: String) -> Self {
        Self(.badGateway, code: "upstream_unavailable", message: reason)
    }

    /// The upstream did not answer in time.
    public static func gatewayTimeout(_ reason: String) -> Self {
        Self(.gatewayTimeout, code: "upstream_timeout", message: reason)
    }
}
