import FleetRuntime
import Testing

/// The hand-written encoding of grpc.health.v1's two messages, byte for byte against what protoc's output writes.
@Suite struct GRPCHealthMessageTests {
    @Test func encodesTheRequest() {
        #expect(GRPCHealthMessage.request(service: "") == [])
        #expect(GRPCHealthMessage.request(service: "web") == [0x0A, 3, 0x77, 0x65, 0x62])
        let long = String(repeating: "s", count: 200)
        #expect(Array(GRPCHealthMessage.request(service: long).prefix(3)) == [0x0A, 0xC8, 0x01])
    }

    @Test(arguments: [
        ([UInt8](), GRPCHealthMessage.ServingStatus.unknown),
        ([0x08, 1], .serving),
        ([0x08, 2], .notServing),
        ([0x08, 3], .serviceUnknown),
        ([0x08, 9], .other(9)),
        // Unknown fields of every wire type are skipped.
        ([0x12, 2, 0x61, 0x62, 0x08, 1, 0x18, 0x96, 0x01, 0x25, 1, 2, 3, 4], .serving),
    ])
    func decodesTheServingStatus(message: [UInt8], status: GRPCHealthMessage.ServingStatus) {
        #expect(GRPCHealthMessage.servingStatus(message) == status)
    }

    @Test func refusesMalformedAnswers() {
        #expect(GRPCHealthMessage.servingStatus([0x08]) == nil)
        #expect(GRPCHealthMessage.servingStatus([0x12, 5, 0x61]) == nil)
        #expect(GRPCHealthMessage.servingStatus([0x0F]) == nil)
    }
}
