import Foundation
import PingateCore

/// Parses and validates the file-only `routes` list and `rate_limit.classes` map.
struct RouteParser {
    static let routeKeys = ["name", "prefix", "upstream", "credentials", "cache", "invalidation_scope", "rate_class"]
    static let classKeys = ["rate", "burst"]
    /// Headers pingate manages itself; a route must not inject them.
    static let forbiddenHeaders: Set<String> = [
        "host", "content-length", "transfer-encoding", "connection", "keep-alive",
        "te", "trailer", "upgrade", "proxy-connection", "expect",
    ]

    let path: String
    var errors: [ConfigError] = []

    init(path: String) { self.path = path }

    private func source(_ line: Int) -> SettingSource { .file(path: path, line: line) }

    private func raw(_ tree: YAMLTree, keyLine: Int) -> RawEntry {
        switch tree {
        case .scalar(let text, let line, let isNull):
            return RawEntry(value: isNull ? .null : .text(text), source: source(isNull ? keyLine : line))
        default:
            return RawEntry(value: .list([]), source: source(keyLine))
        }
    }

    private mutating func requireScalar(_ tree: YAMLTree, key: String, keyLine: Int) -> Bool {
        if case .scalar = tree { return true }
        errors.append(ConfigError(kind: .wrongShape, key: key, source: source(tree.line),
                                  message: "expected a single value, got \(tree.shapeName)"))
        return false
    }

    static func isToken(_ s: String) -> Bool {
        let extra: Set<Character> = ["!", "#", "$", "%", "&", "'", "*", "+", "-", ".", "^", "_", "`", "|", "~"]
        return !s.isEmpty && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || extra.contains($0)) }
    }

    static func isName(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 64 && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }
    }

    // MARK: Classes

    mutating func parseClasses(_ tree: YAMLTree?) -> [String: RateClass] {
        guard let tree, !tree.isNull else { return [:] }
        let key = "rate_limit.classes"
        guard case .mapping(let entries, _) = tree else {
            errors.append(ConfigError(kind: .wrongShape, key: key, source: source(tree.line),
                                      message: "expected a mapping of class name → {rate, burst}, got \(tree.shapeName)"))
            return [:]
        }
        var classes: [String: RateClass] = [:]
        for entry in entries {
            let classKey = "\(key).\(entry.key)"
            guard Self.isName(entry.key) else {
                errors.append(ConfigError(kind: .invalidValue, key: classKey, source: source(entry.keyLine),
                                          message: "class names may only use letters, digits, '_', '-' and '.'"))
                continue
            }
            var rateTree: YAMLTree?
            var burstTree: YAMLTree?
            switch entry.value {
            case .scalar:
                rateTree = entry.value // shorthand: `upload: "1/s"`
            case .mapping(let fields, _):
                for field in fields {
                    switch field.key {
                    case "rate": rateTree = field.value
                    case "burst": burstTree = field.value
                    default:
                        let full = "\(classKey).\(field.key)"
                        let suggestion = KeySuggestion.closest(to: field.key, among: Self.classKeys).map { "\(classKey).\($0)" }
                        errors.append(ConfigError(kind: .unknownKey(suggestion: suggestion), key: full,
                                                  source: source(field.keyLine),
                                                  message: KeySuggestion.unknownKeyMessage(full, suggestion: suggestion)))
                    }
                }
            case .sequence:
                errors.append(ConfigError(kind: .wrongShape, key: classKey, source: source(entry.keyLine),
                                          message: "expected {rate, burst}, got a list"))
                continue
            }
            guard let rateTree, !rateTree.isNull else {
                errors.append(ConfigError(kind: .missingValue, key: "\(classKey).rate", source: source(entry.keyLine),
                                          message: "a rate is required (e.g. \"1/s\")"))
                continue
            }
            guard requireScalar(rateTree, key: "\(classKey).rate", keyLine: entry.keyLine) else { continue }
            do {
                let converter = ValueConverter(key: "\(classKey).rate", entry: raw(rateTree, keyLine: entry.keyLine))
                guard let rate = try converter.rate() else {
                    errors.append(converter.invalid("a rate like \"1/s\" (a class cannot be unlimited)", got: "none"))
                    continue
                }
                var burst: Int?
                if let burstTree, !burstTree.isNull, requireScalar(burstTree, key: "\(classKey).burst", keyLine: entry.keyLine) {
                    burst = try ValueConverter(key: "\(classKey).burst", entry: raw(burstTree, keyLine: entry.keyLine))
                        .integer(minimum: 1)
                }
                classes[entry.key] = RateClass(name: entry.key, rate: rate, burst: burst, source: source(entry.keyLine))
            } catch {
                errors.append(error)
            }
        }
        return classes
    }

    // MARK: Routes

    /// Parses `routes`; returns `nil` when the file has none (the caller uses the default route).
    mutating func parseRoutes(_ tree: YAMLTree?, upstream: URL, classes: [String: RateClass]) -> [RouteSettings]? {
        guard let tree, !tree.isNull else { return nil }
        guard case .sequence(let elements, _) = tree else {
            errors.append(ConfigError(kind: .wrongShape, key: "routes", source: source(tree.line),
                                      message: "expected a list of routes, got \(tree.shapeName)"))
            return nil
        }
        var routes: [RouteSettings] = []
        var names: [String: Int] = [:]
        var prefixes: [String: Int] = [:]
        for (index, element) in elements.enumerated() {
            let base = "routes[\(index)]"
            guard let route = parseRoute(element, base: base, upstream: upstream, classes: classes) else { continue }
            if let first = names[route.name] {
                errors.append(ConfigError(kind: .duplicate, key: "\(base).name", source: route.source,
                                          message: "route name '\(route.name)' is already used by routes[\(first)]"))
                continue
            }
            if let first = prefixes[route.prefix] {
                errors.append(ConfigError(kind: .duplicate, key: "\(base).prefix", source: route.source,
                                          message: "prefix '\(route.prefix)' is already used by routes[\(first)]"))
                continue
            }
            names[route.name] = index
            prefixes[route.prefix] = index
            routes.append(route)
        }
        if prefixes["/"] == nil {
            let fallback = RouteSettings.defaultW3IPFS(upstream: upstream)
            if let clash = names[fallback.name] {
                errors.append(ConfigError(kind: .duplicate, key: "routes[\(clash)].name", source: routes.first { $0.name == fallback.name }?.source,
                                          message: "no route has prefix '/', so the implicit default route '\(fallback.name)' is added at '/'; rename this route or give it prefix '/'"))
            } else {
                routes.append(fallback)
            }
        }
        return routes
    }

    private mutating func parseRoute(_ tree: YAMLTree, base: String, upstream defaultUpstream: URL,
                                     classes: [String: RateClass]) -> RouteSettings? {
        guard case .mapping(let fields, let line) = tree else {
            errors.append(ConfigError(kind: .wrongShape, key: base, source: source(tree.line),
                                      message: "expected a mapping {name, prefix, upstream, credentials, …}, got \(tree.shapeName)"))
            return nil
        }
        let errorCount = errors.count
        var values: [String: (tree: YAMLTree, keyLine: Int)] = [:]
        for field in fields {
            guard Self.routeKeys.contains(field.key) else {
                let full = "\(base).\(field.key)"
                let suggestion = KeySuggestion.closest(to: field.key, among: Self.routeKeys).map { "\(base).\($0)" }
                errors.append(ConfigError(kind: .unknownKey(suggestion: suggestion), key: full, source: source(field.keyLine),
                                          message: KeySuggestion.unknownKeyMessage(full, suggestion: suggestion)))
                continue
            }
            values[field.key] = (field.value, field.keyLine)
        }

        func converter(_ name: String) -> ValueConverter? {
            guard let (tree, keyLine) = values[name], !tree.isNull else { return nil }
            guard requireScalar(tree, key: "\(base).\(name)", keyLine: keyLine) else { return nil }
            return ValueConverter(key: "\(base).\(name)", entry: raw(tree, keyLine: keyLine))
        }

        var name = ""
        if let c = converter("name"), case .text(let text) = c.entry.value {
            name = text.trimmingWhitespace()
            if !Self.isName(name) {
                errors.append(c.invalid("a route name of letters, digits, '_', '-' or '.'", got: name))
            }
        } else if values["name"]?.tree.isNull ?? true {
            errors.append(ConfigError(kind: .missingValue, key: "\(base).name", source: source(line),
                                      message: "every route needs a name"))
        }

        var prefix = ""
        if let c = converter("prefix"), case .text(let text) = c.entry.value {
            prefix = text.trimmingWhitespace()
            if !prefix.hasPrefix("/") || prefix.contains(where: { $0 == "?" || $0 == "#" || $0.isWhitespace })
                || prefix.split(separator: "/").contains(where: { $0 == "." || $0 == ".." }) {
                errors.append(c.invalid("a path prefix starting with '/'", got: prefix))
            }
            while prefix.count > 1, prefix.hasSuffix("/") { prefix.removeLast() }
        } else if values["prefix"]?.tree.isNull ?? true {
            errors.append(ConfigError(kind: .missingValue, key: "\(base).prefix", source: source(line),
                                      message: "every route needs a prefix (e.g. \"/\")"))
        }

        var upstream = defaultUpstream
        if let c = converter("upstream") {
            do { upstream = try c.url() } catch { errors.append(error) }
        }

        var credentials: [CredentialMapping] = []
        if let (credTree, keyLine) = values["credentials"], !credTree.isNull {
            if case .mapping(let pairs, _) = credTree {
                var seen: Set<String> = []
                for pair in pairs {
                    let key = "\(base).credentials.\(pair.key)"
                    guard Self.isToken(pair.key) else {
                        errors.append(ConfigError(kind: .invalidValue, key: key, source: source(pair.keyLine),
                                                  message: "expected an HTTP header name (a token), got \(ValueConverter.quote(pair.key))"))
                        continue
                    }
                    guard !Self.forbiddenHeaders.contains(pair.key.lowercased()) else {
                        errors.append(ConfigError(kind: .invalidValue, key: key, source: source(pair.keyLine),
                                                  message: "header '\(pair.key)' is managed by pingate and cannot be injected"))
                        continue
                    }
                    guard seen.insert(pair.key.lowercased()).inserted else {
                        errors.append(ConfigError(kind: .duplicate, key: key, source: source(pair.keyLine),
                                                  message: "header '\(pair.key)' is listed twice (header names are case-insensitive)"))
                        continue
                    }
                    guard case .scalar(let entryName, _, false) = pair.value,
                          Self.isName(entryName.trimmingWhitespace())
                    else {
                        let got: String
                        if case .scalar(let text, _, _) = pair.value { got = ValueConverter.quote(text) } else { got = pair.value.shapeName }
                        errors.append(ConfigError(kind: .invalidValue, key: key, source: source(pair.value.line),
                                                  message: "expected a vault entry name, got \(got)"))
                        continue
                    }
                    credentials.append(.init(header: pair.key, entry: entryName.trimmingWhitespace()))
                }
            } else {
                errors.append(ConfigError(kind: .wrongShape, key: "\(base).credentials", source: source(keyLine),
                                          message: "expected a mapping of header → vault entry, got \(credTree.shapeName)"))
            }
        }

        var cache = true
        if let c = converter("cache") {
            do { cache = try c.bool() } catch { errors.append(error) }
        }

        var scope = InvalidationScope.depth(2)
        if let c = converter("invalidation_scope"), case .text(let text) = c.entry.value {
            let t = text.trimmingWhitespace()
            if let depth = Int(t), depth >= 0 {
                scope = .depth(depth)
            } else if t.hasPrefix("/"), !t.contains(where: { $0 == "?" || $0 == "#" || $0.isWhitespace }) {
                scope = .prefix(t)
            } else {
                errors.append(c.invalid("a depth (an integer ≥ 0) or a path prefix starting with '/'", got: t))
            }
        }

        var rateClass: String?
        if let c = converter("rate_class"), case .text(let text) = c.entry.value {
            let t = text.trimmingWhitespace()
            if classes[t] == nil {
                let suggestion = KeySuggestion.closest(to: t, among: classes.keys.sorted())
                let hint = suggestion.map { " (did you mean '\($0)'?)" } ?? (classes.isEmpty ? " (rate_limit.classes is empty)" : "")
                errors.append(ConfigError(kind: .invalidValue, key: "\(base).rate_class", source: c.entry.source,
                                          message: "no rate class named '\(t)' in rate_limit.classes\(hint)"))
            } else {
                rateClass = t
            }
        }

        guard errors.count == errorCount else { return nil }
        return RouteSettings(name: name, prefix: prefix, upstream: upstream, credentials: credentials,
                             cache: cache, invalidationScope: scope, rateClass: rateClass, source: source(line))
    }
}
