public import MatrixModel
public import MatrixSigning

/// The signature of a federation request: Ed25519 over the canonical JSON of its method, URI,
/// origin, destination and (when there is a body) content.
public enum RequestSignature {
    /// The bytes that are signed.
    public static func signedBytes(
        method: String, uri: String, origin: String, destination: String?, content: JSONValue?
    ) throws(JSONWriter.CanonicalError) -> [UInt8] {
        var object: JSONObject = ["method": .string(method), "uri": .string(uri), "origin": .string(origin)]
        if let destination { object["destination"] = .string(destination) }
        if let content { object["content"] = content }
        return try JSONWriter.canonicalBytes(.object(object))
    }

    /// Signs a request we send; the result is the `Authorization` header value.
    public static func authorization(
        method: String, uri: String, origin: String, destination: String, content: JSONValue?, key: SigningKey
    ) throws(JSONWriter.CanonicalError) -> XMatrixAuthorization {
        let bytes = try signedBytes(
            method: method, uri: uri, origin: origin, destination: destination, content: content)
        return XMatrixAuthorization(
            origin: origin, destination: destination, keyID: key.keyID, signature: key.signature(for: bytes))
    }

    /// Checks a received request's signature against the origin's public key (unpadded base64).
    public static func verify(
        _ authorization: XMatrixAuthorization, method: String, uri: String, content: JSONValue?,
        publicKeyBase64: String
    ) -> Bool {
        guard
            let bytes = try? signedBytes(
                method: method, uri: uri, origin: authorization.origin, destination: authorization.destination,
                content: content)
        else { return false }
        return SignedJSON.verify(
            bytes: bytes, signatureBase64: authorization.signature, publicKeyBase64: publicKeyBase64)
    }
}
