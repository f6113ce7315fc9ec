/// An entity tag (RFC 9110 §8.8.3): `"xyzzy"` or weak `W/"xyzzy"`.
///
/// Comparison (§8.8.3.2): two tags match *strongly* when neither is weak and their opaque tags are equal
/// character by character; they match *weakly* when their opaque tags are equal, weak or not.
/// `If-None-Match` uses weak comparison, `If-Range` and the selection of a stored response by a `304` with a
/// strong tag use strong comparison.
public struct EntityTag: Sendable, Hashable {
    /// The opaque tag with its quotes (`"xyzzy"`); a malformed unquoted tag is kept as sent, trimmed.
    public let opaqueTag: String
    /// `W/` prefix.
    public let isWeak: Bool

    /// - Parameters:
    ///   - opaqueTag: The tag with its quotes.
    ///   - isWeak: `W/` prefix.
    public init(opaqueTag: String, isWeak: Bool) {
        self.opaqueTag = opaqueTag
        self.isWeak = isWeak
    }

    /// Strong comparison.
    public func matchesStrongly(_ other: EntityTag) -> Bool {
        !self.isWeak && !other.isWeak && self.opaqueTag == other.opaqueTag
    }

    /// Weak comparison.
    public func matchesWeakly(_ other: EntityTag) -> Bool {
        self.opaqueTag == other.opaqueTag
    }

    /// Parses a field value such as `W/"a", "b,c"` or `*`: the tags in order, and whether `*` was a member.
    /// Commas inside a quoted tag do not split it; members that are not entity tags are kept as sent (so an
    /// origin's unquoted `ETag: abc` still matches a client's `If-None-Match: abc`); empty members are skipped.
    public static func list(_ value: String) -> (tags: [EntityTag], wildcard: Bool) {
        let bytes = Array(value.utf8)
        var tags: [EntityTag] = []
        var wildcard = false
        var index = 0
        func isSpace(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        while index < bytes.count {
            while index < bytes.count, isSpace(bytes[index]) || bytes[index] == UInt8(ascii: ",") { index += 1 }
            guard index < bytes.count else { break }
            var weak = false
            if index + 2 < bytes.count, bytes[index] == UInt8(ascii: "W"), bytes[index + 1] == UInt8(ascii: "/"),
                bytes[index + 2] == UInt8(ascii: "\"")
            {
                weak = true
                index += 2
            }
            let start = index
            if bytes[index] == UInt8(ascii: "\"") {
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") { index += 1 }
                index = min(index + 1, bytes.count)
            } else {
                while index < bytes.count, bytes[index] != UInt8(ascii: ",") { index += 1 }
            }
            let member = String(decoding: bytes[start..<index], as: UTF8.self).trimmingASCIIWhitespace()
            if member == "*" && !weak {
                wildcard = true
            } else if !member.isEmpty {
                tags.append(EntityTag(opaqueTag: member, isWeak: weak))
            }
            // Anything after a quoted tag up to the next comma is not part of it.
            while index < bytes.count, bytes[index] != UInt8(ascii: ",") { index += 1 }
        }
        return (tags, wildcard)
    }
}

extension EntityTag: CustomStringConvertible {
    /// The tag as sent in a field: `W/"xyzzy"` or `"xyzzy"`.
    public var description: String { (self.isWeak ? "W/" : "") + self.opaqueTag }
}
