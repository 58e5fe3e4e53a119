import Foundation

/// The controller's metrics: counters, gauges and histograms with labels, rendered in the Prometheus text
/// exposition format 0.0.4.
///
/// One instance is shared by the controller (which records reconciles, rollouts, drift and Git activity) and the
/// HTTP server (which records webhooks and renders `/metrics`). All methods are safe to call from any thread; a
/// lock guards the store, and each call holds it only for a dictionary update, so recording never waits on I/O.
///
/// Families are declared up front (`MetricFamily.gitfleet` by default) so a scrape shows their HELP and TYPE
/// lines before anything was recorded. Recording into a family that was not declared registers it on first use.
/// Labels are given by name; a label the family does not declare is a programming error (caught by an assertion
/// in debug builds and dropped in release builds), and a declared label that is not given renders as "".
public final class FleetMetrics: @unchecked Sendable {
    private let lock = NSLock()
    // Guarded by `lock`.
    private var families: [String: FamilyStore] = [:]
    private var order: [String] = []

    public init(families: [MetricFamily] = MetricFamily.gitfleet) {
        for family in families {
            register(family)
        }
    }

    /// Declares a family so it is rendered even before its first sample; declaring it again changes nothing.
    public func register(_ family: MetricFamily) {
        locked { _ = store(for: family) }
    }

    /// Adds `amount` (which must not be negative) to a counter series.
    public func increment(_ family: MetricFamily, by amount: Double = 1, labels: [String: String] = [:]) {
        precondition(family.kind == .counter, "\(family.name) is not a counter")
        precondition(amount >= 0, "a counter only goes up")
        locked { store(for: family).add(amount, at: family.labelValues(labels)) }
    }

    /// Sets a gauge series to `value`.
    public func set(_ family: MetricFamily, to value: Double, labels: [String: String] = [:]) {
        precondition(family.kind == .gauge, "\(family.name) is not a gauge")
        locked { store(for: family).set(value, at: family.labelValues(labels)) }
    }

    /// Replaces every series of a gauge family with `series`, so series that are not given disappear (a service
    /// that was removed, a revision that is no longer deployed).
    public func replaceAll(_ family: MetricFamily, with series: [(labels: [String: String], value: Double)]) {
        precondition(family.kind == .gauge, "\(family.name) is not a gauge")
        locked {
            let store = store(for: family)
            store.removeAll { _ in true }
            for (labels, value) in series {
                store.set(value, at: family.labelValues(labels))
            }
        }
    }

    /// Removes the series of `family` whose labels include all of `matching`, e.g. every `gitfleet_instances`
    /// series of one service.
    public func remove(_ family: MetricFamily, matching: [String: String]) {
        locked {
            let positions = matching.compactMap { name, value in
                family.labelNames.firstIndex(of: name).map { ($0, value) }
            }
            store(for: family).removeAll { values in positions.allSatisfy { values[$0.0] == $0.1 } }
        }
    }

    /// Counts one observation into a histogram series.
    public func observe(_ family: MetricFamily, _ value: Double, labels: [String: String] = [:]) {
        guard case .histogram(let buckets) = family.kind else {
            preconditionFailure("\(family.name) is not a histogram")
        }
        locked { store(for: family).observe(value, buckets: buckets, at: family.labelValues(labels)) }
    }

    /// The current value of a counter or gauge series, or `nil` when it has none (for tests and status pages).
    public func value(of family: MetricFamily, labels: [String: String] = [:]) -> Double? {
        locked {
            guard case .scalar(let value)? = families[family.name]?.series[family.labelValues(labels)] else {
                return nil
            }
            return value
        }
    }

    /// The number of observations and their sum in a histogram series, or `nil` when it has none.
    public func histogramTotals(of family: MetricFamily, labels: [String: String] = [:]) -> (
        count: UInt64, sum: Double
    )? {
        locked {
            guard case .histogram(_, let sum, let count)? = families[family.name]?.series[family.labelValues(labels)]
            else {
                return nil
            }
            return (count, sum)
        }
    }

    /// Every family in the Prometheus text exposition format 0.0.4 (`Content-Type: text/plain; version=0.0.4`):
    /// HELP and TYPE lines, then the series sorted by label values; histograms as cumulative `_bucket` series
    /// ending in `le="+Inf"`, then `_sum` and `_count`.
    public func render() -> String {
        let snapshot: [(MetricFamily, [[String]: Sample])] = locked {
            order.compactMap { name in families[name].map { ($0.family, $0.series) } }
        }
        var text = ""
        for (family, series) in snapshot {
            text += "# HELP \(family.name) \(Self.escapeHelp(family.help))\n"
            text += "# TYPE \(family.name) \(family.kind.exposition)\n"
            for (values, sample) in series.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
                let pairs = zip(family.labelNames, values).map { ($0, $1) }
                switch sample {
                case .scalar(let value):
                    text += "\(family.name)\(Self.labelSet(pairs)) \(Self.format(value))\n"
                case .histogram(let cumulative, let sum, let count):
                    guard case .histogram(let bounds) = family.kind else { continue }
                    for (bound, bucketCount) in zip(bounds, cumulative) {
                        text +=
                            "\(family.name)_bucket\(Self.labelSet(pairs + [("le", Self.format(bound))])) \(bucketCount)\n"
                    }
                    text += "\(family.name)_bucket\(Self.labelSet(pairs + [("le", "+Inf")])) \(count)\n"
                    text += "\(family.name)_sum\(Self.labelSet(pairs)) \(Self.format(sum))\n"
                    text += "\(family.name)_count\(Self.labelSet(pairs)) \(count)\n"
                }
            }
        }
        return text
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    // Call with the lock held.
    private func store(for family: MetricFamily) -> FamilyStore {
        if let existing = families[family.name] {
            return existing
        }
        let created = FamilyStore(family: family)
        families[family.name] = created
        order.append(family.name)
        return created
    }
}

extension FleetMetrics {
    fileprivate enum Sample {
        case scalar(Double)
        /// `cumulative[i]` counts observations `<=` the i-th bucket bound.
        case histogram(cumulative: [UInt64], sum: Double, count: UInt64)
    }

    /// The series of one family; only touched with `FleetMetrics.lock` held.
    fileprivate final class FamilyStore {
        let family: MetricFamily
        var series: [[String]: Sample] = [:]

        init(family: MetricFamily) {
            self.family = family
        }

        func add(_ amount: Double, at values: [String]) {
            guard case .scalar(let current)? = series[values] else {
                series[values] = .scalar(amount)
                return
            }
            series[values] = .scalar(current + amount)
        }

        func set(_ value: Double, at values: [String]) {
            series[values] = .scalar(value)
        }

        func observe(_ value: Double, buckets: [Double], at values: [String]) {
            var (cumulative, sum, count) = ([UInt64](repeating: 0, count: buckets.count), 0.0, UInt64(0))
            if case .histogram(let c, let s, let n)? = series[values] {
                (cumulative, sum, count) = (c, s, n)
            }
            for (index, bound) in buckets.enumerated() where value <= bound {
                cumulative[index] += 1
            }
            series[values] = .histogram(cumulative: cumulative, sum: sum + value, count: count + 1)
        }

        func removeAll(where matches: ([String]) -> Bool) {
            series = series.filter { !matches($0.key) }
        }
    }

    static func labelSet(_ pairs: [(String, String)]) -> String {
        guard !pairs.isEmpty else { return "" }
        return "{" + pairs.map { "\($0.0)=\"\(escapeLabelValue($0.1))\"" }.joined(separator: ",") + "}"
    }

    /// Label values escape backslash, double quote and line feed, as the exposition format requires.
    static func escapeLabelValue(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// HELP text escapes backslash and line feed (a double quote is legal there).
    static func escapeHelp(_ help: String) -> String {
        help.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Whole numbers render without a fraction (`3`, `le="1"`), as the Go client does, so bucket labels match
    /// what dashboards expect; infinities and NaN use the format's spelling.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == .infinity { return "+Inf" }
        if value == -.infinity { return "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}

extension MetricFamily {
    /// The values of `labels` in the order of `labelNames`.
    fileprivate func labelValues(_ labels: [String: String]) -> [String] {
        assert(
            Set(labels.keys).isSubset(of: labelNames),
            "\(name) has labels \(labelNames), given \(labels.keys.sorted())"
        )
        return labelNames.map { labels[$0] ?? "" }
    }
}
