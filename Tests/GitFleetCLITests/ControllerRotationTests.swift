import Testing

@testable import GitFleetCLI

/// Which controller replica an agent asks next, and how long it waits first.
@Suite("An agent moves to the next controller on an error, backing off once a whole round failed", .tags(.fast))
struct ControllerRotationTests {
    @Test("The first round tries each replica after the base delay; each further round doubles it, up to the bound")
    func backOff() {
        var rotation = ControllerRotation(
            controllers: ["http://a", "http://b", "http://c"], backOff: .milliseconds(500), maximum: .seconds(3))
        #expect(rotation.current == "http://a")
        var steps: [(String, Duration)] = []
        for _ in 0..<10 {
            let delay = rotation.failed()
            steps.append((rotation.current, delay))
        }
        #expect(steps.map(\.0) == ["b", "c", "a", "b", "c", "a", "b", "c", "a", "b"].map { "http://\($0)" })
        #expect(
            steps.map(\.1) == [
                .milliseconds(500), .milliseconds(500), .milliseconds(500), .seconds(1), .seconds(1), .seconds(1),
                .seconds(2), .seconds(2), .seconds(2), .seconds(3),
            ])
    }

    @Test("An answer ends the run of failures: it is said once, and the back-off starts over")
    func answerResets() {
        var rotation = ControllerRotation(
            controllers: ["http://a", "http://b"], backOff: .seconds(1), maximum: .seconds(10))
        let news = rotation.succeeded()
        #expect(!news, "an answer without failures before is not news")
        for _ in 0..<5 { _ = rotation.failed() }
        #expect(rotation.current == "http://b")
        let ended = rotation.succeeded()
        let again = rotation.succeeded()
        #expect(ended && !again)
        let delay = rotation.failed()
        #expect(delay == .seconds(1))
        #expect(rotation.current == "http://a", "it keeps following where it got to")
    }

    @Test("One controller: it is asked again after each failure, with the back-off")
    func single() {
        var rotation = ControllerRotation(controllers: ["http://a"], backOff: .milliseconds(100), maximum: .seconds(1))
        let delays = (0..<6).map { _ in rotation.failed() }
        #expect(rotation.current == "http://a")
        #expect(
            delays == [
                .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1),
                .seconds(1),
            ])
    }
}
