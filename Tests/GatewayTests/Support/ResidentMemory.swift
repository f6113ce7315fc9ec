import Foundation

/// This process's resident set size, read from `/proc/self/status` (Linux).
enum ResidentMemory {
    /// `VmRSS` in bytes; fails the caller when it cannot be read (a memory bound must not pass unmeasured).
    static func current() throws -> Int {
        guard let status = ProcFile.text("/proc/self/status"),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { throw HarnessError("VmRSS not found in /proc/self/status") }
        return kilobytes * 1024
    }
}
