import FleetController
import FleetModel
import FleetRuntime
import Foundation
import Testing

@Suite("The runtime scope setting")
struct RuntimeScopeSettingTests {
    @Test("The default scope follows the registry: one per SQLite state directory, one per etcd prefix")
    func defaultFollowsTheRegistry() throws {
        let a = try ControllerConfiguration.resolve(
            file: nil, environment: [:], flags: ["repo": "/srv/fleet", "stateDir": "/var/lib/gitfleet-a"])
        let b = try ControllerConfiguration.resolve(
            file: nil, environment: [:], flags: ["repo": "/srv/fleet", "stateDir": "/var/lib/gitfleet-b"])
        #expect(a.resolvedRuntimeScope != b.resolvedRuntimeScope, "two registries, two fleets")
        #expect(a.resolvedRuntimeScope.hasPrefix("fleet-") && a.resolvedRuntimeScope.count == 18)
        #expect(RuntimeScope.problem(a.resolvedRuntimeScope) == nil)
        // Stable: the same registry gives the same scope, whichever command or branch derives it.
        let again = try ControllerConfiguration.resolve(
            file: nil, environment: [:],
            flags: ["repo": "https://git.example.com/other.git", "branch": "prod", "stateDir": "/var/lib/gitfleet-a/"])
        #expect(again.resolvedRuntimeScope == a.resolvedRuntimeScope)
        #expect(
            a.resolvedRuntimeScope
                == RuntimeScope.derived(
                    fromRegistry: ControllerConfiguration.embeddedRegistryIdentity(
                        stateDirectory: "/var/lib/gitfleet-a")
                ))

        let replica = { (id: String, state: String) in
            try ControllerConfiguration.resolve(
                file: nil,
                environment: [
                    "GITFLEET_REGISTRY": "etcd", "GITFLEET_ETCD_ENDPOINTS": "http://a:2379",
                    "GITFLEET_ETCD_PREFIX": "/shop",
                ], flags: ["repo": "/srv/fleet", "controllerId": id, "stateDir": state])
        }
        let first = try replica("a", "/var/lib/a")
        let second = try replica("b", "/var/lib/b")
        #expect(first.resolvedRuntimeScope == second.resolvedRuntimeScope, "replicas of one fleet share its scope")
        #expect(first.resolvedRuntimeScope == RuntimeScope.derived(fromRegistry: "etcd:/shop"))
    }

    @Test("The scope is a setting in the file, the environment and a flag, and a bad one is reported with its source")
    func isASetting() throws {
        let file = try SettingsFile.parse(
            Array("repo: file:///srv/fleet.git\nruntimeScope: shop-prod\n".utf8), file: "config.yaml")
        #expect(
            try ControllerConfiguration.resolve(file: file, environment: [:], flags: [:]).resolvedRuntimeScope
                == "shop-prod")
        let fromEnvironment = try ControllerConfiguration.resolve(
            file: file, environment: ["GITFLEET_RUNTIME_SCOPE": "shop-staging"], flags: [:])
        #expect(fromEnvironment.resolvedRuntimeScope == "shop-staging")
        let fromFlag = try ControllerConfiguration.resolve(
            file: file, environment: ["GITFLEET_RUNTIME_SCOPE": "shop-staging"], flags: ["runtimeScope": "gitfleet"])
        #expect(fromFlag.resolvedRuntimeScope == RuntimeScope.legacy)

        let bad = try SettingsFile.parse(
            Array("repo: file:///srv/fleet.git\nruntimeScope: shop/prod\n".utf8), file: "config.yaml")
        let error = #expect(throws: ControllerConfiguration.ProblemList.self) {
            try ControllerConfiguration.resolve(file: bad, environment: [:], flags: [:])
        }
        #expect(
            error?.description.contains("config.yaml:2:15: runtimeScope: 'shop/prod' is not a runtime scope") == true,
            "\(String(describing: error))")
    }

    @Test("The runtime a configuration makes acts in its scope")
    func runtimeCarriesTheScope() throws {
        var configuration = ControllerConfiguration(repository: "/srv/fleet")
        configuration.stateDirectory = NSTemporaryDirectory() + "gitfleet-scope-\(UUID())"
        configuration.runtimeScope = "shop-prod"
        let process = try #require(try configuration.makeRuntime() as? ProcessRuntime)
        #expect(process.scope == "shop-prod")
        configuration.runtime = .docker
        configuration.dockerHosts = ["unix:///var/run/docker.sock"]
        let docker = try #require(try configuration.makeRuntime() as? DockerRuntime)
        #expect(docker.options.scope == "shop-prod")
    }
}
