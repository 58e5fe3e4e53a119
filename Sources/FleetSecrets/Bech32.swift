/// Bech32 (BIP 173, not Bech32m), as age writes its keys: without BIP 173's 90-character limit, and all in one
/// case (`age1…` recipients in lower case, `AGE-SECRET-KEY-1…` identities in upper case).
///
/// Written here rather than taken from a package: it is 60 lines, and none of the packages on this machine has it.
enum Bech32 {
    private static let alphabet = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    private static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = Int8(index) }
        return table
    }()

    /// `hrp` + `1` + data + checksum, in lower case.
    static func encode(hrp: String, data: [UInt8]) -> String {
        let hrpBytes = Array(hrp.lowercased().utf8)
        let groups = regroup(data, from: 8, to: 5, pad: true) ?? []
        let checksum = checksum(hrp: hrpBytes, data: groups)
        let characters = hrpBytes + [UInt8(ascii: "1")] + (groups + checksum).map { alphabet[Int($0)] }
        return String(decoding: characters, as: UTF8.self)
    }

    /// The human-readable part (in lower case) and the data, or nil when `text` is not valid Bech32.
    static func decode(_ text: String) -> (hrp: String, data: [UInt8])? {
        let bytes = Array(text.utf8)
        let hasLower = bytes.contains { (97...122).contains($0) }
        let hasUpper = bytes.contains { (65...90).contains($0) }
        guard !(hasLower && hasUpper), bytes.allSatisfy({ (33...126).contains($0) }),
            let separator = bytes.lastIndex(of: UInt8(ascii: "1")), separator >= 1, bytes.count - separator > 6
        else { return nil }
        let lower = bytes.map { (65...90).contains($0) ? $0 + 32 : $0 }
        let hrp = Array(lower[..<separator])
        var groups: [UInt8] = []
        for byte in lower[(separator + 1)...] {
            guard byte < 128, values[Int(byte)] >= 0 else { return nil }
            groups.append(UInt8(values[Int(byte)]))
        }
        guard polymod(expand(hrp) + groups) == 1 else { return nil }
        guard let data = regroup(Array(groups.dropLast(6)), from: 5, to: 8, pad: false) else { return nil }
        return (String(decoding: hrp, as: UTF8.self), data)
    }

    private static func polymod(_ values: [UInt8]) -> UInt32 {
        let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]
        var check: UInt32 = 1
        for value in values {
            let top = check >> 25
            check = (check & 0x1ff_ffff) << 5 ^ UInt32(value)
            for bit in 0..<5 where (top >> bit) & 1 == 1 { check ^= generator[bit] }
        }
        return check
    }

    private static func expand(_ hrp: [UInt8]) -> [UInt8] {
        hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 }
    }

    private static func checksum(hrp: [UInt8], data: [UInt8]) -> [UInt8] {
        let value = polymod(expand(hrp) + data + [0, 0, 0, 0, 0, 0]) ^ 1
        return (0..<6).map { UInt8((value >> (5 * (5 - $0))) & 31) }
    }

    /// Regroups bits; without `pad`, leftover bits must be fewer than `from` and all zero (BIP 173).
    private static func regroup(_ data: [UInt8], from: Int, to: Int, pad: Bool) -> [UInt8]? {
        var accumulator = 0
        var bits = 0
        var result: [UInt8] = []
        let mask = (1 << to) - 1
        for value in data {
            accumulator = (accumulator << from) | Int(value)
            bits += from
            while bits >= to {
                bits -= to
                result.append(UInt8((accumulator >> bits) & mask))
            }
        }
        if pad {
            if bits > 0 { result.append(UInt8((accumulator << (to - bits)) & mask)) }
        } else if bits >= from || (accumulator << (to - bits)) & mask != 0 {
            return nil
        }
        return result
    }
}
