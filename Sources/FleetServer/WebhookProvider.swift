/// A Git host whose push webhooks the server accepts, each at `POST /webhooks/{rawValue}`.
public enum WebhookProvider: String, CaseIterable, Codable, Hashable, Sendable {
    /// `X-Hub-Signature-256: sha256=<hex HMAC-SHA256>`, `X-GitHub-Event`.
    case github
    /// `X-Gitlab-Token: <shared secret>`, `X-Gitlab-Event`.
    case gitlab
    /// Gitea and Forgejo: `X-Gitea-Signature` / `X-Forgejo-Signature: <hex HMAC-SHA256>`, `X-Gitea-Event` /
    /// `X-Forgejo-Event`.
    case gitea
    /// Any sender that can sign: `X-Signature-256: sha256=<hex HMAC-SHA256>`, body `{"ref": "refs/heads/main"}`.
    case generic
}
