import Crypto
import FleetModel
import Testing

@Suite("Hex")
struct HexTests {
    @Test(
        "two lower-case digits per byte, leading zeros kept",
        arguments: [
            ([], ""), ([0x00], "00"), ([0x0f, 0x10], "0f10"), ([0xab, 0xcd, 0xef, 0xff], "abcdefff"),
        ] as [([UInt8], String)])
    func bytes(bytes: [UInt8], expected: String) {
        #expect(Hex.lowercase(bytes) == expected)
    }

    @Test("a digest reads as its well-known digits")
    func digest() {
        #expect(
            Hex.lowercase(SHA256.hash(data: Array("abc".utf8)))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
