import Testing
import PingateCore
@testable import GatewayLimits

// MARK: - Budget strings, HTTP-date and Retry-After parsing

@Suite("Parsing")
struct ParsingTests {
    @Test("rate strings", arguments: [
        ("10/s", 10.0), ("600/m", 10.0), ("3600/h", 1.0), ("5", 5.0), ("0.5/s", 0.5),
        (" 2 / min ", 2.0 / 60), ("90/MINUTE", 1.5), ("7200/hr", 2.0), ("3/sec", 3.0), ("1/hour", 1.0 / 3600),
    ])
    func rates(text: String, perSecond: Double) throws {
        #expect(try RateBudget.parseRate(text) == perSecond)
    }

    @Test("rate string errors name the bad value", arguments: [
        ("", RateBudgetError.emptyRate),
        ("   ", .emptyRate),
        ("abc/s", .invalidNumber("abc/s")),
        ("-1", .invalidNumber("-1")),
        ("inf", .invalidNumber("inf")),
        ("1e3/s", .invalidNumber("1e3/s")),
        ("/s", .invalidNumber("/s")),
        ("10/d", .invalidUnit("d")),
        ("10/", .invalidUnit("")),
        ("0/s", .rateOutOfRange("0/s")),
        ("2000000000", .rateOutOfRange("2000000000")),
    ])
    func rateErrors(text: String, error: RateBudgetError) {
        #expect(throws: error) { try RateBudget.parseRate(text) }
    }

    @Test("budgets and burst validation")
    func budgets() throws {
        let b = try RateBudget(parsing: "600/m", burst: 20)
        #expect(b.rate == 10 && b.burst == 20 && b.emissionIntervalNanos == 100_000_000)
        #expect(b.toleranceNanos == 1_900_000_000)
        #expect(RateBudget(rate: 3, burst: 1).emissionIntervalNanos == 333_333_333)
        #expect(throws: RateBudgetError.invalidBurst(0)) { try RateBudget(parsing: "1/s", burst: 0) }
        #expect(throws: RateBudgetError.invalidBurst(Int.max)) { try RateBudget(parsing: "1/h", burst: .max) }
        #expect(throws: RateBudgetError.rateOutOfRange("nan")) { try RateBudget.validated(rate: .nan, burst: 1) }

        #expect(RateBudgetError.invalidUnit("d").description.contains("\"d\""))
        #expect(RateBudgetError.invalidNumber("x/s").description.contains("\"x/s\""))
        #expect(RateBudgetError.invalidBurst(0).description.contains("0"))
        #expect(!RateBudgetError.emptyRate.description.contains("\n"))
    }

    @Test("HTTP-date: IMF-fixdate, RFC 850 and asctime")
    func httpDates() {
        let expected: Int64 = 784_111_777
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == expected)
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT") == expected)
        #expect(HTTPDate.parse("Sun Nov  6 08:49:37 1994") == expected)
        #expect(HTTPDate.format(epochSeconds: expected) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.parse("Thu, 01 Jan 1970 00:00:00 GMT") == 0)
        #expect(HTTPDate.parse("Tue, 29 Feb 2028 23:59:59 GMT") == 1_835_481_599)
        #expect(HTTPDate.format(epochSeconds: 1_835_481_599) == "Tue, 29 Feb 2028 23:59:59 GMT")
        // RFC 850 two-digit years: > 50 years in the future means last century.
        let wall2025 = 1_750_000_000.0
        #expect(HTTPDate.parse("Tuesday, 01-Jan-80 00:00:00 GMT", wallClockSeconds: wall2025) == 315_532_800)
        #expect(HTTPDate.parse("Wednesday, 01-Jan-75 00:00:00 GMT") == 157_766_400) // no reference: 70–99 → 19xx
        #expect(HTTPDate.parse("Friday, 01-Jan-featuring GMT") == nil)
        #expect(HTTPDate.parse("Saturday, 01-Jan-50 00:00:00 GMT", wallClockSeconds: wall2025) == 2_524_608_000)
        for bad in ["", "garbage", "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
                    "Sun, 06 Nov 1994 08:49:37 UTC", "Xyz, 06 Nov 1994 08:49:37 GMT", "Sun, 6 Nov 1994 08:49:37 GMT"] {
            #expect(HTTPDate.parse(bad) == nil, "\(bad)")
        }
    }

    @Test("Retry-After values")
    func retryAfterValues() {
        #expect(RetryAfter(headerValue: "120") == .seconds(120))
        #expect(RetryAfter(headerValue: " 7 ") == .seconds(7))
        #expect(RetryAfter(headerValue: "Sun, 06 Nov 1994 08:49:37 GMT") == .date(epochSeconds: 784_111_777))
        #expect(RetryAfter(headerValue: "-5") == nil)
        #expect(RetryAfter(headerValue: "1.5") == nil)
        #expect(RetryAfter(headerValue: "") == nil)
        #expect(RetryAfter.seconds(3).delay(wallClockSeconds: 0) == .seconds(3))
        #expect(RetryAfter.date(epochSeconds: 100).delay(wallClockSeconds: 90.5) == ms(9500))
        #expect(RetryAfter.date(epochSeconds: 100).delay(wallClockSeconds: 200) == .zero)
    }
}
