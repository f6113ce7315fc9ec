/// A canned answer the fake gives instead of serving the API (see ``Faults/forcedResponse``).
public struct ForcedResponse: Sendable {
    /// Status code, 100...599 (anything else is answered as 500).
    public var status: Int
    /// Header lines added to the answer, in order (repeats allowed).
    public var headers: [(String, String)]
    /// Body bytes, as UTF-8 text. A JSON content type is added unless ``headers`` names one.
    public var body: String

    /// Create a canned answer.
    /// - Parameters:
    ///   - status: Status code.
    ///   - headers: Extra header lines, e.g. `("Retry-After", "2")`.
    ///   - body: Body text; by default the fake's JSON error envelope naming the status.
    public init(status: Int, headers: [(String, String)] = [], body: String? = nil) {
        self.status = status
        self.headers = headers
        self.body = body ?? PinningAPIError.envelopeJSON(message: "forced response \(status)")
    }

    /// `429 Too Many Requests` with `Retry-After`.
    /// - Parameter retryAfterSeconds: Value of the `Retry-After` header.
    public static func tooManyRequests(retryAfterSeconds: Int = 2) -> ForcedResponse {
        ForcedResponse(status: 429, headers: [("Retry-After", String(retryAfterSeconds))],
                       body: PinningAPIError.envelopeJSON(message: "rate limit exceeded"))
    }

    /// `503 Service Unavailable`.
    public static var serviceUnavailable: ForcedResponse {
        ForcedResponse(status: 503, body: PinningAPIError.envelopeJSON(message: "service unavailable"))
    }

    /// `500 Internal Server Error`.
    public static var internalServerError: ForcedResponse {
        ForcedResponse(status: 500, body: PinningAPIError.envelopeJSON(message: "internal server error"))
    }
}
