import Foundation

/// The engine's multiplexed output stream (non-TTY containers): frames of an 8-byte header — stream (1 stdout,
/// 2 stderr), three zero bytes, a big-endian 32-bit length — followed by that many bytes.
enum DockerLogStream {
    /// The stdout and stderr bytes of `data`; bytes that do not form a frame are taken as stdout, as an engine
    /// that sends raw output (a TTY container) would mean them.
    static func demultiplex(_ data: Data) -> (stdout: Data, stderr: Data) {
        var stdout = Data()
        var stderr = Data()
        let bytes = [UInt8](data)
        var index = 0
        while index + 8 <= bytes.count {
            let stream = bytes[index]
            guard stream <= 2, bytes[index + 1] == 0, bytes[index + 2] == 0, bytes[index + 3] == 0 else { break }
            let length =
                Int(bytes[index + 4]) << 24 | Int(bytes[index + 5]) << 16 | Int(bytes[index + 6]) << 8
                | Int(bytes[index + 7])
            let end = min(index + 8 + length, bytes.count)
            let payload = bytes[(index + 8)..<end]
            if stream == 2 { stderr.append(contentsOf: payload) } else { stdout.append(contentsOf: payload) }
            index = end
        }
        if index < bytes.count { stdout.append(contentsOf: bytes[index...]) }
        return (stdout, stderr)
    }
}
