import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import Vault

@testable import FakeW3IPFS

@Suite("Fake w3ipfs over real sockets", .timeLimit(.minutes(2)))
struct FakeW3IPFSServerTests {
    // MARK: - Credentials

    @Test func missingOrWrongCredentialsAre401AndRecorded() async throws {
        try await withFake { fake, client in
            var anonymous = client
            anonymous.apiKey = nil
            anonymous.secretKey = nil
            let missing = try await anonymous.send(.GET, "/api/pinning/pins/")
            #expect(missing.status == 401)
            #expect(missing.json?["status"] as? String == "error")
            #expect((missing.json?["message"] as? String)?.isEmpty == false)

            var wrong = client
            wrong.secretKey = "nope"
            #expect(try await wrong.send(.GET, "/api/pinning/pins/").status == 401)

            // dashed spellings are not the documented headers
            var dashed = anonymous
            dashed.apiKey = nil
            let dashedAnswer = try await dashed.send(.GET, "/api/pinning/pins/", headers: [
                ("pinning-api-key", FakeUpstreamClient.apiKey), ("pinning-secret-key", FakeUpstreamClient.secretKey),
            ])
            #expect(dashedAnswer.status == 401)

            let log = fake.state.requests
            #expect(log.count == 3)
            #expect(log.map(\.responseStatus) == [401, 401, 401])
            #expect(log.map(\.sequence) == [0, 1, 2])
            #expect(log[0].method == "GET")
            #expect(log[0].path == "/api/pinning/pins/")
            #expect(log[0].header("pinning_api_key") == nil)
            #expect(log[1].header("pinning_secret_key") == "nope")
            #expect(log[0].headers.first?.name == "Host")
            #expect(log[0].bodyByteCount == 0)
            #expect(log[0].bodySHA256 == SHA256Hasher.hexDigest([]))
        }
    }

    // MARK: - Upload

    @Test func streamedUploadIsHashedAsItArrives() async throws {
        try await withFake { fake, client in
            let upload = GeneratedUpload(fileSize: 8 * 1024 * 1024 + 123, chunkSize: 64 * 1024 + 7, seed: 42)
            let expected = upload.expectedDigests()
            let answer = try await client.send(.POST, "/api/pinning/", headers: [("Content-Type", upload.contentType)],
                                               body: upload.requestBody)
            #expect(answer.status == 201)
            #expect(answer.json?["status"] as? String == "success")
            let data = answer.data
            let id = try #require(data["id"] as? String)
            #expect(data["pinned"] as? Bool == true)
            #expect(data["status"] as? String == "pinned")
            #expect(data["is_pin_by_hash"] as? Bool == false)
            #expect(data["is_dir"] as? Bool == false)
            #expect((data["cid"] as? String)?.hasPrefix("bafy") == true)
            #expect(data["root_hash"] as? String == data["cid"] as? String)
            #expect((data["metadata"] as? [String: Any])?["name"] as? String == "generated.bin")
            #expect((data["metadata"] as? [String: Any])?["type"] as? String == "application/octet-stream")
            #expect(data["date_unpinned"] is NSNull)
            let datePinned = try #require(data["date_pinned"] as? String)
            #expect(datePinned.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z/) != nil)

            let record = try #require(fake.state.requests.last)
            #expect(record.method == "POST")
            #expect(record.fileByteCount == upload.fileSize)
            #expect(record.fileSHA256 == expected.file)
            #expect(record.bodyByteCount == upload.totalLength)
            #expect(record.bodySHA256 == expected.body)
            #expect(record.bodyComplete)
            #expect(record.responseStatus == 201)

            let fetched = try await client.send(.GET, "/api/pinning/\(id)")
            #expect(fetched.status == 200)
            #expect(fetched.data["size"] as? Int == upload.fileSize)
            #expect(fetched.data["cid"] as? String == data["cid"] as? String)
        }
    }

    @Test func uploadsWithoutFileOrWithHugeMetadataAre400() async throws {
        try await withFake { fake, client in
            var noFile = GeneratedUpload(fileSize: 10, chunkSize: 10, seed: 1)
            noFile.filename = "x"
            let body = "--\(noFile.boundary)\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nvalue\r\n--\(noFile.boundary)--\r\n"
            let missing = try await client.send(.POST, "/api/pinning/", headers: [("Content-Type", noFile.contentType)],
                                                body: .bytes(ByteBuffer(string: body)))
            #expect(missing.status == 400)
            #expect(missing.json?["status"] as? String == "error")

            var huge = GeneratedUpload(fileSize: 1000, chunkSize: 100, seed: 2)
            huge.metadataJSON = "{\"name\":\"" + String(repeating: "m", count: 70 * 1024) + "\"}"
            let tooBig = try await client.send(.POST, "/api/pinning/", headers: [("Content-Type", huge.contentType)],
                                               body: huge.requestBody)
            #expect(tooBig.status == 400)
            let record = try #require(fake.state.requests.last)
            #expect(record.bodyByteCount == huge.totalLength)
            #expect(record.bodySHA256 == huge.expectedDigests().body)

            let notMultipart = try await client.sendJSON(.POST, "/api/pinning/", json: "{}")
            #expect(notMultipart.status == 400)
            #expect(fake.state.pinCount == 0)
        }
    }

    // MARK: - Pin by hash, get, unpin

    @Test func pinByHashIsQueuedUntilTheTestPinsIt() async throws {
        try await withFake { fake, client in
            let cid = "Qmc1135ziMvmFG534i75E8HpJoLqzLzgKBxfjBV9cBsMAs"
            let answer = try await client.sendJSON(.POST, "/api/pinning/pinByHash",
                                                   json: #"{"hash_to_pin":"\#(cid)","metadata":{"name":"name-ipfs-hash"}}"#)
            #expect(answer.status == 200)
            let id = try #require(answer.data["id"] as? String)
            #expect(answer.data["is_pin_by_hash"] as? Bool == true)
            #expect(answer.data["status"] as? String == "queued")
            #expect(answer.data["pinned"] as? Bool == false)
            #expect(answer.data["cid"] as? String == cid)
            #expect((answer.data["metadata"] as? [String: Any])?["name"] as? String == "name-ipfs-hash")

            #expect(fake.state.setStatus(id: id, "pinned"))
            #expect(!fake.state.setStatus(id: "no-such-pin", "pinned"))
            let fetched = try await client.send(.GET, "/api/pinning/\(id)")
            #expect(fetched.data["status"] as? String == "pinned")
            #expect(fetched.data["pinned"] as? Bool == true)

            #expect(try await client.sendJSON(.POST, "/api/pinning/pinByHash", json: #"{"metadata":{}}"#).status == 400)
            #expect(try await client.sendJSON(.POST, "/api/pinning/pinByHash", json: "not json").status == 400)
        }
    }

    @Test func getAndUnpinAnswer404ForUnknownPins() async throws {
        try await withFake { _, client in
            let missing = try await client.send(.GET, "/api/pinning/3c3fec2a-ca65-4b8e-bcf3-c8e2ceaa23d2")
            #expect(missing.status == 404)
            #expect(missing.json?["status"] as? String == "error")
            #expect(missing.headers.first(name: "content-type")?.hasPrefix("application/json") == true)
            #expect(try await client.send(.DELETE, "/api/pinning/unpin/3c3fec2a-ca65-4b8e-bcf3-c8e2ceaa23d2").status == 404)
        }
    }

    @Test func unpinKeepsThePinAsUnpinned() async throws {
        try await withFake { _, client in
            let id = try await Self.upload(client, name: "a.txt", content: "hello")
            let unpinned = try await client.send(.DELETE, "/api/pinning/unpin/\(id)")
            #expect(unpinned.status == 200)
            #expect(unpinned.data["pinned"] as? Bool == false)
            #expect(unpinned.data["status"] as? String == "unpinned")
            #expect(unpinned.data["date_unpinned"] is String)

            let fetched = try await client.send(.GET, "/api/pinning/\(id)")
            #expect(fetched.status == 200)
            #expect(fetched.data["pinned"] as? Bool == false)
            #expect(fetched.data["date_unpinned"] as? String == unpinned.data["date_unpinned"] as? String)
        }
    }

    // MARK: - List

    @Test func listFiltersSortsPagesAndTotals() async throws {
        try await withFake { fake, client in
            let c = try await Self.upload(client, name: "c.txt", content: "ccc")  // 3 bytes
            let a = try await Self.upload(client, name: "a.txt", content: "aaaaa")  // 5 bytes
            let b = try await Self.upload(client, name: "b.txt", content: "b")  // 1 byte
            let queued = try await client.sendJSON(.POST, "/api/pinning/pinByHash",
                                                   json: #"{"hash_to_pin":"bafyqueued","metadata":{"name":"d-queued"}}"#)
            let d = try #require(queued.data["id"] as? String)
            #expect(try await client.send(.DELETE, "/api/pinning/unpin/\(b)").status == 200)

            func ids(_ query: String) async throws -> (ids: [String], files: Int?, size: Int?) {
                let answer = try await client.send(.GET, "/api/pinning/pins/" + query)
                #expect(answer.status == 200, "\(query)")
                let pins = answer.data["pins"] as? [[String: Any]] ?? []
                let totals = answer.data["totals"] as? [String: Any]
                return (pins.compactMap { $0["id"] as? String }, totals?["files"] as? Int, totals?["size"] as? Int)
            }

            let all = try await ids("")  // defaults: all, created_at DESC
            #expect(all.ids == [d, b, a, c])
            #expect(all.files == 4)
            #expect(all.size == 9)

            let pinnedOnly = try await ids("?pinned=true")
            #expect(pinnedOnly.ids == [a, c])
            #expect(pinnedOnly.files == 2)
            #expect(pinnedOnly.size == 8)

            let notPinned = try await ids("?pinned=false&sortBy=created_at&sortOrder=ASC")
            #expect(notPinned.ids == [b, d])
            #expect(notPinned.files == 2)
            #expect(notPinned.size == 1)

            #expect(try await ids("?sortBy=name&sortOrder=ASC").ids == [a, b, c, d])
            #expect(try await ids("?sortBy=size&sortOrder=DESC").ids == [a, c, b, d])

            let page = try await ids("?offset=1&limit=2&sortBy=name&sortOrder=ASC")
            #expect(page.ids == [b, c])
            #expect(page.files == 4)  // totals count the whole filtered set, not the page
            #expect(try await ids("?offset=10").ids.isEmpty)

            // the documented example query
            #expect(try await ids("?offset=0&limit=10&pinned=true&sortBy=name&sortOrder=ASC").ids == [a, c])

            for bad in ["?offset=-1", "?offset=x", "?limit=0", "?limit=1001", "?pinned=yes", "?sortBy=date", "?sortOrder=UP"] {
                let answer = try await client.send(.GET, "/api/pinning/pins/" + bad)
                #expect(answer.status == 400, "\(bad)")
                #expect(answer.json?["status"] as? String == "error")
            }
            #expect(fake.state.requests.last?.query == "sortOrder=UP")
        }
    }

    @Test func uploadThatBreaksOffIsRecordedIncomplete() async throws {
        try await withFake { fake, client in
            let upload = GeneratedUpload(fileSize: 4 * 1024 * 1024, chunkSize: 64 * 1024, seed: 9)
            let sent = 1 + 8  // head and eight file chunks, then the client gives up
            await #expect(throws: (any Error).self) {
                _ = try await client.send(.POST, "/api/pinning/", headers: [("Content-Type", upload.contentType)],
                                          body: .stream(BreakingChunks(upload: upload, chunksBeforeFailure: sent),
                                                        length: .known(Int64(upload.totalLength))))
            }
            let record = try #require(try await fake.state.waitForRequests(count: 1).first)
            #expect(!record.bodyComplete)
            #expect(record.bodyByteCount <= upload.head.count + 8 * 64 * 1024)
            #expect(record.fileByteCount ?? 0 <= 8 * 64 * 1024)
            #expect(record.fileSHA256 == nil)
            #expect(fake.state.pinCount == 0)
        }
    }

    // MARK: - Routing

    @Test func unknownPathsAre404AndWrongMethods405() async throws {
        try await withFake { _, client in
            let unknown = try await client.send(.GET, "/api/other")
            #expect(unknown.status == 404)
            #expect(unknown.json?["status"] as? String == "error")

            let wrong = try await client.send(.PUT, "/api/pinning/pinByHash")
            #expect(wrong.status == 405)
            #expect(wrong.headers.first(name: "allow") == "POST")
            #expect(try await client.send(.GET, "/api/pinning/pinByHash").status == 405)
            #expect(try await client.send(.DELETE, "/api/pinning/pins/").status == 405)
            #expect(try await client.send(.POST, "/api/pinning/unpin/x").status == 405)
        }
    }

    @Test func headIsAnsweredLikeGetWithoutBody() async throws {
        try await withFake { fake, client in
            let get = try await client.send(.GET, "/api/pinning/pins/")
            let head = try await client.send(.HEAD, "/api/pinning/pins/")
            #expect(head.status == 200)
            #expect(head.body.readableBytes == 0)
            #expect(head.headers.first(name: "content-length") == get.headers.first(name: "content-length"))
            #expect(try await client.send(.HEAD, "/api/nothing").status == 404)
            #expect(fake.state.requests.map(\.method) == ["GET", "HEAD", "HEAD"])
        }
    }

    // MARK: - Faults

    @Test func forcedResponsesApplyToTheNextNRequests() async throws {
        try await withFake { fake, client in
            fake.state.updateFaults {
                $0.forcedResponse = .tooManyRequests(retryAfterSeconds: 2)
                $0.remainingForcedResponses = 2
            }
            for _ in 0..<2 {
                let limited = try await client.send(.GET, "/api/pinning/pins/")
                #expect(limited.status == 429)
                #expect(limited.headers.first(name: "retry-after") == "2")
                #expect(limited.json?["status"] as? String == "error")
            }
            #expect(try await client.send(.GET, "/api/pinning/pins/").status == 200)
            #expect(fake.state.faults.remainingForcedResponses == 0)

            // forced answers come before the credential check, and every request is still logged
            fake.state.faults = Faults(forcedResponse: .serviceUnavailable)
            var anonymous = client
            anonymous.apiKey = nil
            #expect(try await anonymous.send(.GET, "/api/pinning/pins/").status == 503)
            fake.state.faults = Faults(forcedResponse: ForcedResponse(status: 500, headers: [("X-Fault", "yes")], body: "boom"))
            let custom = try await client.send(.POST, "/api/pinning/pinByHash")
            #expect(custom.status == 500)
            #expect(custom.text == "boom")
            #expect(custom.headers.first(name: "x-fault") == "yes")
            #expect(fake.state.requests.map(\.responseStatus) == [429, 429, 200, 503, 500])
        }
    }

    @Test func extraHeadersAreAddedToEveryAnswer() async throws {
        try await withFake { fake, client in
            fake.state.faults.extraResponseHeaders = [
                ("Cache-Control", "max-age=5"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("Vary", "Accept-Encoding"),
            ]
            let answer = try await client.send(.GET, "/api/pinning/pins/")
            #expect(answer.headers.first(name: "cache-control") == "max-age=5")
            #expect(answer.headers["set-cookie"] == ["a=1", "b=2"])
            #expect(answer.headers.first(name: "vary") == "Accept-Encoding")
            var anonymous = client
            anonymous.apiKey = nil
            #expect(try await anonymous.send(.GET, "/api/pinning/pins/").headers.first(name: "cache-control") == "max-age=5")
        }
    }

    @Test func conditionalGETsAreAnswered304OnlyWhenAskedTo() async throws {
        try await withFake { fake, client in
            fake.state.faults.extraResponseHeaders = [("ETag", #"W/"v1""#), ("Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT")]
            #expect(try await client.send(.GET, "/api/pinning/pins/", headers: [("If-None-Match", #""v1""#)]).status == 200)
            fake.state.faults.answersConditionalGETs = true
            let notModified = try await client.send(.GET, "/api/pinning/pins/", headers: [("If-None-Match", #""v0", "v1""#)])
            #expect(notModified.status == 304)
            #expect(notModified.body.readableBytes == 0)
            #expect(notModified.headers.first(name: "etag") == #"W/"v1""#)
            #expect(try await client.send(.GET, "/api/pinning/pins/", headers: [("If-None-Match", "*")]).status == 304)
            #expect(try await client.send(.GET, "/api/pinning/pins/", headers: [("If-None-Match", #""v2""#)]).status == 200)
            #expect(try await client.send(.GET, "/api/pinning/pins/", headers: [("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT")]).status == 304)
            #expect(try await client.send(.GET, "/api/pinning/pins/", headers: [("If-Modified-Since", "Sat, 05 Nov 1994 08:49:37 GMT")]).status == 200)
            // Only successful GETs: a refusal stays a refusal.
            var anonymous = client
            anonymous.apiKey = nil
            #expect(try await anonymous.send(.GET, "/api/pinning/pins/", headers: [("If-None-Match", "*")]).status == 401)
        }
    }

    @Test func responseDelayHoldsTheAnswerButNotTheRecord() async throws {
        try await withFake { fake, client in
            fake.state.faults.responseDelay = .seconds(1)
            let clock = ContinuousClock()
            let start = clock.now
            let answer = try await client.send(.GET, "/api/pinning/pins/?limit=1")
            #expect(clock.now - start >= .seconds(1))  // a lower bound: a slow machine only adds to it
            #expect(answer.status == 200)
            #expect(fake.state.requests.last?.query == "limit=1")
            fake.state.resetLog()
            #expect(fake.state.requestCount == 0)
        }
    }

    @Test func gateHoldsTheAnswerUntilOpenedButNotTheRecord() async throws {
        try await withFake { fake, client in
            let gate = ResponseGate()
            fake.state.faults.gate = gate
            let answered = Task { try await client.send(.GET, "/api/pinning/pins/?limit=2").status }
            let log = try await fake.state.waitForRequests(count: 1)
            #expect(log.last?.query == "limit=2")
            #expect(gate.heldCount == 1 || !gate.isOpen)
            gate.open()
            #expect(try await answered.value == 200)
            #expect(gate.heldCount == 0)
            // An open gate lets later requests straight through.
            #expect(try await client.send(.GET, "/api/pinning/pins/").status == 200)
        }
    }

    @Test func waitForRequestsFailsNamingTheCountAfterItsDeadline() async throws {
        try await withFake { fake, _ in
            do {
                _ = try await fake.state.waitForRequests(count: 1, within: .seconds(1))
                Issue.record("returned without the request")
            } catch let timeout as RequestLogTimeout {
                #expect(timeout.expected == 1 && timeout.seen == 0)
                #expect(timeout.description.contains("1 request(s)"))
            }
        }
    }

    @Test func stopOpensAForgottenGate() async throws {
        let state = FakeW3IPFSState(apiKey: FakeUpstreamClient.apiKey, secretKey: FakeUpstreamClient.secretKey)
        let fake = try await FakeW3IPFSServer.start(state: state)
        let gate = ResponseGate()
        state.faults.gate = gate
        let upstream = FakeUpstreamClient(baseURL: fake.baseURL, client: .shared)
        let answered = Task { try? await upstream.send(.GET, "/api/pinning/pins/").status }
        _ = try await state.waitForRequests(count: 1)
        await fake.stop()
        #expect(gate.isOpen)
        #expect(await answered.value == 200)
    }

    // MARK: - Lifecycle

    @Test func stopClosesTheListener() async throws {
        let state = FakeW3IPFSState(apiKey: FakeUpstreamClient.apiKey, secretKey: FakeUpstreamClient.secretKey)
        let fake = try await FakeW3IPFSServer.start(state: state)
        #expect(fake.baseURL == "http://127.0.0.1:\(fake.port)")
        #expect(fake.port > 0)
        // refused connects are retried until the connect timeout: keep it short
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(timeout: .init(connect: .milliseconds(500)))
        )
        do {
            let upstream = FakeUpstreamClient(baseURL: fake.baseURL, client: client)
            #expect(try await upstream.send(.GET, "/api/pinning/pins/").status == 200)  // leaves a keep-alive connection
            await fake.stop()
            await fake.stop()
            await #expect(throws: (any Error).self) {
                _ = try await upstream.send(.GET, "/api/pinning/pins/")
            }
            // the port is free again: a new fake can listen on it
            let again = try await FakeW3IPFSServer.start(state: state, port: fake.port)
            #expect(again.port == fake.port)
            await again.stop()
            #expect(state.requestCount == 1)
        } catch {
            try await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    @Test func startFailsWhenThePortIsTaken() async throws {
        let state = FakeW3IPFSState(apiKey: "k", secretKey: "s")
        let first = try await FakeW3IPFSServer.start(state: state)
        await #expect(throws: FakeW3IPFSServerError.self) {
            _ = try await FakeW3IPFSServer.start(state: state, port: first.port)
        }
        await first.stop()
    }

    // MARK: - Helpers

    static func upload(_ client: FakeUpstreamClient, name: String, content: String) async throws -> String {
        let boundary = "b0undary"
        let body = "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(name)\"\r\n"
            + "Content-Type: text/plain\r\n\r\n\(content)\r\n--\(boundary)--\r\n"
        let answer = try await client.send(.POST, "/api/pinning/", headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)")],
                                           body: .bytes(ByteBuffer(string: body)))
        #expect(answer.status == 201)
        return try #require(answer.data["id"] as? String)
    }
}
