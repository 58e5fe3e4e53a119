import FleetModel
import Foundation

/// Writes a ``PlanDocument`` as the bytes `JSONEncoder` gives with `[.prettyPrinted, .sortedKeys,
/// .withoutEscapingSlashes]` (two-space indent, `"key" : value`, keys in byte order, an empty array as
/// `[`, an empty line and `]`), straight into one buffer.
///
/// Written by hand rather than with `JSONEncoder` because the encoder built a boxed value per field and
/// sorted every object's keys at run time: 129–200 ms for 10,000 services, more than planning them. The
/// document's shape is fixed, so its keys are written in their sorted order as literals. The documented
/// output (docs/plan-json.md) does not change: `PlanRenderingTests` pins these bytes against
/// `JSONEncoder`'s on the planner's fixtures.
struct PlanJSONWriter {
    private(set) var bytes: [UInt8] = []
    private var indent = 0

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    mutating func document(_ document: PlanDocument) {
        objectStart()
        key("changes", first: true)
        bool(document.changes)
        key("fleet")
        string(document.fleet)
        key("formatVersion")
        int(document.formatVersion)
        key("revision")
        optional(document.revision)
        key("services")
        array(document.services) { $0.service($1) }
        key("summary")
        summary(document.summary)
        objectEnd()
        bytes.append(UInt8(ascii: "\n"))
    }

    private mutating func summary(_ summary: PlanDocument.Summary) {
        objectStart()
        key("create", first: true)
        int(summary.create)
        key("heldBack")
        int(summary.heldBack)
        key("instancesToCreate")
        int(summary.instancesToCreate)
        key("instancesToDestroy")
        int(summary.instancesToDestroy)
        key("remove")
        int(summary.remove)
        key("replace")
        int(summary.replace)
        key("scaleDown")
        int(summary.scaleDown)
        key("scaleUp")
        int(summary.scaleUp)
        key("unchanged")
        int(summary.unchanged)
        objectEnd()
    }

    private mutating func service(_ service: PlanDocument.Service) {
        objectStart()
        key("changes", first: true)
        if let changes = service.changes {
            array(changes) { $0.change($1) }
        } else {
            null()
        }
        key("create")
        int(service.create)
        key("destroy")
        int(service.destroy)
        key("fromImage")
        optional(service.fromImage)
        key("fromSpecHash")
        optional(service.fromSpecHash?.rawValue)
        key("heldBack")
        bool(service.heldBack)
        key("keep")
        int(service.keep)
        key("kind")
        string(service.kind.rawValue)
        key("reason")
        string(service.reason)
        key("replicas")
        int(service.replicas)
        key("service")
        string(service.service)
        key("toImage")
        optional(service.toImage)
        key("toSpecHash")
        optional(service.toSpecHash?.rawValue)
        objectEnd()
    }

    private mutating func change(_ change: FieldChange) {
        objectStart()
        key("fields", first: true)
        array(change.fields) { $0.change($1) }
        key("kind")
        string(change.kind.rawValue)
        key("name")
        string(change.name)
        key("new")
        optional(change.new)
        key("old")
        optional(change.old)
        key("path")
        string(change.path)
        key("secret")
        bool(change.secret)
        objectEnd()
    }

    // MARK: - Layout

    private mutating func newline() {
        bytes.append(UInt8(ascii: "\n"))
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent))
    }

    private mutating func objectStart() {
        bytes.append(UInt8(ascii: "{"))
        indent += 2
    }

    private mutating func objectEnd() {
        indent -= 2
        newline()
        bytes.append(UInt8(ascii: "}"))
    }

    /// `"name" : ` on its own line, after a comma unless it is the object's first key.
    private mutating func key(_ name: StaticString, first: Bool = false) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        newline()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: " "), UInt8(ascii: ":"), UInt8(ascii: " ")])
    }

    private mutating func array<Element>(_ elements: [Element], _ write: (inout Self, Element) -> Void) {
        bytes.append(UInt8(ascii: "["))
        indent += 2
        if elements.isEmpty { bytes.append(UInt8(ascii: "\n")) }
        for (index, element) in elements.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            newline()
            write(&self, element)
        }
        indent -= 2
        newline()
        bytes.append(UInt8(ascii: "]"))
    }

    // MARK: - Values

    private mutating func null() {
        bytes.append(contentsOf: [UInt8(ascii: "n"), UInt8(ascii: "u"), UInt8(ascii: "l"), UInt8(ascii: "l")])
    }

    private mutating func bool(_ value: Bool) {
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    private mutating func int(_ value: Int) {
        bytes.append(contentsOf: String(value).utf8)
    }

    private mutating func optional(_ value: String?) {
        if let value { string(value) } else { null() }
    }

    /// A JSON string: `"` and `\` escaped, control characters as `\n`-style or `\u00XX` escapes, everything
    /// else (slashes and non-ASCII included) as it is.
    private mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var start = 0
            for (index, byte) in utf8.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == 0x5C {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                escape(byte)
                start = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func escape(_ byte: UInt8) {
        bytes.append(0x5C)
        switch byte {
        case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\""))
        case 0x5C: bytes.append(0x5C)
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        default:
            let hex = Array("0123456789abcdef".utf8)
            bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
            bytes.append(hex[Int(byte >> 4)])
            bytes.append(hex[Int(byte & 0x0F)])
        }
    }
}
