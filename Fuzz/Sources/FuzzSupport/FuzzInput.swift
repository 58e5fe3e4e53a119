/// The bytes libFuzzer hands to `LLVMFuzzerTestOneInput`, and the framing that turns them into several files.
public enum FuzzInput {
    /// The input as an array; libFuzzer may pass a null pointer for the empty input.
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        guard let data, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// One file of a framed input.
    public struct File: Equatable, Sendable {
        public var path: String
        public var contents: [UInt8]
    }

    /// The files of a framed input: each starts with a line `=== <path>` and runs to the next such line.
    /// Bytes before the first marker form a file named `defaultPath`, so an unframed seed is one file.
    /// Readable on purpose: seeds are fixtures with marker lines, and crashes can be read as they are.
    public static func files(_ bytes: [UInt8], defaultPath: String) -> [File] {
        let marker = Array("=== ".utf8)
        var files: [File] = []
        var current = File(path: defaultPath, contents: [])
        var started = false
        var lineStart = 0
        while lineStart < bytes.count {
            let lineEnd = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            let line = bytes[lineStart..<lineEnd]
            if line.starts(with: marker) {
                if started || !current.contents.isEmpty { files.append(current) }
                current = File(path: String(decoding: line.dropFirst(marker.count), as: UTF8.self), contents: [])
                started = true
            } else {
                current.contents += bytes[lineStart..<min(lineEnd + 1, bytes.count)]
            }
            lineStart = lineEnd + 1
        }
        if started || !current.contents.isEmpty { files.append(current) }
        return files
    }
}
