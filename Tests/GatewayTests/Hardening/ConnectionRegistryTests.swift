@testable import Gateway
import NIOCore
import NIOEmbedded
import TestSupport
import Testing

/// `maxConnections` on embedded channels: the registry pauses accepting at the cap and resumes when a connection
/// closes, with no sockets and no timing.
@Suite("Hardening: connection cap (embedded)", .timeLimit(.minutes(1)))
struct ConnectionRegistryTests {
    /// The last `autoRead` value the registry set on the server channel (nil: never set).
    static func autoRead(_ server: EmbeddedChannel) -> Bool? {
        server.options.last { $0.option is ChannelOptions.Types.AutoReadOption }?.value as? Bool
    }

    @Test("accepting pauses at maxConnections and resumes when one closes")
    func pauseAndResume() throws {
        let loop = EmbeddedEventLoop()
        let registry = ConnectionRegistry(maxConnections: 2, eventLoop: loop)
        let server = EmbeddedChannel(handler: registry.makeServerHandler(), loop: loop)
        let children = (0..<3).map { _ in EmbeddedChannel(loop: loop) }

        try server.writeInbound(children[0] as any Channel)
        #expect(Self.autoRead(server) == nil, "paused below the cap")
        try server.writeInbound(children[1] as any Channel)
        #expect(Self.autoRead(server) == false, "not paused at the cap")
        #expect(registry.openConnections == 2)

        try children[0].close().wait()
        loop.run()
        #expect(Self.autoRead(server) == true, "not resumed after a connection closed")
        #expect(registry.openConnections == 1)

        try server.writeInbound(children[2] as any Channel)
        #expect(Self.autoRead(server) == false, "not paused again at the cap")
        for child in children.dropFirst() { try child.close().wait() }
        loop.run()
        #expect(registry.openConnections == 0)
        registry.quiesce()  // fulfils the all-closed promise
        _ = try server.finish(acceptAlreadyClosed: true)
    }

    @Test("after quiesce a closing connection does not resume accepting; all closed is reported")
    func quiesce() throws {
        let loop = EmbeddedEventLoop()
        let registry = ConnectionRegistry(maxConnections: 1, eventLoop: loop)
        let server = EmbeddedChannel(handler: registry.makeServerHandler(), loop: loop)
        let child = EmbeddedChannel(loop: loop)
        try server.writeInbound(child as any Channel)
        #expect(Self.autoRead(server) == false)
        let allClosed = Flag()
        registry.allClosedFuture.whenSuccess { allClosed.set() }
        registry.quiesce()
        loop.run()
        #expect(!allClosed.isSet)
        try child.close().wait()
        loop.run()
        #expect(Self.autoRead(server) == false, "accepting resumed during shutdown")
        #expect(allClosed.isSet)
    }
}
