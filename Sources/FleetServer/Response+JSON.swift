import Foundation
import Hummingbird

extension Response {
    /// JSON with stable output: sorted keys and ISO 8601 dates, so documents diff cleanly between requests.
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data = (try? encoder.encode(value)) ?? Data(#"{"error":"encoding_failed","message":""}"#.utf8)
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data + Data("\n".utf8)))
        )
    }

    static func text(_ text: String, contentType: String = "text/plain; charset=utf-8") -> Response {
        Response(
            status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }

    static func error(_ status: HTTPResponse.Status, code: String, _ message: String) -> Response {
        json(ErrorDocument(error: code, message: message), status: status)
    }
}
