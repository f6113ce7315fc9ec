/// The primary cache key: request target exactly as sent (never reordered) + credential profile.
struct PrimaryKey: Hashable, Sendable {
    let target: String
    let profile: String
}
