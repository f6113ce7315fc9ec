import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// HummingbirdCore's `HTTP1Channel` pipeline with pingate's guard in it.
///
/// `HTTP1Channel` only lets handlers be added after its HTTPTypes codec, where the HTTP version and the raw
/// header list are gone; the guard needs both, and must see raw bytes (request-line length, header timeout,
/// draining after a refusal). The pipeline is `HTTP1Channel.setup` (HummingbirdCore 2.28) with two additions:
///
///     RawInputTap → HTTPResponseEncoder → HTTPRequestDecoder → RequestGuardHandler
///       → additional handlers (CacheHitHandler) → HTTP1ToHTTPServerCodec → HTTPConnectionStateHandler
///       → NIOAsyncChannel (Hummingbird's request loop, `handleHTTP`)
struct GatewayHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let limits: RequestLimits
    let access: AccessPolicy
    let additionalChannelHandlers: @Sendable () -> [any RemovableChannelHandler]
    /// Told of every request the guard refuses.
    let onRefusal: RequestGuardHandler.RefusalObserver?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            // Why: a 64 KB cached answer is one write; with NIO's default 64 KiB high watermark every such write
            // flipped the channel unwritable and back (two pipeline events per response).
            try channel.syncOptions?.setOption(.writeBufferWaterMark, value: .init(low: 128 * 1024, high: 512 * 1024))
            let guardHandler = RequestGuardHandler(limits: limits, access: access, onRefusal: onRefusal)
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(guardHandler.tap)
            try pipeline.configureHTTPServerPipeline(
                withPipeliningAssistance: false,  // responses are kept in order by Hummingbird's request loop
                withErrorHandling: false,  // the guard answers parse errors
                withOutboundHeaderValidation: false,  // HTTPTypes already validates
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: limits.decoderLimits
            )
            try pipeline.addHandler(guardHandler)
            // Early handlers (the cache-hit fast path) see NIOHTTP1 parts that passed the guard, before the
            // HTTPTypes conversion, which costs a URL parse per request.
            try pipeline.addHandlers(additionalChannelHandlers())
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            // No idle timeout here: the guard times idle connections out (it also sees what the fast path answers).
            try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
            return try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value asyncChannel: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: asyncChannel, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// An HTTP/1.1 server using ``GatewayHTTP1Channel``.
    static func guardedHTTP1(
        limits: RequestLimits, access: AccessPolicy, onRefusal: RequestGuardHandler.RefusalObserver?,
        additionalChannelHandlers: @escaping @Sendable () -> [any RemovableChannelHandler]
    ) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            GatewayHTTP1Channel(
                responder: responder, limits: limits, access: access,
                additionalChannelHandlers: additionalChannelHandlers, onRefusal: onRefusal
            )
        }
    }
}
