import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Timings of repeated runs of one thing, summarised the way every benchmark prints them.
struct Timings {
    var label: String
    var seconds: [Double] = []

    var median: Double {
        let sorted = seconds.sorted()
        guard !sorted.isEmpty else { return .nan }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
    var min: Double { seconds.min() ?? .nan }
    var max: Double { seconds.max() ?? .nan }

    /// One line: median, min and max over the runs.
    var summary: String {
        "\(label): median \(Timings.format(median)) (min \(Timings.format(min)), max \(Timings.format(max)),"
            + " \(seconds.count) runs)"
    }

    static func format(_ seconds: Double) -> String {
        if seconds >= 1 { return String(format: "%.3f s", seconds) }
        if seconds >= 0.001 { return String(format: "%.2f ms", seconds * 1_000) }
        return String(format: "%.1f µs", seconds * 1_000_000)
    }
}

/// Wall-clock seconds `body` takes.
func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = ContinuousClock.now
    let result = try body()
    return (result, (ContinuousClock.now - start).seconds)
}

func timedAsync<T>(_ body: () async throws -> T) async rethrows -> (T, Double) {
    let start = ContinuousClock.now
    let result = try await body()
    return (result, (ContinuousClock.now - start).seconds)
}

extension Duration {
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}

/// Figures from /proc/self/status, in kibibytes.
enum ProcessMemory {
    /// Peak resident set size of this process (VmHWM): what a target on peak memory is checked against.
    static var peakKiB: Int { field("VmHWM") }
    /// Current resident set size (VmRSS).
    static var currentKiB: Int { field("VmRSS") }

    static func field(_ name: String) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
        for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? -1
        }
        return -1
    }

    static func describe(_ kib: Int) -> String { String(format: "%.1f MB", Double(kib) / 1024) }

    /// Prints the peak RSS line every benchmark ends with, and whether it is within `limitMB`.
    static func report(limitMB: Double = 300) {
        let peak = Double(peakKiB) / 1024
        print(
            String(format: "peak RSS (VmHWM): %.1f MB — target ≤ %.0f MB: %@", peak, limitMB, verdict(peak <= limitMB)))
    }
}

/// CPU seconds used by this process (user + system), from getrusage.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

func verdict(_ met: Bool) -> String { met ? "MET" : "NOT MET" }

/// The first three fields of /proc/loadavg (1, 5 and 15 minutes), which every subcommand prints at its start and
/// end: on a shared machine a figure means little without the load it was taken under.
func loadAverage() -> String {
    let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?"
    return text.split(separator: " ").prefix(3).joined(separator: " ")
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
