import AsyncHTTPClient
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

/// Sends one request upstream with the vault's credentials and streams both bodies.
///
/// Nothing is buffered here: the client's body is handed to AsyncHTTPClient as a stream (its pulls are the
/// upload's backpressure) and the upstream's body is returned as an async sequence.
struct Forwarder: Sendable {
    /// Pooled upstream client (redirects disabled, timeouts from the configuration).
    let client: HTTPClient
    /// Where requests go.
    let upstream: UpstreamEndpoint
    /// Credentials injected into every request.
    let credentials: CredentialStore
    /// The route whose credentials are injected.
    let route: String

    /// The upstream's answer, head only; the body is still streaming.
    struct UpstreamAnswer: Sendable {
        let status: HTTPResponse.Status
        let headers: HTTPHeaders
        let body: HTTPClientResponse.Body
    }

    /// Forwards `request` to the upstream.
    /// - Parameters:
    ///   - request: the client's request (its body is consumed).
    ///   - target: path + query exactly as the client sent it.
    ///   - requestID: value of `X-Request-Id` sent upstream.
    /// - Throws: whatever AsyncHTTPClient throws; map it with `UpstreamFailure`.
    func send(_ request: Request, body: RequestBodyRelay, target: String, requestID: String, logger: Logger) async throws -> UpstreamAnswer {
        var outbound = HTTPClientRequest(url: upstream.url(forTarget: target))
        outbound.method = HTTPMethod(rawValue: request.method.rawValue)
        outbound.headers = HeaderPolicy.upstreamRequestHeaders(
            from: request.headers,
            credentials: credentials.credentials(forRoute: route),
            extra: [("X-Request-Id", requestID)]
        )
        if let length = request.headers[.contentLength].flatMap({ Int64($0) }) {
            if length > 0 { outbound.body = .stream(body, length: .known(length)) }
        } else if request.headers[.transferEncoding] != nil {
            outbound.body = .stream(body, length: .unknown)
        }
        let response = try await client.execute(outbound, deadline: .distantFuture, logger: logger)
        return UpstreamAnswer(
            status: HTTPResponse.Status(code: Int(response.status.code), reasonPhrase: response.status.reasonPhrase),
            headers: response.headers,
            body: response.body
        )
    }
}
