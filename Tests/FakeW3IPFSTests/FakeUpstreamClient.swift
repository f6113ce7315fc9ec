import AsyncHTTPClient
import FakeW3IPFS
import Foundation
import NIOCore
import NIOHTTP1

/// What came back from the fake, with the body read and JSON decoded when it is JSON.
struct Answer {
    let status: Int
    let headers: HTTPHeaders
    let body: [UInt8]

    /// Top-level JSON object, or an empty one.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(self.body))) as? [String: Any] ?? [:]
    }

    /// `json["data"]` as an object.
    var data: [String: Any] { self.json["data"] as? [String: Any] ?? [:] }
}

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
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: self.baseURL + pathAndQuery)
        request.method = method
        if let apiKey { request.headers.add(name: "pinning_api_key", value: apiKey) }
        if let secretKey { request.headers.add(name: "pinning_secret_key", value: secretKey) }
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        if let body { request.body = body }
        let response = try await self.client.execute(request, timeout: .seconds(120))
        let bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return Answer(status: Int(response.status.code), headers: response.headers, body: Array(bytes.readableBytesView))
    }

    func sendJSON(_ method: HTTPMethod, _ path: String, json: String) async throws -> Answer {
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
