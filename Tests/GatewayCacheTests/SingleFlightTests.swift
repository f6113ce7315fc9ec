import Synchronization
import Testing

@testable import GatewayCache

@Suite("SingleFlight")
struct SingleFlightTests {
    typealias Flight = SingleFlight<String, Int>

    enum Seen: Equatable {
        case shared(Int), goUpstream, failed(Int)
    }

    /// Collects what followers were told, in order.
    final class Outcomes: Sendable {
        private let seen = Mutex<[Seen]>([])
        var all: [Seen] { seen.withLock { $0 } }

        func record(_ outcome: Flight.Outcome) {
            let value: Seen
            switch outcome {
            case .shared(let v): value = .shared(v)
            case .goUpstream: value = .goUpstream
            case .failed(let v): value = .failed(v)
            }
            seen.withLock { $0.append(value) }
        }
    }

    final class Leaders: Sendable {
        let tickets = Mutex<[Flight.Ticket]>([])
    }

    /// A leader plus `followers` registered followers.
    private func startFlight(_ flight: Flight, followers: Int, into outcomes: Outcomes) -> (Flight.Ticket, [Flight.Waiter]) {
        guard case .leader(let ticket) = flight.join("k", onOutcome: { _ in Issue.record("a leader gets no callback") }) else {
            fatalError("first join must lead")
        }
        var waiters: [Flight.Waiter] = []
        for _ in 0..<followers {
            guard case .follower(let waiter) = flight.join("k", onOutcome: { outcomes.record($0) }) else {
                fatalError("later joins must follow")
            }
            waiters.append(waiter)
        }
        return (ticket, waiters)
    }

    @Test func hundredConcurrentJoinsMakeOneLeader() async {
        let flight = Flight()
        let outcomes = Outcomes()
        let leaders = Leaders()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<100 {
                group.addTask {
                    if case .leader(let ticket) = flight.join("k", onOutcome: { outcomes.record($0) }) {
                        leaders.tickets.withLock { $0.append(ticket) }
                    }
                }
            }
        }
        let tickets = leaders.tickets.withLock { $0 }
        #expect(tickets.count == 1)
        #expect(flight.waiterCount("k") == 99)
        flight.complete(tickets[0], with: .shared(42))
        #expect(outcomes.all == Array(repeating: .shared(42), count: 99))
        #expect(flight.inFlightCount == 0)
    }

    @Test func goUpstreamReleasesAllWaiters() {
        let flight = Flight()
        let outcomes = Outcomes()
        let (ticket, _) = startFlight(flight, followers: 10, into: outcomes)
        flight.complete(ticket, with: .goUpstream)
        #expect(outcomes.all == Array(repeating: .goUpstream, count: 10))
        #expect(flight.inFlightCount == 0)
    }

    @Test func failureIsSharedOnceAndKeyIsFreedAfterwards() {
        let flight = Flight()
        let outcomes = Outcomes()
        let (ticket, _) = startFlight(flight, followers: 5, into: outcomes)
        flight.complete(ticket, with: .failed(502))
        flight.complete(ticket, with: .shared(1))  // second completion is a no-op
        #expect(outcomes.all == Array(repeating: .failed(502), count: 5))
        guard case .leader(let next) = flight.join("k", onOutcome: { _ in }) else {
            Issue.record("key should be free after completion")
            return
        }
        flight.complete(next, with: .goUpstream)
    }

    @Test func aWaiterThatLeftIsNotCalledOthersAre() {
        let flight = Flight()
        let outcomes = Outcomes()
        let (ticket, waiters) = startFlight(flight, followers: 3, into: outcomes)
        #expect(flight.leave(waiters[0]))
        #expect(flight.waiterCount("k") == 2)
        flight.complete(ticket, with: .shared(7))
        #expect(outcomes.all == [.shared(7), .shared(7)])
        #expect(!flight.leave(waiters[1]), "leaving after completion reports that the callback already ran")
    }

    @Test func droppedTicketReleasesWaiters() {
        let flight = Flight()
        let outcomes = Outcomes()
        var ticket: Flight.Ticket? = startFlight(flight, followers: 4, into: outcomes).0
        #expect(outcomes.all.isEmpty)
        ticket = nil  // leader vanished without completing: deinit abandons
        _ = ticket
        #expect(outcomes.all == Array(repeating: .goUpstream, count: 4))
        #expect(flight.inFlightCount == 0)
    }

    @Test func explicitAbandonReleasesWaiters() {
        let flight = Flight()
        let outcomes = Outcomes()
        let (ticket, _) = startFlight(flight, followers: 4, into: outcomes)
        flight.abandon(ticket)
        #expect(outcomes.all == Array(repeating: .goUpstream, count: 4))
        #expect(flight.inFlightCount == 0)
    }

    @Test func aCallbackMayJoinAgainAndLeadTheNextFlight() {
        let flight = Flight()
        let relead = Leaders()
        guard case .leader(let ticket) = flight.join("k", onOutcome: { _ in }) else { fatalError() }
        _ = flight.join("k") { _ in
            if case .leader(let next) = flight.join("k", onOutcome: { _ in }) { relead.tickets.withLock { $0.append(next) } }
        }
        flight.complete(ticket, with: .goUpstream)
        #expect(relead.tickets.withLock { $0.count } == 1)
        #expect(flight.inFlightCount == 1)
    }

    @Test func keysAreIndependent() {
        let flight = Flight()
        guard case .leader(let a) = flight.join("a", onOutcome: { _ in }),
              case .leader(let b) = flight.join("b", onOutcome: { _ in })
        else {
            Issue.record("distinct keys must each lead")
            return
        }
        #expect(flight.inFlightCount == 2)
        flight.complete(a, with: .shared(1))
        flight.complete(b, with: .shared(2))
        #expect(flight.inFlightCount == 0)
    }
}
