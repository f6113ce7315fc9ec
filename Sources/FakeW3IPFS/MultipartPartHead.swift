/// The header block of one multipart part, with `Content-Disposition` picked apart.
struct MultipartPartHead: Sendable, Equatable {
    /// Header lines in order (names as sent).
    let headers: [(name: String, value: String)]
    /// `name` from `Content-Disposition: form-data; name="..."`.
    let name: String?
    /// `filename` from `Content-Disposition`, when the part is a file.
    let filename: String?
    /// The part's `Content-Type`, when given.
    let contentType: String?

    init(headers: [(name: String, value: String)]) {
        self.headers = headers
        let disposition = headers.first { $0.name.lowercased() == "content-disposition" }?.value
        let parameters = disposition.map { HeaderParameters.parse($0).parameters } ?? [:]
        self.name = parameters["name"]
        self.filename = parameters["filename"]
        self.contentType = headers.first { $0.name.lowercased() == "content-type" }?.value
            .trimmingSpaces()
    }

    /// Parse a header block (the bytes between the delimiter line and the blank line, CRLF-separated).
    /// - Throws: ``MultipartError/malformedPartHeaders``.
    static func parse(_ block: UnsafeRawBufferPointer) throws(MultipartError) -> MultipartPartHead {
        let text = String(decoding: block, as: UTF8.self)
        var headers: [(name: String, value: String)] = []
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: true) {
            if let first = line.first, first == " " || first == "\t", let last = headers.popLast() {
                // obsolete line folding: continue the previous header
                headers.append((last.name, last.value + " " + String(line).trimmingSpaces()))
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { throw .malformedPartHeaders }
            headers.append((String(line[..<colon]).trimmingSpaces(), String(line[line.index(after: colon)...]).trimmingSpaces()))
        }
        return MultipartPartHead(headers: headers)
    }

    static func == (lhs: MultipartPartHead, rhs: MultipartPartHead) -> Bool {
        lhs.headers.elementsEqual(rhs.headers) { $0.name == $1.name && $0.value == $1.value }
    }
}
