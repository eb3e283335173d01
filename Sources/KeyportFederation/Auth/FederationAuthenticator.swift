public import KeyportServices
public import MatrixModel

/// Checks the `X-Matrix` signature of an inbound federation request (guarantee 4): the header
/// parses, `destination` (when sent) is our name, the origin's key is known and current, and the
/// signature covers the request as received. Anything else is 401 `M_UNAUTHORIZED`.
public struct FederationAuthenticator: Sendable {
    let identity: ServerIdentity
    let keys: ServerKeyRing

    public init(identity: ServerIdentity, keys: ServerKeyRing) {
        self.identity = identity
        self.keys = keys
    }

    /// Returns the origin server's name.
    public func authenticate(
        method: String, uri: String, authorization: String?, body: JSONObject?
    ) async throws(MatrixError) -> String {
        guard let authorization, let header = XMatrixAuthorization(header: authorization) else {
            throw MatrixError.unauthorized("Missing or malformed X-Matrix authorization")
        }
        guard ServerName(header.origin) != nil else {
            throw MatrixError.unauthorized("Invalid origin")
        }
        if let destination = header.destination, destination != identity.serverName.rawValue {
            throw MatrixError.unauthorized("Request is for \(destination), not for this server")
        }
        guard header.origin != identity.serverName.rawValue else {
            throw MatrixError.unauthorized("Requests from ourselves are refused")
        }
        guard let publicKey = await keys.currentKey(serverName: header.origin, keyID: header.keyID) else {
            throw MatrixError.unauthorized("No current key \(header.keyID) is known for \(header.origin)")
        }
        guard
            RequestSignature.verify(
                header, method: method, uri: uri, content: body.map { .object($0) }, publicKeyBase64: publicKey)
        else {
            throw MatrixError.unauthorized("Invalid X-Matrix signature")
        }
        return header.origin
    }
}

extension MatrixError {
    /// 401 `M_UNAUTHORIZED`: a federation request whose signature cannot be accepted.
    static func unauthorized(_ message: String) -> MatrixError {
        .init(status: 401, errcode: "M_UNAUTHORIZED", message)
    }
}
