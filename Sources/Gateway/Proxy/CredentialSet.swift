import Vault
import PingateCore

/// The credential headers injected into every forwarded request.
///
/// Values are secrets: `description` never shows them.
public struct CredentialSet: Sendable, CustomStringConvertible {
    /// Header fields (name, secret value) in injection order.
    let fields: [(name: String, value: String)]

    /// Builds the set from mappings and a lookup of vault values.
    /// - Parameters:
    ///   - mappings: header ← entry pairs.
    ///   - value: returns the secret for an entry name, or nil when the vault lacks it.
    /// - Throws: `GatewayConfigurationError.missingCredential` naming the entry (never its value).
    public init(mappings: [CredentialMapping], value: (String) -> String?) throws {
        var fields: [(name: String, value: String)] = []
        for mapping in mappings {
            guard Self.isToken(mapping.header) else {
                throw GatewayConfigurationError(.invalidSetting, "'\(mapping.header)' is not a valid header name")
            }
            guard let secret = value(mapping.entry) else {
                throw GatewayConfigurationError(.missingCredential, "vault has no entry '\(mapping.entry)' (needed for header \(mapping.header))")
            }
            guard secret.utf8.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
                throw GatewayConfigurationError(.invalidSetting, "vault entry '\(mapping.entry)' holds characters a header value cannot carry")
            }
            fields.append((mapping.header, secret))
        }
        self.init(fields: fields)
    }

    /// No credentials (a route whose mappings are empty).
    static let empty = CredentialSet(fields: [])

    private init(fields: [(name: String, value: String)]) {
        self.fields = fields
    }

    public var description: String { "CredentialSet(\(fields.map { $0.name.lowercased() + "=<redacted>" }.joined(separator: ", ")))" }

    /// RFC 9110 token characters.
    static func isToken(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return true
            default:
                return "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
        }
    }
}

// MARK: - Vault

extension CredentialSet {
    /// Opens the vault once and builds the credentials the mappings name.
    /// - Throws: `VaultError` (wrong passphrase, tampered file, …) or `GatewayConfigurationError.missingCredential`.
    public static func unlock(vaultAt path: String, passphrase: Passphrase, mappings: [CredentialMapping]) throws -> CredentialSet {
        let contents = try VaultFile.open(at: path, passphrase: passphrase)
        return try CredentialSet(mappings: mappings) { name in contents[name]?.revealed }
    }

    /// Opens the vault once and builds every route's credentials, keyed by route name.
    /// - Throws: `VaultError` or `GatewayConfigurationError.missingCredential` naming the entry and route.
    public static func unlockAll(vaultAt path: String, passphrase: Passphrase, routes: [GatewayRoute]) throws -> [String: CredentialSet] {
        let contents = try VaultFile.open(at: path, passphrase: passphrase)
        var table: [String: CredentialSet] = [:]
        for route in routes {
            table[route.name] = try CredentialSet(mappings: route.credentialMappings) { name in contents[name]?.revealed }
        }
        return table
    }
}
