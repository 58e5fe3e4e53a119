import Foundation

/// One row of the table `gitfleet-bench all` prints, as docs/performance.md lists it: what was measured against
/// which reference in the same run, the target, and whether it is met. A benchmark subcommand prints its rows
/// with ``emit()`` after its own human-readable lines; `all` runs each subcommand as its own process (so each
/// peak RSS is its own) and collects the rows from its output.
struct BenchRow: Codable, Equatable {
    /// Stable key of the row, e.g. `steady-state` (`gitfleet-bench all --only` takes these).
    var id: String
    /// The table's first column, e.g. "steady state, 1,000 serving instances (20 × 50), probe interval 1 s".
    var benchmark: String
    /// Today's figures, medians with the reference measured in the same run, e.g. "2.1 % of a core, pass p50 4 ms".
    var measured: String
    /// The target as the table states it, e.g. "≤ 3 % of a core, pass p50 ≤ 20 ms, RSS ≤ 60 MB".
    var target: String
    /// Whether every part of the target is met by this run's figures.
    var met: Bool

    /// The prefix of a row's line in a subcommand's output.
    static let marker = "gitfleet-bench-row: "

    /// Prints the row as one line `all` picks out of the subcommand's output.
    func emit() {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self), let json = String(data: data, encoding: .utf8) else { return }
        print(Self.marker + json)
        fflush(nil)
    }

    /// The row on `line`, when it is one.
    static func parse(_ line: Substring) -> BenchRow? {
        guard line.hasPrefix(marker) else { return nil }
        return try? JSONDecoder().decode(BenchRow.self, from: Data(line.dropFirst(marker.count).utf8))
    }
}
