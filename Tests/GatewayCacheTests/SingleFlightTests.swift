import Testing

@testable import GatewayCache

@Suite("SingleFlight")
struct SingleFlightTests {
    typealias Flight = SingleFlight<String, Int>

    enum Seen: Equatable {
        case leader, shared(Int), goUpstream, failed(String), cancelled
    }

    static func seen(_ role: Flight.Role) -> Seen {
        switch role {
        case .leader: .leader
        case .follower(.shared(let value)): .shared(value)
        case .follower(.goUpstream): .goUpstream
        case .follower(.failed(let reason)): .failed(reason)
        case .cancelled: .cancelled
        }
    }

    /// Holds a ticket so a test controls exactly when it is released.
    final class TicketBox: @unchecked Sendable {
        var ticket: Flight.Ticket?
    }

    @Test func hundredConcurrentJoinsMakeOneLeader() async {
        let flight = Flight()
        let results = await withTaskGroup(of: Seen.self, returning: [Seen].self) { group in
            for _ in 0..<100 {
                group.addTask {
                    let role = await flight.join("k")
                    if case .leader(let ticket) = role {
                        // Wait until every other join is parked, then answer once.
                        let parked = await eventually { flight.waiterCount("k") == 99 }
                        #expect(parked)
                        flight.complete(ticket, with: .shared(42))
                    }
                    return Self.seen(role)
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.filter { $0 == .leader }.count == 1)
        #expect(results.filter { $0 == .shared(42) }.count == 99)
        #expect(flight.inFlightCount == 0)
    }

    /// Starts a leader plus `followers` waiting tasks; returns the ticket and the tasks.
    private func startFlight(_ flight: Flight, followers: Int) async -> (Flight.Ticket, [Task<Seen, Never>]) {
        guard case .leader(let ticket) = await flight.join("k") else { fatalError("first join must lead") }
        let tasks = (0..<followers).map { _ in Task { Self.seen(await flight.join("k")) } }
        let parked = await eventually { flight.waiterCount("k") == followers }
        #expect(parked)
        return (ticket, tasks)
    }

    @Test func goUpstreamReleasesAllWaiters() async {
        let flight = Flight()
        let (ticket, tasks) = await self.startFlight(flight, followers: 10)
        flight.complete(ticket, with: .goUpstream)
        for task in tasks { #expect(await task.value == .goUpstream) }
        #expect(flight.inFlightCount == 0)
    }

    @Test func failureIsSharedAndKeyIsFreedAfterwards() async {
        let flight = Flight()
        let (ticket, tasks) = await self.startFlight(flight, followers: 5)
        flight.complete(ticket, with: .failed("upstream 502"))
        flight.complete(ticket, with: .shared(1))  // second completion is a no-op
        for task in tasks { #expect(await task.value == .failed("upstream 502")) }
        guard case .leader(let next) = await flight.join("k") else {
            Issue.record("key should be free after completion")
            return
        }
        flight.complete(next, with: .goUpstream)
    }

    @Test func cancelledWaiterIsRemovedOthersComplete() async {
        let flight = Flight()
        let (ticket, tasks) = await self.startFlight(flight, followers: 3)
        tasks[0].cancel()
        #expect(await tasks[0].value == .cancelled)
        #expect(flight.waiterCount("k") == 2)
        flight.complete(ticket, with: .shared(7))
        #expect(await tasks[1].value == .shared(7))
        #expect(await tasks[2].value == .shared(7))
    }

    @Test func alreadyCancelledJoinReturnsImmediately() async {
        let flight = Flight()
        let (ticket, _) = await self.startFlight(flight, followers: 0)
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return Self.seen(await flight.join("k"))
        }
        #expect(await task.value == .cancelled)
        #expect(flight.waiterCount("k") == 0)
        flight.complete(ticket, with: .goUpstream)
    }

    @Test func droppedTicketReleasesWaiters() async {
        let flight = Flight()
        let box = TicketBox()
        let (ticket, tasks) = await self.startFlight(flight, followers: 4)
        box.ticket = ticket
        _ = consume ticket
        box.ticket = nil  // leader vanished without completing: deinit abandons
        for task in tasks { #expect(await task.value == .goUpstream) }
        #expect(flight.inFlightCount == 0)
    }

    @Test func explicitAbandonReleasesWaiters() async {
        let flight = Flight()
        let (ticket, tasks) = await self.startFlight(flight, followers: 4)
        flight.abandon(ticket)
        for task in tasks { #expect(await task.value == .goUpstream) }
        #expect(flight.inFlightCount == 0)
    }

    @Test func keysAreIndependent() async {
        let flight = Flight()
        guard case .leader(let a) = await flight.join("a"), case .leader(let b) = await flight.join("b") else {
            Issue.record("distinct keys must each lead")
            return
        }
        #expect(flight.inFlightCount == 2)
        flight.complete(a, with: .shared(1))
        flight.complete(b, with: .shared(2))
        #expect(flight.inFlightCount == 0)
    }
}
