import NIOPosix

/// The one thread all of the controller's libgit2 work runs on.
///
/// libgit2 blocks: a clone, a fetch or a push holds its thread for as long as the remote takes (bounded by
/// `GitNetwork`'s deadlines), and even local reads of a large fleet take a while. Run on Swift's cooperative
/// pool, that would starve the few threads everything else shares (the HTTP server's probes, the converger).
/// An actor whose executor is this one (``TrackedRepository``) runs every method on a thread of its own, one
/// at a time, so the repository handle is never used from two threads and no other work ever waits for Git
/// except the callers that asked for it.
///
/// Backed by a single-thread `NIOThreadPool` rather than a hand-written thread and queue.
public final class GitExecutor: SerialExecutor, @unchecked Sendable {
    // @unchecked: the pool is thread-safe; the executor holds nothing else.
    private let pool: NIOThreadPool

    public init() {
        pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        pool.submit { _ in job.runSynchronously(on: executor) }
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    deinit {
        pool.shutdownGracefully { _ in }
    }
}
