import FleetController
import Foundation
import Logging
import Testing

/// The lines a ``JSONLogHandler`` wrote, kept in memory.
final class CollectedLines: LogOutput, @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func write(_ line: String) {
        lock.lock()
        lines.append(line)
        lock.unlock()
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }

    /// Each line parsed as a JSON object; a line that is not one fails the test.
    func objects() throws -> [[String: Any]] {
        try all.map { line in
            #expect(line.hasSuffix("\n") && line.dropLast().allSatisfy { $0 != "\n" }, "not one line: \(line)")
            return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        }
    }
}

@Suite("The JSON log handler: one object a line, escaped, with metadata and levels")
struct JSONLogHandlerTests {
    static func logger(level: Logger.Level = .trace, label: String = "gitfleet.test") -> (Logger, CollectedLines) {
        let lines = CollectedLines()
        let logger = Logger(label: label) { label in JSONLogHandler(label: label, level: level, output: lines) }
        return (logger, lines)
    }

    @Test(
        "Messages and values with quotes, backslashes, control characters and any Unicode come back unchanged",
        arguments: [
            "plain", #"say "hi""#, #"C:\path\n"#, "two\nlines\r\n", "tab\there", "bell\u{07} nul\u{00} del\u{7F}",
            "héllo ✓ 日本 😀", "separators \u{2028} \u{2029}", "{\"json\": [1, 2]}", "",
        ])
    func escaping(_ text: String) throws {
        let (logger, lines) = Self.logger()
        logger.info("\(text)", metadata: ["value": "\(text)"])
        let object = try #require(try lines.objects().first)
        #expect(object["message"] as? String == text)
        #expect(object["value"] as? String == text)
        let raw = try #require(lines.all.first)
        #expect(!raw.dropLast().contains("\n") && !raw.contains("\u{2028}"), "\(raw)")
    }

    @Test("Every line has the timestamp (RFC 3339, UTC), level, label and message, then the metadata as fields")
    func fixedFields() throws {
        let (logger, lines) = Self.logger(label: "gitfleet.converger")
        logger.notice("a rollout started", metadata: ["service": "web", "commit": "0123abcd"])
        let object = try #require(try lines.objects().first)
        #expect(object["level"] as? String == "notice")
        #expect(object["label"] as? String == "gitfleet.converger")
        #expect(object["message"] as? String == "a rollout started")
        #expect(object["service"] as? String == "web" && object["commit"] as? String == "0123abcd")
        let timestamp = try #require(object["timestamp"] as? String)
        #expect(timestamp.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z/) != nil, "\(timestamp)")
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let parsed = try #require(format.date(from: timestamp), "\(timestamp)")
        #expect(abs(parsed.timeIntervalSinceNow) < 600, "\(timestamp) is not now")
        #expect(try #require(lines.all.first).hasPrefix(#"{"timestamp":"#), "the fixed fields come first")
    }

    @Test(
        "Timestamps are UTC with microseconds",
        arguments: [
            (0.5, "1970-01-01T00:00:00.500000Z"), (1_795_000_000.000_25, "2026-11-18T11:06:40.000250Z"),
        ])
    func timestamps(_ seconds: Double, _ expected: String) {
        #expect(JSONLogHandler.timestamp(Date(timeIntervalSince1970: seconds)) == expected)
    }

    @Test(
        "Metadata of the logger, its provider and the call merge (the call wins); nested metadata become objects and arrays"
    )
    func metadata() throws {
        let lines = CollectedLines()
        let provider = Logger.MetadataProvider { ["delivery": "from-provider", "spec": "abc123"] }
        var logger = Logger(label: "gitfleet.http") { label in
            JSONLogHandler(label: label, level: .info, output: lines, metadataProvider: provider)
        }
        logger[metadataKey: "controller"] = "gitfleet-a"
        logger[metadataKey: "spec"] = "from-logger"
        logger.info(
            "nested",
            metadata: [
                "delivery": "d-42",
                "request": ["method": "POST", "headers": ["x-one": "1", "x-two": ["a", "b"]]],
                "instances": ["web-1", ["id": "web-2"]],
                "message": "a key that would shadow the message", "level": "and the level",
            ])
        let object = try #require(try lines.objects().first)
        #expect(object["controller"] as? String == "gitfleet-a")
        #expect(object["delivery"] as? String == "d-42", "the call's metadata wins over the provider's")
        #expect(object["spec"] as? String == "abc123", "the provider's metadata wins over the logger's")
        let request = try #require(object["request"] as? [String: Any])
        #expect(request["method"] as? String == "POST")
        let headers = try #require(request["headers"] as? [String: Any])
        #expect(headers["x-one"] as? String == "1" && headers["x-two"] as? [String] == ["a", "b"])
        let instances = try #require(object["instances"] as? [Any])
        #expect(instances.first as? String == "web-1" && (instances.last as? [String: String])?["id"] == "web-2")
        #expect(object["message"] as? String == "nested" && object["level"] as? String == "info")
        #expect(object["metadata.message"] as? String == "a key that would shadow the message")
        #expect(object["metadata.level"] as? String == "and the level")
    }

    @Test("Only levels at or above the handler's are written", arguments: Logger.Level.allCases)
    func levels(_ threshold: Logger.Level) throws {
        let (logger, lines) = Self.logger(level: threshold)
        for level in Logger.Level.allCases { logger.log(level: level, "at \(level)") }
        let written = try lines.objects().compactMap { $0["level"] as? String }
        #expect(written == Logger.Level.allCases.filter { $0 >= threshold }.map(\.rawValue))
    }

    @Test("A part's logger is labelled after it and keeps the metadata and level of the logger it came from")
    func parts() {
        var logger = Logger(label: "gitfleet")
        logger.logLevel = .debug
        logger[metadataKey: "controller"] = "gitfleet-a"
        let part = logger.part("converger")
        #expect(part.label == "gitfleet.converger")
        #expect(part.logLevel == .debug)
        #expect(part[metadataKey: "controller"] == "gitfleet-a")
    }

    /// A part's lines go where its parent's go (a test's collector here), not to the logging system's handler.
    @Test("a part keeps its parent's handler, under its own label")
    func partKeepsHandler() throws {
        let (logger, lines) = Self.logger(label: "gitfleet")
        logger.part("converger").info("started")
        let line = try #require(lines.all.first)
        #expect(line.contains("\"label\":\"gitfleet.converger\""))
        #expect(line.contains("\"message\":\"started\""))
    }

    @Test("The settings take logFormat and logLevel, and refuse what they do not know")
    func settings() throws {
        let configuration = try ControllerConfiguration.resolve(
            file: nil, environment: ["GITFLEET_LOG_FORMAT": "json"], flags: ["logLevel": "debug", "repo": "/r"])
        #expect(configuration.logFormat == .json && configuration.logLevel == .debug)
        let defaults = try ControllerConfiguration.resolve(file: nil, environment: [:], flags: ["repo": "/r"])
        #expect(defaults.logFormat == .text && defaults.logLevel == .info)
        #expect(throws: ControllerConfiguration.ProblemList.self) {
            try ControllerConfiguration.resolve(file: nil, environment: [:], flags: ["repo": "/r", "logLevel": "loud"])
        }
        do {
            _ = try ControllerConfiguration.resolve(
                file: nil, environment: ["GITFLEET_LOG_FORMAT": "xml"], flags: ["repo": "/r"])
            Issue.record("GITFLEET_LOG_FORMAT=xml was accepted")
        } catch {
            #expect("\(error)".contains("GITFLEET_LOG_FORMAT: expected text or json, got \"xml\""))
        }
    }
}
