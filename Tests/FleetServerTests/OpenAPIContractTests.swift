import FleetController
import FleetServer
import Foundation
import GitFleetTesting
import Testing

@testable import FleetModel

/// docs/openapi.yaml against the router: every route `ControllerHTTPServer` registers is described there, every
/// path and method described there is registered, and the error codes the server answers are the ones its
/// `Error` schema lists. `scripts/api-contract` checks the answers themselves against a real server.
@Suite(.tags(.fast)) struct OpenAPIContractTests {
    static let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    /// The document's operations as `METHOD /path`, and the `error` enum of its `Error` schema.
    static func contract() throws -> (operations: Set<String>, errorCodes: Set<String>) {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/openapi.yaml")
        let bytes = Array(try Data(contentsOf: file))
        let composed = YAMLComposer(limits: ManifestLimits(), isDefaultsFile: false).compose(bytes)
        #expect(composed.failure == nil, "docs/openapi.yaml is not YAML: \(String(describing: composed.failure))")
        let root = try #require(composed.documents.first?.root)
        var operations: Set<String> = []
        for (path, item) in Self.pairs(Self.value(root, "paths")) {
            for (method, _) in Self.pairs(item) where Self.methods.contains(method) {
                operations.insert("\(method.uppercased()) \(path)")
            }
        }
        let error = Self.value(Self.value(Self.value(Self.value(root, "components"), "schemas"), "Error"), "properties")
        var codes: Set<String> = []
        if case .sequence(let items, _)? = Self.value(Self.value(error, "error"), "enum") {
            for case .scalar(let code) in items { codes.insert(code.text) }
        }
        return (operations, codes)
    }

    static func pairs(_ node: YAMLNode?) -> [(String, YAMLNode)] {
        guard case .mapping(let pairs, _)? = node else { return [] }
        return pairs.compactMap { pair in
            guard case .scalar(let key) = pair.key else { return nil }
            return (key.text, pair.value)
        }
    }

    static func value(_ node: YAMLNode?, _ key: String) -> YAMLNode? {
        pairs(node).first { $0.0 == key }?.1
    }

    static func registered(webhookListener: Bool) throws -> Set<String> {
        let configuration = ServerConfiguration(
            port: 0, webhookAddress: webhookListener ? ListenAddress(host: "127.0.0.1", port: 0) : nil)
        let server = try ControllerHTTPServer(
            configuration: configuration, endpoint: RecordingEndpoint(), metrics: FleetMetrics())
        return Set(server.routeTable)
    }

    @Test("every registered route is in docs/openapi.yaml, and every path and method there is registered")
    func routesMatch() throws {
        let documented = try Self.contract().operations
        let registered = try Self.registered(webhookListener: false)
        #expect(registered.contains("GET /api/v1/status") && registered.contains("POST /webhooks/{provider}"))
        #expect(
            registered.subtracting(documented).isEmpty,
            "registered, not in docs/openapi.yaml: \(registered.subtracting(documented).sorted())")
        #expect(
            documented.subtracting(registered).isEmpty,
            "in docs/openapi.yaml, not registered: \(documented.subtracting(registered).sorted())")
    }

    @Test("with a webhook listener of its own the two listeners together serve the same routes")
    func webhookListenerRoutes() throws {
        #expect(try Self.registered(webhookListener: true) == Self.registered(webhookListener: false))
    }

    @Test("the Error schema lists exactly the error codes the server answers with")
    func errorCodes() throws {
        let listed = try Self.contract().errorCodes
        let used = try HTTPAPIDocsTests.errorCodesUsed()
        #expect(listed.contains("unauthorized"), "the Error schema's enum was not found")
        #expect(used.subtracting(listed).isEmpty, "not in the Error schema: \(used.subtracting(listed).sorted())")
        #expect(listed.subtracting(used).isEmpty, "listed, never sent: \(listed.subtracting(used).sorted())")
    }
}
