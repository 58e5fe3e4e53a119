/// The body of every 4xx answer: `{"error": "<code>", "message": "<sentence>"}`.
public struct ErrorDocument: Codable, Hashable, Sendable {
    /// A stable, machine-readable code, e.g. `service_not_found`, `unauthorized`, `webhook_disabled`.
    public var error: String
    public var message: String

    public init(error: String, message: String) {
        self.error = error
        self.message = message
    }
}
