/// The one loopback rule pingate applies to listen addresses and plain-http upstreams.
public enum LoopbackAddress {
    /// True for `localhost`, an IPv4 literal in `127.0.0.0/8` and `::1`: names and addresses that cannot leave
    /// this machine whatever the resolver says. Other `*.localhost` names and IPv4-mapped forms are refused on
    /// purpose; the rule stays strict because it decides whether pingate may listen without a token and send
    /// credentials over plain http.
    /// - Parameter host: a host name or IP literal, brackets already removed.
    public static func isLoopbackHost(_ host: String) -> Bool {
        let name = host.lowercased()
        if name == "localhost" || name == "::1" || name == "0:0:0:0:0:0:0:1" { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { $0.count <= 3 && UInt8($0) != nil }
    }
}
