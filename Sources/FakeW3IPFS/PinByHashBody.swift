/// Body of `POST /api/pinning/pinByHash`.
struct PinByHashBody: Decodable, Sendable {
    let hashToPin: String
    let metadata: ClientMetadata?

    private enum CodingKeys: String, CodingKey {
        case hashToPin = "hash_to_pin"
        case metadata
    }
}
