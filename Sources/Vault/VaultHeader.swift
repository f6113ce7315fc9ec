/// The unencrypted, authenticated header at the start of every vault file.
///
/// Layout of format version 1 (59 bytes, integers big-endian):
///
/// | offset | size | field |
/// |-------:|-----:|-------|
/// | 0      | 13   | magic `PINGATE-VAULT` (ASCII) |
/// | 13     | 1    | format version (`1`) |
/// | 14     | 1    | KDF id: `1` scrypt, `2` PBKDF2-HMAC-SHA256 |
/// | 15     | 12   | KDF parameters: scrypt `N`,`r`,`p` as 3×u32; PBKDF2 iterations u32 + 8 zero bytes |
/// | 27     | 16   | salt |
/// | 43     | 12   | AES-GCM nonce |
/// | 55     | 4    | ciphertext length `L` (u32) |
///
/// followed by `L` bytes of ciphertext and a 16-byte GCM tag. All 59 header bytes are
/// the AEAD associated data, so any change to them fails authentication.
public struct VaultHeader: Sendable, Equatable {
    /// File magic, `PINGATE-VAULT` in ASCII.
    public static let magic: [UInt8] = Array("PINGATE-VAULT".utf8)
    /// The only format version this build reads and writes.
    public static let currentVersion: UInt8 = 1
    /// Encoded header size for version 1.
    public static let encodedSize = 59
    /// Salt size in bytes.
    public static let saltSize = 16
    /// AES-GCM nonce size in bytes.
    public static let nonceSize = 12
    /// AES-GCM tag size in bytes.
    public static let tagSize = 16

    static let scryptID: UInt8 = 1
    static let pbkdf2SHA256ID: UInt8 = 2
    static let versionOffset = 13
    static let kdfIDOffset = 14
    static let kdfParametersOffset = 15
    static let saltOffset = 27
    static let nonceOffset = 43
    static let lengthOffset = 55

    /// Format version.
    public let version: UInt8
    /// KDF and its parameters.
    public let kdf: KDFParameters
    /// KDF salt (`saltSize` bytes, fresh on every write).
    public let salt: [UInt8]
    /// AES-GCM nonce (`nonceSize` bytes, fresh on every write).
    public let nonce: [UInt8]
    /// Length of the ciphertext that follows the header (equals the payload length).
    public let ciphertextLength: Int

    init(version: UInt8 = VaultHeader.currentVersion, kdf: KDFParameters, salt: [UInt8], nonce: [UInt8], ciphertextLength: Int) {
        precondition(salt.count == Self.saltSize && nonce.count == Self.nonceSize)
        self.version = version
        self.kdf = kdf
        self.salt = salt
        self.nonce = nonce
        self.ciphertextLength = ciphertextLength
    }

    /// Total file size this header announces (header + ciphertext + tag).
    public var fileSize: Int { Self.encodedSize + ciphertextLength + Self.tagSize }

    /// The 59 header bytes; also the AEAD associated data.
    public func encoded() -> [UInt8] {
        var bytes = Self.magic
        bytes.reserveCapacity(Self.encodedSize)
        bytes.append(version)
        switch kdf.algorithm {
        case .scrypt(let n, let r, let p):
            bytes.append(Self.scryptID)
            // N is at most 2^20 by policy, so u32 is plenty; validated before encoding.
            appendBigEndian(UInt32(truncatingIfNeeded: n), to: &bytes)
            appendBigEndian(r, to: &bytes)
            appendBigEndian(p, to: &bytes)
        case .pbkdf2SHA256(let iterations):
            bytes.append(Self.pbkdf2SHA256ID)
            appendBigEndian(iterations, to: &bytes)
            bytes.append(contentsOf: repeatElement(0, count: 8))
        }
        bytes.append(contentsOf: salt)
        bytes.append(contentsOf: nonce)
        appendBigEndian(UInt32(ciphertextLength), to: &bytes)
        assert(bytes.count == Self.encodedSize)
        return bytes
    }

    /// Parses and checks the header at the start of a whole vault file.
    ///
    /// Checks, in order: magic, version, KDF id, KDF policy (floor/ceiling), and that the
    /// file is exactly as long as the header announces. Never derives a key.
    public static func parse(_ file: [UInt8]) throws -> VaultHeader {
        let magicLength = magic.count
        guard file.count >= magicLength else {
            // A short prefix of the magic is a cut-off vault; anything else is a foreign file.
            if file.elementsEqual(magic.prefix(file.count)) {
                throw VaultError.truncated(size: file.count, expectedAtLeast: encodedSize + tagSize)
            }
            throw VaultError.notAVaultFile
        }
        guard file[0..<magicLength].elementsEqual(magic) else { throw VaultError.notAVaultFile }
        guard file.count > versionOffset else {
            throw VaultError.truncated(size: file.count, expectedAtLeast: encodedSize + tagSize)
        }
        let version = file[versionOffset]
        guard version == currentVersion else { throw VaultError.unsupportedVersion(version) }
        guard file.count >= encodedSize else {
            throw VaultError.truncated(size: file.count, expectedAtLeast: encodedSize + tagSize)
        }

        let kdf: KDFParameters
        let p0 = kdfParametersOffset
        switch file[kdfIDOffset] {
        case scryptID:
            kdf = .scrypt(
                n: UInt64(readBigEndian(file, at: p0)),
                r: readBigEndian(file, at: p0 + 4),
                p: readBigEndian(file, at: p0 + 8))
        case pbkdf2SHA256ID:
            guard file[(p0 + 4)..<(p0 + 12)].allSatisfy({ $0 == 0 }) else {
                throw VaultError.invalidKDFParameters(reason: "reserved PBKDF2 parameter bytes are not zero")
            }
            kdf = .pbkdf2(iterations: readBigEndian(file, at: p0))
        case let id:
            throw VaultError.unknownKDF(id)
        }
        try kdf.validate()

        let header = VaultHeader(
            version: version, kdf: kdf,
            salt: Array(file[saltOffset..<(saltOffset + saltSize)]),
            nonce: Array(file[nonceOffset..<(nonceOffset + nonceSize)]),
            ciphertextLength: Int(readBigEndian(file, at: lengthOffset) as UInt32))
        guard file.count >= header.fileSize else {
            throw VaultError.truncated(size: file.count, expectedAtLeast: header.fileSize)
        }
        guard file.count == header.fileSize else {
            throw VaultError.malformed(reason: "\(file.count - header.fileSize) unexpected bytes after the tag")
        }
        return header
    }
}

private func appendBigEndian(_ value: UInt32, to bytes: inout [UInt8]) {
    bytes.append(UInt8(truncatingIfNeeded: value >> 24))
    bytes.append(UInt8(truncatingIfNeeded: value >> 16))
    bytes.append(UInt8(truncatingIfNeeded: value >> 8))
    bytes.append(UInt8(truncatingIfNeeded: value))
}

private func readBigEndian(_ bytes: [UInt8], at offset: Int) -> UInt32 {
    bytes[offset..<(offset + 4)].reduce(0) { ($0 << 8) | UInt32($1) }
}
