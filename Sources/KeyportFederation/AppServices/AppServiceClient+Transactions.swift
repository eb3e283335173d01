import AsyncHTTPClient
public import KeyportServices
import Logging
import NIOCore
import NIOHTTP1

/// How the application-service sender reaches a service (a port, so the sender can be driven by a
/// fake).
public protocol AppServiceTransactionSending: Sendable {
    /// `PUT /_matrix/app/v1/transactions/{transactionID}` with `body` as its exact bytes; returns
    /// when the service answered 200, throws ``AppServiceFailure`` otherwise.
    func putTransaction(_ transactionID: Int64, body: [UInt8], to service: ApplicationService, timeout: Duration)
        async throws
}

extension AppServiceClient: AppServiceTransactionSending {
    /// As Synapse's `push_bulk`: the stable path only, the `hs_token` as a bearer token. What the
    /// service answers with its 200 is not read further: the transaction is acknowledged.
    public func putTransaction(
        _ transactionID: Int64, body: [UInt8], to service: ApplicationService, timeout: Duration
    ) async throws {
        guard let base = service.url else { throw AppServiceFailure.noURL }
        let root = base.hasSuffix("/") ? String(base.dropLast()) : base
        var request = HTTPClientRequest(url: root + "/_matrix/app/v1/transactions/\(transactionID)")
        request.method = .PUT
        request.headers.add(name: "Authorization", value: "Bearer \(service.hsToken)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        let status: Int
        let answer: ByteBuffer
        do {
            let response = try await http.execute(request, deadline: .now() + .nanoseconds(timeout.nanoseconds))
            status = Int(response.status.code)
            answer = try await response.body.collect(upTo: Self.maxAnswerBytes)
        } catch {
            if let error = error as? HTTPClientError,
                error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout
            {
                throw AppServiceFailure.timeout
            }
            throw AppServiceFailure.connectionFailed("\(error)")
        }
        guard status == 200 else {
            throw AppServiceFailure.badStatus(
                status, String(decoding: answer.readableBytesView.prefix(4096), as: UTF8.self))
        }
    }
}
