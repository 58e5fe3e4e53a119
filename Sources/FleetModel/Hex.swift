/// Lower-case hexadecimal, the one encoder of the codebase for digests, object ids and hashed names.
///
/// Hand-written: swift-crypto keeps its hex helpers internal and Foundation has none. Built in one byte
/// buffer, because it runs per spec hash and per tree entry, where a string per byte and a join would cost
/// more than the hash itself.
public enum Hex {
    /// Two lower-case hex digits per byte of `bytes`.
    public static func lowercase(_ bytes: some Sequence<UInt8>) -> String {
        let bytes = Array(bytes)
        return String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in
            var index = 0
            for byte in bytes {
                buffer[index] = digits[Int(byte >> 4)]
                buffer[index + 1] = digits[Int(byte & 0x0f)]
                index += 2
            }
            return index
        }
    }

    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)
}
