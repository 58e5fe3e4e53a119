import Crypto
@_spi(Fuzzing) import FleetServer
import FuzzSupport
import HTTPTypes

/// One webhook request for a provider, judged as the webhook route judges it: `WebhookDelivery.verdict`.
///
/// The input is framed (`FuzzInput.files`): a section `=== headers` holds `Name: value` lines, a section
/// `=== body` the body. The secret is fixed; when the headers carry no signature or token, the request is
/// signed (or given the token) correctly, as the provider would, so that most inputs get past the check and
/// reach the payload; inputs with their own credential test the check itself.
public enum WebhookFuzzing {
    static let secret = "fuzzing-secret"

    public static func run(_ provider: WebhookProvider, _ data: UnsafePointer<UInt8>?, _ size: Int) {
        var headers = HTTPFields()
        var body: [UInt8] = []
        for file in FuzzInput.files(FuzzInput.bytes(data, size), defaultPath: "body") {
            if file.path == "headers" {
                for line in String(decoding: file.contents, as: UTF8.self).split(separator: "\n") {
                    guard let colon = line.firstIndex(of: ":"),
                        let name = HTTPField.Name(String(line[..<colon]).trimmingSpaces)
                    else { continue }
                    headers.append(
                        HTTPField(name: name, value: String(line[line.index(after: colon)...]).trimmingSpaces))
                }
            } else {
                body += file.contents
            }
        }
        sign(&headers, body: body, provider: provider)
        let delivery = WebhookDelivery(provider: provider, headers: headers, body: body)
        _ = delivery.verdict(secret: WebhookSecret(secret), trackedBranch: "main")
    }

    /// The credential the provider would send, unless the input brings one of its own.
    private static func sign(_ headers: inout HTTPFields, body: [UInt8], provider: WebhookProvider) {
        let signature = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8)))
        let hex = signature.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        let (name, value): (String, String) =
            switch provider {
            case .github: ("X-Hub-Signature-256", "sha256=" + hex)
            case .generic: ("X-Signature-256", "sha256=" + hex)
            case .gitea: ("X-Gitea-Signature", hex)
            case .gitlab: ("X-Gitlab-Token", secret)
            }
        guard let field = HTTPField.Name(name), headers[field] == nil else { return }
        if provider == .gitea, HTTPField.Name("X-Forgejo-Signature").flatMap({ headers[$0] }) != nil { return }
        headers[field] = value
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " || $0 == "\r" }).reversed())
    }
}
