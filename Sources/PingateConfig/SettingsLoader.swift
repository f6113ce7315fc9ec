import Foundation

/// Builds ``PingateSettings`` from layers: defaults ← file ← environment ← flags.
///
/// Each layer maps dotted keys to raw text; the last layer that sets a key wins.
/// All values are then validated once, and every problem is reported together
/// as ``ConfigErrors``.
public enum SettingsLoader {
    /// Loads settings.
    ///
    /// - Parameters:
    ///   - file: YAML file path, or `nil` for defaults + env + flags. (The CLI
    ///     resolves `--config` / `PINGATE_CONFIG` before calling this.)
    ///   - environment: the process environment; only `PINGATE_*` names are
    ///     looked at. `PINGATE_PASSPHRASE`, `PINGATE_NEW_PASSPHRASE` and
    ///     `PINGATE_CONFIG` are ignored; other unknown `PINGATE_*` names are
    ///     returned in ``PingateSettings/unknownEnvironmentVariables``.
    ///   - flags: only the flags the user actually gave, keyed by flag name
    ///     (`cache-ttl` or `--cache-ttl`), inverted flag (`no-cache`, value
    ///     ignored unless it is a boolean) or dotted key (`cache.ttl`). Repeated
    ///     flags (`--allow-uid`) are passed joined with commas.
    /// - Throws: ``ConfigErrors`` listing every problem found.
    public static func load(
        file: String?,
        environment: [String: String],
        flags: [String: String]
    ) throws(ConfigErrors) -> PingateSettings {
        var text: String?
        if let file {
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw ConfigErrors([ConfigError(
                    kind: .unreadableFile, key: nil, source: nil,
                    message: "cannot read config file '\(file)': \(Self.reason(error))")])
            }
        }
        return try load(yaml: text, fileName: file ?? "<none>", environment: environment, flags: flags)
    }

    /// Same as ``load(file:environment:flags:)`` with the file's text given
    /// directly (`nil` = no file); `fileName` is used in error locations.
    public static func load(
        yaml: String?,
        fileName: String,
        environment: [String: String] = [:],
        flags: [String: String] = [:]
    ) throws(ConfigErrors) -> PingateSettings {
        var errors: [ConfigError] = []

        // File layer.
        var fileLayer = FileLayer(tree: nil, path: fileName)
        if let yaml {
            do {
                fileLayer = FileLayer(tree: try YAMLTree.parse(yaml, path: fileName), path: fileName)
            } catch {
                throw error // syntax errors: nothing else is meaningful
            }
            errors += fileLayer.errors
        }

        // Environment layer.
        var envEntries: [String: RawEntry] = [:]
        var unknownEnv: [String] = []
        var warnings: [String] = []
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) where name.hasPrefix("PINGATE_") {
            if SettingsCatalog.reservedEnvironmentVariables.contains(name) { continue }
            if let descriptor = SettingsCatalog.byEnvironmentVariable[name] {
                envEntries[descriptor.key] = RawEntry(value: .text(value), source: .environment(variable: name))
            } else {
                unknownEnv.append(name)
                let suggestion = KeySuggestion.closest(to: name, among: SettingsCatalog.byEnvironmentVariable.keys.sorted())
                warnings.append("ignoring unknown environment variable \(name)"
                                + (suggestion.map { " (did you mean \($0)?)" } ?? ""))
            }
        }

        // Flag layer.
        var flagEntries: [String: RawEntry] = [:]
        for (name, value) in flags.sorted(by: { $0.key < $1.key }) {
            let bare = name.hasPrefix("--") ? String(name.dropFirst(2)) : name
            guard let (descriptor, inverted) = SettingsCatalog.descriptor(forFlag: bare) else {
                let known = SettingsCatalog.all.flatMap { [$0.flag, $0.invertedFlag].compactMap { $0 } }
                let hint = KeySuggestion.closest(to: bare, among: known).map { " (did you mean '--\($0)'?)" } ?? ""
                errors.append(ConfigError(kind: .unknownFlag, key: bare, source: .flag(name: "--" + bare),
                                          message: "unknown flag '--\(bare)'\(hint)"))
                continue
            }
            let spelling = inverted ? "--" + (descriptor.invertedFlag ?? bare) : (descriptor.flagSpelling ?? "--" + bare)
            var text = value
            if inverted {
                let raw = RawEntry(value: .text(value.isEmpty ? "true" : value), source: .flag(name: spelling))
                do { text = try ValueConverter(key: descriptor.key, entry: raw).bool() ? "false" : "true" } catch {
                    errors.append(error)
                    continue
                }
            }
            if let previous = flagEntries[descriptor.key] {
                errors.append(ConfigError(kind: .duplicate, key: descriptor.key, source: .flag(name: spelling),
                                          message: "also given as \(previous.source.location)"))
                continue
            }
            flagEntries[descriptor.key] = RawEntry(value: .text(text), source: .flag(name: spelling))
        }

        // Merge: defaults ← file ← env ← flags.
        var merged: [String: RawEntry] = [:]
        for descriptor in SettingsCatalog.all where !descriptor.kind.isFileOnly {
            let key = descriptor.key
            merged[key] = flagEntries[key] ?? envEntries[key] ?? fileLayer.entries[key]
                ?? RawEntry(value: descriptor.defaultText.map { .text($0) } ?? .null, source: .defaultValue)
        }

        var builder = SettingsBuilder(entries: merged)
        var settings = builder.build()
        errors += builder.errors

        // File-only settings.
        var routeParser = RouteParser(path: fileName)
        let classesTree = fileLayer.fileOnly["rate_limit.classes"]
        let routesTree = fileLayer.fileOnly["routes"]
        settings.rateLimit.classes = routeParser.parseClasses(classesTree?.tree)
        if let routes = routeParser.parseRoutes(routesTree?.tree, upstream: settings.upstream,
                                                classes: settings.rateLimit.classes) {
            settings.routes = routes
        } else {
            settings.routes = [.defaultW3IPFS(upstream: settings.upstream)]
        }
        errors += routeParser.errors
        settings.sources["rate_limit.classes"] = classesTree.map { .file(path: fileName, line: $0.keyLine) } ?? .defaultValue
        settings.sources["routes"] = routesTree.map { .file(path: fileName, line: $0.keyLine) } ?? .defaultValue

        guard errors.isEmpty else { throw ConfigErrors(sorted(errors)) }
        settings.configFile = yaml == nil ? nil : fileName
        settings.unknownEnvironmentVariables = unknownEnv
        settings.warnings = warnings
        return settings
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
            if ra != rb { return ra < rb }
            return a.offset < b.offset
        }.map(\.element)
    }

    private static func reason(_ error: any Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
           let code = POSIXErrorCode(rawValue: Int32(underlying.code)) {
            return String(cString: strerror(code.rawValue))
        }
        return ns.localizedDescription
    }
}
