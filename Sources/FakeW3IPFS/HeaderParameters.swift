/// A header value of the form `token; key=value; key="quoted value"` (Content-Type, Content-Disposition).
struct HeaderParameters: Sendable, Equatable {
    /// The part before the first `;`, lower-cased (e.g. `multipart/form-data`, `form-data`).
    let value: String
    /// Parameters by lower-cased key; quoted values are unquoted and unescaped.
    let parameters: [String: String]

    /// Parse `text`; lenient like most servers (unknown or broken parameters are skipped).
    static func parse(_ text: String) -> HeaderParameters {
        let characters = Array(text)
        var index = 0
        func skipSpaces() {
            while index < characters.count, characters[index] == " " || characters[index] == "\t" { index += 1 }
        }
        var head = ""
        while index < characters.count, characters[index] != ";" {
            head.append(characters[index])
            index += 1
        }
        var parameters: [String: String] = [:]
        while index < characters.count {
            index += 1  // the ';'
            skipSpaces()
            var key = ""
            while index < characters.count, characters[index] != "=", characters[index] != ";" {
                key.append(characters[index])
                index += 1
            }
            guard index < characters.count, characters[index] == "=" else { continue }
            index += 1
            skipSpaces()
            var value = ""
            if index < characters.count, characters[index] == "\"" {
                index += 1
                while index < characters.count, characters[index] != "\"" {
                    if characters[index] == "\\", index + 1 < characters.count { index += 1 }
                    value.append(characters[index])
                    index += 1
                }
                index += 1  // closing quote
                while index < characters.count, characters[index] != ";" { index += 1 }
            } else {
                while index < characters.count, characters[index] != ";" {
                    value.append(characters[index])
                    index += 1
                }
                value = value.trimmingSpaces()
            }
            let normalizedKey = key.trimmingSpaces().lowercased()
            if !normalizedKey.isEmpty, parameters[normalizedKey] == nil {
                parameters[normalizedKey] = value
            }
        }
        return HeaderParameters(value: head.trimmingSpaces().lowercased(), parameters: parameters)
    }

    /// The boundary of a `multipart/form-data` Content-Type.
    /// - Throws: ``MultipartError/invalidBoundary`` when the type is not multipart or has no usable boundary.
    static func multipartBoundary(contentType: String?) throws(MultipartError) -> String {
        guard let contentType else { throw .invalidBoundary }
        let parsed = HeaderParameters.parse(contentType)
        guard parsed.value.hasPrefix("multipart/"), let boundary = parsed.parameters["boundary"] else {
            throw .invalidBoundary
        }
        return boundary
    }
}
