import Hummingbird

/// A request's context on the controller's listeners: Hummingbird's core plus who is calling.
public struct ControllerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The name of the API token the request carried, set by `APIAuthentication`; `anonymous` when the server
    /// has no tokens (or on a route that needs none). Actions record it as who asked.
    public var caller = APIAuthentication.anonymous

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }
}
