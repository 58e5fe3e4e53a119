extension MetricFamily {
    /// CPU time the controller's process has used, user and system.
    public static let processCPUSeconds = MetricFamily(
        name: "process_cpu_seconds_total",
        help: "Total user and system CPU time spent in seconds.",
        kind: .counter
    )

    public static let processResidentMemory = MetricFamily(
        name: "process_resident_memory_bytes",
        help: "Resident memory size in bytes.",
        kind: .gauge
    )

    public static let processVirtualMemory = MetricFamily(
        name: "process_virtual_memory_bytes",
        help: "Virtual memory size in bytes.",
        kind: .gauge
    )

    public static let processOpenFileDescriptors = MetricFamily(
        name: "process_open_fds",
        help: "Number of open file descriptors.",
        kind: .gauge
    )

    public static let processMaxFileDescriptors = MetricFamily(
        name: "process_max_fds",
        help: "Maximum number of open file descriptors.",
        kind: .gauge
    )

    public static let processStartTime = MetricFamily(
        name: "process_start_time_seconds",
        help: "Start time of the process since unix epoch in seconds.",
        kind: .gauge
    )

    /// The process families every Prometheus client library exports, with the names and help texts of the Go
    /// client, so existing dashboards and alerts for processes work unchanged.
    public static let process: [MetricFamily] = [
        .processCPUSeconds, .processResidentMemory, .processVirtualMemory, .processOpenFileDescriptors,
        .processMaxFileDescriptors, .processStartTime,
    ]
}
