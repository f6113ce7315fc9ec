import Foundation
import Logging
import PingateCore

/// swift-log handler writing one JSON object per line to stderr (`--log-format json`).
///
/// Messages and metadata are written as given: pingate never logs a secret, so there is nothing to scrub here.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    private static let timeStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    func log(event: LogEvent) {
        var members: [String: String] = [:]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            members[key] = value.description
        }
        members["time"] = Self.timeStyle.format(Date())
        members["level"] = event.level.rawValue
        members["logger"] = label
        members["message"] = event.message.description
        var json = JSONWriter(capacity: 256)
        json.beginObject()
        for key in members.keys.sorted() { json.member(key, members[key]) }
        json.endObject()
        FileHandle.standardError.write(Data((json.text + "\n").utf8))
    }
}

/// Chooses the process-wide log handler once, before any logger is made.
enum LogSetup {
    static func bootstrap(json: Bool, level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
