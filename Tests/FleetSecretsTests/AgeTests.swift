import Foundation
import GitFleetTesting
import Testing

@testable import FleetSecrets

@Suite("age v1 with X25519 recipients", .tags(.fast))
struct AgeTests {
    @Test(
        "a sealed file opens again, armored or not, at every chunk boundary",
        arguments: [0, 1, 100, 65_535, 65_536, 65_537, 3 * 65_536, 200_001])
    func roundTrip(size: Int) throws {
        let identity = AgeIdentity.generate()
        let plaintext = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        for armored in [false, true] {
            let file = try Age.encrypt(plaintext, to: [identity.recipient], armored: armored)
            #expect(Armor.isArmored(file) == armored)
            #expect(try Age.decrypt(file, with: [identity]) == plaintext)
        }
    }

    @Test("each recipient opens the file alone; an identity it was not sealed for does not")
    func recipients() throws {
        let alice = AgeIdentity.generate()
        let bob = AgeIdentity.generate()
        let mallory = AgeIdentity.generate()
        let file = try Age.encrypt(Array("hunter2".utf8), to: [alice.recipient, bob.recipient], armored: true)
        #expect(try Age.decrypt(file, with: [alice]) == Array("hunter2".utf8))
        #expect(try Age.decrypt(file, with: [mallory, bob]) == Array("hunter2".utf8))
        let error = #expect(throws: AgeError.self) { try Age.decrypt(file, with: [mallory]) }
        #expect(error?.kind == .noMatchingIdentity)
        #expect(error?.description.contains("sealed for 2 other X25519 recipient(s)") == true)
        #expect(error?.description.contains(mallory.encoded) == false)
    }

    @Test("a changed header or payload, or a file cut at a chunk boundary, fails authentication")
    func tampering() throws {
        let identity = AgeIdentity.generate()
        let plaintext = [UInt8](repeating: 0x61, count: 2 * 65_536)
        let file = try Age.encrypt(plaintext, to: [identity.recipient], armored: false)
        let header = try Header(parsing: file)

        var payloadFlipped = file
        payloadFlipped[header.length + 40] ^= 1
        #expect(throws: AgeError(.integrity, "payload chunk 0 fails authentication: the file was changed or cut short"))
        {
            try Age.decrypt(payloadFlipped, with: [identity])
        }

        // A second stanza added to the header keeps the file parseable but breaks the MAC.
        let stanza = Array("-> grease-stanza x\n\n".utf8)
        let versionEnd = file.firstIndex(of: UInt8(ascii: "\n"))! + 1
        let extended = Array(file[..<versionEnd]) + stanza + Array(file[versionEnd...])
        #expect(throws: AgeError.self) { try Age.decrypt(extended, with: [identity]) }
        let macError = try #require(throws: AgeError.self) { try Age.decrypt(extended, with: [identity]) }
        #expect(macError.kind == .integrity)

        // Cut after the first full chunk: that chunk was not sealed as the last one.
        let cut = Array(file.prefix(header.length + 16 + 65_536 + 16))
        let cutError = try #require(throws: AgeError.self) { try Age.decrypt(cut, with: [identity]) }
        #expect(cutError.kind == .integrity)
    }

    @Test("a damaged file is refused with an error, never a crash: every truncation and every flipped byte")
    func damagedFiles() throws {
        let identity = AgeIdentity.generate()
        for armored in [false, true] {
            let file = try Age.encrypt(Array("value".utf8), to: [identity.recipient], armored: armored)
            // (The armor's final newline is optional, so that one truncation still opens.)
            for length in 0..<file.count where !(armored && length == file.count - 1) {
                #expect(throws: AgeError.self) { try Age.decrypt(Array(file.prefix(length)), with: [identity]) }
            }
            for index in file.indices {
                var damaged = file
                damaged[index] ^= 0x20
                // A flip in the armor's final newline is harmless; whatever opens must be the sealed value.
                if let opened = try? Age.decrypt(damaged, with: [identity]) {
                    #expect(opened == Array("value".utf8))
                }
            }
        }
    }

    @Test("keys in the wrong form are refused without quoting a secret key")
    func keyForms() throws {
        let identity = AgeIdentity.generate()
        #expect(identity.encoded.hasPrefix("AGE-SECRET-KEY-1"))
        #expect(identity.recipient.description.hasPrefix("age1"))
        #expect(try AgeRecipient(identity.recipient.description) == identity.recipient)
        #expect(try AgeIdentity(identity.encoded).recipient == identity.recipient)
        #expect(!"\(identity)".contains(identity.encoded))

        var damaged = Array(identity.encoded)
        damaged[20] = damaged[20] == "Q" ? "P" : "Q"
        let error = try #require(throws: AgeError.self) { try AgeIdentity(String(damaged)) }
        #expect(error.kind == .invalidIdentity)
        #expect(!error.description.contains(String(damaged)))
        #expect(throws: AgeError.self) { try AgeIdentity(identity.encoded.lowercased()) }
        #expect(throws: AgeError.self) { try AgeRecipient(identity.recipient.description.uppercased()) }
        #expect(throws: AgeError.self) { try AgeRecipient(identity.encoded) }

        let file = try #require(throws: AgeError.self) {
            try AgeIdentityFile(contents: "# a key\n\(identity.encoded)\nnot-a-key\n")
        }
        #expect(file.description.hasPrefix("line 3: "))
        #expect(
            try AgeIdentityFile(contents: AgeIdentityFile.contents(for: identity)).identities.map(\.recipient)
                == [identity.recipient])
    }

    @Test("a derived key is the same for every holder of the identity and differs by purpose")
    func derivedKeys() throws {
        let identity = AgeIdentity.generate()
        let copy = try AgeIdentity(identity.encoded)
        let digest = identity.derivedKey(purpose: "secret digest")
        #expect(digest == copy.derivedKey(purpose: "secret digest"))
        #expect(digest != identity.derivedKey(purpose: "something else"))
        #expect(digest != AgeIdentity.generate().derivedKey(purpose: "secret digest"))
    }
}

/// Against Debian's `age` and `age-keygen` (real binaries, never a fake): what one seals the other opens.
@Suite("age v1 interoperability with the age tool", .tags(.fast))
struct AgeToolInteroperabilityTests {
    @Test("age-keygen's identity file opens what we seal for its recipient, and age opens it too")
    func toolDecryptsOurs() throws {
        let directory = try TemporaryDirectory()
        let keyPath = directory.path + "/key.txt"
        try GitFixture.run(["age-keygen", "-o", keyPath])
        let identities = try AgeIdentityFile(contents: String(contentsOfFile: keyPath, encoding: .utf8)).identities
        let printed = try GitFixture.run(["age-keygen", "-y", keyPath]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(identities.map(\.recipient.description) == [printed])

        for armored in [false, true] {
            let plaintext = Array("s3cret value \(armored)\n".utf8) + [UInt8](repeating: 7, count: 70_000)
            let file = try Age.encrypt(plaintext, to: [AgeRecipient(printed)], armored: armored)
            let sealedPath = directory.path + "/sealed-\(armored).age"
            try Data(file).write(to: URL(fileURLWithPath: sealedPath))
            let openedPath = directory.path + "/opened-\(armored)"
            try GitFixture.run(["age", "-d", "-i", keyPath, "-o", openedPath, sealedPath])
            #expect(try Array(Data(contentsOf: URL(fileURLWithPath: openedPath))) == plaintext)
        }
    }

    @Test("what age seals for our recipient among others, armored or not, we open")
    func weDecryptTheTools() throws {
        let directory = try TemporaryDirectory()
        let ours = AgeIdentity.generate()
        let theirsPath = directory.path + "/theirs.txt"
        try GitFixture.run(["age-keygen", "-o", theirsPath])
        let theirs = try GitFixture.run(["age-keygen", "-y", theirsPath]).trimmingCharacters(
            in: .whitespacesAndNewlines)
        let plainPath = directory.path + "/plain"
        let plaintext = [UInt8](repeating: 0x42, count: 65_536) + Array("tail".utf8)
        try Data(plaintext).write(to: URL(fileURLWithPath: plainPath))
        for armor in [[], ["-a"]] {
            let sealedPath = directory.path + "/sealed\(armor.count).age"
            try GitFixture.run(
                ["age", "-e", "-r", theirs, "-r", ours.recipient.description] + armor + ["-o", sealedPath, plainPath])
            let file = try Array(Data(contentsOf: URL(fileURLWithPath: sealedPath)))
            #expect(try Age.decrypt(file, with: [ours]) == plaintext)
        }
    }
}
