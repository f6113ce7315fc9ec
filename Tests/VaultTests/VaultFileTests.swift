import Foundation
import Testing

@testable import Vault

@Suite("VaultFile create/open/save", .timeLimit(.minutes(1)))
struct VaultFileTests {
    @Test("round trip: two entries saved and opened again")
    func roundTrip() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("secrets.vault")
        var contents = VaultContents()
        try contents.set(VaultEntryName.apiKey, to: SecretValue(canary))
        try contents.set(VaultEntryName.secretKey, to: SecretValue(bytes: [0x00, 0xff, 0x10]))
        try VaultFile.save(contents, to: path, passphrase: Fixture.passphrase)

        let opened = try VaultFile.open(at: path, passphrase: Fixture.passphrase)
        #expect(opened == contents)
        #expect(opened.names == ["api_key", "secret_key"])
        #expect(opened[VaultEntryName.apiKey]?.revealed == canary)
        #expect(try opened.value(named: VaultEntryName.secretKey).withRevealedBytes { Array($0) } == [0x00, 0xff, 0x10])
        #expect(try permissions(of: path) == 0o600)
        #expect(try dir.listing() == ["secrets.vault"])
    }

    @Test("wrong passphrase is reported as such")
    func wrongPassphrase() throws {
        let bytes = try Fixture.sealed()
        let error = expectVaultError("wrongPassphraseOrModified") {
            _ = try VaultFile.decrypt(bytes, passphrase: Fixture.wrongPassphrase)
        }
        #expect(error?.description == "wrong passphrase or the vault file was modified")
    }

    @Test("empty passphrase is refused before any work")
    func emptyPassphrase() throws {
        expectVaultError("emptyPassphrase") {
            _ = try VaultFile.encrypt(VaultContents(), passphrase: Passphrase(""))
        }
        expectVaultError("emptyPassphrase") {
            _ = try VaultFile.decrypt(try Fixture.sealed(), passphrase: Passphrase(bytes: []))
        }
    }

    @Test("readHeader returns the KDF parameters that were written")
    func headerReadBack() throws {
        let dir = try TemporaryDirectory()
        let scryptPath = dir.file("scrypt.vault")
        try writeFile(try Fixture.sealed(), to: scryptPath)
        let header = try VaultFile.readHeader(at: scryptPath)
        #expect(header.version == 1)
        #expect(header.kdf == .default)
        #expect(header.kdf == .scrypt(n: 1 << 17, r: 8, p: 1))
        #expect(header.salt.count == 16)
        #expect(header.nonce.count == 12)
        #expect(header.fileSize == (try Fixture.sealed()).count)

        // Second KDF id: PBKDF2 at the floor, written and read back, then opened.
        let pbkdf2Path = dir.file("pbkdf2.vault")
        let pbkdf2 = KDFParameters.pbkdf2(iterations: 600_000)
        try VaultFile.save(Fixture.contents, to: pbkdf2Path, passphrase: Fixture.passphrase, kdf: pbkdf2)
        #expect(try VaultFile.readHeader(at: pbkdf2Path).kdf == pbkdf2)
        #expect(try VaultFile.open(at: pbkdf2Path, passphrase: Fixture.passphrase) == Fixture.contents)
    }

    @Test("salt and nonce are fresh on every write")
    func freshSaltAndNonce() throws {
        let a = try VaultHeader.parse(try Fixture.sealed())
        let dir = try TemporaryDirectory()
        let path = dir.file("v")
        try VaultFile.create(at: path, passphrase: Fixture.passphrase)
        let b = try VaultFile.readHeader(at: path)
        #expect(a.salt != b.salt)
        #expect(a.nonce != b.nonce)
    }

    @Test("create refuses an existing file unless forced, and force overwrites")
    func createAndForce() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("secrets.vault")
        let original = try Fixture.sealed()
        try writeFile(original, to: path)

        let error = expectVaultError("fileExists") {
            try VaultFile.create(at: path, passphrase: Fixture.passphrase)
        }
        #expect(error == .fileExists(path: path))
        #expect(try readFile(path) == original)

        try VaultFile.create(at: path, passphrase: Fixture.passphrase, force: true)
        let header = try VaultFile.readHeader(at: path)
        // An empty payload is just the 4-byte entry count.
        #expect(header.ciphertextLength == 4)
        #expect(try readFile(path) != original)
        #expect(try permissions(of: path) == 0o600)
        #expect(try dir.listing() == ["secrets.vault"])
    }

    @Test("create makes an empty 0600 vault that opens")
    func createEmpty() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("new.vault")
        try VaultFile.create(at: path, passphrase: Fixture.passphrase)
        #expect(try permissions(of: path) == 0o600)
        let contents = try VaultFile.open(at: path, passphrase: Fixture.passphrase)
        #expect(contents.isEmpty)
    }

    @Test("a vault readable by group or others is refused, naming the mode", arguments: [0o644, 0o640, 0o604, 0o660, 0o606])
    func insecurePermissions(mode: Int) throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("secrets.vault")
        try writeFile(try Fixture.sealed(), to: path, mode: mode)
        let error = expectVaultError("insecurePermissions") {
            _ = try VaultFile.open(at: path, passphrase: Fixture.passphrase)
        }
        #expect(error == .insecurePermissions(path: path, mode: UInt32(mode)))
        #expect(error?.description.contains(String(mode, radix: 8)) == true)
        expectVaultError("insecurePermissions") { _ = try VaultFile.readHeader(at: path) }
    }

    @Test("owner-only modes other than 0600 are accepted")
    func ownerOnlyModes() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("secrets.vault")
        try writeFile(try Fixture.sealed(), to: path, mode: 0o400)
        #expect(try VaultFile.readHeader(at: path).kdf == .default)
    }

    @Test("missing file, directory and foreign file are distinct errors")
    func missingAndForeignFiles() throws {
        let dir = try TemporaryDirectory()
        let missing = dir.file("nope.vault")
        let error = expectVaultError("fileNotFound") {
            _ = try VaultFile.open(at: missing, passphrase: Fixture.passphrase)
        }
        #expect(error == .fileNotFound(path: missing))

        let folder = dir.file("folder")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        expectVaultError("notRegularFile") { _ = try VaultFile.readHeader(at: folder) }

        let foreign = dir.file("foreign")
        try writeFile(Array("-----BEGIN OPENSSH PRIVATE KEY-----\n".utf8), to: foreign)
        expectVaultError("notAVaultFile") { _ = try VaultFile.readHeader(at: foreign) }

        let huge = dir.file("huge")
        try writeFile([UInt8](repeating: 0, count: VaultFile.maximumFileSize + 1), to: huge)
        expectVaultError("fileTooLarge") { _ = try VaultFile.readHeader(at: huge) }
    }

    @Test("successful save replaces the content atomically and leaves no temp files")
    func atomicSaveSuccess() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("secrets.vault")
        try writeFile(try Fixture.sealed(), to: path)

        var updated = VaultContents()
        try updated.set("only_entry", to: SecretValue("new value"))
        try VaultFile.save(updated, to: path, passphrase: Fixture.passphrase)

        #expect(try permissions(of: path) == 0o600)
        #expect(try dir.listing() == ["secrets.vault"])
        #expect(try VaultFile.open(at: path, passphrase: Fixture.passphrase) == updated)
    }

    @Test("a save that fails after writing the temp file cleans up and reports I/O")
    func atomicSaveFailureAtRename() throws {
        let dir = try TemporaryDirectory()
        // rename(2) cannot replace a non-empty directory: the failure happens after the
        // temp file was written and fsynced, the latest point a save can fail.
        let target = dir.file("secrets.vault")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
        try writeFile([1, 2, 3], to: target + "/keep")

        let error = expectVaultError("io") {
            try VaultFile.save(Fixture.contents, to: target, passphrase: Fixture.passphrase)
        }
        if case .io(let operation, _, _)? = error { #expect(operation == "rename") }
        #expect(try dir.listing() == ["secrets.vault"])
        #expect(try readFile(target + "/keep") == [1, 2, 3])
    }

    @Test("a save rejected before writing leaves the previous vault intact")
    func atomicSaveFailureBeforeWrite() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("secrets.vault")
        let original = try Fixture.sealed()
        try writeFile(original, to: path)

        var bad = Fixture.contents
        bad.entries["not a valid name"] = SecretValue(canary)
        expectVaultError("invalidEntryName") {
            try VaultFile.save(bad, to: path, passphrase: Fixture.passphrase)
        }
        expectVaultError("kdfParametersTooWeak") {
            try VaultFile.save(Fixture.contents, to: path, passphrase: Fixture.passphrase, kdf: .scrypt(n: 1 << 14, r: 8, p: 1))
        }
        #expect(try readFile(path) == original)
        #expect(try dir.listing() == ["secrets.vault"])
    }

    @Test(
        "a save into a read-only folder fails and leaves the previous vault intact",
        .enabled(if: geteuid() != 0, "root ignores directory permissions")
    )
    func atomicSaveFailureReadOnlyFolder() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("secrets.vault")
        let original = try Fixture.sealed()
        try writeFile(original, to: path)
        try FileManager.default.setAttributes([.posixPermissions: 0o500], ofItemAtPath: dir.path)
        expectVaultError("io") {
            try VaultFile.save(Fixture.contents, to: path, passphrase: Fixture.passphrase)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: dir.path)
        #expect(try readFile(path) == original)
        #expect(try dir.listing() == ["secrets.vault"])
    }
}
