// swift-tools-version: 6.0
import PackageDescription

// Benchmarks live apart from the product so that `swift test` never runs them and the product's
// package never depends on benchmark code. Build in release:
//   swift build -c release --package-path Benchmarks
let package = Package(
    name: "gitfleet-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "gitfleet", path: ".."),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .executableTarget(
            name: "gitfleet-bench",
            dependencies: [
                .product(name: "FleetModel", package: "gitfleet"),
                .product(name: "FleetGit", package: "gitfleet"),
                .product(name: "FleetPlanner", package: "gitfleet"),
                .product(name: "FleetController", package: "gitfleet"),
                .product(name: "FleetRegistry", package: "gitfleet"),
                .product(name: "FleetRuntime", package: "gitfleet"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "profile-load",
            dependencies: [
                .product(name: "FleetModel", package: "gitfleet"),
                .product(name: "FleetPlanner", package: "gitfleet"),
                .product(name: "FleetGit", package: "gitfleet"),
                .product(name: "FleetController", package: "gitfleet"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
