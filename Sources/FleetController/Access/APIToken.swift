import Foundation

/// One bearer token of the controller's HTTP API: who holds it (its name, which is the caller's identity in
/// events and logs), what it may do (its scope) and the file that holds it (one token a file, so a Kubernetes
/// Secret mounted as a folder gives each its own file and rotates it in place).
///
/// Written as one line, in the grammar of notification targets (a first word, then `key=value` words), so the
/// same text works in the configuration file (one item of a YAML list), the environment and flags
/// (comma-separated):
///
/// ```
/// ci scope=read file=/run/secrets/gitfleet-tokens/ci
/// oncall scope=operate file=/run/secrets/gitfleet-tokens/oncall
/// lb-1 scope=agent file=/run/secrets/gitfleet-tokens/lb-1
/// ```
///
/// The token itself is never written into the line, so configuration can be shown and logged.
public struct APIToken: Sendable, Hashable, CustomStringConvertible {
    /// What a token may do. `operate` includes `read`; `agent` is narrower than `read` (see below).
    public enum Scope: String, Sendable, Hashable, CaseIterable, Comparable {
        /// A discovery agent's (`gitfleet agent`): `GET /api/v1/discovery`, and `POST /api/v1/agents/{name}` for
        /// its own name only. Ordered below `read`, so no rule that asks for `read` or `operate` lets it through.
        case agent
        /// Every `GET` of the API: status, live state, events, discovery, commits, history, services, logs,
        /// the dashboard.
        case read
        /// Also the actions (every other method): retry today; suspend, resume, promote, abort, rollback later.
        case operate

        public static func < (lhs: Scope, rhs: Scope) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    /// Letters, digits, `.`, `_` and `-`: it is written into events, logs and notes as the caller's identity.
    public var name: String
    public var scope: Scope
    public var file: String

    public init(name: String, scope: Scope, file: String) {
        self.name = name
        self.scope = scope
        self.file = file
    }

    public var description: String { "\(name) scope=\(scope.rawValue) file=\(file)" }

    /// Parses one token's line, explaining what is missing or wrong.
    public static func parse(_ text: String) -> Result<APIToken, APITokenError> {
        var words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard !words.isEmpty else { return .failure(.init("an API token's line is empty")) }
        let name = words.removeFirst()
        let allowedName = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._-"))
        guard !name.contains("="), name.unicodeScalars.allSatisfy(allowedName.contains) else {
            return .failure(
                .init(
                    "'\(name)' is not a token's name (expected NAME scope=read|operate|agent file=PATH, the name of "
                        + "letters, digits, '.', '_' and '-')"))
        }
        var values: [String: String] = [:]
        for word in words {
            guard let equals = word.firstIndex(of: "="), equals != word.startIndex else {
                return .failure(.init("'\(word)' in the token '\(name)' is not key=value"))
            }
            let key = String(word[..<equals])
            guard ["scope", "file"].contains(key) else {
                return .failure(.init("the token '\(name)' has no key '\(key)' (expected file, scope)"))
            }
            values[key] = String(word[word.index(after: equals)...])
        }
        guard let scopeText = values["scope"] else {
            return .failure(.init("the token '\(name)' needs scope=read, scope=operate or scope=agent"))
        }
        guard let scope = Scope(rawValue: scopeText) else {
            return .failure(
                .init("'\(scopeText)' in the token '\(name)' is not a scope (expected read, operate or agent)"))
        }
        guard let file = values["file"], !file.isEmpty else {
            return .failure(.init("the token '\(name)' needs file=PATH (one token a file)"))
        }
        return .success(APIToken(name: name, scope: scope, file: file))
    }

    /// Tokens comma-separated, as the environment and flags (and a YAML list, joined) give them; a name given
    /// twice is refused, since the name is who acted.
    public static func list(_ text: String) -> Result<[APIToken], APITokenError> {
        var tokens: [APIToken] = []
        for item in text.split(separator: ",") where !item.trimmingCharacters(in: .whitespaces).isEmpty {
            switch parse(String(item)) {
            case .success(let token):
                if tokens.contains(where: { $0.name == token.name }) {
                    return .failure(.init("the token name '\(token.name)' is given twice; each names one caller"))
                }
                tokens.append(token)
            case .failure(let error): return .failure(error)
            }
        }
        return .success(tokens)
    }
}

/// Why an API token's line is not one.
public struct APITokenError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
