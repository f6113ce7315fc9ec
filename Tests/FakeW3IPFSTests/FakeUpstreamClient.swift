import AsyncHTTPClient
import FakeW3IPFS
import Foundation
import NIOCore
import NIOHTTP1

/// Talks to one running fake over real loopback sockets with AsyncHTTPClient.
struct FakeUpstreamClient {
    let baseURL: String
    var apiKey: String? = "test-api-key"
    var secretKey: String? = "test-secret-key"
    var client: HTTPClient = .shared

    static let apiKey = "test-api-key"
    static let secretKey = "test-secret-key"

    func send(
        _ method: HTTPMethod,
        _ pathAndQuery: String,
        headers extra: [(String, String)] = [],
        body: HTTPClientRequest.Body? = nil
    ) async throws -> HTTPReply {
        var headers: [(String, String)] = []
        if let apiKey { headers.append(("pinning_api_key", apiKey)) }
        if let secretKey { headers.append(("pinning_secret_key", secretKey)) }
        return try await HTTPReply.fetch(method, self.baseURL + pathAndQuery, headers: headers + extra, body: body, client: self.client, timeout: .seconds(120))
    }

    func sendJSON(_ method: HTTPMethod, _ path: String, json: String) async throws -> HTTPReply {
        try await self.send(method, path, headers: [("Content-Type", "application/json")],
                            body: .bytes(ByteBuffer(string: json)))
    }
}

/// Run `body` against a fresh fake on 127.0.0.1:0, stopping it afterwards.
func withFake(_ body: (RunningFakeW3IPFS, FakeUpstreamClient) async throws -> Void) async throws {
    let state = FakeW3IPFSState(apiKey: FakeUpstreamClient.apiKey, secretKey: FakeUpstreamClient.secretKey)
    let fake = try await FakeW3IPFSServer.start(state: state)
    do {
        try await body(fake, FakeUpstreamClient(baseURL: fake.baseURL))
    } catch {
        await fake.stop()
        throw error
    }
    await fake.stop()
}
