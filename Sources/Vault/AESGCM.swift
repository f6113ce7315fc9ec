internal import COpenSSL

/// AES-256-GCM seal/open over OpenSSL EVP, one `CipherContext` per operation.
enum AESGCM {
    /// Encrypts `plaintext`; returns ciphertext (same length) and the 16-byte tag.
    static func seal(
        _ plaintext: UnsafeRawBufferPointer, key: SecureBytes, nonce: [UInt8], aad: [UInt8]
    ) throws -> (ciphertext: [UInt8], tag: [UInt8]) {
        precondition(key.count == KeyDerivation.keySize && nonce.count == VaultHeader.nonceSize)
        let context = try CipherContext()
        let ctx = context.pointer
        guard EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nil, nil, nil) == 1 else {
            throw OpenSSLError.failure("EVP_EncryptInit_ex(aes-256-gcm)")
        }
        guard pingate_gcm_set_ivlen(ctx, Int32(nonce.count)) == 1 else {
            throw OpenSSLError.failure("set GCM IV length")
        }
        let rc = key.withUnsafeBytes { key in
            EVP_EncryptInit_ex(ctx, nil, nil, key.baseAddress?.assumingMemoryBound(to: UInt8.self), nonce)
        }
        guard rc == 1 else { throw OpenSSLError.failure("EVP_EncryptInit_ex(key, nonce)") }

        var outLength: Int32 = 0
        guard EVP_EncryptUpdate(ctx, nil, &outLength, aad, Int32(aad.count)) == 1 else {
            throw OpenSSLError.failure("EVP_EncryptUpdate(aad)")
        }
        // GCM is a stream mode: ciphertext length == plaintext length, no padding.
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count)
        var written = 0
        if !plaintext.isEmpty {
            let rc = ciphertext.withUnsafeMutableBufferPointer { out in
                EVP_EncryptUpdate(
                    ctx, out.baseAddress, &outLength,
                    plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(plaintext.count))
            }
            guard rc == 1 else { throw OpenSSLError.failure("EVP_EncryptUpdate") }
            written = Int(outLength)
        }
        let finalRC = ciphertext.withUnsafeMutableBufferPointer { out in
            EVP_EncryptFinal_ex(ctx, out.baseAddress.map { $0 + written }, &outLength)
        }
        guard finalRC == 1, written + Int(outLength) == plaintext.count else {
            throw OpenSSLError.failure("EVP_EncryptFinal_ex")
        }
        var tag = [UInt8](repeating: 0, count: VaultHeader.tagSize)
        guard pingate_gcm_get_tag(ctx, &tag, Int32(tag.count)) == 1 else {
            throw OpenSSLError.failure("get GCM tag")
        }
        return (ciphertext, tag)
    }

    /// Decrypts and authenticates into `output` (ciphertext-sized, caller wipes it).
    ///
    /// Throws `.wrongPassphraseOrModified` when the tag does not verify: with GCM a wrong
    /// key and a modified file are indistinguishable, and saying which would help an attacker.
    static func open(
        _ ciphertext: ArraySlice<UInt8>, tag: ArraySlice<UInt8>, key: SecureBytes, nonce: [UInt8],
        aad: ArraySlice<UInt8>, into output: UnsafeMutableRawBufferPointer
    ) throws {
        precondition(output.count == ciphertext.count && tag.count == VaultHeader.tagSize)
        let context = try CipherContext()
        let ctx = context.pointer
        guard EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nil, nil, nil) == 1 else {
            throw OpenSSLError.failure("EVP_DecryptInit_ex(aes-256-gcm)")
        }
        guard pingate_gcm_set_ivlen(ctx, Int32(nonce.count)) == 1 else {
            throw OpenSSLError.failure("set GCM IV length")
        }
        let rc = key.withUnsafeBytes { key in
            EVP_DecryptInit_ex(ctx, nil, nil, key.baseAddress?.assumingMemoryBound(to: UInt8.self), nonce)
        }
        guard rc == 1 else { throw OpenSSLError.failure("EVP_DecryptInit_ex(key, nonce)") }

        var outLength: Int32 = 0
        let aadRC = aad.withUnsafeBufferPointer { aad in
            EVP_DecryptUpdate(ctx, nil, &outLength, aad.baseAddress, Int32(aad.count))
        }
        guard aadRC == 1 else { throw OpenSSLError.failure("EVP_DecryptUpdate(aad)") }
        var written = 0
        if !ciphertext.isEmpty {
            let rc = ciphertext.withUnsafeBufferPointer { input in
                EVP_DecryptUpdate(
                    ctx, output.baseAddress?.assumingMemoryBound(to: UInt8.self), &outLength,
                    input.baseAddress, Int32(input.count))
            }
            guard rc == 1 else { throw OpenSSLError.failure("EVP_DecryptUpdate") }
            written = Int(outLength)
        }
        let tagRC = tag.withUnsafeBufferPointer { tag in
            pingate_gcm_set_tag(ctx, tag.baseAddress, Int32(tag.count))
        }
        guard tagRC == 1 else { throw OpenSSLError.failure("set GCM tag") }
        let finalRC = EVP_DecryptFinal_ex(
            ctx, output.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) + written }, &outLength)
        guard finalRC == 1 else {
            // A failed tag check leaves nothing useful on the queue; do not let it linger
            // and be misattributed to a later, unrelated OpenSSL call.
            ERR_clear_error()
            throw VaultError.wrongPassphraseOrModified
        }
    }
}
