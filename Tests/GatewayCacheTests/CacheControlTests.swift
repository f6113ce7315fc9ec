import HTTPTypes
import Testing

@testable import GatewayCache

@Suite("CacheControl parsing")
struct CacheControlTests {
    @Test func parsesCommonDirectives() {
        let cc = CacheControl(parsing: "max-age=60, s-maxage=30, must-revalidate")
        #expect(cc.maxAge == 60)
        #expect(cc.sharedMaxAge == 30)
        #expect(cc.forbidsStale)
        #expect(!cc.noStore && !cc.noCache && !cc.isPrivate)
    }

    @Test func namesAreCaseInsensitive() {
        let cc = CacheControl(parsing: "MAX-AGE=5, No-Store, PRIVATE")
        #expect(cc.maxAge == 5)
        #expect(cc.noStore)
        #expect(cc.isPrivate)
    }

    @Test func quotedValuesMayContainCommasAndEscapes() {
        let cc = CacheControl(parsing: #"private="Set-Cookie, X-Foo", no-cache="a\"b", max-age="10""#)
        #expect(cc.directives.map(\.name) == ["private", "no-cache", "max-age"])
        #expect(cc.value(of: "private") == "Set-Cookie, X-Foo")
        #expect(cc.value(of: "no-cache") == #"a"b"#)
        #expect(cc.maxAge == 10)
    }

    @Test func invalidDeltaSecondsCountAsZero() {
        #expect(CacheControl(parsing: "max-age=abc").maxAge == 0)
        #expect(CacheControl(parsing: "max-age").maxAge == 0)
        #expect(CacheControl(parsing: "max-age=-1").maxAge == 0)
        #expect(CacheControl(parsing: "no-cache").maxAge == nil)
        #expect(CacheControl(parsing: "max-age=99999999999999999999999").maxAge == CacheControl.maxDeltaSeconds)
    }

    @Test func firstOccurrenceWins() {
        #expect(CacheControl(parsing: "max-age=10, max-age=20").maxAge == 10)
    }

    @Test func toleratesJunk() {
        let cc = CacheControl(parsing: " ,, no-cache junk=, =x , max-age = 7 trailing, empty=, \"no-store")
        #expect(cc.noCache)
        #expect(cc.value(of: "no-cache") == nil)
        #expect(!cc.contains("junk"))  // junk after a directive is skipped up to the comma
        #expect(cc.maxAge == 7)
        #expect(cc.value(of: "empty") == "")
        #expect(!cc.noStore)  // `"no-store` is a name with a quote in it, not no-store
        let unterminated = CacheControl(parsing: #"a="xyz, no-store"#)
        #expect(unterminated.value(of: "a") == "xyz, no-store")
        #expect(!unterminated.noStore)
    }

    @Test func readsAllFieldLines() {
        let cc = CacheControl(fields(["Cache-Control": "public", "cache-control": "s-maxage=3"]))
        #expect(cc.contains("public"))
        #expect(cc.sharedMaxAge == 3)
    }

    /// Random junk never crashes the parser, always yields well-formed directives, and the
    /// canonical serialisation parses back to the same directives.
    @Test func propertyRandomJunkIsHandled() {
        var rng = SplitMix64(seed: 0x5EED_CAC4E)
        let atoms = [
            "a", "Z", "0", "9", " ", "\t", ",", "=", "\"", "\\", ";", "-", "é", "🙂", "\u{0301}", "\u{0}", "\r\n",
            "max-age", "s-maxage", "no-cache", "no-store", "private", "=\"", "\"\\", "\\\"",
        ]
        for _ in 0..<3000 {
            let length = Int.random(in: 0...40, using: &rng)
            var value = ""
            for _ in 0..<length { value += atoms.randomElement(using: &rng)! }

            let parsed = CacheControl(parsing: value)
            for directive in parsed.directives {
                #expect(!directive.name.isEmpty)
                #expect(!directive.name.utf8.contains { [UInt8(ascii: ","), UInt8(ascii: "="), UInt8(ascii: " "), UInt8(ascii: "\t")].contains($0) })
                #expect(!directive.name.utf8.contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") })
            }
            if let maxAge = parsed.maxAge { #expect((0...CacheControl.maxDeltaSeconds).contains(maxAge)) }
            let reparsed = CacheControl(parsing: parsed.description)
            #expect(reparsed.directives == parsed.directives, "round trip of \(value.debugDescription)")
        }
    }
}
