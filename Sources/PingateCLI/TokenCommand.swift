import ArgumentParser
import Foundation
import GatewayLimits
import PingateConfig
import PingateCore
import Vault

/// `pingate token …`: client tokens, kept in the vault as a SHA-256 digest with their policy. A new token is printed
/// once, on stdout, and never again; the serving process picks changes up on SIGHUP.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Issue, list and revoke client tokens (kept in the vault as SHA-256 digests with their policy).",
        discussion: "A running `pingate serve` applies changes on SIGHUP.",
        subcommands: [Add.self, List.self, Remove.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Issue a token: it is printed once on stdout (pgt_…) and only its SHA-256 is stored.",
            discussion: """
            Example: pingate token add ci-reader --vault v.pgv --allow "GET,HEAD /api/pinning/" --rate 5/s --expires 30d
            Without --allow the token may use every method and path; without --profile it uses the route's own credentials.
            """
        )
        @Argument(help: "Token name (1-64 of A-Z a-z 0-9 _ . -); its requests are the client token:NAME.") var name: String
        @OptionGroup var path: VaultPathOption
        @OptionGroup var passphrase: PassphraseOptions
        @Option(help: "Credential profile: the upstream credentials its requests carry (vault entries PROFILE.<entry>, or the config's profiles).")
        var profile: String?
        @Option(help: ArgumentHelp("What it may do, \"METHODS PREFIX\" (methods comma-separated or *), e.g. \"GET,HEAD /api/pinning/\"; repeatable.", valueName: "rule"))
        var allow: [String] = []
        @Option(help: "Its own rate budget, e.g. 10/s, 600/m, 3600/h (on top of the upstream and per-client budgets).") var rate: String?
        @Option(help: "Burst of its rate budget (default: the rate per second, rounded up).") var burst: Int?
        @Option(help: ArgumentHelp("Lifetime, e.g. 3600s, 90m, 12h, 30d, 2w (default: never expires).", valueName: "duration")) var expires: String?
        @Flag(help: "Replace an existing token of this name (the old token stops working).") var force = false

        func run() async throws {
            try await CLIError.reporting {
                guard VaultEntryName.isValid(name) else {
                    throw ValidationFailure("invalid token name (\(name.count) characters): names are 1-64 characters from A-Z a-z 0-9 _ . -")
                }
                let policy = try TokenPolicyOptions(profile: profile, allow: allow, rate: rate, burst: burst, expires: expires)
                let (record, token) = try VaultEdit.modify(path, passphrase) { contents in
                    var tokens = try contents.clientTokens()
                    if tokens.contains(where: { $0.name == name }) {
                        guard force else {
                            throw ValidationFailure("a token named '\(name)' already exists (pass --force to replace it; the old token then stops working)")
                        }
                        tokens.removeAll { $0.name == name }
                    }
                    let now = Int64(Date().timeIntervalSince1970)
                    let issued = try ClientToken.issue(
                        name: name, profile: policy.profile, rules: policy.rules, rate: policy.rate, burst: policy.burst,
                        created: now, expires: policy.lifetime.map { now + $0 }
                    )
                    try contents.setClientTokens(tokens + [issued.record])
                    return issued
                }
                token.withRevealedBytes { bytes in
                    // Straight from the wiped buffer to the descriptor: no String copy of the token is made.
                    var offset = 0
                    while offset < bytes.count {
                        let written = write(STDOUT_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                        if written <= 0 { break }
                        offset += written
                    }
                    _ = write(STDOUT_FILENO, "\n", 1)
                }
                FileHandle.standardError.write(Data((
                    "pingate: issued token '\(name)' (\(TokenListing.summary(record))); it is shown only this once: "
                    + "pingate keeps its SHA-256, not the token. A running pingate serve applies it on SIGHUP.\n"
                ).utf8))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "Print each token's name, profile, rules, budget, creation and expiry (never a token or digest)."
        )
        @OptionGroup var path: VaultPathOption
        @OptionGroup var passphrase: PassphraseOptions

        func run() async throws {
            try await CLIError.reporting {
                let contents = try VaultEdit.open(try path.resolve(), passphrase: try passphrase.resolve())
                print(TokenListing.table(try contents.clientTokens(), now: Date().timeIntervalSince1970), terminator: "")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm",
            abstract: "Revoke a token (a running pingate serve refuses it after SIGHUP)."
        )
        @Argument(help: "Token name.") var name: String
        @OptionGroup var path: VaultPathOption
        @OptionGroup var passphrase: PassphraseOptions

        func run() async throws {
            try await CLIError.reporting {
                try VaultEdit.modify(path, passphrase) { contents in
                    let tokens = try contents.clientTokens()
                    guard tokens.contains(where: { $0.name == name }) else {
                        throw ValidationFailure("no token named '\(name)' in the vault")
                    }
                    try contents.setClientTokens(tokens.filter { $0.name != name })
                }
                print("revoked token \(name)")
            }
        }
    }
}

/// The policy flags of `token add`, checked before the vault is opened (so a typo costs no key derivation).
struct TokenPolicyOptions {
    let profile: String?
    /// Canonical rules (`GET,HEAD /api/pinning/`).
    let rules: [String]
    /// Canonical rate text (`10/s`).
    let rate: String?
    let burst: Int?
    /// Seconds.
    let lifetime: Int64?

    init(profile: String?, allow: [String], rate: String?, burst: Int?, expires: String?) throws {
        if let profile, !VaultEntryName.isValid(profile) {
            throw ValidationFailure("invalid profile name (\(profile.count) characters): names are 1-64 characters from A-Z a-z 0-9 _ . -")
        }
        // `default` is the route's own credentials, as when no profile is given.
        self.profile = profile == "default" ? nil : profile
        do {
            rules = try allow.map { try AccessRule(parsing: $0).description }
        } catch {
            throw ValidationFailure("--allow: \(error)")
        }
        if let rate {
            guard let parsed = Rate(parsing: rate) else {
                throw ValidationFailure(#"--rate: expected a rate like "10/s", "600/m", "3600/h" or "5" (per second), got "\#(rate)""#)
            }
            let burst = burst ?? parsed.defaultBurst
            do {
                _ = try RateBudget.validated(rate: parsed.perSecond, burst: burst)
            } catch {
                throw ValidationFailure("--rate \(parsed.text) --burst \(burst): \(error)")
            }
            self.rate = parsed.text
            self.burst = burst
        } else {
            guard burst == nil else { throw ValidationFailure("--burst needs --rate") }
            self.rate = nil
            self.burst = nil
        }
        if let expires {
            guard let seconds = Self.seconds(expires), seconds > 0 else {
                throw ValidationFailure(#"--expires: expected a duration like "3600s", "90m", "12h", "30d" or "2w", got "\#(expires)""#)
            }
            lifetime = seconds
        } else {
            lifetime = nil
        }
    }

    /// `90` or `90s`, `15m`, `12h`, `30d`, `2w` in whole seconds (rounded up); nil when malformed or absurd.
    static func seconds(_ text: String) -> Int64? {
        let units: [(String, Double)] = [("s", 1), ("m", 60), ("h", 3_600), ("d", 86_400), ("w", 604_800)]
        var number = Substring(text)
        var factor = 1.0
        if let (suffix, value) = units.first(where: { text.hasSuffix($0.0) }) {
            number = text.dropLast(suffix.count)
            factor = value
        }
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), let value = Double(number) else { return nil }
        let seconds = (value * factor).rounded(.up)
        guard seconds.isFinite, seconds <= 100 * 365 * 86_400 else { return nil }
        return Int64(seconds)
    }
}

/// What `token list` and `token add` print about tokens: names and policies, never a token or a digest.
enum TokenListing {
    /// Profile, rules, budget and expiry in one phrase.
    static func summary(_ token: ClientToken) -> String {
        "profile \(token.profile ?? "default"), rules \(rules(token)), budget \(budget(token)), expires \(token.expires.map(date) ?? "never")"
    }

    /// One line per token under a header, columns aligned.
    static func table(_ tokens: [ClientToken], now: Double) -> String {
        var rows = [["NAME", "PROFILE", "RULES", "BUDGET", "CREATED", "EXPIRES"]]
        for token in tokens.sorted(by: { $0.name < $1.name }) {
            var expiry = token.expires.map(date) ?? "never"
            if token.isExpired(at: now) { expiry += " (expired)" }
            rows.append([token.name, token.profile ?? "default", rules(token), budget(token), date(token.created), expiry])
        }
        let widths = (0..<6).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, text in
                column == row.count - 1 ? text : text.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    static func rules(_ token: ClientToken) -> String {
        token.rules.isEmpty ? "* /" : token.rules.joined(separator: "; ")
    }

    static func budget(_ token: ClientToken) -> String {
        guard let rate = token.rate else { return "none" }
        return "\(rate) burst \(token.burst ?? Rate(parsing: rate)?.defaultBurst ?? 1)"
    }

    /// `2026-01-31T12:00:00Z`.
    static func date(_ unixSeconds: Int64) -> String {
        Date(timeIntervalSince1970: Double(unixSeconds)).formatted(.iso8601)
    }
}
