/// Small multipart/form-data bodies with one `file` part (and optionally a `metadata` part).
public enum MultipartBody {
    /// The default boundary.
    public static let boundary = "pingate-test-boundary"

    /// A body holding `content` as the file `filename`.
    /// - Parameters:
    ///   - filename: the `file` part's filename.
    ///   - content: the file content.
    ///   - metadataName: adds a `metadata` part `{"name": metadataName}` after the file when given.
    ///   - boundary: the multipart boundary.
    /// - Returns: the `Content-Type` value and the body.
    public static func file(
        _ filename: String, content: String, metadataName: String? = nil, boundary: String = boundary
    ) -> (contentType: String, body: String) {
        var body = "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\nContent-Type: text/plain\r\n\r\n\(content)\r\n"
        if let metadataName {
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{\"name\":\"\(metadataName)\"}\r\n"
        }
        body += "--\(boundary)--\r\n"
        return ("multipart/form-data; boundary=\(boundary)", body)
    }
}
