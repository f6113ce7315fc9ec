import Testing

@testable import Vault

/// Every byte of a vault file is either checked structurally or authenticated by GCM.
@Suite("Tampering, truncation and header policy", .timeLimit(.minutes(1)))
struct TamperingTests {
    /// Flips one bit and decrypts with the correct passphrase.
    private func decryptFlipped(byte offset: Int, bit: UInt8 = 0x01) throws -> VaultError? {
        var bytes = try Fixture.sealed()
        bytes[offset] ^= bit
        var thrown: VaultError?
        do {
            _ = try VaultFile.decrypt(bytes, passphrase: Fixture.passphrase)
        } catch let error as VaultError {
            thrown = error
        }
        if let thrown { expectNoCanary(thrown) }
        return thrown
    }

    @Test("flipped bit in the magic → not a vault file")
    func flipMagic() throws {
        for offset in [0, 7, 12] {
            #expect(try decryptFlipped(byte: offset)?.kind == "notAVaultFile")
        }
    }

    @Test("flipped bit in the version → unsupported version")
    func flipVersion() throws {
        #expect(try decryptFlipped(byte: 13, bit: 0x80) == .unsupportedVersion(0x81))
    }

    @Test("flipped bit in the KDF id → unknown KDF")
    func flipKDFID() throws {
        // 1 ^ 0x04 = 5: not a known id.
        #expect(try decryptFlipped(byte: 14, bit: 0x04) == .unknownKDF(5))
    }

    @Test("flipped bits in the KDF parameters → refused by policy before derivation")
    func flipKDFParametersOutOfPolicy() throws {
        // N = 2^17 lives in bytes 15...18 (big-endian): byte 16 holds 0x02.
        #expect(try decryptFlipped(byte: 15, bit: 0x80)?.kind == "kdfParametersTooHigh")  // N = 2^31 + 2^17
        #expect(try decryptFlipped(byte: 16, bit: 0x02)?.kind == "kdfParametersTooWeak")  // N = 0
        #expect(try decryptFlipped(byte: 16, bit: 0x01)?.kind == "invalidKDFParameters")  // N = 3·2^16
        #expect(try decryptFlipped(byte: 26, bit: 0x01)?.kind == "kdfParametersTooWeak")  // p = 0
    }

    @Test("flipped bit in an in-policy KDF parameter → authentication failure")
    func flipKDFParameterInPolicy() throws {
        // r = 8 → 9 (byte 22 is r's low byte) is still within policy, so a key is derived
        // with the wrong cost and the tag check fails.
        #expect(try decryptFlipped(byte: 22) == .wrongPassphraseOrModified)
    }

    @Test("flipped bit in the salt → authentication failure")
    func flipSalt() throws {
        #expect(try decryptFlipped(byte: VaultHeader.saltOffset + 5) == .wrongPassphraseOrModified)
    }

    @Test("flipped bit in the nonce → authentication failure")
    func flipNonce() throws {
        #expect(try decryptFlipped(byte: VaultHeader.nonceOffset + 11) == .wrongPassphraseOrModified)
    }

    @Test("flipped bit in the ciphertext length → size mismatch")
    func flipLength() throws {
        let lowBit = try decryptFlipped(byte: VaultHeader.lengthOffset + 3)
        #expect(lowBit?.kind == "truncated" || lowBit?.kind == "malformed")
        #expect(try decryptFlipped(byte: VaultHeader.lengthOffset, bit: 0x10)?.kind == "truncated")
    }

    @Test("flipped bit in the ciphertext → authentication failure")
    func flipCiphertext() throws {
        #expect(try decryptFlipped(byte: VaultHeader.encodedSize + 3, bit: 0x40) == .wrongPassphraseOrModified)
    }

    @Test("flipped bit in the tag → authentication failure")
    func flipTag() throws {
        let last = try Fixture.sealed().count - 1
        #expect(try decryptFlipped(byte: last, bit: 0x80) == .wrongPassphraseOrModified)
    }

    @Test("truncated at any length → truncated, without deriving a key")
    func truncation() throws {
        let bytes = try Fixture.sealed()
        let ciphertextLength = try VaultHeader.parse(bytes).ciphertextLength
        let lengths = [
            0, 5, 13, 14, 30, VaultHeader.encodedSize - 1, VaultHeader.encodedSize,
            VaultHeader.encodedSize + ciphertextLength / 2,  // mid-ciphertext
            bytes.count - VaultHeader.tagSize,  // tag missing
            bytes.count - 1,
        ]
        for length in lengths {
            // Wrong passphrase: if the truncation went unnoticed we would see an auth failure.
            let error = expectVaultError("truncated") {
                _ = try VaultFile.decrypt(Array(bytes.prefix(length)), passphrase: Fixture.wrongPassphrase)
            }
            #expect(error != nil, "length \(length)")
        }
    }

    @Test("trailing bytes after the tag → malformed")
    func trailingBytes() throws {
        expectVaultError("malformed") {
            _ = try VaultFile.decrypt(try Fixture.sealed() + [0], passphrase: Fixture.wrongPassphrase)
        }
    }

    @Test("unknown version → refused")
    func unknownVersion() throws {
        var bytes = try Fixture.sealed()
        bytes[13] = 2
        let error = expectVaultError("unsupportedVersion") {
            _ = try VaultFile.decrypt(bytes, passphrase: Fixture.passphrase)
        }
        #expect(error == .unsupportedVersion(2))
        // Even a file cut right after the unknown version byte reports the version.
        expectVaultError("unsupportedVersion") { _ = try VaultHeader.parse(Array(bytes.prefix(14))) }
    }

    /// A syntactically valid header with chosen KDF bytes, followed by junk ciphertext.
    private func craftedFile(kdfID: UInt8, parameters: [UInt8]) -> [UInt8] {
        var file = VaultHeader.magic + [VaultHeader.currentVersion, kdfID] + parameters
        file += [UInt8](repeating: 0xAA, count: VaultHeader.saltSize + VaultHeader.nonceSize)
        file += [0, 0, 0, 4]  // ciphertext length
        file += [UInt8](repeating: 0x55, count: 4 + VaultHeader.tagSize)
        return file
    }

    private func be32(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)]
    }

    @Test("hand-crafted headers with KDF parameters below the floor are refused before derivation")
    func belowFloor() throws {
        let weak: [(UInt8, [UInt8], KDFParameters)] = [
            (1, be32(1 << 10) + be32(8) + be32(1), .scrypt(n: 1 << 10, r: 8, p: 1)),
            (1, be32(1 << 17) + be32(1) + be32(1), .scrypt(n: 1 << 17, r: 1, p: 1)),
            (1, be32(1 << 17) + be32(8) + be32(0), .scrypt(n: 1 << 17, r: 8, p: 0)),
            (2, be32(1_000) + [UInt8](repeating: 0, count: 8), .pbkdf2(iterations: 1_000)),
            (2, be32(599_999) + [UInt8](repeating: 0, count: 8), .pbkdf2(iterations: 599_999)),
        ]
        for (id, parameters, expected) in weak {
            let file = craftedFile(kdfID: id, parameters: parameters)
            // The junk ciphertext would fail authentication if a key were ever derived;
            // getting the policy error instead shows the check runs first.
            let error = expectVaultError("kdfParametersTooWeak") {
                _ = try VaultFile.decrypt(file, passphrase: Fixture.passphrase)
            }
            #expect(error == .kdfParametersTooWeak(expected))
            #expect(error?.description.contains("below the minimum") == true)
        }
    }

    @Test("hand-crafted headers with absurd KDF parameters are refused before derivation")
    func aboveCeiling() throws {
        let high: [[UInt8]] = [
            be32(1 << 22) + be32(8) + be32(1),
            be32(1 << 17) + be32(64) + be32(1),
            be32(1 << 17) + be32(8) + be32(17),
            be32(1 << 20) + be32(16) + be32(1),  // 2 GiB working set
        ]
        for parameters in high {
            expectVaultError("kdfParametersTooHigh") {
                _ = try VaultFile.decrypt(craftedFile(kdfID: 1, parameters: parameters), passphrase: Fixture.passphrase)
            }
        }
        expectVaultError("kdfParametersTooHigh") {
            _ = try VaultFile.decrypt(
                craftedFile(kdfID: 2, parameters: be32(100_000_001) + [UInt8](repeating: 0, count: 8)),
                passphrase: Fixture.passphrase)
        }
        expectVaultError("invalidKDFParameters") {
            _ = try VaultFile.decrypt(
                craftedFile(kdfID: 2, parameters: be32(600_000) + [0, 0, 0, 0, 0, 0, 0, 1]),
                passphrase: Fixture.passphrase)
        }
    }

    @Test("writing with out-of-policy KDF parameters is refused too")
    func writePolicy() throws {
        expectVaultError("kdfParametersTooWeak") {
            _ = try VaultFile.encrypt(Fixture.contents, passphrase: Fixture.passphrase, kdf: .pbkdf2(iterations: 10_000))
        }
        expectVaultError("kdfParametersTooHigh") {
            _ = try VaultFile.encrypt(Fixture.contents, passphrase: Fixture.passphrase, kdf: .scrypt(n: 1 << 30, r: 8, p: 1))
        }
        #expect(throws: Never.self) { try KDFParameters.default.validate() }
        #expect(throws: Never.self) { try KDFParameters.pbkdf2(iterations: 600_000).validate() }
    }
}
