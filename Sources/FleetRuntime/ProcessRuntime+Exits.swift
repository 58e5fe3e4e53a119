import FleetModel
import Foundation

extension ProcessRuntime {
    /// Watches the processes of this scope's instances: every ``exitPollInterval`` each instance seen running
    /// is looked at again (a read of `/proc/<pid>/stat` that also checks the start time, and `waitpid` for a
    /// child of this process), and one that stopped or whose folder vanished is reported. Records are read
    /// once per instance, not on every look, so watching an idle fleet costs a directory listing and one
    /// `/proc` read per instance per interval. What runs when this is called is noted before it returns, so
    /// an exit right after the call is reported too.
    public func exits() -> AsyncStream<InstanceExit> {
        let (stream, continuation) = AsyncStream.makeStream(of: InstanceExit.self)
        var running: [String: ProcessInstanceFile] = [:]
        _ = look(&running)
        let watcher = Task { [running] in
            var running = running
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.exitPollInterval)
                for exit in look(&running) { continuation.yield(exit) }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in watcher.cancel() }
        return stream
    }

    /// One look at the instances: updates `running` (the instances seen running, by id) and returns those of
    /// them that have stopped since the last look.
    func look(_ running: inout [String: ProcessInstanceFile]) -> [InstanceExit] {
        var exits: [InstanceExit] = []
        let names = Set((try? FileManager.default.contentsOfDirectory(atPath: instancesDirectory)) ?? [])
        for (id, record) in running where !names.contains(id) {
            running[id] = nil
            exits.append(InstanceExit(instanceID: id, service: record.service, status: nil))
        }
        for name in names.sorted() {
            let known = running[name]
            // A record is read again only while its pid is unknown (a start in flight).
            guard let record = known?.pid != nil ? known : try? self.record(of: name) else {
                running[name] = nil
                continue
            }
            switch status(of: record) {
            case .running:
                running[name] = record
            case .exited(let status):
                if known != nil {
                    exits.append(InstanceExit(instanceID: name, service: record.service, status: status))
                }
                running[name] = nil
            case .unknown:
                running[name] = nil
            }
        }
        return exits
    }
}
