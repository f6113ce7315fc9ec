/// How the client tokens are kept in the vault: one entry, `_pingate.tokens`, whose value is a small text table
/// (the vault payload format stays as it is, and a token name may use all 64 characters of an entry name).
///
/// The value is UTF-8 text: the line `pingate-tokens 1`, then one line per token (sorted by name) with
/// tab-separated fields
///
///     name  sha256-hex  profile  rate  burst  created  expires  rule…
///
/// where an empty field means none (the default profile, no budget, never expires), `created` and `expires` are
/// Unix seconds, and every further field is one rule. The entry is inside the encrypted payload like every other.
public enum ClientTokenTable {
    /// The vault entry holding the table (reserved: `vault set` refuses it).
    public static let entryName = "_pingate.tokens"
    static let header = "pingate-tokens 1"
    /// Fields before the rules.
    static let fixedFields = 7

    /// The table's text for `tokens` (sorted by name).
    /// - Throws: `VaultError.malformed` for a record that cannot be stored (a bad name, a tab in a rule).
    static func encode(_ tokens: [ClientToken]) throws -> String {
        var lines = [header]
        var names = Set<String>()
        for token in tokens.sorted(by: { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }) {
            try validate(token)
            guard names.insert(token.name).inserted else {
                throw VaultError.malformed(reason: "two client tokens named \"\(token.name)\"")
            }
            var fields = [
                token.name, token.digest.hex, token.profile ?? "", token.rate ?? "", token.burst.map(String.init) ?? "",
                String(token.created), token.expires.map(String.init) ?? "",
            ]
            fields += token.rules
            lines.append(fields.joined(separator: "\t"))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Parses the table's text.
    /// - Throws: `VaultError.malformed` naming the line.
    static func decode(_ text: String) throws -> [ClientToken] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard lines.first == Substring(header) else {
            throw VaultError.malformed(reason: "entry \(entryName) does not start with \"\(header)\"")
        }
        lines.removeFirst()
        var tokens: [ClientToken] = []
        var names = Set<String>()
        for (index, line) in lines.enumerated() {
            let number = index + 2
            func bad(_ what: String) -> VaultError {
                .malformed(reason: "entry \(entryName), line \(number): \(what)")
            }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count >= fixedFields else { throw bad("expected at least \(fixedFields) fields") }
            guard let digest = TokenDigest(hex: fields[1]) else { throw bad("the digest is not 64 hex digits") }
            guard let created = Int64(fields[5]) else { throw bad("created is not a number") }
            /// An optional number: nil for an empty field.
            func optionalInteger<N: FixedWidthInteger>(_ field: Substring, _ what: String) throws -> N? {
                guard !field.isEmpty else { return nil }
                guard let value = N(field) else { throw bad("\(what) is not a number") }
                return value
            }
            let burst: Int? = try optionalInteger(fields[4], "burst")
            let expires: Int64? = try optionalInteger(fields[6], "expires")
            let token = ClientToken(
                name: String(fields[0]), digest: digest, profile: fields[2].isEmpty ? nil : String(fields[2]),
                rules: fields.dropFirst(fixedFields).map(String.init), rate: fields[3].isEmpty ? nil : String(fields[3]),
                burst: burst, created: created, expires: expires
            )
            do {
                try validate(token)
            } catch let error as VaultError {
                if case .malformed(let reason) = error { throw bad(reason) }
                throw error
            }
            guard names.insert(token.name).inserted else { throw bad("a second token named \"\(token.name)\"") }
            tokens.append(token)
        }
        return tokens
    }

    /// What a stored record must satisfy (the gateway checks the policy's meaning when it loads it).
    static func validate(_ token: ClientToken) throws {
        guard VaultEntryName.isValid(token.name) else {
            throw VaultError.malformed(reason: "invalid client token name (\(token.name.count) characters)")
        }
        if let profile = token.profile, !VaultEntryName.isValid(profile) {
            throw VaultError.malformed(reason: "client token \"\(token.name)\" has an invalid profile name")
        }
        for text in token.rules + [token.rate ?? ""] where text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            throw VaultError.malformed(reason: "client token \"\(token.name)\" has a control character in its policy")
        }
        if token.rules.contains(where: \.isEmpty) {
            throw VaultError.malformed(reason: "client token \"\(token.name)\" has an empty rule")
        }
        if let burst = token.burst, burst < 1 {
            throw VaultError.malformed(reason: "client token \"\(token.name)\" has a burst below 1")
        }
    }
}

// MARK: - VaultContents

extension VaultContents {
    /// The client tokens the vault holds (none when it has no token table).
    /// - Throws: `VaultError.malformed` when the table cannot be read.
    public func clientTokens() throws -> [ClientToken] {
        guard let value = entries[ClientTokenTable.entryName] else { return [] }
        return try ClientTokenTable.decode(value.revealed)
    }

    /// Replaces the client tokens (the entry is removed when `tokens` is empty).
    /// - Throws: `VaultError.malformed` for a record that cannot be stored.
    public mutating func setClientTokens(_ tokens: [ClientToken]) throws {
        if tokens.isEmpty {
            entries[ClientTokenTable.entryName] = nil
        } else {
            entries[ClientTokenTable.entryName] = SecretValue(try ClientTokenTable.encode(tokens))
        }
    }
}
