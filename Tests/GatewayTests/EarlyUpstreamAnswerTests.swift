import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The upstream answers (or fails) while the client is still uploading: pingate must answer, drain the rest of
/// the body and keep serving. (A soak run once crashed here: the upstream client and Hummingbird's drain loop
/// both pulled the request body at once.)
@Suite("Early upstream answers during uploads", .timeLimit(.minutes(3)))
struct EarlyUpstreamAnswerTests {
    static let responses: [MisbehavingUpstream.Behaviour] = [
        .closeImmediately,
        .sendThenClose(Array("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)),
        .sendThenReset(Array("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial".utf8)),
    ]

    /// The answer each behaviour must produce: the upstream's close → 502, its 413 → 413, a truncated 200 → 502, or
    /// (when the gateway had already sent the 200's status line) a connection closed or reset mid-body.
    static let expected: [(status: Int, closeAllowed: Bool)] = [(502, false), (413, false), (502, true)]

    @Test("an upload cut short by the upstream gets an answer, and pingate keeps serving", arguments: 0..<3)
    func uploadWhileUpstreamAnswers(index: Int) async throws {
        let upstream = try await MisbehavingUpstream.start(Self.responses[index])
        try await GatewayHarness.run(upstreamURL: upstream.url) { h in
            for round in 0..<5 {
                let upload = GeneratedUpload(size: 8 << 20)
                do {
                    let reply = try await h.send(.POST, "/api/pinning/", headers: [("Content-Type", upload.contentType)],
                                                 body: .stream(upload, length: .known(Int64(upload.totalLength))))
                    #expect(reply.status == Self.expected[index].status, "round \(round)")
                    #expect(reply.headers["content-type"] == ["application/json"] || reply.status == 413, "round \(round)")
                } catch {
                    // Only a close after the status line is an acceptable end; anything else (a timeout) fails.
                    let closedMidAnswer = (error as? HTTPClientError) == .remoteConnectionClosed
                        || (error as? HTTPParserError) == .invalidEOFState || (error as? IOError)?.errnoCode == ECONNRESET
                        || [.ioOnClosedChannel, .outputClosed, .eof].contains(error as? ChannelError)
                    #expect(Self.expected[index].closeAllowed && closedMidAnswer, "round \(round): \(error)")
                }
                let health = try await h.send(.GET, "/_pingate/healthz")
                #expect(health.status == 200)
            }
        }
        await upstream.stop()
    }

    @Test("a stalled partial upload whose upstream fails gets its answer; pingate keeps serving", arguments: 0..<3)
    func stalledUploadWhileUpstreamFails(index: Int) async throws {
        let upstream = try await MisbehavingUpstream.start(Self.responses[index])
        try await GatewayHarness.run(upstreamURL: upstream.url) { h in
            do {
                let client = try await RawHTTPConnection.connect(port: h.proxyPort)
                try await client.send("POST /api/pinning/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\nContent-Length: 10000000\r\n\r\n")
                try await client.send([UInt8](repeating: 0x61, count: 200_000))
                // The client now stalls mid-body while the upstream has already failed.
                let reply = try await client.readResponse(timeout: .seconds(30))
                // An error answer, or (once the status line could not be sent) a closed connection; never silence.
                #expect(reply.map { $0.status >= 400 } ?? (client.sawEOF && !client.timedOut))
                await client.close()
                let health = try await h.send(.GET, "/_pingate/healthz")
                #expect(health.status == 200)
            }
        }
        await upstream.stop()
    }
}
