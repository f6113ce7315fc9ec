import Testing

@testable import Vault

@Suite("VaultContents and entry names")
struct VaultContentsTests {
    @Test("default entry names")
    func defaults() {
        #expect(VaultEntryName.defaults == ["api_key", "secret_key"])
        #expect(VaultEntryName.defaults.allSatisfy(VaultEntryName.isValid))
    }

    @Test("valid names", arguments: ["a", "api_key", "secret_key", "A.b-c_9", String(repeating: "x", count: 64)])
    func validNames(name: String) {
        #expect(VaultEntryName.isValid(name))
    }

    @Test("invalid names", arguments: ["", " ", "a b", "a/b", "é", "key\n", "tab\t", String(repeating: "x", count: 65)])
    func invalidNames(name: String) {
        #expect(!VaultEntryName.isValid(name))
        var contents = VaultContents()
        expectVaultError("invalidEntryName") { try contents.set(name, to: SecretValue("v")) }
        #expect(contents.isEmpty)
    }

    @Test("set, subscript, sorted names, remove")
    func mutation() throws {
        var contents = VaultContents()
        try contents.set("zeta", to: SecretValue("1"))
        try contents.set("Alpha", to: SecretValue("2"))
        try contents.set("beta", to: SecretValue("3"))
        try contents.set("beta", to: SecretValue("4"))
        #expect(contents.names == ["Alpha", "beta", "zeta"])
        #expect(contents.count == 3)
        #expect(contents["beta"] == SecretValue("4"))
        #expect(contents["nope"] == nil)
        #expect(try contents.remove("zeta") == SecretValue("1"))
        #expect(contents.names == ["Alpha", "beta"])
        let error = expectVaultError("entryNotFound") { try contents.remove("zeta") }
        #expect(error == .entryNotFound(name: "zeta"))
        expectVaultError("entryNotFound") { _ = try contents.value(named: "zeta") }
    }

    @Test("payload encoding round-trips without a KDF")
    func payloadRoundTrip() throws {
        var contents = VaultContents()
        try contents.set("b", to: SecretValue(bytes: [0, 1, 2]))
        try contents.set("a", to: SecretValue(""))
        try contents.set("c", to: SecretValue(canary))
        let decoded = try PayloadCodec.withEncoded(contents) { payload in
            #expect(Array(payload.prefix(4)) == [0, 0, 0, 3])
            #expect(payload[4] == 1 && payload[5] == UInt8(ascii: "a"))
            return try PayloadCodec.decode(payload)
        }
        #expect(decoded == contents)
    }

    @Test("payload decoding rejects unsorted, duplicate or overrunning entries")
    func payloadRejects() throws {
        let entryA: [UInt8] = [1, 0x61, 0, 0, 0, 1, 0x78]
        let entryB: [UInt8] = [1, 0x62, 0, 0, 0, 1, 0x79]
        let cases: [[UInt8]] = [
            [0, 0, 0, 2] + entryB + entryA,  // unsorted
            [0, 0, 0, 2] + entryA + entryA,  // duplicate
            [0, 0, 0, 1] + [1, 0x61, 0, 0, 0, 9, 0x78],  // value overruns
            [0, 0, 0, 1] + entryA + [0],  // trailing byte
            [0, 0, 0, 1] + [1, 0x20, 0, 0, 0, 0],  // invalid name
            [0, 0],  // short count
        ]
        for payload in cases {
            expectVaultError("malformed") {
                _ = try payload.withUnsafeBytes { try PayloadCodec.decode($0) }
            }
        }
    }
}
