import NIOCore
import NIOHTTP1

/// Pipeline events between the request guard, its raw-byte tap and the gateway handler.
///
/// The three handlers never call each other: the tap reports what it saw on the raw bytes inbound, the guard
/// steers the tap outbound, and the gateway handler learns of refusals and peer credentials inbound.
enum GuardEvent {
    /// Inbound, from ``RawInputTap``: the first bytes of a new request head arrived.
    case headStarted
    /// Inbound, from ``RawInputTap``: the request line grew past the limit before it ended.
    case requestLineTooLong
    /// Inbound, from ``RawInputTap``: the client closed its side (or the connection) while input was dropped.
    case inputClosedWhileDropping
}

/// Outbound commands from the guard to ``RawInputTap``.
enum TapCommand {
    /// The previous request ended with the read that carried it: the next bytes start a request line.
    case expectHead
    /// Drop every further input byte (a refusal is being answered).
    case startDropping
}

/// Inbound, from ``RequestGuardHandler`` to ``GatewayHandler``: a request was refused before (or while) it was
/// passed on. The gateway handler answers it in order with `Connection: close`, records it, and then asks for a
/// ``LingeringCloseEvent``. `head` is the refused request's head when it was decoded.
struct RequestRefusedEvent {
    let refusal: FramingRefusal
    let head: HTTPRequestHead?
}

/// Inbound, from ``RequestGuardHandler``: the uid of the process at the other end of a unix socket (read once).
struct PeerCredentialsEvent {
    let uid: UInt32?
}

/// Outbound, from ``GatewayHandler`` to ``RequestGuardHandler``: the connection's last answer is written; close it
/// after a half-close and a bounded drain of the client's input, so the client reads the answer instead of a reset.
struct LingeringCloseEvent {}
