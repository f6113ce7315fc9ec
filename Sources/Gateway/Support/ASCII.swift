/// Allocation-free comparisons of header names and other ASCII tokens (header names are case-insensitive).
enum ASCII {
    /// `a` equals `lowercase` ignoring ASCII case; `lowercase` must be lowercase.
    @inline(__always)
    static func equalsLowercase(_ a: String, _ lowercase: StaticString) -> Bool {
        let b = UnsafeRawBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        var utf8 = a.utf8
        return utf8.withContiguousStorageIfAvailable { bytes in equal(bytes, b) } ?? equal(Array(utf8), b)
    }

    /// `bytes` equal `lowercase` ignoring ASCII case; `lowercase` must be lowercase.
    @inline(__always)
    static func equalsLowercase<C: Collection<UInt8>>(bytes: C, _ lowercase: StaticString) -> Bool {
        equal(bytes, UnsafeRawBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount))
    }

    @inline(__always)
    private static func equal<C: Collection<UInt8>>(_ bytes: C, _ lowercase: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count == lowercase.count else { return false }
        var index = 0
        for byte in bytes {
            guard lower(byte) == lowercase[index] else { return false }
            index += 1
        }
        return true
    }

    /// `a` equals `b` ignoring ASCII case.
    static func equalsIgnoringCase(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        return zip(a.utf8, b.utf8).allSatisfy { lower($0) == lower($1) }
    }

    @inline(__always)
    static func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }

    /// `a` and `b` are the same field name when `-` and `_` are alike and case is ignored (credential spellings).
    static func equalsFolded(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        return zip(a.utf8, b.utf8).allSatisfy { fold($0) == fold($1) }
    }

    @inline(__always)
    static func fold(_ byte: UInt8) -> UInt8 {
        byte == UInt8(ascii: "-") ? UInt8(ascii: "_") : lower(byte)
    }

    /// `a` begins with `lowercasePrefix`, ignoring ASCII case.
    static func hasPrefixLowercase(_ a: String, _ lowercasePrefix: StaticString) -> Bool {
        let prefix = UnsafeRawBufferPointer(start: lowercasePrefix.utf8Start, count: lowercasePrefix.utf8CodeUnitCount)
        guard a.utf8.count >= prefix.count else { return false }
        var index = 0
        for byte in a.utf8.prefix(prefix.count) {
            guard lower(byte) == prefix[index] else { return false }
            index += 1
        }
        return true
    }
}
