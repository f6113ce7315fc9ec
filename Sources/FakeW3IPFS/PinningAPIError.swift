import HTTPTypes
import Hummingbird

/// A refusal the fake answers with its JSON error envelope `{"message": "...", "status": "error"}`.
///
/// The upstream docs only show success envelopes (`"status": "success"`); errors mirror that
/// shape with `"status": "error"` and a human-readable `message`, for every 4xx/5xx the fake makes.
struct PinningAPIError: Error, Sendable {
    /// Status the error is answered with.
    let status: HTTPResponse.Status
    /// Human-readable reason, sent as `message`.
    let message: String
    /// For 405: the methods the path does accept (sent as `Allow`).
    var allowedMethods: [HTTPRequest.Method] = []

    static func badRequest(_ message: String) -> PinningAPIError {
        PinningAPIError(status: .badRequest, message: message)
    }

    static func unauthorized(_ message: String) -> PinningAPIError {
        PinningAPIError(status: .unauthorized, message: message)
    }

    static func pinNotFound(_ id: String) -> PinningAPIError {
        PinningAPIError(status: .notFound, message: "pin \(id) not found")
    }

    static func routeNotFound(_ method: HTTPRequest.Method, _ path: String) -> PinningAPIError {
        PinningAPIError(status: .notFound, message: "no route for \(method.rawValue) \(path)")
    }

    static func methodNotAllowed(_ method: HTTPRequest.Method, allowed: [HTTPRequest.Method]) -> PinningAPIError {
        PinningAPIError(
            status: .methodNotAllowed,
            message: "method \(method.rawValue) not allowed",
            allowedMethods: allowed
        )
    }

    /// The error as a response (JSON envelope, `Allow` for 405).
    var response: Response {
        var response = Response.json(status: self.status, ErrorEnvelope(message: self.message))
        if !self.allowedMethods.isEmpty {
            response.headers[.allow] = self.allowedMethods.map(\.rawValue).joined(separator: ", ")
        }
        return response
    }

    /// The envelope as JSON text, for canned bodies.
    static func envelopeJSON(message: String) -> String {
        String(decoding: JSONBody.encode(ErrorEnvelope(message: message)), as: UTF8.self)
    }
}
