import Foundation

/// The system clock of one process, stepped while it runs, the machine's clock untouched: libfaketime
/// (Debian's `faketime` package) preloaded into the process reads an offset from a file on every call.
///
/// Only the wall clock (`CLOCK_REALTIME`, which `Date()` reads) is stepped: `FAKETIME_DONT_FAKE_MONOTONIC`
/// leaves `CLOCK_MONOTONIC` and `CLOCK_BOOTTIME` (`ContinuousClock`) alone, as an NTP step or an operator's
/// `date -s` does on a real machine; the monotonic clock never jumps. Pass ``environment`` to the process.
///
/// When libfaketime is missing `init` throws saying how to install it, so a test fails rather than skips.
public final class SteppedWallClock: @unchecked Sendable {
    public static let library = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"

    private let directory: TemporaryDirectory
    private let lock = NSLock()
    private var offsetSeconds = 0

    public init() throws {
        guard FileManager.default.fileExists(atPath: Self.library) else {
            throw FixtureError(
                "\(Self.library) is missing; install Debian's faketime (apt-get install faketime)")
        }
        directory = try TemporaryDirectory(prefix: "gitfleet-faketime")
        try write(offset: 0)
    }

    /// The variables that make a process read its wall clock through this offset.
    public var environment: [String: String] {
        [
            "LD_PRELOAD": Self.library, "FAKETIME_TIMESTAMP_FILE": directory.appending("offset"),
            "FAKETIME_NO_CACHE": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        ]
    }

    /// How far the process's wall clock is from the machine's, in seconds.
    public var offset: Int { lock.withLock { offsetSeconds } }

    /// Steps the process's wall clock by `seconds` (negative: backwards), at once.
    public func step(by seconds: Int) throws {
        let total = lock.withLock {
            offsetSeconds += seconds
            return offsetSeconds
        }
        try write(offset: total)
    }

    private func write(offset: Int) throws {
        // Written whole and renamed into place, so the process never reads half a line.
        try Data("\(offset >= 0 ? "+" : "")\(offset)\n".utf8).write(
            to: URL(fileURLWithPath: directory.appending("offset")), options: .atomic)
    }
}
