import Hummingbird

/// Answers a request no route serves with the JSON error body every other 4xx carries (docs/http-api.md,
/// "Answers"), rather than Hummingbird's empty 404.
///
/// Hummingbird's router throws `HTTPError(.notFound)` when no route matches, after the middleware it wraps in
/// has run; so this middleware is added first, outside authentication: with API tokens an unknown path still
/// answers 401 to a caller without a token, and says nothing about which paths exist. Route handlers that find
/// no such action (the dashboard's form verbs) throw the same error and get the same answer.
struct NotFoundAnswer: RouterMiddleware {
    typealias Context = ControllerRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            return Response.error(
                .notFound, code: "not_found", "no route answers \(request.method) \(request.uri.path)")
        }
    }
}
