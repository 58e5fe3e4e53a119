import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#endif

/// The standard `process_*` families of the Prometheus client libraries (CPU time, memory, file descriptors,
/// start time), read from `/proc/self` when `/metrics` is scraped.
///
/// swift-prometheus has no process collector, and these are what every Prometheus dashboard and alert for a
/// process expects (e.g. `rate(process_cpu_seconds_total[5m])`, fds near `process_max_fds`). They are read at scrape
/// time, not on a timer, so they cost nothing between scrapes. Where `/proc` is missing (not Linux) the families
/// are not shown.
final class ProcessMetrics: Sendable {
    /// The CPU seconds already added to `process_cpu_seconds_total`: the registry's counters only go up by an
    /// amount, so each scrape adds what the kernel counted since the last.
    private let cpuSecondsRecorded = NIOLockedValueBox<Double>(0)

    /// What `/proc/self` says now, or nil where it cannot be read.
    struct Reading {
        var cpuSeconds: Double
        var residentBytes: Double
        var virtualBytes: Double
        var startTime: Double
        var openFileDescriptors: Double?
        var maxFileDescriptors: Double?
    }

    func update(_ metrics: FleetMetrics) {
        guard let reading = Self.read() else { return }
        cpuSecondsRecorded.withLockedValue { recorded in
            if reading.cpuSeconds > recorded {
                metrics.increment(.processCPUSeconds, bySeconds: reading.cpuSeconds - recorded)
                recorded = reading.cpuSeconds
            }
        }
        metrics.set(.processResidentMemory, to: reading.residentBytes)
        metrics.set(.processVirtualMemory, to: reading.virtualBytes)
        metrics.set(.processStartTime, to: reading.startTime)
        if let open = reading.openFileDescriptors { metrics.set(.processOpenFileDescriptors, to: open) }
        if let max = reading.maxFileDescriptors { metrics.set(.processMaxFileDescriptors, to: max) }
    }

    /// Reads `/proc/self/stat` (CPU ticks, start time in ticks since boot, memory), `/proc/stat` (boot time),
    /// `/proc/self/fd` and the descriptor limit, as the Go client does.
    static func read() -> Reading? {
        #if os(Linux)
            return readLinux()
        #else
            return nil
        #endif
    }

    #if os(Linux)
        private static func readLinux() -> Reading? {
            guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
                let fields = statFields(stat),
                let bootTime = bootTime()
            else { return nil }
            let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
            let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
            // Field numbers as in proc(5), counted from 1: utime 14, stime 15, starttime 22, vsize 23, rss 24.
            func field(_ number: Int) -> Double? { Double(fields[number - 1]) }
            guard ticks > 0, let user = field(14), let system = field(15), let start = field(22),
                let virtual = field(23), let resident = field(24)
            else { return nil }
            var limit = rlimit()
            let maxFileDescriptors =
                getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 ? Double(limit.rlim_cur) : nil
            let openFileDescriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))
                .map { Double($0.count) }
            return Reading(
                cpuSeconds: (user + system) / ticks, residentBytes: resident * pageSize, virtualBytes: virtual,
                startTime: bootTime + start / ticks, openFileDescriptors: openFileDescriptors,
                maxFileDescriptors: maxFileDescriptors)
        }
    #endif

    /// The fields of `/proc/self/stat`, numbered from 1 as in proc(5). The second is the command name in
    /// parentheses, which may itself hold spaces and parentheses, so the split starts after its last `)`.
    static func statFields(_ stat: String) -> [Substring]? {
        guard let nameEnd = stat.lastIndex(of: ")"), let nameStart = stat.firstIndex(of: "(") else { return nil }
        let pid = stat[..<nameStart].trimmingCharacters(in: .whitespaces)
        let rest = stat[stat.index(after: nameEnd)...].split(separator: " ", omittingEmptySubsequences: true)
        let fields = [Substring(pid), stat[nameStart...nameEnd]] + rest
        return fields.count >= 24 ? fields : nil
    }

    /// The boot time in unix seconds, the `btime` line of `/proc/stat`.
    private static func bootTime() -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        let line = stat.split(separator: "\n").first { $0.hasPrefix("btime ") }
        return line.flatMap { Double($0.dropFirst("btime ".count).trimmingCharacters(in: .whitespaces)) }
    }
}
