// swift-tools-version: 6.0
// libFuzzer targets for gitfleet's parsers: one executable per parser, each exporting
// `LLVMFuzzerTestOneInput`. A package of its own so that sanitizer flags and instrumentation never touch
// the main package's `.build`; `scripts/fuzz` builds it with `--sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address`
// (libFuzzer supplies `main`). See docs/testing.md, "Fuzzing".
import Foundation
import PackageDescription

/// The gitfleet package, through `.build/gitfleet` (a link to `..` that `scripts/fuzz` makes) when it exists:
/// SwiftPM names a path dependency after its folder, and a checkout in a folder called `fuzz` would then share
/// this package's name and fail to resolve.
let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
let link = here.appendingPathComponent(".build/gitfleet")
let rootPath = FileManager.default.fileExists(atPath: link.path) ? ".build/gitfleet" : ".."

/// A fuzz target: an executable over the shared framing in `FuzzSupport` and the product modules it feeds.
func fuzzer(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(name: name, dependencies: ["FuzzSupport"] + dependencies)
}

let package = Package(
    name: "Fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: rootPath),
        // Already in gitfleet's graph: Crypto signs webhook bodies, HTTPTypes carries their headers.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
    ],
    targets: [
        .target(name: "FuzzSupport"),
        // The four webhook targets share one harness; each fixes the provider.
        .target(
            name: "WebhookFuzzing",
            dependencies: [
                "FuzzSupport", .product(name: "FleetServer", package: "gitfleet"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        fuzzer("fuzz-fleet", [.product(name: "FleetModel", package: "gitfleet")]),
        fuzzer("fuzz-settings", [.product(name: "FleetModel", package: "gitfleet")]),
        fuzzer("fuzz-status-annotation", [.product(name: "FleetModel", package: "gitfleet")]),
        fuzzer("fuzz-live-state", [.product(name: "FleetPlanner", package: "gitfleet")]),
        fuzzer("fuzz-etcd-wire", [.product(name: "FleetRegistry", package: "gitfleet")]),
        fuzzer("fuzz-docker-wire", [.product(name: "FleetRuntime", package: "gitfleet")]),
        fuzzer("fuzz-known-hosts", [.product(name: "FleetGit", package: "gitfleet")]),
        fuzzer("fuzz-discovery-template", [.product(name: "FleetController", package: "gitfleet")]),
        .executableTarget(name: "fuzz-webhook-github", dependencies: ["WebhookFuzzing"]),
        .executableTarget(name: "fuzz-webhook-gitlab", dependencies: ["WebhookFuzzing"]),
        .executableTarget(name: "fuzz-webhook-gitea", dependencies: ["WebhookFuzzing"]),
        .executableTarget(name: "fuzz-webhook-generic", dependencies: ["WebhookFuzzing"]),
    ],
    swiftLanguageModes: [.v6]
)
