import HTTPTypes
import Hummingbird

extension ForcedResponse {
    /// The canned answer as a response.
    var response: Response {
        let status = (100...599).contains(self.status)
            ? HTTPResponse.Status(code: self.status, reasonPhrase: ReasonPhrase.standard(for: self.status))
            : .internalServerError
        var response = Response.bytes(status: status, Array(self.body.utf8), contentType: nil)
        for (name, value) in self.headers {
            if let name = HTTPField.Name(name) {
                response.headers.append(HTTPField(name: name, value: value))
            }
        }
        if response.headers[.contentType] == nil, !self.body.isEmpty {
            response.headers[.contentType] = "application/json; charset=utf-8"
        }
        return response
    }
}
