import FleetModel

/// A fixed plan with one service of every kind, built by hand so that rendering snapshots depend only
/// on the renderers (not on how spec hashes are computed).
enum SamplePlan {
    static func hash(_ pair: String) -> SpecHash { SpecHash(rawValue: String(repeating: pair, count: 32)) }

    /// What the web replacement changes: a leaf, a map with a key of each kind, a nested object.
    static let webChanges = [
        FieldChange(name: "image", path: "image", old: "demo/web:1.0.0", new: "demo/web:1.1.0"),
        FieldChange(
            name: "env", path: "env",
            fields: [
                FieldChange(name: "FEATURE_CART", path: "env.FEATURE_CART", old: nil, new: "\"on\""),
                FieldChange(name: "LOG_LEVEL", path: "env.LOG_LEVEL", old: "\"info\"", new: "\"debug\""),
                FieldChange(name: "OLD_FLAG", path: "env.OLD_FLAG", old: "\"1\"", new: nil),
            ]),
        FieldChange(
            name: "health", path: "health",
            fields: [FieldChange(name: "interval", path: "health.interval", old: "1s", new: "2s")]),
    ]

    static let plan = Plan(
        fleet: "production", revision: "3f2a1b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a",
        actions: [
            ServiceAction(
                service: "db-migrate", kind: .unchanged, fromImage: "demo/migrate:2.0.0", toImage: "demo/migrate:2.0.0",
                fromSpecHash: hash("1d"), toSpecHash: hash("1d"), replicas: 1, keep: 1,
                reason: "1 instance on the desired spec"),
            ServiceAction(
                service: "cache", kind: .create, toImage: "demo/cache:7.2", toSpecHash: hash("2c"), replicas: 2,
                create: 2, reason: "not running; start 2 instances"),
            ServiceAction(
                service: "web", kind: .replace, fromImage: "demo/web:1.0.0", toImage: "demo/web:1.1.0",
                fromSpecHash: hash("3a"), toSpecHash: hash("4b"), replicas: 3, create: 2, destroy: 2, keep: 1,
                reason: "image demo/web:1.0.0 → demo/web:1.1.0 (1 of 3 already on the new spec)",
                changes: webChanges),
            ServiceAction(
                service: "api", kind: .scaleUp, fromImage: "demo/api:2.0.0", toImage: "demo/api:2.0.0",
                fromSpecHash: hash("5e"), toSpecHash: hash("5e"), replicas: 5, create: 2, keep: 3,
                reason: "replicas 3 → 5"),
            ServiceAction(
                service: "worker", kind: .unchanged, fromImage: "demo/worker:2.9.0", toImage: "demo/worker:3.0.0",
                fromSpecHash: hash("6f"), toSpecHash: hash("7a"), replicas: 2, keep: 2,
                reason: "spec 7a7a7a7a7a7a failed before; not retried until the spec changes or a retry is asked for"
            ),
            ServiceAction(
                service: "legacy", kind: .remove, fromImage: "demo/legacy:0.1.0", fromSpecHash: hash("8c"),
                replicas: 0, destroy: 2, reason: "no longer in Git"),
        ])
}
