import NIOCore

/// The dashboard at `/_pingate/`: one HTML page, its script and its style sheet, compiled into the binary
/// (`Admin/Dashboard/`), served from pingate's own origin under a strict `Content-Security-Policy`: nothing inline,
/// nothing from elsewhere, no framing, no forms. The page holds no data: its script reads `GET /_pingate/stats`
/// once a second.
enum DashboardPage {
    /// Where the script and the style sheet are served.
    static let scriptPath = "/_pingate/dashboard.js"
    static let styleSheetPath = "/_pingate/dashboard.css"

    /// Only pingate's own origin may provide scripts, styles and data; images only as `data:` (the empty favicon).
    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        + "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    static let page = secured(AdminEndpoints.Answer(
        status: .ok, contentType: "text/html; charset=utf-8", body: ByteBuffer(bytes: PackageResources.index_html)
    ))
    static let script = secured(AdminEndpoints.Answer(
        status: .ok, contentType: "text/javascript; charset=utf-8", body: ByteBuffer(bytes: PackageResources.dashboard_js)
    ))
    static let styleSheet = secured(AdminEndpoints.Answer(
        status: .ok, contentType: "text/css; charset=utf-8", body: ByteBuffer(bytes: PackageResources.dashboard_css)
    ))

    /// `answer` with the fields every dashboard answer carries: the policy, no content sniffing, no framing, no
    /// referrer.
    static func secured(_ answer: AdminEndpoints.Answer) -> AdminEndpoints.Answer {
        var answer = answer
        answer.headers += [
            ("Content-Security-Policy", contentSecurityPolicy),
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "DENY"),
            ("Referrer-Policy", "no-referrer"),
        ]
        return answer
    }
}
