extension MetricFamily {
    /// 1 while this controller leads and acts on the fleet, 0 while it stands by (etcd leader election).
    public static let leader = MetricFamily(
        name: "gitfleet_leader",
        help: "Whether this controller is the leader among replicas (1) or a standby (0).",
        kind: .gauge
    )

    /// Reconcile passes by outcome. `result`: `converged`, `progressing`, `failed` or `error` (the pass itself
    /// could not run, e.g. the registry was unreachable).
    public static let reconciles = MetricFamily(
        name: "gitfleet_reconciles_total",
        help: "Reconcile passes completed, by result.",
        kind: .counter,
        labelNames: ["result"]
    )

    /// How long one reconcile pass took, from reading desired state to summarising status.
    public static let reconcileDuration = MetricFamily(
        name: "gitfleet_reconcile_duration_seconds",
        help: "Duration of one reconcile pass in seconds.",
        kind: .histogram(buckets: durationBuckets)
    )

    /// Rollouts that reached an end, per service. `result`: `converged`, `failed` or `rolled_back`.
    public static let rollouts = MetricFamily(
        name: "gitfleet_rollouts_total",
        help: "Rollouts finished, by service and result.",
        kind: .counter,
        labelNames: ["service", "result"]
    )

    /// Each service's phase (`ServicePhase` raw values): 1 for the phase it is in, 0 for every other.
    public static let servicePhase = MetricFamily(
        name: "gitfleet_service_phase",
        help: "The phase each service is in (1) or not (0), as of the last reconcile pass.",
        kind: .gauge,
        labelNames: ["service", "phase"]
    )

    /// Instances in the live registry per service and state (`InstanceState` raw values), as last observed.
    public static let instances = MetricFamily(
        name: "gitfleet_instances",
        help: "Instances in the live registry, by service and state.",
        kind: .gauge,
        labelNames: ["service", "state"]
    )

    /// Drift found and acted on. `kind`: e.g. `unknown_instance`, `wrong_spec`, `stale_record`, `exited`,
    /// `unhealthy`.
    public static let driftFound = MetricFamily(
        name: "gitfleet_drift_found_total",
        help: "Drift found between the desired state, the registry and the runtime, by service and kind.",
        kind: .counter,
        labelNames: ["service", "kind"]
    )

    /// How long one fetch of the tracked branch took, successful or not.
    public static let gitFetchDuration = MetricFamily(
        name: "gitfleet_git_fetch_duration_seconds",
        help: "Duration of one fetch of the fleet repository in seconds.",
        kind: .histogram(buckets: durationBuckets)
    )

    /// Failed Git operations. `operation`: `fetch`, `read` (manifests at a commit) or `notes` (status annotation
    /// push); `code`: the `GitError.Code` raw value.
    public static let gitFailures = MetricFamily(
        name: "gitfleet_git_failures_total",
        help: "Failed Git operations, by operation and error code.",
        kind: .counter,
        labelNames: ["operation", "code"]
    )

    /// Commits whose latest note the remote does not have yet: written locally, their push failing or pending.
    public static let notesUnpushed = MetricFamily(
        name: "gitfleet_notes_unpushed",
        help: "Status annotations written locally that the remote does not have yet.",
        kind: .gauge
    )

    /// Always 1, on one series whose `revision` label is the commit the fleet is converged to (the info-metric
    /// pattern, so that dashboards can join on the revision).
    public static let deployedRevision = MetricFamily(
        name: "gitfleet_deployed_revision_info",
        help: "The commit of the fleet repository that is deployed; the value is always 1.",
        kind: .gauge,
        labelNames: ["revision"]
    )

    /// Webhook deliveries. `provider`: `github`, `gitlab`, `gitea`, `generic`; `outcome`: `triggered`, `ignored`,
    /// `unauthorized`, `malformed`, `too_large`.
    public static let webhookRequests = MetricFamily(
        name: "gitfleet_webhook_requests_total",
        help: "Webhook requests received, by provider and outcome.",
        kind: .counter,
        labelNames: ["provider", "outcome"]
    )

    /// Always 1, on one series naming the release and the commit this gitfleet was built from (what
    /// `gitfleet --version` prints), so dashboards can tell which build each replica runs.
    public static let buildInfo = MetricFamily(
        name: "gitfleet_build_info",
        help: "The release and commit gitfleet was built from; the value is always 1.",
        kind: .gauge,
        labelNames: ["version", "commit"]
    )

    /// When a reconcile pass last ran to its end (any result but `error`), in unix seconds: an alert on
    /// `time() - gitfleet_last_successful_reconcile_timestamp_seconds` catches a loop that is stuck or failing.
    public static let lastSuccessfulReconcile = MetricFamily(
        name: "gitfleet_last_successful_reconcile_timestamp_seconds",
        help: "Unix time of the last reconcile pass that ran to its end (the controller's start until one has).",
        kind: .gauge
    )

    /// When the controller last saw the remote's branch (a head lookup that found nothing new, or a fetch), in
    /// unix seconds. One per controller: a controller tracks one repository. A quiet repository does not make
    /// it age, so it measures contact with the remote, not activity.
    public static let lastSuccessfulFetch = MetricFamily(
        name: "gitfleet_last_successful_fetch_timestamp_seconds",
        help: "Unix time the tracked branch was last read from the remote (the controller's start until it has been).",
        kind: .gauge
    )

    /// The families the controller and its HTTP server record.
    public static let gitfleet: [MetricFamily] = [
        .reconciles, .reconcileDuration, .rollouts, .servicePhase, .instances, .driftFound, .gitFetchDuration,
        .gitFailures, .notesUnpushed, .deployedRevision, .leader, .webhookRequests, .buildInfo,
        .lastSuccessfulReconcile, .lastSuccessfulFetch, .freezeActive,
    ]

    /// Every family a controller may show on `/metrics`: its own, discovery's, events' and the process's.
    public static let all: [MetricFamily] =
        gitfleet + discovery + agents + [.events] + notificationFamilies + process
}
