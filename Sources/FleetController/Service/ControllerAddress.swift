import Foundation
import NIOConcurrencyHelpers

/// Where people reach this controller: the links in commit statuses and messages (and the dashboard's).
///
/// The configured `externalUrl` when there is one (the controller behind a proxy or an ingress); otherwise the
/// address the HTTP server is bound to, which is known only once it listens (`--listen-port 0` picks the port
/// then). Until then ``baseURL()`` waits, so no link ever names port 0.
public final class ControllerAddress: Sendable {
    private enum State {
        case unknown(waiters: [Int: CheckedContinuation<String?, Never>], next: Int)
        case known(String)
    }

    private let state: NIOLockedValueBox<State>

    /// `externalURL` without a trailing slash, or nil to wait for ``listening(host:port:)``.
    public init(externalURL: String?) {
        if let externalURL {
            state = NIOLockedValueBox(.known(externalURL.hasSuffix("/") ? String(externalURL.dropLast()) : externalURL))
        } else {
            state = NIOLockedValueBox(.unknown(waiters: [:], next: 0))
        }
    }

    /// The HTTP server is bound to `host`:`port`. Ignored when an external URL is configured. A wildcard host
    /// (every address) is named by this host's name, which is what another machine can reach.
    public func listening(host: String, port: Int) {
        var host = host
        if host == "0.0.0.0" || host == "::" || host.isEmpty { host = ProcessInfo.processInfo.hostName }
        if host.contains(":") { host = "[\(host)]" }
        let url = "http://\(host):\(port)"
        let waiters = state.withLockedValue { state -> [CheckedContinuation<String?, Never>] in
            guard case .unknown(let waiters, _) = state else { return [] }
            state = .known(url)
            return Array(waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: url) }
    }

    /// The base URL, without a trailing slash, if it is known now.
    public var current: String? {
        state.withLockedValue { state in
            if case .known(let url) = state { return url }
            return nil
        }
    }

    /// The base URL, once known; nil if the waiting task is cancelled first.
    public func baseURL() async -> String? {
        let id = state.withLockedValue { state -> Int? in
            guard case .unknown(let waiters, let next) = state else { return nil }
            state = .unknown(waiters: waiters, next: next + 1)
            return next
        }
        guard let id else { return current }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let known = state.withLockedValue { state -> String?? in
                    switch state {
                    case .known(let url): return .some(url)
                    case .unknown(var waiters, let next):
                        if Task.isCancelled { return .some(nil) }
                        waiters[id] = continuation
                        state = .unknown(waiters: waiters, next: next)
                        return .none
                    }
                }
                if let known { continuation.resume(returning: known) }
            }
        } onCancel: {
            let waiter = state.withLockedValue { state -> CheckedContinuation<String?, Never>? in
                guard case .unknown(var waiters, let next) = state else { return nil }
                let waiter = waiters.removeValue(forKey: id)
                state = .unknown(waiters: waiters, next: next)
                return waiter
            }
            waiter?.resume(returning: nil)
        }
    }

    /// The link a commit status or message carries: the controller's status.
    public func statusURL() async -> String? {
        await baseURL().map { "\($0)/api/v1/status" }
    }
}

extension SettingType where Value == String {
    /// An absolute `http://` or `https://` URL, without a trailing slash (links append their paths to it).
    static var httpURL: Self {
        Self(
            name: "url", expected: "an http:// or https:// URL such as https://gitfleet.example.com",
            parse: { text in
                guard let url = URL(string: text), ["http", "https"].contains(url.scheme), url.host != nil,
                    url.query == nil, url.fragment == nil
                else { return nil }
                return text.hasSuffix("/") ? String(text.dropLast()) : text
            },
            format: { $0.isEmpty ? nil : $0 })
    }
}
