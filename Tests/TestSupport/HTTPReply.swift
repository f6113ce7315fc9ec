import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A finished HTTP response with its whole body (≤ 16 MiB), read with AsyncHTTPClient.
public struct HTTPReply: Sendable {
    /// Status code.
    public let status: Int
    /// Response fields.
    public let headers: HTTPHeaders
    /// The whole body.
    public let body: ByteBuffer

    /// The body as UTF-8 text.
    public var text: String { String(buffer: body) }
    /// The body's top-level JSON object, nil when it is not one.
    public var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] }
    /// `json["data"]` as an object (the w3ipfs success envelope), or an empty one.
    public var data: [String: Any] { json?["data"] as? [String: Any] ?? [:] }

    /// Sends one request and collects the answer.
    /// - Parameters:
    ///   - method: the request method.
    ///   - url: the full URL.
    ///   - headers: request fields, in order.
    ///   - body: the request body, if any.
    ///   - client: the client (the shared one by default).
    ///   - timeout: bound for the whole exchange.
    public static func fetch(
        _ method: HTTPMethod = .GET, _ url: String, headers: [(String, String)] = [], body: HTTPClientRequest.Body? = nil,
        client: HTTPClient = .shared, timeout: Duration = .seconds(60)
    ) async throws -> HTTPReply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = body }
        let response = try await client.execute(request, timeout: .init(timeout))
        let collected = try await response.body.collect(upTo: 16 << 20)
        return HTTPReply(status: Int(response.status.code), headers: response.headers, body: collected)
    }
}
