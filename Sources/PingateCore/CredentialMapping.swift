/// Which vault entry is injected as which upstream request header.
public struct CredentialMapping: Sendable, Hashable {
    /// Upstream header name, e.g. `pinning_api_key`.
    public var header: String
    /// Vault entry name, e.g. `api_key`; the configuration holds names, never secrets.
    public var entry: String

    /// Creates a mapping.
    public init(header: String, entry: String) {
        self.header = header
        self.entry = entry
    }

    /// The w3ipfs default: `api_key` → `pinning_api_key`, `secret_key` → `pinning_secret_key`.
    public static let w3ipfsDefaults: [CredentialMapping] = [
        CredentialMapping(header: "pinning_api_key", entry: "api_key"),
        CredentialMapping(header: "pinning_secret_key", entry: "secret_key"),
    ]
}
