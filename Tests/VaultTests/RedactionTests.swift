import Testing

@testable import Vault

@Suite("Secrets never print")
struct RedactionTests {
    @Test("SecretValue, Passphrase and VaultContents render as <redacted>")
    func redactedRendering() throws {
        let secret = SecretValue(canary)
        #expect(secret.description == "<redacted>")
        #expect(secret.debugDescription == "<redacted>")
        #expect("\(secret)" == "<redacted>")
        #expect(Passphrase(canary).description == "<redacted>")
        expectNoCanary(secret)
        expectNoCanary(Passphrase(canary))
        expectNoCanary(Fixture.contents)
        #expect(secret.revealed == canary)
        #expect(secret.byteCount == canary.utf8.count)
    }

    @Test("SecretValue equality compares contents")
    func equality() {
        #expect(SecretValue("abc") == SecretValue(bytes: Array("abc".utf8)))
        #expect(SecretValue("abc") != SecretValue("abd"))
        #expect(SecretValue("abc") != SecretValue("abcd"))
        #expect(SecretValue("") == SecretValue(bytes: []))
    }

    @Test("error descriptions never contain the canary secret")
    func errorsDoNotLeak() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("canary.vault")
        var sealed = try Fixture.sealed()  // holds the canary as a value
        try writeFile(sealed, to: path, mode: 0o644)

        var errors: [VaultError] = []
        func collect(_ body: () throws -> Void) {
            do { try body() } catch let error as VaultError { errors.append(error) } catch {
                Issue.record("unexpected \(error)")
            }
        }
        collect { _ = try VaultFile.open(at: path, passphrase: Fixture.passphrase) }  // permissions
        collect { _ = try VaultFile.decrypt(sealed, passphrase: Passphrase(canary)) }  // wrong passphrase
        sealed[sealed.count - 1] ^= 1
        collect { _ = try VaultFile.decrypt(sealed, passphrase: Fixture.passphrase) }  // tampered
        collect { _ = try VaultFile.decrypt(Array(sealed.prefix(40)), passphrase: Passphrase(canary)) }
        var contents = Fixture.contents
        collect { _ = try contents.value(named: "missing") }
        collect { try contents.remove("missing") }
        // Swapped arguments: the secret passed where a name belongs.
        collect { try contents.set(canary + " with space", to: SecretValue("x")) }
        collect { try VaultFile.save(contents, to: dir.path + "/no/such/dir/v", passphrase: Passphrase(canary)) }

        #expect(errors.count == 8)
        for error in errors {
            expectNoCanary(error)
            #expect(!error.description.isEmpty && !error.description.contains("\n"))
        }
    }
}
