import Foundation

/// How the registry keeps dates: whole milliseconds since 1970-01-01T00:00:00Z, as a 64-bit integer.
///
/// Every implementation stores this integer (SQLite columns, etcd JSON values) and converts with these
/// functions, so a date read back from any registry is bit-for-bit the same `Date`.
public enum RegistryTimestamp {
    /// `date` in whole milliseconds, rounded to the nearest.
    public static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// The date `milliseconds` after the epoch.
    public static func date(milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    /// `date` as the registry will return it.
    public static func normalized(_ date: Date) -> Date {
        self.date(milliseconds: milliseconds(date))
    }
}
