import AsyncHTTPClient
import NIOCore
import Vault

/// A multipart upload generated on the fly in fixed-size chunks (never held whole in memory); its file bytes come
/// from ``SplitMix64``, so the same upload is the same bytes on every run.
///
/// With `nearDelimiters`, every chunk of file content ends with the start of the delimiter (`CRLF--` + part of
/// the boundary), so a multipart parser meets near-delimiters exactly at the transport's chunk edges.
public struct GeneratedUpload: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer

    /// Chunk size of ``init(size:)`` uploads and of ``chunk(_:length:seed:)``.
    public static let chunkSize = 64 * 1024

    /// The multipart boundary.
    public let boundary = "pingate-generated-7f3a9c"
    /// Bytes of file content.
    public let fileSize: Int
    /// Bytes of file content per chunk.
    public let chunkSize: Int
    /// Seed of the content.
    public let seed: UInt64
    /// Whether each chunk ends with the start of the delimiter.
    public let nearDelimiters: Bool
    /// The `metadata` part sent before the file (none when nil).
    public var metadataJSON: String?
    /// The `file` part's filename.
    public var filename = "generated.bin"

    /// An upload whose chunks end in near-delimiters, with a metadata part.
    public init(fileSize: Int, chunkSize: Int, seed: UInt64) {
        self.fileSize = fileSize
        self.chunkSize = chunkSize
        self.seed = seed
        self.nearDelimiters = true
        self.metadataJSON = #"{"name":"generated.bin","keyvalues":{"origin":"test"}}"#
    }

    /// A plain upload of `size` file bytes in 64 KiB chunks: its file bytes are ``chunk(_:length:seed:)``'s stream.
    public init(size: Int) {
        self.fileSize = size
        self.chunkSize = Self.chunkSize
        self.seed = 0
        self.nearDelimiters = false
        self.metadataJSON = nil
    }

    /// `length` bytes of content for chunk `index` of the stream seeded with `seed`.
    public static func chunk(_ index: Int, length: Int, seed: UInt64 = 0) -> [UInt8] {
        var random = SplitMix64(seed: seed &+ UInt64(index))
        var bytes = [UInt8](repeating: 0, count: length)
        var offset = 0
        while offset < length {
            var word = random.next()
            for _ in 0..<8 where offset < length {
                bytes[offset] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                offset += 1
            }
        }
        return bytes
    }

    /// The multipart bytes before the file content.
    public var head: [UInt8] {
        var text = ""
        if let metadataJSON {
            text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n\(metadataJSON)\r\n"
        }
        text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\n"
        text += "Content-Type: application/octet-stream\r\n\r\n"
        return Array(text.utf8)
    }

    /// The multipart bytes after the file content.
    public var tail: [UInt8] { Array("\r\n--\(boundary)--\r\n".utf8) }

    /// The `Content-Type` value.
    public var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    /// Bytes of the whole body.
    public var totalLength: Int { head.count + fileSize + tail.count }

    /// Number of file chunks.
    public var chunkCount: Int { (fileSize + chunkSize - 1) / chunkSize }

    /// File bytes of chunk `index`.
    public func fileChunk(_ index: Int) -> [UInt8] {
        let size = Swift.min(chunkSize, fileSize - index * chunkSize)
        var bytes = Self.chunk(index, length: size, seed: seed)
        let nearDelimiter = Array("\r\n--\(boundary.prefix(5))".utf8)
        if nearDelimiters, size >= nearDelimiter.count {
            bytes.replaceSubrange((size - nearDelimiter.count)..<size, with: nearDelimiter)
        }
        return bytes
    }

    /// Hex SHA-256 of the file content and of the whole body.
    public func expectedDigests() -> (file: String, body: String) {
        var file = SHA256Hasher()
        var body = SHA256Hasher()
        body.update(head)
        for index in 0..<chunkCount {
            let chunk = fileChunk(index)
            file.update(chunk)
            body.update(chunk)
        }
        body.update(tail)
        return (SHA256Hasher.hex(file.finalize()), SHA256Hasher.hex(body.finalize()))
    }

    /// Hex SHA-256 of the file content.
    public var expectedSHA256: String { expectedDigests().file }

    /// The body as a streamed request body with a known length.
    public var requestBody: HTTPClientRequest.Body {
        .stream(self, length: .known(Int64(totalLength)))
    }

    /// Head, file chunks, tail.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let upload: GeneratedUpload
        var next = -1  // -1: head, 0..<chunkCount: file, chunkCount: tail

        public mutating func next() async throws -> ByteBuffer? {
            defer { next += 1 }
            switch next {
            case -1: return ByteBuffer(bytes: upload.head)
            case upload.chunkCount: return ByteBuffer(bytes: upload.tail)
            case let index where index < upload.chunkCount: return ByteBuffer(bytes: upload.fileChunk(index))
            default: return nil
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(upload: self) }
}

/// The start of an upload's body, then an error: the client gives up mid-stream.
public struct BreakingChunks: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    /// The error the body ends with.
    public struct GaveUp: Error {}

    let upload: GeneratedUpload
    let chunksBeforeFailure: Int

    /// - Parameters:
    ///   - upload: the upload whose start is sent.
    ///   - chunksBeforeFailure: buffers (head included) sent before the error.
    public init(upload: GeneratedUpload, chunksBeforeFailure: Int) {
        self.upload = upload
        self.chunksBeforeFailure = chunksBeforeFailure
    }

    /// The upload's buffers until the count runs out, then ``GaveUp``.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: GeneratedUpload.AsyncIterator
        var remaining: Int

        public mutating func next() async throws -> ByteBuffer? {
            guard remaining > 0 else { throw GaveUp() }
            remaining -= 1
            return try await base.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: upload.makeAsyncIterator(), remaining: chunksBeforeFailure)
    }
}
