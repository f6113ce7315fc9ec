/// Rules and well-known values for vault entry names.
///
/// Names are plain identifiers so they are safe to show in logs, shell completions and
/// error messages, unlike the values they label.
public enum VaultEntryName {
    /// The upstream API key entry.
    public static let apiKey = "api_key"
    /// The upstream secret key entry.
    public static let secretKey = "secret_key"
    /// The entries the gateway expects a vault to hold.
    public static let defaults: [String] = [apiKey, secretKey]
    /// Longest accepted name, in bytes.
    public static let maximumLength = 64

    /// True when `name` is 1–64 characters from `[A-Za-z0-9_.-]`.
    public static func isValid(_ name: String) -> Bool {
        let utf8 = name.utf8
        guard (1...maximumLength).contains(utf8.count) else { return false }
        return utf8.allSatisfy(isAllowed)
    }

    /// Throws `.invalidEntryName` unless `isValid(name)`.
    public static func validate(_ name: String) throws {
        guard isValid(name) else { throw VaultError.invalidEntryName(length: name.count) }
    }

    static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."),
            UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}
