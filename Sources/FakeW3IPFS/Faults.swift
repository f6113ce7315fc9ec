/// Misbehaviour switched on at run time, read once per request as it arrives.
public struct Faults: Sendable {
    /// Sleep this long after reading the request (and recording it) and before answering.
    ///
    /// Graceful ``RunningFakeW3IPFS/stop()`` waits for in-flight delays, so keep them short.
    public var responseDelay: Duration?
    /// Hold each answer (after recording its request, before ``responseDelay``) until this gate is opened.
    public var gate: ResponseGate?
    /// Answer requests with this instead of serving the API (before credentials are checked).
    public var forcedResponse: ForcedResponse?
    /// Header lines added to every answer, forced or not, e.g. `Cache-Control: max-age=5`.
    /// A name the fake already set (e.g. `Content-Type`) is replaced; repeats in this list are all sent.
    public var extraResponseHeaders: [(String, String)]
    /// Apply ``forcedResponse`` only to the next N requests (counted down as they arrive), then serve
    /// normally; `nil` forces every request while ``forcedResponse`` is set.
    public var remainingForcedResponses: Int?
    /// Answer a GET `304 Not Modified` (no body, the same fields) when its `If-None-Match` names the answer's
    /// `ETag` (weak comparison, `*` included) or, without `If-None-Match`, its `If-Modified-Since` equals the
    /// answer's `Last-Modified`. Off by default: the real API's behaviour is unknown. The answer's validators
    /// usually come from ``extraResponseHeaders``.
    public var answersConditionalGETs: Bool

    /// Create a fault set; all off by default.
    /// - Parameters:
    ///   - responseDelay: Delay before answering.
    ///   - forcedResponse: Canned answer.
    ///   - extraResponseHeaders: Header lines added to every answer.
    ///   - remainingForcedResponses: How many requests get the canned answer (`nil`: all).
    ///   - answersConditionalGETs: Answer matching conditional GETs `304`.
    ///   - gate: Holds answers until the test opens it.
    public init(
        responseDelay: Duration? = nil,
        forcedResponse: ForcedResponse? = nil,
        extraResponseHeaders: [(String, String)] = [],
        remainingForcedResponses: Int? = nil,
        answersConditionalGETs: Bool = false,
        gate: ResponseGate? = nil
    ) {
        self.responseDelay = responseDelay
        self.gate = gate
        self.forcedResponse = forcedResponse
        self.extraResponseHeaders = extraResponseHeaders
        self.remainingForcedResponses = remainingForcedResponses
        self.answersConditionalGETs = answersConditionalGETs
    }

    /// No faults.
    public static var none: Faults { Faults() }

    /// The canned answer for the request arriving now, counting down ``remainingForcedResponses``.
    mutating func takeForcedResponse() -> ForcedResponse? {
        guard let forced = self.forcedResponse else { return nil }
        guard let remaining = self.remainingForcedResponses else { return forced }
        guard remaining > 0 else { return nil }
        self.remainingForcedResponses = remaining - 1
        return forced
    }
}
