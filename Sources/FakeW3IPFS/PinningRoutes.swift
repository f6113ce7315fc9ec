import HTTPTypes
import Hummingbird
import NIOCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The w3ipfs pinning endpoints, served from a ``FakeW3IPFSState``.
///
/// - `POST   /api/pinning/`              multipart upload → 201, status `pinned`
/// - `POST   /api/pinning/pinByHash`     JSON `{"hash_to_pin", "metadata"}` → 200, status `queued`
/// - `GET    /api/pinning/pins/`         list with `offset`, `limit`, `pinned`, `sortBy`, `sortOrder`
/// - `GET    /api/pinning/:pinId`        one pin, or 404
/// - `DELETE /api/pinning/unpin/:pinId`  unpin → 200 (`pinned` false, `date_unpinned` set), or 404
///
/// Unpinning keeps the pin: a later GET answers 200 with `pinned: false`, `status: "unpinned"`,
/// and it is listed under `pinned=false`. Another method on a known path is a 405 with `Allow`;
/// HEAD is served wherever GET is.
struct PinningRoutes: Sendable {
    let state: FakeW3IPFSState

    /// Largest JSON body accepted by `pinByHash`.
    static let maximumJSONBodyBytes = 64 * 1024

    /// Methods answered with 405 where a path does not serve them.
    private static let knownMethods: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options]

    /// Build the router: the recording middleware first, then the endpoints and their 405s.
    func makeRouter() -> Router<FakeRequestContext> {
        let router = Router(context: FakeRequestContext.self, options: [.autoGenerateHeadEndpoints])
        router.add(middleware: RecordingMiddleware(state: self.state))
        Self.serve("/api/pinning", [.post: self.upload], on: router)
        Self.serve("/api/pinning/pinByHash", [.post: self.pinByHash], on: router)
        Self.serve("/api/pinning/pins", [.get: self.list], on: router)
        Self.serve("/api/pinning/:pinId", [.get: self.get], on: router)
        Self.serve("/api/pinning/unpin/:pinId", [.delete: self.unpin], on: router)
        return router
    }

    private typealias Handler = @Sendable (Request, FakeRequestContext) async throws -> Response

    /// Route `handlers` on `path`, and a 405 for every other known method.
    private static func serve(
        _ path: RouterPath,
        _ handlers: [HTTPRequest.Method: Handler],
        on router: Router<FakeRequestContext>
    ) {
        var allowed = Array(handlers.keys)
        if handlers[.get] != nil { allowed.append(.head) }  // generated from GET by the router
        allowed.sort { $0.rawValue < $1.rawValue }
        for (method, handler) in handlers {
            router.on(path, method: method, use: handler)
        }
        for method in Self.knownMethods where !allowed.contains(method) {
            router.on(path, method: method) { [allowed] request, _ -> Response in
                throw PinningAPIError.methodNotAllowed(request.method, allowed: allowed)
            }
        }
    }

    // MARK: - Handlers

    @Sendable func upload(_ request: Request, context: FakeRequestContext) async throws -> Response {
        var receiver = try UploadReceiver(contentType: request.headers[.contentType])
        defer {
            // also when the body breaks off: the log shows how much of the file arrived
            if let progress = receiver.fileProgress {
                context.exchange?.noteFile(byteCount: progress.byteCount, sha256: progress.sha256.map(Digest.hex))
            }
        }
        for try await buffer in request.body {
            buffer.withUnsafeReadableBytes { receiver.consume($0) }
        }
        let upload = try receiver.finish()
        var metadata = PinMetadata()
        if let json = upload.metadataJSON {
            metadata = try PinMetadata.parse(json: json)
        }
        metadata.name = metadata.name ?? upload.filename ?? "file"
        metadata.type = upload.contentType ?? "application/octet-stream"
        let pin = self.state.createPin(
            isPinByHash: false,
            cid: nil,
            contentSHA256: upload.fileSHA256,
            size: upload.fileByteCount,
            status: PinStatus.pinned,
            metadata: metadata
        )
        return .json(status: .created, SuccessEnvelope(data: PinPayload(pin: pin, userID: self.state.userID, includesSize: false)))
    }

    @Sendable func pinByHash(_ request: Request, context: FakeRequestContext) async throws -> Response {
        // read it all, even past the limit, so the log always has the whole body
        var body: [UInt8] = []
        var tooLarge = false
        for try await buffer in request.body {
            if body.count + buffer.readableBytes > Self.maximumJSONBodyBytes {
                tooLarge = true
            } else {
                body.append(contentsOf: buffer.readableBytesView)
            }
        }
        guard !tooLarge else {
            throw PinningAPIError(status: .contentTooLarge, message: "JSON body is larger than \(Self.maximumJSONBodyBytes) bytes")
        }
        let parsed: PinByHashBody
        do {
            parsed = try JSONDecoder().decode(PinByHashBody.self, from: Data(body))
        } catch {
            throw PinningAPIError.badRequest("expected a JSON body {\"hash_to_pin\": CID, \"metadata\": {...}}")
        }
        let cid = parsed.hashToPin.trimmingSpaces()
        let isAlphanumeric: (UInt8) -> Bool = { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
        guard !cid.isEmpty, cid.utf8.allSatisfy(isAlphanumeric) else {
            throw PinningAPIError.badRequest("hash_to_pin must be a CID")
        }
        let metadata = PinMetadata(name: parsed.metadata?.name ?? cid, keyvalues: parsed.metadata?.keyvalues)
        let pin = self.state.createPin(
            isPinByHash: true,
            cid: cid,
            contentSHA256: nil,
            size: 0,
            status: PinStatus.queued,
            metadata: metadata
        )
        return .json(status: .ok, SuccessEnvelope(data: PinPayload(pin: pin, userID: self.state.userID, includesSize: false)))
    }

    @Sendable func get(_ request: Request, context: FakeRequestContext) async throws -> Response {
        let id = context.parameters.get("pinId") ?? ""
        guard let pin = self.state.pin(id: id) else { throw PinningAPIError.pinNotFound(id) }
        return .json(status: .ok, SuccessEnvelope(data: PinPayload(pin: pin, userID: self.state.userID, includesSize: true)))
    }

    @Sendable func unpin(_ request: Request, context: FakeRequestContext) async throws -> Response {
        let id = context.parameters.get("pinId") ?? ""
        guard let pin = self.state.unpin(id: id) else { throw PinningAPIError.pinNotFound(id) }
        return .json(status: .ok, SuccessEnvelope(data: PinPayload(pin: pin, userID: self.state.userID, includesSize: true)))
    }

    @Sendable func list(_ request: Request, context: FakeRequestContext) async throws -> Response {
        let parameters = request.uri.queryParameters
        let query = try PinListQuery { name in parameters[Substring(name)].map(String.init) }
        let result = self.state.list(query)
        let payload = PinListPayload(
            totals: .init(files: result.files, size: result.size),
            pins: result.page.map { PinPayload(pin: $0, userID: self.state.userID, includesSize: true) }
        )
        return .json(status: .ok, SuccessEnvelope(data: payload))
    }
}
