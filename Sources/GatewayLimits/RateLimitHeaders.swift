// MARK: - RateLimitHeaders

/// Pure formatters for the `RateLimit-Policy` and `RateLimit` fields of
/// draft-ietf-httpapi-ratelimit-headers (the structured-field revisions):
///
///     RateLimit-Policy: "upstream";q=10;w=2
///     RateLimit: "upstream";r=3;t=1
///
/// Each field is an RFC 9651 List with one Item: an sf-string naming the
/// policy, parameterised by integers.
public enum RateLimitHeaders {
    /// Header field names, as sent on responses.
    public static let policyFieldName = "RateLimit-Policy"
    /// Header field name for the current state.
    public static let rateLimitFieldName = "RateLimit"

    /// `"<name>";q=<quota>;w=<window>`.
    public static func policy(name: String, quota: Int, windowSeconds: Int) -> String {
        "\(structuredString(name));q=\(clamp(quota));w=\(clamp(windowSeconds))"
    }

    /// `"<name>";r=<remaining>;t=<reset>`.
    public static func rateLimit(name: String, remaining: Int, resetSeconds: Int) -> String {
        "\(structuredString(name));r=\(clamp(remaining));t=\(clamp(resetSeconds))"
    }

    /// Both fields for a snapshot, as (name, value) pairs ready to append.
    public static func fields(for info: LimitInfo) -> [(name: String, value: String)] {
        [(policyFieldName, info.policyHeaderValue), (rateLimitFieldName, info.rateLimitHeaderValue)]
    }

    /// Serialises an RFC 9651 sf-string: quotes, escapes `"` and `\`, and
    /// replaces characters outside printable ASCII with `?` (sf-strings cannot
    /// carry them, and a header must never be made invalid by a config name).
    public static func structuredString(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"", "\\": out.append("\\"); out.unicodeScalars.append(scalar)
            case " "..."~": out.unicodeScalars.append(scalar)
            default: out.append("?")
            }
        }
        out.append("\"")
        return out
    }

    // sf-integers are limited to 15 digits and the draft forbids negatives.
    private static func clamp(_ value: Int) -> Int { min(max(value, 0), 999_999_999_999_999) }
}
