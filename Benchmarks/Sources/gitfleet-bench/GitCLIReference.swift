import Foundation

/// The reference a cold load is compared with: the git CLI listing the services folder at a commit and
/// printing every blob in it — the same objects our loader reads, without parsing or validating them.
enum GitCLIReference {
    /// `git ls-tree -r <commit> services/` piped into `git cat-file --batch`; returns the bytes read.
    static func readServices(repository: String, commit: String, folder: String = "services/") throws -> Int {
        let listing = try Shell.output(["git", "-C", repository, "ls-tree", "-r", commit, folder])
        var oids = ""
        oids.reserveCapacity(listing.utf8.count / 2)
        for line in listing.split(separator: "\n") {
            // "<mode> blob <oid>\t<path>"
            let fields = line.split(separator: " ", maxSplits: 2)
            guard fields.count == 3, fields[1] == "blob" else { continue }
            oids += fields[2].prefix(40) + "\n"
        }
        let output = try Shell.run(["git", "-C", repository, "cat-file", "--batch"], input: Data(oids.utf8))
        return output.count
    }
}
