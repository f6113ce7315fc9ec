import NIOCore
import Testing

@testable import RedisClient

@Suite("Reconnect backoff and connection state", .timeLimit(.minutes(1)))
struct RedisBackoffTests {
    let backoff = RedisBackoff(initial: .milliseconds(100), maximum: .seconds(1), multiplier: 2)

    @Test("the delay doubles per failure up to the cap")
    func growsToCap() {
        let full = [1, 2, 3, 4, 5, 50, Int.max].map { backoff.delay(afterFailures: $0, jitter: 1) }
        #expect(full == [100, 200, 400, 800, 1000, 1000, 1000].map { TimeAmount.milliseconds($0) })
    }

    @Test("jitter spreads the delay over the upper half")
    func jitter() {
        #expect(backoff.delay(afterFailures: 3, jitter: 0) == .milliseconds(200))
        #expect(backoff.delay(afterFailures: 3, jitter: 0.5) == .milliseconds(300))
        let drawn = (0..<200).map { _ in backoff.delay(afterFailures: 3) }
        #expect(drawn.allSatisfy { $0 >= .milliseconds(200) && $0 <= .milliseconds(400) })
        #expect(Set(drawn).count > 1, "random jitter varies")
    }

    final class Connection {}

    @Test("connect, drop, back off, reconnect")
    func lifecycle() {
        var machine = RedisConnectionStateMachine<Connection>()
        guard case .connect = machine.start() else { Issue.record("start connects"); return }
        guard case .none = machine.start() else { Issue.record("a second start does nothing"); return }
        guard case .scheduleReconnect(failures: 1) = machine.connectFailed() else {
            Issue.record("a failed connect backs off"); return
        }
        guard case .connect = machine.backoffElapsed() else { Issue.record("backoff ends in a connect"); return }
        guard case .scheduleReconnect(failures: 2) = machine.connectFailed() else {
            Issue.record("failures accumulate"); return
        }
        _ = machine.backoffElapsed()
        let first = Connection()
        guard case .none = machine.connectSucceeded(first) else { Issue.record("connected"); return }
        #expect(machine.connection === first)
        guard case .none = machine.connectionClosed(Connection()) else {
            Issue.record("a stranger's close is ignored"); return
        }
        guard case .scheduleReconnect(failures: 1) = machine.connectionClosed(first) else {
            Issue.record("a drop backs off from the start"); return
        }
        #expect(machine.connection == nil)
    }

    @Test("shutdown closes the connection and one that arrives late")
    func shutdown() {
        var machine = RedisConnectionStateMachine<Connection>()
        _ = machine.start()
        let connection = Connection()
        _ = machine.connectSucceeded(connection)
        guard case .close(let closed) = machine.shutdown(), closed === connection else {
            Issue.record("shutdown closes the connection"); return
        }
        guard case .none = machine.connectionClosed(connection) else { Issue.record("no reconnect"); return }
        guard case .none = machine.backoffElapsed() else { Issue.record("no reconnect"); return }

        var connecting = RedisConnectionStateMachine<Connection>()
        _ = connecting.start()
        _ = connecting.shutdown()
        let late = Connection()
        guard case .close(let closedLate) = connecting.connectSucceeded(late), closedLate === late else {
            Issue.record("a connection that arrives after shutdown is closed"); return
        }
        #expect(connecting.isShutDown)
    }
}
