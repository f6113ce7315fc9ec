import Foundation

/// Resident set sizes, read from `/proc` (Linux).
enum ResidentMemory {
    /// A process's peak resident set size since its last ``resetPeak(pid:)`` (`VmHWM`), in bytes.
    static func peak(pid: Int32) throws -> Int {
        guard let status = ProcFile.text("/proc/\(pid)/status"),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { throw HarnessError("VmHWM of \(pid) cannot be read") }
        return kilobytes * 1024
    }

    /// Resets a process's peak resident set size to its current one.
    static func resetPeak(pid: Int32) throws {
        guard let handle = FileHandle(forWritingAtPath: "/proc/\(pid)/clear_refs") else {
            throw HarnessError("cannot reset the peak RSS of \(pid)")
        }
        defer { try? handle.close() }
        try handle.write(contentsOf: Data("5".utf8))
    }

    /// `VmRSS` in bytes; fails the caller when it cannot be read (a memory bound must not pass unmeasured).
    static func current() throws -> Int {
        guard let status = ProcFile.text("/proc/self/status"),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { throw HarnessError("VmRSS not found in /proc/self/status") }
        return kilobytes * 1024
    }
}
