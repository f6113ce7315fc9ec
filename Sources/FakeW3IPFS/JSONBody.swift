import HTTPTypes
import Hummingbird
import NIOCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// JSON encoding shared by every answer: sorted keys so identical state gives identical bytes.
enum JSONBody {
    /// Encode `value`; the fake only encodes its own plain structs, which cannot fail.
    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(value))
        } catch {
            preconditionFailure("FakeW3IPFS could not encode its own JSON: \(error)")
        }
    }
}

extension Response {
    /// A JSON response with an explicit `Content-Length` (no chunked framing).
    static func json(status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        Response.bytes(status: status, JSONBody.encode(value), contentType: "application/json; charset=utf-8")
    }

    /// A response carrying `bytes` with an explicit `Content-Length`.
    static func bytes(status: HTTPResponse.Status, _ bytes: [UInt8], contentType: String?) -> Response {
        var headers = HTTPFields()
        if let contentType {
            headers[.contentType] = contentType
        }
        headers[.contentLength] = String(bytes.count)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
