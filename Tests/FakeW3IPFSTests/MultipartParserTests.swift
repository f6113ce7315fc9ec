import Testing

@testable import FakeW3IPFS

/// What a parse produced, flattened for comparison.
private struct ParsedPart: Equatable {
    var head: MultipartPartHead
    var content: [UInt8] = []
    var ended = false
}

private func parse(_ body: [UInt8], boundary: String, chunkSizes: some Sequence<Int>) throws -> [ParsedPart] {
    var parser = try MultipartParser(boundary: boundary)
    var parts: [ParsedPart] = []
    var offset = 0
    var sizes = chunkSizes.makeIterator()
    while offset < body.count {
        let size = min(max(sizes.next() ?? body.count, 0), body.count - offset)
        try body[offset..<offset + size].withUnsafeBytes { chunk in
            try parser.feed(chunk) { event in
                switch event {
                case .partBegin(let head): parts.append(ParsedPart(head: head))
                case .partData(let bytes): parts[parts.count - 1].content.append(contentsOf: bytes)
                case .partEnd: parts[parts.count - 1].ended = true
                }
            }
        }
        offset += size
    }
    try parser.finish()
    return parts
}

private let boundary = "----pingateBoundary7MA4YWxkTrZu0gW"

/// A body whose content is full of near-delimiters: CR, LF, `--`, and every proper prefix of `CRLF--boundary`.
private func trickyBody() -> (body: [UInt8], file: [UInt8]) {
    let delimiter = Array("\r\n--\(boundary)".utf8)
    var file: [UInt8] = Array("start\r\n\r\n--\r\n-".utf8)
    for length in 1..<delimiter.count {
        file += delimiter.prefix(length) + Array("x".utf8)
    }
    file += Array("--\(boundary)".utf8) + [0, 255, 13] + Array("end\r".utf8)
    var body: [UInt8] = Array("preamble to ignore\r\n".utf8)
    body += Array("--\(boundary)\r\n".utf8)
    body += Array("Content-Disposition: form-data; name=\"metadata\"\r\n\r\n".utf8)
    body += Array(#"{"name":"tricky","keyvalues":{"k":"v"}}"#.utf8)
    body += Array("\r\n--\(boundary)\r\n".utf8)
    body += Array("Content-Disposition: form-data; name=\"file\"; filename=\"we\\\"ird.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
    body += file
    body += Array("\r\n--\(boundary)  \r\n".utf8)  // transport padding
    body += Array("\r\n".utf8)  // a part without headers
    body += Array("empty-headed".utf8)
    body += Array("\r\n--\(boundary)--\r\nepilogue \r\n--\(boundary)--".utf8)
    return (body, file)
}

@Suite("MultipartParser")
struct MultipartParserTests {
    @Test func parsesWholeBody() throws {
        let (body, file) = trickyBody()
        let parts = try parse(body, boundary: boundary, chunkSizes: [body.count])
        #expect(parts.count == 3)
        #expect(parts.allSatisfy { $0.ended })
        #expect(parts[0].head.name == "metadata")
        #expect(String(decoding: parts[0].content, as: UTF8.self) == #"{"name":"tricky","keyvalues":{"k":"v"}}"#)
        #expect(parts[1].head.name == "file")
        #expect(parts[1].head.filename == "we\"ird.bin")
        #expect(parts[1].head.contentType == "application/octet-stream")
        #expect(parts[1].content == file)
        #expect(parts[2].head.headers.isEmpty)
        #expect(String(decoding: parts[2].content, as: UTF8.self) == "empty-headed")
    }

    @Test func oneByteChunksGiveTheSameParts() throws {
        let (body, _) = trickyBody()
        let whole = try parse(body, boundary: boundary, chunkSizes: [body.count])
        let bytewise = try parse(body, boundary: boundary, chunkSizes: repeatElement(1, count: body.count))
        #expect(bytewise == whole)
    }

    @Test func everySplitPointGivesTheSameParts() throws {
        let (body, _) = trickyBody()
        let whole = try parse(body, boundary: boundary, chunkSizes: [body.count])
        for split in 0...body.count {
            let parts = try parse(body, boundary: boundary, chunkSizes: [split, body.count])
            #expect(parts == whole, "split at \(split)")
        }
    }

    @Test(arguments: [1, 7, 42, 2024, 99_991] as [UInt64])
    func randomChunkSizesGiveTheSameParts(seed: UInt64) throws {
        let (body, _) = trickyBody()
        let whole = try parse(body, boundary: boundary, chunkSizes: [body.count])
        var random = SplitMix64(seed: seed)
        for _ in 0..<50 {
            let sizes = (0..<body.count).map { _ in Int.random(in: 0...90, using: &random) }
            #expect(try parse(body, boundary: boundary, chunkSizes: sizes) == whole)
        }
    }

    @Test func bodyWithoutPreambleOrEpilogue() throws {
        let body = Array("--b\r\nContent-Disposition: form-data; name=file\r\n\r\nhi\r\n--b--".utf8)
        let parts = try parse(body, boundary: "b", chunkSizes: repeatElement(1, count: body.count))
        #expect(parts.count == 1)
        #expect(parts[0].head.name == "file")
        #expect(parts[0].content == Array("hi".utf8))
    }

    @Test func truncatedBodyIsAnError() throws {
        let body = Array("--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nhalf a file".utf8)
        #expect(throws: MultipartError.truncatedBody) {
            _ = try parse(body, boundary: "b", chunkSizes: [5, 5, 100])
        }
    }

    @Test func malformedDelimiterIsAnError() throws {
        let body = Array("--bXY\r\n\r\n".utf8)
        #expect(throws: MultipartError.malformedDelimiter) {
            _ = try parse(body, boundary: "b", chunkSizes: [body.count])
        }
    }

    @Test func oversizedHeadersAreAnError() throws {
        let body = Array("--b\r\nX-Long: \(String(repeating: "a", count: MultipartParser.maximumHeaderBytes + 1))\r\n\r\n".utf8)
        #expect(throws: MultipartError.headersTooLarge) {
            _ = try parse(body, boundary: "b", chunkSizes: repeatElement(4096, count: 10))
        }
    }

    @Test func boundaryIsValidatedAndReadFromContentType() throws {
        #expect(throws: MultipartError.invalidBoundary) { try MultipartParser(boundary: "") }
        #expect(throws: MultipartError.invalidBoundary) { try MultipartParser(boundary: String(repeating: "x", count: 71)) }
        #expect(try HeaderParameters.multipartBoundary(contentType: "multipart/form-data; boundary=\"a b\"") == "a b")
        #expect(try HeaderParameters.multipartBoundary(contentType: "Multipart/Form-Data;charset=utf-8; BOUNDARY=xyz") == "xyz")
        #expect(throws: MultipartError.invalidBoundary) { try HeaderParameters.multipartBoundary(contentType: "application/json") }
        #expect(throws: MultipartError.invalidBoundary) { try HeaderParameters.multipartBoundary(contentType: nil) }
    }
}

@Suite("Identifiers and timestamps")
struct IdentifierTests {
    @Test func timestampsUseMicrosecondsAndZ() {
        #expect(PinTimestamp(microsecondsSinceEpoch: 0).description == "1970-01-01T00:00:00.000000Z")
        #expect(PinTimestamp(microsecondsSinceEpoch: 1_672_571_471_111_111).description == "2023-01-01T11:11:11.111111Z")
        #expect(PinTimestamp(microsecondsSinceEpoch: 951_782_400_000_001).description == "2000-02-29T00:00:00.000001Z")
    }

    @Test func idsAreDeterministicUUIDs() {
        let id = DeterministicUUID.make(seed: "pin:0")
        #expect(id == DeterministicUUID.make(seed: "pin:0"))
        #expect(id != DeterministicUUID.make(seed: "pin:1"))
        #expect(id.count == 36)
        #expect(Array(id)[14] == "4")
    }

    @Test func cidIsBase32CIDv1() {
        // sha256("") with dag-pb: a well-known shape, checked against an independent base32 of the bytes
        let cid = ContentIdentifier.cidV1(sha256: Digest.sha256([]))
        #expect(cid.hasPrefix("bafybei"))
        #expect(cid.count == 59)
        #expect(ContentIdentifier.base32Lower(Array("foobar".utf8)) == "mzxw6ytboi")
    }
}
