import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

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
    public var body: ByteBuffer {
        var object = details
        object["status"] = "error"
        object["error"] = code
        object["message"] = message
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{\"status\":\"error\"}".utf8)
        return ByteBuffer(bytes: data)
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

    // MARK: - Common errors

    /// The upstream refused or reset the connection, or answered something that is not HTTP.
    public static func badGateway(_ reason: String) -> Self {
        Self(.badGateway, code: "upstream_unavailable", message: reason)
    }

    /// The upstream did not answer in time.
    public static func gatewayTimeout(_ reason: String) -> Self {
        Self(.gatewayTimeout, code: "upstream_timeout", message: reason)
    }
}
