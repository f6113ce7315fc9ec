import PingateConfig

/// Loads `yaml` as if read from `pingate.yaml`.
func load(_ yaml: String?, env: [String: String] = [:], flags: [String: String] = [:]) throws -> PingateSettings {
    try SettingsLoader.load(yaml: yaml, fileName: "pingate.yaml", environment: env, flags: flags)
}

/// The errors loading `yaml` produces (empty when it loads).
func loadErrors(_ yaml: String?, env: [String: String] = [:], flags: [String: String] = [:]) -> [ConfigError] {
    do {
        _ = try SettingsLoader.load(yaml: yaml, fileName: "pingate.yaml", environment: env, flags: flags)
        return []
    } catch {
        return error.errors
    }
}
