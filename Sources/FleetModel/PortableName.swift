/// Names that become file, folder or container names (instance ids, secret names): letters, digits, `_`, `.`
/// and `-`, not starting with `.` (no hidden file, no `..`), within a length that fits where they go.
public enum PortableName {
    public static func isValid(_ name: String, maxLength: Int) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= maxLength, first != UInt8(ascii: ".") else {
            return false
        }
        return name.utf8.allSatisfy { byte in
            (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
        }
    }
}
