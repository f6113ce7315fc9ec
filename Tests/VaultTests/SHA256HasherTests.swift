import Testing

@testable import Vault

@Suite("SHA256Hasher and constantTimeEquals")
struct SHA256HasherTests {
    static let emptyDigest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    static let abcDigest = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    static let twoBlockDigest = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    static let twoBlockMessage = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"

    @Test("known vectors (FIPS 180-2)")
    func knownVectors() {
        #expect(SHA256Hasher.hexDigest([]) == Self.emptyDigest)
        #expect(SHA256Hasher.hexDigest(Array("abc".utf8)) == Self.abcDigest)
        #expect(SHA256Hasher.hexDigest(Array(Self.twoBlockMessage.utf8)) == Self.twoBlockDigest)
        var hasher = SHA256Hasher()
        #expect(SHA256Hasher.hex(hasher.finalize()) == Self.emptyDigest)
        hasher.update("abc")
        #expect(SHA256Hasher.hex(hasher.finalize()) == Self.abcDigest)
        #expect(SHA256Hasher.digest(Array("abc".utf8)).count == SHA256Hasher.digestSize)
    }

    @Test("streaming in chunks equals one-shot", arguments: [1, 3, 63, 64, 65, 1000])
    func streaming(chunkSize: Int) {
        let message = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        var hasher = SHA256Hasher()
        var start = 0
        while start < message.count {
            let end = min(start + chunkSize, message.count)
            message[start..<end].withUnsafeBytes { hasher.update($0) }
            start = end
        }
        #expect(hasher.finalize() == SHA256Hasher.digest(message))
    }

    @Test("update overloads agree, finalize resets")
    func overloads() {
        var a = SHA256Hasher()
        a.update(Array("ab".utf8))
        a.update("c".utf8)  // non-array Sequence<UInt8>
        var b = SHA256Hasher()
        b.update(("abc".utf8).lazy.map { $0 })  // non-contiguous sequence
        #expect(SHA256Hasher.hex(a.finalize()) == Self.abcDigest)
        #expect(SHA256Hasher.hex(b.finalize()) == Self.abcDigest)
        #expect(SHA256Hasher.hex(a.finalize()) == Self.emptyDigest)
    }

    @Test("copies are independent (copy-on-write of the OpenSSL context)")
    func valueSemantics() {
        var prefix = SHA256Hasher()
        prefix.update("ab")
        var forked = prefix
        forked.update("c")
        prefix.update("cdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
        #expect(SHA256Hasher.hex(forked.finalize()) == Self.abcDigest)
        #expect(SHA256Hasher.hex(prefix.finalize()) == Self.twoBlockDigest)
    }

    @Test("constantTimeEquals")
    func constantTime() {
        #expect(constantTimeEquals([], []))
        #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(!constantTimeEquals([0], []))
    }
}
