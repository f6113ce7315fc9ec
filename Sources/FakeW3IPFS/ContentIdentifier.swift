/// Stable, realistic-looking IPFS identifiers derived from a SHA-256 digest.
///
/// The fake does not chunk files into a UnixFS DAG, so the CID is not the one IPFS would compute;
/// it is a well-formed CIDv1 (dag-pb, sha2-256 multihash, base32 → `bafybei...`) over the file's
/// SHA-256, so equal content always gets the same CID.
enum ContentIdentifier {
    /// `b` + base32(CIDv1 dag-pb over the sha2-256 multihash of `digest`).
    /// - Parameter digest: 32-byte SHA-256 of the content.
    static func cidV1(sha256 digest: [UInt8]) -> String {
        precondition(digest.count == 32, "a sha2-256 digest has 32 bytes")
        // version 1, codec dag-pb (0x70), multihash sha2-256 (0x12) of length 32 (0x20)
        return "b" + base32Lower([0x01, 0x70, 0x12, 0x20] + digest)
    }

    /// RFC 4648 base32, lower case, without padding (multibase `b`).
    static func base32Lower(_ bytes: [UInt8]) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 8 + 4) / 5)
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in bytes {
            accumulator = (accumulator << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                output.append(alphabet[Int((accumulator >> UInt32(bits)) & 0x1F)])
            }
        }
        if bits > 0 {
            output.append(alphabet[Int((accumulator << UInt32(5 - bits)) & 0x1F)])
        }
        return String(decoding: output, as: UTF8.self)
    }
}
