import GatewayLimits
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// One request's journey through the async path, with what the access log reports about it.
struct Exchange {
    let request: Request
    /// The request body as the upstream client reads it; closed before Hummingbird drains the rest.
    let body: RequestBodyRelay
    /// Path + query exactly as sent.
    let target: String
    /// The route (upstream, credentials) this request goes to.
    let route: RouteTable.Entry
    let requestID: String
    /// Client identity for budgets and logs.
    let client: String
    let channel: any Channel
    let logger: Logger
    /// The `Cache-Status` value sent, if any.
    var cacheStatus: String?
    /// The budget that applied, for `RateLimit` headers.
    var limit: LimitInfo?
    /// `allowed`, `queued`, `rejected:<budget>`, or nil when no budget was consulted.
    var limitDecision: String?
    /// Time from sending upstream to the upstream's response head.
    var upstreamDuration: Duration?

    init(request: Request, target: String, route: RouteTable.Entry, requestID: String, client: String, channel: any Channel, logger: Logger) {
        self.request = request
        self.body = RequestBodyRelay(request.body)
        self.target = target
        self.route = route
        self.requestID = requestID
        self.client = client
        self.channel = channel
        self.logger = logger
    }

    /// The path without the query.
    var path: String {
        guard let question = target.firstIndex(of: "?") else { return target }
        return String(target[..<question])
    }

    /// Adds `RateLimit-Policy` and `RateLimit` for the budget that applied.
    func addLimitHeaders(to fields: inout HTTPFields) {
        guard let limit else { return }
        for field in RateLimitHeaders.fields(for: limit) {
            if let name = HTTPField.Name(field.name) { fields.append(HTTPField(name: name, value: field.value)) }
        }
    }
}
