/// `{"data": ..., "status": "success"}`.
struct SuccessEnvelope<Payload: Encodable & Sendable>: Encodable, Sendable {
    let data: Payload
    let status = "success"
}
