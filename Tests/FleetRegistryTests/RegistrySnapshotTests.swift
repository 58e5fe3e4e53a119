import FleetModel
import FleetRegistry
import Foundation
import GitFleetTesting
import Testing

/// The JSON form of a snapshot is what `gitfleet status --json` prints and what backups hold: it must be
/// stable and keep dates exactly.
@Suite struct RegistrySnapshotTests {
    @Test func jsonKeepsDatesAsMillisecondsAndSortsFailedHashes() throws {
        var state = RegistryConformance.rollout("web")
        state.failedSpecHashes = [
            RegistryConformance.hash("f"), RegistryConformance.hash("1"), RegistryConformance.hash("8"),
        ]
        let snapshot = RegistrySnapshot(
            revision: 7,
            instances: [
                Versioned(
                    RegistryConformance.instance("web-1", createdAt: RegistryConformance.date(1_763_816_531_123)),
                    version: 7)
            ],
            rolloutStates: [Versioned(state, version: 3)])
        let text = String(decoding: try snapshot.jsonData(), as: UTF8.self)
        #expect(text.contains(#""createdAt":1763816531123"#))
        let hashes = ["1", "8", "f"].map { "\"" + String(repeating: $0, count: 64) + "\"" }.joined(separator: ",")
        #expect(text.contains(#""failedSpecHashes":["# + hashes + "]"))
        #expect(try RegistrySnapshot(jsonData: Data(text.utf8)) == snapshot)
    }

    @Test func garbageIsNotASnapshot() {
        do {
            _ = try RegistrySnapshot(jsonData: Data("{\"revision\": \"x\"}".utf8))
            Issue.record("garbage decoded as a snapshot")
        } catch let error as RegistryError {
            #expect(error.code == .corrupt)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test(arguments: [0, 1, 100, 101, 250])
    func restoringCommitsStayWithinTheLimit(records: Int) {
        let snapshot = RegistrySnapshot(
            revision: 1,
            instances: (0..<records).map { Versioned(RegistryConformance.instance("web-\($0)"), version: 1) },
            rolloutStates: [Versioned(RegistryConformance.rollout("web"), version: 1)])
        let commits = snapshot.restoringCommits
        #expect(commits.allSatisfy { $0.count <= RegistryChange.maximumPerCommit && !$0.isEmpty })
        #expect(commits.reduce(0) { $0 + $1.count } == records + 1)
        #expect(commits.joined().allSatisfy { $0.expectation == .absent })
    }

    @Test("restoring many quarantined instances at the kept-output cap splits into commits etcd accepts")
    func restoringCommitsBoundKeptOutput() {
        let output = String(repeating: "x", count: InstanceRecord.keptOutputLimit - 1) + "\n"
        let snapshot = RegistrySnapshot(
            revision: 1,
            instances: (0..<30).map {
                var record = RegistryConformance.instance("web-\($0)", state: .quarantined)
                record.keptOutput = $0.isMultiple(of: 3) ? output : nil
                return Versioned(record, version: 1)
            },
            rolloutStates: [])
        let commits = snapshot.restoringCommits
        for commit in commits {
            let kept = commit.reduce(0) { total, change in
                guard case .putInstance(let record, _) = change else { return total }
                return total + (record.keptOutput?.utf8.count ?? 0)
            }
            #expect(kept <= RegistrySnapshot.restoringKeptOutputPerCommit)
            #expect(!commit.isEmpty)
        }
        #expect(commits.count == 2)
        #expect(commits.reduce(0) { $0 + $1.count } == 30)
    }

    @Test func timestampsRoundToTheNearestMillisecond() {
        #expect(RegistryTimestamp.milliseconds(Date(timeIntervalSince1970: 1.0004)) == 1_000)
        #expect(RegistryTimestamp.milliseconds(Date(timeIntervalSince1970: 1.0006)) == 1_001)
        #expect(RegistryTimestamp.milliseconds(Date(timeIntervalSince1970: -0.25)) == -250)
        let date = RegistryTimestamp.date(milliseconds: 1_763_816_531_123)
        #expect(RegistryTimestamp.normalized(date) == date)
    }
}
