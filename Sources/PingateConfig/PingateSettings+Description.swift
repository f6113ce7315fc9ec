extension PingateSettings {
    /// The effective configuration as YAML, every key followed by a comment naming its source (`# default`,
    /// `# file:12`, `# env PINGATE_CACHE_TTL`, `# flag --cache-ttl`). Values of secret-looking keys are masked
    /// (see ``SecretMasking``); the output can be loaded again by ``SettingsLoader``.
    public func effectiveDescription() -> String {
        var lines = ["# pingate effective configuration" + (configFile.map { " (file: \($0))" } ?? " (no config file)")]
        var open: [String] = []
        for d in SettingsCatalog.all {
            // A key that is also a section (`upstream`) is written as that section's `url`.
            let path = d.key.split(separator: ".").map(String.init) + (SettingsCatalog.sections.contains(d.key) ? ["url"] : [])
            let sections = Array(path.dropLast())
            let common = zip(open, sections).prefix { $0 == $1 }.count
            for depth in common..<sections.count {
                lines.append(String(repeating: "  ", count: depth) + sections[depth] + ":")
            }
            open = sections
            let indent = String(repeating: "  ", count: sections.count)
            var comment = "  # " + source(of: d.key).comment
            if source(of: d.key) == .defaultValue, !d.kind.isList, !d.kind.isFileOnly, d.defaultDescription != d.defaultText ?? "none" {
                comment += " = " + d.defaultDescription  // derived, e.g. max(1, ceil(rate))
            }
            switch SecretMasking.isSensitive(key: d.key) ? .inline(ValueSyntax<String>.yamlString(SecretMasking.mask)) : d.render(self) {
            case .inline(let value): lines.append("\(indent)\(path.last!): \(value)\(comment)")
            case .block(let block): lines += ["\(indent)\(path.last!):\(comment)"] + block.map { indent + "  " + $0 }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
