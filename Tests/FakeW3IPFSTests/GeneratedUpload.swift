import AsyncHTTPClient
import NIOCore
import Vault

/// A multipart upload generated on the fly in fixed-size chunks (never held whole in memory).
///
/// Every chunk of file content ends with the start of the delimiter (`CRLF--` + part of the
/// boundary), so the fake's parser meets near-delimiters exactly at the transport's chunk edges.
struct GeneratedUpload: Sendable {
    let boundary = "pingate-generated-7f3a9c"
    let fileSize: Int
    let chunkSize: Int
    let seed: UInt64
    var metadataJSON: String? = #"{"name":"generated.bin","keyvalues":{"origin":"test"}}"#
    var filename = "generated.bin"

    var head: [UInt8] {
        var text = ""
        if let metadataJSON {
            text += "--\(self.boundary)\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n\(metadataJSON)\r\n"
        }
        text += "--\(self.boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(self.filename)\"\r\n"
        text += "Content-Type: application/octet-stream\r\n\r\n"
        return Array(text.utf8)
    }

    var tail: [UInt8] { Array("\r\n--\(self.boundary)--\r\n".utf8) }

    var contentType: String { "multipart/form-data; boundary=\(self.boundary)" }

    var totalLength: Int { self.head.count + self.fileSize + self.tail.count }

    private var chunkCount: Int { (self.fileSize + self.chunkSize - 1) / self.chunkSize }

    /// File bytes of chunk `index`.
    func fileChunk(_ index: Int) -> [UInt8] {
        let size = min(self.chunkSize, self.fileSize - index * self.chunkSize)
        var random = SplitMix64(seed: self.seed &+ UInt64(index))
        var bytes = [UInt8](repeating: 0, count: size)
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset + 8 <= size {
                raw.storeBytes(of: random.next(), toByteOffset: offset, as: UInt64.self)
                offset += 8
            }
        }
        let nearDelimiter = Array("\r\n--\(self.boundary.prefix(5))".utf8)
        if size >= nearDelimiter.count {
            bytes.replaceSubrange((size - nearDelimiter.count)..<size, with: nearDelimiter)
        }
        return bytes
    }

    /// Hex SHA-256 of the file content and of the whole body.
    func expectedDigests() -> (file: String, body: String) {
        var file = SHA256Hasher()
        var body = SHA256Hasher()
        body.update(self.head)
        for index in 0..<self.chunkCount {
            let chunk = self.fileChunk(index)
            file.update(chunk)
            body.update(chunk)
        }
        body.update(self.tail)
        return (SHA256Hasher.hex(file.finalize()), SHA256Hasher.hex(body.finalize()))
    }

    /// The body as a streamed request body with a known length.
    var requestBody: HTTPClientRequest.Body {
        .stream(Chunks(upload: self), length: .known(Int64(self.totalLength)))
    }

    struct Chunks: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let upload: GeneratedUpload

        struct AsyncIterator: AsyncIteratorProtocol {
            let upload: GeneratedUpload
            var next = -1  // -1: head, 0..<chunkCount: file, chunkCount: tail

            mutating func next() async throws -> ByteBuffer? {
                defer { self.next += 1 }
                switch self.next {
                case -1: return ByteBuffer(bytes: self.upload.head)
                case self.upload.chunkCount: return ByteBuffer(bytes: self.upload.tail)
                case let index where index < self.upload.chunkCount: return ByteBuffer(bytes: self.upload.fileChunk(index))
                default: return nil
                }
            }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(upload: self.upload) }
    }
}

/// The start of an upload's body, then an error: the client gives up mid-stream.
struct BreakingChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    struct GaveUp: Error {}

    let upload: GeneratedUpload
    let chunksBeforeFailure: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: GeneratedUpload.Chunks.AsyncIterator
        var remaining: Int

        mutating func next() async throws -> ByteBuffer? {
            guard self.remaining > 0 else { throw GaveUp() }
            self.remaining -= 1
            return try await self.base.next()
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: GeneratedUpload.Chunks(upload: self.upload).makeAsyncIterator(), remaining: self.chunksBeforeFailure)
    }
}
