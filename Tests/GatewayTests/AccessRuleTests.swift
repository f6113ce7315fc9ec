import PingateCore
import Testing

@Suite("Client token rules (METHODS PREFIX)")
struct AccessRuleTests {
    @Test("parsing: methods upper-cased and sorted in the canonical form, * for any")
    func parsing() throws {
        let rule = try AccessRule(parsing: "get,HEAD /api/pinning/")
        #expect(rule.methods == ["GET", "HEAD"])
        #expect(rule.pathPrefix == "/api/pinning/")
        #expect(rule.description == "GET,HEAD /api/pinning/")
        #expect(try AccessRule(parsing: "*   /").description == "* /")
        #expect(try AccessRule(parsing: "DELETE /api/pinning/unpin/").methods == ["DELETE"])
    }

    @Test("bad rules name what is wrong", arguments: [
        ("GET", AccessRuleError.Kind.shape), ("GET /a /b", .shape), ("", .shape),
        ("GET,,POST /x", .method), ("G(T /x", .method), ("GET api/", .prefix), ("GET /x?y=1", .prefix),
    ])
    func badRules(text: String, kind: AccessRuleError.Kind) {
        #expect {
            _ = try AccessRule(parsing: text)
        } throws: { error in
            (error as? AccessRuleError)?.kind == kind && !String(describing: error).isEmpty
        }
    }

    @Test("matching: method, path prefix, and no dot segments under a narrower prefix")
    func matching() throws {
        let reader = try AccessRule(parsing: "GET,HEAD /api/pinning/")
        #expect(reader.allows(method: "GET", path: "/api/pinning/pins/"))
        #expect(reader.allows(method: "HEAD", path: "/api/pinning/abc"))
        #expect(!reader.allows(method: "POST", path: "/api/pinning/pinByHash"))
        #expect(!reader.allows(method: "GET", path: "/api/pinningx"))
        #expect(!reader.allows(method: "GET", path: "/_pingate/metrics"))
        #expect(!reader.allows(method: "GET", path: "/api/pinning/../other"))
        #expect(!reader.allows(method: "GET", path: "/api/pinning/%2E%2e/other"))
        #expect(!reader.allows(method: "GET", path: "/api/pinning/./x"))
        #expect(reader.allows(method: "GET", path: "/api/pinning/a..b"))
        #expect(AccessRule.everything.allows(method: "PATCH", path: "/api/pinning/../x"))
        #expect(AccessRule.allows([], method: "DELETE", path: "/anything"))
        #expect(AccessRule.allows([reader, try AccessRule(parsing: "* /_pingate/")], method: "POST", path: "/_pingate/cache/purge"))
        #expect(!AccessRule.allows([reader], method: "POST", path: "/_pingate/cache/purge"))
    }
}
