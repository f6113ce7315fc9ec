/// Moves a partly consumed body iterator into the response writer task.
///
/// `@unchecked Sendable` because exactly one task uses it at a time: the responder stops iterating before it
/// hands the box to the response body closure, which is the only later user.
final class IteratorBox<Iterator: AsyncIteratorProtocol>: @unchecked Sendable {
    var iterator: Iterator
    init(_ iterator: Iterator) { self.iterator = iterator }
}
