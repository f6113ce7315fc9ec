import HTTPTypes
import NIOCore
import Testing

@testable import GatewayCache

// MARK: - Builders

/// Header fields from literal pairs; names must be valid tokens.
func fields(_ pairs: KeyValuePairs<String, String> = [:]) -> HTTPFields {
    var result = HTTPFields()
    for (name, value) in pairs {
        result.append(HTTPField(name: HTTPField.Name(name)!, value: value))
    }
    return result
}

func buffer(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

func buffer(repeating byte: UInt8, count: Int) -> ByteBuffer {
    var result = ByteBufferAllocator().buffer(capacity: count)
    result.writeRepeatingByte(byte, count: count)
    return result
}

extension Duration {
    /// Seconds as a fraction, for readable test times like `.at(29.9)`.
    static func at(_ seconds: Double) -> Duration { .milliseconds(Int((seconds * 1000).rounded())) }
}

// MARK: - Shorthands over the public API

extension ResponseCache {
    /// beginFill + store in one go, as the server does for an uncontended miss.
    @discardableResult
    func put(
        _ target: String, profile: String = "default", status: HTTPResponse.Status = .ok,
        headers: HTTPFields = HTTPFields(), body: ByteBuffer = buffer("{}"), request: HTTPFields = HTTPFields(),
        at now: Duration = .zero
    ) -> StoreResult {
        let token = self.beginFill(target: target)
        return self.store(
            target: target, profile: profile, requestHeaders: request, status: status,
            responseHeaders: headers, body: body, now: now, fill: token
        )
    }

    func get(
        _ target: String, profile: String = "default", request: HTTPFields = HTTPFields(), at now: Duration = .zero
    ) -> CacheLookup {
        self.lookup(target: target, profile: profile, requestHeaders: request, now: now)
    }
}

extension CacheLookup {
    var isFresh: Bool { if case .fresh = self { true } else { false } }
    var isStale: Bool { if case .stale = self { true } else { false } }
    var isMiss: Bool { if case .miss = self { true } else { false } }

    var entry: CachedResponse? {
        switch self {
        case .fresh(let entry, _), .stale(let entry, _): entry
        case .miss: nil
        }
    }

    var age: Int? {
        switch self {
        case .fresh(_, let age), .stale(_, let age): age
        case .miss: nil
        }
    }
}

// MARK: - Deterministic randomness

// MARK: - Concurrency helpers

/// Yields until `condition` holds; `false` if it never did within a generous bound.
/// Used instead of sleeps: progress depends only on other tasks running.
func eventually(_ condition: () -> Bool) async -> Bool {
    for _ in 0..<2_000_000 {
        if condition() { return true }
        await Task.yield()
    }
    return condition()
}
