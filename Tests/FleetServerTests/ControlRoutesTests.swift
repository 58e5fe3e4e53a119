import FleetController
import FleetModel
import FleetRegistry
import FleetServer
import Foundation
import GitFleetTesting
import HTTPTypes
import HummingbirdTesting
import Testing

/// The operator-control routes against a recording endpoint: what each answers, and how the body's reason is read.
@Suite("HTTP operator controls: suspend, resume, rollback answers and reasons")
struct ControlRoutesTests {
    static let pin = RolloutPin(
        spec: ServiceSpec(name: "web", image: ImageReference(repository: "shop/web", tag: "1.4.2"), replicas: 2),
        revision: "c0ffee", from: SpecHash(rawValue: String(repeating: "b", count: 64)),
        attribution: Attribution(by: "anonymous", at: Date()))

    @Test("each action answers 200 with who, what, when and why; refusals 409 conflict, unknown 404, standby 503")
    func answers() async throws {
        try await RunningServer.with { server in
            await server.endpoint.setControls([
                "web": .pinned(Self.pin), "api": .refused("'api' is not suspended"), "db": .notLeader(leader: "b"),
            ])
            let body = Array(#"{"reason": "incident #42"}"#.utf8)
            let rolled = try await server.request(.post, "/api/v1/services/web/rollback", body: body)
            #expect(rolled.status == .ok)
            let object = try rolled.jsonObject()
            #expect(object["service"] as? String == "web" && object["action"] as? String == "rollback")
            #expect(object["by"] as? String == "anonymous" && object["reason"] as? String == "incident #42")
            #expect(object["specHash"] as? String == Self.pin.specHash.rawValue)
            #expect((object["message"] as? String)?.contains("until a commit changes it") == true)
            let at = try #require(object["at"] as? String)
            #expect(try Date(at, strategy: .iso8601) <= Date())

            let refused = try await server.request(.post, "/api/v1/services/api/resume")
            #expect(refused.status == .conflict)
            #expect(
                try refused.decode(ErrorDocument.self)
                    == ErrorDocument(error: "conflict", message: "'api' is not suspended"))
            let unknown = try await server.request(.post, "/api/v1/services/nope/suspend")
            #expect(unknown.status == .notFound)
            #expect(try unknown.decode(ErrorDocument.self).error == "service_not_found")
            let standby = try await server.request(.post, "/api/v1/services/db/suspend")
            #expect(standby.status == .serviceUnavailable)
            #expect(try standby.decode(NotLeaderDocument.self).leader == "b")

            // The whole fleet: no service in the path, `service` null in the answer.
            let fleet = try await server.request(.post, "/api/v1/suspend", body: body)
            #expect(fleet.status == .ok)
            let whole = try fleet.jsonObject()
            #expect(whole["service"] is NSNull && whole["action"] as? String == "suspend", "\(whole)")
            #expect((whole["message"] as? String)?.hasPrefix("the fleet is suspended") == true)
            let notSuspended = try await server.request(.post, "/api/v1/resume")
            #expect(notSuspended.status == .conflict)
            #expect(try await server.request(.post, "/api/v1/rollback").status != .ok, "a rollback needs a service")

            let asked = await server.endpoint.controls
            #expect(asked.map(\.action) == [.rollback, .resume, .suspend, .suspend, .suspend, .resume])
            #expect(asked.map(\.service) == ["web", "api", "nope", "db", "", ""])
            #expect(asked.map(\.attribution.reason) == ["incident #42", nil, nil, nil, "incident #42", nil])
        }
    }

    @Test(
        "a reason is optional, trimmed, at most 1000 characters; a body that is not {\"reason\": …} is a 400",
        arguments: [
            ("", 200, nil), ("{}", 200, nil), (#"{"reason": "  "}"#, 200, nil), (#"{"reason": " why "}"#, 200, "why"),
            (#"{"reason": null}"#, 200, nil),
            (#"{"reason": "\#(String(repeating: "x", count: 1_000))"}"#, 200, "x1000"),
            (#"{"reason": "\#(String(repeating: "x", count: 1_001))"}"#, 400, nil), (#"{"reason": 7}"#, 400, nil),
            ("not json", 400, nil),
        ] as [(String, Int, String?)])
    func reasons(body: String, status: Int, reason: String?) async throws {
        try await RunningServer.with { server in
            await server.endpoint.setControls(["web": .suspended(Attribution(by: "anonymous", at: Date()))])
            let answer = try await server.request(.post, "/api/v1/services/web/suspend", body: Array(body.utf8))
            #expect(answer.status.code == status)
            if status == 400 {
                #expect(try answer.decode(ErrorDocument.self).error == "bad_request")
                #expect(await server.endpoint.controls.isEmpty, "nothing is asked of the controller")
            } else {
                let asked = await server.endpoint.controls.first?.attribution.reason
                #expect(asked == (reason == "x1000" ? String(repeating: "x", count: 1_000) : reason))
            }
        }
    }
}
