/// One layer's raw value for a setting, before conversion.
struct RawEntry: Sendable {
    /// One list element with its own source (file elements keep their line).
    struct Item: Sendable {
        var text: String
        var source: SettingSource
    }

    enum Value: Sendable {
        /// Unset (`~`/`null`/empty in YAML, or no default).
        case null
        /// Text as written (env var, flag, YAML scalar, catalog default).
        case text(String)
        /// A YAML sequence of scalars.
        case list([Item])
    }

    var value: Value
    var source: SettingSource

    /// List elements: a YAML list, or comma-separated text (empty text = empty list).
    var items: [Item] {
        switch value {
        case .null: return []
        case .list(let items): return items
        case .text(let text):
            return text.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingWhitespace() }
                .filter { !$0.isEmpty }
                .map { Item(text: $0, source: source) }
        }
    }
}
