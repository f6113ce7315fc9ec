/// A named rate budget from `rate_limit.classes`, referenced by `routes[].rate_class`.
public struct RateClass: Sendable, Hashable {
    /// Class name (the map key).
    public var name: String
    /// The budget.
    public var rate: Rate
    /// Bucket size (defaults to `rate.defaultBurst`).
    public var burst: Int
    /// Where the class was defined.
    public var source: SettingSource

    /// Creates a class.
    public init(name: String, rate: Rate, burst: Int? = nil, source: SettingSource = .defaultValue) {
        self.name = name
        self.rate = rate
        self.burst = burst ?? rate.defaultBurst
        self.source = source
    }
}
