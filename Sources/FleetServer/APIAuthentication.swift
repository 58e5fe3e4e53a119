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
/// added later is never open by mistake. A browser on the dashboard presents the token in its session cookie
/// instead of the header (`DashboardSession`), and is sent to the sign-in page rather than answered 401. `GET` and `HEAD` need `read`; every other method
/// is an action and needs `operate`; a token of scope `agent` may only read the serving set and post its own
/// report. Without tokens every caller is `anonymous` (and `serve` binds loopback
/// only unless told otherwise).
struct APIAuthentication: RouterMiddleware {
    typealias Context = ControllerRequestContext

    /// Who a caller is without tokens.
    static let anonymous = "anonymous"
    /// The challenge of every 401 and 403.
    static let realm = #"Bearer realm="gitfleet""#

    let store: APITokenStore?

    /// Paths that need no token: health, readiness, metrics (probes and Prometheus carry none), webhooks
    /// (their HMAC is their authentication), and the dashboard's sign-in and sign-out and its script and stylesheet
    /// (a browser without a session must reach them to get one; they hold nothing about the fleet).
    static func isOpen(_ path: String) -> Bool {
        ["/healthz", "/readyz", "/metrics", DashboardSession.signInPath, DashboardSession.signOutPath].contains(path)
            || path.hasPrefix("/webhooks/") || path.hasPrefix(DashboardAssets.prefix)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let isAction = ![.get, .head].contains(request.method)
        // A browser sends the session cookie (and, without tokens, reaches a loopback server) on its own, even
        // for a form another site submits: an action from a browser must come from the dashboard's own pages.
        let fromCookie =
            Self.bearer(request.headers[.authorization]) == nil && DashboardSession.token(in: request) != nil
        if isAction && (fromCookie || DashboardSession.isDashboardAction(request.uri.path)),
            let refusal = DashboardSession.crossSiteRefusal(request)
        {
            context.logger.notice("refused \(request.method) \(request.uri.path): \(refusal)")
            return Response.error(.forbidden, code: "cross_site_request", refusal)
        }
        guard let store, !Self.isOpen(request.uri.path) else { return try await next(request, context) }
        guard let presented = Self.bearer(request.headers[.authorization]) ?? DashboardSession.token(in: request)
        else {
            if DashboardSession.isPage(request) { return DashboardSession.signInRedirect(request) }
            return Self.challenge(
                .unauthorized, code: "unauthorized",
                "this server needs an API token: send Authorization: Bearer <token> (gitfleet --server-token-file)",
                error: nil)
        }
        guard let token = store.token(for: presented) else {
            context.logger.notice("rejected a request with an unknown API token")
            if fromCookie && DashboardSession.isPage(request) {
                return DashboardSession.signInRedirect(request, clearingSession: true)
            }
            return Self.challenge(
                .unauthorized, code: "unauthorized", "the API token is not one this server accepts",
                error: "invalid_token")
        }
        let needed: APIToken.Scope = isAction ? .operate : .read
        var context = context
        context.caller = token.name
        context.scope = token.scope
        context.signedInWithCookie = fromCookie
        context.logger[metadataKey: "caller"] = "\(token.name)"
        guard Self.permits(token, method: request.method, path: request.uri.path, needed: needed) else {
            context.logger.notice("refused \(request.method) \(request.uri.path): the token's scope is \(token.scope)")
            return Self.challenge(
                .forbidden, code: "insufficient_scope",
                token.scope == .agent
                    ? "the token '\(token.name)' has scope agent: it may only GET /api/v1/discovery and POST "
                        + "/api/v1/agents/\(token.name); this needs a token of scope \(needed.rawValue)"
                    : "the token '\(token.name)' has scope \(token.scope.rawValue); this action needs a token of scope "
                        + "\(needed.rawValue)",
                error: "insufficient_scope", scope: needed)
        }
        return try await next(request, context)
    }

    /// Whether `token` may make this request: its scope is at least `needed`, or it is an agent's token and the
    /// request reads the serving set or posts that agent's own report.
    static func permits(_ token: APIToken, method: HTTPRequest.Method, path: String, needed: APIToken.Scope) -> Bool {
        guard token.scope == .agent else { return token.scope >= needed }
        switch method {
        case .get, .head: return path == "/api/v1/discovery"
        case .post: return path == "/api/v1/agents/\(token.name)"
        default: return false
        }
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
