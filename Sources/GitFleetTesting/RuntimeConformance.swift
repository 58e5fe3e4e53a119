import FleetModel
import FleetRuntime
import Foundation
import Testing

/// How ``RuntimeConformance`` gets at one implementation of ``Runtime``.
public struct RuntimeConformanceFixture: Sendable {
    /// A new runtime object over the same state (same directory, same engine) on every call: a second call
    /// stands for the controller after a restart.
    public var makeRuntime: @Sendable () throws -> any Runtime
    /// A runtime over the same state (same directory, same engine) acting for another fleet: `scope`.
    public var makeRuntimeInScope: @Sendable (_ scope: String) throws -> any Runtime
    /// Installs (or replaces) the demo image under `tag`; extra `files` change its content and so its digest.
    public var installDemoImage: @Sendable (_ tag: String, _ files: [String: String]) async throws -> ImageReference
    /// Removes everything the fixture made, after every instance is stopped and destroyed.
    public var tearDown: @Sendable () throws -> Void

    public init(
        makeRuntime: @escaping @Sendable () throws -> any Runtime,
        makeRuntimeInScope: @escaping @Sendable (_ scope: String) throws -> any Runtime,
        installDemoImage: @escaping @Sendable (_ tag: String, _ files: [String: String]) async throws -> ImageReference,
        tearDown: @escaping @Sendable () throws -> Void
    ) {
        self.makeRuntime = makeRuntime
        self.makeRuntimeInScope = makeRuntimeInScope
        self.installDemoImage = installDemoImage
        self.tearDown = tearDown
    }
}

/// The behaviour every ``Runtime`` must show, as one suite that each implementation runs:
///
/// ```swift
/// @Test(arguments: RuntimeConformance.Check.allCases)
/// func conformance(_ check: RuntimeConformance.Check) async throws {
///     try await RuntimeConformance(makeFixture: RuntimeFixtures.processRuntimeFixture).run(check)
/// }
/// ```
///
/// Each check gets a fresh fixture, runs the demo image, and stops and destroys every instance in the
/// runtime's inventory before it returns, whether it passed or not.
public struct RuntimeConformance: Sendable {
    public enum Check: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case resolvePinsDigest
        case digestMismatchIsAnError
        case missingImageIsAnError
        case startedInstanceIsInInventoryAndServes
        case startIsIdempotent
        case stopIsGracefulAndIdempotent
        case stopKillsAfterGracePeriod
        case destroyRemovesFromInventory
        case logsAreCapturedAndCapped
        case restartedRuntimeAdoptsInstances
        case scopeSeparatesFleets
        case exitsAreReported

        public var testDescription: String { rawValue }
    }

    public let makeFixture: @Sendable () async throws -> RuntimeConformanceFixture
    /// Generous, because a loaded 2-core machine is slow to start processes; only ever an upper bound.
    public var deadline: Duration = .seconds(30)

    public init(makeFixture: @escaping @Sendable () async throws -> RuntimeConformanceFixture) {
        self.makeFixture = makeFixture
    }

    public func run(_ check: Check) async throws {
        let fixture = try await makeFixture()
        var failure: (any Error)? = nil
        do {
            try await run(check, fixture)
        } catch {
            failure = error
        }
        await Self.cleanUp(fixture)
        if let failure { throw failure }
    }

    /// Stops and destroys everything the runtime holds (in its scope and in the other scope the scope checks
    /// use); leaked processes on a shared machine are a bug.
    public static func cleanUp(_ fixture: RuntimeConformanceFixture) async {
        if let other = try? fixture.makeRuntimeInScope("conformance-other") { await destroyAll(other) }
        if let runtime = try? fixture.makeRuntime() {
            await destroyAll(runtime)
            let left = (try? await runtime.inventory()) ?? []
            #expect(left.isEmpty, "instances left after clean-up: \(left.map(\.instanceID))")
        }
        try? fixture.tearDown()
    }

    // MARK: - Checks

    func run(_ check: Check, _ fixture: RuntimeConformanceFixture) async throws {
        let runtime = try fixture.makeRuntime()
        switch check {
        case .resolvePinsDigest:
            let image = try await fixture.installDemoImage("1.0", [:])
            let pinned = try await runtime.resolve(image)
            let digest = try #require(pinned.digest)
            #expect(digest.hasPrefix("sha256:") && digest.count == 71, "digest \(digest)")
            #expect(pinned.repository == image.repository && pinned.tag == "1.0")
            #expect(try await runtime.resolve(image).digest == digest, "resolving twice gives the same digest")
            #expect(try await runtime.resolve(pinned) == pinned, "a pinned reference that matches resolves to itself")
            _ = try await fixture.installDemoImage("1.0", ["marker.txt": "changed"])
            let changed = try #require(try await runtime.resolve(image).digest)
            #expect(changed != digest, "a changed image must get a new digest")

        case .digestMismatchIsAnError:
            let pinned = try await runtime.resolve(try await fixture.installDemoImage("1.0", [:]))
            _ = try await fixture.installDemoImage("1.0", ["marker.txt": "moved"])
            let resolveError = await #expect(throws: RuntimeError.self) { try await runtime.resolve(pinned) }
            #expect(resolveError?.code == .imageChanged, "\(String(describing: resolveError))")
            let startError = await #expect(throws: RuntimeError.self) {
                try await runtime.start(launch("mismatch", image: pinned))
            }
            #expect(startError?.code == .imageChanged, "an instance must never run content other than its digest")
            #expect(try await runtime.inventory().filter(\.status.isRunning).isEmpty)

        case .missingImageIsAnError:
            let missing = ImageReference(repository: "demo/absent", tag: "9.9")
            let error = await #expect(throws: RuntimeError.self) { try await runtime.resolve(missing) }
            #expect(error?.code == .imageNotFound)
            #expect(
                error?.message.contains("demo/absent") == true,
                "the message names the image: \(String(describing: error))")
            let pinnedMissing = missing.pinned(to: "sha256:" + String(repeating: "0", count: 64))
            let startError = await #expect(throws: RuntimeError.self) {
                try await runtime.start(launch("web-missing", image: pinnedMissing))
            }
            #expect(startError?.code == .imageNotFound, "\(String(describing: startError))")
            #expect(try await runtime.inventory().isEmpty, "a failed start leaves nothing behind")
            let pinned = try await runtime.resolve(try await fixture.installDemoImage("1.0", [:]))
            var unrunnable = launch("web-unrunnable", image: pinned)
            unrunnable.command = ["/nonexistent/program"]
            let spawnError = await #expect(throws: RuntimeError.self) { try await runtime.start(unrunnable) }
            #expect(spawnError?.code == .startFailed, "\(String(describing: spawnError))")
            #expect(
                try await runtime.inventory().filter(\.status.isRunning).isEmpty,
                "a start that failed leaves nothing running"
            )

        case .startedInstanceIsInInventoryAndServes:
            let pinned = try await runtime.resolve(try await fixture.installDemoImage("2.1", [:]))
            let started = try await runtime.start(launch("web-a", image: pinned, env: ["EXTRA": "1"]))
            let port = try #require(started.ports["http"])
            #expect(port > 0, "port 0 is allocated")
            #expect(!started.handle.isEmpty)
            let listed = try #require(try await runtime.inventory().first { $0.instanceID == "web-a" })
            #expect(listed.status == .running)
            #expect(listed.ports == started.ports && listed.service == "web" && listed.specHash == Self.specHash)
            #expect(listed.image.digest == pinned.digest)
            let response = try await waitForHTTP(listed, path: "/")
            #expect(response.status == 200)
            #expect(response.body.contains("\"instance\": \"web-a\""), "\(response.body)")
            #expect(response.body.contains("\"version\": \"2.1\""), "\(response.body)")
            #expect(response.body.contains("\"specHash\": \"\(Self.specHash.rawValue)\""), "\(response.body)")
            #expect(response.body.contains("\"service\": \"web\""), "\(response.body)")

        case .startIsIdempotent:
            let pinned = try await runtime.resolve(try await fixture.installDemoImage("1.0", [:]))
            let first = try await runtime.start(launch("web-once", image: pinned))
            let second = try await runtime.start(launch("web-once", image: pinned))
            #expect(second.handle == first.handle && second.ports == first.ports)
            #expect(try await runtime.inventory().filter { $0.instanceID == "web-once" }.count == 1)
            var otherSpec = launch("web-once", image: pinned)
            otherSpec.specHash = SpecHash(rawValue: String(repeating: "0", count: 64))
            let reused = await #expect(throws: RuntimeError.self, "an id is never reused for another spec") {
                try await runtime.start(otherSpec)
            }
            #expect(reused?.code == .invalidLaunch)

        case .stopIsGracefulAndIdempotent:
            let pinned = try await runtime.resolve(try await fixture.installDemoImage("1.0", [:]))
            let started = try await runtime.start(launch("web-stop", image: pinned))
            // Only once it serves has it installed its SIGTERM handler.
            _ = try await waitForHTTP(started, path: "/healthz")
            let status = try await runtime.stop(instanceID: "web-stop", gracePeriod: deadline)
            #expect(status == .exited(code: 0), "SIGTERM is handled gracefully: \(String(describing: status))")
            let again = try await runtime.stop(instanceID: "web-stop", gracePeriod: deadline)
            #expect(again == nil || again == status, "stopping again succeeds and changes nothing")
            let listed = try #require(try await runtime.inventory().first { $0.instanceID == "web-stop" })
            #expect(!listed.status.isRunning)
            #expect(try await runtime.stop(instanceID: "never-existed", gracePeriod: .seconds(1)) == nil)

        case .stopKillsAfterGracePeriod:
            let pinned = try await runtime.resolve(try await fixture.installDemoImage("1.0", [:]))
            let started = try await runtime.start(
                launch("web-stubborn", image: pinned, env: ["DEMO_IGNORE_SIGTERM": "1"]))
            _ = try await waitForHTTP(started, path: "/healthz")
            let clock = ContinuousClock()
            let begun = clock.now
            let status = try await runtime.stop(instanceID: "web-stubborn", gracePeriod: .seconds(1))
            #expect(clock.now - begun >= .seconds(1), "the grace period is waited for")
            #expect(status == .signaled(signal: 9), "\(String(describing: status))")

        case .destroyRemovesFromInventory:
            let pinned = try await runtime.resolve(try await fixture.installDemoImage("1.0", [:]))
            _ = try await runtime.start(launch("web-gone", image: pinned))
            let running = try await runtime.start(launch("web-running", image: pinned))
            _ = try await runtime.stop(instanceID: "web-gone", gracePeriod: deadline)
            try await runtime.destroy(instanceID: "web-gone", keepLogs: false)
            try await runtime.destroy(instanceID: "web-running", keepLogs: true)
            let left = try await runtime.inventory().map(\.instanceID)
            #expect(!left.contains("web-gone") && !left.contains("web-running"), "\(left)")
            try await runtime.destroy(instanceID: "web-gone", keepLogs: false)
            let port = try #require(running.ports["http"])
            // The freed port may already serve another test's instance; what must be gone is this one.
            let answer = try? await LoopbackHTTP.get(port: port, path: "/", timeout: .seconds(2))
            #expect(
                answer?.body.contains("\"instance\": \"web-running\"") != true,
                "a destroyed running instance no longer serves"
            )

        case .logsAreCapturedAndCapped:
            let pinned = try await runtime.resolve(try await fixture.installDemoImage("1.0", [:]))
            var request = launch("web-logs", image: pinned, env: ["DEMO_LOG_LINES": "3000"])
            request.logLimit = 8192
            let started = try await runtime.start(request)
            _ = try await waitForHTTP(started, path: "/healthz")
            // A container engine collects output asynchronously (Podman's conmon writes it to a file), so
            // what an instance printed shows up in its logs soon after, not at once.
            var all = ""
            let collected = ContinuousClock.now.advanced(by: .seconds(15))
            repeat {
                // Podman may fail a read that meets a line conmon is still writing ("unable to convert time
                // log"); while the output is still arriving such a read is retried, as a user would.
                all = (try? await runtime.logs(instanceID: "web-logs", tail: 100_000)) ?? all
                if all.contains("log line 3000 of 3000") && all.contains("listening on 127.0.0.1") { break }
                try await Task.sleep(for: .milliseconds(100))
            } while ContinuousClock.now < collected
            #expect(all.contains("log line 3000 of 3000"), "the newest output is kept")
            #expect(all.contains("listening on 127.0.0.1"))
            #expect(!all.contains("log line 1 of 3000\n"), "the oldest output is dropped by the cap")
            #expect(all.utf8.count <= 3 * request.logLimit, "kept output is bounded: \(all.utf8.count) bytes")
            let tail = try await runtime.logs(instanceID: "web-logs", tail: 2)
            #expect(tail.split(separator: "\n").count <= 4, "at most 2 lines per stream: \(tail)")
            #expect(tail.contains("listening on 127.0.0.1"))

        case .restartedRuntimeAdoptsInstances:
            let pinned = try await runtime.resolve(try await fixture.installDemoImage("1.0", [:]))
            let started = try await runtime.start(launch("web-adopted", image: pinned))
            _ = try await waitForHTTP(started, path: "/healthz")
            let restarted = try fixture.makeRuntime()
            let adopted = try #require(try await restarted.inventory().first { $0.instanceID == "web-adopted" })
            #expect(adopted.status == .running && adopted.handle == started.handle && adopted.ports == started.ports)
            #expect(adopted.service == "web" && adopted.specHash == Self.specHash)
            let again = try await restarted.start(launch("web-adopted", image: pinned))
            #expect(again.handle == started.handle, "a retried start after restart adopts, never duplicates")
            _ = try await restarted.stop(instanceID: "web-adopted", gracePeriod: deadline)
            let seen = try #require(try await runtime.inventory().first { $0.instanceID == "web-adopted" })
            #expect(!seen.status.isRunning, "the old runtime object sees the stop too")

        case .scopeSeparatesFleets:
            try await checkScopeSeparatesFleets(runtime, fixture)

        case .exitsAreReported:
            try await checkExitsAreReported(runtime, fixture)
        }
    }

    // MARK: - Fleet scope and exits

    /// Another fleet's runtime over the same state neither sees nor touches this fleet's instance, and this
    /// one never sees or touches the other's.
    func checkScopeSeparatesFleets(_ runtime: any Runtime, _ fixture: RuntimeConformanceFixture) async throws {
        // cleanUp(_:) destroys the other scope's instances too.
        let other = try fixture.makeRuntimeInScope("conformance-other")
        let pinned = try await runtime.resolve(try await fixture.installDemoImage("1.0", [:]))
        let mine = try await runtime.start(launch("web-mine", image: pinned))
        _ = try await waitForHTTP(mine, path: "/healthz")
        let theirs = try await other.start(launch("web-theirs", image: try await other.resolve(pinned)))
        _ = try await waitForHTTP(theirs, path: "/healthz")

        #expect(try await other.inventory().map(\.instanceID) == ["web-theirs"], "another scope is never listed")
        #expect(try await runtime.inventory().map(\.instanceID) == ["web-mine"], "another scope is never listed")
        #expect(try await other.stop(instanceID: "web-mine", gracePeriod: .seconds(1)) == nil)
        try await other.destroy(instanceID: "web-mine", keepLogs: false)
        await #expect(throws: RuntimeError.self, "another scope's logs are not readable") {
            try await other.logs(instanceID: "web-mine", tail: 10)
        }
        let exec = await #expect(throws: RuntimeError.self, "another scope's instance cannot be probed") {
            try await other.exec(instanceID: "web-mine", command: ["/bin/true"], timeout: .seconds(5))
        }
        #expect(exec?.code == .notFound)
        // Reusing the id in the other scope must never adopt this scope's instance.
        if let reused = try? await other.start(launch("web-mine", image: pinned)) {
            #expect(reused.handle != mine.handle, "a start in another scope adopted this scope's instance")
            _ = try await other.stop(instanceID: "web-mine", gracePeriod: .seconds(5))
            try await other.destroy(instanceID: "web-mine", keepLogs: false)
        }
        let still = try #require(try await runtime.inventory().first { $0.instanceID == "web-mine" })
        #expect(still.status == .running && still.handle == mine.handle, "another scope stopped this one's instance")
        _ = try await waitForHTTP(still, path: "/healthz")
        #expect(try await other.inventory().map(\.instanceID) == ["web-theirs"])
    }

    /// An instance stopped behind this runtime object's back is reported by ``Runtime/exits()``; one of
    /// another scope never is.
    func checkExitsAreReported(_ runtime: any Runtime, _ fixture: RuntimeConformanceFixture) async throws {
        // cleanUp(_:) destroys the other scope's instances too.
        let other = try fixture.makeRuntimeInScope("conformance-other")
        let pinned = try await runtime.resolve(try await fixture.installDemoImage("1.0", [:]))
        let watched = try await runtime.start(launch("web-watched", image: pinned))
        let foreign = try await other.start(launch("web-foreign", image: try await other.resolve(pinned)))
        _ = try await waitForHTTP(watched, path: "/healthz")
        _ = try await waitForHTTP(foreign, path: "/healthz")

        let exits = runtime.exits()
        _ = try await other.stop(instanceID: "web-foreign", gracePeriod: .seconds(5))
        _ = try await fixture.makeRuntime().stop(instanceID: "web-watched", gracePeriod: .seconds(5))
        let seen = try await Self.collect(exits, until: "web-watched", within: deadline)
        #expect(seen.last?.instanceID == "web-watched" && seen.last?.service == "web", "\(seen)")
        #expect(!seen.contains { $0.instanceID == "web-foreign" }, "another scope's exit was reported: \(seen)")
    }

    /// The exits `stream` reports until one of `instanceID`, or fails after `timeout`.
    static func collect(_ stream: AsyncStream<InstanceExit>, until instanceID: String, within timeout: Duration)
        async throws -> [InstanceExit]
    {
        try await withThrowingTaskGroup(of: [InstanceExit]?.self) { group in
            group.addTask {
                var seen: [InstanceExit] = []
                for await exit in stream {
                    seen.append(exit)
                    if exit.instanceID == instanceID { return seen }
                }
                return seen
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let seen = try await group.next(), let seen else {
                throw FixtureError("no exit of \(instanceID) was reported within \(timeout)")
            }
            return seen
        }
    }

    static func destroyAll(_ runtime: any Runtime) async {
        for instance in (try? await runtime.inventory()) ?? [] {
            _ = try? await runtime.stop(instanceID: instance.instanceID, gracePeriod: .seconds(5))
            try? await runtime.destroy(instanceID: instance.instanceID, keepLogs: false)
        }
    }

    // MARK: - Support

    static let specHash = SpecHash(rawValue: String(repeating: "ab", count: 32))

    func launch(_ id: String, image: ImageReference, env: [String: String] = [:]) -> InstanceLaunch {
        InstanceLaunch(
            instanceID: id, service: "web", specHash: Self.specHash, image: image, env: env, ports: ["http": 0])
    }

    /// Polls until the instance answers `path` (any status), or fails after ``deadline``.
    public func waitForHTTP(_ instance: RuntimeInstance, path: String) async throws -> LoopbackHTTP.Response {
        let port = try #require(instance.ports["http"])
        let clock = ContinuousClock()
        let end = clock.now + deadline
        var lastError: any Error = FixtureError("never tried")
        while clock.now < end {
            do {
                return try await LoopbackHTTP.get(host: instance.address, port: port, path: path, timeout: .seconds(2))
            } catch {
                lastError = error
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw FixtureError("instance \(instance.instanceID) did not answer \(path) on port \(port): \(lastError)")
    }
}
