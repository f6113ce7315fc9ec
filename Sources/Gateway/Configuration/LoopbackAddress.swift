import Foundation

/// Loopback checks for host names and IP literals (127.0.0.0/8, ::1, localhost).
public enum LoopbackAddress {
    /// True when `host` names this machine's loopback interface.
    /// - Parameter host: a host name or IP literal, brackets already removed.
    public static func isLoopbackHost(_ host: String) -> Bool {
        var name = host.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        if name == "localhost" || name.hasSuffix(".localhost") { return true }
        if name == "::1" || name == "0:0:0:0:0:0:0:1" { return true }
        if name.hasPrefix("::ffff:") { return isLoopbackHost(String(name.dropFirst(7))) }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets.allSatisfy({ UInt8($0) != nil }) else { return false }
        return octets[0] == "127"
    }
}
