import Crypto
import Foundation

/// age v1 (https://age-encryption.org/v1) with X25519 recipients: the format Debian's `age` and `age-keygen` read
/// and write, binary or ASCII-armored.
///
/// Written on swift-crypto's X25519, HKDF-SHA256, HMAC-SHA256 and ChaCha20-Poly1305 rather than by running the `age`
/// tool: the controller decrypts on every commit it admits, and a child process per secret, a binary to install
/// beside the controller and key material passed through pipes would each be a cost and a risk for a format that
/// is a header and a STREAM of AEAD chunks. Interoperability with the tool is tested both ways.
public enum Age {
    static let versionLine = "age-encryption.org/v1"
    static let chunkSize = 64 * 1024
    static let tagSize = 16

    /// Seals `plaintext` for every recipient (each can open it alone); `armored` writes the ASCII armor `age -a`
    /// writes, which is what a repository wants (diffs stay text).
    public static func encrypt(_ plaintext: [UInt8], to recipients: [AgeRecipient], armored: Bool) throws(AgeError)
        -> [UInt8]
    {
        guard !recipients.isEmpty else { throw AgeError(.invalidRecipient, "no recipients to seal for") }
        let fileKey = randomBytes(16)
        var header = Array("\(versionLine)\n".utf8)
        for recipient in recipients {
            let stanza = try X25519Stanza.wrap(fileKey, to: recipient)
            header += Array("-> X25519 \(Base64.encodeRaw(stanza.share))\n".utf8)
            header += Base64.bodyLines(stanza.body)
        }
        header += Array("---".utf8)
        let mac = HMAC<SHA256>.authenticationCode(for: header, using: headerKey(fileKey))
        header += Array(" \(Base64.encodeRaw(Array(mac)))\n".utf8)
        let nonce = randomBytes(16)
        let payload = try Payload.seal(plaintext, key: payloadKey(fileKey, nonce: nonce))
        let file = header + nonce + payload
        return armored ? Armor.encode(file) : file
    }

    /// Opens a binary or armored file with the first identity that unwraps one of its X25519 stanzas.
    public static func decrypt(_ file: [UInt8], with identities: [AgeIdentity]) throws(AgeError) -> [UInt8] {
        let binary = try Armor.isArmored(file) ? Armor.decode(file) : file
        let header = try Header(parsing: binary)
        var fileKey: [UInt8]?
        search: for stanza in header.stanzas where stanza.type == "X25519" {
            let x25519 = try X25519Stanza(stanza)
            for identity in identities {
                if let key = x25519.unwrap(with: identity) {
                    fileKey = key
                    break search
                }
            }
        }
        guard let fileKey else {
            if header.stanzas.contains(where: { $0.type == "scrypt" }) {
                throw AgeError(
                    .noMatchingIdentity, "the file is sealed with a passphrase (scrypt), not for a recipient")
            }
            let count = header.stanzas.filter { $0.type == "X25519" }.count
            let holders = identities.map { "\($0.recipient)" }.joined(separator: ", ")
            throw AgeError(
                .noMatchingIdentity,
                "none of the identities (\(holders)) opens the file: it is sealed for \(count) other X25519 recipient(s)"
            )
        }
        guard
            HMAC<SHA256>.isValidAuthenticationCode(
                header.mac, authenticating: header.macInput, using: headerKey(fileKey))
        else { throw AgeError(.integrity, "the header's MAC does not match: the file was changed after it was sealed") }
        let payload = binary[header.length...]
        guard payload.count >= 16 else { throw AgeError(.malformed, "the payload is missing its nonce") }
        let nonce = Array(payload.prefix(16))
        return try Payload.open(Array(payload.dropFirst(16)), key: payloadKey(fileKey, nonce: nonce))
    }

    static func headerKey(_ fileKey: [UInt8]) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: fileKey), salt: [UInt8](), info: Array("header".utf8),
            outputByteCount: 32)
    }

    static func payloadKey(_ fileKey: [UInt8], nonce: [UInt8]) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: fileKey), salt: nonce, info: Array("payload".utf8),
            outputByteCount: 32)
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }
}

/// The X25519 recipient stanza: `-> X25519 <ephemeral share>` and the wrapped file key as its body.
struct X25519Stanza {
    static let label = Array("age-encryption.org/v1/X25519".utf8)
    var share: [UInt8]
    var body: [UInt8]

    init(share: [UInt8], body: [UInt8]) {
        self.share = share
        self.body = body
    }

    init(_ stanza: Header.Stanza) throws(AgeError) {
        guard stanza.arguments.count == 1, let share = Base64.decodeRaw(stanza.arguments[0]), share.count == 32 else {
            throw AgeError(.malformed, "an X25519 stanza must have one argument, a 32-byte share")
        }
        guard stanza.body.count == 32 else { throw AgeError(.malformed, "an X25519 stanza's body must be 32 bytes") }
        self.init(share: share, body: stanza.body)
    }

    static func wrap(_ fileKey: [UInt8], to recipient: AgeRecipient) throws(AgeError) -> X25519Stanza {
        let ephemeral = Curve25519.KeyAgreement.PrivateKey()
        let share = Array(ephemeral.publicKey.rawRepresentation)
        do {
            let peer = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: recipient.publicKey)
            let shared = try ephemeral.sharedSecretFromKeyAgreement(with: peer).withUnsafeBytes { Array($0) }
            guard shared.contains(where: { $0 != 0 }) else {
                throw AgeError(.invalidRecipient, "\(recipient) is a low-order point")
            }
            let key = wrapKey(shared: shared, share: share, recipient: recipient.publicKey)
            let sealed = try ChaChaPoly.seal(
                fileKey, using: key, nonce: ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 12)))
            return X25519Stanza(share: share, body: Array(sealed.ciphertext) + Array(sealed.tag))
        } catch let error as AgeError {
            throw error
        } catch {
            throw AgeError(.invalidRecipient, "\(recipient) cannot be sealed for")
        }
    }

    /// The file key, or nil when the stanza was not made for `identity`.
    func unwrap(with identity: AgeIdentity) -> [UInt8]? {
        guard let peer = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: share),
            let shared = try? identity.privateKey.sharedSecretFromKeyAgreement(with: peer).withUnsafeBytes({ Array($0) }
            ),
            shared.contains(where: { $0 != 0 })
        else { return nil }
        let key = Self.wrapKey(
            shared: shared, share: share, recipient: Array(identity.privateKey.publicKey.rawRepresentation))
        guard
            let box = try? ChaChaPoly.SealedBox(
                nonce: ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 12)), ciphertext: body.prefix(16),
                tag: body.suffix(16)),
            let fileKey = try? ChaChaPoly.open(box, using: key)
        else { return nil }
        return Array(fileKey)
    }

    static func wrapKey(shared: [UInt8], share: [UInt8], recipient: [UInt8]) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: shared), salt: share + recipient, info: label, outputByteCount: 32)
    }
}

/// The age header: the version line, the recipient stanzas and the MAC line.
struct Header {
    struct Stanza {
        var type: String
        var arguments: [String]
        var body: [UInt8]
    }

    var stanzas: [Stanza] = []
    /// The header up to and including `---`, which the MAC covers.
    var macInput: [UInt8] = []
    var mac: [UInt8] = []
    /// Bytes from the start of the file to the payload.
    var length = 0

    init(parsing file: [UInt8]) throws(AgeError) {
        var reader = LineReader(file)
        guard let version = reader.next(), version == Age.versionLine else {
            throw AgeError(.malformed, "not an age v1 file (the first line is not \(Age.versionLine))")
        }
        while true {
            let start = reader.offset
            guard let line = reader.next() else {
                throw AgeError(.malformed, "the header ends before its MAC line (--- …)")
            }
            if line.hasPrefix("---") {
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2, parts[0] == "---", let mac = Base64.decodeRaw(String(parts[1])), mac.count == 32
                else { throw AgeError(.malformed, "the MAC line is not '--- ' and 43 base64 characters") }
                macInput = Array(file[..<(start + 3)])
                self.mac = mac
                length = reader.offset
                return
            }
            let parts = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            guard parts.count >= 2, parts[0] == "->", parts.dropFirst().allSatisfy(Self.isArgument) else {
                throw AgeError(.malformed, "a header line is neither a stanza (-> …) nor the MAC line (--- …)")
            }
            var body: [UInt8] = []
            while true {
                guard let bodyLine = reader.next(), bodyLine.utf8.count <= 64,
                    let bytes = Base64.decodeRaw(bodyLine)
                else { throw AgeError(.malformed, "a stanza's body is not base64 in lines of 64 characters") }
                body += bytes
                if bodyLine.utf8.count < 64 { break }
            }
            stanzas.append(Stanza(type: parts[1], arguments: Array(parts.dropFirst(2)), body: body))
        }
    }

    static func isArgument(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { (33...126).contains($0) }
    }
}

/// Lines ended by LF, for the header only (the payload after it is binary).
struct LineReader {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func next() -> String? {
        guard let end = bytes[offset...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let line = bytes[offset..<end]
        guard line.allSatisfy({ (32...126).contains($0) }) else { return nil }
        offset = end + 1
        return String(decoding: line, as: UTF8.self)
    }
}

/// The payload: age's STREAM of ChaCha20-Poly1305 chunks of 64 KiB, each nonce an 11-byte counter and a last-chunk
/// flag, so a file cut at a chunk boundary fails instead of reading as shorter.
enum Payload {
    static func seal(_ plaintext: [UInt8], key: SymmetricKey) throws(AgeError) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(plaintext.count + (plaintext.count / Age.chunkSize + 1) * Age.tagSize)
        var offset = 0
        var counter: UInt64 = 0
        repeat {
            let end = min(offset + Age.chunkSize, plaintext.count)
            let last = end == plaintext.count
            do {
                let sealed = try ChaChaPoly.seal(plaintext[offset..<end], using: key, nonce: nonce(counter, last: last))
                output += Array(sealed.ciphertext) + Array(sealed.tag)
            } catch {
                throw AgeError(.malformed, "a payload chunk could not be sealed")
            }
            offset = end
            counter += 1
        } while offset < plaintext.count
        return output
    }

    static func open(_ payload: [UInt8], key: SymmetricKey) throws(AgeError) -> [UInt8] {
        guard !payload.isEmpty else { throw AgeError(.integrity, "the payload is empty: the file was cut short") }
        var output: [UInt8] = []
        var offset = 0
        var counter: UInt64 = 0
        while offset < payload.count {
            let end = min(offset + Age.chunkSize + Age.tagSize, payload.count)
            let last = end == payload.count
            guard end - offset >= Age.tagSize, !(last && end - offset == Age.tagSize && counter > 0) else {
                throw AgeError(.malformed, "payload chunk \(counter) is too short")
            }
            do {
                let box = try ChaChaPoly.SealedBox(
                    nonce: nonce(counter, last: last), ciphertext: payload[offset..<(end - Age.tagSize)],
                    tag: payload[(end - Age.tagSize)..<end])
                output += try ChaChaPoly.open(box, using: key)
            } catch {
                throw AgeError(
                    .integrity, "payload chunk \(counter) fails authentication: the file was changed or cut short")
            }
            offset = end
            counter += 1
        }
        return output
    }

    static func nonce(_ counter: UInt64, last: Bool) throws -> ChaChaPoly.Nonce {
        var bytes = [UInt8](repeating: 0, count: 12)
        for index in 0..<8 { bytes[10 - index] = UInt8(truncatingIfNeeded: counter >> (8 * UInt64(index))) }
        bytes[11] = last ? 1 : 0
        return try ChaChaPoly.Nonce(data: bytes)
    }
}

/// The ASCII armor: the binary file in padded base64, 64 columns, between BEGIN and END lines.
enum Armor {
    static let begin = "-----BEGIN AGE ENCRYPTED FILE-----"
    static let end = "-----END AGE ENCRYPTED FILE-----"

    static func isArmored(_ file: [UInt8]) -> Bool {
        let start = file.firstIndex { ![9, 10, 13, 32].contains($0) } ?? file.endIndex
        return file[start...].starts(with: Array(begin.utf8))
    }

    static func encode(_ file: [UInt8]) -> [UInt8] {
        let text = Data(file).base64EncodedString()
        var lines = [begin]
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 64, limitedBy: text.endIndex) ?? text.endIndex
            lines.append(String(text[index..<next]))
            index = next
        }
        lines.append(end)
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }

    static func decode(_ file: [UInt8]) throws(AgeError) -> [UInt8] {
        let text = String(decoding: file, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        guard lines.count >= 2, lines.first == begin, lines.last == end else {
            throw AgeError(.malformed, "the armor does not begin with \(begin) and end with \(end)")
        }
        lines = Array(lines.dropFirst().dropLast())
        for (index, line) in lines.enumerated() where line.count > 64 || (index < lines.count - 1 && line.count != 64) {
            throw AgeError(.malformed, "armor line \(index + 2) is not 64 base64 characters")
        }
        guard let data = Data(base64Encoded: lines.joined()) else {
            throw AgeError(.malformed, "the armor is not valid base64")
        }
        return Array(data)
    }
}

/// age's base64: the standard alphabet; stanza text without padding, and only in its canonical form.
enum Base64 {
    static func encodeRaw(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }

    static func decodeRaw(_ text: String) -> [UInt8]? {
        guard text.utf8.count % 4 != 1, !text.contains("=") else { return nil }
        let padded = text + String(repeating: "=", count: (4 - text.utf8.count % 4) % 4)
        guard let data = Data(base64Encoded: padded), encodeRaw(Array(data)) == text else { return nil }
        return Array(data)
    }

    /// A stanza body: lines of 64 characters, the last one shorter (empty when the text fills its lines).
    static func bodyLines(_ bytes: [UInt8]) -> [UInt8] {
        let text = Array(encodeRaw(bytes).utf8)
        var output: [UInt8] = []
        var offset = 0
        while text.count - offset >= 64 {
            output += text[offset..<(offset + 64)] + [UInt8(ascii: "\n")]
            offset += 64
        }
        output += text[offset...] + [UInt8(ascii: "\n")]
        return output
    }
}
