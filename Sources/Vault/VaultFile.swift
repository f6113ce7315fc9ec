internal import COpenSSL

/// Reads and writes encrypted vault files.
///
/// A caseless namespace: a vault on disk has no state worth holding between calls, and
/// every operation re-checks permissions and re-derives the key. Every error thrown is a
/// `VaultError`. See `VaultHeader` for the byte layout and `PayloadCodec` for the
/// plaintext encoding.
public enum VaultFile {
    /// Largest vault file accepted (1 MiB); a secrets file is a few hundred bytes, and the
    /// bound keeps a wrong path (a log, a disk image) from being slurped into memory.
    public static let maximumFileSize = 1 << 20

    /// Creates an empty vault at `path` with mode 0600.
    ///
    /// Refuses an existing file unless `force` (checked before the slow key derivation,
    /// and again atomically when the file is linked into place).
    public static func create(
        at path: String, passphrase: Passphrase, force: Bool = false, kdf: KDFParameters = .default
    ) throws {
        if !force, SecureFileIO.exists(path) { throw VaultError.fileExists(path: path) }
        let bytes = try encrypt(VaultContents(), passphrase: passphrase, kdf: kdf)
        try SecureFileIO.writeAtomically(bytes, to: path, replace: force)
    }

    /// Opens the vault at `path`: checks permissions, parses and checks the header,
    /// derives the key and decrypts.
    public static func open(at path: String, passphrase: Passphrase) throws -> VaultContents {
        let bytes = try SecureFileIO.readPrivateFile(at: path, limit: maximumFileSize)
        return try decrypt(bytes, passphrase: passphrase)
    }

    /// Atomically replaces (or creates) the vault at `path` with `contents`, using a fresh
    /// salt and nonce. On failure the previous file is left untouched.
    public static func save(
        _ contents: VaultContents, to path: String, passphrase: Passphrase, kdf: KDFParameters = .default
    ) throws {
        let bytes = try encrypt(contents, passphrase: passphrase, kdf: kdf)
        try SecureFileIO.writeAtomically(bytes, to: path, replace: true)
    }

    /// Parses the header of the vault at `path` without a passphrase (for `vault info`).
    /// Applies the same permission, structure and KDF-policy checks as `open`.
    public static func readHeader(at path: String) throws -> VaultHeader {
        let bytes = try SecureFileIO.readPrivateFile(at: path, limit: maximumFileSize)
        return try VaultHeader.parse(bytes)
    }

    /// Encrypts `contents` into the bytes of a complete vault file (no I/O).
    public static func encrypt(_ contents: VaultContents, passphrase: Passphrase, kdf: KDFParameters = .default) throws -> [UInt8] {
        try kdf.validate()
        guard !passphrase.isEmpty else { throw VaultError.emptyPassphrase }
        return try PayloadCodec.withEncoded(contents) { payload in
            guard VaultHeader.encodedSize + payload.count + VaultHeader.tagSize <= maximumFileSize else {
                throw VaultError.malformed(reason: "contents exceed the \(maximumFileSize)-byte file limit")
            }
            let header = VaultHeader(
                kdf: kdf,
                salt: try randomBytes(VaultHeader.saltSize),
                nonce: try randomBytes(VaultHeader.nonceSize),
                ciphertextLength: payload.count)
            let aad = header.encoded()
            let key = try KeyDerivation.deriveKey(passphrase: passphrase, salt: header.salt, parameters: kdf)
            let (ciphertext, tag) = try AESGCM.seal(payload, key: key, nonce: header.nonce, aad: aad)
            return aad + ciphertext + tag
        }
    }

    /// Decrypts the bytes of a complete vault file (no I/O, no permission check).
    public static func decrypt(_ file: [UInt8], passphrase: Passphrase) throws -> VaultContents {
        let header = try VaultHeader.parse(file)
        guard !passphrase.isEmpty else { throw VaultError.emptyPassphrase }
        let key = try KeyDerivation.deriveKey(passphrase: passphrase, salt: header.salt, parameters: header.kdf)
        let ciphertextStart = VaultHeader.encodedSize
        let tagStart = ciphertextStart + header.ciphertextLength
        return try withWipedScratchBuffer(count: header.ciphertextLength) { plaintext in
            try AESGCM.open(
                file[ciphertextStart..<tagStart], tag: file[tagStart...], key: key, nonce: header.nonce,
                aad: file[0..<ciphertextStart], into: plaintext)
            return try PayloadCodec.decode(UnsafeRawBufferPointer(plaintext))
        }
    }

    /// Cryptographically secure random bytes (salt, nonce) from OpenSSL's DRBG.
    static func randomBytes(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&bytes, Int32(count)) == 1 else { throw OpenSSLError.failure("RAND_bytes") }
        return bytes
    }
}
