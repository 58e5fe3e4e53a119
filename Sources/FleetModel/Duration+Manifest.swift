/// Durations as they are written in manifests and shown to people: `500ms`, `30s`, `10m`, `24h`,
/// and compounds such as `1h30m`.
extension Duration {
    /// Parses a manifest duration. Returns nil when the text is not one.
    ///
    /// Accepted units are `ms`, `s`, `m`, `h` and `d`; a bare `0` means zero. Negative values and
    /// fractions are not durations in a manifest: they are rejected rather than rounded.
    public static func manifest(_ text: String) -> Duration? {
        if text == "0" { return .zero }
        var total: Int64 = 0  // milliseconds
        var number: Int64? = nil
        var rest = Substring(text)
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix(while: { $0.isASCII && $0.isNumber })
            guard !digits.isEmpty, digits.count <= 12, let value = Int64(digits) else { return nil }
            number = value
            rest = rest.dropFirst(digits.count)
            let unit = rest.prefix(while: { $0.isASCII && $0.isLetter })
            rest = rest.dropFirst(unit.count)
            let scale: Int64
            switch unit {
            case "ms": scale = 1
            case "s": scale = 1_000
            case "m": scale = 60_000
            case "h": scale = 3_600_000
            case "d": scale = 86_400_000
            default: return nil
            }
            let (product, overflow) = value.multipliedReportingOverflow(by: scale)
            guard !overflow else { return nil }
            let (sum, overflowSum) = total.addingReportingOverflow(product)
            guard !overflowSum else { return nil }
            total = sum
        }
        guard number != nil else { return nil }
        return .milliseconds(total)
    }

    /// Whole milliseconds, rounded toward zero.
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }

    /// The shortest manifest spelling of this duration, such as `1h30m` or `250ms`.
    public var manifestDescription: String {
        var remaining = milliseconds
        if remaining == 0 { return "0s" }
        var text = remaining < 0 ? "-" : ""
        remaining = Swift.abs(remaining)
        for (unit, scale) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)] {
            let count = remaining / scale
            if count > 0 {
                text += "\(count)\(unit)"
                remaining -= count * scale
            }
        }
        return text
    }
}
