import Foundation
import PingateCore
import Yams

/// The file-only settings: `rate_limit.classes`, `profiles` and `routes`, read from the file's YAML nodes with
/// the same value syntaxes as every other setting, each problem keyed (`routes[1].prefix`) and located.
struct FileSections {
    static let routeKeys = ["name", "prefix", "upstream", "credentials", "cache", "invalidation_scope", "rate_class"]
    /// Headers pingate manages itself; a route or profile must not inject them.
    static let forbiddenHeaders: Set<String> = [
        "host", "content-length", "transfer-encoding", "connection", "keep-alive",
        "te", "trailer", "upgrade", "proxy-connection", "expect",
    ]

    let path: String
    private(set) var problems: [ConfigError] = []

    init(path: String) { self.path = path }

    // MARK: - Classes and profiles

    /// `rate_limit.classes`: `{name: {rate, burst}}` or the shorthand `{name: "1/s"}`.
    mutating func classes(_ node: Node?) -> [String: RateClass] {
        var classes: [String: RateClass] = [:]
        for (name, value, line) in named(node, "rate_limit.classes", "class name → {rate, burst}") {
            let key = "rate_limit.classes.\(name)"
            guard value.sequence == nil else {
                problem(.wrongShape, key, line, "expected {rate, burst}, got a list")
                continue
            }
            let fields = value.mapping.map { self.fields($0, key, known: ["rate", "burst"]) } ?? ["rate": value]
            guard let rateNode = fields["rate"], !ConfigFile.isNull(rateNode) else {
                problem(.missingValue, key + ".rate", line, #"a rate is required (e.g. "1/s")"#)
                continue
            }
            guard let rate = convert(rateNode, key + ".rate", ValueSyntax.rate) else { continue }
            guard let rate else {
                problem(.invalidValue, key + ".rate", ConfigFile.line(rateNode), #"expected a rate like "1/s" (a class cannot be unlimited), got "none""#)
                continue
            }
            var burst: Int?
            if let node = fields["burst"], !ConfigFile.isNull(node) {
                guard let value = convert(node, key + ".burst", .integer(minimum: 1)) else { continue }
                burst = value
            }
            classes[name] = RateClass(name: name, rate: rate, burst: burst, source: .file(path: path, line: line))
        }
        return classes
    }

    /// `profiles`: `{name: {header: vault entry}}`.
    mutating func profiles(_ node: Node?) -> [String: [CredentialMapping]] {
        var profiles: [String: [CredentialMapping]] = [:]
        for (name, value, _) in named(node, "profiles", "profile name → {header: vault entry}") {
            profiles[name] = credentials(value, key: "profiles.\(name)")
        }
        return profiles
    }

    /// The entries of a mapping of names (classes, profiles), with names checked.
    private mutating func named(_ node: Node?, _ key: String, _ what: String) -> [(String, Node, Int)] {
        guard let node, !ConfigFile.isNull(node) else { return [] }
        guard let mapping = node.mapping else {
            problem(.wrongShape, key, ConfigFile.line(node), "expected a mapping of \(what), got \(ConfigFile.shape(node))")
            return []
        }
        return mapping.compactMap { name, value in
            let text = name.string ?? "", line = ConfigFile.line(name)
            guard ValueSyntax<String>.isName(text) else {
                problem(.invalidValue, "\(key).\(text)", line, "names may only use letters, digits, '_', '-' and '.' (at most 64)")
                return nil
            }
            return (text, value, line)
        }
    }

    /// `header: vault entry` pairs of a route or a profile.
    private mutating func credentials(_ node: Node, key: String) -> [CredentialMapping] {
        guard let mapping = node.mapping else {
            problem(.wrongShape, key, ConfigFile.line(node), "expected a mapping of header → vault entry, got \(ConfigFile.shape(node))")
            return []
        }
        var seen: Set<String> = [], result: [CredentialMapping] = []
        for (headerNode, entryNode) in mapping {
            let header = headerNode.string ?? "", field = "\(key).\(header)", line = ConfigFile.line(headerNode)
            let token = !header.isEmpty && header.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "!#$%&'*+-.^_`|~".contains($0)) }
            let entry = ConfigFile.isNull(entryNode) ? nil : entryNode.scalar.map { $0.string.trimmingWhitespace() }
            if !token {
                problem(.invalidValue, field, line, "expected an HTTP header name (a token), got \(ValueSyntax<String>.quote(header))")
            } else if Self.forbiddenHeaders.contains(header.lowercased()) {
                problem(.invalidValue, field, line, "header '\(header)' is managed by pingate and cannot be injected")
            } else if !seen.insert(header.lowercased()).inserted {
                problem(.duplicate, field, line, "header '\(header)' is listed twice (header names are case-insensitive)")
            } else if let entry, ValueSyntax<String>.isName(entry) {
                result.append(CredentialMapping(header: header, entry: entry))
            } else {
                let got = entryNode.scalar.map { ValueSyntax<String>.quote($0.string) } ?? ConfigFile.shape(entryNode)
                problem(.invalidValue, field, ConfigFile.line(entryNode), "expected a vault entry name, got \(got)")
            }
        }
        return result
    }

    // MARK: - Routes

    /// `routes`; `nil` when the file has none (the default w3ipfs route applies). Without a route at `/`, the
    /// default route is added there.
    mutating func routes(_ node: Node?, upstream: URL, classes: [String: RateClass]) -> [RouteSettings]? {
        guard let node, !ConfigFile.isNull(node) else { return nil }
        guard case .sequence(let elements) = node else {
            problem(.wrongShape, "routes", ConfigFile.line(node), "expected a list of routes, got \(ConfigFile.shape(node))")
            return nil
        }
        var routes: [RouteSettings] = []
        var names: [String: Int] = [:], prefixes: [String: Int] = [:]
        for (index, element) in elements.enumerated() {
            guard let route = route(element, key: "routes[\(index)]", upstream: upstream, classes: classes) else { continue }
            if let first = names[route.name] {
                problem(.duplicate, "routes[\(index)].name", route.source, "route name '\(route.name)' is already used by routes[\(first)]")
            } else if let first = prefixes[route.prefix] {
                problem(.duplicate, "routes[\(index)].prefix", route.source, "prefix '\(route.prefix)' is already used by routes[\(first)]")
            } else {
                names[route.name] = index
                prefixes[route.prefix] = index
                routes.append(route)
            }
        }
        if prefixes["/"] == nil {
            let fallback = RouteSettings.defaultW3IPFS(upstream: upstream)
            if let clash = names[fallback.name] {
                problem(.duplicate, "routes[\(clash)].name", routes.first { $0.name == fallback.name }?.source ?? .defaultValue,
                        "no route has prefix '/', so the implicit default route '\(fallback.name)' is added at '/'; rename this route or give it prefix '/'")
            } else {
                routes.append(fallback)
            }
        }
        return routes
    }

    private mutating func route(_ node: Node, key: String, upstream defaultUpstream: URL, classes: [String: RateClass]) -> RouteSettings? {
        guard case .mapping(let mapping) = node else {
            problem(.wrongShape, key, ConfigFile.line(node), "expected a mapping {name, prefix, upstream, credentials, …}, got \(ConfigFile.shape(node))")
            return nil
        }
        let before = problems.count, line = ConfigFile.line(node)
        let fields = self.fields(mapping, key, known: Self.routeKeys).filter { !ConfigFile.isNull($0.value) }
        let nameSyntax = ValueSyntax<String>(placeholder: "", expected: "a route name of letters, digits, '_', '-' or '.'",
                                             parse: { ValueSyntax<String>.isName($0) ? $0 : nil }, render: { $0 })
        let prefixSyntax = ValueSyntax<String>(placeholder: "", expected: "a path prefix starting with '/'", parse: { text in
            guard text.hasPrefix("/"), !text.contains(where: { $0 == "?" || $0 == "#" || $0.isWhitespace }),
                  !text.split(separator: "/").contains(where: { $0 == "." || $0 == ".." }) else { return nil }
            var prefix = text
            while prefix.count > 1, prefix.hasSuffix("/") { prefix.removeLast() }
            return prefix
        }, render: { $0 })
        let scopeSyntax = ValueSyntax<InvalidationScope>(placeholder: "", expected: "a depth (an integer ≥ 0) or a path prefix starting with '/'", parse: { text in
            if let depth = Int(text), depth >= 0 { return .depth(depth) }
            return text.hasPrefix("/") && !text.contains(where: { $0 == "?" || $0 == "#" || $0.isWhitespace }) ? .prefix(text) : nil
        }, render: \.description)

        let name = fields["name"].flatMap { convert($0, key + ".name", nameSyntax) }
        let prefix = fields["prefix"].flatMap { convert($0, key + ".prefix", prefixSyntax) }
        if fields["name"] == nil { problem(.missingValue, key + ".name", line, "every route needs a name") }
        if fields["prefix"] == nil { problem(.missingValue, key + ".prefix", line, #"every route needs a prefix (e.g. "/")"#) }
        var route = RouteSettings(name: name ?? "", prefix: prefix ?? "", upstream: defaultUpstream, source: .file(path: path, line: line))
        if let node = fields["upstream"], let url = convert(node, key + ".upstream", .httpURL) { route.upstream = url }
        if let node = fields["credentials"] { route.credentials = credentials(node, key: key + ".credentials") }
        if let node = fields["cache"], let cache = convert(node, key + ".cache", .bool) { route.cache = cache }
        if let node = fields["invalidation_scope"], let scope = convert(node, key + ".invalidation_scope", scopeSyntax) { route.invalidationScope = scope }
        if let node = fields["rate_class"], let name = convert(node, key + ".rate_class", .text) {
            if classes[name] != nil {
                route.rateClass = name
            } else {
                let hint = KeySuggestion.closest(to: name, among: classes.keys.sorted()).map { " (did you mean '\($0)'?)" }
                    ?? (classes.isEmpty ? " (rate_limit.classes is empty)" : "")
                problem(.invalidValue, key + ".rate_class", ConfigFile.line(node), "no rate class named '\(name)' in rate_limit.classes\(hint)")
            }
        }
        return problems.count == before ? route : nil
    }

    // MARK: - Helpers

    /// The fields of a mapping by name; unknown names are reported with a suggestion.
    private mutating func fields(_ mapping: Node.Mapping, _ key: String, known: [String]) -> [String: Node] {
        var fields: [String: Node] = [:]
        for (name, value) in mapping {
            let field = name.string ?? ""
            guard known.contains(field) else {
                let suggestion = KeySuggestion.closest(to: field, among: known).map { "\(key).\($0)" }
                problems.append(ConfigError(kind: .unknownKey(suggestion: suggestion), key: "\(key).\(field)",
                                            source: .file(path: path, line: ConfigFile.line(name)),
                                            message: KeySuggestion.unknownKeyMessage("\(key).\(field)", suggestion: suggestion)))
                continue
            }
            fields[field] = value
        }
        return fields
    }

    /// A scalar field's value, or `nil` after recording why not.
    private mutating func convert<V>(_ node: Node, _ key: String, _ syntax: ValueSyntax<V>) -> V? {
        guard case .scalar(let scalar) = node else {
            problem(.wrongShape, key, ConfigFile.line(node), "expected a single value, got \(ConfigFile.shape(node))")
            return nil
        }
        let text = ConfigFile.isNull(node) ? "" : scalar.string.trimmingWhitespace()
        if let value = syntax.parse(text) { return value }
        problem(.invalidValue, key, ConfigFile.line(node), syntax.problem(text))
        return nil
    }

    private mutating func problem(_ kind: ConfigError.Kind, _ key: String, _ line: Int, _ message: String) {
        problem(kind, key, .file(path: path, line: line), message)
    }

    private mutating func problem(_ kind: ConfigError.Kind, _ key: String, _ source: SettingSource, _ message: String) {
        problems.append(ConfigError(kind: kind, key: key, source: source, message: message))
    }

    // MARK: - Rendering for check-config

    static func render(routes: [RouteSettings]) -> [String] {
        routes.flatMap { route -> [String] in
            let credentials = route.credentials.map { "\(quote($0.header)): \(quote($0.entry))" }.joined(separator: ", ")
            let scope: String
            switch route.invalidationScope {
            case .depth(let n): scope = String(n)
            case .prefix(let p): scope = quote(p)
            }
            return ["- name: \(quote(route.name))  # \(route.source.comment)", "  prefix: \(quote(route.prefix))",
                    "  upstream: \(quote(route.upstream.absoluteString))", "  credentials: {\(credentials)}",
                    "  cache: \(route.cache)", "  invalidation_scope: \(scope)", "  rate_class: \(route.rateClass.map(quote) ?? "null")"]
        }
    }

    static func render(classes: [String: RateClass]) -> SettingDescriptor.Rendering {
        classes.isEmpty ? .inline("{}") : .block(classes.values.sorted { $0.name < $1.name }.map {
            "\($0.name): {rate: \(quote($0.rate.text)), burst: \($0.burst)}  # \($0.source.comment)"
        })
    }

    static func render(profiles: [String: [CredentialMapping]]) -> SettingDescriptor.Rendering {
        profiles.isEmpty ? .inline("{}") : .block(profiles.sorted { $0.key < $1.key }.map { name, credentials in
            "\(name): {" + credentials.map { "\(quote($0.header)): \(quote($0.entry))" }.joined(separator: ", ") + "}"
        })
    }

    private static func quote(_ text: String) -> String { ValueSyntax<String>.yamlString(text) }
}
