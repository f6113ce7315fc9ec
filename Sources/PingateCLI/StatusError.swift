/// Why `pingate status` could not show anything, with one line naming the cause.
///
/// Compare with the static values (`error == .unreachable`): equality is by cause, whatever the line says.
struct StatusError: Error, CustomStringConvertible, Equatable {
    private enum Code: Equatable {
        case unreachable
        case refused
        case notStats
    }

    private let code: Code
    /// The line printed (after `pingate: `).
    let description: String

    private init(_ code: Code, _ description: String = "") {
        self.code = code
        self.description = description
    }

    /// Nothing answers at the URL (connection refused, timeout, unknown name).
    static let unreachable = StatusError(.unreachable)
    /// Something answered with another status than 200 (a Host, Origin or token refusal, say).
    static let refused = StatusError(.refused)
    /// The answer was not pingate's stats (another server on that port, or an older pingate).
    static let notStats = StatusError(.notStats)

    static func unreachable(_ url: String, _ reason: String) -> StatusError {
        StatusError(.unreachable, "pingate is not reachable at \(url) (\(reason))")
    }

    static func refused(_ url: String, status: Int, reason: String?) -> StatusError {
        StatusError(.refused, "\(url)/_pingate/stats answered \(status)" + (reason.map { ": \($0)" } ?? ""))
    }

    static func notStats(_ url: String) -> StatusError {
        StatusError(.notStats, "\(url)/_pingate/stats did not answer pingate's stats JSON")
    }

    static func == (lhs: StatusError, rhs: StatusError) -> Bool { lhs.code == rhs.code }
}
