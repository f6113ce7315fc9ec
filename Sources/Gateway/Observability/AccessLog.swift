import Foundation
import HTTPTypes
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

    func record(exchange: Exchange, status: Int, responseHeaders: HTTPFields, duration: Duration, wallClock: Double) {
        let entry = Entry(
            time: wallClock, client: exchange.client, method: exchange.request.method.rawValue,
            path: Self.redactedTarget(exchange.target), status: status,
            bytesIn: exchange.request.headers[.contentLength].flatMap(Int.init) ?? 0,
            bytesOut: responseHeaders[.contentLength].flatMap(Int.init) ?? -1,
            duration: duration, upstreamDuration: exchange.upstreamDuration,
            cacheStatus: exchange.cacheStatus, rateLimit: exchange.limitDecision, requestID: exchange.requestID
        )
        append(line(entry))
    }

    /// Records a request answered on the event loop (cache hit, relayed GET, or 429).
    func recordFast(
        client: String, method: String, target: String, status: Int, bytesOut: Int, cacheStatus: String?, requestID: String,
        wallClock: Double, rateLimit: String? = nil, duration: Duration = .zero, upstreamDuration: Duration? = nil
    ) {
        let entry = Entry(
            time: wallClock, client: client, method: method, path: Self.redactedTarget(target), status: status,
            bytesIn: 0, bytesOut: bytesOut, duration: duration, upstreamDuration: upstreamDuration,
            cacheStatus: cacheStatus, rateLimit: rateLimit, requestID: requestID
        )
        append(line(entry))
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

    struct Entry {
        let time: Double
        let client: String
        let method: String
        let path: String
        let status: Int
        let bytesIn: Int
        let bytesOut: Int
        let duration: Duration
        let upstreamDuration: Duration?
        let cacheStatus: String?
        let rateLimit: String?
        let requestID: String
    }

    private func line(_ entry: Entry) -> String {
        switch format {
        case .json:
            // Built by hand: JSONSerialization per request costs more than answering a cache hit.
            var line = "{"
            line.reserveCapacity(320)
            Self.member(&line, "time", string: Self.timestamp(entry.time), first: true)
            Self.member(&line, "client", string: entry.client)
            Self.member(&line, "method", string: entry.method)
            Self.member(&line, "path", string: entry.path)
            Self.member(&line, "status", raw: String(entry.status))
            Self.member(&line, "bytes_in", raw: String(entry.bytesIn))
            Self.member(&line, "bytes_out", raw: String(entry.bytesOut))
            Self.member(&line, "duration_ms", raw: String(Self.milliseconds(entry.duration)))
            Self.member(&line, "upstream_ms", raw: entry.upstreamDuration.map { String(Self.milliseconds($0)) } ?? "null")
            Self.member(&line, "cache", string: entry.cacheStatus)
            Self.member(&line, "rate_limit", string: entry.rateLimit)
            Self.member(&line, "request_id", string: entry.requestID)
            line += "}\n"
            return line
        case .text:
            return "\(Self.timestamp(entry.time)) \(entry.client) \(entry.method) \(entry.path) \(entry.status) \(Self.milliseconds(entry.duration))ms cache=\(entry.cacheStatus ?? "-") limit=\(entry.rateLimit ?? "-") id=\(entry.requestID)\n"
        }
    }

    private static func member(_ line: inout String, _ name: String, raw: String, first: Bool = false) {
        if !first { line += "," }
        line += "\""
        line += name
        line += "\":"
        line += raw
    }

    private static func member(_ line: inout String, _ name: String, string: String?, first: Bool = false) {
        guard let string else { return member(&line, name, raw: "null", first: first) }
        member(&line, name, raw: "", first: first)
        line += "\""
        appendEscaped(string, to: &line)
        line += "\""
    }

    /// JSON string escaping (RFC 8259 §7): quote, backslash and control characters.
    static func appendEscaped(_ value: String, to line: inout String) {
        let needsEscaping = value.utf8.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }
        guard needsEscaping else {
            line += value
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": line += "\\\""
            case "\\": line += "\\\\"
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                line += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: line.unicodeScalars.append(scalar)
            }
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
