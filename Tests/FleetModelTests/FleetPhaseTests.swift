import FleetModel
import Testing

@Suite("FleetPhase: the fleet's phase from its parts")
struct FleetPhaseTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var services: [ServicePhase]
        var deploying = false
        var rejected = false
        var standby = false
        var expected: FleetPhase
        var testDescription: String { "\(services.map(\.rawValue)) → \(expected.rawValue)" }
    }

    static let cases: [Case] = [
        Case(services: [], expected: .converged),
        Case(services: [.converged, .converged], expected: .converged),
        Case(services: [.converged, .removed], expected: .converged),
        Case(services: [.converged], deploying: true, expected: .inProgress),
        Case(services: [.converged, .inProgress], expected: .inProgress),
        Case(services: [.waiting, .converged], expected: .inProgress),
        Case(services: [.rollingBack, .failed], expected: .inProgress),
        Case(services: [.removing], expected: .inProgress),
        Case(services: [.unknown], expected: .inProgress),
        Case(services: [.rolledBack, .converged], expected: .rolledBack),
        Case(services: [.rolledBack, .failed], expected: .failed),
        // A rejected newest commit is the news, even while the commit before it still settles.
        Case(services: [.converged], rejected: true, expected: .rejected),
        Case(services: [.inProgress], deploying: true, rejected: true, expected: .rejected),
        Case(services: [.failed], rejected: true, standby: true, expected: .standby),
    ]

    @Test(arguments: cases)
    func phase(_ example: Case) {
        #expect(
            FleetPhase.of(
                services: example.services, deploying: example.deploying, rejected: example.rejected,
                standby: example.standby) == example.expected)
    }

    @Test("a service's settled phases are exactly those a note records as final")
    func settledMatchesNotes() {
        for phase in ServicePhase.allCases {
            #expect(phase.isSettled == (phase.deploymentResult != .inProgress), "\(phase)")
        }
    }

    @Test("one spelling: kebab-case raw values, each once across a type")
    func spelling() {
        let all =
            FleetPhase.allCases.map(\.rawValue) + ServicePhase.allCases.map(\.rawValue)
            + DeploymentResult.allCases.map(\.rawValue)
        for value in all {
            #expect(value.allSatisfy { $0.isLowercase || $0 == "-" }, "\(value)")
        }
    }
}
