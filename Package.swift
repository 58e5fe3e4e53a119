// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "gitfleet",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "gitfleet", targets: ["gitfleet"]),
        .library(name: "FleetModel", targets: ["FleetModel"]),
        .library(name: "FleetGit", targets: ["FleetGit"]),
        .library(name: "FleetSecrets", targets: ["FleetSecrets"]),
        .library(name: "FleetPlanner", targets: ["FleetPlanner"]),
        .library(name: "FleetRegistry", targets: ["FleetRegistry"]),
        .library(name: "FleetRuntime", targets: ["FleetRuntime"]),
        .library(name: "FleetController", targets: ["FleetController"]),
        .library(name: "FleetServer", targets: ["FleetServer"]),
        .library(name: "GitFleetCLI", targets: ["GitFleetCLI"]),
        .library(name: "GitFleetTesting", targets: ["GitFleetTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // HTTP/2 for gRPC health probes; already built for AsyncHTTPClient.
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // The only C dependency: libgit2, found through pkg-config (Debian: libgit2-dev).
        .systemLibrary(
            name: "CLibgit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"])]
        ),
        // libyaml's event parser, so that manifests are composed by our own bounded code (Debian: libyaml-dev).
        .systemLibrary(
            name: "CLibYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        .target(
            name: "FleetModel",
            dependencies: ["CLibYAML", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "FleetGit",
            dependencies: ["CLibgit2", "FleetModel", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(name: "FleetSecrets", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "FleetPlanner", dependencies: ["FleetModel"]),
        .target(
            name: "FleetRegistry",
            dependencies: [
                "FleetModel", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .target(
            name: "FleetRuntime",
            dependencies: [
                "FleetModel", .product(name: "Crypto", package: "swift-crypto"),
                // Health probes: AsyncHTTPClient for http, a NIOPosix bootstrap for tcp; neither blocks a thread.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                // gRPC probes: grpc.health.v1.Health/Check on swift-nio-http2, its two messages written by hand.
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                // Programs run to their end (exec probes, the controller's tools): swift-subprocess.
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .target(
            name: "FleetController",
            dependencies: [
                "FleetModel", "FleetGit", "FleetPlanner", "FleetRegistry", "FleetRuntime",
                // Secrets sealed in the repository are age files, opened with the controller's identity.
                "FleetSecrets",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                // NIOPosix's thread pool is the Git thread; NIOConcurrencyHelpers' locked boxes hold shared flags.
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                // User-written discovery templates are Mustache, rendered by a maintained engine.
                .product(name: "Mustache", package: "swift-mustache"),
                // Metrics are recorded through swift-metrics and exported by swift-prometheus.
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                // Notifications: commit statuses and webhooks POSTed through AsyncHTTPClient, signed with Crypto.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // HTTP: health, readiness, metrics, webhooks and the JSON API, on Hummingbird.
        .target(
            name: "FleetServer",
            dependencies: [
                "FleetController", "FleetModel", "FleetRegistry",
                .product(name: "Hummingbird", package: "hummingbird"),
                // Optional TLS on the listeners, with swift-nio-ssl (already in the graph through AsyncHTTPClient).
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                // ControlRoutes reads request bodies as Data; declared, since only GitFleetCLI built it otherwise.
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Records the commit a build comes from (for `gitfleet --version`), reading .git without the git command.
        .executableTarget(name: "gitfleet-build-info"),
        .plugin(name: "BuildInfoPlugin", capability: .buildTool(), dependencies: ["gitfleet-build-info"]),
        .target(
            name: "GitFleetCLI",
            dependencies: [
                "FleetModel", "FleetGit", "FleetPlanner", "FleetRegistry", "FleetRuntime", "FleetController",
                "FleetServer", "FleetSecrets",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // plan --server reads the controller's API; retry --server posts to it.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                // --server-ca-file: a controller whose TLS certificate a private CA signed.
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            plugins: ["BuildInfoPlugin"]
        ),
        .executableTarget(name: "gitfleet", dependencies: ["GitFleetCLI"]),
        // The demo service: a tiny HTTP server that reports its version (and a gRPC health endpoint), for the demo
        // fleet and the tests; no dependencies, so the binary copied into every test image stays small.
        .executableTarget(name: "gitfleet-demo"),
        .target(
            name: "GitFleetTesting",
            dependencies: [
                "FleetModel", "FleetGit", "FleetRegistry", "FleetRuntime",
                // The scripted runtime's image digests.
                .product(name: "Crypto", package: "swift-crypto"),
                // A streaming HTTP client, for reading Server-Sent Events in tests.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                // The scripted runtime's instances answer HTTP like the demo service; its state is shared in locked boxes.
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // Benchmarks (docs/performance.md) build from this package, so that one release build serves the product and
        // them: `swift build -c release` then `.build/release/gitfleet-bench all`. No test depends on them, so
        // `swift test` never runs them; building them in every build keeps them compiling as the code changes.
        .executableTarget(
            name: "gitfleet-bench",
            dependencies: [
                "FleetModel", "FleetGit", "FleetPlanner", "FleetController", "FleetRegistry", "FleetRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/Sources/gitfleet-bench"
        ),
        .executableTarget(
            name: "profile-load",
            dependencies: ["FleetModel", "FleetPlanner", "FleetGit", "FleetController"],
            path: "Benchmarks/Sources/profile-load"
        ),
        .testTarget(name: "FleetModelTests", dependencies: ["FleetModel", "GitFleetTesting"]),
        .testTarget(name: "FleetSecretsTests", dependencies: ["FleetSecrets", "GitFleetTesting"]),
        .testTarget(name: "FleetGitTests", dependencies: ["FleetGit", "FleetRuntime", "GitFleetTesting"]),
        .testTarget(name: "FleetPlannerTests", dependencies: ["FleetPlanner", "GitFleetTesting"]),
        .testTarget(
            name: "FleetRegistryTests",
            dependencies: ["FleetRegistry", "GitFleetTesting", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(name: "FleetRuntimeTests", dependencies: ["FleetRuntime", "GitFleetTesting", "gitfleet-demo"]),
        .testTarget(
            name: "FleetControllerTests", dependencies: ["FleetController", "GitFleetTesting", "gitfleet-demo"]),
        .testTarget(
            name: "FleetServerTests",
            dependencies: [
                "FleetServer", "FleetModel", "GitFleetTesting",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "GitFleetCLITests",
            dependencies: [
                "GitFleetCLI", "FleetController", "GitFleetTesting", "gitfleet",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
