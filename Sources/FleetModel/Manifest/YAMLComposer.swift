import CLibYAML

/// A YAML document as composed: its root (nil for an empty document) and where it starts.
struct YAMLDocument: Sendable {
    var root: YAMLNode?
    var mark: YAMLMark
}

/// Why composing a file stopped early, with the position to report.
struct YAMLCompositionFailure: Error, Sendable {
    var line: Int
    var column: Int
    var message: String
    var expected: String?
}

/// Composes YAML documents from libyaml's event stream (Debian's libyaml, through the CLibYAML system target).
///
/// Yams' own composer is not used because it cannot be bounded: it hashes every mapping key
/// recursively to find duplicates, so a key built from aliases costs exponential time before any
/// budget could be checked, and it stops a whole file at the first duplicate key. Composing here
/// keeps node positions, counts the expanded size of aliases as they are resolved (a "billion
/// laughs" file stops at the budget), bounds nesting depth, and leaves duplicate keys to the
/// decoder so that they are reported with every other issue.
struct YAMLComposer {
    let limits: ManifestLimits
    let isDefaultsFile: Bool

    /// Composes every document of `bytes`; a failure ends the file but keeps the documents before it.
    func compose(_ bytes: [UInt8]) -> (documents: [YAMLDocument], failure: YAMLCompositionFailure?) {
        guard !bytes.isEmpty else { return ([], nil) }
        // libyaml keeps pointers into its own state, so the parser lives at one address for its whole life.
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else {
            return ([], YAMLCompositionFailure(line: 1, column: 1, message: "the YAML parser could not start"))
        }
        defer { yaml_parser_delete(parser) }
        return bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(parser, buffer.baseAddress, buffer.count)
            var session = Session(parser: parser, limits: limits, isDefaultsFile: isDefaultsFile, bytes: buffer)
            return session.run()
        }
    }

    private struct Event {
        var type: yaml_event_type_t
        var mark: YAMLMark
        var text: String = ""
        var isPlain = false
        var anchor: String? = nil
    }

    private struct Session {
        let parser: UnsafeMutablePointer<yaml_parser_t>
        let limits: ManifestLimits
        let isDefaultsFile: Bool
        let bytes: UnsafeBufferPointer<UInt8>
        var anchors: [String: (node: YAMLNode, weight: Int)] = [:]
        /// Nodes in the current document with every alias expanded.
        var expanded = 0

        init(
            parser: UnsafeMutablePointer<yaml_parser_t>, limits: ManifestLimits, isDefaultsFile: Bool,
            bytes: UnsafeBufferPointer<UInt8>
        ) {
            self.parser = parser
            self.limits = limits
            self.isDefaultsFile = isDefaultsFile
            self.bytes = bytes
        }

        mutating func run() -> (documents: [YAMLDocument], failure: YAMLCompositionFailure?) {
            var documents: [YAMLDocument] = []
            do {
                _ = try next()  // stream start
                while true {
                    let start = try next()
                    if start.type == YAML_STREAM_END_EVENT { break }
                    guard start.type == YAML_DOCUMENT_START_EVENT else { throw unexpected(start) }
                    guard documents.count < limits.maxDocumentsPerFile else {
                        throw YAMLCompositionFailure(
                            line: Int(start.mark.line), column: Int(start.mark.column),
                            message: "more than \(limits.maxDocumentsPerFile) documents in one file",
                            expected: "at most \(limits.maxDocumentsPerFile) documents per file")
                    }
                    anchors = [:]
                    expanded = 0
                    let first = try next()
                    var root: YAMLNode? = nil
                    if first.type != YAML_DOCUMENT_END_EVENT {
                        root = try node(from: first, depth: 0).node
                        let end = try next()
                        guard end.type == YAML_DOCUMENT_END_EVENT else { throw unexpected(end) }
                    }
                    // An empty document is an empty plain scalar to libyaml; it is no node to us.
                    if case .scalar(let scalar)? = root, scalar.isPlain, scalar.text.isEmpty { root = nil }
                    documents.append(YAMLDocument(root: root, mark: start.mark))
                }
                return (documents, nil)
            } catch let failure as YAMLCompositionFailure {
                return (documents, failure)
            } catch {
                return (documents, YAMLCompositionFailure(line: 1, column: 1, message: "\(error)"))
            }
        }

        private mutating func node(from event: Event, depth: Int) throws -> (node: YAMLNode, weight: Int) {
            guard depth < limits.maxDepth else {
                throw YAMLCompositionFailure(
                    line: Int(event.mark.line), column: Int(event.mark.column),
                    message: "nesting deeper than \(limits.maxDepth) levels",
                    expected: "at most \(limits.maxDepth) nested mappings and lists")
            }
            let before = expanded
            try count(1, at: event.mark)
            let result: YAMLNode
            switch event.type {
            case YAML_ALIAS_EVENT:
                guard let anchored = anchors[event.text] else {
                    throw YAMLCompositionFailure(
                        line: Int(event.mark.line), column: Int(event.mark.column),
                        message: "alias '*\(event.text)' names no anchor defined before it in this document")
                }
                // The alias node itself was counted above; the expansion replaces it.
                expanded -= 1
                try count(anchored.weight, at: event.mark)
                return anchored
            case YAML_SCALAR_EVENT:
                result = .scalar(YAMLScalar(text: event.text, isPlain: event.isPlain, mark: event.mark))
            case YAML_SEQUENCE_START_EVENT:
                var items: [YAMLNode] = []
                while true {
                    let child = try next()
                    if child.type == YAML_SEQUENCE_END_EVENT { break }
                    items.append(try node(from: child, depth: depth + 1).node)
                }
                result = .sequence(items, event.mark)
            case YAML_MAPPING_START_EVENT:
                var pairs: [YAMLPair] = []
                while true {
                    let keyEvent = try next()
                    if keyEvent.type == YAML_MAPPING_END_EVENT { break }
                    let key = try node(from: keyEvent, depth: depth + 1).node
                    let value = try node(from: try next(), depth: depth + 1).node
                    pairs.append(YAMLPair(key: key, value: value))
                }
                result = .mapping(pairs, event.mark)
            default:
                throw unexpected(event)
            }
            let weight = expanded - before
            if let anchor = event.anchor { anchors[anchor] = (result, weight) }
            return (result, weight)
        }

        private mutating func count(_ nodes: Int, at mark: YAMLMark) throws {
            expanded += nodes
            guard expanded <= limits.maxNodesPerDocument else {
                throw YAMLCompositionFailure(
                    line: Int(mark.line), column: Int(mark.column),
                    message: "the document expands to more than \(limits.maxNodesPerDocument) YAML nodes"
                        + " (aliases are counted each time they are used)",
                    expected: "at most \(limits.maxNodesPerDocument) nodes per document")
            }
        }

        private func unexpected(_ event: Event) -> YAMLCompositionFailure {
            YAMLCompositionFailure(
                line: Int(event.mark.line), column: Int(event.mark.column), message: "unexpected YAML event")
        }

        private mutating func next() throws -> Event {
            var event = yaml_event_t()
            guard yaml_parser_parse(parser, &event) == 1 else { throw parserFailure() }
            defer { yaml_event_delete(&event) }
            let mark = YAMLMark(
                line: Int32(clamping: event.start_mark.line + 1), column: Int32(clamping: event.start_mark.column + 1),
                isFromDefaults: isDefaultsFile)
            var result = Event(type: event.type, mark: mark)
            switch event.type {
            case YAML_ALIAS_EVENT:
                result.text = Session.string(event.data.alias.anchor) ?? ""
            case YAML_SCALAR_EVENT:
                let scalar = event.data.scalar
                result.text = String(
                    decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
                let tag = Session.string(scalar.tag)
                result.isPlain = scalar.style == YAML_PLAIN_SCALAR_STYLE && tag != "tag:yaml.org,2002:str"
                result.anchor = Session.string(scalar.anchor)
            case YAML_SEQUENCE_START_EVENT:
                result.anchor = Session.string(event.data.sequence_start.anchor)
            case YAML_MAPPING_START_EVENT:
                result.anchor = Session.string(event.data.mapping_start.anchor)
            default: break
            }
            return result
        }

        private func parserFailure() -> YAMLCompositionFailure {
            let parser = self.parser.pointee
            let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
            let context = parser.context.map { String(cString: $0) }
            var message = "YAML syntax error: \(problem)"
            if let context { message += " (\(context))" }
            if parser.error == YAML_READER_ERROR {
                // Reader errors (such as bytes that are not UTF-8) carry a byte offset, not a mark.
                let (line, column) = Session.position(ofByte: parser.problem_offset, in: bytes)
                return YAMLCompositionFailure(
                    line: line, column: column, message: "the file is not valid UTF-8 text: \(problem)",
                    expected: "UTF-8 encoded YAML")
            }
            return YAMLCompositionFailure(
                line: parser.problem_mark.line + 1, column: parser.problem_mark.column + 1, message: message)
        }

        static func position(ofByte offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> (line: Int, column: Int) {
            var line = 1
            var column = 1
            for byte in bytes.prefix(min(offset, bytes.count)) {
                if byte == UInt8(ascii: "\n") {
                    line += 1
                    column = 1
                } else if byte & 0xC0 != 0x80 {
                    column += 1  // columns count characters, not continuation bytes
                }
            }
            return (line, column)
        }

        static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            guard let pointer else { return nil }
            return String(cString: pointer)
        }
    }
}
