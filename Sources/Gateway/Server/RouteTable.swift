/// The routes, resolved once per request by longest prefix.
struct RouteTable: Sendable {
    /// Most specific prefix first; the default route (`/`) last.
    let routes: [GatewayRoute]

    init(configuration: GatewayConfiguration) {
        routes = configuration.allRoutes
    }

    /// The route for a request target (path + query).
    func resolve(_ target: String) -> GatewayRoute {
        if routes.count == 1 { return routes[0] }
        return routes.first { $0.matches(path: target) } ?? routes[routes.count - 1]
    }
}
