/// A request budget such as `10/s`, `600/m`, `3600/h` or `5` (per second).
public struct Rate: Sendable, Hashable, CustomStringConvertible {
    /// Requests per second (> 0).
    public var perSecond: Double
    /// Canonical text (`10/s`, `600/m`), used when rendering the config.
    public var text: String

    /// Creates a rate of `perSecond` requests per second.
    public init(perSecond: Double) {
        self.perSecond = perSecond
        self.text = "\(Rate.formatNumber(perSecond))/s"
    }

    /// Parses `N`, `N/s`, `N/m`, `N/h` (also `/sec`, `/min`, `/hour`, `/second`,
    /// `/minute`); `N` is a positive number. Returns `nil` when malformed.
    /// (`none` is handled by the loader, not here.)
    public init?(parsing raw: String) {
        let text = raw.trimmingWhitespace()
        let amountText: Substring
        let unitSeconds: Double
        let unitName: String
        if let slash = text.firstIndex(of: "/") {
            amountText = text[..<slash]
            let unit = text[text.index(after: slash)...].lowercased()
            switch unit {
            case "s", "sec", "second": unitSeconds = 1; unitName = "s"
            case "m", "min", "minute": unitSeconds = 60; unitName = "m"
            case "h", "hour": unitSeconds = 3_600; unitName = "h"
            default: return nil
            }
        } else {
            amountText = Substring(text)
            unitSeconds = 1
            unitName = "s"
        }
        guard let amount = Double(amountText.trimmingWhitespace()), amount.isFinite, amount > 0,
              amount <= 1_000_000_000
        else { return nil }
        self.perSecond = amount / unitSeconds
        self.text = "\(Rate.formatNumber(amount))/\(unitName)"
    }

    /// The default bucket size for this rate: `max(1, ceil(perSecond))`.
    public var defaultBurst: Int {
        max(1, Int(perSecond.rounded(.up)))
    }

    /// Canonical text.
    public var description: String { text }

    static func formatNumber(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return String(value)
    }
}

extension StringProtocol {
    /// The string without leading and trailing whitespace (no Foundation needed).
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
