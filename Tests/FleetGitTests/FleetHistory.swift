import GitFleetTesting

/// A small fleet repository with two commits, tags and a branch, shared by the read tests.
struct FleetHistory {
    let directory: TemporaryDirectory
    let fixture: GitFixture
    let first: String
    let second: String

    static let webV1 = "image: shop/web:1.0\nreplicas: 2\n"
    static let webV2 = "image: shop/web:1.1\nreplicas: 3\n"
    static let readme = String(repeating: "The fleet of the shop, described one service per file.\n", count: 20)

    init() throws {
        directory = try TemporaryDirectory()
        fixture = try GitFixture.create(at: directory.appending("fleet"))
        try fixture.write("services/web.yaml", Self.webV1)
        try fixture.write("services/db.yaml", "image: postgres:16\n")
        try fixture.symlink("services/current.yaml", to: "web.yaml")
        try fixture.write("scripts/deploy.sh", "#!/bin/sh\nexit 0\n", executable: true)
        try fixture.write("README.md", Self.readme)
        first = try fixture.commit("Add web and db")
        try fixture.tag("v1")
        try fixture.tag("release-1", message: "First release")
        try fixture.branch("stable")

        try fixture.write("services/web.yaml", Self.webV2)
        try fixture.write("services/cache.yaml", "image: redis:7\n")
        try fixture.remove("services/db.yaml")
        try fixture.move("README.md", to: "docs/README.md")
        second = try fixture.commit("Scale web, replace db by cache, move docs")

        // Uncommitted work must never leak into reads at a commit.
        try fixture.write("services/web.yaml", "image: shop/web:dirty\n")
        try fixture.write("services/extra.yaml", "image: extra\n")
    }
}
