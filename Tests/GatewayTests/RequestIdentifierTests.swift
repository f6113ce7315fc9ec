import Testing

@testable import Gateway

/// `X-Request-Id`: a client's short printable id is kept; otherwise a fresh 32-hex-digit one, never repeated.
@Suite("Request ids", .timeLimit(.minutes(1)))
struct RequestIdentifierTests {
    @Test("generated ids are 32 lowercase hex digits, share the process prefix and never repeat")
    func generated() {
        let ids = (0..<1000).map { _ in RequestIdentifier.generate() }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            #expect(id.utf8.count == 32)
            #expect(id.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) })
        }
        #expect(Set(ids.map { $0.prefix(16) }).count == 1)
        // The sequence half counts up.
        let first = UInt64(ids[0].suffix(16), radix: 16)!, second = UInt64(ids[1].suffix(16), radix: 16)!
        #expect(second > first)
    }

    @Test("a client's id is kept when short printable ASCII, replaced otherwise")
    func clientValues() {
        #expect(RequestIdentifier.resolve("abc-123") == "abc-123")
        for bad in ["", String(repeating: "x", count: 129), "has space", "tab\there", "ünïcode"] {
            #expect(RequestIdentifier.resolve(bad).utf8.count == 32, "\(bad)")
        }
        #expect(RequestIdentifier.resolve(nil).utf8.count == 32)
    }
}
