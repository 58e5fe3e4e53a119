import Foundation

/// The messages of etcd's v3 JSON gateway that the registry uses, spelled as the gateway spells them
/// (snake_case keys, bytes as base64, 64-bit integers as decimal strings).
enum EtcdWire {
    struct RangeRequest: Codable, Sendable {
        var key: String
        var rangeEnd: String?
        var countOnly: Bool?
    }

    struct PutRequest: Codable, Sendable {
        var key: String
        var value: String
        /// The lease the key is bound to (a decimal int64); the key is deleted when the lease expires.
        var lease: String? = nil
    }

    struct DeleteRangeRequest: Codable, Sendable {
        var key: String
    }

    struct Compare: Codable, Sendable {
        var target: String
        var key: String
        var result = "EQUAL"
        var createRevision: String?
        var modRevision: String?
    }

    struct RequestOp: Codable, Sendable {
        var requestRange: RangeRequest?
        var requestPut: PutRequest?
        var requestDeleteRange: DeleteRangeRequest?
    }

    struct TxnRequest: Codable, Sendable {
        var compare: [Compare]
        var success: [RequestOp]
        var failure: [RequestOp]
    }

    struct AuthenticateRequest: Codable, Sendable {
        var name: String
        var password: String
    }

    struct Header: Decodable, Sendable {
        var revision: Int64Text?
    }

    struct KeyValue: Decodable, Sendable {
        var key: String?
        var value: String?
        var createRevision: Int64Text?
        var modRevision: Int64Text?
        var lease: Int64Text?
    }

    /// `/v3/lease/grant`, `/v3/lease/keepalive` and `/v3/lease/revoke` take the proto field names `TTL` and
    /// `ID` verbatim, which the snake_case encoder would lowercase; these are encoded with ``plainEncoder``.
    struct LeaseRequest: Encodable, Sendable {
        var ttl: String? = nil
        var id: String

        enum CodingKeys: String, CodingKey {
            case ttl = "TTL"
            case id = "ID"
        }
    }

    struct LeaseGrantResponse: Decodable, Sendable {
        var header: Header?
        var id: Int64Text?
        var ttl: Int64Text?
        var error: String?

        enum CodingKeys: String, CodingKey {
            case header, error
            case ttl = "TTL"
            case id = "ID"
        }
    }

    /// One answer of the keepalive stream; a lease that has expired comes back without a TTL.
    struct LeaseKeepAliveResponse: Decodable, Sendable {
        struct Result: Decodable, Sendable {
            var ttl: Int64Text?

            enum CodingKeys: String, CodingKey {
                case ttl = "TTL"
            }
        }
        var result: Result?
    }

    struct Empty: Decodable, Sendable {}

    struct WatchRequest: Encodable, Sendable {
        struct Create: Encodable, Sendable {
            var key: String
            var rangeEnd: String?
        }
        var createRequest: Create
    }

    /// One line of the watch stream: a batch of events, or the gateway's error.
    struct WatchResponse: Decodable, Sendable {
        struct Result: Decodable, Sendable {
            var header: Header?
            var created: Bool?
            var events: [Event]?
        }
        struct Event: Decodable, Sendable {
            /// Absent for a put (proto3 omits the default), `DELETE` for a delete.
            var type: String?
            var kv: KeyValue?
        }
        var result: Result?
        var error: ErrorResponse?
    }

    struct RangeResponse: Decodable, Sendable {
        var header: Header?
        var kvs: [KeyValue]?
    }

    struct ResponseOp: Decodable, Sendable {
        var responseRange: RangeResponse?
    }

    struct TxnResponse: Decodable, Sendable {
        var header: Header?
        var succeeded: Bool?
        var responses: [ResponseOp]?
    }

    struct AuthenticateResponse: Decodable, Sendable {
        var token: String?
    }

    struct ErrorResponse: Decodable, Sendable {
        var error: String?
        var message: String?
        var code: Int?
    }

    /// An int64 the gateway writes as a string (proto3 JSON), read leniently from a number too.
    struct Int64Text: Decodable, Sendable {
        var value: Int64

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Int64.self) {
                value = number
            } else if let parsed = Int64(try container.decode(String.self)) {
                value = parsed
            } else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an int64")
            }
        }
    }

    static func base64(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
    }

    /// The end of the range holding every key that starts with `prefix`: the prefix with its last byte
    /// incremented, as etcd's `WithPrefix` computes it.
    static func rangeEnd(ofPrefix prefix: String) -> String {
        var bytes = Array(prefix.utf8)
        while let last = bytes.last {
            if last < 0xff {
                bytes[bytes.count - 1] = last + 1
                return Data(bytes).base64EncodedString()
            }
            bytes.removeLast()
        }
        // Every byte was 0xff: the range runs to the end of the keyspace, which etcd spells as "\0".
        return Data([0]).base64EncodedString()
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }()

    static let plainEncoder = JSONEncoder()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()
}
