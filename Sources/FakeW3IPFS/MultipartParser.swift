#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Incremental `multipart/form-data` parser (RFC 7578 / RFC 2046) with bounded memory.
///
/// Feed the body in chunks of any size; part content is handed out as it arrives, in
/// pieces that alias the parser's buffer, so a multi-GiB part never sits in memory. Between
/// chunks the parser keeps only what could still be the start of a delimiter (fewer than
/// `boundary.count + 4` bytes) or an unfinished part header block (at most ``maximumHeaderBytes``).
struct MultipartParser {
    /// What the parser found, in body order.
    enum Event {
        /// A new part starts; its content follows as ``partData(_:)`` events.
        case partBegin(MultipartPartHead)
        /// Some content of the current part; only valid during the callback.
        case partData(UnsafeRawBufferPointer)
        /// The current part is complete.
        case partEnd
    }

    private enum Phase {
        /// Before the first delimiter; content here is ignored.
        case preamble
        /// Just after a delimiter: `--` closes the body, optional padding + CRLF opens a part.
        case afterDelimiter
        /// Reading a part's header block up to the blank line.
        case headers
        /// Streaming a part's content up to the next delimiter.
        case content
        /// After the closing delimiter; content here is ignored.
        case epilogue
    }

    /// Largest header block accepted for one part.
    static let maximumHeaderBytes = 16 * 1024

    /// `CRLF--boundary`: what ends every part's content.
    private let delimiter: [UInt8]
    private var phase: Phase = .preamble
    /// Unprocessed bytes. Starts with a CRLF so that a body beginning directly with
    /// `--boundary` (no preamble, the common case) matches the same delimiter pattern.
    private var pending: [UInt8] = [0x0D, 0x0A]

    /// Whether the closing delimiter has been seen.
    var isComplete: Bool {
        if case .epilogue = self.phase { return true }
        return false
    }

    /// Create a parser for `boundary` (the Content-Type parameter, without the leading `--`).
    /// - Throws: ``MultipartError/invalidBoundary`` for an empty, non-ASCII or over-long (> 70) boundary.
    init(boundary: String) throws(MultipartError) {
        let bytes = Array(boundary.utf8)
        guard (1...70).contains(bytes.count), bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
            throw .invalidBoundary
        }
        self.delimiter = [0x0D, 0x0A, 0x2D, 0x2D] + bytes
    }

    /// Parse the next chunk of the body.
    /// - Parameters:
    ///   - chunk: The next bytes of the body, any size.
    ///   - handle: Receives the events found so far, in order.
    /// - Throws: ``MultipartError`` for a malformed body, or what `handle` throws.
    mutating func feed(_ chunk: UnsafeRawBufferPointer, _ handle: (Event) throws -> Void) throws {
        if case .epilogue = self.phase { return }
        self.pending.append(contentsOf: chunk)
        var consumed = 0
        defer { self.pending.removeFirst(consumed) }
        parsing: while true {
            switch self.phase {
            case .preamble:
                if let match = self.findDelimiter(from: consumed) {
                    consumed = match + self.delimiter.count
                    self.phase = .afterDelimiter
                } else {
                    consumed = max(consumed, self.pending.count - (self.delimiter.count - 1))
                    break parsing
                }

            case .afterDelimiter:
                var index = consumed
                while index < self.pending.count, self.pending[index] == 0x20 || self.pending[index] == 0x09 {
                    index += 1  // transport padding
                }
                guard index + 2 <= self.pending.count else { break parsing }
                if index == consumed, self.pending[index] == 0x2D, self.pending[index + 1] == 0x2D {
                    consumed = self.pending.count
                    self.phase = .epilogue
                    break parsing
                }
                guard self.pending[index] == 0x0D, self.pending[index + 1] == 0x0A else {
                    throw MultipartError.malformedDelimiter
                }
                consumed = index + 2
                self.phase = .headers

            case .headers:
                let available = self.pending.count - consumed
                if available >= 2, self.pending[consumed] == 0x0D, self.pending[consumed + 1] == 0x0A {
                    consumed += 2  // a part without headers
                    try handle(.partBegin(MultipartPartHead(headers: [])))
                    self.phase = .content
                    continue parsing
                }
                guard let end = self.find([0x0D, 0x0A, 0x0D, 0x0A], from: consumed) else {
                    if available > Self.maximumHeaderBytes { throw MultipartError.headersTooLarge }
                    break parsing
                }
                guard end - consumed <= Self.maximumHeaderBytes else { throw MultipartError.headersTooLarge }
                let start = consumed
                let head = try self.pending.withUnsafeBytes { bytes throws(MultipartError) in
                    try MultipartPartHead.parse(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
                }
                consumed = end + 4
                try handle(.partBegin(head))
                self.phase = .content

            case .content:
                let start = consumed
                if let match = self.findDelimiter(from: consumed) {
                    if match > start {
                        try self.pending.withUnsafeBytes { try handle(.partData(UnsafeRawBufferPointer(rebasing: $0[start..<match]))) }
                    }
                    try handle(.partEnd)
                    consumed = match + self.delimiter.count
                    self.phase = .afterDelimiter
                } else {
                    // keep what might be the beginning of a delimiter split across chunks
                    let safeEnd = self.pending.count - (self.delimiter.count - 1)
                    if safeEnd > start {
                        try self.pending.withUnsafeBytes { try handle(.partData(UnsafeRawBufferPointer(rebasing: $0[start..<safeEnd]))) }
                        consumed = safeEnd
                    }
                    break parsing
                }

            case .epilogue:
                consumed = self.pending.count
                break parsing
            }
        }
    }

    /// Declare the end of the body.
    /// - Throws: ``MultipartError/truncatedBody`` unless the closing delimiter was seen.
    func finish() throws(MultipartError) {
        guard self.isComplete else { throw .truncatedBody }
    }

    // MARK: - Searching

    private func findDelimiter(from start: Int) -> Int? {
        self.find(self.delimiter, from: start)
    }

    /// Index of the first occurrence of `needle` in `pending[start...]` (memchr on the first byte, then memcmp).
    private func find(_ needle: [UInt8], from start: Int) -> Int? {
        self.pending.withUnsafeBytes { haystack -> Int? in
            needle.withUnsafeBytes { needleBytes -> Int? in
                guard let base = haystack.baseAddress, let needleBase = needleBytes.baseAddress else { return nil }
                var position = start
                let lastStart = haystack.count - needleBytes.count
                while position <= lastStart {
                    guard let hit = memchr(base + position, Int32(needle[0]), lastStart - position + 1) else { return nil }
                    let offset = base.distance(to: UnsafeRawPointer(hit))
                    if memcmp(base + offset, needleBase, needleBytes.count) == 0 { return offset }
                    position = offset + 1
                }
                return nil
            }
        }
    }
}
