import Foundation

extension ControllerConfiguration {
    /// The link notifications carry: this controller's `/api/v1/status`, at the address it listens on (this
    /// host's name when it listens on every address). A dashboard page replaces it once there is one.
    public var statusURL: String {
        var host = listenHost
        if host == "0.0.0.0" || host == "::" || host.isEmpty { host = ProcessInfo.processInfo.hostName }
        if host.contains(":") { host = "[\(host)]" }
        return "http://\(host):\(listenPort)/api/v1/status"
    }
}
