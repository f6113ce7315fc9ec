import HTTPTypes
import Testing

@testable import GatewayCache

@Suite("ResponseCache: the most requested entries")
struct MostRequestedTests {
    @Test("entries are ranked by the requests they answered; never-hit entries are left out; a replaced entry starts over")
    func ranking() {
        let cache = ResponseCache()
        for target in ["/a", "/b", "/c", "/d"] { cache.put(target) }
        for _ in 0..<3 { #expect(cache.get("/b").isFresh) }
        for _ in 0..<5 { #expect(cache.get("/c").isFresh) }
        #expect(cache.get("/a").isFresh)
        #expect(cache.get("/missing").isMiss)

        let top = cache.mostRequested(limit: 10)
        #expect(top.map(\.target) == ["/c", "/b", "/a"])
        #expect(top.map(\.hits) == [5, 3, 1])
        #expect(top.allSatisfy { $0.profile == "default" })
        #expect(cache.mostRequested(limit: 2).map(\.target) == ["/c", "/b"])

        cache.put("/c")  // a new answer for the same target: its count starts again
        #expect(cache.mostRequested(limit: 10).map(\.target) == ["/b", "/a"])
        #expect(cache.purge() == 4)
        #expect(cache.mostRequested(limit: 10).isEmpty)
    }

    @Test("ties go to the most recently used entry")
    func ties() {
        let cache = ResponseCache()
        cache.put("/x")
        cache.put("/y")
        #expect(cache.get("/y").isFresh)
        #expect(cache.get("/x").isFresh)
        #expect(cache.mostRequested(limit: 10).map(\.target) == ["/x", "/y"])
    }
}
