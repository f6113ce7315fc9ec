import Foundation

/// Reads a `/proc` file whole. `String(contentsOfFile:)` trusts the size `stat` reports, which is 0 for procfs, and
/// returns only the first page of a table such as `/proc/net/tcp`.
enum ProcFile {
    static func text(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        return String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
    }
}
