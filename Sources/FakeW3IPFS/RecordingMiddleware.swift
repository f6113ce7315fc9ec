import HTTPTypes
import Hummingbird

/// Runs around every request, matched or not: taps and records it, applies the injected faults,
/// checks the credential headers, and turns every failure into the JSON error envelope.
///
/// Order per request: count it as arrived → forced response? → credentials → route → read any
/// unread body → record → gate → optional delay → extra headers → answer (bodiless for HEAD).
struct RecordingMiddleware: RouterMiddleware {
    typealias Context = FakeRequestContext

    let state: FakeW3IPFSState

    static let apiKeyHeader = HTTPField.Name("pinning_api_key")!
    static let secretKeyHeader = HTTPField.Name("pinning_secret_key")!

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let admission = self.state.admit()
        let tap = ExchangeTap()
        var request = request
        request.body = RequestBody(asyncSequence: TappedRequestBody(base: request.body, tap: tap))
        var context = context
        context.exchange = tap

        var response: Response
        if let forced = admission.forcedResponse {
            response = forced.response
        } else if let refusal = self.state.credentialFailure(
            apiKey: request.headers[Self.apiKeyHeader],
            secretKey: request.headers[Self.secretKeyHeader]
        ) {
            response = refusal.response
        } else {
            do {
                response = try await next(request, context)
            } catch let error as PinningAPIError {
                response = error.response
            } catch let error as HTTPError {
                response = error.status == .notFound
                    ? PinningAPIError.routeNotFound(request.method, request.uri.path).response
                    : PinningAPIError(status: error.status, message: error.body ?? error.status.reasonPhrase).response
            } catch {
                response = PinningAPIError(status: .internalServerError, message: "internal error: \(error)").response
            }
        }

        if tap.isUntouched {
            // read the body nobody wanted, so the log has its size and digest
            do {
                for try await _ in request.body {}
            } catch {
                // the tap already marked the body incomplete
            }
        }
        self.state.record(self.makeRecord(request, sequence: admission.sequence, tap: tap, status: response.status.code))

        if let gate = admission.faults.gate {
            await gate.pass()
        }
        if let delay = admission.faults.responseDelay {
            try? await Task.sleep(for: delay)
        }
        Self.apply(admission.faults.extraResponseHeaders, to: &response)
        if admission.faults.answersConditionalGETs, request.method == .get, Self.isNotModified(request.headers, response.headers),
           (200..<300).contains(response.status.code) {
            var headers = response.headers
            headers[.contentLength] = nil
            response = Response(status: .notModified, headers: headers)
        }
        if request.method == .head {
            response = response.createHeadResponse()
        }
        return response
    }

    private func makeRecord(_ request: Request, sequence: Int, tap: ExchangeTap, status: Int) -> RecordedRequest {
        var headers: [RecordedHeader] = []
        headers.reserveCapacity(request.headers.count + 1)
        if let authority = request.head.authority {
            headers.append(RecordedHeader(name: "Host", value: authority))
        }
        for field in request.headers {
            headers.append(RecordedHeader(name: field.name.rawName, value: field.value))
        }
        let summary = tap.summarize()
        return RecordedRequest(
            sequence: sequence,
            method: request.method.rawValue,
            path: request.uri.path,
            query: request.uri.query,
            headers: headers,
            bodyByteCount: summary.byteCount,
            bodySHA256: summary.sha256,
            bodyComplete: summary.complete,
            fileByteCount: summary.fileByteCount,
            fileSHA256: summary.fileSHA256,
            responseStatus: status
        )
    }

    /// Whether the request's validators match the answer's (`If-None-Match` by weak comparison, else an
    /// `If-Modified-Since` equal to `Last-Modified`).
    static func isNotModified(_ request: HTTPFields, _ response: HTTPFields) -> Bool {
        func opaque(_ tag: some StringProtocol) -> String {
            let trimmed = String(tag).trimmingSpaces()
            return trimmed.hasPrefix("W/") ? String(trimmed.dropFirst(2)) : trimmed
        }
        let conditions = request[values: .ifNoneMatch]
        if !conditions.isEmpty {
            guard let etag = response[.eTag].map({ opaque($0) }) else { return false }
            return conditions.contains { line in
                line.split(separator: ",").contains { member in String(member).trimmingSpaces() == "*" || opaque(member) == etag }
            }
        }
        guard let since = request[.ifModifiedSince], let modified = response[.lastModified] else { return false }
        return since.trimmingSpaces() == modified.trimmingSpaces()
    }

    /// Replace fields the fake set under the same names, then append every extra line in order.
    static func apply(_ extras: [(String, String)], to response: inout Response) {
        let fields = extras.compactMap { name, value in
            HTTPField.Name(name).map { HTTPField(name: $0, value: value) }
        }
        guard !fields.isEmpty else { return }
        for name in Set(fields.map(\.name)) {
            response.headers[name] = nil
        }
        response.headers.append(contentsOf: fields)
    }
}
