import Foundation
import Testing

@testable import Vault

@Suite("Client tokens in the vault", .timeLimit(.minutes(2)))
struct ClientTokenTests {
    static let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

    @Test("issue: pgt_ and 43 base64url characters from 32 random bytes; the record holds its SHA-256")
    func issueFormat() throws {
        let (record, token) = try ClientToken.issue(name: "ci-reader", created: 1_700_000_000)
        let text = token.revealed
        #expect(text.hasPrefix("pgt_"))
        #expect(text.count == 4 + 43)
        #expect(text.dropFirst(4).allSatisfy(Self.alphabet.contains))
        #expect(record.digest == TokenDigest(of: text))
        #expect(record.digest.bytes == SHA256Hasher.digest(Array(text.utf8)))
        let (other, otherToken) = try ClientToken.issue(name: "ci-reader", created: 1_700_000_000)
        #expect(otherToken.revealed != text)
        #expect(other.digest != record.digest)
        #expect(String(describing: token) == "<redacted>")
    }

    @Test("base64url matches Foundation's base64 with the URL alphabet and no padding")
    func base64URL() {
        for length in [0, 1, 2, 3, 4, 31, 32, 33] {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 97 &+ 251) }
            var out = [UInt8](repeating: 0, count: Base64URL.encodedCount(length))
            out.withUnsafeMutableBytes { Base64URL.encode(bytes, into: $0) }
            let expected = Data(bytes).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            #expect(String(decoding: out, as: UTF8.self) == expected, "\(length) bytes")
        }
    }

    @Test("the token table round-trips through an encrypted vault file, and the file never holds the token")
    func roundTrip() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("v.pgv")
        let passphrase = Passphrase("token table test")
        try VaultFile.create(at: path, passphrase: passphrase)
        let (reader, readerToken) = try ClientToken.issue(
            name: "ci-reader", profile: "ro", rules: ["GET,HEAD /api/pinning/"], rate: "10/s", burst: 20,
            created: 1_700_000_000, expires: 1_700_086_400
        )
        let (admin, _) = try ClientToken.issue(name: "admin", created: 1_700_000_001)
        var contents = try VaultFile.open(at: path, passphrase: passphrase)
        try contents.set("api_key", to: SecretValue(canary))
        try contents.setClientTokens([reader, admin])
        try VaultFile.save(contents, to: path, passphrase: passphrase)

        let reopened = try VaultFile.open(at: path, passphrase: passphrase)
        let tokens = try reopened.clientTokens()
        #expect(tokens == [admin, reader], "sorted by name")
        #expect(tokens.last?.rules == ["GET,HEAD /api/pinning/"])
        #expect(reopened.names == ["_pingate.tokens", "api_key"])
        let plaintext = try #require(reopened[ClientTokenTable.entryName]).revealed
        #expect(!plaintext.contains(readerToken.revealed))
        #expect(plaintext.contains(SHA256Hasher.hex(reader.digest.bytes)))
        let file = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(file.range(of: Data(readerToken.revealed.utf8)) == nil)

        var emptied = reopened
        try emptied.setClientTokens([])
        #expect(emptied.names == ["api_key"])
        #expect(try emptied.clientTokens().isEmpty)
    }

    @Test("printing a record or a digest never shows the digest")
    func redaction() throws {
        let (record, _) = try ClientToken.issue(name: "ci", rules: ["GET /x"], created: 1)
        let hex = SHA256Hasher.hex(record.digest.bytes)
        var dumped = ""
        dump(record, to: &dumped)
        for text in [String(describing: record), String(reflecting: record), "\(record.digest)", dumped] {
            #expect(!text.contains(hex))
            #expect(!text.contains(String(hex.prefix(16))))
        }
        #expect(String(describing: record).contains("ci"))
    }

    @Test("a damaged table is refused with one line naming the line")
    func malformed() throws {
        let digest = String(repeating: "ab", count: 32)
        for (text, fragment) in [
            ("nonsense\n", "does not start"),
            ("pingate-tokens 1\nci\t\(digest)\t\t\t\t1\n", "at least 7 fields"),
            ("pingate-tokens 1\nci\tzz\t\t\t\t1\t\n", "line 2: the digest"),
            ("pingate-tokens 1\nci\t\(digest)\t\t\t\tsoon\t\n", "created"),
            ("pingate-tokens 1\nci\t\(digest)\t\t\t0\t1\t\n", "burst below 1"),
            ("pingate-tokens 1\nbad name\t\(digest)\t\t\t\t1\t\n", "invalid client token name"),
            ("pingate-tokens 1\nci\t\(digest)\t\t\t\t1\t\nci\t\(digest)\t\t\t\t1\t\n", "line 3: a second token"),
        ] {
            var contents = VaultContents()
            contents.entries[ClientTokenTable.entryName] = SecretValue(text)
            #expect {
                _ = try contents.clientTokens()
            } throws: { error in
                String(describing: error).contains(fragment) && !String(describing: error).contains("\n")
            }
        }
    }

    @Test("TokenDigest equality is by value")
    func digestEquality() {
        #expect(TokenDigest(of: "pgt_a") == TokenDigest(of: SecretValue("pgt_a")))
        #expect(TokenDigest(of: "pgt_a") != TokenDigest(of: "pgt_b"))
        #expect(TokenDigest(hex: Substring(String(repeating: "0", count: 63))) == nil)
        #expect(TokenDigest(hex: Substring(String(repeating: "G", count: 64))) == nil)
    }
}
