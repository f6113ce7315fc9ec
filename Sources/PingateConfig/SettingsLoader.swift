import Configuration
import Foundation
import Synchronization

/// Builds ``PingateSettings`` through one `ConfigReader` over three providers, in precedence order: the flags
/// the user gave (an `InMemoryProvider`), `PINGATE_…` variables (`EnvironmentVariablesProvider`) and the file
/// (``ConfigFile``); the catalog's default applies where all three are silent. Every value is then parsed once
/// and every problem is reported together as ``ConfigErrors``.
public enum SettingsLoader {
    /// Loads settings.
    ///
    /// - Parameters:
    ///   - file: YAML file path, or `nil` for defaults + env + flags. (The CLI resolves `--config` /
    ///     `PINGATE_CONFIG` before calling this.)
    ///   - environment: the process environment; only `PINGATE_*` names are looked at. `PINGATE_PASSPHRASE`,
    ///     `PINGATE_NEW_PASSPHRASE` and `PINGATE_CONFIG` are ignored; other unknown `PINGATE_*` names are
    ///     returned in ``PingateSettings/unknownEnvironmentVariables``.
    ///   - flags: only the flags the user actually gave, keyed by flag name (`cache-ttl` or `--cache-ttl`),
    ///     inverted flag (`no-cache`, value ignored unless it is a boolean) or dotted key (`cache.ttl`).
    ///     Repeated flags (`--allow-uid`) are passed joined with commas.
    /// - Throws: ``ConfigErrors`` listing every problem found.
    public static func load(file: String?, environment: [String: String], flags: [String: String]) throws(ConfigErrors) -> PingateSettings {
        var text: String?
        if let file {
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                let posix = (error as? CocoaError)?.underlying.map { $0 as NSError }.flatMap { $0.domain == NSPOSIXErrorDomain ? $0.code : nil }
                let reason = posix.map { String(cString: strerror(Int32($0))) } ?? error.localizedDescription
                throw ConfigErrors([ConfigError(kind: .unreadableFile, key: nil, source: nil,
                                                message: "cannot read config file '\(file)': \(reason)")])
            }
        }
        return try load(yaml: text, fileName: file ?? "<none>", environment: environment, flags: flags)
    }

    /// Same as ``load(file:environment:flags:)`` with the file's text given directly (`nil` = no file);
    /// `fileName` is used in error locations.
    public static func load(yaml: String?, fileName: String, environment: [String: String] = [:],
                            flags: [String: String] = [:]) throws(ConfigErrors) -> PingateSettings {
        let file = try yaml.map { text throws(ConfigErrors) in try ConfigFile(text: text, path: fileName) }
        let given = GivenFlags(flags)
        var problems = (file?.problems ?? []) + given.problems
        let recorder = SourceRecorder()
        let reader = ConfigReader(providers: [
            given.provider,
            // Only the settings' variables: the passphrase never enters the reader.
            EnvironmentVariablesProvider(environmentVariables: environment.filter { SettingsCatalog.byEnvironmentVariable[$0.key] != nil },
                                         secretsSpecifier: .specific(Set(SettingsCatalog.all.filter(\.isSecret).compactMap(\.environmentVariable))))
                .prefixKeys(with: "pingate"),
            file?.provider ?? InMemoryProvider(name: fileName, values: [:]),
        ], accessReporter: recorder)

        var settings = PingateSettings()
        for d in SettingsCatalog.all where !d.kind.isFileOnly {
            let key = ConfigKey(d.key)
            let texts = d.kind.isList ? reader.stringArray(forKey: key, isSecret: d.isSecret)
                                      : reader.string(forKey: key, isSecret: d.isSecret).map { [$0] }
            let winner = recorder.winner(of: d.key)
            let locate: (Int?) -> SettingSource = { item in
                switch winner?.provider {
                case 0: .flag(name: given.spellings[d.key] ?? "--" + d.key)
                case 1: .environment(variable: winner?.encodedKey ?? "")
                case 2: file?.source(of: d.key, item: item) ?? .defaultValue
                default: .defaultValue
                }
            }
            settings.sources[d.key] = locate(nil)
            guard let texts = texts ?? d.defaultText.map({ d.kind.isList ? $0.split(separator: ",").map(String.init) : [$0] }) else { continue }
            problems += d.apply(texts.map { $0.trimmingWhitespace() }, locate, &settings)
        }
        problems += derive(&settings)

        var sections = FileSections(path: fileName)
        settings.rateLimit.classes = sections.classes(file?.sections["rate_limit.classes"]?.node)
        settings.profiles = sections.profiles(file?.sections["profiles"]?.node)
        settings.routes = sections.routes(file?.sections["routes"]?.node, upstream: settings.upstream, classes: settings.rateLimit.classes)
            ?? [.defaultW3IPFS(upstream: settings.upstream)]
        problems += sections.problems
        for key in ["rate_limit.classes", "profiles", "routes"] {
            settings.sources[key] = file?.sections[key].map { .file(path: fileName, line: $0.line) } ?? .defaultValue
        }

        guard problems.isEmpty else { throw ConfigErrors(sorted(problems)) }
        settings.configFile = yaml == nil ? nil : fileName
        for name in environment.keys.sorted() where name.hasPrefix("PINGATE_") && SettingsCatalog.byEnvironmentVariable[name] == nil
            && !SettingsCatalog.reservedEnvironmentVariables.contains(name) {
            settings.unknownEnvironmentVariables.append(name)
            let suggestion = KeySuggestion.closest(to: name, among: SettingsCatalog.byEnvironmentVariable.keys.sorted())
            settings.warnings.append("ignoring unknown environment variable \(name)" + (suggestion.map { " (did you mean \($0)?)" } ?? ""))
        }
        return settings
    }

    /// Defaults that depend on other settings, and the rules that span settings.
    private static func derive(_ s: inout PingateSettings) -> [ConfigError] {
        func given(_ key: String) -> SettingSource? { s.source(of: key) == .defaultValue ? nil : s.source(of: key) }
        var problems: [ConfigError] = []
        if given("rate_limit.burst") == nil { s.rateLimit.burst = s.rateLimit.rate?.defaultBurst ?? 1 }
        if given("rate_limit.client_burst") == nil { s.rateLimit.clientBurst = s.rateLimit.clientRate?.defaultBurst ?? 1 }
        if s.limits.maxRequestLine < 16 {
            problems.append(ConfigError(kind: .invalidValue, key: "limits.max_request_line", source: given("limits.max_request_line"),
                                        message: "must be at least 16 bytes, got \(s.limits.maxRequestLine)"))
        }
        if s.limits.maxHeaderBytes < 256 {
            problems.append(ConfigError(kind: .invalidValue, key: "limits.max_header_bytes", source: given("limits.max_header_bytes"),
                                        message: "must be at least 256 bytes, got \(s.limits.maxHeaderBytes)"))
        }
        if given("cache.max_object_bytes") == nil {
            s.cache.maxObjectBytes = min(s.cache.maxObjectBytes, s.cache.maxBytes)
        } else if s.cache.maxObjectBytes > s.cache.maxBytes {
            problems.append(ConfigError(kind: .invalidValue, key: "cache.max_object_bytes", source: given("cache.max_object_bytes"),
                                        message: "cache.max_object_bytes (\(s.cache.maxObjectBytes)) must not exceed cache.max_bytes (\(s.cache.maxBytes))"))
        }
        return problems
    }

    /// File problems by line, then environment, then flags, then the rest.
    static func sorted(_ errors: [ConfigError]) -> [ConfigError] {
        func rank(_ e: ConfigError) -> (Int, Int, String) {
            switch e.source {
            case .file(_, let line): return (0, line, e.key ?? "")
            case .environment(let name): return (1, 0, name)
            case .flag(let name): return (2, 0, name)
            case .defaultValue: return (3, 0, e.key ?? "")
            case nil: return (-1, 0, e.key ?? "")
            }
        }
        return errors.enumerated().sorted { a, b in
            let ra = rank(a.element), rb = rank(b.element)
            return ra != rb ? ra < rb : a.offset < b.offset
        }.map(\.element)
    }
}

/// Remembers which provider answered each key the reader was asked for: the first with a value (the reader
/// stops there), by its index in the provider list, with the name it was looked up under (`PINGATE_CACHE_TTL`).
private final class SourceRecorder: AccessReporter {
    private let answers = Mutex<[String: (provider: Int, encodedKey: String)]>([:])

    func report(_ event: AccessEvent) {
        guard let index = event.providerResults.firstIndex(where: { (try? $0.result.get().value) != nil }),
              case .success(let lookup) = event.providerResults[index].result else { return }
        answers.withLock { $0[event.metadata.key.components.joined(separator: ".")] = (index, lookup.encodedKey) }
    }

    func winner(of key: String) -> (provider: Int, encodedKey: String)? {
        answers.withLock { $0[key] }
    }
}
