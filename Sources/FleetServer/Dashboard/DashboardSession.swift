import Foundation
import HTTPTypes
import Hummingbird

/// How a browser holds an API token for the dashboard, and how its actions are kept to the dashboard's pages.
///
/// A browser cannot send `Authorization: Bearer` when it navigates, so the sign-in page takes the token once and
/// the server keeps it in a cookie: `HttpOnly` (no script reads it), `SameSite=Strict` (no other site's page
/// makes the browser send it), `Secure` when the listener has TLS, `Path=/`, for the browser's session only.
/// The token travels base64url-encoded because a token file may hold bytes a cookie cannot; it is never put in a
/// URL, a page or a log. The middleware then checks it like a header token, on every request.
///
/// CSRF: `SameSite=Strict` already keeps the cookie off requests another site starts; on top of it every action
/// a browser can send (a cookie-authenticated request that is not GET/HEAD, and every dashboard form, which also
/// matters without tokens, when a loopback server acts for anyone) must carry an `Origin` (or, failing that, a
/// `Referer`) whose host is the request's `Host`. An Origin check rather than a per-session token in each form:
/// there is no server-side session to keep one in, every browser the dashboard supports sends `Origin` on a
/// POST, and it guards the JSON API's actions from a browser the same way.
enum DashboardSession {
    static let cookieName = "gitfleet_session"
    static let flashCookieName = "gitfleet_flash"
    static let signInPath = "/signin"
    static let signOutPath = "/signout"
    /// Where the dashboard's forms post their actions.
    static let actionPrefix = "/ui/"

    /// The token in the request's session cookie, or nil.
    static func token(in request: Request) -> String? {
        guard let value = request.cookies[cookieName]?.value, let token = decode(value), !token.isEmpty else {
            return nil
        }
        return token
    }

    /// The session cookie holding `token`; with an empty token, one that clears it.
    static func cookie(holding token: String?, secure: Bool) -> Cookie {
        Cookie(
            name: cookieName, value: token.map(encode) ?? "", maxAge: token == nil ? 0 : nil, path: "/",
            secure: secure, httpOnly: true, sameSite: .strict)
    }

    /// A one-time message for the next page (an action's outcome after its redirect), or the cookie clearing it.
    static func flashCookie(_ message: String?, secure: Bool) -> Cookie {
        Cookie(
            name: flashCookieName, value: message.map(encode) ?? "", maxAge: message == nil ? 0 : 60, path: "/",
            secure: secure, httpOnly: true, sameSite: .strict)
    }

    static func flash(in request: Request) -> String? {
        request.cookies[flashCookieName].flatMap { decode($0.value) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Whether `path` is one of the dashboard's form targets (actions, sign-in, sign-out).
    static func isDashboardAction(_ path: String) -> Bool {
        path.hasPrefix(actionPrefix) || path == signInPath || path == signOutPath
    }

    /// Whether the request asks for a dashboard page (a person's browser), which is sent to sign in rather than
    /// answered 401.
    static func isPage(_ request: Request) -> Bool {
        [.get, .head].contains(request.method) && !request.uri.path.hasPrefix("/api/")
    }

    /// 303 to the sign-in page, which returns to the page asked for after signing in.
    static func signInRedirect(_ request: Request, clearingSession: Bool = false) -> Response {
        var response = redirect(to: signInPath + "?next=" + (percentEncoded(request.uri.path) ?? "/"))
        if clearingSession { response.setCookie(cookie(holding: nil, secure: false)) }
        return response
    }

    /// Why the request must be refused as possibly forged by another site, or nil when its `Origin` (else
    /// `Referer`) names the host it was sent to.
    static func crossSiteRefusal(_ request: Request) -> String? {
        guard let host = request.head.authority else {
            return "the request names no Host to compare its Origin with"
        }
        let source = request.headers[.origin] ?? request.headers[.referer]
        guard let source else {
            return "a browser action must carry an Origin or Referer header naming this server"
        }
        guard let components = URLComponents(string: source), let sourceHost = components.host else {
            return "the Origin '\(source)' is not a URL"
        }
        let sourceAuthority = sourceHost + (components.port.map { ":\($0)" } ?? "")
        guard sourceAuthority.lowercased() == host.lowercased() else {
            return "the request comes from a page of \(sourceAuthority), not of this server (\(host))"
        }
        return nil
    }

    /// A 303 See Other: after a form's POST the browser GETs `location`.
    static func redirect(to location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    /// A local path to return to, from a form or query: a path on this server only (`/…`, never `//host` or a
    /// URL), so a crafted link cannot send the browser elsewhere after signing in.
    static func localPath(_ text: String?) -> String {
        guard let text, text.hasPrefix("/"), !text.hasPrefix("//"), !text.contains("\\"),
            !text.contains(where: { $0.isNewline })
        else { return "/" }
        return text
    }

    static func percentEncoded(_ text: String) -> String? {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?&=#+")
        return text.addingPercentEncoding(withAllowedCharacters: allowed)
    }

    private static func encode(_ text: String) -> String {
        Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    private static func decode(_ value: String) -> String? {
        var text = value.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        text += String(repeating: "=", count: (4 - text.count % 4) % 4)
        return Data(base64Encoded: text).flatMap { String(data: $0, encoding: .utf8) }
    }
}
