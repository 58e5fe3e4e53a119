import FleetServer

extension ControllerClient {
    /// `POST /api/v1/services/{name}/promote|abort` with the reason (see ``act(_:_:reason:)``).
    func gate(_ action: GateAction, service: String, reason: String?) async throws -> ActionAnswer<GateReply> {
        try await act("services/\(Self.segment(service))/", action.rawValue, reason: reason)
    }
}
