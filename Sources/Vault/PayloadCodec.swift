/// Encodes vault entries into the plaintext that gets encrypted, and back.
///
/// Format (big-endian): `u32 count`, then `count` entries sorted by name bytes, each
/// `u8 nameLength (1-64)`, name (ASCII `[A-Za-z0-9_.-]`), `u32 valueLength`, value bytes.
/// Nothing may follow the last entry. A length-prefixed binary format rather than JSON
/// so that encoding and decoding copy secrets only into wiped buffers, and so a decoder
/// in any language is a dozen lines.
enum PayloadCodec {
    /// Upper bound on entries, to bound work on a (authenticated but buggy) payload.
    static let maximumEntries = 10_000

    /// Runs `body` with the encoded payload in a buffer that is wiped afterwards.
    static func withEncoded<R>(
        _ contents: VaultContents, _ body: (UnsafeRawBufferPointer) throws -> R
    ) throws -> R {
        let names = contents.names
        guard names.count <= maximumEntries else {
            throw VaultError.malformed(reason: "more than \(maximumEntries) entries")
        }
        var size = 4
        for name in names {
            try VaultEntryName.validate(name)
            let value = contents.entries[name]!
            guard value.byteCount <= Int(UInt32.max) else {
                throw VaultError.malformed(reason: "entry \"\(name)\" is too large")
            }
            size += 1 + name.utf8.count + 4 + value.byteCount
        }
        return try withWipedScratchBuffer(count: size) { buffer in
            var offset = 0
            func put(_ value: UInt32) {
                for shift in stride(from: 24, through: 0, by: -8) {
                    buffer[offset] = UInt8(truncatingIfNeeded: value >> UInt32(shift))
                    offset += 1
                }
            }
            put(UInt32(names.count))
            for name in names {
                let value = contents.entries[name]!
                buffer[offset] = UInt8(name.utf8.count)
                offset += 1
                for byte in name.utf8 {
                    buffer[offset] = byte
                    offset += 1
                }
                put(UInt32(value.byteCount))
                value.withRevealedBytes { bytes in
                    UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<(offset + bytes.count)])
                        .copyMemory(from: bytes)
                }
                offset += value.byteCount
            }
            precondition(offset == size)
            return try body(UnsafeRawBufferPointer(buffer))
        }
    }

    /// Decodes a payload. The input has already passed GCM authentication, so a failure
    /// here means a writer bug, not tampering; it is still reported, never trapped on.
    static func decode(_ payload: UnsafeRawBufferPointer) throws -> VaultContents {
        var offset = 0
        func need(_ count: Int) throws {
            guard payload.count - offset >= count else {
                throw VaultError.malformed(reason: "payload ends inside an entry")
            }
        }
        func take32() throws -> UInt32 {
            try need(4)
            defer { offset += 4 }
            return (offset..<(offset + 4)).reduce(0) { ($0 << 8) | UInt32(payload[$1]) }
        }
        let count = Int(try take32())
        guard count <= maximumEntries else {
            throw VaultError.malformed(reason: "payload announces \(count) entries")
        }
        var entries: [String: SecretValue] = [:]
        entries.reserveCapacity(count)
        var previousName: String?
        for _ in 0..<count {
            try need(1)
            let nameLength = Int(payload[offset])
            offset += 1
            try need(nameLength)
            let nameBytes = UnsafeRawBufferPointer(rebasing: payload[offset..<(offset + nameLength)])
            offset += nameLength
            guard nameLength >= 1, nameBytes.allSatisfy(VaultEntryName.isAllowed) else {
                throw VaultError.malformed(reason: "invalid entry name in payload")
            }
            let name = String(decoding: nameBytes, as: UTF8.self)
            if let previousName, !previousName.utf8.lexicographicallyPrecedes(name.utf8) {
                throw VaultError.malformed(reason: "entry names are not sorted and unique")
            }
            previousName = name
            let valueLength = Int(try take32())
            try need(valueLength)
            let value = SecureBytes(copying: UnsafeRawBufferPointer(rebasing: payload[offset..<(offset + valueLength)]))
            offset += valueLength
            entries[name] = SecretValue(storage: value)
        }
        guard offset == payload.count else {
            throw VaultError.malformed(reason: "unexpected bytes after the last entry")
        }
        return VaultContents(entries: entries)
    }
}
