/// The description of one metric family: its name, help text, type and label names.
///
/// A family is declared once (see `MetricFamily+Gitfleet.swift` for the controller's) and every sample of it is
/// recorded through `FleetMetrics` with values for exactly these labels, so the exposition stays consistent: one
/// HELP and one TYPE line per family, the same label names on every series.
public struct MetricFamily: Hashable, Sendable {
    /// The Prometheus metric type, which decides how samples combine and how they are rendered.
    public enum Kind: Hashable, Sendable {
        /// A value that only goes up (reset only by a restart); rendered as one sample per series.
        case counter
        /// A value that is set, and may go up and down.
        case gauge
        /// Observations counted into buckets with these upper bounds (ascending, without `+Inf`, which is implied).
        case histogram(buckets: [Double])

        /// The word used on the `# TYPE` line.
        public var exposition: String {
            switch self {
            case .counter: "counter"
            case .gauge: "gauge"
            case .histogram: "histogram"
            }
        }
    }

    /// The metric name, e.g. `gitfleet_reconciles_total`; must match `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    public var name: String
    /// One line for the `# HELP` line: what the metric counts and in which unit.
    public var help: String
    public var kind: Kind
    /// The label names every series of this family carries, in the order they are rendered.
    public var labelNames: [String]

    public init(name: String, help: String, kind: Kind, labelNames: [String] = []) {
        precondition(Self.isValidName(name), "invalid metric name \(name)")
        precondition(labelNames.allSatisfy { Self.isValidName($0) && !$0.contains(":") && $0 != "le" })
        if case .histogram(let buckets) = kind {
            precondition(!buckets.isEmpty && zip(buckets, buckets.dropFirst()).allSatisfy { $0 < $1 })
        }
        self.name = name
        self.help = help
        self.kind = kind
        self.labelNames = labelNames
    }

    /// Buckets suited to durations in seconds from 1 ms to 5 minutes: reconciles and fetches range from a no-op
    /// against a local repository to a rollout waiting on health checks. 20 ms is a bucket bound so that "an idle
    /// pass takes at most 20 ms" (docs/performance.md, (e)) can be read off the histogram.
    public static let durationBuckets: [Double] = [
        0.001, 0.0025, 0.005, 0.01, 0.02, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
    ]

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first else { return false }
        func isLetter(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("A"..."Z").contains(c) }
        guard isLetter(first) || first == "_" || first == ":" else { return false }
        return name.unicodeScalars.allSatisfy { isLetter($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == ":" }
    }
}
