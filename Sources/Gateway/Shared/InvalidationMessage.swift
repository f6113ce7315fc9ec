import Foundation
import GatewayCache
import NIOCore
import PingateCore

/// One invalidation as it travels between pingates on the shared channel:
/// `{"i":"<instance>","s":"<scope>","p":["<path>",…]}`, or `{"i":"<instance>","all":true}` for a purge.
struct InvalidationMessage: Sendable, Equatable {
    /// The instance that published it (its own messages are not applied twice).
    let instance: String
    /// nil: everything is dropped.
    let invalidation: WriteInvalidation?

    init(instance: String, invalidation: WriteInvalidation?) {
        self.instance = instance
        self.invalidation = invalidation
    }

    /// Nil for anything that is not such a message (it is ignored).
    init?(decoding payload: ByteBuffer) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload.readableBytesView)) as? [String: Any],
              let instance = object["i"] as? String
        else { return nil }
        self.instance = instance
        if object["all"] as? Bool == true {
            self.invalidation = nil
        } else if let scope = object["s"] as? String, let paths = object["p"] as? [String] {
            self.invalidation = WriteInvalidation(scope: scope, paths: paths)
        } else {
            return nil
        }
    }

    var encoded: ByteBuffer {
        var json = JSONWriter()
        json.beginObject()
        json.member("i", instance)
        if let invalidation {
            json.member("s", invalidation.scope)
            json.key("p")
            json.beginArray()
            for path in invalidation.paths { json.string(path) }
            json.endArray()
        } else {
            json.member("all", true)
        }
        json.endObject()
        return ByteBuffer(string: json.text)
    }
}
