import Hummingbird

/// Request context of the fake: the core storage plus the tap of the request being served.
struct FakeRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// Set by ``RecordingMiddleware`` before any handler runs.
    var exchange: ExchangeTap?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }
}
