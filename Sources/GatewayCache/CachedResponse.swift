import HTTPTypes
import NIOCore

/// One stored response. Immutable, so a hit hands it out without copying.
///
/// Stored in HTTP/1.1 wire form, one buffer per entry: the status line and the header fields (each
/// `name: value\r\n`, without `Age`), then the body. A hit writes ``head`` and ``body`` (slices sharing that
/// buffer) around its own `Age`/`Cache-Status` lines; ``headers`` is parsed back only for the rarer answers
/// built as `HTTPFields`. Why: an `HTTPFields` copy plus a separate body buffer cost about 400 bytes of heap per
/// entry beyond the bytes themselves (the bound for all bookkeeping is 512).
public final class CachedResponse: Sendable {
    /// Upstream status.
    public let status: HTTPResponse.Status
    /// Status line, fields, body (see the type's description).
    public let wire: ByteBuffer
    /// Bytes of ``wire`` before the body: the status line and the fields, without the blank line that ends a head.
    public let headLength: Int
    /// Whether the stored fields carry a `Date` (hits without one get the server's).
    public let hasDate: Bool
    /// Monotonic time of storing.
    public let storedAt: Duration
    /// Fresh while `now < expiresAt` (and not ``mustRevalidate``).
    public let expiresAt: Duration
    /// Stored from a `no-cache` response: must never be served without going upstream.
    public let mustRevalidate: Bool
    /// Latest time this entry may be served stale because upstream failed; `nil` = never.
    public let staleIfErrorUntil: Duration?
    /// Bytes charged against ``ResponseCache/Configuration/maxBytes``.
    public let cost: Int

    /// `storedAt` minus the upstream `Age`: ages are measured from here (RFC 9111 §4.2.3).
    let ageOrigin: Duration
    /// Which request header values selected this variant.
    let vary: VarySelector

    init(
        status: HTTPResponse.Status, headers: HTTPFields, body: ByteBuffer, storedAt: Duration,
        ageOrigin: Duration, expiresAt: Duration, mustRevalidate: Bool, staleIfErrorUntil: Duration?,
        costBeyondWire: Int, vary: VarySelector
    ) {
        let wire = Self.encode(status: status, headers: headers, body: body)
        self.status = status
        self.wire = wire
        self.headLength = wire.readableBytes - body.readableBytes
        self.hasDate = headers[.date] != nil
        self.storedAt = storedAt
        self.ageOrigin = ageOrigin
        self.expiresAt = expiresAt
        self.mustRevalidate = mustRevalidate
        self.staleIfErrorUntil = staleIfErrorUntil
        self.cost = wire.readableBytes + costBeyondWire
        self.vary = vary
    }

    /// The status line and fields as stored (a slice of ``wire``; no copy).
    public var head: ByteBuffer { wire.getSlice(at: wire.readerIndex, length: headLength)! }

    /// The full body (a slice of ``wire``; no copy).
    public var body: ByteBuffer { wire.getSlice(at: wire.readerIndex + headLength, length: wire.readableBytes - headLength)! }

    /// Upstream headers as given to ``ResponseCache/store(target:profile:requestHeaders:status:responseHeaders:body:now:fill:)``
    /// minus `Age` (recomputed per hit, see ``age(at:)``), parsed back from ``head``.
    public var headers: HTTPFields {
        var fields = HTTPFields()
        let text = String(decoding: head.readableBytesView, as: UTF8.self)
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: true).dropFirst() {
            guard let colon = line.firstIndex(of: ":"), let name = HTTPField.Name(String(line[..<colon])) else { continue }
            var value = line[line.index(after: colon)...]
            if value.first == " " { value = value.dropFirst() }
            fields.append(HTTPField(name: name, value: String(value)))
        }
        return fields
    }

    /// `HTTP/1.1 <code> <reason>\r\n`, each field as `name: value\r\n` (without `Age`), then the body.
    static func encode(status: HTTPResponse.Status, headers: HTTPFields, body: ByteBuffer) -> ByteBuffer {
        var headBytes = 17 + status.reasonPhrase.utf8.count
        for field in headers where field.name != .age {
            headBytes += field.name.rawName.utf8.count + field.value.utf8.count + 4
        }
        var wire = ByteBufferAllocator().buffer(capacity: headBytes + body.readableBytes)
        wire.writeStaticString("HTTP/1.1 ")
        wire.writeString(String(status.code))
        wire.writeStaticString(" ")
        wire.writeString(status.reasonPhrase)
        wire.writeStaticString("\r\n")
        for field in headers where field.name != .age {
            wire.writeString(field.name.rawName)
            wire.writeStaticString(": ")
            wire.writeString(field.value)
            wire.writeStaticString("\r\n")
        }
        wire.writeImmutableBuffer(body)
        return wire
    }

    // MARK: - Time

    /// The `Age` header value at `now`: whole seconds (floored) since upstream generated it.
    public func age(at now: Duration) -> Int {
        let seconds = (now - self.ageOrigin).components.seconds
        return seconds > 0 ? Int(seconds) : 0
    }

    /// Whether the entry may be served without contacting upstream.
    public func isFresh(at now: Duration) -> Bool {
        !self.mustRevalidate && now < self.expiresAt
    }

    /// Whether the entry may be served because upstream failed (stale-if-error window).
    public func isUsableOnError(at now: Duration) -> Bool {
        guard let deadline = self.staleIfErrorUntil else { return false }
        return now <= deadline
    }

    /// Remaining freshness in whole seconds (negative once stale), for `Cache-Status; ttl=`.
    public func timeToLive(at now: Duration) -> Int {
        Int((self.expiresAt - now).components.seconds)
    }

    // MARK: - Serving

    /// `headers` plus `Age` and a `Cache-Status` member, ready to send.
    /// Allocates a copy of the fields; servers writing fields one by one can skip this.
    public func responseHeaders(age: Int, cacheStatus: CacheStatus) -> HTTPFields {
        var fields = self.headers
        fields[.age] = String(age)
        fields.append(HTTPField(name: CacheStatus.fieldName, value: cacheStatus.description))
        return fields
    }
}
