import ArgumentParser
import Foundation

/// `gitfleet-bench all`: runs every benchmark with its defaults, each as its own process, and prints the table of
/// docs/performance.md — today's figures next to the targets — with the machine's load average before and after.
struct All: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run every benchmark with its defaults and print the table of figures against the targets.",
        discussion: """
            Each benchmark runs as its own process (`gitfleet-bench <subcommand>`), so its peak RSS is its own; its
            whole output goes to the log file, and the rows it prints are collected into the table. A benchmark that
            fails or prints no row shows as "not run" with the reason, and the command exits 1.
            """)

    @Option(
        name: .customLong("only"), parsing: .upToNextOption,
        help: "Run only these rows (ids: \(Self.plan.flatMap(\.rows).joined(separator: ", "))).")
    var only: [String] = []

    @Option(help: "Where the benchmarks' own output goes (default: a new file in the temp folder).")
    var log: String?

    /// Which subcommand prints which rows, in the order of the table.
    static let plan: [(subcommand: String, rows: [String])] = [
        ("steady-state", ["steady-state"]),
        ("rollout", ["rollout"]),
        ("webhook", ["webhook"]),
        ("polling", ["polling"]),
        ("services", ["services-1000"]),
        ("load", ["cold-load"]),
        ("validate", ["validate-plan"]),
        ("plan", ["plan-json"]),
        ("registry", ["etcd"]),
        ("serve-start", ["serve-start"]),
    ]

    func validate() throws {
        let known = Set(Self.plan.flatMap(\.rows))
        if let unknown = only.first(where: { !known.contains($0) }) {
            throw ValidationError(
                "--only: unknown row '\(unknown)' (expected one of \(known.sorted().joined(separator: ", ")))")
        }
    }

    func run() async throws {
        let logPath =
            log ?? FileManager.default.temporaryDirectory.appendingPathComponent("gitfleet-bench-\(UUID()).log").path
        guard FileManager.default.createFile(atPath: logPath, contents: nil),
            let logFile = FileHandle(forWritingAtPath: logPath)
        else { throw ValidationError("--log: cannot create \(logPath)") }
        defer { try? logFile.close() }

        let machine = MachineFacts.current()
        let loadBefore = loadAverage()
        print("gitfleet-bench all — \(machine); load average \(loadBefore) at the start")
        print("each benchmark's own output: \(logPath)")
        let started = ContinuousClock.now
        var rows: [BenchRow] = []
        for (subcommand, ids) in Self.plan {
            let wanted = ids.filter { only.isEmpty || only.contains($0) }
            if wanted.isEmpty { continue }
            let stepStart = ContinuousClock.now
            print("… \(subcommand) (load average \(loadAverage()))", terminator: "")
            fflush(nil)
            let outcome = try await Self.runChild(subcommand, log: logFile)
            for id in wanted {
                if let row = outcome.rows.first(where: { $0.id == id }) {
                    rows.append(row)
                } else {
                    rows.append(
                        BenchRow(
                            id: id, benchmark: id, measured: "not run: \(outcome.failure ?? "it printed no row")",
                            target: "—", met: false))
                }
            }
            print(String(format: " %.0f s", (ContinuousClock.now - stepStart).seconds))
        }
        let loadAfter = loadAverage()
        print()
        print(Self.table(rows))
        print()
        let met = rows.filter(\.met).count
        print(
            "\(met) of \(rows.count) targets met; load average \(loadBefore) at the start, \(loadAfter) at the end;"
                + String(format: " %.0f s in all.", (ContinuousClock.now - started).seconds))
        if rows.contains(where: { $0.measured.hasPrefix("not run") }) { throw ExitCode(1) }
    }

    /// The rows as a Markdown table, as docs/performance.md shows them.
    static func table(_ rows: [BenchRow]) -> String {
        func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }
        var lines = [
            "| benchmark | measured (medians; reference in the same run) | target | met? |", "|---|---|---|---|",
        ]
        for row in rows {
            lines.append(
                "| \(cell(row.benchmark)) | \(cell(row.measured)) | \(cell(row.target)) | \(row.met ? "yes" : "**no**") |"
            )
        }
        return lines.joined(separator: "\n")
    }

    /// Runs `gitfleet-bench <subcommand>` with its defaults, its output appended to `log`, and collects its rows.
    static func runChild(_ subcommand: String, log: FileHandle) async throws -> (rows: [BenchRow], failure: String?) {
        let process = Process()
        process.executableURL = URL(
            fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        process.arguments = [subcommand]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        log.write(
            Data("\n===== gitfleet-bench \(subcommand) — \(Date()) — load average \(loadAverage())\n".utf8)
        )
        try process.run()
        var output = Data()
        // Read on a Dispatch thread: the child may print for minutes, and the concurrency pool must not block on it.
        output = await withCheckedContinuation { (continuation: CheckedContinuation<Data, Never>) in
            DispatchQueue.global().async {
                var collected = Data()
                while true {
                    let chunk = pipe.fileHandleForReading.availableData
                    if chunk.isEmpty { break }
                    log.write(chunk)
                    collected.append(chunk)
                }
                continuation.resume(returning: collected)
            }
        }
        process.waitUntilExit()
        let text = String(decoding: output, as: UTF8.self)
        let rows = text.split(separator: "\n").compactMap(BenchRow.parse)
        guard process.terminationStatus == 0 else {
            let lastLine = text.split(separator: "\n").last(where: { BenchRow.parse($0) == nil }).map(String.init) ?? ""
            return (rows, "exit status \(process.terminationStatus)" + (lastLine.isEmpty ? "" : ": \(lastLine)"))
        }
        return (rows, nil)
    }
}

/// What a reader of the figures needs to know about the machine they were taken on.
enum MachineFacts {
    static func current() -> String {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let memory = Double(ProcessInfo.processInfo.physicalMemory) / Double(1 << 30)
        return String(format: "%d cores, %.0f GB RAM", cores, memory)
    }
}
