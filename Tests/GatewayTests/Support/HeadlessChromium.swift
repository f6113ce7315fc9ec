import Foundation
import Testing

/// Headless Chromium on a private profile, its DevTools on a port it picks itself (`--remote-debugging-port=0`, read
/// back from its `DevTools listening on ws://…` line), driven over a ``DevToolsConnection``.
final class HeadlessChromium: Sendable {
    /// Names the browser is looked for under, in order.
    static let names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]
    /// Folders searched besides `PATH`.
    static let folders = ["/usr/bin", "/usr/local/bin", "/snap/bin"]

    /// The browser's path: `PINGATE_TEST_CHROMIUM` when set, else the first of ``names`` in `PATH` or ``folders``.
    static func locate() -> String? {
        let environment = ProcessInfo.processInfo.environment
        if let given = environment["PINGATE_TEST_CHROMIUM"], !given.isEmpty {
            return FileManager.default.isExecutableFile(atPath: given) ? given : nil
        }
        let path = (environment["PATH"] ?? "").split(separator: ":").map(String.init) + folders
        for name in names {
            for folder in path where FileManager.default.isExecutableFile(atPath: folder + "/" + name) {
                return folder + "/" + name
            }
        }
        return nil
    }

    /// What the test says when there is no browser: it fails (CI installs one), it does not skip.
    static var missingMessage: String {
        "headless Chromium is required for the dashboard's browser test and was not found (looked for \(names.joined(separator: ", ")) "
            + "in PATH and \(folders.joined(separator: ", ")); install it with `apt-get install -y chromium` (.ci/run does), "
            + "or point PINGATE_TEST_CHROMIUM at a Chromium or Chrome binary"
    }

    private let process: PingateProcess
    /// The connection to the browser (not to a page).
    let devTools: DevToolsConnection

    private init(process: PingateProcess, devTools: DevToolsConnection) {
        self.process = process
        self.devTools = devTools
    }

    /// Starts the browser with `profile` as its user-data folder and connects to its DevTools.
    /// - Throws: ``WaitTimeout`` when it does not print its DevTools address within `timeout`.
    static func launch(_ executable: String, profile: TemporaryDirectory, within timeout: Duration) async throws -> HeadlessChromium {
        let process = try PingateProcess(
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--remote-debugging-port=0",
                "--user-data-dir=\(profile.path)", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                "--window-size=1280,1700", "about:blank",
            ],
            environment: ["HOME": profile.path], executable: URL(fileURLWithPath: executable)
        )
        do {
            let line = try await process.line(containing: "DevTools listening on ws://", within: timeout)
            guard let start = line.range(of: "ws://") else { throw DevToolsError("no address in: \(line)") }
            let address = String(line[start.lowerBound...]).trimmingCharacters(in: .whitespaces)
            return HeadlessChromium(process: process, devTools: try await DevToolsConnection.connect(to: address))
        } catch {
            process.terminate()
            throw error
        }
    }

    /// A new tab attached over the browser's connection (flat session), with the runtime, log and page domains on
    /// before anything loads, so that no message of the page is missed.
    /// - Returns: the session id for ``DevToolsConnection/call(_:_:session:)``.
    func newPage() async throws -> String {
        let target = try await devTools.call("Target.createTarget", ["url": "about:blank"])
        guard let targetID = target.result["targetId"] as? String else { throw DevToolsError("no target id in \(target)") }
        let attached = try await devTools.call("Target.attachToTarget", ["targetId": targetID, "flatten": true])
        guard let session = attached.result["sessionId"] as? String else { throw DevToolsError("no session id in \(attached)") }
        for domain in ["Runtime", "Log", "Page"] { try await devTools.call("\(domain).enable", session: session) }
        return session
    }

    /// Loads `url` in the tab of `session` and waits for its load event.
    func navigate(_ session: String, to url: String, within timeout: Duration) async throws {
        let before = devTools.events.count
        let navigation = try await devTools.call("Page.navigate", ["url": url], session: session)
        if let failure = navigation.result["errorText"] as? String { throw DevToolsError("loading \(url) failed: \(failure)") }
        try await devTools.event("Page.loadEventFired", session: session, after: before, within: timeout)
    }

    /// Evaluates `expression` in the page (awaiting it when it is a promise) and returns its value.
    func evaluate(_ session: String, _ expression: String) async throws -> Any? {
        let answer = try await devTools.call(
            "Runtime.evaluate", ["expression": expression, "awaitPromise": true, "returnByValue": true], session: session
        )
        if let exception = answer.result["exceptionDetails"] { throw DevToolsError("the page threw: \(exception)") }
        return (answer.result["result"] as? [String: Any])?["value"]
    }

    /// Every error the page reported: exceptions, `console.error`/`console.assert`, and error-level log entries
    /// (failed loads, Content-Security-Policy violations).
    func consoleErrors(_ session: String) -> [String] {
        devTools.events.filter { $0.object["sessionId"] as? String == session }.compactMap { event -> String? in
            let params = event.params
            switch event.method {
            case "Runtime.exceptionThrown":
                return "exception: \(params["exceptionDetails"] ?? params)"
            case "Runtime.consoleAPICalled" where ["error", "assert"].contains(params["type"] as? String ?? ""):
                return "console.\(params["type"] ?? ""): \(params["args"] ?? "")"
            case "Log.entryAdded":
                let entry = params["entry"] as? [String: Any] ?? [:]
                return entry["level"] as? String == "error" ? "log: \(entry["text"] ?? entry)" : nil
            default:
                return nil
            }
        }
    }

    /// A PNG of the whole page.
    func screenshot(_ session: String) async throws -> Data {
        let answer = try await devTools.call("Page.captureScreenshot", ["format": "png", "captureBeyondViewport": true], session: session)
        guard let base64 = answer.result["data"] as? String, let data = Data(base64Encoded: base64) else {
            throw DevToolsError("no screenshot data")
        }
        return data
    }

    /// Asks the browser to close, waits (bounded) for it to exit, and kills it if it does not.
    func close() async {
        let devTools = self.devTools
        _ = try? await withDeadline("the browser to answer Browser.close", within: .seconds(10)) { try await devTools.call("Browser.close") }
        await devTools.close()
        if (try? await process.waitForExit(within: .seconds(20))) == nil { process.terminate() }
    }
}
