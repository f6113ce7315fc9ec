import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The demo's curl lines, and the same steps run through the proxy by `pingate demo --check`.
struct DemoScript: Sendable {
    /// Proxy base URL, e.g. `http://127.0.0.1:8787`.
    let base: String
    /// A small file the upload line sends.
    let sampleFile: String

    /// One documented call: its curl line and the status the API answers.
    struct Step: Sendable {
        let title: String
        let method: HTTPMethod
        let path: String
        let curl: String
        let expected: Int
    }

    static let sampleCID = "Qmc1135ziMvmFG534i75E8HpJoLqzLzgKBxfjBV9cBsMAs"
    static let pinByHashBody = #"{"hash_to_pin":"Qmc1135ziMvmFG534i75E8HpJoLqzLzgKBxfjBV9cBsMAs","metadata":{"name":"name-ipfs-hash"}}"#
    static let listQuery = "/api/pinning/pins/?offset=0&limit=10&pinned=all&sortBy=created_at&sortOrder=DESC"

    func steps(seededID: String) -> [Step] {
        [
            Step(title: "upload a file", method: .POST, path: "/api/pinning/",
                 curl: "curl -sS -X POST '\(base)/api/pinning/' -F 'file=@\(sampleFile)' -F 'metadata={\"name\":\"hello.txt\"}'", expected: 201),
            Step(title: "pin by hash", method: .POST, path: "/api/pinning/pinByHash",
                 curl: "curl -sS -X POST '\(base)/api/pinning/pinByHash' -H 'Content-Type: application/json' -d '\(Self.pinByHashBody)'", expected: 200),
            Step(title: "list pins", method: .GET, path: Self.listQuery,
                 curl: "curl -sS '\(base)\(Self.listQuery)'", expected: 200),
            Step(title: "get a pin", method: .GET, path: "/api/pinning/\(seededID)",
                 curl: "curl -sS '\(base)/api/pinning/\(seededID)'", expected: 200),
            Step(title: "unpin", method: .DELETE, path: "/api/pinning/unpin/\(seededID)",
                 curl: "curl -sS -X DELETE '\(base)/api/pinning/unpin/\(seededID)'", expected: 200),
        ]
    }

    /// Uploads one file through the proxy so the get/unpin lines have a real pin id.
    func seed() async throws -> String {
        let (status, body) = try await send(method: .POST, path: "/api/pinning/", multipartFile: "seed.txt", content: "seeded by pingate demo\n")
        guard status == 201,
              let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
              let data = object["data"] as? [String: Any], let id = data["id"] as? String
        else { throw ValidationFailure("seeding the demo pin failed with status \(status)") }
        return id
    }

    func banner(upstream: String, vault: String, seededID: String) -> String {
        var lines = [
            "pingate demo: proxy \(base) → fake w3ipfs upstream \(upstream)",
            "throwaway vault: \(vault) (credentials are injected by pingate; the curl lines send none)",
            "",
        ]
        for step in steps(seededID: seededID) {
            lines.append("# \(step.title)")
            lines.append(step.curl)
        }
        lines.append("")
        lines.append("# pingate's own endpoints")
        lines.append("curl -sS '\(base)/_pingate/healthz'")
        lines.append("")
        lines.append("# the dashboard: open \(base)/_pingate/ in a browser, or in a terminal:")
        lines.append("pingate status --url \(base) --watch")
        lines.append("")
        lines.append("Press Ctrl-C to stop.")
        return lines.joined(separator: "\n")
    }

    /// Runs every step through the proxy; returns nil when all answered as documented.
    func check(seededID: String) async -> String? {
        for step in steps(seededID: seededID) {
            do {
                let status: Int
                switch step.path {
                case "/api/pinning/":
                    status = try await send(method: .POST, path: step.path, multipartFile: "hello.txt", content: "hello from pingate demo\n").0
                case "/api/pinning/pinByHash":
                    status = try await send(method: .POST, path: step.path, json: Self.pinByHashBody).0
                default:
                    status = try await send(method: step.method, path: step.path).0
                }
                print("\(status == step.expected ? "ok  " : "FAIL") \(step.title): \(status)")
                if status != step.expected { return "\(step.title) answered \(status), expected \(step.expected)" }
            } catch {
                return "\(step.title): \(error)"
            }
        }
        for (title, path) in [("dashboard page", "/_pingate/"), ("dashboard stats", "/_pingate/stats")] {
            do {
                let status = try await send(method: .GET, path: path).0
                print("\(status == 200 ? "ok  " : "FAIL") \(title): \(status)")
                if status != 200 { return "\(title) answered \(status), expected 200" }
            } catch {
                return "\(title): \(error)"
            }
        }
        return nil
    }

    // MARK: - HTTP

    private func send(method: HTTPMethod, path: String, json: String) async throws -> (Int, String) {
        try await send(method: method, path: path, contentType: "application/json", body: json)
    }

    private func send(method: HTTPMethod, path: String, multipartFile name: String, content: String) async throws -> (Int, String) {
        let boundary = "pingate-demo-\(RandomToken.make())"
        let body = "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(name)\"\r\nContent-Type: text/plain\r\n\r\n\(content)\r\n"
            + "--\(boundary)\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{\"name\":\"\(name)\"}\r\n--\(boundary)--\r\n"
        return try await send(method: method, path: path, contentType: "multipart/form-data; boundary=\(boundary)", body: body)
    }

    private func send(method: HTTPMethod, path: String, contentType: String? = nil, body: String? = nil) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let buffer = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: buffer))
    }
}
