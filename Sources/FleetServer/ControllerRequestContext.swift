import FleetController
import Hummingbird

/// A request's context on the controller's listeners: Hummingbird's core plus who is calling.
public struct ControllerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The name of the API token the request carried, set by `APIAuthentication`; `anonymous` when the server
    /// has no tokens (or on a route that needs none). Actions record it as who asked.
    public var caller = APIAuthentication.anonymous
    /// What the caller may do: the token's scope, or `operate` when the server has no tokens (everyone may act,
    /// as on the API). The dashboard shows its action buttons only to `operate`.
    public var scope: APIToken.Scope = .operate
    /// Whether the credential came from the dashboard's session cookie rather than an `Authorization` header,
    /// set by `APIAuthentication`: a browser sends cookies on its own, so such a request is checked for CSRF.
    public var signedInWithCookie = false

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }
}
