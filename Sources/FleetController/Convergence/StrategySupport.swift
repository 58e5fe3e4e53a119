import FleetModel

/// Which rollout strategies the converger carries out as written. blueGreen and canary are valid in
/// manifests but still roll out with the rolling strategy's bounds; saying so where people look (plan,
/// apply, the controller's log) keeps that from being a silent substitution.
public enum StrategySupport {
    public static let implemented: Set<RolloutPolicy.Strategy> = [.rolling]

    /// One warning per service whose strategy is not carried out as written.
    public static func warnings(for fleet: Fleet) -> [String] {
        fleet.services.filter { !implemented.contains($0.rollout.strategy) }.map { service in
            "\(service.name): strategy \(service.rollout.strategy.rawValue) is not implemented yet; it rolls out "
                + "as rolling (maxSurge \(service.rollout.maxSurge), maxUnavailable \(service.rollout.maxUnavailable))"
        }
    }
}
