import AsyncHTTPClient
public import KeyportServices
public import KeyportStore
public import Logging
public import MatrixModel
import NIOCore
import NIOHTTP1

/// Requests to application services (the `/_matrix/app/v1` API), authenticated with the
/// service's `hs_token`, on a client of its own: services are usually on loopback or a private
/// network, which the federation client refuses to reach. What a service answers is checked as
/// another server's answer is (``RemoteKeyValidation``) before anyone sees it.
public final class AppServiceClient: ApplicationServiceKeyQuerying, ApplicationServicePinging {
    let http: HTTPClient
    let serverName: String
    let logger: Logger

    /// The largest answer read from a service.
    static let maxAnswerBytes = 4 * 1024 * 1024

    public init(serverName: ServerName, logger: Logger) {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.timeout = .init(connect: .seconds(5))
        // A service that refuses the connection is down: its users' claims get their fallback
        // keys at once rather than after five seconds of reconnecting.
        configuration.connectionPool.retryConnectionEstablishment = false
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.serverName = serverName.rawValue
        self.logger = logger
    }

    /// Closes every connection; the client cannot be used afterwards.
    public func shutdown() async {
        try? await http.shutdown()
    }

    public func claimKeys(_ targets: [ClaimTarget], from service: ApplicationService, timeout: Duration) async throws
        -> [ClaimedKey]
    {
        // Synapse's shape: each device lists the algorithm once per key wanted.
        var body: JSONObject = [:]
        for target in targets {
            var devices = body[target.userID]?.objectValue ?? [:]
            devices[target.deviceID] = .array(
                (devices[target.deviceID]?.arrayValue ?? []) + [.string(target.algorithm)])
            body[target.userID] = .object(devices)
        }
        let answer = try await post(
            service, paths: ["/_matrix/app/v1/keys/claim", "/_matrix/app/unstable/org.matrix.msc3983/keys/claim"],
            body: body, timeout: timeout)
        let kept = RemoteKeyValidation.claimedKeys(
            ["one_time_keys": .object(answer)], asked: targets, server: serverName)
        var claimed: [ClaimedKey] = []
        for target in targets {
            guard let (keyID, value) = kept[target.userID]?[target.deviceID]?.objectValue?.sortedMembers().first else {
                continue
            }
            let key = OneTimeKey(keyID: keyID, algorithm: target.algorithm, value: value)
            claimed.append(ClaimedKey(userID: target.userID, deviceID: target.deviceID, key: key, isFallback: false))
        }
        return claimed
    }

    public func queryKeys(_ request: [String: [String]], from service: ApplicationService, timeout: Duration)
        async throws -> JSONObject
    {
        let body = JSONObject(request.mapValues { .array($0.map(JSONValue.string)) })
        let answer = try await post(
            service, paths: ["/_matrix/app/v1/keys/query", "/_matrix/app/unstable/org.matrix.msc3984/keys/query"],
            body: body, timeout: timeout)
        var deviceKeys: JSONObject = [:]
        var masterKeys: JSONObject = [:]
        var selfSigningKeys: JSONObject = [:]
        for (userID, asked) in request where RemoteKeyValidation.belongs(userID, to: serverName) {
            var devices: JSONObject = [:]
            for (deviceID, value) in answer["device_keys"]?[userID]?.objectValue ?? [:]
            where asked.isEmpty || asked.contains(deviceID) {
                if let keys = RemoteKeyValidation.deviceKeys(value, userID: userID, deviceID: deviceID) {
                    devices[deviceID] = .object(keys)
                }
            }
            if !devices.isEmpty { deviceKeys[userID] = .object(devices) }
            let master = RemoteKeyValidation.masterKey(answer["master_keys"]?[userID], userID: userID)
            if let master {
                masterKeys[userID] = .object(master)
                if let selfSigning = RemoteKeyValidation.selfSigningKey(
                    answer["self_signing_keys"]?[userID], userID: userID, master: master)
                {
                    selfSigningKeys[userID] = .object(selfSigning)
                }
            }
        }
        return [
            "device_keys": .object(deviceKeys), "master_keys": .object(masterKeys),
            "self_signing_keys": .object(selfSigningKeys),
        ]
    }

    /// `POST /_matrix/app/v1/ping` with the transaction ID the service chose, if any.
    public func ping(_ service: ApplicationService, transactionID: String?, timeout: Duration) async throws {
        var body: JSONObject = [:]
        if let transactionID { body["transaction_id"] = .string(transactionID) }
        _ = try await post(service, paths: ["/_matrix/app/v1/ping"], body: body, timeout: timeout)
    }

    /// POSTs `body` to the first of `paths` the service serves (the stable path, then the unstable
    /// one Synapse uses), within `timeout` in all; the answer must be a JSON object. Throws
    /// ``AppServiceFailure``.
    func post(_ service: ApplicationService, paths: [String], body: JSONObject, timeout: Duration) async throws
        -> JSONObject
    {
        guard let base = service.url else { throw AppServiceFailure.noURL }
        let deadline = NIODeadline.now() + .nanoseconds(timeout.nanoseconds)
        let root = base.hasSuffix("/") ? String(base.dropLast()) : base
        for (index, path) in paths.enumerated() {
            var request = HTTPClientRequest(url: root + path)
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(service.hsToken)")
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: JSONWriter.bytes(.object(body))))
            let response: HTTPClientResponse
            let bytes: ByteBuffer
            do {
                response = try await http.execute(request, deadline: deadline)
                bytes = try await response.body.collect(upTo: Self.maxAnswerBytes)
            } catch {
                logger.warning(
                    "application service did not answer",
                    metadata: ["appservice": "\(service.id)", "path": "\(path)", "error": "\(error)"])
                if let error = error as? HTTPClientError,
                    error == .deadlineExceeded || error == .readTimeout
                        || error == .connectTimeout
                {
                    throw AppServiceFailure.timeout
                }
                throw AppServiceFailure.connectionFailed("\(error)")
            }
            let status = Int(response.status.code)
            if status == 404 || status == 405, index < paths.count - 1 { continue }
            guard status == 200 else {
                logger.warning(
                    "application service refused a request",
                    metadata: ["appservice": "\(service.id)", "path": "\(path)", "status": "\(status)"])
                throw AppServiceFailure.badStatus(
                    status, String(decoding: bytes.readableBytesView.prefix(4096), as: UTF8.self))
            }
            guard
                let answer =
                    (try? JSONParser(options: .init(maxDepth: 64, allowFloats: true)).parse(
                        bytes.readableBytesView))?.objectValue
            else { throw AppServiceFailure.invalidAnswer }
            return answer
        }
        throw AppServiceFailure.badStatus(404, "")
    }
}
