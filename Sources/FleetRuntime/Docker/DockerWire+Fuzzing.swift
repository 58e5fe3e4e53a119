import Foundation

/// The runtime's readers of bytes from a Docker engine, each called as the runtime calls it, for the libFuzzer
/// target in `Fuzz/`; `@_spi(Fuzzing)` keeps it out of the API.
@_spi(Fuzzing) public enum DockerWireFuzzing {
    /// Reads `data` as every kind of answer the engine sends: a multiplexed log stream, an error body, each
    /// JSON document the runtime decodes, and a stream of newline-delimited events.
    public static func read(_ data: Data) {
        _ = DockerLogStream.demultiplex(data)
        _ = DockerEngineClient.Answer(status: 500, body: data).message
        let decoder = JSONDecoder()
        _ = try? decoder.decode(DockerWire.ImageInspect.self, from: data)
        _ = try? decoder.decode(DockerWire.CreateResponse.self, from: data)
        _ = try? decoder.decode([DockerWire.ContainerSummary].self, from: data)
        _ = try? decoder.decode(DockerWire.ContainerInspect.self, from: data)
        _ = try? decoder.decode(DockerWire.ExecInspect.self, from: data)
        // The ports label of a container, as `observe` reads it.
        _ = try? decoder.decode([String: Int].self, from: data)
        for line in data.split(separator: UInt8(ascii: "\n")) {
            _ = try? decoder.decode(DockerWire.Event.self, from: line)
        }
    }
}
