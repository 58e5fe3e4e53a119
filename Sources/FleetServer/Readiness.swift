/// Whether the controller is ready, as `/readyz` reports it.
///
/// JSON: `{"ready": false, "reasons": ["git: fetch failing for 3m: ..."]}`.
public struct Readiness: Codable, Hashable, Sendable {
    /// True when the controller can reconcile: its repository, registry and runtime all answer.
    public var ready: Bool
    /// One line per problem, prefixed with the part it concerns (`git: `, `registry: `, `runtime: `); empty when
    /// ready. Reasons may also be given while ready, for degradations that do not stop reconciling.
    public var reasons: [String]

    public init(ready: Bool, reasons: [String] = []) {
        self.ready = ready
        self.reasons = reasons
    }

    /// Ready, with nothing to report.
    public static let ready = Readiness(ready: true)

    /// Not ready, for these reasons.
    public static func notReady(_ reasons: [String]) -> Readiness {
        Readiness(ready: false, reasons: reasons)
    }
}
