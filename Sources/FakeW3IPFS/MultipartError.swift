/// Why a `multipart/form-data` body could not be parsed.
struct MultipartError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: Sendable, Equatable {
        case invalidBoundary
        case malformedDelimiter
        case headersTooLarge
        case malformedPartHeaders
        case truncatedBody
    }

    private let code: Code

    /// The boundary parameter is missing, empty, longer than 70 characters or not ASCII.
    static let invalidBoundary = MultipartError(code: .invalidBoundary)
    /// A delimiter line is followed by something other than `--` or CRLF.
    static let malformedDelimiter = MultipartError(code: .malformedDelimiter)
    /// A part's header block exceeds ``MultipartParser/maximumHeaderBytes``.
    static let headersTooLarge = MultipartError(code: .headersTooLarge)
    /// A part header line has no `:`.
    static let malformedPartHeaders = MultipartError(code: .malformedPartHeaders)
    /// The body ended before the closing delimiter `--boundary--`.
    static let truncatedBody = MultipartError(code: .truncatedBody)

    var description: String {
        switch self.code {
        case .invalidBoundary: "multipart boundary is missing or invalid"
        case .malformedDelimiter: "multipart delimiter line is malformed"
        case .headersTooLarge: "multipart part headers are too large"
        case .malformedPartHeaders: "multipart part header line is malformed"
        case .truncatedBody: "multipart body ended before the closing boundary"
        }
    }
}
