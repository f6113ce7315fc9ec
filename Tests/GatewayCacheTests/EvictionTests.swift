import Foundation
import HTTPTypes
import NIOCore
import Testing

@testable import GatewayCache

#if canImport(Glibc)
import Glibc
#endif

@Suite("ResponseCache: memory bound and LRU", .timeLimit(.minutes(2)))
struct EvictionTests {
    @Test func lruByteBoundHoldsWhenFillingTenTimesCapacity() {
        let maxBytes = 64 * 1024
        let cache = ResponseCache(configuration: .init(maxBytes: maxBytes, maxObjectBytes: 4096))
        cache.put("/hot", body: buffer(repeating: 0x68, count: 1000))
        var stored = 1
        var index = 0
        var seenPayload = 0
        while seenPayload < 10 * maxBytes {
            #expect(cache.put("/obj/\(index)", body: buffer(repeating: 0x61, count: 1000)) == .stored)
            stored += 1
            seenPayload += 1000
            index += 1
            #expect(cache.get("/hot").isFresh)  // keeps /hot most recently used
            let stats = cache.statistics
            #expect(stats.bytes <= maxBytes, "after \(index) stores")
        }
        let stats = cache.statistics
        #expect(stats.evictions == stored - stats.entries)
        #expect(stats.evictions > 0)
        #expect(cache.get("/hot").isFresh)
        #expect(cache.get("/obj/0").isMiss)
        // The most recent objects survive, in recency order: all of the newest entries-1.
        for recent in (index - (stats.entries - 1))..<index {
            #expect(cache.get("/obj/\(recent)").isFresh, "obj \(recent)")
        }
        #expect(cache.get("/obj/\(index - stats.entries)").isMiss)
    }

    @Test func lookupRefreshesRecency() {
        // Room for exactly three 1000-byte entries.
        let cost = "HTTP/1.1 200 OK\r\n".utf8.count + 1000 + "/k0".utf8.count + "default".utf8.count + 512
        let cache = ResponseCache(configuration: .init(maxBytes: 3 * cost, maxObjectBytes: 4096))
        for key in ["/k0", "/k1", "/k2"] { cache.put(key, body: buffer(repeating: 1, count: 1000)) }
        #expect(cache.statistics.entries == 3)
        _ = cache.get("/k0")
        cache.put("/k3", body: buffer(repeating: 1, count: 1000))
        #expect(cache.get("/k0").isFresh)
        #expect(cache.get("/k1").isMiss)
        #expect(cache.statistics.evictions == 1)
    }

    @Test func oversizedObjectIsNotStored() {
        let cache = ResponseCache(configuration: .init(maxObjectBytes: 1024))
        #expect(cache.storability(status: .ok, responseHeaders: HTTPFields(), contentLength: 1025) == .doNotStore(.tooLarge))
        #expect(cache.storability(status: .ok, responseHeaders: HTTPFields(), contentLength: 1024) == .store)
        #expect(cache.storability(status: .ok, responseHeaders: HTTPFields(), contentLength: nil) == .store)
        #expect(cache.isWithinObjectLimit(1024))
        #expect(!cache.isWithinObjectLimit(1025))
        #expect(cache.put("/big", body: buffer(repeating: 0, count: 1025)) == .notStored(.tooLarge))
        #expect(cache.put("/ok", body: buffer(repeating: 0, count: 1024)) == .stored)
        #expect(cache.get("/big").isMiss)
    }

    @Test func entryLargerThanWholeCacheIsNotStored() {
        let cache = ResponseCache(configuration: .init(maxBytes: 1000, maxObjectBytes: 4096))
        #expect(cache.put("/a", body: buffer(repeating: 0, count: 900)) == .notStored(.tooLarge))
        #expect(cache.statistics.bytes == 0)
    }

    @Test func costCountsFieldsBodyAndKey() {
        let cache = ResponseCache()
        let headers = fields(["Content-Type": "application/json"])
        cache.put("/api/pinning/abc", profile: "prof", headers: headers, body: buffer(repeating: 0, count: 100))
        let fieldBytes = "Content-Type: application/json\r\n".utf8.count
        let expected = fieldBytes + 100 + "/api/pinning/abc".utf8.count + "prof".utf8.count + 512
        let entry = cache.get("/api/pinning/abc", profile: "prof").entry
        #expect(entry?.cost == expected)
        #expect(cache.statistics.bytes == expected)
    }

    @Test func entriesKeepFieldsWithoutAgeBodyAndTheServersAttachment() {
        let cache = ResponseCache()
        let headers = fields(["Content-Type": "application/json", "ETag": "\"v1\"", "Age": "7"])
        let token = cache.beginFill(target: "/e")
        let result = cache.store(
            target: "/e", profile: "p", requestHeaders: [:], status: .ok, responseHeaders: headers,
            body: ByteBuffer(string: "small"), now: .zero, fill: token, attachment: "head bytes"
        )
        #expect(result == .stored)
        let entry = try! #require(cache.get("/e", profile: "p").entry)
        #expect(String(buffer: entry.body) == "small")
        #expect(entry.headers[.contentType] == "application/json" && entry.headers[.eTag] == "\"v1\"")
        #expect(entry.headers[.age] == nil, "Age is recomputed per hit, never stored")
        #expect(entry.attachment as? String == "head bytes")
    }

    @Test func slotsAreRecycled() {
        let cache = ResponseCache()
        for round in 0..<3 {
            for index in 0..<100 { cache.put("/r/\(index)", at: .seconds(round)) }
            cache.purge()
        }
        #expect(cache.statistics.entries == 0)
        for index in 0..<50 { cache.put("/r/\(index)") }
        #expect(cache.statistics.entries == 50)
        #expect(cache.get("/r/49").isFresh)
    }

    // MARK: - Per-entry overhead

    /// The per-entry overhead `cost` charges covers a layout-based estimate of an entry's bookkeeping (slot, entry
    /// object, dictionary share, heap headers). The real bound is measured in ``perEntryOverheadMeasuredAlone()``.
    @Test func chargedOverheadCoversTheLayout() {
        let objectHeader = 16
        let slot = MemoryLayout<LRUTable.Slot>.stride
        let entryObject = objectHeader
            + MemoryLayout<HTTPResponse.Status>.stride + MemoryLayout<ByteBuffer>.stride
            + MemoryLayout<Int>.stride + MemoryLayout<Bool>.stride + 3 * MemoryLayout<Duration>.stride
            + MemoryLayout<Duration?>.stride + MemoryLayout<Bool>.stride + MemoryLayout<Int>.stride
            + MemoryLayout<VarySelector>.stride
        // Dictionary entry at the 3/4 maximum load factor.
        let dictionaryShare = (MemoryLayout<PrimaryKey>.stride + MemoryLayout<Int32>.stride) * 4 / 3 + 1
        // Heap headers: the wire buffer's storage object (~64), target and profile string storage (32 each; the
        // profile is usually shared with the config), VarySelector's two empty arrays (shared singletons, 0),
        // slot/free-list array growth share (~8), malloc chunk headers for entry, wire bytes, storage, target (16 × 4).
        let heapHeaders = 64 + 32 + 32 + 8 + 64
        let total = slot + entryObject + dictionaryShare + heapHeaders
        #expect(total <= ResponseCache.Configuration().entryOverhead, "layout estimate \(total) bytes")
    }

    #if canImport(Glibc)
    /// Runs ``perEntryOverheadMeasured()`` in a child process of this test binary, alone, so that no other test
    /// allocates while it measures.
    @Test(.timeLimit(.minutes(2)))
    func perEntryOverheadMeasuredAlone() throws {
        guard !Environment.measure else { return }  // in the child: the measuring test runs instead
        let child = Process()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        child.arguments = ["--testing-library", "swift-testing", "--filter", "EvictionTests/perEntryOverheadMeasured\\("]
        child.environment = ProcessInfo.processInfo.environment.merging(["GATEWAYCACHE_MEASURE": "1"]) { $1 }
        let output = Pipe()
        child.standardOutput = output
        child.standardError = output
        try child.run()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        child.waitUntilExit()
        #expect(printed.contains("measured heap growth per entry"), "the measuring test did not run:\n\(printed)")
        #expect(child.terminationStatus == 0, "the measurement failed:\n\(printed)")
    }
    #endif

    #if canImport(Glibc)
    /// Measures real resident-memory growth per entry; runs only in the child process that
    /// ``perEntryOverheadMeasuredAlone()`` starts (`GATEWAYCACHE_MEASURE=1`).
    @Test(.enabled(if: Environment.measure))
    func perEntryOverheadMeasured() throws {
        let count = 20_000
        let cache = ResponseCache(configuration: .init(maxBytes: 1 << 30))
        let targets = (0..<count).map { "/api/pinning/\(String(repeating: "x", count: 20))\($0)" }
        let bodies = (0..<count).map { _ in buffer(repeating: 0, count: 64) }
        let headers = fields(["Content-Type": "application/json"])
        let before = try Environment.residentBytes()
        for index in 0..<count {
            cache.put(targets[index], headers: headers, body: bodies[index])
        }
        let after = try Environment.residentBytes()
        let perEntry = Double(Int(after) - Int(before)) / Double(count)
        // What the memory bound charges per entry beyond the (preallocated, shared) body.
        let charged = Double(cache.statistics.bytes) / Double(count) - 64
        print("GatewayCache measured heap growth per entry (bodies, targets preallocated; RSS-based, approximate): \(perEntry) bytes; charged \(charged)")
        #expect(cache.statistics.entries == count)
        #expect(perEntry <= charged, "the memory bound undercounts what an entry costs")
    }
    #endif
}

enum Environment {
    static var measure: Bool {
        #if canImport(Glibc)
        getenv("GATEWAYCACHE_MEASURE") != nil
        #else
        false
        #endif
    }

    #if canImport(Glibc)
    /// Resident set size from /proc/self/statm (second field, in pages).
    /// - Throws: when it cannot be read (a memory bound must not pass unmeasured).
    static func residentBytes() throws -> Int {
        let text = try String(contentsOfFile: "/proc/self/statm", encoding: .utf8)
        let fieldsRead = text.split(separator: " ")
        guard fieldsRead.count > 1, let pages = Int(fieldsRead[1]) else { throw UnreadableRSS(text: text) }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// `/proc/self/statm` did not hold a resident page count.
    struct UnreadableRSS: Error { let text: String }
    #endif
}
