import FleetModel

extension SignatureVerdict {
    /// The `signature:` entry of a status annotation: present only for a trusted signature, so the note
    /// never suggests that an unverified signer deployed the commit.
    public var annotationSignature: StatusAnnotation.Signature? {
        guard trusted, method != .none else { return nil }
        return StatusAnnotation.Signature(method: method.rawValue, signer: signer)
    }
}
