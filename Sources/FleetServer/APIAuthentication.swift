import FleetController
import HTTPTypes
import Hummingbird
import Logging

/// Bearer tokens on the main listener (docs/http-api.md, "Who may call it").
///
/// Hand-written rather than hummingbird-auth's bearer middleware: the rule is one comparison and a scope
/// check, and the tokens must be compared in constant time over all of them, which `APITokenStore` does;
/// the package would add a dependency to build for a dozen lines.
///
/// Deny by default: every route needs a token except the ones probes, Prometheus and forges call, so a route
/// added later (a dashboard page) is never open by mistake. `GET` and `HEAD` need `read`; every other method
/// is an action and needs `operate`. Without tokens every caller is `anonymous` (and `serve` binds loopback
/// only unless told otherwise).
struct APIAuthentication: RouterMiddleware {
    typealias Context = ControllerRequestContext

    /// Who a caller is without tokens.
    static let anonymous = "anonymous"
    /// The challenge of every 401 and 403.
    static let realm = #"Bearer realm="gitfleet""#

    let store: APITokenStore?

    /// Paths that need no token: health, readiness, metrics (probes and Prometheus carry none) and webhooks
    /// (their HMAC is their authentication).
    static func isOpen(_ path: String) -> Bool {
        ["/healthz", "/readyz", "/metrics"].contains(path) || path.hasPrefix("/webhooks/")
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        guard let store, !Self.isOpen(request.uri.path) else { return try await next(request, context) }
        guard let presented = Self.bearer(request.headers[.authorization]) else {
            return Self.challenge(
                .unauthorized, code: "unauthorized",
                "this server needs an API token: send Authorization: Bearer <token> (gitfleet --server-token-file)",
                error: nil)
        }
        guard let token = store.token(for: presented) else {
            context.logger.notice("rejected a request with an unknown API token")
            return Self.challenge(
                .unauthorized, code: "unauthorized", "the API token is not one this server accepts",
                error: "invalid_token")
        }
        let needed: APIToken.Scope = [.get, .head].contains(request.method) ? .read : .operate
        var context = context
        context.caller = token.name
        context.logger[metadataKey: "caller"] = "\(token.name)"
        guard token.scope >= needed else {
            context.logger.notice("refused \(request.method) \(request.uri.path): the token's scope is \(token.scope)")
            return Self.challenge(
                .forbidden, code: "insufficient_scope",
                "the token '\(token.name)' has scope \(token.scope.rawValue); this action needs a token of scope "
                    + "\(needed.rawValue)",
                error: "insufficient_scope", scope: needed)
        }
        return try await next(request, context)
    }

    /// The token of `Authorization: Bearer <token>` (the scheme in any case), or nil.
    static func bearer(_ header: String?) -> String? {
        guard let header, let space = header.firstIndex(of: " "),
            header[..<space].lowercased() == "bearer"
        else { return nil }
        let token = header[header.index(after: space)...].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    private static func challenge(
        _ status: HTTPResponse.Status, code: String, _ message: String, error: String?, scope: APIToken.Scope? = nil
    ) -> Response {
        var response = Response.error(status, code: code, message)
        var challenge = realm
        if let error { challenge += #", error="\#(error)""# }
        if let scope { challenge += #", scope="\#(scope.rawValue)""# }
        response.headers[.wwwAuthenticate] = challenge
        return response
    }
}
