import Foundation
import Testing

/// The dashboard in a real browser: headless Chromium loads `/_pingate/` through the gateway, under the page's own
/// Content-Security-Policy, and must render what `/_pingate/stats` says without a single console error.
///
/// Without Chromium this fails (CI installs the Debian `chromium` package); it never skips.
@Suite("Dashboard: headless Chromium", .serialized, .timeLimit(.minutes(3)))
struct DashboardBrowserTests {
    static let list = "/api/pinning/pins/?limit=4"
    static let last = "/api/pinning/pins/?limit=9&api_key=leak-me&sortBy=name"

    @Test("the page shows the JSON's hit count and last request's path, the console has no errors; a screenshot is written")
    func rendersStats() async throws {
        let chromium = try #require(HeadlessChromium.locate(), Comment(rawValue: HeadlessChromium.missingMessage))
        let folder = try TemporaryDirectory(prefix: "pingate-dashboard-browser")
        let profile = try TemporaryDirectory(prefix: "pingate-chromium-profile")
        try await GatewayHarness.run { h in
            #expect(try await h.send(.GET, Self.list, headers: [("X-Pingate-Client", "browser-test")]).status == 200)
            for _ in 0..<2 { #expect(try await h.send(.GET, Self.list).headers["cache-status"] == ["pingate; hit"]) }
            #expect(try await h.send(.GET, Self.last).status == 200)
            let stats = try #require(try await h.send(.GET, "/_pingate/stats").json)
            let hits = try #require((stats["cache"] as? [String: Any])?["hits"] as? Int)
            let path = try #require((stats["recent"] as? [[String: Any]])?.first?["path"] as? String)
            #expect(hits == 2)
            #expect(path == "/api/pinning/pins/?limit=9&api_key=REDACTED&sortBy=name")

            let browser = try await HeadlessChromium.launch(chromium, profile: profile, within: .seconds(60))
            do {
                let session = try await browser.newPage()
                try await browser.navigate(session, to: h.proxyURL + "/_pingate/", within: .seconds(30))
                let shown = try await Self.waitUntilShown(hits: hits, path: path, in: browser, session: session)
                #expect(shown == [String(hits), path])

                let errors = browser.consoleErrors(session)
                #expect(errors.isEmpty, "the browser console reported errors:\n\(errors.joined(separator: "\n"))")
                let title = try await browser.evaluate(session, "document.title") as? String
                #expect(title == "pingate")
                let sections = try await browser.evaluate(session, "document.querySelectorAll('main section').length") as? Int
                #expect(sections == 5)
                let areas = try await browser.evaluate(session, "document.querySelectorAll('#chart svg path.area').length") as? Int
                #expect(areas == 3, "the series is drawn as three stacked areas")

                let png = try await browser.screenshot(session)
                #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "a PNG")
                let file = folder.file("dashboard.png")
                try png.write(to: URL(fileURLWithPath: file))
                #expect(FileManager.default.fileExists(atPath: file))
                if let keep = ProcessInfo.processInfo.environment["PINGATE_SCREENSHOT_DIR"], !keep.isEmpty {
                    try? png.write(to: URL(fileURLWithPath: keep).appendingPathComponent("dashboard.png"))
                }
            } catch {
                await browser.close()
                throw error
            }
            await browser.close()
        }
    }

    /// Waits (bounded) until the page shows `hits` as the cache's hit count and `path` as the newest request's path:
    /// a promise in the page that a `MutationObserver` resolves, so nothing polls. Returns what the page shows.
    static func waitUntilShown(hits: Int, path: String, in browser: HeadlessChromium, session: String) async throws -> [String] {
        let expected = String(decoding: try JSONSerialization.data(withJSONObject: [String(hits), path]), as: UTF8.self)
        let read = """
            (() => [document.getElementById('cache-hits').textContent,
                    (document.querySelector('#recent-table tbody tr td.path') || {}).textContent || null])()
            """
        let wait = """
            new Promise((resolve) => {
              const expected = \(expected);
              const read = () => \(read);
              const done = () => { const shown = read(); return shown[0] === expected[0] && shown[1] === expected[1] ? shown : null; };
              const now = done();
              if (now) { resolve(now); return; }
              new MutationObserver((_, observer) => {
                const shown = done();
                if (shown) { observer.disconnect(); resolve(shown); }
              }).observe(document.body, { subtree: true, childList: true, characterData: true });
            })
            """
        do {
            return try await withDeadline("the dashboard to show \(hits) hits and the path \(path)", within: .seconds(30)) {
                (try await browser.evaluate(session, wait) as? [String]) ?? []
            }
        } catch let timeout as WaitTimeout {
            let shown = (try? await browser.evaluate(session, read)).map { "\($0)" } ?? "nothing"
            throw WaitTimeout(timeout.what, waited: timeout.waited, observed: "the page shows \(shown); console: \(browser.consoleErrors(session))")
        }
    }
}
