/// `{"message": ..., "status": "error"}`.
struct ErrorEnvelope: Encodable, Sendable {
    let message: String
    let status = "error"
}
