/// Splits a Redis URL into a ``RedisConfiguration``; see ``RedisConfiguration/init(url:password:)``.
struct RedisURLParser {
    private let url: String

    init(_ url: String) {
        self.url = url
    }

    func parse() throws(RedisConfigurationError) -> RedisConfiguration {
        if let rest = Self.dropScheme("redis://", from: self.url) {
            return try Self.parseTCP(rest)
        }
        if let rest = Self.dropScheme("unix://", from: self.url) {
            return try Self.parseUnix(rest)
        }
        throw .unsupportedScheme
    }

    private static func dropScheme(_ scheme: String, from url: String) -> Substring? {
        guard url.count >= scheme.count, url.prefix(scheme.count).lowercased() == scheme else {
            return nil
        }
        return url.dropFirst(scheme.count)
    }

    // MARK: - redis://

    private static func parseTCP(_ rest: Substring) throws(RedisConfigurationError) -> RedisConfiguration {
        // Host, port and database never hold "@", so the last one ends the credentials; a password may hold
        // "/", "?" or "#" unescaped.
        var address = rest
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            (username, password) = try self.parseCredentials(rest[..<at])
            address = rest[rest.index(after: at)...]
        }
        guard !address.contains("?"), !address.contains("#") else {
            throw .unsupportedQuery
        }
        let authorityEnd = address.firstIndex(of: "/") ?? address.endIndex
        let (host, port) = try self.parseHostAndPort(address[..<authorityEnd])
        let database = try self.parseDatabase(address[authorityEnd...].dropFirst())
        return RedisConfiguration(
            endpoint: .tcp(host: host, port: port),
            username: username,
            password: password,
            database: database
        )
    }

    private static func parseHostAndPort(_ authority: Substring) throws(RedisConfigurationError) -> (String, Int) {
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw .missingHost
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .invalidPort }
                portText = after.dropFirst()
            }
        } else if let colon = authority.firstIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else {
            throw .missingHost
        }
        var port = RedisConfiguration.defaultPort
        if let portText {
            guard let parsed = Self.parseDecimal(portText), (1...65535).contains(parsed) else {
                throw .invalidPort
            }
            port = parsed
        }
        return (String(host), port)
    }

    // MARK: - unix://

    private static func parseUnix(_ rest: Substring) throws(RedisConfigurationError) -> RedisConfiguration {
        var location = rest
        var username: String?
        var password: String?
        // A socket path may hold "@", so credentials are recognised only before the path's leading "/".
        if !rest.hasPrefix("/"), let at = rest.firstRange(of: "@/") {
            (username, password) = try self.parseCredentials(rest[..<at.lowerBound])
            location = rest[rest.index(after: at.lowerBound)...]
        }
        guard !location.contains("#") else {
            throw .unsupportedQuery
        }
        var database = 0
        if let question = location.firstIndex(of: "?") {
            let query = location[location.index(after: question)...]
            guard query.hasPrefix("db=") else {
                throw .unsupportedQuery
            }
            database = try self.parseDatabase(query.dropFirst(3), allowsEmpty: false)
            location = location[..<question]
        }
        guard location.hasPrefix("/"), location.count > 1 else {
            throw .missingSocketPath
        }
        return RedisConfiguration(
            endpoint: .unixSocket(path: String(location)),
            username: username,
            password: password,
            database: database
        )
    }

    // MARK: - Parts

    /// `user:password`, `:password` or `user`; empty parts are absent.
    private static func parseCredentials(
        _ userinfo: Substring
    ) throws(RedisConfigurationError) -> (username: String?, password: String?) {
        let colon = userinfo.firstIndex(of: ":")
        let user = try self.percentDecode(userinfo[..<(colon ?? userinfo.endIndex)])
        let password = try colon.map { colon throws(RedisConfigurationError) in
            try self.percentDecode(userinfo[userinfo.index(after: colon)...])
        }
        return (user.isEmpty ? nil : user, password?.isEmpty == false ? password : nil)
    }

    private static func parseDatabase(
        _ text: Substring,
        allowsEmpty: Bool = true
    ) throws(RedisConfigurationError) -> Int {
        if text.isEmpty && allowsEmpty {
            return 0
        }
        guard let database = Self.parseDecimal(text), database <= Int(Int32.max) else {
            throw .invalidDatabase
        }
        return database
    }

    /// A non-empty run of ASCII digits, at most 10 of them; `nil` otherwise.
    private static func parseDecimal(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 10, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return nil
        }
        return Int(text)
    }

    private static func percentDecode(_ text: Substring) throws(RedisConfigurationError) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(Self.hexValue), let low = iterator.next().flatMap(Self.hexValue)
            else {
                throw .invalidPercentEncoding
            }
            bytes.append(high << 4 | low)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
