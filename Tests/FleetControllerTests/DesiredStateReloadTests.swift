import FleetController
import FleetGit
import FleetModel
import GitFleetTesting
import Testing

/// A source that follows a branch takes a shortcut when only file contents changed; these tests pin
/// that the shortcut gives what a full load gives, and that cross-file problems are still found.
@Suite("Reloading desired state along a branch")
struct DesiredStateReloadTests {
    static func service(_ name: String, tag: String, dependsOn: [String] = []) -> String {
        var text = """
            apiVersion: gitfleet/v1
            kind: Service
            metadata:
              name: \(name)
            spec:
              image: shop/\(name):\(tag)
              replicas: 2

            """
        if !dependsOn.isEmpty { text += "  dependsOn: [\(dependsOn.joined(separator: ", "))]\n" }
        return text
    }

    @Test("a changed file is decoded alone, and a full load of the same commit agrees")
    func changedFileAlone() throws {
        try withTemporaryDirectory { directory in
            let git = try GitFixture.create(at: directory.path)
            try git.write("services/api.yaml", Self.service("api", tag: "1.0.0"))
            try git.write("services/web.yaml", Self.service("web", tag: "1.0.0", dependsOn: ["api"]))
            try git.write("fleet.yaml", "apiVersion: gitfleet/v1\nkind: Fleet\nmetadata:\n  name: shop\n")
            let first = try #require(CommitID(hex: try git.commit("first")))
            try git.write("services/api.yaml", Self.service("api", tag: "2.0.0"))
            let second = try #require(CommitID(hex: try git.commit("api 2.0.0")))

            let repository = try GitRepository.open(at: directory.path)
            let source = DesiredStateSource(repository: repository)
            _ = try source.fleet(at: first)
            let reloaded = try source.fleet(at: second)
            #expect(source.lastLoad.decodedFiles == 1)
            #expect(source.lastLoad.reusedFiles == 1)
            #expect(reloaded.service(named: "api")?.image.tag == "2.0.0")
            #expect(reloaded.revision == second.hex)

            let cold = try DesiredStateSource(repository: GitRepository.open(at: directory.path)).fleet(at: second)
            #expect(reloaded == cold)
        }
    }

    @Test("a reload still finds problems that span files, and recovers once they are fixed")
    func crossFileProblems() throws {
        try withTemporaryDirectory { directory in
            let git = try GitFixture.create(at: directory.path)
            try git.write("services/api.yaml", Self.service("api", tag: "1.0.0"))
            try git.write("services/web.yaml", Self.service("web", tag: "1.0.0"))
            let first = try #require(CommitID(hex: try git.commit("first")))
            try git.write("services/web.yaml", Self.service("web", tag: "1.0.0", dependsOn: ["ap"]))
            let unknown = try #require(CommitID(hex: try git.commit("web depends on a typo")))
            try git.write("services/web.yaml", Self.service("api", tag: "1.0.1"))
            let duplicate = try #require(CommitID(hex: try git.commit("web.yaml defines api again")))
            try git.write("services/web.yaml", Self.service("web", tag: "1.1.0", dependsOn: ["api"]))
            let fixed = try #require(CommitID(hex: try git.commit("fixed")))
            try git.write("services/db.yaml", Self.service("db", tag: "1.0.0"))
            let added = try #require(CommitID(hex: try git.commit("db added")))

            let source = DesiredStateSource(repository: try GitRepository.open(at: directory.path))
            _ = try source.fleet(at: first)
            let unknownError = #expect(throws: ManifestError.self) { try source.fleet(at: unknown) }
            #expect(unknownError?.issues.contains { $0.message.contains("unknown service 'ap'") } == true)
            _ = try source.fleet(at: first)
            let duplicateError = #expect(throws: ManifestError.self) { try source.fleet(at: duplicate) }
            #expect(duplicateError?.issues.contains { $0.message.contains("already defined") } == true)
            let recovered = try source.fleet(at: fixed)
            #expect(recovered.service(named: "web")?.dependsOn == ["api"])
            let grown = try source.fleet(at: added)
            #expect(grown.services.map(\.name) == ["api", "db", "web"])
        }
    }
}
