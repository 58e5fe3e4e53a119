import Testing

extension Tag {
    /// Runs in memory (in-memory registry, scripted runtime, simulated clock, or pure logic): no processes, no
    /// servers, no wall-clock waits, so these suites run in parallel with each other (see docs/testing.md).
    @Tag public static var fast: Self
}
