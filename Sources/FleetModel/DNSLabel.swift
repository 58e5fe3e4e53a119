/// Service and port names are RFC 1123 labels: they become host names, upstream names and keys. Manifests check
/// them where they are read; so does whatever reads them back from beyond the process (a discovery agent reading
/// the controller's document), with the same rule and the same words.
public enum DNSLabel {
    /// What a label is, as errors say it.
    public static let rule = NodeReader.dnsLabelRule

    public static func isValid(_ text: String) -> Bool {
        NodeReader.isDNSLabel(text)
    }
}
