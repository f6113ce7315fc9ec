#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A pin's metadata: the client's `name` and `keyvalues`, and for uploads the file's media `type`.
struct PinMetadata: Codable, Sendable, Equatable {
    var name: String?
    var type: String?
    var keyvalues: [String: MetadataValue]?

    init(name: String? = nil, type: String? = nil, keyvalues: [String: MetadataValue]? = nil) {
        self.name = name
        self.type = type
        self.keyvalues = keyvalues
    }

    /// Parse the client-supplied metadata JSON (`{"name": ..., "keyvalues": {...}}`).
    /// - Throws: ``PinningAPIError`` (400) when it is not such an object.
    static func parse(json bytes: [UInt8]) throws(PinningAPIError) -> PinMetadata {
        do {
            let supplied = try JSONDecoder().decode(ClientMetadata.self, from: Data(bytes))
            return PinMetadata(name: supplied.name, keyvalues: supplied.keyvalues)
        } catch {
            throw .badRequest("metadata must be a JSON object {\"name\": string, \"keyvalues\": {string: scalar}}")
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.name, forKey: .name)
        if let type = self.type {
            try container.encode(type, forKey: .type)
        }
        if let keyvalues = self.keyvalues {
            try container.encode(keyvalues, forKey: .keyvalues)
        }
    }
}
