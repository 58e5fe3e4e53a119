/// Finds the field a misspelt name most likely meant, by edit distance.
enum FieldSuggestion {
    /// The closest of `candidates` within a distance of a third of the name's length (at least 1, at most 3),
    /// compared without case; nil when none is that close.
    static func closest(to name: String, among candidates: [String]) -> String? {
        guard name.utf8.count <= 64 else { return nil }
        let word = Array(name.lowercased().utf8)
        let allowed = max(1, min(3, word.count / 3))
        var best: (String, Int)? = nil
        for candidate in candidates {
            let distance = editDistance(word, Array(candidate.lowercased().utf8))
            if distance <= allowed, distance < (best?.1 ?? Int.max) { best = (candidate, distance) }
        }
        return best?.0
    }

    /// Levenshtein distance between byte strings.
    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
