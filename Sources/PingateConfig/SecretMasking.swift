/// Decides which values ``PingateSettings/effectiveDescription()`` must hide.
///
/// Secrets belong in the vault, so the configuration should hold none; this is
/// a safety net. A key is sensitive when its last component contains `token`,
/// `secret`, `key`, `password` or `passphrase` — unless it is known to hold a
/// path or a vault entry *name* (``safeKeys``).
public enum SecretMasking {
    /// Replacement text for masked values.
    public static let mask = "********"

    /// Keys whose names look secret but whose values are not.
    public static let safeKeys: Set<String> = [
        "access_token_file", // a path; the token itself is never read here
        "passphrase_file",   // a path
    ]

    private static let markers = ["token", "secret", "key", "password", "passphrase"]

    /// True when the value of `key` must be masked.
    public static func isSensitive(key: String) -> Bool {
        if safeKeys.contains(key) { return false }
        let last = key.split(separator: ".").last.map(String.init)?.lowercased() ?? key.lowercased()
        return markers.contains { last.contains($0) }
    }
}
