import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Everything the fake upstream knows: the expected credentials, the pins, the request log and the
/// faults to inject. Share one instance between the server and the test that inspects it.
///
/// Ids are deterministic: a fresh state hands out the same pin ids in the same order every run.
public final class FakeW3IPFSState: Sendable {
    /// Value the `pinning_api_key` header must carry.
    public let apiKey: String
    /// Value the `pinning_secret_key` header must carry.
    public let secretKey: String
    /// `user_id` reported on every pin (derived from ``apiKey``).
    public let userID: String
    /// Further accepted key pairs (`pinning_api_key` → `pinning_secret_key`), like the scoped keys an account can
    /// make (for example one for a read-only tool).
    public let additionalKeys: [String: String]

    private let clock: @Sendable () -> Date
    private let storage: Mutex<Storage>

    private struct Storage {
        var pins: [String: PinRecord] = [:]
        var nextPinSequence = 0
        var nextRequestSequence = 0
        var requests: [RecordedRequest] = []
        var faults = Faults()
        var waiters: [LogWaiter] = []
        var nextWaiterID = 0
        var arrivals = 0

        /// Removes and returns the waiters whose count is reached.
        mutating func takeSatisfiedWaiters() -> [LogWaiter] {
            let (logged, arrived) = (requests.count, arrivals)
            let satisfied = waiters.filter { $0.count <= ($0.arrivals ? arrived : logged) }
            waiters.removeAll { $0.count <= ($0.arrivals ? arrived : logged) }
            return satisfied
        }
    }

    /// A task suspended in ``waitForRequests(count:within:)``.
    private struct LogWaiter {
        let id: Int
        let count: Int
        /// Counts ``arrivals`` instead of recorded requests.
        let arrivals: Bool
        let continuation: CheckedContinuation<Void, Never>
    }

    /// What the fake decided about a request as it arrived.
    struct Admission: Sendable {
        let sequence: Int
        let faults: Faults
        let forcedResponse: ForcedResponse?
    }

    /// Create an empty fake account.
    /// - Parameters:
    ///   - apiKey: Expected `pinning_api_key`.
    ///   - secretKey: Expected `pinning_secret_key`.
    ///   - additionalKeys: Further accepted key pairs of the same account (api key → secret key).
    ///   - clock: Source of `date_pinned` / `date_unpinned` (the wall clock by default).
    public init(apiKey: String, secretKey: String, additionalKeys: [String: String] = [:], clock: @escaping @Sendable () -> Date = { Date() }) {
        self.apiKey = apiKey
        self.secretKey = secretKey
        self.additionalKeys = additionalKeys
        self.userID = DeterministicUUID.make(seed: "user:" + apiKey)
        self.clock = clock
        self.storage = Mutex(Storage())
    }

    // MARK: - Request log

    /// Every request that reached the fake, in arrival order (each is added once its body has been
    /// read, before its answer is sent, so a client that got an answer finds its request here).
    public var requests: [RecordedRequest] {
        self.storage.withLock { $0.requests }.sorted { $0.sequence < $1.sequence }
    }

    /// Number of requests in ``requests``.
    public var requestCount: Int {
        self.storage.withLock { $0.requests.count }
    }

    /// Wait until the log holds at least `count` requests, then return it.
    ///
    /// For requests whose client gets no answer to wait for (it went away mid-upload, or a proxy
    /// in front cut it off): the fake records such a request once its body stream has ended.
    /// - Parameters:
    ///   - count: Number of records to wait for (counted since the last ``resetLog()``).
    ///   - timeout: How long to wait at most.
    /// - Returns: ``requests`` at that moment.
    /// - Throws: ``RequestLogTimeout`` when the log is still short after `timeout` (or the waiting task is cancelled).
    public func waitForRequests(count: Int, within timeout: Duration = .seconds(30)) async throws -> [RecordedRequest] {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.untilLogged(count: count) }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
        let log = self.requests
        guard log.count >= count else { throw RequestLogTimeout(expected: count, seen: log.count, waited: timeout) }
        return log
    }

    /// Requests whose head has arrived since the last ``resetLog()``, answered or not (an upload still streaming
    /// counts here before it is in ``requests``).
    public var arrivals: Int {
        self.storage.withLock { $0.arrivals }
    }

    /// Wait until `count` request heads have arrived (see ``arrivals``).
    /// - Parameters:
    ///   - count: Number of arrivals to wait for (counted since the last ``resetLog()``).
    ///   - timeout: How long to wait at most.
    /// - Throws: ``RequestLogTimeout`` when fewer have arrived after `timeout`.
    public func waitForArrivals(count: Int, within timeout: Duration = .seconds(30)) async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.untilLogged(count: count, arrivals: true) }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
        let seen = self.arrivals
        guard seen >= count else { throw RequestLogTimeout(expected: count, seen: seen, waited: timeout) }
    }

    /// Returns once the log (or the arrivals) hold `count` requests, or when the waiting task is cancelled.
    private func untilLogged(count: Int, arrivals: Bool = false) async {
        let id = self.storage.withLock { storage in
            defer { storage.nextWaiterID += 1 }
            return storage.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = self.storage.withLock { storage in
                    if (arrivals ? storage.arrivals : storage.requests.count) >= count || Task.isCancelled { return true }
                    storage.waiters.append(LogWaiter(id: id, count: count, arrivals: arrivals, continuation: continuation))
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = self.storage.withLock { storage -> LogWaiter? in
                guard let index = storage.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return storage.waiters.remove(at: index)
            }
            waiter?.continuation.resume()
        }
    }

    /// Forget the request log (pins, faults and the arrival counter stay).
    public func resetLog() {
        self.storage.withLock { storage in
            storage.requests.removeAll()
            storage.arrivals = 0
        }
    }

    // MARK: - Faults

    /// Faults applied to requests arriving from now on.
    public var faults: Faults {
        get { self.storage.withLock { $0.faults } }
        set { self.storage.withLock { $0.faults = newValue } }
    }

    /// Change the faults atomically (e.g. set a forced response and its count together).
    /// - Parameter change: Edits the current faults in place.
    public func updateFaults(_ change: (inout Faults) -> Void) {
        self.storage.withLock { change(&$0.faults) }
    }

    // MARK: - Pins

    /// Set a pin's `status` (e.g. `"pinned"` to finish a queued pin-by-hash); `pinned` follows it.
    /// - Parameters:
    ///   - id: Pin id.
    ///   - status: New status string.
    /// - Returns: `false` when there is no such pin.
    @discardableResult
    public func setStatus(id: String, _ status: String) -> Bool {
        self.storage.withLock { storage in
            guard storage.pins[id] != nil else { return false }
            storage.pins[id]?.status = status
            return true
        }
    }

    /// The `status` of a pin, or `nil` when there is no such pin.
    /// - Parameter id: Pin id.
    public func status(ofPin id: String) -> String? {
        self.storage.withLock { $0.pins[id]?.status }
    }

    /// Number of pins ever created and not removed by ``removeAllPins()`` (unpinned ones included).
    public var pinCount: Int {
        self.storage.withLock { $0.pins.count }
    }

    /// Remove every pin (ids keep counting on, so new pins never reuse an old id).
    public func removeAllPins() {
        self.storage.withLock { $0.pins.removeAll() }
    }

    // MARK: - Serving (internal)

    func admit() -> Admission {
        let (admission, satisfied) = self.storage.withLock { storage in
            let sequence = storage.nextRequestSequence
            storage.nextRequestSequence += 1
            storage.arrivals += 1
            let faults = storage.faults
            let forced = storage.faults.takeForcedResponse()
            return (Admission(sequence: sequence, faults: faults, forcedResponse: forced), storage.takeSatisfiedWaiters())
        }
        for waiter in satisfied { waiter.continuation.resume() }
        return admission
    }

    func record(_ request: RecordedRequest) {
        let satisfied = self.storage.withLock { storage -> [LogWaiter] in
            storage.requests.append(request)
            return storage.takeSatisfiedWaiters()
        }
        for waiter in satisfied {
            waiter.continuation.resume()
        }
    }

    /// The refusal for these credential header values, or `nil` when they match.
    func credentialFailure(apiKey: String?, secretKey: String?) -> PinningAPIError? {
        guard let apiKey, let secretKey else {
            return .unauthorized("pinning_api_key and pinning_secret_key headers are required")
        }
        guard (apiKey == self.apiKey && secretKey == self.secretKey) || additionalKeys[apiKey] == secretKey else {
            return .unauthorized("invalid pinning_api_key or pinning_secret_key")
        }
        return nil
    }

    func createPin(
        isPinByHash: Bool,
        cid: String?,
        contentSHA256: [UInt8]?,
        size: Int,
        status: String,
        metadata: PinMetadata
    ) -> PinRecord {
        let now = PinTimestamp(self.clock())
        return self.storage.withLock { storage in
            let sequence = storage.nextPinSequence
            storage.nextPinSequence += 1
            let pin = PinRecord(
                id: DeterministicUUID.make(seed: "pin:\(sequence)"),
                fileRecordID: DeterministicUUID.make(seed: "file-record:\(sequence)"),
                cid: cid ?? ContentIdentifier.cidV1(sha256: contentSHA256 ?? Digest.sha256([])),
                sequence: sequence,
                isPinByHash: isPinByHash,
                datePinned: now,
                dateUnpinned: nil,
                size: size,
                status: status,
                metadata: metadata
            )
            storage.pins[pin.id] = pin
            return pin
        }
    }

    func pin(id: String) -> PinRecord? {
        self.storage.withLock { $0.pins[id] }
    }

    func unpin(id: String) -> PinRecord? {
        let now = PinTimestamp(self.clock())
        return self.storage.withLock { storage in
            guard var pin = storage.pins[id] else { return nil }
            if pin.dateUnpinned == nil || pin.status != PinStatus.unpinned {
                pin.dateUnpinned = now
            }
            pin.status = PinStatus.unpinned
            storage.pins[id] = pin
            return pin
        }
    }

    func list(_ query: PinListQuery) -> (files: Int, size: Int, page: [PinRecord]) {
        let matching = self.storage.withLock { $0.pins.values.filter(query.admits) }
        let sorted = matching.sorted(by: query.precedes)
        let page = sorted.dropFirst(query.offset).prefix(query.limit)
        return (matching.count, matching.reduce(0) { $0 + $1.size }, Array(page))
    }
}
