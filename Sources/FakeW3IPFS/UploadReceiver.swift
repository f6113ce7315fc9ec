import Vault

/// Streams an upload's multipart body: hashes and counts the `file` part as it passes, buffers only
/// the small `metadata` part, and skips any other part's content.
///
/// It never stops reading early: after the first problem it keeps accepting (and ignoring) chunks,
/// so the whole body is still read, hashed and recorded, and reports the problem from ``finish()``.
struct UploadReceiver {
    /// What a well-formed upload carried.
    struct Upload: Sendable {
        /// Bytes in the `file` part.
        let fileByteCount: Int
        /// SHA-256 of the `file` part.
        let fileSHA256: [UInt8]
        /// `filename` of the `file` part, if given.
        let filename: String?
        /// `Content-Type` of the `file` part, if given.
        let contentType: String?
        /// The `metadata` part's raw JSON, if any.
        let metadataJSON: [UInt8]?
    }

    /// Largest `metadata` part accepted.
    static let maximumMetadataBytes = 64 * 1024

    private enum CurrentPart {
        case file
        case metadata
        case ignored
    }

    /// Taken out while a chunk is parsed, so the event handler may mutate `self`.
    private var parser: MultipartParser?
    private var current: CurrentPart?
    private var fileHasher: SHA256Hasher?
    private var fileByteCount = 0
    private var fileHead: MultipartPartHead?
    private var fileDigest: [UInt8]?
    private var metadata: [UInt8]?
    private var failure: PinningAPIError?

    /// Start receiving a body with this `Content-Type`.
    /// - Throws: ``PinningAPIError`` (400) when it is not `multipart/form-data` with a usable boundary.
    init(contentType: String?) throws(PinningAPIError) {
        do {
            self.parser = try MultipartParser(boundary: HeaderParameters.multipartBoundary(contentType: contentType))
        } catch {
            throw .badRequest("expected a multipart/form-data body with a boundary: \(error)")
        }
    }

    /// The `file` part's byte count and digest so far, once it has started (for the request log,
    /// even when the upload is refused afterwards).
    var fileProgress: (byteCount: Int, sha256: [UInt8]?)? {
        guard self.fileHead != nil else { return nil }
        return (self.fileByteCount, self.fileDigest)
    }

    /// Take the next chunk of the body.
    mutating func consume(_ chunk: UnsafeRawBufferPointer) {
        guard self.failure == nil, var parser = self.parser else { return }
        self.parser = nil
        defer { self.parser = parser }
        do {
            try parser.feed(chunk) { event in
                try self.handle(event)
            }
        } catch let error as PinningAPIError {
            self.failure = error
        } catch {
            self.failure = .badRequest("malformed multipart body: \(error)")
        }
    }

    /// Declare the end of the body.
    /// - Returns: The upload.
    /// - Throws: ``PinningAPIError`` (400) for a malformed body, a missing `file` part, or an over-long `metadata` part.
    func finish() throws(PinningAPIError) -> Upload {
        if let failure = self.failure { throw failure }
        do {
            try self.parser?.finish()
        } catch {
            throw .badRequest("malformed multipart body: \(error)")
        }
        guard let head = self.fileHead, let digest = self.fileDigest else {
            throw .badRequest("the multipart field \"file\" is required")
        }
        return Upload(
            fileByteCount: self.fileByteCount,
            fileSHA256: digest,
            filename: head.filename,
            contentType: head.contentType,
            metadataJSON: self.metadata
        )
    }

    private mutating func handle(_ event: MultipartParser.Event) throws(PinningAPIError) {
        switch event {
        case .partBegin(let head):
            switch head.name {
            case "file":
                guard self.fileHead == nil else { throw .badRequest("only one \"file\" part is allowed") }
                self.fileHead = head
                self.fileHasher = SHA256Hasher()
                self.current = .file
            case "metadata":
                guard self.metadata == nil else { throw .badRequest("only one \"metadata\" part is allowed") }
                self.metadata = []
                self.current = .metadata
            default:
                self.current = .ignored
            }
        case .partData(let bytes):
            switch self.current {
            case .file:
                self.fileHasher?.update(bytes)
                self.fileByteCount += bytes.count
            case .metadata:
                guard (self.metadata?.count ?? 0) + bytes.count <= Self.maximumMetadataBytes else {
                    throw .badRequest("metadata is larger than \(Self.maximumMetadataBytes) bytes")
                }
                self.metadata?.append(contentsOf: bytes)
            case .ignored, nil:
                break
            }
        case .partEnd:
            if case .file = self.current {
                self.fileDigest = self.fileHasher?.finalize()
                self.fileHasher = nil
            }
            self.current = nil
        }
    }
}
