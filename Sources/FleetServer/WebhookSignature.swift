import Crypto

/// Constant-time checks of webhook credentials, so a sender cannot learn a valid signature byte by byte from
/// response times.
enum WebhookSignature {
    /// Whether `hex` is the HMAC-SHA256 of `body` under `secret`. Malformed hex is simply not valid.
    static func isValidHMAC(hex: Substring, body: [UInt8], secret: WebhookSecret) -> Bool {
        guard let mac = decodeHex(hex), mac.count == SHA256.byteCount else { return false }
        // swift-crypto compares the computed code with `mac` in constant time.
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: body, using: secret.key)
    }

    /// Whether a shared token equals the secret. Both sides are hashed first so the comparison runs over equal
    /// lengths and leaks neither the secret's length nor a matching prefix.
    static func tokenMatches(_ token: String, secret: WebhookSecret) -> Bool {
        let given = Array(SHA256.hash(data: Array(token.utf8)))
        let expected = Array(SHA256.hash(data: secret.bytes))
        var difference: UInt8 = 0
        for (a, b) in zip(given, expected) {
            difference |= a ^ b
        }
        return difference == 0
    }

    static func decodeHex(_ hex: Substring) -> [UInt8]? {
        guard hex.utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hex.utf8.count / 2)
        var high: UInt8?
        for unit in hex.utf8 {
            let nibble: UInt8
            switch unit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = unit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = unit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = unit - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let h = high {
                bytes.append(h << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return bytes
    }
}
