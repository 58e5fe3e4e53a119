import FleetModel
import Foundation
import Testing

@Suite("Signed notes and the record's chain fields")
struct SignedNoteTests {
    static let signature = """
        -----BEGIN SSH SIGNATURE-----
        U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAg
        -----END SSH SIGNATURE-----

        """

    @Test("a signed note splits at the armor line into the signed body and the signature, and joins back")
    func split() throws {
        let body = StatusAnnotationTests.sample(.converged).yaml()
        let note = SignedNote(text: body + Self.signature)
        #expect(note.body == body)
        #expect(note.signature == Self.signature)
        #expect(note.text == body + Self.signature)
        let unsigned = SignedNote(text: body)
        #expect(unsigned.body == body && unsigned.signature == nil && unsigned.text == body)
    }

    @Test("a signed note reads as its annotation: the signature block is read past")
    func readsPastTheSignature() throws {
        let annotation = StatusAnnotationTests.sample(.converged)
        #expect(try StatusAnnotation(yaml: annotation.yaml() + Self.signature) == annotation)
    }

    @Test("started, finished and previous are written in order and read back")
    func chainFields() throws {
        var annotation = StatusAnnotationTests.sample(.converged)
        annotation.started = StatusAnnotationTests.at.addingTimeInterval(-41)
        annotation.finished = StatusAnnotationTests.at
        annotation.previous = .init(
            commit: String(repeating: "1a", count: 20), digest: "sha256:" + String(repeating: "f", count: 64))
        let text = annotation.yaml()
        #expect(text.contains("\nstarted: 2026-11-22T13:01:30Z\nfinished: 2026-11-22T13:02:11Z\n"), "\(text)")
        let link = "previous: {commit: \(String(repeating: "1a", count: 20)), digest: "
        #expect(text.hasSuffix("\n" + link + "\"sha256:\(String(repeating: "f", count: 64))\"}\n"), "\(text)")
        #expect(try StatusAnnotation(yaml: text) == annotation)
    }

    @Test("a timestamp that is not one names its field and line")
    func badTimestamp() {
        let text = StatusAnnotationTests.sample(.converged).yaml() + "started: yesterday\n"
        #expect {
            try StatusAnnotation(yaml: text)
        } throws: { error in
            let failure = error as? StatusAnnotationError
            return failure?.code == .malformed && failure?.message.contains("`started`") == true
                && failure?.line == text.split(separator: "\n").count
        }
    }
}
