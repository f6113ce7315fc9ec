import Foundation

/// Decides which values `check-config` and error messages must hide.
///
/// Secrets belong in the vault, so the configuration should hold none; this is a safety net. A key is sensitive
/// when its last component contains `token`, `secret`, `key`, `password` or `passphrase`, unless it is known to
/// hold a path, a vault entry *name* or a switch (``safeKeys``). A password inside a URL (`redis.url`) is masked
/// on its own by ``maskingPassword(in:)``.
public enum SecretMasking {
    /// Replacement text for masked values.
    public static let mask = "********"

    /// Keys whose names look secret but whose values are not.
    public static let safeKeys: Set<String> = [
        "access_token_file",    // a path; the token itself is never read here
        "passphrase_file",      // a path
        "redis.password_entry", // a vault entry name
        "auth.require_token",   // a switch
    ]

    private static let markers = ["token", "secret", "key", "password", "passphrase"]

    /// True when the value of `key` must be masked.
    public static func isSensitive(key: String) -> Bool {
        if safeKeys.contains(key) { return false }
        let last = key.split(separator: ".").last.map(String.init)?.lowercased() ?? key.lowercased()
        return markers.contains { last.contains($0) }
    }

    /// `text` with the password of a `scheme://user:password@host` URL replaced by ``mask``; anything else as is.
    public static func maskingPassword(in text: String) -> String {
        guard let schemeEnd = text.range(of: "://"),
              let at = text[schemeEnd.upperBound...].lastIndex(of: "@"),
              let colon = text[schemeEnd.upperBound..<at].firstIndex(of: ":")
        else { return text }
        return String(text[..<text.index(after: colon)]) + mask + String(text[at...])
    }
}
