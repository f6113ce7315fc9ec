/// What the fake saw of one request, written before the response leaves.
///
/// Every request that reached the fake is recorded, whatever it was answered (401, 404, a forced
/// 503...), so a test can assert both "the upstream saw nothing" and "the upstream saw exactly this".
public struct RecordedRequest: Sendable {
    /// Arrival order across the fake's lifetime (0, 1, 2, ...); ``FakeW3IPFSState/requests`` is sorted by it.
    public let sequence: Int
    /// Request method, e.g. `POST`.
    public let method: String
    /// Request path without the query, as sent (still percent-encoded).
    public let path: String
    /// Raw query string without the `?`, or `nil` when the target had none.
    public let query: String?
    /// All header lines in the order received (`Host` first, see ``RecordedHeader``).
    public let headers: [RecordedHeader]
    /// Number of body bytes that arrived.
    public let bodyByteCount: Int
    /// Lower-case hex SHA-256 of the raw body bytes that arrived (of the empty string when none did).
    public let bodySHA256: String
    /// `false` when the body stream ended in an error (e.g. the client went away mid-upload).
    public let bodyComplete: Bool
    /// Bytes of the multipart `file` part that arrived, for uploads whose `file` part started
    /// (also when the upload was then refused or broke off); `nil` for every other request.
    public let fileByteCount: Int?
    /// Lower-case hex SHA-256 of the `file` part's content, when that part arrived complete.
    public let fileSHA256: String?
    /// Status code the fake answered with (or tried to, if the client left first).
    public let responseStatus: Int

    /// Create a record (the fake makes these; public for tests that build expectations).
    public init(
        sequence: Int,
        method: String,
        path: String,
        query: String?,
        headers: [RecordedHeader],
        bodyByteCount: Int,
        bodySHA256: String,
        bodyComplete: Bool = true,
        fileByteCount: Int? = nil,
        fileSHA256: String? = nil,
        responseStatus: Int
    ) {
        self.sequence = sequence
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.bodyByteCount = bodyByteCount
        self.bodySHA256 = bodySHA256
        self.bodyComplete = bodyComplete
        self.fileByteCount = fileByteCount
        self.fileSHA256 = fileSHA256
        self.responseStatus = responseStatus
    }

    /// Values of every header whose name matches `name` case-insensitively, in order.
    /// - Parameter name: Header name, any case.
    /// - Returns: The matching values; empty when the header was absent.
    public func headerValues(_ name: String) -> [String] {
        let wanted = name.lowercased()
        return self.headers.filter { $0.name.lowercased() == wanted }.map(\.value)
    }

    /// First value of the header `name` (case-insensitive), or `nil`.
    /// - Parameter name: Header name, any case.
    public func header(_ name: String) -> String? {
        self.headerValues(name).first
    }
}
