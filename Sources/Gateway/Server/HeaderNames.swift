import HTTPTypes

extension HTTPField.Name {
    /// `X-Request-Id`: correlates a client's request with pingate's logs and the upstream's.
    static let xRequestID = HTTPField.Name("X-Request-Id")!
    /// `X-Pingate-Client`: a self-declared client name (fairness and metrics, not security).
    static let xPingateClient = HTTPField.Name("X-Pingate-Client")!
    /// `Pragma` (HTTP/1.0 `no-cache`).
    static let pragma = HTTPField.Name("Pragma")!
}
