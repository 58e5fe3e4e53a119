import FleetGit

/// The machine-readable `[GNUPG:]` status lines of one `gpg --verify` run (see GnuPG's doc/DETAILS).
struct GPGStatus {
    struct Good {
        var keyID: String
        var userID: String
    }

    /// GOODSIG: the signature is good and the key is neither expired nor revoked.
    var good: Good?
    /// VALIDSIG: the primary key fingerprint (the signing subkey's when no primary is given).
    var validFingerprint: String?
    /// Every keyword seen, with its arguments.
    var lines: [(keyword: String, arguments: [String])] = []

    init(_ output: String) {
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count >= 2, fields[0] == "[GNUPG:]" else { continue }
            let keyword = fields[1]
            let arguments = Array(fields.dropFirst(2))
            lines.append((keyword, arguments))
            switch keyword {
            case "GOODSIG" where !arguments.isEmpty:
                good = Good(keyID: arguments[0], userID: arguments.dropFirst().joined(separator: " "))
            case "VALIDSIG" where !arguments.isEmpty:
                validFingerprint = arguments.count >= 10 ? arguments[9] : arguments[0]
            default:
                break
            }
        }
    }

    func arguments(of keyword: String) -> [String]? {
        lines.first { $0.keyword == keyword }?.arguments
    }

    /// The id of the key that made the signature, from whichever status line named it.
    var keyID: String? {
        for keyword in ["VALIDSIG", "GOODSIG", "BADSIG", "EXPKEYSIG", "REVKEYSIG", "EXPSIG", "ERRSIG", "NO_PUBKEY"] {
            if let first = arguments(of: keyword)?.first { return first }
        }
        return nil
    }

    /// Why the signature is not trusted, for the commit's note: no local path and no raw gpg output (the caller
    /// logs those).
    func reason(commit: CommitID) -> String {
        let key = keyID ?? "(unknown key)"
        let subject = "commit \(commit.short)"
        if arguments(of: "BADSIG") != nil {
            return "\(subject) has a BAD OpenPGP signature from key \(key): the commit was changed after signing "
                + "or the signature is forged"
        }
        if arguments(of: "REVKEYSIG") != nil {
            return "\(subject) is signed by OpenPGP key \(key), which has been revoked"
        }
        if arguments(of: "EXPKEYSIG") != nil {
            return "\(subject) is signed by OpenPGP key \(key), which has expired"
        }
        if arguments(of: "EXPSIG") != nil {
            return "\(subject) has an OpenPGP signature from key \(key) that has expired"
        }
        if arguments(of: "NO_PUBKEY") != nil || arguments(of: "ERRSIG").map({ $0.count > 5 && $0[5] == "9" }) == true {
            return "\(subject) is signed by OpenPGP key \(key) which is not in the trusted keyring (the controller's "
                + "GnuPG home); import the key there if its owner may deploy"
        }
        return "the OpenPGP signature on \(subject) did not verify"
    }
}
