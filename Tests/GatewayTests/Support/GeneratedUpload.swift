import NIOCore
import Vault

/// A multipart upload of `size` deterministic bytes, generated chunk by chunk (never held in memory whole).
struct GeneratedUpload: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let size: Int
    let boundary = "pingate-large-upload"
    static let chunkSize = 64 * 1024

    var prefix: String {
        "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"large.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    }
    var suffix: String { "\r\n--\(boundary)--\r\n" }
    var contentType: String { "multipart/form-data; boundary=\(boundary)" }
    var totalLength: Int { prefix.utf8.count + size + suffix.utf8.count }

    /// The file part's bytes for chunk `index` (a cheap xorshift stream; multipart boundary never occurs in it by chance).
    static func chunk(_ index: Int, length: Int) -> [UInt8] {
        var state = UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15 | 1
        var bytes = [UInt8](repeating: 0, count: length)
        var i = 0
        while i < length {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            var word = state
            for _ in 0..<8 where i < length {
                bytes[i] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                i += 1
            }
        }
        return bytes
    }

    /// The expected sha256 of the file part, computed the same way (streamed).
    var expectedSHA256: String {
        var hasher = SHA256Hasher()
        var offset = 0
        var index = 0
        while offset < size {
            let length = Swift.min(Self.chunkSize, size - offset)
            hasher.update(Self.chunk(index, length: length))
            offset += length
            index += 1
        }
        return SHA256Hasher.hex(hasher.finalize())
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let upload: GeneratedUpload
        var stage = 0
        var offset = 0
        var index = 0

        mutating func next() async -> ByteBuffer? {
            switch stage {
            case 0:
                stage = 1
                return ByteBuffer(string: upload.prefix)
            case 1:
                if offset < upload.size {
                    let length = Swift.min(GeneratedUpload.chunkSize, upload.size - offset)
                    defer { offset += length; index += 1 }
                    return ByteBuffer(bytes: GeneratedUpload.chunk(index, length: length))
                }
                stage = 2
                return ByteBuffer(string: upload.suffix)
            default:
                return nil
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(upload: self) }
}
