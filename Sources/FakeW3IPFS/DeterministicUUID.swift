/// Version-4-shaped UUID strings derived from a seed, so a fresh fake always hands out the same ids.
enum DeterministicUUID {
    /// A lower-case `8-4-4-4-12` UUID made from the SHA-256 of `seed`.
    /// - Parameter seed: Any text, e.g. `"pin:0"`.
    static func make(seed: String) -> String {
        var bytes = Array(Digest.sha256(Array(seed.utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x40  // version 4
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 4122 variant
        let hex = Digest.hex(bytes)
        let characters = Array(hex)
        var groups: [String] = []
        var start = 0
        for length in [8, 4, 4, 4, 12] {
            groups.append(String(characters[start..<start + length]))
            start += length
        }
        return groups.joined(separator: "-")
    }
}
