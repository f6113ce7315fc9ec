import Foundation
import PingateCore
import Synchronization

/// One line per request: JSON for machines (default) or text for a terminal.
///
/// Lines are buffered and written in batches (a write per request would cost more than a cache hit);
/// `flush()` runs at least once a second from the server and at shutdown.
public final class AccessLog: Sendable {
    /// Line format: the same `LogFormat` as the diagnostics.
    public typealias Format = LogFormat

    private let format: Format
    private let sink: @Sendable (String) -> Void
    private let pending = Mutex<[String]>([])
    /// Query parameter names whose values are replaced with `REDACTED` (lowercased substrings).
    static let secretLookingNames = ["key", "secret", "token", "password", "passwd", "auth", "signature", "sig", "credential"]

    /// Creates an access log writing batches to `sink` (default: standard output).
    public init(format: Format = .json, sink: @escaping @Sendable (String) -> Void = AccessLog.standardOutput) {
        self.format = format
        self.sink = sink
    }

    /// Writes to stdout.
    public static let standardOutput: @Sendable (String) -> Void = { text in
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Records one finished request.
    func record(_ record: ExchangeRecord, duration: Duration, wallClock: Double) {
        append(line(record, duration: duration, time: wallClock))
    }

    private func append(_ line: String) {
        let full = pending.withLock { lines -> [String]? in
            lines.append(line)
            guard lines.count >= 256 else { return nil }
            defer { lines.removeAll(keepingCapacity: true) }
            return lines
        }
        if let full { sink(full.joined()) }
    }

    /// Writes whatever is buffered.
    public func flush() {
        let lines = pending.withLock { lines -> [String] in
            defer { lines.removeAll(keepingCapacity: true) }
            return lines
        }
        if !lines.isEmpty { sink(lines.joined()) }
    }

    // MARK: - Formatting

    private func line(_ entry: ExchangeRecord, duration: Duration, time: Double) -> String {
        let path = Self.redactedTarget(entry.target)
        switch format {
        case .json:
            var json = JSONWriter(capacity: 320)
            json.beginObject()
            json.member("time", Self.timestamp(time))
            json.member("client", entry.client)
            json.member("method", entry.method)
            json.member("path", path)
            json.member("status", entry.status)
            json.member("bytes_in", entry.bytesIn)
            json.member("bytes_out", entry.bytesOut)
            json.member("duration_ms", Self.milliseconds(duration))
            json.key("upstream_ms")
            if let upstream = entry.upstreamDuration { json.number(Self.milliseconds(upstream)) } else { json.null() }
            json.member("cache", entry.cacheStatus)
            json.member("rate_limit", entry.rateLimit)
            json.member("request_id", entry.requestID)
            json.endObject()
            return json.text + "\n"
        case .text:
            return "\(Self.timestamp(time)) \(entry.client) \(entry.method) \(path) \(entry.status) \(Self.milliseconds(duration))ms cache=\(entry.cacheStatus ?? "-") limit=\(entry.rateLimit ?? "-") id=\(entry.requestID)\n"
        }
    }

    /// The target with values of secret-looking query parameters replaced by `REDACTED`.
    static func redactedTarget(_ target: String) -> String {
        guard let question = target.firstIndex(of: "?") else { return target }
        let path = target[..<question]
        let query = target[target.index(after: question)...]
        let parts = query.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            guard let equals = pair.firstIndex(of: "=") else { return String(pair) }
            let name = pair[..<equals].lowercased()
            if secretLookingNames.contains(where: { name.contains($0) }) { return "\(pair[..<equals])=REDACTED" }
            return String(pair)
        }
        return path + "?" + parts.joined(separator: "&")
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return (Double(seconds) * 1000 + Double(attoseconds) / 1e15).rounded(toPlaces: 3)
    }

    private static let timeStyle = Date.ISO8601FormatStyle()
    /// The `2026-11-26T00:47:12` part, formatted once per second.
    private static let secondPrefix = Mutex<(second: Int, text: String)>((-1, ""))

    /// RFC 3339 UTC time with milliseconds, e.g. `2026-11-26T00:47:12.345Z`.
    static func timestamp(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.down))
        let prefix = secondPrefix.withLock { cached -> String in
            if cached.second != whole {
                cached = (whole, String(timeStyle.format(Date(timeIntervalSince1970: Double(whole))).dropLast()))
            }
            return cached.text
        }
        let millis = min(999, max(0, Int((seconds - Double(whole)) * 1000)))
        return prefix + (millis < 10 ? ".00" : millis < 100 ? ".0" : ".") + String(millis) + "Z"
    }
}

extension Double {
    func rounded(toPlaces places: Int) -> Double {
        let factor = Foundation.pow(10, Double(places))
        return (self * factor).rounded() / factor
    }
}
