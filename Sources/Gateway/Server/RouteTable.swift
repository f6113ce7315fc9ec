import AsyncHTTPClient

/// The routes with their forwarders, resolved once per request by longest prefix.
struct RouteTable: Sendable {
    /// A route ready to forward.
    struct Entry: Sendable {
        let route: GatewayRoute
        let forwarder: Forwarder
    }

    /// Most specific prefix first; the default route (`/`) last.
    let entries: [Entry]

    init(configuration: GatewayConfiguration, client: HTTPClient, credentials: CredentialStore) {
        entries = configuration.allRoutes.map { route in
            Entry(route: route, forwarder: Forwarder(client: client, upstream: route.upstream, credentials: credentials, route: route.name))
        }
    }

    /// The route for a request target (path + query).
    func resolve(_ target: String) -> Entry {
        if entries.count == 1 { return entries[0] }
        return entries.first { $0.route.matches(path: target) } ?? entries[entries.count - 1]
    }
}
