// MARK: - HTTPDate

/// Parser and formatter for HTTP-date (RFC 9110 §5.6.7), without Foundation.
///
/// Accepts the preferred IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) and the
/// two obsolete forms recipients must still accept: RFC 850
/// (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`).
/// Values are whole seconds since the Unix epoch, UTC. The weekday name must be
/// a valid name but is not cross-checked against the date (RFC 9110 lets
/// recipients ignore it, and rejecting would only make us retry sooner).
public enum HTTPDate {
    private static let shortDays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let longDays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    // MARK: - Parsing

    /// Parses any of the three HTTP-date forms into epoch seconds.
    ///
    /// - Parameter wallClockSeconds: current Unix time, used only to resolve the
    ///   two-digit year of RFC 850 dates per RFC 9110 (a year more than 50 years
    ///   in the future means the previous century). Without it, 70–99 map to
    ///   19xx and 00–69 to 20xx.
    /// - Returns: `nil` when the text is not a well-formed HTTP-date.
    public static func parse(_ text: String, wallClockSeconds: Double? = nil) -> Int64? {
        let tokens = text.split(separator: " ", omittingEmptySubsequences: true)
        switch tokens.count {
        case 6: // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
            guard tokens[0].count == 4, tokens[0].hasSuffix(","),
                  shortDays.contains(String(tokens[0].dropLast())),
                  tokens[5] == "GMT",
                  tokens[1].count == 2, let day = number(tokens[1]),
                  let month = monthIndex(tokens[2]),
                  tokens[3].count == 4, let year = number(tokens[3]),
                  let time = clock(tokens[4])
            else { return nil }
            return epoch(year: year, month: month, day: day, time: time)

        case 4: // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
            guard tokens[0].hasSuffix(","),
                  longDays.contains(String(tokens[0].dropLast())),
                  tokens[3] == "GMT",
                  let time = clock(tokens[2])
            else { return nil }
            let parts = tokens[1].split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0].count == 2, parts[2].count == 2,
                  let day = number(parts[0]), let month = monthIndex(parts[1]),
                  let yy = number(parts[2])
            else { return nil }
            return epoch(year: fullYear(twoDigit: yy, wallClockSeconds: wallClockSeconds),
                         month: month, day: day, time: time)

        case 5: // asctime: Sun Nov  6 08:49:37 1994
            guard shortDays.contains(String(tokens[0])),
                  let month = monthIndex(tokens[1]),
                  (1...2).contains(tokens[2].count), let day = number(tokens[2]),
                  let time = clock(tokens[3]),
                  tokens[4].count == 4, let year = number(tokens[4])
            else { return nil }
            return epoch(year: year, month: month, day: day, time: time)

        default:
            return nil
        }
    }

    // MARK: - Formatting

    /// Formats epoch seconds as an IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
    public static func format(epochSeconds: Int64) -> String {
        let days = CivilCalendar.floorDivide(epochSeconds, 86_400).quotient
        let secondOfDay = epochSeconds - days * 86_400
        let (y, m, d) = CivilCalendar.date(fromDays: days)
        let weekday = Int(((days % 7) + 11) % 7) // 1970-01-01 was a Thursday (4)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let year = y >= 0 && y < 1000 ? String(repeating: "0", count: 4 - "\(y)".count) + "\(y)" : "\(y)"
        return "\(shortDays[weekday]), \(two(d)) \(months[Int(m) - 1]) \(year) "
            + "\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)) GMT"
    }

    // MARK: - Helpers

    private static func number(_ s: Substring) -> Int64? {
        guard !s.isEmpty, s.count <= 9, s.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int64(s)
    }

    private static func monthIndex(_ s: Substring) -> Int64? {
        months.firstIndex(of: String(s)).map { Int64($0) + 1 }
    }

    /// `hh:mm:ss` → seconds of day. Allows a leap second (60), like RFC 5322.
    private static func clock(_ s: Substring) -> Int64? {
        let p = s.split(separator: ":", omittingEmptySubsequences: false)
        guard p.count == 3, p.allSatisfy({ $0.count == 2 }),
              let h = number(p[0]), let m = number(p[1]), let sec = number(p[2]),
              h < 24, m < 60, sec <= 60
        else { return nil }
        return h * 3600 + m * 60 + sec
    }

    private static func fullYear(twoDigit yy: Int64, wallClockSeconds: Double?) -> Int64 {
        guard let wall = wallClockSeconds, wall.isFinite, abs(wall) < 1e15 else {
            return yy < 70 ? 2000 + yy : 1900 + yy
        }
        let currentYear = CivilCalendar.date(fromDays: CivilCalendar.floorDivide(Int64(wall.rounded(.down)), 86_400).quotient).year
        var year = (currentYear / 100) * 100 + yy
        if year > currentYear + 50 { year -= 100 }
        return year
    }

    private static func epoch(year: Int64, month: Int64, day: Int64, time: Int64) -> Int64? {
        guard year >= 1, day >= 1, day <= daysInMonth(year: year, month: month) else { return nil }
        return CivilCalendar.days(fromYear: year, month: month, day: day) * 86_400 + time
    }

    private static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
