import GatewayLimits
import NIOCore
import NIOHTTP1
import PingateCore

/// A JSON error answered by pingate itself (not by the upstream).
///
/// Body: `{"error":"<code>","message":"<one line>","status":"error"}` plus any ``details``, keys sorted. The message
/// never contains a secret.
public struct GatewayErrorResponse: Error, Sendable, Equatable {
    /// HTTP status.
    public let status: HTTPResponseStatus
    /// Machine-readable code, e.g. `upstream_unavailable`.
    public let code: String
    /// One human line naming the cause.
    public let message: String
    /// Extra response fields (e.g. `Retry-After`).
    public var headers: [(String, String)] = []
    /// Extra string members of the JSON body (e.g. `budget`, `client` on a 429).
    public var details: [String: String] = [:]

    /// Creates an error response.
    public init(_ status: HTTPResponseStatus, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.status == rhs.status && lhs.code == rhs.code && lhs.message == rhs.message && lhs.details == rhs.details
            && lhs.headers.elementsEqual(rhs.headers, by: ==)
    }

    /// The encoded JSON body.
    public var body: ByteBuffer {
        var object = details
        object["status"] = "error"
        object["error"] = code
        object["message"] = message
        var json = JSONWriter()
        json.beginObject()
        for key in object.keys.sorted() { json.member(key, object[key]) }
        json.endObject()
        return ByteBuffer(string: json.text)
    }

    // MARK: - Common errors

    /// A 429 from one of pingate's budgets (or the upstream's pushback), naming the budget and the client.
    static func rateLimited(budget: String, client: String, retryAfter: Duration, info: LimitInfo?) -> Self {
        let seconds = RetryAfter.headerSeconds(for: retryAfter)
        var error = Self(
            .tooManyRequests, code: "rate_limited",
            message: budget == BudgetName.upstreamPushback
                ? "the upstream asked pingate to slow down; retry after \(seconds) s"
                : budget == BudgetName.token
                ? "over the budget of \(client); retry after \(seconds) s"
                : "over the \(budget) budget; retry after \(seconds) s"
        )
        error.details = ["budget": budget, "client": client]
        error.headers.append(("Retry-After", String(seconds)))
        if let info {
            for field in RateLimitHeaders.fields(for: info) { error.headers.append((field.name, field.value)) }
        }
        return error
    }

    /// No client token, or one that is unknown, revoked or expired (401 with `WWW-Authenticate`).
    static func unauthorized(_ message: String) -> Self {
        var error = Self(.unauthorized, code: "unauthorized", message: message)
        error.headers.append(("WWW-Authenticate", #"Bearer realm="pingate""#))
        return error
    }

    /// A client token whose rules do not allow the request (403), naming the token and what was refused.
    static func forbidden(token: String, method: String, path: String) -> Self {
        var error = Self(.forbidden, code: "forbidden", message: "token '\(token)' may not \(method) \(path)")
        error.details = ["token": token]
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
