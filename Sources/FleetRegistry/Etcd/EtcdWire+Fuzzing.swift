import FleetModel
import Foundation

/// The etcd registry's readers of bytes from the gateway, each called as the registry calls it, for the
/// libFuzzer target in `Fuzz/`; `@_spi(Fuzzing)` keeps it out of the API.
@_spi(Fuzzing) public enum EtcdWireFuzzing {
    /// Reads `data` as every answer the registry decodes: a watch stream (newline-delimited, each event's
    /// record decoded as the feeds do), and the range, transaction, lease, authentication and error answers,
    /// with every key-value of a range read back as the record its key names.
    public static func read(_ data: Data) {
        let coding = EtcdRecordCoding(prefix: "/gitfleet")
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            guard let events = try? EtcdRegistry.decode(line) else { continue }
            for event in events {
                guard let key = coding.record(forKey: event.key), let value = event.value else { continue }
                read(value.base64EncodedString(), key: key, coding: coding)
            }
        }
        let decoder = EtcdWire.decoder
        if let range = try? decoder.decode(EtcdWire.RangeResponse.self, from: data) {
            _ = try? EtcdRegistry.revision(range.header)
            for kv in range.kvs ?? [] {
                guard let text = kv.key.flatMap({ Data(base64Encoded: $0) }),
                    let key = coding.record(forKey: String(decoding: text, as: UTF8.self))
                else { continue }
                read(kv.value, key: key, coding: coding)
            }
        }
        _ = try? decoder.decode(EtcdWire.TxnResponse.self, from: data)
        _ = try? decoder.decode(EtcdWire.LeaseGrantResponse.self, from: data)
        _ = try? decoder.decode(EtcdWire.LeaseKeepAliveResponse.self, from: data)
        _ = try? decoder.decode(EtcdWire.AuthenticateResponse.self, from: data)
        _ = try? decoder.decode(EtcdWire.ErrorResponse.self, from: data)
    }

    private static func read(_ value: String?, key: RegistryRecordKey, coding: EtcdRecordCoding) {
        switch key {
        case .instance: _ = try? coding.decode(InstanceRecord.self, value, key: key)
        case .rolloutState: _ = try? coding.decode(RolloutState.self, value, key: key)
        case .fleetControls: _ = try? coding.decode(FleetControls.self, value, key: key)
        }
    }
}
