import Foundation
public import KeyportServices
public import KeyportStore
public import MatrixModel

/// What a route handler gets: the decoded path parameters, query, JSON body and, for
/// authenticated routes, the caller's session.
public struct MatrixRequest: Sendable {
    public var method: String
    public var path: String
    public var parameters: [String: String]
    /// The first value of each query parameter.
    public var query: [String: String]
    /// Every value of each query parameter, in order (`?v=a&v=b`).
    public var queryValues: [String: [String]] = [:]
    /// The JSON body when one was sent (an object); nil for an empty body.
    public var body: JSONObject?
    public var session: SessionRecord?
    /// The access token an authenticated route was called with (a password change keeps it alone);
    /// on an open route, the bearer token it carried, unchecked.
    public var accessToken: String?
    /// The application service whose `as_token` the request carried: on application-service
    /// routes, on open routes it may call as itself, and on authenticated routes where it acts as
    /// a user (`session` is then the identity it asserted).
    public var appService: ApplicationService?
    public var remoteAddress: String?
    /// For federation routes: the authenticated origin server.
    public var origin: String?

    /// The session of an authenticated route (the responder guarantees it is set).
    public func requireSession() throws(MatrixError) -> SessionRecord {
        guard let session else { throw .missingToken() }
        return session
    }

    /// The access token of an authenticated route (the responder guarantees it is set).
    public func requireAccessToken() throws(MatrixError) -> String {
        guard let accessToken else { throw .missingToken() }
        return accessToken
    }

    /// The service of an application-service route (the responder guarantees it is set).
    public func requireAppService() throws(MatrixError) -> ApplicationService {
        guard let appService else { throw .missingToken() }
        return appService
    }

    /// The origin of a federation route (the responder guarantees it is set).
    public func requireOrigin() throws(MatrixError) -> String {
        guard let origin else {
            throw MatrixError(status: 401, errcode: "M_UNAUTHORIZED", "Missing X-Matrix authorization")
        }
        return origin
    }

    /// The body, or `{}` when none was sent.
    public var bodyOrEmpty: JSONObject { body ?? [:] }

    /// A path parameter by name.
    public func parameter(_ name: String) -> String { parameters[name] ?? "" }
}

/// What a route handler returns: a status and a JSON body.
public struct MatrixResponse: Sendable {
    public var status: Int
    public var body: JSONValue

    public init(status: Int = 200, _ body: JSONValue = .object([:])) {
        self.status = status
        self.body = body
    }
}
