extension ControllerConfiguration {
    /// Settings of the HTTP listeners that make no sense together. `serving` (the configuration of `serve`)
    /// adds the refusal to expose an API without tokens: commands that only read the same file are not
    /// refused for what `serve` would bind.
    ///
    /// `sources` says where each setting was given (`gitfleet.yaml:4:1: listenHost`, `--listen-host`), so the
    /// problem names the place to change.
    func listenerProblems(sources: [String: String], serving: Bool) -> [Problem] {
        var problems: [Problem] = []
        for (certificate, key, certificateFile, keyFile) in [
            ("tlsCertFile", "tlsKeyFile", tlsCertFile, tlsKeyFile),
            ("webhookTlsCertFile", "webhookTlsKeyFile", webhookTlsCertFile, webhookTlsKeyFile),
        ] where (certificateFile == nil) != (keyFile == nil) {
            problems.append(
                Problem(
                    source: sources[certificateFile == nil ? key : certificate] ?? certificate,
                    message: "\(certificate) and \(key) must be set together"))
        }
        if webhookListen == nil && (webhookTlsCertFile != nil || webhookTlsKeyFile != nil) {
            problems.append(
                Problem(
                    source: sources["webhookTlsCertFile"] ?? sources["webhookTlsKeyFile"] ?? "webhookTlsCertFile",
                    message: "webhook TLS files are set but webhookListen is not; set webhookListen, or use "
                        + "tlsCertFile and tlsKeyFile for the main listener"))
        }
        if serving && apiTokens.isEmpty && !allowUnauthenticated && !ListenAddress.isLoopback(listenHost) {
            problems.append(
                Problem(
                    source: sources["listenHost"] ?? "listenHost",
                    message: "listenHost '\(listenHost)' is not a loopback address and no apiTokens are set, so "
                        + "anyone who reaches it could read and act on the fleet; set apiTokens (see "
                        + "http-api.md), or allowUnauthenticated: true to serve it open on purpose"))
        }
        return problems
    }
}
