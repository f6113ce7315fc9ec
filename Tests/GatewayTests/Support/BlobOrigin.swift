import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle

/// A second test origin beside the fake w3ipfs API: `GET /blob/<bytes>` streams that many deterministic bytes
/// (``GeneratedUpload/chunk(_:length:)``), generated as they are sent, over plain http or TLS.
struct BlobOrigin: Sendable {
    let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, Never>

    /// Starts listening on 127.0.0.1, port 0.
    static func start(tls: TLSConfiguration?) async throws -> BlobOrigin {
        let router = Router()
        router.get("/blob/:size") { _, context -> Response in
            let size = try context.parameters.require("size", as: Int.self)
            return Response(status: .ok, headers: [.contentType: "application/octet-stream", .contentLength: String(size)], body: ResponseBody { writer in
                var offset = 0
                var index = 0
                while offset < size {
                    let length = min(GeneratedUpload.chunkSize, size - offset)
                    try await writer.write(ByteBuffer(bytes: GeneratedUpload.chunk(index, length: length)))
                    offset += length
                    index += 1
                }
                try await writer.finish(nil)
            })
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let logger = Logger(label: "blob-origin") { _ in SwiftLogNoOpLogHandler() }
        let application = Application(
            router: router,
            server: try tls.map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1(),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [application], gracefulShutdownSignals: [], logger: logger))
        let task = Task { do { try await group.run() } catch {} }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw HarnessError("blob origin did not start") }
        return BlobOrigin(port: port, group: group, task: task)
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        await task.value
    }
}
