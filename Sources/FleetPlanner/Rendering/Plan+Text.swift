import FleetModel

extension Plan {
    /// The plan for people, in the manner of `terraform plan`: one block per service that changes,
    /// with a symbol (`+` create, `-/+` replace, `~` scale, `-` remove, `!` held back), the image and
    /// spec hash from → to, the instance counts and the reason, then a one-line summary.
    ///
    /// Unchanged services are summarised as a count unless `verbose` is set (then they are listed
    /// with `=`); held-back services are always listed, since they do not match Git. `colour` adds
    /// ANSI colours for a terminal and is off by default so that logs and snapshots stay plain.
    public func renderedText(verbose: Bool = false, colour: Bool = false) -> String {
        let paint = Paint(enabled: colour)
        var lines: [String] = []
        if let revision {
            lines.append("Plan for fleet \(fleet) at \(revision.prefix(12)):")
        } else {
            lines.append("Plan for fleet \(fleet):")
        }
        var quietlyUnchanged = 0
        for action in actions {
            guard verbose || action.kind != .unchanged || action.isHeldBack else {
                quietlyUnchanged += 1
                continue
            }
            lines.append("")
            lines.append(contentsOf: Self.block(for: action, paint: paint))
        }
        lines.append("")
        if quietlyUnchanged > 0 {
            lines.append(quietlyUnchanged == 1 ? "1 service unchanged." : "\(quietlyUnchanged) services unchanged.")
        }
        lines.append(summaryLine(paint: paint))
        return lines.joined(separator: "\n") + "\n"
    }

    /// `Plan: 1 to create, 2 to replace, 1 to scale, 0 to remove (instances: +8 / -2).`, or the
    /// no-change sentence; a no-change plan with held-back services says that it is not converged.
    public func summaryLine(colour: Bool = false) -> String {
        summaryLine(paint: Paint(enabled: colour))
    }

    private func summaryLine(paint: Paint) -> String {
        let heldBack = actions.filter(\.isHeldBack).count
        guard hasChanges else {
            if heldBack == 0 { return paint.bold("No changes.") + " The fleet matches the desired state." }
            let services = heldBack == 1 ? "1 service does" : "\(heldBack) services do"
            return paint.bold("No changes.") + " \(services) not match the desired state (held back, see above)."
        }
        func count(_ kinds: ServiceAction.Kind...) -> Int { actions.filter { kinds.contains($0.kind) }.count }
        let (created, destroyed) = totals
        var line =
            paint.bold("Plan:")
            + " \(count(.create)) to create, \(count(.replace)) to replace, \(count(.scaleUp, .scaleDown)) to scale,"
            + " \(count(.remove)) to remove (instances: +\(created) / -\(destroyed))."
        if heldBack > 0 { line += heldBack == 1 ? " 1 service held back." : " \(heldBack) services held back." }
        return line
    }

    private static func block(for action: ServiceAction, paint: Paint) -> [String] {
        let (symbol, words, colourCode) = presentation(of: action)
        let padded = String(repeating: " ", count: 3 - symbol.count) + symbol
        var lines = [paint.apply(colourCode, "\(padded) \(action.service): \(words)")]
        func detail(_ label: String, _ value: String) {
            lines.append("      " + (label + ":").padding(toLength: 11, withPad: " ", startingAt: 0) + value)
        }
        if let image = fromTo(action.fromImage, action.toImage) { detail("image", image) }
        if let spec = fromTo(action.fromSpecHash?.short, action.toSpecHash?.short) { detail("spec", spec) }
        detail(
            "instances",
            "\(action.liveBefore) → \(action.replicas) (+\(action.create) / -\(action.destroy), \(action.keep) kept)")
        detail("reason", action.reason)
        if let changes = action.changes, !changes.isEmpty {
            lines.append("      changes:")
            lines.append(contentsOf: changeLines(changes, indent: 8))
        }
        return lines
    }

    /// The field diff as a tree, `nomad job plan` style: `~ env`, then its keys one level in, each
    /// sibling's value starting in the same column so that old and new values line up.
    static func changeLines(_ changes: [FieldChange], indent: Int) -> [String] {
        let prefix = String(repeating: " ", count: indent)
        let width = changes.filter(\.fields.isEmpty).map(\.name.count).max() ?? 0
        var lines: [String] = []
        for change in changes {
            let head = prefix + change.kind.symbol + " "
            guard change.fields.isEmpty else {
                lines.append(head + change.name)
                lines.append(contentsOf: changeLines(change.fields, indent: indent + 2))
                continue
            }
            if change.secret {
                lines.append(head + "secret \(change.name) \(change.kind.rawValue)")
                continue
            }
            let label = (change.name + ":").padding(toLength: width + 2, withPad: " ", startingAt: 0)
            lines.append(head + label + value(of: change))
        }
        return lines
    }

    /// `old → new`, or the one that is there; a secret says only what happened to it.
    private static func value(of change: FieldChange) -> String {
        if change.secret { return "secret \(change.kind.rawValue)" }
        return fromTo(change.old, change.new) ?? ""
    }

    private static func presentation(of action: ServiceAction) -> (symbol: String, words: String, colour: String) {
        switch action.kind {
        case .create: return ("+", "create", Paint.green)
        case .replace: return ("-/+", "replace", Paint.yellow)
        case .scaleUp: return ("~", "scale up", Paint.cyan)
        case .scaleDown: return ("~", "scale down", Paint.cyan)
        case .remove: return ("-", "remove", Paint.red)
        case .unchanged:
            return action.isHeldBack ? ("!", "held back", Paint.magenta) : ("=", "unchanged", Paint.dim)
        }
    }

    /// `a → b`, or just the one that is there, or just `b` when nothing changes.
    private static func fromTo(_ from: String?, _ to: String?) -> String? {
        switch (from, to) {
        case (nil, nil): return nil
        case (let from?, nil): return from
        case (nil, let to?): return to
        case (let from?, let to?): return from == to ? to : "\(from) → \(to)"
        }
    }
}

/// ANSI colouring that is a no-op unless asked for.
private struct Paint {
    static let green = "32"
    static let yellow = "33"
    static let cyan = "36"
    static let red = "31"
    static let magenta = "35"
    static let dim = "2"

    var enabled: Bool

    func apply(_ code: String, _ text: String) -> String {
        enabled ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    func bold(_ text: String) -> String { apply("1", text) }
}
