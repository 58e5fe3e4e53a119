import Foundation

/// The size cap on an instance's captured output.
///
/// The child writes straight to `stdout.log` / `stderr.log`, opened `O_APPEND`; nothing of the controller sits
/// in between, so output is never lost or blocked when the controller dies (a pipe would fill up and stall
/// the instance). The cap is enforced whenever the runtime looks at an instance (inventory, logs): when a log
/// is over its limit, its newest half is kept as `<name>.1` and the live file is truncated — the child's next
/// `O_APPEND` write lands at the new end. Between two looks a log can grow past the limit, and a line written
/// during the copy-and-truncate can be lost; the controller looks every reconcile, which bounds both.
enum LogFile {
    static func enforce(limit: Int, path: String) {
        guard limit > 0,
            let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int,
            size > limit,
            let handle = FileHandle(forUpdatingAtPath: path)
        else { return }
        defer { try? handle.close() }
        let keep = max(limit / 2, 1)
        try? handle.seek(toOffset: UInt64(size - keep))
        var tail = (try? handle.readToEnd()) ?? Data()
        // Start the kept part on a line boundary, so no half line leads it.
        if let newline = tail.firstIndex(of: UInt8(ascii: "\n")), newline < tail.endIndex - 1 {
            tail = tail[(newline + 1)...]
        }
        try? tail.write(to: URL(fileURLWithPath: path + ".1"), options: .atomic)
        try? handle.truncate(atOffset: 0)
    }

    /// The last `lines` lines of `<path>.1` followed by `<path>`.
    static func tail(path: String, lines: Int) -> String {
        guard lines > 0 else { return "" }
        let older = (try? Data(contentsOf: URL(fileURLWithPath: path + ".1"))) ?? Data()
        let newer = (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()
        let text = String(decoding: older + newer, as: UTF8.self)
        var all = text.split(separator: "\n", omittingEmptySubsequences: false)
        if all.last == "" { all.removeLast() }
        let kept = all.suffix(lines)
        return kept.isEmpty ? "" : kept.joined(separator: "\n") + "\n"
    }
}
