import FleetController
import FuzzSupport

/// A user's discovery template (setting discoveryOutputs): parsed by `UserTemplate(text:)` as the controller
/// does when it reads the file, and rendered with a small serving set.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: FuzzInput.bytes(data, size), as: UTF8.self)
    guard let template = try? UserTemplate(text: text, path: "discovery.tmpl") else { return 0 }
    _ = template.render(servingSet, port: "http")
    return 0
}

private let servingSet = ServingSet(services: [
    "web": [
        ServingSet.Endpoint(
            instance: "web-1", address: "10.0.0.1", ports: ["http": 8080], specHash: "abc", image: "web:1", weight: 1),
        ServingSet.Endpoint(
            instance: "web-2", address: "10.0.0.2", ports: ["http": 8081], specHash: "abc", image: "web:1", weight: 2),
    ],
    "api": [
        ServingSet.Endpoint(
            instance: "api-1", address: "::1", ports: ["grpc": 9000], specHash: "def", image: "api:2", weight: 1)
    ],
])
