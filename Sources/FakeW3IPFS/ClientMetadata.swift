/// What clients may send as metadata; other keys are ignored, as a lenient JSON API would.
struct ClientMetadata: Decodable, Sendable {
    var name: String?
    var keyvalues: [String: MetadataValue]?
}
